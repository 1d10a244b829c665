//! Group-based and direct licensing rules: what one (re)processing of a user yields. The errors and
//! their causes are those Microsoft lists for group-based licensing:
//! <https://learn.microsoft.com/en-us/entra/identity/users/licensing-groups-resolve-problems>.
//!
//! A pure function of the user's licenses and usage location, the SKU catalog, the user's groups and the seats other users hold, so
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

use crate::catalog::{Group, LicenseIntent, ServicePlan, Sku};

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
    /// The user's direct license assignments.
    pub direct_licenses: &'a [LicenseIntent],
    pub usage_location: Option<&'a str>,
    /// The user's `assignedPlans` and `licenseAssignmentStates` as they are, so what stays keeps its dates.
    pub assigned_plans: &'a [Value],
    pub license_states: &'a [Value],
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
        .direct_licenses
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

    let previous_plans = inputs.assigned_plans;
    let mut assigned_plans: Vec<Value> = Vec::new();
    for (sku, disabled) in &assigned {
        for plan in sku.enabled_plans(disabled) {
            // A plan that stays on keeps the date it was first assigned.
            let since = previous_plans
                .iter()
                .find(|p| {
                    p.get("servicePlanId")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.eq_ignore_ascii_case(&plan.service_plan_id))
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

    let previous_states = inputs.license_states;
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
        let mut granted: Vec<(&Sku, &ServicePlan)> = Vec::new();
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
    granted: &[(&Sku, &ServicePlan)],
) -> Option<LicenseError> {
    let Some(sku) = intent.sku else {
        return Some(LicenseError::Other);
    };
    match inputs.usage_location {
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
