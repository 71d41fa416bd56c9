//! What the client knows about each call: whether a failed start/stop may have been carried out
//! anyway, what one recording check finds, and the one limiter every request of a client shares.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use citrix_cloud::bulk::{self, Action, BulkOptions, CancellationToken, NoObserver, Status};
use citrix_cloud::{ErrorKind, PageRequest, RecordingCheck, SessionId, SessionQuery};
use common::{Canned, Env, Scripted, SITE};

fn sid() -> SessionId {
    SessionId::parse("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b").unwrap()
}

fn refusal() -> Canned {
    Canned::json(
        400,
        r#"{"ErrorMessage":"Session operation error - attempted:1, failed:1, succeeded:0","SdkErrorId":"SessionOperationFailed"}"#,
    )
}

/// For each sequence of answers to one start: the error kind, and whether Citrix may have
/// carried the start out. Only a definite answer before any doubt says "nothing was done".
#[tokio::test]
async fn each_failure_says_whether_the_request_may_have_been_carried_out() {
    let cases: Vec<(&str, Vec<Canned>, ErrorKind, bool)> = vec![
        (
            "a first refusal",
            vec![refusal()],
            ErrorKind::CannotRecord,
            false,
        ),
        (
            "a refusal after a dropped connection",
            vec![Canned::dropped(), refusal()],
            ErrorKind::CannotRecord,
            true,
        ),
        (
            "only 429s, then a refusal",
            vec![Canned::json(429, "{}"), Canned::json(429, "{}"), refusal()],
            ErrorKind::CannotRecord,
            false,
        ),
        (
            "502 to the end",
            vec![Canned::html(502, "<title>502 Bad Gateway</title>")],
            ErrorKind::ServiceUnavailable,
            true,
        ),
        (
            "a 504 then a 404",
            vec![
                Canned::html(504, "<title>504</title>"),
                Canned::json(404, "{}"),
            ],
            ErrorKind::NotFound,
            true,
        ),
        (
            "dropped every time",
            vec![Canned::dropped()],
            ErrorKind::Network,
            true,
        ),
        (
            "a 200 that is a web page",
            vec![Canned::html(200, "<title>Sign in</title>")],
            ErrorKind::Unexpected,
            true,
        ),
        (
            "a redirect",
            vec![Canned::json(302, "").with_header("location", "https://login.example.com/")],
            ErrorKind::Unexpected,
            false,
        ),
        (
            "401, then a refusal with a new token",
            vec![Canned::json(401, "{}"), refusal()],
            ErrorKind::CannotRecord,
            false,
        ),
        (
            "a dropped connection, 401, then a refusal with a new token",
            vec![Canned::dropped(), Canned::json(401, "{}"), refusal()],
            ErrorKind::CannotRecord,
            true,
        ),
        (
            "403",
            vec![Canned::json(403, r#"{"detail":"Access denied"}"#)],
            ErrorKind::Forbidden,
            false,
        ),
    ];
    for (case, script, kind, applied) in cases {
        let server = Scripted::start(script).await;
        let f = server
            .client()
            .start_recording(SITE, &sid(), true)
            .await
            .unwrap_err();
        assert_eq!(f.error.kind(), kind, "{case}: {f}");
        assert_eq!(f.may_have_been_applied(), applied, "{case}: {f:?}");
    }
}

#[tokio::test]
async fn a_timeout_after_sending_may_have_been_carried_out_a_refused_connection_not() {
    let server = Scripted::start(vec![Canned::json(200, "{}").after(Duration::from_secs(2))]).await;
    let client = server.client_with(|cfg| cfg.request_timeout = Duration::from_millis(200));
    let f = client.stop_recording(SITE, &sid()).await.unwrap_err();
    assert_eq!(f.error.kind(), ErrorKind::Timeout, "{f}");
    assert!(f.may_have_been_applied());
    assert!(f.error.transaction_id().is_some(), "the ID we sent");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = url::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let client =
        citrix_cloud::CitrixClient::new(common::config_for(&url, common::demo_credentials()))
            .unwrap();
    let f = client.stop_recording(SITE, &sid()).await.unwrap_err();
    assert_eq!(f.error.kind(), ErrorKind::Network, "{f}");
    assert!(!f.may_have_been_applied(), "nothing reached Citrix: {f:?}");
}

#[tokio::test]
async fn one_check_says_recording_not_recording_ended_or_not_known() {
    let env = Env::start().await;
    let special = env.ctl.special();
    let id = SessionId::parse(&special.recordable).unwrap();
    assert_eq!(
        env.client.check_recording(SITE, &id).await.value,
        RecordingCheck::NotRecording
    );
    env.ctl.set_recording(id.as_str(), true);
    let check = env.client.check_recording(SITE, &id).await;
    assert_eq!(check.value, RecordingCheck::Recording);
    assert!(check.transaction_id.is_some());
    env.ctl.error_burst(503, 100);
    let check = env.client.check_recording(SITE, &id).await.value;
    match check {
        RecordingCheck::Unknown { reason } => {
            assert_eq!(reason.kind(), ErrorKind::ServiceUnavailable)
        }
        other => panic!("{other:?}"),
    }
    env.ctl.error_burst(503, 0);
    assert!(env.ctl.end_session(id.as_str()));
    let before = env.ctl.api_requests();
    assert_eq!(
        env.client.check_recording(SITE, &id).await.value,
        RecordingCheck::SessionEnded
    );
    assert_eq!(
        env.ctl.api_requests() - before,
        2,
        "RecordingStatus, then GET /Sessions/{{id}} to confirm"
    );
    let seen = env.ctl.last_headers().unwrap();
    assert!(!seen.is_empty());
}

#[tokio::test]
async fn a_status_404_for_a_session_that_is_still_there_is_not_known() {
    let server = Scripted::start(vec![
        Canned::json(
            404,
            r#"{"ErrorMessage":"Session not found","SdkErrorId":"UnknownSession"}"#,
        ),
        Canned::json(
            200,
            r#"{"Id":"3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b","State":"Active"}"#,
        ),
    ])
    .await;
    let check = server.client().check_recording(SITE, &sid()).await.value;
    match check {
        RecordingCheck::Unknown { reason } => {
            assert!(reason.message().contains("still there"), "{reason}")
        }
        other => panic!("a 404 from RecordingStatus alone is no proof: {other:?}"),
    }
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert!(
        targets[0].contains("/Sessions/RecordingStatus?id="),
        "{targets:?}"
    );
    assert!(targets[1].ends_with("/Sessions/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"));
}

/// A run, a page of status look-ups, session look-ups and a search at the same time: never more
/// requests in flight than the client's one concurrency setting.
#[tokio::test]
async fn every_request_of_a_client_shares_one_limiter() {
    let server = Scripted::start(vec![Canned::json(
        200,
        r#"{"IsSessionBeingRecorded":true,"Id":"3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b","Items":[]}"#,
    )
    .after(Duration::from_millis(20))])
    .await;
    let client = server.client_with(|cfg| cfg.concurrency = 3);
    let ids: Vec<SessionId> = (0..12)
        .map(|i| SessionId::parse(&format!("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a{i:02}")).unwrap())
        .collect();
    let opts = BulkOptions {
        first_check: Duration::from_millis(10),
        max_check_interval: Duration::from_millis(20),
        verify_window: Duration::from_millis(100),
        ..BulkOptions::default()
    };
    let run = bulk::run(
        &client,
        SITE,
        Action::Stop,
        ids.clone(),
        opts,
        CancellationToken::new(),
        Arc::new(NoObserver),
    );
    let lookups = futures::future::join_all(ids.iter().map(|id| {
        let client = client.clone();
        async move {
            client.recording_status(SITE, id).await.unwrap();
            client.session(SITE, id).await.unwrap();
        }
    }));
    let (query, page) = (SessionQuery::default(), PageRequest::default());
    let search = client.search_sessions(SITE, &query, &page);
    let (report, _, found) = tokio::join!(run, lookups, search);
    found.unwrap();
    // Every stop was accepted; the scripted status says "recording", so Citrix still reports it.
    assert_eq!(report.count(Status::Recording), 12, "{report:?}");
    assert!(
        server.api_requests() > 12 * 4,
        "stops, checks, look-ups and the search"
    );
    assert!(server.max_in_flight() <= 3, "{}", server.max_in_flight());
    assert!(server.max_in_flight() >= 2, "requests do overlap");

    // A new setting takes effect for the next requests.
    client.set_concurrency(1);
    assert_eq!(client.concurrency(), 1);
}

/// A cancel while a request is on the wire waits a moment for its answer, then gives up on it:
/// the request may have been carried out, so the session is "not known", never "cancelled".
#[tokio::test]
async fn a_cancel_does_not_wait_for_a_slow_answer_and_says_not_known() {
    let server =
        Scripted::start(vec![Canned::json(200, "{}").after(Duration::from_secs(20))]).await;
    let client = server.client();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let seen = server.seen.clone();
    let watcher = tokio::spawn(async move {
        while seen.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        trigger.cancel();
    });
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        bulk::run(
            &client,
            SITE,
            Action::Start { notify_user: true },
            vec![sid()],
            BulkOptions::default(),
            cancel,
            Arc::new(NoObserver),
        ),
    )
    .await
    .expect("the cancel does not wait 20 s for the answer");
    watcher.await.unwrap();
    let outcome = &report.outcomes[0].1;
    assert_eq!(outcome.status, Status::Unknown, "{outcome:?}");
    assert!(outcome.answer_lost, "{outcome:?}");
}

/// Citrix does not document `Like`'s wildcard syntax: if it read `*` literally, a `Like` search
/// would find nothing. So an empty `Like` answer is checked by listing until a `Like` search has
/// found something.
#[tokio::test]
async fn an_empty_like_answer_is_not_trusted_until_like_has_found_something() {
    let jane =
        r#"{"Id":"3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b","User":{"SamName":"CONTOSO\\jsmith"}}"#;
    let other =
        r#"{"Id":"3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5c","User":{"SamName":"CONTOSO\\bob"}}"#;
    let server = Scripted::start(vec![
        Canned::json(400, r#"{"ErrorMessage":"The operator Contains is not valid for CurrentUser.","SdkErrorId":"InvalidParameter"}"#),
        Canned::json(200, r#"{"Items":[],"TotalItems":0}"#),
        Canned::json(200, &format!(r#"{{"Items":[{other},{jane}],"ContinuationToken":null}}"#)),
        Canned::json(200, &format!(r#"{{"Items":[{jane}],"TotalItems":1}}"#)),
        Canned::json(200, r#"{"Items":[],"TotalItems":0}"#),
    ])
    .await;
    let client = server.client();
    let query = SessionQuery {
        user: Some("smith".into()),
        ..SessionQuery::default()
    };
    let found = |reply: citrix_cloud::Reply<citrix_cloud::SessionPage>| -> Vec<String> {
        reply
            .value
            .items
            .iter()
            .map(|s| s.id().unwrap().to_owned())
            .collect()
    };
    let first = client
        .search_sessions(SITE, &query, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(found(first), ["3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"]);
    // Like has now been shown to work: its empty answers are trusted.
    let second = client
        .search_sessions(SITE, &query, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(found(second).len(), 1);
    let third = client
        .search_sessions(SITE, &query, &PageRequest::default())
        .await
        .unwrap();
    assert!(found(third).is_empty());
    let seen = server.requests();
    let what: Vec<String> = seen
        .iter()
        .map(|r| {
            if r.target.contains("$search") {
                let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                let op = body["SearchFilterGroups"][0]["SearchFilters"][0]["Operator"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                format!("search {op}")
            } else {
                "list".to_owned()
            }
        })
        .collect();
    assert_eq!(
        what,
        [
            "search Contains",
            "search Like",
            "list",
            "search Like",
            "search Like"
        ]
    );
    assert!(seen[1].body.contains("*smith*"), "{}", seen[1].body);
}
