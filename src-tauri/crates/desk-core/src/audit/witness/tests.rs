//! The system log witness against a real syslog daemon (rsyslogd, started by the test on a
//! socket of its own), and against a system log that takes nothing.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::linux::SyslogSocket;
use super::*;
use crate::audit::testing::*;
use crate::audit::{AuditEvent, AuditLog, AuditWriter};
use crate::vault::memory::MemoryStore;
use crate::vault::SecretStore;

/// Long enough for a loaded CI machine; the tests wait for an outcome, never for a time.
const PATIENCE: Duration = Duration::from_secs(60);

/// rsyslogd in the foreground, listening on `dir/log.sock` and writing every message it gets to
/// `dir/syslog.txt` as `program|facility.severity|message`. Killed when dropped.
pub(super) struct Rsyslogd {
    child: Child,
    socket: PathBuf,
    out: PathBuf,
}

impl Rsyslogd {
    /// `None` (with a note) when rsyslogd is not installed and this is not CI, where it must be.
    fn start(dir: &Path) -> Option<Rsyslogd> {
        let socket = dir.join("log.sock");
        let input = format!(
            r#"module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{}" RateLimit.Interval="0")"#,
            socket.display()
        );
        let template = "%programname%|%syslogfacility-text%.%syslogseverity-text%|%msg%\\n";
        Rsyslogd::start_with(dir, &input, template, || socket.exists())
    }

    /// rsyslogd with `input` (its modules and inputs) writing each message to `dir/syslog.txt`
    /// through `template`, once `ready` (panics if it does not get ready within [`PATIENCE`]).
    pub(super) fn start_with(
        dir: &Path,
        input: &str,
        template: &str,
        ready: impl Fn() -> bool,
    ) -> Option<Rsyslogd> {
        let Some(binary) = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/bin/rsyslogd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
        else {
            assert!(
                std::env::var_os("RECORDING_DESK_REQUIRE_KEYCHAIN").is_none()
                    && std::env::var_os("CI").is_none(),
                "rsyslogd is not installed, and CI must test the audit trail's copies against it: \
                 run scripts/install-deps.sh"
            );
            eprintln!("SKIPPED: rsyslogd is not installed (scripts/install-deps.sh installs it)");
            return None;
        };
        let out = dir.join("syslog.txt");
        let conf = dir.join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{dir}")
{input}
template(name="witness" type="string" string="{template}")
*.* action(type="omfile" file="{out}" template="witness")
"#,
                dir = dir.display(),
                out = out.display(),
            ),
        )
        .expect("rsyslog.conf");
        let child = Command::new(binary)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .spawn()
            .expect("start rsyslogd");
        let mut daemon = Rsyslogd {
            child,
            socket: dir.join("log.sock"),
            out,
        };
        let deadline = Instant::now() + PATIENCE;
        while !ready() {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("rsyslogd stopped at once ({status})");
            }
            assert!(Instant::now() < deadline, "rsyslogd did not get ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(daemon)
    }

    /// The lines written so far, once there are at least `n` (panics after [`PATIENCE`]).
    pub(super) fn lines(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = std::fs::read_to_string(&self.out).unwrap_or_default();
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() >= n {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd wrote {} of {n} lines: {text}",
                lines.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn witnessed_log(dir: &Path, socket: &Path) -> AuditLog {
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    sealed_log(dir, &keychain).with_witness(Witness::with_system_log(
        SyslogSocket::open(socket.to_owned()).map(|s| Box::new(s) as Box<dyn SystemLog>),
    ))
}

/// Every record reaches the system log as one line, in order, with its number and seal; the
/// line names no person.
#[tokio::test]
async fn rsyslogd_receives_each_record_with_its_number_and_seal_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(daemon) = Rsyslogd::start(dir.path()) else {
        return;
    };
    let log = Arc::new(witnessed_log(dir.path(), &daemon.socket));
    fill(&log, 3);
    let writer = AuditWriter::start(Arc::clone(&log)).expect("writer");
    let ctx = Arc::new(ctx_for(STOP));
    for i in 0..5 {
        writer
            .append(
                &ctx,
                AuditEvent::Requested,
                entry(&format!("w{i}"), "CONTOSO\\jsmith"),
            )
            .await
            .expect("append");
    }

    let scan = log.scan().expect("scan");
    assert!(scan.chain.intact, "{}", scan.chain.message);
    let lines = daemon.lines(8);
    let expected: Vec<String> = scan
        .records
        .iter()
        .map(|r| format!("recording-desk|authpriv.notice|{}", system_line(r)))
        .collect();
    let got: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut parts = l.splitn(3, '|');
            let (program, level, message) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            format!("{program}|{level}|{}", message.trim())
        })
        .collect();
    assert_eq!(got, expected);
    let first = &scan.records[0];
    assert!(
        got[0].ends_with(&format!(
            "audit seq=1 seal={} trail={} event=requested action=start run=run-1 session=s0 \
             outcome=-",
            first.hash,
            first.key_id.as_deref().expect("sealed")
        )),
        "{}",
        got[0]
    );
    assert!(lines.iter().all(|l| !l.contains("jsmith")), "{lines:?}");
    let status = log.witness_status().expect("witness").system_log;
    assert!(status.on, "{}", status.message);
    assert!(
        status.message.contains("journalctl -t recording-desk"),
        "{}",
        status.message
    );
}

/// A restarted syslog daemon (a new socket at the same place) gets the next records.
#[test]
fn the_next_records_reach_a_restarted_syslog_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(daemon) = Rsyslogd::start(dir.path()) else {
        return;
    };
    let log = witnessed_log(dir.path(), &daemon.socket);
    fill(&log, 2);
    assert_eq!(daemon.lines(2).len(), 2);
    drop(daemon);
    let _ = std::fs::remove_file(dir.path().join("log.sock"));
    let daemon = Rsyslogd::start(dir.path()).expect("rsyslogd again");
    fill(&log, 1);
    let lines = daemon.lines(3);
    assert!(lines[2].contains("audit seq=3 "), "{lines:?}");
    assert!(log.witness_status().expect("witness").system_log.on);
}

/// No system log: the trail is written as always, and the witness says it is off.
#[test]
fn without_a_system_log_the_witness_says_it_is_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = witnessed_log(dir.path(), &dir.path().join("no-such.sock"));
    fill(&log, 2);
    assert_eq!(log.scan().expect("scan").records.len(), 2);
    let status = log.witness_status().expect("witness").system_log;
    assert!(!status.on);
    assert!(
        status.message.starts_with(
            "The system log does not receive copies of the audit trail on this computer"
        ),
        "{}",
        status.message
    );
}

/// A system log that takes nothing for a while never holds the writer up: every record is on
/// disk while the lines still wait, and they all follow once it reads again.
#[test]
fn a_system_log_that_does_not_read_never_holds_up_the_trail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("stuck.sock");
    let receiver = UnixDatagram::bind(&socket).expect("bind");
    let log = witnessed_log(dir.path(), &socket);
    let ctx = ctx();
    let items = (0..2000).map(|i| (&ctx, AuditEvent::Requested, entry(&format!("x{i}"), "u")));
    let written = log
        .append_all(items)
        .expect("written while the log is stuck");
    assert_eq!(written.len(), 2000);
    let witness = log.witness().expect("witness");
    assert!(
        !witness.flush(Duration::ZERO),
        "lines are still waiting for the system log"
    );

    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        while got.len() < 2000 {
            let n = receiver.recv(&mut buf).expect("recv");
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        got
    });
    assert!(witness.flush(PATIENCE), "every line was handed over");
    let got = reader.join().expect("reader");
    assert!(got[0].starts_with("<85>"), "{}", got[0]);
    assert!(got[1999].contains("recording-desk["), "{}", got[1999]);
    assert!(got[1999].ends_with(&system_line(&written[1999])));
    assert!(log.witness_status().expect("witness").system_log.on);
}

/// A value can never pose as another field of the line: spaces, `=` and control characters
/// become `_`, and an absent value is `-`.
#[test]
fn each_value_of_a_line_is_one_word() {
    let mut record = crate::audit::testing::record(
        7,
        "2025-03-14T08:01:00Z",
        AuditEvent::Outcome,
        crate::audit::ActionKind::Stop,
    );
    record.session_id = "s7 outcome=recording".into();
    record.hash = "ab12".into();
    assert_eq!(
        system_line(&record),
        "audit seq=7 seal=ab12 trail=- event=outcome action=stop run=r1 \
         session=s7_outcome_recording outcome=failed"
    );
}
