//! The reads license runbooks make around reprocessing (Get-MgUser, Get-MgGroup,
//! Get-MgGroupMemberWithLicenseError, Get-MgSubscribedSku) and paging through their answers.
//!
//! Paging is done here, one page ahead of the front end: the next page is fetched while the
//! front end writes the previous one to its pipeline, and nothing more is held. The first
//! objects reach the pipeline before the last page is asked for, and memory does not grow with
//! the size of the result.
//!
//! Reads are not paced with the writes: they draw on another budget (resource units, see
//! <https://learn.microsoft.com/en-us/graph/throttling-limits>), so paging or polling never holds up reprocessing. A 429 on a read is waited out by that
//! read alone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::connection::Connection;
use crate::error::Error;
use crate::identity;
use crate::operation::{self, ApiVersion, PreparedRequest, ResponseShape};
use crate::runtime::runtime;
use crate::trace::{LogLine, TraceLevel};

/// Graph's largest page of directory objects, and the official cmdlets' MaxPageSize.
pub const MAX_PAGE_SIZE: u64 = 999;

/// What is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    /// `GET /users/{id}`: one user, by id or userPrincipalName.
    User,
    /// `GET /users`.
    Users,
    /// `GET /groups/{id}`.
    Group,
    /// `GET /groups`.
    Groups,
    /// `GET /groups/{id}/membersWithLicenseErrors`.
    GroupMembersWithLicenseErrors,
    /// `GET /subscribedSkus`.
    SubscribedSkus,
    /// `GET /users/{id}/licenseDetails`.
    UserLicenseDetails,
    /// `GET /users/{id}/licenseDetails/{id}`.
    UserLicenseDetail,
    /// `GET /groups/{id}/members`.
    GroupMembers,
    /// `GET /subscribedSkus/{id}`: one SKU.
    SubscribedSku,
    /// `GET /groups/{id}/membersWithLicenseErrors/{directoryObjectId}`: one member.
    GroupMemberWithLicenseError,
}

impl Resource {
    fn is_single(self) -> bool {
        matches!(
            self,
            Resource::User
                | Resource::Group
                | Resource::UserLicenseDetail
                | Resource::SubscribedSku
                | Resource::GroupMemberWithLicenseError
        )
    }
}

/// A read as a front end describes it (docs/abi.md, "Reads").
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadSpec {
    pub resource: Resource,
    /// The beta endpoint instead of v1.0.
    #[serde(default)]
    pub beta: bool,
    /// The user, for `user`: a user id, a userPrincipalName or an identity object.
    #[serde(default, deserialize_with = "identity::unique_keys")]
    pub identity: Option<Value>,
    /// The group, for `group`, `groupMembersWithLicenseErrors` and `groupMemberWithLicenseError`.
    #[serde(default)]
    pub group_id: Option<String>,
    /// The licenseDetails, for `userLicenseDetail`.
    #[serde(default)]
    pub license_details_id: Option<String>,
    /// The member, for `groupMemberWithLicenseError`.
    #[serde(default)]
    pub directory_object_id: Option<String>,
    /// The SKU, for `subscribedSku`.
    #[serde(default)]
    pub subscribed_sku_id: Option<String>,
    /// `$filter`.
    #[serde(default)]
    pub filter: Option<String>,
    /// `$search`.
    #[serde(default)]
    pub search: Option<String>,
    /// `$select`: the properties to return.
    #[serde(default)]
    pub select: Vec<String>,
    /// `$expand`: the related entities to return with each object.
    #[serde(default)]
    pub expand: Vec<String>,
    /// `$skip`: objects to leave out at the start of the list.
    #[serde(default)]
    pub skip: Option<u64>,
    /// `$orderby`.
    #[serde(default)]
    pub sort: Vec<String>,
    /// At most this many objects, paging as far as needed to reach them.
    #[serde(default)]
    pub top: Option<u64>,
    /// Objects per page (`$top` of each request), at most 999.
    #[serde(default)]
    pub page_size: Option<u64>,
    /// Every page, not only the first.
    #[serde(default)]
    pub all: bool,
    /// `$count=true`: the first page says how many objects match.
    #[serde(default)]
    pub count: bool,
    /// The `ConsistencyLevel` header (`eventual` for advanced queries).
    #[serde(default)]
    pub consistency_level: Option<String>,
    #[serde(default, deserialize_with = "identity::unique_keys_map")]
    pub headers: Option<Map<String, Value>>,
    /// The proxy for this read's Graph requests instead of the connection's (docs/abi.md,
    /// "Reads").
    #[serde(default)]
    pub proxy: Option<crate::proxy::ProxySettings>,
    #[serde(default)]
    pub debug: bool,
    #[serde(default)]
    pub verbose: bool,
}

/// How far to page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    single: bool,
    /// Follow `@odata.nextLink`.
    follow: bool,
    /// Hand over at most this many objects.
    limit: Option<u64>,
}

/// A read checked and turned into its first request.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedRead {
    first: PreparedRequest,
    plan: Plan,
}

/// Query values are percent-encoded except for RFC 3986's unreserved characters, so no value
/// can end its option, start another or reach the fragment.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl ReadSpec {
    /// Checks everything about the read that can be checked before anything is sent.
    pub fn prepare(&self) -> Result<PreparedRead, Error> {
        let r = self.resource;
        let invalid = |m: String| Error::invalid_argument(m);
        if r.is_single() {
            let given: Vec<&str> = [
                (self.filter.is_some(), "Filter"),
                (self.search.is_some(), "Search"),
                (self.skip.is_some(), "Skip"),
                (!self.sort.is_empty(), "Sort"),
                (self.top.is_some(), "Top"),
                (self.page_size.is_some(), "PageSize"),
                (self.all, "All"),
                (self.count, "CountVariable"),
            ]
            .iter()
            .filter(|(given, _)| *given)
            .map(|(_, name)| *name)
            .collect();
            if !given.is_empty() {
                return Err(invalid(format!(
                    "-{} applies to a list; reading one object by its id takes -Property only.",
                    given.join(", -")
                )));
            }
        }
        if self.top == Some(0) {
            return Err(invalid("-Top must be at least 1.".to_string()));
        }
        if let Some(size) = self.page_size {
            if !(1..=MAX_PAGE_SIZE).contains(&size) {
                return Err(invalid(format!(
                    "-PageSize must be between 1 and {MAX_PAGE_SIZE}; {size} was given."
                )));
            }
        }
        let needs_group = matches!(
            r,
            Resource::Group
                | Resource::GroupMembersWithLicenseErrors
                | Resource::GroupMembers
                | Resource::GroupMemberWithLicenseError
        );
        if !needs_group && self.group_id.is_some() {
            return Err(invalid(
                "A group id was given for a read that is not about a group.".to_string(),
            ));
        }
        if r != Resource::UserLicenseDetail && self.license_details_id.is_some() {
            return Err(invalid(
                "A licenseDetails id was given for a read that is not about one.".to_string(),
            ));
        }
        if r != Resource::GroupMemberWithLicenseError && self.directory_object_id.is_some() {
            return Err(invalid(
                "A directory object id was given for a read that is not about one member."
                    .to_string(),
            ));
        }
        if r != Resource::SubscribedSku && self.subscribed_sku_id.is_some() {
            return Err(invalid(
                "A subscribed SKU id was given for a read that is not about one SKU.".to_string(),
            ));
        }
        if !matches!(
            r,
            Resource::User | Resource::UserLicenseDetails | Resource::UserLicenseDetail
        ) && self.identity.is_some()
        {
            return Err(invalid(
                "A user identity was given for a read that is not about one user.".to_string(),
            ));
        }

        let (resource_path, target, what) = match r {
            Resource::User => {
                let identity = self.identity.as_ref().unwrap_or(&Value::Null);
                let (path, user_id) = identity::resolve_user_path(identity)?;
                let what = format!("user '{user_id}'");
                (path, user_id, what)
            }
            Resource::UserLicenseDetails | Resource::UserLicenseDetail => {
                let identity = self.identity.as_ref().unwrap_or(&Value::Null);
                let (mut path, user_id) = identity::resolve_user_path(identity)?;
                path.push_str("/licenseDetails");
                if r == Resource::UserLicenseDetail {
                    let id = self.license_details_id.as_deref().unwrap_or("");
                    path.push('/');
                    path.push_str(&operation::id_segment("LicenseDetailsId", id)?);
                }
                let what = format!("the licenses of user '{user_id}'");
                (path, user_id, what)
            }
            Resource::GroupMembers => {
                let id = self.group_id.as_deref().unwrap_or("");
                (
                    format!("groups/{}/members", group_segment(id)?),
                    id.to_string(),
                    format!("the members of group '{id}'"),
                )
            }
            Resource::Users => (
                "users".to_string(),
                "users".to_string(),
                "the users".to_string(),
            ),
            Resource::Group | Resource::GroupMembersWithLicenseErrors => {
                let id = self.group_id.as_deref().unwrap_or("");
                let segment = group_segment(id)?;
                if r == Resource::Group {
                    (
                        format!("groups/{segment}"),
                        id.to_string(),
                        format!("group '{id}'"),
                    )
                } else {
                    (
                        format!("groups/{segment}/membersWithLicenseErrors"),
                        id.to_string(),
                        format!("the members of group '{id}' with license errors"),
                    )
                }
            }
            Resource::Groups => (
                "groups".to_string(),
                "groups".to_string(),
                "the groups".to_string(),
            ),
            Resource::SubscribedSkus => (
                "subscribedSkus".to_string(),
                "subscribedSkus".to_string(),
                "the subscribed SKUs".to_string(),
            ),
            Resource::SubscribedSku => {
                let id = self.subscribed_sku_id.as_deref().unwrap_or("");
                let segment = operation::id_segment("SubscribedSkuId", id)?;
                (
                    format!("subscribedSkus/{segment}"),
                    id.to_string(),
                    format!("subscribed SKU '{id}'"),
                )
            }
            Resource::GroupMemberWithLicenseError => {
                let group = self.group_id.as_deref().unwrap_or("");
                let member = self.directory_object_id.as_deref().unwrap_or("");
                let group_segment = group_segment(group)?;
                let member_segment = operation::id_segment("DirectoryObjectId", member)?;
                (
                    format!("groups/{group_segment}/membersWithLicenseErrors/{member_segment}"),
                    member.to_string(),
                    format!("member '{member}' of group '{group}' with license errors"),
                )
            }
        };

        let mut query: Vec<(&str, String)> = Vec::new();
        let select: Vec<&str> = self
            .select
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !select.is_empty() {
            query.push(("$select", select.join(",")));
        }
        let expand: Vec<&str> = self
            .expand
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !expand.is_empty() {
            query.push(("$expand", expand.join(",")));
        }
        if let Some(filter) = self.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            query.push(("$filter", filter.to_string()));
        }
        if let Some(search) = self.search.as_deref().filter(|s| !s.trim().is_empty()) {
            query.push(("$search", quoted_search(search)));
        }
        let sort: Vec<&str> = self
            .sort
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !sort.is_empty() {
            query.push(("$orderby", sort.join(",")));
        }
        if let Some(size) = self.page_size.or(self.top.map(|t| t.min(MAX_PAGE_SIZE))) {
            query.push(("$top", size.to_string()));
        }
        if let Some(skip) = self.skip {
            query.push(("$skip", skip.to_string()));
        }
        if self.count {
            query.push(("$count", "true".to_string()));
        }
        let query = query
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect::<Vec<_>>()
            .join("&");
        let version = if self.beta {
            ApiVersion::Beta
        } else {
            ApiVersion::V1
        };
        let mut path = format!("/{}/{resource_path}", version.segment());
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query);
        }

        let mut headers = self.headers.clone().unwrap_or_default();
        if let Some(level) = self
            .consistency_level
            .as_deref()
            .filter(|l| !l.trim().is_empty())
        {
            if !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("ConsistencyLevel"))
            {
                headers.insert("ConsistencyLevel".into(), Value::from(level.trim()));
            }
        }
        let headers = operation::check_headers(&headers)?;
        let first = PreparedRequest {
            method: "GET",
            path,
            shape: ResponseShape::Object,
            content_type: None,
            paced: false,
            target,
            what,
            headers,
            trace: TraceLevel {
                debug: self.debug,
                verbose: self.verbose,
            },
            subject: None,
            // A page of a collection is handed on as Graph wrote its objects: split into items, never built into a tree
            // and written out again (one object is, to check it is one).
            pass_body_through: !r.is_single(),
            body: None,
            proxy: operation::checked_proxy(self.proxy.as_ref())?,
        };
        let plan = Plan {
            single: r.is_single(),
            follow: !r.is_single() && (self.all || self.top.is_some()),
            limit: self.top,
        };
        Ok(PreparedRead { first, plan })
    }
}

/// The `$search` value as the official list cmdlets send it (ListCmdlet.cs, `FormatSearchValue`):
/// wrapped in double quotes unless it starts with one, so `displayName:adele` goes out as the
/// `"displayName:adele"` Graph's directory search takes.
fn quoted_search(search: &str) -> String {
    if search.starts_with('"') {
        search.to_string()
    } else {
        format!("\"{search}\"")
    }
}

/// A group id as one path segment, or the reason it cannot be one.
fn group_segment(id: &str) -> Result<String, Error> {
    operation::id_segment("GroupId", id)
}

/// The path below the connection's Graph endpoint that a next-page link names. A link to any
/// other place is refused: following it would hand the token to whoever wrote the link.
fn path_below(endpoint: &str, link: &str) -> Result<String, Error> {
    let refused = |why: &str| {
        Error::transport(format!(
            "The next page link '{link}' {why}; it was not followed, so the token stays with {endpoint}."
        ))
    };
    let base = reqwest::Url::parse(endpoint)
        .map_err(|_| refused("cannot be checked against the Graph endpoint"))?;
    let url = reqwest::Url::parse(link).map_err(|_| refused("is not an absolute URL"))?;
    if url.origin() != base.origin() {
        return Err(refused("points to another host"));
    }
    let base = base.as_str().trim_end_matches('/');
    match url.as_str().strip_prefix(base) {
        Some(rest) if rest.starts_with('/') => Ok(rest.to_string()),
        _ => Err(refused("is outside the Graph endpoint")),
    }
}

/// One page as the front end gets it.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    /// The objects, in the order Graph gave them, each as Graph wrote it.
    pub items: Vec<Box<RawValue>>,
    /// `@odata.count`, when asked for with `count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    pub status: u16,
    pub url: String,
    /// The page's response headers (-ResponseHeadersVariable).
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogLine>,
}

impl Page {
    /// The objects as trees, for a caller that looks inside them.
    pub fn values(&self) -> Vec<Value> {
        self.items
            .iter()
            .map(|item| serde_json::from_str(item.get()).unwrap_or(Value::Null))
            .collect()
    }
}

/// A collection's page as Graph wrote it: the count and the next link read, the objects left as text. A repeated key
/// counts once, its last value, as when the page was read into a tree.
struct Collection<'a> {
    count: Option<u64>,
    next: Option<String>,
    value: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for Collection<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Collection<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Collection<'de>, A::Error> {
                let mut page = Collection {
                    count: None,
                    next: None,
                    value: None,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "@odata.count" => page.count = map.next_value::<Value>()?.as_u64(),
                        "@odata.nextLink" => {
                            page.next = map.next_value::<Value>()?.as_str().map(str::to_string)
                        }
                        "value" => page.value = Some(map.next_value::<&'de RawValue>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(page)
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The objects of a collection's page and its next link, or why the page cannot be handed over.
fn split_page(body: &RawValue, url: &str, page: &mut Page) -> Result<Option<String>, Error> {
    let not_a_collection = || {
        Error::transport(format!(
            "The answer from {url} is not a collection of objects."
        ))
    };
    let collection: Collection =
        serde_json::from_str(body.get()).map_err(|_| not_a_collection())?;
    page.count = collection.count;
    let no_list = || {
        Error::transport(format!(
            "The answer from {url} has no list of objects (\"value\")."
        ))
    };
    let value = collection.value.ok_or_else(no_list)?;
    let items: Vec<&RawValue> = serde_json::from_str(value.get()).map_err(|_| no_list())?;
    if let Some((at, item)) = items
        .iter()
        .enumerate()
        .find(|(_, i)| !i.get().starts_with('{'))
    {
        let item: Value = serde_json::from_str(item.get()).unwrap_or(Value::Null);
        return Err(Error::transport(format!(
            "The answer from {url} lists {} as object {} of {}; a page holds objects only, so it cannot be handed over.",
            crate::answer::json_kind(&item),
            at + 1,
            items.len()
        )));
    }
    page.items = items.into_iter().map(RawValue::to_owned).collect();
    Ok(collection.next)
}

/// What `Pager::next` found.
#[derive(Debug)]
pub enum NextPage {
    Page(Result<Page, Error>),
    /// Nothing ready yet.
    Pending,
    /// Every page handed over (or the read ended with an error already handed over).
    Done,
    /// The read was cancelled.
    Cancelled,
}

/// A read in progress, one page ahead of its consumer.
pub struct Pager {
    receiver: Mutex<mpsc::Receiver<Result<Page, Error>>>,
    cancelled: AtomicBool,
    task: JoinHandle<()>,
}

impl Client {
    /// Checks a read and starts fetching its first page.
    pub fn start_read(self: &Arc<Self>, spec: &ReadSpec) -> Result<Pager, Error> {
        let prepared = spec.prepare()?;
        let connection = self.connection()?;
        crate::transport::check_url(&format!(
            "{}{}",
            connection.graph_endpoint(),
            prepared.first.path
        ))?;
        let rt = runtime()?;
        // One page waits in the channel while the next is fetched: that is all that is held.
        let (tx, rx) = mpsc::channel(1);
        let client = Arc::clone(self);
        let task = rt.spawn(async move {
            let answer = tx.clone();
            // A panic ends the read with an error, not with a closed channel that reads as done.
            let fetched = crate::runtime::catch_panic(async move {
                fetch(client, connection, prepared, tx).await;
                Ok(())
            });
            if let Err(e) = fetched.await {
                let _ = answer.send(Err(e)).await;
            }
        });
        Ok(Pager {
            receiver: Mutex::new(rx),
            cancelled: AtomicBool::new(false),
            task,
        })
    }
}

async fn fetch(
    client: Arc<Client>,
    connection: Arc<Connection>,
    read: PreparedRead,
    tx: mpsc::Sender<Result<Page, Error>>,
) {
    let PreparedRead {
        first: mut prepared,
        plan,
    } = read;
    let mut remaining = plan.limit;
    loop {
        let page = client
            .send(&connection, &prepared)
            .await
            .and_then(|response| {
                let crate::response::Response {
                    status,
                    url,
                    headers,
                    body,
                    raw_body,
                    log,
                    ..
                } = response;
                let mut page = Page {
                    items: Vec::new(),
                    count: None,
                    status,
                    url: url.clone(),
                    headers,
                    log,
                };
                let unreadable = |e: serde_json::Error| {
                    Error::transport(format!("The answer from {url} cannot be handed over: {e}"))
                };
                let next = match (plan.single, raw_body) {
                    (true, raw) => {
                        let item = match raw {
                            Some(raw) => raw.0,
                            None => serde_json::value::to_raw_value(&body.unwrap_or(Value::Null))
                                .map_err(unreadable)?,
                        };
                        page.items.push(item);
                        None
                    }
                    (false, Some(raw)) => split_page(&raw.0, &url, &mut page)?,
                    (false, None) => {
                        let raw = serde_json::value::to_raw_value(&body.unwrap_or(Value::Null))
                            .map_err(unreadable)?;
                        split_page(&raw, &url, &mut page)?
                    }
                };
                Ok((page, next))
            });
        let (mut page, next) = match page {
            Ok(p) => p,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        if let Some(left) = remaining.as_mut() {
            page.items
                .truncate(usize::try_from(*left).unwrap_or(usize::MAX));
            *left -= page.items.len() as u64;
        }
        let next = next.filter(|_| plan.follow && remaining != Some(0));
        // The consumer gone (released or cancelled) ends the read.
        if tx.send(Ok(page)).await.is_err() {
            return;
        }
        let Some(link) = next else {
            return;
        };
        match path_below(connection.graph_endpoint(), &link) {
            Ok(path) => prepared.path = path,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
}

impl Pager {
    /// Waits up to `timeout` (forever with `None`) for the next page.
    pub fn next(&self, timeout: Option<Duration>) -> NextPage {
        if self.cancelled.load(Ordering::SeqCst) {
            return NextPage::Cancelled;
        }
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => return NextPage::Page(Err(e)),
        };
        let mut rx = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
        let received = rt.block_on(async {
            match timeout {
                Some(t) => tokio::time::timeout(t, rx.recv()).await.ok(),
                None => Some(rx.recv().await),
            }
        });
        match received {
            None => NextPage::Pending,
            Some(Some(page)) => NextPage::Page(page),
            Some(None) if self.cancelled.load(Ordering::SeqCst) => NextPage::Cancelled,
            Some(None) => NextPage::Done,
        }
    }

    /// Stops the read: the page being fetched is dropped and nothing more is handed over.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.task.abort();
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prepare(v: Value) -> Result<PreparedRead, Error> {
        serde_json::from_value::<ReadSpec>(v)
            .expect("a read document")
            .prepare()
    }

    fn path(v: Value) -> String {
        prepare(v).expect("a valid read").first.path
    }

    #[test]
    fn builds_each_resource_path() {
        assert_eq!(
            path(json!({"resource": "user", "identity": "adele@contoso.com"})),
            "/v1.0/users/adele@contoso.com"
        );
        assert_eq!(
            path(json!({"resource": "user", "identity": {"Id": "u/1"}, "beta": true})),
            "/beta/users/u%2F1"
        );
        assert_eq!(path(json!({"resource": "users"})), "/v1.0/users");
        assert_eq!(
            path(json!({"resource": "group", "groupId": "g1"})),
            "/v1.0/groups/g1"
        );
        assert_eq!(path(json!({"resource": "groups"})), "/v1.0/groups");
        assert_eq!(
            path(json!({"resource": "groupMembersWithLicenseErrors", "groupId": "g?1"})),
            "/v1.0/groups/g%3F1/membersWithLicenseErrors"
        );
        assert_eq!(
            path(json!({"resource": "subscribedSkus"})),
            "/v1.0/subscribedSkus"
        );
        assert_eq!(
            path(json!({"resource": "userLicenseDetails", "identity": "a/b@x.com"})),
            "/v1.0/users/a%2Fb@x.com/licenseDetails"
        );
        assert_eq!(
            path(json!({"resource": "groupMembers", "groupId": "g#1", "top": 5, "count": true})),
            "/v1.0/groups/g%231/members?$top=5&$count=true"
        );
        assert_eq!(
            path(
                json!({"resource": "userLicenseDetail", "identity": "u", "licenseDetailsId": "d?1"})
            ),
            "/v1.0/users/u/licenseDetails/d%3F1"
        );
        assert!(prepare(json!({"resource": "userLicenseDetail", "identity": "u", "licenseDetailsId": "d", "all": true}))
            .is_err());
        assert!(prepare(json!({"resource": "users", "licenseDetailsId": "d"})).is_err());
        assert!(prepare(json!({"resource": "groupMembers"}))
            .unwrap_err()
            .message
            .contains("GroupId is empty"));
        assert!(
            prepare(json!({"resource": "groupMembers", "groupId": "g", "identity": "u"})).is_err()
        );
        assert_eq!(
            path(json!({"resource": "subscribedSku", "subscribedSkuId": "t_s/1"})),
            "/v1.0/subscribedSkus/t_s%2F1"
        );
        assert_eq!(
            path(
                json!({"resource": "groupMemberWithLicenseError", "groupId": "g1", "directoryObjectId": "u 1"})
            ),
            "/v1.0/groups/g1/membersWithLicenseErrors/u%201"
        );
    }

    #[test]
    fn search_is_quoted_as_the_official_cmdlets_quote_it() {
        assert_eq!(
            path(json!({"resource": "users", "search": "displayName:adele"})),
            "/v1.0/users?$search=%22displayName%3Aadele%22"
        );
        assert_eq!(
            path(json!({"resource": "users", "search": "\"displayName:a\" OR \"mail:b\""})),
            "/v1.0/users?$search=%22displayName%3Aa%22%20OR%20%22mail%3Ab%22"
        );
    }

    #[test]
    fn expand_and_skip_go_out_as_their_options() {
        assert_eq!(
            path(json!({"resource": "user", "identity": "u1", "expand": ["manager", " memberOf"]})),
            "/v1.0/users/u1?$expand=manager%2CmemberOf"
        );
        assert_eq!(
            path(json!({"resource": "groups", "skip": 5, "top": 2})),
            "/v1.0/groups?$top=2&$skip=5"
        );
    }

    #[test]
    fn query_options_are_encoded_so_no_value_escapes_its_option() {
        let p = path(json!({
            "resource": "users",
            "filter": "userPrincipalName eq 'a&b@x.com'",
            "select": ["id", " licenseAssignmentStates ", ""],
            "top": 5,
            "count": true,
        }));
        assert_eq!(
            p,
            "/v1.0/users?$select=id%2ClicenseAssignmentStates&$filter=userPrincipalName%20eq%20%27a%26b%40x.com%27&$top=5&$count=true"
        );
        assert_eq!(
            path(json!({"resource": "users", "search": "\"displayName:ad#x\""})),
            "/v1.0/users?$search=%22displayName%3Aad%23x%22"
        );
        assert_eq!(
            path(json!({"resource": "users", "sort": ["displayName", "id desc"]})),
            "/v1.0/users?$orderby=displayName%2Cid%20desc"
        );
    }

    #[test]
    fn top_and_page_size_decide_the_page_and_how_far_to_go() {
        let p = prepare(json!({"resource": "users", "top": 2500})).unwrap();
        assert!(p.first.path.ends_with("$top=999"));
        assert_eq!(
            p.plan,
            Plan {
                single: false,
                follow: true,
                limit: Some(2500)
            }
        );
        let p = prepare(json!({"resource": "users", "all": true, "pageSize": 50})).unwrap();
        assert!(p.first.path.ends_with("$top=50"));
        assert_eq!(
            p.plan,
            Plan {
                single: false,
                follow: true,
                limit: None
            }
        );
        let p = prepare(json!({"resource": "users"})).unwrap();
        assert_eq!(
            p.plan,
            Plan {
                single: false,
                follow: false,
                limit: None
            }
        );
        assert!(!p.first.paced, "reads do not wait for the write pacer");
        assert_eq!(p.first.method, "GET");
    }

    #[test]
    fn consistency_level_and_headers_are_checked_like_any_header() {
        let p = prepare(
            json!({"resource": "users", "consistencyLevel": "eventual", "headers": {"x-a": "1"}}),
        )
        .unwrap();
        assert_eq!(
            p.first.headers,
            vec![
                ("ConsistencyLevel".to_string(), "eventual".to_string()),
                ("x-a".to_string(), "1".to_string())
            ]
        );
        let e = prepare(json!({"resource": "users", "consistencyLevel": "eventual\r\nX: y"}))
            .unwrap_err();
        assert!(e.message.contains("'ConsistencyLevel'"), "{}", e.message);
    }

    #[test]
    fn bad_reads_are_refused_by_name() {
        let message = |v: Value| prepare(v).unwrap_err().message;
        assert!(
            message(json!({"resource": "user", "identity": "u", "filter": "x", "all": true}))
                .contains("-Filter, -All")
        );
        assert!(message(json!({"resource": "users", "top": 0})).contains("-Top"));
        assert!(message(json!({"resource": "users", "pageSize": 1000})).contains("1000"));
        assert!(message(json!({"resource": "group"})).contains("GroupId is empty"));
        assert!(message(json!({"resource": "group", "groupId": "a\nb"})).contains("U+000A"));
        assert!(message(json!({"resource": "group", "groupId": ".."})).contains("'..'"));
        assert!(message(json!({"resource": "users", "groupId": "g"})).contains("not about a group"));
        assert_eq!(
            message(json!({"resource": "user", "identity": {"DriveId": "d"}})),
            crate::identity::MISSING_USER_ID
        );
        assert!(
            serde_json::from_value::<ReadSpec>(json!({"resource": "users", "expand": "x"}))
                .is_err()
        );
        assert!(message(json!({"resource": "user", "identity": "u", "skip": 1})).contains("-Skip"));
        assert!(message(json!({"resource": "subscribedSku"})).contains("SubscribedSkuId is empty"));
        assert!(message(
            json!({"resource": "groupMemberWithLicenseError", "groupId": "g", "directoryObjectId": "a\tb"})
        )
        .contains("DirectoryObjectId contains the control character U+0009"));
        assert!(message(json!({"resource": "users", "subscribedSkuId": "s"})).contains("one SKU"));
    }

    #[test]
    fn a_page_is_split_into_its_objects_as_graph_wrote_them() {
        let page = |text: &str| {
            let raw = RawValue::from_string(text.to_string()).unwrap();
            let mut page = Page {
                items: Vec::new(),
                count: None,
                status: 200,
                url: "u".into(),
                headers: BTreeMap::new(),
                log: Vec::new(),
            };
            split_page(&raw, "u", &mut page).map(|next| (page, next))
        };
        let (p, next) = page(
            r#"{"@odata.count":2,"value":[{"id":"x"}],"@odata.nextLink":"https://g/n","value":[{"id":"a","n":"\u00e9"},{"id":"b"}]}"#,
        )
        .unwrap();
        // The last of a repeated key counts, as in a tree; each object's text is kept as it came.
        let items: Vec<&str> = p.items.iter().map(|i| i.get()).collect();
        assert_eq!(items, [r#"{"id":"a","n":"\u00e9"}"#, r#"{"id":"b"}"#]);
        assert_eq!((p.count, next.as_deref()), (Some(2), Some("https://g/n")));
        assert_eq!(p.values()[0]["n"], "é");
        let (p, next) = page(r#"{"@odata.nextLink":5,"@odata.count":"x","value":[]}"#).unwrap();
        assert_eq!((p.items.len(), p.count, next), (0, None, None));
        let e = page(r#"{"value":[{"id":"a"},[1]]}"#).unwrap_err();
        assert!(
            e.message.contains("an array as object 2 of 2"),
            "{}",
            e.message
        );
        assert!(page(r#"{"value":{"id":"a"}}"#)
            .unwrap_err()
            .message
            .contains("no list of objects"));
        assert!(page(r#"{"id":"a"}"#)
            .unwrap_err()
            .message
            .contains("no list of objects"));
    }

    #[test]
    fn next_links_are_followed_only_below_the_graph_endpoint() {
        let g = "https://graph.microsoft.com";
        assert_eq!(
            path_below(g, "https://graph.microsoft.com/v1.0/users?$skiptoken=abc").unwrap(),
            "/v1.0/users?$skiptoken=abc"
        );
        assert_eq!(
            path_below(
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/beta/groups?$skiptoken=x"
            )
            .unwrap(),
            "/beta/groups?$skiptoken=x"
        );
        for bad in [
            "https://evil.example/v1.0/users?$skiptoken=abc",
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
            "https://graph.microsoft.com.evil.example/v1.0/users",
            "/v1.0/users?$skiptoken=abc",
        ] {
            let e = path_below(g, bad).unwrap_err();
            assert!(
                e.message.contains("was not followed"),
                "{bad}: {}",
                e.message
            );
        }
        let custom = "https://host.example/graph";
        assert_eq!(
            path_below(custom, "https://host.example/graph/v1.0/users?x=1").unwrap(),
            "/v1.0/users?x=1"
        );
        assert!(path_below(custom, "https://host.example/other/v1.0/users").is_err());
    }
}
