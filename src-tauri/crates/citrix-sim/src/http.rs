//! Small HTTP helpers shared by the route modules: response builders, header and query access,
//! path decoding.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// Every API response body is JSON in UTF-8 and says so, as the real service does.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Marker put in a response's extensions to ask the server to drop the connection instead of
/// sending the response (see `server.rs`).
#[derive(Debug, Clone, Copy)]
pub struct ResetConnection;

pub fn json(status: StatusCode, body: &Value) -> Response {
    text(status, JSON_UTF8, body.to_string())
}

pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A response without a body (202 with `Location`, 204). `content-length: 0` is set by hyper.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

pub fn reset() -> Response {
    let mut response = empty(StatusCode::INTERNAL_SERVER_ERROR);
    response.extensions_mut().insert(ResetConnection);
    response
}

pub fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// One header as text; repeated headers are joined with ", " as HTTP allows, so that a client
/// sending two `Accept` headers is judged on both.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

/// All headers as (lower-case name, value) pairs, for `SimControl::last_headers`.
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Decoded query parameters. Names match case-insensitively because the service (ASP.NET
/// model binding) treats `continuationToken` and `ContinuationToken` alike.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decodes one path segment, so `%24startRecording` and `$startRecording` route alike.
/// Invalid escapes are kept literally rather than rejected, like most servers do.
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a path into decoded, non-empty segments.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_dollar() {
        assert_eq!(percent_decode("%24search"), "$search");
        assert_eq!(percent_decode("%24"), "$");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(
            segments("/cvad/manage/Sessions/%24search/"),
            vec!["cvad", "manage", "Sessions", "$search"]
        );
    }

    #[test]
    fn query_names_are_case_insensitive() {
        let q = Query::parse(Some("ContinuationToken=a%2Bb&limit=5"));
        assert_eq!(q.get("continuationToken"), Some("a+b"));
        assert_eq!(q.get("LIMIT"), Some("5"));
        assert_eq!(q.get("skip"), None);
    }
}
