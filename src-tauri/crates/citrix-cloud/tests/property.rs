//! A property over random fault schedules: whatever the network and the service do during a run
//! (5xx bursts, 429s, dropped connections, requests that never answer in time, a revoked token,
//! sessions ending, a cancel at a random moment), the engine makes no false statement, loses no
//! session, and reports exactly one final outcome per distinct ID.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citrix_cloud::bulk::{self, Action, CancellationToken, Status};
use citrix_cloud::SessionId;
use citrix_sim::SimControl;
use common::runs::{fast_verify, recordable, Recorder};
use common::{Env, SITE};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Fault {
    ServerErrors(u16, u32),
    Throttle(u32, Option<u64>),
    Resets(u32),
    /// Requests that answer after the client gave up on them.
    Stalls(u32),
    RevokeTokens,
    /// The user of the n-th session logs off.
    EndSession(usize),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (
            prop_oneof![Just(500u16), Just(502), Just(503), Just(504)],
            1..8u32
        )
            .prop_map(|(s, n)| Fault::ServerErrors(s, n)),
        (1..20u32, prop_oneof![Just(None), Just(Some(0u64))])
            .prop_map(|(n, ra)| Fault::Throttle(n, ra)),
        (1..4u32).prop_map(Fault::Resets),
        (1..3u32).prop_map(Fault::Stalls),
        Just(Fault::RevokeTokens),
        (0..SESSIONS).prop_map(Fault::EndSession),
    ]
}

const SESSIONS: usize = 12;

#[derive(Debug, Clone)]
struct Schedule {
    start: bool,
    /// Which sessions are being recorded before the run.
    recording_before: Vec<bool>,
    /// Some IDs twice: duplicates must be asked once.
    duplicates: usize,
    /// (at the n-th event of the run, inject).
    faults: Vec<(usize, Fault)>,
    cancel_at: Option<usize>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        any::<bool>(),
        proptest::collection::vec(any::<bool>(), SESSIONS),
        0..4usize,
        proptest::collection::vec((0..50usize, fault()), 0..6),
        proptest::option::of(0..60usize),
    )
        .prop_map(
            |(start, recording_before, duplicates, faults, cancel_at)| Schedule {
                start,
                recording_before,
                duplicates,
                faults,
                cancel_at,
            },
        )
}

fn inject(ctl: &SimControl, ids: &[SessionId], fault: &Fault) {
    match fault {
        Fault::ServerErrors(status, n) => ctl.error_burst(*status, *n),
        Fault::Throttle(n, retry_after) => ctl.rate_limit_burst(*n, *retry_after),
        Fault::Resets(n) => ctl.reset_connections(*n),
        Fault::Stalls(n) => ctl.stall(*n, Duration::from_millis(500)),
        Fault::RevokeTokens => ctl.revoke_tokens(),
        Fault::EndSession(i) => {
            ctl.end_session(ids[*i].as_str());
        }
    }
}

async fn one_run(schedule: Schedule) {
    let env = Env::start_with(citrix_sim::SimConfig::default(), |cfg| {
        cfg.request_timeout = Duration::from_millis(250);
        cfg.concurrency = 4;
    })
    .await;
    env.ctl.set_latency(Duration::from_millis(2));
    let ids = recordable(&env.ctl, SESSIONS);
    for (id, on) in ids.iter().zip(&schedule.recording_before) {
        env.ctl.set_recording(id.as_str(), *on);
    }
    let action = if schedule.start {
        Action::Start { notify_user: true }
    } else {
        Action::Stop
    };
    let cancel = CancellationToken::new();
    let events = Arc::new(Mutex::new(0usize));
    let (ctl, trigger, faults, cancel_at, targets) = (
        env.ctl.clone(),
        cancel.clone(),
        schedule.faults.clone(),
        schedule.cancel_at,
        ids.clone(),
    );
    let rec = Recorder::with_hook(move |_, _, _| {
        let n = {
            let mut events = events.lock().unwrap();
            *events += 1;
            *events
        };
        for (at, fault) in &faults {
            if *at == n {
                inject(&ctl, &targets, fault);
            }
        }
        if cancel_at == Some(n) {
            trigger.cancel();
        }
    });
    let mut input = ids.clone();
    input.extend(ids.iter().take(schedule.duplicates).cloned());
    let report = bulk::run(
        &env.client,
        SITE,
        action,
        input,
        fast_verify(),
        cancel,
        rec.clone(),
    )
    .await;

    // No session lost, one outcome each, in input order, steps well formed.
    assert_eq!(report.total, SESSIONS);
    let order: Vec<&SessionId> = report.outcomes.iter().map(|(id, _)| id).collect();
    assert_eq!(order, ids.iter().collect::<Vec<_>>());
    rec.assert_well_formed(&report);
    let counted: usize = [
        Status::Recording,
        Status::NotRecording,
        Status::SessionEnded,
        Status::Refused,
        Status::Unknown,
        Status::Cancelled,
    ]
    .iter()
    .map(|s| report.count(*s))
    .sum();
    assert_eq!(counted, SESSIONS);

    // No false statement: each definite status is the simulator's own state.
    let before: HashMap<&SessionId, bool> = ids
        .iter()
        .zip(schedule.recording_before.iter().copied())
        .collect();
    let live: Vec<String> = env
        .ctl
        .sessions()
        .iter()
        .filter_map(|s| s["Id"].as_str().map(str::to_ascii_lowercase))
        .collect();
    for (id, outcome) in &report.outcomes {
        let exists = live.contains(&id.as_str().to_ascii_lowercase());
        let recording = env.ctl.is_recording(id.as_str());
        match outcome.status {
            // A session its user logged off after the engine's last check was what the check
            // said until then: only a session still there can contradict the statement.
            Status::Recording => assert!(!exists || recording, "{id}: {outcome:?}"),
            Status::NotRecording => assert!(!exists || !recording, "{id}: {outcome:?}"),
            Status::SessionEnded => assert!(!exists, "{id}: {outcome:?}"),
            // Nothing was done: the session is as it was (unless its user logged off).
            Status::Cancelled | Status::Refused => {
                assert!(
                    !outcome.accepted && !outcome.answer_lost,
                    "{id}: {outcome:?}"
                );
                if exists {
                    assert_eq!(recording, before[id], "{id}: {outcome:?}");
                    if schedule.start {
                        assert_eq!(env.ctl.notify_user(id.as_str()), None, "{id}: {outcome:?}");
                    }
                }
            }
            Status::Unknown => {}
        }
        // Recording or not recording after a run is what the run did, unless it was so before.
        if outcome.status == Status::Recording && !before[id]
            || outcome.status == Status::NotRecording && before[id]
        {
            assert!(outcome.accepted || outcome.answer_lost, "{id}: {outcome:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        // Each case is a real run against a real server: shrinking replays many of them.
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_false_statement_no_session_lost_one_outcome_each(schedule in schedule()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(one_run(schedule));
    }
}
