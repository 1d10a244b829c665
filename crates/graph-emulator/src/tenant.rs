//! The directory the emulator serves: users, subscribed SKUs, groups with licenses, and what clients asked of them.
//!
//! The licensing rules live in `licensing.rs`; this module owns the data those rules read and write, so a
//! user's license state changes in exactly one place (`Tenant::process`), as in Entra where it changes only
//! when the user is (re)processed. With a processing delay, a reprocess call only queues the user, and the
//! processing happens once the delay has passed (`Tenant::process_due`), as the service does it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::auth::{self, SignedInUser};
use crate::catalog::{Group, LicenseIntent, Sku};
use crate::clock;
use crate::licensing;

/// Used when a seed names no tenant, so tokens and responses still carry a stable, GUID-shaped tid.
pub const DEFAULT_TENANT_ID: &str = "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88";

/// Seed and admin key for a user's direct license assignments; kept out of the Graph properties
/// because Graph does not tell direct and inherited licenses apart in `assignedLicenses`.
pub const DIRECT_LICENSES: &str = "directLicenses";

/// Seed and admin key for the directory roles a user holds (display names or template ids); kept
/// out of the Graph properties because Graph shows roles as memberships, not as a user property.
pub const DIRECTORY_ROLES: &str = "directoryRoles";

/// The longest processing delay accepted: a day, far beyond any test, and safe to add to any instant.
pub const MAX_PROCESSING_DELAY_MS: u64 = 86_400_000;

/// The seed's `processing` and the body of `/_emulator/processing`: how long after a reprocess call the
/// user's licenses are re-evaluated. Zero (the default) re-evaluates them inside the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessingConfig {
    #[serde(default)]
    pub delay_ms: u64,
}

impl ProcessingConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.delay_ms > MAX_PROCESSING_DELAY_MS {
            return Err(format!(
                "delayMs must be at most {MAX_PROCESSING_DELAY_MS} (one day), not {}",
                self.delay_ms
            ));
        }
        Ok(())
    }

    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}

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
    direct_licenses: Vec<LicenseIntent>,
    /// Template ids, lower case, without repeats.
    directory_roles: Vec<String>,
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
        let direct_licenses = take_list(&mut properties, DIRECT_LICENSES, parse_intents)?;
        let directory_roles = take_list(&mut properties, DIRECTORY_ROLES, parse_roles)?;
        Ok(User {
            properties,
            direct_licenses,
            directory_roles,
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

    pub fn usage_location(&self) -> Option<&str> {
        self.properties
            .get("usageLocation")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// `smtp:`/`SMTP:` prefixes and case do not make two addresses different.
    pub fn proxy_addresses(&self) -> Vec<String> {
        self.properties
            .get("proxyAddresses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(normalize_proxy_address)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Soft-deleted users keep their data (so a restore brings them back) but Graph no longer finds them.
    pub fn is_deleted(&self) -> bool {
        matches!(
            self.properties.get("deletedDateTime"),
            Some(Value::String(_))
        )
    }

    pub fn direct_licenses(&self) -> &[LicenseIntent] {
        &self.direct_licenses
    }

    /// The directory roles' template ids, which delegated tokens carry as `wids`.
    pub fn directory_roles(&self) -> &[String] {
        &self.directory_roles
    }

    /// The user as a delegated token signs them in.
    pub fn signed_in(&self) -> SignedInUser {
        SignedInUser {
            id: self.id().to_owned(),
            user_principal_name: self.user_principal_name().to_owned(),
            display_name: self.display_name().map(str::to_owned),
            directory_roles: self.directory_roles.clone(),
        }
    }

    /// The SKUs the user holds a seat of, from `assignedLicenses`.
    pub fn assigned_sku_ids(&self) -> Vec<String> {
        self.properties
            .get("assignedLicenses")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|l| l.get("skuId").and_then(Value::as_str))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn assigned_plans(&self) -> &[Value] {
        self.properties
            .get("assignedPlans")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn license_states(&self) -> &[Value] {
        self.properties
            .get("licenseAssignmentStates")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether a group's license for this user is in error: what `membersWithLicenseErrors` lists.
    pub fn has_license_error_from(&self, group_id: &str) -> bool {
        self.license_states().iter().any(|s| {
            s.get("assignedByGroup")
                .and_then(Value::as_str)
                .is_some_and(|g| g.eq_ignore_ascii_case(group_id))
                && s.get("error").and_then(Value::as_str).unwrap_or("None") != "None"
        })
    }

    pub fn has_license_error(&self) -> bool {
        self.license_states()
            .iter()
            .any(|s| s.get("error").and_then(Value::as_str).unwrap_or("None") != "None")
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
        json!({
            "id": self.id(),
            "userPrincipalName": self.user_principal_name(),
            "reprocessCount": self.reprocess_count(),
            "reprocessCountByAction": by_action,
            "lastReprocessedDateTime": self.last_reprocessed,
            "deleted": self.is_deleted(),
            DIRECT_LICENSES: self.direct_licenses,
            DIRECTORY_ROLES: self.directory_roles,
            "user": self.properties,
        })
    }

    pub(crate) fn set_license_outcome(&mut self, outcome: licensing::Outcome) {
        self.properties
            .insert("assignedLicenses".into(), outcome.assigned_licenses);
        self.properties
            .insert("assignedPlans".into(), outcome.assigned_plans);
        self.properties
            .insert("licenseAssignmentStates".into(), outcome.states);
    }
}

pub fn normalize_proxy_address(address: &str) -> String {
    let address = address.trim();
    let bare = match address.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("smtp") => rest,
        _ => address,
    };
    bare.to_lowercase()
}

/// Removes an emulator-only list from a seeded user's properties; absent or `null` is empty.
fn take_list<T>(
    properties: &mut Map<String, Value>,
    key: &str,
    parse: fn(Value) -> Result<Vec<T>, String>,
) -> Result<Vec<T>, String> {
    match properties.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => parse(value).map_err(|e| {
            format!(
                "user {}: \"{key}\": {e}",
                properties["id"].as_str().unwrap_or_default()
            )
        }),
    }
}

fn parse_roles(value: Value) -> Result<Vec<String>, String> {
    let names: Vec<String> = serde_json::from_value(value).map_err(|e| {
        format!("expected [\"License Administrator\" or a role template id, ...]: {e}")
    })?;
    let mut ids: Vec<String> = Vec::new();
    for name in names {
        let id = auth::directory_role_template_id(&name).ok_or_else(|| {
            let known: Vec<&str> = auth::DIRECTORY_ROLES.iter().map(|(n, _)| *n).collect();
            format!(
                "'{name}' is neither a role template id nor one of {}",
                known.join(", ")
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn parse_intents(value: Value) -> Result<Vec<LicenseIntent>, String> {
    serde_json::from_value(value)
        .map_err(|e| format!("expected [{{\"skuId\": ..., \"disabledPlans\": [...]}}]: {e}"))
}

/// Whether an upsert created a user or replaced one, which the admin API reports as 201 or 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Replaced,
}

/// Why an admin change was refused, mapped by the admin API to 400, 404 or 409.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    Invalid(String),
    NotFound(String),
    Conflict(String),
}

impl ChangeError {
    pub fn message(&self) -> &str {
        match self {
            ChangeError::Invalid(m) | ChangeError::NotFound(m) | ChangeError::Conflict(m) => m,
        }
    }
}

/// Why assignLicense refused, in the terms Graph's answer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    UserNotFound,
    /// No subscribed SKU has this skuId.
    UnknownSku(String),
    /// removeLicenses named a SKU the user holds only through a group.
    Inherited(String),
    /// removeLicenses named a SKU the user does not hold directly.
    NotAssigned(String),
    /// The licensing rules refused a license added (`error` as licenseAssignmentStates names it).
    Refused {
        error: String,
        sku_id: String,
    },
}

/// Users are looked up case-insensitively by id or UPN, the way Graph resolves `/users/{id}`.
#[derive(Debug, Clone)]
pub struct Tenant {
    tenant_id: String,
    users: HashMap<String, User>,
    by_upn: HashMap<String, String>,
    // Listing follows seed order, so admin output is stable and matches the seed file.
    order: Vec<String>,
    skus: Vec<Sku>,
    groups: Vec<Group>,
    /// A seed without `subscribedSkus` has no licensing model: license properties stay exactly as seeded.
    licensing: bool,
    /// `throttling` and `faults` from the seed, read by the server at start, and `processing`, kept current.
    settings: Map<String, Value>,
    processing: ProcessingConfig,
    /// Users a reprocess call asked for whose processing delay has not passed yet.
    queue: Queue,
    /// Seats in use, proxy addresses and memberships, counted once for processing and kept
    /// current by it; any other change drops it. Without it one reprocess would read the whole
    /// tenant, and a bulk run over a large tenant would be quadratic.
    index: Option<Index>,
}

/// Reprocess requests waiting for their delay, in the order they fall due (then the order they came in).
/// A user is in it at most once: asking again while a request waits changes nothing.
#[derive(Debug, Clone, Default)]
struct Queue {
    due: BTreeMap<(Instant, u64), (String, SystemTime)>,
    users: HashSet<String>,
    next: u64,
}

impl Queue {
    fn push(&mut self, key: &str, due: Instant, stamp: SystemTime) {
        if self.users.insert(key.to_owned()) {
            self.due.insert((due, self.next), (key.to_owned(), stamp));
            self.next += 1;
        }
    }

    /// The next user whose time has come, with the wall-clock time it came.
    fn pop_due(&mut self, now: Instant) -> Option<(String, SystemTime)> {
        let (&(due, n), _) = self.due.first_key_value()?;
        if due > now {
            return None;
        }
        let (key, stamp) = self.due.remove(&(due, n)).expect("just seen");
        self.users.remove(&key);
        Some((key, stamp))
    }
}

#[derive(Debug, Clone, Default)]
struct Index {
    consumed: HashMap<String, i64>,
    addresses: HashMap<String, usize>,
    memberships: HashMap<String, Vec<usize>>,
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
            skus: Vec::new(),
            groups: Vec::new(),
            licensing: false,
            settings: Map::new(),
            processing: ProcessingConfig::default(),
            queue: Queue::default(),
            index: None,
        }
    }

    /// Reads a seed file: `{"tenantId", "subscribedSkus", "groups", "users", "throttling", "faults", "processing"}`;
    /// only `users` is required.
    pub fn load(path: &Path) -> Result<Tenant, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read seed file {}: {e}", path.display()))?;
        Tenant::from_seed_json(&text).map_err(|e| format!("seed file {}: {e}", path.display()))
    }

    pub fn from_seed_json(text: &str) -> Result<Tenant, String> {
        let seed: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        Tenant::from_seed(seed)
    }

    /// A tenant from its seed document (as [`Tenant::from_seed_json`]), taking its users without copying them.
    pub fn from_seed(mut seed: Value) -> Result<Tenant, String> {
        let users = match seed.get_mut("users") {
            Some(Value::Array(users)) => std::mem::take(users),
            _ => return Err("expected an object with a \"users\" array".into()),
        };
        let tenant_id = match seed.get("tenantId") {
            None | Some(Value::Null) => DEFAULT_TENANT_ID,
            Some(Value::String(id)) => id.as_str(),
            Some(_) => return Err("\"tenantId\" must be a string".into()),
        };
        let mut tenant = Tenant::new(tenant_id);
        // Checked here so a typo in a seed's settings fails at load, not silently at start.
        if let Some(value) = seed.get("throttling") {
            serde_json::from_value::<crate::throttle::ThrottleConfig>(value.clone())
                .map_err(|e| format!("throttling: {e}"))?;
            tenant.settings.insert("throttling".into(), value.clone());
        }
        if let Some(value) = seed.get("faults") {
            let profile = serde_json::from_value::<crate::faults::FaultProfile>(value.clone())
                .map_err(|e| format!("faults: {e}"))?;
            crate::faults::Faults::validate(&profile).map_err(|e| format!("faults: {e}"))?;
            tenant.settings.insert("faults".into(), value.clone());
        }
        if let Some(value) = seed.get("processing") {
            let config = serde_json::from_value::<ProcessingConfig>(value.clone())
                .map_err(|e| format!("processing: {e}"))?;
            tenant
                .set_processing(config)
                .map_err(|e| format!("processing: {e}"))?;
        }
        if let Some(skus) = seed.get("subscribedSkus") {
            tenant.licensing = true;
            let skus: Vec<Sku> =
                serde_json::from_value(skus.clone()).map_err(|e| format!("subscribedSkus: {e}"))?;
            for sku in skus {
                tenant
                    .upsert_sku(sku)
                    .map_err(|e| format!("subscribedSkus: {}", e.message()))?;
            }
        }
        // Users whose seed carries license states keep them until reprocessed: that is how a seed
        // describes errors whose cause an admin has since fixed.
        let mut to_evaluate = Vec::new();
        for (index, user) in users.into_iter().enumerate() {
            let Value::Object(properties) = user else {
                return Err(format!("users[{index}] is not an object"));
            };
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
            if !user.properties.contains_key("licenseAssignmentStates") {
                to_evaluate.push(user.id().to_owned());
            }
            tenant.upsert(user)?;
        }
        if let Some(groups) = seed.get("groups") {
            let groups: Vec<Group> =
                serde_json::from_value(groups.clone()).map_err(|e| format!("groups: {e}"))?;
            for group in groups {
                tenant
                    .upsert_group(group)
                    .map_err(|e| format!("groups: {}", e.message()))?;
            }
        }
        if tenant.licensing {
            // The background processing that ran before the seed was taken, in seed order.
            let keys: Vec<String> = to_evaluate.iter().map(|id| fold(id)).collect();
            tenant.process_keys(&keys);
        }
        Ok(tenant)
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Counts soft-deleted users too: they are still in the directory.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn setting(&self, key: &str) -> Option<&Value> {
        self.settings.get(key)
    }

    pub fn has_licensing_model(&self) -> bool {
        self.licensing
    }

    pub fn processing(&self) -> ProcessingConfig {
        self.processing
    }

    /// Applies to reprocess calls from now on; users already waiting keep the time they were given.
    pub fn set_processing(&mut self, config: ProcessingConfig) -> Result<(), String> {
        config.validate()?;
        self.processing = config;
        self.settings.insert(
            "processing".into(),
            serde_json::to_value(config).expect("serializes"),
        );
        Ok(())
    }

    /// How many users a reprocess call asked for are still waiting for their processing delay.
    pub fn pending_processing(&self) -> usize {
        self.queue.users.len()
    }

    /// In seed (then insertion) order, soft-deleted users included.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.order.iter().filter_map(|key| self.users.get(key))
    }

    /// The users Graph lists: soft-deleted ones are only in `/directory/deletedItems`.
    pub fn active_users(&self) -> impl Iterator<Item = &User> {
        self.users().filter(|u| !u.is_deleted())
    }

    /// The users Graph lists from a position in the listing order on, each with its position: where a page of
    /// `/users` starts reading, so paging through a large tenant reads each user once.
    pub fn active_users_from(&self, position: usize) -> impl Iterator<Item = (usize, &User)> {
        self.order
            .iter()
            .enumerate()
            .skip(position)
            .filter_map(|(at, key)| self.users.get(key).map(|u| (at, u)))
            .filter(|(_, u)| !u.is_deleted())
    }

    /// A group's active members from a position in its member list on, each with its position.
    pub fn active_members_from<'a>(
        &'a self,
        group: &'a Group,
        position: usize,
    ) -> impl Iterator<Item = (usize, &'a User)> + 'a {
        group
            .members
            .iter()
            .enumerate()
            .skip(position)
            .filter_map(|(at, member)| self.find_active(member).map(|u| (at, u)))
    }

    /// Finds a user by object id or userPrincipalName, ignoring case as Graph does; soft-deleted users too.
    pub fn find(&self, id_or_upn: &str) -> Option<&User> {
        self.key_of(id_or_upn).and_then(|key| self.users.get(&key))
    }

    /// What `/users/{id}` finds: never a soft-deleted user.
    pub fn find_active(&self, id_or_upn: &str) -> Option<&User> {
        self.find(id_or_upn).filter(|u| !u.is_deleted())
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
        self.index = None;
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

    /// Merges properties into a user, Graph PATCH style: a `null` clears a property. `directLicenses` replaces the list.
    /// License states do not change here; they change when the user is next processed.
    pub fn patch_user(
        &mut self,
        id_or_upn: &str,
        mut changes: Map<String, Value>,
    ) -> Result<&User, ChangeError> {
        let key = self.key_of(id_or_upn).ok_or_else(|| {
            ChangeError::NotFound(format!("No user '{id_or_upn}' in the emulated tenant."))
        })?;
        let mut user = self.users[&key].clone();
        if let Some(id) = changes.remove("id") {
            if id.as_str().map(fold) != Some(key.clone()) {
                return Err(ChangeError::Invalid("a user's id cannot change".into()));
            }
        }
        if let Some(value) = changes.remove(DIRECT_LICENSES) {
            user.direct_licenses = if value.is_null() {
                Vec::new()
            } else {
                parse_intents(value).map_err(ChangeError::Invalid)?
            };
        }
        if let Some(value) = changes.remove(DIRECTORY_ROLES) {
            user.directory_roles = if value.is_null() {
                Vec::new()
            } else {
                parse_roles(value).map_err(ChangeError::Invalid)?
            };
        }
        for (name, value) in changes {
            user.properties.insert(name, value);
        }
        match user.properties.get("userPrincipalName") {
            Some(Value::String(upn)) if !upn.trim().is_empty() => {}
            _ => {
                return Err(ChangeError::Invalid(
                    "userPrincipalName must be a non-empty string".into(),
                ))
            }
        }
        self.upsert(user).map_err(ChangeError::Conflict)?;
        Ok(&self.users[&key])
    }

    pub fn remove(&mut self, id_or_upn: &str) -> Option<User> {
        self.index = None;
        let key = self.key_of(id_or_upn)?;
        let user = self.users.remove(&key)?;
        self.by_upn.remove(&fold(user.user_principal_name()));
        self.order.retain(|k| *k != key);
        for group in &mut self.groups {
            group.members.retain(|m| fold(m) != key);
        }
        Some(user)
    }

    /// Records that a client asked for reprocessing, re-evaluates the user's licenses, and returns the user
    /// as Graph would answer with it. Soft-deleted users are not found, as in Graph.
    ///
    /// With a processing delay the call only queues the user (once, however often it is asked) and
    /// returns the user as stored now; [`Tenant::process_due`] re-evaluates it when the delay has passed.
    pub fn reprocess(&mut self, id_or_upn: &str, action: ReprocessAction) -> Option<&User> {
        let key = self.key_of(id_or_upn)?;
        if self.users.get(&key)?.is_deleted() {
            return None;
        }
        let requested = SystemTime::now();
        let delay = self.processing.delay();
        if delay.is_zero() {
            self.process_keys(std::slice::from_ref(&key));
        } else {
            self.queue
                .push(&key, Instant::now() + delay, requested + delay);
        }
        let user = self.users.get_mut(&key)?;
        *user.reprocess_counts.entry(action).or_insert(0) += 1;
        user.last_reprocessed = Some(clock::iso8601_millis(requested));
        Some(user)
    }

    /// Processes the users whose processing delay has passed by `now`, in the order they fell due, each
    /// stamped (`lastUpdatedDateTime`) with the time it fell due. The server calls this whenever it takes
    /// the tenant, so nothing can read or change the tenant between a user falling due and its processing.
    pub fn process_due(&mut self, now: Instant) -> usize {
        let mut processed = 0;
        while let Some((key, stamp)) = self.queue.pop_due(now) {
            processed += self.process_keys_at(std::slice::from_ref(&key), stamp);
        }
        processed
    }

    /// Evaluates one user's group and direct licenses (the rules are in `licensing.rs`) and stores the result.
    /// Without a licensing model it does nothing, so seeded license properties stay as given.
    pub fn process(&mut self, id_or_upn: &str) -> bool {
        match self.key_of(id_or_upn) {
            Some(key) => self.process_keys(&[key]) == 1,
            None => false,
        }
    }

    /// Processes every user in order, as Entra's background processing would after an admin change.
    pub fn process_all(&mut self) -> usize {
        let keys: Vec<String> = self.order.clone();
        self.process_keys(&keys)
    }

    fn process_keys(&mut self, keys: &[String]) -> usize {
        self.process_keys_at(keys, SystemTime::now())
    }

    /// Seats and proxy addresses are counted once and kept current user by user, so processing a whole
    /// tenant stays linear in its size. `at` stamps whatever changes.
    fn process_keys_at(&mut self, keys: &[String], at: SystemTime) -> usize {
        if !self.licensing {
            return 0;
        }
        let mut index = match self.index.take() {
            Some(index) => index,
            None => self.build_index(),
        };
        let Index {
            consumed,
            addresses,
            memberships,
        } = &mut index;
        let now = clock::iso8601_seconds(at);
        let mut processed = 0;
        for key in keys {
            let Some(user) = self.users.get(key) else {
                continue;
            };
            if user.is_deleted() {
                continue;
            }
            let held = user.assigned_sku_ids();
            let mut consumed_by_others = consumed.clone();
            for sku in &held {
                if let Some(n) = consumed_by_others.get_mut(sku) {
                    *n -= 1;
                }
            }
            let mine = user.proxy_addresses();
            let proxy_taken = mine.iter().any(|a| {
                addresses.get(a).copied().unwrap_or(0) > mine.iter().filter(|m| *m == a).count()
            });
            let groups: Vec<&Group> = memberships
                .get(key)
                .map(|indices| indices.iter().map(|&i| &self.groups[i]).collect())
                .unwrap_or_default();
            let outcome = licensing::evaluate(&licensing::Inputs {
                direct_licenses: user.direct_licenses(),
                usage_location: user.usage_location(),
                assigned_plans: user.assigned_plans(),
                license_states: user.license_states(),
                skus: &self.skus,
                groups: &groups,
                consumed_by_others: &consumed_by_others,
                proxy_address_taken: proxy_taken,
                now: &now,
            });
            let user = self.users.get_mut(key).expect("looked up above");
            user.set_license_outcome(outcome);
            for sku in held {
                if let Some(n) = consumed.get_mut(&sku) {
                    *n -= 1;
                }
            }
            for sku in user.assigned_sku_ids() {
                *consumed.entry(sku).or_insert(0) += 1;
            }
            processed += 1;
        }
        self.index = Some(index);
        processed
    }

    fn build_index(&self) -> Index {
        let mut index = Index::default();
        for user in self.active_users() {
            for sku in user.assigned_sku_ids() {
                *index.consumed.entry(sku).or_insert(0) += 1;
            }
            for address in user.proxy_addresses() {
                *index.addresses.entry(address).or_insert(0) += 1;
            }
        }
        // Membership by user, built once: a linear scan of every group per user is quadratic in big tenants.
        for (i, group) in self.groups.iter().enumerate() {
            for member in &group.members {
                let groups = index.memberships.entry(fold(member)).or_default();
                if groups.last() != Some(&i) {
                    groups.push(i);
                }
            }
        }
        index
    }

    // ----- SKUs -----

    pub fn skus(&self) -> &[Sku] {
        &self.skus
    }

    /// A SKU by skuId or skuPartNumber, ignoring case.
    pub fn sku(&self, id_or_part_number: &str) -> Option<&Sku> {
        self.skus.iter().find(|s| {
            s.sku_id.eq_ignore_ascii_case(id_or_part_number)
                || s.sku_part_number.eq_ignore_ascii_case(id_or_part_number)
        })
    }

    /// Seats in use: users (not soft-deleted) whose `assignedLicenses` hold the SKU.
    pub fn consumed_units(&self, sku_id: &str) -> i64 {
        let wanted = sku_id.to_lowercase();
        self.active_users()
            .filter(|u| u.assigned_sku_ids().contains(&wanted))
            .count() as i64
    }

    pub fn sku_view(&self, sku: &Sku) -> Value {
        sku.graph_view(&self.tenant_id, self.consumed_units(&sku.sku_id))
    }

    /// Adding a SKU turns the licensing model on.
    pub fn upsert_sku(&mut self, sku: Sku) -> Result<Upsert, ChangeError> {
        self.index = None;
        if sku.sku_id.trim().is_empty() || sku.sku_part_number.trim().is_empty() {
            return Err(ChangeError::Invalid(
                "a SKU needs a skuId and a skuPartNumber".into(),
            ));
        }
        if let Some(other) = self.skus.iter().find(|s| {
            !s.sku_id.eq_ignore_ascii_case(&sku.sku_id)
                && s.sku_part_number.eq_ignore_ascii_case(&sku.sku_part_number)
        }) {
            return Err(ChangeError::Conflict(format!(
                "skuPartNumber {} already belongs to SKU {}",
                sku.sku_part_number, other.sku_id
            )));
        }
        self.licensing = true;
        match self
            .skus
            .iter_mut()
            .find(|s| s.sku_id.eq_ignore_ascii_case(&sku.sku_id))
        {
            Some(existing) => {
                *existing = sku;
                Ok(Upsert::Replaced)
            }
            None => {
                self.skus.push(sku);
                Ok(Upsert::Created)
            }
        }
    }

    /// Merges `prepaidUnits`, `notSoldIn`, `capabilityStatus` and the other SKU fields into an existing SKU.
    pub fn patch_sku(
        &mut self,
        id_or_part_number: &str,
        changes: Value,
    ) -> Result<&Sku, ChangeError> {
        let current = self.sku(id_or_part_number).cloned().ok_or_else(|| {
            ChangeError::NotFound(format!(
                "No SKU '{id_or_part_number}' in the emulated tenant."
            ))
        })?;
        let Value::Object(changes) = changes else {
            return Err(ChangeError::Invalid("expected a JSON object".into()));
        };
        let mut merged = serde_json::to_value(&current).expect("SKU serializes");
        merge(&mut merged, Value::Object(changes));
        let sku: Sku =
            serde_json::from_value(merged).map_err(|e| ChangeError::Invalid(e.to_string()))?;
        if !sku.sku_id.eq_ignore_ascii_case(&current.sku_id) {
            return Err(ChangeError::Invalid("a SKU's skuId cannot change".into()));
        }
        let sku_id = sku.sku_id.clone();
        self.upsert_sku(sku)?;
        Ok(self.sku(&sku_id).expect("just stored"))
    }

    pub fn remove_sku(&mut self, id_or_part_number: &str) -> Option<Sku> {
        self.index = None;
        let index = self.skus.iter().position(|s| {
            s.sku_id.eq_ignore_ascii_case(id_or_part_number)
                || s.sku_part_number.eq_ignore_ascii_case(id_or_part_number)
        })?;
        Some(self.skus.remove(index))
    }

    // ----- groups -----

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub fn group(&self, id_or_name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| {
            g.id.eq_ignore_ascii_case(id_or_name) || g.display_name.eq_ignore_ascii_case(id_or_name)
        })
    }

    /// Active members whose license from this group is in error.
    pub fn members_with_license_errors(&self, group: &Group) -> Vec<&User> {
        group
            .members
            .iter()
            .filter_map(|m| self.find_active(m))
            .filter(|u| u.has_license_error_from(&group.id))
            .collect()
    }

    pub fn group_view(&self, group: &Group) -> Value {
        let failing = self
            .active_members_from(group, 0)
            .any(|(_, u)| u.has_license_error_from(&group.id));
        group.graph_view(failing)
    }

    /// Members may be given by id or UPN; they are stored as ids so a UPN change cannot orphan them.
    pub fn upsert_group(&mut self, mut group: Group) -> Result<Upsert, ChangeError> {
        self.index = None;
        if group.id.trim().is_empty() {
            group.id = uuid::Uuid::new_v4().to_string();
        }
        group.members = self.resolve_members(&group.members)?;
        for license in &group.assigned_licenses {
            if license.sku_id.trim().is_empty() {
                return Err(ChangeError::Invalid(
                    "assignedLicenses[].skuId is empty".into(),
                ));
            }
        }
        match self
            .groups
            .iter_mut()
            .find(|g| g.id.eq_ignore_ascii_case(&group.id))
        {
            Some(existing) => {
                *existing = group;
                Ok(Upsert::Replaced)
            }
            None => {
                self.groups.push(group);
                Ok(Upsert::Created)
            }
        }
    }

    /// Merges `displayName`, `description`, `assignedLicenses` or `members` into a group.
    pub fn patch_group(&mut self, id_or_name: &str, changes: Value) -> Result<&Group, ChangeError> {
        self.index = None;
        let current = self.group(id_or_name).cloned().ok_or_else(|| {
            ChangeError::NotFound(format!("No group '{id_or_name}' in the emulated tenant."))
        })?;
        let Value::Object(changes) = changes else {
            return Err(ChangeError::Invalid("expected a JSON object".into()));
        };
        let mut merged = serde_json::to_value(&current).expect("group serializes");
        if let Value::Object(object) = &mut merged {
            object.extend(changes);
        }
        let group: Group =
            serde_json::from_value(merged).map_err(|e| ChangeError::Invalid(e.to_string()))?;
        if !group.id.eq_ignore_ascii_case(&current.id) {
            return Err(ChangeError::Invalid("a group's id cannot change".into()));
        }
        let id = group.id.clone();
        self.upsert_group(group)?;
        Ok(self.group(&id).expect("just stored"))
    }

    pub fn add_members(&mut self, group: &str, users: &[String]) -> Result<&Group, ChangeError> {
        self.index = None;
        let ids = self.resolve_members(users)?;
        let group = self.group_mut(group)?;
        for id in ids {
            if !group.has_member(&id) {
                group.members.push(id);
            }
        }
        Ok(group)
    }

    pub fn remove_member(&mut self, group: &str, user: &str) -> Result<&Group, ChangeError> {
        self.index = None;
        let id = self
            .find(user)
            .map(|u| u.id().to_owned())
            .unwrap_or_else(|| user.to_owned());
        let group = self.group_mut(group)?;
        let before = group.members.len();
        group.members.retain(|m| !m.eq_ignore_ascii_case(&id));
        if group.members.len() == before {
            return Err(ChangeError::NotFound(format!(
                "'{user}' is not a member of group {}.",
                group.id
            )));
        }
        Ok(group)
    }

    pub fn remove_group(&mut self, id_or_name: &str) -> Option<Group> {
        self.index = None;
        let index = self.groups.iter().position(|g| {
            g.id.eq_ignore_ascii_case(id_or_name) || g.display_name.eq_ignore_ascii_case(id_or_name)
        })?;
        Some(self.groups.remove(index))
    }

    /// The ids of the groups a user is a member of, in group order.
    pub fn member_of(&self, user_id: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.has_member(user_id))
            .map(|g| g.id.clone())
            .collect()
    }

    /// A change of a user's group memberships, as Entra takes it: the user's licenses are processed again (after the
    /// processing delay, if one is set), so a license from a group the user left goes away and one from a group the
    /// user joined is tried.
    pub fn membership_changed(&mut self, user_id: &str) {
        self.index = None;
        let Some(key) = self.key_of(user_id) else {
            return;
        };
        let delay = self.processing.delay();
        if delay.is_zero() {
            self.process_keys(std::slice::from_ref(&key));
        } else {
            self.queue
                .push(&key, Instant::now() + delay, SystemTime::now() + delay);
        }
    }

    /// Graph's assignLicense: the user's direct licenses with `remove` taken away and `add` given (a SKU already
    /// assigned directly takes the new disabled plans), processed at once as Entra does a direct assignment. A
    /// license added that the licensing rules refuse leaves the user as it was, and the refusal says why.
    pub fn assign_license(
        &mut self,
        id_or_upn: &str,
        add: Vec<LicenseIntent>,
        remove: Vec<String>,
    ) -> Result<&User, AssignError> {
        let key = self
            .key_of(id_or_upn)
            .filter(|k| !self.users[k].is_deleted())
            .ok_or(AssignError::UserNotFound)?;
        for sku_id in add.iter().map(|l| &l.sku_id).chain(&remove) {
            if !self
                .skus
                .iter()
                .any(|s| s.sku_id.eq_ignore_ascii_case(sku_id))
            {
                return Err(AssignError::UnknownSku(sku_id.clone()));
            }
        }
        let before = self.users[&key].clone();
        let mut direct = before.direct_licenses.clone();
        for sku_id in &remove {
            let held = direct.len();
            direct.retain(|l| !l.sku_id.eq_ignore_ascii_case(sku_id));
            if direct.len() == held {
                let inherited = self
                    .groups
                    .iter()
                    .filter(|g| g.has_member(before.id()))
                    .any(|g| {
                        g.assigned_licenses
                            .iter()
                            .any(|l| l.sku_id.eq_ignore_ascii_case(sku_id))
                    });
                return Err(if inherited {
                    AssignError::Inherited(sku_id.clone())
                } else {
                    AssignError::NotAssigned(sku_id.clone())
                });
            }
        }
        for license in &add {
            match direct
                .iter_mut()
                .find(|l| l.sku_id.eq_ignore_ascii_case(&license.sku_id))
            {
                Some(held) => held.disabled_plans = license.disabled_plans.clone(),
                None => direct.push(license.clone()),
            }
        }
        self.index = None;
        self.users
            .get_mut(&key)
            .expect("looked up above")
            .direct_licenses = direct;
        self.process_keys(std::slice::from_ref(&key));
        let refused = add.iter().find_map(|license| {
            self.users[&key]
                .license_states()
                .iter()
                .find(|s| {
                    s.get("assignedByGroup").map_or(true, Value::is_null)
                        && s.get("skuId")
                            .and_then(Value::as_str)
                            .is_some_and(|id| id.eq_ignore_ascii_case(&license.sku_id))
                })
                .and_then(|s| s.get("error").and_then(Value::as_str))
                .filter(|e| *e != "None")
                .map(|e| AssignError::Refused {
                    error: e.to_owned(),
                    sku_id: license.sku_id.clone(),
                })
        });
        if let Some(refused) = refused {
            self.index = None;
            self.users.insert(key, before);
            return Err(refused);
        }
        Ok(&self.users[&key])
    }

    fn group_mut(&mut self, id_or_name: &str) -> Result<&mut Group, ChangeError> {
        self.index = None;
        self.groups
            .iter_mut()
            .find(|g| {
                g.id.eq_ignore_ascii_case(id_or_name)
                    || g.display_name.eq_ignore_ascii_case(id_or_name)
            })
            .ok_or_else(|| {
                ChangeError::NotFound(format!("No group '{id_or_name}' in the emulated tenant."))
            })
    }

    fn resolve_members(&self, members: &[String]) -> Result<Vec<String>, ChangeError> {
        let mut ids: Vec<String> = Vec::with_capacity(members.len());
        let mut seen = std::collections::HashSet::new();
        for member in members {
            let user = self.find(member).ok_or_else(|| {
                ChangeError::Invalid(format!(
                    "member '{member}' is not a user of the emulated tenant"
                ))
            })?;
            if seen.insert(fold(user.id())) {
                ids.push(user.id().to_owned());
            }
        }
        Ok(ids)
    }

    /// The whole tenant in seed format, so a test or demo can save the state it reached.
    pub fn to_seed(&self) -> Value {
        let users: Vec<Value> = self
            .users()
            .map(|u| {
                let mut properties = u.properties.clone();
                if !u.direct_licenses.is_empty() {
                    properties.insert(
                        DIRECT_LICENSES.into(),
                        serde_json::to_value(&u.direct_licenses).expect("serializes"),
                    );
                }
                if !u.directory_roles.is_empty() {
                    properties.insert(
                        DIRECTORY_ROLES.into(),
                        Value::from(u.directory_roles.clone()),
                    );
                }
                Value::Object(properties)
            })
            .collect();
        let mut seed = json!({ "tenantId": self.tenant_id });
        if self.licensing {
            seed["subscribedSkus"] = serde_json::to_value(&self.skus).expect("serializes");
            seed["groups"] = serde_json::to_value(&self.groups).expect("serializes");
        }
        for (key, value) in &self.settings {
            seed[key] = value.clone();
        }
        seed["users"] = Value::Array(users);
        seed
    }
}

/// JSON merge patch (RFC 7386), used for SKU changes so `{"prepaidUnits": {"enabled": 5}}` keeps the other
/// counts, and for the admin API's settings. A `null` is kept as a value, which for settings means the default.
pub(crate) fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(&key) {
                    Some(existing) if value.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, patch) => *target = patch,
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod licensing_rules;

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

    #[test]
    fn a_processing_delay_queues_reprocessing_until_it_has_passed() {
        let seed = r#"{"subscribedSkus":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965","skuPartNumber":"SPE_E3",
                                          "prepaidUnits":{"enabled":5}}],
                       "users":[{"id":"a","userPrincipalName":"alex@contoso.com",
                                 "directLicenses":[{"skuId":"05e9a617-0261-4cee-bb44-138d3ef5d965"}]}],
                       "processing":{"delayMs":300}}"#;
        let mut tenant = Tenant::from_seed_json(seed).unwrap();
        let error = |tenant: &Tenant| {
            tenant.find("alex@contoso.com").unwrap().license_states()[0]["error"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(error(&tenant), "ProhibitedInUsageLocationViolation");
        let mut fix = Map::new();
        fix.insert("usageLocation".into(), Value::from("US"));
        tenant.patch_user("alex@contoso.com", fix).unwrap();

        let requested = clock::iso8601_seconds(SystemTime::now());
        let before = Instant::now();
        let answered = tenant
            .reprocess("alex@contoso.com", ReprocessAction::LicenseAssignment)
            .unwrap();
        assert_eq!(
            answered.license_states()[0]["error"],
            "ProhibitedInUsageLocationViolation"
        );
        tenant
            .reprocess("a", ReprocessAction::LicenseAssignment2)
            .unwrap();
        assert_eq!(tenant.find("a").unwrap().reprocess_count(), 2);
        assert_eq!(tenant.pending_processing(), 1, "one entry per user");
        assert_eq!(tenant.process_due(before), 0);
        assert_eq!(error(&tenant), "ProhibitedInUsageLocationViolation");

        assert_eq!(
            tenant.process_due(Instant::now() + Duration::from_millis(300)),
            1
        );
        assert_eq!(tenant.pending_processing(), 0);
        assert_eq!(error(&tenant), "None");
        let state = &tenant.find("a").unwrap().license_states()[0];
        assert!(state["lastUpdatedDateTime"].as_str().unwrap() >= requested.as_str());
        assert_eq!(tenant.to_seed()["processing"], json!({ "delayMs": 300 }));

        // Back to zero: processing happens inside the call again.
        tenant.set_processing(ProcessingConfig::default()).unwrap();
        let mut away = Map::new();
        away.insert("usageLocation".into(), Value::Null);
        tenant.patch_user("a", away).unwrap();
        tenant
            .reprocess("a", ReprocessAction::LicenseAssignment)
            .unwrap();
        assert_eq!(error(&tenant), "ProhibitedInUsageLocationViolation");
        assert_eq!(tenant.pending_processing(), 0);
    }

    #[test]
    fn refuses_bad_processing_settings() {
        let users = r#""users":[{"id":"a","userPrincipalName":"a@b"}]"#;
        for bad in [
            r#"{"delayMs":86400001}"#,
            r#"{"delay":5}"#,
            r#"{"delayMs":-1}"#,
        ] {
            let seed = format!(r#"{{{users},"processing":{bad}}}"#);
            assert!(
                Tenant::from_seed_json(&seed)
                    .unwrap_err()
                    .starts_with("processing: "),
                "{bad}"
            );
        }
        let seed = format!(r#"{{{users},"processing":{{}}}}"#);
        assert_eq!(
            Tenant::from_seed_json(&seed).unwrap().processing(),
            ProcessingConfig::default()
        );
    }
}
