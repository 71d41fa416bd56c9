//! Start or stop recording on many sessions at once, and find out what Citrix then reports.
//!
//! Guarantees the app builds its audit trail and progress UI on:
//! - every distinct ID gets exactly one [`BulkEvent::Finished`] (duplicates in the input are
//!   dropped first, so no session is asked twice);
//! - [`BulkObserver::before_request`] is called, and its future must finish with `Ok`, before the
//!   start/stop request for a session is sent, so the "requested" audit record always exists
//!   before Citrix acts;
//! - the future of every [`BulkObserver::on_event`] is awaited before the session's work goes on
//!   (and, for `Finished`, before [`run`] returns), so the app's outcome record is written before
//!   the run is over;
//! - requests go out in input order, at most the client's concurrency at once, all with the
//!   client's one token and through its one limiter (shared with everything else the client does,
//!   so a rate-limited tenant slows the run down instead of failing sessions);
//! - verification is pipelined: a session Citrix accepted (or whose answer was lost) waits for
//!   its checks without holding a request slot. It is first checked [`BulkOptions::first_check`]
//!   after the request, then at growing intervals up to [`BulkOptions::max_check_interval`], until
//!   Citrix reports what was asked or [`BulkOptions::verify_window`] has passed;
//! - the final [`Status`] is what Citrix reports, never a guess (see [`Status`]);
//! - cancelling is prompt, waits included: sessions whose request never reached Citrix end
//!   `cancelled`; those whose request may have been carried out, or that were waiting for
//!   confirmation, end `unknown`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::client::RecordingCheck;
use crate::error::Failure;
use crate::retry::Patience;
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

    /// Whether the action asks for the session to be recorded.
    fn wants_recording(&self) -> bool {
        matches!(self, Action::Start { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOptions {
    /// Check with `RecordingStatus` what the request did. Without checks, nothing is known about
    /// the outcome: every accepted session ends `unknown`.
    pub verify: bool,
    /// The first check, this long after Citrix accepted the request. Recording starts
    /// asynchronously: Citrix only confirms that it asked the VDA.
    pub first_check: Duration,
    /// The checks' interval grows by half each time, up to this.
    pub max_check_interval: Duration,
    /// How long after the request the checks go on before the last answer is final. A real
    /// Recording Server can take many seconds to start recording.
    pub verify_window: Duration,
}

impl Default for BulkOptions {
    /// First check after 2 s (when a healthy Recording Server has usually started), then about
    /// 3 s, 4.5 s, then every 5 s, for 30 s.
    fn default() -> BulkOptions {
        BulkOptions {
            verify: true,
            first_check: Duration::from_secs(2),
            max_check_interval: Duration::from_secs(5),
            verify_window: Duration::from_secs(30),
        }
    }
}

/// Receives the run's progress. Called from many sessions' work at once.
///
/// Both hooks return a future that the engine awaits, so they must not block the thread: work
/// that does (the app's audit trail syncs a file to disk) goes to a thread of its own, e.g. with
/// `tokio::task::spawn_blocking`, and the future waits for it. While one session's hook waits,
/// the other sessions of the run, and everything else on the runtime, go on.
pub trait BulkObserver: Send + Sync {
    /// Called before the start/stop request for `id` is sent; the request is sent only once the
    /// future finishes with `Ok`. `Err` sends nothing and ends that session `cancelled` with
    /// kind `notRequested` (the app uses it to write the audit "requested" record first).
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

/// A session's progress, in this order: `Requested`, then `Accepted` or `AnswerLost`, then
/// `Waiting`, then `Finished`. Any step but `Finished` can be missing (a refusal goes from
/// `Requested` to `Finished`; a session cancelled before it was sent has only `Finished`).
#[derive(Debug, Clone, PartialEq)]
pub enum BulkEvent {
    /// The request is about to be sent (after `before_request` succeeded).
    Requested { id: SessionId },
    /// Citrix accepted the request (2xx).
    Accepted {
        id: SessionId,
        transaction_id: Option<String>,
    },
    /// The request may have been carried out, but its answer was lost (timeout, dropped
    /// connection, 5xx); what Citrix did is checked like an accepted request.
    AnswerLost { id: SessionId, reason: Error },
    /// Waiting for Citrix to confirm: "Started — waiting for Citrix to confirm".
    Waiting { id: SessionId },
    /// Final outcome for this session; exactly one per ID.
    Finished { id: SessionId, outcome: Outcome },
}

/// A session's final status: what Citrix reports, never a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Citrix reports the session as being recorded.
    Recording,
    /// Citrix reports it as not being recorded.
    NotRecording,
    /// `GET /Sessions/{id}` confirmed that the session is gone.
    SessionEnded,
    /// Citrix refused the request with a definite answer on an attempt that was not a retry:
    /// nothing was done. The outcome's `reason` has Citrix's answer.
    Refused,
    /// Not known: Citrix could not be asked (or the run was cancelled while waiting for it).
    /// Check again.
    Unknown,
    /// No request reached Citrix: the run was cancelled first, or the app did not send it
    /// (`reason` says why).
    Cancelled,
}

impl Status {
    /// The camelCase name, as in the audit trail and over IPC.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Recording => "recording",
            Status::NotRecording => "notRecording",
            Status::SessionEnded => "sessionEnded",
            Status::Refused => "refused",
            Status::Unknown => "unknown",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether this status means the action took effect: for a start, recording; for a stop,
    /// not recording or the session gone.
    pub fn is_success(&self, action: Action) -> bool {
        match action {
            Action::Start { .. } => *self == Status::Recording,
            Action::Stop => matches!(self, Status::NotRecording | Status::SessionEnded),
        }
    }
}

/// What happened to one session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub status: Status,
    /// Citrix answered 2xx to the start/stop.
    pub accepted: bool,
    /// The start/stop may have been carried out but its answer was lost (timeout, dropped
    /// connection, exhausted 5xx retries, a 4xx on a retried call).
    pub answer_lost: bool,
    /// The start/stop's Citrix transaction ID, to quote to Citrix support.
    pub transaction_id: Option<String>,
    /// Citrix's answer to the start/stop as JSON (the session, or a refusal's error body).
    pub response: Option<Value>,
    /// Why the status is what it is, where there is more to say: Citrix's refusal, why the
    /// status is not known, why nothing was sent.
    pub reason: Option<Error>,
}

impl Outcome {
    fn bare(status: Status, reason: Option<Error>) -> Outcome {
        Outcome {
            status,
            accepted: false,
            answer_lost: false,
            transaction_id: reason
                .as_ref()
                .and_then(Error::transaction_id)
                .map(str::to_owned),
            response: None,
            reason,
        }
    }

    /// The transaction ID of the start/stop request.
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }
}

/// The run's result, outcomes in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport {
    pub action: Action,
    pub total: usize,
    pub recording: usize,
    pub not_recording: usize,
    pub session_ended: usize,
    pub refused: usize,
    pub unknown: usize,
    pub cancelled: usize,
    pub outcomes: Vec<(SessionId, Outcome)>,
}

impl BulkReport {
    /// Sessions where the action took effect, as Citrix reports.
    pub fn succeeded(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, o)| o.status.is_success(self.action))
            .count()
    }

    /// How many sessions ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        match status {
            Status::Recording => self.recording,
            Status::NotRecording => self.not_recording,
            Status::SessionEnded => self.session_ended,
            Status::Refused => self.refused,
            Status::Unknown => self.unknown,
            Status::Cancelled => self.cancelled,
        }
    }

    fn new(action: Action, outcomes: Vec<(SessionId, Outcome)>) -> BulkReport {
        let mut r = BulkReport {
            action,
            total: outcomes.len(),
            recording: 0,
            not_recording: 0,
            session_ended: 0,
            refused: 0,
            unknown: 0,
            cancelled: 0,
            outcomes: Vec::new(),
        };
        for (_, o) in &outcomes {
            *match o.status {
                Status::Recording => &mut r.recording,
                Status::NotRecording => &mut r.not_recording,
                Status::SessionEnded => &mut r.session_ended,
                Status::Refused => &mut r.refused,
                Status::Unknown => &mut r.unknown,
                Status::Cancelled => &mut r.cancelled,
            } += 1;
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
    let ctx = Ctx {
        client,
        site,
        action,
        opts: &opts,
        cancel: &cancel,
        observer: observer.as_ref(),
        slots: Semaphore::new(client.concurrency()),
    };
    // Every session's work is a future of its own, all polled by this one: those waiting for a
    // slot queue on the semaphore in input order; those waiting for a check only sleep.
    let mut results: Vec<(usize, SessionId, Outcome)> = ids
        .into_iter()
        .enumerate()
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
        .collect::<FuturesUnordered<_>>()
        .collect()
        .await;
    results.sort_by_key(|(i, _, _)| *i);
    let report = BulkReport::new(
        action,
        results.into_iter().map(|(_, id, o)| (id, o)).collect(),
    );
    tracing::info!(
        action = action.as_str(),
        total = report.total,
        succeeded = report.succeeded(),
        recording = report.recording,
        not_recording = report.not_recording,
        session_ended = report.session_ended,
        refused = report.refused,
        unknown = report.unknown,
        cancelled = report.cancelled,
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
    /// Sessions being requested at once (verification holds none).
    slots: Semaphore,
}

/// A request that may have been carried out, waiting for Citrix to confirm what it did.
struct Sent {
    accepted: bool,
    answer_lost: bool,
    transaction_id: Option<String>,
    response: Option<Value>,
    /// For a lost answer, why it was lost.
    reason: Option<Error>,
}

impl Sent {
    fn outcome(self, status: Status, reason: Option<Error>) -> Outcome {
        Outcome {
            status,
            accepted: self.accepted,
            answer_lost: self.answer_lost,
            transaction_id: self.transaction_id,
            response: self.response,
            reason: reason.or(self.reason),
        }
    }
}

impl Ctx<'_> {
    async fn one(&self, id: &SessionId) -> Outcome {
        let sent = match self.request(id).await {
            Ok(sent) => sent,
            Err(outcome) => return outcome,
        };
        if !self.opts.verify {
            return sent.outcome(Status::Unknown, None);
        }
        self.observer
            .on_event(BulkEvent::Waiting { id: id.clone() })
            .await;
        self.confirm(id, sent).await
    }

    /// Sends the request in a slot. `Err` is a final outcome: nothing to confirm.
    async fn request(&self, id: &SessionId) -> Result<Sent, Outcome> {
        let slot = tokio::select! {
            biased;
            () = self.cancel.cancelled() => None,
            slot = self.slots.acquire() => slot.ok(),
        };
        let Some(_slot) = slot.filter(|_| !self.cancel.is_cancelled()) else {
            return Err(cancelled_before_sending());
        };
        if let Err(reason) = self.observer.before_request(id, &self.action).await {
            return Err(Outcome::bare(
                Status::Cancelled,
                Some(Error::NotRequested {
                    message: format!("The request was not sent: {reason}"),
                    transaction_id: None,
                }),
            ));
        }
        if self.cancel.is_cancelled() {
            return Err(cancelled_before_sending());
        }
        self.observer
            .on_event(BulkEvent::Requested { id: id.clone() })
            .await;
        let result = self
            .client
            .request_recording(self.site, id, self.action, Patience::Run, Some(self.cancel))
            .await;
        match result {
            Ok(reply) => {
                self.observer
                    .on_event(BulkEvent::Accepted {
                        id: id.clone(),
                        transaction_id: reply.transaction_id.clone(),
                    })
                    .await;
                Ok(Sent {
                    accepted: true,
                    answer_lost: false,
                    transaction_id: reply.transaction_id,
                    response: reply.raw,
                    reason: None,
                })
            }
            Err(failure) if failure.may_have_been_applied => {
                self.observer
                    .on_event(BulkEvent::AnswerLost {
                        id: id.clone(),
                        reason: failure.error.clone(),
                    })
                    .await;
                Ok(Sent {
                    accepted: false,
                    answer_lost: true,
                    transaction_id: failure.error.transaction_id().map(str::to_owned),
                    response: failure.answer,
                    reason: Some(failure.error),
                })
            }
            Err(failure) => Err(self.not_done(id, failure).await),
        }
    }

    /// The outcome of a request Citrix did not carry out.
    async fn not_done(&self, id: &SessionId, failure: Failure) -> Outcome {
        let refused = |error: Error| Outcome {
            response: failure.answer.clone(),
            ..Outcome::bare(Status::Refused, Some(error))
        };
        match failure.error {
            Error::Cancelled { .. } => cancelled_before_sending(),
            // A 404 from start/stop says only that this endpoint does not know the session.
            Error::NotFound { .. } => match self
                .client
                .session_with(self.site, id, Patience::Run, Some(self.cancel))
                .await
            {
                Err(Failure {
                    error: Error::NotFound { .. },
                    ..
                }) => Outcome {
                    response: failure.answer.clone(),
                    ..Outcome::bare(Status::SessionEnded, Some(failure.error))
                },
                _ => refused(failure.error),
            },
            // Citrix answered, and definitely: nothing was done.
            error if failure.status.is_some() => refused(error),
            // Citrix could not be asked at all (no connection, no token).
            error => Outcome::bare(Status::Unknown, Some(error)),
        }
    }

    /// Checks until Citrix reports what was asked, the session is gone, or the window closes;
    /// then the last thing Citrix reported is final.
    async fn confirm(&self, id: &SessionId, sent: Sent) -> Outcome {
        let wanted = if self.action.wants_recording() {
            RecordingCheck::Recording
        } else {
            RecordingCheck::NotRecording
        };
        let started = Instant::now();
        let deadline = started + self.opts.verify_window;
        let mut interval = self.opts.first_check;
        let mut due = (started + interval).min(deadline);
        let mut reported: Option<Status> = None;
        let mut last_problem: Option<Error> = None;
        loop {
            let waited = tokio::select! {
                biased;
                () = self.cancel.cancelled() => false,
                () = tokio::time::sleep_until(due) => true,
            };
            if !waited {
                return sent.outcome(Status::Unknown, Some(cancelled_while_waiting()));
            }
            let check = self
                .client
                .check_recording_with(self.site, id, Patience::Run, Some(self.cancel))
                .await
                .value;
            match check {
                check if check == wanted => return sent.outcome(status_of(&check), None),
                RecordingCheck::SessionEnded => return sent.outcome(Status::SessionEnded, None),
                RecordingCheck::Unknown { reason } => {
                    if self.cancel.is_cancelled() {
                        return sent.outcome(Status::Unknown, Some(cancelled_while_waiting()));
                    }
                    tracing::debug!(session = %id, kind = %reason.kind(), "recording check failed");
                    last_problem = Some(reason);
                }
                other => reported = Some(status_of(&other)),
            }
            if Instant::now() >= deadline {
                break;
            }
            interval = (interval.mul_f64(1.5)).min(self.opts.max_check_interval);
            due = (due + interval).min(deadline).max(Instant::now());
        }
        match reported {
            // What Citrix last reported, the opposite of what was asked.
            Some(status) => sent.outcome(status, None),
            None => sent.outcome(Status::Unknown, last_problem),
        }
    }
}

fn status_of(check: &RecordingCheck) -> Status {
    match check {
        RecordingCheck::Recording => Status::Recording,
        RecordingCheck::NotRecording => Status::NotRecording,
        RecordingCheck::SessionEnded => Status::SessionEnded,
        RecordingCheck::Unknown { .. } => Status::Unknown,
    }
}

fn cancelled_before_sending() -> Outcome {
    Outcome::bare(Status::Cancelled, None)
}

fn cancelled_while_waiting() -> Error {
    Error::Cancelled {
        message: "The run was cancelled before Citrix confirmed what the request did.".to_owned(),
        transaction_id: None,
    }
}
