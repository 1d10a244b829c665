//! Sign-in: every way Connect-MgGraph obtains tokens, and the per-connection token cache.
//!
//! The front end only says which flow and hands over what the user gave (a secret, a key taken
//! from a certificate store); everything else happens here, so any front end gets the same
//! sign-in: the token requests, the client assertion, managed identity, environment variables,
//! the device-code wait, renewal before expiry and after a 401, and errors that say what to
//! check. Secrets live in [`Secret`]s, wiped on drop and never printed.

pub mod cache;
pub mod certificate;
pub mod login;
pub mod pkcs8;
pub mod secret;
pub mod signin;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::credential::{read_claims, AccessTokenCredential, TokenClaims};
pub use crate::env_vars::{process_env, EnvLookup};
use crate::environment::Environment;
use crate::error::Error;
use crate::transport::Login;
use certificate::ClientCertificate;
use login::{Answer, IssuedToken};
pub use secret::Secret;

/// The app Connect-MgGraph signs users in with when no -ClientId is given
/// (Microsoft Graph Command Line Tools).
pub const DEFAULT_DELEGATED_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// The IMDS token endpoint; overridable with MGLICENSE_IMDS_ENDPOINT (tests always do).
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// What Connect-MgGraph was given (docs/abi.md, "Connect").
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub certificate: Option<CertificateInput>,
    /// Managed identity (-Identity); with clientId, the user-assigned one.
    #[serde(default)]
    pub identity: bool,
    /// AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate path (-EnvironmentVariable).
    #[serde(default)]
    pub environment_variable: bool,
    /// Delegated: `deviceCode` or `interactive` (the default when nothing else is given).
    #[serde(default)]
    pub flow: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The environment variables as the front end sees them (PowerShell's `$env:` is not the
    /// native environment on every platform). When present, the process's are not read.
    #[serde(default)]
    pub environment_variables: Option<std::collections::HashMap<String, Secret>>,
    /// The proxy for this connection, as the front end sees HTTPS_PROXY and NO_PROXY; when
    /// absent, the client's (see [`crate::ClientConfig`]).
    #[serde(default)]
    pub proxy: Option<crate::proxy::ProxySettings>,
    /// `Process` (this session only) or `CurrentUser` (a token cache the user's next sessions
    /// reuse). By default CurrentUser for a delegated sign-in and Process otherwise, as the
    /// official module; an access token is always Process.
    #[serde(default)]
    pub context_scope: Option<String>,
    /// Delegated, browser: the account to propose (-LoginHint).
    #[serde(default)]
    pub login_hint: Option<String>,
    /// Certificate: send the certificate in the assertion's `x5c` header (-SendCertificateChain).
    #[serde(default)]
    pub send_certificate_chain: bool,
    /// Shown by the context only: how the user named the certificate.
    #[serde(default)]
    pub certificate_thumbprint: Option<String>,
    #[serde(default)]
    pub certificate_subject_name: Option<String>,
    /// Shown by the context only: the version of the host that connected (PSHostVersion).
    #[serde(default)]
    pub host_version: Option<String>,
    /// Root certificates (PEM text) trusted beside the system's for this connection; when
    /// absent, the client's (see [`crate::trust`]).
    #[serde(default)]
    pub extra_root_certificates: Option<String>,
}

/// A client certificate as the front end found it.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateInput {
    /// A PEM file with the certificate and its key, unencrypted or encrypted PKCS#8.
    #[serde(default)]
    pub path: Option<String>,
    /// The password of the PEM file's encrypted key: inline, or a secret buffer of UTF-8
    /// (`{"secret": i}`). Only with `path`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The DER certificate, base64.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The private key, PKCS#8 or PKCS#1 DER: inline as base64, or the bytes of a secret buffer
    /// (`{"secret": i}`, docs/abi.md "Secrets").
    #[serde(default)]
    pub private_key: Option<secret::KeyBytes>,
}

/// How the connection gets its tokens.
pub(crate) enum Source {
    Given(AccessTokenCredential),
    App {
        token_url: String,
        client_id: String,
        tenant_id: String,
        proof: AppProof,
        scope: String,
    },
    ManagedIdentity {
        endpoint: IdentityEndpoint,
        client_id: Option<String>,
        resource: String,
    },
    Delegated {
        token_url: String,
        client_id: String,
        scopes: String,
        refresh: Mutex<Option<Secret>>,
        login_hint: Option<String>,
    },
}

pub(crate) enum AppProof {
    Secret(Secret),
    /// Boxed: a key pair is several times the size of a secret.
    Certificate(Box<ClientCertificate>),
}

pub(crate) enum IdentityEndpoint {
    /// App Service, Functions, Automation: IDENTITY_ENDPOINT + IDENTITY_HEADER.
    AppService { url: String, header: Secret },
    /// Azure VMs.
    Imds { url: String },
}

/// A token in the cache.
struct Cached {
    token: Arc<Secret>,
    expires_on: SystemTime,
    lifetime: Duration,
}

impl Cached {
    /// Not yet within its renewal margin: a quarter of its lifetime, at most five minutes.
    fn fresh(&self) -> bool {
        let margin = (self.lifetime / 4).min(Duration::from_secs(300));
        SystemTime::now() + margin < self.expires_on
    }
}

/// What the context shows of how the connection was made, besides the token's claims.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    /// `Process` or `CurrentUser`: where the connection's tokens are kept.
    pub context_scope: &'static str,
    /// -Identity: the user-assigned identity's client id, or `MSI@50342` for the system one.
    pub managed_identity_id: Option<String>,
    pub certificate_thumbprint: Option<String>,
    pub certificate_subject_name: Option<String>,
    pub send_certificate_chain: bool,
    pub host_version: Option<String>,
}

/// The ManagedIdentityId the official module shows for a system-assigned identity.
pub const SYSTEM_MANAGED_IDENTITY_ID: &str = "MSI@50342";

/// A connection's credential and token cache.
pub struct Authenticator {
    source: Source,
    cache: tokio::sync::Mutex<Option<Cached>>,
    claims: Mutex<TokenClaims>,
    pub auth_type: &'static str,
    pub token_credential_type: &'static str,
    client_id: Option<String>,
    tenant_id: Option<String>,
    pub shown: Shown,
    /// With -ContextScope CurrentUser: where tokens are kept for the user's next sessions.
    persisted: Option<cache::TokenCache>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokenCredentialType", &self.token_credential_type)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Builds the credential a request describes (no network yet).
    pub(crate) fn from_request(
        mut request: SignInRequest,
        environment: &Environment,
        env: EnvLookup<'_>,
    ) -> Result<Authenticator, Error> {
        let graph = environment.graph_endpoint.trim_end_matches('/');
        let authority = environment.azure_ad_endpoint.trim_end_matches('/');
        let app_scope = format!("{graph}/.default");
        let token_url =
            |tenant: &str| format!("{authority}/{}/oauth2/v2.0/token", login::urlencode(tenant));
        // With -EnvironmentVariable a certificate may come along: the front end opened the file the
        // variables name (a PFX, which the engine cannot open itself).
        let app_proof = request.client_secret.is_some()
            || (request.certificate.is_some() && !request.environment_variable);
        let chosen = [
            request.access_token.is_some(),
            request.identity,
            request.environment_variable,
            app_proof,
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if chosen > 1 {
            return Err(Error::invalid_argument("Give one way to sign in: an access token, -Identity, -EnvironmentVariable, or a client secret or certificate."));
        }
        let scope = match request.context_scope.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.eq_ignore_ascii_case("Process") => Some("Process"),
            Some(s) if s.eq_ignore_ascii_case("CurrentUser") => Some("CurrentUser"),
            Some(other) => {
                return Err(Error::invalid_argument(format!(
                    "Unknown context scope '{other}': use Process or CurrentUser."
                )))
            }
        };
        let mut shown = Shown {
            context_scope: scope.unwrap_or("Process"),
            managed_identity_id: None,
            certificate_thumbprint: request.certificate_thumbprint.take(),
            certificate_subject_name: request.certificate_subject_name.take(),
            send_certificate_chain: request.send_certificate_chain,
            host_version: request.host_version.take(),
        };
        let send_chain = request.send_certificate_chain;
        let given = |source,
                     auth_type,
                     kind,
                     client_id: Option<String>,
                     tenant_id: Option<String>,
                     shown: Shown| {
            Authenticator {
                source,
                cache: tokio::sync::Mutex::new(None),
                claims: Mutex::new(TokenClaims::default()),
                auth_type,
                token_credential_type: kind,
                client_id,
                tenant_id,
                shown,
                persisted: None,
            }
        };

        if let Some(token) = request.access_token {
            let credential = AccessTokenCredential::new(token.expose())?;
            let claims = credential.claims().clone();
            // A token given as is lives in this session only, whatever was asked.
            shown.context_scope = "Process";
            let a = given(
                Source::Given(credential),
                "UserProvidedAccessToken",
                "UserProvidedAccessToken",
                claims.client_id.clone(),
                claims.tenant_id.clone(),
                shown,
            );
            *a.claims.lock().unwrap_or_else(|e| e.into_inner()) = claims;
            return Ok(a);
        }

        if request.identity {
            let resource = graph.to_string();
            let endpoint = match (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER")) {
                (Some(url), Some(header)) => IdentityEndpoint::AppService {
                    url: url.trim().to_string(),
                    header: Secret::new(header),
                },
                _ => IdentityEndpoint::Imds {
                    url: env("MGLICENSE_IMDS_ENDPOINT")
                        .unwrap_or_else(|| DEFAULT_IMDS_ENDPOINT.to_string()),
                },
            };
            let client_id = request.client_id.filter(|c| !c.trim().is_empty());
            shown.managed_identity_id = Some(
                client_id
                    .clone()
                    .unwrap_or_else(|| SYSTEM_MANAGED_IDENTITY_ID.to_string()),
            );
            return Ok(given(
                Source::ManagedIdentity {
                    endpoint,
                    client_id: client_id.clone(),
                    resource,
                },
                "ManagedIdentity",
                "ManagedIdentity",
                client_id,
                None,
                shown,
            ));
        }

        let (client_id, tenant_id, proof, kind) = if request.environment_variable {
            let need = |name: &str| {
                env(name).ok_or_else(|| {
                    Error::invalid_argument(format!("-EnvironmentVariable needs {name} to be set."))
                })
            };
            let tenant = need("AZURE_TENANT_ID")?;
            let client = need("AZURE_CLIENT_ID")?;
            let proof = if let Some(secret) = env("AZURE_CLIENT_SECRET") {
                AppProof::Secret(Secret::new(secret))
            } else if let Some(opened) = request.certificate.take() {
                AppProof::Certificate(Box::new(certificate_from(opened)?.send_chain(send_chain)))
            } else if let Some(path) = env("AZURE_CLIENT_CERTIFICATE_PATH") {
                let password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD").map(Secret::new);
                AppProof::Certificate(Box::new(
                    ClientCertificate::from_pem_file(path.trim(), password.as_ref())?
                        .send_chain(send_chain),
                ))
            } else {
                return Err(Error::invalid_argument(
                    "-EnvironmentVariable needs AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH to be set, besides AZURE_TENANT_ID and AZURE_CLIENT_ID.",
                ));
            };
            (client, tenant, proof, "EnvironmentVariable")
        } else if request.client_secret.is_some() || request.certificate.is_some() {
            let client = request
                .client_id
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| {
                    Error::invalid_argument(
                        "-ClientId is required with a client secret or certificate.",
                    )
                })?;
            let tenant = request
                .tenant_id
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    Error::invalid_argument(
                        "-TenantId is required with a client secret or certificate.",
                    )
                })?;
            match (request.client_secret, request.certificate) {
                (Some(secret), _) if secret.is_empty() => {
                    return Err(Error::invalid_argument("The client secret is empty."))
                }
                (Some(secret), _) => (client, tenant, AppProof::Secret(secret), "ClientSecret"),
                (None, Some(cert)) => (
                    client,
                    tenant,
                    AppProof::Certificate(Box::new(certificate_from(cert)?.send_chain(send_chain))),
                    "ClientCertificate",
                ),
                (None, None) => unreachable!("checked above"),
            }
        } else {
            // Delegated.
            let client = request
                .client_id
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_DELEGATED_CLIENT_ID.to_string());
            let tenant = request
                .tenant_id
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "common".to_string());
            let mut scopes: Vec<String> = if request.scopes.is_empty() {
                vec!["User.Read".into()]
            } else {
                request.scopes
            };
            // OpenID Connect scopes name no resource; every other bare name is a Graph permission.
            const OIDC: [&str; 4] = ["offline_access", "openid", "profile", "email"];
            // As the official module: each value may hold several scopes, separated by commas.
            scopes = scopes
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if s.contains('/') || OIDC.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
                        s
                    } else {
                        format!("{graph}/{s}")
                    }
                })
                .collect();
            for o in ["offline_access", "openid", "profile"] {
                if !scopes.iter().any(|s| s.eq_ignore_ascii_case(o)) {
                    scopes.push(o.to_string());
                }
            }
            let kind = match request.flow.as_deref() {
                Some("deviceCode") => "DeviceCode",
                None | Some("interactive") => "InteractiveBrowser",
                Some(other) => {
                    return Err(Error::invalid_argument(format!(
                        "Unknown sign-in flow '{other}'."
                    )))
                }
            };
            let source = Source::Delegated {
                token_url: token_url(&tenant),
                client_id: client.clone(),
                scopes: scopes.join(" "),
                refresh: Mutex::new(None),
                login_hint: request
                    .login_hint
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty()),
            };
            shown.context_scope = scope.unwrap_or("CurrentUser");
            return Ok(given(
                source,
                "Delegated",
                kind,
                Some(client),
                Some(tenant),
                shown,
            ));
        };
        let source = Source::App {
            token_url: token_url(&tenant_id),
            client_id: client_id.clone(),
            tenant_id: tenant_id.clone(),
            proof,
            scope: app_scope,
        };
        let auth_type = if kind == "EnvironmentVariable" {
            "EnvironmentVariable"
        } else {
            "AppOnly"
        };
        Ok(given(
            source,
            auth_type,
            kind,
            Some(client_id),
            Some(tenant_id),
            shown,
        ))
    }

    pub fn claims(&self) -> TokenClaims {
        let mut c = self
            .claims
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        c.client_id = c.client_id.or_else(|| self.client_id.clone());
        c.tenant_id = c.tenant_id.or_else(|| self.tenant_id.clone());
        c
    }

    /// False for a token given as is, which is never renewed.
    pub fn renewable(&self) -> bool {
        !matches!(self.source, Source::Given(_))
    }

    /// A valid token: the cached one, or a new one when it is within its renewal margin.
    /// Concurrent callers wait on the same renewal instead of each asking for a token.
    pub async fn bearer(&self, login: &Login<'_>) -> Result<Arc<Secret>, Error> {
        if let Source::Given(credential) = &self.source {
            return Ok(Arc::new(Secret::new(credential.bearer()?)));
        }
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.fresh()) {
            return Ok(Arc::clone(&c.token));
        }
        let issued = self.acquire(login).await?;
        Ok(self.store(&mut cache, issued))
    }

    /// What [`Authenticator::bearer`] would answer without asking anyone for a token, or `None`
    /// when it would have to ask (or another caller is asking right now).
    pub fn bearer_at_hand(&self) -> Option<Result<Arc<Secret>, Error>> {
        if let Source::Given(credential) = &self.source {
            return Some(
                credential
                    .bearer()
                    .map(|token| Arc::new(Secret::new(token))),
            );
        }
        let cache = self.cache.try_lock().ok()?;
        cache
            .as_ref()
            .filter(|c| c.fresh())
            .map(|c| Ok(Arc::clone(&c.token)))
    }

    /// After Graph refused `rejected` as expired: drops it (unless another request already
    /// replaced it) and returns a fresh token.
    pub async fn renew(&self, login: &Login<'_>, rejected: &Secret) -> Result<Arc<Secret>, Error> {
        {
            let mut cache = self.cache.lock().await;
            if cache
                .as_ref()
                .is_some_and(|c| c.token.expose() == rejected.expose())
            {
                *cache = None;
            }
        }
        self.bearer(login).await
    }

    fn store(&self, cache: &mut Option<Cached>, issued: IssuedToken) -> Arc<Secret> {
        let mut expires_on = issued.expires_on;
        if let Some(claims) = read_claims(issued.access_token.expose()) {
            // The JWT's exp is whole seconds and may come before now + expires_in: trust the earlier.
            expires_on = claims
                .expires_on
                .map_or(expires_on, |exp| exp.min(expires_on));
            *self.claims.lock().unwrap_or_else(|e| e.into_inner()) = claims;
        }
        if let (Source::Delegated { refresh, .. }, Some(r)) = (&self.source, issued.refresh_token) {
            *refresh.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
        let lifetime = expires_on
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if let Some(persisted) = &self.persisted {
            let refresh = match &self.source {
                Source::Delegated { refresh, .. } => {
                    refresh.lock().unwrap_or_else(|e| e.into_inner()).clone()
                }
                _ => None,
            };
            persisted.put(&issued.access_token, expires_on, refresh.as_ref());
        }
        let token = Arc::new(issued.access_token);
        *cache = Some(Cached {
            token: Arc::clone(&token),
            expires_on,
            lifetime,
        });
        token
    }

    /// With -ContextScope CurrentUser and a settings directory: keeps this credential's tokens
    /// where the user's next sessions find them. Without a directory the scope is Process.
    pub(crate) fn persist_in(&mut self, directory: Option<&crate::settings::SettingsDirectory>) {
        if self.shown.context_scope != "CurrentUser" {
            return;
        }
        match (directory, self.cache_key()) {
            (Some(directory), Some(key)) => {
                self.persisted = Some(cache::TokenCache::new(directory.clone(), key));
            }
            _ => self.shown.context_scope = "Process",
        }
    }

    /// What identifies this credential's tokens in the user's cache.
    fn cache_key(&self) -> Option<String> {
        match &self.source {
            Source::Given(_) => None,
            Source::App {
                token_url,
                client_id,
                proof,
                scope,
                ..
            } => {
                let proof = match proof {
                    AppProof::Secret(s) => cache::fingerprint(s.expose()),
                    AppProof::Certificate(c) => c.thumbprint().to_string(),
                };
                Some(format!("app {token_url} {client_id} {proof} {scope}"))
            }
            Source::ManagedIdentity {
                endpoint,
                client_id,
                resource,
            } => {
                let url = match endpoint {
                    IdentityEndpoint::AppService { url, .. } | IdentityEndpoint::Imds { url } => {
                        url
                    }
                };
                Some(format!(
                    "identity {url} {} {resource}",
                    client_id.as_deref().unwrap_or("system")
                ))
            }
            Source::Delegated {
                token_url,
                client_id,
                ..
            } => Some(format!("delegated {token_url} {client_id}")),
        }
    }

    /// A sign-in of an earlier session, from the user's cache: an app's or identity's access
    /// token that is still fresh, or a delegated sign-in's refresh token redeemed for the scopes
    /// asked now. False when there is none, or it no longer works (then it is forgotten).
    pub(crate) async fn resume(&self, login: &Login<'_>) -> bool {
        let Some(persisted) = &self.persisted else {
            return false;
        };
        let Some(cached) = persisted.get() else {
            return false;
        };
        match &self.source {
            Source::Delegated { refresh, .. } => {
                let Some(token) = cached.refresh_token else {
                    return false;
                };
                *refresh.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
                match self.acquire(login).await {
                    Ok(issued) => {
                        self.accept(issued).await;
                        true
                    }
                    Err(e) => {
                        *refresh.lock().unwrap_or_else(|e| e.into_inner()) = None;
                        // Refused (revoked, expired, consent needed): it will never work again. A
                        // network failure says nothing about it, so it stays for the next time.
                        if e.kind == crate::error::ErrorKind::AuthenticationFailed {
                            persisted.forget();
                        }
                        false
                    }
                }
            }
            Source::App { .. } | Source::ManagedIdentity { .. } => {
                let lifetime = cached
                    .expires_on
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                let entry = Cached {
                    token: Arc::new(cached.access_token),
                    expires_on: cached.expires_on,
                    lifetime,
                };
                // Only a token well before its end: one about to expire is asked for anew.
                if lifetime < Duration::from_secs(300) || !entry.fresh() {
                    return false;
                }
                if let Some(claims) = read_claims(entry.token.expose()) {
                    *self.claims.lock().unwrap_or_else(|e| e.into_inner()) = claims;
                }
                *self.cache.lock().await = Some(entry);
                true
            }
            Source::Given(_) => false,
        }
    }

    /// Stores a token a sign-in flow obtained (device code, browser).
    pub(crate) async fn accept(&self, issued: IssuedToken) {
        let mut cache = self.cache.lock().await;
        self.store(&mut cache, issued);
    }

    /// Gets a new token without user interaction.
    async fn acquire(&self, login: &Login<'_>) -> Result<IssuedToken, Error> {
        match &self.source {
            Source::Given(_) => unreachable!("given tokens are never acquired"),
            Source::App {
                token_url,
                client_id,
                tenant_id,
                proof,
                scope,
            } => {
                let assertion;
                let mut form: Vec<(&str, &str)> = vec![
                    ("client_id", client_id),
                    ("scope", scope),
                    ("grant_type", "client_credentials"),
                ];
                match proof {
                    AppProof::Secret(s) => form.push(("client_secret", s.expose())),
                    AppProof::Certificate(c) => {
                        assertion = Secret::new(c.assertion(client_id, token_url)?);
                        form.push((
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ));
                        form.push(("client_assertion", assertion.expose()));
                    }
                }
                match login::post_form(login, token_url, &form, true).await? {
                    Answer::Token(t) => Ok(t),
                    Answer::Refused(r) => {
                        Err(login::refusal_error(&r, token_url, client_id, tenant_id))
                    }
                    Answer::Json(_) => Err(Error::authentication_failed("unexpected answer")),
                }
            }
            Source::ManagedIdentity {
                endpoint,
                client_id,
                resource,
            } => managed_identity(login, endpoint, client_id.as_deref(), resource).await,
            Source::Delegated {
                token_url,
                client_id,
                scopes,
                refresh,
                ..
            } => {
                let refresh_token = refresh.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let Some(refresh_token) = refresh_token else {
                    return Err(Error::authentication_failed(
                        "The sign-in has expired and no refresh token is held: call Connect-MgGraph again.",
                    ));
                };
                let form = [
                    ("client_id", client_id.as_str()),
                    ("scope", scopes.as_str()),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                ];
                match login::post_form(login, token_url, &form, true).await? {
                    Answer::Token(t) => Ok(t),
                    Answer::Refused(r) => Err(login::refusal_error(&r, token_url, client_id, "")),
                    Answer::Json(_) => Err(Error::authentication_failed("unexpected answer")),
                }
            }
        }
    }
}

fn certificate_from(input: CertificateInput) -> Result<ClientCertificate, Error> {
    match (input.path, input.certificate, input.private_key) {
        (Some(path), None, None) => ClientCertificate::from_pem_file(&path, input.password.as_ref()),
        (None, Some(_), Some(_)) if input.password.is_some() => Err(Error::invalid_argument(
            "certificate.password opens the PEM file at certificate.path; a privateKey is given already opened.",
        )),
        (None, Some(cert), Some(key)) => {
            let cert = base64::decode(cert.trim())
                .map_err(|_| Error::invalid_argument("certificate.certificate is not base64."))?;
            ClientCertificate::from_der(&cert, &key.0 .0)
        }
        _ => Err(Error::invalid_argument(
            "certificate needs either path, or certificate and privateKey.",
        )),
    }
}

/// Both managed identity protocols; IMDS is retried on 404, 410, 429 and 5xx as documented.
async fn managed_identity(
    login: &Login<'_>,
    endpoint: &IdentityEndpoint,
    client_id: Option<&str>,
    resource: &str,
) -> Result<IssuedToken, Error> {
    let id = client_id
        .map(|c| format!("&client_id={}", login::urlencode(c)))
        .unwrap_or_default();
    let (url, headers, attempts): (String, Vec<(&str, &str)>, u32) = match endpoint {
        IdentityEndpoint::AppService { url, header } => (
            format!(
                "{url}?api-version=2019-08-01&resource={}{id}",
                login::urlencode(resource)
            ),
            vec![("X-IDENTITY-HEADER", header.expose())],
            1,
        ),
        IdentityEndpoint::Imds { url } => (
            format!(
                "{url}?api-version=2018-02-01&resource={}{id}",
                login::urlencode(resource)
            ),
            vec![("Metadata", "true")],
            3,
        ),
    };
    let shown = url.split('?').next().unwrap_or("").to_string();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match login::get_token(login, &url, &headers, &["X-IDENTITY-HEADER"]).await? {
            Answer::Token(t) => return Ok(t),
            Answer::Refused(r)
                if attempt < attempts && matches!(r.status, 404 | 410 | 429 | 500..=599) =>
            {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            Answer::Refused(r) => {
                let which = match client_id {
                    Some(c) => format!("the user-assigned identity '{c}'"),
                    None => "the system-assigned identity".to_string(),
                };
                return Err(Error::authentication_failed(format!(
                    "The managed identity endpoint {shown} refused to issue a token for {which}: {} ({}) {}. Check that the identity is assigned to this resource{}.",
                    r.error,
                    r.status,
                    r.description.lines().next().unwrap_or(""),
                    if client_id.is_some() { " and that -ClientId is its client id" } else { "" }
                )));
            }
            Answer::Json(_) => return Err(Error::authentication_failed("unexpected answer")),
        }
    }
}

/// True when a 401 from Graph says the token expired, the one case worth one renewal.
pub fn says_expired(status: u16, body: &[u8]) -> bool {
    status == 401
        && String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains("expired")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::Environments;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn delegated(scopes: &[&str], tenant: &str) -> (String, String) {
        let envs = Environments::default();
        let global = envs.get("Global").expect("Global is built in");
        let request = SignInRequest {
            tenant_id: Some(tenant.into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..SignInRequest::default()
        };
        match Authenticator::from_request(request, global, &no_env)
            .expect("a valid request")
            .source
        {
            Source::Delegated {
                token_url, scopes, ..
            } => (token_url, scopes),
            _ => panic!("a delegated request gives a delegated source"),
        }
    }

    #[test]
    fn delegated_scopes_get_the_graph_prefix_but_openid_scopes_do_not() {
        let (_, scopes) = delegated(
            &[
                "User.ReadWrite.All",
                " offline_access ",
                "",
                "https://graph.microsoft.com/Group.Read.All",
            ],
            "common",
        );
        assert_eq!(
            scopes,
            "https://graph.microsoft.com/User.ReadWrite.All offline_access https://graph.microsoft.com/Group.Read.All openid profile"
        );
    }

    #[test]
    fn a_scope_value_listing_several_with_commas_is_split_as_the_official_module_does() {
        let (_, scopes) = delegated(
            &["User.Read.All, Directory.Read.All", ",Group.Read.All,,"],
            "common",
        );
        assert_eq!(
            scopes,
            "https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Directory.Read.All https://graph.microsoft.com/Group.Read.All offline_access openid profile"
        );
    }

    #[test]
    fn a_tenant_domain_appears_in_the_token_url_as_written() {
        let (url, _) = delegated(&[], "contoso.onmicrosoft.com");
        assert_eq!(
            url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        let (url, _) = delegated(&[], "a/b");
        assert_eq!(
            url,
            "https://login.microsoftonline.com/a%2Fb/oauth2/v2.0/token"
        );
    }
}
