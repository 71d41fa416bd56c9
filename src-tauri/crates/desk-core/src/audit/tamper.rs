//! Every way of tampering the trail claims to detect, tried against a real keychain (the Secret
//! Service on Linux; each test in a keychain namespace of its own), and the ways it does not
//! claim to detect, shown so the limits written in the admin guide stay true.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::chain::{hash_record, ChainState};
use super::testing::*;
use super::{AuditEvent, AuditLog, AuditRecord, Scan, TrailSeals};
use crate::paths::{ANCHOR_FILE, AUDIT_FILE};
use crate::vault::{self, KeyringStore, SecretStore};

/// A keychain namespace of the test's own on the real platform keychain, removed afterwards;
/// `None` (skipped) only on a Linux developer machine without a Secret Service.
struct Keychain {
    store: Arc<dyn SecretStore>,
}

impl Keychain {
    fn real(test: &str) -> Option<Keychain> {
        if vault::no_keychain_here(test) {
            return None;
        }
        let service = format!("{}.test-{}", vault::SERVICE, uuid::Uuid::new_v4());
        Some(Keychain {
            store: Arc::new(KeyringStore::new(service)),
        })
    }

    fn seals(&self) -> TrailSeals {
        TrailSeals::new(self.store.clone())
    }
}

impl Drop for Keychain {
    fn drop(&mut self) {
        let _ = self.seals().delete_all();
    }
}

/// One installation: its folders and its keychain.
struct Install {
    dir: tempfile::TempDir,
    keychain: Keychain,
}

impl Install {
    fn new(test: &str, records: usize) -> Option<Install> {
        let install = Install {
            dir: tempfile::tempdir().expect("tempdir"),
            keychain: Keychain::real(test)?,
        };
        fill(&install.log(), records);
        Some(install)
    }

    /// The log as the app opens it: a new object each time, so nothing is remembered between.
    fn log(&self) -> AuditLog {
        sealed_log(self.dir.path(), &self.keychain.store)
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("data").join(AUDIT_FILE)
    }

    fn scan(&self) -> Scan {
        self.log().scan().expect("scan")
    }

    fn lines(&self) -> Vec<String> {
        read_lines(&self.file())
    }

    fn write_lines(&self, lines: &[String]) {
        std::fs::write(self.file(), lines.join("\n") + "\n").expect("write");
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The trail is reported altered from record `seq`, and the message says `says`.
fn altered_at(scan: &Scan, seq: u64, says: &str) {
    assert_eq!(
        scan.chain.state,
        ChainState::Altered,
        "{}",
        scan.chain.message
    );
    assert!(!scan.chain.intact);
    assert_eq!(scan.chain.broken_at, Some(seq), "{}", scan.chain.message);
    assert!(scan.chain.message.contains(says), "{}", scan.chain.message);
}

fn intact(scan: &Scan) {
    assert_eq!(
        scan.chain.state,
        ChainState::Intact,
        "{}",
        scan.chain.message
    );
}

fn end_unverified(scan: &Scan, why: &str) {
    assert_eq!(
        scan.chain.state,
        ChainState::EndUnverified,
        "{}",
        scan.chain.message
    );
    assert!(!scan.chain.intact);
    assert!(
        scan.chain
            .message
            .starts_with("The end of the trail cannot be verified"),
        "{}",
        scan.chain.message
    );
    assert!(scan.chain.message.contains(why), "{}", scan.chain.message);
}

#[test]
fn a_sealed_trail_is_intact_keyed_and_anchored_in_the_keychain() {
    let Some(pc) = Install::new("sealed trail", 3) else {
        return;
    };
    let scan = pc.scan();
    intact(&scan);
    assert_eq!(scan.chain.message, "All 3 records are intact.");
    assert_eq!(scan.chain.keyed_from, Some(1));
    let key = pc.keychain.seals().key().expect("key").expect("created");
    assert!(scan
        .records
        .iter()
        .all(|r| r.key_id.as_deref() == Some(&key.id)));
    assert_eq!(scan.records[0].api_host.as_deref(), Some("api.cloud.com"));
    let anchor = pc.log().anchor().expect("anchor in the keychain");
    assert_eq!(
        (anchor.trail_id.as_str(), anchor.seq, anchor.seal.as_str()),
        (key.id.as_str(), 3, scan.records[2].hash.as_str())
    );
    // Nothing of the head is written next to the trail any more.
    assert!(!pc.dir.path().join("config").join(ANCHOR_FILE).exists());
}

#[test]
fn an_edited_record_is_detected_even_with_its_hash_recomputed() {
    let Some(pc) = Install::new("edit a record", 5) else {
        return;
    };
    let mut lines = pc.lines();
    lines[2] = lines[2].replace("jsmith", "jsmitH");
    pc.write_lines(&lines);
    altered_at(&pc.scan(), 3, "");

    // The same edit, with the record's hash recomputed the way an unkeyed trail is hashed.
    let mut record: AuditRecord = serde_json::from_str(&lines[2]).expect("json");
    record.hash = hash_record(&record, None).expect("hash");
    lines[2] = serde_json::to_string(&record).expect("json");
    pc.write_lines(&lines);
    altered_at(&pc.scan(), 3, "");
}

#[test]
fn a_deleted_record_is_detected() {
    let Some(pc) = Install::new("delete a record", 5) else {
        return;
    };
    let mut lines = pc.lines();
    lines.remove(3);
    pc.write_lines(&lines);
    let scan = pc.scan();
    altered_at(&scan, 4, "Record 4 is missing.");
}

#[test]
fn a_truncated_trail_is_detected_and_stays_detected_after_new_records() {
    let Some(pc) = Install::new("truncate", 5) else {
        return;
    };
    let lines = pc.lines();
    pc.write_lines(&lines[..3]);
    let scan = pc.scan();
    altered_at(
        &scan,
        4,
        "Records after 3 are missing: Recording Desk had written 5 records.",
    );
    // Working on chains from the anchor, so the gap stays in the chain itself.
    fill(&pc.log(), 1);
    let scan = pc.scan();
    altered_at(&scan, 4, "Records 4 to 5 are missing.");

    // The whole file removed.
    std::fs::remove_file(pc.file()).expect("delete");
    let scan = pc.scan();
    altered_at(&scan, 1, "the file holds none of them");
}

#[test]
fn a_deleted_anchor_means_the_end_cannot_be_verified_until_the_officer_reseals() {
    let Some(pc) = Install::new("delete the anchor", 3) else {
        return;
    };
    pc.keychain
        .store
        .delete(super::ANCHOR_ENTRY)
        .expect("delete the anchor");
    let scan = pc.scan();
    end_unverified(
        &scan,
        "is missing. The file holds 3 records; the last one is record 3, written",
    );

    // Working on does not re-anchor the trail silently.
    fill(&pc.log(), 2);
    assert!(
        pc.log().anchor().is_none(),
        "no anchor written by an append"
    );
    end_unverified(&pc.scan(), "is missing");

    // The officer's re-seal is a record of its own, and anchors the trail again.
    let record = pc.log().reseal("officer", "DESK-01").expect("re-seal");
    assert_eq!(record.seq, 6);
    assert_eq!(record.event, AuditEvent::Resealed);
    let said = record.message.clone().unwrap_or_default();
    assert!(said.starts_with("Re-sealed by officer on DESK-01. What was found: The end of the trail cannot be verified"), "{said}");
    let scan = pc.scan();
    intact(&scan);
    assert_eq!(scan.chain.resealed_at, Some(6));
    assert_eq!(pc.log().anchor().expect("anchor").seq, 6);
    fill(&pc.log(), 1);
    assert_eq!(pc.log().anchor().expect("anchor").seq, 7);

    // A trail whose end can be verified is not re-sealed.
    assert!(pc.log().reseal("officer", "DESK-01").is_err());
    assert_eq!(pc.scan().records.len(), 7);
}

#[test]
fn a_replaced_anchor_is_detected() {
    let Some(pc) = Install::new("replace the anchor", 4) else {
        return;
    };
    let seals = pc.keychain.seals();
    let mut anchor = seals.anchor().expect("anchor").expect("anchor");

    // Another trail's anchor (another identifier).
    let mut other = anchor.clone();
    other.trail_id = uuid::Uuid::new_v4().to_string();
    seals.set_anchor(&other).expect("set");
    end_unverified(&pc.scan(), "belongs to another audit trail");

    // An anchor that is not readable.
    pc.keychain
        .store
        .set(
            super::ANCHOR_ENTRY,
            &citrix_cloud::Secret::new("{not json".into()),
        )
        .expect("set");
    end_unverified(&pc.scan(), "could not be read");

    // Our identifier with a forged seal for the last record.
    anchor.seal = "ab".repeat(32);
    seals.set_anchor(&anchor).expect("set");
    let scan = pc.scan();
    altered_at(&scan, 4, "record 4 is not the one Recording Desk wrote");
}

#[test]
fn a_chain_recomputed_without_the_key_is_detected() {
    let Some(pc) = Install::new("recompute without the key", 4) else {
        return;
    };
    // Record 2 changed and every hash recomputed from there on, as an unkeyed trail is hashed,
    // with or without the key's name in the records.
    for keep_key_id in [true, false] {
        let mut prev = super::GENESIS.to_owned();
        let lines: Vec<String> = pc
            .lines()
            .iter()
            .map(|line| {
                let mut r: AuditRecord = serde_json::from_str(line).expect("json");
                if r.seq == 2 {
                    r.session_user = Some("CONTOSO\\someone-else".into());
                }
                if !keep_key_id {
                    r.key_id = None;
                }
                r.prev_hash = prev.clone();
                r.hash = hash_record(&r, None).expect("hash");
                prev = r.hash.clone();
                serde_json::to_string(&r).expect("json")
            })
            .collect();
        pc.write_lines(&lines);
        let scan = pc.scan();
        assert!(!scan.chain.intact, "{}", scan.chain.message);
        let at = if keep_key_id { 1 } else { 4 };
        altered_at(&scan, at, "");
    }
}

/// The keychain reset (key and anchor gone): the officer re-seals, and the records sealed with
/// the lost key are then named as such, in words for an officer, while the trail counts as
/// intact: they cannot be checked here, the records after them are.
#[test]
fn records_sealed_with_a_lost_key_are_explained_after_the_re_seal() {
    let Some(pc) = Install::new("lost key", 4) else {
        return;
    };
    pc.keychain
        .seals()
        .delete_all()
        .expect("reset the keychain");
    end_unverified(&pc.scan(), "");
    let record = pc.log().reseal("officer", "DESK-01").expect("re-seal");
    assert_eq!(record.seq, 5);
    fill(&pc.log(), 2);

    let scan = pc.scan();
    intact(&scan);
    assert_eq!(scan.chain.lost_key, Some((1, 4)));
    assert_eq!(scan.chain.resealed_at, Some(5));
    let said = &scan.chain.message;
    for words in [
        "Records 1 to 4 were sealed with a key that is no longer on this computer (for example, because its keychain was reset), and the trail was re-sealed at record 5 with a new key.",
        "Records 1 to 4 can no longer be checked here; the records after them are checked.",
        "Keep a copy of the audit trail file, and ask IT whether the old keychain can be restored",
    ] {
        assert!(said.contains(words), "{said}");
    }
    assert!(!said.contains("another key"), "{said}");

    // A record after the re-seal changed is still found.
    let mut lines = pc.lines();
    let last = lines.pop().expect("record 7");
    let changed = last.replace("\"sessionUser\":\"", "\"sessionUser\":\"X");
    assert_ne!(changed, last);
    lines.push(changed);
    pc.write_lines(&lines);
    altered_at(&pc.scan(), 7, "");
}

#[test]
fn another_installations_trail_and_anchor_swapped_in_are_detected() {
    let (Some(ours), Some(theirs)) = (
        Install::new("swap: ours", 3),
        Install::new("swap: theirs", 5),
    ) else {
        return;
    };
    std::fs::copy(theirs.file(), ours.file()).expect("copy their trail");
    let their_anchor = theirs.log().anchor().expect("their anchor");
    ours.keychain
        .seals()
        .set_anchor(&their_anchor)
        .expect("copy their anchor");
    let scan = ours.scan();
    altered_at(&scan, 1, "sealed with another key");
    altered_at(&scan, 1, "belongs to another audit trail");

    // Their trail with our anchor left as it was.
    ours.keychain
        .store
        .delete(super::ANCHOR_ENTRY)
        .expect("delete");
    let scan = ours.scan();
    altered_at(&scan, 1, "");
}

/// The limits the admin guide states, shown: what someone who can also write the officer's
/// keychain can do. Each of these reads as intact, by design of what a local trail can prove;
/// the OS log and a collector are the witnesses for them.
#[test]
fn limits_someone_with_the_keychain_too_can_shorten_or_replace_the_trail() {
    let (Some(ours), Some(theirs)) = (
        Install::new("limit: ours", 5),
        Install::new("limit: theirs", 2),
    ) else {
        return;
    };
    // An anchor that lags the file is accepted (a crash between writing a record and noting
    // it), so records cut from the end together with an older anchor put back go unnoticed.
    let seals = ours.keychain.seals();
    let older = {
        let scan = ours.scan();
        super::Anchor {
            trail_id: seals.key().expect("key").expect("key").id,
            seq: 3,
            seal: scan.records[2].hash.clone(),
        }
    };
    ours.write_lines(&ours.lines()[..3]);
    seals.set_anchor(&older).expect("set");
    assert!(ours.scan().chain.intact);

    // Key, anchor and trail of another installation, all three swapped in, are a whole trail.
    let their_seals = theirs.keychain.seals();
    let their_key = their_seals.key().expect("key").expect("key");
    let secret = theirs
        .keychain
        .store
        .get(super::KEY_ENTRY)
        .expect("get")
        .expect("their key entry");
    ours.keychain
        .store
        .set(super::KEY_ENTRY, &secret)
        .expect("set");
    seals
        .set_anchor(&theirs.log().anchor().expect("anchor"))
        .expect("set");
    std::fs::copy(theirs.file(), ours.file()).expect("copy");
    let scan = ours.scan();
    assert!(scan.chain.intact, "{}", scan.chain.message);
    assert!(scan
        .records
        .iter()
        .all(|r| r.key_id.as_deref() == Some(&their_key.id)));
}

#[test]
fn a_trail_of_an_earlier_version_is_verified_as_unkeyed_and_goes_on_keyed() {
    let Some(keychain) = Keychain::real("earlier version") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data").join(AUDIT_FILE);
    let head_file = dir.path().join("config").join(ANCHOR_FILE);
    // What an earlier version left: an unkeyed trail, and its head in a file.
    fill(&AuditLog::new(file.clone()), 3);
    let last: AuditRecord =
        serde_json::from_str(read_lines(&file).last().expect("line")).expect("json");
    std::fs::create_dir_all(head_file.parent().expect("folder")).expect("mkdir");
    std::fs::write(
        &head_file,
        serde_json::json!({"seq": 3, "hash": last.hash}).to_string(),
    )
    .expect("head file");

    let log = sealed_log(dir.path(), &keychain.store);
    let scan = log.scan().expect("scan");
    assert_eq!(
        scan.chain.state,
        ChainState::Intact,
        "{}",
        scan.chain.message
    );
    assert_eq!(scan.chain.keyed_from, None);

    fill(&log, 2);
    let scan = log.scan().expect("scan");
    assert_eq!(
        scan.chain.state,
        ChainState::Intact,
        "{}",
        scan.chain.message
    );
    assert_eq!(scan.chain.keyed_from, Some(4));
    assert!(
        scan.chain
            .message
            .contains("Records 1 to 3 were written by an earlier version"),
        "{}",
        scan.chain.message
    );
    assert_eq!(log.anchor().expect("anchor").seq, 5);

    // The unkeyed part is fixed by the first keyed record: changing it now is detected.
    let mut lines = read_lines(&file);
    lines[1] = lines[1].replace("jsmith", "jsmitH");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let scan = log.scan().expect("scan");
    assert_eq!(scan.chain.broken_at, Some(2), "{}", scan.chain.message);

    // An earlier version's trail with no head file at all: its end cannot be verified.
    let Some(fresh) = Keychain::real("earlier version, no head file") else {
        return;
    };
    let bare = tempfile::tempdir().expect("tempdir");
    fill(&AuditLog::new(bare.path().join("data").join(AUDIT_FILE)), 2);
    let scan = sealed_log(bare.path(), &fresh.store).scan().expect("scan");
    assert_eq!(
        scan.chain.state,
        ChainState::EndUnverified,
        "{}",
        scan.chain.message
    );
}
