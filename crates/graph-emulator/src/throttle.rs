//! Graph's throttling for the identity and access service, as its limits page documents it
//! (<https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits>),
//! so clients' retry and pacing code meets real 429s: token buckets per app+tenant, per app and per tenant, Retry-After, the
//! x-ms-throttle-* headers, and a penalty for retrying before Retry-After has passed.
//!
//! Off unless asked for (a flag, a seed setting or the admin API), so other tests never meet it.
//! `scale` multiplies every window, so a test can drain and refill buckets in milliseconds; `now` is
//! always passed in, so the buckets are tested without sleeping.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What can be changed at start (seed `throttling`, CLI) and at runtime (`PUT /_emulator/throttling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleConfig {
    #[serde(default)]
    pub enabled: bool,
    /// Multiplies every window: 0.01 turns 10 s into 100 ms. Limits stay as documented unless overridden.
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub limits: Limits,
}

fn one() -> f64 {
    1.0
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            enabled: false,
            scale: 1.0,
            limits: Limits::default(),
        }
    }
}

/// Bucket sizes; `None` means Graph's documented value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Resource units per 10 s for one app in one tenant; by default 3,500 / 5,000 / 8,000 by tenant size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_tenant_resource_units: Option<f64>,
    /// Writes per 150 s for one app in one tenant (3,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_tenant_writes: Option<f64>,
    /// Resource units per 20 s for one app across tenants (150,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_resource_units: Option<f64>,
    /// Writes per 5 min for one app across tenants (35,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_writes: Option<f64>,
    /// Writes per 5 min for one tenant across apps (18,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_writes: Option<f64>,
}

/// The documented resource-unit budget of one app in one tenant, by the tenant's number of users.
pub fn app_tenant_resource_units(tenant_users: usize) -> f64 {
    match tenant_users {
        0..=49 => 3_500.0,
        50..=500 => 5_000.0,
        _ => 8_000.0,
    }
}

/// The cost of one request in resource units (the limits page: base 1; `$select` -1, `$expand` +1,
/// `$top` under 20 -1; never below 1).
pub fn resource_units(is_read: bool, query: Option<&str>) -> u32 {
    let query = query.unwrap_or_default().to_ascii_lowercase();
    let mut cost: i32 = 1;
    if is_read {
        if query.contains("$select=") {
            cost -= 1;
        }
        if query.contains("$expand=") {
            cost += 1;
        }
        if let Some(top) = query
            .split('&')
            .find_map(|p| p.strip_prefix("$top="))
            .and_then(|t| t.parse::<u32>().ok())
        {
            if top < 20 {
                cost -= 1;
            }
        }
    }
    cost.max(1) as u32
}

/// Who is asking: throttling is keyed on the token's app and tenant.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    pub app_id: &'a str,
    pub tenant_id: &'a str,
}

/// The verdict for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    Off,
    Allowed {
        resource_units: u32,
        /// Set when the fullest bucket is at 80 % or more, as Graph warns near the limit.
        limit_percentage: Option<f64>,
    },
    Throttled {
        retry_after: Duration,
        /// `x-ms-throttle-scope`, e.g. `Tenant_Application/ReadWrite/<app>/<tenant>`.
        scope: String,
        /// `x-ms-throttle-information`, e.g. `ResourceUnitLimitExceeded`.
        information: String,
        /// The client came back before its Retry-After had passed.
        penalty: bool,
    },
}

#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    window: Duration,
    updated: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let rate = self.capacity / self.window.as_secs_f64().max(1e-9);
        self.tokens = (self.tokens + elapsed * rate).min(self.capacity);
        self.updated = now;
    }

    fn wait_for(&self, cost: f64) -> Duration {
        let rate = self.capacity / self.window.as_secs_f64().max(1e-9);
        Duration::from_secs_f64(((cost - self.tokens).max(0.0) / rate).max(0.0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    AppTenantUnits,
    AppTenantWrites,
    AppUnits,
    AppWrites,
    TenantWrites,
}

impl Kind {
    /// The bucket's size: the configured override, else Graph's documented value (see the module comment).
    fn capacity(self, limits: &Limits, tenant_users: usize) -> f64 {
        match self {
            Kind::AppTenantUnits => limits
                .app_tenant_resource_units
                .unwrap_or_else(|| app_tenant_resource_units(tenant_users)),
            Kind::AppTenantWrites => limits.app_tenant_writes.unwrap_or(3_000.0),
            Kind::AppUnits => limits.app_resource_units.unwrap_or(150_000.0),
            Kind::AppWrites => limits.app_writes.unwrap_or(35_000.0),
            Kind::TenantWrites => limits.tenant_writes.unwrap_or(18_000.0),
        }
    }

    /// The documented window over which a full bucket refills, before `scale`.
    fn window(self) -> Duration {
        Duration::from_secs(match self {
            Kind::AppTenantUnits => 10,
            Kind::AppTenantWrites => 150,
            Kind::AppUnits => 20,
            Kind::AppWrites | Kind::TenantWrites => 300,
        })
    }
}

/// All buckets and the Retry-After promises made to each app+tenant.
#[derive(Debug, Default)]
pub struct Throttle {
    config: ThrottleConfig,
    buckets: HashMap<(Kind, String), Bucket>,
    blocked: HashMap<String, (Instant, Duration)>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle {
            config,
            ..Throttle::default()
        }
    }

    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// A new configuration starts with full buckets and no pending penalties.
    pub fn configure(&mut self, config: ThrottleConfig) {
        self.config = config;
        self.buckets.clear();
        self.blocked.clear();
    }

    pub fn admit(
        &mut self,
        caller: &Caller,
        is_write: bool,
        resource_units: u32,
        tenant_users: usize,
        now: Instant,
    ) -> Admission {
        if !self.config.enabled {
            return Admission::Off;
        }
        let pair = format!("{}/{}", caller.app_id, caller.tenant_id);
        if let Some((until, last)) = self.blocked.get(&pair).copied() {
            if now < until {
                // Retrying early earns a fresh wait as long as the last one: hammering never gets through.
                self.blocked.insert(pair.clone(), (now + last, last));
                return Admission::Throttled {
                    retry_after: last,
                    scope: format!(
                        "Tenant_Application/ReadWrite/{}/{}",
                        caller.app_id, caller.tenant_id
                    ),
                    information: "RetryAfterNotHonored".into(),
                    penalty: true,
                };
            }
            self.blocked.remove(&pair);
        }

        let scale = if self.config.scale > 0.0 {
            self.config.scale
        } else {
            1.0
        };
        let kinds: &[Kind] = if is_write {
            &[
                Kind::AppTenantUnits,
                Kind::AppUnits,
                Kind::AppTenantWrites,
                Kind::AppWrites,
                Kind::TenantWrites,
            ]
        } else {
            &[Kind::AppTenantUnits, Kind::AppUnits]
        };
        let wanted: Vec<(Kind, String, f64, f64, Duration)> = kinds
            .iter()
            .map(|&kind| {
                let key = match kind {
                    Kind::AppTenantUnits | Kind::AppTenantWrites => pair.clone(),
                    Kind::AppUnits | Kind::AppWrites => caller.app_id.to_owned(),
                    Kind::TenantWrites => caller.tenant_id.to_owned(),
                };
                let cost = match kind {
                    Kind::AppTenantUnits | Kind::AppUnits => resource_units as f64,
                    _ => 1.0,
                };
                let capacity = kind.capacity(&self.config.limits, tenant_users);
                (kind, key, cost, capacity, kind.window())
            })
            .collect();

        let mut worst: Option<(Duration, Kind)> = None;
        for (kind, key, cost, capacity, window) in &wanted {
            let bucket = self
                .buckets
                .entry((*kind, key.clone()))
                .or_insert_with(|| Bucket {
                    capacity: *capacity,
                    tokens: *capacity,
                    window: window.mul_f64(scale),
                    updated: now,
                });
            bucket.refill(now);
            if bucket.tokens < *cost {
                let wait = bucket.wait_for(*cost);
                if worst.map_or(true, |(w, _)| wait > w) {
                    worst = Some((wait, *kind));
                }
            }
        }
        if let Some((wait, kind)) = worst {
            // Graph announces whole seconds; never less than one, so a client that waits is let in.
            let retry_after = Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64);
            self.blocked.insert(pair, (now + retry_after, retry_after));
            let (scope, information) = match kind {
                Kind::AppTenantUnits => (
                    format!(
                        "Tenant_Application/ReadWrite/{}/{}",
                        caller.app_id, caller.tenant_id
                    ),
                    "ResourceUnitLimitExceeded",
                ),
                Kind::AppTenantWrites => (
                    format!(
                        "Tenant_Application/Write/{}/{}",
                        caller.app_id, caller.tenant_id
                    ),
                    "WriteLimitExceeded",
                ),
                Kind::AppUnits => (
                    format!("Application/ReadWrite/{}", caller.app_id),
                    "ResourceUnitLimitExceeded",
                ),
                Kind::AppWrites => (
                    format!("Application/Write/{}", caller.app_id),
                    "WriteLimitExceeded",
                ),
                Kind::TenantWrites => (
                    format!("Tenant/Write/{}", caller.tenant_id),
                    "WriteLimitExceeded",
                ),
            };
            return Admission::Throttled {
                retry_after,
                scope,
                information: information.into(),
                penalty: false,
            };
        }

        let mut fullest: f64 = 0.0;
        for (kind, key, cost, _, _) in &wanted {
            if let Some(bucket) = self.buckets.get_mut(&(*kind, key.clone())) {
                bucket.tokens -= cost;
                fullest = fullest.max(1.0 - bucket.tokens / bucket.capacity);
            }
        }
        Admission::Allowed {
            resource_units,
            limit_percentage: (fullest >= 0.8).then_some((fullest * 10.0).round() / 10.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(writes: f64, scale: f64) -> Throttle {
        Throttle::new(ThrottleConfig {
            enabled: true,
            scale,
            limits: Limits {
                app_tenant_writes: Some(writes),
                ..Limits::default()
            },
        })
    }

    const CALLER: Caller = Caller {
        app_id: "app",
        tenant_id: "tenant",
    };

    #[test]
    fn writes_run_out_then_refill_over_the_window() {
        let mut t = throttle(5.0, 1.0);
        let start = Instant::now();
        for i in 0..5 {
            let admission = t.admit(&CALLER, true, 1, 10, start);
            assert!(
                matches!(admission, Admission::Allowed { .. }),
                "{i}: {admission:?}"
            );
        }
        match t.admit(&CALLER, true, 1, 10, start) {
            Admission::Throttled {
                retry_after,
                scope,
                information,
                penalty,
            } => {
                // 5 writes per 150 s: one comes back every 30 s.
                assert_eq!(retry_after, Duration::from_secs(30));
                assert_eq!(scope, "Tenant_Application/Write/app/tenant");
                assert_eq!(information, "WriteLimitExceeded");
                assert!(!penalty);
            }
            other => panic!("{other:?}"),
        }
        // Reads are a separate budget, but the Retry-After promise covers the whole app+tenant.
        assert!(matches!(
            t.admit(&CALLER, false, 1, 10, start + Duration::from_secs(1)),
            Admission::Throttled { penalty: true, .. }
        ));
        let later = start + Duration::from_secs(62);
        assert!(matches!(
            t.admit(&CALLER, true, 1, 10, later),
            Admission::Allowed { .. }
        ));
    }

    #[test]
    fn the_limit_percentage_warns_near_the_limit() {
        let mut t = throttle(10.0, 1.0);
        let now = Instant::now();
        let mut warnings = Vec::new();
        for _ in 0..10 {
            if let Admission::Allowed {
                limit_percentage, ..
            } = t.admit(&CALLER, true, 1, 10, now)
            {
                warnings.push(limit_percentage);
            }
        }
        assert_eq!(warnings[6], None);
        assert_eq!(warnings[7], Some(0.8));
        assert_eq!(warnings[9], Some(1.0));
    }

    #[test]
    fn scale_shrinks_windows_and_tenant_size_picks_the_budget() {
        let mut t = throttle(2.0, 0.001);
        let now = Instant::now();
        t.admit(&CALLER, true, 1, 10, now);
        t.admit(&CALLER, true, 1, 10, now);
        assert!(matches!(
            t.admit(&CALLER, true, 1, 10, now),
            Admission::Throttled { .. }
        ));
        // The window is 150 ms and Retry-After is one second: waiting it out refills everything.
        assert!(matches!(
            t.admit(&CALLER, true, 1, 10, now + Duration::from_secs(1)),
            Admission::Allowed { .. }
        ));
        assert_eq!(app_tenant_resource_units(49), 3_500.0);
        assert_eq!(app_tenant_resource_units(50), 5_000.0);
        assert_eq!(app_tenant_resource_units(501), 8_000.0);
        assert_eq!(resource_units(true, Some("$select=id&$top=5")), 1);
        assert_eq!(resource_units(true, Some("$expand=manager")), 2);
        assert_eq!(resource_units(false, None), 1);
        let mut off = Throttle::default();
        assert_eq!(off.admit(&CALLER, true, 1, 10, now), Admission::Off);
    }

    /// Requests from `callers`, taken in turn, admitted at `now` until the first refusal, and that refusal.
    fn admitted_until_refused(
        t: &mut Throttle,
        callers: &[Caller],
        is_write: bool,
        tenant_users: usize,
        now: Instant,
    ) -> (usize, String, String) {
        for n in 0.. {
            match t.admit(&callers[n % callers.len()], is_write, 1, tenant_users, now) {
                Admission::Allowed { .. } => {}
                Admission::Throttled {
                    scope,
                    information,
                    penalty: false,
                    ..
                } => return (n, scope, information),
                other => panic!("{n}: {other:?}"),
            }
        }
        unreachable!()
    }

    fn callers<'a>(apps: &'a [String], tenants: &'a [String]) -> Vec<Caller<'a>> {
        apps.iter()
            .flat_map(|app| {
                tenants.iter().map(move |tenant| Caller {
                    app_id: app,
                    tenant_id: tenant,
                })
            })
            .collect()
    }

    /// Callers' apps and tenants, whether they write, the tenant's users; then the bucket's size, half
    /// its window, and the scope and information of its 429.
    type BucketCase = (
        Vec<String>,
        Vec<String>,
        bool,
        usize,
        usize,
        Duration,
        &'static str,
        &'static str,
    );

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// The README's table, from Graph's limits page (see the module comment): each bucket's documented size, its window (half of it
    /// refills half the bucket) and the scope and information a 429 from it carries.
    #[test]
    fn default_buckets_have_the_documented_sizes_and_windows() {
        let start = Instant::now();
        let secs = Duration::from_secs;
        let one_app = names("app", 1);
        let one_tenant = names("tenant", 1);

        // One app in one tenant, resource units per 10 s, by tenant size.
        for (users, size) in [
            (10, 3_500),
            (49, 3_500),
            (50, 5_000),
            (500, 5_000),
            (501, 8_000),
        ] {
            let mut t = Throttle::new(ThrottleConfig {
                enabled: true,
                ..ThrottleConfig::default()
            });
            let c = callers(&one_app, &one_tenant);
            let (n, scope, information) = admitted_until_refused(&mut t, &c, false, users, start);
            assert_eq!(n, size, "{users} users");
            assert_eq!(scope, "Tenant_Application/ReadWrite/app0/tenant0");
            assert_eq!(information, "ResourceUnitLimitExceeded");
            let (n, ..) = admitted_until_refused(&mut t, &c, false, users, start + secs(5));
            assert_eq!(n, size / 2, "{users} users, half the window later");
        }

        let cases: [BucketCase; 4] = [
            // One app in one tenant, writes per 150 s.
            (
                one_app.clone(),
                one_tenant.clone(),
                true,
                10,
                3_000,
                secs(75),
                "Tenant_Application/Write/app0/tenant0",
                "WriteLimitExceeded",
            ),
            // One app across tenants, resource units per 20 s (19 tenants of 8,000 each are needed).
            (
                one_app.clone(),
                names("tenant", 19),
                false,
                501,
                150_000,
                secs(10),
                "Application/ReadWrite/app0",
                "ResourceUnitLimitExceeded",
            ),
            // One app across tenants, writes per 5 min (12 tenants of 3,000 each).
            (
                one_app.clone(),
                names("tenant", 12),
                true,
                501,
                35_000,
                secs(150),
                "Application/Write/app0",
                "WriteLimitExceeded",
            ),
            // One tenant across apps, writes per 5 min (7 apps of 3,000 each).
            (
                names("app", 7),
                one_tenant.clone(),
                true,
                501,
                18_000,
                secs(150),
                "Tenant/Write/tenant0",
                "WriteLimitExceeded",
            ),
        ];
        for (apps, tenants, is_write, users, size, half_window, want_scope, want_information) in
            cases
        {
            let mut t = Throttle::new(ThrottleConfig {
                enabled: true,
                ..ThrottleConfig::default()
            });
            let c = callers(&apps, &tenants);
            let (n, scope, information) =
                admitted_until_refused(&mut t, &c, is_write, users, start);
            assert_eq!(
                (n, scope.as_str(), information.as_str()),
                (size, want_scope, want_information)
            );
            let (n, scope, _) =
                admitted_until_refused(&mut t, &c, is_write, users, start + half_window);
            assert_eq!(
                (n, scope.as_str()),
                (size / 2, want_scope),
                "half the window later"
            );
        }
    }
}
