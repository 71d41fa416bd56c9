//! A recording run: start or stop recording on many sessions through the client's bulk engine,
//! with the audit trail written around every request and progress streamed to the UI.
//!
//! The order is what makes the trail trustworthy: the *requested* record is on disk before the
//! request leaves; if it cannot be written, that session is not touched. The records are written
//! by the audit trail's own thread ([`AuditWriter`]) while the engine's hooks await them, so a
//! disk that is slow to sync holds up only the sessions whose records are waiting, never the
//! async runtime (the other sessions, the other commands).

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use citrix_cloud::bulk::{self, Action, BoxFuture, BulkEvent, BulkObserver, BulkOptions, Outcome};
use citrix_cloud::SessionId;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::audit::{self, AuditContext, AuditEvent, AuditLog, AuditWriter, Entry};
use crate::error::{Error, Result};
use crate::ipc::{Mode, RunAction};
use crate::sessions::{self, LastAction, RowCache, SessionRow};
use crate::state::Connected;

/// Concurrent look-ups of sessions the UI has not shown yet (for the audit's user and machine).
const PREFETCH_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RunEvent {
    Requested {
        session_id: String,
    },
    Verifying {
        session_id: String,
    },
    Finished {
        session_id: String,
        outcome: RunOutcome,
    },
    Done {
        report: RunReport,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    Recording,
    StartedNotRecording,
    Stopped,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Recording => "recording",
            RunStatus::StartedNotRecording => "startedNotRecording",
            RunStatus::Stopped => "stopped",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub status: RunStatus,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
    /// The outcome happened, but its audit record could not be written: the UI must say so
    /// rather than present it as a normal, recorded result.
    pub audit_missing: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run_id: String,
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub cancelled: u32,
    /// Started, but Citrix did not report the session as recording within the check period.
    pub not_verified: u32,
    /// Outcomes that could not be written to the audit trail.
    pub not_audited: u32,
}

/// The one run allowed at a time, and how to cancel it.
#[derive(Default)]
pub struct RunSlot {
    active: Mutex<Option<(String, CancellationToken)>>,
}

/// Holds the slot for the length of a run; frees it when dropped, however the run ends.
pub struct RunTicket<'a> {
    slot: &'a RunSlot,
    pub run_id: String,
    pub cancel: CancellationToken,
}

impl RunSlot {
    pub fn begin(&self) -> Result<RunTicket<'_>> {
        let mut active = self.lock();
        if active.is_some() {
            return Err(Error::Busy);
        }
        let run_id = uuid::Uuid::new_v4().to_string();
        let cancel = CancellationToken::new();
        *active = Some((run_id.clone(), cancel.clone()));
        Ok(RunTicket {
            slot: self,
            run_id,
            cancel,
        })
    }

    /// Cancels the active run, if any. Sessions already requested still get their outcome.
    pub fn cancel(&self) {
        if let Some((_, cancel)) = self.lock().as_ref() {
            cancel.cancel();
        }
    }

    pub fn active_run_id(&self) -> Option<String> {
        self.lock().as_ref().map(|(id, _)| id.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, CancellationToken)>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for RunTicket<'_> {
    fn drop(&mut self) {
        *self.slot.lock() = None;
    }
}

/// Parses the IDs the UI sent; any invalid one rejects the whole request (the UI only sends IDs
/// it got from the backend, so this is a bug guard, not a user error path).
pub fn parse_ids(ids: &[String]) -> Result<Vec<SessionId>> {
    if ids.is_empty() {
        return Err(Error::InvalidInput("Choose at least one session.".into()));
    }
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(ids.len());
    for raw in ids {
        let id = SessionId::parse(raw).map_err(|e| Error::InvalidInput(e.to_string()))?;
        if seen.insert(id.to_string()) {
            parsed.push(id);
        }
    }
    Ok(parsed)
}

pub struct RunRequest {
    pub run_id: String,
    pub action: RunAction,
    pub ids: Vec<SessionId>,
    pub notify_user: bool,
    pub concurrency: usize,
    /// Fixed per run: who, where, which account.
    pub os_user: String,
    pub computer: String,
}

/// Where progress goes (the IPC channel in the app, a vector in tests).
pub type EventSink = Arc<dyn Fn(RunEvent) + Send + Sync>;

/// Runs the action over all sessions and returns the totals; every session gets exactly one
/// `finished` event, then `done` is sent.
pub async fn execute(
    connected: &Connected,
    audit_log: Arc<AuditLog>,
    cache: Arc<RowCache>,
    req: RunRequest,
    cancel: CancellationToken,
    sink: EventSink,
) -> Result<RunReport> {
    let (client, site) = connected.site()?;
    tokio::select! {
        () = prefetch_audit_fields(client, site, &cache, &req.ids) => {}
        // A cancel during the look-ups is honoured by the engine below: nothing will be sent.
        () = cancel.cancelled() => {}
    }

    let info = &connected.info;
    let ctx = AuditContext {
        run_id: req.run_id.clone(),
        os_user: req.os_user,
        computer: req.computer,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: info.mode,
        region: info.region,
        customer_id: info.customer_id.clone(),
        site_id: site.to_owned(),
    };
    let observer = Arc::new(RunObserver::new(
        ctx,
        req.action,
        req.notify_user,
        audit_log,
        cache,
        sink.clone(),
    )?);
    let action = match req.action {
        RunAction::Start => Action::Start {
            notify_user: req.notify_user,
        },
        RunAction::Stop => Action::Stop,
    };
    let options = BulkOptions {
        concurrency: req.concurrency,
        ..BulkOptions::default()
    };
    let total = req.ids.len();
    bulk::run(
        client,
        site,
        action,
        req.ids,
        options,
        cancel,
        observer.clone() as Arc<dyn BulkObserver>,
    )
    .await;

    let report = {
        let tally = observer.tally();
        RunReport {
            run_id: req.run_id,
            total: u32::try_from(total).unwrap_or(u32::MAX),
            succeeded: tally.succeeded,
            failed: tally.failed,
            cancelled: tally.cancelled,
            not_verified: tally.not_verified,
            not_audited: tally.not_audited,
        }
    };
    tracing::info!(?report, action = req.action.as_str(), "run finished");
    sink(RunEvent::Done {
        report: report.clone(),
    });
    Ok(report)
}

/// Looks up sessions the UI never showed (pasted, or evicted from the cache) so the audit names
/// their user and machine. A failed look-up leaves them blank; the run then reports the error.
async fn prefetch_audit_fields(
    client: &citrix_cloud::CitrixClient,
    site: &str,
    cache: &RowCache,
    ids: &[SessionId],
) {
    let unknown: Vec<SessionId> = ids
        .iter()
        .filter(|id| cache.session(id.as_str()).is_none())
        .cloned()
        .collect();
    let rows: Vec<SessionRow> = stream::iter(unknown)
        .map(|id| async move { sessions::fetch_session(client, site, &id).await })
        .buffer_unordered(PREFETCH_CONCURRENCY)
        .filter_map(|r| async move { r.ok().map(|s| SessionRow::from_session(&s, None)) })
        .collect()
        .await;
    cache.remember(&rows);
}

#[derive(Default)]
struct Tally {
    requested: HashSet<String>,
    succeeded: u32,
    failed: u32,
    cancelled: u32,
    not_verified: u32,
    not_audited: u32,
}

struct RunObserver {
    ctx: Arc<AuditContext>,
    action: RunAction,
    notify_user: Option<bool>,
    /// Writes the records on its own thread; ends with the run.
    audit: AuditWriter,
    cache: Arc<RowCache>,
    sink: EventSink,
    tally: Mutex<Tally>,
}

impl RunObserver {
    fn new(
        ctx: AuditContext,
        action: RunAction,
        notify_user: bool,
        log: Arc<AuditLog>,
        cache: Arc<RowCache>,
        sink: EventSink,
    ) -> Result<RunObserver> {
        Ok(RunObserver {
            ctx: Arc::new(ctx),
            action,
            notify_user: (action == RunAction::Start).then_some(notify_user),
            audit: AuditWriter::start(log)?,
            cache,
            sink,
            tally: Mutex::new(Tally::default()),
        })
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry(&self, id: &str) -> Entry {
        let known = self.cache.session(id).unwrap_or_default();
        Entry {
            session_id: id.to_owned(),
            session_user: known.user,
            machine: known.machine,
            notify_user: self.notify_user,
            ..Entry::default()
        }
    }

    /// Tallies the outcome, writes its record (awaited: the window hears of an outcome only once
    /// it is on record), then tells the window.
    async fn finished(&self, id: &SessionId, outcome: Outcome) {
        let id_text = id.to_string();
        let (mut run_outcome, response) = self.describe(outcome);

        let was_requested = {
            let mut tally = self.tally();
            match run_outcome.status {
                RunStatus::Recording | RunStatus::Stopped => tally.succeeded += 1,
                RunStatus::StartedNotRecording => tally.not_verified += 1,
                RunStatus::Failed => tally.failed += 1,
                RunStatus::Cancelled => tally.cancelled += 1,
            }
            tally.requested.contains(&id_text)
        };

        if let Some(response) = response {
            self.cache.set_last_action(
                &id_text,
                LastAction {
                    action: self.action,
                    at: audit::now_rfc3339(),
                    transaction_id: run_outcome.transaction_id.clone(),
                    response,
                },
            );
        }

        // Only sessions with a request on record get an outcome record; a session cancelled
        // before its turn was never acted on.
        if was_requested {
            let mut entry = self.entry(&id_text);
            entry.outcome = Some(run_outcome.status.as_str().to_owned());
            entry.kind = run_outcome.kind.clone();
            entry.message = run_outcome.message.clone();
            entry.transaction_id = run_outcome.transaction_id.clone();
            let written = self
                .audit
                .append(&self.ctx, AuditEvent::Outcome, self.action, entry)
                .await;
            if let Err(e) = written {
                tracing::error!(session = %id_text, "outcome not written to the audit trail: {e}");
                run_outcome.audit_missing = true;
                self.tally().not_audited += 1;
            }
        }

        (self.sink)(RunEvent::Finished {
            session_id: id_text,
            outcome: run_outcome,
        });
    }

    /// The UI's view of an outcome, and the raw response worth keeping for the detail view.
    fn describe(&self, outcome: Outcome) -> (RunOutcome, Option<serde_json::Value>) {
        let ok = |status, transaction_id: Option<String>, message: &str| RunOutcome {
            status,
            kind: None,
            message: Some(message.to_owned()),
            transaction_id,
            audit_missing: false,
        };
        match outcome {
            Outcome::Recording {
                transaction_id,
                response,
            } => (
                ok(RunStatus::Recording, transaction_id, "Recording is on."),
                Some(response),
            ),
            Outcome::StartedNotRecording {
                transaction_id,
                response,
            } => (
                ok(
                    RunStatus::StartedNotRecording,
                    transaction_id,
                    "Citrix accepted the request, but the session is not reported as recording. \
                     Check its status again in a minute; if it still is not recording, the \
                     Session Recording agent or policy on that machine needs attention.",
                ),
                Some(response),
            ),
            Outcome::Stopped {
                transaction_id,
                response,
            } => (
                ok(RunStatus::Stopped, transaction_id, "Recording stopped."),
                Some(response),
            ),
            Outcome::Failed { error } => {
                let transaction_id = error.transaction_id().map(str::to_owned);
                let e = match error.kind() {
                    // The engine did not send it because the audit record could not be written.
                    "notRequested" => Error::AuditUnavailable(format!(
                        "Not sent: the audit trail at {} could not be written, so Recording Desk \
                         did not act on this session.",
                        self.audit.log().path().display()
                    )),
                    "notFound" => Error::SessionNotFound,
                    _ => Error::from(error),
                };
                let outcome = RunOutcome {
                    status: RunStatus::Failed,
                    kind: Some(e.kind().to_owned()),
                    message: Some(e.to_string()),
                    transaction_id,
                    audit_missing: false,
                };
                (outcome, None)
            }
            Outcome::Cancelled => (
                RunOutcome {
                    status: RunStatus::Cancelled,
                    kind: None,
                    message: Some("Cancelled before Recording Desk acted on this session.".into()),
                    transaction_id: None,
                    audit_missing: false,
                },
                None,
            ),
        }
    }
}

impl BulkObserver for RunObserver {
    /// Finishes once the "requested" record is on disk; the engine sends the request only then.
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let id_text = id.to_string();
            let written = self
                .audit
                .append(
                    &self.ctx,
                    AuditEvent::Requested,
                    self.action,
                    self.entry(&id_text),
                )
                .await;
            match written {
                Ok(_) => {
                    self.tally().requested.insert(id_text);
                    Ok(())
                }
                Err(e) => {
                    tracing::error!(session = %id_text, "request not sent, audit write failed: {e}");
                    Err(e.message())
                }
            }
        })
    }

    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        match event {
            BulkEvent::Requested { id } => (self.sink)(RunEvent::Requested {
                session_id: id.to_string(),
            }),
            BulkEvent::Verifying { id } => (self.sink)(RunEvent::Verifying {
                session_id: id.to_string(),
            }),
            BulkEvent::Finished { id, outcome } => {
                return Box::pin(async move { self.finished(&id, outcome).await })
            }
        }
        Box::pin(std::future::ready(()))
    }
}

/// A run's observer and audit trail without the app around them, for the engine benchmark
/// (`desk-bench`), the one user of this outside the app; the lib crate re-exports it for that.
///
/// The benchmark drives `citrix_cloud::bulk::run` itself; with this it does so with exactly the
/// observer a run of the app uses (the same [`RunObserver`], writing the same records through the
/// same [`AuditWriter`] to a real [`AuditLog`] with its head anchor), so its figures include the
/// audit trail the app always writes, and cannot drift from it. Only the window is missing:
/// progress events go nowhere.
pub struct HeadlessRun {
    log: Arc<AuditLog>,
    cache: Arc<RowCache>,
}

/// What [`HeadlessRun::verify`] found in the trail.
#[derive(Debug, Clone)]
pub struct TrailCheck {
    pub records: usize,
    pub requested: usize,
    pub outcomes: usize,
    /// The hash chain holds and the file matches its head anchor.
    pub intact: bool,
    pub message: String,
}

impl HeadlessRun {
    /// A trail in `dir`: the audit file and its head anchor, as the app keeps them (the app puts
    /// the anchor in another folder; here both are in `dir`).
    pub fn new(dir: &Path) -> HeadlessRun {
        HeadlessRun {
            log: Arc::new(AuditLog::with_anchor(
                dir.join(audit::FILE_NAME),
                dir.join(audit::ANCHOR_FILE_NAME),
            )),
            cache: Arc::new(RowCache::with_capacity(usize::MAX)),
        }
    }

    /// Notes who and where the sessions (Citrix session JSON) are, as the app learns it from its
    /// searches, so the records name each session's user and machine as a real run's do.
    pub fn remember_sessions(&self, sessions: &[serde_json::Value]) {
        let rows: Vec<SessionRow> = sessions
            .iter()
            .filter_map(|s| serde_json::from_value::<citrix_cloud::Session>(s.clone()).ok())
            .map(|s| SessionRow::from_session(&s, None))
            .collect();
        self.cache.remember(&rows);
    }

    /// The observer of one run of `action` on `site_id`, built as [`execute`] builds it.
    pub fn observer(
        &self,
        action: Action,
        site_id: &str,
    ) -> std::result::Result<Arc<dyn BulkObserver>, String> {
        let (run_action, notify_user) = match action {
            Action::Start { notify_user } => (RunAction::Start, notify_user),
            Action::Stop => (RunAction::Stop, false),
        };
        let ctx = AuditContext {
            run_id: uuid::Uuid::new_v4().to_string(),
            os_user: audit::os_user(),
            computer: audit::computer_name(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            mode: Mode::Cloud,
            region: None,
            customer_id: "desk-bench".to_owned(),
            site_id: site_id.to_owned(),
        };
        let sink: EventSink = Arc::new(|_| {});
        let observer = RunObserver::new(
            ctx,
            run_action,
            notify_user,
            Arc::clone(&self.log),
            Arc::clone(&self.cache),
            sink,
        )
        .map_err(|e| e.to_string())?;
        Ok(Arc::new(observer))
    }

    /// Reads the whole trail back and verifies its chain and its head anchor.
    pub fn verify(&self) -> std::result::Result<TrailCheck, String> {
        let scan = self.log.scan().map_err(|e| e.to_string())?;
        let count = |event| scan.records.iter().filter(|r| r.event == event).count();
        Ok(TrailCheck {
            records: scan.records.len(),
            requested: count(AuditEvent::Requested),
            outcomes: count(AuditEvent::Outcome),
            intact: scan.chain.intact,
            message: scan.chain.message.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    fn observer(log: &Arc<AuditLog>) -> Arc<RunObserver> {
        let ctx = AuditContext {
            run_id: "run-1".into(),
            os_user: "officer".into(),
            computer: "DESK-01".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Demo,
            region: None,
            customer_id: "acme".into(),
            site_id: "site-1".into(),
        };
        Arc::new(
            RunObserver::new(
                ctx,
                RunAction::Start,
                false,
                Arc::clone(log),
                Arc::default(),
                Arc::new(|_| {}),
            )
            .expect("observer"),
        )
    }

    /// Runs `hook` on a one-thread runtime while the audit trail cannot finish an append (its
    /// lock held, as by a disk that takes its time to sync), and checks that another task on
    /// that runtime runs to the end meanwhile and that `hook` waits for its record. Returns the
    /// hook's result once the trail is free again.
    ///
    /// An observer that appended on the runtime's thread would block that thread: the other task
    /// would never run, and the check fails (after a generous wait) instead of hanging.
    fn runs_while_the_trail_is_stalled<T: Send + 'static>(
        log: &Arc<AuditLog>,
        hook: impl FnOnce() -> BoxFuture<'static, T> + Send + 'static,
    ) -> T {
        let path = log.path().to_owned();
        let records_before = log.scan().expect("scan").records.len();
        let stall = log.stall();
        let (report, reported) = std::sync::mpsc::channel();
        let runtime = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let hook = tokio::spawn(hook());
                // Let the hook start (it goes first: tasks run in the order they are spawned).
                tokio::task::yield_now().await;
                let other = tokio::spawn(async { "the other task ran" });
                let ran = other.await.expect("other task");
                let _ = report.send((ran, hook.is_finished()));
                hook.await.expect("hook")
            })
        });
        let seen = reported.recv_timeout(Duration::from_secs(30));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        drop(stall);
        let (ran, hook_done) = seen.expect("the runtime stalled while an audit append waited");
        assert_eq!(ran, "the other task ran");
        assert!(
            !hook_done,
            "the hook finished before its record was written"
        );
        assert_eq!(
            on_disk.lines().count(),
            records_before,
            "nothing written while the trail was stalled"
        );
        runtime.join().expect("runtime thread")
    }

    #[test]
    fn a_slow_audit_append_holds_up_its_session_but_not_the_runtime() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Arc::new(AuditLog::new(dir.path().join(audit::FILE_NAME)));
        let obs = observer(&log);
        let id = SessionId::parse("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b").expect("id");

        let (o, i) = (Arc::clone(&obs), id.clone());
        let requested = runs_while_the_trail_is_stalled(&log, move || {
            Box::pin(async move {
                o.before_request(&i, &Action::Start { notify_user: false })
                    .await
            })
        });
        assert_eq!(requested, Ok(()));
        let records = log.scan().expect("scan").records;
        assert_eq!(
            records.len(),
            1,
            "the request is on record once the hook is done"
        );
        assert_eq!(records[0].event, AuditEvent::Requested);

        let (o, i) = (Arc::clone(&obs), id.clone());
        runs_while_the_trail_is_stalled(&log, move || {
            Box::pin(async move {
                o.on_event(BulkEvent::Finished {
                    id: i,
                    outcome: Outcome::Recording {
                        transaction_id: Some("tx-1".into()),
                        response: serde_json::Value::Null,
                    },
                })
                .await
            })
        });
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(
            scan.records.iter().map(|r| r.event).collect::<Vec<_>>(),
            [AuditEvent::Requested, AuditEvent::Outcome]
        );
        assert_eq!(scan.records[1].outcome.as_deref(), Some("recording"));
        assert_eq!(obs.tally().succeeded, 1);
        assert_eq!(obs.tally().not_audited, 0);
    }
}
