//! Soak: the demo server at a high event rate, several pollers, a fault injected every
//! few seconds, for minutes. At the end: no lost or repeated event, memory (RSS) flat
//! after warm-up, thread count flat.
//!
//! Not part of the default run (bounded to minutes):
//! `SOAK_SECS=300 cargo test --release --test soak -- --ignored --nocapture`
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig, Fault, FaultPlan};
use pollscope::poll::{PollEvent, Session, no_waker};
use pollscope::profile::Profile;
use pollscope::stats::{Stats, StatsConfig};

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

const POLLERS: usize = 8;
/// A fault plan is applied this often.
const FAULT_EVERY: Duration = Duration::from_secs(5);

/// The faults cycled through, one every few seconds.
fn faults() -> Vec<FaultPlan> {
    vec![
        FaultPlan::burst(Fault::Status { code: 503 }, 8),
        FaultPlan::every(Fault::ResetMidBody, 7),
        FaultPlan::every(Fault::CloseOnReuse, 5),
        FaultPlan::burst(Fault::TooManyRequests { retry_after_s: 1 }, 4),
        FaultPlan::every(Fault::TruncatedChunked, 9),
        FaultPlan::burst(Fault::MalformedJson, 4),
        FaultPlan::burst(Fault::Blackhole, 2),
        // Every poller gets one (see the warm-up in the test).
        FaultPlan::burst(Fault::HugeBody { bytes: 64 << 20 }, 2 * POLLERS as u64),
        FaultPlan::always(Fault::None),
    ]
}

#[test]
#[ignore = "minutes long: run with --ignored (see the module docs)"]
#[expect(
    clippy::too_many_lines,
    reason = "one soak run from start to verdict, its phases in order"
)]
fn soak_with_periodic_faults() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(180);
    let rate: f64 = std::env::var("SOAK_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500.0);
    // Warm-up: one whole cycle of faults and then some. A body over the limit is read up
    // to the limit (4 MiB) and dropped; glibc keeps each poller thread's arena at its
    // high-water mark, so RSS steps up until every poller has read one such body —
    // bounded (pollers × limit), not a leak. The huge-body plan reaches every poller in
    // the first cycle; after it RSS must stay flat.
    let cycle = FAULT_EVERY * u32::try_from(faults().len()).unwrap();
    let warmup = (FAULT_EVERY + cycle + Duration::from_secs(10)).max(Duration::from_secs(secs / 3));
    assert!(
        warmup + Duration::from_mins(1) <= Duration::from_secs(secs),
        "SOAK_SECS must leave a minute after the {warmup:?} warm-up"
    );
    let server = DemoServer::start(DemoServerConfig {
        rate_per_s: rate,
        ..DemoServerConfig::default()
    })
    .unwrap();
    let mut p = Profile::for_demo("soak", &server.events_url());
    p.pollers = u32::try_from(POLLERS).unwrap();
    p.hold_s = 2;
    p.client_timeout_s = Some(3.0);
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let start = Instant::now();
    let plans = faults();
    let (mut next_fault, mut fault_i) = (start + FAULT_EVERY, 0);
    let mut next_sample = start;
    let mut samples: Vec<(f64, u64, u64)> = Vec::new();
    while start.elapsed() < Duration::from_secs(secs) {
        for e in session.events().try_iter() {
            stats.record(&e);
            if let PollEvent::Failed(f) = &e {
                log_failure(f.kind.name());
            }
        }
        let now = Instant::now();
        if now >= next_fault {
            // The last minute is fault-free so every poller catches up before the end.
            let quiet = start.elapsed() + Duration::from_secs(15) >= Duration::from_secs(secs);
            let plan = if quiet {
                FaultPlan::always(Fault::None)
            } else {
                plans[fault_i % plans.len()]
            };
            server.set_faults(plan).unwrap();
            fault_i += 1;
            next_fault = now + FAULT_EVERY;
        }
        if now >= next_sample {
            samples.push((
                start.elapsed().as_secs_f64(),
                status_kib("VmRSS:"),
                status_kib("Threads:"),
            ));
            next_sample = now + Duration::from_secs(5);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    session.stop();
    for e in session.events().try_iter() {
        stats.record(&e);
    }
    let s = stats.summary(Instant::now());
    let after: Vec<&(f64, u64, u64)> = samples
        .iter()
        .filter(|(t, _, _)| *t >= warmup.as_secs_f64())
        .collect();
    let rss_min = after.iter().map(|s| s.1).min().unwrap();
    let rss_max = after.iter().map(|s| s.1).max().unwrap();
    let threads: Vec<u64> = after.iter().map(|s| s.2).collect();
    println!(
        "soak: {secs} s, {rate} events/s, {POLLERS} pollers, {fault_i} fault plans applied, warm-up {warmup:?}"
    );
    println!(
        "  polls {} events {} errors {} ({:?}) stale retries {} lost {} duplicates {}",
        s.polls,
        s.events,
        s.errors,
        s.errors_by_kind,
        s.stale_retries,
        s.lost_events,
        s.duplicate_events
    );
    println!(
        "  RSS after warm-up {:.1}–{:.1} MiB; threads {:?}",
        rss_min as f64 / 1024.0,
        rss_max as f64 / 1024.0,
        threads.iter().min().zip(threads.iter().max())
    );
    println!("  samples (s, RSS KiB, threads): {samples:?}");
    assert_eq!(s.lost_events, 0);
    assert_eq!(s.duplicate_events, 0);
    assert!(s.errors > 0, "faults were injected and seen");
    assert!(s.events > 1000);
    // Flat: within 10 % (or 16 MiB) after warm-up.
    let slack = (rss_min / 10).max(16 * 1024);
    assert!(
        rss_max - rss_min <= slack,
        "RSS grew {rss_min} → {rss_max} KiB"
    );
    assert!(
        threads.iter().max() == threads.iter().min(),
        "threads changed: {threads:?}"
    );
}

fn log_failure(kind: &str) {
    log::debug!("soak failure: {kind}");
}
