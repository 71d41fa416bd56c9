//! The connection: which Citrix client the app uses, against which account and site, in which
//! mode. Connecting checks the credentials (token + `GET /me`) before anything is saved.

use std::sync::{Arc, Mutex};

use citrix_cloud::{CitrixClient, ClientConfig, Credentials, Endpoints, Region, Secret};
use serde::Serialize;
use ts_rs::TS;
use url::Url;

use crate::error::{Error, Result};
use crate::ipc::{Mode, RegionTs};

/// Points the app at another Citrix Cloud (the simulator in tests): replaces the region hosts for
/// both the token service and the API.
pub const CLOUD_URL_ENV: &str = "RECORDING_DESK_CLOUD_URL";

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
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedAccount {
    #[ts(as = "RegionTs")]
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    pub secret_stored: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub version: String,
    pub connection: Option<ConnectionInfo>,
    pub saved_account: Option<SavedAccount>,
    /// How the app was last connected, so the UI can reconnect the same way.
    pub last_mode: Option<Mode>,
    pub notices: Vec<String>,
    pub cloud_url_override: Option<String>,
}

/// A live connection: the client plus what `/me` said.
#[derive(Clone)]
pub struct Connected {
    pub client: CitrixClient,
    pub info: ConnectionInfo,
}

impl Connected {
    /// The client and the selected site, or `noSiteSelected`.
    pub fn site(&self) -> Result<(&CitrixClient, &str)> {
        match self.info.site_id.as_deref() {
            Some(site) => Ok((&self.client, site)),
            None => Err(Error::NoSiteSelected),
        }
    }
}

/// Managed state: the current connection, swapped whole on connect/disconnect/select_site.
/// Commands clone the `Arc` out and release the lock before any `.await`.
///
/// Connecting takes seconds (keychain, token, `/me`), and the officer can change their mind in
/// the meantime: "Use a different account", then "Open the demo site". The epoch makes the last
/// decision win: every connect and every disconnect bumps it, and a connect only installs its
/// result if no other connect or disconnect started since it began. Without it, a slow
/// reconnect to the saved account could finish last and put real sessions under the "Demo
/// site" badge.
#[derive(Default)]
pub struct ConnectionState {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    epoch: u64,
    current: Option<Arc<Connected>>,
}

impl ConnectionState {
    pub fn get(&self) -> Option<Arc<Connected>> {
        self.lock().current.clone()
    }

    pub fn require(&self) -> Result<Arc<Connected>> {
        self.get().ok_or(Error::NotConnected)
    }

    /// Starts a connect: returns the epoch its result must still match to be installed.
    pub fn begin_connect(&self) -> u64 {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.epoch
    }

    /// Installs a connect's result, unless a newer connect or a disconnect started after it.
    pub fn install(&self, epoch: u64, connected: Connected) -> Result<()> {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return Err(Error::Superseded);
        }
        inner.current = Some(Arc::new(connected));
        Ok(())
    }

    /// Whether a connect that began at `epoch` is still the latest.
    #[cfg(test)]
    pub fn is_current(&self, epoch: u64) -> bool {
        self.lock().epoch == epoch
    }

    /// Drops the connection; connects still under way will not install theirs.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.current = None;
    }

    /// Replaces `expected` with `next` (another site of the same connection), unless the
    /// connection changed in the meantime.
    pub fn replace(&self, expected: &Arc<Connected>, next: Connected) -> Result<()> {
        let mut inner = self.lock();
        match &inner.current {
            Some(current) if Arc::ptr_eq(current, expected) => {
                inner.current = Some(Arc::new(next));
                Ok(())
            }
            _ => Err(Error::Superseded),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
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
        return Err(Error::InvalidInput(
            "Enter the customer ID. It is shown in Citrix Cloud under Identity and Access \
             Management > API Access."
                .into(),
        ));
    }
    if client_id.is_empty() {
        return Err(Error::InvalidInput("Enter the client ID.".into()));
    }
    if uuid::Uuid::try_parse(client_id).is_err() {
        return Err(Error::InvalidInput(
            "The client ID should look like 3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1 (the ID of the \
             API client, not its name). Copy it again from Citrix Cloud."
                .into(),
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
        return Err(Error::InvalidInput("Enter the client secret.".into()));
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

/// What [`connect`] needs to know besides the credentials.
pub struct ConnectRequest {
    pub mode: Mode,
    pub region: Option<Region>,
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    /// The site to select if the account has it (the one remembered in settings).
    pub preferred_site: Option<String>,
}

/// Builds a client, fetches a token and `/me`, and picks the site. On a sleeping site it asks
/// Citrix to wake it before reporting `siteAsleep`.
pub async fn connect(req: ConnectRequest) -> Result<Connected> {
    let host = req
        .endpoints
        .token_base
        .host_str()
        .unwrap_or("Citrix Cloud")
        .to_owned();
    let customer_id = req.credentials.customer_id.clone();
    let config = ClientConfig::new(req.endpoints, req.credentials);
    let client = CitrixClient::new(config).map_err(|e| explain_connect_error(e, None, &host))?;

    let me = match client.me().await {
        Ok(reply) => reply.value,
        Err(e) => {
            if e.kind() == "siteAsleep" {
                let waker = client.clone();
                tokio::spawn(async move {
                    match waker.wake_site().await {
                        Ok(()) => tracing::info!("asked Citrix to wake the site"),
                        Err(e) => tracing::warn!(kind = e.kind(), "waking the site failed: {e}"),
                    }
                });
            }
            return Err(explain_connect_error(e, req.region, &host));
        }
    };

    let customer = me
        .customers
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(&customer_id))
        .or_else(|| me.customers.first());
    let sites: Vec<Site> = customer
        .map(|c| {
            c.sites
                .iter()
                .map(|s| Site {
                    id: s.id.clone(),
                    name: if s.name.is_empty() {
                        s.id.clone()
                    } else {
                        s.name.clone()
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let site_id = pick_site(&sites, req.preferred_site.as_deref());

    Ok(Connected {
        client,
        info: ConnectionInfo {
            mode: req.mode,
            region: req.region,
            customer_id,
            customer_name: customer.and_then(|c| c.name.clone()),
            user_display_name: me.display_name.clone(),
            sites,
            site_id,
        },
    })
}

/// The remembered site if the account still has it, else the only site, else none (the officer
/// picks one).
pub fn pick_site(sites: &[Site], preferred: Option<&str>) -> Option<String> {
    if let Some(p) = preferred {
        if let Some(site) = sites.iter().find(|s| s.id.eq_ignore_ascii_case(p)) {
            return Some(site.id.clone());
        }
    }
    match sites {
        [only] => Some(only.id.clone()),
        _ => None,
    }
}

/// Connection failures in words that fit the sign-in screen.
fn explain_connect_error(e: citrix_cloud::Error, region: Option<Region>, host: &str) -> Error {
    let message = match e.kind() {
        "badCredentials" => format!(
            "Citrix Cloud did not accept this client ID and secret. Copy both again from the API \
             client in Citrix Cloud (Identity and Access Management > API Access > Secure \
             clients), check that the customer ID belongs to the same account, and that the region \
             ({}) is the one your Citrix Cloud account is in.",
            region.map(|r| r.label()).unwrap_or("as selected")
        ),
        "wrongRegion" => format!(
            "This API client is not registered in the {} region. Choose the region your Citrix \
             Cloud account is in and connect again.",
            region.map(|r| r.label()).unwrap_or("selected")
        ),
        "network" | "timeout" => format!(
            "Recording Desk could not reach {host}. Check the internet connection, VPN or proxy \
             and try again."
        ),
        "siteAsleep" => "Your Citrix DaaS site is hibernating. Recording Desk has asked Citrix to \
             wake it up; this can take up to 20 minutes. Try connecting again in a few minutes."
            .to_owned(),
        "forbidden" | "tokenRejected" => "Citrix Cloud accepted the API client but refused it \
             access to the site. An administrator must give the API client a role that can \
             manage sessions."
            .to_owned(),
        _ => return Error::from(e),
    };
    Error::citrix(e, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_fields_are_trimmed_and_checked() {
        let ok =
            validate_account("  acme ", " 3F1C7B52-6A0E-4C55-9D7E-2B8A41F0C9D1\n").expect("valid");
        assert_eq!(ok.customer_id, "acme");
        assert_eq!(ok.client_id, "3F1C7B52-6A0E-4C55-9D7E-2B8A41F0C9D1");

        for (customer, client) in [
            ("", "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1"),
            ("  ", "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1"),
            ("acme", ""),
            ("acme", "my api client"),
            ("acme", "3f1c7b52-6a0e-4c55-9d7e"),
        ] {
            let err = validate_account(customer, client).expect_err(client);
            assert_eq!(err.kind(), "invalidInput");
        }
        assert_eq!(
            validate_secret("  \n").expect_err("empty").kind(),
            "invalidInput"
        );
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

    fn offline(mode: Mode) -> Connected {
        let endpoints = Endpoints::with_base(&Url::parse("http://127.0.0.1:9").expect("url"));
        let credentials = Credentials {
            customer_id: "c".into(),
            client_id: "id".into(),
            secret: Secret::new("s".into()),
        };
        Connected {
            client: CitrixClient::new(ClientConfig::new(endpoints, credentials)).expect("client"),
            info: ConnectionInfo {
                mode,
                region: None,
                customer_id: "c".into(),
                customer_name: None,
                user_display_name: None,
                sites: Vec::new(),
                site_id: None,
            },
        }
    }

    #[test]
    fn only_the_latest_connect_is_installed() {
        let state = ConnectionState::default();
        let cloud = state.begin_connect();
        let demo = state.begin_connect();
        state.install(demo, offline(Mode::Demo)).expect("latest");
        assert_eq!(
            state
                .install(cloud, offline(Mode::Cloud))
                .expect_err("stale")
                .kind(),
            "superseded"
        );
        assert_eq!(state.get().expect("connected").info.mode, Mode::Demo);

        // A disconnect also wins over a connect that began before it.
        let late = state.begin_connect();
        assert!(state.is_current(late));
        state.clear();
        assert!(!state.is_current(late));
        assert!(state.install(late, offline(Mode::Cloud)).is_err());
        assert!(state.get().is_none());
    }

    #[test]
    fn a_site_change_applies_only_to_the_connection_it_was_made_on() {
        let state = ConnectionState::default();
        let epoch = state.begin_connect();
        state.install(epoch, offline(Mode::Cloud)).expect("install");
        let seen = state.require().expect("connected");
        let epoch = state.begin_connect();
        state.install(epoch, offline(Mode::Demo)).expect("install");
        assert!(state.replace(&seen, offline(Mode::Cloud)).is_err());
        assert_eq!(state.get().expect("connected").info.mode, Mode::Demo);
        let now = state.require().expect("connected");
        state
            .replace(&now, offline(Mode::Demo))
            .expect("same connection");
    }

    #[test]
    fn the_remembered_site_wins_else_the_only_one() {
        let s = |id: &str| Site {
            id: id.into(),
            name: id.into(),
        };
        assert_eq!(pick_site(&[s("a")], None).as_deref(), Some("a"));
        assert_eq!(pick_site(&[s("a")], Some("gone")).as_deref(), Some("a"));
        assert_eq!(
            pick_site(&[s("a"), s("b")], Some("B")).as_deref(),
            Some("b")
        );
        assert_eq!(pick_site(&[s("a"), s("b")], None), None);
        assert_eq!(pick_site(&[], None), None);
    }
}
