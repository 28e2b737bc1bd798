//! The exposition from hand-built events: every family, per-profile labels, escaping.
#![expect(
    clippy::float_cmp,
    reason = "the samples compared are exact: counts and bucket bounds as printed"
)]

use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::alert::{Liveness, Rule};
use crate::poll::event::{LostPoll, SessionEvent};
use crate::poll::{ConnectionUse, Payload, PollFailure, ReceivedEvent, Resynced};
use crate::transport::NewConnection;

fn answer(poller: usize, seqs: &[i64], reused: bool, hold_ms: u64) -> PollEvent {
    let now = Instant::now();
    PollEvent::Response(Box::new(PollResponse {
        events: seqs
            .iter()
            .map(|s| ReceivedEvent {
                payload: Payload::Text("x".to_owned()),
                seq: Some(*s),
                latency_ms: Some(150.0),
            })
            .collect(),
        hold: Duration::from_millis(hold_ms),
        received_wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        connection: ConnectionUse {
            id: Some(1),
            reused,
            requests: 2,
            age: Duration::ZERO,
        },
        wire_in: 100,
        wire_out: 40,
        ..PollResponse::new(poller, now, now)
    }))
}

fn failure(kind: ErrorKind) -> PollEvent {
    PollEvent::Failed(Box::new(PollFailure {
        wire_out: 7,
        ..PollFailure::new(0, Instant::now(), kind, "nope".to_owned())
    }))
}

/// The value of the sample `line_start` (the text before the value), if present.
fn value(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

#[test]
fn counters_histograms_and_gauges_per_profile() {
    let metrics = Metrics::new();
    let mut a = metrics.profile("alpha", Arc::default());
    let mut b = metrics.profile("beta", Arc::default());
    a.observe(&PollEvent::Connected {
        poller: 0,
        at: Instant::now(),
        conn: NewConnection {
            id: 1,
            opened: Instant::now(),
            tcp_connect: Duration::from_millis(1),
            tls_handshake: Some(Duration::from_millis(2)),
            via_proxy: false,
            proxy_tunnel: None,
        },
    });
    a.observe(&answer(0, &[1, 2], false, 20));
    a.observe(&answer(0, &[5], true, 20));
    a.observe(&answer(0, &[5], true, 20));
    a.observe(&answer(0, &[], true, 30_000));
    a.observe(&failure(ErrorKind::Timeout));
    a.observe(&failure(ErrorKind::Timeout));
    a.observe(&failure(ErrorKind::HttpStatus));
    b.observe(&answer(0, &[9], false, 10));
    a.set_running(2);

    let text = metrics.encode();
    let v = |line: &str| value(&text, line).unwrap_or_else(|| panic!("{line} in\n{text}"));
    assert_eq!(v(r#"pollscope_polls_total{profile="alpha"}"#), 7.0);
    assert_eq!(v(r#"pollscope_answers_total{profile="alpha"}"#), 4.0);
    assert_eq!(v(r#"pollscope_events_total{profile="alpha"}"#), 4.0);
    assert_eq!(v(r#"pollscope_empty_polls_total{profile="alpha"}"#), 1.0);
    assert_eq!(v(r#"pollscope_events_total{profile="beta"}"#), 1.0);
    assert_eq!(
        v(r#"pollscope_errors_total{profile="alpha",kind="timeout"}"#),
        2.0
    );
    assert_eq!(
        v(r#"pollscope_errors_total{profile="alpha",kind="http_status"}"#),
        1.0
    );
    assert_eq!(
        v(r#"pollscope_new_connections_total{profile="alpha"}"#),
        1.0
    );
    assert_eq!(v(r#"pollscope_tls_handshakes_total{profile="alpha"}"#), 1.0);
    assert_eq!(v(r#"pollscope_reused_polls_total{profile="alpha"}"#), 3.0);
    assert_eq!(
        v(r#"pollscope_lost_events_total{profile="alpha"}"#),
        2.0,
        "3 and 4"
    );
    assert_eq!(
        v(r#"pollscope_duplicate_events_total{profile="alpha"}"#),
        1.0
    );
    assert_eq!(
        v(r#"pollscope_wire_in_bytes_total{profile="alpha"}"#),
        400.0
    );
    assert_eq!(
        v(r#"pollscope_wire_out_bytes_total{profile="alpha"}"#),
        181.0
    );
    assert_eq!(v(r#"pollscope_up{profile="alpha"}"#), 1.0);
    assert_eq!(v(r#"pollscope_pollers{profile="alpha"}"#), 2.0);
    assert_eq!(
        v(r#"pollscope_last_event_timestamp_seconds{profile="alpha"}"#),
        1_700_000_000.0
    );
    // Histograms: three answers with events held 20 ms, one empty held 30 s.
    assert_eq!(
        v(r#"pollscope_hold_seconds_count{profile="alpha",answer="events"}"#),
        3.0
    );
    assert_eq!(
        v(r#"pollscope_hold_seconds_bucket{le="0.025",profile="alpha",answer="events"}"#),
        3.0
    );
    assert_eq!(
        v(r#"pollscope_hold_seconds_bucket{le="20.0",profile="alpha",answer="empty"}"#),
        0.0
    );
    assert_eq!(
        v(r#"pollscope_hold_seconds_bucket{le="30.0",profile="alpha",answer="empty"}"#),
        1.0
    );
    assert_eq!(
        v(r#"pollscope_event_latency_seconds_count{profile="alpha"}"#),
        4.0
    );
    assert_eq!(
        v(r#"pollscope_event_latency_seconds_bucket{le="0.1",profile="alpha"}"#),
        0.0
    );
    assert_eq!(
        v(r#"pollscope_event_latency_seconds_bucket{le="0.2",profile="alpha"}"#),
        4.0
    );
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with EOF");
}

#[test]
fn resyncs_and_session_restarts_count() {
    let metrics = Metrics::new();
    let mut p = metrics.profile("p", Arc::default());
    p.observe(&answer(0, &[10], false, 5));
    p.observe(&PollEvent::Resynced(Box::new(Resynced {
        poller: 0,
        at: Instant::now(),
        status: 400,
        from: "10".to_owned(),
        to: "50".to_owned(),
        skipped: Some(39),
        hold: Duration::ZERO,
        connection: ConnectionUse::default(),
        wire_in: 1,
        wire_out: 1,
    })));
    // Sequence tracking starts afresh after a resync: 100 after 10 is no gap.
    p.observe(&answer(0, &[100], true, 5));
    p.observe(&PollEvent::Session(Box::new(SessionEvent {
        poller: 0,
        at: Instant::now(),
        change: SessionChange::Lost {
            reason: "Session ID unknown".to_owned(),
            events_in_session: 3,
            poll: Some(LostPoll {
                status: 400,
                hold: Duration::ZERO,
                connection: ConnectionUse::default(),
                wire_in: 1,
                wire_out: 1,
            }),
        },
    })));
    p.observe(&answer(0, &[1], true, 5));
    let text = metrics.encode();
    let v = |line: &str| value(&text, line).unwrap_or_else(|| panic!("{line} in\n{text}"));
    assert_eq!(v(r#"pollscope_lost_events_total{profile="p"}"#), 39.0);
    assert_eq!(v(r#"pollscope_resyncs_total{profile="p"}"#), 1.0);
    assert_eq!(v(r#"pollscope_session_restarts_total{profile="p"}"#), 1.0);
    assert_eq!(v(r#"pollscope_duplicate_events_total{profile="p"}"#), 0.0);
    assert_eq!(v(r#"pollscope_polls_total{profile="p"}"#), 5.0);
}

#[test]
fn alert_states_and_liveness_are_gauges() {
    let metrics = Metrics::new();
    let mut p = metrics.profile("p", Arc::default());
    let t0 = Instant::now();
    let rules: Vec<Rule> = vec!["quiet>1s".parse().unwrap(), "conns>5".parse().unwrap()];
    let mut alerts = Alerts::new(
        "p",
        &rules,
        Liveness::new(t0, Duration::from_secs(30), Some(Duration::from_secs(1))),
    );
    for t in alerts.evaluate(t0 + Duration::from_secs(2), 0) {
        p.transition(&t);
    }
    p.alerts(&alerts, t0 + Duration::from_secs(2));
    let text = metrics.encode();
    let v = |line: &str| value(&text, line).unwrap_or_else(|| panic!("{line} in\n{text}"));
    assert_eq!(
        v(r#"pollscope_alert_firing{profile="p",rule="quiet>1s"}"#),
        1.0
    );
    assert_eq!(
        v(r#"pollscope_alerts_fired_total{profile="p",rule="quiet>1s"}"#),
        1.0
    );
    assert_eq!(
        v(r#"pollscope_alert_firing{profile="p",rule="conns>5"}"#),
        0.0
    );
    assert_eq!(v(r#"pollscope_quiet{profile="p"}"#), 1.0);
    assert_eq!(v(r#"pollscope_stalled{profile="p"}"#), 0.0);
}

#[test]
fn profile_names_are_escaped_in_labels() {
    let metrics = Metrics::new();
    let mut p = metrics.profile("a \"quoted\" \\ name\nwith a newline", Arc::default());
    p.observe(&answer(0, &[1], false, 5));
    let text = metrics.encode();
    assert!(
        text.contains(
            r#"pollscope_events_total{profile="a \"quoted\" \\ name\nwith a newline"} 1"#
        ),
        "{text}"
    );
    // Every sample is still one line.
    assert!(
        text.lines()
            .all(|l| l.starts_with('#') || l.starts_with("pollscope_"))
    );
}
