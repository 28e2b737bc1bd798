//! Sliding windows for windowed rules: the last W split into [`SLOTS`] slots (plus the
//! running one), so memory is fixed whatever W is, and a value leaves the window within
//! W / [`SLOTS`] of turning W old.
//!
//! Plain data over caller-supplied instants (tests use synthetic time).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Slots per window.
pub const SLOTS: u32 = 12;

/// Highest value a window histogram keeps, in microseconds (one hour); more is clamped.
const HIGHEST_US: u64 = 3_600_000_000;

/// What one slot counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Completed polls: answers, resyncs and failures.
    pub polls: u64,
    /// Failed polls.
    pub errors: u64,
    /// Answers (not failures, not resyncs).
    pub answers: u64,
    /// Answers over a reused connection.
    pub reused: u64,
    /// Events lost (sequence gaps, resyncs).
    pub lost: u64,
}

impl Counts {
    fn add(&mut self, other: &Self) {
        self.polls = self.polls.saturating_add(other.polls);
        self.errors = self.errors.saturating_add(other.errors);
        self.answers = self.answers.saturating_add(other.answers);
        self.reused = self.reused.saturating_add(other.reused);
        self.lost = self.lost.saturating_add(other.lost);
    }
}

/// Which slot an instant falls in, and which slots are still inside the window.
#[derive(Clone, Copy, Debug)]
struct Grid {
    origin: Instant,
    slot: Duration,
}

impl Grid {
    fn new(origin: Instant, window: Duration) -> Self {
        Self {
            origin,
            slot: (window / SLOTS).max(Duration::from_millis(1)),
        }
    }

    fn index(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos() / self.slot.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The oldest slot index still inside the window at `now`: the running slot and
    /// [`SLOTS`] before it, so a value stays at least W (at most W + W / SLOTS).
    fn oldest_kept(&self, now: Instant) -> u64 {
        self.index(now).saturating_sub(u64::from(SLOTS))
    }

    /// When the slot after `index` starts (the next time the window moves).
    fn start_of(&self, index: u64) -> Instant {
        let nanos = self.slot.as_nanos().saturating_mul(u128::from(index));
        let offset = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.origin.checked_add(offset).unwrap_or(self.origin)
    }
}

/// Counters over the last window.
#[derive(Clone, Debug)]
pub struct CountWindow {
    grid: Grid,
    slots: VecDeque<(u64, Counts)>,
}

impl CountWindow {
    /// An empty window of `window`, slots counted from `origin`.
    #[must_use]
    pub fn new(origin: Instant, window: Duration) -> Self {
        Self {
            grid: Grid::new(origin, window),
            slots: VecDeque::with_capacity(SLOTS as usize),
        }
    }

    /// Count `delta` at `at`. Values older than the window are dropped.
    pub fn add(&mut self, at: Instant, delta: &Counts) {
        let index = self.grid.index(at);
        match self.slots.back_mut() {
            Some((last, counts)) if *last == index => counts.add(delta),
            Some((last, _)) if *last > index => {
                // Late (another poller's answer): into its own slot if still kept.
                let oldest = last.saturating_sub(u64::from(SLOTS));
                if let Some((_, counts)) = self.slots.iter_mut().find(|(i, _)| *i == index) {
                    counts.add(delta);
                } else if index >= oldest {
                    let at = self.slots.partition_point(|(i, _)| *i < index);
                    self.slots.insert(at, (index, *delta));
                }
            }
            _ => {
                self.slots.push_back((index, *delta));
                self.expire_before(self.grid.oldest_kept(at));
            }
        }
    }

    /// The totals inside the window as of `now`.
    #[must_use]
    pub fn total(&self, now: Instant) -> Counts {
        let oldest = self.grid.oldest_kept(now);
        let mut total = Counts::default();
        for (_, c) in self.slots.iter().filter(|(i, _)| *i >= oldest) {
            total.add(c);
        }
        total
    }

    /// Drop what has left the window at `now`.
    pub fn expire(&mut self, now: Instant) {
        self.expire_before(self.grid.oldest_kept(now));
    }

    fn expire_before(&mut self, oldest: u64) {
        while self.slots.front().is_some_and(|(i, _)| *i < oldest) {
            self.slots.pop_front();
        }
    }

    /// When the oldest kept value leaves the window (the totals may change then).
    #[must_use]
    pub fn next_change(&self) -> Option<Instant> {
        let (first, _) = self.slots.front()?;
        Some(
            self.grid
                .start_of(first.saturating_add(u64::from(SLOTS) + 1)),
        )
    }
}

/// A histogram of durations over the last window: one per slot, and their sum kept up
/// to date (a slot's values are subtracted when it leaves), so a percentile is one walk.
#[derive(Clone, Debug)]
pub struct HistWindow {
    grid: Grid,
    slots: VecDeque<(u64, Histogram<u32>)>,
    sum: Histogram<u32>,
}

fn histogram() -> Histogram<u32> {
    // Constant bounds hdrhistogram accepts (low ≥ 1, high ≥ 2 × low, sigfig ≤ 5), so
    // this cannot fail at run time; `hist_window_builds` checks it. Two significant
    // figures (1 %) is plenty for a threshold and keeps a slot at ~13 KB.
    Histogram::new_with_bounds(1, HIGHEST_US, 2).expect("constant histogram bounds are valid")
}

impl HistWindow {
    /// An empty window of `window`, slots counted from `origin`.
    #[must_use]
    pub fn new(origin: Instant, window: Duration) -> Self {
        Self {
            grid: Grid::new(origin, window),
            slots: VecDeque::with_capacity(SLOTS as usize),
            sum: histogram(),
        }
    }

    /// Record `ms` at `at`. NaN is ignored, negative counts as 0, over an hour as one
    /// hour; values older than the window are dropped.
    pub fn record_ms(&mut self, at: Instant, ms: f64) {
        if ms.is_nan() {
            return;
        }
        let us = crate::stats::micros(ms).clamp(1, HIGHEST_US);
        let index = self.grid.index(at);
        match self.slots.back().map(|(last, _)| *last) {
            Some(last) if last >= index => {
                // Late (another poller's answer): into its own slot if still kept.
                if index < last.saturating_sub(u64::from(SLOTS)) {
                    return;
                }
                if !self.slots.iter().any(|(i, _)| *i == index) {
                    let at = self.slots.partition_point(|(i, _)| *i < index);
                    self.slots.insert(at, (index, histogram()));
                }
            }
            _ => {
                self.expire(at);
                self.slots.push_back((index, histogram()));
            }
        }
        let Some((_, slot)) = self.slots.iter_mut().rev().find(|(i, _)| *i == index) else {
            return;
        };
        slot.saturating_record(us);
        self.sum.saturating_record(us);
    }

    /// Drop what has left the window at `now`.
    pub fn expire(&mut self, now: Instant) {
        let oldest = self.grid.oldest_kept(now);
        while self.slots.front().is_some_and(|(i, _)| *i < oldest) {
            if let Some((_, gone)) = self.slots.pop_front() {
                // Same bounds, and every value in `gone` is also in `sum`.
                if self.sum.subtract(&gone).is_err() {
                    self.rebuild();
                }
            }
        }
    }

    fn rebuild(&mut self) {
        self.sum.reset();
        for (_, slot) in &self.slots {
            // Same bounds; cannot fail.
            let _ = self.sum.add(slot).is_ok();
        }
    }

    /// The value at `quantile` in milliseconds over what is inside the window (call
    /// [`Self::expire`] first), and how many values that is.
    #[must_use]
    pub fn quantile_ms(&self, quantile: f64) -> Option<(f64, u64)> {
        if self.sum.is_empty() {
            return None;
        }
        let us = self.sum.value_at_quantile(quantile);
        Some((us as f64 / 1000.0, self.sum.len()))
    }

    /// When the oldest kept value leaves the window.
    #[must_use]
    pub fn next_change(&self) -> Option<Instant> {
        let (first, _) = self.slots.front()?;
        Some(
            self.grid
                .start_of(first.saturating_add(u64::from(SLOTS) + 1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn poll(errors: u64) -> Counts {
        Counts {
            polls: 1,
            errors,
            answers: 1 - errors,
            ..Counts::default()
        }
    }

    #[test]
    fn counts_leave_the_window_slot_by_slot() {
        let t0 = Instant::now();
        let mut w = CountWindow::new(t0, secs(60));
        for s in 0..60 {
            w.add(t0 + secs(s), &poll(u64::from(s % 2 == 0)));
        }
        let total = w.total(t0 + secs(59));
        assert_eq!((total.polls, total.errors), (60, 30));
        // Slots are 5 s: at 65 s the first slot (0..5 s) is gone.
        let total = w.total(t0 + secs(65));
        assert_eq!(total.polls, 55);
        assert_eq!(w.next_change(), Some(t0 + secs(65)));
        w.expire(t0 + secs(65));
        assert_eq!(w.next_change(), Some(t0 + secs(70)));
        assert_eq!(w.total(t0 + secs(200)), Counts::default());
        w.expire(t0 + secs(200));
        assert_eq!(w.next_change(), None);
    }

    #[test]
    fn late_values_land_in_their_slot_or_nowhere() {
        let t0 = Instant::now();
        let mut w = CountWindow::new(t0, secs(12));
        w.add(t0 + secs(5), &poll(0));
        w.add(t0 + secs(3), &poll(1));
        w.add(t0 + secs(5), &poll(0));
        assert_eq!(w.total(t0 + secs(5)).polls, 3);
        w.add(t0 + secs(30), &poll(0));
        w.add(t0 + secs(2), &poll(1));
        assert_eq!(w.total(t0 + secs(30)), poll(0), "older than the window");
    }

    #[test]
    fn hist_window_builds() {
        let w = HistWindow::new(Instant::now(), secs(60));
        assert_eq!(w.quantile_ms(0.5), None);
    }

    #[test]
    fn percentiles_follow_the_window() {
        let t0 = Instant::now();
        let mut w = HistWindow::new(t0, secs(60));
        for i in 0..100u32 {
            w.record_ms(t0 + Duration::from_millis(u64::from(i) * 100), 500.0);
        }
        w.record_ms(t0 + secs(30), f64::NAN);
        for i in 0..100u32 {
            w.record_ms(t0 + secs(40) + Duration::from_millis(u64::from(i)), 10.0);
        }
        w.expire(t0 + secs(41));
        let (p50, n) = w.quantile_ms(0.5).unwrap();
        assert_eq!(n, 200);
        assert!((9.0..=11.0).contains(&p50) || (495.0..=505.0).contains(&p50));
        let (p99, _) = w.quantile_ms(0.99).unwrap();
        assert!((495.0..=505.0).contains(&p99), "{p99}");
        // At 80 s the first 10 s (the 500 ms values) have left.
        w.expire(t0 + secs(80));
        let (p99, n) = w.quantile_ms(0.99).unwrap();
        assert_eq!(n, 100);
        assert!((9.9..=10.1).contains(&p99), "{p99}");
        w.expire(t0 + secs(500));
        assert_eq!(w.quantile_ms(0.99), None);
    }

    #[test]
    fn bad_values_are_clamped_not_fatal() {
        let t0 = Instant::now();
        let mut w = HistWindow::new(t0, secs(10));
        w.record_ms(t0, -5.0);
        w.record_ms(t0, f64::INFINITY);
        let (top, n) = w.quantile_ms(1.0).unwrap();
        assert_eq!(n, 2);
        assert!(top >= 3_590_000.0, "{top}");
    }
}
