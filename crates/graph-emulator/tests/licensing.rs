//! The licensing model as a runbook meets it: errors seeded, causes fixed through the admin API, users reprocessed.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const MEGAN_UPN: &str = "MeganB@contoso.com";
const ALEX_UPN: &str = "AlexW@contoso.com";
const LEE_UPN: &str = "LeeG@contoso.com";
const E3_GROUP: &str = "a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10";

fn first_state(user: &Value) -> (String, String) {
    let state = &user["licenseAssignmentStates"][0];
    (
        state["state"].as_str().unwrap_or_default().to_owned(),
        state["error"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn reprocess(h: &Harness, token: &str, upn: &str) -> Value {
    let reply = h
        .post(
            &format!("/v1.0/users/{upn}/reprocessLicenseAssignment"),
            token,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

#[tokio::test]
async fn fixing_the_usage_location_only_helps_after_reprocessing() {
    let h = start().await;
    let token = h.writer_token().await;
    assert_eq!(
        first_state(&h.user_view(ALEX_UPN).await["user"]),
        ("Error".into(), "ProhibitedInUsageLocationViolation".into())
    );

    let (status, _) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/users/{ALEX_UPN}"),
            json!({ "usageLocation": "US" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Entra changes a user's license state only when the user is processed.
    assert_eq!(
        first_state(&h.user_view(ALEX_UPN).await["user"]).1,
        "ProhibitedInUsageLocationViolation"
    );

    let user = reprocess(&h, &token, ALEX_UPN).await;
    assert_eq!(first_state(&user), ("Active".into(), "None".into()));
    assert_eq!(
        user["assignedLicenses"],
        json!([{ "disabledPlans": [], "skuId": E3 }])
    );
    assert_eq!(user["assignedPlans"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn seats_freed_through_the_admin_api_clear_a_count_violation() {
    let h = start().await;
    let token = h.writer_token().await;
    // Patrick holds the only Power BI seat.
    let user = reprocess(&h, &token, MEGAN_UPN).await;
    assert_eq!(
        first_state(&user),
        ("Error".into(), "CountViolation".into())
    );

    let (status, sku) = h
        .admin(
            Method::PATCH,
            "/_emulator/skus/POWER_BI_PRO",
            json!({ "prepaidUnits": { "enabled": 2 } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sku}");
    assert_eq!(sku["prepaidUnits"]["enabled"], 2);
    assert_eq!(sku["consumedUnits"], 1);

    let user = reprocess(&h, &token, MEGAN_UPN).await;
    assert_eq!(first_state(&user), ("Active".into(), "None".into()));
    let (_, sku) = h
        .admin(Method::GET, &format!("/_emulator/skus/{PBI}"), Value::Null)
        .await;
    assert_eq!(sku["consumedUnits"], 2);

    // The next member finds no seat left, and a mutual exclusion is reported before seats.
    let lee = reprocess(&h, &token, LEE_UPN).await;
    let states = lee["licenseAssignmentStates"].as_array().unwrap();
    assert_eq!(states[0]["state"], "Active");
    assert_eq!(states[1]["error"], "MutuallyExclusiveViolation");
}

#[tokio::test]
async fn every_reprocess_route_re_evaluates_the_user() {
    let h = start().await;
    let token = h.writer_token().await;
    let routes = [
        format!("/beta/users/{ALEX_UPN}/reprocessLicenseAssignment"),
        format!("/beta/users/{ALEX_UPN}/cloudLicensing/assignments/reprocessAssignments"),
        format!("/beta/users/{ALEX_UPN}/reprocessLicenseAssignment2"),
    ];
    for (n, route) in routes.iter().enumerate() {
        let location = ["US", "GB", "KP"][n];
        h.admin(
            Method::PATCH,
            &format!("/_emulator/users/{ALEX_UPN}"),
            json!({ "usageLocation": location }),
        )
        .await;
        let authorization = format!("Bearer {token}");
        let reply = h
            .send(
                Method::POST,
                route,
                &[
                    ("authorization", &authorization),
                    ("content-type", "application/json"),
                ],
                "",
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{route}");
        let expected = if location == "KP" {
            "ProhibitedInUsageLocationViolation"
        } else {
            "None"
        };
        assert_eq!(
            first_state(&h.user_view(ALEX_UPN).await["user"]).1,
            expected,
            "{route}"
        );
    }
}

#[tokio::test]
async fn groups_and_members_change_at_runtime() {
    let h = start().await;
    let token = h.writer_token().await;
    let (status, group) = h
        .admin(
            Method::POST,
            "/_emulator/groups",
            json!({ "displayName": "Zoë's team", "members": ["zoe.angstrom@contoso.com"],
                    "assignedLicenses": [{ "skuId": E3, "disabledPlans": ["TEAMS1"] }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    assert!(uuid_like(&group_id));

    let zoe = reprocess(&h, &token, "zoe.angstrom@contoso.com").await;
    assert_eq!(first_state(&zoe), ("Active".into(), "None".into()));
    assert_eq!(
        zoe["licenseAssignmentStates"][0]["assignedByGroup"],
        group_id.as_str()
    );
    assert_eq!(
        zoe["licenseAssignmentStates"][0]["disabledPlans"],
        json!(["TEAMS1"])
    );

    // Teams needs SharePoint: enabling Teams while disabling SharePoint is a DependencyViolation.
    let (status, _) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/groups/{group_id}"),
            json!({ "assignedLicenses": [{ "skuId": E3, "disabledPlans": ["SHAREPOINTENTERPRISE"] }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let zoe = reprocess(&h, &token, "zoe.angstrom@contoso.com").await;
    assert_eq!(
        first_state(&zoe),
        ("Error".into(), "DependencyViolation".into())
    );
    assert_eq!(zoe["assignedLicenses"], json!([]));

    let (status, group) = h
        .admin(
            Method::DELETE,
            &format!("/_emulator/groups/{group_id}/members/zoe.angstrom@contoso.com"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group["members"], json!([]));
    let zoe = reprocess(&h, &token, "zoe.angstrom@contoso.com").await;
    assert_eq!(zoe["licenseAssignmentStates"], json!([]));

    let (status, group) = h
        .admin(
            Method::POST,
            &format!("/_emulator/groups/{group_id}/members"),
            json!({ "members": [ADMIN_UPN, "nobody@contoso.com"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{group}");
}

#[tokio::test]
async fn duplicate_proxy_addresses_and_soft_deleted_users() {
    let h = start().await;
    let token = h.writer_token().await;
    h.admin(
        Method::PATCH,
        &format!("/_emulator/users/{ADMIN_UPN}"),
        json!({ "proxyAddresses": ["SMTP:AdeleV@contoso.com"], "directLicenses": [{ "skuId": E3 }] }),
    )
    .await;
    h.admin(
        Method::PATCH,
        &format!("/_emulator/users/{ADELE_UPN}"),
        json!({ "proxyAddresses": ["SMTP:AdeleV@contoso.com"] }),
    )
    .await;
    let reply = h
        .post(
            "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(
        first_state(&reply.json()),
        ("Error".into(), "UniquenessViolation".into())
    );

    // Soft-deleting Adele frees both her address and her seat; Graph no longer finds her.
    h.admin(
        Method::PATCH,
        &format!("/_emulator/users/{ADELE_UPN}"),
        json!({ "deletedDateTime": "2026-11-24T01:02:03Z" }),
    )
    .await;
    let gone = h
        .post(
            &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
            &token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let reply = h
        .post(
            "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(first_state(&reply.json()), ("Active".into(), "None".into()));
}

#[tokio::test]
async fn the_tenant_exports_as_a_seed_that_loads_again() {
    let h = start().await;
    let (status, seed) = h.admin(Method::GET, "/_emulator/tenant", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seed["subscribedSkus"].as_array().unwrap().len(), 2);
    assert_eq!(seed["users"][3]["directLicenses"][0]["skuId"], E3);
    let again = graph_emulator::Tenant::from_seed_json(&seed.to_string()).unwrap();
    assert_eq!(again.len(), 8);
    assert_eq!(again.consumed_units(E3), 2);

    let (status, processed) = h
        .admin(Method::POST, "/_emulator/licensing/process", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(processed["processed"], 8);
}

/// What a runbook reads after reprocessing Alex: the user, the user in a list, and the E3 group's errors.
async fn alex_as_read(h: &Harness, token: &str) -> [Value; 4] {
    let user = h
        .get(
            &format!("/v1.0/users/{ALEX_ID}?$select=licenseAssignmentStates"),
            token,
        )
        .await
        .json();
    let listed = h
        .get(
            &format!(
                "/beta/users?$filter=id%20eq%20'{ALEX_ID}'&$select=id,licenseAssignmentStates"
            ),
            token,
        )
        .await
        .json();
    let group = h
        .get(
            &format!("/v1.0/groups/{E3_GROUP}?$select=hasMembersWithLicenseErrors"),
            token,
        )
        .await
        .json();
    let failing = h
        .get(
            &format!("/v1.0/groups/{E3_GROUP}/membersWithLicenseErrors?$select=id"),
            token,
        )
        .await
        .json();
    [user, listed["value"][0].clone(), group, failing]
}

#[tokio::test]
async fn with_a_processing_delay_states_change_once_it_has_passed() {
    const DELAY: Duration = Duration::from_millis(300);
    let h = start().await;
    let token = h.writer_token().await;
    let reader = h.reader_token().await;
    let (status, body) = h
        .admin(
            Method::PUT,
            "/_emulator/processing",
            json!({ "delayMs": DELAY.as_millis() as u64 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    h.admin(
        Method::PATCH,
        &format!("/_emulator/users/{ALEX_UPN}"),
        json!({ "usageLocation": "US" }),
    )
    .await;

    let requested = graph_emulator::clock::iso8601_seconds(SystemTime::now());
    let started = Instant::now();
    // The call returns at once, with the user as stored: the request is recorded, not yet processed.
    let answered = reprocess(&h, &token, ALEX_UPN).await;
    assert_eq!(
        first_state(&answered),
        ("Error".into(), "ProhibitedInUsageLocationViolation".into())
    );
    let [user, listed, group, failing] = alex_as_read(&h, &reader).await;
    let view = h.user_view(ALEX_UPN).await;
    assert_eq!(view["reprocessCount"], 1);
    assert!(view["lastReprocessedDateTime"].is_string());
    // Only meaningful while the delay has not passed, which a very slow machine could overrun.
    if started.elapsed() < DELAY {
        for user in [&user, &listed, &view["user"]] {
            assert_eq!(
                first_state(user).1,
                "ProhibitedInUsageLocationViolation",
                "{user}"
            );
        }
        assert_eq!(group["hasMembersWithLicenseErrors"], true);
        assert_eq!(
            failing["value"],
            json!([{ "@odata.type": "#microsoft.graph.user", "id": ALEX_ID }])
        );
    }

    tokio::time::sleep(DELAY + Duration::from_millis(50)).await;
    let [user, listed, group, failing] = alex_as_read(&h, &reader).await;
    let view = h.user_view(ALEX_UPN).await;
    for user in [&user, &listed, &view["user"]] {
        assert_eq!(
            first_state(user),
            ("Active".into(), "None".into()),
            "{user}"
        );
        let updated = user["licenseAssignmentStates"][0]["lastUpdatedDateTime"]
            .as_str()
            .unwrap();
        assert!(updated >= requested.as_str(), "{updated} < {requested}");
    }
    assert_eq!(group["hasMembersWithLicenseErrors"], false);
    assert_eq!(failing["value"], json!([]));
    assert_eq!(view["reprocessCount"], 1);
}

#[tokio::test]
async fn the_processing_delay_is_set_through_the_admin_api() {
    let h = start().await;
    let token = h.writer_token().await;
    let (status, body) = h
        .admin(Method::GET, "/_emulator/processing", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "delayMs": 0, "pendingUsers": 0 }));

    for bad in [
        json!({ "delayMs": 86_400_001 }),
        json!({ "delay": 5 }),
        json!({ "delayMs": "5" }),
    ] {
        let (status, body) = h.admin(Method::PUT, "/_emulator/processing", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "InvalidProcessing");
    }
    let (status, _) = h
        .admin(Method::DELETE, "/_emulator/processing", Value::Null)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // A minute: nothing falls due while the test runs.
    let (_, body) = h
        .admin(
            Method::PATCH,
            "/_emulator/processing",
            json!({ "delayMs": 60_000 }),
        )
        .await;
    assert_eq!(body["delayMs"], 60_000);
    let (_, body) = h
        .admin(Method::PATCH, "/_emulator/processing", json!({}))
        .await;
    assert_eq!(body["delayMs"], 60_000, "PATCH keeps what it does not name");

    // Asking again while a request waits keeps one request; every route only records.
    h.admin(
        Method::PATCH,
        &format!("/_emulator/users/{ALEX_UPN}"),
        json!({ "usageLocation": "US" }),
    )
    .await;
    reprocess(&h, &token, ALEX_UPN).await;
    let reply = h
        .post(
            &format!("/beta/users/{ALEX_ID}/cloudLicensing/assignments/reprocessAssignments"),
            &token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reprocess(&h, &token, MEGAN_UPN).await;
    let (_, body) = h
        .admin(Method::GET, "/_emulator/processing", Value::Null)
        .await;
    assert_eq!(body, json!({ "delayMs": 60_000, "pendingUsers": 2 }));
    let view = h.user_view(ALEX_UPN).await;
    assert_eq!(view["reprocessCount"], 2);
    assert_eq!(
        first_state(&view["user"]).1,
        "ProhibitedInUsageLocationViolation"
    );

    // The admin API still processes on demand, and the setting is part of the exported seed.
    let (_, view) = h
        .admin(
            Method::POST,
            &format!("/_emulator/users/{ALEX_UPN}/process"),
            Value::Null,
        )
        .await;
    assert_eq!(first_state(&view["user"]).1, "None");
    let (_, seed) = h.admin(Method::GET, "/_emulator/tenant", Value::Null).await;
    assert_eq!(seed["processing"], json!({ "delayMs": 60_000 }));
    let again = graph_emulator::Tenant::from_seed_json(&seed.to_string()).unwrap();
    assert_eq!(again.processing().delay_ms, 60_000);
}
