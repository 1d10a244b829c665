//! JSON batching (<https://learn.microsoft.com/en-us/graph/json-batching>): several reprocess
//! calls in one `POST /{version}/$batch`.
//!
//! Each call keeps its own method, headers, `client-request-id` and `Retry-Attempt` inside the
//! batch, and its answer (matched by id: Graph answers in any order) becomes exactly the
//! Response or Error the call would have had on its own. Retrying is not done here: the bulk
//! runner judges each call's outcome with the single-call rules (`Sender::judge`) and puts
//! what is to be tried again back in its queue.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::answer::{graph_error, read_answer};
use crate::auth;
use crate::connection::Connection;
use crate::error::Error;
use crate::operation::PreparedRequest;
use crate::response::Response;
use crate::retry::RequestContext;
use crate::send::{exchange_renewing, Exchange, Lane, Sender};
use crate::trace::{self, LogLine};
use crate::transport::transport_error;

/// Graph's limit on requests in one batch.
pub const MAX_BATCH_SIZE: usize = 20;

/// One call going out in a batch: what it is, and how many retries it has had.
pub(crate) struct Member<'a> {
    pub prepared: &'a PreparedRequest,
    pub attempt: u32,
}

/// What became of one member.
pub(crate) struct Answer {
    pub outcome: Result<Response, Error>,
    /// The batch as a whole got no usable answer (its connection failed, it was refused, or
    /// what came back cannot be read), so nothing is known of this call but that.
    pub whole_batch: bool,
}

/// The version segment of a call's path and the rest of it, as a batch's inner url has it:
/// `/v1.0/users/x/reprocessLicenseAssignment` is `v1.0` and `/users/x/reprocessLicenseAssignment`.
pub(crate) fn split_version(path: &str) -> (&str, &str) {
    let rest = path.strip_prefix('/').unwrap_or(path);
    match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    }
}

/// One inner request as it goes out, kept to describe it in -Debug.
struct Inner {
    id: String,
    url: String,
    headers: Vec<(String, String)>,
    /// The call's JSON body, if it has one.
    body: Option<Value>,
}

impl Inner {
    fn new(index: usize, member: &Member<'_>, endpoint: &str) -> Inner {
        let prepared = member.prepared;
        Inner {
            id: (index + 1).to_string(),
            url: format!("{endpoint}{}", prepared.path),
            headers: prepared.call_headers(member.attempt),
            body: prepared
                .body
                .as_ref()
                .and_then(|b| serde_json::from_slice(&b.bytes(endpoint, &prepared.path)).ok()),
        }
    }

    fn json(&self, prepared: &PreparedRequest) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::from(v.as_str())))
            .collect();
        let mut inner = json!({ "id": self.id, "method": prepared.method, "url": split_version(&prepared.path).1, "headers": headers });
        if let Some(body) = &self.body {
            inner["body"] = body.clone();
        }
        inner
    }
}

impl Sender {
    /// Sends `members` (calls of one API version, on `connection`) in one `$batch` and says
    /// what became of each, in member order. A token that expired in flight is renewed once,
    /// and what it failed sent again, as for a single call.
    pub(crate) async fn send_batch(
        &self,
        connection: &Connection,
        members: &[Member<'_>],
        context: &RequestContext,
    ) -> Vec<Answer> {
        #[cfg(test)]
        for m in members {
            crate::runtime::panic_if_asked(&m.prepared.target);
        }
        let endpoint = connection.graph_endpoint();
        let version = members
            .first()
            .map_or("v1.0", |m| split_version(&m.prepared.path).0);
        let url = format!("{endpoint}/{version}/$batch");
        if let Err(e) = crate::transport::check_url(&url) {
            return whole(members, e, &url, 0);
        }
        let inner: Vec<Inner> = members
            .iter()
            .enumerate()
            .map(|(i, m)| Inner::new(i, m, endpoint))
            .collect();
        let mut answers: Vec<Option<Answer>> = members.iter().map(|_| None).collect();
        let login = connection.transport.login(context);
        let mut token = match connection.credential.bearer(&login).await {
            Ok(token) => token,
            Err(e) => return whole(members, e, &url, 0),
        };
        // The calls of one run name one proxy, if any (the front end gives them all the same):
        // the batch goes the way its first call would.
        let proxied = match members.first().and_then(|m| m.prepared.proxy.as_ref()) {
            None => None,
            Some(proxy) => match connection.transport.graph_through(proxy) {
                Ok(client) => Some(client),
                Err(e) => return whole(members, e, &url, 0),
            },
        };
        let lane = proxied.as_ref().map_or(Lane::Engine, Lane::Proxied);
        let mut renewed = false;
        let mut todo: Vec<usize> = (0..members.len()).collect();
        while !todo.is_empty() {
            let started = std::time::Instant::now();
            let body = json!({ "requests": todo.iter().map(|&i| inner[i].json(members[i].prepared)).collect::<Vec<_>>() });
            let request = self
                .graph_request(connection, reqwest::Method::POST, &url, &token, context)
                .header("client-request-id", uuid::Uuid::new_v4().to_string())
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .build();
            let outcome = match request {
                Ok(request) => {
                    exchange_renewing(lane, connection, &login, Arc::clone(&token), request, &url)
                        .await
                }
                Err(e) => Err(transport_error(&url, e)),
            };
            let elapsed = started.elapsed().as_millis();
            let (status, headers, body) = match outcome {
                Ok((
                    Exchange::Answered {
                        status,
                        headers,
                        body,
                    },
                    used,
                )) => {
                    renewed |= !Arc::ptr_eq(&used, &token);
                    token = used;
                    (status, headers, body)
                }
                Ok((Exchange::Failed(e), _)) | Err(e) => {
                    return fill(answers, whole_of(members, &todo, e, &url, elapsed))
                }
            };
            if !status.is_success() {
                let e = Error::graph(graph_error(status, headers, &body));
                return fill(answers, whole_of(members, &todo, e, &url, elapsed));
            }
            let Some(mut responses) = responses(&body) else {
                let e = Error::transport(format!(
                    "The answer from {url} is not a batch answer ({} bytes were received); its requests are sent again.",
                    body.len()
                ));
                return fill(answers, whole_of(members, &todo, e, &url, elapsed));
            };
            let mut expired = Vec::new();
            for &i in &todo {
                let (member, inner) = (&members[i], &inner[i]);
                let Some(answer) = responses.remove(&inner.id) else {
                    let e = Error::transport(format!(
                        "The answer from {url} has no response for the request of {}.",
                        member.prepared.what
                    ));
                    answers[i] = Some(whole_one(member.prepared, e, &url, elapsed));
                    continue;
                };
                let (status, mut item_headers, item_body) = answer;
                if connection.credential.renewable()
                    && !renewed
                    && auth::says_expired(status.as_u16(), &item_body)
                {
                    expired.push(i);
                    continue;
                }
                // The batch's Date is when the service answered this call too (-Wait counts from it).
                if !item_headers.contains_key("date") {
                    if let Some(date) = headers.get("date") {
                        item_headers.insert("date".into(), date.clone());
                    }
                }
                let log = request_log(member.prepared, inner, todo.len());
                let outcome = read_answer(
                    member.prepared,
                    inner.url.clone(),
                    elapsed,
                    status,
                    item_headers,
                    &item_body,
                    log,
                );
                answers[i] = Some(Answer {
                    outcome,
                    whole_batch: false,
                });
            }
            if !expired.is_empty() {
                match connection.credential.renew(&login, &token).await {
                    Ok(fresh) => token = fresh,
                    Err(e) => return fill(answers, whole_of(members, &expired, e, &url, elapsed)),
                }
                renewed = true;
            }
            todo = expired;
        }
        fill(answers, Vec::new())
    }
}

/// One inner answer: its status, headers and body.
type InnerAnswer = (reqwest::StatusCode, BTreeMap<String, Vec<String>>, Vec<u8>);

/// The inner answers of a batch answer by id: status, headers (names in lower case) and body
/// as bytes, as a single call's answer would have them. `None` when it is not a batch answer.
fn responses(body: &[u8]) -> Option<HashMap<String, InnerAnswer>> {
    let parsed: Value = serde_json::from_slice(body).ok()?;
    let mut out = HashMap::new();
    for item in parsed.get("responses")?.as_array()? {
        let id = match item.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        let Some(status) = item
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
        else {
            continue;
        };
        let Ok(status) = reqwest::StatusCode::from_u16(status) else {
            continue;
        };
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in item
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let values = match value {
                Value::String(s) => vec![s.clone()],
                Value::Array(list) => list
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
                other => vec![other.to_string()],
            };
            headers
                .entry(name.to_ascii_lowercase())
                .or_default()
                .extend(values);
        }
        let bytes = match item.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(other) => other.to_string().into_bytes(),
        };
        // A repeated id keeps its first answer.
        out.entry(id).or_insert((status, headers, bytes));
    }
    Some(out)
}

/// -Debug and -Verbose lines for one inner request.
fn request_log(prepared: &PreparedRequest, inner: &Inner, size: usize) -> Vec<LogLine> {
    let mut log = Vec::new();
    if prepared.trace.verbose {
        log.push(LogLine::verbose(format!(
            "{} {} ({}), in a $batch of {size}",
            prepared.method, inner.url, prepared.what
        )));
    }
    if prepared.trace.debug {
        log.push(LogLine::debug(trace::format_request(
            prepared.method,
            &inner.url,
            &inner.headers,
            b"",
        )));
    }
    log
}

/// The answer of a member when the whole batch failed with `e`.
fn whole_one(prepared: &PreparedRequest, mut e: Error, url: &str, elapsed_ms: u128) -> Answer {
    if prepared.trace.verbose {
        e.log.push(LogLine::verbose(format!(
            "POST {url} (for {}): failed after {elapsed_ms} ms: {}",
            prepared.what, e.message
        )));
    }
    Answer {
        outcome: Err(e),
        whole_batch: true,
    }
}

fn whole_of(
    members: &[Member<'_>],
    which: &[usize],
    e: Error,
    url: &str,
    elapsed_ms: u128,
) -> Vec<(usize, Answer)> {
    which
        .iter()
        .map(|&i| {
            (
                i,
                whole_one(members[i].prepared, e.clone(), url, elapsed_ms),
            )
        })
        .collect()
}

fn whole(members: &[Member<'_>], e: Error, url: &str, elapsed_ms: u128) -> Vec<Answer> {
    let all: Vec<usize> = (0..members.len()).collect();
    fill(
        members.iter().map(|_| None).collect(),
        whole_of(members, &all, e, url, elapsed_ms),
    )
}

/// The answers known so far with `rest` filled in; every member has one.
fn fill(mut answers: Vec<Option<Answer>>, rest: Vec<(usize, Answer)>) -> Vec<Answer> {
    for (i, answer) in rest {
        answers[i] = Some(answer);
    }
    answers
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| Answer {
                outcome: Err(Error::runtime(
                    "A batched request was left without an answer.",
                )),
                whole_batch: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_urls_are_relative_to_the_version() {
        assert_eq!(
            split_version("/v1.0/users/u1/reprocessLicenseAssignment"),
            ("v1.0", "/users/u1/reprocessLicenseAssignment")
        );
        assert_eq!(
            split_version("/beta/me/reprocessLicenseAssignment2"),
            ("beta", "/me/reprocessLicenseAssignment2")
        );
        assert_eq!(split_version("/beta"), ("beta", "/"));
    }

    #[test]
    fn inner_answers_are_read_by_id_whatever_their_order() {
        let body = br#"{"responses":[
            {"id":"2","status":404,"headers":{"Content-Type":"application/json"},"body":{"error":{"code":"Request_ResourceNotFound"}}},
            {"id":1,"status":200,"body":{"id":"u1"}},
            {"id":"3","status":429,"headers":{"Retry-After":["2"]}},
            {"id":"2","status":200},
            {"status":200},
            {"id":"4","status":"ok"}
        ]}"#;
        let by_id = responses(body).unwrap();
        assert_eq!(by_id.len(), 3);
        assert_eq!(by_id["1"].0.as_u16(), 200);
        assert_eq!(by_id["1"].2, br#"{"id":"u1"}"#);
        assert_eq!(by_id["2"].0.as_u16(), 404);
        assert_eq!(by_id["2"].1["content-type"], ["application/json"]);
        assert_eq!(by_id["3"].1["retry-after"], ["2"]);
        assert!(by_id["3"].2.is_empty());
        assert!(responses(b"{\"responses\":{}}").is_none());
        assert!(responses(b"<html>").is_none());
    }
}
