//! Graph's URL space: the API version, the path's segments and the resource they name.
//!
//! Pure functions of the raw path, so the routing rules are tested without a server.

use percent_encoding::percent_decode_str;

use crate::respond::GraphError;
use crate::tenant::ReprocessAction;

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
    /// `GET /users/{id}`, `GET /me`.
    User(Subject),
    /// `GET /users`.
    Users,
    SubscribedSkus,
    /// `GET /subscribedSkus/{id}`.
    SubscribedSku(String),
    Groups,
    Group(String),
    MembersWithLicenseErrors(String),
    /// `GET /users/{id}/licenseDetails`, `GET /me/licenseDetails`; with an id, one of them.
    LicenseDetails(Subject, Option<String>),
    /// `POST /users/{id}/assignLicense`.
    AssignLicense(Subject),
    /// `GET /groups/{id}/members`.
    GroupMembers(String),
    /// `POST /groups/{id}/members/$ref`: add a member.
    GroupMemberRefs(String),
    /// `DELETE /groups/{id}/members/{member-id}/$ref`: remove a member.
    GroupMemberRef {
        group: String,
        member: String,
    },
    /// `GET /groups/{id}/membersWithLicenseErrors/{directoryObjectId}`.
    MemberWithLicenseError(String, String),
    /// `POST /$batch`.
    Batch,
    /// Real Graph resources (cloudLicensing navigation, `$count` segments...) the emulator does not serve.
    NotImplemented,
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
    let rest = &segments[1..];
    if first.eq_ignore_ascii_case("$batch") {
        return match rest.first() {
            None => Ok(Route::Batch),
            Some(unknown) => Err(GraphError::unknown_segment(unknown)),
        };
    }
    if first.eq_ignore_ascii_case("subscribedSkus") {
        return match rest {
            [] => Ok(Route::SubscribedSkus),
            [key] if key.starts_with('$') => Ok(Route::NotImplemented),
            [key] => Ok(Route::SubscribedSku(key.clone())),
            [_, unknown, ..] => Err(GraphError::unknown_segment(unknown)),
        };
    }
    if first.eq_ignore_ascii_case("groups") {
        return group_route(rest);
    }
    let (subject, rest) = if first.eq_ignore_ascii_case("me") {
        (Subject::Me, rest)
    } else if first.eq_ignore_ascii_case("users") {
        match segments.get(1) {
            None => return Ok(Route::Users),
            Some(key) if key.eq_ignore_ascii_case("$count") => return Ok(Route::NotImplemented),
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
        (Subject::User(key), rest)
    } else {
        return Err(GraphError::unknown_segment(first));
    };
    user_route(version, subject, rest)
}

/// What follows `/groups`.
fn group_route(rest: &[String]) -> Result<Route, GraphError> {
    match rest {
        [] => Ok(Route::Groups),
        [key] if key.starts_with('$') => Ok(Route::NotImplemented),
        [key] => Ok(Route::Group(key.clone())),
        [key, navigation] if navigation.eq_ignore_ascii_case("membersWithLicenseErrors") => {
            Ok(Route::MembersWithLicenseErrors(key.clone()))
        }
        [key, members] if members.eq_ignore_ascii_case("members") => {
            Ok(Route::GroupMembers(key.clone()))
        }
        [key, members, reference]
            if members.eq_ignore_ascii_case("members")
                && reference.eq_ignore_ascii_case("$ref") =>
        {
            Ok(Route::GroupMemberRefs(key.clone()))
        }
        [key, members, member, reference]
            if members.eq_ignore_ascii_case("members")
                && reference.eq_ignore_ascii_case("$ref")
                && !member.is_empty() =>
        {
            Ok(Route::GroupMemberRef {
                group: key.clone(),
                member: member.clone(),
            })
        }
        [key, navigation, member]
            if navigation.eq_ignore_ascii_case("membersWithLicenseErrors")
                && !member.starts_with('$') =>
        {
            Ok(Route::MemberWithLicenseError(key.clone(), member.clone()))
        }
        [_, navigation, ..]
            if ["members", "transitiveMembers", "memberOf", "owners"]
                .iter()
                .any(|n| navigation.eq_ignore_ascii_case(n)) =>
        {
            Ok(Route::NotImplemented)
        }
        [_, unknown, ..] => Err(GraphError::unknown_segment(unknown)),
    }
}

/// What follows `/users/{key}` or `/me`: the user itself, or one of its license actions.
fn user_route(version: Version, subject: Subject, rest: &[String]) -> Result<Route, GraphError> {
    let action = match rest {
        [] => return Ok(Route::User(subject)),
        [name] if is_action(name, "reprocessLicenseAssignment") => {
            ReprocessAction::LicenseAssignment
        }
        [name] if is_action(name, "assignLicense") => return Ok(Route::AssignLicense(subject)),
        [navigation] if navigation.eq_ignore_ascii_case("licenseDetails") => {
            return Ok(Route::LicenseDetails(subject, None))
        }
        [navigation, id] if navigation.eq_ignore_ascii_case("licenseDetails") && !id.is_empty() => {
            return Ok(Route::LicenseDetails(subject, Some(id.clone())))
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
        [navigation, ..]
            if [
                "licenseDetails",
                "memberOf",
                "manager",
                "transitiveMemberOf",
            ]
            .iter()
            .any(|n| navigation.eq_ignore_ascii_case(n)) =>
        {
            return Ok(Route::NotImplemented)
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
        assert_eq!(
            route("/v1.0/users/x"),
            Ok(Route::User(Subject::User("x".into())))
        );
        assert_eq!(route("/v1.0/users"), Ok(Route::Users));
        assert_eq!(route("/beta/me"), Ok(Route::User(Subject::Me)));
        assert_eq!(route("/v1.0/groups/x"), Ok(Route::Group("x".into())));
        assert_eq!(
            route("/v1.0/groups/x/MembersWithLicenseErrors"),
            Ok(Route::MembersWithLicenseErrors("x".into()))
        );
        assert_eq!(
            route("/v1.0/groups/x/reprocessLicenseAssignment"),
            Err("Resource not found for the segment 'reprocessLicenseAssignment'.".into())
        );
        assert_eq!(route("/beta/subscribedSkus"), Ok(Route::SubscribedSkus));
        assert_eq!(
            route("/v1.0/subscribedSkus/t_s"),
            Ok(Route::SubscribedSku("t_s".into()))
        );
        assert_eq!(
            route("/v1.0/groups/g/membersWithLicenseErrors/u"),
            Ok(Route::MemberWithLicenseError("g".into(), "u".into()))
        );
        assert_eq!(route("/v1.0/$batch"), Ok(Route::Batch));
        assert_eq!(
            route("/v1.0/users/x/licenseDetails"),
            Ok(Route::LicenseDetails(Subject::User("x".into()), None))
        );
        assert_eq!(
            route("/v1.0/users/x/licenseDetails/d%2F1"),
            Ok(Route::LicenseDetails(
                Subject::User("x".into()),
                Some("d/1".into())
            ))
        );
        assert_eq!(
            route("/v1.0/users/a%2Fb/microsoft.graph.assignLicense"),
            Ok(Route::AssignLicense(Subject::User("a/b".into())))
        );
        assert_eq!(
            route("/v1.0/groups/g/members"),
            Ok(Route::GroupMembers("g".into()))
        );
        assert_eq!(
            route("/v1.0/groups/g/members/$ref"),
            Ok(Route::GroupMemberRefs("g".into()))
        );
        assert_eq!(
            route("/v1.0/groups/g/members/u%2F1/$ref"),
            Ok(Route::GroupMemberRef {
                group: "g".into(),
                member: "u/1".into()
            })
        );
        assert_eq!(
            route("/v1.0/groups/g/members/u1"),
            Ok(Route::NotImplemented)
        );
        assert_eq!(
            route("/v1.0/nothing"),
            Err("Resource not found for the segment 'nothing'.".into())
        );
        assert_eq!(route("/v2.0/users/x"), Err("Invalid version: v2.0".into()));
        // Multi-byte characters where a prefix would end must not panic.
        assert!(route("/v1.0/userxé'x')/reprocessLicenseAssignment").is_err());
        assert!(route("/v1.0/users/x/microsoft.grapxéreprocessLicenseAssignment").is_err());
        assert!(route("/v1.0/users/x/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9reprocessLicenseAssignment").is_err());
    }
}
