//! An HTTP face for [`SimControl`](crate::SimControl), under `/_sim/`, so that a simulator
//! running as a separate process (the binary, used by the app's end-to-end tests and by anyone
//! trying faults with `curl`) can be steered like the in-process one. Off unless switched on:
//! the real API has no such paths, and the in-app demo site does not need them.
//!
//! - `GET  /_sim/state`                 counters and the special sessions' IDs
//! - `GET  /_sim/sessions/{id}`         `{recording, notifyUser}` of one session
//! - `POST /_sim/faults`                a JSON object of switches to flip, for example
//!   `{"rateLimitBurst":{"n":5,"retryAfter":1},"errorBurst":{"status":503,"n":2},
//!     "neverRecords":{"id":"…","never":true},"endSession":"…","latencyMs":100,
//!     "revokeTokens":true,"siteAsleep":true,"forbiddenRegion":false}`

use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::control::SimControl;
use crate::http;

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
                    "siteAsleep": control.is_site_asleep(),
                    "special": {
                        "recordable": special.recordable,
                        "hostile": special.hostile,
                        "rdp": special.rdp,
                        "disconnected": special.disconnected,
                        "connected": special.connected,
                        "secondOfUser": special.second_of_user,
                    },
                }),
            )
        }
        (&Method::GET, [sessions, id]) if sessions == "sessions" => http::json(
            StatusCode::OK,
            &json!({ "recording": control.is_recording(id), "notifyUser": control.notify_user(id) }),
        ),
        (&Method::POST, [faults]) if faults == "faults" => match serde_json::from_slice(body) {
            Ok(switches) => {
                apply(control, switches);
                http::json(StatusCode::OK, &json!({ "ok": true }))
            }
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

fn apply(control: &SimControl, s: Switches) {
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
}
