//! Shared set-up for the integration tests: a simulator per test (port 0, so tests run in
//! parallel), a client pointed at it with short retry delays, and a tiny scripted HTTP server
//! for the response shapes the simulator has no switch for.
#![allow(dead_code, clippy::unwrap_used)]

pub mod runs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use citrix_cloud::{CitrixClient, ClientConfig, Credentials, Endpoints, RetryPolicy, Secret};
use citrix_sim::{SimConfig, SimControl, Simulator, DEFAULT_SITE_ID};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use url::Url;

pub const SITE: &str = DEFAULT_SITE_ID;

/// Fast but real backoff: four attempts, 10 ms doubling to at most 40 ms.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

pub fn demo_credentials() -> Credentials {
    Credentials {
        customer_id: "demo-customer".into(),
        client_id: "demo-client".into(),
        secret: Secret::new("demo-secret".into()),
    }
}

pub fn config_for(base: &Url, credentials: Credentials) -> ClientConfig {
    let mut cfg = ClientConfig::new(Endpoints::with_base(base), credentials);
    cfg.retry = fast_retry();
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.request_timeout = Duration::from_secs(5);
    cfg
}

pub struct Env {
    pub sim: Simulator,
    pub ctl: SimControl,
    pub client: CitrixClient,
}

impl Env {
    pub async fn start() -> Env {
        Env::start_with(SimConfig::default(), |_| {}).await
    }

    pub async fn start_with(sim_cfg: SimConfig, tweak: impl FnOnce(&mut ClientConfig)) -> Env {
        let sim = Simulator::start(sim_cfg)
            .await
            .expect("start the simulator");
        let ctl = sim.control();
        let mut cfg = config_for(&sim.url(), demo_credentials());
        tweak(&mut cfg);
        let client = CitrixClient::new(cfg).expect("client");
        Env { sim, ctl, client }
    }

    /// Another client (own token cache) on the same simulator.
    pub fn client_with(&self, tweak: impl FnOnce(&mut ClientConfig)) -> CitrixClient {
        let mut cfg = config_for(&self.sim.url(), demo_credentials());
        tweak(&mut cfg);
        CitrixClient::new(cfg).expect("client")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&self.ctl.last_headers().expect("a request was seen"), name)
    }
}

pub fn header_in(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// A canned HTTP response.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering.
    pub delay: std::time::Duration,
}

impl Canned {
    /// No answer at all: the connection is closed once the request has been read, as when an
    /// answer is lost after the service acted.
    pub fn dropped() -> Canned {
        Canned {
            status: 0,
            headers: Vec::new(),
            body: String::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: std::time::Duration) -> Canned {
        self.delay = delay;
        self
    }

    pub fn json(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_owned(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn html(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.to_owned(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the scripted server received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: String,
}

/// Answers token requests with a valid token (or the next of its own token script) and every
/// other request with the next canned response (in both scripts the last one repeats). One
/// response per connection (`connection: close`).
pub struct Scripted {
    pub url: Url,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    tokens_seen: Arc<std::sync::atomic::AtomicUsize>,
    /// (API requests being answered now, the most there ever were).
    in_flight: Arc<Mutex<(usize, usize)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    pub async fn start(script: Vec<Canned>) -> Scripted {
        Scripted::with_tokens(
            vec![Canned::json(
                200,
                r#"{"token_type":"bearer","access_token":"scripted-token","expires_in":"3600"}"#,
            )],
            script,
        )
        .await
    }

    /// Like `start`, with the token service's answers scripted too.
    pub async fn with_tokens(tokens: Vec<Canned>, script: Vec<Canned>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new((script, 0usize)));
        let tokens = Arc::new(Mutex::new((tokens, 0usize)));
        let tokens_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tokens_seen2 = tokens_seen.clone();
        let seen2 = seen.clone();
        let in_flight = Arc::new(Mutex::new((0usize, 0usize)));
        let in_flight2 = in_flight.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen2.clone();
                let script = script.clone();
                let tokens = tokens.clone();
                let tokens_seen = tokens_seen2.clone();
                let in_flight = in_flight2.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or("").to_owned();
                    let target = parts.next().unwrap_or("").to_owned();
                    let mut length = 0usize;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).await.unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.trim().eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0u8; length];
                    let _ = reader.read_exact(&mut body).await;
                    let next_of = |script: &Mutex<(Vec<Canned>, usize)>| {
                        let mut guard = script.lock().unwrap();
                        let (list, next) = &mut *guard;
                        let i = (*next).min(list.len().saturating_sub(1));
                        *next += 1;
                        list.get(i)
                            .cloned()
                            .unwrap_or_else(|| Canned::json(500, "{}"))
                    };
                    let is_token = target.contains("/tokens/clients");
                    let canned = if is_token {
                        tokens_seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        next_of(&tokens)
                    } else {
                        let body = String::from_utf8_lossy(&body).into_owned();
                        seen.lock().unwrap().push(Seen {
                            method,
                            target,
                            body,
                        });
                        let mut f = in_flight.lock().unwrap();
                        f.0 += 1;
                        f.1 = f.1.max(f.0);
                        next_of(&script)
                    };
                    tokio::time::sleep(canned.delay).await;
                    if !is_token {
                        in_flight.lock().unwrap().0 -= 1;
                    }
                    let mut stream = reader.into_inner();
                    if canned.status == 0 {
                        let _ = stream.shutdown().await;
                        return;
                    }
                    let mut out = format!(
                        "HTTP/1.1 {} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
                        canned.status,
                        canned.body.len()
                    );
                    for (k, v) in &canned.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(&canned.body);
                    let _ = stream.write_all(out.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Scripted {
            url,
            seen,
            tokens_seen,
            in_flight,
            task,
        }
    }

    pub fn client(&self) -> CitrixClient {
        self.client_with(|_| {})
    }

    pub fn client_with(&self, tweak: impl FnOnce(&mut ClientConfig)) -> CitrixClient {
        let mut cfg = config_for(&self.url, demo_credentials());
        tweak(&mut cfg);
        CitrixClient::new(cfg).expect("client")
    }

    pub fn api_requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The most API requests that were ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().1
    }

    /// The requests seen so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> usize {
        self.tokens_seen.load(std::sync::atomic::Ordering::SeqCst)
    }
}
