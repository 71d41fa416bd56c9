//! Part 1: a bulk start of many sessions against a simulator with a realistic round trip,
//! compared with the ideal and with a one-at-a-time loop.
//!
//! "Ideal" is the time the run's necessary API calls take when exactly `concurrency` of them are
//! always in flight and nothing else costs anything: `sessions × calls × latency / concurrency`,
//! where `calls` is 1 without verification (the start) and 2 with it (the start, then the one
//! `RecordingStatus` check that confirms it: the simulator records at once, so one check is
//! enough). The measured wall time includes everything the ideal leaves out: the run's token
//! request (one more round trip), connection set-up, both sides' CPU time (the simulator runs in
//! the same process), and the tail of the last wave.
//!
//! The rows "with the audit trail" run at the app's default concurrency through the app's own
//! run path (`desk_core::run::execute`, what the window's Start recording calls), which writes
//! what a run of the app writes: for each session a "requested" record, synced to disk before
//! its start is sent, and an outcome record after, sealed with a key kept in the OS keychain (its
//! anchor there updated after each write, in a keychain namespace of the bench's own),
//! into a fresh trail in the system's temp folder (on the normal disk, not in memory). As in the
//! app, the connection (token and `/me`) is made before the run, and the sessions' users and
//! machines are known from the searches that found them. The ideal is the same as for the
//! engine alone: the trail is held to the same goal. After the run the trail is read back and
//! its chain verified.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use citrix_cloud::bulk::{BulkOptions, CancellationToken};
use citrix_cloud::{Credentials, Endpoints, Secret};
use desk_core::account::{self, ConnectRequest, Mode};
use desk_core::audit::{self, AuditEvent, AuditLog, TrailSeals};
use desk_core::paths::{ANCHOR_FILE, AUDIT_FILE};
use desk_core::run::{self, EventSink, RunEvent, RunRequest, RunStatus};
use desk_core::sessions::{RowCache, SessionRow};
use desk_core::vault::KeyringStore;

use crate::report::{secs, Summary, Table};
use crate::sim::{Bench, RunFigures, SITE};

pub struct Args {
    pub sessions: usize,
    pub latency: Duration,
    /// How long after an accepted start `RecordingStatus` shows it (a Recording Server's start).
    pub record_delay: Duration,
    /// Sessions in the one-at-a-time loop (its time is scaled up to `sessions` if fewer).
    pub sequential: usize,
    pub concurrency: Vec<usize>,
}

/// Goals from the issue.
const MAX_RATIO: f64 = 1.25;
const MIN_SPEEDUP: f64 = 8.0;
const DEFAULT_CONCURRENCY: usize = 16;

pub async fn run(args: &Args, summary: &mut Summary) -> Result<(), String> {
    let bench = Bench::start(args.sessions, args.latency).await?;
    bench
        .ctl
        .set_record_delay(args.record_delay, Duration::ZERO);
    let n = bench.ids.len();
    let latency_ms = args.latency.as_millis();
    let delay_ms = args.record_delay.as_millis();
    println!(
        "\n== Part 1: bulk start of {n} sessions, simulator latency {latency_ms} ms per call, \
         recording shown {delay_ms} ms after a start ==\n"
    );

    let mut runs: Vec<Measured> = Vec::new();
    for &concurrency in &args.concurrency {
        for verify in [false, true] {
            let opts = BulkOptions {
                verify,
                ..BulkOptions::default()
            };
            let figures = bench.run_bulk(concurrency, opts).await?;
            runs.push(Measured {
                concurrency,
                verify,
                figures,
                trail: None,
            });
        }
    }
    for verify in [false, true] {
        runs.push(audited_run(&bench, verify).await?);
    }
    let seq_n = args.sequential.clamp(1, n);
    println!("(running the one-at-a-time loop over {seq_n} sessions; it takes a while)");
    let seq = bench.run_sequential(seq_n).await?;
    // The loop's time is the sum of identical round trips: scaling it is exact up to noise.
    let seq_wall = seq.wall.mul_f64(n as f64 / seq.sessions as f64);

    let mut table = Table::new(&[
        "engine",
        "verify",
        "wall",
        "sessions/s",
        "API calls",
        "ideal",
        "wall/ideal",
        "vs loop",
        "tokens",
        "failed",
        "audit records",
    ]);
    table.row(vec![
        "one at a time".into(),
        "off".into(),
        secs(seq_wall),
        format!("{:.1}", n as f64 / seq_wall.as_secs_f64()),
        seq.api_calls.to_string(),
        secs(args.latency * n as u32),
        format!(
            "{:.2}",
            seq_wall.as_secs_f64() / (args.latency.as_secs_f64() * n as f64)
        ),
        "1.0×".into(),
        seq.client_tokens.to_string(),
        seq.failed.to_string(),
        "none".into(),
    ]);
    for run in &runs {
        let (concurrency, verify, f) = (run.concurrency, run.verify, &run.figures);
        let ideal = ideal(n, verify, args.latency, concurrency, args.record_delay);
        table.row(vec![
            run.engine(),
            if verify { "on" } else { "off" }.into(),
            secs(f.wall),
            format!("{:.1}", f.per_second()),
            f.api_calls.to_string(),
            secs(ideal),
            format!("{:.3}", f.wall.as_secs_f64() / ideal.as_secs_f64()),
            format!("{:.1}×", seq_wall.as_secs_f64() / f.wall.as_secs_f64()),
            f.client_tokens.to_string(),
            f.failed.to_string(),
            run.trail
                .as_ref()
                .map_or_else(|| "none".into(), |(t, _)| t.records.to_string()),
        ]);
    }
    print!("{}", table.render());
    if seq.sessions < n {
        println!(
            "The loop ran {} sessions in {}; its row is scaled to {n}.",
            seq.sessions,
            secs(seq.wall)
        );
    }
    println!(
        "ideal = sessions × calls × latency / concurrency, calls = 1 (start) without verification, \
         2 (start + one RecordingStatus check) with it, plus the recording delay when verifying \
         (the last session's recording shows that long after its start); the loop's ideal is \
         sessions × latency."
    );
    for run in &runs {
        if let Some((t, dir)) = &run.trail {
            println!(
                "{}, verify {}: {} audit records written ({} requested, {} outcomes) to {}; \
                 chain verified: {} ({})",
                run.engine(),
                if run.verify { "on" } else { "off" },
                t.records,
                t.requested,
                t.outcomes,
                dir.display(),
                if t.intact { "yes" } else { "NO" },
                t.message
            );
        }
    }

    for run in &runs {
        let (concurrency, verify, f) = (&run.concurrency, &run.verify, &run.figures);
        let label = format!(
            "bulk {n}, concurrency {concurrency}, verify {}{}",
            if *verify { "on" } else { "off" },
            if run.trail.is_some() {
                ", with the audit trail"
            } else {
                ""
            }
        );
        if let Some(e) = &f.first_error {
            println!("{label}: first error: {e}");
        }
        if let Some((t, _)) = &run.trail {
            summary.check(
                format!("{label}: audit records"),
                format!(
                    "{} requested + {} outcomes, chain {}",
                    t.requested,
                    t.outcomes,
                    if t.intact { "intact" } else { "BROKEN" }
                ),
                "one of each per session, chain intact",
                t.requested == n && t.outcomes == n && t.records == 2 * n && t.intact,
            );
        }
        // The goals are set for the app's default concurrency; the other rows are there to
        // show how the engine scales.
        if *concurrency == DEFAULT_CONCURRENCY {
            let ideal = ideal(n, *verify, args.latency, *concurrency, args.record_delay);
            let ratio = f.wall.as_secs_f64() / ideal.as_secs_f64();
            summary.check(
                format!("{label}: wall / ideal"),
                format!("{ratio:.3} ({} vs {})", secs(f.wall), secs(ideal)),
                "≤ 1.25",
                ratio <= MAX_RATIO,
            );
        }
        // The loop sends one start per session and checks nothing: the comparison that means
        // something is with the bulk run doing the same work. With verification on the engine
        // sends twice the calls; its speed-up is in the table.
        if *concurrency == DEFAULT_CONCURRENCY && !*verify && run.trail.is_none() {
            let speedup = seq_wall.as_secs_f64() / f.wall.as_secs_f64();
            summary.check(
                format!("{label}: speed-up over the one-at-a-time loop"),
                format!("{speedup:.1}×"),
                "≥ 8×",
                speedup >= MIN_SPEEDUP,
            );
        }
        summary.check(
            format!("{label}: token requests"),
            format!("{} (server saw {})", f.client_tokens, f.server_tokens),
            "exactly 1",
            f.client_tokens == 1 && f.server_tokens == 1,
        );
        // Without verification nothing is confirmed: the simulator's own state is the proof.
        let ok = f.failed == 0 && (!*verify || f.confirmed == n) && f.recording_on_server == n;
        summary.check(
            format!("{label}: sessions recording"),
            format!("{} of {n} ({} failed)", f.recording_on_server, f.failed),
            "all",
            ok,
        );
    }
    bench.sim.shutdown().await;
    Ok(())
}

/// One measured bulk run, and the audit trail it wrote if it ran with the app's observer.
struct Measured {
    concurrency: usize,
    verify: bool,
    figures: RunFigures,
    trail: Option<(TrailCheck, PathBuf)>,
}

impl Measured {
    fn engine(&self) -> String {
        match self.trail {
            None => format!("bulk, concurrency {}", self.concurrency),
            Some(_) => format!("bulk, concurrency {}, audit trail", self.concurrency),
        }
    }
}

/// What the audited run left in its trail.
struct TrailCheck {
    records: usize,
    requested: usize,
    outcomes: usize,
    /// The chain and every seal hold and the file matches its anchor in the keychain.
    intact: bool,
    message: String,
}

/// A run at the app's default concurrency through the app's run path, writing a fresh audit
/// trail in the temp folder; the trail is then read back, verified, and removed.
async fn audited_run(bench: &Bench, verify: bool) -> Result<Measured, String> {
    let dir = std::env::temp_dir().join(format!(
        "desk-bench-audit-{}-verify-{}",
        std::process::id(),
        if verify { "on" } else { "off" }
    ));
    // A trail left by an earlier run under the same process ID would add to the count.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let opts = BulkOptions {
        verify,
        ..BulkOptions::default()
    };
    let (figures, check) = run_through_the_app(bench, opts, &dir).await?;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        println!("(could not remove {}: {e})", dir.display());
    }
    Ok(Measured {
        concurrency: DEFAULT_CONCURRENCY,
        verify,
        figures,
        trail: Some((check, dir)),
    })
}

/// Starts recording on every session with `desk_core::run::execute` and a trail in `dir`, and
/// measures the run (the connection before it is not timed, as in the app).
async fn run_through_the_app(
    bench: &Bench,
    options: BulkOptions,
    dir: &Path,
) -> Result<(RunFigures, TrailCheck), String> {
    bench.reset();
    // Token requests are counted from before the connection, as the client's own count is: the
    // connection signs in once and the run must reuse that token ("exactly 1" below).
    let tokens_before = bench.ctl.token_requests();
    let connected = account::connect(ConnectRequest {
        mode: Mode::Cloud,
        region: None,
        endpoints: Endpoints::with_base(&bench.sim.url()),
        credentials: Credentials {
            customer_id: "demo-customer".into(),
            client_id: "demo-client".into(),
            secret: Secret::new("demo-secret".into()),
        },
        preferred_site: Some(SITE.to_owned()),
    })
    .await
    .map_err(|e| format!("could not connect: {e}"))?;
    connected.client.set_concurrency(DEFAULT_CONCURRENCY);
    let verify = options.verify;
    // The app's sealed trail: its key and anchor in the OS keychain (a namespace of the bench's
    // own, removed after the run), so the figures include those keychain writes.
    let seals = TrailSeals::new(Arc::new(KeyringStore::new(format!(
        "{}.bench-{}",
        desk_core::vault::SERVICE,
        std::process::id()
    ))));
    let log = Arc::new(AuditLog::sealed(
        dir.join(AUDIT_FILE),
        dir.join(ANCHOR_FILE),
        seals.clone(),
    ));
    // The app knows each session's user and machine from its searches; so does this run.
    let cache = Arc::new(RowCache::with_capacity(usize::MAX));
    let rows: Vec<SessionRow> = bench
        .ctl
        .sessions()
        .into_iter()
        .filter_map(|s| serde_json::from_value::<citrix_cloud::Session>(s).ok())
        .map(|s| SessionRow::from_session(&s, None))
        .collect();
    cache.remember(&rows);
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = Arc::clone(&first_error);
    let sink: EventSink = Arc::new(move |event| {
        if let RunEvent::Finished { outcome, .. } = event {
            if !matches!(outcome.status, RunStatus::Recording | RunStatus::Unknown) {
                let mut first = seen.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| {
                    let kind = outcome.kind.map(|k| k.name()).unwrap_or_default();
                    format!("{kind}: {}", outcome.message.unwrap_or_default())
                });
            }
        }
    });
    let request = RunRequest {
        run_id: "desk-bench".into(),
        action: Bench::ACTION,
        ids: bench.ids.clone(),
        options,
        os_user: audit::os_user(),
        computer: audit::computer_name(),
        justification: run::Justification::default(),
    };

    let calls_before = bench.ctl.api_requests();
    let started = Instant::now();
    let report = run::execute(
        &connected,
        Arc::clone(&log),
        cache,
        request,
        CancellationToken::new(),
        sink,
    )
    .await
    .map_err(|e| format!("the run failed: {e}"))?;
    let wall = started.elapsed();

    let recording = bench
        .ids
        .iter()
        .filter(|id| bench.recording_once_settled(id))
        .count();
    let first_error = first_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let figures = RunFigures {
        sessions: report.total as usize,
        wall,
        api_calls: bench.ctl.api_requests() - calls_before,
        client_tokens: connected.client.token_requests(),
        server_tokens: bench.ctl.token_requests() - tokens_before,
        confirmed: report.succeeded as usize,
        failed: (report.not_recording
            + report.session_ended
            + report.refused
            + report.cancelled
            + if verify { report.unknown } else { 0 }) as usize,
        recording_on_server: recording,
        first_error,
    };

    let scan = log.scan().map_err(|e| e.to_string())?;
    let _ = seals.delete_all();
    let count = |event| scan.records.iter().filter(|r| r.event == event).count();
    let check = TrailCheck {
        records: scan.records.len(),
        requested: count(AuditEvent::Requested),
        outcomes: count(AuditEvent::Outcome),
        intact: scan.chain.intact,
        message: scan.chain.message.clone(),
    };
    Ok((figures, check))
}

/// See the module docs.
fn ideal(
    sessions: usize,
    verify: bool,
    latency: Duration,
    concurrency: usize,
    record_delay: Duration,
) -> Duration {
    let calls = if verify { 2.0 } else { 1.0 };
    let requests = latency.mul_f64(sessions as f64 * calls / concurrency.max(1) as f64);
    if verify {
        requests + record_delay
    } else {
        requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_counts_the_verification_call() {
        let l = Duration::from_millis(100);
        let none = Duration::ZERO;
        assert_eq!(ideal(1000, false, l, 16, none), Duration::from_millis(6250));
        assert_eq!(ideal(1000, true, l, 16, none), Duration::from_millis(12500));
        // The goal: 1.25 × (2 × 1,000 × 100 ms ÷ 16 + 2 s) = 18.1 s.
        let two = Duration::from_secs(2);
        assert_eq!(ideal(1000, true, l, 16, two), Duration::from_millis(14500));
    }
}
