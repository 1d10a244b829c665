//! Identity objects: which user a call is about.
//!
//! PowerShell users pass `-UserId`, a hashtable, a Get-MgUser result or a plain string. The
//! front end hands over whatever keys and values it found; this module alone decides which
//! one names the user, so every front end resolves identities the same way.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use crate::error::Error;

/// The keys of an identity object that name the user, in the order they are tried: the only
/// ones the engine reads, so a front end need hand over no other (the C ABI gives this list in
/// `mgl_client_new`'s result).
pub const USER_KEYS: [&str; 2] = ["UserId", "Id"];

/// The message the official cmdlets give for an identity without a user.
pub const MISSING_USER_ID: &str = "InputObject has null value for InputObject.UserId";

/// What an error about a user id that was given but cannot be used is about: this input's own
/// value, which another input need not share (`input` in the error detail).
pub const USER_ID_INPUT: &str = "userId";

/// The user an identity names and its path below the API version, or why it cannot be used.
/// An error about a user id that was given (unusable, of another type, ambiguous) is marked as
/// about this input's user id; an identity without any user is not.
pub fn resolve_user_path(identity: &Value) -> Result<(String, String), Error> {
    let user_id = resolve_user_id(identity).map_err(|e| {
        if e.message == MISSING_USER_ID {
            e
        } else {
            e.about_input(USER_ID_INPUT)
        }
    })?;
    let path = user_path(&user_id).map_err(|e| e.about_input(USER_ID_INPUT))?;
    Ok((path, user_id))
}

/// Characters left as they are in a path segment: RFC 3986 unreserved, plus `@` and `$`
/// which UPNs carry and Graph reads literally. Everything else is percent-encoded.
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'$');

/// Longest user id accepted: far above any object id (36) or userPrincipalName (113), low
/// enough that no input can make a URL no server accepts.
pub const MAX_USER_ID_LEN: usize = 1024;

/// Turns a user id into `users/<one segment>` (or the key form `users('<id>')`), or refuses
/// it with a reason.
pub fn user_path(user_id: &str) -> Result<String, Error> {
    if user_id.is_empty() {
        return Err(Error::invalid_argument("UserId is empty."));
    }
    if let Some(c) = user_id.chars().find(|c| c.is_control()) {
        return Err(Error::invalid_argument(format!(
            "UserId contains the control character U+{:04X}; a user id or userPrincipalName never does.",
            c as u32
        )));
    }
    if user_id.trim().is_empty() {
        return Err(Error::invalid_argument(
            "UserId is empty but for spaces; a user id or userPrincipalName never is.",
        ));
    }
    if user_id.len() > MAX_USER_ID_LEN {
        return Err(Error::invalid_argument(format!(
            "UserId is {} bytes long; a user id or userPrincipalName is at most {MAX_USER_ID_LEN}.",
            user_id.len()
        )));
    }
    if user_id == "." || user_id == ".." {
        return Err(Error::invalid_argument(format!(
            "UserId '{user_id}' is not a user id."
        )));
    }
    if user_id.starts_with('$') {
        // Graph reads a segment starting with `$` as a system segment: use the key form.
        let literal = user_id.replace('\'', "''");
        return Ok(format!(
            "users('{}')",
            utf8_percent_encode(&literal, SEGMENT)
        ));
    }
    Ok(format!("users/{}", utf8_percent_encode(user_id, SEGMENT)))
}

/// Picks the user id out of an identity: `UserId` (any case); failing that `Id`, as objects
/// from Get-MgUser carry it; a bare JSON string is itself the user id.
pub fn resolve_user_id(identity: &Value) -> Result<String, Error> {
    match identity {
        Value::String(s) => Ok(s.clone()),
        Value::Object(map) => {
            for key in USER_KEYS {
                if let Some(v) = lookup(map, key)? {
                    return Ok(v);
                }
            }
            Err(Error::invalid_argument(MISSING_USER_ID))
        }
        Value::Null => Err(Error::invalid_argument(MISSING_USER_ID)),
        other => Err(Error::invalid_argument(format!(
            "The identity must be an object with a UserId or a user id string, not {}.",
            json_kind(other)
        ))),
    }
}

/// Finds `key` case-insensitively. Null and empty values count as absent, as the official
/// converter treats them; two spellings of one key with different values are refused.
fn lookup(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    let mut found: Option<String> = None;
    for (k, v) in map.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)) {
        let value = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            // A number is not an id: 18446744073709551616 would be sent as 1.8446744073709552e19.
            other => {
                return Err(Error::invalid_argument(format!(
                    "InputObject.{k} must be a string, not {}.",
                    json_kind(other)
                )))
            }
        };
        if value.is_empty() {
            continue;
        }
        match &found {
            Some(prev) if *prev != value => {
                return Err(Error::invalid_argument(format!(
                    "InputObject has two different values for {key}: '{prev}' and '{value}'."
                )))
            }
            _ => found = Some(value),
        }
    }
    Ok(found)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserializes an optional JSON value whose top-level object may not give one key twice:
/// serde's maps keep the last of two equal keys, so `{"UserId":"x","UserId":"y"}` would address
/// `y` while the input also names `x`. Such a document is refused as ambiguous.
pub(crate) fn unique_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Value>, D::Error> {
    d.deserialize_any(UniqueKeys)
        .map(|v| Some(v).filter(|v| !v.is_null()))
}

/// As [`unique_keys`], for a value that must be an object (or null).
pub(crate) fn unique_keys_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Map<String, Value>>, D::Error> {
    use serde::de::Error as _;
    match unique_keys(d)? {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(D::Error::custom(format!(
            "expected an object, found {}",
            json_kind(&other)
        ))),
    }
}

struct UniqueKeys;

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "the key '{}' is given twice, so which value is meant is ambiguous",
                    key.escape_debug()
                )));
            }
            let value = map.next_value::<Value>()?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_id_is_found_in_any_case() {
        assert_eq!(resolve_user_id(&json!({"userid": "u1"})).unwrap(), "u1");
        assert_eq!(
            resolve_user_id(&json!({"USERID": "u1", "DriveId": "d"})).unwrap(),
            "u1"
        );
    }

    #[test]
    fn id_is_the_fallback_and_user_id_wins() {
        assert_eq!(
            resolve_user_id(&json!({"Id": "from-get-mguser"})).unwrap(),
            "from-get-mguser"
        );
        assert_eq!(
            resolve_user_id(&json!({"Id": "x", "UserId": "u"})).unwrap(),
            "u"
        );
    }

    #[test]
    fn a_plain_string_is_a_user_id() {
        assert_eq!(
            resolve_user_id(&json!("adele@contoso.com")).unwrap(),
            "adele@contoso.com"
        );
    }

    #[test]
    fn missing_null_or_empty_user_id_gives_the_official_message() {
        for v in [
            json!({}),
            json!({"UserId": null}),
            json!({"UserId": ""}),
            json!({"DriveId": "d"}),
            Value::Null,
        ] {
            let e = resolve_user_id(&v).unwrap_err();
            assert_eq!(e.message, MISSING_USER_ID, "{v}");
        }
    }

    #[test]
    fn nested_values_and_conflicts_are_refused_by_name() {
        assert!(resolve_user_id(&json!({"UserId": {"a": 1}}))
            .unwrap_err()
            .message
            .contains("InputObject.UserId must be a string"));
        assert!(resolve_user_id(&json!({"UserId": "a", "userId": "b"}))
            .unwrap_err()
            .message
            .contains("two different values"));
        assert!(resolve_user_id(&json!([1, 2]))
            .unwrap_err()
            .message
            .contains("an array"));
    }

    #[test]
    fn an_unusable_user_id_is_marked_as_this_inputs_and_a_missing_one_is_not() {
        for v in [
            json!({"UserId": "   "}),
            json!({"UserId": "a\tb"}),
            json!({"UserId": {"a": 1}}),
            json!({"UserId": "a", "userId": "b"}),
            json!("x".repeat(1025)),
        ] {
            let e = resolve_user_path(&v).unwrap_err();
            assert_eq!(e.input, Some(USER_ID_INPUT), "{v}");
        }
        for v in [json!({}), json!({"DriveId": "d"}), Value::Null] {
            let e = resolve_user_path(&v).unwrap_err();
            assert_eq!(e.message, MISSING_USER_ID);
            assert_eq!(e.input, None, "{v}");
        }
        assert_eq!(
            resolve_user_path(&json!({"id": "a/b"})).unwrap(),
            ("users/a%2Fb".to_string(), "a/b".to_string())
        );
    }

    #[test]
    fn numbers_and_booleans_are_not_user_ids() {
        for (identity, kind) in [
            (json!({"UserId": 18446744073709551616.0}), "a number"),
            (json!({"UserId": 12345}), "a number"),
            (json!({"userid": -0.0}), "a number"),
            (json!({"UserId": true}), "a boolean"),
            (json!({"Id": 7}), "a number"),
            (json!({"UserId": ["a"]}), "an array"),
        ] {
            let e = resolve_user_id(&identity).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
            assert!(
                e.message.contains("must be a string, not") && e.message.contains(kind),
                "{identity}: {}",
                e.message
            );
        }
        // The key is named as given.
        assert!(resolve_user_id(&json!({"userid": 1}))
            .unwrap_err()
            .message
            .contains("InputObject.userid"));
    }
}
