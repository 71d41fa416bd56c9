//! Part 2: the same bulk start against a tenant limited to R API requests per second (the
//! simulator's token bucket: R per second, holding at most one second's worth, 429 beyond it),
//! with and without `Retry-After` on the 429s.
//!
//! Throughput counts the requests the server accepted, i.e. the run's necessary calls (each
//! session's start and its confirming status check; 429s are not counted), per second of wall
//! time, as a fraction of R. The bucket starts full, so a perfect client gets R requests free in
//! its first second: the "best" column is what a perfect client would reach, slightly above 1.

use std::time::Duration;

use citrix_cloud::bulk::BulkOptions;

use crate::report::{secs, Summary, Table};
use crate::sim::Bench;

pub struct Args {
    pub sessions: usize,
    pub latency: Duration,
    pub rates: Vec<f64>,
    pub concurrency: usize,
}

/// Goal from the issue: at least this fraction of R.
const MIN_FRACTION: f64 = 0.85;

pub async fn run(args: &Args, summary: &mut Summary) -> Result<(), String> {
    let bench = Bench::start(args.sessions, args.latency).await?;
    let n = bench.ids.len();
    let opts = BulkOptions::default();
    println!(
        "\n== Part 2: bulk start of {n} sessions under a rate limit, latency {} ms, concurrency {}, verify on ==\n",
        args.latency.as_millis(),
        args.concurrency
    );
    let mut table = Table::new(&[
        "limit",
        "Retry-After",
        "wall",
        "accepted/s",
        "fraction of R",
        "best",
        "429s",
        "tokens",
        "failed",
    ]);
    for &rate in &args.rates {
        for with_retry_after in [false, true] {
            // Set just before the run, so every run starts with a full bucket.
            bench
                .ctl
                .rate_limit_per_second(Some(rate), with_retry_after);
            let f = bench.run_bulk(args.concurrency, opts.clone()).await?;
            bench.ctl.rate_limit_per_second(None, false);
            // Start + one confirming status check per confirmed session.
            let accepted = 2 * f.confirmed as u64;
            let throttled = f.api_calls.saturating_sub(accepted);
            let per_second = accepted as f64 / f.wall.as_secs_f64();
            let fraction = per_second / rate;
            let best_wall = (accepted as f64 - rate).max(0.0) / rate + args.latency.as_secs_f64();
            let best = accepted as f64 / best_wall / rate;
            let ra = if with_retry_after { "yes" } else { "no" };
            table.row(vec![
                format!("{rate:.0}/s"),
                ra.into(),
                secs(f.wall),
                format!("{per_second:.1}"),
                format!("{fraction:.3}"),
                format!("{best:.3}"),
                throttled.to_string(),
                f.client_tokens.to_string(),
                f.failed.to_string(),
            ]);
            let label = format!(
                "rate limit {rate:.0}/s, Retry-After {ra}, concurrency {}",
                args.concurrency
            );
            if let Some(e) = &f.first_error {
                println!("{label}: first error: {e}");
            }
            summary.check(
                format!("{label}: throughput / R"),
                format!("{fraction:.3} ({per_second:.1}/s)"),
                "≥ 0.85",
                fraction >= MIN_FRACTION,
            );
            summary.check(
                format!("{label}: failed sessions"),
                f.failed.to_string(),
                "0",
                f.failed == 0 && f.recording_on_server == n,
            );
        }
    }
    print!("{}", table.render());
    println!(
        "accepted = start + one RecordingStatus check per session; 429s = requests the simulator \
         received beyond those."
    );
    bench.sim.shutdown().await;
    Ok(())
}
