//! The JSON policy file: `/etc/recording-desk/policy.json` on Linux, and the file named by
//! [`super::POLICY_FILE_ENV`] on any OS. One object, camelCase keys:
//! `{"requireCase": true, "notifyUser": "never"}`.

use super::{Policy, RawValue, Read};

/// The policy in a JSON file's bytes. A file that is not a JSON object gives no policy at all;
/// in an object, each key that does not fit is left out (see [`Policy::from_entries`]).
pub fn parse(bytes: &[u8]) -> Result<Read, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the file is not valid JSON ({e})"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("the file should hold one JSON object, like {\"requireCase\": true}".into());
    };
    Ok(Policy::from_entries(
        map.into_iter().map(|(key, value)| (key, raw(value))),
    ))
}

fn raw(value: serde_json::Value) -> RawValue {
    use serde_json::Value as V;
    match value {
        V::Bool(b) => RawValue::Flag(b),
        V::Number(n) => n
            .as_i64()
            .map(RawValue::Number)
            .unwrap_or(RawValue::Other("a fraction")),
        V::String(s) => RawValue::Text(s),
        V::Null => RawValue::Other("empty"),
        V::Array(_) => RawValue::Other("a list"),
        V::Object(_) => RawValue::Other("a group of values"),
    }
}
