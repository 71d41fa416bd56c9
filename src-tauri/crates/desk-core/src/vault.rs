//! The client secret lives in the OS keychain (macOS Keychain, Windows Credential Manager, the
//! Secret Service on Linux) and nowhere else: not in settings, not in logs, never over IPC. So do
//! the audit trail's key and anchor (their own entries, see `audit::TrailSeals`).

use std::sync::Arc;
use std::time::Duration;

use citrix_cloud::Secret;

use crate::error::{Error, Result};

/// Keychain entries are namespaced by the bundle identifier; debug builds use their own so a
/// developer's test runs never overwrite the secret of the installed app.
pub const SERVICE: &str = if cfg!(debug_assertions) {
    concat!(crate::bundle_identifier!(), ".dev")
} else {
    crate::bundle_identifier!()
};

/// A locked keychain can wait on a password prompt forever; the app gives up after this and says so.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The keychain account: one entry per customer and API client.
pub fn account(customer_id: &str, client_id: &str) -> String {
    format!("{customer_id}/{client_id}")
}

/// Every keychain entry the app owns, for moving them together when the app's identifier
/// changes (see `migrate`). An owner of a new entry adds it here.
/// Every saved profile's secret is one; so is an earlier version's one saved account, which a
/// file read without [`crate::settings::parse`] may still hold outside the profiles.
pub fn owned_entries(stored: &crate::settings::StoredSettings) -> Vec<String> {
    let mut entries: Vec<String> = stored
        .profiles
        .iter()
        .map(|p| p.keychain_entry())
        .chain(
            stored
                .account
                .iter()
                .map(|a| account(&a.customer_id, &a.client_id)),
        )
        .collect();
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.clone()));
    entries.extend([
        crate::audit::KEY_ENTRY.to_owned(),
        crate::audit::ANCHOR_ENTRY.to_owned(),
    ]);
    entries
}

/// A failure of the platform store, before it is turned into an [`Error`] for the UI.
#[derive(Debug)]
pub enum StoreError {
    /// No keychain service, or it failed.
    Unavailable(String),
    /// The keychain exists but is locked or refused access.
    Locked(String),
}

/// Blocking access to a secret store. The keyring implementation is the real one; tests may use
/// an in-memory one.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, account: &str) -> std::result::Result<Option<Secret>, StoreError>;
    fn set(&self, account: &str, secret: &Secret) -> std::result::Result<(), StoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, account: &str) -> std::result::Result<(), StoreError>;
}

/// The OS keychain through the `keyring` crate.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> std::result::Result<keyring::Entry, StoreError> {
        keyring::Entry::new(&self.service, account).map_err(store_error)
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, account: &str) -> std::result::Result<Option<Secret>, StoreError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(Secret::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    fn set(&self, account: &str, secret: &Secret) -> std::result::Result<(), StoreError> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(store_error)
    }

    fn delete(&self, account: &str) -> std::result::Result<(), StoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

fn store_error(e: keyring::Error) -> StoreError {
    match e {
        keyring::Error::NoStorageAccess(inner) => StoreError::Locked(inner.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// The app's handle on the keychain: every call runs on a blocking thread with a timeout, so a
/// keychain that waits for an unlock prompt cannot freeze the app.
#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn SecretStore>,
    timeout: Duration,
}

impl Vault {
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        Self {
            store,
            timeout: KEYCHAIN_TIMEOUT,
        }
    }

    pub fn keyring() -> Self {
        Self::new(Arc::new(KeyringStore::new(SERVICE)))
    }

    /// The store itself, for the audit trail's writer thread, which calls it with its own
    /// timeout (see `audit::TrailSeals`).
    pub fn store(&self) -> Arc<dyn SecretStore> {
        Arc::clone(&self.store)
    }

    pub async fn get(&self, account: &str) -> Result<Option<Secret>> {
        let account = account.to_owned();
        self.blocking(move |s| s.get(&account)).await
    }

    pub async fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        let (account, secret) = (account.to_owned(), secret.clone());
        self.blocking(move |s| s.set(&account, &secret)).await
    }

    pub async fn delete(&self, account: &str) -> Result<()> {
        let account = account.to_owned();
        self.blocking(move |s| s.delete(&account)).await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> std::result::Result<T, StoreError> + Send + 'static,
    ) -> Result<T> {
        let store = Arc::clone(&self.store);
        let task = tokio::task::spawn_blocking(move || f(store.as_ref()));
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result.map_err(to_error),
            Ok(Err(join)) => Err(Error::KeychainUnavailable(format!(
                "The keychain request failed unexpectedly ({join}). Try again."
            ))),
            Err(_) => Err(Error::KeychainLocked(format!(
                "The {KEYCHAIN_NAME} did not answer within {} seconds. It may be waiting for you to \
                 unlock it: look for a password prompt, unlock the keychain and try again.",
                self.timeout.as_secs()
            ))),
        }
    }
}

#[cfg(target_os = "macos")]
const KEYCHAIN_NAME: &str = "macOS Keychain";
#[cfg(target_os = "windows")]
const KEYCHAIN_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const KEYCHAIN_NAME: &str = "system keychain (Secret Service)";

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const UNAVAILABLE_ADVICE: &str =
    "Make sure a keyring such as GNOME Keyring or KWallet is installed \
    and running in your desktop session, then try again.";
#[cfg(any(target_os = "macos", target_os = "windows"))]
const UNAVAILABLE_ADVICE: &str =
    "Try again; if it keeps failing, restart the computer or ask IT to check the keychain.";

fn to_error(e: StoreError) -> Error {
    match e {
        StoreError::Unavailable(detail) => Error::KeychainUnavailable(format!(
            "Recording Desk could not use the {KEYCHAIN_NAME}. {UNAVAILABLE_ADVICE} (Details: {detail})"
        )),
        StoreError::Locked(detail) => Error::KeychainLocked(format!(
            "The {KEYCHAIN_NAME} is locked or refused access. Unlock it (log in to your keyring or \
             unlock the login keychain) and try again. (Details: {detail})"
        )),
    }
}

/// Whether a test of the real keychain must be skipped: only on a Linux developer machine without
/// a Secret Service; CI sets RECORDING_DESK_REQUIRE_KEYCHAIN so the test must run there.
#[cfg(test)]
pub(crate) fn no_keychain_here(test: &str) -> bool {
    #[cfg(target_os = "linux")]
    if std::env::var_os("RECORDING_DESK_REQUIRE_KEYCHAIN").is_none()
        && !test_support::secret_service_reachable()
    {
        eprintln!(
            "SKIPPED {test}: no Secret Service on the session bus \
             (set RECORDING_DESK_REQUIRE_KEYCHAIN=1 to make this a failure)"
        );
        return true;
    }
    let _ = test;
    false
}

#[cfg(all(test, target_os = "linux"))]
mod test_support {
    /// Whether a Secret Service is running on (or can be started by) the session bus, asked with
    /// `dbus-send` rather than through the code under test.
    #[cfg(target_os = "linux")]
    pub fn secret_service_reachable() -> bool {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return false;
        }
        let ask = |args: &[&str]| {
            std::process::Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                ])
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        ask(&[
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .contains("boolean true")
            || ask(&["org.freedesktop.DBus.ListActivatableNames"])
                .contains("\"org.freedesktop.secrets\"")
    }
}

#[cfg(test)]
pub mod memory {
    //! An in-memory store for tests of code that uses the vault.
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct MemoryStore {
        pub entries: Mutex<HashMap<String, String>>,
        /// When set, every call fails with this.
        pub fail_locked: bool,
    }

    impl SecretStore for MemoryStore {
        fn get(&self, account: &str) -> std::result::Result<Option<Secret>, StoreError> {
            if self.fail_locked {
                return Err(StoreError::Locked("locked".into()));
            }
            let entries = self.entries.lock().expect("lock");
            Ok(entries.get(account).map(|s| Secret::new(s.clone())))
        }
        fn set(&self, account: &str, secret: &Secret) -> std::result::Result<(), StoreError> {
            if self.fail_locked {
                return Err(StoreError::Locked("locked".into()));
            }
            let mut entries = self.entries.lock().expect("lock");
            entries.insert(account.to_owned(), secret.expose().to_owned());
            Ok(())
        }
        fn delete(&self, account: &str) -> std::result::Result<(), StoreError> {
            self.entries.lock().expect("lock").remove(account);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::sync::Mutex;

    /// Blocks like a keychain waiting on an unlock prompt nobody answers, until the test lets go
    /// (a blocking task that never ends would keep the test's runtime from shutting down).
    struct HangingStore {
        release: Mutex<std::sync::mpsc::Receiver<()>>,
    }
    impl SecretStore for HangingStore {
        fn get(&self, _: &str) -> std::result::Result<Option<Secret>, StoreError> {
            let _ = self.release.lock().expect("lock").recv();
            Ok(None)
        }
        fn set(&self, _: &str, _: &Secret) -> std::result::Result<(), StoreError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> std::result::Result<(), StoreError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_hanging_keychain_times_out_as_locked() {
        let (release, wait) = std::sync::mpsc::channel();
        let vault = Vault {
            store: Arc::new(HangingStore {
                release: Mutex::new(wait),
            }),
            timeout: Duration::from_millis(50),
        };
        let err = vault.get("c/x").await.expect_err("must time out");
        assert_eq!(err.kind(), ErrorKind::KeychainLocked);
        assert!(err.message().contains("unlock"), "{}", err.message());
        drop(release);
    }

    #[tokio::test]
    async fn a_locked_store_maps_to_keychain_locked() {
        let store = memory::MemoryStore {
            fail_locked: true,
            ..Default::default()
        };
        let vault = Vault::new(Arc::new(store));
        let err = vault.get("c/x").await.expect_err("locked");
        assert_eq!(err.kind(), ErrorKind::KeychainLocked);
    }

    #[test]
    fn debug_builds_use_their_own_keychain_namespace() {
        assert_eq!(SERVICE, "com.recordingdesk.desk.dev");
        assert_eq!(account("cust", "client"), "cust/client");
    }

    /// Round trip against the real platform keychain: the Secret Service on Linux, the Keychain
    /// on macOS, the Credential Manager on Windows. Skipped only on a Linux developer machine
    /// without a Secret Service; CI sets RECORDING_DESK_REQUIRE_KEYCHAIN so it must run there.
    #[tokio::test]
    async fn vault_round_trip_against_the_real_platform_keychain() {
        if no_keychain_here("vault round trip") {
            return;
        }
        let vault = Vault::new(Arc::new(KeyringStore::new(format!("{SERVICE}.test"))));
        let account = account(
            "test-customer",
            &format!("round-trip-{}", uuid::Uuid::new_v4()),
        );

        assert!(vault.get(&account).await.expect("get before set").is_none());
        vault
            .set(&account, &Secret::new("s3cr=t with spaces/ünïcode".into()))
            .await
            .expect("set");
        let got = vault.get(&account).await.expect("get").expect("stored");
        assert_eq!(got.expose(), "s3cr=t with spaces/ünïcode");

        vault
            .set(&account, &Secret::new("replaced".into()))
            .await
            .expect("overwrite");
        let got = vault.get(&account).await.expect("get").expect("stored");
        assert_eq!(got.expose(), "replaced");

        vault.delete(&account).await.expect("delete");
        assert!(vault
            .get(&account)
            .await
            .expect("get after delete")
            .is_none());
        vault
            .delete(&account)
            .await
            .expect("deleting twice is fine");
    }

    /// With no Secret Service at all (no session bus), the officer gets the "keychain
    /// unavailable" advice rather than a hang or a crash. Run in a child process, because the
    /// bus address is read from the environment, which the other tests share.
    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_secret_service_the_vault_says_keychain_unavailable() {
        let exe = std::env::current_exe().expect("test binary path");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "vault::tests::child_vault_without_secret_service",
                "--ignored",
                "--nocapture",
            ])
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/recording-desk-test-bus",
            )
            .output()
            .expect("child test runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed:\n{text}");
        assert!(text.contains("1 passed"), "child test did not run:\n{text}");
    }

    #[tokio::test]
    #[ignore = "run by without_a_secret_service_the_vault_says_keychain_unavailable"]
    async fn child_vault_without_secret_service() {
        let vault = Vault::new(Arc::new(KeyringStore::new(format!("{SERVICE}.test"))));
        let err = vault
            .get(&account("test-customer", "no-bus"))
            .await
            .expect_err("no Secret Service");
        assert_eq!(err.kind(), ErrorKind::KeychainUnavailable, "{err:?}");
        let err = vault
            .set(
                &account("test-customer", "no-bus"),
                &Secret::new("x".into()),
            )
            .await
            .expect_err("no Secret Service");
        assert_eq!(err.kind(), ErrorKind::KeychainUnavailable, "{err:?}");
    }
}
