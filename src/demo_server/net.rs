//! The demo server's sockets: our own accept loop (so accepts can be counted and
//! EMFILE survived) and one task per connection driving hyper's HTTP/1 server, with the
//! `CloseOnReuse` fault applied per connection.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::Fault;
use super::http::route;
use super::state::{OpenGuard, Shared};

/// Pause after an accept error such as EMFILE, so a full file table is not a busy loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accept connections until the task is dropped (at shutdown).
pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let open = shared.accept();
                tokio::spawn(connection(stream, peer, Arc::clone(&shared), open));
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

/// Per-connection bookkeeping for the `CloseOnReuse` fault.
#[derive(Default)]
struct ConnectionState {
    requests: AtomicU64,
    /// Notified when the connection must be dropped without answering.
    close: Notify,
}

/// Serve one connection until the peer closes it, the fault closes it, or shutdown
/// drops the task (which closes the socket and drops any held request).
async fn connection(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, _open: OpenGuard) {
    if let Err(err) = stream.set_nodelay(true) {
        log::trace!("demo server: {peer}: cannot set TCP_NODELAY: {err}");
    }
    let state = Arc::new(ConnectionState::default());
    let service = {
        let state = Arc::clone(&state);
        service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let state = Arc::clone(&state);
            async move {
                shared.count_request();
                let nth = state.requests.fetch_add(1, Ordering::Relaxed) + 1;
                if shared.settings.fault == Fault::CloseOnReuse && nth > 1 {
                    // The connection task drops the socket; this answer never comes.
                    state.close.notify_one();
                    std::future::pending::<()>().await;
                }
                Ok::<_, Infallible>(route(request, &shared).await)
            }
        })
    };
    // No timer is set, so hyper applies no header-read timeout: idle keep-alive
    // connections stay open as long as the client wants.
    let serving = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = serving => {
            if let Err(err) = result {
                // Mostly clients hanging up mid-hold: routine for a long-poll server.
                log::trace!("demo server: {peer}: connection ended: {err}");
            }
        }
        () = state.close.notified() => {
            log::trace!("demo server: {peer}: closing on reuse (fault)");
        }
    }
}
