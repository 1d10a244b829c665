//! What licenses are made of: the subscribed SKUs with their service plans, the license a user should
//! have, and the groups that hand licenses to their members. Plain records, read by the licensing rules
//! (`licensing.rs`) and kept by the tenant (`tenant.rs`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One license a user should have: from a direct assignment or from a group (Graph's `assignedLicense`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseIntent {
    pub sku_id: String,
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

/// A service plan inside a SKU. `exclusiveWith` and `requires` are the emulator's way to express the
/// conflicts and dependencies Entra knows from its catalog; they name plans by id or name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePlan {
    pub service_plan_id: String,
    pub service_plan_name: String,
    /// The `service` of `assignedPlans` (e.g. `exchange`, `SharePoint`); `exchange` plans provision proxy addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default = "default_applies_to")]
    pub applies_to: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusive_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
}

impl ServicePlan {
    /// Plans are named by id or by name in rules and disabledPlans lists; both compare without case.
    pub fn is(&self, name: &str) -> bool {
        self.service_plan_id.eq_ignore_ascii_case(name)
            || self.service_plan_name.eq_ignore_ascii_case(name)
    }

    pub fn service_name(&self) -> &str {
        self.service.as_deref().unwrap_or(&self.service_plan_name)
    }

    /// Exchange plans create the mailbox addresses that must be unique in the tenant.
    pub fn provisions_mail(&self) -> bool {
        self.service
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("exchange"))
    }
}

fn default_applies_to() -> String {
    "User".to_owned()
}

fn default_capability() -> String {
    "Enabled".to_owned()
}

/// Seat counts as `subscribedSku.prepaidUnits` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrepaidUnits {
    #[serde(default)]
    pub enabled: i64,
    #[serde(default)]
    pub suspended: i64,
    #[serde(default)]
    pub warning: i64,
    #[serde(default)]
    pub locked_out: i64,
}

/// A product the tenant subscribes to. `consumedUnits` is never stored: it is counted from the users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sku {
    pub sku_id: String,
    pub sku_part_number: String,
    #[serde(default)]
    pub prepaid_units: PrepaidUnits,
    #[serde(default)]
    pub service_plans: Vec<ServicePlan>,
    /// Usage locations (ISO 3166 alpha-2) where the product is not sold: ProhibitedInUsageLocationViolation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_sold_in: Vec<String>,
    #[serde(default = "default_capability")]
    pub capability_status: String,
    #[serde(default = "default_applies_to")]
    pub applies_to: String,
    /// Accepted so a seed can be pasted from a real `GET /subscribedSkus`; recomputed on every read.
    #[serde(default, skip_serializing)]
    pub consumed_units: Option<i64>,
    /// Accepted from real `GET /subscribedSkus` output and ignored: it is always `<tenantId>_<skuId>`.
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
}

impl Sku {
    /// `Enabled` and `Warning` (past its end date, still working) subscriptions license their plans.
    pub fn is_usable(&self) -> bool {
        self.capability_status.eq_ignore_ascii_case("Enabled")
            || self.capability_status.eq_ignore_ascii_case("Warning")
    }

    pub fn plan(&self, name: &str) -> Option<&ServicePlan> {
        self.service_plans.iter().find(|p| p.is(name))
    }

    /// The plans a license of this SKU turns on, given its disabled plans.
    pub fn enabled_plans<'a>(
        &'a self,
        disabled: &'a [String],
    ) -> impl Iterator<Item = &'a ServicePlan> + 'a {
        self.service_plans
            .iter()
            .filter(move |p| !disabled.iter().any(|d| p.is(d)))
    }

    /// The object `GET /subscribedSkus` returns, without the emulator-only rule fields.
    pub fn graph_view(&self, tenant_id: &str, consumed: i64) -> Value {
        let plans: Vec<Value> = self
            .service_plans
            .iter()
            .map(|p| {
                json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": "Success",
                    "appliesTo": p.applies_to,
                })
            })
            .collect();
        json!({
            "accountName": "contoso",
            "accountId": tenant_id,
            "appliesTo": self.applies_to,
            "capabilityStatus": self.capability_status,
            "consumedUnits": consumed,
            "id": format!("{tenant_id}_{}", self.sku_id),
            "prepaidUnits": self.prepaid_units,
            "servicePlans": plans,
            "skuId": self.sku_id,
            "skuPartNumber": self.sku_part_number,
            "subscriptionIds": [],
        })
    }
}

/// A security group that carries licenses for its members (group-based licensing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// User ids (a seed may name users by UPN; they are resolved to ids on load).
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub assigned_licenses: Vec<LicenseIntent>,
}

impl Group {
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.iter().any(|m| m.eq_ignore_ascii_case(user_id))
    }

    /// The group as Graph returns it; `hasMembersWithLicenseErrors` is computed by the tenant.
    pub fn graph_view(&self, has_errors: bool) -> Value {
        json!({
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "mailEnabled": false,
            "securityEnabled": true,
            "groupTypes": [],
            "assignedLicenses": self.assigned_licenses,
            "hasMembersWithLicenseErrors": has_errors,
        })
    }
}
