//! The status table: what an answer of each HTTP status means for the call that got it, as one
//! of the crate's [`Error`] kinds, and which answers are worth another attempt. Pure functions of
//! the answer and of what the call was about; the sending and retrying is `http`'s.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{snippet, ErrorBody};
use crate::retry::rough_duration;
use crate::{Error, Reply};

/// What a call is about, which decides what a 404 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The account or customer (`/me`, waking the site, the token service).
    Account,
    /// The whole site (listing or searching sessions): a 404 means the site is gone.
    Site,
    /// One session (`/Sessions/{id}...`, `RecordingStatus?id=`): a 404 means Citrix does not
    /// know the session (whether it ended is for `GET /Sessions/{id}` to confirm).
    Session,
}

/// What a call was for, as far as reading its answer goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Purpose<'a> {
    /// What we were doing, for messages: "start recording", "list sessions"...
    pub what: &'static str,
    pub scope: Scope,
    /// The `Citrix-InstanceId` (site ID); `None` for `/me` and the site-activation call.
    pub site: Option<&'a str>,
    /// Start/stop recording: 400/409 business errors mean "cannot record this session".
    pub recording: bool,
}

/// A response of any status, read completely.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    /// The server's `citrix-transactionid`, else the one we sent.
    pub transaction_id: String,
    pub retry_after: Option<Duration>,
    pub location: Option<String>,
    pub body: Vec<u8>,
    /// Counted attempts made (for "after N attempts" messages).
    pub attempts: u32,
}

impl Answer {
    /// The body as JSON, when it is JSON (kept with a refusal as Citrix's raw answer).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Whether another attempt could get a different answer: gateway and service errors.
pub(crate) fn is_retryable(answer: &Answer) -> bool {
    match answer.status.as_u16() {
        502..=504 => true,
        // Citrix sometimes reports a missing object as a 500 (see `map_status`); retrying that
        // would only delay the answer.
        500 => !ErrorBody::parse(&answer.body).mentions("object does not exist"),
        _ => false,
    }
}

/// Whether Citrix may have carried out the request although this answer is not a success. A 5xx
/// can come from a gateway after the service acted (502/504 after processing), and a 2xx we
/// could not read might be a proxy's page or a mangled success. 4xx, 429, 3xx and the sleeping
/// site's 530 are answers from before anything was done.
pub(crate) fn may_have_been_applied(answer: &Answer) -> bool {
    let status = answer.status.as_u16();
    (500..=599).contains(&status) && status != 530 || answer.status.is_success()
}

pub(crate) fn detail(body: &ErrorBody) -> String {
    body.summary().map(|s| format!(": {s}")).unwrap_or_default()
}

pub(crate) fn rate_limited(
    purpose: &Purpose<'_>,
    answer: &Answer,
    asked: Option<Duration>,
) -> Error {
    let body = ErrorBody::parse(&answer.body);
    let message = match asked {
        Some(wait) => format!(
            "Citrix Cloud is limiting how many requests we send (HTTP 429) and asked us to wait {} s before trying to {} again{}. Try again in {}.",
            wait.as_secs(),
            purpose.what,
            detail(&body),
            rough_duration(wait)
        ),
        None => format!(
            "Citrix Cloud kept limiting how many requests we send (HTTP 429); gave up trying to {} after {} attempts{}",
            purpose.what,
            answer.attempts,
            detail(&body)
        ),
    };
    Error::RateLimited {
        message,
        transaction_id: Some(answer.transaction_id.clone()),
        retry_after: answer.retry_after,
    }
}

/// Turns a non-success response into the error kind that tells the officer what to do.
pub(crate) fn map_status(purpose: &Purpose<'_>, answer: &Answer, body: &ErrorBody) -> Error {
    let status = answer.status.as_u16();
    let tx = Some(answer.transaction_id.clone());
    let detail = detail(body);
    let what = purpose.what;
    match status {
        401 => Error::TokenRejected {
            message: format!("Citrix Cloud rejected the access token (HTTP 401){detail}"),
            transaction_id: tx,
        },
        403 if body.mentions("not authenticated for the specified resource") => Error::WrongRegion {
            message: format!(
                "Citrix Cloud says this account is not in the region that was chosen (HTTP 403){detail}"
            ),
            transaction_id: tx,
        },
        403 => Error::Forbidden {
            message: format!("Citrix Cloud refused permission to {what} (HTTP 403){detail}"),
            transaction_id: tx,
        },
        404 => not_found(purpose, status, &detail, tx),
        500 if body.mentions("object does not exist") => not_found(purpose, status, &detail, tx),
        400 | 409
            if purpose.recording
                && (status == 409
                    || body.sdk_error_id.is_some()
                    || body.mentions("session operation")) =>
        {
            Error::CannotRecord {
                message: format!("Citrix could not {what} for this session (HTTP {status}){detail}"),
                transaction_id: tx,
            }
        }
        429 => rate_limited(purpose, answer, None),
        530 => Error::SiteAsleep {
            message: format!(
                "The Citrix DaaS site is hibernating (HTTP 530) and has to be woken up before it can {what}{detail}"
            ),
            transaction_id: tx,
        },
        500..=599 => Error::ServiceUnavailable {
            message: format!(
                "Citrix Cloud could not {what} right now (HTTP {status}, {} attempt{}){detail}",
                answer.attempts,
                if answer.attempts == 1 { "" } else { "s" }
            ),
            transaction_id: tx,
        },
        300..=399 => Error::Unexpected {
            message: format!(
                "Citrix Cloud redirected the request to {} (HTTP {status}); redirects are not followed so that credentials never leave Citrix",
                answer.location.as_deref().unwrap_or("another address")
            ),
            transaction_id: tx,
        },
        400..=499 => Error::BadRequest {
            message: format!("Citrix Cloud rejected the request to {what} (HTTP {status}){detail}"),
            transaction_id: tx,
        },
        _ => Error::Unexpected {
            message: format!("Citrix Cloud answered with an unexpected HTTP {status} while trying to {what}{detail}"),
            transaction_id: tx,
        },
    }
}

/// A 404 (or Citrix's 500 "Object does not exist") means something different depending on what
/// was asked for. For a session it only says that this endpoint does not know the session:
/// callers that need to say "the session has ended" confirm it with `GET /Sessions/{id}`.
fn not_found(
    purpose: &Purpose<'_>,
    status: u16,
    detail: &str,
    transaction_id: Option<String>,
) -> Error {
    let what = purpose.what;
    match purpose.scope {
        Scope::Session => Error::NotFound {
            message: format!(
                "Citrix Cloud does not know this session while trying to {what} (HTTP {status}){detail}"
            ),
            transaction_id,
        },
        Scope::Site => Error::SiteNotFound {
            message: format!(
                "Citrix Cloud does not know the site \"{}\" any more (HTTP {status} while trying to {what}){detail}. Choose the site again.",
                purpose.site.unwrap_or_default()
            ),
            transaction_id,
        },
        Scope::Account => Error::BadRequest {
            message: format!(
                "Citrix Cloud has nothing at the address used to {what} (HTTP {status}){detail}. Check that the region is the one the account is in."
            ),
            transaction_id,
        },
    }
}

/// A successful JSON answer (`Null` when empty), or the error the answer's status means.
pub(crate) fn decode(purpose: &Purpose<'_>, answer: &Answer) -> Result<Reply<Value>, Error> {
    if !answer.status.is_success() {
        let body = ErrorBody::parse(&answer.body);
        return Err(map_status(purpose, answer, &body));
    }
    let transaction_id = Some(answer.transaction_id.clone());
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Reply {
            value: Value::Null,
            transaction_id,
            raw: None,
        });
    }
    match serde_json::from_slice::<Value>(&answer.body) {
        Ok(value) => Ok(Reply {
            value,
            transaction_id,
            raw: None,
        }),
        // A 200 that is not JSON is typically a proxy's or portal's web page: never a success.
        Err(_) => Err(Error::Unexpected {
            message: format!(
                "Citrix Cloud's answer to \"{}\" could not be read (HTTP {}): expected JSON, got {}",
                purpose.what,
                answer.status.as_u16(),
                ErrorBody::parse(&answer.body)
                    .message
                    .unwrap_or_else(|| "something else".into())
            ),
            transaction_id,
        }),
    }
}

/// A successful JSON answer that does not have the expected shape.
pub(crate) fn unexpected_shape(what: &str, reply: &Reply<Value>) -> Error {
    Error::Unexpected {
        message: format!(
            "Citrix Cloud's answer to \"{what}\" did not have the expected shape: {}",
            snippet(&reply.value.to_string())
        ),
        transaction_id: reply.transaction_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            transaction_id: "tx".into(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
            attempts: 1,
        }
    }

    #[test]
    fn which_answers_may_have_been_carried_out() {
        for applied in [500, 502, 503, 504, 200] {
            assert!(may_have_been_applied(&answer(applied, "")), "{applied}");
        }
        for refused in [400, 401, 403, 404, 409, 429, 301, 530] {
            assert!(!may_have_been_applied(&answer(refused, "")), "{refused}");
        }
    }

    #[test]
    fn a_missing_object_500_is_not_retried_and_reads_as_not_found() {
        let missing = answer(500, r#"{"detail":"Object does not exist."}"#);
        assert!(!is_retryable(&missing));
        assert!(is_retryable(&answer(500, "{}")));
        let purpose = Purpose {
            what: "read the session",
            scope: Scope::Session,
            site: Some("s"),
            recording: false,
        };
        let e = map_status(&purpose, &missing, &ErrorBody::parse(&missing.body));
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }
}
