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

use crate::client::{Client, Response};
use crate::error::Error;

type Outcome = Result<Response, Error>;

pub struct Pending {
    receiver: Mutex<Option<Receiver<Outcome>>>,
    task: JoinHandle<()>,
    started: Instant,
    /// The client the request runs on, and its retry count when the request began: what a
    /// waiter shows while one call lasts long (a throttle's wait, retries, -Wait).
    watched: Option<(Arc<Client>, u64)>,
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
            let _ = tx.send(work.await);
        });
        Pending { receiver: Mutex::new(Some(rx)), task, started: Instant::now(), watched: None }
    }

    /// Lets `progress` report the client's retries and throttle waits.
    pub(crate) fn watching(mut self, client: Arc<Client>) -> Pending {
        let retries = client.pacing().retries;
        self.watched = Some((client, retries));
        self
    }

    /// How long the request has run, and what the client's pacer says about it.
    pub fn progress(&self) -> RequestProgress {
        let (retries, throttle_wait_seconds) = match &self.watched {
            Some((client, before)) => {
                let pacing = client.pacing();
                (pacing.retries_since(*before), pacing.throttle_wait_seconds())
            }
            None => (0, None),
        };
        RequestProgress { elapsed_seconds: self.started.elapsed().as_secs_f64(), retries, throttle_wait_seconds }
    }

    /// Waits up to `timeout` (forever with `None`). `None` while still running; the outcome
    /// once, after which the request holds nothing and later waits say so.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<Outcome> {
        let mut guard = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rx) = guard.as_ref() else {
            return Some(Err(Error::invalid_argument("The result of this request was already taken.")));
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

    /// Stops the request: its connection is dropped and a waiter gets `Cancelled`, unless the
    /// answer had already arrived, in which case the answer stands.
    pub fn cancel(&self) {
        self.task.abort();
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.task.abort();
    }
}
