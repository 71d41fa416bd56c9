//! The simulator over real HTTP: header checks, routing, paging, search, recording state and
//! every fault switch. One test binary with modules keeps link time down.
#![allow(clippy::unwrap_used)]

mod auth;
mod customers;
mod delay;
mod faults;
mod fixtures;
mod lost;
mod nulls;
mod raw;
mod recording;
mod remote;
mod search;
mod sessions;
mod support;
