//! Every client call and every error kind, against the simulator over real HTTP (and, for the
//! few response shapes the simulator has no switch for, a scripted server).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use citrix_cloud::{
    CitrixClient, ClientConfig, Credentials, Endpoints, ErrorKind, PageRequest, Recordability,
    Secret, SessionId, SessionQuery, SessionState,
};
use citrix_sim::SimConfig;
use common::{config_for, demo_credentials, fast_retry, header_in, Canned, Env, Scripted, SITE};
use url::Url;

fn id(s: &str) -> SessionId {
    SessionId::parse(s).expect("fixture IDs are GUIDs")
}

fn text(v: Option<&str>) -> String {
    v.unwrap_or_default().to_lowercase()
}

// ---------------------------------------------------------------- the calls

#[tokio::test]
async fn me_reports_customer_and_site() {
    let env = Env::start().await;
    let reply = env.client.me().await.unwrap();
    let me = &reply.value;
    assert!(!me.user_id.is_empty());
    assert_eq!(me.customers.len(), 1);
    assert_eq!(me.customers[0].id, "demo-customer");
    assert_eq!(me.customers[0].sites[0].id, SITE);
    assert_eq!(me.customers[0].sites[0].name, "Demo Site");
    assert!(reply.transaction_id.is_some());
    assert!(reply.raw.is_some());
    assert_eq!(env.client.token_requests(), 1);
}

#[tokio::test]
async fn list_pages_through_every_session() {
    let env = Env::start().await;
    let expected: Vec<String> = env
        .ctl
        .sessions()
        .iter()
        .map(|s| s["Id"].as_str().unwrap().to_owned())
        .collect();
    let mut page = PageRequest::first(50);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let reply = env.client.list_sessions(SITE, &page).await.unwrap();
        pages += 1;
        assert!(reply.value.items.len() <= 50);
        assert_eq!(
            reply.value.total_items, None,
            "only $search reports TotalItems"
        );
        seen.extend(reply.value.items.iter().map(|s| s.id().unwrap().to_owned()));
        match page.next_after(&reply.value) {
            Some(next) => page = next,
            None => break,
        }
    }
    assert_eq!(pages, 5, "240 sessions at 50 a page");
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn search_by_user_matches_any_user_field() {
    let env = Env::start().await;
    let special = env.ctl.special();
    for needle in ["jsmith", "Jane Smith", "JSMITH@"] {
        let q = SessionQuery {
            user: Some(needle.into()),
            ..SessionQuery::default()
        };
        let page = env
            .client
            .search_sessions(SITE, &q, &PageRequest::first(1000))
            .await
            .unwrap()
            .value;
        let ids: HashSet<&str> = page.items.iter().filter_map(|s| s.id()).collect();
        assert!(ids.contains(special.recordable.as_str()), "{needle}");
        assert!(ids.contains(special.second_of_user.as_str()), "{needle}");
        assert_eq!(page.total_items, Some(page.items.len() as u64));
        let n = needle.to_lowercase();
        for s in &page.items {
            let hay = [
                text(s.user_name()),
                text(s.user_display_name()),
                text(s.user_principal_name()),
                text(s.raw()["UntrustedUserName"].as_str()),
                text(s.raw()["User"]["Name"].as_str()),
            ];
            assert!(
                hay.iter().any(|h| h.contains(&n)),
                "{needle} matched {hay:?}"
            );
        }
    }
}

#[tokio::test]
async fn search_by_machine_delivery_group_and_state() {
    let env = Env::start().await;
    let all: Vec<_> = env.ctl.sessions();
    let special = env.ctl.special();

    let q = SessionQuery {
        machine: Some("vda-fin-01".into()),
        ..SessionQuery::default()
    };
    let page = env
        .client
        .search_sessions(SITE, &q, &PageRequest::default())
        .await
        .unwrap()
        .value;
    assert!(page
        .items
        .iter()
        .any(|s| s.id() == Some(special.recordable.as_str())));
    assert!(page
        .items
        .iter()
        .all(|s| text(s.machine_name()).contains("vda-fin-01")));

    let group = env
        .client
        .session(SITE, &id(&special.recordable))
        .await
        .unwrap()
        .value
        .delivery_group()
        .unwrap()
        .to_owned();
    let in_group = all
        .iter()
        .filter(|s| s["Machine"]["DeliveryGroup"]["Name"].as_str() == Some(group.as_str()))
        .count();
    let q = SessionQuery {
        delivery_group: Some(group.clone()),
        ..SessionQuery::default()
    };
    let page = env
        .client
        .search_sessions(SITE, &q, &PageRequest::first(1000))
        .await
        .unwrap()
        .value;
    assert_eq!(page.items.len(), in_group);
    assert!(page
        .items
        .iter()
        .all(|s| s.delivery_group() == Some(group.as_str())));

    let disconnected = all.iter().filter(|s| s["State"] == "Disconnected").count();
    assert!(disconnected > 0);
    let q = SessionQuery {
        state: Some(SessionState::Disconnected),
        ..SessionQuery::default()
    };
    let page = env
        .client
        .search_sessions(SITE, &q, &PageRequest::first(1000))
        .await
        .unwrap()
        .value;
    assert_eq!(page.total_items, Some(disconnected as u64));
    assert!(page.items.iter().all(|s| s.state() == "Disconnected"));

    let q = SessionQuery {
        state: Some(SessionState::Any),
        ..SessionQuery::default()
    };
    let page = env
        .client
        .search_sessions(SITE, &q, &PageRequest::first(10))
        .await
        .unwrap()
        .value;
    assert_eq!(page.total_items, Some(all.len() as u64));

    // Combined filters AND together: Jane's sessions that are Active on her finance machine.
    let q = SessionQuery {
        user: Some("jsmith".into()),
        machine: Some("VDA-FIN-01".into()),
        delivery_group: None,
        state: Some(SessionState::Active),
    };
    let page = env
        .client
        .search_sessions(SITE, &q, &PageRequest::default())
        .await
        .unwrap()
        .value;
    assert!(page
        .items
        .iter()
        .any(|s| s.id() == Some(special.recordable.as_str())));
    assert!(page.items.iter().all(|s| s.state() == "Active"));
}

#[tokio::test]
async fn search_pages_with_continuation() {
    let env = Env::start().await;
    let q = SessionQuery {
        state: Some(SessionState::Active),
        ..SessionQuery::default()
    };
    let mut page = PageRequest::first(40);
    let mut ids = HashSet::new();
    let mut total = None;
    let mut pages = 0;
    loop {
        let reply = env
            .client
            .search_sessions(SITE, &q, &page)
            .await
            .unwrap()
            .value;
        pages += 1;
        total = reply.total_items.or(total);
        ids.extend(reply.items.iter().map(|s| s.id().unwrap().to_owned()));
        match page.next_after(&reply) {
            Some(next) => page = next,
            None => break,
        }
    }
    assert!(pages >= 3);
    assert_eq!(Some(ids.len() as u64), total);
}

#[tokio::test]
async fn one_session_keeps_all_json_including_hostile_text() {
    let env = Env::start().await;
    let special = env.ctl.special();
    let reply = env
        .client
        .session(SITE, &id(&special.hostile))
        .await
        .unwrap();
    let s = &reply.value;
    assert_eq!(s.id(), Some(special.hostile.as_str()));
    assert_eq!(
        s.user_display_name(),
        Some(citrix_sim::fixtures::HOSTILE_DISPLAY_NAME)
    );
    assert!(s.raw().get("Machine").is_some());
    assert_eq!(reply.raw.as_ref(), Some(s.raw()));
    let jane = env
        .client
        .session(SITE, &id(&special.recordable))
        .await
        .unwrap()
        .value;
    assert_eq!(jane.user_name(), Some(citrix_sim::fixtures::SPECIAL_USER));
    assert_eq!(
        jane.machine_name(),
        Some(citrix_sim::fixtures::SPECIAL_MACHINE)
    );
    assert_eq!(jane.recordable(), Recordability::Recordable);
    assert!(jane.start_time().is_some());
}

#[tokio::test]
async fn start_status_stop() {
    let env = Env::start().await;
    let sid = id(&env.ctl.special().recordable);
    assert!(!env.client.recording_status(SITE, &sid).await.unwrap().value);

    let started = env.client.start_recording(SITE, &sid, false).await.unwrap();
    assert_eq!(started.value.id(), Some(sid.as_str()));
    assert!(started.raw.is_some());
    // The sim echoes our Citrix-TransactionId; the reply must carry what the server returned.
    assert_eq!(started.transaction_id, env.header("citrix-transactionid"));
    assert!(env.ctl.is_recording(sid.as_str()));
    assert_eq!(
        env.ctl.notify_user(sid.as_str()),
        Some(false),
        "notifyUser=false must reach Citrix"
    );
    assert!(env.client.recording_status(SITE, &sid).await.unwrap().value);

    // Starting again is a no-op success (Citrix: idempotent).
    env.client.start_recording(SITE, &sid, true).await.unwrap();
    assert_eq!(env.ctl.notify_user(sid.as_str()), Some(true));

    let stopped = env.client.stop_recording(SITE, &sid).await.unwrap();
    assert!(stopped.transaction_id.is_some());
    assert!(!env.ctl.is_recording(sid.as_str()));
    assert!(!env.client.recording_status(SITE, &sid).await.unwrap().value);
}

#[tokio::test]
async fn headers_the_service_sees() {
    let env = Env::start().await;
    env.client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap();
    let h = env.ctl.last_headers().unwrap();
    assert_eq!(header_in(&h, "accept").as_deref(), Some("application/json"));
    let auth = header_in(&h, "authorization").unwrap();
    assert!(
        auth.starts_with("CwsAuth Bearer=") && auth.len() > "CwsAuth Bearer=".len(),
        "{auth}"
    );
    assert_eq!(
        header_in(&h, "citrix-customerid").as_deref(),
        Some("demo-customer")
    );
    assert_eq!(header_in(&h, "citrix-instanceid").as_deref(), Some(SITE));
    let ua = header_in(&h, "user-agent").unwrap();
    assert!(ua.starts_with("RecordingDesk/"), "{ua}");
    let tx1 = header_in(&h, "citrix-transactionid").unwrap();
    uuid::Uuid::parse_str(&tx1).expect("a GUID transaction ID");
    assert_eq!(h.iter().filter(|(k, _)| k == "accept").count(), 1);

    env.client.me().await.unwrap();
    let h = env.ctl.last_headers().unwrap();
    assert_eq!(
        header_in(&h, "citrix-instanceid"),
        None,
        "/me takes no site"
    );
    let tx2 = header_in(&h, "citrix-transactionid").unwrap();
    assert_ne!(tx1, tx2, "a new transaction ID per request");

    let t = env.ctl.last_token_headers().unwrap();
    assert_eq!(
        header_in(&t, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded"),
        "no charset on the token request"
    );
    assert_eq!(header_in(&t, "accept").as_deref(), Some("application/json"));
    assert_eq!(header_in(&t, "authorization"), None);
}

// ---------------------------------------------------------------- token rules

#[tokio::test]
async fn fifty_concurrent_calls_share_one_token_request() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(50));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = env.client.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                client.me().await.map(|_| ())
            } else {
                client
                    .list_sessions(SITE, &PageRequest::first(5))
                    .await
                    .map(|_| ())
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(env.ctl.token_requests(), 1);
    assert_eq!(env.client.token_requests(), 1);
}

#[tokio::test]
async fn token_is_renewed_before_it_expires() {
    // A 3 s token is renewed once less than 0.3 s (a tenth) of it is left.
    let cfg = SimConfig {
        token_lifetime: Duration::from_secs(3),
        ..SimConfig::default()
    };
    let env = Env::start_with(cfg, |_| {}).await;
    env.client.me().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    env.client.me().await.unwrap();
    assert_eq!(
        env.ctl.token_requests(),
        1,
        "still fresh a third into its life"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    env.client.me().await.unwrap();
    assert_eq!(env.ctl.token_requests(), 2, "renewed at expiry");
    assert_eq!(
        env.ctl.api_requests(),
        3,
        "renewed ahead of time: no 401 round trip"
    );
}

#[tokio::test]
async fn a_401_renews_once_and_retries_once() {
    let env = Env::start().await;
    env.client.me().await.unwrap();
    env.ctl.revoke_tokens();
    let before = env.ctl.api_requests();
    env.client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(env.ctl.api_requests() - before, 2, "one 401, one retry");
    assert_eq!(env.ctl.token_requests(), 2);
}

#[tokio::test]
async fn token_rejected_after_one_renewal() {
    // Tokens that are dead on arrival: the renewed token is refused as well.
    let env = Env::start().await;
    env.ctl.set_token_lifetime(Duration::ZERO);
    let before = env.ctl.api_requests();
    let e = env.client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenRejected, "{e}");
    assert!(e.transaction_id().is_some());
    assert_eq!(env.ctl.api_requests() - before, 2, "exactly one retry");
    assert_eq!(env.ctl.token_requests(), 2);
}

#[tokio::test]
async fn token_rejected_when_revoked_again_before_the_retry() {
    // Every token is revoked within 20 ms of being issued, while each request takes 150 ms to be
    // looked at: the first token and the renewed one are both gone when the API checks them.
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(150));
    let ctl = env.ctl.clone();
    let revoker = tokio::spawn(async move {
        loop {
            ctl.revoke_tokens();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let e = env.client.me().await.unwrap_err();
    revoker.abort();
    assert_eq!(e.kind(), ErrorKind::TokenRejected, "{e}");
    assert!(e.message().contains("HTTP 401"), "{e}");
    assert_eq!(env.ctl.token_requests(), 2, "renewed exactly once");
    assert_eq!(env.ctl.api_requests(), 2, "retried exactly once");
}

#[tokio::test]
async fn bad_credentials_400_and_401() {
    let env = Env::start().await;
    let wrong = env.client_with(|c| c.credentials.secret = Secret::new("wrong".into()));
    let e = wrong.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadCredentials, "{e}");
    assert!(e.message().contains("HTTP 400"), "{e}");
    assert!(
        e.message().contains("invalid_client") || e.message().contains("Invalid client"),
        "{e}"
    );
    assert!(e.transaction_id().is_some(), "x-cws-transactionid is kept");
    assert!(
        !e.message().contains("wrong"),
        "the secret never appears in messages"
    );

    env.ctl.set_bad_credentials_status(401);
    let e = wrong.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadCredentials, "{e}");
    assert!(e.message().contains("HTTP 401"), "{e}");

    let unknown_customer = env.client_with(|c| c.credentials.customer_id = "someone-else".into());
    assert_eq!(
        unknown_customer.me().await.unwrap_err().kind(),
        ErrorKind::BadCredentials
    );
    assert_eq!(env.ctl.api_requests(), 0, "no API call without a token");
}

// ---------------------------------------------------------------- error kinds

#[tokio::test]
async fn wrong_region() {
    let env = Env::start().await;
    env.ctl.set_forbidden_region(true);
    for _ in 0..2 {
        // The simulator alternates the array and object forms of `parameters`.
        let e = env.client.me().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongRegion, "{e}");
        assert!(e.transaction_id().is_some());
    }
}

#[tokio::test]
async fn forbidden_and_other_shapes_from_a_scripted_server() {
    let server = Scripted::start(vec![
        Canned::json(403, r#"{"type":"https://errors-api.cloud.com/common/authorization","detail":"Access denied","parameters":[{"name":"customerId","value":"x"}]}"#)
            .with_header("citrix-transactionid", "tx-403"),
        Canned::json(403, r#"{"Type":"https://errors-api.cloud.com/common/authorization","Detail":"Access denied","Parameters":[{"Name":"message","Value":"User is not authenticated for the specified resource"}]}"#),
        Canned::json(409, r#"{"ErrorMessage":"Session is in an invalid state","SdkErrorId":"InvalidSessionState"}"#),
        Canned::json(400, r#"{"ErrorMessage":"Session operation error - attempted:1, failed:1, succeeded:0","SdkErrorId":"SessionOperationFailed"}"#),
        Canned::json(500, r#"{"Type":"https://errors-api.cloud.com/cvad/x","Detail":"Object does not exist."}"#),
        Canned::json(406, r#"{"detail":"Must accept application/json media type","parameters":{"contentType":"application/json"},"type":"https://errors-api.cloud.com/common/notAcceptable"}"#),
        Canned::json(302, "").with_header("location", "https://login.example.com/"),
        Canned::json(429, "{}").with_header("retry-after", "3600"),
        Canned::json(400, r#"{"type":"https://errors-api.cloud.com/common/invalidJson","detail":"bad"}"#),
    ])
    .await;
    let client = server.client();
    let sid = id("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");

    let e = client.me().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.transaction_id()),
        (ErrorKind::Forbidden, Some("tx-403")),
        "{e}"
    );
    let e = client.me().await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::WrongRegion,
        "PascalCase ErrorResponse: {e}"
    );
    let f = client.start_recording(SITE, &sid, true).await.unwrap_err();
    assert_eq!(f.error.kind(), ErrorKind::CannotRecord, "409: {f}");
    assert!(
        !f.may_have_been_applied(),
        "a first answer of 409 is a refusal"
    );
    assert_eq!(f.status, Some(409));
    let f = client.stop_recording(SITE, &sid).await.unwrap_err();
    assert_eq!(
        f.error.kind(),
        ErrorKind::CannotRecord,
        "400 SessionOperationFailed: {f}"
    );
    assert!(f.error.message().contains("SessionOperationFailed"), "{f}");
    assert!(!f.may_have_been_applied());
    assert_eq!(
        f.answer.as_ref().map(|a| a["SdkErrorId"].clone()),
        Some(serde_json::json!("SessionOperationFailed")),
        "Citrix's answer is kept for the audit trail"
    );
    let before = server.api_requests();
    let e = client.session(SITE, &sid).await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NotFound,
        "500 Object does not exist: {e}"
    );
    assert_eq!(server.api_requests() - before, 1, "not retried");
    let e = client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "406: {e}");
    let e = client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unexpected, "302: {e}");
    assert!(e.message().contains("login.example.com"));
    let before = server.api_requests();
    let e = client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "Retry-After 3600: {e}");
    assert!(e.message().contains("3600"), "{e}");
    assert_eq!(server.api_requests() - before, 1, "no hour-long wait");
    let e = client
        .list_sessions(SITE, &PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::BadRequest,
        "a gateway 400 is not about the session: {e}"
    );
    let requests = server.seen.lock().unwrap().clone();
    assert!(requests
        .iter()
        .any(|r| r.method == "POST" && r.target.contains("/$stopRecording")));
}

#[tokio::test]
async fn not_found() {
    let env = Env::start().await;
    let unknown = id("00000000-0000-4000-8000-000000000001");
    let e = env.client.session(SITE, &unknown).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(
        e.transaction_id().map(str::to_owned),
        env.header("citrix-transactionid")
    );

    let ended = id(&env.ctl.special().recordable);
    assert!(env.ctl.end_session(ended.as_str()));
    for e in [
        env.client.recording_status(SITE, &ended).await.unwrap_err(),
        env.client
            .start_recording(SITE, &ended, true)
            .await
            .unwrap_err()
            .into(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
}

#[tokio::test]
async fn cannot_record_rdp_or_disconnected() {
    let env = Env::start().await;
    let special = env.ctl.special();
    for sid in [&special.rdp, &special.disconnected, &special.connected] {
        let sid = id(sid);
        let s = env.client.session(SITE, &sid).await.unwrap().value;
        assert!(!s.recordable().is_offered(), "the model predicts it");
        let f = env
            .client
            .start_recording(SITE, &sid, true)
            .await
            .unwrap_err();
        assert_eq!(f.error.kind(), ErrorKind::CannotRecord, "{f}");
        assert!(f.error.transaction_id().is_some());
        assert!(!f.may_have_been_applied());
        let f = env.client.stop_recording(SITE, &sid).await.unwrap_err();
        assert_eq!(f.error.kind(), ErrorKind::CannotRecord, "{f}");
        assert!(!env.ctl.is_recording(sid.as_str()));
    }
}

#[tokio::test]
async fn site_asleep_then_woken() {
    let env = Env::start().await;
    env.ctl.set_wake_delay(Duration::from_millis(300));
    env.ctl.set_site_asleep(true);
    let e = env.client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SiteAsleep, "{e}");
    env.client.wake_site().await.unwrap();
    assert_eq!(env.ctl.activation_requests(), 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match env.client.me().await {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::SiteAsleep && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test]
async fn timeout_when_the_service_stalls() {
    let env = Env::start().await;
    // The stall outlasts the test: the call can only end by timing out, however slow the
    // machine, and the timeout leaves the other requests seconds to spare.
    let client = env.client_with(|c| c.request_timeout = Duration::from_secs(2));
    client.me().await.unwrap();
    env.ctl.stall(1, Duration::from_secs(3600));
    let e = client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.transaction_id().is_some(), "the ID we sent, for support");
}

#[tokio::test]
async fn network_error_on_a_closed_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = CitrixClient::new(config_for(&base, demo_credentials())).unwrap();
    let e = client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(e.transaction_id(), None, "nothing reached a server");
    assert!(e.message().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test]
async fn resets_are_retried_then_reported() {
    let env = Env::start().await;
    env.client.me().await.unwrap();
    env.ctl.reset_connections(1);
    let before = env.ctl.api_requests();
    let sid = id(&env.ctl.special().recordable);
    env.client.start_recording(SITE, &sid, true).await.unwrap();
    assert_eq!(env.ctl.api_requests() - before, 2);

    env.ctl.reset_connections(50);
    let before = env.ctl.api_requests();
    let e = env
        .client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message().contains("dropped"), "{e}");
    assert_eq!(
        env.ctl.api_requests() - before,
        3,
        "first try plus two retries"
    );
    env.ctl.reset_connections(0);
    env.client.me().await.unwrap();
}

#[tokio::test]
async fn unexpected_bodies() {
    let server = Scripted::start(vec![
        Canned::html(
            200,
            "<html><head><title>Sign in to your proxy</title></head></html>",
        ),
        Canned::json(200, r#"{"Something":"else"}"#),
        Canned::json(200, r#"{"IsSessionBeingRecorded":"maybe"}"#),
    ])
    .await;
    let client = server.client();
    let e = client.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unexpected, "{e}");
    assert!(e.message().contains("Sign in to your proxy"), "{e}");
    let e = client
        .list_sessions(SITE, &PageRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unexpected, "{e}");
    let e = client
        .recording_status(SITE, &id("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unexpected, "{e}");
}

#[tokio::test]
async fn host_not_allowed() {
    for base in [
        "http://example.com",
        "https://example.com",
        "http://api.cloud.com",
        "https://api.cloud.com.example.net",
        "http://192.168.1.10:8787",
    ] {
        let cfg = config_for(&Url::parse(base).unwrap(), demo_credentials());
        let e = CitrixClient::new(cfg).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::HostNotAllowed, "{base}");
    }
    let mut cfg = ClientConfig::new(
        Endpoints::for_region(citrix_cloud::Region::Us),
        Credentials {
            customer_id: "c".into(),
            client_id: "i".into(),
            secret: Secret::new("s".into()),
        },
    );
    assert!(CitrixClient::new(cfg.clone()).is_ok());
    cfg.endpoints.token_base = Url::parse("https://token.example.org").unwrap();
    assert_eq!(
        CitrixClient::new(cfg).unwrap_err().kind(),
        ErrorKind::HostNotAllowed
    );
}

#[test]
fn invalid_session_ids_never_reach_the_client() {
    let e: citrix_cloud::Error = SessionId::parse("VDA-FIN-01").unwrap_err().into();
    assert_eq!(e.kind(), ErrorKind::InvalidSessionId);
    assert!(e.message().contains("machine name"));
}

// ---------------------------------------------------------------- retry rules

#[tokio::test]
async fn throttling_without_retry_after_recovers() {
    let env = Env::start().await;
    env.ctl.rate_limit_burst(2, None);
    env.client.me().await.unwrap();
    assert_eq!(env.ctl.api_requests(), 3);
}

#[tokio::test]
async fn throttling_honours_retry_after() {
    let env = Env::start().await;
    env.client.me().await.unwrap();
    env.ctl.rate_limit_burst(1, Some(1));
    let started = Instant::now();
    env.client.me().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limited_after_the_bound() {
    let env = Env::start().await;
    env.ctl.rate_limit_burst(1000, None);
    let e = env
        .client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert!(e.message().contains("after 4 attempts"), "{e}");
    assert!(e.transaction_id().is_some());
    assert_eq!(env.ctl.api_requests(), 4);
}

#[tokio::test]
async fn gateway_error_bursts_recover() {
    let env = Env::start().await;
    for status in [502, 503, 504, 500] {
        env.ctl.error_burst(status, 3);
        let before = env.ctl.api_requests();
        env.client
            .list_sessions(SITE, &PageRequest::first(1))
            .await
            .unwrap();
        assert_eq!(env.ctl.api_requests() - before, 4, "{status}");
    }
}

#[tokio::test]
async fn service_unavailable_after_the_bound() {
    let env = Env::start().await;
    for status in [503, 502, 500] {
        env.ctl.error_burst(status, 100);
        let before = env.ctl.api_requests();
        let e = env.client.me().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{status}: {e}");
        assert!(
            e.message().contains(&format!("HTTP {status}, 4 attempts")),
            "{e}"
        );
        assert_eq!(env.ctl.api_requests() - before, 4);
    }
}

#[tokio::test]
async fn strict_accept_is_satisfied() {
    // The simulator's default is the real gateway's strictness; a 406 here would mean our
    // Accept header is wrong.
    let env = Env::start().await;
    env.ctl.set_strict_accept(true);
    env.client.me().await.unwrap();
    env.client
        .list_sessions(SITE, &PageRequest::first(1))
        .await
        .unwrap();
}

// ---------------------------------------------------------------- review fixes

#[tokio::test]
async fn delivery_group_search_matches_part_of_the_name() {
    let env = Env::start().await;
    let all = env.ctl.sessions();
    let group_of = |s: &serde_json::Value| {
        s["Machine"]["DeliveryGroup"]["Name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for typed in ["Finance", "Desktops"] {
        let expected = all.iter().filter(|s| group_of(s).contains(typed)).count();
        assert!(expected > 0, "{typed}");
        let q = SessionQuery {
            delivery_group: Some(typed.into()),
            ..SessionQuery::default()
        };
        let page = env
            .client
            .search_sessions(SITE, &q, &PageRequest::first(1000))
            .await
            .unwrap()
            .value;
        assert_eq!(page.items.len(), expected, "{typed}");
        assert!(page
            .items
            .iter()
            .all(|s| s.delivery_group().unwrap_or_default().contains(typed)));
    }
}

#[tokio::test]
async fn fifty_concurrent_calls_share_one_failed_token_request() {
    // Bad credentials: the first request's answer is everyone's answer.
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(50));
    let wrong = env.client_with(|c| c.credentials.secret = Secret::new("wrong".into()));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = wrong.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                client.me().await.map(|_| ())
            } else {
                client
                    .list_sessions(SITE, &PageRequest::first(5))
                    .await
                    .map(|_| ())
            }
        }));
    }
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadCredentials, "{e}");
    }
    assert_eq!(env.ctl.token_requests(), 1);
    assert_eq!(wrong.token_requests(), 1);
    assert_eq!(env.ctl.api_requests(), 0);

    // Arriving after the failure, a caller asks again (the secret may have been fixed).
    let e = wrong.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadCredentials, "{e}");
    assert_eq!(env.ctl.token_requests(), 2);
}

#[tokio::test]
async fn fifty_concurrent_calls_during_a_token_outage_cost_one_retry_schedule() {
    let server = Scripted::with_tokens(
        vec![Canned::json(503, r#"{"detail":"Service Unavailable"}"#)],
        vec![Canned::json(200, "{}")],
    )
    .await;
    let client = server.client();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { client.me().await.map(|_| ()) }));
    }
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    }
    let max = fast_retry().max_attempts as usize;
    assert!(
        server.token_requests() <= max,
        "{} token requests for 50 callers",
        server.token_requests()
    );
    assert_eq!(server.token_requests(), max, "one full retry schedule");
    assert_eq!(client.token_requests(), 1, "one token fetch");
    assert_eq!(server.api_requests(), 0);
}

#[test]
fn the_host_policy_is_public_and_shared() {
    use citrix_cloud::{endpoint_allowed, Region};
    for r in Region::ALL {
        Endpoints::for_region(r).check().unwrap();
    }
    let loopback = Url::parse("http://127.0.0.1:8787").unwrap();
    endpoint_allowed(&loopback).unwrap();
    Endpoints::with_base(&loopback).check().unwrap();
    for bad in [
        "https://citrix-proxy.example.com",
        "https://evil.cloud.com",
        "https://cloud.com",
        "http://192.168.1.10:8787",
    ] {
        let url = Url::parse(bad).unwrap();
        let e = endpoint_allowed(&url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::HostNotAllowed, "{bad}");
        assert!(e.message().contains(bad), "{e}");
        let cfg = config_for(&url, demo_credentials());
        assert_eq!(
            CitrixClient::new(cfg).unwrap_err().kind(),
            ErrorKind::HostNotAllowed,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn only_a_per_session_404_says_the_session_ended() {
    let server = Scripted::start(vec![Canned::json(
        404,
        r#"{"ErrorMessage":"Not found","SdkErrorId":"ObjectNotFound"}"#,
    )])
    .await;
    let client = server.client();
    let sid = id("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
    for e in [
        client
            .list_sessions(SITE, &PageRequest::default())
            .await
            .unwrap_err(),
        client
            .search_sessions(SITE, &SessionQuery::default(), &PageRequest::default())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::SiteNotFound, "{e}");
        assert!(e.message().contains(SITE), "{e}");
        assert!(e.message().contains("Choose the site again"), "{e}");
    }
    for e in [
        client.me().await.unwrap_err(),
        client.wake_site().await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
        assert!(e.message().contains("HTTP 404"), "{e}");
    }
    for e in [
        client.session(SITE, &sid).await.unwrap_err(),
        client.recording_status(SITE, &sid).await.unwrap_err(),
        client
            .start_recording(SITE, &sid, false)
            .await
            .unwrap_err()
            .into(),
        client.stop_recording(SITE, &sid).await.unwrap_err().into(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(e.message().contains("session"), "{e}");
    }
}

#[tokio::test]
async fn a_long_retry_after_fails_an_interactive_call_fast_and_says_when() {
    let server = Scripted::start(vec![
        Canned::json(429, "{}").with_header("retry-after", "600")
    ])
    .await;
    let client = server.client();
    let started = Instant::now();
    let e = client
        .list_sessions(SITE, &PageRequest::default())
        .await
        .unwrap_err();
    // Waiting the Retry-After out would take 600 s: far above this bound on any machine.
    assert!(started.elapsed() < Duration::from_secs(300));
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(600)));
    assert!(e.message().contains("Try again in about 10 minutes"), "{e}");
    assert_eq!(server.api_requests(), 1);
}

#[tokio::test]
async fn a_bulk_run_reports_a_retry_after_beyond_its_bound_on_the_error() {
    use citrix_cloud::bulk::{self, Action, BulkOptions, NoObserver, Status};
    let server = Scripted::start(vec![
        Canned::json(429, "{}").with_header("retry-after", "3600")
    ])
    .await;
    let client = server.client();
    let sid = id("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
    let report = bulk::run(
        &client,
        SITE,
        Action::Stop,
        vec![sid],
        BulkOptions::default(),
        bulk::CancellationToken::new(),
        std::sync::Arc::new(NoObserver),
    )
    .await;
    assert_eq!(
        report.refused, 1,
        "a 429 is a definite 'not now': nothing was done"
    );
    let outcome = &report.outcomes[0].1;
    assert_eq!(outcome.status, Status::Refused);
    assert!(!outcome.accepted && !outcome.answer_lost, "{outcome:?}");
    let error = outcome.reason.as_ref().expect("the reason");
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.api_requests(), 1);
}
