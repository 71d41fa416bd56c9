//! Managed settings ("Set by your organisation"): settings that IT sets and locks for everyone
//! who uses Recording Desk on a computer, through the means each OS's administrators already use:
//!
//! | OS | where | read by |
//! | --- | --- | --- |
//! | Linux | `/etc/recording-desk/policy.json` | [`file`] |
//! | Windows | `HKLM\SOFTWARE\Policies\RecordingDesk`, then `HKCU\...` (Group Policy, Intune) | `windows` |
//! | macOS | `/Library/Managed Preferences/[<user>/]<bundle id>.plist` (a profile from Jamf, Intune) | [`macos`] |
//!
//! Every source gives the same keys (one name everywhere: `requireCase` in the JSON file, the
//! registry value and the plist), turned into one [`Policy`] by [`Policy::from_entries`]. A
//! value set by the organisation is always locked: the effective settings are the stored ones
//! with the policy's values on top ([`Policy::apply`]), and a change to a locked setting is
//! refused ([`Policy::refuse_locked_changes`]), never silently dropped.
//!
//! A source that cannot be read, a value of the wrong type or an unknown key never stops the
//! app: what could be read applies, and the officer is told in plain words (a notice) to tell IT.
//! The sources are read again whenever the settings are read (a small file or a few registry
//! values), so the window and rdesk always agree with what IT set last.

pub mod file;
pub mod macos;
#[cfg(windows)]
pub mod windows;

use std::path::{Path, PathBuf};

use citrix_cloud::bulk::Action;
use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::account::RegionTs;
use crate::error::{Error, Result};
use crate::settings::{Settings, CONCURRENCY_RANGE};

/// An extra policy file (JSON, the Linux format) read after the OS's own source: for tests, and
/// for packagers who place the file elsewhere. It can add settings, never undo one IT set in the
/// OS's source (that one wins), so an officer cannot unlock a setting by pointing it elsewhere.
pub const POLICY_FILE_ENV: &str = "RECORDING_DESK_POLICY_FILE";

/// The Group Policy key, under HKLM (the computer) and HKCU (the user), as the ADMX templates in
/// `packaging/windows/policy` write it.
pub const REGISTRY_KEY: &str = r"SOFTWARE\Policies\RecordingDesk";

/// Where Linux administrators put the policy (the admin guide names it).
pub const LINUX_POLICY_FILE: &str = "/etc/recording-desk/policy.json";

/// A setting the organisation can set. Its [`key`](SettingName::key) is the same in every
/// source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SettingName {
    RequireReason,
    RequireCase,
    NotifyUserDefault,
    NotifyUser,
    Concurrency,
    DemoSiteOffered,
    Region,
    CustomerId,
    ClientId,
    /// The syslog collector the audit trail is forwarded to (see `audit::witness`).
    SyslogCollectorHost,
    SyslogCollectorPort,
    SyslogCollectorCaFile,
    /// Whether Recording Desk looks for a new version when it starts (see [`crate::updates`]).
    CheckForUpdates,
    /// The organisation's own copy of the update feed (an internal mirror).
    UpdateFeedUrl,
}

/// The type of a setting's value, as sources hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `true`/`false` (JSON, plist), or a number 0/1 (registry REG_DWORD).
    Flag,
    /// A whole number (registry REG_DWORD).
    Number,
    /// Text (registry REG_SZ).
    Text,
}

impl SettingName {
    pub const ALL: [SettingName; 14] = [
        SettingName::RequireReason,
        SettingName::RequireCase,
        SettingName::NotifyUserDefault,
        SettingName::NotifyUser,
        SettingName::Concurrency,
        SettingName::DemoSiteOffered,
        SettingName::Region,
        SettingName::CustomerId,
        SettingName::ClientId,
        SettingName::SyslogCollectorHost,
        SettingName::SyslogCollectorPort,
        SettingName::SyslogCollectorCaFile,
        SettingName::CheckForUpdates,
        SettingName::UpdateFeedUrl,
    ];

    /// The key in the JSON file, the registry value's name and the plist key.
    pub fn key(self) -> &'static str {
        match self {
            SettingName::RequireReason => "requireReason",
            SettingName::RequireCase => "requireCase",
            SettingName::NotifyUserDefault => "notifyUserDefault",
            SettingName::NotifyUser => "notifyUser",
            SettingName::Concurrency => "concurrency",
            SettingName::DemoSiteOffered => "demoSiteOffered",
            SettingName::Region => "region",
            SettingName::CustomerId => "customerId",
            SettingName::ClientId => "clientId",
            SettingName::SyslogCollectorHost => "syslogCollectorHost",
            SettingName::SyslogCollectorPort => "syslogCollectorPort",
            SettingName::SyslogCollectorCaFile => "syslogCollectorCaFile",
            SettingName::CheckForUpdates => "checkForUpdates",
            SettingName::UpdateFeedUrl => "updateFeedUrl",
        }
    }

    pub fn value_type(self) -> ValueType {
        match self {
            SettingName::RequireReason
            | SettingName::RequireCase
            | SettingName::NotifyUserDefault
            | SettingName::DemoSiteOffered
            | SettingName::CheckForUpdates => ValueType::Flag,
            SettingName::Concurrency | SettingName::SyslogCollectorPort => ValueType::Number,
            SettingName::NotifyUser
            | SettingName::Region
            | SettingName::CustomerId
            | SettingName::ClientId
            | SettingName::SyslogCollectorHost
            | SettingName::SyslogCollectorCaFile
            | SettingName::UpdateFeedUrl => ValueType::Text,
        }
    }

    /// The whole numbers a number setting takes.
    pub fn number_range(self) -> Option<std::ops::RangeInclusive<u32>> {
        match self {
            SettingName::Concurrency => Some(CONCURRENCY_RANGE),
            SettingName::SyslogCollectorPort => Some(1..=u32::from(u16::MAX)),
            _ => None,
        }
    }

    /// The setting as the officer sees it on screen.
    pub fn label(self) -> &'static str {
        match self {
            SettingName::RequireReason => "Require a reason",
            SettingName::RequireCase => "Require a case or ticket reference",
            SettingName::NotifyUserDefault => "Notify users by default",
            SettingName::NotifyUser => "Notify the user",
            SettingName::Concurrency => "Sessions handled at the same time",
            SettingName::DemoSiteOffered => "The demo site",
            SettingName::Region => "Region",
            SettingName::CustomerId => "Customer ID",
            SettingName::ClientId => "Client ID",
            SettingName::SyslogCollectorHost => "Log collector",
            SettingName::SyslogCollectorPort => "Log collector's port",
            SettingName::SyslogCollectorCaFile => "Log collector's certificate authority",
            SettingName::CheckForUpdates => "Check for new versions when Recording Desk starts",
            SettingName::UpdateFeedUrl => "Where new versions come from",
        }
    }

    fn from_key(key: &str) -> Option<SettingName> {
        // Registry value names are not case-sensitive; neither are the other sources' keys here.
        Self::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(key.trim()))
    }
}

/// Whether users are told that their session is recorded: the officer's choice at each start
/// (`ask`), or the organisation's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum NotifyChoice {
    #[default]
    Ask,
    Always,
    Never,
}

impl NotifyChoice {
    /// The notify flag every start must carry, when the organisation decided it.
    pub fn forced(self) -> Option<bool> {
        match self {
            NotifyChoice::Ask => None,
            NotifyChoice::Always => Some(true),
            NotifyChoice::Never => Some(false),
        }
    }
}

/// The Citrix Cloud account fields the organisation set: pre-filled and locked on the sign-in
/// form, and the only ones a sign-in may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, rename_all = "camelCase")]
pub struct ManagedAccount {
    #[ts(as = "Option<RegionTs>")]
    pub region: Option<Region>,
    pub customer_id: Option<String>,
    pub client_id: Option<String>,
}

/// What the organisation set; `None` is "not set" (the officer's own setting applies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub require_reason: Option<bool>,
    pub require_case: Option<bool>,
    pub notify_user_default: Option<bool>,
    pub notify_user: Option<NotifyChoice>,
    pub concurrency: Option<u32>,
    pub demo_site_offered: Option<bool>,
    pub account: ManagedAccount,
    pub collector: ManagedCollector,
    /// `false` turns update checks off (fleets updated through Intune, Jamf or another tool).
    pub check_for_updates: Option<bool>,
    /// The organisation's mirror of the update feed, used instead of the one built in.
    pub update_feed_url: Option<String>,
}

/// The syslog collector the organisation set (see `audit::witness`): used instead of any
/// collector in the officer's settings once `host` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedCollector {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub ca_file: Option<String>,
}

/// A value as a source holds it, before it is checked against the setting's type.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Flag(bool),
    Number(i64),
    Text(String),
    /// Anything else (a list, a date, a fraction...), named for the message.
    Other(&'static str),
}

/// A policy as read from its sources, with what could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    pub policy: Policy,
    /// One line per problem, naming the key and what was wrong, for the officer to pass on.
    pub problems: Vec<String>,
}

impl Policy {
    /// The policy in `entries` (key, value) from one source. A key that is not a setting, or a
    /// value that does not fit its setting, is left out and named in the problems.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, RawValue)>) -> Read {
        let mut read = Read::default();
        for (key, value) in entries {
            let Some(setting) = SettingName::from_key(&key) else {
                read.problems.push(format!(
                    "\u{201c}{key}\u{201d} is not a Recording Desk setting"
                ));
                continue;
            };
            if let Err(expected) = read.policy.set(setting, value) {
                read.problems.push(format!(
                    "\u{201c}{}\u{201d} should be {expected}, so it was left out",
                    setting.key()
                ));
            }
        }
        read
    }

    /// Sets `setting` from `value`, or says what the value should have been.
    fn set(&mut self, setting: SettingName, value: RawValue) -> std::result::Result<(), String> {
        let flag = || match value {
            RawValue::Flag(b) => Ok(b),
            RawValue::Number(0) => Ok(false),
            RawValue::Number(1) => Ok(true),
            _ => Err("true or false (1 or 0 in the registry)".to_owned()),
        };
        let text = || match &value {
            RawValue::Text(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            _ => Err("text".to_owned()),
        };
        match setting {
            SettingName::RequireReason => self.require_reason = Some(flag()?),
            SettingName::RequireCase => self.require_case = Some(flag()?),
            SettingName::NotifyUserDefault => self.notify_user_default = Some(flag()?),
            SettingName::DemoSiteOffered => self.demo_site_offered = Some(flag()?),
            SettingName::CheckForUpdates => self.check_for_updates = Some(flag()?),
            SettingName::UpdateFeedUrl => {
                let wrong = || "a web address starting with https://".to_owned();
                let address = text()?;
                match url::Url::parse(&address) {
                    // The update feed is only ever fetched over TLS.
                    Ok(u) if u.scheme() == "https" && u.has_host() => {}
                    _ => return Err(wrong()),
                }
                self.update_feed_url = Some(address);
            }
            SettingName::NotifyUser => {
                let wrong =
                    || "\u{201c}ask\u{201d}, \u{201c}always\u{201d} or \u{201c}never\u{201d}";
                let choice = match text().map_err(|_| wrong())?.to_ascii_lowercase().as_str() {
                    "ask" => NotifyChoice::Ask,
                    "always" => NotifyChoice::Always,
                    "never" => NotifyChoice::Never,
                    _ => return Err(wrong().to_owned()),
                };
                self.notify_user = Some(choice);
            }
            SettingName::Concurrency | SettingName::SyslogCollectorPort => {
                let range = setting.number_range().unwrap_or(0..=0);
                let wrong = || format!("a whole number from {} to {}", range.start(), range.end());
                let n = match value {
                    RawValue::Number(n) => u32::try_from(n).map_err(|_| wrong())?,
                    _ => return Err(wrong()),
                };
                if !range.contains(&n) {
                    return Err(wrong());
                }
                if setting == SettingName::Concurrency {
                    self.concurrency = Some(n);
                } else {
                    self.collector.port = u16::try_from(n).ok();
                }
            }
            SettingName::SyslogCollectorHost => self.collector.host = Some(text()?),
            SettingName::SyslogCollectorCaFile => self.collector.ca_file = Some(text()?),
            SettingName::Region => {
                let wrong = "one of \u{201c}us\u{201d}, \u{201c}eu\u{201d}, \u{201c}ap-s\u{201d} or \u{201c}jp\u{201d}";
                let region = text().map_err(|_| wrong.to_owned())?;
                let region = parse_region(&region).ok_or_else(|| wrong.to_owned())?;
                self.account.region = Some(region);
            }
            SettingName::CustomerId => self.account.customer_id = Some(text()?),
            SettingName::ClientId => {
                let id = text()?;
                if uuid::Uuid::try_parse(&id).is_err() {
                    return Err(
                        "the API client's ID, like 3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1".to_owned(),
                    );
                }
                self.account.client_id = Some(id);
            }
        }
        Ok(())
    }

    /// This policy, with `lower`'s values where this one sets none (machine over user).
    pub fn or(self, lower: Policy) -> Policy {
        Policy {
            require_reason: self.require_reason.or(lower.require_reason),
            require_case: self.require_case.or(lower.require_case),
            notify_user_default: self.notify_user_default.or(lower.notify_user_default),
            notify_user: self.notify_user.or(lower.notify_user),
            concurrency: self.concurrency.or(lower.concurrency),
            demo_site_offered: self.demo_site_offered.or(lower.demo_site_offered),
            account: ManagedAccount {
                region: self.account.region.or(lower.account.region),
                customer_id: self.account.customer_id.or(lower.account.customer_id),
                client_id: self.account.client_id.or(lower.account.client_id),
            },
            collector: ManagedCollector {
                host: self.collector.host.or(lower.collector.host),
                port: self.collector.port.or(lower.collector.port),
                ca_file: self.collector.ca_file.or(lower.collector.ca_file),
            },
            check_for_updates: self.check_for_updates.or(lower.check_for_updates),
            update_feed_url: self.update_feed_url.or(lower.update_feed_url),
        }
    }

    /// The collector the audit trail is forwarded to when the organisation set its host.
    pub fn collector(&self) -> Option<crate::audit::CollectorConfig> {
        let host = self.collector.host.clone()?;
        Some(crate::audit::CollectorConfig {
            host,
            port: self.collector.port.unwrap_or(crate::audit::COLLECTOR_PORT),
            ca_file: self.collector.ca_file.clone(),
        })
    }

    /// The settings the organisation set, in the order of [`SettingName::ALL`]. A notify choice
    /// of `ask` leaves the choice to the officer, so it locks nothing; `always` or `never` locks
    /// the default as well.
    pub fn locked(&self) -> Vec<SettingName> {
        SettingName::ALL
            .into_iter()
            .filter(|s| match s {
                SettingName::RequireReason => self.require_reason.is_some(),
                SettingName::RequireCase => self.require_case.is_some(),
                // A forced choice decides the default too.
                SettingName::NotifyUserDefault => {
                    self.notify_user_default.is_some() || self.forced_notify().is_some()
                }
                SettingName::NotifyUser => self.forced_notify().is_some(),
                SettingName::Concurrency => self.concurrency.is_some(),
                SettingName::DemoSiteOffered => self.demo_site_offered.is_some(),
                SettingName::Region => self.account.region.is_some(),
                SettingName::CustomerId => self.account.customer_id.is_some(),
                SettingName::ClientId => self.account.client_id.is_some(),
                SettingName::SyslogCollectorHost => self.collector.host.is_some(),
                SettingName::SyslogCollectorPort => self.collector.port.is_some(),
                SettingName::SyslogCollectorCaFile => self.collector.ca_file.is_some(),
                SettingName::CheckForUpdates => self.check_for_updates.is_some(),
                SettingName::UpdateFeedUrl => self.update_feed_url.is_some(),
            })
            .collect()
    }

    pub fn forced_notify(&self) -> Option<bool> {
        self.notify_user.and_then(NotifyChoice::forced)
    }

    /// The effective settings: the officer's `settings` with this policy's values on top, and
    /// what is locked.
    pub fn apply(&self, mut settings: Settings) -> Settings {
        let put = |field: &mut bool, value: Option<bool>| *field = value.unwrap_or(*field);
        put(&mut settings.require_reason, self.require_reason);
        put(&mut settings.require_case, self.require_case);
        put(&mut settings.notify_user_default, self.notify_user_default);
        // A forced choice is also what "by default" means.
        put(&mut settings.notify_user_default, self.forced_notify());
        put(&mut settings.demo_site_offered, self.demo_site_offered);
        put(&mut settings.check_for_updates, self.check_for_updates);
        settings.concurrency = self.concurrency.unwrap_or(settings.concurrency);
        settings.notify_user = self.notify_user.unwrap_or_default();
        settings.managed_account = self.account.clone();
        settings.locked = self.locked();
        settings
    }

    /// Refuses `asked` when it changes a setting the organisation set (compared with the
    /// effective settings `now`). Nothing is saved then: the officer sees why and can save the
    /// other changes without that one.
    pub fn refuse_locked_changes(&self, now: &Settings, asked: &Settings) -> Result<()> {
        let changed = [
            (
                SettingName::RequireReason,
                now.require_reason != asked.require_reason,
            ),
            (
                SettingName::RequireCase,
                now.require_case != asked.require_case,
            ),
            (
                SettingName::NotifyUserDefault,
                now.notify_user_default != asked.notify_user_default,
            ),
            (
                SettingName::Concurrency,
                now.concurrency != asked.concurrency,
            ),
            (
                SettingName::CheckForUpdates,
                now.check_for_updates != asked.check_for_updates,
            ),
        ];
        let locked = self.locked();
        match changed
            .into_iter()
            .find(|(s, changed)| *changed && locked.contains(s))
        {
            Some((setting, _)) => Err(Error::set_by_organisation(format!(
                "\u{201c}{}\u{201d} is set by your organisation, so it cannot be changed here. \
                 Nothing was saved. If it needs to change, ask your IT department.",
                setting.label()
            ))),
            None => Ok(()),
        }
    }

    /// Refuses a start whose notify flag is not the one the organisation decided.
    pub fn check_action(&self, action: &Action) -> Result<()> {
        match (action, self.forced_notify()) {
            (Action::Start { notify_user }, Some(forced)) if *notify_user != forced => {
                Err(Error::set_by_organisation(if forced {
                    "Your organisation has decided that users are always told when their \
                     session is recorded, so recording cannot start without telling them. \
                     Nothing was sent. Start again and notify the users."
                } else {
                    "Your organisation has decided that users are not told when their session is \
                     recorded, so recording cannot start with a notice to them. Nothing was sent. \
                     Start again without notifying the users."
                }))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a sign-in to an account other than the one the organisation set.
    pub fn check_account(&self, region: Region, customer_id: &str, client_id: &str) -> Result<()> {
        let differs = |set: &Option<String>, given: &str| {
            set.as_deref()
                .is_some_and(|set| !set.eq_ignore_ascii_case(given.trim()))
        };
        let wrong = if self.account.region.is_some_and(|r| r != region) {
            Some(SettingName::Region)
        } else if differs(&self.account.customer_id, customer_id) {
            Some(SettingName::CustomerId)
        } else if differs(&self.account.client_id, client_id) {
            Some(SettingName::ClientId)
        } else {
            None
        };
        match wrong {
            Some(setting) => Err(Error::set_by_organisation(format!(
                "Your organisation has set the Citrix Cloud account Recording Desk connects to, \
                 and this {} is not the one it set. Use the account your organisation set, or \
                 ask your IT department.",
                setting.label().to_lowercase().replace("id", "ID")
            ))),
            None => Ok(()),
        }
    }

    /// Refuses the demo site when the organisation turned it off.
    pub fn check_demo(&self) -> Result<()> {
        if self.demo_site_offered == Some(false) {
            return Err(Error::set_by_organisation(
                "Your organisation has turned off the demo site on this computer. Connect to \
                 your Citrix Cloud account instead.",
            ));
        }
        Ok(())
    }
}

/// The policy in the file at `path`, by `parse`; `None` when there is no file (nothing is
/// managed). Why a file that exists could not be read is said in plain words.
fn read_file(
    path: &Path,
    parse: fn(&[u8]) -> std::result::Result<Read, String>,
) -> std::result::Result<Option<Read>, String> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(
            "Recording Desk is not allowed to read it (it must be readable by every user)".into(),
        ),
        Err(e) => Err(format!("it could not be opened ({e})")),
    }
}

/// A region as an administrator writes it: `us`, `eu`, `ap-s` (or `apS`), `jp`, any case.
fn parse_region(text: &str) -> Option<Region> {
    let t = text.trim().to_ascii_lowercase().replace(['-', '_'], "");
    Region::ALL
        .into_iter()
        .find(|r| r.as_str().to_ascii_lowercase() == t)
}

/// One place a policy comes from, in the order they are read (the first to set a key wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    /// A JSON file (Linux, and the test and packager file).
    Json(PathBuf),
    /// A managed preferences plist (macOS).
    Plist(PathBuf),
    /// `HKLM\SOFTWARE\Policies\RecordingDesk` (`machine`) or the same under HKCU.
    #[cfg(windows)]
    Registry { machine: bool },
}

impl Layer {
    fn read(&self) -> std::result::Result<Option<Read>, String> {
        match self {
            Layer::Json(path) => read_file(path, file::parse),
            Layer::Plist(path) => read_file(path, macos::parse),
            #[cfg(windows)]
            Layer::Registry { machine } => windows::read(*machine),
        }
    }

    /// Where the layer is, as an administrator would find it.
    fn describe(&self) -> String {
        match self {
            Layer::Json(path) | Layer::Plist(path) => path.display().to_string(),
            #[cfg(windows)]
            Layer::Registry { machine } => windows::key_name(*machine),
        }
    }
}

/// Where this computer's policy comes from. Reading is cheap and done often (see the module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySource {
    layers: Vec<Layer>,
}

impl PolicySource {
    /// No policy at all (tests, benchmarks).
    pub fn none() -> PolicySource {
        PolicySource::default()
    }

    /// Only the JSON file at `path` (tests).
    pub fn file(path: PathBuf) -> PolicySource {
        PolicySource {
            layers: vec![Layer::Json(path)],
        }
    }

    /// This OS's sources, machine before user, then the file named by [`POLICY_FILE_ENV`].
    pub fn for_this_computer() -> PolicySource {
        let mut layers = Vec::new();
        #[cfg(target_os = "linux")]
        layers.push(Layer::Json(PathBuf::from(LINUX_POLICY_FILE)));
        #[cfg(target_os = "macos")]
        layers.extend(
            macos::managed_preferences(&crate::audit::os_user())
                .into_iter()
                .map(Layer::Plist),
        );
        #[cfg(windows)]
        layers.extend([
            Layer::Registry { machine: true },
            Layer::Registry { machine: false },
        ]);
        if let Some(extra) = std::env::var_os(POLICY_FILE_ENV).filter(|p| !p.is_empty()) {
            layers.push(Layer::Json(PathBuf::from(extra)));
        }
        PolicySource { layers }
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The policy of every layer together, and one notice per layer that had problems.
    pub fn read(&self) -> (Policy, Vec<String>) {
        let mut policy = Policy::default();
        let mut notices = Vec::new();
        for layer in &self.layers {
            match layer.read() {
                Ok(None) => {}
                Ok(Some(read)) => {
                    policy = policy.or(read.policy);
                    if !read.problems.is_empty() {
                        notices.push(format!(
                            "Some of your organisation's settings for Recording Desk could not be \
                             read: {} (in {}). Recording Desk uses the others. Tell your IT \
                             department.",
                            read.problems.join("; "),
                            layer.describe()
                        ));
                    }
                }
                Err(problem) => notices.push(format!(
                    "Your organisation's settings for Recording Desk could not be read: {problem} \
                     (in {}). Recording Desk goes on without them. Tell your IT department.",
                    layer.describe()
                )),
            }
        }
        (policy, notices)
    }
}

#[cfg(test)]
mod admx_tests;
#[cfg(test)]
mod tests;
