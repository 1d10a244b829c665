//! The login side: an Entra ID v2.0 authority and the managed identity endpoints, on loopback.
//!
//! Apps are registered through the admin API with secrets, certificates and permissions; the
//! token endpoint answers client credentials (secret or a certificate assertion whose RS256
//! signature, x5t, aud and exp are checked), the device-code grant, the authorization code with
//! PKCE and refresh tokens, with AADSTS-shaped errors. The tokens it issues are the emulator's
//! own Graph tokens, so Graph checks them exactly as it checks minted ones.
//!
//! Routes (the only hook into the server is [`owns`] + [`handle`]):
//! `POST /{tenant}/oauth2/v2.0/token`, `POST /{tenant}/oauth2/v2.0/devicecode`,
//! `GET /{tenant}/oauth2/v2.0/authorize`, `GET /metadata/identity/oauth2/token` (IMDS),
//! `GET|POST /msi/token` (App Service / Automation), and the admin calls
//! `POST /_emulator/apps`, `GET /_emulator/login`, `POST /_emulator/login/fault`,
//! `POST /_emulator/login/browser`, `POST /_emulator/devicecodes/{user_code}/approve|decline`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use hyper::{Body, HeaderMap, Method, Request, Response, StatusCode};
use registry::Registry;
use serde_json::{json, Value};

use crate::auth::{normalize_permission, Claims, Grant, GRAPH_AUDIENCE};
use crate::clock::unix_seconds;
use crate::respond::{admin_error, admin_json};
use crate::state::State;

/// The default delegated app (Microsoft Graph Command Line Tools) exists in every tenant.
pub const COMMAND_LINE_TOOLS: &str = crate::auth::DEFAULT_DELEGATED_APP_ID;

/// True for the paths this module answers.
pub fn owns(path: &str) -> bool {
    path.contains("/oauth2/v2.0/")
        || path == "/metadata/identity/oauth2/token"
        || path == "/msi/token"
        || path.starts_with("/_emulator/apps")
        || path.starts_with("/_emulator/login")
        || path.starts_with("/_emulator/devicecodes/")
}

#[derive(Clone, Debug, Default)]
struct App {
    app_id: String,
    display_name: String,
    /// (value, expires at, Unix seconds)
    secrets: Vec<(String, i64)>,
    /// DER certificates.
    certificates: Vec<Vec<u8>>,
    /// Application permissions (app roles).
    roles: Vec<String>,
    /// Delegated permissions the app may be granted; empty means any.
    scopes: Vec<String>,
    /// "system" or "user" for a managed identity.
    managed_identity: Option<String>,
    token_lifetime: i64,
}

struct DeviceCode {
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    expires_at: i64,
    interval: i64,
    last_poll: i64,
    decision: Option<Result<String, ()>>,
}

struct Delegation {
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
}

struct AuthCode {
    delegation: Delegation,
    redirect_uri: String,
    challenge: String,
}

#[derive(Default)]
struct Login {
    apps: HashMap<String, App>,
    device_codes: HashMap<String, DeviceCode>,
    auth_codes: HashMap<String, AuthCode>,
    refresh_tokens: HashMap<String, Delegation>,
    identity_header: String,
    fault: Option<String>,
    browser_user: Option<String>,
    /// The login log: one entry per request to the login side, oldest first.
    requests: Vec<Value>,
    /// Every credential the login side handed out (kind, value), the last 10,000, for tests that look for leaks.
    issued: Vec<(&'static str, String)>,
    device_interval: i64,
    device_expires_in: i64,
    /// The next this many device-code polls are answered slow_down, however long the client waited.
    slow_downs: i64,
}

mod registry {
    use super::*;
    /// Login state per emulator, keyed by its base URL, so [`State`] needs no new field.
    pub struct Registry;
    static REGISTRY: Mutex<Option<HashMap<String, Arc<Mutex<Login>>>>> = Mutex::new(None);
    impl Registry {
        pub(super) fn of(state: &State) -> Arc<Mutex<Login>> {
            let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
            let map = guard.get_or_insert_with(HashMap::new);
            Arc::clone(map.entry(state.base_url().to_string()).or_insert_with(|| {
                let mut login = Login {
                    identity_header: b64(&rand::random::<[u8; 24]>()),
                    device_interval: 1,
                    device_expires_in: 900,
                    ..Login::default()
                };
                login.apps.insert(
                    COMMAND_LINE_TOOLS.into(),
                    App {
                        app_id: COMMAND_LINE_TOOLS.into(),
                        display_name: "Microsoft Graph Command Line Tools".into(),
                        token_lifetime: 3600,
                        ..App::default()
                    },
                );
                Arc::new(Mutex::new(login))
            }))
        }
    }
}

impl Login {
    fn remember(&mut self, kind: &'static str, value: &str) {
        if self.issued.len() >= 10_000 {
            self.issued.remove(0);
        }
        self.issued.push((kind, value.to_string()));
    }
}

/// Records a credential issued without the login lock held.
fn remember(state: &State, kind: &'static str, value: &str) {
    lock(&Registry::of(state)).remember(kind, value);
}

/// A panic in one request must not leave the login side locked for all others.
fn lock(login: &Mutex<Login>) -> MutexGuard<'_, Login> {
    login.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> i64 {
    unix_seconds(SystemTime::now())
}

fn b64(bytes: &[u8]) -> String {
    base64::encode_config(bytes, base64::URL_SAFE_NO_PAD)
}

pub async fn handle(state: &State, request: Request<Body>) -> Response<Body> {
    let login = Registry::of(state);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let headers = request.headers().clone();
    let body = hyper::body::to_bytes(request.into_body())
        .await
        .unwrap_or_default();
    let admin = path.starts_with("/_emulator/");
    let entry = (!admin).then(|| log_entry(&method, &path, &query, &body));
    let response = route(state, &login, &method, &path, &query, &headers, &body);
    if let Some(mut entry) = entry {
        entry["status"] = json!(response.status().as_u16());
        let mut l = lock(&login);
        if l.requests.len() >= 10_000 {
            l.requests.remove(0);
        }
        l.requests.push(entry);
    }
    response
}

/// What the login log keeps of a request: which endpoint, grant and client, never a credential.
/// For a certificate assertion, the x5t of its header (the thumbprint of the certificate that signed it).
fn log_entry(method: &Method, path: &str, query: &str, body: &[u8]) -> Value {
    let mut params = form(query);
    if method == Method::POST {
        params.extend(form(&String::from_utf8_lossy(body)));
    }
    let endpoint = if path == "/metadata/identity/oauth2/token" {
        "imds"
    } else if path == "/msi/token" {
        "identity"
    } else {
        path.rsplit('/').next().unwrap_or("")
    };
    let assertion_header = params.get("client_assertion").and_then(|a| {
        let header = base64::decode_config(a.split('.').next()?, base64::URL_SAFE_NO_PAD).ok()?;
        serde_json::from_slice::<Value>(&header).ok()
    });
    let x5t = assertion_header
        .as_ref()
        .and_then(|h| h["x5t"].as_str().map(str::to_string));
    // How many certificates the assertion's x5c header carried (-SendCertificateChain).
    let x5c = assertion_header
        .as_ref()
        .and_then(|h| h["x5c"].as_array().map(Vec::len));
    let credential = if params.contains_key("client_secret") {
        Some("secret")
    } else if params.contains_key("client_assertion") {
        Some("assertion")
    } else {
        None
    };
    json!({
        "time": crate::clock::iso8601_seconds(SystemTime::now()),
        "method": method.as_str(),
        "endpoint": endpoint,
        "grantType": params.get("grant_type"),
        "clientId": params.get("client_id"),
        "credential": credential,
        "x5t": x5t,
        "x5c": x5c,
        "scope": params.get("scope"),
        "loginHint": params.get("login_hint"),
        "status": null,
    })
}

fn route(
    state: &State,
    login: &Mutex<Login>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response<Body> {
    if let Some(admin) = path.strip_prefix("/_emulator/") {
        return admin_call(state, login, method, admin, body);
    }
    if path == "/metadata/identity/oauth2/token" {
        return imds(state, login, query, headers);
    }
    if path == "/msi/token" {
        return identity_endpoint(state, login, method, query, headers, body);
    }
    authority(state, login, method, path, query, body)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The Azure VM metadata endpoint (IMDS): the caller proves it is on the machine with `Metadata: true`.
fn imds(state: &State, login: &Mutex<Login>, query: &str, headers: &HeaderMap) -> Response<Body> {
    if header(headers, "metadata") != Some("true") {
        return oauth_error(
            400,
            "invalid_request",
            0,
            "Required metadata header not specified",
        );
    }
    managed_identity(state, login, &form(query))
}

/// App Service's and Automation's identity endpoint: the caller proves itself with the secret
/// `X-IDENTITY-HEADER` (`GET /_emulator/login` shows it), and may send its parameters in a form body.
fn identity_endpoint(
    state: &State,
    login: &Mutex<Login>,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response<Body> {
    let expected = lock(login).identity_header.clone();
    if header(headers, "x-identity-header") != Some(expected.as_str()) {
        return oauth_error(
            401,
            "invalid_request",
            0,
            "The X-IDENTITY-HEADER is missing or wrong.",
        );
    }
    let mut params = form(query);
    if method == Method::POST {
        params.extend(form(&String::from_utf8_lossy(body)));
    }
    managed_identity(state, login, &params)
}

/// `/{tenant}/oauth2/v2.0/{token|devicecode|authorize}`, for this tenant or `common`/`organizations`.
fn authority(
    state: &State,
    login: &Mutex<Login>,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Response<Body> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (tenant, leaf) = match segments.as_slice() {
        [tenant, "oauth2", "v2.0", leaf] => (percent_decode(tenant), *leaf),
        _ => return oauth_error(404, "invalid_request", 90007, "Unknown endpoint."),
    };
    let home = state.tenant().tenant_id().to_string();
    let common =
        tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations");
    if !common && !tenant.eq_ignore_ascii_case(&home) {
        return oauth_error(400, "invalid_request", 90002, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    if let Some(response) = injected_fault(login) {
        return response;
    }
    match (leaf, method) {
        ("token", &Method::POST) => {
            let params = form(&String::from_utf8_lossy(body));
            let url = format!("{}{}", state.base_url(), path);
            token(state, login, &params, &url, common)
        }
        ("devicecode", &Method::POST) => {
            device_code_start(state, login, &form(&String::from_utf8_lossy(body)))
        }
        ("authorize", &Method::GET) => authorize(login, &form(query)),
        _ => oauth_error(405, "invalid_request", 0, "Method not allowed."),
    }
}

/// What `POST /_emulator/login/fault` made the authority answer instead: a captive portal's page, or
/// JSON cut off mid-way.
fn injected_fault(login: &Mutex<Login>) -> Option<Response<Body>> {
    let fault = lock(login).fault.clone();
    match fault.as_deref() {
        Some("html") => Some(raw(
            200,
            "text/html",
            "<html><body><h1>Sign in</h1><p>Captive portal</p></body></html>",
        )),
        Some("garbage") => Some(raw(200, "application/json", "{\"access_tok")),
        _ => None,
    }
}

/// The login side's part of the admin API, under `/_emulator/`. An empty body reads as `{}`.
fn admin_call(
    state: &State,
    login: &Mutex<Login>,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Response<Body> {
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("The body is not JSON: {e}"),
                )
            }
        }
    };
    let mut l = lock(login);
    match (method, path) {
        (&Method::GET, "login") => login_view(state, &l),
        (&Method::GET, "login/issued") => admin_json(
            StatusCode::OK,
            &json!(l
                .issued
                .iter()
                .map(|(k, v)| json!({"kind": k, "value": v}))
                .collect::<Vec<_>>()),
        ),
        (&Method::GET, "login/requests") => admin_json(StatusCode::OK, &json!(l.requests)),
        (&Method::DELETE, "login/requests") => {
            let cleared = l.requests.len();
            l.requests.clear();
            admin_json(StatusCode::OK, &json!({"cleared": cleared}))
        }
        (&Method::POST, "login/fault") => set_fault(&mut l, &input),
        (&Method::POST, "login/browser") => set_browser_user(state, &mut l, &input),
        (&Method::POST, "apps") => register_app(&mut l, &input),
        (&Method::POST, p) if p.starts_with("devicecodes/") => {
            decide_device_code(state, &mut l, &p["devicecodes/".len()..], &input)
        }
        _ => admin_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("No admin call {method} /_emulator/{path}."),
        ),
    }
}

/// `GET /_emulator/login`: where the endpoints are, the identity header, and the registered apps.
fn login_view(state: &State, l: &Login) -> Response<Body> {
    admin_json(
        StatusCode::OK,
        &json!({
            "identityHeader": l.identity_header,
            "tokenEndpoint": format!("{}/{}/oauth2/v2.0/token", state.base_url(), state.tenant().tenant_id()),
            "imdsEndpoint": format!("{}/metadata/identity/oauth2/token", state.base_url()),
            "identityEndpoint": format!("{}/msi/token", state.base_url()),
            "apps": l.apps.values().map(|a| json!({"appId": a.app_id, "displayName": a.display_name})).collect::<Vec<_>>(),
        }),
    )
}

/// `POST /_emulator/login/fault`: how the token endpoint fails, and how device-code polling behaves.
fn set_fault(l: &mut Login, input: &Value) -> Response<Body> {
    l.fault = input
        .get("tokenEndpoint")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(i) = input.get("deviceCodeInterval").and_then(Value::as_i64) {
        l.device_interval = i;
    }
    if let Some(i) = input.get("deviceCodeExpiresIn").and_then(Value::as_i64) {
        l.device_expires_in = i;
    }
    if let Some(n) = input.get("deviceCodeSlowDown").and_then(Value::as_i64) {
        l.slow_downs = n.max(0);
    }
    admin_json(StatusCode::OK, &json!({"tokenEndpoint": l.fault}))
}

/// The user who completes the next browser sign-in (the authorization code flow).
fn set_browser_user(state: &State, l: &mut Login, input: &Value) -> Response<Body> {
    let Some(user) = user_of(state, input) else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "userId must name a user of the tenant.",
        );
    };
    l.browser_user = Some(user.clone());
    admin_json(StatusCode::OK, &json!({"userId": user}))
}

/// The id of the tenant's user that the body's `userId` names, by id or UPN.
fn user_of(state: &State, input: &Value) -> Option<String> {
    input
        .get("userId")
        .and_then(Value::as_str)
        .and_then(|u| state.tenant().find(u).map(|u| u.id().to_string()))
}

/// `POST /_emulator/apps`: an app registration with its secrets, certificates and permissions.
fn register_app(l: &mut Login, input: &Value) -> Response<Body> {
    let Some(app_id) = input
        .get("appId")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return admin_error(StatusCode::BAD_REQUEST, "BadRequest", "appId is required.");
    };
    let secrets = secrets(input);
    let Some(certificates) = certificates(input) else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "certificates must be base64 DER X.509 certificates with RSA keys.",
        );
    };
    let app = App {
        display_name: input
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or("MgLicense test app")
            .to_string(),
        app_id: app_id.clone(),
        secrets,
        certificates,
        roles: strings(input, "roles"),
        scopes: strings(input, "scopes"),
        managed_identity: input
            .get("managedIdentity")
            .and_then(Value::as_str)
            .map(str::to_string),
        token_lifetime: input
            .get("tokenLifetime")
            .and_then(Value::as_i64)
            .unwrap_or(3600),
    };
    l.apps.insert(app_id.to_ascii_lowercase(), app);
    admin_json(StatusCode::CREATED, &json!({"appId": app_id}))
}

/// `"secrets": ["value", {"value": ..., "expiresIn": seconds}]`; a secret lasts a year unless told otherwise.
fn secrets(input: &Value) -> Vec<(String, i64)> {
    let mut secrets = Vec::new();
    for s in input
        .get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let value = s
            .get("value")
            .and_then(Value::as_str)
            .or_else(|| s.as_str())
            .unwrap_or("")
            .to_string();
        let expires_in = s
            .get("expiresIn")
            .and_then(Value::as_i64)
            .unwrap_or(365 * 86_400);
        secrets.push((value, now() + expires_in));
    }
    secrets
}

/// `"certificates"`: base64 DER certificates; `None` if one is not a certificate with an RSA key.
fn certificates(input: &Value) -> Option<Vec<Vec<u8>>> {
    let mut certificates = Vec::new();
    for c in strings(input, "certificates") {
        match base64::decode(c.trim()) {
            Ok(der) if rsa_public_key(&der).is_some() => certificates.push(der),
            _ => return None,
        }
    }
    Some(certificates)
}

/// The strings of the body's array `key`; anything else reads as none.
fn strings(input: &Value, key: &str) -> Vec<String> {
    input
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /_emulator/devicecodes/{user_code}/approve|decline`: the user's answer on the sign-in page.
fn decide_device_code(state: &State, l: &mut Login, rest: &str, input: &Value) -> Response<Body> {
    let Some((user_code, action)) = rest.rsplit_once('/') else {
        return admin_error(StatusCode::NOT_FOUND, "NotFound", "No such call.");
    };
    let user = user_of(state, input);
    let Some(entry) = l
        .device_codes
        .values_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(user_code))
    else {
        return admin_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("No device code {user_code} is waiting."),
        );
    };
    match action {
        "approve" => match user {
            Some(u) => entry.decision = Some(Ok(u)),
            None => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "userId must name a user of the tenant.",
                )
            }
        },
        "decline" => entry.decision = Some(Err(())),
        _ => return admin_error(StatusCode::NOT_FOUND, "NotFound", "approve or decline"),
    }
    admin_json(
        StatusCode::OK,
        &json!({"userCode": user_code, "action": action}),
    )
}

/// Resource of a scope (`http://host/User.Read` → `http://host`), and the token audience it earns.
fn audience(state: &State, scopes: &[String]) -> Option<String> {
    let resource = scopes
        .iter()
        .find_map(|s| s.rsplit_once('/').map(|(r, _)| r.to_string()))?;
    let r = resource.trim_end_matches('/');
    if r.eq_ignore_ascii_case(state.base_url()) || r.eq_ignore_ascii_case(GRAPH_AUDIENCE) {
        None
    } else {
        Some(r.to_string())
    }
}

fn issue(
    state: &State,
    app: &App,
    user: Option<&str>,
    scopes: &[String],
    refresh: Option<String>,
) -> Response<Body> {
    let tenant_id = state.tenant().tenant_id().to_string();
    let user = user.and_then(|u| state.tenant().find(u).map(|u| u.signed_in()));
    let permissions: Vec<String> = if user.is_some() {
        scopes
            .iter()
            .filter_map(|s| normalize_permission(s))
            .filter(|p| !["offline_access", "openid", "profile", "email"].contains(&p.as_str()))
            // Delegated permissions are those consented for the app; an app with none listed has any.
            .filter(|p| {
                app.scopes.is_empty() || app.scopes.iter().any(|s| s.eq_ignore_ascii_case(p))
            })
            .collect()
    } else {
        app.roles.clone()
    };
    let grant = Grant {
        app_id: Some(app.app_id.clone()),
        tenant_id,
        audience: audience(state, scopes),
        permissions,
        user,
        expires_in: app.token_lifetime,
    };
    let token = state.tokens().mint(&Claims::from_grant(&grant, now()));
    remember(state, "accessToken", &token);
    let mut body = json!({"token_type": "Bearer", "scope": scopes.join(" "), "expires_in": app.token_lifetime, "ext_expires_in": app.token_lifetime, "access_token": token});
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    raw(200, "application/json; charset=utf-8", &body.to_string())
}

/// The app registered as `client_id`; the error is the authority's answer when there is none.
fn find_app(l: &Login, client_id: &str, tenant: &str) -> Result<App, Box<Response<Body>>> {
    l.apps.get(&client_id.to_ascii_lowercase()).cloned().ok_or_else(|| {
        Box::new(oauth_error(400, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.")))
    })
}

fn param(p: &HashMap<String, String>, key: &str) -> String {
    p.get(key).cloned().unwrap_or_default()
}

/// The token endpoint: one function per grant type, each taking the login lock it was called with
/// and letting it go before the token is minted.
fn token(
    state: &State,
    login: &Mutex<Login>,
    p: &HashMap<String, String>,
    url: &str,
    common: bool,
) -> Response<Body> {
    let tenant = state.tenant().tenant_id().to_string();
    let l = lock(login);
    match param(p, "grant_type").as_str() {
        "client_credentials" => client_credentials(state, l, p, &tenant, url, common),
        "urn:ietf:params:oauth:grant-type:device_code" => device_code(state, l, p, &tenant),
        "authorization_code" => authorization_code(state, l, p, &tenant),
        "refresh_token" => refresh_token(state, l, p, &tenant),
        other => oauth_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

/// An app signing in as itself, with a secret or a certificate assertion, for `<resource>/.default`.
fn client_credentials(
    state: &State,
    l: MutexGuard<'_, Login>,
    p: &HashMap<String, String>,
    tenant: &str,
    url: &str,
    common: bool,
) -> Response<Body> {
    if common {
        return oauth_error(400, "invalid_request", 90009, "Application is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier; use a tenant-specific endpoint.");
    }
    let client_id = param(p, "client_id");
    let app = match find_app(&l, &client_id, tenant) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    drop(l);
    let scopes = scopes(p);
    if scopes.len() != 1 || !scopes[0].ends_with("/.default") {
        return oauth_error(400, "invalid_scope", 1002012, &format!("The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", param(p, "scope")));
    }
    if let Err(response) = check_client_credential(p, &app, &client_id, url) {
        return *response;
    }
    issue(state, &app, None, &scopes, None)
}

/// The client proves it is the app: a current secret, or an assertion signed by a registered certificate.
fn check_client_credential(
    p: &HashMap<String, String>,
    app: &App,
    client_id: &str,
    url: &str,
) -> Result<(), Box<Response<Body>>> {
    let refuse = |status, error, code, message: &str| {
        Err(Box::new(oauth_error(status, error, code, message)))
    };
    if let Some(secret) = p.get("client_secret") {
        return match app.secrets.iter().find(|(v, _)| v == secret) {
            None => refuse(401, "invalid_client", 7000215, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.")),
            Some((_, exp)) if *exp <= now() => refuse(401, "invalid_client", 7000222, &format!("The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")),
            Some(_) => Ok(()),
        };
    }
    let Some(assertion) = p.get("client_assertion") else {
        return refuse(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    };
    if param(p, "client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    {
        return refuse(
            400,
            "invalid_request",
            50027,
            "Invalid client_assertion_type.",
        );
    }
    check_assertion(assertion, app, url)
        .or_else(|(code, message)| refuse(401, "invalid_client", code, &message))
}

/// A device polling for the user's answer: pending, too fast, declined, expired, or the tokens.
fn device_code(
    state: &State,
    mut l: MutexGuard<'_, Login>,
    p: &HashMap<String, String>,
    tenant: &str,
) -> Response<Body> {
    let code = param(p, "device_code");
    let t = now();
    if l.slow_downs > 0 && l.device_codes.contains_key(&code) {
        l.slow_downs -= 1;
        if let Some(entry) = l.device_codes.get_mut(&code) {
            entry.last_poll = t;
        }
        return oauth_error(
            400,
            "slow_down",
            70000,
            "The client is polling too quickly.",
        );
    }
    let Some(entry) = l.device_codes.get_mut(&code) else {
        return oauth_error(
            400,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        );
    };
    if t >= entry.expires_at {
        l.device_codes.remove(&code);
        return oauth_error(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
    }
    let too_soon = t - entry.last_poll < entry.interval && entry.decision.is_none();
    entry.last_poll = t;
    match entry.decision.take() {
        None if too_soon => oauth_error(
            400,
            "slow_down",
            70000,
            "The client is polling too quickly.",
        ),
        None => oauth_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        Some(Err(())) => {
            l.device_codes.remove(&code);
            oauth_error(
                400,
                "authorization_declined",
                70019,
                "The end user denied the authorization request.",
            )
        }
        Some(Ok(user)) => {
            let entry = l.device_codes.remove(&code).expect("present");
            let delegation = Delegation {
                client_id: entry.client_id,
                user_id: user,
                scopes: entry.scopes,
            };
            issue_delegated(state, l, &delegation, tenant)
        }
    }
}

/// A code from the browser sign-in (`authorize`), redeemed with the PKCE verifier it was asked with.
fn authorization_code(
    state: &State,
    mut l: MutexGuard<'_, Login>,
    p: &HashMap<String, String>,
    tenant: &str,
) -> Response<Body> {
    let Some(code) = l.auth_codes.remove(&param(p, "code")) else {
        return oauth_error(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity or was already redeemed.");
    };
    let challenge = b64(ring::digest::digest(
        &ring::digest::SHA256,
        param(p, "code_verifier").as_bytes(),
    )
    .as_ref());
    if challenge != code.challenge {
        return oauth_error(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
    }
    let client_id = param(p, "client_id");
    if code.redirect_uri != param(p, "redirect_uri")
        || !code.delegation.client_id.eq_ignore_ascii_case(&client_id)
    {
        return oauth_error(
            400,
            "invalid_grant",
            50148,
            "The redirect_uri or client_id does not match the authorization request.",
        );
    }
    // The app as the client names it now, which matches the code's without case.
    let delegation = Delegation {
        client_id,
        ..code.delegation
    };
    issue_delegated(state, l, &delegation, tenant)
}

/// A refresh token, used once: it is replaced by the new one issued with the tokens.
fn refresh_token(
    state: &State,
    mut l: MutexGuard<'_, Login>,
    p: &HashMap<String, String>,
    tenant: &str,
) -> Response<Body> {
    let Some(delegation) = l.refresh_tokens.remove(&param(p, "refresh_token")) else {
        return oauth_error(
            400,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'refresh_token' is not valid.",
        );
    };
    issue_delegated(state, l, &delegation, tenant)
}

/// The end of every delegated grant: the user's access token for the app, and a new refresh token.
fn issue_delegated(
    state: &State,
    mut l: MutexGuard<'_, Login>,
    delegation: &Delegation,
    tenant: &str,
) -> Response<Body> {
    let app = match find_app(&l, &delegation.client_id, tenant) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let refresh = new_refresh(
        &mut l,
        &delegation.client_id,
        &delegation.user_id,
        &delegation.scopes,
    );
    drop(l);
    issue(
        state,
        &app,
        Some(&delegation.user_id),
        &delegation.scopes,
        Some(refresh),
    )
}

fn scopes(p: &HashMap<String, String>) -> Vec<String> {
    param(p, "scope")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn new_refresh(l: &mut Login, client_id: &str, user: &str, scopes: &[String]) -> String {
    let token = b64(&rand::random::<[u8; 32]>());
    l.remember("refreshToken", &token);
    l.refresh_tokens.insert(
        token.clone(),
        Delegation {
            client_id: client_id.into(),
            user_id: user.into(),
            scopes: scopes.to_vec(),
        },
    );
    token
}

fn device_code_start(
    state: &State,
    login: &Mutex<Login>,
    p: &HashMap<String, String>,
) -> Response<Body> {
    let mut l = lock(login);
    let client_id = p.get("client_id").cloned().unwrap_or_default();
    let tenant = state.tenant().tenant_id().to_string();
    if let Err(r) = find_app(&l, &client_id, &tenant) {
        return *r;
    }
    let device_code = b64(&rand::random::<[u8; 32]>());
    let user_code: String = (0..9)
        .map(|_| (b'A' + rand::random::<u8>() % 26) as char)
        .collect();
    let uri = format!("{}/devicelogin", state.base_url());
    let (interval, expires_in) = (l.device_interval, l.device_expires_in);
    l.remember("deviceCode", &device_code);
    l.device_codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id,
            scopes: p
                .get("scope")
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            expires_at: now() + expires_in,
            interval,
            last_poll: 0,
            decision: None,
        },
    );
    let body = json!({
        "user_code": user_code, "device_code": device_code, "verification_uri": uri,
        "expires_in": expires_in, "interval": interval,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."),
    });
    raw(200, "application/json; charset=utf-8", &body.to_string())
}

fn authorize(login: &Mutex<Login>, p: &HashMap<String, String>) -> Response<Body> {
    let mut l = lock(login);
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    if !(redirect.starts_with("http://localhost:") || redirect.starts_with("http://127.0.0.1:")) {
        return raw(
            400,
            "text/html",
            "<html><body>AADSTS50011: The redirect URI is not a loopback address.</body></html>",
        );
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return raw(
            400,
            "text/html",
            "<html><body>AADSTS9002325: Proof Key for Code Exchange is required.</body></html>",
        );
    }
    let Some(user) = l.browser_user.take() else {
        let location = format!(
            "{redirect}/?error=access_denied&error_description={}&state={}",
            enc("AADSTS50126: No user completed the sign-in."),
            enc(&get("state"))
        );
        return redirect_to(&location);
    };
    let code = b64(&rand::random::<[u8; 24]>());
    l.remember("authorizationCode", &code);
    l.auth_codes.insert(
        code.clone(),
        AuthCode {
            delegation: Delegation {
                client_id: get("client_id"),
                user_id: user,
                scopes: get("scope")
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            },
            redirect_uri: redirect.clone(),
            challenge: get("code_challenge"),
        },
    );
    redirect_to(&format!(
        "{redirect}/?code={code}&state={}",
        enc(&get("state"))
    ))
}

fn managed_identity(
    state: &State,
    login: &Mutex<Login>,
    p: &HashMap<String, String>,
) -> Response<Body> {
    let l = lock(login);
    let resource = p.get("resource").cloned().unwrap_or_default();
    if resource.is_empty() {
        return oauth_error(
            400,
            "invalid_request",
            0,
            "Required query variable 'resource' is missing",
        );
    }
    let app = match p.get("client_id") {
        Some(id) => l
            .apps
            .get(&id.to_ascii_lowercase())
            .filter(|a| a.managed_identity.as_deref() == Some("user"))
            .cloned(),
        None => l
            .apps
            .values()
            .find(|a| a.managed_identity.as_deref() == Some("system"))
            .cloned(),
    };
    let Some(app) = app else {
        return oauth_error(400, "invalid_request", 0, "Identity not found");
    };
    drop(l);
    let scopes = vec![format!("{}/.default", resource.trim_end_matches('/'))];
    let tenant_id = state.tenant().tenant_id().to_string();
    let grant = Grant {
        app_id: Some(app.app_id.clone()),
        tenant_id,
        audience: audience(state, &scopes),
        permissions: app.roles.clone(),
        user: None,
        expires_in: app.token_lifetime,
    };
    let token = state.tokens().mint(&Claims::from_grant(&grant, now()));
    remember(state, "accessToken", &token);
    let t = now();
    let body = json!({
        "access_token": token, "expires_in": app.token_lifetime.to_string(), "expires_on": (t + app.token_lifetime).to_string(),
        "not_before": t.to_string(), "resource": resource, "token_type": "Bearer", "client_id": app.app_id,
    });
    raw(200, "application/json; charset=utf-8", &body.to_string())
}

/// Checks a client assertion: RS256 over a registered certificate found by x5t, aud = this
/// token endpoint, iss = sub = client id, within nbf/exp.
fn check_assertion(jwt: &str, app: &App, url: &str) -> Result<(), (u64, String)> {
    let bad = |code: u64, m: &str| (code, m.to_string());
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(bad(
            50027,
            "Invalid JWT token. The token is not in JWS format.",
        ));
    }
    let decode = |s: &str| base64::decode_config(s, base64::URL_SAFE_NO_PAD).ok();
    let header: Value = decode(parts[0])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad(50027, "Invalid JWT header."))?;
    let claims: Value = decode(parts[1])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad(50027, "Invalid JWT payload."))?;
    if header["alg"] != "RS256" {
        return Err(bad(
            5002738,
            "The client assertion must be signed with RS256.",
        ));
    }
    let x5t = header["x5t"].as_str().unwrap_or("");
    let cert = app
        .certificates
        .iter()
        .find(|c| b64(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, c).as_ref()) == x5t)
        .ok_or_else(|| bad(700027, &format!("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{x5t}']")))?;
    let key = rsa_public_key(cert)
        .ok_or_else(|| bad(700027, "The registered certificate has no RSA key."))?;
    let signature = decode(parts[2])
        .ok_or_else(|| bad(700027, "Client assertion contains an invalid signature."))?;
    let signed = format!("{}.{}", parts[0], parts[1]);
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| bad(700027, "Client assertion contains an invalid signature."))?;
    if claims["aud"].as_str() != Some(url) {
        return Err(bad(700212, &format!("No matching federated identity record found for presented assertion audience '{}'. The audience must be the token endpoint '{url}'.", claims["aud"].as_str().unwrap_or(""))));
    }
    if !claims["iss"]
        .as_str()
        .unwrap_or("")
        .eq_ignore_ascii_case(&app.app_id)
        || claims["sub"] != claims["iss"]
    {
        return Err(bad(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let t = now();
    let exp = claims["exp"].as_i64().unwrap_or(0);
    let nbf = claims["nbf"].as_i64().unwrap_or(0);
    if exp <= t || nbf > t + 300 {
        return Err(bad(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}

/// The PKCS#1 RSAPublicKey inside a DER certificate's SubjectPublicKeyInfo.
fn rsa_public_key(cert: &[u8]) -> Option<&[u8]> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = b.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (
                rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize),
                &rest[n..],
            )
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    let (_, certificate, _) = tlv(cert)?;
    let (_, mut tbs, _) = tlv(certificate)?;
    let (tag, _, rest) = tlv(tbs)?;
    if tag == 0xA0 {
        tbs = rest; // version
    }
    // serial, signature algorithm, issuer, validity, subject
    for _ in 0..5 {
        tbs = tlv(tbs)?.2;
    }
    let (_, spki, _) = tlv(tbs)?;
    let (_, algorithm, rest) = tlv(spki)?;
    // rsaEncryption OID 1.2.840.113549.1.1.1
    if !algorithm
        .windows(9)
        .any(|w| w == [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])
    {
        return None;
    }
    let (tag, bits, _) = tlv(rest)?;
    (tag == 0x03 && bits.first() == Some(&0)).then(|| &bits[1..])
}

fn oauth_error(status: u16, error: &str, code: u64, message: &str) -> Response<Body> {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let stamp = crate::clock::iso8601_seconds(SystemTime::now());
    let description = if code == 0 {
        message.to_string()
    } else {
        format!("AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}")
    };
    let body = json!({
        "error": error, "error_description": description,
        "error_codes": if code == 0 { json!([]) } else { json!([code]) },
        "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    raw(status, "application/json; charset=utf-8", &body.to_string())
}

fn raw(status: u16, content_type: &str, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Body::from(body.to_string()))
        .expect("valid response")
}

fn redirect_to(location: &str) -> Response<Body> {
    Response::builder()
        .status(302)
        .header("location", location)
        .body(Body::empty())
        .expect("valid response")
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn form(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str =
        include_str!("../../../tests/data/assertion/test-only-assertion-signer.cert.pem");
    const KEY: &str =
        include_str!("../../../tests/data/assertion/test-only-assertion-signer.key.pem");
    const URL: &str = "http://127.0.0.1:1/tenant/oauth2/v2.0/token";
    const APP_ID: &str = "11111111-2222-3333-4444-555555555555";

    fn der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::decode(body).unwrap()
    }

    fn app() -> App {
        App {
            app_id: APP_ID.into(),
            certificates: vec![der(CERT)],
            ..App::default()
        }
    }

    fn thumbprint() -> String {
        b64(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der(CERT)).as_ref())
    }

    /// A client assertion as a client builds one, with `header` and `claims` as given, signed
    /// with the test key.
    fn assertion(header: Value, claims: Value) -> String {
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let key = ring::signature::RsaKeyPair::from_pkcs8(&der(KEY)).unwrap();
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        format!("{signing_input}.{}", b64(&signature))
    }

    fn header() -> Value {
        serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": thumbprint()})
    }

    fn claims() -> Value {
        let t = now();
        serde_json::json!({"aud": URL, "iss": APP_ID, "sub": APP_ID, "jti": "j1", "nbf": t - 10, "exp": t + 600})
    }

    fn code(jwt: &str) -> Option<u64> {
        check_assertion(jwt, &app(), URL)
            .err()
            .map(|(code, _)| code)
    }

    fn with(mut v: Value, name: &str, value: Value) -> Value {
        v[name] = value;
        v
    }

    #[test]
    fn a_well_formed_assertion_is_accepted() {
        assert_eq!(code(&assertion(header(), claims())), None);
    }

    #[test]
    fn an_assertion_for_another_audience_is_refused() {
        let jwt = assertion(
            header(),
            with(
                claims(),
                "aud",
                "https://login.microsoftonline.com/other/oauth2/v2.0/token".into(),
            ),
        );
        assert_eq!(code(&jwt), Some(700212));
        let (_, message) = check_assertion(&jwt, &app(), URL).unwrap_err();
        assert!(
            message.contains("login.microsoftonline.com/other") && message.contains(URL),
            "{message}"
        );
        assert_eq!(
            code(&assertion(header(), with(claims(), "aud", Value::Null))),
            Some(700212)
        );
    }

    #[test]
    fn an_assertion_outside_its_time_range_is_refused() {
        let t = now();
        assert_eq!(
            code(&assertion(header(), with(claims(), "exp", (t - 1).into()))),
            Some(700024)
        );
        assert_eq!(
            code(&assertion(header(), with(claims(), "exp", Value::Null))),
            Some(700024)
        );
        assert_eq!(
            code(&assertion(
                header(),
                with(claims(), "nbf", (t + 3600).into())
            )),
            Some(700024)
        );
    }

    #[test]
    fn an_assertion_from_another_app_is_refused() {
        assert_eq!(
            code(&assertion(
                header(),
                with(claims(), "iss", "someone-else".into())
            )),
            Some(700021)
        );
        assert_eq!(
            code(&assertion(
                header(),
                with(claims(), "sub", "someone-else".into())
            )),
            Some(700021)
        );
    }

    #[test]
    fn an_assertion_not_signed_by_a_registered_certificate_is_refused() {
        // Another thumbprint: the key is not registered.
        assert_eq!(
            code(&assertion(
                with(header(), "x5t", b64(&[0u8; 20]).into()),
                claims()
            )),
            Some(700027)
        );
        // The claims changed after signing.
        let jwt = assertion(header(), claims());
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(with(claims(), "iss", "x".into()).to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(code(&forged), Some(700027));
        // Not RS256, or not a JWS at all.
        assert_eq!(
            code(&assertion(with(header(), "alg", "HS256".into()), claims())),
            Some(5002738)
        );
        assert_eq!(code("not-a-jwt"), Some(50027));
        assert_eq!(code("e30.e30"), Some(50027));
    }
}
