//! The session endpoints: listing with continuation tokens, `$search`, one session, recording
//! status, `$startRecording`/`$stopRecording` (sync and async), and the cheap extras
//! `$logoff`, `$disconnect` and `/Machine`. `GET /SessionsV2` is served as `GET /Sessions`.
//! `async=true` is honoured on start/stop only; listings and search always answer inline.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::errors;
use crate::http::{self, header_text, Query};
use crate::paging::Listing;
use crate::search;
use crate::state::{RecordingAction, State};

const DEFAULT_LIMIT: usize = 250;
const MAX_LIMIT: usize = 1000;

fn invalid_parameter(message: &str) -> Response {
    errors::error_data(StatusCode::BAD_REQUEST, message, "InvalidParameter")
}

fn parse_limit(query: &Query) -> Result<usize, Response> {
    match query.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(invalid_parameter(
                "The limit parameter must be between 1 and 1000.",
            )),
        },
    }
}

fn parse_bool(query: &Query, name: &str, default: bool) -> Result<bool, Response> {
    match query.get(name).map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid_parameter(&format!(
            "The value '{v}' is not valid for {name}."
        ))),
    }
}

/// `fields=Id,State,...`: keeps only the named top-level properties (case-insensitively).
fn project(session: &Value, fields: Option<&str>) -> Value {
    let Some(fields) = fields.filter(|f| !f.trim().is_empty()) else {
        return session.clone();
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    match session {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// One page of `matching`, starting at `offset`, with a continuation token when more remain.
fn page(
    state: &State,
    listing: Listing,
    matching: &[Arc<Value>],
    offset: usize,
    limit: usize,
    fields: Option<&str>,
) -> (Vec<Value>, Option<String>) {
    let end = offset.saturating_add(limit).min(matching.len());
    let items = matching
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(|s| project(s, fields))
        .collect();
    let next = (end < matching.len()).then(|| {
        state
            .data()
            .continuations
            .issue(listing, end, Instant::now())
    });
    (items, next)
}

fn resolve_token(state: &State, listing: Listing, token: &str) -> Result<usize, Response> {
    state
        .data()
        .continuations
        .resolve(token, listing, Instant::now())
        .ok_or_else(|| {
            errors::error_data(
                StatusCode::BAD_REQUEST,
                "The continuation token is invalid or has expired.",
                "InvalidContinuationToken",
            )
        })
}

/// Every session as the API answers it now.
fn snapshot(state: &State) -> Vec<Arc<Value>> {
    state.data().sessions.iter().map(|s| s.served()).collect()
}

/// `GET /Sessions`: `{"Items":[...],"ContinuationToken":...}`, no `TotalItems`.
pub fn list(state: &State, query: &Query) -> Response {
    let limit = match parse_limit(query) {
        Ok(limit) => limit,
        Err(response) => return response,
    };
    let offset = match query.get("continuationToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match resolve_token(state, Listing::Sessions, token) {
            Ok(offset) => offset,
            Err(response) => return response,
        },
    };
    let sessions = snapshot(state);
    let (items, next) = page(
        state,
        Listing::Sessions,
        &sessions,
        offset,
        limit,
        query.get("fields"),
    );
    http::json(
        StatusCode::OK,
        &json!({ "Items": items, "ContinuationToken": next }),
    )
}

/// `POST /Sessions/$search`: `MachineAndSessionSearchRequestModel` in, collection with
/// `TotalItems` out. `skip` applies when no continuation token is given.
pub fn search(state: &State, query: &Query, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = header_text(headers, "content-type").unwrap_or_default();
    if !is_json_utf8(&content_type) {
        return errors::unsupported_media_type();
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return errors::invalid_json(&format!("The request body is not valid JSON: {e}")),
    };
    let mode = state.faults().search_mode;
    let request = match search::parse(&request, mode) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let limit = match parse_limit(query) {
        Ok(limit) => limit,
        Err(response) => return response,
    };
    let offset = match query.get("continuationToken").filter(|t| !t.is_empty()) {
        Some(token) => match resolve_token(state, Listing::Search, token) {
            Ok(offset) => offset,
            Err(response) => return response,
        },
        None => match query.get("skip").map(|s| s.trim().parse::<usize>()) {
            None => 0,
            Some(Ok(skip)) => skip,
            Some(Err(_)) => return invalid_parameter("The skip parameter must be a number."),
        },
    };
    // Filtering and sorting run outside the lock on a snapshot of shared pointers.
    let mut matching: Vec<Arc<Value>> = snapshot(state)
        .into_iter()
        .filter(|s| request.matches(s))
        .collect();
    request.sort(&mut matching);
    let (items, next) = page(
        state,
        Listing::Search,
        &matching,
        offset,
        limit,
        query.get("fields"),
    );
    http::json(
        StatusCode::OK,
        &json!({ "Items": items, "ContinuationToken": next, "TotalItems": matching.len() }),
    )
}

/// `application/json`, optionally with `charset=utf-8`; anything else is a 415.
fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let media_ok = parts
        .next()
        .is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    media_ok
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// `GET /Sessions/{id}`, honouring `fields`.
pub fn get(state: &State, id: &str, query: &Query) -> Response {
    let session = state.data().find(id).map(|s| s.served());
    match session {
        Some(json) => http::json(StatusCode::OK, &project(&json, query.get("fields"))),
        None => errors::unknown_session(),
    }
}

/// `GET /Sessions/{id}/Machine`.
pub fn machine(state: &State, id: &str) -> Response {
    let session = state.data().find(id).map(|s| Arc::clone(&s.json));
    match session {
        Some(json) => http::json(StatusCode::OK, json.get("Machine").unwrap_or(&Value::Null)),
        None => errors::unknown_session(),
    }
}

/// `GET /Sessions/RecordingStatus?id=`: what the broker reports now, which after a start or
/// stop may not be what it will report once the change has settled.
pub fn recording_status(state: &State, query: &Query) -> Response {
    let Some(id) = query.get("id").filter(|id| !id.trim().is_empty()) else {
        return invalid_parameter("The id parameter is required.");
    };
    let now = Instant::now();
    let recording = state
        .data()
        .find(id.trim())
        .filter(|s| !s.status_not_found)
        .map(|s| s.recording_at(now));
    match recording {
        Some(recording) => http::json(
            StatusCode::OK,
            &json!({ "IsSessionBeingRecorded": recording }),
        ),
        None => errors::unknown_session(),
    }
}

/// `$startRecording` / `$stopRecording`. Synchronously: 200 with the session, or the broker's
/// 400. With `async=true`: 202 + `Location`, and the job applies the operation later. Either
/// way the change shows in `RecordingStatus` only after the recording delay.
pub fn recording(state: &State, id: &str, start: bool, query: &Query) -> Response {
    let notify_user = match parse_bool(query, "notifyUser", true) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let is_async = match parse_bool(query, "async", false) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let action = if start {
        RecordingAction::Start { notify_user }
    } else {
        RecordingAction::Stop
    };
    let (job_duration, delay) = {
        let mut faults = state.faults();
        (faults.job_duration, faults.recording_delay(start))
    };
    if is_async {
        let job_id = {
            let mut data = state.data();
            if data.find(id).is_none() {
                return errors::unknown_session();
            }
            data.jobs.create(action, id, job_duration, delay)
        };
        let mut response = http::empty(StatusCode::ACCEPTED);
        let location = format!("{}cvad/manage/Jobs/{}", state.base_url, job_id);
        http::set_header(&mut response, "location", &location);
        return response;
    }
    let outcome = {
        let mut data = state.data();
        data.find_mut(id).map(|session| {
            session
                .apply(action, Instant::now(), delay)
                .map(|()| session.served())
        })
    };
    match outcome {
        None => errors::unknown_session(),
        Some(Err(_)) => errors::session_operation_failed(),
        Some(Ok(json)) => http::json(StatusCode::OK, &json),
    }
}

/// `$logoff`: 204, and the session is gone.
pub fn logoff(state: &State, id: &str) -> Response {
    if state.data().remove(id) {
        http::empty(StatusCode::NO_CONTENT)
    } else {
        errors::unknown_session()
    }
}

/// `$disconnect`: 200 with the session, now Disconnected.
pub fn disconnect(state: &State, id: &str) -> Response {
    let json = {
        let mut data = state.data();
        data.find_mut(id).map(|session| {
            session.disconnect();
            session.served()
        })
    };
    match json {
        Some(json) => http::json(StatusCode::OK, &json),
        None => errors::unknown_session(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json_utf8("application/json"));
        assert!(is_json_utf8("application/json; charset=utf-8"));
        assert!(is_json_utf8("Application/JSON;charset=\"UTF-8\""));
        assert!(!is_json_utf8("application/json; charset=latin1"));
        assert!(!is_json_utf8("text/plain"));
        assert!(!is_json_utf8(""));
    }

    #[test]
    fn projection_keeps_named_fields() {
        let s = json!({"Id":"a","State":"Active","User":{}});
        assert_eq!(
            project(&s, Some("id, state")),
            json!({"Id":"a","State":"Active"})
        );
        assert_eq!(project(&s, None), s);
    }
}
