//! New versions of Recording Desk: when the app looks for one, what it found, and what the
//! officer is told. The window does the looking and installing with Tauri's updater (the feed and
//! the public key that signs every release are set when the app is built, and the signature is
//! checked before anything is installed); this module holds the decisions and the words, so they
//! are tested without a window.
//!
//! The app looks at start-up, at most once a day (the time of the last look is kept in the
//! settings), unless the officer turned that off or the organisation did (`checkForUpdates` set to
//! false, for fleets that update through Intune, Jamf or another tool). The organisation can also
//! name its own copy of the feed (`updateFeedUrl`). A build made without a feed and key says so
//! rather than failing.

use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::policy::Policy;

/// How long after one look the app looks again at start-up.
pub const CHECK_INTERVAL: time::Duration = time::Duration::hours(24);

/// Where new versions come from, and the key their signatures must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The feed's addresses, tried in order.
    pub endpoints: Vec<String>,
    /// The public key (as `tauri signer generate` writes it) that every release is signed with.
    pub pubkey: String,
}

impl Feed {
    /// The feed this build uses: the one set when it was built, with the organisation's mirror
    /// instead of its addresses when the policy names one. Without a key nothing can be checked,
    /// so a build without one has no feed at all, whatever the policy says.
    pub fn resolve(built: Option<Feed>, policy: &Policy) -> Option<Feed> {
        let mut feed = built.filter(|f| !f.pubkey.trim().is_empty())?;
        if let Some(mirror) = &policy.update_feed_url {
            feed.endpoints = vec![mirror.clone()];
        }
        feed.endpoints.retain(|e| !e.trim().is_empty());
        (!feed.endpoints.is_empty()).then_some(feed)
    }
}

/// What the app knows about new versions, as the About box shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum UpdateState {
    /// This build was made without an update feed (a developer's or a test build).
    NotSetUp,
    /// The organisation turned update checks off: it installs new versions itself.
    TurnedOff,
    /// No look yet since the app started.
    NotChecked,
    Checking,
    /// The installed version is the newest.
    Current,
    Available {
        version: String,
        /// The release notes, when the feed gives them.
        notes: Option<String>,
    },
    /// The feed could not be asked or understood.
    CouldNotCheck {
        reason: CheckProblem,
    },
    Downloading {
        version: String,
        /// How much is downloaded, 0 to 100, when the size is known.
        percent: Option<u8>,
    },
    /// Installed: the new version runs once Recording Desk restarts.
    ReadyToRestart {
        version: String,
    },
    /// The download's signature did not match: nothing was installed, and it is not offered again.
    Refused {
        version: String,
    },
    /// Downloading or installing failed; the installed version is unchanged.
    InstallFailed {
        version: String,
        reason: InstallProblem,
    },
}

/// Why the feed could not be asked, in the officer's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CheckProblem {
    /// No answer: offline, a proxy or firewall, or the server is down.
    Unreachable,
    /// An answer, but not a list of versions the app understands (or none for this computer).
    NotUnderstood,
    /// The feed's address is not one the app may use (not https in a release build).
    BadAddress,
}

/// Why a new version was not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InstallProblem {
    /// The download broke off.
    Download,
    /// The installer did not finish (or the officer declined the OS's password prompt).
    Install,
}

/// The state with what the officer needs around it, as the window receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatus {
    /// The version running now.
    pub installed: String,
    #[serde(flatten)]
    pub state: UpdateState,
    /// What happened and what to do, in plain words.
    pub message: String,
    /// When the feed was last asked (RFC 3339), if ever.
    pub last_checked: Option<String>,
    /// The officer may ask now (the About box's button); false while a look or an install runs,
    /// and when the organisation turned checks off or the build has no feed.
    pub can_check: bool,
}

impl UpdateStatus {
    pub fn new(installed: &str, state: UpdateState, last_checked: Option<OffsetDateTime>) -> Self {
        let can_check = !matches!(
            state,
            UpdateState::NotSetUp
                | UpdateState::TurnedOff
                | UpdateState::Checking
                | UpdateState::Downloading { .. }
                | UpdateState::ReadyToRestart { .. }
        );
        UpdateStatus {
            installed: installed.to_owned(),
            message: state.message(installed),
            state,
            last_checked: last_checked.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            can_check,
        }
    }
}

impl UpdateState {
    /// The state to show before any look, or instead of one: the organisation's and the build's
    /// reasons come first.
    pub fn at_rest(feed_set_up: bool, policy: &Policy) -> UpdateState {
        if policy.check_for_updates == Some(false) {
            UpdateState::TurnedOff
        } else if !feed_set_up {
            UpdateState::NotSetUp
        } else {
            UpdateState::NotChecked
        }
    }

    /// What the officer reads about this state.
    pub fn message(&self, installed: &str) -> String {
        match self {
            UpdateState::NotSetUp => format!(
                "You have version {installed}. This copy of Recording Desk was built without a \
                 source of new versions, so it cannot look for them. Your IT department can tell \
                 you how new versions reach this computer."
            ),
            UpdateState::TurnedOff => format!(
                "You have version {installed}. Your organisation installs new versions of \
                 Recording Desk for you, so it does not look for them itself."
            ),
            UpdateState::NotChecked => format!(
                "You have version {installed}. Recording Desk has not looked for a newer version \
                 yet."
            ),
            UpdateState::Checking => {
                format!("You have version {installed}. Looking for a newer version\u{2026}")
            }
            UpdateState::Current => {
                format!("You have version {installed}, the newest version.")
            }
            UpdateState::Available { version, .. } => format!(
                "Version {version} is available; you have version {installed}. Install it, then \
                 restart Recording Desk to use it."
            ),
            UpdateState::CouldNotCheck { reason } => {
                let why = match reason {
                    CheckProblem::Unreachable => {
                        "could not reach the place new versions come from. This computer may be \
                         offline, or a firewall or proxy may be in the way"
                    }
                    CheckProblem::NotUnderstood => {
                        "reached the place new versions come from, but did not understand its \
                         answer"
                    }
                    CheckProblem::BadAddress => {
                        "was given an address for new versions that it may not use (it must \
                         start with https://)"
                    }
                };
                format!(
                    "You have version {installed}. Recording Desk could not find out whether a \
                     newer version exists: it {why}. Nothing was changed. Check again later; if \
                     this keeps happening, tell your IT department."
                )
            }
            UpdateState::Downloading { version, .. } => {
                format!("Downloading version {version}\u{2026} You can keep working.")
            }
            UpdateState::ReadyToRestart { version } => {
                format!("Version {version} is installed. Restart Recording Desk to start using it.")
            }
            UpdateState::Refused { version } => format!(
                "Version {version} was not installed: its download could not be proven to come \
                 from the makers of Recording Desk, so it may have been altered. Nothing on this \
                 computer was changed. Tell your IT department; you can keep using version \
                 {installed}."
            ),
            UpdateState::InstallFailed { version, reason } => {
                let why = match reason {
                    InstallProblem::Download => "its download broke off",
                    InstallProblem::Install => "installing it did not finish",
                };
                format!(
                    "Version {version} was not installed: {why}. You still have version \
                     {installed}, unchanged. Try again; if this keeps happening, tell your IT \
                     department."
                )
            }
        }
    }
}

/// Whether start-up looks for a new version now: only with a feed, when neither the
/// organisation nor the officer turned it off, and when the last look is a day old (or in the
/// future: the computer's clock was wrong then).
pub fn due_at_startup(
    feed_set_up: bool,
    policy: &Policy,
    officer_wants: bool,
    last_checked: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    // The organisation's choice, when it made one, is what the officer's checkbox shows too.
    if !feed_set_up || !policy.check_for_updates.unwrap_or(officer_wants) {
        return false;
    }
    match last_checked {
        None => true,
        Some(last) => last > now || now - last >= CHECK_INTERVAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-10 09:00 UTC);

    fn feed() -> Feed {
        Feed {
            endpoints: vec!["https://updates.example.com/{{target}}/{{current_version}}".into()],
            pubkey: "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWdu".into(),
        }
    }

    fn off() -> Policy {
        Policy {
            check_for_updates: Some(false),
            ..Policy::default()
        }
    }

    #[test]
    fn start_up_looks_at_most_once_a_day() {
        let p = Policy::default();
        assert!(due_at_startup(true, &p, true, None, NOW), "never looked");
        let hour_ago = NOW - time::Duration::hours(1);
        assert!(!due_at_startup(true, &p, true, Some(hour_ago), NOW));
        let day_ago = NOW - time::Duration::hours(24);
        assert!(due_at_startup(true, &p, true, Some(day_ago), NOW));
        let future = NOW + time::Duration::days(3);
        assert!(
            due_at_startup(true, &p, true, Some(future), NOW),
            "a last look in the future means the clock was wrong: look again"
        );
    }

    #[test]
    fn start_up_does_not_look_when_turned_off_or_without_a_feed() {
        assert!(!due_at_startup(false, &Policy::default(), true, None, NOW));
        assert!(!due_at_startup(true, &off(), true, None, NOW));
        assert!(
            !due_at_startup(true, &Policy::default(), false, None, NOW),
            "the officer's checkbox"
        );
        let on = Policy {
            check_for_updates: Some(true),
            ..Policy::default()
        };
        assert!(
            due_at_startup(true, &on, false, None, NOW),
            "the organisation's true wins over the officer's false"
        );
    }

    #[test]
    fn the_feed_is_the_built_one_or_the_organisations_mirror_and_needs_a_key() {
        let p = Policy::default();
        assert_eq!(Feed::resolve(Some(feed()), &p), Some(feed()));
        assert_eq!(Feed::resolve(None, &p), None);
        let no_key = Feed {
            pubkey: " ".into(),
            ..feed()
        };
        assert_eq!(Feed::resolve(Some(no_key), &p), None);
        let no_address = Feed {
            endpoints: vec![String::new()],
            ..feed()
        };
        assert_eq!(Feed::resolve(Some(no_address.clone()), &p), None);

        let mirror = Policy {
            update_feed_url: Some("https://mirror.corp.example/rd/latest.json".into()),
            ..Policy::default()
        };
        let resolved = Feed::resolve(Some(no_address), &mirror).expect("the mirror");
        assert_eq!(
            resolved.endpoints,
            ["https://mirror.corp.example/rd/latest.json"]
        );
        assert_eq!(
            resolved.pubkey,
            feed().pubkey,
            "the built-in key still checks"
        );
        assert_eq!(
            Feed::resolve(None, &mirror),
            None,
            "a mirror without the built-in key cannot be trusted"
        );
    }

    #[test]
    fn the_state_at_rest_puts_the_organisation_first() {
        assert_eq!(UpdateState::at_rest(true, &off()), UpdateState::TurnedOff);
        assert_eq!(UpdateState::at_rest(false, &off()), UpdateState::TurnedOff);
        assert_eq!(
            UpdateState::at_rest(false, &Policy::default()),
            UpdateState::NotSetUp
        );
        assert_eq!(
            UpdateState::at_rest(true, &Policy::default()),
            UpdateState::NotChecked
        );
    }

    /// Every message names the installed version or the new one, and none speaks of HTTP,
    /// signatures' jargon or errors.
    #[test]
    fn messages_say_what_happened_and_what_to_do_in_plain_words() {
        let states = [
            UpdateState::NotSetUp,
            UpdateState::TurnedOff,
            UpdateState::NotChecked,
            UpdateState::Checking,
            UpdateState::Current,
            UpdateState::Available {
                version: "1.2.0".into(),
                notes: None,
            },
            UpdateState::CouldNotCheck {
                reason: CheckProblem::Unreachable,
            },
            UpdateState::CouldNotCheck {
                reason: CheckProblem::NotUnderstood,
            },
            UpdateState::CouldNotCheck {
                reason: CheckProblem::BadAddress,
            },
            UpdateState::Downloading {
                version: "1.2.0".into(),
                percent: Some(40),
            },
            UpdateState::ReadyToRestart {
                version: "1.2.0".into(),
            },
            UpdateState::Refused {
                version: "1.2.0".into(),
            },
            UpdateState::InstallFailed {
                version: "1.2.0".into(),
                reason: InstallProblem::Download,
            },
            UpdateState::InstallFailed {
                version: "1.2.0".into(),
                reason: InstallProblem::Install,
            },
        ];
        for state in states {
            let m = state.message("1.1.0");
            assert!(m.contains("1.1.0") || m.contains("1.2.0"), "{m}");
            for jargon in [
                "HTTP",
                "http:",
                "status",
                "error",
                "Error",
                "minisign",
                "signature",
                "404",
                "TLS",
            ] {
                assert!(!m.contains(jargon), "{jargon:?} in {m}");
            }
            assert!(m.ends_with('.') || m.ends_with('\u{2026}'), "{m}");
        }
        assert_eq!(
            UpdateState::Current.message("1.1.0"),
            "You have version 1.1.0, the newest version."
        );
        let refused = UpdateState::Refused {
            version: "1.2.0".into(),
        }
        .message("1.1.0");
        assert!(refused.contains("was not installed"), "{refused}");
        assert!(
            refused.contains("Nothing on this computer was changed"),
            "{refused}"
        );
    }

    /// The shape the window reads: the state's tag and fields beside the message.
    #[test]
    fn the_status_crosses_ipc_flat() {
        let status = UpdateStatus::new(
            "0.1.0",
            UpdateState::Available {
                version: "0.2.0".into(),
                notes: Some("Faster search.".into()),
            },
            Some(NOW),
        );
        let json = serde_json::to_value(&status).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "installed": "0.1.0",
                "state": "available",
                "version": "0.2.0",
                "notes": "Faster search.",
                "message": status.message,
                "lastChecked": "2026-03-10T09:00:00Z",
                "canCheck": true,
            })
        );
        let off = UpdateStatus::new("0.1.0", UpdateState::TurnedOff, None);
        assert!(!off.can_check);
        let failed = UpdateStatus::new(
            "0.1.0",
            UpdateState::CouldNotCheck {
                reason: CheckProblem::Unreachable,
            },
            None,
        );
        assert!(failed.can_check, "Check again");
        assert_eq!(
            serde_json::to_value(&failed).expect("json")["reason"],
            "unreachable"
        );
    }
}
