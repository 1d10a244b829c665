//! The engine against the local Graph emulator: what goes on the wire and what comes back.

mod common;

use common::*;
use mglicense::client::ConnectRequest;
use mglicense::{ErrorKind, RequestSpec};
use serde_json::{json, Value};

#[test]
fn reprocesses_a_user_and_reads_the_user_object() {
    let f = fixture();
    let r = f.client.execute(&reprocess("AdeleV@contoso.com")).unwrap();
    assert_eq!(r.status, 200);
    let body = r.body_value().unwrap();
    assert_eq!(body["id"], "047dd774-f1c4-40f2-82f0-278de79f9b83");
    assert!(r.headers.contains_key("request-id"));
    assert_eq!(
        logged_paths(&f),
        ["/v1.0/users/AdeleV@contoso.com/reprocessLicenseAssignment"]
    );
    let entry = f.emulator.state().log().entries().next().unwrap().clone();
    assert_eq!(
        entry.headers.get("authorization").map(String::as_str),
        Some("Bearer <redacted>")
    );
    assert!(entry.headers.contains_key("client-request-id"));
    assert!(entry.headers["user-agent"].starts_with("MgLicense/"));
}

#[test]
fn awkward_user_ids_reach_exactly_their_user() {
    let f = fixture();
    for (upn, path) in [
        ("$adm@contoso.com", "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment"),
        (
            "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "/v1.0/users/alice_fabrikam.com%23EXT%23@contoso.onmicrosoft.com/reprocessLicenseAssignment",
        ),
        ("patrick.o'brien@contoso.com", "/v1.0/users/patrick.o%27brien@contoso.com/reprocessLicenseAssignment"),
    ] {
        f.emulator.state().log().clear();
        let r = f.client.execute(&reprocess(upn)).unwrap_or_else(|e| panic!("{upn}: {e}"));
        assert_eq!(r.body_value().unwrap()["userPrincipalName"], upn);
        assert_eq!(logged_paths(&f), [path]);
    }
}

#[test]
fn ids_that_would_leave_their_segment_stay_in_it() {
    let f = fixture();
    for (id, path) in [
        (
            "../../me",
            "/v1.0/users/..%2F..%2Fme/reprocessLicenseAssignment",
        ),
        (
            "x?$select=id",
            "/v1.0/users/x%3F$select%3Did/reprocessLicenseAssignment",
        ),
        ("a b#c", "/v1.0/users/a%20b%23c/reprocessLicenseAssignment"),
    ] {
        f.emulator.state().log().clear();
        let e = f.client.execute(&reprocess(id)).unwrap_err();
        let g = e.graph.as_ref().expect("a Graph error");
        assert_eq!(
            (g.status, g.code.as_str()),
            (404, "Request_ResourceNotFound"),
            "{id}"
        );
        assert!(
            e.message
                .contains(&format!("Resource '{id}' does not exist")),
            "{}",
            e.message
        );
        assert_eq!(logged_paths(&f), [path]);
    }
}

#[test]
fn graph_errors_carry_everything_graph_said() {
    let f = fixture();
    let e = f
        .client
        .execute(&reprocess("nobody@contoso.com"))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Graph);
    let g = e.graph.as_ref().unwrap();
    assert_eq!(g.reason, "Not Found");
    assert!(g.request_id.is_some() && g.client_request_id.is_some() && g.date.is_some());
    assert_eq!(
        g.request_id.as_deref(),
        g.headers["request-id"].first().map(String::as_str)
    );
    let detail: Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(detail["kind"], "graph");
    assert_eq!(detail["code"], "Request_ResourceNotFound");
    assert_eq!(detail["status"], 404);
}

#[test]
fn a_user_supplied_client_request_id_is_sent_and_echoed() {
    let f = fixture();
    let spec: RequestSpec = serde_json::from_value(json!({
        "operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com",
        "headers": {"client-request-id": "11111111-2222-3333-4444-555555555555", "x-ms-throttle-priority": "High"}
    }))
    .unwrap();
    let r = f.client.execute(&spec).unwrap();
    assert_eq!(
        r.headers["client-request-id"],
        ["11111111-2222-3333-4444-555555555555"]
    );
    let entry = f.emulator.state().log().entries().next().unwrap().clone();
    assert_eq!(entry.headers["x-ms-throttle-priority"], "High");
}

#[test]
fn permissions_and_tokens_are_graph_s_to_judge() {
    let f = fixture();
    let weak = token(&f.emulator, &["User.Read.All"], 3600);
    f.client
        .connect(ConnectRequest {
            access_token: weak.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    let e = f
        .client
        .execute(&reprocess("AdeleV@contoso.com"))
        .unwrap_err();
    assert_eq!(
        e.graph.as_ref().unwrap().code,
        "Authorization_RequestDenied"
    );
    assert_eq!(
        e.message,
        "[Authorization_RequestDenied] : Insufficient privileges to complete the operation."
    );

    let forged = ConnectRequest {
        access_token: "not-a-token-the-emulator-issued".into(),
        environment: Some("Emulator".into()),
    };
    f.client.connect(forged).unwrap();
    let e = f
        .client
        .execute(&reprocess("AdeleV@contoso.com"))
        .unwrap_err();
    assert_eq!(e.graph.as_ref().unwrap().status, 401);
    assert_eq!(e.graph.as_ref().unwrap().code, "InvalidAuthenticationToken");
}

#[test]
fn the_other_seed_calls_read_their_answers() {
    let f = fixture();
    let spec = |v: Value| -> RequestSpec { serde_json::from_value(v).unwrap() };
    let r = f
        .client
        .execute(&spec(json!({"operation": "betaReprocessCloudLicensingAssignments", "identity": "AdeleV@contoso.com"})))
        .unwrap();
    assert_eq!((r.status, r.body_value()), (200, None));
    let r = f
        .client
        .execute(&spec(json!({"operation": "betaReprocessLicenseAssignment2", "identity": "AdeleV@contoso.com"})))
        .unwrap();
    assert_eq!(
        r.body_value().unwrap()["userPrincipalName"],
        "AdeleV@contoso.com"
    );
    let r = f
        .client
        .execute(&spec(json!({"operation": "betaReprocessLicenseAssignment", "identity": {"Id": "AdeleV@contoso.com"}})))
        .unwrap();
    assert_eq!(
        r.body_value().unwrap()["id"],
        "047dd774-f1c4-40f2-82f0-278de79f9b83"
    );
    // Nothing in the engine looks inside a reprocess answer, so it is handed on as it came.
    assert!(r.body.is_none() && r.raw_body.is_some());
    let paths = logged_paths(&f);
    assert_eq!(
        paths[1],
        "/beta/users/AdeleV@contoso.com/reprocessLicenseAssignment2"
    );
    let ct = f
        .emulator
        .state()
        .log()
        .entries()
        .nth(1)
        .unwrap()
        .headers
        .get("content-type")
        .cloned();
    assert_eq!(ct.as_deref(), Some("application/json"));
}

#[test]
fn nothing_is_sent_for_bad_input_or_without_a_connection() {
    let f = fixture();
    assert!(f.client.execute(&reprocess("a\r\nb")).is_err());
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "u", "headers": {"Authorization": "Bearer stolen"}}),
    )
    .unwrap();
    assert!(f
        .client
        .execute(&spec)
        .unwrap_err()
        .message
        .contains("'Authorization'"));
    f.client.disconnect();
    let e = f
        .client
        .execute(&reprocess("AdeleV@contoso.com"))
        .unwrap_err();
    assert_eq!(
        e.message,
        "Authentication needed. Please call Connect-MgGraph."
    );
    assert!(logged_paths(&f).is_empty());
}

#[test]
fn an_expired_token_is_refused_before_anything_is_sent() {
    let f = fixture();
    let expired = token(&f.emulator, &["User.ReadWrite.All"], -60);
    let e = f
        .client
        .connect(ConnectRequest {
            access_token: expired.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed);
    assert!(logged_paths(&f).is_empty());
}

#[test]
fn cancelling_stops_a_request() {
    let f = fixture();
    let pending = f.client.start(&reprocess("AdeleV@contoso.com")).unwrap();
    pending.cancel();
    match pending.wait(None).unwrap() {
        Ok(r) => assert_eq!(r.status, 200), // the answer won the race
        Err(e) => assert_eq!(e.kind, ErrorKind::Cancelled),
    }
}

#[test]
fn debug_and_verbose_describe_the_call_without_the_token() {
    let f = fixture();
    let token_value = token(&f.emulator, &["User.ReadWrite.All"], 3600);
    f.client
        .connect(ConnectRequest {
            access_token: token_value.clone().into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com", "debug": true, "verbose": true}),
    )
    .unwrap();
    let r = f.client.execute(&spec).unwrap();
    let levels: Vec<&str> = r.log.iter().map(|l| l.level).collect();
    assert_eq!(levels, ["verbose", "debug", "debug", "verbose"]);
    assert!(r.log[1]
        .message
        .starts_with("============================ HTTP REQUEST"));
    assert!(r.log[1]
        .message
        .contains("/v1.0/users/AdeleV@contoso.com/reprocessLicenseAssignment"));
    assert!(r.log[2].message.contains("Status Code:\nOK\n"));
    assert!(r.log[2]
        .message
        .contains("\"userPrincipalName\": \"AdeleV@contoso.com\""));
    assert!(r.log[3].message.contains(": 200 OK in "));
    let all: String = r.log.iter().map(|l| l.message.as_str()).collect();
    assert!(!all.contains(&token_value) && !all.to_ascii_lowercase().contains("authorization"));

    let quiet = f.client.execute(&reprocess("AdeleV@contoso.com")).unwrap();
    assert!(quiet.log.is_empty());

    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "nobody", "debug": true}),
    )
    .unwrap();
    let e = f.client.execute(&spec).unwrap_err();
    assert_eq!(e.log.len(), 2);
    assert!(e.log[1].message.contains("Status Code:\nNotFound\n"));
}

#[test]
fn a_waiting_request_reports_the_throttle_it_waits_out() {
    let f = fixture();
    let user = f
        .emulator
        .state()
        .tenant()
        .users()
        .next()
        .unwrap()
        .id()
        .to_string();
    // The first call is throttled with a 2 s Retry-After; the retry is served.
    let profile: graph_emulator::faults::FaultProfile = serde_json::from_value(json!({"rules": [{
        "method": "POST", "path": "/**", "failureRate": 1.0, "statuses": [429],
        "retryAfterSeconds": 2, "count": 1
    }]}))
    .unwrap();
    *f.emulator.state().faults() = graph_emulator::faults::Faults::new(profile, Some(1));

    let pending = f.client.start(&reprocess(&user)).unwrap();
    // No check of the progress right after the start: on a fast machine the 429 may already have
    // been read by then, so what it shows depends on timing, not on the engine.
    let mut waits = Vec::new();
    let outcome = loop {
        match pending.wait(Some(std::time::Duration::from_millis(100))) {
            Some(outcome) => break outcome,
            None => waits.extend(pending.progress().throttle_wait_seconds),
        }
    };
    assert_eq!(outcome.unwrap().status, 200);
    assert!(
        waits.iter().any(|&w| w > 0.0 && w <= 2.0),
        "no throttle wait was reported: {waits:?}"
    );
    let after = pending.progress();
    assert_eq!(after.retries, 1, "{after:?}");
    assert!(
        after.elapsed_seconds >= 2.0,
        "the retry came before its Retry-After: {after:?}"
    );
}
