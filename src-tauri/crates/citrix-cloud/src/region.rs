//! Citrix Cloud regions and the two base URLs each one implies.
//!
//! Tokens are issued by a regional host (`api-us.cloud.com`, ...) while the CVAD manage API of the
//! three "cloud.com" regions lives on one global host; Japan is a separate cloud with its own host
//! for both. Keeping the pair together in [`Endpoints`] means the rest of the crate never has to
//! know which region it talks to, and tests can point both at the local simulator.
//!
//! # Where credentials may go
//!
//! This module is the one place that decides which addresses may receive the client secret or a
//! bearer token; the HTTP layer checks every request against [`endpoint_allowed`], and the app
//! checks its `RECORDING_DESK_CLOUD_URL` override with the same function. The rule:
//!
//! - **https to a Citrix Cloud host of a region**, exactly as [`Endpoints::for_region`] names
//!   them: `api-us.cloud.com`, `api-eu.cloud.com`, `api-ap-s.cloud.com`, `api.cloud.com` and
//!   `api.citrixcloud.jp`, on the default port. Nothing else under `cloud.com` is trusted: a
//!   wildcard would also trust any other service (or any future customer-controlled name) under
//!   that domain, and Citrix's staging hosts (`api.cloudburrito.com`, ...) are out of scope.
//! - **loopback** (`127.0.0.0/8`, `::1`, `localhost`) over http or https: the in-app demo
//!   simulator and the test override. Nothing leaves the computer.
//! - Never a URL with a user name or password in it.
//!
//! [`Endpoints::check`] additionally refuses a pair that mixes the two (a Citrix token sent to a
//! local process, or the reverse).

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::Error;

/// A Citrix Cloud region, as chosen by the officer when connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Region {
    /// United States (`api-us.cloud.com`).
    Us,
    /// European Union (`api-eu.cloud.com`).
    Eu,
    /// Asia Pacific South (`api-ap-s.cloud.com`).
    ApS,
    /// Japan (`api.citrixcloud.jp`, a separate cloud).
    Jp,
}

impl Region {
    /// Every region, in the order the UI offers them.
    pub const ALL: [Region; 4] = [Region::Us, Region::Eu, Region::ApS, Region::Jp];

    /// The name shown to the officer.
    pub fn label(self) -> &'static str {
        match self {
            Region::Us => "United States",
            Region::Eu => "European Union",
            Region::ApS => "Asia Pacific South",
            Region::Jp => "Japan",
        }
    }

    /// The stable identifier used in settings and over IPC (same as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::ApS => "apS",
            Region::Jp => "jp",
        }
    }

    fn token_host(self) -> &'static str {
        match self {
            Region::Us => "https://api-us.cloud.com",
            Region::Eu => "https://api-eu.cloud.com",
            Region::ApS => "https://api-ap-s.cloud.com",
            Region::Jp => "https://api.citrixcloud.jp",
        }
    }

    fn api_base(self) -> &'static str {
        match self {
            // The manage API is global for the cloud.com regions (Citrix's region table in the
            // "migrate from preview" page); the token host above is what is regional.
            Region::Us | Region::Eu | Region::ApS => "https://api.cloud.com/cvad/manage",
            Region::Jp => "https://api.citrixcloud.jp/cvad/manage",
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Where tokens come from and where the CVAD manage API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Host of the token service; `/cctrustoauth2/{customer}/tokens/clients` is appended.
    pub token_base: Url,
    /// Base of the CVAD manage API, ending in `/cvad/manage`.
    pub api_base: Url,
}

impl Endpoints {
    /// The production endpoints of a region.
    pub fn for_region(region: Region) -> Endpoints {
        Endpoints {
            token_base: static_url(region.token_host()),
            api_base: static_url(region.api_base()),
        }
    }

    /// Both services on one base URL (the simulator, or a test double): the token service at
    /// `base` and the API at `base/cvad/manage`.
    pub fn with_base(base: &Url) -> Endpoints {
        let mut api_base = base.clone();
        let path = format!("{}/cvad/manage", base.path().trim_end_matches('/'));
        api_base.set_path(&path);
        api_base.set_query(None);
        api_base.set_fragment(None);
        Endpoints {
            token_base: base.clone(),
            api_base,
        }
    }

    /// Whether credentials and tokens may go to these endpoints (see the module docs): both
    /// addresses pass [`endpoint_allowed`], and they are either both Citrix Cloud or both
    /// loopback. [`crate::CitrixClient::new`] runs this check; the app can run it earlier to
    /// explain a bad override before any sign-in.
    pub fn check(&self) -> Result<(), Error> {
        endpoint_allowed(&self.token_base)?;
        endpoint_allowed(&self.api_base)?;
        if is_loopback(&self.token_base) != is_loopback(&self.api_base) {
            return Err(Error::HostNotAllowed {
                message: format!(
                    "The token service ({}) and the API ({}) must both be Citrix Cloud or both be this computer.",
                    origin(&self.token_base),
                    origin(&self.api_base)
                ),
                transaction_id: None,
            });
        }
        Ok(())
    }

    /// The base of the "resource provider" service that wakes a hibernated site. It sits next to
    /// `/cvad/manage` on the API host, so strip that suffix rather than keep a third URL.
    pub(crate) fn resource_provider_base(&self) -> Url {
        let mut url = self.api_base.clone();
        let path = url.path().trim_end_matches('/');
        let stripped = path.strip_suffix("/cvad/manage").unwrap_or(path).to_owned();
        url.set_path(&stripped);
        url
    }
}

/// Whether credentials and tokens may be sent to `url`: https to one of the hosts of
/// [`Endpoints::for_region`] (any region), or a loopback address (see the module docs).
/// Otherwise a `hostNotAllowed` error whose message names the address and the rule.
pub fn endpoint_allowed(url: &Url) -> Result<(), Error> {
    let allowed = match url.scheme() {
        "https" => (is_citrix_host(url) && url.port().is_none()) || is_loopback(url),
        "http" => is_loopback(url),
        _ => false,
    };
    if allowed && url.username().is_empty() && url.password().is_none() {
        return Ok(());
    }
    let hosts: Vec<String> = citrix_hosts().map(|h| format!("https://{h}")).collect();
    Err(Error::HostNotAllowed {
        message: format!(
            "Recording Desk does not send Citrix credentials to {}. They only go to Citrix Cloud ({}) or to this computer (http://127.0.0.1, http://localhost).",
            origin(url),
            hosts.join(", ")
        ),
        transaction_id: None,
    })
}

/// The host names of every region's endpoints, without duplicates, in region order.
fn citrix_hosts() -> impl Iterator<Item = &'static str> {
    let mut hosts: Vec<&'static str> = Vec::new();
    for r in Region::ALL {
        for url in [r.token_host(), r.api_base()] {
            let host = url
                .trim_start_matches("https://")
                .split('/')
                .next()
                .unwrap_or_default();
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts.into_iter()
}

fn is_citrix_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            // A fully qualified name may end in a dot; it names the same host.
            let d = d.strip_suffix('.').unwrap_or(d);
            citrix_hosts().any(|h| d.eq_ignore_ascii_case(h))
        }
        _ => false,
    }
}

/// `127.0.0.0/8`, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `scheme://host[:port]`, for messages: the path and query can carry IDs, and the user info a
/// password.
pub(crate) fn origin(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
        (Some(h), None) => format!("{}://{h}", url.scheme()),
        _ => format!("{}:", url.scheme()),
    }
}

fn static_url(s: &str) -> Url {
    // The inputs are compile-time constants above; a test parses every one of them.
    Url::parse(s).expect("the region URLs are valid constants")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn every_region_has_parseable_endpoints() {
        for r in Region::ALL {
            let e = Endpoints::for_region(r);
            assert_eq!(e.token_base.scheme(), "https");
            assert!(e.api_base.path().ends_with("/cvad/manage"));
        }
        assert_eq!(
            Endpoints::for_region(Region::ApS).token_base.as_str(),
            "https://api-ap-s.cloud.com/"
        );
        assert_eq!(
            Endpoints::for_region(Region::Jp).api_base.as_str(),
            "https://api.citrixcloud.jp/cvad/manage"
        );
    }

    #[test]
    fn serde_names_are_the_ipc_names() {
        let names: Vec<String> = Region::ALL
            .iter()
            .map(|r| serde_json::to_string(r).expect("serialize"))
            .collect();
        assert_eq!(names, ["\"us\"", "\"eu\"", "\"apS\"", "\"jp\""]);
        for r in Region::ALL {
            assert_eq!(
                serde_json::to_string(&r).expect("ser"),
                format!("\"{}\"", r.as_str())
            );
        }
    }

    #[test]
    fn with_base_appends_the_manage_path() {
        let base = Url::parse("http://127.0.0.1:8787").expect("url");
        let e = Endpoints::with_base(&base);
        assert_eq!(e.api_base.as_str(), "http://127.0.0.1:8787/cvad/manage");
        assert_eq!(
            e.resource_provider_base().as_str(),
            "http://127.0.0.1:8787/"
        );
        let base = Url::parse("http://127.0.0.1:8787/prefix/").expect("url");
        let e = Endpoints::with_base(&base);
        assert_eq!(
            e.api_base.as_str(),
            "http://127.0.0.1:8787/prefix/cvad/manage"
        );
        assert_eq!(
            e.resource_provider_base().as_str(),
            "http://127.0.0.1:8787/prefix"
        );
    }

    #[test]
    fn the_region_endpoints_and_loopback_pass_the_policy() {
        for r in Region::ALL {
            Endpoints::for_region(r)
                .check()
                .expect("a region's own endpoints");
        }
        for base in [
            "http://127.0.0.1:8787",
            "http://localhost:9000/prefix/",
            "http://[::1]:1",
            "https://api.cloud.com",
            "https://api-eu.cloud.com",
            "https://api.citrixcloud.jp",
        ] {
            let url = Url::parse(base).expect("url");
            endpoint_allowed(&url).expect(base);
            Endpoints::with_base(&url).check().expect(base);
        }
        assert_eq!(
            citrix_hosts().collect::<Vec<_>>(),
            [
                "api-us.cloud.com",
                "api.cloud.com",
                "api-eu.cloud.com",
                "api-ap-s.cloud.com",
                "api.citrixcloud.jp"
            ]
        );
    }

    #[test]
    fn an_https_override_to_another_host_is_refused_clearly() {
        let url = Url::parse("https://proxy.example.com/citrix?x=1").expect("url");
        let e = endpoint_allowed(&url).expect_err("not Citrix");
        assert_eq!(e.kind(), ErrorKind::HostNotAllowed);
        let m = e.message();
        assert!(m.contains("https://proxy.example.com."), "{m}");
        assert!(m.contains("https://api-us.cloud.com"), "{m}");
        assert!(m.contains("https://api.citrixcloud.jp"), "{m}");
        assert!(m.contains("http://127.0.0.1"), "{m}");
        assert!(!m.contains("x=1"), "{m}");
        let e = Endpoints::with_base(&url).check().expect_err("not Citrix");
        assert_eq!(e.kind(), ErrorKind::HostNotAllowed);
        let pw = Url::parse("http://me:hunter2@127.0.0.1:1").expect("url");
        let e = endpoint_allowed(&pw).expect_err("user info");
        assert!(!e.message().contains("hunter2"), "{e}");
    }

    #[test]
    fn citrix_and_loopback_are_not_mixed() {
        let mut e = Endpoints::for_region(Region::Us);
        e.api_base = Url::parse("http://127.0.0.1:8787/cvad/manage").expect("url");
        assert_eq!(
            e.check().expect_err("mixed").kind(),
            ErrorKind::HostNotAllowed
        );
        let mut e = Endpoints::with_base(&Url::parse("http://127.0.0.1:8787").expect("url"));
        e.token_base = Url::parse("https://api-us.cloud.com").expect("url");
        assert_eq!(
            e.check().expect_err("mixed").kind(),
            ErrorKind::HostNotAllowed
        );
    }
}
