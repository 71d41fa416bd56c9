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

/// Whether Citrix can record a session, as far as what Citrix reported about it tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Recordability {
    /// Citrix reports an active HDX session.
    Recordable,
    /// Citrix reports a state or a protocol that cannot be recorded; `reason` is a sentence for
    /// the officer.
    NotRecordable { reason: String },
    /// Citrix did not report the state or the protocol (every field of its session model is
    /// nullable). The session is offered for recording and Citrix decides; `reason` says what
    /// was missing.
    Unknown { reason: String },
}

impl Recordability {
    /// Whether the session may be selected and sent in a run: everything Citrix did not report
    /// as unrecordable.
    pub fn is_offered(&self) -> bool {
        !matches!(self, Recordability::NotRecordable { .. })
    }

    /// The sentence for the officer, for the two cases that have one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Recordability::Recordable => None,
            Recordability::NotRecordable { reason } | Recordability::Unknown { reason } => {
                Some(reason)
            }
        }
    }
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

    /// `State` as Citrix reported it; `None` when missing, null or Citrix's own "Unknown".
    pub fn reported_state(&self) -> Option<&str> {
        self.str_at(&["State"])
            .filter(|s| !s.eq_ignore_ascii_case("Unknown"))
    }

    /// `Connection.Protocol` as Citrix reported it; `None` when missing, null or "Unknown".
    pub fn reported_protocol(&self) -> Option<&str> {
        self.str_at(&["Connection", "Protocol"])
            .filter(|s| !s.eq_ignore_ascii_case("Unknown"))
    }

    /// Whether Citrix can record this session: only Active sessions over HDX can be (Broker SDK
    /// notes for `Start-BrokerSessionRecording`). A state or protocol Citrix *reported* as
    /// something else rules the session out up front, so the officer learns why before asking;
    /// one Citrix did not report rules nothing out: Citrix decides when asked.
    pub fn recordable(&self) -> Recordability {
        let state = self.reported_state();
        let protocol = self.reported_protocol();
        if let Some(state) = state.filter(|s| !s.eq_ignore_ascii_case("Active")) {
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
            return Recordability::NotRecordable { reason };
        }
        if let Some(protocol) = protocol.filter(|p| !p.eq_ignore_ascii_case("Hdx")) {
            let reason = match protocol.to_ascii_lowercase().as_str() {
                "rdp" => "The session uses Remote Desktop (RDP); only Citrix HDX sessions can be recorded.".to_owned(),
                "console" => "The session is a console session; only Citrix HDX sessions can be recorded.".to_owned(),
                _ => format!("The session's protocol is \"{protocol}\"; only Citrix HDX sessions can be recorded."),
            };
            return Recordability::NotRecordable { reason };
        }
        let missing = match (state, protocol) {
            (Some(_), Some(_)) => return Recordability::Recordable,
            (None, None) => "state or connection protocol",
            (None, Some(_)) => "state",
            (Some(_), None) => "connection protocol",
        };
        Recordability::Unknown {
            reason: format!(
                "Citrix did not report this session's {missing}, so it may or may not be recordable; Citrix decides when recording is started."
            ),
        }
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

/// The operator a search uses for the officer's free text. Citrix does not document which
/// operators each property accepts, so the client starts with `Contains` and falls back (see the
/// `search` module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextOperator {
    Contains,
    /// `Like` with the text between `*` wildcards: the same meaning as `Contains`.
    Like,
}

impl SessionQuery {
    /// The `MachineAndSessionSearchRequestModel` body for `POST /Sessions/$search`, matching the
    /// free text with `Contains`.
    ///
    /// Plain `SearchFilters` are ANDed by Citrix; the user text needs an OR across four
    /// properties, which only a `SearchFilterGroups` entry of type `Or` expresses. The groups are
    /// combined with the plain filters by `SearchFilterGroupsType: And`.
    pub fn to_search_body(&self) -> Value {
        self.search_body(TextOperator::Contains)
    }

    pub(crate) fn search_body(&self, operator: TextOperator) -> Value {
        let text = |value: &str| match operator {
            TextOperator::Contains => ("Contains", value.to_owned()),
            TextOperator::Like => ("Like", format!("*{value}*")),
        };
        let filter = |property: &str, operator: &str, value: &str| json!({ "Property": property, "Value": value, "Operator": operator });
        let mut filters = Vec::new();
        if let Some(m) = non_empty(&self.machine) {
            let (op, value) = text(m);
            filters.push(filter("MachineName", op, &value));
        }
        if let Some(dg) = non_empty(&self.delivery_group) {
            let (op, value) = text(dg);
            filters.push(filter("DeliveryGroup", op, &value));
        }
        if let Some(state) = self.state.and_then(SessionState::citrix_name) {
            filters.push(filter("SessionState", "Equals", state));
        }
        let mut body = json!({ "SearchFilters": filters });
        if let Some(u) = non_empty(&self.user) {
            let (op, value) = text(u);
            let user_filters: Vec<Value> = USER_PROPERTIES
                .iter()
                .map(|p| filter(p, op, &value))
                .collect();
            body["SearchFilterGroups"] = json!([{
                "SearchFilterGroupType": "Or",
                "SearchFilters": user_filters,
            }]);
            body["SearchFilterGroupsType"] = json!("And");
        }
        body
    }

    /// Whether the query has free text, the part whose operator Citrix may refuse.
    pub(crate) fn has_text(&self) -> bool {
        [&self.user, &self.machine, &self.delivery_group]
            .into_iter()
            .any(|t| non_empty(t).is_some())
    }

    /// Whether the free text holds a character that `Like` would read as a wildcard, so that a
    /// `Like` search would not mean "contains" any more.
    pub(crate) fn has_wildcards(&self) -> bool {
        [&self.user, &self.machine, &self.delivery_group]
            .into_iter()
            .filter_map(non_empty)
            .any(|t| t.contains(['*', '?', '[', ']']))
    }

    /// Whether `session` matches, with the meaning the search has at Citrix: each text is
    /// contained (ignoring case) in one of the fields of its properties, the state is equal.
    /// Used when Citrix refuses every operator and the client lists sessions and filters them.
    pub fn matches(&self, session: &Session) -> bool {
        let contains = |needle: Option<&str>, paths: &[&[&str]]| {
            needle.is_none_or(|needle| {
                let needle = needle.to_lowercase();
                paths.iter().any(|path| {
                    session
                        .str_at(path)
                        .is_some_and(|v| v.to_lowercase().contains(&needle))
                })
            })
        };
        let state_ok = self
            .state
            .and_then(SessionState::citrix_name)
            .is_none_or(|want| session.state().eq_ignore_ascii_case(want));
        state_ok
            && contains(
                non_empty(&self.user),
                &[
                    &["User", "SamName"],
                    &["Brokering", "UserName"],
                    &["User", "DisplayName"],
                    &["User", "PrincipalName"],
                ],
            )
            && contains(
                non_empty(&self.machine),
                &[&["Machine", "Name"], &["Machine", "DnsName"]],
            )
            && contains(
                non_empty(&self.delivery_group),
                &[&["Machine", "DeliveryGroup", "Name"]],
            )
    }
}

/// The search properties the user text is matched against: the logged-on user, the
/// `DOMAIN\user` name, the display name and the UPN.
const USER_PROPERTIES: [&str; 4] = [
    "CurrentUser",
    "UserName",
    "UserDisplayName",
    "UserPrincipalName",
];

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
        assert_eq!(s.recordable(), Recordability::Recordable);
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
            let r = s.recordable();
            assert!(matches!(r, Recordability::Unknown { .. }), "{r:?}");
            assert!(r.is_offered(), "Citrix decides what it did not report");
        }
    }

    #[test]
    fn not_recordable_reasons() {
        let mut v = citrix_doc_sample().into_raw();
        v["State"] = json!("Disconnected");
        let r = Session::from_json(v.clone()).recordable();
        assert!(!r.is_offered());
        assert!(
            r.reason().is_some_and(|t| t.contains("disconnected")),
            "{r:?}"
        );
        v["State"] = json!("Active");
        v["Connection"]["Protocol"] = json!("Rdp");
        let r = Session::from_json(v).recordable();
        assert!(!r.is_offered());
        assert!(r.reason().is_some_and(|t| t.contains("RDP")), "{r:?}");
    }

    #[test]
    fn a_reported_wrong_value_rules_out_what_was_not_reported() {
        let cases = [
            // (State, Protocol, offered, unknown)
            (json!("Active"), json!("Hdx"), true, false),
            (json!(null), json!("Hdx"), true, true),
            (json!("Active"), json!(null), true, true),
            (json!("Unknown"), json!("Unknown"), true, true),
            (json!("Disconnected"), json!(null), false, false),
            (json!(null), json!("Rdp"), false, false),
        ];
        for (state, protocol, offered, unknown) in cases {
            let mut v = citrix_doc_sample().into_raw();
            v["State"] = state.clone();
            v["Connection"]["Protocol"] = protocol.clone();
            let r = Session::from_json(v).recordable();
            assert_eq!(r.is_offered(), offered, "{state} {protocol}: {r:?}");
            assert_eq!(
                matches!(r, Recordability::Unknown { .. }),
                unknown,
                "{state} {protocol}: {r:?}"
            );
        }
        let mut v = citrix_doc_sample().into_raw();
        v.as_object_mut().expect("object").remove("Connection");
        let r = Session::from_json(v).recordable();
        assert!(r.reason().is_some_and(|t| t.contains("protocol")), "{r:?}");
    }

    #[test]
    fn local_matching_means_what_the_search_means() {
        let s = citrix_doc_sample();
        let q = |user: &str, machine: &str, dg: &str, state| SessionQuery {
            user: Some(user.into()),
            machine: Some(machine.into()),
            delivery_group: Some(dg.into()),
            state: Some(state),
        };
        assert!(q("administrator", "w2k22", "winos", SessionState::Active).matches(&s));
        assert!(q("XF4B5\\ADMIN", "", " ", SessionState::Any).matches(&s));
        assert!(!q("smith", "", "", SessionState::Any).matches(&s));
        assert!(!q("", "vda", "", SessionState::Disconnected).matches(&s));
        assert!(!q("", "", "finance", SessionState::Any).matches(&s));
        assert!(SessionQuery::default().matches(&s));
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
        assert!(!any.has_text());
        let like = q.search_body(TextOperator::Like);
        assert_eq!(like["SearchFilters"][0]["Operator"], "Like");
        assert_eq!(like["SearchFilters"][0]["Value"], "*VDA-FIN*");
        assert_eq!(like["SearchFilters"][2]["Operator"], "Equals");
        assert_eq!(
            like["SearchFilterGroups"][0]["SearchFilters"][0]["Value"],
            "*smith*"
        );
        assert!(q.has_text() && !q.has_wildcards());
        let starred = SessionQuery {
            machine: Some("VDA*".into()),
            ..SessionQuery::default()
        };
        assert!(starred.has_wildcards());
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
    }
}
