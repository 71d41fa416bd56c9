//! Fault switches and the responses they produce. All state here is behind one short-held
//! `std::sync::Mutex` in `State`; nothing in this module awaits.
//!
//! "API request" below means a request under `/cvad/manage`. Latency applies to every request
//! (token and activation included) so that benchmarks see realistic round trips; every other
//! fault applies to API requests only, so that a test can aim a fault at an API call without
//! first predicting whether the client will fetch a token.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::config::{SimConfig, UnseenCustomerTokens, VisibleCustomer};
use crate::errors;
use crate::fixtures::Prng;
use crate::http;
use crate::search::SearchMode;

/// How long a sleeping site takes to wake after the activation call, unless changed.
pub const DEFAULT_WAKE_DELAY: Duration = Duration::from_secs(2);
/// How long an async job takes from creation to its final status, unless changed.
pub const DEFAULT_JOB_DURATION: Duration = Duration::from_millis(300);

#[derive(Debug)]
pub struct Faults {
    pub latency: Duration,
    pub token_lifetime: Duration,
    pub bad_credentials_status: StatusCode,
    pub forbidden_region: bool,
    pub strict_accept: bool,
    pub wake_delay: Duration,
    pub job_duration: Duration,
    site_asleep: bool,
    wake_at: Option<Instant>,
    burst_429: u32,
    burst_retry_after: Option<u64>,
    bucket: Option<TokenBucket>,
    error_burst: Option<(StatusCode, u32)>,
    resets: u32,
    stalls: u32,
    stall_for: Duration,
    pub record_delay: Delay,
    pub stop_delay: Delay,
    pub search_mode: SearchMode,
    pub other_customers: Vec<VisibleCustomer>,
    pub unseen_customer_tokens: UnseenCustomerTokens,
    lost_answers: u32,
    lost_answer: FaultAnswer,
    lost_scope: LostScope,
    status_faults: u32,
    status_answer: FaultAnswer,
    /// Draws the jitter of recording delays.
    prng: Prng,
}

/// A delay of `base` plus a uniformly drawn extra of up to `jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delay {
    pub base: Duration,
    pub jitter: Duration,
}

/// What a client gets instead of the answer it should have had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAnswer {
    /// The connection is reset without a byte of response.
    Drop,
    /// A 5xx status with the body the real path gives for it (502 and 504 are the HTML pages of
    /// the gateway, 503 `ErrorData` or plain text, 500 the `{activityId, ...}` JSON).
    Status(u16),
}

impl FaultAnswer {
    /// `"drop"` or a 5xx status such as `"502"`.
    pub fn parse(text: &str) -> Option<FaultAnswer> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("drop") {
            return Some(FaultAnswer::Drop);
        }
        text.parse::<u16>()
            .ok()
            .filter(|code| (500..=599).contains(code))
            .map(FaultAnswer::Status)
    }
}

/// Which requests lose their answer after being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LostScope {
    /// `$startRecording` and `$stopRecording` only.
    #[default]
    StartStop,
    /// Every API request that reaches the service.
    AnyRequest,
}

/// Something that happens to the connection before any HTTP-level processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFault {
    Reset,
    Stall(Duration),
}

/// An answer the gateway gives before the request reaches the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayFault {
    TooManyRequests { retry_after: Option<u64> },
    Status(StatusCode),
}

/// Sustained rate limit: `rate` requests per second with a burst of one second's worth.
#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
    with_retry_after: bool,
}

impl TokenBucket {
    /// Takes one request's worth; on refusal returns the whole seconds until one is available.
    fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - self.tokens) / self.rate).ceil();
            // `as` saturates; the wait is finite and positive because rate > 0.
            Err((wait as u64).max(1))
        }
    }
}

impl Faults {
    pub fn new(cfg: &SimConfig) -> Faults {
        Faults {
            latency: cfg.latency,
            token_lifetime: cfg.token_lifetime,
            bad_credentials_status: StatusCode::BAD_REQUEST,
            forbidden_region: false,
            strict_accept: true,
            wake_delay: DEFAULT_WAKE_DELAY,
            job_duration: DEFAULT_JOB_DURATION,
            site_asleep: false,
            wake_at: None,
            burst_429: 0,
            burst_retry_after: None,
            bucket: None,
            error_burst: None,
            resets: 0,
            stalls: 0,
            stall_for: Duration::ZERO,
            record_delay: Delay {
                base: cfg.record_delay,
                jitter: cfg.record_jitter,
            },
            stop_delay: Delay {
                base: cfg.stop_delay,
                jitter: Duration::ZERO,
            },
            search_mode: SearchMode::default(),
            other_customers: cfg.other_customers.clone(),
            unseen_customer_tokens: cfg.unseen_customer_tokens,
            lost_answers: 0,
            lost_answer: FaultAnswer::Drop,
            lost_scope: LostScope::default(),
            status_faults: 0,
            status_answer: FaultAnswer::Drop,
            prng: Prng::new(uuid::Uuid::new_v4().as_u64_pair().0),
        }
    }

    /// How long the start (or stop) accepted now takes to show in `RecordingStatus`.
    pub fn recording_delay(&mut self, start: bool) -> Duration {
        let delay = if start {
            self.record_delay
        } else {
            self.stop_delay
        };
        if delay.jitter.is_zero() {
            return delay.base;
        }
        delay.base + delay.jitter.mul_f64(self.prng.unit())
    }

    pub fn lose_answers(&mut self, n: u32, answer: FaultAnswer, scope: LostScope) {
        self.lost_answers = n;
        self.lost_answer = answer;
        self.lost_scope = scope;
    }

    /// Consumes one pending lost answer if this request is in scope.
    pub fn take_lost_answer(&mut self, is_start_or_stop: bool) -> Option<FaultAnswer> {
        let in_scope = is_start_or_stop || self.lost_scope == LostScope::AnyRequest;
        if self.lost_answers == 0 || !in_scope {
            return None;
        }
        self.lost_answers -= 1;
        Some(self.lost_answer)
    }

    pub fn fail_status_lookups(&mut self, n: u32, answer: FaultAnswer) {
        self.status_faults = n;
        self.status_answer = answer;
    }

    /// Consumes one pending `RecordingStatus` failure.
    pub fn take_status_fault(&mut self) -> Option<FaultAnswer> {
        if self.status_faults == 0 {
            return None;
        }
        self.status_faults -= 1;
        Some(self.status_answer)
    }

    pub fn rate_limit_burst(&mut self, n: u32, retry_after: Option<u64>) {
        self.burst_429 = n;
        self.burst_retry_after = retry_after;
    }

    pub fn rate_limit_per_second(&mut self, rate: Option<f64>, with_retry_after: bool) {
        self.bucket = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|rate| TokenBucket {
                rate,
                capacity: rate.max(1.0),
                tokens: rate.max(1.0),
                last: Instant::now(),
                with_retry_after,
            });
    }

    pub fn error_burst(&mut self, status: StatusCode, n: u32) {
        self.error_burst = (n > 0).then_some((status, n));
    }

    pub fn reset_connections(&mut self, n: u32) {
        self.resets = n;
    }

    pub fn stall(&mut self, n: u32, d: Duration) {
        self.stalls = n;
        self.stall_for = d;
    }

    pub fn set_site_asleep(&mut self, asleep: bool) {
        self.site_asleep = asleep;
        self.wake_at = None;
    }

    /// True while the site sleeps; a pending wake-up that is due takes effect here.
    pub fn site_is_asleep(&mut self, now: Instant) -> bool {
        if self.site_asleep && self.wake_at.is_some_and(|at| now >= at) {
            self.site_asleep = false;
            self.wake_at = None;
        }
        self.site_asleep
    }

    /// The activation call: a sleeping site starts waking (a second call does not restart the
    /// clock, like pressing a lift button twice).
    pub fn start_waking(&mut self, now: Instant) {
        if self.site_asleep && self.wake_at.is_none() {
            self.wake_at = Some(now + self.wake_delay);
        }
    }

    /// Consumes one pending reset or stall. Resets go first: a reset request never gets as far
    /// as stalling.
    pub fn take_connection_fault(&mut self) -> Option<ConnectionFault> {
        if self.resets > 0 {
            self.resets -= 1;
            Some(ConnectionFault::Reset)
        } else if self.stalls > 0 {
            self.stalls -= 1;
            Some(ConnectionFault::Stall(self.stall_for))
        } else {
            None
        }
    }

    /// Consumes one pending gateway answer: a 429 burst, then a 5xx burst, then the sustained
    /// rate limit (which only counts requests that got this far).
    pub fn take_gateway_fault(&mut self, now: Instant) -> Option<GatewayFault> {
        if self.burst_429 > 0 {
            self.burst_429 -= 1;
            return Some(GatewayFault::TooManyRequests {
                retry_after: self.burst_retry_after,
            });
        }
        if let Some((status, left)) = self.error_burst {
            self.error_burst = (left > 1).then_some((status, left - 1));
            return Some(GatewayFault::Status(status));
        }
        let bucket = self.bucket.as_mut()?;
        match bucket.take(now) {
            Ok(()) => None,
            Err(wait) => Some(GatewayFault::TooManyRequests {
                retry_after: bucket.with_retry_after.then_some(wait),
            }),
        }
    }
}

/// The response for a gateway fault. `variant` alternates bodies where the real service is
/// inconsistent (a 503 is sometimes `ErrorData`, sometimes plain text).
pub fn gateway_response(fault: GatewayFault, variant: u64) -> Response {
    match fault {
        GatewayFault::TooManyRequests { retry_after } => {
            let mut response = http::json(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({
                    "type": "https://errors-api.cloud.com/common/tooManyRequests",
                    "detail": "Too many requests. Slow down and try again later.",
                    "parameters": [],
                }),
            );
            if let Some(secs) = retry_after {
                http::set_header(&mut response, "retry-after", &secs.to_string());
            }
            response
        }
        GatewayFault::Status(status) => status_response(status, variant),
    }
}

fn status_response(status: StatusCode, variant: u64) -> Response {
    match status {
        StatusCode::BAD_GATEWAY => http::text(
            status,
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
                .to_owned(),
        ),
        StatusCode::SERVICE_UNAVAILABLE if variant % 2 == 1 => http::text(
            status,
            "text/plain; charset=utf-8",
            "Service Unavailable".to_owned(),
        ),
        StatusCode::SERVICE_UNAVAILABLE => errors::error_data(
            status,
            "The service is temporarily unavailable. Please try again later.",
            "ServiceUnavailable",
        ),
        StatusCode::INTERNAL_SERVER_ERROR => errors::missing_customer(),
        StatusCode::GATEWAY_TIMEOUT => http::text(
            status,
            "text/html",
            "<html><head><title>504 Gateway Time-out</title></head>\
             <body><center><h1>504 Gateway Time-out</h1></center></body></html>"
                .to_owned(),
        ),
        other => errors::error_data(
            other,
            other.canonical_reason().unwrap_or("Error"),
            "SimulatedFault",
        ),
    }
}

/// The response standing in for a lost answer or a failed look-up.
pub fn fault_response(answer: FaultAnswer, variant: u64) -> Response {
    match answer {
        FaultAnswer::Drop => http::reset(),
        FaultAnswer::Status(code) => status_response(
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
            variant,
        ),
    }
}

/// What a hibernated site answers: Cloudflare's origin error page, not JSON.
pub fn site_asleep_response() -> Response {
    let status = StatusCode::from_u16(530).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    http::text(
        status,
        "text/html; charset=UTF-8",
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>Origin DNS error | api.cloud.com | \
         Cloudflare</title>\n</head>\n<body>\n<div id=\"cf-error-details\">\n<h1>\
         <span>Error</span> <span>1016</span></h1>\n<h2>Origin DNS error</h2>\n\
         <p>The site is not available right now.</p>\n</div>\n</body>\n</html>\n"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refuses_beyond_the_rate_and_refills() {
        let mut f = Faults::new(&SimConfig::default());
        f.rate_limit_per_second(Some(2.0), true);
        let t0 = Instant::now();
        assert_eq!(f.take_gateway_fault(t0), None);
        assert_eq!(f.take_gateway_fault(t0), None);
        assert_eq!(
            f.take_gateway_fault(t0),
            Some(GatewayFault::TooManyRequests {
                retry_after: Some(1)
            })
        );
        assert_eq!(f.take_gateway_fault(t0 + Duration::from_millis(600)), None);
    }

    #[test]
    fn bursts_are_consumed_in_order() {
        let mut f = Faults::new(&SimConfig::default());
        f.rate_limit_burst(1, None);
        f.error_burst(StatusCode::BAD_GATEWAY, 2);
        let now = Instant::now();
        assert_eq!(
            f.take_gateway_fault(now),
            Some(GatewayFault::TooManyRequests { retry_after: None })
        );
        assert_eq!(
            f.take_gateway_fault(now),
            Some(GatewayFault::Status(StatusCode::BAD_GATEWAY))
        );
        assert_eq!(
            f.take_gateway_fault(now),
            Some(GatewayFault::Status(StatusCode::BAD_GATEWAY))
        );
        assert_eq!(f.take_gateway_fault(now), None);
    }

    #[test]
    fn site_wakes_after_delay() {
        let mut f = Faults::new(&SimConfig::default());
        f.wake_delay = Duration::from_secs(2);
        f.set_site_asleep(true);
        let t0 = Instant::now();
        assert!(f.site_is_asleep(t0));
        f.start_waking(t0);
        assert!(f.site_is_asleep(t0 + Duration::from_secs(1)));
        assert!(!f.site_is_asleep(t0 + Duration::from_secs(2)));
    }
}
