//! Pacing: sending at the rate the tenant's throttle budget allows, not faster.
//!
//! Graph throttles one app in one tenant with token buckets (graph-facts §4): past the budget
//! every request is a 429 and early retries are penalised. A client that only reacts to 429s
//! swings between bursts and storms. The pacer instead
//! - stops every sender until a Retry-After has passed (nobody retries early),
//! - learns the sustainable rate from how many calls succeeded while the budget was exhausted,
//! - slows down when `x-ms-throttle-limit-percentage` says the budget is nearly used,
//! - and probes upward slowly while all is well.
//!
//! It is shared by every call of a client, since the budget is shared too.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Slowest pace it will settle on, so a run never stalls entirely.
const MIN_RATE: f64 = 0.5;
/// How far back successes are counted to estimate the sustainable rate.
const WINDOW: Duration = Duration::from_secs(10);
/// Growth per second of calm while paced: slow enough not to provoke a storm.
const PROBE_PER_SECOND: f64 = 0.01;

#[derive(Debug)]
struct State {
    /// No call starts before this (a Retry-After is running).
    paused_until: Option<Instant>,
    /// Calls per second; `None` until the server first pushes back.
    rate: Option<f64>,
    /// When the next call may start under `rate`.
    next_slot: Instant,
    last_adjust: Instant,
    /// Start times of recent successful calls, for the rate estimate.
    successes: VecDeque<Instant>,
}

/// What the pacer made a caller do, for progress reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacerView {
    pub rate: Option<f64>,
    pub paused_for: Option<Duration>,
}

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

impl Default for Pacer {
    fn default() -> Self {
        let now = Instant::now();
        Pacer {
            state: Mutex::new(State { paused_until: None, rate: None, next_slot: now, last_adjust: now, successes: VecDeque::new() }),
        }
    }
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves a start time for one call and returns how long to wait for it.
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut s = self.lock();
        let mut start = now;
        if let Some(until) = s.paused_until {
            if until > start {
                start = until;
            } else {
                s.paused_until = None;
            }
        }
        if let Some(rate) = s.rate {
            start = start.max(s.next_slot);
            s.next_slot = start + Duration::from_secs_f64(1.0 / rate);
        }
        start.saturating_duration_since(now)
    }

    /// Waits for this call's turn.
    pub async fn acquire(&self) -> Duration {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        wait
    }

    /// A call succeeded; `limit_percentage` is the server's x-ms-throttle-limit-percentage.
    pub fn on_success(&self, now: Instant, limit_percentage: Option<f64>) {
        let mut s = self.lock();
        s.successes.push_back(now);
        while s.successes.front().map_or(false, |t| now.duration_since(*t) > WINDOW) {
            s.successes.pop_front();
        }
        let elapsed = now.saturating_duration_since(s.last_adjust).as_secs_f64();
        match (s.rate, limit_percentage) {
            (_, Some(p)) if p >= 1.0 => {
                let base = s.rate.unwrap_or_else(|| observed_rate(&s.successes, now));
                s.rate = Some((base * 0.9).max(MIN_RATE));
                s.last_adjust = now;
            }
            (_, Some(p)) if p >= 0.8 => {
                // Close to the limit: hold the pace, and start pacing if we were not.
                if s.rate.is_none() {
                    s.rate = Some(observed_rate(&s.successes, now).max(MIN_RATE));
                }
                s.last_adjust = now;
            }
            (Some(rate), _) if elapsed >= 1.0 => {
                s.rate = Some(rate * (1.0 + PROBE_PER_SECOND * elapsed));
                s.last_adjust = now;
            }
            _ => {}
        }
    }

    /// The server said 429 (or 503) and asked for `retry_after`: everyone waits that long,
    /// and the pace drops to what the budget has shown it sustains.
    pub fn on_throttled(&self, now: Instant, retry_after: Duration) {
        let mut s = self.lock();
        let until = now + retry_after;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        let sustained = observed_rate(&s.successes, now);
        let current = s.rate.unwrap_or(f64::INFINITY);
        // Only lower the pace once per burst of 429s, not once per 429 of a burst.
        if now.saturating_duration_since(s.last_adjust) >= Duration::from_millis(500) || s.rate.is_none() {
            s.rate = Some(current.min(sustained * 0.95).max(MIN_RATE));
            s.last_adjust = now;
        }
        s.next_slot = s.next_slot.max(until);
    }

    pub fn view(&self, now: Instant) -> PacerView {
        let s = self.lock();
        PacerView { rate: s.rate, paused_for: s.paused_until.and_then(|u| u.checked_duration_since(now)) }
    }
}

/// Successes per second over the window (or over the part of it that has passed).
fn observed_rate(successes: &VecDeque<Instant>, now: Instant) -> f64 {
    match successes.front() {
        Some(first) => {
            let span = now.saturating_duration_since(*first).as_secs_f64().max(1.0);
            successes.len() as f64 / span
        }
        None => MIN_RATE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpaced_until_the_server_pushes_back() {
        let p = Pacer::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(p.reserve(t0), Duration::ZERO);
        }
        assert_eq!(p.view(t0).rate, None);
    }

    #[test]
    fn a_429_stops_everyone_for_its_retry_after() {
        let p = Pacer::default();
        let t0 = Instant::now();
        p.on_throttled(t0, Duration::from_secs(2));
        assert!(p.reserve(t0) >= Duration::from_secs(2));
        assert!(p.reserve(t0 + Duration::from_millis(500)) >= Duration::from_millis(1500));
        assert_eq!(p.view(t0).paused_for, Some(Duration::from_secs(2)));
    }

    #[test]
    fn the_pace_settles_near_the_rate_that_succeeded() {
        let p = Pacer::default();
        let t0 = Instant::now();
        // 20 successes a second for 10 seconds, then a 429.
        for i in 0..200 {
            p.on_success(t0 + Duration::from_millis(50 * i), None);
        }
        let t1 = t0 + Duration::from_secs(10);
        p.on_throttled(t1, Duration::from_secs(1));
        let rate = p.view(t1).rate.unwrap();
        assert!((18.0..=20.0).contains(&rate), "{rate}");
        // Calls are then spaced 1/rate apart after the pause.
        let a = p.reserve(t1);
        let b = p.reserve(t1);
        let gap = (b - a).as_secs_f64();
        assert!((gap - 1.0 / rate).abs() < 1e-6, "{gap}");
    }

    #[test]
    fn near_the_limit_it_holds_then_backs_off_past_it() {
        let p = Pacer::default();
        let t0 = Instant::now();
        for i in 0..50 {
            p.on_success(t0 + Duration::from_millis(100 * i), None);
        }
        let t1 = t0 + Duration::from_secs(5);
        p.on_success(t1, Some(0.85));
        let held = p.view(t1).rate.unwrap();
        p.on_success(t1 + Duration::from_secs(2), Some(1.2));
        assert!(p.view(t1).rate.unwrap() < held);
    }

    #[test]
    fn calm_lets_the_pace_creep_up() {
        let p = Pacer::default();
        let t0 = Instant::now();
        p.on_throttled(t0, Duration::ZERO);
        let start = p.view(t0).rate.unwrap();
        for s in 1..=10 {
            p.on_success(t0 + Duration::from_secs(s), None);
        }
        assert!(p.view(t0).rate.unwrap() > start);
    }
}
