//! Bulk execution: many calls in flight at once, answers handed back in input order.
//!
//! A runbook that pipes 10,000 users into Invoke-MgLicenseUser should run at the tenant's
//! throttle budget, not at one round trip per user. Calls run concurrently (at most
//! `throttle_limit` in flight, paced by the client's shared pacer), while the front end feeds
//! inputs and takes results on its own thread. Memory stays flat: at most `max_outstanding`
//! inputs are held between submission and hand-over, and a result handed over is forgotten.
//!
//! With `batch_size` above 1 the calls go out in JSON batches (see `batch`): whenever a send
//! slot is free and the pacer gives a turn, one batch takes up to `batch_size` of the calls
//! queued at that moment (it never waits for more to arrive). Each call in a batch still counts
//! as one send against the pacer, and is retried on its own, with the single-call rules and
//! budget, after its own Retry-After; a retry goes back in the queue and rides a later batch.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::batch::{self, Member, MAX_BATCH_SIZE};
use crate::client::Client;
use crate::error::Error;
use crate::operation::RequestSpec;
use crate::response::Response;
use crate::runtime::{catch_panic, runtime};
use crate::send::{Attempts, Call, Verdict};

/// Most calls in flight by default; chosen from bench/'s measurements (docs/benchmarks.md).
pub const DEFAULT_THROTTLE_LIMIT: usize = 10;

/// Options of a bulk run.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkOptions {
    /// Most calls in flight (PowerShell's -ThrottleLimit).
    pub throttle_limit: Option<usize>,
    /// Most inputs held between submission and hand-over; default four times the limit, or
    /// with batching twice what the batches in flight carry (up to 2,000), if that is more.
    pub max_outstanding: Option<usize>,
    /// Most calls in one JSON batch (PowerShell's -BatchSize), 1 to 20; 1, the default, sends
    /// each call on its own. `throttle_limit` then counts batches in flight.
    pub batch_size: Option<usize>,
}

/// The most inputs held by default because batches need them, whatever the limit.
const MAX_DEFAULT_BATCHED_OUTSTANDING: usize = 2000;

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

/// A call waiting for a batch.
struct Queued {
    index: u64,
    call: Call,
    attempts: Attempts,
    /// Not sent (again) before this: its Retry-After, or its back-off.
    not_before: Option<Instant>,
}

impl Queued {
    fn due(&self, now: Instant) -> bool {
        self.not_before.map_or(true, |t| t <= now)
    }
}

#[derive(Default)]
struct State {
    next_index: u64,
    next_to_hand_over: u64,
    ready: BTreeMap<u64, Outcome>,
    tasks: HashMap<u64, JoinHandle<()>>,
    /// Batched runs: the calls waiting for a batch, in input order (a retry goes back in its place).
    queue: VecDeque<Queued>,
    /// Batched runs: the batches in flight, by number.
    batches: HashMap<u64, JoinHandle<()>>,
    next_batch: u64,
    input_finished: bool,
    cancelled: bool,
    /// Batched runs: the dispatcher panicked (a bug), so queued calls end with this error
    /// instead of waiting for a batch that never comes.
    broken: Option<Error>,
    progress: Progress,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Batched runs: wakes the dispatcher (a call queued, a batch done, input finished).
    work: Notify,
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
    batch_size: usize,
    /// Batched runs: the task that gathers queued calls into batches.
    dispatcher: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    started: Instant,
    /// The client's retry count when the run began: progress counts this run's retries.
    retries_before: u64,
}

impl Bulk {
    pub fn new(client: Arc<Client>, options: BulkOptions) -> Result<Bulk, Error> {
        let limit = options.throttle_limit.unwrap_or(DEFAULT_THROTTLE_LIMIT);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid_argument(format!(
                "ThrottleLimit is {limit}; it must be between 1 and 1000."
            )));
        }
        let batch_size = options.batch_size.unwrap_or(1);
        if batch_size == 0 || batch_size > MAX_BATCH_SIZE {
            return Err(Error::invalid_argument(format!(
                "BatchSize is {batch_size}; it must be between 1 and {MAX_BATCH_SIZE} (Graph's limit on requests in one batch)."
            )));
        }
        let batched = (limit * batch_size * 2).min(MAX_DEFAULT_BATCHED_OUTSTANDING);
        let max_outstanding = options
            .max_outstanding
            .unwrap_or((limit * 4).max(batched))
            .max(limit);
        let rt = runtime()?;
        let retries_before = client.pacing().retries;
        let slots = Arc::new(Semaphore::new(limit));
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            work: Notify::new(),
        });
        let dispatcher = (batch_size > 1).then(|| {
            let (client, slots, shared) =
                (Arc::clone(&client), Arc::clone(&slots), Arc::clone(&shared));
            rt.spawn(async move {
                let dispatched = catch_panic(async {
                    dispatch(Arc::clone(&client), slots, Arc::clone(&shared), batch_size).await;
                    Ok(())
                });
                if let Err(e) = dispatched.await {
                    broken(&shared, e);
                }
            })
        });
        Ok(Bulk {
            client,
            slots,
            max_outstanding,
            batch_size,
            dispatcher,
            shared,
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
        if let Some(e) = &state.broken {
            // Nothing sends queued calls any more: the call ends with what stopped the run.
            let e = e.clone();
            record(&mut state, index, Err(e));
            drop(state);
            self.shared.changed.notify_all();
            return Ok(index);
        }
        if self.batch_size > 1 {
            state.queue.push_back(Queued {
                index,
                call,
                attempts: Attempts::default(),
                not_before: None,
            });
            drop(state);
            self.shared.work.notify_one();
            return Ok(index);
        }
        let (client, slots, shared) = (
            Arc::clone(&self.client),
            Arc::clone(&self.slots),
            Arc::clone(&self.shared),
        );
        let rt = runtime().expect("created in Bulk::new");
        let task = rt.spawn(async move {
            let outcome = {
                let Ok(_permit) = slots.acquire_owned().await else {
                    return;
                };
                shared.lock().progress.in_flight += 1;
                let outcome = catch_panic(client.run(&call)).await;
                shared.lock().progress.in_flight -= 1;
                outcome
            };
            let outcome = followed(&client, &shared, &call, outcome).await;
            deliver(&shared, index, outcome);
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
        self.shared.work.notify_one();
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
                None => self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Next::Pending;
                    }
                    self.shared
                        .changed
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Stops the run: calls in flight are dropped, queued ones never start, and nothing more
    /// is handed over.
    pub fn cancel(&self) {
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        state.cancelled = true;
        if let Some(dispatcher) = &self.dispatcher {
            dispatcher.abort();
        }
        for (_, task) in state.tasks.drain().chain(state.batches.drain()) {
            task.abort();
        }
        state.ready.clear();
        state.queue.clear();
        drop(guard);
        self.slots.close();
        self.shared.changed.notify_all();
    }

    pub fn progress(&self) -> Progress {
        let mut p = self.shared.lock().progress.clone();
        let elapsed = self.started.elapsed().as_secs_f64();
        p.elapsed_seconds = elapsed;
        p.rate_per_second = if elapsed > 0.0 {
            p.completed as f64 / elapsed
        } else {
            0.0
        };
        let pacing = self.client.pacing();
        p.paced_rate_per_second = pacing.rate;
        p.throttle_wait_seconds = pacing.throttle_wait_seconds();
        p.retries = pacing.retries_since(self.retries_before);
        p
    }
}

impl Drop for Bulk {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// -Wait: after a successful call, follows its user, counted as waiting meanwhile. A wait holds
/// no slot: the next writes go out while this user is being followed.
async fn followed(client: &Client, shared: &Shared, call: &Call, outcome: Outcome) -> Outcome {
    match outcome {
        Ok(response) if Client::waits(call) => {
            shared.lock().progress.waiting += 1;
            let followed = catch_panic(async { Ok(client.wait_if_asked(call, response).await) });
            let outcome = followed.await;
            shared.lock().progress.waiting -= 1;
            outcome
        }
        other => other,
    }
}

/// A call's task is done: its outcome is ready to be handed over, unless the run was cancelled.
fn deliver(shared: &Shared, index: u64, outcome: Outcome) {
    let mut state = shared.lock();
    state.tasks.remove(&index);
    if !state.cancelled {
        record(&mut state, index, outcome);
    }
    drop(state);
    shared.changed.notify_all();
}

/// Batched runs: whenever a send slot is free, a call is due and the pacer gives a turn, sends
/// a batch of what is queued then. Ends with the run: cancelled, or input finished and every
/// call answered.
async fn dispatch(client: Arc<Client>, slots: Arc<Semaphore>, shared: Arc<Shared>, size: usize) {
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        loop {
            let next_due = {
                let state = shared.lock();
                if state.cancelled
                    || (state.input_finished && state.queue.is_empty() && state.batches.is_empty())
                {
                    return;
                }
                state
                    .queue
                    .iter()
                    .map(|q| q.not_before.unwrap_or_else(Instant::now))
                    .min()
            };
            match next_due {
                Some(due) if due <= Instant::now() => break,
                Some(due) => {
                    tokio::select! {
                        _ = shared.work.notified() => {}
                        _ = tokio::time::sleep_until(due.into()) => {}
                    }
                }
                None => shared.work.notified().await,
            }
        }
        let members = client
            .pacer()
            .acquire_for(|| {
                let members = gather(&mut shared.lock(), size);
                let calls = members.len();
                (members, calls)
            })
            .await;
        if members.is_empty() {
            continue;
        }
        let mut state = shared.lock();
        if state.cancelled {
            return;
        }
        let number = state.next_batch;
        state.next_batch += 1;
        state.progress.in_flight += members.len() as u64;
        let task = tokio::spawn(send(
            Arc::clone(&client),
            Arc::clone(&shared),
            members,
            number,
            permit,
        ));
        if !task.is_finished() {
            state.batches.insert(number, task);
        }
    }
}

/// Takes up to `size` due calls off the queue, oldest first: calls of the first due call's API
/// version and connection (a batch has one version, and one token).
fn gather(state: &mut State, size: usize) -> Vec<Queued> {
    let now = Instant::now();
    let Some(first) = state.queue.iter().position(|q| q.due(now)) else {
        return Vec::new();
    };
    let head = &state.queue[first].call;
    let (version, connection) = (
        batch::split_version(&head.prepared().path).0.to_owned(),
        Arc::clone(head.connection()),
    );
    let mut taken = Vec::with_capacity(size);
    let mut i = first;
    while i < state.queue.len() && taken.len() < size {
        let q = &state.queue[i];
        let fits = q.due(now)
            && Arc::ptr_eq(q.call.connection(), &connection)
            && batch::split_version(&q.call.prepared().path).0 == version;
        match fits.then(|| state.queue.remove(i)).flatten() {
            Some(q) => taken.push(q),
            None => i += 1,
        }
    }
    taken
}

/// Sends one batch and settles each of its calls: done (handed over, or followed first with
/// -Wait), or queued again after its wait.
async fn send(
    client: Arc<Client>,
    shared: Arc<Shared>,
    mut members: Vec<Queued>,
    number: u64,
    permit: OwnedSemaphorePermit,
) {
    let context = client.request_context();
    let connection = Arc::clone(members[0].call.connection());
    let sent = Instant::now();
    let answers = {
        let wire: Vec<Member<'_>> = members
            .iter()
            .map(|q| Member {
                prepared: q.call.prepared(),
                attempt: q.attempts.attempt,
            })
            .collect();
        match catch_panic(async {
            Ok(client
                .sender()
                .send_batch(&connection, &wire, &context)
                .await)
        })
        .await
        {
            Ok(answers) => answers,
            Err(e) => wire
                .iter()
                .map(|_| batch::Answer {
                    outcome: Err(e.clone()),
                    whole_batch: false,
                })
                .collect(),
        }
    };
    drop(permit);
    let mut settled = Vec::with_capacity(members.len());
    for (q, answer) in members.iter_mut().zip(answers) {
        let verdict = client.sender().judge(
            q.call.prepared(),
            &context,
            &mut q.attempts,
            sent,
            answer.outcome,
            answer.whole_batch,
        );
        settled.push(match verdict {
            Verdict::Done(outcome) => Some(outcome),
            Verdict::Again { not_before, .. } => {
                q.not_before = Some(not_before);
                None
            }
        });
    }
    let mut state = shared.lock();
    state.batches.remove(&number);
    state.progress.in_flight -= members.len() as u64;
    if !state.cancelled {
        for (q, outcome) in members.into_iter().zip(settled) {
            match outcome {
                None if state.broken.is_some() => {
                    let e = state.broken.clone().unwrap_or_else(Error::cancelled);
                    record(&mut state, q.index, Err(e));
                }
                None => {
                    let at = state.queue.partition_point(|other| other.index < q.index);
                    state.queue.insert(at, q);
                }
                Some(outcome @ Ok(_)) if Client::waits(&q.call) => {
                    let (client, shared_, index) =
                        (Arc::clone(&client), Arc::clone(&shared), q.index);
                    let task = tokio::spawn(async move {
                        let outcome = followed(&client, &shared_, &q.call, outcome).await;
                        deliver(&shared_, index, outcome);
                    });
                    if !task.is_finished() {
                        state.tasks.insert(index, task);
                    }
                }
                Some(outcome) => record(&mut state, q.index, outcome),
            }
        }
    }
    drop(state);
    shared.work.notify_one();
    shared.changed.notify_all();
}

/// Batched runs: the dispatcher is gone after a panic. Every queued call, and every call that
/// would be queued again or later, ends with `e`, so the run still hands over one result per
/// input.
fn broken(shared: &Shared, e: Error) {
    let mut guard = shared.lock();
    let state = &mut *guard;
    let queued: Vec<u64> = state.queue.drain(..).map(|q| q.index).collect();
    for index in queued {
        record(state, index, Err(e.clone()));
    }
    state.broken = Some(e);
    drop(guard);
    shared.changed.notify_all();
}

fn record(state: &mut State, index: u64, outcome: Outcome) {
    state.progress.completed += 1;
    match &outcome {
        Ok(_) => state.progress.succeeded += 1,
        Err(_) => state.progress.failed += 1,
    }
    state.ready.insert(index, outcome);
}
