//! The connection: which Citrix client the app uses, against which account and site, in which
//! mode. Connecting checks the credentials (token + `GET /me`) before anything is saved.

use std::sync::{Arc, Mutex};

use citrix_cloud::{CitrixClient, ClientConfig, Credentials, Endpoints, Region};

use super::{ConnectionInfo, Mode, Site};
use crate::error::{Error, Result};

/// A live connection: the client plus what `/me` said.
#[derive(Clone)]
pub struct Connected {
    pub client: CitrixClient,
    pub info: ConnectionInfo,
}

impl Connected {
    /// The client and the selected site, or `noSiteSelected`.
    pub fn site(&self) -> Result<(&CitrixClient, &str)> {
        match self.info.site_id.as_deref() {
            Some(site) => Ok((&self.client, site)),
            None => Err(Error::NoSiteSelected),
        }
    }
}

/// Managed state: the current connection, swapped whole on connect/disconnect/select_site.
/// Commands clone the `Arc` out and release the lock before any `.await`.
///
/// Connecting takes seconds (keychain, token, `/me`), and the officer can change their mind in
/// the meantime: "Use a different account", then "Open the demo site". The epoch makes the last
/// decision win: every connect and every disconnect bumps it, and a connect only installs its
/// result if no other connect or disconnect started since it began. Without it, a slow
/// reconnect to the saved account could finish last and put real sessions under the "Demo
/// site" badge.
#[derive(Default)]
pub struct ConnectionState {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    epoch: u64,
    current: Option<Arc<Connected>>,
}

impl ConnectionState {
    pub fn get(&self) -> Option<Arc<Connected>> {
        self.lock().current.clone()
    }

    pub fn require(&self) -> Result<Arc<Connected>> {
        self.get().ok_or(Error::NotConnected)
    }

    /// Starts a connect: returns the epoch its result must still match to be installed.
    pub fn begin_connect(&self) -> u64 {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.epoch
    }

    /// Installs a connect's result, unless a newer connect or a disconnect started after it.
    pub fn install(&self, epoch: u64, connected: Connected) -> Result<()> {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return Err(Error::Superseded);
        }
        inner.current = Some(Arc::new(connected));
        Ok(())
    }

    /// Whether a connect that began at `epoch` is still the latest.
    #[cfg(test)]
    pub fn is_current(&self, epoch: u64) -> bool {
        self.lock().epoch == epoch
    }

    /// Drops the connection; connects still under way will not install theirs.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.current = None;
    }

    /// Replaces `expected` with `next` (another site of the same connection), unless the
    /// connection changed in the meantime.
    pub fn replace(&self, expected: &Arc<Connected>, next: Connected) -> Result<()> {
        let mut inner = self.lock();
        match &inner.current {
            Some(current) if Arc::ptr_eq(current, expected) => {
                inner.current = Some(Arc::new(next));
                Ok(())
            }
            _ => Err(Error::Superseded),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What [`connect`] needs to know besides the credentials.
pub struct ConnectRequest {
    pub mode: Mode,
    pub region: Option<Region>,
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    /// The site to select if the account has it (the one remembered in settings).
    pub preferred_site: Option<String>,
}

/// Builds a client, fetches a token and `/me`, and picks the site. On a sleeping site it asks
/// Citrix to wake it before reporting `siteAsleep`.
pub async fn connect(req: ConnectRequest) -> Result<Connected> {
    let host = req
        .endpoints
        .token_base
        .host_str()
        .unwrap_or("Citrix Cloud")
        .to_owned();
    let customer_id = req.credentials.customer_id.clone();
    let config = ClientConfig::new(req.endpoints, req.credentials);
    let client = CitrixClient::new(config).map_err(|e| explain_connect_error(e, None, &host))?;

    let me = match client.me().await {
        Ok(reply) => reply.value,
        Err(e) => {
            if matches!(e, citrix_cloud::Error::SiteAsleep { .. }) {
                let waker = client.clone();
                tokio::spawn(async move {
                    match waker.wake_site().await {
                        Ok(()) => tracing::info!("asked Citrix to wake the site"),
                        Err(e) => tracing::warn!(kind = %e.kind(), "waking the site failed: {e}"),
                    }
                });
            }
            return Err(explain_connect_error(e, req.region, &host));
        }
    };

    // Never another customer than the one asked for: the officer would act on the wrong
    // tenant's sessions. The refusal lists the customers this API client can see.
    let customer = me
        .customer(&customer_id)
        .map_err(|visible| unseen_customer(&customer_id, visible))?;
    let sites: Vec<Site> = customer
        .sites
        .iter()
        .map(|s| Site {
            id: s.id.clone(),
            name: if s.name.is_empty() {
                s.id.clone()
            } else {
                s.name.clone()
            },
        })
        .collect();
    let site_id = pick_site(&sites, req.preferred_site.as_deref());

    Ok(Connected {
        client,
        info: ConnectionInfo {
            mode: req.mode,
            region: req.region,
            customer_id,
            customer_name: customer.name.clone(),
            user_display_name: me.display_name.clone(),
            sites,
            site_id,
            profile_id: None,
            profile: None,
        },
    })
}

/// The refusal of a customer ID the API client cannot see, naming those it can.
fn unseen_customer(customer_id: &str, visible: &[citrix_cloud::Customer]) -> Error {
    let names: Vec<String> = visible
        .iter()
        .map(|c| match &c.name {
            Some(name) => format!("{} ({name})", c.id),
            None => c.id.clone(),
        })
        .collect();
    let message = if names.is_empty() {
        format!(
            "This API client cannot see customer “{customer_id}”, nor any other. Check the \
             customer ID on the API Access page of Citrix Cloud, or ask your Citrix administrator \
             for an API client of that customer."
        )
    } else {
        format!(
            "This API client cannot see customer “{customer_id}”. The customer IDs it can see: \
             {}. Enter one of these, or use an API client of customer “{customer_id}”.",
            names.join(", ")
        )
    };
    Error::invalid_field(crate::error::InputField::CustomerId, message)
}

/// The remembered site if the account still has it, else the only site, else none (the officer
/// picks one).
pub fn pick_site(sites: &[Site], preferred: Option<&str>) -> Option<String> {
    if let Some(p) = preferred {
        if let Some(site) = sites.iter().find(|s| s.id.eq_ignore_ascii_case(p)) {
            return Some(site.id.clone());
        }
    }
    match sites {
        [only] => Some(only.id.clone()),
        _ => None,
    }
}

/// Connection failures in words that fit the sign-in screen.
fn explain_connect_error(e: citrix_cloud::Error, region: Option<Region>, host: &str) -> Error {
    use citrix_cloud::Error as E;
    let message = match &e {
        E::BadCredentials { .. } => format!(
            "Citrix Cloud did not accept this client ID and secret. Copy both again from the API \
             client in Citrix Cloud (Identity and Access Management > API Access > Secure \
             clients), check that the customer ID belongs to the same account, and that the region \
             ({}) is the one your Citrix Cloud account is in.",
            region.map(|r| r.label()).unwrap_or("as selected")
        ),
        E::WrongRegion { .. } => format!(
            "This API client is not registered in the {} region. Choose the region your Citrix \
             Cloud account is in and connect again.",
            region.map(|r| r.label()).unwrap_or("selected")
        ),
        E::Network { .. } | E::Timeout { .. } => format!(
            "Recording Desk could not reach {host}. Check the internet connection, VPN or proxy \
             and try again."
        ),
        E::SiteAsleep { .. } => "Your Citrix DaaS site is hibernating. Recording Desk has asked \
             Citrix to wake it up; this can take up to 20 minutes. Try connecting again in a few \
             minutes."
            .to_owned(),
        E::Forbidden { .. } | E::TokenRejected { .. } => {
            "Citrix Cloud accepted the API client but \
             refused it access to the site. An administrator must give the API client a role \
             that can manage sessions."
                .to_owned()
        }
        _ => return Error::from(e),
    };
    Error::citrix(e, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use citrix_cloud::Secret;
    use url::Url;

    fn offline(mode: Mode) -> Connected {
        let endpoints = Endpoints::with_base(&Url::parse("http://127.0.0.1:9").expect("url"));
        let credentials = Credentials {
            customer_id: "c".into(),
            client_id: "id".into(),
            secret: Secret::new("s".into()),
        };
        Connected {
            client: CitrixClient::new(ClientConfig::new(endpoints, credentials)).expect("client"),
            info: ConnectionInfo {
                mode,
                region: None,
                customer_id: "c".into(),
                customer_name: None,
                user_display_name: None,
                sites: Vec::new(),
                site_id: None,
                profile_id: None,
                profile: None,
            },
        }
    }

    #[test]
    fn only_the_latest_connect_is_installed() {
        let state = ConnectionState::default();
        let cloud = state.begin_connect();
        let demo = state.begin_connect();
        state.install(demo, offline(Mode::Demo)).expect("latest");
        assert_eq!(
            state
                .install(cloud, offline(Mode::Cloud))
                .expect_err("stale")
                .kind(),
            ErrorKind::Superseded
        );
        assert_eq!(state.get().expect("connected").info.mode, Mode::Demo);

        // A disconnect also wins over a connect that began before it.
        let late = state.begin_connect();
        assert!(state.is_current(late));
        state.clear();
        assert!(!state.is_current(late));
        assert!(state.install(late, offline(Mode::Cloud)).is_err());
        assert!(state.get().is_none());
    }

    #[test]
    fn a_site_change_applies_only_to_the_connection_it_was_made_on() {
        let state = ConnectionState::default();
        let epoch = state.begin_connect();
        state.install(epoch, offline(Mode::Cloud)).expect("install");
        let seen = state.require().expect("connected");
        let epoch = state.begin_connect();
        state.install(epoch, offline(Mode::Demo)).expect("install");
        assert!(state.replace(&seen, offline(Mode::Cloud)).is_err());
        assert_eq!(state.get().expect("connected").info.mode, Mode::Demo);
        let now = state.require().expect("connected");
        state
            .replace(&now, offline(Mode::Demo))
            .expect("same connection");
    }

    #[test]
    fn the_remembered_site_wins_else_the_only_one() {
        let s = |id: &str| Site {
            id: id.into(),
            name: id.into(),
        };
        assert_eq!(pick_site(&[s("a")], None).as_deref(), Some("a"));
        assert_eq!(pick_site(&[s("a")], Some("gone")).as_deref(), Some("a"));
        assert_eq!(
            pick_site(&[s("a"), s("b")], Some("B")).as_deref(),
            Some("b")
        );
        assert_eq!(pick_site(&[s("a"), s("b")], None), None);
        assert_eq!(pick_site(&[], None), None);
    }
}

#[cfg(test)]
mod customer_tests {
    use super::*;

    #[test]
    fn an_unseen_customer_is_refused_on_its_field_naming_those_the_client_can_see() {
        let visible = [
            citrix_cloud::Customer {
                id: "contoso".into(),
                name: Some("Contoso".into()),
                sites: Vec::new(),
            },
            citrix_cloud::Customer {
                id: "fabrikam".into(),
                name: None,
                sites: Vec::new(),
            },
        ];
        let ipc = unseen_customer("northwind", &visible).to_ipc();
        assert_eq!(ipc.field, Some(crate::error::InputField::CustomerId));
        assert!(
            ipc.message.contains("cannot see customer “northwind”")
                && ipc.message.contains("contoso (Contoso), fabrikam."),
            "{}",
            ipc.message
        );
        let none = unseen_customer("northwind", &[]).to_ipc();
        assert!(none.message.contains("nor any other"), "{}", none.message);
    }
}
