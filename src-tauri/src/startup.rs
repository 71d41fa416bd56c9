//! Start-up: logging, the one [`Desk`] (settings with repair, the audit trail, the cloud URL
//! override), the window's remembered size, and the optional demo connection for a first run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_core::paths::AppPaths;
use desk_core::settings::WindowPrefs;
use desk_core::window::Screen;
use desk_core::{Desk, DeskOptions};
use futures::FutureExt;
use tauri::{Manager, Runtime, WebviewWindow, Window};

/// Opens the app on the demo site when no Citrix Cloud account has been saved yet
/// (`scripts/start.sh` passes it, so a first look needs no account).
pub const DEMO_IF_NEW_FLAG: &str = "--demo-if-new";

const LOG_FILE: &str = "recording-desk.log";
/// The log is moved aside at start-up once it is this big, keeping one previous file.
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// The `setup` hook: builds the desk on the app's folders and manages it.
pub fn setup(app: &mut tauri::App) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let paths = AppPaths::for_this_computer()
        .ok_or("this computer has no home folder for Recording Desk's settings and audit trail")?;
    init_logging(Some(paths.log.clone()));
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        keychain_service = desk_core::vault::SERVICE,
        logs = %paths.log.display(),
        "Recording Desk starting"
    );
    // After the log is open, so the move from the earlier identifier is written to it.
    let options = DeskOptions::for_this_computer()
        .ok_or("this computer has no home folder for Recording Desk's settings and audit trail")?;
    let desk = Arc::new(Desk::open(options));
    // The window is the trail's one writer for as long as it is open (see desk_core::audit).
    desk.hold_trail_for_life();

    let stored = desk.stored_settings();
    if let Some(window) = app.get_webview_window("main") {
        restore_window(&window, &stored.window);
        software_rendering(&window);
    }
    if std::env::args().any(|a| a == DEMO_IF_NEW_FLAG) {
        desk.connect_demo_if_new(|task| tauri::async_runtime::spawn(task).map(|_| ()).boxed());
    }
    app.manage(desk);
    app.manage(crate::updates::Updates::new(app.handle()));
    crate::updates::check_at_startup(app.handle());
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
        .with_target("desk_core", ours)
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

fn restore_window<R: Runtime>(window: &WebviewWindow<R>, prefs: &WindowPrefs) {
    // The monitors there are now, each as the part of it windows may use: a monitor unplugged
    // since last time must not leave the window off screen (see desk_core::window).
    let screen = |m: &tauri::Monitor| {
        let scale = m.scale_factor();
        let area = m.work_area();
        // An OS that reports no work area: the whole monitor.
        let (pos, size) = if area.size.width > 0 && area.size.height > 0 {
            (area.position, area.size)
        } else {
            (*m.position(), *m.size())
        };
        let pos = pos.to_logical::<f64>(scale);
        let size = size.to_logical::<f64>(scale);
        Screen {
            x: pos.x,
            y: pos.y,
            width: size.width,
            height: size.height,
        }
    };
    let screens: Vec<Screen> = window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(screen)
        .collect();
    let primary = window.primary_monitor().ok().flatten().map(|m| screen(&m));
    let default_size = window
        .inner_size()
        .ok()
        .zip(window.scale_factor().ok())
        .map(|(size, scale)| size.to_logical::<f64>(scale))
        .map_or((1200, 800), |s| {
            (s.width.round() as u32, s.height.round() as u32)
        });
    let placement = prefs.placement(default_size, &screens, primary);
    tracing::debug!(?placement, monitors = screens.len(), "window placed");
    if placement.position.is_none() && prefs.x.is_some() {
        tracing::info!("no monitor reported; the window opens where the system puts it");
    }

    let size = tauri::LogicalSize::new(f64::from(placement.width), f64::from(placement.height));
    if let Err(e) = window.set_size(size) {
        tracing::debug!("window size not restored: {e}");
    }
    if let Some((x, y)) = placement.position {
        if let Err(e) = window.set_position(tauri::LogicalPosition::new(x, y)) {
            tracing::debug!("window position not restored: {e}");
        }
    }
    if placement.maximized {
        let _ = window.maximize();
    }
}

/// While a run is going, closing or quitting would cut it off mid-way and leave requests with no
/// outcome in the trail. Returns true if the close must be refused for now; the officer is then
/// asked, in a native message box, whether to stop the run and quit (the run is cancelled: the
/// requests already sent finish and are recorded, then the app quits) or keep working.
pub fn refuse_while_running<R: Runtime>(app: &tauri::AppHandle<R>) -> bool {
    let busy = app
        .try_state::<Arc<Desk>>()
        .is_some_and(|desk| desk.is_running());
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
        if let Some(desk) = app.try_state::<Arc<Desk>>() {
            desk.cancel_run();
            while desk.is_running() {
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
    let Some(desk) = window.try_state::<Arc<Desk>>() else {
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
    desk.remember_window(|w| {
        w.maximized = maximized;
        // A maximized window's size is the screen's; keep the last normal size instead.
        if let (false, Some(size)) = (maximized, size) {
            w.width = Some(size.width.round() as u32);
            w.height = Some(size.height.round() as u32);
        }
        if let (false, Some(pos)) = (maximized, position) {
            w.x = Some(pos.x.round() as i32);
            w.y = Some(pos.y.round() as i32);
        }
    });
}
