//! Recording Desk's domain, free of any window: everything a front end (the Tauri window, the
//! command-line tool, the benchmark) needs besides its own way of talking to the officer. The
//! Citrix Cloud client itself is the `citrix-cloud` crate.
//!
//! A front end builds one [`Desk`] and calls it. Map of the crate:
//! - [`desk`]: the [`Desk`] facade.
//! - [`account`]: the sign-in form, the connection to Citrix Cloud, signing in and out.
//! - [`vault`]: the client secret in the OS keychain, and only there.
//! - [`settings`]: one typed settings file shared by every front end; [`policy`]: the settings
//!   the organisation set and locked ("Set by your organisation").
//! - [`sessions`]: search, pasted-ID look-ups, the detail view, and the row cache.
//! - [`run`]: a start/stop run with its audit records and progress.
//! - [`audit`]: the append-only, hash-chained audit trail, its filter and CSV export.
//! - [`demo`]: the built-in demo site (the simulator, in-process).
//! - [`paths`]: the app's folders; [`migrate`]: the move from the earlier identifier;
//!   [`window`]: where the window reopens; [`notices`]: messages for the officer; [`error`]: the one
//!   error type and the one list of error kinds.
//! - [`updates`]: when to look for a new version, and what the officer is told about it.

pub mod account;
pub mod audit;
pub mod demo;
pub mod desk;
pub mod error;
pub mod migrate;
pub mod notices;
pub mod paths;
pub mod policy;
pub mod run;
pub mod sessions;
pub mod settings;
pub mod updates;
pub mod vault;
pub mod window;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod sim_tests;

pub use desk::{AppStatus, Desk, DeskOptions};
pub use error::{Error, ErrorKind, InputField, IpcError, Result};
