//! Reading Graph's answer to a call: the Response a success becomes, or the Error that says
//! what Graph said.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, GraphError};
use crate::operation::{PreparedRequest, ResponseShape};
use crate::response::{RawBody, Response};
use crate::trace::{self, LogLine};

/// What an answer means for a call: its Response, or its Error, as the caller sees them. `log`
/// has the call's -Debug and -Verbose lines so far and gets the answer's.
pub(crate) fn read_answer(
    prepared: &PreparedRequest,
    url: String,
    elapsed_ms: u128,
    status: reqwest::StatusCode,
    headers: BTreeMap<String, Vec<String>>,
    body: &[u8],
    mut log: Vec<LogLine>,
) -> Result<Response, Error> {
    let verb = prepared.method;
    let reason = status.canonical_reason().unwrap_or("");
    if prepared.trace.debug {
        log.push(LogLine::debug(trace::format_response(
            status.as_u16(),
            reason,
            &headers,
            body,
        )));
    }
    if prepared.trace.verbose {
        log.push(LogLine::verbose(format!(
            "{verb} {url}: {} {reason} in {elapsed_ms} ms",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        let mut e = Error::graph(graph_error(status, headers, body));
        e.log = log;
        return Err(e);
    }
    let read = if prepared.pass_body_through && prepared.shape == ResponseShape::Object {
        pass_body_through(body, &url).map(|raw| (None, raw))
    } else {
        parse_success_body(prepared.shape, body, &url).map(|parsed| (parsed, None))
    };
    match read {
        Ok((parsed, raw_body)) => Ok(Response {
            status: status.as_u16(),
            method: verb.into(),
            url,
            headers,
            body: parsed,
            raw_body,
            log,
            wait: None,
        }),
        Err(mut e) => {
            e.log = log;
            Err(e)
        }
    }
}

pub(crate) fn header_map(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_string())
            .or_default()
            .push(value);
    }
    map
}

/// A body kept as it came: checked to be JSON and an object (as [`parse_success_body`] checks
/// it), without building a tree.
fn pass_body_through(body: &[u8], url: &str) -> Result<Option<RawBody>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(not_an_object(url, "empty"));
    }
    let raw: Box<serde_json::value::RawValue> = serde_json::from_slice(body).map_err(|e| {
        Error::transport(format!(
            "The answer from {url} is not valid JSON ({e}); {} bytes were received.",
            body.len()
        ))
    })?;
    // The text is valid JSON with no whitespace around it: its first byte says what it is.
    match raw.get().as_bytes().first() {
        Some(b'{') => Ok(Some(RawBody(raw))),
        _ => {
            let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            Err(not_an_object(url, json_kind(&value)))
        }
    }
}

/// A call's successful answer as the object it returns; `None` only for a call that returns
/// nothing ([`ResponseShape::Empty`]). Anything else (no body, `null`, an array, a number) is an
/// error: the front end would otherwise have neither a result nor an error to show.
pub(crate) fn parse_success_body(
    shape: ResponseShape,
    body: &[u8],
    url: &str,
) -> Result<Option<Value>, Error> {
    if shape == ResponseShape::Empty {
        return Ok(None);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(not_an_object(url, "empty"));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Error::transport(format!(
            "The answer from {url} is not valid JSON ({e}); {} bytes were received.",
            body.len()
        ))
    })?;
    let value = match (shape, value) {
        (ResponseShape::ValueEnvelope, Value::Object(mut map)) if map.contains_key("value") => {
            map.remove("value").unwrap_or(Value::Null)
        }
        (_, value) => value,
    };
    match value {
        Value::Object(_) => Ok(Some(value)),
        other => Err(not_an_object(url, json_kind(&other))),
    }
}

fn not_an_object(url: &str, what: &str) -> Error {
    Error::transport(format!(
        "The answer from {url} is {what}, not the object this call returns, so there is no result to hand over."
    ))
}

/// What a JSON value is, as a message says it.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads Graph's error body (<https://learn.microsoft.com/en-us/graph/errors>), falling back on the status when the body is
/// not Graph's.
pub(crate) fn graph_error(
    status: reqwest::StatusCode,
    headers: BTreeMap<String, Vec<String>>,
    body: &[u8],
) -> GraphError {
    let reason = status.canonical_reason().unwrap_or("").to_string();
    let header = |n: &str| headers.get(n).and_then(|v| v.first()).cloned();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let inner = error.and_then(|e| e.get("innerError").or_else(|| e.get("innererror")));
    let code = text(error, "code").unwrap_or_else(|| reason.replace(' ', ""));
    let graph_message = text(error, "message").unwrap_or_else(|| {
        if body.is_empty() {
            format!(
                "The server answered {} {} with no error body.",
                status.as_u16(),
                reason
            )
        } else {
            let shown = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
            format!(
                "The server answered {} {}: {}",
                status.as_u16(),
                reason,
                shown.trim()
            )
        }
    });
    GraphError {
        status: status.as_u16(),
        reason,
        code,
        graph_message,
        request_id: text(inner, "request-id").or_else(|| header("request-id")),
        client_request_id: text(inner, "client-request-id").or_else(|| header("client-request-id")),
        date: text(inner, "date").or_else(|| header("date")),
        inner_error: inner.cloned(),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn graph_errors_are_read_from_the_body() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2026-11-24T01:02:03","request-id":"r1","client-request-id":"c1"}}}"#;
        let e = graph_error(reqwest::StatusCode::NOT_FOUND, BTreeMap::new(), body);
        assert_eq!(
            (e.code.as_str(), e.request_id.as_deref(), e.date.as_deref()),
            (
                "Request_ResourceNotFound",
                Some("r1"),
                Some("2026-11-24T01:02:03")
            )
        );
        let err = Error::graph(e);
        assert_eq!(
            err.message,
            "[Request_ResourceNotFound] : Resource 'x' does not exist."
        );
    }

    #[test]
    fn non_graph_error_bodies_still_say_what_happened() {
        let e = graph_error(
            reqwest::StatusCode::BAD_GATEWAY,
            BTreeMap::new(),
            b"<html>proxy</html>",
        );
        assert_eq!(e.code, "BadGateway");
        assert!(e
            .graph_message
            .contains("502 Bad Gateway: <html>proxy</html>"));
        let e = graph_error(
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            BTreeMap::new(),
            b"",
        );
        assert!(e.graph_message.contains("no error body"));
    }

    #[test]
    fn value_envelopes_are_unwrapped() {
        let v = parse_success_body(
            ResponseShape::ValueEnvelope,
            br#"{"value":{"id":"u"}}"#,
            "u",
        )
        .unwrap();
        assert_eq!(v, Some(serde_json::json!({"id": "u"})));
        assert_eq!(
            parse_success_body(ResponseShape::Empty, b"", "u").unwrap(),
            None
        );
        assert!(parse_success_body(ResponseShape::Object, b"{trunc", "u").is_err());
    }

    #[test]
    fn an_answer_that_is_not_an_object_is_an_error_not_an_empty_result() {
        for (shape, body, what) in [
            (ResponseShape::Object, &b"  "[..], "is empty"),
            (ResponseShape::Object, b"null", "is null"),
            (ResponseShape::Object, b"[{\"id\":\"u\"}]", "is an array"),
            (ResponseShape::Object, b"42", "is a number"),
            (
                ResponseShape::ValueEnvelope,
                b"{\"value\":\"x\"}",
                "is a string",
            ),
            (ResponseShape::ValueEnvelope, b"", "is empty"),
        ] {
            let e = parse_success_body(shape, body, "http://g/u").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transport);
            assert!(
                e.message.contains(what) && e.message.contains("no result to hand over"),
                "{}",
                e.message
            );
        }
        for (body, what) in [
            (&b" \r\n"[..], "is empty"),
            (b"null", "is null"),
            (b"[1]", "is an array"),
            (b"\"x\"", "is a string"),
        ] {
            let e = pass_body_through(body, "http://g/u").unwrap_err();
            assert!(e.message.contains(what), "{}", e.message);
        }
        // A call that returns nothing may answer nothing.
        assert_eq!(
            parse_success_body(ResponseShape::Empty, b"", "u").unwrap(),
            None
        );
    }

    #[test]
    fn a_body_passed_through_is_checked_and_written_as_it_came() {
        let raw = pass_body_through(br#" {"id":"u1","assignedLicenses":[{"skuId":"s"}]} "#, "u")
            .unwrap()
            .unwrap();
        assert_eq!(
            raw.get(),
            r#"{"id":"u1","assignedLicenses":[{"skuId":"s"}]}"#
        );
        assert!(pass_body_through(b"{trunc", "u").is_err());
        assert!(pass_body_through(br#"{"id":"u1"} trailing"#, "u").is_err());

        let response = Response {
            status: 200,
            method: "POST".into(),
            url: "https://graph/v1.0/users/u1/reprocessLicenseAssignment".into(),
            headers: BTreeMap::new(),
            body: None,
            raw_body: Some(raw),
            log: Vec::new(),
            wait: None,
        };
        assert_eq!(
            response.body_value().unwrap()["assignedLicenses"][0]["skuId"],
            "s"
        );
        let written: Value =
            serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
        assert_eq!(written["body"], response.body_value().unwrap());
        assert_eq!(
            written
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k == "body")
                .count(),
            1
        );
        assert!(written.get("log").is_none() && written.get("wait").is_none());

        // Without a body at all, "body" is null, as before.
        let empty = Response {
            raw_body: None,
            ..response
        };
        let written: Value = serde_json::from_str(&serde_json::to_string(&empty).unwrap()).unwrap();
        assert_eq!(written["body"], Value::Null);
    }
}
