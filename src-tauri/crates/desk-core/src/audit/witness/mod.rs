//! The trail's witnesses: copies of every record kept where the officer's account cannot change
//! them, so an auditor can compare.
//!
//! - The **system log** (this computer's own log: the journal or syslog on Linux, the Event Log
//!   on Windows, the unified log on macOS; the last two through the `system-log` crate) gets one line per record with its identifying fields
//!   and its seal (see [`system_line`]), never the names in it: `seq`, `seal`, `trail`, `event`,
//!   `action`, `run`, `session` and `outcome` are enough to compare a record with its line.
//!
//! - The **collector** (see [`collector`]), when IT set one: every record, whole, forwarded to a
//!   syslog collector over TLS, with the trail itself as the queue.
//!
//! The witness never slows or blocks the writer: [`Witness::written`] only queues the lines of
//! records already on disk, and a thread of its own hands them to the OS. What it could not do
//! is in its [`WitnessStatus`], for the Audit screen.

mod collector;
#[cfg(test)]
mod collector_tests;
#[cfg(all(unix, not(target_os = "macos")))]
mod linux;
#[cfg(all(test, target_os = "linux"))]
mod tests;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

use super::AuditRecord;
use collector::Collector;
pub use collector::{CollectorConfig, CollectorStatus, COLLECTOR_ENV, DEFAULT_PORT};

/// The system log's name for Recording Desk's lines (the syslog tag on Linux).
pub const APP_NAME: &str = "recording-desk";

/// Overrides the system log's socket on Linux (`/dev/log`): the tests point it at their own
/// syslog daemon.
pub const SOCKET_ENV: &str = "RECORDING_DESK_SYSLOG_SOCKET";

/// Most lines kept waiting for a system log that does not take them; older ones are dropped
/// (and counted) beyond that, so a stuck log never fills the memory.
const MAX_WAITING: usize = 10_000;

/// How long dropping the witness waits for lines still waiting (a command-line tool that wrote a
/// record and ends at once).
const DRAIN_ON_DROP: Duration = Duration::from_secs(3);

/// Whether one witness receives copies of the trail, in the officer's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WitnessState {
    /// True when every record written since the app started reached it.
    pub on: bool,
    pub message: String,
}

/// What the Audit screen says about the copies of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WitnessStatus {
    pub system_log: WitnessState,
    /// The syslog collector IT set, if any.
    pub collector: Option<CollectorStatus>,
}

/// Where the lines go: the OS's own log.
pub(crate) trait SystemLog: Send {
    /// Hands one line to the OS; `Err` says why it could not, in plain words.
    fn send(&mut self, line: &str) -> Result<(), String>;
    /// Where the lines can be read, for the status ("the system log (journal or syslog)").
    fn name(&self) -> String;
}

/// The system log of this computer, or why there is none.
pub(crate) fn open_system_log() -> Result<Box<dyn SystemLog>, String> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let path = std::env::var_os(SOCKET_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| linux::DEFAULT_SOCKET.into(), std::path::PathBuf::from);
        linux::SyslogSocket::open(path).map(|s| Box::new(s) as Box<dyn SystemLog>)
    }
    #[cfg(any(windows, target_os = "macos"))]
    {
        system_log::SystemLog::open().map(|log| Box::new(OsLog(log)) as Box<dyn SystemLog>)
    }
    #[cfg(not(any(unix, windows)))]
    {
        Err("this version of Recording Desk has no system log for this operating system".into())
    }
}

/// The Event Log on Windows, the unified log on macOS (see the `system-log` crate).
#[cfg(any(windows, target_os = "macos"))]
struct OsLog(system_log::SystemLog);

#[cfg(any(windows, target_os = "macos"))]
impl SystemLog for OsLog {
    fn send(&mut self, line: &str) -> Result<(), String> {
        self.0.write(line)
    }

    fn name(&self) -> String {
        self.0.name().to_owned()
    }
}

/// The line the system log gets for `record`: a fixed prefix and the record's identifying
/// fields and seal, each as `name=value` (`-` when absent).
pub fn system_line(record: &AuditRecord) -> String {
    let event = match record.event {
        super::AuditEvent::Requested => "requested",
        super::AuditEvent::Outcome => "outcome",
        super::AuditEvent::Check => "check",
        super::AuditEvent::Resealed => "resealed",
    };
    format!(
        "audit seq={} seal={} trail={} event={event} action={} run={} session={} outcome={}",
        record.seq,
        word(&record.hash),
        word(record.key_id.as_deref().unwrap_or_default()),
        record.action.as_str(),
        word(&record.run_id),
        word(&record.session_id),
        word(record.outcome.as_deref().unwrap_or_default()),
    )
}

/// A value as one word of the line: spaces and control characters (never in the IDs Citrix and
/// Recording Desk make) become `_`, so a value can never pose as another field.
fn word(value: &str) -> String {
    if value.is_empty() {
        return "-".to_owned();
    }
    value
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() || c == '=' {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The witnesses of one audit trail. Dropping it waits a moment for the lines still waiting.
pub struct Witness {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    collector: Option<Collector>,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    state: Mutex<LogState>,
}

#[derive(Default)]
struct Queue {
    lines: VecDeque<String>,
    /// A line is being handed to the OS right now.
    busy: bool,
    closing: bool,
}

impl Witness {
    /// The witnesses of the trail at `trail` on this computer: its system log (see
    /// [`open_system_log`]) and, when IT set one, the syslog collector.
    pub fn start(trail: &Path, collector: Option<CollectorConfig>) -> Witness {
        let witness = Witness::with_system_log(open_system_log());
        match collector {
            Some(config) => witness.with_collector(trail, config),
            None => witness,
        }
    }

    /// This witness, also forwarding the trail at `trail` to the collector `config`.
    #[must_use]
    pub fn with_collector(mut self, trail: &Path, config: CollectorConfig) -> Witness {
        self.collector = Some(Collector::start(trail, config));
        self
    }

    pub(crate) fn with_system_log(log: Result<Box<dyn SystemLog>, String>) -> Witness {
        let target = match &log {
            Ok(log) => Ok(log.name()),
            Err(why) => Err(why.clone()),
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            state: Mutex::new(LogState {
                target,
                failing: None,
                missed: 0,
            }),
        });
        let thread = match log {
            Ok(log) => {
                let theirs = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name("audit-witness".into())
                    .spawn(move || send_lines(log, &theirs))
                    .inspect_err(|e| tracing::error!("the system log witness cannot start: {e}"))
                    .ok()
            }
            Err(why) => {
                tracing::warn!("the system log does not receive copies of the audit trail: {why}");
                None
            }
        };
        if thread.is_none() {
            let mut state = lock(&shared.state);
            if state.target.is_ok() {
                state.target = Err("its thread could not be started".to_owned());
            }
        }
        Witness {
            shared,
            thread,
            collector: None,
        }
    }

    /// Queues the lines of records just written to disk; never waits for the OS.
    pub fn written(&self, records: &[AuditRecord]) {
        if let Some(collector) = &self.collector {
            collector.news();
        }
        if self.thread.is_none() {
            return;
        }
        let mut queue = lock(&self.shared.queue);
        let mut dropped = 0;
        for record in records {
            if queue.lines.len() >= MAX_WAITING {
                queue.lines.pop_front();
                dropped += 1;
            }
            queue.lines.push_back(system_line(record));
        }
        drop(queue);
        if dropped > 0 {
            lock(&self.shared.state).missed += dropped;
        }
        self.shared.wake.notify_all();
    }

    pub fn status(&self) -> WitnessStatus {
        WitnessStatus {
            system_log: lock(&self.shared.state).view(),
            collector: self.collector.as_ref().map(Collector::status),
        }
    }

    /// Waits until every line queued so far was handed to the OS (or `timeout` passed); true
    /// when none is left.
    pub fn flush(&self, timeout: Duration) -> bool {
        if self.thread.is_none() {
            return true;
        }
        let deadline = Instant::now() + timeout;
        let mut queue = lock(&self.shared.queue);
        while !queue.lines.is_empty() || queue.busy {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            queue = self
                .shared
                .wake
                .wait_timeout(queue, deadline - now)
                .map(|(q, _)| q)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        true
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        if !self.flush(DRAIN_ON_DROP) {
            tracing::warn!("audit lines still waiting for the system log were not sent");
        }
        lock(&self.shared.queue).closing = true;
        self.shared.wake.notify_all();
        // A system log that hangs must not hang the program's end: the thread is left to the OS
        // when it does not end by itself.
        if let Some(thread) = self.thread.take() {
            if thread.is_finished() || lock(&self.shared.queue).lines.is_empty() {
                let _ = thread.join();
            }
        }
    }
}

/// What the system log witness knows of itself.
struct LogState {
    /// Where the lines go ("the system log (journal or syslog)"), or why there is none.
    target: Result<String, String>,
    /// Why the last line could not be handed over, while it could not.
    failing: Option<String>,
    /// Lines the system log did not take (or that were dropped waiting for it).
    missed: u64,
}

impl LogState {
    fn view(&self) -> WitnessState {
        let target = match &self.target {
            Ok(target) => target,
            Err(why) => {
                return WitnessState {
                    on: false,
                    message: format!(
                        "The system log does not receive copies of the audit trail on this \
                         computer ({why})."
                    ),
                }
            }
        };
        let missed = match self.missed {
            0 => String::new(),
            1 => " 1 record written since Recording Desk started is not noted there.".to_owned(),
            n => format!(" {n} records written since Recording Desk started are not noted there."),
        };
        match &self.failing {
            Some(why) => WitnessState {
                on: false,
                message: format!(
                    "{target} does not take copies of the audit trail right now ({why}).{missed} \
                     Recording Desk tries again with each new record."
                ),
            },
            None => WitnessState {
                on: self.missed == 0,
                message: format!(
                    "Every record is also noted in {target}, with its number and seal.{missed}"
                ),
            },
        }
    }
}

fn send_lines(mut log: Box<dyn SystemLog>, shared: &Shared) {
    let mut queue = lock(&shared.queue);
    loop {
        if let Some(line) = queue.lines.pop_front() {
            queue.busy = true;
            drop(queue);
            let sent = log.send(&line);
            {
                let mut state = lock(&shared.state);
                match sent {
                    Ok(()) => state.failing = None,
                    Err(why) => {
                        tracing::warn!("audit line not sent to the system log: {why}");
                        state.failing = Some(why);
                        state.missed += 1;
                    }
                }
            }
            queue = lock(&shared.queue);
            queue.busy = false;
            shared.wake.notify_all();
            continue;
        }
        if queue.closing {
            return;
        }
        queue = shared.wake.wait(queue).unwrap_or_else(|p| p.into_inner());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
