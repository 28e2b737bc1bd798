//! Number, size, duration and time formatting for the panels. Pure functions.

use std::time::{Duration, SystemTime};

/// `12,345,678`.
#[must_use]
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `512 B`, `1.5 KiB`, `12.0 MiB`.
#[must_use]
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// `0.42 ms`, `12.3 ms`, `1.25 s`, `3 m 05 s`, `2 h 03 m`.
#[must_use]
pub fn duration(d: Duration) -> String {
    millis(d.as_secs_f64() * 1000.0)
}

/// A duration given in milliseconds, as [`duration`] shows it.
#[must_use]
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() {
        return "–".to_owned();
    }
    if ms.abs() < 10.0 {
        return format!("{ms:.2} ms");
    }
    if ms.abs() < 1000.0 {
        return format!("{ms:.1} ms");
    }
    let s = ms / 1000.0;
    if s.abs() < 60.0 {
        return format!("{s:.2} s");
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "whole seconds of a positive, finite duration"
    )]
    let whole = s.max(0.0) as u64;
    if whole < 3600 {
        format!("{} m {:02} s", whole / 60, whole % 60)
    } else {
        format!("{} h {:02} m", whole / 3600, (whole % 3600) / 60)
    }
}

/// Whole seconds for "held for 12 s" (no fractions, so the text changes once a second).
#[must_use]
pub fn whole_seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} m {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} m", s / 3600, (s % 3600) / 60)
    }
}

/// `98.7 %`, or `–` when unknown.
#[must_use]
pub fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "–".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

/// An optional millisecond figure, `–` when unknown.
#[must_use]
pub fn opt_millis(ms: Option<f64>) -> String {
    ms.map_or_else(|| "–".to_owned(), millis)
}

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
        assert_eq!(count(0), "0");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(bytes(10), "10 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(millis(0.5), "0.50 ms");
        assert_eq!(millis(123.4), "123.4 ms");
        assert_eq!(millis(1500.0), "1.50 s");
        assert_eq!(millis(125_000.0), "2 m 05 s");
        assert_eq!(millis(f64::NAN), "–");
        assert_eq!(whole_seconds(Duration::from_millis(12_900)), "12 s");
        assert_eq!(percent(Some(0.987)), "98.7 %");
        assert_eq!(percent(None), "–");
        assert_eq!(axis_seconds(65.0), "1:05");
        assert_eq!(axis_seconds(3725.0), "1:02:05");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(3_723_004);
        assert_eq!(clock_utc(t), "01:02:03.004");
        assert_eq!(drawable("a → b"), "a -> b");
    }
}
