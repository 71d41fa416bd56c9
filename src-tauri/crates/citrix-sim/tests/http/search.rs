//! `POST /Sessions/$search`: filters, groups, sorting, paging, and its 400/415 answers.

use std::collections::HashSet;

use citrix_sim::SpecialSessions;
use serde_json::{json, Value};

use crate::support::{encoded, ids, status_json, Api};

fn filter(property: &str, operator: &str, value: &str) -> Value {
    json!({ "Property": property, "Operator": operator, "Value": value })
}

async fn total(api: &Api, body: Value) -> u64 {
    let (status, page) = api.search("?limit=1000", body.clone()).await;
    assert_eq!(status, 200, "{body} -> {page}");
    let total = page["TotalItems"].as_u64().unwrap();
    assert_eq!(page["Items"].as_array().unwrap().len() as u64, total);
    total
}

fn count(api: &Api, f: impl Fn(&Value) -> bool) -> u64 {
    api.ctl.sessions().iter().filter(|s| f(s)).count() as u64
}

#[tokio::test]
async fn current_user_equals_is_case_insensitive_and_finds_both_sessions() {
    let api = Api::start().await;
    let special = SpecialSessions::ids();
    let (status, page) = api
        .search(
            "",
            json!({"SearchFilters":[filter("CurrentUser", "Equals", "contoso\\JSMITH")]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["TotalItems"], 2);
    let found: HashSet<String> = ids(&page["Items"]).into_iter().collect();
    assert!(found.contains(&special.recordable));
    assert!(found.contains(&special.second_of_user));
    // The UPN works for CurrentUser too.
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("CurrentUser", "Equals", "jsmith@contoso.com")]})
        )
        .await,
        2
    );
}

#[tokio::test]
async fn string_operators() {
    let api = Api::start().await;
    let fin01 = count(&api, |s| s["Machine"]["Name"] == "CONTOSO\\VDA-FIN-01");
    assert!(fin01 >= 1);
    let fin = count(&api, |s| {
        s["Machine"]["Name"]
            .as_str()
            .unwrap()
            .starts_with("CONTOSO\\VDA-FIN")
    });
    let smiths = count(&api, |s| {
        s["User"]["DisplayName"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("smith")
    });
    assert!(smiths >= 3, "Jane Smith twice and John Smith");

    let cases = [
        (
            filter("MachineName", "Equals", "contoso\\vda-fin-01"),
            fin01,
        ),
        (filter("MachineName", "Equals", "VDA-FIN-01"), fin01),
        (filter("MachineName", "StartsWith", "CONTOSO\\VDA-FIN"), fin),
        (filter("MachineName", "Like", "*vda-fin-*"), fin),
        (filter("MachineName", "EndsWith", "fin-01"), fin01),
        (filter("UserDisplayName", "Contains", "SMITH"), smiths),
        (filter("UserDisplayName", "Like", "*smith"), smiths),
        (filter("UserName", "Like", "CONTOSO\\jsmith"), 2),
        (
            filter("UserPrincipalName", "Equals", "JSMITH@contoso.com"),
            2,
        ),
        (
            filter("DeliveryGroup", "Equals", "finance desktops"),
            count(&api, |s| {
                s["Machine"]["DeliveryGroup"]["Name"] == "Finance Desktops"
            }),
        ),
        (
            filter("ConnectionProtocol", "Equals", "Rdp"),
            count(&api, |s| s["Connection"]["Protocol"] == "Rdp"),
        ),
        (
            filter("SessionState", "NotEquals", "Active"),
            count(&api, |s| s["State"] != "Active"),
        ),
        (
            filter("SessionState", "In", "Disconnected, Connected"),
            count(&api, |s| {
                s["State"] == "Disconnected" || s["State"] == "Connected"
            }),
        ),
        (
            filter("UserName", "NotLike", "*"),
            count(&api, |s| {
                s["User"]["SamName"].is_null() && s["Brokering"]["UserName"].is_null()
            }),
        ),
    ];
    for (f, expected) in cases {
        assert_eq!(
            total(&api, json!({ "SearchFilters": [f.clone()] })).await,
            expected,
            "{f}"
        );
    }
    let client = api.ctl.sessions()[7]["Client"]["Name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        total(
            &api,
            json!({"SearchFilters":[filter("ClientName", "Equals", &client)]})
        )
        .await
            >= 1
    );
}

#[tokio::test]
async fn flat_filters_and_and_groups_or() {
    let api = Api::start().await;
    let active_hdx = count(&api, |s| {
        s["State"] == "Active" && s["Connection"]["Protocol"] == "Hdx"
    });
    let body = json!({"SearchFilters":[
        filter("SessionState", "Equals", "Active"),
        filter("ConnectionProtocol", "Equals", "Hdx"),
    ]});
    assert_eq!(total(&api, body).await, active_hdx);

    let disconnected_or_rdp = count(&api, |s| {
        s["State"] == "Disconnected" || s["Connection"]["Protocol"] == "Rdp"
    });
    let body = json!({"SearchFilterGroups":[{
        "SearchFilterGroupType": "Or",
        "SearchFilters": [
            filter("SessionState", "Equals", "Disconnected"),
            filter("ConnectionProtocol", "Equals", "Rdp"),
        ],
    }]});
    assert_eq!(total(&api, body).await, disconnected_or_rdp);

    // Nested: Finance AND (Disconnected OR Rdp).
    let expected = count(&api, |s| {
        s["Machine"]["DeliveryGroup"]["Name"] == "Finance Desktops"
            && (s["State"] == "Disconnected" || s["Connection"]["Protocol"] == "Rdp")
    });
    let body = json!({
        "SearchFilterGroupsType": "And",
        "SearchFilterGroups": [
            { "SearchFilters": [filter("DeliveryGroup", "Equals", "Finance Desktops")] },
            { "SearchFilterGroupsType": "Or", "SearchFilterGroups": [
                { "SearchFilters": [filter("SessionState", "Equals", "Disconnected")] },
                { "SearchFilters": [filter("ConnectionProtocol", "Equals", "Rdp")] },
            ]},
        ],
    });
    assert_eq!(total(&api, body).await, expected);
}

#[tokio::test]
async fn basic_search_string_sorting_and_time_comparison() {
    let api = Api::start().await;
    let fin01 = count(&api, |s| s["Machine"]["Name"] == "CONTOSO\\VDA-FIN-01");
    assert!(total(&api, json!({"BasicSearchString": "vda-fin-01"})).await >= fin01);
    assert_eq!(
        total(&api, json!({"BasicSearchString": "Jane Smith"})).await,
        2
    );

    let (_, page) = api
        .search(
            "?limit=1000",
            json!({"SortCriteria": {"Property": "StartTime", "SortDirection": "Descending"}}),
        )
        .await;
    let times: Vec<&str> = page["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["FormattedStartTime"].as_str().unwrap())
        .collect();
    assert_eq!(times.len(), 240);
    assert!(times.windows(2).all(|w| w[0] >= w[1]));

    let (_, page) = api
        .search(
            "?limit=1000",
            json!({"SortCriteriaItems": [
                {"Property": "DeliveryGroup", "SortDirection": "Ascending"},
                {"Property": "UserName", "SortDirection": "Descending"},
            ]}),
        )
        .await;
    let groups: Vec<&str> = page["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Machine"]["DeliveryGroup"]["Name"].as_str().unwrap())
        .collect();
    assert!(groups
        .windows(2)
        .all(|w| w[0].to_lowercase() <= w[1].to_lowercase()));

    let median = times[120].to_owned();
    let newer = count(&api, |s| {
        s["FormattedStartTime"].as_str().unwrap() > median.as_str()
    });
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("StartTime", "GreaterThan", &median)]})
        )
        .await,
        newer
    );
}

#[tokio::test]
async fn limit_skip_continuation_and_total() {
    let api = Api::start().await;
    let body = json!({"SearchFilters":[filter("SessionState", "Equals", "Active")]});
    let active = count(&api, |s| s["State"] == "Active");
    let (_, all) = api.search("?limit=1000", body.clone()).await;
    let all_ids = ids(&all["Items"]);

    let (_, first) = api.search("?limit=10", body.clone()).await;
    assert_eq!(first["TotalItems"], active);
    assert_eq!(ids(&first["Items"]), all_ids[..10]);
    let token = first["ContinuationToken"].as_str().unwrap();
    let (_, second) = api
        .search(
            &format!("?limit=10&continuationToken={}", encoded(token)),
            body.clone(),
        )
        .await;
    assert_eq!(ids(&second["Items"]), all_ids[10..20]);

    let (_, skipped) = api.search("?limit=5&skip=7", body.clone()).await;
    assert_eq!(ids(&skipped["Items"]), all_ids[7..12]);
    assert_eq!(skipped["TotalItems"], active);

    let (status, _) = api.search("?limit=1001", body).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn dollar_and_percent_encoded_search_paths() {
    let api = Api::start().await;
    for path in [
        "/Sessions/$search",
        "/Sessions/%24search",
        "/sessions/$SEARCH",
    ] {
        let (status, page) = status_json(
            api.post(path)
                .json(&json!({"SearchFilters":[filter("UserName", "Equals", "CONTOSO\\jsmith")]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(page["TotalItems"], 2, "{path}");
    }
}

#[tokio::test]
async fn bad_requests() {
    let api = Api::start().await;
    let (status, body) = api
        .search(
            "",
            json!({"SearchFilters":[filter("ShoeSize", "Equals", "9")]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/invalidEnum"
    );
    let (status, body) = api
        .search(
            "",
            json!({"SearchFilters":[filter("UserName", "Resembles", "x")]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/invalidEnum"
    );
    let (status, body) = api
        .search(
            "",
            json!({"SortCriteria": {"Property": "UserName", "SortDirection": "Sideways"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/invalidEnum"
    );
    let (status, _) = api
        .search("", json!({"SearchFilters": {"Property": "UserName"}}))
        .await;
    assert_eq!(status, 400);

    let malformed = api
        .post("/Sessions/$search")
        .header("content-type", "application/json")
        .body("{\"SearchFilters\": [")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(malformed).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/invalidJson"
    );

    let wrong_type = api
        .post("/Sessions/$search")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let charset_ok = api
        .post("/Sessions/$search")
        .header("content-type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(charset_ok.status(), 200);
}

fn refused_operator(body: &Value, property: &str, operator: &str) {
    assert_eq!(body["SdkErrorId"], "InvalidSearchFilter", "{body}");
    let message = body["ErrorMessage"].as_str().unwrap();
    assert!(message.contains(&format!("'{property}'")), "{message}");
    assert!(message.contains(&format!("'{operator}'")), "{message}");
    assert_eq!(
        body["ErrorReport"]["ErrorData"],
        json!({"Property": property, "Operator": operator})
    );
}

#[tokio::test]
async fn no_contains_mode_refuses_contains_and_accepts_the_rest() {
    let api = Api::start().await;
    api.ctl.set_search_mode(citrix_sim::SearchMode::NoContains);
    for (property, operator) in [
        ("UserDisplayName", "Contains"),
        ("MachineName", "NotContains"),
        ("DeliveryGroup", "ContainsStartsWith"),
    ] {
        let (status, body) = api
            .search(
                "",
                json!({"SearchFilters":[filter(property, operator, "smith")]}),
            )
            .await;
        assert_eq!(status, 400, "{property} {operator}");
        refused_operator(&body, property, operator);
    }
    // Inside a group too.
    let (status, body) = api
        .search(
            "",
            json!({"SearchFilterGroups":[{"SearchFilterGroupType":"Or","SearchFilters":[
                filter("UserName", "Equals", "CONTOSO\\jsmith"),
                filter("UserDisplayName", "Contains", "Smith"),
            ]}]}),
        )
        .await;
    assert_eq!(status, 400);
    refused_operator(&body, "UserDisplayName", "Contains");
    // The same search with an accepted operator works.
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("UserDisplayName", "Like", "*Jane Smith*")]})
        )
        .await,
        2
    );
}

#[tokio::test]
async fn equals_only_mode_accepts_only_equals_not_equals_and_in() {
    let api = Api::start().await;
    api.ctl.set_search_mode(citrix_sim::SearchMode::EqualsOnly);
    for operator in ["Like", "StartsWith", "EndsWith", "Contains", "NotLike"] {
        let (status, body) = api
            .search(
                "",
                json!({"SearchFilters":[filter("UserName", operator, "CONTOSO\\jsmith")]}),
            )
            .await;
        assert_eq!(status, 400, "{operator}");
        refused_operator(&body, "UserName", operator);
    }
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("UserName", "Equals", "CONTOSO\\jsmith")]})
        )
        .await,
        2
    );
    let others = count(&api, |s| s["User"]["SamName"] != "CONTOSO\\jsmith");
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("UserName", "NotEquals", "CONTOSO\\jsmith")]})
        )
        .await,
        others
    );
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("CurrentUser", "In", "CONTOSO\\jsmith, CONTOSO\\nobody")]})
        )
        .await,
        2
    );
    // Back to lenient: Like works again.
    api.ctl.set_search_mode(citrix_sim::SearchMode::Lenient);
    assert_eq!(
        total(
            &api,
            json!({"SearchFilters":[filter("UserName", "Like", "*jsmith")]})
        )
        .await,
        2
    );
}

#[tokio::test]
async fn search_continuation_tokens_must_be_percent_encoded() {
    let api = Api::start().await;
    let (_, first) = api.search("?limit=10", json!({})).await;
    let token = first["ContinuationToken"].as_str().unwrap().to_owned();
    assert!(
        token.contains('+') && token.contains('/') && token.ends_with('='),
        "{token}"
    );
    let (status, body) = api
        .search(&format!("?limit=10&continuationToken={token}"), json!({}))
        .await;
    assert_eq!(status, 400, "a raw + is read as a space");
    assert_eq!(body["SdkErrorId"], "InvalidContinuationToken");
    let (status, page) = api
        .search(
            &format!("?limit=10&continuationToken={}", encoded(&token)),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["Items"][0]["Uid"], 11);
}
