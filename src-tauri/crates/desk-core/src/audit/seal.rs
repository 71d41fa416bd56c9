//! The trail's key and anchor, kept in the OS keychain (through the vault's [`SecretStore`]), not
//! in a file: someone who can only change files cannot forge a record or move the end of the
//! trail.
//!
//! - The **key** is created on first use, per installation: 32 random bytes and the trail's
//!   identifier (`trailId`). Each record written since is sealed with HMAC-SHA256 under it and
//!   names the identifier (`keyId`), so a record sealed elsewhere is recognised as such.
//! - The **anchor** is the head of the trail: the identifier, the last record's number and its
//!   seal. It catches records cut from the end, and a trail swapped for another one.
//!
//! Both live in their own keychain entries, never cross IPC and are never logged.

use std::fmt::Write as _;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use citrix_cloud::Secret;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::vault::{SecretStore, StoreError};

/// The keychain entry (account) that holds the trail's key.
pub const KEY_ENTRY: &str = "audit-trail/key";
/// The keychain entry that holds the trail's anchor.
pub const ANCHOR_ENTRY: &str = "audit-trail/anchor";

/// A keychain that waits on an unlock prompt must not hold up the writer forever.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The installation's key. No `Debug`, no `Serialize`: it is only ever turned into the keychain
/// entry's text, by [`TrailKey::to_secret`].
#[derive(Clone)]
pub struct TrailKey {
    pub id: String,
    key: [u8; 32],
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredKey {
    trail_id: String,
    key: String,
}

impl TrailKey {
    /// A new key from the OS's random source, with a new trail identifier.
    pub fn generate() -> Result<TrailKey, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no random numbers from the OS ({e})"))?;
        Ok(TrailKey {
            id: uuid::Uuid::new_v4().to_string(),
            key,
        })
    }

    fn to_secret(&self) -> Secret {
        let stored = StoredKey {
            trail_id: self.id.clone(),
            key: hex(&self.key),
        };
        Secret::new(serde_json::to_string(&stored).unwrap_or_default())
    }

    fn from_secret(secret: &Secret) -> Result<TrailKey, String> {
        let stored: StoredKey = serde_json::from_str(secret.expose())
            .map_err(|_| "the keychain's entry for the key is not one Recording Desk wrote")?;
        let bytes = unhex(&stored.key)
            .filter(|b| b.len() == 32)
            .ok_or("the keychain's entry for the key is not one Recording Desk wrote")?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(TrailKey {
            id: stored.trail_id,
            key,
        })
    }

    /// HMAC-SHA256 (hex) of `bytes` under this key.
    pub(super) fn seal(&self, bytes: &[u8]) -> String {
        // HMAC takes a key of any length; 32 bytes cannot be refused.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(bytes);
        hex(&mac.finalize().into_bytes())
    }

    /// Whether `seal` is this key's seal of `bytes`, compared in constant time.
    pub(super) fn verifies(&self, bytes: &[u8], seal: &str) -> bool {
        let Some(expected) = unhex(seal) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(bytes);
        mac.verify_slice(&expected).is_ok()
    }
}

/// The head of the trail as noted in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anchor {
    pub trail_id: String,
    pub seq: u64,
    pub seal: String,
}

/// Gives the trail's entries a namespace of their own (`audit-trail/<namespace>/key`): tests
/// that play several computers on one keychain set it per computer. Unset in normal use.
pub const NAMESPACE_ENV: &str = "RECORDING_DESK_TRAIL_NAMESPACE";

/// The trail's two keychain entries.
#[derive(Clone)]
pub struct TrailSeals {
    store: Arc<dyn SecretStore>,
    key_entry: String,
    anchor_entry: String,
}

impl TrailSeals {
    pub fn new(store: Arc<dyn SecretStore>) -> TrailSeals {
        TrailSeals {
            store,
            key_entry: KEY_ENTRY.to_owned(),
            anchor_entry: ANCHOR_ENTRY.to_owned(),
        }
    }

    /// Entries under `namespace` (see [`NAMESPACE_ENV`]); `None` or empty: the usual ones.
    pub fn in_namespace(store: Arc<dyn SecretStore>, namespace: Option<&str>) -> TrailSeals {
        match namespace.map(str::trim).filter(|n| !n.is_empty()) {
            Some(ns) => TrailSeals {
                store,
                key_entry: format!("audit-trail/{ns}/key"),
                anchor_entry: format!("audit-trail/{ns}/anchor"),
            },
            None => TrailSeals::new(store),
        }
    }

    /// The key, if this installation has one; `Err` says why the keychain could not tell.
    pub fn key(&self) -> Result<Option<TrailKey>, String> {
        let entry = self.key_entry.clone();
        match self.call(move |s| s.get(&entry))? {
            Some(secret) => TrailKey::from_secret(&secret).map(Some),
            None => Ok(None),
        }
    }

    /// Creates and stores a new key (replacing any), and reads it back, so a key the keychain
    /// did not keep is never used to seal.
    pub fn create_key(&self) -> Result<TrailKey, String> {
        let key = TrailKey::generate()?;
        let secret = key.to_secret();
        let entry = self.key_entry.clone();
        self.call(move |s| s.set(&entry, &secret))?;
        match self.key()? {
            Some(stored) if stored.id == key.id => Ok(stored),
            _ => Err("the keychain did not keep the new key".to_owned()),
        }
    }

    pub fn anchor(&self) -> Result<Option<Anchor>, String> {
        let entry = self.anchor_entry.clone();
        match self.call(move |s| s.get(&entry))? {
            Some(secret) => serde_json::from_str(secret.expose())
                .map(Some)
                .map_err(|_| "the keychain's note of the last record is not readable".to_owned()),
            None => Ok(None),
        }
    }

    pub fn set_anchor(&self, anchor: &Anchor) -> Result<(), String> {
        let secret = Secret::new(serde_json::to_string(anchor).map_err(|e| e.to_string())?);
        let entry = self.anchor_entry.clone();
        self.call(move |s| s.set(&entry, &secret))
    }

    /// Runs one keychain call on a thread of its own, giving up after [`KEYCHAIN_TIMEOUT`].
    /// Removes both entries (tests and benchmarks that made their own).
    pub fn delete_all(&self) -> Result<(), String> {
        for entry in [self.key_entry.clone(), self.anchor_entry.clone()] {
            self.call(move |s| s.delete(&entry))?;
        }
        Ok(())
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let store = Arc::clone(&self.store);
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("audit-keychain".into())
            .spawn(move || {
                let _ = tx.send(f(store.as_ref()));
            })
            .map_err(|e| format!("the keychain could not be asked ({e})"))?;
        match rx.recv_timeout(KEYCHAIN_TIMEOUT) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(StoreError::Locked(detail))) => Err(format!(
                "the keychain is locked or refused access; unlock it and try again ({detail})"
            )),
            Ok(Err(StoreError::Unavailable(detail))) => {
                Err(format!("the keychain could not be used ({detail})"))
            }
            Err(_) => Err(format!(
                "the keychain did not answer within {} seconds; it may be waiting for you to \
                 unlock it",
                KEYCHAIN_TIMEOUT.as_secs()
            )),
        }
    }
}

/// Notes the anchor in the keychain on a thread of its own, so a run never waits for the
/// keychain: each write of records hands over its new head, and the thread writes the latest one
/// waiting, at most once per [`ANCHOR_INTERVAL`] (a keychain write costs the keychain's daemon
/// CPU time that a busy run on a small machine needs; a batch of records is far cheaper). The
/// anchor can therefore lag the file by the records of that interval, as it can after a crash;
/// the checks accept an anchor that lags, never one that leads. Dropping it writes what is still
/// waiting, at once.
const ANCHOR_INTERVAL: Duration = Duration::from_millis(200);

pub(super) struct AnchorNoter {
    shared: Arc<(Mutex<Noting>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Noting {
    waiting: Option<Anchor>,
    /// An anchor is being written right now.
    busy: bool,
    closing: bool,
}

impl AnchorNoter {
    pub(super) fn start(seals: TrailSeals) -> AnchorNoter {
        let shared = Arc::new((Mutex::new(Noting::default()), Condvar::new()));
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("audit-anchor".into())
            .spawn(move || note_anchors(&seals, &theirs))
            .inspect_err(|e| tracing::error!("the audit anchor cannot be noted: {e}"))
            .ok();
        AnchorNoter { shared, thread }
    }

    /// Hands over the new head; an older one still waiting is dropped.
    pub(super) fn note(&self, anchor: Anchor) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).waiting = Some(anchor);
        wake.notify_all();
    }

    /// Waits until nothing is waiting or being written.
    pub(super) fn flush(&self) {
        if self.thread.is_none() {
            return;
        }
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        while state.waiting.is_some() || state.busy {
            state = wake.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for AnchorNoter {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).closing = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn note_anchors(seals: &TrailSeals, shared: &(Mutex<Noting>, Condvar)) {
    let (lock, wake) = shared;
    let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
    let mut last_write: Option<std::time::Instant> = None;
    loop {
        let now = std::time::Instant::now();
        let due = last_write
            .map(|t| t + ANCHOR_INTERVAL)
            .filter(|due| *due > now);
        if let (Some(due), false, true) = (due, state.closing, state.waiting.is_some()) {
            // More heads may arrive meanwhile; only the latest is written.
            state = wake
                .wait_timeout(state, due - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
            continue;
        }
        if let Some(anchor) = state.waiting.take() {
            state.busy = true;
            drop(state);
            if let Err(e) = seals.set_anchor(&anchor) {
                // The records are on disk; only the check of the latest ones waits for the next
                // anchor that can be written.
                tracing::error!(
                    seq = anchor.seq,
                    "audit anchor not updated in the keychain: {e}"
                );
            }
            last_write = Some(std::time::Instant::now());
            state = lock.lock().unwrap_or_else(|p| p.into_inner());
            state.busy = false;
            wake.notify_all();
            continue;
        }
        if state.closing {
            return;
        }
        state = wake.wait(state).unwrap_or_else(|p| p.into_inner());
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::memory::MemoryStore;

    #[test]
    fn a_key_round_trips_through_the_keychain_and_seals_verifiably() {
        let seals = TrailSeals::new(Arc::new(MemoryStore::default()));
        assert!(seals.key().expect("key").is_none());
        let key = seals.create_key().expect("create");
        let again = seals.key().expect("key").expect("stored");
        assert_eq!(again.id, key.id);
        let seal = key.seal(b"record");
        assert_eq!(seal.len(), 64);
        assert!(again.verifies(b"record", &seal));
        assert!(!again.verifies(b"recorD", &seal));
        let other = TrailKey::generate().expect("key");
        assert!(!other.verifies(b"record", &seal));
    }
}
