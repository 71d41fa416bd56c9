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

use std::time::Duration;

use citrix_cloud::bulk::BulkOptions;

use crate::report::{secs, Summary, Table};
use crate::sim::{Bench, RunFigures};

pub struct Args {
    pub sessions: usize,
    pub latency: Duration,
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
    let n = bench.ids.len();
    let latency_ms = args.latency.as_millis();
    println!(
        "\n== Part 1: bulk start of {n} sessions, simulator latency {latency_ms} ms per call ==\n"
    );

    let mut runs: Vec<(usize, bool, RunFigures)> = Vec::new();
    for &concurrency in &args.concurrency {
        for verify in [false, true] {
            let opts = BulkOptions {
                concurrency,
                verify,
                ..BulkOptions::default()
            };
            let figures = bench.run_bulk(opts).await?;
            runs.push((concurrency, verify, figures));
        }
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
    ]);
    for (concurrency, verify, f) in &runs {
        let ideal = ideal(n, *verify, args.latency, *concurrency);
        table.row(vec![
            format!("bulk, concurrency {concurrency}"),
            if *verify { "on" } else { "off" }.into(),
            secs(f.wall),
            format!("{:.1}", f.per_second()),
            f.api_calls.to_string(),
            secs(ideal),
            format!("{:.3}", f.wall.as_secs_f64() / ideal.as_secs_f64()),
            format!("{:.1}×", seq_wall.as_secs_f64() / f.wall.as_secs_f64()),
            f.client_tokens.to_string(),
            f.failed.to_string(),
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
         2 (start + one RecordingStatus check) with it; the loop's ideal is sessions × latency."
    );

    for (concurrency, verify, f) in &runs {
        let label = format!(
            "bulk {n}, concurrency {concurrency}, verify {}",
            if *verify { "on" } else { "off" }
        );
        if let Some(e) = &f.first_error {
            println!("{label}: first error: {e}");
        }
        // The goals are set for the app's default concurrency; the other rows are there to
        // show how the engine scales.
        if *concurrency == DEFAULT_CONCURRENCY {
            let ideal = ideal(n, *verify, args.latency, *concurrency);
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
        if *concurrency == DEFAULT_CONCURRENCY && !*verify {
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
        let ok = f.failed == 0 && f.confirmed == n && f.recording_on_server == n;
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

/// See the module docs.
fn ideal(sessions: usize, verify: bool, latency: Duration, concurrency: usize) -> Duration {
    let calls = if verify { 2.0 } else { 1.0 };
    latency.mul_f64(sessions as f64 * calls / concurrency.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_counts_the_verification_call() {
        let l = Duration::from_millis(100);
        assert_eq!(ideal(1000, false, l, 16), Duration::from_millis(6250));
        assert_eq!(ideal(1000, true, l, 16), Duration::from_millis(12500));
    }
}
