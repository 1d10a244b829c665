//! The writes a license repair makes, as Graph answers them: PATCH a user, assignLicense, licenseDetails, a group's
//! members read, added and removed; and what each does to license states.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const SHAREPOINT: &str = "5dbe027f-2339-4123-9542-606e4d348a72";
const ALEX_UPN: &str = "AlexW@contoso.com";
const ADELE_ID: &str = "047dd774-f1c4-40f2-82f0-278de79f9b83";
const LEE_UPN: &str = "LeeG@contoso.com";
const ZOE_UPN: &str = "zoe.angstrom@contoso.com";
const E3_GROUP: &str = "a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10";
const PBI_GROUP: &str = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";

async fn write(h: &Harness, method: Method, path: &str, token: &str, body: Value) -> Reply {
    let authorization = format!("Bearer {token}");
    h.send(
        method,
        path,
        &[
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
    .await
}

fn states(user: &Value) -> Vec<(String, String)> {
    user["licenseAssignmentStates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["state"].as_str().unwrap_or_default().to_owned(),
                s["error"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_usage_location_set_clears_the_error_once_the_user_is_reprocessed() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = write(
        &h,
        Method::PATCH,
        &format!("/v1.0/users/{ALEX_UPN}"),
        &token,
        json!({"usageLocation": "us"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    assert!(reply.header("request-id").is_some_and(uuid_like));
    let view = h.user_view(ALEX_UPN).await;
    assert_eq!(view["user"]["usageLocation"], "US");
    // As in Entra, the state changes only when the user is processed again.
    assert_eq!(
        states(&view["user"]),
        [("Error".into(), "ProhibitedInUsageLocationViolation".into())]
    );
    let reprocessed = h
        .post(
            &format!("/v1.0/users/{ALEX_UPN}/reprocessLicenseAssignment"),
            &token,
        )
        .await;
    assert_eq!(reprocessed.status, StatusCode::OK);
    assert_eq!(
        states(&h.user_view(ALEX_UPN).await["user"]),
        [("Active".into(), "None".into())]
    );
}

#[tokio::test]
async fn a_patch_is_refused_as_graph_refuses_it_and_changes_nothing() {
    let h = start().await;
    let token = h.writer_token().await;
    let path = format!("/v1.0/users/{ALEX_UPN}");
    let cases = [
        (
            json!({"usageLocation": "USA"}),
            "Invalid value specified for property 'usageLocation' of resource 'User'.",
        ),
        (
            json!({"usageLocation": 5}),
            "Invalid value specified for property 'usageLocation' of resource 'User'.",
        ),
        (
            json!({"favouriteColour": "red"}),
            "Property 'favouriteColour' does not exist as a declared property or extension property.",
        ),
        (
            json!({"directLicenses": []}),
            "Property 'directLicenses' does not exist as a declared property or extension property.",
        ),
        (
            json!({"proxyAddresses": ["SMTP:a@contoso.com"]}),
            "Property 'proxyAddresses' is read-only and cannot be set.",
        ),
    ];
    for (body, message) in cases {
        let reply = write(&h, Method::PATCH, &path, &token, body.clone()).await;
        assert_graph_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            message,
        );
    }
    assert!(h.user_view(ALEX_UPN).await["user"]["usageLocation"].is_null());

    let reply = write(
        &h,
        Method::PATCH,
        "/v1.0/users/nobody@contoso.com",
        &token,
        json!({"usageLocation": "US"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reader = h.reader_token().await;
    let reply = write(
        &h,
        Method::PATCH,
        &path,
        &reader,
        json!({"usageLocation": "US"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let authorization = format!("Bearer {token}");
    let reply = h
        .send(
            Method::PATCH,
            &path,
            &[("authorization", authorization.as_str())],
            "{\"usageLocation\":\"US\"}",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "no Content-Type");
    assert!(h.user_view(ALEX_UPN).await["user"]["usageLocation"].is_null());
}

#[tokio::test]
async fn assign_license_answers_the_user_with_the_license_processed() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = write(
        &h,
        Method::POST,
        &format!("/v1.0/users/{ZOE_UPN}/assignLicense"),
        &token,
        json!({"addLicenses": [{"skuId": E3, "disabledPlans": []}], "removeLicenses": []}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.error_message());
    let user = reply.json();
    assert!(user["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/v1.0/$metadata#users/$entity"));
    assert_eq!(user["userPrincipalName"], ZOE_UPN);
    assert_eq!(user["assignedLicenses"][0]["skuId"], E3);
    assert_eq!(states(&user), [("Active".into(), "None".into())]);

    let details = h
        .get(&format!("/v1.0/users/{ZOE_UPN}/licenseDetails"), &token)
        .await
        .json();
    let detail = &details["value"][0];
    assert_eq!(detail["skuPartNumber"], "SPE_E3");
    assert_eq!(detail["servicePlans"].as_array().unwrap().len(), 4);
    assert_eq!(detail["servicePlans"][0]["provisioningStatus"], "Success");
    let id = detail["id"].as_str().unwrap();
    let one = h
        .get(
            &format!("/v1.0/users/{ZOE_UPN}/licenseDetails/{id}"),
            &token,
        )
        .await
        .json();
    assert_eq!(one["skuId"], E3);
    assert!(one["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/licenseDetails/$entity"));
    let missing = h
        .get(
            &format!("/v1.0/users/{ZOE_UPN}/licenseDetails/nope"),
            &token,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // The same SKU again takes the new disabled plans; removing it takes it away.
    let reply = write(
        &h,
        Method::POST,
        &format!("/v1.0/users/{ZOE_UPN}/assignLicense"),
        &token,
        json!({"addLicenses": [], "removeLicenses": [E3]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.error_message());
    assert_eq!(reply.json()["assignedLicenses"], json!([]));
}

#[tokio::test]
async fn assign_license_refuses_what_entra_cannot_honour_and_changes_nothing() {
    let h = start().await;
    let token = h.writer_token().await;
    let assign = |upn: &'static str, body: Value| {
        let h = &h;
        let token = token.clone();
        async move {
            write(
                h,
                Method::POST,
                &format!("/v1.0/users/{upn}/assignLicense"),
                &token,
                body,
            )
            .await
        }
    };
    let unknown = "11111111-2222-4333-8444-555555555555";
    let reply = assign(
        ZOE_UPN,
        json!({"addLicenses": [{"skuId": unknown}], "removeLicenses": []}),
    )
    .await;
    assert_graph_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        &format!("License {unknown} does not correspond to a valid company License."),
    );
    let reply = assign(ZOE_UPN, json!({"addLicenses": [{"skuId": E3}]})).await;
    assert_graph_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: removeLicenses.",
    );
    let reply = assign(
        ZOE_UPN,
        json!({"addLicenses": [{"skuId": "E3"}], "removeLicenses": []}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error_message().contains("'E3'"),
        "{}",
        reply.error_message()
    );

    // No usage location.
    let reply = assign(
        ALEX_UPN,
        json!({"addLicenses": [{"skuId": PBI}], "removeLicenses": []}),
    )
    .await;
    assert_graph_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    );
    assert_eq!(h.user_view(ALEX_UPN).await["directLicenses"], json!([]));

    // Power BI conflicts with the Office plan of Lee's direct E3.
    let reply = assign(
        LEE_UPN,
        json!({"addLicenses": [{"skuId": PBI}], "removeLicenses": []}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error_message().contains("mutually exclusive"),
        "{}",
        reply.error_message()
    );

    // Power BI's only seat is taken.
    let reply = assign(
        ZOE_UPN,
        json!({"addLicenses": [{"skuId": PBI}], "removeLicenses": []}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .error_message()
            .contains("does not have any available licenses"),
        "{}",
        reply.error_message()
    );

    // Teams needs SharePoint.
    let reply = assign(ZOE_UPN, json!({"addLicenses": [{"skuId": E3, "disabledPlans": [SHAREPOINT]}], "removeLicenses": []})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error_message().contains("depends on"),
        "{}",
        reply.error_message()
    );
    assert_eq!(h.user_view(ZOE_UPN).await["directLicenses"], json!([]));

    // A license from a group cannot be removed from the user.
    let reply = assign(
        "AdeleV@contoso.com",
        json!({"addLicenses": [], "removeLicenses": [E3]}),
    )
    .await;
    assert_graph_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "User license is inherited from a group membership and it cannot be removed directly from the user.",
    );
}

#[tokio::test]
async fn group_members_page_and_count_like_any_directory_list() {
    let h = start().await;
    let token = h.reader_token().await;
    let first = h
        .get(
            &format!(
                "/v1.0/groups/{PBI_GROUP}/members?$top=2&$select=id,userPrincipalName,mailNickname"
            ),
            &token,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.error_message());
    let first = first.json();
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    assert_eq!(first["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert!(first["value"][0]
        .as_object()
        .unwrap()
        .contains_key("mailNickname"));
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    let next = next.strip_prefix(h.base()).unwrap();
    let second = h.get(next, &token).await.json();
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert!(second.get("@odata.nextLink").is_none());

    let reply = h
        .get(
            &format!("/v1.0/groups/{PBI_GROUP}/members?$count=true"),
            &token,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "$count is an advanced query"
    );
    let counted = h
        .get_with(
            &format!("/v1.0/groups/{PBI_GROUP}/members?$count=true"),
            &token,
            &[("ConsistencyLevel", "eventual")],
        )
        .await
        .json();
    assert_eq!(counted["@odata.count"], 3);
    let reply = h
        .get(
            "/v1.0/groups/00000000-0000-4000-8000-000000000000/members",
            &token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn leaving_a_group_removes_its_license_and_its_error() {
    let h = start().await;
    let token = h
        .app_token(&["GroupMember.ReadWrite.All", "User.ReadWrite.All"])
        .await;
    // Lee's direct E3 and Power BI from the group conflict.
    assert!(states(&h.user_view(LEE_UPN).await["user"])
        .iter()
        .any(|(_, e)| e == "MutuallyExclusiveViolation"));
    let lee = h.user_view(LEE_UPN).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1.0/groups/{PBI_GROUP}/members/{lee}/$ref");
    let authorization = format!("Bearer {token}");
    let auth = [("authorization", authorization.as_str())];
    let reply = h.send(Method::DELETE, &path, &auth, "").await;
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "{}",
        reply.error_message()
    );
    assert_eq!(
        states(&h.user_view(LEE_UPN).await["user"]),
        [("Active".into(), "None".into())]
    );
    let reply = h.send(Method::DELETE, &path, &auth, "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Back in, by reference; twice is Graph's 400.
    let body =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{lee}")});
    let add = format!("/v1.0/groups/{PBI_GROUP}/members/$ref");
    let reply = write(&h, Method::POST, &add, &token, body.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "{}",
        reply.error_message()
    );
    assert!(states(&h.user_view(LEE_UPN).await["user"])
        .iter()
        .any(|(_, e)| e == "MutuallyExclusiveViolation"));
    let reply = write(&h, Method::POST, &add, &token, body).await;
    assert_graph_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'members'.",
    );
    let reply = write(
        &h,
        Method::POST,
        &add,
        &token,
        json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/nobody"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let reader = h.reader_token().await;
    let reply = write(&h, Method::POST, &format!("/v1.0/groups/{E3_GROUP}/members/$ref"), &reader, json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{ADELE_ID}")})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn select_takes_every_property_graph_defines_and_refuses_the_rest() {
    let h = start().await;
    let token = h.reader_token().await;
    let user = h
        .get(
            &format!(
                "/v1.0/users/{ALEX_UPN}?$select=mailNickname,mail,signInActivity,employeeHireDate"
            ),
            &token,
        )
        .await;
    assert_eq!(user.status, StatusCode::OK, "{}", user.error_message());
    assert!(user
        .json()
        .as_object()
        .unwrap()
        .contains_key("signInActivity"));
    let groups = h
        .get(
            "/v1.0/groups?$select=id,licenseProcessingState,expirationDateTime,mail,membershipRule",
            &token,
        )
        .await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.error_message());
    for (path, type_name) in [
        (
            format!("/v1.0/users/{ALEX_UPN}?$select=id,favouriteColour"),
            "user",
        ),
        (
            "/v1.0/groups?$select=id,favouriteColour".to_owned(),
            "group",
        ),
    ] {
        let reply = h.get(&path, &token).await;
        assert_graph_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Parsing OData Select and Expand failed: Could not find a property named 'favouriteColour' on type 'microsoft.graph.{type_name}'."),
        );
    }
}

#[tokio::test]
async fn a_changed_mail_becomes_the_primary_proxy_address_unless_another_object_has_it() {
    let h = start().await;
    let token = h.writer_token().await;
    let (status, _) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/users/{LEE_UPN}"),
            json!({ "mail": "sales@contoso.com", "proxyAddresses": ["SMTP:sales@contoso.com", "smtp:LeeG@contoso.com", "SIP:LeeG@contoso.com"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/users/{ALEX_UPN}"),
            json!({ "proxyAddresses": ["SMTP:AlexW@contoso.com", "smtp:sales@contoso.com"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // An address another object has is refused, and nothing changes.
    let taken = write(
        &h,
        Method::PATCH,
        &format!("/v1.0/users/{LEE_UPN}"),
        &token,
        json!({ "mail": "alexw@contoso.com" }),
    )
    .await;
    assert_graph_error(
        &taken,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Another object with the same value for property proxyAddresses already exists.",
    );
    for bad in [
        json!("not an address"),
        json!(7),
        json!("smtp:x@contoso.com"),
    ] {
        let refused = write(
            &h,
            Method::PATCH,
            &format!("/v1.0/users/{LEE_UPN}"),
            &token,
            json!({ "mail": bad }),
        )
        .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        h.user_view(LEE_UPN).await["user"]["mail"],
        "sales@contoso.com"
    );

    // The new mail replaces the old one as the primary address; the others stay, secondary.
    let reply = write(
        &h,
        Method::PATCH,
        &format!("/v1.0/users/{LEE_UPN}"),
        &token,
        json!({ "mail": "LeeG@contoso.com" }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let lee = h.user_view(LEE_UPN).await;
    assert_eq!(lee["user"]["mail"], "LeeG@contoso.com");
    assert_eq!(
        lee["user"]["proxyAddresses"],
        json!(["SMTP:LeeG@contoso.com", "SIP:LeeG@contoso.com"])
    );
}
