//! -Wait: after a reprocess call, follow the user's licenses until the service has processed
//! them, and say what is still wrong and what fixes it.
//!
//! Reprocessing is asynchronous on the service: the call returns at once, and the user's
//! `licenseAssignmentStates` change later. A wait polls the user (a read, so it never holds up
//! the write budget: see `read`) until every state's `lastUpdatedDateTime` is not earlier than
//! the second the service answered the call (its `Date` header, so the two clocks are the same),
//! or until the timeout. A user with no license in error is done at once. A license whose outcome
//! did not change keeps its old timestamp, as Entra does, so a user still in error because its
//! cause was not fixed is only known to be unchanged at the timeout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::connection::Connection;
use crate::error::Error;
use crate::identity::SEGMENT;
use crate::operation::{PreparedRequest, ResponseShape};
use crate::send::Sender;

pub use crate::operation::{WaitSpec, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS};
pub use crate::response::{Response, WaitOutcome};

/// Pauses between polls: quick at first (the service often processes a user within seconds),
/// then every five seconds.
const POLL_SCHEDULE_MS: [u64; 5] = [500, 1_000, 2_000, 3_000, 5_000];

/// The properties read back.
const SELECT: &str =
    "id,displayName,userPrincipalName,usageLocation,assignedLicenses,licenseAssignmentStates";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A GET below the connection's Graph endpoint, not paced with the writes.
fn get(path: String, what: String, call: &PreparedRequest) -> PreparedRequest {
    PreparedRequest {
        method: "GET",
        path,
        shape: ResponseShape::Object,
        content_type: None,
        paced: false,
        target: call.target.clone(),
        what,
        headers: Vec::new(),
        trace: call.trace,
        subject: None,
        pass_body_through: false,
        body: None,
        // Reading the user back goes the way the call went.
        proxy: call.proxy.clone(),
    }
}

/// Waits for the service to process the user of a successful reprocess call; the response's
/// body becomes the user with its final states, and `wait` says how it went.
pub(crate) async fn wait(
    sender: &Sender,
    connection: &Connection,
    call: &PreparedRequest,
    spec: WaitSpec,
    mut response: Response,
) -> Response {
    let started = Instant::now();
    let Some(subject) = call.subject.as_deref() else {
        return response;
    };
    let version = call.path.split('/').nth(1).unwrap_or("v1.0");
    let since = response
        .headers
        .get("date")
        .and_then(|v| v.first())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(|| SystemTime::now() - Duration::from_secs(1));
    let since = unix_seconds(since);
    let deadline = started + Duration::from_secs(spec.timeout_seconds);
    let poll = get(
        format!(
            "/{version}/{subject}?$select={}",
            SELECT.replace(',', "%2C")
        ),
        format!("the licenses of user '{}'", call.target),
        call,
    );

    let mut polls = 0u32;
    let mut warnings = Vec::new();
    let mut latest: Option<Value> = None;
    let mut complete = false;
    loop {
        let pause = Duration::from_millis(
            POLL_SCHEDULE_MS[(polls as usize).min(POLL_SCHEDULE_MS.len() - 1)],
        );
        // The last poll comes at the deadline itself.
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        polls += 1;
        match sender.send(connection, &poll).await {
            Ok(mut read) => {
                response.log.append(&mut read.log);
                let user = read.body.unwrap_or(Value::Null);
                complete = processed_since(&user, since) || all_healthy(&user);
                latest = Some(user);
                if complete {
                    break;
                }
            }
            Err(mut e) => {
                response.log.append(&mut e.log);
                warnings.push(format!(
                    "Reprocessing of user '{}' was accepted, but its licenses could not be read back: {}",
                    call.target, e.message
                ));
                break;
            }
        }
        if Instant::now() >= deadline {
            break;
        }
    }

    if let Some(user) = latest {
        if !complete {
            warnings.push(format!(
                "The licenses of user '{}' were not all processed within {} s; the states shown may be from before the request. \
                 A license whose outcome did not change keeps its earlier timestamp.",
                call.target, spec.timeout_seconds
            ));
        }
        let who = user
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .unwrap_or(&call.target)
            .to_string();
        for state in states(&user) {
            if let Some(line) = error_warning(sender, connection, call, &who, state).await {
                warnings.push(line);
            }
        }
        response.body = Some(merge(response.body.take(), user));
    }
    response.wait = Some(WaitOutcome {
        complete,
        waited_seconds: started.elapsed().as_secs_f64(),
        polls,
        warnings,
    });
    response
}

fn states(user: &Value) -> impl Iterator<Item = &Value> {
    user.get("licenseAssignmentStates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Every state was updated at or after `since` (whole seconds, as Graph gives them). A state
/// without a timestamp cannot be told apart and does not hold the wait.
fn processed_since(user: &Value, since: i64) -> bool {
    states(user).all(
        |s| match s.get("lastUpdatedDateTime").and_then(Value::as_str) {
            Some(when) => parse_utc(when).map_or(true, |t| t >= since),
            None => true,
        },
    )
}

/// No license is in error: nothing is left to wait for. (A license whose outcome does not change
/// keeps its old timestamp, so without this a healthy user would be followed to the timeout.)
fn all_healthy(user: &Value) -> bool {
    states(user).all(|s| {
        let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
        text("state") == "Active" && (text("error").is_empty() || text("error") == "None")
    })
}

/// The call's own answer (the whole user, when it had one) with the licenses read back.
fn merge(answered: Option<Value>, read: Value) -> Value {
    match (answered, read) {
        (Some(Value::Object(mut user)), Value::Object(back)) => {
            for key in ["licenseAssignmentStates", "assignedLicenses"] {
                if let Some(v) = back.get(key) {
                    user.insert(key.to_string(), v.clone());
                }
            }
            Value::Object(user)
        }
        (_, Value::Object(mut back)) => {
            back.remove("@odata.context");
            Value::Object(back)
        }
        (answered, read) => answered.unwrap_or(read),
    }
}

/// What fixes each error, as
/// <https://learn.microsoft.com/en-us/entra/identity/users/licensing-groups-resolve-problems> says.
pub fn remedy(error: &str) -> &'static str {
    match error {
        "CountViolation" => "no seats are left in the subscription: free seats or buy more, then reprocess",
        "MutuallyExclusiveViolation" => {
            "one of its service plans conflicts with a plan the user already has: remove the conflicting license or disable one of the plans, then reprocess"
        }
        "DependencyViolation" => {
            "a service plan it depends on is missing: assign the license that provides it (or enable the plan), then reprocess"
        }
        "ProhibitedInUsageLocationViolation" => {
            "the subscription is not sold in the user's usage location: set a usage location where it is (Update-MgUser -UsageLocation), then reprocess"
        }
        "UniquenessViolation" => {
            "one of the user's proxy addresses is already used by another object: remove or change the duplicate address, then reprocess"
        }
        _ => "the service gave no specific reason: check the user's licenses in the Microsoft Entra admin center",
    }
}

async fn error_warning(
    sender: &Sender,
    connection: &Connection,
    call: &PreparedRequest,
    who: &str,
    state: &Value,
) -> Option<String> {
    let text = |k: &str| state.get(k).and_then(Value::as_str).unwrap_or("");
    let (status, error) = (text("state"), text("error"));
    if (error.is_empty() || error == "None") && status != "Error" && status != "ActiveWithError" {
        return None;
    }
    let sku_id = text("skuId");
    let sku = match sku_name(sender, connection, call, sku_id).await {
        Some(name) => format!("{name} ({sku_id})"),
        None => sku_id.to_string(),
    };
    let source = match state.get("assignedByGroup").and_then(Value::as_str) {
        Some(group) => match group_name(sender, connection, call, group).await {
            Some(name) => format!("from group '{name}' ({group})"),
            None => format!("from group {group}"),
        },
        None => "assigned directly".to_string(),
    };
    let error = if error.is_empty() { "Other" } else { error };
    Some(format!(
        "User '{who}': license {sku} {source} is {status} with {error}: {}.",
        remedy(error)
    ))
}

async fn sku_name(
    sender: &Sender,
    connection: &Connection,
    call: &PreparedRequest,
    sku_id: &str,
) -> Option<String> {
    let cached = lock(&connection.names.skus)
        .as_ref()
        .map(|m| m.get(&sku_id.to_ascii_lowercase()).cloned());
    if let Some(name) = cached {
        return name;
    }
    let read = get(
        "/v1.0/subscribedSkus?$select=skuId%2CskuPartNumber".into(),
        "the subscribed SKUs".into(),
        call,
    );
    // A token without the permission to read SKUs still gets its warnings, with ids only.
    let outcome = sender.send(connection, &read).await;
    let mut names = HashMap::new();
    if let Ok(r) = &outcome {
        for sku in r
            .body
            .as_ref()
            .and_then(|b| b.get("value"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(id), Some(name)) = (
                sku.get("skuId").and_then(Value::as_str),
                sku.get("skuPartNumber").and_then(Value::as_str),
            ) {
                names.insert(id.to_ascii_lowercase(), name.to_string());
            }
        }
    }
    let name = names.get(&sku_id.to_ascii_lowercase()).cloned();
    if settled(&outcome) {
        *lock(&connection.names.skus) = Some(names);
    }
    name
}

/// Whether a name lookup's outcome holds for the rest of the connection, so it is kept: an
/// answer, or a refusal that asking again would not change (no permission, no such object). A
/// failure that may pass (the network, a timeout, throttling, a server error) is not kept, so
/// the next warning looks again instead of going without names for the whole run.
fn settled(outcome: &Result<Response, Error>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(e) => e
            .graph
            .as_ref()
            .is_some_and(|g| (400..500).contains(&g.status) && g.status != 408 && g.status != 429),
    }
}

async fn group_name(
    sender: &Sender,
    connection: &Connection,
    call: &PreparedRequest,
    group_id: &str,
) -> Option<String> {
    if let Some(name) = lock(&connection.names.groups).get(group_id) {
        return name.clone();
    }
    let segment = percent_encoding::utf8_percent_encode(group_id, SEGMENT);
    let read = get(
        format!("/v1.0/groups/{segment}?$select=displayName"),
        format!("group '{group_id}'"),
        call,
    );
    let outcome = sender.send(connection, &read).await;
    let keep = settled(&outcome);
    let name = outcome.ok().and_then(|r| r.body).and_then(|b| {
        b.get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    if keep {
        lock(&connection.names.groups).insert(group_id.to_string(), name.clone());
    }
    name
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Parses Graph's `YYYY-MM-DDTHH:MM:SS[.fff]Z` to Unix seconds.
fn parse_utc(s: &str) -> Option<i64> {
    let s = s
        .trim()
        .strip_suffix('Z')
        .or_else(|| s.trim().strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn graph_timestamps_parse_to_unix_seconds() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2026-11-28T21:06:40Z"), Some(1_795_900_000));
        assert_eq!(parse_utc("2026-11-28T21:06:40.123Z"), Some(1_795_900_000));
        assert_eq!(parse_utc("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(parse_utc("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc("yesterday"), None);
    }

    #[test]
    fn processed_when_every_state_is_as_new_as_the_answer() {
        let user = |a: &str, b: &str| json!({"licenseAssignmentStates": [{"lastUpdatedDateTime": a}, {"lastUpdatedDateTime": b}]});
        let since = parse_utc("2026-12-03T10:00:05Z").unwrap();
        assert!(processed_since(
            &user("2026-12-03T10:00:05Z", "2026-12-03T10:00:09Z"),
            since
        ));
        assert!(!processed_since(
            &user("2026-12-03T10:00:05Z", "2026-12-03T09:59:59Z"),
            since
        ));
        assert!(processed_since(
            &json!({"licenseAssignmentStates": []}),
            since
        ));
        assert!(processed_since(
            &json!({"licenseAssignmentStates": [{"lastUpdatedDateTime": null}]}),
            since
        ));
        let old = "2026-12-03T09:00:00Z";
        assert!(all_healthy(
            &json!({"licenseAssignmentStates": [{"state": "Active", "error": "None", "lastUpdatedDateTime": old}]})
        ));
        assert!(!all_healthy(
            &json!({"licenseAssignmentStates": [{"state": "Error", "error": "CountViolation", "lastUpdatedDateTime": old}]})
        ));
        assert!(!all_healthy(
            &json!({"licenseAssignmentStates": [{"state": "ActiveWithError", "error": "Other"}]})
        ));
    }

    #[test]
    fn the_final_user_keeps_the_answer_and_takes_the_licenses_read_back() {
        let answered = json!({"id": "u", "displayName": "Adele", "licenseAssignmentStates": []});
        let read = json!({"@odata.context": "x", "id": "u", "licenseAssignmentStates": [{"state": "Active"}], "assignedLicenses": [{"skuId": "s"}]});
        let merged = merge(Some(answered), read.clone());
        assert_eq!(merged["displayName"], "Adele");
        assert_eq!(merged["licenseAssignmentStates"][0]["state"], "Active");
        assert_eq!(merged["assignedLicenses"][0]["skuId"], "s");
        let bare = merge(None, read);
        assert!(bare.get("@odata.context").is_none());
        assert_eq!(bare["id"], "u");
    }

    #[test]
    fn every_error_has_a_remedy() {
        for e in [
            "CountViolation",
            "MutuallyExclusiveViolation",
            "DependencyViolation",
            "ProhibitedInUsageLocationViolation",
            "UniquenessViolation",
        ] {
            assert!(remedy(e).ends_with("reprocess"), "{e}");
        }
        assert!(remedy("Other").contains("admin center"));
    }

    #[test]
    fn timeouts_are_bounded() {
        assert!(WaitSpec { timeout_seconds: 0 }.check().is_ok());
        assert!(WaitSpec {
            timeout_seconds: MAX_TIMEOUT_SECONDS + 1
        }
        .check()
        .unwrap_err()
        .message
        .contains("TimeoutSec"));
    }
}
