//! The simulator's shared state. Two `std::sync::Mutex`es (faults, data) are each held for a
//! few microseconds and never across an `.await`, so thousands of concurrent requests do not
//! serialise on them; counters are atomics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use crate::config::{SimConfig, VisibleCustomer, VisibleSite};
use crate::errors::ParamsShape;
use crate::faults::Faults;
use crate::fixtures::Fixture;
use crate::hidden::HiddenFields;
use crate::jobs::Jobs;
use crate::paging::Continuations;

pub struct State {
    pub customer_id: String,
    pub customer_name: Option<String>,
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
    /// The session ID of every `RecordingStatus` request received, in order (faults included).
    pub status_requests: Mutex<Vec<String>>,
    shape_counter: AtomicU64,
    variant_counter: AtomicU64,
    last_headers: Mutex<Option<Vec<(String, String)>>>,
    last_token_headers: Mutex<Option<Vec<(String, String)>>>,
    /// Whether `/_sim/...` (the HTTP face of `SimControl`) is served.
    pub control_api: std::sync::atomic::AtomicBool,
    /// Start/stop requests held back until released.
    pub holds: crate::holds::Holds,
}

pub struct Data {
    pub sessions: Vec<SimSession>,
    pub tokens: HashMap<String, TokenGrant>,
    pub continuations: Continuations,
    pub jobs: Jobs,
}

/// A bearer token the token endpoint issued. It is the API client's, not a customer's: which
/// customer a call is for is what `Citrix-CustomerId` says, checked against the customers the
/// client can see.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub expires_at: Instant,
}

/// One session plus what the broker keeps beside it: the recording state (the session JSON has
/// no recording flag; `GET /Sessions/RecordingStatus` is the only way to read it), and the
/// session's true state and protocol, which decide what a start does even when the JSON does
/// not show them.
#[derive(Debug, Clone)]
pub struct SimSession {
    /// Lower-case, so lookups can ignore the case of the ID a client sends.
    pub id: String,
    /// The JSON as the API answers it, before [`SimSession::hidden`] is applied. Shared so that
    /// listings clone pointers under the lock and serialise outside it.
    pub json: Arc<Value>,
    /// The true `SessionState`.
    pub state: String,
    /// The true `Connection.Protocol`.
    pub protocol: String,
    /// Fields hidden from answers for now (`SimControl::hide_fields`).
    pub hidden: HiddenFields,
    /// What `RecordingStatus` reports once any pending change has settled.
    recording: bool,
    /// A start or stop the broker accepted that `RecordingStatus` does not show yet.
    pending: Option<Transition>,
    pub notify_user: Option<bool>,
    /// "Agent missing": start answers 200 but recording never begins.
    pub never_records: bool,
    /// `RecordingStatus` answers 404 for this session although `GET /Sessions/{id}` finds it.
    pub status_not_found: bool,
    /// Start and stop requests the broker applied (accepted), whatever became of the answer.
    pub starts_applied: u32,
    pub stops_applied: u32,
}

/// A change of the recording state that becomes visible at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: bool,
    pub at: Instant,
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
    /// A session whose true state and protocol are what its JSON says ("Unknown" where the
    /// JSON does not say).
    pub fn new(json: Value) -> SimSession {
        let text = |pointer: &str| {
            json.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("Unknown")
                .to_owned()
        };
        let (state, protocol) = (text("/State"), text("/Connection/Protocol"));
        SimSession::with_truth(json, state, protocol)
    }

    pub fn with_truth(json: Value, state: String, protocol: String) -> SimSession {
        let id = json
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        SimSession {
            id,
            json: Arc::new(json),
            state,
            protocol,
            hidden: HiddenFields::NONE,
            recording: false,
            pending: None,
            notify_user: None,
            never_records: false,
            status_not_found: false,
            starts_applied: 0,
            stops_applied: 0,
        }
    }

    /// The JSON as the API answers it now.
    pub fn served(&self) -> Arc<Value> {
        if self.hidden.is_none() {
            return Arc::clone(&self.json);
        }
        let mut json = (*self.json).clone();
        self.hidden.apply(&mut json);
        Arc::new(json)
    }

    /// Only active HDX sessions can be recorded (Start-BrokerSessionRecording notes).
    pub fn recordable(&self) -> bool {
        self.state.eq_ignore_ascii_case("Active") && self.protocol.eq_ignore_ascii_case("Hdx")
    }

    /// What `RecordingStatus` reports at `now`.
    pub fn recording_at(&self, now: Instant) -> bool {
        match self.pending {
            Some(p) if now >= p.at => p.to && !self.never_records,
            _ => self.recording,
        }
    }

    /// The change still to come at `now`, if any.
    pub fn pending_at(&self, now: Instant) -> Option<Transition> {
        self.pending.filter(|p| now < p.at)
    }

    /// Sets the recording state at once, dropping any pending change.
    pub fn set_recording(&mut self, recording: bool) {
        self.recording = recording;
        self.pending = None;
    }

    /// Applies a start or stop the way the broker does: refused unless recordable; otherwise
    /// accepted, counted, and visible in `RecordingStatus` after `delay`. A start on a session
    /// that is recording or already starting is silently fine (and does not restart the
    /// clock); `never_records` sessions accept a start but never record.
    pub fn apply(
        &mut self,
        action: RecordingAction,
        now: Instant,
        delay: Duration,
    ) -> Result<(), NotRecordable> {
        if !self.recordable() {
            return Err(NotRecordable);
        }
        self.recording = self.recording_at(now);
        self.pending = self.pending_at(now);
        let to = match action {
            RecordingAction::Start { notify_user } => {
                self.notify_user = Some(notify_user);
                self.starts_applied += 1;
                if self.never_records {
                    return Ok(());
                }
                true
            }
            RecordingAction::Stop => {
                self.stops_applied += 1;
                false
            }
        };
        if self.pending.is_some_and(|p| p.to == to) {
            return Ok(());
        }
        self.pending = if self.recording == to {
            // A change the other way was still pending: this request undoes it.
            None
        } else if delay.is_zero() {
            self.recording = to;
            None
        } else {
            Some(Transition {
                to,
                at: now + delay,
            })
        };
        Ok(())
    }

    /// The session is now Disconnected (which also ends any recording: the broker cannot record
    /// a session nobody is connected to).
    pub fn disconnect(&mut self) {
        if let Some(obj) = Arc::make_mut(&mut self.json).as_object_mut() {
            if obj.contains_key("State") && !obj["State"].is_null() {
                obj.insert("State".to_owned(), Value::from("Disconnected"));
            }
        }
        self.state = "Disconnected".to_owned();
        self.set_recording(false);
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
    pub fn new(cfg: &SimConfig, base_url: Url, sessions: Vec<Fixture>) -> State {
        State {
            customer_id: cfg.customer_id.clone(),
            customer_name: cfg.customer_name.clone(),
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            site_id: cfg.site_id.clone(),
            site_name: cfg.site_name.clone(),
            base_url,
            faults: Mutex::new(Faults::new(cfg)),
            data: Mutex::new(Data {
                sessions: sessions
                    .into_iter()
                    .map(|f| {
                        SimSession::with_truth(f.json, f.state.to_owned(), f.protocol.to_owned())
                    })
                    .collect(),
                tokens: HashMap::new(),
                continuations: Continuations::default(),
                jobs: Jobs::default(),
            }),
            token_requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            activation_requests: AtomicU64::new(0),
            status_requests: Mutex::new(Vec::new()),
            shape_counter: AtomicU64::new(0),
            variant_counter: AtomicU64::new(0),
            last_headers: Mutex::new(None),
            last_token_headers: Mutex::new(None),
            control_api: std::sync::atomic::AtomicBool::new(false),
            holds: crate::holds::Holds::default(),
        }
    }

    /// The customers the API client can see, the simulated one first.
    pub fn visible_customers(&self) -> Vec<VisibleCustomer> {
        std::iter::once(self.own_customer())
            .chain(self.faults().other_customers.iter().cloned())
            .collect()
    }

    /// The visible customer with this ID (case-insensitive). Every API request asks, so the
    /// simulated customer is answered without looking at the others.
    pub fn visible_customer(&self, id: &str) -> Option<VisibleCustomer> {
        if id.eq_ignore_ascii_case(&self.customer_id) {
            return Some(self.own_customer());
        }
        self.faults()
            .other_customers
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id))
            .cloned()
    }

    fn own_customer(&self) -> VisibleCustomer {
        VisibleCustomer {
            id: self.customer_id.clone(),
            name: self.customer_name.clone(),
            sites: vec![VisibleSite {
                id: self.site_id.clone(),
                name: self.site_name.clone(),
            }],
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
