//! The writes a license repair makes before it reprocesses: a user's properties (`PATCH /users/{id}`), direct
//! licenses (`POST /users/{id}/assignLicense`) and group memberships (`POST /groups/{id}/members/$ref`,
//! `DELETE /groups/{id}/members/{id}/$ref`), answered as Graph answers them, errors included.
//!
//! What each write does to license states is Entra's: a changed usage location changes nothing until the user is
//! processed again (reprocessing), a direct assignment is processed at once and refused when it cannot be honoured,
//! and a membership change processes the member (after the processing delay, if one is set).

use hyper::StatusCode;
use serde_json::{Map, Value};

use crate::catalog::LicenseIntent;
use crate::reads;
use crate::respond::GraphError;
use crate::tenant::{normalize_proxy_address, AssignError, ChangeError, Tenant};

/// Properties of a user that Graph computes or that only other services write: a PATCH naming one is refused.
const READ_ONLY_USER_PROPERTIES: &[&str] = &[
    "id",
    "assignedLicenses",
    "assignedPlans",
    "licenseAssignmentStates",
    "licenseDetails",
    "provisionedPlans",
    "proxyAddresses",
    "createdDateTime",
    "deletedDateTime",
    "creationType",
    "externalUserStateChangeDateTime",
    "lastPasswordChangeDateTime",
    "onPremisesSyncEnabled",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSecurityIdentifier",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesSamAccountName",
    "onPremisesUserPrincipalName",
    "securityIdentifier",
    "signInActivity",
    "memberOf",
    "transitiveMemberOf",
];

fn request_bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(GraphError::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )),
    }
}

/// `PATCH /users/{id}`: Graph's property names only, writable ones only; `usageLocation` a two-letter country code.
pub fn update_user(tenant: &mut Tenant, key: &str, body: &[u8]) -> Result<(), GraphError> {
    let found = tenant
        .find_active(key)
        .ok_or_else(|| GraphError::user_not_found(key))?;
    let id = found.id().to_owned();
    let mut changes = Map::new();
    for (name, value) in json_object(body)? {
        if name.starts_with("@odata.") {
            continue;
        }
        let Some(canonical) = reads::user_properties()
            .iter()
            .find(|p| p.eq_ignore_ascii_case(&name))
        else {
            return Err(request_bad(format!(
                "Property '{name}' does not exist as a declared property or extension property."
            )));
        };
        if READ_ONLY_USER_PROPERTIES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(canonical))
        {
            return Err(request_bad(format!(
                "Property '{canonical}' is read-only and cannot be set."
            )));
        }
        let value =
            match (*canonical, value) {
                ("usageLocation", Value::String(code)) => {
                    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(request_bad(
                        "Invalid value specified for property 'usageLocation' of resource 'User'.",
                    ));
                    }
                    Value::from(code.to_ascii_uppercase())
                }
                ("usageLocation", Value::Null) => Value::Null,
                ("usageLocation", _) => {
                    return Err(request_bad(
                        "Invalid value specified for property 'usageLocation' of resource 'User'.",
                    ))
                }
                ("userPrincipalName", Value::String(upn)) if !upn.trim().is_empty() => {
                    Value::String(upn)
                }
                ("userPrincipalName", _) => return Err(request_bad(
                    "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
                )),
                ("mail", Value::String(address)) if is_smtp_address(&address) => {
                    let proxies = proxy_addresses_for_mail(tenant, &id, &address)?;
                    changes.insert("proxyAddresses".to_owned(), proxies);
                    Value::String(address)
                }
                ("mail", _) => {
                    return Err(request_bad(
                        "Invalid value specified for property 'mail' of resource 'User'.",
                    ))
                }
                (_, value) => value,
            };
        changes.insert((*canonical).to_owned(), value);
    }
    match tenant.patch_user(&id, changes) {
        Ok(_) => Ok(()),
        Err(ChangeError::NotFound(_)) => Err(GraphError::user_not_found(key)),
        Err(ChangeError::Conflict(_)) => Err(request_bad(
            "Another object with the same value for property userPrincipalName already exists.",
        )),
        Err(ChangeError::Invalid(message)) => Err(request_bad(message)),
    }
}

fn is_smtp_address(address: &str) -> bool {
    matches!(address.split_once('@'), Some((local, domain))
        if !local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace) && !address.contains(':'))
}

/// A user's proxy addresses once `mail` becomes `address`, as Entra keeps them for a user without a mailbox:
/// the new mail is the primary address (`SMTP:`) in place of the old mail's, the other addresses stay
/// secondary. Refused, as Graph refuses it, when another object already has the address.
fn proxy_addresses_for_mail(tenant: &Tenant, id: &str, address: &str) -> Result<Value, GraphError> {
    let wanted = normalize_proxy_address(address);
    if tenant
        .active_users()
        .any(|u| u.id() != id && u.proxy_addresses().contains(&wanted))
    {
        return Err(request_bad(
            "Another object with the same value for property proxyAddresses already exists.",
        ));
    }
    let user = tenant
        .find_active(id)
        .ok_or_else(|| GraphError::user_not_found(id))?;
    let old_mail = user
        .properties()
        .get("mail")
        .and_then(Value::as_str)
        .map(normalize_proxy_address);
    let mut addresses = vec![Value::from(format!("SMTP:{address}"))];
    for existing in user
        .properties()
        .get("proxyAddresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let bare = normalize_proxy_address(existing);
        let is_smtp = existing
            .split_once(':')
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("smtp"));
        if bare == wanted || (is_smtp && Some(&bare) == old_mail.as_ref()) {
            continue;
        }
        addresses.push(Value::from(match existing.strip_prefix("SMTP:") {
            Some(rest) => format!("smtp:{rest}"),
            None => existing.to_owned(),
        }));
    }
    Ok(Value::Array(addresses))
}

/// A GUID as OData reads an Edm.Guid, or its refusal.
fn guid(value: &Value) -> Result<String, GraphError> {
    let text = value.as_str().unwrap_or_default();
    match uuid::Uuid::parse_str(text) {
        Ok(id) if text.len() == 36 => Ok(id.to_string()),
        _ => Err(GraphError::bad_request(format!(
            "Cannot convert the literal '{}' to the expected type 'Edm.Guid'.",
            value
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| value.to_string())
        ))),
    }
}

/// `POST /users/{id}/assignLicense`: `addLicenses` (skuId, disabledPlans) and `removeLicenses` (skuIds), both
/// required, as Graph requires them. Answers the user.
pub fn assign_license(tenant: &mut Tenant, key: &str, body: &[u8]) -> Result<Value, GraphError> {
    let object = json_object(body)?;
    let missing: Vec<&str> = ["addLicenses", "removeLicenses"]
        .into_iter()
        .filter(|name| !object.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        return Err(request_bad(format!(
            "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: {}.",
            missing.join(", ")
        )));
    }
    let mut add = Vec::new();
    for license in object["addLicenses"].as_array().into_iter().flatten() {
        let sku_id = guid(license.get("skuId").unwrap_or(&Value::Null))?;
        let mut disabled_plans = Vec::new();
        for plan in license
            .get("disabledPlans")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            disabled_plans.push(guid(plan)?);
        }
        add.push(LicenseIntent {
            sku_id,
            disabled_plans,
        });
    }
    let mut remove = Vec::new();
    for sku in object["removeLicenses"].as_array().into_iter().flatten() {
        remove.push(guid(sku)?);
    }
    match tenant.assign_license(key, add, remove) {
        Ok(user) => Ok(Value::Object(user.properties().clone())),
        Err(error) => Err(assign_error(tenant, key, error)),
    }
}

fn assign_error(tenant: &Tenant, key: &str, error: AssignError) -> GraphError {
    match error {
        AssignError::UserNotFound => GraphError::user_not_found(key),
        AssignError::UnknownSku(sku) => request_bad(format!(
            "License {sku} does not correspond to a valid company License."
        )),
        AssignError::Inherited(_) => request_bad(
            "User license is inherited from a group membership and it cannot be removed directly from the user.",
        ),
        AssignError::NotAssigned(sku) => request_bad(format!(
            "User does not have a corresponding license {sku} to remove."
        )),
        AssignError::Refused { error, sku_id } => {
            let part = tenant
                .sku(&sku_id)
                .map(|s| s.sku_part_number.clone())
                .unwrap_or_else(|| sku_id.clone());
            request_bad(match error.as_str() {
                "ProhibitedInUsageLocationViolation" => {
                    "License assignment cannot be done for user with invalid usage location.".to_owned()
                }
                "CountViolation" => {
                    format!("Subscription {sku_id} ({part}) does not have any available licenses.")
                }
                "MutuallyExclusiveViolation" => format!(
                    "License assignment failed because service plans of {part} are mutually exclusive with plans the user already has."
                ),
                "DependencyViolation" => format!(
                    "License assignment failed because a service plan of {part} depends on a service plan that is not enabled."
                ),
                "UniquenessViolation" => format!(
                    "License assignment of {part} failed because a proxy address of the user is already used by another object."
                ),
                _ => format!("License assignment of {part} failed."),
            })
        }
    }
}

/// The object id in a `$ref` body's `@odata.id`: `…/directoryObjects/{id}` or `…/users/{id}`.
fn referenced_id(body: &[u8]) -> Result<String, GraphError> {
    let object = json_object(body)?;
    let reference = object
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            GraphError::bad_request("The request body must hold an '@odata.id' naming the object.")
        })?;
    let path = reference.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.rsplit('/');
    let id = segments.next().unwrap_or_default();
    let collection = segments.next().unwrap_or_default();
    if id.is_empty()
        || !["directoryObjects", "users"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(collection))
    {
        return Err(GraphError::bad_request(format!(
            "Invalid object identifier '{reference}'."
        )));
    }
    Ok(percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned())
}

/// `POST /groups/{id}/members/$ref`: adds a user; a member already there is Graph's 400.
pub fn add_member(tenant: &mut Tenant, group: &str, body: &[u8]) -> Result<(), GraphError> {
    let member = referenced_id(body)?;
    let group_id = tenant
        .groups()
        .iter()
        .find(|g| g.id.eq_ignore_ascii_case(group))
        .map(|g| g.id.clone())
        .ok_or_else(|| GraphError::user_not_found(group))?;
    let user_id = tenant
        .find_active(&member)
        .map(|u| u.id().to_owned())
        .ok_or_else(|| GraphError::user_not_found(&member))?;
    if tenant
        .group(&group_id)
        .is_some_and(|g| g.has_member(&user_id))
    {
        return Err(request_bad(
            "One or more added object references already exist for the following modified properties: 'members'.",
        ));
    }
    tenant
        .add_members(&group_id, std::slice::from_ref(&user_id))
        .map_err(|e| request_bad(e.message().to_owned()))?;
    tenant.membership_changed(&user_id);
    Ok(())
}

/// `DELETE /groups/{id}/members/{member-id}/$ref`: removes a member; one that is not there is Graph's 404.
pub fn remove_member(tenant: &mut Tenant, group: &str, member: &str) -> Result<(), GraphError> {
    let group_id = tenant
        .groups()
        .iter()
        .find(|g| g.id.eq_ignore_ascii_case(group))
        .map(|g| g.id.clone())
        .ok_or_else(|| GraphError::user_not_found(group))?;
    let user_id = tenant
        .find(member)
        .map(|u| u.id().to_owned())
        .filter(|id| tenant.group(&group_id).is_some_and(|g| g.has_member(id)))
        .ok_or_else(|| GraphError::user_not_found(member))?;
    tenant
        .remove_member(&group_id, &user_id)
        .map_err(|_| GraphError::user_not_found(member))?;
    tenant.membership_changed(&user_id);
    Ok(())
}
