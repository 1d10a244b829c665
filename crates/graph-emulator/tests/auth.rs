//! Tokens and permissions: what a client without a valid, sufficient token sees.

mod common;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(
        &base64::decode_config(payload, base64::URL_SAFE_NO_PAD).expect("base64url"),
    )
    .expect("JSON")
}

fn reprocess_adele() -> String {
    format!("/v1.0/users/{ADELE_ID}/reprocessLicenseAssignment")
}

#[tokio::test]
async fn missing_token_is_401_access_token_is_empty() {
    let h = start().await;
    let reply = h.send(Method::POST, &reprocess_adele(), &[], "").await;
    assert_graph_error(
        &reply,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token is empty.",
    );
    let challenge = reply.header("www-authenticate").expect("challenge");
    assert!(challenge.starts_with("Bearer realm=\"\""), "{challenge}");
    assert!(
        challenge.contains(h.base()),
        "the challenge must point at loopback: {challenge}"
    );
}

#[tokio::test]
async fn unknown_and_malformed_tokens_are_401() {
    let h = start().await;
    let no_dots = h.post(&reprocess_adele(), "not-a-jwt").await;
    assert_eq!(no_dots.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_dots.error_code(), "InvalidAuthenticationToken");
    assert!(no_dots
        .error_message()
        .starts_with("IDX14100: JWT is not well formed"));

    // Well-formed, but not signed by this emulator.
    let real = h.writer_token().await;
    let (signed, _) = real.rsplit_once('.').unwrap();
    let forged = format!("{signed}.AAAA");
    let reply = h.post(&reprocess_adele(), &forged).await;
    assert_graph_error(
        &reply,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token validation failure.",
    );

    // A token from another emulator run is just as foreign.
    let other = start().await;
    let foreign = other.writer_token().await;
    assert_eq!(
        h.post(&reprocess_adele(), &foreign).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn expired_token_is_401() {
    let h = start().await;
    let token = h
        .token(json!({ "roles": ["User.ReadWrite.All"], "expiresIn": -10 }))
        .await;
    let claims = claims_of(&token);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(claims["exp"].as_i64().unwrap() <= now - 10, "{claims}");
    assert!(claims["iat"].as_i64().unwrap() < claims["exp"].as_i64().unwrap());
    let reply = h.post(&reprocess_adele(), &token).await;
    assert_graph_error(
        &reply,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
    );
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 0);
}

#[tokio::test]
async fn missing_permission_is_403() {
    let h = start().await;
    let reader = h.app_token(&["User.Read.All"]).await;
    let reply = h.post(&reprocess_adele(), &reader).await;
    assert_graph_error(
        &reply,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );

    let delegated_reader = h
        .token(json!({ "scopes": ["User.Read"], "userId": ADELE_ID }))
        .await;
    assert_eq!(
        h.post(&reprocess_adele(), &delegated_reader).await.status,
        StatusCode::FORBIDDEN
    );

    let directory = h.app_token(&["Directory.ReadWrite.All"]).await;
    assert_eq!(
        h.post(&reprocess_adele(), &directory).await.status,
        StatusCode::OK
    );
    let scoped = h
        .token(json!({ "scopes": ["https://graph.microsoft.com/User.ReadWrite.All"] }))
        .await;
    assert_eq!(
        h.post(&reprocess_adele(), &scoped).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cloud_licensing_permissions_follow_its_reference_page() {
    let h = start().await;
    let path = format!("/beta/users/{ALEX_ID}/cloudLicensing/assignments/reprocessAssignments");

    let app_org = h
        .app_token(&["CloudLicensing.AssignLicenses.Organization"])
        .await;
    assert_eq!(h.post(&path, &app_org).await.status, StatusCode::OK);
    let group = h.app_token(&["Group.ReadWrite.All"]).await;
    assert_eq!(h.post(&path, &group).await.status, StatusCode::OK);
    // The plain permission is delegated-only.
    let app_plain = h.app_token(&["CloudLicensing.AssignLicenses"]).await;
    assert_eq!(
        h.post(&path, &app_plain).await.status,
        StatusCode::FORBIDDEN
    );
    let delegated_plain = h
        .token(json!({ "scopes": ["CloudLicensing.AssignLicenses"], "userId": ALEX_ID }))
        .await;
    assert_eq!(h.post(&path, &delegated_plain).await.status, StatusCode::OK);

    // Group.ReadWrite.All is not enough for the user reprocess action.
    assert_eq!(
        h.post(
            &format!("/v1.0/users/{ALEX_ID}/reprocessLicenseAssignment"),
            &group
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.user_view(ALEX_ID).await["reprocessCount"], 3);
}

#[tokio::test]
async fn tokens_carry_the_claims_clients_read() {
    let h = start().await;
    let response = h
        .admin(
            Method::POST,
            "/_emulator/tokens",
            json!({ "roles": ["User.ReadWrite.All"], "expiresIn": 600 }),
        )
        .await
        .1;
    assert_eq!(response["token_type"], "Bearer");
    assert_eq!(response["expires_in"], 600);
    let app = claims_of(response["access_token"].as_str().unwrap());
    assert_eq!(app["aud"], "https://graph.microsoft.com");
    assert_eq!(app["tid"], "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88");
    assert_eq!(
        app["iss"],
        "https://sts.windows.net/5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88/"
    );
    assert_eq!(app["roles"], json!(["User.ReadWrite.All"]));
    assert_eq!(app["idtyp"], "app");
    assert!(app.get("scp").is_none() && app.get("upn").is_none());
    assert_eq!(
        app["exp"].as_i64().unwrap() - app["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(app["nbf"], app["iat"]);
    assert!(uuid_like(app["appid"].as_str().unwrap()) && uuid_like(app["oid"].as_str().unwrap()));

    let delegated = claims_of(
        &h.token(json!({
            "scopes": ["User.ReadWrite.All", "Directory.Read.All"],
            "userId": ADELE_UPN,
            "appId": "11111111-2222-3333-4444-555555555555",
            "tenantId": "66666666-7777-8888-9999-000000000000"
        }))
        .await,
    );
    assert_eq!(delegated["scp"], "User.ReadWrite.All Directory.Read.All");
    assert_eq!(delegated["upn"], ADELE_UPN);
    assert_eq!(delegated["oid"], ADELE_ID);
    assert_eq!(delegated["appid"], "11111111-2222-3333-4444-555555555555");
    assert_eq!(delegated["tid"], "66666666-7777-8888-9999-000000000000");
    assert!(delegated.get("roles").is_none());
}

#[tokio::test]
async fn token_requests_are_validated() {
    let h = start().await;
    let (status, body) = h
        .admin(
            Method::POST,
            "/_emulator/tokens",
            json!({ "userId": "ghost@contoso.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = h
        .admin(
            Method::POST,
            "/_emulator/tokens",
            json!({ "expires_in": 5 }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "typos must not mint a default token"
    );
    let (status, _) = h
        .admin(
            Method::POST,
            "/_emulator/tokens",
            json!({ "roles": ["X"], "userId": ADELE_ID }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // No body: a valid token without permissions.
    let (status, body) = h
        .admin(Method::POST, "/_emulator/tokens", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    let empty = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        h.post(&reprocess_adele(), &empty).await.status,
        StatusCode::FORBIDDEN
    );
}
