//! The measuring transport: a ureq connector that opens real TCP (and TLS) connections,
//! counts and times each one, and counts the bytes each connection carries.
//!
//! ureq runs the connector only when its pool has no usable idle connection, and it runs
//! it on the calling thread. So a thread-local record per call tells each poll, exactly,
//! whether it opened a connection or reused one, which connection carried it, and how
//! many bytes went over the wire. Reuse is measured here, never inferred elsewhere.
//!
//! Depends on ureq's `unversioned::transport` API (hence `ureq = "~3.5"`); nothing else in
//! the crate may depend on those types.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::Config;
use ureq::tls::TlsConfig;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, NextTimeout, RustlsConnector, TcpConnector, Transport,
};

/// One connection opened during a call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewConnection {
    /// Connection number within the agent, from 1.
    pub id: u64,
    /// When the TCP connection was established.
    pub opened: Instant,
    /// Time to establish TCP.
    pub tcp_connect: Duration,
    /// Time for the TLS handshake, for `https`.
    pub tls_handshake: Option<Duration>,
}

/// What the transport saw during one call on this thread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallRecord {
    /// Connections opened during the call (normally none or one).
    pub opened: Vec<NewConnection>,
    /// The connection that carried the last I/O of the call.
    pub connection: Option<u64>,
    /// Bytes written to and read from the socket during the call (TLS: ciphertext).
    pub wire_out: u64,
    pub wire_in: u64,
}

impl CallRecord {
    /// True when the call ran over a connection it did not open.
    #[must_use]
    pub fn reused(&self) -> bool {
        self.opened.is_empty()
    }
}

thread_local! {
    static CALL: RefCell<CallRecord> = RefCell::new(CallRecord::default());
}

/// Start recording a call on this thread.
pub fn begin_call() {
    CALL.with(|c| *c.borrow_mut() = CallRecord::default());
}

/// Finish recording and return what the transport saw since [`begin_call`].
#[must_use]
pub fn end_call() -> CallRecord {
    CALL.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// A live connection's facts, shared between threads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionFacts {
    pub opened: Instant,
    pub requests: u64,
}

/// Totals for one agent, shared by all its pollers.
#[derive(Default)]
pub struct TransportMetrics {
    next_id: AtomicU64,
    tcp_connects: AtomicU64,
    tls_handshakes: AtomicU64,
    connect_failures: AtomicU64,
    live: Mutex<HashMap<u64, ConnectionFacts>>,
}

impl fmt::Debug for TransportMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportMetrics")
            .field("tcp_connects", &self.tcp_connects())
            .field("tls_handshakes", &self.tls_handshakes())
            .finish_non_exhaustive()
    }
}

impl TransportMetrics {
    /// Real TCP connections opened.
    #[must_use]
    pub fn tcp_connects(&self) -> u64 {
        self.tcp_connects.load(Ordering::Relaxed)
    }

    /// TLS handshakes completed.
    #[must_use]
    pub fn tls_handshakes(&self) -> u64 {
        self.tls_handshakes.load(Ordering::Relaxed)
    }

    /// TCP connects or TLS handshakes that failed.
    #[must_use]
    pub fn connect_failures(&self) -> u64 {
        self.connect_failures.load(Ordering::Relaxed)
    }

    /// Connections currently open (pooled or in use).
    #[must_use]
    pub fn open_connections(&self) -> usize {
        self.live_map().len()
    }

    /// Facts about connection `id`, while it is open.
    #[must_use]
    pub fn connection(&self, id: u64) -> Option<ConnectionFacts> {
        self.live_map().get(&id).copied()
    }

    /// Count one request on connection `id`; returns how many it has carried.
    pub fn count_request(&self, id: u64) -> u64 {
        self.live_map().get_mut(&id).map_or(0, |c| {
            c.requests += 1;
            c.requests
        })
    }

    fn live_map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, ConnectionFacts>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Agent settings that matter to connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentSettings {
    /// Pool size: one idle connection per poller.
    pub pollers: u32,
    pub keep_alive: bool,
    pub accept_invalid_certs: bool,
    /// Socket buffer per connection (ureq's input and output buffers).
    pub buffer_bytes: usize,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            pollers: 1,
            keep_alive: true,
            accept_invalid_certs: false,
            buffer_bytes: 16 * 1024,
        }
    }
}

/// TCP connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Build a keep-alive agent whose every new connection goes through the measuring
/// connector. Its pool keeps one idle connection per poller, so N pollers on one host
/// keep N connections (ureq's default of 3 per host would churn beyond 3 pollers).
#[must_use]
pub fn build_agent(settings: AgentSettings) -> (Agent, Arc<TransportMetrics>) {
    let metrics = Arc::new(TransportMetrics::default());
    let idle = if settings.keep_alive {
        settings.pollers as usize
    } else {
        0
    };
    let config = Config::builder()
        .http_status_as_error(false)
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .max_idle_age(Duration::from_secs(60))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .input_buffer_size(settings.buffer_bytes)
        .output_buffer_size(settings.buffer_bytes)
        .user_agent(concat!("pollscope/", env!("CARGO_PKG_VERSION")))
        .tls_config(
            TlsConfig::builder()
                .disable_verification(settings.accept_invalid_certs)
                .build(),
        )
        .build();
    let connector = MeasuringConnector {
        tcp: TcpConnector::default(),
        tls: RustlsConnector::default(),
        metrics: Arc::clone(&metrics),
    };
    let agent = Agent::with_parts(config, connector, DefaultResolver::default());
    (agent, metrics)
}

/// Opens TCP, then TLS when needed, timing each, and wraps the socket in a
/// [`CountingTransport`].
struct MeasuringConnector {
    tcp: TcpConnector,
    tls: RustlsConnector,
    metrics: Arc<TransportMetrics>,
}

impl fmt::Debug for MeasuringConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeasuringConnector").finish_non_exhaustive()
    }
}

impl Connector<()> for MeasuringConnector {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let m = &self.metrics;
        let start = Instant::now();
        let tcp = match Connector::<()>::connect(&self.tcp, details, None) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => {
                m.connect_failures.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        let tcp_connect = start.elapsed();
        let opened = Instant::now();
        m.tcp_connects.fetch_add(1, Ordering::Relaxed);
        let id = m.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        m.live_map().insert(
            id,
            ConnectionFacts {
                opened,
                requests: 0,
            },
        );
        let counting = CountingTransport {
            inner: Box::new(tcp),
            id,
            metrics: Arc::clone(m),
        };
        let mut record = NewConnection {
            id,
            opened,
            tcp_connect,
            tls_handshake: None,
        };
        let transport: Box<dyn Transport> = if details.needs_tls() {
            let start = Instant::now();
            let tls = match self.tls.connect(details, Some(counting)) {
                Ok(Some(t)) => t,
                Ok(None) => return Ok(None),
                Err(e) => {
                    m.connect_failures.fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
            };
            record.tls_handshake = Some(start.elapsed());
            m.tls_handshakes.fetch_add(1, Ordering::Relaxed);
            Box::new(tls)
        } else {
            Box::new(counting)
        };
        CALL.with(|c| {
            let mut c = c.borrow_mut();
            c.opened.push(record);
            c.connection = Some(id);
        });
        log::trace!("opened connection #{id} in {tcp_connect:?}");
        Ok(Some(transport))
    }
}

/// A socket that notes, on the calling thread, which connection did I/O and how many
/// bytes it moved.
struct CountingTransport {
    inner: Box<dyn Transport>,
    id: u64,
    metrics: Arc<TransportMetrics>,
}

impl fmt::Debug for CountingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingTransport")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for CountingTransport {
    fn drop(&mut self) {
        self.metrics.live_map().remove(&self.id);
    }
}

impl Transport for CountingTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let id = self.id;
        CALL.with(|c| {
            let mut c = c.borrow_mut();
            c.connection = Some(id);
            c.wire_out += amount as u64;
        });
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let before = self.inner.buffers().input().len();
        let result = self.inner.await_input(timeout);
        let after = self.inner.buffers().input().len();
        let id = self.id;
        CALL.with(|c| {
            let mut c = c.borrow_mut();
            c.connection = Some(id);
            c.wire_in += after.saturating_sub(before) as u64;
        });
        result
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
