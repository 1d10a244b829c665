//! The Graph calls MgLicense makes: which URL, which method, which headers, how to read the answer.
//!
//! The path is built here, one percent-encoded segment at a time, so that no user id can add a
//! segment, a query or a fragment to the URL.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::identity;
use crate::proxy::ProxySettings;
use crate::trace::TraceLevel;

pub use crate::identity::{user_path, MAX_USER_ID_LEN};

/// Graph API versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// One Graph call of the reprocess cmdlets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Operation {
    /// v1.0 `POST /users/{id}/reprocessLicenseAssignment`
    /// (<https://learn.microsoft.com/en-us/graph/api/user-reprocesslicenseassignment>; Invoke-MgLicenseUser).
    ReprocessLicenseAssignment,
    /// beta `POST /users/{id}/reprocessLicenseAssignment` (Invoke-MgBetaLicenseUser).
    BetaReprocessLicenseAssignment,
    /// beta `POST /users/{id}/cloudLicensing/assignments/reprocessAssignments`, which answers no
    /// content (Invoke-MgBetaReprocessUserCloudLicensingAssignment).
    BetaReprocessCloudLicensingAssignments,
    /// beta `POST /users/{id}|me/reprocessLicenseAssignment2`, a draft action that answers in a
    /// `{"value": …}` envelope (Invoke-MgBetaLicenseUser2).
    BetaReprocessLicenseAssignment2,
    /// v1.0 `PATCH /users/{id}` with the request's `properties`, answered 204 (Update-MgUser;
    /// <https://learn.microsoft.com/en-us/graph/api/user-update>).
    UpdateUser,
    /// v1.0 `POST /users/{id}/assignLicense` with `addLicenses` and `removeLicenses`, answered with
    /// the user (Set-MgUserLicense; <https://learn.microsoft.com/en-us/graph/api/user-assignlicense>).
    AssignLicense,
    /// v1.0 `POST /groups/{id}/members/$ref` naming the directory object, answered 204
    /// (New-MgGroupMember; <https://learn.microsoft.com/en-us/graph/api/group-post-members>).
    AddGroupMember,
    /// v1.0 `DELETE /groups/{id}/members/{id}/$ref`, answered 204 (Remove-MgGroupMemberByRef;
    /// <https://learn.microsoft.com/en-us/graph/api/group-delete-members>).
    RemoveGroupMember,
}

/// How an operation's successful answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseShape {
    /// The body is the object.
    Object,
    /// No body is expected.
    Empty,
    /// The object is wrapped as `{"value": ...}`.
    ValueEnvelope,
}

/// An operation as a front end names it before sending it: the official cmdlets' -WhatIf line
/// says `Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationShown {
    pub method: &'static str,
    /// The path as Graph documents it, for a user.
    pub path: String,
    /// The path for the signed-in user, when the operation has a /me form.
    pub me_path: Option<String>,
}

impl Operation {
    /// Every operation: the reprocess calls, v1.0 first, then the writes that fix licenses.
    pub const ALL: [Operation; 8] = [
        Operation::ReprocessLicenseAssignment,
        Operation::BetaReprocessLicenseAssignment,
        Operation::BetaReprocessCloudLicensingAssignments,
        Operation::BetaReprocessLicenseAssignment2,
        Operation::UpdateUser,
        Operation::AssignLicense,
        Operation::AddGroupMember,
        Operation::RemoveGroupMember,
    ];

    /// Every operation's method and documented paths, by the name a request gives
    /// (docs/abi.md, `mgl_client_new`).
    pub fn table() -> BTreeMap<Operation, OperationShown> {
        Operation::ALL
            .into_iter()
            .map(|op| (op, op.shown()))
            .collect()
    }

    /// What a front end shows of this operation before sending it.
    pub fn shown(self) -> OperationShown {
        OperationShown {
            method: self.method(),
            path: self.path_template(false),
            me_path: self.supports_me().then(|| self.path_template(true)),
        }
    }

    pub fn api(self) -> ApiVersion {
        match self {
            Operation::BetaReprocessLicenseAssignment
            | Operation::BetaReprocessCloudLicensingAssignments
            | Operation::BetaReprocessLicenseAssignment2 => ApiVersion::Beta,
            _ => ApiVersion::V1,
        }
    }

    /// Whether the call is about a group (`/groups/{id}/…`) rather than a user.
    pub fn on_group(self) -> bool {
        matches!(
            self,
            Operation::AddGroupMember | Operation::RemoveGroupMember
        )
    }

    /// A reprocess call: the calls -Wait follows and bulk runs and JSON batches send.
    pub fn reprocesses(self) -> bool {
        matches!(
            self,
            Operation::ReprocessLicenseAssignment
                | Operation::BetaReprocessLicenseAssignment
                | Operation::BetaReprocessCloudLicensingAssignments
                | Operation::BetaReprocessLicenseAssignment2
        )
    }

    fn action(self) -> &'static [&'static str] {
        match self {
            Operation::ReprocessLicenseAssignment | Operation::BetaReprocessLicenseAssignment => {
                &["reprocessLicenseAssignment"]
            }
            Operation::BetaReprocessCloudLicensingAssignments => {
                &["cloudLicensing", "assignments", "reprocessAssignments"]
            }
            Operation::BetaReprocessLicenseAssignment2 => &["reprocessLicenseAssignment2"],
            Operation::UpdateUser => &[],
            Operation::AssignLicense => &["assignLicense"],
            Operation::AddGroupMember => &["members", "$ref"],
            Operation::RemoveGroupMember => &["members", "{directoryObject-id}", "$ref"],
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Operation::UpdateUser => "PATCH",
            Operation::RemoveGroupMember => "DELETE",
            _ => "POST",
        }
    }

    pub fn shape(self) -> ResponseShape {
        match self {
            Operation::BetaReprocessCloudLicensingAssignments
            | Operation::UpdateUser
            | Operation::AddGroupMember
            | Operation::RemoveGroupMember => ResponseShape::Empty,
            Operation::BetaReprocessLicenseAssignment2 => ResponseShape::ValueEnvelope,
            _ => ResponseShape::Object,
        }
    }

    /// The draft reprocessLicenseAssignment2 page requires `Content-Type: application/json`, and
    /// so does every call with a JSON body.
    pub fn content_type(self) -> Option<&'static str> {
        match self {
            Operation::BetaReprocessLicenseAssignment2
            | Operation::UpdateUser
            | Operation::AssignLicense
            | Operation::AddGroupMember => Some("application/json"),
            _ => None,
        }
    }

    pub fn supports_me(self) -> bool {
        self == Operation::BetaReprocessLicenseAssignment2
    }

    /// The path as Graph documents it, e.g. `/users/{user-id}/reprocessLicenseAssignment`,
    /// which the official cmdlets show in their -WhatIf line.
    pub fn path_template(self, me: bool) -> String {
        let subject = if me {
            "/me"
        } else if self.on_group() {
            "/groups/{group-id}"
        } else {
            "/users/{user-id}"
        };
        let mut path = subject.to_string();
        for segment in self.action() {
            path.push('/');
            path.push_str(segment);
        }
        path
    }
}

/// A request as a front end describes it (docs/abi.md, "Request").
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSpec {
    pub operation: Operation,
    #[serde(default, deserialize_with = "identity::unique_keys")]
    pub identity: Option<Value>,
    #[serde(default)]
    pub me: bool,
    #[serde(default, deserialize_with = "identity::unique_keys_map")]
    pub headers: Option<Map<String, Value>>,
    /// Describe the request and response for a debug stream.
    #[serde(default)]
    pub debug: bool,
    /// Say what is being done for a verbose stream.
    #[serde(default)]
    pub verbose: bool,
    /// After the call, wait for the service to process the user (-Wait).
    #[serde(default)]
    pub wait: Option<WaitSpec>,
    /// Send the request from the thread that waits for it, instead of the engine's threads
    /// (see `crate::local`): it then runs only while someone waits. Not with `wait`.
    #[serde(default)]
    pub on_waiting_thread: bool,
    /// The group, for `addGroupMember` and `removeGroupMember`.
    #[serde(default)]
    pub group_id: Option<String>,
    /// The member (a user's object id), for `addGroupMember` and `removeGroupMember`.
    #[serde(default)]
    pub directory_object_id: Option<String>,
    /// The member as the reference body's `@odata.id` URL, for `addGroupMember` instead of
    /// `directoryObjectId` (-BodyParameter).
    #[serde(default)]
    pub reference: Option<String>,
    /// The user's properties to change, by Graph's names, for `updateUser`.
    #[serde(default, deserialize_with = "identity::unique_keys_map")]
    pub properties: Option<Map<String, Value>>,
    /// The proxy for this call's Graph requests instead of the connection's (docs/abi.md,
    /// "Request"); token requests keep the connection's.
    #[serde(default)]
    pub proxy: Option<ProxySettings>,
    /// Licenses to give, for `assignLicense`.
    #[serde(default)]
    pub add_licenses: Option<Vec<LicenseSpec>>,
    /// SKU ids of the licenses to take away, for `assignLicense`.
    #[serde(default)]
    pub remove_licenses: Option<Vec<String>>,
}

/// A call's own proxy, checked before anything is sent.
pub(crate) fn checked_proxy(proxy: Option<&ProxySettings>) -> Result<Option<ProxySettings>, Error> {
    if let Some(proxy) = proxy {
        crate::proxy::ProxyRule::check_call(proxy)?;
    }
    Ok(proxy.cloned())
}

/// One license of assignLicense's `addLicenses` (Graph's assignedLicense).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseSpec {
    pub sku_id: String,
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

/// What a call sends in its body.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestBody {
    /// JSON, as it goes on the wire.
    Json(Vec<u8>),
    /// `{"@odata.id": "<endpoint>/<version>/directoryObjects/<id>"}`: a reference to a directory
    /// object (the id already one percent-encoded segment), made absolute with the connection's
    /// Graph endpoint when the call is sent.
    DirectoryObject(String),
}

impl RequestBody {
    /// The body's bytes for a call of `path` (which starts with its version) to `endpoint`.
    pub fn bytes(&self, endpoint: &str, path: &str) -> Vec<u8> {
        match self {
            RequestBody::Json(bytes) => bytes.clone(),
            RequestBody::DirectoryObject(segment) => {
                let version = path
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or("v1.0");
                let reference = format!(
                    "{}/{version}/directoryObjects/{segment}",
                    endpoint.trim_end_matches('/')
                );
                serde_json::to_vec(&serde_json::json!({ "@odata.id": reference }))
                    .unwrap_or_default()
            }
        }
    }
}

/// Default -TimeoutSec.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 120;

/// Longest -TimeoutSec accepted: a day.
pub const MAX_TIMEOUT_SECONDS: u64 = 86_400;

/// What a request asks of its -Wait (docs/abi.md, "Request"); the wait itself is `crate::wait`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitSpec {
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECONDS
}

impl WaitSpec {
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.timeout_seconds > MAX_TIMEOUT_SECONDS {
            return Err(Error::invalid_argument(format!(
                "TimeoutSec is {}; it must be at most {MAX_TIMEOUT_SECONDS} (a day).",
                self.timeout_seconds
            )));
        }
        Ok(())
    }
}

/// A request checked and turned into what goes on the wire, minus the credential.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedRequest {
    pub method: &'static str,
    /// Path below the Graph endpoint, starting with the version: `/v1.0/users/…/…`, with any
    /// query already encoded.
    pub path: String,
    pub shape: ResponseShape,
    /// A Content-Type the call must carry unless the user gave one.
    pub content_type: Option<&'static str>,
    /// Writes share the tenant's write budget, so they wait for the shared pacer; reads do not,
    /// so polling and paging never hold up the writes.
    pub paced: bool,
    /// The user the call is for (`me` for /me), for messages and error targets.
    pub target: String,
    /// What the call is about, for -Verbose: `user 'x'`, `the users`.
    pub what: String,
    /// For a reprocess call, the user's path below the version (`users/…` or `me`), to read
    /// the user back with -Wait.
    pub subject: Option<String>,
    /// Headers the user asked for, checked.
    pub headers: Vec<(String, String)>,
    pub trace: TraceLevel,
    /// The answer's body goes to the caller as it came, checked to be JSON but not parsed into
    /// a tree, because nothing in the engine looks inside it (a reprocess call without -Wait).
    pub pass_body_through: bool,
    /// What the call sends, if anything (the writes that fix licenses).
    pub body: Option<RequestBody>,
    /// The proxy the call's Graph requests go through instead of the connection's, when the
    /// call names one (-Proxy).
    pub proxy: Option<ProxySettings>,
}

impl PreparedRequest {
    /// The headers of one attempt of this call, as the call itself carries them whether it goes
    /// on its own or inside a `$batch`: the caller's, a `client-request-id` unless the caller
    /// gave one, `Retry-Attempt` on a retry, and the operation's Content-Type unless given.
    pub fn call_headers(&self, attempt: u32) -> Vec<(String, String)> {
        let given = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let mut headers = self.headers.clone();
        if !given("client-request-id") {
            headers.push(("client-request-id".into(), uuid::Uuid::new_v4().to_string()));
        }
        if attempt > 0 {
            headers.push(("Retry-Attempt".into(), attempt.to_string()));
        }
        if let Some(ct) = self.content_type {
            if !given("content-type") {
                headers.push(("Content-Type".into(), ct.into()));
            }
        }
        headers
    }
}

impl RequestSpec {
    /// Checks everything about the request that can be checked before anything is sent.
    pub fn prepare(&self) -> Result<PreparedRequest, Error> {
        let op = self.operation;
        self.check_fields()?;
        if op.on_group() {
            return self.prepare_on_group();
        }
        let (subject, target) = if self.me {
            if !op.supports_me() {
                return Err(Error::invalid_argument(format!(
                    "The operation {op:?} has no /me form; give a UserId."
                )));
            }
            if self.identity.is_some() {
                return Err(Error::invalid_argument(
                    "Give either -Me or a user identity, not both.",
                ));
            }
            ("me".to_string(), "me".to_string())
        } else {
            let identity = self.identity.as_ref().unwrap_or(&Value::Null);
            identity::resolve_user_path(identity)?
        };
        let mut path = format!("/{}/{}", op.api().segment(), subject);
        for segment in op.action() {
            path.push('/');
            path.push_str(segment);
        }
        if let Some(wait) = &self.wait {
            wait.check()?;
        }
        // A value of this input alone: a front end reports it for the input and goes on with the next.
        let body = match op {
            Operation::UpdateUser => Some(
                self.user_properties()
                    .map_err(|e| e.about_input("properties"))?,
            ),
            Operation::AssignLicense => Some(
                self.assign_license_body()
                    .map_err(|e| e.about_input("licenses"))?,
            ),
            _ => None,
        };
        let what = match op {
            Operation::UpdateUser => format!("the properties of user '{target}'"),
            Operation::AssignLicense => format!("the licenses of user '{target}'"),
            _ => format!("user '{target}'"),
        };
        self.call(path, target, what, Some(subject), body)
    }

    /// The call as it goes out: this request's operation, headers and trace, and what it is about.
    fn call(
        &self,
        path: String,
        target: String,
        what: String,
        subject: Option<String>,
        body: Option<RequestBody>,
    ) -> Result<PreparedRequest, Error> {
        let op = self.operation;
        Ok(PreparedRequest {
            method: op.method(),
            path,
            shape: op.shape(),
            content_type: op.content_type(),
            paced: true,
            what,
            subject,
            target,
            headers: self.checked_headers()?,
            trace: self.trace(),
            pass_body_through: self.wait.is_none() && op.shape() == ResponseShape::Object,
            body,
            proxy: checked_proxy(self.proxy.as_ref())?,
        })
    }

    fn checked_headers(&self) -> Result<Vec<(String, String)>, Error> {
        match &self.headers {
            Some(h) => check_headers(h),
            None => Ok(Vec::new()),
        }
    }

    fn trace(&self) -> TraceLevel {
        TraceLevel {
            debug: self.debug,
            verbose: self.verbose,
        }
    }

    /// Fields that belong to other operations are refused by name, so nothing given is ignored.
    fn check_fields(&self) -> Result<(), Error> {
        let op = self.operation;
        let given = [
            (self.group_id.is_some() && !op.on_group(), "groupId"),
            (
                self.directory_object_id.is_some() && !op.on_group(),
                "directoryObjectId",
            ),
            (
                self.properties.is_some()
                    && !matches!(op, Operation::UpdateUser | Operation::AssignLicense),
                "properties",
            ),
            (
                self.add_licenses.is_some() && op != Operation::AssignLicense,
                "addLicenses",
            ),
            (
                self.remove_licenses.is_some() && op != Operation::AssignLicense,
                "removeLicenses",
            ),
            (
                self.reference.is_some()
                    && (op != Operation::AddGroupMember || self.directory_object_id.is_some()),
                "reference",
            ),
            (self.wait.is_some() && !op.reprocesses(), "wait"),
        ];
        if let Some((_, name)) = given.iter().find(|(wrong, _)| *wrong) {
            return Err(Error::invalid_argument(format!(
                "'{name}' does not apply to the operation {op:?}."
            )));
        }
        Ok(())
    }

    /// `addGroupMember` and `removeGroupMember`: the group and the member, each one segment.
    fn prepare_on_group(&self) -> Result<PreparedRequest, Error> {
        let op = self.operation;
        if self.me || self.identity.is_some() {
            return Err(Error::invalid_argument(format!(
                "The operation {op:?} is about a group: give groupId and directoryObjectId, not a user."
            )));
        }
        let group_id = self.group_id.as_deref().unwrap_or("");
        let group = id_segment("GroupId", group_id).map_err(|e| e.about_input("groupId"))?;
        if let Some(reference) = &self.reference {
            return self.add_by_reference(&group, group_id, reference);
        }
        let member_id = self.directory_object_id.as_deref().unwrap_or("");
        let member = id_segment("DirectoryObjectId", member_id)
            .map_err(|e| e.about_input("directoryObjectId"))?;
        let (path, body, what) = match op {
            Operation::AddGroupMember => (
                format!("/{}/groups/{group}/members/$ref", op.api().segment()),
                Some(RequestBody::DirectoryObject(member)),
                format!("adding '{member_id}' to group '{group_id}'"),
            ),
            _ => (
                format!(
                    "/{}/groups/{group}/members/{member}/$ref",
                    op.api().segment()
                ),
                None,
                format!("removing '{member_id}' from group '{group_id}'"),
            ),
        };
        self.call(path, group_id.to_string(), what, None, body)
    }

    /// `addGroupMember` with the reference body's `@odata.id` as given (-BodyParameter): Graph
    /// checks the URL; it must be text of one line, at most 2,048 bytes.
    fn add_by_reference(
        &self,
        group: &str,
        group_id: &str,
        reference: &str,
    ) -> Result<PreparedRequest, Error> {
        if reference.trim().is_empty()
            || reference.len() > 2048
            || reference.chars().any(char::is_control)
        {
            return Err(Error::invalid_argument(
                "-BodyParameter's @odata.id must be the member's URL (https://graph.microsoft.com/v1.0/directoryObjects/{id}) on one line, at most 2,048 bytes.",
            )
            .about_input("reference"));
        }
        let body =
            serde_json::to_vec(&serde_json::json!({ "@odata.id": reference })).unwrap_or_default();
        let op = self.operation;
        self.call(
            format!("/{}/groups/{group}/members/$ref", op.api().segment()),
            group_id.to_string(),
            format!("adding '{reference}' to group '{group_id}'"),
            None,
            Some(RequestBody::Json(body)),
        )
    }

    /// updateUser's body: the properties as given, each name a plain identifier.
    fn user_properties(&self) -> Result<RequestBody, Error> {
        let properties = self
            .properties
            .as_ref()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                Error::invalid_argument(
                    "No property to change was given: name at least one, or give -BodyParameter.",
                )
            })?;
        if let Some(name) = properties.keys().find(|name| {
            name.is_empty()
                || name.len() > 256
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.@#".contains(&b))
        }) {
            return Err(Error::invalid_argument(format!(
                "'{}' is not a property name Graph can have.",
                name.chars()
                    .flat_map(char::escape_debug)
                    .collect::<String>()
            )));
        }
        let bytes = serde_json::to_vec(properties)
            .map_err(|e| Error::invalid_argument(format!("The properties cannot be sent: {e}")))?;
        Ok(RequestBody::Json(bytes))
    }

    /// assignLicense's body: both lists, always (Graph requires both), every id a GUID.
    fn assign_license_body(&self) -> Result<RequestBody, Error> {
        let mut add = Vec::new();
        for (i, license) in self.add_licenses.iter().flatten().enumerate() {
            let sku_id = guid(&format!("AddLicenses[{i}].SkuId"), &license.sku_id)?;
            let mut disabled = Vec::new();
            for (j, plan) in license.disabled_plans.iter().enumerate() {
                disabled.push(guid(&format!("AddLicenses[{i}].DisabledPlans[{j}]"), plan)?);
            }
            add.push(serde_json::json!({ "disabledPlans": disabled, "skuId": sku_id }));
        }
        let mut remove = Vec::new();
        for (i, sku) in self.remove_licenses.iter().flatten().enumerate() {
            remove.push(guid(&format!("RemoveLicenses[{i}]"), sku)?);
        }
        if add.is_empty() && remove.is_empty() {
            return Err(Error::invalid_argument(
                "Neither -AddLicenses nor -RemoveLicenses names a license: there is nothing to change.",
            ));
        }
        let mut body = Map::new();
        body.insert("addLicenses".to_owned(), Value::from(add));
        body.insert("removeLicenses".to_owned(), Value::from(remove));
        // -AdditionalProperties: more members of the body, sent as given; the two lists are
        // the cmdlet's own parameters and cannot be given twice.
        for (name, value) in self.properties.iter().flatten() {
            if name.eq_ignore_ascii_case("addLicenses")
                || name.eq_ignore_ascii_case("removeLicenses")
            {
                return Err(Error::invalid_argument(format!(
                    "-AdditionalProperties names '{name}', which -AddLicenses and -RemoveLicenses give; give it there."
                )));
            }
            body.insert(name.clone(), value.clone());
        }
        Ok(RequestBody::Json(
            serde_json::to_vec(&body).unwrap_or_default(),
        ))
    }
}

/// A GUID as Graph's Edm.Guid takes it (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), lower case, or
/// the error naming the input that is not one.
fn guid(name: &str, value: &str) -> Result<String, Error> {
    let trimmed = value.trim();
    match uuid::Uuid::parse_str(trimmed) {
        Ok(id) if trimmed.len() == 36 => Ok(id.hyphenated().to_string()),
        _ => Err(Error::invalid_argument(format!(
            "{name} '{}' is not a GUID; Graph names SKUs and service plans by GUIDs (SkuId, ServicePlanId).",
            value.chars().flat_map(char::escape_debug).collect::<String>()
        ))),
    }
}

/// An object id (a group's, a member's) as one percent-encoded path segment, or the reason it
/// cannot be one, naming the parameter.
pub(crate) fn id_segment(name: &str, id: &str) -> Result<String, Error> {
    let invalid = |m: String| Error::invalid_argument(m);
    if id.is_empty() {
        return Err(invalid(format!("{name} is empty.")));
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(invalid(format!(
            "{name} contains the control character U+{:04X}; an object id never does.",
            c as u32
        )));
    }
    if id.trim().is_empty() {
        return Err(invalid(format!(
            "{name} is empty but for spaces; an object id never is."
        )));
    }
    if id.len() > identity::MAX_USER_ID_LEN {
        return Err(invalid(format!(
            "{name} is {} bytes long; an object id is at most {}.",
            id.len(),
            identity::MAX_USER_ID_LEN
        )));
    }
    if id == "." || id == ".." {
        return Err(invalid(format!("{name} '{id}' is not an object id.")));
    }
    Ok(percent_encoding::utf8_percent_encode(id, identity::SEGMENT).to_string())
}

/// Headers that the engine owns: replacing them would break authentication or framing. Besides
/// the connection's own (`Connection` and the hop-by-hop headers of RFC 9110 §7.6.1, which a
/// client or proxy consumes and never forwards), `Expect` (which holds the body back for an
/// interim answer) and the proxy's credentials (which, through an https proxy's tunnel, would
/// reach Graph instead of the proxy).
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "upgrade",
    "expect",
];

/// Headers the engine sends on every call that a caller's value replaces (as Invoke-MgGraphRequest
/// lets a caller set its own User-Agent), instead of being sent as a second field.
pub const REPLACEABLE_HEADERS: &[&str] = &["user-agent", "accept"];

/// Largest header value accepted, well under what servers accept for a whole header block.
pub const MAX_HEADER_VALUE_LEN: usize = 8192;

/// Most headers a caller may add to one call. Far more than any call needs, and far below what
/// the HTTP stack can hold in one request (32,768, past which it panics).
pub const MAX_HEADERS: usize = 100;

pub(crate) fn check_headers(headers: &Map<String, Value>) -> Result<Vec<(String, String)>, Error> {
    if headers.len() > MAX_HEADERS {
        return Err(Error::invalid_argument(format!(
            "-Headers has {} headers; at most {MAX_HEADERS} can be given to one call.",
            headers.len()
        )));
    }
    let mut out = Vec::with_capacity(headers.len());
    let mut seen = BTreeMap::new();
    for (name, value) in headers {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => {
                return Err(Error::invalid_argument(format!(
                    "The value of header '{}' must be a string.",
                    printable(name)
                )))
            }
        };
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(Error::invalid_argument(format!(
                "The header name '{}' is not a valid HTTP header name (no spaces, line breaks or separators).",
                printable(name)
            )));
        }
        if RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name))
        {
            return Err(Error::invalid_argument(format!(
                "The header '{name}' is set by MgLicense and cannot be given in -Headers."
            )));
        }
        if let Some(b) = value
            .bytes()
            .find(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f)
        {
            return Err(Error::invalid_argument(format!(
                "The value of header '{name}' contains the control character 0x{b:02X} (line breaks are not allowed in headers)."
            )));
        }
        if !value.is_ascii() {
            return Err(Error::invalid_argument(format!(
                "The value of header '{name}' contains non-ASCII characters; HTTP header values must be ASCII."
            )));
        }
        if value.len() > MAX_HEADER_VALUE_LEN {
            return Err(Error::invalid_argument(format!(
                "The value of header '{name}' is {} bytes long; the limit is {MAX_HEADER_VALUE_LEN}.",
                value.len()
            )));
        }
        if seen.insert(name.to_ascii_lowercase(), ()).is_some() {
            return Err(Error::invalid_argument(format!(
                "The header '{name}' is given twice."
            )));
        }
        out.push((name.clone(), value));
    }
    Ok(out)
}

/// RFC 7230 `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A header name as it can be shown in a message: control characters made visible.
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::secret::Secret;
    use serde_json::json;

    fn spec(v: Value) -> RequestSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_call_may_name_its_own_proxy_which_is_checked_before_anything_is_sent() {
        let with = |proxy: Value| {
            spec(json!({"operation": "reprocessLicenseAssignment", "identity": {"UserId": "u"}, "proxy": proxy}))
                .prepare()
        };
        let named = with(json!({"httpsProxy": "http://user:pa%40ss@proxy.corp:3128"})).unwrap();
        assert_eq!(
            named
                .proxy
                .as_ref()
                .and_then(|p| p.https_proxy.as_ref())
                .map(Secret::expose),
            Some("http://user:pa%40ss@proxy.corp:3128")
        );
        assert!(prepared(
            json!({"operation": "reprocessLicenseAssignment", "identity": {"UserId": "u"}})
        )
        .proxy
        .is_none());
        let refused =
            with(json!({"httpsProxy": "socks5://user:hunter2@proxy.corp:1080"})).unwrap_err();
        assert_eq!(refused.kind, crate::error::ErrorKind::InvalidArgument);
        assert!(
            refused.message.contains("-Proxy") && !refused.message.contains("hunter2"),
            "{}",
            refused.message
        );
        let read: crate::read::ReadSpec = serde_json::from_value(
            json!({"resource": "users", "proxy": {"httpsProxy": "ftp://p"}}),
        )
        .unwrap();
        assert!(read.prepare().unwrap_err().message.contains("-Proxy"));
    }

    fn path_for(user_id: &str) -> Result<String, Error> {
        spec(json!({"operation": "reprocessLicenseAssignment", "identity": {"UserId": user_id}}))
            .prepare()
            .map(|p| p.path)
    }

    #[test]
    fn builds_the_path_of_each_operation() {
        let p = |op: &str| {
            spec(json!({"operation": op, "identity": {"UserId": "u1"}}))
                .prepare()
                .unwrap()
                .path
        };
        assert_eq!(
            p("reprocessLicenseAssignment"),
            "/v1.0/users/u1/reprocessLicenseAssignment"
        );
        assert_eq!(
            p("betaReprocessLicenseAssignment"),
            "/beta/users/u1/reprocessLicenseAssignment"
        );
        assert_eq!(
            p("betaReprocessCloudLicensingAssignments"),
            "/beta/users/u1/cloudLicensing/assignments/reprocessAssignments"
        );
        assert_eq!(
            p("betaReprocessLicenseAssignment2"),
            "/beta/users/u1/reprocessLicenseAssignment2"
        );
        let me = spec(json!({"operation": "betaReprocessLicenseAssignment2", "me": true}))
            .prepare()
            .unwrap();
        assert_eq!(me.path, "/beta/me/reprocessLicenseAssignment2");
        assert!(
            spec(json!({"operation": "reprocessLicenseAssignment", "me": true}))
                .prepare()
                .is_err()
        );
    }

    #[test]
    fn user_ids_stay_in_their_segment() {
        assert_eq!(
            path_for("adele@contoso.com").unwrap(),
            "/v1.0/users/adele@contoso.com/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("a/b").unwrap(),
            "/v1.0/users/a%2Fb/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("x?y#z%").unwrap(),
            "/v1.0/users/x%3Fy%23z%25/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("guest_x.com#EXT#@contoso.com").unwrap(),
            "/v1.0/users/guest_x.com%23EXT%23@contoso.com/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("a b\"c'").unwrap(),
            "/v1.0/users/a%20b%22c%27/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("zoë").unwrap(),
            "/v1.0/users/zo%C3%AB/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("../x").unwrap(),
            "/v1.0/users/..%2Fx/reprocessLicenseAssignment"
        );
    }

    #[test]
    fn dollar_upns_use_the_key_form() {
        assert_eq!(
            path_for("$adm@contoso.com").unwrap(),
            "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment"
        );
        assert_eq!(
            path_for("$o'brien@x.com").unwrap(),
            "/v1.0/users('$o%27%27brien@x.com')/reprocessLicenseAssignment"
        );
    }

    #[test]
    fn unusable_ids_are_refused_by_name() {
        assert_eq!(
            path_for("").unwrap_err().message,
            crate::identity::MISSING_USER_ID
        );
        assert!(user_path("")
            .unwrap_err()
            .message
            .contains("UserId is empty"));
        assert!(path_for("   ")
            .unwrap_err()
            .message
            .contains("UserId is empty but for spaces"));
        assert!(path_for("\t")
            .unwrap_err()
            .message
            .contains("control character U+0009"));
        assert!(path_for("..").unwrap_err().message.contains("'..'"));
        assert!(path_for("a\nb").unwrap_err().message.contains("U+000A"));
        assert!(path_for(&"x".repeat(10_000))
            .unwrap_err()
            .message
            .contains("10000 bytes"));
    }

    #[test]
    fn headers_are_checked_before_sending() {
        let h = |headers: Value| {
            spec(json!({"operation": "reprocessLicenseAssignment", "identity": "u", "headers": headers})).prepare()
        };
        assert_eq!(
            h(json!({"x-ms-throttle-priority": "High", "n": 5}))
                .unwrap()
                .headers,
            vec![
                ("n".into(), "5".into()),
                ("x-ms-throttle-priority".into(), "High".into())
            ]
        );
        assert!(h(json!({"X-Evil": "a\r\nInjected: 1"}))
            .unwrap_err()
            .message
            .contains("'X-Evil'"));
        assert!(h(json!({"Bad\nName": "v"}))
            .unwrap_err()
            .message
            .contains("Bad\\nName"));
        assert!(h(json!({"Authorization": "Bearer x"}))
            .unwrap_err()
            .message
            .contains("'Authorization'"));
        assert!(h(json!({"host": "evil"})).is_err());
        for hop in [
            "Upgrade",
            "TE",
            "Keep-Alive",
            "Expect",
            "Proxy-Connection",
            "Trailer",
            "Proxy-Authorization",
        ] {
            let e = h(json!({hop: "x"})).unwrap_err();
            assert!(
                e.message.contains(&format!("'{hop}' is set by MgLicense")),
                "{hop}: {}",
                e.message
            );
        }
        assert!(h(json!({"User-Agent": "mine", "Accept": "text/plain"})).is_ok());
        assert!(h(json!({"Content-Length": "1"})).is_err());
        assert!(h(json!({"x": "é"}))
            .unwrap_err()
            .message
            .contains("non-ASCII"));
        assert!(h(json!({"x": "a\u{0}b"})).is_err());
        assert!(h(json!({"x": "v".repeat(9000)}))
            .unwrap_err()
            .message
            .contains("9000 bytes"));
        assert!(h(json!({"x": "1", "X": "2"}))
            .unwrap_err()
            .message
            .contains("twice"));
    }

    #[test]
    fn templates_match_the_official_whatif_text() {
        for (op, me, template) in [
            (
                Operation::ReprocessLicenseAssignment,
                false,
                "/users/{user-id}/reprocessLicenseAssignment",
            ),
            (
                Operation::BetaReprocessLicenseAssignment2,
                true,
                "/me/reprocessLicenseAssignment2",
            ),
            (Operation::UpdateUser, false, "/users/{user-id}"),
            (
                Operation::RemoveGroupMember,
                false,
                "/groups/{group-id}/members/{directoryObject-id}/$ref",
            ),
        ] {
            assert_eq!(op.path_template(me), template);
        }
    }

    fn prepared(v: Value) -> PreparedRequest {
        spec(v).prepare().unwrap()
    }

    fn body_of(p: &PreparedRequest) -> Value {
        let bytes = p
            .body
            .as_ref()
            .unwrap()
            .bytes("https://graph.microsoft.com", &p.path);
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn the_writes_have_their_method_path_and_body() {
        let p = spec(json!({"operation": "updateUser", "identity": "a/b@x.com", "properties": {"usageLocation": "US", "accountEnabled": true}}))
            .prepare()
            .unwrap();
        assert_eq!(
            (p.method, p.path.as_str()),
            ("PATCH", "/v1.0/users/a%2Fb@x.com")
        );
        assert_eq!(
            body_of(&p),
            json!({"usageLocation": "US", "accountEnabled": true})
        );
        assert_eq!(p.shape, ResponseShape::Empty);
        assert_eq!(p.content_type, Some("application/json"));

        let p = spec(json!({"operation": "assignLicense", "identity": {"UserId": "u1"},
            "addLicenses": [{"skuId": "05E9A617-0261-4CEE-BB44-138D3EF5D965", "disabledPlans": ["5dbe027f-2339-4123-9542-606e4d348a72"]}]}))
            .prepare()
            .unwrap();
        assert_eq!(
            (p.method, p.path.as_str()),
            ("POST", "/v1.0/users/u1/assignLicense")
        );
        assert_eq!(
            body_of(&p),
            json!({"addLicenses": [{"skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965", "disabledPlans": ["5dbe027f-2339-4123-9542-606e4d348a72"]}], "removeLicenses": []})
        );
        assert_eq!(p.shape, ResponseShape::Object);

        // -BodyParameter: the reference body's @odata.id as given, instead of directoryObjectId.
        let reference = "https://graph.microsoft.com/v1.0/directoryObjects/u1";
        let p = prepared(
            json!({"operation": "addGroupMember", "groupId": "g", "reference": reference}),
        );
        assert_eq!(
            (p.method, p.path.as_str(), body_of(&p)),
            (
                "POST",
                "/v1.0/groups/g/members/$ref",
                json!({"@odata.id": reference})
            )
        );
        for bad in [
            json!({"operation": "addGroupMember", "groupId": "g", "reference": " "}),
            json!({"operation": "addGroupMember", "groupId": "g", "reference": "a\nb"}),
            json!({"operation": "addGroupMember", "groupId": "g", "reference": reference, "directoryObjectId": "u"}),
            json!({"operation": "removeGroupMember", "groupId": "g", "reference": reference}),
        ] {
            assert!(spec(bad.clone()).prepare().is_err(), "{bad}");
        }

        // -AdditionalProperties go into the body beside the two lists, which they cannot replace.
        let p = spec(json!({"operation": "assignLicense", "identity": "u1",
            "removeLicenses": ["05e9a617-0261-4cee-bb44-138d3ef5d965"], "properties": {"note": {"a": 1}}}))
            .prepare()
            .unwrap();
        assert_eq!(
            body_of(&p),
            json!({"addLicenses": [], "removeLicenses": ["05e9a617-0261-4cee-bb44-138d3ef5d965"], "note": {"a": 1}})
        );
        let refused = spec(json!({"operation": "assignLicense", "identity": "u",
            "removeLicenses": ["05e9a617-0261-4cee-bb44-138d3ef5d965"], "properties": {"AddLicenses": []}}))
        .prepare()
        .unwrap_err()
        .message;
        assert!(
            refused.contains("-AdditionalProperties names 'AddLicenses'"),
            "{refused}"
        );

        let p = prepared(
            json!({"operation": "addGroupMember", "groupId": "g/1", "directoryObjectId": "u?1"}),
        );
        let expected = (
            "POST",
            "/v1.0/groups/g%2F1/members/$ref",
            json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/u%3F1"}),
        );
        assert_eq!((p.method, p.path.as_str(), body_of(&p)), expected);
        let p = prepared(
            json!({"operation": "removeGroupMember", "groupId": "g1", "directoryObjectId": "../x"}),
        );
        assert_eq!(
            (p.method, p.path.as_str()),
            ("DELETE", "/v1.0/groups/g1/members/..%2Fx/$ref")
        );
        assert!(p.body.is_none());
    }

    #[test]
    fn bad_writes_are_refused_by_name_before_sending() {
        let message = |v: Value| spec(v).prepare().unwrap_err().message;
        assert!(message(
            json!({"operation": "assignLicense", "identity": "u", "addLicenses": [{"skuId": "E3"}]})
        )
        .contains("AddLicenses[0].SkuId 'E3' is not a GUID"));
        assert!(message(json!({"operation": "assignLicense", "identity": "u", "removeLicenses": ["05e9a617-0261-4cee-bb44-138d3ef5d965", "x\ny"]}))
            .contains("RemoveLicenses[1] 'x\\ny'"));
        assert!(message(json!({"operation": "assignLicense", "identity": "u", "addLicenses": [], "removeLicenses": []}))
            .contains("nothing to change"));
        assert!(
            message(json!({"operation": "updateUser", "identity": "u"})).contains("No property")
        );
        assert!(message(
            json!({"operation": "updateUser", "identity": "u", "properties": {"a/b": 1}})
        )
        .contains("'a/b' is not a property name"));
        assert!(
            message(json!({"operation": "addGroupMember", "groupId": "g"}))
                .contains("DirectoryObjectId is empty")
        );
        assert!(message(
            json!({"operation": "addGroupMember", "groupId": "..", "directoryObjectId": "u"})
        )
        .contains("GroupId '..'"));
        assert!(message(
            json!({"operation": "removeGroupMember", "groupId": "g", "directoryObjectId": "a\tb"})
        )
        .contains("U+0009"));
        assert!(message(json!({"operation": "addGroupMember", "groupId": "g", "directoryObjectId": "u", "identity": "u"})).contains("about a group"));
        assert!(message(
            json!({"operation": "reprocessLicenseAssignment", "identity": "u", "groupId": "g"})
        )
        .contains("'groupId' does not apply"));
        assert!(message(
            json!({"operation": "updateUser", "identity": "u", "properties": {"a": 1}, "wait": {}})
        )
        .contains("'wait' does not apply"));
        assert!(serde_json::from_value::<RequestSpec>(
            json!({"operation": "assignLicense", "addLicenses": [{"skuId": "x", "other": 1}]})
        )
        .is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_user_id_is_one_segment_or_refused(id in "\\PC{0,40}|.{0,40}") {
            match user_path(&id) {
                Err(e) => proptest::prop_assert!(!e.message.is_empty()),
                Ok(path) => {
                    let rest = path.strip_prefix("users").unwrap();
                    // Exactly one segment, nothing that starts a query or fragment.
                    proptest::prop_assert!(!rest[1..].contains(['/', '?', '#']), "{}", path);
                    let raw = if let Some(key) = rest.strip_prefix("('") {
                        key.strip_suffix("')").unwrap().to_string()
                    } else {
                        rest.strip_prefix('/').unwrap().to_string()
                    };
                    let decoded = percent_encoding::percent_decode_str(&raw).decode_utf8().unwrap();
                    let expected = if rest.starts_with("('") { id.replace('\'', "''") } else { id.clone() };
                    proptest::prop_assert_eq!(decoded, expected);
                }
            }
        }

        #[test]
        fn any_identity_object_resolves_or_is_refused(
            map in proptest::collection::hash_map("(?i)(userid|id|driveid|[a-z]{0,6})", proptest::option::of(".{0,12}"), 0..5)
        ) {
            let value = serde_json::to_value(&map).unwrap();
            match crate::identity::resolve_user_id(&value) {
                Ok(id) => proptest::prop_assert!(!id.is_empty()),
                Err(e) => proptest::prop_assert!(!e.message.is_empty()),
            }
        }
    }
}
