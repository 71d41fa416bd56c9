//! Answers lost after the request was applied, and failures of the status look-up itself.

use citrix_sim::{Applied, FaultAnswer, LostScope, SpecialSessions};
use serde_json::json;

use crate::support::Api;

fn applied(starts: u32, stops: u32) -> Option<Applied> {
    Some(Applied { starts, stops })
}

#[tokio::test]
async fn a_start_applied_then_dropped_is_recorded_once() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl
        .lose_answers(1, FaultAnswer::Drop, LostScope::StartStop);
    let error = api
        .post(&format!("/Sessions/{id}/$startRecording"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "no answer at all: {error:?}");
    assert_eq!(api.ctl.applied(&id), applied(1, 0));
    assert!(api.ctl.is_recording(&id), "the broker did start it");
    assert_eq!(api.ctl.notify_user(&id), Some(true));
    // Asking is how a client finds out.
    assert_eq!(
        api.status(&id).await,
        (200, json!({"IsSessionBeingRecorded": true}))
    );
    // A retry is applied a second time, harmlessly, and answered.
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    assert_eq!(api.ctl.applied(&id), applied(2, 0));
}

#[tokio::test]
async fn gateway_errors_after_the_stop_was_applied() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    for (id, code, marker) in [
        (&special.recordable, 502, "502 Bad Gateway"),
        (&special.second_of_user, 504, "504 Gateway Time-out"),
    ] {
        api.ctl.set_recording(id, true);
        api.ctl
            .lose_answers(1, FaultAnswer::Status(code), LostScope::StartStop);
        let (status, body) = api.act(id, "$stopRecording").await;
        assert_eq!(status, code);
        assert!(body.as_str().unwrap().contains(marker), "{body}");
        assert_eq!(api.ctl.applied(id), applied(0, 1));
        assert!(!api.ctl.is_recording(id), "the stop was applied");
    }
    // Only start/stop lose answers unless asked otherwise.
    api.ctl
        .lose_answers(1, FaultAnswer::Status(502), LostScope::StartStop);
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    assert_eq!(
        api.status(&special.recordable).await.0,
        200,
        "the lost answer is still waiting for a start or stop"
    );
    assert_eq!(api.act(&special.recordable, "$startRecording").await.0, 502);
    assert_eq!(api.act(&special.recordable, "$startRecording").await.0, 200);
    assert_eq!(api.ctl.applied(&special.recordable), applied(2, 1));
}

#[tokio::test]
async fn a_refused_start_whose_answer_is_lost_was_not_applied() {
    let api = Api::start().await;
    let rdp = SpecialSessions::ids().rdp;
    api.ctl
        .lose_answers(1, FaultAnswer::Drop, LostScope::StartStop);
    assert!(api
        .post(&format!("/Sessions/{rdp}/$startRecording"))
        .send()
        .await
        .is_err());
    assert_eq!(api.ctl.applied(&rdp), applied(0, 0));
    assert!(!api.ctl.is_recording(&rdp));
}

#[tokio::test]
async fn any_request_can_lose_its_answer() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl
        .lose_answers(2, FaultAnswer::Status(504), LostScope::AnyRequest);
    assert_eq!(
        api.get(&format!("/Sessions/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        504
    );
    assert_eq!(api.act(&id, "$startRecording").await.0, 504);
    assert!(api.ctl.is_recording(&id));
    assert_eq!(api.get("/me").send().await.unwrap().status(), 200);
    // Requests refused before the service (bad token) do not use one up.
    api.ctl
        .lose_answers(1, FaultAnswer::Status(504), LostScope::AnyRequest);
    let refused = api
        .bare(reqwest::Method::GET, "/me")
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(api.get("/me").send().await.unwrap().status(), 504);
}

#[tokio::test]
async fn status_look_ups_fail_then_recover() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl.set_recording(&id, true);
    api.ctl.fail_status_lookups(2, FaultAnswer::Status(503));
    let (first, _) = api.status(&id).await;
    let (second, _) = api.status(&id).await;
    assert_eq!((first, second), (503, 503));
    // Other calls are untouched.
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    assert_eq!(
        api.status(&id).await,
        (200, json!({"IsSessionBeingRecorded": true}))
    );

    api.ctl.fail_status_lookups(1, FaultAnswer::Drop);
    let dropped = api
        .get("/Sessions/RecordingStatus")
        .query(&[("id", id.as_str())])
        .send()
        .await;
    assert!(dropped.is_err());
    assert_eq!(api.status(&id).await.0, 200);
}

#[tokio::test]
async fn recording_status_can_answer_404_for_a_live_session() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    assert!(api.ctl.set_status_not_found(&id, true));
    let (code, body) = api.status(&id).await;
    assert_eq!(code, 404);
    assert_eq!(body["SdkErrorId"], "UnknownSession");
    // The session is there, and can be recorded.
    let (code, session) = api.get_json(&format!("/Sessions/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(session["Id"], id.as_str());
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    assert!(api.ctl.is_recording(&id));
    api.ctl.set_status_not_found(&id, false);
    assert_eq!(api.status(&id).await.1["IsSessionBeingRecorded"], true);
    assert!(!api.ctl.set_status_not_found("no-such-session", true));
}
