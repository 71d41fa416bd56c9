//! The bulk engine against the simulator: events and ordering, pipelined verification, the
//! outcome vocabulary (every status checked against the simulator's own state), cancellation,
//! and staying alive through throttling, lost answers and token revocation.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citrix_cloud::bulk::{
    Action, BoxFuture, BulkEvent, BulkObserver, BulkOptions, CancellationToken, Status,
};
use citrix_cloud::{ErrorKind, SessionId};
use common::runs::{
    assert_truthful, cancel_after_requests, fast_verify, recordable, run, run_with, start, Recorder,
};
use common::Env;

#[tokio::test]
async fn hundred_sessions_all_recording() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 100);
    let rec = Recorder::quiet();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.total, 100);
    assert_eq!(report.recording, 100, "{report:?}");
    assert_eq!(report.succeeded(), 100);
    let order: Vec<&SessionId> = report.outcomes.iter().map(|(id, _)| id).collect();
    assert_eq!(
        order,
        ids.iter().collect::<Vec<_>>(),
        "report in input order"
    );
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, true);
    for (id, outcome) in &report.outcomes {
        assert_eq!(env.ctl.notify_user(id.as_str()), Some(false));
        assert!(outcome.transaction_id().is_some());
        assert!(outcome.accepted && !outcome.answer_lost);
        assert_eq!(
            rec.steps(id.as_str()),
            ["before", "requested", "accepted", "waiting", "finished"]
        );
        let response = outcome.response.as_ref().expect("the start's answer");
        assert_eq!(response["Id"], id.as_str(), "the start response is kept");
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
    let report = run(&env, Action::Stop, with_dupes, rec.clone()).await;
    assert_eq!(report.total, 20, "duplicates are asked once");
    assert_eq!(report.not_recording, 20, "{report:?}");
    assert_eq!(report.succeeded(), 20);
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, false);
}

#[tokio::test]
async fn without_checks_nothing_is_claimed() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 3);
    let rec = Recorder::quiet();
    let opts = BulkOptions {
        verify: false,
        ..fast_verify()
    };
    let report = run_with(
        &env,
        start(),
        ids,
        opts,
        CancellationToken::new(),
        rec.clone(),
    )
    .await;
    assert_eq!(report.unknown, 3, "{report:?}");
    assert!(report.outcomes.iter().all(|(_, o)| o.accepted));
    rec.assert_well_formed(&report);
}

#[tokio::test]
async fn a_session_that_never_records_is_reported_as_citrix_reports_it() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 5);
    let stuck = ids[2].clone();
    assert!(env.ctl.set_never_records(stuck.as_str(), true));
    let rec = Recorder::quiet();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.recording, 4);
    assert_eq!(report.not_recording, 1);
    assert_eq!(report.succeeded(), 4);
    let (id, outcome) = &report.outcomes[2];
    assert_eq!(id, &stuck);
    assert_eq!(outcome.status, Status::NotRecording, "{outcome:?}");
    assert!(outcome.accepted, "Citrix accepted the start: {outcome:?}");
    assert!(!Status::NotRecording.is_success(start()));
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, true);
}

#[tokio::test]
async fn unrecordable_sessions_are_refused_alone() {
    let env = Env::start().await;
    let special = env.ctl.special();
    let mut ids = recordable(&env.ctl, 6);
    ids.push(SessionId::parse(&special.rdp).unwrap());
    ids.push(SessionId::parse(&special.disconnected).unwrap());
    let rec = Recorder::quiet();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.refused, 2, "{report:?}");
    assert_eq!(report.recording, ids.len() - 2);
    for (id, outcome) in &report.outcomes[ids.len() - 2..] {
        let e = outcome.reason.as_ref().unwrap();
        assert_eq!(e.kind(), ErrorKind::CannotRecord, "{e}");
        assert!(outcome.transaction_id().is_some());
        assert!(!outcome.accepted && !outcome.answer_lost);
        assert_eq!(
            outcome.response.as_ref().map(|r| r["SdkErrorId"].clone()),
            Some(serde_json::json!("SessionOperationFailed")),
            "Citrix's refusal is kept"
        );
        assert_eq!(rec.steps(id.as_str()), ["before", "requested", "finished"]);
    }
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, true);
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
        hook: Box::new(|_, _, _| {}),
    });
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.recording, 3);
    let outcome = &report.outcomes[1].1;
    assert_eq!(outcome.status, Status::Cancelled, "not sent: {outcome:?}");
    let e = outcome.reason.as_ref().unwrap();
    assert_eq!(e.kind(), ErrorKind::NotRequested);
    assert!(e.message().contains("audit log"), "{e}");
    assert_eq!(env.ctl.notify_user(refused.as_str()), None, "never sent");
    assert_eq!(rec.steps(refused.as_str()), ["before", "finished"]);
    rec.assert_well_formed(&report);
}

#[tokio::test]
async fn a_start_on_an_ended_session_is_confirmed_ended_by_the_session_resource() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 3);
    assert!(env.ctl.end_session(ids[1].as_str()));
    let rec = Recorder::quiet();
    let before = env.ctl.api_requests();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.outcomes[1].1.status, Status::SessionEnded);
    assert_eq!(report.recording, 2);
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, true);
    // Two starts and their checks, one start and one GET /Sessions/{id} for the ended one.
    assert!(env.ctl.api_requests() - before >= 6);
}

#[tokio::test]
async fn cancelling_ends_unsent_sessions_cancelled_and_waiting_ones_unknown() {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.concurrency = 2;
    })
    .await;
    env.ctl.set_latency(Duration::from_millis(20));
    let ids = recordable(&env.ctl, 30);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    // Checks are a long way off: sessions already accepted are waiting when the cancel comes.
    let opts = BulkOptions {
        first_check: Duration::from_secs(3600),
        verify_window: Duration::from_secs(7200),
        ..fast_verify()
    };
    let accepted = Arc::new(AtomicUsize::new(0));
    let seen = accepted.clone();
    let checks_before = env.ctl.status_requests().len();
    let rec = Recorder::with_hook(move |step, _, _| {
        if step == "accepted" && seen.fetch_add(1, Ordering::SeqCst) + 1 == 4 {
            trigger.cancel();
        }
    });
    // The run ending at all shows the cancel cut the hour-long wait short; the timeout only
    // stops a broken build from hanging.
    let report = tokio::time::timeout(
        Duration::from_secs(600),
        run_with(&env, start(), ids.clone(), opts, cancel, rec.clone()),
    )
    .await
    .expect("the cancel cuts the hour-long wait for the first check short");
    assert_eq!(
        env.ctl.status_requests().len(),
        checks_before,
        "no confirmation was checked: the waits were cut short, not waited out"
    );
    rec.assert_well_formed(&report);
    assert_eq!(report.total, 30);
    assert!(report.cancelled >= 20, "{report:?}");
    assert_eq!(report.unknown + report.cancelled, 30, "{report:?}");
    for (id, outcome) in &report.outcomes {
        match outcome.status {
            Status::Cancelled => {
                assert_eq!(env.ctl.notify_user(id.as_str()), None, "{id} was not sent");
            }
            Status::Unknown => {
                assert_eq!(
                    outcome.reason.as_ref().unwrap().kind(),
                    ErrorKind::Cancelled
                );
                if outcome.accepted {
                    assert!(env.ctl.is_recording(id.as_str()));
                }
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_truthful(&env.ctl, &report, true);
}

/// A 429 with a minute-long `Retry-After` pauses the whole client; a cancel during that pause
/// ends the run without waiting it out, and since only 429s came back nothing was done.
#[tokio::test]
async fn cancelling_during_a_retry_after_pause_is_prompt_and_nothing_was_done() {
    let env = Env::start().await;
    env.ctl.rate_limit_burst(10_000, Some(60));
    let ids = recordable(&env.ctl, 20);
    // Cancel once the first 429 is in: from then on everything waits for the pause.
    let (cancel, watcher) = cancel_after_requests(&env.ctl, 1);
    let rec = Recorder::quiet();
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        run_with(
            &env,
            Action::Stop,
            ids.clone(),
            fast_verify(),
            cancel,
            rec.clone(),
        ),
    )
    .await
    .expect("the cancel cuts the 60 s pause short");
    watcher.await.unwrap();
    rec.assert_well_formed(&report);
    assert_eq!(
        report.cancelled, 20,
        "only 429s: never reached Citrix: {report:?}"
    );
}

/// During 5xx back-off the request may already have been carried out (a 502 can come after the
/// service acted): a cancel then ends those sessions `unknown`, never `cancelled`.
#[tokio::test]
async fn cancelling_during_a_5xx_backoff_leaves_those_sessions_unknown() {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.retry.base_delay = Duration::from_secs(3600);
        cfg.retry.max_delay = Duration::from_secs(3600);
    })
    .await;
    env.ctl.error_burst(502, 10_000);
    let ids = recordable(&env.ctl, 5);
    let (cancel, watcher) = cancel_after_requests(&env.ctl, 5);
    let rec = Recorder::quiet();
    // The run ending at all shows the cancel cut the hour-long back-off short; the timeout only
    // stops a broken build from hanging.
    let report = tokio::time::timeout(
        Duration::from_secs(600),
        run_with(&env, start(), ids, fast_verify(), cancel, rec.clone()),
    )
    .await
    .expect("the cancel cuts the hour-long back-off short");
    watcher.await.unwrap();
    rec.assert_well_formed(&report);
    assert_eq!(report.unknown, 5, "{report:?}");
    assert!(report
        .outcomes
        .iter()
        .all(|(_, o)| o.answer_lost && !o.accepted));
}

#[tokio::test]
async fn a_throttling_burst_mid_run_fails_nothing() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 80);
    let ctl = env.ctl.clone();
    let rec = Recorder::after_finished(move |n| {
        if n == 10 {
            // Nearly twice as many 429s as the run has requests in flight.
            ctl.rate_limit_burst(30, None);
        }
    });
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.recording, 80, "{report:?}");
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, true);
}

#[tokio::test]
async fn a_sustained_rate_limit_slows_the_run_down_instead_of_failing_it() {
    for with_retry_after in [false, true] {
        let env = Env::start().await;
        env.ctl.rate_limit_per_second(Some(80.0), with_retry_after);
        let ids = recordable(&env.ctl, 100);
        let rec = Recorder::quiet();
        let report = run(&env, start(), ids.clone(), rec.clone()).await;
        assert_eq!(
            report.recording, 100,
            "retry-after {with_retry_after}: {report:?}"
        );
        rec.assert_well_formed(&report);
        assert_truthful(&env.ctl, &report, true);
    }
}

#[tokio::test]
async fn a_revoked_token_mid_run_is_renewed_once() {
    let env = Env::start().await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 60);
    let ctl = env.ctl.clone();
    let rec = Recorder::after_finished(move |n| {
        if n == 10 {
            ctl.revoke_tokens();
        }
    });
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    assert_eq!(report.recording, 60, "{report:?}");
    assert_eq!(
        env.ctl.token_requests(),
        2,
        "one renewal shared by all in-flight requests"
    );
    rec.assert_well_formed(&report);
}

/// A request that gets no answer in time may have been carried out: the engine checks, and
/// reports what Citrix then says, with the answer marked lost. The start is held by the
/// simulator and never answered, so it times out however slow the machine, while the other
/// requests have seconds to spare.
#[tokio::test]
async fn a_timed_out_start_is_checked_and_its_answer_marked_lost() {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.request_timeout = Duration::from_secs(2);
    })
    .await;
    let ids = recordable(&env.ctl, 1);
    env.ctl.hold_start_stop(0, None);
    let rec = Recorder::quiet();
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    let outcome = &report.outcomes[0].1;
    assert!(outcome.answer_lost && !outcome.accepted, "{outcome:?}");
    assert_ne!(outcome.status, Status::Refused, "{outcome:?}");
    assert_eq!(outcome.reason.as_ref().unwrap().kind(), ErrorKind::Timeout);
    assert!(
        outcome.transaction_id().is_some(),
        "the ID we sent, for support"
    );
    rec.assert_well_formed(&report);
    assert_truthful(&env.ctl, &report, false);
}

/// Every fault the network and the service can throw at a run, one after another: 502 and 503
/// bursts, dropped connections, requests that never answer in time and a revoked token. Each
/// session's outcome must match the simulator's state or say "unknown", and none may go missing.
#[tokio::test]
async fn under_every_kind_of_fault_no_outcome_is_false() {
    // The stall (below) outlasts the timeout by seconds, not milliseconds, and the timeout leaves
    // ordinary answers seconds to spare: on a loaded machine (or under Wine) only the stalled
    // requests time out, so "most of the run still records" does not depend on the machine.
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.request_timeout = Duration::from_secs(2);
    })
    .await;
    env.ctl.set_latency(Duration::from_millis(5));
    let ids = recordable(&env.ctl, 90);
    let ctl = env.ctl.clone();
    let rec = Recorder::after_finished(move |n| match n {
        10 => ctl.error_burst(502, 6),
        25 => ctl.reset_connections(5),
        40 => ctl.stall(4, Duration::from_secs(5)),
        55 => ctl.error_burst(503, 6),
        70 => ctl.revoke_tokens(),
        _ => {}
    });
    let report = run(&env, start(), ids.clone(), rec.clone()).await;
    rec.assert_well_formed(&report);
    assert_eq!(report.outcomes.len(), 90, "nothing dropped from the report");
    assert_truthful(&env.ctl, &report, true);
    assert_eq!(report.refused + report.cancelled, 0, "{report:?}");
    // Transient faults are retried and checked: most of the run still records.
    assert!(report.recording >= 80, "{report:?}");
}

/// Runs `at_waiting` when the engine starts waiting for a session's confirmation.
struct AtWaiting(Box<dyn Fn(&SessionId) + Send + Sync>);

impl BulkObserver for AtWaiting {
    fn before_request<'a>(
        &'a self,
        _id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }
    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        if let BulkEvent::Waiting { id } = event {
            (self.0)(&id)
        }
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn verification_tells_an_ended_session_and_unreadable_status_apart_from_not_recording() {
    let env = Env::start().await;
    let ids = recordable(&env.ctl, 2);

    // Stop, then the user logs off before the check: confirmed gone, which a stop counts as done.
    env.ctl.set_recording(ids[0].as_str(), true);
    let ctl = env.ctl.clone();
    let report = run(
        &env,
        Action::Stop,
        vec![ids[0].clone()],
        Arc::new(AtWaiting(Box::new(move |id| {
            ctl.end_session(id.as_str());
        }))),
    )
    .await;
    assert_eq!(report.session_ended, 1, "{report:?}");
    assert_eq!(report.succeeded(), 1);

    // Start accepted, then every check fails: not "not recording", but "not known".
    let ctl = env.ctl.clone();
    let report = run(
        &env,
        start(),
        vec![ids[1].clone()],
        Arc::new(AtWaiting(Box::new(move |_| ctl.error_burst(503, 100_000)))),
    )
    .await;
    let outcome = &report.outcomes[0].1;
    assert_eq!(outcome.status, Status::Unknown, "{outcome:?}");
    assert!(outcome.accepted);
    assert_eq!(
        outcome.reason.as_ref().unwrap().kind(),
        ErrorKind::ServiceUnavailable
    );
    assert!(
        env.ctl.is_recording(ids[1].as_str()),
        "the start did happen"
    );
}

/// A session waiting for its confirmation holds no request slot: with room for one request at a
/// time, the second session is requested while the first still waits.
#[tokio::test]
async fn a_session_waiting_for_confirmation_holds_no_slot() {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.concurrency = 1;
    })
    .await;
    let ids = recordable(&env.ctl, 2);
    struct Pipelined {
        second: SessionId,
        second_requested: tokio::sync::Semaphore,
    }
    impl BulkObserver for Pipelined {
        fn before_request<'a>(
            &'a self,
            _id: &'a SessionId,
            _action: &'a Action,
        ) -> BoxFuture<'a, Result<(), String>> {
            Box::pin(std::future::ready(Ok(())))
        }
        fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
            Box::pin(async move {
                match event {
                    BulkEvent::Requested { id } if id == self.second => {
                        self.second_requested.add_permits(1);
                    }
                    // The first session's wait does not end before the second was requested;
                    // if waiting held the slot, this would never happen.
                    BulkEvent::Waiting { id } if id != self.second => {
                        let _ = self.second_requested.acquire().await;
                    }
                    _ => {}
                }
            })
        }
    }
    let observer = Arc::new(Pipelined {
        second: ids[1].clone(),
        second_requested: tokio::sync::Semaphore::new(0),
    });
    let report = tokio::time::timeout(Duration::from_secs(20), run(&env, start(), ids, observer))
        .await
        .expect("the second session was requested while the first waited");
    assert_eq!(report.recording, 2, "{report:?}");
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
    let run = run(&env, start(), ids.clone(), observer.clone());
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
