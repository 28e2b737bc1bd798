//! The chart series of one monitored profile, decimated to about the plot's width and
//! kept between frames: updated only when events arrived or the window moved, and then
//! only for the new data (see [`ChartCache`]). Plots borrow these buffers
//! (`PlotPoints::Borrowed`), so a frame copies no series however long the run.
//!
//! Reads [`Stats`] only; no egui beyond the `PlotPoint` type.

use std::time::{Duration, Instant};

use egui_plot::PlotPoint;

use crate::stats::{SecondBucket, Stats};
use crate::ui::view::decimate::Decimator;

/// The series the charts draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// Hold time (s) of answers with events, per poll.
    HoldEvents,
    /// Hold time (s) of empty answers, per poll.
    HoldEmpty,
    EventsPerS,
    ErrorsPerS,
    LatencyP50,
    LatencyP99,
    /// Cumulative new TCP connections.
    NewConnections,
    /// Cumulative answers over reused connections.
    ReusedPolls,
    /// Reused answers / answers so far, in percent.
    ReuseRatio,
    WireKibPerS,
}

const SERIES: usize = 10;

/// Data this close to the newest is decimated again on every update: late answers
/// (pollers report slightly out of order) may still change it.
const UNSETTLED_S: f64 = 3.0;

/// How long one update may spend bringing the head up to a new grid. A new grid (the
/// first frame, or another window) means decimating the whole history again: with a
/// million points per series that is ~70 ms, too long for one frame, so it is done in
/// pieces over a few frames, the charts filling from the left (`is_complete` says when
/// to ask for another frame).
const HEAD_BUDGET: Duration = Duration::from_millis(4);

/// The head is decimated in pieces of this many grid steps (between budget checks).
const HEAD_CHUNK_STEPS: f64 = 16.0;

/// Decimated series, ready to borrow. Kept up to date incrementally: on a fixed grid
/// (bucket width a power of two, so it changes only when the span doubles or the
/// window changes), settled buckets are decimated once and kept ("head"); only new
/// data and the last few seconds ("tail") are decimated on each update. A frame's cost
/// follows what arrived since the last frame, not how long the run has been.
#[derive(Debug)]
pub struct ChartCache {
    key: Option<Key>,
    /// Bucket width of the grid the head was decimated on, and whether the session was
    /// live then (a live session's running second is not settled).
    grid: Option<(f64, bool)>,
    /// Everything before this x is in `head`.
    head_end: f64,
    head: [Vec<PlotPoint>; SERIES],
    out: [Vec<PlotPoint>; SERIES],
    /// Answers counted through `head_end` (for the reuse ratio).
    head_through: u64,
    /// The head has caught up with the settled data and the tail is drawn.
    complete: bool,
    /// Time one update may spend on the head.
    budget: Duration,
    /// Updates that did work (for tests and benchmarks).
    pub recomputed: u64,
    /// Updates that started over on a new grid.
    pub full_recomputes: u64,
    /// Source points (answers and seconds) the last update read: what its cost follows.
    pub last_read: usize,
}

impl Default for ChartCache {
    fn default() -> Self {
        Self::with_budget(HEAD_BUDGET)
    }
}

/// What the cached series depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    generation: u64,
    live: bool,
    /// The range, in whole grid steps.
    x0: i64,
    x1: i64,
    grid_bits: u64,
}

/// The grid's bucket width for `span` seconds drawn over `buckets` columns: the power
/// of two at or above half a column, so grids stay put while a span grows.
#[must_use]
pub fn grid_width(span: f64, buckets: usize) -> f64 {
    let raw = (span.max(1e-6) / (2.0 * buckets.max(1) as f64)).max(1e-6);
    raw.log2().ceil().exp2()
}

fn align_down(x: f64, w: f64) -> f64 {
    (x / w).floor() * w
}

impl ChartCache {
    /// A cache whose updates spend at most about `budget` catching up with a new grid
    /// (at least one piece each; `Duration::MAX`: all at once).
    #[must_use]
    pub fn with_budget(budget: Duration) -> Self {
        Self {
            key: None,
            grid: None,
            head_end: 0.0,
            head: Default::default(),
            out: Default::default(),
            head_through: 0,
            complete: true,
            budget,
            recomputed: 0,
            full_recomputes: 0,
            last_read: 0,
        }
    }

    /// Whether the series show everything; if not, the next update draws more (ask for
    /// another frame).
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The decimated points of one series, to borrow for a plot.
    #[must_use]
    pub fn series(&self, s: Series) -> &[PlotPoint] {
        &self.out[s as usize]
    }

    /// Bring the series up to date for `x_range` at about `buckets` columns (the plot's
    /// width in pixels). `generation` must change whenever `stats` does. Rates leave out
    /// the second still running at `live_s` (its count is partial); `None` when the
    /// session has ended.
    pub fn update(
        &mut self,
        stats: &Stats,
        generation: u64,
        x_range: (f64, f64),
        buckets: usize,
        live_s: Option<f64>,
    ) {
        let (x0, x1) = x_range;
        let w = grid_width(x1 - x0, buckets.clamp(16, 8192));
        #[expect(
            clippy::cast_possible_truncation,
            reason = "grid step numbers of a finite time range"
        )]
        let key = Key {
            generation,
            live: live_s.is_some(),
            x0: (x0 / w).floor() as i64,
            x1: (x1 / w).ceil() as i64,
            grid_bits: w.to_bits(),
        };
        if self.key == Some(key) && self.complete {
            return;
        }
        self.key = Some(key);
        self.recomputed += 1;
        self.last_read = 0;
        let front = align_down(x0, w);
        let grid = (w, live_s.is_some());
        if self.grid != Some(grid) || self.head_end < front {
            self.grid = Some(grid);
            self.full_recomputes += 1;
            self.head.iter_mut().for_each(Vec::clear);
            self.head_end = front;
            self.head_through = answered_before(stats, front);
        }
        for h in &mut self.head {
            let keep_from = h.partition_point(|p| p.x < front);
            h.drain(..keep_from);
        }
        let newest = live_s.map_or(x1, |now| now.min(x1));
        let settled = align_down(newest - UNSETTLED_S.max(2.0 * w), w);
        let started = Instant::now();
        while settled > self.head_end {
            // Piece ends on the grid, so the pieces join as one pass would.
            let end = (self.head_end + HEAD_CHUNK_STEPS * w).min(settled);
            let read;
            (self.head_through, read) = decimate_range(
                stats,
                (self.head_end, end),
                w,
                None,
                self.head_through,
                &mut self.head,
            );
            self.last_read += read;
            self.head_end = end;
            if started.elapsed() >= self.budget {
                break;
            }
        }
        self.complete = self.head_end >= settled;
        for (out, head) in self.out.iter_mut().zip(&self.head) {
            out.clear();
            out.extend_from_slice(head);
        }
        if self.complete {
            // Counted again from the totals (cheap: only the tail's seconds are summed),
            // so answers that arrived late for settled seconds still count.
            let through = answered_before(stats, self.head_end);
            let tail = (self.head_end, align_down(x1, w) + w);
            let (_, read) = decimate_range(stats, tail, w, live_s, through, &mut self.out);
            self.last_read += read;
        }
    }
}

/// Answers up to `x` (seconds drawn before it), counted back from the session total
/// (which also counts seconds the statistics no longer keep). Sums the shorter side
/// of `x` only: the whole history for "all" would be a million buckets.
fn answered_before(stats: &Stats, x: f64) -> u64 {
    let seconds = stats.seconds();
    let start = seconds.partition_point(|b| second_x(b) < x);
    let from: u64 = if start < seconds.len() / 2 {
        let before: u64 = seconds.range(..start).map(SecondBucket::answered).sum();
        stats.answered_in_seconds().saturating_sub(before)
    } else {
        seconds.range(start..).map(SecondBucket::answered).sum()
    };
    stats
        .polls()
        .saturating_sub(stats.errors())
        .saturating_sub(from)
}

/// A second's bucket is drawn at the middle of its second.
fn second_x(b: &SecondBucket) -> f64 {
    b.second as f64 + 0.5
}

/// Decimate everything with x in `[range.0, range.1)` on the grid of width `w`,
/// appending to `outs` (indexed by [`Series`]). `through` is the count of answers
/// before the range; returns the count through its end, and how many source points
/// (answers and seconds) it read.
fn decimate_range(
    stats: &Stats,
    range: (f64, f64),
    w: f64,
    live_s: Option<f64>,
    through: u64,
    outs: &mut [Vec<PlotPoint>; SERIES],
) -> (u64, usize) {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive count of grid steps"
    )]
    let buckets = (((range.1 - range.0) / w).round() as usize).max(1);
    let mut d: [Decimator; SERIES] =
        std::array::from_fn(|i| Decimator::appending(range, buckets, std::mem::take(&mut outs[i])));
    let polls = decimate_polls(stats, range, &mut d);
    let (through, seconds) = decimate_seconds(stats, range, live_s, through, &mut d);
    for (out, d) in outs.iter_mut().zip(d) {
        *out = d.finish();
    }
    (through, polls + seconds)
}

/// Returns how many answers it read.
fn decimate_polls(stats: &Stats, range: (f64, f64), d: &mut [Decimator; SERIES]) -> usize {
    let points = stats.poll_points();
    let start = points.partition_point(|p| p.t_s < range.0);
    let mut read = 0;
    for p in points.range(start..) {
        if p.t_s >= range.1 {
            break;
        }
        read += 1;
        let series = if p.with_events {
            Series::HoldEvents
        } else {
            Series::HoldEmpty
        };
        d[series as usize].push(p.t_s, p.hold_ms / 1000.0);
    }
    read
}

/// Returns the answers counted through the range's end and how many seconds it read.
fn decimate_seconds(
    stats: &Stats,
    range: (f64, f64),
    live_s: Option<f64>,
    mut through: u64,
    d: &mut [Decimator; SERIES],
) -> (u64, usize) {
    let seconds = stats.seconds();
    let start = seconds.partition_point(|b| second_x(b) < range.0);
    let end = seconds.partition_point(|b| second_x(b) < range.1);
    let mut push = |s: Series, t: f64, y: f64| d[s as usize].push(t, y);
    for b in seconds.range(start..end) {
        let t = second_x(b);
        through = through.saturating_add(b.answered());
        if live_s.is_none_or(|now| b.second as f64 + 1.0 <= now) {
            push(Series::EventsPerS, t, f64::from(b.events));
            push(Series::ErrorsPerS, t, f64::from(b.errors));
            push(Series::WireKibPerS, t, b.wire_bytes as f64 / 1024.0);
        }
        if let (Some(p50), Some(p99)) = (b.latency_p50_ms, b.latency_p99_ms) {
            push(Series::LatencyP50, t, p50);
            push(Series::LatencyP99, t, p99);
        }
        push(
            Series::NewConnections,
            t,
            b.cumulative_new_connections as f64,
        );
        push(Series::ReusedPolls, t, b.cumulative_reused_polls as f64);
        if through > 0 {
            let ratio = 100.0 * b.cumulative_reused_polls as f64 / through as f64;
            push(Series::ReuseRatio, t, ratio);
        }
    }
    (through, end - start)
}

#[cfg(test)]
mod tests {
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
}
