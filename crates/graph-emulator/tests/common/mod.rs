//! Starts an in-process emulator on a free loopback port with the sample tenant, and speaks HTTP to it like a client would.
#![allow(dead_code)]

use std::path::PathBuf;

use graph_emulator::{Config, Emulator, Tenant};
use hyper::client::HttpConnector;
use hyper::header::HeaderMap;
use hyper::{Body, Client, Method, Request, StatusCode};
use serde_json::{json, Value};

pub const ADELE_ID: &str = "047dd774-f1c4-40f2-82f0-278de79f9b83";
pub const ADELE_UPN: &str = "AdeleV@contoso.com";
pub const ALEX_ID: &str = "43fe5b38-7328-40b9-a2f6-85d86ae8c34d";
pub const ADMIN_UPN: &str = "$adm@contoso.com";
pub const ADMIN_ID: &str = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
pub const GUEST_UPN: &str = "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com";
pub const GUEST_ID: &str = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9";
pub const OBRIEN_UPN: &str = "patrick.o'brien@contoso.com";

pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub fn seed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tenant.json")
}

pub struct Harness {
    pub emulator: Emulator,
    client: Client<HttpConnector>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// Graph's `error.code`, which is what clients branch on.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn start() -> Harness {
    let tenant = Tenant::load(&seed_path()).expect("sample tenant loads");
    let emulator = Emulator::start(Config::new(tenant))
        .await
        .expect("emulator starts");
    Harness::around(emulator)
}

impl Harness {
    /// A harness for an emulator the test started itself (another seed, another configuration).
    pub fn around(emulator: Emulator) -> Harness {
        Harness {
            emulator,
            client: Client::new(),
        }
    }

    pub fn base(&self) -> &str {
        self.emulator.base_url()
    }

    /// `raw_path` goes on the wire as written: escapes are the test's business.
    pub async fn send(
        &self,
        method: Method,
        raw_path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{raw_path}", self.base()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Body::from(body.to_owned()))
            .expect("valid request");
        let response = self
            .client
            .request(request)
            .await
            .expect("emulator answers");
        let (parts, body) = response.into_parts();
        let body = hyper::body::to_bytes(body)
            .await
            .expect("body reads")
            .to_vec();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// For faults that close the connection: the client's error instead of a panic.
    pub async fn try_send(
        &self,
        method: Method,
        raw_path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, hyper::Error> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{raw_path}", self.base()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Body::empty()).expect("valid request"))
            .await?;
        let (parts, body) = response.into_parts();
        let body = hyper::body::to_bytes(body).await?.to_vec();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn post(&self, raw_path: &str, token: &str) -> Reply {
        let authorization = format!("Bearer {token}");
        self.send(
            Method::POST,
            raw_path,
            &[("authorization", authorization.as_str())],
            "",
        )
        .await
    }

    pub async fn get(&self, raw_path: &str, token: &str) -> Reply {
        self.get_with(raw_path, token, &[]).await
    }

    pub async fn get_with(&self, raw_path: &str, token: &str, extra: &[(&str, &str)]) -> Reply {
        let authorization = format!("Bearer {token}");
        let mut headers = vec![("authorization", authorization.as_str())];
        headers.extend_from_slice(extra);
        self.send(Method::GET, raw_path, &headers, "").await
    }

    pub async fn reader_token(&self) -> String {
        self.app_token(&["Directory.Read.All"]).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let reply = self
            .send(method, path, &[("content-type", "application/json")], &text)
            .await;
        (reply.status, reply.json())
    }

    pub async fn token(&self, request: Value) -> String {
        let (status, body) = self.admin(Method::POST, "/_emulator/tokens", request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn app_token(&self, roles: &[&str]) -> String {
        self.token(json!({ "roles": roles })).await
    }

    pub async fn writer_token(&self) -> String {
        self.app_token(&["User.ReadWrite.All"]).await
    }

    pub async fn requests(&self) -> Vec<Value> {
        let (status, body) = self
            .admin(Method::GET, "/_emulator/requests", Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK);
        body.as_array().expect("log is an array").clone()
    }

    pub async fn user_view(&self, id: &str) -> Value {
        let (status, body) = self
            .admin(Method::GET, &format!("/_emulator/users/{id}"), Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Every Graph response, success or error, carries these (the README's "Headers on every Graph response").
pub fn assert_standard_headers(reply: &Reply, client_request_id: Option<&str>) {
    let request_id = reply.header("request-id").expect("request-id");
    assert!(uuid_like(request_id), "request-id {request_id}");
    assert_eq!(
        reply.header("client-request-id"),
        Some(client_request_id.unwrap_or(request_id))
    );
    let diagnostic: Value =
        serde_json::from_str(reply.header("x-ms-ags-diagnostic").expect("diagnostic")).unwrap();
    assert_eq!(diagnostic["ServerInfo"]["DataCenter"], "Local Emulator");
    assert_eq!(diagnostic["ServerInfo"]["RoleInstance"], "emulator");
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("odata-version"), Some("4.0"));
    let date = reply.header("date").expect("date");
    assert!(httpdate::parse_http_date(date).is_ok(), "date {date}");
    if reply.body.is_empty() {
        assert_eq!(reply.header("content-type"), None);
        assert_eq!(reply.header("content-length"), Some("0"));
    } else {
        assert_eq!(reply.header("content-type"), Some(ODATA_JSON));
    }
}

/// Graph's error body (<https://learn.microsoft.com/en-us/graph/errors>), with ids that match the headers.
pub fn assert_graph_error(reply: &Reply, status: StatusCode, code: &str, message: &str) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["request-id"].as_str(), reply.header("request-id"));
    assert_eq!(
        inner["client-request-id"].as_str(),
        reply.header("client-request-id")
    );
    let date = inner["date"].as_str().expect("innerError.date");
    assert_eq!(date.len(), "2026-11-24T01:02:03".len(), "{date}");
    assert_eq!(&date[10..11], "T");
    assert_standard_headers(reply, reply.header("client-request-id"));
}

pub fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}
