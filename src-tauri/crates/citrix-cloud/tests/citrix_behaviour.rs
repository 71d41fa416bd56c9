//! The client against Citrix's real behaviour as the simulator models it: recording that starts
//! a while after the start is accepted, answers lost after the request was carried out, status
//! look-ups that fail or do not know a session that is still there, fields Citrix did not
//! report, a search that refuses operators, base64 continuation tokens and several customers.
//! For every session, what the engine reports is the simulator's own state once it has
//! settled, or "not known"; the simulator's counters show what was carried out how often.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use citrix_cloud::bulk::{Action, BulkOptions, BulkReport, CancellationToken, Status};
use citrix_cloud::{
    ErrorKind, PageRequest, Recordability, RecordingCheck, SessionId, SessionQuery,
};
use citrix_sim::{
    FaultAnswer, HiddenFields, Hide, LostScope, SearchMode, SimConfig, SimControl, VisibleCustomer,
    VisibleSite,
};
use common::runs::{fast_verify, recordable, run, run_with, start, Recorder};
use common::{Env, SITE};

/// Checks every 20-40 ms for up to two seconds: longer than any delay these tests set.
fn patient() -> BulkOptions {
    BulkOptions {
        verify_window: Duration::from_secs(2),
        ..fast_verify()
    }
}

/// Every definite status is the simulator's settled state; `unknown` is allowed.
fn assert_settled_truth(ctl: &SimControl, report: &BulkReport) {
    for (id, outcome) in &report.outcomes {
        let view = ctl.recording(id.as_str());
        match outcome.status {
            Status::Recording => {
                let v = view.unwrap();
                assert!(v.reported && v.settles_to, "{id}: {outcome:?} {v:?}");
            }
            Status::NotRecording => {
                let v = view.unwrap();
                assert!(!v.reported && !v.settles_to, "{id}: {outcome:?} {v:?}");
            }
            Status::SessionEnded => assert!(view.is_none(), "{id}: {outcome:?}"),
            Status::Refused | Status::Cancelled => {
                let applied = ctl.applied(id.as_str()).unwrap_or_default();
                assert_eq!(applied.starts + applied.stops, 0, "{id}: {outcome:?}");
            }
            Status::Unknown => {}
        }
    }
}

fn id(text: &str) -> SessionId {
    SessionId::parse(text).unwrap()
}

#[tokio::test]
async fn recording_that_starts_later_is_waited_for_and_confirmed() {
    let env = Env::start().await;
    env.ctl
        .set_record_delay(Duration::from_millis(150), Duration::from_millis(100));
    env.ctl
        .set_stop_delay(Duration::from_millis(100), Duration::from_millis(50));
    let ids = recordable(&env.ctl, 40);
    let rec = Recorder::quiet();
    let report = run_with(
        &env,
        start(),
        ids.clone(),
        patient(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    rec.assert_well_formed(&report);
    assert_eq!(report.recording, 40, "{report:?}");
    assert_settled_truth(&env.ctl, &report);
    for id in &ids {
        let applied = env.ctl.applied(id.as_str()).unwrap();
        assert_eq!(applied.starts, 1, "{id}: checks never send the start again");
        assert!(rec.steps(id.as_str()).contains(&"waiting"));
    }
    let report = run_with(
        &env,
        Action::Stop,
        ids.clone(),
        patient(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.not_recording, 40, "{report:?}");
    assert_settled_truth(&env.ctl, &report);
}

#[tokio::test]
async fn answers_lost_after_the_request_was_carried_out_are_checked_not_assumed() {
    for answer in [
        FaultAnswer::Drop,
        FaultAnswer::Status(502),
        FaultAnswer::Status(504),
    ] {
        let env = Env::start().await;
        env.ctl
            .set_record_delay(Duration::from_millis(50), Duration::ZERO);
        let ids = recordable(&env.ctl, 12);
        // Every attempt of every start loses its answer: each session runs out of retries
        // (or is not retried), and only the status checks can tell what Citrix did.
        let attempts = common::fast_retry().max_attempts;
        env.ctl
            .lose_answers(12 * attempts, answer, LostScope::StartStop);
        let rec = Recorder::quiet();
        let report = run_with(
            &env,
            start(),
            ids.clone(),
            patient(),
            CancellationToken::new(),
            rec.clone(),
        )
        .await;
        rec.assert_well_formed(&report);
        assert_settled_truth(&env.ctl, &report);
        assert_eq!(report.recording, 12, "{answer:?}: {report:?}");
        assert!(
            report
                .outcomes
                .iter()
                .all(|(_, o)| o.answer_lost && !o.accepted),
            "{answer:?}: every answer was lost: {report:?}"
        );
        for (id, outcome) in &report.outcomes {
            let applied = env.ctl.applied(id.as_str()).unwrap();
            assert_eq!(applied.stops, 0);
            // Retried within one request's attempts, never again after it.
            assert!(
                (1..=common::fast_retry().max_attempts).contains(&applied.starts),
                "{id}: {applied:?} {outcome:?}"
            );
        }
    }
}

#[tokio::test]
async fn status_lookups_that_fail_or_do_not_know_a_live_session_are_not_known() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 3);
    // The first checks fail, later ones work: the session is confirmed after all.
    env.ctl.fail_status_lookups(2, FaultAnswer::Status(503));
    // RecordingStatus does not know this one, though the session is there: never "ended".
    assert!(env.ctl.set_status_not_found(ids[1].as_str(), true));
    let rec = Recorder::quiet();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    rec.assert_well_formed(&report);
    assert_settled_truth(&env.ctl, &report);
    assert_eq!(report.outcomes[0].1.status, Status::Recording);
    assert_eq!(report.outcomes[2].1.status, Status::Recording);
    let lost = &report.outcomes[1].1;
    assert_eq!(lost.status, Status::Unknown, "{lost:?}");
    assert!(lost.accepted);
    assert!(
        env.ctl.is_recording(ids[1].as_str()),
        "it is recording; Citrix just would not say"
    );
    match env.client.check_recording(SITE, &ids[1]).await.value {
        RecordingCheck::Unknown { reason } => assert!(reason.message().contains("still there")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sessions_whose_state_or_protocol_citrix_did_not_report_are_offered_and_citrix_decides() {
    let env = Env::start().await;
    let special = env.ctl.special();
    let unreported = [
        (&special.null_state, true),
        (&special.null_state_disconnected, false),
        (&special.missing_protocol, true),
        (&special.missing_state_null_connection, false),
    ];
    let mut ids = Vec::new();
    for (sid, _) in &unreported {
        let session = env.client.session(SITE, &id(sid)).await.unwrap().value;
        let r = session.recordable();
        assert!(
            matches!(r, Recordability::Unknown { .. }),
            "{sid}: {r:?} {:?}",
            session.raw()
        );
        assert!(r.is_offered());
        ids.push(id(sid));
    }
    // A hidden field on a session whose other field is reported and wrong still rules it out.
    env.ctl.hide_fields(
        &[special.rdp.as_str()],
        HiddenFields::named(["state"], Hide::Absent).unwrap(),
    );
    let rdp = env
        .client
        .session(SITE, &id(&special.rdp))
        .await
        .unwrap()
        .value;
    assert!(!rdp.recordable().is_offered(), "reported RDP");

    let rec = Recorder::quiet();
    let report = run(&env, start(), ids, rec.clone()).await;
    rec.assert_well_formed(&report);
    assert_settled_truth(&env.ctl, &report);
    for ((sid, recordable), (_, outcome)) in unreported.iter().zip(&report.outcomes) {
        let truth = env.ctl.truth(sid).unwrap();
        let expected = if *recordable {
            Status::Recording
        } else {
            Status::Refused
        };
        assert_eq!(outcome.status, expected, "{sid} {truth:?}: {outcome:?}");
        if !recordable {
            let reason = outcome.reason.as_ref().unwrap();
            assert_eq!(
                reason.kind(),
                ErrorKind::CannotRecord,
                "Citrix's 400: {reason}"
            );
        }
    }
}

fn ids_of(page: &[citrix_cloud::Session]) -> Vec<String> {
    page.iter().map(|s| s.id().unwrap().to_owned()).collect()
}

/// Every page of a search, following the continuation.
async fn search_all(env: &Env, query: &SessionQuery, limit: u32) -> Vec<String> {
    let mut page = PageRequest::first(limit);
    let mut found = Vec::new();
    loop {
        let reply = env
            .client
            .search_sessions(SITE, query, &page)
            .await
            .unwrap();
        found.extend(ids_of(&reply.value.items));
        match page.next_after(&reply.value) {
            Some(next) => page = next,
            None => return found,
        }
    }
}

#[tokio::test]
async fn a_search_citrix_refuses_an_operator_for_still_finds_the_sessions() {
    let queries = [
        SessionQuery {
            user: Some("smith".into()),
            ..SessionQuery::default()
        },
        SessionQuery {
            machine: Some("vda-fin".into()),
            state: Some(citrix_cloud::SessionState::Active),
            ..SessionQuery::default()
        },
        SessionQuery {
            delivery_group: Some("Fin".into()),
            ..SessionQuery::default()
        },
        SessionQuery {
            state: Some(citrix_cloud::SessionState::Disconnected),
            ..SessionQuery::default()
        },
    ];
    // What a lenient Citrix finds, page by page.
    let lenient = Env::start().await;
    let mut expected = Vec::new();
    for q in &queries {
        let found = search_all(&lenient, q, 7).await;
        assert!(!found.is_empty(), "{q:?}");
        expected.push(found);
    }
    for mode in [SearchMode::NoContains, SearchMode::EqualsOnly] {
        let env = Env::start().await;
        env.ctl.set_search_mode(mode);
        for (q, want) in queries.iter().zip(&expected) {
            let got = search_all(&env, q, 7).await;
            let (got_set, want_set): (HashSet<_>, HashSet<_>) =
                (got.iter().collect(), want.iter().collect());
            assert_eq!(got_set, want_set, "{mode:?} {q:?}");
            assert_eq!(got.len(), want.len(), "{mode:?} {q:?}: no session twice");
        }
        // The way that worked is remembered: one more search costs no refused request.
        let before = env.ctl.api_requests();
        let reply = env
            .client
            .search_sessions(SITE, &queries[0], &PageRequest::first(1000))
            .await
            .unwrap();
        assert!(!reply.value.items.is_empty());
        let spent = env.ctl.api_requests() - before;
        assert_eq!(spent, 1, "{mode:?}: {spent} requests");
    }
}

#[tokio::test]
async fn base64_continuation_tokens_page_through_every_session() {
    let env = Env::start().await;
    let total = env.ctl.sessions().len();
    let mut page = PageRequest::first(9);
    let mut seen = HashSet::new();
    let mut tokens = Vec::new();
    loop {
        let reply = env.client.list_sessions(SITE, &page).await.unwrap();
        for s in &reply.value.items {
            assert!(seen.insert(s.id().unwrap().to_owned()), "no session twice");
        }
        tokens.extend(reply.value.continuation.clone());
        match page.next_after(&reply.value) {
            Some(next) => page = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert!(
        tokens.iter().any(|t| t.contains(['+', '/', '='])),
        "the tokens exercise URL encoding: {tokens:?}"
    );
    // The same through the listing fallback of a search.
    env.ctl.set_search_mode(SearchMode::EqualsOnly);
    let all = search_all(
        &env,
        &SessionQuery {
            user: Some("\\".into()),
            ..SessionQuery::default()
        },
        50,
    )
    .await;
    assert!(all.len() > 50, "{}", all.len());
}

#[tokio::test]
async fn the_connected_customer_is_found_among_those_the_client_can_see() {
    let env = Env::start_with(
        SimConfig {
            other_customers: vec![VisibleCustomer {
                id: "fabrikam01".into(),
                name: Some("Fabrikam".into()),
                sites: vec![VisibleSite {
                    id: "0b7d3c1e-1111-4222-8333-944455556666".into(),
                    name: "Fabrikam site".into(),
                }],
            }],
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    let me = env.client.me().await.unwrap().value;
    let ours = me.customer(env.client.customer_id()).unwrap();
    assert!(ours.sites.iter().any(|s| s.id == SITE));
    let visible = me.customer("northwind99").expect_err("not visible");
    let visible: Vec<&str> = visible.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(visible, ["demo-customer", "fabrikam01"]);
}

#[tokio::test]
async fn a_cancel_while_recording_is_still_starting_says_not_known_and_nothing_more_is_sent() {
    let env = Env::start_with(SimConfig::default(), |cfg| cfg.concurrency = 2).await;
    env.ctl
        .set_record_delay(Duration::from_secs(30), Duration::ZERO);
    let ids = recordable(&env.ctl, 10);
    let (cancel, watcher) = common::runs::cancel_after_requests(&env.ctl, 4);
    let rec = Recorder::quiet();
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        run_with(&env, start(), ids.clone(), patient(), cancel, rec.clone()),
    )
    .await
    .expect("prompt");
    watcher.await.unwrap();
    rec.assert_well_formed(&report);
    assert_settled_truth(&env.ctl, &report);
    assert_eq!(report.unknown + report.cancelled, 10, "{report:?}");
    for (id, outcome) in &report.outcomes {
        let applied = env.ctl.applied(id.as_str()).unwrap();
        if outcome.status == Status::Cancelled {
            assert_eq!(applied.starts, 0, "{id}");
        } else {
            assert!(applied.starts <= 1, "{id}: {applied:?}");
        }
    }
}
