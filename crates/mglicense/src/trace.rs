//! What -Debug and -Verbose show of a call: the request and response as the official cmdlets
//! print them, with every secret taken out first.
//!
//! Built here rather than in a front end so that every front end shows the same, already
//! redacted, text; it is only built when asked for.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Longest body shown; the official cmdlets cut at 10 KB too.
pub const MAX_BODY_CHARS: usize = 10 * 1024;

/// What stands where a secret was.
pub(crate) const REDACTED: &str = "<redacted>";

/// Header names whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "x-identity-header",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// JSON or form fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "device_code",
    "code_verifier",
];

/// Form fields that are secrets only in form bodies: in Graph's JSON, `code` is an error code.
const SECRET_FORM_FIELDS: &[&str] = &["code"];

/// How much of a call the front end wants described.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceLevel {
    pub debug: bool,
    pub verbose: bool,
}

/// One line for the front end's debug or verbose stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

impl LogLine {
    pub fn debug(message: String) -> LogLine {
        LogLine {
            level: "debug",
            message,
        }
    }
    pub fn verbose(message: String) -> LogLine {
        LogLine {
            level: "verbose",
            message,
        }
    }
}

fn header_block(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                REDACTED
            } else {
                value
            };
            format!("{name:<30}: {shown}\n")
        })
        .collect()
}

/// The request as the official cmdlets' -Debug prints it. Authorization is never shown.
pub fn format_request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let shown: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .cloned()
        .collect();
    format!(
        "============================ HTTP REQUEST ============================\n\nHTTP Method:\n{method}\n\nAbsolute Uri:\n{url}\n\nHeaders:\n{}\nBody:\n{}\n",
        header_block(&shown),
        format_body(body)
    )
}

/// The response as the official cmdlets' -Debug prints it.
pub fn format_response(
    status: u16,
    reason: &str,
    headers: &BTreeMap<String, Vec<String>>,
    body: &[u8],
) -> String {
    let flat: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.clone(), v.join(", ")))
        .collect();
    let status_text = if reason.is_empty() {
        status.to_string()
    } else {
        reason.replace(' ', "")
    };
    format!(
        "============================ HTTP RESPONSE ============================\n\nStatus Code:\n{status_text}\n\nHeaders:\n{}\nBody:\n{}\n",
        header_block(&flat),
        format_body(body)
    )
}

/// A body as text: JSON pretty-printed with secret fields redacted, form bodies redacted field
/// by field, anything else as (lossy) text; cut at [`MAX_BODY_CHARS`].
pub fn format_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut json) => {
            redact_json(&mut json);
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        Err(_) => {
            let raw = String::from_utf8_lossy(body);
            if looks_like_form(&raw) {
                redact_form(&raw)
            } else {
                raw.into_owned()
            }
        }
    };
    cut(text)
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_BODY_CHARS {
        return text;
    }
    let total = text.len();
    let mut shown: String = text.chars().take(MAX_BODY_CHARS).collect();
    shown.push_str(&format!("\n<truncated: {total} bytes in all>"));
    shown
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn looks_like_form(text: &str) -> bool {
    !text.contains(char::is_whitespace) && text.contains('=')
}

fn redact_form(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _))
                if SECRET_FIELDS
                    .iter()
                    .chain(SECRET_FORM_FIELDS)
                    .any(|s| s.eq_ignore_ascii_case(k)) =>
            {
                format!("{k}={REDACTED}")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_never_show_the_authorization_header() {
        let text = format_request(
            "POST",
            "https://graph.microsoft.com/v1.0/users/u/reprocessLicenseAssignment",
            &[
                ("Authorization".into(), "Bearer eyJsecret".into()),
                ("client-request-id".into(), "c1".into()),
            ],
            b"",
        );
        assert!(!text.contains("eyJsecret") && !text.contains("Authorization"));
        assert!(text.contains("HTTP Method:\nPOST\n"));
        assert!(text.contains("client-request-id             : c1\n"));
    }

    #[test]
    fn secret_fields_are_redacted_in_json_and_form_bodies() {
        let json = format_body(
            br#"{"access_token":"tok","nested":{"refresh_token":"r"},"expires_in":3599}"#,
        );
        assert!(!json.contains("tok\"") && !json.contains("\"r\""), "{json}");
        assert!(json.contains("\"expires_in\": 3599"));
        let form = format_body(b"client_id=abc&client_secret=s3cr3t&grant_type=client_credentials");
        assert_eq!(
            form,
            "client_id=abc&client_secret=<redacted>&grant_type=client_credentials"
        );
        assert_eq!(
            format_body(b"grant_type=authorization_code&code=abc"),
            "grant_type=authorization_code&code=<redacted>"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = format!("\"{}\"", "x".repeat(20_000));
        let shown = format_body(body.as_bytes());
        assert!(shown.len() < 10_400 && shown.ends_with("<truncated: 20002 bytes in all>"));
    }

    #[test]
    fn responses_show_status_headers_and_pretty_json() {
        let mut headers = BTreeMap::new();
        headers.insert("request-id".to_string(), vec!["r1".to_string()]);
        let text = format_response(404, "Not Found", &headers, br#"{"error":{"code":"X"}}"#);
        assert!(text.contains("Status Code:\nNotFound\n"));
        assert!(text.contains("request-id                    : r1\n"));
        assert!(text.contains("\"code\": \"X\""));
    }
}
