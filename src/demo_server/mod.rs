//! The embedded demo long-poll server: a real HTTP/1.1 keep-alive server on loopback,
//! used as the app's built-in demo and as the peer of the integration tests and
//! benchmarks.
//!
//! It owns one named thread running a tokio runtime with our own accept loop (so
//! accepted connections can be counted) and hyper's HTTP/1 connection driver. Held
//! requests are futures waiting on a `watch` of the last sequence number, so ten
//! thousand of them cost memory, not threads. It must not depend on the poll engine,
//! the stats module or any UI.
//!
//! # HTTP API
//! - `GET /events?cursor=N&timeout=S` → `{"cursor": C, "events": [{"seq", "ts_ms",
//!   "ts_us", "data"}, …]}`. Events after `N` are answered at once (oldest first, at
//!   most `max_batch`, `C` = last seq included); otherwise the request is held until an
//!   event is published or `S` seconds (fractions allowed, `0` = answer at once,
//!   clamped to `max_hold`, absent = `default_hold`) pass, and a timeout answers
//!   `{"cursor": N, "events": []}`. An absent cursor, or one past the last published
//!   seq (e.g. the client outlived a server restart), means "the tip": hold for events
//!   published after the request arrived; an empty answer then carries the tip as its
//!   cursor. A cursor older than the ring answers with the oldest events kept, so the
//!   client sees the gap in the seq numbers. An empty value (`cursor=`) counts as absent.
//! - `POST /publish` with a JSON body (≤ 1 MiB) → `{"seq": N}`.
//! - `GET /stats` → [`ServerStats`]; `GET /` → plain-text help.
//!
//! Every answer carries `Cache-Control: no-store`; bad queries get `400 {"error": …}`,
//! unknown paths `404`, a wrong method on a known path `405`.

mod generator;
mod http;
mod net;
mod query;
mod state;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use state::{Settings, Shared};

/// Accept queue length asked of the OS (which may cap it, e.g. Linux's somaxconn).
const LISTEN_BACKLOG: u32 = 4096;
/// How long the runtime may take to drop its tasks on stop.
const RUNTIME_SHUTDOWN: Duration = Duration::from_millis(250);
/// How long `stop`/`drop` waits for the server thread before leaving it detached.
const STOP_DEADLINE: Duration = Duration::from_secs(1);

/// How to run a [`DemoServer`].
#[derive(Clone, Debug)]
pub struct DemoServerConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    /// Synthetic events per second; `0.0` turns the generator off (the default, for
    /// tests; the CLI defaults to 5).
    pub rate_per_s: f64,
    /// How many recent events are kept for catch-up (at least 1 is kept).
    pub history: usize,
    /// Hold time when a request has no `timeout` parameter.
    pub default_hold: Duration,
    /// Longest hold a request may ask for; longer ones are clamped.
    pub max_hold: Duration,
    /// Most events in one answer (at least 1).
    pub max_batch: usize,
    /// Deliberate misbehaviour, for testing clients.
    pub fault: Fault,
    /// Tokio worker threads; 0 or 1 runs everything on the server thread itself.
    pub worker_threads: usize,
}

impl Default for DemoServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            rate_per_s: 0.0,
            history: 10_000,
            default_hold: Duration::from_secs(30),
            max_hold: Duration::from_secs(300),
            max_batch: 1000,
            fault: Fault::None,
            worker_threads: 1,
        }
    }
}

/// Deliberate server misbehaviour, so clients' recovery paths can be tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Serve one request per connection normally (keep-alive response, NO
    /// `Connection: close`), then when the next request arrives on that same
    /// connection, close the socket without answering (as a server whose idle timeout
    /// fires just as the client reuses the connection).
    CloseOnReuse,
}

/// Counters of a running server, as served by `GET /stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerStats {
    /// TCP accepts since start.
    pub accepted_connections: u64,
    /// Connections currently open.
    pub open_connections: u64,
    /// HTTP requests received (all paths).
    pub requests: u64,
    /// `/events` requests currently waiting for an event.
    pub held_requests: u64,
    /// Events published (generator, `POST /publish` and [`DemoServer::publish`]).
    pub published: u64,
    /// Seq of the last published event (0 before the first).
    pub last_seq: u64,
}

/// Why the demo server could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum DemoServerError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {}", io_reason(source))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The tokio runtime could not be built.
    #[error("cannot start the demo server runtime: {0}")]
    Runtime(std::io::Error),
    /// The server thread could not be spawned.
    #[error("cannot start the demo server thread: {0}")]
    Spawn(std::io::Error),
    /// A configuration value is out of range.
    #[error("invalid demo server configuration: {0}")]
    Config(String),
    /// The server thread ended although nobody stopped it (it panicked).
    #[error("the demo server stopped unexpectedly")]
    Stopped,
}

/// Short lower-case reason for the common bind failures, the OS text otherwise.
fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::AddrInUse => "address already in use".to_owned(),
        ErrorKind::AddrNotAvailable => "address not available on this machine".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    }
}

/// A running demo server. Dropping it (or [`DemoServer::stop`]) stops it: the runtime
/// is shut down, every connection closed, and the thread joined within about a second.
pub struct DemoServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected once the server thread has ended (its sender is dropped on exit).
    exited: crossbeam_channel::Receiver<()>,
}

impl DemoServer {
    /// Bind `config.addr` (here, so bind errors are returned), then serve on a thread
    /// named `pollscope-demo-server`. Returns once the socket is listening.
    ///
    /// # Errors
    /// [`DemoServerError::Bind`] when the address cannot be listened on, `Config` for a
    /// negative or non-finite rate, `Runtime`/`Spawn` when the OS refuses resources.
    pub fn start(config: DemoServerConfig) -> Result<Self, DemoServerError> {
        let rate_per_s = config.rate_per_s;
        if !rate_per_s.is_finite() || rate_per_s < 0.0 {
            return Err(DemoServerError::Config(format!(
                "the event rate must be a finite number ≥ 0, got {rate_per_s}"
            )));
        }
        let runtime = build_runtime(config.worker_threads)?;
        let (listener, addr) = match listen(&runtime, config.addr) {
            Ok(bound) => bound,
            Err(source) => {
                // Plain drop would panic if our caller runs inside another runtime.
                runtime.shutdown_background();
                let addr = config.addr;
                return Err(DemoServerError::Bind { addr, source });
            }
        };

        let shared = Arc::new(Shared::new(Settings::from_config(&config)));
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (exited_tx, exited) = crossbeam_channel::bounded::<()>(0);
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("pollscope-demo-server".to_owned())
            .spawn(move || {
                let _exited = exited_tx;
                serve(&runtime, listener, thread_shared, rate_per_s, shutdown_rx);
                runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
            })
            .map_err(DemoServerError::Spawn)?;

        log::info!("demo server started on {addr} ({rate_per_s} events/s)");
        Ok(Self {
            addr,
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            exited,
        })
    }

    /// The address actually listened on (with the real port).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (an unspecified listen address is shown as loopback).
    #[must_use]
    pub fn base_url(&self) -> String {
        let mut shown = self.addr;
        if shown.ip().is_unspecified() {
            shown.set_ip(match shown.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{shown}")
    }

    /// `http://127.0.0.1:PORT/events`.
    #[must_use]
    pub fn events_url(&self) -> String {
        format!("{}/events", self.base_url())
    }

    /// Publish one event with `data`; returns its seq and wakes the held requests.
    pub fn publish(&self, data: serde_json::Value) -> u64 {
        self.shared.publish(&data)
    }

    /// Test aid: the next published event's seq jumps by `n`, a deliberate gap of `n`
    /// lost events.
    pub fn skip_seq(&self, n: u64) {
        self.shared.skip_seq(n);
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Stop the server (the same as dropping it).
    pub fn stop(self) {
        drop(self);
    }

    /// Block until the server thread ends; only a panic ends it while `self` lives.
    fn wait_until_exited(&self) {
        // The only sender is dropped when the thread ends, so this returns then.
        while self.exited.recv().is_ok() {}
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread's shutdown receiver.
        drop(self.shutdown.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        match self.exited.recv_timeout(STOP_DEADLINE) {
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                log::warn!(
                    "demo server on {} did not stop within {STOP_DEADLINE:?}; leaving its thread behind",
                    self.addr
                );
            }
            Ok(()) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                if thread.join().is_err() {
                    log::warn!("demo server thread on {} had panicked", self.addr);
                }
            }
        }
    }
}

/// Bind and listen with a deep accept queue: thousands of clients connecting at once
/// (a benchmark's start) would otherwise overflow std's 128 and stall on SYN retries.
fn listen(
    runtime: &Runtime,
    addr: SocketAddr,
) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    // Registering with the reactor needs the runtime's context.
    let _context = runtime.enter();
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As std does on Unix: a restarted server may bind while old connections linger
    // in TIME_WAIT (on Windows the flag would allow stealing a port in use instead).
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(LISTEN_BACKLOG)?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

fn build_runtime(worker_threads: usize) -> Result<Runtime, DemoServerError> {
    let mut builder = if worker_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut multi = tokio::runtime::Builder::new_multi_thread();
        multi
            .worker_threads(worker_threads)
            .thread_name("pollscope-demo-worker");
        multi
    };
    builder
        .enable_io()
        .enable_time()
        .build()
        .map_err(DemoServerError::Runtime)
}

/// The server thread's body: accept (and generate) until told to stop.
fn serve(
    runtime: &Runtime,
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    rate_per_s: f64,
    shutdown: oneshot::Receiver<()>,
) {
    runtime.block_on(async move {
        if rate_per_s > 0.0 {
            tokio::spawn(generator::run(Arc::clone(&shared), rate_per_s));
        }
        tokio::select! {
            () = net::accept_loop(listener, shared) => {}
            // A send or a dropped sender both mean "stop".
            _ = shutdown => {}
        }
    });
}

/// For the CLI `pollscope demo-server`: start, print where it listens to stderr, and
/// serve until the process is killed. Returns only on error.
///
/// # Errors
/// Those of [`DemoServer::start`], or [`DemoServerError::Stopped`] if the server thread
/// dies (a bug).
pub fn run_forever(config: DemoServerConfig) -> Result<(), DemoServerError> {
    let rate_per_s = config.rate_per_s;
    let server = DemoServer::start(config)?;
    eprintln!(
        "demo server listening on {} ({rate_per_s} events/s)",
        server.events_url()
    );
    server.wait_until_exited();
    Err(DemoServerError::Stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_error_message_is_plain() {
        let err = DemoServerError::Bind {
            addr: "127.0.0.1:8787".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        assert_eq!(
            err.to_string(),
            "cannot listen on 127.0.0.1:8787: address already in use"
        );
    }

    #[test]
    fn bad_rate_is_refused() {
        for rate in [f64::NAN, -1.0, f64::INFINITY] {
            let config = DemoServerConfig {
                rate_per_s: rate,
                ..DemoServerConfig::default()
            };
            assert!(matches!(
                DemoServer::start(config),
                Err(DemoServerError::Config(_))
            ));
        }
    }

    #[test]
    fn unspecified_address_is_shown_as_loopback() {
        let server = DemoServer::start(DemoServerConfig {
            addr: "0.0.0.0:0".parse().unwrap(),
            ..DemoServerConfig::default()
        })
        .unwrap();
        let port = server.addr().port();
        assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
        assert_eq!(
            server.events_url(),
            format!("http://127.0.0.1:{port}/events")
        );
    }
}
