//! Bulk execution: many calls in flight at once, answers handed back in input order.
//!
//! A runbook that pipes 10,000 users into Invoke-MgLicenseUser should run at the tenant's
//! throttle budget, not at one round trip per user. Calls run concurrently (at most
//! `throttle_limit` in flight, paced by the client's shared pacer), while the front end feeds
//! inputs and takes results on its own thread. Memory stays flat: at most `max_outstanding`
//! inputs are held between submission and hand-over, and a result handed over is forgotten.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::client::{Client, Response};
use crate::error::Error;
use crate::operation::RequestSpec;
use crate::runtime::runtime;

/// Most calls in flight by default; chosen from bench/'s measurements (docs/benchmarks.md).
pub const DEFAULT_THROTTLE_LIMIT: usize = 10;

/// Options of a bulk run.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkOptions {
    /// Most calls in flight (PowerShell's -ThrottleLimit).
    pub throttle_limit: Option<usize>,
    /// Most inputs held between submission and hand-over; default four times the limit.
    pub max_outstanding: Option<usize>,
}

pub type Outcome = Result<Response, Error>;

/// What `next` found.
#[derive(Debug)]
pub enum Next {
    /// The next result in input order.
    Item(u64, Outcome),
    /// Nothing ready yet.
    Pending,
    /// Input finished and every result handed over.
    Done,
    /// The run was cancelled; nothing more will come.
    Cancelled,
}

/// Why `submit` did not take an input.
#[derive(Debug)]
pub enum Refused {
    /// Too many results are waiting to be taken: take some first.
    Busy,
    /// The run no longer accepts inputs (finished or cancelled).
    Closed,
    /// The input can never be sent (bad identity or headers, no connection). It is not queued,
    /// so the caller can hand over the results before it, then report it in its place.
    Invalid(Error),
}

/// Counts for a progress display.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub submitted: u64,
    pub completed: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u64,
    /// Calls answered whose user is being followed until processed (-Wait).
    pub waiting: u64,
    pub handed_over: u64,
    pub elapsed_seconds: f64,
    /// Completed calls per second since the start.
    pub rate_per_second: f64,
    /// The pace the client settled on, when the service has pushed back.
    pub paced_rate_per_second: Option<f64>,
    /// Seconds left of a throttling wait, when one is running.
    pub throttle_wait_seconds: Option<f64>,
    pub retries: u64,
}

#[derive(Default)]
struct State {
    next_index: u64,
    next_to_hand_over: u64,
    ready: BTreeMap<u64, Outcome>,
    tasks: HashMap<u64, JoinHandle<()>>,
    input_finished: bool,
    cancelled: bool,
    progress: Progress,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Bulk {
    client: Arc<Client>,
    slots: Arc<Semaphore>,
    max_outstanding: usize,
    shared: Arc<Shared>,
    started: Instant,
    /// The client's retry count when the run began: progress counts this run's retries.
    retries_before: u64,
}

impl Bulk {
    pub fn new(client: Arc<Client>, options: BulkOptions) -> Result<Bulk, Error> {
        let limit = options.throttle_limit.unwrap_or(DEFAULT_THROTTLE_LIMIT);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid_argument(format!("ThrottleLimit is {limit}; it must be between 1 and 1000.")));
        }
        let max_outstanding = options.max_outstanding.unwrap_or(limit * 4).max(limit);
        runtime()?;
        let retries_before = client.pacing().retries;
        Ok(Bulk {
            client,
            slots: Arc::new(Semaphore::new(limit)),
            max_outstanding,
            shared: Arc::new(Shared { state: Mutex::new(State::default()), changed: Condvar::new() }),
            started: Instant::now(),
            retries_before,
        })
    }

    /// Queues one input. Input that can never be sent is refused at once, not queued: a front
    /// end that stops at such an input (as PowerShell does at an identity without a user) must
    /// be able to stop before anything after it is sent.
    pub fn submit(&self, spec: &RequestSpec) -> Result<u64, Refused> {
        let mut state = self.shared.lock();
        if state.cancelled || state.input_finished {
            return Err(Refused::Closed);
        }
        let outstanding = state.next_index - state.next_to_hand_over;
        if outstanding as usize >= self.max_outstanding {
            return Err(Refused::Busy);
        }
        let call = self.client.prepare(spec).map_err(Refused::Invalid)?;
        let index = state.next_index;
        state.next_index += 1;
        state.progress.submitted += 1;
        let (client, slots, shared) = (Arc::clone(&self.client), Arc::clone(&self.slots), Arc::clone(&self.shared));
        let rt = runtime().expect("created in Bulk::new");
        let task = rt.spawn(async move {
            let outcome = {
                let Ok(_permit) = slots.acquire_owned().await else { return };
                shared.lock().progress.in_flight += 1;
                let outcome = client.run(&call).await;
                shared.lock().progress.in_flight -= 1;
                outcome
            };
            // A wait holds no slot: the next writes go out while this user is being followed.
            let outcome = match outcome {
                Ok(response) if Client::waits(&call) => {
                    shared.lock().progress.waiting += 1;
                    let response = client.wait_if_asked(&call, response).await;
                    shared.lock().progress.waiting -= 1;
                    Ok(response)
                }
                other => other,
            };
            let mut state = shared.lock();
            state.tasks.remove(&index);
            if !state.cancelled {
                record(&mut state, index, outcome);
            }
            drop(state);
            shared.changed.notify_all();
        });
        if !task.is_finished() {
            state.tasks.insert(index, task);
        }
        Ok(index)
    }

    /// No more inputs will come; `next` says `Done` once all results are handed over.
    pub fn finish_input(&self) {
        self.shared.lock().input_finished = true;
        self.shared.changed.notify_all();
    }

    /// Waits up to `timeout` for the next result in input order.
    pub fn next(&self, timeout: Option<Duration>) -> Next {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.shared.lock();
        loop {
            if state.cancelled {
                return Next::Cancelled;
            }
            let index = state.next_to_hand_over;
            if let Some(outcome) = state.ready.remove(&index) {
                state.next_to_hand_over += 1;
                state.progress.handed_over += 1;
                return Next::Item(index, outcome);
            }
            if state.input_finished && state.next_to_hand_over == state.next_index {
                return Next::Done;
            }
            state = match deadline {
                None => self.shared.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Next::Pending;
                    }
                    self.shared.changed.wait_timeout(state, d - now).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }

    /// Stops the run: calls in flight are dropped, queued ones never start, and nothing more
    /// is handed over.
    pub fn cancel(&self) {
        let mut state = self.shared.lock();
        state.cancelled = true;
        for (_, task) in state.tasks.drain() {
            task.abort();
        }
        state.ready.clear();
        drop(state);
        self.slots.close();
        self.shared.changed.notify_all();
    }

    pub fn progress(&self) -> Progress {
        let mut p = self.shared.lock().progress.clone();
        let elapsed = self.started.elapsed().as_secs_f64();
        p.elapsed_seconds = elapsed;
        p.rate_per_second = if elapsed > 0.0 { p.completed as f64 / elapsed } else { 0.0 };
        let pacing = self.client.pacing();
        p.paced_rate_per_second = pacing.rate;
        p.throttle_wait_seconds = pacing.paused_for.map(|d| d.as_secs_f64());
        p.retries = pacing.retries.saturating_sub(self.retries_before);
        p
    }
}

impl Drop for Bulk {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn record(state: &mut State, index: u64, outcome: Outcome) {
    state.progress.completed += 1;
    match &outcome {
        Ok(_) => state.progress.succeeded += 1,
        Err(_) => state.progress.failed += 1,
    }
    state.ready.insert(index, outcome);
}
