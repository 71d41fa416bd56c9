//! A recording run: start or stop recording on many sessions through the client's bulk engine,
//! with the audit trail written around every request and progress streamed to the front end.
//!
//! The order is what makes the trail trustworthy: the *requested* record is on disk before the
//! request leaves; if it cannot be written, that session is not touched. The records are written
//! by the audit trail's own thread ([`crate::audit::AuditWriter`]) while the engine's hooks
//! await them (see [`observer`]), so a disk that is slow to sync holds up only the sessions whose
//! records are waiting, never the async runtime (the other sessions, the other commands). The
//! engine's own report is the run's result.

mod observer;
mod slot;

use std::collections::HashSet;
use std::sync::Arc;

use citrix_cloud::bulk::{self, Action, BulkObserver, BulkOptions};
use citrix_cloud::SessionId;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::account::Connected;
use crate::audit::{AuditContext, AuditLog};
use crate::error::{Error, ErrorKind, Result};
use crate::sessions::{self, RowCache, SessionRow};

pub use observer::RunObserver;
pub use slot::{RunSlot, RunTicket};

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
    pub kind: Option<ErrorKind>,
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
    /// The engine's options: sessions at a time (the officer's setting), verification.
    pub options: BulkOptions,
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
        action: req.action,
        os_user: req.os_user,
        computer: req.computer,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: info.mode,
        region: info.region,
        customer_id: info.customer_id.clone(),
        site_id: site.to_owned(),
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
        failed: count(engine.failed),
        cancelled: count(engine.cancelled),
        not_verified: count(engine.not_verified()),
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
