//! The smallest Tauri 2 app: one window, one line of HTML. `desk-bench app` launches it next to
//! Recording Desk to tell what the app costs on top of Tauri and WebKit themselves.

// As in the app: no console window next to it on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}
