//! The reads a runbook makes around reprocessing: users (one, or a filtered, paged list), subscribed SKUs,
//! groups with license errors and their failing members — each shaped as Graph answers it, v1.0 and beta.

use std::sync::OnceLock;

use hyper::header::HeaderMap;
use serde_json::{json, Map, Value};

use crate::catalog::Group;
use crate::query::{self, Query};
use crate::respond::GraphError;
use crate::route::Version;
use crate::tenant::{Tenant, User};

/// What v1.0 returns for a user without `$select`.
pub const V1_DEFAULT_USER_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Every property Graph v1.0 defines on user and on group: what a `$select` may name, whether or not an object has a
/// value for it. Generated from the Graph .NET SDK's models; `graph_properties.json` says how, and
/// tests/Emulator.Tests checks it against them.
struct GraphProperties {
    user: Vec<&'static str>,
    group: Vec<&'static str>,
}

fn graph_properties() -> &'static GraphProperties {
    static LIST: OnceLock<Value> = OnceLock::new();
    static PROPERTIES: OnceLock<GraphProperties> = OnceLock::new();
    PROPERTIES.get_or_init(|| {
        let list = LIST.get_or_init(|| {
            serde_json::from_str(include_str!("graph_properties.json"))
                .expect("graph_properties.json is JSON")
        });
        let listed = |kind: &str| -> Vec<&'static str> {
            list[kind]
                .as_array()
                .expect("graph_properties.json lists user and group")
                .iter()
                .filter_map(Value::as_str)
                .collect()
        };
        GraphProperties {
            user: listed("user"),
            group: listed("group"),
        }
    })
}

/// Properties of microsoft.graph.user.
pub fn user_properties() -> &'static [&'static str] {
    &graph_properties().user
}

/// Properties of microsoft.graph.group.
pub fn group_properties() -> &'static [&'static str] {
    &graph_properties().group
}

/// What `$search` looks in on users and groups; a clause on anything else is refused.
const USER_SEARCH_PROPERTIES: &[&str] = &[
    "displayName",
    "mail",
    "userPrincipalName",
    "givenName",
    "surname",
];

const GROUP_SEARCH_PROPERTIES: &[&str] = &["displayName", "mail", "description"];

/// Whether the request opted into advanced queries.
pub fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// `GET /users/{id}` and `GET /me`.
pub fn user(
    base: &str,
    version: Version,
    tenant: &Tenant,
    user: &User,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.filter.is_some() || query.search.is_some() || query.top.is_some() || query.count {
        return Err(single_entity());
    }
    let (mut object, select) = user_object(version, user, query)?;
    expand_user(tenant, user, &mut object, query)?;
    let context = match &select {
        Some(names) => format!(
            "{base}/{}/$metadata#users({})/$entity",
            version.as_str(),
            names.join(",")
        ),
        None => format!("{base}/{}/$metadata#users/$entity", version.as_str()),
    };
    Ok(with_context(&context, object))
}

/// `GET /users`, with `$filter`, `$search`, `$select`, `$top`, `$orderby`, `$count` and paging.
pub fn users(
    base: &str,
    version: Version,
    tenant: &Tenant,
    query: &Query,
    eventual: bool,
) -> Result<Value, GraphError> {
    query.check_advanced(eventual)?;
    if let Some(search) = &query.search {
        search.check(USER_SEARCH_PROPERTIES, "user")?;
    }
    if let Some(names) = &query.select {
        check_select(names, "user")?;
    }
    let context = match &query.select {
        Some(names) => format!(
            "{base}/{}/$metadata#users({})",
            version.as_str(),
            names.join(",")
        ),
        None => format!("{base}/{}/$metadata#users", version.as_str()),
    };
    let self_link = format!("{base}/{}/users", version.as_str());
    if let Some((property, descending)) = &query.order_by {
        let mut matched: Vec<&User> = tenant
            .active_users()
            .filter(|u| query.matches(u.properties()))
            .collect();
        matched.sort_by_key(|u| {
            query::property(u.properties(), property)
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        });
        if *descending {
            matched.reverse();
        }
        // Only the page asked for is built: a tenant of 300,000 users is not copied for each page of 100.
        return list_page(matched, query, &context, &self_link, |user| {
            let mut object = user_object(version, user, query)?.0;
            expand_user(tenant, user, &mut object, query)?;
            Ok(Value::Object(object))
        });
    }
    let count = counted(query, || {
        tenant
            .active_users()
            .filter(|u| query.matches(u.properties()))
            .count()
    });
    let users = tenant.active_users_from(query.skip_token.unwrap_or(0));
    cursor_page(users, query, count, &context, &self_link, |user| {
        if !query.matches(user.properties()) {
            return Ok(None);
        }
        let mut object = user_object(version, user, query)?.0;
        expand_user(tenant, user, &mut object, query)?;
        Ok(Some(Value::Object(object)))
    })
}

/// `GET /subscribedSkus`, with `consumedUnits` counted from the users as they are now.
pub fn subscribed_skus(
    base: &str,
    version: Version,
    tenant: &Tenant,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.filter.is_some() || query.top.is_some() {
        return Err(GraphError::new(
            hyper::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "The query options $filter and $top are not supported on subscribedSkus.",
        ));
    }
    refuse_search(query, "subscribedSkus")?;
    let value: Vec<Value> = tenant
        .skus()
        .iter()
        .map(|sku| {
            let view = tenant.sku_view(sku);
            match (&query.select, view) {
                (Some(names), Value::Object(object)) => {
                    Value::Object(query::select(&object, names, &[]))
                }
                (_, view) => view,
            }
        })
        .collect();
    Ok(json!({
        "@odata.context": format!("{base}/{}/$metadata#subscribedSkus", version.as_str()),
        "value": value,
    }))
}

/// `GET /subscribedSkus/{id}`: one SKU by its id (`{tenant id}_{sku id}`), as the list gives it.
pub fn subscribed_sku(
    base: &str,
    version: Version,
    tenant: &Tenant,
    id: &str,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.filter.is_some() || query.search.is_some() || query.top.is_some() || query.count {
        return Err(single_entity());
    }
    let found = tenant
        .skus()
        .iter()
        .find_map(|sku| match tenant.sku_view(sku) {
            Value::Object(object)
                if object
                    .get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| i.eq_ignore_ascii_case(id)) =>
            {
                Some(object)
            }
            _ => None,
        });
    let object = found.ok_or_else(|| GraphError::user_not_found(id))?;
    let object = match &query.select {
        Some(names) => query::select(&object, names, &[]),
        None => object,
    };
    Ok(with_context(
        &format!(
            "{base}/{}/$metadata#subscribedSkus/$entity",
            version.as_str()
        ),
        object,
    ))
}

/// `GET /groups`, typically `$filter=hasMembersWithLicenseErrors eq true`, or `$search` by name.
pub fn groups(
    base: &str,
    version: Version,
    tenant: &Tenant,
    query: &Query,
    eventual: bool,
) -> Result<Value, GraphError> {
    query.check_advanced(eventual)?;
    if let Some(search) = &query.search {
        search.check(GROUP_SEARCH_PROPERTIES, "group")?;
    }
    if let Some(names) = &query.select {
        check_select(names, "group")?;
    }
    let objects: Vec<Value> = tenant
        .groups()
        .iter()
        .filter_map(|g| match tenant.group_view(g) {
            Value::Object(object) => Some(object),
            _ => None,
        })
        .filter(|object| query.matches(object))
        .map(|object| match &query.select {
            Some(names) => query::select(&object, names, group_properties()),
            None => object,
        })
        .map(|mut object| {
            expand_group(tenant, &mut object, query)?;
            Ok(Value::Object(object))
        })
        .collect::<Result<_, GraphError>>()?;
    let context = format!("{base}/{}/$metadata#groups", version.as_str());
    list_page(
        objects,
        query,
        &context,
        &format!("{base}/{}/groups", version.as_str()),
        Ok,
    )
}

pub fn group(
    base: &str,
    version: Version,
    tenant: &Tenant,
    id: &str,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.search.is_some() {
        return Err(single_entity());
    }
    let group = find_group(tenant, id)?;
    let Value::Object(object) = tenant.group_view(group) else {
        unreachable!("a group view is an object")
    };
    let mut object = match &query.select {
        Some(names) => {
            check_select(names, "group")?;
            query::select(&object, names, group_properties())
        }
        None => object,
    };
    expand_group(tenant, &mut object, query)?;
    Ok(with_context(
        &format!("{base}/{}/$metadata#groups/$entity", version.as_str()),
        object,
    ))
}

/// `GET /groups/{id}/membersWithLicenseErrors/{directoryObjectId}`: one of those members, or 404.
pub fn member_with_license_error(
    base: &str,
    version: Version,
    tenant: &Tenant,
    id: &str,
    member: &str,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.filter.is_some() || query.search.is_some() || query.top.is_some() || query.count {
        return Err(single_entity());
    }
    let group = find_group(tenant, id)?;
    let user = tenant
        .members_with_license_errors(group)
        .into_iter()
        .find(|u| u.id().eq_ignore_ascii_case(member))
        .ok_or_else(|| GraphError::user_not_found(member))?;
    let (object, _) = user_object(version, user, query)?;
    let mut typed = Map::new();
    typed.insert("@odata.type".into(), Value::from("#microsoft.graph.user"));
    typed.extend(object);
    Ok(with_context(
        &format!(
            "{base}/{}/$metadata#directoryObjects/$entity",
            version.as_str()
        ),
        typed,
    ))
}

/// A directory object as an expanded navigation property shows it: its type, id and display name.
fn reference(kind: &str, id: &str, display_name: Option<&str>) -> Value {
    json!({ "@odata.type": format!("#microsoft.graph.{kind}"), "id": id, "displayName": display_name })
}

fn unknown_navigation(name: &str, kind: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.{kind}'."
    ))
}

/// `$expand` on a user: `memberOf` (the groups it is a member of) and `manager` (none in the emulated
/// tenant, so Graph leaves it out); any other name is refused as Graph refuses an unknown property.
fn expand_user(
    tenant: &Tenant,
    user: &User,
    object: &mut Map<String, Value>,
    query: &Query,
) -> Result<(), GraphError> {
    for name in query.expand.iter().flatten() {
        if name.eq_ignore_ascii_case("memberOf") {
            let groups: Vec<Value> = tenant
                .groups()
                .iter()
                .filter(|g| g.has_member(user.id()))
                .map(|g| reference("group", &g.id, Some(&g.display_name)))
                .collect();
            object.insert("memberOf".into(), Value::Array(groups));
        } else if !name.eq_ignore_ascii_case("manager") {
            return Err(unknown_navigation(name, "user"));
        }
    }
    Ok(())
}

/// `$expand=members` on a group: its members as directory objects; any other name is refused.
fn expand_group(
    tenant: &Tenant,
    object: &mut Map<String, Value>,
    query: &Query,
) -> Result<(), GraphError> {
    for name in query.expand.iter().flatten() {
        if !name.eq_ignore_ascii_case("members") {
            return Err(unknown_navigation(name, "group"));
        }
        let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
        let group = tenant
            .groups()
            .iter()
            .find(|g| g.id.eq_ignore_ascii_case(id));
        let members: Vec<Value> = group
            .map(|g| {
                g.members
                    .iter()
                    .filter_map(|m| tenant.find_active(m))
                    .map(|u| {
                        let name = u.properties().get("displayName").and_then(Value::as_str);
                        reference("user", u.id(), name)
                    })
                    .collect()
            })
            .unwrap_or_default();
        object.insert("members".into(), Value::Array(members));
    }
    Ok(())
}

/// `GET /groups/{id}/membersWithLicenseErrors`: directory objects, so each carries its `@odata.type`.
pub fn members_with_license_errors(
    base: &str,
    version: Version,
    tenant: &Tenant,
    id: &str,
    query: &Query,
    eventual: bool,
) -> Result<Value, GraphError> {
    refuse_search(query, "membersWithLicenseErrors")?;
    query.check_advanced(eventual)?;
    let group = find_group(tenant, id)?;
    let context = format!("{base}/{}/$metadata#directoryObjects", version.as_str());
    let self_link = format!(
        "{base}/{}/groups/{}/membersWithLicenseErrors",
        version.as_str(),
        group.id
    );
    let failing =
        |user: &User| user.has_license_error_from(&group.id) && query.matches(user.properties());
    let count = counted(query, || {
        tenant
            .active_members_from(group, 0)
            .filter(|(_, u)| failing(u))
            .count()
    });
    let members = tenant.active_members_from(group, query.skip_token.unwrap_or(0));
    cursor_page(members, query, count, &context, &self_link, |user| {
        if !failing(user) {
            return Ok(None);
        }
        let (object, _) = user_object(version, user, query)?;
        let mut typed = Map::new();
        typed.insert("@odata.type".into(), Value::from("#microsoft.graph.user"));
        typed.extend(object);
        Ok(Some(Value::Object(typed)))
    })
}

fn single_entity() -> GraphError {
    GraphError::bad_request("Query option is not allowed on a single entity.")
}

/// `$search` is served on `/users` and `/groups` only; anywhere else it is refused, never ignored.
fn refuse_search(query: &Query, resource: &str) -> Result<(), GraphError> {
    match query.search {
        Some(_) => Err(GraphError::new(
            hyper::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            format!(
                "The Graph emulator does not support the query option '$search' on {resource}."
            ),
        )),
        None => Ok(()),
    }
}

fn find_group<'a>(tenant: &'a Tenant, id: &str) -> Result<&'a Group, GraphError> {
    tenant
        .groups()
        .iter()
        .find(|g| g.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphError::user_not_found(id))
}

/// A user's properties as a read returns them, and the names `$select` asked for (spelled as Graph spells them).
type Selected = (Map<String, Value>, Option<Vec<String>>);

/// A user's properties as a read returns them: v1.0's default set, or beta's stored ones, or `$select`.
/// `licenseAssignmentStates` comes back only when selected, as the user resource's page says
/// (<https://learn.microsoft.com/en-us/graph/api/resources/user>).
fn user_object(version: Version, user: &User, query: &Query) -> Result<Selected, GraphError> {
    let properties = user.properties();
    if let Some(names) = &query.select {
        check_select(names, "user")?;
        let selected = query::select(properties, names, user_properties());
        // The context names the properties in the order they were asked for, spelled as Graph spells them.
        let names = names
            .iter()
            .map(|n| {
                selected
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(n))
                    .cloned()
                    .unwrap_or_else(|| n.clone())
            })
            .collect();
        return Ok((selected, Some(names)));
    }
    let object = match version {
        Version::V1 => {
            let mut object = Map::new();
            for name in V1_DEFAULT_USER_PROPERTIES {
                let value =
                    properties
                        .get(*name)
                        .cloned()
                        .unwrap_or(if *name == "businessPhones" {
                            json!([])
                        } else {
                            Value::Null
                        });
                object.insert((*name).to_owned(), value);
            }
            object
        }
        Version::Beta => {
            let mut object = properties.clone();
            object.remove("licenseAssignmentStates");
            object
        }
    };
    Ok((object, None))
}

/// A directory extension property, `extension_<app id without dashes>_<name>`: the tenant's apps define them, so
/// Graph takes any such name in `$select` (an object without it answers null).
fn is_extension_property(name: &str) -> bool {
    let Some(rest) = name
        .get(..10)
        .filter(|p| p.eq_ignore_ascii_case("extension_"))
    else {
        return false;
    };
    let rest = &name[rest.len()..];
    rest.len() > 33
        && rest.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit)
        && rest.as_bytes()[32] == b'_'
}

/// Graph's refusal of a `$select` that names a property the type does not define.
fn check_select(names: &[String], type_name: &str) -> Result<(), GraphError> {
    let known = if type_name == "group" {
        group_properties()
    } else {
        user_properties()
    };
    match names
        .iter()
        .find(|n| !known.iter().any(|k| k.eq_ignore_ascii_case(n)) && !is_extension_property(n))
    {
        Some(unknown) => Err(GraphError::bad_request(format!(
            "Parsing OData Select and Expand failed: Could not find a property named '{unknown}' on type 'microsoft.graph.{type_name}'."
        ))),
        None => Ok(()),
    }
}

fn with_context(context: &str, object: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::from(context));
    out.extend(object);
    Value::Object(out)
}

/// `GET /groups/{id}/members`: the group's users as directory objects (each with its `@odata.type`), v1.0's default
/// properties or `$select`, with `$filter`, `$top`, `$count` and paging; `$count` is an advanced query, as on
/// `/users`, and `$search` is refused, as on membersWithLicenseErrors.
pub fn group_members(
    base: &str,
    version: Version,
    tenant: &Tenant,
    id: &str,
    query: &Query,
    eventual: bool,
) -> Result<Value, GraphError> {
    refuse_search(query, "members")?;
    query.check_advanced(eventual)?;
    let group = find_group(tenant, id)?;
    let mut objects = Vec::new();
    for user in group.members.iter().filter_map(|m| tenant.find_active(m)) {
        if !query.matches(user.properties()) {
            continue;
        }
        let (object, _) = user_object(version, user, query)?;
        let mut typed = Map::new();
        typed.insert("@odata.type".into(), Value::from("#microsoft.graph.user"));
        typed.extend(object);
        objects.push(Value::Object(typed));
    }
    let context = format!("{base}/{}/$metadata#directoryObjects", version.as_str());
    let self_link = format!("{base}/{}/groups/{}/members", version.as_str(), group.id);
    list_page(objects, query, &context, &self_link, Ok)
}

/// `GET /users/{id}/licenseDetails`: one licenseDetails per SKU the user holds (its `assignedLicenses`), each plan
/// `Success` unless the assignment disabled it (`Disabled`), or the SKU's status when it is not usable. With `id`,
/// `GET /users/{id}/licenseDetails/{id}`: that one, or Graph's 404.
pub fn license_details(
    base: &str,
    version: Version,
    tenant: &Tenant,
    user: &User,
    id: Option<&str>,
    query: &Query,
) -> Result<Value, GraphError> {
    if query.filter.is_some() || query.search.is_some() || query.order_by.is_some() {
        return Err(GraphError::new(
            hyper::StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "The Graph emulator supports $select, $top and $count on licenseDetails.",
        ));
    }
    let assigned = user
        .properties()
        .get("assignedLicenses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut objects = Vec::new();
    for license in &assigned {
        let Some(sku) = license.get("skuId").and_then(Value::as_str).and_then(|id| {
            tenant
                .skus()
                .iter()
                .find(|s| s.sku_id.eq_ignore_ascii_case(id))
        }) else {
            continue;
        };
        let disabled: Vec<&str> = license
            .get("disabledPlans")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let plans: Vec<Value> = sku
            .service_plans
            .iter()
            .map(|plan| {
                let status = if disabled.iter().any(|d| plan.is(d)) {
                    "Disabled"
                } else if sku.is_usable() {
                    "Success"
                } else {
                    "PendingActivation"
                };
                json!({
                    "appliesTo": plan.applies_to,
                    "provisioningStatus": status,
                    "servicePlanId": plan.service_plan_id,
                    "servicePlanName": plan.service_plan_name,
                })
            })
            .collect();
        // Graph's ids are opaque strings made of the user and the SKU; so are these.
        let id = format!("{}{}", user.id(), sku.sku_id).replace('-', "");
        let object = json!({
            "id": id,
            "servicePlans": plans,
            "skuId": sku.sku_id,
            "skuPartNumber": sku.sku_part_number,
        });
        let object = match (&query.select, object) {
            (Some(names), Value::Object(o)) => Value::Object(query::select(
                &o,
                names,
                &["id", "servicePlans", "skuId", "skuPartNumber"],
            )),
            (_, object) => object,
        };
        objects.push(object);
    }
    let context = format!(
        "{base}/{}/$metadata#users('{}')/licenseDetails",
        version.as_str(),
        user.id()
    );
    if let Some(id) = id {
        let Some(Value::Object(object)) = objects
            .into_iter()
            .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
        else {
            return Err(GraphError::user_not_found(id));
        };
        return Ok(with_context(&format!("{context}/$entity"), object));
    }
    let self_link = format!(
        "{base}/{}/users/{}/licenseDetails",
        version.as_str(),
        user.id()
    );
    list_page(objects, query, &context, &self_link, Ok)
}

/// One page of a list held whole (a sorted or small collection), by position: the `$skiptoken` is the offset of the
/// page's first object, and only the objects of the page asked for are built (`build`), so a tenant of 300,000 users
/// is not copied for each page of 100. `@odata.count` is the list's length.
fn list_page<T>(
    items: Vec<T>,
    query: &Query,
    context: &str,
    self_link: &str,
    mut build: impl FnMut(T) -> Result<Value, GraphError>,
) -> Result<Value, GraphError> {
    let total = items.len();
    let size = query.top.unwrap_or(query::DEFAULT_PAGE_SIZE);
    let start = query.skip_token.unwrap_or(0).min(total);
    let end = (start + size).min(total);
    let mut value = Vec::with_capacity(end - start);
    for item in items.into_iter().skip(start).take(end - start) {
        value.push(build(item)?);
    }
    let next = (end < total).then_some(NextPage {
        position: end,
        carried_count: None,
    });
    Ok(envelope(
        context,
        self_link,
        query,
        query.count.then_some(total),
        next,
        value,
    ))
}

/// One page of a collection in stored order, read from a cursor: the `$skiptoken` is the position after the last
/// object of the page before, so a page costs the objects it holds (and those its filter passes over), not the whole
/// collection. `build` gives an object, or `None` for one the query does not match. `@odata.nextLink` is given when
/// another matching object remains, as Graph does; its token carries the count.
fn cursor_page<'a>(
    items: impl Iterator<Item = (usize, &'a User)>,
    query: &Query,
    count: Option<usize>,
    context: &str,
    self_link: &str,
    mut build: impl FnMut(&'a User) -> Result<Option<Value>, GraphError>,
) -> Result<Value, GraphError> {
    let size = query.top.unwrap_or(query::DEFAULT_PAGE_SIZE);
    let mut value = Vec::with_capacity(size.min(query::MAX_PAGE_SIZE));
    let mut next = None;
    for (position, item) in items {
        let Some(object) = build(item)? else {
            continue;
        };
        if value.len() == size {
            next = Some(NextPage {
                position,
                carried_count: count,
            });
            break;
        }
        value.push(object);
    }
    Ok(envelope(context, self_link, query, count, next, value))
}

/// Where the page after this one starts, and the count its token carries (a snapshot of the collection's, so it is
/// not counted again for each page).
struct NextPage {
    position: usize,
    carried_count: Option<usize>,
}

/// The one writer of a collection page as Graph writes it: `@odata.context`, `@odata.count` when asked for,
/// `@odata.nextLink` (the same query, with a `$skiptoken` for `next`) when more remain, then `value`.
fn envelope(
    context: &str,
    self_link: &str,
    query: &Query,
    count: Option<usize>,
    next: Option<NextPage>,
    value: Vec<Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::from(context));
    if let Some(count) = count {
        out.insert("@odata.count".into(), Value::from(count));
    }
    if let Some(next) = next {
        out.insert(
            "@odata.nextLink".into(),
            Value::from(format!(
                "{self_link}?{}",
                query.next_link_query_counted(next.position, next.carried_count)
            )),
        );
    }
    out.insert("value".into(), Value::Array(value));
    Value::Object(out)
}

/// `@odata.count` when asked for: counted for the first page, and carried by the page tokens after it, as a snapshot of
/// the collection when the read began (a collection of 300,000 users is not counted again for each of its pages).
fn counted(query: &Query, count: impl FnOnce() -> usize) -> Option<usize> {
    query.count.then(|| query.counted.unwrap_or_else(count))
}
