use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::poll::{ConnectionUse, ErrorKind, PollFailure, PollResponse, ReceivedEvent};

fn conn() -> ConnectionUse {
    ConnectionUse {
        id: Some(1),
        reused: true,
        requests: 2,
        age: Duration::from_secs(1),
    }
}

fn response(poller: usize, payloads: Vec<Payload>, at: Instant) -> PollEvent {
    PollEvent::Response(Box::new(PollResponse {
        hold: Duration::from_millis(120),
        connection: conn(),
        body_bytes: 10,
        wire_in: 100,
        wire_out: 50,
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("set-cookie".to_owned(), "sid=supersecret".to_owned()),
            ("x-echo".to_owned(), "Bearer tok-12345".to_owned()),
        ],
        events: payloads
            .into_iter()
            .map(|payload| ReceivedEvent {
                payload,
                seq: None,
                latency_ms: Some(1.5),
            })
            .collect(),
        cursor: "7".to_owned(),
        ..PollResponse::new(poller, at, at)
    }))
}

fn failure(poller: usize, attempt: u32, at: Instant) -> PollEvent {
    PollEvent::Failed(Box::new(PollFailure {
        backoff: Duration::from_secs(2),
        attempt,
        ..PollFailure::new(
            poller,
            at,
            ErrorKind::ConnectRefused,
            "connection refused".to_owned(),
        )
    }))
}

fn profile() -> Profile {
    let mut p = Profile::for_demo("T", "http://127.0.0.1:1/events");
    p.headers.push(crate::profile::HeaderSpec::new(
        "Authorization",
        "Bearer tok-12345",
    ));
    p
}

#[test]
fn events_fill_the_feed_newest_first_with_masked_headers() {
    let mut m = Monitor::detached(profile());
    m.secrets = profile().secrets();
    let now = Instant::now();
    m.ingest(&response(
        1,
        vec![
            Payload::Json(json!({"n": 1})),
            Payload::Text("two".to_owned()),
        ],
        now,
    ));
    let items: Vec<&FeedItem> = m.feed().newest_first().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].text, "two");
    assert!(!items[0].is_json);
    assert_eq!(items[1].text, r#"{"n":1}"#);
    assert_eq!(items[1].poller, 1);
    let info = items[1].response.as_ref().expect("response info");
    assert_eq!(info.events, 2);
    let header = |name: &str| {
        info.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("set-cookie").as_deref(), Some("•••"));
    let echoed = header("x-echo").unwrap_or_default();
    assert!(!echoed.contains("tok-12345"), "{echoed}");
    assert_eq!(m.stats().events(), 2);
}

#[test]
fn empty_answers_add_no_rows_but_count() {
    let mut m = Monitor::detached(profile());
    m.ingest(&response(0, vec![], Instant::now()));
    assert!(m.feed().is_empty());
    assert_eq!(m.stats().empty_polls(), 1);
}

#[test]
fn failures_show_in_the_feed_and_drive_the_badge() {
    let mut m = Monitor::detached(profile());
    let now = Instant::now();
    assert_eq!(m.badge(now), Badge::Idle, "no session");
    m.ingest(&PollEvent::PollStarted { poller: 0, at: now });
    assert_eq!(m.badge_ignoring_session(now), Badge::Holding);
    m.ingest(&failure(0, 1, now));
    let first = m
        .feed()
        .newest_first()
        .next()
        .map(|i| (i.kind, i.text.clone()));
    assert!(
        first.as_ref().is_some_and(|(k, t)| *k == FeedKind::Failure
            && t.contains("connection refused")
            && t.contains("connect_refused")),
        "{first:?}"
    );
    assert_eq!(
        m.badge_ignoring_session(now),
        Badge::BackingOff("connection refused [connect_refused]".to_owned())
    );
    m.ingest(&failure(0, 2, now));
    let badge = m.badge_ignoring_session(now);
    assert!(
        matches!(&badge, Badge::Stalled(c) if c.since == now
            && c.why == "2 polls failed in a row: connection refused [connect_refused]"),
        "the only poller keeps failing: {badge:?}"
    );
    assert_eq!(badge.since(), Some(now));
    m.ingest(&response(0, vec![Payload::Json(json!(1))], now));
    assert_eq!(m.badge_ignoring_session(now), Badge::Receiving);
    assert_eq!(
        m.badge_ignoring_session(now + RECEIVING_FOR + Duration::from_millis(1)),
        Badge::Holding
    );
}

#[test]
fn feed_stays_bounded_and_counts_what_it_dropped() {
    let mut m = Monitor::detached(profile());
    let now = Instant::now();
    let batch: Vec<Payload> = (0..1000)
        .map(|i| Payload::Json(json!({ "i": i })))
        .collect();
    for _ in 0..12 {
        m.ingest(&response(0, batch.clone(), now));
    }
    assert_eq!(m.feed().len(), feed::DEFAULT_CAP);
    assert_eq!(m.feed().dropped(), 12_000 - feed::DEFAULT_CAP as u64);
    assert_eq!(m.stats().events(), 12_000, "stats count everything");
}

#[test]
fn start_failure_is_an_error_badge() {
    let mut bad = profile();
    bad.url = "not a url".to_owned();
    let m = Monitor::start(bad.clone(), bad, crate::poll::no_waker());
    assert!(!m.is_live());
    let badge = m.badge(Instant::now());
    assert!(
        matches!(&badge, Badge::Error(msg) if msg.contains("URL")),
        "{badge:?}"
    );
    assert!(m.start_error().is_some());
}

#[test]
fn a_cursor_problem_is_shown_once() {
    let mut m = Monitor::detached(profile());
    let now = Instant::now();
    for _ in 0..3 {
        let mut e = response(0, vec![], now);
        if let PollEvent::Response(r) = &mut e {
            r.problem = Some("no cursor at /cursor".to_owned());
        }
        m.ingest(&e);
    }
    assert_eq!(m.feed().len(), 1);
    assert_eq!(
        m.feed().newest_first().next().map(|i| i.kind),
        Some(FeedKind::Warning)
    );
}

#[test]
fn resyncs_and_client_cuts_are_labelled_in_the_feed() {
    let mut m = Monitor::detached(profile());
    let now = Instant::now();
    m.ingest(&PollEvent::Resynced(Box::new(crate::poll::Resynced {
        poller: 0,
        at: now,
        status: 400,
        from: "5".to_owned(),
        to: "1200".to_owned(),
        skipped: Some(1195),
        hold: Duration::from_millis(3),
        connection: conn(),
        wire_in: 10,
        wire_out: 10,
    })));
    let resync = m
        .feed()
        .newest_first()
        .next()
        .map(|i| (i.kind, i.text.clone()));
    assert!(
        resync
            .as_ref()
            .is_some_and(|(k, t)| *k == FeedKind::Warning && t.contains("1195 events lost")),
        "{resync:?}"
    );
    assert_eq!(m.stats().lost_events(), 1195);
    let mut cut = response(1, vec![], now);
    if let PollEvent::Response(r) = &mut cut {
        r.cut_by_client = true;
        r.status = 0;
        r.hold = Duration::from_secs(35);
    }
    m.ingest(&cut);
    let row = m
        .feed()
        .newest_first()
        .next()
        .map(|i| (i.kind, i.text.clone()));
    assert!(
        row.as_ref()
            .is_some_and(|(k, t)| *k == FeedKind::Cut && t.contains("client ended the hold")),
        "{row:?}"
    );
}

#[test]
fn one_poller_failing_of_two_is_an_error_not_a_stall() {
    let mut m = Monitor::detached(profile());
    let now = Instant::now();
    m.ingest(&response(1, vec![], now));
    for attempt in 1..=ERROR_AFTER_FAILURES {
        m.ingest(&failure(0, attempt, now));
    }
    let badge = m.badge_ignoring_session(now);
    assert!(matches!(badge, Badge::Error(_)), "{badge:?}");
}

#[test]
fn quiet_after_the_learned_silence_then_receiving_again() {
    let mut m = Monitor::detached(profile());
    let t0 = Instant::now();
    // Ten events at 5/s teach the rate; the floor then applies.
    for i in 0..10 {
        m.ingest(&response(
            0,
            vec![Payload::Json(json!(i))],
            t0 + Duration::from_millis(200 * i),
        ));
    }
    let last = t0 + Duration::from_millis(1800);
    let floor = crate::alert::liveness::QUIET_FLOOR;
    assert_eq!(
        m.badge_ignoring_session(last + RECEIVING_FOR),
        Badge::Holding
    );
    assert_eq!(
        m.last_event_age(last + Duration::from_secs(4)),
        Some(Duration::from_secs(4))
    );
    let badge = m.badge_ignoring_session(last + floor + Duration::from_secs(1));
    assert_eq!(badge.label(), "quiet");
    assert_eq!(badge.since(), Some(last + floor));
    let why = badge.message().unwrap_or_default().to_owned();
    assert!(why.contains("no event for 11 s"), "{why}");
    let back = last + floor + Duration::from_secs(2);
    m.ingest(&response(0, vec![Payload::Json(json!(11))], back));
    assert_eq!(m.badge_ignoring_session(back), Badge::Receiving);
}

#[test]
fn detached_monitors_evaluate_their_rules_on_request() {
    let mut p = profile();
    p.alerts.rules = vec!["quiet>5s".parse().unwrap()];
    let t0 = Instant::now();
    let mut m = Monitor::detached_with(p, t0, crate::stats::StatsConfig::default());
    m.ingest(&response(0, vec![Payload::Json(json!(1))], t0));
    assert!(m.evaluate_alerts(t0 + Duration::from_secs(5)).is_empty());
    let fired = m.evaluate_alerts(t0 + Duration::from_secs(6));
    assert_eq!(fired.len(), 1);
    assert_eq!(m.alerts().firing(), 1);
}
