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
//! - Every failure becomes one of the [`Error`] kinds; every result carries the transaction ID.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::auth::{parse_token_response, Token, TokenCache};
use crate::error::{snippet, ErrorBody};
use crate::limiter::{Limiter, Throttle};
use crate::region::{endpoint_allowed, is_loopback, Endpoints};
use crate::secret::Secret;
use crate::{ClientConfig, Error, Reply};

/// How hard to try before giving up on 429 / 5xx / dropped connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per call, the first one included (0 is treated as 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Cap on a single backoff.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, 1 s doubling to at most 20 s: a few seconds of patience for a blip, without
    /// leaving an officer staring at a spinner for minutes.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry `n` (1-based): `base * 2^(n-1)`, capped at `max_delay`, then
    /// "equal jitter" (a random point in the upper half) so that many clients, or the many
    /// requests of one bulk run, do not retry in lockstep.
    pub fn backoff(&self, n: u32) -> Duration {
        let exp = n.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(jitter())
    }

    fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// A number in [0, 1). A v4 UUID is 122 bits from the OS generator; the crate already depends on
/// it, and jitter needs no more than "not the same in every task".
fn jitter() -> f64 {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    (hi >> 11) as f64 / (1u64 << 53) as f64
}

/// For an interactive call, a server asking us to wait longer than this is treated as "rate
/// limited now": blocking the officer's screen for minutes is worse than an error that says when
/// to try again.
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(60);

/// A bulk run (a call with a limiter) waits out a longer `Retry-After`, pausing the whole run,
/// because failing every session of a compliance action is worse than a slower run. It is still
/// bounded: requests already sent are finished even after the officer cancels the run, so a
/// request must not be able to sit for an hour. Beyond this the call fails with `rateLimited`
/// and the asked wait on the error ([`Error::retry_after`]).
const BULK_RETRY_AFTER_CEILING: Duration = Duration::from_secs(300);

/// Dropped connections are retried at most this many times, on top of being within
/// `max_attempts`: a server that keeps dropping us is not coming back in seconds.
const MAX_DROP_RETRIES: u32 = 2;

/// With a bulk limiter, 429s are governed by the limiter; this is a last-resort cap per request so
/// that nothing can loop forever.
const THROTTLE_HARD_CAP_FACTOR: u32 = 8;

const JSON: &str = "application/json";
/// Exactly this: Citrix's token service rejects the `; charset=...` some libraries add.
const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// What a call is about, which decides what a 404 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The account or customer (`/me`, waking the site, the token service).
    Account,
    /// The whole site (listing or searching sessions): a 404 means the site is gone.
    Site,
    /// One session (`/Sessions/{id}...`, `RecordingStatus?id=`): a 404 means it has ended.
    Session,
}

/// One logical API call. (No `Debug`: a form body can hold the client secret.)
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    /// The `Citrix-InstanceId` (site ID); `None` for `/me` and the site-activation call.
    pub site: Option<&'a str>,
    pub scope: Scope,
    pub body: Body,
    /// What we were doing, for messages: "start recording", "list sessions"...
    pub what: &'static str,
    /// Start/stop recording: 400/409 business errors mean "cannot record this session".
    pub recording: bool,
}

/// A response of any status, read completely.
struct Raw {
    status: StatusCode,
    /// The server's `citrix-transactionid`, else the one we sent.
    transaction_id: String,
    retry_after: Option<Duration>,
    location: Option<String>,
    body: Vec<u8>,
    /// Counted attempts made (for "after N attempts" messages).
    attempts: u32,
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

    /// Sends an authenticated API call and decodes a successful JSON answer (`Null` when empty).
    pub async fn call(
        &self,
        call: Call<'_>,
        limiter: Option<&Limiter>,
    ) -> Result<Reply<Value>, Error> {
        check_host(&call.url)?;
        let mut token = self.tokens.get(|| self.fetch_token()).await?;
        let mut renewed = false;
        loop {
            let raw = self.exchange(&call, Auth::Bearer(&token), limiter).await?;
            if raw.status == StatusCode::UNAUTHORIZED {
                if !renewed {
                    // Expired early, revoked, or rotated: one fresh token, one more try.
                    renewed = true;
                    tracing::debug!(what = call.what, "401; renewing the token once");
                    token = self.tokens.renew(&token, || self.fetch_token()).await?;
                    continue;
                }
                let body = ErrorBody::parse(&raw.body);
                return Err(Error::TokenRejected {
                    message: format!(
                        "Citrix Cloud rejected the access token even after signing in again (HTTP 401){}",
                        detail(&body)
                    ),
                    transaction_id: Some(raw.transaction_id),
                });
            }
            return decode_success(&call, raw);
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
            site: None,
            body: Body::Form(vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", self.client_id.clone()),
                ("client_secret", self.secret.expose().to_owned()),
            ]),
            scope: Scope::Account,
            what: "sign in to Citrix Cloud",
            recording: false,
        };
        check_host(&call.url)?;
        // Not through the bulk limiter: the token service is a different service with its own
        // limits, and a run waits for its one token anyway.
        let raw = self.exchange(&call, Auth::None, None).await?;
        let status = raw.status.as_u16();
        if raw.status.is_success() {
            let value = serde_json::from_slice::<Value>(&raw.body).ok();
            return match value.as_ref().and_then(parse_token_response) {
                Some((secret, lifetime)) => Ok(Token::new(secret, lifetime)),
                None => Err(Error::Unexpected {
                    message: format!(
                        "The Citrix Cloud token service answered without a usable token{}",
                        detail(&ErrorBody::parse(&raw.body))
                    ),
                    transaction_id: Some(raw.transaction_id),
                }),
            };
        }
        let body = ErrorBody::parse(&raw.body);
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
                transaction_id: Some(raw.transaction_id),
            });
        }
        Err(map_status(&call, &raw, &body))
    }

    /// Sends `call`, retrying throttling, transient server errors and dropped connections within
    /// the policy. Returns the first response that is not retried (whatever its status).
    async fn exchange(
        &self,
        call: &Call<'_>,
        auth: Auth<'_>,
        limiter: Option<&Limiter>,
    ) -> Result<Raw, Error> {
        let max = self.retry.attempts();
        let mut counted = 0u32;
        let mut throttled = 0u32;
        let mut drops = 0u32;
        loop {
            let permit = match limiter {
                Some(l) => Some(l.acquire().await),
                None => None,
            };
            let sent_tx = uuid::Uuid::new_v4().to_string();
            let result = self.send_once(call, auth, &sent_tx).await;
            match result {
                Ok(mut raw) if raw.status == StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    if let Some(wait) = too_long_to_wait(raw.retry_after, limiter.is_some()) {
                        raw.attempts = counted + throttled;
                        return Err(rate_limited(call, &raw, Some(wait)));
                    }
                    let give_up = match permit {
                        Some(p) => {
                            p.throttled(raw.retry_after, &self.retry) == Throttle::GiveUp
                                || throttled >= max * THROTTLE_HARD_CAP_FACTOR
                        }
                        None => {
                            counted += 1;
                            counted >= max
                        }
                    };
                    raw.attempts = counted.max(throttled);
                    if give_up {
                        return Err(rate_limited(call, &raw, None));
                    }
                    if limiter.is_none() {
                        let wait = raw
                            .retry_after
                            .unwrap_or_else(|| self.retry.backoff(counted));
                        tracing::debug!(what = call.what, ?wait, "429; waiting");
                        tokio::time::sleep(wait).await;
                    }
                }
                Ok(mut raw) if is_retryable_status(&raw) => {
                    drop(permit);
                    counted += 1;
                    raw.attempts = counted;
                    if counted >= max {
                        return Ok(raw);
                    }
                    // A 503 may say when to come back; a reasonable hint beats our guess.
                    let wait = raw
                        .retry_after
                        .filter(|w| *w <= RETRY_AFTER_CEILING)
                        .unwrap_or_else(|| self.retry.backoff(counted));
                    tracing::debug!(
                        what = call.what,
                        status = raw.status.as_u16(),
                        ?wait,
                        "retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(mut raw) => {
                    if let Some(p) = permit {
                        p.succeeded();
                    }
                    counted += 1;
                    raw.attempts = counted;
                    return Ok(raw);
                }
                Err(SendFailure::Timeout { connecting: true }) => {
                    return Err(Error::Timeout {
                        message: format!(
                            "Could not connect to {} within {} s to {}.",
                            host_label(&call.url),
                            self.connect_timeout.as_secs_f32(),
                            call.what
                        ),
                        transaction_id: None,
                    });
                }
                Err(SendFailure::Timeout { connecting: false }) => {
                    return Err(Error::Timeout {
                        message: format!(
                            "Citrix Cloud did not answer within {} s while trying to {}.",
                            self.request_timeout.as_secs_f32(),
                            call.what
                        ),
                        // The request may have reached Citrix: our ID is what support can find.
                        transaction_id: Some(sent_tx),
                    });
                }
                Err(SendFailure::Connect(cause)) => {
                    return Err(Error::Network {
                        message: format!(
                            "Could not connect to {} to {}: {cause}",
                            host_label(&call.url),
                            call.what
                        ),
                        transaction_id: None,
                    });
                }
                Err(SendFailure::Dropped(cause)) => {
                    // The request may or may not have been processed. Sending it again is safe
                    // for every call here (reads, a token request, or start/stop recording,
                    // which Citrix documents as a no-op when already in the requested state).
                    drop(permit);
                    counted += 1;
                    drops += 1;
                    if drops > MAX_DROP_RETRIES || counted >= max {
                        return Err(Error::Network {
                            message: format!(
                                "The connection to {} was dropped before it answered (tried {counted} times to {}): {cause}",
                                host_label(&call.url),
                                call.what
                            ),
                            transaction_id: Some(sent_tx),
                        });
                    }
                    tracing::debug!(what = call.what, %cause, "connection dropped; retrying");
                    tokio::time::sleep(self.retry.backoff(counted)).await;
                }
                Err(SendFailure::Invalid(cause)) => {
                    return Err(Error::BadRequest {
                        message: format!("Could not build the request to {}: {cause}", call.what),
                        transaction_id: None,
                    });
                }
            }
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        auth: Auth<'_>,
        tx: &str,
    ) -> Result<Raw, SendFailure> {
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
            if let Some(site) = call.site {
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
        Ok(Raw {
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

/// The server's `Retry-After` when it is longer than this call may wait (see the ceilings above).
fn too_long_to_wait(retry_after: Option<Duration>, bulk: bool) -> Option<Duration> {
    let ceiling = if bulk {
        BULK_RETRY_AFTER_CEILING
    } else {
        RETRY_AFTER_CEILING
    };
    retry_after.filter(|w| *w > ceiling)
}

/// "about 2 minutes", for telling the officer when to try again.
fn rough_duration(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    let (n, unit) = if secs < 90 {
        (secs, "second")
    } else if secs < 3600 {
        ((secs + 30) / 60, "minute")
    } else {
        ((secs + 1800) / 3600, "hour")
    };
    format!("about {n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `Retry-After` in seconds. The HTTP-date form is not used by Citrix as far as we know; it
/// falls back to our own backoff, which is safe.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn is_retryable_status(raw: &Raw) -> bool {
    match raw.status.as_u16() {
        502..=504 => true,
        // Citrix sometimes reports a missing object as a 500 (see `map_status`); retrying that
        // would only delay the answer.
        500 => !ErrorBody::parse(&raw.body).mentions("object does not exist"),
        _ => false,
    }
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

fn detail(body: &ErrorBody) -> String {
    body.summary().map(|s| format!(": {s}")).unwrap_or_default()
}

fn rate_limited(call: &Call<'_>, raw: &Raw, asked: Option<Duration>) -> Error {
    let body = ErrorBody::parse(&raw.body);
    let message = match asked {
        Some(wait) => format!(
            "Citrix Cloud is limiting how many requests we send (HTTP 429) and asked us to wait {} s before trying to {} again{}. Try again in {}.",
            wait.as_secs(),
            call.what,
            detail(&body),
            rough_duration(wait)
        ),
        None => format!(
            "Citrix Cloud kept limiting how many requests we send (HTTP 429); gave up trying to {} after {} attempts{}",
            call.what,
            raw.attempts,
            detail(&body)
        ),
    };
    Error::RateLimited {
        message,
        transaction_id: Some(raw.transaction_id.clone()),
        retry_after: raw.retry_after,
    }
}

/// Turns a non-success response into the error kind that tells the officer what to do.
fn map_status(call: &Call<'_>, raw: &Raw, body: &ErrorBody) -> Error {
    let status = raw.status.as_u16();
    let tx = Some(raw.transaction_id.clone());
    let detail = detail(body);
    let what = call.what;
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
        404 => not_found(call, status, &detail, tx),
        500 if body.mentions("object does not exist") => not_found(call, status, &detail, tx),
        400 | 409
            if call.recording
                && (status == 409
                    || body.sdk_error_id.is_some()
                    || body.mentions("session operation")) =>
        {
            Error::CannotRecord {
                message: format!("Citrix could not {what} for this session (HTTP {status}){detail}"),
                transaction_id: tx,
            }
        }
        429 => rate_limited(call, raw, None),
        530 => Error::SiteAsleep {
            message: format!(
                "The Citrix DaaS site is hibernating (HTTP 530) and has to be woken up before it can {what}{detail}"
            ),
            transaction_id: tx,
        },
        500..=599 => Error::ServiceUnavailable {
            message: format!(
                "Citrix Cloud could not {what} right now (HTTP {status}, {} attempt{}){detail}",
                raw.attempts,
                if raw.attempts == 1 { "" } else { "s" }
            ),
            transaction_id: tx,
        },
        300..=399 => Error::Unexpected {
            message: format!(
                "Citrix Cloud redirected the request to {} (HTTP {status}); redirects are not followed so that credentials never leave Citrix",
                raw.location.as_deref().unwrap_or("another address")
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
/// was asked for; only a per-session call may say "the session has ended".
fn not_found(call: &Call<'_>, status: u16, detail: &str, transaction_id: Option<String>) -> Error {
    let what = call.what;
    match call.scope {
        Scope::Session => Error::NotFound {
            message: format!(
                "Citrix Cloud does not know this session (it has probably ended) while trying to {what} (HTTP {status}){detail}"
            ),
            transaction_id,
        },
        Scope::Site => Error::SiteNotFound {
            message: format!(
                "Citrix Cloud does not know the site \"{}\" any more (HTTP {status} while trying to {what}){detail}. Choose the site again.",
                call.site.unwrap_or_default()
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

fn decode_success(call: &Call<'_>, raw: Raw) -> Result<Reply<Value>, Error> {
    if !raw.status.is_success() {
        let body = ErrorBody::parse(&raw.body);
        return Err(map_status(call, &raw, &body));
    }
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Reply {
            value: Value::Null,
            transaction_id: Some(raw.transaction_id),
            raw: None,
        });
    }
    match serde_json::from_slice::<Value>(&raw.body) {
        Ok(value) => Ok(Reply {
            value,
            transaction_id: Some(raw.transaction_id),
            raw: None,
        }),
        // A 200 that is not JSON is typically a proxy's or portal's web page: never a success.
        Err(_) => Err(Error::Unexpected {
            message: format!(
                "Citrix Cloud's answer to \"{}\" could not be read (HTTP {}): expected JSON, got {}",
                call.what,
                raw.status.as_u16(),
                ErrorBody::parse(&raw.body).message.unwrap_or_else(|| "something else".into())
            ),
            transaction_id: Some(raw.transaction_id),
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
            assert_eq!(e.kind(), "hostNotAllowed");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            assert!(p.backoff(30) <= Duration::from_millis(500));
        }
    }

    #[test]
    fn a_bulk_run_waits_out_a_longer_retry_after_than_an_interactive_call() {
        let secs = |s| Some(Duration::from_secs(s));
        // Interactive: up to a minute, then fail fast.
        assert_eq!(too_long_to_wait(secs(60), false), None);
        assert_eq!(too_long_to_wait(secs(90), false), secs(90));
        // Bulk (with a limiter): a 90 s pause is waited out, an hour is not.
        assert_eq!(too_long_to_wait(secs(90), true), None);
        assert_eq!(too_long_to_wait(secs(300), true), None);
        assert_eq!(too_long_to_wait(secs(3600), true), secs(3600));
        assert_eq!(too_long_to_wait(None, false), None);
    }

    #[test]
    fn rough_durations() {
        let d = |s| rough_duration(Duration::from_secs(s));
        assert_eq!(d(1), "about 1 second");
        assert_eq!(d(61), "about 61 seconds");
        assert_eq!(d(90), "about 2 minutes");
        assert_eq!(d(600), "about 10 minutes");
        assert_eq!(d(3600), "about 1 hour");
        assert_eq!(d(86_400), "about 24 hours");
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
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
