//! What the engine's tests share: an observer that records every step, quick check timings,
//! and the check that every outcome agrees with the simulator's own state.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citrix_cloud::bulk::{
    self, Action, BoxFuture, BulkEvent, BulkObserver, BulkOptions, BulkReport, CancellationToken,
    Outcome, Status,
};
use citrix_cloud::SessionId;
use citrix_sim::SimControl;

use super::{Env, SITE};

/// Called with each step's name, the session, and the Finished events so far.
pub type Hook = Box<dyn Fn(&'static str, &SessionId, usize) + Send + Sync>;

/// Records the hook calls and events in one sequence, and runs `on_event(step, id, n)` for each
/// (n = Finished events so far), which tests use to inject faults or cancel mid-run.
pub struct Recorder {
    pub log: Mutex<Vec<(&'static str, String)>>,
    pub outcomes: Mutex<HashMap<String, Vec<Outcome>>>,
    pub finished: AtomicUsize,
    pub refuse: HashSet<String>,
    pub hook: Hook,
}

impl Recorder {
    pub fn with_hook(
        hook: impl Fn(&'static str, &SessionId, usize) + Send + Sync + 'static,
    ) -> Arc<Recorder> {
        Arc::new(Recorder {
            log: Mutex::new(Vec::new()),
            outcomes: Mutex::new(HashMap::new()),
            finished: AtomicUsize::new(0),
            refuse: HashSet::new(),
            hook: Box::new(hook),
        })
    }

    /// Runs `f(n)` after the n-th Finished event.
    pub fn after_finished(f: impl Fn(usize) + Send + Sync + 'static) -> Arc<Recorder> {
        Recorder::with_hook(move |step, _, n| {
            if step == "finished" {
                f(n)
            }
        })
    }

    pub fn quiet() -> Arc<Recorder> {
        Recorder::with_hook(|_, _, _| {})
    }

    pub fn steps(&self, id: &str) -> Vec<&'static str> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, i)| i == id)
            .map(|(s, _)| *s)
            .collect()
    }

    /// Every ID got exactly one Finished, after its other steps, in the right order, and the
    /// steps agree with the outcome.
    pub fn assert_well_formed(&self, report: &BulkReport) {
        let outcomes = self.outcomes.lock().unwrap();
        for (id, outcome) in &report.outcomes {
            let got = outcomes.get(id.as_str()).map_or(0, Vec::len);
            assert_eq!(got, 1, "{id}: {got} Finished events");
            let steps = self.steps(id.as_str());
            let allowed: &[&[&str]] = &[
                &["finished"],
                &["before", "finished"],
                &["before", "requested", "finished"],
                &["before", "requested", "accepted", "finished"],
                &["before", "requested", "accepted", "waiting", "finished"],
                &["before", "requested", "lost", "waiting", "finished"],
            ];
            assert!(allowed.contains(&steps.as_slice()), "{id}: {steps:?}");
            assert_eq!(
                outcome.accepted,
                steps.contains(&"accepted"),
                "{id}: {steps:?} {outcome:?}"
            );
            assert_eq!(
                outcome.answer_lost,
                steps.contains(&"lost"),
                "{id}: {steps:?} {outcome:?}"
            );
            if outcome.status == Status::Cancelled {
                // Not requested at all, or requested but only ever refused with 429s.
                assert!(steps.len() <= 3, "{id}: {steps:?}");
            }
        }
        assert_eq!(outcomes.len(), report.total, "no session lost");
    }
}

impl BulkObserver for Recorder {
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.log.lock().unwrap().push(("before", id.to_string()));
        (self.hook)("before", id, self.finished.load(Ordering::SeqCst));
        Box::pin(std::future::ready(if self.refuse.contains(id.as_str()) {
            Err("the audit log is not writable".into())
        } else {
            Ok(())
        }))
    }

    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        let (step, id) = match event {
            BulkEvent::Requested { id } => ("requested", id),
            BulkEvent::Accepted { id, .. } => ("accepted", id),
            BulkEvent::AnswerLost { id, .. } => ("lost", id),
            BulkEvent::Waiting { id } => ("waiting", id),
            BulkEvent::Finished { id, outcome } => {
                self.outcomes
                    .lock()
                    .unwrap()
                    .entry(id.to_string())
                    .or_default()
                    .push(outcome);
                self.finished.fetch_add(1, Ordering::SeqCst);
                ("finished", id)
            }
        };
        self.log.lock().unwrap().push((step, id.to_string()));
        (self.hook)(step, &id, self.finished.load(Ordering::SeqCst));
        Box::pin(std::future::ready(()))
    }
}

pub fn recordable(ctl: &SimControl, n: usize) -> Vec<SessionId> {
    let ids: Vec<SessionId> = ctl
        .sessions()
        .iter()
        .filter(|s| s["State"] == "Active" && s["Connection"]["Protocol"] == "Hdx")
        .take(n)
        .map(|s| SessionId::parse(s["Id"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(ids.len(), n, "enough recordable fixture sessions");
    ids
}

/// Checks every 20-40 ms for at most half a second.
pub fn fast_verify() -> BulkOptions {
    BulkOptions {
        verify: true,
        first_check: Duration::from_millis(20),
        max_check_interval: Duration::from_millis(40),
        verify_window: Duration::from_millis(500),
    }
}

/// A run on the test site, checking quickly.
pub async fn run(
    env: &Env,
    action: Action,
    ids: Vec<SessionId>,
    observer: Arc<dyn BulkObserver>,
) -> BulkReport {
    run_with(
        env,
        action,
        ids,
        fast_verify(),
        CancellationToken::new(),
        observer,
    )
    .await
}

pub async fn run_with(
    env: &Env,
    action: Action,
    ids: Vec<SessionId>,
    opts: BulkOptions,
    cancel: CancellationToken,
    observer: Arc<dyn BulkObserver>,
) -> BulkReport {
    bulk::run(&env.client, SITE, action, ids, opts, cancel, observer).await
}

/// A token that is cancelled once the simulator has seen `n` API requests.
pub fn cancel_after_requests(
    ctl: &SimControl,
    n: u64,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let ctl = ctl.clone();
    let watcher = tokio::spawn(async move {
        while ctl.api_requests() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        trigger.cancel();
    });
    (cancel, watcher)
}

pub fn start() -> Action {
    Action::Start { notify_user: false }
}

/// What the engine reports equals the simulator's own state, or is "unknown"; cancelled and
/// refused sessions were not acted on (`untouched` says whether the test knows that a session
/// had never been started before the run).
pub fn assert_truthful(ctl: &SimControl, report: &BulkReport, untouched: bool) {
    for (id, outcome) in &report.outcomes {
        let exists = ctl.sessions().iter().any(|s| {
            s["Id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(id.as_str()))
        });
        match outcome.status {
            Status::Recording => assert!(ctl.is_recording(id.as_str()), "{id}: {outcome:?}"),
            Status::NotRecording => {
                assert!(
                    exists && !ctl.is_recording(id.as_str()),
                    "{id}: {outcome:?}"
                )
            }
            Status::SessionEnded => assert!(!exists, "{id}: {outcome:?}"),
            Status::Refused | Status::Cancelled if untouched => {
                assert_eq!(ctl.notify_user(id.as_str()), None, "{id}: {outcome:?}");
                assert!(!ctl.is_recording(id.as_str()), "{id}: {outcome:?}");
            }
            Status::Refused | Status::Cancelled | Status::Unknown => {}
        }
    }
}
