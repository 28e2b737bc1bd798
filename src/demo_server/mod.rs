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
//! - `GET /faults` → [`FaultStatus`]; `POST /faults` with a [`FaultPlan`] as JSON
//!   (`{"fault": {"kind": "status", "code": 503}, "every": 1, "times": 5}`) replaces
//!   the plan and answers the new status; `400` for a bad plan.
//! - `GET /stats` → [`ServerStats`]; `GET /` → plain-text help.
//!
//! Every answer carries `Cache-Control: no-store`; bad queries get `400 {"error": …}`,
//! unknown paths `404`, a wrong method on a known path `405`.
//!
//! # Faults, restarts, TLS
//! Faults are injected into the normal `/events` stream, on the requests a
//! [`FaultPlan`] picks (every Nth, counted server-wide; optionally only the next K), so
//! a client can prove it loses no event and shows none twice. The plan is set at start
//! and changed at runtime ([`DemoServer::set_faults`], `POST /faults`); other paths are
//! never spoiled, so the plan can always be switched off. With a
//! [`DemoServerConfig::state_file`] every event is appended to a JSON Lines file and a
//! restarted server (same port: the socket uses `SO_REUSEADDR`) numbers on from the
//! last one. With [`DemoServerConfig::tls`] it serves HTTPS with a self-signed
//! certificate ([`DemoServer::ca_pem`]).

mod api;
mod body;
mod faults;
mod generator;
mod http;
mod inject;
mod io;
mod net;
mod persist;
mod query;
mod schedule;
mod state;
mod tls;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::oneshot;

pub use api::{DemoServerError, ServerStats};
pub use faults::{Fault, FaultCounts, FaultError, FaultPlan, FaultStatus};
pub use tls::TlsMode;

use state::{Settings, Shared};

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
    /// Longest hold a request may ask for; longer ones are clamped. Also how long a
    /// blackholed request is kept before the connection is closed.
    pub max_hold: Duration,
    /// Most events in one answer (at least 1).
    pub max_batch: usize,
    /// Deliberate misbehaviour on `/events` requests, for testing clients; see
    /// `fault_every` and `fault_times` for which ones.
    pub fault: Fault,
    /// Spoil every Nth `/events` request (≥ 1; default 1 = all).
    pub fault_every: u64,
    /// Only the first K faults, then behave (a burst); `None` (default) = no limit.
    pub fault_times: Option<u64>,
    /// Append every event to this JSON Lines file and, at start, restore the last
    /// `history` events from it and number on after its last seq.
    pub state_file: Option<PathBuf>,
    /// Serve HTTPS instead of HTTP.
    pub tls: Option<TlsMode>,
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
            max_hold: Duration::from_mins(5),
            max_batch: 1000,
            fault: Fault::None,
            fault_every: 1,
            fault_times: None,
            state_file: None,
            tls: None,
            worker_threads: 1,
        }
    }
}

impl DemoServerConfig {
    /// The fault plan the server starts with.
    #[must_use]
    pub fn fault_plan(&self) -> FaultPlan {
        FaultPlan {
            fault: self.fault,
            every: self.fault_every,
            times: self.fault_times,
        }
    }
}

/// A running demo server. Dropping it (or [`DemoServer::stop`]) stops it: the runtime
/// is shut down, every connection closed, and the thread joined within about a second.
pub struct DemoServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The self-signed certificate, in TLS mode.
    certificate: Option<Certificate>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected once the server thread has ended (its sender is dropped on exit).
    exited: crossbeam_channel::Receiver<()>,
}

struct Certificate {
    pem: String,
    der: Vec<u8>,
}

impl DemoServer {
    /// Bind `config.addr` (here, so bind errors are returned; with `SO_REUSEADDR`, so
    /// a restart right after a stop or kill works), restore the state file, then serve
    /// on a thread named `pollscope-demo-server`. Returns once the socket is listening.
    ///
    /// # Errors
    /// [`DemoServerError::Bind`] when the address cannot be listened on, `Config` for a
    /// negative or non-finite rate or a bad fault plan, `StateFile` when the state file
    /// cannot be read or written, `Tls` and `Runtime`/`Spawn` when the OS refuses
    /// resources.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "public API: a config is handed over and built in place by callers"
    )]
    pub fn start(config: DemoServerConfig) -> Result<Self, DemoServerError> {
        let rate_per_s = config.rate_per_s;
        if !rate_per_s.is_finite() || rate_per_s < 0.0 {
            return Err(DemoServerError::Config(format!(
                "the event rate must be a finite number ≥ 0, got {rate_per_s}"
            )));
        }
        let plan = config.fault_plan();
        plan.check()
            .map_err(|err| DemoServerError::Config(err.to_string()))?;
        let runtime = build_runtime(config.worker_threads)?;
        // Bind before touching the state file: a second server started by mistake on
        // a busy port must not rewrite the log the first one appends to.
        let bound = net::listen(&runtime, config.addr)
            .map_err(|source| DemoServerError::Bind {
                addr: config.addr,
                source,
            })
            .and_then(|(listener, addr)| {
                let (shared, tls) = prepare(&config, plan)?;
                Ok((listener, addr, shared, tls))
            });
        let (listener, addr, shared, tls) = match bound {
            Ok(bound) => bound,
            Err(err) => {
                // Plain drop would panic if our caller runs inside another runtime.
                runtime.shutdown_background();
                return Err(err);
            }
        };
        let certificate = tls.as_ref().map(|tls| Certificate {
            pem: tls.cert_pem.clone(),
            der: tls.cert_der.to_vec(),
        });
        let acceptor = tls.map(|tls| tls.acceptor);

        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (exited_tx, exited) = crossbeam_channel::bounded::<()>(0);
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("pollscope-demo-server".to_owned())
            .spawn(move || {
                let _exited = exited_tx;
                let serving = net::accept_loop(listener, Arc::clone(&thread_shared), acceptor);
                serve(&runtime, serving, thread_shared, rate_per_s, shutdown_rx);
                runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
            })
            .map_err(DemoServerError::Spawn)?;

        let scheme = if certificate.is_some() {
            "https"
        } else {
            "http"
        };
        log::info!("demo server started on {scheme}://{addr} ({rate_per_s} events/s)");
        Ok(Self {
            addr,
            shared,
            certificate,
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

    /// `http://127.0.0.1:PORT`, or `https://…` in TLS mode (an unspecified listen
    /// address is shown as loopback).
    #[must_use]
    pub fn base_url(&self) -> String {
        let mut shown = self.addr;
        if shown.ip().is_unspecified() {
            shown.set_ip(match shown.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let scheme = if self.certificate.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{shown}")
    }

    /// `http://127.0.0.1:PORT/events` (`https` in TLS mode).
    #[must_use]
    pub fn events_url(&self) -> String {
        format!("{}/events", self.base_url())
    }

    /// In TLS mode, the self-signed certificate (PEM) for a client to trust; it is
    /// its own CA, valid for `localhost`, `127.0.0.1` and `::1`.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.certificate.as_ref().map(|cert| cert.pem.as_str())
    }

    /// The same certificate, DER-encoded.
    #[must_use]
    pub fn cert_der(&self) -> Option<&[u8]> {
        self.certificate.as_ref().map(|cert| cert.der.as_slice())
    }

    /// Publish one event with `data`; returns its seq and wakes the held requests.
    #[expect(
        clippy::must_use_candidate,
        clippy::needless_pass_by_value,
        reason = "published for the effect (the seq is there for callers that want it); \
                  the event is handed over, as callers write it in place"
    )]
    pub fn publish(&self, data: serde_json::Value) -> u64 {
        self.shared.publish(&data)
    }

    /// Test aid: the next published event's seq jumps by `n`, a deliberate gap of `n`
    /// lost events.
    pub fn skip_seq(&self, n: u64) {
        self.shared.skip_seq(n);
    }

    /// Replace the fault plan (as `POST /faults` does); its counting starts afresh.
    ///
    /// # Errors
    /// The plan is out of range (`every` or `times` 0, a bad parameter).
    pub fn set_faults(&self, plan: FaultPlan) -> Result<(), FaultError> {
        plan.check()?;
        self.shared.faults.set(plan);
        Ok(())
    }

    /// The fault plan in force and its progress (as `GET /faults`).
    #[must_use]
    pub fn faults(&self) -> FaultStatus {
        self.shared.faults.status()
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// `/events` requests waiting for an event now: one atomic load, cheap enough to
    /// poll in a tight loop.
    #[must_use]
    pub fn held_requests(&self) -> u64 {
        self.shared.held_requests()
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

/// The shared state (with the restored state file) and the TLS setup.
fn prepare(
    config: &DemoServerConfig,
    plan: FaultPlan,
) -> Result<(Arc<Shared>, Option<tls::Tls>), DemoServerError> {
    let settings = Settings::from_config(config);
    let log = match &config.state_file {
        Some(path) => Some(persist::open(path, settings.history).map_err(|source| {
            DemoServerError::StateFile {
                path: path.clone(),
                source,
            }
        })?),
        None => None,
    };
    let tls = match &config.tls {
        Some(mode) => Some(tls::setup(mode).map_err(|err| DemoServerError::Tls(err.to_string()))?),
        None => None,
    };
    Ok((Arc::new(Shared::new(settings, plan, log)), tls))
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
    accepting: impl Future<Output = ()>,
    shared: Arc<Shared>,
    rate_per_s: f64,
    shutdown: oneshot::Receiver<()>,
) {
    runtime.block_on(async move {
        if rate_per_s > 0.0 {
            tokio::spawn(generator::run(shared, rate_per_s));
        }
        tokio::select! {
            () = accepting => {}
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
    let faults = server.faults().plan;
    if faults.fault != Fault::None {
        eprintln!("injecting faults: {faults:?}");
    }
    if let Some(pem) = server.ca_pem() {
        eprintln!("self-signed TLS certificate (trust it explicitly, e.g. curl --cacert):\n{pem}");
    }
    server.wait_until_exited();
    Err(DemoServerError::Stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

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
