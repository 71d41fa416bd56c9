//! The core's one error type, and the one list of error kinds.
//!
//! Every error a front end can receive has a kind from [`ErrorKind`]: the Citrix client's kinds
//! and the core's own, written once here. The window gets them as the generated TypeScript union
//! `ErrorKind` (its copy table is keyed by it, so a kind without copy fails `tsc`); the
//! command-line tool matches the same enum. Across IPC an error is
//! `{ "kind": "...", "message": "...", "field"?: "..." }`: `message` is the detail of this
//! occurrence, and `field` names the form field an invalid input is about, so no front end reads
//! it out of the English text.

use serde::{Deserialize, Serialize, Serializer};
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every kind of error a front end can receive: what the officer can do about it, not which
/// HTTP status came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    // The Citrix client's (see `citrix_cloud::Error`).
    BadCredentials,
    TokenRejected,
    Forbidden,
    WrongRegion,
    NotFound,
    SiteNotFound,
    CannotRecord,
    RateLimited,
    SiteAsleep,
    ServiceUnavailable,
    Timeout,
    Network,
    BadRequest,
    Unexpected,
    InvalidSessionId,
    HostNotAllowed,
    Cancelled,
    // Recording Desk's own.
    KeychainUnavailable,
    KeychainLocked,
    NoSecretStored,
    NotConnected,
    NoSiteSelected,
    AuditUnavailable,
    FileWrite,
    InvalidInput,
    Busy,
    DemoUnavailable,
    Superseded,
    /// A setting the organisation set and locked (see [`crate::policy`]).
    SetByOrganisation,
}

impl ErrorKind {
    /// The kind of a client error.
    pub fn of(error: &citrix_cloud::Error) -> ErrorKind {
        ErrorKind::from(error.kind())
    }

    /// The kind's name on the wire and in the audit trail ("siteAsleep").
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// The client's kinds in the core's list. Exhaustive on purpose: a kind added to the client does
/// not compile here until it has a place in the list (and so copy in the UI).
impl From<citrix_cloud::ErrorKind> for ErrorKind {
    fn from(kind: citrix_cloud::ErrorKind) -> ErrorKind {
        use citrix_cloud::ErrorKind as K;
        match kind {
            K::BadCredentials => ErrorKind::BadCredentials,
            K::TokenRejected => ErrorKind::TokenRejected,
            K::Forbidden => ErrorKind::Forbidden,
            K::WrongRegion => ErrorKind::WrongRegion,
            K::NotFound => ErrorKind::NotFound,
            K::SiteNotFound => ErrorKind::SiteNotFound,
            K::CannotRecord => ErrorKind::CannotRecord,
            K::RateLimited => ErrorKind::RateLimited,
            K::SiteAsleep => ErrorKind::SiteAsleep,
            K::ServiceUnavailable => ErrorKind::ServiceUnavailable,
            K::Timeout => ErrorKind::Timeout,
            K::Network => ErrorKind::Network,
            K::BadRequest => ErrorKind::BadRequest,
            K::Unexpected => ErrorKind::Unexpected,
            K::InvalidSessionId => ErrorKind::InvalidSessionId,
            K::HostNotAllowed => ErrorKind::HostNotAllowed,
            K::Cancelled => ErrorKind::Cancelled,
            // The bulk engine's "the observer refused": the core's observer refuses only when
            // the audit record could not be written.
            K::NotRequested => ErrorKind::AuditUnavailable,
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The form field an invalid input is about, so a front end can show the message under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InputField {
    CustomerId,
    ClientId,
    Secret,
    Concurrency,
    /// The reason given before a start or stop.
    Reason,
    /// The case or ticket reference given before a start or stop.
    CaseRef,
    /// The name of a saved Citrix account (profile).
    ProfileName,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure reported by the Citrix client. `message` is usually the client's own text, but a
    /// caller may replace it with one that fits what the officer was doing (see [`Error::citrix`]).
    #[error("{message}")]
    Citrix {
        #[source]
        source: citrix_cloud::Error,
        message: String,
    },
    /// A session looked up by ID is gone; its own variant so the text names the session, not the API.
    #[error("This session has ended or does not exist on this site.")]
    SessionNotFound,
    #[error("{0}")]
    KeychainUnavailable(String),
    #[error("{0}")]
    KeychainLocked(String),
    #[error("No client secret is saved for this account. Enter the secret to connect.")]
    NoSecretStored,
    #[error("Recording Desk is not connected to a Citrix site. Connect first.")]
    NotConnected,
    #[error("Choose a site first.")]
    NoSiteSelected,
    #[error("{0}")]
    AuditUnavailable(String),
    #[error("Could not write {path}: {reason}")]
    FileWrite { path: String, reason: String },
    /// Something the officer entered; `field` names the form field when there is one.
    #[error("{message}")]
    InvalidInput {
        message: String,
        field: Option<InputField>,
    },
    #[error("A recording run is already in progress. Wait for it to finish or cancel it first.")]
    Busy,
    /// Another program on this computer (the window for as long as it is open, the command-line
    /// tool for one command) holds the audit trail.
    #[error(
        "Another Recording Desk program on this computer is using the audit trail: the \
         Recording Desk window (which keeps it while it is open) or an rdesk command. Only one \
         program at a time may write it. Nothing was sent. Close the window or wait for the \
         other command to finish, then try again."
    )]
    TrailInUse,
    /// The in-app demo site (a local simulator) could not start.
    #[error("{0}")]
    DemoUnavailable(String),
    /// A connect finished after the officer had started another one or disconnected; its
    /// result was dropped.
    #[error(
        "This connection was not used: another connection was started or the app was \
         disconnected while it was being made."
    )]
    Superseded,
    /// What was asked goes against a setting the organisation set (see [`crate::policy`]); the
    /// message names it and says what to do.
    #[error("{0}")]
    SetByOrganisation(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Citrix { source, .. } => ErrorKind::of(source),
            Error::SessionNotFound => ErrorKind::NotFound,
            Error::KeychainUnavailable(_) => ErrorKind::KeychainUnavailable,
            Error::KeychainLocked(_) => ErrorKind::KeychainLocked,
            Error::NoSecretStored => ErrorKind::NoSecretStored,
            Error::NotConnected => ErrorKind::NotConnected,
            Error::NoSiteSelected => ErrorKind::NoSiteSelected,
            Error::AuditUnavailable(_) => ErrorKind::AuditUnavailable,
            Error::FileWrite { .. } => ErrorKind::FileWrite,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Busy | Error::TrailInUse => ErrorKind::Busy,
            Error::DemoUnavailable(_) => ErrorKind::DemoUnavailable,
            Error::Superseded => ErrorKind::Superseded,
            Error::SetByOrganisation(_) => ErrorKind::SetByOrganisation,
        }
    }

    /// Refused because of a setting the organisation set.
    pub fn set_by_organisation(message: impl Into<String>) -> Self {
        Error::SetByOrganisation(message.into())
    }

    /// Invalid input that is not about one form field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            message: message.into(),
            field: None,
        }
    }

    /// Invalid input in `field`.
    pub fn invalid_field(field: InputField, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            message: message.into(),
            field: Some(field),
        }
    }

    /// A client error with a message written for the situation it happened in.
    pub fn citrix(source: citrix_cloud::Error, message: impl Into<String>) -> Self {
        Error::Citrix {
            source,
            message: message.into(),
        }
    }

    pub fn file_write(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Error::FileWrite {
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// The text sent to the UI. Citrix errors carry the transaction ID when the service returned
    /// one: it is what Citrix support asks for first.
    pub fn message(&self) -> String {
        match self {
            Error::Citrix { source, message } => match source.transaction_id() {
                Some(id) => format!("{message} (Citrix transaction ID {id})"),
                None => message.clone(),
            },
            other => other.to_string(),
        }
    }

    pub fn to_ipc(&self) -> IpcError {
        IpcError {
            kind: self.kind(),
            message: self.message(),
            field: match self {
                Error::InvalidInput { field, .. } => *field,
                _ => None,
            },
        }
    }
}

impl From<citrix_cloud::Error> for Error {
    fn from(source: citrix_cloud::Error) -> Self {
        let message = source.to_string();
        Error::Citrix { source, message }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_ipc().serialize(serializer)
    }
}

/// The wire form of every error, also used inside results that carry per-item errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub kind: ErrorKind,
    pub message: String,
    /// The form field the error is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<InputField>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_ipc_as_kind_and_message() {
        let json = serde_json::to_value(Error::Busy).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "busy",
                "message": "A recording run is already in progress. Wait for it to finish or cancel it first."
            })
        );

        let json = serde_json::to_value(Error::file_write(
            std::path::Path::new("/tmp/audit.csv"),
            "permission denied",
        ))
        .expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "fileWrite", "message": "Could not write /tmp/audit.csv: permission denied" })
        );
    }

    #[test]
    fn an_invalid_field_travels_as_data() {
        let json = serde_json::to_value(Error::invalid_field(
            InputField::ClientId,
            "Enter the client ID.",
        ))
        .expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "invalidInput", "message": "Enter the client ID.", "field": "clientId" })
        );
        let json = serde_json::to_value(Error::invalid("Choose at least one session."))
            .expect("serialize");
        assert_eq!(json.get("field"), None);
    }

    #[test]
    fn client_errors_keep_their_kind_and_quote_the_transaction_id() {
        let source = citrix_cloud::Error::BadCredentials {
            message: "Invalid client id or client secret.".into(),
            transaction_id: Some("6b35b678-07bc-46e4-8495-92e6647015bb".into()),
        };
        let json = serde_json::to_value(Error::from(source.clone())).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "badCredentials",
                "message": "Invalid client id or client secret. (Citrix transaction ID 6b35b678-07bc-46e4-8495-92e6647015bb)"
            })
        );
        let json = serde_json::to_value(Error::citrix(source, "Check the secret.")).expect("json");
        assert_eq!(json["kind"], "badCredentials");
        assert!(json["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Check the secret. (Citrix")));
    }

    /// The client names its kinds itself (`citrix_cloud::ErrorKind::as_str`); the list here must
    /// give every one of them the same name, so logs, the audit trail and the UI agree.
    #[test]
    fn every_client_kind_has_the_same_name_here() {
        use citrix_cloud::ErrorKind as K;
        for &kind in K::ALL {
            let here = ErrorKind::from(kind);
            if kind == K::NotRequested {
                assert_eq!(here, ErrorKind::AuditUnavailable);
            } else {
                assert_eq!(here.name(), kind.as_str());
            }
        }
        let refused = citrix_cloud::Error::NotRequested {
            message: String::new(),
            transaction_id: None,
        };
        assert_eq!(Error::from(refused).kind(), ErrorKind::AuditUnavailable);
    }

    #[test]
    fn every_core_kind_is_stable_camel_case() {
        let all = [
            Error::SessionNotFound,
            Error::KeychainUnavailable(String::new()),
            Error::KeychainLocked(String::new()),
            Error::NoSecretStored,
            Error::NotConnected,
            Error::NoSiteSelected,
            Error::AuditUnavailable(String::new()),
            Error::file_write(std::path::Path::new("x"), ""),
            Error::invalid(""),
            Error::Busy,
            Error::TrailInUse,
            Error::DemoUnavailable(String::new()),
            Error::Superseded,
            Error::set_by_organisation(""),
        ];
        let kinds: Vec<String> = all.iter().map(|e| e.kind().name()).collect();
        assert_eq!(
            kinds,
            [
                "notFound",
                "keychainUnavailable",
                "keychainLocked",
                "noSecretStored",
                "notConnected",
                "noSiteSelected",
                "auditUnavailable",
                "fileWrite",
                "invalidInput",
                "busy",
                "busy",
                "demoUnavailable",
                "superseded",
                "setByOrganisation"
            ]
        );
    }
}
