//! The IPC commands. Each is a few lines that take managed state and call into the modules; the
//! argument and result shapes are the contract with the UI (`ui/src/bindings/`).

use std::path::PathBuf;
use std::sync::Arc;

use citrix_cloud::{Region, SessionId};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;
use ts_rs::TS;

use crate::account;
use crate::audit::{self, AuditChain, AuditFilter, AuditLog, AuditRecord};
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::ipc::{Mode, RunAction};
use crate::run::{self, RunEvent, RunReport, RunRequest, RunSlot};
use crate::sessions::{
    self, LookupResult, RowCache, SessionDetail, SessionPage, SessionQueryInput,
};
use crate::settings::{self, AppSettings, Settings};
use crate::startup::AppContext;
use crate::state::{AppStatus, ConnectionInfo, ConnectionState, SavedAccount};
use crate::vault::Vault;

#[tauri::command]
pub async fn app_status(
    app: State<'_, AppContext>,
    connection: State<'_, ConnectionState>,
    settings: State<'_, AppSettings>,
) -> Result<AppStatus> {
    app.startup_finished().await;
    let stored = settings.get();
    Ok(AppStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        connection: connection.get().map(|c| c.info.clone()),
        saved_account: stored.account.map(|a| SavedAccount {
            region: a.region,
            customer_id: a.customer_id,
            client_id: a.client_id,
            secret_stored: a.secret_stored,
        }),
        last_mode: stored.last_mode,
        notices: app.notices(),
        cloud_url_override: app.cloud_url.as_ref().map(ToString::to_string),
    })
}

/// Changing the connection, the site or the saved account mid-run would leave the run panel
/// describing one account while the trail and Citrix see another: refused until the run ends.
fn not_during_a_run(runs: &RunSlot) -> Result<()> {
    if runs.is_busy() {
        return Err(Error::Busy);
    }
    Ok(())
}

#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per managed state the command touches
pub async fn connect_cloud(
    region: Region,
    customer_id: String,
    client_id: String,
    secret: Option<String>,
    app: State<'_, AppContext>,
    connection: State<'_, ConnectionState>,
    settings: State<'_, AppSettings>,
    vault: State<'_, Vault>,
    runs: State<'_, RunSlot>,
) -> Result<ConnectionInfo> {
    not_during_a_run(&runs)?;
    let form = account::SignIn {
        region,
        customer_id,
        client_id,
        secret,
    };
    let connected = account::sign_in(form, &app, &settings, &vault, &connection).await?;
    Ok(connected.info)
}

#[tauri::command]
pub async fn connect_demo(
    app: State<'_, AppContext>,
    connection: State<'_, ConnectionState>,
    settings: State<'_, AppSettings>,
    demo: State<'_, Demo>,
    runs: State<'_, RunSlot>,
) -> Result<ConnectionInfo> {
    not_during_a_run(&runs)?;
    let info = crate::startup::connect_demo(&demo, &connection).await?;
    app.save_settings(&settings, |s| s.last_mode = Some(Mode::Demo));
    Ok(info)
}

#[tauri::command]
pub async fn disconnect(
    connection: State<'_, ConnectionState>,
    runs: State<'_, RunSlot>,
) -> Result<()> {
    not_during_a_run(&runs)?;
    connection.clear();
    Ok(())
}

#[tauri::command]
pub async fn forget_credentials(
    app: State<'_, AppContext>,
    settings: State<'_, AppSettings>,
    vault: State<'_, Vault>,
    runs: State<'_, RunSlot>,
) -> Result<()> {
    not_during_a_run(&runs)?;
    account::forget(&app, &settings, &vault).await
}

#[tauri::command]
pub async fn select_site(
    site_id: String,
    app: State<'_, AppContext>,
    connection: State<'_, ConnectionState>,
    settings: State<'_, AppSettings>,
    runs: State<'_, RunSlot>,
) -> Result<ConnectionInfo> {
    not_during_a_run(&runs)?;
    let current = connection.require()?;
    let site = current
        .info
        .sites
        .iter()
        .find(|s| s.id == site_id)
        .ok_or_else(|| Error::InvalidInput("That site is not part of this account.".into()))?;
    let mut next = (*current).clone();
    next.info.site_id = Some(site.id.clone());
    let info = next.info.clone();
    connection.replace(&current, next)?;
    if info.mode == Mode::Cloud {
        app.save_settings(&settings, |s| s.site_id = info.site_id.clone());
    }
    Ok(info)
}

#[tauri::command]
pub async fn search_sessions(
    query: SessionQueryInput,
    continuation: Option<String>,
    connection: State<'_, ConnectionState>,
    cache: State<'_, Arc<RowCache>>,
) -> Result<SessionPage> {
    let connected = connection.require()?;
    let (client, site) = connected.site()?;
    let page = sessions::search(client, site, &query, continuation).await?;
    cache.remember(&page.items);
    Ok(page)
}

#[tauri::command]
pub async fn lookup_sessions(
    ids: Vec<String>,
    connection: State<'_, ConnectionState>,
    cache: State<'_, Arc<RowCache>>,
) -> Result<Vec<LookupResult>> {
    let connected = connection.require()?;
    let (client, site) = connected.site()?;
    let results = sessions::lookup(client, site, ids).await;
    let rows: Vec<_> = results.iter().filter_map(|r| r.row.clone()).collect();
    cache.remember(&rows);
    Ok(results)
}

#[tauri::command]
pub async fn get_session(
    session_id: String,
    connection: State<'_, ConnectionState>,
    cache: State<'_, Arc<RowCache>>,
) -> Result<SessionDetail> {
    let id = parse_id(&session_id)?;
    let connected = connection.require()?;
    let (client, site) = connected.site()?;
    let (row, json) = sessions::fetch_row(client, site, &id).await?;
    cache.remember(std::slice::from_ref(&row));
    cache.remember_json(&row.id, json.clone());
    let last_action = cache.last_action(&row.id);
    Ok(SessionDetail {
        row,
        json,
        last_action,
    })
}

fn parse_id(raw: &str) -> Result<SessionId> {
    SessionId::parse(raw).map_err(|e| Error::InvalidInput(e.to_string()))
}

#[tauri::command]
pub async fn save_session_json(
    session_id: String,
    path: String,
    connection: State<'_, ConnectionState>,
    cache: State<'_, Arc<RowCache>>,
) -> Result<()> {
    let id = parse_id(&session_id)?;
    let path = chosen_path(&path, "json")?;
    // What the officer saw in the detail view; fetched only if the view was never opened.
    let json = match cache.json(id.as_str()) {
        Some(json) => json,
        None => {
            let connected = connection.require()?;
            let (client, site) = connected.site()?;
            sessions::fetch_session(client, site, &id).await?.into_raw()
        }
    };
    let text = serde_json::to_string_pretty(&json).map_err(|e| Error::file_write(&path, e))?;
    tokio::fs::write(&path, text + "\n")
        .await
        .map_err(|e| Error::file_write(&path, e))
}

/// Checks a path from the save dialog. The webview could send any path, so only absolute paths
/// with the expected extension are written (the extension is added when missing, as some
/// platforms' dialogs do not add it).
fn chosen_path(path: &str, extension: &str) -> Result<PathBuf> {
    let mut path = PathBuf::from(path.trim());
    if !path.is_absolute() || path.file_name().is_none() {
        return Err(Error::InvalidInput(
            "Choose where to save the file with the Save dialog.".into(),
        ));
    }
    let has_extension = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !has_extension {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{extension}"));
        path.set_file_name(name);
    }
    Ok(path)
}

#[tauri::command]
#[allow(clippy::too_many_arguments)] // one per managed state the command touches
pub async fn run_recording(
    action: RunAction,
    session_ids: Vec<String>,
    notify_user: bool,
    on_event: Channel<RunEvent>,
    app: State<'_, AppContext>,
    connection: State<'_, ConnectionState>,
    settings: State<'_, AppSettings>,
    runs: State<'_, RunSlot>,
    audit_log: State<'_, Arc<AuditLog>>,
    cache: State<'_, Arc<RowCache>>,
) -> Result<RunReport> {
    let ids = run::parse_ids(&session_ids)?;
    let connected = connection.require()?;
    connected.site()?;
    let ticket = runs.begin()?;
    let log = Arc::clone(&audit_log);
    tokio::task::spawn_blocking(move || log.check_writable())
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))??;

    let request = RunRequest {
        run_id: ticket.run_id.clone(),
        action,
        ids,
        notify_user,
        concurrency: settings.get().concurrency as usize,
        os_user: audit::os_user(),
        computer: audit::computer_name(),
    };
    let sink: run::EventSink = Arc::new(move |event| {
        if let Err(e) = on_event.send(event) {
            tracing::debug!("run event not delivered: {e}");
        }
    });
    let report = run::execute(
        &connected,
        Arc::clone(&audit_log),
        Arc::clone(&cache),
        request,
        ticket.cancel.clone(),
        sink,
    )
    .await?;
    if report.not_audited > 0 {
        app.notice(format!(
            "{} of the last run's results could not be written to the audit trail at {}. The \
             requests themselves are in the trail. Note these results elsewhere, and check that \
             the disk is not full and that you can write to that folder.",
            report.not_audited,
            audit_log.path().display()
        ));
    }
    Ok(report)
}

#[tauri::command]
pub async fn cancel_run(runs: State<'_, RunSlot>) -> Result<()> {
    runs.cancel();
    Ok(())
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub records: Vec<AuditRecord>,
    /// The request records (whatever the filter) that never got an outcome: the officer must
    /// check those sessions. The UI marks exactly these rows, by `seq`.
    pub unknown_outcomes: Vec<AuditRecord>,
    pub chain: AuditChain,
    pub path: String,
}

#[tauri::command]
pub async fn audit_view(
    filter: AuditFilter,
    audit_log: State<'_, Arc<AuditLog>>,
    runs: State<'_, RunSlot>,
) -> Result<AuditView> {
    let log = Arc::clone(&audit_log);
    let scan = tokio::task::spawn_blocking(move || log.scan())
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))??;
    Ok(AuditView {
        records: filter.apply(&scan.records)?,
        unknown_outcomes: audit::unknown_outcomes(&scan.records, runs.active_run_id().as_deref()),
        chain: scan.chain,
        path: audit_log.path().display().to_string(),
    })
}

#[tauri::command]
pub async fn export_audit_csv(
    filter: AuditFilter,
    path: String,
    audit_log: State<'_, Arc<AuditLog>>,
) -> Result<usize> {
    let path = chosen_path(&path, "csv")?;
    let log = Arc::clone(&audit_log);
    tokio::task::spawn_blocking(move || {
        let scan = log.scan()?;
        audit::write_csv(&filter.apply(&scan.records)?, &path)
    })
    .await
    .map_err(|e| Error::AuditUnavailable(e.to_string()))?
}

#[tauri::command]
pub async fn get_settings(settings: State<'_, AppSettings>) -> Result<Settings> {
    Ok(Settings::from(&settings.get()))
}

#[tauri::command]
pub async fn update_settings(
    settings: Settings,
    stored: State<'_, AppSettings>,
) -> Result<Settings> {
    settings::validate(&settings)?;
    let saved = stored.update(|s| {
        s.concurrency = settings.concurrency;
        s.notify_user_default = settings.notify_user_default;
    })?;
    Ok(Settings::from(&saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_paths_must_be_absolute_and_get_the_right_extension() {
        let base = std::env::temp_dir();
        let p = |name: &str| base.join(name).display().to_string();
        assert_eq!(
            chosen_path(&p("audit.csv"), "csv").expect("ok"),
            base.join("audit.csv")
        );
        assert_eq!(
            chosen_path(&p("audit.CSV"), "csv").expect("ok"),
            base.join("audit.CSV")
        );
        assert_eq!(
            chosen_path(&p("audit"), "csv").expect("ok"),
            base.join("audit.csv")
        );
        assert_eq!(
            chosen_path(&p(".bashrc"), "csv").expect("ok"),
            base.join(".bashrc.csv")
        );
        assert_eq!(
            chosen_path("relative.csv", "csv")
                .expect_err("relative")
                .kind(),
            "invalidInput"
        );
        assert!(chosen_path("", "json").is_err());
    }
}
