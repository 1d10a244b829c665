//! Bulk execution against the emulator: every input answered exactly once, in input order.

mod common;

use std::time::Duration;

use common::*;
use mglicense::bulk::{Bulk, BulkOptions, Next, Refused};
use mglicense::{ErrorKind, RequestSpec};
use serde_json::json;

fn spec(identity: serde_json::Value) -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": identity}))
        .unwrap()
}

const USERS: [&str; 4] = [
    "AdeleV@contoso.com",
    "AlexW@contoso.com",
    "MeganB@contoso.com",
    "LeeG@contoso.com",
];

/// Feeds `inputs` the way a front end does (take results whenever the queue is full; an
/// input refused outright is answered in its place once the results before it are taken) and
/// collects (input number, outcome) in the order they were handed over.
fn run(bulk: &Bulk, inputs: &[RequestSpec]) -> Vec<(u64, Result<serde_json::Value, ErrorKind>)> {
    let mut out = Vec::new();
    // Engine index -> input number, for the inputs that were queued.
    let mut numbers = std::collections::VecDeque::new();
    let take =
        |next: Next, out: &mut Vec<_>, numbers: &mut std::collections::VecDeque<u64>| match next {
            Next::Item(_, o) => out.push((
                numbers.pop_front().unwrap(),
                o.map(|r| r.body_value().unwrap()).map_err(|e| e.kind),
            )),
            other => panic!("unexpected {other:?}"),
        };
    for (n, input) in inputs.iter().enumerate() {
        loop {
            match bulk.submit(input) {
                Ok(_) => {
                    numbers.push_back(n as u64);
                    break;
                }
                Err(Refused::Busy) => take(bulk.next(None), &mut out, &mut numbers),
                Err(Refused::Invalid(e)) => {
                    while !numbers.is_empty() {
                        take(bulk.next(None), &mut out, &mut numbers);
                    }
                    out.push((n as u64, Err(e.kind)));
                    break;
                }
                Err(Refused::Closed) => panic!("closed"),
            }
        }
    }
    bulk.finish_input();
    loop {
        match bulk.next(Some(Duration::from_secs(30))) {
            Next::Done => break,
            next => take(next, &mut out, &mut numbers),
        }
    }
    out
}

#[test]
fn every_input_gets_one_answer_in_input_order() {
    let f = fixture();
    let bulk = Bulk::new(
        f.client.clone(),
        BulkOptions {
            throttle_limit: Some(8),
            max_outstanding: Some(16),
            ..Default::default()
        },
    )
    .unwrap();
    let mut inputs = Vec::new();
    for i in 0..200 {
        inputs.push(match i % 10 {
            3 => spec(json!({"DriveId": "no user here"})), // refused before queuing
            7 => spec(json!(format!("missing-{i}@contoso.com"))), // Graph's 404
            _ => spec(json!(USERS[i % USERS.len()])),
        });
    }
    let results = run(&bulk, &inputs);
    assert_eq!(results.len(), 200);
    for (n, (index, outcome)) in results.iter().enumerate() {
        assert_eq!(*index, n as u64);
        match n % 10 {
            3 => assert_eq!(outcome.as_ref().unwrap_err(), &ErrorKind::InvalidArgument),
            7 => assert_eq!(outcome.as_ref().unwrap_err(), &ErrorKind::Graph),
            _ => assert_eq!(
                outcome.as_ref().unwrap()["userPrincipalName"],
                USERS[n % USERS.len()]
            ),
        }
    }
    let p = bulk.progress();
    assert_eq!(
        (
            p.submitted,
            p.completed,
            p.succeeded,
            p.failed,
            p.handed_over
        ),
        (180, 180, 160, 20, 180)
    );
    // Only the 180 inputs that could be sent reached the service, each once.
    assert_eq!(f.emulator.state().log().len(), 180);
}

#[test]
fn a_full_queue_asks_the_caller_to_take_results_first() {
    let f = fixture();
    let bulk = Bulk::new(
        f.client.clone(),
        BulkOptions {
            throttle_limit: Some(2),
            max_outstanding: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..3 {
        bulk.submit(&spec(json!(USERS[0]))).unwrap();
    }
    assert!(matches!(
        bulk.submit(&spec(json!(USERS[0]))),
        Err(Refused::Busy)
    ));
    assert!(matches!(bulk.next(None), Next::Item(0, Ok(_))));
    assert_eq!(bulk.submit(&spec(json!(USERS[0]))).unwrap(), 3);
    bulk.finish_input();
    assert!(matches!(
        bulk.submit(&spec(json!(USERS[0]))),
        Err(Refused::Closed)
    ));
}

#[test]
fn throttle_limits_outside_one_to_a_thousand_are_refused() {
    let f = fixture();
    for bad in [0, 1001] {
        let e = Bulk::new(
            f.client.clone(),
            BulkOptions {
                throttle_limit: Some(bad),
                max_outstanding: None,
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert!(e.message.contains("ThrottleLimit"), "{}", e.message);
    }
}

#[test]
fn cancel_stops_the_run_and_hands_over_nothing_more() {
    let f = fixture();
    let bulk = Bulk::new(
        f.client.clone(),
        BulkOptions {
            throttle_limit: Some(2),
            max_outstanding: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..50 {
        bulk.submit(&spec(json!(USERS[1]))).unwrap();
    }
    bulk.cancel();
    assert!(matches!(
        bulk.next(Some(Duration::from_secs(1))),
        Next::Cancelled
    ));
    assert!(matches!(
        bulk.submit(&spec(json!(USERS[1]))),
        Err(Refused::Closed)
    ));
    std::thread::sleep(Duration::from_millis(200));
    let sent = f.emulator.state().log().len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        f.emulator.state().log().len(),
        sent,
        "requests kept going out after cancel"
    );
    assert!(sent < 50, "cancel came after everything was sent ({sent})");
}

#[test]
fn an_input_that_can_never_be_sent_is_refused_at_once() {
    let f = fixture();
    let bulk = Bulk::new(f.client.clone(), BulkOptions::default()).unwrap();
    assert_eq!(bulk.submit(&spec(json!(USERS[0]))).unwrap(), 0);
    match bulk.submit(&spec(json!({"DriveId": "d"}))) {
        Err(Refused::Invalid(e)) => assert_eq!(
            e.message,
            "InputObject has null value for InputObject.UserId"
        ),
        other => panic!("{other:?}"),
    }
    // The refused input took no place in the order.
    assert_eq!(bulk.submit(&spec(json!(USERS[1]))).unwrap(), 1);
}

#[test]
fn without_a_connection_each_input_says_so() {
    let f = fixture();
    f.client.disconnect();
    let bulk = Bulk::new(f.client.clone(), BulkOptions::default()).unwrap();
    let results = run(&bulk, &[spec(json!(USERS[0])), spec(json!(USERS[1]))]);
    assert_eq!(results.len(), 2);
    assert!(results
        .iter()
        .all(|(_, o)| o.as_ref().unwrap_err() == &ErrorKind::NotConnected));
    assert_eq!(f.emulator.state().log().len(), 0);
}
