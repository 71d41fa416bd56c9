//! The audit trail: an append-only JSON Lines file that says who asked to start or stop recording
//! which session, from which computer, and what happened.
//!
//! - [`chain`]: each record carries `seq`, the previous record's hash and its own seal
//!   (HMAC-SHA256 under the installation's key over its canonical JSON without `hash`; records of
//!   earlier versions: plain SHA-256), so a changed record, or one removed from the middle, is
//!   detected, and someone without the key cannot write a record that passes; a scan verifies the
//!   chain and the file's end against the anchor. It never says "intact" when nothing outside
//!   the file vouches for its end.
//! - [`seal`]: the key and the anchor (the trail's identifier, the last record's number and
//!   seal), each in its own keychain entry, never in a file.
//! - [`writer`]: the file itself ([`AuditLog`]): a record is written with one `write` and synced
//!   to disk before the action it describes is sent to Citrix, then the anchor is updated. One
//!   program at a time writes it ([`TrailLock`]). Code on the async runtime appends through an
//!   [`AuditWriter`], whose own thread does the blocking sync.
//!
//! What this proves, and against whom, is in the admin guide ("What the audit trail proves"):
//! someone who can change files but not read the officer's keychain cannot forge or silently
//! shorten the trail; an administrator or the officer, who can reach both, can still delete it.
//! - [`filter`]: what the Audit screen asked to see, and the requests that never got an outcome.
//! - [`csv`]: the export for a spreadsheet.
//! - [`report`]: the investigation report, a PDF of the records a filter chose.
//! - [`witness`]: copies of each record in the system log, for an auditor to compare.

mod chain;
mod csv;
mod filter;
mod report;
mod seal;
#[cfg(test)]
mod tamper;
mod witness;
mod writer;

use std::sync::OnceLock;

use citrix_cloud::bulk::Action;
use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::account::{Mode, RegionTs};

pub use chain::{scan, AuditChain, ChainState, Check, Scan, GENESIS};
pub use csv::write_csv;
pub use filter::{unknown_outcomes, AuditFilter};
pub use report::{
    build_report, write_report, Report, ReportRequest, ReportSaved, EXPORT_HASH_SCOPE,
};
pub use seal::{Anchor, TrailKey, TrailSeals, ANCHOR_ENTRY, KEY_ENTRY, NAMESPACE_ENV};
pub use witness::{
    system_line, CollectorConfig, CollectorStatus, Witness, WitnessState, WitnessStatus,
    COLLECTOR_ENV, DEFAULT_PORT as COLLECTOR_PORT, SOCKET_ENV as SYSLOG_SOCKET_ENV,
};
pub use writer::{AuditLog, AuditWriter, Head, TrailLock};

/// Which of the two actions a record is about, as the trail names it (`"start"`, `"stop"`); the
/// notify flag of a start is its own field of the record, `notifyUser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
    Start,
    Stop,
    /// The officer re-sealed the trail (see [`AuditEvent::Resealed`]); no session is involved.
    Reseal,
}

impl ActionKind {
    pub fn of(action: &Action) -> ActionKind {
        match action {
            Action::Start { .. } => ActionKind::Start,
            Action::Stop => ActionKind::Stop,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Start => "start",
            ActionKind::Stop => "stop",
            ActionKind::Reseal => "reseal",
        }
    }
}

/// The `notifyUser` of a record: whether the user is told, for a start; nothing for a stop.
fn notify_user(action: &Action) -> Option<bool> {
    match action {
        Action::Start { notify_user } => Some(*notify_user),
        Action::Stop => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AuditEvent {
    /// Written before the request is sent.
    Requested,
    /// Written when the result is known.
    Outcome,
    /// Written when the officer asked Citrix again about an outcome that was not known
    /// ("Check again"); it carries the same run ID and action as the outcome it answers.
    Check,
    /// The officer re-sealed the trail after its end could not be verified: the record says
    /// what was found (`message`), and who did it; the anchor starts again from it.
    Resealed,
}

/// One line of the audit file. Field order here is the order on disk (for people reading the
/// file); the hash does not depend on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    #[ts(type = "number")]
    pub seq: u64,
    /// UTC, RFC 3339.
    pub time: String,
    pub event: AuditEvent,
    pub action: ActionKind,
    /// Groups the records of one run (one click on Start or Stop).
    pub run_id: String,
    pub session_id: String,
    pub session_user: Option<String>,
    /// The name the officer sees for the session's user ("Daniel Martinez"), as Citrix gave it
    /// when the run was made. Absent from records written before it was kept (and when Citrix
    /// gave none); those records are found by their account only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub display_name: Option<String>,
    pub machine: Option<String>,
    /// The session's delivery group, as Citrix gave it when the run was made. Absent from records
    /// written before it was kept (and when Citrix gave none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub delivery_group: Option<String>,
    /// Whether the session's user was told; only for starts.
    pub notify_user: Option<bool>,
    /// Why the officer started or stopped recording, as given before the run; the same in every
    /// record of the run. Absent from older trails and when none was given (absent rather than
    /// null, so older records hash exactly as they were written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The case or ticket reference the run was made for (`INV-2291`), when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub case_ref: Option<String>,
    /// For outcome and check records, what Citrix reports: recording, notRecording,
    /// sessionEnded, refused, unknown or cancelled (see [`crate::run::RunStatus`]). Older trails
    /// also hold startedNotRecording, stopped and failed, which keep their meaning.
    pub outcome: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
    /// Outcome records: Citrix answered 2xx to the start/stop. Absent from older trails (left
    /// out when absent, so their records hash exactly as they were written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub accepted: Option<bool>,
    /// Outcome records: the start/stop may have been carried out but its answer was lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub answer_lost: Option<bool>,
    pub os_user: String,
    pub computer: String,
    pub app_version: String,
    pub mode: Mode,
    #[ts(as = "Option<RegionTs>")]
    pub region: Option<Region>,
    /// The name of the saved Citrix account (profile) the request was made with. Absent from
    /// older trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub profile: Option<String>,
    pub customer_id: String,
    pub site_id: String,
    /// Where the requests went: the Citrix API's host (and port, if not the usual one), so a run
    /// against a test server can never pass for one against Citrix Cloud. Absent from older
    /// trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_host: Option<String>,
    /// The trail identifier of the key that sealed this record: `hash` is then an HMAC-SHA256
    /// under that key. Absent from records of earlier versions (plain SHA-256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What was asked, by whom, where, against which account: the same for every record of a run.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub run_id: String,
    pub action: Action,
    pub os_user: String,
    pub computer: String,
    pub app_version: String,
    pub mode: Mode,
    pub region: Option<Region>,
    /// The profile's name, see [`AuditRecord::profile`].
    pub profile: Option<String>,
    pub customer_id: String,
    pub site_id: String,
    /// The Citrix API's host, see [`AuditRecord::api_host`].
    pub api_host: String,
    /// Why, and for which case: see [`AuditRecord::reason`] and [`AuditRecord::case_ref`].
    pub reason: Option<String>,
    pub case_ref: Option<String>,
}

/// The per-session part of a record; the log adds `seq`, `time` and the hashes.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub session_id: String,
    pub session_user: Option<String>,
    pub display_name: Option<String>,
    pub machine: Option<String>,
    pub delivery_group: Option<String>,
    pub outcome: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub transaction_id: Option<String>,
    pub accepted: Option<bool>,
    pub answer_lost: Option<bool>,
}

/// The Audit screen: the records asked for, the requests still in doubt, and whether the trail
/// is intact.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    /// The latest records that match the filter, oldest first: at most the number asked for.
    pub records: Vec<AuditRecord>,
    /// How many records match the filter (`records` may hold only the latest of them).
    pub total: u32,
    /// The records (whatever the filter) whose outcome is open: requests that never got an
    /// outcome, and outcomes "not known" that no later check answered. The officer must check
    /// those sessions. The UI marks exactly these rows, by `seq`.
    pub unknown_outcomes: Vec<AuditRecord>,
    pub chain: AuditChain,
    pub path: String,
    /// Whether copies of the trail reach the system log (`None`: this trail has no witness).
    pub witnesses: Option<WitnessStatus>,
}

pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc().unix_timestamp().to_string())
}

/// The host (and port, when it is not the scheme's usual one) of the Citrix API a record's
/// request went to, e.g. `api.cloud.com` or `127.0.0.1:50321` for the demo site.
pub fn api_host(api_base: &url::Url) -> String {
    let host = api_base.host_str().unwrap_or_default();
    match api_base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The OS account running the app, asked of the OS (environment variables such as `USER` can
/// be set by whoever starts the app). They are only a fallback if the OS cannot say.
pub fn os_user() -> String {
    whoami::username()
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| {
            ["USER", "USERNAME", "LOGNAME"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The computer's network name, asked of the OS once.
pub fn computer_name() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        whoami::hostname()
            .ok()
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_owned())
    })
    .clone()
}

/// Logs and records for the tests of every part of the trail.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::paths::{ANCHOR_FILE, AUDIT_FILE as FILE_NAME};
    use crate::vault::memory::MemoryStore;
    use crate::vault::SecretStore;

    pub(crate) const START: Action = Action::Start { notify_user: true };
    pub(crate) const STOP: Action = Action::Stop;

    pub(crate) fn ctx() -> AuditContext {
        ctx_for(START)
    }

    pub(crate) fn ctx_for(action: Action) -> AuditContext {
        AuditContext {
            run_id: "run-1".into(),
            action,
            os_user: "officer".into(),
            computer: "DESK-01".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Cloud,
            region: Some(Region::Eu),
            profile: None,
            customer_id: "acme".into(),
            site_id: "site-1".into(),
            api_host: "api.cloud.com".into(),
            reason: None,
            case_ref: None,
        }
    }

    pub(crate) fn entry(id: &str, user: &str) -> Entry {
        Entry {
            session_id: id.into(),
            session_user: Some(user.into()),
            machine: Some("CONTOSO\\VDA-01".into()),
            ..Default::default()
        }
    }

    /// Appends `n` "requested" records, for sessions s0, s1, ...
    pub(crate) fn fill(log: &AuditLog, n: usize) {
        for i in 0..n {
            log.append(
                &ctx_for(START),
                AuditEvent::Requested,
                entry(&format!("s{i}"), "CONTOSO\\jsmith"),
            )
            .expect("append");
        }
    }

    pub(crate) fn log_with(n: usize) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path().join(FILE_NAME));
        fill(&log, n);
        (dir, log)
    }

    pub(crate) fn record(
        seq: u64,
        time: &str,
        event: AuditEvent,
        action: ActionKind,
    ) -> AuditRecord {
        AuditRecord {
            seq,
            time: time.into(),
            event,
            action,
            run_id: "r1".into(),
            session_id: format!("s{seq}"),
            session_user: Some("CONTOSO\\jsmith".into()),
            display_name: None,
            machine: None,
            delivery_group: None,
            notify_user: None,
            reason: None,
            case_ref: None,
            outcome: (event == AuditEvent::Outcome).then(|| "failed".to_owned()),
            kind: None,
            message: None,
            transaction_id: None,
            accepted: None,
            answer_lost: None,
            os_user: "officer".into(),
            computer: "DESK".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Demo,
            region: None,
            profile: None,
            customer_id: "c".into(),
            site_id: "s".into(),
            api_host: None,
            key_id: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// A sealed log in `dir` (the app's layout), its key and anchor in `keychain`.
    pub(crate) fn sealed_log(dir: &Path, keychain: &Arc<dyn SecretStore>) -> AuditLog {
        AuditLog::sealed(
            dir.join("data").join(FILE_NAME),
            dir.join("config").join(ANCHOR_FILE),
            TrailSeals::new(keychain.clone()),
        )
    }

    /// A sealed log with `n` records, and the keychain holding its key and anchor.
    pub(crate) fn anchored_log_with(
        n: usize,
    ) -> (tempfile::TempDir, AuditLog, Arc<dyn SecretStore>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let log = sealed_log(dir.path(), &keychain);
        fill(&log, n);
        (dir, log, keychain)
    }

    pub(crate) fn scan_file(path: &Path) -> Scan {
        scan(&std::fs::read(path).expect("read"), Check::ChainOnly, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_and_where_come_from_the_os_not_the_environment() {
        // Another user name in the environment does not change who the OS says is running.
        let from_os = whoami::username().expect("the OS knows the user");
        assert_eq!(os_user(), from_os);
        assert_ne!(computer_name(), "unknown");
    }

    /// Records without reason, case or display name (all records written before they were kept)
    /// have none of these keys on disk, so an older trail hashes and verifies as it always did,
    /// and records with them chain on after it.
    #[test]
    fn records_without_reason_case_or_name_keep_the_older_format() {
        let (dir, log) = testing::log_with(2);
        let path = dir.path().join(crate::paths::AUDIT_FILE);
        let older = std::fs::read_to_string(&path).expect("read");
        for key in ["reason", "caseRef", "displayName"] {
            assert!(!older.contains(key), "{key} written when absent: {older}");
        }
        let mut ctx = testing::ctx();
        ctx.reason = Some("Suspected data theft".into());
        ctx.case_ref = Some("INV-2291".into());
        let mut e = testing::entry("s9", "ACME\\daniel.martinez");
        e.display_name = Some("Daniel Martinez".into());
        log.append(&ctx, AuditEvent::Requested, e).expect("append");
        let scan = testing::scan_file(&path);
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(scan.records.len(), 3);
        assert_eq!(scan.records[0].reason, None);
        let newest = &scan.records[2];
        assert_eq!(newest.reason.as_deref(), Some("Suspected data theft"));
        assert_eq!(newest.case_ref.as_deref(), Some("INV-2291"));
        assert_eq!(newest.display_name.as_deref(), Some("Daniel Martinez"));
    }
}
