//! The bulk engine against the simulator: events and ordering, verification, cancellation, and
//! staying alive through throttling and token revocation.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use citrix_cloud::bulk::{
    self, Action, BoxFuture, BulkEvent, BulkObserver, BulkOptions, CancellationToken, Outcome,
};
use citrix_cloud::SessionId;
use citrix_sim::SimControl;
use common::{Env, SITE};

/// Records the hook calls and events in one sequence, and runs `on_finished(n)` after the n-th
/// Finished event (tests use it to inject faults or cancel mid-run).
struct Recorder {
    log: Mutex<Vec<(&'static str, String)>>,
    outcomes: Mutex<HashMap<String, Vec<Outcome>>>,
    finished: AtomicUsize,
    refuse: HashSet<String>,
    on_finished: Box<dyn Fn(usize) + Send + Sync>,
}

impl Recorder {
    fn new(on_finished: impl Fn(usize) + Send + Sync + 'static) -> Arc<Recorder> {
        Arc::new(Recorder {
            log: Mutex::new(Vec::new()),
            outcomes: Mutex::new(HashMap::new()),
            finished: AtomicUsize::new(0),
            refuse: HashSet::new(),
            on_finished: Box::new(on_finished),
        })
    }

    fn quiet() -> Arc<Recorder> {
        Recorder::new(|_| {})
    }

    fn steps(&self, id: &str) -> Vec<&'static str> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, i)| i == id)
            .map(|(s, _)| *s)
            .collect()
    }

    /// Every ID got exactly one Finished, after its other steps, in the right order.
    fn assert_well_formed(&self, ids: &[SessionId]) {
        let outcomes = self.outcomes.lock().unwrap();
        for id in ids {
            let got = outcomes.get(id.as_str()).map_or(0, Vec::len);
            assert_eq!(got, 1, "{id}: {got} Finished events");
            let steps = self.steps(id.as_str());
            let allowed: &[&[&str]] = &[
                &["finished"],
                &["before", "finished"],
                &["before", "requested", "finished"],
                &["before", "requested", "verifying", "finished"],
            ];
            assert!(allowed.contains(&steps.as_slice()), "{id}: {steps:?}");
        }
    }
}

impl BulkObserver for Recorder {
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.log.lock().unwrap().push(("before", id.to_string()));
        Box::pin(std::future::ready(if self.refuse.contains(id.as_str()) {
            Err("the audit log is not writable".into())
        } else {
            Ok(())
        }))
    }

    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        self.record(event);
        Box::pin(std::future::ready(()))
    }
}

impl Recorder {
    fn record(&self, event: BulkEvent) {
        match event {
            BulkEvent::Requested { id } => {
                self.log.lock().unwrap().push(("requested", id.to_string()))
            }
            BulkEvent::Verifying { id } => {
                self.log.lock().unwrap().push(("verifying", id.to_string()))
            }
            BulkEvent::Finished { id, outcome } => {
                self.log.lock().unwrap().push(("finished", id.to_string()));
                self.outcomes
                    .lock()
                    .unwrap()
                    .entry(id.to_string())
                    .or_default()
                    .push(outcome);
                let n = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
                (self.on_finished)(n);
            }
        }
    }
}

fn recordable(ctl: &SimControl, n: usize) -> Vec<SessionId> {
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

fn fast_verify() -> BulkOptions {
    BulkOptions {
        verify_interval: Duration::from_millis(20),
        ..BulkOptions::default()
    }
}

fn start() -> Action {
    Action::Start { notify_user: false }
}

#[tokio::test]
async fn hundred_sessions_all_recording() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 100);
    let rec = Recorder::quiet();
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.total, 100);
    assert_eq!(report.recording, 100, "{report:?}");
    assert_eq!(report.succeeded(), 100);
    assert_eq!(
        (report.failed, report.cancelled, report.not_verified()),
        (0, 0, 0)
    );
    let order: Vec<&SessionId> = report.outcomes.iter().map(|(id, _)| id).collect();
    assert_eq!(
        order,
        ids.iter().collect::<Vec<_>>(),
        "report in input order"
    );
    rec.assert_well_formed(&ids);
    for (id, outcome) in &report.outcomes {
        assert!(env.ctl.is_recording(id.as_str()));
        assert_eq!(env.ctl.notify_user(id.as_str()), Some(false));
        assert!(outcome.transaction_id().is_some());
        assert_eq!(outcome.status(), "recording");
        if let Outcome::Recording { response, .. } = outcome {
            assert_eq!(response["Id"], id.as_str(), "the start response is kept");
        }
    }
    assert_eq!(env.ctl.token_requests(), 1, "one shared token");
}

#[tokio::test]
async fn stop_run_and_duplicates() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 20);
    for id in &ids {
        env.ctl.set_recording(id.as_str(), true);
    }
    let mut with_dupes = ids.clone();
    with_dupes.extend(ids.iter().take(5).cloned());
    let rec = Recorder::quiet();
    let report = bulk::run(
        &env.client,
        SITE,
        Action::Stop,
        with_dupes,
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.total, 20, "duplicates are asked once");
    assert_eq!(report.stopped, 20, "{report:?}");
    rec.assert_well_formed(&ids);
    assert!(ids.iter().all(|id| !env.ctl.is_recording(id.as_str())));
}

#[tokio::test]
async fn a_session_that_never_records() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 5);
    let stuck = ids[2].clone();
    assert!(env.ctl.set_never_records(stuck.as_str(), true));
    let rec = Recorder::quiet();
    let opts = BulkOptions {
        verify_attempts: 3,
        ..fast_verify()
    };
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        opts,
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.recording, 4);
    assert_eq!(report.not_verified(), 1);
    let (id, outcome) = &report.outcomes[2];
    assert_eq!(id, &stuck);
    assert!(
        matches!(outcome, Outcome::StartedNotRecording { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        rec.steps(stuck.as_str()),
        ["before", "requested", "verifying", "finished"]
    );
}

#[tokio::test]
async fn unrecordable_sessions_fail_alone() {
    let env = Env::start().await;
    let special = env.ctl.special();
    let mut ids = recordable(&env.ctl, 6);
    ids.push(SessionId::parse(&special.rdp).unwrap());
    ids.push(SessionId::parse(&special.disconnected).unwrap());
    let rec = Recorder::quiet();
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.failed, 2, "{report:?}");
    assert_eq!(report.recording, ids.len() - 2);
    for (_, outcome) in &report.outcomes[ids.len() - 2..] {
        let e = outcome.error().unwrap();
        assert_eq!(e.kind(), "cannotRecord", "{e}");
        assert!(e.transaction_id().is_some());
    }
    rec.assert_well_formed(&ids);
}

#[tokio::test]
async fn a_refused_before_request_sends_nothing() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 4);
    let refused = ids[1].clone();
    let rec = Arc::new(Recorder {
        log: Mutex::new(Vec::new()),
        outcomes: Mutex::new(HashMap::new()),
        finished: AtomicUsize::new(0),
        refuse: [refused.to_string()].into_iter().collect(),
        on_finished: Box::new(|_| {}),
    });
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.recording, 3);
    let e = report.outcomes[1].1.error().unwrap();
    assert_eq!(e.kind(), "notRequested");
    assert!(e.message().contains("audit log"), "{e}");
    assert_eq!(env.ctl.notify_user(refused.as_str()), None, "never sent");
    assert_eq!(rec.steps(refused.as_str()), ["before", "finished"]);
}

#[tokio::test]
async fn cancellation_stops_what_was_not_requested() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(30));
    let ids = recordable(&env.ctl, 30);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let rec = Recorder::new(move |n| {
        if n == 4 {
            trigger.cancel();
        }
    });
    let opts = BulkOptions {
        concurrency: 2,
        ..fast_verify()
    };
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        opts,
        cancel,
        rec.clone(),
    )
    .await;
    rec.assert_well_formed(&ids);
    assert_eq!(report.total, 30);
    assert!(report.cancelled >= 20, "{report:?}");
    assert_eq!(
        report.recording + report.cancelled,
        30,
        "in-flight ones finished normally"
    );
    for (id, outcome) in &report.outcomes {
        if matches!(outcome, Outcome::Cancelled) {
            assert_eq!(rec.steps(id.as_str()), ["finished"]);
            assert_eq!(env.ctl.notify_user(id.as_str()), None);
        } else {
            assert!(env.ctl.is_recording(id.as_str()));
        }
    }
}

#[tokio::test]
async fn a_throttling_burst_mid_run_fails_nothing() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 80);
    let ctl = env.ctl.clone();
    let rec = Recorder::new(move |n| {
        if n == 10 {
            // Nearly twice as many 429s as the run has requests in flight.
            ctl.rate_limit_burst(30, None);
        }
    });
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(
        report.failed,
        0,
        "{:?}",
        report
            .outcomes
            .iter()
            .filter_map(|(_, o)| o.error())
            .collect::<Vec<_>>()
    );
    assert_eq!(report.recording, 80);
    rec.assert_well_formed(&ids);
}

#[tokio::test]
async fn a_sustained_rate_limit_slows_the_run_down_instead_of_failing_it() {
    for with_retry_after in [false, true] {
        let env = Env::start().await;
        env.ctl.rate_limit_per_second(Some(80.0), with_retry_after);
        let ids = recordable(&env.ctl, 100);
        let rec = Recorder::quiet();
        let started = Instant::now();
        let report = bulk::run(
            &env.client,
            SITE,
            start(),
            ids.clone(),
            fast_verify(),
            CancellationToken::new(),
            rec.clone(),
        )
        .await;
        let errors: Vec<_> = report
            .outcomes
            .iter()
            .filter_map(|(_, o)| o.error())
            .collect();
        assert!(
            errors.is_empty(),
            "retry-after {with_retry_after}: {errors:?}"
        );
        assert_eq!(report.recording, 100);
        rec.assert_well_formed(&ids);
        // At least 200 requests (start + one status check each) at 80/s after the first second's
        // burst: the run must have been paced, yet finish well within a generous bound.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    }
}

#[tokio::test]
async fn a_revoked_token_mid_run_is_renewed_once() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 60);
    let ctl = env.ctl.clone();
    let rec = Recorder::new(move |n| {
        if n == 10 {
            ctl.revoke_tokens();
        }
    });
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(report.recording, 60);
    assert_eq!(
        env.ctl.token_requests(),
        2,
        "one renewal shared by all in-flight requests"
    );
    rec.assert_well_formed(&ids);
}

/// Every fault the network and the service can throw at a run, one after another: 502 and 503
/// bursts, dropped connections, requests that never answer in time and a revoked token. Each
/// session must end in a definite state that matches the simulator's, and none may go missing.
#[tokio::test]
async fn under_every_kind_of_fault_each_session_ends_in_a_definite_reported_state() {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.request_timeout = Duration::from_millis(400);
    })
    .await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 90);
    let ctl = env.ctl.clone();
    let rec = Recorder::new(move |n| match n {
        10 => ctl.error_burst(502, 6),
        25 => ctl.reset_connections(5),
        40 => ctl.stall(4, Duration::from_millis(900)),
        55 => ctl.error_burst(503, 6),
        70 => ctl.revoke_tokens(),
        _ => {}
    });
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        fast_verify(),
        CancellationToken::new(),
        rec.clone(),
    )
    .await;

    rec.assert_well_formed(&ids);
    assert_eq!(report.total, 90);
    assert_eq!(report.outcomes.len(), 90, "nothing dropped from the report");
    assert_eq!(
        report.recording + report.started_not_recording + report.failed + report.cancelled,
        90,
        "{report:?}"
    );
    for (id, outcome) in &report.outcomes {
        match outcome {
            Outcome::Recording { .. } => assert!(
                env.ctl.is_recording(id.as_str()),
                "{id} reported recording but the service disagrees"
            ),
            Outcome::Failed { error } => {
                assert!(
                    ["timeout", "network", "serviceUnavailable", "rateLimited"]
                        .contains(&error.kind()),
                    "{id}: unexpected failure {error:?}"
                );
                assert!(
                    !error.message().is_empty(),
                    "{id}: failure without a message"
                );
            }
            other => panic!("{id}: {other:?} is not a possible outcome here"),
        }
    }
    // Transient faults are retried: most of the run still records.
    assert!(report.recording >= 80, "{report:?}");
}

/// Runs `at_verify` when the engine starts checking a session's status.
struct AtVerify(Box<dyn Fn(&SessionId) + Send + Sync>);

impl BulkObserver for AtVerify {
    fn before_request<'a>(
        &'a self,
        _id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }
    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        if let BulkEvent::Verifying { id } = event {
            (self.0)(&id)
        }
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn verification_tells_an_ended_session_and_unreadable_status_apart_from_not_recording() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 2);

    // Stop, then the user logs off before the check: the session is not recorded any more.
    env.ctl.set_recording(ids[0].as_str(), true);
    let ctl = env.ctl.clone();
    let report = bulk::run(
        &env.client,
        SITE,
        Action::Stop,
        vec![ids[0].clone()],
        fast_verify(),
        CancellationToken::new(),
        Arc::new(AtVerify(Box::new(move |id| {
            ctl.end_session(id.as_str());
        }))),
    )
    .await;
    assert_eq!(report.stopped, 1, "{report:?}");

    // Start accepted, then every status check fails: not "not recording", but "could not read".
    let ctl = env.ctl.clone();
    let report = bulk::run(
        &env.client,
        SITE,
        start(),
        vec![ids[1].clone()],
        fast_verify(),
        CancellationToken::new(),
        Arc::new(AtVerify(Box::new(move |_| ctl.error_burst(503, 1000)))),
    )
    .await;
    assert_eq!(
        (report.failed, report.started_not_recording),
        (1, 0),
        "{report:?}"
    );
    let error = report.outcomes[0].1.error().expect("a failure");
    assert_eq!(error.kind(), "serviceUnavailable");
    assert!(
        error.message().contains("accepted the start request")
            && error.message().contains("could not be read"),
        "{}",
        error.message()
    );
    assert!(
        env.ctl.is_recording(ids[1].as_str()),
        "the start did happen"
    );
}

/// Holds the `before_request` of one session until the test opens its gate, as a slow audit
/// disk would, and reports every Finished session.
struct Gated {
    held: SessionId,
    gate: tokio::sync::Semaphore,
    finished: tokio::sync::mpsc::UnboundedSender<SessionId>,
}

impl BulkObserver for Gated {
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if *id == self.held {
                let _permit = self.gate.acquire().await.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }

    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        if let BulkEvent::Finished { id, .. } = event {
            let _ = self.finished.send(id);
        }
        Box::pin(std::future::ready(()))
    }
}

/// The hook is awaited, not run to completion on the spot: the held session's request is not
/// sent until its hook finishes, and meanwhile the rest of the run goes on.
#[tokio::test]
async fn a_request_waits_for_its_hook_while_the_other_sessions_go_on() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 3);
    let (finished, mut finished_rx) = tokio::sync::mpsc::unbounded_channel();
    let observer = Arc::new(Gated {
        held: ids[0].clone(),
        gate: tokio::sync::Semaphore::new(0),
        finished,
    });
    let opts = BulkOptions {
        concurrency: 3,
        verify: false,
        ..BulkOptions::default()
    };
    let run = bulk::run(
        &env.client,
        SITE,
        start(),
        ids.clone(),
        opts,
        CancellationToken::new(),
        observer.clone(),
    );
    let check = async {
        let mut done = vec![
            finished_rx.recv().await.unwrap(),
            finished_rx.recv().await.unwrap(),
        ];
        done.sort_by_key(|id| id.to_string());
        let mut others = ids[1..].to_vec();
        others.sort_by_key(|id| id.to_string());
        assert_eq!(done, others, "the other sessions finished first");
        assert!(
            !env.ctl.is_recording(ids[0].as_str()),
            "no request before the hook is done"
        );
        observer.gate.add_permits(1);
        assert_eq!(finished_rx.recv().await.unwrap(), ids[0]);
    };
    let (report, ()) = tokio::join!(run, check);
    assert_eq!(report.recording, 3, "{report:?}");
    assert!(env.ctl.is_recording(ids[0].as_str()));
}
