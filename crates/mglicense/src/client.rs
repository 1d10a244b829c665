//! The client: one per front-end session, with its environments, its current connection, and
//! where each call runs. Sending a call is `send`'s.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::signin::{self, SignIn};
use crate::auth::{self, Authenticator, Secret, SignInRequest};
use crate::connection::{context_of, Connection};
use crate::environment::{Environment, EnvironmentUpdate, Environments, NewEnvironment};
use crate::error::Error;
use crate::local::Drivers;
use crate::operation::{Operation, OperationShown, RequestSpec};
use crate::pacer::{Pacer, PacerView};
use crate::pending::Pending;
use crate::proxy::ProxySettings;
use crate::retry::{RequestContext, RequestContextUpdate};
use crate::runtime::runtime;
use crate::send::{Call, Lane, Sender};
use crate::settings::SettingsDirectory;
use crate::transport::Transport;
use crate::trust::{self, ExtraRoots};

pub use crate::connection::Context;
pub use crate::response::{RawBody, Response};
pub use crate::transport::MAX_BODY_BYTES;

/// Settings a front end gives when it creates a client.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConfig {
    /// Sent as `User-Agent`; front ends add their own name and version.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Seconds before a request is abandoned (the official SDK's ClientTimeout, 300 s).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// The proxy for connections whose sign-in names none; without it, HTTPS_PROXY and NO_PROXY
    /// are read from the process environment when a connection is made.
    #[serde(default)]
    pub proxy: Option<ProxySettings>,
    /// Root certificates (PEM text) trusted beside the system's, for connections whose sign-in
    /// names none; without it, the PEM file MGLICENSE_EXTRA_CA_CERTS names is read when a
    /// connection is made (see [`crate::trust`]). Blank: none.
    #[serde(default)]
    pub extra_root_certificates: Option<String>,
    /// Rust callers only: host names resolved to fixed addresses without DNS, as curl's
    /// `--resolve` (tests use it so that no name is ever looked up). The port is the URL's.
    #[serde(skip)]
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// The directory where what outlives a session is kept: the environments Add-MgEnvironment
    /// registered and the token cache of -ContextScope CurrentUser (see [`crate::settings`]).
    /// Without it, nothing is kept beyond the client.
    #[serde(default)]
    pub settings_directory: Option<String>,
}

/// What a front end learns with a new client, once (docs/abi.md, `mgl_client_new`): the keys
/// of an identity object the engine reads, so it hands over only those, and each operation's
/// method and documented path, which the official cmdlets' -WhatIf line names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    pub identity_keys: &'static [&'static str],
    pub operations: BTreeMap<Operation, OperationShown>,
}

impl ClientInfo {
    pub fn new() -> ClientInfo {
        ClientInfo {
            identity_keys: &crate::identity::USER_KEYS,
            operations: Operation::table(),
        }
    }
}

impl Default for ClientInfo {
    fn default() -> ClientInfo {
        ClientInfo::new()
    }
}

/// Connect with a user-supplied access token (Connect-MgGraph -AccessToken).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectRequest {
    pub access_token: Secret,
    #[serde(default)]
    pub environment: Option<String>,
}

#[derive(Default)]
struct State {
    environments: Environments,
    connection: Option<Arc<Connection>>,
}

/// One client per front-end session: its environments and its connection (with its HTTP pool).
pub struct Client {
    proxy: Option<ProxySettings>,
    settings: Option<SettingsDirectory>,
    extra_root_certificates: Option<String>,
    resolve: Vec<(String, std::net::SocketAddr)>,
    state: RwLock<State>,
    /// What every call goes out through: its retry settings and the shared pacer.
    sender: Sender,
    /// Runtimes for requests sent from the thread that waits for them.
    drivers: Arc<Drivers>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Arc<Client>, Error> {
        let user_agent = match config.user_agent {
            Some(ua) if ua.bytes().all(|b| (0x20..0x7f).contains(&b)) => ua,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "userAgent must be printable ASCII.",
                ))
            }
            None => format!("MgLicense/{}", crate::VERSION),
        };
        let mut context = RequestContext::default();
        if let Some(seconds) = config.timeout_seconds {
            let update = RequestContextUpdate {
                client_timeout_seconds: Some(seconds),
                ..Default::default()
            };
            context = context.apply(update)?;
        }
        // A proxy address that cannot be used is refused now rather than at the first sign-in.
        if let Some(proxy) = &config.proxy {
            crate::proxy::ProxyRule::new(proxy)?;
        }
        if let Some(pem) = &config.extra_root_certificates {
            ExtraRoots::from_pem(pem, trust::FIELD)?;
        }
        let settings = config
            .settings_directory
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .map(SettingsDirectory::new);
        let mut state = State::default();
        if let Some(settings) = &settings {
            state.environments.load(settings);
        }
        Ok(Arc::new(Client {
            proxy: config.proxy,
            settings,
            extra_root_certificates: config.extra_root_certificates,
            resolve: config.resolve,
            state: RwLock::new(state),
            sender: Sender::new(user_agent, context),
            drivers: Arc::default(),
        }))
    }

    /// The HTTP clients for a new connection: through the proxy its sign-in names, else the
    /// client's, else the one the process environment names now; trusting the extra roots its
    /// sign-in names, else the client's, else those of MGLICENSE_EXTRA_CA_CERTS now.
    fn transport(
        &self,
        proxy: Option<ProxySettings>,
        roots: Option<String>,
    ) -> Result<Transport, Error> {
        let proxy = proxy
            .or_else(|| self.proxy.clone())
            .unwrap_or_else(|| ProxySettings::from_env(&auth::process_env));
        let roots = match roots.or_else(|| self.extra_root_certificates.clone()) {
            Some(pem) => ExtraRoots::from_pem(&pem, trust::FIELD)?,
            None => ExtraRoots::from_env(&auth::process_env)?,
        };
        Transport::new(&proxy, roots.as_ref(), &self.resolve)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn environments(&self) -> Vec<Environment> {
        self.read().environments.all().to_vec()
    }

    /// Adds or replaces a user-defined environment; with a settings directory, the user's
    /// next sessions know it too (as the official module's settings file).
    pub fn add_environment(&self, new: NewEnvironment) -> Result<Environment, Error> {
        self.change_environments(|environments| environments.add(new))
    }

    /// Changes the endpoints given of a user-defined environment, or adds it (Set-MgEnvironment).
    pub fn set_environment(&self, update: EnvironmentUpdate) -> Result<Environment, Error> {
        self.change_environments(|environments| environments.set(update))
    }

    /// Removes a user-defined environment, from the user's next sessions too.
    pub fn remove_environment(&self, name: &str) -> Result<Environment, Error> {
        self.change_environments(|environments| environments.remove(name))
    }

    /// One change to the environments, from what is saved (another session may have changed it
    /// since) and saved again; nothing changes when it cannot be kept.
    fn change_environments(
        &self,
        change: impl FnOnce(&mut Environments) -> Result<Environment, Error>,
    ) -> Result<Environment, Error> {
        let mut state = self.write();
        if let Some(settings) = &self.settings {
            state.environments.load(settings);
        }
        let before = state.environments.clone();
        let changed = change(&mut state.environments)?;
        if let Some(settings) = &self.settings {
            if let Err(e) = state.environments.save(settings) {
                state.environments = before;
                return Err(e);
            }
        }
        Ok(changed)
    }

    /// Retry and timeout settings (Get-MgRequestContext).
    pub fn request_context(&self) -> RequestContext {
        self.sender.context()
    }

    /// Changes the settings given, keeps the others (Set-MgRequestContext).
    pub fn set_request_context(
        &self,
        update: RequestContextUpdate,
    ) -> Result<RequestContext, Error> {
        self.sender.set_context(update)
    }

    /// The pacer every paced call of this client waits for.
    pub(crate) fn pacer(&self) -> &Pacer {
        self.sender.pacer()
    }

    /// How the shared pacer is holding calls back, for progress displays.
    pub fn pacing(&self) -> PacerView {
        self.pacer().view(std::time::Instant::now())
    }

    pub fn connect(&self, request: ConnectRequest) -> Result<Context, Error> {
        let mut state = self.write();
        let environment = state
            .environments
            .get(request.environment.as_deref().unwrap_or("Global"))?
            .clone();
        let given = SignInRequest {
            access_token: Some(request.access_token),
            ..SignInRequest::default()
        };
        let credential = Authenticator::from_request(given, &environment, &auth::process_env)?;
        let transport = self.transport(None, None)?;
        let connection = Arc::new(Connection {
            environment,
            credential,
            transport,
            names: Default::default(),
        });
        let context = context_of(&connection);
        state.connection = Some(connection);
        Ok(context)
    }

    /// Starts Connect-MgGraph with any credential (docs/abi.md, "Sign-in"); environment variables
    /// are read from the process.
    pub fn sign_in(self: &Arc<Self>, mut request: SignInRequest) -> Result<SignIn, Error> {
        match request.environment_variables.take() {
            Some(given) => {
                let lookup = move |name: &str| {
                    given
                        .get(name)
                        .map(|v| v.expose().to_string())
                        .filter(|v| !v.trim().is_empty())
                };
                self.sign_in_with_env(request, &lookup)
            }
            None => self.sign_in_with_env(request, &auth::process_env),
        }
    }

    /// As [`Client::sign_in`], with environment variables looked up through `env`.
    pub fn sign_in_with_env(
        self: &Arc<Self>,
        mut request: SignInRequest,
        env: auth::EnvLookup<'_>,
    ) -> Result<SignIn, Error> {
        let environment = self
            .read()
            .environments
            .get(request.environment.as_deref().unwrap_or("Global"))?
            .clone();
        // From here on, a sign-in that fails ends the connection there was, as the official
        // module resets its session: nothing goes on in the name of an identity the user just
        // tried to replace.
        let prepared = self
            .transport(request.proxy.take(), request.extra_root_certificates.take())
            .and_then(|t| Ok((t, Authenticator::from_request(request, &environment, env)?)));
        let (transport, mut credential) = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.write().connection = None;
                return Err(e);
            }
        };
        credential.persist_in(self.settings.as_ref());
        let rt = runtime()?;
        let client = Arc::clone(self);
        Ok(SignIn::spawn(rt, move |events| async move {
            let first = signin::first_token(
                &credential,
                &transport.login(&client.request_context()),
                &events,
            )
            .await;
            if let Err(e) = first {
                client.write().connection = None;
                return Err(e);
            }
            let connection = Arc::new(Connection {
                environment,
                credential,
                transport,
                names: Default::default(),
            });
            let context = context_of(&connection);
            client.write().connection = Some(connection);
            serde_json::to_value(&context).map_err(|e| Error::runtime(e.to_string()))
        }))
    }

    /// Signs in without interaction and waits for it: for callers with nothing to show.
    pub fn sign_in_and_wait(self: &Arc<Self>, request: SignInRequest) -> Result<Context, Error> {
        if request.access_token.is_none()
            && !request.identity
            && !request.environment_variable
            && request.client_secret.is_none()
            && request.certificate.is_none()
        {
            return Err(Error::invalid_argument(
                "Delegated sign-in needs to show a message or open a browser: start it with mgl_signin_start and poll it.",
            ));
        }
        let outcome = self
            .sign_in(request)?
            .poll(None)
            .outcome
            .unwrap_or_else(|| Err(Error::cancelled()))?;
        serde_json::from_value::<Value>(outcome).map_err(|e| Error::runtime(e.to_string()))?;
        self.context().ok_or_else(Error::not_connected)
    }

    /// Forgets the connection and its token, and the user's cached sign-ins
    /// (-ContextScope CurrentUser); returns the context that was, if any.
    pub fn disconnect(&self) -> Option<Context> {
        let ended = self.write().connection.take().map(|c| context_of(&c));
        if let (Some(_), Some(settings)) = (&ended, &self.settings) {
            auth::cache::TokenCache::clear(settings);
        }
        ended
    }

    pub fn context(&self) -> Option<Context> {
        self.read().connection.as_ref().map(|c| context_of(c))
    }

    /// Checks a request and starts it on the engine's runtime.
    pub fn start(self: &Arc<Self>, spec: &RequestSpec) -> Result<Pending, Error> {
        let call = self.prepare(spec)?;
        // A call through a proxy of its own is sent from the engine's threads, whose client for
        // that proxy is the one kept (connections belong to the runtime that opened them).
        if spec.on_waiting_thread && call.wait.is_none() && call.prepared.proxy.is_none() {
            let driver = self.drivers.lend(&call.connection)?;
            let (client, graph) = (Arc::clone(self), driver.graph().clone());
            let work = Box::pin(async move {
                crate::local::settle().await;
                let lane = Lane::Caller {
                    graph: &graph,
                    connection: &call.connection,
                };
                client
                    .sender
                    .send_on(lane, &call.connection, &call.prepared)
                    .await
            });
            let pending = Pending::local(Arc::clone(&self.drivers), driver, work);
            return Ok(pending.watching(Arc::clone(self.sender.pacer())));
        }
        let rt = runtime()?;
        let client = Arc::clone(self);
        let pending = Pending::spawn(rt, async move {
            let response = client.run(&call).await?;
            Ok(client.wait_if_asked(&call, response).await)
        });
        Ok(pending.watching(Arc::clone(self.sender.pacer())))
    }

    /// Everything about a call that can be checked before anything is sent.
    pub(crate) fn prepare(&self, spec: &RequestSpec) -> Result<Call, Error> {
        let prepared = spec.prepare()?;
        let connection = self
            .read()
            .connection
            .clone()
            .ok_or_else(Error::not_connected)?;
        Ok(Call {
            connection,
            prepared,
            wait: spec.wait,
        })
    }

    /// The current connection, or the error that says to connect first.
    pub(crate) fn connection(&self) -> Result<Arc<Connection>, Error> {
        self.read()
            .connection
            .clone()
            .ok_or_else(Error::not_connected)
    }

    /// Sends a prepared call, with retries and pacing.
    pub(crate) async fn run(&self, call: &Call) -> Result<Response, Error> {
        self.send(&call.connection, &call.prepared).await
    }

    /// After a successful call with -Wait, follows the user until the service has processed it
    /// (see `wait`); without -Wait, the response as it is.
    pub(crate) async fn wait_if_asked(&self, call: &Call, response: Response) -> Response {
        match call.wait {
            Some(spec) => {
                let sender = &self.sender;
                crate::wait::wait(sender, &call.connection, &call.prepared, spec, response).await
            }
            None => response,
        }
    }

    pub(crate) fn waits(call: &Call) -> bool {
        call.wait.is_some()
    }

    /// Runs a request to completion on the calling thread (which must not be a runtime thread).
    pub fn execute(self: &Arc<Self>, spec: &RequestSpec) -> Result<Response, Error> {
        self.start(spec)?
            .wait(None)
            .unwrap_or_else(|| Err(Error::cancelled()))
    }

    /// What every call of this client goes out through.
    pub(crate) fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Sends a call on the engine's runtime (see [`Sender::send`]).
    pub(crate) async fn send(
        &self,
        connection: &Connection,
        prepared: &crate::operation::PreparedRequest,
    ) -> Result<Response, Error> {
        self.sender.send(connection, prepared).await
    }
}
