//! How rdesk ends: its exit codes (listed in `--help` and the admin guide), and how a failure is
//! told: the one error contract's message, for a non-technical reader, on stderr, with what to
//! do next in rdesk's own terms.

use desk_core::{Error, ErrorKind, InputField};

/// The exit codes, as `rdesk --help` documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    NotDone = 1,
    /// A wrong command line (clap exits with it too).
    Usage = 2,
    Partly = 3,
    Busy = 4,
    TrailBroken = 5,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// A command that could not be carried out.
pub struct Failure {
    error: Error,
    /// What to do next in rdesk's own terms, when only the command knows it.
    hint: Option<&'static str>,
}

impl Failure {
    pub fn with_hint(error: Error, hint: &'static str) -> Failure {
        Failure {
            error,
            hint: Some(hint),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, hint: None }
    }
}

impl From<citrix_cloud::Error> for Failure {
    fn from(error: citrix_cloud::Error) -> Self {
        Error::from(error).into()
    }
}

impl Failure {
    pub fn exit(&self) -> Exit {
        match self.error.kind() {
            ErrorKind::Busy => Exit::Busy,
            // Asked for what the organisation's settings do not allow: the command line is wrong.
            ErrorKind::SetByOrganisation => Exit::Usage,
            _ => Exit::NotDone,
        }
    }

    /// The message on stderr; with `--json`, also `{"error": {"kind", "message"}}` on stdout.
    pub fn tell(&self, json: bool) {
        eprintln!("{}", self.error.message());
        if let Some(next) = self.next_step() {
            eprintln!("{next}");
        }
        if json {
            crate::output::json(&serde_json::json!({ "error": self.error.to_ipc() }));
        }
    }

    /// What to do next, where the window's advice names a screen rdesk does not have.
    fn next_step(&self) -> Option<&'static str> {
        if self.hint.is_some() {
            return self.hint;
        }
        match &self.error {
            Error::NotConnected => Some(
                "No Citrix Cloud account is saved on this computer: sign in with `rdesk login`, \
                 or try the demo site with `--demo`.",
            ),
            Error::NoSecretStored => Some("Sign in again with `rdesk login`."),
            Error::NoSiteSelected => Some(
                "List the sites with `rdesk sites`, then choose one with `rdesk sites use SITE-ID`.",
            ),
            Error::TrailInUse => Some("To wait for it instead, add --wait."),
            Error::SetByOrganisation(_) => {
                Some("`rdesk settings` shows what your organisation set on this computer.")
            }
            Error::InvalidInput {
                field: Some(InputField::Reason),
                ..
            } => Some("Give the reason with --reason \"...\". Nothing was sent."),
            Error::InvalidInput {
                field: Some(InputField::CaseRef),
                ..
            } => Some("Give the case or ticket reference with --case REFERENCE. Nothing was sent."),
            _ => None,
        }
    }
}

pub type Outcome = Result<Exit, Failure>;
