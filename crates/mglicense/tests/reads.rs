//! The reads around reprocessing, end to end against the emulator: paths and queries on the
//! wire, paging through @odata.nextLink one page ahead of the consumer, -Top, $count, errors.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{fixture, fixture_with, Fixture};
use graph_emulator::Tenant;
use mglicense::client::ConnectRequest;
use mglicense::read::{NextPage, Page, Pager};
use mglicense::{ErrorKind, ReadSpec};
use serde_json::{json, Value};

fn spec(v: Value) -> ReadSpec {
    serde_json::from_value(v).expect("a read document")
}

fn next(pager: &Pager) -> NextPage {
    pager.next(Some(Duration::from_secs(20)))
}

fn page(pager: &Pager) -> Page {
    match next(pager) {
        NextPage::Page(Ok(page)) => page,
        other => panic!("expected a page, got {other:?}"),
    }
}

/// Every page until the end, checking that the read ends with Done.
fn drain(pager: &Pager) -> Vec<Page> {
    let mut pages = Vec::new();
    loop {
        match next(pager) {
            NextPage::Page(Ok(p)) => pages.push(p),
            NextPage::Done => return pages,
            other => panic!("expected a page or the end, got {other:?}"),
        }
    }
}

fn gets(f: &Fixture) -> Vec<(String, Option<String>)> {
    f.emulator
        .state()
        .log()
        .entries()
        .filter(|e| e.method == "GET")
        .map(|e| (e.path.clone(), e.query.clone()))
        .collect()
}

fn ids(pages: &[Page]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.values())
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

fn big_tenant(users: usize) -> Tenant {
    let seed = graph_emulator::generate::tenant(users, 7);
    Tenant::from_seed_json(&seed.to_string()).unwrap()
}

#[test]
fn all_pages_come_in_order_and_each_user_once() {
    let f = fixture();
    let pager = f
        .client
        .start_read(&spec(
            json!({"resource": "users", "all": true, "pageSize": 3}),
        ))
        .unwrap();
    let pages = drain(&pager);
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        vec![3, 3, 2]
    );
    let got = ids(&pages);
    let expected: Vec<String> = f
        .emulator
        .state()
        .tenant()
        .active_users()
        .map(|u| u.id().to_string())
        .collect();
    assert_eq!(got, expected);
    let requests = gets(&f);
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].1.as_deref(), Some("$top=3"));
    assert!(
        requests[1].1.as_deref().unwrap().contains("$skiptoken="),
        "{requests:?}"
    );
}

#[test]
fn top_stops_at_its_count_even_across_pages() {
    let f = fixture();
    let pager = f
        .client
        .start_read(&spec(json!({"resource": "users", "top": 5, "pageSize": 2})))
        .unwrap();
    let pages = drain(&pager);
    assert_eq!(ids(&pages).len(), 5);
    assert_eq!(
        gets(&f).len(),
        3,
        "two full pages and a third cut to one user"
    );

    // Without -All or -Top only the first page is read.
    let f = fixture();
    let pages = drain(
        &f.client
            .start_read(&spec(json!({"resource": "users", "pageSize": 2})))
            .unwrap(),
    );
    assert_eq!(ids(&pages).len(), 2);
    assert_eq!(gets(&f).len(), 1);
}

#[test]
fn paging_streams_one_page_ahead_of_the_consumer() {
    let f = fixture_with(big_tenant(2_000));
    let pager = f
        .client
        .start_read(&spec(
            json!({"resource": "users", "all": true, "pageSize": 100}),
        ))
        .unwrap();
    let mut seen = HashSet::new();
    let mut pages_taken = 0;
    loop {
        match next(&pager) {
            NextPage::Page(Ok(p)) => {
                pages_taken += 1;
                for u in &p.values() {
                    assert!(
                        seen.insert(u["id"].as_str().unwrap().to_string()),
                        "a user came twice"
                    );
                }
                // Give the engine time to run ahead if it would: it must not.
                std::thread::sleep(Duration::from_millis(20));
                let fetched = gets(&f).len();
                assert!(
                    fetched <= pages_taken + 2,
                    "{fetched} pages fetched while {pages_taken} were taken"
                );
            }
            NextPage::Done => break,
            other => panic!("{other:?}"),
        }
    }
    let active = f.emulator.state().tenant().active_users().count();
    assert_eq!(pages_taken, active.div_ceil(100));
    assert_eq!(seen.len(), active);
}

#[test]
fn one_user_with_the_properties_asked_for() {
    let f = fixture();
    let pager = f
        .client
        .start_read(&spec(json!({"resource": "user", "identity": {"UserId": "AdeleV@contoso.com"}, "select": ["id", "licenseAssignmentStates"]})))
        .unwrap();
    let p = page(&pager);
    assert_eq!(p.items.len(), 1);
    let values = p.values();
    let user = &values[0];
    assert_eq!(user["id"], "047dd774-f1c4-40f2-82f0-278de79f9b83");
    assert!(user["licenseAssignmentStates"].is_array(), "{user}");
    assert!(
        user.get("displayName").is_none(),
        "only the selected properties: {user}"
    );
    assert!(matches!(next(&pager), NextPage::Done));
    assert_eq!(
        gets(&f),
        vec![(
            "/v1.0/users/AdeleV@contoso.com".to_string(),
            Some("$select=id%2ClicenseAssignmentStates".to_string())
        )]
    );
}

#[test]
fn a_missing_user_is_graphs_404() {
    let f = fixture();
    let pager = f
        .client
        .start_read(&spec(
            json!({"resource": "user", "identity": "nobody@contoso.com"}),
        ))
        .unwrap();
    match next(&pager) {
        NextPage::Page(Err(e)) => {
            assert_eq!(e.kind, ErrorKind::Graph);
            assert_eq!(e.graph.as_ref().unwrap().status, 404);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&pager), NextPage::Done));
}

#[test]
fn an_advanced_query_counts_with_consistency_level_eventual() {
    let f = fixture();
    let read = |consistency: Option<&str>| {
        let mut v = json!({"resource": "users", "filter": "assignedLicenses/$count ne 0", "count": true, "all": true, "pageSize": 2});
        if let Some(c) = consistency {
            v["consistencyLevel"] = json!(c);
        }
        f.client.start_read(&spec(v)).unwrap()
    };
    let pages = drain(&read(Some("eventual")));
    let count = pages[0].count.expect("the first page carries @odata.count");
    assert_eq!(count as usize, ids(&pages).len());
    assert!(count > 0);
    let licensed = f
        .emulator
        .state()
        .tenant()
        .active_users()
        .filter(|u| !u.assigned_sku_ids().is_empty())
        .count();
    assert_eq!(count as usize, licensed);
    let logged = f
        .emulator
        .state()
        .log()
        .entries()
        .next()
        .unwrap()
        .headers
        .clone();
    assert_eq!(
        logged.get("consistencylevel").map(String::as_str),
        Some("eventual")
    );

    // Without the header Graph refuses an advanced query, and the error says so.
    match next(&read(None)) {
        NextPage::Page(Err(e)) => assert_eq!(e.graph.as_ref().unwrap().status, 400),
        other => panic!("{other:?}"),
    }
}

#[test]
fn groups_with_errors_and_their_members_and_skus() {
    let f = fixture();
    let access_token = common::token(
        &f.emulator,
        &["User.Read.All", "Group.Read.All", "Organization.Read.All"],
        3600,
    );
    f.client
        .connect(ConnectRequest {
            access_token: access_token.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    let groups = drain(&f.client.start_read(&spec(json!({"resource": "groups", "filter": "hasMembersWithLicenseErrors eq true", "all": true}))).unwrap());
    let group_ids = ids(&groups);
    assert!(!group_ids.is_empty());
    for g in &group_ids {
        let members = drain(
            &f.client
                .start_read(&spec(
                    json!({"resource": "groupMembersWithLicenseErrors", "groupId": g, "all": true}),
                ))
                .unwrap(),
        );
        let tenant = f.emulator.state().tenant();
        let group = tenant.group(g).unwrap();
        let expected: Vec<String> = tenant
            .members_with_license_errors(group)
            .iter()
            .map(|u| u.id().to_string())
            .collect();
        assert_eq!(ids(&members), expected);
    }
    let one = page(
        &f.client
            .start_read(&spec(json!({"resource": "group", "groupId": group_ids[0]})))
            .unwrap(),
    );
    assert_eq!(one.values()[0]["id"], group_ids[0].as_str());
    let skus = drain(
        &f.client
            .start_read(&spec(json!({"resource": "subscribedSkus", "all": true})))
            .unwrap(),
    );
    assert_eq!(
        skus.iter().map(|p| p.items.len()).sum::<usize>(),
        f.emulator.state().tenant().skus().len()
    );
}

#[test]
fn cancelling_ends_the_read() {
    let f = fixture_with(big_tenant(500));
    let pager = f
        .client
        .start_read(&spec(
            json!({"resource": "users", "all": true, "pageSize": 10}),
        ))
        .unwrap();
    page(&pager);
    pager.cancel();
    assert!(matches!(next(&pager), NextPage::Cancelled));
    std::thread::sleep(Duration::from_millis(100));
    let fetched = gets(&f).len();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        gets(&f).len(),
        fetched,
        "nothing more is fetched after a cancel"
    );
    assert!(fetched <= 3);
}

#[test]
fn reading_without_a_connection_is_refused_before_sending() {
    let client = mglicense::Client::new(mglicense::ClientConfig::default()).unwrap();
    let e = client
        .start_read(&spec(json!({"resource": "users"})))
        .err()
        .expect("not connected");
    assert_eq!(e.kind, ErrorKind::NotConnected);
}
