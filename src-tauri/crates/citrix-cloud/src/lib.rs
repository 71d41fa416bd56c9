//! Client for Citrix Cloud: the token service and the Citrix DaaS (CVAD manage) sessions API,
//! plus the session-ID parser and the bulk start/stop engine used by Recording Desk.
//!
//! This crate has no Tauri dependency on purpose: everything that talks to Citrix is testable
//! with `cargo test` against the `citrix-sim` simulator over real HTTP.
//!
//! Map of the crate:
//! - [`region`]: regions, the base URLs they imply, and where credentials may be sent.
//! - [`secret`]: the redacting wrapper for secrets and tokens.
//! - `auth`: the single-flight token cache.
//! - `http`: the one HTTP choke point (headers, the limiter, retries, cancellation, whether a
//!   failed call may have been carried out).
//! - [`retry`]: how long and how often a call keeps trying.
//! - `http_status`: what each HTTP status means for a call.
//! - `limiter`: the rate limiter every API request of a client shares.
//! - [`error`]: the error kinds the UI maps to advice.
//! - [`sessions`]: the session model and queries.
//! - `search`: finding sessions whichever search operators Citrix accepts.
//! - [`ids`]: session-ID validation and the pasted-text parser.
//! - [`bulk`]: start/stop recording on many sessions at once, and what Citrix then reports.
//! - [`client`]: [`CitrixClient`], the operations themselves.

mod auth;
pub mod bulk;
pub mod client;
pub mod error;
mod http;
mod http_status;
pub mod ids;
mod limiter;
pub mod region;
pub mod retry;
mod search;
pub mod secret;
pub mod sessions;

pub use client::{
    CitrixClient, ClientConfig, Credentials, Customer, Me, RecordingCheck, Reply, Site,
};
pub use error::{Error, ErrorKind, Failure};
pub use ids::{IdError, ParsedIds, Rejected, SessionId};
pub use region::{endpoint_allowed, Endpoints, Region};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use sessions::{PageRequest, Recordability, Session, SessionPage, SessionQuery, SessionState};
