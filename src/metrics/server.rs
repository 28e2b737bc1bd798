//! The metrics endpoint: a small HTTP/1.1 server (hyper on a one-thread tokio runtime,
//! on a named thread) answering `GET /metrics` with the exposition.
//!
//! Built to face whatever reaches the port: at most [`MAX_CONNECTIONS`] at once (more
//! wait in the accept queue), a request head must arrive within [`HEAD_TIMEOUT`], a whole
//! connection lives at most [`CONNECTION_LIMIT`], and anything that is not a well-formed
//! request gets an error answer or a closed socket — never a stalled agent.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use super::{CONTENT_TYPE, Metrics};

/// Connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 64;
/// A request head must arrive this fast.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// No connection lives longer (a scraper reconnects).
pub const CONNECTION_LIMIT: Duration = Duration::from_mins(2);
/// How long stopping may wait for the server thread.
const STOP_DEADLINE: Duration = Duration::from_secs(2);

const INDEX: &str =
    "pollscope agent\n\nGET /metrics  OpenMetrics exposition (Prometheus scrapes this)\n";

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot serve metrics on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime or its thread could not be started.
    #[error("cannot start the metrics server: {0}")]
    Start(std::io::Error),
}

/// A running metrics endpoint; dropping it stops it.
pub struct MetricsServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Listen on `addr` (port 0 picks a free one) and serve `metrics`. Returns once the
    /// socket listens.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be listened on, `Start` when the OS
    /// refuses a thread or a runtime.
    pub fn start(addr: SocketAddr, metrics: Metrics) -> Result<Self, ServeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(ServeError::Start)?;
        let listener = {
            let _context = runtime.enter();
            let std_listener = std::net::TcpListener::bind(addr)
                .map_err(|source| ServeError::Bind { addr, source })?;
            std_listener
                .set_nonblocking(true)
                .and_then(|()| TcpListener::from_std(std_listener))
                .map_err(|source| ServeError::Bind { addr, source })?
        };
        let bound = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("pollscope-metrics".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = accept_loop(listener, Arc::new(metrics)) => {}
                        _ = shutdown_rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(ServeError::Start)?;
        log::info!("metrics on http://{bound}/metrics");
        Ok(Self {
            addr: bound,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The address actually listened on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        drop(self.shutdown.take());
        if let Some(thread) = self.thread.take() {
            let until = std::time::Instant::now() + STOP_DEADLINE;
            while !thread.is_finished() && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                if thread.join().is_err() {
                    log::warn!("the metrics server thread panicked");
                }
            } else {
                log::warn!("the metrics server did not stop within {STOP_DEADLINE:?}");
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        // A free slot first: while all are taken, new connections wait in the kernel's
        // accept queue (to be served as slots free up) instead of being refused.
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // EMFILE and the like: wait, do not spin.
                log::debug!("metrics: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |request| {
                let metrics = Arc::clone(&metrics);
                async move { Ok::<_, Infallible>(answer(&request, &metrics)) }
            });
            let serving = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_LIMIT, serving).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => log::debug!("metrics: {peer}: {err}"),
                Err(_) => log::debug!("metrics: {peer}: connection open too long; closed"),
            }
        });
    }
}

fn answer(request: &Request<Incoming>, metrics: &Metrics) -> Response<Full<Bytes>> {
    // HEAD is answered like GET; hyper leaves the body out.
    match (request.uri().path(), request.method()) {
        ("/metrics", &Method::GET | &Method::HEAD) => {
            reply(StatusCode::OK, CONTENT_TYPE, metrics.encode())
        }
        ("/", &Method::GET | &Method::HEAD) => reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            INDEX.to_owned(),
        ),
        ("/metrics" | "/", _) => {
            let mut r = reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "method not allowed\n".to_owned(),
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            r
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found; try /metrics\n".to_owned(),
        ),
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
