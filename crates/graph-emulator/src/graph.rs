//! Graph's URL space as the emulator serves it: resolve the raw path, authenticate, authorize, then act on the tenant.
//!
//! Checks run in the order Graph's front door appears to apply them: version, token, path, method,
//! `/me` needs a user, Content-Type (draft action only), permission, user lookup.

use hyper::header::{HeaderMap, HeaderName, CONTENT_TYPE};
use hyper::{Body, Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::auth::{Claims, TokenError};
use crate::clock;
use crate::respond::{self, GraphError, RequestIds};
use crate::server::State;
use crate::tenant::{ReprocessAction, User};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    Beta,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
}

/// Whose licenses: a user named in the URL (id or UPN, already percent-decoded) or the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Me,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Reprocess {
        subject: Subject,
        action: ReprocessAction,
    },
    /// Real Graph resources (a user, the users collection, cloudLicensing navigation) the emulator does not serve yet.
    NotImplemented,
}

/// Answers one Graph request and records it in the request log.
pub async fn handle(state: &State, request: Request<Body>) -> Response<Body> {
    let ids = RequestIds::for_request(request.headers());
    let pending = state.log().begin(
        request.method(),
        request.uri().path(),
        request.uri().query(),
        request.headers(),
        &ids.request_id,
    );
    let response = match answer(state, &request, &ids) {
        Ok(response) => response,
        Err(error) => respond::graph_error(&ids, &error),
    };
    state.log().finish(pending, response.status().as_u16());
    response
}

fn answer(
    state: &State,
    request: &Request<Body>,
    ids: &RequestIds,
) -> Result<Response<Body>, GraphError> {
    let segments = decode_segments(request.uri().path());
    let version = parse_version(&segments[0])?;
    let claims = authenticate(state, request.headers())?;
    let (subject, action) = match parse_route(version, &segments[1..])? {
        Route::Reprocess { subject, action } => (subject, action),
        Route::NotImplemented => {
            return Err(GraphError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!(
                    "The Graph emulator does not serve {} {} yet.",
                    request.method(),
                    request.uri().path()
                ),
            ))
        }
    };
    if request.method() != Method::POST {
        return Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
        .with_header(hyper::header::ALLOW, "POST"));
    }
    let key = match subject {
        Subject::User(key) => key,
        Subject::Me if claims.is_delegated() => claims.oid.clone(),
        Subject::Me => {
            return Err(GraphError::bad_request(
                "/me request is only valid with delegated authentication flow.",
            ))
        }
    };
    if action == ReprocessAction::LicenseAssignment2 {
        require_json_content_type(request.headers())?;
    }
    if !claims.has_any(required_permissions(action, &claims)) {
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

/// Splits the raw path on '/' before decoding, so an escaped `%2F` stays inside its segment.
pub fn decode_segments(raw_path: &str) -> Vec<String> {
    let trimmed = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let mut segments: Vec<String> = trimmed
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    // Graph tolerates one trailing slash.
    if segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    segments
}

pub fn parse_version(segment: &str) -> Result<Version, GraphError> {
    if segment.eq_ignore_ascii_case("v1.0") {
        Ok(Version::V1)
    } else if segment.eq_ignore_ascii_case("beta") {
        Ok(Version::Beta)
    } else {
        Err(GraphError::bad_request(format!(
            "Invalid version: {segment}"
        )))
    }
}

/// Resolves the decoded segments after the version. Segment names match without case, as Graph's do.
pub fn parse_route(version: Version, segments: &[String]) -> Result<Route, GraphError> {
    let Some(first) = segments.first() else {
        return Ok(Route::NotImplemented);
    };
    let (subject, rest) = if first.eq_ignore_ascii_case("me") {
        (Subject::Me, &segments[1..])
    } else if first.eq_ignore_ascii_case("users") {
        match segments.get(1) {
            None => return Ok(Route::NotImplemented),
            // `/users/$x@y` would be read as an OData system segment; Graph wants `/users('$x@y')`.
            Some(key) if key.is_empty() || key.starts_with('$') => {
                return Err(GraphError::unknown_segment(key))
            }
            Some(key) => (Subject::User(key.clone()), &segments[2..]),
        }
    } else if let Some(key) = parenthesized_key(first) {
        if key.is_empty() {
            return Err(GraphError::unknown_segment(first));
        }
        (Subject::User(key), &segments[1..])
    } else {
        return Err(GraphError::unknown_segment(first));
    };

    let action = match rest {
        [] => return Ok(Route::NotImplemented),
        [name] if is_action(name, "reprocessLicenseAssignment") => {
            ReprocessAction::LicenseAssignment
        }
        [name] if version == Version::Beta && is_action(name, "reprocessLicenseAssignment2") => {
            ReprocessAction::LicenseAssignment2
        }
        [navigation, tail @ ..]
            if version == Version::Beta && navigation.eq_ignore_ascii_case("cloudLicensing") =>
        {
            match tail {
                [] => return Ok(Route::NotImplemented),
                [assignments] if assignments.eq_ignore_ascii_case("assignments") => {
                    return Ok(Route::NotImplemented)
                }
                [assignments, name]
                    if assignments.eq_ignore_ascii_case("assignments")
                        && (name.eq_ignore_ascii_case("reprocessAssignments")
                            || name.eq_ignore_ascii_case(
                                "microsoft.graph.cloudLicensing.reprocessAssignments",
                            )) =>
                {
                    ReprocessAction::CloudLicensingAssignments
                }
                [assignments, unknown, ..] if assignments.eq_ignore_ascii_case("assignments") => {
                    return Err(GraphError::unknown_segment(unknown))
                }
                [unknown, ..] => return Err(GraphError::unknown_segment(unknown)),
            }
        }
        [unknown, ..] => return Err(GraphError::unknown_segment(unknown)),
    };
    Ok(Route::Reprocess { subject, action })
}

/// Bound actions may be called by name or namespace-qualified.
fn is_action(segment: &str, name: &str) -> bool {
    segment.eq_ignore_ascii_case(name)
        || strip_prefix_ignore_case(segment, "microsoft.graph.")
            .is_some_and(|rest| rest.eq_ignore_ascii_case(name))
}

/// `users('<key>')`, OData's key syntax, with `''` standing for a quote inside the key.
fn parenthesized_key(segment: &str) -> Option<String> {
    let inner = strip_prefix_ignore_case(segment, "users(")?
        .strip_suffix(')')?
        .trim();
    match inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(quoted) => Some(quoted.replace("''", "'")),
        None => Some(inner.to_owned()),
    }
}

// `get` rather than slicing: a decoded segment may hold multi-byte characters anywhere.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Result<Route, String> {
        let segments = decode_segments(path);
        let version = parse_version(&segments[0]).map_err(|e| e.message)?;
        parse_route(version, &segments[1..]).map_err(|e| e.message)
    }

    fn user(key: &str, action: ReprocessAction) -> Result<Route, String> {
        Ok(Route::Reprocess {
            subject: Subject::User(key.into()),
            action,
        })
    }

    #[test]
    fn escaped_slash_stays_in_the_id() {
        assert_eq!(
            route("/v1.0/users/a%2Fb/reprocessLicenseAssignment"),
            user("a/b", ReprocessAction::LicenseAssignment)
        );
        assert_eq!(
            route("/v1.0/users/alice_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com/reprocessLicenseAssignment"),
            user("alice_fabrikam.com#EXT#@contoso.onmicrosoft.com", ReprocessAction::LicenseAssignment)
        );
    }

    #[test]
    fn key_syntax_and_dollar_upns() {
        assert_eq!(
            route("/beta/users('$adm@contoso.com')/reprocessLicenseAssignment"),
            user("$adm@contoso.com", ReprocessAction::LicenseAssignment)
        );
        assert_eq!(
            route("/beta/users(%27%24adm%40contoso.com%27)/reprocessLicenseAssignment"),
            user("$adm@contoso.com", ReprocessAction::LicenseAssignment)
        );
        assert_eq!(
            route("/v1.0/users('patrick.o''brien@contoso.com')/reprocessLicenseAssignment"),
            user(
                "patrick.o'brien@contoso.com",
                ReprocessAction::LicenseAssignment
            )
        );
        assert_eq!(
            route("/v1.0/users/$adm@contoso.com/reprocessLicenseAssignment"),
            Err("Resource not found for the segment '$adm@contoso.com'.".into())
        );
    }

    #[test]
    fn actions_depend_on_version() {
        assert_eq!(
            route("/beta/users/x/cloudLicensing/assignments/reprocessAssignments"),
            user("x", ReprocessAction::CloudLicensingAssignments)
        );
        assert_eq!(
            route("/v1.0/users/x/cloudLicensing/assignments/reprocessAssignments"),
            Err("Resource not found for the segment 'cloudLicensing'.".into())
        );
        assert_eq!(
            route("/beta/me/reprocessLicenseAssignment2"),
            Ok(Route::Reprocess {
                subject: Subject::Me,
                action: ReprocessAction::LicenseAssignment2
            })
        );
        assert_eq!(
            route("/v1.0/users/x/reprocessLicenseAssignment2"),
            Err("Resource not found for the segment 'reprocessLicenseAssignment2'.".into())
        );
        assert_eq!(
            route("/v1.0/users/x/microsoft.graph.reprocessLicenseAssignment/"),
            user("x", ReprocessAction::LicenseAssignment)
        );
        assert_eq!(
            route("/beta/users/x/cloudLicensing/assignments/nope"),
            Err("Resource not found for the segment 'nope'.".into())
        );
        assert_eq!(route("/v1.0/users/x"), Ok(Route::NotImplemented));
        assert_eq!(
            route("/v1.0/groups/x"),
            Err("Resource not found for the segment 'groups'.".into())
        );
        assert_eq!(route("/v2.0/users/x"), Err("Invalid version: v2.0".into()));
        // Multi-byte characters where a prefix would end must not panic.
        assert!(route("/v1.0/userxé'x')/reprocessLicenseAssignment").is_err());
        assert!(route("/v1.0/users/x/microsoft.grapxéreprocessLicenseAssignment").is_err());
        assert!(route("/v1.0/users/x/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9reprocessLicenseAssignment").is_err());
    }
}
