//! The session model and session queries.
//!
//! Citrix's `SessionResponseModel` has well over a hundred fields, most of them nullable, and it
//! grows between releases. [`Session`] therefore keeps the whole JSON object as received (the
//! officer can view and save it verbatim) and offers typed accessors for the handful of fields
//! the app shows. The accessors never fail: a missing, null or oddly typed field is simply absent.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One session as returned by Citrix (the full `SessionResponseModel` JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Session(Value);

/// Why a session cannot be recorded; `Display` is a sentence for the officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NotRecordable {
    pub reason: String,
}

impl Session {
    /// Wraps a JSON object received from Citrix.
    pub fn from_json(value: Value) -> Session {
        Session(value)
    }

    /// The JSON exactly as Citrix sent it.
    pub fn raw(&self) -> &Value {
        &self.0
    }

    /// Gives the JSON back (for saving it to a file without a copy).
    pub fn into_raw(self) -> Value {
        self.0
    }

    /// `Id`, the session GUID as Citrix sent it.
    pub fn id(&self) -> Option<&str> {
        self.str_at(&["Id"])
    }

    /// `User.DisplayName`, e.g. "Jane Smith".
    pub fn user_display_name(&self) -> Option<&str> {
        self.str_at(&["User", "DisplayName"])
    }

    /// The `DOMAIN\user` name. `User.SamName` is authoritative but may be null: in Citrix's
    /// `SessionResponseModel` docs the `User` object (`IdentityUserResponseModel`) requires only
    /// `DisplayName` and `PropertiesFetched`. So fall back to what the broker saw, then what the
    /// VDA reported, then `User.Name`.
    pub fn user_name(&self) -> Option<&str> {
        self.str_at(&["User", "SamName"])
            .or_else(|| self.str_at(&["Brokering", "UserName"]))
            .or_else(|| self.str_at(&["UntrustedUserName"]))
            .or_else(|| self.str_at(&["User", "Name"]))
    }

    /// `User.PrincipalName` (UPN), e.g. "jsmith@contoso.com".
    pub fn user_principal_name(&self) -> Option<&str> {
        self.str_at(&["User", "PrincipalName"])
    }

    /// `Machine.Name` (`DOMAIN\VDA01`), or `Machine.DnsName` when the name is missing.
    pub fn machine_name(&self) -> Option<&str> {
        self.str_at(&["Machine", "Name"])
            .or_else(|| self.str_at(&["Machine", "DnsName"]))
    }

    /// `Machine.DeliveryGroup.Name`.
    pub fn delivery_group(&self) -> Option<&str> {
        self.str_at(&["Machine", "DeliveryGroup", "Name"])
    }

    /// `State`: "Active", "Disconnected", "Connected" or "Unknown" (also when missing).
    pub fn state(&self) -> &str {
        self.str_at(&["State"]).unwrap_or("Unknown")
    }

    /// `Connection.Protocol`: "Hdx", "Rdp", "Console" or "Unknown" (also when missing).
    pub fn protocol(&self) -> &str {
        self.str_at(&["Connection", "Protocol"])
            .unwrap_or("Unknown")
    }

    /// `FormattedStartTime` (RFC 3339). The plain `StartTime` is a locale-formatted string that
    /// cannot be parsed reliably, so it is not offered.
    pub fn start_time(&self) -> Option<&str> {
        self.str_at(&["FormattedStartTime"])
    }

    /// `Client.Name`, the officer-visible name of the user's device.
    pub fn client_name(&self) -> Option<&str> {
        self.str_at(&["Client", "Name"])
    }

    /// Whether Citrix can record this session: only Active sessions over HDX can be (Broker SDK
    /// notes for `Start-BrokerSessionRecording`). Checked before asking, so the officer learns why
    /// up front instead of from a failed request.
    pub fn recordable(&self) -> Result<(), NotRecordable> {
        let state = self.state();
        if !state.eq_ignore_ascii_case("Active") {
            let reason = match state.to_ascii_lowercase().as_str() {
                "disconnected" => {
                    "The session is disconnected; only active sessions can be recorded.".to_owned()
                }
                "connected" => {
                    "The session is still connecting; only active sessions can be recorded."
                        .to_owned()
                }
                _ => format!(
                    "The session is in state \"{state}\"; only active sessions can be recorded."
                ),
            };
            return Err(NotRecordable { reason });
        }
        let protocol = self.protocol();
        if !protocol.eq_ignore_ascii_case("Hdx") {
            let reason = match protocol.to_ascii_lowercase().as_str() {
                "rdp" => "The session uses Remote Desktop (RDP); only Citrix HDX sessions can be recorded.".to_owned(),
                "console" => "The session is a console session; only Citrix HDX sessions can be recorded.".to_owned(),
                _ => format!("The session's protocol is \"{protocol}\"; only Citrix HDX sessions can be recorded."),
            };
            return Err(NotRecordable { reason });
        }
        Ok(())
    }

    /// The non-empty string at a path of object keys; `None` for anything else.
    fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.0;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Which page of a listing to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    /// Items per page. Citrix may default to 250 and may reject values over 1000, so the client
    /// clamps to 1..=1000.
    pub limit: Option<u32>,
    /// The `ContinuationToken` of the previous page; `None` for the first page.
    pub continuation: Option<String>,
}

impl PageRequest {
    /// The first page with a given size.
    pub fn first(limit: u32) -> PageRequest {
        PageRequest {
            limit: Some(limit),
            continuation: None,
        }
    }

    /// The page after `page`, or `None` when `page` was the last.
    pub fn next_after(&self, page: &SessionPage) -> Option<PageRequest> {
        page.continuation.as_ref().map(|c| PageRequest {
            limit: self.limit,
            continuation: Some(c.clone()),
        })
    }

    pub(crate) fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(limit) = self.limit {
            q.push(("limit", limit.clamp(1, 1000).to_string()));
        }
        if let Some(c) = self.continuation.as_deref().filter(|c| !c.is_empty()) {
            q.push(("continuationToken", c.to_owned()));
        }
        q
    }
}

/// One page of sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    pub items: Vec<Session>,
    /// Pass back in [`PageRequest::continuation`] for the next page; `None` on the last page.
    pub continuation: Option<String>,
    /// Only `$search` reports it.
    pub total_items: Option<u64>,
}

impl SessionPage {
    /// Reads `{Items, ContinuationToken, TotalItems}`; `None` if `Items` is not an array, because
    /// then the body is not a session collection at all.
    pub(crate) fn from_json(v: &Value) -> Option<SessionPage> {
        let items = v
            .get("Items")?
            .as_array()?
            .iter()
            .filter(|i| i.is_object())
            .cloned()
            .map(Session)
            .collect();
        let continuation = v
            .get("ContinuationToken")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let total_items = v.get("TotalItems").and_then(Value::as_u64);
        Some(SessionPage {
            items,
            continuation,
            total_items,
        })
    }
}

/// Session state filter for a search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    Active,
    Disconnected,
    Connected,
    Unknown,
    /// No filter on state.
    #[default]
    Any,
}

impl SessionState {
    /// The value of Citrix's `SessionState` enum, `None` for [`SessionState::Any`].
    pub fn citrix_name(self) -> Option<&'static str> {
        match self {
            SessionState::Active => Some("Active"),
            SessionState::Disconnected => Some("Disconnected"),
            SessionState::Connected => Some("Connected"),
            SessionState::Unknown => Some("Unknown"),
            SessionState::Any => None,
        }
    }
}

/// What the officer searches for. Empty or whitespace-only text means "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionQuery {
    /// Matched (contains) against the logged-on user, the `DOMAIN\user` name, the display name
    /// and the UPN, so "smith", "jsmith" and "jane" all find Jane Smith.
    pub user: Option<String>,
    /// Matched (contains) against the machine name.
    pub machine: Option<String>,
    /// Matched (contains) against the delivery group's name: the officer types it freely, so
    /// "Fin" finds "Finance".
    pub delivery_group: Option<String>,
    pub state: Option<SessionState>,
}

impl SessionQuery {
    /// The `MachineAndSessionSearchRequestModel` body for `POST /Sessions/$search`.
    ///
    /// Plain `SearchFilters` are ANDed by Citrix; the user text needs an OR across four
    /// properties, which only a `SearchFilterGroups` entry of type `Or` expresses. The groups are
    /// combined with the plain filters by `SearchFilterGroupsType: And`.
    pub fn to_search_body(&self) -> Value {
        let filter = |property: &str, operator: &str, value: &str| json!({ "Property": property, "Value": value, "Operator": operator });
        let mut filters = Vec::new();
        if let Some(m) = non_empty(&self.machine) {
            filters.push(filter("MachineName", "Contains", m));
        }
        if let Some(dg) = non_empty(&self.delivery_group) {
            filters.push(filter("DeliveryGroup", "Contains", dg));
        }
        if let Some(state) = self.state.and_then(SessionState::citrix_name) {
            filters.push(filter("SessionState", "Equals", state));
        }
        let mut body = json!({ "SearchFilters": filters });
        if let Some(u) = non_empty(&self.user) {
            let user_filters: Vec<Value> = [
                "CurrentUser",
                "UserName",
                "UserDisplayName",
                "UserPrincipalName",
            ]
            .iter()
            .map(|p| filter(p, "Contains", u))
            .collect();
            body["SearchFilterGroups"] = json!([{
                "SearchFilterGroupType": "Or",
                "SearchFilters": user_filters,
            }]);
            body["SearchFilterGroupsType"] = json!("And");
        }
        body
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citrix_doc_sample() -> Session {
        Session::from_json(json!({
            "Id": "313b84bb-2b66-4393-ad7b-3e08dccb4fd0",
            "Brokering": { "UserName": "XF4B5\\Administrator" },
            "Client": { "Name": "testpc" },
            "Connection": { "Protocol": "Hdx" },
            "Machine": { "Name": "XF4B5\\W2K22-VDA", "DeliveryGroup": { "Name": "WinOS" } },
            "FormattedStartTime": "2022-03-15T07:41:45Z",
            "State": "Active",
            "UntrustedUserName": "lab01\\administrator",
            "User": { "DisplayName": "", "SamName": null, "PrincipalName": "", "Name": "XF4B5\\Administrator" },
            "Unknown": { "future": [1, 2, 3] }
        }))
    }

    #[test]
    fn accessors_on_the_citrix_doc_sample() {
        let s = citrix_doc_sample();
        assert_eq!(s.id(), Some("313b84bb-2b66-4393-ad7b-3e08dccb4fd0"));
        assert_eq!(s.user_display_name(), None, "empty strings count as absent");
        assert_eq!(s.user_name(), Some("XF4B5\\Administrator"));
        assert_eq!(s.user_principal_name(), None);
        assert_eq!(s.machine_name(), Some("XF4B5\\W2K22-VDA"));
        assert_eq!(s.delivery_group(), Some("WinOS"));
        assert_eq!(s.state(), "Active");
        assert_eq!(s.protocol(), "Hdx");
        assert_eq!(s.start_time(), Some("2022-03-15T07:41:45Z"));
        assert_eq!(s.client_name(), Some("testpc"));
        assert_eq!(s.recordable(), Ok(()));
    }

    #[test]
    fn accessors_never_fail_on_odd_json() {
        for v in [
            json!(null),
            json!([]),
            json!({"User": null, "State": 3, "Machine": "x"}),
        ] {
            let s = Session::from_json(v);
            assert_eq!(s.user_name(), None);
            assert_eq!(s.state(), "Unknown");
            assert_eq!(s.protocol(), "Unknown");
            assert!(s.recordable().is_err());
        }
    }

    #[test]
    fn not_recordable_reasons() {
        let mut v = citrix_doc_sample().into_raw();
        v["State"] = json!("Disconnected");
        let e = Session::from_json(v.clone())
            .recordable()
            .expect_err("disconnected");
        assert!(e.to_string().contains("disconnected"));
        v["State"] = json!("Active");
        v["Connection"]["Protocol"] = json!("Rdp");
        let e = Session::from_json(v).recordable().expect_err("rdp");
        assert!(e.to_string().contains("RDP"));
    }

    #[test]
    fn search_body() {
        let q = SessionQuery {
            user: Some(" smith ".into()),
            machine: Some("VDA-FIN".into()),
            delivery_group: Some("Finance".into()),
            state: Some(SessionState::Active),
        };
        let b = q.to_search_body();
        assert_eq!(b["SearchFilters"].as_array().map(Vec::len), Some(3));
        assert_eq!(b["SearchFilters"][0]["Property"], "MachineName");
        assert_eq!(b["SearchFilters"][1]["Property"], "DeliveryGroup");
        assert_eq!(
            b["SearchFilters"][1]["Operator"], "Contains",
            "part of a group's name finds it"
        );
        assert_eq!(b["SearchFilters"][2]["Value"], "Active");
        assert_eq!(b["SearchFilterGroups"][0]["SearchFilterGroupType"], "Or");
        assert_eq!(
            b["SearchFilterGroups"][0]["SearchFilters"][3]["Value"],
            "smith"
        );
        let any = SessionQuery {
            state: Some(SessionState::Any),
            user: Some("  ".into()),
            ..SessionQuery::default()
        };
        assert_eq!(any.to_search_body(), json!({"SearchFilters": []}));
    }

    #[test]
    fn page_parsing() {
        let p = SessionPage::from_json(
            &json!({"Items":[{"Id":"a"}, 3], "ContinuationToken": "", "TotalItems": 9}),
        )
        .expect("page");
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.continuation, None);
        assert_eq!(p.total_items, Some(9));
        assert!(SessionPage::from_json(&json!({"items": 1})).is_none());
        let req = PageRequest {
            limit: Some(5000),
            continuation: Some("t".into()),
        };
        assert_eq!(
            req.query_pairs(),
            vec![
                ("limit", "1000".to_owned()),
                ("continuationToken", "t".to_owned())
            ]
        );
    }
}
