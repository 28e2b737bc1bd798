//! Formatting only the window needs: the time of day of feed rows, time-axis marks, and
//! text egui's fonts can draw. Figures (counts, sizes, durations, percentages) are
//! written by [`crate::present::units`], as the CLI and the exports write them.
//! Pure functions.

use std::time::{Duration, SystemTime};

/// Wall-clock time of day in UTC with milliseconds: `14:03:07.251`.
#[must_use]
pub fn clock_utc(t: SystemTime) -> String {
    let since = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        since.subsec_millis()
    )
}

/// Seconds on a time axis as `m:ss` (or `h:mm:ss`).
#[must_use]
pub fn axis_seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return String::new();
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "non-negative finite seconds, rounded"
    )]
    let whole = s.round() as u64;
    if whole < 3600 {
        format!("{}:{:02}", whole / 60, whole % 60)
    } else {
        format!(
            "{}:{:02}:{:02}",
            whole / 3600,
            (whole % 3600) / 60,
            whole % 60
        )
    }
}

/// `text` with the arrows egui's bundled fonts lack (→, ←) spelled as `->`, `<-`.
#[must_use]
pub fn drawable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['→', '←']) {
        text.replace('→', "->").replace('←', "<-").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(axis_seconds(65.0), "1:05");
        assert_eq!(axis_seconds(3725.0), "1:02:05");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(3_723_004);
        assert_eq!(clock_utc(t), "01:02:03.004");
        assert_eq!(drawable("a → b"), "a -> b");
    }
}
