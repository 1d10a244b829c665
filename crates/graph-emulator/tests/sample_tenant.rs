//! examples/tenant/tenant.json is exactly what `graph-emulator generate-tenant --users 300 --seed 1` prints,
//! and a runbook's walk through it works: find the users in error, fix causes, reprocess, errors gone.

use std::path::PathBuf;

use graph_emulator::{Config, Emulator, Tenant};
use hyper::{Body, Client, Method, Request};
use serde_json::{json, Value};

fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/tenant/tenant.json")
}

#[test]
fn the_committed_sample_is_the_generators_output() {
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(sample_path()).unwrap()).unwrap();
    assert_eq!(
        committed,
        graph_emulator::generate::tenant(300, 1),
        "regenerate with: graph-emulator generate-tenant --users 300 --seed 1 > examples/tenant/tenant.json"
    );
}

async fn call(base: &str, method: Method, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{base}{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let response = Client::new()
        .request(request.body(body).unwrap())
        .await
        .unwrap();
    let bytes = hyper::body::to_bytes(response.into_body()).await.unwrap();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

#[tokio::test]
async fn fixing_causes_and_reprocessing_clears_the_errors() {
    let tenant = Tenant::load(&sample_path()).unwrap();
    let emulator = Emulator::start(Config::new(tenant)).await.unwrap();
    let base = emulator.base_url().to_owned();
    let token = call(
        &base,
        Method::POST,
        "/_emulator/tokens",
        None,
        json!({ "roles": ["Directory.ReadWrite.All"] }),
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let in_error = |base: String, token: String| async move {
        let mut ids = Vec::new();
        let groups = call(
            &base,
            Method::GET,
            "/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true&$select=id",
            Some(&token),
            Value::Null,
        )
        .await;
        for group in groups["value"].as_array().unwrap() {
            let mut next = Some(format!(
                "/v1.0/groups/{}/membersWithLicenseErrors?$select=id,usageLocation&$top=50",
                group["id"].as_str().unwrap()
            ));
            while let Some(path) = next {
                let page = call(&base, Method::GET, &path, Some(&token), Value::Null).await;
                for user in page["value"].as_array().unwrap() {
                    ids.push((
                        user["id"].as_str().unwrap().to_owned(),
                        user["usageLocation"].clone(),
                    ));
                }
                next = page["@odata.nextLink"]
                    .as_str()
                    .map(|l| l.strip_prefix(&base).unwrap().to_owned());
            }
        }
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        ids.dedup_by(|a, b| a.0 == b.0);
        ids
    };
    let before = in_error(base.clone(), token.clone()).await;
    assert!(before.len() > 30, "{}", before.len());

    // The admin's fixes: a usage location for everyone without one, enough E3 seats, Visio sold everywhere,
    // frontline staff out of the E3 group's way, contractors' SharePoint back, shared addresses removed.
    for (id, location) in &before {
        if location.is_null() || location == "CN" {
            call(
                &base,
                Method::PATCH,
                &format!("/_emulator/users/{id}"),
                None,
                json!({ "usageLocation": "US" }),
            )
            .await;
        }
    }
    call(
        &base,
        Method::PATCH,
        "/_emulator/skus/SPE_E3",
        None,
        json!({ "prepaidUnits": { "enabled": 400 } }),
    )
    .await;
    call(
        &base,
        Method::PATCH,
        "/_emulator/skus/VISIOCLIENT",
        None,
        json!({ "notSoldIn": [] }),
    )
    .await;
    call(
        &base,
        Method::PATCH,
        &format!(
            "/_emulator/groups/{}",
            graph_emulator::generate::FRONTLINE_GROUP
        ),
        None,
        json!({ "assignedLicenses": [] }),
    )
    .await;
    let users = call(&base, Method::GET, "/_emulator/users", None, Value::Null).await;
    for view in users["value"].as_array().unwrap() {
        let id = view["id"].as_str().unwrap();
        if view["directLicenses"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
        {
            call(
                &base,
                Method::PATCH,
                &format!("/_emulator/users/{id}"),
                None,
                json!({ "directLicenses": [{ "skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965" }] }),
            )
            .await;
        }
        let addresses: Vec<Value> = view["user"]["proxyAddresses"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x.as_str().is_some_and(|s| s.starts_with("SMTP:")))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        call(
            &base,
            Method::PATCH,
            &format!("/_emulator/users/{id}"),
            None,
            json!({ "proxyAddresses": addresses }),
        )
        .await;
    }
    // Nothing changes until the users are reprocessed.
    assert_eq!(
        in_error(base.clone(), token.clone()).await.len(),
        before.len()
    );

    let mut everyone: Vec<String> = before.iter().map(|(id, _)| id.clone()).collect();
    everyone.extend(
        users["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| {
                v["deleted"] == false
                    && v["directLicenses"]
                        .as_array()
                        .is_some_and(|l| !l.is_empty())
            })
            .map(|v| v["id"].as_str().unwrap().to_owned()),
    );
    for id in &everyone {
        let user = call(
            &base,
            Method::POST,
            &format!("/v1.0/users/{id}/reprocessLicenseAssignment"),
            Some(&token),
            Value::Null,
        )
        .await;
        assert_eq!(user["id"], id.as_str(), "{user}");
    }
    assert_eq!(
        in_error(base.clone(), token.clone()).await,
        Vec::<(String, Value)>::new()
    );
    emulator.stop().await;
}
