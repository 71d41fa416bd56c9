//! The app's folders: where the settings, the audit trail, its head anchor and the log live.
//!
//! They are the folders Tauri's path resolver gives for the bundle identifier (Tauri 2,
//! `tauri::path::PathResolver`: `app_data_dir`, `app_config_dir`, `app_log_dir`), computed the
//! same way with the same `dirs` crate, so every front end (the window, the command-line tool)
//! finds what an earlier version of the app wrote:
//!
//! | folder | Linux | macOS | Windows |
//! | --- | --- | --- | --- |
//! | data | `$XDG_DATA_HOME/<id>` (`~/.local/share/<id>`) | `~/Library/Application Support/<id>` | `%APPDATA%\<id>` |
//! | config | `$XDG_CONFIG_HOME/<id>` (`~/.config/<id>`) | `~/Library/Application Support/<id>` | `%APPDATA%\<id>` |
//! | log | `$XDG_DATA_HOME/<id>/logs` | `~/Library/Logs/<id>` | `%LOCALAPPDATA%\<id>\logs` |

use std::path::{Path, PathBuf};

/// The bundle identifier, as a literal so other constants can be built from it with `concat!`
/// (the keychain's service name). It must equal `identifier` in `tauri.conf.json` (a test checks).
#[macro_export]
macro_rules! bundle_identifier {
    () => {
        "com.recordingdesk.app"
    };
}

/// The bundle identifier: the name of the app's folders and of its keychain entries.
pub const IDENTIFIER: &str = bundle_identifier!();

/// The settings file in the data folder (the name and place tauri-plugin-store used).
pub const SETTINGS_FILE: &str = "settings.json";
/// The audit trail in the data folder.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// Where the head of the trail is noted, in the config folder: outside the trail's own folder
/// where the OS allows (see `audit`).
pub const ANCHOR_FILE: &str = "audit.head";

/// The app's folders on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    pub data: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
}

impl AppPaths {
    /// The folders for [`IDENTIFIER`] on this computer, or `None` when the OS has no home folder
    /// to put them in.
    pub fn for_this_computer() -> Option<AppPaths> {
        Self::for_identifier(IDENTIFIER)
    }

    /// The folders Tauri's resolver gives an app with bundle identifier `id`.
    pub fn for_identifier(id: &str) -> Option<AppPaths> {
        #[cfg(target_os = "macos")]
        let log = dirs::home_dir()?.join("Library/Logs").join(id);
        #[cfg(not(target_os = "macos"))]
        let log = dirs::data_local_dir()?.join(id).join("logs");
        Some(AppPaths {
            data: dirs::data_dir()?.join(id),
            config: dirs::config_dir()?.join(id),
            log,
        })
    }

    /// All three folders inside `root` (tests, benchmarks).
    pub fn in_folder(root: &Path) -> AppPaths {
        AppPaths {
            data: root.join("data"),
            config: root.join("config"),
            log: root.join("logs"),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.data.join(SETTINGS_FILE)
    }

    pub fn audit_file(&self) -> PathBuf {
        self.data.join(AUDIT_FILE)
    }

    /// On Linux the config folder is not the data folder, so removing one leaves the other.
    pub fn anchor_file(&self) -> PathBuf {
        self.config.join(ANCHOR_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_is_the_bundle_identifier_of_the_app() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../../tauri.conf.json")).expect("tauri.conf");
        assert_eq!(conf["identifier"], IDENTIFIER);
    }

    /// The resolver's rule on this OS, spelled out from the OS's own conventions rather than
    /// through `dirs`.
    #[cfg(target_os = "linux")]
    #[test]
    fn linux_folders_follow_the_xdg_base_directories() {
        let home = std::env::var_os("HOME").map(PathBuf::from).expect("HOME");
        let xdg = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(default))
        };
        let paths = AppPaths::for_this_computer().expect("folders");
        let data = xdg("XDG_DATA_HOME", ".local/share").join(IDENTIFIER);
        assert_eq!(paths.data, data);
        assert_eq!(
            paths.config,
            xdg("XDG_CONFIG_HOME", ".config").join(IDENTIFIER)
        );
        assert_eq!(paths.log, data.join("logs"));
        assert_eq!(paths.settings_file(), data.join("settings.json"));
        assert_eq!(paths.audit_file(), data.join("audit.jsonl"));
    }
}
