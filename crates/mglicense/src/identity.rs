//! Identity objects: which user a call is about.
//!
//! PowerShell users pass `-UserId`, a hashtable, a Get-MgUser result or a plain string. The
//! front end hands over whatever keys and values it found; this module alone decides which
//! one names the user, so every front end resolves identities the same way.

use serde_json::{Map, Value};

use crate::error::Error;

/// The identity keys of the official `IUsersActionsIdentity` (seed 000, NOTES).
pub const IDENTITY_KEYS: [&str; 30] = [
    "AuthenticationMethodId",
    "CalendarId",
    "ChatId",
    "ChatMessageId",
    "ChatMessageId1",
    "ContentTypeId",
    "DeviceLogCollectionResponseId",
    "DocumentSetVersionId",
    "DriveId",
    "DriveItemId",
    "DriveItemVersionId",
    "EventId",
    "EventId1",
    "ListItemId",
    "ListItemVersionId",
    "MailFolderId",
    "MailFolderId1",
    "ManagedDeviceId",
    "MessageId",
    "NotebookId",
    "OnenotePageId",
    "OnenoteSectionId",
    "OnlineMeetingId",
    "PermissionId",
    "PhoneAuthenticationMethodId",
    "SubscriptionId",
    "TeamsAppInstallationId",
    "TodoTaskId",
    "TodoTaskListId",
    "UserId",
];

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
    let path = crate::operation::user_path(&user_id).map_err(|e| e.about_input(USER_ID_INPUT))?;
    Ok((path, user_id))
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
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
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
    fn the_identity_keys_are_the_thirty_of_the_seed() {
        assert_eq!(IDENTITY_KEYS.len(), 30);
        assert!(IDENTITY_KEYS.contains(&"UserId"));
    }
}
