//! Bulk runs in JSON batches against the emulator's faithful `$batch`: answers in any order, each
//! inner request throttled and failed on its own. Every input still gets exactly the result a
//! call of its own would have had, in input order, and each inner request is retried on its own,
//! never before its own Retry-After.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::*;
use graph_emulator::faults::{FaultProfile, Faults};
use graph_emulator::log::Entry;
use graph_emulator::throttle::ThrottleConfig;
use graph_emulator::{Config, Tenant};
use mglicense::bulk::{Bulk, BulkOptions, Next, Refused};
use mglicense::client::ConnectRequest;
use mglicense::retry::RequestContextUpdate;
use mglicense::{ErrorKind, RequestSpec, Response};
use serde_json::{json, Value};

type Outcome = Result<Response, mglicense::Error>;

/// An emulator with generated users, and the ids of `users` of them that Graph finds (one path
/// per input), its batch answers shuffled under `seed`.
fn generated(users: usize, seed: u64) -> (Fixture, Vec<String>) {
    // Two generated users are soft-deleted.
    let tenant = graph_emulator::generate::tenant(users + 2, 1);
    let mut config = Config::new(Tenant::from_seed_json(&tenant.to_string()).unwrap());
    config.seed = Some(seed);
    let f = fixture_from(config);
    let ids: Vec<String> = f
        .emulator
        .state()
        .tenant()
        .active_users()
        .map(|u| u.id().to_string())
        .take(users)
        .collect();
    assert_eq!(ids.len(), users);
    (f, ids)
}

fn options(batch_size: usize, throttle_limit: usize) -> BulkOptions {
    BulkOptions {
        throttle_limit: Some(throttle_limit),
        max_outstanding: Some(1000),
        batch_size: Some(batch_size),
    }
}

fn spec(operation: &str, user: &str, extra: Value) -> RequestSpec {
    let mut v = json!({"operation": operation, "identity": {"UserId": user}});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    serde_json::from_value(v).unwrap()
}

fn faults(f: &Fixture, profile: Value) {
    let profile: FaultProfile = serde_json::from_value(profile).unwrap();
    *f.emulator.state().faults() = Faults::new(profile, Some(11));
}

fn quick_retries(f: &Fixture, max_retry: u32) {
    f.client
        .set_request_context(RequestContextUpdate {
            max_retry: Some(max_retry),
            retry_delay_seconds: Some(0),
            ..Default::default()
        })
        .unwrap();
}

/// Submits every input (taking results whenever the run is full), then takes the rest; the
/// outcomes in the order they were handed over, each with its index.
fn run(bulk: &Bulk, inputs: &[RequestSpec]) -> Vec<(u64, Outcome)> {
    let mut out = Vec::new();
    let take = |next: Next, out: &mut Vec<(u64, Outcome)>| match next {
        Next::Item(i, o) => out.push((i, o)),
        other => panic!("unexpected {other:?}"),
    };
    for input in inputs {
        loop {
            match bulk.submit(input) {
                Ok(_) => break,
                Err(Refused::Busy) => take(bulk.next(Some(Duration::from_secs(120))), &mut out),
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    bulk.finish_input();
    loop {
        match bulk.next(Some(Duration::from_secs(120))) {
            Next::Done => break,
            next => take(next, &mut out),
        }
    }
    assert_eq!(
        out.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..inputs.len() as u64).collect::<Vec<_>>(),
        "one result per input, in input order"
    );
    out
}

fn entries(f: &Fixture) -> Vec<Entry> {
    f.emulator.state().log().entries().cloned().collect()
}

fn is_batch(e: &Entry) -> bool {
    e.path.ends_with("/$batch")
}

/// The inner requests of each `$batch`, by the batch's request id, in arrival order.
fn inner_by_batch(log: &[Entry]) -> BTreeMap<String, Vec<&Entry>> {
    let mut by: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in log {
        if let Some(b) = &e.batch {
            by.entry(b.request_id.clone()).or_default().push(e);
        }
    }
    by
}

/// Every attempt at each path, in arrival order.
fn attempts_by_path(log: &[Entry]) -> HashMap<&str, Vec<&Entry>> {
    let mut by: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in log.iter().filter(|e| e.batch.is_some()) {
        by.entry(e.path.as_str()).or_default().push(e);
    }
    by
}

/// Milliseconds into the day of a log time (`2026-11-28T22:40:01.123Z`).
fn millis(e: &Entry) -> i64 {
    let t = &e.time[11..23];
    let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
    ((n(0, 2) * 60 + n(3, 5)) * 60 + n(6, 8)) * 1000 + n(9, 12)
}

fn gap(a: &Entry, b: &Entry) -> i64 {
    (millis(b) - millis(a)).rem_euclid(86_400_000)
}

fn reprocess_path(version: &str, user: &str) -> String {
    format!("/{version}/users/{user}/reprocessLicenseAssignment")
}

#[test]
fn twenty_calls_go_in_each_batch_with_their_own_headers_and_results_come_in_input_order() {
    let (f, users) = generated(100, 3);
    // The first batch is slow to answer, so everything after it is queued by the time a slot frees.
    faults(
        &f,
        json!({"rules": [{"path": "/v1.0/$batch", "latencyMs": 150}]}),
    );
    let bulk = Bulk::new(f.client.clone(), options(20, 1)).unwrap();
    let inputs: Vec<RequestSpec> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            spec(
                "reprocessLicenseAssignment",
                u,
                json!({"headers": {"x-ms-throttle-priority": "High", "x-test-item": i}}),
            )
        })
        .collect();
    let results = run(&bulk, &inputs);
    for ((_, outcome), user) in results.iter().zip(&users) {
        let response = outcome.as_ref().unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.body_value().unwrap()["id"], user.as_str());
        assert_eq!(
            response.url,
            format!("{}{}", f.emulator.base_url(), reprocess_path("v1.0", user))
        );
        // The call's own headers, for -ResponseHeadersVariable, with the batch's Date.
        assert!(
            response.headers["content-type"][0].starts_with("application/json"),
            "{:?}",
            response.headers
        );
        assert!(
            response.headers.contains_key("date"),
            "{:?}",
            response.headers
        );
    }

    let log = entries(&f);
    let outer: Vec<&Entry> = log.iter().filter(|e| is_batch(e)).collect();
    let inner = inner_by_batch(&log);
    assert!(
        outer.len() <= 100 / 20 + 1,
        "{} batches for 100 calls",
        outer.len()
    );
    assert!(
        log.iter().all(|e| is_batch(e) || e.batch.is_some()),
        "no call went on its own"
    );
    let sizes: Vec<usize> = outer.iter().map(|o| inner[&o.request_id].len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 100, "{sizes:?}");
    assert!(sizes.iter().all(|s| *s <= 20), "{sizes:?}");
    assert!(
        sizes[1..sizes.len() - 1].iter().all(|s| *s == 20),
        "only the first and the last batch may be short: {sizes:?}"
    );
    for o in &outer {
        assert_eq!(
            (o.method.as_str(), o.path.as_str(), o.status),
            ("POST", "/v1.0/$batch", Some(200))
        );
        assert_eq!(o.headers["authorization"], "Bearer <redacted>");
        assert_eq!(o.headers["content-type"], "application/json");
    }
    let mut request_ids = std::collections::HashSet::new();
    for (n, user) in users.iter().enumerate() {
        let path = reprocess_path("v1.0", user);
        let sent: Vec<&&Entry> = inner
            .values()
            .flatten()
            .filter(|e| e.path == path)
            .collect();
        let e = match sent.as_slice() {
            [e] => e,
            other => panic!("{path} was sent {} times", other.len()),
        };
        assert_eq!(e.method, "POST");
        assert_eq!(e.headers["x-ms-throttle-priority"], "High");
        assert_eq!(e.headers["x-test-item"], n.to_string());
        assert!(!e.headers.contains_key("retry-attempt"));
        assert!(
            request_ids.insert(e.headers["client-request-id"].clone()),
            "each inner request has its own client-request-id"
        );
    }
}

#[test]
fn each_result_is_the_one_a_call_of_its_own_gets() {
    let f = fixture();
    let users = [
        "AdeleV@contoso.com",
        "nobody@contoso.com",
        "AlexW@contoso.com",
        "$adm@contoso.com",
        "ghost@contoso.com",
        "MeganB@contoso.com",
    ];
    let inputs: Vec<RequestSpec> = users
        .iter()
        .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
        .collect();
    let single = run(
        &Bulk::new(f.client.clone(), BulkOptions::default()).unwrap(),
        &inputs,
    );
    let batched = run(
        &Bulk::new(f.client.clone(), options(20, 2)).unwrap(),
        &inputs,
    );
    let without_context = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().map(|o| o.remove("@odata.context"));
        v
    };
    for (n, ((_, one), (_, many))) in single.iter().zip(&batched).enumerate() {
        match (one, many) {
            (Ok(a), Ok(b)) => {
                assert_eq!((a.status, &a.method, &a.url), (b.status, &b.method, &b.url));
                assert_eq!(
                    a.body_value().as_ref().map(without_context),
                    b.body_value().as_ref().map(without_context),
                    "input {n}"
                );
            }
            (Err(a), Err(b)) => {
                // An unknown user is that input's own error, the one Graph gives a call of its own.
                assert_eq!((a.kind, &a.message), (b.kind, &b.message), "input {n}");
                let (ga, gb) = (a.graph.as_ref().unwrap(), b.graph.as_ref().unwrap());
                assert_eq!(
                    (ga.status, &ga.code, &ga.graph_message),
                    (gb.status, &gb.code, &gb.graph_message)
                );
                assert_eq!(gb.code, "Request_ResourceNotFound");
                assert!(
                    gb.request_id.is_some() && gb.client_request_id.is_some() && gb.date.is_some(),
                    "{gb:?}"
                );
            }
            other => panic!("input {n}: {other:?}"),
        }
    }
    assert_eq!(batched.iter().filter(|(_, o)| o.is_err()).count(), 2);
}

#[test]
fn answers_in_any_order_are_matched_by_id() {
    for seed in [1, 2, 3] {
        let (f, users) = generated(40, seed);
        faults(
            &f,
            json!({"rules": [{"path": "/v1.0/$batch", "latencyMs": 50}]}),
        );
        let inputs: Vec<RequestSpec> = users
            .iter()
            .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
            .collect();
        let results = run(
            &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
            &inputs,
        );
        for ((_, outcome), user) in results.iter().zip(&users) {
            assert_eq!(
                outcome.as_ref().unwrap().body_value().unwrap()["id"],
                user.as_str()
            );
        }
        assert!(
            inner_by_batch(&entries(&f)).values().any(|b| b.len() > 1),
            "no batch carried more than one call"
        );
    }
}

#[test]
fn inner_429s_are_retried_after_their_own_retry_after_and_never_before() {
    let (f, users) = generated(60, 5);
    quick_retries(&f, 10);
    faults(
        &f,
        json!({"rules": [{
            "method": "POST", "path": "/v1.0/users/*/reprocessLicenseAssignment",
            "failureRate": 0.3, "statuses": [429], "retryAfterSeconds": 0.4, "retryAfterFormat": "fraction"
        }]}),
    );
    let bulk = Bulk::new(f.client.clone(), options(20, 2)).unwrap();
    let inputs: Vec<RequestSpec> = users
        .iter()
        .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
        .collect();
    let results = run(&bulk, &inputs);
    assert!(
        results.iter().all(|(_, o)| o.is_ok()),
        "{:?}",
        results.iter().find(|(_, o)| o.is_err())
    );

    let log = entries(&f);
    let mut retried = 0;
    for (path, tries) in attempts_by_path(&log) {
        // Nothing sent twice except as a retry: every attempt but the last was refused.
        let (last, before) = tries.split_last().unwrap();
        assert_eq!(last.status, Some(200), "{path}");
        for (n, pair) in tries.windows(2).enumerate() {
            assert_eq!(pair[0].status, Some(429), "{path}");
            // Log times are taken on arrival, to the millisecond.
            assert!(
                gap(pair[0], pair[1]) + 2 >= 400,
                "{path} came back {} ms after its 429",
                gap(pair[0], pair[1])
            );
            assert_ne!(
                pair[0].batch.as_ref().unwrap().request_id,
                pair[1].batch.as_ref().unwrap().request_id
            );
            assert!(pair[1]
                .headers
                .get("retry-attempt")
                .map_or(true, |a| a.parse::<usize>().unwrap() <= n + 1));
        }
        retried += before.len();
    }
    assert!(retried > 0, "no 429 was injected");
    // Each inner retry counts as one, as a single call's.
    assert_eq!(bulk.progress().retries, retried as u64);
}

#[test]
fn inner_503s_are_retried_with_the_single_call_budget_and_then_reported() {
    let (f, users) = generated(12, 2);
    quick_retries(&f, 2);
    faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/v1.0/users/*/reprocessLicenseAssignment", "failureRate": 1, "statuses": [503], "retryAfterSeconds": 0}]}),
    );
    let inputs: Vec<RequestSpec> = users
        .iter()
        .take(12)
        .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
        .collect();
    let results = run(
        &Bulk::new(f.client.clone(), options(5, 2)).unwrap(),
        &inputs,
    );
    for (_, outcome) in &results {
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(e.graph.as_ref().unwrap().status, 503);
        assert!(
            e.message.starts_with("[ServiceUnavailable] : "),
            "{}",
            e.message
        );
        assert!(
            e.message
                .contains("Too many retries performed: gave up after 2 retries"),
            "{}",
            e.message
        );
    }
    let log = entries(&f);
    for (path, tries) in attempts_by_path(&log) {
        let attempts: Vec<Option<&str>> = tries
            .iter()
            .map(|e| e.headers.get("retry-attempt").map(String::as_str))
            .collect();
        assert_eq!(
            attempts,
            [None, Some("1"), Some("2")],
            "{path}: one try and MaxRetry retries, each numbered"
        );
    }
}

#[test]
fn a_dropped_or_refused_batch_is_sent_again_and_a_malformed_one_fails_each_call() {
    let (f, users) = generated(30, 4);
    quick_retries(&f, 3);
    let inputs: Vec<RequestSpec> = users
        .iter()
        .take(30)
        .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
        .collect();
    for rule in [
        json!({"dropRate": 1}),
        json!({"failureRate": 1, "statuses": [503], "retryAfterSeconds": 0}),
        json!({"truncateRate": 1}),
    ] {
        f.emulator.state().log().clear();
        let mut rule = rule;
        rule["path"] = json!("/v1.0/$batch");
        rule["count"] = json!(1);
        faults(&f, json!({"rules": [rule]}));
        let results = run(
            &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
            &inputs,
        );
        assert!(
            results.iter().all(|(_, o)| o.is_ok()),
            "{rule}: {:?}",
            results.iter().find(|(_, o)| o.is_err())
        );
        let log = entries(&f);
        let first = log.iter().find(|e| is_batch(e)).unwrap();
        assert!(first.fault.is_some(), "{rule}: {first:?}");
        // Every call was served once, unless the first batch had been served before its answer was cut.
        let served: Vec<&Entry> = log
            .iter()
            .filter(|e| e.batch.is_some() && e.status == Some(200))
            .collect();
        let repeats = if rule.get("truncateRate").is_some() {
            first_batch_size(&log)
        } else {
            0
        };
        assert_eq!(served.len(), 30 + repeats, "{rule}");
        for (path, tries) in attempts_by_path(&log) {
            assert!(
                tries.len() <= 2,
                "{rule}: {path} sent {} times",
                tries.len()
            );
        }
    }

    // A 400 for the batch itself is not retried: each of its calls reports it.
    f.emulator.state().log().clear();
    faults(
        &f,
        json!({"rules": [{"path": "/v1.0/$batch", "failureRate": 1, "statuses": [400]}]}),
    );
    let results = run(
        &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
        &inputs[..5],
    );
    for (_, outcome) in &results {
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(
            (e.kind, e.graph.as_ref().unwrap().status),
            (ErrorKind::Graph, 400)
        );
        assert!(e.message.starts_with("[BadRequest] : "), "{}", e.message);
    }
    let log = entries(&f);
    assert!(
        log.iter().all(is_batch),
        "the calls were never sent on their own: {log:?}"
    );
    assert!(log.len() <= 5);
}

fn first_batch_size(log: &[Entry]) -> usize {
    let first = log.iter().find(|e| is_batch(e)).unwrap();
    log.iter()
        .filter(|e| {
            e.batch
                .as_ref()
                .is_some_and(|b| b.request_id == first.request_id)
        })
        .count()
}

#[test]
fn api_versions_are_never_mixed_in_a_batch() {
    let (f, users) = generated(40, 6);
    faults(
        &f,
        json!({"rules": [{"path": "/*/$batch", "latencyMs": 50}]}),
    );
    let inputs: Vec<RequestSpec> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            spec(
                if i % 3 == 0 {
                    "betaReprocessLicenseAssignment"
                } else {
                    "reprocessLicenseAssignment"
                },
                u,
                json!({}),
            )
        })
        .collect();
    let results = run(
        &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
        &inputs,
    );
    for (i, (_, outcome)) in results.iter().enumerate() {
        let version = if i % 3 == 0 { "beta" } else { "v1.0" };
        assert_eq!(
            outcome.as_ref().unwrap().url,
            format!(
                "{}{}",
                f.emulator.base_url(),
                reprocess_path(version, &users[i])
            )
        );
    }
    let log = entries(&f);
    let inner = inner_by_batch(&log);
    let outer: Vec<&Entry> = log.iter().filter(|e| is_batch(e)).collect();
    assert!(
        outer.iter().any(|o| o.path == "/beta/$batch")
            && outer.iter().any(|o| o.path == "/v1.0/$batch")
    );
    for o in outer {
        let version = o.path.split('/').nth(1).unwrap();
        for e in &inner[&o.request_id] {
            assert!(
                e.path.starts_with(&format!("/{version}/users/")),
                "{} in {}",
                e.path,
                o.path
            );
        }
    }
}

#[test]
fn with_wait_the_writes_are_batched_and_the_reads_are_single_calls() {
    let f = fixture();
    let users = [
        "AdeleV@contoso.com",
        "$adm@contoso.com",
        "zoe.angstrom@contoso.com",
    ];
    let inputs: Vec<RequestSpec> = users
        .iter()
        .map(|u| {
            spec(
                "reprocessLicenseAssignment",
                u,
                json!({"wait": {"timeoutSeconds": 1}}),
            )
        })
        .collect();
    let results = run(
        &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
        &inputs,
    );
    for ((_, outcome), user) in results.iter().zip(users) {
        let response = outcome.as_ref().unwrap();
        assert!(response.wait.is_some(), "{response:?}");
        assert_eq!(response.body_value().unwrap()["userPrincipalName"], user);
    }
    let log = entries(&f);
    assert!(
        log.iter()
            .filter(|e| e.method == "GET")
            .all(|e| e.batch.is_none()),
        "reads went in a batch"
    );
    assert!(log.iter().any(|e| e.method == "GET"));
    assert!(log
        .iter()
        .filter(|e| e.path.contains("reprocessLicenseAssignment"))
        .all(|e| e.batch.is_some()));
}

#[test]
fn cancel_stops_a_run_whose_batches_are_in_flight() {
    let (f, users) = generated(200, 7);
    faults(
        &f,
        json!({"rules": [{"path": "/v1.0/$batch", "latencyMs": 3000}]}),
    );
    let bulk = Bulk::new(f.client.clone(), options(20, 2)).unwrap();
    for u in &users {
        bulk.submit(&spec("reprocessLicenseAssignment", u, json!({})))
            .unwrap();
    }
    // Cancel once a batch has reached the service and is being answered.
    while !entries(&f).iter().any(is_batch) {
        std::thread::sleep(Duration::from_millis(20));
    }
    bulk.cancel();
    assert!(matches!(
        bulk.next(Some(Duration::from_secs(1))),
        Next::Cancelled
    ));
    assert!(matches!(
        bulk.submit(&spec("reprocessLicenseAssignment", &users[0], json!({}))),
        Err(Refused::Closed)
    ));
    std::thread::sleep(Duration::from_millis(200));
    let sent = entries(&f).len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        entries(&f).len(),
        sent,
        "requests kept going out after cancel"
    );
    assert!(
        entries(&f).iter().filter(|e| is_batch(e)).count() <= 2,
        "more batches than slots went out"
    );
}

#[test]
fn batch_sizes_outside_one_to_twenty_are_refused() {
    let f = fixture();
    for bad in [0, 21, 1000] {
        let e = Bulk::new(
            f.client.clone(),
            BulkOptions {
                batch_size: Some(bad),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(
            e.message
                .starts_with(&format!("BatchSize is {bad}; it must be between 1 and 20")),
            "{}",
            e.message
        );
    }
    for good in [1, 2, 20] {
        assert!(Bulk::new(
            f.client.clone(),
            BulkOptions {
                batch_size: Some(good),
                ..Default::default()
            }
        )
        .is_ok());
    }
    // Read from the front end's JSON as `batchSize`.
    let options: BulkOptions =
        serde_json::from_value(json!({"batchSize": 20, "throttleLimit": 4})).unwrap();
    assert_eq!(options.batch_size, Some(20));
}

#[test]
fn traces_and_errors_of_batched_calls_never_show_the_token() {
    let f = fixture();
    let access_token = token(&f.emulator, &["User.ReadWrite.All"], 3600);
    f.client
        .connect(ConnectRequest {
            access_token: access_token.clone().into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    let traced = json!({"debug": true, "verbose": true});
    let inputs = vec![
        spec(
            "reprocessLicenseAssignment",
            "AdeleV@contoso.com",
            traced.clone(),
        ),
        spec("reprocessLicenseAssignment", "nobody@contoso.com", traced),
    ];
    let results = run(
        &Bulk::new(f.client.clone(), options(20, 1)).unwrap(),
        &inputs,
    );
    let ok = results[0].1.as_ref().unwrap();
    let text = |lines: &[mglicense::trace::LogLine]| {
        lines
            .iter()
            .map(|l| l.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let shown = text(&ok.log);
    assert!(shown.contains("in a $batch of"), "{shown}");
    assert!(
        shown.contains("HTTP REQUEST") && shown.contains("HTTP RESPONSE"),
        "{shown}"
    );
    assert!(
        shown.contains("/v1.0/users/AdeleV@contoso.com/reprocessLicenseAssignment"),
        "{shown}"
    );
    let err = results[1].1.as_ref().unwrap_err();
    for json in [serde_json::to_string(ok).unwrap(), err.to_json()] {
        assert!(!json.contains(&access_token), "the token was in {json}");
    }
}

#[test]
fn a_spent_write_budget_is_waited_out_per_call() {
    let (f, users) = generated(150, 8);
    quick_retries(&f, 10);
    let throttling: ThrottleConfig = serde_json::from_value(
        json!({"enabled": true, "scale": 0.01, "limits": {"appTenantWrites": 40}}),
    )
    .unwrap();
    f.emulator.state().throttle().configure(throttling);
    let inputs: Vec<RequestSpec> = users
        .iter()
        .take(150)
        .map(|u| spec("reprocessLicenseAssignment", u, json!({})))
        .collect();
    let results = run(
        &Bulk::new(f.client.clone(), options(20, 2)).unwrap(),
        &inputs,
    );
    assert!(
        results.iter().all(|(_, o)| o.is_ok()),
        "{:?}",
        results.iter().find(|(_, o)| o.is_err())
    );
    let log = entries(&f);
    assert!(
        log.iter().any(|e| e.throttled.is_some()),
        "the budget was never reached"
    );
    // The emulator refuses a retry that comes before its Retry-After with a penalty; none did.
    for (path, tries) in attempts_by_path(&log) {
        for pair in tries.windows(2) {
            assert_eq!(pair[0].status, Some(429), "{path}");
            assert!(
                gap(pair[0], pair[1]) + 2 >= 1000,
                "{path} came back {} ms after its 429",
                gap(pair[0], pair[1])
            );
        }
    }
}
