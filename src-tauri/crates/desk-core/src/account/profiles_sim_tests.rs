//! Profiles through the [`Desk`], against the Citrix Cloud simulator over real HTTP: two saved
//! accounts, each with its own keychain entry, switched without asking for a secret again; the
//! records of a run name the profile; removing one leaves the other and the audit trail.
//! Run with an in-memory keychain and with the real one.

use std::sync::Arc;

use citrix_cloud::bulk::Action;
use citrix_cloud::Region;
use citrix_sim::{SimConfig, Simulator, SpecialSessions, VisibleCustomer, VisibleSite};

use super::{DEMO_ID, DEMO_NAME};
use crate::account::{Mode, SignIn};
use crate::audit::AuditFilter;
use crate::error::{ErrorKind, InputField};
use crate::paths::AppPaths;
use crate::run::Justification;
use crate::vault::{self, memory::MemoryStore, KeyringStore, SecretStore, Vault};
use crate::{Desk, DeskOptions};

const CLIENT_ID: &str = "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1";
const OTHER_CUSTOMER: &str = "globex77";

fn config() -> SimConfig {
    SimConfig {
        client_id: CLIENT_ID.into(),
        // The API client can also see a second customer: a second account on one simulator.
        other_customers: vec![VisibleCustomer {
            id: OTHER_CUSTOMER.into(),
            name: Some("Globex".into()),
            sites: vec![VisibleSite {
                id: "globex-site".into(),
                name: "Globex site".into(),
            }],
        }],
        ..SimConfig::default()
    }
}

fn open(dir: &std::path::Path, sim: &Simulator, store: Arc<dyn SecretStore>) -> Desk {
    Desk::open(DeskOptions {
        paths: AppPaths::in_folder(dir),
        vault: Vault::new(store),
        cloud_url: Some(sim.url()),
        notices: Vec::new(),
        remember_mode: true,
        trail_namespace: Some(format!("test-{}", uuid::Uuid::new_v4())),
        policy: crate::policy::PolicySource::none(),
    })
}

/// Writes a settings file as the single-account version did, in the app's folders under `dir`.
fn old_settings(
    dir: &std::path::Path,
    config: &SimConfig,
    secret_stored: bool,
    last_mode: &str,
) -> std::path::PathBuf {
    let file = AppPaths::in_folder(dir).settings_file();
    std::fs::create_dir_all(file.parent().expect("folder")).expect("folder");
    let settings = serde_json::json!({ "settings": {
        "account": {
            "region": "eu",
            "customerId": config.customer_id,
            "clientId": CLIENT_ID,
            "secretStored": secret_stored,
        },
        "lastMode": last_mode,
        "siteId": config.site_id,
        "concurrency": 8,
    }});
    std::fs::write(&file, settings.to_string()).expect("an old settings file");
    file
}

fn form(customer: &str, secret: Option<&str>, name: Option<&str>) -> SignIn {
    SignIn {
        region: Region::Eu,
        customer_id: customer.into(),
        client_id: CLIENT_ID.into(),
        secret: secret.map(str::to_owned),
        name: name.map(str::to_owned),
        profile_id: None,
    }
}

fn id_of(desk: &Desk, name: &str) -> String {
    desk.profiles()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no profile {name}"))
        .id
}

fn current(desk: &Desk) -> String {
    desk.profiles()
        .into_iter()
        .find(|p| p.current)
        .map(|p| p.name)
        .unwrap_or_default()
}

async fn two_profiles_each_with_its_secret(store: Arc<dyn SecretStore>) {
    let config = config();
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let desk = open(dir.path(), &sim, Arc::clone(&store));
    let secret = Some(config.client_secret.as_str());
    let acme_entry = vault::account(&config.customer_id, CLIENT_ID);
    let globex_entry = vault::account(OTHER_CUSTOMER, CLIENT_ID);

    let acme = desk
        .sign_in(form(&config.customer_id, secret, Some(" Acme EU ")))
        .await
        .expect("first account");
    assert_eq!(acme.profile.as_deref(), Some("Acme EU"));
    assert_eq!(current(&desk), "Acme EU");

    // Refused before anything is sent: a taken name, the same customer and client again.
    let tokens = sim.control().token_requests();
    let err = desk
        .sign_in(form(OTHER_CUSTOMER, secret, Some("acme eu")))
        .await
        .expect_err("name taken");
    assert_eq!(err.to_ipc().field, Some(InputField::ProfileName));
    let err = desk
        .sign_in(form(&config.customer_id, secret, Some("Acme again")))
        .await
        .expect_err("same account twice");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.message().contains("already saved as \"Acme EU\""),
        "{}",
        err.message()
    );
    assert_eq!(sim.control().token_requests(), tokens, "nothing was sent");

    let globex = desk
        .sign_in(form(OTHER_CUSTOMER, secret, Some("Globex US")))
        .await
        .expect("second account");
    assert_eq!(globex.customer_id, OTHER_CUSTOMER);
    assert_eq!(globex.site_id.as_deref(), Some("globex-site"));
    assert_eq!(current(&desk), "Globex US");
    for entry in [&acme_entry, &globex_entry] {
        assert!(
            store.get(entry).ok().flatten().is_some(),
            "{entry} in the keychain"
        );
    }
    assert_eq!(
        desk.profiles()
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Acme EU", "Globex US", DEMO_NAME]
    );

    // Switching back uses the keychain's secret: no form, the saved site.
    let back = desk
        .switch_profile(&id_of(&desk, "Acme EU"))
        .await
        .expect("switch without asking");
    assert_eq!(back.customer_id, config.customer_id);
    assert_eq!(back.site_id.as_deref(), Some(config.site_id.as_str()));
    assert_eq!(current(&desk), "Acme EU");

    // A run while connected names the profile in every record.
    let special = SpecialSessions::ids();
    desk.run(
        Action::Start { notify_user: false },
        std::slice::from_ref(&special.recordable),
        &Justification::default(),
        Arc::new(|_| {}),
    )
    .await
    .expect("run");
    assert!(sim.control().is_recording(&special.recordable));

    // No switching, renaming away or removing while a run is in progress.
    {
        let _running = desk.runs.begin().expect("a run");
        let err = desk
            .switch_profile(&id_of(&desk, "Globex US"))
            .await
            .expect_err("refused during a run");
        assert_eq!(err.kind(), ErrorKind::Busy);
        assert!(err.message().contains("run is already in progress"));
        let err = desk
            .remove_profile(&id_of(&desk, "Globex US"))
            .await
            .expect_err("refused during a run");
        assert_eq!(err.kind(), ErrorKind::Busy);
        assert_eq!(current(&desk), "Acme EU");
    }

    // Renamed: the connection and the next records carry the new name.
    desk.rename_profile(&id_of(&desk, "Acme EU"), "Acme Europe")
        .expect("rename");
    assert_eq!(
        desk.status()
            .await
            .connection
            .and_then(|c| c.profile)
            .as_deref(),
        Some("Acme Europe")
    );
    let err = desk
        .rename_profile(&id_of(&desk, "Acme Europe"), "GLOBEX us")
        .expect_err("taken");
    assert_eq!(err.to_ipc().field, Some(InputField::ProfileName));
    desk.run(
        Action::Stop,
        std::slice::from_ref(&special.recordable),
        &Justification::default(),
        Arc::new(|_| {}),
    )
    .await
    .expect("stop");
    let records = desk
        .audit_view(AuditFilter::default(), None)
        .await
        .expect("trail")
        .records;
    let names: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.profile.as_deref().unwrap_or_default(),
                r.customer_id.as_str(),
            )
        })
        .collect();
    let acme_id = config.customer_id.as_str();
    assert_eq!(
        names,
        [
            ("Acme EU", acme_id),
            ("Acme EU", acme_id),
            ("Acme Europe", acme_id),
            ("Acme Europe", acme_id),
        ]
    );

    // The demo site is a profile too.
    let demo = desk.switch_profile(DEMO_ID).await.expect("demo");
    assert_eq!(demo.mode, Mode::Demo);
    assert_eq!(demo.profile.as_deref(), Some(DEMO_NAME));
    assert_eq!(current(&desk), DEMO_NAME);
    let err = desk.remove_profile(DEMO_ID).await.expect_err("built in");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // Removing one account removes its secret only; the trail keeps every record.
    desk.remove_profile(&id_of(&desk, "Globex US"))
        .await
        .expect("remove");
    assert!(store.get(&globex_entry).expect("keychain").is_none());
    assert!(store.get(&acme_entry).expect("keychain").is_some());
    let after = desk
        .audit_view(AuditFilter::default(), None)
        .await
        .expect("trail");
    assert_eq!(after.records.len(), records.len());
    assert!(after.chain.intact, "{}", after.chain.message);

    // Started again, the app offers the same accounts and signs in without asking.
    drop(desk);
    let desk = open(dir.path(), &sim, Arc::clone(&store));
    let status = desk.status().await;
    assert_eq!(
        status
            .profiles
            .iter()
            .map(|p| (p.name.as_str(), p.current))
            .collect::<Vec<_>>(),
        [("Acme Europe", false), (DEMO_NAME, true)]
    );
    let saved = status.saved_account.expect("an account to offer");
    assert_eq!(saved.name, "Acme Europe");
    desk.switch_profile(&saved.profile_id)
        .await
        .expect("no secret asked");

    // Clean up the real keychain.
    desk.remove_profile(&saved.profile_id)
        .await
        .expect("remove");
    assert!(store.get(&acme_entry).expect("keychain").is_none());
}

#[tokio::test]
async fn two_profiles_each_keep_their_secret_in_memory() {
    two_profiles_each_with_its_secret(Arc::new(MemoryStore::default())).await;
}

/// The same against the real platform keychain (the Secret Service on Linux).
#[tokio::test]
async fn two_profiles_each_keep_their_secret_in_the_real_keychain() {
    if vault::no_keychain_here("profiles in the real keychain") {
        return;
    }
    let service = format!("{}.test-profiles-{}", vault::SERVICE, uuid::Uuid::new_v4());
    two_profiles_each_with_its_secret(Arc::new(KeyringStore::new(service))).await;
}

/// A profile whose secret is not stored: switching to it makes it current and asks for the
/// secret (`noSecretStored`), without connecting anywhere.
#[tokio::test]
async fn switching_to_a_profile_without_its_secret_asks_for_it() {
    let config = config();
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    old_settings(dir.path(), &config, false, "demo");
    let desk = open(dir.path(), &sim, Arc::new(MemoryStore::default()));
    assert_eq!(current(&desk), DEMO_NAME);
    let name = format!("Citrix Cloud ({})", config.customer_id);
    let err = desk
        .switch_profile(&id_of(&desk, &name))
        .await
        .expect_err("no secret");
    assert_eq!(err.kind(), ErrorKind::NoSecretStored);
    assert_eq!(current(&desk), name);
    assert_eq!(sim.control().token_requests(), 0);
    assert!(desk.status().await.connection.is_none());
}

/// A settings file of the single-account version, its secret in the real keychain: the app
/// offers it as the current profile and connects with that secret, asking for nothing; the
/// next save writes the profile list and still the single account for an earlier version.
#[tokio::test]
async fn an_old_single_account_install_connects_with_its_keychain_secret() {
    if vault::no_keychain_here("old settings with the real keychain") {
        return;
    }
    let config = config();
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = old_settings(dir.path(), &config, true, "cloud");
    let service = format!(
        "{}.test-old-layout-{}",
        vault::SERVICE,
        uuid::Uuid::new_v4()
    );
    let keychain = Arc::new(KeyringStore::new(service));
    let entry = vault::account(&config.customer_id, CLIENT_ID);
    keychain
        .set(
            &entry,
            &citrix_cloud::Secret::new(config.client_secret.clone()),
        )
        .expect("the old version's secret");

    let desk = open(dir.path(), &sim, keychain.clone());
    let saved = desk.status().await.saved_account.expect("the old account");
    let name = format!("Citrix Cloud ({})", config.customer_id);
    assert_eq!(saved.name, name);
    assert_eq!(current(&desk), name);
    let connected = desk
        .switch_profile(&saved.profile_id)
        .await
        .expect("connected with the keychain's secret");
    assert_eq!(connected.site_id.as_deref(), Some(config.site_id.as_str()));
    assert_eq!(connected.profile.as_deref(), Some(name.as_str()));

    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let s = &written["settings"];
    assert_eq!(s["profiles"][0]["name"], name.as_str());
    assert_eq!(s["currentProfile"], saved.profile_id.as_str());
    assert_eq!(
        s["account"]["customerId"],
        config.customer_id.as_str(),
        "for an earlier version"
    );
    assert_eq!(s["siteId"], config.site_id.as_str());
    assert_eq!(s["concurrency"], 8);
    keychain.delete(&entry).expect("clean up");
}
