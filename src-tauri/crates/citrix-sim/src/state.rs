//! The simulator's shared state. Two `std::sync::Mutex`es (faults, data) are each held for a
//! few microseconds and never across an `.await`, so thousands of concurrent requests do not
//! serialise on them; counters are atomics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::Value;
use url::Url;

use crate::config::SimConfig;
use crate::errors::ParamsShape;
use crate::faults::Faults;
use crate::jobs::Jobs;
use crate::paging::Continuations;

pub struct State {
    pub customer_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub site_id: String,
    pub site_name: String,
    /// `http://127.0.0.1:PORT`, for `Location` headers.
    pub base_url: Url,
    faults: Mutex<Faults>,
    data: Mutex<Data>,
    pub token_requests: AtomicU64,
    pub api_requests: AtomicU64,
    pub activation_requests: AtomicU64,
    shape_counter: AtomicU64,
    variant_counter: AtomicU64,
    last_headers: Mutex<Option<Vec<(String, String)>>>,
    last_token_headers: Mutex<Option<Vec<(String, String)>>>,
    /// Whether `/_sim/...` (the HTTP face of `SimControl`) is served.
    pub control_api: std::sync::atomic::AtomicBool,
}

pub struct Data {
    pub sessions: Vec<SimSession>,
    pub tokens: HashMap<String, TokenGrant>,
    pub continuations: Continuations,
    pub jobs: Jobs,
}

/// A bearer token the token endpoint issued.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub customer_id: String,
    pub expires_at: Instant,
}

/// One session plus the recording state the broker keeps beside it (the session JSON has no
/// recording flag; `GET /Sessions/RecordingStatus` is the only way to read it).
#[derive(Debug, Clone)]
pub struct SimSession {
    /// Lower-case, so lookups can ignore the case of the ID a client sends.
    pub id: String,
    /// Shared so that listings clone pointers under the lock and serialise outside it.
    pub json: Arc<Value>,
    pub recording: bool,
    pub notify_user: Option<bool>,
    /// "Agent missing": start answers 200 but recording never begins.
    pub never_records: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingAction {
    Start { notify_user: bool },
    Stop,
}

/// The broker refused the operation (session not Active, or not HDX).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRecordable;

impl SimSession {
    pub fn new(json: Value) -> SimSession {
        let id = json
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        SimSession {
            id,
            json: Arc::new(json),
            recording: false,
            notify_user: None,
            never_records: false,
        }
    }

    pub fn state(&self) -> &str {
        self.json.get("State").and_then(Value::as_str).unwrap_or("")
    }

    pub fn protocol(&self) -> &str {
        self.json
            .pointer("/Connection/Protocol")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Only active HDX sessions can be recorded (Start-BrokerSessionRecording notes).
    pub fn recordable(&self) -> bool {
        self.state().eq_ignore_ascii_case("Active") && self.protocol().eq_ignore_ascii_case("Hdx")
    }

    /// Applies a start or stop the way the broker does: refused unless recordable; a start on a
    /// recording session is silently fine; `never_records` sessions accept but never record.
    pub fn apply(&mut self, action: RecordingAction) -> Result<(), NotRecordable> {
        if !self.recordable() {
            return Err(NotRecordable);
        }
        match action {
            RecordingAction::Start { notify_user } => {
                self.notify_user = Some(notify_user);
                if !self.never_records {
                    self.recording = true;
                }
            }
            RecordingAction::Stop => self.recording = false,
        }
        Ok(())
    }
}

impl Data {
    pub fn find(&self, id: &str) -> Option<&SimSession> {
        let id = id.to_ascii_lowercase();
        self.sessions.iter().find(|s| s.id == id)
    }

    pub fn find_mut(&mut self, id: &str) -> Option<&mut SimSession> {
        let id = id.to_ascii_lowercase();
        self.sessions.iter_mut().find(|s| s.id == id)
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        let before = self.sessions.len();
        self.sessions.retain(|s| s.id != id);
        before != self.sessions.len()
    }
}

impl State {
    pub fn new(cfg: &SimConfig, base_url: Url, sessions: Vec<Value>) -> State {
        State {
            customer_id: cfg.customer_id.clone(),
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            site_id: cfg.site_id.clone(),
            site_name: cfg.site_name.clone(),
            base_url,
            faults: Mutex::new(Faults::new(cfg.latency, cfg.token_lifetime)),
            data: Mutex::new(Data {
                sessions: sessions.into_iter().map(SimSession::new).collect(),
                tokens: HashMap::new(),
                continuations: Continuations::default(),
                jobs: Jobs::default(),
            }),
            token_requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            activation_requests: AtomicU64::new(0),
            shape_counter: AtomicU64::new(0),
            variant_counter: AtomicU64::new(0),
            last_headers: Mutex::new(None),
            last_token_headers: Mutex::new(None),
            control_api: std::sync::atomic::AtomicBool::new(false),
        }
    }

    // A panic while holding a lock must not turn every later request into a panic, so poisoned
    // locks are taken over as they are: every critical section leaves the data consistent.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The data lock, with async jobs that came due applied first so every reader sees them.
    pub fn data(&self) -> MutexGuard<'_, Data> {
        let mut data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
        let Data { jobs, sessions, .. } = &mut *data;
        jobs.settle(sessions, Instant::now());
        data
    }

    /// Alternates the `parameters` form of gateway errors between responses, so that client
    /// tests meet both shapes the docs show.
    pub fn next_params_shape(&self) -> ParamsShape {
        if self
            .shape_counter
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(2)
        {
            ParamsShape::Array
        } else {
            ParamsShape::Object
        }
    }

    /// A counter for faults whose body alternates (503: `ErrorData`, then plain text).
    pub fn next_variant(&self) -> u64 {
        self.variant_counter.fetch_add(1, Ordering::Relaxed)
    }

    pub fn record_headers(&self, headers: Vec<(String, String)>) {
        *self
            .last_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(headers);
    }

    pub fn last_headers(&self) -> Option<Vec<(String, String)>> {
        self.last_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn record_token_headers(&self, headers: Vec<(String, String)>) {
        *self
            .last_token_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(headers);
    }

    pub fn last_token_headers(&self) -> Option<Vec<(String, String)>> {
        self.last_token_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
