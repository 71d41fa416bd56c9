//! Session fields the API does not report. Citrix marks every property of
//! `SessionResponseModel` nullable, and a real answer can carry `"State": null` or no
//! `Connection` at all while the broker still knows the session is Active and HDX. A client
//! must not take such a session for one that cannot be recorded; the simulator reproduces the
//! answers while its own truth (see `SimSession`) keeps deciding what a start does.

use serde_json::{Map, Value};

/// How a hidden field looks in the JSON (`"null"` or `"absent"` in the `/_sim/` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Hide {
    /// The property is there with the value `null`.
    #[default]
    Null,
    /// The property is not there at all.
    Absent,
}

/// Which of `State`, `Connection` and `Connection.Protocol` are hidden, and how. Hiding
/// `Connection` hides its `Protocol` with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HiddenFields {
    pub state: Option<Hide>,
    pub connection: Option<Hide>,
    pub protocol: Option<Hide>,
}

impl HiddenFields {
    /// Nothing hidden.
    pub const NONE: HiddenFields = HiddenFields {
        state: None,
        connection: None,
        protocol: None,
    };

    /// The same treatment for each field named: `state`, `connection`, `protocol`
    /// (case-insensitive). `None` for any other name.
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>, how: Hide) -> Option<HiddenFields> {
        let mut hidden = HiddenFields::NONE;
        for name in names {
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "state" => &mut hidden.state,
                "connection" => &mut hidden.connection,
                "protocol" => &mut hidden.protocol,
                _ => return None,
            };
            *slot = Some(how);
        }
        Some(hidden)
    }

    pub fn is_none(&self) -> bool {
        *self == HiddenFields::NONE
    }

    /// Hides the fields in a session's JSON.
    pub fn apply(&self, session: &mut Value) {
        let Some(obj) = session.as_object_mut() else {
            return;
        };
        hide(obj, "State", self.state);
        if let Some(Value::Object(connection)) = obj.get_mut("Connection") {
            hide(connection, "Protocol", self.protocol);
        }
        hide(obj, "Connection", self.connection);
    }
}

fn hide(obj: &mut Map<String, Value>, key: &str, how: Option<Hide>) {
    match how {
        Some(Hide::Null) => {
            obj.insert(key.to_owned(), Value::Null);
        }
        Some(Hide::Absent) => {
            obj.remove(key);
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hides_as_null_or_absent() {
        let session = json!({"Id": "a", "State": "Active", "Connection": {"Protocol": "Hdx", "ConnectionMode": "Brokered"}});
        let mut s = session.clone();
        HiddenFields::named(["state", "Protocol"], Hide::Null)
            .unwrap()
            .apply(&mut s);
        assert_eq!(
            s,
            json!({"Id": "a", "State": null, "Connection": {"Protocol": null, "ConnectionMode": "Brokered"}})
        );
        let mut s = session.clone();
        HiddenFields::named(["connection", "state"], Hide::Absent)
            .unwrap()
            .apply(&mut s);
        assert_eq!(s, json!({"Id": "a"}));
        let mut s = session.clone();
        HiddenFields::NONE.apply(&mut s);
        assert_eq!(s, session);
        assert!(HiddenFields::named(["shoe"], Hide::Null).is_none());
    }
}
