//! A real Prometheus (Debian's `prometheus`) scrapes `pollscope agent` while the demo
//! server publishes at a known rate: `PromQL` through Prometheus's HTTP API returns that
//! rate (within 10 %) and the connection counters; the alerting rules of
//! docs/monitoring/ load and evaluate; and when the server goes silent, Prometheus sees
//! the agent's quiet alert (the time it took is printed for the closing note).
//!
//! Without Prometheus installed the test skips, saying how to install it, unless
//! `POLLSCOPE_REQUIRE_SERVERS=1` (CI), which makes that a failure.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/servers.rs"]
#[allow(dead_code, reason = "only the port and process helpers are used here")]
mod servers;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::profile::Profile;
use servers::{Proc, free_port};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/monitoring/pollscope-rules.yml"
);
/// Events per second the test publishes.
const RATE: f64 = 20.0;
/// The publisher stops after this many events (ten minutes), whatever the test does.
const MOST_EVENTS: u32 = 12_000;

fn prometheus_installed() -> bool {
    if Path::new(PROMETHEUS).exists() {
        return true;
    }
    assert!(
        std::env::var("POLLSCOPE_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "prometheus is not installed but POLLSCOPE_REQUIRE_SERVERS=1; \
         install it with scripts/install-monitoring.sh (Debian package prometheus)"
    );
    eprintln!("SKIPPED: prometheus is not installed; scripts/install-monitoring.sh installs it");
    false
}

/// Publishes at exactly [`RATE`] on average (the n-th event at n / RATE s) until stopped.
struct Publisher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Instant>>,
}

impl Publisher {
    fn start(server: &Arc<DemoServer>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, server) = (Arc::clone(&stop), Arc::clone(server));
        let thread = std::thread::Builder::new()
            .name("test-publisher".to_owned())
            .spawn(move || {
                let t0 = Instant::now();
                let mut last = t0;
                for n in 0..MOST_EVENTS {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    let due = t0 + Duration::from_secs_f64(f64::from(n) / RATE);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    server.publish(serde_json::json!({ "n": n }));
                    last = Instant::now();
                }
                last
            })
            .unwrap();
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stop; when the last event was published.
    fn stop(mut self) -> Instant {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// The agent's metrics address, read from its stderr.
fn start_agent(profiles: &Path) -> (Proc, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pollscope"))
        .env("POLLSCOPE_CONFIG_DIR", profiles.with_extension("none"))
        .args(["agent", "--profiles"])
        .arg(profiles)
        .args([
            "--metrics",
            "127.0.0.1:0",
            "--alert",
            "quiet>2s",
            "--duration",
            "5m",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("agent-stderr".to_owned())
        .spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("agent: {line}");
                if let Some(addr) = line
                    .strip_prefix("metrics on http://")
                    .and_then(|r| r.strip_suffix("/metrics"))
                {
                    let _ = tx.send(addr.parse::<SocketAddr>().unwrap()).is_ok();
                }
            }
        })
        .unwrap();
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("agent metrics address");
    (Proc(child), addr)
}

fn start_prometheus(dir: &Path, target: SocketAddr) -> (Proc, String) {
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {RULES}\n\
             scrape_configs:\n  - job_name: pollscope\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let proc = Proc(child);
    let deadline = Instant::now() + Duration::from_mins(1);
    while Instant::now() < deadline {
        if ureq::get(&format!("{base}/-/ready")).call().is_ok() {
            return (proc, base);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "prometheus not ready within 60 s:\n{}",
        std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
    );
}

fn get_json(answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> serde_json::Value {
    let text = answer.unwrap().body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An instant query: each result's labels and value.
fn query(base: &str, promql: &str) -> Vec<(serde_json::Value, f64)> {
    let body = get_json(
        ureq::get(&format!("{base}/api/v1/query"))
            .query("query", promql)
            .call(),
    );
    assert_eq!(body["status"], "success", "{promql}: {body}");
    body["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let value = r["value"][1].as_str().unwrap().parse().unwrap();
            (r["metric"].clone(), value)
        })
        .collect()
}

fn one(base: &str, promql: &str) -> f64 {
    let r = query(base, promql);
    assert_eq!(r.len(), 1, "{promql}: {r:?}");
    r[0].1
}

/// Poll until `promql` has a result (every 100 ms, at most `limit`); when it first did.
fn until_some(base: &str, promql: &str, limit: Duration) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !query(base, promql).is_empty() {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// `promtool` accepts the example configuration of the docs (and the rules it loads).
fn check_example_config() {
    let check = Command::new("promtool")
        .args(["check", "config"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/monitoring/prometheus.yml"
        ))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// The event rate and the connection counters, as `PromQL` sees them.
fn check_rate_and_connections(base: &str) {
    let rate = one(
        base,
        r#"rate(pollscope_events_total{profile="fleet-a"}[15s])"#,
    );
    eprintln!("PromQL rate(pollscope_events_total[15s]) = {rate:.3}/s; published {RATE}/s");
    assert!((rate - RATE).abs() <= RATE * 0.10, "{rate} vs {RATE}");
    let answers = one(
        base,
        r#"rate(pollscope_answers_total{profile="fleet-a"}[15s])"#,
    );
    let reused = one(
        base,
        r#"rate(pollscope_reused_polls_total{profile="fleet-a"}[15s])"#,
    );
    let new = one(
        base,
        r#"pollscope_new_connections_total{profile="fleet-a"}"#,
    );
    let open = one(base, r#"pollscope_open_connections{profile="fleet-a"}"#);
    eprintln!("answers {answers:.2}/s, reused {reused:.2}/s, new connections {new}, open {open}");
    assert!(
        (new - 1.0).abs() < f64::EPSILON && (open - 1.0).abs() < f64::EPSILON,
        "one poller, one kept-alive connection: {new} new, {open} open"
    );
    assert!(
        answers > 0.0 && (reused - answers).abs() < 1e-9,
        "every answer reused it"
    );
}

/// The alerting rules of the docs load, every one evaluates without error, and none
/// fires while events flow.
fn check_rules(base: &str) {
    let rules = get_json(ureq::get(&format!("{base}/api/v1/rules")).call());
    let all: Vec<&serde_json::Value> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    assert_eq!(all.len(), 11, "{rules}");
    for r in &all {
        assert_eq!(r["health"], "ok", "{r}");
    }
    let alerts = query(base, "ALERTS");
    assert!(
        alerts.is_empty(),
        "nothing fires while events flow: {alerts:?}"
    );
}

/// After the last event at `silent_from`: the agent's quiet>2s fires, Prometheus scrapes
/// it, the rules file's alert fires; later the learned quiet state (the badge's) too.
fn check_silence(base: &str, silent_from: Instant) {
    let seen = until_some(
        base,
        r#"pollscope_alert_firing{profile="fleet-a",rule="quiet>2s"} == 1"#,
        Duration::from_secs(30),
    )
    .expect("prometheus sees the quiet alert");
    let alert = until_some(
        base,
        r#"ALERTS{alertname="PollscopeAlertFiring",alertstate="firing",rule="quiet>2s"}"#,
        Duration::from_secs(30),
    )
    .expect("the rules file's alert fires");
    eprintln!(
        "silence → Prometheus sees pollscope_alert_firing: {:.2} s; → ALERTS firing: {:.2} s \
         (quiet>2s, scrape and evaluation every 1 s)",
        seen.duration_since(silent_from).as_secs_f64(),
        alert.duration_since(silent_from).as_secs_f64()
    );
    assert!(seen.duration_since(silent_from) >= Duration::from_secs(2));
    // 20 events/s learn the 10 s floor.
    let quiet = until_some(
        base,
        r#"pollscope_quiet{profile="fleet-a"} == 1"#,
        Duration::from_secs(40),
    )
    .expect("the learned quiet state reaches Prometheus");
    let after = quiet.duration_since(silent_from);
    eprintln!(
        "silence → Prometheus sees pollscope_quiet (learned, 10 s floor): {:.2} s",
        after.as_secs_f64()
    );
    assert!(after >= Duration::from_secs(10), "{after:?}");
}

#[test]
fn prometheus_scrapes_the_agent_and_sees_rates_counters_and_alerts() {
    if !prometheus_installed() {
        return;
    }
    check_example_config();
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(DemoServer::start(DemoServerConfig::default()).unwrap());
    let mut profile = Profile::for_demo("fleet-a", &server.events_url());
    profile.initial_cursor = Some("0".to_owned());
    let profiles = dir.path().join("profiles.json");
    std::fs::write(
        &profiles,
        pollscope::profile_store::ProfileStore::to_bytes(&[profile]),
    )
    .unwrap();

    let publisher = Publisher::start(&server);
    let (_agent, metrics) = start_agent(&profiles);
    let (_prometheus, base) = start_prometheus(dir.path(), metrics);
    let first = until_some(&base, r#"up{job="pollscope"} == 1"#, Duration::from_mins(1))
        .expect("prometheus scrapes the agent");
    // 20 s of samples at a 1 s scrape interval; rates over the last 15 s of them.
    std::thread::sleep(Duration::from_secs(20).saturating_sub(first.elapsed()));
    check_rate_and_connections(&base);
    check_rules(&base);
    check_silence(&base, publisher.stop());
}
