//! UTC time in the shapes Graph writes it (innerError dates, log times, token claims) without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, the unit of JWT `iat`/`nbf`/`exp`.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `2026-11-24T01:02:03`: Graph's `innerError.date` has neither fraction nor zone.
pub fn graph_error_date(t: SystemTime) -> String {
    let (date, hms, _) = split(t);
    format!("{date}T{hms}")
}

/// `2026-11-24T01:02:03.123Z`: millisecond precision so log entries of one burst stay distinguishable.
pub fn iso8601_millis(t: SystemTime) -> String {
    let (date, hms, millis) = split(t);
    format!("{date}T{hms}.{millis:03}Z")
}

/// `2026-11-24T01:02:03Z`: how Graph writes license timestamps (`lastUpdatedDateTime`, `assignedDateTime`).
pub fn iso8601_seconds(t: SystemTime) -> String {
    let (date, hms, _) = split(t);
    format!("{date}T{hms}Z")
}

fn split(t: SystemTime) -> (String, String, u32) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
        since.subsec_millis(),
    )
}

// Howard Hinnant's days-to-civil algorithm: exact for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2026-11-24T01:02:03.456Z
        let t = UNIX_EPOCH + Duration::from_millis(1_795_482_123_456);
        assert_eq!(graph_error_date(t), "2026-11-24T01:02:03");
        assert_eq!(iso8601_millis(t), "2026-11-24T01:02:03.456Z");
        assert_eq!(graph_error_date(UNIX_EPOCH), "1970-01-01T00:00:00");
        // Leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(graph_error_date(leap), "2024-02-29T00:00:00");
    }
}
