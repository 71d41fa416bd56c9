//! Token endpoint and the API's header checks, in the documented order.

use citrix_sim::SimConfig;
use reqwest::Method;
use serde_json::Value;

use crate::support::{status_json, Api, SITE};

#[tokio::test]
async fn token_endpoint_issues_string_expiry_and_no_store() {
    let api = Api::start().await;
    for customer in ["root", "demo-customer"] {
        let response = api
            .token_response(customer, "demo-client", "demo-secret")
            .await;
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["cache-control"], "no-store");
        assert!(headers.contains_key("x-cws-transactionid"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], "3600");
        assert!(body["access_token"].as_str().unwrap().len() > 20);
    }
    assert_eq!(api.ctl.token_requests(), 3);
    let sent = api.ctl.last_token_headers().unwrap();
    assert!(sent.contains(&(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned()
    )));
}

#[tokio::test]
async fn token_endpoint_rejects_bad_credentials_with_400_or_401() {
    let api = Api::start().await;
    let (status, body) =
        status_json(api.token_response("root", "demo-client", "wrong").await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(
        body["error_description"],
        "Invalid client id or client secret."
    );
    let (status, _) = status_json(
        api.token_response("other-customer", "demo-client", "demo-secret")
            .await,
    )
    .await;
    assert_eq!(status, 400);

    api.ctl.set_bad_credentials_status(401);
    let (status, body) =
        status_json(api.token_response("root", "nobody", "demo-secret").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn token_endpoint_requires_bare_form_content_type() {
    let api = Api::start().await;
    let url = api.url("/cctrustoauth2/root/tokens/clients");
    let form = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";
    let send = |content_type: &'static str| {
        api.http
            .post(&url)
            .header("content-type", content_type)
            .body(form)
            .send()
    };
    let (status, body) = status_json(
        send("application/x-www-form-urlencoded; charset=utf-8")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = status_json(send("application/json").await.unwrap()).await;
    assert_eq!(status, 415);
    assert_eq!(body["error"], "invalid_request");
    let (status, _) = status_json(send("application/x-www-form-urlencoded").await.unwrap()).await;
    assert_eq!(status, 200);

    let wrong_grant = api
        .http
        .post(&url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", "a"),
            ("client_secret", "b"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(wrong_grant).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn header_checks_run_in_documented_order() {
    let api = Api::start().await;
    let token = format!("CWSAuth bearer={}", api.token);

    // 1. Authorization header shape beats everything else.
    for auth in [None, Some("Bearer abc"), Some("CWSAuth token=abc")] {
        let mut req = api.bare(Method::GET, "/Sessions");
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let (status, body) = status_json(req.send().await.unwrap()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["Error"]["Type"], "CWSAuthException");
        assert_eq!(
            body["Error"]["Message"],
            "Missing or invalid CWSAuth header."
        );
    }
    // 2. Unknown token, even with every other header wrong.
    let (status, body) = status_json(
        api.bare(Method::GET, "/Sessions")
            .header("authorization", "CwsAuth Bearer=unknown")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/authentication"
    );
    // 3. Accept must be exactly application/json.
    for accept in [None, Some("*/*"), Some("application/json; charset=utf-8")] {
        let mut req = api
            .bare(Method::GET, "/Sessions")
            .header("authorization", &token);
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        let (status, body) = status_json(req.send().await.unwrap()).await;
        assert_eq!(status, 406, "{accept:?}");
        assert_eq!(
            body["type"],
            "https://errors-api.cloud.com/common/notAcceptable"
        );
        assert_eq!(body["parameters"]["contentType"], "application/json");
    }
    // 4. Missing customer: a bare 500.
    let base = || {
        api.bare(Method::GET, "/Sessions")
            .header("authorization", &token)
            .header("accept", "application/json")
    };
    let (status, body) = status_json(base().send().await.unwrap()).await;
    assert_eq!(status, 500);
    assert_eq!(body["message"], "Internal server error");
    assert_eq!(body["statusCode"], 500);
    assert!(body["activityId"].is_string());
    // ... wrong customer: 403.
    let (status, body) = status_json(
        base()
            .header("citrix-customerid", "someone-else")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["type"],
        "https://errors-api.cloud.com/common/authorization"
    );
    assert_eq!(body["detail"], "Access denied");
    // 5. Site: missing is 400, unknown is 404 ErrorData; /me needs none.
    let with_customer = || base().header("citrix-customerid", "demo-customer");
    let (status, body) = status_json(with_customer().send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(body["SdkErrorId"].is_string());
    let (status, body) = status_json(
        with_customer()
            .header("citrix-instanceid", "00000000-0000-0000-0000-000000000001")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["SdkErrorId"], "SiteNotFound");
    let me = api
        .bare(Method::GET, "/me")
        .header("authorization", &token)
        .header("accept", "application/json")
        .header("citrix-customerid", "demo-customer")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let (status, _) = status_json(
        with_customer()
            .header("citrix-instanceid", SITE)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn auth_scheme_and_keyword_are_case_insensitive() {
    let api = Api::start().await;
    for scheme in [
        "CwsAuth Bearer=",
        "CWSAuth bearer=",
        "CWSAuth Bearer=",
        "cwsauth BEARER=",
    ] {
        let response = api
            .bare(Method::GET, "/me")
            .header("authorization", format!("{scheme}{}", api.token))
            .header("accept", "application/json")
            .header("citrix-customerid", "demo-customer")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn token_error_alternates_parameters_shape() {
    let api = Api::start().await;
    let mut shapes = Vec::new();
    for _ in 0..2 {
        let (status, body) = status_json(
            api.bare(Method::GET, "/me")
                .header("authorization", "CWSAuth bearer=nope")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401);
        shapes.push(body["parameters"].clone());
    }
    assert!(shapes
        .iter()
        .any(|p| p[0]["name"] == "reason" && p[0]["value"] == "invalid"));
    assert!(shapes.iter().any(|p| p["reason"] == "invalid"));
}

#[tokio::test]
async fn me_lists_customer_and_site() {
    let cfg = SimConfig {
        customer_id: "acme".into(),
        site_name: "Acme Site".into(),
        sessions: 0,
        ..SimConfig::default()
    };
    let sim = citrix_sim::Simulator::start(cfg).await.unwrap();
    let http = crate::support::client();
    let base = sim.url();
    let token: Value = http
        .post(base.join("cctrustoauth2/acme/tokens/clients").unwrap())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = http
        .get(base.join("cvad/manage/me").unwrap())
        .header(
            "authorization",
            format!("CWSAuth bearer={}", token["access_token"].as_str().unwrap()),
        )
        .header("accept", "application/json")
        .header("citrix-customerid", "acme")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let me: Value = response.json().await.unwrap();
    assert!(me["UserId"].is_string());
    assert!(me["ExpiryTime"].as_str().unwrap().ends_with('M'));
    assert_eq!(me["Customers"][0]["Id"], "acme");
    assert_eq!(me["Customers"][0]["Name"], Value::Null);
    assert_eq!(me["Customers"][0]["Sites"][0]["Id"], SITE);
    assert_eq!(me["Customers"][0]["Sites"][0]["Name"], "Acme Site");
    sim.shutdown().await;
}

#[tokio::test]
async fn transaction_id_is_echoed_or_generated() {
    let api = Api::start().await;
    let echoed = api
        .get("/me")
        .header("citrix-transactionid", "my-transaction-1")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["citrix-transactionid"], "my-transaction-1");
    let generated = api.get("/me").send().await.unwrap();
    let id = generated.headers()["citrix-transactionid"]
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 36);
    // Also on errors: support asks for it most when things fail.
    let error = api.get("/Sessions/not-a-session").send().await.unwrap();
    assert_eq!(error.status(), 404);
    assert!(error.headers().contains_key("citrix-transactionid"));
    let headers = api.ctl.last_headers().unwrap();
    assert!(headers.contains(&("citrix-customerid".to_owned(), "demo-customer".to_owned())));
}

#[tokio::test]
async fn lenient_accept_switch() {
    let api = Api::start().await;
    let send = |accept: Option<&'static str>| {
        let mut req = api
            .bare(Method::GET, "/me")
            .header("authorization", format!("CWSAuth bearer={}", api.token))
            .header("citrix-customerid", "demo-customer");
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        req.send()
    };
    assert_eq!(send(Some("*/*")).await.unwrap().status(), 406);
    api.ctl.set_strict_accept(false);
    assert_eq!(send(Some("*/*")).await.unwrap().status(), 200);
    assert_eq!(
        send(Some("application/json; charset=utf-8"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(send(Some("text/html")).await.unwrap().status(), 406);
}
