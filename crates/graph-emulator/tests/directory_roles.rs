//! Delegated reprocess calls need a directory role as well as the scope (the README's "Directory role,
//! delegated only"); app-only ones do not.

mod common;

use common::*;
use graph_emulator::Tenant;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

/// Lee has no directory role in the sample tenant.
const LEE_ID: &str = "b3c2a1d0-9e8f-4a7b-8c6d-5e4f3a2b1c0d";

const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const LICENSE_ADMINISTRATOR: &str = "4d6ac14f-3453-41d0-bef9-a3e0c569773a";
const DIRECTORY_WRITERS: &str = "9360feb5-f418-4baa-8175-e2a00bac4301";
/// Helpdesk Administrator: a real role, but not one that may reprocess licenses.
const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(
        &base64::decode_config(payload, base64::URL_SAFE_NO_PAD).expect("base64url"),
    )
    .expect("JSON")
}

/// The four reprocess calls on a user, and the two on /me, each with the delegated scope it needs.
fn calls(id: &str) -> Vec<(String, &'static str)> {
    vec![
        (
            format!("/v1.0/users/{id}/reprocessLicenseAssignment"),
            "User.ReadWrite.All",
        ),
        (
            format!("/beta/users/{id}/reprocessLicenseAssignment"),
            "Directory.ReadWrite.All",
        ),
        (
            format!("/beta/users/{id}/cloudLicensing/assignments/reprocessAssignments"),
            "CloudLicensing.AssignLicenses",
        ),
        (
            format!("/beta/users/{id}/reprocessLicenseAssignment2"),
            "User.ReadWrite.All",
        ),
        (
            "/v1.0/me/reprocessLicenseAssignment".into(),
            "User.ReadWrite.All",
        ),
        (
            "/beta/me/reprocessLicenseAssignment2".into(),
            "User.ReadWrite.All",
        ),
    ]
}

async fn call(h: &Harness, path: &str, token: &str) -> Reply {
    let authorization = format!("Bearer {token}");
    h.send(
        Method::POST,
        path,
        &[
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
        ],
        "",
    )
    .await
}

/// Replaces a user's directory roles through the admin API; the user view.
async fn set_roles(h: &Harness, user: &str, roles: Value) -> Value {
    let (status, view) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/users/{user}"),
            json!({ "directoryRoles": roles }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

async fn signed_in(h: &Harness, user: &str, scope: &str) -> String {
    h.token(json!({ "userId": user, "scopes": [scope] })).await
}

#[tokio::test]
async fn delegated_reprocess_without_a_role_is_403_and_changes_nothing() {
    let h = start().await;
    let before = h.user_view(LEE_ID).await;
    assert_eq!(before["directoryRoles"], json!([]));
    for (path, scope) in calls(LEE_ID)
        .into_iter()
        .filter(|(p, _)| !p.contains("cloudLicensing"))
    {
        let token = signed_in(&h, LEE_ID, scope).await;
        assert_eq!(claims_of(&token)["wids"], json!([]), "{path}");
        let reply = call(&h, &path, &token).await;
        assert_graph_error(
            &reply,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    assert_eq!(h.user_view(LEE_ID).await, before);

    // cloudLicensing's delegated permission is documented without a role.
    let (path, scope) = calls(LEE_ID)
        .into_iter()
        .find(|(p, _)| p.contains("cloudLicensing"))
        .unwrap();
    let token = signed_in(&h, LEE_ID, scope).await;
    assert_eq!(call(&h, &path, &token).await.status, StatusCode::OK);
    assert_eq!(h.user_view(LEE_ID).await["reprocessCount"], 1);

    // A role that cannot reprocess licenses is no better than none.
    set_roles(&h, LEE_ID, json!([HELPDESK_ADMINISTRATOR])).await;
    let token = signed_in(&h, LEE_ID, "User.ReadWrite.All").await;
    assert_eq!(claims_of(&token)["wids"], json!([HELPDESK_ADMINISTRATOR]));
    let (path, _) = &calls(LEE_ID)[0];
    assert_eq!(call(&h, path, &token).await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.user_view(LEE_ID).await["reprocessCount"], 1);
}

#[tokio::test]
async fn each_qualifying_role_may_reprocess_by_name_or_template_id() {
    let h = start().await;
    let roles = [
        ("Global Administrator", GLOBAL_ADMINISTRATOR),
        ("user administrator", USER_ADMINISTRATOR),
        ("License Administrator", LICENSE_ADMINISTRATOR),
        (DIRECTORY_WRITERS, DIRECTORY_WRITERS),
    ];
    let mut expected = 0;
    for (name, id) in roles {
        let view = set_roles(&h, LEE_ID, json!([name])).await;
        assert_eq!(view["directoryRoles"], json!([id]));
        assert!(
            view["user"].get("directoryRoles").is_none(),
            "not a Graph property"
        );
        for (path, scope) in calls(LEE_ID) {
            let token = signed_in(&h, LEE_ID, scope).await;
            assert_eq!(claims_of(&token)["wids"], json!([id]));
            let reply = call(&h, &path, &token).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{name} {path}: {:?}",
                reply.body
            );
            expected += 1;
        }
    }
    assert_eq!(h.user_view(LEE_ID).await["reprocessCount"], expected);
}

#[tokio::test]
async fn app_only_tokens_need_no_role() {
    let h = start().await;
    let token = h.app_token(&["User.ReadWrite.All"]).await;
    assert!(claims_of(&token).get("wids").is_none());
    let cloud = h
        .app_token(&["CloudLicensing.AssignLicenses.Organization"])
        .await;
    for (path, _) in calls(LEE_ID).into_iter().take(4) {
        let token = if path.contains("cloudLicensing") {
            &cloud
        } else {
            &token
        };
        assert_eq!(
            call(&h, &path, token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(h.user_view(LEE_ID).await["reprocessCount"], 4);
}

#[tokio::test]
async fn seeded_roles_reach_the_token_and_bad_names_are_refused() {
    let h = start().await;
    let token = signed_in(&h, ADMIN_ID, "User.ReadWrite.All").await;
    assert_eq!(claims_of(&token)["wids"], json!([GLOBAL_ADMINISTRATOR]));
    assert_eq!(
        call(
            &h,
            &format!("/v1.0/users/{LEE_ID}/reprocessLicenseAssignment"),
            &token
        )
        .await
        .status,
        StatusCode::OK
    );
    let (status, body) = h
        .admin(
            Method::PATCH,
            &format!("/_emulator/users/{LEE_ID}"),
            json!({ "directoryRoles": ["Billing Admin"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(Tenant::from_seed_json(
        r#"{"users":[{"id":"u1","userPrincipalName":"a@b.c","directoryRoles":["Nope"]}]}"#
    )
    .unwrap_err()
    .contains("Nope"));
}

/// The login side's delegated tokens (device code, then refresh) carry the user's roles as `wids`.
#[tokio::test]
async fn device_code_and_refresh_tokens_carry_wids() {
    let h = start().await;
    let start = h
        .send(
            Method::POST,
            "/common/oauth2/v2.0/devicecode",
            &FORM,
            &format!("client_id={CLIENT}&scope=User.ReadWrite.All%20offline_access"),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK);
    let start = start.json();
    let user_code = start["user_code"].as_str().unwrap();
    let (status, body) = h
        .admin(
            Method::POST,
            &format!("/_emulator/devicecodes/{user_code}/approve"),
            json!({ "userId": ADELE_UPN }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let issued = redeem(
        &h,
        &format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id={CLIENT}&device_code={}",
            start["device_code"].as_str().unwrap()
        ),
    )
    .await;
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(claims_of(access)["wids"], json!([LICENSE_ADMINISTRATOR]));
    assert_eq!(
        call(&h, "/v1.0/me/reprocessLicenseAssignment", access)
            .await
            .status,
        StatusCode::OK
    );

    // Roles are read at each issue, so a refresh after the role is taken away loses it.
    set_roles(&h, ADELE_ID, json!(null)).await;
    let refreshed = redeem(
        &h,
        &format!(
            "grant_type=refresh_token&client_id={CLIENT}&refresh_token={}",
            urlencode(issued["refresh_token"].as_str().unwrap())
        ),
    )
    .await;
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(claims_of(access)["wids"], json!([]));
    assert_eq!(
        call(&h, "/v1.0/me/reprocessLicenseAssignment", access)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.user_view(ADELE_ID).await["reprocessCount"], 1);
}

const FORM: [(&str, &str); 1] = [("content-type", "application/x-www-form-urlencoded")];
/// Microsoft Graph Command Line Tools, registered in every emulator.
const CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// A token request to the login side, which must succeed.
async fn redeem(h: &Harness, form: &str) -> Value {
    let reply = h
        .send(Method::POST, "/common/oauth2/v2.0/token", &FORM, form)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
