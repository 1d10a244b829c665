//! The one tokio runtime the engine runs on.
//!
//! It is created on first use and fallibly: a library loaded into someone else's process must
//! not panic because a thread could not be spawned. It is never dropped, because shutting a
//! runtime down while the host process unloads is a known source of hangs at exit.

use once_cell::sync::OnceCell;
use tokio::runtime::Runtime;

use crate::error::Error;

static RUNTIME: OnceCell<Runtime> = OnceCell::new();

/// The shared runtime, created on first call.
pub fn runtime() -> Result<&'static Runtime, Error> {
    RUNTIME.get_or_try_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mglicense-engine")
            .enable_all()
            .build()
            .map_err(|e| Error::runtime(format!("could not start the engine's runtime: {e}")))
    })
}

/// Runs `work` to its end, and a panic inside it into [`Error::panic`]: every piece of work the
/// engine spawns ends in an answer, never in silence (a closed channel would read as "done" or
/// "cancelled", and a bulk item would never be handed over).
pub(crate) async fn catch_panic<T>(
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => std::task::Poll::Ready(Err(Error::panic(payload.as_ref()))),
        }
    })
    .await
}

/// Tests only: the user whose calls panic where they would be sent (see `panic_tests`).
#[cfg(test)]
pub(crate) const PANIC_USER: &str = "panic-in-test";

/// Tests only: panics for a call to [`PANIC_USER`], where the call would be sent.
#[cfg(test)]
pub(crate) fn panic_if_asked(target: &str) {
    if target == PANIC_USER {
        panic!("a test asked for a panic");
    }
}
