//! The native menu bar: the usual Edit items (so copy, paste and select all work with the
//! platform's shortcuts in every text field), Quit, and an About box with the version.

use tauri::menu::{AboutMetadata, Menu, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Runtime};

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let about = PredefinedMenuItem::about(
        app,
        Some("About Recording Desk"),
        Some(AboutMetadata {
            name: Some("Recording Desk".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            short_version: None,
            comments: Some(
                "Start and stop Citrix Session Recording on the sessions of a Citrix DaaS site."
                    .into(),
            ),
            copyright: Some("Copyright © 2026 Recording Desk".into()),
            ..Default::default()
        }),
    )?;
    let separator = || PredefinedMenuItem::separator(app);
    let app_menu = Submenu::with_items(app, "Recording Desk", true, &[&about])?;
    // Hide and Hide Others only mean something on macOS: on Windows "Hide" makes the window vanish
    // with no way back (there is no tray icon), and neither exists on Linux.
    #[cfg(target_os = "macos")]
    {
        app_menu.append(&separator()?)?;
        app_menu.append(&PredefinedMenuItem::hide(app, None)?)?;
        app_menu.append(&PredefinedMenuItem::hide_others(app, None)?)?;
    }
    app_menu.append(&separator()?)?;
    app_menu.append(&PredefinedMenuItem::quit(app, Some("Quit Recording Desk"))?)?;
    let edit = Submenu::with_items(
        app,
        "Edit",
        true,
        &[
            &PredefinedMenuItem::undo(app, None)?,
            &PredefinedMenuItem::redo(app, None)?,
            &separator()?,
            &PredefinedMenuItem::cut(app, None)?,
            &PredefinedMenuItem::copy(app, None)?,
            &PredefinedMenuItem::paste(app, None)?,
            &PredefinedMenuItem::select_all(app, None)?,
        ],
    )?;
    let window = Submenu::with_items(
        app,
        "Window",
        true,
        &[
            &PredefinedMenuItem::minimize(app, None)?,
            &PredefinedMenuItem::maximize(app, None)?,
            &separator()?,
            &PredefinedMenuItem::close_window(app, None)?,
        ],
    )?;
    Menu::with_items(app, &[&app_menu, &edit, &window])
}
