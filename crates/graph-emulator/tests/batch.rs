//! JSON batching as a client meets it: items answered in any order, dependsOn and 424, per-item 429s, 400s.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

async fn batch(h: &Harness, token: &str, version: &str, body: Value) -> common::Reply {
    let authorization = format!("Bearer {token}");
    h.send(
        Method::POST,
        &format!("/{version}/$batch"),
        &[
            ("authorization", &authorization),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
    .await
}

fn by_id(reply: &common::Reply) -> std::collections::BTreeMap<String, Value> {
    reply.json()["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[tokio::test]
async fn items_are_served_on_their_own_and_logged_as_batch_items() {
    let h = start().await;
    let token = h
        .app_token(&["User.ReadWrite.All", "Directory.Read.All"])
        .await;
    let reply = batch(
        &h,
        &token,
        "v1.0",
        json!({ "requests": [
            { "id": "1", "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment") },
            { "id": "2", "method": "GET", "url": format!("users/{ALEX_ID}?$select=id,usageLocation") },
            { "id": "3", "method": "POST", "url": "/users/nobody@contoso.com/reprocessLicenseAssignment" },
            { "id": "4", "method": "GET", "url": "/subscribedSkus", "dependsOn": ["2"] },
            { "id": "5", "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment"), "dependsOn": ["3"] },
        ]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_standard_headers(&reply, None);
    let answers = by_id(&reply);
    assert_eq!(answers.len(), 5);
    assert_eq!(answers["1"]["status"], 200);
    assert_eq!(answers["1"]["body"]["id"], ADELE_ID);
    assert_eq!(answers["1"]["headers"]["content-type"], ODATA_JSON);
    assert_eq!(
        answers["2"]["body"],
        json!({
        "@odata.context": format!("{}/v1.0/$metadata#users(id,usageLocation)/$entity", h.base()),
        "id": ALEX_ID, "usageLocation": null })
    );
    assert_eq!(answers["3"]["status"], 404);
    assert_eq!(
        answers["3"]["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(answers["4"]["status"], 200);
    assert_eq!(answers["5"]["status"], 424);
    assert_eq!(answers["5"]["body"]["error"]["code"], "FailedDependency");
    // Item 5 never ran.
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 1);

    let log = h.requests().await;
    let outer = log.iter().find(|e| e["path"] == "/v1.0/$batch").unwrap();
    let items: Vec<&Value> = log.iter().filter(|e| e.get("batch").is_some()).collect();
    assert_eq!(items.len(), 4);
    for item in &items {
        assert_eq!(item["batch"]["requestId"], outer["requestId"]);
        assert_eq!(item["headers"]["authorization"], "Bearer <redacted>");
    }
    assert_eq!(items[1]["path"], format!("/v1.0/users/{ALEX_ID}"));
    assert_eq!(items[1]["query"], "$select=id,usageLocation");
}

#[tokio::test]
async fn answers_come_in_any_order() {
    let h = start().await;
    let token = h.reader_token().await;
    let requests: Vec<Value> = (1..=20)
        .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": format!("/users/{ADELE_ID}?$select=id") }))
        .collect();
    let reply = batch(&h, &token, "beta", json!({ "requests": requests })).await;
    let order: Vec<String> = reply.json()["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let sorted: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    assert_eq!(order.len(), 20);
    assert_ne!(
        order, sorted,
        "20 answers shuffled back into request order is a 1 in 20! chance"
    );
}

#[tokio::test]
async fn items_are_throttled_and_failed_one_by_one() {
    let h = start().await;
    let token = h.writer_token().await;
    h.admin(
        Method::PUT,
        "/_emulator/throttling",
        json!({ "enabled": true, "limits": { "appTenantWrites": 2 } }),
    )
    .await;
    let requests: Vec<Value> = (1..=3)
        .map(|i| json!({ "id": i.to_string(), "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment"),
                         "dependsOn": if i > 1 { vec![(i - 1).to_string()] } else { vec![] } }))
        .collect();
    let reply = batch(&h, &token, "v1.0", json!({ "requests": requests })).await;
    assert_eq!(reply.status, StatusCode::OK);
    let answers = by_id(&reply);
    assert_eq!(answers["1"]["status"], 200);
    assert_eq!(answers["2"]["status"], 200);
    assert_eq!(answers["3"]["status"], 429);
    assert_eq!(answers["3"]["headers"]["retry-after"], "75");
    assert_eq!(
        answers["3"]["headers"]["x-ms-throttle-information"],
        "WriteLimitExceeded"
    );
    assert_eq!(answers["3"]["body"]["error"]["code"], "TooManyRequests");

    h.admin(
        Method::PUT,
        "/_emulator/throttling",
        json!({ "enabled": false }),
    )
    .await;
    h.admin(
        Method::PUT,
        "/_emulator/faults",
        json!({ "rules": [{ "path": "/v1.0/users/*", "failureRate": 1, "statuses": [503], "dropRate": 0 }] }),
    )
    .await;
    let reply = batch(
        &h,
        &token,
        "v1.0",
        json!({ "requests": [
            { "id": "a", "method": "GET", "url": format!("/users/{ADELE_ID}") },
            { "id": "b", "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment") },
        ]}),
    )
    .await;
    let answers = by_id(&reply);
    assert_eq!(answers["a"]["status"], 503);
    assert_eq!(answers["a"]["headers"]["retry-after"], "1");
    assert_eq!(answers["b"]["status"], 200);
}

#[tokio::test]
async fn malformed_batches_are_400() {
    let h = start().await;
    let token = h.writer_token().await;
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": "/users" }))
        .collect();
    for (body, message) in [
        (json!({ "nope": [] }), "Invalid batch payload format."),
        (
            json!({ "requests": too_many }),
            "The number of requests in a batch cannot exceed 20.",
        ),
        (
            json!({ "requests": [{ "id": "1", "method": "GET", "url": "/users" }, { "id": "1", "method": "GET", "url": "/users" }] }),
            "Request id '1' appears more than once in the batch.",
        ),
        (
            json!({ "requests": [{ "id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"] }] }),
            "Request '1' depends on '9', which is not in the batch.",
        ),
        (
            json!({ "requests": [{ "id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users" }] }),
            "Request '1': the url must be relative to the version, such as /users/{id}.",
        ),
        (
            json!({ "requests": [{ "id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"] },
                              { "id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"] }] }),
            "The dependsOn of the batch's requests form a cycle.",
        ),
    ] {
        let reply = batch(&h, &token, "v1.0", body).await;
        assert_graph_error(&reply, StatusCode::BAD_REQUEST, "BadRequest", message);
    }
    let unauthenticated = h
        .send(
            Method::POST,
            "/v1.0/$batch",
            &[("content-type", "application/json")],
            r#"{"requests":[]}"#,
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert!(h.requests().await.iter().all(|e| e.get("batch").is_none()));
}

#[tokio::test]
async fn an_item_with_more_headers_than_a_request_may_carry_is_400_and_the_others_are_served() {
    let h = start().await;
    let token = h.app_token(&["User.ReadWrite.All"]).await;
    let headers: serde_json::Map<String, Value> = (0..40_000)
        .map(|i| (format!("x-h{i}"), Value::from("v")))
        .collect();
    let reply = batch(
        &h,
        &token,
        "v1.0",
        json!({ "requests": [
            { "id": "1", "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment"), "headers": headers },
            { "id": "2", "method": "POST", "url": format!("/users/{ADELE_ID}/reprocessLicenseAssignment") },
        ]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let answers = by_id(&reply);
    assert_eq!(answers["1"]["status"], 400);
    assert_eq!(answers["1"]["body"]["error"]["code"], "BadRequest");
    assert!(answers["1"]["body"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("40000 headers"));
    assert_eq!(answers["2"]["status"], 200);
}
