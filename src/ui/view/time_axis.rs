//! The charts' time axis: the windows a user picks (last minute … everything), the x
//! range each one shows, and grid steps in clock units (seconds, minutes, hours).
//!
//! Pure functions; no egui.

use serde::{Deserialize, Serialize};

/// The time span the charts show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChartWindow {
    /// The last minute.
    OneMinute,
    /// The last 5 minutes.
    #[default]
    FiveMinutes,
    /// The last 15 minutes.
    FifteenMinutes,
    /// The last hour.
    OneHour,
    /// Everything kept.
    All,
}

impl ChartWindow {
    /// Every choice, in menu order.
    pub const ALL: [Self; 5] = [
        Self::OneMinute,
        Self::FiveMinutes,
        Self::FifteenMinutes,
        Self::OneHour,
        Self::All,
    ];

    /// Seconds shown; `None` = everything.
    #[must_use]
    pub fn seconds(self) -> Option<f64> {
        match self {
            Self::OneMinute => Some(60.0),
            Self::FiveMinutes => Some(300.0),
            Self::FifteenMinutes => Some(900.0),
            Self::OneHour => Some(3600.0),
            Self::All => None,
        }
    }

    /// Button label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::OneMinute => "1 min",
            Self::FiveMinutes => "5 min",
            Self::FifteenMinutes => "15 min",
            Self::OneHour => "1 h",
            Self::All => "all",
        }
    }
}

/// The shortest span shown, so a fresh session's plot is not a sliver.
const MIN_SPAN_S: f64 = 30.0;

/// The x range (seconds since the session started) for a window, ending at `now_s`.
#[must_use]
pub fn x_range(window: ChartWindow, now_s: f64) -> (f64, f64) {
    let x1 = now_s.max(MIN_SPAN_S);
    let x0 = window.seconds().map_or(0.0, |w| (x1 - w).max(0.0));
    (x0, x1)
}

/// Grid steps a person reads easily on a time axis, in seconds.
const TIME_STEPS: [f64; 18] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    10_800.0, 21_600.0, 43_200.0, 86_400.0,
];

/// Three grid steps for a time axis (fine, medium, coarse), the finest at least
/// `min_step` seconds: whole seconds, minutes and hours rather than powers of ten.
#[must_use]
pub fn time_grid_steps(min_step: f64) -> [f64; 3] {
    let at_least = |v: f64| {
        TIME_STEPS
            .iter()
            .copied()
            .find(|s| *s >= v)
            .unwrap_or_else(|| (v / 86_400.0).ceil() * 86_400.0)
    };
    let fine = at_least(min_step.max(1e-9));
    let medium = at_least(fine * 2.5);
    let coarse = at_least(medium * 2.5);
    [fine, medium, coarse]
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "the ranges are whole seconds, exactly representable"
)]
mod tests {
    use super::*;

    #[test]
    fn time_grid_uses_clock_steps() {
        assert_eq!(time_grid_steps(0.3), [1.0, 5.0, 15.0]);
        assert_eq!(time_grid_steps(7.0), [10.0, 30.0, 120.0]);
        assert_eq!(time_grid_steps(50.0), [60.0, 300.0, 900.0]);
        assert_eq!(time_grid_steps(100_000.0)[0], 172_800.0);
    }

    #[test]
    fn windows_start_at_zero_and_slide() {
        assert_eq!(x_range(ChartWindow::OneMinute, 5.0), (0.0, 30.0));
        assert_eq!(x_range(ChartWindow::OneMinute, 100.0), (40.0, 100.0));
        assert_eq!(x_range(ChartWindow::All, 1000.0), (0.0, 1000.0));
    }
}
