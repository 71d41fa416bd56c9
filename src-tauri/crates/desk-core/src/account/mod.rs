//! The Citrix Cloud account and the connection to it: what the officer enters to sign in (checked
//! before anything is sent), where credentials may go, and what a front end is told about the
//! connection. Connecting is in [`connection`]; signing in and forgetting the saved account, with
//! the keychain and settings, in [`sign_in`].

pub mod connection;
pub mod profiles;
pub mod sign_in;

use citrix_cloud::{Region, Secret};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::error::{Error, InputField, Result};

pub use connection::{connect, ConnectRequest, Connected, ConnectionState};
pub use sign_in::SignIn;

/// Points the app at another Citrix Cloud (the simulator in tests): replaces the region hosts for
/// both the token service and the API.
pub const CLOUD_URL_ENV: &str = "RECORDING_DESK_CLOUD_URL";

/// Whether the app talks to a real Citrix Cloud account or to the built-in demo site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    Demo,
    Cloud,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Demo => "demo",
            Mode::Cloud => "cloud",
        }
    }
}

// The TypeScript shape of `citrix_cloud::Region`, whose crate does not derive it. Fields of type
// `Region` use `#[ts(as = "RegionTs")]`; a test checks that the serde names agree.
/// A Citrix Cloud region.
#[derive(TS)]
#[ts(rename = "Region")]
#[allow(dead_code)] // only its TypeScript shape is used
pub enum RegionTs {
    #[ts(rename = "us")]
    Us,
    #[ts(rename = "eu")]
    Eu,
    #[ts(rename = "apS")]
    ApS,
    #[ts(rename = "jp")]
    Jp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Site {
    pub id: String,
    pub name: String,
}

/// What the UI knows about the connection.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "Connection")]
pub struct ConnectionInfo {
    pub mode: Mode,
    #[ts(as = "Option<RegionTs>")]
    pub region: Option<Region>,
    pub customer_id: String,
    pub customer_name: Option<String>,
    pub user_display_name: Option<String>,
    pub sites: Vec<Site>,
    pub site_id: Option<String>,
    /// The profile connected (see [`profiles`]): its id and the name the officer gave it.
    pub profile_id: Option<String>,
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedAccount {
    /// The profile it is saved as, and its name.
    pub profile_id: String,
    pub name: String,
    #[ts(as = "RegionTs")]
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    pub secret_stored: bool,
}

/// The validated fields of the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    pub customer_id: String,
    pub client_id: String,
}

/// Trims and checks the sign-in fields before anything is sent anywhere.
pub fn validate_account(customer_id: &str, client_id: &str) -> Result<AccountFields> {
    let customer_id = customer_id.trim();
    let client_id = client_id.trim();
    if customer_id.is_empty() {
        return Err(Error::invalid_field(
            InputField::CustomerId,
            "Enter the customer ID. It is shown in Citrix Cloud under Identity and Access \
             Management > API Access.",
        ));
    }
    if client_id.is_empty() {
        return Err(Error::invalid_field(
            InputField::ClientId,
            "Enter the client ID.",
        ));
    }
    if uuid::Uuid::try_parse(client_id).is_err() {
        return Err(Error::invalid_field(
            InputField::ClientId,
            "The client ID should look like 3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1 (the ID of the \
             API client, not its name). Copy it again from Citrix Cloud.",
        ));
    }
    Ok(AccountFields {
        customer_id: customer_id.to_owned(),
        client_id: client_id.to_owned(),
    })
}

/// A pasted secret with stray whitespace from the clipboard removed; empty is an error.
pub fn validate_secret(secret: &str) -> Result<Secret> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Error::invalid_field(
            InputField::Secret,
            "Enter the client secret.",
        ));
    }
    Ok(Secret::new(secret.to_owned()))
}

/// Reads the cloud URL override. It may only be a loopback `http` URL with a port (a local
/// simulator) or an `https` URL, so the secret never travels in clear text to another machine.
pub fn parse_cloud_url(value: &str) -> std::result::Result<Url, String> {
    let url = Url::parse(value.trim()).map_err(|e| format!("{value:?} is not a URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{value:?} must not contain a user name or password"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value:?} must not have a query or fragment"));
    }
    // The same rule the client applies to every request: a Citrix Cloud region host over
    // https, or this computer.
    citrix_cloud::endpoint_allowed(&url).map_err(|e| e.message().to_owned())?;
    Ok(url)
}

/// The override from the environment, if set and valid; an invalid value is reported as a notice
/// and ignored.
pub fn cloud_url_from_env() -> (Option<Url>, Option<String>) {
    match std::env::var(CLOUD_URL_ENV) {
        Err(_) => (None, None),
        Ok(v) if v.trim().is_empty() => (None, None),
        Ok(v) => match parse_cloud_url(&v) {
            Ok(url) => (Some(url), None),
            Err(why) => (
                None,
                Some(format!(
                    "{CLOUD_URL_ENV} was ignored: {why}. Recording Desk uses the Citrix Cloud \
                     regions."
                )),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn account_fields_are_trimmed_and_checked() {
        let ok =
            validate_account("  acme ", " 3F1C7B52-6A0E-4C55-9D7E-2B8A41F0C9D1\n").expect("valid");
        assert_eq!(ok.customer_id, "acme");
        assert_eq!(ok.client_id, "3F1C7B52-6A0E-4C55-9D7E-2B8A41F0C9D1");

        for (customer, client, field) in [
            (
                "",
                "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1",
                InputField::CustomerId,
            ),
            (
                "  ",
                "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1",
                InputField::CustomerId,
            ),
            ("acme", "", InputField::ClientId),
            ("acme", "my api client", InputField::ClientId),
            ("acme", "3f1c7b52-6a0e-4c55-9d7e", InputField::ClientId),
        ] {
            let err = validate_account(customer, client).expect_err(client);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(err.to_ipc().field, Some(field), "{customer:?} {client:?}");
        }
        let err = validate_secret("  \n").expect_err("empty");
        assert_eq!(err.to_ipc().field, Some(InputField::Secret));
        assert_eq!(validate_secret(" abc== \n").expect("ok").expose(), "abc==");
    }

    #[test]
    fn cloud_url_override_allows_loopback_and_the_citrix_region_hosts_only() {
        for ok in [
            "http://127.0.0.1:8787",
            "http://localhost:8787/",
            "http://[::1]:9000",
            "https://api-eu.cloud.com",
            "https://api.citrixcloud.jp/",
        ] {
            assert!(parse_cloud_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://citrix.example.com",
            "https://citrix.example.com/prefix",
            "http://api.cloud.com",
            "http://10.0.0.5:8787",
            "http://example.com:80",
            "ftp://127.0.0.1:21",
            "https://user:pw@citrix.example.com",
            "https://citrix.example.com/?x=1",
            "not a url",
        ] {
            assert!(parse_cloud_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_mirror_matches_the_client_crate() {
        let names: Vec<String> = Region::ALL
            .iter()
            .map(|r| serde_json::to_value(r).expect("serialize"))
            .map(|v| v.as_str().expect("string").to_owned())
            .collect();
        assert_eq!(names, ["us", "eu", "apS", "jp"]);
    }
}
