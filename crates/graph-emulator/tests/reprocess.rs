//! The reprocess actions as a Graph client sees them: URLs, bodies, headers and errors.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn v1_reprocess_returns_the_user_with_graph_headers() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = h
        .post(
            &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
            &token,
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_standard_headers(&reply, None);
    let user = reply.json();
    assert_eq!(
        user["@odata.context"],
        format!("{}/v1.0/$metadata#users/$entity", h.base())
    );
    assert_eq!(user["id"], ADELE_ID);
    assert_eq!(user["userPrincipalName"], ADELE_UPN);
    assert_eq!(user["displayName"], "Adele Vance");
    assert_eq!(user["usageLocation"], "US");
    // Seeded properties come back as given, nested ones included.
    assert_eq!(
        user["licenseAssignmentStates"][0]["assignedByGroup"],
        "a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10"
    );
}

#[tokio::test]
async fn beta_reprocess_accepts_upn_in_any_case() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = h
        .post(
            "/beta/users/adelev@CONTOSO.com/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()["@odata.context"],
        format!("{}/beta/$metadata#users/$entity", h.base())
    );
    assert_eq!(reply.json()["id"], ADELE_ID);
}

#[tokio::test]
async fn client_request_id_is_echoed_on_success_and_error() {
    let h = start().await;
    let token = h.writer_token().await;
    let authorization = format!("Bearer {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("client-request-id", "6f3b0c3e-1111-4e5e-9a9a-abcdefabcdef"),
    ];
    let ok = h
        .send(
            Method::POST,
            &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
            &headers,
            "",
        )
        .await;
    assert_standard_headers(&ok, Some("6f3b0c3e-1111-4e5e-9a9a-abcdefabcdef"));
    assert_ne!(ok.header("request-id"), ok.header("client-request-id"));

    let missing = h
        .send(
            Method::POST,
            "/v1.0/users/nobody@contoso.com/reprocessLicenseAssignment",
            &headers,
            "",
        )
        .await;
    assert_eq!(
        missing.header("client-request-id"),
        Some("6f3b0c3e-1111-4e5e-9a9a-abcdefabcdef")
    );
    assert_eq!(
        missing.json()["error"]["innerError"]["client-request-id"],
        "6f3b0c3e-1111-4e5e-9a9a-abcdefabcdef"
    );
}

#[tokio::test]
async fn unknown_user_is_404_with_graph_error_body() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = h
        .post(
            "/v1.0/users/ghost@contoso.com/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_graph_error(
        &reply,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        "Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
    // Key order as Graph writes it.
    let text = String::from_utf8(reply.body.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"error":{"code":"Request_ResourceNotFound","message":"#),
        "{text}"
    );
    assert!(text.contains(r#""innerError":{"date":""#), "{text}");
}

#[tokio::test]
async fn escaped_ids_are_one_segment() {
    let h = start().await;
    let token = h.writer_token().await;

    // %2F is part of the id, never a separator: the lookup fails on "a/b", it is not an unknown route.
    let slash = h
        .post("/v1.0/users/a%2Fb/reprocessLicenseAssignment", &token)
        .await;
    assert_graph_error(
        &slash,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        "Resource 'a/b' does not exist or one of its queried reference-property objects are not present.",
    );

    let guest = h.post("/v1.0/users/alice_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com/reprocessLicenseAssignment", &token).await;
    assert_eq!(guest.status, StatusCode::OK);
    assert_eq!(guest.json()["userPrincipalName"], GUEST_UPN);

    let guest_unescaped_at = h.post("/v1.0/users/alice_fabrikam.com%23EXT%23@contoso.onmicrosoft.com/reprocessLicenseAssignment", &token).await;
    assert_eq!(guest_unescaped_at.json()["id"], GUEST_ID);
}

#[tokio::test]
async fn dollar_upns_need_the_key_syntax() {
    let h = start().await;
    let token = h.writer_token().await;

    let keyed = h
        .post(
            "/v1.0/users('$adm@contoso.com')/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(keyed.status, StatusCode::OK);
    assert_eq!(keyed.json()["id"], ADMIN_ID);

    let escaped = h
        .post(
            "/beta/users(%27%24adm%40contoso.com%27)/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(escaped.json()["userPrincipalName"], ADMIN_UPN);

    // A bare `$` segment is an OData system segment to Graph.
    let bare = h
        .post(
            "/v1.0/users/$adm@contoso.com/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_graph_error(
        &bare,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Resource not found for the segment '$adm@contoso.com'.",
    );

    // Quotes inside the key are doubled, as OData wants.
    let quoted = h
        .post(
            "/v1.0/users('patrick.o''brien@contoso.com')/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(quoted.json()["userPrincipalName"], OBRIEN_UPN);

    let missing = h
        .post(
            "/v1.0/users('$nobody@contoso.com')/reprocessLicenseAssignment",
            &token,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing
        .error_message()
        .starts_with("Resource '$nobody@contoso.com' does not exist"));
}

#[tokio::test]
async fn cloud_licensing_reprocess_is_200_without_body() {
    let h = start().await;
    let token = h.writer_token().await;
    let reply = h
        .post(
            &format!("/beta/users/{ALEX_ID}/cloudLicensing/assignments/reprocessAssignments"),
            &token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    assert_standard_headers(&reply, None);
    assert_eq!(
        h.user_view(ALEX_ID).await["reprocessCountByAction"]["reprocessAssignments"],
        1
    );

    let v1 = h
        .post(
            &format!("/v1.0/users/{ALEX_ID}/cloudLicensing/assignments/reprocessAssignments"),
            &token,
        )
        .await;
    assert_graph_error(
        &v1,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Resource not found for the segment 'cloudLicensing'.",
    );
}

#[tokio::test]
async fn reprocess_license_assignment2_wraps_the_user_and_wants_json() {
    let h = start().await;
    let token = h.writer_token().await;
    let authorization = format!("Bearer {token}");
    let path = format!("/beta/users/{ADELE_ID}/reprocessLicenseAssignment2");

    let ok = h
        .send(
            Method::POST,
            &path,
            &[
                ("authorization", &authorization),
                ("content-type", "application/json; charset=utf-8"),
            ],
            "",
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_standard_headers(&ok, None);
    let body = ok.json();
    assert_eq!(body["value"]["id"], ADELE_ID);
    assert_eq!(body["value"]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(
        body["@odata.context"],
        format!("{}/beta/$metadata#microsoft.graph.user", h.base())
    );

    let missing = h
        .send(
            Method::POST,
            &path,
            &[("authorization", &authorization)],
            "",
        )
        .await;
    assert_graph_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
    let wrong = h
        .send(
            Method::POST,
            &path,
            &[
                ("authorization", &authorization),
                ("content-type", "text/plain"),
            ],
            "",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(wrong.error_code(), "RequestBodyRead");

    let v1 = h
        .send(
            Method::POST,
            &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment2"),
            &[
                ("authorization", &authorization),
                ("content-type", "application/json"),
            ],
            "",
        )
        .await;
    assert_eq!(v1.status, StatusCode::BAD_REQUEST);

    // Only the two accepted calls were counted.
    assert_eq!(
        h.user_view(ADELE_ID).await["reprocessCountByAction"]["reprocessLicenseAssignment2"],
        1
    );
}

#[tokio::test]
async fn me_needs_a_delegated_token() {
    let h = start().await;
    let delegated = h
        .token(json!({ "scopes": ["User.ReadWrite.All"], "userId": ADELE_UPN }))
        .await;
    let authorization = format!("Bearer {delegated}");
    let json_headers = [
        ("authorization", authorization.as_str()),
        ("content-type", "application/json"),
    ];

    let me = h
        .send(
            Method::POST,
            "/beta/me/reprocessLicenseAssignment2",
            &json_headers,
            "",
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["value"]["userPrincipalName"], ADELE_UPN);

    let app = h.writer_token().await;
    let authorization = format!("Bearer {app}");
    let app_only = h
        .send(
            Method::POST,
            "/beta/me/reprocessLicenseAssignment2",
            &[
                ("authorization", &authorization),
                ("content-type", "application/json"),
            ],
            "",
        )
        .await;
    assert_graph_error(
        &app_only,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    );
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 1);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_versions() {
    let h = start().await;
    let token = h.writer_token().await;
    let authorization = format!("Bearer {token}");
    let auth = [("authorization", authorization.as_str())];

    let unknown = h
        .post(
            &format!("/v1.0/users/{ADELE_ID}/reprocessEverything"),
            &token,
        )
        .await;
    assert_graph_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Resource not found for the segment 'reprocessEverything'.",
    );

    let groups = h
        .post("/v1.0/groups/x/reprocessLicenseAssignment", &token)
        .await;
    assert_graph_error(
        &groups,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Resource not found for the segment 'reprocessLicenseAssignment'.",
    );

    let get = h
        .send(
            Method::GET,
            &format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
            &auth,
            "",
        )
        .await;
    assert_graph_error(
        &get,
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    );
    assert_eq!(get.header("allow"), Some("POST"));

    let version = h
        .post(
            &format!("/v2.0/users/{ADELE_ID}/reprocessLicenseAssignment"),
            &token,
        )
        .await;
    assert_graph_error(
        &version,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Invalid version: v2.0",
    );

    let read = h
        .send(
            Method::GET,
            &format!("/beta/users/{ADELE_ID}/cloudLicensing"),
            &auth,
            "",
        )
        .await;
    assert_eq!(read.status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(read.error_code(), "NotImplemented");

    // Action names bind without case and namespace-qualified, as OData allows.
    let qualified = h
        .post(
            &format!("/v1.0/users/{ADELE_ID}/microsoft.graph.ReprocessLicenseAssignment"),
            &token,
        )
        .await;
    assert_eq!(qualified.status, StatusCode::OK);

    // None of the failures counted as reprocessing.
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 1);
}
