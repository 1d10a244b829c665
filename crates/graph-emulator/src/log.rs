//! The record of Graph requests received, so tests can assert what a client sent, and that it sent nothing twice.

use std::collections::{BTreeMap, VecDeque};
use std::time::SystemTime;

use hyper::header::HeaderMap;
use hyper::Method;
use serde::Serialize;

use crate::clock;

/// Oldest entries are dropped beyond this, so a long benchmark cannot exhaust memory.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// One Graph request as it arrived; `status` is filled in when the response is ready.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(skip)]
    seq: u64,
    pub time: String,
    pub method: String,
    /// Exactly as received, percent-escapes and all: what the client put on the wire is what tests check.
    pub path: String,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub status: Option<u16>,
    #[serde(rename = "requestId")]
    pub request_id: String,
    /// Set on the requests a `$batch` carried, so they are told apart from requests sent on their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchRef>,
    /// The injected fault, if any: `status:503`, `drop`, `truncate`, `nonJson`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Why throttling refused the request (`x-ms-throttle-information`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled: Option<String>,
}

/// Which batch an inner request came in, and its id inside that batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRef {
    /// The `request-id` of the `$batch` request itself.
    #[serde(rename = "requestId")]
    pub request_id: String,
    pub id: String,
}

/// Entries in arrival order.
#[derive(Debug)]
pub struct RequestLog {
    entries: VecDeque<Entry>,
    next_seq: u64,
    capacity: usize,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog::with_capacity(DEFAULT_CAPACITY)
    }
}

/// A handle to an entry still waiting for its status.
#[derive(Debug, Clone, Copy)]
pub struct Pending(u64);

impl RequestLog {
    pub fn with_capacity(capacity: usize) -> Self {
        RequestLog {
            entries: VecDeque::new(),
            next_seq: 0,
            capacity: capacity.max(1),
        }
    }

    /// Records a request on arrival, so concurrent requests keep the order they came in.
    pub fn begin(
        &mut self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        request_id: &str,
    ) -> Pending {
        self.begin_item(method, path, query, headers, request_id, None)
    }

    /// Like [`RequestLog::begin`], for a request that came inside a `$batch`.
    pub fn begin_item(
        &mut self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        request_id: &str,
        batch: Option<BatchRef>,
    ) -> Pending {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry {
            seq,
            time: clock::iso8601_millis(SystemTime::now()),
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            headers: redacted_headers(headers),
            status: None,
            request_id: request_id.to_owned(),
            batch,
            fault: None,
            throttled: None,
        });
        Pending(seq)
    }

    pub fn finish(&mut self, pending: Pending, status: u16) {
        // Usually the newest entry; a clear in between means there is nothing to update.
        if let Some(entry) = self.entries.iter_mut().rev().find(|e| e.seq == pending.0) {
            entry.status = Some(status);
        }
    }

    pub fn mark_fault(&mut self, pending: Pending, fault: String) {
        if let Some(entry) = self.entries.iter_mut().rev().find(|e| e.seq == pending.0) {
            entry.fault = Some(fault);
        }
    }

    pub fn mark_throttled(&mut self, pending: Pending, reason: String) {
        if let Some(entry) = self.entries.iter_mut().rev().find(|e| e.seq == pending.0) {
            entry.throttled = Some(reason);
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Header names are lowercase (HTTP/2 style); repeated headers are joined with ", ".
/// Credentials are never stored, since the log is served without authentication: `Authorization` and
/// `Proxy-Authorization` keep only their scheme, `Cookie` only its cookie names.
fn redacted_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        let value =
            if name == hyper::header::AUTHORIZATION || name == hyper::header::PROXY_AUTHORIZATION {
                redact_authorization(&text)
            } else if name == hyper::header::COOKIE {
                redact_cookie(&text)
            } else {
                text.into_owned()
            };
        out.entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// Keeps the scheme (tests check a client sent `Bearer`) and hides everything after it.
pub fn redact_authorization(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _)) => format!("{scheme} <redacted>"),
        None => "<redacted>".to_owned(),
    }
}

/// Keeps each cookie's name (tests check which cookies a client sent) and hides its value.
pub fn redact_cookie(value: &str) -> String {
    value
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{}=<redacted>", name.trim()),
            None => "<redacted>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn redacts_credentials_and_keeps_order() {
        let mut log = RequestLog::with_capacity(2);
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer eyJ.secret.sig"),
        );
        headers.insert(
            "proxy-authorization",
            HeaderValue::from_static("Basic dXNlcjpwYXNzd29yZA=="),
        );
        headers.insert(
            "cookie",
            HeaderValue::from_static("session=s3cr3t; theme=dark"),
        );
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        let first = log.begin(
            &Method::POST,
            "/v1.0/users/a%2Fb/x",
            Some("q=1"),
            &headers,
            "r1",
        );
        log.begin(&Method::GET, "/two", None, &HeaderMap::new(), "r2");
        log.finish(first, 404);
        let entries: Vec<_> = log.entries().collect();
        assert_eq!(entries[0].headers["authorization"], "Bearer <redacted>");
        assert_eq!(
            entries[0].headers["proxy-authorization"],
            "Basic <redacted>"
        );
        assert_eq!(
            entries[0].headers["cookie"],
            "session=<redacted>; theme=<redacted>"
        );
        let logged = serde_json::to_string(&entries[0]).unwrap();
        for secret in ["eyJ.secret.sig", "dXNlcjpwYXNzd29yZA==", "s3cr3t", "dark"] {
            assert!(!logged.contains(secret), "{secret} in {logged}");
        }
        assert_eq!(entries[0].headers["x-multi"], "a, b");
        assert_eq!(entries[0].path, "/v1.0/users/a%2Fb/x");
        assert_eq!(entries[0].status, Some(404));
        assert_eq!(entries[1].status, None);

        log.begin(&Method::GET, "/three", None, &HeaderMap::new(), "r3");
        assert_eq!(
            log.entries().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["/two", "/three"]
        );
        assert_eq!(redact_authorization("opaque"), "<redacted>");
        assert_eq!(redact_cookie("opaque"), "<redacted>");
    }
}
