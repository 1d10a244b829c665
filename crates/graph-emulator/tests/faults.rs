//! Injected faults as a client meets them: Graph error bodies, Retry-After shapes, drops and broken bodies.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

async fn set_faults(h: &Harness, profile: Value) {
    let (status, body) = h.admin(Method::PUT, "/_emulator/faults", profile).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn each_status_comes_with_its_graph_error() {
    let h = start().await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment");
    for (status, code) in [
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (502, "BadGateway"),
        (503, "ServiceUnavailable"),
        (504, "GatewayTimeout"),
        (507, "InsufficientStorage"),
    ] {
        set_faults(&h, json!({ "rules": [{ "path": "/*/users/*/reprocessLicenseAssignment", "failureRate": 1, "statuses": [status] }] })).await;
        let reply = h.post(&path, &token).await;
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(reply.error_code(), code);
        assert_standard_headers(&reply, None);
        let retry_after = reply.header("retry-after");
        assert_eq!(
            retry_after.is_some(),
            status == 429 || status == 503,
            "{status}"
        );
    }
    // Faults happen before the service: nothing was reprocessed, and the log says why.
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 0);
    let log = h.requests().await;
    assert_eq!(log[0]["fault"], "status:429");
    assert_eq!(log[0]["status"], 429);

    // Other routes are untouched by a rule for reprocessing.
    let read = h.get(&format!("/v1.0/users/{ADELE_ID}"), &token).await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn retry_after_as_fraction_or_http_date_and_count_limits() {
    let h = start().await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment");
    set_faults(&h, json!({ "rules": [{ "failureRate": 1, "statuses": [429], "retryAfterSeconds": 2.128, "retryAfterFormat": "fraction", "count": 1 }] })).await;
    assert_eq!(
        h.post(&path, &token).await.header("retry-after"),
        Some("2.128")
    );
    assert_eq!(
        h.post(&path, &token).await.status,
        StatusCode::OK,
        "count: 1 injects one fault"
    );

    set_faults(&h, json!({ "rules": [{ "failureRate": 1, "statuses": [503], "retryAfterFormat": "httpDate" }] })).await;
    let reply = h.post(&path, &token).await;
    let date = reply.header("retry-after").unwrap();
    assert!(httpdate::parse_http_date(date).is_ok(), "{date}");

    let (status, _) = h
        .admin(Method::DELETE, "/_emulator/faults", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.post(&path, &token).await.status, StatusCode::OK);

    let (status, error) = h
        .admin(
            Method::PUT,
            "/_emulator/faults",
            json!({ "rules": [{ "failureRate": 2 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
}

#[tokio::test]
async fn dropped_connections_and_broken_bodies() {
    let h = start().await;
    let token = h.writer_token().await;
    let authorization = format!("Bearer {token}");
    let path = format!("/v1.0/users/{ADELE_ID}");

    set_faults(&h, json!({ "rules": [{ "method": "GET", "dropRate": 1 }] })).await;
    let dropped = h
        .try_send(Method::GET, &path, &[("authorization", &authorization)])
        .await;
    assert!(dropped.is_err(), "the connection closes without an answer");

    set_faults(
        &h,
        json!({ "rules": [{ "method": "GET", "nonJsonRate": 1 }] }),
    )
    .await;
    let html = h.get(&path, &token).await;
    assert_eq!(html.status, StatusCode::BAD_GATEWAY);
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(serde_json::from_slice::<Value>(&html.body).is_err());

    set_faults(
        &h,
        json!({ "rules": [{ "method": "GET", "truncateRate": 1 }] }),
    )
    .await;
    let cut = h.get(&path, &token).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    assert_eq!(
        cut.header("content-length"),
        Some(cut.body.len().to_string().as_str())
    );

    let log = h.requests().await;
    let faults: Vec<(&str, &Value)> = log
        .iter()
        .map(|e| (e["fault"].as_str().unwrap(), &e["status"]))
        .collect();
    assert_eq!(
        faults,
        [
            ("drop", &Value::Null),
            ("nonJson", &json!(502)),
            ("truncate", &json!(200))
        ]
    );
}

#[tokio::test]
async fn latency_delays_without_failing() {
    let h = start().await;
    let token = h.writer_token().await;
    set_faults(
        &h,
        json!({ "seed": 3, "rules": [{ "latencyMs": 20, "jitterMs": 20 }] }),
    )
    .await;
    // How long it took is not asserted (faults.rs's unit tests check the drawn delays); only that it is served.
    let reply = h.get(&format!("/v1.0/users/{ADELE_ID}"), &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(h.requests().await[0].get("fault").is_none());
}

#[tokio::test]
async fn faults_in_the_seed_file_apply_to_the_first_request() {
    let mut seed: Value =
        serde_json::from_str(&std::fs::read_to_string(seed_path()).unwrap()).unwrap();
    seed["faults"] = json!({ "rules": [{
        "method": "POST", "path": "/*/users/*/reprocessLicenseAssignment",
        "failureRate": 1, "statuses": [503], "retryAfterSeconds": 3, "count": 1
    }] });
    let path = std::env::temp_dir().join(format!(
        "graph-emulator-seed-faults-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, seed.to_string()).unwrap();
    let tenant = graph_emulator::Tenant::load(&path);
    let _ = std::fs::remove_file(&path);
    let emulator = graph_emulator::Emulator::start(graph_emulator::Config::new(tenant.unwrap()))
        .await
        .unwrap();
    let h = Harness::around(emulator);

    let token = h.writer_token().await;
    let reprocess = format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment");
    let first = h.post(&reprocess, &token).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.error_code(), "ServiceUnavailable");
    assert_eq!(first.header("retry-after"), Some("3"));
    assert_eq!(h.post(&reprocess, &token).await.status, StatusCode::OK);
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 1);
    let log = h.requests().await;
    assert_eq!(log[0]["fault"], "status:503");
    assert!(log[1].get("fault").is_none());
}
