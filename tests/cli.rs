//! The `pollscope` binary's headless face, run as a user would.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::process::Command;
use std::time::Duration;

use pollscope::demo_server::{DemoServer, DemoServerConfig};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pollscope"));
    // Never read the developer's real profiles.
    c.env(
        "POLLSCOPE_CONFIG_DIR",
        std::env::temp_dir().join("pollscope-cli-test-none"),
    );
    c
}

fn demo(rate: f64) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        rate_per_s: rate,
        ..DemoServerConfig::default()
    })
    .unwrap()
}

fn json_run(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one JSON line: {stdout}"
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

#[test]
fn watch_json_has_every_summary_key() {
    let server = demo(50.0);
    let v = json_run(&[
        "watch",
        &server.events_url(),
        "--duration",
        "2s",
        "--pollers",
        "4",
        "--json",
    ]);
    for key in [
        "polls",
        "events",
        "empty_polls",
        "errors",
        "new_connections",
        "reused_connections",
        "reuse_ratio",
        "stale_retries",
        "tls_handshakes",
        "connect_ms_total",
        "handshake_ms_saved",
        "hold_ms_p50",
        "hold_ms_p99",
        "event_latency_ms_p50",
        "event_latency_ms_p99",
        "lost_events",
        "duration_s",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["new_connections"], 4, "{v}");
    assert_eq!(v["lost_events"], 0, "{v}");
    assert!(v["events"].as_u64().unwrap() >= 4 * 40, "{v}");
    assert!(v["event_latency_ms_p50"].as_f64().is_some(), "{v}");
    let d = v["duration_s"].as_f64().unwrap();
    assert!((1.9..4.0).contains(&d), "{d}");
    assert_eq!(server.stats().accepted_connections, 4);
}

#[test]
fn watch_without_keep_alive_opens_a_connection_per_poll() {
    let server = demo(50.0);
    let v = json_run(&[
        "watch",
        &server.events_url(),
        "--duration",
        "2s",
        "--no-keep-alive",
        "--json",
    ]);
    let polls = v["polls"].as_u64().unwrap();
    assert!(polls >= 20, "{v}");
    // One connection per poll, plus the poll still held when the run ended.
    let conns = v["new_connections"].as_u64().unwrap();
    assert!((polls..=polls + 1).contains(&conns), "{v}");
    assert_eq!(v["reused_connections"], 0, "{v}");
    assert!(v["connect_ms_total"].as_f64().unwrap() > 0.0, "{v}");
}

#[test]
fn human_output_has_live_lines_and_a_summary() {
    let server = demo(20.0);
    let out = bin()
        .args(["watch", &server.events_url(), "--duration", "1500ms"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("event(s)"), "{text}");
    assert!(text.contains("Summary:"), "{text}");
    assert!(text.contains("1 new TCP connection(s)"), "{text}");
}

#[test]
fn unreachable_url_fails_fast_with_a_clear_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = std::time::Instant::now();
    let out = bin()
        .args([
            "watch",
            &format!("http://127.0.0.1:{port}/events"),
            "--duration",
            "20s",
        ])
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(3), "exit 3: unreachable");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot reach"), "{err}");
    assert!(err.contains("connection refused"), "{err}");
}

#[test]
fn bad_arguments_exit_non_zero() {
    for args in [
        vec!["watch", "htp:/nope"],
        vec!["watch", "http://127.0.0.1:1/", "--header", "nocolon"],
        vec!["watch", "http://127.0.0.1:1/", "--pollers", "0"],
        vec!["watch", "http://127.0.0.1:1/", "--cursor", "bogus"],
        vec!["watch"],
        vec!["watch", "--profile", "does-not-exist"],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.is_empty(), "{args:?}: no message");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // A preset's placeholder left in the URL is named, not polled.
    let out = bin()
        .args([
            "watch",
            "--preset",
            "etcd-v2",
            "http://127.0.0.1:1/v2/keys/KEY?wait=true",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("replace KEY in the URL with the key to watch"),
        "{err}"
    );
}

#[test]
fn secrets_never_reach_the_output() {
    let server = demo(20.0);
    let out = bin()
        .args([
            "watch",
            &format!("{}?access_token=SUPERSECRET1", server.events_url()),
            "-H",
            "Authorization: Bearer SUPERSECRET2",
            "--duration",
            "1s",
        ])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("SUPERSECRET"), "secret leaked");
}
