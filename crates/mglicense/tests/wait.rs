//! -Wait end to end against the emulator processing asynchronously: a fixed user is followed
//! until its states are newer than the call; a user still in error gets a warning that names the
//! SKU, the group, the error and the fix; waits in a bulk run overlap and hold no write slot.

mod common;

use std::time::Duration;

use common::{fixture, Fixture};
use graph_emulator::tenant::ProcessingConfig;
use mglicense::bulk::{Bulk, BulkOptions, Next};
use mglicense::client::ConnectRequest;
use mglicense::RequestSpec;
use serde_json::{json, Map, Value};

const ALEX: &str = "AlexW@contoso.com"; // no usage location: ProhibitedInUsageLocationViolation
const MEGAN: &str = "MeganB@contoso.com"; // Power BI Pro has one seat: CountViolation

fn with_delay(ms: u64) -> Fixture {
    let f = fixture();
    f.emulator
        .state()
        .tenant()
        .set_processing(ProcessingConfig { delay_ms: ms })
        .unwrap();
    // Reading SKU and group names needs more than the reprocess permission.
    let access_token = common::token(
        &f.emulator,
        &["User.ReadWrite.All", "Directory.Read.All"],
        3600,
    );
    f.client
        .connect(ConnectRequest {
            access_token: access_token.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    f
}

fn waiting(user: &str, timeout: u64) -> RequestSpec {
    serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment",
        "identity": {"UserId": user},
        "wait": {"timeoutSeconds": timeout},
    }))
    .unwrap()
}

fn set_usage_location(f: &Fixture, user: &str, location: &str) {
    let mut changes = Map::new();
    changes.insert("usageLocation".into(), Value::from(location));
    f.emulator
        .state()
        .tenant()
        .patch_user(user, changes)
        .unwrap();
}

#[test]
fn a_fixed_user_is_followed_until_processed_and_written_with_its_new_states() {
    let f = with_delay(1_200);
    set_usage_location(&f, ALEX, "US");
    let response = f.client.execute(&waiting(ALEX, 30)).unwrap();
    let wait = response.wait.as_ref().expect("a wait outcome");
    assert!(wait.complete, "{wait:?}");
    assert!(
        wait.polls >= 2,
        "the states changed only after the delay, so the first poll saw the old ones: {wait:?}"
    );
    assert!(wait.warnings.is_empty(), "{:?}", wait.warnings);
    let body = response.body_value().unwrap();
    assert_eq!(
        body["userPrincipalName"], ALEX,
        "the call's own answer is kept"
    );
    assert_eq!(body["licenseAssignmentStates"][0]["state"], "Active");
    assert_eq!(body["licenseAssignmentStates"][0]["error"], "None");
}

#[test]
fn a_user_still_in_error_is_named_with_the_sku_the_group_and_the_fix() {
    let f = with_delay(200);
    let response = f.client.execute(&waiting(MEGAN, 3)).unwrap();
    let wait = response.wait.unwrap();
    // Nothing changed, so the state keeps its timestamp and the wait runs to its timeout.
    assert!(!wait.complete);
    assert!(
        wait.warnings
            .iter()
            .any(|w| w.contains("were not all processed within 3 s")),
        "{:?}",
        wait.warnings
    );
    let error = wait
        .warnings
        .iter()
        .find(|w| w.contains("CountViolation"))
        .expect("a warning for the license in error");
    assert!(
        error.contains("POWER_BI_PRO (f8a1db68-be16-40ed-86d5-cb42ce701560)"),
        "{error}"
    );
    assert!(
        error.contains("from group 'Power BI Pro' (c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f)"),
        "{error}"
    );
    assert!(error.contains("free seats or buy more"), "{error}");
    assert!(error.contains(MEGAN), "{error}");
}

#[test]
fn without_wait_nothing_is_read_back() {
    let f = with_delay(0);
    let response = f.client.execute(&common::reprocess(ALEX)).unwrap();
    assert!(response.wait.is_none());
    let gets = f
        .emulator
        .state()
        .log()
        .entries()
        .filter(|e| e.method == "GET")
        .count();
    assert_eq!(gets, 0);
}

#[test]
fn an_unusable_timeout_is_refused_before_sending() {
    let f = with_delay(0);
    let e = f.client.execute(&waiting(ALEX, 100_000)).unwrap_err();
    assert!(e.message.contains("TimeoutSec"), "{}", e.message);
    assert_eq!(f.emulator.state().log().entries().count(), 0);
}

#[test]
fn waits_in_a_bulk_run_overlap_and_hold_no_write_slot() {
    let f = with_delay(1_500);
    for u in [
        "AdeleV@contoso.com",
        ALEX,
        MEGAN,
        "LeeG@contoso.com",
        "zoe.angstrom@contoso.com",
        "$adm@contoso.com",
    ] {
        set_usage_location(&f, u, "US");
    }
    // Users that end without errors once processed (Alex's cause is fixed above).
    let users = [
        "AdeleV@contoso.com",
        ALEX,
        "zoe.angstrom@contoso.com",
        "$adm@contoso.com",
        "patrick.o'brien@contoso.com",
    ];
    // One write at a time: if a wait held the write slot, each write would follow the previous user's wait.
    let bulk = Bulk::new(
        f.client.clone(),
        BulkOptions {
            throttle_limit: Some(1),
            max_outstanding: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    for u in users {
        bulk.submit(&waiting(u, 30)).unwrap();
    }
    bulk.finish_input();
    let mut seen = Vec::new();
    loop {
        match bulk.next(Some(Duration::from_secs(60))) {
            Next::Item(i, outcome) => {
                let response = outcome.unwrap();
                assert!(
                    response.wait.as_ref().unwrap().complete,
                    "{:?}",
                    response.wait
                );
                seen.push(i);
            }
            Next::Done => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        seen,
        (0..users.len() as u64).collect::<Vec<_>>(),
        "results in input order"
    );
    let methods: Vec<String> = f
        .emulator
        .state()
        .log()
        .entries()
        .map(|e| e.method.clone())
        .collect();
    assert_eq!(methods.iter().filter(|m| *m == "POST").count(), users.len());
    // All the writes went out, one at a time, before the first user was read back: no write waited for a wait.
    let last_write = methods.iter().rposition(|m| m == "POST").unwrap();
    let first_read = methods.iter().position(|m| m == "GET").unwrap();
    assert!(last_write < first_read, "{methods:?}");
}

fn sku_lookups(f: &Fixture) -> usize {
    f.emulator
        .state()
        .log()
        .entries()
        .filter(|e| e.method == "GET" && e.path.ends_with("/subscribedSkus"))
        .count()
}

fn fail_sku_lookups(f: &Fixture, status: u16) {
    let profile = serde_json::from_value(json!({"rules": [{
        "method": "GET", "path": "/v1.0/subscribedSkus", "failureRate": 1.0, "statuses": [status], "count": 1
    }]}))
    .unwrap();
    *f.emulator.state().faults() = graph_emulator::faults::Faults::new(profile, None);
}

fn sku_warning(f: &Fixture) -> String {
    let wait = f.client.execute(&waiting(MEGAN, 1)).unwrap().wait.unwrap();
    wait.warnings
        .into_iter()
        .find(|w| w.contains("CountViolation"))
        .expect("a warning for the license in error")
}

#[test]
fn a_sku_lookup_that_failed_for_a_passing_reason_is_tried_again_by_the_next_warning() {
    let f = with_delay(200);
    fail_sku_lookups(&f, 500);
    let first = sku_warning(&f);
    assert!(
        first.contains("f8a1db68-be16-40ed-86d5-cb42ce701560") && !first.contains("POWER_BI_PRO"),
        "{first}"
    );
    let second = sku_warning(&f);
    assert!(
        second.contains("POWER_BI_PRO (f8a1db68-be16-40ed-86d5-cb42ce701560)"),
        "{second}"
    );
    assert_eq!(sku_lookups(&f), 2);
    // Known now: the next warning asks nothing more.
    sku_warning(&f);
    assert_eq!(sku_lookups(&f), 2);
}

#[test]
fn a_sku_lookup_refused_for_want_of_permission_is_not_asked_again() {
    let f = with_delay(200);
    fail_sku_lookups(&f, 403);
    let first = sku_warning(&f);
    assert!(
        first.contains("f8a1db68-be16-40ed-86d5-cb42ce701560") && !first.contains("POWER_BI_PRO"),
        "{first}"
    );
    sku_warning(&f);
    assert_eq!(sku_lookups(&f), 1, "the refusal holds for the connection");
}
