//! The reads a runbook makes around reprocessing, as Graph answers them.

mod common;

use common::*;
use graph_emulator::{Config, Emulator, Tenant};
use hyper::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_user_by_id_or_upn_with_and_without_select() {
    let h = start().await;
    let token = h.reader_token().await;

    let reply = h.get(&format!("/v1.0/users/{ADELE_UPN}"), &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_standard_headers(&reply, None);
    let user = reply.json();
    assert_eq!(
        user["@odata.context"],
        format!("{}/v1.0/$metadata#users/$entity", h.base())
    );
    assert_eq!(user["id"], ADELE_ID);
    // v1.0's default properties, and not the license states.
    assert_eq!(user["mobilePhone"], Value::Null);
    assert!(user.get("usageLocation").is_none());
    assert!(user.get("licenseAssignmentStates").is_none());

    let reply = h
        .get(
            &format!("/v1.0/users/{ADELE_ID}?$select=id,usageLocation,LICENSEASSIGNMENTSTATES"),
            &token,
        )
        .await;
    let user = reply.json();
    assert_eq!(
        user["@odata.context"],
        format!(
            "{}/v1.0/$metadata#users(id,usageLocation,licenseAssignmentStates)/$entity",
            h.base()
        )
    );
    assert_eq!(user["usageLocation"], "US");
    assert_eq!(user["licenseAssignmentStates"][0]["state"], "Active");
    assert!(user.get("displayName").is_none());

    // beta returns more by default, still without the license states.
    let user = h
        .get("/beta/users('$adm@contoso.com')", &token)
        .await
        .json();
    assert_eq!(user["usageLocation"], "US");
    assert!(user.get("licenseAssignmentStates").is_none());

    let unknown = h
        .get(&format!("/v1.0/users/{ADELE_ID}?$select=shoeSize"), &token)
        .await;
    assert_graph_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Parsing OData Select and Expand failed: Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.",
    );
    let missing = h.get("/v1.0/users/nobody@contoso.com", &token).await;
    assert_eq!(missing.error_code(), "Request_ResourceNotFound");
}

#[tokio::test]
async fn reads_need_read_permissions_and_me_needs_a_user() {
    let h = start().await;
    let none = h.app_token(&["Mail.Send"]).await;
    assert_eq!(
        h.get("/v1.0/users", &none).await.error_code(),
        "Authorization_RequestDenied"
    );
    assert_eq!(
        h.get("/v1.0/subscribedSkus", &none).await.error_code(),
        "Authorization_RequestDenied"
    );
    let writer = h.writer_token().await;
    assert_eq!(h.get("/v1.0/users", &writer).await.status, StatusCode::OK);
    assert_eq!(
        h.get("/v1.0/groups", &writer).await.error_code(),
        "Authorization_RequestDenied"
    );

    let me = h
        .token(json!({ "userId": ALEX_ID, "scopes": ["User.Read"] }))
        .await;
    let user = h.get("/v1.0/me?$select=id,usageLocation", &me).await.json();
    assert_eq!(user["id"], ALEX_ID);
    assert_eq!(
        h.get("/v1.0/me", &writer).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn users_are_filtered_and_paged_through_next_links() {
    let h = start().await;
    let token = h.reader_token().await;
    let list = h
        .get(
            "/v1.0/users?$filter=userPrincipalName%20in%20('adelev@contoso.com','$adm@contoso.com')%20or%20id%20eq%20'43fe5b38-7328-40b9-a2f6-85d86ae8c34d'&$select=id",
            &token,
        )
        .await
        .json();
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ADELE_ID, ALEX_ID, ADMIN_ID]);

    let mut url = "/v1.0/users?$top=3&$select=id,displayName".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = h.get(&url, &token).await.json();
        pages += 1;
        for user in page["value"].as_array().unwrap() {
            seen.push(user["id"].as_str().unwrap().to_owned());
            assert_eq!(user.as_object().unwrap().len(), 2);
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.strip_prefix(h.base()).unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 8));
    seen.dedup();
    assert_eq!(seen.len(), 8);

    let bad = h.get("/v1.0/users?$top=1000", &token).await;
    assert_eq!(bad.error_code(), "Request_BadRequest");
}

#[tokio::test]
async fn advanced_queries_need_consistency_level_eventual() {
    let h = start().await;
    let token = h.reader_token().await;
    let path = "/v1.0/users?$filter=assignedLicenses/$count%20ne%200&$count=true&$select=id";
    let refused = h.get(path, &token).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "Request_BadRequest");
    let list = h
        .get_with(path, &token, &[("ConsistencyLevel", "eventual")])
        .await
        .json();
    // Adele (group E3), Lee (direct E3) and Patrick (direct Power BI).
    assert_eq!(list["@odata.count"], 3);

    let any = h
        .get("/v1.0/users?$filter=assignedLicenses/any(x:x/skuId%20eq%20f8a1db68-be16-40ed-86d5-cb42ce701560)&$select=userPrincipalName", &token)
        .await
        .json();
    assert_eq!(any["value"], json!([{ "userPrincipalName": OBRIEN_UPN }]));
}

#[tokio::test]
async fn skus_and_groups_with_license_errors() {
    let h = start().await;
    let token = h.reader_token().await;
    let skus = h.get("/v1.0/subscribedSkus", &token).await.json();
    assert_eq!(
        skus["@odata.context"],
        format!("{}/v1.0/$metadata#subscribedSkus", h.base())
    );
    let e3 = &skus["value"][0];
    assert_eq!(e3["skuPartNumber"], "SPE_E3");
    assert_eq!(e3["consumedUnits"], 2);
    assert_eq!(e3["prepaidUnits"]["enabled"], 5);
    assert!(
        e3["servicePlans"][2].get("requires").is_none(),
        "emulator-only fields stay out"
    );
    assert_eq!(
        e3["id"],
        format!(
            "5b1e6c2d-8f4a-4c3e-9d7b-2a6f0e1c4b88_{}",
            e3["skuId"].as_str().unwrap()
        )
    );

    let groups = h
        .get(
            "/beta/groups?$filter=hasMembersWithLicenseErrors%20eq%20true&$select=id,displayName",
            &token,
        )
        .await
        .json();
    let ids: Vec<&str> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10",
            "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f"
        ]
    );

    let members = h
        .get("/v1.0/groups/c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f/membersWithLicenseErrors?$select=id,userPrincipalName", &token)
        .await
        .json();
    assert_eq!(
        members["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", h.base())
    );
    let upns: Vec<&str> = members["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(upns, ["MeganB@contoso.com", "LeeG@contoso.com", GUEST_UPN]);
    assert_eq!(members["value"][0]["@odata.type"], "#microsoft.graph.user");

    let unknown = h
        .get("/v1.0/groups/nope/membersWithLicenseErrors", &token)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// The users of a list, by UPN, in the order listed.
fn upns(list: &Value) -> Vec<&str> {
    list["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value: {list}"))
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn users_and_groups_are_searched_by_words_with_eventual_consistency() {
    let h = start().await;
    let token = h.reader_token().await;
    let eventual = [("ConsistencyLevel", "eventual")];
    let search = |query: &str| format!("/v1.0/users?$search={query}&$select=userPrincipalName");

    let refused = h.get(&search("%22displayName:ad%22"), &token).await;
    assert_graph_error(
        &refused,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );

    // "ad" begins "Adele" and "Administrator", not "Fabrikam" or "Ångström".
    for (query, expected) in [
        ("%22displayName:ad%22", vec![ADELE_UPN, ADMIN_UPN]),
        (
            "%22displayName:VANCE%22%20OR%20%22mail:lee%22",
            vec![ADELE_UPN, "LeeG@contoso.com"],
        ),
        (
            "%22givenName:a%22+AND+%22surname:w%22",
            vec!["AlexW@contoso.com"],
        ),
        ("%22userPrincipalName:fabrikam%22", vec![GUEST_UPN]),
        ("%22surname:o'brien%22", vec![OBRIEN_UPN]),
    ] {
        let list = h.get_with(&search(query), &token, &eventual).await.json();
        assert_eq!(upns(&list), expected, "{query}");
    }

    // With $filter, $count, $top and paging: the next link keeps the search.
    let first = h
        .get_with(
            "/beta/users?$search=%22mail:contoso%22&$count=true&$top=4&$select=userPrincipalName",
            &token,
            &eventual,
        )
        .await
        .json();
    assert_eq!(first["@odata.count"], 6);
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    assert!(next.contains("$search=%22mail:contoso%22"), "{next}");
    let second = h
        .get_with(next.strip_prefix(h.base()).unwrap(), &token, &eventual)
        .await
        .json();
    assert_eq!(second["@odata.count"], 6);
    assert!(second.get("@odata.nextLink").is_none());
    let mut seen = upns(&first);
    seen.extend(upns(&second));
    assert_eq!(seen.len(), 6);
    assert!(!seen.contains(&ADMIN_UPN) && !seen.contains(&GUEST_UPN));
    let list = h
        .get_with(
            &search("%22mail:contoso%22&$filter=usageLocation%20eq%20'US'"),
            &token,
            &eventual,
        )
        .await
        .json();
    assert_eq!(upns(&list), [ADELE_UPN, "MeganB@contoso.com"]);

    for (path, expected) in [
        (
            "/beta/groups?$search=%22displayName:365%22%20OR%20%22displayName:power%22&$select=displayName",
            json!([{ "displayName": "Microsoft 365 E3 - All staff" }, { "displayName": "Power BI Pro" }]),
        ),
        (
            "/v1.0/groups?$search=%22displayName:staff%22%20AND%20%22displayName:e3%22&$select=id",
            json!([{ "id": "a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10" }]),
        ),
    ] {
        let groups = h.get_with(path, &token, &eventual).await.json();
        assert_eq!(groups["value"], expected, "{path}");
    }

    for (path, code) in [
        (search("%22jobTitle:retail%22"), "Request_UnsupportedQuery"),
        (search("displayName:ad"), "Request_UnsupportedQuery"),
        (search("%22displayName:a%22%20or%20%22mail:b%22"), "Request_UnsupportedQuery"),
        (
            "/v1.0/groups?$search=%22assignedLicenses:x%22".to_owned(),
            "Request_UnsupportedQuery",
        ),
        (
            format!("/v1.0/users/{ADELE_ID}?$search=%22displayName:ad%22"),
            "BadRequest",
        ),
        (
            "/v1.0/groups/c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f/membersWithLicenseErrors?$search=%22displayName:m%22"
                .to_owned(),
            "Request_UnsupportedQuery",
        ),
        (
            "/v1.0/subscribedSkus?$search=%22skuPartNumber:e3%22".to_owned(),
            "Request_UnsupportedQuery",
        ),
    ] {
        let reply = h.get_with(&path, &token, &eventual).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.error_code(), code, "{path}");
    }
}

/// Every page of `path` (an emulator path), following `@odata.nextLink`: the objects and the number of pages.
async fn all_pages(
    h: &Harness,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> (Vec<Value>, usize) {
    let (mut url, mut objects, mut pages) = (path.to_owned(), Vec::new(), 0);
    loop {
        let page = h.get_with(&url, token, extra).await.json();
        pages += 1;
        objects.extend(page["value"].as_array().expect("a page").iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.strip_prefix(h.base()).unwrap().to_owned(),
            None => return (objects, pages),
        }
    }
}

#[tokio::test]
async fn a_large_tenant_pages_every_user_once_with_and_without_a_filter() {
    let seed = graph_emulator::generate::tenant(2_500, 3);
    let listed: Vec<&Value> = seed["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u.get("deletedDateTime").is_none())
        .collect();
    let in_us = listed.iter().filter(|u| u["usageLocation"] == "US").count();
    let tenant = Tenant::from_seed(seed.clone()).expect("a generated tenant loads");
    let h = Harness::around(Emulator::start(Config::new(tenant)).await.unwrap());
    let token = h.reader_token().await;

    // Graph's default page, then its largest: in order, each user once, the last page without a next link.
    for (query, pages) in [("", 25), ("$top=999&", 3)] {
        let (users, n) = all_pages(
            &h,
            &format!("/v1.0/users?{query}$select=id,licenseAssignmentStates"),
            &token,
            &[],
        )
        .await;
        let ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
        let expected: Vec<&str> = listed.iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!((ids, n), (expected, pages), "{query}");
        assert!(users
            .iter()
            .all(|u| u["licenseAssignmentStates"].is_array()));
    }

    // A filter that skips most users, with $count on every page.
    let eventual = [("ConsistencyLevel", "eventual")];
    let path = "/v1.0/users?$filter=usageLocation%20eq%20'US'&$count=true&$top=97&$select=id,usageLocation";
    let first = h.get_with(path, &token, &eventual).await.json();
    assert_eq!(first["@odata.count"], in_us);
    let (users, pages) = all_pages(&h, path, &token, &eventual).await;
    // Every page has the count, the first page's carried in the page tokens.
    let mut url = path.to_owned();
    while let Some(next) = {
        let page = h.get_with(&url, &token, &eventual).await.json();
        assert_eq!(page["@odata.count"], in_us, "{url}");
        page["@odata.nextLink"].as_str().map(str::to_owned)
    } {
        url = next.strip_prefix(h.base()).unwrap().to_owned();
    }
    assert_eq!(users.len(), in_us);
    assert_eq!(pages, in_us.div_ceil(97));
    assert!(users.iter().all(|u| u["usageLocation"] == "US"));
    let mut ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), in_us);

    // The members of a group with license errors, paged, are the whole list.
    let e3 = graph_emulator::generate::E3_GROUP;
    let (whole, _) = all_pages(
        &h,
        &format!("/v1.0/groups/{e3}/membersWithLicenseErrors?$top=999&$select=id"),
        &token,
        &[],
    )
    .await;
    assert!(whole.len() > 20, "{}", whole.len());
    let (paged, pages) = all_pages(
        &h,
        &format!("/v1.0/groups/{e3}/membersWithLicenseErrors?$top=7&$select=id"),
        &token,
        &[],
    )
    .await;
    assert_eq!(paged, whole);
    assert_eq!(pages, whole.len().div_ceil(7));
    assert!(paged
        .iter()
        .all(|u| u["@odata.type"] == "#microsoft.graph.user"));
}
