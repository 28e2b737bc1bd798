//! How figures are written: counts, sizes, durations, percentages, ratios. One set of
//! rules for every face:
//!
//! - at most three significant digits, trailing zeros dropped (`0.42 ms`, `12.3 ms`,
//!   `123 ms`, `2.4 s`, `1.5 KiB`, `98.7 %`), so a figure reads the same in the CLI,
//!   the GUI and a report;
//! - a figure that is not known (or not finite) is [`UNKNOWN`];
//! - counts get thousands separators (`12,345`); sizes are binary (KiB, MiB, …);
//!   durations past a minute are `3 m 05 s`, past an hour `2 h 03 m`.
//!
//! Pure functions; no egui.

use std::time::Duration;

/// What an unknown figure shows.
pub const UNKNOWN: &str = "–";

/// `value` with `decimals` decimals, trailing zeros (and a trailing point) dropped.
fn trimmed(value: f64, decimals: usize) -> String {
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// At most three significant digits for `value` below 999.5 (in magnitude), more whole
/// digits above.
fn significant(value: f64) -> String {
    let a = value.abs();
    let decimals = match a {
        a if a < 9.995 => 2,
        a if a < 99.95 => 1,
        _ => 0,
    };
    trimmed(value, decimals)
}

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

/// `512 B`, `1.5 KiB`, `12 MiB`, `0.98 MiB` (a unit is used once the figure in the one
/// below would need four digits).
#[must_use]
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1000 {
        return format!("{n} B");
    }
    #[expect(clippy::cast_precision_loss, reason = "three digits are shown")]
    let mut value = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 999.5 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{} {unit}", significant(value))
}

/// A duration in milliseconds: `0.42 ms`, `12.3 ms`, `123 ms`, `2.4 s`, `12.3 s`,
/// `3 m 05 s`, `2 h 03 m`; negative values (one clock ahead of another) keep their sign.
#[must_use]
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() {
        return UNKNOWN.to_owned();
    }
    let a = ms.abs();
    if a < 999.5 {
        return format!("{} ms", significant(ms));
    }
    if a < 59_950.0 {
        return format!("{} s", significant(ms / 1000.0));
    }
    let sign = if ms < 0.0 { "-" } else { "" };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "whole seconds of a finite, non-negative duration"
    )]
    let whole = (a / 1000.0).round() as u64;
    if whole < 3600 {
        format!("{sign}{} m {:02} s", whole / 60, whole % 60)
    } else {
        format!("{sign}{} h {:02} m", whole / 3600, (whole % 3600) / 60)
    }
}

/// [`millis`], or [`UNKNOWN`].
#[must_use]
pub fn opt_millis(ms: Option<f64>) -> String {
    ms.map_or_else(|| UNKNOWN.to_owned(), millis)
}

/// Seconds, written as [`millis`] writes them (`5 s`, `500 ms`, `1 m 30 s`).
#[must_use]
pub fn seconds(s: f64) -> String {
    millis(s * 1000.0)
}

/// A [`Duration`], written as [`millis`] writes it.
#[must_use]
pub fn duration(d: Duration) -> String {
    millis(d.as_secs_f64() * 1000.0)
}

/// A duration that may be a few microseconds (a phase of one poll, a latency axis):
/// below a millisecond in whole microseconds (`46 µs`, `999 µs`), from there as
/// [`millis`] writes it.
#[must_use]
pub fn fine_millis(ms: f64) -> String {
    if ms.is_finite() && ms.abs() < 0.9995 {
        let us = ms * 1000.0;
        return format!("{} µs", trimmed(us, usize::from(us.abs() < 9.95)));
    }
    millis(ms)
}

/// [`fine_millis`] for a [`Duration`].
#[must_use]
pub fn fine_duration(d: Duration) -> String {
    fine_millis(d.as_secs_f64() * 1000.0)
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

/// A ratio (0 to 1) as a percentage: `98.7 %`, `40 %`.
#[must_use]
pub fn percent(ratio: f64) -> String {
    if !ratio.is_finite() {
        return UNKNOWN.to_owned();
    }
    format!("{} %", significant(ratio * 100.0))
}

/// [`percent`], or [`UNKNOWN`].
#[must_use]
pub fn opt_percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| UNKNOWN.to_owned(), percent)
}

/// How many times more: `12×`, `1.6×`.
#[must_use]
pub fn times(x: f64) -> String {
    if !x.is_finite() {
        return UNKNOWN.to_owned();
    }
    let decimals = match x.abs() {
        a if a < 9.95 => 1,
        _ => 0,
    };
    format!("{}×", trimmed(x, decimals))
}

/// A rate: `1.2/s`, `350/s`.
#[must_use]
pub fn per_second(x: f64) -> String {
    if !x.is_finite() {
        return UNKNOWN.to_owned();
    }
    format!("{}/s", significant(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fine_durations_go_down_to_microseconds() {
        assert_eq!(fine_millis(0.046), "46 µs");
        assert_eq!(fine_millis(0.0042), "4.2 µs");
        assert_eq!(fine_millis(0.9994), "999 µs");
        assert_eq!(fine_millis(0.9996), "1 ms");
        assert_eq!(fine_millis(12.34), "12.3 ms");
        assert_eq!(fine_duration(Duration::from_micros(1500)), "1.5 ms");
        assert_eq!(fine_duration(Duration::from_secs(90)), "1 m 30 s");
        assert_eq!(fine_millis(f64::NAN), UNKNOWN);
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn sizes_keep_three_digits_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1000), "0.98 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(123 * 1024), "123 KiB");
        assert_eq!(bytes(1023 * 1024), "1 MiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5 MiB");
        assert_eq!(bytes(u64::MAX), "16 EiB");
    }

    #[test]
    fn milliseconds_keep_three_digits_then_minutes_and_hours() {
        assert_eq!(millis(0.0), "0 ms");
        assert_eq!(millis(0.423), "0.42 ms");
        assert_eq!(millis(0.5), "0.5 ms");
        assert_eq!(millis(9.996), "10 ms");
        assert_eq!(millis(12.34), "12.3 ms");
        assert_eq!(millis(123.4), "123 ms");
        assert_eq!(millis(999.6), "1 s");
        assert_eq!(millis(1500.0), "1.5 s");
        assert_eq!(millis(2400.0), "2.4 s");
        assert_eq!(millis(12_345.0), "12.3 s");
        assert_eq!(millis(59_960.0), "1 m 00 s");
        assert_eq!(millis(125_000.0), "2 m 05 s");
        assert_eq!(millis(7_380_000.0), "2 h 03 m");
        assert_eq!(millis(-2400.0), "-2.4 s");
        assert_eq!(millis(-0.001), "0 ms");
        assert_eq!(millis(f64::NAN), UNKNOWN);
        assert_eq!(opt_millis(None), UNKNOWN);
        assert_eq!(duration(Duration::from_millis(500)), "500 ms");
        assert_eq!(seconds(5.0), "5 s");
        assert_eq!(whole_seconds(Duration::from_millis(12_900)), "12 s");
        assert_eq!(whole_seconds(Duration::from_secs(3725)), "1 h 02 m");
    }

    #[test]
    fn ratios_and_rates() {
        assert_eq!(percent(0.987), "98.7 %");
        assert_eq!(percent(0.4), "40 %");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(opt_percent(None), UNKNOWN);
        assert_eq!(times(12.2), "12×");
        assert_eq!(times(1.6), "1.6×");
        assert_eq!(times(2.0), "2×");
        assert_eq!(per_second(1.25), "1.25/s");
        assert_eq!(per_second(350.4), "350/s");
    }
}
