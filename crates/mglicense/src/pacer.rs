//! Pacing: sending at the rate the tenant's throttle budget allows, not faster.
//!
//! Graph throttles one app in one tenant with token buckets (<https://learn.microsoft.com/en-us/graph/throttling-limits>): past the budget
//! every request is a 429 and early retries are penalised. A client that only reacts to 429s
//! swings between bursts and storms. The pacer instead
//! - stops every sender until a Retry-After has passed (nobody retries early),
//! - when the service says its budget is spent (a 429 naming a throttle scope), lowers the pace
//!   to 70 % of what was being sent, at most once per Retry-After,
//! - holds the pace while `x-ms-throttle-limit-percentage` says the budget is nearly used, and
//!   eases off past 95 %,
//! - and otherwise raises the pace by 10 % a second, dropping pacing altogether once it no
//!   longer holds anything back.
//!
//! It is shared by every call of a client, since the budget is shared too.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Slowest pace it will settle on, so a run never stalls entirely.
const MIN_RATE: f64 = 0.5;
/// How far back sends are counted to know the pace actually achieved.
const SEND_WINDOW: Duration = Duration::from_secs(2);
/// Sends this close to the first of a run are counted with it: the window keeps at most one
/// entry per millisecond however fast calls go (unthrottled, thousands a second), not one per call.
const SEND_GRAIN: Duration = Duration::from_millis(1);
/// Multiplicative decrease when the budget is spent.
const DECREASE: f64 = 0.7;
/// Growth per calm second.
const INCREASE: f64 = 1.1;

#[derive(Debug)]
struct State {
    /// No call starts before this (a Retry-After is running).
    paused_until: Option<Instant>,
    /// Calls per second; `None` while nothing calls for pacing.
    rate: Option<f64>,
    /// When the next call may start under `rate`.
    next_slot: Instant,
    last_decrease: Option<Instant>,
    last_increase: Instant,
    /// Recent calls: when each run of them started (within [`SEND_GRAIN`]) and how many.
    sends: VecDeque<(Instant, u32)>,
    /// The calls in `sends`.
    sends_counted: u64,
    created: Instant,
    /// When the last throttle answer arrived.
    last_throttled: Option<Instant>,
    /// Retries sent by every call of the client, for progress reporting.
    retries: u64,
}

impl State {
    /// Calls started per second over the last [`SEND_WINDOW`].
    fn send_rate(&mut self, now: Instant) -> f64 {
        while let Some(&(t, n)) = self.sends.front() {
            if now.saturating_duration_since(t) <= SEND_WINDOW {
                break;
            }
            self.sends.pop_front();
            self.sends_counted -= u64::from(n);
        }
        let span = now
            .saturating_duration_since(self.created)
            .min(SEND_WINDOW)
            .as_secs_f64()
            .max(0.25);
        self.sends_counted as f64 / span
    }

    /// Counts a call started at `start`.
    fn record_send(&mut self, start: Instant) {
        self.sends_counted += 1;
        if let Some((t, n)) = self.sends.back_mut() {
            if start >= *t && start.duration_since(*t) < SEND_GRAIN && *n < u32::MAX {
                *n += 1;
                return;
            }
        }
        self.sends.push_back((start, 1));
    }
}

/// What the pacer made a caller do, for progress reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacerView {
    pub rate: Option<f64>,
    pub paused_for: Option<Duration>,
    /// Retries so far, over the client's lifetime.
    pub retries: u64,
}

impl PacerView {
    /// Retries since an earlier view whose count was `before` (a run's or a request's start).
    pub fn retries_since(&self, before: u64) -> u64 {
        self.retries.saturating_sub(before)
    }

    /// How much longer a Retry-After holds every paced call back, in seconds, when one does.
    pub fn throttle_wait_seconds(&self) -> Option<f64> {
        self.paused_for.map(|d| d.as_secs_f64())
    }
}

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    /// Callers waiting for their turn, first come first served.
    gate: tokio::sync::Mutex<()>,
}

impl Default for Pacer {
    fn default() -> Self {
        let now = Instant::now();
        Pacer {
            state: Mutex::new(State {
                paused_until: None,
                rate: None,
                next_slot: now,
                last_decrease: None,
                last_increase: now,
                sends: VecDeque::new(),
                sends_counted: 0,
                created: now,
                last_throttled: None,
                retries: 0,
            }),
            gate: tokio::sync::Mutex::new(()),
        }
    }
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The first moment a call may start: after any Retry-After and, when paced, the next slot.
    fn earliest(s: &mut State, now: Instant) -> Instant {
        let mut start = now;
        if let Some(until) = s.paused_until {
            if until > now {
                start = until;
            } else {
                s.paused_until = None;
            }
        }
        if s.rate.is_some() {
            start = start.max(s.next_slot);
        }
        start
    }

    fn take(s: &mut State, start: Instant) {
        if let Some(rate) = s.rate {
            s.next_slot = start.max(s.next_slot) + Duration::from_secs_f64(1.0 / rate);
        }
        s.record_send(start);
    }

    /// Reserves a start time for one call and returns how long to wait for it.
    #[cfg(test)]
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut s = self.lock();
        let start = Self::earliest(&mut s, now);
        Self::take(&mut s, start);
        start.saturating_duration_since(now)
    }

    /// Waits for this call's turn and returns how long it waited. Callers queue in order, and
    /// the one at the head looks again after each sleep: a Retry-After heard, or a pace lowered,
    /// while it slept holds it back too (a reservation made earlier would send into the throttle).
    pub async fn acquire(&self) -> Duration {
        let began = Instant::now();
        self.acquire_for(|| ((), 1)).await;
        began.elapsed()
    }

    /// Waits for the next turn like [`Pacer::acquire`], then asks `gather` what goes out now and
    /// how many calls that is (a JSON batch carries up to 20), and counts each of them as one
    /// send: the budget is spent per call, not per HTTP request. Gathering at the turn itself
    /// lets a batch take everything that became ready while it waited.
    pub async fn acquire_for<T>(&self, gather: impl FnOnce() -> (T, usize)) -> T {
        let _turn = self.gate.lock().await;
        loop {
            let now = Instant::now();
            let start = Self::earliest(&mut self.lock(), now);
            if start <= now {
                break;
            }
            // Sleep at most a little at a time, so a shorter wait (pacing dropped) is noticed too.
            let nap = start
                .saturating_duration_since(now)
                .min(Duration::from_millis(250));
            tokio::time::sleep(nap).await;
        }
        // Gathered outside the pacer's lock (it may take the caller's own); the gate still holds
        // every other caller back.
        let (gathered, calls) = gather();
        let now = Instant::now();
        let mut s = self.lock();
        for _ in 0..calls {
            Self::take(&mut s, now);
        }
        gathered
    }

    /// A call succeeded; `limit_percentage` is the server's x-ms-throttle-limit-percentage.
    pub fn on_success(&self, now: Instant, limit_percentage: Option<f64>) {
        let mut s = self.lock();
        let sending = s.send_rate(now);
        let calm_since_decrease = s.last_decrease.map_or(true, |d| {
            now.saturating_duration_since(d) >= Duration::from_secs(1)
        });
        match limit_percentage {
            Some(p) if p >= 0.95 => {
                if calm_since_decrease {
                    let current = s.rate.unwrap_or(sending);
                    s.rate = Some((current * 0.95).max(MIN_RATE));
                    s.last_decrease = Some(now);
                }
            }
            Some(p) if p >= 0.8 => {
                // Close to the limit: hold the pace, and start pacing if we were not.
                if s.rate.is_none() {
                    s.rate = Some(sending.max(MIN_RATE));
                }
                s.last_increase = now;
            }
            _ => {
                let since = now.saturating_duration_since(s.last_increase);
                if let (Some(rate), true, true) =
                    (s.rate, since >= Duration::from_secs(1), calm_since_decrease)
                {
                    let grown = rate * INCREASE.powf(since.as_secs_f64().min(5.0));
                    // Once the pace holds nothing back (other limits keep the sends lower), stop pacing.
                    s.rate = if grown > 2.0 * sending + 1.0 {
                        None
                    } else {
                        Some(grown)
                    };
                    s.last_increase = now;
                }
            }
        }
    }

    /// The server asked for `retry_after`: everyone waits that long. When it said the budget is
    /// spent (`budget`: a 429 naming a throttle scope), the pace also drops.
    pub fn on_throttled(&self, now: Instant, retry_after: Duration, budget: bool) {
        let mut s = self.lock();
        s.last_throttled = Some(s.last_throttled.map_or(now, |t| t.max(now)));
        let until = now + retry_after;
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        s.next_slot = s.next_slot.max(until);
        let settle = retry_after.max(Duration::from_secs(1));
        let due = s
            .last_decrease
            .map_or(true, |d| now.saturating_duration_since(d) >= settle);
        if budget && due {
            let current = match s.rate {
                Some(r) => r,
                None => s.send_rate(now),
            };
            s.rate = Some((current * DECREASE).max(MIN_RATE));
            s.last_decrease = Some(now);
            s.last_increase = until;
        }
    }

    /// A call is about to be tried again.
    pub fn on_retry(&self) {
        self.lock().retries += 1;
    }

    /// Whether a throttle answer arrived after `sent`: a call sent before the client knew of a
    /// throttle could not have waited for it, so its own 429 is that throttle's, not its fault.
    pub fn throttled_since(&self, sent: Instant) -> bool {
        self.lock().last_throttled.is_some_and(|t| t > sent)
    }

    pub fn view(&self, now: Instant) -> PacerView {
        let s = self.lock();
        PacerView {
            rate: s.rate,
            paused_for: s.paused_until.and_then(|u| u.checked_duration_since(now)),
            retries: s.retries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sends(p: &Pacer, t0: Instant, per_second: u64, seconds: u64) {
        for i in 0..per_second * seconds {
            p.reserve(t0 + Duration::from_millis(i * 1000 / per_second));
        }
    }

    #[test]
    fn the_send_window_holds_runs_not_calls() {
        let p = Pacer::default();
        let t0 = Instant::now();
        // 100,000 calls in one second, unthrottled: counted in full, kept as one entry per millisecond.
        for i in 0..100_000u64 {
            p.reserve(t0 + Duration::from_micros(i * 10));
        }
        let mut s = p.lock();
        assert!(s.sends.len() <= 1_001, "{} entries", s.sends.len());
        let t1 = t0 + Duration::from_secs(1);
        assert!(
            (s.send_rate(t1) - 100_000.0).abs() < 1.0,
            "{}",
            s.send_rate(t1)
        );
        // Two seconds later the first of them have left the window, and their entries with them.
        let t2 = t0 + Duration::from_millis(2_500);
        let rate = s.send_rate(t2);
        assert!((24_000.0..=26_000.0).contains(&rate), "{rate}");
        assert!(s.sends.len() <= 501, "{} entries", s.sends.len());
        // Calls a second apart each have their own entry.
        drop(s);
        let p = Pacer::default();
        sends(&p, t0, 1, 2);
        assert_eq!(p.lock().sends.len(), 2);
    }

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
        p.on_throttled(t0, Duration::from_secs(2), false);
        assert!(p.reserve(t0) >= Duration::from_secs(2));
        assert!(p.reserve(t0 + Duration::from_millis(500)) >= Duration::from_millis(1500));
        assert_eq!(p.view(t0).paused_for, Some(Duration::from_secs(2)));
        // A 429 that names no budget pauses but does not slow the pace.
        assert_eq!(p.view(t0).rate, None);
        // A call sent before that answer arrived meets the same throttle; one sent after it does not.
        assert!(p.throttled_since(t0 - Duration::from_millis(1)));
        assert!(!p.throttled_since(t0));
    }

    #[test]
    fn a_spent_budget_lowers_the_pace_once_per_retry_after() {
        let p = Pacer::default();
        let t0 = Instant::now();
        sends(&p, t0, 20, 2);
        let t1 = t0 + Duration::from_secs(2);
        p.on_throttled(t1, Duration::from_secs(1), true);
        let rate = p.view(t1).rate.unwrap();
        assert!((13.0..=15.0).contains(&rate), "{rate}");
        // The other 429s of the same burst do not lower it again.
        p.on_throttled(
            t1 + Duration::from_millis(100),
            Duration::from_secs(1),
            true,
        );
        assert_eq!(p.view(t1).rate.unwrap(), rate);
        // After the pause, calls are spaced 1/rate apart.
        let a = p.reserve(t1);
        let b = p.reserve(t1);
        assert!(((b - a).as_secs_f64() - 1.0 / rate).abs() < 1e-6);
    }

    #[test]
    fn near_the_limit_it_holds_then_eases_off_past_it() {
        let p = Pacer::default();
        let t0 = Instant::now();
        sends(&p, t0, 10, 2);
        let t1 = t0 + Duration::from_secs(2);
        p.on_success(t1, Some(0.85));
        let held = p.view(t1).rate.unwrap();
        p.on_success(t1 + Duration::from_secs(3), Some(0.85));
        assert_eq!(p.view(t1).rate.unwrap(), held);
        p.on_success(t1 + Duration::from_secs(4), Some(0.97));
        assert!(p.view(t1).rate.unwrap() < held);
    }

    #[test]
    fn calm_raises_the_pace_and_then_drops_pacing() {
        let p = Pacer::default();
        let t0 = Instant::now();
        sends(&p, t0, 10, 2);
        let t1 = t0 + Duration::from_secs(2);
        p.on_throttled(t1, Duration::ZERO, true);
        let start = p.view(t1).rate.unwrap();
        sends(&p, t1, 7, 2);
        p.on_success(t1 + Duration::from_secs(2), None);
        let raised = p.view(t1).rate.unwrap();
        assert!(raised > start, "{raised} <= {start}");
        // Nothing is sent any more: the pace holds nothing back, so pacing stops.
        p.on_success(t1 + Duration::from_secs(10), None);
        assert_eq!(p.view(t1).rate, None);
    }
}
