//! Start-up configuration of the simulator.

use std::time::Duration;

use serde::Deserialize;

/// The site ID the simulator reports when none is configured. Fixed so that saved settings and
/// test expectations survive restarts.
pub const DEFAULT_SITE_ID: &str = "5f3c2a61-8d4e-4b7a-9c21-3e6f0d8a4b12";

/// Which sessions the simulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixtureSet {
    /// What a new officer sees on the demo site: realistic people, machines and delivery
    /// groups, and nothing that only a test needs (no HTML in a user name, no probe account,
    /// no session whose state Citrix does not report).
    Demo,
    /// The demo's kind of sessions led by the fixed [`SpecialSessions`](crate::SpecialSessions)
    /// the tests rely on: the hostile display name, RDP, Disconnected and Connected sessions,
    /// and sessions whose `State`, `Connection` or `Protocol` is null or missing.
    #[default]
    Test,
}

/// A customer the API client can see in `GET /me`, besides the simulated one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisibleCustomer {
    pub id: String,
    /// `Name` in `/me`; Citrix's own example shows `null`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sites: Vec<VisibleSite>,
}

/// A site of a [`VisibleCustomer`]. It answers API calls but holds no sessions: only the
/// simulated customer's own site has any.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisibleSite {
    pub id: String,
    pub name: String,
}

/// What the token endpoint, and `GET /me`, do with a customer ID the API client cannot see (not
/// the simulated customer, not one of the other visible ones, not `root`). Citrix does not
/// document it, so each answer the reference allows is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UnseenCustomerTokens {
    /// 400 `invalid_client` (or the configured bad-credentials status), like a wrong secret.
    #[default]
    Refuse,
    /// A token is issued, but `GET /me` still lists only the visible customers and API calls
    /// naming the unseen customer in `Citrix-CustomerId` get 403, `/me` included.
    Grant,
    /// As `Grant`, except that `GET /me` answers whatever customer the header names, listing the
    /// customers the API client can see (every other call naming the unseen customer gets 403).
    GrantMeLists,
}

/// How the simulator starts. Everything here can be changed later through
/// [`SimControl`](crate::SimControl) except the identity fields, the fixture set and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1; 0 lets the OS pick a free one (what tests want).
    pub port: u16,
    /// The simulated customer's ID (`Citrix-CustomerId`, token path).
    pub customer_id: String,
    /// The simulated customer's `Name` in `GET /me`.
    pub customer_name: Option<String>,
    /// The API client ID accepted by the token endpoint.
    pub client_id: String,
    /// The API client secret accepted by the token endpoint.
    pub client_secret: String,
    /// The simulated customer's only site (`Citrix-InstanceId`), the one holding the sessions.
    pub site_id: String,
    /// Display name of the site in `GET /me`.
    pub site_name: String,
    /// Further customers the API client can see (listed after the simulated one in `/me`).
    pub other_customers: Vec<VisibleCustomer>,
    /// What the token endpoint does with a customer the API client cannot see.
    pub unseen_customer_tokens: UnseenCustomerTokens,
    /// Which sessions to start with.
    pub fixtures: FixtureSet,
    /// How many fixture sessions to generate; the same set and count always give the same
    /// sessions.
    pub sessions: usize,
    /// Lifetime of newly issued bearer tokens.
    pub token_lifetime: Duration,
    /// Delay added to every request, token requests included.
    pub latency: Duration,
    /// How long after an accepted `$startRecording` `RecordingStatus` turns true (the start is
    /// asynchronous on a real VDA), plus a random extra of up to `record_jitter`.
    pub record_delay: Duration,
    pub record_jitter: Duration,
    /// How long after an accepted `$stopRecording` `RecordingStatus` turns false.
    pub stop_delay: Duration,
}

impl Default for SimConfig {
    /// The test configuration: [`FixtureSet::Test`], recording visible at once.
    fn default() -> Self {
        SimConfig {
            port: 0,
            customer_id: "demo-customer".to_owned(),
            customer_name: None,
            client_id: "demo-client".to_owned(),
            client_secret: "demo-secret".to_owned(),
            site_id: DEFAULT_SITE_ID.to_owned(),
            site_name: "Demo Site".to_owned(),
            other_customers: Vec::new(),
            unseen_customer_tokens: UnseenCustomerTokens::default(),
            fixtures: FixtureSet::Test,
            sessions: 240,
            token_lifetime: Duration::from_secs(3600),
            latency: Duration::ZERO,
            record_delay: Duration::ZERO,
            record_jitter: Duration::ZERO,
            stop_delay: Duration::ZERO,
        }
    }
}

impl SimConfig {
    /// The demo site: [`FixtureSet::Demo`], a named customer, and recording that becomes
    /// visible one to two seconds after the start, the rhythm of a real Recording Server.
    pub fn demo() -> SimConfig {
        SimConfig {
            customer_name: Some(DEMO_CUSTOMER_NAME.to_owned()),
            fixtures: FixtureSet::Demo,
            record_delay: DEMO_RECORD_DELAY,
            record_jitter: DEMO_RECORD_JITTER,
            ..SimConfig::default()
        }
    }
}

/// The demo customer's name in `GET /me` (its users are `CONTOSO\...`).
pub const DEMO_CUSTOMER_NAME: &str = "Contoso Ltd";
/// The demo site's recording delay: 1 s plus up to 1 s of jitter.
pub const DEMO_RECORD_DELAY: Duration = Duration::from_millis(1000);
pub const DEMO_RECORD_JITTER: Duration = Duration::from_millis(1000);
