//! The app's flows (connect, search, look-up, a recording run with its audit trail, signing in
//! through the [`crate::Desk`]) against the Citrix Cloud simulator over real HTTP: the same client
//! and code paths every front end uses, without a window.

use std::sync::{Arc, Mutex};

use citrix_cloud::bulk::{Action, BulkOptions};
use citrix_cloud::{Credentials, Endpoints, Region, Secret, SessionId};
use citrix_sim::{SimConfig, Simulator, SpecialSessions};
use tokio_util::sync::CancellationToken;

use crate::account::{self, ConnectRequest, Connected, Mode};
use crate::audit::{AuditEvent, AuditLog};
use crate::error::ErrorKind;
use crate::run::{self, RunEvent, RunRequest, RunSlot, RunStatus};
use crate::sessions::{self, RowCache, SessionQueryInput, StateFilter};

async fn simulator() -> (Simulator, SimConfig) {
    let config = SimConfig::default();
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    (sim, config)
}

fn request(sim: &Simulator, config: &SimConfig, secret: &str) -> ConnectRequest {
    ConnectRequest {
        mode: Mode::Cloud,
        region: Some(Region::Eu),
        endpoints: Endpoints::with_base(&sim.url()),
        credentials: Credentials {
            customer_id: config.customer_id.clone(),
            client_id: config.client_id.clone(),
            secret: Secret::new(secret.to_owned()),
        },
        preferred_site: None,
    }
}

async fn connected(sim: &Simulator, config: &SimConfig) -> Connected {
    account::connect(request(sim, config, &config.client_secret))
        .await
        .expect("connect")
}

#[tokio::test]
async fn connecting_checks_the_credentials_and_picks_the_only_site() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    assert_eq!(c.info.mode, Mode::Cloud);
    assert_eq!(c.info.customer_id, config.customer_id);
    assert_eq!(c.info.sites.len(), 1);
    assert_eq!(c.info.sites[0].name, config.site_name);
    assert_eq!(c.info.site_id.as_deref(), Some(config.site_id.as_str()));
    assert!(sim.control().token_requests() >= 1);
}

/// A token for a customer the API client cannot see (the simulator grants one, then refuses
/// every call naming that customer): the connection is refused, never made to another customer
/// the client can see.
#[tokio::test]
async fn a_customer_the_api_client_cannot_see_is_never_switched_for_another() {
    let config = SimConfig {
        unseen_customer_tokens: citrix_sim::UnseenCustomerTokens::Grant,
        other_customers: vec![citrix_sim::VisibleCustomer {
            id: "fabrikam".into(),
            name: Some("Fabrikam".into()),
            sites: Vec::new(),
        }],
        ..SimConfig::default()
    };
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    let mut req = request(&sim, &config, &config.client_secret);
    req.credentials.customer_id = "northwind".into();
    let err = account::connect(req).await.err().expect("refused");
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");

    // Where `/me` answers for the unseen customer too, the refusal names the customers the API
    // client can see, under the customer ID field.
    sim.control()
        .set_unseen_customer_tokens(citrix_sim::UnseenCustomerTokens::GrantMeLists);
    let mut req = request(&sim, &config, &config.client_secret);
    req.credentials.customer_id = "northwind".into();
    let err = account::connect(req).await.err().expect("refused");
    assert_eq!(
        err.to_ipc().field,
        Some(crate::error::InputField::CustomerId),
        "{err}"
    );
    assert_eq!(
        err.message(),
        format!(
            "This API client cannot see customer “northwind”. The customer IDs it can see: {}, \
             fabrikam (Fabrikam). Enter one of these, or use an API client of customer \
             “northwind”.",
            match &config.customer_name {
                Some(name) => format!("{} ({name})", config.customer_id),
                None => config.customer_id.clone(),
            }
        )
    );
    assert_eq!(
        sim.control().status_requests(),
        Vec::<String>::new(),
        "nothing was asked of the unseen customer's sessions"
    );

    // The visible customer, in other letters, is connected as itself.
    let mut req = request(&sim, &config, &config.client_secret);
    req.credentials.customer_id = config.customer_id.to_uppercase();
    let c = account::connect(req).await.expect("connect");
    assert_eq!(c.info.sites.len(), 1);
}

#[tokio::test]
async fn connection_failures_have_their_own_kind_and_message() {
    let (sim, config) = simulator().await;

    let err = account::connect(request(&sim, &config, "wrong-secret"))
        .await
        .err()
        .expect("bad secret");
    assert_eq!(err.kind(), ErrorKind::BadCredentials);
    assert!(
        err.message()
            .contains("did not accept this client ID and secret"),
        "{}",
        err.message()
    );

    sim.control().set_forbidden_region(true);
    let err = account::connect(request(&sim, &config, &config.client_secret))
        .await
        .err()
        .expect("wrong region");
    assert_eq!(err.kind(), ErrorKind::WrongRegion);
    assert!(
        err.message().contains("European Union"),
        "{}",
        err.message()
    );
    sim.control().set_forbidden_region(false);

    sim.control().set_site_asleep(true);
    let err = account::connect(request(&sim, &config, &config.client_secret))
        .await
        .err()
        .expect("asleep");
    assert_eq!(err.kind(), ErrorKind::SiteAsleep);
    // The wake-up call is made in the background.
    for _ in 0..100 {
        if sim.control().activation_requests() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        sim.control().activation_requests() > 0,
        "site was not woken"
    );

    let url = sim.url();
    sim.shutdown().await;
    let mut req = request_for_url(&url, &config);
    req.region = Some(Region::Us);
    let err = account::connect(req).await.err().expect("offline");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        err.message().contains("could not reach 127.0.0.1"),
        "{}",
        err.message()
    );
}

fn request_for_url(url: &url::Url, config: &SimConfig) -> ConnectRequest {
    ConnectRequest {
        mode: Mode::Cloud,
        region: Some(Region::Us),
        endpoints: Endpoints::with_base(url),
        credentials: Credentials {
            customer_id: config.customer_id.clone(),
            client_id: config.client_id.clone(),
            secret: Secret::new(config.client_secret.clone()),
        },
        preferred_site: None,
    }
}

#[tokio::test]
async fn search_leaves_the_recording_status_to_be_asked_for_the_rows_in_view() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    sim.control().set_recording(&special.recordable, true);

    let (client, site) = c.site().expect("site");
    let query = SessionQueryInput {
        user: Some("jsmith".into()),
        state: StateFilter::Any,
        ..Default::default()
    };
    let page = sessions::search(client, site, &query, None)
        .await
        .expect("search");
    assert!(page.items.len() > 1, "Jane Smith has several sessions");
    assert!(
        page.items
            .iter()
            .all(|r| !r.recording_checked && r.recording.is_none()),
        "no row claims a status Citrix was not asked for"
    );
    assert_eq!(
        sim.control().status_requests(),
        Vec::<String>::new(),
        "a search asks Citrix nothing about recording"
    );

    // The front end then asks for the rows the officer sees: only those reach Citrix.
    let other = page
        .items
        .iter()
        .find(|r| r.id != special.recordable)
        .expect("another session")
        .id
        .clone();
    let asked = vec![
        special.recordable.clone(),
        other.clone(),
        "not-a-session-id".into(),
    ];
    let statuses = sessions::recording_statuses(client, site, asked).await;
    let by_id: Vec<_> = statuses
        .iter()
        .map(|s| (s.id.as_str(), s.recording))
        .collect();
    assert_eq!(
        by_id,
        vec![
            (special.recordable.as_str(), Some(true)),
            (other.as_str(), Some(sim.control().is_recording(&other))),
            ("not-a-session-id", None),
        ]
    );
    let mut seen = sim.control().status_requests();
    seen.sort();
    let mut expected = vec![special.recordable.clone(), other];
    expected.sort();
    assert_eq!(
        seen, expected,
        "exactly the asked sessions; a malformed ID is never sent"
    );

    let all = sessions::search(client, site, &SessionQueryInput::default(), None)
        .await
        .expect("search all");
    assert_eq!(all.items.len(), sessions::PAGE_SIZE as usize);
    assert!(
        all.continuation.is_some(),
        "240 sessions do not fit on a page"
    );
    let rdp = all
        .items
        .iter()
        .find(|r| r.id == special.rdp)
        .expect("rdp row");
    assert!(!rdp.recordable);
    assert!(rdp.not_recordable_reason.is_some());
}

#[tokio::test]
async fn lookup_reports_invalid_and_ended_sessions_per_id() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    sim.control().end_session(&special.connected);
    let (client, site) = c.site().expect("site");
    let api_before = sim.control().api_requests();

    let results = sessions::lookup(
        client,
        site,
        vec![
            special.recordable.to_uppercase(),
            "not-a-session".into(),
            special.connected.clone(),
        ],
    )
    .await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].id, special.recordable, "canonical form");
    assert!(results[0].row.is_some());
    assert_eq!(
        results[1].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::InvalidSessionId)
    );
    let ended = results[2].error.as_ref().expect("ended");
    assert_eq!(ended.kind, ErrorKind::NotFound);
    assert_eq!(
        ended.message,
        "This session has ended or does not exist on this site."
    );
    // One request per well-formed ID; the recording status is asked for later, by the rows in view.
    assert_eq!(sim.control().api_requests() - api_before, 2);
    assert_eq!(sim.control().status_requests(), Vec::<String>::new());
    assert!(!results[0].row.as_ref().expect("row").recording_checked);
}

const START_QUIETLY: Action = Action::Start { notify_user: false };
const START_AND_NOTIFY: Action = Action::Start { notify_user: true };

fn run_request(action: Action, ids: &[&str]) -> RunRequest {
    RunRequest {
        run_id: "test-run".into(),
        action,
        ids: ids
            .iter()
            .map(|id| SessionId::parse(id).expect("id"))
            .collect(),
        options: BulkOptions::default(),
        os_user: "officer".into(),
        computer: "DESK-01".into(),
        justification: run::Justification::default(),
    }
}

type Events = Arc<Mutex<Vec<RunEvent>>>;

fn collecting_sink() -> (Events, run::EventSink) {
    let events: Events = Arc::default();
    let sink_events = events.clone();
    let sink: run::EventSink = Arc::new(move |e| sink_events.lock().expect("events").push(e));
    (events, sink)
}

#[tokio::test]
async fn a_run_writes_the_request_before_acting_and_the_outcome_after() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Arc::new(AuditLog::new(dir.path().join("audit.jsonl")));
    let cache = Arc::new(RowCache::default());
    let (events, sink) = collecting_sink();

    let report = run::execute(
        &c,
        log.clone(),
        cache.clone(),
        run_request(START_QUIETLY, &[&special.recordable, &special.rdp]),
        CancellationToken::new(),
        sink,
    )
    .await
    .expect("run");

    assert_eq!(report.total, 2);
    // The test site shows recording as soon as Citrix accepts a start.
    assert_eq!((report.succeeded, report.recording), (1, 1));
    assert_eq!(report.refused, 1, "Citrix refuses to record an RDP session");
    assert!(sim.control().is_recording(&special.recordable));
    assert_eq!(sim.control().notify_user(&special.recordable), Some(false));

    let events = events.lock().expect("events").clone();
    assert!(matches!(events.last(), Some(RunEvent::Done { .. })));
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Finished {
                session_id,
                outcome,
            } => Some((session_id.clone(), outcome.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 2);
    let rdp = &finished
        .iter()
        .find(|(id, _)| *id == special.rdp)
        .expect("rdp")
        .1;
    assert_eq!(rdp.status, RunStatus::Refused);
    assert!(!rdp.accepted && !rdp.answer_lost);
    assert!(rdp.kind.is_some());
    assert!(!sim.control().is_recording(&special.rdp));

    let scan = log.scan().expect("scan");
    assert!(scan.chain.intact, "{}", scan.chain.message);
    let mine: Vec<_> = scan
        .records
        .iter()
        .filter(|r| r.session_id == special.recordable)
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].event, AuditEvent::Requested);
    assert_eq!(mine[1].event, AuditEvent::Outcome);
    assert!(mine[0].seq < mine[1].seq);
    assert_eq!(mine[0].session_user.as_deref(), Some("CONTOSO\\jsmith"));
    assert_eq!(mine[0].machine.as_deref(), Some("CONTOSO\\VDA-FIN-01"));
    assert_eq!(mine[0].notify_user, Some(false));
    assert_eq!(mine[0].os_user, "officer");
    assert_eq!(mine[0].site_id, config.site_id);
    assert_eq!(mine[1].outcome.as_deref(), Some("recording"));
    assert_eq!(
        (mine[1].accepted, mine[1].answer_lost),
        (Some(true), Some(false))
    );
    assert!(cache.last_action(&special.recordable).is_some());
    assert!(crate::audit::unknown_outcomes(&scan.records, None).is_empty());
}

/// The trail becomes unwritable between a session's request and its outcome (disk full, folder
/// removed): the outcome still reaches the UI, flagged, and the report counts it.
#[tokio::test]
async fn an_outcome_that_cannot_be_written_is_flagged_not_shown_as_normal() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let log = Arc::new(AuditLog::new(path.clone()));
    let cache = Arc::new(RowCache::default());
    let (events, sink) = collecting_sink();
    // Look the session up first, so the only slow call is the start itself.
    sessions::fetch_row(
        c.site().expect("site").0,
        &config.site_id,
        &SessionId::parse(&special.recordable).expect("id"),
    )
    .await
    .map(|(row, _)| cache.remember(&[row]))
    .expect("look-up");
    sim.control()
        .set_latency(std::time::Duration::from_millis(400));

    let break_trail = async {
        // Once the request is on disk, put a folder where the file is: every append now fails.
        while !std::fs::read_to_string(&path).is_ok_and(|t| t.contains("\"requested\"")) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        std::fs::remove_file(&path).expect("remove");
        std::fs::create_dir(&path).expect("mkdir");
    };
    let (report, ()) = tokio::join!(
        run::execute(
            &c,
            log.clone(),
            cache,
            run_request(START_QUIETLY, &[&special.recordable]),
            CancellationToken::new(),
            sink,
        ),
        break_trail
    );
    let report = report.expect("run");
    assert_eq!(report.not_audited, 1);
    let events = events.lock().expect("events").clone();
    let outcome = events
        .iter()
        .find_map(|e| match e {
            RunEvent::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("finished");
    assert!(outcome.audit_missing);
    assert_eq!(outcome.status, RunStatus::Recording);
    assert!(sim.control().is_recording(&special.recordable));
}

#[tokio::test]
async fn no_session_is_touched_when_the_audit_trail_cannot_be_written() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    std::fs::create_dir(&path).expect("a folder where the file should be");
    let (events, sink) = collecting_sink();

    let report = run::execute(
        &c,
        Arc::new(AuditLog::new(path)),
        Arc::new(RowCache::default()),
        run_request(START_AND_NOTIFY, &[&special.recordable]),
        CancellationToken::new(),
        sink,
    )
    .await
    .expect("run");

    assert_eq!(report.cancelled, 1, "not sent");
    assert!(!sim.control().is_recording(&special.recordable));
    let events = events.lock().expect("events").clone();
    let outcome = events
        .iter()
        .find_map(|e| match e {
            RunEvent::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("finished");
    assert_eq!(outcome.kind, Some(ErrorKind::AuditUnavailable));
}

#[tokio::test]
async fn a_cancelled_run_acts_on_nothing_and_only_one_run_is_allowed() {
    let slot = RunSlot::default();
    let ticket = slot.begin().expect("first run");
    assert_eq!(slot.begin().err().map(|e| e.kind()), Some(ErrorKind::Busy));
    slot.cancel();
    assert!(ticket.cancel.is_cancelled());
    drop(ticket);
    assert!(slot.begin().is_ok(), "the slot is free again");

    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Arc::new(AuditLog::new(dir.path().join("audit.jsonl")));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (_events, sink) = collecting_sink();
    let report = run::execute(
        &c,
        log.clone(),
        Arc::new(RowCache::default()),
        run_request(START_AND_NOTIFY, &[&special.recordable]),
        cancel,
        sink,
    )
    .await
    .expect("run");
    assert_eq!(report.cancelled, 1);
    assert!(!sim.control().is_recording(&special.recordable));
    assert_eq!(
        sim.control().applied(&special.recordable).map(|a| a.starts),
        Some(0),
        "no request reached the simulator"
    );
    let records = log.scan().expect("scan").records;
    assert_eq!(records.len(), 1, "no request, one record saying so");
    assert_eq!(records[0].event, AuditEvent::Outcome);
    assert_eq!(records[0].outcome.as_deref(), Some("cancelled"));
    assert_eq!(
        records[0].message.as_deref(),
        Some(crate::run::CANCELLED_BEFORE_SENDING)
    );
}

/// Cancelled while Citrix had not yet confirmed the start: the outcome is "not known", an open
/// outcome of the Audit screen. Check again asks Citrix, writes the answer next to the request,
/// and the outcome is no longer open.
#[tokio::test]
async fn an_unknown_outcome_is_open_until_checked_again() {
    let (sim, config) = simulator().await;
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    // Recording shows long after the start: the run is still waiting when it is cancelled.
    sim.control().set_record_delay(
        std::time::Duration::from_secs(60),
        std::time::Duration::ZERO,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let log = Arc::new(AuditLog::new(dir.path().join("audit.jsonl")));
    let cancel = CancellationToken::new();
    let (events, collect) = collecting_sink();
    let on_waiting = cancel.clone();
    let sink: run::EventSink = Arc::new(move |e| {
        if matches!(e, RunEvent::Waiting { .. }) {
            on_waiting.cancel();
        }
        collect(e);
    });
    let report = run::execute(
        &c,
        log.clone(),
        Arc::new(RowCache::default()),
        run_request(START_QUIETLY, &[&special.recordable]),
        cancel,
        sink,
    )
    .await
    .expect("run");
    assert_eq!(report.unknown, 1, "{report:?}");
    let waited = events
        .lock()
        .expect("events")
        .iter()
        .any(|e| matches!(e, RunEvent::Waiting { accepted: true, .. }));
    assert!(waited, "the window was told it waits for Citrix");
    let scan = log.scan().expect("scan");
    let open = crate::audit::unknown_outcomes(&scan.records, None);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].outcome.as_deref(), Some("unknown"));
    assert_eq!(open[0].accepted, Some(true));

    // Citrix has started recording meanwhile.
    sim.control().set_recording(&special.recordable, true);
    let checked = run::check_again(&c, log.clone(), "test-run", &special.recordable)
        .await
        .expect("check");
    assert_eq!(checked.status, RunStatus::Recording);
    assert!(sim.control().is_recording(&special.recordable));
    assert!(!checked.audit_missing);
    let scan = log.scan().expect("scan");
    assert!(scan.chain.intact, "{}", scan.chain.message);
    let last = scan.records.last().expect("record");
    assert_eq!(last.event, AuditEvent::Check);
    assert_eq!(
        (last.run_id.as_str(), last.outcome.as_deref()),
        ("test-run", Some("recording"))
    );
    assert!(crate::audit::unknown_outcomes(&scan.records, None).is_empty());

    let err = run::check_again(&c, log, "another-run", &special.recordable)
        .await
        .expect_err("no such request");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

mod sign_in {
    use super::*;
    use crate::paths::AppPaths;
    use crate::vault::{memory::MemoryStore, Vault};
    use crate::{Desk, DeskOptions};

    const CLIENT_ID: &str = "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1";

    struct Setup {
        sim: Simulator,
        config: SimConfig,
        desk: Desk,
        store: Arc<MemoryStore>,
        _dir: tempfile::TempDir,
    }

    async fn setup(store: MemoryStore) -> Setup {
        let config = SimConfig {
            client_id: CLIENT_ID.into(),
            ..SimConfig::default()
        };
        let sim = Simulator::start(config.clone()).await.expect("simulator");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(store);
        let desk = Desk::open(DeskOptions {
            paths: AppPaths::in_folder(dir.path()),
            vault: Vault::new(store.clone()),
            cloud_url: Some(sim.url()),
            notices: Vec::new(),
            remember_mode: true,
            trail_namespace: None,
            policy: crate::policy::PolicySource::none(),
        });
        Setup {
            sim,
            config,
            desk,
            store,
            _dir: dir,
        }
    }

    async fn sign_in(
        desk: &Desk,
        config: &SimConfig,
        secret: Option<&str>,
    ) -> crate::Result<crate::account::ConnectionInfo> {
        desk.connect_cloud(
            Region::Us,
            format!("  {} ", config.customer_id),
            format!("{CLIENT_ID}\t"),
            secret.map(str::to_owned),
        )
        .await
    }

    fn stored(store: &MemoryStore) -> Vec<(String, String)> {
        let mut v: Vec<_> = store
            .entries
            .lock()
            .expect("entries")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort();
        v
    }

    /// The settings require a reason and a case: a run without a case sends nothing; a run with
    /// both writes them, and the name the officer sees, into every record; the Audit screen
    /// finds the records by case and by display name; the reason and case are offered again.
    #[tokio::test]
    async fn a_run_carries_its_reason_case_and_display_name_into_every_record() {
        use crate::audit::AuditFilter;
        use crate::error::InputField;
        use crate::run::Justification;

        let Setup {
            sim,
            config,
            desk,
            store: _store,
            _dir,
        } = setup(MemoryStore::default()).await;
        sign_in(&desk, &config, Some(&config.client_secret))
            .await
            .expect("sign in");
        let mut settings = desk.settings();
        settings.require_reason = true;
        settings.require_case = true;
        desk.update_settings(&settings).expect("settings");
        let special = SpecialSessions::ids();
        let ids = [special.recordable.clone()];

        let no_case = Justification {
            reason: "HR request".into(),
            case_ref: "  ".into(),
        };
        let err = desk
            .run(START_QUIETLY, &ids, &no_case, Arc::new(|_| {}))
            .await
            .expect_err("a case is required");
        assert_eq!(err.to_ipc().field, Some(InputField::CaseRef));
        assert!(!sim.control().is_recording(&special.recordable));
        let view = desk
            .audit_view(AuditFilter::default(), None)
            .await
            .expect("view");
        assert!(
            view.records.is_empty(),
            "nothing was asked, nothing written"
        );

        let given = Justification {
            reason: " Suspected data theft ".into(),
            case_ref: "INV-2291".into(),
        };
        let report = desk
            .run(START_QUIETLY, &ids, &given, Arc::new(|_| {}))
            .await
            .expect("run");
        assert_eq!(report.recording, 1);
        assert!(sim.control().is_recording(&special.recordable));
        let stop = Justification {
            reason: "Investigation closed".into(),
            case_ref: "INV-2291".into(),
        };
        desk.run(Action::Stop, &ids, &stop, Arc::new(|_| {}))
            .await
            .expect("stop");
        assert!(!sim.control().is_recording(&special.recordable));

        let by_case = desk
            .audit_view(
                AuditFilter {
                    case_ref: Some("inv-2291".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .expect("view");
        assert_eq!(by_case.records.len(), 4, "requested + outcome, twice");
        // The delivery group the simulator itself holds for the session.
        let group = sim
            .control()
            .sessions()
            .into_iter()
            .filter_map(|v| serde_json::from_value::<citrix_cloud::Session>(v).ok())
            .find(|s| s.id() == Some(special.recordable.as_str()))
            .and_then(|s| s.delivery_group().map(str::to_owned));
        assert!(group.is_some(), "the fixture has a delivery group");
        for r in &by_case.records {
            assert_eq!(r.case_ref.as_deref(), Some("INV-2291"));
            assert_eq!(r.display_name.as_deref(), Some("Jane Smith"));
            assert_eq!(r.delivery_group, group);
            assert_eq!(r.session_user.as_deref(), Some("CONTOSO\\jsmith"));
        }
        let reasons: Vec<_> = by_case
            .records
            .iter()
            .map(|r| r.reason.as_deref().unwrap_or_default())
            .collect();
        assert_eq!(
            reasons,
            [
                "Suspected data theft",
                "Suspected data theft",
                "Investigation closed",
                "Investigation closed"
            ]
        );
        let by_name = desk
            .audit_view(
                AuditFilter {
                    user: Some("jane smith".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .expect("view");
        assert_eq!(by_name.records.len(), 4);
        // A page holds the latest records; the total says how many match.
        let page = desk
            .audit_view(
                AuditFilter {
                    case_ref: Some("INV-2291".into()),
                    ..Default::default()
                },
                Some(3),
            )
            .await
            .expect("view");
        assert_eq!(page.total, 4);
        assert_eq!(
            page.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            by_case.records[1..]
                .iter()
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        );
        let other_case = desk
            .audit_view(
                AuditFilter {
                    case_ref: Some("INV-22".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .expect("view");
        assert!(other_case.records.is_empty());

        let offered = desk.settings();
        assert_eq!(
            offered.recent_reasons,
            ["Investigation closed", "Suspected data theft"]
        );
        assert_eq!(offered.recent_cases, ["INV-2291"]);
    }

    #[tokio::test]
    async fn nothing_is_kept_until_citrix_accepts_the_credentials() {
        // The simulator and the folder live as long as the bindings.
        let Setup {
            sim: _sim,
            config,
            desk,
            store,
            _dir,
        } = setup(MemoryStore::default()).await;

        let err = sign_in(&desk, &config, Some("wrong"))
            .await
            .expect_err("bad secret");
        assert_eq!(err.kind(), ErrorKind::BadCredentials);
        assert!(stored(&store).is_empty());
        assert!(desk.stored_settings().account.is_none());

        let err = sign_in(&desk, &config, None)
            .await
            .expect_err("nothing stored");
        assert_eq!(err.kind(), ErrorKind::NoSecretStored);

        let secret = format!(" {}\n", config.client_secret);
        let connected = sign_in(&desk, &config, Some(&secret))
            .await
            .expect("sign in");
        assert_eq!(connected.site_id.as_deref(), Some(config.site_id.as_str()));
        assert_eq!(
            desk.status().await.connection,
            Some(connected.clone()),
            "the sign-in is the app's connection"
        );
        let account_key = format!("{}/{CLIENT_ID}", config.customer_id);
        assert_eq!(
            stored(&store),
            [(account_key, config.client_secret.clone())]
        );
        let saved = desk.stored_settings();
        let account = saved.account.expect("account saved");
        assert_eq!(account.customer_id, config.customer_id, "trimmed");
        assert!(account.secret_stored);
        assert_eq!(saved.last_mode, Some(Mode::Cloud));
        assert_eq!(saved.site_id.as_deref(), Some(config.site_id.as_str()));

        // Start-up auto-connect: no secret from the UI, the keychain's is used.
        sign_in(&desk, &config, None)
            .await
            .expect("reconnect with the stored secret");

        desk.forget_credentials().await.expect("forget");
        assert!(stored(&store).is_empty());
        assert!(desk.stored_settings().account.is_none());
        assert!(desk.stored_settings().site_id.is_none());
        assert!(desk.status().await.notices.is_empty());
    }

    /// "Use a different account" (a disconnect) or "Open the demo site" (another connect) while
    /// a reconnect is still waiting for Citrix: the late reconnect must change nothing.
    #[tokio::test]
    async fn a_sign_in_overtaken_by_a_newer_choice_changes_nothing() {
        let Setup {
            sim,
            config,
            desk,
            store,
            _dir,
        } = setup(MemoryStore::default()).await;
        sim.control()
            .set_latency(std::time::Duration::from_millis(300));
        let (late, ()) = tokio::join!(
            sign_in(&desk, &config, Some(&config.client_secret)),
            async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                desk.disconnect().expect("disconnect");
            }
        );
        assert_eq!(late.expect_err("overtaken").kind(), ErrorKind::Superseded);
        assert!(desk.status().await.connection.is_none());
        assert!(stored(&store).is_empty(), "no secret kept");
        assert!(desk.stored_settings().account.is_none());
        assert_eq!(desk.stored_settings().last_mode, None);

        // A newer connect that began meanwhile wins even when the older one finishes last.
        let (late, newer) = tokio::join!(
            sign_in(&desk, &config, Some(&config.client_secret)),
            async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let epoch = desk.connection.begin_connect();
                sim.control().set_latency(std::time::Duration::ZERO);
                let mut demo = connected(&sim, &config).await;
                demo.info.mode = Mode::Demo;
                desk.connection.install(epoch, demo)
            }
        );
        newer.expect("newer connect installed");
        assert_eq!(late.expect_err("overtaken").kind(), ErrorKind::Superseded);
        assert_eq!(
            desk.status().await.connection.expect("connected").mode,
            Mode::Demo
        );
    }

    #[tokio::test]
    async fn a_keychain_that_refuses_does_not_block_the_connection() {
        let locked = MemoryStore {
            fail_locked: true,
            ..Default::default()
        };
        let Setup {
            sim: _sim,
            config,
            desk,
            _dir,
            ..
        } = setup(locked).await;
        sign_in(&desk, &config, Some(&config.client_secret))
            .await
            .expect("connected anyway");
        assert!(
            !desk
                .stored_settings()
                .account
                .expect("account")
                .secret_stored
        );
        let notices = desk.status().await.notices;
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].starts_with("You are connected, but the client secret could not be saved")
        );
    }
}

/// The secret and the bearer token never reach the UI: everything a full flow hands over IPC
/// (connection, search page, look-up, run events and report) and the audit trail it writes are
/// serialized and searched for both.
#[tokio::test]
async fn neither_the_secret_nor_the_token_appears_in_any_ipc_response_or_the_audit_trail() {
    let config = SimConfig {
        client_secret: "canary-secret-7f3a9c1e".into(),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config.clone()).await.expect("simulator");
    let c = connected(&sim, &config).await;
    let special = SpecialSessions::ids();
    let (client, site) = c.site().expect("site");

    let mut seen: Vec<String> = Vec::new();
    let mut keep = |value: serde_json::Value| seen.push(value.to_string());
    keep(serde_json::to_value(&c.info).expect("connection"));
    let page = sessions::search(client, site, &SessionQueryInput::default(), None)
        .await
        .expect("search");
    keep(serde_json::to_value(&page).expect("page"));
    let looked_up = sessions::lookup(client, site, vec![special.recordable.clone()]).await;
    keep(serde_json::to_value(&looked_up).expect("lookup"));

    let dir = tempfile::tempdir().expect("tempdir");
    let log = Arc::new(AuditLog::new(dir.path().join("audit.jsonl")));
    let (events, sink) = collecting_sink();
    let report = run::execute(
        &c,
        log.clone(),
        Arc::new(RowCache::default()),
        run_request(START_AND_NOTIFY, &[&special.recordable, &special.rdp]),
        CancellationToken::new(),
        sink,
    )
    .await
    .expect("run");
    keep(serde_json::to_value(&report).expect("report"));
    for event in events.lock().expect("events").iter() {
        keep(serde_json::to_value(event).expect("event"));
    }
    seen.push(std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit file"));

    let authorization = sim
        .control()
        .last_headers()
        .and_then(|h| h.into_iter().find(|(k, _)| k == "authorization"))
        .map(|(_, v)| v)
        .expect("the client sent a token");
    let token = authorization
        .rsplit('=')
        .next()
        .filter(|t| t.len() >= 16)
        .expect("a bearer token");
    for text in &seen {
        assert!(!text.contains(&config.client_secret), "secret in {text}");
        assert!(!text.contains(token), "token in {text}");
    }
    assert!(seen.len() >= 6);
}
