//! macOS managed preferences: the plist that a configuration profile (from Jamf, Intune or
//! another MDM) makes macOS write to `/Library/Managed Preferences/<bundle id>.plist` for the
//! computer, and `/Library/Managed Preferences/<user>/<bundle id>.plist` for one user. The
//! parser is a pure function over the file's bytes (XML or binary plist), tested on every OS.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::{Policy, RawValue, Read};
use crate::paths::IDENTIFIER;

/// The folder macOS writes managed preferences to.
pub const MANAGED_PREFERENCES: &str = "/Library/Managed Preferences";

/// The computer's plist, then the user's (the computer's wins).
pub fn managed_preferences(user: &str) -> Vec<PathBuf> {
    let root = Path::new(MANAGED_PREFERENCES);
    let file = format!("{IDENTIFIER}.plist");
    vec![root.join(&file), root.join(user).join(&file)]
}

/// The policy in a managed preferences plist (a dictionary of the settings' keys).
pub fn parse(bytes: &[u8]) -> Result<Read, String> {
    let value = plist::Value::from_reader(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a valid property list ({e})"))?;
    let plist::Value::Dictionary(dict) = value else {
        return Err("the property list should hold one dictionary of settings".into());
    };
    Ok(Policy::from_entries(
        dict.into_iter().map(|(key, value)| (key, raw(value))),
    ))
}

fn raw(value: plist::Value) -> RawValue {
    use plist::Value as V;
    match value {
        V::Boolean(b) => RawValue::Flag(b),
        V::Integer(n) => n
            .as_signed()
            .map(RawValue::Number)
            .unwrap_or(RawValue::Other("a number too large")),
        V::String(s) => RawValue::Text(s),
        V::Real(_) => RawValue::Other("a fraction"),
        V::Array(_) => RawValue::Other("a list"),
        V::Dictionary(_) => RawValue::Other("a group of values"),
        V::Date(_) => RawValue::Other("a date"),
        V::Data(_) => RawValue::Other("data"),
        _ => RawValue::Other("another kind of value"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NotifyChoice, Policy};
    use super::*;

    /// The settings a configuration profile gives the app: the keys of its payload for the
    /// app's preference domain, which macOS writes to the managed preferences plist.
    fn profile_settings(bytes: &[u8]) -> Read {
        let profile = plist::Value::from_reader(Cursor::new(bytes)).expect("a plist");
        let payloads = profile
            .as_dictionary()
            .and_then(|d| d.get("PayloadContent"))
            .and_then(plist::Value::as_array)
            .expect("PayloadContent");
        let ours: Vec<_> = payloads
            .iter()
            .filter_map(plist::Value::as_dictionary)
            .filter(|p| p.get("PayloadType").and_then(plist::Value::as_string) == Some(IDENTIFIER))
            .collect();
        assert_eq!(ours.len(), 1, "one payload for {IDENTIFIER}");
        Policy::from_entries(
            ours[0]
                .iter()
                .filter(|(key, _)| !key.starts_with("Payload"))
                .map(|(key, value)| (key.clone(), raw(value.clone()))),
        )
    }

    /// The sample in `packaging/macos` sets what the admin guide says it sets.
    #[test]
    fn the_sample_profile_sets_what_the_admin_guide_says() {
        let read = profile_settings(include_bytes!(
            "../../../../../packaging/macos/RecordingDesk.mobileconfig"
        ));
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(
            read.policy,
            Policy {
                require_reason: Some(true),
                require_case: Some(true),
                notify_user: Some(NotifyChoice::Always),
                demo_site_offered: Some(false),
                check_for_updates: Some(false),
                ..Policy::default()
            }
        );
        let guide = include_str!("../../../../../docs/admin-guide.md");
        assert!(
            guide.contains(
                "The sample profile `packaging/macos/RecordingDesk.mobileconfig` sets `requireReason` and\n\
                 `requireCase` to true, `notifyUser` to `always`, and `demoSiteOffered` and\n\
                 `checkForUpdates` to false."
            ),
            "the admin guide says what the sample sets"
        );
    }
}
