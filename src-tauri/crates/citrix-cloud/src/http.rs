//! The one HTTP choke point: every request this crate sends is built, sent, retried and decoded
//! here, so the rules below hold everywhere and are tested in one place.
//!
//! - Credentials and tokens only go to the Citrix Cloud hosts of the regions over https, or to
//!   loopback (the simulator); see [`crate::region`] for the exact rule. Anything else is refused
//!   before a byte is sent, and redirects are never followed (a redirect could carry the
//!   `Authorization` header elsewhere).
//! - Headers: `Authorization: CwsAuth Bearer=<token>`, `Citrix-CustomerId`, `Citrix-InstanceId`
//!   (except on `/me` and the token service), exactly `Accept: application/json` (the gateway
//!   answers 406 to anything else, charset included), the product `User-Agent`, and a fresh
//!   `Citrix-TransactionId` per request so each attempt can be found in Citrix's logs.
//! - 401 on an API call: the token is renewed once and the call retried once.
//! - 429 and 500/502/503/504, and connections dropped before an answer, are retried with bounded
//!   attempts and backoff (honouring `Retry-After`). Retrying is safe for every call we make: they
//!   are reads, token requests, or start/stop recording, which Citrix documents as idempotent
//!   (starting a session that is already recorded is a silent no-op; stopping likewise).
//! - Every API request takes a permit of the client's one limiter (runs, status look-ups and
//!   searches share Citrix's rate limit), and every wait (for a permit, a backoff, a 429 pause, an
//!   answer) gives way to the caller's cancellation token.
//! - Every failure becomes one of the [`Error`] kinds, with whether Citrix may have carried the
//!   request out anyway ([`Failure`]); every result carries the transaction ID. The retry policy
//!   is in [`crate::retry`], the meaning of each status in `http_status`.

use std::future::Future;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::auth::{parse_token_response, Token, TokenCache};
use crate::error::{snippet, ErrorBody, Failure};
use crate::http_status::{self, detail, map_status, rate_limited, Answer, Purpose, Scope};
use crate::limiter::{Limiter, Throttle};
use crate::region::{endpoint_allowed, is_loopback, Endpoints};
use crate::retry::{
    parse_retry_after, too_long_to_wait, Patience, RetryPolicy, MAX_DROP_RETRIES,
    RETRY_AFTER_CEILING, THROTTLE_HARD_CAP_FACTOR,
};
use crate::secret::Secret;
use crate::{ClientConfig, Error, Reply};

/// After a cancel, a request already on the wire gets this long to bring its answer back: an
/// answer (accepted, refused) is worth more than "not known", and it is well within the second a
/// cancel may take.
const CANCEL_GRACE: Duration = Duration::from_millis(500);

const JSON: &str = "application/json";
/// Exactly this: Citrix's token service rejects the `; charset=...` some libraries add.
const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// One logical API call. (No `Debug`: a form body can hold the client secret.)
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    pub purpose: Purpose<'a>,
    pub body: Body,
    pub patience: Patience,
}

/// Why a request got no response.
enum SendFailure {
    /// No answer in time; `connecting` when not even the connection was made in time.
    Timeout { connecting: bool },
    /// Never connected: refused, DNS, TLS handshake.
    Connect(String),
    /// Connected, but the connection broke before a complete answer (reset, closed early).
    Dropped(String),
    /// We could not even build the request (e.g. a header with a line break in it).
    Invalid(String),
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a Token),
}

pub(crate) struct Http {
    client: reqwest::Client,
    retry: RetryPolicy,
    connect_timeout: Duration,
    request_timeout: Duration,
    endpoints: Endpoints,
    customer_id: String,
    client_id: String,
    secret: Secret,
    pub tokens: TokenCache,
    /// Every API request of this client takes a permit: runs, status look-ups and searches share
    /// Citrix's rate limit, and a 429 slows all of them down together.
    pub limiter: Limiter,
}

impl Http {
    pub fn new(cfg: &ClientConfig) -> Result<Http, Error> {
        cfg.endpoints.check()?;
        let creds = &cfg.credentials;
        let customer_id = creds.customer_id.trim().to_owned();
        let client_id = creds.client_id.trim().to_owned();
        for (label, value) in [("customer ID", &customer_id), ("client ID", &client_id)] {
            if value.is_empty() {
                return Err(Error::BadCredentials {
                    message: format!("The {label} is empty."),
                    transaction_id: None,
                });
            }
            if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(Error::BadCredentials {
                    message: format!("The {label} contains spaces or invisible characters."),
                    transaction_id: None,
                });
            }
        }
        if creds.secret.expose().trim().is_empty() {
            return Err(Error::BadCredentials {
                message: "The client secret is empty.".into(),
                transaction_id: None,
            });
        }
        let mut defaults = HeaderMap::new();
        defaults.insert(header::ACCEPT, HeaderValue::from_static(JSON));
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .default_headers(defaults)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .redirect(reqwest::redirect::Policy::none());
        // The system proxy is right for Citrix Cloud (corporate networks), but a proxy would not
        // reach our own loopback simulator, so talk to loopback directly.
        if is_loopback(&cfg.endpoints.token_base) && is_loopback(&cfg.endpoints.api_base) {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| Error::Network {
            message: format!("Could not set up secure connections: {}", error_chain(&e)),
            transaction_id: None,
        })?;
        Ok(Http {
            client,
            retry: cfg.retry,
            connect_timeout: cfg.connect_timeout,
            request_timeout: cfg.request_timeout,
            endpoints: cfg.endpoints.clone(),
            customer_id,
            client_id,
            secret: creds.secret.clone(),
            tokens: TokenCache::default(),
            limiter: Limiter::new(cfg.concurrency),
        })
    }

    pub fn customer_id(&self) -> &str {
        &self.customer_id
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// `api_base` plus path segments (each percent-encoded as a segment, so an ID can never
    /// change the path structure).
    pub fn api_url(&self, segments: &[&str]) -> Result<Url, Error> {
        join(&self.endpoints.api_base, segments)
    }

    pub fn resource_provider_url(&self, segments: &[&str]) -> Result<Url, Error> {
        join(&self.endpoints.resource_provider_base(), segments)
    }

    /// Sends an authenticated API call through the client's limiter and decodes a successful
    /// JSON answer (`Null` when empty). On failure, says whether Citrix may have acted on it.
    pub async fn call(
        &self,
        call: Call<'_>,
        cancel: Option<&CancellationToken>,
    ) -> Result<Reply<Value>, Failure> {
        check_host(&call.url).map_err(Failure::definite)?;
        // An answer lost earlier in this call (before a 401 made us sign in again) makes every
        // later failure of it ambiguous too.
        let mut lost = false;
        let token = cancellable(
            cancel,
            Duration::ZERO,
            self.tokens.get(|| self.fetch_token()),
        )
        .await
        .ok_or_else(|| Failure::definite(cancelled(&call.purpose, None)))?
        .map_err(Failure::definite)?;
        let mut token = token;
        let mut renewed = false;
        loop {
            let answer = self
                .exchange(&call, Auth::Bearer(&token), Some(&self.limiter), cancel)
                .await
                .map_err(|f| f.after_lost_answer(lost))?;
            lost |= answer.follows_lost_answer;
            if answer.answer.status == StatusCode::UNAUTHORIZED {
                if !renewed {
                    // Expired early, revoked, or rotated: one fresh token, one more try.
                    renewed = true;
                    tracing::debug!(what = call.purpose.what, "401; renewing the token once");
                    let renewal = self.tokens.renew(&token, || self.fetch_token());
                    token = cancellable(cancel, Duration::ZERO, renewal)
                        .await
                        .ok_or_else(|| {
                            Failure::definite(cancelled(&call.purpose, None))
                                .after_lost_answer(lost)
                        })?
                        .map_err(|e| Failure::definite(e).after_lost_answer(lost))?;
                    continue;
                }
                let body = ErrorBody::parse(&answer.answer.body);
                return Err(Failure {
                    error: Error::TokenRejected {
                        message: format!(
                            "Citrix Cloud rejected the access token even after signing in again (HTTP 401){}",
                            detail(&body)
                        ),
                        transaction_id: Some(answer.answer.transaction_id.clone()),
                    },
                    may_have_been_applied: lost,
                    answer: answer.answer.json(),
                    status: Some(401),
                });
            }
            return http_status::decode(&call.purpose, &answer.answer).map_err(|error| Failure {
                error,
                may_have_been_applied: lost || http_status::may_have_been_applied(&answer.answer),
                answer: answer.answer.json(),
                status: Some(answer.answer.status.as_u16()),
            });
        }
    }

    /// Asks the token service for a new token.
    async fn fetch_token(&self) -> Result<Token, Error> {
        let url = join(
            &self.endpoints.token_base,
            &["cctrustoauth2", &self.customer_id, "tokens", "clients"],
        )?;
        let call = Call {
            method: Method::POST,
            url,
            body: Body::Form(vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", self.client_id.clone()),
                ("client_secret", self.secret.expose().to_owned()),
            ]),
            purpose: Purpose {
                what: "sign in to Citrix Cloud",
                scope: Scope::Account,
                site: None,
                recording: false,
            },
            patience: Patience::Interactive,
        };
        check_host(&call.url)?;
        // Not through the limiter: the token service is a different service with its own
        // limits, and every caller waits for the one token anyway.
        let answer = self.exchange(&call, Auth::None, None, None).await?.answer;
        let status = answer.status.as_u16();
        if answer.status.is_success() {
            let value = serde_json::from_slice::<Value>(&answer.body).ok();
            return match value.as_ref().and_then(parse_token_response) {
                Some((secret, lifetime)) => Ok(Token::new(secret, lifetime)),
                None => Err(Error::Unexpected {
                    message: format!(
                        "The Citrix Cloud token service answered without a usable token{}",
                        detail(&ErrorBody::parse(&answer.body))
                    ),
                    transaction_id: Some(answer.transaction_id),
                }),
            };
        }
        let body = ErrorBody::parse(&answer.body);
        // 400 invalid_client is what Citrix documents for a wrong ID or secret (its samples also
        // show a bare "Invalid request"); Citrix's Terraform provider treats 401 the same way. An
        // unknown customer ID in the path can only be a credentials mistake too.
        let credentials_problem = match status {
            400 => body.oauth_error.as_deref() != Some("unsupported_grant_type"),
            401 | 404 => true,
            _ => false,
        };
        if credentials_problem {
            return Err(Error::BadCredentials {
                message: format!(
                    "Citrix Cloud did not accept the client ID and secret for customer \"{}\" (HTTP {status}){}",
                    self.customer_id,
                    detail(&body)
                ),
                transaction_id: Some(answer.transaction_id),
            });
        }
        Err(map_status(&call.purpose, &answer, &body))
    }

    /// Sends `call`, retrying throttling, transient server errors and dropped connections within
    /// the policy, and keeping count of whether an attempt may have been carried out without its
    /// answer reaching us. Returns the first response that is not retried (whatever its status).
    async fn exchange(
        &self,
        call: &Call<'_>,
        auth: Auth<'_>,
        limiter: Option<&Limiter>,
        cancel: Option<&CancellationToken>,
    ) -> Result<Exchanged, Failure> {
        let max = self.retry.attempts();
        let purpose = &call.purpose;
        let mut counted = 0u32;
        let mut throttled = 0u32;
        let mut drops = 0u32;
        // Whether an earlier attempt may have been carried out without its answer reaching us.
        let mut lost = false;
        let stop = |lost: bool, tx: Option<String>| Failure {
            error: cancelled(purpose, tx),
            may_have_been_applied: lost,
            answer: None,
            status: None,
        };
        loop {
            let permit = match limiter {
                Some(l) => Some(
                    cancellable(cancel, Duration::ZERO, l.acquire())
                        .await
                        .ok_or_else(|| stop(lost, None))?,
                ),
                None => None,
            };
            let sent_tx = uuid::Uuid::new_v4().to_string();
            // A request on the wire may already be applied: after a cancel it gets a short grace
            // to bring its answer back, and is then reported as possibly carried out.
            let result = cancellable(cancel, CANCEL_GRACE, self.send_once(call, auth, &sent_tx))
                .await
                .ok_or_else(|| stop(true, Some(sent_tx.clone())))?;
            let was_lost = lost;
            let failure = move |error: Error, applied: bool| Failure {
                error,
                may_have_been_applied: was_lost || applied,
                answer: None,
                status: None,
            };
            match result {
                Ok(mut answer) if answer.status == StatusCode::TOO_MANY_REQUESTS => {
                    // A 429 is an answer from before anything was done: it adds no doubt.
                    throttled += 1;
                    answer.attempts = counted + throttled;
                    if let Some(wait) = too_long_to_wait(answer.retry_after, call.patience) {
                        return Err(Failure {
                            error: rate_limited(purpose, &answer, Some(wait)),
                            may_have_been_applied: lost,
                            answer: answer.json(),
                            status: Some(429),
                        });
                    }
                    let verdict = permit.map(|p| p.throttled(answer.retry_after, &self.retry));
                    let give_up = match call.patience {
                        Patience::Interactive => throttled >= max,
                        Patience::Run => {
                            verdict == Some(Throttle::GiveUp)
                                || throttled >= max * THROTTLE_HARD_CAP_FACTOR
                        }
                    };
                    if give_up {
                        return Err(Failure {
                            error: rate_limited(purpose, &answer, None),
                            may_have_been_applied: lost,
                            answer: answer.json(),
                            status: Some(429),
                        });
                    }
                    // With the limiter, its pause (shared by every request) is the wait.
                    if verdict.is_none() {
                        let wait = answer
                            .retry_after
                            .unwrap_or_else(|| self.retry.backoff(throttled));
                        tracing::debug!(what = purpose.what, ?wait, "429; waiting");
                        sleep(cancel, wait).await.ok_or_else(|| stop(lost, None))?;
                    }
                }
                Ok(mut answer) if http_status::is_retryable(&answer) => {
                    drop(permit);
                    counted += 1;
                    answer.attempts = counted;
                    if counted >= max {
                        return Ok(Exchanged {
                            answer,
                            follows_lost_answer: lost,
                        });
                    }
                    lost = true;
                    // A 503 may say when to come back; a reasonable hint beats our guess.
                    let wait = answer
                        .retry_after
                        .filter(|w| *w <= RETRY_AFTER_CEILING)
                        .unwrap_or_else(|| self.retry.backoff(counted));
                    tracing::debug!(
                        what = purpose.what,
                        status = answer.status.as_u16(),
                        ?wait,
                        "retrying"
                    );
                    sleep(cancel, wait).await.ok_or_else(|| stop(lost, None))?;
                }
                Ok(mut answer) => {
                    if let Some(p) = permit {
                        p.succeeded();
                    }
                    counted += 1;
                    answer.attempts = counted;
                    return Ok(Exchanged {
                        answer,
                        follows_lost_answer: lost,
                    });
                }
                Err(SendFailure::Timeout { connecting: true }) => {
                    return Err(failure(
                        Error::Timeout {
                            message: format!(
                                "Could not connect to {} within {} s to {}.",
                                host_label(&call.url),
                                self.connect_timeout.as_secs_f32(),
                                purpose.what
                            ),
                            transaction_id: None,
                        },
                        false,
                    ));
                }
                Err(SendFailure::Timeout { connecting: false }) => {
                    return Err(failure(
                        Error::Timeout {
                            message: format!(
                                "Citrix Cloud did not answer within {} s while trying to {}.",
                                self.request_timeout.as_secs_f32(),
                                purpose.what
                            ),
                            // The request may have reached Citrix: our ID is what support can find.
                            transaction_id: Some(sent_tx),
                        },
                        true,
                    ));
                }
                Err(SendFailure::Connect(cause)) => {
                    return Err(failure(
                        Error::Network {
                            message: format!(
                                "Could not connect to {} to {}: {cause}",
                                host_label(&call.url),
                                purpose.what
                            ),
                            transaction_id: None,
                        },
                        false,
                    ));
                }
                Err(SendFailure::Dropped(cause)) => {
                    // The request may or may not have been processed. Sending it again is safe
                    // for every call here (reads, a token request, or start/stop recording,
                    // which Citrix documents as a no-op when already in the requested state).
                    drop(permit);
                    counted += 1;
                    drops += 1;
                    lost = true;
                    if drops > MAX_DROP_RETRIES || counted >= max {
                        return Err(failure(
                            Error::Network {
                                message: format!(
                                    "The connection to {} was dropped before it answered (tried {counted} times to {}): {cause}",
                                    host_label(&call.url),
                                    purpose.what
                                ),
                                transaction_id: Some(sent_tx),
                            },
                            true,
                        ));
                    }
                    tracing::debug!(what = purpose.what, %cause, "connection dropped; retrying");
                    sleep(cancel, self.retry.backoff(counted))
                        .await
                        .ok_or_else(|| stop(lost, None))?;
                }
                Err(SendFailure::Invalid(cause)) => {
                    return Err(failure(
                        Error::BadRequest {
                            message: format!(
                                "Could not build the request to {}: {cause}",
                                purpose.what
                            ),
                            transaction_id: None,
                        },
                        false,
                    ));
                }
            }
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        auth: Auth<'_>,
        tx: &str,
    ) -> Result<Answer, SendFailure> {
        let mut rb = self
            .client
            .request(call.method.clone(), call.url.clone())
            .header(header::ACCEPT, JSON)
            .header("Citrix-TransactionId", tx);
        if let Auth::Bearer(token) = auth {
            let mut value =
                HeaderValue::from_str(&format!("CwsAuth Bearer={}", token.value.expose()))
                    .map_err(|_| {
                        SendFailure::Invalid(
                            "the access token contains characters that cannot be sent".into(),
                        )
                    })?;
            // Keeps the token out of any HTTP-level debug output.
            value.set_sensitive(true);
            rb = rb.header(header::AUTHORIZATION, value).header(
                "Citrix-CustomerId",
                header_value(&self.customer_id, "customer ID")?,
            );
            if let Some(site) = call.purpose.site {
                rb = rb.header("Citrix-InstanceId", header_value(site, "site ID")?);
            }
        }
        rb = match &call.body {
            Body::None => rb,
            Body::Json(v) => rb.header(header::CONTENT_TYPE, JSON).body(v.to_string()),
            // `.form()` only sets the content type when none is present; set it ourselves so the
            // exact value is ours, not an implementation detail of the HTTP library.
            Body::Form(pairs) => rb.header(header::CONTENT_TYPE, FORM).form(pairs),
        };
        let response = rb.send().await.map_err(classify)?;
        let status = response.status();
        let headers = response.headers();
        let server_tx = header_text(headers, "citrix-transactionid")
            .or_else(|| header_text(headers, "x-cws-transactionid"));
        let retry_after =
            header_text(headers, header::RETRY_AFTER.as_str()).and_then(|v| parse_retry_after(&v));
        let location = header_text(headers, header::LOCATION.as_str());
        let body = response.bytes().await.map_err(classify)?.to_vec();
        tracing::debug!(
            method = %call.method,
            path = call.url.path(),
            status = status.as_u16(),
            transaction_id = server_tx.as_deref().unwrap_or(tx),
            "citrix response"
        );
        Ok(Answer {
            status,
            transaction_id: server_tx.unwrap_or_else(|| tx.to_owned()),
            retry_after,
            location,
            body,
            attempts: 1,
        })
    }
}

fn header_value(value: &str, label: &str) -> Result<HeaderValue, SendFailure> {
    HeaderValue::from_str(value).map_err(|_| {
        SendFailure::Invalid(format!(
            "the {label} contains characters that cannot be sent"
        ))
    })
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn classify(e: reqwest::Error) -> SendFailure {
    if e.is_timeout() {
        SendFailure::Timeout {
            connecting: e.is_connect(),
        }
    } else if e.is_connect() {
        SendFailure::Connect(error_chain(&e))
    } else if e.is_builder() {
        SendFailure::Invalid(error_chain(&e))
    } else {
        SendFailure::Dropped(error_chain(&e))
    }
}

/// The most specific causes of an error, e.g. "tcp connect error: Connection refused (os error
/// 111)". The outer layers ("error sending request for url (...)", "client error (Connect)") say
/// nothing the message around it does not, and the URL can carry IDs that do not belong in a
/// one-line message.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        current = err.source();
    }
    let start = parts.len().saturating_sub(2);
    snippet(&parts[start..].join(": "))
}

fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.to_string(),
    }
}

/// What [`Http::exchange`] hands back: the answer not retried, and whether an attempt before it
/// may have been carried out without its answer reaching us.
struct Exchanged {
    answer: Answer,
    follows_lost_answer: bool,
}

fn cancelled(purpose: &Purpose<'_>, transaction_id: Option<String>) -> Error {
    Error::Cancelled {
        message: format!(
            "Stopped before Citrix answered the request to {}: it was cancelled.",
            purpose.what
        ),
        transaction_id,
    }
}

/// Runs `work` unless `cancel` fires first (plus `grace` for work already under way); `None`
/// when cancelled. Without a token the work simply runs.
async fn cancellable<T>(
    cancel: Option<&CancellationToken>,
    grace: Duration,
    work: impl Future<Output = T>,
) -> Option<T> {
    let Some(cancel) = cancel else {
        return Some(work.await);
    };
    if cancel.is_cancelled() && grace.is_zero() {
        return None;
    }
    tokio::select! {
        biased;
        out = work => Some(out),
        () = async {
            cancel.cancelled().await;
            tokio::time::sleep(grace).await;
        } => None,
    }
}

/// A pause that a cancel cuts short (`None`).
async fn sleep(cancel: Option<&CancellationToken>, wait: Duration) -> Option<()> {
    cancellable(cancel, Duration::ZERO, tokio::time::sleep(wait)).await
}

fn join(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| Error::HostNotAllowed {
            message: format!("{base} cannot be used as a Citrix Cloud address."),
            transaction_id: None,
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Refuses any address our credentials or tokens must not go to (the policy lives in
/// [`crate::region`], shared with the app).
pub(crate) fn check_host(url: &Url) -> Result<(), Error> {
    endpoint_allowed(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn host_rules() {
        for ok in [
            "https://api.cloud.com/cvad/manage",
            "https://api-us.cloud.com",
            "https://API.CitrixCloud.jp",
            "https://api-eu.cloud.com./",
            "https://api-ap-s.cloud.com/cctrustoauth2/c/tokens/clients",
            "http://127.0.0.1:8787",
            "http://127.5.6.7",
            "http://[::1]:9000",
            "http://localhost:1",
            "https://localhost",
        ] {
            assert!(check_host(&url(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.cloud.com",
            "https://evilcloud.com",
            "https://api.cloud.com.evil.net",
            "https://citrixcloud.jp.example",
            "http://10.0.0.1",
            "http://192.168.1.1",
            "https://example.com",
            "ftp://api.cloud.com",
            "http://localhost.evil.com",
            "https://user:pw@api.cloud.com",
            // Only the exact hosts of the regions, not anything under the Citrix domains.
            "https://cloud.com.",
            "https://cloud.com",
            "https://evil.cloud.com",
            "https://customer.citrixcloud.jp",
            "https://api.cloudburrito.com",
            "https://api.cloud.com:8443",
            "http://user@127.0.0.1:8787",
        ] {
            let e = check_host(&url(bad)).expect_err(bad);
            assert_eq!(e.kind(), ErrorKind::HostNotAllowed);
        }
    }

    #[test]
    fn join_encodes_segments() {
        let base = url("https://api.cloud.com/cvad/manage");
        let u = join(&base, &["Sessions", "a/b", "$startRecording"]).expect("join");
        assert_eq!(
            u.as_str(),
            "https://api.cloud.com/cvad/manage/Sessions/a%2Fb/$startRecording"
        );
        let u = join(
            &url("http://127.0.0.1:1/"),
            &["cctrustoauth2", "cust", "tokens", "clients"],
        )
        .expect("join");
        assert_eq!(u.path(), "/cctrustoauth2/cust/tokens/clients");
    }
}
