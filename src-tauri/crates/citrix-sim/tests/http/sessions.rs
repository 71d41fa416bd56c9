//! Listing, paging, one session, `fields`, and the shape of the fixtures over HTTP.

use std::collections::HashSet;

use citrix_sim::{SimConfig, SpecialSessions};
use serde_json::{json, Value};

use crate::support::{encoded, ids, status_json, Api};

#[tokio::test]
async fn default_page_is_250_and_pages_chain_to_the_end() {
    let api = Api::with(SimConfig {
        sessions: 600,
        ..SimConfig::default()
    })
    .await;
    let (status, first) = status_json(api.get("/Sessions").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(first["Items"].as_array().unwrap().len(), 250);
    assert!(
        first.get("TotalItems").is_none(),
        "GET /Sessions has no TotalItems"
    );

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = api.get("/Sessions").query(&[("limit", "100")]);
        if let Some(t) = &token {
            req = req.query(&[("continuationToken", t)]);
        }
        let (status, page) = status_json(req.send().await.unwrap()).await;
        assert_eq!(status, 200);
        pages += 1;
        seen.extend(ids(&page["Items"]));
        match page["ContinuationToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => {
                assert_eq!(page["ContinuationToken"], Value::Null);
                break;
            }
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 600);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 600);
}

#[tokio::test]
async fn limits_and_tokens_are_validated() {
    let api = Api::start().await;
    for limit in ["1001", "0", "abc"] {
        let (status, body) = status_json(
            api.get("/Sessions")
                .query(&[("limit", limit)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "limit {limit}");
        assert!(body["ErrorMessage"].is_string());
        assert!(body["SdkErrorId"].is_string());
    }
    let (status, _) = status_json(
        api.get("/Sessions")
            .query(&[("limit", "1000")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);

    let (status, body) = status_json(
        api.get("/Sessions")
            .query(&[("continuationToken", "not-a-token")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["SdkErrorId"], "InvalidContinuationToken");

    // A token may be replayed (retry after a 503) until it goes stale.
    let (_, page) = status_json(api.get("/Sessions?limit=10").send().await.unwrap()).await;
    let token = page["ContinuationToken"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, next) = status_json(
            api.get("/Sessions")
                .query(&[("limit", "10"), ("continuationToken", &token)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(next["Items"][0]["Uid"], 11);
    }
    // A listing token is no search token.
    let (status, _) = api
        .search(&format!("?continuationToken={token}"), json!({}))
        .await;
    assert_eq!(status, 400);
    api.ctl.expire_continuation_tokens();
    let (status, _) = status_json(
        api.get("/Sessions")
            .query(&[("continuationToken", &token)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn one_session_fields_and_not_found() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    let (status, session) = status_json(
        api.get(&format!("/Sessions/{}", special.recordable))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(session["Id"], special.recordable.as_str());
    assert_eq!(session["User"]["DisplayName"], "Jane Smith");
    assert_eq!(session["User"]["SamName"], "CONTOSO\\jsmith");
    assert_eq!(session["Machine"]["Name"], "CONTOSO\\VDA-FIN-01");
    assert_eq!(
        session["Machine"]["DeliveryGroup"]["Name"],
        "Finance Desktops"
    );
    assert_eq!(session["Connection"]["Protocol"], "Hdx");
    assert!(session["StartTime"].as_str().unwrap().ends_with('M'));
    assert!(session["FormattedStartTime"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(session["User"]["Oid"], Value::Null);

    // IDs match case-insensitively.
    let upper = api
        .get(&format!("/Sessions/{}", special.recordable.to_uppercase()))
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status(), 200);

    let (_, projected) = status_json(
        api.get(&format!("/Sessions/{}?fields=Id,State,User", special.rdp))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let keys: Vec<&String> = projected.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(projected["State"], "Active");

    let (status, body) = status_json(
        api.get("/Sessions/00000000-1111-4222-8333-444444444444")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ErrorMessage":"Session not found","SdkErrorId":"UnknownSession"})
    );

    let (status, machine) = status_json(
        api.get(&format!("/Sessions/{}/Machine", special.recordable))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(machine["Name"], "CONTOSO\\VDA-FIN-01");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let api = Api::start().await;
    assert_eq!(api.get("/Nope").send().await.unwrap().status(), 404);
    assert_eq!(
        api.get("/Sessions/$search").send().await.unwrap().status(),
        405
    );
    assert_eq!(api.post("/Sessions").send().await.unwrap().status(), 405);
    let special = SpecialSessions::ids();
    let unknown_action = api
        .post(&format!("/Sessions/{}/$explode", special.recordable))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_action.status(), 404);
    // Paths match case-insensitively like the ASP.NET service.
    assert_eq!(
        api.get("/sessions?limit=1").send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn fixtures_are_realistic_and_controllable() {
    let api = Api::start().await;
    let sessions = api.ctl.sessions();
    assert_eq!(sessions.len(), 240);
    let hostile = sessions
        .iter()
        .filter(|s| s["User"]["DisplayName"] == "<img src=x onerror=alert(1)>")
        .count();
    assert_eq!(hostile, 1);
    assert!(sessions.iter().any(|s| s["User"]["SamName"].is_null()));

    let special = api.ctl.special();
    assert!(api.ctl.end_session(&special.connected));
    assert!(!api.ctl.end_session(&special.connected));
    let gone = api
        .get(&format!("/Sessions/{}", special.connected))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    let mut extra = sessions[0].clone();
    extra["Id"] = json!("ABCDEF01-2345-4678-89AB-CDEF01234567");
    extra["User"]["DisplayName"] = json!("Added User");
    let id = api.ctl.add_session(extra);
    assert_eq!(id, "abcdef01-2345-4678-89ab-cdef01234567");
    let (status, added) =
        status_json(api.get(&format!("/Sessions/{id}")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(added["User"]["DisplayName"], "Added User");
    assert_eq!(api.ctl.sessions().len(), 240);
    let generated = api.ctl.add_session(json!({"State": "Active"}));
    assert_eq!(generated.len(), 36);
}

#[tokio::test]
async fn listing_tokens_are_base64_and_break_unless_percent_encoded() {
    let api = Api::start().await;
    let (_, page) = api.get_json("/Sessions?limit=100").await;
    let token = page["ContinuationToken"].as_str().unwrap().to_owned();
    assert!(token.contains('+'), "{token}");
    assert!(token.contains('/'), "{token}");
    assert!(token.ends_with('='), "{token}");

    // A client that pastes the token into the query string as it is (the URL parser leaves
    // `+`, `/` and `=` alone there).
    let (status, body) = api
        .get_json(&format!("/Sessions?limit=100&continuationToken={token}"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["SdkErrorId"], "InvalidContinuationToken");

    // Percent-encoded, by hand or by the HTTP client's query builder.
    let (status, next) = api
        .get_json(&format!(
            "/Sessions?limit=100&continuationToken={}",
            encoded(&token)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(next["Items"][0]["Uid"], 101);
    let (status, _) = status_json(
        api.get("/Sessions")
            .query(&[("limit", "100"), ("continuationToken", &token)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}
