//! The writes that fix license errors, end to end against the emulator: what goes on the wire
//! (method, one percent-encoded segment per id, the JSON body), what comes back, Graph's errors,
//! and the reads that go with them (a user's licenseDetails, a group's members).

mod common;

use std::time::Duration;

use common::{fixture, token, Fixture};
use mglicense::client::ConnectRequest;
use mglicense::read::NextPage;
use mglicense::{ErrorKind, ReadSpec, RequestSpec};
use serde_json::{json, Value};

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI_GROUP: &str = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";
const LEE_ID: &str = "b3c2a1d0-9e8f-4a7b-8c6d-5e4f3a2b1c0d";

fn request(v: Value) -> RequestSpec {
    serde_json::from_value(v).expect("a request document")
}

fn with_permissions(f: &Fixture, permissions: &[&str]) {
    f.client
        .connect(ConnectRequest {
            access_token: token(&f.emulator, permissions, 3600).into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
}

fn last_request(f: &Fixture) -> (String, String) {
    let entry = f.emulator.state().log().entries().last().unwrap().clone();
    (entry.method.clone(), entry.path.clone())
}

fn states(f: &Fixture, user: &str) -> Vec<String> {
    let tenant = f.emulator.state().tenant();
    tenant
        .find(user)
        .unwrap()
        .license_states()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["state"].as_str().unwrap(),
                s["error"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn update_user_patches_and_the_reprocess_after_it_clears_the_error() {
    let f = fixture();
    assert_eq!(
        states(&f, "AlexW@contoso.com"),
        ["Error/ProhibitedInUsageLocationViolation"]
    );
    let response = f
        .client
        .execute(&request(json!({"operation": "updateUser", "identity": "AlexW@contoso.com", "properties": {"usageLocation": "US"}})))
        .unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(response.method, "PATCH");
    assert!(response.body_value().is_none());
    assert_eq!(
        last_request(&f),
        ("PATCH".into(), "/v1.0/users/AlexW@contoso.com".into())
    );
    assert_eq!(
        states(&f, "AlexW@contoso.com"),
        ["Error/ProhibitedInUsageLocationViolation"]
    );
    f.client
        .execute(&common::reprocess("AlexW@contoso.com"))
        .unwrap();
    assert_eq!(states(&f, "AlexW@contoso.com"), ["Active/None"]);
}

#[test]
fn graph_refusals_come_back_as_graph_errors() {
    let f = fixture();
    let e = f
        .client
        .execute(&request(json!({"operation": "updateUser", "identity": "AlexW@contoso.com", "properties": {"usageLocation": "USA"}})))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Graph);
    let graph = e.graph.as_ref().unwrap();
    assert_eq!(
        (graph.status, graph.code.as_str()),
        (400, "Request_BadRequest")
    );
    assert!(e.message.contains("usageLocation"), "{}", e.message);

    let unknown = "11111111-2222-4333-8444-555555555555";
    let e = f
        .client
        .execute(&request(json!({"operation": "assignLicense", "identity": "zoe.angstrom@contoso.com", "addLicenses": [{"skuId": unknown}]})))
        .unwrap_err();
    assert!(
        e.message
            .contains("does not correspond to a valid company License"),
        "{}",
        e.message
    );
}

#[test]
fn assign_license_sends_both_lists_and_answers_the_user() {
    let f = fixture();
    let response = f
        .client
        .execute(&request(json!({"operation": "assignLicense", "identity": {"UserId": "zoe.angstrom@contoso.com"}, "addLicenses": [{"skuId": E3}]})))
        .unwrap();
    assert_eq!(response.status, 200);
    let user = response.body_value().unwrap();
    assert_eq!(user["assignedLicenses"][0]["skuId"], E3);
    assert_eq!(states(&f, "zoe.angstrom@contoso.com"), ["Active/None"]);

    let pager = f
        .client
        .start_read(
            &serde_json::from_value::<ReadSpec>(
                json!({"resource": "userLicenseDetails", "identity": "zoe.angstrom@contoso.com"}),
            )
            .unwrap(),
        )
        .unwrap();
    let NextPage::Page(Ok(page)) = pager.next(Some(Duration::from_secs(20))) else {
        panic!("a page")
    };
    assert_eq!(page.values()[0]["skuPartNumber"], "SPE_E3");
}

#[test]
fn group_members_are_read_removed_and_added_by_reference() {
    let f = fixture();
    with_permissions(&f, &["GroupMember.ReadWrite.All", "User.ReadWrite.All"]);
    let read = |v: Value| {
        let pager = f
            .client
            .start_read(&serde_json::from_value::<ReadSpec>(v).unwrap())
            .unwrap();
        let mut items = Vec::new();
        loop {
            match pager.next(Some(Duration::from_secs(20))) {
                NextPage::Page(Ok(page)) => items.extend(page.items),
                NextPage::Done => return items,
                other => panic!("{other:?}"),
            }
        }
    };
    assert_eq!(
        read(json!({"resource": "groupMembers", "groupId": PBI_GROUP, "pageSize": 1, "all": true}))
            .len(),
        3
    );

    let response = f
        .client
        .execute(&request(json!({"operation": "removeGroupMember", "groupId": PBI_GROUP, "directoryObjectId": LEE_ID})))
        .unwrap();
    assert_eq!((response.status, response.method.as_str()), (204, "DELETE"));
    assert_eq!(
        last_request(&f),
        (
            "DELETE".into(),
            format!("/v1.0/groups/{PBI_GROUP}/members/{LEE_ID}/$ref")
        )
    );
    assert_eq!(
        states(&f, LEE_ID),
        ["Active/None"],
        "leaving the group took its license and its error away"
    );
    assert_eq!(
        read(json!({"resource": "groupMembers", "groupId": PBI_GROUP})).len(),
        2
    );

    let response = f
        .client
        .execute(&request(json!({"operation": "addGroupMember", "groupId": PBI_GROUP, "directoryObjectId": LEE_ID})))
        .unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(
        read(json!({"resource": "groupMembers", "groupId": PBI_GROUP})).len(),
        3
    );

    // An id that would leave its segment stays in it: Graph finds no such object.
    let e = f
        .client
        .execute(&request(json!({"operation": "removeGroupMember", "groupId": PBI_GROUP, "directoryObjectId": "../../users/x"})))
        .unwrap_err();
    assert_eq!(e.graph.as_ref().map(|g| g.status), Some(404));
    assert_eq!(
        last_request(&f).1,
        format!("/v1.0/groups/{PBI_GROUP}/members/..%2F..%2Fusers%2Fx/$ref")
    );
}
