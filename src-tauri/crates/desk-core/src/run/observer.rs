//! The run's observer: the engine's hooks write the audit trail around every request and tell
//! the front end how each session went.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use citrix_cloud::bulk::{Action, BoxFuture, BulkEvent, BulkObserver, Outcome};
use citrix_cloud::SessionId;

use super::{EventSink, RunEvent, RunOutcome, RunStatus};
use crate::audit::{self, AuditContext, AuditEvent, AuditLog, AuditWriter, Entry};
use crate::error::{Error, Result};
use crate::sessions::{LastAction, RowCache};

/// What the observer itself must remember; the counts of outcomes are the engine's report.
#[derive(Default)]
struct Tally {
    /// Sessions whose "requested" record is on disk: only they get an outcome record.
    requested: HashSet<String>,
    /// Outcomes whose record could not be written.
    not_audited: u32,
}

/// Writes the audit records of one run around the engine's requests, remembers Citrix's answers
/// for the detail view, and passes progress on to `sink`.
pub struct RunObserver {
    /// The run's action is `ctx.action`: the one copy of what was asked.
    ctx: Arc<AuditContext>,
    /// Writes the records on its own thread; ends with the run.
    audit: AuditWriter,
    cache: Arc<RowCache>,
    sink: EventSink,
    tally: Mutex<Tally>,
}

impl RunObserver {
    pub fn new(
        ctx: AuditContext,
        log: Arc<AuditLog>,
        cache: Arc<RowCache>,
        sink: EventSink,
    ) -> Result<RunObserver> {
        Ok(RunObserver {
            ctx: Arc::new(ctx),
            audit: AuditWriter::start(log)?,
            cache,
            sink,
            tally: Mutex::new(Tally::default()),
        })
    }

    /// Outcomes of the run so far that are missing from the audit trail.
    pub fn not_audited(&self) -> u32 {
        self.tally().not_audited
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry(&self, id: &str) -> Entry {
        let known = self.cache.session(id).unwrap_or_default();
        Entry {
            session_id: id.to_owned(),
            session_user: known.user,
            display_name: known.display_name,
            machine: known.machine,
            delivery_group: known.delivery_group,
            ..Entry::default()
        }
    }

    /// Notes the outcome, writes its record (awaited: the window hears of an outcome only once
    /// it is on record), then tells the window.
    async fn finished(&self, id: &SessionId, outcome: Outcome) {
        let id_text = id.to_string();
        let response = outcome.response.clone();
        let mut run_outcome = self.describe(outcome);

        let was_requested = self.tally().requested.contains(&id_text);

        if let Some(response) = response {
            self.cache.set_last_action(
                &id_text,
                LastAction {
                    action: self.ctx.action,
                    at: audit::now_rfc3339(),
                    transaction_id: run_outcome.transaction_id.clone(),
                    response,
                },
            );
        }

        // Every session with a request on record gets its outcome record, and so does every
        // session cancelled before sending: the trail says it was not acted on, rather than
        // leaving a selected session out.
        if was_requested || run_outcome.status == RunStatus::Cancelled {
            let mut entry = self.entry(&id_text);
            entry.outcome = Some(run_outcome.status.as_str().to_owned());
            entry.kind = run_outcome.kind.map(|k| k.name());
            entry.message = run_outcome.message.clone();
            entry.transaction_id = run_outcome.transaction_id.clone();
            entry.accepted = Some(run_outcome.accepted);
            entry.answer_lost = Some(run_outcome.answer_lost);
            let written = self
                .audit
                .append(&self.ctx, AuditEvent::Outcome, entry)
                .await;
            if let Err(e) = written {
                tracing::error!(session = %id_text, "outcome not written to the audit trail: {e}");
                run_outcome.audit_missing = true;
                self.tally().not_audited += 1;
            }
        }

        (self.sink)(RunEvent::Finished {
            session_id: id_text,
            outcome: run_outcome,
        });
    }

    /// The front end's view of an outcome: the status and its flags as the engine found them,
    /// and a sentence for the officer where there is more to say than the status.
    fn describe(&self, outcome: Outcome) -> RunOutcome {
        let status = RunStatus::from(outcome.status);
        let error = outcome.reason.map(|reason| match reason {
            // The engine did not send it because the audit record could not be written.
            citrix_cloud::Error::NotRequested { .. } => Error::AuditUnavailable(format!(
                "Not sent: the audit trail at {} could not be written, so Recording Desk did \
                 not act on this session.",
                self.audit.log().path().display()
            )),
            reason => Error::from(reason),
        });
        let message = match (status, &error) {
            (RunStatus::Cancelled, None) => Some(CANCELLED_BEFORE_SENDING.to_owned()),
            (_, e) => e.as_ref().map(Error::to_string),
        };
        RunOutcome {
            status,
            accepted: outcome.accepted,
            answer_lost: outcome.answer_lost,
            kind: error.as_ref().map(Error::kind),
            message,
            transaction_id: outcome.transaction_id,
            audit_missing: false,
        }
    }
}

/// What the trail says of a session whose request never left.
pub const CANCELLED_BEFORE_SENDING: &str =
    "Cancelled before sending: no request reached Citrix for this session.";

impl BulkObserver for RunObserver {
    /// Finishes once the "requested" record is on disk; the engine sends the request only then.
    fn before_request<'a>(
        &'a self,
        id: &'a SessionId,
        _action: &'a Action,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let id_text = id.to_string();
            let written = self
                .audit
                .append(&self.ctx, AuditEvent::Requested, self.entry(&id_text))
                .await;
            match written {
                Ok(_) => {
                    self.tally().requested.insert(id_text);
                    Ok(())
                }
                Err(e) => {
                    tracing::error!(session = %id_text, "request not sent, audit write failed: {e}");
                    Err(e.message())
                }
            }
        })
    }

    fn on_event(&self, event: BulkEvent) -> BoxFuture<'_, ()> {
        match event {
            BulkEvent::Requested { id } => (self.sink)(RunEvent::Requested {
                session_id: id.to_string(),
            }),
            BulkEvent::Accepted { id, transaction_id } => (self.sink)(RunEvent::Waiting {
                session_id: id.to_string(),
                accepted: true,
                transaction_id,
            }),
            BulkEvent::AnswerLost { id, reason } => (self.sink)(RunEvent::Waiting {
                session_id: id.to_string(),
                accepted: false,
                transaction_id: reason.transaction_id().map(str::to_owned),
            }),
            // The window already shows the session as waiting since it was accepted.
            BulkEvent::Waiting { .. } => {}
            BulkEvent::Finished { id, outcome } => {
                return Box::pin(async move { self.finished(&id, outcome).await })
            }
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Mode;

    use std::time::Duration;

    fn observer(log: &Arc<AuditLog>) -> Arc<RunObserver> {
        let ctx = AuditContext {
            run_id: "run-1".into(),
            action: Action::Start { notify_user: false },
            os_user: "officer".into(),
            computer: "DESK-01".into(),
            app_version: "0.1.0".into(),
            mode: Mode::Demo,
            region: None,
            profile: None,
            customer_id: "acme".into(),
            site_id: "site-1".into(),
            api_host: "127.0.0.1:1".into(),
            reason: None,
            case_ref: None,
        };
        Arc::new(
            RunObserver::new(ctx, Arc::clone(log), Arc::default(), Arc::new(|_| {}))
                .expect("observer"),
        )
    }

    /// Runs `hook` on a one-thread runtime while the audit trail cannot finish an append (its
    /// lock held, as by a disk that takes its time to sync), and checks that another task on
    /// that runtime runs to the end meanwhile and that `hook` waits for its record. Returns the
    /// hook's result once the trail is free again.
    ///
    /// An observer that appended on the runtime's thread would block that thread: the other task
    /// would never run, and the check fails (after a generous wait) instead of hanging.
    fn runs_while_the_trail_is_stalled<T: Send + 'static>(
        log: &Arc<AuditLog>,
        hook: impl FnOnce() -> BoxFuture<'static, T> + Send + 'static,
    ) -> T {
        let path = log.path().to_owned();
        let records_before = log.scan().expect("scan").records.len();
        let stall = log.stall();
        let (report, reported) = std::sync::mpsc::channel();
        let runtime = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let hook = tokio::spawn(hook());
                // Let the hook start (it goes first: tasks run in the order they are spawned).
                tokio::task::yield_now().await;
                let other = tokio::spawn(async { "the other task ran" });
                let ran = other.await.expect("other task");
                let _ = report.send((ran, hook.is_finished()));
                hook.await.expect("hook")
            })
        });
        let seen = reported.recv_timeout(Duration::from_secs(30));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        drop(stall);
        let (ran, hook_done) = seen.expect("the runtime stalled while an audit append waited");
        assert_eq!(ran, "the other task ran");
        assert!(
            !hook_done,
            "the hook finished before its record was written"
        );
        assert_eq!(
            on_disk.lines().count(),
            records_before,
            "nothing written while the trail was stalled"
        );
        runtime.join().expect("runtime thread")
    }

    #[test]
    fn a_slow_audit_append_holds_up_its_session_but_not_the_runtime() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Arc::new(AuditLog::new(dir.path().join(crate::paths::AUDIT_FILE)));
        let obs = observer(&log);
        let id = SessionId::parse("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b").expect("id");

        let (o, i) = (Arc::clone(&obs), id.clone());
        let requested = runs_while_the_trail_is_stalled(&log, move || {
            Box::pin(async move {
                o.before_request(&i, &Action::Start { notify_user: false })
                    .await
            })
        });
        assert_eq!(requested, Ok(()));
        let records = log.scan().expect("scan").records;
        assert_eq!(
            records.len(),
            1,
            "the request is on record once the hook is done"
        );
        assert_eq!(records[0].event, AuditEvent::Requested);

        let (o, i) = (Arc::clone(&obs), id.clone());
        runs_while_the_trail_is_stalled(&log, move || {
            Box::pin(async move {
                o.on_event(BulkEvent::Finished {
                    id: i,
                    outcome: Outcome {
                        status: citrix_cloud::bulk::Status::Recording,
                        accepted: true,
                        answer_lost: false,
                        transaction_id: Some("tx-1".into()),
                        response: None,
                        reason: None,
                    },
                })
                .await
            })
        });
        let scan = log.scan().expect("scan");
        assert!(scan.chain.intact, "{}", scan.chain.message);
        assert_eq!(
            scan.records.iter().map(|r| r.event).collect::<Vec<_>>(),
            [AuditEvent::Requested, AuditEvent::Outcome]
        );
        assert_eq!(scan.records[1].outcome.as_deref(), Some("recording"));
        assert_eq!(obs.not_audited(), 0);
    }
}
