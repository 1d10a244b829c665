//! JSON batching (<https://learn.microsoft.com/en-us/graph/json-batching>): up to 20 requests in one
//! `POST /$batch`, each served, throttled and failed on its own, answered in any order, with 424 for
//! the dependents of a failed request.
//!
//! Clients get batching wrong in ways only a faithful batch endpoint shows: assuming answers come in
//! request order, or that a 200 batch means every item succeeded (the SDKs do not retry inner 429s).

use std::collections::HashMap;

use hyper::http::request::Parts;
use hyper::{Body, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::log::BatchRef;
use crate::respond::{self, GraphError, RequestIds};
use crate::route::Version;
use crate::state::State;

/// Graph's limit on requests per batch.
pub const MAX_REQUESTS: usize = 20;

/// Most headers one request of a batch may carry: what the server accepts on a request of its
/// own (hyper's limit, past which it answers 431). A request with more is answered 400; building
/// it would panic past the header map's capacity (32,768).
pub const MAX_ITEM_HEADERS: usize = 100;

/// Inner answers carry only the headers a client acts on.
const ITEM_HEADERS: &[&str] = &[
    "content-type",
    "retry-after",
    "location",
    "x-ms-throttle-scope",
    "x-ms-throttle-information",
    "x-ms-resource-unit",
    "x-ms-throttle-limit-percentage",
];

/// Serves one request from inside the batch. The Graph front door above hands its own handler down, so
/// the batch endpoint never calls back up into it.
pub type Dispatch<'a> = dyn Fn(&Parts, &[u8], BatchRef) -> Response<Body> + Sync + 'a;

struct Item {
    id: String,
    method: Method,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

/// Answers `POST /{version}/$batch` once the front door has checked its version and token.
pub async fn handle(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
    version: Version,
    dispatch: &Dispatch<'_>,
) -> Response<Body> {
    match run(state, parts, body, ids, version, dispatch).await {
        Ok(response) => response,
        Err(error) => respond::graph_error(ids, &error),
    }
}

async fn run(
    state: &State,
    parts: &Parts,
    body: &[u8],
    ids: &RequestIds,
    version: Version,
    dispatch: &Dispatch<'_>,
) -> Result<Response<Body>, GraphError> {
    if parts.method != Method::POST {
        return Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
        .with_header(hyper::header::ALLOW, "POST"));
    }
    let items = parse(body)?;
    let order = execution_order(&items)?;

    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses: Vec<Value> = Vec::with_capacity(items.len());
    for index in order {
        let item = &items[index];
        let failed_dependency = item
            .depends_on
            .iter()
            .any(|d| !statuses.get(d).is_some_and(|s| (200..300).contains(s)));
        let answer = if failed_dependency {
            // Never sent to the service, so never logged.
            json!({
                "id": item.id,
                "status": 424,
                "headers": { "content-type": respond::ODATA_JSON },
                "body": error_value(ids, "FailedDependency", "The request was not performed because one or more of its dependencies failed."),
            })
        } else {
            execute(dispatch, parts, ids, version, item).await
        };
        statuses.insert(
            item.id.clone(),
            answer["status"].as_u64().unwrap_or(500) as u16,
        );
        responses.push(answer);
    }
    // "In any order": shuffled with the fault generator, so `--seed` makes it reproducible.
    state.faults().shuffle(&mut responses);
    Ok(respond::graph_json(
        ids,
        StatusCode::OK,
        &json!({ "responses": responses }),
    ))
}

async fn execute(
    dispatch: &Dispatch<'_>,
    outer: &Parts,
    ids: &RequestIds,
    version: Version,
    item: &Item,
) -> Value {
    if item.headers.len() > MAX_ITEM_HEADERS {
        return json!({
            "id": item.id,
            "status": 400,
            "headers": { "content-type": respond::ODATA_JSON },
            "body": error_value(ids, "BadRequest", &format!(
                "Batch request '{}' has {} headers; a request may carry at most {MAX_ITEM_HEADERS}.",
                item.id,
                item.headers.len()
            )),
        });
    }
    let relative = item.url.trim_start_matches('/');
    let mut request = Request::builder()
        .method(item.method.clone())
        .uri(format!("/{}/{relative}", version.as_str()));
    let mut has_authorization = false;
    for (name, value) in &item.headers {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        has_authorization |= name.eq_ignore_ascii_case("authorization");
        request = request.header(name.as_str(), text);
    }
    // The batch's token covers its requests.
    if !has_authorization {
        if let Some(authorization) = outer.headers.get(hyper::header::AUTHORIZATION) {
            request = request.header(hyper::header::AUTHORIZATION, authorization.clone());
        }
    }
    let body = match &item.body {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let parts = match request.body(()) {
        Ok(request) => request.into_parts().0,
        Err(_) => {
            return json!({
                "id": item.id,
                "status": 400,
                "headers": { "content-type": respond::ODATA_JSON },
                "body": error_value(ids, "BadRequest", &format!("Invalid request URL or header in batch request '{}'.", item.id)),
            })
        }
    };
    let response = dispatch(
        &parts,
        &body,
        BatchRef {
            request_id: ids.request_id.clone(),
            id: item.id.clone(),
        },
    );
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in ITEM_HEADERS {
        if let Some(value) = response.headers().get(*name).and_then(|v| v.to_str().ok()) {
            headers.insert((*name).to_owned(), Value::from(value));
        }
    }
    // Inner responses are built in memory, so their bodies are complete at once.
    let bytes = hyper::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    let mut answer = json!({ "id": item.id, "status": status, "headers": headers });
    if !bytes.is_empty() {
        answer["body"] = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&bytes).into_owned()));
    }
    answer
}

fn error_value(ids: &RequestIds, code: &str, message: &str) -> Value {
    serde_json::from_str(&respond::error_body(ids, code, message)).expect("error body is JSON")
}

fn malformed(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(message)
}

fn parse(body: &[u8]) -> Result<Vec<Item>, GraphError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| malformed("Invalid batch payload format."))?;
    let requests = value
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("Invalid batch payload format."))?;
    if requests.is_empty() {
        return Err(malformed(
            "The batch request must contain at least one request.",
        ));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(malformed(format!(
            "The number of requests in a batch cannot exceed {MAX_REQUESTS}."
        )));
    }
    let mut items: Vec<Item> = Vec::with_capacity(requests.len());
    for request in requests {
        let object = request
            .as_object()
            .ok_or_else(|| malformed("Invalid batch payload format."))?;
        let id = match object.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(malformed("Each request in a batch needs a non-empty 'id'.")),
        };
        if items.iter().any(|i| i.id == id) {
            return Err(malformed(format!(
                "Request id '{id}' appears more than once in the batch."
            )));
        }
        let method = object
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| malformed(format!("Request '{id}' has no valid 'method'.")))?;
        let url = object
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| malformed(format!("Request '{id}' has no 'url'.")))?;
        if url.contains("://") {
            return Err(malformed(format!(
                "Request '{id}': the url must be relative to the version, such as /users/{{id}}."
            )));
        }
        let headers = match object.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(headers)) => headers.clone(),
            Some(_) => {
                return Err(malformed(format!(
                    "Request '{id}': 'headers' must be an object."
                )))
            }
        };
        let depends_on = match object.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|d| {
                    d.as_str().map(str::to_owned).ok_or_else(|| {
                        malformed(format!(
                            "Request '{id}': 'dependsOn' must list request ids."
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(malformed(format!(
                    "Request '{id}': 'dependsOn' must be an array."
                )))
            }
        };
        items.push(Item {
            id,
            method,
            url: url.to_owned(),
            headers,
            body: object.get("body").cloned(),
            depends_on,
        });
    }
    for item in &items {
        for dependency in &item.depends_on {
            if !items.iter().any(|i| &i.id == dependency) {
                return Err(malformed(format!(
                    "Request '{}' depends on '{dependency}', which is not in the batch.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

/// Dependencies first; a cycle is a malformed batch.
fn execution_order(items: &[Item]) -> Result<Vec<usize>, GraphError> {
    let mut done: Vec<bool> = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    while order.len() < items.len() {
        let before = order.len();
        for (i, item) in items.iter().enumerate() {
            if done[i] {
                continue;
            }
            let ready = item.depends_on.iter().all(|d| {
                items
                    .iter()
                    .position(|other| &other.id == d)
                    .is_some_and(|j| done[j])
            });
            if ready {
                done[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            return Err(malformed(
                "The dependsOn of the batch's requests form a cycle.",
            ));
        }
    }
    Ok(order)
}
