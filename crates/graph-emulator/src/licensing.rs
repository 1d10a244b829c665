//! Group-based and direct licensing rules (graph-facts §3): what one (re)processing of a user yields.
//!
//! A pure function of the user, the SKU catalog, the user's groups and the seats other users hold, so
//! the rules can be tested without a server and the tenant decides *when* they run (only on processing).
//!
//! Rules, in the order they are checked for each license a user should have (direct ones first, then
//! each group's in group order):
//! 1. the SKU must exist (`Other` otherwise, as after a subscription is removed);
//! 2. the user needs a usage location where the SKU is sold (`ProhibitedInUsageLocationViolation`);
//! 3. no enabled plan may conflict with a plan of another SKU already granted (`MutuallyExclusiveViolation`);
//! 4. an Exchange plan needs the user's proxy addresses to be unique in the tenant (`UniquenessViolation`);
//! 5. a seat must be free, counting everybody else's (`CountViolation`; one seat per user per SKU);
//! 6. every plan's required plans must end up enabled (`DependencyViolation`).
//!
//! Seats come last because they are the only transient cause: a license that can never be assigned
//! reports why, rather than a shortage that buying seats would not fix (an inference, not documented).
//! A license of a SKU whose `capabilityStatus` is `Suspended`, `LockedOut` or `Deleted` that passes
//! these checks is `Disabled`: assigned, with its plans' `capabilityStatus` set to the SKU's.
//! When one of a group's products fails, the group's other products fail for that user too (`Other`
//! unless they have an error of their own), and the evaluation runs again until nothing changes.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::tenant::{Group, LicenseIntent, Sku, User};

/// The reasons Graph gives in `licenseAssignmentStates[].error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseError {
    CountViolation,
    MutuallyExclusiveViolation,
    DependencyViolation,
    ProhibitedInUsageLocationViolation,
    UniquenessViolation,
    Other,
}

impl LicenseError {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseError::CountViolation => "CountViolation",
            LicenseError::MutuallyExclusiveViolation => "MutuallyExclusiveViolation",
            LicenseError::DependencyViolation => "DependencyViolation",
            LicenseError::ProhibitedInUsageLocationViolation => {
                "ProhibitedInUsageLocationViolation"
            }
            LicenseError::UniquenessViolation => "UniquenessViolation",
            // The service sends `Other`; old docs said `Others`.
            LicenseError::Other => "Other",
        }
    }
}

/// What the tenant knows when it processes one user.
pub struct Inputs<'a> {
    pub user: &'a User,
    pub skus: &'a [Sku],
    /// The groups the user is a member of, in tenant order.
    pub groups: &'a [&'a Group],
    /// Seats held per lowercase skuId by everybody but this user.
    pub consumed_by_others: &'a HashMap<String, i64>,
    /// Whether another user already has one of this user's proxy addresses.
    pub proxy_address_taken: bool,
    /// `lastUpdatedDateTime`/`assignedDateTime` for whatever changes now.
    pub now: &'a str,
}

/// The three license properties of a user, as Graph returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub assigned_licenses: Value,
    pub assigned_plans: Value,
    pub states: Value,
}

struct Intent<'a> {
    license: &'a LicenseIntent,
    group: Option<&'a str>,
    sku: Option<&'a Sku>,
}

pub fn evaluate(inputs: &Inputs) -> Outcome {
    let mut intents: Vec<Intent> = inputs
        .user
        .direct_licenses()
        .iter()
        .map(|license| Intent {
            license,
            group: None,
            sku: None,
        })
        .collect();
    for group in inputs.groups {
        for license in &group.assigned_licenses {
            intents.push(Intent {
                license,
                group: Some(&group.id),
                sku: None,
            });
        }
    }
    for intent in &mut intents {
        intent.sku = inputs
            .skus
            .iter()
            .find(|s| s.sku_id.eq_ignore_ascii_case(&intent.license.sku_id));
    }

    let failures = decide(inputs, &intents);

    // A SKU is assigned when at least one of its licenses succeeded; a plan is on if any of them enables it.
    let mut assigned: Vec<(&Sku, Vec<String>)> = Vec::new();
    for (intent, failure) in intents.iter().zip(&failures) {
        let (Some(sku), None) = (intent.sku, failure) else {
            continue;
        };
        match assigned.iter_mut().find(|(s, _)| s.sku_id == sku.sku_id) {
            Some((_, disabled)) => disabled.retain(|d| {
                intent
                    .license
                    .disabled_plans
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(d))
            }),
            None => assigned.push((sku, intent.license.disabled_plans.clone())),
        }
    }

    let assigned_licenses: Vec<Value> = assigned
        .iter()
        .map(|(sku, disabled)| json!({ "disabledPlans": disabled, "skuId": sku.sku_id }))
        .collect();

    let previous_plans = inputs
        .user
        .properties()
        .get("assignedPlans")
        .and_then(Value::as_array);
    let mut assigned_plans: Vec<Value> = Vec::new();
    for (sku, disabled) in &assigned {
        for plan in sku.enabled_plans(disabled) {
            // A plan that stays on keeps the date it was first assigned.
            let since = previous_plans
                .and_then(|plans| {
                    plans.iter().find(|p| {
                        p.get("servicePlanId")
                            .and_then(Value::as_str)
                            .is_some_and(|id| id.eq_ignore_ascii_case(&plan.service_plan_id))
                    })
                })
                .and_then(|p| p.get("assignedDateTime").cloned())
                .unwrap_or_else(|| Value::from(inputs.now));
            assigned_plans.push(json!({
                "assignedDateTime": since,
                "capabilityStatus": if sku.is_usable() { "Enabled" } else { sku.capability_status.as_str() },
                "service": plan.service_name(),
                "servicePlanId": plan.service_plan_id,
            }));
        }
    }

    let previous_states = inputs.user.license_states();
    let states: Vec<Value> = intents
        .iter()
        .zip(&failures)
        .map(|(intent, failure)| {
            let holds_anyway = assigned
                .iter()
                .any(|(s, _)| s.sku_id.eq_ignore_ascii_case(&intent.license.sku_id));
            let (state, error) = match failure {
                // A suspended or locked-out subscription keeps its assignments, switched off.
                None if intent.sku.is_some_and(|sku| !sku.is_usable()) => ("Disabled", "None"),
                None => ("Active", "None"),
                Some(error) if holds_anyway => ("ActiveWithError", error.as_str()),
                Some(error) => ("Error", error.as_str()),
            };
            let mut entry = json!({
                "assignedByGroup": intent.group,
                "disabledPlans": intent.license.disabled_plans,
                "error": error,
                "lastUpdatedDateTime": inputs.now,
                "skuId": intent.license.sku_id,
                "state": state,
            });
            // Processing a user whose outcome did not change leaves the timestamp alone, as Entra does.
            if let Some(previous) = previous_states.iter().find(|p| same_assignment(p, &entry)) {
                if ["state", "error", "disabledPlans"]
                    .iter()
                    .all(|k| previous.get(*k) == entry.get(*k))
                {
                    if let Some(when) = previous.get("lastUpdatedDateTime") {
                        entry["lastUpdatedDateTime"] = when.clone();
                    }
                }
            }
            entry
        })
        .collect();

    Outcome {
        assigned_licenses: Value::Array(assigned_licenses),
        assigned_plans: Value::Array(assigned_plans),
        states: Value::Array(states),
    }
}

fn same_assignment(a: &Value, b: &Value) -> bool {
    let sku = |v: &Value| {
        v.get("skuId")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    };
    let group = |v: &Value| {
        v.get("assignedByGroup")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    };
    sku(a) == sku(b) && group(a) == group(b)
}

/// Decides, per intent, whether it fails and why; repeats until group blocking and dependencies settle.
fn decide(inputs: &Inputs, intents: &[Intent]) -> Vec<Option<LicenseError>> {
    let mut failures: Vec<Option<LicenseError>> = vec![None; intents.len()];
    // Each round fails at least one more intent or stops, so this ends within intents.len() + 1 rounds.
    loop {
        let mut next = failures.clone();
        let mut granted: Vec<(&Sku, &crate::tenant::ServicePlan)> = Vec::new();
        for (i, intent) in intents.iter().enumerate() {
            if next[i].is_some() {
                continue;
            }
            match check(inputs, intent, &granted) {
                Some(error) => next[i] = Some(error),
                None => {
                    let sku = intent.sku.expect("checked");
                    for plan in sku.enabled_plans(&intent.license.disabled_plans) {
                        granted.push((sku, plan));
                    }
                }
            }
        }
        for (i, intent) in intents.iter().enumerate() {
            if next[i].is_some() {
                continue;
            }
            let sku = intent.sku.expect("checked");
            let missing = sku
                .enabled_plans(&intent.license.disabled_plans)
                .any(|plan| {
                    plan.requires
                        .iter()
                        .any(|required| !granted.iter().any(|(_, p)| p.is(required)))
                });
            if missing {
                next[i] = Some(LicenseError::DependencyViolation);
            }
        }
        // A failing product blocks the rest of its group for this user.
        for i in 0..intents.len() {
            if let (Some(group), Some(_)) = (intents[i].group, next[i]) {
                for j in 0..intents.len() {
                    if intents[j].group == Some(group) && next[j].is_none() {
                        next[j] = Some(LicenseError::Other);
                    }
                }
            }
        }
        if next == failures {
            return failures;
        }
        failures = next;
    }
}

fn check(
    inputs: &Inputs,
    intent: &Intent,
    granted: &[(&Sku, &crate::tenant::ServicePlan)],
) -> Option<LicenseError> {
    let Some(sku) = intent.sku else {
        return Some(LicenseError::Other);
    };
    match inputs.user.usage_location() {
        None => return Some(LicenseError::ProhibitedInUsageLocationViolation),
        Some(location)
            if sku
                .not_sold_in
                .iter()
                .any(|l| l.eq_ignore_ascii_case(location)) =>
        {
            return Some(LicenseError::ProhibitedInUsageLocationViolation)
        }
        Some(_) => {}
    }
    let enabled: Vec<_> = sku.enabled_plans(&intent.license.disabled_plans).collect();
    let conflicts = enabled.iter().any(|plan| {
        granted.iter().any(|(other_sku, other)| {
            other_sku.sku_id != sku.sku_id
                && (plan.exclusive_with.iter().any(|x| other.is(x))
                    || other.exclusive_with.iter().any(|x| plan.is(x)))
        })
    });
    if conflicts {
        return Some(LicenseError::MutuallyExclusiveViolation);
    }
    if inputs.proxy_address_taken && enabled.iter().any(|p| p.provisions_mail()) {
        return Some(LicenseError::UniquenessViolation);
    }
    let others = inputs
        .consumed_by_others
        .get(&sku.sku_id.to_lowercase())
        .copied()
        .unwrap_or(0);
    if others >= sku.prepaid_units.enabled {
        return Some(LicenseError::CountViolation);
    }
    None
}

#[cfg(test)]
mod tests {
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
}
