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

/// An accepted call costing one resource unit, and its `x-ms-throttle-limit-percentage`, if any.
fn accepted_percentage(reply: &Reply) -> Option<String> {
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-ms-resource-unit"), Some("1"));
    reply
        .header("x-ms-throttle-limit-percentage")
        .map(str::to_owned)
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
        percentages.push(accepted_percentage(&h.post(&path, &token).await));
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
    // One write per 150 s * 0.01 = 1.5 s: the second reprocess, sent at once, finds the bucket empty
    // (unless 1.5 s pass between two loopback calls), and Retry-After (whole seconds) covers the refill.
    h.admin(
        Method::PUT,
        "/_emulator/throttling",
        json!({ "enabled": true, "scale": 0.01, "limits": { "appTenantWrites": 1 } }),
    )
    .await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ALEX_ID}/reprocessLicenseAssignment");
    assert_eq!(h.post(&path, &token).await.status, StatusCode::OK);
    let throttled = h.post(&path, &token).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        throttled.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    let wait: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(h.post(&path, &token).await.status, StatusCode::OK);
    assert_eq!(h.user_view(ALEX_ID).await["reprocessCount"], 2);
}

const APP: &str = "8a3c1f0e-6d2b-4e7a-9b5c-0f1e2d3c4b5a";
const TENANT: &str = "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88";
const OTHER_APP: &str = "11111111-2222-3333-4444-555555555555";
const OTHER_TENANT: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";

async fn throttle_with(h: &Harness, limits: Value) {
    let (status, config) = h
        .admin(
            Method::PUT,
            "/_emulator/throttling",
            json!({ "enabled": true, "limits": limits }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{config}");
}

async fn token_for(h: &Harness, app: &str, tenant: &str) -> String {
    h.token(json!({ "roles": ["User.ReadWrite.All"], "appId": app, "tenantId": tenant }))
        .await
}

const REPROCESS_ADELE: &str =
    "/v1.0/users/047dd774-f1c4-40f2-82f0-278de79f9b83/reprocessLicenseAssignment";
const READ_ADELE: &str = "/v1.0/users/047dd774-f1c4-40f2-82f0-278de79f9b83";

fn assert_throttled(reply: &Reply, scope: &str, information: &str) {
    assert_graph_error(
        reply,
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Please retry again later.",
    );
    assert_eq!(reply.header("x-ms-throttle-scope"), Some(scope));
    assert_eq!(reply.header("x-ms-throttle-information"), Some(information));
    assert!(reply.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

/// The buckets shared across tenants (one app's) and across apps (one tenant's): each budget of three
/// writes is drained by two callers together, and refuses with its own scope; a caller outside it is
/// not held back.
#[tokio::test]
async fn shared_buckets_throttle_across_tenants_and_across_apps() {
    let h = start().await;
    let cases = [
        // One app in two tenants: the app's own budget is smaller than any app+tenant budget.
        (
            json!({ "appWrites": 3 }),
            [(APP, TENANT), (APP, OTHER_TENANT)],
            format!("Application/Write/{APP}"),
        ),
        // Two apps in one tenant.
        (
            json!({ "tenantWrites": 3 }),
            [(APP, TENANT), (OTHER_APP, TENANT)],
            format!("Tenant/Write/{TENANT}"),
        ),
    ];
    let mut accepted = 0;
    for (limits, [(app_a, tenant_a), (app_b, tenant_b)], scope) in cases {
        throttle_with(&h, limits).await;
        let a = token_for(&h, app_a, tenant_a).await;
        let b = token_for(&h, app_b, tenant_b).await;
        for token in [&a, &b, &a] {
            assert_eq!(h.post(REPROCESS_ADELE, token).await.status, StatusCode::OK);
        }
        // The fourth write, from the caller that has sent only one, is over the shared budget.
        let refused = h.post(REPROCESS_ADELE, &b).await;
        assert_throttled(&refused, &scope, "WriteLimitExceeded");
        let outside = token_for(&h, OTHER_APP, OTHER_TENANT).await;
        assert_eq!(
            h.post(REPROCESS_ADELE, &outside).await.status,
            StatusCode::OK
        );
        // Reads do not count against a write bucket.
        assert_eq!(h.get(READ_ADELE, &a).await.status, StatusCode::OK);
        accepted += 4;
    }
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], accepted);

    // Resource units too: reads from two tenants drain the app's bucket.
    throttle_with(&h, json!({ "appResourceUnits": 2 })).await;
    let here = token_for(&h, APP, TENANT).await;
    let there = token_for(&h, APP, OTHER_TENANT).await;
    assert_eq!(h.get(READ_ADELE, &here).await.status, StatusCode::OK);
    assert_eq!(h.get(READ_ADELE, &there).await.status, StatusCode::OK);
    assert_throttled(
        &h.get(READ_ADELE, &here).await,
        &format!("Application/ReadWrite/{APP}"),
        "ResourceUnitLimitExceeded",
    );
}

#[tokio::test]
async fn reads_beyond_the_resource_units_get_429() {
    let h = start().await;
    throttle_with(&h, json!({ "appTenantResourceUnits": 3 })).await;
    let token = h.reader_token().await;
    let mut percentages = Vec::new();
    for _ in 0..3 {
        percentages.push(accepted_percentage(&h.get(READ_ADELE, &token).await));
    }
    assert_eq!(percentages, [None, None, Some("1.0".to_owned())]);
    let refused = h.get(READ_ADELE, &token).await;
    assert_throttled(
        &refused,
        &format!("Tenant_Application/ReadWrite/{APP}/{TENANT}"),
        "ResourceUnitLimitExceeded",
    );
    // Coming back before Retry-After, even with another read, is a penalty.
    let listed = h.get("/v1.0/users?$select=id", &token).await;
    assert_eq!(listed.status, StatusCode::TOO_MANY_REQUESTS);
    let log = h.requests().await;
    let marked: Vec<&str> = log.iter().filter_map(|e| e["throttled"].as_str()).collect();
    assert_eq!(
        marked,
        ["ResourceUnitLimitExceeded", "RetryAfterNotHonored"]
    );
}
