//! Bounded memory per answer: one 4 MiB answer of 580,000 tiny events took 829 MB of
//! RSS (3.1 GB with 4 pollers); 2 M `0` events 326 MB. Each answer now keeps at most
//! 10,000 events and says how many more it counted. (The benchmark suite measures the
//! peak RSS for 1 and 4 pollers; this test checks the bound and the truncation.)

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bin;
use super::server::{Hostile, Reply};

/// `{"cursor": 1, "events": [ITEM, ITEM, …]}` of about 4 MiB.
fn bomb(item: &str) -> Arc<Vec<u8>> {
    let mut body = String::from(r#"{"cursor": 1, "events": ["#);
    while body.len() < 4 * 1024 * 1024 - 64 {
        body.push_str(item);
        body.push(',');
    }
    body.push_str(item);
    body.push_str("]}");
    Arc::new(body.into_bytes())
}

/// Peak RSS (`VmHWM`, KiB) of a child, read until it exits; and its stdout.
fn run_measured(mut c: std::process::Command) -> (u64, String) {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_mins(1);
    while Instant::now() < deadline {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        out.push_str(&line.unwrap());
    }
    let _ = child.wait();
    (peak, out)
}

/// `pollscope watch --json --hold 1 ARGS` for `duration` against a server answering
/// every poll with `body`: its peak RSS (KiB) and its stdout.
fn watch_answered_with(body: Arc<Vec<u8>>, duration: &str, args: &[&str]) -> (u64, String) {
    let server = Hostile::start("127.0.0.1", move |_, _| {
        Reply::http(200, &[("Content-Type", "application/json")], &body)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = bin(dir.path());
    c.args(["watch", &server.url("/events"), "--duration", duration])
        .args(["--json", "--hold", "1"])
        .args(args);
    run_measured(c)
}

fn measure(item: &str, pollers: &str) -> (u64, serde_json::Value) {
    let body = bomb(item);
    // One comma between items, one in the prefix (after the cursor).
    let items = body.split(|b| *b == b',').count() - 1;
    let (peak_kib, out) = watch_answered_with(body, "3s", &["--pollers", pollers]);
    eprintln!("{item:?} × {items}, {pollers} poller(s): peak RSS {peak_kib} KiB");
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let polls = v["polls"].as_u64().unwrap();
    assert!(polls >= 1, "{v}");
    // Every answer kept 10,000 events and counted the rest.
    assert_eq!(v["events"].as_u64().unwrap(), polls * 10_000, "{v}");
    assert_eq!(
        v["truncated_values"].as_u64().unwrap(),
        polls * (items as u64 - 10_000),
        "{v}"
    );
    (peak_kib, v)
}

#[cfg(target_os = "linux")]
#[test]
fn a_4_mib_answer_of_tiny_events_stays_within_a_small_multiple_of_its_size() {
    let (one, _) = measure(r#"{"":0}"#, "1");
    let (four, _) = measure(r#"{"":0}"#, "4");
    let (zeros, _) = measure("0", "1");
    // Before: 829 MB, 3.1 GB and 326 MB. The bounds leave room for the process itself
    // (threads, TLS roots, allocator) and the body buffers (4 MiB each, and the reading
    // buffer's growth).
    assert!(one < 120 * 1024, "1 poller: peak RSS {one} KiB");
    assert!(four < 300 * 1024, "4 pollers: peak RSS {four} KiB");
    assert!(zeros < 120 * 1024, "2 M zeros: peak RSS {zeros} KiB");
    eprintln!("peak RSS: {one} KiB (1 poller), {four} KiB (4 pollers), {zeros} KiB (zeros)");
}

#[cfg(target_os = "linux")]
#[test]
fn deeply_nested_answers_neither_crash_nor_grow() {
    for (open, close) in [("[", "]"), (r#"{"a":"#, "}")] {
        // 1,000,000 levels of nesting, never closed, then closed: neither may overflow
        // the stack of a poller thread nor take more than a few bodies of memory.
        for closed in [false, true] {
            let mut body = open.repeat(1_000_000);
            if closed {
                body.push_str(&close.repeat(1_000_000));
            }
            let body = Arc::new(body.into_bytes());
            let size = body.len();
            let (peak_kib, out) = watch_answered_with(body, "2s", &[]);
            eprintln!("{open:?} × 1,000,000 (closed: {closed}): peak RSS {peak_kib} KiB");
            let v: serde_json::Value = serde_json::from_str(out.trim())
                .unwrap_or_else(|e| panic!("no summary ({e}), the run crashed? {out:?}"));
            assert!(v["polls"].as_u64().unwrap() >= 1, "{v}");
            assert_eq!(v["pollers_died"], 0, "{v}");
            assert!(
                peak_kib < 120 * 1024,
                "{size}-byte body: peak RSS {peak_kib} KiB"
            );
        }
    }
}
