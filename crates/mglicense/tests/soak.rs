//! Soak: thousands of inputs through a bulk run while the emulator injects faults and
//! throttles. Bounded in count and time; every input must be answered exactly once, in order,
//! and no retry may come before the Retry-After the service asked for.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use graph_emulator::faults::{FaultProfile, Faults};
use graph_emulator::throttle::ThrottleConfig;
use mglicense::bulk::{Bulk, BulkOptions, Next, Refused};
use mglicense::retry::RequestContextUpdate;
use mglicense::{ErrorKind, RequestSpec};
use serde_json::json;

const ITEMS: usize = 5_000;

#[test]
fn five_thousand_items_under_faults_are_each_answered_exactly_once() {
    // One user per input, so each input's attempts can be told apart in the request log.
    let tenant = graph_emulator::generate::tenant(ITEMS, 1);
    let f = fixture_with(graph_emulator::Tenant::from_seed_json(&tenant.to_string()).unwrap());
    let users: Vec<String> = f
        .emulator
        .state()
        .tenant()
        .users()
        .map(|u| u.id().to_string())
        .collect();
    let profile: FaultProfile = serde_json::from_value(json!({"rules": [{
        "method": "POST", "path": "/**",
        "failureRate": 0.15, "statuses": [429, 503, 504],
        "dropRate": 0.05,
        "retryAfterSeconds": 0.05, "retryAfterFormat": "fraction"
    }]}))
    .unwrap();
    *f.emulator.state().faults() = Faults::new(profile, Some(7));
    // A write budget the run exceeds, so the service's own 429s (with their penalty for early
    // retries) come on top of the injected ones. 120 writes per 1.5 s refill at 80/s, well under
    // the ~100/s this run reaches; at 150 (100/s) a run could end without meeting it.
    let throttling: ThrottleConfig = serde_json::from_value(
        json!({"enabled": true, "scale": 0.01, "limits": {"appTenantWrites": 120}}),
    )
    .unwrap();
    f.emulator.state().throttle().configure(throttling);
    f.client
        .set_request_context(RequestContextUpdate {
            max_retry: Some(10),
            retry_delay_seconds: Some(0),
            ..Default::default()
        })
        .unwrap();

    let bulk = Bulk::new(
        f.client.clone(),
        BulkOptions {
            throttle_limit: Some(16),
            max_outstanding: Some(64),
            ..Default::default()
        },
    )
    .unwrap();
    let spec = |i: usize| -> RequestSpec {
        serde_json::from_value(
            json!({"operation": "reprocessLicenseAssignment", "identity": users[i % users.len()]}),
        )
        .unwrap()
    };
    let mut handed = Vec::with_capacity(ITEMS);
    let take = |next: Next, handed: &mut Vec<(u64, Result<(), ErrorKind>)>| match next {
        Next::Item(i, o) => handed.push((i, o.map(|_| ()).map_err(|e| e.kind))),
        other => panic!("unexpected {other:?}"),
    };
    for i in 0..ITEMS {
        loop {
            match bulk.submit(&spec(i)) {
                Ok(index) => {
                    assert_eq!(index, i as u64);
                    break;
                }
                Err(Refused::Busy) => take(bulk.next(Some(Duration::from_secs(60))), &mut handed),
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    bulk.finish_input();
    loop {
        match bulk.next(Some(Duration::from_secs(60))) {
            Next::Done => break,
            next => take(next, &mut handed),
        }
    }

    // Every input answered exactly once, in input order.
    assert_eq!(handed.len(), ITEMS);
    assert!(handed.iter().enumerate().all(|(n, (i, _))| *i == n as u64));

    let log = f.emulator.state().log();
    let entries: Vec<_> = log.entries().cloned().collect();
    drop(log);
    // Successes the client saw are exactly the calls the service served: none lost, none twice.
    let ok = handed.iter().filter(|(_, o)| o.is_ok()).count();
    let served = entries.iter().filter(|e| e.status == Some(200)).count();
    assert_eq!(ok, served, "successes seen {ok}, served {served}");
    // Failures are only the dropped connections (never retried: the answer is unknown) and
    // calls that ran out of retries; nothing else.
    let mut failures: HashMap<ErrorKind, usize> = HashMap::new();
    for (_, o) in &handed {
        if let Err(kind) = o {
            *failures.entry(*kind).or_default() += 1;
        }
    }
    assert!(
        failures
            .keys()
            .all(|k| matches!(k, ErrorKind::Transport | ErrorKind::Graph)),
        "{failures:?}"
    );
    assert!(
        ok > ITEMS * 8 / 10,
        "only {ok} of {ITEMS} succeeded: {failures:?}"
    );
    // No input was tried again before the Retry-After it was given: 1 s at least for the
    // service's own 429s (whole seconds), 50 ms for the injected 429s and 503s.
    let mut attempts: HashMap<&str, Vec<&graph_emulator::log::Entry>> = HashMap::new();
    for e in &entries {
        attempts.entry(e.path.as_str()).or_default().push(e);
    }
    let millis = |e: &graph_emulator::log::Entry| -> i64 {
        // 2026-11-28T22:40:01.123Z: hours, minutes, seconds and milliseconds are enough within a run.
        let t = &e.time[11..23];
        let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
        ((n(0, 2) * 60 + n(3, 5)) * 60 + n(6, 8)) * 1000 + n(9, 12)
    };
    let mut early = 0;
    for list in attempts.values() {
        for pair in list.windows(2) {
            // A run that crosses midnight wraps the time of day.
            let gap = (millis(pair[1]) - millis(pair[0])).rem_euclid(86_400_000);
            let asked = match (pair[0].status, &pair[0].throttled) {
                (Some(429), Some(_)) => 1000,
                (Some(429 | 503), None) => 50,
                _ => 0,
            };
            // Log times are taken when each request arrives; allow for scheduling of a few ms.
            if gap + 5 < asked {
                early += 1;
            }
        }
    }
    assert_eq!(early, 0, "{early} retries came before their Retry-After");
    // And it did push back, so the run proves something.
    assert!(
        entries.iter().any(|e| e.throttled.is_some()),
        "the budget was never reached"
    );
    assert!(
        entries.iter().any(|e| e.fault.is_some()),
        "no fault was injected"
    );
}
