//! Recording Desk's window: the Tauri shell around `desk-core`. It adds the IPC commands (each a
//! few lines that call the one managed [`desk_core::Desk`]), start-up, the menu and the window;
//! the domain (accounts, keychain, settings, runs, the audit trail) is in `desk-core`, and
//! everything that talks to Citrix in `citrix-cloud`.

mod commands;
mod menu;
mod startup;
mod updates;

use tauri::Manager;

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
        .menu(menu::build)
        .on_menu_event(menu::on_event)
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
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
            commands::list_profiles,
            commands::switch_profile,
            commands::rename_profile,
            commands::remove_profile,
            commands::search_sessions,
            commands::recording_statuses,
            commands::lookup_sessions,
            commands::get_session,
            commands::run_recording,
            commands::check_justification,
            commands::cancel_run,
            commands::check_again,
            commands::audit_view,
            commands::reseal_audit,
            commands::export_audit_csv,
            commands::export_audit_report,
            commands::save_session_json,
            commands::get_settings,
            commands::update_settings,
            updates::update_status,
            updates::update_check,
            updates::update_install,
            updates::update_restart,
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

#[cfg(test)]
mod tests {
    /// `build.rs` lists the commands to generate their permissions; `run` registers them. A
    /// command missing from either is unreachable from the UI.
    #[test]
    fn build_script_and_handler_list_the_same_commands() {
        let build = include_str!("../build.rs");
        // The handler list, not this test's own mention of it.
        let lib = include_str!("lib.rs")
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default();
        let quoted: Vec<&str> = build
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        let list = lib
            .split("generate_handler![")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .unwrap_or_default();
        let handled: Vec<&str> = list
            .split(',')
            .filter_map(|s| s.trim().rsplit("::").next())
            .filter(|s| !s.is_empty())
            .collect();
        assert!(!quoted.is_empty());
        assert_eq!(quoted, handled);

        let capability = include_str!("../capabilities/main.json");
        for command in &quoted {
            let permission = format!("\"allow-{}\"", command.replace('_', "-"));
            assert!(
                capability.contains(&permission),
                "capability lacks {permission}"
            );
        }
    }
}
