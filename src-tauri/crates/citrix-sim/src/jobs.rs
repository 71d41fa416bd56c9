//! Async jobs: `?async=true` on `$startRecording`/`$stopRecording` answers 202 with a
//! `Location` of `/Jobs/{id}`, and the job moves NotStarted → InProgress → Complete/Failed over
//! the configured job duration. The operation takes effect when the job completes, so a client
//! that reads the recording status too early sees the old value, as it would for real.
//!
//! Jobs are settled lazily whenever the data lock is taken (`State::data`), which needs no
//! timer task and keeps the status a pure function of the clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use time::OffsetDateTime;
use url::Url;

use crate::errors::{self, SESSION_OPERATION_FAILED};
use crate::http;
use crate::state::{RecordingAction, SimSession, State};
use crate::timefmt::{rfc3339, us_locale};

/// Finished jobs kept for `GET /Jobs`; older ones are forgotten so memory stays bounded.
const MAX_JOBS: usize = 10_000;

#[derive(Debug, Default)]
pub struct Jobs {
    list: Vec<Job>,
    /// Jobs still running; lets `settle`, which runs on every data lock, return at once in the
    /// common case of no async calls.
    running: usize,
}

#[derive(Debug)]
pub struct Job {
    pub id: String,
    action: RecordingAction,
    session_id: String,
    created: Instant,
    created_at: OffsetDateTime,
    duration: Duration,
    /// The recording delay drawn when the request came in, counted from the job's completion.
    recording_delay: Duration,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    Running,
    Canceled(OffsetDateTime),
    Complete(OffsetDateTime, Arc<Value>),
    Failed(OffsetDateTime, &'static str, &'static str),
}

/// Why a job request could not be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobError {
    NotFound,
    NotCancellable,
    NoResults,
}

impl Jobs {
    pub fn create(
        &mut self,
        action: RecordingAction,
        session_id: &str,
        duration: Duration,
        recording_delay: Duration,
    ) -> String {
        if self.list.len() >= MAX_JOBS {
            if let Some(pos) = self
                .list
                .iter()
                .position(|j| !matches!(j.phase, Phase::Running))
            {
                self.list.remove(pos);
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.running += 1;
        self.list.push(Job {
            id: id.clone(),
            action,
            session_id: session_id.to_ascii_lowercase(),
            created: Instant::now(),
            created_at: OffsetDateTime::now_utc(),
            duration,
            recording_delay,
            phase: Phase::Running,
        });
        id
    }

    /// Completes the jobs whose time has come, applying their operation to the session.
    pub fn settle(&mut self, sessions: &mut [SimSession], now: Instant) {
        if self.running == 0 {
            return;
        }
        for job in self
            .list
            .iter_mut()
            .filter(|j| matches!(j.phase, Phase::Running))
            .filter(|j| now.saturating_duration_since(j.created) >= j.duration)
        {
            self.running -= 1;
            let ended = job.created_at + job.duration;
            let completed = job.created + job.duration;
            job.phase = match sessions.iter_mut().find(|s| s.id == job.session_id) {
                None => Phase::Failed(ended, "Session not found", "UnknownSession"),
                Some(session) => match session.apply(job.action, completed, job.recording_delay) {
                    Ok(()) => Phase::Complete(ended, session.served()),
                    Err(_) => {
                        Phase::Failed(ended, SESSION_OPERATION_FAILED, "SessionOperationFailed")
                    }
                },
            };
        }
    }

    fn find(&self, id: &str) -> Option<&Job> {
        self.list.iter().find(|j| j.id.eq_ignore_ascii_case(id))
    }

    pub fn get(&self, id: &str, base: &Url, now: Instant) -> Option<Value> {
        self.find(id).map(|j| j.to_json(base, now))
    }

    pub fn all(&self, base: &Url, now: Instant) -> Vec<Value> {
        self.list.iter().map(|j| j.to_json(base, now)).collect()
    }

    pub fn results(&self, id: &str) -> Result<Arc<Value>, JobError> {
        match &self.find(id).ok_or(JobError::NotFound)?.phase {
            Phase::Complete(_, session) => Ok(Arc::clone(session)),
            _ => Err(JobError::NoResults),
        }
    }

    pub fn cancel(&mut self, id: &str) -> Result<(), JobError> {
        let job = self
            .list
            .iter_mut()
            .find(|j| j.id.eq_ignore_ascii_case(id))
            .ok_or(JobError::NotFound)?;
        match job.phase {
            Phase::Running => {
                self.running -= 1;
                job.phase = Phase::Canceled(OffsetDateTime::now_utc());
                Ok(())
            }
            _ => Err(JobError::NotCancellable),
        }
    }

    pub fn delete(&mut self, id: &str) -> Result<(), JobError> {
        let before = self.list.len();
        let running = |j: &Job| matches!(j.phase, Phase::Running);
        self.running -= self
            .list
            .iter()
            .filter(|j| j.id.eq_ignore_ascii_case(id) && running(j))
            .count();
        self.list.retain(|j| !j.id.eq_ignore_ascii_case(id));
        if self.list.len() == before {
            Err(JobError::NotFound)
        } else {
            Ok(())
        }
    }
}

impl Job {
    fn to_json(&self, base: &Url, now: Instant) -> Value {
        let (job_type, notify) = match self.action {
            RecordingAction::Start { notify_user } => ("StartSessionRecording", Some(notify_user)),
            RecordingAction::Stop => ("StopSessionRecording", None),
        };
        let mut parameters = vec![json!({ "Name": "Id", "Value": self.session_id })];
        if let Some(notify) = notify {
            parameters.push(
                json!({ "Name": "NotifyUser", "Value": if notify { "True" } else { "False" } }),
            );
        }
        let elapsed = now.saturating_duration_since(self.created);
        let (status, progress, ended, error) = match &self.phase {
            Phase::Running if elapsed < self.duration / 3 => ("NotStarted", 0, None, None),
            Phase::Running => ("InProgress", 50, None, None),
            Phase::Canceled(at) => ("Canceled", 50, Some(*at), None),
            Phase::Complete(at, _) => ("Complete", 100, Some(*at), None),
            Phase::Failed(at, message, code) => ("Failed", 100, Some(*at), Some((*message, *code))),
        };
        let result_location = matches!(self.phase, Phase::Complete(..))
            .then(|| format!("{}cvad/manage/Jobs/{}/Results", base, self.id));
        json!({
            "Id": self.id,
            "Type": job_type,
            "Parameters": parameters,
            "Status": status,
            "OverallProgressPercent": progress,
            "IsCancellable": matches!(self.phase, Phase::Running),
            "SubJobs": [],
            "ResultLocation": result_location,
            "CreationTime": us_locale(self.created_at),
            "FormattedCreationTime": rfc3339(self.created_at),
            "StartTime": us_locale(self.created_at),
            "FormattedStartTime": rfc3339(self.created_at),
            "EndTime": ended.map(us_locale),
            "FormattedEndTime": ended.map(rfc3339),
            "ErrorString": error.map(|(message, _)| message),
            "ErrorCode": error.map(|(_, code)| code),
            "ErrorParameters": error
                .map(|(message, _)| json!([{ "Name": "ErrorDetails", "Value": message }]))
                .unwrap_or_else(|| json!([])),
        })
    }
}

// The `/Jobs` endpoints.

fn job_error(error: JobError) -> Response {
    match error {
        JobError::NotFound => {
            errors::error_data(StatusCode::NOT_FOUND, "Job not found", "JobNotFound")
        }
        JobError::NotCancellable => errors::error_data(
            StatusCode::BAD_REQUEST,
            "The job has already finished and cannot be cancelled.",
            "JobNotCancellable",
        ),
        JobError::NoResults => errors::error_data(
            StatusCode::NOT_FOUND,
            "The job has no results.",
            "JobResultsNotAvailable",
        ),
    }
}

/// 404 for a job that does not exist.
pub fn not_found() -> Response {
    job_error(JobError::NotFound)
}

/// `GET /Jobs`.
pub fn list(state: &State) -> Response {
    let items = state.data().jobs.all(&state.base_url, Instant::now());
    http::json(StatusCode::OK, &json!({ "Items": items }))
}

/// `GET /Jobs/{id}`.
pub fn get(state: &State, id: &str) -> Response {
    let job = state.data().jobs.get(id, &state.base_url, Instant::now());
    match job {
        Some(job) => http::json(StatusCode::OK, &job),
        None => job_error(JobError::NotFound),
    }
}

/// `GET /Jobs/{id}/Results`: the session as it was when the job completed.
pub fn results(state: &State, id: &str) -> Response {
    let results = state.data().jobs.results(id);
    match results {
        Ok(json) => http::json(StatusCode::OK, &json),
        Err(e) => job_error(e),
    }
}

/// `POST /Jobs/{id}/$cancel`.
pub fn cancel(state: &State, id: &str) -> Response {
    let result = state.data().jobs.cancel(id);
    match result {
        Ok(()) => http::empty(StatusCode::OK),
        Err(e) => job_error(e),
    }
}

/// `DELETE /Jobs/{id}`.
pub fn delete(state: &State, id: &str) -> Response {
    let result = state.data().jobs.delete(id);
    match result {
        Ok(()) => http::empty(StatusCode::NO_CONTENT),
        Err(e) => job_error(e),
    }
}
