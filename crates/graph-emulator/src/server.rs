//! Binds the loopback listener and hands each request to the Graph side or the admin side.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};
use tokio::sync::oneshot;

use crate::faults::{FaultProfile, Faults};
use crate::state::State;
use crate::tenant::Tenant;
use crate::throttle::ThrottleConfig;
use crate::{admin, graph, login};

/// Where to listen, what tenant to serve, and how hostile to be.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    /// 0 lets the OS choose, so parallel test runs never collide.
    pub port: u16,
    pub tenant: Tenant,
    /// Off unless the seed's `throttling` (or the caller) turns it on.
    pub throttle: ThrottleConfig,
    /// None unless the seed's `faults` (or the caller) sets some.
    pub faults: FaultProfile,
    /// Seeds every random choice (faults, batch answer order) for reproducible runs.
    pub seed: Option<u64>,
}

impl Config {
    /// Takes throttling and faults from the seed file's `throttling` and `faults`, if it has them.
    pub fn new(tenant: Tenant) -> Self {
        let throttle = tenant
            .setting("throttling")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let faults = tenant
            .setting("faults")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tenant,
            throttle,
            faults,
            seed: None,
        }
    }
}

/// The emulator serves this machine's tests and demos only, so it never listens anywhere but loopback.
pub fn check_loopback(host: IpAddr) -> io::Result<()> {
    if host.is_loopback() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to listen on {host}: only loopback addresses (127.0.0.0/8, ::1) are allowed"),
        ))
    }
}

pub fn base_url_for(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => format!("http://{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("http://[{}]:{}", v6.ip(), v6.port()),
    }
}

/// How long stopping waits for open connections to finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A running emulator inside the caller's tokio runtime; it stops when dropped or on [`Emulator::stop`].
pub struct Emulator {
    state: Arc<State>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// Binds and starts serving; the address is known (and connectable) when this returns.
    pub async fn start(config: Config) -> io::Result<Emulator> {
        check_loopback(config.host)?;
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Faults::validate(&config.faults)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("faults: {e}")))?;
        let state = Arc::new(State::with(
            base_url_for(addr),
            config.tenant,
            config.throttle,
            config.faults,
            config.seed,
        ));

        let service_state = state.clone();
        let make_service = make_service_fn(move |_connection| {
            let state = service_state.clone();
            async move {
                Ok::<_, Infallible>(service_fn(move |request| {
                    let state = state.clone();
                    // An Err closes the connection without an answer: that is how faults drop connections.
                    async move { dispatch(&state, request).await }
                }))
            }
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = Server::from_tcp(listener)
            .map_err(|e| io::Error::new(io::ErrorKind::Other, e))?
            .serve(make_service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            });
        let task = tokio::spawn(async move {
            if let Err(error) = server.await {
                eprintln!("graph-emulator: server error: {error}");
            }
        });
        Ok(Emulator {
            state,
            addr,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    pub fn base_url(&self) -> &str {
        self.state.base_url()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process tests can inspect the tenant and the request log directly.
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish, and returns when the server has ended.
    /// A connection that does not end within [`SHUTDOWN_GRACE`] (a client holding a half-used
    /// connection open) is cut off, so stopping never hangs on a client.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// An emulator on its own thread and runtime, for callers (other crates' tests) that are not async.
pub struct BackgroundEmulator {
    base_url: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundEmulator {
    pub fn start(config: Config) -> io::Result<BackgroundEmulator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("graph-emulator")
            .enable_all()
            .build()?;
        let emulator = runtime.block_on(Emulator::start(config))?;
        let (base_url, state) = (emulator.base_url().to_owned(), emulator.state().clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("graph-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.await;
                    emulator.stop().await;
                });
            })?;
        Ok(BackgroundEmulator {
            base_url,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn state(&self) -> &Arc<State> {
        &self.state
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn dispatch(state: &State, request: Request<Body>) -> Result<Response<Body>, graph::Dropped> {
    let path = request.uri().path();
    if login::owns(path) {
        return Ok(login::handle(state, request).await);
    }
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        Ok(admin::handle(state, request).await)
    } else {
        graph::handle(state, request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_allowed() {
        assert!(check_loopback("127.0.0.1".parse().unwrap()).is_ok());
        assert!(check_loopback("127.8.9.10".parse().unwrap()).is_ok());
        assert!(check_loopback("::1".parse().unwrap()).is_ok());
        assert!(check_loopback("0.0.0.0".parse().unwrap()).is_err());
        assert!(check_loopback("192.168.1.2".parse().unwrap()).is_err());
        assert!(check_loopback("::".parse().unwrap()).is_err());
    }

    #[test]
    fn base_url_brackets_ipv6() {
        assert_eq!(
            base_url_for("127.0.0.1:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
        assert_eq!(base_url_for("[::1]:81".parse().unwrap()), "http://[::1]:81");
    }
}
