//! The evaluator over synthetic time: each rule fires when its condition holds and
//! resolves when it stops holding, with the transitions and history to show for it.

use std::time::{Duration, Instant};

use super::*;
use crate::poll::{ConnectionUse, ErrorKind, Payload, PollFailure, ReceivedEvent, Resynced};

const TIMEOUT: Duration = Duration::from_secs(35);

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alerts(rules: &[&str], t0: Instant) -> Alerts {
    let rules: Vec<Rule> = rules.iter().map(|r| r.parse().unwrap()).collect();
    Alerts::new("demo", &rules, Liveness::new(t0, TIMEOUT, None))
}

fn event(seq: Option<i64>, latency_ms: Option<f64>) -> ReceivedEvent {
    ReceivedEvent {
        payload: Payload::Text("x".to_owned()),
        seq,
        latency_ms,
    }
}

fn answer(at: Instant, events: Vec<ReceivedEvent>, reused: bool, hold: Duration) -> PollEvent {
    PollEvent::Response(Box::new(PollResponse {
        events,
        connection: ConnectionUse {
            id: Some(1),
            reused,
            requests: 1,
            age: Duration::ZERO,
        },
        ..PollResponse::new(0, at.checked_sub(hold).unwrap_or(at), at)
    }))
}

fn failure(at: Instant, kind: ErrorKind) -> PollEvent {
    PollEvent::Failed(Box::new(PollFailure {
        elapsed: ms(1),
        backoff: ms(500),
        ..PollFailure::new(0, at, kind, "connection refused".to_owned())
    }))
}

fn states(changes: &[Transition]) -> Vec<(String, AlertState)> {
    changes
        .iter()
        .map(|c| (c.rule.to_string(), c.state))
        .collect()
}

fn firing(rule: &str) -> Vec<(String, AlertState)> {
    vec![(rule.to_owned(), AlertState::Firing)]
}

fn resolved(rule: &str) -> Vec<(String, AlertState)> {
    vec![(rule.to_owned(), AlertState::Resolved)]
}

#[test]
fn quiet_fires_after_the_silence_and_resolves_on_an_event() {
    let t0 = Instant::now();
    let mut a = alerts(&["quiet>30s"], t0);
    a.observe(&answer(t0 + s(1), vec![event(None, None)], false, ms(5)));
    assert!(
        a.evaluate(t0 + s(31), 1).is_empty(),
        "exactly 30 s is not over"
    );
    assert_eq!(a.next_check(t0 + s(31)), Some(t0 + s(31)));
    let changes = a.evaluate(t0 + s(32), 1);
    assert_eq!(states(&changes), firing("quiet>30s"));
    assert_eq!(changes[0].reason, "no event for 31 s");
    assert_eq!(
        changes[0].line(),
        "FIRING demo quiet>30s: no event for 31 s"
    );
    assert!(
        a.evaluate(t0 + s(40), 1).is_empty(),
        "stays firing, no repeat"
    );
    assert_eq!(a.firing(), 1);
    a.observe(&answer(t0 + s(50), vec![event(None, None)], true, ms(5)));
    let changes = a.evaluate(t0 + s(50), 1);
    assert_eq!(states(&changes), resolved("quiet>30s"));
    assert_eq!(changes[0].fired_for, Some(s(18)));
    assert_eq!(a.firing(), 0);
    assert_eq!(a.fired(), 1);
    assert_eq!(a.history().len(), 2);
    let status = &a.statuses()[0];
    assert_eq!((status.fired, status.firing_since), (1, None));
    assert_eq!(status.reading.as_deref(), Some("an event just arrived"));
}

#[test]
fn quiet_counts_from_the_start_when_nothing_arrived() {
    let t0 = Instant::now();
    let mut a = alerts(&["quiet>5s"], t0);
    assert_eq!(a.next_check(t0), Some(t0 + s(5)));
    let changes = a.evaluate(t0 + s(6), 0);
    assert_eq!(changes[0].reason, "no event since connecting 6 s ago");
}

#[test]
fn error_ratio_over_its_window() {
    let t0 = Instant::now();
    let mut a = alerts(&["errors>20%/1m"], t0);
    assert!(a.evaluate(t0, 0).is_empty(), "no polls, no judgement");
    for i in 0..8 {
        a.observe(&answer(t0 + s(i), vec![], true, s(1)));
    }
    a.observe(&failure(t0 + s(8), ErrorKind::ConnectRefused));
    a.observe(&failure(t0 + s(9), ErrorKind::ConnectRefused));
    assert!(
        a.evaluate(t0 + s(10), 0).is_empty(),
        "2 of 10 is not over 20%"
    );
    a.observe(&failure(t0 + s(10), ErrorKind::ConnectRefused));
    let changes = a.evaluate(t0 + s(10), 0);
    assert_eq!(states(&changes), firing("errors>20%/1m"));
    assert_eq!(
        changes[0].reason,
        "errors 27.3% of 11 poll(s) in the last 1m"
    );
    // A minute of good polls later the failures have left the window.
    for i in 11..80 {
        a.observe(&answer(t0 + s(i), vec![], true, s(1)));
    }
    let changes = a.evaluate(t0 + s(80), 0);
    assert_eq!(states(&changes), resolved("errors>20%/1m"));
    assert!(
        changes[0].reason.starts_with("errors 0.0% of"),
        "{}",
        changes[0].reason
    );
}

#[test]
fn latency_p99_over_its_window() {
    let t0 = Instant::now();
    let mut a = alerts(&["p99>200ms/1m"], t0);
    let events = |ms: f64| (0..10).map(|_| event(None, Some(ms))).collect::<Vec<_>>();
    a.observe(&answer(t0 + s(1), events(20.0), true, ms(5)));
    assert!(a.evaluate(t0 + s(1), 1).is_empty());
    a.observe(&answer(t0 + s(2), events(900.0), true, ms(5)));
    let changes = a.evaluate(t0 + s(2), 1);
    assert_eq!(states(&changes), firing("p99>200ms/1m"));
    assert!(
        changes[0].reason.starts_with("event latency p99 9"),
        "{}",
        changes[0].reason
    );
    // The slow events leave the window (slots of 5 s) by 65 s.
    a.observe(&answer(t0 + s(40), events(20.0), true, ms(5)));
    assert!(a.evaluate(t0 + s(60), 1).is_empty(), "still inside");
    let changes = a.evaluate(t0 + s(66), 1);
    assert_eq!(states(&changes), resolved("p99>200ms/1m"));
}

#[test]
fn lost_events_from_sequence_gaps_and_resyncs() {
    let t0 = Instant::now();
    let mut a = alerts(&["lost>0/1m"], t0);
    let seqs = |r: std::ops::Range<i64>| r.map(|n| event(Some(n), None)).collect::<Vec<_>>();
    a.observe(&answer(t0 + s(1), seqs(1..4), true, ms(5)));
    a.observe(&answer(t0 + s(2), seqs(4..6), true, ms(5)));
    assert!(a.evaluate(t0 + s(2), 1).is_empty(), "in order");
    a.observe(&answer(t0 + s(3), seqs(8..9), true, ms(5)));
    let changes = a.evaluate(t0 + s(3), 1);
    assert_eq!(states(&changes), firing("lost>0/1m"));
    assert_eq!(changes[0].reason, "2 event(s) lost in the last 1m");
    let changes = a.evaluate(t0 + s(70), 1);
    assert_eq!(states(&changes), resolved("lost>0/1m"));
    a.observe(&PollEvent::Resynced(Box::new(Resynced {
        poller: 0,
        at: t0 + s(71),
        status: 400,
        from: "3".to_owned(),
        to: "10".to_owned(),
        skipped: Some(7),
        hold: ms(1),
        connection: ConnectionUse::default(),
        wire_in: 0,
        wire_out: 0,
    })));
    // After a resync the poller starts its sequence afresh: no gap from 8 to 20.
    a.observe(&answer(t0 + s(72), seqs(20..21), true, ms(5)));
    let changes = a.evaluate(t0 + s(72), 1);
    assert_eq!(changes[0].reason, "7 event(s) lost in the last 1m");
}

#[test]
fn reuse_ratio_needs_enough_answers() {
    let t0 = Instant::now();
    let mut a = alerts(&["reuse<90%/1m"], t0);
    for i in 0..9 {
        a.observe(&answer(t0 + s(i), vec![], false, s(1)));
    }
    assert!(
        a.evaluate(t0 + s(9), 1).is_empty(),
        "9 answers: too few to judge"
    );
    a.observe(&answer(t0 + s(9), vec![], false, s(1)));
    let changes = a.evaluate(t0 + s(9), 1);
    assert_eq!(states(&changes), firing("reuse<90%/1m"));
    assert_eq!(changes[0].reason, "reuse 0.0% of 10 answers in the last 1m");
    for i in 10..200 {
        a.observe(&answer(t0 + s(i), vec![], true, s(1)));
    }
    let changes = a.evaluate(t0 + s(200), 1);
    assert_eq!(states(&changes), resolved("reuse<90%/1m"));
}

#[test]
fn hold_p50_counts_only_empty_answers() {
    let t0 = Instant::now();
    let mut a = alerts(&["hold<20s/5m"], t0);
    // Answers with events come back early by design: they do not count.
    for i in 0..20 {
        a.observe(&answer(t0 + s(i), vec![event(None, None)], true, ms(10)));
    }
    assert!(a.evaluate(t0 + s(20), 1).is_empty());
    for i in 0..3 {
        a.observe(&answer(t0 + s(30 + i * 5), vec![], true, s(5)));
    }
    let changes = a.evaluate(t0 + s(45), 1);
    assert_eq!(states(&changes), firing("hold<20s/5m"));
    assert!(
        changes[0].reason.starts_with("empty-hold p50 5.0"),
        "{}",
        changes[0].reason
    );
    for i in 0..10 {
        a.observe(&answer(t0 + s(60 + i * 30), vec![], true, s(30)));
    }
    let changes = a.evaluate(t0 + s(360), 1);
    assert_eq!(states(&changes), resolved("hold<20s/5m"));
}

#[test]
fn open_connections_follow_the_count_given() {
    let t0 = Instant::now();
    let mut a = alerts(&["conns>2"], t0);
    assert!(a.evaluate(t0, 2).is_empty());
    assert_eq!(states(&a.evaluate(t0 + s(1), 3)), firing("conns>2"));
    assert_eq!(states(&a.evaluate(t0 + s(2), 1)), resolved("conns>2"));
}

#[test]
fn stalled_fires_after_its_duration() {
    let t0 = Instant::now();
    let mut a = alerts(&["stalled>0s", "stalled>10s"], t0);
    a.observe(&answer(t0, vec![], false, s(1)));
    a.observe(&failure(t0 + s(1), ErrorKind::ConnectRefused));
    assert!(a.evaluate(t0 + s(1), 0).is_empty(), "one failure is a blip");
    a.observe(&failure(t0 + s(2), ErrorKind::ConnectRefused));
    let changes = a.evaluate(t0 + s(2), 0);
    assert_eq!(states(&changes), firing("stalled>0s"));
    assert!(
        changes[0]
            .reason
            .contains("2 polls failed in a row: connection refused"),
        "{}",
        changes[0].reason
    );
    assert_eq!(a.next_check(t0 + s(2)), Some(t0 + s(12)));
    assert_eq!(states(&a.evaluate(t0 + s(12), 0)), firing("stalled>10s"));
    a.observe(&answer(t0 + s(13), vec![], false, s(1)));
    assert_eq!(a.evaluate(t0 + s(13), 0).len(), 2, "both resolve");
}

#[test]
fn history_is_bounded_and_transitions_export_as_json() {
    let t0 = Instant::now();
    let mut a = alerts(&["conns>0"], t0);
    for i in 0..(HISTORY_CAP as u64 + 10) {
        a.evaluate(t0 + s(i), usize::from(i % 2 == 0));
    }
    assert_eq!(a.history().len(), HISTORY_CAP);
    let last = a.history().back().unwrap();
    let v = last.to_json();
    assert_eq!(v["type"], "alert");
    assert_eq!(v["profile"], "demo");
    assert_eq!(v["rule"], "conns>0");
    assert_eq!(v["state"], "resolved");
    assert!(v["at"].as_str().unwrap().ends_with('Z'), "{v}");
    assert_eq!(v["fired_for_s"], 1.0);
}

#[test]
fn no_rules_need_no_checks() {
    let t0 = Instant::now();
    let a = alerts(&[], t0);
    // Only the liveness deadline (nothing came back within the client timeout).
    assert_eq!(
        a.next_check(t0),
        Some(t0 + TIMEOUT + super::super::liveness::STALL_GRACE)
    );
}
