//! The licensing rules (`licensing.rs`) as the tenant applies them when it processes users.

use super::*;
use crate::tenant::Tenant;

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const STD: &str = "18181a46-0d4e-45cd-891e-60aabd171b4e";

fn tenant(users: &str, groups: &str, e3_seats: i64, pbi_seats: i64) -> Tenant {
    Tenant::from_seed_json(&format!(
        r#"{{"subscribedSkus":[
          {{"skuId":"{E3}","skuPartNumber":"SPE_E3","prepaidUnits":{{"enabled":{e3_seats}}},"notSoldIn":["CN"],
            "servicePlans":[
              {{"servicePlanId":"efb87545-963c-4e0d-99df-69c6916d9eb0","servicePlanName":"EXCHANGE_S_ENTERPRISE","service":"exchange"}},
              {{"servicePlanId":"5dbe027f-2339-4123-9542-606e4d348a72","servicePlanName":"SHAREPOINTENTERPRISE","service":"SharePoint"}},
              {{"servicePlanId":"57ff2da0-773e-42df-b2af-ffb7a2317929","servicePlanName":"TEAMS1","service":"TeamspaceAPI","requires":["SHAREPOINTENTERPRISE"]}}]}},
          {{"skuId":"{STD}","skuPartNumber":"STANDARDPACK","prepaidUnits":{{"enabled":10}},
            "servicePlans":[{{"servicePlanId":"9aaf7827-d63c-4b61-89c3-182f06f82e5c","servicePlanName":"EXCHANGE_S_STANDARD","service":"exchange","exclusiveWith":["EXCHANGE_S_ENTERPRISE"]}}]}},
          {{"skuId":"{PBI}","skuPartNumber":"POWER_BI_PRO","prepaidUnits":{{"enabled":{pbi_seats}}},
            "servicePlans":[{{"servicePlanId":"70d33638-9c74-4d01-bfd3-562de28bd4ba","servicePlanName":"BI_AZURE_P2","service":"ProjectWorkManagement"}}]}}],
          "groups":{groups},
          "users":{users}}}"#
    ))
    .unwrap()
}

fn states(t: &Tenant, upn: &str) -> Vec<(String, String, Option<String>)> {
    t.find(upn)
        .unwrap()
        .license_states()
        .iter()
        .map(|s| {
            (
                s["state"].as_str().unwrap().to_owned(),
                s["error"].as_str().unwrap().to_owned(),
                s["assignedByGroup"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn skus_of(t: &Tenant, upn: &str) -> Vec<String> {
    t.find(upn).unwrap().assigned_sku_ids()
}

const GROUPS: &str = r#"[{"id":"g1","displayName":"All staff","members":["a@x","b@x","c@x"],
    "assignedLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965"},{"skuId":"f8a1db68-be16-40ed-86d5-cb42ce701560"}]}]"#;

#[test]
fn seats_run_out_in_seed_order_and_block_the_group() {
    let t = tenant(
        r#"[{"id":"1","userPrincipalName":"a@x","usageLocation":"US"},
            {"id":"2","userPrincipalName":"b@x","usageLocation":"US"},
            {"id":"3","userPrincipalName":"c@x","usageLocation":"US"}]"#,
        GROUPS,
        2,
        10,
    );
    assert_eq!(skus_of(&t, "a@x"), [E3, PBI]);
    assert_eq!(skus_of(&t, "b@x"), [E3, PBI]);
    // The E3 ran out, and its failure keeps Power BI from c too.
    assert_eq!(skus_of(&t, "c@x"), Vec::<String>::new());
    assert_eq!(
        states(&t, "c@x"),
        [
            ("Error".into(), "CountViolation".into(), Some("g1".into())),
            ("Error".into(), "Other".into(), Some("g1".into()))
        ]
    );
    assert_eq!(t.consumed_units(E3), 2);
    assert_eq!(t.consumed_units(PBI), 2);
}

#[test]
fn states_change_only_when_the_user_is_processed() {
    let mut t = tenant(
        r#"[{"id":"1","userPrincipalName":"a@x"},{"id":"2","userPrincipalName":"b@x","usageLocation":"CN"},
            {"id":"3","userPrincipalName":"c@x","deletedDateTime":"2026-01-01T00:00:00Z"}]"#,
        GROUPS,
        5,
        5,
    );
    assert_eq!(states(&t, "a@x")[0].1, "ProhibitedInUsageLocationViolation");
    assert_eq!(states(&t, "b@x")[0].1, "ProhibitedInUsageLocationViolation");
    let mut fix = Map::new();
    fix.insert("usageLocation".into(), Value::from("FR"));
    t.patch_user("a@x", fix).unwrap();
    assert_eq!(
        states(&t, "a@x")[0].1,
        "ProhibitedInUsageLocationViolation",
        "not processed yet"
    );
    t.process("a@x");
    assert_eq!(
        states(&t, "a@x"),
        [
            ("Active".into(), "None".into(), Some("g1".into())),
            ("Active".into(), "None".into(), Some("g1".into()))
        ]
    );
    let plans = t.find("a@x").unwrap().properties()["assignedPlans"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(plans, 4);
}

use serde_json::Map;

#[test]
fn conflicting_missing_and_duplicate_plans() {
    let t = tenant(
        r#"[{"id":"1","userPrincipalName":"a@x","usageLocation":"US",
              "directLicenses":[{"skuId":"18181a46-0d4e-45cd-891e-60aabd171b4e"}]},
            {"id":"2","userPrincipalName":"b@x","usageLocation":"US",
              "directLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965","disabledPlans":["5dbe027f-2339-4123-9542-606e4d348a72"]}]},
            {"id":"3","userPrincipalName":"c@x","usageLocation":"US","proxyAddresses":["SMTP:shared@x"]},
            {"id":"4","userPrincipalName":"d@x","usageLocation":"US","proxyAddresses":["smtp:SHARED@x"]}]"#,
        r#"[{"id":"g1","displayName":"E3","members":["a@x","c@x"],
             "assignedLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965"}]}]"#,
        10,
        10,
    );
    // a: Exchange Standard (direct) conflicts with E3's Exchange Enterprise from the group.
    assert_eq!(
        states(&t, "a@x"),
        [
            ("Active".into(), "None".into(), None),
            (
                "Error".into(),
                "MutuallyExclusiveViolation".into(),
                Some("g1".into())
            )
        ]
    );
    // b: Teams needs SharePoint, which b's direct E3 disables.
    assert_eq!(
        states(&t, "b@x"),
        [("Error".into(), "DependencyViolation".into(), None)]
    );
    // c: shares a proxy address with d, and E3 has an Exchange plan.
    assert_eq!(
        states(&t, "c@x"),
        [(
            "Error".into(),
            "UniquenessViolation".into(),
            Some("g1".into())
        )]
    );
    assert_eq!(states(&t, "d@x"), []);
}

#[test]
fn direct_and_group_copies_of_one_sku_share_a_seat() {
    let t = tenant(
        r#"[{"id":"1","userPrincipalName":"a@x","usageLocation":"US",
              "directLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965","disabledPlans":["TEAMS1"]}]},
            {"id":"2","userPrincipalName":"b@x"},{"id":"3","userPrincipalName":"c@x"}]"#,
        GROUPS,
        1,
        1,
    );
    assert_eq!(skus_of(&t, "a@x"), [E3, PBI]);
    let licenses = &t.find("a@x").unwrap().properties()["assignedLicenses"];
    // The group enables Teams, so it is not disabled in the union.
    assert_eq!(licenses[0]["disabledPlans"], json!([]));
    assert_eq!(t.consumed_units(E3), 1);
}

#[test]
fn a_seed_without_skus_keeps_its_license_properties() {
    let mut t = Tenant::from_seed_json(
        r#"{"users":[{"id":"1","userPrincipalName":"a@x","licenseAssignmentStates":[{"state":"Error","error":"CountViolation"}]}]}"#,
    )
    .unwrap();
    t.reprocess("a@x", crate::ReprocessAction::LicenseAssignment);
    assert_eq!(states_raw(&t), "CountViolation");
}

#[test]
fn a_suspended_subscription_disables_its_licenses() {
    let mut t = tenant(
        r#"[{"id":"1","userPrincipalName":"a@x","usageLocation":"US"},{"id":"2","userPrincipalName":"b@x"},{"id":"3","userPrincipalName":"c@x"}]"#,
        GROUPS,
        5,
        5,
    );
    t.patch_sku("POWER_BI_PRO", json!({ "capabilityStatus": "Suspended" }))
        .unwrap();
    t.process("a@x");
    let user = t.find("a@x").unwrap();
    assert_eq!(user.license_states()[1]["state"], "Disabled");
    assert_eq!(user.license_states()[1]["error"], "None");
    assert_eq!(user.assigned_sku_ids(), [E3, PBI]);
    let plans = user.properties()["assignedPlans"].as_array().unwrap();
    assert_eq!(plans.last().unwrap()["capabilityStatus"], "Suspended");
}

fn states_raw(t: &Tenant) -> String {
    t.find("a@x").unwrap().license_states()[0]["error"]
        .as_str()
        .unwrap()
        .to_owned()
}
