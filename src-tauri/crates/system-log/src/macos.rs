//! macOS: `syslog(3)`, which macOS hands to the unified log under the calling process. Facility
//! authpriv, level notice (the unified log's "Default" level, which `log show` lists).
#![allow(unsafe_code)]

use std::ffi::CString;

pub(crate) struct UnifiedLog;

impl UnifiedLog {
    pub(crate) fn open() -> UnifiedLog {
        // SAFETY: the ident is a static NUL-terminated string, as openlog needs (it keeps the
        // pointer for later calls).
        unsafe {
            libc::openlog(
                c"recording-desk".as_ptr(),
                libc::LOG_PID,
                libc::LOG_AUTHPRIV,
            )
        };
        UnifiedLog
    }

    pub(crate) fn write(&mut self, line: &str) -> Result<(), String> {
        let text = CString::new(line.replace('\0', " "))
            .map_err(|_| "the line could not be passed to the system log".to_owned())?;
        // SAFETY: the format is a static "%s" and its one argument a NUL-terminated string alive
        // across the call.
        unsafe {
            libc::syslog(
                libc::LOG_AUTHPRIV | libc::LOG_NOTICE,
                c"%s".as_ptr(),
                text.as_ptr(),
            )
        };
        Ok(())
    }
}
