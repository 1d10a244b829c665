//! A sample tenant with users in realistic license trouble, generated deterministically, so the demo,
//! benchmarks and anyone's runbook tests can start from the same few hundred users.
//!
//! The trouble is made of causes, not of seeded error states: the emulator evaluates every user at load,
//! so the errors it shows are the ones its rules produce, and fixing a cause then reprocessing clears them.
//! - about 5 % of users have no usage location (ProhibitedInUsageLocationViolation);
//! - the Microsoft 365 E3 group has 8 members more than seats (CountViolation for the last ones);
//! - frontline staff who are also in the E3 group get Exchange Online (Plan 1) on top of E3's Exchange
//!   (MutuallyExclusiveViolation);
//! - Visio is not sold in China, where a few Visio users work (ProhibitedInUsageLocationViolation);
//! - a few direct E3 licenses disable SharePoint, which Teams needs (DependencyViolation);
//! - two pairs of users share a proxy address, the second of each as its mail (UniquenessViolation);
//! - one user in ten left the company: account disabled, out of every group, still holding a direct E3;
//! - two users are soft-deleted.

use std::collections::HashSet;

use serde_json::{json, Value};

const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const PBI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const EXCHANGE_STANDARD: &str = "4b9405b0-7788-4568-add1-99614e613b69";
const VISIO: &str = "c5928f49-12ba-48f7-ada3-0d743a3601d5";

pub const TENANT_ID: &str = "3f6d2a91-7c4b-4e8a-9f1d-5b2c8e0a6d47";
pub const E3_GROUP: &str = "6a2f0c4e-1b3d-4f5a-8c7e-9d0b1a2c3e4f";
pub const POWER_BI_GROUP: &str = "7b3e1d5f-2c4e-4a6b-9d8f-0e1c2b3d4f5a";
pub const FRONTLINE_GROUP: &str = "8c4f2e6a-3d5f-4b7c-ae9a-1f2d3c4e5a6b";
pub const VISIO_GROUP: &str = "9d5a3f7b-4e6a-4c8d-bfab-2a3e4d5f6b7c";

const FIRST: &[&str] = &[
    "Adele", "Alex", "Allan", "Bianca", "Carlos", "Chen", "Diego", "Emily", "Fatima", "Grady",
    "Hana", "Isaiah", "Johanna", "Joni", "Kenji", "Lee", "Lidia", "Lynne", "Megan", "Miriam",
    "Nestor", "Nora", "Olga", "Patti", "Pradeep", "Priya", "Rafael", "Sakura", "Zoë", "Søren",
];
const LAST: &[&str] = &[
    "Vance",
    "Wilber",
    "Deyoung",
    "Pia",
    "Ruiz",
    "Wei",
    "Siciliani",
    "Braun",
    "Khan",
    "Archie",
    "Sato",
    "Okafor",
    "Lauer",
    "Sherman",
    "Tanaka",
    "Gu",
    "Holloway",
    "Robbins",
    "Bowen",
    "Caldwell",
    "Wilke",
    "Lindqvist",
    "Petrova",
    "Fernandez",
    "Gupta",
    "Sharma",
    "Oliveira",
    "Yamamoto",
    "Ångström",
    "Kierkegaard",
];
const LOCATIONS: &[&str] = &["US", "US", "US", "GB", "DE", "FR", "IN", "BR", "JP", "CA"];
const DEPARTMENTS: &[(&str, &str)] = &[
    ("Sales", "Account Executive"),
    ("Marketing", "Marketing Manager"),
    ("Engineering", "Software Engineer"),
    ("Finance", "Financial Analyst"),
    ("Retail", "Store Associate"),
    ("Operations", "Operations Lead"),
    ("Legal", "Counsel"),
    ("Research", "Research Scientist"),
];

/// SplitMix64: tiny, and unlike `rand`'s StdRng its sequence is fixed forever, so the file never drifts.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn guid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

fn plan(id: &str, name: &str, service: &str) -> Value {
    json!({ "servicePlanId": id, "servicePlanName": name, "service": service })
}

fn skus(e3_seats: usize, users: usize) -> Value {
    let mut teams = plan(
        "57ff2da0-773e-42df-b2af-ffb7a2317929",
        "TEAMS1",
        "TeamspaceAPI",
    );
    teams["requires"] = json!(["SHAREPOINTENTERPRISE"]);
    let mut exchange_standard = plan(
        "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
        "EXCHANGE_S_STANDARD",
        "exchange",
    );
    exchange_standard["exclusiveWith"] = json!(["EXCHANGE_S_ENTERPRISE"]);
    json!([
        { "skuId": E3, "skuPartNumber": "SPE_E3",
          "prepaidUnits": { "enabled": e3_seats, "suspended": 0, "warning": 0, "lockedOut": 0 },
          "servicePlans": [
            plan("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE", "exchange"),
            plan("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE", "SharePoint"),
            teams,
            plan("43de0ff5-c92c-492b-9116-175376d08c38", "OFFICESUBSCRIPTION", "MicrosoftOffice") ] },
        { "skuId": PBI, "skuPartNumber": "POWER_BI_PRO",
          "prepaidUnits": { "enabled": users, "suspended": 0, "warning": 0, "lockedOut": 0 },
          "servicePlans": [ plan("70d33638-9c74-4d01-bfd3-562de28bd4ba", "BI_AZURE_P2", "ProjectWorkManagement") ] },
        { "skuId": EXCHANGE_STANDARD, "skuPartNumber": "EXCHANGESTANDARD",
          "prepaidUnits": { "enabled": users, "suspended": 0, "warning": 0, "lockedOut": 0 },
          "servicePlans": [ exchange_standard ] },
        { "skuId": VISIO, "skuPartNumber": "VISIOCLIENT", "notSoldIn": ["CN"],
          "prepaidUnits": { "enabled": 50, "suspended": 0, "warning": 0, "lockedOut": 0 },
          "servicePlans": [
            plan("663a804f-1c30-4ff0-9915-9db84f0d1cea", "VISIO_CLIENT_SUBSCRIPTION", "Visio"),
            plan("2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f", "VISIOONLINE", "Visio") ] }
    ])
}

/// The seed document for `users` users (at least 10), the same for the same `seed`.
pub fn tenant(users: usize, seed: u64) -> Value {
    let count = users.max(10);
    let mut random = Sequence(seed);
    let mut people: Vec<Value> = Vec::with_capacity(count);
    let (mut e3, mut pbi, mut frontline, mut visio) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Members of the E3 group who will fail for another reason first and so hold no seat.
    let mut e3_blocked = 0usize;

    for n in 0..count {
        let first = FIRST[random.below(FIRST.len())];
        let last = LAST[random.below(LAST.len())];
        let alias = format!("{}.{}{}", ascii(first), ascii(last), n + 1);
        let upn = format!("{alias}@contoso.com");
        let (department, title) = DEPARTMENTS[random.below(DEPARTMENTS.len())];
        let id = random.guid();
        let no_location = random.chance(5);
        let location = if no_location {
            Value::Null
        } else {
            Value::from(LOCATIONS[random.below(LOCATIONS.len())])
        };
        let mut user = json!({
            "id": id,
            "userPrincipalName": upn,
            "displayName": format!("{first} {last}"),
            "givenName": first,
            "surname": last,
            "mail": upn,
            "mailNickname": alias,
            "jobTitle": title,
            "department": department,
            "usageLocation": location,
            "accountEnabled": true,
            "userType": "Member",
            "businessPhones": [],
            "proxyAddresses": [format!("SMTP:{upn}")],
        });

        // Retail staff are frontline: Exchange Online (Plan 1) only, unless they were also put in the E3 group.
        let is_frontline = department == "Retail";
        let in_e3 = !is_frontline || random.chance(25);
        if is_frontline {
            frontline.push(id.clone());
        }
        // Contractors get a direct E3 with SharePoint turned off, which Teams needs.
        let contractor = !is_frontline && random.chance(4);
        let in_e3 = in_e3 && !contractor;
        if in_e3 {
            e3.push(id.clone());
            if no_location {
                e3_blocked += 1;
            }
        } else if contractor {
            user["directLicenses"] =
                json!([{ "skuId": E3, "disabledPlans": ["5dbe027f-2339-4123-9542-606e4d348a72"] }]);
        }
        if department == "Finance" || department == "Marketing" || random.chance(10) {
            pbi.push(id.clone());
        }
        if department == "Engineering" && random.chance(40) {
            visio.push(id.clone());
            if random.chance(30) {
                user["usageLocation"] = Value::from("CN");
                user["country"] = Value::from("China");
            }
        }
        people.push(user);
    }

    // Two pairs of users share an address: the second of each pair took over a shared mailbox's address.
    let mut shared = 0;
    for index in (count / 3..count).step_by(count / 7 + 1) {
        if shared == 2 {
            break;
        }
        if people[index]["usageLocation"].is_null()
            || !e3.iter().any(|id| people[index]["id"] == **id)
        {
            continue;
        }
        let address = if shared == 0 {
            "smtp:sales@contoso.com"
        } else {
            "smtp:helpdesk@contoso.com"
        };
        let twin = (index + 1..count).find(|&j| {
            !people[j]["usageLocation"].is_null() && e3.iter().any(|id| people[j]["id"] == **id)
        });
        if let Some(j) = twin {
            // The first keeps it as a secondary address; the second's mail was changed to it, so it is
            // their primary address and their own one a secondary.
            people[index]["proxyAddresses"]
                .as_array_mut()
                .expect("array")
                .push(Value::from(address));
            let shared_mail = &address["smtp:".len()..];
            let own = people[j]["userPrincipalName"].clone();
            people[j]["mail"] = Value::from(shared_mail);
            people[j]["proxyAddresses"] = json!([
                format!("SMTP:{shared_mail}"),
                format!("smtp:{}", own.as_str().unwrap_or_default())
            ]);
            e3_blocked += 2;
            shared += 1;
        }
    }

    // Two leavers, still in the directory for 30 days; they hold no seats.
    for k in [count / 5, count / 2] {
        people[k]["deletedDateTime"] = Value::from("2026-11-01T09:00:00Z");
        people[k]["accountEnabled"] = Value::from(false);
        if e3.iter().any(|id| people[k]["id"] == **id) && !people[k]["usageLocation"].is_null() {
            e3_blocked += 1;
        }
    }

    // Staff who left: their accounts are disabled and out of every group, but each still holds the direct
    // E3 they were given before group licensing, a seat nobody uses (one user in ten). The first office
    // workers with a usage location and an address of their own, so they hold their seats from the start.
    let in_e3: HashSet<&str> = e3.iter().map(String::as_str).collect();
    let elsewhere: HashSet<&str> = frontline.iter().chain(&visio).map(String::as_str).collect();
    let mut departed_ids: HashSet<String> = HashSet::new();
    for person in people.iter_mut() {
        if departed_ids.len() == count / 10 {
            break;
        }
        let id = person["id"].as_str().unwrap_or_default().to_owned();
        let eligible = in_e3.contains(id.as_str())
            && !elsewhere.contains(id.as_str())
            && person["usageLocation"].is_string()
            && person["deletedDateTime"].is_null()
            && person["proxyAddresses"]
                .as_array()
                .is_some_and(|a| a.len() == 1);
        if eligible {
            person["accountEnabled"] = Value::from(false);
            person["directLicenses"] = json!([{ "skuId": E3, "disabledPlans": [] }]);
            departed_ids.insert(id);
        }
    }
    let departed = departed_ids.len();
    e3.retain(|m| !departed_ids.contains(m));
    pbi.retain(|m| !departed_ids.contains(m));

    let e3_seats = (e3.len() + departed)
        .saturating_sub(e3_blocked)
        .saturating_sub(8);
    json!({
        "tenantId": TENANT_ID,
        "subscribedSkus": skus(e3_seats, count),
        "groups": [
            { "id": E3_GROUP, "displayName": "All staff - Microsoft 365 E3",
              "description": "Every office worker gets Microsoft 365 E3.",
              "members": e3, "assignedLicenses": [{ "skuId": E3, "disabledPlans": [] }] },
            { "id": FRONTLINE_GROUP, "displayName": "Frontline - Exchange Online",
              "description": "Store staff get a mailbox only.",
              "members": frontline, "assignedLicenses": [{ "skuId": EXCHANGE_STANDARD, "disabledPlans": [] }] },
            { "id": POWER_BI_GROUP, "displayName": "Power BI Pro users",
              "members": pbi, "assignedLicenses": [{ "skuId": PBI, "disabledPlans": [] }] },
            { "id": VISIO_GROUP, "displayName": "Visio users",
              "members": visio, "assignedLicenses": [{ "skuId": VISIO, "disabledPlans": [] }] }
        ],
        "users": people,
    })
}

/// UPN-safe spelling of a name: `Zoë Ångström` signs in as `zoe.angstrom`.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ë' | 'é' | 'è' => 'e',
            'Å' | 'å' | 'ä' => 'a',
            'ø' | 'ö' => 'o',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tenant;

    fn errors(tenant: &Tenant) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for user in tenant.active_users() {
            for state in user.license_states() {
                let error = state["error"].as_str().unwrap_or_default();
                if error != "None" {
                    *counts.entry(error.to_owned()).or_insert(0) += 1;
                }
            }
        }
        counts
    }

    #[test]
    fn the_same_seed_gives_the_same_tenant() {
        assert_eq!(tenant(300, 1), tenant(300, 1));
        assert_ne!(tenant(300, 1), tenant(300, 2));
        assert_eq!(tenant(300, 1)["users"].as_array().unwrap().len(), 300);
    }

    #[test]
    fn every_kind_of_trouble_shows_up_after_load() {
        for seed in [1, 2, 3] {
            let seed_json = tenant(300, seed).to_string();
            let loaded = Tenant::from_seed_json(&seed_json).unwrap();
            let counts = errors(&loaded);
            for kind in [
                "CountViolation",
                "ProhibitedInUsageLocationViolation",
                "MutuallyExclusiveViolation",
                "DependencyViolation",
                "UniquenessViolation",
            ] {
                assert!(
                    counts.get(kind).copied().unwrap_or(0) > 0,
                    "seed {seed}: no {kind} in {counts:?}"
                );
            }
            // The E3 seats ran out exactly: every seat is used.
            let e3 = loaded.sku("SPE_E3").unwrap();
            assert_eq!(
                loaded.consumed_units(E3),
                e3.prepaid_units.enabled,
                "seed {seed}"
            );
            assert!(loaded.users().any(|u| u.is_deleted()));
            // One user in ten left: disabled, in no group, holding an E3 seat of their own.
            let departed: Vec<_> = loaded
                .active_users()
                .filter(|u| u.properties()["accountEnabled"] == false)
                .collect();
            assert_eq!(departed.len(), 30, "seed {seed}");
            for user in departed {
                assert_eq!(
                    user.license_states()
                        .iter()
                        .map(|s| (
                            s["skuId"].as_str(),
                            s["assignedByGroup"].as_str(),
                            s["state"].as_str()
                        ))
                        .collect::<Vec<_>>(),
                    [(Some(E3), None, Some("Active"))],
                    "seed {seed}"
                );
            }
        }
    }
}
