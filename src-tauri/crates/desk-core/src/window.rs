//! Where the window reopens. Its size and position are saved in the settings
//! ([`WindowPrefs`]); a position is only used again if the window would be reachable there, so a
//! window saved on a monitor that has since been unplugged (a docked laptop taken to a meeting)
//! opens where the OS puts a new window (centred) instead of off screen.
//!
//! `tauri-plugin-window-state` (v2) restores a position when any corner of the window lies on a
//! monitor. This check is the same idea, made stricter: the point where the officer grabs the
//! title bar must lie on a monitor, since a window whose only visible part is its lower corner
//! cannot be dragged back.

use crate::settings::WindowPrefs;

/// A monitor as the OS reports it now, in logical pixels of the virtual desktop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Screen {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// How far into the window, from its top-left corner, the title bar can surely be grabbed.
const GRAB_POINT: (f64, f64) = (40.0, 10.0);

impl WindowPrefs {
    /// The saved top-left corner, if the window's title bar would be on one of `screens` there.
    pub fn position_on(&self, screens: &[Screen]) -> Option<(i32, i32)> {
        let (x, y) = (self.x?, self.y?);
        let (gx, gy) = (f64::from(x) + GRAB_POINT.0, f64::from(y) + GRAB_POINT.1);
        screens
            .iter()
            .any(|s| gx >= s.x && gy >= s.y && gx < s.x + s.width && gy < s.y + s.height)
            .then_some((x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAPTOP: Screen = Screen {
        x: 0.0,
        y: 0.0,
        width: 1440.0,
        height: 900.0,
    };
    /// An external monitor to the left of the laptop's (negative coordinates).
    const LEFT: Screen = Screen {
        x: -1920.0,
        y: 0.0,
        width: 1920.0,
        height: 1080.0,
    };

    fn saved_at(x: i32, y: i32) -> WindowPrefs {
        WindowPrefs {
            width: Some(1200),
            height: Some(800),
            x: Some(x),
            y: Some(y),
            maximized: false,
        }
    }

    #[test]
    fn a_window_saved_on_a_monitor_that_is_gone_is_not_put_back_there() {
        let prefs = saved_at(-1500, 100);
        assert_eq!(prefs.position_on(&[LAPTOP, LEFT]), Some((-1500, 100)));
        assert_eq!(
            prefs.position_on(&[LAPTOP]),
            None,
            "the left monitor is unplugged"
        );
        assert_eq!(prefs.position_on(&[]), None, "no monitor reported");
    }

    #[test]
    fn a_window_partly_off_screen_comes_back_only_if_its_title_bar_can_be_grabbed() {
        // Hanging off the right edge, title bar on the screen: as the officer left it.
        assert_eq!(
            saved_at(1000, 200).position_on(&[LAPTOP]),
            Some((1000, 200))
        );
        // Only the lower part visible, title bar above the top of the screen.
        assert_eq!(saved_at(100, -300).position_on(&[LAPTOP]), None);
        // Title bar just past the right edge.
        assert_eq!(saved_at(1420, 100).position_on(&[LAPTOP]), None);
    }

    #[test]
    fn without_a_saved_position_the_os_places_the_window() {
        let prefs = WindowPrefs {
            x: None,
            ..saved_at(10, 10)
        };
        assert_eq!(prefs.position_on(&[LAPTOP]), None);
    }
}
