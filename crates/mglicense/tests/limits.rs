//! Limits the HTTP stack enforces by panicking are checked before it is reached, with an error
//! that names the problem; and the engine's own runtimes are shut down where that is allowed.

mod common;

use std::sync::Arc;

use common::*;
use mglicense::bulk::{Bulk, BulkOptions, Refused};
use mglicense::{ErrorKind, ReadSpec, RequestSpec};
use serde_json::{json, Map, Value};

fn many_headers(n: usize) -> Map<String, Value> {
    (0..n)
        .map(|i| (format!("x-h{i}"), Value::from("v")))
        .collect()
}

#[test]
fn a_read_whose_url_is_too_long_is_refused_before_anything_is_sent() {
    let f = fixture();
    // A runbook's "id in (...)" over 1,500 object ids: about 58 KB of filter, over 64 KB encoded.
    let ids: Vec<String> = (0..1500)
        .map(|i| format!("'{:08x}-0000-4000-8000-{:012x}'", i, i))
        .collect();
    let spec: ReadSpec = serde_json::from_value(json!({
        "resource": "users",
        "filter": format!("id in ({})", ids.join(",")),
        "all": true,
    }))
    .unwrap();
    f.emulator.state().log().clear();
    let e = match f.client.start_read(&spec) {
        Err(e) => e,
        Ok(_) => panic!("a read of a URL over 64 KB started"),
    };
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{}", e.message);
    assert!(
        e.message.contains("65534") && e.message.contains("-Filter"),
        "{}",
        e.message
    );
    assert!(logged_paths(&f).is_empty(), "something was sent");

    // Just under the limit is sent (and answered by the emulator).
    let short: ReadSpec =
        serde_json::from_value(json!({"resource": "users", "filter": "id in ('a')"})).unwrap();
    assert!(f.client.start_read(&short).is_ok());
}

#[test]
fn more_headers_than_the_limit_are_refused_by_every_kind_of_call() {
    let f = fixture();
    f.emulator.state().log().clear();
    let headers = Value::Object(many_headers(40_000));
    let request: RequestSpec = serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment",
        "identity": "AdeleV@contoso.com",
        "headers": headers,
    }))
    .unwrap();
    let refused = |e: &mglicense::Error| {
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{}", e.message);
        assert!(
            e.message.contains("40000 headers") && e.message.contains("at most 100"),
            "{}",
            e.message
        );
    };
    refused(&f.client.execute(&request).unwrap_err());
    let bulk = Bulk::new(Arc::clone(&f.client), BulkOptions::default()).unwrap();
    match bulk.submit(&request) {
        Err(Refused::Invalid(e)) => refused(&e),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let read: ReadSpec =
        serde_json::from_value(json!({"resource": "users", "headers": headers})).unwrap();
    match f.client.start_read(&read) {
        Err(e) => refused(&e),
        Ok(_) => panic!("a read with 40,000 headers started"),
    }
    assert!(logged_paths(&f).is_empty(), "something was sent");

    // The limit itself is sent (the emulator's HTTP server answers 431 to that many).
    let with = |n: usize| -> RequestSpec {
        serde_json::from_value(json!({
            "operation": "reprocessLicenseAssignment",
            "identity": "AdeleV@contoso.com",
            "headers": Value::Object(many_headers(n)),
        }))
        .unwrap()
    };
    if let Err(e) = f.client.execute(&with(100)) {
        assert_eq!(e.kind, ErrorKind::Graph, "{}", e.message);
    }
    refused_at(&f.client.execute(&with(101)).unwrap_err(), 101);
}

fn refused_at(e: &mglicense::Error, n: usize) {
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{}", e.message);
    assert!(e.message.contains(&format!("{n} headers")), "{}", e.message);
}

#[test]
fn a_client_whose_last_reference_goes_on_an_engine_thread_is_dropped_without_a_panic() {
    let Fixture { emulator, client } = fixture();
    // A request from the waiting thread leaves an idle driver (a runtime of its own) behind.
    let spec: RequestSpec = serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment",
        "identity": "AdeleV@contoso.com",
        "onWaitingThread": true,
    }))
    .unwrap();
    client.execute(&spec).unwrap();
    // The last reference to the client now goes on a thread of the engine's runtime, as it does
    // when a sign-in or a request still running there holds it after the front end let go.
    let rt = mglicense::runtime::runtime().unwrap();
    let dropped = rt.block_on(async move { rt.spawn(async move { drop(client) }).await });
    if let Err(e) = dropped {
        panic!("dropping the client on an engine thread failed: {e}");
    }
    drop(emulator);
}

#[test]
fn a_callers_user_agent_and_accept_replace_the_engines_and_hop_by_hop_headers_are_refused() {
    let f = fixture();
    f.emulator.state().log().clear();
    let spec: RequestSpec = serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment",
        "identity": "AdeleV@contoso.com",
        "headers": {"User-Agent": "Runbook/2.0", "accept": "application/json;odata.metadata=none"},
    }))
    .unwrap();
    f.client.execute(&spec).unwrap();
    let entry = f.emulator.state().log().entries().next().unwrap().clone();
    // One field each (the log joins repeated fields with ", ").
    assert_eq!(entry.headers["user-agent"], "Runbook/2.0");
    assert_eq!(
        entry.headers["accept"],
        "application/json;odata.metadata=none"
    );

    for name in [
        "Upgrade",
        "TE",
        "Keep-Alive",
        "Expect",
        "Proxy-Connection",
        "Trailer",
    ] {
        let spec: RequestSpec = serde_json::from_value(json!({
            "operation": "reprocessLicenseAssignment",
            "identity": "AdeleV@contoso.com",
            "headers": {name: "x"},
        }))
        .unwrap();
        let e = f.client.execute(&spec).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{name}: {}", e.message);
        assert!(e.message.contains(&format!("'{name}'")), "{}", e.message);
    }
    assert_eq!(logged_paths(&f).len(), 1, "a refused call was sent");
}
