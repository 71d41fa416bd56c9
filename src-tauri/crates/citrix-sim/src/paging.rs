//! Continuation tokens. They are opaque to clients (random strings) and resolve to an offset on
//! the server, like the real service's. A token is tied to the endpoint that issued it, can be
//! reused (a client retrying a page after a 503 must get the same page) and goes stale after
//! [`TOKEN_TTL`] or when a test calls `SimControl::expire_continuation_tokens`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// Which listing issued a token: a `GET /Sessions` token is not valid for `$search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Sessions,
    Search,
}

#[derive(Debug, Default)]
pub struct Continuations {
    cursors: HashMap<String, Cursor>,
}

#[derive(Debug)]
struct Cursor {
    listing: Listing,
    offset: usize,
    issued: Instant,
}

impl Continuations {
    pub fn issue(&mut self, listing: Listing, offset: usize, now: Instant) -> String {
        // Pruning here keeps the map small without a background task.
        self.cursors
            .retain(|_, c| now.saturating_duration_since(c.issued) < TOKEN_TTL);
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        self.cursors.insert(
            token.clone(),
            Cursor {
                listing,
                offset,
                issued: now,
            },
        );
        token
    }

    /// The offset a token stands for, or `None` when it is unknown, stale or from another
    /// listing.
    pub fn resolve(&self, token: &str, listing: Listing, now: Instant) -> Option<usize> {
        self.cursors
            .get(token)
            .filter(|c| c.listing == listing)
            .filter(|c| now.saturating_duration_since(c.issued) < TOKEN_TTL)
            .map(|c| c.offset)
    }

    pub fn expire_all(&mut self) {
        self.cursors.clear();
    }
}
