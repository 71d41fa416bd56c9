//! Start-up: logging, settings (with repair), the audit file's place, the cloud URL override, the
//! window's remembered size, and the optional demo connection for a first run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tauri::{Manager, Runtime, WebviewWindow, Window};
use url::Url;

use crate::audit::{self, AuditLog};
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::ipc::Mode;
use crate::settings::AppSettings;
use crate::state::{self, ConnectRequest, ConnectionInfo, ConnectionState};

/// Opens the app on the demo site when no Citrix Cloud account has been saved yet
/// (`scripts/start.sh` passes it, so a first look needs no account).
pub const DEMO_IF_NEW_FLAG: &str = "--demo-if-new";

const LOG_FILE: &str = "recording-desk.log";
/// The log is moved aside at start-up once it is this big, keeping one previous file.
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// Managed state for app-wide facts that are not settings.
pub struct AppContext {
    pub cloud_url: Option<Url>,
    notices: Mutex<Vec<String>>,
    /// The first-run demo connection, which `app_status` waits for so the UI's first view is
    /// already connected.
    startup: Mutex<Option<Shared<BoxFuture<'static, ()>>>>,
}

impl AppContext {
    pub fn new(cloud_url: Option<Url>, notices: Vec<String>) -> Self {
        Self {
            cloud_url,
            notices: Mutex::new(notices),
            startup: Mutex::new(None),
        }
    }

    /// Something the officer should read once; shown by the UI from `app_status`.
    pub fn notice(&self, text: String) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(text);
    }

    /// Saves a settings change that follows a successful action. A failure to save is reported
    /// as a notice rather than failing the action the officer asked for.
    pub fn save_settings(
        &self,
        settings: &AppSettings,
        f: impl FnOnce(&mut crate::settings::StoredSettings),
    ) {
        if let Err(e) = settings.update(f) {
            tracing::warn!("settings not saved: {e}");
            self.notice(format!("Your settings could not be saved: {}", e.message()));
        }
    }

    pub fn notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub async fn startup_finished(&self) {
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
}

/// Starts (once) and connects to the in-app demo site. Its credentials are not stored anywhere.
/// Like a sign-in, it only replaces the connection if nothing newer started meanwhile.
pub async fn connect_demo(demo: &Demo, connection: &ConnectionState) -> Result<ConnectionInfo> {
    let epoch = connection.begin_connect();
    let (endpoints, credentials) = demo.endpoints_and_credentials().await.map_err(|e| {
        Error::DemoUnavailable(format!(
            "The demo site could not be started on this computer ({e})."
        ))
    })?;
    let connected = state::connect(ConnectRequest {
        mode: Mode::Demo,
        region: None,
        endpoints,
        credentials,
        preferred_site: None,
    })
    .await?;
    let info = connected.info.clone();
    connection.install(epoch, connected)?;
    Ok(info)
}

/// The `setup` hook: everything that needs the app's folders.
pub fn setup(app: &mut tauri::App) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let handle = app.handle().clone();
    let log_dir = handle.path().app_log_dir().ok();
    init_logging(log_dir.clone());
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        keychain_service = crate::vault::SERVICE,
        "Recording Desk starting"
    );

    let (settings, settings_notice) = AppSettings::open(&handle)?;
    let data_dir = handle.path().app_data_dir()?;
    let audit_path = data_dir.join(audit::FILE_NAME);
    // The trail's head is noted outside the trail (see `audit`): in its own small file in the
    // config folder rather than in settings.json, because a corrupt settings file is moved aside
    // (which would lose the anchor), and rewriting all settings twice per session of a run would
    // be slow and contend with the officer's own settings changes. On Linux the config folder is
    // not the data folder, so removing one leaves the other.
    let anchor_path = handle
        .path()
        .app_config_dir()?
        .join(audit::ANCHOR_FILE_NAME);
    tracing::info!(audit = %audit_path.display(), anchor = %anchor_path.display(), logs = ?log_dir, "data locations");

    let (cloud_url, url_notice) = state::cloud_url_from_env();
    if let Some(url) = &cloud_url {
        tracing::warn!(%url, "Citrix Cloud URL overridden by {}", state::CLOUD_URL_ENV);
    }
    let context = AppContext::new(
        cloud_url,
        settings_notice.into_iter().chain(url_notice).collect(),
    );

    let stored = settings.get();
    if let Some(window) = handle.get_webview_window("main") {
        restore_window(&window, &stored.window);
        software_rendering(&window);
    }
    if std::env::args().any(|a| a == DEMO_IF_NEW_FLAG) && stored.account.is_none() {
        let task = handle.clone();
        let pending = tauri::async_runtime::spawn(async move {
            let demo = task.state::<Demo>();
            let connection = task.state::<ConnectionState>();
            if let Err(e) = connect_demo(&demo, &connection).await {
                tracing::warn!("demo site not connected at start-up: {e}");
            }
        })
        .map(|_| ())
        .boxed()
        .shared();
        *context.startup.lock().unwrap_or_else(|p| p.into_inner()) = Some(pending);
    }

    app.manage(settings);
    app.manage(Arc::new(AuditLog::with_anchor(audit_path, anchor_path)));
    app.manage(context);
    Ok(())
}

fn init_logging(dir: Option<PathBuf>) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    // The app and the Citrix client in detail for debug builds; the HTTP stack only when it
    // warns, since it logs every pooled connection.
    let ours = if cfg!(debug_assertions) {
        LevelFilter::DEBUG
    } else {
        LevelFilter::INFO
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("recording_desk_lib", ours)
        .with_target("citrix_cloud", ours)
        .with_target("citrix_sim", LevelFilter::INFO);

    let file = dir.and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(LOG_FILE);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
            let _ = std::fs::rename(&path, dir.join(format!("{LOG_FILE}.1")));
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    let layer = tracing_subscriber::fmt::layer().with_ansi(false);
    let registry = tracing_subscriber::registry().with(filter);
    // A subscriber already set (tests) is not worth failing start-up over.
    let _ = match file {
        Some(file) => registry
            .with(layer.with_writer(Mutex::new(file)))
            .try_init(),
        None => registry.with(layer.with_writer(std::io::stderr)).try_init(),
    };
}

/// On Linux, has WebKitGTK draw the page with the CPU instead of OpenGL. Without a GPU (virtual
/// machines, remote desktops) OpenGL is Mesa's software renderer, whose buffers made up most of
/// the page's memory (about 100 MiB of the web process for the first screen) and whose shaders
/// slowed its first paint; a window of forms and tables gains nothing from a GPU. Figures in
/// docs/performance.md. Windows and macOS draw as their webviews do by default.
#[cfg(target_os = "linux")]
fn software_rendering<R: Runtime>(window: &WebviewWindow<R>) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    let applied = window.with_webview(|webview| {
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(e) = applied {
        tracing::debug!("rendering policy not set: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn software_rendering<R: Runtime>(_window: &WebviewWindow<R>) {}

fn restore_window<R: Runtime>(window: &WebviewWindow<R>, prefs: &crate::settings::WindowPrefs) {
    if let (Some(width), Some(height)) = (prefs.width, prefs.height) {
        let size = tauri::LogicalSize::new(f64::from(width), f64::from(height));
        if let Err(e) = window.set_size(size) {
            tracing::debug!("window size not restored: {e}");
        }
    }
    if let (Some(x), Some(y)) = (prefs.x, prefs.y) {
        // A monitor unplugged since last time would leave the window off screen: only restore a
        // position whose title bar lands on a monitor that is there now.
        let on_screen = window.available_monitors().is_ok_and(|monitors| {
            monitors.iter().any(|m| {
                let scale = m.scale_factor();
                let pos = m.position().to_logical::<f64>(scale);
                let size = m.size().to_logical::<f64>(scale);
                let (x, y) = (f64::from(x) + 40.0, f64::from(y) + 10.0);
                x >= pos.x && y >= pos.y && x < pos.x + size.width && y < pos.y + size.height
            })
        });
        if on_screen {
            if let Err(e) = window.set_position(tauri::LogicalPosition::new(x, y)) {
                tracing::debug!("window position not restored: {e}");
            }
        }
    }
    if prefs.maximized {
        let _ = window.maximize();
    }
}

/// While a run is going, closing or quitting would cut it off mid-way and leave requests with no
/// outcome in the trail. Returns true if the close must be refused for now; the officer is then
/// asked, in a native message box, whether to stop the run and quit (the run is cancelled: the
/// requests already sent finish and are recorded, then the app quits) or keep working.
pub fn refuse_while_running<R: Runtime>(app: &tauri::AppHandle<R>) -> bool {
    let busy = app
        .try_state::<crate::run::RunSlot>()
        .is_some_and(|runs| runs.is_busy());
    if !busy {
        return false;
    }
    tracing::info!("close refused: a run is in progress");
    // One question at a time: more clicks on the close button while it shows add nothing.
    if CLOSE_QUESTION_OPEN.swap(true, Ordering::SeqCst) {
        return true;
    }
    use tauri_plugin_dialog::{
        DialogExt, MessageDialogButtons, MessageDialogKind, MessageDialogResult,
    };
    let handle = app.clone();
    // "Keep working" is the first button, the one Enter presses, so a habitual Enter stops
    // nothing; closing the question keeps working too. Only the officer's click on "Stop the
    // run and quit" quits.
    app.dialog()
        .message(CLOSE_DURING_RUN)
        .title("Recording Desk")
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            KEEP_WORKING.into(),
            STOP_AND_QUIT.into(),
        ))
        .show_with_result(move |answer| {
            CLOSE_QUESTION_OPEN.store(false, Ordering::SeqCst);
            let quit =
                matches!(&answer, MessageDialogResult::Custom(label) if label == STOP_AND_QUIT);
            tracing::info!(?answer, quit, "asked whether to stop the run and quit");
            if quit {
                stop_run_and_quit(handle);
            }
        });
    true
}

static CLOSE_QUESTION_OPEN: AtomicBool = AtomicBool::new(false);

pub const CLOSE_DURING_RUN: &str = "A recording run is still in progress.\n\n\
    To quit now, Recording Desk stops the run: requests already sent to Citrix finish and are \
    written to the audit trail, and the sessions not yet asked are left as they are. \
    Or keep working, and quit when the run has finished.";
const STOP_AND_QUIT: &str = "Stop the run and quit";
const KEEP_WORKING: &str = "Keep working";

/// Cancels the run, waits for the requests already sent to finish and be recorded, then quits.
fn stop_run_and_quit<R: Runtime>(app: tauri::AppHandle<R>) {
    tracing::info!("stopping the run to quit");
    tauri::async_runtime::spawn(async move {
        if let Some(runs) = app.try_state::<crate::run::RunSlot>() {
            runs.cancel();
            while runs.is_busy() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tracing::info!("run stopped; quitting");
        // An exit the app asks for itself is not refused (see `run`); the window is remembered
        // there too.
        app.exit(0);
    });
}

/// Remembers the main window's size and position when it closes.
pub fn remember_window<R: Runtime>(window: &Window<R>) {
    if window.label() != "main" {
        return;
    }
    let Some(settings) = window.try_state::<AppSettings>() else {
        return;
    };
    // Both the close and the app's exit call this; by the exit the window may already be gone,
    // and its (then unreadable) state must not overwrite what the close saved.
    let Ok(maximized) = window.is_maximized() else {
        return;
    };
    let size = window
        .inner_size()
        .ok()
        .zip(window.scale_factor().ok())
        .map(|(size, scale)| size.to_logical::<f64>(scale));
    let position = window
        .outer_position()
        .ok()
        .zip(window.scale_factor().ok())
        .map(|(pos, scale)| pos.to_logical::<f64>(scale));
    let result = settings.update(|s| {
        s.window.maximized = maximized;
        // A maximized window's size is the screen's; keep the last normal size instead.
        if let (false, Some(size)) = (maximized, size) {
            s.window.width = Some(size.width.round() as u32);
            s.window.height = Some(size.height.round() as u32);
        }
        if let (false, Some(pos)) = (maximized, position) {
            s.window.x = Some(pos.x.round() as i32);
            s.window.y = Some(pos.y.round() as i32);
        }
    });
    if let Err(e) = result {
        tracing::warn!("window size not saved: {e}");
    }
}
