//! A local simulator of Citrix Cloud: the OAuth token service and the CVAD manage sessions API,
//! served on one loopback listener and routed by path.
//!
//! It exists so that the client, the app's demo mode and the tests can talk real HTTP to
//! something that behaves like the real service: the same header checks in the same order, the
//! same three families of error bodies, string `expires_in`, continuation tokens, and the
//! faults a production client has to survive (429s, 5xx bursts, a sleeping site, resets,
//! stalls, expired tokens). It also behaves the ways the real service may and a client must not
//! assume away: recording that shows in `RecordingStatus` only after a delay, answers lost
//! after the request was applied, `RecordingStatus` failing or answering 404 for a live
//! session, `State`/`Connection`/`Protocol` null or missing, search operators refused,
//! continuation tokens that break unless percent-encoded, and several visible customers.
//! [`SimControl`] flips all of it at run time.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = citrix_sim::Simulator::start(citrix_sim::SimConfig::default()).await?;
//! let control = sim.control();
//! control.rate_limit_burst(2, Some(1));
//! println!("token service and API at {}", sim.url());
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

// The machine object of a session has ~80 fields; `json!` needs the headroom.
#![recursion_limit = "256"]
// Handlers reject with the finished error `Response` (`Result<T, Response>`), built at most once
// per request; boxing it to please this size lint would buy nothing measurable.
#![allow(clippy::result_large_err)]

mod auth;
mod config;
mod control;
mod errors;
mod faults;
pub mod fixtures;
mod hidden;
mod holds;
mod http;
mod jobs;
mod paging;
mod remote;
mod router;
mod search;
mod server;
mod sessions;
mod site;
mod state;
mod timefmt;

pub use config::{
    FixtureSet, SimConfig, UnseenCustomerTokens, VisibleCustomer, VisibleSite, DEFAULT_SITE_ID,
};
pub use control::{Applied, RecordingView, SessionTruth, SimControl};
pub use faults::{FaultAnswer, LostScope};
pub use fixtures::SpecialSessions;
pub use hidden::{HiddenFields, Hide};
pub use search::SearchMode;
pub use server::Simulator;
