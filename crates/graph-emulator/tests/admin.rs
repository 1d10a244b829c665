//! The admin API under /_emulator/: the request log tests rely on, and the tenant state they inspect and change.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn request_log_records_graph_requests_in_order_with_secrets_redacted() {
    let h = start().await;
    let token = h.writer_token().await;
    let authorization = format!("Bearer {token}");
    h.send(
        Method::POST,
        "/v1.0/users/alice_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com/reprocessLicenseAssignment?$select=id",
        &[
            ("authorization", &authorization),
            ("client-request-id", "c-1"),
            ("user-agent", "MgLicense-test/1.0"),
            ("proxy-authorization", "Basic cHJveHk6aHVudGVyMg=="),
            ("cookie", "fpc=AgQ2secret; x-ms-gateway-slice=estsfd"),
        ],
        "",
    )
    .await;
    h.send(
        Method::POST,
        "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment",
        &[],
        "",
    )
    .await;
    h.send(Method::GET, "/_emulator/health", &[], "").await;

    let log = h.requests().await;
    assert_eq!(log.len(), 2, "admin calls are not Graph requests: {log:#?}");

    let first = &log[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1.0/users/alice_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com/reprocessLicenseAssignment");
    assert_eq!(first["query"], "$select=id");
    assert_eq!(first["status"], 200);
    assert_eq!(first["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(first["headers"]["client-request-id"], "c-1");
    assert_eq!(first["headers"]["user-agent"], "MgLicense-test/1.0");
    assert_eq!(first["headers"]["proxy-authorization"], "Basic <redacted>");
    assert_eq!(
        first["headers"]["cookie"],
        "fpc=<redacted>; x-ms-gateway-slice=<redacted>"
    );
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    let served = serde_json::to_string(&log).unwrap();
    for secret in [
        token.as_str(),
        "cHJveHk6aHVudGVyMg==",
        "AgQ2secret",
        "estsfd",
    ] {
        assert!(
            !served.contains(secret),
            "credentials must never be served back: {secret}"
        );
    }

    let second = &log[1];
    assert_eq!(
        second["path"],
        "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment"
    );
    assert_eq!(second["query"], Value::Null);
    assert_eq!(second["status"], 401);
    assert!(second["headers"].get("authorization").is_none());

    let (status, cleared) = h
        .admin(Method::DELETE, "/_emulator/requests", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["cleared"], 2);
    assert!(h.requests().await.is_empty());
}

#[tokio::test]
async fn concurrent_requests_are_all_logged_and_counted_once() {
    let h = start().await;
    let token = h.writer_token().await;
    let ids = [ADELE_ID, ALEX_ID, ADMIN_ID, GUEST_ID];
    let calls = ids.iter().map(|id| {
        let path = format!("/v1.0/users/{id}/reprocessLicenseAssignment");
        let h = &h;
        let token = &token;
        async move { h.post(&path, token).await.status }
    });
    let statuses = futures_join_all(calls).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(h.requests().await.len(), ids.len());
    for id in ids {
        let view = h.user_view(id).await;
        assert_eq!(view["reprocessCount"], 1, "{view}");
        assert_eq!(
            view["reprocessCountByAction"]["reprocessLicenseAssignment"],
            1
        );
        assert!(view["lastReprocessedDateTime"].is_string());
    }
    // Untouched users stay at zero: nothing was sent twice, nothing was sent elsewhere.
    assert_eq!(h.user_view("MeganB@contoso.com").await["reprocessCount"], 0);
}

// Runs the futures concurrently on the test runtime without pulling in the futures crate.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future,
{
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn users_can_be_listed_read_added_replaced_and_removed() {
    let h = start().await;
    let (status, list) = h.admin(Method::GET, "/_emulator/users", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let users = list["value"].as_array().unwrap();
    assert_eq!(users.len(), 8);
    assert_eq!(users[0]["id"], ADELE_ID, "seed order is kept");
    assert_eq!(users[0]["user"]["displayName"], "Adele Vance");
    assert_eq!(users[0]["reprocessCount"], 0);

    // Lookup by escaped UPN works like Graph's.
    let guest = h
        .user_view("alice_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com")
        .await;
    assert_eq!(guest["id"], GUEST_ID);

    let new_user = json!({
        "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "userPrincipalName": "NestorW@contoso.com",
        "displayName": "Nestor Wilke",
        "usageLocation": "US",
        "customProperty": { "kept": [1, 2, 3] }
    });
    let (status, created) = h
        .admin(Method::POST, "/_emulator/users", new_user.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["user"]["customProperty"]["kept"], json!([1, 2, 3]));

    let token = h.writer_token().await;
    let reply = h
        .post(
            "/v1.0/users/nestorw@contoso.com/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["customProperty"]["kept"], json!([1, 2, 3]));

    let mut replaced = new_user.clone();
    replaced["usageLocation"] = json!("CA");
    let (status, view) = h.admin(Method::POST, "/_emulator/users", replaced).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["user"]["usageLocation"], "CA");
    assert_eq!(view["reprocessCount"], 1, "counters survive a replace");

    let conflict = json!({ "id": "ffffffff-0000-4000-8000-000000000000", "userPrincipalName": "adelev@contoso.com" });
    assert_eq!(
        h.admin(Method::POST, "/_emulator/users", conflict).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        h.admin(
            Method::POST,
            "/_emulator/users",
            json!({ "displayName": "no upn" })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    let (status, _) = h
        .admin(
            Method::DELETE,
            "/_emulator/users/NestorW@contoso.com",
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let gone = h
        .post(
            "/v1.0/users/nestorw@contoso.com/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.admin(
            Method::GET,
            "/_emulator/users/nestorw@contoso.com",
            Value::Null
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, bulk) = h
        .admin(Method::POST, "/_emulator/users", json!({ "users": [{ "id": "b1", "userPrincipalName": "b1@contoso.com" }, { "id": "b2", "userPrincipalName": "b2@contoso.com" }] }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(bulk["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn health_and_unknown_admin_paths() {
    let h = start().await;
    let (status, health) = h.admin(Method::GET, "/_emulator/health", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["baseUrl"], h.base());
    assert_eq!(health["users"], 8);
    assert_eq!(
        h.admin(Method::GET, "/_emulator/nope", Value::Null).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.admin(Method::PUT, "/_emulator/health", Value::Null)
            .await
            .0,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[test]
fn background_emulator_serves_without_an_async_caller() {
    use std::io::{Read, Write};
    let tenant = graph_emulator::Tenant::load(&seed_path()).unwrap();
    let emulator =
        graph_emulator::BackgroundEmulator::start(graph_emulator::Config::new(tenant)).unwrap();
    let addr = emulator.base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /_emulator/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(emulator.state().tenant().len(), 8);
    drop(emulator);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "dropping the emulator stops it"
    );
}

#[tokio::test]
async fn skus_groups_throttling_and_faults_through_the_admin_api() {
    let h = start().await;
    let reader = h.reader_token().await;
    const VISIO: &str = "c5928f49-12ba-48f7-ada3-0d743a3601d5";

    // SKUs: the list counts seats as Graph's /subscribedSkus does.
    let (status, skus) = h.admin(Method::GET, "/_emulator/skus", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let parts: Vec<&str> = skus["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skuPartNumber"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["SPE_E3", "POWER_BI_PRO"]);
    let graph = h.get("/v1.0/subscribedSkus", &reader).await.json();
    for (admin, graph) in skus["value"]
        .as_array()
        .unwrap()
        .iter()
        .zip(graph["value"].as_array().unwrap())
    {
        assert_eq!(admin["skuId"], graph["skuId"]);
        assert_eq!(admin["consumedUnits"], graph["consumedUnits"], "{admin}");
    }

    let visio = json!({
        "skuId": VISIO, "skuPartNumber": "VISIOCLIENT", "prepaidUnits": { "enabled": 2 },
        "servicePlans": [{ "servicePlanId": "663a804f-1c30-4ff0-9915-9db84f0d1cea",
                           "servicePlanName": "VISIO_CLIENT_SUBSCRIPTION", "service": "Visio" }]
    });
    let (status, created) = h
        .admin(Method::POST, "/_emulator/skus", visio.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["consumedUnits"], 0);
    let mut more = visio.clone();
    more["prepaidUnits"]["enabled"] = json!(3);
    let (status, replaced) = h.admin(Method::POST, "/_emulator/skus", more).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["prepaidUnits"]["enabled"], 3);
    let (status, by_name) = h
        .admin(Method::GET, "/_emulator/skus/visioclient", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_name["skuId"], VISIO);
    assert_eq!(
        h.get("/v1.0/subscribedSkus", &reader).await.json()["value"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        h.admin(
            Method::POST,
            "/_emulator/skus",
            json!({ "skuPartNumber": "NO_ID" })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Groups: a new one licenses Adele with Visio once she is processed.
    let (status, group) = h
        .admin(
            Method::POST,
            "/_emulator/groups",
            json!({ "displayName": "Visio users", "members": [ADELE_UPN],
                    "assignedLicenses": [{ "skuId": VISIO }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    h.admin(
        Method::POST,
        &format!("/_emulator/users/{ADELE_ID}/process"),
        Value::Null,
    )
    .await;
    let (status, visio_now) = h
        .admin(
            Method::GET,
            &format!("/_emulator/skus/{VISIO}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(visio_now["consumedUnits"], 1);
    let (status, groups) = h.admin(Method::GET, "/_emulator/groups", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Microsoft 365 E3 - All staff",
            "Power BI Pro",
            "Visio users"
        ]
    );
    let (status, by_name) = h
        .admin(Method::GET, "/_emulator/groups/Visio%20users", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{by_name}");
    assert_eq!(by_name["id"], group_id.as_str());
    assert_eq!(by_name["hasMembersWithLicenseErrors"], false);

    // Removing the SKU: its licenses fail with Other when the user is next processed.
    let (status, removed) = h
        .admin(Method::DELETE, "/_emulator/skus/VISIOCLIENT", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(removed["skuId"], VISIO);
    assert_eq!(
        h.admin(
            Method::GET,
            &format!("/_emulator/skus/{VISIO}"),
            Value::Null
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    h.admin(
        Method::POST,
        &format!("/_emulator/users/{ADELE_ID}/process"),
        Value::Null,
    )
    .await;
    let (_, in_error) = h
        .admin(
            Method::GET,
            &format!("/_emulator/groups/{group_id}"),
            Value::Null,
        )
        .await;
    assert_eq!(in_error["hasMembersWithLicenseErrors"], true);
    assert_eq!(in_error["membersWithLicenseErrors"], json!([ADELE_ID]));

    let (status, gone) = h
        .admin(
            Method::DELETE,
            &format!("/_emulator/groups/{group_id}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gone["displayName"], "Visio users");
    for path in [
        format!("/_emulator/groups/{group_id}"),
        "/_emulator/skus/VISIOCLIENT".to_owned(),
    ] {
        assert_eq!(
            h.admin(Method::GET, &path, Value::Null).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            h.admin(Method::DELETE, &path, Value::Null).await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (_, groups) = h.admin(Method::GET, "/_emulator/groups", Value::Null).await;
    assert_eq!(groups["value"].as_array().unwrap().len(), 2);

    // Throttling: PATCH merges into the settings, limits included; PUT replaces them.
    h.admin(
        Method::PUT,
        "/_emulator/throttling",
        json!({ "enabled": true, "limits": { "appTenantWrites": 5 } }),
    )
    .await;
    let (status, patched) = h
        .admin(
            Method::PATCH,
            "/_emulator/throttling",
            json!({ "scale": 0.5, "limits": { "tenantWrites": 1 } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let want = json!({ "enabled": true, "scale": 0.5,
                       "limits": { "appTenantWrites": 5.0, "tenantWrites": 1.0 } });
    assert_eq!(patched, want);
    assert_eq!(
        h.admin(Method::GET, "/_emulator/throttling", Value::Null)
            .await
            .1,
        want
    );
    let token = h.writer_token().await;
    let reprocess = format!("/v1.0/users/{ALEX_ID}/reprocessLicenseAssignment");
    assert_eq!(h.post(&reprocess, &token).await.status, StatusCode::OK);
    let refused = h.post(&reprocess, &token).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused
        .header("x-ms-throttle-scope")
        .unwrap()
        .starts_with("Tenant/Write/"));
    let (status, off) = h
        .admin(
            Method::PATCH,
            "/_emulator/throttling",
            json!({ "enabled": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(off["limits"], want["limits"], "other settings are kept");
    assert_eq!(h.post(&reprocess, &token).await.status, StatusCode::OK);
    assert_eq!(
        h.admin(
            Method::PATCH,
            "/_emulator/throttling",
            json!({ "limits": { "appWritez": 1 } })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Faults: GET shows the profile in force, with every default filled in.
    let (status, none) = h.admin(Method::GET, "/_emulator/faults", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none, json!({ "rules": [] }));
    h.admin(
        Method::PUT,
        "/_emulator/faults",
        json!({ "seed": 9, "rules": [{ "method": "GET", "failureRate": 0.5, "statuses": [503] }] }),
    )
    .await;
    let (status, shown) = h.admin(Method::GET, "/_emulator/faults", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["seed"], 9);
    let rule = &shown["rules"][0];
    assert_eq!(rule["method"], "GET");
    assert_eq!(rule["path"], "/**");
    assert_eq!(rule["failureRate"], 0.5);
    assert_eq!(rule["statuses"], json!([503]));
    assert_eq!(rule["retryAfterSeconds"], 1.0);
    assert_eq!(rule["retryAfterFormat"], "seconds");
    h.admin(Method::DELETE, "/_emulator/faults", Value::Null)
        .await;
    assert_eq!(
        h.admin(Method::GET, "/_emulator/faults", Value::Null)
            .await
            .1,
        json!({ "rules": [] })
    );
}
