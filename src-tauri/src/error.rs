//! The app's one error type. Across IPC every error is `{ "kind": "...", "message": "..." }`: the UI
//! branches on `kind` (stable camelCase strings, shared with the `citrix-cloud` crate) and shows the
//! title and advice from its own table; `message` is the specific detail for this occurrence.

use serde::{Serialize, Serializer};
use ts_rs::TS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure reported by the Citrix client. `message` is usually the client's own text, but a
    /// command may replace it with one that fits what the officer was doing (see [`Error::citrix`]).
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
    #[error("{0}")]
    InvalidInput(String),
    #[error("A recording run is already in progress. Wait for it to finish or cancel it first.")]
    Busy,
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
}

impl Error {
    /// Every kind the app itself adds to the client's (`citrix_cloud::Error::KINDS`). The
    /// bindings test exports both as the UI's `ErrorKind`, so copy missing for one fails `tsc`.
    #[cfg(test)]
    pub const KINDS: [&'static str; 12] = [
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
        "demoUnavailable",
        "superseded",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            Error::Citrix { source, .. } => source.kind(),
            Error::SessionNotFound => "notFound",
            Error::KeychainUnavailable(_) => "keychainUnavailable",
            Error::KeychainLocked(_) => "keychainLocked",
            Error::NoSecretStored => "noSecretStored",
            Error::NotConnected => "notConnected",
            Error::NoSiteSelected => "noSiteSelected",
            Error::AuditUnavailable(_) => "auditUnavailable",
            Error::FileWrite { .. } => "fileWrite",
            Error::InvalidInput(_) => "invalidInput",
            Error::Busy => "busy",
            Error::DemoUnavailable(_) => "demoUnavailable",
            Error::Superseded => "superseded",
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
            kind: self.kind().to_owned(),
            message: self.message(),
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
    pub kind: String,
    pub message: String,
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

    #[test]
    fn every_app_kind_is_stable_camel_case() {
        let all = [
            Error::SessionNotFound,
            Error::KeychainUnavailable(String::new()),
            Error::KeychainLocked(String::new()),
            Error::NoSecretStored,
            Error::NotConnected,
            Error::NoSiteSelected,
            Error::AuditUnavailable(String::new()),
            Error::file_write(std::path::Path::new("x"), ""),
            Error::InvalidInput(String::new()),
            Error::Busy,
            Error::DemoUnavailable(String::new()),
            Error::Superseded,
        ];
        let kinds: Vec<&str> = all.iter().map(Error::kind).collect();
        assert_eq!(kinds, Error::KINDS);
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
                "demoUnavailable",
                "superseded"
            ]
        );
    }
}
