//! [`CitrixClient`]: the typed operations the app needs, each a thin layer over the choke point
//! in the `http` module.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::http::{unexpected_shape, Body, Call, Http, RetryPolicy, Scope};
use crate::ids::SessionId;
use crate::limiter::Limiter;
use crate::region::Endpoints;
use crate::secret::Secret;
use crate::sessions::{PageRequest, Session, SessionPage, SessionQuery};
use crate::Error;

/// An API client's credentials (Citrix Cloud > Identity and Access Management > API Access).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub customer_id: String,
    pub client_id: String,
    pub secret: Secret,
}

/// Everything a [`CitrixClient`] needs. Build with [`ClientConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    /// Sent as `User-Agent`, so Citrix can tell our traffic apart (`RecordingDesk/<version>`).
    pub user_agent: String,
    /// Time to establish a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Time for one whole request, answer included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// Defaults: 10 s to connect, 30 s per request (Citrix's own batch limit is 90 s, single
    /// calls answer in well under a second), and [`RetryPolicy::default`].
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            endpoints,
            credentials,
            user_agent: format!("RecordingDesk/{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A decoded answer plus what the audit trail needs from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    pub value: T,
    /// The `citrix-transactionid` Citrix returned (or the one we sent, if it returned none).
    pub transaction_id: Option<String>,
    /// The JSON as received, for calls whose answer the app shows or stores verbatim.
    pub raw: Option<Value>,
}

/// `GET /me`: who the API client is and which customers/sites it can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user_id: String,
    pub display_name: Option<String>,
    pub customers: Vec<Customer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub id: String,
    /// Empty when Citrix sends none.
    pub name: String,
}

impl Me {
    /// Reads `MeResponseModel` leniently: only `Customers[].Id` and `Sites[].Id` are needed, and
    /// `ExpiryTime` & co. are ignored because Citrix's format for them is not what its spec says.
    fn from_json(v: &Value) -> Option<Me> {
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let list = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        if !v.is_object() {
            return None;
        }
        let customers = list(v, "Customers")
            .iter()
            .filter_map(|c| {
                Some(Customer {
                    id: text(c, "Id")?,
                    name: text(c, "Name"),
                    sites: list(c, "Sites")
                        .iter()
                        .filter_map(|s| {
                            Some(Site {
                                id: text(s, "Id")?,
                                name: text(s, "Name").unwrap_or_default(),
                            })
                        })
                        .collect(),
                })
            })
            .collect();
        Some(Me {
            user_id: text(v, "UserId").unwrap_or_default(),
            display_name: text(v, "DisplayName"),
            customers,
        })
    }
}

/// The Citrix Cloud client. Cheap to clone; clones share the connection pool and the token.
#[derive(Clone)]
pub struct CitrixClient {
    http: Arc<Http>,
}

impl std::fmt::Debug for CitrixClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitrixClient")
            .field("api_base", &self.http.endpoints().api_base.as_str())
            .field("customer_id", &self.http.customer_id())
            .finish_non_exhaustive()
    }
}

impl CitrixClient {
    /// Checks the configuration (allowed hosts, non-empty IDs) and builds the client. Nothing is
    /// sent until the first call.
    pub fn new(cfg: ClientConfig) -> Result<CitrixClient, Error> {
        Ok(CitrixClient {
            http: Arc::new(Http::new(&cfg)?),
        })
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        self.http.endpoints()
    }

    /// The customer ID in use.
    pub fn customer_id(&self) -> &str {
        self.http.customer_id()
    }

    /// How many token requests this client (and its clones) made.
    pub fn token_requests(&self) -> u64 {
        self.http.tokens.requests()
    }

    /// `GET /me`. Also the cheapest way to check credentials and region: it needs a token and
    /// no site.
    pub async fn me(&self) -> Result<Reply<Me>, Error> {
        let what = "read the account details";
        let reply = self
            .http
            .call(
                self.get(self.http.api_url(&["me"])?, None, Scope::Account, what),
                None,
            )
            .await?;
        let me = Me::from_json(&reply.value).ok_or_else(|| unexpected_shape(what, &reply))?;
        Ok(Reply {
            value: me,
            transaction_id: reply.transaction_id,
            raw: Some(reply.value),
        })
    }

    /// `GET /Sessions`, one page.
    pub async fn list_sessions(
        &self,
        site: &str,
        page: &PageRequest,
    ) -> Result<Reply<SessionPage>, Error> {
        let what = "list sessions";
        let mut url = self.http.api_url(&["Sessions"])?;
        add_query(&mut url, &page.query_pairs());
        let reply = self
            .http
            .call(
                self.get(url, Some(checked_site(site)?), Scope::Site, what),
                None,
            )
            .await?;
        page_reply(what, reply)
    }

    /// `POST /Sessions/$search`, one page. See [`SessionQuery::to_search_body`].
    pub async fn search_sessions(
        &self,
        site: &str,
        query: &SessionQuery,
        page: &PageRequest,
    ) -> Result<Reply<SessionPage>, Error> {
        let what = "search sessions";
        let mut url = self.http.api_url(&["Sessions", "$search"])?;
        add_query(&mut url, &page.query_pairs());
        let call = Call {
            method: Method::POST,
            url,
            site: Some(checked_site(site)?),
            scope: Scope::Site,
            body: Body::Json(query.to_search_body()),
            what,
            recording: false,
        };
        page_reply(what, self.http.call(call, None).await?)
    }

    /// `GET /Sessions/{id}`.
    pub async fn session(&self, site: &str, id: &SessionId) -> Result<Reply<Session>, Error> {
        let what = "read the session";
        let url = self.http.api_url(&["Sessions", id.as_str()])?;
        let reply = self
            .http
            .call(
                self.get(url, Some(checked_site(site)?), Scope::Session, what),
                None,
            )
            .await?;
        session_reply(what, reply, false)
    }

    /// `GET /Sessions/RecordingStatus?id=`: whether the session is being recorded now.
    pub async fn recording_status(&self, site: &str, id: &SessionId) -> Result<Reply<bool>, Error> {
        self.recording_status_limited(site, id, None).await
    }

    /// `POST /Sessions/{id}/$startRecording?notifyUser=`. Citrix only reports whether it could
    /// ask the VDA; poll [`CitrixClient::recording_status`] to know whether recording began.
    pub async fn start_recording(
        &self,
        site: &str,
        id: &SessionId,
        notify_user: bool,
    ) -> Result<Reply<Session>, Error> {
        self.start_recording_limited(site, id, notify_user, None)
            .await
    }

    /// `POST /Sessions/{id}/$stopRecording`.
    pub async fn stop_recording(
        &self,
        site: &str,
        id: &SessionId,
    ) -> Result<Reply<Session>, Error> {
        self.stop_recording_limited(site, id, None).await
    }

    /// Asks Citrix to wake a hibernated site (the answer to `siteAsleep`). Citrix's Go SDK then
    /// polls `/me` until it stops answering 530; callers do the same.
    pub async fn wake_site(&self) -> Result<(), Error> {
        let customer = self.http.customer_id().to_owned();
        let mut url = self.http.resource_provider_url(&[
            "resourceprovider",
            &customer,
            "site",
            "activation",
        ])?;
        add_query(&mut url, &[("customerId", customer.clone())]);
        let call = Call {
            method: Method::POST,
            url,
            site: None,
            scope: Scope::Account,
            body: Body::None,
            what: "wake the site",
            recording: false,
        };
        self.http.call(call, None).await.map(|_| ())
    }

    pub(crate) async fn recording_status_limited(
        &self,
        site: &str,
        id: &SessionId,
        limiter: Option<&Limiter>,
    ) -> Result<Reply<bool>, Error> {
        let what = "read the recording status";
        let mut url = self.http.api_url(&["Sessions", "RecordingStatus"])?;
        add_query(&mut url, &[("id", id.as_str().to_owned())]);
        let reply = self
            .http
            .call(
                self.get(url, Some(checked_site(site)?), Scope::Session, what),
                limiter,
            )
            .await?;
        let flag = reply
            .value
            .as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("IsSessionBeingRecorded"))
                    .map(|(_, v)| v)
            })
            .and_then(|v| match v {
                Value::Bool(b) => Some(*b),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            });
        match flag {
            Some(value) => Ok(Reply {
                value,
                transaction_id: reply.transaction_id,
                raw: Some(reply.value),
            }),
            None => Err(unexpected_shape(what, &reply)),
        }
    }

    pub(crate) async fn start_recording_limited(
        &self,
        site: &str,
        id: &SessionId,
        notify_user: bool,
        limiter: Option<&Limiter>,
    ) -> Result<Reply<Session>, Error> {
        let what = "start recording";
        let mut url = self
            .http
            .api_url(&["Sessions", id.as_str(), "$startRecording"])?;
        // Always explicit: Citrix defaults notifyUser to true, and the officer's choice must be
        // what happens whatever the default is.
        add_query(&mut url, &[("notifyUser", notify_user.to_string())]);
        self.record(url, site, what, limiter).await
    }

    pub(crate) async fn stop_recording_limited(
        &self,
        site: &str,
        id: &SessionId,
        limiter: Option<&Limiter>,
    ) -> Result<Reply<Session>, Error> {
        let url = self
            .http
            .api_url(&["Sessions", id.as_str(), "$stopRecording"])?;
        self.record(url, site, "stop recording", limiter).await
    }

    async fn record(
        &self,
        url: url::Url,
        site: &str,
        what: &'static str,
        limiter: Option<&Limiter>,
    ) -> Result<Reply<Session>, Error> {
        let call = Call {
            method: Method::POST,
            url,
            site: Some(checked_site(site)?),
            scope: Scope::Session,
            // Citrix's samples and generated client send no body.
            body: Body::None,
            what,
            recording: true,
        };
        session_reply(what, self.http.call(call, limiter).await?, true)
    }

    fn get<'a>(
        &self,
        url: url::Url,
        site: Option<&'a str>,
        scope: Scope,
        what: &'static str,
    ) -> Call<'a> {
        Call {
            method: Method::GET,
            url,
            site,
            scope,
            body: Body::None,
            what,
            recording: false,
        }
    }
}

fn checked_site(site: &str) -> Result<&str, Error> {
    let site = site.trim();
    if site.is_empty() {
        return Err(Error::BadRequest {
            message: "No Citrix site was selected.".into(),
            transaction_id: None,
        });
    }
    Ok(site)
}

fn add_query(url: &mut url::Url, pairs: &[(&str, String)]) {
    if pairs.is_empty() {
        return;
    }
    let mut q = url.query_pairs_mut();
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
}

fn page_reply(what: &str, reply: Reply<Value>) -> Result<Reply<SessionPage>, Error> {
    let page =
        SessionPage::from_json(&reply.value).ok_or_else(|| unexpected_shape(what, &reply))?;
    Ok(Reply {
        value: page,
        transaction_id: reply.transaction_id,
        raw: None,
    })
}

/// A `SessionResponseModel` answer. For start/stop an empty 200 is still a success (the request
/// was accepted; the body is only informative), so it becomes a `null` session.
fn session_reply(what: &str, reply: Reply<Value>, empty_ok: bool) -> Result<Reply<Session>, Error> {
    let acceptable = reply.value.is_object() || (empty_ok && reply.value.is_null());
    if !acceptable {
        return Err(unexpected_shape(what, &reply));
    }
    let raw = (!reply.value.is_null()).then(|| reply.value.clone());
    Ok(Reply {
        value: Session::from_json(reply.value),
        transaction_id: reply.transaction_id,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn me_is_lenient() {
        let me = Me::from_json(&json!({
            "UserId": "9690c023", "DisplayName": "John Smith", "ExpiryTime": "5:19:11 AM",
            "Customers": [{"Id": "loy6oujtu6a4", "Name": null, "Sites": [{"Id": "3061173e", "Name": "samplecloudsite"}, {"Name": "no id"}]}, {"Name": "no id"}]
        }))
        .expect("me");
        assert_eq!(me.customers.len(), 1);
        assert_eq!(
            me.customers[0].sites,
            vec![Site {
                id: "3061173e".into(),
                name: "samplecloudsite".into()
            }]
        );
        assert_eq!(me.customers[0].name, None);
        assert!(Me::from_json(&json!("x")).is_none());
        assert_eq!(
            Me::from_json(&json!({})).map(|m| m.customers.len()),
            Some(0)
        );
    }

    #[test]
    fn config_defaults() {
        let cfg = ClientConfig::new(
            Endpoints::for_region(crate::Region::Eu),
            Credentials {
                customer_id: "c".into(),
                client_id: "id".into(),
                secret: Secret::new("s3cr3t".into()),
            },
        );
        assert!(cfg.user_agent.starts_with("RecordingDesk/"));
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
    }

    #[test]
    fn new_refuses_foreign_hosts_and_empty_ids() {
        let creds = Credentials {
            customer_id: "c".into(),
            client_id: "id".into(),
            secret: Secret::new("s".into()),
        };
        let bad = Endpoints::with_base(&url::Url::parse("http://example.com").expect("url"));
        let e = CitrixClient::new(ClientConfig::new(bad, creds.clone())).expect_err("foreign");
        assert_eq!(e.kind(), "hostNotAllowed");
        let ok = Endpoints::with_base(&url::Url::parse("http://127.0.0.1:1").expect("url"));
        let mut empty = creds;
        empty.customer_id = " ".into();
        let e = CitrixClient::new(ClientConfig::new(ok, empty)).expect_err("empty");
        assert_eq!(e.kind(), "badCredentials");
    }
}
