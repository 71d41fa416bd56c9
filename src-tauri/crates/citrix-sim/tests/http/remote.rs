//! The HTTP face of the fault switches (`/_sim/`), used when the simulator runs as its own process.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::Api;

#[tokio::test]
async fn control_paths_are_absent_unless_switched_on() {
    let api = Api::start().await;
    let response = api.http.get(api.url("/_sim/state")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn faults_flipped_over_http_take_effect() {
    let api = Api::start().await;
    api.ctl.set_control_api(true);

    let state = sim_state(&api).await;
    let rdp = state["special"]["rdp"].as_str().unwrap().to_owned();
    assert_eq!(rdp, api.ctl.special().rdp);

    let recordable = api.ctl.special().recordable;
    let response = api
        .http
        .post(api.url("/_sim/faults"))
        .json(&json!({ "rateLimitBurst": { "n": 1, "retryAfter": 2 }, "endSession": rdp }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let limited = api.get("/me").send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    let ended = api.get(&format!("/Sessions/{rdp}")).send().await.unwrap();
    assert_eq!(ended.status(), 404);

    let started = api
        .req(
            Method::POST,
            &format!("/Sessions/{recordable}/$startRecording?notifyUser=false"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let one: Value = api
        .http
        .get(api.url(&format!("/_sim/sessions/{recordable}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["recording"], true);
    assert_eq!(one["notifyUser"], false);
    assert_eq!(one["startsApplied"], 1);

    let bad = api
        .http
        .post(api.url("/_sim/faults"))
        .json(&json!({ "noSuchSwitch": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

/// What `GET /_sim/state` says.
async fn sim_state(api: &Api) -> Value {
    crate::support::status_json(api.http.get(api.url("/_sim/state")).send().await.unwrap())
        .await
        .1
}

async fn flip(api: &Api, switches: Value) -> u16 {
    api.http
        .post(api.url("/_sim/faults"))
        .json(&switches)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn one(api: &Api, id: &str) -> (u16, Value) {
    crate::support::status_json(
        api.http
            .get(api.url(&format!("/_sim/sessions/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_new_behaviours_are_switched_over_http() {
    let api = Api::start().await;
    api.ctl.set_control_api(true);
    let special = api.ctl.special();
    let (_, state) =
        crate::support::status_json(api.http.get(api.url("/_sim/state")).send().await.unwrap())
            .await;
    assert_eq!(state["special"]["nullState"], special.null_state.as_str());
    assert_eq!(
        state["special"]["missingStateNullConnection"],
        special.missing_state_null_connection.as_str()
    );

    // Delay and lost answer: the start is applied, its answer dropped, the state pending.
    assert_eq!(
        flip(
            &api,
            json!({
                "recordDelay": { "ms": 600000, "jitterMs": 0 },
                "loseAnswers": { "n": 1, "answer": "drop" },
            })
        )
        .await,
        200
    );
    assert!(api
        .post(&format!("/Sessions/{}/$startRecording", special.recordable))
        .send()
        .await
        .is_err());
    let (code, seen) = one(&api, &special.recordable).await;
    assert_eq!(code, 200);
    assert_eq!(seen["recording"], false);
    assert_eq!(seen["settlesTo"], true);
    assert!(seen["settlesInMs"].as_u64().unwrap() > 500_000);
    assert_eq!(seen["startsApplied"], 1);
    assert_eq!(seen["stopsApplied"], 0);
    assert_eq!(seen["state"], "Active");
    assert_eq!(seen["protocol"], "Hdx");
    assert_eq!(one(&api, "no-such-session").await.0, 404);

    // Status faults and the 404 of a live session.
    assert_eq!(
        flip(
            &api,
            json!({
                "failStatusLookups": { "n": 1, "answer": 504 },
                "statusNotFound": { "id": special.second_of_user, "on": true },
            })
        )
        .await,
        200
    );
    assert_eq!(api.status(&special.recordable).await.0, 504);
    assert_eq!(api.status(&special.second_of_user).await.0, 404);

    // Hidden fields, strict search, customers.
    assert_eq!(
        flip(
            &api,
            json!({
                "hideFields": { "sessions": [special.hostile], "fields": ["state"], "as": "absent" },
                "searchMode": "equalsOnly",
                "otherCustomers": [{ "id": "fabrikam", "name": "Fabrikam Inc",
                                     "sites": [{ "id": "f-site", "name": "Fabrikam Cloud" }] }],
                "unseenCustomerTokens": "grant",
            })
        )
        .await,
        200
    );
    let (_, hostile) = api
        .get_json(&format!("/Sessions/{}", special.hostile))
        .await;
    assert!(hostile.get("State").is_none());
    let (code, _) = api
        .search(
            "",
            json!({"SearchFilters":[{"Property":"UserName","Operator":"Like","Value":"*"}]}),
        )
        .await;
    assert_eq!(code, 400);
    let (_, me) = api.get_json("/me").await;
    assert_eq!(me["Customers"][1]["Name"], "Fabrikam Inc");
    assert_eq!(
        api.token_response("northwind", "demo-client", "demo-secret")
            .await
            .status(),
        200
    );
    assert_eq!(
        flip(
            &api,
            json!({"hideFields": { "sessions": "all", "fields": [] }, "searchMode": "lenient"})
        )
        .await,
        200
    );
    let (_, hostile) = api
        .get_json(&format!("/Sessions/{}", special.hostile))
        .await;
    assert_eq!(hostile["State"], "Active");

    // A bad value refuses the whole set: the valid delay next to it is not applied.
    for bad in [
        json!({"loseAnswers": { "n": 1, "answer": "maybe" }, "recordDelay": { "ms": 0 }}),
        json!({"failStatusLookups": { "n": 1, "answer": 404 }}),
        json!({"hideFields": { "sessions": "all", "fields": ["colour"] }, "recordDelay": { "ms": 0 }}),
        json!({"searchMode": "strict"}),
        json!({"badCredentialsStatus": 418, "recordDelay": { "ms": 0 }}),
    ] {
        assert_eq!(flip(&api, bad.clone()).await, 400, "{bad}");
    }
    assert_eq!(
        api.act(&special.second_of_user, "$startRecording").await.0,
        200
    );
    let (_, seen) = one(&api, &special.second_of_user).await;
    assert_eq!(
        seen["recording"], false,
        "the record delay is still ten minutes"
    );
}

/// `holdStartStop` lets the allowed number of start/stop requests through and holds the rest,
/// unprocessed and unanswered, until `releaseStartStop`; the state counts the held ones.
#[tokio::test]
async fn start_stop_requests_are_held_until_released() {
    let api = Api::start().await;
    api.ctl.set_control_api(true);
    let held = || async { sim_state(&api).await["heldStartStop"].as_u64().unwrap() };
    let recordable = api.ctl.special().recordable;
    let start = || {
        api.req(
            Method::POST,
            &format!("/Sessions/{recordable}/$startRecording?notifyUser=false"),
        )
        .send()
    };
    assert_eq!(
        flip(&api, json!({ "holdStartStop": { "after": 1 } })).await,
        200
    );
    assert_eq!(start().await.unwrap().status(), 200, "the one let through");

    let waiting = tokio::spawn(start());
    while held().await == 0 {
        tokio::task::yield_now().await;
    }
    assert!(!waiting.is_finished());
    assert_eq!(
        api.ctl.applied(&recordable).unwrap().starts,
        1,
        "a held start is not applied"
    );
    // Other requests are served meanwhile.
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);

    assert_eq!(flip(&api, json!({ "releaseStartStop": true })).await, 200);
    assert_eq!(waiting.await.unwrap().unwrap().status(), 200);
    assert_eq!(held().await, 0);
    assert_eq!(api.ctl.applied(&recordable).unwrap().starts, 2);
}
