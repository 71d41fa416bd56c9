//! Part 6: looking up pasted session IDs, as the window's Paste IDs tab does it.
//!
//! The tab sends the IDs in chunks of [`CHUNK`], two chunks in flight at a time, to
//! `desk_core::sessions::lookup` (one `GET /Sessions/{id}` per ID, as many at once as the client's
//! limiter lets through); each chunk's sessions are listed and selected as it arrives. Once the
//! last chunk is in, the officer can act. The recording status of the sessions found then follows
//! through `desk_core::sessions::recording_statuses` (one `RecordingStatus` per session), which
//! the tab asks for the selected rows once the look-up is done.
//!
//! "Ideal" is `IDs × latency / concurrency` for the look-up (one call per ID), and twice that
//! with the statuses. The row "look-up with the status of each ID" is the way of the versions
//! before this one (two calls per ID before anything is listed), measured the same way; the
//! one-at-a-time loop is what a script does (`GET` per ID, awaited before the next), scaled up
//! from a shorter loop.

use std::time::{Duration, Instant};

use citrix_cloud::{CitrixClient, SessionId};
use desk_core::sessions;
use futures::stream::{self, StreamExt};

use crate::report::{secs, Summary, Table};
use crate::sim::{Bench, SITE};

pub struct Args {
    pub ids: usize,
    pub latency: Duration,
    pub concurrency: usize,
    /// IDs in the one-at-a-time loop (its time is scaled up to `ids`).
    pub sequential: usize,
}

/// IDs per look-up call of the Paste IDs tab (`LOOKUP_CHUNK` in `ui/src/screens/paste-panel.ts`).
pub const CHUNK: usize = 100;

/// Chunks in flight at a time (the tab's look-up loop).
pub const IN_FLIGHT: usize = 2;

/// Goal from the issue: listed within 1.25× of the ideal.
const MAX_RATIO: f64 = 1.25;

pub async fn run(args: &Args, summary: &mut Summary) -> Result<(), String> {
    let bench = Bench::start(args.ids, args.latency).await?;
    let ids: Vec<String> = bench.ids.iter().map(|id| id.as_str().to_owned()).collect();
    let n = ids.len();
    println!(
        "\n== Part 6: looking up {n} pasted session IDs, simulator latency {} ms per call, \
         concurrency {} ==\n",
        args.latency.as_millis(),
        args.concurrency
    );
    let per_call = args.latency.as_secs_f64();
    let ideal = Duration::from_secs_f64(n as f64 * per_call / args.concurrency as f64);

    // Now: one call per ID, the statuses after.
    let client = bench.client(args.concurrency)?;
    let calls_before = bench.ctl.api_requests();
    let started = Instant::now();
    let found: Vec<String> = stream::iter(ids.chunks(CHUNK))
        .map(|chunk| sessions::lookup(&client, SITE, chunk.to_vec()))
        .buffered(IN_FLIGHT)
        .flat_map(stream::iter)
        .filter_map(|r| async move { r.row.map(|row| row.id) })
        .collect()
        .await;
    let listed = started.elapsed();
    let statuses = sessions::recording_statuses(&client, SITE, found.clone()).await;
    let all = started.elapsed();
    let calls = bench.ctl.api_requests() - calls_before;
    let known = statuses.iter().filter(|s| s.recording.is_some()).count();
    if found.len() != n || known != n {
        return Err(format!(
            "the look-up found {} of {n} sessions and {known} statuses",
            found.len()
        ));
    }

    // Before: each ID's session and its status, before anything is listed.
    let client = bench.client(args.concurrency)?;
    let started = Instant::now();
    // The versions before sent one chunk at a time.
    for chunk in ids.chunks(CHUNK) {
        with_status(&client, chunk).await?;
    }
    let before = started.elapsed();

    // A script's loop, one ID after the other.
    let seq_n = args.sequential.clamp(1, n);
    println!("(running the one-at-a-time loop over {seq_n} IDs)");
    let client = bench.client(1)?;
    let started = Instant::now();
    for id in &bench.ids[..seq_n] {
        client
            .session(SITE, id)
            .await
            .map_err(|e| format!("one-at-a-time look-up: {e}"))?;
    }
    let seq = started.elapsed().mul_f64(n as f64 / seq_n as f64);

    let mut table = Table::new(&[
        "look-up",
        "listed",
        "statuses in",
        "API calls",
        "ideal (listed)",
        "listed/ideal",
        "vs loop",
    ]);
    let ratio = |d: Duration| format!("{:.2}", d.as_secs_f64() / ideal.as_secs_f64());
    let speedup = |d: Duration| format!("{:.1}×", seq.as_secs_f64() / d.as_secs_f64());
    table.row(vec![
        "one at a time (a script)".into(),
        secs(seq),
        "not asked".into(),
        n.to_string(),
        secs(ideal),
        ratio(seq),
        "1.0×".into(),
    ]);
    table.row(vec![
        "with the status of each ID (before)".into(),
        secs(before),
        secs(before),
        (2 * n).to_string(),
        secs(ideal),
        ratio(before),
        speedup(before),
    ]);
    table.row(vec![
        "the app: listed first, statuses after".into(),
        secs(listed),
        secs(all),
        calls.to_string(),
        secs(ideal),
        ratio(listed),
        speedup(listed),
    ]);
    print!("{}", table.render());

    let goal = ideal.mul_f64(MAX_RATIO);
    summary.check(
        format!(
            "{n} pasted IDs listed and selected, concurrency {}",
            args.concurrency
        ),
        secs(listed),
        &format!("≤ {} (1.25× ideal {})", secs(goal), secs(ideal)),
        listed <= goal,
    );
    let goal_all = ideal.mul_f64(2.0 * MAX_RATIO);
    summary.check(
        format!("{n} pasted IDs with every recording status"),
        secs(all),
        &format!("≤ {} (1.25× ideal {})", secs(goal_all), secs(ideal * 2)),
        all <= goal_all,
    );
    Ok(())
}

/// The way before: each ID's session, then its recording status, all before anything is listed.
async fn with_status(client: &CitrixClient, ids: &[String]) -> Result<(), String> {
    let results: Vec<Result<(), String>> = stream::iter(ids.iter().cloned())
        .map(|raw| async move {
            let id = SessionId::parse(&raw).map_err(|e| e.to_string())?;
            sessions::fetch_row(client, SITE, &id)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .buffered(client.concurrency())
        .collect()
        .await;
    results.into_iter().collect()
}
