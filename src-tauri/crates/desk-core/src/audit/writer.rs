//! The audit file and how records reach it: [`AuditLog`] appends durably (one write and one sync
//! per batch, before the request it describes is sent), seals each record with the
//! installation's key and keeps the anchor in the keychain up to date; [`AuditWriter`] does the
//! appending on a thread of its own, so the sync never blocks the async runtime.

use std::borrow::Borrow;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::chain::{hash_record, scan, ChainState, Check, End, Scan};
use super::seal::{Anchor, AnchorNoter, TrailKey, TrailSeals};
use super::witness::{Witness, WitnessStatus};
use super::{notify_user, now_rfc3339, ActionKind, AuditContext, AuditEvent, AuditRecord, Entry};
use crate::error::{Error, Result};

/// Where the next record chains from.
#[derive(Clone)]
struct Tail {
    seq: u64,
    hash: String,
    /// The file ends in a cut-off line (a crash mid-write): start the next record on a new line.
    needs_newline: bool,
    /// The key new records are sealed with (`None` for an unsealed log).
    key: Option<TrailKey>,
    /// Whether appends move the anchor on. Only when the end of the file was verified when the
    /// tail was read: an anchor that is missing, unreadable or another trail's is never replaced
    /// silently, only by the officer's Re-seal.
    anchor: bool,
}

/// The audit file. Appends are serialised through one mutex so the chain never forks.
pub struct AuditLog {
    path: PathBuf,
    /// The keychain entries of the key and the anchor; `None`: an unsealed log (tests of other
    /// parts), with plain SHA-256 hashes and no anchor.
    seals: Option<TrailSeals>,
    /// The head file earlier versions kept beside the trail's folder: read (never written) to
    /// check the end of a trail that has no keyed record yet.
    legacy_head: Option<PathBuf>,
    /// Read from the file on first use, so a problem with the file shows up when the officer acts
    /// (and is reported then) rather than stopping the app from starting.
    tail: Mutex<Option<Tail>>,
    /// How many [`TrailLock`]s this program holds on the trail.
    held: Arc<AtomicUsize>,
    /// Writes the anchor after each write of records, off the writer's path (sealed logs only).
    noter: Option<AnchorNoter>,
    /// Copies of each record written, to the system log (see [`Witness`]); off the writer's path.
    witness: Option<Witness>,
}

/// The last record written: its number and hash (the head file of earlier versions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl AuditLog {
    /// An unsealed log: records are chained with plain SHA-256 and nothing checks the end.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            seals: None,
            legacy_head: None,
            tail: Mutex::new(None),
            held: Arc::new(AtomicUsize::new(0)),
            noter: None,
            witness: None,
        }
    }

    /// This log with its records also copied to `witness`, once each is on disk.
    #[must_use]
    pub fn with_witness(mut self, witness: Witness) -> Self {
        self.witness = Some(witness);
        self
    }

    /// Whether the copies of the trail reach the system log; `None` for a log without witness.
    pub fn witness_status(&self) -> Option<WitnessStatus> {
        self.witness.as_ref().map(Witness::status)
    }

    /// The witness, when this log has one (the tests wait on it).
    pub fn witness(&self) -> Option<&Witness> {
        self.witness.as_ref()
    }

    /// The app's log: records sealed with the key in `seals`, the end checked against its
    /// anchor there (or, for a trail with no keyed record yet, against the head file an earlier
    /// version wrote at `legacy_head`).
    pub fn sealed(path: PathBuf, legacy_head: PathBuf, seals: TrailSeals) -> Self {
        Self {
            noter: Some(AnchorNoter::start(seals.clone())),
            seals: Some(seals),
            legacy_head: Some(legacy_head),
            ..Self::new(path)
        }
    }

    /// The head noted in the keychain's anchor, if there is a readable one, once the anchor of
    /// this log's last write is noted.
    pub fn anchor(&self) -> Option<Anchor> {
        if let Some(noter) = &self.noter {
            noter.flush();
        }
        self.seals.as_ref()?.anchor().ok().flatten()
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
        let records = items
            .into_iter()
            .map(|(ctx, event, entry)| {
                let ctx = ctx.borrow();
                AuditRecord {
                    seq: 0,
                    time: String::new(),
                    event,
                    action: ActionKind::of(&ctx.action),
                    run_id: ctx.run_id.clone(),
                    session_id: entry.session_id,
                    session_user: entry.session_user,
                    display_name: entry.display_name,
                    machine: entry.machine,
                    delivery_group: entry.delivery_group,
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
                    profile: ctx.profile.clone(),
                    customer_id: ctx.customer_id.clone(),
                    site_id: ctx.site_id.clone(),
                    api_host: Some(ctx.api_host.clone()),
                    key_id: None,
                    prev_hash: String::new(),
                    hash: String::new(),
                }
            })
            .collect();
        let mut guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let tail = match guard.as_ref() {
            Some(t) => t.clone(),
            None => self.open_tail(false)?,
        };
        self.write(&mut guard, tail, records)
    }

    /// Re-seals the trail after its end could not be verified (the anchor missing, unreadable or
    /// another trail's; the key missing): writes a record saying what was found and who did it
    /// (`os_user` on `computer`), sealed with this installation's key (a
    /// new one if the keychain has none), and anchors the trail on it. Refused when the end can
    /// be verified: there is nothing to re-seal, and re-sealing must never paper over a trail
    /// that shows records changed or removed.
    pub fn reseal(&self, os_user: &str, computer: &str) -> Result<AuditRecord> {
        let mut guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let scan = self.scan_locked(&guard)?;
        if scan.chain.state != ChainState::EndUnverified {
            return Err(Error::invalid(
                "The end of the audit trail can be verified, so there is nothing to re-seal.",
            ));
        }
        let tail = self.open_tail(true)?;
        let record = AuditRecord {
            seq: 0,
            time: String::new(),
            event: AuditEvent::Resealed,
            action: ActionKind::Reseal,
            run_id: uuid::Uuid::new_v4().to_string(),
            session_id: String::new(),
            session_user: None,
            display_name: None,
            machine: None,
            delivery_group: None,
            notify_user: None,
            reason: None,
            case_ref: None,
            outcome: None,
            kind: None,
            message: Some(format!(
                "Re-sealed by {os_user} on {computer}. What was found: {}",
                scan.chain.message
            )),
            transaction_id: None,
            accepted: None,
            answer_lost: None,
            os_user: os_user.to_owned(),
            computer: computer.to_owned(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            // About the trail, not an account: the Audit screen lists it under every "Where".
            mode: crate::account::Mode::Cloud,
            region: None,
            profile: None,
            customer_id: String::new(),
            site_id: String::new(),
            api_host: None,
            key_id: None,
            prev_hash: String::new(),
            hash: String::new(),
        };
        let tail = Tail {
            anchor: true,
            ..tail
        };
        let mut written = self.write(&mut guard, tail, vec![record])?;
        let record = written
            .pop()
            .ok_or_else(|| self.unavailable("no record was written"))?;
        // The anchor is the point of a re-seal: written here and now, after any older one still
        // waiting, and a failure to note it is the officer's to know.
        if let Some(noter) = &self.noter {
            noter.flush();
        }
        if let (Some(seals), Some(key)) = (&self.seals, guard.as_ref().and_then(|t| t.key.clone()))
        {
            seals
                .set_anchor(&Anchor {
                    trail_id: key.id,
                    seq: record.seq,
                    seal: record.hash.clone(),
                })
                .map_err(|e| self.keychain_problem(&e))?;
        }
        Ok(record)
    }

    /// Numbers, chains and seals `records` after `tail`, writes them with one write and one
    /// sync, then moves the anchor on.
    fn write(
        &self,
        guard: &mut MutexGuard<'_, Option<Tail>>,
        tail: Tail,
        mut records: Vec<AuditRecord>,
    ) -> Result<Vec<AuditRecord>> {
        let mut line = String::new();
        if tail.needs_newline {
            line.push('\n');
        }
        let (mut seq, mut prev_hash) = (tail.seq, tail.hash.clone());
        for record in &mut records {
            record.seq = seq + 1;
            record.time = now_rfc3339();
            record.prev_hash = prev_hash;
            record.key_id = tail.key.as_ref().map(|k| k.id.clone());
            record.hash =
                hash_record(record, tail.key.as_ref()).map_err(|e| self.unavailable(e))?;
            line.push_str(&serde_json::to_string(&record).map_err(|e| self.unavailable(e))?);
            line.push('\n');
            seq = record.seq;
            prev_hash = record.hash.clone();
        }
        let Some(last) = records.last() else {
            return Ok(records);
        };

        match write_durably(&self.path, line.as_bytes()) {
            Ok(()) => {
                if let (true, Some(noter), Some(key)) = (tail.anchor, &self.noter, &tail.key) {
                    // The record is already on disk; the anchor follows on its own thread (see
                    // `AnchorNoter`), so the run never waits for the keychain.
                    noter.note(Anchor {
                        trail_id: key.id.clone(),
                        seq: last.seq,
                        seal: last.hash.clone(),
                    });
                }
                if let Some(witness) = &self.witness {
                    // Only queued here: the system log is written on the witness's own thread.
                    witness.written(&records);
                }
                **guard = Some(Tail {
                    seq: last.seq,
                    hash: last.hash.clone(),
                    needs_newline: false,
                    ..tail
                });
                Ok(records)
            }
            Err(e) => {
                // Part of the lines may have reached the file: read the tail again next time.
                **guard = None;
                Err(self.unavailable(e))
            }
        }
    }

    /// Reads the file's end, the key and the anchor: where the next record chains from, what
    /// seals it, and whether the anchor may follow. The key is created here on first use when
    /// no record is keyed yet (a new installation, or a trail of an earlier version going on
    /// keyed); a trail with keyed records whose key is gone is not written until the officer
    /// re-seals it (`resealing`), which creates a new one.
    fn open_tail(&self, resealing: bool) -> Result<Tail> {
        let bytes = self.read_bytes()?;
        let needs_newline = !bytes.is_empty() && !bytes.ends_with(b"\n");
        let Some(seals) = &self.seals else {
            let scan = scan(&bytes, Check::ChainOnly, true);
            return Ok(Tail {
                seq: scan.last_seq,
                hash: scan.last_hash,
                needs_newline,
                key: None,
                anchor: false,
            });
        };
        let key = seals.key().map_err(|e| self.keychain_problem(&e))?;
        let anchor = seals.anchor();
        let legacy = self.legacy_head();
        let scan = scan(
            &bytes,
            Check::Full {
                key: key.as_ref(),
                anchor: &anchor,
                legacy: legacy.as_ref(),
            },
            true,
        );
        let key = match key {
            Some(key) => key,
            None if !scan.keyed || resealing => {
                seals.create_key().map_err(|e| self.keychain_problem(&e))?
            }
            None => {
                return Err(Error::AuditUnavailable(
                    "The key that seals Recording Desk's audit trail is no longer in this \
                     computer's keychain, so new records cannot be sealed. Nothing was started \
                     or stopped. Open the Audit screen and choose Re-seal to start sealing \
                     again with a new key (the re-seal is written into the trail), or ask IT to \
                     restore the keychain."
                        .to_owned(),
                ));
            }
        };
        let (seq, hash, anchor) = match scan.end {
            End::Verified => (scan.last_seq, scan.last_hash, true),
            // Records were cut from the end or the file replaced: chaining on from the anchor,
            // not from what is left, keeps the gap visible in the chain itself, so writing new
            // records cannot hide it.
            End::Behind(head) => {
                tracing::error!(
                    file_seq = scan.last_seq,
                    anchor_seq = head.seq,
                    "the audit file is behind its anchor; chaining from the anchor"
                );
                (head.seq, head.hash, true)
            }
            End::Replaced | End::Unverifiable | End::Unchecked => {
                (scan.last_seq, scan.last_hash, false)
            }
        };
        Ok(Tail {
            seq,
            hash,
            needs_newline,
            key: Some(key),
            anchor,
        })
    }

    fn read_bytes(&self) -> Result<Vec<u8>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.unavailable(e)),
        }
    }

    /// The head file of an earlier version, if there is a readable one.
    fn legacy_head(&self) -> Option<Head> {
        let path = self.legacy_head.as_deref()?;
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .inspect_err(
                    |e| tracing::warn!(path = %path.display(), "old head file unreadable: {e}"),
                )
                .ok(),
            Err(_) => None,
        }
    }

    /// Takes the trail against every other program on this computer that writes it (the
    /// window, the command-line tool): `Ok(None)` when another one holds it. See [`TrailLock`].
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
        self.held.fetch_add(1, Ordering::SeqCst);
        TrailLock {
            _file: file,
            held: Arc::clone(&self.held),
        }
    }

    /// Whether this program holds the trail now (so no other program is writing it).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst) > 0
    }

    /// Fails with `auditUnavailable` if the file cannot be opened for appending, so a run stops
    /// before its first session rather than failing each one.
    pub fn check_writable(&self) -> Result<()> {
        let _guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        write_durably(&self.path, b"").map_err(|e| self.unavailable(e))
    }

    /// Reads and verifies the whole file: the chain, the seals and the end against the anchor.
    pub fn scan(&self) -> Result<Scan> {
        self.scan_then(|| ())
    }

    /// [`Self::scan`], running `unlocked` once the append lock is released and before the
    /// records are parsed and their seals checked (for tests).
    fn scan_then(&self, unlocked: impl FnOnce()) -> Result<Scan> {
        let (bytes, check) = {
            // Holding the append lock keeps a half-written record of this program out of the
            // view, and makes the bytes, the key and the anchor one consistent picture.
            let guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
            // The anchor follows this program's writes on a thread of its own: wait for the
            // latest one to reach the keychain, so an end this program wrote is never reported
            // as one that cannot be verified (nor checked against an older anchor).
            if let Some(noter) = &self.noter {
                noter.flush();
            }
            self.read_locked(&guard)?
        };
        // Parsing and checking every seal takes a while on a long trail: a run's records are
        // written meanwhile.
        unlocked();
        Ok(self.check(&bytes, check.as_ref()))
    }

    /// A scan that keeps the append lock throughout (for an append that depends on it).
    fn scan_locked(&self, guard: &MutexGuard<'_, Option<Tail>>) -> Result<Scan> {
        let (bytes, seals) = self.read_locked(guard)?;
        Ok(self.check(&bytes, seals.as_ref()))
    }

    fn check(&self, bytes: &[u8], seals: Option<&Seals>) -> Scan {
        let check = match seals {
            Some((key, anchor, legacy)) => Check::Full {
                key: key.as_ref(),
                anchor,
                legacy: legacy.as_ref(),
            },
            None => Check::ChainOnly,
        };
        scan(bytes, check, self.is_held())
    }

    /// The trail's bytes, and (for a sealed trail) its key, anchor and old head file.
    fn read_locked(
        &self,
        _guard: &MutexGuard<'_, Option<Tail>>,
    ) -> Result<(Vec<u8>, Option<Seals>)> {
        let bytes = self.read_bytes()?;
        let Some(seals) = &self.seals else {
            return Ok((bytes, None));
        };
        // A keychain that cannot be read leaves the seals unchecked and the end unverified;
        // the message says why.
        let (key, key_problem) = match seals.key() {
            Ok(key) => (key, None),
            Err(e) => (None, Some(e)),
        };
        let anchor = match key_problem {
            Some(e) => Err(e),
            None => seals.anchor(),
        };
        Ok((bytes, Some((key, anchor, self.legacy_head()))))
    }

    /// Holds the append lock until the returned guard is dropped: every append waits meanwhile,
    /// as it would behind a disk that takes its time to sync.
    #[cfg(test)]
    pub(crate) fn stall(&self) -> impl Sized + '_ {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn unavailable(&self, e: impl std::fmt::Display) -> Error {
        Error::AuditUnavailable(format!(
            "Recording Desk could not write to its audit trail at {} ({e}). Nothing was started \
             or stopped without an audit record. Check that the disk is not full and that you \
             can write to that folder.",
            self.path.display()
        ))
    }

    fn keychain_problem(&self, e: &str) -> Error {
        Error::AuditUnavailable(format!(
            "Recording Desk could not use the key that seals its audit trail: {e}. Nothing was \
             started or stopped without an audit record. Unlock the keychain and try again."
        ))
    }
}

/// What a scan checks a sealed trail against: its key, its anchor (`Err`: it could not be read)
/// and an earlier version's head file.
type Seals = (
    Option<TrailKey>,
    Result<Option<Anchor>, String>,
    Option<Head>,
);

/// The trail held by this program: the window holds it for as long as it is open, the
/// command-line tool for one command. Each program keeps the head of the chain in memory
/// between appends, so two programs appending at once would fork the chain; holding this OS
/// lock (on a file beside the trail) keeps every other program waiting or refused, and taking it
/// makes this one read the head again. Released when dropped (the OS also releases it if the
/// program dies).
pub struct TrailLock {
    _file: File,
    held: Arc<AtomicUsize>,
}

impl Drop for TrailLock {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::SeqCst);
    }
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

    /// Checking a long trail's seals does not hold up a run: while a scan parses what it read,
    /// a record is written, and the scan reports the trail as it was when it was read.
    #[test]
    fn a_scan_lets_records_be_written_while_it_checks_the_trail() {
        let (_dir, log) = log_with(3);
        let scan = log
            .scan_then(|| {
                log.append(&ctx_for(START), AuditEvent::Requested, entry("late", "u"))
                    .expect("an append while the scan checks the trail");
            })
            .expect("scan");
        assert_eq!(scan.records.len(), 3);
        assert_eq!(scan.chain.state, ChainState::Intact);
        let after = log.scan().expect("scan again");
        assert_eq!(after.records.len(), 4);
        assert_eq!(after.records[3].session_id, "late");
        assert_eq!(after.chain.state, ChainState::Intact);
    }

    /// Records sent to the writer while the disk is busy wait, then go to disk in the order
    /// they were sent, on one chain; each caller learns its own record.
    #[tokio::test]
    async fn the_writer_keeps_the_order_records_were_sent_in() {
        let (_dir, log, _keychain) = anchored_log_with(1);
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
        let (dir, window, keychain) = anchored_log_with(1);
        let tool = sealed_log(dir.path(), &keychain);
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
