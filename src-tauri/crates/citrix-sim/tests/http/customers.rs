//! The customers an API client can see, and what happens with one it cannot.

use citrix_sim::{SimConfig, UnseenCustomerTokens, VisibleCustomer, VisibleSite};
use serde_json::Value;

use crate::support::{status_json, Api, SITE};

const OTHER_SITE: &str = "0b9e7c55-2f41-4d6a-9a83-5c1d2e3f4a5b";

fn fabrikam() -> VisibleCustomer {
    VisibleCustomer {
        id: "fabrikam".into(),
        name: Some("Fabrikam Inc".into()),
        sites: vec![VisibleSite {
            id: OTHER_SITE.into(),
            name: "Fabrikam Cloud".into(),
        }],
    }
}

async fn start() -> Api {
    Api::with(SimConfig {
        customer_name: Some("Contoso Ltd".into()),
        other_customers: vec![fabrikam()],
        ..SimConfig::default()
    })
    .await
}

async fn token_for(api: &Api, customer: &str) -> (u16, Value) {
    status_json(
        api.token_response(customer, "demo-client", "demo-secret")
            .await,
    )
    .await
}

/// A request with `token` for `customer` (and `site`, when given) instead of the defaults.
fn call(
    api: &Api,
    path: &str,
    token: &str,
    customer: &str,
    site: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = api
        .bare(reqwest::Method::GET, path)
        .header("authorization", format!("CWSAuth bearer={token}"))
        .header("accept", "application/json")
        .header("citrix-customerid", customer);
    match site {
        Some(site) => request.header("citrix-instanceid", site),
        None => request,
    }
}

async fn me_with(api: &Api, token: &str, customer: &str) -> (u16, Value) {
    status_json(
        call(api, "/me", token, customer, None)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn me_lists_every_visible_customer_with_names_and_sites() {
    let api = start().await;
    let (code, me) = status_json(api.get("/me").send().await.unwrap()).await;
    assert_eq!(code, 200);
    let customers = me["Customers"].as_array().unwrap();
    assert_eq!(customers.len(), 2);
    assert_eq!(customers[0]["Id"], "demo-customer");
    assert_eq!(customers[0]["Name"], "Contoso Ltd");
    assert_eq!(customers[0]["Sites"][0]["Id"], SITE);
    assert_eq!(customers[1]["Id"], "fabrikam");
    assert_eq!(customers[1]["Name"], "Fabrikam Inc");
    assert_eq!(customers[1]["Sites"][0]["Id"], OTHER_SITE);
    assert_eq!(customers[1]["Sites"][0]["Name"], "Fabrikam Cloud");

    // A token for the other visible customer is fine, and its site answers, without sessions.
    let (code, token) = token_for(&api, "fabrikam").await;
    assert_eq!(code, 200);
    let token = token["access_token"].as_str().unwrap().to_owned();
    let sessions = call(&api, "/Sessions", &token, "fabrikam", Some(OTHER_SITE));
    let (code, page) = status_json(sessions.send().await.unwrap()).await;
    assert_eq!(code, 200);
    assert_eq!(page["Items"], Value::Array(Vec::new()));
    // Another customer's site is not this customer's.
    let wrong_pair = call(&api, "/Sessions", &token, "demo-customer", Some(OTHER_SITE))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_pair.status(), 404);
}

#[tokio::test]
async fn an_unseen_customer_is_refused_at_the_token_endpoint_by_default() {
    let api = start().await;
    let (code, body) = token_for(&api, "northwind").await;
    assert_eq!(code, 400);
    assert_eq!(body["error"], "invalid_client");
    // Switched at run time, including the other customers.
    api.ctl.set_other_customers(Vec::new());
    let (code, _) = token_for(&api, "fabrikam").await;
    assert_eq!(code, 400);
    let (_, me) = status_json(api.get("/me").send().await.unwrap()).await;
    assert_eq!(me["Customers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unseen_customer_can_get_a_token_but_me_lists_only_the_visible_ones() {
    let api = start().await;
    api.ctl
        .set_unseen_customer_tokens(UnseenCustomerTokens::Grant);
    let (code, token) = token_for(&api, "northwind").await;
    assert_eq!(code, 200, "{token}");
    let token = token["access_token"].as_str().unwrap().to_owned();
    let (code, me) = me_with(&api, &token, "demo-customer").await;
    assert_eq!(code, 200);
    let listed: Vec<&str> = me["Customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["demo-customer", "fabrikam"]);
    // Naming the unseen customer on a call is denied.
    let (code, body) = me_with(&api, &token, "northwind").await;
    assert_eq!(code, 403);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/authorization"
    );
    // Where Citrix's /me lists what the API client can see whatever customer the call names.
    api.ctl
        .set_unseen_customer_tokens(UnseenCustomerTokens::GrantMeLists);
    let (code, me) = me_with(&api, &token, "northwind").await;
    assert_eq!(code, 200, "{me}");
    assert_eq!(me["Customers"].as_array().unwrap().len(), 2);
    let sessions = call(
        &api,
        "/Sessions",
        &token,
        "northwind",
        Some(citrix_sim::DEFAULT_SITE_ID),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        sessions.status().as_u16(),
        403,
        "other calls are still denied"
    );
    api.ctl
        .set_unseen_customer_tokens(UnseenCustomerTokens::Grant);
    // Wrong credentials are still wrong.
    let (code, _) = status_json(
        api.token_response("northwind", "demo-client", "wrong")
            .await,
    )
    .await;
    assert_eq!(code, 400);
}
