//! An HTTP face for [`SimControl`](crate::SimControl), under `/_sim/`, so that a simulator
//! running as a separate process (the binary, used by the app's end-to-end tests and by anyone
//! trying faults with `curl`) can be steered like the in-process one. Off unless switched on:
//! the real API has no such paths, and the in-app demo site does not need them.
//!
//! - `GET  /_sim/state`          counters (`heldStartStop`: start/stop requests held now) and
//!   the special sessions' IDs
//! - `GET  /_sim/sessions/{id}`  one session as the broker has it: `{recording, notifyUser,
//!   settlesTo, settlesInMs, startsApplied, stopsApplied, state, protocol}` (`recording` is
//!   what `RecordingStatus` says now, `settlesTo` what it will say once `settlesInMs` have
//!   passed, `state`/`protocol` the truth whatever the JSON shows); 404 for an unknown ID
//! - `POST /_sim/faults`         a JSON object of switches to flip (each key is optional):
//!
//! | key | value | `SimControl` |
//! | --- | --- | --- |
//! | `latencyMs` | ms | `set_latency` |
//! | `tokenLifetimeSecs` | s | `set_token_lifetime` |
//! | `revokeTokens` | `true` | `revoke_tokens` |
//! | `badCredentialsStatus` | 400 or 401 | `set_bad_credentials_status` |
//! | `rateLimitBurst` | `{n, retryAfter?}` | `rate_limit_burst` |
//! | `rateLimitPerSecond` | `{rate?, retryAfter}` | `rate_limit_per_second` |
//! | `errorBurst` | `{status, n}` | `error_burst` |
//! | `resetConnections` | n | `reset_connections` |
//! | `stall` | `{n, ms}` | `stall` |
//! | `holdStartStop` | `{after, count?}`: the next `after` start/stop requests are served, then `count` (default: all later ones) wait unanswered until released, and any after those are served | `hold_start_stop` |
//! | `releaseStartStop` | `true` | `release_start_stop` |
//! | `siteAsleep` | bool | `set_site_asleep` |
//! | `wakeDelayMs` | ms | `set_wake_delay` |
//! | `forbiddenRegion` | bool | `set_forbidden_region` |
//! | `strictAccept` | bool | `set_strict_accept` |
//! | `jobDurationMs` | ms | `set_job_duration` |
//! | `expireContinuationTokens` | `true` | `expire_continuation_tokens` |
//! | `endSession` | id | `end_session` |
//! | `recording` | `{id, on}` | `set_recording` |
//! | `neverRecords` | `{id, never}` | `set_never_records` |
//! | `recordDelay` | `{ms, jitterMs?}` | `set_record_delay` |
//! | `stopDelay` | `{ms, jitterMs?}` | `set_stop_delay` |
//! | `loseAnswers` | `{n, answer, anyRequest?}`, answer `"drop"` or a 5xx such as `"502"` | `lose_answers` |
//! | `failStatusLookups` | `{n, answer}` | `fail_status_lookups` |
//! | `statusNotFound` | `{id, on}` | `set_status_not_found` |
//! | `hideFields` | `{sessions: "all" or [id…], fields: ["state","connection","protocol"], as: "null" or "absent"}`; no fields shows them again | `hide_fields`, `hide_fields_everywhere` |
//! | `searchMode` | `"lenient"`, `"noContains"`, `"equalsOnly"` | `set_search_mode` |
//! | `otherCustomers` | `[{id, name?, sites: [{id, name}]}]` | `set_other_customers` |
//! | `unseenCustomerTokens` | `"refuse"`, `"grant"` or `"grantMeLists"` | `set_unseen_customer_tokens` |
//!
//! A body with an unknown key or a bad value is refused with 400 and nothing is applied.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::config::{UnseenCustomerTokens, VisibleCustomer};
use crate::control::SimControl;
use crate::faults::{FaultAnswer, LostScope};
use crate::hidden::{HiddenFields, Hide};
use crate::http;
use crate::search::SearchMode;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Switches {
    rate_limit_burst: Option<Burst>,
    rate_limit_per_second: Option<PerSecond>,
    error_burst: Option<ErrorBurst>,
    never_records: Option<NeverRecords>,
    end_session: Option<String>,
    latency_ms: Option<u64>,
    token_lifetime_secs: Option<u64>,
    revoke_tokens: Option<bool>,
    site_asleep: Option<bool>,
    forbidden_region: Option<bool>,
    reset_connections: Option<u32>,
    bad_credentials_status: Option<u16>,
    stall: Option<Stall>,
    hold_start_stop: Option<HoldStartStop>,
    release_start_stop: Option<bool>,
    wake_delay_ms: Option<u64>,
    strict_accept: Option<bool>,
    job_duration_ms: Option<u64>,
    expire_continuation_tokens: Option<bool>,
    recording: Option<SessionFlag>,
    record_delay: Option<DelaySwitch>,
    stop_delay: Option<DelaySwitch>,
    lose_answers: Option<LoseAnswers>,
    fail_status_lookups: Option<FailStatus>,
    status_not_found: Option<SessionFlag>,
    hide_fields: Option<HideFields>,
    search_mode: Option<SearchMode>,
    other_customers: Option<Vec<VisibleCustomer>>,
    unseen_customer_tokens: Option<UnseenCustomerTokens>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Burst {
    n: u32,
    retry_after: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PerSecond {
    rate: Option<f64>,
    #[serde(default)]
    retry_after: bool,
}

#[derive(Debug, Deserialize)]
struct ErrorBurst {
    status: u16,
    n: u32,
}

#[derive(Debug, Deserialize)]
struct NeverRecords {
    id: String,
    never: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldStartStop {
    after: u32,
    count: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Stall {
    n: u32,
    ms: u64,
}

#[derive(Debug, Deserialize)]
struct SessionFlag {
    id: String,
    on: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DelaySwitch {
    ms: u64,
    #[serde(default)]
    jitter_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoseAnswers {
    n: u32,
    answer: AnswerName,
    #[serde(default)]
    any_request: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailStatus {
    n: u32,
    answer: AnswerName,
}

/// `"drop"` or a 5xx status, as a string or a number.
#[derive(Debug, Deserialize)]
#[serde(try_from = "serde_json::Value")]
struct AnswerName(FaultAnswer);

impl TryFrom<serde_json::Value> for AnswerName {
    type Error = String;

    fn try_from(value: serde_json::Value) -> Result<Self, Self::Error> {
        let text = match &value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        FaultAnswer::parse(&text)
            .map(AnswerName)
            .ok_or_else(|| format!("answer must be \"drop\" or a 5xx status, not {value}"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HideFields {
    sessions: SessionsJson,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default, rename = "as")]
    how: Hide,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SessionsJson {
    All(AllName),
    Ids(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
enum AllName {
    All,
}

/// Serves `/_sim/...`; `path` is what follows `_sim`.
pub fn handle(control: &SimControl, method: &Method, path: &[String], body: &[u8]) -> Response {
    match (method, path) {
        (&Method::GET, [state]) if state == "state" => {
            let special = control.special();
            http::json(
                StatusCode::OK,
                &json!({
                    "tokenRequests": control.token_requests(),
                    "apiRequests": control.api_requests(),
                    "activationRequests": control.activation_requests(),
                    "heldStartStop": control.held_start_stop(),
                    "statusRequests": control.status_requests(),
                    "siteAsleep": control.is_site_asleep(),
                    "special": {
                        "recordable": special.recordable,
                        "hostile": special.hostile,
                        "rdp": special.rdp,
                        "disconnected": special.disconnected,
                        "connected": special.connected,
                        "secondOfUser": special.second_of_user,
                        "nullState": special.null_state,
                        "nullStateDisconnected": special.null_state_disconnected,
                        "missingProtocol": special.missing_protocol,
                        "missingStateNullConnection": special.missing_state_null_connection,
                    },
                }),
            )
        }
        (&Method::GET, [sessions, id]) if sessions == "sessions" => session(control, id),
        (&Method::POST, [faults]) if faults == "faults" => match serde_json::from_slice(body) {
            Ok(switches) => match apply(control, switches) {
                Ok(()) => http::json(StatusCode::OK, &json!({ "ok": true })),
                Err(e) => http::json(StatusCode::BAD_REQUEST, &json!({ "error": e })),
            },
            Err(e) => http::json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("not a valid switch set: {e}") }),
            ),
        },
        _ => http::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such control path" }),
        ),
    }
}

fn session(control: &SimControl, id: &str) -> Response {
    let (Some(recording), Some(applied), Some(truth)) = (
        control.recording(id),
        control.applied(id),
        control.truth(id),
    ) else {
        return http::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such session" }),
        );
    };
    let settles_in = recording
        .settles_at
        .map(|at| at.saturating_duration_since(Instant::now()).as_millis() as u64);
    http::json(
        StatusCode::OK,
        &json!({
            "recording": recording.reported,
            "notifyUser": recording.notify_user,
            "settlesTo": recording.settles_to,
            "settlesInMs": settles_in,
            "startsApplied": applied.starts,
            "stopsApplied": applied.stops,
            "state": truth.state,
            "protocol": truth.protocol,
        }),
    )
}

/// Applies every switch of the set, after checking the ones whose values serde cannot check,
/// so that a refused set changes nothing.
fn apply(control: &SimControl, s: Switches) -> Result<(), String> {
    let hidden = match &s.hide_fields {
        Some(h) => Some(
            HiddenFields::named(h.fields.iter().map(String::as_str), h.how).ok_or_else(|| {
                "hideFields.fields may only name state, connection and protocol".to_owned()
            })?,
        ),
        None => None,
    };
    if s.bad_credentials_status
        .is_some_and(|c| c != 400 && c != 401)
    {
        return Err("badCredentialsStatus must be 400 or 401".to_owned());
    }
    if let Some(b) = s.rate_limit_burst {
        control.rate_limit_burst(b.n, b.retry_after);
    }
    if let Some(p) = s.rate_limit_per_second {
        control.rate_limit_per_second(p.rate, p.retry_after);
    }
    if let Some(b) = s.error_burst {
        control.error_burst(b.status, b.n);
    }
    if let Some(n) = s.never_records {
        control.set_never_records(&n.id, n.never);
    }
    if let Some(id) = s.end_session {
        control.end_session(&id);
    }
    if let Some(ms) = s.latency_ms {
        control.set_latency(Duration::from_millis(ms));
    }
    if let Some(secs) = s.token_lifetime_secs {
        control.set_token_lifetime(Duration::from_secs(secs));
    }
    if s.revoke_tokens == Some(true) {
        control.revoke_tokens();
    }
    if let Some(asleep) = s.site_asleep {
        control.set_site_asleep(asleep);
    }
    if let Some(forbidden) = s.forbidden_region {
        control.set_forbidden_region(forbidden);
    }
    if let Some(n) = s.reset_connections {
        control.reset_connections(n);
    }
    if let Some(status) = s.bad_credentials_status {
        control.set_bad_credentials_status(status);
    }
    if let Some(stall) = s.stall {
        control.stall(stall.n, Duration::from_millis(stall.ms));
    }
    if s.release_start_stop == Some(true) {
        control.release_start_stop();
    }
    if let Some(hold) = s.hold_start_stop {
        control.hold_start_stop(hold.after, hold.count);
    }
    if let Some(ms) = s.wake_delay_ms {
        control.set_wake_delay(Duration::from_millis(ms));
    }
    if let Some(strict) = s.strict_accept {
        control.set_strict_accept(strict);
    }
    if let Some(ms) = s.job_duration_ms {
        control.set_job_duration(Duration::from_millis(ms));
    }
    if s.expire_continuation_tokens == Some(true) {
        control.expire_continuation_tokens();
    }
    if let Some(r) = s.recording {
        control.set_recording(&r.id, r.on);
    }
    if let Some(d) = s.record_delay {
        control.set_record_delay(
            Duration::from_millis(d.ms),
            Duration::from_millis(d.jitter_ms),
        );
    }
    if let Some(d) = s.stop_delay {
        control.set_stop_delay(
            Duration::from_millis(d.ms),
            Duration::from_millis(d.jitter_ms),
        );
    }
    if let Some(l) = s.lose_answers {
        let scope = if l.any_request {
            LostScope::AnyRequest
        } else {
            LostScope::StartStop
        };
        control.lose_answers(l.n, l.answer.0, scope);
    }
    if let Some(f) = s.fail_status_lookups {
        control.fail_status_lookups(f.n, f.answer.0);
    }
    if let Some(f) = s.status_not_found {
        control.set_status_not_found(&f.id, f.on);
    }
    if let (Some(h), Some(hidden)) = (s.hide_fields, hidden) {
        match h.sessions {
            SessionsJson::All(AllName::All) => {
                control.hide_fields_everywhere(hidden);
            }
            SessionsJson::Ids(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                control.hide_fields(&ids, hidden);
            }
        }
    }
    if let Some(mode) = s.search_mode {
        control.set_search_mode(mode);
    }
    if let Some(customers) = s.other_customers {
        control.set_other_customers(customers);
    }
    if let Some(mode) = s.unseen_customer_tokens {
        control.set_unseen_customer_tokens(mode);
    }
    Ok(())
}
