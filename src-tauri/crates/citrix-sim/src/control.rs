//! `SimControl`: the switches tests and the demo use to steer the simulator at run time.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use crate::fixtures::SpecialSessions;
use crate::state::{SimSession, State};

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
    /// Recordability follows the JSON: `State` "Active" and `Connection.Protocol` "Hdx".
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

    /// All current sessions' JSON, in listing order.
    pub fn sessions(&self) -> Vec<Value> {
        self.state
            .data()
            .sessions
            .iter()
            .map(|s| (*s.json).clone())
            .collect()
    }

    /// IDs of the fixed fixture sessions (see [`SpecialSessions`]); they exist when the
    /// simulator was started with at least `fixtures::SPECIAL_COUNT` sessions.
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

    /// Site activation requests received.
    pub fn activation_requests(&self) -> u64 {
        self.state.activation_requests.load(Ordering::Relaxed)
    }

    /// Whether the session is being recorded (false for unknown sessions).
    pub fn is_recording(&self, id: &str) -> bool {
        self.state.data().find(id).is_some_and(|s| s.recording)
    }

    /// Sets the recording state directly, e.g. to show sessions already recorded by policy in
    /// the demo. Returns false when no such session exists.
    pub fn set_recording(&self, id: &str, recording: bool) -> bool {
        self.with_session(id, |s| s.recording = recording)
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
