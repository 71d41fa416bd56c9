//! [`Desk`]: the one object a front end builds and calls. It owns the settings, the keychain
//! vault, the connection, the run slot, the row cache, the audit trail and the notices; each of
//! its methods is one thing the officer can ask for.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citrix_cloud::bulk::{Action, BulkOptions};
use citrix_cloud::{Region, SessionId};
use futures::future::{BoxFuture, FutureExt, Shared};
use serde::Serialize;
use ts_rs::TS;
use url::Url;

use crate::account::profiles::{self, ProfileInfo};
use crate::account::{
    self, ConnectionInfo, ConnectionState, Mode, SavedAccount, SignIn, CLOUD_URL_ENV,
};
use crate::audit::{self, AuditChain, AuditFilter, AuditLog, AuditView, TrailLock, TrailSeals};
use crate::demo::{self, Demo};
use crate::error::{Error, Result};
use crate::notices::Notices;
use crate::paths::AppPaths;
use crate::policy::{Policy, PolicySource};
use crate::run::{self, CheckResult, EventSink, Justification, RunReport, RunRequest, RunSlot};
use crate::sessions::{
    self, LookupResult, RecordingStatusRow, RowCache, SessionDetail, SessionPage,
    SessionQueryInput, SessionRow,
};
use crate::settings::{self, Settings, SettingsStore, StoredSettings, WindowPrefs};
use crate::vault::Vault;

/// What a front end shows first: the version, the connection, the saved account, the notices.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub version: String,
    pub connection: Option<ConnectionInfo>,
    /// The current saved Citrix Cloud account, or while the demo site is current the first one.
    pub saved_account: Option<SavedAccount>,
    /// How the app was last connected, so the UI can reconnect the same way.
    pub last_mode: Option<Mode>,
    /// Every saved Citrix account and the demo site, the current one marked.
    pub profiles: Vec<ProfileInfo>,
    pub notices: Vec<String>,
    pub cloud_url_override: Option<String>,
}

/// How to build a [`Desk`].
pub struct DeskOptions {
    pub paths: AppPaths,
    pub vault: Vault,
    /// Another Citrix Cloud to send every call to (the simulator in tests), see [`CLOUD_URL_ENV`].
    pub cloud_url: Option<Url>,
    /// Notices from before the desk existed, for the officer.
    pub notices: Vec<String>,
    /// Whether connecting notes how the app was connected (`last_mode`), so the window comes
    /// back the same way. Off for the command-line tool: a `--demo` command must not switch the
    /// window to the demo site.
    pub remember_mode: bool,
    /// The namespace of the audit trail's keychain entries (see [`audit::NAMESPACE_ENV`]);
    /// `None` in normal use.
    pub trail_namespace: Option<String>,
    /// Where the settings the organisation set come from (see [`crate::policy`]).
    pub policy: PolicySource,
}

impl DeskOptions {
    /// The app's folders on this computer, after moving an install of the earlier bundle
    /// identifier into them (see [`crate::migrate`]); `None` when the OS has no home folder.
    pub fn for_this_computer() -> Option<DeskOptions> {
        let paths = AppPaths::for_this_computer()?;
        let moved = crate::migrate::at_startup(&paths);
        let mut options = DeskOptions::from_env(paths);
        options.notices.extend(moved.notices);
        Some(options)
    }

    /// The app's `paths`, this computer's keychain, and the cloud URL override from the
    /// environment (an invalid one is ignored, with a notice).
    pub fn from_env(paths: AppPaths) -> DeskOptions {
        let (cloud_url, url_notice) = account::cloud_url_from_env();
        if let Some(url) = &cloud_url {
            tracing::warn!(%url, "Citrix Cloud URL overridden by {CLOUD_URL_ENV}");
        }
        DeskOptions {
            paths,
            vault: Vault::keyring(),
            cloud_url,
            notices: url_notice.into_iter().collect(),
            remember_mode: true,
            trail_namespace: std::env::var(audit::NAMESPACE_ENV).ok(),
            policy: PolicySource::for_this_computer(),
        }
    }
}

/// Recording Desk, without a window.
pub struct Desk {
    pub(crate) settings: SettingsStore,
    pub(crate) vault: Vault,
    pub(crate) connection: ConnectionState,
    pub(crate) cloud_url: Option<Url>,
    pub(crate) notices: Arc<Notices>,
    pub(crate) remember_mode: bool,
    policy: PolicySource,
    pub(crate) runs: RunSlot,
    cache: Arc<RowCache>,
    audit: Arc<AuditLog>,
    /// The trail, while this program holds it: for the window's whole life, for one command of
    /// the command-line tool.
    trail: Mutex<Option<TrailLock>>,
    demo: Demo,
    /// The first-run demo connection, which [`Desk::status`] waits for so the first view is
    /// already connected.
    startup: Mutex<Option<Shared<BoxFuture<'static, ()>>>>,
}

impl Desk {
    /// Opens the settings (repairing an unreadable file, with a notice) and the audit trail
    /// (read on first use, so a problem with it shows when the officer acts).
    pub fn open(options: DeskOptions) -> Desk {
        let notices = Arc::new(Notices::default());
        for notice in options.notices {
            notices.push(notice);
        }
        let paths = options.paths;
        let trail_seals =
            TrailSeals::in_namespace(options.vault.store(), options.trail_namespace.as_deref());
        let settings = SettingsStore::open(paths.settings_file(), Arc::clone(&notices));
        tracing::info!(
            settings = %paths.settings_file().display(),
            audit = %paths.audit_file().display(),
            anchor = %paths.anchor_file().display(),
            "data locations"
        );
        // Read once now, so a problem with it is among the first notices; later reads (at each
        // settings read) tell each problem only once.
        let (policy, problems) = options.policy.read();
        for problem in problems {
            tracing::warn!("{problem}");
            notices.push_once(problem);
        }
        if !policy.locked().is_empty() {
            tracing::info!(locked = ?policy.locked(), "settings set by the organisation");
        }
        // The collector the organisation set, else the one in the settings (or, for tests, the
        // environment's). Read at start-up: a change applies from the next start.
        let collector = policy
            .collector()
            .or_else(|| audit::CollectorConfig::from_env_or(settings.get().syslog_collector));
        let witness = audit::Witness::start(&paths.audit_file(), collector);
        Desk {
            settings,
            vault: options.vault,
            connection: ConnectionState::default(),
            cloud_url: options.cloud_url,
            notices,
            remember_mode: options.remember_mode,
            policy: options.policy,
            runs: RunSlot::default(),
            cache: Arc::new(RowCache::default()),
            audit: Arc::new(
                AuditLog::sealed(paths.audit_file(), paths.anchor_file(), trail_seals)
                    .with_witness(witness),
            ),
            trail: Mutex::new(None),
            demo: Demo::default(),
            startup: Mutex::new(None),
        }
    }

    /// The settings the organisation set, read again now; problems with them become notices
    /// (each told once).
    pub fn policy(&self) -> Policy {
        let (policy, problems) = self.policy.read();
        for problem in problems {
            tracing::warn!("{problem}");
            self.notices.push_once(problem);
        }
        policy
    }

    pub async fn status(&self) -> AppStatus {
        self.startup_finished().await;
        let stored = self.settings.get();
        AppStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            connection: self.connection.get().map(|c| c.info.clone()),
            saved_account: profiles::current(&stored)
                .or(stored.profiles.first())
                .map(|p| SavedAccount {
                    profile_id: p.id.clone(),
                    name: p.name.clone(),
                    region: p.region,
                    customer_id: p.customer_id.clone(),
                    client_id: p.client_id.clone(),
                    secret_stored: p.secret_stored,
                }),
            last_mode: stored.last_mode,
            profiles: profiles::list(&stored),
            notices: self.notices.all(),
            cloud_url_override: self.cloud_url.as_ref().map(ToString::to_string),
        }
    }

    /// Signs in to Citrix Cloud (see [`account::sign_in`]). `secret: None` uses the keychain's.
    pub async fn connect_cloud(
        &self,
        region: Region,
        customer_id: String,
        client_id: String,
        secret: Option<String>,
    ) -> Result<ConnectionInfo> {
        self.sign_in(SignIn {
            region,
            customer_id,
            client_id,
            secret,
            name: None,
            profile_id: None,
        })
        .await
    }

    /// Signs in with the whole form: a new profile under the name given, or a saved one
    /// (`profile_id`), which becomes the current one.
    pub async fn sign_in(&self, form: SignIn) -> Result<ConnectionInfo> {
        self.not_during_a_run()?;
        // Only the account the organisation set, when it set one.
        self.policy()
            .check_account(form.region, &form.customer_id, &form.client_id)?;
        Ok(account::sign_in::sign_in(self, form).await?.info)
    }

    pub async fn connect_demo(&self) -> Result<ConnectionInfo> {
        self.not_during_a_run()?;
        self.policy().check_demo()?;
        let info = demo::connect(&self.demo, &self.connection).await?;
        if self.remember_mode {
            self.save_settings(|s| {
                s.last_mode = Some(Mode::Demo);
                s.current_profile = Some(profiles::DEMO_ID.to_owned());
            });
        }
        Ok(info)
    }

    /// The saved Citrix accounts and the demo site, the current one marked.
    pub fn profiles(&self) -> Vec<ProfileInfo> {
        profiles::list(&self.settings.get())
    }

    /// The profile of that name (any case; the demo site is also "demo"), for the command line.
    pub fn profile_named(&self, name: &str) -> Result<ProfileInfo> {
        profiles::by_name(&self.settings.get(), name)
    }

    /// Makes `id` the current profile: the current connection is closed, then the chosen
    /// profile connected with the secret in the keychain. Refused while a run is in progress.
    /// Without a stored secret it fails with `noSecretStored` (the front end then asks for it)
    /// and the chosen profile is current, not connected.
    pub async fn switch_profile(&self, id: &str) -> Result<ConnectionInfo> {
        self.not_during_a_run()?;
        if id == profiles::DEMO_ID {
            self.connection.clear();
            return self.connect_demo().await;
        }
        let stored = self.settings.get();
        let profile = profiles::find(&stored, id).cloned().ok_or_else(|| {
            Error::invalid(
                "That Citrix account is no longer saved (it was removed, perhaps in another \
                 window). Choose another one.",
            )
        })?;
        self.connection.clear();
        if self.remember_mode {
            self.save_settings(|s| {
                s.current_profile = Some(profile.id.clone());
                s.last_mode = Some(Mode::Cloud);
            });
        }
        if !profile.secret_stored {
            return Err(Error::NoSecretStored);
        }
        self.sign_in(SignIn {
            region: profile.region,
            customer_id: profile.customer_id,
            client_id: profile.client_id,
            secret: None,
            name: None,
            profile_id: Some(profile.id),
        })
        .await
    }

    /// Renames a saved profile (the demo site keeps its name); the connection shows the new one.
    pub fn rename_profile(&self, id: &str, name: &str) -> Result<Vec<ProfileInfo>> {
        if id == profiles::DEMO_ID {
            return Err(Error::invalid_field(
                crate::error::InputField::ProfileName,
                "The demo site is built in and keeps its name.",
            ));
        }
        let stored = self.settings.get();
        if profiles::find(&stored, id).is_none() {
            return Err(Error::invalid(
                "That Citrix account is no longer saved (it was removed, perhaps in another \
                 window).",
            ));
        }
        let name = profiles::validate_name(&stored, name, Some(id))?;
        let saved = self.settings.update(|s| {
            if let Some(p) = profiles::find_mut(s, id) {
                p.name = name.clone();
            }
        })?;
        if let Some(current) = self.connection.get() {
            if current.info.profile_id.as_deref() == Some(id) {
                let mut next = (*current).clone();
                next.info.profile = Some(name);
                // A connect that began meanwhile wins; it reads the new name itself.
                let _ = self.connection.replace(&current, next);
            }
        }
        Ok(profiles::list(&saved))
    }

    /// Removes a saved profile and its keychain entry (the front end asks first); the audit
    /// trail keeps every record made with it. Refused while a run is in progress.
    pub async fn remove_profile(&self, id: &str) -> Result<Vec<ProfileInfo>> {
        self.not_during_a_run()?;
        account::sign_in::remove(self, id).await?;
        Ok(self.profiles())
    }

    /// Connects to the demo site in the background when no Citrix Cloud account is saved yet
    /// (a first look needs no account). `spawn` runs it on the front end's runtime;
    /// [`Desk::status`] waits for it.
    pub fn connect_demo_if_new(
        self: &Arc<Self>,
        spawn: impl FnOnce(BoxFuture<'static, ()>) -> BoxFuture<'static, ()>,
    ) {
        if !self.settings.get().profiles.is_empty() || self.policy().check_demo().is_err() {
            return;
        }
        let desk = Arc::clone(self);
        let task = async move {
            if let Err(e) = demo::connect(&desk.demo, &desk.connection).await {
                tracing::warn!("demo site not connected at start-up: {e}");
            }
        };
        let pending = spawn(task.boxed()).shared();
        *self.startup.lock().unwrap_or_else(|p| p.into_inner()) = Some(pending);
    }

    async fn startup_finished(&self) {
        let pending = self
            .startup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(pending) = pending {
            // The demo site is local; if it has not answered by then, the UI offers it anyway.
            let _ = tokio::time::timeout(Duration::from_secs(20), pending).await;
        }
    }

    pub fn disconnect(&self) -> Result<()> {
        self.not_during_a_run()?;
        self.connection.clear();
        Ok(())
    }

    /// Deletes the keychain entry and the saved account (see [`account::sign_in::forget`]).
    pub async fn forget_credentials(&self) -> Result<()> {
        self.not_during_a_run()?;
        account::sign_in::forget(self).await
    }

    pub fn select_site(&self, site_id: &str) -> Result<ConnectionInfo> {
        self.not_during_a_run()?;
        let current = self.connection.require()?;
        let site = current
            .info
            .sites
            .iter()
            .find(|s| s.id == site_id)
            .ok_or_else(|| Error::invalid("That site is not part of this account."))?;
        let mut next = (*current).clone();
        next.info.site_id = Some(site.id.clone());
        let info = next.info.clone();
        self.connection.replace(&current, next)?;
        if let Some(id) = info
            .profile_id
            .as_deref()
            .filter(|_| info.mode == Mode::Cloud)
        {
            self.save_settings(|s| {
                if let Some(p) = profiles::find_mut(s, id) {
                    p.site_id = info.site_id.clone();
                }
            });
        }
        Ok(info)
    }

    /// The officer's "sessions at a time" is the window of the client's one limiter, shared by
    /// runs, searches' status look-ups and pasted-ID look-ups, so together they keep to it.
    fn apply_concurrency(&self, client: &citrix_cloud::CitrixClient) {
        client.set_concurrency(self.settings().concurrency as usize);
    }

    pub async fn search_sessions(
        &self,
        query: &SessionQueryInput,
        continuation: Option<String>,
    ) -> Result<SessionPage> {
        let connected = self.connection.require()?;
        let (client, site) = connected.site()?;
        self.apply_concurrency(client);
        let page = sessions::search(client, site, query, continuation).await?;
        self.cache.remember(&page.items);
        Ok(page)
    }

    /// What Citrix says about each session's recording now (for the rows the officer sees).
    pub async fn recording_statuses(&self, ids: Vec<String>) -> Result<Vec<RecordingStatusRow>> {
        let connected = self.connection.require()?;
        let (client, site) = connected.site()?;
        self.apply_concurrency(client);
        Ok(sessions::recording_statuses(client, site, ids).await)
    }

    /// Fills in the recording status of the rows that do not have it (a command-line listing
    /// shows every row at once, so it asks about all of them).
    pub async fn fill_recording_status(&self, rows: &mut [&mut SessionRow]) -> Result<()> {
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| !r.recording_checked)
            .map(|r| r.id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let answers: std::collections::HashMap<String, Option<bool>> = self
            .recording_statuses(ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s.recording))
            .collect();
        for row in rows.iter_mut() {
            if let Some(recording) = answers.get(&row.id) {
                row.recording = *recording;
                row.recording_checked = true;
            }
        }
        Ok(())
    }

    pub async fn lookup_sessions(&self, ids: Vec<String>) -> Result<Vec<LookupResult>> {
        let connected = self.connection.require()?;
        let (client, site) = connected.site()?;
        self.apply_concurrency(client);
        let results = sessions::lookup(client, site, ids).await;
        let rows: Vec<_> = results.iter().filter_map(|r| r.row.clone()).collect();
        self.cache.remember(&rows);
        Ok(results)
    }

    pub async fn session(&self, session_id: &str) -> Result<SessionDetail> {
        let id = parse_id(session_id)?;
        let connected = self.connection.require()?;
        let (client, site) = connected.site()?;
        let (row, json) = sessions::fetch_row(client, site, &id).await?;
        self.cache.remember(std::slice::from_ref(&row));
        self.cache.remember_json(&row.id, json.clone());
        let last_action = self.cache.last_action(&row.id);
        Ok(SessionDetail {
            row,
            json,
            last_action,
        })
    }

    /// Writes a session's JSON to `path` (from a Save dialog): what the officer saw in the detail
    /// view, fetched only if the view was never opened.
    pub async fn save_session_json(&self, session_id: &str, path: &str) -> Result<()> {
        let id = parse_id(session_id)?;
        let path = chosen_path(path, "json")?;
        let json = match self.cache.json(id.as_str()) {
            Some(json) => json,
            None => {
                let connected = self.connection.require()?;
                let (client, site) = connected.site()?;
                sessions::fetch_session(client, site, &id).await?.into_raw()
            }
        };
        let text = serde_json::to_string_pretty(&json).map_err(|e| Error::file_write(&path, e))?;
        tokio::fs::write(&path, text + "\n")
            .await
            .map_err(|e| Error::file_write(&path, e))
    }

    /// Starts or stops recording on `session_ids`; progress goes to `sink`, the engine's report
    /// comes back. One run at a time, on this computer: while another program holds the audit
    /// trail, this is refused (`busy`). The reason and case go into every record of the run;
    /// when the settings require either and it is missing, nothing is sent.
    pub async fn run(
        &self,
        action: Action,
        session_ids: &[String],
        justification: &Justification,
        sink: EventSink,
    ) -> Result<RunReport> {
        self.run_with(action, session_ids, justification, sink)
            .await
    }

    /// The reason and case as a run would take them (trimmed), or an `invalidInput` error naming
    /// the field to fix: what the confirm dialog asks before it closes.
    pub fn check_justification(&self, justification: &Justification) -> Result<Justification> {
        justification.checked(self.settings().required())
    }

    async fn run_with(
        &self,
        action: Action,
        session_ids: &[String],
        justification: &Justification,
        sink: EventSink,
    ) -> Result<RunReport> {
        self.policy().check_action(&action)?;
        let ids = run::parse_ids(session_ids)?;
        let justification = self.check_justification(justification)?;
        let connected = self.connection.require()?;
        let (client, _) = connected.site()?;
        self.apply_concurrency(client);
        let ticket = self.runs.begin()?;
        // Held until the run's last record is written, unless this program holds it anyway.
        let _trail = self.trail_for_now(None).await?;
        let log = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || log.check_writable())
            .await
            .map_err(|e| Error::AuditUnavailable(e.to_string()))??;
        self.save_settings(|s| {
            run::remember_recent(&mut s.recent_reasons, justification.reason());
            run::remember_recent(&mut s.recent_cases, justification.case_ref());
        });

        let request = RunRequest {
            run_id: ticket.run_id.clone(),
            action,
            ids,
            options: BulkOptions::default(),
            os_user: audit::os_user(),
            computer: audit::computer_name(),
            justification,
        };
        let report = run::execute(
            &connected,
            Arc::clone(&self.audit),
            Arc::clone(&self.cache),
            request,
            ticket.cancel.clone(),
            sink,
        )
        .await?;
        if report.not_audited > 0 {
            self.notices.push(format!(
                "{} of the last run's results could not be written to the audit trail at {}. The \
                 requests themselves are in the trail. Note these results elsewhere, and check \
                 that the disk is not full and that you can write to that folder.",
                report.not_audited,
                self.audit.path().display()
            ));
        }
        Ok(report)
    }

    /// Takes the audit trail for the life of this desk (the window): at once if it is free,
    /// otherwise on a thread that waits for the other program (rdesk) to finish its command;
    /// meanwhile this desk's runs are refused with `trailInUse`.
    pub fn hold_trail_for_life(self: &Arc<Self>) {
        match self.audit.try_hold() {
            Ok(Some(lock)) => self.keep_trail(lock),
            Ok(None) => {
                tracing::info!("the audit trail is held by another program; waiting for it");
                let desk = Arc::clone(self);
                let spawned = std::thread::Builder::new()
                    .name("audit-trail-lock".into())
                    .spawn(move || match desk.audit.hold() {
                        Ok(lock) => desk.keep_trail(lock),
                        Err(e) => tracing::warn!("audit trail not held: {e}"),
                    });
                if let Err(e) = spawned {
                    tracing::warn!("audit trail not held: {e}");
                }
            }
            Err(e) => tracing::warn!("audit trail not held: {e}"),
        }
    }

    /// Takes the audit trail for the rest of this desk's life (one command of the command-line
    /// tool); refused with `trailInUse`, or waited for when there is `waiting` to call, while
    /// another program holds it.
    pub async fn hold_trail(&self, waiting: Option<Box<dyn FnOnce() + Send>>) -> Result<()> {
        if let Some(lock) = self.trail_for_now(waiting).await? {
            self.keep_trail(lock);
        }
        Ok(())
    }

    fn keep_trail(&self, lock: TrailLock) {
        *self.trail.lock().unwrap_or_else(|p| p.into_inner()) = Some(lock);
    }

    /// The trail for one action that writes it: `None` when this desk holds it already.
    async fn trail_for_now(
        &self,
        waiting: Option<Box<dyn FnOnce() + Send>>,
    ) -> Result<Option<TrailLock>> {
        if self.audit.is_held() {
            return Ok(None);
        }
        self.take_trail(waiting).await.map(Some)
    }

    /// Takes the audit trail (see [`audit::TrailLock`]); refused, or waited for when there is
    /// `waiting` to call, while another program holds it.
    async fn take_trail(
        &self,
        waiting: Option<Box<dyn FnOnce() + Send>>,
    ) -> Result<audit::TrailLock> {
        let log = Arc::clone(&self.audit);
        let held = tokio::task::spawn_blocking(move || log.try_hold())
            .await
            .map_err(|e| Error::AuditUnavailable(e.to_string()))??;
        if let Some(lock) = held {
            return Ok(lock);
        }
        let waiting = waiting.ok_or(Error::TrailInUse)?;
        waiting();
        let log = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || log.hold())
            .await
            .map_err(|e| Error::AuditUnavailable(e.to_string()))?
    }

    /// Cancels the run, if any: sessions not yet asked are left as they are; requests already
    /// sent finish and are recorded.
    pub fn cancel_run(&self) {
        self.runs.cancel();
    }

    pub fn is_running(&self) -> bool {
        self.runs.is_busy()
    }

    /// "Check again": asks Citrix about a session whose outcome in run `run_id` was not known,
    /// and writes the answer to the audit trail.
    pub async fn check_again(&self, run_id: &str, session_id: &str) -> Result<CheckResult> {
        let connected = self.connection.require()?;
        let _trail = self.trail_for_now(None).await?;
        run::check_again(&connected, Arc::clone(&self.audit), run_id, session_id).await
    }

    /// Re-seals the audit trail after its end could not be verified, at the officer's explicit
    /// request (see [`AuditLog::reseal`]); returns the trail's state afterwards.
    pub async fn reseal_audit(&self) -> Result<AuditChain> {
        self.not_during_a_run()?;
        let _trail = self.trail_for_now(None).await?;
        let log = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || {
            let record = log.reseal(&audit::os_user(), &audit::computer_name())?;
            tracing::warn!(seq = record.seq, "audit trail re-sealed by the officer");
            Ok(log.scan()?.chain)
        })
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))?
    }

    /// The Audit screen's view: the latest `limit` records that match `filter` (all with `None`),
    /// so the window holds a page, not the whole trail, however long it grows.
    pub async fn audit_view(&self, filter: AuditFilter, limit: Option<usize>) -> Result<AuditView> {
        let log = Arc::clone(&self.audit);
        let scan = tokio::task::spawn_blocking(move || log.scan())
            .await
            .map_err(|e| Error::AuditUnavailable(e.to_string()))??;
        let mut records = filter.apply(&scan.records)?;
        let total = u32::try_from(records.len()).unwrap_or(u32::MAX);
        if let Some(limit) = limit {
            records.drain(..records.len().saturating_sub(limit.max(1)));
        }
        Ok(AuditView {
            records,
            total,
            unknown_outcomes: audit::unknown_outcomes(
                &scan.records,
                self.runs.active_run_id().as_deref(),
            ),
            chain: scan.chain,
            path: self.audit.path().display().to_string(),
            witnesses: self.audit.witness_status(),
        })
    }

    /// Writes the records that match `filter` as CSV to `path`; returns how many.
    pub async fn export_audit_csv(&self, filter: AuditFilter, path: &str) -> Result<usize> {
        let path = chosen_path(path, "csv")?;
        let log = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || {
            let scan = log.scan()?;
            audit::write_csv(&filter.apply(&scan.records)?, &path)
        })
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))?
    }

    /// Writes the investigation report (PDF) of the records that match `filter` to `path`.
    pub async fn export_audit_report(
        &self,
        filter: AuditFilter,
        path: &str,
    ) -> Result<audit::ReportSaved> {
        let path = chosen_path(path, "pdf")?;
        let log = Arc::clone(&self.audit);
        tokio::task::spawn_blocking(move || {
            // The file is read before it is verified: every record it holds is in the scan too
            // (the trail only grows), so each exported record's own line is among these bytes.
            let trail = match std::fs::read(log.path()) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(Error::AuditUnavailable(e.to_string())),
            };
            let scan = log.scan()?;
            let records = filter.apply(&scan.records)?;
            let request = audit::ReportRequest {
                filter: serde_json::to_value(&filter).unwrap_or_default(),
                records: &records,
                trail: &trail,
                chain: &scan.chain,
                made_by: audit::os_user(),
                computer: audit::computer_name(),
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
                made_at: audit::now_rfc3339(),
            };
            let report = audit::write_report(&request, &path)?;
            Ok(audit::ReportSaved {
                records: report.records,
                pages: report.pages,
                sha256: report.sha256,
                path: path.display().to_string(),
            })
        })
        .await
        .map_err(|e| Error::AuditUnavailable(e.to_string()))?
    }

    /// The settings in effect: the officer's, with the organisation's on top.
    pub fn settings(&self) -> Settings {
        self.policy().apply(Settings::from(&self.settings.get()))
    }

    /// Saves the officer's changes. A change to a setting the organisation set is refused, and
    /// then nothing is saved; the organisation's values are never written into the officer's
    /// own settings, so they come back as they were if the organisation lifts its setting.
    pub fn update_settings(&self, settings: &Settings) -> Result<Settings> {
        use crate::policy::SettingName as S;
        let policy = self.policy();
        let now = policy.apply(Settings::from(&self.settings.get()));
        policy.refuse_locked_changes(&now, settings)?;
        settings::validate(settings)?;
        let locked = policy.locked();
        let free = |name: S| !locked.contains(&name);
        // The recent reasons and cases are kept by the runs, not edited here.
        let saved = self.settings.update(|s| {
            if free(S::Concurrency) {
                s.concurrency = settings.concurrency;
            }
            if free(S::NotifyUserDefault) {
                s.notify_user_default = settings.notify_user_default;
            }
            if free(S::RequireReason) {
                s.require_reason = settings.require_reason;
            }
            if free(S::RequireCase) {
                s.require_case = settings.require_case;
            }
            if free(S::CheckForUpdates) {
                s.check_for_updates = settings.check_for_updates;
            }
        })?;
        Ok(policy.apply(Settings::from(&saved)))
    }

    /// Remembers when the update feed was last asked (see [`crate::updates::due_at_startup`]); a
    /// failure is only logged: the worst case is one more look at the next start.
    pub fn remember_update_check(&self, at: time::OffsetDateTime) {
        if let Err(e) = self.settings.update(|s| s.last_update_check = Some(at)) {
            tracing::warn!("the time of the update check was not saved: {e}");
        }
    }

    /// Everything in the settings file, for the front end's own use (the window's size).
    pub fn stored_settings(&self) -> StoredSettings {
        self.settings.get()
    }

    /// Remembers the window's size and place; a failure is only logged.
    pub fn remember_window(&self, f: impl FnOnce(&mut WindowPrefs)) {
        if let Err(e) = self.settings.update(|s| f(&mut s.window)) {
            tracing::warn!("window size not saved: {e}");
        }
    }

    /// Saves a settings change that follows a successful action. A failure to save is reported
    /// as a notice rather than failing the action the officer asked for.
    pub(crate) fn save_settings(&self, f: impl FnOnce(&mut StoredSettings)) {
        if let Err(e) = self.settings.update(f) {
            tracing::warn!("settings not saved: {e}");
            self.notices
                .push(format!("Your settings could not be saved: {}", e.message()));
        }
    }

    /// Changing the connection, the site or the saved account mid-run would leave the run panel
    /// describing one account while the trail and Citrix see another: refused until the run ends.
    fn not_during_a_run(&self) -> Result<()> {
        if self.runs.is_busy() {
            return Err(Error::Busy);
        }
        Ok(())
    }
}

fn parse_id(raw: &str) -> Result<SessionId> {
    SessionId::parse(raw).map_err(|e| Error::invalid(e.to_string()))
}

/// Checks a path from the save dialog. The webview could send any path, so only absolute paths
/// with the expected extension are written (the extension is added when missing, as some
/// platforms' dialogs do not add it).
fn chosen_path(path: &str, extension: &str) -> Result<PathBuf> {
    let mut path = PathBuf::from(path.trim());
    if !path.is_absolute() || path.file_name().is_none() {
        return Err(Error::invalid(
            "Choose where to save the file with the Save dialog.",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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
            ErrorKind::InvalidInput
        );
        assert!(chosen_path("", "json").is_err());
    }
}
