//! Injected failures, what Dev Proxy does for Graph: latency, error statuses with Graph bodies, dropped
//! connections, truncated and non-JSON bodies, and Retry-After in the shapes Graph has been seen to send.
//!
//! Rules are matched per route at start (a profile file) and at runtime (the admin API). Every random
//! choice comes from one seeded generator, so a sequential test that sets `seed` sees the same faults
//! on every run.

use std::time::{Duration, SystemTime};

use hyper::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::respond::GraphError;

/// The statuses Dev Proxy's Graph plugin picks from, which are the ones Graph documents as transient.
pub const DEFAULT_STATUSES: &[u16] = &[429, 500, 502, 503, 504, 507];

/// A fault profile: `{"seed": 42, "rules": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule. The first rule whose method and path match a request decides its faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// `POST`, `GET`...; any method when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A path pattern such as `/*/users/*/reprocessLicenseAssignment`: `*` is one segment (or part of one),
    /// `**` any number of segments. Matched without case against the raw path.
    #[serde(default = "any_path")]
    pub path: String,
    #[serde(default)]
    pub latency_ms: u64,
    /// Up to this much more latency, uniformly drawn.
    #[serde(default)]
    pub jitter_ms: u64,
    /// Share of matching requests answered with one of `statuses` instead of being served.
    #[serde(default)]
    pub failure_rate: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u16>,
    /// Share of matching requests whose connection is closed before any answer (the request is not served).
    #[serde(default)]
    pub drop_rate: f64,
    /// Share of matching requests that are served but whose JSON body is cut in half.
    #[serde(default)]
    pub truncate_rate: f64,
    /// Share of matching requests answered 502 with an HTML page, as a proxy in front of Graph would.
    #[serde(default)]
    pub non_json_rate: f64,
    /// Retry-After on injected 429 and 503 answers.
    #[serde(default = "one_second")]
    pub retry_after_seconds: f64,
    #[serde(default)]
    pub retry_after_format: RetryAfterFormat,
    /// Stop after injecting this many faults (latency does not count); unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The error message instead of Graph's usual one for the status, e.g. a 401 with
    /// `Access token has expired or is not yet valid.` to stand for a token that expired in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn any_path() -> String {
    "/**".to_owned()
}

fn one_second() -> f64 {
    1.0
}

/// How Retry-After is written: whole seconds (usual), a fraction (`2.128`, seen from Graph), an HTTP-date, or not at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfterFormat {
    #[default]
    Seconds,
    Fraction,
    HttpDate,
    None,
}

/// What to do to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub latency: Duration,
    pub fault: Option<Fault>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Status(GraphError),
    Drop,
    Truncate,
    NonJson,
}

impl Fault {
    /// How the request log names it.
    pub fn label(&self) -> String {
        match self {
            Fault::Status(e) => format!("status:{}", e.status.as_u16()),
            Fault::Drop => "drop".into(),
            Fault::Truncate => "truncate".into(),
            Fault::NonJson => "nonJson".into(),
        }
    }
}

/// The active profile and its generator.
#[derive(Debug)]
pub struct Faults {
    profile: FaultProfile,
    injected: Vec<u64>,
    rng: StdRng,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::new(FaultProfile::default(), None)
    }
}

impl Faults {
    /// `seed` (from `--seed`) wins over the profile's own; without either the faults differ per run.
    pub fn new(profile: FaultProfile, seed: Option<u64>) -> Self {
        let seed = seed.or(profile.seed);
        Faults {
            injected: vec![0; profile.rules.len()],
            rng: match seed {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => StdRng::from_entropy(),
            },
            profile,
        }
    }

    pub fn profile(&self) -> &FaultProfile {
        &self.profile
    }

    /// Puts batch answers in an order clients must not rely on, reproducibly under a seed.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        use rand::seq::SliceRandom;
        items.shuffle(&mut self.rng);
    }

    pub fn validate(profile: &FaultProfile) -> Result<(), String> {
        for (i, rule) in profile.rules.iter().enumerate() {
            for (name, rate) in [
                ("failureRate", rule.failure_rate),
                ("dropRate", rule.drop_rate),
                ("truncateRate", rule.truncate_rate),
                ("nonJsonRate", rule.non_json_rate),
            ] {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("rules[{i}].{name} must be between 0 and 1"));
                }
            }
            if rule.failure_rate + rule.drop_rate + rule.truncate_rate + rule.non_json_rate
                > 1.0 + 1e-9
            {
                return Err(format!("rules[{i}]: the rates add up to more than 1"));
            }
            for status in &rule.statuses {
                if StatusCode::from_u16(*status)
                    .map_or(true, |s| !s.is_client_error() && !s.is_server_error())
                {
                    return Err(format!(
                        "rules[{i}].statuses: {status} is not an error status"
                    ));
                }
            }
            if !(rule.retry_after_seconds >= 0.0 && rule.retry_after_seconds.is_finite()) {
                return Err(format!(
                    "rules[{i}].retryAfterSeconds must be a non-negative number"
                ));
            }
        }
        Ok(())
    }

    /// Decides the fate of one request. Batch items (`whole_request` false) only get error statuses:
    /// latency, drops and broken bodies belong to the HTTP exchange, which is the batch's.
    pub fn decide(&mut self, method: &str, path: &str, whole_request: bool) -> Decision {
        let none = Decision {
            latency: Duration::ZERO,
            fault: None,
        };
        let Some(index) = self.profile.rules.iter().position(|rule| {
            rule.method
                .as_deref()
                .map_or(true, |m| m.eq_ignore_ascii_case(method))
                && path_matches(&rule.path, path)
        }) else {
            return none;
        };
        let rule = self.profile.rules[index].clone();
        let latency = if whole_request {
            let jitter = if rule.jitter_ms > 0 {
                self.rng.gen_range(0..=rule.jitter_ms)
            } else {
                0
            };
            Duration::from_millis(rule.latency_ms + jitter)
        } else {
            Duration::ZERO
        };
        if rule.count.is_some_and(|n| self.injected[index] >= n) {
            return Decision {
                latency,
                fault: None,
            };
        }
        let draw: f64 = self.rng.gen();
        let mut edge = rule.failure_rate;
        let fault = if draw < edge {
            let statuses = if rule.statuses.is_empty() {
                DEFAULT_STATUSES
            } else {
                &rule.statuses
            };
            let status = statuses[self.rng.gen_range(0..statuses.len())];
            Some(Fault::Status(graph_error_for(status, &rule)))
        } else if whole_request && {
            edge += rule.drop_rate;
            draw < edge
        } {
            Some(Fault::Drop)
        } else if whole_request && {
            edge += rule.non_json_rate;
            draw < edge
        } {
            Some(Fault::NonJson)
        } else if whole_request && {
            edge += rule.truncate_rate;
            draw < edge
        } {
            Some(Fault::Truncate)
        } else {
            None
        };
        if fault.is_some() {
            self.injected[index] += 1;
        }
        Decision { latency, fault }
    }
}

/// The body and headers Graph sends with each of these statuses.
pub fn graph_error_for(status: u16, rule: &FaultRule) -> GraphError {
    let (code, message): (&'static str, &str) = match status {
        429 => ("TooManyRequests", "Please retry again later."),
        500 => ("InternalServerError", "The service encountered an internal error. Please retry the request."),
        502 => ("BadGateway", "The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request."),
        503 => ("ServiceUnavailable", "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header."),
        504 => ("GatewayTimeout", "The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request."),
        507 => ("InsufficientStorage", "The maximum storage quota has been reached."),
        400 => ("BadRequest", "Cannot process the request because it is malformed or incorrect."),
        401 => ("InvalidAuthenticationToken", "Access token validation failure."),
        403 => ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        404 => ("Request_ResourceNotFound", "The requested resource does not exist."),
        409 => ("Conflict", "The current state conflicts with what the request expects."),
        _ => ("UnknownError", "An injected failure."),
    };
    let message = rule.message.as_deref().unwrap_or(message);
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut error = GraphError::new(status_code, code, message);
    if status == 429 || status == 503 {
        if let Some(value) = retry_after_value(
            rule.retry_after_seconds,
            rule.retry_after_format,
            SystemTime::now(),
        ) {
            error = error.with_header(hyper::header::RETRY_AFTER, value);
        }
    }
    error
}

pub fn retry_after_value(
    seconds: f64,
    format: RetryAfterFormat,
    now: SystemTime,
) -> Option<String> {
    match format {
        RetryAfterFormat::Seconds => Some(format!("{}", seconds.ceil() as u64)),
        RetryAfterFormat::Fraction => Some(format!("{seconds:.3}")),
        // HTTP-dates have whole seconds: round up so the client never comes back early.
        RetryAfterFormat::HttpDate => Some(httpdate::fmt_http_date(
            now + Duration::from_secs(seconds.ceil() as u64 + 1),
        )),
        RetryAfterFormat::None => None,
    }
}

/// `**` matches any number of segments, `*` any characters inside one segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments_match(rest, &path[skip..])),
        Some((first, rest)) => {
            !path.is_empty() && wildcard(first, path[0]) && segments_match(rest, &path[1..])
        }
    }
}

fn wildcard(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let text = text.to_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultProfile {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches(
            "/**",
            "/v1.0/users/x/reprocessLicenseAssignment"
        ));
        assert!(path_matches(
            "/*/users/*/reprocessLicenseAssignment",
            "/beta/users/a%40b/REPROCESSLICENSEASSIGNMENT"
        ));
        assert!(!path_matches(
            "/*/users/*/reprocessLicenseAssignment",
            "/v1.0/users/x"
        ));
        assert!(path_matches(
            "/v1.0/**/members*",
            "/v1.0/groups/g/membersWithLicenseErrors"
        ));
        assert!(path_matches("/v1.0/users", "/v1.0/users/"));
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let profile =
            rule(r#"{"rules":[{"failureRate":0.5,"dropRate":0.2,"latencyMs":5,"jitterMs":10}]}"#);
        let run = |seed| {
            let mut faults = Faults::new(profile.clone(), Some(seed));
            (0..50)
                .map(|_| {
                    let d = faults.decide("POST", "/v1.0/users/x", true);
                    (d.latency, d.fault.map(|f| f.label()))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let kinds: Vec<_> = run(7).into_iter().filter_map(|(_, f)| f).collect();
        assert!(kinds.iter().any(|k| k == "drop"));
        assert!(kinds.iter().any(|k| k.starts_with("status:")));
    }

    #[test]
    fn latency_is_drawn_between_latency_and_latency_plus_jitter() {
        let profile = rule(r#"{"rules":[{"latencyMs":20,"jitterMs":30}]}"#);
        let mut faults = Faults::new(profile, Some(5));
        let drawn: Vec<Duration> = (0..500)
            .map(|_| faults.decide("GET", "/v1.0/users/x", true).latency)
            .collect();
        let (low, high) = (Duration::from_millis(20), Duration::from_millis(50));
        assert!(drawn.iter().all(|d| (low..=high).contains(d)), "{drawn:?}");
        let mut distinct = drawn.clone();
        distinct.sort();
        distinct.dedup();
        // 31 possible values and 500 draws: a fixed delay, or one stuck at an end, cannot pass.
        assert!(distinct.len() > 20, "{distinct:?}");
        assert!(distinct.first() < Some(&Duration::from_millis(25)));
        assert!(distinct.last() > Some(&Duration::from_millis(45)));
        // Without jitter the delay is exactly latencyMs; batch items get none (the batch had it).
        let mut fixed = Faults::new(rule(r#"{"rules":[{"latencyMs":20}]}"#), Some(5));
        assert_eq!(fixed.decide("GET", "/x", true).latency, low);
        assert_eq!(fixed.decide("GET", "/x", false).latency, Duration::ZERO);
    }

    #[test]
    fn count_limits_and_batch_items_only_get_statuses() {
        let profile = rule(
            r#"{"rules":[{"method":"post","failureRate":1,"statuses":[503],"count":2,"retryAfterFormat":"fraction","retryAfterSeconds":2.128}]}"#,
        );
        let mut faults = Faults::new(profile, Some(1));
        let first = faults.decide("POST", "/v1.0/users/x", false);
        match first.fault {
            Some(Fault::Status(e)) => {
                assert_eq!(e.code, "ServiceUnavailable");
                assert_eq!(e.headers[0].1, "2.128");
            }
            other => panic!("{other:?}"),
        }
        assert!(faults.decide("POST", "/v1.0/users/x", true).fault.is_some());
        assert!(faults.decide("POST", "/v1.0/users/x", true).fault.is_none());
        assert!(faults.decide("GET", "/v1.0/users/x", true).fault.is_none());

        let drops = rule(r#"{"rules":[{"dropRate":1}]}"#);
        let mut faults = Faults::new(drops, Some(1));
        assert_eq!(faults.decide("GET", "/x", false).fault, None);
        assert_eq!(faults.decide("GET", "/x", true).fault, Some(Fault::Drop));
    }

    #[test]
    fn retry_after_shapes_and_validation() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_482_123);
        assert_eq!(
            retry_after_value(1.2, RetryAfterFormat::Seconds, now).unwrap(),
            "2"
        );
        assert_eq!(
            retry_after_value(0.5, RetryAfterFormat::Fraction, now).unwrap(),
            "0.500"
        );
        let date = retry_after_value(1.0, RetryAfterFormat::HttpDate, now).unwrap();
        assert_eq!(
            httpdate::parse_http_date(&date).unwrap(),
            now + Duration::from_secs(2)
        );
        assert_eq!(retry_after_value(1.0, RetryAfterFormat::None, now), None);
        assert!(
            Faults::validate(&rule(r#"{"rules":[{"failureRate":0.7,"dropRate":0.7}]}"#)).is_err()
        );
        assert!(
            Faults::validate(&rule(r#"{"rules":[{"failureRate":0.5,"statuses":[200]}]}"#)).is_err()
        );
        assert!(Faults::validate(&rule(
            r#"{"rules":[{"failureRate":0.5,"statuses":[429,507]}]}"#
        ))
        .is_ok());
    }
}
