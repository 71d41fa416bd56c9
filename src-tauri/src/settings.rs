//! Settings: one typed struct under one key of the store file, read and written only from Rust and
//! saved explicitly after each change. The webview has no access to the store.
//!
//! A settings file that cannot be read is never silently overwritten: it is moved aside, the app
//! starts with defaults and tells the officer where the old file went.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::{Store, StoreExt};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::ipc::Mode;

pub const FILE_NAME: &str = "settings.json";
const KEY: &str = "settings";

pub const CONCURRENCY_RANGE: std::ops::RangeInclusive<u32> = 1..=64;

/// Everything the app remembers between runs. Missing fields take their defaults, so a file from
/// an older version still loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StoredSettings {
    pub account: Option<StoredAccount>,
    pub last_mode: Option<Mode>,
    /// The site chosen for the saved Citrix Cloud account (demo sites are not remembered).
    pub site_id: Option<String>,
    pub concurrency: u32,
    pub notify_user_default: bool,
    pub window: WindowPrefs,
}

impl Default for StoredSettings {
    fn default() -> Self {
        Self {
            account: None,
            last_mode: None,
            site_id: None,
            concurrency: 16,
            notify_user_default: true,
            window: WindowPrefs::default(),
        }
    }
}

/// The saved Citrix Cloud account. The secret itself is in the keychain; `secret_stored` records
/// that it was put there, so start-up need not touch the keychain just to draw the sign-in form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAccount {
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    #[serde(default)]
    pub secret_stored: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WindowPrefs {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Top-left corner in logical pixels of the virtual desktop.
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub maximized: bool,
}

/// The part of the settings the officer can change in the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub concurrency: u32,
    pub notify_user_default: bool,
}

impl From<&StoredSettings> for Settings {
    fn from(s: &StoredSettings) -> Self {
        Settings {
            concurrency: s.concurrency,
            notify_user_default: s.notify_user_default,
        }
    }
}

pub fn validate(settings: &Settings) -> Result<()> {
    if !CONCURRENCY_RANGE.contains(&settings.concurrency) {
        return Err(Error::InvalidInput(format!(
            "Sessions at a time must be between {} and {}.",
            CONCURRENCY_RANGE.start(),
            CONCURRENCY_RANGE.end()
        )));
    }
    Ok(())
}

/// What start-up found in the settings file.
#[derive(Debug)]
pub struct Loaded {
    pub settings: StoredSettings,
    /// Set when the file was unreadable and was moved aside; shown to the officer.
    pub notice: Option<String>,
}

/// Reads the settings file at `path`. A missing file gives defaults. A file that cannot be read or
/// parsed is renamed to `settings.corrupt-<timestamp>.json` next to it, and the defaults are used.
/// Values out of range are clamped rather than rejected: one bad number should not cost the
/// officer the saved account.
pub fn load_or_repair(path: &Path, now: time::OffsetDateTime) -> Loaded {
    let problem = match std::fs::read(path) {
        Ok(bytes) => match parse(&bytes) {
            Ok(settings) => {
                return Loaded {
                    settings,
                    notice: None,
                }
            }
            Err(e) => e,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Loaded {
                settings: StoredSettings::default(),
                notice: None,
            }
        }
        Err(e) => e.to_string(),
    };
    tracing::warn!(path = %path.display(), %problem, "settings file unreadable");
    let aside = corrupt_path(path, now);
    let notice = match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "Your settings file could not be read. It was kept as {} and Recording Desk started \
             with default settings. Your audit trail is not affected.",
            aside.display()
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not move the unreadable settings file aside");
            format!(
                "Your settings file {} could not be read, and it could not be moved aside ({e}). \
                 Recording Desk started with default settings; saving a setting will replace \
                 that file. Your audit trail is not affected.",
                path.display()
            )
        }
    };
    Loaded {
        settings: StoredSettings::default(),
        notice: Some(notice),
    }
}

/// Parses the store file: a JSON object whose `settings` key holds [`StoredSettings`].
pub fn parse(bytes: &[u8]) -> std::result::Result<StoredSettings, String> {
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut settings: StoredSettings = match map.remove(KEY) {
        None => StoredSettings::default(),
        Some(value) => serde_json::from_value(value).map_err(|e| e.to_string())?,
    };
    settings.concurrency = settings
        .concurrency
        .clamp(*CONCURRENCY_RANGE.start(), *CONCURRENCY_RANGE.end());
    Ok(settings)
}

fn corrupt_path(path: &Path, now: time::OffsetDateTime) -> PathBuf {
    // A timestamp without colons, which Windows does not allow in file names.
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut candidate = dir.join(format!("settings.corrupt-{stamp}.json"));
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = dir.join(format!("settings.corrupt-{stamp}-{n}.json"));
    }
    candidate
}

/// Writes the settings somewhere durable: the store file in the app, nothing in tests.
type Persist = Box<dyn Fn(&serde_json::Value) -> std::result::Result<(), String> + Send + Sync>;

/// The settings in managed state: an in-memory copy plus where it is saved.
pub struct AppSettings {
    persist: Persist,
    path: PathBuf,
    current: Mutex<StoredSettings>,
}

impl AppSettings {
    /// Loads (and if needed repairs) the settings file, then opens the store on it.
    pub fn open<R: Runtime>(
        app: &AppHandle<R>,
    ) -> std::result::Result<(Self, Option<String>), String> {
        let path = tauri_plugin_store::resolve_store_path(app, FILE_NAME)
            .map_err(|e| format!("cannot resolve the settings path: {e}"))?;
        let loaded = load_or_repair(&path, time::OffsetDateTime::now_utc());
        let store: Arc<Store<R>> = app
            .store_builder(FILE_NAME)
            // Saved explicitly after each change, so a failed save is reported, not lost.
            .disable_auto_save()
            .build()
            .map_err(|e| format!("cannot open the settings store: {e}"))?;
        let persist: Persist = Box::new(move |value| {
            store.set(KEY, value.clone());
            store.save().map_err(|e| e.to_string())
        });
        Ok((
            Self {
                persist,
                path,
                current: Mutex::new(loaded.settings),
            },
            loaded.notice,
        ))
    }

    /// Settings that live only in memory, for tests of code that changes them.
    #[cfg(test)]
    pub fn in_memory(settings: StoredSettings) -> Self {
        Self {
            persist: Box::new(|_| Ok(())),
            path: PathBuf::from(FILE_NAME),
            current: Mutex::new(settings),
        }
    }

    pub fn get(&self) -> StoredSettings {
        self.lock().clone()
    }

    /// Applies `f` and saves. The in-memory copy changes even if saving fails, so the app keeps
    /// behaving as the officer asked for the rest of this run.
    pub fn update(&self, f: impl FnOnce(&mut StoredSettings)) -> Result<StoredSettings> {
        let snapshot = {
            let mut current = self.lock();
            f(&mut current);
            current.clone()
        };
        let value =
            serde_json::to_value(&snapshot).map_err(|e| Error::file_write(&self.path, e))?;
        (self.persist)(&value).map_err(|e| Error::file_write(&self.path, e))?;
        Ok(snapshot)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StoredSettings> {
        // A panic while holding the lock leaves valid data behind (plain values), so keep going.
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn missing_file_gives_defaults_without_notice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loaded = load_or_repair(&dir.path().join(FILE_NAME), datetime!(2025-03-01 10:00 UTC));
        assert_eq!(loaded.settings, StoredSettings::default());
        assert_eq!(loaded.settings.concurrency, 16);
        assert!(loaded.settings.notify_user_default);
        assert!(loaded.notice.is_none());
    }

    #[test]
    fn reads_a_saved_file_and_fills_missing_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            r#"{"settings":{"account":{"region":"eu","customerId":"acme","clientId":"3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1","secretStored":true},"siteId":"s1","concurrency":200,"futureField":1}}"#,
        )
        .expect("write");
        let loaded = load_or_repair(&path, datetime!(2025-03-01 10:00 UTC));
        assert!(loaded.notice.is_none());
        let s = loaded.settings;
        let account = s.account.expect("account");
        assert_eq!(account.region, Region::Eu);
        assert_eq!(account.customer_id, "acme");
        assert!(account.secret_stored);
        assert_eq!(s.site_id.as_deref(), Some("s1"));
        assert_eq!(s.concurrency, 64, "clamped into range");
        assert!(s.notify_user_default, "missing field takes its default");
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_with_a_notice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        for (i, garbage) in [
            &b"{\"settings\": {\"concurrency\": 8,"[..],
            b"[1,2,3]",
            b"{\"settings\":{\"concurrency\":\"many\"}}",
            b"\xff\xfe\x00garbage",
        ]
        .iter()
        .enumerate()
        {
            std::fs::write(&path, garbage).expect("write");
            let now = datetime!(2025-03-01 10:20:30 UTC);
            let loaded = load_or_repair(&path, now);
            assert_eq!(loaded.settings, StoredSettings::default(), "case {i}");
            let notice = loaded.notice.expect("notice");
            let suffix = if i == 0 {
                String::new()
            } else {
                format!("-{}", i + 1)
            };
            let aside = dir
                .path()
                .join(format!("settings.corrupt-20250301T102030Z{suffix}.json"));
            assert!(
                notice.starts_with("Your settings file could not be read. It was kept as "),
                "{notice}"
            );
            assert!(notice.contains(&aside.display().to_string()), "{notice}");
            assert!(notice.ends_with("Your audit trail is not affected."));
            assert!(!path.exists(), "the bad file no longer blocks the store");
            assert_eq!(std::fs::read(&aside).expect("kept"), *garbage, "case {i}");
        }
    }

    #[test]
    fn concurrency_must_be_in_range() {
        let mut s = Settings {
            concurrency: 0,
            notify_user_default: true,
        };
        assert_eq!(validate(&s).expect_err("0").kind(), "invalidInput");
        s.concurrency = 65;
        assert!(validate(&s).is_err());
        s.concurrency = 64;
        assert!(validate(&s).is_ok());
        s.concurrency = 1;
        assert!(validate(&s).is_ok());
    }

    #[test]
    fn settings_round_trip_through_the_store_format() {
        let mut s = StoredSettings {
            last_mode: Some(Mode::Cloud),
            ..Default::default()
        };
        s.window.width = Some(1300);
        let file = serde_json::json!({ KEY: s });
        let bytes = serde_json::to_vec(&file).expect("json");
        assert_eq!(parse(&bytes).expect("parse"), s);
    }
}
