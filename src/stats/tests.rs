//! Unit tests for [`Stats`], over hand-built events.
#![expect(
    clippy::float_cmp,
    reason = "the figures compared are exact: sums and ratios of small whole numbers"
)]

use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::poll::event::{ConnectionUse, Payload, ReceivedEvent};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= b.abs() * 0.002 + 0.002
}

fn event(seq: Option<i64>, latency_ms: Option<f64>) -> ReceivedEvent {
    ReceivedEvent {
        payload: Payload::Text("x".to_owned()),
        seq,
        latency_ms,
    }
}

/// A minimal answer from `poller`, read at `origin + at`.
fn response(
    origin: Instant,
    poller: usize,
    at: Duration,
    events: Vec<ReceivedEvent>,
) -> PollResponse {
    let received = origin + at;
    PollResponse {
        received_wall: SystemTime::UNIX_EPOCH,
        hold: ms(100),
        connection: ConnectionUse {
            id: Some(1),
            reused: false,
            requests: 1,
            age: ms(0),
        },
        body_bytes: 10,
        wire_in: 100,
        wire_out: 50,
        events,
        ..PollResponse::new(poller, received, received)
    }
}

fn answer(r: PollResponse) -> PollEvent {
    PollEvent::Response(Box::new(r))
}

fn failure(origin: Instant, poller: usize, at: Duration, kind: ErrorKind) -> PollFailure {
    PollFailure {
        status: (kind == ErrorKind::HttpStatus).then_some(503),
        elapsed: ms(5),
        backoff: ms(1000),
        wire_in: 7,
        wire_out: 3,
        ..PollFailure::new(poller, origin + at, kind, format!("{} failed", kind.name()))
    }
}

fn connected(
    origin: Instant,
    poller: usize,
    at: Duration,
    id: u64,
    tcp: u64,
    tls: Option<u64>,
) -> PollEvent {
    PollEvent::Connected {
        poller,
        at: origin + at,
        conn: NewConnection {
            id,
            opened: origin + at,
            tcp_connect: ms(tcp),
            tls_handshake: tls.map(ms),
            via_proxy: false,
            proxy_tunnel: None,
        },
    }
}

fn stale(origin: Instant, at: Duration) -> PollEvent {
    PollEvent::StaleRetry {
        poller: 0,
        at: origin + at,
        connection: Some(1),
        error: "reset".to_owned(),
    }
}

fn seqs(origin: Instant, poller: usize, at: Duration, seqs: &[i64]) -> PollEvent {
    let events = seqs.iter().map(|s| event(Some(*s), None)).collect();
    answer(response(origin, poller, at, events))
}

fn stats(origin: Instant) -> Stats {
    Stats::new(origin, StatsConfig::default())
}

#[test]
fn counts_polls_events_empties_errors() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&connected(o, 0, ms(0), 1, 1, None));
    s.record(&answer(response(
        o,
        0,
        ms(10),
        vec![event(None, None), event(None, None)],
    )));
    s.record(&answer(response(o, 0, ms(20), Vec::new())));
    s.record(&stale(o, ms(25)));
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        0,
        ms(30),
        ErrorKind::HttpStatus,
    ))));
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        1,
        ms(40),
        ErrorKind::Timeout,
    ))));

    assert_eq!(s.polls(), 4, "answers + failures, not stale retries");
    assert_eq!(s.events(), 2);
    assert_eq!(s.empty_polls(), 1);
    assert_eq!(s.errors(), 2);
    assert_eq!(s.new_connections(), 1);
    assert_eq!(s.stale_retries(), 1);
    assert_eq!(s.last_error(), Some("timeout failed"));
    assert_eq!(s.errors_by_kind().get(&ErrorKind::HttpStatus), Some(&1));
    assert_eq!(s.errors_by_kind().get(&ErrorKind::Timeout), Some(&1));
    assert_eq!(s.statuses().get(&200), Some(&2));
    assert_eq!(s.statuses().get(&503), Some(&1));

    let sum = s.summary(o + Duration::from_secs(2));
    assert_eq!(
        (sum.polls, sum.events, sum.empty_polls, sum.errors),
        (4, 2, 1, 2)
    );
    assert_eq!(sum.body_bytes, 20);
    assert_eq!(sum.wire_bytes_in, 2 * 100 + 2 * 7);
    assert_eq!(sum.wire_bytes_out, 2 * 50 + 2 * 3);
    assert!(close(sum.duration_s, 2.0));
    assert!(close(sum.polls_per_s, 2.0));
    assert!(close(sum.events_per_s, 1.0));
    assert_eq!(sum.statuses.get("200"), Some(&2));
    assert_eq!(sum.errors_by_kind.get("http_status"), Some(&1));
    assert_eq!(sum.errors_by_kind.get("timeout"), Some(&1));
}

#[test]
fn reuse_ratio_is_reused_answers_over_answers() {
    let o = Instant::now();
    let mut s = stats(o);
    assert_eq!(s.reuse_ratio(), None);
    assert_eq!(s.summary(o).reuse_ratio, None);
    for i in 0..4 {
        let mut r = response(o, 0, ms(i * 10), Vec::new());
        r.connection.reused = i > 0;
        s.record(&answer(r));
    }
    // Failures are polls but not answers: they do not dilute the ratio.
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        0,
        ms(50),
        ErrorKind::Other,
    ))));
    assert_eq!(s.reused_polls(), 3);
    assert_eq!(s.reuse_ratio(), Some(0.75));
    let sum = s.summary(o);
    assert_eq!(sum.reused_connections, 3);
    assert_eq!(sum.reuse_ratio, Some(0.75));
}

#[test]
fn handshake_saved_is_reused_times_median_cost() {
    let o = Instant::now();
    let mut s = stats(o);
    // Costs 15, 40 and 100 ms: median 40.
    s.record(&connected(o, 0, ms(0), 1, 10, Some(5)));
    s.record(&connected(o, 1, ms(0), 2, 20, Some(20)));
    s.record(&connected(o, 2, ms(0), 3, 100, None));
    for i in 0..5 {
        let mut r = response(o, 0, ms(i), Vec::new());
        r.connection.reused = true;
        s.record(&answer(r));
    }
    let sum = s.summary(o);
    assert_eq!(sum.new_connections, 3);
    assert_eq!(sum.tls_handshakes, 2);
    assert!(
        close(sum.connect_ms_total, 130.0),
        "{}",
        sum.connect_ms_total
    );
    assert!(close(sum.tls_ms_total, 25.0), "{}", sum.tls_ms_total);
    assert!(
        close(sum.handshake_ms_saved, 5.0 * 40.0),
        "{}",
        sum.handshake_ms_saved
    );
}

#[test]
fn handshake_saved_is_zero_without_connections() {
    let o = Instant::now();
    let mut s = stats(o);
    let mut r = response(o, 0, ms(0), Vec::new());
    r.connection.reused = true;
    s.record(&answer(r));
    assert_eq!(s.summary(o).handshake_ms_saved, 0.0);
}

#[test]
fn hold_percentiles_split_events_and_empty() {
    let o = Instant::now();
    let mut s = stats(o);
    for i in 1..=100 {
        let mut r = response(o, 0, ms(i), vec![event(None, None)]);
        r.hold = ms(i);
        s.record(&answer(r));
    }
    for i in 0..100 {
        let mut r = response(o, 0, ms(200 + i), Vec::new());
        r.hold = ms(30_000 + i);
        s.record(&answer(r));
    }
    let sum = s.summary(o);
    assert!(close(sum.hold_ms_events_p50.unwrap(), 50.0));
    assert!(close(sum.hold_ms_events_p99.unwrap(), 99.0));
    assert!(close(sum.hold_ms_empty_p50.unwrap(), 30_049.0));
    assert!(close(sum.hold_ms_empty_p99.unwrap(), 30_098.0));
    assert!(close(sum.hold_ms_p50.unwrap(), 100.0));
    assert!(close(sum.hold_ms_p99.unwrap(), 30_098.0));
    assert_eq!(sum.max_poll_ms, Some(30_099.0));
    let points = s.poll_points();
    assert_eq!(points.len(), 200);
    assert!(points[0].with_events && !points[199].with_events);
    assert!(close(points[199].hold_ms, 30_099.0));
}

#[test]
fn hold_percentiles_are_none_without_answers() {
    let o = Instant::now();
    let sum = stats(o).summary(o);
    assert_eq!((sum.hold_ms_p50, sum.hold_ms_p99), (None, None));
    assert_eq!(sum.hold_ms_events_p50, None);
    assert_eq!(sum.hold_ms_empty_p99, None);
    assert_eq!(sum.event_latency_ms_p50, None);
    assert_eq!(sum.max_poll_ms, None);
    assert_eq!(sum.polls_per_s, 0.0);
}

#[test]
fn latency_percentiles_clamp_skew_and_skip_nan() {
    let o = Instant::now();
    let mut s = stats(o);
    let events = (1..=100).map(|i| event(None, Some(f64::from(i)))).collect();
    s.record(&answer(response(o, 0, ms(0), events)));
    let sum = s.summary(o);
    assert!(close(sum.event_latency_ms_p50.unwrap(), 50.0));
    assert!(close(sum.event_latency_ms_p99.unwrap(), 99.0));

    let mut s = stats(o);
    let events = vec![
        event(None, Some(-3.0)),
        event(None, Some(f64::NAN)),
        event(None, Some(-1.0)),
        event(None, Some(10.0)),
    ];
    s.record(&answer(response(o, 0, ms(0), events)));
    let sum = s.summary(o);
    assert_eq!(sum.clock_skewed_events, 2);
    assert_eq!(s.clock_skewed_events(), 2);
    // Three values recorded (0, 0, 10): the median is a clamped 0.
    assert_eq!(sum.event_latency_ms_p50, Some(0.0));
    assert!(close(sum.event_latency_ms_p99.unwrap(), 10.0));
}

#[test]
fn sequence_gaps_and_duplicates_per_poller() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&seqs(o, 0, ms(0), &[1, 2, 3]));
    s.record(&seqs(o, 0, ms(1), &[5]));
    assert_eq!(s.lost_events(), 1, "4 was skipped");
    assert_eq!(s.duplicate_events(), 0);
    s.record(&seqs(o, 0, ms(2), &[3]));
    assert_eq!(s.duplicate_events(), 1);
    assert_eq!(s.pollers()[0].last_seq, Some(5), "last does not move back");
    s.record(&seqs(o, 0, ms(3), &[6]));
    assert_eq!(s.lost_events(), 1, "6 follows 5, not 3");

    // Another poller has its own cursor: its first number is no gap, and it does not
    // disturb poller 0.
    s.record(&seqs(o, 1, ms(4), &[100, 101]));
    s.record(&seqs(o, 0, ms(5), &[7]));
    assert_eq!((s.lost_events(), s.duplicate_events()), (1, 1));
    s.record(&seqs(o, 1, ms(6), &[110]));
    assert_eq!(s.lost_events(), 1 + 8);
    assert_eq!(s.pollers()[1].last_seq, Some(110));
    // The same number again (a re-delivered event) is a duplicate, not a gap.
    s.record(&seqs(o, 1, ms(7), &[110]));
    let sum = s.summary(o);
    assert_eq!((sum.lost_events, sum.duplicate_events), (9, 2));
}

#[test]
fn extreme_sequence_numbers_are_resets_not_billions_lost() {
    assert_eq!(track_seq(&mut Some(i64::MIN), i64::MAX), Seq::Reset);
    let mut last = Some(7);
    assert_eq!(track_seq(&mut last, i64::MAX), Seq::Reset, "7 → i64::MAX");
    assert_eq!(track_seq(&mut last, i64::MAX), Seq::Duplicate);
    assert_eq!(track_seq(&mut last, 8), Seq::Reset, "back to 8: a restart");
    assert_eq!(track_seq(&mut last, 9), Seq::InOrder, "then in order again");
    // Within the bounds: gaps and duplicates as before.
    assert_eq!(track_seq(&mut last, 9 + 1_000_000), Seq::Gap(999_999));
    assert_eq!(track_seq(&mut last, 9 + 1_000_000 - 10_000), Seq::Duplicate);
    assert_eq!(track_seq(&mut last, 9 + 1_000_000 - 10_001), Seq::Reset);
}

#[test]
fn seconds_are_continuous_with_cumulative_totals() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&connected(o, 0, ms(100), 1, 1, None));
    s.record(&answer(response(o, 0, ms(900), vec![event(None, None)])));
    let mut r = response(o, 0, ms(1500), Vec::new());
    r.connection.reused = true;
    s.record(&answer(r));
    s.record(&stale(o, ms(4200)));
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        0,
        ms(5000),
        ErrorKind::Other,
    ))));

    let b = s.seconds();
    let secs: Vec<u64> = b.iter().map(|b| b.second).collect();
    assert_eq!(secs, [0, 1, 2, 3, 4, 5]);
    assert_eq!((b[0].polls, b[0].events, b[0].new_connections), (1, 1, 1));
    assert_eq!(b[0].wire_bytes, 150);
    assert_eq!((b[1].polls, b[1].empty, b[1].reused_polls), (1, 1, 1));
    assert_eq!(
        b[2],
        SecondBucket {
            second: 2,
            cumulative_new_connections: 1,
            cumulative_reused_polls: 1,
            ..SecondBucket::default()
        }
    );
    assert_eq!(b[4].stale_retries, 1);
    assert_eq!((b[5].polls, b[5].errors, b[5].wire_bytes), (1, 1, 10));
    let cumulative: Vec<(u64, u64)> = b
        .iter()
        .map(|b| (b.cumulative_new_connections, b.cumulative_reused_polls))
        .collect();
    assert_eq!(cumulative, [(1, 0), (1, 1), (1, 1), (1, 1), (1, 1), (1, 1)]);
}

#[test]
fn poll_points_are_capped() {
    let o = Instant::now();
    let mut s = Stats::new(
        o,
        StatsConfig {
            max_poll_points: 3,
            ..StatsConfig::default()
        },
    );
    for i in 0..5 {
        s.record(&answer(response(
            o,
            i,
            Duration::from_secs(i as u64),
            Vec::new(),
        )));
    }
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        0,
        ms(9000),
        ErrorKind::Other,
    ))));
    let pollers: Vec<u32> = s.poll_points().iter().map(|p| p.poller).collect();
    assert_eq!(
        pollers,
        [2, 3, 4],
        "newest answered polls; failures add none"
    );
    let last = s.poll_points()[2];
    assert_eq!(
        last,
        PollPoint {
            t_s: 4.0,
            hold_ms: 100.0,
            with_events: false,
            poller: 4,
        }
    );
}

#[test]
fn zero_caps_keep_nothing_but_still_count() {
    let o = Instant::now();
    let mut s = Stats::new(
        o,
        StatsConfig {
            history_seconds: 0,
            max_poll_points: 0,
        },
    );
    s.record(&answer(response(
        o,
        0,
        ms(0),
        vec![event(Some(1), Some(1.0))],
    )));
    s.record(&connected(o, 0, ms(1), 1, 1, None));
    assert!(s.seconds().is_empty());
    assert!(s.poll_points().is_empty());
    assert_eq!((s.polls(), s.new_connections()), (1, 1));
}

#[test]
fn poller_views_follow_their_events() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&PollEvent::PollStarted { poller: 2, at: o });
    assert_eq!(s.pollers().len(), 3, "grown to the highest index");
    assert_eq!(s.pollers()[0].state, PollerState::Idle);
    assert_eq!(s.pollers()[2].state, PollerState::Holding { since: o });

    s.record(&connected(o, 2, ms(5), 7, 1, None));
    assert_eq!(s.pollers()[2].connection, Some(7));
    assert_eq!(s.pollers()[2].connection_opened, Some(o + ms(5)));

    let mut r = response(
        o,
        2,
        ms(1000),
        vec![event(Some(41), None), event(Some(42), None)],
    );
    r.connection = ConnectionUse {
        id: Some(7),
        reused: true,
        requests: 4,
        age: ms(600),
    };
    s.record(&answer(r));
    let v = &s.pollers()[2];
    assert_eq!(v.state, PollerState::Idle);
    assert_eq!((v.polls, v.events, v.errors), (1, 2, 0));
    assert_eq!((v.connection, v.requests_on_connection), (Some(7), 4));
    assert_eq!(v.connection_opened, Some(o + ms(400)));
    assert_eq!(v.last_seq, Some(42));

    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        2,
        ms(2000),
        ErrorKind::ConnectRefused,
    ))));
    let v = &s.pollers()[2];
    assert_eq!(
        v.state,
        PollerState::BackingOff {
            until: o + ms(3000),
            message: "connect_refused failed".to_owned(),
        }
    );
    assert_eq!((v.polls, v.errors), (2, 1));
    assert_eq!(v.last_error.as_deref(), Some("connect_refused failed"));
    assert_eq!(
        v.connection,
        Some(7),
        "no connection carried the failed poll"
    );

    s.record(&PollEvent::Stopped {
        poller: 2,
        at: o + ms(2500),
    });
    assert_eq!(s.pollers()[2].state, PollerState::Stopped);
}

#[test]
fn hostile_input_does_not_panic() {
    let o = Instant::now();
    let mut s = stats(o);
    // Before the origin, an absurd poller index, absurd durations and sizes.
    let early = o.checked_sub(ms(5000)).unwrap_or(o);
    s.record(&PollEvent::PollStarted {
        poller: usize::MAX,
        at: early,
    });
    let mut r = response(
        o,
        usize::MAX,
        ms(0),
        vec![event(Some(i64::MIN), Some(f64::INFINITY))],
    );
    r.received = early;
    r.hold = Duration::MAX;
    r.wire_in = u64::MAX;
    r.wire_out = u64::MAX;
    r.connection.age = Duration::MAX;
    s.record(&answer(r.clone()));
    s.record(&answer(r));
    let mut f = failure(o, 0, ms(0), ErrorKind::Other);
    f.backoff = Duration::MAX;
    f.connection.id = Some(1);
    f.connection.age = Duration::MAX;
    s.record(&PollEvent::Failed(Box::new(f)));
    s.record(&PollEvent::Connected {
        poller: 0,
        at: o,
        conn: NewConnection {
            id: u64::MAX,
            opened: o,
            tcp_connect: Duration::MAX,
            tls_handshake: Some(Duration::MAX),
            via_proxy: false,
            proxy_tunnel: None,
        },
    });
    assert!(s.pollers().len() <= MAX_POLLERS as usize);
    assert_eq!(s.polls(), 3);
    let sum = s.summary(early);
    assert_eq!(sum.wire_bytes_in, u64::MAX);
    assert_eq!(sum.duration_s, 0.0);
    assert_eq!(
        s.seconds()[0].second,
        0,
        "times before the origin count as second 0"
    );
    assert!(sum.hold_ms_p99.is_some_and(f64::is_finite));
}

#[test]
fn summary_json_has_the_documented_keys() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&connected(o, 0, ms(0), 1, 3, Some(4)));
    s.record(&answer(response(
        o,
        0,
        ms(10),
        vec![event(Some(1), Some(2.0))],
    )));
    s.record(&PollEvent::Failed(Box::new(failure(
        o,
        0,
        ms(20),
        ErrorKind::HttpStatus,
    ))));
    let json = serde_json::to_value(s.summary(o + ms(1000))).unwrap();
    let obj = json.as_object().unwrap();
    for key in [
        "polls",
        "events",
        "empty_polls",
        "errors",
        "new_connections",
        "reused_connections",
        "reuse_ratio",
        "stale_retries",
        "tls_handshakes",
        "connect_ms_total",
        "tls_ms_total",
        "handshake_ms_saved",
        "hold_ms_p50",
        "hold_ms_p99",
        "hold_ms_events_p50",
        "hold_ms_events_p99",
        "hold_ms_empty_p50",
        "hold_ms_empty_p99",
        "max_poll_ms",
        "event_latency_ms_p50",
        "event_latency_ms_p99",
        "clock_skewed_events",
        "lost_events",
        "duplicate_events",
        "pollers_died",
        "sequence_resets",
        "redirects",
        "cross_origin_redirects",
        "truncated_values",
        "duration_s",
        "polls_per_s",
        "events_per_s",
        "body_bytes",
        "wire_bytes_in",
        "wire_bytes_out",
        "statuses",
        "errors_by_kind",
        "session_restarts",
        "control_messages",
        "control_by_kind",
        "replies_sent",
        "not_holding_answers",
        "restarts",
    ] {
        assert!(obj.contains_key(key), "missing {key}");
    }
    assert_eq!(obj.len(), 46, "no undocumented keys: {:?}", obj.keys());
    assert_eq!(json["polls"], 2);
    assert_eq!(json["reuse_ratio"], 0.0);
    assert_eq!(json["statuses"]["503"], 1);
    assert_eq!(json["errors_by_kind"]["http_status"], 1);
    assert!(json["hold_ms_empty_p50"].is_null());

    let empty = serde_json::to_value(stats(o).summary(o)).unwrap();
    assert!(empty["reuse_ratio"].is_null());
}

#[test]
fn resync_counts_a_poll_and_its_gap_and_restarts_sequence_tracking() {
    let o = Instant::now();
    let mut s = stats(o);
    s.record(&seqs(o, 0, ms(10), &[5, 6]));
    s.record(&PollEvent::Resynced(Box::new(Resynced {
        poller: 0,
        at: o + ms(20),
        status: 400,
        from: "7".to_owned(),
        to: "2051".to_owned(),
        skipped: Some(2044),
        hold: ms(1),
        connection: ConnectionUse {
            id: Some(1),
            reused: true,
            requests: 2,
            age: ms(10),
        },
        wire_in: 300,
        wire_out: 100,
    })));
    // After the jump, a far higher sequence is not another gap.
    s.record(&seqs(o, 0, ms(30), &[2051]));
    let sum = s.summary(o + ms(1000));
    assert_eq!(sum.resyncs, 1);
    assert_eq!(sum.lost_events, 2044);
    assert_eq!(sum.polls, 3);
    assert_eq!(sum.errors, 0);
    assert_eq!(sum.statuses.get("400"), Some(&1));
}

#[test]
fn client_cut_is_an_empty_hold_without_a_status() {
    let o = Instant::now();
    let mut s = stats(o);
    let mut r = response(o, 0, ms(10), Vec::new());
    r.status = 0;
    r.cut_by_client = true;
    s.record(&answer(r));
    let sum = s.summary(o + ms(1000));
    assert_eq!(sum.client_cuts, 1);
    assert_eq!(sum.empty_polls, 1);
    assert!(sum.statuses.is_empty(), "{:?}", sum.statuses);
}

#[test]
fn headline_rates_fall_to_zero_after_a_silent_second() {
    let origin = Instant::now();
    let mut s = stats(origin);
    assert_eq!(s.recent_rates(origin + ms(500)), RecentRates::default());
    for i in 0..4 {
        let events = vec![event(None, None)];
        s.record(&answer(response(origin, 0, ms(10_000 + i * 200), events)));
    }
    // During second 10 the last whole second is 9: nothing yet.
    assert_eq!(s.recent_rates(origin + ms(10_900)).events_per_s, 0.0);
    let busy = s.recent_rates(origin + ms(11_500));
    assert!(close(busy.events_per_s, 4.0), "{busy:?}");
    assert!(close(busy.polls_per_s, 4.0), "{busy:?}");
    // Second 11 was silent: the figure says so, it does not hold 4/s.
    assert_eq!(s.recent_rates(origin + ms(12_000)).events_per_s, 0.0);
    assert_eq!(s.recent_rates(origin + ms(19_000)).events_per_s, 0.0);
}

#[test]
fn advancing_extends_the_series_through_silence() {
    let origin = Instant::now();
    let mut s = stats(origin);
    assert!(!s.advance(origin + ms(5_000)), "nothing to extend yet");
    s.record(&answer(response(
        origin,
        0,
        ms(2_500),
        vec![event(None, Some(7.0))],
    )));
    assert!(s.advance(origin + ms(19_100)));
    let seconds: Vec<u64> = s.seconds().iter().map(|b| b.second).collect();
    assert_eq!(seconds, (2..=18).collect::<Vec<_>>());
    let tail = s.seconds().back().copied().unwrap();
    assert_eq!((tail.events, tail.polls, tail.latency_p50_ms), (0, 0, None));
    assert!(!s.advance(origin + ms(19_900)), "same whole second");
    assert_eq!(s.events(), 1, "advancing counts nothing");
}
