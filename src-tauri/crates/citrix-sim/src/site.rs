//! `GET /cvad/manage/me` and the site activation endpoint that wakes a hibernated site.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth;
use crate::errors;
use crate::fixtures;
use crate::http;
use crate::state::{State, TokenGrant};
use crate::timefmt::time_of_day;

/// `MeResponseModel`. The time fields are time-of-day locale strings, as in every doc example,
/// although the spec says RFC 3339: clients must not parse them strictly. `Customers` lists
/// every customer the API client can see, the simulated one first, and never one it cannot
/// see, whatever customer the token was asked for.
pub fn me(state: &State, grant: &TokenGrant) -> Response {
    let left = grant.expires_at.saturating_duration_since(Instant::now());
    let now = OffsetDateTime::now_utc();
    let expiry = now + left;
    let refresh = now + Duration::from_secs(12 * 3600);
    http::json(
        StatusCode::OK,
        &json!({
            "UserId": fixtures::guid_for(&state.client_id),
            "DisplayName": "Recording Desk API client",
            "ExpiryTime": time_of_day(expiry),
            "RefreshExpirationTime": time_of_day(refresh),
            "VerifiedEmail": "compliance@contoso.com",
            "IsCspCustomer": false,
            "Customers": state.visible_customers().iter().map(|c| json!({
                "Id": c.id,
                "Name": c.name,
                "Sites": c.sites.iter().map(|s| json!({ "Id": s.id, "Name": s.name })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    )
}

/// `POST /resourceprovider/{customerId}/site/activation?customerId=`: needs a valid token for the
/// customer; answers 202 and wakes a sleeping site after the wake delay.
pub fn activation(state: &State, path_customer: &str, headers: &HeaderMap) -> Response {
    state.activation_requests.fetch_add(1, Ordering::Relaxed);
    if let Err(response) = auth::authenticate(state, headers) {
        return response;
    }
    if state.visible_customer(path_customer).is_none() {
        return errors::access_denied(state.next_params_shape(), path_customer);
    }
    state.faults().start_waking(Instant::now());
    http::empty(StatusCode::ACCEPTED)
}
