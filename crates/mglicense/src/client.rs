//! The client: environments, the current connection, and sending one Graph call.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::signin::{self, SignIn};
use crate::auth::{self, Authenticator, Secret, SignInRequest};
use crate::environment::{Environment, Environments, NewEnvironment};
use crate::error::{Error, ErrorKind, GraphError};
use crate::local::Drivers;
use crate::operation::{PreparedRequest, RequestSpec, ResponseShape};
use crate::pacer::{Pacer, PacerView};
use crate::pending::Pending;
use crate::proxy::ProxySettings;
use crate::retry::{self, RequestContext, RequestContextUpdate};
use crate::runtime::runtime;
use crate::trace::{self, LogLine};
use crate::transport::{self, Transport};

/// Most 429s one call may meet for throttles it could not have known of (it was already in
/// flight when another call heard of them) before they count against MaxRetry after all.
const MAX_UNCHARGED_RETRIES: u32 = 10;

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
    /// Rust callers only: host names resolved to fixed addresses without DNS, as curl's
    /// `--resolve` (tests use it so that no name is ever looked up). The port is the URL's.
    #[serde(skip)]
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

/// Connect with a user-supplied access token (Connect-MgGraph -AccessToken).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectRequest {
    pub access_token: Secret,
    #[serde(default)]
    pub environment: Option<String>,
}

/// What Get-MgContext shows; never the token.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    pub scopes: Vec<String>,
    pub auth_type: &'static str,
    pub token_credential_type: &'static str,
    pub environment: String,
    pub app_name: Option<String>,
    pub account: Option<String>,
    pub expires_on: Option<String>,
}

/// The `SdkVersion` header every Graph request carries.
const SDK_VERSION: &str = concat!("mglicense/", env!("CARGO_PKG_VERSION"));

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body, read into a tree for the engine to look inside (reads, -Wait).
    pub body: Option<Value>,
    /// The body as it came, when nothing in the engine needs to look inside it: handed on
    /// without building a tree and writing it out again. At most one of the two is set.
    pub raw_body: Option<RawBody>,
    /// What -Debug and -Verbose show of the call, when asked for.
    pub log: Vec<LogLine>,
    /// How a -Wait ended, when one was asked for.
    pub wait: Option<crate::wait::WaitOutcome>,
}

/// A JSON body kept as its text.
#[derive(Clone, Debug)]
pub struct RawBody(Box<serde_json::value::RawValue>);

impl RawBody {
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawBody {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Response {
    /// The body as a tree, whichever way it was kept.
    pub fn body_value(&self) -> Option<Value> {
        match &self.raw_body {
            Some(raw) => serde_json::from_str(raw.get()).ok(),
            None => self.body.clone(),
        }
    }
}

// Written by hand so that `body` is one key, from whichever form the body was kept in.
impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("url", &self.url)?;
        map.serialize_entry("headers", &self.headers)?;
        match &self.raw_body {
            Some(raw) => map.serialize_entry("body", &raw.0)?,
            None => map.serialize_entry("body", &self.body)?,
        }
        if !self.log.is_empty() {
            map.serialize_entry("log", &self.log)?;
        }
        if let Some(wait) = &self.wait {
            map.serialize_entry("wait", wait)?;
        }
        map.end()
    }
}

/// A checked call with the connection it will use.
pub(crate) struct Call {
    connection: Arc<Connection>,
    prepared: PreparedRequest,
    wait: Option<crate::wait::WaitSpec>,
}

/// One call's attempts so far: what MaxRetry, RetriesTimeLimit and the uncharged throttle
/// retries are counted against, and the -Debug/-Verbose lines of the attempts before. A call
/// in a JSON batch carries its own from one batch to the next.
#[derive(Default)]
pub(crate) struct Attempts {
    first_try: Option<std::time::Instant>,
    /// Retries counted against MaxRetry so far; the next attempt's `Retry-Attempt`.
    pub(crate) attempt: u32,
    uncharged: u32,
    log: Vec<LogLine>,
}

/// What the retry rules make of one attempt.
pub(crate) enum Verdict {
    Done(Result<Response, Error>),
    /// Try again, not before `not_before`. `paused`: the shared pacer already holds every paced
    /// call that long (a throttle), so waiting for the pacer is waiting for it.
    Again {
        not_before: std::time::Instant,
        paused: bool,
    },
}

impl Call {
    pub(crate) fn prepared(&self) -> &PreparedRequest {
        &self.prepared
    }

    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }
}

pub(crate) struct Connection {
    pub(crate) environment: Environment,
    pub(crate) credential: Authenticator,
    /// The HTTP clients for Graph and for renewing the token.
    pub(crate) transport: Transport,
    /// SKU and group names for -Wait's warnings, looked up once per connection.
    pub(crate) names: crate::wait::Names,
}

impl Connection {
    /// The Graph endpoint the connection's token is for; nothing else ever receives it.
    pub(crate) fn graph_endpoint(&self) -> &str {
        self.environment.graph_endpoint.trim_end_matches('/')
    }
}

#[derive(Default)]
struct State {
    environments: Environments,
    connection: Option<Arc<Connection>>,
    request_context: RequestContext,
}

pub use crate::transport::MAX_BODY_BYTES;

/// One client per front-end session: its environments and its connection (with its HTTP pool).
pub struct Client {
    user_agent: String,
    proxy: Option<ProxySettings>,
    resolve: Vec<(String, std::net::SocketAddr)>,
    state: RwLock<State>,
    pacer: Pacer,
    /// Runtimes for requests sent from the thread that waits for them.
    drivers: Drivers,
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
        let mut state = State::default();
        if let Some(seconds) = config.timeout_seconds {
            let update = RequestContextUpdate {
                client_timeout_seconds: Some(seconds),
                ..Default::default()
            };
            state.request_context = state.request_context.apply(update)?;
        }
        // A proxy address that cannot be used is refused now rather than at the first sign-in.
        if let Some(proxy) = &config.proxy {
            crate::proxy::ProxyRule::new(proxy)?;
        }
        Ok(Arc::new(Client {
            user_agent,
            proxy: config.proxy,
            resolve: config.resolve,
            state: RwLock::new(state),
            pacer: Pacer::default(),
            drivers: Drivers::default(),
        }))
    }

    /// The HTTP clients for a new connection: through the proxy its sign-in names, else the
    /// client's, else the one the process environment names now.
    fn transport(&self, proxy: Option<ProxySettings>) -> Result<Transport, Error> {
        let proxy = proxy
            .or_else(|| self.proxy.clone())
            .unwrap_or_else(|| ProxySettings::from_env(&auth::process_env));
        Transport::new(&proxy, &self.resolve)
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

    pub fn add_environment(&self, new: NewEnvironment) -> Result<Environment, Error> {
        self.write().environments.add(new)
    }

    pub fn remove_environment(&self, name: &str) -> Result<Environment, Error> {
        self.write().environments.remove(name)
    }

    /// Retry and timeout settings (Get-MgRequestContext).
    pub fn request_context(&self) -> RequestContext {
        self.read().request_context
    }

    /// Changes the settings given, keeps the others (Set-MgRequestContext).
    pub fn set_request_context(
        &self,
        update: RequestContextUpdate,
    ) -> Result<RequestContext, Error> {
        let mut state = self.write();
        state.request_context = state.request_context.apply(update)?;
        Ok(state.request_context)
    }

    /// The pacer every paced call of this client waits for.
    pub(crate) fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    pub(crate) fn drivers(&self) -> &Drivers {
        &self.drivers
    }

    /// How the shared pacer is holding calls back, for progress displays.
    pub fn pacing(&self) -> PacerView {
        self.pacer.view(std::time::Instant::now())
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
        let transport = self.transport(None)?;
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
        let transport = self.transport(request.proxy.take())?;
        let credential = Authenticator::from_request(request, &environment, env)?;
        let rt = runtime()?;
        let client = Arc::clone(self);
        Ok(SignIn::spawn(rt, move |events| async move {
            signin::first_token(
                &credential,
                &transport.login(&client.request_context()),
                &events,
            )
            .await?;
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

    /// Forgets the connection and its token; returns the context that was, if any.
    pub fn disconnect(&self) -> Option<Context> {
        self.write().connection.take().map(|c| context_of(&c))
    }

    pub fn context(&self) -> Option<Context> {
        self.read().connection.as_ref().map(|c| context_of(c))
    }

    /// Checks a request and starts it on the engine's runtime.
    pub fn start(self: &Arc<Self>, spec: &RequestSpec) -> Result<Pending, Error> {
        let call = self.prepare(spec)?;
        if spec.on_waiting_thread && call.wait.is_none() {
            let driver = self.drivers.lend(&call.connection)?;
            let (client, graph) = (Arc::clone(self), driver.graph().clone());
            let work = Box::pin(async move {
                crate::local::settle().await;
                let lane = Lane::Caller {
                    graph: &graph,
                    connection: &call.connection,
                };
                client.send_on(lane, &call.connection, &call.prepared).await
            });
            return Ok(Pending::local(Arc::clone(self), driver, work).watching(Arc::clone(self)));
        }
        let rt = runtime()?;
        let client = Arc::clone(self);
        let pending = Pending::spawn(rt, async move {
            let response = client.run(&call).await?;
            Ok(client.wait_if_asked(&call, response).await)
        });
        Ok(pending.watching(Arc::clone(self)))
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
                crate::wait::wait(self, &call.connection, &call.prepared, spec, response).await
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

    /// Sends a call, retrying what the service asks to be retried (see `retry`), paced by the
    /// shared pacer.
    pub(crate) async fn send(
        &self,
        connection: &Connection,
        prepared: &PreparedRequest,
    ) -> Result<Response, Error> {
        self.send_on(Lane::Engine, connection, prepared).await
    }

    /// As [`Client::send`], with the exchanges on `lane`.
    pub(crate) async fn send_on(
        &self,
        lane: Lane<'_>,
        connection: &Connection,
        prepared: &PreparedRequest,
    ) -> Result<Response, Error> {
        #[cfg(test)]
        crate::panic_tests::panic_if_asked(&prepared.target);
        let context = self.request_context();
        let mut attempts = Attempts::default();
        loop {
            if prepared.paced {
                self.pacer.acquire().await;
            }
            let sent = std::time::Instant::now();
            let outcome = self
                .send_once(lane, connection, prepared, attempts.attempt, &context)
                .await;
            match self.judge(prepared, &context, &mut attempts, sent, outcome, false) {
                Verdict::Done(result) => return result,
                // A throttle holds every paced call in the pacer; anything else is waited out here.
                Verdict::Again { not_before, paused } => {
                    if !paused {
                        tokio::time::sleep_until(not_before.into()).await;
                    }
                }
            }
        }
    }

    /// What the retry rules (see `retry`) make of one attempt of a call sent at `sent`, and
    /// what the shared pacer learns from it. `transport_retried`: a failure to get any answer
    /// is retried too (a JSON batch's items, whose one exchange failed for all of them).
    pub(crate) fn judge(
        &self,
        prepared: &PreparedRequest,
        context: &RequestContext,
        attempts: &mut Attempts,
        sent: std::time::Instant,
        outcome: Result<Response, Error>,
        transport_retried: bool,
    ) -> Verdict {
        let first_try = *attempts.first_try.get_or_insert(sent);
        let now = std::time::Instant::now();
        let mut failure = match outcome {
            Ok(mut response) => {
                let limit = response
                    .headers
                    .get("x-ms-throttle-limit-percentage")
                    .and_then(|v| v.first())
                    .and_then(|v| v.trim().parse::<f64>().ok());
                if prepared.paced {
                    self.pacer.on_success(now, limit);
                }
                attempts.log.append(&mut response.log);
                response.log = std::mem::take(&mut attempts.log);
                return Verdict::Done(Ok(response));
            }
            Err(e) => e,
        };
        attempts.log.append(&mut failure.log);
        let status = failure.graph.as_ref().map(|g| g.status);
        let retryable = match status {
            Some(status) => retry::is_retryable(status),
            None => transport_retried && failure.kind == ErrorKind::Transport,
        };
        if !retryable {
            failure.log = std::mem::take(&mut attempts.log);
            return Verdict::Done(Err(failure));
        }
        let retry_after = failure
            .graph
            .as_ref()
            .and_then(|g| g.headers.get("retry-after"))
            .and_then(|v| v.first())
            .and_then(|v| retry::parse_retry_after(v, std::time::SystemTime::now()));
        let wait = retry::delay(context, attempts.attempt + 1, retry_after);
        let limit = Duration::from_secs(context.retries_time_limit_seconds);
        let out_of_time = !limit.is_zero() && now.duration_since(first_try) + wait > limit;
        // 429s met by attempts that were already in flight when another call heard of the
        // throttle: retried after the shared wait without counting against MaxRetry, a bounded
        // number of times.
        let throttled = status == Some(429) && prepared.paced;
        let charged = !(throttled
            && context.max_retry > 0
            && attempts.uncharged < MAX_UNCHARGED_RETRIES
            && self.pacer.throttled_since(sent));
        if (charged && attempts.attempt >= context.max_retry) || out_of_time {
            if attempts.attempt > 0 {
                failure.message = format!(
                    "{} (Too many retries performed: gave up after {} retries in {:.1} s.)",
                    failure.message,
                    attempts.attempt,
                    now.duration_since(first_try).as_secs_f64()
                );
            }
            failure.log = std::mem::take(&mut attempts.log);
            return Verdict::Done(Err(failure));
        }
        if prepared.paced {
            self.pacer.on_retry();
        }
        if charged {
            attempts.attempt += 1;
        } else {
            attempts.uncharged += 1;
        }
        if prepared.trace.verbose {
            let which = if charged {
                format!("retry {} of {}", attempts.attempt, context.max_retry)
            } else {
                "sent before the throttle was known, so retried without counting it".to_owned()
            };
            let what = match status {
                Some(status) => format!("answered {status}"),
                None => "got no answer".to_owned(),
            };
            attempts.log.push(LogLine::verbose(format!(
                "{} {what}; {which}, in {:.1} s.",
                prepared.target,
                wait.as_secs_f64()
            )));
        }
        if throttled {
            // Everyone waits out a throttle, not just this call: the budget is shared. Graph
            // names the throttle scope when its budget is spent; that also lowers the pace.
            let headers = failure.graph.as_ref().map(|g| &g.headers);
            let budget = headers.is_some_and(|h| {
                h.contains_key("x-ms-throttle-scope") || h.contains_key("x-ms-throttle-information")
            });
            self.pacer.on_throttled(now, wait, budget);
        }
        Verdict::Again {
            not_before: now + wait,
            paused: throttled,
        }
    }

    /// A Graph request with what every one carries: the token, who sends it, what it accepts,
    /// and how long it may take.
    pub(crate) fn graph_request(
        &self,
        connection: &Connection,
        method: reqwest::Method,
        url: &str,
        token: &Secret,
        context: &RequestContext,
    ) -> reqwest::RequestBuilder {
        connection
            .transport
            .graph
            .request(method, url)
            .header("Authorization", bearer_header(token))
            .header("User-Agent", &self.user_agent)
            .header("SdkVersion", SDK_VERSION)
            .header("Accept", "application/json")
            .timeout(Duration::from_secs(context.client_timeout_seconds))
    }

    async fn send_once(
        &self,
        lane: Lane<'_>,
        connection: &Connection,
        prepared: &PreparedRequest,
        attempt: u32,
        context: &RequestContext,
    ) -> Result<Response, Error> {
        let url = format!(
            "{}{}",
            connection.environment.graph_endpoint.trim_end_matches('/'),
            prepared.path
        );
        transport::check_url(&url)?;
        let verb = prepared.method;
        let method = reqwest::Method::from_bytes(verb.as_bytes()).expect("static method name");
        let login = connection.transport.login(context);
        let token = lane.bearer(connection, &login).await?;
        let mut request = self.graph_request(connection, method.clone(), &url, &token, context);
        // An action without a body still states its length, as Graph expects of a POST.
        if method == reqwest::Method::POST {
            request = request.body(Vec::new());
        }
        let mut request = request.build().map_err(|e| transport_error(&url, e))?;
        add_call_headers(request.headers_mut(), prepared.call_headers(attempt))?;

        let mut log = Vec::new();
        if prepared.trace.verbose {
            log.push(LogLine::verbose(format!(
                "{verb} {url} ({})",
                prepared.what
            )));
        }
        if prepared.trace.debug {
            let headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            log.push(LogLine::debug(trace::format_request(
                verb, &url, &headers, b"",
            )));
        }
        let started = std::time::Instant::now();
        let (outcome, _) =
            exchange_renewing(lane, connection, &login, token, request, &url).await?;
        let elapsed = started.elapsed().as_millis();
        match outcome {
            Exchange::Answered {
                status,
                headers,
                body,
            } => read_answer(prepared, url, elapsed, status, headers, &body, log),
            Exchange::Failed(mut e) => {
                if prepared.trace.verbose {
                    log.push(LogLine::verbose(format!(
                        "{verb} {url}: failed after {elapsed} ms: {}",
                        e.message
                    )));
                }
                e.log = log;
                Err(e)
            }
        }
    }
}

/// Adds a call's headers to a request: the caller's `User-Agent` or `Accept` replaces the
/// engine's (one field each on the wire), every other header is added.
fn add_call_headers(
    to: &mut reqwest::header::HeaderMap,
    headers: Vec<(String, String)>,
) -> Result<(), Error> {
    use reqwest::header::{HeaderName, HeaderValue};
    for (name, value) in headers {
        let invalid =
            || Error::invalid_argument(format!("The header '{name}' cannot be sent as given."));
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(&value).map_err(|_| invalid())?;
        if crate::operation::REPLACEABLE_HEADERS.contains(&header.as_str()) {
            to.insert(header, value);
        } else {
            to.append(header, value);
        }
    }
    Ok(())
}

/// What an answer means for a call: its Response, or its Error, as the caller sees them. `log`
/// has the call's -Debug and -Verbose lines so far and gets the answer's.
pub(crate) fn read_answer(
    prepared: &PreparedRequest,
    url: String,
    elapsed_ms: u128,
    status: reqwest::StatusCode,
    headers: BTreeMap<String, Vec<String>>,
    body: &[u8],
    mut log: Vec<LogLine>,
) -> Result<Response, Error> {
    let verb = prepared.method;
    let reason = status.canonical_reason().unwrap_or("");
    if prepared.trace.debug {
        log.push(LogLine::debug(trace::format_response(
            status.as_u16(),
            reason,
            &headers,
            body,
        )));
    }
    if prepared.trace.verbose {
        log.push(LogLine::verbose(format!(
            "{verb} {url}: {} {reason} in {elapsed_ms} ms",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        let mut e = Error::graph(graph_error(status, headers, body));
        e.log = log;
        return Err(e);
    }
    let read = if prepared.pass_body_through && prepared.shape == ResponseShape::Object {
        pass_body_through(body, &url).map(|raw| (None, raw))
    } else {
        parse_success_body(prepared.shape, body, &url).map(|parsed| (parsed, None))
    };
    match read {
        Ok((parsed, raw_body)) => Ok(Response {
            status: status.as_u16(),
            method: verb.into(),
            url,
            headers,
            body: parsed,
            raw_body,
            log,
            wait: None,
        }),
        Err(mut e) => {
            e.log = log;
            Err(e)
        }
    }
}

/// Sends a built request with `token`. A token that expired in flight is renewed once (shared
/// with concurrent requests) and the request sent again. The answer comes with every token sent
/// redacted from it, and the token it answered.
pub(crate) async fn exchange_renewing(
    lane: Lane<'_>,
    connection: &Connection,
    login: &crate::transport::Login<'_>,
    token: Arc<Secret>,
    request: reqwest::Request,
    url: &str,
) -> Result<(Exchange, Arc<Secret>), Error> {
    let again = request.try_clone();
    let http = lane.graph(connection);
    let outcome = exchange(http, request, url).await.redacting(&token);
    if let (Exchange::Answered { status, body, .. }, Some(mut again)) = (&outcome, again) {
        if connection.credential.renewable() && auth::says_expired(status.as_u16(), body) {
            let renewed = lane.renew(connection, login, &token).await?;
            again
                .headers_mut()
                .insert(reqwest::header::AUTHORIZATION, bearer_header(&renewed));
            let outcome = exchange(http, again, url)
                .await
                .redacting(&renewed)
                .redacting(&token);
            return Ok((outcome, renewed));
        }
    }
    Ok((outcome, token))
}

/// Sends a built request and reads the answer, up to [`MAX_BODY_BYTES`]: past that the caller
/// sees a truncated body and reports it as unreadable.
async fn exchange(http: &reqwest::Client, request: reqwest::Request, url: &str) -> Exchange {
    let response = match http.execute(request).await {
        Ok(r) => r,
        Err(e) => return Exchange::Failed(transport_error(url, e)),
    };
    let status = response.status();
    let headers = header_map(response.headers());
    match transport::read_capped(response, MAX_BODY_BYTES).await {
        Ok(body) if body.truncated => Exchange::Failed(Error::transport(format!(
            "The answer from {url} ({} {}) is larger than {} MiB; no Graph answer is that large, so it was not read further.",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            MAX_BODY_BYTES >> 20
        ))),
        Ok(body) => Exchange::Answered {
            status,
            headers,
            body: body.bytes,
        },
        Err(e) => Exchange::Failed(transport_error(url, e)),
    }
}

/// Where a call's exchanges run.
#[derive(Clone, Copy)]
pub(crate) enum Lane<'a> {
    /// On the engine's runtime, with the connection's own clients.
    Engine,
    /// On a caller's thread (see [`crate::local`]): Graph calls through `graph`, a client of
    /// that thread's runtime. Token requests still go to the engine's runtime, whose login
    /// connections must not end up owned by a runtime that only runs while a caller waits.
    Caller {
        graph: &'a reqwest::Client,
        connection: &'a Arc<Connection>,
    },
}

impl Lane<'_> {
    fn graph<'c>(&'c self, connection: &'c Connection) -> &'c reqwest::Client {
        match self {
            Lane::Engine => &connection.transport.graph,
            Lane::Caller { graph, .. } => graph,
        }
    }

    /// The connection's token; a caller's thread only takes one at hand, else asks the engine.
    async fn bearer(
        self,
        connection: &Connection,
        login: &crate::transport::Login<'_>,
    ) -> Result<Arc<Secret>, Error> {
        match self {
            Lane::Engine => connection.credential.bearer(login).await,
            Lane::Caller {
                connection: shared, ..
            } => {
                if let Some(at_hand) = shared.credential.bearer_at_hand() {
                    return at_hand;
                }
                let (shared, timeout) = (Arc::clone(shared), login.timeout);
                on_engine(async move {
                    shared
                        .credential
                        .bearer(&shared.transport.login_within(timeout))
                        .await
                })
                .await
            }
        }
    }

    /// A new token after Graph refused `rejected` as expired.
    async fn renew(
        self,
        connection: &Connection,
        login: &crate::transport::Login<'_>,
        rejected: &Arc<Secret>,
    ) -> Result<Arc<Secret>, Error> {
        match self {
            Lane::Engine => connection.credential.renew(login, rejected).await,
            Lane::Caller {
                connection: shared, ..
            } => {
                let (shared, timeout, rejected) =
                    (Arc::clone(shared), login.timeout, Arc::clone(rejected));
                on_engine(async move {
                    shared
                        .credential
                        .renew(&shared.transport.login_within(timeout), &rejected)
                        .await
                })
                .await
            }
        }
    }
}

/// Runs `work` on the engine's runtime and waits for it from wherever the caller runs.
async fn on_engine<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    runtime()?
        .spawn(crate::runtime::catch_panic(work))
        .await
        .map_err(|e| {
            Error::runtime(format!(
                "the engine's token request ended without an answer: {e}"
            ))
        })?
}

/// What came back from one exchange on the wire.
pub(crate) enum Exchange {
    Answered {
        status: reqwest::StatusCode,
        headers: BTreeMap<String, Vec<String>>,
        body: Vec<u8>,
    },
    Failed(Error),
}

/// Shorter tokens are not searched for: they could match ordinary text, and no real token is.
const MIN_REDACTED_TOKEN: usize = 8;

impl Exchange {
    /// Replaces the token sent with the request wherever a server echoed it back, in header
    /// values and in the body, before the answer reaches a response-header variable, an error
    /// record, -Debug output or the caller; and in the text of a failure (a redirect's target,
    /// say, that the HTTP library's error named).
    fn redacting(self, token: &Secret) -> Exchange {
        let secret = token.expose().as_bytes();
        match self {
            Exchange::Failed(mut e) if secret.len() >= MIN_REDACTED_TOKEN => {
                e.message = e.message.replace(token.expose(), trace::REDACTED);
                Exchange::Failed(e)
            }
            Exchange::Answered {
                status,
                mut headers,
                body,
            } if secret.len() >= MIN_REDACTED_TOKEN => {
                for value in headers.values_mut().flatten() {
                    if value.contains(token.expose()) {
                        *value = value.replace(token.expose(), trace::REDACTED);
                    }
                }
                Exchange::Answered {
                    status,
                    headers,
                    body: replace_bytes(body, secret, trace::REDACTED.as_bytes()),
                }
            }
            other => other,
        }
    }
}

fn replace_bytes(haystack: Vec<u8>, needle: &[u8], with: &[u8]) -> Vec<u8> {
    if haystack.windows(needle.len()).all(|w| w != needle) {
        return haystack;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn context_of(c: &Connection) -> Context {
    let claims = c.credential.claims();
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
    }
}

/// The Authorization header value, marked sensitive so no HTTP library prints it. (The text it
/// is made from is wiped; the header value itself belongs to the HTTP library.)
pub(crate) fn bearer_header(token: &Secret) -> reqwest::header::HeaderValue {
    let text = zeroize::Zeroizing::new(format!("Bearer {}", token.expose()));
    let mut value = reqwest::header::HeaderValue::from_str(&text)
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

pub(crate) fn header_map(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_string())
            .or_default()
            .push(value);
    }
    map
}

/// A body kept as it came: checked to be JSON and an object (as [`parse_success_body`] checks
/// it), without building a tree.
fn pass_body_through(body: &[u8], url: &str) -> Result<Option<RawBody>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(not_an_object(url, "empty"));
    }
    let raw: Box<serde_json::value::RawValue> = serde_json::from_slice(body).map_err(|e| {
        Error::transport(format!(
            "The answer from {url} is not valid JSON ({e}); {} bytes were received.",
            body.len()
        ))
    })?;
    // The text is valid JSON with no whitespace around it: its first byte says what it is.
    match raw.get().as_bytes().first() {
        Some(b'{') => Ok(Some(RawBody(raw))),
        _ => {
            let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            Err(not_an_object(url, json_kind(&value)))
        }
    }
}

/// A call's successful answer as the object it returns; `None` only for a call that returns
/// nothing ([`ResponseShape::Empty`]). Anything else (no body, `null`, an array, a number) is an
/// error: the front end would otherwise have neither a result nor an error to show.
pub(crate) fn parse_success_body(
    shape: ResponseShape,
    body: &[u8],
    url: &str,
) -> Result<Option<Value>, Error> {
    if shape == ResponseShape::Empty {
        return Ok(None);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(not_an_object(url, "empty"));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Error::transport(format!(
            "The answer from {url} is not valid JSON ({e}); {} bytes were received.",
            body.len()
        ))
    })?;
    let value = match (shape, value) {
        (ResponseShape::ValueEnvelope, Value::Object(mut map)) if map.contains_key("value") => {
            map.remove("value").unwrap_or(Value::Null)
        }
        (_, value) => value,
    };
    match value {
        Value::Object(_) => Ok(Some(value)),
        other => Err(not_an_object(url, json_kind(&other))),
    }
}

fn not_an_object(url: &str, what: &str) -> Error {
    Error::transport(format!(
        "The answer from {url} is {what}, not the object this call returns, so there is no result to hand over."
    ))
}

/// What a JSON value is, as a message says it.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads Graph's error body (graph-facts §2), falling back on the status when the body is
/// not Graph's.
pub(crate) fn graph_error(
    status: reqwest::StatusCode,
    headers: BTreeMap<String, Vec<String>>,
    body: &[u8],
) -> GraphError {
    let reason = status.canonical_reason().unwrap_or("").to_string();
    let header = |n: &str| headers.get(n).and_then(|v| v.first()).cloned();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let inner = error.and_then(|e| e.get("innerError").or_else(|| e.get("innererror")));
    let code = text(error, "code").unwrap_or_else(|| reason.replace(' ', ""));
    let graph_message = text(error, "message").unwrap_or_else(|| {
        if body.is_empty() {
            format!(
                "The server answered {} {} with no error body.",
                status.as_u16(),
                reason
            )
        } else {
            let shown = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
            format!(
                "The server answered {} {}: {}",
                status.as_u16(),
                reason,
                shown.trim()
            )
        }
    });
    GraphError {
        status: status.as_u16(),
        reason,
        code,
        graph_message,
        request_id: text(inner, "request-id").or_else(|| header("request-id")),
        client_request_id: text(inner, "client-request-id").or_else(|| header("client-request-id")),
        date: text(inner, "date").or_else(|| header("date")),
        inner_error: inner.cloned(),
        headers,
    }
}

/// An error of the HTTP library as the caller sees it, naming `url`, the URL the engine built.
/// The URL reqwest's text would name is left out: after a redirect it is wherever the server
/// pointed, which may carry anything, the token included.
pub(crate) fn transport_error(url: &str, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::timeout(format!("The request to {url} timed out."))
    } else {
        Error::transport(format!(
            "The request to {url} failed: {}",
            error_chain(&e.without_url())
        ))
    }
}

/// An error and its causes in one line, each said once: reqwest's and hyper's texts already
/// end with their cause's, which the cause's own text would repeat.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// Formats a time as `YYYY-MM-DDTHH:MM:SSZ` without a date library.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_900_000)),
            "2026-11-28T21:06:40Z"
        );
    }

    #[test]
    fn graph_errors_are_read_from_the_body() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2026-11-24T01:02:03","request-id":"r1","client-request-id":"c1"}}}"#;
        let e = graph_error(reqwest::StatusCode::NOT_FOUND, BTreeMap::new(), body);
        assert_eq!(
            (e.code.as_str(), e.request_id.as_deref(), e.date.as_deref()),
            (
                "Request_ResourceNotFound",
                Some("r1"),
                Some("2026-11-24T01:02:03")
            )
        );
        let err = Error::graph(e);
        assert_eq!(
            err.message,
            "[Request_ResourceNotFound] : Resource 'x' does not exist."
        );
    }

    #[test]
    fn non_graph_error_bodies_still_say_what_happened() {
        let e = graph_error(
            reqwest::StatusCode::BAD_GATEWAY,
            BTreeMap::new(),
            b"<html>proxy</html>",
        );
        assert_eq!(e.code, "BadGateway");
        assert!(e
            .graph_message
            .contains("502 Bad Gateway: <html>proxy</html>"));
        let e = graph_error(
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            BTreeMap::new(),
            b"",
        );
        assert!(e.graph_message.contains("no error body"));
    }

    #[test]
    fn an_echoed_token_is_redacted_from_headers_and_body() {
        let token = Secret::new("echoed-token-0123456789");
        let headers = BTreeMap::from([(
            "x-echo".to_string(),
            vec!["Bearer echoed-token-0123456789".to_string()],
        )]);
        let body = br#"{"error":{"message":"you sent echoed-token-0123456789 and echoed-token-0123456789"}}"#.to_vec();
        let answered = Exchange::Answered {
            status: reqwest::StatusCode::BAD_REQUEST,
            headers,
            body,
        };
        let Exchange::Answered { headers, body, .. } = answered.redacting(&token) else {
            unreachable!()
        };
        assert_eq!(headers["x-echo"], ["Bearer <redacted>"]);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"error":{"message":"you sent <redacted> and <redacted>"}}"#
        );
        let short = Exchange::Answered {
            status: reqwest::StatusCode::OK,
            headers: BTreeMap::new(),
            body: b"abc abc".to_vec(),
        };
        let Exchange::Answered { body, .. } = short.redacting(&Secret::new("abc")) else {
            unreachable!()
        };
        assert_eq!(body, b"abc abc");
    }

    #[test]
    fn value_envelopes_are_unwrapped() {
        let v = parse_success_body(
            ResponseShape::ValueEnvelope,
            br#"{"value":{"id":"u"}}"#,
            "u",
        )
        .unwrap();
        assert_eq!(v, Some(serde_json::json!({"id": "u"})));
        assert_eq!(
            parse_success_body(ResponseShape::Empty, b"", "u").unwrap(),
            None
        );
        assert!(parse_success_body(ResponseShape::Object, b"{trunc", "u").is_err());
    }

    #[test]
    fn an_answer_that_is_not_an_object_is_an_error_not_an_empty_result() {
        for (shape, body, what) in [
            (ResponseShape::Object, &b"  "[..], "is empty"),
            (ResponseShape::Object, b"null", "is null"),
            (ResponseShape::Object, b"[{\"id\":\"u\"}]", "is an array"),
            (ResponseShape::Object, b"42", "is a number"),
            (
                ResponseShape::ValueEnvelope,
                b"{\"value\":\"x\"}",
                "is a string",
            ),
            (ResponseShape::ValueEnvelope, b"", "is empty"),
        ] {
            let e = parse_success_body(shape, body, "http://g/u").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transport);
            assert!(
                e.message.contains(what) && e.message.contains("no result to hand over"),
                "{}",
                e.message
            );
        }
        for (body, what) in [
            (&b" \r\n"[..], "is empty"),
            (b"null", "is null"),
            (b"[1]", "is an array"),
            (b"\"x\"", "is a string"),
        ] {
            let e = pass_body_through(body, "http://g/u").unwrap_err();
            assert!(e.message.contains(what), "{}", e.message);
        }
        // A call that returns nothing may answer nothing.
        assert_eq!(
            parse_success_body(ResponseShape::Empty, b"", "u").unwrap(),
            None
        );
    }

    #[test]
    fn a_body_passed_through_is_checked_and_written_as_it_came() {
        let raw = pass_body_through(br#" {"id":"u1","assignedLicenses":[{"skuId":"s"}]} "#, "u")
            .unwrap()
            .unwrap();
        assert_eq!(
            raw.get(),
            r#"{"id":"u1","assignedLicenses":[{"skuId":"s"}]}"#
        );
        assert!(pass_body_through(b"{trunc", "u").is_err());
        assert!(pass_body_through(br#"{"id":"u1"} trailing"#, "u").is_err());

        let response = Response {
            status: 200,
            method: "POST".into(),
            url: "https://graph/v1.0/users/u1/reprocessLicenseAssignment".into(),
            headers: BTreeMap::new(),
            body: None,
            raw_body: Some(raw),
            log: Vec::new(),
            wait: None,
        };
        assert_eq!(
            response.body_value().unwrap()["assignedLicenses"][0]["skuId"],
            "s"
        );
        let written: Value =
            serde_json::from_str(&serde_json::to_string(&response).unwrap()).unwrap();
        assert_eq!(written["body"], response.body_value().unwrap());
        assert_eq!(
            written
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k == "body")
                .count(),
            1
        );
        assert!(written.get("log").is_none() && written.get("wait").is_none());

        // Without a body at all, "body" is null, as before.
        let empty = Response {
            raw_body: None,
            ..response
        };
        let written: Value = serde_json::from_str(&serde_json::to_string(&empty).unwrap()).unwrap();
        assert_eq!(written["body"], Value::Null);
    }
}
