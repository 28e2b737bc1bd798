//! What went wrong with a call, as a kind and in words: a transport error's
//! [`ErrorKind`], and the message when the proxy (not the server behind it) failed or
//! answered. Pure functions; the poller ([`super::worker`]) reports what they return.

use std::io;

use super::answer::header;
use super::event::ErrorKind;
use super::redirect;
use crate::proxy::ProxyEndpoint;
use crate::transport;

/// The kind of a transport error.
#[must_use]
pub fn classify(e: &ureq::Error) -> ErrorKind {
    use ureq::Error as E;
    match e {
        E::HostNotFound => ErrorKind::HostNotFound,
        E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => ErrorKind::ConnectTimeout,
        E::Timeout(_) => ErrorKind::Timeout,
        E::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::NotConnected => ErrorKind::ConnectionLost,
            _ if io.get_ref().is_some_and(is_tls) => ErrorKind::Tls,
            // EMFILE (24) and ENFILE (23) on Linux and the BSDs.
            _ if matches!(io.raw_os_error(), Some(23 | 24)) => ErrorKind::FileLimit,
            // getaddrinfo failures carry no ErrorKind of their own.
            _ if io.to_string().contains("failed to lookup address") => ErrorKind::HostNotFound,
            _ => ErrorKind::Other,
        },
        E::ConnectionFailed => ErrorKind::ConnectRefused,
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => ErrorKind::Proxy,
        E::Other(inner) if inner.is::<redirect::Refused>() => inner
            .downcast_ref::<redirect::Refused>()
            .map_or(ErrorKind::Redirect, |r| r.kind),
        E::BodyExceedsLimit(_) => ErrorKind::BodyTooLarge,
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => ErrorKind::Tls,
        E::LargeResponseHeader(..) => ErrorKind::HeadTooLarge,
        // BodyStalled: ureq's decoder could make no progress with a full buffer: framing
        // that never ends (a 50 MB chunk-size line), not a slow server.
        E::Protocol(_) | E::Decompress(..) | E::BodyStalled => ErrorKind::Protocol,
        E::BadUri(_) | E::Http(_) => ErrorKind::Request,
        _ => ErrorKind::Other,
    }
}

/// An I/O error's inner error is rustls' own.
fn is_tls(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.is::<rustls::Error>()
}

/// A transport error on a poll through `proxy`, named after the proxy when it is the
/// proxy that failed (the server is never reached directly then).
pub(super) fn proxy_error(
    e: &ureq::Error,
    kind: ErrorKind,
    proxy: &ProxyEndpoint,
    target: &str,
) -> (String, ErrorKind) {
    let p = proxy.authority();
    let from = &proxy.source;
    let message = match (e, kind) {
        // Worded (with advice) where the proxy's answer was read.
        (ureq::Error::ConnectProxyFailed(text), _) => text.clone(),
        (_, ErrorKind::ConnectRefused) => {
            format!("proxy {p} refused the connection: is the proxy running? (set by {from})")
        }
        (_, ErrorKind::HostNotFound) => format!(
            "proxy host {} not found (DNS lookup failed; set by {from})",
            proxy.host
        ),
        (_, ErrorKind::ConnectTimeout) => format!(
            "no connection to {target} through proxy {p} within {} s (set by {from})",
            transport::CONNECT_TIMEOUT.as_secs()
        ),
        (_, ErrorKind::Tls) => format!("TLS with {target} (through proxy {p}) failed: {e}"),
        (_, ErrorKind::ConnectionLost) => {
            format!("connection to {target} through proxy {p} lost: {e}")
        }
        _ => return (format!("{e} (through proxy {p})"), kind),
    };
    let kind = match kind {
        ErrorKind::Tls | ErrorKind::ConnectionLost => kind,
        _ => ErrorKind::Proxy,
    };
    (message, kind)
}

/// When an error answer came from the proxy itself (not from the server through it):
/// what to tell. A 407 always is the proxy's; another error status is when the proxy
/// marked it as its own (squid's `X-Squid-Error`, RFC 9209 `Proxy-Status`).
pub(super) fn proxy_answer(
    proxy: &ProxyEndpoint,
    status: u16,
    headers: &[(String, String)],
    reason: &str,
    target: &str,
) -> Option<String> {
    let marked = header(headers, "x-squid-error").or(header(headers, "proxy-status"));
    if status != 407 && marked.is_none() {
        return None;
    }
    let mut text = format!("proxy {} answered {status} {reason}", proxy.authority());
    if status != 407 {
        text.push_str(&format!(" for {target}"));
    }
    if let Some(m) = marked {
        text.push_str(&format!(" ({m})"));
    }
    text.push_str(&transport::proxy_advice(status, proxy));
    Some(text)
}
