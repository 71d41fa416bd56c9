//! The Windows Event Log: `RegisterEventSourceW` once, `ReportEventW` per line (Application
//! log, information, event ID [`crate::EVENT_ID`]). Without the installers' registration of the
//! source, Windows still keeps each event, and Event Viewer shows its text under a note that the
//! description is missing.
#![allow(unsafe_code)]

use std::ffi::c_void;

use windows_sys::Win32::System::EventLog::{
    DeregisterEventSource, RegisterEventSourceW, ReportEventW, EVENTLOG_INFORMATION_TYPE,
};

pub(crate) struct EventLog {
    handle: *mut c_void,
}

// SAFETY: an event log handle is not tied to the thread that opened it; Windows serialises the
// calls on it.
unsafe impl Send for EventLog {}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16()
        .map(|c| if c == 0 { u16::from(b' ') } else { c })
        .chain(std::iter::once(0))
        .collect()
}

impl EventLog {
    pub(crate) fn open(source: &str) -> Result<EventLog, String> {
        let name = wide(source);
        // SAFETY: `name` is a NUL-terminated UTF-16 string that lives across the call; a null
        // server name is this computer.
        let handle = unsafe { RegisterEventSourceW(std::ptr::null(), name.as_ptr()) };
        if handle.is_null() {
            return Err(format!(
                "Windows refused to open its event log ({})",
                std::io::Error::last_os_error()
            ));
        }
        Ok(EventLog { handle })
    }

    pub(crate) fn write(&mut self, line: &str) -> Result<(), String> {
        let text = wide(line);
        let strings = [text.as_ptr()];
        // SAFETY: the handle is open (closed only in drop); `strings` holds one pointer to a
        // NUL-terminated UTF-16 string, both alive across the call; no user SID, no raw data.
        let ok = unsafe {
            ReportEventW(
                self.handle,
                EVENTLOG_INFORMATION_TYPE,
                0,
                crate::EVENT_ID,
                std::ptr::null_mut(),
                1,
                0,
                strings.as_ptr(),
                std::ptr::null(),
            )
        };
        if ok == 0 {
            return Err(format!(
                "Windows did not take the event ({})",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        // SAFETY: the handle came from RegisterEventSourceW and is closed once, here.
        unsafe {
            DeregisterEventSource(self.handle);
        }
    }
}
