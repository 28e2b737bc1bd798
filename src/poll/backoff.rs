//! Exponential backoff with full jitter, and `Retry-After` parsing.
//!
//! Full jitter (a uniform wait in `0..min(cap, base·2^n)`) spreads pollers that failed
//! together, so a server coming back is not hit by all of them at once.

use std::time::{Duration, SystemTime};

/// First backoff ceiling.
pub const BASE: Duration = Duration::from_millis(500);
/// Largest backoff ceiling.
pub const CAP: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured (a misconfigured server cannot park us for days).
pub const MAX_RETRY_AFTER: Duration = Duration::from_mins(10);

/// Backoff state for one poller.
#[derive(Clone, Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// Consecutive failures so far.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A success: start over.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Count a failure and return the wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = ceiling(self.failures);
        self.failures = self.failures.saturating_add(1);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// `min(CAP, BASE · 2^failures)`.
#[must_use]
pub fn ceiling(failures: u32) -> Duration {
    BASE.saturating_mul(1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX))
        .min(CAP)
}

/// Parse a `Retry-After` value: delta-seconds or an HTTP date.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(d.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_to_cap() {
        assert_eq!(ceiling(0), Duration::from_millis(500));
        assert_eq!(ceiling(1), Duration::from_secs(1));
        assert_eq!(ceiling(3), Duration::from_secs(4));
        assert_eq!(ceiling(6), CAP);
        assert_eq!(ceiling(u32::MAX), CAP);
    }

    #[test]
    fn delays_are_jittered_within_the_ceiling() {
        let mut b = Backoff::default();
        let mut seen = Vec::new();
        for n in 0..40 {
            let d = b.next_delay();
            assert!(d <= ceiling(n), "{d:?} > {:?}", ceiling(n));
            seen.push(d);
        }
        assert_eq!(b.failures(), 40);
        // Full jitter: capped delays are not all the same.
        let capped = &seen[10..];
        assert!(capped.iter().any(|d| *d != capped[0]));
        b.reset();
        assert!(b.next_delay() <= BASE);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("99999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
