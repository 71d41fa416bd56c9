//! `desk-bench`: the benchmarks of Recording Desk. Run them all with `scripts/bench.sh`, which
//! builds what they need in release and also runs the UI benchmark; `docs/performance.md` says
//! what each figure means and lists the latest results.
//!
//! ```text
//! desk-bench bulk        part 1: bulk start against the simulator (100 ms per call), the
//!                        engine alone and with the app's audit trail
//! desk-bench ratelimit   part 2: the same under a sustained rate limit
//! desk-bench lookup      part 6: looking up pasted session IDs, as the Paste IDs tab does
//! desk-bench all         parts 1, 2 and 6
//! desk-bench app --app PATH --bare PATH
//!                        part 4: start-up time and idle memory of the app next to a bare
//!                        Tauri window (Linux, X11: run it under xvfb-run)
//! ```

mod app;
mod bulk;
mod lookup;
mod ratelimit;
mod report;
mod sim;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use report::Summary;

const USAGE: &str = "usage: desk-bench <bulk|ratelimit|lookup|all|app> [options]

options (bulk, ratelimit, lookup, all):
  --sessions N        sessions per run, IDs looked up (default 1000)
  --latency-ms MS     simulator latency per call (default 100)
  --record-delay-ms MS  bulk: recording shows this long after a start (default 2000)
  --concurrency LIST  bulk concurrencies, comma-separated (default 16,32,64)
  --sequential N      sessions in the one-at-a-time loop, scaled up if fewer (default: all)
  --rates LIST        rate limits in requests per second (default 50,100)
  --rate-concurrency N  concurrency of the rate-limited runs and of the look-up
                      (default 16, the app's default)
options (app):
  --app PATH          the app binary (target/release/recording-desk)
  --bare PATH         the bare window binary (target/release/desk-bench-bare-window)
  --launches N        measured launches of each (default 5; one more unmeasured warm-up each)
  --settle-ms MS      wait after the window is ready before reading memory (default 3000)
common:
  --summary FILE      append the goal checks to FILE (tab-separated)";

struct Args {
    command: String,
    sessions: usize,
    latency: Duration,
    record_delay: Duration,
    concurrency: Vec<usize>,
    sequential: Option<usize>,
    rates: Vec<f64>,
    rate_concurrency: usize,
    app: Option<PathBuf>,
    bare: Option<PathBuf>,
    launches: usize,
    settle: Duration,
    summary: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or("missing command")?;
    if !matches!(
        command.as_str(),
        "bulk" | "ratelimit" | "lookup" | "all" | "app"
    ) {
        return Err(format!("unknown command {command:?}"));
    }
    let mut args = Args {
        command,
        sessions: 1000,
        latency: Duration::from_millis(100),
        record_delay: Duration::from_millis(2000),
        concurrency: vec![16, 32, 64],
        sequential: None,
        rates: vec![50.0, 100.0],
        rate_concurrency: 16,
        app: None,
        bare: None,
        launches: 5,
        settle: Duration::from_millis(3000),
        summary: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sessions" => args.sessions = number(&value()?)?,
            "--latency-ms" => args.latency = Duration::from_millis(number(&value()?)?),
            "--record-delay-ms" => args.record_delay = Duration::from_millis(number(&value()?)?),
            "--concurrency" => args.concurrency = list(&value()?)?,
            "--sequential" => args.sequential = Some(number(&value()?)?),
            "--rates" => args.rates = list(&value()?)?,
            "--rate-concurrency" => args.rate_concurrency = number(&value()?)?,
            "--app" => args.app = Some(PathBuf::from(value()?)),
            "--bare" => args.bare = Some(PathBuf::from(value()?)),
            "--launches" => args.launches = number(&value()?)?,
            "--settle-ms" => args.settle = Duration::from_millis(number(&value()?)?),
            "--summary" => args.summary = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if args.sessions == 0
        || args.concurrency.is_empty()
        || args.concurrency.contains(&0)
        || args.rate_concurrency == 0
        || args.launches == 0
    {
        return Err("sessions, concurrency and launches must be positive".into());
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a valid number"))
}

fn list<T: std::str::FromStr>(s: &str) -> Result<Vec<T>, String> {
    s.split(',').map(number).collect()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("desk-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut summary = Summary::default();
    let result = match args.command.as_str() {
        "app" => app::run(
            &app::Args {
                app: args.app.clone(),
                bare: args.bare.clone(),
                launches: args.launches,
                settle: args.settle,
            },
            &mut summary,
        ),
        _ => engine(&args, &mut summary),
    };
    let result = result.and_then(|()| summary.append_to(&args.summary));
    summary.print();
    match result {
        Err(e) => {
            eprintln!("desk-bench: {e}");
            ExitCode::FAILURE
        }
        Ok(()) if summary.all_pass() => ExitCode::SUCCESS,
        Ok(()) => ExitCode::from(3),
    }
}

/// Parts 1 and 2 share one runtime. Multi-threaded like the app's (Tauri runs commands on a
/// multi-threaded tokio runtime), so the client and the in-process simulator use every core.
fn engine(args: &Args, summary: &mut Summary) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        if matches!(args.command.as_str(), "bulk" | "all") {
            let bulk_args = bulk::Args {
                sessions: args.sessions,
                latency: args.latency,
                record_delay: args.record_delay,
                sequential: args.sequential.unwrap_or(args.sessions),
                concurrency: args.concurrency.clone(),
            };
            bulk::run(&bulk_args, summary).await?;
        }
        if matches!(args.command.as_str(), "ratelimit" | "all") {
            let rl_args = ratelimit::Args {
                sessions: args.sessions,
                latency: args.latency,
                rates: args.rates.clone(),
                concurrency: args.rate_concurrency,
            };
            ratelimit::run(&rl_args, summary).await?;
        }
        if matches!(args.command.as_str(), "lookup" | "all") {
            let lookup_args = lookup::Args {
                ids: args.sessions,
                latency: args.latency,
                concurrency: args.rate_concurrency,
                sequential: args.sequential.unwrap_or(100),
            };
            lookup::run(&lookup_args, summary).await?;
        }
        Ok(())
    })
}
