//! The collector against a real TLS syslog receiver on this computer (rustls, RFC 5425 framing),
//! with certificates made by `openssl`: order, exactly once, a collector away and back, a
//! restart with records waiting, and a certificate that is not trusted.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::collector::header_time;
use super::*;
use crate::audit::testing::*;
use crate::audit::{AuditEvent, AuditLog, AuditWriter};
use crate::vault::memory::MemoryStore;
use crate::vault::SecretStore;

const PATIENCE: Duration = Duration::from_secs(60);

/// A CA, a certificate for `localhost` signed by it, and another CA that signed nothing.
struct Certs {
    ca: PathBuf,
    other_ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (scripts/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_certs(dir: &Path) -> Certs {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for (name, subject) in [
        ("ca", "/CN=Test Collector CA"),
        ("other-ca", "/CN=Other CA"),
    ] {
        let key = format!("{name}.key");
        let pem = format!("{name}.pem");
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout", &key, "-out", &pem, "-days", "2", "-subj", subject,
        ]);
        openssl(dir, &args);
    }
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &args);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    Certs {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// A syslog-over-TLS receiver on 127.0.0.1: every message it reads, in order of arrival.
struct Receiver {
    port: u16,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<Vec<std::thread::JoinHandle<()>>>>,
}

type Messages = Arc<Mutex<Vec<String>>>;

impl Receiver {
    /// Listens on `port` (0: any free one), adding what it reads to `messages`.
    fn start(certs: &Certs, port: u16, messages: &Messages) -> Receiver {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain = vec![CertificateDer::from_pem_file(&certs.cert).expect("cert")];
        let key = PrivateKeyDer::from_pem_file(&certs.key).expect("key");
        let config = Arc::new(
            ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("server config"),
        );
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (theirs_stop, theirs_connections, messages) = (
            Arc::clone(&stop),
            Arc::clone(&connections),
            Arc::clone(messages),
        );
        let thread = std::thread::spawn(move || {
            let mut readers = Vec::new();
            for socket in listener.incoming() {
                if theirs_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(socket) = socket else { continue };
                if let Ok(clone) = socket.try_clone() {
                    lock(&theirs_connections).push(clone);
                }
                let (config, messages) = (Arc::clone(&config), Arc::clone(&messages));
                readers.push(std::thread::spawn(move || {
                    read_frames(config, socket, &messages)
                }));
            }
            readers
        });
        Receiver {
            port,
            stop,
            connections,
            thread: Some(thread),
        }
    }

    /// Stops listening and closes every connection, as a collector that goes away.
    fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let readers = self
            .thread
            .take()
            .map(|t| t.join().expect("receiver"))
            .unwrap_or_default();
        // No connection is accepted any more: close every one, then wait for their readers.
        for socket in lock(&self.connections).drain(..) {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        for reader in readers {
            reader.join().expect("reader");
        }
    }
}

/// Reads RFC 5425 frames (`<length> <message>`) until the connection ends.
fn read_frames(config: Arc<ServerConfig>, socket: TcpStream, messages: &Messages) {
    let Ok(connection) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(connection, socket);
    loop {
        let mut length = String::new();
        let mut byte = [0u8; 1];
        loop {
            match tls.read(&mut byte) {
                Ok(1) if byte[0] == b' ' => break,
                Ok(1) => length.push(char::from(byte[0])),
                _ => return,
            }
        }
        let Ok(length) = length.parse::<usize>() else {
            return;
        };
        let mut message = vec![0u8; length];
        if tls.read_exact(&mut message).is_err() {
            return;
        }
        lock(messages).push(String::from_utf8(message).expect("UTF-8"));
    }
}

/// The record numbers received, once there are `n` (panics after [`PATIENCE`]).
fn received(messages: &Messages, n: usize) -> Vec<u64> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = lock(messages).clone();
        if got.len() >= n {
            return got.iter().map(|m| seq_of(m)).collect();
        }
        assert!(
            Instant::now() < deadline,
            "the collector received {} of {n}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn seq_of(message: &str) -> u64 {
    let start = message.find("seq=\"").expect("seq") + 5;
    let end = start + message[start..].find('"').expect("end");
    message[start..end].parse().expect("number")
}

fn status_when(
    log: &AuditLog,
    what: &str,
    done: impl Fn(&CollectorStatus) -> bool,
) -> CollectorStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = log
            .witness_status()
            .and_then(|s| s.collector)
            .expect("collector");
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "{what}: {status:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn all_sent(s: &CollectorStatus) -> bool {
    s.waiting == 0 && s.message == "Every record has been sent to the collector."
}

fn config(port: u16, ca: &Path) -> CollectorConfig {
    CollectorConfig {
        host: "localhost".into(),
        port,
        ca_file: Some(ca.display().to_string()),
    }
}

fn forwarding_log(
    dir: &Path,
    keychain: &Arc<dyn SecretStore>,
    config: CollectorConfig,
) -> AuditLog {
    let log = sealed_log(dir, keychain);
    let path = log.path().to_owned();
    log.with_witness(
        Witness::with_system_log(Err("not in this test".into())).with_collector(&path, config),
    )
}

/// Each record reaches the collector once, in order, as RFC 5424 with its number, seal and
/// trail in structured data and its line from the trail as the message.
#[tokio::test]
async fn records_reach_the_collector_in_order_and_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(dir.path());
    let messages = Messages::default();
    let receiver = Receiver::start(&certs, 0, &messages);
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let log = Arc::new(forwarding_log(
        dir.path(),
        &keychain,
        config(receiver.port, &certs.ca),
    ));
    fill(&log, 2);
    let writer = AuditWriter::start(Arc::clone(&log)).expect("writer");
    let ctx = Arc::new(ctx_for(STOP));
    for i in 0..4 {
        writer
            .append(&ctx, AuditEvent::Requested, entry(&format!("w{i}"), "u"))
            .await
            .expect("append");
    }
    assert_eq!(received(&messages, 6), [1, 2, 3, 4, 5, 6]);
    let status = status_when(&log, "all sent", all_sent);
    assert!(status.connected, "{status:?}");
    assert_eq!(status.target, format!("localhost:{}", receiver.port));

    let trail = std::fs::read_to_string(log.path()).expect("trail");
    let lines: Vec<&str> = trail.lines().collect();
    let scan = log.scan().expect("scan");
    let got = lock(&messages).clone();
    let first = &scan.records[0];
    assert_eq!(
        header_time("2025-03-14T08:01:00.123456789Z"),
        "2025-03-14T08:01:00.123456Z"
    );
    assert_eq!(
        header_time("2025-03-14T08:01:00.5Z"),
        "2025-03-14T08:01:00.5Z"
    );
    assert!(
        got[0].starts_with(&format!(
            "<85>1 {} DESK-01 recording-desk {} audit [recdesk@32473 seq=\"1\" seal=\"{}\" \
             trail=\"{}\"] \u{feff}",
            header_time(&first.time),
            std::process::id(),
            first.hash,
            first.key_id.as_deref().expect("sealed"),
        )),
        "{}",
        got[0]
    );
    for (message, line) in got.iter().zip(&lines) {
        assert!(message.ends_with(&format!("\u{feff}{line}")), "{message}");
    }
    // Nothing more arrives: each was sent once.
    drop(writer);
    drop(log);
    receiver.stop();
    assert_eq!(lock(&messages).len(), 6);
}

/// A log in a folder of the test's own whose first two records reached a receiver.
struct Sent {
    dir: tempfile::TempDir,
    certs: Certs,
    messages: Messages,
    port: u16,
    keychain: Arc<dyn SecretStore>,
}

impl Sent {
    fn two() -> (Sent, Receiver, AuditLog) {
        let dir = tempfile::tempdir().expect("tempdir");
        let certs = make_certs(dir.path());
        let messages = Messages::default();
        let receiver = Receiver::start(&certs, 0, &messages);
        let sent = Sent {
            dir,
            certs,
            messages,
            port: receiver.port,
            keychain: Arc::new(MemoryStore::default()),
        };
        let log = sent.log();
        fill(&log, 2);
        assert_eq!(received(&sent.messages, 2), [1, 2]);
        status_when(&log, "all sent", all_sent);
        (sent, receiver, log)
    }

    /// The app (again) on the same trail, keychain and collector.
    fn log(&self) -> AuditLog {
        let config = config(self.port, &self.certs.ca);
        forwarding_log(self.dir.path(), &self.keychain, config)
    }

    /// The collector back on its port.
    fn receiver(&self) -> Receiver {
        Receiver::start(&self.certs, self.port, &self.messages)
    }
}

/// A collector away for a while: the records written meanwhile wait (the status says how many
/// and since when) and all arrive, in order and once each, when it is back.
#[test]
fn records_written_while_the_collector_is_away_arrive_when_it_is_back() {
    let (sent, receiver, log) = Sent::two();
    receiver.stop();
    fill(&log, 3);
    let away = status_when(&log, "waiting", |s| !s.connected && s.waiting == 3);
    let target = format!("localhost:{}", sent.port);
    assert!(
        away.message
            .contains(&format!("The collector {target} cannot be reached"))
            && away
                .message
                .contains("The records are kept and sent when it can be."),
        "{away:?}"
    );
    let first_waiting = &log.scan().expect("scan").records[2];
    assert_eq!(
        away.waiting_since.as_deref(),
        Some(first_waiting.time.as_str())
    );

    let receiver = sent.receiver();
    fill(&log, 1);
    assert_eq!(received(&sent.messages, 6), [1, 2, 3, 4, 5, 6]);
    status_when(&log, "all sent again", all_sent);
    drop(log);
    receiver.stop();
    assert_eq!(lock(&sent.messages).len(), 6);
}

/// Records still waiting when the app ends are sent by the next start, and the ones already
/// sent are not sent again.
#[test]
fn records_waiting_at_exit_are_sent_after_a_restart_and_none_twice() {
    let (sent, receiver, log) = Sent::two();
    drop(log);
    receiver.stop();

    // The app runs again while the collector is away, and ends with three records waiting.
    let log = sent.log();
    fill(&log, 3);
    status_when(&log, "waiting", |s| s.waiting == 3);
    drop(log);

    // Started again with the collector back: the waiting records go, with no new record.
    let receiver = sent.receiver();
    let log = sent.log();
    assert_eq!(received(&sent.messages, 5), [1, 2, 3, 4, 5]);
    status_when(&log, "all sent after the restart", all_sent);
    drop(log);
    receiver.stop();
    assert_eq!(lock(&sent.messages).len(), 5);
}

/// A collector whose certificate this computer does not trust gets nothing, and the status says
/// why in plain words.
#[test]
fn a_collector_with_an_untrusted_certificate_gets_nothing_and_the_status_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(dir.path());
    let messages = Messages::default();
    let receiver = Receiver::start(&certs, 0, &messages);
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let log = forwarding_log(
        dir.path(),
        &keychain,
        config(receiver.port, &certs.other_ca),
    );
    fill(&log, 2);
    let status = status_when(&log, "refused", |s| {
        s.waiting == 2 && s.message.contains("not trusted")
    });
    assert!(!status.connected);
    assert_eq!(status.waiting, 2);
    assert_eq!(
        status.message,
        format!(
            "The collector localhost:{} was not trusted: its certificate is not signed by the \
             authority in {}. Nothing was sent to it; the records are kept and sent once its \
             certificate is trusted. Tell your IT team.",
            receiver.port,
            certs.other_ca.display()
        )
    );
    drop(log);
    receiver.stop();
    assert!(lock(&messages).is_empty());
}

/// IT sets the collector as one object under `syslogCollector` in the settings file.
#[test]
fn the_collector_is_set_under_syslog_collector_with_port_6514_by_default() {
    let settings: crate::settings::StoredSettings = serde_json::from_value(serde_json::json!({
        "syslogCollector": { "host": "siem.example.com", "caFile": "/etc/ssl/company-ca.pem" }
    }))
    .expect("settings");
    let collector = settings.syslog_collector.expect("collector");
    assert_eq!(collector.port, 6514);
    assert_eq!(collector.target(), "siem.example.com:6514");
    assert_eq!(
        collector.ca_file.as_deref(),
        Some("/etc/ssl/company-ca.pem")
    );
    let ipv6: CollectorConfig =
        serde_json::from_str(r#"{"host": "fd00::5", "port": 1514}"#).expect("config");
    assert_eq!(ipv6.target(), "[fd00::5]:1514");
    assert!(crate::settings::StoredSettings::default()
        .syslog_collector
        .is_none());
}

/// A collector set on a long trail gets all of it, in order, read in batches; and a second
/// program on the same trail (the window and rdesk) leaves the sending to the first.
#[test]
fn a_long_trail_is_sent_whole_in_order_and_by_one_program_only() {
    let (sent, receiver, log) = Sent::two();
    // The other program writes record 3 (the first one's collector is not told: it finds it
    // with its own next records).
    // Each program holds the trail while it writes, as the window and rdesk do.
    let other = sent.log();
    let held = other.try_hold().expect("lock").expect("free");
    fill(&other, 1);
    drop(held);
    let _held = log.hold().expect("lock");
    let ctx = ctx();
    let items = (0..1100).map(|i| (&ctx, AuditEvent::Requested, entry(&format!("x{i}"), "u")));
    log.append_all(items).expect("written");
    let got = received(&sent.messages, 1103);
    assert!(
        got.iter().copied().eq(1..=1103),
        "in order, once each: {:?}",
        got.windows(2).find(|w| w[1] != w[0] + 1)
    );
    status_when(&log, "all sent", all_sent);
    let idle = status_when(&other, "left to the other", |s| !s.connected);
    assert_eq!(
        idle.message,
        "Another Recording Desk program on this computer forwards the records to the collector."
    );
    drop(other);
    drop(log);
    receiver.stop();
    assert_eq!(lock(&sent.messages).len(), 1103);
}

/// A real syslog collector: rsyslogd's TLS input (imtcp with GnuTLS) takes the RFC 5425 frames
/// and parses each message as RFC 5424: app name, facility and severity, message ID, the
/// structured data, and the record's line as the message.
#[cfg(target_os = "linux")]
#[test]
fn rsyslogd_over_tls_parses_each_record_as_rfc_5424() {
    // rsyslog's TLS driver comes in a package of its own.
    let gnutls = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join("rsyslog/lmnsd_gtls.so").exists());
    if !gnutls {
        assert!(
            std::env::var_os("RECORDING_DESK_REQUIRE_KEYCHAIN").is_none()
                && std::env::var_os("CI").is_none(),
            "rsyslog-gnutls is not installed, and CI must test the collector against it: run \
             scripts/install-deps.sh"
        );
        eprintln!("SKIPPED: rsyslog-gnutls is not installed (scripts/install-deps.sh installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(dir.path());
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let input = format!(
        r#"global(DefaultNetstreamDriverCAFile="{ca}" DefaultNetstreamDriverCertFile="{cert}" DefaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="{port}" address="127.0.0.1")"#,
        ca = certs.ca.display(),
        cert = certs.cert.display(),
        key = certs.key.display(),
    );
    let template =
        "%app-name%|%syslogfacility-text%.%syslogseverity-text%|%msgid%|%structured-data%|%msg%\\n";
    let listening = || TcpStream::connect(("127.0.0.1", port)).is_ok();
    let Some(daemon) = super::tests::Rsyslogd::start_with(dir.path(), &input, template, listening)
    else {
        return;
    };
    let keychain: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let log = forwarding_log(dir.path(), &keychain, config(port, &certs.ca));
    fill(&log, 3);
    status_when(&log, "all sent", |s| s.waiting == 0 && s.connected);

    // rsyslogd also notes its own messages (the readiness probe's connection): only ours count.
    let deadline = Instant::now() + PATIENCE;
    let ours = loop {
        let ours: Vec<String> = daemon
            .lines(0)
            .into_iter()
            .filter(|l| l.starts_with("recording-desk|"))
            .collect();
        if ours.len() >= 3 {
            break ours;
        }
        assert!(Instant::now() < deadline, "rsyslogd got {ours:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let trail = std::fs::read_to_string(log.path()).expect("trail");
    let scan = log.scan().expect("scan");
    assert_eq!(ours.len(), 3, "{ours:?}");
    for ((got, line), record) in ours.iter().zip(trail.lines()).zip(&scan.records) {
        let parts: Vec<&str> = got.splitn(5, '|').collect();
        assert_eq!(
            parts[..3],
            ["recording-desk", "authpriv.notice", "audit"],
            "{got}"
        );
        assert_eq!(
            parts[3],
            format!(
                "[recdesk@32473 seq=\"{}\" seal=\"{}\" trail=\"{}\"]",
                record.seq,
                record.hash,
                record.key_id.as_deref().expect("sealed")
            )
        );
        assert_eq!(parts[4].trim().trim_start_matches('\u{feff}'), line);
    }
    drop(log);
}
