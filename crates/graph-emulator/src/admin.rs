//! The emulator's own control surface under `/_emulator/`: tokens, tenant state and the request log. Not Graph, so no auth.

use hyper::{Body, Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, Claims, Grant};
use crate::catalog::{Group, Sku};
use crate::clock;
use crate::faults::{FaultProfile, Faults};
use crate::respond::{admin_error, admin_json};
use crate::state::State;
use crate::tenant::{ChangeError, ProcessingConfig, Tenant, Upsert, User};
use crate::throttle::ThrottleConfig;

/// Seed uploads are small; this only stops a runaway client from filling memory.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Body of `POST /_emulator/tokens`. Unknown fields are refused so a typo (`expires_in`) cannot silently mint the wrong token.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    app_id: Option<String>,
    tenant_id: Option<String>,
    user_id: Option<String>,
    expires_in: Option<i64>,
    audience: Option<String>,
}

/// An admin endpoint, named by the path after `/_emulator/` (segments percent-decoded).
#[derive(Debug, Clone, Copy)]
enum Endpoint<'a> {
    Health,
    Tokens,
    Requests,
    Users,
    User(&'a str),
    ProcessUser(&'a str),
    ProcessLicensing,
    Tenant,
    Skus,
    Sku(&'a str),
    Groups,
    Group(&'a str),
    Members(&'a str),
    Member(&'a str, &'a str),
    Throttling,
    Processing,
    Faults,
}

impl<'a> Endpoint<'a> {
    fn parse(segments: &[&'a str]) -> Option<Endpoint<'a>> {
        Some(match *segments {
            ["health"] => Endpoint::Health,
            ["tokens"] => Endpoint::Tokens,
            ["requests"] => Endpoint::Requests,
            ["users"] => Endpoint::Users,
            ["users", key] => Endpoint::User(key),
            ["users", key, "process"] => Endpoint::ProcessUser(key),
            ["licensing", "process"] => Endpoint::ProcessLicensing,
            ["tenant"] => Endpoint::Tenant,
            ["skus"] => Endpoint::Skus,
            ["skus", key] => Endpoint::Sku(key),
            ["groups"] => Endpoint::Groups,
            ["groups", key] => Endpoint::Group(key),
            ["groups", key, "members"] => Endpoint::Members(key),
            ["groups", key, "members", user] => Endpoint::Member(key, user),
            ["throttling"] => Endpoint::Throttling,
            ["processing"] => Endpoint::Processing,
            ["faults"] => Endpoint::Faults,
            _ => return None,
        })
    }
}

pub async fn handle(state: &State, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let segments = decode_segments(parts.uri.path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some(endpoint) = Endpoint::parse(&segments) else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "No emulator endpoint at {}; see crates/graph-emulator/README.md.",
                parts.uri.path()
            ),
        );
    };
    match serve(state, &parts.method, endpoint, body).await {
        Some(response) => response,
        None => admin_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{} is not supported on {}.", parts.method, parts.uri.path()),
        ),
    }
}

/// The path after `/_emulator/`, split on '/' and percent-decoded; empty segments are skipped.
fn decode_segments(path: &str) -> Vec<String> {
    path.trim_start_matches("/_emulator")
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

/// Answers a method the endpoint supports; `None` for one it does not.
async fn serve(
    state: &State,
    method: &Method,
    endpoint: Endpoint<'_>,
    body: Body,
) -> Option<Response<Body>> {
    use Endpoint as E;
    Some(match (endpoint, method) {
        (E::Health, &Method::GET) => health(state),
        (E::Tokens, &Method::POST) => with_json(body, |value| issue_token(state, value)).await,
        (E::Requests, &Method::GET) => requests(state),
        (E::Requests, &Method::DELETE) => clear_requests(state),
        (E::Users, &Method::GET) => users(state),
        (E::Users, &Method::POST) => with_json(body, |value| upsert_users(state, value)).await,
        (E::User(key), &Method::GET) => user(state, key),
        (E::User(key), &Method::DELETE) => remove_user(state, key),
        (E::User(key), &Method::PATCH) => {
            with_json(body, |value| patch_user(state, key, value)).await
        }
        (E::ProcessUser(key), &Method::POST) => process_user(state, key),
        (E::ProcessLicensing, &Method::POST) => {
            with_json(body, |value| process_users(state, value)).await
        }
        (E::Tenant, &Method::GET) => admin_json(StatusCode::OK, &state.tenant().to_seed()),
        (E::Skus, &Method::GET) => skus(state),
        (E::Skus, &Method::POST) => with_json(body, |value| create_sku(state, value)).await,
        (E::Sku(key), &Method::GET) => sku(state, key),
        (E::Sku(key), &Method::PATCH) => {
            with_json(body, |value| patch_sku(state, key, value)).await
        }
        (E::Sku(key), &Method::DELETE) => remove_sku(state, key),
        (E::Groups, &Method::GET) => groups(state),
        (E::Groups, &Method::POST) => with_json(body, |value| create_group(state, value)).await,
        (E::Group(key), &Method::GET) => group(state, key),
        (E::Group(key), &Method::PATCH) => {
            with_json(body, |value| patch_group(state, key, value)).await
        }
        (E::Group(key), &Method::DELETE) => remove_group(state, key),
        (E::Members(key), &Method::POST) => {
            with_json(body, |value| add_members(state, key, value)).await
        }
        (E::Member(key, user), &Method::DELETE) => remove_member(state, key, user),
        (E::Throttling, &Method::GET) => throttling(state),
        (E::Throttling, &Method::PUT | &Method::PATCH) => {
            with_json(body, |value| set_throttling(state, method, value)).await
        }
        (E::Processing, &Method::GET) => processing_view(&state.tenant()),
        (E::Processing, &Method::PUT | &Method::PATCH) => {
            with_json(body, |value| set_processing(state, method, value)).await
        }
        (E::Faults, &Method::GET) => faults(state),
        (E::Faults, &Method::PUT) => with_json(body, |value| set_faults(state, value)).await,
        (E::Faults, &Method::DELETE) => clear_faults(state),
        _ => return None,
    })
}

/// Reads the JSON body and hands it on; a body that cannot be read is answered at once.
async fn with_json(body: Body, then: impl FnOnce(Value) -> Response<Body>) -> Response<Body> {
    match read_json(body).await {
        Ok(value) => then(value),
        Err(response) => response,
    }
}

// ----- the request log -----

fn requests(state: &State) -> Response<Body> {
    let log = state.log();
    let entries: Vec<_> = log.entries().collect();
    admin_json(
        StatusCode::OK,
        &serde_json::to_value(entries).expect("log serializes"),
    )
}

fn clear_requests(state: &State) -> Response<Body> {
    let mut log = state.log();
    let cleared = log.len();
    log.clear();
    admin_json(StatusCode::OK, &json!({ "cleared": cleared }))
}

// ----- users -----

fn users(state: &State) -> Response<Body> {
    let users: Vec<Value> = state.tenant().users().map(User::admin_view).collect();
    admin_json(StatusCode::OK, &json!({ "value": users }))
}

fn user(state: &State, key: &str) -> Response<Body> {
    let view = {
        let tenant = state.tenant();
        tenant.find(key).map(|u| user_admin_view(&tenant, u))
    };
    match view {
        Some(view) => admin_json(StatusCode::OK, &view),
        None => not_found("user", key),
    }
}

fn remove_user(state: &State, key: &str) -> Response<Body> {
    match state.tenant().remove(key) {
        Some(user) => admin_json(StatusCode::OK, &user.admin_view()),
        None => not_found("user", key),
    }
}

fn patch_user(state: &State, key: &str, body: Value) -> Response<Body> {
    let Value::Object(changes) = body else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidUser",
            "Expected a JSON object of properties to change.",
        );
    };
    let mut tenant = state.tenant();
    match tenant.patch_user(key, changes) {
        Ok(user) => admin_json(StatusCode::OK, &user.admin_view()),
        Err(e) => change_error(&e),
    }
}

fn process_user(state: &State, key: &str) -> Response<Body> {
    let mut tenant = state.tenant();
    if tenant.find(key).is_none() {
        return not_found("user", key);
    }
    tenant.process(key);
    admin_json(
        StatusCode::OK,
        &tenant
            .find(key)
            .map(User::admin_view)
            .unwrap_or(Value::Null),
    )
}

// ----- SKUs -----

fn skus(state: &State) -> Response<Body> {
    let tenant = state.tenant();
    let skus: Vec<Value> = tenant
        .skus()
        .iter()
        .map(|s| sku_admin_view(&tenant, s))
        .collect();
    admin_json(StatusCode::OK, &json!({ "value": skus }))
}

fn sku(state: &State, key: &str) -> Response<Body> {
    let tenant = state.tenant();
    match tenant.sku(key) {
        Some(sku) => admin_json(StatusCode::OK, &sku_admin_view(&tenant, sku)),
        None => not_found("SKU", key),
    }
}

fn create_sku(state: &State, body: Value) -> Response<Body> {
    let sku: Sku = match serde_json::from_value(body) {
        Ok(sku) => sku,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, "InvalidSku", e.to_string()),
    };
    let id = sku.sku_id.clone();
    let mut tenant = state.tenant();
    let change = tenant
        .upsert_sku(sku)
        .map(|outcome| (created_or_ok(outcome), id));
    changed(&tenant, change, Tenant::sku, sku_admin_view)
}

fn patch_sku(state: &State, key: &str, changes: Value) -> Response<Body> {
    let mut tenant = state.tenant();
    let change = tenant
        .patch_sku(key, changes)
        .map(|sku| (StatusCode::OK, sku.sku_id.clone()));
    changed(&tenant, change, Tenant::sku, sku_admin_view)
}

fn remove_sku(state: &State, key: &str) -> Response<Body> {
    match state.tenant().remove_sku(key) {
        Some(sku) => admin_json(
            StatusCode::OK,
            &serde_json::to_value(sku).expect("serializes"),
        ),
        None => not_found("SKU", key),
    }
}

// ----- groups -----

fn groups(state: &State) -> Response<Body> {
    let tenant = state.tenant();
    let groups: Vec<Value> = tenant
        .groups()
        .iter()
        .map(|g| group_admin_view(&tenant, g))
        .collect();
    admin_json(StatusCode::OK, &json!({ "value": groups }))
}

fn group(state: &State, key: &str) -> Response<Body> {
    let tenant = state.tenant();
    match tenant.group(key) {
        Some(group) => admin_json(StatusCode::OK, &group_admin_view(&tenant, group)),
        None => not_found("group", key),
    }
}

/// A group without an id gets a new one, so it is found again by its name.
fn create_group(state: &State, mut body: Value) -> Response<Body> {
    if let Value::Object(object) = &mut body {
        object.entry("id").or_insert_with(|| Value::from(""));
    }
    let group: Group = match serde_json::from_value(body) {
        Ok(group) => group,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, "InvalidGroup", e.to_string()),
    };
    let mut tenant = state.tenant();
    let key = if group.id.is_empty() {
        group.display_name.clone()
    } else {
        group.id.clone()
    };
    let change = tenant
        .upsert_group(group)
        .map(|outcome| (created_or_ok(outcome), key));
    changed(&tenant, change, Tenant::group, group_admin_view)
}

fn patch_group(state: &State, key: &str, changes: Value) -> Response<Body> {
    let mut tenant = state.tenant();
    let change = tenant
        .patch_group(key, changes)
        .map(|group| (StatusCode::OK, group.id.clone()));
    changed(&tenant, change, Tenant::group, group_admin_view)
}

fn remove_group(state: &State, key: &str) -> Response<Body> {
    match state.tenant().remove_group(key) {
        Some(group) => admin_json(
            StatusCode::OK,
            &serde_json::to_value(group).expect("serializes"),
        ),
        None => not_found("group", key),
    }
}

/// Accepts `"<user>"`, `["<user>", ...]`, `{"id": "<user>"}` or `{"members": ["<user>", ...]}`.
fn add_members(state: &State, key: &str, body: Value) -> Response<Body> {
    let members = member_list(&body);
    if members.is_empty() {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidMembers",
            "Expected {\"id\": \"<user>\"} or {\"members\": [\"<user>\", ...]}.",
        );
    }
    let mut tenant = state.tenant();
    let change = tenant
        .add_members(key, &members)
        .map(|group| (StatusCode::OK, group.id.clone()));
    changed(&tenant, change, Tenant::group, group_admin_view)
}

fn member_list(body: &Value) -> Vec<String> {
    let strings = |list: &[Value]| -> Vec<String> {
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    match body {
        Value::String(one) => vec![one.clone()],
        Value::Array(list) => strings(list),
        Value::Object(object) => match (object.get("id"), object.get("members")) {
            (Some(Value::String(one)), _) => vec![one.clone()],
            (_, Some(Value::Array(list))) => strings(list),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn remove_member(state: &State, key: &str, user: &str) -> Response<Body> {
    let mut tenant = state.tenant();
    let change = tenant
        .remove_member(key, user)
        .map(|group| (StatusCode::OK, group.id.clone()));
    changed(&tenant, change, Tenant::group, group_admin_view)
}

/// Answers a change to one SKU or group: the item's admin view as it now stands (found again by `key`,
/// since the change held the tenant), or why the change was refused.
fn changed<T>(
    tenant: &Tenant,
    change: Result<(StatusCode, String), ChangeError>,
    find: for<'t> fn(&'t Tenant, &str) -> Option<&'t T>,
    view: fn(&Tenant, &T) -> Value,
) -> Response<Body> {
    match change {
        Ok((status, key)) => admin_json(status, &view(tenant, find(tenant, &key).expect("stored"))),
        Err(e) => change_error(&e),
    }
}

// ----- settings: throttling, processing, faults -----

fn throttling(state: &State) -> Response<Body> {
    admin_json(
        StatusCode::OK,
        &serde_json::to_value(state.throttle().config()).expect("serializes"),
    )
}

/// PUT replaces the settings, PATCH merges into them; either way the buckets start full.
fn set_throttling(state: &State, method: &Method, body: Value) -> Response<Body> {
    let current = serde_json::to_value(state.throttle().config()).expect("serializes");
    match serde_json::from_value::<ThrottleConfig>(settings_body(method, current, body)) {
        Ok(config) if config.scale > 0.0 && config.scale.is_finite() => {
            let mut throttle = state.throttle();
            throttle.configure(config);
            admin_json(
                StatusCode::OK,
                &serde_json::to_value(throttle.config()).expect("serializes"),
            )
        }
        Ok(_) => admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidThrottling",
            "scale must be a positive number.",
        ),
        Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidThrottling", e.to_string()),
    }
}

fn set_processing(state: &State, method: &Method, body: Value) -> Response<Body> {
    let mut tenant = state.tenant();
    let current = serde_json::to_value(tenant.processing()).expect("serializes");
    match serde_json::from_value::<ProcessingConfig>(settings_body(method, current, body)) {
        Ok(config) => match tenant.set_processing(config) {
            Ok(()) => processing_view(&tenant),
            Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidProcessing", e),
        },
        Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidProcessing", e.to_string()),
    }
}

fn faults(state: &State) -> Response<Body> {
    admin_json(
        StatusCode::OK,
        &serde_json::to_value(state.faults().profile()).expect("serializes"),
    )
}

fn set_faults(state: &State, body: Value) -> Response<Body> {
    let profile = match serde_json::from_value::<FaultProfile>(body) {
        Ok(profile) => profile,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, "InvalidFaults", e.to_string()),
    };
    if let Err(e) = Faults::validate(&profile) {
        return admin_error(StatusCode::BAD_REQUEST, "InvalidFaults", e);
    }
    let mut faults = state.faults();
    *faults = Faults::new(profile, state.seed());
    admin_json(
        StatusCode::OK,
        &serde_json::to_value(faults.profile()).expect("serializes"),
    )
}

fn clear_faults(state: &State) -> Response<Body> {
    let mut faults = state.faults();
    *faults = Faults::new(FaultProfile::default(), state.seed());
    admin_json(
        StatusCode::OK,
        &serde_json::to_value(faults.profile()).expect("serializes"),
    )
}

/// PATCH merges the body into the current settings, nested objects too (`{"limits": {"appWrites": 5}}`
/// keeps the other limits); PUT replaces them.
fn settings_body(method: &Method, mut current: Value, body: Value) -> Value {
    if *method != Method::PATCH {
        return body;
    }
    crate::tenant::merge(&mut current, body);
    current
}

/// The processing settings and how many reprocessed users are still waiting for their delay.
fn processing_view(tenant: &Tenant) -> Response<Body> {
    let mut view = serde_json::to_value(tenant.processing()).expect("serializes");
    view["pendingUsers"] = json!(tenant.pending_processing());
    admin_json(StatusCode::OK, &view)
}

fn health(state: &State) -> Response<Body> {
    let (tenant_id, users) = {
        let tenant = state.tenant();
        (tenant.tenant_id().to_owned(), tenant.len())
    };
    admin_json(
        StatusCode::OK,
        &json!({
            "status": "healthy",
            "baseUrl": state.base_url(),
            "tenantId": tenant_id,
            "users": users,
            "requestsLogged": state.log().len(),
        }),
    )
}

fn issue_token(state: &State, body: Value) -> Response<Body> {
    let body = if body.is_null() { json!({}) } else { body };
    let request: TokenRequest = match serde_json::from_value(body) {
        Ok(request) => request,
        Err(e) => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidTokenRequest",
                e.to_string(),
            )
        }
    };
    let (tenant_id, user) = {
        let tenant = state.tenant();
        let user = match &request.user_id {
            None => None,
            Some(key) => match tenant.find(key) {
                Some(user) => Some(user.signed_in()),
                None => {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidTokenRequest",
                        format!("userId '{key}' is not a user of the emulated tenant."),
                    )
                }
            },
        };
        (
            request
                .tenant_id
                .clone()
                .unwrap_or_else(|| tenant.tenant_id().to_owned()),
            user,
        )
    };
    if user.is_some() && !request.roles.is_empty() {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidTokenRequest",
            "roles are application permissions; a delegated token (userId set) takes scopes only.",
        );
    }
    // App-only tokens carry every granted permission in `roles`, whichever field the caller used.
    let mut permissions: Vec<String> = Vec::new();
    for name in request
        .scopes
        .iter()
        .chain(&request.roles)
        .filter_map(|p| auth::normalize_permission(p))
    {
        if !permissions.iter().any(|p| p.eq_ignore_ascii_case(&name)) {
            permissions.push(name);
        }
    }
    let expires_in = request.expires_in.unwrap_or(3600);
    let grant = Grant {
        app_id: request.app_id,
        tenant_id,
        audience: request.audience,
        permissions,
        user,
        expires_in,
    };
    let claims = Claims::from_grant(&grant, clock::unix_seconds(std::time::SystemTime::now()));
    admin_json(
        StatusCode::OK,
        &json!({
            "access_token": state.tokens().mint(&claims),
            "token_type": "Bearer",
            "expires_in": expires_in,
        }),
    )
}

/// Accepts one user object, or `{"users": [...]}` shaped like a seed file.
fn upsert_users(state: &State, body: Value) -> Response<Body> {
    let (many, items) = match body {
        Value::Object(mut object) => match object.remove("users") {
            Some(Value::Array(items)) => (true, items),
            // A user may well have a property called "users"; only an array means a seed-shaped upload.
            Some(other) => {
                object.insert("users".into(), other);
                (false, vec![Value::Object(object)])
            }
            None => (false, vec![Value::Object(object)]),
        },
        _ => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidUser",
                "Expected a user object or {\"users\": [...]}.",
            )
        }
    };
    // Validate everything before touching the tenant, so a malformed item changes nothing.
    let mut users = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let Value::Object(properties) = item else {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidUser",
                format!("users[{index}] is not an object."),
            );
        };
        match User::from_properties(properties) {
            Ok(user) => users.push(user),
            Err(e) => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidUser",
                    format!("users[{index}]: {e}"),
                )
            }
        }
    }
    let mut tenant = state.tenant();
    let mut views = Vec::new();
    let mut created_all = true;
    for user in users {
        let key = user.id().to_owned();
        match tenant.upsert(user) {
            Ok(outcome) => created_all &= outcome == Upsert::Created,
            Err(e) => return admin_error(StatusCode::CONFLICT, "Conflict", e),
        }
        views.push(
            tenant
                .find(&key)
                .map(User::admin_view)
                .unwrap_or(Value::Null),
        );
    }
    let status = if created_all {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    if many {
        admin_json(status, &json!({ "value": views }))
    } else {
        admin_json(status, &views.pop().unwrap_or(Value::Null))
    }
}

/// An empty body reads as JSON `null`, so `POST /_emulator/tokens` with no body mints a permissionless app token.
async fn read_json(body: Body) -> Result<Value, Response<Body>> {
    let bytes = hyper::body::to_bytes(body).await.map_err(|e| {
        admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            format!("Could not read the request body: {e}"),
        )
    })?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(admin_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "InvalidBody",
            "The request body is too large.",
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        admin_error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            format!("The body is not valid JSON: {e}"),
        )
    })
}

fn not_found(what: &str, key: &str) -> Response<Body> {
    admin_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No {what} '{key}' in the emulated tenant."),
    )
}

fn change_error(error: &ChangeError) -> Response<Body> {
    let (status, code) = match error {
        ChangeError::Invalid(_) => (StatusCode::BAD_REQUEST, "Invalid"),
        ChangeError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
        ChangeError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
    };
    admin_error(status, code, error.message())
}

fn created_or_ok(outcome: Upsert) -> StatusCode {
    match outcome {
        Upsert::Created => StatusCode::CREATED,
        Upsert::Replaced => StatusCode::OK,
    }
}

/// The user view plus the groups the user is in, which tests and the demo need to explain a license state.
fn user_admin_view(tenant: &Tenant, user: &User) -> Value {
    let mut view = user.admin_view();
    view["memberOf"] = json!(tenant.member_of(user.id()));
    view
}

/// A SKU with its rule fields (notSoldIn, exclusiveWith, requires) and the counted consumedUnits.
fn sku_admin_view(tenant: &Tenant, sku: &Sku) -> Value {
    let mut view = serde_json::to_value(sku).expect("SKU serializes");
    view["consumedUnits"] = json!(tenant.consumed_units(&sku.sku_id));
    view
}

fn group_admin_view(tenant: &Tenant, group: &Group) -> Value {
    let mut view = serde_json::to_value(group).expect("group serializes");
    let errors: Vec<&str> = tenant
        .members_with_license_errors(group)
        .iter()
        .map(|u| u.id())
        .collect();
    view["hasMembersWithLicenseErrors"] = json!(!errors.is_empty());
    view["membersWithLicenseErrors"] = json!(errors);
    view
}

/// Background processing on demand: `{"users": [...]}` processes those users, an empty body processes everyone.
fn process_users(state: &State, body: Value) -> Response<Body> {
    let mut tenant = state.tenant();
    let users: Option<Vec<String>> = body.get("users").and_then(Value::as_array).map(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    });
    let processed = match users {
        None => tenant.process_all(),
        Some(users) => {
            for user in &users {
                if tenant.find(user).is_none() {
                    return not_found("user", user);
                }
            }
            users.iter().filter(|u| tenant.process(u)).count()
        }
    };
    admin_json(StatusCode::OK, &json!({ "processed": processed }))
}
