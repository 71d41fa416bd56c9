//! The smallest Tauri 2 app: one window, one line of HTML. `desk-bench app` launches it next to
//! Recording Desk to tell what the app costs on top of Tauri and WebKit themselves.
//!
//! With `--software-rendering` it draws its page the way the app does on Linux (WebKitGTK's
//! hardware acceleration policy set to "never", see the app's `startup::software_rendering`), so
//! the app can be compared with a bare window that renders the same way as well as with one left
//! at Tauri's defaults.

// As in the app: no console window next to it on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let software = std::env::args().any(|a| a == "--software-rendering");
    tauri::Builder::default()
        .setup(move |app| {
            if software {
                software_rendering(app);
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}

#[cfg(target_os = "linux")]
fn software_rendering(app: &tauri::App) {
    use tauri::Manager;
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.with_webview(|webview| {
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn software_rendering(_app: &tauri::App) {}
