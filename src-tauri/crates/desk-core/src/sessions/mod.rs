//! Finding sessions: search with paging, look up pasted IDs, and the detail view. Rows carry the
//! recording status, which Citrix only gives per session, so it is fetched for a page's rows
//! concurrently.

mod cache;

use citrix_cloud::bulk::Action;
use citrix_cloud::{CitrixClient, PageRequest, Recordability, Session, SessionId};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, ErrorKind, IpcError, Result};

pub use cache::{CachedSession, RowCache};

/// Rows per page of search results.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionRow {
    pub id: String,
    pub user_display_name: Option<String>,
    pub user_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub machine_name: Option<String>,
    pub delivery_group: Option<String>,
    pub state: String,
    pub protocol: String,
    /// RFC 3339.
    pub start_time: Option<String>,
    pub client_name: Option<String>,
    pub recordable: bool,
    pub not_recordable_reason: Option<String>,
    /// `null` when the status could not be read, or was not asked yet.
    pub recording: Option<bool>,
    /// Whether Citrix was asked for `recording`. Search results leave it to the front end to ask
    /// for the rows the officer can see or has selected ([`recording_statuses`]): Citrix gives the
    /// status only one session at a time, and asking for a whole page would spend the site's
    /// request budget on rows nobody looks at.
    pub recording_checked: bool,
}

impl SessionRow {
    /// A row whose recording status Citrix has not been asked for.
    pub fn unchecked(s: &Session) -> Self {
        Self {
            recording_checked: false,
            ..Self::from_session(s, None)
        }
    }

    /// A row with the recording status Citrix gave (`None`: it could not be read).
    pub fn from_session(s: &Session, recording: Option<bool>) -> Self {
        // Whether and why not is decided by the client crate, the one place that knows Citrix's
        // rule (only Active HDX sessions can be recorded).
        let recordability = s.recordable();
        let reason = match &recordability {
            Recordability::NotRecordable { reason } => Some(reason.clone()),
            _ => None,
        };
        SessionRow {
            id: s.id().unwrap_or_default().to_owned(),
            user_display_name: s.user_display_name().map(str::to_owned),
            user_name: s.user_name().map(str::to_owned),
            user_principal_name: s.user_principal_name().map(str::to_owned),
            machine_name: s.machine_name().map(str::to_owned),
            delivery_group: s.delivery_group().map(str::to_owned),
            state: s.state().to_owned(),
            protocol: s.protocol().to_owned(),
            start_time: s.start_time().map(str::to_owned),
            client_name: s.client_name().map(str::to_owned),
            recordable: reason.is_none(),
            not_recordable_reason: reason,
            recording,
            recording_checked: true,
        }
    }

    /// The name written to the audit trail for this session's user.
    pub fn audit_user(&self) -> Option<String> {
        self.user_name
            .clone()
            .or_else(|| self.user_principal_name.clone())
            .or_else(|| self.user_display_name.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    pub items: Vec<SessionRow>,
    pub continuation: Option<String>,
    #[ts(type = "number | null")]
    pub total_items: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "SessionStateFilter")]
pub enum StateFilter {
    Active,
    Disconnected,
    Connected,
    #[default]
    Any,
}

/// The search form. Empty strings mean "any".
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default, rename_all = "camelCase")]
#[ts(rename = "SessionQuery")]
pub struct SessionQueryInput {
    pub user: Option<String>,
    pub machine: Option<String>,
    pub delivery_group: Option<String>,
    pub state: StateFilter,
}

impl SessionQueryInput {
    fn to_query(&self) -> citrix_cloud::SessionQuery {
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        citrix_cloud::SessionQuery {
            user: text(&self.user),
            machine: text(&self.machine),
            delivery_group: text(&self.delivery_group),
            state: Some(match self.state {
                StateFilter::Active => citrix_cloud::SessionState::Active,
                StateFilter::Disconnected => citrix_cloud::SessionState::Disconnected,
                StateFilter::Connected => citrix_cloud::SessionState::Connected,
                StateFilter::Any => citrix_cloud::SessionState::Any,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LookupResult {
    /// The ID as the officer gave it (canonical form when it parsed).
    pub id: String,
    pub row: Option<SessionRow>,
    pub error: Option<IpcError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetail {
    pub row: SessionRow,
    #[ts(type = "unknown")]
    pub json: serde_json::Value,
    pub last_action: Option<LastAction>,
}

/// The last start/stop this app run sent for a session, with Citrix's raw answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastAction {
    pub action: Action,
    pub at: String,
    pub transaction_id: Option<String>,
    #[ts(type = "unknown")]
    pub response: serde_json::Value,
}

/// One page of search results. The rows' recording status is not asked here (see
/// [`SessionRow::recording_checked`]).
pub async fn search(
    client: &CitrixClient,
    site: &str,
    query: &SessionQueryInput,
    continuation: Option<String>,
) -> Result<SessionPage> {
    let page = PageRequest {
        limit: Some(PAGE_SIZE),
        continuation: continuation.filter(|c| !c.is_empty()),
    };
    let reply = client
        .search_sessions(site, &query.to_query(), &page)
        .await?;
    let page = reply.value;
    Ok(SessionPage {
        items: page.items.iter().map(SessionRow::unchecked).collect(),
        continuation: page.continuation,
        total_items: page.total_items,
    })
}

/// What Citrix says about one session's recording, for [`recording_statuses`].
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingStatusRow {
    pub id: String,
    /// `null` when Citrix could not be asked or did not answer.
    pub recording: Option<bool>,
}

/// The recording status of each session, in the order asked; as many at once as the client's
/// limiter lets through, which runs share, so together they keep to the site's limits.
pub async fn recording_statuses(
    client: &CitrixClient,
    site: &str,
    ids: Vec<String>,
) -> Vec<RecordingStatusRow> {
    in_order(client, ids, |id| async move {
        let recording = recording_status(client, site, Some(&id)).await;
        RecordingStatusRow { id, recording }
    })
    .await
}

/// `each` of `items`, as many at once as the client's limiter lets through, the answers in the
/// order of `items`. Unordered underneath: with answers kept in order, one slow request would
/// hold back the start of the next ones, and fewer requests than the limit would be in flight.
async fn in_order<T, R, F, Fut>(client: &CitrixClient, items: Vec<T>, each: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    let mut answers: Vec<(usize, R)> = stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| {
            let answer = each(item);
            async move { (i, answer.await) }
        })
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

/// The recording flag, or `None` when it cannot be read: the row still shows, marked unknown.
async fn recording_status(client: &CitrixClient, site: &str, id: Option<&str>) -> Option<bool> {
    let id = SessionId::parse(id?).ok()?;
    match client.recording_status(site, &id).await {
        Ok(reply) => Some(reply.value),
        Err(e) => {
            tracing::debug!(session = %id, kind = %e.kind(), "recording status unavailable");
            None
        }
    }
}

/// Looks up each pasted ID: one request to Citrix per ID, without the recording status, which the
/// front end asks for as rows come into view or stay selected ([`recording_statuses`]), so the
/// officer sees the sessions in half the time. Invalid and unknown IDs get a per-item error; the
/// call itself only fails if there is no connection.
pub async fn lookup(client: &CitrixClient, site: &str, ids: Vec<String>) -> Vec<LookupResult> {
    // As many at once as the client's limiter lets through (the run concurrency setting).
    in_order(client, ids, |raw| async move {
        let id = match SessionId::parse(&raw) {
            Ok(id) => id,
            Err(e) => {
                return LookupResult {
                    id: raw.trim().to_owned(),
                    row: None,
                    error: Some(IpcError {
                        kind: ErrorKind::InvalidSessionId,
                        message: e.to_string(),
                        field: None,
                    }),
                }
            }
        };
        let (row, error) = match fetch_session(client, site, &id).await {
            Ok(session) => (Some(SessionRow::unchecked(&session)), None),
            Err(e) => (None, Some(e.to_ipc())),
        };
        LookupResult {
            id: id.to_string(),
            row,
            error,
        }
    })
    .await
}

/// One session as a row (with recording status) plus its full JSON.
pub async fn fetch_row(
    client: &CitrixClient,
    site: &str,
    id: &SessionId,
) -> Result<(SessionRow, serde_json::Value)> {
    let session = fetch_session(client, site, id).await?;
    let recording = recording_status(client, site, Some(id.as_str())).await;
    Ok((
        SessionRow::from_session(&session, recording),
        session.into_raw(),
    ))
}

/// One session. A 404 becomes the app's `notFound`, worded about the session rather than the API.
pub async fn fetch_session(client: &CitrixClient, site: &str, id: &SessionId) -> Result<Session> {
    match client.session(site, id).await {
        Ok(reply) => Ok(reply.value),
        Err(citrix_cloud::Error::NotFound { .. }) => Err(Error::SessionNotFound),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_the_fields_and_the_reason_a_session_cannot_be_recorded() {
        let session = |state: &str, protocol: &str| {
            Session::from_json(serde_json::json!({
                "Id": "313b84bb-2b66-4393-ad7b-3e08dccb4fd0",
                "State": state,
                "Connection": { "Protocol": protocol },
                "User": { "DisplayName": "Jane Smith", "SamName": "CONTOSO\\jsmith" },
                "Machine": { "Name": "CONTOSO\\VDA-FIN-01", "DeliveryGroup": { "Name": "Finance" } },
                "FormattedStartTime": "2025-03-01T08:00:00Z"
            }))
        };
        let row = SessionRow::from_session(&session("Active", "Hdx"), Some(true));
        assert!(row.recordable);
        assert_eq!(row.not_recordable_reason, None);
        assert_eq!(row.user_name.as_deref(), Some("CONTOSO\\jsmith"));
        assert_eq!(row.delivery_group.as_deref(), Some("Finance"));
        assert_eq!(row.audit_user().as_deref(), Some("CONTOSO\\jsmith"));

        let json = serde_json::to_value(&row).expect("json");
        assert_eq!(json["userDisplayName"], "Jane Smith");
        assert_eq!(json["notRecordableReason"], serde_json::Value::Null);
        assert_eq!(json["recording"], true);

        for (state, protocol, word) in [
            ("Disconnected", "Hdx", "disconnected"),
            ("Active", "Rdp", "RDP"),
        ] {
            let row = SessionRow::from_session(&session(state, protocol), None);
            assert!(!row.recordable);
            let reason = row.not_recordable_reason.expect("reason");
            assert!(reason.contains(word), "{reason}");
        }
    }

    #[test]
    fn the_query_accepts_the_ipc_shape() {
        let q: SessionQueryInput = serde_json::from_value(serde_json::json!({
            "user": " jsmith ", "machine": null, "deliveryGroup": "", "state": "active"
        }))
        .expect("deserialize");
        let q = q.to_query();
        assert_eq!(q.user.as_deref(), Some("jsmith"));
        assert_eq!(q.machine, None);
        assert_eq!(q.delivery_group, None);
    }
}
