//! Requests sent and answered on the thread that waits for them.
//!
//! A call that runs alone (a cmdlet called once per item in a foreach loop) pays two thread
//! hand-offs on the engine's runtime: one to wake a worker that sends it, one to wake the caller
//! with the answer. On a busy two-core machine each costs tens of microseconds, more than the
//! engine's own work for the call. Such a call can instead be driven by the thread that waits
//! for it, on a single-threaded runtime: that thread writes the request and reads the answer
//! itself, and the only hand-offs left are the network's.
//!
//! Connections belong to the runtime that opened them, so each such runtime (a [`Driver`]) has
//! a Graph client and connection pool of its own, and is lent to one request at a time by its
//! client's [`Drivers`], which keep idle ones (and their open connections) for the next call.
//! Tokens are never fetched on a driver (see `send::Lane`). A request on a driver progresses
//! only while someone waits for it; a cancellation from another thread wakes the waiter.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::connection::Connection;
use crate::error::Error;

/// Idle drivers kept per client: one per thread that may call at the same time is plenty.
const MAX_IDLE: usize = 8;

pub(crate) type Work<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A single-threaded runtime with a Graph client of its own, for one connection.
///
/// It may be dropped anywhere its client is: also on one of the engine runtime's threads (the
/// last reference to a client can be held by a task there, a sign-in or a request), where a
/// runtime must not be shut down by waiting for it. See its `Drop`.
pub(crate) struct Driver {
    /// `None` only while being dropped.
    runtime: Option<Runtime>,
    graph: reqwest::Client,
    connection: Weak<Connection>,
}

/// What one turn of a driver came to.
pub(crate) enum Step<T> {
    Done(T),
    /// The time given ran out first; the work goes on at the next turn.
    Pending,
    Cancelled,
    /// The work panicked (a bug); it is over, with this error as its answer.
    Panicked(Error),
}

impl Driver {
    fn new(connection: &Arc<Connection>) -> Result<Driver, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::runtime(format!(
                    "could not start a runtime for the calling thread: {e}"
                ))
            })?;
        let graph = connection.transport.another_graph_client()?;
        Ok(Driver {
            runtime: Some(runtime),
            graph,
            connection: Arc::downgrade(connection),
        })
    }

    /// The Graph client whose connections this driver's runtime owns.
    pub(crate) fn graph(&self) -> &reqwest::Client {
        &self.graph
    }

    /// Drives `work` on the calling thread until it is done, `timeout` has passed (`None`: no
    /// limit) or `cancel` is raised.
    pub(crate) fn turn<T>(
        &self,
        work: &mut Work<T>,
        timeout: Option<Duration>,
        cancel: &Cancel,
    ) -> Step<T> {
        self.runtime().block_on(async {
            let mut deadline = timeout.map(|t| Box::pin(tokio::time::sleep(t)));
            std::future::poll_fn(|cx| {
                // Registered before the flag is read, so a cancel in between still wakes this turn.
                cancel.register(cx.waker());
                if cancel.is_raised() {
                    return Poll::Ready(Step::Cancelled);
                }
                let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work.as_mut().poll(cx)
                }));
                match polled {
                    Ok(Poll::Ready(outcome)) => return Poll::Ready(Step::Done(outcome)),
                    Ok(Poll::Pending) => {}
                    Err(payload) => {
                        return Poll::Ready(Step::Panicked(Error::panic(payload.as_ref())))
                    }
                }
                let expired = deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if expired {
                    Poll::Ready(Step::Pending)
                } else {
                    Poll::Pending
                }
            })
            .await
        })
    }

    /// Drops unfinished work inside the driver's runtime, whose timers and sockets it holds.
    pub(crate) fn discard<T>(&self, work: Work<T>) {
        let _inside = self.runtime().enter();
        drop(work);
    }

    fn runtime(&self) -> &Runtime {
        self.runtime
            .as_ref()
            .expect("a driver's runtime is only taken when it is dropped")
    }
}

impl Drop for Driver {
    /// On a thread of some runtime (the engine's, when a task there held the client's last
    /// reference), shutting a runtime down by waiting for it panics ("Cannot drop a runtime in a
    /// context where blocking is not allowed"): there it is shut down without waiting. Its
    /// tasks are dropped either way; only a DNS lookup still running on one of its blocking
    /// threads is left to finish on its own. Elsewhere it is dropped as usual.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                drop(runtime);
            }
        }
    }
}

/// Lets the driver's runtime read what arrived while it did not run, before a request takes a
/// connection from its pool: a connection the server closed while idle is then seen closed and
/// not reused (hyper only resends a request the connection never started to write). The first
/// yield has the runtime poll for I/O events, which wakes the connections' tasks; the second
/// lets those tasks run before the request goes on.
pub(crate) async fn settle() {
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}

/// The idle drivers of a client.
#[derive(Default)]
pub(crate) struct Drivers {
    idle: Mutex<Vec<Driver>>,
}

impl Drivers {
    /// A driver for `connection`: an idle one, else a new one. Drivers of an earlier connection
    /// are let go.
    pub(crate) fn lend(&self, connection: &Arc<Connection>) -> Result<Driver, Error> {
        let mine = |d: &Driver| std::ptr::eq(d.connection.as_ptr(), Arc::as_ptr(connection));
        let (found, stale) = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            let found = idle.iter().rposition(mine).map(|at| idle.swap_remove(at));
            // Drivers of an earlier connection only remain after a sign-in; they go all at once.
            let stale = if idle.iter().all(mine) {
                Vec::new()
            } else {
                let (keep, stale): (Vec<Driver>, Vec<Driver>) =
                    std::mem::take(&mut *idle).into_iter().partition(mine);
                *idle = keep;
                stale
            };
            (found, stale)
        };
        // Runtimes are shut down outside the lock.
        drop(stale);
        match found {
            Some(driver) => Ok(driver),
            None => Driver::new(connection),
        }
    }

    /// Takes a driver back for the next call, unless enough are idle or its connection is gone.
    pub(crate) fn give_back(&self, driver: Driver) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE && driver.connection.strong_count() > 0 {
            idle.push(driver);
        } else {
            drop(idle);
            drop(driver);
        }
    }
}

/// A cancellation raised from any thread, seen by a driver's turn.
#[derive(Default)]
pub(crate) struct Cancel {
    raised: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Cancel {
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}
