//! Small types that cross IPC and are used by several modules. Types that belong to one concern
//! live next to it (settings, audit, sessions, run, state); every one of them is exported to
//! TypeScript by the `bindings` test.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// What a run does to each session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RunAction {
    Start,
    Stop,
}

impl RunAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RunAction::Start => "start",
            RunAction::Stop => "stop",
        }
    }
}

// The TypeScript shape of `citrix_cloud::Region`, whose crate does not depend on ts-rs. Fields of
// type `Region` use `#[ts(as = "RegionTs")]`; a test checks that the serde names agree.
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

#[cfg(test)]
mod tests {
    use citrix_cloud::Region;

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
