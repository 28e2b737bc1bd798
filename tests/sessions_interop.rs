//! Session protocols and GRIP against real servers on loopback: Pushpin (Debian) in front
//! of a GRIP origin, Socket.IO 4, SockJS and Faye (Bayeux) from npm, started by
//! `tests/support/session_servers.rs`. Each session preset gets ≥ 200 numbered
//! messages with 1 and with 3 pollers (every one once, in order, one connection per
//! poller), then the server ends the sessions (a restart, and its own kill) and the
//! pollers must bootstrap again by themselves, count the restart and get what is
//! published after it.
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
use pollscope::poll::{PollEvent, Session, SessionChange, no_waker};
use pollscope::presets;
use pollscope::profile::{HoldParam, Profile};
use pollscope::stats::{Stats, StatsConfig};

use servers::agent;
use session_servers::{NodeServer, Pushpin};

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
    let mut w = Watch::start(profile);
    let deadline = Instant::now() + limit;
    w.pump_until(deadline, |_| ready());
    assert!(
        Instant::now() < deadline,
        "pollers never all waited: {:?}",
        w.failures
    );
    let publisher = std::thread::Builder::new()
        .name("publisher".into())
        .spawn(publish)
        .unwrap();
    w.pump_until(deadline, |w| w.seqs.iter().all(|s| s.len() >= want));
    publisher.join().unwrap();
    w.finish()
}

/// A running session and what it reported so far.
struct Watch {
    session: Session,
    stats: Stats,
    seqs: Vec<Vec<i64>>,
    failures: Vec<String>,
    /// Per poller: the number of the session it is in (0 before the first).
    in_session: Vec<u32>,
    lost_reasons: Vec<String>,
}

impl Watch {
    fn start(profile: Profile) -> Self {
        let pollers = profile.pollers as usize;
        let session = Session::start(profile, no_waker()).unwrap();
        let stats = Stats::new(session.started(), StatsConfig::default());
        Self {
            session,
            stats,
            seqs: vec![Vec::new(); pollers],
            failures: Vec::new(),
            in_session: vec![0; pollers],
            lost_reasons: Vec::new(),
        }
    }

    fn record(&mut self, e: PollEvent) {
        self.stats.record(&e);
        match e {
            PollEvent::Response(r) => {
                self.seqs[r.poller].extend(r.events.iter().filter_map(|e| e.seq));
            }
            PollEvent::Failed(f) => self.failures.push(f.message.clone()),
            PollEvent::Session(s) => match s.change {
                SessionChange::Established { number, .. } => self.in_session[s.poller] = number,
                SessionChange::Lost { reason, .. } => {
                    self.in_session[s.poller] = 0;
                    self.lost_reasons.push(reason);
                }
                SessionChange::Bootstrapping => {}
            },
            _ => {}
        }
    }

    /// Take events until `done` or `deadline`.
    fn pump_until(&mut self, deadline: Instant, done: impl Fn(&Self) -> bool) {
        while Instant::now() < deadline && !done(self) {
            if let Ok(e) = self
                .session
                .events()
                .recv_timeout(Duration::from_millis(20))
            {
                self.record(e);
            }
        }
    }

    fn finish(mut self) -> Run {
        self.session.stop();
        let rest: Vec<PollEvent> = self.session.events().try_iter().collect();
        for e in rest {
            self.record(e);
        }
        Run {
            tcp_connects: self.session.metrics().tcp_connects(),
            stats: self.stats,
            seqs: self.seqs,
            failures: self.failures,
        }
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

/// Print what the closing note's table needs.
fn report(what: &str, pollers: u32, published: i64, r: &Run) {
    let received: usize = r.seqs.iter().map(Vec::len).sum();
    println!(
        "{what}, {pollers} poller(s): published {published}, received {received} ({} per poller), \
         lost {}, duplicated {}, TCP connections {}, polls {}, control messages {}, replies {}, \
         session restarts {}, not holding {}",
        received / pollers.max(1) as usize,
        r.stats.lost_events(),
        r.stats.duplicate_events(),
        r.tcp_connects,
        r.stats.polls(),
        r.stats.control_messages(),
        r.stats.replies_sent(),
        r.stats.session_restarts(),
        r.stats.not_holding_answers(),
    );
}

/// 200 numbered messages from `publish_one(agent, seq)` to `pollers` pollers of
/// `profile`, once `clients()` counts them all.
fn session_case(
    what: &str,
    server: &Arc<NodeServer>,
    mut profile: Profile,
    pollers: u32,
    clients: &'static str,
    publish_path: &'static str,
) -> Run {
    profile.pollers = pollers;
    let a = agent();
    let ready = {
        let server = Arc::clone(server);
        move || server.count(&a, clients) >= u64::from(pollers)
    };
    let publish = {
        let server = Arc::clone(server);
        move || {
            let a = agent();
            for i in 1..=200 {
                server.post(&a, publish_path, &format!("{{\"seq\":{i}}}"));
                // Now and then a pause, so the pollers also wait in held polls (and
                // see pings and heartbeats) instead of only catching up.
                if i % 40 == 0 {
                    std::thread::sleep(Duration::from_millis(700));
                }
            }
        }
    };
    let r = run(profile, ready, publish, 200, Duration::from_secs(90));
    report(what, pollers, 200, &r);
    if !r.failures.is_empty() {
        eprintln!("{}", server.log());
    }
    assert_all_in_order(&r, pollers as usize, 200);
    assert_eq!(r.stats.session_restarts(), 0);
    r
}

/// The server ends every session twice — its process restarted, then its own kill
/// endpoint — while one poller watches: each time the poller bootstraps again by
/// itself, the restart is counted, and what is published after it arrives, in order.
fn restart_case(
    what: &str,
    mut server: NodeServer,
    profile: Profile,
    clients: &str,
    publish_path: &str,
) -> Watch {
    let a = agent();
    let mut w = Watch::start(profile);
    let limit = |s: u64| Instant::now() + Duration::from_secs(s);
    let mut next = 1;
    let mut publish_batch = |server: &NodeServer, w: &mut Watch, session: u32| {
        w.pump_until(limit(30), |w| w.in_session[0] == session);
        assert_eq!(
            w.in_session[0],
            session,
            "session {session} never established: {:?}\n{}",
            w.failures,
            server.log()
        );
        let deadline = limit(30);
        while server.count(&a, clients) < 1 && Instant::now() < deadline {
            w.pump_until(Instant::now() + Duration::from_millis(50), |_| false);
        }
        for _ in 0..50 {
            server.post(&a, publish_path, &format!("{{\"seq\":{next}}}"));
            next += 1;
        }
        let want = usize::try_from(next - 1).unwrap();
        w.pump_until(limit(30), |w| w.seqs[0].len() >= want);
        assert_eq!(
            w.seqs[0],
            (1..next).collect::<Vec<i64>>(),
            "{what}: after session {session}\n{}",
            server.log()
        );
    };
    publish_batch(&server, &mut w, 1);
    server.restart();
    publish_batch(&server, &mut w, 2);
    server.post(&a, "/kill", "");
    publish_batch(&server, &mut w, 3);
    assert_eq!(w.stats.session_restarts(), 2, "{:?}", w.lost_reasons);
    assert_eq!(w.stats.lost_events(), 0);
    assert_eq!(w.stats.duplicate_events(), 0);
    let restarts = w.stats.restarts();
    assert_eq!(restarts.len(), 2);
    assert_eq!(restarts[0].events_before, 50);
    assert_eq!(
        restarts[1].events_before, 50,
        "events after the first restart, before the second"
    );
    assert_eq!(restarts[1].events_after, 50);
    println!(
        "{what} restarts: {:?}; failures while the server was away: {}",
        w.lost_reasons,
        w.failures.len()
    );
    w
}

// ---- Socket.IO -------------------------------------------------------------------

/// Pings every second, a session closed after two seconds without a pong: a test
/// crosses many ping rounds, and a poller that did not answer pings would lose its
/// session several times over.
fn socketio() -> Option<NodeServer> {
    session_servers::socketio(1000, 1000)
}

fn socketio_profile(server: &NodeServer) -> Profile {
    let mut p = presets::by_id("socketio")
        .unwrap()
        .profile(&server.url("/socket.io/"));
    p.seq_pointer = Some("/args/0/seq".to_owned());
    p
}

#[test]
fn socketio_one_and_three_pollers_get_every_message_once_in_order() {
    let Some(server) = socketio() else { return };
    let server = Arc::new(server);
    for pollers in [1, 3] {
        let r = session_case(
            "socketio",
            &server,
            socketio_profile(&server),
            pollers,
            "/clients",
            "/publish",
        );
        assert!(r.stats.replies_sent() > 0, "pings were answered with pongs");
        assert!(
            r.stats.control_by_kind().get("ping").copied().unwrap_or(0) >= r.stats.replies_sent()
        );
    }
}

#[test]
fn socketio_session_restarts_are_survived_and_counted() {
    let Some(server) = socketio() else { return };
    let p = socketio_profile(&server);
    let w = restart_case("socketio", server, p, "/clients", "/publish");
    assert!(
        w.lost_reasons[0].contains("Session ID unknown"),
        "{:?}",
        w.lost_reasons
    );
}

/// Without the pong reply a Socket.IO session dies after pingInterval + pingTimeout —
/// the quirk the reply exists for, seen and survived as restarts.
#[test]
fn socketio_without_pongs_loses_its_session_and_starts_again() {
    let Some(server) = socketio() else { return };
    let mut p = socketio_profile(&server);
    p.session.replies.clear();
    let mut w = Watch::start(p);
    w.pump_until(Instant::now() + Duration::from_secs(15), |w| {
        w.stats.session_restarts() >= 2
    });
    let r = w.finish();
    assert!(
        r.stats.session_restarts() >= 2,
        "restarts {}",
        r.stats.session_restarts()
    );
    assert_eq!(r.stats.replies_sent(), 0);
}

// ---- SockJS ----------------------------------------------------------------------

/// Heartbeats every 2 s; a session without a poll for 2 s is closed.
fn sockjs() -> Option<NodeServer> {
    session_servers::sockjs(2000, 2000)
}

fn sockjs_profile(server: &NodeServer) -> Profile {
    let mut p = presets::by_id("sockjs")
        .unwrap()
        .profile(&server.url("/sockjs"));
    p.seq_pointer = Some("/data/seq".to_owned());
    p
}

#[test]
fn sockjs_one_and_three_pollers_get_every_message_once_in_order() {
    let Some(server) = sockjs() else { return };
    let server = Arc::new(server);
    for pollers in [1, 3] {
        session_case(
            "sockjs",
            &server,
            sockjs_profile(&server),
            pollers,
            "/clients",
            "/publish",
        );
    }
}

#[test]
fn sockjs_session_restarts_are_survived_and_counted() {
    let Some(server) = sockjs() else { return };
    let p = sockjs_profile(&server);
    let w = restart_case("sockjs", server, p, "/clients", "/publish");
    assert!(
        w.lost_reasons.iter().any(|r| r.contains("close")),
        "{:?}",
        w.lost_reasons
    );
}

// ---- Bayeux (Faye) ---------------------------------------------------------------

/// Connects held up to 5 s.
fn faye() -> Option<NodeServer> {
    session_servers::faye(5)
}

fn bayeux_profile(server: &NodeServer) -> Profile {
    let mut p = presets::by_id("bayeux")
        .unwrap()
        .profile(&server.url("/faye"));
    "/numbers".clone_into(&mut p.variables[0].value);
    p.seq_pointer = Some("/data/seq".to_owned());
    p.hold_s = 5;
    p
}

#[test]
fn bayeux_one_and_three_pollers_get_every_message_once_in_order() {
    let Some(server) = faye() else { return };
    let server = Arc::new(server);
    for pollers in [1, 3] {
        let r = session_case(
            "bayeux",
            &server,
            bayeux_profile(&server),
            pollers,
            "/clients?channel=/numbers",
            "/publish?channel=/numbers",
        );
        assert!(r.stats.control_by_kind().contains_key("/meta/connect"));
    }
}

#[test]
fn bayeux_session_restarts_are_survived_and_counted() {
    let Some(server) = faye() else { return };
    let p = bayeux_profile(&server);
    let w = restart_case(
        "bayeux",
        server,
        p,
        "/clients?channel=/numbers",
        "/publish?channel=/numbers",
    );
    assert!(
        w.lost_reasons[0].contains("handshake"),
        "{:?}",
        w.lost_reasons
    );
}

// ---- Pushpin ---------------------------------------------------------------------

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
    let r = run(p, ready, publish, 200, Duration::from_mins(1));
    if !r.failures.is_empty() {
        eprintln!("{}", pushpin.log());
    }
    report("pushpin", pollers, 200, &r);
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

/// "Test once" against the real Socket.IO server: open, connect, one poll (the connect
/// acknowledgement), every request and answer shown with the sid masked.
#[test]
fn socketio_test_once_shows_the_handshake() {
    let Some(server) = socketio() else { return };
    let probe =
        pollscope::poll::probe::test_once(socketio_profile(&server), Duration::from_secs(5));
    assert!(probe.ok, "{}", probe.outcome);
    let labels: Vec<&str> = probe.exchanges.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        labels[..3],
        ["step 1 (open)", "step 2 (connect)", "poll"],
        "{labels:?}"
    );
    assert!(
        probe.exchanges[0]
            .response_body
            .starts_with("0{\"sid\":\"•••\""),
        "{:?}",
        probe.exchanges[0]
    );
    assert!(
        probe.exchanges[2].request_line.contains("sid=•••"),
        "{}",
        probe.exchanges[2].request_line
    );
    assert!(
        probe.control.contains(&"connect".to_owned()),
        "{:?}",
        probe.control
    );
}
