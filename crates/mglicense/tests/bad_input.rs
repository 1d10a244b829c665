//! tests/data/bad-input.json against the engine and the emulator: each hostile user id or
//! header is either sent to exactly the intended path or refused by name with nothing sent.

mod common;

use common::*;
use mglicense::{ErrorKind, RequestSpec};
use serde_json::{json, Value};

fn corpus() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/bad-input.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A field's value, expanding `{"repeat": s, "count": n}`.
fn text(case: &Value, field: &str) -> String {
    match case.get(field) {
        Some(Value::String(s)) => s.clone(),
        _ => case["repeat"]
            .as_str()
            .unwrap()
            .repeat(case["count"].as_u64().unwrap() as usize),
    }
}

/// Sends `identity` for one corpus case and checks it reached exactly the case's path (and, when
/// given, the user with that UPN), or was refused with the case's text and nothing was sent.
fn check(f: &Fixture, case: &Value, identity: Value, upn: Option<&str>) {
    f.emulator.state().log().clear();
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": identity}),
    )
    .unwrap();
    let outcome = f.client.execute(&spec);
    let paths: Vec<String> = f
        .emulator
        .state()
        .log()
        .entries()
        .map(|e| e.path.clone())
        .collect();
    if let Some(expected) = case.get("refused").and_then(Value::as_str) {
        let e = outcome.expect_err(&format!("{case}: expected a refusal"));
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{case}");
        assert!(e.message.contains(expected), "{case}: {}", e.message);
        assert!(paths.is_empty(), "{case}: sent {paths:?}");
    } else {
        assert_eq!(paths, [case["path"].as_str().unwrap()], "{case}");
        match outcome {
            Ok(r) => {
                assert!(
                    case["exists"].as_bool().unwrap_or(false),
                    "{case}: found a user"
                );
                let body = r.body_value().unwrap();
                assert!(body["id"].is_string(), "{case}");
                if let Some(upn) = upn {
                    assert_eq!(body["userPrincipalName"], upn, "{case}");
                }
            }
            Err(e) => {
                assert!(
                    !case["exists"].as_bool().unwrap_or(false),
                    "{case}: {}",
                    e.message
                );
                assert_eq!(
                    e.graph.as_ref().map(|g| g.status),
                    Some(404),
                    "{case}: {}",
                    e.message
                );
            }
        }
    }
}

#[test]
fn hostile_user_ids_reach_exactly_their_path_or_nothing() {
    let f = fixture();
    let cases = corpus()["userIds"].as_array().unwrap().clone();
    assert!(cases.len() >= 25);
    for case in cases {
        let id = text(&case, "id");
        check(&f, &case, json!({ "UserId": id }), Some(&id));
    }
}

#[test]
fn identity_objects_name_exactly_their_user_or_are_refused() {
    let f = fixture();
    let cases = corpus()["identities"].as_array().unwrap().clone();
    assert!(cases.len() >= 20);
    for case in cases {
        check(&f, &case, case["identity"].clone(), None);
    }
}

#[test]
fn hostile_headers_are_sent_verbatim_or_refused_by_name() {
    let f = fixture();
    for case in corpus()["headers"].as_array().unwrap().clone() {
        let (name, value) = (
            case["name"].as_str().unwrap().to_string(),
            text(&case, "value"),
        );
        f.emulator.state().log().clear();
        let spec: RequestSpec = serde_json::from_value(json!({
            "operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com", "headers": { name.clone(): value.clone() }
        }))
        .unwrap();
        let outcome = f.client.execute(&spec);
        let entries: Vec<_> = f.emulator.state().log().entries().cloned().collect();
        if let Some(expected) = case.get("refused").and_then(Value::as_str) {
            let e = outcome.expect_err(&format!("{case}: expected a refusal"));
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{case}");
            assert!(e.message.contains(expected), "{case}: {}", e.message);
            assert!(entries.is_empty(), "{case}: something was sent");
        } else {
            outcome.unwrap_or_else(|e| panic!("{case}: {}", e.message));
            assert_eq!(entries.len(), 1);
            assert_eq!(
                entries[0].headers.get(&name.to_ascii_lowercase()),
                Some(&value),
                "{case}"
            );
        }
    }
}
