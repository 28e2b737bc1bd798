//! Session protocols and GRIP against real servers on loopback: Pushpin (Debian) in front
//! of a GRIP origin, Socket.IO 4, SockJS and Faye (Bayeux) from npm, started by
//! `tests/support/session_servers.rs`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/servers.rs"]
#[allow(
    dead_code,
    reason = "the Nchan, etcd and PouchDB servers are for tests/interop.rs"
)]
mod servers;
#[path = "support/session_servers.rs"]
mod session_servers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pollscope::cursor::CursorRule;
use pollscope::poll::{PollEvent, Session, no_waker};
use pollscope::profile::{HoldParam, Profile};
use pollscope::stats::{Stats, StatsConfig};

use servers::agent;
use session_servers::Pushpin;

/// What a run saw.
struct Run {
    stats: Stats,
    /// Sequence numbers per poller, in arrival order.
    seqs: Vec<Vec<i64>>,
    failures: Vec<String>,
    tcp_connects: u64,
}

/// Start `profile`, call `publish` once `ready` says every poller waits, and collect
/// until each poller has `want` events or `limit` passes.
fn run(
    profile: Profile,
    ready: impl Fn() -> bool,
    publish: impl FnOnce() + Send + 'static,
    want: usize,
    limit: Duration,
) -> Run {
    let pollers = profile.pollers as usize;
    let mut session = Session::start(profile, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let mut seqs = vec![Vec::new(); pollers];
    let mut failures = Vec::new();
    let deadline = Instant::now() + limit;
    let mut record = |e: PollEvent, stats: &mut Stats, seqs: &mut Vec<Vec<i64>>| {
        stats.record(&e);
        match e {
            PollEvent::Response(r) => seqs[r.poller].extend(r.events.iter().filter_map(|e| e.seq)),
            PollEvent::Failed(f) => failures.push(f.message.clone()),
            _ => {}
        }
    };
    while Instant::now() < deadline && !ready() {
        for e in session.events().try_iter() {
            record(e, &mut stats, &mut seqs);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(Instant::now() < deadline, "pollers never all waited");
    let publisher = std::thread::Builder::new()
        .name("publisher".into())
        .spawn(publish)
        .unwrap();
    while Instant::now() < deadline && seqs.iter().any(|s| s.len() < want) {
        if let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) {
            record(e, &mut stats, &mut seqs);
        }
    }
    publisher.join().unwrap();
    session.stop();
    for e in session.events().try_iter() {
        record(e, &mut stats, &mut seqs);
    }
    Run {
        stats,
        seqs,
        failures,
        tcp_connects: session.metrics().tcp_connects(),
    }
}

fn assert_all_in_order(r: &Run, pollers: usize, n: i64) {
    assert!(r.failures.is_empty(), "failures: {:?}", r.failures);
    let want: Vec<i64> = (1..=n).collect();
    for (p, got) in r.seqs.iter().enumerate() {
        assert_eq!(got, &want, "poller {p}: every event, in order, none twice");
    }
    assert_eq!(r.stats.lost_events(), 0);
    assert_eq!(r.stats.duplicate_events(), 0);
    assert_eq!(
        r.tcp_connects,
        pollers as u64,
        "one connection per poller ({} polls)",
        r.stats.polls()
    );
}

/// The GRIP origin's stream through Pushpin: events at /events, the cursor `last` sent
/// back as `after`, the hold decided by the origin (Grip-Timeout).
fn pushpin_profile(pushpin: &Pushpin, pollers: u32) -> Profile {
    Profile {
        name: "pushpin".to_owned(),
        url: pushpin.url("/stream"),
        hold_param: HoldParam::None,
        hold_s: 10,
        cursor: CursorRule::BodyPointer {
            pointer: "/last".to_owned(),
            param: "after".to_owned(),
            plus: 0,
        },
        initial_cursor: Some("0".to_owned()),
        events_pointer: Some("/events".to_owned()),
        seq_pointer: Some("/seq".to_owned()),
        pollers,
        ..Profile::default()
    }
}

fn pushpin_case(pollers: u32) {
    let Some(pushpin) = Pushpin::start(5) else {
        return;
    };
    let pushpin = Arc::new(pushpin);
    let p = pushpin_profile(&pushpin, pollers);
    let a = agent();
    let base = pushpin.origin.count(&a, "/held");
    let ready = {
        let pushpin = Arc::clone(&pushpin);
        move || pushpin.origin.count(&a, "/held") >= base + u64::from(pollers)
    };
    let publish = {
        let pushpin = Arc::clone(&pushpin);
        move || {
            let a = agent();
            for i in 1..=200 {
                pushpin.publish(&a, &format!("{{\"seq\":{i}}}"));
                // Now and then a pause, so the pollers also wait in held requests
                // instead of only catching up.
                if i % 20 == 0 {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    };
    let r = run(p, ready, publish, 200, Duration::from_secs(60));
    if !r.failures.is_empty() {
        eprintln!("{}", pushpin.log());
    }
    println!(
        "pushpin, {pollers} poller(s): {} polls, {} TCP connections, {} events",
        r.stats.polls(),
        r.tcp_connects,
        r.stats.events()
    );
    assert_all_in_order(&r, pollers as usize, 200);
}

#[test]
fn pushpin_one_poller_gets_every_message_once_in_order_over_one_connection() {
    pushpin_case(1);
}

#[test]
fn pushpin_three_pollers_get_every_message_once_in_order_over_one_connection_each() {
    pushpin_case(3);
}
