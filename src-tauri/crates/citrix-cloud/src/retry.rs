//! How long and how often a call may keep trying: the retry policy, its backoff, and how much of
//! a server's `Retry-After` a call waits out. Shared by the HTTP choke point and the limiter, and
//! depending on neither.

use std::time::Duration;

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

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// A number in [0, 1). A v4 UUID is 122 bits from the OS generator; the crate already depends on
/// it, and jitter needs no more than "not the same in every task".
fn jitter() -> f64 {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    (hi >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a call may wait for Citrix's rate limit to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Patience {
    /// Someone is looking at a spinner: a few attempts, and a `Retry-After` of at most a minute.
    Interactive,
    /// A start/stop run: failing sessions of a compliance action is worse than a slower run, so
    /// throttling is waited out much longer (see the limiter's give-up rule).
    Run,
}

/// For an interactive call, a server asking us to wait longer than this is treated as "rate
/// limited now": blocking the officer's screen for minutes is worse than an error that says when
/// to try again.
pub(crate) const RETRY_AFTER_CEILING: Duration = Duration::from_secs(60);

/// A run waits out a longer `Retry-After`, pausing the whole client, because failing every
/// session of a compliance action is worse than a slower run. It is still bounded: a request
/// must not be able to sit for an hour. Beyond this the call fails with `rateLimited` and the
/// asked wait on the error ([`crate::Error::retry_after`]).
const RUN_RETRY_AFTER_CEILING: Duration = Duration::from_secs(300);

/// Dropped connections are retried at most this many times, on top of being within
/// `max_attempts`: a server that keeps dropping us is not coming back in seconds.
pub(crate) const MAX_DROP_RETRIES: u32 = 2;

/// In a run, 429s are governed by the limiter; this is a last-resort cap per request so that
/// nothing can loop forever.
pub(crate) const THROTTLE_HARD_CAP_FACTOR: u32 = 8;

/// The server's `Retry-After` when it is longer than a call of this patience may wait.
pub(crate) fn too_long_to_wait(
    retry_after: Option<Duration>,
    patience: Patience,
) -> Option<Duration> {
    let ceiling = match patience {
        Patience::Interactive => RETRY_AFTER_CEILING,
        Patience::Run => RUN_RETRY_AFTER_CEILING,
    };
    retry_after.filter(|w| *w > ceiling)
}

/// `Retry-After` in seconds. The HTTP-date form is not used by Citrix as far as we know; it
/// falls back to our own backoff, which is safe.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// "about 2 minutes", for telling the officer when to try again.
pub(crate) fn rough_duration(d: Duration) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_run_waits_out_a_longer_retry_after_than_an_interactive_call() {
        let secs = |s| Some(Duration::from_secs(s));
        let (i, r) = (Patience::Interactive, Patience::Run);
        // Interactive: up to a minute, then fail fast.
        assert_eq!(too_long_to_wait(secs(60), i), None);
        assert_eq!(too_long_to_wait(secs(90), i), secs(90));
        // A run: a 90 s pause is waited out, an hour is not.
        assert_eq!(too_long_to_wait(secs(90), r), None);
        assert_eq!(too_long_to_wait(secs(300), r), None);
        assert_eq!(too_long_to_wait(secs(3600), r), secs(3600));
        assert_eq!(too_long_to_wait(None, i), None);
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
}
