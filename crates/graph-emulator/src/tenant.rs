//! The directory the emulator serves: users and what was asked of them; SKUs, groups and license evaluation will grow here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::clock;

/// Used when a seed names no tenant, so tokens and responses still carry a stable, GUID-shaped tid.
pub const DEFAULT_TENANT_ID: &str = "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88";

/// The license actions a client can ask of a user; counted per user so tests can prove nothing was sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReprocessAction {
    /// `POST /users/{id}/reprocessLicenseAssignment` (v1.0 and beta).
    LicenseAssignment,
    /// `POST /beta/users/{id}/cloudLicensing/assignments/reprocessAssignments`.
    CloudLicensingAssignments,
    /// `POST /beta/users/{id}/reprocessLicenseAssignment2` and `/beta/me/...` (draft).
    LicenseAssignment2,
}

impl ReprocessAction {
    /// The Graph action name, which is also how the admin view labels the counter.
    pub fn name(self) -> &'static str {
        match self {
            ReprocessAction::LicenseAssignment => "reprocessLicenseAssignment",
            ReprocessAction::CloudLicensingAssignments => "reprocessAssignments",
            ReprocessAction::LicenseAssignment2 => "reprocessLicenseAssignment2",
        }
    }
}

/// A user as Graph stores it (properties kept exactly as seeded) plus the emulator's bookkeeping.
#[derive(Debug, Clone)]
pub struct User {
    properties: Map<String, Value>,
    reprocess_counts: BTreeMap<ReprocessAction, u64>,
    last_reprocessed: Option<String>,
}

impl User {
    /// A user needs a string `id` and `userPrincipalName`: everything Graph looks users up by.
    pub fn from_properties(mut properties: Map<String, Value>) -> Result<User, String> {
        if !properties.contains_key("id") {
            properties.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        }
        match properties.get("id") {
            Some(Value::String(id)) if !id.trim().is_empty() => {}
            _ => return Err("a user's \"id\" must be a non-empty string".into()),
        }
        match properties.get("userPrincipalName") {
            Some(Value::String(upn)) if !upn.trim().is_empty() => {}
            _ => {
                return Err(format!(
                    "user {} has no \"userPrincipalName\" string",
                    properties["id"].as_str().unwrap_or_default()
                ))
            }
        }
        Ok(User {
            properties,
            reprocess_counts: BTreeMap::new(),
            last_reprocessed: None,
        })
    }

    pub fn id(&self) -> &str {
        self.properties["id"].as_str().unwrap_or_default()
    }

    pub fn user_principal_name(&self) -> &str {
        self.properties["userPrincipalName"]
            .as_str()
            .unwrap_or_default()
    }

    pub fn display_name(&self) -> Option<&str> {
        self.properties.get("displayName").and_then(Value::as_str)
    }

    pub fn properties(&self) -> &Map<String, Value> {
        &self.properties
    }

    pub fn reprocess_count(&self) -> u64 {
        self.reprocess_counts.values().sum()
    }

    pub fn reprocess_count_of(&self, action: ReprocessAction) -> u64 {
        self.reprocess_counts.get(&action).copied().unwrap_or(0)
    }

    /// The admin API's view: Graph properties kept apart from the emulator's counters so names never collide.
    pub fn admin_view(&self) -> Value {
        let by_action: Map<String, Value> = self
            .reprocess_counts
            .iter()
            .map(|(action, n)| (action.name().to_owned(), Value::from(*n)))
            .collect();
        serde_json::json!({
            "id": self.id(),
            "userPrincipalName": self.user_principal_name(),
            "reprocessCount": self.reprocess_count(),
            "reprocessCountByAction": by_action,
            "lastReprocessedDateTime": self.last_reprocessed,
            "user": self.properties,
        })
    }
}

/// Whether an upsert created a user or replaced one, which the admin API reports as 201 or 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Replaced,
}

/// Users are looked up case-insensitively by id or UPN, the way Graph resolves `/users/{id}`.
#[derive(Debug, Clone)]
pub struct Tenant {
    tenant_id: String,
    users: HashMap<String, User>,
    by_upn: HashMap<String, String>,
    // Listing follows seed order, so admin output is stable and matches the seed file.
    order: Vec<String>,
}

impl Default for Tenant {
    fn default() -> Self {
        Tenant::new(DEFAULT_TENANT_ID)
    }
}

impl Tenant {
    pub fn new(tenant_id: &str) -> Self {
        Tenant {
            tenant_id: tenant_id.to_owned(),
            users: HashMap::new(),
            by_upn: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Reads a seed file: `{"tenantId": "<optional guid>", "users": [{...}, ...]}`.
    pub fn load(path: &Path) -> Result<Tenant, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read seed file {}: {e}", path.display()))?;
        Tenant::from_seed_json(&text).map_err(|e| format!("seed file {}: {e}", path.display()))
    }

    pub fn from_seed_json(text: &str) -> Result<Tenant, String> {
        let seed: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let tenant_id = match seed.get("tenantId") {
            None | Some(Value::Null) => DEFAULT_TENANT_ID,
            Some(Value::String(id)) => id.as_str(),
            Some(_) => return Err("\"tenantId\" must be a string".into()),
        };
        let users = seed
            .get("users")
            .and_then(Value::as_array)
            .ok_or("expected an object with a \"users\" array")?;
        let mut tenant = Tenant::new(tenant_id);
        for (index, user) in users.iter().enumerate() {
            let properties = user
                .as_object()
                .ok_or_else(|| format!("users[{index}] is not an object"))?
                .clone();
            let user =
                User::from_properties(properties).map_err(|e| format!("users[{index}]: {e}"))?;
            if tenant.find(user.id()).is_some() || tenant.find(user.user_principal_name()).is_some()
            {
                return Err(format!(
                    "users[{index}]: id {} or userPrincipalName {} appears twice",
                    user.id(),
                    user.user_principal_name()
                ));
            }
            tenant.upsert(user)?;
        }
        Ok(tenant)
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// In seed (then insertion) order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.order.iter().filter_map(|key| self.users.get(key))
    }

    /// Finds a user by object id or userPrincipalName, ignoring case as Graph does.
    pub fn find(&self, id_or_upn: &str) -> Option<&User> {
        self.key_of(id_or_upn).and_then(|key| self.users.get(&key))
    }

    fn key_of(&self, id_or_upn: &str) -> Option<String> {
        let folded = fold(id_or_upn);
        if self.users.contains_key(&folded) {
            return Some(folded);
        }
        self.by_upn.get(&folded).cloned()
    }

    /// Adds a user, or replaces the one with the same id (its counters are kept: they record calls, not state).
    pub fn upsert(&mut self, mut user: User) -> Result<Upsert, String> {
        let key = fold(user.id());
        let upn = fold(user.user_principal_name());
        if let Some(owner) = self.by_upn.get(&upn) {
            if *owner != key {
                return Err(format!(
                    "userPrincipalName {} already belongs to user {}",
                    user.user_principal_name(),
                    self.users[owner].id()
                ));
            }
        }
        match self.users.remove(&key) {
            Some(old) => {
                self.by_upn.remove(&fold(old.user_principal_name()));
                user.reprocess_counts = old.reprocess_counts;
                user.last_reprocessed = old.last_reprocessed;
                self.by_upn.insert(upn, key.clone());
                self.users.insert(key, user);
                Ok(Upsert::Replaced)
            }
            None => {
                self.by_upn.insert(upn, key.clone());
                self.order.push(key.clone());
                self.users.insert(key, user);
                Ok(Upsert::Created)
            }
        }
    }

    pub fn remove(&mut self, id_or_upn: &str) -> Option<User> {
        let key = self.key_of(id_or_upn)?;
        let user = self.users.remove(&key)?;
        self.by_upn.remove(&fold(user.user_principal_name()));
        self.order.retain(|k| *k != key);
        Some(user)
    }

    /// Records that a client asked for reprocessing, and returns the user as Graph would answer with it.
    pub fn reprocess(&mut self, id_or_upn: &str, action: ReprocessAction) -> Option<&User> {
        let key = self.key_of(id_or_upn)?;
        let user = self.users.get_mut(&key)?;
        *user.reprocess_counts.entry(action).or_insert(0) += 1;
        user.last_reprocessed = Some(clock::iso8601_millis(SystemTime::now()));
        Some(user)
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"users":[
        {"id":"11111111-1111-1111-1111-111111111111","userPrincipalName":"Adele@contoso.com","displayName":"Adele"},
        {"id":"22222222-2222-2222-2222-222222222222","userPrincipalName":"$adm@contoso.com","extra":{"kept":true}}
    ]}"#;

    #[test]
    fn finds_by_id_or_upn_ignoring_case() {
        let tenant = Tenant::from_seed_json(SEED).unwrap();
        assert_eq!(tenant.tenant_id(), DEFAULT_TENANT_ID);
        assert_eq!(
            tenant.find("adele@CONTOSO.com").unwrap().display_name(),
            Some("Adele")
        );
        assert_eq!(
            tenant
                .find("11111111-1111-1111-1111-111111111111")
                .unwrap()
                .id(),
            "11111111-1111-1111-1111-111111111111"
        );
        assert_eq!(
            tenant.find("$ADM@contoso.com").unwrap().properties()["extra"]["kept"],
            true
        );
        assert!(tenant.find("nobody@contoso.com").is_none());
        let order: Vec<_> = tenant.users().map(User::user_principal_name).collect();
        assert_eq!(order, ["Adele@contoso.com", "$adm@contoso.com"]);
    }

    #[test]
    fn rejects_duplicates_and_users_without_upn() {
        let dup = r#"{"users":[{"id":"a","userPrincipalName":"x@y"},{"id":"b","userPrincipalName":"X@Y"}]}"#;
        assert!(Tenant::from_seed_json(dup)
            .unwrap_err()
            .contains("appears twice"));
        let no_upn = r#"{"users":[{"id":"a"}]}"#;
        assert!(Tenant::from_seed_json(no_upn)
            .unwrap_err()
            .contains("userPrincipalName"));
        assert!(Tenant::from_seed_json(r#"{"people":[]}"#).is_err());
    }

    #[test]
    fn counts_reprocessing_and_keeps_counts_across_replace() {
        let mut tenant = Tenant::from_seed_json(SEED).unwrap();
        tenant
            .reprocess("adele@contoso.com", ReprocessAction::LicenseAssignment)
            .unwrap();
        tenant
            .reprocess(
                "11111111-1111-1111-1111-111111111111",
                ReprocessAction::LicenseAssignment,
            )
            .unwrap();
        tenant
            .reprocess(
                "adele@contoso.com",
                ReprocessAction::CloudLicensingAssignments,
            )
            .unwrap();
        let adele = tenant.find("adele@contoso.com").unwrap();
        assert_eq!(adele.reprocess_count(), 3);
        assert_eq!(
            adele.reprocess_count_of(ReprocessAction::LicenseAssignment),
            2
        );
        assert!(tenant
            .reprocess("ghost", ReprocessAction::LicenseAssignment)
            .is_none());

        let renamed: Map<String, Value> = serde_json::from_str(
            r#"{"id":"11111111-1111-1111-1111-111111111111","userPrincipalName":"adele.vance@contoso.com"}"#,
        )
        .unwrap();
        assert_eq!(
            tenant.upsert(User::from_properties(renamed).unwrap()),
            Ok(Upsert::Replaced)
        );
        assert!(tenant.find("adele@contoso.com").is_none());
        assert_eq!(
            tenant
                .find("adele.vance@contoso.com")
                .unwrap()
                .reprocess_count(),
            3
        );

        let thief: Map<String, Value> =
            serde_json::from_str(r#"{"id":"33","userPrincipalName":"$ADM@contoso.com"}"#).unwrap();
        assert!(tenant
            .upsert(User::from_properties(thief).unwrap())
            .is_err());
        assert!(tenant.remove("$adm@contoso.com").is_some());
        assert_eq!(tenant.len(), 1);
    }
}
