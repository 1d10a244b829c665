//! The licensing model as a runbook meets it: errors seeded, causes fixed through the admin API, users reprocessed.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const MEGAN_UPN: &str = "MeganB@contoso.com";
const ALEX_UPN: &str = "AlexW@contoso.com";
const LEE_UPN: &str = "LeeG@contoso.com";

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
