//! Asynchronous recording: a start or stop is accepted at once and shows in `RecordingStatus`
//! only after the recording delay. "Not yet" is asserted under a delay far longer than any
//! test step; "settled" under a short one, by polling with a generous deadline, so neither side
//! depends on how fast the machine is.

use std::time::{Duration, Instant};

use citrix_sim::{Applied, SimConfig, SpecialSessions};
use serde_json::json;

use crate::support::{status_json, Api};

const LONG: Duration = Duration::from_secs(600);
const SHORT: Duration = Duration::from_millis(150);

fn not_recorded() -> serde_json::Value {
    json!({"IsSessionBeingRecorded": false})
}

#[tokio::test]
async fn a_start_is_accepted_at_once_and_visible_only_after_the_delay() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl.set_record_delay(LONG, Duration::ZERO);

    let before = Instant::now();
    let (code, session) = api.act(&id, "$startRecording").await;
    assert_eq!(code, 200);
    assert_eq!(session["Id"], id.as_str());
    assert_eq!(api.status(&id).await, (200, not_recorded()));
    let view = api.ctl.recording(&id).unwrap();
    assert!(!view.reported);
    assert!(!api.ctl.is_recording(&id));
    assert!(view.settles_to, "the broker has accepted the start");
    let at = view.settles_at.unwrap();
    assert!(at >= before + LONG && at <= Instant::now() + LONG);

    // A second start while the first is pending: 200, no warning, and the clock is not reset.
    let (code, _) = api.act(&id, "$startRecording?notifyUser=false").await;
    assert_eq!(code, 200);
    assert_eq!(api.ctl.recording(&id).unwrap().settles_at, Some(at));
    assert_eq!(api.ctl.notify_user(&id), Some(false));
    assert_eq!(
        api.ctl.applied(&id),
        Some(Applied {
            starts: 2,
            stops: 0
        })
    );
    assert_eq!(api.status(&id).await.1, not_recorded());

    // With a short delay, another session's start shows once it has settled.
    api.ctl.set_record_delay(SHORT, Duration::ZERO);
    let other = SpecialSessions::ids().second_of_user;
    assert_eq!(api.act(&other, "$startRecording").await.0, 200);
    api.wait_for_status(&other, true).await;
    let settled = api.ctl.recording(&other).unwrap();
    assert!(settled.reported && settled.settles_to);
    assert_eq!(settled.settles_at, None);
}

#[tokio::test]
async fn a_stop_can_be_delayed_too_and_undoes_a_pending_start() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl.set_recording(&id, true);
    api.ctl.set_stop_delay(LONG, Duration::ZERO);

    assert_eq!(api.act(&id, "$stopRecording").await.0, 200);
    assert_eq!(
        api.status(&id).await.1["IsSessionBeingRecorded"],
        true,
        "still recording until the stop settles"
    );
    let view = api.ctl.recording(&id).unwrap();
    assert!(view.reported && !view.settles_to);
    // A start while the stop is pending cancels it: the session simply stays recorded.
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    let view = api.ctl.recording(&id).unwrap();
    assert!(view.reported && view.settles_to);
    assert_eq!(view.settles_at, None);

    // And the other way round: a stop while a start is pending leaves it not recording.
    let other = SpecialSessions::ids().hostile;
    api.ctl.set_record_delay(LONG, Duration::ZERO);
    api.act(&other, "$startRecording").await;
    assert!(api.ctl.recording(&other).unwrap().settles_to);
    assert_eq!(api.act(&other, "$stopRecording").await.0, 200);
    let view = api.ctl.recording(&other).unwrap();
    assert!(!view.reported && !view.settles_to && view.settles_at.is_none());

    api.ctl.set_stop_delay(SHORT, Duration::ZERO);
    assert_eq!(api.act(&id, "$stopRecording").await.0, 200);
    api.wait_for_status(&id, false).await;
    assert_eq!(
        api.ctl.applied(&id),
        Some(Applied {
            starts: 1,
            stops: 2
        })
    );
}

#[tokio::test]
async fn jitter_spreads_the_delay_within_its_bounds() {
    let api = Api::with(SimConfig {
        record_delay: Duration::from_secs(100),
        record_jitter: Duration::from_secs(100),
        ..SimConfig::default()
    })
    .await;
    let recordable: Vec<String> = api
        .ctl
        .sessions()
        .iter()
        .filter(|s| s["State"] == "Active" && s["Connection"]["Protocol"] == "Hdx")
        .take(20)
        .map(|s| s["Id"].as_str().unwrap().to_owned())
        .collect();
    let sent = Instant::now();
    let mut delays = Vec::new();
    for id in &recordable {
        assert_eq!(api.act(id, "$startRecording").await.0, 200);
        let at = api.ctl.recording(id).unwrap().settles_at.unwrap();
        delays.push(at.duration_since(sent));
    }
    let done = sent.elapsed();
    assert!(delays
        .iter()
        .all(|d| *d >= Duration::from_secs(100) && *d <= Duration::from_secs(200) + done));
    let spread = delays
        .iter()
        .max()
        .unwrap()
        .saturating_sub(*delays.iter().min().unwrap());
    assert!(spread > Duration::from_secs(10), "{delays:?}");
}

#[tokio::test]
async fn agent_missing_sessions_never_turn_true_even_after_the_delay() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl.set_never_records(&id, true);
    api.ctl.set_record_delay(SHORT, Duration::ZERO);
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    let view = api.ctl.recording(&id).unwrap();
    assert!(!view.settles_to, "it will never record");
    assert_eq!(api.ctl.applied(&id).unwrap().starts, 1);
    // A session without the agent flag started afterwards settles; by then this one would have.
    let other = SpecialSessions::ids().second_of_user;
    api.act(&other, "$startRecording").await;
    api.wait_for_status(&other, true).await;
    tokio::time::sleep(SHORT).await;
    assert_eq!(api.status(&id).await.1, not_recorded());
}

#[tokio::test]
async fn an_async_start_shows_after_the_job_and_the_delay() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    api.ctl.set_job_duration(Duration::from_millis(50));
    api.ctl.set_record_delay(LONG, Duration::ZERO);
    let response = api
        .post(&format!("/Sessions/{id}/$startRecording?async=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let job = response.headers()["location"].to_str().unwrap().to_owned();
    let path = job.split("/cvad/manage").nth(1).unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, job) = status_json(api.get(&path).send().await.unwrap()).await;
        if job["Status"] == "Complete" {
            break;
        }
        assert!(Instant::now() < deadline, "the job never completed: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The job is complete: the broker applied the start, the VDA has not started recording.
    assert_eq!(api.ctl.applied(&id).unwrap().starts, 1);
    assert_eq!(api.status(&id).await.1, not_recorded());
    assert!(api.ctl.recording(&id).unwrap().settles_to);
}
