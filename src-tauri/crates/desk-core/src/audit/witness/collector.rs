//! The collector: every record of the trail forwarded to IT's syslog collector (a SIEM), as
//! RFC 5424 messages over TLS with RFC 5425 framing (`<length> <message>`), port 6514 by
//! default.
//!
//! The trail itself is the queue: a small cursor file beside it (`audit.jsonl.sent`) holds the
//! number and seal of the last record written to the collector's connection. At start-up, and
//! whenever the connection comes back, every record after it is sent, in order. The cursor moves
//! on after the TLS write and flush of each message, so in normal operation each record is sent
//! once; after a crash between the write and the cursor update, that one record is sent again.
//! Each message carries the record's number, seal and trail in its structured data
//! (`[recdesk@32473 seq="42" seal="…" trail="…"]`), by which a collector drops such a duplicate.
//!
//! One program at a time sends (the cursor's own lock file): the window and the command-line tool
//! on one computer never both send a record.
//!
//! The message text is the record's line exactly as in the trail (JSON), so whoever holds the
//! trail's key can check its seal; it names the session's user: the collector is IT's own.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::super::AuditRecord;
use super::{lock, APP_NAME};

/// The port of syslog over TLS (RFC 5425).
pub const DEFAULT_PORT: u16 = 6514;

/// The collector as a JSON object (`{"host": …, "port": …, "caFile": …}`), overriding the
/// settings' `syslogCollector` (tests).
pub const COLLECTOR_ENV: &str = "RECORDING_DESK_SYSLOG_COLLECTOR";

/// Where the records are forwarded: IT's syslog collector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollectorConfig {
    /// The collector's host name (as in its certificate) or address.
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// A PEM file with the certificate of the authority that signed the collector's
    /// certificate (a company's own CA): only it is trusted then. Absent: the authorities this
    /// computer trusts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ca_file: Option<String>,
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

impl CollectorConfig {
    /// The collector set in [`COLLECTOR_ENV`], if any, else `configured` (the settings'); an
    /// unreadable variable is reported and ignored.
    pub fn from_env_or(configured: Option<CollectorConfig>) -> Option<CollectorConfig> {
        match std::env::var(COLLECTOR_ENV) {
            Ok(text) if !text.trim().is_empty() => match serde_json::from_str(&text) {
                Ok(config) => Some(config),
                Err(e) => {
                    tracing::error!("{COLLECTOR_ENV} is not a collector ({e}); ignored");
                    configured
                }
            },
            _ => configured,
        }
    }

    /// `host:port`, as the officer and the cursor file name it.
    pub fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// How the forwarding to the collector goes, for the Audit screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollectorStatus {
    /// `host:port`.
    pub target: String,
    pub connected: bool,
    /// Records written but not yet sent.
    #[ts(type = "number")]
    pub waiting: u64,
    /// When the oldest of them was written (RFC 3339).
    pub waiting_since: Option<String>,
    /// What is happening, in plain words.
    pub message: String,
}

/// The first wait after a failed attempt, doubled each time up to [`MAX_BACKOFF`]; a new record
/// tries again at once (no sooner than [`MIN_RETRY`] after the last try).
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const MIN_RETRY: Duration = Duration::from_millis(500);
/// Connecting, and each write, give up after this.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(15);
/// How long dropping the collector waits for its thread to stop.
const STOP_WAIT: Duration = Duration::from_secs(2);
/// Most records read into memory at once (a collector set on a long trail gets it in batches).
const BATCH: usize = 500;

pub(super) struct Collector {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    /// New records were written since the thread last looked.
    news: bool,
    closing: bool,
    /// The thread has stopped.
    ended: bool,
    status: CollectorStatus,
}

impl Collector {
    pub(super) fn start(trail: &Path, config: CollectorConfig) -> Collector {
        let status = CollectorStatus {
            target: config.target(),
            connected: false,
            waiting: 0,
            waiting_since: None,
            message: format!("Connecting to the collector {}…", config.target()),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                news: true,
                closing: false,
                ended: false,
                status,
            }),
            wake: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let trail = trail.to_owned();
        let thread = std::thread::Builder::new()
            .name("audit-collector".into())
            .spawn(move || {
                let shared = Arc::clone(&theirs);
                Forwarder::new(trail, config, theirs).run();
                lock(&shared.state).ended = true;
                shared.wake.notify_all();
            })
            .inspect_err(|e| tracing::error!("the collector cannot be started: {e}"))
            .ok();
        if thread.is_none() {
            lock(&shared.state).status.message =
                "Recording Desk could not start forwarding records to the collector.".to_owned();
        }
        Collector { shared, thread }
    }

    /// Records were written: look for them now.
    pub(super) fn news(&self) {
        lock(&self.shared.state).news = true;
        self.shared.wake.notify_all();
    }

    pub(super) fn status(&self) -> CollectorStatus {
        lock(&self.shared.state).status.clone()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        lock(&self.shared.state).closing = true;
        self.shared.wake.notify_all();
        // The thread stops between two records. One waiting on the network (a collector that
        // does not answer) is not waited for longer than this: the program's end (rdesk's after
        // each command) must not hang on it. What it did not send, the next start sends.
        if let Some(thread) = self.thread.take() {
            let state = lock(&self.shared.state);
            let (state, _) = self
                .shared
                .wake
                .wait_timeout_while(state, STOP_WAIT, |s| !s.ended)
                .unwrap_or_else(|p| p.into_inner());
            if state.ended {
                drop(state);
                let _ = thread.join();
            }
        }
    }
}

/// The last record written to the collector, kept in the cursor file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cursor {
    collector: String,
    seq: u64,
    seal: String,
}

/// A record of the trail waiting to be sent: its line as written, and where the next one starts.
struct Pending {
    record: AuditRecord,
    line: String,
    next_offset: u64,
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// The thread's side: the cursor, the connection, and the wait between attempts.
struct Forwarder {
    trail: PathBuf,
    cursor_path: PathBuf,
    config: CollectorConfig,
    shared: Arc<Shared>,
    /// Where the first record after the cursor starts in the trail (`None`: not found yet).
    offset: Option<u64>,
    cursor: Option<Cursor>,
    /// The lock that makes this program the one that sends.
    _sending: Option<File>,
    tls: Option<Tls>,
    backoff: Duration,
    last_try: Option<Instant>,
}

impl Forwarder {
    fn new(trail: PathBuf, config: CollectorConfig, shared: Arc<Shared>) -> Forwarder {
        let mut cursor_path = trail.as_os_str().to_owned();
        cursor_path.push(".sent");
        Forwarder {
            trail,
            cursor_path: PathBuf::from(cursor_path),
            config,
            shared,
            offset: None,
            cursor: None,
            _sending: None,
            tls: None,
            backoff: FIRST_BACKOFF,
            last_try: None,
        }
    }

    fn run(mut self) {
        loop {
            // What is waiting, from the cursor on.
            let problem = match self.round() {
                Ok(()) => {
                    self.backoff = FIRST_BACKOFF;
                    None
                }
                Err(why) => Some(why),
            };
            if let Some(why) = &problem {
                tracing::warn!(collector = %self.config.target(), "audit records not forwarded: {why}");
                self.tls = None;
                self.set_status(|s| {
                    s.connected = false;
                    s.message = why.clone();
                });
            }
            if !self.wait(problem.is_some()) {
                self.close();
                return;
            }
        }
    }

    /// Ends the connection the way TLS asks (close_notify), so the collector sees a clean end
    /// rather than a connection cut off.
    fn close(&mut self) {
        if let Some(mut tls) = self.tls.take() {
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
    }

    /// Waits for new records (after a failure: for the backoff, or a new record no sooner than
    /// [`MIN_RETRY`]); false when the collector is closing.
    fn wait(&mut self, failed: bool) -> bool {
        let started = Instant::now();
        let mut state = lock(&self.shared.state);
        loop {
            if state.closing {
                return false;
            }
            let since_try = self.last_try.map_or(MIN_RETRY, |t| t.elapsed());
            if state.news && (!failed || since_try >= MIN_RETRY) {
                state.news = false;
                return true;
            }
            let waited = started.elapsed();
            if failed && waited >= self.backoff {
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                return true;
            }
            let limit = if failed {
                let until_retry = MIN_RETRY.saturating_sub(since_try);
                let until_backoff = self.backoff - waited;
                if state.news {
                    until_retry
                } else {
                    until_backoff
                }
            } else {
                // Idle: look again now and then, for records another program wrote.
                MAX_BACKOFF
            };
            let (next, timeout) = self
                .shared
                .wake
                .wait_timeout(state, limit.max(Duration::from_millis(1)))
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            if timeout.timed_out() && !failed {
                return true;
            }
        }
    }

    fn set_status(&self, change: impl FnOnce(&mut CollectorStatus)) {
        change(&mut lock(&self.shared.state).status);
    }

    fn closing(&self) -> bool {
        lock(&self.shared.state).closing
    }

    /// Sends every record after the cursor; `Err` says why it stopped, in plain words.
    fn round(&mut self) -> Result<(), String> {
        if self._sending.is_none() {
            self._sending = self.take_sending_lock()?;
            if self._sending.is_none() {
                self.set_status(|s| {
                    s.connected = false;
                    s.message = "Another Recording Desk program on this computer forwards the \
                                 records to the collector."
                        .to_owned();
                });
                return Ok(());
            }
        }
        let trail_len = std::fs::metadata(&self.trail).map_or(0, |m| m.len());
        if self.offset.is_some_and(|offset| offset > trail_len) {
            // The trail is shorter than what was read of it: replaced. Look for the cursor again.
            self.offset = None;
        }
        if self.offset.is_none() {
            self.cursor = self.read_cursor();
            self.offset = Some(self.find_start()?);
        }
        let (pending, count) = self.pending()?;
        if pending.is_empty() {
            self.all_sent();
            return Ok(());
        }
        for (sent, item) in pending.iter().enumerate() {
            if self.closing() {
                return Ok(());
            }
            let since = item.record.time.clone();
            self.set_status(|s| {
                s.waiting = count - sent as u64;
                s.waiting_since = Some(since);
            });
            self.send(item)?;
        }
        if count > pending.len() as u64 {
            // More than one batch was waiting: the next round takes the next one, at once.
            lock(&self.shared.state).news = true;
            return Ok(());
        }
        self.all_sent();
        Ok(())
    }

    fn all_sent(&self) {
        let connected = self.tls.is_some();
        self.set_status(|s| {
            s.connected = connected;
            s.waiting = 0;
            s.waiting_since = None;
            s.message = "Every record has been sent to the collector.".to_owned();
        });
    }

    /// Writes one record to the connection (connecting first if needed), then moves the cursor.
    fn send(&mut self, item: &Pending) -> Result<(), String> {
        if self.tls.as_mut().is_some_and(|tls| !still_open(tls)) {
            self.tls = None;
        }
        if self.tls.is_none() {
            self.last_try = Some(Instant::now());
            self.tls = Some(self.connect()?);
            let target = self.config.target();
            self.set_status(|s| {
                s.connected = true;
                s.message = format!("Connected to the collector {target}; sending…");
            });
        }
        let frame = frame(&item.record, &item.line);
        let tls = self.tls.as_mut().ok_or("not connected")?;
        tls.write_all(frame.as_bytes())
            .and_then(|()| tls.flush())
            .map_err(|e| {
                format!(
                    "The connection to the collector {} was lost ({}). The records not yet sent \
                     are kept and sent when it is back.",
                    self.config.target(),
                    plain_io(&e)
                )
            })?;
        let cursor = Cursor {
            collector: self.config.target(),
            seq: item.record.seq,
            seal: item.record.hash.clone(),
        };
        self.write_cursor(&cursor).map_err(|e| {
            format!(
                "Recording Desk could not note which records were sent to the collector, in {} \
                 ({e}). It stops sending until it can; the last record sent may then be sent \
                 again.",
                self.cursor_path.display()
            )
        })?;
        self.cursor = Some(cursor);
        self.offset = Some(item.next_offset);
        Ok(())
    }

    fn take_sending_lock(&self) -> Result<Option<File>, String> {
        let mut path = self.cursor_path.as_os_str().to_owned();
        path.push(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(path))
            .map_err(|e| {
                format!(
                    "Recording Desk could not open the note of records sent to the collector \
                     beside {} ({e}).",
                    self.trail.display()
                )
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(format!(
                "Recording Desk could not lock the note of records sent to the collector ({e})."
            )),
        }
    }

    /// The cursor for this collector; `None` when there is none (a new collector starts from
    /// the trail's first record).
    fn read_cursor(&self) -> Option<Cursor> {
        let bytes = std::fs::read(&self.cursor_path).ok()?;
        match serde_json::from_slice::<Cursor>(&bytes) {
            Ok(cursor) if cursor.collector == self.config.target() => Some(cursor),
            Ok(_) => None,
            Err(e) => {
                tracing::error!(
                    "the note of records sent to the collector is unreadable ({e}); sending the \
                     whole trail again"
                );
                None
            }
        }
    }

    fn write_cursor(&self, cursor: &Cursor) -> std::io::Result<()> {
        let mut tmp = self.cursor_path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut file = File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(cursor).map_err(std::io::Error::other)?)?;
        file.sync_data()?;
        drop(file);
        std::fs::rename(&tmp, &self.cursor_path)
    }

    /// Where the records after the cursor start: after the cursor's record when the trail holds
    /// it, else the trail's start (the trail was replaced: a collector drops what it has by
    /// trail and number).
    fn find_start(&self) -> Result<u64, String> {
        let Some(cursor) = &self.cursor else {
            return Ok(0);
        };
        let mut found = None;
        self.each_line(0, |record, _, next| {
            if record.seq == cursor.seq && record.hash == cursor.seal {
                found = Some(next);
            }
            true
        })?;
        Ok(found.unwrap_or_else(|| {
            tracing::warn!(
                seq = cursor.seq,
                "the trail no longer holds the last record sent to the collector; sending it \
                 from the start"
            );
            0
        }))
    }

    /// The first complete records (at most [`BATCH`]) from the current offset on, and how many
    /// there are in all.
    fn pending(&self) -> Result<(Vec<Pending>, u64), String> {
        let mut pending = Vec::new();
        let mut count = 0u64;
        self.each_line(self.offset.unwrap_or(0), |record, line, next_offset| {
            count += 1;
            if pending.len() < BATCH {
                pending.push(Pending {
                    record,
                    line: line.to_owned(),
                    next_offset,
                });
            }
            true
        })?;
        Ok((pending, count))
    }

    /// Calls `f` with each complete record line from `offset` on, and the offset after it.
    /// Lines that are not records (a cut-off line) are passed over, as the chain's scan does.
    fn each_line(
        &self,
        offset: u64,
        mut f: impl FnMut(AuditRecord, &str, u64) -> bool,
    ) -> Result<(), String> {
        let unreadable = |e: std::io::Error| {
            format!(
                "Recording Desk could not read its audit trail at {} to forward it ({e}).",
                self.trail.display()
            )
        };
        let mut file = match File::open(&self.trail) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(unreadable(e)),
        };
        file.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        let mut reader = BufReader::new(file);
        let mut at = offset;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(unreadable)?;
            if n == 0 || !line.ends_with(b"\n") {
                // The end, or a line still being written: it is read again next time.
                return Ok(());
            }
            at += n as u64;
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']);
            if let Ok(record) = serde_json::from_str::<AuditRecord>(text) {
                if !f(record, text, at) {
                    return Ok(());
                }
            }
        }
    }

    fn connect(&self) -> Result<Tls, String> {
        let target = self.config.target();
        let unreachable = |why: String| {
            format!(
                "The collector {target} cannot be reached ({why}). The records are kept and sent \
                 when it can be."
            )
        };
        let tls_config = self.tls_config()?;
        let name = ServerName::try_from(self.config.host.clone()).map_err(|_| {
            format!(
                "The collector's name \"{}\" is not a valid host name or address: check \
                 syslogCollector in the settings.",
                self.config.host
            )
        })?;
        let addresses: Vec<_> = (self.config.host.as_str(), self.config.port)
            .to_socket_addrs()
            .map_err(|e| unreachable(format!("its name could not be looked up: {e}")))?
            .collect();
        let mut last = String::from("its name has no address");
        let mut socket = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, NETWORK_TIMEOUT) {
                Ok(s) => {
                    socket = Some(s);
                    break;
                }
                Err(e) => last = plain_io(&e),
            }
        }
        let socket = socket.ok_or_else(|| unreachable(last))?;
        let _ = socket.set_read_timeout(Some(NETWORK_TIMEOUT));
        let _ = socket.set_write_timeout(Some(NETWORK_TIMEOUT));
        let _ = socket.set_nodelay(true);
        let connection = ClientConnection::new(Arc::new(tls_config), name)
            .map_err(|e| unreachable(e.to_string()))?;
        let mut tls = StreamOwned::new(connection, socket);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| self.handshake_failed(&e))?;
        }
        Ok(tls)
    }

    /// What to trust: the CA file's authority only, when one is set; else this computer's.
    fn tls_config(&self) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let Some(ca_file) = &self.config.ca_file else {
            let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|e| {
                format!("This computer's trusted authorities could not be read ({e}).")
            })?;
            return Ok(builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth());
        };
        let bad_file = |why: String| {
            format!(
                "The collector's CA certificate file {ca_file} cannot be used ({why}): check \
                 caFile in syslogCollector. Nothing is sent until it can be."
            )
        };
        let mut roots = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| bad_file(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad_file(e.to_string()))?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(bad_file("it holds no certificate".to_owned()));
        }
        Ok(builder.with_root_certificates(roots).with_no_client_auth())
    }

    fn handshake_failed(&self, e: &std::io::Error) -> String {
        let target = self.config.target();
        let tls_error = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let why = match tls_error {
            Some(rustls::Error::InvalidCertificate(cert)) => {
                use rustls::CertificateError as C;
                match cert {
                    C::UnknownIssuer => match &self.config.ca_file {
                        Some(file) => {
                            format!("its certificate is not signed by the authority in {file}")
                        }
                        None => "its certificate is not signed by an authority this computer \
                                 trusts (if it is your company's own, set caFile to that \
                                 authority's certificate)"
                            .to_owned(),
                    },
                    C::NotValidForName | C::NotValidForNameContext { .. } => {
                        format!("its certificate is not made out to {}", self.config.host)
                    }
                    C::Expired | C::ExpiredContext { .. } => {
                        "its certificate has expired".to_owned()
                    }
                    C::NotValidYet | C::NotValidYetContext { .. } => {
                        "its certificate is not valid yet (check this computer's clock)".to_owned()
                    }
                    C::Revoked => "its certificate has been revoked".to_owned(),
                    other => format!("its certificate was refused: {other:?}"),
                }
            }
            Some(other) => format!("the secure connection failed: {other}"),
            None => plain_io(e),
        };
        if matches!(tls_error, Some(rustls::Error::InvalidCertificate(_))) {
            format!(
                "The collector {target} was not trusted: {why}. Nothing was sent to it; the \
                 records are kept and sent once its certificate is trusted. Tell your IT team."
            )
        } else {
            format!(
                "The collector {target} could not be reached securely ({why}). The records are \
                 kept and sent when it can be."
            )
        }
    }
}

/// Whether the collector has not closed the connection: a collector that restarted closed it,
/// and a write to it would seem to succeed and then be lost.
fn still_open(tls: &mut Tls) -> bool {
    if tls.sock.set_nonblocking(true).is_err() {
        return false;
    }
    let open = loop {
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) => break false,
            Ok(_) => match tls.conn.process_new_packets() {
                Ok(state) if state.peer_has_closed() => break false,
                Ok(state) => {
                    // A collector says nothing on this connection; whatever it said is dropped.
                    let mut sink = vec![0u8; state.plaintext_bytes_to_read()];
                    let _ = tls.conn.reader().read(&mut sink);
                }
                Err(_) => break false,
            },
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
            Err(_) => break false,
        }
    };
    open && tls.sock.set_nonblocking(false).is_ok()
}

/// An I/O error in words (without the OS's error number).
fn plain_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "the connection was refused: the collector is not listening".into(),
        K::TimedOut | K::WouldBlock => "it did not answer in time".into(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            "the collector closed the connection".into()
        }
        K::HostUnreachable | K::NetworkUnreachable => "the network has no way to it".into(),
        _ => e.to_string(),
    }
}

/// One record as an RFC 5424 message with RFC 5425 octet-counting framing: facility authpriv,
/// severity notice; the record's own time and computer; the record's number, seal and trail in
/// structured data; the record's line as the message (UTF-8, with its BOM).
fn frame(record: &AuditRecord, line: &str) -> String {
    let host = header_word(&record.computer, 255);
    let message = format!(
        "<85>1 {time} {host} {APP_NAME} {pid} audit [recdesk@32473 seq=\"{seq}\" seal=\"{seal}\" \
         trail=\"{trail}\"] \u{feff}{line}",
        time = header_time(&record.time),
        pid = std::process::id(),
        seq = record.seq,
        seal = sd_value(&record.hash),
        trail = sd_value(record.key_id.as_deref().unwrap_or("-")),
    );
    format!("{} {message}", message.len())
}

/// The record's time as RFC 5424 allows it: at most six digits of a second.
pub(super) fn header_time(time: &str) -> String {
    let time = header_word(time, 64);
    let Some(dot) = time.find('.') else {
        return time;
    };
    let digits = time[dot + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    if digits <= 6 {
        return time;
    }
    format!("{}{}", &time[..dot + 7], &time[dot + 1 + digits..])
}

/// A header field: printable ASCII without spaces, at most `max` characters; `-` when empty.
fn header_word(value: &str, max: usize) -> String {
    let word: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if word.is_empty() {
        "-".to_owned()
    } else {
        word
    }
}

/// A structured-data value with `"`, `\` and `]` escaped (RFC 5424, 6.3.3).
fn sd_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
