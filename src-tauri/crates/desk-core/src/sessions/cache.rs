//! Who and where, for the audit trail, of the sessions a front end has been shown, and what the
//! detail view showed and sent for each.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{LastAction, SessionRow};

/// Who and where, for the audit trail, of sessions the UI has been shown; bounded so a long day
/// of searching does not grow memory without limit.
pub struct RowCache {
    inner: Mutex<CacheInner>,
    capacity: usize,
}

#[derive(Default)]
struct CacheInner {
    rows: HashMap<String, CachedSession>,
    order: VecDeque<String>,
    last_actions: HashMap<String, LastAction>,
    json: HashMap<String, serde_json::Value>,
}

/// The audit fields of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachedSession {
    pub user: Option<String>,
    /// The name the officer sees ("Daniel Martinez"), so the Audit screen finds it too.
    pub display_name: Option<String>,
    pub machine: Option<String>,
    pub delivery_group: Option<String>,
}

impl Default for RowCache {
    fn default() -> Self {
        Self::with_capacity(5000)
    }
}

impl RowCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::default(),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn remember(&self, rows: &[SessionRow]) {
        let mut inner = self.lock();
        for row in rows {
            let key = row.id.to_ascii_lowercase();
            let entry = CachedSession {
                user: row.audit_user(),
                display_name: row.user_display_name.clone(),
                machine: row.machine_name.clone(),
                delivery_group: row.delivery_group.clone(),
            };
            if inner.rows.insert(key.clone(), entry).is_none() {
                inner.order.push_back(key);
            }
        }
        while inner.order.len() > self.capacity {
            if let Some(old) = inner.order.pop_front() {
                inner.rows.remove(&old);
                inner.json.remove(&old);
            }
        }
    }

    pub fn session(&self, id: &str) -> Option<CachedSession> {
        self.lock().rows.get(&id.to_ascii_lowercase()).cloned()
    }

    /// Keeps the JSON shown in the detail view, so "save as JSON" writes what the officer saw.
    pub fn remember_json(&self, id: &str, json: serde_json::Value) {
        self.lock().json.insert(id.to_ascii_lowercase(), json);
    }

    pub fn json(&self, id: &str) -> Option<serde_json::Value> {
        self.lock().json.get(&id.to_ascii_lowercase()).cloned()
    }

    pub fn set_last_action(&self, id: &str, action: LastAction) {
        self.lock()
            .last_actions
            .insert(id.to_ascii_lowercase(), action);
    }

    pub fn last_action(&self, id: &str) -> Option<LastAction> {
        self.lock()
            .last_actions
            .get(&id.to_ascii_lowercase())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, user: &str) -> SessionRow {
        SessionRow {
            id: id.into(),
            user_display_name: Some("Jane".into()),
            user_name: Some(user.into()),
            user_principal_name: None,
            machine_name: Some("VDA".into()),
            delivery_group: None,
            state: "Active".into(),
            protocol: "Hdx".into(),
            start_time: None,
            client_name: None,
            recordable: true,
            not_recordable_reason: None,
            recording: None,
            recording_checked: false,
        }
    }

    #[test]
    fn the_row_cache_is_bounded_and_case_insensitive() {
        let cache = RowCache::with_capacity(2);
        cache.remember(&[row("A", "u1"), row("b", "u2")]);
        assert_eq!(
            cache.session("a").and_then(|s| s.user).as_deref(),
            Some("u1")
        );
        cache.remember(&[row("c", "u3")]);
        assert!(cache.session("a").is_none(), "oldest evicted");
        assert_eq!(
            cache.session("C").expect("c"),
            CachedSession {
                user: Some("u3".into()),
                display_name: Some("Jane".into()),
                machine: Some("VDA".into()),
                delivery_group: None,
            }
        );
    }
}
