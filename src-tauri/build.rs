//! Generates an `allow-<command>` permission for each app command, so the capability file can
//! grant the webview exactly these commands and nothing else.

const COMMANDS: &[&str] = &[
    "app_status",
    "connect_cloud",
    "connect_demo",
    "disconnect",
    "forget_credentials",
    "select_site",
    "list_profiles",
    "switch_profile",
    "rename_profile",
    "remove_profile",
    "search_sessions",
    "recording_statuses",
    "lookup_sessions",
    "get_session",
    "run_recording",
    "check_justification",
    "cancel_run",
    "check_again",
    "audit_view",
    "reseal_audit",
    "export_audit_csv",
    "export_audit_report",
    "save_session_json",
    "get_settings",
    "update_settings",
    "update_status",
    "update_check",
    "update_install",
    "update_restart",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
