//! The chain: how a record's hash (or, since records are keyed, its seal) is made, and the scan
//! that verifies a whole file, and its end against the anchor noted outside it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::seal::{hex, Anchor, TrailKey};
use super::{AuditEvent, AuditRecord, Head};

/// The `prevHash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The result of reading the file: every readable record, and whether the chain holds.
#[derive(Debug, Clone)]
pub struct Scan {
    pub records: Vec<AuditRecord>,
    pub chain: AuditChain,
    pub(super) last_seq: u64,
    pub(super) last_hash: String,
    /// Whether any record is sealed with a key (which the next record must then be too).
    pub(super) keyed: bool,
    pub(super) end: End,
}

/// What the check of the file's end against its anchor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum End {
    /// Not asked for (reading the tail to append).
    Unchecked,
    /// The anchor matches the file (or lags it, as after a crash), or an empty trail has none.
    Verified,
    /// The file is behind its anchor: records were cut from the end, or the file was removed.
    Behind(Head),
    /// The record the anchor names is not the one in the file.
    Replaced,
    /// No anchor that could vouch for this trail: the end cannot be verified.
    Unverifiable,
}

/// How far the trail can be relied on, for the Audit screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ChainState {
    /// Every record links to the one before, and the end matches the anchor.
    Intact,
    /// A record was changed, removed or replaced (`brokenAt` says where).
    Altered,
    /// The records link up, but nothing outside the file vouches for its end (the anchor is
    /// missing, unreadable, or belongs to another trail; or the key is missing).
    EndUnverified,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditChain {
    /// True only when `state` is `intact`.
    pub intact: bool,
    pub state: ChainState,
    /// The number of the first record that was changed or removed.
    #[ts(type = "number | null")]
    pub broken_at: Option<u64>,
    pub message: String,
    /// The first record sealed with this computer's key; the records before it were written by
    /// an earlier version, chained but not keyed. `None`: no record is keyed.
    #[ts(type = "number | null")]
    pub keyed_from: Option<u64>,
    /// The last record that re-sealed the trail (an officer's explicit action), if any.
    #[ts(type = "number | null")]
    pub resealed_at: Option<u64>,
    /// The first and last of the records sealed with a key this computer no longer has (e.g.
    /// after its keychain was reset), before the trail was re-sealed with a new key: they can no
    /// longer be checked here, the records after them are.
    #[ts(type = "[number, number] | null")]
    pub lost_key: Option<(u64, u64)>,
}

/// What the scan checks the trail against.
#[derive(Clone, Copy)]
pub enum Check<'a> {
    /// The chain only: reading the tail to append, and tests of the chain itself.
    ChainOnly,
    /// The chain, the seals under `key`, and the end against the keychain's `anchor` (`Err`: it
    /// could not be read), or for a trail with no keyed record yet, against the head file an
    /// earlier version wrote (`legacy`).
    Full {
        key: Option<&'a TrailKey>,
        anchor: &'a Result<Option<Anchor>, String>,
        legacy: Option<&'a Head>,
    },
}

/// Verifies the chain, and the end of the file against the anchor. Lines that are not JSON
/// objects are cut-off records (one being written when a program or the computer stopped):
/// they are reported, skipped, and do not break the chain as long as the next record links to
/// the last good one. Anything else that does not link up breaks the chain. `writer_held`: this
/// program holds the trail, so no other program is writing it right now.
pub fn scan(bytes: &[u8], check: Check<'_>, writer_held: bool) -> Scan {
    let key = match check {
        Check::Full { key, .. } => key,
        Check::ChainOnly => None,
    };
    let text = String::from_utf8_lossy(bytes);
    let mut records = Vec::new();
    let mut fragments = Vec::new();
    let mut broken: Option<(u64, String)> = None;
    // Records whose seal this computer cannot check (another key), from the first one.
    let mut unchecked: Option<(u64, u64, Option<String>)> = None;
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_seq = 1u64;
    let mut keyed_from = None;
    let mut resealed_at = None;

    for (index, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(line) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                fragments.push(index + 1);
                continue;
            }
        };
        let record = serde_json::from_value::<AuditRecord>(value.clone()).ok();
        if broken.is_none() {
            let sealed = record
                .as_ref()
                .map(|r| seal_holds(r, &value, key, keyed_from.is_some()));
            let links = record
                .as_ref()
                .is_some_and(|r| r.seq == expected_seq && r.prev_hash == prev_hash);
            match (&record, sealed) {
                (Some(r), Some(Seal::Holds | Seal::OtherKey)) if links => {
                    if sealed == Some(Seal::OtherKey) && check_is_full(check) {
                        let first = unchecked.as_ref().map_or(r.seq, |u| u.0);
                        unchecked = Some((first, r.seq, r.key_id.clone()));
                    }
                }
                (Some(r), Some(Seal::Holds)) if r.seq > expected_seq => {
                    // A later record whose own seal holds: the ones before it are gone.
                    let last = r.seq - 1;
                    let message = if last == expected_seq {
                        format!("Record {expected_seq} is missing.")
                    } else {
                        format!("Records {expected_seq} to {last} are missing.")
                    };
                    broken = Some((expected_seq, message));
                }
                (Some(r), Some(Seal::Unkeyed)) if r.seq == expected_seq => {
                    broken = Some((
                        expected_seq,
                        format!(
                            "Record {expected_seq} is not sealed with this computer's key, though \
                             the records before it are: it was changed or written by another \
                             program."
                        ),
                    ));
                }
                _ => {
                    broken = Some((
                        expected_seq,
                        format!("Record {expected_seq} was changed or removed."),
                    ));
                }
            }
        }
        if let Some(r) = record {
            if r.key_id.is_some() && keyed_from.is_none() {
                keyed_from = Some(r.seq);
            }
            if r.event == AuditEvent::Resealed {
                resealed_at = Some(r.seq);
            }
            prev_hash = r.hash.clone();
            expected_seq = r.seq + 1;
            records.push(r);
        }
    }
    let last_seq = expected_seq - 1;
    let keyed = keyed_from.is_some();

    let mut unverified: Option<String> = None;
    let end = match check {
        Check::ChainOnly => End::Unchecked,
        Check::Full {
            key,
            anchor,
            legacy,
        } => {
            let (end, found) = check_end(&records, last_seq, keyed, key, anchor, legacy);
            match (&end, found) {
                (End::Unverifiable, Some(why)) => unverified = Some(why),
                (End::Behind(_) | End::Replaced, Some(why)) => {
                    let at = match &end {
                        End::Behind(_) if records.is_empty() => 1,
                        End::Behind(_) => last_seq + 1,
                        _ => anchor
                            .as_ref()
                            .ok()
                            .and_then(Option::as_ref)
                            .map_or(last_seq, |a| a.seq),
                    };
                    broken = match broken {
                        Some((first, earlier)) if first <= at => {
                            Some((first, format!("{earlier} {why}")))
                        }
                        _ => Some((at, why)),
                    };
                }
                _ => {}
            }
            end
        }
    };
    // Records sealed with a key this computer no longer has, followed by the officer's re-seal
    // with this computer's key: the key was lost here (the re-seal is only offered while the end
    // cannot be verified, as when the keychain was reset), not swapped for another one.
    let lost_key = unchecked
        .as_ref()
        .filter(|(_, last, _)| key.is_some() && resealed_at.is_some_and(|r| r > *last))
        .map(|(first, last, _)| (*first, *last));
    if let Some((first, last, other)) = unchecked.as_ref().filter(|_| lost_key.is_none()) {
        let which = if first == last {
            format!("Record {first} was")
        } else {
            format!("Records {first} to {last} were")
        };
        let why = match (key, other) {
            (None, _) => "sealed with a key that is not in this computer's keychain",
            (Some(_), _) => {
                "sealed with another key than this computer's (another installation's, or one \
                 removed from the keychain)"
            }
        };
        let text = format!("{which} {why}, so they cannot be checked here.");
        if key.is_some() {
            broken = broken.or(Some((*first, text)));
        } else {
            unverified = Some(match unverified {
                Some(earlier) => format!("{earlier} {text}"),
                None => text,
            });
        }
    }

    let count = records.len();
    let plural = if count == 1 { "record" } else { "records" };
    let state = match (&broken, &unverified) {
        (Some(_), _) => ChainState::Altered,
        (None, Some(_)) => ChainState::EndUnverified,
        (None, None) => ChainState::Intact,
    };
    let mut message = match (&broken, &unverified, lost_key) {
        (None, None, None) => format!("All {count} {plural} are intact."),
        (None, None, Some(_)) => format!(
            "The {count} {plural} are linked to each other and the end of the trail matches \
             the note in the keychain."
        ),
        (Some((_, why)), _, _) => {
            format!("{why} The records from there on cannot be relied on.")
        }
        (None, Some(why), _) => format!("The end of the trail cannot be verified: {why}"),
    };
    if let Some((first, last)) = lost_key {
        let _ = write!(message, " {}", lost_key_note(first, last, resealed_at));
    }
    if let (Some(_), Some(why)) = (&broken, &unverified) {
        let _ = write!(
            message,
            " Also, the end of the trail cannot be verified: {why}"
        );
    }
    if let Some(first) = keyed_from.filter(|f| *f > 1) {
        let before = first - 1;
        let _ = write!(
            message,
            " {} written by an earlier version of Recording Desk, before records were sealed \
             with this computer's key: they are chained and fixed by record {first}, but not \
             sealed themselves.",
            if before == 1 {
                "Record 1 was".to_owned()
            } else {
                format!("Records 1 to {before} were")
            }
        );
    }
    if !fragments.is_empty() {
        let lines: Vec<String> = fragments.iter().map(usize::to_string).collect();
        let _ = write!(
            message,
            " An incomplete record (line {}) was skipped: {}",
            lines.join(", "),
            if writer_held {
                "it was cut off while being written, when Recording Desk or the computer stopped."
            } else {
                "it was cut off while being written. Another Recording Desk program (the window \
                 or rdesk) may be writing it right now; look again in a moment."
            }
        );
    }
    Scan {
        last_seq,
        last_hash: prev_hash,
        keyed,
        end,
        chain: AuditChain {
            intact: state == ChainState::Intact,
            state,
            broken_at: broken.map(|(at, _)| at),
            message,
            keyed_from,
            resealed_at,
            lost_key,
        },
        records,
    }
}

/// What records sealed with a lost key mean, for an officer: what happened, what it means, what
/// to do.
fn lost_key_note(first: u64, last: u64, resealed_at: Option<u64>) -> String {
    let (which, were) = if first == last {
        (format!("Record {first}"), "was")
    } else {
        (format!("Records {first} to {last}"), "were")
    };
    let resealed = resealed_at.map_or_else(String::new, |r| format!(" at record {r}"));
    format!(
        "{which} {were} sealed with a key that is no longer on this computer (for example, \
         because its keychain was reset), and the trail was re-sealed{resealed} with a new key. \
         {which} can no longer be checked here; the records after them are checked. Keep a copy \
         of the audit trail file, and ask IT whether the old keychain can be restored: with it, \
         {} could be checked again.",
        if first == last {
            "this record"
        } else {
            "these records"
        }
    )
}

fn check_is_full(check: Check<'_>) -> bool {
    matches!(check, Check::Full { .. })
}

/// The file's end against the keychain's anchor, or, for a trail with no keyed record and no
/// anchor yet, against the head file an earlier version wrote. Returns what it found and, when
/// that is not [`End::Verified`], what to tell the officer.
fn check_end(
    records: &[AuditRecord],
    last_seq: u64,
    keyed: bool,
    key: Option<&TrailKey>,
    anchor: &Result<Option<Anchor>, String>,
    legacy: Option<&Head>,
) -> (End, Option<String>) {
    let found = || match records.last() {
        Some(r) => format!(
            " The file holds {} records; the last one is record {}, written {}.",
            records.len(),
            r.seq,
            r.time
        ),
        None => String::new(),
    };
    let head = match anchor {
        Err(why) => {
            if records.is_empty() {
                return (End::Verified, None);
            }
            return (
                End::Unverifiable,
                Some(format!(
                    "the note of its last record, kept in the keychain, could not be read \
                     ({why}).{}",
                    found()
                )),
            );
        }
        Ok(Some(anchor)) => {
            let ours = key.map(|k| k.id.as_str());
            let last_key = records.iter().rev().find_map(|r| r.key_id.as_deref());
            if ours.is_some_and(|id| id != anchor.trail_id)
                || last_key.is_some_and(|id| id != anchor.trail_id)
            {
                return (
                    End::Unverifiable,
                    Some(format!(
                        "the note of its last record in the keychain belongs to another audit \
                         trail (another installation of Recording Desk, or a trail since \
                         replaced).{}",
                        found()
                    )),
                );
            }
            Head {
                seq: anchor.seq,
                hash: anchor.seal.clone(),
            }
        }
        Ok(None) => match legacy {
            Some(head) if !keyed => head.clone(),
            _ if records.is_empty() => return (End::Verified, None),
            _ => {
                return (
                    End::Unverifiable,
                    Some(format!(
                        "the note of its last record, which Recording Desk keeps in the \
                         keychain, is missing.{}",
                        found()
                    )),
                )
            }
        },
    };

    let behind = head.seq > last_seq;
    if behind && records.is_empty() {
        let why = format!(
            "The audit file was removed or replaced: Recording Desk had written {} records, and \
             the file holds none of them.",
            head.seq
        );
        return (End::Behind(head), Some(why));
    }
    if behind {
        let why = format!(
            "Records after {last_seq} are missing: Recording Desk had written {} records.",
            head.seq
        );
        return (End::Behind(head), Some(why));
    }
    let replaced = records
        .iter()
        .find(|r| r.seq == head.seq)
        .is_some_and(|r| r.hash != head.hash);
    if replaced {
        let why = format!(
            "The audit file was replaced: record {} is not the one Recording Desk wrote.",
            head.seq
        );
        return (End::Replaced, Some(why));
    }
    (End::Verified, None)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seal {
    /// The record's hash (unkeyed) or seal (keyed, under this computer's key) is right.
    Holds,
    /// Sealed under a key this computer does not have: the seal cannot be checked.
    OtherKey,
    /// An unkeyed record after keyed ones: a downgrade, never written by Recording Desk.
    Unkeyed,
    /// The hash or seal does not match the record.
    Wrong,
}

fn seal_holds(
    record: &AuditRecord,
    value: &Value,
    key: Option<&TrailKey>,
    after_keyed: bool,
) -> Seal {
    let Some(canonical) = canonical_without_hash(value) else {
        return Seal::Wrong;
    };
    match (&record.key_id, key) {
        (None, _) => {
            if sha256_hex(&canonical) != record.hash {
                Seal::Wrong
            } else if after_keyed {
                Seal::Unkeyed
            } else {
                Seal::Holds
            }
        }
        (Some(id), Some(key)) if *id == key.id => {
            if key.verifies(canonical.as_bytes(), &record.hash) {
                Seal::Holds
            } else {
                Seal::Wrong
            }
        }
        (Some(_), _) => Seal::OtherKey,
    }
}

/// The record's `hash`: SHA-256 of its canonical JSON for an unkeyed record (older trails, tests
/// of the chain alone), the seal under `key` for a keyed one (which then names the key).
pub(super) fn hash_record(
    record: &AuditRecord,
    key: Option<&TrailKey>,
) -> serde_json::Result<String> {
    let value = serde_json::to_value(record)?;
    let canonical = canonical_without_hash(&value).unwrap_or_default();
    Ok(match key {
        Some(key) => key.seal(canonical.as_bytes()),
        None => sha256_hex(&canonical),
    })
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The canonical JSON of `value` without its `hash` member: what the hash or seal covers.
fn canonical_without_hash(value: &Value) -> Option<String> {
    let mut object = value.as_object()?.clone();
    object.remove("hash");
    let mut canonical = String::new();
    write_canonical(&Value::Object(object), &mut canonical);
    Some(canonical)
}

/// Compact JSON with object keys sorted, independent of how the map stores them.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use citrix_cloud::Region;

    use super::*;
    use crate::audit::testing::*;
    use crate::audit::{AuditEvent, AuditLog};
    use crate::paths::AUDIT_FILE as FILE_NAME;

    #[test]
    fn appended_records_form_a_verified_chain() {
        let (_dir, log) = log_with(3);
        let scan = log.scan().expect("scan");
        assert_eq!(scan.records.len(), 3);
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.chain.message, "All 3 records are intact.");
        assert_eq!(scan.records[0].prev_hash, GENESIS);
        assert_eq!(scan.records[1].prev_hash, scan.records[0].hash);
        assert_eq!(
            scan.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(scan.records[2].hash.len(), 64);
        assert_eq!(scan.records[0].os_user, "officer");
        assert_eq!(scan.records[0].region, Some(Region::Eu));
    }

    #[test]
    fn a_new_log_object_continues_the_chain_of_an_existing_file() {
        let (dir, log) = log_with(2);
        drop(log);
        let log = AuditLog::new(dir.path().join(FILE_NAME));
        let r = log
            .append(&ctx_for(START), AuditEvent::Outcome, entry("s1", "x"))
            .expect("append");
        assert_eq!(r.seq, 3);
        assert!(log.scan().expect("scan").chain.intact);
    }

    #[test]
    fn changing_any_byte_of_a_record_is_detected_at_that_record() {
        let (dir, log) = log_with(5);
        let path = dir.path().join(FILE_NAME);
        let original = std::fs::read_to_string(&path).expect("read");
        drop(log);

        // Change the session user of record 3.
        let lines: Vec<&str> = original.lines().collect();
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        edited[2] = edited[2].replace("jsmith", "jsmitH");
        std::fs::write(&path, edited.join("\n") + "\n").expect("write");
        let scan = AuditLog::new(path.clone()).scan().expect("scan");
        assert!(!scan.chain.intact);
        assert_eq!(scan.chain.broken_at, Some(3));
        assert!(
            scan.chain
                .message
                .starts_with("Record 3 was changed or removed."),
            "{}",
            scan.chain.message
        );

        // Flip one byte in a hash.
        let mut bytes = original.clone().into_bytes();
        let pos = original.find("\"hash\":\"").expect("hash") + 8;
        bytes[pos] = if bytes[pos] == b'a' { b'b' } else { b'a' };
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(scan_file(&path).chain.broken_at, Some(1));

        // Remove record 4.
        let without: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, l)| *l)
            .collect();
        std::fs::write(&path, without.join("\n") + "\n").expect("write");
        assert_eq!(scan_file(&path).chain.broken_at, Some(4));

        // Add a field to record 2: covered by the hash too.
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        edited[1] = edited[1].replacen('{', "{\"note\":\"ok\",", 1);
        std::fs::write(&path, edited.join("\n") + "\n").expect("write");
        assert_eq!(scan_file(&path).chain.broken_at, Some(2));

        // Reordering keys does not matter: the hash is over canonical JSON.
        let mut edited: Vec<String> = Vec::new();
        for l in &lines {
            let v: Value = serde_json::from_str(l).expect("json");
            let reversed: serde_json::Map<String, Value> = v
                .as_object()
                .expect("object")
                .iter()
                .rev()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            edited.push(Value::Object(reversed).to_string());
        }
        std::fs::write(&path, edited.join("\n") + "\n").expect("write");
        assert!(scan_file(&path).chain.intact);
    }

    #[test]
    fn a_truncated_last_line_is_reported_and_the_next_append_chains_past_it() {
        let (dir, log) = log_with(3);
        let path = dir.path().join(FILE_NAME);
        drop(log);
        // A crash part-way through writing a fourth record.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        file.write_all(b"{\"seq\":4,\"time\":\"2025-")
            .expect("write");
        drop(file);

        let log = AuditLog::new(path.clone());
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 3);
        assert!(
            scan.chain
                .message
                .contains("An incomplete record (line 4) was skipped"),
            "{}",
            scan.chain.message
        );

        let r = log
            .append(&ctx_for(STOP), AuditEvent::Requested, entry("s9", "x"))
            .expect("append after crash");
        assert_eq!(r.seq, 4);
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 4);
        assert_eq!(scan.records[3].prev_hash, scan.records[2].hash);
        assert!(scan.chain.message.contains("line 4"));
    }

    /// A cut-off last line is only blamed on a stop when this program holds the trail: otherwise
    /// another program may be writing that very record.
    #[test]
    fn a_cut_off_line_is_not_blamed_on_a_stop_while_another_program_may_write() {
        let (dir, log) = log_with(2);
        drop(log);
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.extend_from_slice(b"{\"seq\":3,");
        let held = scan(&bytes, Check::ChainOnly, true).chain.message;
        assert!(
            held.contains("when Recording Desk or the computer stopped"),
            "{held}"
        );
        let free = scan(&bytes, Check::ChainOnly, false).chain.message;
        assert!(!free.contains("stopped"), "{free}");
        assert!(
            free.contains(
                "Another Recording Desk program (the window or rdesk) may be writing it right now"
            ),
            "{free}"
        );
    }

    #[test]
    fn an_empty_or_missing_file_is_an_intact_empty_trail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let scan = AuditLog::new(dir.path().join(FILE_NAME))
            .scan()
            .expect("scan");
        assert!(scan.records.is_empty());
        assert!(scan.chain.intact);
        assert_eq!(scan.chain.message, "All 0 records are intact.");
    }
}
