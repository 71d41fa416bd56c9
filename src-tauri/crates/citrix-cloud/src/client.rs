//! [`CitrixClient`]: the typed operations the app needs, each a thin layer over the choke point
//! in the `http` module.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use tokio_util::sync::CancellationToken;

use crate::bulk::Action;
use crate::error::Failure;
use crate::http::{Body, Call, Http};
use crate::http_status::{unexpected_shape, Purpose, Scope};
use crate::ids::SessionId;
use crate::region::Endpoints;
use crate::retry::{Patience, RetryPolicy};
use crate::search::SearchMemory;
use crate::secret::Secret;
use crate::sessions::{PageRequest, Session, SessionPage, SessionQuery, TextOperator};
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
    /// API requests in flight at once, for everything this client does (runs, status look-ups,
    /// searches): the run concurrency setting.
    pub concurrency: usize,
}

impl ClientConfig {
    /// Defaults: 10 s to connect, 30 s per request (Citrix's own batch limit is 90 s, single
    /// calls answer in well under a second), [`RetryPolicy::default`], and 16 requests at once:
    /// fast for a few hundred sessions, gentle enough not to trip Citrix's throttling in the
    /// first place.
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            endpoints,
            credentials,
            user_agent: format!("RecordingDesk/{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            concurrency: 16,
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
    /// The customer `customer_id` (compared ignoring case, as Citrix does) among those this API
    /// client can see; otherwise every customer it can see, so that the officer can be told
    /// which IDs would work. A caller must refuse an invisible customer, never pick another one.
    pub fn customer(&self, customer_id: &str) -> Result<&Customer, &[Customer]> {
        let wanted = customer_id.trim();
        self.customers
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(wanted))
            .ok_or(self.customers.as_slice())
    }

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

/// The Citrix Cloud client. Cheap to clone; clones share the connection pool, the token, the
/// rate limiter and what was learnt about Citrix's search.
#[derive(Clone)]
pub struct CitrixClient {
    pub(crate) http: Arc<Http>,
    pub(crate) search: Arc<SearchMemory>,
}

impl std::fmt::Debug for CitrixClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitrixClient")
            .field("api_base", &self.http.endpoints().api_base.as_str())
            .field("customer_id", &self.http.customer_id())
            .finish_non_exhaustive()
    }
}

/// What one check of a session's recording found out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum RecordingCheck {
    /// `RecordingStatus` says the session is being recorded.
    Recording,
    /// `RecordingStatus` says it is not.
    NotRecording,
    /// `GET /Sessions/{id}` answered 404: the session is gone.
    SessionEnded,
    /// Citrix could not be asked, or gave no usable answer; `reason` says why.
    Unknown { reason: Error },
}

impl CitrixClient {
    /// Checks the configuration (allowed hosts, non-empty IDs) and builds the client. Nothing is
    /// sent until the first call.
    pub fn new(cfg: ClientConfig) -> Result<CitrixClient, Error> {
        Ok(CitrixClient {
            http: Arc::new(Http::new(&cfg)?),
            search: Arc::default(),
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

    /// How many API requests this client (and its clones) may have in flight at once: the run
    /// concurrency setting. Runs, status look-ups and searches all share it.
    pub fn concurrency(&self) -> usize {
        self.http.limiter.concurrency()
    }

    /// Changes the concurrency (the officer changed the setting); takes effect for the next
    /// requests.
    pub fn set_concurrency(&self, concurrency: usize) {
        self.http.limiter.set_concurrency(concurrency);
    }

    /// `GET /me`. Also the cheapest way to check credentials and region: it needs a token and
    /// no site. See [`Me::customer`] to find the customer this client connects to.
    pub async fn me(&self) -> Result<Reply<Me>, Error> {
        let what = "read the account details";
        let url = self.http.api_url(&["me"])?;
        let reply = self.read(url, None, Scope::Account, what, None).await?;
        let me = Me::from_json(&reply.value).ok_or_else(|| unexpected_shape(what, &reply))?;
        Ok(Reply {
            value: me,
            transaction_id: reply.transaction_id,
            raw: Some(reply.value),
        })
    }

    /// `GET /Sessions`, one page, as Citrix returns it.
    pub async fn list_sessions(
        &self,
        site: &str,
        page: &PageRequest,
    ) -> Result<Reply<SessionPage>, Error> {
        self.list_page(site, page.limit, page.continuation.as_deref())
            .await
    }

    /// Finds sessions, one page at a time: `POST /Sessions/$search` while Citrix accepts the
    /// query's operators, else listing and filtering here with the same meaning (see the `search`
    /// module). Pass back the page's `continuation` for the next page; it is opaque.
    pub async fn search_sessions(
        &self,
        site: &str,
        query: &SessionQuery,
        page: &PageRequest,
    ) -> Result<Reply<SessionPage>, Error> {
        crate::search::search(self, site, query, page).await
    }

    /// `GET /Sessions/{id}`.
    pub async fn session(&self, site: &str, id: &SessionId) -> Result<Reply<Session>, Error> {
        self.session_with(site, id, Patience::Interactive, None)
            .await
            .map_err(Error::from)
    }

    /// `GET /Sessions/RecordingStatus?id=`: whether the session is being recorded now. A 404 only
    /// says that this endpoint does not know the session; [`CitrixClient::check_recording`] tells
    /// an ended session apart.
    pub async fn recording_status(&self, site: &str, id: &SessionId) -> Result<Reply<bool>, Error> {
        self.recording_status_with(site, id, Patience::Interactive, None)
            .await
            .map_err(Error::from)
    }

    /// Asks Citrix once whether the session is being recorded: `RecordingStatus`, and on its 404
    /// `GET /Sessions/{id}`, whose 404 alone says the session has ended. Never fails: what could
    /// not be learnt is [`RecordingCheck::Unknown`] with the reason. The transaction ID is the
    /// last call's.
    pub async fn check_recording(&self, site: &str, id: &SessionId) -> Reply<RecordingCheck> {
        self.check_recording_with(site, id, Patience::Interactive, None)
            .await
    }

    /// `POST /Sessions/{id}/$startRecording?notifyUser=`. Citrix only reports whether it could
    /// ask the VDA; check the status afterwards to know whether recording began. On failure, the
    /// [`Failure`] says whether Citrix may have acted on the request anyway.
    pub async fn start_recording(
        &self,
        site: &str,
        id: &SessionId,
        notify_user: bool,
    ) -> Result<Reply<Session>, Failure> {
        self.request_recording(
            site,
            id,
            Action::Start { notify_user },
            Patience::Interactive,
            None,
        )
        .await
    }

    /// `POST /Sessions/{id}/$stopRecording`.
    pub async fn stop_recording(
        &self,
        site: &str,
        id: &SessionId,
    ) -> Result<Reply<Session>, Failure> {
        self.request_recording(site, id, Action::Stop, Patience::Interactive, None)
            .await
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
            purpose: Purpose {
                what: "wake the site",
                scope: Scope::Account,
                site: None,
                recording: false,
            },
            body: Body::None,
            patience: Patience::Interactive,
        };
        self.http
            .call(call, None)
            .await
            .map(|_| ())
            .map_err(Error::from)
    }

    /// One page of `GET /Sessions`.
    pub(crate) async fn list_page(
        &self,
        site: &str,
        limit: Option<u32>,
        continuation: Option<&str>,
    ) -> Result<Reply<SessionPage>, Error> {
        let what = "list sessions";
        let mut url = self.http.api_url(&["Sessions"])?;
        add_query(&mut url, &page_query(limit, continuation));
        let reply = self
            .read(url, Some(checked_site(site)?), Scope::Site, what, None)
            .await?;
        page_reply(what, reply)
    }

    /// One page of `POST /Sessions/$search` with the free text matched by `operator`.
    pub(crate) async fn search_page(
        &self,
        site: &str,
        query: &SessionQuery,
        operator: TextOperator,
        limit: Option<u32>,
        continuation: Option<&str>,
    ) -> Result<Reply<SessionPage>, Failure> {
        let what = "search sessions";
        let mut url = self.http.api_url(&["Sessions", "$search"])?;
        add_query(&mut url, &page_query(limit, continuation));
        let call = Call {
            method: Method::POST,
            url,
            purpose: Purpose {
                what,
                scope: Scope::Site,
                site: Some(checked_site(site)?),
                recording: false,
            },
            body: Body::Json(query.search_body(operator)),
            patience: Patience::Interactive,
        };
        let reply = self.http.call(call, None).await?;
        page_reply(what, reply).map_err(Failure::definite)
    }

    pub(crate) async fn session_with(
        &self,
        site: &str,
        id: &SessionId,
        patience: Patience,
        cancel: Option<&CancellationToken>,
    ) -> Result<Reply<Session>, Failure> {
        let what = "read the session";
        let url = self.http.api_url(&["Sessions", id.as_str()])?;
        let call = self.get(
            url,
            Some(checked_site(site)?),
            Scope::Session,
            what,
            patience,
        );
        let reply = self.http.call(call, cancel).await?;
        session_reply(what, reply, false).map_err(Failure::definite)
    }

    pub(crate) async fn recording_status_with(
        &self,
        site: &str,
        id: &SessionId,
        patience: Patience,
        cancel: Option<&CancellationToken>,
    ) -> Result<Reply<bool>, Failure> {
        let what = "read the recording status";
        let mut url = self.http.api_url(&["Sessions", "RecordingStatus"])?;
        add_query(&mut url, &[("id", id.as_str().to_owned())]);
        let call = self.get(
            url,
            Some(checked_site(site)?),
            Scope::Session,
            what,
            patience,
        );
        let reply = self.http.call(call, cancel).await?;
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
            None => Err(Failure::definite(unexpected_shape(what, &reply))),
        }
    }

    pub(crate) async fn check_recording_with(
        &self,
        site: &str,
        id: &SessionId,
        patience: Patience,
        cancel: Option<&CancellationToken>,
    ) -> Reply<RecordingCheck> {
        let unknown = |reason: Error| Reply {
            transaction_id: reason.transaction_id().map(str::to_owned),
            value: RecordingCheck::Unknown { reason },
            raw: None,
        };
        let status = match self.recording_status_with(site, id, patience, cancel).await {
            Ok(status) => {
                return Reply {
                    value: if status.value {
                        RecordingCheck::Recording
                    } else {
                        RecordingCheck::NotRecording
                    },
                    transaction_id: status.transaction_id,
                    raw: status.raw,
                }
            }
            Err(failure) => failure.error,
        };
        if !matches!(status, Error::NotFound { .. }) {
            return unknown(status);
        }
        // `RecordingStatus` does not know the session. Only the session resource itself can say
        // that the session is gone.
        match self.session_with(site, id, patience, cancel).await {
            Err(Failure {
                error: Error::NotFound { transaction_id, .. },
                ..
            }) => Reply {
                value: RecordingCheck::SessionEnded,
                transaction_id,
                raw: None,
            },
            Ok(session) => unknown(Error::Unexpected {
                message: format!(
                    "Citrix did not report the recording status of this session ({}), although the session is still there.",
                    status.message()
                ),
                transaction_id: session.transaction_id,
            }),
            Err(failure) => unknown(failure.error),
        }
    }

    /// Sends one start or stop (retries included). Never a guess: the [`Failure`] says whether
    /// Citrix may have acted on it.
    pub(crate) async fn request_recording(
        &self,
        site: &str,
        id: &SessionId,
        action: Action,
        patience: Patience,
        cancel: Option<&CancellationToken>,
    ) -> Result<Reply<Session>, Failure> {
        let (what, segment) = match action {
            Action::Start { .. } => ("start recording", "$startRecording"),
            Action::Stop => ("stop recording", "$stopRecording"),
        };
        let mut url = self.http.api_url(&["Sessions", id.as_str(), segment])?;
        if let Action::Start { notify_user } = action {
            // Always explicit: Citrix defaults notifyUser to true, and the officer's choice must
            // be what happens whatever the default is.
            add_query(&mut url, &[("notifyUser", notify_user.to_string())]);
        }
        let call = Call {
            method: Method::POST,
            url,
            purpose: Purpose {
                what,
                scope: Scope::Session,
                site: Some(checked_site(site)?),
                recording: true,
            },
            // Citrix's samples and generated client send no body.
            body: Body::None,
            patience,
        };
        let reply = self.http.call(call, cancel).await?;
        // A 2xx whose body is not a session object still means Citrix accepted the request.
        session_reply(what, reply, true).map_err(|error| Failure {
            error,
            may_have_been_applied: true,
            answer: None,
            status: None,
        })
    }

    /// A GET through the limiter, for callers that need only the [`Error`].
    async fn read(
        &self,
        url: url::Url,
        site: Option<&str>,
        scope: Scope,
        what: &'static str,
        cancel: Option<&CancellationToken>,
    ) -> Result<Reply<Value>, Error> {
        let call = self.get(url, site, scope, what, Patience::Interactive);
        self.http.call(call, cancel).await.map_err(Error::from)
    }

    fn get<'a>(
        &self,
        url: url::Url,
        site: Option<&'a str>,
        scope: Scope,
        what: &'static str,
        patience: Patience,
    ) -> Call<'a> {
        Call {
            method: Method::GET,
            url,
            purpose: Purpose {
                what,
                scope,
                site,
                recording: false,
            },
            body: Body::None,
            patience,
        }
    }
}

/// `limit` (clamped to what Citrix accepts: it may default to 250 and may reject more than 1000)
/// and `continuationToken`, which the URL serializer percent-encodes: Citrix's tokens can be
/// base64 with `+`, `/` and `=`.
fn page_query(limit: Option<u32>, continuation: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(limit) = limit {
        q.push(("limit", limit.clamp(1, 1000).to_string()));
    }
    if let Some(c) = continuation.filter(|c| !c.is_empty()) {
        q.push(("continuationToken", c.to_owned()));
    }
    q
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
    use crate::ErrorKind;
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
    fn the_connected_customer_or_the_ones_that_can_be_seen() {
        let me = Me::from_json(&json!({
            "UserId": "u", "Customers": [{"Id": "Acme01", "Sites": []}, {"Id": "beta02", "Name": "Beta"}]
        }))
        .expect("me");
        assert_eq!(me.customer(" acme01 ").map(|c| c.id.as_str()), Ok("Acme01"));
        let visible = me.customer("gamma03").expect_err("not visible");
        let ids: Vec<&str> = visible.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["Acme01", "beta02"]);
    }

    #[test]
    fn page_query_clamps_and_keeps_the_token_whole() {
        assert_eq!(
            page_query(Some(5000), Some("a+b/c==")),
            vec![
                ("limit", "1000".to_owned()),
                ("continuationToken", "a+b/c==".to_owned())
            ]
        );
        let mut url = url::Url::parse("http://127.0.0.1:1/Sessions").expect("url");
        add_query(&mut url, &page_query(None, Some("a+b/c==")));
        assert_eq!(url.query(), Some("continuationToken=a%2Bb%2Fc%3D%3D"));
        assert!(page_query(Some(0), Some("")).len() == 1);
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
        assert_eq!(e.kind(), ErrorKind::HostNotAllowed);
        let ok = Endpoints::with_base(&url::Url::parse("http://127.0.0.1:1").expect("url"));
        let mut empty = creds;
        empty.customer_id = " ".into();
        let e = CitrixClient::new(ClientConfig::new(ok, empty)).expect_err("empty");
        assert_eq!(e.kind(), ErrorKind::BadCredentials);
    }
}
