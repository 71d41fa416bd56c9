//! A started simulator plus a reqwest client that sends what a correct client sends.

use citrix_sim::{SimConfig, SimControl, Simulator};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub const SITE: &str = citrix_sim::DEFAULT_SITE_ID;

pub struct Api {
    pub sim: Simulator,
    pub ctl: SimControl,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

pub fn client() -> reqwest::Client {
    // No proxy: the machine's proxy settings must not intercept loopback test traffic.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl Api {
    pub async fn start() -> Api {
        Api::with(SimConfig::default()).await
    }

    pub async fn with(cfg: SimConfig) -> Api {
        let sim = Simulator::start(cfg).await.unwrap();
        let ctl = sim.control();
        let base = sim.url().as_str().trim_end_matches('/').to_owned();
        let mut api = Api {
            sim,
            ctl,
            http: client(),
            base,
            token: String::new(),
        };
        api.token = api.fetch_token().await;
        api
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn token_response(&self, customer: &str, id: &str, secret: &str) -> Response {
        self.http
            .post(self.url(&format!("/cctrustoauth2/{customer}/tokens/clients")))
            .header("accept", "application/json")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn fetch_token(&self) -> String {
        let response = self
            .token_response("root", "demo-client", "demo-secret")
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A request under `/cvad/manage` with every header a correct client sends.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path)
            .header("authorization", format!("CWSAuth bearer={}", self.token))
            .header("accept", "application/json")
            .header("citrix-customerid", "demo-customer")
            .header("citrix-instanceid", SITE)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.req(Method::POST, path)
    }

    /// A request under `/cvad/manage` without any header.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(&format!("/cvad/manage{path}")))
    }

    /// `GET {path}` under `/cvad/manage`, as status and JSON.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        status_json(self.get(path).send().await.unwrap()).await
    }

    /// `GET /Sessions/RecordingStatus?id=`.
    pub async fn status(&self, id: &str) -> (u16, Value) {
        status_json(
            self.get("/Sessions/RecordingStatus")
                .query(&[("id", id)])
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /Sessions/{id}/{action}` (`$startRecording?notifyUser=false`, `$logoff`, ...).
    pub async fn act(&self, id: &str, action: &str) -> (u16, Value) {
        status_json(
            self.post(&format!("/Sessions/{id}/{action}"))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Polls `RecordingStatus` until it reports `want`; panics after a generous deadline, so a
    /// slow machine only makes the test slower, never wrong.
    pub async fn wait_for_status(&self, id: &str, want: bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (code, body) = self.status(id).await;
            assert_eq!(code, 200, "{body}");
            if body["IsSessionBeingRecorded"] == want {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "RecordingStatus of {id} never became {want}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    pub async fn search(&self, query: &str, body: Value) -> (u16, Value) {
        let response = self
            .post(&format!("/Sessions/$search{query}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(response).await
    }
}

pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// A query-string value percent-encoded as a correct client sends it (`+` becomes `%2B`).
pub fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Id"].as_str().unwrap().to_owned())
        .collect()
}
