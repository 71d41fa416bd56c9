//! "Check again": asks Citrix what it reports now about a session whose outcome was not known,
//! and writes the answer to the audit trail next to the request it answers.

use std::sync::Arc;

use citrix_cloud::bulk::Action;
use citrix_cloud::{RecordingCheck, SessionId};
use serde::Serialize;
use ts_rs::TS;

use super::RunStatus;
use crate::account::Connected;
use crate::audit::{self, ActionKind, AuditContext, AuditEvent, AuditLog, AuditRecord, Entry};
use crate::error::{Error, Result};

/// What Citrix reported when asked again.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub session_id: String,
    /// `recording`, `notRecording`, `sessionEnded`, or `unknown` when Citrix still could not be
    /// asked.
    pub status: RunStatus,
    /// Why it is still not known.
    pub message: Option<String>,
    /// The check's Citrix transaction ID.
    pub transaction_id: Option<String>,
    /// The answer could not be written to the audit trail.
    pub audit_missing: bool,
}

/// Asks Citrix about `session_id` as requested in run `run_id`, and appends a `check` record
/// with the answer (same run ID and action, so the Audit screen sees the request answered).
/// The check is made on the site the request was made on: a request of another account or site
/// is refused rather than checked somewhere it does not belong.
pub async fn check_again(
    connected: &Connected,
    log: Arc<AuditLog>,
    run_id: &str,
    session_id: &str,
) -> Result<CheckResult> {
    let id = SessionId::parse(session_id).map_err(|e| Error::invalid(e.to_string()))?;
    let scan_log = Arc::clone(&log);
    let scan = tokio::task::spawn_blocking(move || scan_log.scan())
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))??;
    let asked = scan
        .records
        .iter()
        .rev()
        .find(|r| {
            r.run_id == run_id && r.session_id == session_id && r.action != ActionKind::Reseal
        })
        .cloned()
        .ok_or_else(|| {
            Error::invalid("The audit trail has no request for this session in that run.")
        })?;
    let (client, site) = connected.site()?;
    let info = &connected.info;
    if asked.customer_id != info.customer_id || asked.site_id != site || asked.mode != info.mode {
        return Err(Error::invalid(format!(
            "This request was made on another Citrix account or site (customer {}, site {}). \
             Connect to that site to check this session.",
            asked.customer_id, asked.site_id
        )));
    }

    let reply = client.check_recording(site, &id).await;
    let status = RunStatus::from(reply.value.clone());
    let message = match reply.value {
        RecordingCheck::Unknown { reason } => Some(Error::from(reason).to_string()),
        _ => None,
    };
    let ctx = AuditContext {
        run_id: asked.run_id.clone(),
        action: action_of(&asked),
        os_user: audit::os_user(),
        computer: audit::computer_name(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: info.mode,
        region: info.region,
        profile: info.profile.clone(),
        customer_id: info.customer_id.clone(),
        site_id: site.to_owned(),
        api_host: audit::api_host(&client.endpoints().api_base),
        // A check belongs to the run it answers: same reason and case.
        reason: asked.reason.clone(),
        case_ref: asked.case_ref.clone(),
    };
    let entry = Entry {
        session_id: session_id.to_owned(),
        session_user: asked.session_user,
        display_name: asked.display_name,
        machine: asked.machine,
        delivery_group: asked.delivery_group,
        outcome: Some(status.as_str().to_owned()),
        message: message.clone(),
        transaction_id: reply.transaction_id.clone(),
        ..Entry::default()
    };
    let written =
        tokio::task::spawn_blocking(move || log.append_all([(&ctx, AuditEvent::Check, entry)]))
            .await
            .map_err(|e| Error::AuditUnavailable(e.to_string()))?;
    if let Err(e) = &written {
        tracing::error!(session = %session_id, "check not written to the audit trail: {e}");
    }
    Ok(CheckResult {
        session_id: session_id.to_owned(),
        status,
        message,
        transaction_id: reply.transaction_id,
        audit_missing: written.is_err(),
    })
}

/// The action of a record as it was asked, notify flag included.
fn action_of(record: &AuditRecord) -> Action {
    match record.action {
        ActionKind::Start => Action::Start {
            notify_user: record.notify_user.unwrap_or(false),
        },
        // A re-seal record names no session, so it is never the request checked (see above).
        ActionKind::Stop | ActionKind::Reseal => Action::Stop,
    }
}
