//! An AIMD (additive increase, multiplicative decrease) limiter shared by every API request of a
//! client (runs, status look-ups, searches), so that they all share Citrix's rate limit, and a run
//! against a rate-limited tenant slows down to what the server accepts instead of failing
//! sessions.
//!
//! - Each HTTP attempt holds a permit; at most `window` attempts are in flight.
//! - A 429 halves the window (once per "round": answers to requests sent before the last
//!   decrease are echoes of the same congestion and do not halve again) and pauses *every*
//!   request until `Retry-After` has passed, or an exponential backoff when there is none.
//! - Each non-throttled answer grows the window by `1/window`, i.e. about one per round trip,
//!   back up to the run's concurrency.
//! - Throttling is only given up on when the window is already down to one request and the server
//!   still refused twice `max_attempts` rounds in a row (each after a longer pause) with nobody
//!   succeeding in between: the server then refuses us outright, and waiting longer would hang
//!   the run. Twice, because in a bulk run giving up fails sessions of a compliance action,
//!   which is worse than a slower run, while a round at the floor costs the server one request.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::retry::RetryPolicy;

/// See the module docs: rounds refused at a window of one, per `max_attempts`, before giving up.
const FLOOR_ROUNDS_PER_ATTEMPT: u32 = 2;

pub(crate) struct Limiter {
    state: Mutex<State>,
    notify: Notify,
}

struct State {
    /// The configured concurrency: the window's ceiling.
    max: f64,
    window: f64,
    in_flight: usize,
    paused_until: Option<Instant>,
    /// Bumped at each decrease; a permit remembers the round it was taken in.
    round: u64,
    /// Decreases since the last success (drives the backoff when there is no `Retry-After`).
    consecutive: u32,
    /// Rounds throttled while already at a window of one, since the last success.
    at_floor: u32,
}

/// What to do after a 429.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Throttle {
    /// Try again: the limiter has paused everyone as long as needed.
    Retry,
    /// The server keeps refusing even one request at a time; report `rateLimited`.
    GiveUp,
}

impl Limiter {
    pub fn new(concurrency: usize) -> Limiter {
        let max = concurrency.max(1) as f64;
        Limiter {
            state: Mutex::new(State {
                max,
                window: max,
                in_flight: 0,
                paused_until: None,
                round: 0,
                consecutive: 0,
                at_floor: 0,
            }),
            notify: Notify::new(),
        }
    }

    /// A new concurrency setting. The window starts afresh at it: the officer chose the number,
    /// and throttling will bring it down again if Citrix disagrees.
    pub fn set_concurrency(&self, concurrency: usize) {
        {
            let mut s = self.lock();
            s.max = concurrency.max(1) as f64;
            s.window = s.max;
        }
        self.notify.notify_waiters();
    }

    /// The configured concurrency.
    pub fn concurrency(&self) -> usize {
        self.lock().max as usize
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain numbers, always consistent between statements: a panic elsewhere
        // while holding the lock cannot leave it half-updated, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current window, rounded down (for tests and diagnostics).
    #[allow(dead_code)]
    pub fn window(&self) -> usize {
        self.lock().window as usize
    }

    /// Waits for a pause to end and for room in the window.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Register interest before looking at the state, so a release between the check and
            // the await is not missed.
            notified.as_mut().enable();
            let pause = {
                let mut s = self.lock();
                match s.paused_until {
                    Some(until) if until > Instant::now() => Some(until),
                    _ => {
                        if s.in_flight < (s.window as usize).max(1) {
                            s.in_flight += 1;
                            return Permit {
                                limiter: self,
                                round: s.round,
                            };
                        }
                        None
                    }
                }
            };
            match pause {
                Some(until) => tokio::time::sleep_until(until).await,
                None => notified.await,
            }
        }
    }
}

/// Room for one request in flight; released on drop.
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    round: u64,
}

impl Permit<'_> {
    /// The server answered without throttling.
    pub fn succeeded(self) {
        let mut s = self.limiter.lock();
        s.window = (s.window + 1.0 / s.window).min(s.max);
        s.consecutive = 0;
        s.at_floor = 0;
    }

    /// The server answered 429.
    pub fn throttled(self, retry_after: Option<Duration>, policy: &RetryPolicy) -> Throttle {
        let mut s = self.limiter.lock();
        let now = Instant::now();
        if self.round == s.round {
            if s.window <= 1.0 {
                s.at_floor += 1;
            }
            s.window = (s.window / 2.0).max(1.0);
            s.round += 1;
            s.consecutive += 1;
            let wait = retry_after.unwrap_or_else(|| policy.backoff(s.consecutive));
            let until = now + wait;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        } else if let Some(wait) = retry_after {
            // An echo of a throttle already acted on: no second halving, but a longer
            // Retry-After from the server still wins.
            let until = now + wait;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        }
        if s.at_floor >= FLOOR_ROUNDS_PER_ATTEMPT * policy.max_attempts.max(1) {
            Throttle::GiveUp
        } else {
            Throttle::Retry
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        {
            let mut s = self.limiter.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.limiter.notify.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        }
    }

    #[tokio::test]
    async fn halves_once_per_round_and_recovers() {
        let l = Limiter::new(16);
        let permits: Vec<_> = futures::future::join_all((0..16).map(|_| l.acquire())).await;
        // All 16 were sent in round 0; only the first 429 halves.
        for p in permits {
            assert_eq!(p.throttled(None, &policy()), Throttle::Retry);
        }
        assert_eq!(l.window(), 8);
        for _ in 0..200 {
            l.acquire().await.succeeded();
        }
        assert_eq!(l.window(), 16);
    }

    #[tokio::test]
    async fn gives_up_only_at_the_floor() {
        let l = Limiter::new(4);
        let mut verdicts = Vec::new();
        for _ in 0..12 {
            let p = l.acquire().await;
            verdicts.push(p.throttled(Some(Duration::from_millis(1)), &policy()));
        }
        // 4 -> 2 -> 1 (two rounds), then 2 x 3 rounds at the floor.
        let first_give_up = verdicts.iter().position(|v| *v == Throttle::GiveUp);
        assert_eq!(first_give_up, Some(7));
    }

    #[tokio::test]
    async fn window_bounds_in_flight() {
        let l = Limiter::new(2);
        let a = l.acquire().await;
        let _b = l.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), l.acquire()).await;
        assert!(third.is_err(), "a third permit must wait");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), l.acquire()).await;
        assert!(third.is_ok());
    }

    #[tokio::test]
    async fn pause_is_shared() {
        let l = Limiter::new(4);
        let p = l.acquire().await;
        p.throttled(Some(Duration::from_millis(150)), &policy());
        let t0 = Instant::now();
        let _q = l.acquire().await;
        assert!(t0.elapsed() >= Duration::from_millis(140));
    }
}
