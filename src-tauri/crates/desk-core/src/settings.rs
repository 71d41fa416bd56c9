//! Settings: one typed struct under one key of `settings.json` in the app's data folder
//! (`{"settings": {...}}`, the layout tauri-plugin-store wrote, so nothing migrates), read and
//! written only from Rust and saved explicitly after each change. The webview has no access.
//!
//! Every front end (the window, the command-line tool) reads and writes the same file, so a
//! change is a read-modify-write of the file itself under an OS file lock, replaced atomically
//! (written beside it, then renamed over it): two programs saving at once both keep their
//! change, and a crash never leaves half a file. The window notices the other's writes because
//! it reads the file again whenever the file changed.
//!
//! A settings file that cannot be read is never silently overwritten: it is moved aside, the app
//! goes on with defaults and tells the officer where the old file went.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::account::profiles::{self, Profile};
use crate::account::Mode;
use crate::error::{Error, InputField, Result};
use crate::notices::Notices;
use crate::policy::{ManagedAccount, NotifyChoice, SettingName};
use crate::run::Required;

const KEY: &str = "settings";

pub const CONCURRENCY_RANGE: std::ops::RangeInclusive<u32> = 1..=64;

/// Everything the app remembers between runs. Missing fields take their defaults, so a file from
/// an older version still loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StoredSettings {
    /// The saved Citrix Cloud accounts (see [`crate::account::profiles`]).
    pub profiles: Vec<Profile>,
    /// The current profile's id, or `"demo"` for the demo site.
    pub current_profile: Option<String>,
    /// Earlier versions' one saved account: read once into `profiles`, then written as a mirror
    /// of the current profile so an earlier version still finds it
    /// (see [`crate::account::profiles::mirror_legacy`]).
    pub account: Option<StoredAccount>,
    pub last_mode: Option<Mode>,
    /// Earlier versions' site of `account`, mirrored like it.
    pub site_id: Option<String>,
    pub concurrency: u32,
    pub notify_user_default: bool,
    /// A start or stop needs a reason (see [`crate::run::Justification`]).
    pub require_reason: bool,
    /// A start or stop needs a case or ticket reference.
    pub require_case: bool,
    /// The last reasons and case references given, newest first, offered again.
    pub recent_reasons: Vec<String>,
    pub recent_cases: Vec<String>,
    pub window: WindowPrefs,
    /// IT's syslog collector, to which every audit record is forwarded (see
    /// [`crate::audit::CollectorConfig`]); read at start-up.
    pub syslog_collector: Option<crate::audit::CollectorConfig>,
    /// Look for a new version when the app starts (see [`crate::updates`]).
    pub check_for_updates: bool,
    /// When the app last asked the update feed, so it asks at most once a day.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_update_check: Option<time::OffsetDateTime>,
}

impl Default for StoredSettings {
    fn default() -> Self {
        Self {
            profiles: Vec::new(),
            current_profile: None,
            account: None,
            last_mode: None,
            site_id: None,
            concurrency: 16,
            notify_user_default: true,
            require_reason: false,
            require_case: false,
            recent_reasons: Vec::new(),
            recent_cases: Vec::new(),
            window: WindowPrefs::default(),
            syslog_collector: None,
            check_for_updates: true,
            last_update_check: None,
        }
    }
}

/// The one saved Citrix Cloud account of earlier versions. The secret itself is in the keychain; `secret_stored` records
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
    /// A start or stop needs a reason.
    #[serde(default)]
    pub require_reason: bool,
    /// A start or stop needs a case or ticket reference.
    #[serde(default)]
    pub require_case: bool,
    /// The last reasons given, newest first (read only: kept by each run).
    #[serde(default)]
    pub recent_reasons: Vec<String>,
    /// The last case references given, newest first (read only: kept by each run).
    #[serde(default)]
    pub recent_cases: Vec<String>,
    /// Whether the officer chooses at each start if users are told (`ask`), or the organisation
    /// decided (read only).
    #[serde(default)]
    pub notify_user: NotifyChoice,
    /// Whether the demo site is offered (read only: the organisation can turn it off).
    #[serde(default = "offered")]
    pub demo_site_offered: bool,
    /// The Citrix Cloud account fields the organisation set (read only).
    #[serde(default)]
    pub managed_account: ManagedAccount,
    /// The settings the organisation set: shown as "Set by your organisation" and not changeable
    /// (read only).
    #[serde(default)]
    pub locked: Vec<SettingName>,
    /// Look for a new version when Recording Desk starts.
    #[serde(default = "offered")]
    pub check_for_updates: bool,
}

fn offered() -> bool {
    true
}

impl Settings {
    /// Which of reason and case a run needs.
    pub fn required(&self) -> Required {
        Required {
            reason: self.require_reason,
            case_ref: self.require_case,
        }
    }
}

impl From<&StoredSettings> for Settings {
    fn from(s: &StoredSettings) -> Self {
        Settings {
            concurrency: s.concurrency,
            notify_user_default: s.notify_user_default,
            require_reason: s.require_reason,
            require_case: s.require_case,
            recent_reasons: s.recent_reasons.clone(),
            recent_cases: s.recent_cases.clone(),
            notify_user: NotifyChoice::Ask,
            demo_site_offered: true,
            managed_account: ManagedAccount::default(),
            locked: Vec::new(),
            check_for_updates: s.check_for_updates,
        }
    }
}

pub fn validate(settings: &Settings) -> Result<()> {
    if !CONCURRENCY_RANGE.contains(&settings.concurrency) {
        return Err(Error::invalid_field(
            InputField::Concurrency,
            format!(
                "Sessions at a time must be between {} and {}.",
                CONCURRENCY_RANGE.start(),
                CONCURRENCY_RANGE.end()
            ),
        ));
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
    profiles::upgrade(&mut settings);
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

/// When the file was last seen as it is now: a change by another program changes one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    std::fs::metadata(path).ok().map(|m| Stamp {
        len: m.len(),
        modified: m.modified().ok(),
    })
}

/// Whether [`SettingsStore::refresh`] must take the file lock, or its caller has dealt with it
/// (a second lock from the same program would wait for the first).
#[derive(Clone, Copy)]
enum Locking {
    Needed,
    Done,
}

/// What this program last read or wrote, and the file as it was then.
struct Cached {
    settings: StoredSettings,
    stamp: Option<Stamp>,
}

/// The settings file, shared with every other program that uses it.
pub struct SettingsStore {
    path: PathBuf,
    notices: Arc<Notices>,
    cached: Mutex<Cached>,
}

impl SettingsStore {
    /// Reads (and if needed repairs) the settings file at `path`; a repair's notice goes to
    /// `notices`, for the officer.
    pub fn open(path: PathBuf, notices: Arc<Notices>) -> SettingsStore {
        let store = SettingsStore {
            path,
            notices,
            cached: Mutex::new(Cached {
                settings: StoredSettings::default(),
                stamp: None,
            }),
        };
        drop(store.refresh(store.lock_cache(), Locking::Needed));
        store
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings as they are in the file now.
    pub fn get(&self) -> StoredSettings {
        self.refresh(self.lock_cache(), Locking::Needed)
            .settings
            .clone()
    }

    /// Applies `f` to the settings in the file and saves them, under the file lock, so a change
    /// saved by another program meanwhile is kept. If saving fails, this program still goes on
    /// with the change for as long as the file is not changed by someone else, so the app keeps
    /// behaving as the officer asked.
    pub fn update(&self, f: impl FnOnce(&mut StoredSettings)) -> Result<StoredSettings> {
        let cached = self.lock_cache();
        let file_lock = self.lock_file();
        let mut cached = self.refresh(cached, Locking::Done);
        f(&mut cached.settings);
        profiles::mirror_legacy(&mut cached.settings);
        let written = match &file_lock {
            Ok(_) => self.write(&cached.settings),
            Err(e) => Err(Error::file_write(&self.path, e)),
        };
        // Stamped after the write: this program's own write is not "a change by someone else".
        cached.stamp = stamp(&self.path);
        drop(file_lock);
        written.map(|()| cached.settings.clone())
    }

    /// Reads the file again if it changed since it was last read or written here. A file that
    /// cannot be read is moved aside (under the file lock, so two programs do not both move it).
    fn refresh<'a>(
        &self,
        mut cached: std::sync::MutexGuard<'a, Cached>,
        locking: Locking,
    ) -> std::sync::MutexGuard<'a, Cached> {
        let now = stamp(&self.path);
        if now.is_some() && now == cached.stamp {
            return cached;
        }
        if now.is_none() && cached.stamp.is_none() {
            // Never written (or the last save failed): what this program has is the truth.
            return cached;
        }
        let lock = match locking {
            Locking::Done => None,
            Locking::Needed => self
                .lock_file()
                .inspect_err(|e| tracing::warn!("settings read without the file lock: {e}"))
                .ok(),
        };
        let loaded = load_or_repair(&self.path, time::OffsetDateTime::now_utc());
        drop(lock);
        if let Some(notice) = loaded.notice {
            self.notices.push(notice);
        }
        cached.settings = loaded.settings;
        cached.stamp = stamp(&self.path);
        cached
    }

    /// Writes the whole file beside it and renames it over the old one. Other top-level keys
    /// of the file are kept.
    fn write(&self, settings: &StoredSettings) -> Result<()> {
        let fail = |e: &dyn std::fmt::Display| Error::file_write(&self.path, e);
        let mut file: serde_json::Map<String, serde_json::Value> = std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        file.insert(
            KEY.to_owned(),
            serde_json::to_value(settings).map_err(|e| fail(&e))?,
        );
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| fail(&e))?;
        replace_file(&self.path, &bytes).map_err(|e| fail(&e))
    }

    /// The OS lock that every program holds while it reads, changes and writes the file. It is
    /// on a file of its own beside the settings, because the settings file itself is replaced.
    fn lock_file(&self) -> std::io::Result<File> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cached> {
        // A panic while holding the lock leaves valid data behind (plain values), so keep going.
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Writes `bytes` to a file beside `path`, syncs it and renames it over `path`, so readers see
/// the old file or the new one, never a mix.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(name);
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::paths::SETTINGS_FILE as FILE_NAME;
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
            ..Settings::from(&StoredSettings::default())
        };
        assert_eq!(validate(&s).expect_err("0").kind(), ErrorKind::InvalidInput);
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

    fn store(dir: &Path) -> (SettingsStore, Arc<Notices>) {
        let notices = Arc::new(Notices::default());
        let store = SettingsStore::open(dir.join(FILE_NAME), Arc::clone(&notices));
        (store, notices)
    }

    #[test]
    fn the_file_keeps_the_store_layout_and_other_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            r#"{"other":{"kept":true},"settings":{"concurrency":8}}"#,
        )
        .expect("write");
        let (store, notices) = store(dir.path());
        assert_eq!(store.get().concurrency, 8);
        store.update(|s| s.concurrency = 12).expect("save");
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(file["other"], serde_json::json!({ "kept": true }));
        assert_eq!(file["settings"]["concurrency"], 12);
        assert_eq!(file["settings"]["notifyUserDefault"], true);
        assert!(notices.all().is_empty());
    }

    /// Two programs on one file (the window and the command-line tool): each sees the other's
    /// saved changes, and changes saved at the same time are all kept.
    #[test]
    fn two_programs_share_the_file_and_lose_no_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (window, _) = store(dir.path());
        let (tool, _) = store(dir.path());
        window.update(|s| s.concurrency = 5).expect("save");
        assert_eq!(
            tool.get().concurrency,
            5,
            "the tool reads the window's change"
        );
        tool.update(|s| s.notify_user_default = false)
            .expect("save");
        let seen = window.get();
        assert_eq!((seen.concurrency, seen.notify_user_default), (5, false));

        // Read-modify-write from both at once: every increment survives.
        let (window, tool) = (Arc::new(window), Arc::new(tool));
        let threads: Vec<_> = [window.clone(), tool.clone(), window.clone(), tool.clone()]
            .into_iter()
            .map(|program| {
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        program
                            .update(|s| s.window.width = Some(s.window.width.unwrap_or(0) + 1))
                            .expect("save");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(window.get().window.width, Some(100));
        assert_eq!(tool.get().window.width, Some(100));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_file_broken_while_running_is_moved_aside_with_a_notice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, notices) = store(dir.path());
        store.update(|s| s.concurrency = 7).expect("save");
        std::fs::write(store.path(), b"{\"settings\": [").expect("break it");
        assert_eq!(store.get(), StoredSettings::default());
        let notices = notices.all();
        assert_eq!(notices.len(), 1);
        assert!(notices[0].starts_with("Your settings file could not be read. It was kept as "));
        store.update(|s| s.concurrency = 9).expect("save again");
        assert_eq!(store.get().concurrency, 9);
    }

    #[test]
    fn a_change_that_cannot_be_saved_still_applies_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A file where the data folder should be: nothing can be written under it.
        let blocker = dir.path().join("data");
        std::fs::write(&blocker, b"not a folder").expect("write");
        let (store, _) = store(&blocker);
        let err = store
            .update(|s| s.concurrency = 3)
            .expect_err("cannot save");
        assert_eq!(err.kind(), ErrorKind::FileWrite);
        assert_eq!(store.get().concurrency, 3);
    }
}
