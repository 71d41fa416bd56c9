//! Start/stop requests held back until released, so that a test can know for certain that a
//! run is in progress (its requests are waiting at Citrix) instead of hoping that latency keeps
//! it going long enough. A held request waits before it is processed: until it is released,
//! Citrix has neither applied the change nor answered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;

/// Which start/stop requests are held: the next `pass` are served, then `hold` of them are
/// held (`None`: all), and any after those are served again.
#[derive(Debug, Clone, Copy)]
struct Plan {
    pass: u32,
    hold: Option<u32>,
}

#[derive(Debug)]
pub struct Holds {
    /// `None`: nothing is held.
    plan: Mutex<Option<Plan>>,
    /// Start/stop requests waiting right now.
    held: AtomicU64,
    /// Bumped on each release; a held request waits for the number it saw to change.
    releases: watch::Sender<u64>,
}

impl Default for Holds {
    fn default() -> Self {
        Holds {
            plan: Mutex::new(None),
            held: AtomicU64::new(0),
            releases: watch::channel(0).0,
        }
    }
}

/// Counts one held request for as long as it waits, also when its client goes away and the
/// request is dropped while waiting.
struct Waiting<'a>(&'a AtomicU64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Holds {
    /// From now on the next `pass` start/stop requests go through, then `hold` of them are held
    /// (`None`: every later one), and any after those go through again.
    pub fn hold_after(&self, pass: u32, hold: Option<u32>) {
        *self.plan.lock().unwrap_or_else(PoisonError::into_inner) = Some(Plan { pass, hold });
    }

    /// Lets every held start/stop request go on, and holds no more.
    pub fn release(&self) {
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        *plan = None;
        self.releases.send_modify(|n| *n += 1);
    }

    /// How many start/stop requests are waiting now.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::SeqCst)
    }

    /// Waits while start/stop requests are held; returns at once otherwise.
    pub async fn gate(&self) {
        let mut releases = self.releases.subscribe();
        let seen = {
            let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(p) = plan.as_mut() else { return };
            if p.pass > 0 {
                p.pass -= 1;
                return;
            }
            match p.hold.as_mut() {
                None => {}
                Some(0) => return,
                Some(left) => *left -= 1,
            }
            self.held.fetch_add(1, Ordering::SeqCst);
            *releases.borrow_and_update()
        };
        let _waiting = Waiting(&self.held);
        // The sender lives as long as the state, so this only ends on a release.
        let _ = releases.wait_for(|n| *n != seen).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn requests_after_the_allowance_wait_until_released() {
        let holds = Arc::new(Holds::default());
        holds.gate().await; // nothing held
        holds.hold_after(1, None);
        holds.gate().await; // the one let through
        let waiting = tokio::spawn({
            let holds = holds.clone();
            async move { holds.gate().await }
        });
        while holds.held() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        holds.release();
        waiting.await.unwrap();
        assert_eq!(holds.held(), 0);
        holds.gate().await; // released: nothing held any more
    }

    #[tokio::test]
    async fn only_the_given_number_is_held_and_later_ones_are_served() {
        let holds = Arc::new(Holds::default());
        holds.hold_after(1, Some(1));
        holds.gate().await; // passes
        let waiting = tokio::spawn({
            let holds = holds.clone();
            async move { holds.gate().await }
        });
        while holds.held() == 0 {
            tokio::task::yield_now().await;
        }
        holds.gate().await; // after the held one: served
        assert_eq!(holds.held(), 1);
        holds.release();
        waiting.await.unwrap();
    }

    #[tokio::test]
    async fn a_request_dropped_while_held_is_no_longer_counted() {
        let holds = Holds::default();
        holds.hold_after(0, None);
        {
            let gate = std::pin::pin!(holds.gate());
            let poll = futures_poll_once(gate).await;
            assert!(poll.is_none());
            assert_eq!(holds.held(), 1);
        }
        assert_eq!(holds.held(), 0);
    }

    /// Polls a future once; `None` when it is still pending.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
