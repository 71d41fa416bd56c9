//! The native menu bar: the usual Edit items (so copy, paste and select all work with the
//! platform's shortcuts in every text field), Quit, and About, which opens the window's own About
//! box (the version, and whether it is the newest) through the `show-about` event.

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Emitter, Runtime};

const ABOUT_ID: &str = "about";
/// The event that asks the window to open its About box.
pub const SHOW_ABOUT_EVENT: &str = "show-about";

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let about = MenuItem::with_id(app, ABOUT_ID, "About Recording Desk", true, None::<&str>)?;
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

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    if event.id() == ABOUT_ID {
        if let Err(e) = app.emit(SHOW_ABOUT_EVENT, ()) {
            tracing::warn!("the About box could not be opened: {e}");
        }
    }
}
