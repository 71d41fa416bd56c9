//! Path routing and the request pipeline. Routing is done by hand on percent-decoded segments
//! rather than with axum's router, because the API's action segments (`$search`,
//! `$startRecording`) arrive both literally and as `%24...`, and the service matches paths
//! case-insensitively (ASP.NET) while matchit does not.
//!
//! Pipeline for API requests (`/cvad/manage/...`), in this order:
//! latency → count + record headers → held start/stop → reset/stall → 429/5xx gateway faults → `Authorization`
//! → token → wrong region → `Accept` → `Citrix-CustomerId` → `Citrix-InstanceId` → sleeping
//! site → route → lost answer (the request was served, then its answer is replaced by a
//! dropped connection or a gateway error).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::Response;

use crate::auth::{self, SiteScope};
use crate::errors;
use crate::faults::{self, ConnectionFault};
use crate::http::{self, header_text, Query};
use crate::jobs;
use crate::sessions;
use crate::site;
use crate::state::{State, TokenGrant};

/// Bodies are tiny (search requests, token forms); anything bigger is refused.
const MAX_BODY: usize = 1 << 20;

fn is(segment: &str, name: &str) -> bool {
    segment.eq_ignore_ascii_case(name)
}

/// Serves one request.
pub async fn handle<B>(state: Arc<State>, request: Request<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let (parts, body) = request.into_parts();
    let latency = state.faults().latency;
    if !latency.is_zero() {
        // An async sleep: a slow simulated round trip never holds up other requests.
        tokio::time::sleep(latency).await;
    }
    let body = match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return errors::error_data(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
                "RequestTooLarge",
            )
        }
    };
    let segments = http::segments(parts.uri.path());
    let query = Query::parse(parts.uri.query());
    match segments.as_slice() {
        [oauth, customer, tokens, clients]
            if is(oauth, "cctrustoauth2") && is(tokens, "tokens") && is(clients, "clients") =>
        {
            auth::token_endpoint(&state, &parts.method, customer, &parts.headers, &body)
        }
        [provider, customer, site, activation]
            if is(provider, "resourceprovider")
                && is(site, "site")
                && is(activation, "activation") =>
        {
            if parts.method == Method::POST {
                site::activation(&state, customer, &parts.headers)
            } else {
                errors::method_not_allowed()
            }
        }
        [sim, rest @ ..]
            if sim == "_sim" && state.control_api.load(std::sync::atomic::Ordering::Relaxed) =>
        {
            crate::remote::handle(
                &crate::SimControl::new(state.clone()),
                &parts.method,
                rest,
                &body,
            )
        }
        [cvad, manage, rest @ ..] if is(cvad, "cvad") && is(manage, "manage") => {
            api(&state, &parts.method, &parts.headers, rest, &query, &body).await
        }
        _ => errors::no_such_route(),
    }
}

async fn api(
    state: &State,
    method: &Method,
    headers: &HeaderMap,
    path: &[String],
    query: &Query,
    body: &[u8],
) -> Response {
    state.api_requests.fetch_add(1, Ordering::Relaxed);
    state.record_headers(http::header_pairs(headers));
    let transaction_id = header_text(headers, "citrix-transactionid")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());

    if method == Method::POST
        && matches!(
            resolve(path),
            Some(Route::StartRecording(_) | Route::StopRecording(_))
        )
    {
        state.holds.gate().await;
    }
    let connection_fault = state.faults().take_connection_fault();
    match connection_fault {
        Some(ConnectionFault::Reset) => return http::reset(),
        Some(ConnectionFault::Stall(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let gateway_fault = state.faults().take_gateway_fault(Instant::now());
    let mut response = match gateway_fault {
        Some(fault) => faults::gateway_response(fault, state.next_variant()),
        None => checked(state, method, headers, path, query, body),
    };
    // Only the CVAD service stamps a transaction ID; the HTML pages of the proxies in front of
    // it (502, 530) do not carry one.
    let from_proxy = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !from_proxy {
        http::set_header(&mut response, "citrix-transactionid", &transaction_id);
    }
    response
}

fn checked(
    state: &State,
    method: &Method,
    headers: &HeaderMap,
    path: &[String],
    query: &Query,
    body: &[u8],
) -> Response {
    let grant = match auth::authenticate(state, headers) {
        Ok(grant) => grant,
        Err(response) => return response,
    };
    if state.faults().forbidden_region {
        return errors::wrong_region(state.next_params_shape());
    }
    let is_me = matches!(path, [me] if is(me, "me"));
    let scope = match auth::check_headers(state, headers, !is_me) {
        Ok(scope) => scope,
        Err(response) => return response,
    };
    if state.faults().site_is_asleep(Instant::now()) {
        return faults::site_asleep_response();
    }
    let Some(route) = resolve(path) else {
        return errors::no_such_route();
    };
    let is_start_or_stop = matches!(route, Route::StartRecording(_) | Route::StopRecording(_));
    let response = match scope {
        SiteScope::Simulated => serve(state, method, headers, route, query, body, &grant),
        SiteScope::Empty => serve_empty_site(method, route),
    };
    let lost = state.faults().take_lost_answer(is_start_or_stop);
    match lost {
        Some(answer) => faults::fault_response(answer, state.next_variant()),
        None => response,
    }
}

/// An API route, resolved before the method is checked so that a known path with the wrong
/// method gets 405 rather than 404.
enum Route<'a> {
    Me,
    Sessions,
    Search,
    RecordingStatus,
    Session(&'a str),
    Machine(&'a str),
    StartRecording(&'a str),
    StopRecording(&'a str),
    Logoff(&'a str),
    Disconnect(&'a str),
    Jobs,
    Job(&'a str),
    JobResults(&'a str),
    CancelJob(&'a str),
}

fn resolve(path: &[String]) -> Option<Route<'_>> {
    Some(match path {
        [me] if is(me, "me") => Route::Me,
        [s] if is(s, "Sessions") || is(s, "SessionsV2") => Route::Sessions,
        [s, search] if is(s, "Sessions") && is(search, "$search") => Route::Search,
        [s, status] if is(s, "Sessions") && is(status, "RecordingStatus") => Route::RecordingStatus,
        [s, id] if is(s, "Sessions") => Route::Session(id),
        [s, id, m] if is(s, "Sessions") && is(m, "Machine") => Route::Machine(id),
        [s, id, action] if is(s, "Sessions") => match action.to_ascii_lowercase().as_str() {
            "$startrecording" => Route::StartRecording(id),
            "$stoprecording" => Route::StopRecording(id),
            "$logoff" => Route::Logoff(id),
            "$disconnect" => Route::Disconnect(id),
            _ => return None,
        },
        [j] if is(j, "Jobs") => Route::Jobs,
        [j, id] if is(j, "Jobs") => Route::Job(id),
        [j, id, r] if is(j, "Jobs") && is(r, "Results") => Route::JobResults(id),
        [j, id, c] if is(j, "Jobs") && is(c, "$cancel") => Route::CancelJob(id),
        _ => return None,
    })
}

fn serve(
    state: &State,
    method: &Method,
    headers: &HeaderMap,
    route: Route<'_>,
    query: &Query,
    body: &[u8],
    grant: &TokenGrant,
) -> Response {
    let get = method == Method::GET;
    let post = method == Method::POST;
    match route {
        Route::Me if get => site::me(state, grant),
        Route::Sessions if get => sessions::list(state, query),
        Route::Search if post => sessions::search(state, query, headers, body),
        Route::RecordingStatus if get => {
            state
                .status_requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(query.get("id").unwrap_or_default().trim().to_owned());
            let fault = state.faults().take_status_fault();
            match fault {
                Some(answer) => faults::fault_response(answer, state.next_variant()),
                None => sessions::recording_status(state, query),
            }
        }
        Route::Session(id) if get => sessions::get(state, id, query),
        Route::Machine(id) if get => sessions::machine(state, id),
        Route::StartRecording(id) if post => sessions::recording(state, id, true, query),
        Route::StopRecording(id) if post => sessions::recording(state, id, false, query),
        Route::Logoff(id) if post => sessions::logoff(state, id),
        Route::Disconnect(id) if post => sessions::disconnect(state, id),
        Route::Jobs if get => jobs::list(state),
        Route::Job(id) if get => jobs::get(state, id),
        Route::Job(id) if method == Method::DELETE => jobs::delete(state, id),
        Route::JobResults(id) if get => jobs::results(state, id),
        Route::CancelJob(id) if post => jobs::cancel(state, id),
        _ => errors::method_not_allowed(),
    }
}

/// A site of another visible customer: it exists, and has no sessions and no jobs.
fn serve_empty_site(method: &Method, route: Route<'_>) -> Response {
    let get = method == Method::GET;
    match route {
        Route::Sessions if get => http::json(
            StatusCode::OK,
            &serde_json::json!({ "Items": [], "ContinuationToken": null }),
        ),
        Route::Search if method == Method::POST => http::json(
            StatusCode::OK,
            &serde_json::json!({ "Items": [], "ContinuationToken": null, "TotalItems": 0 }),
        ),
        Route::Jobs if get => http::json(StatusCode::OK, &serde_json::json!({ "Items": [] })),
        Route::Job(_) | Route::JobResults(_) | Route::CancelJob(_) => jobs::not_found(),
        Route::Sessions | Route::Search | Route::Jobs => errors::method_not_allowed(),
        // `/me` needs no site, so it never gets here; every other route names a session.
        _ => errors::unknown_session(),
    }
}
