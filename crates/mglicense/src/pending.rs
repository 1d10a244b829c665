//! A request in flight: waited on from the caller's thread, cancellable from any thread.
//!
//! Front ends poll with a timeout instead of being called back, because PowerShell may only
//! write output from its pipeline thread.

use std::future::Future;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::client::Response;
use crate::error::Error;

type Outcome = Result<Response, Error>;

pub struct Pending {
    receiver: Mutex<Option<Receiver<Outcome>>>,
    task: JoinHandle<()>,
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
        Pending { receiver: Mutex::new(Some(rx)), task }
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
