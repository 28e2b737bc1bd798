//! The `OpenMetrics` endpoint over real loopback sockets: concurrent scrapes, junk and
//! hostile requests; and the `agent` and `watch --alert/--metrics` commands run as a
//! user would, against the demo server.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::metrics::{Metrics, MetricsServer};
use pollscope::poll::{Payload, PollEvent, PollResponse, ReceivedEvent};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Send `request` bytes, read until the server closes (or the timeout); the answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    // The server may close on junk before reading all of it.
    let _ = s.write_all(request).is_ok();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).is_ok();
    String::from_utf8_lossy(&out).into_owned()
}

fn scrape(addr: SocketAddr) -> String {
    exchange(
        addr,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
}

fn fed_metrics() -> Metrics {
    let metrics = Metrics::new();
    let mut p = metrics.profile("demo", Arc::default());
    for _ in 0..3 {
        let now = Instant::now();
        p.observe(&PollEvent::Response(Box::new(PollResponse {
            events: vec![ReceivedEvent {
                payload: Payload::Text("x".to_owned()),
                seq: None,
                latency_ms: Some(2.0),
            }],
            ..PollResponse::new(0, now, now)
        })));
    }
    metrics
}

fn is_whole_exposition(answer: &str) -> bool {
    answer.starts_with("HTTP/1.1 200")
        && answer.contains("content-type: application/openmetrics-text")
        && answer.contains("\r\n\r\n# HELP ")
        && answer.contains("pollscope_events_total{profile=\"demo\"} 3\n")
        && answer.ends_with("# EOF\n")
}

#[test]
fn concurrent_scrapes_each_get_the_whole_exposition() {
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), fed_metrics()).unwrap();
    let addr = server.addr();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("scraper-{i}"))
                .spawn(move || {
                    (0..25)
                        .filter(|_| is_whole_exposition(&scrape(addr)))
                        .count()
                })
                .unwrap()
        })
        .collect();
    let whole: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(whole, 16 * 25);
}

#[test]
fn junk_and_hostile_requests_leave_the_endpoint_serving() {
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), fed_metrics()).unwrap();
    let addr = server.addr();
    // Binary noise, a bad version, a bad request line: a 400 or a closed socket.
    let mut noise = vec![0u8; 4096];
    for (i, b) in noise.iter_mut().enumerate() {
        *b = u8::try_from((i * 7919) % 251).unwrap();
    }
    for junk in [
        noise.as_slice(),
        b"GET /metrics HTTP/9.9\r\n\r\n",
        b"\r\n\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ] {
        let answer = exchange(addr, junk);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{junk:?}: {answer}"
        );
    }
    // A request head far over any sane size.
    let mut huge = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1 << 20));
    huge.extend(b"\r\n\r\n");
    let answer = exchange(addr, &huge);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer:.80}"
    );
    // Wrong method, unknown path, HEAD.
    let answer = exchange(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(answer.contains("allow: GET, HEAD"), "{answer}");
    let answer = exchange(
        addr,
        b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let answer = exchange(
        addr,
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\n"),
        "{answer}"
    );
    // Half a request head left hanging, and clients that connect and vanish, while a
    // scrape goes through.
    let mut hanging = TcpStream::connect(addr).unwrap();
    hanging.write_all(b"GET /metrics HTTP/1.1\r\nHo").unwrap();
    for _ in 0..100 {
        let s = TcpStream::connect(addr).unwrap();
        s.shutdown(Shutdown::Both).unwrap();
    }
    assert!(is_whole_exposition(&scrape(addr)));
    // Two requests on one kept-alive connection.
    let answer = exchange(
        addr,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{answer:.200}");
    drop(hanging);
    assert!(is_whole_exposition(&scrape(addr)));
}

/// The binary under test: this build's, or the one `POLLSCOPE_TEST_BIN` names (CI runs
/// the agent tests against the headless `--no-default-features` build that way).
fn bin() -> Command {
    let path = std::env::var_os("POLLSCOPE_TEST_BIN").map_or_else(
        || env!("CARGO_BIN_EXE_pollscope").into(),
        std::path::PathBuf::from,
    );
    let mut c = Command::new(path);
    c.env(
        "POLLSCOPE_CONFIG_DIR",
        std::env::temp_dir().join("pollscope-metrics-test-none"),
    );
    c
}

/// The address a child announced on stderr with `metrics on http://ADDR/metrics`;
/// the rest of stderr goes on being read into the returned handle.
fn metrics_addr(child: &mut std::process::Child) -> (SocketAddr, std::thread::JoinHandle<String>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    let reader = std::thread::Builder::new()
        .name("child-stderr".to_owned())
        .spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line
                    .strip_prefix("metrics on http://")
                    .and_then(|r| r.strip_suffix("/metrics"))
                {
                    let _ = tx.send(addr.parse::<SocketAddr>().unwrap()).is_ok();
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        })
        .unwrap();
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the metrics address on stderr");
    (addr, reader)
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[test]
fn agent_watches_profiles_serves_their_metrics_and_prints_transitions() {
    let server = DemoServer::start(DemoServerConfig {
        rate_per_s: 20.0,
        ..DemoServerConfig::default()
    })
    .unwrap();
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut good = pollscope::profile::Profile::for_demo("good \"one\"", &server.events_url());
    good.hold_s = 1;
    let mut bad = pollscope::profile::Profile::for_demo("bad", &format!("http://{refused}/events"));
    bad.alerts.rules = vec!["stalled>0s".parse().unwrap()];
    let file = dir.path().join("fleet.json");
    std::fs::write(
        &file,
        pollscope::profile_store::ProfileStore::to_bytes(&[good, bad]),
    )
    .unwrap();

    let mut child = bin()
        .args(["agent", "--profiles"])
        .arg(&file)
        .args(["--metrics", "127.0.0.1:0", "--json", "--duration", "6s"])
        .args(["--alert", "conns>5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, stderr) = metrics_addr(&mut child);
    // Scrape while it runs, until the good profile has counted a few events.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut text = String::new();
    while Instant::now() < deadline {
        text = scrape(addr);
        if sample(&text, r#"pollscope_events_total{profile="good \"one\""}"#).unwrap_or(0.0) >= 10.0
            && sample(&text, r#"pollscope_stalled{profile="bad"}"#) == Some(1.0)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        sample(
            &text,
            r#"pollscope_new_connections_total{profile="good \"one\""}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"pollscope_errors_total{profile="bad",kind="connect_refused"}"#
        ) >= Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"pollscope_alert_firing{profile="bad",rule="stalled>0s"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"pollscope_alert_firing{profile="bad",rule="conns>5"}"#
        ),
        Some(0.0)
    );
    assert_eq!(sample(&text, r#"pollscope_up{profile="bad"}"#), Some(1.0));

    let out = child.wait_with_output().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(out.status.code(), Some(6), "an alert fired: {stderr}");
    assert!(stderr.contains("alert rule(s) fired: bad (1×)"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let fired = lines
        .iter()
        .find(|v| v["type"] == "alert")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(fired["profile"], "bad");
    assert_eq!(fired["rule"], "stalled>0s");
    assert_eq!(fired["state"], "firing");
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["profiles"][1]["alerts_fired"], 1);
    assert!(summary["profiles"][0]["events"].as_u64().unwrap() >= 10);
}

#[test]
fn agent_refuses_unknown_profiles_and_bad_rules_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    let p = pollscope::profile::Profile::for_demo("one", "http://127.0.0.1:9/events");
    std::fs::write(
        &file,
        pollscope::profile_store::ProfileStore::to_bytes(&[p]),
    )
    .unwrap();
    let out = bin()
        .args(["agent", "--profiles"])
        .arg(&file)
        .args(["--profile", "two"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no profile named \"two\"") && err.contains("(have: one)"),
        "{err}"
    );

    let out = bin()
        .args(["agent", "--profiles"])
        .arg(&file)
        .args(["--alert", "quiet<30s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quiet takes '>', as in quiet>30s"), "{err}");
}

#[test]
fn watch_exits_6_when_a_rule_fired_and_0_when_none_did() {
    // No generator: the server is silent.
    let server = DemoServer::start(DemoServerConfig::default()).unwrap();
    let url = server.events_url();
    let out = bin()
        .args(["watch", &url, "--hold", "1", "--duration", "3s"])
        .args(["--alert", "quiet>1s", "--alert", "lost>0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{stdout}");
    assert!(
        stdout.contains("ALERT FIRING watch quiet>1s: no event since connecting 1 s ago"),
        "{stdout}"
    );
    assert!(
        stdout.contains("alert        lost>0/5m — ok, fired 0×"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("alert rule(s) fired: quiet>1s (1×)"));

    let out = bin()
        .args(["watch", &url, "--hold", "1", "--duration", "2s", "--json"])
        .args(["--alert", "quiet>1m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "no transitions: {stdout}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["alerts"]["fired"], 0);
    assert_eq!(v["alerts"]["rules"][0]["rule"], "quiet>1m");
}
