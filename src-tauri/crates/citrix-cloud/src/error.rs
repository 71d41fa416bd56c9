//! The crate's one error type, and the lenient decoder for Citrix error bodies.
//!
//! Every failure a caller can see is one of a small set of *kinds* ([`ErrorKind`], each named by
//! a stable camelCase word). The app sends the kind across IPC and the UI maps it to advice
//! written for a compliance officer, so a kind means "what the officer can do about it", not
//! "which HTTP status came back". The message carries the detail (server text, status) for the
//! audit trail and support.
//!
//! Citrix answers errors in several unrelated shapes depending on which layer refused the call
//! (gateway, CWS auth, the orchestration service, the token service). `ErrorBody::parse` reads
//! all of them without ever failing, because an error we cannot decode must still become a useful
//! error rather than a second, confusing one.

use serde::ser::SerializeStruct;
use serde_json::Value;

/// Everything that can go wrong talking to Citrix Cloud.
///
/// Every variant carries `transaction_id`: the `citrix-transactionid` of the response when one was
/// seen, or the ID we sent when the request may have reached Citrix without an answer (timeout,
/// dropped connection), so that the audit trail can always quote something to Citrix support.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The token service refused the client ID / secret (400 `invalid_client`, or 401).
    #[error("{message}")]
    BadCredentials {
        message: String,
        transaction_id: Option<String>,
    },
    /// An API call was refused with 401 even after getting a fresh token once.
    #[error("{message}")]
    TokenRejected {
        message: String,
        transaction_id: Option<String>,
    },
    /// 403: the API client lacks the permission for this call.
    #[error("{message}")]
    Forbidden {
        message: String,
        transaction_id: Option<String>,
    },
    /// 403 "User is not authenticated for the specified resource": the account lives in another
    /// region than the one chosen.
    #[error("{message}")]
    WrongRegion {
        message: String,
        transaction_id: Option<String>,
    },
    /// 404 on a call about one session: the session does not exist, typically because it has
    /// ended. (A 404 on anything else is `SiteNotFound` or `BadRequest`, never this: the UI
    /// explains this kind as "this session has ended".)
    #[error("{message}")]
    NotFound {
        message: String,
        transaction_id: Option<String>,
    },
    /// 404 on a site-wide call (listing or searching sessions): Citrix does not know the selected
    /// site any more (deleted, or the account was moved); the officer has to choose the site again.
    #[error("{message}")]
    SiteNotFound {
        message: String,
        transaction_id: Option<String>,
    },
    /// Citrix refused to start/stop recording this session (not Active, not HDX, agent missing...).
    #[error("{message}")]
    CannotRecord {
        message: String,
        transaction_id: Option<String>,
    },
    /// 429 still returned after the bounded retries, or with a `Retry-After` longer than the
    /// call may wait.
    #[error("{message}")]
    RateLimited {
        message: String,
        transaction_id: Option<String>,
        /// How long the server asked us to wait (its last `Retry-After`), when it said so. A
        /// caller that can afford to wait (a bulk run) can wait this long and try again; see
        /// [`Error::retry_after`].
        retry_after: Option<std::time::Duration>,
    },
    /// 530: the DaaS site is hibernated and must be woken (`wake_site`).
    #[error("{message}")]
    SiteAsleep {
        message: String,
        transaction_id: Option<String>,
    },
    /// 5xx still returned after the bounded retries (or a 5xx that is not worth retrying).
    #[error("{message}")]
    ServiceUnavailable {
        message: String,
        transaction_id: Option<String>,
    },
    /// No answer within the configured time.
    #[error("{message}")]
    Timeout {
        message: String,
        transaction_id: Option<String>,
    },
    /// Could not reach Citrix at all, or the connection dropped (refused, reset, DNS, TLS).
    #[error("{message}")]
    Network {
        message: String,
        transaction_id: Option<String>,
    },
    /// Any other 4xx: the request was malformed in Citrix's eyes.
    #[error("{message}")]
    BadRequest {
        message: String,
        transaction_id: Option<String>,
    },
    /// A response we could not make sense of (not JSON, wrong shape, a redirect...).
    #[error("{message}")]
    Unexpected {
        message: String,
        transaction_id: Option<String>,
    },
    /// A session ID that is not a GUID; nothing was sent.
    #[error("{message}")]
    InvalidSessionId {
        message: String,
        transaction_id: Option<String>,
    },
    /// Credentials would have gone to an address outside the policy of [`crate::region`] (https to
    /// a region's Citrix Cloud host, or loopback); nothing was sent.
    #[error("{message}")]
    HostNotAllowed {
        message: String,
        transaction_id: Option<String>,
    },
    /// The bulk engine did not send the request because the caller's `before_request` hook refused
    /// (for the app: the audit "requested" record could not be written).
    #[error("{message}")]
    NotRequested {
        message: String,
        transaction_id: Option<String>,
    },
    /// The caller cancelled the call (an officer cancelling a run) before Citrix answered.
    #[error("{message}")]
    Cancelled {
        message: String,
        transaction_id: Option<String>,
    },
}

/// Defines [`ErrorKind`], [`ErrorKind::ALL`] and [`ErrorKind::as_str`] from one list, so none of
/// them can miss a kind.
macro_rules! error_kinds {
    ($($kind:ident => $name:literal,)*) => {
        /// The kind of an [`Error`], one per variant: what the officer can do about it, not which
        /// HTTP status came back. Callers branch on it with `match` (never on its name), so a kind
        /// added here does not compile anywhere it must be handled until it is. Its name
        /// (`as_str`, `Display`, and serde) is the stable camelCase word of logs, the audit trail
        /// and the IPC error shape.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub enum ErrorKind {
            $($kind,)*
        }

        impl ErrorKind {
            /// Every kind this crate can produce.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind,)*];

            /// The kind's stable camelCase name ("rateLimited"), the same word serde writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }
        }
    };
}

error_kinds! {
    BadCredentials => "badCredentials",
    TokenRejected => "tokenRejected",
    Forbidden => "forbidden",
    WrongRegion => "wrongRegion",
    NotFound => "notFound",
    SiteNotFound => "siteNotFound",
    CannotRecord => "cannotRecord",
    RateLimited => "rateLimited",
    SiteAsleep => "siteAsleep",
    ServiceUnavailable => "serviceUnavailable",
    Timeout => "timeout",
    Network => "network",
    BadRequest => "badRequest",
    Unexpected => "unexpected",
    InvalidSessionId => "invalidSessionId",
    HostNotAllowed => "hostNotAllowed",
    NotRequested => "notRequested",
    Cancelled => "cancelled",
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// What kind of failure this is: what the officer can do about it (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadCredentials { .. } => ErrorKind::BadCredentials,
            Error::TokenRejected { .. } => ErrorKind::TokenRejected,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::WrongRegion { .. } => ErrorKind::WrongRegion,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::SiteNotFound { .. } => ErrorKind::SiteNotFound,
            Error::CannotRecord { .. } => ErrorKind::CannotRecord,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::SiteAsleep { .. } => ErrorKind::SiteAsleep,
            Error::ServiceUnavailable { .. } => ErrorKind::ServiceUnavailable,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Network { .. } => ErrorKind::Network,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::Unexpected { .. } => ErrorKind::Unexpected,
            Error::InvalidSessionId { .. } => ErrorKind::InvalidSessionId,
            Error::HostNotAllowed { .. } => ErrorKind::HostNotAllowed,
            Error::NotRequested { .. } => ErrorKind::NotRequested,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
        }
    }

    /// The `citrix-transactionid` to quote to Citrix support, if any.
    pub fn transaction_id(&self) -> Option<&str> {
        self.parts().1.as_deref()
    }

    /// The human-readable detail (same as `Display`).
    pub fn message(&self) -> &str {
        self.parts().0
    }

    /// The same error with its message replaced: used where the kind stays right but the
    /// circumstances need saying, for example a status check that failed after a start.
    pub fn with_message(mut self, new_message: String) -> Error {
        *self.message_mut() = new_message;
        self
    }

    fn message_mut(&mut self) -> &mut String {
        match self {
            Error::BadCredentials { message, .. }
            | Error::TokenRejected { message, .. }
            | Error::Forbidden { message, .. }
            | Error::WrongRegion { message, .. }
            | Error::NotFound { message, .. }
            | Error::SiteNotFound { message, .. }
            | Error::CannotRecord { message, .. }
            | Error::RateLimited { message, .. }
            | Error::SiteAsleep { message, .. }
            | Error::ServiceUnavailable { message, .. }
            | Error::Timeout { message, .. }
            | Error::Network { message, .. }
            | Error::BadRequest { message, .. }
            | Error::Unexpected { message, .. }
            | Error::InvalidSessionId { message, .. }
            | Error::HostNotAllowed { message, .. }
            | Error::NotRequested { message, .. }
            | Error::Cancelled { message, .. } => message,
        }
    }

    fn parts(&self) -> (&str, &Option<String>) {
        match self {
            Error::BadCredentials {
                message,
                transaction_id,
            }
            | Error::TokenRejected {
                message,
                transaction_id,
            }
            | Error::Forbidden {
                message,
                transaction_id,
            }
            | Error::WrongRegion {
                message,
                transaction_id,
            }
            | Error::NotFound {
                message,
                transaction_id,
            }
            | Error::SiteNotFound {
                message,
                transaction_id,
            }
            | Error::CannotRecord {
                message,
                transaction_id,
            }
            | Error::RateLimited {
                message,
                transaction_id,
                ..
            }
            | Error::SiteAsleep {
                message,
                transaction_id,
            }
            | Error::ServiceUnavailable {
                message,
                transaction_id,
            }
            | Error::Timeout {
                message,
                transaction_id,
            }
            | Error::Network {
                message,
                transaction_id,
            }
            | Error::BadRequest {
                message,
                transaction_id,
            }
            | Error::Unexpected {
                message,
                transaction_id,
            }
            | Error::InvalidSessionId {
                message,
                transaction_id,
            }
            | Error::HostNotAllowed {
                message,
                transaction_id,
            }
            | Error::NotRequested {
                message,
                transaction_id,
            }
            | Error::Cancelled {
                message,
                transaction_id,
            } => (message, transaction_id),
        }
    }

    /// For `rateLimited`: how long Citrix asked us to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A call that got no success answer, with what is known about whether Citrix acted on it.
///
/// Only start/stop recording change anything at Citrix, so only their callers need more than the
/// [`Error`]; every other operation returns the error alone (`From<Failure> for Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: Error,
    /// Whether Citrix may have carried out the request although no success answer came back: a
    /// timeout or a dropped connection after the request was sent, a 5xx (also after retries),
    /// a success answer that could not be read, or any answer to an attempt that followed one of
    /// those. `false` means Citrix did not act on it: a refusal (4xx) on the first attempt, only
    /// 429s, a connection that never opened, or nothing sent at all.
    pub may_have_been_applied: bool,
    /// Citrix's last answer as JSON, when there was one (a refusal's `ErrorData`, for the audit
    /// trail).
    pub answer: Option<Value>,
    /// The HTTP status of Citrix's last answer, when there was one.
    pub status: Option<u16>,
}

impl Failure {
    /// A failure from before anything reached Citrix, or a definite refusal.
    pub fn definite(error: Error) -> Failure {
        Failure {
            error,
            may_have_been_applied: false,
            answer: None,
            status: None,
        }
    }

    pub fn may_have_been_applied(&self) -> bool {
        self.may_have_been_applied
    }

    /// The same failure of a call that had already lost an answer earlier (`lost`): then it may
    /// have been carried out whatever this failure says.
    pub(crate) fn after_lost_answer(mut self, lost: bool) -> Failure {
        self.may_have_been_applied |= lost;
        self
    }
}

/// An error found before anything was sent (a bad address, no site): nothing was done.
impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::definite(error)
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Error {
        failure.error
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Failure {}

/// Serialized as `{ "kind", "message", "transactionId" }`, the IPC error shape plus the
/// transaction ID.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 3)?;
        s.serialize_field("kind", &self.kind())?;
        s.serialize_field("message", self.message())?;
        s.serialize_field("transactionId", &self.transaction_id())?;
        s.end()
    }
}

/// What could be read from an error response body, whichever family it belongs to.
///
/// Families understood (keys matched case-insensitively, so PascalCase and camelCase both work):
/// - orchestration `ErrorData`: `{ErrorMessage, SdkErrorId, ErrorType, ErrorDetails, ...}`
/// - spec `ErrorResponse`: `{Type, Detail, Parameters: [{Name, Value}]}`
/// - gateway: `{type, detail, parameters}` with `parameters` an object *or* an array
/// - CWS auth: `{Error: {Message, Type}}`
/// - orchestration 500: `{activityId, message, statusCode}`
/// - OAuth token service: `{error, error_description}`
/// - anything else, including HTML error pages and empty bodies.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    /// The best human-readable sentence found.
    pub message: Option<String>,
    /// `SdkErrorId` of an `ErrorData` body, e.g. `SessionOperationFailed`.
    pub sdk_error_id: Option<String>,
    /// `type`/`Type`/`ErrorType`/`Error.Type`, e.g. `https://errors-api.cloud.com/common/authorization`.
    pub error_type: Option<String>,
    /// `parameters` flattened to name/value pairs (array entries without a name get "").
    pub parameters: Vec<(String, String)>,
    /// The OAuth `error` code, e.g. `invalid_client`.
    pub oauth_error: Option<String>,
    /// Whether the body was JSON at all.
    pub is_json: bool,
}

/// How much of a non-JSON body to quote in a message: enough to recognise it, not a whole page.
const SNIPPET_CHARS: usize = 160;

impl ErrorBody {
    pub fn parse(bytes: &[u8]) -> ErrorBody {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => Self::from_json(&v),
            Err(_) => Self::from_text(&String::from_utf8_lossy(bytes)),
        }
    }

    fn from_json(v: &Value) -> ErrorBody {
        let mut out = ErrorBody {
            is_json: true,
            ..ErrorBody::default()
        };
        if !v.is_object() {
            out.message = text(v).map(|t| snippet(&t));
            return out;
        }
        out.sdk_error_id = field(v, "SdkErrorId").and_then(text);
        // CWS auth wraps its error in an object; the OAuth service uses a string under the same
        // key, so the type decides which family this is.
        let cws = field(v, "Error").filter(|e| e.is_object());
        out.oauth_error = field(v, "error").filter(|e| e.is_string()).and_then(text);
        out.error_type = field(v, "type")
            .and_then(text)
            .or_else(|| field(v, "ErrorType").and_then(text))
            .or_else(|| cws.and_then(|e| field(e, "Type")).and_then(text));
        if let Some(params) = field(v, "parameters") {
            out.parameters = flatten_parameters(params);
        }
        out.message = ["ErrorMessage", "detail"]
            .iter()
            .find_map(|k| field(v, k).and_then(text))
            .or_else(|| cws.and_then(|e| field(e, "Message")).and_then(text))
            .or_else(|| field(v, "error_description").and_then(text))
            .or_else(|| field(v, "message").and_then(text))
            .or_else(|| field(v, "ErrorDetails").and_then(text))
            .map(|m| snippet(&m));
        out
    }

    fn from_text(body: &str) -> ErrorBody {
        let trimmed = body.trim();
        if trimmed.is_empty() {
            return ErrorBody::default();
        }
        let message = if trimmed.starts_with('<') {
            // Proxies and gateways answer with HTML; the <title> is the only useful part.
            match html_title(trimmed) {
                Some(t) => format!("a web page titled \"{}\"", snippet(&t)),
                None => "a web page".to_owned(),
            }
        } else {
            format!("\"{}\"", snippet(trimmed))
        };
        ErrorBody {
            message: Some(message),
            ..ErrorBody::default()
        }
    }

    /// Whether `needle` (case-insensitive) appears in the message, the type or a parameter value;
    /// used to recognise specific Citrix conditions whose text is the only signal.
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        let hit = |s: &str| s.to_lowercase().contains(&needle);
        self.message.as_deref().is_some_and(hit)
            || self.error_type.as_deref().is_some_and(hit)
            || self.sdk_error_id.as_deref().is_some_and(hit)
            || self.parameters.iter().any(|(_, v)| hit(v))
    }

    /// A one-line summary for error messages: the sentence plus identifiers that help support.
    pub fn summary(&self) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(m) = &self.message {
            parts.push(m.clone());
        }
        if let Some(id) = &self.sdk_error_id {
            parts.push(format!("[{id}]"));
        }
        if let Some(code) = &self.oauth_error {
            if self.message.as_deref() != Some(code.as_str()) {
                parts.push(format!("[{code}]"));
            }
        }
        let extra: Vec<String> = self
            .parameters
            .iter()
            .filter(|(_, v)| self.message.as_deref() != Some(v.as_str()))
            .map(|(n, v)| {
                if n.is_empty() {
                    v.clone()
                } else {
                    format!("{n}: {v}")
                }
            })
            .collect();
        if !extra.is_empty() {
            parts.push(format!("({})", snippet(&extra.join("; "))));
        }
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(" "))
        }
    }
}

/// Case-insensitive key lookup, because the same Citrix concept is `Detail` in one family and
/// `detail` in another.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn flatten_parameters(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| value_text(v).map(|t| (k.clone(), t)))
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| {
                if item.is_object() {
                    let name = field(item, "name").and_then(text).unwrap_or_default();
                    let value = field(item, "value").and_then(value_text)?;
                    Some((name, value))
                } else {
                    value_text(item).map(|t| (String::new(), t))
                }
            })
            .collect(),
        other => value_text(other)
            .map(|t| vec![(String::new(), t)])
            .unwrap_or_default(),
    }
}

/// Like [`text`] but keeps nested values as compact JSON, since a parameter can be anything.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => Some(snippet(&v.to_string())),
        other => text(other),
    }
}

/// One line, at most [`SNIPPET_CHARS`] characters, control characters removed (the text ends up
/// in an audit CSV and in the UI).
pub(crate) fn snippet(s: &str) -> String {
    let flat: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() > SNIPPET_CHARS {
        let cut: String = flat.chars().take(SNIPPET_CHARS).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower.get(start..)?.find('>')? + 1;
    let close = open_end + lower.get(open_end..)?.find("</title")?;
    // `to_ascii_lowercase` keeps byte offsets, so they index `html` too; `get` guards against a
    // boundary inside a multi-byte character anyway.
    let title = html.get(open_end..close)?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> ErrorBody {
        ErrorBody::parse(s.as_bytes())
    }

    #[test]
    fn error_data() {
        let b = parse(
            r#"{"ErrorMessage":"Session operation error - attempted:1, failed:1, succeeded:0","SdkErrorId":"SessionOperationFailed"}"#,
        );
        assert_eq!(b.sdk_error_id.as_deref(), Some("SessionOperationFailed"));
        assert!(b
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Session operation error")));
        assert!(b
            .summary()
            .is_some_and(|s| s.contains("[SessionOperationFailed]")));
    }

    #[test]
    fn error_response_pascal_case() {
        let b = parse(
            r#"{"Type":"https://errors-api.cloud.com/x/y","Detail":"Nope","Parameters":[{"Name":"a","Value":"b"}]}"#,
        );
        assert_eq!(
            b.error_type.as_deref(),
            Some("https://errors-api.cloud.com/x/y")
        );
        assert_eq!(b.message.as_deref(), Some("Nope"));
        assert_eq!(b.parameters, vec![("a".into(), "b".into())]);
    }

    #[test]
    fn gateway_parameters_object_and_array() {
        let obj = parse(
            r#"{"type":"https://errors-api.cloud.com/common/authentication","detail":"Missing or invalid authentication details","parameters":{"reason":"invalid"}}"#,
        );
        let arr = parse(
            r#"{"type":"https://errors-api.cloud.com/common/authentication","detail":"Missing or invalid authentication details","parameters":[{"name":"reason","value":"invalid"}]}"#,
        );
        assert_eq!(obj.parameters, vec![("reason".into(), "invalid".into())]);
        assert_eq!(obj, arr);
        let region = parse(
            r#"{"type":"https://errors-api.cloud.com/common/authorization","detail":"Access denied","parameters":[{"name":"message","value":"User is not authenticated for the specified resource"}]}"#,
        );
        assert!(region.mentions("user is not authenticated for the specified resource"));
    }

    #[test]
    fn cws_auth_shape() {
        let b = parse(
            r#"{"Error":{"Message":"Missing or invalid CWSAuth header.","Type":"CWSAuthException"}}"#,
        );
        assert_eq!(
            b.message.as_deref(),
            Some("Missing or invalid CWSAuth header.")
        );
        assert_eq!(b.error_type.as_deref(), Some("CWSAuthException"));
        assert_eq!(b.oauth_error, None);
    }

    #[test]
    fn orchestration_500_shape() {
        let b =
            parse(r#"{"activityId":"a8f1","message":"Internal server error","statusCode":500}"#);
        assert_eq!(b.message.as_deref(), Some("Internal server error"));
    }

    #[test]
    fn oauth_shape() {
        let b = parse(
            r#"{"error":"invalid_client","error_description":"Invalid client id or client secret."}"#,
        );
        assert_eq!(b.oauth_error.as_deref(), Some("invalid_client"));
        assert_eq!(
            b.message.as_deref(),
            Some("Invalid client id or client secret.")
        );
    }

    #[test]
    fn non_json_bodies() {
        assert_eq!(parse(""), ErrorBody::default());
        let html =
            parse("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert_eq!(
            html.message.as_deref(),
            Some("a web page titled \"502 Bad Gateway\"")
        );
        assert!(!html.is_json);
        let text = parse("upstream connect error\r\n or disconnect");
        assert_eq!(
            text.message.as_deref(),
            Some("\"upstream connect error or disconnect\"")
        );
        let long = parse(&"x".repeat(10_000));
        assert!(long.message.is_some_and(|m| m.chars().count() < 200));
    }

    #[test]
    fn odd_json_never_fails() {
        for s in [
            "null",
            "[]",
            "42",
            "\"text\"",
            r#"{"parameters":7}"#,
            r#"{"Parameters":[null,1,{"Value":{"a":1}}]}"#,
        ] {
            let _ = parse(s).summary();
        }
        assert_eq!(parse("\"just text\"").message.as_deref(), Some("just text"));
    }

    #[test]
    fn new_kinds_are_listed_and_retry_after_is_kept() {
        let e = Error::SiteNotFound {
            message: "gone".into(),
            transaction_id: None,
        };
        assert_eq!(e.kind(), ErrorKind::SiteNotFound);
        let e = Error::RateLimited {
            message: "slow down".into(),
            transaction_id: Some("tx".into()),
            retry_after: Some(std::time::Duration::from_secs(90)),
        };
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(90)));
        assert_eq!((e.message(), e.transaction_id()), ("slow down", Some("tx")));
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["kind"], "rateLimited");
    }

    #[test]
    fn every_kind_has_one_stable_name() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for &kind in ErrorKind::ALL {
            assert_eq!(serde_json::to_value(kind).expect("json"), kind.as_str());
            assert_eq!(kind.to_string(), kind.as_str());
            let back: ErrorKind = serde_json::from_value(kind.as_str().into()).expect("name");
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn error_serializes_to_ipc_shape() {
        let e = Error::NotFound {
            message: "gone".into(),
            transaction_id: Some("t-1".into()),
        };
        assert_eq!(
            serde_json::to_value(&e).expect("ser"),
            serde_json::json!({"kind":"notFound","message":"gone","transactionId":"t-1"})
        );
        assert_eq!(e.to_string(), "gone");
        assert_eq!(e.transaction_id(), Some("t-1"));
    }

    proptest! {
        #[test]
        fn decoder_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let b = ErrorBody::parse(&bytes);
            let _ = b.summary();
            let _ = b.mentions("x");
        }

        #[test]
        fn decoder_never_panics_on_text(s in "\\PC{0,300}") {
            let _ = ErrorBody::parse(s.as_bytes()).summary();
        }

        #[test]
        fn decoder_never_panics_on_json_like(
            key in prop_oneof![Just("ErrorMessage"), Just("detail"), Just("Parameters"), Just("Error"), Just("error"), Just("type"), Just("message")],
            val in prop_oneof![
                Just("null".to_owned()), Just("[]".to_owned()), Just("{}".to_owned()),
                "\\PC{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
                any::<i64>().prop_map(|n| n.to_string()),
                Just(r#"[{"name":1,"value":[1,2]},"x",null]"#.to_owned()),
                Just(r#"{"Message":{"deep":true},"Type":3}"#.to_owned()),
            ],
        ) {
            let body = format!("{{\"{key}\":{val}}}");
            let _ = ErrorBody::parse(body.as_bytes()).summary();
            let _ = ErrorBody::parse(format!("<title>{val}</title>").as_bytes());
        }
    }
}
