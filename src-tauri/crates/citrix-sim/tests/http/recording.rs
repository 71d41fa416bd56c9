//! Recording state: start/stop (literal `$` and `%24`), status, refusals, never-records
//! sessions, and async jobs.

use std::time::Duration;

use citrix_sim::SpecialSessions;
use serde_json::{json, Value};

use crate::support::{status_json, Api};

#[tokio::test]
async fn start_and_stop_with_dollar_and_percent_encoded_paths() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    assert_eq!(
        api.status(&id).await.1,
        json!({"IsSessionBeingRecorded": false})
    );
    assert_eq!(api.ctl.notify_user(&id), None);

    for (start, stop) in [
        ("$startRecording", "$stopRecording"),
        ("%24startRecording", "%24stopRecording"),
    ] {
        let (code, session) = api.act(&id, start).await;
        assert_eq!(code, 200, "{start}");
        assert_eq!(session["Id"], id.as_str());
        assert_eq!(session["Machine"]["Name"], "CONTOSO\\VDA-FIN-01");
        assert!(api.ctl.is_recording(&id));
        assert_eq!(
            api.ctl.notify_user(&id),
            Some(true),
            "notifyUser defaults to true"
        );
        assert_eq!(api.status(&id).await.1["IsSessionBeingRecorded"], true);

        let (code, session) = api.act(&id, stop).await;
        assert_eq!(code, 200, "{stop}");
        assert_eq!(session["Id"], id.as_str());
        assert!(!api.ctl.is_recording(&id));
        assert_eq!(api.status(&id).await.1["IsSessionBeingRecorded"], false);
    }
}

#[tokio::test]
async fn start_is_idempotent_and_remembers_notify_user() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().hostile;
    let (code, _) = api.act(&id, "$startRecording?notifyUser=false").await;
    assert_eq!(code, 200);
    assert_eq!(api.ctl.notify_user(&id), Some(false));
    let (code, _) = api.act(&id, "$startRecording?notifyUser=true").await;
    assert_eq!(code, 200, "a second start is fine");
    assert_eq!(api.ctl.notify_user(&id), Some(true));
    assert!(api.ctl.is_recording(&id));
    let (code, _) = api.act(&id, "$startRecording?notifyUser=perhaps").await;
    assert_eq!(code, 400);
}

#[tokio::test]
async fn non_active_or_non_hdx_sessions_cannot_be_recorded() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    let expected = json!({
        "ErrorMessage": "Session operation error - attempted:1, failed:1, succeeded:0",
        "SdkErrorId": "SessionOperationFailed",
    });
    for id in [&special.rdp, &special.disconnected, &special.connected] {
        for action in ["$startRecording", "$stopRecording"] {
            let (code, body) = api.act(id, action).await;
            assert_eq!(code, 400, "{id} {action}");
            assert_eq!(body, expected);
        }
        assert!(!api.ctl.is_recording(id));
    }
}

#[tokio::test]
async fn unknown_sessions_are_404() {
    let api = Api::start().await;
    let unknown = "01234567-89ab-4cde-8f01-23456789abcd";
    let expected = json!({"ErrorMessage":"Session not found","SdkErrorId":"UnknownSession"});
    assert_eq!(
        api.act(unknown, "$startRecording").await,
        (404, expected.clone())
    );
    assert_eq!(
        api.act(unknown, "$stopRecording").await,
        (404, expected.clone())
    );
    assert_eq!(api.status(unknown).await, (404, expected));
    let (code, _) = status_json(api.get("/Sessions/RecordingStatus").send().await.unwrap()).await;
    assert_eq!(code, 400, "id is required");
}

#[tokio::test]
async fn never_records_sessions_accept_but_stay_unrecorded() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().second_of_user;
    assert!(api.ctl.set_never_records(&id, true));
    let (code, session) = api.act(&id, "$startRecording").await;
    assert_eq!(code, 200);
    assert_eq!(session["Id"], id.as_str());
    assert_eq!(api.status(&id).await.1["IsSessionBeingRecorded"], false);
    assert_eq!(api.ctl.notify_user(&id), Some(true));
    api.ctl.set_never_records(&id, false);
    api.act(&id, "$startRecording").await;
    assert!(api.ctl.is_recording(&id));
    assert!(!api.ctl.set_never_records("no-such-session", true));
}

#[tokio::test]
async fn ended_session_is_gone_and_set_recording_presets_state() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    assert!(api.ctl.set_recording(&special.recordable, true));
    assert_eq!(
        api.status(&special.recordable).await.1["IsSessionBeingRecorded"],
        true
    );
    api.ctl.end_session(&special.recordable);
    assert_eq!(api.act(&special.recordable, "$stopRecording").await.0, 404);
    assert!(!api.ctl.is_recording(&special.recordable));
}

#[tokio::test]
async fn logoff_and_disconnect() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    api.act(&special.hostile, "$startRecording").await;
    let (code, session) = api.act(&special.hostile, "$disconnect").await;
    assert_eq!(code, 200);
    assert_eq!(session["State"], "Disconnected");
    assert!(!api.ctl.is_recording(&special.hostile));
    assert_eq!(api.act(&special.hostile, "$startRecording").await.0, 400);

    let response = api
        .post(&format!("/Sessions/{}/$logoff", special.recordable))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(api.act(&special.recordable, "$startRecording").await.0, 404);
}

async fn job(api: &Api, location: &str) -> Value {
    let path = location.split("/cvad/manage").nth(1).unwrap();
    let (code, job) = status_json(api.get(path).send().await.unwrap()).await;
    assert_eq!(code, 200);
    job
}

async fn wait_for_end(api: &Api, location: &str) -> Value {
    for _ in 0..100 {
        let job = job(api, location).await;
        if !matches!(job["Status"].as_str(), Some("NotStarted" | "InProgress")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job did not finish");
}

#[tokio::test]
async fn async_start_runs_as_a_job() {
    let api = Api::start().await;
    api.ctl.set_job_duration(Duration::from_millis(200));
    let id = SpecialSessions::ids().recordable;
    let response = api
        .post(&format!(
            "/Sessions/{id}/$startRecording?async=true&notifyUser=false"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["content-length"], "0");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{}/cvad/manage/Jobs/", api.base)));
    assert!(!api.ctl.is_recording(&id), "not yet: the job has not run");

    let first = job(&api, &location).await;
    assert_eq!(first["Type"], "StartSessionRecording");
    assert_eq!(first["Parameters"][0], json!({"Name": "Id", "Value": id}));
    assert!(matches!(
        first["Status"].as_str(),
        Some("NotStarted" | "InProgress")
    ));

    let done = wait_for_end(&api, &location).await;
    assert_eq!(done["Status"], "Complete");
    assert!(api.ctl.is_recording(&id));
    assert_eq!(api.ctl.notify_user(&id), Some(false));
    let results = api.get(&format!(
        "{}/Results",
        location.split("/cvad/manage").nth(1).unwrap()
    ));
    let (code, session) = status_json(results.send().await.unwrap()).await;
    assert_eq!(code, 200);
    assert_eq!(session["Id"], id.as_str());

    let job_path = location.split("/cvad/manage").nth(1).unwrap().to_owned();
    let deleted = api
        .req(reqwest::Method::DELETE, &job_path)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(api.get(&job_path).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn async_jobs_fail_or_cancel() {
    let api = Api::start().await;
    api.ctl.set_job_duration(Duration::from_millis(100));
    let special = SpecialSessions::ids();
    let response = api
        .post(&format!(
            "/Sessions/{}/%24stopRecording?async=true",
            special.rdp
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let failed = wait_for_end(&api, &location).await;
    assert_eq!(failed["Status"], "Failed");
    assert_eq!(failed["Type"], "StopSessionRecording");
    assert!(failed["ErrorString"].as_str().unwrap().contains("failed:1"));
    assert_eq!(failed["ErrorParameters"][0]["Name"], "ErrorDetails");

    api.ctl.set_job_duration(Duration::from_secs(60));
    let response = api
        .post(&format!(
            "/Sessions/{}/$startRecording?async=true",
            special.recordable
        ))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let path = location.split("/cvad/manage").nth(1).unwrap().to_owned();
    let cancel = api.post(&format!("{path}/$cancel")).send().await.unwrap();
    assert_eq!(cancel.status(), 200);
    assert_eq!(job(&api, &location).await["Status"], "Canceled");
    assert!(!api.ctl.is_recording(&special.recordable));
    let (code, list) = status_json(api.get("/Jobs").send().await.unwrap()).await;
    assert_eq!(code, 200);
    assert_eq!(list["Items"].as_array().unwrap().len(), 2);

    let unknown = api
        .post("/Sessions/01234567-89ab-4cde-8f01-23456789abcd/$startRecording?async=true")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
