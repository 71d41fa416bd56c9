//! Linux: the local syslog socket (`/dev/log`), on which both systemd-journald and rsyslog
//! listen. Each line is one datagram in the form the C library's `syslog(3)` sends
//! (`<PRI>Mmm dd hh:mm:ss recording-desk[pid]: audit seq=…`), which both read: facility
//! `authpriv` (security messages, kept where only administrators read them, e.g.
//! `/var/log/auth.log`), severity `notice`. `journalctl -t recording-desk` lists them.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

use super::{SystemLog, APP_NAME};

pub(super) const DEFAULT_SOCKET: &str = "/dev/log";

/// `authpriv` (10) × 8 + `notice` (5).
const PRIORITY: u8 = 85;

/// How long one line may wait for a syslog daemon that does not read its socket (busy, or being
/// restarted) before it is counted as not noted. The wait is on the witness's thread only.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct SyslogSocket {
    path: PathBuf,
    socket: Option<UnixDatagram>,
}

impl SyslogSocket {
    /// Connects to the socket at `path`; `Err` says, in plain words, why there is no system log
    /// to write to.
    pub(super) fn open(path: PathBuf) -> Result<SyslogSocket, String> {
        if !path.exists() {
            return Err(format!(
                "there is no system log service at {}",
                path.display()
            ));
        }
        let mut log = SyslogSocket { path, socket: None };
        log.connect()?;
        Ok(log)
    }

    fn connect(&mut self) -> Result<&UnixDatagram, String> {
        let socket = UnixDatagram::unbound()
            .and_then(|s| s.connect(&self.path).map(|()| s))
            .and_then(|s| s.set_write_timeout(Some(SEND_TIMEOUT)).map(|()| s))
            .map_err(|e| {
                format!(
                    "the system log service at {} could not be reached: {e}",
                    self.path.display()
                )
            })?;
        Ok(self.socket.insert(socket))
    }
}

impl SystemLog for SyslogSocket {
    fn send(&mut self, line: &str) -> Result<(), String> {
        let datagram = datagram(line);
        let sent = match &self.socket {
            Some(socket) => socket.send(datagram.as_bytes()).map(|_| ()),
            None => Err(std::io::ErrorKind::NotConnected.into()),
        };
        if sent.is_ok() {
            return Ok(());
        }
        // The daemon restarted (its socket is a new one) or was away: connect again, once.
        self.socket = None;
        self.connect()?
            .send(datagram.as_bytes())
            .map(|_| ())
            .map_err(|e| {
                self.socket = None;
                format!(
                    "the system log service at {} did not take the line: {e}",
                    self.path.display()
                )
            })
    }

    fn name(&self) -> String {
        "the system log (journalctl -t recording-desk, or the syslog's authpriv file)".to_owned()
    }
}

/// One line as `syslog(3)` sends it on the local socket (RFC 3164 without the host name). The
/// time is UTC; journald and rsyslog note their own time of receipt anyway.
fn datagram(line: &str) -> String {
    let now = OffsetDateTime::now_utc();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS[usize::from(u8::from(now.month())) - 1];
    format!(
        "<{PRIORITY}>{month} {:>2} {:02}:{:02}:{:02} {APP_NAME}[{}]: {line}",
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        std::process::id()
    )
}
