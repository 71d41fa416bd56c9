//! The one-time move from the app's earlier bundle identifier (`com.recordingdesk.app`, which
//! ends in the macOS application bundle extension) to the current one: the files in its data,
//! config and log folders (settings, the audit trail and its anchor, logs) and the keychain
//! entries the vault owns.
//!
//! Every start runs it, before the settings or the trail are opened, so a move interrupted
//! half-way (a crash, a power cut) finishes next time. It never overwrites what is already at the
//! new place, never removes an old keychain entry before the new one has been read back equal,
//! and only tells the officer when something could not be moved.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::paths::AppPaths;
use crate::settings::{self, StoredSettings};
use crate::vault::{self, KeyringStore, SecretStore, StoreError};

/// The bundle identifier of versions before the change.
pub const OLD_IDENTIFIER: &str = "com.recordingdesk.app";

/// The keychain service of versions before the change (debug builds had their own, as now).
pub const OLD_SERVICE: &str = if cfg!(debug_assertions) {
    "com.recordingdesk.app.dev"
} else {
    OLD_IDENTIFIER
};

/// A keychain waiting on an unlock prompt must not hold up the start; the move is tried again at
/// the next start.
const KEYCHAIN_WAIT: Duration = Duration::from_secs(10);

/// Suffix of a file being copied into place (only when a plain rename is impossible, e.g. the
/// two folders are on different drives).
const PARTIAL_SUFFIX: &str = ".moving";

/// What the move did: the officer reads `notices` (empty unless something could not be moved);
/// the log gets everything.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moved {
    pub files: Vec<PathBuf>,
    pub keychain_entries: Vec<String>,
    pub notices: Vec<String>,
}

/// Moves an install of [`OLD_IDENTIFIER`] on this computer into `paths` and this build's keychain
/// service. Nothing to do (the usual case) costs a few folder look-ups and no keychain access.
pub fn at_startup(paths: &AppPaths) -> Moved {
    let Some(old) = AppPaths::for_identifier(OLD_IDENTIFIER) else {
        return Moved::default();
    };
    let mut moved = files(&old, paths);
    // Read only: a settings file that does not parse is repaired (with its notice) when the desk
    // opens it, and then there is no account whose secret to move.
    let stored = std::fs::read(paths.settings_file())
        .ok()
        .and_then(|bytes| settings::parse(&bytes).ok())
        .unwrap_or_default();
    // The trail's key and anchor are always among the owned entries; the keychain is only asked
    // when there is an install to move (its files, or a saved account whose secret may be left).
    if moved.files.is_empty() && stored.profiles.is_empty() && stored.account.is_none() {
        return moved;
    }
    let keychain = keychain_in_thread(
        KeyringStore::new(OLD_SERVICE),
        KeyringStore::new(vault::SERVICE),
        stored,
        KEYCHAIN_WAIT,
    );
    moved.keychain_entries = keychain.keychain_entries;
    moved.notices.extend(keychain.notices);
    moved
}

/// Moves every file under the `old` folders to the same place under `new`.
pub fn files(old: &AppPaths, new: &AppPaths) -> Moved {
    let mut moved = Moved::default();
    // The trail before its anchor, so a start that stops half-way never leaves an anchor that
    // points at a trail which is not there yet. On some systems two folders are one (Windows,
    // macOS: data = config); on Linux the logs are inside the data folder.
    let mut seen = HashSet::new();
    for (from, to) in [
        (&old.data, &new.data),
        (&old.config, &new.config),
        (&old.log, &new.log),
    ] {
        if from == to || !seen.insert(from.clone()) || !from.is_dir() {
            continue;
        }
        move_folder(from, to, &mut moved);
        remove_empty_folders(from);
    }
    moved
}

fn move_folder(from: &Path, to: &Path, moved: &mut Moved) {
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(folder = %from.display(), "old folder not readable: {e}");
            moved.notices.push(could_not_move(from, to, &e.to_string()));
            return;
        }
    };
    for entry in entries.flatten() {
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            move_folder(&source, &target, moved);
            continue;
        }
        // The window opens its log, and its web view its storage, before the move: an old one
        // of those is kept under another name beside the new one. Only the app's records are
        // worth the officer's attention.
        let target = match move_file(&source, &target) {
            Err(_) if !is_record(&entry.file_name()) => {
                let mut name = std::ffi::OsString::from(format!("{OLD_IDENTIFIER}-"));
                name.push(entry.file_name());
                let renamed = to.join(name);
                move_file(&source, &renamed).map(|()| renamed)
            }
            done => done.map(|()| target),
        };
        match target {
            Err(problem) => {
                tracing::warn!(from = %source.display(), to = %to.display(), "not moved: {problem}");
                moved.notices.push(could_not_move(&source, to, &problem));
            }
            Ok(target) => {
                tracing::info!(from = %source.display(), to = %target.display(), "moved to the new folder");
                moved.files.push(target);
            }
        }
    }
}

/// Moves one file without ever overwriting the target. A target equal to the source is what an
/// interrupted earlier move left: the source is then removed.
fn move_file(source: &Path, target: &Path) -> std::result::Result<(), String> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    if target.exists() {
        return if same_contents(source, target) {
            std::fs::remove_file(source).map_err(|e| e.to_string())
        } else {
            Err("a different file of that name is already at the new place".into())
        };
    }
    // `rename` is atomic and, on Linux and macOS, would replace a target created in the meantime:
    // hard-link first where the file system allows it, which fails if the target exists.
    let mut partial = target.as_os_str().to_owned();
    partial.push(PARTIAL_SUFFIX);
    let partial = PathBuf::from(partial);
    match std::fs::hard_link(source, target) {
        Ok(()) => {
            // A copy an earlier start began and did not finish.
            let _ = std::fs::remove_file(&partial);
            return std::fs::remove_file(source).map_err(|e| e.to_string());
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err("a different file of that name is already at the new place".into())
        }
        Err(_) => {}
    }
    // Another drive, or a file system without hard links: copy beside the target, make it
    // durable, then give it its name only if the name is still free.
    let copy = || -> std::io::Result<()> {
        std::fs::copy(source, &partial)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::hard_link(&partial, target).or_else(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Err(e)
            } else if target.exists() {
                Err(std::io::ErrorKind::AlreadyExists.into())
            } else {
                std::fs::rename(&partial, target)
            }
        })?;
        let _ = std::fs::remove_file(&partial);
        std::fs::remove_file(source)
    };
    copy().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        e.to_string()
    })
}

/// The settings and the audit trail with its anchor, and what the app keeps beside them (the
/// settings moved aside when unreadable, their lock files).
fn is_record(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with("settings") || name.starts_with("audit")
}

fn same_contents(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Removes the old folders once empty (a folder still holding something stays).
fn remove_empty_folders(folder: &Path) {
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                remove_empty_folders(&entry.path());
            }
        }
    }
    if std::fs::remove_dir(folder).is_ok() {
        tracing::info!(folder = %folder.display(), "old folder removed");
    }
}

fn could_not_move(source: &Path, target: &Path, problem: &str) -> String {
    format!(
        "Recording Desk keeps its files in a new folder since this version, but could not move \
         {} to {} ({problem}). Nothing was deleted: the old file is still there. Ask IT to move it \
         by hand, or to keep it if the file at the new place is the one you use.",
        source.display(),
        target.display()
    )
}

/// The keychain half of the move, on a thread of its own so a keychain waiting for an unlock
/// prompt cannot hold up the start for more than `wait`.
fn keychain_in_thread(
    old: impl SecretStore,
    new: impl SecretStore,
    stored: StoredSettings,
    wait: Duration,
) -> Moved {
    if vault::owned_entries(&stored).is_empty() {
        return Moved::default();
    }
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("keychain-move".into())
        .spawn(move || {
            let _ = tx.send(keychain(&old, &new, &stored));
        });
    let answer = match spawned {
        Ok(_) => rx.recv_timeout(wait).ok(),
        Err(_) => None,
    };
    answer.unwrap_or_else(|| {
        tracing::warn!("the keychain did not answer; its entries are moved at the next start");
        Moved {
            notices: vec![format!(
                "Recording Desk could not yet move your saved client secret to its new name in \
                 the keychain, because the keychain did not answer within {} seconds (it may be \
                 locked). Nothing was deleted; the app tries again when it next starts. If it \
                 asks for the client secret meanwhile, unlock the keychain and restart the app \
                 instead.",
                wait.as_secs()
            )],
            ..Moved::default()
        }
    })
}

/// Moves every keychain entry the vault owns from the `old` store to the `new` one.
pub fn keychain(old: &dyn SecretStore, new: &dyn SecretStore, stored: &StoredSettings) -> Moved {
    let mut moved = Moved::default();
    for account in vault::owned_entries(stored) {
        match keychain_entry(old, new, &account) {
            Ok(Some(step)) => {
                tracing::info!(%account, "keychain entry: {step}");
                moved.keychain_entries.push(account);
            }
            Ok(None) => {}
            Err(problem) => {
                tracing::warn!(%account, "keychain entry not moved: {problem}");
                moved.notices.push(format!(
                    "Recording Desk could not move the saved client secret for {account} to its \
                     new name in the keychain ({problem}). Nothing was deleted; the app tries \
                     again when it next starts. If the keychain is locked, unlock it and restart \
                     the app."
                ));
            }
        }
    }
    moved
}

/// One entry: copied, read back, and only then removed from the old place. An entry already at
/// the new place is never replaced; an old one equal to it is what an interrupted move left.
fn keychain_entry(
    old: &dyn SecretStore,
    new: &dyn SecretStore,
    account: &str,
) -> std::result::Result<Option<&'static str>, String> {
    let Some(secret) = old.get(account).map_err(describe)? else {
        return Ok(None);
    };
    if let Some(present) = new.get(account).map_err(describe)? {
        if present.expose() == secret.expose() {
            old.delete(account).map_err(describe)?;
            return Ok(Some("finished an earlier move"));
        }
        tracing::info!(%account, "a newer secret is already at the new place; the old one is kept");
        return Ok(None);
    }
    new.set(account, &secret).map_err(describe)?;
    match new.get(account).map_err(describe)? {
        Some(read) if read.expose() == secret.expose() => {}
        _ => return Err("the keychain did not give back what was stored".into()),
    }
    old.delete(account).map_err(describe)?;
    Ok(Some("moved"))
}

fn describe(e: StoreError) -> String {
    match e {
        StoreError::Unavailable(detail) => format!("the keychain is unavailable: {detail}"),
        StoreError::Locked(detail) => format!("the keychain is locked: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::StoredAccount;
    use citrix_cloud::{Region, Secret};
    use std::fs;

    /// The Linux layout (logs inside the data folder), under `root`.
    fn linux_layout(root: &Path) -> AppPaths {
        AppPaths {
            data: root.join("share"),
            config: root.join("config"),
            log: root.join("share").join("logs"),
        }
    }

    /// An earlier install (settings, a trail, its anchor and a log) and an empty place for the
    /// new one, in folders removed when the first value is dropped.
    fn old_install() -> ([tempfile::TempDir; 2], AppPaths, AppPaths) {
        let roots = [
            tempfile::tempdir().expect("tmp"),
            tempfile::tempdir().expect("tmp"),
        ];
        let (old, new) = (linux_layout(roots[0].path()), linux_layout(roots[1].path()));
        fs::create_dir_all(&old.log).expect("folders");
        fs::create_dir_all(&old.config).expect("folders");
        fs::write(old.settings_file(), r#"{"settings":{"concurrency":7}}"#).expect("write");
        fs::write(old.audit_file(), "{\"record\":1}\n{\"record\":2}\n").expect("write");
        fs::write(old.anchor_file(), "2 abc\n").expect("write");
        fs::write(old.log.join("recording-desk.log"), "old log\n").expect("write");
        (roots, old, new)
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn every_file_moves_and_a_second_start_finds_nothing_to_do() {
        let (_roots, old, new) = old_install();
        // The window has already opened its new log when the move runs.
        fs::create_dir_all(&new.log).expect("folders");
        fs::write(new.log.join("recording-desk.log"), "new log\n").expect("write");
        // ... and its web view its storage.
        fs::create_dir_all(old.data.join("storage")).expect("folders");
        fs::create_dir_all(new.data.join("storage")).expect("folders");
        fs::write(old.data.join("storage/salt"), "old").expect("write");
        fs::write(new.data.join("storage/salt"), "new").expect("write");

        let moved = files(&old, &new);
        assert!(moved.notices.is_empty(), "{:?}", moved.notices);
        assert_eq!(moved.files.len(), 5, "{:?}", moved.files);
        assert_eq!(read(&new.data.join("storage/salt")), "new");
        assert_eq!(
            read(&new.data.join("storage/com.recordingdesk.app-salt")),
            "old"
        );
        assert_eq!(
            read(&new.settings_file()),
            r#"{"settings":{"concurrency":7}}"#
        );
        assert_eq!(read(&new.audit_file()), "{\"record\":1}\n{\"record\":2}\n");
        assert_eq!(read(&new.anchor_file()), "2 abc\n");
        assert_eq!(read(&new.log.join("recording-desk.log")), "new log\n");
        assert_eq!(
            read(&new.log.join("com.recordingdesk.app-recording-desk.log")),
            "old log\n"
        );
        assert!(
            !old.data.exists() && !old.config.exists(),
            "old folders left behind"
        );

        assert_eq!(files(&old, &new), Moved::default());
        assert_eq!(read(&new.audit_file()), "{\"record\":1}\n{\"record\":2}\n");
    }

    #[test]
    fn a_move_interrupted_half_way_finishes_at_the_next_start() {
        let (_roots, old, new) = old_install();
        // Stopped after: the settings moved; the trail copied but not yet removed (another
        // drive); the anchor's copy begun and cut off.
        fs::create_dir_all(&new.data).expect("folders");
        fs::create_dir_all(&new.config).expect("folders");
        fs::rename(old.settings_file(), new.settings_file()).expect("rename");
        fs::copy(old.audit_file(), new.audit_file()).expect("copy");
        fs::write(new.config.join("audit.head.moving"), "2 a").expect("write");

        let moved = files(&old, &new);
        assert!(moved.notices.is_empty(), "{:?}", moved.notices);
        assert_eq!(
            read(&new.settings_file()),
            r#"{"settings":{"concurrency":7}}"#
        );
        assert_eq!(read(&new.audit_file()), "{\"record\":1}\n{\"record\":2}\n");
        assert_eq!(read(&new.anchor_file()), "2 abc\n");
        assert!(
            !new.config.join("audit.head.moving").exists(),
            "partial copy left"
        );
        assert!(
            !old.data.exists() && !old.config.exists(),
            "old folders left behind"
        );
    }

    #[test]
    fn newer_data_at_the_new_place_is_never_overwritten() {
        let (_roots, old, new) = old_install();
        fs::create_dir_all(&new.data).expect("folders");
        fs::write(new.audit_file(), "{\"record\":\"newer\"}\n").expect("write");

        let moved = files(&old, &new);
        assert_eq!(read(&new.audit_file()), "{\"record\":\"newer\"}\n");
        assert_eq!(read(&old.audit_file()), "{\"record\":1}\n{\"record\":2}\n");
        assert_eq!(moved.notices.len(), 1, "{:?}", moved.notices);
        let notice = &moved.notices[0];
        assert!(
            notice.contains(&old.audit_file().display().to_string()),
            "{notice}"
        );
        assert!(notice.contains("Nothing was deleted"), "{notice}");
        // The rest moved.
        assert_eq!(
            read(&new.settings_file()),
            r#"{"settings":{"concurrency":7}}"#
        );
        assert_eq!(read(&new.anchor_file()), "2 abc\n");
        assert!(old.data.is_dir(), "the folder holding the kept trail stays");
    }

    fn with_account(customer: &str, client: &str) -> StoredSettings {
        StoredSettings {
            account: Some(StoredAccount {
                region: Region::Eu,
                customer_id: customer.into(),
                client_id: client.into(),
                secret_stored: true,
            }),
            ..StoredSettings::default()
        }
    }

    /// Against the real platform keychain, under two services of this test's own.
    #[test]
    fn keychain_entries_move_once_verified_and_survive_an_interrupted_move() {
        if vault::no_keychain_here("keychain move") {
            return;
        }
        let run = uuid::Uuid::new_v4();
        let old = KeyringStore::new(format!("{}.test-old-{run}", vault::SERVICE));
        let new = KeyringStore::new(format!("{}.test-new-{run}", vault::SERVICE));
        let stored = with_account("acme", "client-1");
        let account = vault::account("acme", "client-1");
        let secret = Secret::new("s3cr=t ünïcode".into());
        let get = |store: &KeyringStore| {
            store
                .get(&account)
                .expect("get")
                .map(|s| s.expose().to_owned())
        };

        // Moved, and the old entry removed.
        old.set(&account, &secret).expect("set");
        let moved = keychain(&old, &new, &stored);
        assert_eq!(moved.keychain_entries, vec![account.clone()]);
        assert!(moved.notices.is_empty(), "{:?}", moved.notices);
        assert_eq!(get(&new).as_deref(), Some("s3cr=t ünïcode"));
        assert_eq!(get(&old), None);

        // Already moved: nothing to do.
        assert_eq!(keychain(&old, &new, &stored), Moved::default());
        assert_eq!(get(&new).as_deref(), Some("s3cr=t ünïcode"));

        // Interrupted after the copy, before the old entry was removed.
        old.set(&account, &secret).expect("set");
        let moved = keychain(&old, &new, &stored);
        assert_eq!(moved.keychain_entries, vec![account.clone()]);
        assert_eq!(get(&old), None);
        assert_eq!(get(&new).as_deref(), Some("s3cr=t ünïcode"));

        // A newer secret at the new place (entered again with the new version) is kept; so is
        // the old one, untouched.
        old.set(&account, &Secret::new("older".into()))
            .expect("set");
        let moved = keychain(&old, &new, &stored);
        assert!(
            moved.keychain_entries.is_empty() && moved.notices.is_empty(),
            "{moved:?}"
        );
        assert_eq!(get(&new).as_deref(), Some("s3cr=t ünïcode"));
        assert_eq!(get(&old).as_deref(), Some("older"));

        old.delete(&account).expect("clean up");
        new.delete(&account).expect("clean up");
    }

    /// A keychain that refuses: the officer is told, and nothing is removed.
    #[test]
    fn a_locked_keychain_keeps_the_old_entry_and_says_what_to_do() {
        let old = vault::memory::MemoryStore::default();
        let account = vault::account("acme", "client-1");
        old.set(&account, &Secret::new("s".into())).expect("set");
        let locked = vault::memory::MemoryStore {
            fail_locked: true,
            ..Default::default()
        };
        let moved = keychain(&old, &locked, &with_account("acme", "client-1"));
        assert_eq!(moved.notices.len(), 1, "{moved:?}");
        assert!(
            moved.notices[0].contains("unlock it and restart"),
            "{}",
            moved.notices[0]
        );
        assert_eq!(
            old.get(&account)
                .expect("get")
                .map(|s| s.expose().to_owned())
                .as_deref(),
            Some("s")
        );
    }

    #[test]
    fn the_old_identifier_is_not_the_new_one() {
        assert_ne!(OLD_IDENTIFIER, crate::paths::IDENTIFIER);
        assert!(!crate::paths::IDENTIFIER.ends_with(".app"));
    }
}
