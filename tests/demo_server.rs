//! The demo long-poll server over real loopback HTTP: catch-up, holding, timeouts,
//! keep-alive accounting, the `CloseOnReuse` fault and shutdown with requests held.
//! Every wait is bounded, so a broken server fails a test instead of hanging it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig, DemoServerError, Fault, ServerStats};
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
        let mut response = RawResponse {
            status,
            headers,
            body: Vec::new(),
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

/// Thousands of held requests at once (run with `--ignored`; needs about twice
/// `POLLSCOPE_HELD` file descriptors, default 5,000).
#[test]
#[ignore = "stress: opens thousands of sockets"]
fn thousands_of_held_requests() {
    let clients: usize = std::env::var("POLLSCOPE_HELD")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let server = start();
    let started = Instant::now();
    let mut connections: Vec<RawConnection> = (0..clients)
        .map(|_| {
            let mut connection = RawConnection::open(&server);
            connection.send_get("/events?timeout=120");
            connection
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.stats().held_requests < clients as u64 {
        assert!(Instant::now() < deadline, "{:?}", server.stats());
        thread::sleep(Duration::from_millis(20));
    }
    let held_after = started.elapsed();
    let woke = Instant::now();
    server.publish(json!("wake"));
    for connection in &mut connections {
        let response = connection.read_response().expect("read").expect("answered");
        assert_eq!(seqs(&response.json()), [1]);
    }
    eprintln!(
        "{clients} held after {held_after:?}; all answered {:?} after one publish",
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
