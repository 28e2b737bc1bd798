//! A small hostile HTTP server for the tests: std `TcpListener` on a chosen loopback
//! address (127.0.0.1, 127.0.0.2, … are all loopback on Linux, so two servers are two
//! origins), answering each request with whatever bytes the test's handler returns —
//! malformed heads, redirects, bombs — and recording every request it received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request line's target: path and query.
    pub target: String,
    /// Header lines as sent, `Name: value`.
    pub headers: Vec<String>,
    pub body: Vec<u8>,
    /// Which accepted connection carried it (from 1).
    pub connection: usize,
}

impl Seen {
    /// The request line and headers as one text, for "was this sent" checks.
    pub fn head(&self) -> String {
        format!("{}\n{}", self.target, self.headers.join("\n"))
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// What to send back: raw bytes, and whether to keep the connection for more requests.
pub struct Reply {
    pub bytes: Vec<u8>,
    pub keep_alive: bool,
}

impl Reply {
    /// A complete answer with a Content-Length, keeping the connection.
    pub fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        Self {
            bytes,
            keep_alive: true,
        }
    }

    /// A JSON answer.
    pub fn json(body: &str) -> Self {
        Self::http(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    /// Exactly these bytes, then close.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            keep_alive: false,
        }
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A running hostile server; stops when dropped.
pub struct Hostile {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// Listen on `ip` (port 0) and answer request number `n` (from 0) with
    /// `handler(request, n)`.
    pub fn start(
        ip: &str,
        handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let ip: IpAddr = ip.parse().expect("an IP address");
        let listener = TcpListener::bind((ip, 0)).expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let count = Arc::new(AtomicUsize::new(0));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::Builder::new()
            .name(format!("hostile-{addr}"))
            .spawn(move || {
                let mut connection = 0;
                for stream in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connection += 1;
                    let (seen, handler, count) =
                        (Arc::clone(&seen2), Arc::clone(&handler), Arc::clone(&count));
                    let _detached = std::thread::Builder::new()
                        .name("hostile-conn".to_owned())
                        .spawn(move || serve(stream, connection, &seen, &*handler, &count));
                }
            })
            .expect("server thread");
        Self { addr, seen, stop }
    }

    /// `http://IP:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ignored = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(
    stream: TcpStream,
    connection: usize,
    seen: &Mutex<Vec<Seen>>,
    handler: &Handler,
    count: &AtomicUsize,
) {
    let _ignored = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    // Bounded: no test sends more than a few hundred requests on one connection.
    for _ in 0..10_000 {
        let Some(request) = read_request(&mut reader, connection) else {
            return;
        };
        seen.lock().expect("seen").push(request.clone());
        let n = count.fetch_add(1, Ordering::SeqCst);
        let reply = handler(&request, n);
        if writer.write_all(&reply.bytes).is_err() || !reply.keep_alive {
            let _ignored = writer.flush();
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let target = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end().to_owned();
        if h.is_empty() {
            break;
        }
        headers.push(h);
    }
    let length = headers
        .iter()
        .find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        target,
        headers,
        body,
        connection,
    })
}
