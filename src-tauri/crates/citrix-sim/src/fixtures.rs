//! Fixture sessions: realistic `SessionResponseModel` objects modelled on the sample in Citrix's
//! "start or stop recording of a session" page, including its many nulls.
//!
//! Everything except the clock is a pure function of the session's index, so the same count
//! always gives the same sessions and a larger count only appends. Start times are offsets
//! before an anchor (the hour the simulator started) so the demo shows sessions that started
//! minutes to days ago rather than years ago.
//!
//! Two sets ([`FixtureSet`]). In the test set the first [`SPECIAL_COUNT`] sessions are fixed so
//! that tests can rely on them (see [`SpecialSessions`]); the demo set has no such sessions, so
//! a new officer never meets the HTML user name or the probe account. The other sessions are
//! drawn with a tiny deterministic PRNG: about 15 % Disconnected, 4 % Connected, 10 % RDP, 8 %
//! without resolved identity (empty `DisplayName`, null `SamName`, as in Citrix's own sample),
//! spread over six delivery groups.
//!
//! Each fixture carries the session's true state and protocol beside its JSON, because the JSON
//! may not say: Citrix marks every field nullable, and some test sessions answer with `State`,
//! `Connection` or `Protocol` null or missing while the broker still knows what they are.

use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::config::FixtureSet;
use crate::hidden::{HiddenFields, Hide};
use crate::timefmt::{rfc3339, us_locale};

/// The fixed sessions at the start of the test fixture list (present with
/// [`FixtureSet::Test`] when the configured count is at least [`SPECIAL_COUNT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialSessions {
    /// Index 0. `CONTOSO\jsmith` "Jane Smith" on `CONTOSO\VDA-FIN-01`, Active, HDX: recordable.
    pub recordable: String,
    /// Index 1. Active HDX session whose user `DisplayName` is `<img src=x onerror=alert(1)>`
    /// (user `CONTOSO\qa.probe`), for hostile-content tests.
    pub hostile: String,
    /// Index 2. Active but RDP: start/stop answer 400 `SessionOperationFailed`.
    pub rdp: String,
    /// Index 3. Disconnected HDX: start/stop answer 400 `SessionOperationFailed`.
    pub disconnected: String,
    /// Index 4. Connected (logging on) HDX: start/stop answer 400 `SessionOperationFailed`.
    pub connected: String,
    /// Index 5. Jane Smith's second session, an Active HDX published-application session in
    /// "Published Apps": a search for `CONTOSO\jsmith` finds exactly this one and `recordable`.
    pub second_of_user: String,
    /// Index 6. `State` is null in every answer, but the session is truly Active and HDX:
    /// `$startRecording` succeeds.
    pub null_state: String,
    /// Index 7. `State` is null in every answer and the session is truly Disconnected:
    /// `$startRecording` answers 400 `SessionOperationFailed`.
    pub null_state_disconnected: String,
    /// Index 8. `Connection` has no `Protocol` property, but the session is truly Active and
    /// HDX: `$startRecording` succeeds.
    pub missing_protocol: String,
    /// Index 9. No `State` property and `Connection` null; truly Active but RDP:
    /// `$startRecording` answers 400 `SessionOperationFailed`.
    pub missing_state_null_connection: String,
}

/// How many fixed sessions lead the test fixture list.
pub const SPECIAL_COUNT: usize = 10;

/// The user and machine of the special sessions, for tests that search by them.
pub const SPECIAL_USER: &str = "CONTOSO\\jsmith";
pub const SPECIAL_USER_DISPLAY: &str = "Jane Smith";
pub const SPECIAL_MACHINE: &str = "CONTOSO\\VDA-FIN-01";
pub const HOSTILE_DISPLAY_NAME: &str = "<img src=x onerror=alert(1)>";

impl SpecialSessions {
    /// The IDs of the special sessions (they do not depend on the configured count).
    pub fn ids() -> SpecialSessions {
        SpecialSessions {
            recordable: session_id(0),
            hostile: session_id(1),
            rdp: session_id(2),
            disconnected: session_id(3),
            connected: session_id(4),
            second_of_user: session_id(5),
            null_state: session_id(6),
            null_state_disconnected: session_id(7),
            missing_protocol: session_id(8),
            missing_state_null_connection: session_id(9),
        }
    }
}

/// One generated session: its JSON as the API answers it, and what the broker knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    pub json: Value,
    /// The true `SessionState` ("Active", "Disconnected", "Connected").
    pub state: &'static str,
    /// The true `ProtocolType` ("Hdx", "Rdp").
    pub protocol: &'static str,
}

/// The session ID of fixture `index`: a lower-case version-4-shaped GUID.
pub fn session_id(index: usize) -> String {
    guid(0x5E55_1015_0000_0000 ^ index as u64)
}

/// splitmix64: tiny, fast, good enough to spread fixtures, and stable across platforms.
#[derive(Debug, Clone)]
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A stable GUID for a name (FNV-1a of the bytes as seed), e.g. the API client's user ID.
pub fn guid_for(name: &str) -> String {
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    guid(seed)
}

fn guid(seed: u64) -> String {
    let mut prng = Prng::new(seed);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&prng.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&prng.next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

struct User {
    sam: &'static str,
    display: &'static str,
}

const fn user(sam: &'static str, display: &'static str) -> User {
    User { sam, display }
}

/// Index 0 is Jane Smith and index 1 the hostile probe. Random test sessions draw from index 2
/// on, so the special user's session count stays exactly two; demo sessions draw from every
/// user but the probe.
const USERS: &[User] = &[
    user("jsmith", SPECIAL_USER_DISPLAY),
    user("qa.probe", HOSTILE_DISPLAY_NAME),
    user("mgarcia", "Miguel García"),
    user("achen", "Amy Chen"),
    user("rpatel", "Raj Patel"),
    user("okowalski", "Olga Kowalski"),
    user("jmuller", "José Müller"),
    user("fhaddad", "Fatima Haddad"),
    user("lobrien", "Liam O'Brien"),
    user("cdubois", "Chloé Dubois"),
    user("ktanaka", "Kenji Tanaka"),
    user("aokafor", "Aisha Okafor"),
    user("tnguyen", "Tom Nguyen"),
    user("prao", "Priya Rao"),
    user("landersen", "Lars Andersen"),
    user("mwong", "Mei Wong"),
    user("oevans", "Owen Evans"),
    user("srossi", "Sofia Rossi"),
    user("ncohen", "Noah Cohen"),
    user("zfischer", "Zoë Fischer"),
    user("akhan", "Ahmed Khan"),
    user("lna", "李娜"),
    user("ipetrova", "Ирина Петрова"),
    user("bjohnson", "Bob Johnson"),
    user("ewilliams", "Emma Williams"),
    user("dbrown", "David Brown"),
    user("sjones", "Sarah Jones"),
    user("mmiller", "Mark Miller"),
    user("ldavis", "Laura Davis"),
    user("jwilson", "James Wilson"),
    user("kmoore", "Karen Moore"),
    user("jsmith2", "John Smith"),
    user("svc-kiosk", "Kiosk Service Account"),
];

struct Group {
    name: &'static str,
    prefix: &'static str,
    catalog: &'static str,
    applications: bool,
}

const GROUPS: &[Group] = &[
    Group {
        name: "Finance Desktops",
        prefix: "FIN",
        catalog: "FIN-W2022",
        applications: false,
    },
    Group {
        name: "HR Desktops",
        prefix: "HR",
        catalog: "HR-W2022",
        applications: false,
    },
    Group {
        name: "Engineering",
        prefix: "ENG",
        catalog: "ENG-W2022",
        applications: false,
    },
    Group {
        name: "Call Center",
        prefix: "CC",
        catalog: "CC-W2019",
        applications: false,
    },
    Group {
        name: "Executive Desktops",
        prefix: "EXEC",
        catalog: "EXEC-W11",
        applications: false,
    },
    Group {
        name: "Published Apps",
        prefix: "APP",
        catalog: "APP-W2022",
        applications: true,
    },
];

const APPS: &[&str] = &[
    "Microsoft Excel",
    "Microsoft Word",
    "SAP GUI",
    "Notepad++",
    "Microsoft Edge",
];

const MACHINES_PER_GROUP: u64 = 4;

/// Everything that varies between sessions.
struct Spec {
    index: usize,
    user: usize,
    identity_resolved: bool,
    group: usize,
    machine: u64,
    state: &'static str,
    protocol: &'static str,
    started_minutes_ago: i64,
    /// Fields the API never reports for this session.
    hidden: HiddenFields,
}

/// The index of the probe account in [`USERS`], which only the test set uses.
const PROBE_USER: u64 = 1;

fn spec(set: FixtureSet, index: usize) -> Spec {
    match set {
        FixtureSet::Test if index < SPECIAL_COUNT => special_spec(index),
        FixtureSet::Test => random_spec(index, |prng| 2 + prng.below(USERS.len() as u64 - 2)),
        FixtureSet::Demo => random_spec(index, |prng| match prng.below(USERS.len() as u64 - 1) {
            u if u >= PROBE_USER => u + 1,
            u => u,
        }),
    }
}

fn special_spec(index: usize) -> Spec {
    let special = |user, group, state, protocol, ago| Spec {
        index,
        user,
        identity_resolved: true,
        group,
        machine: 1,
        state,
        protocol,
        started_minutes_ago: ago,
        hidden: HiddenFields::NONE,
    };
    let hidden = |state, connection, protocol| HiddenFields {
        state,
        connection,
        protocol,
    };
    match index {
        0 => special(0, 0, "Active", "Hdx", 47),
        1 => Spec {
            machine: 3,
            ..special(1, 2, "Active", "Hdx", 95)
        },
        2 => Spec {
            machine: 2,
            ..special(3, 3, "Active", "Rdp", 130)
        },
        3 => special(4, 1, "Disconnected", "Hdx", 610),
        4 => special(6, 4, "Connected", "Hdx", 1),
        5 => special(0, 5, "Active", "Hdx", 22),
        6 => Spec {
            hidden: hidden(Some(Hide::Null), None, None),
            ..special(9, 3, "Active", "Hdx", 38)
        },
        7 => Spec {
            hidden: hidden(Some(Hide::Null), None, None),
            ..special(10, 3, "Disconnected", "Hdx", 400)
        },
        8 => Spec {
            machine: 2,
            hidden: hidden(None, None, Some(Hide::Absent)),
            ..special(11, 1, "Active", "Hdx", 75)
        },
        _ => Spec {
            machine: 2,
            hidden: hidden(Some(Hide::Absent), Some(Hide::Null), None),
            ..special(12, 2, "Active", "Rdp", 160)
        },
    }
}

fn random_spec(index: usize, draw_user: impl FnOnce(&mut Prng) -> u64) -> Spec {
    let mut prng = Prng::new(0xF1C7_0000_0000_0000 ^ index as u64);
    let user = draw_user(&mut prng) as usize;
    let group = prng.below(GROUPS.len() as u64) as usize;
    let machine = 1 + prng.below(MACHINES_PER_GROUP);
    let roll = prng.unit();
    let state = if roll < 0.15 {
        "Disconnected"
    } else if roll < 0.19 {
        "Connected"
    } else {
        "Active"
    };
    let protocol = if prng.unit() < 0.10 { "Rdp" } else { "Hdx" };
    let identity_resolved = prng.unit() >= 0.08;
    let started_minutes_ago = 3 + prng.below(3 * 24 * 60) as i64;
    Spec {
        index,
        user,
        identity_resolved,
        group,
        machine,
        state,
        protocol,
        started_minutes_ago,
        hidden: HiddenFields::NONE,
    }
}

/// Generates `count` sessions of `set` whose times are relative to `anchor`.
pub fn generate(set: FixtureSet, count: usize, anchor: OffsetDateTime) -> Vec<Fixture> {
    (0..count)
        .map(|i| {
            let spec = spec(set, i);
            let mut json = session(&spec, anchor);
            spec.hidden.apply(&mut json);
            Fixture {
                json,
                state: spec.state,
                protocol: spec.protocol,
            }
        })
        .collect()
}

fn user_sid(user: usize) -> String {
    format!("S-1-5-21-3498310158-745772606-2686472752-{}", 1104 + user)
}

fn session(s: &Spec, anchor: OffsetDateTime) -> Value {
    let mut prng = Prng::new(0xC11E_0000_0000_0000 ^ s.index as u64);
    let user = &USERS[s.user];
    let group = &GROUPS[s.group];
    let start = anchor - Duration::minutes(s.started_minutes_ago)
        + Duration::seconds(prng.below(60) as i64);
    let brokered = start - Duration::milliseconds(300 + prng.below(900) as i64);
    let established = start + Duration::seconds(1 + prng.below(40) as i64);
    let state_changed = if s.state == "Disconnected" {
        start + Duration::minutes((s.started_minutes_ago / 2).max(1))
    } else {
        established
    };
    let domain_user = format!("CONTOSO\\{}", user.sam);
    let untrusted = format!("contoso\\{}", user.sam);
    let is_app = group.applications;
    let applications = if is_app {
        let app = APPS[prng.below(APPS.len() as u64) as usize];
        json!([{ "Id": guid(0xA99 ^ ((s.index as u64) << 8)), "Uid": 1 + s.index % 7, "Name": app }])
    } else {
        json!([])
    };
    let app_state = match (s.state, is_app) {
        ("Connected", _) => "PreLogon",
        (_, true) => "Active",
        (_, false) => "Desktop",
    };

    json!({
        "Id": session_id(s.index),
        "Uid": s.index + 1,
        "ApplicationsInUse": applications,
        "AppState": app_state,
        "AppStateLastChangeTime": us_locale(established),
        "FormattedAppStateLastChangeTime": rfc3339(established),
        "Brokering": {
            "AutonomouslyBrokered": false,
            "DurationMilliseconds": 120 + prng.below(800),
            "Time": us_locale(brokered),
            "FormattedTime": rfc3339(brokered),
            "UserName": domain_user,
            "UserSid": user_sid(s.user),
        },
        "Client": client(&mut prng, s),
        "Connection": {
            "ConnectedViaHostName": null,
            "ConnectedViaIP": format!("10.108.96.{}", 160 + prng.below(20)),
            "ConnectionMode": "Brokered",
            "LaunchedViaHostName": if s.protocol == "Hdx" { "storefront.contoso.com" } else { "" },
            "LaunchedViaIP": null,
            "Protocol": s.protocol,
            "SecureIcaActive": false,
            "SmartAccessTags": [],
        },
        "ContainerScopes": [
            { "Scopes": [all_scope()], "ScopeType": "MachineCatalog" },
            { "Scopes": [all_scope()], "ScopeType": "DeliveryGroup" },
        ],
        "EstablishmentDurationMilliseconds": (established - start).whole_milliseconds() as i64,
        "EstablishmentTime": us_locale(established),
        "FormattedEstablishmentTime": rfc3339(established),
        "IsAnonymousUser": false,
        "IsHidden": false,
        "LogoffInProgress": false,
        "LogonInProgress": s.state == "Connected",
        "Machine": machine(s),
        "SessionType": if is_app { "Application" } else { "Desktop" },
        "StartTime": us_locale(start),
        "FormattedStartTime": rfc3339(start),
        "State": s.state,
        "StateChangeTime": us_locale(state_changed),
        "FormattedStateChangeTime": rfc3339(state_changed),
        "UntrustedUserName": untrusted,
        "User": identity(s, &domain_user),
    })
}

fn all_scope() -> Value {
    json!({
        "Id": "00000000-0000-0000-0000-000000000000",
        "Uid": null,
        "Name": "All",
        "Description": null,
        "IsBuiltIn": true,
        "IsAllScope": true,
        "IsTenantScope": false,
        "TenantId": null,
        "TenantName": null,
    })
}

fn client(prng: &mut Prng, s: &Spec) -> Value {
    let n = prng.below(10_000);
    let (name, platform, version) = match prng.below(5) {
        0 | 1 => (format!("LT-{n:04}"), "Windows", "2409.1.0.23"),
        2 => (format!("DESKTOP-{:05X}", n * 37), "Windows", "2402.0.0.5"),
        3 => (format!("MBP-{n:04}"), "Mac", "24.08.0.17"),
        _ => (
            format!("WR_{:016x}", prng.next_u64() >> 1),
            "HTML5",
            "24.9.0.3",
        ),
    };
    let device_id = if platform == "HTML5" {
        Value::from(name.clone())
    } else if s.index.is_multiple_of(3) {
        Value::Null
    } else {
        Value::from(format!("{:016X}", prng.next_u64()))
    };
    json!({
        "DeviceId": device_id,
        "HardwareId": format!("{:08X}", prng.next_u64() as u32),
        "IPAddress": format!("192.168.{}.{}", prng.below(8), 2 + prng.below(250)),
        "Name": name,
        "Platform": platform,
        "ProductId": 1,
        "ReceiverIPAddress": format!("203.0.113.{}", 1 + prng.below(254)),
        "ReceiverName": if platform == "HTML5" { Value::from(name.clone()) } else { Value::Null },
        "Version": version,
    })
}

fn machine(s: &Spec) -> Value {
    let group = &GROUPS[s.group];
    let short = format!("VDA-{}-{:02}", group.prefix, s.machine);
    let key = ((s.group as u64) << 8) | s.machine;
    json!({
        "Uid": 10 * s.group as u64 + s.machine,
        "AgentVersion": "2402.0.100.629",
        "AllocationType": "Random",
        "ApplicationsInUse": null,
        "AssignedUsers": null,
        "AssociatedUsers": null,
        "AzureAdJoinedMode": "Unknown",
        "ContainerScopes": null,
        "ControllerDnsName": null,
        "DeliveryGroup": {
            "Id": guid(0xDE11_0000 ^ s.group as u64),
            "Uid": s.group + 1,
            "Name": group.name,
        },
        "DeliveryType": null,
        "Description": null,
        "DesktopConditions": null,
        "DnsName": format!("{}.contoso.local", short.to_lowercase()),
        "Hosting": {
            "HostedMachineId": null,
            "HostedMachineName": null,
            "HostingServerName": null,
            "LastHostingUpdateTime": null,
            "FormattedLastHostingUpdateTime": null,
            "HypervisorConnection": {
                "Id": "00000000-0000-0000-0000-000000000000",
                "Uid": null,
                "Name": null,
            },
            "ImageOutOfDate": false,
        },
        "InMaintenanceMode": false,
        "DrainingUntilShutdown": false,
        "IPAddress": format!("10.20.{}.{}", s.group + 1, 10 + s.machine),
        "IsAssigned": null,
        "MachineType": "Physical",
        "LastConnectionFailure": null,
        "LastConnectionTime": null,
        "FormattedLastConnectionTime": null,
        "LastConnectionUser": null,
        "LastDeregistrationReason": null,
        "LastDeregistrationTime": null,
        "FormattedLastDeregistrationTime": null,
        "LastErrorReason": null,
        "LastErrorTime": null,
        "FormattedLastErrorTime": null,
        "LoadIndex": null,
        "MachineUnavailableReason": "Unknown",
        "OSType": if group.catalog.ends_with("W11") { "Windows 11" } else if group.catalog.ends_with("W2019") { "Windows 2019" } else { "Windows 2022" },
        "OSVersion": null,
        "PersistUserChanges": "OnLocal",
        "PowerActionPending": null,
        "PowerState": "Unknown",
        "ProvisioningType": "Manual",
        "PublishedApplications": null,
        "PublishedName": null,
        "RegistrationState": "Registered",
        "ScheduledReboot": "Unknown",
        "SessionClientAddress": null,
        "SessionClientName": null,
        "SessionClientVersion": null,
        "SessionConnectedViaHostName": null,
        "SessionConnectedViaIP": null,
        "SessionCount": null,
        "SessionLaunchedViaHostName": null,
        "SessionLaunchedViaIP": null,
        "SessionProtocol": null,
        "SessionSecureIcaActive": null,
        "SessionSmartAccessTags": null,
        "SessionStartTime": null,
        "FormattedSessionStartTime": null,
        "SessionState": null,
        "SessionStateChangeTime": null,
        "FormattedSessionStateChangeTime": null,
        "SessionSupport": "MultiSession",
        "SessionUserName": null,
        "Sid": null,
        "SummaryState": "InUse",
        "WillShutdownAfterUse": null,
        "WindowsConnectionSetting": null,
        "Zone": {
            "Id": "41d64c14-03ac-4aba-9e0a-436d50e50fea",
            "Uid": null,
            "Name": "Primary Resource Location",
        },
        "SupportedPowerActions": null,
        "FaultState": "Unknown",
        "ContainerMetadata": null,
        "Tags": null,
        "UpgradeType": null,
        "UpgradeState": null,
        "UpgradeDetail": null,
        "Id": guid(0x3AC4_0000_0000 ^ key),
        "MachineCatalog": {
            "Id": guid(0xCA7A_0000 ^ s.group as u64),
            "Uid": s.group + 1,
            "Name": group.catalog,
        },
        "Name": format!("CONTOSO\\{short}"),
    })
}

/// The `User` object. Unresolved identities look like Citrix's own sample: empty display name
/// and UPN, null SAM name, `PropertiesFetched` 0, only `Name` and `Sid` set.
fn identity(s: &Spec, domain_user: &str) -> Value {
    let user = &USERS[s.user];
    let resolved = s.identity_resolved;
    let pick = |v: Value| if resolved { v } else { Value::Null };
    let upn = format!("{}@contoso.com", user.sam);
    json!({
        "DisplayName": if resolved { user.display } else { "" },
        "SamName": pick(Value::from(domain_user)),
        "SamAccountName": pick(Value::from(user.sam)),
        "CommonName": pick(Value::from(user.display)),
        "PrincipalName": if resolved { upn.clone() } else { String::new() },
        "Oid": null,
        "Sid": user_sid(s.user),
        "GroupSids": null,
        "DenyOnlySids": null,
        "PasswordCanExpire": null,
        "DaysUntilPasswordExpiry": null,
        "IsBuiltIn": null,
        "IsGroup": pick(Value::from(false)),
        "Name": domain_user,
        "StreetAddress": null,
        "City": null,
        "State": null,
        "Country": null,
        "Mail": pick(Value::from(upn)),
        "TelephoneNumber": null,
        "HomePhone": null,
        "Mobile": null,
        "Enabled": pick(Value::from(true)),
        "Locked": null,
        "PropertiesFetched": if resolved { 31 } else { 0 },
        "Claims": null,
        "Directory": null,
        "Domain": pick(Value::from("contoso.com")),
        "Forest": pick(Value::from("contoso.com")),
        "Guid": pick(Value::from(guid(0x05E2_0000 ^ s.user as u64))),
        "DistinguishedName": pick(Value::from(format!(
            "CN={},OU=Staff,DC=contoso,DC=com",
            user.display.replace(',', "\\,")
        ))),
        "CanonicalName": null,
        "PossibleLookupFailure": false,
        "DirectoryServer": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ANCHOR: OffsetDateTime = datetime!(2025-06-02 09:00:00 UTC);

    fn json(set: FixtureSet, count: usize) -> Vec<Value> {
        generate(set, count, ANCHOR)
            .into_iter()
            .map(|f| f.json)
            .collect()
    }

    fn count(sessions: &[Value], f: impl Fn(&Value) -> bool) -> usize {
        sessions.iter().filter(|s| f(s)).count()
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        for set in [FixtureSet::Demo, FixtureSet::Test] {
            let a = generate(set, 50, ANCHOR);
            let b = generate(set, 240, ANCHOR);
            assert_eq!(a[..], b[..50]);
            assert_eq!(a, generate(set, 50, ANCHOR));
        }
    }

    #[test]
    fn default_mix_is_realistic() {
        for set in [FixtureSet::Demo, FixtureSet::Test] {
            let fixtures = generate(set, 240, ANCHOR);
            let truly = |state: &str, protocol: &str| {
                fixtures
                    .iter()
                    .filter(|f| f.state == state && f.protocol == protocol)
                    .count()
            };
            let sessions = json(set, 240);
            let rdp = fixtures.iter().filter(|f| f.protocol == "Rdp").count();
            let disconnected = fixtures
                .iter()
                .filter(|f| f.state == "Disconnected")
                .count();
            let connected = fixtures.iter().filter(|f| f.state == "Connected").count();
            let groups: std::collections::BTreeSet<String> = sessions
                .iter()
                .map(|s| s["Machine"]["DeliveryGroup"]["Name"].to_string())
                .collect();
            assert!((12..=40).contains(&rdp), "{set:?} rdp {rdp}");
            assert!(
                (20..=50).contains(&disconnected),
                "{set:?} disconnected {disconnected}"
            );
            assert!(
                (2..=20).contains(&connected),
                "{set:?} connected {connected}"
            );
            assert!(truly("Active", "Hdx") > 150, "{set:?}");
            assert_eq!(groups.len(), 6);
            let ids: std::collections::BTreeSet<&str> =
                sessions.iter().filter_map(|s| s["Id"].as_str()).collect();
            assert_eq!(ids.len(), 240);
            // The JSON tells the truth except where a field is hidden.
            for (f, s) in fixtures.iter().zip(&sessions) {
                if let Some(state) = s["State"].as_str() {
                    assert_eq!(state, f.state);
                }
                if let Some(protocol) = s["Connection"]["Protocol"].as_str() {
                    assert_eq!(protocol, f.protocol);
                }
            }
        }
        let test = json(FixtureSet::Test, 240);
        let jsmith = count(&test, |s| s["User"]["SamName"] == SPECIAL_USER);
        assert_eq!(jsmith, 2);
    }

    #[test]
    fn demo_has_nothing_only_a_test_needs() {
        let demo = json(FixtureSet::Demo, 1000);
        let text = serde_json::to_string(&demo).unwrap();
        assert!(!text.contains('<'));
        assert!(!text.contains("qa.probe"));
        assert!(demo
            .iter()
            .all(|s| s["State"].is_string() && s["Connection"]["Protocol"].is_string()));
        let people: std::collections::BTreeSet<&str> = demo
            .iter()
            .filter_map(|s| s["User"]["DisplayName"].as_str())
            .collect();
        assert!(people.len() > 25, "{people:?}");
    }

    #[test]
    fn special_sessions_are_what_they_claim() {
        let fixtures = generate(FixtureSet::Test, SPECIAL_COUNT, ANCHOR);
        let ids = SpecialSessions::ids();
        let by_id = |id: &str| {
            fixtures
                .iter()
                .find(|f| f.json["Id"] == id)
                .cloned()
                .expect("special session exists")
        };
        let r = by_id(&ids.recordable).json;
        assert_eq!(r["User"]["DisplayName"], SPECIAL_USER_DISPLAY);
        assert_eq!(r["Machine"]["Name"], SPECIAL_MACHINE);
        let hostile = by_id(&ids.hostile).json;
        assert_eq!(hostile["User"]["DisplayName"], HOSTILE_DISPLAY_NAME);
        assert_eq!(hostile["User"]["SamName"], "CONTOSO\\qa.probe");
        assert_eq!(by_id(&ids.rdp).json["Connection"]["Protocol"], "Rdp");
        assert_eq!(by_id(&ids.disconnected).json["State"], "Disconnected");
        assert_eq!(by_id(&ids.connected).json["State"], "Connected");
        let second = by_id(&ids.second_of_user).json;
        assert_eq!(second["User"]["SamName"], SPECIAL_USER);
        assert_eq!(second["SessionType"], "Application");

        let null_state = by_id(&ids.null_state);
        assert_eq!(null_state.json["State"], Value::Null);
        assert_eq!((null_state.state, null_state.protocol), ("Active", "Hdx"));
        let null_disconnected = by_id(&ids.null_state_disconnected);
        assert_eq!(null_disconnected.json["State"], Value::Null);
        assert_eq!(null_disconnected.state, "Disconnected");
        let missing_protocol = by_id(&ids.missing_protocol);
        let connection = missing_protocol.json["Connection"].as_object().unwrap();
        assert!(!connection.contains_key("Protocol"));
        assert!(connection.contains_key("ConnectionMode"));
        assert_eq!(
            (missing_protocol.state, missing_protocol.protocol),
            ("Active", "Hdx")
        );
        let odd = by_id(&ids.missing_state_null_connection);
        assert!(!odd.json.as_object().unwrap().contains_key("State"));
        assert_eq!(odd.json["Connection"], Value::Null);
        assert_eq!((odd.state, odd.protocol), ("Active", "Rdp"));
    }
}
