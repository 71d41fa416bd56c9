//! The operating system's own log, for the audit trail's copies (see desk-core's
//! `audit::witness`): on Windows the Event Log (Application log, source "Recording Desk"), on
//! macOS the unified log (through `syslog(3)`, which macOS routes there). Linux needs no call
//! into the OS: desk-core writes to the syslog socket itself.
//!
//! [`SystemLog::open`] and [`SystemLog::write`] exist on every OS; elsewhere `open` says there is
//! none.

#[cfg(target_os = "macos")]
mod macos;
#[cfg(windows)]
mod windows;

/// The Event Log's source, and what the installers register (packaging/windows).
pub const EVENT_SOURCE: &str = "Recording Desk";

/// The Event Log's ID of an audit line: with the message file the installers register
/// (.NET's EventLogMessages.dll), every ID shows its text as it is.
pub const EVENT_ID: u32 = 1000;

/// The syslog name (ident) on macOS.
pub const IDENT: &str = "recording-desk";

/// The OS's log, open for writing.
pub struct SystemLog {
    #[cfg(windows)]
    inner: windows::EventLog,
    #[cfg(target_os = "macos")]
    inner: macos::UnifiedLog,
}

impl SystemLog {
    /// Opens this computer's log; `Err` says, in plain words, why there is none.
    pub fn open() -> Result<SystemLog, String> {
        #[cfg(windows)]
        {
            windows::EventLog::open(EVENT_SOURCE).map(|inner| SystemLog { inner })
        }
        #[cfg(target_os = "macos")]
        {
            Ok(SystemLog {
                inner: macos::UnifiedLog::open(),
            })
        }
        #[cfg(not(any(windows, target_os = "macos")))]
        {
            Err("this crate has no system log for this operating system".to_owned())
        }
    }

    /// Writes one line; `Err` says why the OS did not take it.
    pub fn write(&mut self, line: &str) -> Result<(), String> {
        #[cfg(any(windows, target_os = "macos"))]
        {
            self.inner.write(line)
        }
        #[cfg(not(any(windows, target_os = "macos")))]
        {
            let _ = line;
            Err("this crate has no system log for this operating system".to_owned())
        }
    }

    /// Where the lines can be read, in the officer's and the auditor's words.
    pub fn name(&self) -> &'static str {
        #[cfg(windows)]
        {
            "the Windows Event Log (Event Viewer > Windows Logs > Application, source Recording Desk)"
        }
        #[cfg(target_os = "macos")]
        {
            "the macOS unified log (log show --predicate 'eventMessage BEGINSWITH \"audit seq=\"')"
        }
        #[cfg(not(any(windows, target_os = "macos")))]
        {
            "no system log"
        }
    }
}

/// Runs where the OS has a log of this kind: under Wine in `scripts/cross-check.sh` (whose Event
/// Log accepts events without showing them anywhere), and on Windows and macOS themselves.
#[cfg(all(test, any(windows, target_os = "macos")))]
mod tests {
    use super::SystemLog;

    #[test]
    fn a_line_is_taken_by_the_system_log() {
        let mut log = SystemLog::open().expect("the system log opens");
        log.write("audit seq=1 seal=00ff trail=test event=requested action=start run=r session=s outcome=-")
            .expect("the system log takes the line");
        log.write("").expect("an empty line too");
    }
}
