//! The demo site: the Citrix Cloud simulator, run inside the app on a loopback port, so an officer
//! can try every screen without an account. The app talks to it with the same client and code
//! paths as to Citrix Cloud. It shows the simulator's demo sessions (realistic people and
//! machines, none of the odd ones the tests need), and recording takes a second or two to show
//! after a start, the rhythm of a real Recording Server.

use std::time::Duration;

use citrix_cloud::{Credentials, Endpoints, Secret};
use citrix_sim::{SimConfig, Simulator};
use url::Url;

use crate::account::{self, ConnectRequest, ConnectionInfo, ConnectionState, Mode};
use crate::error::{Error, Result};

/// A little latency makes progress visible, as it would be against the real service.
const DEMO_LATENCY: Duration = Duration::from_millis(60);

/// The simulator, started on first use and kept for the rest of the app run.
#[derive(Default)]
pub struct Demo {
    running: tokio::sync::Mutex<Option<(Simulator, SimConfig)>>,
}

impl Demo {
    /// Starts the simulator if needed; returns where it listens and its credentials.
    pub async fn endpoints_and_credentials(&self) -> std::io::Result<(Endpoints, Credentials)> {
        let mut running = self.running.lock().await;
        if running.is_none() {
            let config = SimConfig {
                latency: DEMO_LATENCY,
                ..SimConfig::demo()
            };
            let sim = Simulator::start(config.clone()).await?;
            tracing::info!(url = %sim.url(), "demo site started");
            *running = Some((sim, config));
        }
        let Some((sim, config)) = running.as_ref() else {
            return Err(std::io::Error::other("demo site did not start"));
        };
        let url: Url = sim.url();
        Ok((
            Endpoints::with_base(&url),
            Credentials {
                customer_id: config.customer_id.clone(),
                client_id: config.client_id.clone(),
                secret: Secret::new(config.client_secret.clone()),
            },
        ))
    }
}

/// Starts (once) and connects to the demo site. Its credentials are not stored anywhere. Like a
/// sign-in, it only replaces the connection if nothing newer started meanwhile.
pub async fn connect(demo: &Demo, connection: &ConnectionState) -> Result<ConnectionInfo> {
    let epoch = connection.begin_connect();
    let (endpoints, credentials) = demo.endpoints_and_credentials().await.map_err(|e| {
        Error::DemoUnavailable(format!(
            "The demo site could not be started on this computer ({e})."
        ))
    })?;
    let connected = account::connect(ConnectRequest {
        mode: Mode::Demo,
        region: None,
        endpoints,
        credentials,
        preferred_site: None,
    })
    .await?;
    let mut connected = connected;
    connected.info.profile_id = Some(account::profiles::DEMO_ID.to_owned());
    connected.info.profile = Some(account::profiles::DEMO_NAME.to_owned());
    let info = connected.info.clone();
    connection.install(epoch, connected)?;
    Ok(info)
}
