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
//! - `http`: the one HTTP choke point (headers, retries, error decoding).
//! - [`error`]: the error kinds the UI maps to advice.
//! - [`sessions`]: the session model and queries.
//! - [`ids`]: session-ID validation and the pasted-text parser.
//! - [`bulk`]: start/stop recording on many sessions at once.
//! - [`client`]: [`CitrixClient`], the operations themselves.

mod auth;
pub mod bulk;
pub mod client;
pub mod error;
mod http;
pub mod ids;
mod limiter;
pub mod region;
pub mod secret;
pub mod sessions;

pub use client::{CitrixClient, ClientConfig, Credentials, Customer, Me, Reply, Site};
pub use error::Error;
pub use http::RetryPolicy;
pub use ids::{IdError, ParsedIds, Rejected, SessionId};
pub use region::{endpoint_allowed, Endpoints, Region};
pub use secret::Secret;
pub use sessions::{NotRecordable, PageRequest, Session, SessionPage, SessionQuery, SessionState};
