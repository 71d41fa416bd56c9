//! The token service (`POST /cctrustoauth2/{customerId|root}/tokens/clients`) and the
//! authentication and header checks every API request goes through, in the documented order.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::config::UnseenCustomerTokens;
use crate::errors;
use crate::http::{self, header_text};
use crate::state::{State, TokenGrant};

const FORM: &str = "application/x-www-form-urlencoded";

/// Handles a token request. `path_customer` is the `{customerId|root}` path segment.
pub fn token_endpoint(
    state: &State,
    method: &Method,
    path_customer: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    state.token_requests.fetch_add(1, Ordering::Relaxed);
    state.record_token_headers(http::header_pairs(headers));
    let mut response = issue(state, method, path_customer, headers, body);
    // Sent on errors too: the transaction ID is what Citrix support asks for.
    http::set_header(&mut response, "cache-control", "no-store");
    http::set_header(&mut response, "pragma", "no-cache");
    http::set_header(
        &mut response,
        "x-cws-transactionid",
        &uuid::Uuid::new_v4().to_string(),
    );
    http::set_header(&mut response, "x-cc-localgeo", "US");
    response
}

fn issue(
    state: &State,
    method: &Method,
    path_customer: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if method != Method::POST {
        return errors::oauth(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "The token endpoint only accepts POST.",
        );
    }
    let content_type = header_text(headers, "content-type").unwrap_or_default();
    let (media_type, has_params) = match content_type.split_once(';') {
        Some((media, _)) => (media.trim(), true),
        None => (content_type.trim(), false),
    };
    if !media_type.eq_ignore_ascii_case(FORM) {
        return errors::oauth(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    // Citrix's troubleshooting page: OAuth libraries that add `; charset=...` break the call.
    if has_params {
        return errors::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is missing a required parameter or is otherwise malformed.",
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let (Some(grant_type), Some(client_id), Some(client_secret)) = (
        field("grant_type"),
        field("client_id"),
        field("client_secret"),
    ) else {
        return errors::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type, client_id and client_secret are required.",
        );
    };
    if grant_type != "client_credentials" {
        return errors::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only the client_credentials grant is supported.",
        );
    }
    let (status, lifetime, unseen) = {
        let faults = state.faults();
        (
            faults.bad_credentials_status,
            faults.token_lifetime,
            faults.unseen_customer_tokens,
        )
    };
    let customer_ok = path_customer.eq_ignore_ascii_case("root")
        || state.visible_customer(path_customer).is_some()
        || unseen != UnseenCustomerTokens::Refuse;
    if !customer_ok || client_id != state.client_id || client_secret != state.client_secret {
        return errors::oauth(
            status,
            "invalid_client",
            "Invalid client id or client secret.",
        );
    }

    let token = format!(
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = Instant::now();
    {
        let mut data = state.data();
        data.tokens.retain(|_, grant| grant.expires_at > now);
        data.tokens.insert(
            token.clone(),
            TokenGrant {
                expires_at: now + lifetime,
            },
        );
    }
    // `expires_in` is a string in the real service; clients that expect a number must cope.
    http::json(
        StatusCode::OK,
        &json!({
            "token_type": "bearer",
            "access_token": token,
            "expires_in": lifetime.as_secs().to_string(),
        }),
    )
}

/// Step 1 and 2 of the API checks: a well-formed `CWSAuth bearer=` header, then a token that
/// exists and has not expired. Scheme and `bearer` keyword match case-insensitively because
/// Citrix's own samples use `CwsAuth Bearer=`, `CWSAuth bearer=` and `CWSAuth Bearer=`.
pub fn authenticate(state: &State, headers: &HeaderMap) -> Result<TokenGrant, Response> {
    let token = header_text(headers, "authorization")
        .as_deref()
        .and_then(parse_cws_auth)
        .map(str::to_owned)
        .ok_or_else(errors::cws_auth_header)?;
    let now = Instant::now();
    let grant = state
        .data()
        .tokens
        .get(&token)
        .filter(|grant| grant.expires_at > now)
        .cloned();
    grant.ok_or_else(|| errors::token_rejected(state.next_params_shape()))
}

fn parse_cws_auth(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("cwsauth") {
        return None;
    }
    let rest = rest.trim_start();
    let keyword = rest.get(..7)?;
    if !keyword.eq_ignore_ascii_case("bearer=") {
        return None;
    }
    let token = rest[7..].trim();
    (!token.is_empty()).then_some(token)
}

/// Which site a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteScope {
    /// The simulated customer's site, or no site (`/me`).
    Simulated,
    /// A site of another visible customer: known, but without sessions.
    Empty,
}

/// Steps 3 to 5: `Accept`, `Citrix-CustomerId` (one of the customers the API client can see),
/// `Citrix-InstanceId` (one of that customer's sites; only where the endpoint needs a site,
/// i.e. everything but `/me`).
pub fn check_headers(
    state: &State,
    headers: &HeaderMap,
    needs_site: bool,
) -> Result<SiteScope, Response> {
    let strict = state.faults().strict_accept;
    if !accept_ok(header_text(headers, "accept").as_deref(), strict) {
        return Err(errors::not_acceptable());
    }
    let customer = match header_text(headers, "citrix-customerid") {
        None => return Err(errors::missing_customer()),
        Some(c) if c.trim().is_empty() => return Err(errors::missing_customer()),
        Some(c) => match state.visible_customer(c.trim()) {
            Some(customer) => customer,
            // `/me` of an API client whose token was issued for a customer it cannot see.
            None if !needs_site
                && state.faults().unseen_customer_tokens == UnseenCustomerTokens::GrantMeLists =>
            {
                return Ok(SiteScope::Simulated)
            }
            None => return Err(errors::access_denied(state.next_params_shape(), c.trim())),
        },
    };
    if !needs_site {
        return Ok(SiteScope::Simulated);
    }
    match header_text(headers, "citrix-instanceid") {
        None => Err(errors::error_data(
            StatusCode::BAD_REQUEST,
            "The Citrix-InstanceId header is required.",
            "MissingInstanceId",
        )),
        Some(site)
            if site.trim().eq_ignore_ascii_case(&state.site_id)
                && customer.id.eq_ignore_ascii_case(&state.customer_id) =>
        {
            Ok(SiteScope::Simulated)
        }
        Some(site)
            if customer
                .sites
                .iter()
                .any(|s| s.id.eq_ignore_ascii_case(site.trim())) =>
        {
            Ok(SiteScope::Empty)
        }
        Some(_) => Err(errors::error_data(
            StatusCode::NOT_FOUND,
            "Site not found",
            "SiteNotFound",
        )),
    }
}

/// Strict mode (the default) is the real gateway: exactly `application/json`, so `*/*` or a
/// charset parameter is refused. Lenient mode lets ad-hoc tools such as curl without `-H`
/// through.
fn accept_ok(accept: Option<&str>, strict: bool) -> bool {
    match (accept, strict) {
        (Some(a), true) => a.trim().eq_ignore_ascii_case("application/json"),
        (None, true) => false,
        (None, false) => true,
        (Some(a), false) => {
            let a = a.to_ascii_lowercase();
            a.contains("application/json") || a.contains("*/*") || a.trim().is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cws_auth_forms() {
        assert_eq!(parse_cws_auth("CWSAuth bearer=abc"), Some("abc"));
        assert_eq!(parse_cws_auth("CwsAuth Bearer=abc"), Some("abc"));
        assert_eq!(parse_cws_auth("cwsauth   BEARER=abc "), Some("abc"));
        assert_eq!(parse_cws_auth("Bearer abc"), None);
        assert_eq!(parse_cws_auth("CWSAuth token=abc"), None);
        assert_eq!(parse_cws_auth("CWSAuth bearer="), None);
        assert_eq!(parse_cws_auth("CWSAuth"), None);
        assert_eq!(parse_cws_auth("CWSAuth bé"), None);
    }

    #[test]
    fn accept_rules() {
        assert!(accept_ok(Some("application/json"), true));
        assert!(!accept_ok(Some("application/json; charset=utf-8"), true));
        assert!(!accept_ok(Some("*/*"), true));
        assert!(!accept_ok(None, true));
        assert!(accept_ok(Some("*/*"), false));
        assert!(accept_ok(None, false));
        assert!(!accept_ok(Some("text/html"), false));
    }
}
