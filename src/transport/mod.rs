//! The measuring transport: a ureq connector that opens real TCP (and TLS) connections,
//! counts and times each one, and counts the bytes each connection carries.
//!
//! ureq runs the connector only when its pool has no usable idle connection, and it runs
//! it on the calling thread. So a thread-local record per call tells each poll, exactly,
//! whether it opened a connection or reused one, which connection carried it, and how
//! many bytes went over the wire. Reuse is measured here, never inferred elsewhere.
//!
//! Through a forward proxy ([`crate::proxy`]) the connections opened, counted and timed
//! are the connections to the proxy; an `https://` target's TLS handshake happens inside
//! the proxy's `CONNECT` tunnel and is counted too.
//!
//! Depends on ureq's `unversioned::transport` API (hence `ureq = "~3.5"`); nothing else in
//! the crate may depend on those types.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::TlsConfig;
use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, NextTimeout, RustlsConnector, ShutdownHandle,
    TcpConnector, Transport,
};

mod resolver;
pub mod trust;
mod tunnel;

pub use resolver::{CachingResolver, DNS_CACHE_TTL};
pub use tunnel::advice as proxy_advice;

use crate::proxy::{ProxyEndpoint, ProxyPlan};

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
    /// The connection goes to a forward proxy (the TCP connect is to the proxy).
    pub via_proxy: bool,
    /// Time for the proxy to open a `CONNECT` tunnel to the server (`https` via proxy).
    pub proxy_tunnel: Option<Duration>,
}

/// What the transport saw during one call on this thread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallRecord {
    /// Time spent resolving names (the server's, or the proxy's) during the call.
    pub dns: Duration,
    /// Names actually looked up (not IP addresses, not cached names).
    pub dns_lookups: u32,
    /// When the request's last bytes were written.
    pub sent_at: Option<Instant>,
    /// When the response head had arrived (see [`mark_head_received`]).
    pub head_at: Option<Instant>,
    /// The request head as written (request line and headers, secrets included: mask
    /// before showing), when the agent captures requests.
    pub request_head: Option<String>,
    /// Connections opened during the call (normally none or one).
    pub opened: Vec<NewConnection>,
    /// The connection that carried the last I/O of the call.
    pub connection: Option<u64>,
    /// Bytes written to the socket during the call (TLS: ciphertext).
    pub wire_out: u64,
    /// Bytes read from the socket during the call (TLS: ciphertext).
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

/// Note that the response head of the call in progress has arrived (its status and
/// headers are read; the body follows).
pub fn mark_head_received() {
    let now = Instant::now();
    CALL.with(|c| c.borrow_mut().head_at = Some(now));
}

/// Add a name lookup's time to the call in progress.
fn record_dns(took: Duration, looked_up: bool) {
    CALL.with(|c| {
        let mut c = c.borrow_mut();
        c.dns += took;
        c.dns_lookups += u32::from(looked_up);
    });
}

/// Finish recording and return what the transport saw since [`begin_call`].
#[must_use]
pub fn end_call() -> CallRecord {
    CALL.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// A live connection's facts, shared between threads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionFacts {
    /// When it was opened.
    pub opened: Instant,
    /// Requests it has carried.
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
    /// What [`TransportMetrics::shutdown`] closes: every open socket of the agent.
    ///
    /// ureq keeps these itself, but its pool scans all of them (and every idle
    /// connection) on each request, under one lock: O(connections) per poll, which
    /// made 10,000 pollers take seconds to re-poll after one broadcast. Kept here,
    /// registering and forgetting a socket is O(1).
    handles: Mutex<HashMap<u64, Weak<dyn ShutdownHandle>>>,
    closed: AtomicBool,
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

    /// Close every open socket (idle or in the middle of a call) and refuse new ones:
    /// calls blocked on them return at once. For stopping a session.
    pub fn shutdown(&self) {
        let handles: Vec<_> = {
            let mut map = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
            self.closed.store(true, Ordering::SeqCst);
            map.drain().map(|(_, h)| h).collect()
        };
        for handle in handles.iter().filter_map(Weak::upgrade) {
            handle.shutdown();
        }
    }

    /// Keep `handle` for [`Self::shutdown`]; fails when the agent is shut down.
    fn register(&self, id: u64, handle: Weak<dyn ShutdownHandle>) -> Result<(), ureq::Error> {
        let mut map = self.handles.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock `shutdown` takes, so no socket escapes a shutdown.
        if self.closed.load(Ordering::SeqCst) {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "the session is stopping",
            )));
        }
        map.insert(id, handle);
        Ok(())
    }

    fn live_map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, ConnectionFacts>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Agent settings that matter to connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSettings {
    /// Pool size: one idle connection per poller.
    pub pollers: u32,
    /// Keep connections for the next request (`false`: a pool of none).
    pub keep_alive: bool,
    /// Skip certificate verification (self-signed test servers).
    pub accept_invalid_certs: bool,
    /// ureq's input buffer per connection: the response head must fit in it.
    pub input_bytes: usize,
    /// ureq's output buffer per connection: the request head must fit in it.
    pub output_bytes: usize,
    /// Every call's whole-call timeout (the profile's client timeout). Set here, in the
    /// agent, rather than per request: a per-request config is a copy of ureq's whole
    /// `Config` on every poll, and on the stack of every poller while it holds.
    pub call_timeout: Option<Duration>,
    /// Keep each request's head as written ([`CallRecord::request_head`]), for an
    /// inspector. Off for headless runs: it is a copy per poll.
    pub capture_requests: bool,
    /// Which requests go through which forward proxy.
    pub proxy: ProxyPlan,
    /// The CAs HTTPS trusts (see [`trust::roots`]); `None`: ureq's bundled roots.
    pub roots: Option<trust::Roots>,
}

/// Above this many pollers, buffers are sized for memory rather than headroom.
pub const COMPACT_ABOVE_POLLERS: u32 = 256;

impl AgentSettings {
    /// Buffers for `pollers` connections whose request heads are about
    /// `request_head_bytes` long.
    ///
    /// Both buffers are allocated (and touched) in full for every connection, so they are
    /// most of a held poll's memory after its thread's stack. Up to
    /// [`COMPACT_ABOVE_POLLERS`] pollers get 16 KiB for response heads; beyond that, 8 KiB
    /// (what nginx allows an upstream's response head by default). The output buffer is
    /// the request head (with room for a growing cursor) rounded up to 4 KiB.
    #[must_use]
    pub fn sized_for(pollers: u32, request_head_bytes: usize) -> Self {
        let output = (request_head_bytes + CURSOR_ALLOWANCE)
            .next_multiple_of(4096)
            .clamp(4096, 256 * 1024);
        let (input, output) = if pollers > COMPACT_ABOVE_POLLERS {
            (8 * 1024, output)
        } else {
            (16 * 1024, output.max(16 * 1024))
        };
        Self {
            pollers,
            input_bytes: input,
            output_bytes: output,
            ..Self::default()
        }
    }
}

/// Request-head room for what the cursor rule adds (a query parameter, `If-None-Match`,
/// `If-Modified-Since`: at most [`crate::cursor::MAX_CURSOR_BYTES`], longer cursors are
/// not followed) and ureq's own headers.
const CURSOR_ALLOWANCE: usize = crate::cursor::MAX_CURSOR_BYTES + 1024;

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            pollers: 1,
            keep_alive: true,
            accept_invalid_certs: false,
            input_bytes: 16 * 1024,
            output_bytes: 16 * 1024,
            call_timeout: None,
            capture_requests: false,
            proxy: ProxyPlan::direct(),
            roots: None,
        }
    }
}

/// The `User-Agent` of every request (and of `CONNECT` to a proxy).
pub const USER_AGENT: &str = concat!("pollscope/", env!("CARGO_PKG_VERSION"));

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
    // ureq's own proxy handling reads the environment by itself and tunnels even plain
    // HTTP; ours decides per request (see `MeasuringConnector::connect`). ureq is told
    // only *that* a proxy may be used, so that it leaves resolving the target to us (the
    // proxy resolves it) and keeps proxied connections apart in its pool.
    let pool_proxy = settings
        .proxy
        .first()
        .and_then(|p| ureq::Proxy::new(&p.url()).ok());
    let config = Config::builder()
        .proxy(pool_proxy)
        .http_status_as_error(false)
        // The poller follows redirects itself, one hop at a time, to show and police
        // each (see poll/redirect.rs).
        .max_redirects(0)
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .max_idle_age(Duration::from_mins(1))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(settings.call_timeout)
        .input_buffer_size(settings.input_bytes)
        .output_buffer_size(settings.output_bytes)
        .user_agent(USER_AGENT)
        .tls_config(
            TlsConfig::builder()
                .disable_verification(settings.accept_invalid_certs)
                .root_certs(settings.roots.map_or(ureq::tls::RootCerts::WebPki, |r| r.0))
                .build(),
        )
        .build();
    let connector = MeasuringConnector {
        tcp: TcpConnector::default(),
        tls: RustlsConnector::default(),
        metrics: Arc::clone(&metrics),
        proxy: settings.proxy,
        capture_requests: settings.capture_requests,
    };
    let agent = Agent::with_parts(config, connector, CachingResolver::default());
    (agent, metrics)
}

/// Opens TCP, then TLS when needed, timing each, and wraps the socket in a
/// [`CountingTransport`].
struct MeasuringConnector {
    tcp: TcpConnector,
    tls: RustlsConnector,
    metrics: Arc<TransportMetrics>,
    proxy: ProxyPlan,
    capture_requests: bool,
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
        if self.metrics.closed.load(Ordering::SeqCst) {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "the session is stopping",
            )));
        }
        if self.capture_requests {
            let opened = if self.proxy.uses_proxy() {
                self.proxied_or_bypassed(details)?
            } else {
                self.direct(details)?
            };
            return Ok(opened.map(|t| Box::new(HeadCapture(t)) as Box<dyn Transport>));
        }
        if self.proxy.uses_proxy() {
            return self.proxied_or_bypassed(details);
        }
        self.direct(details)
    }
}

impl MeasuringConnector {
    /// A connection straight to the server.
    #[inline]
    fn direct(
        &self,
        details: &ConnectionDetails,
    ) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
        // Two steps in functions of their own, so that this frame, live under both, stays
        // small: a poller's stack is only as deep as its deepest call ever went (its
        // first connect), and every 4 KiB of that is 40 MiB at 10,000 pollers.
        let start = Instant::now();
        let Some((tcp, handle)) = self.open_tcp(details, details.uri, details.addrs.clone())?
        else {
            return Ok(None);
        };
        let counting = self.counted(tcp, handle, start.elapsed(), false)?;
        self.secured(details, counting)
    }
}

/// Where ureq hands the new socket's shutdown handle.
type HandleSlot = Arc<Mutex<Option<Weak<dyn ShutdownHandle>>>>;

/// A new TCP socket and the slot its shutdown handle went to.
type OpenedTcp = (Box<dyn Transport>, HandleSlot);

impl MeasuringConnector {
    /// The TCP connect itself, to `addrs` (the server's, or the proxy's with `uri` the
    /// proxy's); the socket's shutdown handle goes to our own O(1) registry, not
    /// ureq's pool (see `TransportMetrics::handles`).
    #[inline(never)]
    fn open_tcp(
        &self,
        details: &ConnectionDetails,
        uri: &Uri,
        addrs: ResolvedSocketAddrs,
    ) -> Result<Option<OpenedTcp>, ureq::Error> {
        let handle: HandleSlot = Arc::default();
        let slot = Arc::clone(&handle);
        let ours = ConnectionDetails {
            uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: details.now,
            timeout: details.timeout,
            current_time: Arc::clone(&details.current_time),
            run_connector: Arc::clone(&details.run_connector),
            register_shutdown: Arc::new(move |h| {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(h);
                Ok(())
            }),
        };
        match Connector::<()>::connect(&self.tcp, &ours, None) {
            Ok(Some(t)) => Ok(Some((Box::new(t), handle))),
            Ok(None) => Ok(None),
            Err(e) => {
                self.metrics
                    .connect_failures
                    .fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// The TLS handshake over a counted TCP connection (rustls' frames are deep: kept
    /// out of the plain-HTTP path).
    #[inline(never)]
    fn tls_handshake(
        &self,
        details: &ConnectionDetails,
        tcp: CountingTransport,
    ) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
        let m = &self.metrics;
        match self.tls.connect(details, Some(tcp)) {
            Ok(Some(t)) => {
                m.tls_handshakes.fetch_add(1, Ordering::Relaxed);
                Ok(Some(Box::new(t)))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                m.connect_failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Count and register a new TCP connection (to the server, or to a proxy).
    #[inline(never)]
    #[expect(
        clippy::needless_pass_by_value,
        reason = "owning `tcp` is the point: dropping it on a refusal closes the socket"
    )]
    fn counted(
        &self,
        tcp: Box<dyn Transport>,
        handle: HandleSlot,
        tcp_connect: Duration,
        via_proxy: bool,
    ) -> Result<CountingTransport, ureq::Error> {
        let m = &self.metrics;
        let opened = Instant::now();
        let id = m.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let registered = match handle.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(h) => m.register(id, h),
            None => Ok(()),
        };
        // The connect happened, whatever comes next (a stop refusing the socket, a failed
        // TLS handshake): counted here and reported with the call, so the client's count
        // always matches the server's accepts.
        m.tcp_connects.fetch_add(1, Ordering::Relaxed);
        CALL.with(|c| {
            let mut c = c.borrow_mut();
            c.opened.push(NewConnection {
                id,
                opened,
                tcp_connect,
                tls_handshake: None,
                via_proxy,
                proxy_tunnel: None,
            });
            c.connection = Some(id);
        });
        // Refused by a shutdown: dropping `tcp` closes the socket.
        registered?;
        m.live_map().insert(
            id,
            ConnectionFacts {
                opened,
                requests: 0,
            },
        );
        log::trace!("opened connection #{id} in {tcp_connect:?}");
        Ok(CountingTransport {
            inner: tcp,
            id,
            metrics: Arc::clone(m),
        })
    }

    /// The TLS handshake with the server over `counting` when the URL is `https`
    /// (over a proxy's tunnel, too), timed; the plain socket otherwise.
    #[inline(never)]
    fn secured(
        &self,
        details: &ConnectionDetails,
        counting: CountingTransport,
    ) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
        if !details.needs_tls() {
            return Ok(Some(Box::new(counting)));
        }
        let id = counting.id;
        let start = Instant::now();
        let Some(tls) = self.tls_handshake(details, counting)? else {
            return Ok(None);
        };
        let took = start.elapsed();
        with_opened(id, |r| r.tls_handshake = Some(took));
        Ok(Some(tls))
    }

    /// With a proxy plan: through the proxy, or direct for a host the plan bypasses
    /// (then ureq has left the server's name unresolved, as it does for proxies).
    #[inline(never)]
    fn proxied_or_bypassed(
        &self,
        details: &ConnectionDetails,
    ) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
        let scheme = details.uri.scheme_str().unwrap_or("");
        let host = details.uri.host().unwrap_or("");
        if let Some(proxy) = self.proxy.route(scheme, host) {
            return self.via_proxy(details, proxy);
        }
        let addrs = if details.addrs.is_empty() {
            details
                .resolver
                .resolve(details.uri, details.config, details.timeout)?
        } else {
            details.addrs.clone()
        };
        let start = Instant::now();
        let Some((tcp, handle)) = self.open_tcp(details, details.uri, addrs)? else {
            return Ok(None);
        };
        let counting = self.counted(tcp, handle, start.elapsed(), false)?;
        self.secured(details, counting)
    }

    /// A connection to `proxy` carrying this request: absolute-form requests for
    /// `http`, a `CONNECT` tunnel with TLS to the server inside it for `https`.
    #[inline(never)]
    fn via_proxy(
        &self,
        details: &ConnectionDetails,
        proxy: &ProxyEndpoint,
    ) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
        let proxy_uri: Uri = proxy
            .url()
            .parse()
            .map_err(|_| ureq::Error::InvalidProxyUrl)?;
        let addrs = details
            .resolver
            .resolve(&proxy_uri, details.config, details.timeout)?;
        let start = Instant::now();
        let Some((tcp, handle)) = self.open_tcp(details, &proxy_uri, addrs)? else {
            return Ok(None);
        };
        let mut counting = self.counted(tcp, handle, start.elapsed(), true)?;
        let target = target_authority(details.uri);
        if !details.needs_tls() {
            let origin = format!("http://{target}");
            return Ok(Some(Box::new(tunnel::ForwardTransport::new(
                counting, origin, proxy,
            ))));
        }
        let start = Instant::now();
        let opened =
            tunnel::open_tunnel(&mut counting, &target, proxy, USER_AGENT, details.timeout);
        if let Err(e) = opened {
            self.metrics
                .connect_failures
                .fetch_add(1, Ordering::Relaxed);
            return Err(e);
        }
        let took = start.elapsed();
        with_opened(counting.id, |r| r.proxy_tunnel = Some(took));
        self.secured(details, counting)
    }
}

/// Change this call's record of connection `id`.
fn with_opened(id: u64, change: impl FnOnce(&mut NewConnection)) {
    CALL.with(|c| {
        if let Some(r) = c.borrow_mut().opened.iter_mut().rev().find(|r| r.id == id) {
            change(r);
        }
    });
}

/// `host:port` of a URL (the scheme's port when none is given), IPv6 in brackets.
fn target_authority(uri: &Uri) -> String {
    let host = uri.host().unwrap_or("");
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    format!("{host}:{port}")
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
        self.metrics
            .handles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
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
        let result = self.inner.transmit_output(amount, timeout);
        let now = Instant::now();
        CALL.with(|c| c.borrow_mut().sent_at = Some(now));
        result
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

/// The outermost transport when requests are captured: keeps the first bytes each
/// call writes (the request head; for HTTPS, the plaintext above TLS).
struct HeadCapture(Box<dyn Transport>);

/// Longest request head kept.
const MAX_CAPTURED_HEAD: usize = 16 * 1024;

impl fmt::Debug for HeadCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadCapture").finish_non_exhaustive()
    }
}

impl Transport for HeadCapture {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let wanted = CALL.with(|c| c.borrow().request_head.is_none());
        if wanted {
            let out = &self.0.buffers().output()[..amount];
            let end = out
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(out.len(), |i| i + 4)
                .min(MAX_CAPTURED_HEAD);
            let head = String::from_utf8_lossy(&out[..end]).into_owned();
            CALL.with(|c| c.borrow_mut().request_head = Some(head));
        }
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_fit_the_request_head_and_shrink_for_many_pollers() {
        let few = AgentSettings::sized_for(4, 300);
        assert_eq!((few.input_bytes, few.output_bytes), (16 * 1024, 16 * 1024));
        let many = AgentSettings::sized_for(10_000, 300);
        assert_eq!((many.input_bytes, many.output_bytes), (8 * 1024, 4096));
        let big = AgentSettings::sized_for(10_000, 40 * 1024);
        assert!(big.output_bytes >= 40 * 1024 + CURSOR_ALLOWANCE);
        assert_eq!(big.output_bytes % 4096, 0);
    }
}
