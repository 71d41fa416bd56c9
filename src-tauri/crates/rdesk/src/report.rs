//! The run-result printer: the one module of rdesk that knows what a run's outcomes and report
//! look like (their statuses, counts and messages come from the core). It collects the outcome
//! of each session while the run goes, shows progress on a terminal, prints the result and
//! decides the exit code.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};

use citrix_cloud::bulk::Action;
use desk_core::run::{EventSink, RunEvent, RunOutcome, RunReport};
use serde::Serialize;

use crate::exit::Exit;

/// Each session's outcome as the run reports it, and a progress bar on stderr when it is a
/// terminal (none for scripts, none with `--json`).
pub struct Results {
    finished: Mutex<Vec<Finished>>,
    total: usize,
    bar: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Finished {
    session_id: String,
    outcome: RunOutcome,
}

impl Results {
    pub fn new(action: &Action, total: usize, json: bool) -> Arc<Results> {
        let label = match action {
            Action::Start { .. } => "Starting recording",
            Action::Stop => "Stopping recording",
        };
        Arc::new(Results {
            finished: Mutex::new(Vec::new()),
            total,
            bar: (!json && std::io::stderr().is_terminal()).then_some(label),
        })
    }

    /// Where the run sends its progress.
    pub fn sink(self: &Arc<Self>) -> EventSink {
        let results = Arc::clone(self);
        Arc::new(move |event| {
            if let RunEvent::Finished {
                session_id,
                outcome,
            } = event
            {
                let done = {
                    let mut finished = results.lock();
                    finished.push(Finished {
                        session_id,
                        outcome,
                    });
                    finished.len()
                };
                results.draw(done);
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Finished>> {
        self.finished.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn draw(&self, done: usize) {
        let Some(label) = self.bar else { return };
        const WIDTH: usize = 30;
        let filled = (done * WIDTH).checked_div(self.total).unwrap_or(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{label} [{}{}] {done} of {}",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled.min(WIDTH)),
            self.total
        );
        let _ = err.flush();
    }

    /// Prints each session's outcome (in the order the IDs were given) and the totals; returns
    /// the exit code: done only when every session ended as asked and is on record.
    pub fn print(&self, action: &Action, ids: &[String], report: &RunReport, json: bool) -> Exit {
        if self.bar.is_some() {
            eprint!("\r{}\r", " ".repeat(80));
        }
        let mut finished = self.lock().clone();
        finished.sort_by_key(|f| ids.iter().position(|id| *id == f.session_id));
        let exit = if report.succeeded == report.total && report.not_audited == 0 {
            Exit::Done
        } else {
            Exit::Partly
        };
        if json {
            crate::output::json(&serde_json::json!({
                "action": action,
                "report": report,
                "sessions": finished,
            }));
            return exit;
        }
        let rows: Vec<Vec<String>> = finished
            .iter()
            .map(|f| {
                let o = &f.outcome;
                let mut what = o.message.clone().unwrap_or_default();
                if let Some(tx) = &o.transaction_id {
                    what.push_str(&format!(" (Citrix transaction ID {tx})"));
                }
                if o.audit_missing {
                    what.push_str(" NOT IN THE AUDIT TRAIL: note this result elsewhere.");
                }
                vec![f.session_id.clone(), o.status.as_str().to_owned(), what]
            })
            .collect();
        crate::output::table(&["SESSION", "RESULT", "WHAT HAPPENED"], &rows);
        println!("{}", summary(action, report));
        exit
    }
}

/// One line of totals, e.g. "Start recording: 1 of 2 sessions done as asked; 1 refused by Citrix."
fn summary(action: &Action, r: &RunReport) -> String {
    let what = match action {
        Action::Start { notify_user: true } => "Start recording (users told)",
        Action::Start { notify_user: false } => "Start recording (users not told)",
        Action::Stop => "Stop recording",
    };
    let mut text = format!(
        "{what}: {} of {} sessions done as asked",
        r.succeeded, r.total
    );
    let start = matches!(action, Action::Start { .. });
    for (n, label) in [
        (
            if start { r.not_recording } else { r.recording },
            if start {
                "started, but Citrix does not report them as recording: ask your Citrix \
                 administrator, quoting the session, machine, time and transaction ID"
            } else {
                "stop sent, but Citrix still reports them as recording"
            },
        ),
        (r.session_ended, "had ended (confirmed by Citrix)"),
        (r.refused, "refused by Citrix"),
        (
            r.unknown,
            "not known: Citrix could not be asked (check again)",
        ),
        (r.cancelled, "cancelled before sending"),
        (r.not_audited, "not written to the audit trail"),
    ] {
        if n > 0 {
            text.push_str(&format!("; {n} {label}"));
        }
    }
    text.push('.');
    text
}
