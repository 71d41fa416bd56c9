//! Profiles: the Citrix Cloud accounts an officer keeps, each under a name of their choosing
//! (customer, region, API client; each secret in its own keychain entry, "customer/client"),
//! and which one is current. The demo site is a built-in profile: never stored, always offered.
//!
//! ## The settings file
//! The list is `profiles` and the current one `currentProfile` (a profile's id, or `"demo"`).
//! Earlier versions kept one account (`account`, `siteId`). Such a file loads as one profile named
//! after its customer, current unless the demo site was, with the same keychain entry, so its
//! secret is not asked again ([`upgrade`]).
//!
//! For an earlier version reading the file after this one, every save also writes `account` and
//! `siteId` mirroring the current Citrix Cloud profile (or, while the demo site is current, the
//! first one), see [`mirror_legacy`]. An account such a version saved meanwhile (one no profile
//! has) becomes a profile the next time the file is read.

use citrix_cloud::Region;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Mode, RegionTs};
use crate::error::{Error, InputField, Result};
use crate::settings::{StoredAccount, StoredSettings};
use crate::vault;

/// The id of the built-in demo profile.
pub const DEMO_ID: &str = "demo";
/// The name under which the demo site is listed.
pub const DEMO_NAME: &str = "Demo site";
/// The longest name a profile may have, in characters.
pub const NAME_MAX: usize = 64;

/// A saved Citrix Cloud account. The secret itself is in the keychain, under
/// [`vault::account`]`(customer_id, client_id)`; `secret_stored` records that it was put there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub region: Region,
    pub customer_id: String,
    pub client_id: String,
    #[serde(default)]
    pub secret_stored: bool,
    /// The site last chosen in this account.
    #[serde(default)]
    pub site_id: Option<String>,
}

impl Profile {
    /// Its keychain entry.
    pub fn keychain_entry(&self) -> String {
        vault::account(&self.customer_id, &self.client_id)
    }

    /// Whether it signs in as `customer_id` with `client_id` (client IDs are UUIDs: any case).
    pub fn is_account(&self, customer_id: &str, client_id: &str) -> bool {
        self.customer_id == customer_id && self.client_id.eq_ignore_ascii_case(client_id)
    }
}

/// A profile as a front end lists it (the demo site included).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfo {
    pub id: String,
    pub name: String,
    pub mode: Mode,
    #[ts(as = "Option<RegionTs>")]
    pub region: Option<Region>,
    pub customer_id: String,
    pub client_id: String,
    pub secret_stored: bool,
    pub current: bool,
}

/// The name a new profile gets when the officer gives none: "Citrix Cloud (acme1234)".
pub fn default_name(customer_id: &str) -> String {
    let name = format!("Citrix Cloud ({customer_id})");
    name.chars().take(NAME_MAX).collect()
}

/// [`default_name`], with a number added if another profile has that name already.
pub fn unused_default_name(stored: &StoredSettings, customer_id: &str) -> String {
    let base = default_name(customer_id);
    let mut name = base.clone();
    let mut n = 1;
    while stored
        .profiles
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case(&name))
    {
        n += 1;
        name = format!("{base} {n}");
    }
    name
}

/// Every profile the officer can choose, the demo site last, the current one marked.
pub fn list(stored: &StoredSettings) -> Vec<ProfileInfo> {
    let current = current_id(stored);
    stored
        .profiles
        .iter()
        .map(|p| ProfileInfo {
            id: p.id.clone(),
            name: p.name.clone(),
            mode: Mode::Cloud,
            region: Some(p.region),
            customer_id: p.customer_id.clone(),
            client_id: p.client_id.clone(),
            secret_stored: p.secret_stored,
            current: current.as_deref() == Some(p.id.as_str()),
        })
        .chain([ProfileInfo {
            id: DEMO_ID.to_owned(),
            name: DEMO_NAME.to_owned(),
            mode: Mode::Demo,
            region: None,
            customer_id: String::new(),
            client_id: String::new(),
            secret_stored: true,
            current: current.as_deref() == Some(DEMO_ID),
        }])
        .collect()
}

/// The current profile's id: the stored one if it still exists, else `None`.
pub fn current_id(stored: &StoredSettings) -> Option<String> {
    stored
        .current_profile
        .clone()
        .filter(|id| id == DEMO_ID || stored.profiles.iter().any(|p| &p.id == id))
}

/// The current Citrix Cloud profile (`None` while the demo site is current or nothing is).
pub fn current(stored: &StoredSettings) -> Option<&Profile> {
    let id = stored.current_profile.as_deref()?;
    stored.profiles.iter().find(|p| p.id == id)
}

pub fn find<'a>(stored: &'a StoredSettings, id: &str) -> Option<&'a Profile> {
    stored.profiles.iter().find(|p| p.id == id)
}

pub fn find_mut<'a>(stored: &'a mut StoredSettings, id: &str) -> Option<&'a mut Profile> {
    stored.profiles.iter_mut().find(|p| p.id == id)
}

/// Finds a profile by name (as the command-line tool is given it): exact first, then ignoring
/// case. The demo site answers to its name and to "demo".
pub fn by_name(stored: &StoredSettings, name: &str) -> Result<ProfileInfo> {
    let all = list(stored);
    let name = name.trim();
    let found = all
        .iter()
        .find(|p| p.name == name)
        .or_else(|| all.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
        .or_else(|| all.iter().find(|p| p.id == name));
    found.cloned().ok_or_else(|| {
        let names: Vec<String> = all.iter().map(|p| format!("\"{}\"", p.name)).collect();
        Error::invalid(format!(
            "There is no Citrix account named \"{name}\". The accounts are: {}.",
            names.join(", ")
        ))
    })
}

/// Trims and checks a profile name: 1 to 64 characters, no control characters, not the name of
/// another profile (`except` is the profile being renamed) nor of the demo site.
pub fn validate_name(stored: &StoredSettings, name: &str, except: Option<&str>) -> Result<String> {
    let name = name.trim();
    let bad = |message: String| Err(Error::invalid_field(InputField::ProfileName, message));
    if name.is_empty() {
        return bad("Enter a name for this Citrix account, for example \"Acme EU\".".into());
    }
    if name.chars().count() > NAME_MAX {
        return bad(format!(
            "The name is too long: use at most {NAME_MAX} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return bad("The name cannot contain tabs or line breaks.".into());
    }
    if name.eq_ignore_ascii_case(DEMO_NAME) {
        return bad(format!(
            "\"{DEMO_NAME}\" is the name of the built-in demo site. Choose another name."
        ));
    }
    let taken = stored
        .profiles
        .iter()
        .any(|p| Some(p.id.as_str()) != except && p.name.eq_ignore_ascii_case(name));
    if taken {
        return bad(format!(
            "Another Citrix account is already named \"{name}\". Choose another name."
        ));
    }
    Ok(name.to_owned())
}

/// Refuses a second profile for the same customer and API client: the two would share one
/// keychain entry, so removing one would remove the other's secret.
pub fn refuse_duplicate(
    stored: &StoredSettings,
    customer_id: &str,
    client_id: &str,
    except: Option<&str>,
) -> Result<()> {
    match stored
        .profiles
        .iter()
        .find(|p| Some(p.id.as_str()) != except && p.is_account(customer_id, client_id))
    {
        None => Ok(()),
        Some(existing) => Err(Error::invalid_field(
            InputField::ClientId,
            format!(
                "This customer and API client are already saved as \"{}\". Choose that account \
                 in the account menu instead of adding it again.",
                existing.name
            ),
        )),
    }
}

/// A new profile's id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Brings a file read from disk to the profile layout: a saved `account` that no profile has
/// (written by an earlier version) becomes a profile named after its customer, with its site;
/// it is current when the file had no current profile and the demo site was not last used.
pub fn upgrade(stored: &mut StoredSettings) {
    let Some(account) = stored.account.clone() else {
        return;
    };
    if stored
        .profiles
        .iter()
        .any(|p| p.is_account(&account.customer_id, &account.client_id))
    {
        return;
    }
    let profile = Profile {
        // Derived from the account, not random: every program that reads the file before one of
        // them saves it (the window and the command-line tool) gives the profile the same id.
        id: vault::account(&account.customer_id, &account.client_id),
        name: unused_default_name(stored, &account.customer_id),
        region: account.region,
        customer_id: account.customer_id,
        client_id: account.client_id,
        secret_stored: account.secret_stored,
        site_id: stored.site_id.clone(),
    };
    if stored.current_profile.is_none() {
        stored.current_profile = Some(if stored.last_mode == Some(Mode::Demo) {
            DEMO_ID.to_owned()
        } else {
            profile.id.clone()
        });
    }
    stored.profiles.push(profile);
}

/// Sets `account` and `siteId`, which earlier versions read, to the current Citrix Cloud profile,
/// or the first one while the demo site is current; clears them when there is none.
pub fn mirror_legacy(stored: &mut StoredSettings) {
    let shown = current(stored).or(stored.profiles.first()).cloned();
    stored.account = shown.as_ref().map(|p| StoredAccount {
        region: p.region,
        customer_id: p.customer_id.clone(),
        client_id: p.client_id.clone(),
        secret_stored: p.secret_stored,
    });
    stored.site_id = shown.and_then(|p| p.site_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const CLIENT: &str = "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1";
    const CLIENT2: &str = "9a8b7c6d-1111-4c55-9d7e-2b8a41f0c9d1";

    fn profile(name: &str, customer: &str, client: &str) -> Profile {
        Profile {
            id: new_id(),
            name: name.into(),
            region: Region::Eu,
            customer_id: customer.into(),
            client_id: client.into(),
            secret_stored: true,
            site_id: None,
        }
    }

    /// A settings file as the single-account version wrote it.
    const OLD_FILE: &str = r#"{"settings":{
        "account":{"region":"eu","customerId":"acme1234","clientId":"3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1","secretStored":true},
        "lastMode":"cloud","siteId":"site-7","concurrency":8}}"#;

    #[test]
    fn a_single_account_file_loads_as_one_current_profile_with_its_site() {
        let s = crate::settings::parse(OLD_FILE.as_bytes()).expect("parse");
        assert_eq!(s.profiles.len(), 1);
        let p = &s.profiles[0];
        assert_eq!(p.name, "Citrix Cloud (acme1234)");
        assert_eq!(
            (p.region, p.customer_id.as_str(), p.client_id.as_str()),
            (Region::Eu, "acme1234", CLIENT)
        );
        assert!(p.secret_stored);
        assert_eq!(p.site_id.as_deref(), Some("site-7"));
        assert_eq!(s.current_profile.as_deref(), Some(p.id.as_str()));
        let again = crate::settings::parse(OLD_FILE.as_bytes()).expect("parse");
        assert_eq!(
            again.profiles[0].id, p.id,
            "the same id however often it is read"
        );
        assert_eq!(
            p.keychain_entry(),
            format!("acme1234/{CLIENT}"),
            "the same keychain entry: the secret is not asked again"
        );
        let listed = list(&s);
        assert_eq!(
            listed
                .iter()
                .map(|p| (p.name.as_str(), p.current))
                .collect::<Vec<_>>(),
            [("Citrix Cloud (acme1234)", true), (DEMO_NAME, false)]
        );
    }

    #[test]
    fn an_old_file_last_used_on_the_demo_site_keeps_the_demo_current() {
        let old = OLD_FILE.replace(r#""lastMode":"cloud""#, r#""lastMode":"demo""#);
        let s = crate::settings::parse(old.as_bytes()).expect("parse");
        assert_eq!(s.current_profile.as_deref(), Some(DEMO_ID));
        assert!(list(&s).iter().any(|p| p.id == DEMO_ID && p.current));
    }

    #[test]
    fn the_new_layout_still_carries_the_current_account_for_earlier_versions() {
        let mut s = crate::settings::parse(OLD_FILE.as_bytes()).expect("parse");
        let second = profile("Globex US", "globex", CLIENT2);
        s.profiles.push(second.clone());
        s.current_profile = Some(second.id.clone());
        mirror_legacy(&mut s);
        let account = s.account.clone().expect("account mirrored");
        assert_eq!(account.customer_id, "globex");
        // Read again: no third profile appears from the mirror.
        let again = crate::settings::parse(
            serde_json::to_vec(&serde_json::json!({ "settings": s }))
                .expect("json")
                .as_slice(),
        )
        .expect("parse");
        assert_eq!(again.profiles, s.profiles);

        // The demo site current: the first profile is mirrored; none: nothing.
        s.current_profile = Some(DEMO_ID.into());
        mirror_legacy(&mut s);
        assert_eq!(s.account.as_ref().expect("first").customer_id, "acme1234");
        assert_eq!(s.site_id.as_deref(), Some("site-7"));
        s.profiles.clear();
        mirror_legacy(&mut s);
        assert!(s.account.is_none() && s.site_id.is_none());
    }

    #[test]
    fn an_account_saved_by_an_earlier_version_meanwhile_becomes_a_profile() {
        let mut s = crate::settings::parse(OLD_FILE.as_bytes()).expect("parse");
        let first = s.profiles[0].id.clone();
        s.account = Some(StoredAccount {
            region: Region::Us,
            customer_id: "initech".into(),
            client_id: CLIENT2.into(),
            secret_stored: true,
        });
        upgrade(&mut s);
        assert_eq!(s.profiles.len(), 2);
        assert_eq!(s.profiles[1].name, "Citrix Cloud (initech)");
        assert_eq!(s.current_profile.as_deref(), Some(first.as_str()));
    }

    #[test]
    fn names_are_checked_and_unique() {
        let mut s = StoredSettings::default();
        let acme = profile("Acme EU", "acme", CLIENT);
        s.profiles.push(acme.clone());
        assert_eq!(validate_name(&s, "  Globex  ", None).expect("ok"), "Globex");
        assert_eq!(
            validate_name(&s, "acme eu", Some(&acme.id)).expect("renaming itself"),
            "acme eu"
        );
        let long = "x".repeat(NAME_MAX + 1);
        for bad in [
            "",
            "   ",
            "a\tb",
            "line\nbreak",
            long.as_str(),
            "ACME EU",
            "demo site",
        ] {
            let err = validate_name(&s, bad, None).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(err.to_ipc().field, Some(InputField::ProfileName), "{bad:?}");
        }
        assert!(validate_name(&s, &"é".repeat(NAME_MAX), None).is_ok());
        let err = validate_name(&s, "Acme eu", None).expect_err("taken");
        assert!(
            err.message().contains("already named \"Acme eu\""),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_second_profile_for_the_same_account_is_refused_naming_the_first() {
        let mut s = StoredSettings::default();
        let acme = profile("Acme EU", "acme", CLIENT);
        s.profiles.push(acme.clone());
        let err =
            refuse_duplicate(&s, "acme", &CLIENT.to_uppercase(), None).expect_err("duplicate");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.message().contains("already saved as \"Acme EU\""),
            "{}",
            err.message()
        );
        assert!(refuse_duplicate(&s, "acme", CLIENT, Some(&acme.id)).is_ok());
        assert!(refuse_duplicate(&s, "acme", CLIENT2, None).is_ok());
        assert!(refuse_duplicate(&s, "globex", CLIENT, None).is_ok());
    }

    #[test]
    fn profiles_are_found_by_name_for_the_command_line() {
        let mut s = StoredSettings::default();
        s.profiles.push(profile("Acme EU", "acme", CLIENT));
        assert_eq!(by_name(&s, "Acme EU").expect("exact").customer_id, "acme");
        assert_eq!(
            by_name(&s, "acme eu").expect("any case").customer_id,
            "acme"
        );
        assert_eq!(by_name(&s, "demo").expect("demo").mode, Mode::Demo);
        assert_eq!(by_name(&s, "Demo site").expect("demo").mode, Mode::Demo);
        let err = by_name(&s, "Globex").expect_err("unknown");
        assert_eq!(
            err.message(),
            "There is no Citrix account named \"Globex\". The accounts are: \"Acme EU\", \"Demo site\"."
        );
    }
}

#[cfg(test)]
#[path = "profiles_sim_tests.rs"]
mod sim_tests;
