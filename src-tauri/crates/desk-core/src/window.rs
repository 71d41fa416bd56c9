//! Where the window reopens. Its size and position are saved in the settings
//! ([`WindowPrefs`]) when it closes; at start-up [`WindowPrefs::placement`] decides where it goes
//! on the monitors there are now, so a window saved on a monitor that has since been unplugged
//! (a docked laptop taken to a meeting) opens on a screen the officer can see, never off screen.
//!
//! This matches `tauri-plugin-window-state` (v2), which puts a window back only if it is still
//! on a monitor, and goes two steps further: the point where the officer grabs the title bar must
//! lie on a monitor (a window whose only visible part is its lower corner cannot be dragged
//! back), and a window that is not put back is centred on the main monitor at its saved size,
//! made smaller if that monitor is smaller, instead of opening at its default size.

use crate::settings::WindowPrefs;

/// A monitor as the OS reports it now: the part of it windows may use (without the taskbar or
/// menu bar), in logical pixels of the virtual desktop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Screen {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Screen {
    fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }

    /// `(width, height)`, made no bigger than this screen.
    fn fit(&self, (width, height): (u32, u32)) -> (u32, u32) {
        let most = |side: f64| side.max(0.0).floor() as u32;
        (width.min(most(self.width)), height.min(most(self.height)))
    }

    /// The top-left corner that centres a window of `size` on this screen.
    fn centre(&self, (width, height): (u32, u32)) -> (i32, i32) {
        (
            (self.x + (self.width - f64::from(width)) / 2.0).round() as i32,
            (self.y + (self.height - f64::from(height)) / 2.0).round() as i32,
        )
    }
}

/// Where and how big the window opens, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub width: u32,
    pub height: u32,
    /// The top-left corner; `None` leaves the window where the OS puts a new one (no monitor was
    /// reported).
    pub position: Option<(i32, i32)>,
    /// Maximized on the monitor it opens on, as it was when it closed.
    pub maximized: bool,
}

/// How far into the window, from its top-left corner, the title bar can surely be grabbed.
const GRAB_POINT: (f64, f64) = (40.0, 10.0);

impl WindowPrefs {
    /// Where the window opens on `screens` (every monitor there is now; `primary` is the main
    /// one, or the first if the OS names none). `default_size` is the window's size when nothing
    /// was saved.
    ///
    /// - Saved where its title bar is on a monitor: back where the officer left it, even hanging
    ///   off an edge. If that monitor is now smaller than the window, the window is made to fit
    ///   and moved so all of it is on that monitor.
    /// - Saved on a monitor that is gone, or never placed: centred on the main monitor at the
    ///   saved size, made to fit it.
    pub fn placement(
        &self,
        default_size: (u32, u32),
        screens: &[Screen],
        primary: Option<Screen>,
    ) -> Placement {
        let wanted = (
            self.width.unwrap_or(default_size.0),
            self.height.unwrap_or(default_size.1),
        );
        let placed = |(width, height): (u32, u32), position| Placement {
            width,
            height,
            position,
            maximized: self.maximized,
        };

        if let (Some(x), Some(y)) = (self.x, self.y) {
            let grab = (f64::from(x) + GRAB_POINT.0, f64::from(y) + GRAB_POINT.1);
            if let Some(screen) = screens.iter().find(|s| s.contains(grab.0, grab.1)) {
                let size = screen.fit(wanted);
                if size == wanted {
                    return placed(size, Some((x, y)));
                }
                // Too big for this monitor now: all of it on the monitor, as near as can be to
                // where it was.
                let pull_in = |at: i32, start: f64, side: f64, length: u32| {
                    let last = (start + side - f64::from(length)).floor() as i32;
                    at.min(last).max(start.ceil() as i32)
                };
                let position = (
                    pull_in(x, screen.x, screen.width, size.0),
                    pull_in(y, screen.y, screen.height, size.1),
                );
                return placed(size, Some(position));
            }
        }
        match primary.or_else(|| screens.first().copied()) {
            Some(main) => {
                let size = main.fit(wanted);
                placed(size, Some(main.centre(size)))
            }
            None => placed(wanted, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: (u32, u32) = (1200, 800);

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

    fn screen(x: f64, y: f64, width: f64, height: f64) -> Screen {
        Screen {
            x,
            y,
            width,
            height,
        }
    }

    fn saved(x: i32, y: i32, width: u32, height: u32) -> WindowPrefs {
        WindowPrefs {
            width: Some(width),
            height: Some(height),
            x: Some(x),
            y: Some(y),
            maximized: false,
        }
    }

    fn at(x: i32, y: i32, width: u32, height: u32) -> Placement {
        Placement {
            width,
            height,
            position: Some((x, y)),
            maximized: false,
        }
    }

    #[test]
    fn a_window_on_a_left_monitor_with_negative_coordinates_comes_back_there() {
        let prefs = saved(-1500, 100, 1200, 800);
        assert_eq!(
            prefs.placement(DEFAULT, &[LAPTOP, LEFT], Some(LAPTOP)),
            at(-1500, 100, 1200, 800)
        );
    }

    #[test]
    fn a_window_saved_on_a_monitor_that_is_gone_opens_centred_on_the_main_one() {
        let prefs = saved(-1500, 100, 1200, 800);
        // The left monitor is unplugged: centred on the laptop, at the saved size.
        assert_eq!(
            prefs.placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(120, 50, 1200, 800)
        );
        // Far beyond any monitor.
        assert_eq!(
            saved(9000, 7000, 1000, 700).placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(220, 100, 1000, 700)
        );
        // The OS names no main monitor: the first one.
        assert_eq!(
            prefs.placement(DEFAULT, &[LAPTOP], None),
            at(120, 50, 1200, 800)
        );
    }

    #[test]
    fn on_a_smaller_main_monitor_a_window_from_a_gone_one_is_made_to_fit() {
        let small = screen(0.0, 0.0, 1024.0, 728.0);
        let prefs = saved(-1800, 50, 1800, 1000);
        assert_eq!(
            prefs.placement(DEFAULT, &[small], Some(small)),
            at(0, 0, 1024, 728)
        );
    }

    #[test]
    fn a_window_too_big_for_its_monitor_now_is_made_to_fit_and_kept_on_it() {
        // Saved on a big monitor, which is now a smaller one at the same place.
        let small = screen(0.0, 0.0, 1280.0, 720.0);
        let prefs = saved(300, 200, 1600, 1000);
        assert_eq!(
            prefs.placement(DEFAULT, &[small], Some(small)),
            at(0, 0, 1280, 720)
        );
        // Only its height is too big: it keeps its place across, and moves up.
        let prefs = saved(100, 200, 1000, 1000);
        assert_eq!(
            prefs.placement(DEFAULT, &[small], Some(small)),
            at(100, 0, 1000, 720)
        );
        // On a left monitor with negative coordinates: moved onto that monitor, not the main one.
        let left = screen(-1280.0, 0.0, 1280.0, 720.0);
        let prefs = saved(-1000, 100, 1600, 800);
        assert_eq!(
            prefs.placement(DEFAULT, &[LAPTOP, left], Some(LAPTOP)),
            at(-1280, 0, 1280, 720)
        );
    }

    #[test]
    fn a_window_partly_off_screen_stays_as_left_only_if_its_title_bar_can_be_grabbed() {
        // Hanging off the right edge, title bar on the screen: as the officer left it.
        assert_eq!(
            saved(1000, 200, 1200, 800).placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(1000, 200, 1200, 800)
        );
        // Only the lower part visible, title bar above the top of the screen: centred.
        assert_eq!(
            saved(100, -300, 1200, 800).placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(120, 50, 1200, 800)
        );
        // Title bar just past the right edge: centred.
        assert_eq!(
            saved(1420, 100, 1200, 800).placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(120, 50, 1200, 800)
        );
    }

    #[test]
    fn a_maximized_window_opens_maximized_on_a_monitor_there_is() {
        let prefs = WindowPrefs {
            maximized: true,
            ..saved(-1500, 100, 1200, 800)
        };
        // Its monitor is there: maximized on it.
        let back = prefs.placement(DEFAULT, &[LAPTOP, LEFT], Some(LAPTOP));
        assert_eq!(back.position, Some((-1500, 100)));
        assert!(back.maximized);
        // Its monitor is gone: maximized on the main one, and centred there at its normal size
        // once the officer restores it.
        let moved = prefs.placement(DEFAULT, &[LAPTOP], Some(LAPTOP));
        assert_eq!(
            moved,
            Placement {
                maximized: true,
                ..at(120, 50, 1200, 800)
            }
        );
    }

    #[test]
    fn without_anything_saved_the_window_opens_centred_at_its_default_size() {
        let prefs = WindowPrefs::default();
        assert_eq!(
            prefs.placement(DEFAULT, &[LAPTOP], Some(LAPTOP)),
            at(120, 50, 1200, 800)
        );
        // No monitor reported at all: the OS places it.
        assert_eq!(
            prefs.placement(DEFAULT, &[], None),
            Placement {
                width: 1200,
                height: 800,
                position: None,
                maximized: false,
            }
        );
    }
}
