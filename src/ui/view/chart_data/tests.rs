//! The chart series against fresh computations, and the cost of updates over a
//! million points.

use std::time::{Duration, Instant};

use super::*;
use crate::poll::{ConnectionUse, Payload, PollEvent, PollResponse, ReceivedEvent};
use crate::stats::StatsConfig;
use crate::ui::view::time_axis::{ChartWindow, x_range};

/// Series whose points two ways of computing them must agree on.
const COMPARED: [Series; 6] = [
    Series::HoldEvents,
    Series::HoldEmpty,
    Series::EventsPerS,
    Series::ReusedPolls,
    Series::ReuseRatio,
    Series::WireKibPerS,
];

/// Statistics from `origin` keeping `history_seconds` and `max_poll_points`, fed
/// `events`.
fn filled(
    origin: Instant,
    history_seconds: usize,
    max_poll_points: usize,
    events: impl Iterator<Item = PollEvent>,
) -> Stats {
    let config = StatsConfig {
        history_seconds,
        max_poll_points,
    };
    let mut stats = Stats::new(origin, config);
    for e in events {
        stats.record(&e);
    }
    stats
}

fn answer(origin: Instant, at_ms: u64, reused: bool, events: bool) -> PollEvent {
    let at = origin + Duration::from_millis(at_ms);
    // An answer with events carries one (the kind follows from the events).
    let events = if events {
        vec![ReceivedEvent {
            payload: Payload::Text(String::new()),
            seq: None,
            latency_ms: None,
        }]
    } else {
        Vec::new()
    };
    PollEvent::Response(Box::new(PollResponse {
        hold: Duration::from_millis(250),
        connection: ConnectionUse {
            id: Some(1),
            reused,
            requests: 1,
            age: Duration::ZERO,
        },
        wire_in: 2048,
        events,
        ..PollResponse::new(0, at, at)
    }))
}

#[test]
fn series_come_from_stats_and_are_cached() {
    let origin = Instant::now();
    let mut stats = Stats::new(origin, StatsConfig::default());
    for i in 0..10 {
        stats.record(&answer(origin, i * 1000 + 100, i > 0, i % 2 == 0));
    }
    // No time budget: a loaded machine must not leave the head half drawn.
    let mut cache = ChartCache::with_budget(Duration::MAX);
    cache.update(&stats, 1, (0.0, 30.0), 300, None);
    assert_eq!(cache.series(Series::HoldEvents).len(), 5);
    assert_eq!(cache.series(Series::HoldEmpty).len(), 5);
    assert!(
        cache
            .series(Series::HoldEvents)
            .iter()
            .all(|p| (p.y - 0.25).abs() < 1e-9)
    );
    assert_eq!(
        cache.series(Series::ReusedPolls).last().map(|p| p.y),
        Some(9.0)
    );
    let ratio = cache
        .series(Series::ReuseRatio)
        .last()
        .map(|p| p.y)
        .unwrap_or_default();
    assert!((ratio - 90.0).abs() < 1e-9, "{ratio}");
    assert_eq!(
        cache.series(Series::ReuseRatio).first().map(|p| p.y),
        Some(0.0)
    );
    assert_eq!(
        cache.series(Series::WireKibPerS).first().map(|p| p.y),
        Some(2.0)
    );
    assert_eq!(cache.series(Series::EventsPerS).len(), 10);
    cache.update(&stats, 1, (0.0, 30.0), 300, Some(9.5));
    assert_eq!(
        cache.series(Series::EventsPerS).len(),
        9,
        "the running second is left out"
    );
    cache.update(&stats, 1, (0.0, 30.0), 300, None);
    cache.update(&stats, 1, (0.0, 30.0), 300, None);
    assert_eq!(cache.recomputed, 3, "same inputs: no work");
    cache.update(&stats, 2, (0.0, 30.0), 300, None);
    assert_eq!(cache.recomputed, 4);
}

#[test]
fn incremental_updates_match_a_fresh_computation() {
    let origin = Instant::now();
    let mut stats = Stats::new(origin, StatsConfig::default());
    // No time budget: a loaded machine must not leave the head half drawn.
    let mut cache = ChartCache::with_budget(Duration::MAX);
    let mut i = 0;
    for chunk in 1..=40u64 {
        while i < chunk * 50 {
            stats.record(&answer(origin, i * 100, i % 4 != 0, i % 3 == 0));
            i += 1;
        }
        let now_s = (i * 100) as f64 / 1000.0;
        let range = x_range(ChartWindow::OneMinute, now_s);
        cache.update(&stats, chunk, range, 240, Some(now_s));
    }
    let now_s = (i * 100) as f64 / 1000.0;
    let range = x_range(ChartWindow::OneMinute, now_s);
    let mut fresh = ChartCache::with_budget(Duration::MAX);
    fresh.update(&stats, 1, range, 240, Some(now_s));
    for s in COMPARED {
        assert_eq!(cache.series(s), fresh.series(s), "{s:?}");
    }
    assert!(!cache.series(Series::HoldEvents).is_empty());
    assert!(cache.full_recomputes < 10, "{}", cache.full_recomputes);
}

#[test]
fn a_million_points_per_series_then_new_data_is_cheap() {
    let origin = Instant::now();
    let mut stats = filled(
        origin,
        1_000_000,
        1_000_000,
        (0..1_000_000u64).map(|i| answer(origin, i * 1000, true, i % 3 == 0)),
    );
    let mut cache = ChartCache::with_budget(Duration::MAX);
    let now_s = 1_000_000.0;
    let range = x_range(ChartWindow::All, now_s);
    cache.update(&stats, 1, range, 1000, Some(now_s));
    assert!(cache.is_complete());
    let points = cache.series(Series::HoldEvents).len() + cache.series(Series::HoldEmpty).len();
    assert!(points <= 2 * 4 * 2000 + 4, "{points}");
    assert!(cache.series(Series::EventsPerS).len() <= 4 * 2000 + 2);
    assert!(cache.last_read >= 2_000_000, "{}", cache.last_read);
    // New answers arrive: only they (and the last seconds) are decimated again, so an
    // update's cost follows the tail (a few grid steps), not the million points.
    let mut worst = 0;
    for k in 0..5u64 {
        stats.record(&answer(origin, 1_000_000_000 + k * 200, true, true));
        let now_s = 1_000_000.0 + (k as f64 + 1.0) * 0.2;
        cache.update(
            &stats,
            2 + k,
            x_range(ChartWindow::All, now_s),
            1000,
            Some(now_s),
        );
        worst = worst.max(cache.last_read);
    }
    assert_eq!(cache.full_recomputes, 1, "the grid held");
    eprintln!("points read per update after the first: at most {worst}");
    assert!((1..=10_000).contains(&worst), "{worst}");
}

#[test]
fn a_long_history_is_drawn_over_several_updates_and_ends_as_one_pass() {
    let origin = Instant::now();
    let stats = filled(
        origin,
        20_000,
        100_000,
        (0..20_000u64).map(|i| answer(origin, i * 1000 + 300, i % 5 != 0, i % 3 == 0)),
    );
    let now_s = 20_000.0;
    let range = x_range(ChartWindow::All, now_s);
    let mut whole = ChartCache::with_budget(Duration::MAX);
    whole.update(&stats, 1, range, 800, Some(now_s));
    assert!(whole.is_complete());
    // No time at all: one piece (HEAD_CHUNK_STEPS grid steps) per update.
    let mut pieces = ChartCache::with_budget(Duration::ZERO);
    let mut updates = 0;
    let mut shown = Vec::new();
    while updates < 1000 {
        pieces.update(&stats, 1, range, 800, Some(now_s));
        updates += 1;
        shown.push(pieces.series(Series::HoldEvents).len());
        if pieces.is_complete() {
            break;
        }
    }
    assert!(pieces.is_complete(), "finished within {updates} updates");
    assert!(updates > 10, "drawn in pieces: {updates}");
    assert!(
        shown.windows(2).all(|w| w[0] <= w[1]),
        "the charts fill from the left: {shown:?}"
    );
    for s in COMPARED {
        assert_eq!(pieces.series(s), whole.series(s), "{s:?}");
    }
    assert_eq!(pieces.full_recomputes, 1);
    // The running count of answers carries from piece to piece: four in five
    // answers reused, all along.
    let ratios = pieces.series(Series::ReuseRatio);
    assert!(ratios.len() > 100);
    for p in ratios.iter().filter(|p| p.x > 100.0) {
        assert!((p.y - 80.0).abs() < 1.0, "{p:?}");
    }
}

#[test]
fn a_million_polls_decimate_to_the_plot_width() {
    let origin = Instant::now();
    let stats = filled(
        origin,
        3600,
        1_000_000,
        (0..1_000_000u64).map(|i| answer(origin, i * 3, true, i % 3 == 0)),
    );
    let mut cache = ChartCache::with_budget(Duration::MAX);
    cache.update(&stats, 1, (0.0, 3000.0), 1000, None);
    assert!(cache.is_complete());
    assert!(
        cache.series(Series::HoldEvents).len() <= 4002,
        "{}",
        cache.series(Series::HoldEvents).len()
    );
    assert!(cache.series(Series::HoldEmpty).len() <= 4002);
    assert!(cache.series(Series::HoldEvents).len() > 1000);
    // One pass: every answer and every second in the range read once, none again.
    let seconds = 3000;
    assert!(
        (1_000_000..=1_000_000 + seconds).contains(&cache.last_read),
        "{}",
        cache.last_read
    );
}
