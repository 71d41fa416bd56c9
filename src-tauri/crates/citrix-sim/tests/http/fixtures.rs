//! The two fixture sets over HTTP: what a new officer sees on the demo site, and what the tests
//! need.

use std::time::{Duration, Instant};

use citrix_sim::{SimConfig, SpecialSessions};
use serde_json::Value;

use crate::support::Api;

async fn everything(api: &Api) -> (Value, Vec<Value>) {
    let (_, me) = api.get_json("/me").await;
    let (code, page) = api.get_json("/Sessions?limit=1000").await;
    assert_eq!(code, 200);
    (me, page["Items"].as_array().unwrap().clone())
}

#[tokio::test]
async fn the_demo_site_reads_like_a_real_company() {
    let api = Api::with(SimConfig::demo()).await;
    let (me, sessions) = everything(&api).await;
    assert_eq!(me["Customers"][0]["Name"], "Contoso Ltd");
    assert_eq!(sessions.len(), 240);
    let text = serde_json::to_string(&(me, &sessions)).unwrap();
    assert!(!text.contains('<'), "no markup anywhere");
    assert!(!text.to_lowercase().contains("qa.probe"));
    assert!(!text.to_lowercase().contains("probe"));
    // Every session says what state and protocol it is in.
    assert!(sessions
        .iter()
        .all(|s| s["State"].is_string() && s["Connection"]["Protocol"].is_string()));
    let groups: std::collections::BTreeSet<&str> = sessions
        .iter()
        .filter_map(|s| s["Machine"]["DeliveryGroup"]["Name"].as_str())
        .collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        [
            "Call Center",
            "Engineering",
            "Executive Desktops",
            "Finance Desktops",
            "HR Desktops",
            "Published Apps"
        ]
    );
    assert!(sessions.iter().any(|s| s["State"] == "Disconnected"));
    assert!(sessions
        .iter()
        .any(|s| s["Connection"]["Protocol"] == "Rdp"));
}

#[tokio::test]
async fn the_demo_site_starts_recording_after_one_to_two_seconds() {
    let api = Api::with(SimConfig::demo()).await;
    let (_, sessions) = everything(&api).await;
    let id = sessions
        .iter()
        .find(|s| s["State"] == "Active" && s["Connection"]["Protocol"] == "Hdx")
        .and_then(|s| s["Id"].as_str())
        .unwrap()
        .to_owned();
    let sent = Instant::now();
    assert_eq!(api.act(&id, "$startRecording").await.0, 200);
    let answered = sent.elapsed();
    let at = api.ctl.recording(&id).unwrap().settles_at.unwrap();
    let delay = at.duration_since(sent);
    assert!(
        delay >= Duration::from_secs(1) && delay <= Duration::from_secs(2) + answered,
        "{delay:?}"
    );
    api.wait_for_status(&id, true).await;
}

#[tokio::test]
async fn the_test_set_has_the_hostile_and_odd_sessions() {
    let api = Api::start().await;
    let (me, sessions) = everything(&api).await;
    assert_eq!(me["Customers"][0]["Name"], Value::Null);
    let special = SpecialSessions::ids();
    let by_id = |id: &str| sessions.iter().find(|s| s["Id"] == id).unwrap();
    assert_eq!(
        by_id(&special.hostile)["User"]["DisplayName"],
        "<img src=x onerror=alert(1)>"
    );
    assert_eq!(
        by_id(&special.hostile)["User"]["SamName"],
        "CONTOSO\\qa.probe"
    );
    assert_eq!(by_id(&special.null_state)["State"], Value::Null);
    assert_eq!(
        by_id(&special.missing_state_null_connection)["Connection"],
        Value::Null
    );
}
