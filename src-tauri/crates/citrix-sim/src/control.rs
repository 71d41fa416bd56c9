//! `SimControl`: the switches tests and the demo use to steer the simulator at run time.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use crate::config::{UnseenCustomerTokens, VisibleCustomer};
use crate::faults::{Delay, FaultAnswer, LostScope};
use crate::fixtures::SpecialSessions;
use crate::hidden::HiddenFields;
use crate::search::SearchMode;
use crate::state::{SimSession, State};

/// A session's recording state as the broker has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingView {
    /// What `RecordingStatus` reports now.
    pub reported: bool,
    /// What it will report once the accepted start or stop has taken effect (the same as
    /// `reported` when nothing is pending).
    pub settles_to: bool,
    /// When that happens; `None` when nothing is pending.
    pub settles_at: Option<Instant>,
    /// The `notifyUser` of the last accepted `$startRecording`.
    pub notify_user: Option<bool>,
}

/// How many start and stop requests the broker applied to a session, whether or not the
/// client got the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    pub starts: u32,
    pub stops: u32,
}

/// What the broker knows about a session, whatever its JSON shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTruth {
    /// "Active", "Disconnected", "Connected" (or "Unknown" for an added session whose JSON did
    /// not say).
    pub state: String,
    /// "Hdx", "Rdp", ...
    pub protocol: String,
}

/// A cheap, cloneable handle to the simulator's fault switches and state. All methods are
/// synchronous and take effect for the next request. "API request" means a request under
/// `/cvad/manage`; unless said otherwise a fault applies to API requests only, never to the
/// token endpoint, so a test can aim a fault at an API call without predicting whether the
/// client will fetch a token first.
#[derive(Clone)]
pub struct SimControl {
    state: Arc<State>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl")
            .field("url", &self.state.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SimControl {
    pub(crate) fn new(state: Arc<State>) -> SimControl {
        SimControl { state }
    }

    /// Serves the switches below over HTTP under `/_sim/` (see the `remote` module), for a
    /// simulator running in its own process. Off by default.
    pub fn set_control_api(&self, on: bool) {
        self.state.control_api.store(on, Ordering::Relaxed);
    }

    /// Delay before answering every request, token and activation requests included. The delay
    /// is an async sleep per request, so concurrent requests overlap rather than queue.
    pub fn set_latency(&self, latency: Duration) {
        self.state.faults().latency = latency;
    }

    /// Lifetime of tokens issued from now on (`expires_in` reports whole seconds, rounded down).
    /// Tokens already issued keep their expiry.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.faults().token_lifetime = lifetime;
    }

    /// Forgets every issued token: the next API call with one gets the 401 token error.
    pub fn revoke_tokens(&self) {
        self.state.data().tokens.clear();
    }

    /// Status for bad credentials at the token endpoint: 400 (the real service, default) or 401
    /// (what Citrix's Terraform provider assumes). Other values are ignored.
    pub fn set_bad_credentials_status(&self, status: u16) {
        let code = match status {
            400 => StatusCode::BAD_REQUEST,
            401 => StatusCode::UNAUTHORIZED,
            _ => return,
        };
        self.state.faults().bad_credentials_status = code;
    }

    /// The next `n` API requests get 429, with `Retry-After: <secs>` when given. Replaces any
    /// pending burst; `n = 0` cancels it.
    pub fn rate_limit_burst(&self, n: u32, retry_after: Option<u64>) {
        self.state.faults().rate_limit_burst(n, retry_after);
    }

    /// A sustained limit of `rate` API requests per second (token bucket holding one second's
    /// worth, at least one request), 429 beyond it, with a `Retry-After` of the whole seconds
    /// until a request would pass when `with_retry_after`. `None` lifts the limit.
    pub fn rate_limit_per_second(&self, rate: Option<f64>, with_retry_after: bool) {
        self.state
            .faults()
            .rate_limit_per_second(rate, with_retry_after);
    }

    /// The next `n` API requests get `status`. Bodies are what the real path gives: 502 an HTML
    /// gateway page, 503 alternately `ErrorData` JSON and plain text, 500 the
    /// `{activityId, message, statusCode}` JSON, 504 an HTML page, anything else `ErrorData`.
    /// Replaces any pending burst; `n = 0` cancels it.
    pub fn error_burst(&self, status: u16, n: u32) {
        if let Ok(code) = StatusCode::from_u16(status) {
            self.state.faults().error_burst(code, n);
        }
    }

    /// While asleep, `/me` and every other API call (after the header checks) answer 530 with a
    /// Cloudflare-style HTML page. `POST /resourceprovider/{customer}/site/activation` answers
    /// 202 and wakes the site after the wake delay (default 2 s, see [`Self::set_wake_delay`]).
    pub fn set_site_asleep(&self, asleep: bool) {
        self.state.faults().set_site_asleep(asleep);
    }

    /// How long the site takes to wake after the activation call.
    pub fn set_wake_delay(&self, delay: Duration) {
        self.state.faults().wake_delay = delay;
    }

    /// Whether the site is asleep right now (a due wake-up counts as awake).
    pub fn is_site_asleep(&self) -> bool {
        self.state.faults().site_is_asleep(Instant::now())
    }

    /// How long `RecordingStatus` takes to turn true after a start is accepted (for starts
    /// accepted from now on): `delay` plus a random extra of up to `jitter`. Zero by default.
    pub fn set_record_delay(&self, delay: Duration, jitter: Duration) {
        self.state.faults().record_delay = Delay {
            base: delay,
            jitter,
        };
    }

    /// The same for stops: how long `RecordingStatus` keeps reporting true after a stop is
    /// accepted. Zero by default.
    pub fn set_stop_delay(&self, delay: Duration, jitter: Duration) {
        self.state.faults().stop_delay = Delay {
            base: delay,
            jitter,
        };
    }

    /// The next `n` requests in `scope` are served (a start or stop is applied) and then the
    /// answer is lost: the client gets `answer` instead. Replaces any pending count; `n = 0`
    /// cancels it.
    pub fn lose_answers(&self, n: u32, answer: FaultAnswer, scope: LostScope) {
        self.state.faults().lose_answers(n, answer, scope);
    }

    /// The next `n` `RecordingStatus` requests fail with `answer`. Replaces any pending count.
    pub fn fail_status_lookups(&self, n: u32, answer: FaultAnswer) {
        self.state.faults().fail_status_lookups(n, answer);
    }

    /// `RecordingStatus` answers 404 `UnknownSession` for this session while `GET
    /// /Sessions/{id}` still finds it. Returns false when no such session exists.
    pub fn set_status_not_found(&self, id: &str, on: bool) -> bool {
        self.with_session(id, |s| s.status_not_found = on)
    }

    /// Hides fields in every answer about these sessions (listing, search, one session, the
    /// session returned by start/stop), replacing what was hidden before;
    /// [`HiddenFields::NONE`] shows them again. Fields a test fixture never shows stay hidden.
    /// What a start does still depends on the session's true state and protocol. Returns how
    /// many of the IDs exist.
    pub fn hide_fields(&self, ids: &[&str], hidden: HiddenFields) -> usize {
        ids.iter()
            .filter(|id| self.with_session(id, |s| s.hidden = hidden))
            .count()
    }

    /// [`Self::hide_fields`] for every current session (sessions added later are not
    /// affected). Returns how many sessions there are.
    pub fn hide_fields_everywhere(&self, hidden: HiddenFields) -> usize {
        let mut data = self.state.data();
        data.sessions.iter_mut().for_each(|s| s.hidden = hidden);
        data.sessions.len()
    }

    /// The session's true state and protocol (`None` for unknown sessions).
    pub fn truth(&self, id: &str) -> Option<SessionTruth> {
        self.state.data().find(id).map(|s| SessionTruth {
            state: s.state.clone(),
            protocol: s.protocol.clone(),
        })
    }

    /// Which search operators `$search` accepts (lenient by default).
    pub fn set_search_mode(&self, mode: SearchMode) {
        self.state.faults().search_mode = mode;
    }

    /// The customers the API client can see besides the simulated one (listed after it in
    /// `/me`, accepted in `Citrix-CustomerId` and in the token path; their sites hold no
    /// sessions).
    pub fn set_other_customers(&self, customers: Vec<VisibleCustomer>) {
        self.state.faults().other_customers = customers;
    }

    /// What the token endpoint does with a customer the API client cannot see.
    pub fn set_unseen_customer_tokens(&self, mode: UnseenCustomerTokens) {
        self.state.faults().unseen_customer_tokens = mode;
    }

    /// "Agent missing" mode for one session: `$startRecording` answers 200 with the session but
    /// the recording status stays false. Returns false when no such session exists.
    pub fn set_never_records(&self, id: &str, never: bool) -> bool {
        self.with_session(id, |s| s.never_records = never)
    }

    /// Every API request with a valid token gets the gateway's wrong-region 403 ("User is not
    /// authenticated for the specified resource").
    pub fn set_forbidden_region(&self, forbidden: bool) {
        self.state.faults().forbidden_region = forbidden;
    }

    /// Strict (default, the real gateway): `Accept` must be exactly `application/json`, else 406.
    /// Lenient: a missing `Accept`, `*/*` or any JSON media type passes.
    pub fn set_strict_accept(&self, strict: bool) {
        self.state.faults().strict_accept = strict;
    }

    /// The next `n` API requests get no response: the connection is closed with a TCP RST.
    /// Replaces any pending count.
    pub fn reset_connections(&self, n: u32) {
        self.state.faults().reset_connections(n);
    }

    /// The next `n` API requests wait `d` (after the latency) before being processed, for
    /// client timeout tests. Replaces any pending stall.
    pub fn stall(&self, n: u32, d: Duration) {
        self.state.faults().stall(n, d);
    }

    /// From now on the next `pass` start/stop requests are served, then `hold` of them (`None`:
    /// every later one) are held: they wait, unprocessed and unanswered, until
    /// [`release_start_stop`](Self::release_start_stop); any after those are served. A test can
    /// then know a run is in progress by its state, not by how fast it goes.
    pub fn hold_start_stop(&self, pass: u32, hold: Option<u32>) {
        self.state.holds.hold_after(pass, hold);
    }

    /// Lets every held start/stop request go on, and holds no more.
    pub fn release_start_stop(&self) {
        self.state.holds.release();
    }

    /// How many start/stop requests are held right now.
    pub fn held_start_stop(&self) -> u64 {
        self.state.holds.held()
    }

    /// Duration of async jobs (`?async=true`) from creation to Complete/Failed (default 300 ms).
    pub fn set_job_duration(&self, d: Duration) {
        self.state.faults().job_duration = d;
    }

    /// Makes every continuation token issued so far stale (400 when used).
    pub fn expire_continuation_tokens(&self) {
        self.state.data().continuations.expire_all();
    }

    /// Ends a session: it disappears from listings and its ID answers 404. Returns whether it
    /// existed.
    pub fn end_session(&self, id: &str) -> bool {
        self.state.data().remove(id)
    }

    /// Adds (or replaces, by `Id`) a session. A missing `Id` gets a fresh GUID. Returns the ID.
    /// Its true state and protocol are what the JSON says, so it can be recorded when `State`
    /// is "Active" and `Connection.Protocol` "Hdx" (hide them afterwards with
    /// [`Self::hide_fields`] for a recordable session that does not show them).
    pub fn add_session(&self, mut session: Value) -> String {
        let has_id = session
            .get("Id")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty());
        if !has_id {
            if let Some(obj) = session.as_object_mut() {
                obj.insert(
                    "Id".to_owned(),
                    Value::from(uuid::Uuid::new_v4().to_string()),
                );
            }
        }
        let session = SimSession::new(session);
        let id = session.id.clone();
        let mut data = self.state.data();
        match data.find_mut(&id) {
            Some(existing) => *existing = session,
            None => data.sessions.push(session),
        }
        id
    }

    /// All current sessions' JSON as the API answers it, in listing order.
    pub fn sessions(&self) -> Vec<Value> {
        self.state
            .data()
            .sessions
            .iter()
            .map(|s| (*s.served()).clone())
            .collect()
    }

    /// IDs of the fixed fixture sessions (see [`SpecialSessions`]); they exist when the
    /// simulator was started with the test fixtures and at least `fixtures::SPECIAL_COUNT`
    /// sessions.
    pub fn special(&self) -> SpecialSessions {
        SpecialSessions::ids()
    }

    /// Token endpoint requests received (successful or not).
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.load(Ordering::Relaxed)
    }

    /// API requests received (`/cvad/manage/...`), including ones answered with a fault.
    pub fn api_requests(&self) -> u64 {
        self.state.api_requests.load(Ordering::Relaxed)
    }

    /// The session IDs of the `RecordingStatus` requests received so far, in order, faulted ones
    /// included: which sessions a front end asked Citrix about.
    pub fn status_requests(&self) -> Vec<String> {
        self.state
            .status_requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Site activation requests received.
    pub fn activation_requests(&self) -> u64 {
        self.state.activation_requests.load(Ordering::Relaxed)
    }

    /// Whether `RecordingStatus` reports the session as being recorded now (false for unknown
    /// sessions). After an accepted start or stop this may change once the recording delay has
    /// passed: see [`Self::recording`].
    pub fn is_recording(&self, id: &str) -> bool {
        self.recording(id).is_some_and(|r| r.reported)
    }

    /// The session's recording state now and once pending changes have settled (`None` for
    /// unknown sessions).
    pub fn recording(&self, id: &str) -> Option<RecordingView> {
        let now = Instant::now();
        self.state.data().find(id).map(|s| {
            let pending = s.pending_at(now);
            let reported = s.recording_at(now);
            RecordingView {
                reported,
                settles_to: pending.map_or(reported, |p| p.to && !s.never_records),
                settles_at: pending.map(|p| p.at),
                notify_user: s.notify_user,
            }
        })
    }

    /// How many start and stop requests the broker applied to the session (`None` for unknown
    /// sessions).
    pub fn applied(&self, id: &str) -> Option<Applied> {
        self.state.data().find(id).map(|s| Applied {
            starts: s.starts_applied,
            stops: s.stops_applied,
        })
    }

    /// Sets the recording state directly and at once, e.g. for a session already recorded by
    /// policy. Returns false when no such session exists.
    pub fn set_recording(&self, id: &str, recording: bool) -> bool {
        self.with_session(id, |s| s.set_recording(recording))
    }

    /// The `notifyUser` of the last accepted `$startRecording` for the session (`None` if it was
    /// never started or does not exist).
    pub fn notify_user(&self, id: &str) -> Option<bool> {
        self.state.data().find(id).and_then(|s| s.notify_user)
    }

    /// Headers of the latest API request, as (lower-case name, value) pairs in arrival order.
    pub fn last_headers(&self) -> Option<Vec<(String, String)>> {
        self.state.last_headers()
    }

    /// Headers of the latest token request.
    pub fn last_token_headers(&self) -> Option<Vec<(String, String)>> {
        self.state.last_token_headers()
    }

    fn with_session(&self, id: &str, f: impl FnOnce(&mut SimSession)) -> bool {
        match self.state.data().find_mut(id) {
            Some(session) => {
                f(session);
                true
            }
            None => false,
        }
    }
}
