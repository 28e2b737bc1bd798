//! One accepted connection of the demo server: its byte stream (plain TCP or TLS over
//! TCP) and the per-connection state the faults need: the request count (for
//! `CloseOnReuse`), a way to hang up without answering, and a way to end with a TCP
//! reset instead of a close.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::server::TlsStream;

/// Shared by a connection's task, its requests and their bodies.
#[derive(Default)]
pub(super) struct Connection {
    requests: AtomicU64,
    /// Notified when the connection must be dropped without answering.
    hangup: Notify,
    /// Set when the connection must end with a reset (`SO_LINGER` 0) when dropped.
    reset: AtomicBool,
}

impl Connection {
    /// Count a request; true if an earlier one came on this connection.
    pub fn count_request(&self) -> bool {
        self.requests.fetch_add(1, Ordering::Relaxed) > 0
    }

    /// Ask the connection task to drop the socket (a FIN, no answer).
    pub fn hang_up(&self) {
        self.hangup.notify_one();
    }

    pub async fn hung_up(&self) {
        self.hangup.notified().await;
    }

    /// Make the socket's close a reset. The caller then fails the response, so hyper
    /// drops the connection.
    pub fn request_reset(&self) {
        self.reset.store(true, Ordering::Relaxed);
    }

    fn resetting(&self) -> bool {
        self.reset.load(Ordering::Relaxed)
    }
}

/// The accepted byte stream.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => tcp,
            Self::Tls(tls) => tls.get_ref().0,
        }
    }
}

/// The stream handed to hyper. On drop, a requested reset is applied just before the
/// socket closes.
pub(super) struct ConnectionIo {
    stream: Stream,
    connection: std::sync::Arc<Connection>,
}

impl ConnectionIo {
    pub fn new(stream: Stream, connection: std::sync::Arc<Connection>) -> Self {
        Self { stream, connection }
    }
}

impl Drop for ConnectionIo {
    fn drop(&mut self) {
        if self.connection.resetting()
            && let Err(err) = self.stream.tcp().set_zero_linger()
        {
            log::trace!("demo server: cannot set SO_LINGER 0 for a reset: {err}");
        }
    }
}

impl AsyncRead for ConnectionIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ConnectionIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Plain(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.connection.resetting() {
            // A clean shutdown would send a FIN (or close_notify) before the reset.
            return Poll::Ready(Ok(()));
        }
        match &mut self.stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
