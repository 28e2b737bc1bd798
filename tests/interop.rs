//! Presets proven against real servers: nginx + Nchan, etcd (v2 API) and PouchDB Server
//! (CouchDB's HTTP API), started on loopback by `tests/support/servers.rs`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/servers.rs"]
#[allow(dead_code, reason = "squid is for tests/proxy.rs")]
mod servers;

use std::time::{Duration, Instant};

use pollscope::poll::{Payload, PollEvent, Session, no_waker};
use pollscope::presets;
use pollscope::profile::Profile;
use pollscope::stats::{Stats, StatsConfig};

use servers::{Etcd, Nchan, PouchDb, agent};

/// What a run saw.
struct Run {
    stats: Stats,
    /// Sequence numbers per poller, in arrival order.
    seqs: Vec<Vec<i64>>,
    failures: Vec<String>,
    tcp_connects: u64,
}

/// Start `profile`, call `publish` once every poller is waiting (`ready`), and collect
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
    let mut publisher = None;
    let mut record = |e: PollEvent, stats: &mut Stats, seqs: &mut Vec<Vec<i64>>| {
        stats.record(&e);
        match e {
            PollEvent::Response(r) => seqs[r.poller].extend(r.events.iter().filter_map(|e| e.seq)),
            PollEvent::Failed(f) => failures.push(f.message.clone()),
            _ => {}
        }
    };
    while Instant::now() < deadline && publisher.is_none() {
        if ready() {
            publisher = Some(
                std::thread::Builder::new()
                    .name("publisher".into())
                    .spawn(publish)
                    .unwrap(),
            );
            break;
        }
        for e in session.events().try_iter() {
            record(e, &mut stats, &mut seqs);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(publisher.is_some(), "pollers never all waited");
    while Instant::now() < deadline && seqs.iter().any(|s| s.len() < want) {
        if let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) {
            record(e, &mut stats, &mut seqs);
        }
    }
    publisher.unwrap().join().unwrap();
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
        r.stats.new_connections(),
        pollers as u64,
        "one connection per poller"
    );
    assert_eq!(r.tcp_connects, pollers as u64);
}

fn nchan_case(pollers: u32) {
    let Some(nchan) = Nchan::start() else { return };
    let nchan = std::sync::Arc::new(nchan);
    let channel = format!("c{pollers}");
    let mut p = presets::by_id("nchan")
        .unwrap()
        .profile(&nchan.url(&format!("/sub?id={channel}")));
    p.pollers = pollers;
    p.seq_pointer = Some("/seq".to_owned());
    let a = agent();
    let ready = {
        let nchan = std::sync::Arc::clone(&nchan);
        move || nchan.subscribers(&a) >= u64::from(pollers)
    };
    let publish = {
        let nchan = std::sync::Arc::clone(&nchan);
        move || {
            let a = agent();
            for i in 1..=200 {
                nchan.publish(&a, &channel, &format!("{{\"seq\":{i}}}"));
            }
        }
    };
    let r = run(p, ready, publish, 200, Duration::from_mins(1));
    assert_all_in_order(&r, pollers as usize, 200);
}

#[test]
fn nchan_one_poller_gets_every_event_once_in_order() {
    nchan_case(1);
}

#[test]
fn nchan_three_pollers_get_every_event_once_in_order() {
    nchan_case(3);
}

#[test]
fn nchan_hold_timeout_408_is_an_empty_hold_and_keeps_the_cursor() {
    let Some(nchan) = Nchan::start() else { return };
    let a = agent();
    nchan.publish(&a, "t", r#"{"seq":1}"#);
    let mut p = presets::by_id("nchan")
        .unwrap()
        .profile(&nchan.url("/sub-timeout?id=t"));
    p.seq_pointer = Some("/seq".to_owned());
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let mut statuses = Vec::new();
    let mut published = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && stats.events() < 2 {
        let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        stats.record(&e);
        if let PollEvent::Response(r) = &e {
            statuses.push(r.status);
        }
        // After three 408s, publish the next message: it must arrive exactly once.
        if !published && statuses.iter().filter(|s| **s == 408).count() >= 3 {
            nchan.publish(&a, "t", r#"{"seq":2}"#);
            published = true;
        }
    }
    session.stop();
    assert_eq!(stats.events(), 2, "statuses: {statuses:?}");
    assert!(
        stats.empty_polls() >= 3,
        "408s are empty holds: {statuses:?}"
    );
    assert_eq!(stats.errors(), 0, "{:?}", stats.last_error());
    assert_eq!(stats.duplicate_events(), 0, "cursor kept across 408s");
    assert_eq!(stats.lost_events(), 0);
    assert_eq!(statuses.first(), Some(&200));
    assert_eq!(statuses.last(), Some(&200));
}

fn etcd_case(pollers: u32) {
    let Some(etcd) = Etcd::start() else { return };
    let etcd = std::sync::Arc::new(etcd);
    let key = format!("k{pollers}");
    let mut p = presets::by_id("etcd-v2")
        .unwrap()
        .profile(&etcd.url(&format!("/v2/keys/{key}?wait=true")));
    p.pollers = pollers;
    // Values are the sequence numbers (strings in etcd; read as integers).
    p.seq_pointer = Some("/node/value".to_owned());
    let a = agent();
    let base = etcd.watchers(&a);
    let ready = {
        let etcd = std::sync::Arc::clone(&etcd);
        move || etcd.watchers(&a) >= base + u64::from(pollers)
    };
    let publish = {
        let etcd = std::sync::Arc::clone(&etcd);
        move || {
            let a = agent();
            for i in 1..=200 {
                etcd.put(&a, &key, &i.to_string());
            }
        }
    };
    let r = run(p, ready, publish, 200, Duration::from_secs(90));
    assert_all_in_order(&r, pollers as usize, 200);
}

#[test]
fn etcd_one_poller_gets_every_event_once_in_order() {
    etcd_case(1);
}

#[test]
fn etcd_three_pollers_get_every_event_once_in_order() {
    etcd_case(3);
}

#[test]
fn etcd_outdated_index_resyncs_and_reports_the_gap() {
    let Some(etcd) = Etcd::start() else { return };
    let a = agent();
    // Push the watched key's early history out of etcd's 1,000-event window.
    let first = etcd.put(&a, "w", "0");
    let mut last = first;
    for i in 1..=1100 {
        last = etcd.put(&a, "w", &i.to_string());
    }
    let mut p = presets::by_id("etcd-v2")
        .unwrap()
        .profile(&etcd.url("/v2/keys/w?wait=true"));
    p.initial_cursor = Some(first.to_string());
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let mut resynced = None;
    let mut later_values = Vec::new();
    let mut published = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && later_values.is_empty() {
        let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        stats.record(&e);
        match &e {
            PollEvent::Resynced(r) => resynced = Some(r.clone()),
            PollEvent::Response(r) => {
                later_values.extend(r.events.iter().map(|ev| format!("{:?}", ev.payload)));
            }
            _ => {}
        }
        if resynced.is_some() && !published {
            // The poller now waits at the tip: the next write must reach it.
            std::thread::sleep(Duration::from_millis(200));
            etcd.put(&a, "w", "after");
            published = true;
        }
    }
    session.stop();
    let r = resynced.expect("a resync after errorCode 401");
    assert_eq!(r.status, 400);
    assert_eq!(r.from, first.to_string());
    assert_eq!(r.to, (last + 1).to_string(), "resume from X-Etcd-Index + 1");
    let skipped = r.skipped.unwrap();
    assert_eq!(skipped, last + 1 - first);
    assert_eq!(
        stats.lost_events(),
        skipped,
        "the gap is reported as lost events"
    );
    assert_eq!(stats.errors(), 0, "{:?}", stats.last_error());
    assert_eq!(later_values.len(), 1);
    assert!(later_values[0].contains("after"), "{later_values:?}");
}

/// The CouchDB preset against PouchDB Server: every change once, in order, over one
/// connection per poller, with newline heartbeats in the held answers.
fn couchdb_case(pollers: u32) {
    let Some(pouch) = PouchDb::start("feed") else {
        return;
    };
    let pouch = std::sync::Arc::new(pouch);
    let mut p = presets::by_id("couchdb")
        .unwrap()
        .profile(&pouch.url("/feed/_changes?feed=longpoll&heartbeat=200"));
    p.pollers = pollers;
    // From the start of the feed rather than `now`: nothing can be missed however the
    // pollers' first requests and the first writes interleave.
    p.initial_cursor = Some("0".to_owned());
    p.seq_pointer = Some("/seq".to_owned());
    let publish = {
        let pouch = std::sync::Arc::clone(&pouch);
        move || {
            let a = agent();
            for i in 1..=200 {
                pouch.put(&a, "feed", &format!("doc{i:04}"), &format!("{{\"n\":{i}}}"));
                // Now and then a pause, so the pollers also wait at the tip (and get
                // heartbeats) instead of only catching up.
                if i % 25 == 0 {
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
        }
    };
    let r = run(p, || true, publish, 200, Duration::from_mins(1));
    assert_all_in_order(&r, pollers as usize, 200);
    assert!(
        r.stats.polls() > u64::from(pollers),
        "several polls per poller: {}",
        r.stats.polls()
    );
}

#[test]
fn couchdb_one_poller_gets_every_change_once_in_order() {
    couchdb_case(1);
}

#[test]
fn couchdb_three_pollers_get_every_change_once_in_order() {
    couchdb_case(3);
}

#[test]
fn couchdb_since_now_starts_at_the_tip() {
    let Some(pouch) = PouchDb::start("tip") else {
        return;
    };
    let a = agent();
    for i in 1..=5 {
        pouch.put(&a, "tip", &format!("old{i}"), "{}");
    }
    // The preset as it comes (`since=now`), plus a sequence pointer for the duplicate check.
    let mut p = presets::by_id("couchdb")
        .unwrap()
        .profile(&pouch.url("/tip/_changes?feed=longpoll"));
    assert_eq!(p.initial_cursor.as_deref(), Some("now"));
    p.seq_pointer = Some("/seq".to_owned());
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut stats = Stats::new(session.started(), StatsConfig::default());
    let mut ids: Vec<String> = Vec::new();
    let mut written = 0;
    let mut last_write: Option<Instant> = None;
    let mut after_written = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !ids.iter().any(|id| id == "after") {
        // There is no count of waiting pollers to ask PouchDB for: write a new document
        // every 700 ms until one arrives (the first may land before the poller waits),
        // then "after", which must arrive too (the cursor moved from `now` to a seq).
        if ids.is_empty() && last_write.is_none_or(|t| t.elapsed() > Duration::from_millis(700)) {
            written += 1;
            pouch.put(&a, "tip", &format!("new{written}"), "{}");
            last_write = Some(Instant::now());
        } else if !ids.is_empty() && !after_written {
            pouch.put(&a, "tip", "after", "{}");
            after_written = true;
        }
        let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        stats.record(&e);
        if let PollEvent::Response(r) = &e {
            ids.extend(r.events.iter().filter_map(|ev| match &ev.payload {
                Payload::Json(v) => v["id"].as_str().map(str::to_owned),
                Payload::Text(_) => None,
            }));
        }
    }
    session.stop();
    assert!(ids.len() >= 2, "{ids:?}");
    assert_eq!(ids.last().map(String::as_str), Some("after"), "{ids:?}");
    assert!(
        ids.iter().all(|id| id.starts_with("new") || id == "after"),
        "only changes after `now`: {ids:?}"
    );
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "none twice: {ids:?}");
    assert_eq!(stats.duplicate_events(), 0);
    assert_eq!(stats.errors(), 0, "{:?}", stats.last_error());
}
