//! Invoke-MgGraphRequest's calls: any method, any path below the connection's Graph endpoint,
//! any body, bytes in and bytes out.
//!
//! A raw call goes out as every other call does (see `send`): the connection's token, the
//! retry rules of `retry`, the shared pacer for writes, a renewed token after a 401 that says
//! it expired, the token redacted from whatever comes back. What differs is at both ends:
//!
//! - The URL is the caller's: a path below the Graph endpoint (`v1.0/…`, `/beta/…`) or an
//!   absolute URL on that endpoint. Any other host is refused before anything is sent, so the
//!   token never goes anywhere but the endpoint it was issued for.
//! - The body is bytes, the caller's or a file's, sent as given.
//! - The answer is bytes: held for the caller up to [`MAX_RAW_BODY_BYTES`], or streamed to a
//!   file (-OutputFilePath) without being held. An answer Graph refused comes back as an
//!   answer (status, headers, body) once the retry rules are done with it, for the front end
//!   to report or, with -SkipHttpErrorCheck, to hand over.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::answer::{graph_error, header_map};
use crate::auth::{self, Secret};
use crate::client::Client;
use crate::connection::Connection;
use crate::error::Error;
use crate::identity;
use crate::operation::{self, PreparedRequest, ResponseShape};
use crate::pending::{Pending, RequestProgress};
use crate::response::Response;
use crate::retry::RequestContext;
use crate::runtime::runtime;
use crate::send::{add_call_headers, bearer_header, Attempts, Sender, Verdict};
use crate::trace::{self, LogLine, TraceLevel};
use crate::transport::{self, transport_error};

/// The methods Invoke-MgGraphRequest sends (the official module's GraphRequestMethod).
pub const RAW_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Largest answer held in memory for the caller; a larger one goes to a file (-OutputFilePath),
/// which has no limit.
pub const MAX_RAW_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Largest request body: Graph takes no larger one in a single request (uploads of large
/// files go in ranges of an upload session).
pub const MAX_RAW_REQUEST_BYTES: usize = 256 * 1024 * 1024;

/// Largest body -Debug shows: a larger one is named by its size only.
const MAX_DEBUG_BODY_BYTES: usize = 1024 * 1024;

/// Shorter tokens are not searched for in answers: they could match ordinary text.
const MIN_REDACTED_TOKEN: usize = 8;

/// A raw call as a front end describes it (docs/abi.md, "Raw calls"). The body travels beside
/// the document, as bytes.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSpec {
    /// GET, POST, PUT, PATCH or DELETE (any case); GET when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// `v1.0/…`, `beta/…` (with or without a leading `/`), or an absolute URL on the
    /// connection's Graph endpoint.
    pub uri: String,
    #[serde(default, deserialize_with = "identity::unique_keys_map")]
    pub headers: Option<Map<String, Value>>,
    /// The body's Content-Type, unless -Headers names one.
    #[serde(default)]
    pub content_type: Option<String>,
    /// A file whose bytes are the body (-InputFilePath), instead of the body buffer.
    #[serde(default)]
    pub input_file: Option<String>,
    /// A file a successful answer's body is streamed to (-OutputFilePath), created or replaced.
    #[serde(default)]
    pub output_file: Option<String>,
    #[serde(default)]
    pub debug: bool,
    #[serde(default)]
    pub verbose: bool,
}

/// A raw call checked, with its body.
#[derive(Clone, Debug)]
pub struct PreparedRaw {
    /// What the retry rules and the pacer judge the call by.
    request: PreparedRequest,
    body: Option<Bytes>,
    output_file: Option<PathBuf>,
}

impl RawSpec {
    /// Checks everything about the call that can be checked before anything is sent, against
    /// the Graph endpoint `endpoint`. `body` is the caller's body buffer, if any.
    pub fn prepare(&self, endpoint: &str, body: Option<Vec<u8>>) -> Result<PreparedRaw, Error> {
        let invalid = |m: String| Error::invalid_argument(m);
        let given = self.method.as_deref().unwrap_or("GET").trim();
        let method = RAW_METHODS
            .into_iter()
            .find(|m| m.eq_ignore_ascii_case(given))
            .ok_or_else(|| {
                invalid(format!(
                    "-Method '{}' is not one of {}.",
                    printable(given),
                    RAW_METHODS.join(", ")
                ))
            })?;
        let path = resolve_uri(endpoint, &self.uri)?;
        let body = match (&self.input_file, body) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "Give either -Body or -InputFilePath, not both.".to_string(),
                ))
            }
            (Some(file), None) => Some(read_input_file(file)?),
            (None, body) => body,
        };
        if let Some(b) = &body {
            if b.len() > MAX_RAW_REQUEST_BYTES {
                return Err(invalid(format!(
                    "The body is {} bytes long; at most {} MiB are sent in one request (larger files go in the ranges of an upload session).",
                    b.len(),
                    MAX_RAW_REQUEST_BYTES >> 20
                )));
            }
        }
        let mut headers = self.headers.clone().unwrap_or_default();
        if let Some(ct) = self
            .content_type
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            if !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("Content-Type"))
            {
                headers.insert("Content-Type".into(), Value::from(ct.trim()));
            }
        }
        let headers = operation::check_headers(&headers)?;
        let output_file = match self.output_file.as_deref() {
            None => None,
            Some("") => return Err(invalid("-OutputFilePath is empty.".to_string())),
            Some(file) => Some(PathBuf::from(file)),
        };
        let target = path.split('?').next().unwrap_or(&path).to_string();
        Ok(PreparedRaw {
            request: PreparedRequest {
                method,
                what: format!("Invoke-MgGraphRequest {method} {target}"),
                target,
                path,
                shape: ResponseShape::Object,
                content_type: None,
                // Writes share the tenant's write budget with reprocessing; reads do not.
                paced: method != "GET",
                headers,
                trace: TraceLevel {
                    debug: self.debug,
                    verbose: self.verbose,
                },
                subject: None,
                pass_body_through: false,
                // The raw call's body is its own (below), sent as the caller gave it.
                body: None,
                proxy: None,
            },
            body: body.map(Bytes::from),
            output_file,
        })
    }
}

/// The path below `endpoint` that `uri` names, with its query, or the reason it names none.
/// Relative forms are read below the endpoint (a leading `/` too: `/v1.0/me` is the
/// endpoint's `v1.0/me`); an absolute URL must be on the endpoint. Either way the path must
/// start with a Graph version, and `..` cannot climb out of it.
pub fn resolve_uri(endpoint: &str, uri: &str) -> Result<String, Error> {
    let invalid = |m: String| Error::invalid_argument(m);
    let shown = printable(uri);
    if uri.trim().is_empty() {
        return Err(invalid("-Uri is empty; give a Graph path such as 'v1.0/users' or an absolute URL on the Graph endpoint.".to_string()));
    }
    if let Some(c) = uri.chars().find(|c| c.is_control()) {
        return Err(invalid(format!(
            "-Uri '{shown}' contains the control character U+{:04X}; a URL never does.",
            c as u32
        )));
    }
    let endpoint = endpoint.trim_end_matches('/');
    let base = url::Url::parse(&format!("{endpoint}/")).map_err(|_| {
        invalid(format!(
            "The connection's Graph endpoint '{endpoint}' is not a URL."
        ))
    })?;
    let uri = uri.trim();
    let url = match url::Url::parse(uri) {
        Ok(absolute) => {
            if !matches!(absolute.scheme(), "http" | "https") {
                return Err(invalid(format!(
                    "-Uri '{shown}' is not an http or https URL; give a Graph path such as 'v1.0/users' or an absolute URL on {endpoint}."
                )));
            }
            absolute
        }
        // Relative: below the endpoint, whatever slashes it starts with (a leading "//" would
        // otherwise name another host).
        Err(_) => base
            .join(uri.trim_start_matches(['/', '\\']))
            .map_err(|e| invalid(format!("-Uri '{shown}' is not a URL: {e}.")))?,
    };
    let elsewhere = || {
        invalid(format!(
            "-Uri '{shown}' is not on the connected environment's Graph endpoint ({endpoint}); the request was not sent, so the token stays with that endpoint."
        ))
    };
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return Err(elsewhere());
    }
    let mut whole = url.as_str().to_string();
    if let Some(at) = whole.find('#') {
        whole.truncate(at);
    }
    let rest = whole
        .strip_prefix(base.as_str().trim_end_matches('/'))
        .filter(|r| r.starts_with('/'))
        .ok_or_else(elsewhere)?
        .to_string();
    let versioned = ["/v1.0", "/beta"].iter().any(|v| {
        rest.strip_prefix(v)
            .is_some_and(|after| after.is_empty() || after.starts_with(['/', '?']))
    });
    if !versioned {
        return Err(invalid(format!(
            "-Uri '{shown}' does not start with a Graph version: write it as 'v1.0/…' or 'beta/…' (for example 'v1.0/users'), or as an absolute URL such as '{endpoint}/v1.0/users'."
        )));
    }
    transport::check_url(&format!("{endpoint}{rest}"))?;
    Ok(rest)
}

fn read_input_file(file: &str) -> Result<Vec<u8>, Error> {
    let failed = |why: String| Error::invalid_argument(format!("-InputFilePath '{file}' {why}"));
    let meta = std::fs::metadata(file).map_err(|e| failed(format!("cannot be read: {e}.")))?;
    if meta.is_dir() {
        return Err(failed("is a folder, not a file.".to_string()));
    }
    if meta.len() > MAX_RAW_REQUEST_BYTES as u64 {
        return Err(failed(format!(
            "is {} bytes long; at most {} MiB are sent in one request (larger files go in the ranges of an upload session).",
            meta.len(),
            MAX_RAW_REQUEST_BYTES >> 20
        )));
    }
    std::fs::read(file).map_err(|e| failed(format!("cannot be read: {e}.")))
}

/// A text as a message can show it: control characters made visible.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A raw call in flight: waited on and cancelled as any request (see [`Pending`]); once it
/// has answered, its body stays here until the call is released.
pub struct RawCall {
    pending: Pending,
    body: Arc<Mutex<Option<Vec<u8>>>>,
    taken: OnceLock<Vec<u8>>,
}

impl RawCall {
    /// Waits up to `timeout` (forever with `None`): `None` while still running, else the
    /// answer's document (docs/abi.md, "Raw calls") once.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<Result<Response, Error>> {
        self.pending.wait(timeout)
    }

    /// Stops the call; a file being written is removed.
    pub fn cancel(&self) {
        self.pending.cancel()
    }

    pub fn progress(&self) -> RequestProgress {
        self.pending.progress()
    }

    /// The answer's body, once the call has answered (empty before, and when it went to a file).
    pub fn body(&self) -> &[u8] {
        if let Some(body) = self.taken.get() {
            return body;
        }
        let answered = self.body.lock().unwrap_or_else(|e| e.into_inner()).take();
        match answered {
            Some(body) => self.taken.get_or_init(|| body),
            None => &[],
        }
    }
}

impl Client {
    /// Checks a raw call and starts it on the engine's runtime.
    pub fn start_raw(
        self: &Arc<Self>,
        spec: &RawSpec,
        body: Option<Vec<u8>>,
    ) -> Result<RawCall, Error> {
        let connection = self.connection()?;
        let prepared = spec.prepare(connection.graph_endpoint(), body)?;
        let rt = runtime()?;
        let client = Arc::clone(self);
        let slot: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let filled = Arc::clone(&slot);
        let pending = Pending::spawn(rt, async move {
            let (response, body) = run(client.sender(), &connection, &prepared).await?;
            *filled.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
            Ok(response)
        });
        Ok(RawCall {
            pending: pending.watching(Arc::clone(self.sender().pacer())),
            body: slot,
            taken: OnceLock::new(),
        })
    }

    /// Runs a raw call to completion on the calling thread (which must not be a runtime
    /// thread): its answer's document and body.
    pub fn execute_raw(
        self: &Arc<Self>,
        spec: &RawSpec,
        body: Option<Vec<u8>>,
    ) -> Result<(Response, Vec<u8>), Error> {
        let call = self.start_raw(spec, body)?;
        let response = call.wait(None).unwrap_or_else(|| Err(Error::cancelled()))?;
        Ok((response, call.body().to_vec()))
    }
}

/// One answer on the wire, its body in memory or in the output file.
struct Answered {
    status: reqwest::StatusCode,
    headers: std::collections::BTreeMap<String, Vec<String>>,
    body: Vec<u8>,
    /// Bytes written to the output file, when the body went there.
    written: Option<u64>,
}

/// Sends a raw call until the retry rules are done with it: the answer (a refused one
/// included, once no retry is left) as a document and its body, or the error that left no
/// answer.
async fn run(
    sender: &Sender,
    connection: &Connection,
    prepared: &PreparedRaw,
) -> Result<(Response, Vec<u8>), Error> {
    let context = sender.context();
    let mut attempts = Attempts::default();
    let request = &prepared.request;
    loop {
        if request.paced {
            sender.pacer().acquire().await;
        }
        let sent = Instant::now();
        let url = format!("{}{}", connection.graph_endpoint(), request.path);
        let mut refused = None;
        let outcome = match once(
            sender,
            connection,
            prepared,
            &url,
            attempts.attempt,
            &context,
        )
        .await
        {
            Ok((answer, log)) => {
                let doc = document(request, &url, &answer, log);
                if answer.status.is_success() {
                    Ok((doc, answer.body))
                } else {
                    let mut e = Error::graph(graph_error(
                        answer.status,
                        answer.headers.clone(),
                        &answer.body,
                    ));
                    e.log = doc.log.clone();
                    refused = Some((doc, answer.body));
                    Err(e)
                }
            }
            Err(e) => Err(e),
        };
        // The body stays out of the retry rules' way; they judge the document.
        let (judged, body) = match outcome {
            Ok((document, body)) => (Ok(document), Some(body)),
            Err(e) => (Err(e), None),
        };
        match sender.judge(request, &context, &mut attempts, sent, judged, false) {
            Verdict::Done(Ok(response)) => return Ok((response, body.unwrap_or_default())),
            Verdict::Done(Err(e)) => {
                let Some((mut document, body)) = refused.filter(|_| e.graph.is_some()) else {
                    return Err(e);
                };
                document.log = e.log;
                if let Some(Value::Object(about)) = document.body.as_mut() {
                    about.insert("error".into(), Value::from(e.message));
                }
                return Ok((document, body));
            }
            Verdict::Again { not_before, paused } => {
                if !paused {
                    tokio::time::sleep_until(not_before.into()).await;
                }
            }
        }
    }
}

/// The document a front end gets for an answer (docs/abi.md, "Raw calls").
fn document(
    request: &PreparedRequest,
    url: &str,
    answer: &Answered,
    log: Vec<LogLine>,
) -> Response {
    let mut about = Map::new();
    about.insert(
        "length".into(),
        json!(answer.written.unwrap_or(answer.body.len() as u64)),
    );
    about.insert(
        "reason".into(),
        Value::from(answer.status.canonical_reason().unwrap_or("")),
    );
    about.insert("file".into(), Value::from(answer.written.is_some()));
    Response {
        status: answer.status.as_u16(),
        method: request.method.into(),
        url: url.to_string(),
        headers: answer.headers.clone(),
        body: Some(Value::Object(about)),
        raw_body: None,
        log,
        wait: None,
    }
}

/// One attempt: the request on the wire with the connection's token, renewed once if Graph
/// says it expired; the answer with every token sent redacted from it.
async fn once(
    sender: &Sender,
    connection: &Connection,
    prepared: &PreparedRaw,
    url: &str,
    attempt: u32,
    context: &RequestContext,
) -> Result<(Answered, Vec<LogLine>), Error> {
    let request = &prepared.request;
    let verb = request.method;
    let method = reqwest::Method::from_bytes(verb.as_bytes()).expect("a known method");
    let login = connection.transport.login(context);
    let token = connection.credential.bearer(&login).await?;
    let mut builder = sender.graph_request(connection, method.clone(), url, &token, context);
    match &prepared.body {
        Some(body) => builder = builder.body(body.clone()),
        // A write without a body still states its length, as Graph expects.
        None if method != reqwest::Method::GET && method != reqwest::Method::DELETE => {
            builder = builder.body(Vec::new())
        }
        None => {}
    }
    let mut built = builder.build().map_err(|e| transport_error(url, e))?;
    add_call_headers(built.headers_mut(), request.call_headers(attempt))?;
    let sent_body: &[u8] = prepared.body.as_deref().unwrap_or_default();
    let mut log = Vec::new();
    if request.trace.verbose {
        log.push(LogLine::verbose(format!(
            "{verb} {url} with {}-byte payload",
            sent_body.len()
        )));
    }
    if request.trace.debug {
        let headers: Vec<(String, String)> = built
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
            url,
            &headers,
            shown_body(sent_body).as_ref(),
        )));
    }
    let again = built.try_clone();
    let http = &connection.transport.graph;
    let sink = prepared.output_file.as_deref();
    let mut answer = exchange(http, built, url, &token, sink).await?;
    if let Some(mut again) = again {
        if connection.credential.renewable()
            && auth::says_expired(answer.status.as_u16(), &answer.body)
        {
            let renewed = connection.credential.renew(&login, &token).await?;
            again
                .headers_mut()
                .insert(reqwest::header::AUTHORIZATION, bearer_header(&renewed));
            answer = exchange(http, again, url, &renewed, sink).await?;
            answer.body = redact(answer.body, &token);
        }
    }
    let reason = answer.status.canonical_reason().unwrap_or("");
    if request.trace.debug {
        let body = match answer.written {
            Some(n) => format!("({n} bytes written to the output file)").into_bytes(),
            None => shown_body(&answer.body).into_owned(),
        };
        log.push(LogLine::debug(trace::format_response(
            answer.status.as_u16(),
            reason,
            &answer.headers,
            &body,
        )));
    }
    if request.trace.verbose {
        let content_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("");
        log.push(LogLine::verbose(format!(
            "received {}-byte response of content type {content_type}",
            answer.written.unwrap_or(answer.body.len() as u64)
        )));
    }
    Ok((answer, log))
}

/// A body as -Debug may show it: itself, or its size when it is too large to show.
fn shown_body(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if body.len() <= MAX_DEBUG_BODY_BYTES {
        std::borrow::Cow::Borrowed(body)
    } else {
        std::borrow::Cow::Owned(format!("({} bytes, not shown)", body.len()).into_bytes())
    }
}

/// Sends a built request and takes its answer: a successful one to `sink` when given, else
/// into memory up to [`MAX_RAW_BODY_BYTES`]. `token` is redacted from everything that comes back.
async fn exchange(
    http: &reqwest::Client,
    request: reqwest::Request,
    url: &str,
    token: &Secret,
    sink: Option<&Path>,
) -> Result<Answered, Error> {
    let redacted = |mut e: Error| {
        if token.expose().len() >= MIN_REDACTED_TOKEN {
            e.message = e.message.replace(token.expose(), trace::REDACTED);
        }
        e
    };
    let mut response = http
        .execute(request)
        .await
        .map_err(|e| redacted(transport_error(url, e)))?;
    let status = response.status();
    let mut headers = header_map(response.headers());
    if token.expose().len() >= MIN_REDACTED_TOKEN {
        for value in headers.values_mut().flatten() {
            if value.contains(token.expose()) {
                *value = value.replace(token.expose(), trace::REDACTED);
            }
        }
    }
    let mut redactor = Redactor::new(token);
    if let (true, Some(path)) = (status.is_success(), sink) {
        let mut file = OutputFile::create(path)?;
        let mut written = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| redacted(transport_error(url, e)))?
        {
            let out = redactor.push(&chunk);
            file.write(&out)?;
            written += out.len() as u64;
        }
        let out = redactor.finish();
        file.write(&out)?;
        written += out.len() as u64;
        file.keep()?;
        return Ok(Answered {
            status,
            headers,
            body: Vec::new(),
            written: Some(written),
        });
    }
    let body = transport::read_capped(response, MAX_RAW_BODY_BYTES)
        .await
        .map_err(|e| redacted(transport_error(url, e)))?;
    if body.truncated {
        return Err(Error::transport(format!(
            "The answer from {url} ({} {}) is larger than {} MiB, too large to hold in memory; save it to a file with -OutputFilePath.",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            MAX_RAW_BODY_BYTES >> 20
        )));
    }
    let mut out = redactor.push(&body.bytes);
    out.extend(redactor.finish());
    Ok(Answered {
        status,
        headers,
        body: out,
        written: None,
    })
}

fn redact(body: Vec<u8>, token: &Secret) -> Vec<u8> {
    let mut redactor = Redactor::new(token);
    let mut out = redactor.push(&body);
    out.extend(redactor.finish());
    out
}

/// Replaces a token in a body that comes in chunks, wherever it falls across them: the last
/// bytes of each chunk that could begin the token wait for the next.
struct Redactor<'a> {
    needle: &'a [u8],
    held: Vec<u8>,
}

impl<'a> Redactor<'a> {
    fn new(token: &'a Secret) -> Redactor<'a> {
        let needle = token.expose().as_bytes();
        Redactor {
            needle: if needle.len() >= MIN_REDACTED_TOKEN {
                needle
            } else {
                &[]
            },
            held: Vec::new(),
        }
    }

    /// The bytes that are final after `chunk`.
    fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.needle.is_empty() {
            return chunk.to_vec();
        }
        self.held.extend_from_slice(chunk);
        let n = self.needle.len();
        let mut out = Vec::with_capacity(self.held.len());
        let mut i = 0;
        // Every position where the whole token would fit is decided now.
        while i + n <= self.held.len() {
            if self.held[i..].starts_with(self.needle) {
                out.extend_from_slice(trace::REDACTED.as_bytes());
                i += n;
            } else {
                out.push(self.held[i]);
                i += 1;
            }
        }
        self.held.drain(..i);
        out
    }

    fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

/// The output file while it is written: removed unless it was written to the end, so a
/// failed or cancelled download leaves no half file behind.
struct OutputFile {
    path: PathBuf,
    file: Option<File>,
}

impl OutputFile {
    fn create(path: &Path) -> Result<OutputFile, Error> {
        let file = File::create(path).map_err(|e| {
            Error::invalid_argument(format!(
                "-OutputFilePath '{}' cannot be written: {e}.",
                path.display()
            ))
        })?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let file = self.file.as_mut().expect("open until kept");
        file.write_all(bytes).map_err(|e| {
            Error::transport(format!(
                "Writing the answer to '{}' failed: {e}.",
                self.path.display()
            ))
        })
    }

    fn keep(mut self) -> Result<(), Error> {
        let file = self.file.take().expect("open until kept");
        file.sync_all().map_err(|e| {
            Error::transport(format!(
                "Writing the answer to '{}' failed: {e}.",
                self.path.display()
            ))
        })
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "https://graph.microsoft.com";

    #[test]
    fn relative_and_absolute_uris_resolve_below_the_endpoint() {
        for (uri, path) in [
            ("v1.0/users", "/v1.0/users"),
            ("/v1.0/users", "/v1.0/users"),
            ("beta/users?$select=id", "/beta/users?$select=id"),
            ("//v1.0/me", "/v1.0/me"),
            ("v1.0/users/a b", "/v1.0/users/a%20b"),
            ("v1.0", "/v1.0"),
            ("https://graph.microsoft.com/v1.0/me#x", "/v1.0/me"),
            ("HTTPS://GRAPH.microsoft.com/beta/me", "/beta/me"),
        ] {
            assert_eq!(resolve_uri(G, uri).unwrap(), path, "{uri}");
        }
        let custom = "http://127.0.0.1:8080/graph/";
        assert_eq!(resolve_uri(custom, "/v1.0/users").unwrap(), "/v1.0/users");
        assert_eq!(
            resolve_uri(custom, "http://127.0.0.1:8080/graph/beta/x").unwrap(),
            "/beta/x"
        );
    }

    #[test]
    fn other_hosts_and_unversioned_paths_are_refused() {
        for uri in [
            "https://evil.example/v1.0/users",
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
            "https://graph.microsoft.com.evil.example/v1.0/users",
            "https://user:pw@graph.microsoft.com/v1.0/users",
        ] {
            let e = resolve_uri(G, uri).unwrap_err();
            assert!(
                e.message.contains("not on the connected"),
                "{uri}: {}",
                e.message
            );
        }
        for uri in [
            "users",
            "v1.0/../users",
            "v2/users",
            "/v1.0x/users",
            "\\\\evil.example\\v1.0",
        ] {
            let e = resolve_uri(G, uri).unwrap_err();
            assert!(e.message.contains("Graph version"), "{uri}: {}", e.message);
        }
        assert!(resolve_uri("http://h/graph", "http://h/other/v1.0/x")
            .unwrap_err()
            .message
            .contains("not on the connected"));
        assert!(resolve_uri(G, "ftp://graph.microsoft.com/v1.0")
            .unwrap_err()
            .message
            .contains("http or https"));
        assert!(resolve_uri(G, "v1.0/users\r\nX: y")
            .unwrap_err()
            .message
            .contains("U+000D"));
        assert!(resolve_uri(G, " ").unwrap_err().message.contains("empty"));
    }

    fn spec(v: Value) -> RawSpec {
        serde_json::from_value(v).expect("a raw call document")
    }

    #[test]
    fn methods_bodies_and_headers_are_checked() {
        let p = spec(json!({"uri": "v1.0/me"})).prepare(G, None).unwrap();
        assert_eq!(p.request.method, "GET");
        assert!(!p.request.paced);
        let p = spec(json!({"uri": "v1.0/me", "method": "patch", "contentType": "text/plain"}))
            .prepare(G, Some(b"x".to_vec()))
            .unwrap();
        assert_eq!(p.request.method, "PATCH");
        assert!(p.request.paced);
        assert_eq!(
            p.request.headers,
            vec![("Content-Type".to_string(), "text/plain".to_string())]
        );
        let message = |v: Value| spec(v).prepare(G, None).unwrap_err().message;
        assert!(message(json!({"uri": "v1.0/me", "method": "TRACE"})).contains("'TRACE'"));
        assert!(message(json!({"uri": "v1.0/me", "headers": {"X-A": "1\n2"}})).contains("0x0A"));
        assert!(
            message(json!({"uri": "v1.0/me", "headers": {"Authorization": "x"}}))
                .contains("set by MgLicense")
        );
        assert!(
            message(json!({"uri": "v1.0/me", "inputFile": "/nonexistent/x"}))
                .contains("cannot be read")
        );
        assert!(message(json!({"uri": "v1.0/me", "outputFile": ""})).contains("empty"));
        let both = spec(json!({"uri": "v1.0/me", "inputFile": "/etc/hostname"}))
            .prepare(G, Some(vec![1]))
            .unwrap_err();
        assert!(both.message.contains("not both"));
    }

    #[test]
    fn a_token_split_across_chunks_is_redacted() {
        let token = Secret::new("0123456789abcdef");
        let mut r = Redactor::new(&token);
        let mut out = r.push(b"aa0123456");
        out.extend(r.push(b"789abcdefbb01234"));
        out.extend(r.push(b"56789abcdef"));
        out.extend(r.finish());
        assert_eq!(out, b"aa<redacted>bb<redacted>");
        let mut r = Redactor::new(&token);
        let mut out = r.push(b"0123");
        out.extend(r.finish());
        assert_eq!(out, b"0123", "a token's start alone is kept");
        let short = Secret::new("abc");
        assert_eq!(Redactor::new(&short).push(b"abc"), b"abc");
    }
}
