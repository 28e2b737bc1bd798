//! The rolling per-second series: one [`SecondBucket`] per second since the origin, kept
//! continuous (quiet seconds get empty buckets) and capped at a fixed number of seconds.

use std::collections::VecDeque;

use super::hist::Hist;

/// What happened during one whole second of the session.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SecondBucket {
    /// Whole seconds since the origin.
    pub second: u64,
    /// Completed polls (answers and failures).
    pub polls: u32,
    /// Events received.
    pub events: u32,
    /// Answers without events.
    pub empty: u32,
    /// Failed polls.
    pub errors: u32,
    /// TCP connections opened.
    pub new_connections: u32,
    /// Answers that came over a reused connection.
    pub reused_polls: u32,
    /// Requests re-sent after a stale keep-alive connection.
    pub stale_retries: u32,
    /// Bytes on the wire, both ways.
    pub wire_bytes: u64,
    /// Connections opened in the session up to the end of this second.
    pub cumulative_new_connections: u64,
    /// Answers over reused connections in the session up to the end of this second.
    pub cumulative_reused_polls: u64,
    /// Event latency median over the events received in this second.
    pub latency_p50_ms: Option<f64>,
    /// Event latency 99th percentile over the same events.
    pub latency_p99_ms: Option<f64>,
}

impl SecondBucket {
    /// Polls answered (not failed) in this second.
    #[must_use]
    pub fn answered(&self) -> u64 {
        u64::from(self.polls.saturating_sub(self.errors))
    }

    /// Add the counts of `delta` (its `second`, cumulative and latency fields are ignored).
    fn add(&mut self, delta: &SecondBucket) {
        self.polls = self.polls.saturating_add(delta.polls);
        self.events = self.events.saturating_add(delta.events);
        self.empty = self.empty.saturating_add(delta.empty);
        self.errors = self.errors.saturating_add(delta.errors);
        self.new_connections = self.new_connections.saturating_add(delta.new_connections);
        self.reused_polls = self.reused_polls.saturating_add(delta.reused_polls);
        self.stale_retries = self.stale_retries.saturating_add(delta.stale_retries);
        self.wire_bytes = self.wire_bytes.saturating_add(delta.wire_bytes);
    }

    fn add_cumulative(&mut self, delta: &SecondBucket) {
        self.cumulative_new_connections = self
            .cumulative_new_connections
            .saturating_add(u64::from(delta.new_connections));
        self.cumulative_reused_polls = self
            .cumulative_reused_polls
            .saturating_add(u64::from(delta.reused_polls));
    }
}

/// Per-second buckets, newest last.
#[derive(Clone, Debug)]
pub(super) struct SecondSeries {
    buckets: VecDeque<SecondBucket>,
    cap: usize,
    /// The newest second seen, even when the cap keeps no buckets.
    newest: Option<u64>,
    /// Running totals (also counts events whose bucket has scrolled out).
    totals: SecondBucket,
    /// Latencies of the events received in the newest second only, so memory stays fixed.
    latency: Hist,
    /// Latencies recorded in the newest second, and how many of them came after its
    /// percentiles were last worked out.
    latency_count: u64,
    latency_pending: u64,
    /// The sum of [`SecondBucket::answered`] over the kept buckets.
    kept_answered: u64,
}

impl SecondSeries {
    pub(super) fn new(cap: usize) -> Self {
        Self {
            buckets: VecDeque::with_capacity(cap.min(4096)),
            cap,
            newest: None,
            totals: SecondBucket::default(),
            latency: Hist::small(),
            latency_count: 0,
            latency_pending: 0,
            kept_answered: 0,
        }
    }

    /// The sum of [`SecondBucket::answered`] over the kept buckets.
    pub(super) fn kept_answered(&self) -> u64 {
        self.kept_answered
    }

    pub(super) fn buckets(&self) -> &VecDeque<SecondBucket> {
        &self.buckets
    }

    /// Count `delta` in the bucket of `second`, and `latencies_ms` in that second's latency
    /// percentiles when it is the newest second. A second older than the newest (events
    /// from different pollers can arrive slightly out of order) still gets its counts, and
    /// the cumulative totals of later buckets move with them; its latency percentiles,
    /// already final, do not.
    pub(super) fn add(
        &mut self,
        second: u64,
        delta: &SecondBucket,
        latencies_ms: impl IntoIterator<Item = f64>,
    ) {
        if self.newest.is_none_or(|newest| second > newest) {
            self.start_second(second);
        }
        self.totals.add_cumulative(delta);
        let is_newest = self.newest == Some(second);
        let Some(front) = self.buckets.front().map(|b| b.second) else {
            return;
        };
        let Some(index) = second
            .checked_sub(front)
            .and_then(|i| usize::try_from(i).ok())
        else {
            // Older than the window: only the running totals keep it.
            for b in &mut self.buckets {
                b.add_cumulative(delta);
            }
            return;
        };
        for (i, b) in self.buckets.iter_mut().enumerate().skip(index) {
            if i == index {
                let before = b.answered();
                b.add(delta);
                self.kept_answered = (self.kept_answered + b.answered()).saturating_sub(before);
            }
            b.add_cumulative(delta);
        }
        if is_newest {
            for ms in latencies_ms {
                self.latency.record_ms(ms);
                self.latency_count += 1;
                self.latency_pending += 1;
            }
            // Worked out again only once the values since the last time are an eighth of
            // the second's (each time for the first eight, then ever more rarely: about
            // 60 times in a second of 10,000 events instead of 10,000 walks of the
            // histogram). A second's final figures come when it closes, or from `settle`.
            if self.latency_pending > 0 && self.latency_pending * 8 >= self.latency_count {
                self.settle();
            }
        }
    }

    /// Open empty buckets up to `second` when nothing newer has been seen: a silent
    /// stretch shows as seconds with nothing in them, up to the present, instead of
    /// the series stopping at the last thing that happened. Returns whether buckets
    /// were added.
    pub(super) fn advance_to(&mut self, second: u64) -> bool {
        if self.newest.is_some_and(|newest| second > newest) {
            self.start_second(second);
            return true;
        }
        false
    }

    /// The bucket of `second`, if kept.
    pub(super) fn bucket(&self, second: u64) -> Option<&SecondBucket> {
        let front = self.buckets.front()?.second;
        let index = usize::try_from(second.checked_sub(front)?).ok()?;
        self.buckets.get(index)
    }

    /// Bring the newest second's latency percentiles up to date with every value
    /// recorded (see `add`).
    pub(super) fn settle(&mut self) {
        if self.latency_pending == 0 {
            return;
        }
        self.latency_pending = 0;
        if let Some(b) = self.buckets.back_mut()
            && Some(b.second) == self.newest
        {
            (b.latency_p50_ms, b.latency_p99_ms) = self.latency.p50_p99_ms();
        }
    }

    /// Open the bucket for `second`, newer than any so far, after empty buckets for the
    /// quiet seconds in between (at most `cap` of them, so a long gap allocates nothing
    /// that would be dropped at once).
    fn start_second(&mut self, second: u64) {
        // The closing second's percentiles are final now.
        self.settle();
        self.newest = Some(second);
        self.latency.reset();
        self.latency_count = 0;
        if self.cap == 0 {
            return;
        }
        let window_start = second.saturating_sub(u64::try_from(self.cap).unwrap_or(u64::MAX) - 1);
        let first = match self.buckets.back() {
            Some(last) => last.second.saturating_add(1).max(window_start),
            None => second,
        };
        for s in first..=second {
            self.buckets.push_back(SecondBucket {
                second: s,
                // Totals before the event that opens the second; `add` counts it.
                cumulative_new_connections: self.totals.cumulative_new_connections,
                cumulative_reused_polls: self.totals.cumulative_reused_polls,
                ..SecondBucket::default()
            });
        }
        while self.buckets.len() > self.cap {
            if let Some(b) = self.buckets.pop_front() {
                self.kept_answered = self.kept_answered.saturating_sub(b.answered());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> SecondBucket {
        SecondBucket {
            new_connections: 1,
            ..SecondBucket::default()
        }
    }

    fn seconds(s: &SecondSeries) -> Vec<u64> {
        s.buckets().iter().map(|b| b.second).collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= b * 0.01)
    }

    #[test]
    fn quiet_seconds_get_empty_buckets_carrying_totals() {
        let mut s = SecondSeries::new(100);
        s.add(2, &conn(), []);
        s.add(5, &conn(), []);
        assert_eq!(seconds(&s), [2, 3, 4, 5], "starts at the first second seen");
        let b = s.buckets();
        assert_eq!(
            b[1],
            SecondBucket {
                second: 3,
                cumulative_new_connections: 1,
                ..SecondBucket::default()
            }
        );
        assert_eq!(
            (b[3].new_connections, b[3].cumulative_new_connections),
            (1, 2)
        );
    }

    #[test]
    fn kept_answered_follows_the_kept_buckets() {
        let mut s = SecondSeries::new(10);
        let answer = SecondBucket {
            polls: 1,
            ..SecondBucket::default()
        };
        let failure = SecondBucket {
            polls: 1,
            errors: 1,
            ..SecondBucket::default()
        };
        // In order, late (an older second), failures, and older than the window.
        for second in 0..30u64 {
            s.add(second, &answer, []);
            s.add(second, &answer, []);
            if second % 3 == 0 {
                s.add(second, &failure, []);
            }
            if second >= 2 {
                s.add(second - 2, &answer, []);
            }
            if second >= 12 {
                s.add(second - 12, &answer, []);
            }
            let sum: u64 = s.buckets().iter().map(SecondBucket::answered).sum();
            assert_eq!(s.kept_answered(), sum, "after second {second}");
        }
        // Seconds 20..=29 kept: two answers each, one late one for 20..=27.
        assert_eq!(s.kept_answered(), 10 * 2 + 8);
    }

    #[test]
    fn capped_even_across_a_long_gap() {
        let mut s = SecondSeries::new(10);
        for second in 0..25 {
            s.add(second, &conn(), []);
        }
        assert_eq!(seconds(&s), (15..25).collect::<Vec<_>>());
        assert_eq!(s.buckets()[9].cumulative_new_connections, 25);

        // Hours of silence: only the last 10 seconds are created, still continuous.
        s.add(7200, &conn(), []);
        assert_eq!(seconds(&s), (7191..=7200).collect::<Vec<_>>());
        assert_eq!(s.buckets()[0].cumulative_new_connections, 25);
        assert_eq!(s.buckets()[9].cumulative_new_connections, 26);

        s.add(u64::MAX, &conn(), []);
        assert_eq!(s.buckets().len(), 10);
        assert_eq!(s.buckets()[9].second, u64::MAX);
    }

    #[test]
    fn late_events_land_in_their_own_second() {
        let mut s = SecondSeries::new(100);
        s.add(3, &conn(), []);
        // Another poller's event from before the window: only the totals keep it.
        s.add(1, &conn(), []);
        assert_eq!(seconds(&s), [3]);
        assert_eq!(s.buckets()[0].cumulative_new_connections, 2);
        s.add(5, &conn(), []);
        s.add(3, &conn(), []);
        let counts: Vec<(u64, u32, u64)> = s
            .buckets()
            .iter()
            .map(|b| (b.second, b.new_connections, b.cumulative_new_connections))
            .collect();
        assert_eq!(counts, [(3, 2, 3), (4, 0, 3), (5, 1, 4)]);
    }

    #[test]
    fn a_busy_second_gets_exact_percentiles_when_settled_or_closed() {
        let none = SecondBucket::default();
        let fill = |s: &mut SecondSeries, second: u64| {
            // One event per `add`, as answers arrive: 1 ms .. 1000 ms.
            for ms in 1..=1000 {
                s.add(second, &none, [f64::from(ms)]);
            }
        };
        let mut s = SecondSeries::new(100);
        fill(&mut s, 0);
        assert!(
            s.buckets()[0].latency_p50_ms.is_some(),
            "live figures exist"
        );
        s.settle();
        let b = &s.buckets()[0];
        assert!(close(b.latency_p50_ms, 500.0), "{:?}", b.latency_p50_ms);
        assert!(close(b.latency_p99_ms, 990.0), "{:?}", b.latency_p99_ms);
        // Closing a second makes its figures final without `settle`.
        fill(&mut s, 1);
        s.add(2, &none, [7.0]);
        let b = &s.buckets()[1];
        assert!(close(b.latency_p50_ms, 500.0), "{:?}", b.latency_p50_ms);
        assert!(close(b.latency_p99_ms, 990.0), "{:?}", b.latency_p99_ms);
        assert!(close(s.buckets()[2].latency_p50_ms, 7.0));
    }

    #[test]
    fn latency_of_the_newest_second_is_current_and_then_final() {
        let mut s = SecondSeries::new(100);
        let none = SecondBucket::default();
        s.add(0, &none, [10.0]);
        assert!(close(s.buckets()[0].latency_p50_ms, 10.0));
        s.add(0, &none, [30.0, 30.0, f64::NAN]);
        assert!(
            close(s.buckets()[0].latency_p50_ms, 30.0),
            "updated at once"
        );
        s.add(1, &none, [500.0]);
        // Late latencies do not touch a finished second.
        s.add(0, &none, [1.0, 1.0, 1.0, 1.0]);
        s.add(2, &none, []);
        let b = s.buckets();
        assert!(close(b[0].latency_p50_ms, 30.0));
        assert!(close(b[1].latency_p50_ms, 500.0), "only its own events");
        assert!(close(b[1].latency_p99_ms, 500.0));
        assert_eq!((b[2].latency_p50_ms, b[2].latency_p99_ms), (None, None));
    }

    #[test]
    fn advancing_opens_silent_seconds_up_to_the_present() {
        let mut s = SecondSeries::new(100);
        assert!(!s.advance_to(5), "nothing seen yet: no series to extend");
        s.add(2, &conn(), [12.0]);
        assert!(s.advance_to(6));
        assert!(!s.advance_to(6), "already there");
        assert!(!s.advance_to(4), "never backwards");
        assert_eq!(seconds(&s), [2, 3, 4, 5, 6]);
        let last = s.buckets()[4];
        assert_eq!(
            (last.new_connections, last.cumulative_new_connections),
            (0, 1)
        );
        assert_eq!(
            last.latency_p50_ms, None,
            "no events: no latency, not the last one"
        );
        assert!(close(s.buckets()[0].latency_p50_ms, 12.0));
        assert_eq!(s.bucket(2).map(|b| b.new_connections), Some(1));
        assert_eq!(s.bucket(7), None);
        // An event for the present second after advancing counts where it belongs.
        s.add(6, &conn(), [3.0]);
        assert_eq!(s.bucket(6).map(|b| b.new_connections), Some(1));
        assert!(close(s.bucket(6).and_then(|b| b.latency_p50_ms), 3.0));
    }

    #[test]
    fn zero_cap_keeps_nothing() {
        let mut s = SecondSeries::new(0);
        s.add(0, &conn(), [1.0]);
        s.add(9, &conn(), []);
        assert!(s.buckets().is_empty());
    }

    #[test]
    fn counts_saturate() {
        let mut s = SecondSeries::new(2);
        let big = SecondBucket {
            polls: u32::MAX,
            wire_bytes: u64::MAX,
            new_connections: u32::MAX,
            ..SecondBucket::default()
        };
        s.add(0, &big, []);
        s.add(0, &big, []);
        let b = s.buckets()[0];
        assert_eq!((b.polls, b.wire_bytes), (u32::MAX, u64::MAX));
        assert_eq!(b.cumulative_new_connections, 2 * u64::from(u32::MAX));
    }
}
