//! Things the officer should read once, collected from wherever they happen (a settings file
//! moved aside, a secret the keychain would not keep, results the audit trail could not take)
//! and shown by the front end.

use std::sync::Mutex;

#[derive(Default)]
pub struct Notices {
    list: Mutex<Vec<String>>,
}

impl Notices {
    pub fn push(&self, text: String) {
        self.lock().push(text);
    }

    /// Adds `text` unless it is already there: for a problem found again each time something is
    /// read (the organisation's settings), told once.
    pub fn push_once(&self, text: String) {
        let mut list = self.lock();
        if !list.contains(&text) {
            list.push(text);
        }
    }

    pub fn all(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }
}
