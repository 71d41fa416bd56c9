//! The bearer-token cache.
//!
//! Citrix client-credential tokens live an hour and cannot be refreshed, only re-requested. The
//! cache hands out the current token while it has more than a safety margin left, and makes sure
//! that any number of concurrent callers needing a new one cause exactly one token request
//! (single flight): the lock is held across the request, so latecomers wait and then find the
//! fresh token. A token the API rejected (401) is renewed the same way, and only if nobody has
//! renewed it in the meantime, so a burst of 401s after a revocation also costs one request.
//!
//! Failures are shared the same way: callers that were already waiting while a token request
//! failed get that request's error instead of each trying again in turn. Otherwise, during a token
//! service outage (or after the secret was rotated), every queued caller would pay the full retry
//! schedule one after another. A caller that arrives after the failure tries again.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::secret::Secret;
use crate::Error;

/// Renew when less than this is left on a normal (one hour) token, like Citrix's own Go client.
const MAX_MARGIN: Duration = Duration::from_secs(60);

/// Used when the token service omits `expires_in` or sends something unreadable: the documented
/// lifetime. If it is wrong the 401-renew path still recovers.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// An issued bearer token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub value: Secret,
    expires_at: Instant,
    lifetime: Duration,
    /// Which issue of the cache this is; lets a 401 say *which* token was rejected.
    generation: u64,
}

impl Token {
    pub fn new(value: Secret, lifetime: Duration) -> Token {
        Token {
            value,
            expires_at: Instant::now() + lifetime,
            lifetime,
            generation: 0,
        }
    }

    /// Renewal margin: a minute, or a tenth of the lifetime for short-lived tokens (tests, and
    /// any future shorter lifetimes) so they are still used for most of their life.
    fn margin(&self) -> Duration {
        MAX_MARGIN.min(self.lifetime / 10)
    }

    fn is_fresh(&self, now: Instant) -> bool {
        now + self.margin() < self.expires_at
    }
}

/// Reads the token service's answer. `expires_in` is a JSON string in every Citrix sample
/// (`"3600"`) but a number in OAuth generally, so both are accepted.
pub(crate) fn parse_token_response(body: &Value) -> Option<(Secret, Duration)> {
    let access = body.get("access_token")?.as_str()?.trim();
    if access.is_empty() {
        return None;
    }
    let secs = match body.get("expires_in") {
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    let lifetime = secs
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0 * 365.0)))
        .unwrap_or(DEFAULT_LIFETIME);
    Some((Secret::new(access.to_owned()), lifetime))
}

#[derive(Default)]
pub(crate) struct TokenCache {
    state: Mutex<State>,
    /// Token requests started (each one's generation).
    issued: AtomicU64,
    /// Token requests finished, successfully or not. Read before queueing for the lock: a request
    /// that finishes after that read is one the caller was waiting behind.
    finished: AtomicU64,
}

#[derive(Default)]
struct State {
    current: Option<Token>,
    /// The most recent failed token request: its generation and error.
    last_failure: Option<(u64, Error)>,
}

impl State {
    /// The error of a token request that failed after the caller started waiting, if any.
    fn failure_since(&self, finished_before: u64) -> Option<Error> {
        self.last_failure
            .as_ref()
            .filter(|(generation, _)| *generation > finished_before)
            .map(|(_, e)| e.clone())
    }
}

impl TokenCache {
    /// How many token requests were made (successful or not).
    pub fn requests(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    /// The current token, requesting a new one (once, for all waiters) when needed.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, Error>>,
    {
        let finished_before = self.finished.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        if let Some(t) = state
            .current
            .as_ref()
            .filter(|t| t.is_fresh(Instant::now()))
        {
            return Ok(t.clone());
        }
        if let Some(e) = state.failure_since(finished_before) {
            return Err(e);
        }
        self.refresh(&mut state, fetch).await
    }

    /// A replacement for `rejected`, which the API refused with 401. If another caller already
    /// replaced it, that replacement is returned without a new request.
    pub async fn renew<F, Fut>(&self, rejected: &Token, fetch: F) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, Error>>,
    {
        let finished_before = self.finished.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        if let Some(t) = state
            .current
            .as_ref()
            .filter(|t| t.generation != rejected.generation && t.is_fresh(Instant::now()))
        {
            return Ok(t.clone());
        }
        if let Some(e) = state.failure_since(finished_before) {
            return Err(e);
        }
        self.refresh(&mut state, fetch).await
    }

    async fn refresh<F, Fut>(&self, state: &mut State, fetch: F) -> Result<Token, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token, Error>>,
    {
        // Drop the old token first: if the request fails, later callers must try again rather
        // than reuse a token we already know to be stale or rejected.
        state.current = None;
        let generation = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let result = fetch().await;
        let result = match result {
            Ok(mut token) => {
                token.generation = generation;
                state.current = Some(token.clone());
                state.last_failure = None;
                Ok(token)
            }
            Err(e) => {
                state.last_failure = Some((generation, e.clone()));
                Err(e)
            }
        };
        // Still under the lock, so a waiter sees the outcome stored before this number moves.
        self.finished.store(generation, Ordering::SeqCst);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn expires_in_string_or_number() {
        let (_, l) =
            parse_token_response(&json!({"access_token":"a","expires_in":"3600"})).expect("string");
        assert_eq!(l, Duration::from_secs(3600));
        let (_, l) =
            parse_token_response(&json!({"access_token":"a","expires_in":120})).expect("number");
        assert_eq!(l, Duration::from_secs(120));
        let (_, l) =
            parse_token_response(&json!({"access_token":"a","expires_in":"soon"})).expect("odd");
        assert_eq!(l, DEFAULT_LIFETIME);
        assert!(parse_token_response(&json!({"token":"a"})).is_none());
        assert!(parse_token_response(&json!({"access_token":""})).is_none());
    }

    #[test]
    fn margins() {
        let t = Token::new(Secret::new("a".into()), Duration::from_secs(3600));
        assert_eq!(t.margin(), Duration::from_secs(60));
        let t = Token::new(Secret::new("a".into()), Duration::from_secs(2));
        assert_eq!(t.margin(), Duration::from_millis(200));
    }

    #[tokio::test]
    async fn single_flight() {
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(Token::new(
                            Secret::new("t".into()),
                            Duration::from_secs(3600),
                        ))
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect("token");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.requests(), 1);
    }

    #[tokio::test]
    async fn renew_only_once_per_rejected_token() {
        let cache = TokenCache::default();
        let mk = |v: &str| {
            let v = v.to_owned();
            move || async move { Ok(Token::new(Secret::new(v), Duration::from_secs(3600))) }
        };
        let first = cache.get(mk("one")).await.expect("first");
        let second = cache.renew(&first, mk("two")).await.expect("renewed");
        assert_eq!(second.value.expose(), "two");
        // A second caller that also held "one" gets "two" without another request.
        let again = cache.renew(&first, mk("three")).await.expect("shared");
        assert_eq!(again.value.expose(), "two");
        assert_eq!(cache.requests(), 2);
    }

    fn failing(
        calls: Arc<AtomicU64>,
    ) -> impl FnOnce() -> futures::future::BoxFuture<'static, Result<Token, Error>> {
        move || {
            Box::pin(async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(Error::ServiceUnavailable {
                    message: format!("token service down ({n})"),
                    transaction_id: None,
                })
            })
        }
    }

    #[tokio::test]
    async fn waiters_share_a_failed_fetch() {
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move { cache.get(failing(calls)).await }));
        }
        for t in tasks {
            let e = t.await.expect("join").expect_err("the fetch failed");
            assert_eq!(
                e.message(),
                "token service down (1)",
                "everyone got the one error"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.requests(), 1);

        // A caller arriving after the failure tries again, and a success clears it.
        let e = cache
            .get(failing(calls.clone()))
            .await
            .expect_err("still down");
        assert_eq!(e.message(), "token service down (2)");
        let t = cache
            .get(|| async {
                Ok(Token::new(
                    Secret::new("up".into()),
                    Duration::from_secs(3600),
                ))
            })
            .await
            .expect("back");
        assert_eq!(t.value.expose(), "up");
        assert_eq!(cache.requests(), 3);
    }

    #[tokio::test]
    async fn waiters_share_a_failed_renewal() {
        let cache = Arc::new(TokenCache::default());
        let first = cache
            .get(|| async {
                Ok(Token::new(
                    Secret::new("one".into()),
                    Duration::from_secs(3600),
                ))
            })
            .await
            .expect("first");
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let cache = cache.clone();
            let calls = calls.clone();
            let first = first.clone();
            tasks.push(tokio::spawn(async move {
                cache.renew(&first, failing(calls)).await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect_err("the renewal failed");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.requests(), 2);
    }
}
