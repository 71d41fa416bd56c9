//! Continuation tokens. They are opaque to clients and resolve to an offset on the server, like
//! the real service's. A token is tied to the endpoint that issued it, can be reused (a client
//! retrying a page after a 503 must get the same page) and goes stale after [`TOKEN_TTL`] or
//! when a test calls `SimControl::expire_continuation_tokens`.
//!
//! Every token is standard base64 containing `+`, `/` and `=` padding, as opaque server tokens
//! often are. A client that puts one in the query string without percent-encoding it sends a
//! `+` that the server reads as a space: that token is unknown, and the answer is the 400 a
//! stale token gets.

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
        let token = new_token();
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

/// 19 bytes (so the base64 ends in `==`): random ones around three bytes that encode as
/// `++//`, placed on a three-byte boundary so that they always do.
fn new_token() -> String {
    let random = uuid::Uuid::new_v4();
    let random = random.as_bytes();
    let mut bytes = Vec::with_capacity(19);
    bytes.extend_from_slice(&random[..9]);
    bytes.extend_from_slice(&[0xFB, 0xEF, 0xFF]);
    bytes.extend_from_slice(&random[9..]);
    base64(&bytes)
}

/// Standard base64 (RFC 4648 alphabet, with padding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xFB, 0xEF, 0xFF]), "++//");
    }

    #[test]
    fn tokens_carry_plus_slash_and_padding() {
        for _ in 0..20 {
            let token = new_token();
            assert!(token.contains('+') && token.contains('/'), "{token}");
            assert!(token.ends_with("=="), "{token}");
        }
    }
}
