//! The simulator set-up shared by the engine benchmarks, and the one way they run the engine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use citrix_cloud::bulk::{self, Action, BulkOptions, CancellationToken, NoObserver};
use citrix_cloud::{CitrixClient, ClientConfig, Credentials, Endpoints, Secret, SessionId};
use citrix_sim::{SimConfig, SimControl, Simulator, DEFAULT_SITE_ID};
use serde_json::Value;

pub const SITE: &str = DEFAULT_SITE_ID;

/// A simulator holding at least `n` recordable sessions, and their IDs.
pub struct Bench {
    pub sim: Simulator,
    pub ctl: SimControl,
    pub ids: Vec<SessionId>,
}

impl Bench {
    pub async fn start(n: usize, latency: Duration) -> Result<Bench, String> {
        // About three fixture sessions in four are recordable (Active and HDX); generating half
        // as many again as needed leaves enough, and any shortfall is topped up below.
        let cfg = SimConfig {
            sessions: n + n / 2 + 16,
            latency,
            ..SimConfig::default()
        };
        let sim = Simulator::start(cfg)
            .await
            .map_err(|e| format!("could not start the simulator: {e}"))?;
        let ctl = sim.control();
        let sessions = ctl.sessions();
        let mut ids: Vec<SessionId> = sessions
            .iter()
            .filter(|s| is_recordable(s))
            .filter_map(|s| s["Id"].as_str().and_then(|id| SessionId::parse(id).ok()))
            .take(n)
            .collect();
        let template = sessions
            .iter()
            .find(|s| is_recordable(s))
            .cloned()
            .ok_or("the simulator generated no recordable session")?;
        while ids.len() < n {
            let mut copy = template.clone();
            if let Some(obj) = copy.as_object_mut() {
                obj.remove("Id");
            }
            let id = ctl.add_session(copy);
            ids.push(SessionId::parse(&id).map_err(|e| format!("simulator ID {id}: {e}"))?);
        }
        Ok(Bench { sim, ctl, ids })
    }

    /// A fresh client with the app's defaults (retry policy, timeouts) and its own token cache,
    /// so each measured run pays for, and counts, its own token request; `concurrency` requests
    /// in flight at once.
    pub fn client(&self, concurrency: usize) -> Result<CitrixClient, String> {
        let credentials = Credentials {
            customer_id: "demo-customer".into(),
            client_id: "demo-client".into(),
            secret: Secret::new("demo-secret".into()),
        };
        let cfg = ClientConfig {
            concurrency,
            ..ClientConfig::new(Endpoints::with_base(&self.sim.url()), credentials)
        };
        CitrixClient::new(cfg).map_err(|e| format!("could not build the client: {e}"))
    }

    /// Whether the simulated broker records the session once the start has taken effect: what
    /// Citrix did, whether or not `RecordingStatus` shows it yet.
    pub fn recording_once_settled(&self, id: &SessionId) -> bool {
        self.ctl
            .recording(id.as_str())
            .is_some_and(|r| r.settles_to)
    }

    /// Nothing recorded: every run starts from the same state.
    pub fn reset(&self) {
        for id in &self.ids {
            self.ctl.set_recording(id.as_str(), false);
        }
    }

    /// The action every run of the benchmark takes.
    pub const ACTION: Action = Action::Start { notify_user: false };

    /// Starts recording on every session with the bulk engine alone and measures it.
    pub async fn run_bulk(
        &self,
        concurrency: usize,
        opts: BulkOptions,
    ) -> Result<RunFigures, String> {
        self.reset();
        let verify = opts.verify;
        let client = self.client(concurrency)?;
        let calls_before = self.ctl.api_requests();
        let tokens_before = self.ctl.token_requests();
        let started = Instant::now();
        let report = bulk::run(
            &client,
            SITE,
            Self::ACTION,
            self.ids.clone(),
            opts,
            CancellationToken::new(),
            Arc::new(NoObserver),
        )
        .await;
        let wall = started.elapsed();
        let recording = self
            .ids
            .iter()
            .filter(|id| self.recording_once_settled(id))
            .count();
        let first_error = report
            .outcomes
            .iter()
            .find_map(|(_, o)| o.reason.as_ref())
            .map(|e| format!("{}: {e}", e.kind()));
        Ok(RunFigures {
            sessions: report.total,
            wall,
            api_calls: self.ctl.api_requests() - calls_before,
            client_tokens: client.token_requests(),
            server_tokens: self.ctl.token_requests() - tokens_before,
            confirmed: report.recording,
            failed: not_done(&report, verify),
            recording_on_server: recording,
            first_error,
        })
    }

    /// The seed's way: for each session, one start call, awaited before the next.
    pub async fn run_sequential(&self, n: usize) -> Result<RunFigures, String> {
        self.reset();
        let client = self.client(1)?;
        let ids = &self.ids[..n.min(self.ids.len())];
        let calls_before = self.ctl.api_requests();
        let tokens_before = self.ctl.token_requests();
        let started = Instant::now();
        let mut failed = 0;
        let mut first_error = None;
        for id in ids {
            if let Err(e) = client.start_recording(SITE, id, false).await {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{}: {e}", e.error.kind()));
            }
        }
        let wall = started.elapsed();
        Ok(RunFigures {
            sessions: ids.len(),
            wall,
            api_calls: self.ctl.api_requests() - calls_before,
            client_tokens: client.token_requests(),
            server_tokens: self.ctl.token_requests() - tokens_before,
            confirmed: ids.len() - failed,
            failed,
            recording_on_server: ids
                .iter()
                .filter(|id| self.recording_once_settled(id))
                .count(),
            first_error,
        })
    }
}

fn is_recordable(s: &Value) -> bool {
    s["State"] == "Active" && s["Connection"]["Protocol"] == "Hdx"
}

/// What one measured run did.
#[derive(Debug, Clone)]
pub struct RunFigures {
    pub sessions: usize,
    pub wall: Duration,
    /// Requests the simulator received under `/cvad/manage` (429s included).
    pub api_calls: u64,
    /// Token requests, as counted by the client and by the simulator.
    pub client_tokens: u64,
    pub server_tokens: u64,
    /// Sessions reported `Recording` (confirmed when verification is on).
    pub confirmed: usize,
    /// Sessions failed, not confirmed or cancelled.
    pub failed: usize,
    /// Sessions the simulator says are being recorded after the run.
    pub recording_on_server: usize,
    pub first_error: Option<String>,
}

impl RunFigures {
    pub fn per_second(&self) -> f64 {
        self.sessions as f64 / self.wall.as_secs_f64()
    }
}

/// Sessions the run did not get to "recording": everything but `recording`, except that without
/// verification an accepted start ends `unknown` by design (nothing was checked).
pub fn not_done(report: &bulk::BulkReport, verify: bool) -> usize {
    report.not_recording
        + report.session_ended
        + report.refused
        + report.cancelled
        + if verify { report.unknown } else { 0 }
}
