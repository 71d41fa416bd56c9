//! The hash chain: how a record's hash is made, and the scan that verifies a whole file, and its
//! end against the head noted outside it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::{AuditRecord, Head};

/// The `prevHash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The result of reading the file: every readable record, and whether the chain holds.
#[derive(Debug, Clone)]
pub struct Scan {
    pub records: Vec<AuditRecord>,
    pub chain: AuditChain,
    pub(super) last_seq: u64,
    pub(super) last_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditChain {
    pub intact: bool,
    /// The number of the first record that was changed or removed.
    #[ts(type = "number | null")]
    pub broken_at: Option<u64>,
    pub message: String,
}

/// Verifies the chain, and the end of the file against `anchor` (the head noted outside the
/// file; `None` skips that check). Lines that are not JSON objects are crash remnants (a record
/// cut off while being written): they are reported, skipped, and do not break the chain as long
/// as the next record links to the last good one. Anything else that does not link up breaks
/// the chain.
pub fn scan(bytes: &[u8], anchor: Option<&Head>) -> Scan {
    let text = String::from_utf8_lossy(bytes);
    let mut records = Vec::new();
    let mut fragments = Vec::new();
    let mut broken: Option<(u64, String)> = None;
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_seq = 1u64;

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
            let links = record.as_ref().is_some_and(|r| {
                r.seq == expected_seq
                    && r.prev_hash == prev_hash
                    && hash_value(&value).is_some_and(|h| h == r.hash)
            });
            if !links {
                let message = match &record {
                    // A later record whose own hash holds: the ones before it are gone.
                    Some(r)
                        if r.seq > expected_seq
                            && hash_value(&value).is_some_and(|h| h == r.hash) =>
                    {
                        let last = r.seq - 1;
                        if last == expected_seq {
                            format!("Record {expected_seq} is missing.")
                        } else {
                            format!("Records {expected_seq} to {last} are missing.")
                        }
                    }
                    _ => format!("Record {expected_seq} was changed or removed."),
                };
                broken = Some((expected_seq, message));
            }
        }
        if let Some(r) = record {
            prev_hash = r.hash.clone();
            expected_seq = r.seq + 1;
            records.push(r);
        }
    }
    let last_seq = expected_seq - 1;

    // The end of the file against the head noted outside it.
    if let Some(head) = anchor {
        let behind = head.seq > last_seq;
        let replaced = !behind
            && records
                .iter()
                .find(|r| r.seq == head.seq)
                .is_some_and(|r| r.hash != head.hash);
        let found = if behind && records.is_empty() {
            Some((
                1,
                format!(
                    "The audit file was removed or replaced: Recording Desk had written {} \
                     records, and the file holds none of them.",
                    head.seq
                ),
            ))
        } else if behind {
            Some((
                last_seq + 1,
                format!(
                    "Records after {last_seq} are missing: Recording Desk had written {} records.",
                    head.seq
                ),
            ))
        } else if replaced {
            Some((
                head.seq,
                format!(
                    "The audit file was replaced: record {} is not the one Recording Desk wrote.",
                    head.seq
                ),
            ))
        } else {
            None
        };
        if let Some((at, message)) = found {
            broken = match broken {
                Some((first, earlier)) if first <= at => {
                    Some((first, format!("{earlier} {message}")))
                }
                _ => Some((at, message)),
            };
        }
    }

    let count = records.len();
    let plural = if count == 1 { "record" } else { "records" };
    let mut message = match &broken {
        None => format!("All {count} {plural} are intact."),
        Some((_, why)) => format!("{why} The records from there on cannot be relied on."),
    };
    if !fragments.is_empty() {
        let lines: Vec<String> = fragments.iter().map(usize::to_string).collect();
        let _ = write!(
            message,
            " An incomplete record (line {}) was skipped: it was being written when the app or \
             the computer stopped.",
            lines.join(", ")
        );
    }
    Scan {
        last_seq,
        last_hash: prev_hash,
        chain: AuditChain {
            intact: broken.is_none(),
            broken_at: broken.map(|(at, _)| at),
            message,
        },
        records,
    }
}

pub(super) fn hash_record(record: &AuditRecord) -> serde_json::Result<String> {
    let value = serde_json::to_value(record)?;
    Ok(hash_value(&value).unwrap_or_default())
}

/// SHA-256 (hex) of the canonical JSON of `value` without its `hash` member.
fn hash_value(value: &Value) -> Option<String> {
    let mut object = value.as_object()?.clone();
    object.remove("hash");
    let mut canonical = String::new();
    write_canonical(&Value::Object(object), &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    Some(digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
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

    #[test]
    fn the_anchor_follows_the_last_record() {
        let (_dir, log) = anchored_log_with(3);
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        let head = log.anchor().expect("anchor written");
        assert_eq!(head.seq, 3);
        assert_eq!(head.hash, scan.records[2].hash);
    }

    #[test]
    fn records_cut_from_the_end_are_detected_and_stay_detected_after_new_appends() {
        let (dir, log) = anchored_log_with(5);
        drop(log);
        let path = dir.path().join("data").join(FILE_NAME);
        let text = std::fs::read_to_string(&path).expect("read");
        let kept: Vec<&str> = text.lines().take(3).collect();
        std::fs::write(&path, kept.join("\n") + "\n").expect("truncate");

        // What is left is a valid chain; only the anchor shows the loss.
        assert!(scan_file(&path).chain.intact);
        let log = AuditLog::with_anchor(path.clone(), dir.path().join("config").join("audit.head"));
        let scan = log.scan().expect("scan");
        assert!(!scan.chain.intact);
        assert_eq!(scan.chain.broken_at, Some(4));
        assert!(
            scan.chain
                .message
                .starts_with("Records after 3 are missing: Recording Desk had written 5 records."),
            "{}",
            scan.chain.message
        );

        // Working on does not paper over the gap: the next record chains from the anchor.
        let r = log
            .append(&ctx_for(STOP), AuditEvent::Requested, entry("s9", "x"))
            .expect("append");
        assert_eq!(r.seq, 6);
        let scan = log.scan().expect("scan");
        assert!(!scan.chain.intact);
        assert_eq!(scan.chain.broken_at, Some(4));
        assert!(
            scan.chain
                .message
                .starts_with("Records 4 to 5 are missing."),
            "{}",
            scan.chain.message
        );
    }

    #[test]
    fn a_deleted_or_replaced_file_is_detected() {
        let (dir, log) = anchored_log_with(4);
        let path = dir.path().join("data").join(FILE_NAME);
        let anchor = dir.path().join("config").join("audit.head");
        drop(log);

        std::fs::remove_file(&path).expect("delete");
        let scan = AuditLog::with_anchor(path.clone(), anchor.clone())
            .scan()
            .expect("scan");
        assert!(!scan.chain.intact);
        assert_eq!(scan.chain.broken_at, Some(1));
        assert!(
            scan.chain
                .message
                .starts_with("The audit file was removed or replaced"),
            "{}",
            scan.chain.message
        );

        // A fresh, internally valid trail of the same length in its place.
        let other = AuditLog::new(path.clone());
        for i in 0..4 {
            other
                .append(
                    &ctx_for(STOP),
                    AuditEvent::Requested,
                    entry(&format!("x{i}"), "x"),
                )
                .expect("append");
        }
        assert!(other.scan().expect("scan").chain.intact);
        let scan = AuditLog::with_anchor(path, anchor).scan().expect("scan");
        assert!(!scan.chain.intact);
        assert_eq!(scan.chain.broken_at, Some(4));
        assert!(
            scan.chain
                .message
                .starts_with("The audit file was replaced: record 4"),
            "{}",
            scan.chain.message
        );
    }

    #[test]
    fn an_anchor_that_lags_the_file_is_accepted() {
        // A crash between syncing a record and noting it in the anchor.
        let (dir, log) = anchored_log_with(2);
        let anchor = dir.path().join("config").join("audit.head");
        let saved = std::fs::read(&anchor).expect("anchor");
        log.append(&ctx_for(START), AuditEvent::Outcome, entry("s1", "x"))
            .expect("append");
        std::fs::write(&anchor, saved).expect("restore the older anchor");
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 3);
    }
}
