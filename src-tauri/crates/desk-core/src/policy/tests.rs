use std::path::Path;
use std::sync::Arc;

use citrix_cloud::bulk::Action;
use citrix_cloud::Region;

use super::*;
use crate::error::ErrorKind;
use crate::paths::AppPaths;
use crate::run::Justification;
use crate::settings::StoredSettings;
use crate::vault::{memory::MemoryStore, Vault};
use crate::{Desk, DeskOptions};

const CLIENT: &str = "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1";

fn json(text: &str) -> Read {
    file::parse(text.as_bytes()).expect("a JSON object")
}

#[test]
fn a_json_policy_sets_every_setting_and_locks_it() {
    let read = json(&format!(
        r#"{{"requireReason": true, "requireCase": true, "notifyUserDefault": false,
            "notifyUser": "never", "concurrency": 8, "demoSiteOffered": false,
            "region": "eu", "customerId": " acme ", "clientId": "{CLIENT}",
            "syslogCollectorHost": "siem.example.com", "syslogCollectorPort": 10514,
            "syslogCollectorCaFile": "/etc/ssl/siem-ca.pem", "checkForUpdates": false,
            "updateFeedUrl": "https://mirror.corp.example/recording-desk/latest.json"}}"#
    ));
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let p = read.policy;
    assert_eq!(
        p,
        Policy {
            require_reason: Some(true),
            require_case: Some(true),
            notify_user_default: Some(false),
            notify_user: Some(NotifyChoice::Never),
            concurrency: Some(8),
            demo_site_offered: Some(false),
            account: ManagedAccount {
                region: Some(Region::Eu),
                customer_id: Some("acme".into()),
                client_id: Some(CLIENT.into()),
            },
            collector: ManagedCollector {
                host: Some("siem.example.com".into()),
                port: Some(10514),
                ca_file: Some("/etc/ssl/siem-ca.pem".into()),
            },
            check_for_updates: Some(false),
            update_feed_url: Some("https://mirror.corp.example/recording-desk/latest.json".into()),
        }
    );
    assert_eq!(p.locked(), SettingName::ALL);
    assert_eq!(
        p.collector(),
        Some(crate::audit::CollectorConfig {
            host: "siem.example.com".into(),
            port: 10514,
            ca_file: Some("/etc/ssl/siem-ca.pem".into()),
        })
    );
    assert_eq!(Policy::default().locked(), []);
}

/// The collector needs its host; the port is 6514 when left out; a port out of range is named.
#[test]
fn the_organisation_sets_the_collector_by_its_host() {
    let read = json(r#"{"syslogCollectorHost": "siem.example.com"}"#);
    assert_eq!(
        read.policy.collector(),
        Some(crate::audit::CollectorConfig {
            host: "siem.example.com".into(),
            port: 6514,
            ca_file: None,
        })
    );
    let read = json(r#"{"syslogCollectorPort": 70000, "syslogCollectorCaFile": "ca.pem"}"#);
    assert_eq!(read.policy.collector(), None, "no host, no collector");
    assert_eq!(
        read.problems,
        [
            "\u{201c}syslogCollectorPort\u{201d} should be a whole number from 1 to 65535, so it \
          was left out"
        ]
    );
}

#[test]
fn unknown_keys_and_wrong_values_are_left_out_and_named() {
    let read = json(
        r#"{"requireCase": true, "colour": "blue", "requireReason": "yes",
            "concurrency": 500, "notifyUser": "sometimes", "clientId": "my client",
            "region": "ap-s", "notifyUserDefault": 1, "demoSiteOffered": null}"#,
    );
    assert_eq!(
        read.policy.require_case,
        Some(true),
        "valid keys still apply"
    );
    assert_eq!(read.policy.account.region, Some(Region::ApS));
    assert_eq!(read.policy.notify_user_default, Some(true), "1 is true");
    assert_eq!(read.policy.require_reason, None);
    assert_eq!(read.policy.concurrency, None);
    assert_eq!(read.policy.notify_user, None);
    assert_eq!(read.policy.account.client_id, None);
    assert_eq!(read.policy.demo_site_offered, None);
    let problems = read.problems.join("\n");
    for named in [
        "\u{201c}colour\u{201d} is not a Recording Desk setting",
        "\u{201c}requireReason\u{201d} should be true or false",
        "\u{201c}concurrency\u{201d} should be a whole number from 1 to 64",
        "\u{201c}notifyUser\u{201d} should be \u{201c}ask\u{201d}, \u{201c}always\u{201d} or \u{201c}never\u{201d}",
        "\u{201c}clientId\u{201d} should be the API client's ID",
        "\u{201c}demoSiteOffered\u{201d} should be true or false",
    ] {
        assert!(problems.contains(named), "{named} in {problems}");
    }
    assert_eq!(read.problems.len(), 6);
}

#[test]
fn a_file_that_is_not_a_json_object_gives_no_policy() {
    for bad in [&b"{\"requireCase\": tru"[..], b"[true]", b"\xff\xfe"] {
        let e = file::parse(bad).expect_err("not a policy");
        assert!(e.starts_with("the file "), "{e}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_missing_file_is_no_policy_and_no_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (policy, notices) = PolicySource::file(dir.path().join("policy.json")).read();
    assert_eq!(policy, Policy::default());
    assert!(notices.is_empty());
}

#[test]
fn an_unreadable_file_is_told_in_plain_words_and_the_app_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = write(dir.path(), "policy.json", "{\"requireCase\": true,");
    let (policy, notices) = PolicySource::file(broken.clone()).read();
    assert_eq!(policy, Policy::default());
    assert_eq!(notices.len(), 1);
    let n = &notices[0];
    assert!(
        n.starts_with("Your organisation's settings for Recording Desk could not be read: "),
        "{n}"
    );
    assert!(n.contains(&broken.display().to_string()), "{n}");
    assert!(n.ends_with("Tell your IT department."), "{n}");

    // A folder where the file should be cannot be read either (Windows calls it access denied).
    let (_, notices) = PolicySource::file(dir.path().to_owned()).read();
    assert!(
        notices[0].contains("Recording Desk goes on without them"),
        "{notices:?}"
    );

    let partly = write(
        dir.path(),
        "partly.json",
        r#"{"requireCase": true, "requireReason": "yes"}"#,
    );
    let (policy, notices) = PolicySource::file(partly).read();
    assert_eq!(policy.require_case, Some(true));
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].starts_with(
            "Some of your organisation's settings for Recording Desk could not be read: \
             \u{201c}requireReason\u{201d} should be true or false"
        ),
        "{notices:?}"
    );
    assert!(notices[0].contains("Recording Desk uses the others. Tell your IT department."));
}

#[test]
fn the_first_source_wins_and_the_others_fill_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let machine = write(
        dir.path(),
        "machine.json",
        r#"{"requireCase": true, "notifyUser": "always"}"#,
    );
    let user = write(
        dir.path(),
        "user.json",
        r#"{"requireCase": false, "notifyUser": "never", "concurrency": 4}"#,
    );
    let source = PolicySource {
        layers: vec![Layer::Json(machine), Layer::Json(user)],
    };
    let (policy, _) = source.read();
    assert_eq!(policy.require_case, Some(true));
    assert_eq!(policy.notify_user, Some(NotifyChoice::Always));
    assert_eq!(policy.concurrency, Some(4));
}

#[test]
fn the_extra_file_comes_after_the_os_source() {
    // The test-and-packager file can add settings but never undo what IT set.
    let source = PolicySource::for_this_computer();
    if let Some(extra) = std::env::var_os(POLICY_FILE_ENV) {
        assert_eq!(
            source.layers().last(),
            Some(&Layer::Json(PathBuf::from(extra)))
        );
    }
    #[cfg(target_os = "linux")]
    assert_eq!(
        source.layers().first(),
        Some(&Layer::Json(PathBuf::from(LINUX_POLICY_FILE)))
    );
}

fn xml_plist(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>{body}</dict></plist>"#
    )
}

#[test]
fn an_xml_plist_of_managed_preferences_is_read() {
    let read = macos::parse(
        xml_plist(
            "<key>requireCase</key><true/><key>notifyUser</key><string>never</string>\
             <key>concurrency</key><integer>12</integer><key>requireReason</key><real>1.5</real>",
        )
        .as_bytes(),
    )
    .expect("plist");
    assert_eq!(read.policy.require_case, Some(true));
    assert_eq!(read.policy.notify_user, Some(NotifyChoice::Never));
    assert_eq!(read.policy.concurrency, Some(12));
    assert_eq!(read.policy.require_reason, None);
    assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
    assert!(read.problems[0].contains("requireReason"));
}

#[test]
fn a_binary_plist_of_managed_preferences_is_read() {
    let mut dict = plist::Dictionary::new();
    dict.insert("requireReason".into(), plist::Value::Boolean(true));
    dict.insert("demoSiteOffered".into(), plist::Value::Boolean(false));
    dict.insert("region".into(), plist::Value::String("jp".into()));
    dict.insert("customerId".into(), plist::Value::String("acme".into()));
    let mut bytes = Vec::new();
    plist::Value::Dictionary(dict)
        .to_writer_binary(&mut bytes)
        .expect("binary plist");
    assert!(bytes.starts_with(b"bplist00"));
    let read = macos::parse(&bytes).expect("plist");
    assert!(read.problems.is_empty());
    assert_eq!(read.policy.require_reason, Some(true));
    assert_eq!(read.policy.demo_site_offered, Some(false));
    assert_eq!(read.policy.account.region, Some(Region::Jp));
    assert_eq!(read.policy.account.customer_id.as_deref(), Some("acme"));

    assert!(macos::parse(b"not a plist").is_err());
    assert!(macos::parse(
        xml_plist("")
            .replace("<dict></dict>", "<array/>")
            .as_bytes()
    )
    .is_err());
}

#[test]
fn managed_preferences_are_the_computers_then_the_users() {
    assert_eq!(
        macos::managed_preferences("jane"),
        [
            PathBuf::from("/Library/Managed Preferences/com.recordingdesk.desk.plist"),
            PathBuf::from("/Library/Managed Preferences/jane/com.recordingdesk.desk.plist"),
        ]
    );
}

fn base() -> Settings {
    Settings::from(&StoredSettings::default())
}

#[test]
fn policy_values_win_over_the_officers_and_are_listed_as_locked() {
    let policy = json(r#"{"requireCase": true, "notifyUser": "never", "concurrency": 4}"#).policy;
    let mine = Settings {
        concurrency: 32,
        require_case: false,
        require_reason: true,
        notify_user_default: true,
        ..base()
    };
    let s = policy.apply(mine);
    assert_eq!(s.concurrency, 4);
    assert!(s.require_case);
    assert!(
        s.require_reason,
        "not set by the organisation: the officer's"
    );
    assert!(!s.notify_user_default, "a forced choice is the default too");
    assert_eq!(s.notify_user, NotifyChoice::Never);
    assert_eq!(
        s.locked,
        [
            SettingName::RequireCase,
            SettingName::NotifyUserDefault,
            SettingName::NotifyUser,
            SettingName::Concurrency
        ]
    );
    assert!(s.required().case_ref);

    // "ask" leaves the choice to the officer.
    let ask = json(r#"{"notifyUser": "ask"}"#).policy;
    let s = ask.apply(base());
    assert_eq!(s.notify_user, NotifyChoice::Ask);
    assert!(s.locked.is_empty());
}

#[test]
fn a_change_to_a_locked_setting_is_refused_with_a_plain_message() {
    let policy = json(r#"{"requireCase": true}"#).policy;
    let now = policy.apply(base());
    let unlocked_change = Settings {
        concurrency: 3,
        require_reason: true,
        ..now.clone()
    };
    assert!(policy.refuse_locked_changes(&now, &unlocked_change).is_ok());
    let locked_change = Settings {
        require_case: false,
        concurrency: 3,
        ..now.clone()
    };
    let e = policy
        .refuse_locked_changes(&now, &locked_change)
        .expect_err("locked");
    assert_eq!(e.kind(), ErrorKind::SetByOrganisation);
    assert_eq!(
        e.message(),
        "\u{201c}Require a case or ticket reference\u{201d} is set by your organisation, so it \
         cannot be changed here. Nothing was saved. If it needs to change, ask your IT department."
    );
}

#[test]
fn a_forced_notify_choice_refuses_the_other_choice() {
    let never = json(r#"{"notifyUser": "never"}"#).policy;
    assert!(never
        .check_action(&Action::Start { notify_user: false })
        .is_ok());
    assert!(never.check_action(&Action::Stop).is_ok());
    let e = never
        .check_action(&Action::Start { notify_user: true })
        .expect_err("forced");
    assert_eq!(e.kind(), ErrorKind::SetByOrganisation);
    assert!(e.message().contains("Nothing was sent"), "{}", e.message());
    let always = json(r#"{"notifyUser": "always"}"#).policy;
    assert!(always
        .check_action(&Action::Start { notify_user: false })
        .is_err());
    assert!(Policy::default()
        .check_action(&Action::Start { notify_user: true })
        .is_ok());
}

#[test]
fn only_the_account_the_organisation_set_can_sign_in() {
    let p = json(&format!(
        r#"{{"region": "eu", "customerId": "acme", "clientId": "{CLIENT}"}}"#
    ))
    .policy;
    assert!(p
        .check_account(Region::Eu, " ACME ", &CLIENT.to_uppercase())
        .is_ok());
    let wrong_region = p
        .check_account(Region::Us, "acme", CLIENT)
        .expect_err("region");
    assert!(wrong_region
        .message()
        .contains("this region is not the one"));
    let wrong_customer = p
        .check_account(Region::Eu, "other", CLIENT)
        .expect_err("customer");
    assert!(wrong_customer
        .message()
        .contains("this customer ID is not the one"));
    assert!(Policy::default()
        .check_account(Region::Jp, "x", CLIENT)
        .is_ok());
    assert!(json(r#"{"demoSiteOffered": false}"#)
        .policy
        .check_demo()
        .is_err());
    assert!(json(r#"{"demoSiteOffered": true}"#)
        .policy
        .check_demo()
        .is_ok());
}

/// A desk as the window opens it, with the organisation's file at `policy`.
fn desk(dir: &Path, policy: &Path) -> Desk {
    Desk::open(DeskOptions {
        paths: AppPaths::in_folder(dir),
        vault: Vault::new(Arc::new(MemoryStore::default())),
        cloud_url: None,
        notices: Vec::new(),
        remember_mode: true,
        trail_namespace: None,
        policy: PolicySource::file(policy.to_owned()),
    })
}

#[tokio::test]
async fn the_desk_applies_the_policy_and_refuses_to_save_a_locked_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write(
        dir.path(),
        "policy.json",
        r#"{"requireCase": true, "notifyUser": "never", "demoSiteOffered": false}"#,
    );
    let desk = desk(dir.path(), &policy);
    let s = desk.settings();
    assert!(s.require_case);
    assert!(!s.demo_site_offered);
    assert!(desk.status().await.notices.is_empty());

    // An unlocked change is saved; the organisation's values are not written to the file.
    let saved = desk
        .update_settings(&Settings {
            concurrency: 5,
            require_reason: true,
            ..s.clone()
        })
        .expect("unlocked fields save");
    assert_eq!((saved.concurrency, saved.require_reason), (5, true));
    assert!(saved.require_case);
    let stored = desk.stored_settings();
    assert_eq!(stored.concurrency, 5);
    assert!(!stored.require_case, "the officer's own value is kept");
    assert!(stored.notify_user_default);

    let e = desk
        .update_settings(&Settings {
            require_case: false,
            concurrency: 6,
            ..saved.clone()
        })
        .expect_err("locked");
    assert_eq!(e.kind(), ErrorKind::SetByOrganisation);
    assert_eq!(desk.stored_settings().concurrency, 5, "nothing was saved");

    // The run refuses the other notify choice, and a run without the case, before anything.
    let sink: crate::run::EventSink = Arc::new(|_| {});
    let ids = ["sess-1".to_owned()];
    let e = desk
        .run(
            Action::Start { notify_user: true },
            &ids,
            &Justification::default(),
            sink.clone(),
        )
        .await
        .expect_err("notify refused");
    assert_eq!(e.kind(), ErrorKind::SetByOrganisation);
    let e = desk
        .check_justification(&Justification::default())
        .expect_err("case required");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = desk.connect_demo().await.expect_err("no demo site");
    assert_eq!(e.kind(), ErrorKind::SetByOrganisation);

    // IT lifts the policy: the officer's own settings are back, at once.
    std::fs::remove_file(&policy).expect("remove");
    let s = desk.settings();
    assert!(!s.require_case);
    assert!(s.locked.is_empty());
    assert_eq!(s.notify_user, NotifyChoice::Ask);
}

#[tokio::test]
async fn a_broken_policy_is_one_notice_however_often_it_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write(dir.path(), "policy.json", "{ not json");
    let desk = desk(dir.path(), &policy);
    for _ in 0..3 {
        assert!(desk.settings().locked.is_empty());
    }
    let notices = desk.status().await.notices;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("could not be read"));
}

/// The collector the organisation set is the one the trail is forwarded to, over the officer's
/// own (and the Audit screen names it).
#[tokio::test]
async fn the_trail_goes_to_the_collector_the_organisation_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = AppPaths::in_folder(dir.path());
    std::fs::create_dir_all(paths.settings_file().parent().expect("folder")).expect("mkdir");
    std::fs::write(
        paths.settings_file(),
        r#"{"settings": {"syslogCollector": {"host": "officer.example.com"}}}"#,
    )
    .expect("settings");
    let policy = write(
        dir.path(),
        "policy.json",
        r#"{"syslogCollectorHost": "127.0.0.1", "syslogCollectorPort": 9}"#,
    );
    let desk = desk(dir.path(), &policy);
    let view = desk
        .audit_view(crate::audit::AuditFilter::default(), Some(1))
        .await
        .expect("view");
    let collector = view
        .witnesses
        .and_then(|w| w.collector)
        .expect("a collector");
    assert_eq!(collector.target, "127.0.0.1:9");
    assert!(desk
        .settings()
        .locked
        .contains(&SettingName::SyslogCollectorHost));
}

/// The update feed is fetched over TLS only: another address is named, and left out.
#[test]
fn the_update_feed_mirror_must_be_an_https_address() {
    for bad in [
        r#"{"updateFeedUrl": "http://mirror.corp.example/latest.json"}"#,
        r#"{"updateFeedUrl": "mirror.corp.example"}"#,
        r#"{"updateFeedUrl": true}"#,
    ] {
        let read = json(bad);
        assert_eq!(read.policy.update_feed_url, None, "{bad}");
        assert_eq!(read.problems.len(), 1, "{bad}");
        assert!(
            read.problems[0].contains("\u{201c}updateFeedUrl\u{201d} should be"),
            "{:?}",
            read.problems
        );
    }
    let read = json(r#"{"checkForUpdates": 0}"#);
    assert_eq!(read.policy.check_for_updates, Some(false));
    assert_eq!(read.policy.locked(), [SettingName::CheckForUpdates]);
}

/// Turned off by the organisation: shown off and locked, and the officer cannot turn it on.
#[test]
fn the_organisation_turns_update_checks_off_and_locks_them() {
    let p = json(r#"{"checkForUpdates": false}"#).policy;
    let stored = StoredSettings::default();
    assert!(stored.check_for_updates, "on unless turned off");
    let now = p.apply(crate::settings::Settings::from(&stored));
    assert!(!now.check_for_updates);
    assert!(now.locked.contains(&SettingName::CheckForUpdates));
    let mut asked = now.clone();
    asked.check_for_updates = true;
    let refused = p.refuse_locked_changes(&now, &asked).expect_err("locked");
    assert_eq!(refused.kind(), ErrorKind::SetByOrganisation);
    assert!(Policy::default()
        .refuse_locked_changes(&now, &asked)
        .is_ok());
}
