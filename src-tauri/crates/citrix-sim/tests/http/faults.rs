//! Every fault switch, over HTTP.

use std::time::{Duration, Instant};

use citrix_sim::{SimConfig, SpecialSessions};
use serde_json::Value;

use crate::support::{status_json, Api};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_applies_per_request_without_serialising() {
    let api = Api::with(SimConfig {
        sessions: 100,
        ..SimConfig::default()
    })
    .await;
    // A whole second per request, so that one after another (96 s) and side by side (about 1 s)
    // stay far apart even on a loaded machine or under Wine.
    api.ctl.set_latency(Duration::from_secs(1));

    let started = Instant::now();
    api.fetch_token().await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "token requests are delayed too"
    );

    let ids: Vec<String> = api
        .ctl
        .sessions()
        .iter()
        .map(|s| s["Id"].as_str().unwrap().to_owned())
        .collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in ids.chunks(2).take(48) {
        let requests: Vec<_> = chunk
            .iter()
            .map(|id| api.get(&format!("/Sessions/{id}")).send())
            .collect();
        for request in requests {
            tasks.spawn(request);
        }
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().status(), 200);
        ok += 1;
    }
    assert_eq!(ok, 96);
    let elapsed = started.elapsed();
    // Serialised this would take 96 s; the bound is half of that, not a tight figure.
    assert!(elapsed >= Duration::from_secs(1));
    assert!(elapsed < Duration::from_secs(48), "took {elapsed:?}");
}

#[tokio::test]
async fn short_token_lifetime_and_revocation() {
    let api = Api::start().await;
    api.ctl.set_token_lifetime(Duration::from_millis(300));
    let response = api
        .token_response("root", "demo-client", "demo-secret")
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], "0");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let me = |token: String| {
        api.bare(reqwest::Method::GET, "/me")
            .header("authorization", format!("CWSAuth bearer={token}"))
            .header("accept", "application/json")
            .header("citrix-customerid", "demo-customer")
            .send()
    };
    assert_eq!(me(token.clone()).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = status_json(me(token).await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/authentication"
    );

    // The long-lived token from start-up works until revoked.
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    api.ctl.revoke_tokens();
    assert_eq!(api.get("/me").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn rate_limit_bursts_with_and_without_retry_after() {
    let api = Api::start().await;
    api.ctl.rate_limit_burst(2, Some(7));
    for _ in 0..2 {
        let response = api.get("/me").send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert!(response.headers().contains_key("citrix-transactionid"));
    }
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);

    api.ctl.rate_limit_burst(1, None);
    let response = api.get("/me").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(!response.headers().contains_key("retry-after"));
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    // The token endpoint is not rate limited by bursts.
    api.ctl.rate_limit_burst(5, None);
    api.fetch_token().await;
    assert_eq!(api.ctl.api_requests(), 5);
    assert_eq!(api.ctl.token_requests(), 2);
}

#[tokio::test]
async fn sustained_rate_limit() {
    let api = Api::start().await;
    api.ctl.rate_limit_per_second(Some(3.0), true);
    let mut limited = Vec::new();
    for _ in 0..8 {
        let response = api.get("/me").send().await.unwrap();
        if response.status() == 429 {
            limited.push(response.headers().get("retry-after").cloned());
        } else {
            assert_eq!(response.status(), 200);
        }
    }
    assert!(limited.len() >= 4, "{limited:?}");
    assert!(limited.iter().all(|h| h.as_ref().is_some_and(|v| v == "1")));

    api.ctl.rate_limit_per_second(Some(2.0), false);
    let mut saw_429 = false;
    for _ in 0..5 {
        let response = api.get("/me").send().await.unwrap();
        if response.status() == 429 {
            saw_429 = true;
            assert!(!response.headers().contains_key("retry-after"));
        }
    }
    assert!(saw_429);
    api.ctl.rate_limit_per_second(None, false);
    for _ in 0..10 {
        assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn error_bursts_have_realistic_bodies() {
    let api = Api::start().await;
    api.ctl.error_burst(502, 1);
    let response = api.get("/me").send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));

    api.ctl.error_burst(503, 2);
    let (status, first) = status_json(api.get("/me").send().await.unwrap()).await;
    assert_eq!(status, 503);
    let (status, second) = status_json(api.get("/me").send().await.unwrap()).await;
    assert_eq!(status, 503);
    let bodies = [first, second];
    assert!(bodies
        .iter()
        .any(|b| b["SdkErrorId"] == "ServiceUnavailable"));
    assert!(bodies.iter().any(|b| b == "Service Unavailable"));

    api.ctl.error_burst(500, 1);
    let (status, body) = status_json(api.get("/me").send().await.unwrap()).await;
    assert_eq!(status, 500);
    assert_eq!(body["statusCode"], 500);
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn sleeping_site_wakes_after_activation() {
    let api = Api::start().await;
    api.ctl.set_wake_delay(Duration::from_millis(250));
    api.ctl.set_site_asleep(true);
    for path in ["/me", "/Sessions?limit=1"] {
        let response = api.get(path).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 530, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(!response.headers().contains_key("citrix-transactionid"));
    }
    // Auth still comes first.
    let unauthenticated = api.bare(reqwest::Method::GET, "/me").send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let activation = api
        .http
        .post(api.url("/resourceprovider/demo-customer/site/activation?customerId=demo-customer"))
        .header("authorization", format!("CWSAuth bearer={}", api.token))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(activation.status(), 202);
    assert_eq!(api.ctl.activation_requests(), 1);
    assert_eq!(api.get("/me").send().await.unwrap().status().as_u16(), 530);
    assert!(api.ctl.is_site_asleep());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!api.ctl.is_site_asleep());
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);

    let unauthorised = api
        .http
        .post(api.url("/resourceprovider/demo-customer/site/activation"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
}

#[tokio::test]
async fn forbidden_region() {
    let api = Api::start().await;
    api.ctl.set_forbidden_region(true);
    let mut messages = Vec::new();
    for _ in 0..2 {
        let (status, body) = status_json(api.get("/me").send().await.unwrap()).await;
        assert_eq!(status, 403);
        assert_eq!(
            body["type"],
            "https://errors-api.cloud.com/common/authorization"
        );
        assert_eq!(body["detail"], "Access denied");
        messages.push(body["parameters"].clone());
    }
    let text = "User is not authenticated for the specified resource";
    assert!(messages
        .iter()
        .any(|p| p[0]["name"] == "message" && p[0]["value"] == text));
    assert!(messages.iter().any(|p| p["message"] == text));
    api.ctl.set_forbidden_region(false);
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn connection_reset_drops_without_response() {
    let api = Api::start().await;
    api.ctl.reset_connections(2);
    for _ in 0..2 {
        let error = api.get("/me").send().await.unwrap_err();
        assert!(error.status().is_none(), "{error:?}");
    }
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    assert_eq!(api.ctl.api_requests(), 3);

    // The token endpoint is never reset.
    api.ctl.reset_connections(1);
    api.fetch_token().await;
    assert!(api.get("/me").send().await.is_err());
}

#[tokio::test]
async fn stall_delays_the_next_requests() {
    let api = Api::start().await;
    api.ctl.stall(1, Duration::from_millis(400));
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let id = SpecialSessions::ids().recordable;
    let request = |client: &reqwest::Client| {
        client
            .get(api.url(&format!("/cvad/manage/Sessions/{id}")))
            .header("authorization", format!("CWSAuth bearer={}", api.token))
            .header("accept", "application/json")
            .header("citrix-customerid", "demo-customer")
            .header("citrix-instanceid", crate::support::SITE)
            .send()
    };
    let error = request(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // Only the stalled request waits: the next one is answered. Asked without the short
    // timeout, so a slow machine cannot turn "answered" into a timeout.
    let patient = reqwest::Client::builder().no_proxy().build().unwrap();
    assert_eq!(request(&patient).await.unwrap().status(), 200);

    api.ctl.stall(1, Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn shutdown_closes_the_listener() {
    let api = Api::start().await;
    let url = api.url("/cvad/manage/me");
    api.ctl.stall(1, Duration::from_secs(3600));
    let http = api.http.clone();
    let token = api.token.clone();
    let stalled = tokio::spawn(async move {
        http.get(&url)
            .header("authorization", format!("CWSAuth bearer={token}"))
            .send()
            .await
    });
    // Shut down once the request is in (stalling), not after a guessed pause.
    while api.ctl.api_requests() == 0 {
        tokio::task::yield_now().await;
    }
    let ctl = api.ctl.clone();
    let base = api.base.clone();
    // The stall lasts an hour: shutdown ending at all shows it does not wait for it.
    tokio::time::timeout(Duration::from_secs(600), api.sim.shutdown())
        .await
        .expect("stalled requests do not hold shutdown");
    assert!(stalled.await.unwrap().is_err());
    let after = crate::support::client()
        .get(format!("{base}/cvad/manage/me"))
        .send()
        .await;
    assert!(after.is_err());
    // The control handle outlives the simulator.
    assert!(ctl.api_requests() >= 1);
}
