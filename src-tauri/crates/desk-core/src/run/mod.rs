//! A recording run: start or stop recording on many sessions through the client's bulk engine,
//! with the audit trail written around every request and progress streamed to the front end.
//!
//! The order is what makes the trail trustworthy: the *requested* record is on disk before the
//! request leaves; if it cannot be written, that session is not touched. The records are written
//! by the audit trail's own thread ([`crate::audit::AuditWriter`]) while the engine's hooks
//! await them (see [`observer`]), so a disk that is slow to sync holds up only the sessions whose
//! records are waiting, never the async runtime (the other sessions, the other commands). The
//! engine's own report is the run's result.

mod check;
mod justification;
mod observer;
mod slot;

use std::collections::HashSet;
use std::sync::Arc;

use citrix_cloud::bulk::{self, Action, BulkObserver, BulkOptions};
use citrix_cloud::{RecordingCheck, SessionId};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::account::Connected;
use crate::audit::{self, AuditContext, AuditLog};
use crate::error::{Error, ErrorKind, Result};
use crate::sessions::{self, RowCache, SessionRow};

pub use check::{check_again, CheckResult};
pub use justification::{
    remember_recent, Justification, Required, CASE_MAX_CHARS, REASON_MAX_CHARS, RECENT_MAX,
};
pub use observer::{RunObserver, CANCELLED_BEFORE_SENDING};
pub use slot::{RunSlot, RunTicket};

/// Concurrent look-ups of sessions the UI has not shown yet (for the audit's user and machine).
const PREFETCH_CONCURRENCY: usize = 8;

/// A session's progress as the window shows it, in this order: `requested`, `waiting` (Citrix
/// accepted the request, or its answer was lost, and the session waits for Citrix to confirm),
/// `finished`; then one `done` for the run. `waiting` is missing when there was nothing to wait
/// for (a refusal, a session cancelled before sending).
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
    /// "Started — waiting for Citrix to confirm" (or "Stop sent — waiting ...").
    Waiting {
        session_id: String,
        /// Citrix answered 2xx; `false` when the answer was lost and what Citrix did is checked.
        accepted: bool,
        transaction_id: Option<String>,
    },
    Finished {
        session_id: String,
        outcome: RunOutcome,
    },
    Done {
        report: RunReport,
    },
}

/// A session's final status: what Citrix reports, never a guess. The same words in the run's
/// events, the audit trail (`outcome`) and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    /// Citrix reports the session as being recorded.
    Recording,
    /// Citrix reports it as not being recorded.
    NotRecording,
    /// Citrix confirmed the session is gone.
    SessionEnded,
    /// Citrix refused the request with a definite answer: nothing was done.
    Refused,
    /// Citrix could not be asked: "Not known — check again".
    Unknown,
    /// No request reached Citrix.
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        self.engine().as_str()
    }

    fn engine(self) -> bulk::Status {
        match self {
            RunStatus::Recording => bulk::Status::Recording,
            RunStatus::NotRecording => bulk::Status::NotRecording,
            RunStatus::SessionEnded => bulk::Status::SessionEnded,
            RunStatus::Refused => bulk::Status::Refused,
            RunStatus::Unknown => bulk::Status::Unknown,
            RunStatus::Cancelled => bulk::Status::Cancelled,
        }
    }

    /// Whether this status means `action` took effect.
    pub fn is_success(self, action: Action) -> bool {
        self.engine().is_success(action)
    }
}

impl From<bulk::Status> for RunStatus {
    fn from(status: bulk::Status) -> RunStatus {
        match status {
            bulk::Status::Recording => RunStatus::Recording,
            bulk::Status::NotRecording => RunStatus::NotRecording,
            bulk::Status::SessionEnded => RunStatus::SessionEnded,
            bulk::Status::Refused => RunStatus::Refused,
            bulk::Status::Unknown => RunStatus::Unknown,
            bulk::Status::Cancelled => RunStatus::Cancelled,
        }
    }
}

impl From<RecordingCheck> for RunStatus {
    fn from(check: RecordingCheck) -> RunStatus {
        match check {
            RecordingCheck::Recording => RunStatus::Recording,
            RecordingCheck::NotRecording => RunStatus::NotRecording,
            RecordingCheck::SessionEnded => RunStatus::SessionEnded,
            RecordingCheck::Unknown { .. } => RunStatus::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub status: RunStatus,
    /// Citrix answered 2xx to the start/stop.
    pub accepted: bool,
    /// The start/stop may have been carried out, but its answer was lost.
    pub answer_lost: bool,
    /// Why, where there is more to say: Citrix's refusal, why the status is not known, why
    /// nothing was sent.
    pub kind: Option<ErrorKind>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
    /// The outcome happened, but its audit record could not be written: the UI must say so
    /// rather than present it as a normal, recorded result.
    pub audit_missing: bool,
}

/// The run's totals, one per final status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run_id: String,
    pub total: u32,
    /// Sessions where the action took effect, as Citrix reports.
    pub succeeded: u32,
    pub recording: u32,
    pub not_recording: u32,
    pub session_ended: u32,
    pub refused: u32,
    pub unknown: u32,
    pub cancelled: u32,
    /// Outcomes that could not be written to the audit trail.
    pub not_audited: u32,
}

/// Parses the IDs the UI sent; any invalid one rejects the whole request (the UI only sends IDs
/// it got from the backend, so this is a bug guard, not a user error path).
pub fn parse_ids(ids: &[String]) -> Result<Vec<SessionId>> {
    if ids.is_empty() {
        return Err(Error::invalid("Choose at least one session."));
    }
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(ids.len());
    for raw in ids {
        let id = SessionId::parse(raw).map_err(|e| Error::invalid(e.to_string()))?;
        if seen.insert(id.to_string()) {
            parsed.push(id);
        }
    }
    Ok(parsed)
}

/// One run: what to do, to which sessions, how, and who asks from where.
pub struct RunRequest {
    pub run_id: String,
    pub action: Action,
    pub ids: Vec<SessionId>,
    /// The engine's options: verification and its timing. The sessions at a time are the
    /// client's (the officer's setting), shared with every other call to Citrix.
    pub options: BulkOptions,
    /// Fixed per run: who, where, which account.
    pub os_user: String,
    pub computer: String,
    /// Why, and for which case (already checked): written into every record of the run.
    pub justification: Justification,
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
        action: req.action,
        os_user: req.os_user,
        computer: req.computer,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: info.mode,
        region: info.region,
        profile: info.profile.clone(),
        customer_id: info.customer_id.clone(),
        site_id: site.to_owned(),
        api_host: audit::api_host(&client.endpoints().api_base),
        reason: req.justification.reason(),
        case_ref: req.justification.case_ref(),
    };
    let observer = Arc::new(RunObserver::new(ctx, audit_log, cache, sink.clone())?);
    let engine = bulk::run(
        client,
        site,
        req.action,
        req.ids,
        req.options,
        cancel,
        observer.clone() as Arc<dyn BulkObserver>,
    )
    .await;

    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let report = RunReport {
        run_id: req.run_id,
        total: count(engine.total),
        succeeded: count(engine.succeeded()),
        recording: count(engine.recording),
        not_recording: count(engine.not_recording),
        session_ended: count(engine.session_ended),
        refused: count(engine.refused),
        unknown: count(engine.unknown),
        cancelled: count(engine.cancelled),
        not_audited: observer.not_audited(),
    };
    tracing::info!(?report, action = ?req.action, "run finished");
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
