//! A request in flight: waited on from the caller's thread, cancellable from any thread.
//!
//! Front ends poll with a timeout instead of being called back, because PowerShell may only
//! write output from its pipeline thread.

use std::future::Future;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::local::{Cancel, Driver, Drivers, Step, Work};
use crate::pacer::Pacer;
use crate::response::Response;

type Outcome = Result<Response, Error>;

pub struct Pending {
    run: Run,
    started: Instant,
    /// The pacer of the client the request runs on, and its retry count when the request
    /// began: what a waiter shows while one call lasts long (a throttle's wait, retries, -Wait).
    watched: Option<(Arc<Pacer>, u64)>,
}

/// Where the request runs.
enum Run {
    /// A task on the engine's runtime, which hands its outcome over through `receiver`.
    Spawned {
        receiver: Mutex<Option<Receiver<Outcome>>>,
        task: JoinHandle<()>,
    },
    /// Work driven by whoever waits (see `crate::local`); `None` once its outcome is taken.
    Local {
        work: Mutex<Option<(Driver, Work<Outcome>)>>,
        cancel: Cancel,
        home: Arc<Drivers>,
    },
}

/// What a front end can show while one request is still running.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestProgress {
    pub elapsed_seconds: f64,
    /// Retries the client made since this request began (other requests running on the same
    /// client at the same time count too).
    pub retries: u64,
    /// How much longer the service asked every call to hold back, when it did (Retry-After).
    pub throttle_wait_seconds: Option<f64>,
}

impl Pending {
    pub(crate) fn spawn<F>(rt: &Runtime, work: F) -> Pending
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let task = rt.spawn(async move {
            // The receiver may be gone (the front end released the request); nothing to do then.
            let _ = tx.send(crate::runtime::catch_panic(work).await);
        });
        Pending {
            run: Run::Spawned {
                receiver: Mutex::new(Some(rx)),
                task,
            },
            started: Instant::now(),
            watched: None,
        }
    }

    /// A request that runs on `driver`, on the thread that waits for it, and goes back to
    /// `home`, its client's idle drivers, when it is done.
    pub(crate) fn local(home: Arc<Drivers>, driver: Driver, work: Work<Outcome>) -> Pending {
        let run = Run::Local {
            work: Mutex::new(Some((driver, work))),
            cancel: Cancel::default(),
            home,
        };
        Pending {
            run,
            started: Instant::now(),
            watched: None,
        }
    }

    /// Lets `progress` report the retries and throttle waits of the client whose pacer this is.
    pub(crate) fn watching(mut self, pacer: Arc<Pacer>) -> Pending {
        let retries = pacer.view(Instant::now()).retries;
        self.watched = Some((pacer, retries));
        self
    }

    /// How long the request has run, and what the client's pacer says about it.
    pub fn progress(&self) -> RequestProgress {
        let (retries, throttle_wait_seconds) = match &self.watched {
            Some((pacer, before)) => {
                let pacing = pacer.view(Instant::now());
                (
                    pacing.retries_since(*before),
                    pacing.throttle_wait_seconds(),
                )
            }
            None => (0, None),
        };
        RequestProgress {
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
            retries,
            throttle_wait_seconds,
        }
    }

    /// Waits up to `timeout` (forever with `None`). `None` while still running; the outcome
    /// once, after which the request holds nothing and later waits say so.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<Outcome> {
        match &self.run {
            Run::Spawned { receiver, .. } => {
                let mut guard = receiver.lock().unwrap_or_else(|e| e.into_inner());
                let Some(rx) = guard.as_ref() else {
                    return Some(Err(taken()));
                };
                let outcome = match timeout {
                    Some(t) => match rx.recv_timeout(t) {
                        Ok(o) => o,
                        Err(RecvTimeoutError::Timeout) => return None,
                        Err(RecvTimeoutError::Disconnected) => Err(Error::cancelled()),
                    },
                    None => rx.recv().unwrap_or_else(|_| Err(Error::cancelled())),
                };
                *guard = None;
                Some(outcome)
            }
            Run::Local { work, cancel, home } => {
                let mut guard = work.lock().unwrap_or_else(|e| e.into_inner());
                let Some((driver, running)) = guard.as_mut() else {
                    return Some(Err(taken()));
                };
                let outcome = match driver.turn(running, timeout, cancel) {
                    Step::Pending => return None,
                    Step::Done(outcome) => outcome,
                    Step::Cancelled => Err(Error::cancelled()),
                    Step::Panicked(e) => Err(e),
                };
                retire(&mut guard, home);
                Some(outcome)
            }
        }
    }

    /// Stops the request: its connection is dropped and a waiter gets `Cancelled`, unless the
    /// answer had already arrived, in which case the answer stands.
    pub fn cancel(&self) {
        match &self.run {
            Run::Spawned { task, .. } => task.abort(),
            Run::Local { cancel, .. } => cancel.raise(),
        }
    }

    pub fn is_finished(&self) -> bool {
        match &self.run {
            Run::Spawned { task, .. } => task.is_finished(),
            // Held by a waiter: still running.
            Run::Local { work, .. } => work.try_lock().is_ok_and(|w| w.is_none()),
        }
    }
}

/// Lets go of a local request's work, if it has any left, and gives its driver back to `home`.
fn retire(slot: &mut Option<(Driver, Work<Outcome>)>, home: &Drivers) {
    if let Some((driver, running)) = slot.take() {
        driver.discard(running);
        home.give_back(driver);
    }
}

fn taken() -> Error {
    Error::invalid_argument("The result of this request was already taken.")
}

impl Drop for Pending {
    fn drop(&mut self) {
        match &mut self.run {
            Run::Spawned { task, .. } => task.abort(),
            Run::Local { work, home, .. } => {
                retire(work.get_mut().unwrap_or_else(|e| e.into_inner()), home)
            }
        }
    }
}
