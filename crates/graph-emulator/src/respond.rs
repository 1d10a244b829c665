//! Graph's response envelope (standard headers, OData content type, error body) in one place so every route answers alike.

use std::time::SystemTime;

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Body, Response, StatusCode};
use serde::Serialize;

use crate::clock;

/// What Graph sends for every JSON payload; clients that compare the media type must cope with the parameters.
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Real Graph names its datacenter here; support engineers ask for it, so clients log it.
pub const AGS_DIAGNOSTIC: &str = r#"{"ServerInfo":{"DataCenter":"Local Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"emulator"}}"#;

/// The correlation ids of one request, chosen before anything else so errors and the log agree.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
}

impl RequestIds {
    /// Graph echoes the caller's `client-request-id`, or reuses its own request id when there is none.
    pub fn for_request(headers: &HeaderMap) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}

/// A Graph error as a client sees it: status, `error.code`, `error.message`, and any extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub headers: Vec<(HeaderName, String)>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// OData's answer for any path segment it cannot bind.
    pub fn unknown_segment(segment: &str) -> Self {
        Self::bad_request(format!("Resource not found for the segment '{segment}'."))
    }

    pub fn user_not_found(key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(rename = "innerError")]
    inner_error: InnerError<'a>,
}

#[derive(Serialize)]
struct InnerError<'a> {
    date: String,
    #[serde(rename = "request-id")]
    request_id: &'a str,
    #[serde(rename = "client-request-id")]
    client_request_id: &'a str,
}

/// The body Graph sends with every error; fields in Graph's order.
pub fn error_body(ids: &RequestIds, code: &str, message: &str) -> String {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message,
            inner_error: InnerError {
                date: clock::graph_error_date(SystemTime::now()),
                request_id: &ids.request_id,
                client_request_id: &ids.client_request_id,
            },
        },
    };
    serde_json::to_string(&body).expect("error body serializes")
}

/// A Graph response with a JSON body.
pub fn graph_json(
    ids: &RequestIds,
    status: StatusCode,
    body: &serde_json::Value,
) -> Response<Body> {
    let bytes = serde_json::to_vec(body).expect("JSON value serializes");
    graph_response(ids, status, Some(bytes), &[])
}

/// A Graph response without a body (`Content-Length: 0`, no Content-Type), as for cloudLicensing actions.
pub fn graph_empty(ids: &RequestIds, status: StatusCode) -> Response<Body> {
    graph_response(ids, status, None, &[])
}

pub fn graph_error(ids: &RequestIds, err: &GraphError) -> Response<Body> {
    let body = error_body(ids, err.code, &err.message).into_bytes();
    graph_response(ids, err.status, Some(body), &err.headers)
}

fn graph_response(
    ids: &RequestIds,
    status: StatusCode,
    body: Option<Vec<u8>>,
    extra: &[(HeaderName, String)],
) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    set(headers, "request-id", &ids.request_id);
    set(headers, "client-request-id", &ids.client_request_id);
    set(headers, "x-ms-ags-diagnostic", AGS_DIAGNOSTIC);
    set(headers, "strict-transport-security", "max-age=31536000");
    set(headers, "cache-control", "no-store");
    set(headers, "date", &httpdate::fmt_http_date(SystemTime::now()));
    set(headers, "odata-version", "4.0");
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name.clone(), value);
        }
    }
    match body {
        Some(bytes) => {
            set(headers, "content-type", ODATA_JSON);
            set(headers, "content-length", &bytes.len().to_string());
            *response.body_mut() = Body::from(bytes);
        }
        None => set(headers, "content-length", "0"),
    }
    response
}

/// What a proxy in front of Graph answers when the service behind it fails: HTML, not JSON, so clients
/// that assume every error body parses get caught.
pub fn html_bad_gateway(ids: &RequestIds) -> Response<Body> {
    let body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p></body></html>".to_vec();
    let mut response = graph_response(ids, StatusCode::BAD_GATEWAY, None, &[]);
    let headers = response.headers_mut();
    set(headers, "content-type", "text/html; charset=utf-8");
    set(headers, "content-length", &body.len().to_string());
    *response.body_mut() = Body::from(body);
    response
}

/// The answer with its body cut in half (Content-Length matching what is sent), as when a connection is cut mid-body:
/// the request was served, the client cannot read the result.
pub async fn truncate(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let bytes = hyper::body::to_bytes(body).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.insert(
        hyper::header::CONTENT_LENGTH,
        HeaderValue::from_str(&cut.len().to_string()).expect("digits"),
    );
    Response::from_parts(parts, Body::from(cut))
}

/// Admin responses are plain JSON: they are the emulator's API, not Graph's.
pub fn admin_json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let bytes = serde_json::to_vec_pretty(body).expect("JSON value serializes");
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    set(headers, "content-type", "application/json; charset=utf-8");
    set(headers, "cache-control", "no-store");
    response
}

pub fn admin_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response<Body> {
    let message: String = message.into();
    admin_json(
        status,
        &serde_json::json!({ "error": { "code": code, "message": message } }),
    )
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // Every value set here is either a constant or came from a valid header, so this cannot fail in practice.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_id_is_echoed_or_defaults_to_request_id() {
        let mut headers = HeaderMap::new();
        let ids = RequestIds::for_request(&headers);
        assert_eq!(ids.request_id, ids.client_request_id);

        headers.insert("client-request-id", HeaderValue::from_static("abc-123"));
        let ids = RequestIds::for_request(&headers);
        assert_eq!(ids.client_request_id, "abc-123");
        assert_ne!(ids.request_id, "abc-123");
    }

    #[test]
    fn error_body_keeps_graph_field_order() {
        let ids = RequestIds {
            request_id: "r".into(),
            client_request_id: "c".into(),
        };
        let body = error_body(&ids, "X", "y");
        assert!(
            body.starts_with(r#"{"error":{"code":"X","message":"y","innerError":{"date":""#),
            "{body}"
        );
        assert!(
            body.ends_with(r#"","request-id":"r","client-request-id":"c"}}}"#),
            "{body}"
        );
    }
}
