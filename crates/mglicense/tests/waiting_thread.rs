//! Requests sent from the thread that waits for them (`"onWaitingThread": true`, docs/abi.md):
//! the same call and answer as on the engine's threads, sent only while someone waits, stopped
//! by a cancel from another thread, and their connections kept for the next call.
mod common;

use std::time::Duration;

use common::{fixture, logged_paths, Fixture};
use graph_emulator::faults::{FaultProfile, Faults};
use mglicense::error::ErrorKind;
use mglicense::RequestSpec;
use serde_json::{json, Value};

fn on_waiting_thread(user: &str) -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": {"UserId": user}, "onWaitingThread": true})).unwrap()
}

fn faults(f: &Fixture, profile: Value) {
    let profile: FaultProfile = serde_json::from_value(profile).unwrap();
    *f.emulator.state().faults() = Faults::new(profile, Some(7));
}

/// A request as the emulator saw it: method, path and headers.
type Seen = (String, String, Vec<(String, String)>);

/// What the emulator saw of each request, less what differs from call to call.
fn wire(f: &Fixture) -> Vec<Seen> {
    f.emulator
        .state()
        .log()
        .entries()
        .map(|e| {
            let headers = e
                .headers
                .iter()
                .filter(|(n, _)| *n != "client-request-id")
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            (e.method.clone(), e.path.clone(), headers)
        })
        .collect()
}

#[test]
fn the_call_and_its_answer_are_the_same_as_on_the_engines_threads() {
    let f = fixture();
    let on_engine = f
        .client
        .execute(&common::reprocess("AdeleV@contoso.com"))
        .unwrap();
    let here = f
        .client
        .execute(&on_waiting_thread("AdeleV@contoso.com"))
        .unwrap();
    assert_eq!(here.status, on_engine.status);
    assert_eq!(here.url, on_engine.url);
    assert_eq!(
        here.body_value().unwrap()["userPrincipalName"],
        "AdeleV@contoso.com"
    );
    assert_eq!(
        here.body_value().unwrap()["id"],
        on_engine.body_value().unwrap()["id"]
    );
    let sent = wire(&f);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], sent[1], "the same request on the wire");

    // Errors too: an unknown user is Graph's 404, as it is on the engine's threads.
    let e = f
        .client
        .execute(&on_waiting_thread("nobody@contoso.com"))
        .unwrap_err();
    assert_eq!(
        e.graph.as_ref().map(|g| (g.status, g.code.as_str())),
        Some((404, "Request_ResourceNotFound")),
        "{e:?}"
    );
}

#[test]
fn it_is_sent_only_while_someone_waits_and_a_short_wait_leaves_it_running() {
    let f = fixture();
    let pending = f
        .client
        .start(&on_waiting_thread("AdeleV@contoso.com"))
        .unwrap();
    // On the engine's threads it would have been answered long before this.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        logged_paths(&f).is_empty(),
        "sent without a waiter: {:?}",
        logged_paths(&f)
    );

    faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/**", "latencyMs": 400}]}),
    );
    assert!(
        pending.wait(Some(Duration::from_millis(50))).is_none(),
        "answered before the emulator's latency"
    );
    assert!(!pending.is_finished());
    let mut turns = 1;
    let outcome = loop {
        if let Some(outcome) = pending.wait(Some(Duration::from_millis(50))) {
            break outcome;
        }
        turns += 1;
    };
    assert_eq!(outcome.unwrap().status, 200);
    assert!(turns > 1, "one turn of 50 ms waited out 400 ms of latency");
    assert!(pending.is_finished());
    assert_eq!(logged_paths(&f).len(), 1, "sent once across the waits");
    let again = pending.wait(None).unwrap().unwrap_err();
    assert_eq!(again.kind, ErrorKind::InvalidArgument);
}

#[test]
fn a_cancel_from_another_thread_wakes_the_waiter() {
    let f = fixture();
    faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/**", "latencyMs": 20000}]}),
    );
    let pending = std::sync::Arc::new(
        f.client
            .start(&on_waiting_thread("AdeleV@contoso.com"))
            .unwrap(),
    );
    let canceller = {
        let pending = std::sync::Arc::clone(&pending);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            pending.cancel();
        })
    };
    // Without the wake-up this would wait out the 20 s latency and get the answer.
    let outcome = pending.wait(None).unwrap();
    canceller.join().unwrap();
    assert_eq!(outcome.unwrap_err().kind, ErrorKind::Cancelled);
    let statuses: Vec<Option<u16>> = f
        .emulator
        .state()
        .log()
        .entries()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        vec![None],
        "the waiter returned only once the emulator had answered"
    );

    // A cancel before anyone waits: nothing is sent.
    faults(&f, json!({"rules": []}));
    let before = logged_paths(&f).len();
    let pending = f
        .client
        .start(&on_waiting_thread("AdeleV@contoso.com"))
        .unwrap();
    pending.cancel();
    assert_eq!(
        pending.wait(None).unwrap().unwrap_err().kind,
        ErrorKind::Cancelled
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        logged_paths(&f).len(),
        before,
        "a cancelled request went out"
    );
}

#[test]
fn a_request_released_half_way_leaves_the_next_calls_working() {
    let f = fixture();
    faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/**", "latencyMs": 300, "count": 1}]}),
    );
    let pending = f
        .client
        .start(&on_waiting_thread("AdeleV@contoso.com"))
        .unwrap();
    assert!(pending.wait(Some(Duration::from_millis(50))).is_none());
    drop(pending);
    for _ in 0..3 {
        assert_eq!(
            f.client
                .execute(&on_waiting_thread("AdeleV@contoso.com"))
                .unwrap()
                .status,
            200
        );
    }
    // A new sign-in: the drivers of the old connection are let go, and calls go on.
    let token = common::token(&f.emulator, &["User.ReadWrite.All"], 3600);
    f.client
        .connect(mglicense::client::ConnectRequest {
            access_token: token.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    assert_eq!(
        f.client
            .execute(&on_waiting_thread("AdeleV@contoso.com"))
            .unwrap()
            .status,
        200
    );
    // Several threads at once each get a runtime of their own.
    std::thread::scope(|s| {
        let calls: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    f.client
                        .execute(&on_waiting_thread("AdeleV@contoso.com"))
                        .unwrap()
                        .status
                })
            })
            .collect();
        for call in calls {
            assert_eq!(call.join().unwrap(), 200);
        }
    });
}

#[test]
fn throttling_and_retries_are_the_engines_rules() {
    let f = fixture();
    faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/**", "failureRate": 1.0, "statuses": [429], "retryAfterSeconds": 1, "count": 1}]}),
    );
    let pending = f
        .client
        .start(&on_waiting_thread("AdeleV@contoso.com"))
        .unwrap();
    let mut throttle_seen = false;
    let outcome = loop {
        match pending.wait(Some(Duration::from_millis(100))) {
            Some(outcome) => break outcome,
            None => throttle_seen |= pending.progress().throttle_wait_seconds.is_some(),
        }
    };
    assert_eq!(outcome.unwrap().status, 200);
    assert!(throttle_seen, "the waiter was not told of the throttle");
    let log: Vec<(Option<u16>, Option<String>)> = f
        .emulator
        .state()
        .log()
        .entries()
        .map(|e| (e.status, e.headers.get("retry-attempt").cloned()))
        .collect();
    assert_eq!(log, vec![(Some(429), None), (Some(200), Some("1".into()))]);
    assert!(
        pending.progress().elapsed_seconds >= 1.0,
        "retried before Retry-After"
    );
}

#[test]
fn with_wait_the_request_runs_on_the_engines_threads() {
    let f = fixture();
    let spec: RequestSpec = serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment", "identity": {"UserId": "AdeleV@contoso.com"},
        "onWaitingThread": true, "wait": {"timeoutSeconds": 5}
    }))
    .unwrap();
    let pending = f.client.start(&spec).unwrap();
    // Sent without a waiter: the -Wait follow-up runs on the engine's threads.
    let mut sent = false;
    for _ in 0..100 {
        if !logged_paths(&f).is_empty() {
            sent = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        sent,
        "a request with wait was not started on the engine's threads"
    );
    assert_eq!(pending.wait(None).unwrap().unwrap().status, 200);
}
