//! The one run allowed at a time, and how to cancel it.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// The one run allowed at a time, and how to cancel it.
#[derive(Default)]
pub struct RunSlot {
    active: Mutex<Option<(String, CancellationToken)>>,
}

/// Holds the slot for the length of a run; frees it when dropped, however the run ends.
pub struct RunTicket<'a> {
    slot: &'a RunSlot,
    pub run_id: String,
    pub cancel: CancellationToken,
}

impl RunSlot {
    pub fn begin(&self) -> Result<RunTicket<'_>> {
        let mut active = self.lock();
        if active.is_some() {
            return Err(Error::Busy);
        }
        let run_id = uuid::Uuid::new_v4().to_string();
        let cancel = CancellationToken::new();
        *active = Some((run_id.clone(), cancel.clone()));
        Ok(RunTicket {
            slot: self,
            run_id,
            cancel,
        })
    }

    /// Cancels the active run, if any. Sessions already requested still get their outcome.
    pub fn cancel(&self) {
        if let Some((_, cancel)) = self.lock().as_ref() {
            cancel.cancel();
        }
    }

    pub fn active_run_id(&self) -> Option<String> {
        self.lock().as_ref().map(|(id, _)| id.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, CancellationToken)>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for RunTicket<'_> {
    fn drop(&mut self) {
        *self.slot.lock() = None;
    }
}
