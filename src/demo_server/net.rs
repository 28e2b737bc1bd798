//! The demo server's sockets: binding, our own accept loop (so accepts can be counted
//! and EMFILE survived), the optional TLS handshake, and one task per connection
//! driving hyper's HTTP/1 server, which hangs up or resets when a fault says so.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

use super::http::{Reply, route};
use super::io::{Connection, ConnectionIo, Stream};
use super::state::{OpenGuard, Shared};

/// Accept queue length asked of the OS (which may cap it, e.g. Linux's somaxconn).
const LISTEN_BACKLOG: u32 = 4096;
/// Pause after an accept error such as EMFILE, so a full file table is not a busy loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// A TLS client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bind and listen with a deep accept queue: thousands of clients connecting at once
/// (a benchmark's start) would otherwise overflow std's 128 and stall on SYN retries.
pub(super) fn listen(runtime: &Runtime, addr: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
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

/// Accept connections until the task is dropped (at shutdown).
pub(super) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let open = shared.accept();
                let serving = connection(stream, peer, Arc::clone(&shared), tls.clone(), open);
                tokio::spawn(serving);
            }
            // The peer gave up before we got to it; nothing is wrong with us.
            Err(err) if is_peer_gone(&err) => log::trace!("demo server: accept: {err}"),
            Err(err) => {
                log::warn!(
                    "demo server: accept failed ({err}); retrying in {} ms",
                    ACCEPT_BACKOFF.as_millis()
                );
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

fn is_peer_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Serve one connection until the peer closes it, a fault hangs up, or shutdown drops
/// the task (which closes the socket and drops any held request).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    _open: OpenGuard,
) {
    if let Err(err) = stream.set_nodelay(true) {
        log::trace!("demo server: {peer}: cannot set TCP_NODELAY: {err}");
    }
    let stream = match tls {
        None => Stream::Plain(stream),
        Some(acceptor) => {
            // Boxed: the handshake's large state would otherwise sit in every
            // connection's future for its whole life, TLS or not.
            let handshake = Box::pin(acceptor.accept(stream));
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                // Routine: clients that do not trust our self-signed certificate.
                Ok(Err(err)) => return log::debug!("demo server: {peer}: TLS handshake: {err}"),
                Err(_) => return log::debug!("demo server: {peer}: TLS handshake timed out"),
            }
        }
    };
    let state = Arc::new(Connection::default());
    let service = {
        let state = Arc::clone(&state);
        service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let state = Arc::clone(&state);
            async move {
                shared.count_request();
                let reused = state.count_request();
                match route(request, &shared, &state, reused).await {
                    Reply::Answer(answer) => Ok::<_, Infallible>(answer),
                    Reply::HangUp => {
                        // The connection task drops the socket; this answer never comes.
                        state.hang_up();
                        std::future::pending().await
                    }
                }
            }
        })
    };
    // No timer is set, so hyper applies no header-read timeout: idle keep-alive
    // connections stay open as long as the client wants.
    let io = ConnectionIo::new(stream, Arc::clone(&state));
    let serving = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        result = serving => {
            if let Err(err) = result {
                // Mostly clients hanging up mid-hold (or an injected cut): routine.
                log::trace!("demo server: {peer}: connection ended: {err}");
            }
        }
        () = state.hung_up() => {
            log::trace!("demo server: {peer}: hanging up without an answer (fault)");
        }
    }
}
