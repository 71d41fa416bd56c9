//! New versions: the window's side of [`desk_core::updates`], on Tauri's updater plugin. The
//! feed's addresses and the public key come from `plugins.updater` in `tauri.conf.json`, which the
//! release workflow fills in when it signs the release; a build without them says that it cannot
//! look for new versions. The plugin checks each download's signature against that key before it
//! installs anything, and a version whose download failed that check is never offered again.
//!
//! Every change of state goes to the window as the `update-status` event, so the About box and
//! the notice follow a look or an install that the window did not start (the one at start-up).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_core::policy::Policy;
use desk_core::updates::{CheckProblem, Feed, InstallProblem, UpdateState, UpdateStatus};
use desk_core::{Desk, Error, Result};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_updater::{Update, UpdaterExt};

/// The event that carries each new [`UpdateStatus`] to the window.
pub const STATUS_EVENT: &str = "update-status";

/// For the end-to-end tests: the feed's address and the public key instead of the built-in ones.
/// Debug builds only; a release build ignores them, so nobody can point an installed app at
/// another feed and key.
#[cfg(debug_assertions)]
const FEED_ENV: &str = "RECORDING_DESK_UPDATER_FEED";
#[cfg(debug_assertions)]
const PUBKEY_ENV: &str = "RECORDING_DESK_UPDATER_PUBKEY";

/// How long one request to the feed or one download may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The managed state: what is known, and the update found by the last look.
pub struct Updates {
    built: Option<Feed>,
    version: String,
    state: Mutex<UpdateState>,
    found: Mutex<Option<Update>>,
    /// Versions whose download failed the signature check: never offered again in this run.
    refused: Mutex<Vec<String>>,
}

impl Updates {
    pub fn new<R: Runtime>(app: &AppHandle<R>) -> Updates {
        Updates {
            built: built_feed(app),
            version: app.package_info().version.to_string(),
            state: Mutex::new(UpdateState::NotChecked),
            found: Mutex::new(None),
            refused: Mutex::new(Vec::new()),
        }
    }

    fn feed(&self, policy: &Policy) -> Option<Feed> {
        Feed::resolve(self.built.clone(), policy)
    }

    /// What the About box shows now: the organisation's and the build's reasons first.
    pub fn status(&self, desk: &Desk) -> UpdateStatus {
        self.status_under(desk, &desk.policy())
    }

    /// [`Self::status`] under a policy already read.
    fn status_under(&self, desk: &Desk, policy: &Policy) -> UpdateStatus {
        let state = match UpdateState::at_rest(self.feed(policy).is_some(), policy) {
            UpdateState::NotChecked => lock(&self.state).clone(),
            other => other,
        };
        self.status_of(desk, state)
    }

    fn status_of(&self, desk: &Desk, state: UpdateState) -> UpdateStatus {
        UpdateStatus::new(
            &self.version,
            state,
            desk.stored_settings().last_update_check,
        )
    }

    /// Records a step of a look or an install that the organisation's settings and the build
    /// allowed when it began, and says so to the window. The policy is not read again: a
    /// download's progress calls this up to a hundred times.
    fn set<R: Runtime>(&self, app: &AppHandle<R>, desk: &Desk, state: UpdateState) -> UpdateStatus {
        *lock(&self.state) = state.clone();
        let status = self.status_of(desk, state);
        if let Err(e) = app.emit(STATUS_EVENT, &status) {
            tracing::debug!("update status not sent to the window: {e}");
        }
        status
    }

    /// Takes the next step (`to`) and says so to the window; false, and nothing changes, while a
    /// look or an install is already under way.
    fn begin<R: Runtime>(&self, app: &AppHandle<R>, desk: &Desk, to: UpdateState) -> bool {
        {
            let mut state = lock(&self.state);
            if matches!(
                *state,
                UpdateState::Checking
                    | UpdateState::Downloading { .. }
                    | UpdateState::ReadyToRestart { .. }
            ) {
                return false;
            }
            *state = to.clone();
        }
        self.set(app, desk, to);
        true
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain values: a panic elsewhere leaves nothing half-written.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The feed set when the app was built (`plugins.updater` in `tauri.conf.json`), or in a debug
/// build the one the tests name.
fn built_feed<R: Runtime>(app: &AppHandle<R>) -> Option<Feed> {
    #[cfg(debug_assertions)]
    if let (Ok(feed), Ok(pubkey)) = (std::env::var(FEED_ENV), std::env::var(PUBKEY_ENV)) {
        return Some(Feed {
            endpoints: vec![feed],
            pubkey,
        });
    }
    let config = app.config().plugins.0.get("updater")?;
    let pubkey = config.get("pubkey")?.as_str()?.to_owned();
    let endpoints = config
        .get("endpoints")?
        .as_array()?
        .iter()
        .filter_map(|e| e.as_str().map(str::to_owned))
        .collect();
    Some(Feed { endpoints, pubkey })
}

/// Looks for a new version, unless the organisation turned that off or the build has no feed:
/// then no request is made at all.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> UpdateStatus {
    let policy = app.state::<Arc<Desk>>().policy();
    check_under(app, policy).await
}

/// [`check`] under the organisation's settings already read.
async fn check_under<R: Runtime>(app: &AppHandle<R>, policy: Policy) -> UpdateStatus {
    let updates = app.state::<Updates>();
    let desk = app.state::<Arc<Desk>>();
    let allowed = policy.check_for_updates != Some(false);
    let Some(feed) = updates.feed(&policy).filter(|_| allowed) else {
        return updates.status_under(&desk, &policy);
    };
    if !updates.begin(app, &desk, UpdateState::Checking) {
        return updates.status_under(&desk, &policy);
    }
    let found = ask(app, feed).await;
    desk.remember_update_check(time::OffsetDateTime::now_utc());
    let state = match found {
        Ok(None) => {
            *lock(&updates.found) = None;
            UpdateState::Current
        }
        Ok(Some(update)) => {
            let version = update.version.clone();
            let refused = lock(&updates.refused).contains(&version);
            let notes = update.body.clone().filter(|b| !b.trim().is_empty());
            *lock(&updates.found) = (!refused).then_some(update);
            if refused {
                UpdateState::Refused { version }
            } else {
                UpdateState::Available { version, notes }
            }
        }
        Err(e) => {
            tracing::warn!("could not look for a new version: {e}");
            UpdateState::CouldNotCheck {
                reason: check_problem(&e),
            }
        }
    };
    tracing::info!(?state, "looked for a new version");
    updates.set(app, &desk, state)
}

async fn ask<R: Runtime>(
    app: &AppHandle<R>,
    feed: Feed,
) -> std::result::Result<Option<Update>, tauri_plugin_updater::Error> {
    let endpoints = feed
        .endpoints
        .iter()
        .map(|e| e.parse::<tauri::Url>())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    app.updater_builder()
        .pubkey(feed.pubkey)
        .endpoints(endpoints)?
        .timeout(TIMEOUT)
        .build()?
        .check()
        .await
}

fn check_problem(e: &tauri_plugin_updater::Error) -> CheckProblem {
    use tauri_plugin_updater::Error as E;
    match e {
        E::Reqwest(r) if r.is_decode() => CheckProblem::NotUnderstood,
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound | E::Io(_) => CheckProblem::Unreachable,
        E::InsecureTransportProtocol | E::UrlParse(_) | E::EmptyEndpoints => {
            CheckProblem::BadAddress
        }
        _ => CheckProblem::NotUnderstood,
    }
}

/// The plugin's refusal of a download whose signature does not match the built-in key.
fn signature_refused(e: &tauri_plugin_updater::Error) -> bool {
    use tauri_plugin_updater::Error as E;
    matches!(
        e,
        E::Minisign(_)
            | E::Base64(_)
            | E::SignatureUtf8(_)
            | E::SignedVersionMismatch { .. }
            | E::MissingSignedVersion
    )
}

/// Downloads the version the last look found, has its signature checked, and installs it. On
/// Windows the installer then takes over and restarts the app; elsewhere the new version runs
/// from the next start ([`restart`]).
pub async fn install<R: Runtime>(app: &AppHandle<R>) -> UpdateStatus {
    let updates = app.state::<Updates>();
    let desk = app.state::<Arc<Desk>>();
    let found = lock(&updates.found).clone();
    let Some(update) = found else {
        return updates.status(&desk);
    };
    let version = update.version.clone();
    let downloading = |percent| UpdateState::Downloading {
        version: version.clone(),
        percent,
    };
    if !updates.begin(app, &desk, downloading(None)) {
        return updates.status(&desk);
    }
    let mut received = 0u64;
    let mut shown = None;
    let downloaded = update
        .download(
            |chunk, total| {
                received += chunk as u64;
                let percent = total
                    .filter(|t| *t > 0)
                    .map(|t| u8::try_from((received * 100 / t).min(100)).unwrap_or(100));
                if percent != shown {
                    shown = percent;
                    updates.set(app, &desk, downloading(percent));
                }
            },
            || {},
        )
        .await;
    let installed = match downloaded {
        Ok(bytes) => {
            // A run started while the download went on finishes first: on Windows the installer
            // closes the app as soon as it starts.
            while desk.is_running() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let update = update.clone();
            tauri::async_runtime::spawn_blocking(move || update.install(bytes))
                .await
                .unwrap_or_else(|e| Err(tauri_plugin_updater::Error::Io(std::io::Error::other(e))))
                .map_err(|e| (e, InstallProblem::Install))
        }
        Err(e) => Err((e, InstallProblem::Download)),
    };
    let state = match installed {
        Ok(()) => UpdateState::ReadyToRestart {
            version: version.clone(),
        },
        Err((e, _)) if signature_refused(&e) => {
            tracing::warn!(%version, "the new version's signature did not match; not installed: {e}");
            lock(&updates.refused).push(version.clone());
            *lock(&updates.found) = None;
            UpdateState::Refused {
                version: version.clone(),
            }
        }
        Err((e, reason)) => {
            tracing::warn!(%version, "the new version was not installed: {e}");
            UpdateState::InstallFailed {
                version: version.clone(),
                reason,
            }
        }
    };
    tracing::info!(?state, "install of a new version");
    updates.set(app, &desk, state)
}

/// Restarts into the installed new version; refused while a recording request runs, so it is
/// never cut off half-way.
pub fn restart<R: Runtime>(app: &AppHandle<R>) -> Result<()> {
    let updates = app.state::<Updates>();
    let desk = app.state::<Arc<Desk>>();
    if !matches!(
        updates.status(&desk).state,
        UpdateState::ReadyToRestart { .. }
    ) {
        return Ok(());
    }
    if desk.is_running() {
        return Err(Error::Busy);
    }
    app.restart()
}

/// At start-up: looks once a day unless turned off (see [`desk_core::updates::due_at_startup`]),
/// in a task of its own so the window does not wait; the organisation's settings are read once
/// there, for the decision and the look.
pub fn check_at_startup<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let desk = app.state::<Arc<Desk>>();
        let stored = desk.stored_settings();
        let policy = desk.policy();
        let due = desk_core::updates::due_at_startup(
            app.state::<Updates>().feed(&policy).is_some(),
            &policy,
            stored.check_for_updates,
            stored.last_update_check,
            time::OffsetDateTime::now_utc(),
        );
        if due {
            check_under(&app, policy).await;
        }
    });
}

#[tauri::command]
pub async fn update_status(
    updates: State<'_, Updates>,
    desk: State<'_, Arc<Desk>>,
) -> Result<UpdateStatus> {
    Ok(updates.status(&desk))
}

#[tauri::command]
pub async fn update_check<R: Runtime>(app: AppHandle<R>) -> Result<UpdateStatus> {
    Ok(check(&app).await)
}

/// Refused while a recording request runs: on Windows the installer closes the app at once, which
/// would cut the run off half-way.
#[tauri::command]
pub async fn update_install<R: Runtime>(app: AppHandle<R>) -> Result<UpdateStatus> {
    if app.state::<Arc<Desk>>().is_running() {
        return Err(Error::Busy);
    }
    Ok(install(&app).await)
}

#[tauri::command]
pub async fn update_restart<R: Runtime>(app: AppHandle<R>) -> Result<()> {
    restart(&app)
}
