//! Windows: the Group Policy keys `HKLM\SOFTWARE\Policies\RecordingDesk` (the computer) and
//! `HKCU\SOFTWARE\Policies\RecordingDesk` (the user; the computer's wins), as the ADMX
//! templates in `packaging/windows/policy` write them, or as Intune sets them. Flags and
//! numbers are REG_DWORD, text is REG_SZ; value names are the settings' keys.

use windows_registry::{Key, Type, Value, CURRENT_USER, LOCAL_MACHINE};

use super::{Policy, RawValue, Read, REGISTRY_KEY as KEY_PATH};

/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`: the key does not exist.
const NOT_FOUND: u32 = 0x8007_0002;

fn hive(machine: bool) -> &'static Key {
    if machine {
        LOCAL_MACHINE
    } else {
        CURRENT_USER
    }
}

/// The key's full name, as an administrator finds it in the Registry Editor.
pub fn key_name(machine: bool) -> String {
    let hive = if machine {
        "HKEY_LOCAL_MACHINE"
    } else {
        "HKEY_CURRENT_USER"
    };
    format!(r"{hive}\{KEY_PATH}")
}

/// The policy under the computer's (`machine`) or the user's key; `None` without the key.
pub fn read(machine: bool) -> Result<Option<Read>, String> {
    let key = match hive(machine).open(KEY_PATH) {
        Ok(key) => key,
        Err(e) if e.code().0 as u32 == NOT_FOUND => return Ok(None),
        Err(e) => return Err(format!("the registry key could not be opened ({e})")),
    };
    let values = key
        .values()
        .map_err(|e| format!("the registry key's values could not be read ({e})"))?;
    Ok(Some(Policy::from_entries(
        values.map(|(name, value)| (name, raw(value))),
    )))
}

fn raw(value: Value) -> RawValue {
    match value.ty() {
        Type::U32 | Type::U64 => u64::try_from(value)
            .ok()
            .and_then(|n| i64::try_from(n).ok())
            .map(RawValue::Number)
            .unwrap_or(RawValue::Other("a number too large")),
        Type::String | Type::ExpandString => String::try_from(value)
            .map(RawValue::Text)
            .unwrap_or(RawValue::Other("text that cannot be read")),
        Type::MultiString => RawValue::Other("a list of texts (REG_MULTI_SZ)"),
        Type::Bytes => RawValue::Other("binary data (REG_BINARY)"),
        Type::Other(_) => RawValue::Other("another kind of value"),
    }
}

/// Under Wine in `scripts/cross-check.sh`, and on Windows runners: values written with the
/// registry API are read back as the policy, the computer's over the user's.
#[cfg(test)]
mod tests {
    use super::super::{Layer, NotifyChoice, PolicySource};
    use super::*;

    /// Removes the key when the test ends, however it ends.
    struct Written(&'static Key);

    impl Drop for Written {
        fn drop(&mut self) {
            let _ = self.0.remove_tree(KEY_PATH);
        }
    }

    #[test]
    fn registry_values_are_read_as_the_policy_machine_over_user() {
        if CURRENT_USER.open(KEY_PATH).is_ok() || LOCAL_MACHINE.open(KEY_PATH).is_ok() {
            // A real policy on this computer: never overwrite or delete it.
            eprintln!("skipped: {KEY_PATH} already exists on this computer");
            return;
        }
        let user = CURRENT_USER.create(KEY_PATH).expect("HKCU key");
        let _user_cleanup = Written(CURRENT_USER);
        user.set_u32("requireCase", 0).expect("write");
        user.set_u32("concurrency", 8).expect("write");
        user.set_string("notifyUser", "never").expect("write");
        user.set_string("requireReason", "yes").expect("write");
        user.set_string("customerId", "acme").expect("write");
        user.set_u32("checkForUpdates", 0).expect("write");
        user.set_string("updateFeedUrl", "https://mirror.corp.example/rd.json")
            .expect("write");

        let source = PolicySource {
            layers: vec![
                Layer::Registry { machine: true },
                Layer::Registry { machine: false },
            ],
        };
        let (policy, notices) = source.read();
        assert_eq!(policy.require_case, Some(false));
        assert_eq!(policy.concurrency, Some(8));
        assert_eq!(policy.notify_user, Some(NotifyChoice::Never));
        assert_eq!(policy.account.customer_id.as_deref(), Some("acme"));
        assert_eq!(policy.check_for_updates, Some(false));
        assert_eq!(
            policy.update_feed_url.as_deref(),
            Some("https://mirror.corp.example/rd.json")
        );
        assert_eq!(policy.require_reason, None, "a REG_SZ where a flag belongs");
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("\u{201c}requireReason\u{201d}"),
            "{notices:?}"
        );
        assert!(notices[0].contains(r"HKEY_CURRENT_USER\SOFTWARE\Policies\RecordingDesk"));

        // The computer's key, where the OS lets this test write it, wins over the user's.
        match LOCAL_MACHINE.create(KEY_PATH) {
            Ok(machine) => {
                let _machine_cleanup = Written(LOCAL_MACHINE);
                machine.set_u32("requireCase", 1).expect("write");
                machine.set_string("notifyUser", "always").expect("write");
                let (policy, _) = source.read();
                assert_eq!(policy.require_case, Some(true));
                assert_eq!(policy.notify_user, Some(NotifyChoice::Always));
                assert_eq!(policy.concurrency, Some(8), "the user's key fills the rest");
            }
            Err(e) => eprintln!("HKLM not writable here ({e}): only the user's key is tested"),
        }
        drop(_user_cleanup);
        assert!(CURRENT_USER.open(KEY_PATH).is_err(), "cleaned up");
        assert_eq!(source.read().0, Policy::default());
    }
}
