//! The fault matrix: each fault injected into a live event stream by the demo server over
//! real loopback sockets. For each, Pollscope counts it by kind, says what happened,
//! recovers on its own and — checked with sequence numbers — loses no event and shows
//! none twice.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig, Fault, FaultPlan};
use pollscope::poll::{ErrorKind, Payload, PollEvent, PollFailure, Session, no_waker};
use pollscope::profile::Profile;
use pollscope::stats::{Stats, StatsConfig};

fn server() -> Arc<DemoServer> {
    Arc::new(DemoServer::start(DemoServerConfig::default()).unwrap())
}

/// A demo profile that starts from the beginning, holds 1 s and gives up after 1.5 s.
fn profile(url: &str) -> Profile {
    let mut p = Profile::for_demo("faults", url);
    p.hold_s = 1;
    p.client_timeout_s = Some(1.5);
    p.initial_cursor = Some("0".to_owned());
    p
}

/// What a run saw.
struct Run {
    stats: Stats,
    seqs: Vec<i64>,
    failures: Vec<PollFailure>,
    raw_texts: Vec<String>,
    problems: Vec<String>,
}

/// Publish `n` events (one every 10 ms) while one poller watches; collect until all
/// `n` arrived or `limit` passed.
#[expect(
    clippy::many_single_char_names,
    reason = "p, n, e, i: the profile, the count, an event, an index"
)]
fn run(server: &Arc<DemoServer>, p: Profile, n: i64, limit: Duration) -> Run {
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let done = Arc::new(AtomicBool::new(false));
    let publisher = {
        let server = Arc::clone(server);
        let done = Arc::clone(&done);
        std::thread::Builder::new()
            .name("publisher".into())
            .spawn(move || {
                for i in 0..n {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    server.publish(serde_json::json!({ "i": i }));
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
            .unwrap()
    };
    let (mut seqs, mut failures, mut raw_texts, mut problems) = (vec![], vec![], vec![], vec![]);
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline && i64::try_from(seqs.len()).unwrap() < n {
        let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        stats.record(&e);
        match e {
            PollEvent::Response(r) => {
                problems.extend(r.problem.clone());
                for ev in &r.events {
                    match (&ev.payload, ev.seq) {
                        (_, Some(s)) => seqs.push(s),
                        (Payload::Text(t), None) => raw_texts.push(t.clone()),
                        (Payload::Json(_), None) => {}
                    }
                }
            }
            PollEvent::Failed(f) => failures.push(*f),
            _ => {}
        }
    }
    done.store(true, Ordering::Relaxed);
    publisher.join().unwrap();
    session.stop();
    Run {
        stats,
        seqs,
        failures,
        raw_texts,
        problems,
    }
}

/// Every event once, in order: 1..=n.
fn assert_no_loss(r: &Run, n: i64) {
    let want: Vec<i64> = (1..=n).collect();
    assert_eq!(r.seqs, want, "every event, once, in order");
    assert_eq!(r.stats.lost_events(), 0);
    assert_eq!(r.stats.duplicate_events(), 0);
}

fn kinds(r: &Run) -> Vec<ErrorKind> {
    r.failures.iter().map(|f| f.kind).collect()
}

fn matrix_case(fault: Fault, every: u64, want: &[ErrorKind]) -> Run {
    let server = server();
    server.set_faults(FaultPlan::every(fault, every)).unwrap();
    let r = run(
        &server,
        profile(&server.events_url()),
        60,
        Duration::from_secs(40),
    );
    assert_no_loss(&r, 60);
    assert!(server.faults().injected > 0, "{fault:?} was never injected");
    assert!(!r.failures.is_empty(), "{fault:?}: no failure reported");
    for k in kinds(&r) {
        assert!(
            want.contains(&k),
            "{fault:?}: unexpected {k:?}: {:?}",
            r.failures[0].message
        );
    }
    for f in &r.failures {
        assert!(!f.message.is_empty());
        assert!(f.backoff <= Duration::from_secs(30));
    }
    r
}

#[test]
fn reset_in_the_middle_of_a_body() {
    let r = matrix_case(
        Fault::ResetMidBody,
        3,
        &[ErrorKind::ConnectionLost, ErrorKind::Protocol],
    );
    assert!(r.failures[0].message.contains("lost") || r.failures[0].message.contains("HTTP"));
}

#[test]
fn truncated_chunked_body() {
    matrix_case(
        Fault::TruncatedChunked,
        3,
        &[ErrorKind::ConnectionLost, ErrorKind::Protocol],
    );
}

#[test]
fn blackhole_is_cut_by_the_client_timeout() {
    let r = matrix_case(Fault::Blackhole, 4, &[ErrorKind::Timeout]);
    let f = &r.failures[0];
    assert!(
        f.message.contains("client timeout of 1.5 s"),
        "{}",
        f.message
    );
    assert!(
        (1400..3000).contains(&f.elapsed.as_millis()),
        "cut after {:?}",
        f.elapsed
    );
}

#[test]
fn slow_loris_body_is_bounded_by_the_timeout() {
    let r = matrix_case(Fault::SlowBody { bytes_per_s: 1 }, 4, &[ErrorKind::Timeout]);
    assert!(
        r.failures
            .iter()
            .all(|f| f.elapsed < Duration::from_secs(3))
    );
}

#[test]
fn error_status_bursts_back_off_and_recover() {
    let r = matrix_case(Fault::Status { code: 503 }, 3, &[ErrorKind::HttpStatus]);
    assert_eq!(r.failures[0].status, Some(503));
    assert!(
        r.failures[0]
            .message
            .starts_with("HTTP 503 Service Unavailable")
    );
}

#[test]
fn malformed_bodies_are_shown_raw_explained_and_polling_continues() {
    for fault in [
        Fault::MalformedJson,
        Fault::NonUtf8,
        Fault::WrongContentType,
    ] {
        let server = server();
        server.set_faults(FaultPlan::every(fault, 3)).unwrap();
        let r = run(
            &server,
            profile(&server.events_url()),
            40,
            Duration::from_secs(40),
        );
        assert_no_loss(&r, 40);
        assert!(!r.raw_texts.is_empty(), "{fault:?}: the body is shown raw");
        assert!(
            r.problems
                .iter()
                .any(|p| p.contains("not JSON") && p.contains("keeping cursor")),
            "{fault:?}: {:?}",
            r.problems
        );
    }
}

#[test]
fn too_many_requests_honours_retry_after() {
    let server = server();
    server
        .set_faults(FaultPlan::burst(
            Fault::TooManyRequests { retry_after_s: 1 },
            1,
        ))
        .unwrap();
    let mut session = Session::start(profile(&server.events_url()), no_waker()).unwrap();
    let mut failed_at = None;
    let mut next_poll = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && next_poll.is_none() {
        match session.events().recv_timeout(Duration::from_millis(50)) {
            Ok(PollEvent::Failed(f)) => {
                assert!(f.retry_after, "{}", f.message);
                assert_eq!(f.backoff, Duration::from_secs(1));
                assert!(f.message.contains("retry after 1 s"), "{}", f.message);
                failed_at = Some(f.at);
            }
            Ok(PollEvent::PollStarted { at, .. }) if failed_at.is_some() => next_poll = Some(at),
            _ => {}
        }
    }
    session.stop();
    let gap = next_poll.unwrap() - failed_at.unwrap();
    assert!(
        gap >= Duration::from_millis(990),
        "polled again after {gap:?}"
    );
}

#[test]
fn many_pollers_failing_together_spread_their_retries() {
    let server = server();
    let pollers = 40;
    // Every poller's first poll fails with 503, all within a few milliseconds.
    server
        .set_faults(FaultPlan::burst(Fault::Status { code: 503 }, pollers))
        .unwrap();
    let mut p = profile(&server.events_url());
    p.pollers = u32::try_from(pollers).unwrap();
    p.hold_s = 5;
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut failed = vec![None; usize::try_from(pollers).unwrap()];
    let mut retried = vec![None; usize::try_from(pollers).unwrap()];
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && retried.iter().any(Option::is_none) {
        match session.events().recv_timeout(Duration::from_millis(50)) {
            Ok(PollEvent::Failed(f)) => failed[f.poller] = Some(f.at),
            Ok(PollEvent::PollStarted { poller, at }) if failed[poller].is_some() => {
                retried[poller].get_or_insert(at);
            }
            _ => {}
        }
    }
    session.stop();
    let first = failed.iter().flatten().min().copied().unwrap();
    let mut delays: Vec<f64> = retried
        .iter()
        .map(|r| (r.unwrap() - first).as_secs_f64() * 1000.0)
        .collect();
    delays.sort_by(f64::total_cmp);
    let spread = delays[delays.len() - 1] - delays[0];
    eprintln!("retry delays after a 503 storm (ms): {delays:.0?}");
    // Full jitter over 0..500 ms: the retries are spread, not a second stampede.
    assert!(
        spread > 250.0,
        "retries within {spread:.0} ms of each other"
    );
    let busiest_50ms = delays
        .iter()
        .map(|d| {
            delays
                .iter()
                .filter(|e| (*e - d) >= 0.0 && (*e - d) < 50.0)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        busiest_50ms <= 15,
        "{busiest_50ms} of {pollers} retried within 50 ms"
    );
}

#[test]
fn huge_body_is_stopped_at_the_limit_with_bounded_memory() {
    let server = server();
    server
        .set_faults(FaultPlan::burst(Fault::HugeBody { bytes: 1 << 30 }, 2))
        .unwrap();
    let rss_before = rss_kib();
    let r = run(
        &server,
        profile(&server.events_url()),
        20,
        Duration::from_mins(1),
    );
    let rss_after = rss_kib();
    assert_no_loss(&r, 20);
    assert_eq!(kinds(&r), vec![ErrorKind::BodyTooLarge; 2]);
    assert!(
        r.failures[0].message.contains("limit of 4194304 bytes"),
        "{}",
        r.failures[0].message
    );
    // Two 1 GiB answers were refused after 4 MiB each.
    let grew = rss_after.saturating_sub(rss_before);
    assert!(grew < 64 * 1024, "RSS grew by {grew} KiB");
    assert!(r.stats.summary(Instant::now()).wire_bytes_in < 64 << 20);
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn server_restart_mid_hold_resumes_from_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let config = DemoServerConfig {
        state_file: Some(dir.path().join("events.jsonl")),
        ..DemoServerConfig::default()
    };
    let first = DemoServer::start(config.clone()).unwrap();
    let addr = first.addr();
    let mut p = profile(&first.events_url());
    p.hold_s = 30;
    p.client_timeout_s = None;
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let mut seqs = Vec::new();
    let collect = |session: &Session, stats: &mut Stats, seqs: &mut Vec<i64>, want: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && seqs.len() < want {
            if let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) {
                stats.record(&e);
                if let PollEvent::Response(r) = &e {
                    seqs.extend(r.events.iter().filter_map(|ev| ev.seq));
                }
            }
        }
    };
    for i in 0..5 {
        first.publish(serde_json::json!({ "i": i }));
    }
    collect(&session, &mut stats, &mut seqs, 5);
    // The poller is now holding at cursor 5. Kill the server; publish while it is down
    // is impossible, so publish right after it is back.
    let deadline = Instant::now() + Duration::from_secs(5);
    while first.held_requests() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    first.stop();
    std::thread::sleep(Duration::from_millis(300));
    let second = DemoServer::start(DemoServerConfig { addr, ..config }).unwrap();
    for i in 5..10 {
        second.publish(serde_json::json!({ "i": i }));
    }
    collect(&session, &mut stats, &mut seqs, 10);
    session.stop();
    assert_eq!(seqs, (1..=10).collect::<Vec<i64>>());
    assert_eq!(stats.lost_events(), 0);
    assert_eq!(stats.duplicate_events(), 0);
}

#[test]
fn unknown_host_and_invalid_url_are_clear() {
    let mut p = Profile::for_demo("dns", "http://no-such-host.invalid/events");
    p.client_timeout_s = Some(2.0);
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut failures = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(PollEvent::Failed(f)) = session.events().recv_timeout(Duration::from_millis(50)) {
            failures.push(*f);
        }
    }
    session.stop();
    assert!(!failures.is_empty());
    assert!(
        failures.len() <= 8,
        "no busy loop: {} failures in 3 s",
        failures.len()
    );
    let f = &failures[0];
    assert!(
        matches!(f.kind, ErrorKind::HostNotFound | ErrorKind::ConnectTimeout),
        "{:?}: {}",
        f.kind,
        f.message
    );
    assert!(f.message.contains("no-such-host.invalid"), "{}", f.message);

    let e = Session::start(Profile::for_demo("bad", "http//nope"), no_waker()).unwrap_err();
    assert!(e.to_string().contains("bad URL"), "{e}");
}

#[test]
fn tls_self_signed_is_refused_by_default_and_allowed_by_the_switch() {
    let server = DemoServer::start(DemoServerConfig {
        tls: Some(pollscope::demo_server::TlsMode::SelfSigned),
        rate_per_s: 50.0,
        ..DemoServerConfig::default()
    })
    .unwrap();
    assert!(server.events_url().starts_with("https://"));
    let mut p = profile(&server.events_url());
    let mut session = Session::start(p.clone(), no_waker()).unwrap();
    let mut connected = 0;
    let failure = loop {
        match session.events().recv_timeout(Duration::from_secs(5)) {
            Ok(PollEvent::Failed(f)) => break f,
            Ok(PollEvent::Connected { conn, .. }) => {
                assert_eq!(conn.tls_handshake, None, "the handshake failed");
                connected += 1;
            }
            Ok(_) => {}
            Err(e) => panic!("no failure: {e}"),
        }
    };
    session.stop();
    // The TCP connect under the refused handshake happened, and is reported as such.
    assert_eq!(connected, 1);
    assert_eq!(session.metrics().tcp_connects(), 1);
    assert_eq!(failure.kind, ErrorKind::Tls, "{}", failure.message);
    assert!(failure.message.contains("TLS with"), "{}", failure.message);
    assert!(
        failure.message.to_lowercase().contains("certificate"),
        "says why: {}",
        failure.message
    );

    p.accept_invalid_certs = true;
    p.pollers = 2;
    p.initial_cursor = None;
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && stats.events() < 40 {
        if let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) {
            stats.record(&e);
        }
    }
    session.stop();
    let s = stats.summary(Instant::now());
    assert!(s.events >= 40);
    assert_eq!(s.errors, 0);
    assert_eq!(s.tls_handshakes, 2, "one handshake per connection");
    assert_eq!(s.new_connections, 2);
    assert!(s.tls_ms_total > 0.0);
    assert!(s.handshake_ms_saved > 0.0);
}
