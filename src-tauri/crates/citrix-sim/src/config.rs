//! Start-up configuration of the simulator.

use std::time::Duration;

/// The site ID the simulator reports when none is configured. Fixed so that saved settings and
/// test expectations survive restarts.
pub const DEFAULT_SITE_ID: &str = "5f3c2a61-8d4e-4b7a-9c21-3e6f0d8a4b12";

/// How the simulator starts. Everything here can be changed later through
/// [`SimControl`](crate::SimControl) except the identity fields and the fixture count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1; 0 lets the OS pick a free one (what tests want).
    pub port: u16,
    /// The only customer ID the simulator knows (`Citrix-CustomerId`, token path).
    pub customer_id: String,
    /// The API client ID accepted by the token endpoint.
    pub client_id: String,
    /// The API client secret accepted by the token endpoint.
    pub client_secret: String,
    /// The only site (`Citrix-InstanceId`) of the customer.
    pub site_id: String,
    /// Display name of the site in `GET /me`.
    pub site_name: String,
    /// How many fixture sessions to generate; the same count always gives the same sessions.
    pub sessions: usize,
    /// Lifetime of newly issued bearer tokens.
    pub token_lifetime: Duration,
    /// Delay added to every request, token requests included.
    pub latency: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            customer_id: "demo-customer".to_owned(),
            client_id: "demo-client".to_owned(),
            client_secret: "demo-secret".to_owned(),
            site_id: DEFAULT_SITE_ID.to_owned(),
            site_name: "Demo Site".to_owned(),
            sessions: 240,
            token_lifetime: Duration::from_secs(3600),
            latency: Duration::ZERO,
        }
    }
}
