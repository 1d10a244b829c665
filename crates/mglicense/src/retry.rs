//! When and how long to wait before trying a call again.
//!
//! The defaults are the official SDK's (its retry handler, and Set-MgRequestContext's MaxRetry,
//! RetryDelay and RetriesTimeLimit:
//! <https://learn.microsoft.com/en-us/powershell/module/microsoft.graph.authentication/set-mgrequestcontext>):
//! 429, 503 and 504 are retried, up to
//! three times, waiting what Retry-After says or else `delay * 2^attempt`, each wait capped at
//! 180 s. Admins change them with Set-MgRequestContext.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Longest single wait, whatever the server asks for.
pub const MAX_WAIT: Duration = Duration::from_secs(180);

/// Most retries an admin may ask for (the official limit).
pub const MAX_RETRY_LIMIT: u32 = 10;

/// The request context of Get-MgRequestContext / Set-MgRequestContext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestContext {
    /// Retries after the first attempt.
    pub max_retry: u32,
    /// Seconds of the first back-off wait when the server gives no Retry-After.
    pub retry_delay_seconds: u32,
    /// Seconds all retries of one call may take together; 0 means no limit.
    pub retries_time_limit_seconds: u64,
    /// Seconds one attempt may take before it is abandoned.
    pub client_timeout_seconds: u64,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            max_retry: 3,
            retry_delay_seconds: 3,
            retries_time_limit_seconds: 0,
            client_timeout_seconds: 300,
        }
    }
}

/// A partial update, as Set-MgRequestContext gives only the parameters it was called with.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestContextUpdate {
    pub max_retry: Option<u32>,
    pub retry_delay_seconds: Option<u32>,
    pub retries_time_limit_seconds: Option<u64>,
    pub client_timeout_seconds: Option<u64>,
}

impl RequestContext {
    pub fn apply(&self, update: RequestContextUpdate) -> Result<RequestContext, Error> {
        let next = RequestContext {
            max_retry: update.max_retry.unwrap_or(self.max_retry),
            retry_delay_seconds: update
                .retry_delay_seconds
                .unwrap_or(self.retry_delay_seconds),
            retries_time_limit_seconds: update
                .retries_time_limit_seconds
                .unwrap_or(self.retries_time_limit_seconds),
            client_timeout_seconds: update
                .client_timeout_seconds
                .unwrap_or(self.client_timeout_seconds),
        };
        if next.max_retry > MAX_RETRY_LIMIT {
            return Err(Error::invalid_argument(format!(
                "MaxRetry is {}; it can be at most {MAX_RETRY_LIMIT}.",
                next.max_retry
            )));
        }
        if next.retry_delay_seconds > 180 {
            return Err(Error::invalid_argument(format!(
                "RetryDelay is {} s; it can be at most 180.",
                next.retry_delay_seconds
            )));
        }
        if next.client_timeout_seconds == 0 {
            return Err(Error::invalid_argument(
                "ClientTimeout must be at least one second.",
            ));
        }
        Ok(next)
    }
}

/// Statuses worth another try: the service said "later", not "no".
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Reads Retry-After: whole or fractional seconds, or an HTTP-date. Anything else (negative,
/// not a number, absurd) is ignored, and the caller backs off exponentially instead.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(MAX_WAIT.as_secs_f64())));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

/// The wait before retry number `attempt` (1-based).
pub fn delay(context: &RequestContext, attempt: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(d) => d.min(MAX_WAIT),
        None => {
            let base = Duration::from_secs(u64::from(context.retry_delay_seconds));
            base.saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
                .min(MAX_WAIT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_fractions_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_secs_f64(2.128))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999", now), Some(MAX_WAIT));
        for bad in ["-1", "soon", "", "NaN", "inf"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_from_the_retry_delay_and_is_capped() {
        let c = RequestContext::default();
        assert_eq!(delay(&c, 1, None), Duration::from_secs(6));
        assert_eq!(delay(&c, 2, None), Duration::from_secs(12));
        assert_eq!(delay(&c, 10, None), MAX_WAIT);
        assert_eq!(
            delay(&c, 1, Some(Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn only_throttling_and_unavailability_are_retried() {
        assert!(is_retryable(429) && is_retryable(503) && is_retryable(504));
        assert!(!is_retryable(500) && !is_retryable(404) && !is_retryable(502));
    }

    #[test]
    fn the_context_is_checked_when_changed() {
        let c = RequestContext::default();
        let up = |json: &str| c.apply(serde_json::from_str(json).unwrap());
        assert_eq!(up(r#"{"maxRetry": 10}"#).unwrap().max_retry, 10);
        assert!(up(r#"{"maxRetry": 11}"#)
            .unwrap_err()
            .message
            .contains("at most 10"));
        assert!(up(r#"{"clientTimeoutSeconds": 0}"#).is_err());
        assert_eq!(up("{}").unwrap(), c);
    }
}
