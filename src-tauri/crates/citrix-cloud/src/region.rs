//! Citrix Cloud regions and the two base URLs each one implies.
//!
//! Tokens are issued by a regional host (`api-us.cloud.com`, ...) while the CVAD manage API of the
//! three "cloud.com" regions lives on one global host; Japan is a separate cloud with its own host
//! for both. Keeping the pair together in [`Endpoints`] means the rest of the crate never has to
//! know which region it talks to, and tests can point both at the local simulator.

use serde::{Deserialize, Serialize};
use url::Url;

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

fn static_url(s: &str) -> Url {
    // The inputs are compile-time constants above; a test parses every one of them.
    Url::parse(s).expect("the region URLs are valid constants")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
