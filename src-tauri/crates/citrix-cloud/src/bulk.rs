//! Start or stop recording on many sessions at once.
//!
//! Guarantees the app builds its audit trail and progress UI on:
//! - every distinct ID gets exactly one [`BulkEvent::Finished`] (duplicates in the input are
//!   dropped first, so no session is asked twice);
//! - [`BulkObserver::before_request`] is called, and its future must finish with `Ok`, before the
//!   start/stop request for a session is sent, so the "requested" audit record always exists
//!   before Citrix acts;
//! - the future of every [`BulkObserver::on_event`] is awaited before the session's work goes on
//!   (and, for `Finished`, before its slot is given to the next session and before [`run`]
//!   returns), so the app's outcome record is written before the run is over;
//! - at most `concurrency` sessions are worked on at once, all with the client's one shared token;
//! - cancelling stops sessions that were not yet requested (they end `Cancelled`); requests
//!   already sent are finished and reported, because Citrix may already have acted on them;
//! - a start is only reported as `Recording` once `RecordingStatus` says so (Citrix only confirms
//!   that it asked the VDA); otherwise `StartedNotRecording`;
//! - all requests of a run share an AIMD limiter (see `limiter`), so a rate-limited tenant slows
//!   the run down instead of failing sessions.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use crate::limiter::Limiter;
use crate::{CitrixClient, Error, SessionId};

/// What the observer's hooks return: `Box::pin(async move { ... })`.
pub use futures::future::BoxFuture;
pub use tokio_util::sync::CancellationToken;

/// What to do to every session of the run. The same value travels from the window to the HTTP
/// call: over IPC and in the app it is `{ "action": "start", "notifyUser": true }` or
/// `{ "action": "stop" }`, so the notify flag exists once, inside the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RunAction"))]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    Start { notify_user: bool },
    Stop,
}

impl Action {
    /// "start" or "stop", as written in the audit trail.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Start { .. } => "start",
            Action::Stop => "stop",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOptions {
    /// Sessions worked on at once (at least 1).
    pub concurrency: usize,
    /// Poll `RecordingStatus` after each request to confirm the effect.
    pub verify: bool,
    /// Status checks after a start/stop before concluding it did not take effect.
    pub verify_attempts: u32,
    /// Pause between status checks.
    pub verify_interval: Duration,
}

impl Default for BulkOptions {
    /// 16 at once: fast for a few hundred sessions, gentle enough not to trip Citrix's throttling
    /// in the first place. Five checks a second apart give the VDA time to start the recorder.
    fn default() -> BulkOptions {
        BulkOptions {
            concurrency: 16,
            verify: true,
            verify_attempts: 5,
            verify_interval: Duration::from_secs(1),
        }
    }
}

/// Receives the run's progress. Called from several tasks at once.
///
/// Both hooks return a future that the engine awaits on its own tasks, so they must not block
/// the thread: work that does (the app's audit trail syncs a file to disk) goes to a thread of
/// its own, e.g. with `tokio::task::spawn_blocking`, and the future waits for it. While one
/// session's hook waits, the other sessions of the run, and everything else on the runtime, go
/// on.
pub trait BulkObserver: Send + Sync {
    /// Called before the start/stop request for `id` is sent; the request is sent only once the
    /// future finishes with `Ok`. `Err` skips the call and fails that session with kind
    /// `notRequested` (the app uses it to write the audit "requested" record first).
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Progress. The engine awaits the future before it goes on with that session, so what the
    /// observer does for an event is done before the next event of the same session (and, for
    /// `Finished`, before [`run`] returns).
    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()>;
}

/// An observer that does nothing: for runs whose progress nobody follows and that keep no audit
/// trail (benchmarks of the engine alone, tests).
pub struct NoObserver;

impl BulkObserver for NoObserver {
    fn before_request<'a>(
        &'a self,
        _id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn on_event(&self, _event: BulkEvent) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum BulkEvent {
    /// The request is about to be sent (after `before_request` succeeded).
    Requested { id: SessionId },
    /// Citrix accepted the request; checking `RecordingStatus`.
    Verifying { id: SessionId },
    /// Final outcome for this session; exactly one per ID.
    Finished { id: SessionId, outcome: Outcome },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Started, and `RecordingStatus` confirmed it (or verification was switched off).
    Recording {
        transaction_id: Option<String>,
        response: Value,
    },
    /// Citrix accepted the start, but the session did not report being recorded within the
    /// verification window (agent missing or disabled, policy, recording server unreachable).
    StartedNotRecording {
        transaction_id: Option<String>,
        response: Value,
    },
    /// Stopped (and, with verification, confirmed no longer recorded).
    Stopped {
        transaction_id: Option<String>,
        response: Value,
    },
    Failed {
        error: Error,
    },
    /// Not requested because the run was cancelled first.
    Cancelled,
}

impl Outcome {
    /// The IPC status string: "recording", "startedNotRecording", "stopped", "failed", "cancelled".
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Recording { .. } => "recording",
            Outcome::StartedNotRecording { .. } => "startedNotRecording",
            Outcome::Stopped { .. } => "stopped",
            Outcome::Failed { .. } => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// The transaction ID of the start/stop request (or of the failure).
    pub fn transaction_id(&self) -> Option<&str> {
        match self {
            Outcome::Recording { transaction_id, .. }
            | Outcome::StartedNotRecording { transaction_id, .. }
            | Outcome::Stopped { transaction_id, .. } => transaction_id.as_deref(),
            Outcome::Failed { error } => error.transaction_id(),
            Outcome::Cancelled => None,
        }
    }

    /// The error of a failed session.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Failed { error } => Some(error),
            _ => None,
        }
    }
}

/// The run's result, outcomes in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkReport {
    pub total: usize,
    pub recording: usize,
    pub started_not_recording: usize,
    pub stopped: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub outcomes: Vec<(SessionId, Outcome)>,
}

impl BulkReport {
    /// Sessions where the action took (confirmed) effect.
    pub fn succeeded(&self) -> usize {
        self.recording + self.stopped
    }

    /// Starts Citrix accepted but that were not confirmed as recording.
    pub fn not_verified(&self) -> usize {
        self.started_not_recording
    }

    fn from_outcomes(outcomes: Vec<(SessionId, Outcome)>) -> BulkReport {
        let mut r = BulkReport {
            total: outcomes.len(),
            ..BulkReport::default()
        };
        for (_, o) in &outcomes {
            match o {
                Outcome::Recording { .. } => r.recording += 1,
                Outcome::StartedNotRecording { .. } => r.started_not_recording += 1,
                Outcome::Stopped { .. } => r.stopped += 1,
                Outcome::Failed { .. } => r.failed += 1,
                Outcome::Cancelled => r.cancelled += 1,
            }
        }
        r.outcomes = outcomes;
        r
    }
}

/// Runs `action` on every session in `ids`; see the module docs for the guarantees.
pub async fn run(
    client: &CitrixClient,
    site: &str,
    action: Action,
    ids: Vec<SessionId>,
    opts: BulkOptions,
    cancel: CancellationToken,
    observer: Arc<dyn BulkObserver>,
) -> BulkReport {
    let mut seen = HashSet::new();
    let ids: Vec<SessionId> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let concurrency = opts.concurrency.max(1);
    let limiter = Limiter::new(concurrency);
    let ctx = Ctx {
        client,
        site,
        action,
        opts: &opts,
        cancel: &cancel,
        observer: observer.as_ref(),
        limiter: &limiter,
    };
    let mut results: Vec<(usize, SessionId, Outcome)> =
        futures::stream::iter(ids.into_iter().enumerate())
            .map(|(i, id)| {
                let ctx = &ctx;
                async move {
                    let outcome = ctx.one(&id).await;
                    ctx.observer
                        .on_event(BulkEvent::Finished {
                            id: id.clone(),
                            outcome: outcome.clone(),
                        })
                        .await;
                    (i, id, outcome)
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    results.sort_by_key(|(i, _, _)| *i);
    let report = BulkReport::from_outcomes(results.into_iter().map(|(_, id, o)| (id, o)).collect());
    tracing::info!(
        action = action.as_str(),
        total = report.total,
        succeeded = report.succeeded(),
        failed = report.failed,
        cancelled = report.cancelled,
        not_verified = report.not_verified(),
        "bulk run finished"
    );
    report
}

struct Ctx<'a> {
    client: &'a CitrixClient,
    site: &'a str,
    action: Action,
    opts: &'a BulkOptions,
    cancel: &'a CancellationToken,
    observer: &'a dyn BulkObserver,
    limiter: &'a Limiter,
}

impl Ctx<'_> {
    async fn one(&self, id: &SessionId) -> Outcome {
        if self.cancel.is_cancelled() {
            return Outcome::Cancelled;
        }
        if let Err(reason) = self.observer.before_request(id, &self.action).await {
            return Outcome::Failed {
                error: Error::NotRequested {
                    message: format!("The request was not sent: {reason}"),
                    transaction_id: None,
                },
            };
        }
        self.observer
            .on_event(BulkEvent::Requested { id: id.clone() })
            .await;
        let limiter = Some(self.limiter);
        let reply = match self.action {
            Action::Start { notify_user } => {
                self.client
                    .start_recording_limited(self.site, id, notify_user, limiter)
                    .await
            }
            Action::Stop => {
                self.client
                    .stop_recording_limited(self.site, id, limiter)
                    .await
            }
        };
        let reply = match reply {
            Ok(r) => r,
            Err(error) => return Outcome::Failed { error },
        };
        let transaction_id = reply.transaction_id;
        let response = reply.raw.unwrap_or(Value::Null);
        let want_recording = matches!(self.action, Action::Start { .. });
        let confirmed = if self.opts.verify {
            self.observer
                .on_event(BulkEvent::Verifying { id: id.clone() })
                .await;
            self.wait_for_status(id, want_recording).await
        } else {
            Verified::Confirmed
        };
        let action = if want_recording { "start" } else { "stop" };
        match (want_recording, confirmed) {
            (true, Verified::Confirmed) => Outcome::Recording {
                transaction_id,
                response,
            },
            (true, Verified::Contradicted) => Outcome::StartedNotRecording {
                transaction_id,
                response,
            },
            (false, Verified::Confirmed) => Outcome::Stopped {
                transaction_id,
                response,
            },
            // A session that ended is not being recorded any more: the stop's aim is met.
            (false, Verified::Ended) => Outcome::Stopped {
                transaction_id,
                response,
            },
            (true, Verified::Ended) => Outcome::Failed {
                error: Error::NotFound {
                    message: "Citrix accepted the start request, but the session ended straight \
                              after it, so it is not being recorded."
                        .to_owned(),
                    transaction_id,
                },
            },
            // Typically a session recorded by policy: a dynamic stop does not end that.
            (false, Verified::Contradicted) => Outcome::Failed {
                error: Error::CannotRecord {
                    message: format!(
                        "Citrix accepted the stop request, but the session was still being recorded after {} checks; a recording policy may require it.",
                        self.opts.verify_attempts.max(1)
                    ),
                    transaction_id,
                },
            },
            // The request went through but no check could be read: say exactly that, keeping
            // the reason's kind, instead of guessing "not recording" or "still recording".
            (_, Verified::Unknown(error)) => {
                let message = format!(
                    "Citrix accepted the {action} request (reference {}), but its recording status could not be read afterwards: {} Check the session's status again in a moment.",
                    transaction_id.as_deref().unwrap_or("not given"),
                    error.message()
                );
                Outcome::Failed {
                    error: error.with_message(message),
                }
            }
        }
    }

    /// Polls `RecordingStatus` until it equals `want` or the attempts are used up, and says
    /// what was learnt: confirmed, contradicted by Citrix's last answer, the session ended, or
    /// nothing could be read (every check failed).
    async fn wait_for_status(&self, id: &SessionId, want: bool) -> Verified {
        let mut last_error = None;
        let mut answered = false;
        for attempt in 0..self.opts.verify_attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(self.opts.verify_interval).await;
            }
            match self
                .client
                .recording_status_limited(self.site, id, Some(self.limiter))
                .await
            {
                Ok(status) if status.value == want => return Verified::Confirmed,
                Ok(_) => answered = true,
                Err(Error::NotFound { .. }) => return Verified::Ended,
                Err(e) => {
                    tracing::debug!(session = %id, kind = e.kind(), "recording status check failed");
                    last_error = Some(e);
                }
            }
        }
        match last_error {
            Some(error) if !answered => Verified::Unknown(error),
            _ => Verified::Contradicted,
        }
    }
}

/// What the status checks after a start or stop established.
enum Verified {
    /// Citrix reports the state the request asked for.
    Confirmed,
    /// Citrix answered, and its last answer was the other state.
    Contradicted,
    /// The session no longer exists.
    Ended,
    /// No check could be read; the last failure says why.
    Unknown(Error),
}
