//! Alert rules, quiet and stalled against the real demo server over loopback: a
//! [`Monitor`]'s alert thread fires and resolves rules as the server goes silent,
//! stops answering, fails, or skips events — whether or not anyone drains the monitor.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use pollscope::alert::{AlertState, Transition};
use pollscope::demo_server::{DemoServer, DemoServerConfig, Fault, FaultPlan};
use pollscope::monitor::{Badge, Monitor};
use pollscope::poll::no_waker;
use pollscope::profile::Profile;

fn server() -> DemoServer {
    DemoServer::start(DemoServerConfig::default()).expect("demo server starts")
}

fn profile(server: &DemoServer, rules: &[&str]) -> Profile {
    let mut p = Profile::for_demo("alerting", &server.events_url());
    p.hold_s = 1;
    p.client_timeout_s = Some(2.0);
    p.alerts.rules = rules.iter().map(|r| r.parse().unwrap()).collect();
    p
}

/// A monitor whose transitions arrive on the returned channel (from its alert thread).
fn start(p: Profile) -> (Monitor, Receiver<Transition>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let hook = Box::new(move |t: &Transition, _: &pollscope::alert::Alerts| {
        let _ = tx.send(t.clone()).is_ok();
    });
    let m = Monitor::start_with(p.clone(), p, no_waker(), Some(hook));
    assert!(m.is_live(), "{:?}", m.start_error());
    (m, rx)
}

/// Publishes `rate` events per second until dropped.
struct Publisher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Publisher {
    fn start(server: &Arc<DemoServer>, rate: f64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, server) = (Arc::clone(&stop), Arc::clone(server));
        let thread = std::thread::Builder::new()
            .name("test-publisher".to_owned())
            .spawn(move || {
                let period = Duration::from_secs_f64(1.0 / rate);
                // Bounded: at most ten minutes, whatever happens to the test.
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a small, positive count"
                )]
                let most = (rate * 600.0) as u64;
                for n in 0..most {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    server.publish(serde_json::json!({ "n": n }));
                    std::thread::sleep(period);
                }
            })
            .unwrap();
        Self {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> Instant {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        Instant::now()
    }
}

fn next(rx: &Receiver<Transition>, within: Duration) -> Transition {
    rx.recv_timeout(within)
        .unwrap_or_else(|_| panic!("no transition within {within:?}"))
}

fn drain_until(m: &mut Monitor, limit: Duration, mut done: impl FnMut(&Monitor) -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        m.drain(10_000);
        if done(m) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn silence_fires_quiet_without_anyone_draining_and_an_event_resolves_it() {
    let server = Arc::new(server());
    let mut p = profile(&server, &["quiet>1s"]);
    p.alerts.quiet_after_s = Some(1.0);
    let (mut m, rx) = start(p);
    let publisher = Publisher::start(&server, 20.0);
    assert!(
        drain_until(&mut m, Duration::from_secs(10), |m| m.stats().events()
            >= 20),
        "events arrive"
    );
    assert_eq!(m.badge(Instant::now()), Badge::Receiving);
    assert!(rx.try_recv().is_err(), "nothing fires while events flow");
    let silent_from = publisher.stop();
    // The monitor is not drained from here on: its alert thread keeps time.
    let fired = next(&rx, Duration::from_secs(10));
    let last_event = m.alerts().liveness().last_event().unwrap();
    assert!(last_event <= silent_from);
    let after = fired.at.duration_since(last_event);
    assert_eq!(
        (fired.state, fired.rule.to_string()),
        (AlertState::Firing, "quiet>1s".to_owned())
    );
    eprintln!(
        "silence → quiet>1s fired (alert thread, nobody draining): {:.3} s after the last event",
        after.as_secs_f64()
    );
    assert!(
        after > Duration::from_secs(1),
        "fired {after:?} after the last event"
    );
    assert!(
        fired.reason.starts_with("no event for 1 s"),
        "{}",
        fired.reason
    );
    m.drain(10_000);
    let badge = m.badge(Instant::now());
    assert_eq!(badge.label(), "quiet", "{badge:?}");
    assert!(
        badge
            .message()
            .unwrap()
            .contains("the profile expects one within 1 s")
    );
    server.publish(serde_json::json!({ "back": true }));
    let resolved = next(&rx, Duration::from_secs(10));
    assert_eq!(resolved.state, AlertState::Resolved);
    assert!(resolved.fired_for.is_some());
    // (It may fire again a second later: the server is silent again.)
    assert!(m.alerts().history().len() >= 2);
}

#[test]
fn a_blackholed_server_stalls_the_profile() {
    let server = server();
    let (mut m, rx) = start(profile(&server, &["stalled>0s"]));
    assert!(drain_until(&mut m, Duration::from_secs(10), |m| m
        .stats()
        .polls()
        >= 1));
    server
        .set_faults(FaultPlan::always(Fault::Blackhole))
        .unwrap();
    let fired = next(&rx, Duration::from_secs(15));
    assert_eq!(fired.state, AlertState::Firing);
    assert!(
        fired
            .reason
            .contains("no answer within the client timeout (2 s)"),
        "{}",
        fired.reason
    );
    m.drain(10_000);
    let badge = m.badge(Instant::now());
    assert!(matches!(badge, Badge::Stalled(_)), "{badge:?}");
    server.set_faults(FaultPlan::always(Fault::None)).unwrap();
    let resolved = next(&rx, Duration::from_secs(15));
    assert_eq!(resolved.state, AlertState::Resolved);
}

#[test]
fn server_errors_fire_the_error_ratio_and_recovery_resolves_it() {
    let server = server();
    let (_m, rx) = start(profile(&server, &["errors>50%/2s"]));
    server
        .set_faults(FaultPlan::always(Fault::Status { code: 503 }))
        .unwrap();
    let fired = next(&rx, Duration::from_secs(15));
    assert_eq!(fired.state, AlertState::Firing);
    // "errors 66.7% of 3 poll(s) in the last 2s": answers from before the fault may
    // still be in the window.
    let percent: f64 = fired
        .reason
        .strip_prefix("errors ")
        .and_then(|r| r.split('%').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", fired.reason));
    assert!(percent > 50.0, "{}", fired.reason);
    server.set_faults(FaultPlan::always(Fault::None)).unwrap();
    let resolved = next(&rx, Duration::from_secs(20));
    assert_eq!(resolved.state, AlertState::Resolved);
}

#[test]
fn skipped_events_fire_lost_and_open_connections_are_read_from_the_transport() {
    let server = Arc::new(server());
    let mut p = profile(&server, &["lost>0/1m", "conns>0"]);
    // From the start of the stream, so the first event is not missed by a poll that
    // reaches the server after it was published.
    p.initial_cursor = Some("0".to_owned());
    let (mut m, rx) = start(p);
    let conns = next(&rx, Duration::from_secs(10));
    assert_eq!(
        (conns.rule.to_string(), conns.state),
        ("conns>0".to_owned(), AlertState::Firing),
        "{conns:?}"
    );
    assert_eq!(
        (conns.rule.to_string(), conns.state),
        ("conns>0".to_owned(), AlertState::Firing)
    );
    assert_eq!(conns.reason, "1 open connection(s)");
    server.publish(serde_json::json!(1));
    assert!(drain_until(&mut m, Duration::from_secs(10), |m| m
        .stats()
        .events()
        >= 1));
    server.skip_seq(5);
    server.publish(serde_json::json!(2));
    let lost = next(&rx, Duration::from_secs(10));
    assert_eq!(lost.rule.to_string(), "lost>0/1m");
    assert_eq!(lost.reason, "5 event(s) lost in the last 1m");
}

/// With no threshold set, quiet is learned from the event rate: at 20 events/s the
/// badge turns quiet at the 10 s floor after the last event, not before (how long it
/// took is printed for the closing note).
#[test]
fn the_badge_turns_quiet_at_the_learned_threshold_after_silence() {
    let server = Arc::new(server());
    let (mut m, _rx) = start(profile(&server, &[]));
    let publisher = Publisher::start(&server, 20.0);
    assert!(
        drain_until(&mut m, Duration::from_secs(20), |m| m.stats().events()
            >= 60),
        "events arrive"
    );
    let silent_from = publisher.stop();
    assert!(
        drain_until(&mut m, Duration::from_secs(30), |m| m
            .badge(Instant::now())
            .label()
            == "quiet"),
        "the badge turns quiet"
    );
    let seen = Instant::now();
    let last = m.alerts().liveness().last_event().unwrap();
    let badge = m.badge(seen);
    eprintln!(
        "silence → quiet badge: {:.2} s after the last event ({})",
        seen.duration_since(last).as_secs_f64(),
        badge.message().unwrap_or_default()
    );
    assert!(last <= silent_from);
    assert!(seen.duration_since(last) >= Duration::from_secs(10));
}
