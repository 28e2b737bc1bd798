//! A fixed-size microsecond histogram with millisecond read-out, shared by the hold-time,
//! latency and connection-cost figures. Clamps instead of failing, so no input can panic.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest value kept, in microseconds (one hour); larger values are clamped to it.
pub(super) const HIGHEST_US: u64 = 3_600_000_000;

/// A histogram of durations in microseconds.
#[derive(Clone, Debug)]
pub(super) struct Hist(Histogram<u64>);

/// Milliseconds as whole microseconds, saturating: negative → 0, too large or +∞ →
/// `u64::MAX` (callers clamp). NaN gives 0; callers skip it first.
#[must_use]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "float-to-int `as` saturates, which is the point"
)]
pub fn micros(ms: f64) -> u64 {
    (ms * 1000.0) as u64
}

impl Hist {
    /// Three significant figures: 0.1 % resolution at every magnitude (~190 KB).
    pub(super) fn new() -> Self {
        Self::with_sigfig(3)
    }

    /// Two significant figures: 1 % resolution (~26 KB), for short-lived figures.
    pub(super) fn small() -> Self {
        Self::with_sigfig(2)
    }

    fn with_sigfig(sigfig: u8) -> Self {
        // The bounds are constants that hdrhistogram accepts (low ≥ 1, high ≥ 2 × low,
        // sigfig ≤ 5), so this cannot fail at run time; `hist_builds` checks it.
        Self(
            Histogram::new_with_bounds(1, HIGHEST_US, sigfig)
                .expect("constant histogram bounds are valid"),
        )
    }

    /// Record a duration, clamped to one hour.
    pub(super) fn record_duration(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Record a value in microseconds, clamped to one hour.
    pub(super) fn record_us(&mut self, us: u64) {
        self.0.saturating_record(us.min(HIGHEST_US));
    }

    /// Record a value in milliseconds. NaN is ignored; negative values count as 0, and
    /// anything past one hour (infinity included) as one hour.
    pub(super) fn record_ms(&mut self, ms: f64) {
        if ms.is_nan() {
            return;
        }
        self.record_us(micros(ms));
    }

    /// The value at `quantile` (0..=1) in milliseconds, or `None` when nothing was recorded.
    pub(super) fn quantile_ms(&self, quantile: f64) -> Option<f64> {
        if self.0.is_empty() {
            return None;
        }
        Some(us_to_ms(self.0.value_at_quantile(quantile)))
    }

    /// Median and 99th percentile in milliseconds.
    pub(super) fn p50_p99_ms(&self) -> (Option<f64>, Option<f64>) {
        (self.quantile_ms(0.5), self.quantile_ms(0.99))
    }

    /// The mean in milliseconds, or `None` when nothing was recorded.
    pub(super) fn mean_ms(&self) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.mean() / 1000.0)
    }

    /// Forget every value, keeping the allocation.
    pub(super) fn reset(&mut self) {
        self.0.reset();
    }
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= b.abs() * 0.002 + 0.002
    }

    #[test]
    fn hist_builds() {
        for h in [Hist::new(), Hist::small()] {
            assert_eq!(h.0.len(), 0);
            assert_eq!(h.p50_p99_ms(), (None, None));
        }
    }

    #[test]
    fn records_durations_and_reads_milliseconds() {
        let mut h = Hist::new();
        for ms in 1..=100 {
            h.record_duration(Duration::from_millis(ms));
        }
        let (p50, p99) = h.p50_p99_ms();
        assert!(close(p50.unwrap(), 50.0), "{p50:?}");
        assert!(close(p99.unwrap(), 99.0), "{p99:?}");
    }

    #[test]
    fn clamps_and_ignores_bad_values() {
        let mut h = Hist::new();
        h.record_ms(f64::NAN);
        assert_eq!(h.0.len(), 0);
        h.record_ms(-5.0);
        h.record_ms(f64::INFINITY);
        h.record_duration(Duration::MAX);
        assert_eq!(h.0.len(), 3);
        assert_eq!(h.quantile_ms(0.0), Some(0.0));
        let top = h.quantile_ms(1.0).unwrap();
        assert!(close(top, HIGHEST_US as f64 / 1000.0), "{top}");
        h.reset();
        assert_eq!(h.0.len(), 0);
    }

    #[test]
    fn micros_saturate_instead_of_wrapping() {
        assert_eq!(micros(1.5), 1500);
        assert_eq!(micros(-3.0), 0);
        assert_eq!(micros(f64::INFINITY), u64::MAX);
        assert_eq!(micros(1e30), u64::MAX);
    }
}
