//! A recording run: start or stop recording on many sessions through the client's bulk engine,
//! with the audit trail written around every request and progress streamed to the UI.
//!
//! The order is what makes the trail trustworthy: the *requested* record is on disk before the
//! request leaves; if it cannot be written, that session is not touched.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use citrix_cloud::bulk::{self, Action, BulkEvent, BulkObserver, BulkOptions, Outcome};
use citrix_cloud::SessionId;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::audit::{self, AuditContext, AuditEvent, AuditLog, Entry};
use crate::error::{Error, Result};
use crate::ipc::RunAction;
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
    let observer = Arc::new(RunObserver {
        ctx,
        action: req.action,
        notify_user: (req.action == RunAction::Start).then_some(req.notify_user),
        audit: audit_log,
        cache,
        sink: sink.clone(),
        tally: Mutex::new(Tally::default()),
    });
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
    ctx: AuditContext,
    action: RunAction,
    notify_user: Option<bool>,
    audit: Arc<AuditLog>,
    cache: Arc<RowCache>,
    sink: EventSink,
    tally: Mutex<Tally>,
}

impl RunObserver {
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

    fn finished(&self, id: &SessionId, outcome: Outcome) {
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
            if let Err(e) = self
                .audit
                .append(&self.ctx, AuditEvent::Outcome, self.action, entry)
            {
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
                        self.audit.path().display()
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
    fn before_request(&self, id: &SessionId, _action: &Action) -> std::result::Result<(), String> {
        let id_text = id.to_string();
        match self.audit.append(
            &self.ctx,
            AuditEvent::Requested,
            self.action,
            self.entry(&id_text),
        ) {
            Ok(_) => {
                self.tally().requested.insert(id_text);
                Ok(())
            }
            Err(e) => {
                tracing::error!(session = %id_text, "request not sent, audit write failed: {e}");
                Err(e.message())
            }
        }
    }

    fn on_event(&self, event: BulkEvent) {
        match event {
            BulkEvent::Requested { id } => (self.sink)(RunEvent::Requested {
                session_id: id.to_string(),
            }),
            BulkEvent::Verifying { id } => (self.sink)(RunEvent::Verifying {
                session_id: id.to_string(),
            }),
            BulkEvent::Finished { id, outcome } => self.finished(&id, outcome),
        }
    }
}
