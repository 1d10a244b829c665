//! Graph's front door: resolve the raw path (`route.rs`), authenticate, throttle, authorize, then act on
//! the tenant (`reads.rs` for reads, `batch.rs` for `$batch`).
//!
//! Checks run in the order Graph's front door appears to apply them: version, token, throttling, path,
//! method, `/me` needs a user, Content-Type (draft action only), permission, lookup. Injected faults
//! (`faults.rs`) come before all of them, as a failing front door would.

use std::time::Instant;

use hyper::header::{HeaderMap, HeaderName, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Body, Method, Request, Response, StatusCode};
use serde_json::{Map, Value};

use crate::auth::{Claims, TokenError, REPROCESS_ROLES};
use crate::faults::Fault;
use crate::log::{BatchRef, Pending};
use crate::query::Query;
use crate::respond::{self, GraphError, RequestIds};
use crate::route::{decode_segments, parse_route, parse_version, Route, Subject, Version};
use crate::state::State;
use crate::tenant::{ReprocessAction, User};
use crate::throttle::{self, Admission, Caller};
use crate::{batch, clock, reads, writes};

/// Least and higher privileged permissions for the reprocess actions (same for app `roles` and delegated `scp`).
const REPROCESS_PERMISSIONS: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];

/// cloudLicensing's delegated list from its reference page.
const CLOUD_LICENSING_DELEGATED: &[&str] = &[
    "CloudLicensing.AssignLicenses",
    "CloudLicensing.AssignLicenses.Organization",
    "User-CloudLicensing.AssignLicenses",
    "User-CloudLicensing.AssignLicenses.Organization",
    "User.ReadWrite.All",
    "Group-CloudLicensing.AssignLicenses",
    "Group-CloudLicensing.AssignLicenses.Organization",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// cloudLicensing's application list: the plain `CloudLicensing.AssignLicenses` is delegated-only.
const CLOUD_LICENSING_APPLICATION: &[&str] = &[
    "CloudLicensing.AssignLicenses.Organization",
    "User-CloudLicensing.AssignLicenses.Organization",
    "User.ReadWrite.All",
    "Group-CloudLicensing.AssignLicenses.Organization",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// Reading users: the user reference page's list, least privileged first.
const USER_READ: &[&str] = &[
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// A signed-in user may always read their own profile.
const ME_READ: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

const SKU_READ: &[&str] = &[
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

const GROUP_READ: &[&str] = &[
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// Changing a user's properties (the update user page's list).
const USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];

/// assignLicense, least privileged first.
const LICENSE_WRITE: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// Reading a user's licenseDetails.
const LICENSE_READ: &[&str] = &[
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// Adding and removing group members.
const GROUP_MEMBER_WRITE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// The connection is to be closed without an answer (an injected drop, or a client that went away).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the emulator")
    }
}

impl std::error::Error for Dropped {}

/// Batches are small; this only stops a runaway client from filling memory.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Answers one Graph request and records it in the request log. `Err` closes the connection unanswered.
pub async fn handle(state: &State, request: Request<Body>) -> Result<Response<Body>, Dropped> {
    let ids = RequestIds::for_request(request.headers());
    let (parts, body) = request.into_parts();
    let pending = state.log().begin(
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &ids.request_id,
    );
    let decision = state
        .faults()
        .decide(parts.method.as_str(), parts.uri.path(), true);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let body = match hyper::body::to_bytes(body).await {
        Ok(bytes) if bytes.len() <= MAX_BODY_BYTES => bytes,
        Ok(_) => {
            let error = GraphError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request_EntityTooLarge",
                "The request body is too large.",
            );
            let response = respond::graph_error(&ids, &error);
            state.log().finish(pending, response.status().as_u16());
            return Ok(response);
        }
        Err(_) => return Err(Dropped),
    };
    if let Some(fault) = &decision.fault {
        state.log().mark_fault(pending, fault.label());
    }
    let response = match decision.fault {
        // The log keeps `status: null`: nothing was answered.
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Status(error)) => respond::graph_error(&ids, &error),
        Some(Fault::NonJson) => respond::html_bad_gateway(&ids),
        other => {
            let response = if is_batch_path(parts.uri.path()) {
                serve_batch(state, &parts, &body, &ids).await
            } else {
                serve(state, &parts, &body, &ids, pending)
            };
            if other == Some(Fault::Truncate) {
                respond::truncate(response).await
            } else {
                response
            }
        }
    };
    state.log().finish(pending, response.status().as_u16());
    Ok(response)
}

/// One request from inside a `$batch`: logged on its own, throttled and failed on its own, never dropped.
pub fn handle_item(state: &State, parts: &Parts, body: &[u8], batch: BatchRef) -> Response<Body> {
    let ids = RequestIds::for_request(&parts.headers);
    let pending = state.log().begin_item(
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &ids.request_id,
        Some(batch),
    );
    let decision = state
        .faults()
        .decide(parts.method.as_str(), parts.uri.path(), false);
    let response = match decision.fault {
        Some(Fault::Status(error)) => {
            state
                .log()
                .mark_fault(pending, format!("status:{}", error.status.as_u16()));
            respond::graph_error(&ids, &error)
        }
        _ => serve(state, parts, body, &ids, pending),
    };
    state.log().finish(pending, response.status().as_u16());
    response
}

/// `/{version}/$batch` passes the version and token checks like any request; the batch endpoint then
/// hands each of its requests back to [`handle_item`].
async fn serve_batch(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
) -> Response<Body> {
    let segments = decode_segments(parts.uri.path());
    let checked = parse_version(&segments[0]).and_then(|version| {
        authenticate(state, &parts.headers)?;
        Ok(version)
    });
    match checked {
        Ok(version) => {
            batch::handle(state, parts, body, ids, version, &|parts, body, batch| {
                handle_item(state, parts, body, batch)
            })
            .await
        }
        Err(error) => respond::graph_error(ids, &error),
    }
}

fn is_batch_path(path: &str) -> bool {
    let segments = decode_segments(path);
    segments.len() == 2 && segments[1].eq_ignore_ascii_case("$batch")
}

fn serve(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
    pending: Pending,
) -> Response<Body> {
    match answer(state, parts, body, ids, pending) {
        Ok(response) => response,
        Err(error) => respond::graph_error(ids, &error),
    }
}

fn answer(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
    pending: Pending,
) -> Result<Response<Body>, GraphError> {
    let segments = decode_segments(parts.uri.path());
    let version = parse_version(&segments[0])?;
    let claims = authenticate(state, &parts.headers)?;
    let admission = admit(state, &claims, parts, pending)?;
    let route = parse_route(version, &segments[1..])?;
    let mut response = match route {
        Route::Reprocess { subject, action } => {
            reprocess(state, parts, ids, &claims, version, subject, action)?
        }
        Route::Batch => {
            return Err(GraphError::bad_request(
                "A $batch request cannot be nested in another $batch.",
            ))
        }
        Route::NotImplemented => return Err(not_implemented(parts)),
        Route::User(subject) if parts.method == Method::PATCH => write_route(
            state,
            parts,
            body,
            ids,
            &claims,
            version,
            Route::User(subject),
        )?,
        write @ (Route::AssignLicense(_)
        | Route::GroupMemberRefs(_)
        | Route::GroupMemberRef { .. }) => {
            write_route(state, parts, body, ids, &claims, version, write)?
        }
        read => read_route(state, parts, ids, &claims, version, read)?,
    };
    if let Admission::Allowed {
        resource_units,
        limit_percentage,
    } = admission
    {
        let headers = response.headers_mut();
        headers.insert(
            "x-ms-resource-unit",
            resource_units.to_string().parse().expect("digits"),
        );
        if let Some(percentage) = limit_percentage {
            headers.insert(
                "x-ms-throttle-limit-percentage",
                format!("{percentage:.1}").parse().expect("digits"),
            );
        }
    }
    Ok(response)
}

fn not_implemented(parts: &Parts) -> GraphError {
    GraphError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        format!(
            "The Graph emulator does not serve {} {} yet.",
            parts.method,
            parts.uri.path()
        ),
    )
}

/// Charges the request to its app+tenant's buckets; a refusal is Graph's 429 with its throttle headers.
fn admit(
    state: &State,
    claims: &Claims,
    parts: &Parts,
    pending: Pending,
) -> Result<Admission, GraphError> {
    let is_read = parts.method == Method::GET || parts.method == Method::HEAD;
    let cost = throttle::resource_units(is_read, parts.uri.query());
    let users = state.tenant().len();
    let admission = state.throttle().admit(
        &Caller {
            app_id: &claims.appid,
            tenant_id: &claims.tid,
        },
        !is_read,
        cost,
        users,
        Instant::now(),
    );
    match admission {
        Admission::Throttled {
            retry_after,
            scope,
            information,
            ..
        } => {
            state.log().mark_throttled(pending, information.clone());
            Err(GraphError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Please retry again later.",
            )
            .with_header(
                hyper::header::RETRY_AFTER,
                retry_after.as_secs().to_string(),
            )
            .with_header(HeaderName::from_static("x-ms-throttle-scope"), scope)
            .with_header(
                HeaderName::from_static("x-ms-throttle-information"),
                information,
            ))
        }
        other => Ok(other),
    }
}

fn method_not_allowed(allow: &'static str) -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
    .with_header(hyper::header::ALLOW, allow)
}

fn reprocess(
    state: &State,
    parts: &Parts,
    ids: &RequestIds,
    claims: &Claims,
    version: Version,
    subject: Subject,
    action: ReprocessAction,
) -> Result<Response<Body>, GraphError> {
    if parts.method != Method::POST {
        return Err(method_not_allowed("POST"));
    }
    let key = resolve_subject(subject, claims)?;
    if action == ReprocessAction::LicenseAssignment2 {
        require_json_content_type(&parts.headers)?;
    }
    if !claims.has_any(required_permissions(action, claims)) {
        return Err(GraphError::forbidden());
    }
    // A delegated reprocessLicenseAssignment(2) acts as the signed-in user, who needs an admin role
    // as well as the scope (the Permissions section of the action's page); /me is no exception.
    // cloudLicensing's delegated permission, CloudLicensing.AssignLicenses, is documented without a
    // role, so it needs none.
    if claims.is_delegated()
        && action != ReprocessAction::CloudLicensingAssignments
        && !claims.has_directory_role(REPROCESS_ROLES)
    {
        return Err(GraphError::forbidden());
    }

    let mut tenant = state.tenant();
    let user = tenant
        .reprocess(&key, action)
        .ok_or_else(|| GraphError::user_not_found(&key))?;
    let base = state.base_url();
    Ok(match action {
        ReprocessAction::LicenseAssignment => {
            let context = format!("{base}/{}/$metadata#users/$entity", version.as_str());
            respond::graph_json(ids, StatusCode::OK, &user_body(&context, user))
        }
        ReprocessAction::CloudLicensingAssignments => respond::graph_empty(ids, StatusCode::OK),
        ReprocessAction::LicenseAssignment2 => {
            // The draft wraps the user in "value", as OData does for an action returning a single non-entity result.
            let mut value = Map::new();
            value.insert("@odata.type".into(), Value::from("#microsoft.graph.user"));
            value.extend(user.properties().clone());
            let body = serde_json::json!({
                "@odata.context": format!("{base}/{}/$metadata#microsoft.graph.user", version.as_str()),
                "value": value,
            });
            respond::graph_json(ids, StatusCode::OK, &body)
        }
    })
}

fn resolve_subject(subject: Subject, claims: &Claims) -> Result<String, GraphError> {
    match subject {
        Subject::User(key) => Ok(key),
        Subject::Me if claims.is_delegated() => Ok(claims.oid.clone()),
        Subject::Me => Err(GraphError::bad_request(
            "/me request is only valid with delegated authentication flow.",
        )),
    }
}

fn read_route(
    state: &State,
    parts: &Parts,
    ids: &RequestIds,
    claims: &Claims,
    version: Version,
    route: Route,
) -> Result<Response<Body>, GraphError> {
    if parts.method != Method::GET {
        // Creating, changing and deleting users and groups are real Graph calls the emulator does not make.
        let writable = matches!(
            route,
            Route::Users | Route::User(_) | Route::Groups | Route::Group(_)
        );
        return Err(if writable {
            not_implemented(parts)
        } else {
            method_not_allowed("GET")
        });
    }
    let query = Query::parse(parts.uri.query())?;
    let eventual = reads::eventual(&parts.headers);
    let base = state.base_url();
    let body = match route {
        Route::User(subject) => {
            let me = subject == Subject::Me;
            let key = resolve_subject(subject, claims)?;
            let allowed = if me { ME_READ } else { USER_READ };
            if !claims.has_any(allowed) {
                return Err(GraphError::forbidden());
            }
            let tenant = state.tenant();
            let user = tenant
                .find_active(&key)
                .ok_or_else(|| GraphError::user_not_found(&key))?;
            reads::user(base, version, &tenant, user, &query)?
        }
        Route::Users => {
            require(claims, USER_READ)?;
            reads::users(base, version, &state.tenant(), &query, eventual)?
        }
        Route::SubscribedSkus => {
            require(claims, SKU_READ)?;
            reads::subscribed_skus(base, version, &state.tenant(), &query)?
        }
        Route::SubscribedSku(id) => {
            require(claims, SKU_READ)?;
            reads::subscribed_sku(base, version, &state.tenant(), &id, &query)?
        }
        Route::Groups => {
            require(claims, GROUP_READ)?;
            reads::groups(base, version, &state.tenant(), &query, eventual)?
        }
        Route::Group(id) => {
            require(claims, GROUP_READ)?;
            reads::group(base, version, &state.tenant(), &id, &query)?
        }
        Route::MembersWithLicenseErrors(id) => {
            require(claims, GROUP_READ)?;
            reads::members_with_license_errors(
                base,
                version,
                &state.tenant(),
                &id,
                &query,
                eventual,
            )?
        }
        Route::LicenseDetails(subject, id) => {
            let key = resolve_subject(subject, claims)?;
            require(claims, LICENSE_READ)?;
            let tenant = state.tenant();
            let user = tenant
                .find_active(&key)
                .ok_or_else(|| GraphError::user_not_found(&key))?;
            reads::license_details(base, version, &tenant, user, id.as_deref(), &query)?
        }
        Route::GroupMembers(id) => {
            require(claims, GROUP_READ)?;
            reads::group_members(base, version, &state.tenant(), &id, &query, eventual)?
        }
        Route::MemberWithLicenseError(id, member) => {
            require(claims, GROUP_READ)?;
            reads::member_with_license_error(base, version, &state.tenant(), &id, &member, &query)?
        }
        Route::Reprocess { .. }
        | Route::Batch
        | Route::NotImplemented
        | Route::AssignLicense(_)
        | Route::GroupMemberRefs(_)
        | Route::GroupMemberRef { .. } => {
            unreachable!("not a read")
        }
    };
    Ok(respond::graph_json(ids, StatusCode::OK, &body))
}

/// The writes a license repair makes (`writes.rs`): PATCH a user, assignLicense, add or remove a group member.
fn write_route(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
    claims: &Claims,
    version: Version,
    route: Route,
) -> Result<Response<Body>, GraphError> {
    let (expected, allow) = match route {
        Route::User(_) => (Method::PATCH, "GET, PATCH"),
        Route::GroupMemberRef { .. } => (Method::DELETE, "DELETE"),
        _ => (Method::POST, "POST"),
    };
    if parts.method != expected {
        return Err(method_not_allowed(allow));
    }
    if expected != Method::DELETE {
        require_json_content_type(&parts.headers)?;
    }
    match route {
        Route::User(subject) => {
            let key = resolve_subject(subject, claims)?;
            require(claims, USER_WRITE)?;
            writes::update_user(&mut state.tenant(), &key, body)?;
            Ok(respond::graph_empty(ids, StatusCode::NO_CONTENT))
        }
        Route::AssignLicense(subject) => {
            let key = resolve_subject(subject, claims)?;
            require(claims, LICENSE_WRITE)?;
            let user = writes::assign_license(&mut state.tenant(), &key, body)?;
            let mut answer = Map::new();
            answer.insert(
                "@odata.context".into(),
                Value::from(format!(
                    "{}/{}/$metadata#users/$entity",
                    state.base_url(),
                    version.as_str()
                )),
            );
            if let Value::Object(user) = user {
                answer.extend(user);
            }
            Ok(respond::graph_json(
                ids,
                StatusCode::OK,
                &Value::Object(answer),
            ))
        }
        Route::GroupMemberRefs(group) => {
            require(claims, GROUP_MEMBER_WRITE)?;
            writes::add_member(&mut state.tenant(), &group, body)?;
            Ok(respond::graph_empty(ids, StatusCode::NO_CONTENT))
        }
        Route::GroupMemberRef { group, member } => {
            require(claims, GROUP_MEMBER_WRITE)?;
            writes::remove_member(&mut state.tenant(), &group, &member)?;
            Ok(respond::graph_empty(ids, StatusCode::NO_CONTENT))
        }
        _ => unreachable!("not a write"),
    }
}

fn require(claims: &Claims, permissions: &[&str]) -> Result<(), GraphError> {
    if claims.has_any(permissions) {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

fn user_body(context: &str, user: &User) -> Value {
    let mut body = Map::new();
    body.insert("@odata.context".into(), Value::from(context));
    body.extend(user.properties().clone());
    Value::Object(body)
}

fn required_permissions(action: ReprocessAction, claims: &Claims) -> &'static [&'static str] {
    match action {
        ReprocessAction::CloudLicensingAssignments if claims.is_delegated() => {
            CLOUD_LICENSING_DELEGATED
        }
        ReprocessAction::CloudLicensingAssignments => CLOUD_LICENSING_APPLICATION,
        ReprocessAction::LicenseAssignment | ReprocessAction::LicenseAssignment2 => {
            REPROCESS_PERMISSIONS
        }
    }
}

fn authenticate(state: &State, headers: &HeaderMap) -> Result<Claims, GraphError> {
    let authorization = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state
        .tokens()
        .validate(
            authorization,
            clock::unix_seconds(std::time::SystemTime::now()),
        )
        .map_err(|error| unauthenticated(state, &error))
}

fn unauthenticated(state: &State, error: &TokenError) -> GraphError {
    // Graph names its authority here; the emulator names itself so nothing ever leaves loopback.
    let challenge = format!(
        "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"{}\"",
        state.base_url(),
        crate::auth::GRAPH_APP_ID
    );
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        error.message(),
    )
    .with_header(HeaderName::from_static("www-authenticate"), challenge)
}

/// The draft page makes Content-Type mandatory. Without one Graph has been seen to answer 400 with
/// this message for body-less actions; a non-JSON type gets 415.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), GraphError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(GraphError::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ));
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let media_type = text.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "RequestBodyRead",
            format!("The content type '{text}' is not supported. Use 'application/json'."),
        ))
    }
}
