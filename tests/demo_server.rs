//! The demo long-poll server over real loopback HTTP: catch-up, holding, timeouts,
//! keep-alive accounting, shutdown with requests held, every injected fault as a raw
//! client sees it (and the fault schedule), restarts with a state file, and TLS.
//! Every wait is bounded, so a broken server fails a test instead of hanging it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use pollscope::demo_server::{
    DemoServer, DemoServerConfig, DemoServerError, Fault, FaultPlan, ServerStats, TlsMode,
};
use serde_json::{Value, json};

/// Upper bound for anything that should happen "at once".
const PROMPT: Duration = Duration::from_secs(5);

fn start() -> DemoServer {
    start_with(DemoServerConfig::default())
}

fn start_with(config: DemoServerConfig) -> DemoServer {
    DemoServer::start(config).expect("demo server starts")
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build(),
    )
}

/// GET `path_and_query`; returns the status and the body parsed as JSON.
fn get_json(server: &DemoServer, path_and_query: &str) -> (u16, Value) {
    let mut response = agent()
        .get(format!("{}{path_and_query}", server.base_url()))
        .call()
        .expect("GET answered");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("body read");
    (status, serde_json::from_str(&body).expect("body is JSON"))
}

fn post(server: &DemoServer, path: &str, body: impl Into<Vec<u8>>) -> (u16, Value) {
    let mut response = agent()
        .post(format!("{}{path}", server.base_url()))
        .header("content-type", "application/json")
        .send(body.into())
        .expect("POST answered");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("body read");
    (status, serde_json::from_str(&body).expect("body is JSON"))
}

fn seqs(answer: &Value) -> Vec<u64> {
    answer["events"]
        .as_array()
        .expect("events is an array")
        .iter()
        .map(|event| event["seq"].as_u64().expect("seq is a number"))
        .collect()
}

/// Poll the server's counters until `done` holds; panics after [`PROMPT`].
fn wait_for_stats(server: &DemoServer, what: &str, done: impl Fn(&ServerStats) -> bool) {
    let deadline = Instant::now() + PROMPT;
    loop {
        let stats = server.stats();
        if done(&stats) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {stats:?}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// A raw HTTP/1.1 client on one TCP connection, to see exactly what goes over it.
struct RawConnection {
    reader: BufReader<TcpStream>,
}

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
}

impl RawConnection {
    fn open(server: &DemoServer) -> Self {
        let stream = TcpStream::connect(server.addr()).expect("connect");
        stream.set_read_timeout(Some(PROMPT)).expect("read timeout");
        Self {
            reader: BufReader::new(stream),
        }
    }

    fn send_get(&mut self, path_and_query: &str) {
        let request = format!("GET {path_and_query} HTTP/1.1\r\nHost: demo\r\n\r\n");
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("request written");
    }

    /// The next response, or `None` if the server closed the connection before
    /// sending a single byte.
    fn read_response(&mut self) -> io::Result<Option<RawResponse>> {
        let Some(mut response) = self.read_head()? else {
            return Ok(None);
        };
        let length: usize = response
            .header("content-length")
            .expect("content-length present")
            .parse()
            .expect("content-length is a number");
        response.body.resize(length, 0);
        self.reader.read_exact(&mut response.body)?;
        Ok(Some(response))
    }

    /// Status line and headers only (the body is left empty), or `None` if the
    /// connection closed before a byte.
    fn read_head(&mut self) -> io::Result<Option<RawResponse>> {
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            return Ok(None);
        }
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status line has a code");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header has a colon");
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Some(RawResponse {
            status,
            headers,
            body: Vec::new(),
        }))
    }

    /// Everything until the connection ends, and how it ended (EOF = `Ok`).
    fn read_rest(&mut self) -> (Vec<u8>, io::Result<()>) {
        let mut rest = Vec::new();
        let ended = self.reader.read_to_end(&mut rest).map(|_| ());
        (rest, ended)
    }

    fn get(&mut self, path_and_query: &str) -> RawResponse {
        self.send_get(path_and_query);
        self.read_response()
            .expect("response read")
            .expect("server answered")
    }
}

#[test]
fn catch_up_answers_at_once_with_events_after_the_cursor() {
    let server = start();
    for n in 1..=5 {
        assert_eq!(server.publish(json!({ "n": n })), n);
    }
    let started = Instant::now();
    let (status, answer) = get_json(&server, "/events?cursor=2&timeout=30");
    assert!(started.elapsed() < PROMPT, "catch-up was held");
    assert_eq!(status, 200);
    assert_eq!(seqs(&answer), [3, 4, 5]);
    assert_eq!(answer["cursor"], 5);
    let first = &answer["events"][0];
    assert_eq!(first["data"], json!({ "n": 3 }));
    let ts_ms = first["ts_ms"].as_u64().expect("ts_ms");
    let ts_us = first["ts_us"].as_u64().expect("ts_us");
    assert_eq!(ts_us / 1000, ts_ms);
    assert!(
        ts_ms > 1_700_000_000_000,
        "ts_ms is UNIX epoch millis: {ts_ms}"
    );
}

#[test]
fn catch_up_is_capped_by_max_batch_and_old_cursors_get_the_oldest_kept() {
    let server = start_with(DemoServerConfig {
        history: 4,
        max_batch: 2,
        ..DemoServerConfig::default()
    });
    for n in 1..=6 {
        server.publish(json!(n));
    }
    let (_, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    assert_eq!(seqs(&answer), [3, 4], "oldest kept first, two at most");
    assert_eq!(answer["cursor"], 4);
    let (_, answer) = get_json(&server, "/events?cursor=4&timeout=0");
    assert_eq!(seqs(&answer), [5, 6]);
}

#[test]
fn held_request_wakes_on_publish() {
    let server = start();
    server.publish(json!("before"));
    let started = Instant::now();
    let answer = thread::scope(|scope| {
        let poll = scope.spawn(|| get_json(&server, "/events?cursor=1&timeout=20"));
        wait_for_stats(&server, "the request to be held", |s| s.held_requests == 1);
        server.publish(json!({ "hello": "world" }));
        poll.join().expect("poller thread")
    });
    assert!(started.elapsed() < PROMPT, "answer waited for the timeout");
    assert_eq!(answer.0, 200);
    assert_eq!(seqs(&answer.1), [2]);
    assert_eq!(answer.1["cursor"], 2);
    assert_eq!(answer.1["events"][0]["data"], json!({ "hello": "world" }));
    wait_for_stats(&server, "the hold to end", |s| s.held_requests == 0);
}

#[test]
fn timeout_answers_empty_and_keeps_the_cursor() {
    let server = start();
    server.publish(json!(1));
    server.publish(json!(2));
    let started = Instant::now();
    let (status, answer) = get_json(&server, "/events?cursor=2&timeout=0.3");
    let held = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(answer, json!({ "cursor": 2, "events": [] }));
    assert!(
        held >= Duration::from_millis(250),
        "answered too early: {held:?}"
    );
    assert!(held < PROMPT, "held far past the timeout: {held:?}");

    let started = Instant::now();
    let (_, answer) = get_json(&server, "/events?cursor=2&timeout=0");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer, json!({ "cursor": 2, "events": [] }));
}

#[test]
fn hold_is_clamped_to_max_hold() {
    let server = start_with(DemoServerConfig {
        max_hold: Duration::from_millis(200),
        ..DemoServerConfig::default()
    });
    let started = Instant::now();
    let (_, answer) = get_json(&server, "/events?cursor=0&timeout=600");
    assert!(started.elapsed() < PROMPT);
    assert_eq!(answer, json!({ "cursor": 0, "events": [] }));
}

#[test]
fn absent_cursor_starts_at_the_tip() {
    let server = start();
    for n in 1..=3 {
        server.publish(json!(n));
    }
    let (_, answer) = get_json(&server, "/events?timeout=0");
    assert_eq!(answer, json!({ "cursor": 3, "events": [] }));

    let (_, answer) = thread::scope(|scope| {
        let poll = scope.spawn(|| get_json(&server, "/events?timeout=20"));
        wait_for_stats(&server, "the request to be held", |s| s.held_requests == 1);
        server.publish(json!("new"));
        poll.join().expect("poller thread")
    });
    assert_eq!(seqs(&answer), [4], "only the event published after arrival");
    assert_eq!(answer["cursor"], 4);
}

#[test]
fn cursor_past_the_last_seq_is_treated_as_the_tip() {
    let server = start();
    server.publish(json!(1));
    let (_, answer) = get_json(&server, "/events?cursor=1000&timeout=0");
    assert_eq!(answer, json!({ "cursor": 1, "events": [] }));
    let (_, answer) = thread::scope(|scope| {
        let poll = scope.spawn(|| get_json(&server, "/events?cursor=1000&timeout=20"));
        wait_for_stats(&server, "the request to be held", |s| s.held_requests == 1);
        server.publish(json!(2));
        poll.join().expect("poller thread")
    });
    assert_eq!(seqs(&answer), [2]);
    assert_eq!(answer["cursor"], 2);
}

#[test]
fn skip_seq_leaves_a_visible_gap() {
    let server = start();
    assert_eq!(server.publish(json!("a")), 1);
    assert_eq!(server.publish(json!("b")), 2);
    server.skip_seq(5);
    assert_eq!(server.publish(json!("c")), 8);
    let (_, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    assert_eq!(seqs(&answer), [1, 2, 8]);
    assert_eq!(server.stats().last_seq, 8);
    assert_eq!(server.stats().published, 3);
}

#[test]
fn bad_queries_get_400_with_a_message() {
    let server = start();
    for query in [
        "cursor=abc",
        "cursor=-3",
        "timeout=soon",
        "timeout=-1",
        "timeout=NaN",
    ] {
        let (status, answer) = get_json(&server, &format!("/events?{query}"));
        assert_eq!(status, 400, "{query}");
        let message = answer["error"].as_str().expect("error message");
        let param = query.split('=').next().expect("name");
        assert!(message.contains(param), "{query}: {message}");
    }
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let server = start();
    let (status, answer) = get_json(&server, "/nope");
    assert_eq!((status, answer), (404, json!({ "error": "not found" })));
    let (status, _) = post(&server, "/events", "{}");
    assert_eq!(status, 405);
}

#[test]
fn posted_json_becomes_an_event() {
    let server = start();
    let (status, answer) = post(&server, "/publish", r#"{"temp": 21.5, "room": "lab"}"#);
    assert_eq!(status, 200);
    assert_eq!(answer, json!({ "seq": 1 }));
    let (_, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    assert_eq!(seqs(&answer), [1]);
    assert_eq!(
        answer["events"][0]["data"],
        json!({ "temp": 21.5, "room": "lab" })
    );

    let (status, answer) = post(&server, "/publish", "not json");
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().expect("message").contains("JSON"));

    let huge = format!("\"{}\"", "x".repeat(1024 * 1024 + 1));
    let (status, _) = post(&server, "/publish", huge);
    assert_eq!(status, 413);

    let stats = server.stats();
    assert_eq!((stats.published, stats.last_seq), (1, 1));
}

#[test]
fn stats_and_help_are_served() {
    let server = start();
    server.publish(json!(null));
    let (status, answer) = get_json(&server, "/stats");
    assert_eq!(status, 200);
    let stats: ServerStats = serde_json::from_value(answer).expect("stats shape");
    assert_eq!((stats.published, stats.last_seq), (1, 1));
    assert_eq!(stats.requests, 1);

    let mut connection = RawConnection::open(&server);
    let help = connection.get("/");
    assert_eq!(help.status, 200);
    assert!(
        help.header("content-type")
            .expect("type")
            .starts_with("text/plain")
    );
    assert!(String::from_utf8_lossy(&help.body).contains("/events?cursor="));
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let server = start();
    server.publish(json!("x"));
    let mut connection = RawConnection::open(&server);
    for _ in 0..4 {
        let response = connection.get("/events?cursor=0&timeout=0");
        assert_eq!(response.status, 200);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_ne!(response.header("connection"), Some("close"));
        assert_eq!(seqs(&response.json()), [1]);
    }
    let stats = server.stats();
    assert_eq!(stats.accepted_connections, 1);
    assert_eq!(stats.open_connections, 1);
    assert_eq!(stats.requests, 4);
    drop(connection);
    wait_for_stats(&server, "the connection to close", |s| {
        s.open_connections == 0
    });
}

#[test]
fn close_on_reuse_drops_the_second_request_without_a_byte() {
    let server = start_with(DemoServerConfig {
        fault: Fault::CloseOnReuse,
        ..DemoServerConfig::default()
    });
    server.publish(json!("x"));
    let mut connection = RawConnection::open(&server);
    let first = connection.get("/events?cursor=0&timeout=0");
    assert_eq!(first.status, 200);
    assert_eq!(seqs(&first.json()), [1]);
    let says_close = first
        .header("connection")
        .is_some_and(|value| value.eq_ignore_ascii_case("close"));
    assert!(!says_close, "the first answer must look reusable");

    connection.send_get("/events?cursor=0&timeout=0");
    let mut rest = Vec::new();
    let read = connection.reader.read_to_end(&mut rest);
    assert!(read.is_ok(), "expected a clean EOF, got {read:?}");
    assert!(
        rest.is_empty(),
        "got bytes: {:?}",
        String::from_utf8_lossy(&rest)
    );

    // A fresh connection is served again.
    let mut fresh = RawConnection::open(&server);
    assert_eq!(fresh.get("/stats").status, 200);
    let stats = server.stats();
    assert_eq!(stats.accepted_connections, 2);
    assert_eq!(stats.requests, 3);
}

#[test]
fn held_count_follows_clients_that_hang_up() {
    const CLIENTS: usize = 50;
    let server = start();
    let mut connections: Vec<RawConnection> = (0..CLIENTS)
        .map(|_| {
            let mut connection = RawConnection::open(&server);
            connection.send_get("/events?timeout=60");
            connection
        })
        .collect();
    wait_for_stats(&server, "all clients to be held", |s| {
        s.held_requests == CLIENTS as u64
    });
    assert_eq!(server.stats().open_connections, CLIENTS as u64);

    // One publish answers everyone.
    server.publish(json!("wake"));
    for connection in &mut connections {
        let response = connection.read_response().expect("read").expect("answered");
        assert_eq!(seqs(&response.json()), [1]);
    }
    wait_for_stats(&server, "the holds to end", |s| s.held_requests == 0);

    // Hold again, then hang up mid-hold.
    for connection in &mut connections {
        connection.send_get("/events?timeout=60");
    }
    wait_for_stats(&server, "all clients to be held again", |s| {
        s.held_requests == CLIENTS as u64
    });
    drop(connections);
    wait_for_stats(&server, "abandoned holds to be dropped", |s| {
        s.held_requests == 0 && s.open_connections == 0
    });
}

#[test]
fn stop_is_prompt_with_requests_held() {
    let server = start();
    let mut connections: Vec<RawConnection> = (0..20)
        .map(|_| {
            let mut connection = RawConnection::open(&server);
            connection.send_get("/events?timeout=120");
            connection
        })
        .collect();
    wait_for_stats(&server, "the requests to be held", |s| {
        s.held_requests == 20
    });
    let started = Instant::now();
    server.stop();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "stop took {took:?}");
    // The held clients see their connection end instead of hanging.
    for connection in &mut connections {
        match connection.read_response() {
            Ok(None) => {}
            Err(err)
                if !matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            other => panic!(
                "held client was not disconnected: {:?}",
                other.map(|r| r.map(|r| r.status))
            ),
        }
    }
}

#[test]
fn generator_publishes_ticks_at_the_rate() {
    let started = Instant::now();
    let server = start_with(DemoServerConfig {
        rate_per_s: 200.0,
        ..DemoServerConfig::default()
    });
    thread::sleep(Duration::from_millis(500));
    let published = server.stats().published;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small, positive count"
    )]
    let most = (200.0 * started.elapsed().as_secs_f64()).ceil() as u64;
    // About 100 expected; the lower bound is generous for a loaded test machine.
    assert!(
        (30..=most).contains(&published),
        "published {published}, at most {most}"
    );
    let (_, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    let first = &answer["events"][0]["data"];
    assert_eq!(first["kind"], "tick");
    assert_eq!(first["n"], 1);
    let value = first["value"].as_f64().expect("value");
    assert!((0.0..=100.0).contains(&value));
    assert!(first["msg"].is_string());
}

#[test]
fn busy_port_is_a_bind_error() {
    let server = start();
    let err = DemoServer::start(DemoServerConfig {
        addr: server.addr(),
        ..DemoServerConfig::default()
    })
    .err()
    .expect("second bind on the same port fails");
    assert!(matches!(err, DemoServerError::Bind { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot listen on {}: ", server.addr())),
        "{message}"
    );
}

#[test]
fn several_worker_threads_serve_too() {
    let server = start_with(DemoServerConfig {
        worker_threads: 3,
        ..DemoServerConfig::default()
    });
    let (_, answer) = thread::scope(|scope| {
        let poll = scope.spawn(|| get_json(&server, "/events?cursor=0&timeout=20"));
        wait_for_stats(&server, "the request to be held", |s| s.held_requests == 1);
        server.publish(json!(1));
        poll.join().expect("poller thread")
    });
    assert_eq!(seqs(&answer), [1]);
}

/// Thousands of held requests at once: 2,000 by default (`POLLSCOPE_HELD=N` for more),
/// fewer only when the open-file limit cannot hold twice that many sockets (client and
/// server side) — then the test says so.
#[test]
fn thousands_of_held_requests() {
    let wanted: usize = std::env::var("POLLSCOPE_HELD")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let limit = pollscope::limits::raise_open_file_limit()
        .soft
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    // Two descriptors per held request, and room for the rest of the test process.
    let clients = wanted.min(limit.saturating_sub(256) / 2);
    if clients < wanted {
        eprintln!("open-file limit {limit}: holding {clients} requests, not {wanted}");
    }
    assert!(
        clients >= 100,
        "open-file limit {limit} is too low for this test"
    );
    let server = start();
    let rss_before = rss_kib();
    let started = Instant::now();
    let mut connections: Vec<RawConnection> = (0..clients)
        .map(|_| {
            let mut connection = RawConnection::open(&server);
            connection.send_get("/events?timeout=120");
            connection
        })
        .collect();
    let deadline = Instant::now() + Duration::from_mins(1);
    while server.stats().held_requests < clients as u64 {
        assert!(Instant::now() < deadline, "{:?}", server.stats());
        thread::sleep(Duration::from_millis(20));
    }
    let held_after = started.elapsed();
    let rss_held = rss_kib();
    let woke = Instant::now();
    server.publish(json!("wake"));
    for connection in &mut connections {
        let response = connection.read_response().expect("read").expect("answered");
        assert_eq!(seqs(&response.json()), [1]);
    }
    eprintln!(
        "{clients} held after {held_after:?}; all answered {:?} after one publish; \
         RSS (clients and server) {rss_before:?} → {rss_held:?} KiB",
        woke.elapsed()
    );
    let stop = Instant::now();
    server.stop();
    assert!(stop.elapsed() < Duration::from_secs(2));
}

#[test]
fn run_forever_returns_bind_errors() {
    let server = start();
    let result = pollscope::demo_server::run_forever(DemoServerConfig {
        addr: server.addr(),
        ..DemoServerConfig::default()
    });
    assert!(
        matches!(result, Err(DemoServerError::Bind { .. })),
        "{result:?}"
    );
}

#[test]
fn start_and_stop_work_from_inside_another_runtime() {
    let busy = start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let refused = DemoServer::start(DemoServerConfig {
            addr: busy.addr(),
            ..DemoServerConfig::default()
        });
        assert!(matches!(refused, Err(DemoServerError::Bind { .. })));
        let server = start();
        assert_eq!(server.publish(json!(1)), 1);
        server.stop();
    });
}

// ---- Faults ---------------------------------------------------------------------

fn with_fault(fault: Fault) -> DemoServer {
    start_with(DemoServerConfig {
        fault,
        ..DemoServerConfig::default()
    })
}

/// Publish `count` events `{"n": 1}`, `{"n": 2}`, …
fn publish_some(server: &DemoServer, count: u64) {
    for n in 1..=count {
        server.publish(json!({ "n": n }));
    }
}

/// After the faults are switched off, a fresh request from cursor 0 still gets every
/// event: nothing was consumed by the spoiled answer.
fn assert_all_events_still_there(server: &DemoServer, count: u64) {
    server
        .set_faults(FaultPlan::default())
        .expect("the empty plan is valid");
    let (status, answer) = get_json(server, "/events?cursor=0&timeout=0");
    assert_eq!(status, 200);
    assert_eq!(seqs(&answer), (1..=count).collect::<Vec<_>>());
}

fn content_length(response: &RawResponse) -> usize {
    response
        .header("content-length")
        .expect("content-length present")
        .parse()
        .expect("content-length is a number")
}

#[test]
fn reset_mid_body_sends_half_a_real_answer_then_resets() {
    let server = with_fault(Fault::ResetMidBody);
    publish_some(&server, 3);
    let mut connection = RawConnection::open(&server);
    connection.send_get("/events?cursor=0&timeout=0");
    let head = connection.read_head().expect("head read").expect("head");
    assert_eq!(head.status, 200);
    let declared = content_length(&head);
    let (body, ended) = connection.read_rest();
    let err = ended.expect_err("the connection must be reset, not closed");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    assert!(
        !body.is_empty() && body.len() < declared,
        "got {} of {declared} bytes",
        body.len()
    );
    assert!(body.starts_with(br#"{"cursor":3,"events":[{"seq":1"#));
    assert_eq!(server.stats().faults.reset_mid_body, 1);
    assert_all_events_still_there(&server, 3);
}

#[test]
fn truncated_chunked_ends_without_the_last_chunk() {
    let server = with_fault(Fault::TruncatedChunked);
    publish_some(&server, 2);
    let mut connection = RawConnection::open(&server);
    connection.send_get("/events?cursor=0&timeout=0");
    let head = connection.read_head().expect("head read").expect("head");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(head.header("content-length"), None);
    let (raw, ended) = connection.read_rest();
    assert!(ended.is_ok(), "expected a plain close: {ended:?}");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains(r#"{"cursor":2,"events":["#), "{text:?}");
    assert!(!text.ends_with("0\r\n\r\n"), "the final chunk was sent");

    // An HTTP client sees a broken body.
    let mut response = agent()
        .get(server.events_url() + "?cursor=0&timeout=0")
        .call()
        .expect("head answered");
    assert!(response.body_mut().read_to_string().is_err());
    assert_eq!(server.stats().faults.truncated_chunked, 2);
    assert_all_events_still_there(&server, 2);
}

#[test]
fn blackhole_reads_the_request_and_never_answers() {
    let server = with_fault(Fault::Blackhole);
    publish_some(&server, 1);
    let mut connection = RawConnection::open(&server);
    let stream = connection.reader.get_ref();
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("read timeout");
    connection.send_get("/events?cursor=0&timeout=0");
    let mut byte = [0_u8; 1];
    let read = connection.reader.read(&mut byte);
    let err = read.expect_err("no byte may come");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    let stats = server.stats();
    assert_eq!((stats.open_connections, stats.held_requests), (1, 0));
    assert_eq!(stats.faults.blackhole, 1);
    // The client gives up: nothing is left behind.
    drop(connection);
    wait_for_stats(&server, "the blackholed connection to go", |s| {
        s.open_connections == 0
    });
}

#[test]
fn blackhole_lets_go_after_max_hold() {
    let server = start_with(DemoServerConfig {
        fault: Fault::Blackhole,
        max_hold: Duration::from_millis(300),
        ..DemoServerConfig::default()
    });
    let mut connection = RawConnection::open(&server);
    let started = Instant::now();
    connection.send_get("/events?timeout=0");
    let (rest, ended) = connection.read_rest();
    assert!(ended.is_ok() && rest.is_empty(), "{ended:?} {rest:?}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    wait_for_stats(&server, "the connection to close", |s| {
        s.open_connections == 0
    });
}

#[test]
fn slow_body_sends_headers_at_once_then_trickles() {
    let server = with_fault(Fault::SlowBody { bytes_per_s: 10 });
    publish_some(&server, 1);
    let mut connection = RawConnection::open(&server);
    connection
        .reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    let started = Instant::now();
    connection.send_get("/events?cursor=0&timeout=0");
    let head = connection.read_head().expect("head read").expect("head");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "headers came late"
    );
    assert_eq!(head.status, 200);
    let declared = content_length(&head);
    // Count what arrives in the first second of the body.
    let window = Instant::now();
    let mut received = connection.reader.buffer().len();
    connection.reader.consume(received);
    let mut buf = [0_u8; 256];
    while window.elapsed() < Duration::from_secs(1) {
        match connection.reader.get_mut().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
    assert!(declared > 40, "a real answer: {declared} bytes");
    assert!(
        (5..=16).contains(&received),
        "{received} bytes in a second at 10/s"
    );
}

#[test]
fn slow_body_is_the_real_answer_in_the_end() {
    let server = with_fault(Fault::SlowBody { bytes_per_s: 400 });
    publish_some(&server, 1);
    let started = Instant::now();
    let (status, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(seqs(&answer), [1]);
    let length = answer.to_string().len() as f64;
    assert!(
        took.as_secs_f64() >= length / 400.0 * 0.7,
        "{length} bytes in {took:?} at 400/s"
    );
}

/// The resident set of this process (server included), in KiB; `None` off Linux.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn huge_body_streams_in_constant_server_memory() {
    const BYTES: u64 = 200 * 1024 * 1024;
    let server = with_fault(Fault::HugeBody { bytes: BYTES });
    publish_some(&server, 1);
    let mut connection = RawConnection::open(&server);
    let before = rss_kib();
    connection.send_get("/events?cursor=0");
    let head = connection.read_head().expect("head read").expect("head");
    assert_eq!(head.status, 200);
    assert_eq!(content_length(&head) as u64, BYTES);
    let mut buf = vec![0_u8; 64 * 1024];
    let mut first = Vec::new();
    let mut last = [0_u8; 2];
    let mut received: u64 = 0;
    let mut peak = before;
    while received < BYTES {
        let n = connection.reader.read(&mut buf).expect("body read");
        assert!(n > 0, "ended after {received} bytes");
        if first.len() < 40 {
            first.extend_from_slice(&buf[..n.min(40)]);
        }
        if n >= 2 {
            last.copy_from_slice(&buf[n - 2..n]);
        }
        received += n as u64;
        if received % (8 * 1024 * 1024) < n as u64 {
            peak = peak.max(rss_kib());
        }
    }
    assert_eq!(received, BYTES);
    assert!(first.starts_with(br#"{"cursor":0,"events":[],"padding":"xxx"#));
    assert_eq!(&last, br#""}"#);
    if let (Some(before), Some(peak)) = (before, peak) {
        // A server that built the body would grow by 200 MiB; other tests run in this
        // process at the same time, so allow some noise.
        let grown = peak.saturating_sub(before);
        eprintln!("RSS {before} KiB before, {peak} KiB at most while streaming");
        assert!(grown < 24 * 1024, "RSS grew by {grown} KiB");
    }
    assert_eq!(server.stats().faults.huge_body, 1);
}

#[test]
fn error_statuses_and_429_come_in_bursts() {
    let server = start();
    publish_some(&server, 1);
    server
        .set_faults(FaultPlan::burst(Fault::Status { code: 503 }, 3))
        .expect("valid plan");
    let mut connection = RawConnection::open(&server);
    for _ in 0..3 {
        let answer = connection.get("/events?cursor=0&timeout=0");
        assert_eq!(answer.status, 503);
        let kind = answer.header("content-type").expect("type");
        assert!(kind.starts_with("text/plain"), "{kind}");
        assert!(String::from_utf8_lossy(&answer.body).starts_with("503 Service Unavailable"));
    }
    let answer = connection.get("/events?cursor=0&timeout=0");
    assert_eq!((answer.status, seqs(&answer.json())), (200, vec![1]));

    let (status, _) = post(
        &server,
        "/faults",
        r#"{"fault":{"kind":"too_many_requests","retry_after_s":7},"times":2}"#,
    );
    assert_eq!(status, 200);
    for _ in 0..2 {
        let answer = connection.get("/events?cursor=0&timeout=0");
        assert_eq!(answer.status, 429);
        assert_eq!(answer.header("retry-after"), Some("7"));
    }
    assert_eq!(connection.get("/events?cursor=0&timeout=0").status, 200);
    let faults = server.faults();
    assert_eq!((faults.injected, faults.remaining), (2, Some(0)));
    let stats = server.stats();
    assert_eq!(
        (stats.faults.status, stats.faults.too_many_requests),
        (3, 2)
    );
    assert_eq!(stats.faults_injected, 5);
}

#[test]
fn bad_payloads_come_with_status_200() {
    let server = start();
    publish_some(&server, 2);
    let mut connection = RawConnection::open(&server);
    let mut spoiled = |fault: Fault| {
        server
            .set_faults(FaultPlan::burst(fault, 1))
            .expect("valid plan");
        let answer = connection.get("/events?cursor=0&timeout=0");
        assert_eq!(answer.status, 200, "{fault}");
        answer
    };
    let answer = spoiled(Fault::MalformedJson);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
    assert!(std::str::from_utf8(&answer.body).is_ok());

    let answer = spoiled(Fault::NonUtf8);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(answer.body.windows(2).any(|pair| pair == [0xff, 0xfe]));
    assert!(std::str::from_utf8(&answer.body).is_err());
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());

    let answer = spoiled(Fault::WrongContentType);
    let kind = answer.header("content-type").expect("type");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(answer.body.starts_with(b"<!DOCTYPE html>"));

    let faults = server.stats().faults;
    let counts = (
        faults.malformed_json,
        faults.non_utf8,
        faults.wrong_content_type,
    );
    assert_eq!(counts, (1, 1, 1));
    assert_all_events_still_there(&server, 2);
}

#[test]
fn every_nth_events_request_is_spoiled_counted_across_connections() {
    let server = start_with(DemoServerConfig {
        fault: Fault::MalformedJson,
        fault_every: 3,
        ..DemoServerConfig::default()
    });
    publish_some(&server, 1);
    let mut kept = RawConnection::open(&server);
    let mut spoiled = Vec::new();
    for request in 1..=9 {
        // Alternate between one kept connection and fresh ones; other paths between
        // do not count.
        let answer = if request % 2 == 0 {
            kept.get("/events?cursor=0&timeout=0")
        } else {
            RawConnection::open(&server).get("/events?cursor=0&timeout=0")
        };
        assert_eq!(kept.get("/stats").status, 200);
        if serde_json::from_slice::<Value>(&answer.body).is_err() {
            spoiled.push(request);
        }
    }
    assert_eq!(spoiled, [3, 6, 9]);
    let faults = server.faults();
    assert_eq!(
        (faults.counted, faults.injected, faults.remaining),
        (9, 3, None)
    );
}

#[test]
fn close_on_reuse_can_spoil_every_other_reuse() {
    let server = start_with(DemoServerConfig {
        fault: Fault::CloseOnReuse,
        fault_every: 2,
        ..DemoServerConfig::default()
    });
    let mut connection = RawConnection::open(&server);
    // First request: not a reuse, not counted. Second: the first reuse, spared.
    assert_eq!(connection.get("/events?timeout=0").status, 200);
    assert_eq!(connection.get("/events?timeout=0").status, 200);
    connection.send_get("/events?timeout=0");
    let (rest, ended) = connection.read_rest();
    assert!(ended.is_ok() && rest.is_empty(), "{ended:?} {rest:?}");
    assert_eq!(server.stats().faults.close_on_reuse, 1);
}

#[test]
fn fault_plan_is_read_and_switched_over_http() {
    let server = start();
    publish_some(&server, 1);
    let (status, plan) = get_json(&server, "/faults");
    assert_eq!(status, 200);
    assert_eq!(plan["plan"]["fault"], json!({ "kind": "none" }));

    let body = r#"{"fault":{"kind":"status","code":502},"every":2}"#;
    let (status, answer) = post(&server, "/faults", body);
    assert_eq!(status, 200);
    assert_eq!(answer["plan"]["every"], 2);
    let (_, answer) = get_json(&server, "/faults");
    assert_eq!(
        answer["plan"]["fault"],
        json!({ "kind": "status", "code": 502 })
    );
    let statuses: Vec<u16> = (0..4)
        .map(|_| {
            let response = agent()
                .get(server.events_url() + "?cursor=0&timeout=0")
                .call()
                .expect("answered");
            response.status().as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 502, 200, 502]);

    for bad in [
        r#"{"fault":{"kind":"status","code":502},"every":0}"#,
        r#"{"fault":{"kind":"status","code":200}}"#,
        r#"{"fault":{"kind":"teleport"}}"#,
        r#"{"fault":{"kind":"blackhole"},"times":0}"#,
        r#"{"fault":{"kind":"blackhole"},"evry":2}"#,
        "not json",
    ] {
        let (status, answer) = post(&server, "/faults", bad);
        assert_eq!(status, 400, "{bad}");
        assert!(answer["error"].is_string(), "{bad}");
    }
    assert_eq!(
        server.faults().plan,
        FaultPlan::every(Fault::Status { code: 502 }, 2)
    );

    let (status, _) = post(&server, "/faults", r#"{"fault":{"kind":"none"}}"#);
    assert_eq!(status, 200);
    let (status, answer) = get_json(&server, "/events?cursor=0&timeout=0");
    assert_eq!((status, seqs(&answer)), (200, vec![1]));
    let (_, stats) = get_json(&server, "/stats");
    assert_eq!(stats["faults_injected"], 2);
    assert_eq!(stats["faults"]["status"], 2);
}

#[test]
fn bad_fault_plans_are_refused() {
    let err = DemoServer::start(DemoServerConfig {
        fault: Fault::MalformedJson,
        fault_every: 0,
        ..DemoServerConfig::default()
    })
    .err()
    .expect("every 0 is refused");
    assert!(matches!(err, DemoServerError::Config(_)), "{err:?}");
    let server = start();
    let refused = server.set_faults(FaultPlan::always(Fault::SlowBody { bytes_per_s: 0 }));
    assert!(refused.is_err());
    assert_eq!(server.faults().plan, FaultPlan::default());
}

// ---- Restarts with a state file -------------------------------------------------

fn with_state(addr: std::net::SocketAddr, path: &Path, history: usize) -> DemoServer {
    start_with(DemoServerConfig {
        addr,
        state_file: Some(path.to_owned()),
        history,
        ..DemoServerConfig::default()
    })
}

#[test]
fn restart_on_the_same_port_and_file_numbers_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("events.jsonl");
    let first = with_state("127.0.0.1:0".parse().expect("addr"), &path, 100);
    let addr = first.addr();
    publish_some(&first, 5);
    // A client held at the moment of the stop: the server closes first, so its side
    // of the connection lingers in TIME_WAIT, which SO_REUSEADDR must allow.
    let mut held = RawConnection::open(&first);
    held.send_get("/events?cursor=5&timeout=60");
    wait_for_stats(&first, "the request to be held", |s| s.held_requests == 1);
    first.stop();
    assert!(matches!(held.read_response(), Ok(None) | Err(_)));

    let second = with_state(addr, &path, 100);
    assert_eq!(second.addr(), addr);
    let stats = second.stats();
    assert_eq!((stats.last_seq, stats.published), (5, 0));
    // Catch-up from an old cursor works across the restart, data intact.
    let (_, answer) = get_json(&second, "/events?cursor=2&timeout=0");
    assert_eq!(seqs(&answer), [3, 4, 5]);
    assert_eq!(answer["events"][0]["data"], json!({ "n": 3 }));
    // The client that carried cursor 5 gets the next event, numbered on.
    let (_, answer) = thread::scope(|scope| {
        let poll = scope.spawn(|| get_json(&second, "/events?cursor=5&timeout=20"));
        wait_for_stats(&second, "the request to be held", |s| s.held_requests == 1);
        assert_eq!(second.publish(json!("after restart")), 6);
        poll.join().expect("poller thread")
    });
    assert_eq!(seqs(&answer), [6]);
    second.stop();

    // A smaller history restores only the newest events.
    let third = with_state(addr, &path, 2);
    let (_, answer) = get_json(&third, "/events?cursor=0&timeout=0");
    assert_eq!(seqs(&answer), [5, 6]);
    assert_eq!(third.publish(json!(7)), 7);
}

#[test]
fn torn_last_line_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("events.jsonl");
    let any_port = "127.0.0.1:0".parse().expect("addr");
    let first = with_state(any_port, &path, 100);
    publish_some(&first, 3);
    first.stop();
    // A kill in the middle of a write.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("log opens");
    file.write_all(br#"{"seq":4,"ts_ms":17"#)
        .expect("torn write");
    drop(file);

    let second = with_state(any_port, &path, 100);
    assert_eq!(second.stats().last_seq, 3);
    assert_eq!(second.publish(json!({ "n": 4 })), 4);
    second.stop();
    let third = with_state(any_port, &path, 100);
    let (_, answer) = get_json(&third, "/events?cursor=0&timeout=0");
    assert_eq!(seqs(&answer), [1, 2, 3, 4]);
    assert_eq!(answer["events"][3]["data"], json!({ "n": 4 }));
}

#[test]
fn unusable_state_file_is_a_start_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = DemoServer::start(DemoServerConfig {
        state_file: Some(dir.path().join("no-such-dir").join("events.jsonl")),
        ..DemoServerConfig::default()
    })
    .err()
    .expect("a missing directory is refused");
    assert!(matches!(err, DemoServerError::StateFile { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

// ---- TLS --------------------------------------------------------------------------

fn tls_server() -> DemoServer {
    start_with(DemoServerConfig {
        tls: Some(TlsMode::SelfSigned),
        ..DemoServerConfig::default()
    })
}

/// An agent that trusts exactly the server's self-signed certificate.
fn trusting_agent(server: &DemoServer) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let der = server.cert_der().expect("TLS mode has a certificate");
    let roots = RootCerts::new_with_certs(&[Certificate::from_der(der).to_owned()]);
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .http_status_as_error(false)
            .timeout_global(Some(PROMPT))
            .build(),
    )
}

#[test]
fn tls_serves_https_to_a_client_that_trusts_the_certificate() {
    let server = tls_server();
    assert!(server.events_url().starts_with("https://127.0.0.1:"));
    let pem = server.ca_pem().expect("PEM");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    publish_some(&server, 2);
    let agent = trusting_agent(&server);
    let port = server.addr().port();
    for url in [
        server.events_url(),
        format!("https://localhost:{port}/events"),
    ] {
        let mut response = agent
            .get(format!("{url}?cursor=0&timeout=0"))
            .call()
            .expect("https answered");
        assert_eq!(response.status().as_u16(), 200, "{url}");
        let body = response.body_mut().read_to_string().expect("body");
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(seqs(&answer), [1, 2]);
    }
    // Keep-alive works through TLS: both requests, one connection... per host name.
    assert_eq!(server.stats().accepted_connections, 2);
}

#[test]
fn tls_is_refused_by_default_roots_with_a_certificate_error() {
    let server = tls_server();
    let err = agent()
        .get(server.events_url() + "?timeout=0")
        .call()
        .expect_err("a self-signed certificate must not be trusted");
    // ureq reports rustls' verdict either directly or inside an I/O error.
    let rustls_error = match &err {
        ureq::Error::Rustls(inner) => Some(inner),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref()),
        _ => None,
    };
    assert!(
        matches!(
            rustls_error,
            Some(tokio_rustls::rustls::Error::InvalidCertificate(_))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("certificate"), "{err}");
    // Plain HTTP to the TLS port gets no answer either.
    let plain = server.events_url().replacen("https", "http", 1);
    assert!(agent().get(plain + "?timeout=0").call().is_err());
}

#[test]
fn tls_carries_faults_too() {
    let server = start_with(DemoServerConfig {
        tls: Some(TlsMode::SelfSigned),
        fault: Fault::ResetMidBody,
        ..DemoServerConfig::default()
    });
    publish_some(&server, 1);
    let mut response = trusting_agent(&server)
        .get(server.events_url() + "?cursor=0&timeout=0")
        .call()
        .expect("head answered");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.body_mut().read_to_string().is_err());
    assert_eq!(server.stats().faults.reset_mid_body, 1);
}
