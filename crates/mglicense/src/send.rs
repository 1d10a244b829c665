//! Sending a Graph call: the exchange on the wire (with the token, its renewal after a 401 and
//! its redaction from the answer), and the retry rules that judge each attempt (see `retry`),
//! paced by the shared pacer.
//!
//! The [`Sender`] is what every call of a client goes out through; the client above it only
//! decides which connection a call uses and where it runs.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::answer::{header_map, read_answer};
use crate::auth::{self, Secret};
use crate::connection::Connection;
use crate::error::{Error, ErrorKind};
use crate::operation::{PreparedRequest, WaitSpec};
use crate::pacer::Pacer;
use crate::response::Response;
use crate::retry::{self, RequestContext, RequestContextUpdate};
use crate::runtime::runtime;
use crate::trace::{self, LogLine};
use crate::transport::{self, transport_error, MAX_BODY_BYTES};

/// Most 429s one call may meet for throttles it could not have known of (it was already in
/// flight when another call heard of them) before they count against MaxRetry after all.
const MAX_UNCHARGED_RETRIES: u32 = 10;

/// The `SdkVersion` header every Graph request carries.
const SDK_VERSION: &str = concat!("mglicense/", env!("CARGO_PKG_VERSION"));

/// A checked call with the connection it will use.
pub(crate) struct Call {
    pub(crate) connection: Arc<Connection>,
    pub(crate) prepared: PreparedRequest,
    pub(crate) wait: Option<WaitSpec>,
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

/// What every call of a client goes out through: who sends it, the retry and timeout settings
/// (Get-MgRequestContext), and the pacer every paced call waits for.
pub(crate) struct Sender {
    user_agent: String,
    context: RwLock<RequestContext>,
    pacer: Arc<Pacer>,
}

impl Sender {
    pub(crate) fn new(user_agent: String, context: RequestContext) -> Sender {
        Sender {
            user_agent,
            context: RwLock::new(context),
            pacer: Arc::default(),
        }
    }

    /// Retry and timeout settings, as they are now.
    pub(crate) fn context(&self) -> RequestContext {
        *self.context.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the settings given, keeps the others.
    pub(crate) fn set_context(
        &self,
        update: RequestContextUpdate,
    ) -> Result<RequestContext, Error> {
        let mut context = self.context.write().unwrap_or_else(|e| e.into_inner());
        *context = context.apply(update)?;
        Ok(*context)
    }

    /// The pacer every paced call of this sender waits for.
    pub(crate) fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    /// Sends a call, retrying what the service asks to be retried (see `retry`), paced by the
    /// shared pacer.
    pub(crate) async fn send(
        &self,
        connection: &Connection,
        prepared: &PreparedRequest,
    ) -> Result<Response, Error> {
        match &prepared.proxy {
            None => self.send_on(Lane::Engine, connection, prepared).await,
            Some(proxy) => {
                let graph = connection.transport.graph_through(proxy)?;
                self.send_on(Lane::Proxied(&graph), connection, prepared)
                    .await
            }
        }
    }

    /// As [`Sender::send`], with the exchanges on `lane`.
    pub(crate) async fn send_on(
        &self,
        lane: Lane<'_>,
        connection: &Connection,
        prepared: &PreparedRequest,
    ) -> Result<Response, Error> {
        #[cfg(test)]
        crate::runtime::panic_if_asked(&prepared.target);
        let context = self.context();
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
        let body = prepared
            .body
            .as_ref()
            .map(|b| b.bytes(&connection.environment.graph_endpoint, &prepared.path));
        if let Some(body) = &body {
            request = request.body(body.clone());
        } else if method == reqwest::Method::POST {
            // An action without a body still states its length, as Graph expects of a POST.
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
                verb,
                &url,
                &headers,
                body.as_deref().unwrap_or_default(),
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
pub(crate) fn add_call_headers(
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
    /// On the engine's runtime, with Graph calls through `0`, a client through the proxy the
    /// call named for itself (see [`crate::transport::Transport::graph_through`]).
    Proxied(&'a reqwest::Client),
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
            Lane::Proxied(graph) | Lane::Caller { graph, .. } => graph,
        }
    }

    /// The connection's token; a caller's thread only takes one at hand, else asks the engine.
    async fn bearer(
        self,
        connection: &Connection,
        login: &crate::transport::Login<'_>,
    ) -> Result<Arc<Secret>, Error> {
        match self {
            Lane::Engine | Lane::Proxied(_) => connection.credential.bearer(login).await,
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
            Lane::Engine | Lane::Proxied(_) => connection.credential.renew(login, rejected).await,
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

/// The Authorization header value, marked sensitive so no HTTP library prints it. (The text it
/// is made from is wiped; the header value itself belongs to the HTTP library.)
pub(crate) fn bearer_header(token: &Secret) -> reqwest::header::HeaderValue {
    let text = zeroize::Zeroizing::new(format!("Bearer {}", token.expose()));
    let mut value = reqwest::header::HeaderValue::from_str(&text)
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
