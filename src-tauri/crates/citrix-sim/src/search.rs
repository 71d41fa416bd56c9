//! `MachineAndSessionSearchRequestModel`: parsing (with the service's 400s for unknown enum
//! values and bad shapes) and evaluation against session JSON.
//!
//! Semantics: flat `SearchFilters` combine with AND; each `SearchFilterGroups` entry combines
//! its leaf filters with `SearchFilterGroupType` and its child groups with
//! `SearchFilterGroupsType`; the top-level groups combine with the top-level
//! `SearchFilterGroupsType` (default And) and then AND with the flat filters. String matching
//! is case-insensitive; `Like` takes `*` (any run) and `?` (one character) wildcards; `In`
//! takes comma-separated values. Property and enum names are matched case-insensitively, as
//! .NET's enum converters do. Filters look at the session as the API answers it: a session
//! whose `State` is null is not found by a `SessionState` filter.
//!
//! Which operator the real service accepts on which property is not documented, so a
//! [`SearchMode`] makes the simulator as strict as a client must be ready for. A refused
//! operator gets 400 with an `ErrorData` body (the family the CVAD service uses for business
//! and parameter errors) naming the property and the operator twice: in `ErrorMessage` for
//! people, and in `ErrorReport.ErrorData` as `{"Property": ..., "Operator": ...}` for programs.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::errors;

/// Every value of `MachineAndSessionSearchProperty`; the ones without a mapping in
/// [`property_values`] are valid but never have a value on a session.
const PROPERTIES: &[&str] = &[
    "AgentVersion",
    "AllocationType",
    "AppState",
    "AppsInUse",
    "AzureAdJoinedMode",
    "ControllerDnsName",
    "ClientIP",
    "ClientName",
    "ConnectedViaHostName",
    "ConnectedViaIP",
    "HypervisorConnection",
    "ConnectionProtocol",
    "CurrentUser",
    "DeliveryGroup",
    "FaultState",
    "IsAssigned",
    "LastConnectionUser",
    "LastConnectionTime",
    "LastDeregistrationReason",
    "LastDeregistrationTime",
    "LaunchedViaHostName",
    "LaunchedViaIP",
    "PublishedName",
    "LoadIndex",
    "StartTime",
    "MachineCatalog",
    "MachineUnavailableReason",
    "InMaintenanceMode",
    "MaintenanceModeReason",
    "DrainingUntilShutdown",
    "MachineName",
    "OSType",
    "OSVersion",
    "ImageOutOfDate",
    "PowerActionPending",
    "ClientVersion",
    "PowerState",
    "SupportedPowerActions",
    "RegistrationState",
    "SecureIcaActive",
    "HostingServerName",
    "SessionCount",
    "SessionStateChangeTime",
    "SessionState",
    "SessionSupport",
    "SmartAccessFilters",
    "SummaryState",
    "Tags",
    "UserPrincipalName",
    "UserName",
    "UserDisplayName",
    "HostedMachineName",
    "WindowsConnectionSetting",
    "FunctionalLevel",
    "DnsName",
    "Uid",
    "VdaUpgrade",
    "VdaUpgradeState",
    "ProvisioningType",
    "ZoneName",
];

/// Every value of `SearchOperator`.
const OPERATORS: &[&str] = &[
    "Equals",
    "NotEquals",
    "LessThan",
    "GreaterThan",
    "LessThanOrEquals",
    "GreaterThanOrEquals",
    "Like",
    "NotLike",
    "EndsWith",
    "NotEndsWith",
    "StartsWith",
    "NotStartsWith",
    "Any",
    "None",
    "Contains",
    "NotContains",
    "ContainsLike",
    "NotContainsLike",
    "ContainsEndsWith",
    "NotContainsEndsWith",
    "ContainsStartsWith",
    "NotContainsStartsWith",
    "In",
    "NotIn",
    "IsWithin",
    "IsNotWithin",
];

/// The properties `BasicSearchString` looks in.
const BASIC_PROPERTIES: &[&str] = &[
    "UserDisplayName",
    "UserName",
    "UserPrincipalName",
    "MachineName",
    "DeliveryGroup",
    "ClientName",
    "ClientIP",
    "SessionState",
    "ConnectionProtocol",
];

/// Which `SearchOperator`s the service accepts (`"lenient"`, `"noContains"`, `"equalsOnly"` in
/// the `/_sim/` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchMode {
    /// Every operator the simulator can evaluate, on every property.
    #[default]
    Lenient,
    /// `Contains`, `NotContains` and the rest of the `Contains…` family are refused on every
    /// property.
    NoContains,
    /// Only `Equals`, `NotEquals` and `In` are accepted: `Like`, `StartsWith`, `Contains` and
    /// every other operator are refused.
    EqualsOnly,
}

impl SearchMode {
    fn accepts(self, operator: &str) -> bool {
        match self {
            SearchMode::Lenient => true,
            SearchMode::NoContains => {
                !(operator.starts_with("Contains") || operator.starts_with("NotContains"))
            }
            SearchMode::EqualsOnly => matches!(operator, "Equals" | "NotEquals" | "In"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combine {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    Like,
    Contains,
    StartsWith,
    EndsWith,
    In,
    LessThan,
    GreaterThan,
    LessThanOrEquals,
    GreaterThanOrEquals,
}

#[derive(Debug, Clone)]
struct Filter {
    property: &'static str,
    op: Op,
    negated: bool,
    value: String,
}

#[derive(Debug, Clone)]
struct Group {
    filters_combine: Combine,
    filters: Vec<Filter>,
    groups_combine: Combine,
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    basic: Option<String>,
    filters: Vec<Filter>,
    groups_combine: Combine,
    groups: Vec<Group>,
    sort: Vec<(&'static str, bool)>,
}

/// Looks a key up case-insensitively, as .NET model binding does.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn shape_error(what: &str) -> Response {
    errors::invalid_json(&format!("The request body is invalid: {what}"))
}

fn enum_value(
    obj: &Map<String, Value>,
    key: &str,
    allowed: &'static [&'static str],
) -> Result<Option<&'static str>, Response> {
    let Some(value) = field(obj, key) else {
        return Ok(None);
    };
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(text.trim()))
        .map(|a| Some(*a))
        .ok_or_else(|| errors::invalid_enum(key, &text))
}

const COMBINES: &[&str] = &["And", "Or"];
const DIRECTIONS: &[&str] = &["Ascending", "Descending"];

fn combine(obj: &Map<String, Value>, key: &str) -> Result<Combine, Response> {
    Ok(match enum_value(obj, key, COMBINES)? {
        Some("Or") => Combine::Or,
        _ => Combine::And,
    })
}

fn array<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], Response> {
    match field(obj, key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(shape_error(&format!("{key} must be an array"))),
    }
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Response> {
    value
        .as_object()
        .ok_or_else(|| shape_error(&format!("{what} must be an object")))
}

fn parse_filter(value: &Value, mode: SearchMode) -> Result<Filter, Response> {
    let obj = object(value, "a search filter")?;
    let property = enum_value(obj, "Property", PROPERTIES)?
        .ok_or_else(|| shape_error("a search filter needs a Property"))?;
    let operator = enum_value(obj, "Operator", OPERATORS)?.unwrap_or("Equals");
    if !mode.accepts(operator) {
        return Err(errors::operator_not_supported(property, operator));
    }
    let value = match field(obj, "Value") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let (op, negated) = match operator {
        "Equals" => (Op::Equals, false),
        "NotEquals" => (Op::Equals, true),
        "Like" => (Op::Like, false),
        "NotLike" => (Op::Like, true),
        "Contains" => (Op::Contains, false),
        "NotContains" => (Op::Contains, true),
        "StartsWith" => (Op::StartsWith, false),
        "NotStartsWith" => (Op::StartsWith, true),
        "EndsWith" => (Op::EndsWith, false),
        "NotEndsWith" => (Op::EndsWith, true),
        "In" => (Op::In, false),
        "NotIn" => (Op::In, true),
        "LessThan" => (Op::LessThan, false),
        "GreaterThan" => (Op::GreaterThan, false),
        "LessThanOrEquals" => (Op::LessThanOrEquals, false),
        "GreaterThanOrEquals" => (Op::GreaterThanOrEquals, false),
        other => return Err(errors::operator_not_supported(property, other)),
    };
    Ok(Filter {
        property,
        op,
        negated,
        value,
    })
}

fn parse_filters(obj: &Map<String, Value>, mode: SearchMode) -> Result<Vec<Filter>, Response> {
    array(obj, "SearchFilters")?
        .iter()
        .map(|f| parse_filter(f, mode))
        .collect()
}

fn parse_group(value: &Value, depth: usize, mode: SearchMode) -> Result<Group, Response> {
    // The real service caps nesting too; this keeps a hostile body from recursing forever.
    if depth > 16 {
        return Err(shape_error("search filter groups are nested too deeply"));
    }
    let obj = object(value, "a search filter group")?;
    Ok(Group {
        filters_combine: combine(obj, "SearchFilterGroupType")?,
        filters: parse_filters(obj, mode)?,
        groups_combine: combine(obj, "SearchFilterGroupsType")?,
        groups: array(obj, "SearchFilterGroups")?
            .iter()
            .map(|g| parse_group(g, depth + 1, mode))
            .collect::<Result<_, _>>()?,
    })
}

fn parse_sort(value: &Value) -> Result<(&'static str, bool), Response> {
    let obj = object(value, "a sort criterion")?;
    let property = enum_value(obj, "Property", PROPERTIES)?
        .ok_or_else(|| shape_error("a sort criterion needs a Property"))?;
    let descending = enum_value(obj, "SortDirection", DIRECTIONS)? == Some("Descending");
    Ok((property, descending))
}

/// Parses a request body (already decoded JSON), refusing operators `mode` does not accept.
pub fn parse(body: &Value, mode: SearchMode) -> Result<SearchRequest, Response> {
    let obj = object(body, "the search request")?;
    let basic = match field(obj, "BasicSearchString") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_lowercase()),
        Some(_) => return Err(shape_error("BasicSearchString must be a string")),
    };
    let mut sort: Vec<(&'static str, bool)> = array(obj, "SortCriteriaItems")?
        .iter()
        .map(parse_sort)
        .collect::<Result<_, _>>()?;
    if sort.is_empty() {
        if let Some(criteria) = field(obj, "SortCriteria") {
            sort.push(parse_sort(criteria)?);
        }
    }
    Ok(SearchRequest {
        basic,
        filters: parse_filters(obj, mode)?,
        groups_combine: combine(obj, "SearchFilterGroupsType")?,
        groups: array(obj, "SearchFilterGroups")?
            .iter()
            .map(|g| parse_group(g, 0, mode))
            .collect::<Result<_, _>>()?,
        sort,
    })
}

fn text_at(session: &Value, pointer: &str) -> Option<String> {
    match session.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The values a session has for a property. Several where users write the same thing several
/// ways: `CurrentUser` is the SAM name or the UPN, `MachineName` also matches without domain.
fn property_values(session: &Value, property: &str) -> Vec<String> {
    let at = |p: &str| text_at(session, p);
    let values: Vec<Option<String>> = match property {
        "CurrentUser" => vec![
            at("/User/SamName"),
            at("/Brokering/UserName"),
            at("/User/PrincipalName"),
        ],
        "UserName" => vec![at("/User/SamName"), at("/Brokering/UserName")],
        "UserPrincipalName" => vec![at("/User/PrincipalName")],
        "UserDisplayName" => vec![at("/User/DisplayName")],
        "MachineName" => {
            let name = at("/Machine/Name");
            let short = name
                .as_deref()
                .and_then(|n| n.rsplit_once('\\'))
                .map(|(_, short)| short.to_owned());
            vec![name, short, at("/Machine/DnsName")]
        }
        "DnsName" => vec![at("/Machine/DnsName")],
        "DeliveryGroup" => vec![
            at("/Machine/DeliveryGroup/Name"),
            at("/Machine/DeliveryGroup/Id"),
        ],
        "MachineCatalog" => vec![
            at("/Machine/MachineCatalog/Name"),
            at("/Machine/MachineCatalog/Id"),
        ],
        "SessionState" => vec![at("/State")],
        "ClientName" => vec![at("/Client/Name")],
        "ClientIP" => vec![at("/Client/IPAddress")],
        "ClientVersion" => vec![at("/Client/Version")],
        "StartTime" => vec![at("/FormattedStartTime")],
        "SessionStateChangeTime" => vec![at("/FormattedStateChangeTime")],
        "ConnectionProtocol" => vec![at("/Connection/Protocol")],
        "ConnectedViaHostName" => vec![at("/Connection/ConnectedViaHostName")],
        "ConnectedViaIP" => vec![at("/Connection/ConnectedViaIP")],
        "LaunchedViaHostName" => vec![at("/Connection/LaunchedViaHostName")],
        "LaunchedViaIP" => vec![at("/Connection/LaunchedViaIP")],
        "SecureIcaActive" => vec![at("/Connection/SecureIcaActive")],
        "AppState" => vec![at("/AppState")],
        "Uid" => vec![at("/Uid")],
        "ZoneName" => vec![at("/Machine/Zone/Name")],
        "AgentVersion" => vec![at("/Machine/AgentVersion")],
        "OSType" => vec![at("/Machine/OSType")],
        "SessionSupport" => vec![at("/Machine/SessionSupport")],
        "PowerState" => vec![at("/Machine/PowerState")],
        "RegistrationState" => vec![at("/Machine/RegistrationState")],
        "SummaryState" => vec![at("/Machine/SummaryState")],
        "InMaintenanceMode" => vec![at("/Machine/InMaintenanceMode")],
        "AppsInUse" => session
            .get("ApplicationsInUse")
            .and_then(Value::as_array)
            .map(|apps| apps.iter().map(|a| text_at(a, "/Name")).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for v in values.into_iter().flatten() {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Glob match with `*` and `?`, on already lower-cased text.
fn like(pattern: &[char], text: &[char]) -> bool {
    // Iterative matcher with single backtrack point: linear-ish, no recursion blow-up.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Orders two values: numbers numerically, RFC 3339 times chronologically, the rest as
/// case-insensitive text.
fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    if let (Some(x), Some(y)) = (parse_time(a), parse_time(b)) {
        return x.cmp(&y);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{s}T00:00:00Z"), &Rfc3339).ok())
}

impl Filter {
    fn matches(&self, session: &Value) -> bool {
        let wanted = self.value.to_lowercase();
        let values = property_values(session, self.property);
        let hit = values.iter().any(|v| {
            let have = v.to_lowercase();
            match self.op {
                Op::Equals => have == wanted,
                Op::Contains => have.contains(&wanted),
                Op::StartsWith => have.starts_with(&wanted),
                Op::EndsWith => have.ends_with(&wanted),
                Op::Like => {
                    let p: Vec<char> = wanted.chars().collect();
                    let t: Vec<char> = have.chars().collect();
                    like(&p, &t)
                }
                Op::In => wanted.split(',').any(|w| w.trim() == have),
                Op::LessThan => compare(v, &self.value) == Ordering::Less,
                Op::GreaterThan => compare(v, &self.value) == Ordering::Greater,
                Op::LessThanOrEquals => compare(v, &self.value) != Ordering::Greater,
                Op::GreaterThanOrEquals => compare(v, &self.value) != Ordering::Less,
            }
        });
        hit != self.negated
    }
}

fn all_or_any<T>(items: &[T], how: Combine, f: impl Fn(&T) -> bool) -> bool {
    match how {
        Combine::And => items.iter().all(f),
        Combine::Or => items.is_empty() || items.iter().any(f),
    }
}

impl Group {
    fn matches(&self, session: &Value) -> bool {
        all_or_any(&self.filters, self.filters_combine, |f| f.matches(session))
            && all_or_any(&self.groups, self.groups_combine, |g| g.matches(session))
    }
}

impl SearchRequest {
    pub fn matches(&self, session: &Value) -> bool {
        let basic_ok = self.basic.as_ref().is_none_or(|needle| {
            BASIC_PROPERTIES.iter().any(|p| {
                property_values(session, p)
                    .iter()
                    .any(|v| v.to_lowercase().contains(needle))
            })
        });
        basic_ok
            && self.filters.iter().all(|f| f.matches(session))
            && all_or_any(&self.groups, self.groups_combine, |g| g.matches(session))
    }

    /// Stable sort by the criteria in order; without criteria the fixture order stays.
    pub fn sort(&self, sessions: &mut [Arc<Value>]) {
        if self.sort.is_empty() {
            return;
        }
        sessions.sort_by(|a, b| {
            for (property, descending) in &self.sort {
                let x = property_values(a, property)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let y = property_values(b, property)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let order = compare(&x, &y);
                let order = if *descending { order.reverse() } else { order };
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn like_wildcards() {
        assert!(like(&chars("contoso\\j*"), &chars("contoso\\jsmith")));
        assert!(like(&chars("*smith"), &chars("contoso\\jsmith")));
        assert!(like(&chars("*o*o*"), &chars("contoso")));
        assert!(like(&chars("j?mith"), &chars("jsmith")));
        assert!(!like(&chars("j*x"), &chars("jsmith")));
        assert!(like(&chars("*"), &chars("")));
        assert!(!like(&chars("a"), &chars("")));
    }

    #[test]
    fn rejects_unknown_enums() {
        let bad_property =
            json!({"SearchFilters":[{"Property":"Nope","Value":"x","Operator":"Equals"}]});
        assert!(parse(&bad_property, SearchMode::Lenient).is_err());
        let bad_operator =
            json!({"SearchFilters":[{"Property":"UserName","Value":"x","Operator":"Sorta"}]});
        assert!(parse(&bad_operator, SearchMode::Lenient).is_err());
        let bad_group =
            json!({"SearchFilterGroups":[{"SearchFilterGroupType":"Xor","SearchFilters":[]}]});
        assert!(parse(&bad_group, SearchMode::Lenient).is_err());
        let ok = json!({"searchFilters":[{"property":"username","value":"x","operator":"like"}]});
        assert!(parse(&ok, SearchMode::Lenient).is_ok());
    }

    #[test]
    fn strict_modes_refuse_operators() {
        let with =
            |op: &str| json!({"SearchFilters":[{"Property":"UserName","Value":"x","Operator":op}]});
        let nested = json!({"SearchFilterGroups":[{"SearchFilters":[{"Property":"MachineName","Value":"x","Operator":"Contains"}]}]});
        for op in ["Contains", "NotContains", "ContainsLike"] {
            assert!(parse(&with(op), SearchMode::NoContains).is_err(), "{op}");
        }
        assert!(parse(&nested, SearchMode::NoContains).is_err());
        assert!(parse(&with("Like"), SearchMode::NoContains).is_ok());
        for op in ["Like", "StartsWith", "EndsWith", "Contains", "NotIn"] {
            assert!(parse(&with(op), SearchMode::EqualsOnly).is_err(), "{op}");
        }
        for op in ["Equals", "NotEquals", "In"] {
            assert!(parse(&with(op), SearchMode::EqualsOnly).is_ok(), "{op}");
        }
    }

    #[test]
    fn compares_times_and_numbers() {
        assert_eq!(compare("10", "9"), Ordering::Greater);
        assert_eq!(
            compare("2025-06-01T10:00:00Z", "2025-06-01T09:00:00+00:00"),
            Ordering::Greater
        );
        assert_eq!(
            compare("2025-06-01T10:00:00Z", "2025-06-02"),
            Ordering::Less
        );
    }
}
