//! The audit trail: an append-only JSON Lines file that says who asked to start or stop recording
//! which session, from which computer, and what happened.
//!
//! Each record carries `seq`, the previous record's hash and its own hash (SHA-256 over its
//! canonical JSON without `hash`), so a changed record, or one removed from the middle, is
//! detected. A record is written with one `write` and synced to disk before the action it
//! describes is sent to Citrix.
//!
//! The chain alone cannot show that records were cut from the end, or that the whole file was
//! deleted or swapped for an older copy: what is left is still a valid chain. So after each append
//! the log also writes the head (`seq` and `hash` of the last record) to a small anchor file kept
//! elsewhere (the app's config folder), and a scan compares the file with it. This catches
//! truncation and replacement as long as the anchor survives; someone who can delete both files
//! can still remove the trail, which is why the Audit screen claims no more than that.
//!
//! Appending syncs a file, which blocks. Code running on the async runtime (a recording run)
//! appends through an [`AuditWriter`]: a thread of its own does the writing, and the caller
//! awaits its record being on disk without holding up the runtime.
//!
//! Nothing here depends on Tauri, so it is all tested with plain `cargo test`.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::ipc::{Mode, RegionTs, RunAction};

pub const FILE_NAME: &str = "audit.jsonl";
/// Where the head of the trail is noted, outside the trail's own folder where the OS allows.
pub const ANCHOR_FILE_NAME: &str = "audit.head";

/// The `prevHash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AuditEvent {
    /// Written before the request is sent.
    Requested,
    /// Written when the result is known.
    Outcome,
}

/// One line of the audit file. Field order here is the order on disk (for people reading the
/// file); the hash does not depend on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    #[ts(type = "number")]
    pub seq: u64,
    /// UTC, RFC 3339.
    pub time: String,
    pub event: AuditEvent,
    pub action: RunAction,
    /// Groups the records of one run (one click on Start or Stop).
    pub run_id: String,
    pub session_id: String,
    pub session_user: Option<String>,
    pub machine: Option<String>,
    /// Whether the session's user was told; only for starts.
    pub notify_user: Option<bool>,
    /// For outcome records: recording, startedNotRecording, stopped, failed or cancelled.
    pub outcome: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
    pub os_user: String,
    pub computer: String,
    pub app_version: String,
    pub mode: Mode,
    #[ts(as = "Option<RegionTs>")]
    pub region: Option<Region>,
    pub customer_id: String,
    pub site_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Who did it, where, against which account: the same for every record of a run.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub run_id: String,
    pub os_user: String,
    pub computer: String,
    pub app_version: String,
    pub mode: Mode,
    pub region: Option<Region>,
    pub customer_id: String,
    pub site_id: String,
}

/// The per-session part of a record; the log adds `seq`, `time` and the hashes.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub session_id: String,
    pub session_user: Option<String>,
    pub machine: Option<String>,
    pub notify_user: Option<bool>,
    pub outcome: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
}

/// Where the next record chains from.
#[derive(Debug, Clone)]
struct Tail {
    seq: u64,
    hash: String,
    /// The file ends in a cut-off line (a crash mid-write): start the next record on a new line.
    needs_newline: bool,
}

/// The audit file. Appends are serialised through one mutex so the chain never forks.
pub struct AuditLog {
    path: PathBuf,
    /// Where the head of the trail is noted after each append (see the module docs).
    anchor: Option<PathBuf>,
    /// Read from the file on first use, so a problem with the file shows up when the officer acts
    /// (and is reported then) rather than stopping the app from starting.
    tail: Mutex<Option<Tail>>,
}

/// The last record written: its number and hash, kept outside the audit file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            anchor: None,
            tail: Mutex::new(None),
        }
    }

    /// A log that notes its head in `anchor` after every append and checks the file against it.
    pub fn with_anchor(path: PathBuf, anchor: PathBuf) -> Self {
        Self {
            anchor: Some(anchor),
            ..Self::new(path)
        }
    }

    /// The head noted in the anchor file, if there is a readable one.
    pub fn anchor(&self) -> Option<Head> {
        let path = self.anchor.as_deref()?;
        match read_anchor(path) {
            Ok(head) => head,
            Err(e) => {
                tracing::warn!(path = %path.display(), "audit anchor unreadable: {e}");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record, durably: it is on disk when this returns Ok. Only the tests append
    /// one record at a time from a plain thread; the app goes through [`AuditWriter`], which
    /// keeps the blocking sync off the async runtime.
    #[cfg(test)]
    pub fn append(
        &self,
        ctx: &AuditContext,
        event: AuditEvent,
        action: RunAction,
        entry: Entry,
    ) -> Result<AuditRecord> {
        let mut records = self.append_all([(ctx, event, action, entry)])?;
        records
            .pop()
            .ok_or_else(|| self.unavailable("no record was written"))
    }

    /// Appends the records in the order given, chained one after the other, with one write and
    /// one sync for all of them (group commit): all are on disk when this returns Ok, and none
    /// is reported written when it returns Err (a failed write may have left some of them in the
    /// file; they then show as requests without an outcome, which is the safe side).
    pub fn append_all<C: Borrow<AuditContext>>(
        &self,
        items: impl IntoIterator<Item = (C, AuditEvent, RunAction, Entry)>,
    ) -> Result<Vec<AuditRecord>> {
        let mut guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let tail = match guard.as_ref() {
            Some(t) => t.clone(),
            None => {
                let mut tail = read_tail(&self.path).map_err(|e| self.unavailable(e))?;
                // The file is behind its anchor: records were cut from the end or the file was
                // replaced. Chaining on from the anchor, not from what is left, keeps the gap
                // visible in the chain itself, so writing new records cannot hide it.
                if let Some(head) = self.anchor().filter(|h| h.seq > tail.seq) {
                    tracing::error!(
                        file_seq = tail.seq,
                        anchor_seq = head.seq,
                        "the audit file is behind its anchor; chaining from the anchor"
                    );
                    tail.seq = head.seq;
                    tail.hash = head.hash;
                }
                tail
            }
        };

        let mut line = String::new();
        if tail.needs_newline {
            line.push('\n');
        }
        let (mut seq, mut prev_hash) = (tail.seq, tail.hash);
        let mut records = Vec::new();
        for (ctx, event, action, entry) in items {
            let ctx = ctx.borrow();
            let mut record = AuditRecord {
                seq: seq + 1,
                time: now_rfc3339(),
                event,
                action,
                run_id: ctx.run_id.clone(),
                session_id: entry.session_id,
                session_user: entry.session_user,
                machine: entry.machine,
                notify_user: entry.notify_user,
                outcome: entry.outcome,
                kind: entry.kind,
                message: entry.message,
                transaction_id: entry.transaction_id,
                os_user: ctx.os_user.clone(),
                computer: ctx.computer.clone(),
                app_version: ctx.app_version.clone(),
                mode: ctx.mode,
                region: ctx.region,
                customer_id: ctx.customer_id.clone(),
                site_id: ctx.site_id.clone(),
                prev_hash,
                hash: String::new(),
            };
            record.hash = hash_record(&record).map_err(|e| self.unavailable(e))?;
            line.push_str(&serde_json::to_string(&record).map_err(|e| self.unavailable(e))?);
            line.push('\n');
            seq = record.seq;
            prev_hash = record.hash.clone();
            records.push(record);
        }
        let Some(last) = records.last() else {
            return Ok(records);
        };

        match write_durably(&self.path, line.as_bytes()) {
            Ok(()) => {
                *guard = Some(Tail {
                    seq: last.seq,
                    hash: last.hash.clone(),
                    needs_newline: false,
                });
                self.note_head(last);
                Ok(records)
            }
            Err(e) => {
                // Part of the lines may have reached the file: read the tail again next time.
                *guard = None;
                Err(self.unavailable(e))
            }
        }
    }

    /// Fails with `auditUnavailable` if the file cannot be opened for appending, so a run stops
    /// before its first session rather than failing each one.
    pub fn check_writable(&self) -> Result<()> {
        let _guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        write_durably(&self.path, b"").map_err(|e| self.unavailable(e))
    }

    /// Reads and verifies the whole file, against the anchor if there is one.
    pub fn scan(&self) -> Result<Scan> {
        // Holding the append lock keeps a half-written record out of the view.
        let _guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let anchor = self.anchor();
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(scan(&bytes, anchor.as_ref())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(scan(b"", anchor.as_ref())),
            Err(e) => Err(self.unavailable(e)),
        }
    }

    /// Holds the append lock until the returned guard is dropped: every append waits meanwhile,
    /// as it would behind a disk that takes its time to sync.
    #[cfg(test)]
    pub(crate) fn stall(&self) -> impl Sized + '_ {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes the new head in the anchor file. The record itself is already on disk, so a failure
    /// here costs only the truncation check for records after it: logged, not fatal. The anchor
    /// is replaced by rename (never half-written) and not synced: after a crash it can lag the
    /// file, which the checks accept, but never lead it, since the record was synced first.
    fn note_head(&self, record: &AuditRecord) {
        let Some(path) = self.anchor.as_deref() else {
            return;
        };
        let head = Head {
            seq: record.seq,
            hash: record.hash.clone(),
        };
        if let Err(e) = write_anchor(path, &head) {
            tracing::warn!(path = %path.display(), "audit anchor not updated: {e}");
        }
    }

    fn unavailable(&self, e: impl std::fmt::Display) -> Error {
        Error::AuditUnavailable(format!(
            "Recording Desk could not write to its audit trail at {} ({e}). Nothing was started \
             or stopped without an audit record. Check that the disk is not full and that you \
             can write to that folder.",
            self.path.display()
        ))
    }
}

/// Most records one write carries; far more than a run has waiting at once (two per session
/// in flight), so in practice every record waiting goes in the next write.
const MAX_BATCH: usize = 256;

/// One record waiting for the writer thread, and where its result goes.
struct Job {
    ctx: Arc<AuditContext>,
    event: AuditEvent,
    action: RunAction,
    entry: Entry,
    done: tokio::sync::oneshot::Sender<Result<AuditRecord>>,
}

/// Appends to an [`AuditLog`] from async code without blocking the runtime.
///
/// A thread of its own does the writing (the sync to disk blocks, for milliseconds on some
/// disks). The caller's future finishes once its record is on disk, exactly as [`AuditLog::append`]
/// returns, so "written before the request is sent" still holds when the caller awaits it first.
/// Records are written in the order they reach the writer, and every record waiting when the
/// thread is free goes into one write and one sync (group commit): a slow disk then costs one
/// sync per wave of sessions rather than one per record, and the chain is never forked because
/// the log's own lock still serialises the writes. The thread ends when the writer is dropped,
/// after the records already sent to it.
pub struct AuditWriter {
    log: Arc<AuditLog>,
    jobs: mpsc::Sender<Job>,
}

impl AuditWriter {
    /// Starts the writing thread; fails with `auditUnavailable` if the OS will not start one.
    pub fn start(log: Arc<AuditLog>) -> Result<AuditWriter> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread_log = Arc::clone(&log);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_jobs(&thread_log, &queue))
            .map_err(|e| log.unavailable(e))?;
        Ok(AuditWriter { log, jobs })
    }

    pub fn log(&self) -> &Arc<AuditLog> {
        &self.log
    }

    /// Appends one record; the future finishes when it is on disk (Ok) or cannot be (Err).
    pub async fn append(
        &self,
        ctx: &Arc<AuditContext>,
        event: AuditEvent,
        action: RunAction,
        entry: Entry,
    ) -> Result<AuditRecord> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = Job {
            ctx: Arc::clone(ctx),
            event,
            action,
            entry,
            done,
        };
        let stopped = || self.log.unavailable("its writing thread stopped");
        self.jobs.send(job).map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

/// The writer thread: takes every job waiting, writes them together, answers each.
fn write_jobs(log: &AuditLog, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut answers = Vec::with_capacity(batch.len());
        let items: Vec<_> = batch
            .into_iter()
            .map(|job| {
                answers.push(job.done);
                (job.ctx, job.event, job.action, job.entry)
            })
            .collect();
        match log.append_all(items) {
            Ok(records) => {
                for (done, record) in answers.into_iter().zip(records) {
                    // A caller that stopped waiting (its run was dropped) needs no answer.
                    let _ = done.send(Ok(record));
                }
            }
            Err(e) => {
                // Every error of `append_all` is `auditUnavailable`; each caller gets its own.
                let message = e.to_string();
                for done in answers {
                    let _ = done.send(Err(Error::AuditUnavailable(message.clone())));
                }
            }
        }
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // The trail names people and sessions: readable by the officer's account only.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // One write call for the whole line, so concurrent readers and a crash see all or (almost)
    // nothing of it.
    file.write_all(bytes)?;
    file.sync_data()
}

fn read_anchor(path: &Path) -> std::io::Result<Option<Head>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_anchor(path: &Path, head: &Head) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_vec(head).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn read_tail(path: &Path) -> std::io::Result<Tail> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let scan = scan(&bytes, None);
    Ok(Tail {
        seq: scan.last_seq,
        hash: scan.last_hash,
        needs_newline: !bytes.is_empty() && !bytes.ends_with(b"\n"),
    })
}

/// The result of reading the file: every readable record, and whether the chain holds.
#[derive(Debug, Clone)]
pub struct Scan {
    pub records: Vec<AuditRecord>,
    pub chain: AuditChain,
    last_seq: u64,
    last_hash: String,
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

fn hash_record(record: &AuditRecord) -> serde_json::Result<String> {
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

/// What the officer asked to see.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditFilter {
    /// RFC 3339 time, or a date (`YYYY-MM-DD`, from the start of that day, UTC).
    pub from: Option<String>,
    /// RFC 3339 time, or a date (`YYYY-MM-DD`, up to the end of that day, UTC).
    pub to: Option<String>,
    /// Part of the session's user or of the OS user who acted, any case.
    pub user: Option<String>,
    pub action: Option<RunAction>,
    /// An outcome (recording, failed, ...) or `requested` for the request records.
    pub outcome: Option<String>,
    /// Only the records made against Citrix Cloud, or only the demo site's; `null` for both.
    pub mode: Option<Mode>,
}

struct Bounds {
    from: Option<OffsetDateTime>,
    to_exclusive: Option<OffsetDateTime>,
}

impl AuditFilter {
    fn bounds(&self) -> Result<Bounds> {
        Ok(Bounds {
            from: non_empty(&self.from)
                .map(|s| parse_bound(s, false))
                .transpose()?,
            to_exclusive: non_empty(&self.to)
                .map(|s| parse_bound(s, true))
                .transpose()?,
        })
    }

    /// Keeps the records that match; an unparseable date is an `invalidInput` error.
    pub fn apply(&self, records: &[AuditRecord]) -> Result<Vec<AuditRecord>> {
        let bounds = self.bounds()?;
        let user = non_empty(&self.user).map(str::to_lowercase);
        let outcome = non_empty(&self.outcome);
        Ok(records
            .iter()
            .filter(|r| {
                let time = OffsetDateTime::parse(&r.time, &Rfc3339).ok();
                let in_range = match (time, bounds.from, bounds.to_exclusive) {
                    (_, None, None) => true,
                    // A record whose time cannot be read is shown rather than hidden.
                    (None, _, _) => true,
                    (Some(t), from, to) => from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e),
                };
                let user_matches = user.as_ref().is_none_or(|u| {
                    r.session_user
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(u))
                        || r.os_user.to_lowercase().contains(u)
                });
                let action_matches = self.action.is_none_or(|a| a == r.action);
                let outcome_matches = outcome.is_none_or(|o| match r.event {
                    AuditEvent::Requested => o == "requested",
                    AuditEvent::Outcome => r.outcome.as_deref() == Some(o),
                });
                let mode_matches = self.mode.is_none_or(|m| m == r.mode);
                in_range && user_matches && action_matches && outcome_matches && mode_matches
            })
            .cloned()
            .collect())
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_bound(s: &str, end: bool) -> Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        // An end time is inclusive: move it just past the given instant.
        return if end {
            t.checked_add(time::Duration::nanoseconds(1))
                .ok_or_else(|| out_of_range(s))
        } else {
            Ok(t)
        };
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s, &format).map_err(|_| {
        Error::InvalidInput(format!(
            "“{s}” is not a date. Use a date like 2025-03-01 or a full date and time."
        ))
    })?;
    let start = date.midnight().assume_utc();
    if end {
        start
            .checked_add(time::Duration::days(1))
            .ok_or_else(|| out_of_range(s))
    } else {
        Ok(start)
    }
}

fn out_of_range(s: &str) -> Error {
    Error::InvalidInput(format!(
        "“{s}” is too far in the future. Leave “To” empty to include everything up to now."
    ))
}

/// The request records that never got an outcome (the app or computer stopped mid-run), oldest
/// first: for each, the officer must check the session's status. Runs still going are left out.
/// Each record is returned, not just its session, because a session can have an open request
/// in one run and a completed one in the next; only the open one is in doubt.
pub fn unknown_outcomes(records: &[AuditRecord], active_run: Option<&str>) -> Vec<AuditRecord> {
    let mut open: HashMap<(&str, &str, RunAction), usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let key = (r.run_id.as_str(), r.session_id.as_str(), r.action);
        match r.event {
            AuditEvent::Requested => {
                open.insert(key, i);
            }
            AuditEvent::Outcome => {
                open.remove(&key);
            }
        }
    }
    let mut pending: Vec<usize> = open
        .into_iter()
        .filter(|((run, _, _), _)| Some(*run) != active_run)
        .map(|(_, i)| i)
        .collect();
    pending.sort_unstable();
    pending.into_iter().map(|i| records[i].clone()).collect()
}

/// Writes the records as CSV for a spreadsheet. Returns the number of rows written.
pub fn write_csv(records: &[AuditRecord], path: &Path) -> Result<usize> {
    let file = std::fs::File::create(path).map_err(|e| Error::file_write(path, e))?;
    write_csv_to(records, file).map_err(|e| Error::file_write(path, e))
}

const CSV_HEADER: [&str; 22] = [
    "seq",
    "time",
    "event",
    "action",
    "runId",
    "sessionId",
    "sessionUser",
    "machine",
    "notifyUser",
    "outcome",
    "kind",
    "message",
    "transactionId",
    "osUser",
    "computer",
    "appVersion",
    "mode",
    "region",
    "customerId",
    "siteId",
    "prevHash",
    "hash",
];

fn write_csv_to<W: std::io::Write>(records: &[AuditRecord], mut out: W) -> std::io::Result<usize> {
    // A byte order mark, so spreadsheet programs read names with accents as UTF-8.
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(CSV_HEADER)?;
    for r in records {
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let region = r
            .region
            .and_then(|region| serde_json::to_value(region).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let row = [
            r.seq.to_string(),
            r.time.clone(),
            match r.event {
                AuditEvent::Requested => "requested".to_owned(),
                AuditEvent::Outcome => "outcome".to_owned(),
            },
            r.action.as_str().to_owned(),
            r.run_id.clone(),
            r.session_id.clone(),
            opt(&r.session_user),
            opt(&r.machine),
            r.notify_user.map(|b| b.to_string()).unwrap_or_default(),
            opt(&r.outcome),
            opt(&r.kind),
            opt(&r.message),
            opt(&r.transaction_id),
            r.os_user.clone(),
            r.computer.clone(),
            r.app_version.clone(),
            r.mode.as_str().to_owned(),
            region,
            r.customer_id.clone(),
            r.site_id.clone(),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        csv.write_record(row.iter().map(|cell| defuse_formula(cell).into_owned()))?;
    }
    csv.flush()?;
    Ok(records.len())
}

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula. Session user names
/// come from Citrix and can be anything, so such cells get a leading apostrophe.
fn defuse_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc().unix_timestamp().to_string())
}

/// The OS account running the app, asked of the OS (environment variables such as `USER` can
/// be set by whoever starts the app). They are only a fallback if the OS cannot say.
pub fn os_user() -> String {
    whoami::username()
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| {
            ["USER", "USERNAME", "LOGNAME"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The computer's network name, asked of the OS once.
pub fn computer_name() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        whoami::hostname()
            .ok()
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_owned())
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> AuditContext {
        AuditContext {
            run_id: "run-1".into(),
            os_user: "officer".into(),
            computer: "DESK-01".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Cloud,
            region: Some(Region::Eu),
            customer_id: "acme".into(),
            site_id: "site-1".into(),
        }
    }

    fn entry(id: &str, user: &str) -> Entry {
        Entry {
            session_id: id.into(),
            session_user: Some(user.into()),
            machine: Some("CONTOSO\\VDA-01".into()),
            notify_user: Some(true),
            ..Default::default()
        }
    }

    /// Appends `n` "requested" records, for sessions s0, s1, ...
    fn fill(log: &AuditLog, n: usize) {
        for i in 0..n {
            log.append(
                &ctx(),
                AuditEvent::Requested,
                RunAction::Start,
                entry(&format!("s{i}"), "CONTOSO\\jsmith"),
            )
            .expect("append");
        }
    }

    fn log_with(n: usize) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join(FILE_NAME));
        fill(&log, n);
        (dir, log)
    }

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
            .append(
                &ctx(),
                AuditEvent::Outcome,
                RunAction::Start,
                entry("s1", "x"),
            )
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

    fn scan_file(path: &Path) -> Scan {
        scan(&std::fs::read(path).expect("read"), None)
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
            .append(
                &ctx(),
                AuditEvent::Requested,
                RunAction::Stop,
                entry("s9", "x"),
            )
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
    fn an_unwritable_trail_is_audit_unavailable() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the file should be: opening it for append fails on every OS.
        let path = dir.path().join(FILE_NAME);
        std::fs::create_dir(&path).expect("mkdir");
        let err = AuditLog::new(path)
            .append(
                &ctx(),
                AuditEvent::Requested,
                RunAction::Start,
                entry("s", "u"),
            )
            .expect_err("cannot write");
        assert_eq!(err.kind(), "auditUnavailable");
    }

    #[test]
    fn csv_quotes_commas_quotes_newlines_and_defuses_formulas() {
        let (_dir, log) = log_with(0);
        let mut e = entry("s1", "Smith, \"Jane\"\nsecond line");
        e.message = Some("=HYPERLINK(\"http://x\")".into());
        let r = log
            .append(&ctx(), AuditEvent::Outcome, RunAction::Start, e)
            .expect("append");
        let mut out = Vec::new();
        assert_eq!(write_csv_to(&[r], &mut out).expect("csv"), 1);
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with('\u{feff}'));
        assert!(
            text.contains(",\"Smith, \"\"Jane\"\"\nsecond line\","),
            "{text}"
        );
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{text}"
        );

        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), CSV_HEADER);
        let row = reader.records().next().expect("row").expect("parse");
        assert_eq!(&row[6], "Smith, \"Jane\"\nsecond line");
        assert_eq!(&row[8], "true");
        assert_eq!(
            &row[16], "cloud",
            "demo and real actions are told apart in the export"
        );
        assert_eq!(&row[17], "eu");
    }

    fn record(seq: u64, time: &str, event: AuditEvent, action: RunAction) -> AuditRecord {
        AuditRecord {
            seq,
            time: time.into(),
            event,
            action,
            run_id: "r1".into(),
            session_id: format!("s{seq}"),
            session_user: Some("CONTOSO\\jsmith".into()),
            machine: None,
            notify_user: None,
            outcome: (event == AuditEvent::Outcome).then(|| "failed".to_owned()),
            kind: None,
            message: None,
            transaction_id: None,
            os_user: "officer".into(),
            computer: "DESK".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Demo,
            region: None,
            customer_id: "c".into(),
            site_id: "s".into(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn filters_by_time_user_action_and_outcome() {
        use AuditEvent::*;
        use RunAction::*;
        let mut records = vec![
            record(1, "2025-03-01T08:00:00Z", Requested, Start),
            record(2, "2025-03-01T23:59:59.5Z", Outcome, Start),
            record(3, "2025-03-02T00:00:00Z", Requested, Stop),
            record(4, "2025-03-03T12:00:00+02:00", Outcome, Stop),
        ];
        records[2].session_user = Some("Jane Smith".into());
        let seqs = |f: AuditFilter| -> Vec<u64> {
            f.apply(&records)
                .expect("filter")
                .iter()
                .map(|r| r.seq)
                .collect()
        };

        assert_eq!(seqs(AuditFilter::default()), [1, 2, 3, 4]);
        let day = |from: &str, to: &str| AuditFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        assert_eq!(seqs(day("2025-03-01", "2025-03-01")), [1, 2]);
        assert_eq!(seqs(day("2025-03-02", "2025-03-03")), [3, 4]);
        assert_eq!(
            seqs(day("2025-03-01T09:00:00+01:00", "2025-03-02T00:00:00Z")),
            [1, 2, 3],
            "bounds are inclusive and honour offsets"
        );
        assert_eq!(
            seqs(AuditFilter {
                user: Some("  JANE ".into()),
                ..Default::default()
            }),
            [3]
        );
        assert_eq!(
            seqs(AuditFilter {
                user: Some("offic".into()),
                ..Default::default()
            }),
            [1, 2, 3, 4],
            "matches the OS user too"
        );
        assert_eq!(
            seqs(AuditFilter {
                action: Some(Stop),
                ..Default::default()
            }),
            [3, 4]
        );
        assert_eq!(
            seqs(AuditFilter {
                outcome: Some("failed".into()),
                ..Default::default()
            }),
            [2, 4]
        );
        assert_eq!(
            seqs(AuditFilter {
                outcome: Some("requested".into()),
                ..Default::default()
            }),
            [1, 3]
        );
        let bad = AuditFilter {
            from: Some("yesterday".into()),
            ..Default::default()
        };
        assert_eq!(
            bad.apply(&records).expect_err("bad date").kind(),
            "invalidInput"
        );
    }

    #[test]
    fn the_filter_accepts_the_ipc_shape() {
        let f: AuditFilter = serde_json::from_value(serde_json::json!({
            "from": null, "to": "2025-03-01", "user": null, "action": "stop", "outcome": null
        }))
        .expect("deserialize");
        assert_eq!(f.action, Some(RunAction::Stop));
        let empty: AuditFilter = serde_json::from_value(serde_json::json!({})).expect("empty");
        assert!(empty.from.is_none());
    }

    #[test]
    fn requests_without_outcome_are_listed_once_except_for_the_active_run() {
        use AuditEvent::*;
        use RunAction::*;
        let mut rs = vec![
            record(1, "t", Requested, Start),
            record(2, "t", Outcome, Start),
            record(3, "t", Requested, Start),
            record(4, "t", Requested, Stop),
            record(5, "t", Requested, Start),
        ];
        rs[1].session_id = "s1".into(); // outcome of 1
        rs[2].session_id = "a".into();
        rs[3].session_id = "a".into(); // same session, stop, also open
        rs[4].session_id = "b".into();
        rs[4].run_id = "r2".into();
        let seqs = |active: Option<&str>| -> Vec<u64> {
            unknown_outcomes(&rs, active)
                .iter()
                .map(|r| r.seq)
                .collect()
        };
        assert_eq!(seqs(None), [3, 4, 5]);
        assert_eq!(seqs(Some("r2")), [3, 4]);
    }

    /// Session S: requested in run 1 (the app then crashed, no outcome), requested again and
    /// confirmed in run 2. Only run 1's request is in doubt.
    #[test]
    fn the_open_request_is_flagged_not_a_later_completed_one_of_the_same_session() {
        use AuditEvent::*;
        use RunAction::*;
        let mut rs = vec![
            record(1, "t", Requested, Start),
            record(2, "t", Requested, Start),
            record(3, "t", Outcome, Start),
        ];
        for r in &mut rs {
            r.session_id = "S".into();
        }
        rs[0].run_id = "run-1".into();
        rs[1].run_id = "run-2".into();
        rs[2].run_id = "run-2".into();
        let open = unknown_outcomes(&rs, None);
        assert_eq!(open.iter().map(|r| r.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(open[0].run_id, "run-1");
    }

    fn anchored_log_with(n: usize) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::with_anchor(
            dir.path().join("data").join(FILE_NAME),
            dir.path().join("config").join("audit.head"),
        );
        fill(&log, n);
        (dir, log)
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
            .append(
                &ctx(),
                AuditEvent::Requested,
                RunAction::Stop,
                entry("s9", "x"),
            )
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
                    &ctx(),
                    AuditEvent::Requested,
                    RunAction::Stop,
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
        log.append(
            &ctx(),
            AuditEvent::Outcome,
            RunAction::Start,
            entry("s1", "x"),
        )
        .expect("append");
        std::fs::write(&anchor, saved).expect("restore the older anchor");
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 3);
    }

    #[test]
    fn a_date_at_the_end_of_time_is_invalid_input_not_a_panic() {
        let records = [record(
            1,
            "2025-03-01T08:00:00Z",
            AuditEvent::Requested,
            RunAction::Start,
        )];
        for to in ["9999-12-31", "9999-12-31T23:59:59.999999999Z"] {
            let f = AuditFilter {
                to: Some(to.into()),
                ..Default::default()
            };
            assert_eq!(f.apply(&records).expect_err(to).kind(), "invalidInput");
        }
        let f = AuditFilter {
            from: Some("9999-12-31".into()),
            ..Default::default()
        };
        assert!(f.apply(&records).expect("from is fine").is_empty());
    }

    #[test]
    fn filters_by_mode() {
        let mut records = vec![
            record(
                1,
                "2025-03-01T08:00:00Z",
                AuditEvent::Requested,
                RunAction::Start,
            ),
            record(
                2,
                "2025-03-01T08:00:01Z",
                AuditEvent::Requested,
                RunAction::Start,
            ),
        ];
        records[1].mode = Mode::Cloud;
        let seqs = |mode| -> Vec<u64> {
            AuditFilter {
                mode,
                ..Default::default()
            }
            .apply(&records)
            .expect("filter")
            .iter()
            .map(|r| r.seq)
            .collect()
        };
        assert_eq!(seqs(Some(Mode::Cloud)), [2]);
        assert_eq!(seqs(Some(Mode::Demo)), [1]);
        assert_eq!(seqs(None), [1, 2]);
    }

    #[test]
    fn who_and_where_come_from_the_os_not_the_environment() {
        // Another user name in the environment does not change who the OS says is running.
        let from_os = whoami::username().expect("the OS knows the user");
        assert_eq!(os_user(), from_os);
        assert_ne!(computer_name(), "unknown");
    }

    /// Records sent to the writer while the disk is busy wait, then go to disk in the order
    /// they were sent, on one chain; each caller learns its own record.
    #[tokio::test]
    async fn the_writer_keeps_the_order_records_were_sent_in() {
        let (_dir, log) = anchored_log_with(1);
        let log = Arc::new(log);
        let writer = Arc::new(AuditWriter::start(Arc::clone(&log)).expect("writer"));
        let ctx = Arc::new(ctx());
        let stall = log.stall();
        let mut waiting = Vec::new();
        for i in 0..10 {
            let (writer, ctx) = (Arc::clone(&writer), Arc::clone(&ctx));
            waiting.push(tokio::spawn(async move {
                writer
                    .append(
                        &ctx,
                        AuditEvent::Requested,
                        RunAction::Start,
                        entry(&format!("w{i}"), "u"),
                    )
                    .await
            }));
            // Each task sends its record before the next one is spawned.
            tokio::task::yield_now().await;
        }
        assert!(
            waiting.iter().all(|t| !t.is_finished()),
            "all wait for the disk"
        );
        drop(stall);
        for (i, task) in waiting.into_iter().enumerate() {
            let record = task.await.expect("task").expect("append");
            assert_eq!(record.session_id, format!("w{i}"));
            assert_eq!(record.seq, i as u64 + 2);
        }
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 11);
        assert_eq!(log.anchor().expect("anchor").seq, 11);
    }

    #[tokio::test]
    async fn the_writer_reports_a_trail_it_cannot_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        std::fs::create_dir(&path).expect("a folder where the file should be");
        let writer = AuditWriter::start(Arc::new(AuditLog::new(path))).expect("writer");
        let err = writer
            .append(
                &Arc::new(ctx()),
                AuditEvent::Requested,
                RunAction::Start,
                entry("s", "u"),
            )
            .await
            .expect_err("cannot write");
        assert_eq!(err.kind(), "auditUnavailable");
    }

    #[test]
    fn appends_from_many_threads_keep_one_chain() {
        let (_dir, log) = log_with(0);
        let log = std::sync::Arc::new(log);
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        log.append(
                            &ctx(),
                            AuditEvent::Requested,
                            RunAction::Start,
                            entry(&format!("t{t}-{i}"), "u"),
                        )
                        .expect("append");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
        let scan = log.scan().expect("scan");
        assert_eq!(scan.records.len(), 80);
        assert!(scan.chain.intact, "{}", scan.chain.message);
    }
}
