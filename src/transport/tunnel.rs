//! Talking to an HTTP forward proxy over a counted connection: a `CONNECT` tunnel for
//! `https://` targets, absolute-form requests for `http://` ones (as curl does, and as
//! proxies that allow `CONNECT` only to port 443 require).
//!
//! ureq writes requests in origin form (`GET /path`), so [`ForwardTransport`] rewrites
//! each request line to `GET http://host:port/path` and adds `Proxy-Authorization`.
//! Both run over the measuring connector's [`CountingTransport`](super::CountingTransport):
//! the connections counted are the connections to the proxy.

use std::fmt;

use ureq::unversioned::transport::{Buffers, NextTimeout, Transport};

use crate::proxy::ProxyEndpoint;

/// Longest proxy answer head read for a `CONNECT`.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Most headers read in a proxy's answer to `CONNECT`.
const MAX_CONNECT_HEADERS: usize = 64;

/// A proxy's refusal, worded for people. The worker reports it as it is.
fn refused(message: String) -> ureq::Error {
    ureq::Error::ConnectProxyFailed(message)
}

/// Ask `proxy` (over `transport`, already connected to it) for a tunnel to `target`
/// (`host:port`). On success the transport carries the target's bytes from then on.
pub(super) fn open_tunnel(
    transport: &mut dyn Transport,
    target: &str,
    proxy: &ProxyEndpoint,
    user_agent: &str,
    timeout: NextTimeout,
) -> Result<(), ureq::Error> {
    let mut head = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {user_agent}\r\n\
         Proxy-Connection: Keep-Alive\r\n"
    );
    if let Some(line) = proxy.authorization_line() {
        head.push_str(&line);
    }
    head.push_str("\r\n");
    send_all(transport, head.as_bytes(), timeout)?;

    let who = format!("proxy {}", proxy.authority());
    loop {
        let input = transport.buffers().input();
        let mut headers = [httparse::EMPTY_HEADER; MAX_CONNECT_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(input) {
            Ok(httparse::Status::Complete(used)) => {
                let status = response.code.unwrap_or(0);
                if status / 100 == 2 {
                    transport.buffers().input_consume(used);
                    log::trace!("{who} opened a tunnel to {target}");
                    return Ok(());
                }
                return Err(refused(connect_refusal(
                    &who,
                    target,
                    proxy,
                    status,
                    response.reason.unwrap_or(""),
                    response.headers,
                )));
            }
            Ok(httparse::Status::Partial) if input.len() >= MAX_CONNECT_HEAD => {
                return Err(refused(format!(
                    "{who} answered CONNECT with a head over {} KiB",
                    MAX_CONNECT_HEAD / 1024
                )));
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                return Err(refused(format!(
                    "{who} answered CONNECT {target} with something that is not HTTP ({e})"
                )));
            }
        }
        if !transport.await_input(timeout)? {
            return Err(refused(format!(
                "{who} closed the connection instead of answering CONNECT {target}"
            )));
        }
    }
}

/// Why a proxy's non-2xx answer to `CONNECT` stopped the poll, and what to do.
fn connect_refusal(
    who: &str,
    target: &str,
    proxy: &ProxyEndpoint,
    status: u16,
    reason: &str,
    headers: &[httparse::Header<'_>],
) -> String {
    let mut text = format!("{who} answered {status} {reason} to CONNECT {target}");
    let detail = headers
        .iter()
        .find(|h| {
            h.name.eq_ignore_ascii_case("x-squid-error")
                || h.name.eq_ignore_ascii_case("proxy-status")
        })
        .map(|h| String::from_utf8_lossy(h.value).into_owned());
    if let Some(d) = detail {
        text.push_str(&format!(" ({d})"));
    }
    text.push_str(&advice(status, proxy));
    text
}

/// What a person can do about a proxy's answer `status` (with `: ` in front), or
/// nothing.
#[must_use]
pub fn advice(status: u16, proxy: &ProxyEndpoint) -> String {
    let source = proxy.source;
    match status {
        407 if proxy.has_credentials() => {
            format!(": the proxy refused the user name and password of {source}; check them")
        }
        407 => format!(
            ": the proxy wants a user name and password; add them to {source} \
             (http://user:password@host:port)"
        ),
        403 => ": the proxy's rules do not allow this destination".to_owned(),
        502..=504 => ": the proxy could not reach the server; is the server running?".to_owned(),
        _ => String::new(),
    }
}

/// Write all of `bytes` through `transport`, in pieces the size of its output buffer.
fn send_all(
    transport: &mut dyn Transport,
    bytes: &[u8],
    timeout: NextTimeout,
) -> Result<(), ureq::Error> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let out = transport.buffers().output();
        let n = out.len().min(rest.len());
        if n == 0 {
            return Err(ureq::Error::Io(std::io::Error::other(
                "the transport has no output buffer",
            )));
        }
        out[..n].copy_from_slice(&rest[..n]);
        transport.transmit_output(n, timeout)?;
        rest = &rest[n..];
    }
    Ok(())
}

/// Plain HTTP through a forward proxy: each request line becomes absolute-form and
/// carries the proxy's credentials.
pub(super) struct ForwardTransport<T> {
    inner: T,
    /// `http://host:port`, put in front of each request's path.
    origin: String,
    /// `Proxy-Authorization: …\r\n`, if the proxy has credentials.
    authorization: Option<String>,
    /// The next output starts a request (nothing sent since the last read).
    at_request: bool,
}

impl<T> fmt::Debug for ForwardTransport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardTransport")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> ForwardTransport<T> {
    pub(super) fn new(inner: T, origin: String, proxy: &ProxyEndpoint) -> Self {
        Self {
            inner,
            origin,
            authorization: proxy.authorization_line(),
            at_request: true,
        }
    }
}

/// The request head in `out` with an absolute-form target (`origin` in front of the
/// path) and the proxy's credentials, or `None` when `out` does not start with an
/// origin-form request line (then it is sent as it is).
fn absolute_form(origin: &str, authorization: Option<&str>, out: &[u8]) -> Option<Vec<u8>> {
    let line_end = out.windows(2).position(|w| w == b"\r\n")?;
    let line = &out[..line_end];
    let space = line.iter().position(|&b| b == b' ')?;
    let (method, target) = line.split_at(space);
    let target = &target[1..];
    if !target.starts_with(b"/") || !line.ends_with(b" HTTP/1.1") {
        return None;
    }
    let auth = authorization.unwrap_or("");
    let mut head = Vec::with_capacity(out.len() + origin.len() + auth.len());
    head.extend_from_slice(method);
    head.push(b' ');
    head.extend_from_slice(origin.as_bytes());
    head.extend_from_slice(target);
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(auth.as_bytes());
    head.extend_from_slice(&out[line_end + 2..]);
    Some(head)
}

impl<T: Transport> Transport for ForwardTransport<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if std::mem::take(&mut self.at_request) {
            let out = &self.inner.buffers().output()[..amount];
            if let Some(head) = absolute_form(&self.origin, self.authorization.as_deref(), out) {
                return send_all(&mut self.inner, &head, timeout);
            }
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.at_request = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::ProxySource;

    fn auth(proxy: &str) -> Option<String> {
        ProxyEndpoint::parse(proxy, ProxySource::Profile)
            .unwrap()
            .authorization_line()
    }

    const ORIGIN: &str = "http://origin:8080";

    #[test]
    fn request_lines_become_absolute_form_with_credentials() {
        let with = auth("http://u:pw@p:3128");
        let head = b"GET /events?cursor=3 HTTP/1.1\r\nHost: origin:8080\r\n\r\n";
        let out = absolute_form(ORIGIN, with.as_deref(), head).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET http://origin:8080/events?cursor=3 HTTP/1.1\r\n\
             Proxy-Authorization: Basic dTpwdw==\r\nHost: origin:8080\r\n\r\n"
        );
        assert_eq!(auth("p:3128"), None);
        let out = absolute_form(ORIGIN, None, b"POST / HTTP/1.1\r\n\r\nbody").unwrap();
        assert_eq!(out, b"POST http://origin:8080/ HTTP/1.1\r\n\r\nbody");
        assert!(absolute_form(ORIGIN, None, b"body bytes, not a head").is_none());
        assert!(absolute_form(ORIGIN, None, b"GET http://x/ HTTP/1.1\r\n").is_none());
    }
}
