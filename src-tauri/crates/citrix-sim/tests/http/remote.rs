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

    let state: Value = api
        .http
        .get(api.url("/_sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    assert_eq!(one, json!({ "recording": true, "notifyUser": false }));

    let bad = api
        .http
        .post(api.url("/_sim/faults"))
        .json(&json!({ "noSuchSwitch": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
