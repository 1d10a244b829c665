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

pub async fn handle(state: &State, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let rest = parts
        .uri
        .path()
        .trim_start_matches("/_emulator")
        .trim_matches('/');
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = parts.method.clone();

    match (&method, segments.as_slice()) {
        (&Method::GET, ["health"]) => health(state),
        (&Method::POST, ["tokens"]) => match read_json(body).await {
            Ok(value) => issue_token(state, value),
            Err(response) => response,
        },
        (&Method::GET, ["requests"]) => {
            let log = state.log();
            let entries: Vec<_> = log.entries().collect();
            admin_json(
                StatusCode::OK,
                &serde_json::to_value(entries).expect("log serializes"),
            )
        }
        (&Method::DELETE, ["requests"]) => {
            let mut log = state.log();
            let cleared = log.len();
            log.clear();
            admin_json(StatusCode::OK, &json!({ "cleared": cleared }))
        }
        (&Method::GET, ["users"]) => {
            let users: Vec<Value> = state.tenant().users().map(User::admin_view).collect();
            admin_json(StatusCode::OK, &json!({ "value": users }))
        }
        (&Method::POST, ["users"]) => match read_json(body).await {
            Ok(value) => upsert_users(state, value),
            Err(response) => response,
        },
        (&Method::GET, ["users", key]) => match {
            let tenant = state.tenant();
            tenant.find(key).map(|u| user_admin_view(&tenant, u))
        } {
            Some(view) => admin_json(StatusCode::OK, &view),
            None => admin_error(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("No user '{key}' in the emulated tenant."),
            ),
        },
        (&Method::DELETE, ["users", key]) => match state.tenant().remove(key) {
            Some(user) => admin_json(StatusCode::OK, &user.admin_view()),
            None => admin_error(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("No user '{key}' in the emulated tenant."),
            ),
        },
        (&Method::PATCH, ["users", key]) => match read_json(body).await {
            Ok(Value::Object(changes)) => {
                let mut tenant = state.tenant();
                match tenant.patch_user(key, changes) {
                    Ok(user) => admin_json(StatusCode::OK, &user.admin_view()),
                    Err(e) => change_error(&e),
                }
            }
            Ok(_) => admin_error(
                StatusCode::BAD_REQUEST,
                "InvalidUser",
                "Expected a JSON object of properties to change.",
            ),
            Err(response) => response,
        },
        (&Method::POST, ["users", key, "process"]) => {
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
        (&Method::POST, ["licensing", "process"]) => match read_json(body).await {
            Ok(value) => process_users(state, value),
            Err(response) => response,
        },
        (&Method::GET, ["tenant"]) => admin_json(StatusCode::OK, &state.tenant().to_seed()),
        (&Method::GET, ["skus"]) => {
            let tenant = state.tenant();
            let skus: Vec<Value> = tenant
                .skus()
                .iter()
                .map(|s| sku_admin_view(&tenant, s))
                .collect();
            admin_json(StatusCode::OK, &json!({ "value": skus }))
        }
        (&Method::POST, ["skus"]) => match read_json(body).await {
            Ok(value) => match serde_json::from_value::<Sku>(value) {
                Ok(sku) => {
                    let id = sku.sku_id.clone();
                    let mut tenant = state.tenant();
                    match tenant.upsert_sku(sku) {
                        Ok(outcome) => admin_json(
                            created_or_ok(outcome),
                            &sku_admin_view(&tenant, tenant.sku(&id).expect("stored")),
                        ),
                        Err(e) => change_error(&e),
                    }
                }
                Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidSku", e.to_string()),
            },
            Err(response) => response,
        },
        (&Method::GET, ["skus", key]) => {
            let tenant = state.tenant();
            match tenant.sku(key) {
                Some(sku) => admin_json(StatusCode::OK, &sku_admin_view(&tenant, sku)),
                None => not_found("SKU", key),
            }
        }
        (&Method::PATCH, ["skus", key]) => match read_json(body).await {
            Ok(changes) => {
                let mut tenant = state.tenant();
                match tenant.patch_sku(key, changes) {
                    Ok(sku) => {
                        let id = sku.sku_id.clone();
                        admin_json(
                            StatusCode::OK,
                            &sku_admin_view(&tenant, tenant.sku(&id).expect("stored")),
                        )
                    }
                    Err(e) => change_error(&e),
                }
            }
            Err(response) => response,
        },
        (&Method::DELETE, ["skus", key]) => match state.tenant().remove_sku(key) {
            Some(sku) => admin_json(
                StatusCode::OK,
                &serde_json::to_value(sku).expect("serializes"),
            ),
            None => not_found("SKU", key),
        },
        (&Method::GET, ["groups"]) => {
            let tenant = state.tenant();
            let groups: Vec<Value> = tenant
                .groups()
                .iter()
                .map(|g| group_admin_view(&tenant, g))
                .collect();
            admin_json(StatusCode::OK, &json!({ "value": groups }))
        }
        (&Method::POST, ["groups"]) => match read_json(body).await {
            Ok(mut value) => {
                if let Value::Object(object) = &mut value {
                    object.entry("id").or_insert_with(|| Value::from(""));
                }
                match serde_json::from_value::<Group>(value) {
                    Ok(group) => {
                        let mut tenant = state.tenant();
                        let name = group.display_name.clone();
                        let id = group.id.clone();
                        match tenant.upsert_group(group) {
                            Ok(outcome) => {
                                let group = if id.is_empty() {
                                    tenant.group(&name)
                                } else {
                                    tenant.group(&id)
                                };
                                admin_json(
                                    created_or_ok(outcome),
                                    &group_admin_view(&tenant, group.expect("stored")),
                                )
                            }
                            Err(e) => change_error(&e),
                        }
                    }
                    Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidGroup", e.to_string()),
                }
            }
            Err(response) => response,
        },
        (&Method::GET, ["groups", key]) => {
            let tenant = state.tenant();
            match tenant.group(key) {
                Some(group) => admin_json(StatusCode::OK, &group_admin_view(&tenant, group)),
                None => not_found("group", key),
            }
        }
        (&Method::PATCH, ["groups", key]) => match read_json(body).await {
            Ok(changes) => {
                let mut tenant = state.tenant();
                match tenant.patch_group(key, changes) {
                    Ok(group) => {
                        let id = group.id.clone();
                        admin_json(
                            StatusCode::OK,
                            &group_admin_view(&tenant, tenant.group(&id).expect("stored")),
                        )
                    }
                    Err(e) => change_error(&e),
                }
            }
            Err(response) => response,
        },
        (&Method::DELETE, ["groups", key]) => match state.tenant().remove_group(key) {
            Some(group) => admin_json(
                StatusCode::OK,
                &serde_json::to_value(group).expect("serializes"),
            ),
            None => not_found("group", key),
        },
        (&Method::POST, ["groups", key, "members"]) => match read_json(body).await {
            Ok(value) => {
                let members: Vec<String> = match &value {
                    Value::String(one) => vec![one.clone()],
                    Value::Array(list) => list
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    Value::Object(object) => match (object.get("id"), object.get("members")) {
                        (Some(Value::String(one)), _) => vec![one.clone()],
                        (_, Some(Value::Array(list))) => list
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                if members.is_empty() {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidMembers",
                        "Expected {\"id\": \"<user>\"} or {\"members\": [\"<user>\", ...]}.",
                    );
                }
                let mut tenant = state.tenant();
                match tenant.add_members(key, &members) {
                    Ok(group) => {
                        let id = group.id.clone();
                        admin_json(
                            StatusCode::OK,
                            &group_admin_view(&tenant, tenant.group(&id).expect("stored")),
                        )
                    }
                    Err(e) => change_error(&e),
                }
            }
            Err(response) => response,
        },
        (&Method::DELETE, ["groups", key, "members", user]) => {
            let mut tenant = state.tenant();
            match tenant.remove_member(key, user) {
                Ok(group) => {
                    let id = group.id.clone();
                    admin_json(
                        StatusCode::OK,
                        &group_admin_view(&tenant, tenant.group(&id).expect("stored")),
                    )
                }
                Err(e) => change_error(&e),
            }
        }
        (&Method::GET, ["throttling"]) => admin_json(
            StatusCode::OK,
            &serde_json::to_value(state.throttle().config()).expect("serializes"),
        ),
        (&Method::PUT | &Method::PATCH, ["throttling"]) => match read_json(body).await {
            Ok(value) => {
                // PUT replaces the settings, PATCH merges into them; either way the buckets start full.
                let current = serde_json::to_value(state.throttle().config()).expect("serializes");
                match serde_json::from_value::<ThrottleConfig>(settings_body(
                    &method, current, value,
                )) {
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
                    Err(e) => {
                        admin_error(StatusCode::BAD_REQUEST, "InvalidThrottling", e.to_string())
                    }
                }
            }
            Err(response) => response,
        },
        (&Method::GET, ["processing"]) => processing_view(&state.tenant()),
        (&Method::PUT | &Method::PATCH, ["processing"]) => match read_json(body).await {
            Ok(value) => {
                let mut tenant = state.tenant();
                let current = serde_json::to_value(tenant.processing()).expect("serializes");
                match serde_json::from_value::<ProcessingConfig>(settings_body(
                    &method, current, value,
                )) {
                    Ok(config) => match tenant.set_processing(config) {
                        Ok(()) => processing_view(&tenant),
                        Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidProcessing", e),
                    },
                    Err(e) => {
                        admin_error(StatusCode::BAD_REQUEST, "InvalidProcessing", e.to_string())
                    }
                }
            }
            Err(response) => response,
        },
        (&Method::GET, ["faults"]) => admin_json(
            StatusCode::OK,
            &serde_json::to_value(state.faults().profile()).expect("serializes"),
        ),
        (&Method::PUT, ["faults"]) => match read_json(body).await {
            Ok(value) => match serde_json::from_value::<FaultProfile>(value) {
                Ok(profile) => match Faults::validate(&profile) {
                    Ok(()) => {
                        let mut faults = state.faults();
                        *faults = Faults::new(profile, state.seed());
                        admin_json(
                            StatusCode::OK,
                            &serde_json::to_value(faults.profile()).expect("serializes"),
                        )
                    }
                    Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidFaults", e),
                },
                Err(e) => admin_error(StatusCode::BAD_REQUEST, "InvalidFaults", e.to_string()),
            },
            Err(response) => response,
        },
        (&Method::DELETE, ["faults"]) => {
            let mut faults = state.faults();
            *faults = Faults::new(FaultProfile::default(), state.seed());
            admin_json(
                StatusCode::OK,
                &serde_json::to_value(faults.profile()).expect("serializes"),
            )
        }
        (
            _,
            ["throttling"]
            | ["processing"]
            | ["faults"]
            | ["health"]
            | ["tokens"]
            | ["requests"]
            | ["users"]
            | ["users", _]
            | ["users", _, "process"]
            | ["licensing", "process"]
            | ["tenant"]
            | ["skus"]
            | ["skus", _]
            | ["groups"]
            | ["groups", _]
            | ["groups", _, "members"]
            | ["groups", _, "members", _],
        ) => admin_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported on {}.", parts.uri.path()),
        ),
        _ => admin_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "No emulator endpoint at {}; see crates/graph-emulator/README.md.",
                parts.uri.path()
            ),
        ),
    }
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
