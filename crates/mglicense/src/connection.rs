//! A connection: the environment signed in to, its credential and HTTP clients, and what is
//! looked up once per connection; and the context Get-MgContext shows of it.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::auth::Authenticator;
use crate::environment::Environment;
use crate::time::rfc3339;
use crate::transport::Transport;

pub(crate) struct Connection {
    pub(crate) environment: Environment,
    pub(crate) credential: Authenticator,
    /// The HTTP clients for Graph and for renewing the token.
    pub(crate) transport: Transport,
    /// SKU and group names for -Wait's warnings, looked up once per connection.
    pub(crate) names: Names,
}

impl Connection {
    /// The Graph endpoint the connection's token is for; nothing else ever receives it.
    pub(crate) fn graph_endpoint(&self) -> &str {
        self.environment.graph_endpoint.trim_end_matches('/')
    }
}

/// SKU part numbers and group names for -Wait's warnings (see `crate::wait`), looked up once
/// per connection when a warning needs them.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) skus: Mutex<Option<HashMap<String, String>>>,
    pub(crate) groups: Mutex<HashMap<String, Option<String>>>,
}

/// What Get-MgContext shows; never the token, never a secret.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    pub scopes: Vec<String>,
    /// Delegated, AppOnly, ManagedIdentity, EnvironmentVariable or UserProvidedAccessToken.
    pub auth_type: &'static str,
    pub token_credential_type: &'static str,
    pub environment: String,
    pub app_name: Option<String>,
    pub account: Option<String>,
    pub expires_on: Option<String>,
    /// Process or CurrentUser.
    pub context_scope: &'static str,
    pub certificate_thumbprint: Option<String>,
    pub certificate_subject_name: Option<String>,
    pub send_certificate_chain: bool,
    pub managed_identity_id: Option<String>,
    /// The version of the host that connected, as the front end gave it.
    pub host_version: Option<String>,
}

pub(crate) fn context_of(c: &Connection) -> Context {
    let claims = c.credential.claims();
    let shown = &c.credential.shown;
    Context {
        client_id: claims.client_id.clone(),
        tenant_id: claims.tenant_id.clone(),
        scopes: claims.scopes.clone(),
        auth_type: c.credential.auth_type,
        token_credential_type: c.credential.token_credential_type,
        environment: c.environment.name.clone(),
        app_name: claims.app_name.clone(),
        account: claims.account.clone(),
        expires_on: claims.expires_on.map(rfc3339),
        context_scope: shown.context_scope,
        certificate_thumbprint: shown.certificate_thumbprint.clone(),
        certificate_subject_name: shown.certificate_subject_name.clone(),
        send_certificate_chain: shown.send_certificate_chain,
        managed_identity_id: shown.managed_identity_id.clone(),
        host_version: shown.host_version.clone(),
    }
}
