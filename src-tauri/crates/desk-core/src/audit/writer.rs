//! The audit file and how records reach it: [`AuditLog`] appends durably (one write and one sync
//! per batch, before the request it describes is sent) and keeps the head anchor up to date;
//! [`AuditWriter`] does the appending on a thread of its own, so the sync never blocks the async
//! runtime.

use std::borrow::Borrow;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::chain::{hash_record, scan, Scan};
use super::{notify_user, now_rfc3339, ActionKind, AuditContext, AuditEvent, AuditRecord, Entry};
use crate::error::{Error, Result};

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
        entry: Entry,
    ) -> Result<AuditRecord> {
        let mut records = self.append_all([(ctx, event, entry)])?;
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
        items: impl IntoIterator<Item = (C, AuditEvent, Entry)>,
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
        for (ctx, event, entry) in items {
            let ctx = ctx.borrow();
            let mut record = AuditRecord {
                seq: seq + 1,
                time: now_rfc3339(),
                event,
                action: ActionKind::of(&ctx.action),
                run_id: ctx.run_id.clone(),
                session_id: entry.session_id,
                session_user: entry.session_user,
                display_name: entry.display_name,
                machine: entry.machine,
                notify_user: notify_user(&ctx.action),
                reason: ctx.reason.clone(),
                case_ref: ctx.case_ref.clone(),
                outcome: entry.outcome,
                kind: entry.kind,
                message: entry.message,
                transaction_id: entry.transaction_id,
                accepted: entry.accepted,
                answer_lost: entry.answer_lost,
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

    /// Takes the trail for one run, against every other program on this computer that writes
    /// it (the window, the command-line tool): `Ok(None)` when another one holds it. See
    /// [`TrailLock`].
    pub fn try_hold(&self) -> Result<Option<TrailLock>> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(self.held(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(self.unavailable(e)),
        }
    }

    /// Like [`AuditLog::try_hold`], but waits (blocking the thread) until the other program
    /// lets go.
    pub fn hold(&self) -> Result<TrailLock> {
        let file = self.lock_file()?;
        file.lock().map_err(|e| self.unavailable(e))?;
        Ok(self.held(file))
    }

    fn lock_file(&self) -> Result<File> {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.unavailable(e))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| self.unavailable(e))
    }

    fn held(&self, file: File) -> TrailLock {
        // Another program may have appended since this one last did: chain on from the file.
        *self.tail.lock().unwrap_or_else(|p| p.into_inner()) = None;
        TrailLock { _file: file }
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

/// The trail held by this program for one run. Each program keeps the head of the chain in
/// memory between appends, so two programs appending at once would fork the chain; holding this
/// OS lock (on a file beside the trail) for the whole run keeps every other program's run
/// waiting or refused, and taking it makes this one read the head again. Released when dropped
/// (the OS also releases it if the program dies).
pub struct TrailLock {
    _file: File,
}

/// Most records one write carries; far more than a run has waiting at once (two per session
/// in flight), so in practice every record waiting goes in the next write.
const MAX_BATCH: usize = 256;

/// One record waiting for the writer thread, and where its result goes.
struct Job {
    ctx: Arc<AuditContext>,
    event: AuditEvent,
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
        entry: Entry,
    ) -> Result<AuditRecord> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = Job {
            ctx: Arc::clone(ctx),
            event,
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
                (job.ctx, job.event, job.entry)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testing::*;
    use crate::error::ErrorKind;
    use crate::paths::AUDIT_FILE as FILE_NAME;

    #[test]
    fn an_unwritable_trail_is_audit_unavailable() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the file should be: opening it for append fails on every OS.
        let path = dir.path().join(FILE_NAME);
        std::fs::create_dir(&path).expect("mkdir");
        let err = AuditLog::new(path)
            .append(&ctx_for(START), AuditEvent::Requested, entry("s", "u"))
            .expect_err("cannot write");
        assert_eq!(err.kind(), ErrorKind::AuditUnavailable);
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
                    .append(&ctx, AuditEvent::Requested, entry(&format!("w{i}"), "u"))
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
            .append(&Arc::new(ctx()), AuditEvent::Requested, entry("s", "u"))
            .await
            .expect_err("cannot write");
        assert_eq!(err.kind(), ErrorKind::AuditUnavailable);
    }

    /// Two programs on one trail (two logs on one file here: the OS lock is per open file, the
    /// same as between processes): one run at a time, and each chains on from the other's
    /// records.
    #[test]
    fn one_program_at_a_time_holds_the_trail_and_the_chain_stays_whole() {
        let (dir, window) = anchored_log_with(1);
        let tool = AuditLog::with_anchor(
            dir.path().join("data").join(FILE_NAME),
            dir.path().join("config").join(crate::paths::ANCHOR_FILE),
        );
        fill(&tool, 1);

        let held = window.try_hold().expect("lock").expect("free");
        assert!(
            tool.try_hold().expect("lock").is_none(),
            "held by the other"
        );
        fill(&window, 1);
        drop(held);

        let held = tool.try_hold().expect("lock").expect("free again");
        fill(&tool, 1);
        drop(held);
        let _held = window.hold().expect("lock");
        fill(&window, 1);

        let scan = window.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 5);
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
                            &ctx_for(START),
                            AuditEvent::Requested,
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
