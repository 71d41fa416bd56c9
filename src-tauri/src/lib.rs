//! Recording Desk: the Tauri shell around the `citrix-cloud` client. It adds the IPC commands,
//! the keychain, settings, the audit trail and the demo site; everything that talks to Citrix is
//! in the client crate.

mod account;
mod audit;
#[cfg(test)]
mod bindings;
mod commands;
mod demo;
mod error;
mod ipc;
mod menu;
mod run;
mod sessions;
mod settings;
#[cfg(test)]
mod sim_tests;
mod startup;
mod state;
mod vault;

use std::sync::Arc;

use tauri::Manager;

/// For the engine benchmark (`desk-bench`) only: a run's observer and audit trail without the
/// window, so the benchmark measures the bulk engine with the audit trail the app always writes.
/// Everything else in this crate stays private.
pub use run::{HeadlessRun, TrailCheck};

/// Starts the app. The command list must match `COMMANDS` in `build.rs`, which generates the
/// permission each command needs (a test checks both against the capability file).
pub fn run() {
    tauri::Builder::default()
        // First, so a second launch hands over before anything else starts: it brings the
        // running window to the front instead of opening a second copy on the same audit trail.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_store::Builder::new().build())
        .menu(menu::build)
        .plugin(tauri_plugin_dialog::init())
        .manage(state::ConnectionState::default())
        .manage(run::RunSlot::default())
        .manage(Arc::new(sessions::RowCache::default()))
        .manage(demo::Demo::default())
        .manage(vault::Vault::keyring())
        .setup(startup::setup)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if startup::refuse_while_running(window.app_handle()) {
                    api.prevent_close();
                    return;
                }
                startup::remember_window(window);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::connect_cloud,
            commands::connect_demo,
            commands::disconnect,
            commands::forget_credentials,
            commands::select_site,
            commands::search_sessions,
            commands::lookup_sessions,
            commands::get_session,
            commands::run_recording,
            commands::cancel_run,
            commands::audit_view,
            commands::export_audit_csv,
            commands::save_session_json,
            commands::get_settings,
            commands::update_settings,
        ])
        .build(tauri::generate_context!())
        .expect("Recording Desk could not start its window")
        .run(|app, event| {
            // Quit from the menu (or Cmd+Q) never sends CloseRequested, so the window is
            // remembered, and a run protected, here too.
            if let tauri::RunEvent::ExitRequested { api, code, .. } = event {
                // `code` is set when the app itself asked to exit; only the officer's quit is
                // refused.
                if code.is_none() && startup::refuse_while_running(app) {
                    api.prevent_exit();
                    return;
                }
                if let Some(window) = app.get_webview_window("main") {
                    startup::remember_window(&window.as_ref().window());
                }
            }
        });
}
