//! The `signalr` preset against a SignalR long-polling server written from the published
//! protocol documents (`tests/support/signalr.rs`: ASP.NET Core's TransportProtocols.md
//! and HubProtocol.md) — not ASP.NET Core itself, which does not run here (see
//! docs/protocols.md).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/scripted.rs"]
#[allow(
    dead_code,
    reason = "shared test support: each test binary uses part of it"
)]
mod scripted;
#[path = "support/signalr.rs"]
mod signalr;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pollscope::poll::{PollEvent, Session, SessionChange, no_waker};
use pollscope::presets;
use pollscope::profile::Profile;
use pollscope::stats::{Stats, StatsConfig};

use signalr::{SignalR, Timings};

/// Polls held 2 s, pings every 0.5 s, connections closed after 1.5 s without a word
/// from the client: a poller that did not answer pings would lose its connection.
fn server() -> SignalR {
    SignalR::start(Timings {
        poll_timeout: Duration::from_secs(2),
        keep_alive: Duration::from_millis(500),
        client_timeout: Duration::from_millis(1500),
    })
}

fn profile(server: &SignalR, pollers: u32) -> Profile {
    let mut p = presets::by_id("signalr")
        .unwrap()
        .profile(&server.url("/hub"));
    p.seq_pointer = Some("/arguments/0/seq".to_owned());
    p.hold_s = 2;
    p.pollers = pollers;
    p
}

struct Seen {
    stats: Stats,
    seqs: Vec<Vec<i64>>,
    failures: Vec<String>,
    sessions: Vec<u32>,
    lost: Vec<String>,
}

impl Seen {
    fn new(session: &Session, pollers: usize) -> Self {
        Self {
            stats: Stats::new(session.started(), StatsConfig::default()),
            seqs: vec![Vec::new(); pollers],
            failures: Vec::new(),
            sessions: vec![0; pollers],
            lost: Vec::new(),
        }
    }

    fn pump(&mut self, session: &Session, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && !done(self) {
            let Ok(e) = session.events().recv_timeout(Duration::from_millis(20)) else {
                continue;
            };
            self.stats.record(&e);
            match e {
                PollEvent::Response(r) => {
                    self.seqs[r.poller].extend(r.events.iter().filter_map(|e| e.seq));
                }
                PollEvent::Failed(f) => self.failures.push(f.message.clone()),
                PollEvent::Session(s) => match s.change {
                    SessionChange::Established { number, .. } => self.sessions[s.poller] = number,
                    SessionChange::Lost { reason, .. } => {
                        self.sessions[s.poller] = 0;
                        self.lost.push(reason);
                    }
                    SessionChange::Bootstrapping => {}
                },
                _ => {}
            }
        }
    }
}

fn every_message_case(pollers: u32) {
    let server = Arc::new(server());
    let mut session = Session::start(profile(&server, pollers), no_waker()).unwrap();
    let mut seen = Seen::new(&session, pollers as usize);
    seen.pump(&session, Duration::from_secs(10), |_| {
        server.clients() >= pollers as usize
    });
    assert_eq!(server.clients(), pollers as usize, "{:?}", seen.failures);
    let publisher = {
        let server = Arc::clone(&server);
        std::thread::Builder::new()
            .name("publisher".into())
            .spawn(move || {
                for i in 1..=200 {
                    server.publish(&format!(r#"{{"seq":{i}}}"#));
                    if i % 40 == 0 {
                        std::thread::sleep(Duration::from_millis(800));
                    }
                }
            })
            .unwrap()
    };
    seen.pump(&session, Duration::from_mins(1), |s| {
        s.seqs.iter().all(|q| q.len() >= 200)
    });
    publisher.join().unwrap();
    session.stop();
    let received: usize = seen.seqs.iter().map(Vec::len).sum();
    println!(
        "signalr (test server from the spec), {pollers} poller(s): published 200, received {received}, lost {}, duplicated {}, TCP connections {}, polls {}, control {:?}, replies {}, restarts {}",
        seen.stats.lost_events(),
        seen.stats.duplicate_events(),
        session.metrics().tcp_connects(),
        seen.stats.polls(),
        seen.stats.control_by_kind(),
        seen.stats.replies_sent(),
        seen.stats.session_restarts(),
    );
    assert!(seen.failures.is_empty(), "{:?}", seen.failures);
    for (p, got) in seen.seqs.iter().enumerate() {
        assert_eq!(got, &(1..=200).collect::<Vec<i64>>(), "poller {p}");
    }
    assert_eq!(seen.stats.lost_events(), 0);
    assert_eq!(seen.stats.duplicate_events(), 0);
    assert_eq!(seen.stats.session_restarts(), 0, "{:?}", seen.lost);
    assert_eq!(session.metrics().tcp_connects(), u64::from(pollers));
    assert!(seen.stats.replies_sent() > 0, "pings answered");
    assert!(seen.stats.control_by_kind().contains_key("handshake"));
}

#[test]
fn signalr_one_poller_gets_every_message_once_in_order() {
    every_message_case(1);
}

#[test]
fn signalr_three_pollers_get_every_message_once_in_order() {
    every_message_case(3);
}

/// The server forgets every connection (a restart: the held poll ends with 204, then
/// 404): the poller negotiates again by itself, counts the restart, and gets what is
/// published after it.
#[test]
fn signalr_connection_lost_negotiates_again() {
    let server = server();
    let mut session = Session::start(profile(&server, 1), no_waker()).unwrap();
    let mut seen = Seen::new(&session, 1);
    let mut next = 1;
    for round in 1..=3 {
        seen.pump(&session, Duration::from_secs(15), |s| {
            s.sessions[0] == round && server.clients() == 1
        });
        assert_eq!(
            seen.sessions[0], round,
            "{:?} {:?}",
            seen.failures, seen.lost
        );
        for _ in 0..50 {
            server.publish(&format!(r#"{{"seq":{next}}}"#));
            next += 1;
        }
        let want = usize::try_from(next - 1).unwrap();
        seen.pump(&session, Duration::from_secs(15), |s| {
            s.seqs[0].len() >= want
        });
        assert_eq!(seen.seqs[0], (1..next).collect::<Vec<i64>>());
        server.kill();
    }
    session.stop();
    assert!(seen.stats.session_restarts() >= 2, "{:?}", seen.lost);
    assert!(
        seen.lost
            .iter()
            .all(|r| r.contains("HTTP 204") || r.contains("HTTP 404")),
        "{:?}",
        seen.lost
    );
    assert_eq!(seen.stats.lost_events(), 0);
    assert_eq!(seen.stats.restarts()[0].events_before, 50);
}

/// Without the ping replies the server closes the connection after its client timeout
/// with a close record: seen, counted, and survived.
#[test]
fn signalr_without_pings_is_closed_by_the_server_and_starts_again() {
    let server = server();
    let mut p = profile(&server, 1);
    p.session.replies.clear();
    let mut session = Session::start(p, no_waker()).unwrap();
    let mut seen = Seen::new(&session, 1);
    seen.pump(&session, Duration::from_secs(15), |s| {
        s.stats.session_restarts() >= 2
    });
    session.stop();
    assert!(seen.stats.session_restarts() >= 2);
    assert!(seen.lost[0].contains("/type = 7"), "{:?}", seen.lost);
    assert!(
        seen.lost[0].contains("Server timeout elapsed"),
        "{:?}",
        seen.lost
    );
}
