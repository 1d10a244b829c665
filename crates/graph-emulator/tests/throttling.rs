//! Throttling as a client meets it: 429s with Graph's headers, warnings near the limit, and the penalty for
//! coming back early. Limits are shrunk through the admin API; no test depends on timing.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

async fn limit_writes(h: &Harness, writes: u32) {
    let (status, config) = h
        .admin(
            Method::PUT,
            "/_emulator/throttling",
            json!({ "enabled": true, "limits": { "appTenantWrites": writes } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{config}");
}

#[tokio::test]
async fn throttling_is_off_by_default() {
    let h = start().await;
    let (_, config) = h
        .admin(Method::GET, "/_emulator/throttling", Value::Null)
        .await;
    assert_eq!(config["enabled"], false);
    let token = h.writer_token().await;
    for _ in 0..30 {
        let reply = h
            .post(
                &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
                &token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header("x-ms-resource-unit").is_none());
    }
}

#[tokio::test]
async fn writes_beyond_the_bucket_get_429_with_graph_headers() {
    let h = start().await;
    limit_writes(&h, 5).await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment");
    let mut percentages = Vec::new();
    for _ in 0..5 {
        let reply = h.post(&path, &token).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ms-resource-unit"), Some("1"));
        percentages.push(
            reply
                .header("x-ms-throttle-limit-percentage")
                .map(str::to_owned),
        );
    }
    assert_eq!(percentages[0], None);
    assert_eq!(percentages[4].as_deref(), Some("1.0"));

    let throttled = h.post(&path, &token).await;
    assert_graph_error(
        &throttled,
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Please retry again later.",
    );
    // 5 writes per 150 s: one comes back every 30 s.
    assert_eq!(throttled.header("retry-after"), Some("30"));
    let app = "8a3c1f0e-6d2b-4e7a-9b5c-0f1e2d3c4b5a";
    let tenant = "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88";
    assert_eq!(
        throttled.header("x-ms-throttle-scope"),
        Some(format!("Tenant_Application/Write/{app}/{tenant}").as_str())
    );
    assert_eq!(
        throttled.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );

    // Coming back before Retry-After is a penalty; even reads are refused.
    let early = h
        .get(
            &format!("/v1.0/users/{ADELE_ID}"),
            &h.app_token(&["User.ReadWrite.All"]).await,
        )
        .await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        early.header("x-ms-throttle-information"),
        Some("RetryAfterNotHonored")
    );

    // Another app has its own buckets; throttled calls are not counted and are marked in the log.
    let other = h.token(json!({ "roles": ["User.ReadWrite.All"], "appId": "11111111-2222-3333-4444-555555555555" })).await;
    assert_eq!(h.post(&path, &other).await.status, StatusCode::OK);
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 6);
    let log = h.requests().await;
    let marked: Vec<&str> = log.iter().filter_map(|e| e["throttled"].as_str()).collect();
    assert_eq!(marked, ["WriteLimitExceeded", "RetryAfterNotHonored"]);
}

#[tokio::test]
async fn a_client_that_waits_retry_after_gets_through() {
    let h = start().await;
    // 150 s * 0.001 = 150 ms windows: Retry-After (a whole second) is more than enough.
    h.admin(
        Method::PUT,
        "/_emulator/throttling",
        json!({ "enabled": true, "scale": 0.001, "limits": { "appTenantWrites": 1 } }),
    )
    .await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ALEX_ID}/reprocessLicenseAssignment");
    assert_eq!(h.post(&path, &token).await.status, StatusCode::OK);
    let mut throttled = h.post(&path, &token).await;
    if throttled.status == StatusCode::OK {
        // The machine was slow enough for the 150 ms window to refill; drain it again.
        throttled = h.post(&path, &token).await;
    }
    if throttled.status == StatusCode::TOO_MANY_REQUESTS {
        let wait: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
        assert_eq!(wait, 1);
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert_eq!(h.post(&path, &token).await.status, StatusCode::OK);
}
