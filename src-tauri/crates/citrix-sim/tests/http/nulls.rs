//! `State`, `Connection` and `Protocol` null or missing in answers, while the broker's own
//! truth decides what a start does.

use citrix_sim::{HiddenFields, Hide, SessionTruth, SpecialSessions};
use serde_json::{json, Value};

use crate::support::{ids, Api};

const REFUSED: &str = "Session operation error - attempted:1, failed:1, succeeded:0";

async fn session(api: &Api, id: &str) -> Value {
    let (code, body) = api.get_json(&format!("/Sessions/{id}")).await;
    assert_eq!(code, 200);
    body
}

async fn listed(api: &Api, id: &str) -> Value {
    let (code, page) = api.get_json("/Sessions?limit=1000").await;
    assert_eq!(code, 200);
    page["Items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn test_fixtures_answer_with_null_or_missing_fields() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    for s in [
        session(&api, &special.null_state).await,
        listed(&api, &special.null_state).await,
    ] {
        assert_eq!(s["State"], Value::Null);
        assert!(s.as_object().unwrap().contains_key("State"));
        assert_eq!(s["Connection"]["Protocol"], "Hdx");
    }
    let s = listed(&api, &special.missing_protocol).await;
    assert!(!s["Connection"]
        .as_object()
        .unwrap()
        .contains_key("Protocol"));
    let s = session(&api, &special.missing_state_null_connection).await;
    assert!(!s.as_object().unwrap().contains_key("State"));
    assert_eq!(s["Connection"], Value::Null);
    assert_eq!(
        api.ctl.truth(&special.missing_state_null_connection),
        Some(SessionTruth {
            state: "Active".into(),
            protocol: "Rdp".into()
        })
    );
}

#[tokio::test]
async fn the_broker_decides_whatever_the_json_shows() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    for id in [&special.null_state, &special.missing_protocol] {
        let (code, answer) = api.act(id, "$startRecording").await;
        assert_eq!(code, 200, "{id}");
        assert_eq!(answer["Id"], id.as_str());
        assert!(api.ctl.is_recording(id));
        assert_eq!(api.ctl.applied(id).unwrap().starts, 1);
    }
    // The session returned by the start hides the same fields as every other answer.
    let (_, answer) = api.act(&special.null_state, "$startRecording").await;
    assert_eq!(answer["State"], Value::Null);

    for id in [
        &special.null_state_disconnected,
        &special.missing_state_null_connection,
    ] {
        let (code, body) = api.act(id, "$startRecording").await;
        assert_eq!(code, 400, "{id}");
        assert_eq!(body["SdkErrorId"], "SessionOperationFailed");
        assert_eq!(body["ErrorMessage"], REFUSED);
        assert!(!api.ctl.is_recording(id));
        assert_eq!(api.ctl.applied(id).unwrap().starts, 0);
    }
}

#[tokio::test]
async fn fields_can_be_hidden_for_a_run_and_shown_again() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    let nulls = HiddenFields::named(["state", "protocol"], Hide::Null).unwrap();
    assert_eq!(
        api.ctl
            .hide_fields(&[&special.recordable, &special.disconnected, "nope"], nulls),
        2
    );
    for id in [&special.recordable, &special.disconnected] {
        let s = session(&api, id).await;
        assert_eq!(s["State"], Value::Null);
        assert_eq!(s["Connection"]["Protocol"], Value::Null);
        assert_eq!(s["Connection"]["ConnectionMode"], "Brokered");
    }
    assert_eq!(
        session(&api, &special.second_of_user).await["State"],
        "Active"
    );
    // Truly Active HDX: records. Truly Disconnected: refused.
    assert_eq!(api.act(&special.recordable, "$startRecording").await.0, 200);
    assert!(api.ctl.is_recording(&special.recordable));
    assert_eq!(
        api.act(&special.disconnected, "$startRecording").await,
        (
            400,
            json!({"ErrorMessage": REFUSED, "SdkErrorId": "SessionOperationFailed"})
        )
    );

    // A search by state does not find a session whose state is not reported.
    let (_, page) = api
        .search(
            "?limit=1000",
            json!({"SearchFilters":[{"Property":"SessionState","Operator":"Equals","Value":"Active"}]}),
        )
        .await;
    assert!(!ids(&page["Items"]).contains(&special.recordable));

    let absent = HiddenFields::named(["connection", "state"], Hide::Absent).unwrap();
    assert_eq!(api.ctl.hide_fields_everywhere(absent), 240);
    let (_, page) = api.get_json("/Sessions?limit=1000").await;
    assert!(page["Items"].as_array().unwrap().iter().all(|s| {
        let s = s.as_object().unwrap();
        !s.contains_key("State") && !s.contains_key("Connection")
    }));
    assert!(api.ctl.sessions().iter().all(|s| s.get("State").is_none()));

    api.ctl.hide_fields_everywhere(HiddenFields::NONE);
    let s = session(&api, &special.recordable).await;
    assert_eq!(s["State"], "Active");
    assert_eq!(s["Connection"]["Protocol"], "Hdx");
    // A fixture that never shows its state keeps not showing it.
    assert_eq!(
        session(&api, &special.null_state).await["State"],
        Value::Null
    );
}
