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
    /// Events per second.
    EventsPerS,
    /// Failed polls per second.
    ErrorsPerS,
    /// Median delivery latency of each second's events (ms).
    LatencyP50,
    /// 99th-percentile delivery latency of each second's events (ms).
    LatencyP99,
    /// Cumulative new TCP connections.
    NewConnections,
    /// Cumulative answers over reused connections.
    ReusedPolls,
    /// Reused answers / answers so far, in percent.
    ReuseRatio,
    /// Bytes on the wire per second, in KiB.
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

    /// Neighbouring points further apart than this on x have no data between them (a
    /// chart draws no line there): three grid steps, at least 3 s.
    #[must_use]
    pub fn gap(&self) -> f64 {
        3.0 * self.grid.map_or(1.0, |(w, _)| w).max(1.0)
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
        self.keep_head_from(stats, front, (w, live_s.is_some()));
        let newest = live_s.map_or(x1, |now| now.min(x1));
        let settled = align_down(newest - UNSETTLED_S.max(2.0 * w), w);
        self.advance_head(stats, settled, w);
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

    /// Start the head over on a new `grid` (bucket width, live) or when the range left
    /// it behind; else drop what fell off the front of the range.
    fn keep_head_from(&mut self, stats: &Stats, front: f64, grid: (f64, bool)) {
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
    }

    /// Decimate settled data into the head, piece by piece, up to `settled` or until
    /// the update's time budget is spent.
    fn advance_head(&mut self, stats: &Stats, settled: f64, w: f64) {
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
mod tests;
