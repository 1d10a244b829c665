//! Every piece of work the engine spawns ends in an answer, a panic included: a request, a
//! request driven by its waiting thread, a bulk item (alone or in a batch) and a read each end
//! with a `panic` error instead of "cancelled", "pending" forever or "done" without a page.
//!
//! No input reaches a panic any more (the ones found are checked before the HTTP stack), so
//! these tests ask for one: a call for the user [`PANIC_USER`] panics where it would be sent.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::bulk::{Bulk, BulkOptions, Next};
use crate::client::{Client, ClientConfig, ConnectRequest};
use crate::environment::NewEnvironment;
use crate::error::ErrorKind;
use crate::read::{NextPage, ReadSpec};
use crate::runtime::PANIC_USER;
use crate::RequestSpec;

/// A client connected to a port where nothing listens: nothing here reaches the network.
fn client() -> Arc<Client> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let client = Client::new(ClientConfig::default()).unwrap();
    client
        .add_environment(NewEnvironment {
            name: "Nowhere".into(),
            graph_endpoint: url.clone(),
            azure_ad_endpoint: url,
        })
        .unwrap();
    client
        .connect(ConnectRequest {
            access_token: "panic-test-token-0123456789".into(),
            environment: Some("Nowhere".into()),
        })
        .unwrap();
    client
}

fn request(extra: serde_json::Value) -> RequestSpec {
    let mut spec = json!({"operation": "reprocessLicenseAssignment", "identity": PANIC_USER});
    spec.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(spec).unwrap()
}

fn assert_panic_error(e: &crate::Error) {
    assert_eq!(e.kind, ErrorKind::Panic, "{}", e.message);
    assert!(
        e.message.contains("internal error") && e.message.contains("a test asked for a panic"),
        "{}",
        e.message
    );
}

const LONG: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn a_panic_in_a_request_on_the_engine_is_its_error() {
    let pending = client().start(&request(json!({}))).unwrap();
    let outcome = pending.wait(LONG).expect("the request ends");
    assert_panic_error(&outcome.unwrap_err());
}

#[test]
fn a_panic_in_a_request_on_the_waiting_thread_is_its_error() {
    let pending = client()
        .start(&request(json!({"onWaitingThread": true})))
        .unwrap();
    let outcome = pending.wait(LONG).expect("the request ends");
    assert_panic_error(&outcome.unwrap_err());
    // The request is over: its result was handed over once.
    assert!(pending.wait(LONG).unwrap().is_err());
}

#[test]
fn a_panic_in_a_bulk_item_is_that_items_result_and_the_run_goes_on() {
    for batch_size in [1, 2] {
        let client = client();
        let bulk = Bulk::new(
            Arc::clone(&client),
            BulkOptions {
                batch_size: Some(batch_size),
                ..Default::default()
            },
        )
        .unwrap();
        let first = bulk.submit(&request(json!({}))).unwrap();
        let second = bulk.submit(&request(json!({}))).unwrap();
        bulk.finish_input();
        for expected in [first, second] {
            match bulk.next(LONG) {
                Next::Item(index, outcome) => {
                    assert_eq!(index, expected);
                    assert_panic_error(&outcome.unwrap_err());
                }
                other => panic!("batch size {batch_size}: expected item {expected}, got {other:?}"),
            }
        }
        assert!(matches!(bulk.next(LONG), Next::Done));
        let progress = bulk.progress();
        assert_eq!((progress.in_flight, progress.failed), (0, 2));
    }
}

#[test]
fn a_panic_in_a_read_is_the_reads_error_not_its_end() {
    let spec: ReadSpec =
        serde_json::from_value(json!({"resource": "user", "identity": PANIC_USER})).unwrap();
    let pager = client().start_read(&spec).unwrap();
    match pager.next(LONG) {
        NextPage::Page(Err(e)) => assert_panic_error(&e),
        other => panic!("expected the panic as the read's error, got {other:?}"),
    }
    assert!(matches!(pager.next(LONG), NextPage::Done));
}
