//! A SignalR long-polling server written from the published protocol documents, for
//! tests — NOT ASP.NET Core (which does not run here). It follows
//! `TransportProtocols.md` (negotiate version 1 with a connection token; long polling:
//! `GET [endpoint]?id=` held until messages or the poll timeout, `200` with no body on a
//! timeout, `204` to a poll replaced by a newer one or ended by `DELETE`, `404` for an
//! unknown token; `POST [endpoint]?id=` to send) and `HubProtocol.md` (JSON records
//! ended by 0x1e: the handshake request and its `{}` answer, invocations `type 1`,
//! pings `type 6` both ways, close `type 7`), including ASP.NET Core's client timeout:
//! a connection that sends nothing for `client_timeout` is closed with a close record.
//!
//! Beside the hub at `/hub`: `POST /publish` (a JSON value → an invocation of `send` to
//! every connection past its handshake), `GET /clients`, `POST /kill` (forget every
//! connection, as a restarted server would).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::scripted::{Request, Response, Scripted};

const RS: char = '\u{1e}';

/// Timings of the test server.
#[derive(Clone, Copy, Debug)]
pub struct Timings {
    /// How long a poll is held with nothing to send (ASP.NET Core: 90 s).
    pub poll_timeout: Duration,
    /// A ping is queued when nothing was sent for this long (ASP.NET Core: 15 s).
    pub keep_alive: Duration,
    /// A connection that sent nothing for this long is closed (ASP.NET Core: 30 s).
    pub client_timeout: Duration,
}

#[derive(Default)]
struct Connection {
    handshaken: bool,
    queue: Vec<String>,
    /// Bumped by each new poll; an older poll that sees a newer one ends with 204.
    poll_generation: u64,
    last_sent: Option<Instant>,
    last_heard: Option<Instant>,
    closed: bool,
}

#[derive(Default)]
struct State {
    next_id: u64,
    connections: HashMap<String, Connection>,
}

/// The server.
pub struct SignalR {
    http: Scripted,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl SignalR {
    pub fn start(t: Timings) -> Self {
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = Arc::clone(&state);
        let http = Scripted::start(move |r| handle(&shared, t, r));
        Self { http, state }
    }

    pub fn url(&self, path: &str) -> String {
        self.http.url(path)
    }

    /// Queue an invocation of `send` with `arg` for every connection past its handshake.
    pub fn publish(&self, arg: &str) {
        let (lock, cv) = &*self.state;
        let mut s = lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for c in s
            .connections
            .values_mut()
            .filter(|c| c.handshaken && !c.closed)
        {
            c.queue.push(format!(
                r#"{{"type":1,"target":"send","arguments":[{arg}]}}{RS}"#
            ));
        }
        cv.notify_all();
    }

    /// Connections past their handshake.
    pub fn clients(&self) -> usize {
        let s = self
            .state
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.connections
            .values()
            .filter(|c| c.handshaken && !c.closed)
            .count()
    }

    /// Forget every connection (polls held now end with 204; later ones get 404).
    pub fn kill(&self) {
        let (lock, cv) = &*self.state;
        lock.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .connections
            .clear();
        cv.notify_all();
    }
}

fn handle(state: &(Mutex<State>, Condvar), t: Timings, r: &Request) -> Response {
    let id = r.query("id");
    match (r.method.as_str(), r.path(), id) {
        ("POST", "/hub/negotiate", _) => negotiate(state, r),
        ("GET", "/hub", Some(id)) => poll(state, t, &id),
        ("POST", "/hub", Some(id)) => send(state, &id, &r.body),
        ("DELETE", "/hub", Some(id)) => {
            let (lock, cv) = state;
            lock.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .connections
                .remove(&id);
            cv.notify_all();
            Response::new(202, "text/plain", "")
        }
        (_, "/hub", None) => Response::new(400, "text/plain", "Connection ID required"),
        _ => Response::new(404, "text/plain", ""),
    }
}

fn negotiate(state: &(Mutex<State>, Condvar), r: &Request) -> Response {
    let version: u32 = r
        .query("negotiateVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut s = state
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    s.next_id += 1;
    let n = s.next_id;
    // Base64url-looking tokens, as ASP.NET Core hands out.
    let token = format!("tok-{n:04}-q7Xk9_aZ");
    let connection_id = format!("conn-{n:04}");
    s.connections.insert(
        token.clone(),
        Connection {
            last_heard: Some(Instant::now()),
            ..Connection::default()
        },
    );
    let body = if version >= 1 {
        format!(
            r#"{{"connectionId":"{connection_id}","connectionToken":"{token}","negotiateVersion":1,"availableTransports":[{{"transport":"LongPolling","transferFormats":["Text","Binary"]}}]}}"#
        )
    } else {
        format!(
            r#"{{"connectionId":"{token}","negotiateVersion":0,"availableTransports":[{{"transport":"LongPolling","transferFormats":["Text","Binary"]}}]}}"#
        )
    };
    Response::json(&body)
}

fn send(state: &(Mutex<State>, Condvar), id: &str, body: &[u8]) -> Response {
    let (lock, cv) = state;
    let mut s = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(c) = s.connections.get_mut(id).filter(|c| !c.closed) else {
        return Response::new(404, "text/plain", "");
    };
    c.last_heard = Some(Instant::now());
    let text = String::from_utf8_lossy(body);
    for record in text.split(RS).filter(|r| !r.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(record) else {
            return Response::new(400, "text/plain", "not JSON");
        };
        if !c.handshaken {
            if v["protocol"] == "json" && v["version"] == 1 {
                c.handshaken = true;
                c.queue.push(format!("{{}}{RS}"));
            } else {
                c.queue.push(format!(
                    r#"{{"error":"Requested protocol '{}' is not available."}}{RS}"#,
                    v["protocol"].as_str().unwrap_or("?")
                ));
                c.closed = true;
            }
        }
        // Pings (type 6) only keep the connection alive; nothing else is expected here.
    }
    cv.notify_all();
    Response::new(200, "text/plain", "")
}

fn poll(state: &(Mutex<State>, Condvar), t: Timings, id: &str) -> Response {
    let (lock, cv) = state;
    let mut s = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let generation = match s.connections.get_mut(id) {
        Some(c) => {
            c.poll_generation += 1;
            c.poll_generation
        }
        None => return Response::new(404, "text/plain", ""),
    };
    cv.notify_all();
    let deadline = Instant::now() + t.poll_timeout;
    loop {
        let now = Instant::now();
        let Some(c) = s.connections.get_mut(id) else {
            // Forgotten while held (killed or deleted): the poll ends with 204.
            return Response::new(204, "text/plain", "");
        };
        if c.poll_generation != generation {
            return Response::new(204, "text/plain", "");
        }
        if !c.closed && c.last_heard.is_some_and(|h| now - h >= t.client_timeout) {
            c.queue.push(format!(
                r#"{{"type":7,"error":"Server timeout elapsed without receiving a message from the client.","allowReconnect":true}}{RS}"#
            ));
            c.closed = true;
        }
        if c.handshaken
            && !c.closed
            && c.queue.is_empty()
            && c.last_sent.is_none_or(|at| now - at >= t.keep_alive)
        {
            c.queue.push(format!(r#"{{"type":6}}{RS}"#));
        }
        if !c.queue.is_empty() {
            let body: String = c.queue.drain(..).collect();
            c.last_sent = Some(now);
            if c.closed {
                s.connections.remove(id);
            }
            return Response::new(200, "text/plain", body);
        }
        if now >= deadline {
            return Response::new(200, "text/plain", "");
        }
        let wait = (deadline - now).min(Duration::from_millis(50));
        s = cv
            .wait_timeout(s, wait)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
}
