//! The synthetic event generator: `{"kind":"tick","n":k,"value":…,"msg":…}` at a
//! steady rate. High rates are published in small batches per tick, so the rate holds
//! without one timer wake-up per event.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::state::Shared;

/// Shortest tick; faster rates publish several events per tick.
const MIN_TICK: Duration = Duration::from_millis(10);

const MESSAGES: [&str; 6] = [
    "all good",
    "cache hit",
    "cache miss",
    "slow path",
    "retrying upstream",
    "queue drained",
];

/// Publish at `rate_per_s` (> 0) until the task is dropped.
pub(super) async fn run(shared: Arc<Shared>, rate_per_s: f64) {
    let mut interval = tokio::time::interval(tick_period(rate_per_s));
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut rng = fastrand::Rng::new();
    let started = Instant::now();
    let mut sent: u64 = 0;
    loop {
        interval.tick().await;
        let due = due_by(rate_per_s, started.elapsed());
        for _ in 0..batch_size(due, &mut sent, rate_per_s) {
            sent += 1;
            let value = (rng.f64() * 10_000.0).round() / 100.0;
            let msg = MESSAGES[rng.usize(..MESSAGES.len())];
            shared.publish(&serde_json::json!({
                "kind": "tick",
                "n": sent,
                "value": value,
                "msg": msg,
            }));
        }
    }
}

/// One event per tick up to 100/s; beyond that, ticks of [`MIN_TICK`].
fn tick_period(rate_per_s: f64) -> Duration {
    Duration::try_from_secs_f64(1.0 / rate_per_s)
        .unwrap_or(Duration::MAX)
        .max(MIN_TICK)
        // One tick a day is slow enough; also keeps `interval` away from overflow.
        .min(Duration::from_hours(24))
}

/// How many events should have been published `elapsed` after the start.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "float-to-int `as` saturates, which is what we want for absurd rates"
)]
fn due_by(rate_per_s: f64, elapsed: Duration) -> u64 {
    (rate_per_s * elapsed.as_secs_f64()).floor() as u64
}

/// How many to publish now to catch up to `due`. After a stall (a suspended laptop)
/// at most one second's worth is sent at once, and the schedule moves on.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a finite, non-negative rate; `as` saturates"
)]
fn batch_size(due: u64, sent: &mut u64, rate_per_s: f64) -> u64 {
    let most = (rate_per_s.ceil() as u64).max(1);
    let behind = due.saturating_sub(*sent);
    if behind > most {
        *sent = due - most;
        most
    } else {
        behind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_rates_tick_per_event_fast_rates_batch() {
        assert_eq!(tick_period(5.0), Duration::from_millis(200));
        assert_eq!(tick_period(1000.0), MIN_TICK);
        assert_eq!(tick_period(1e-12), Duration::from_hours(24));
    }

    #[test]
    fn due_follows_the_rate() {
        assert_eq!(due_by(1000.0, Duration::from_millis(10)), 10);
        assert_eq!(due_by(5.0, Duration::from_millis(199)), 0);
        assert_eq!(due_by(5.0, Duration::from_millis(200)), 1);
        assert_eq!(due_by(0.5, Duration::from_secs(3)), 1);
    }

    #[test]
    fn batches_catch_up_but_not_beyond_a_second() {
        let mut sent = 0;
        assert_eq!(batch_size(10, &mut sent, 1000.0), 10);
        sent = 10;
        assert_eq!(batch_size(10, &mut sent, 1000.0), 0);
        // Stalled for a minute at 5/s: send 5 now, skip the rest.
        let mut sent = 0;
        assert_eq!(batch_size(300, &mut sent, 5.0), 5);
        assert_eq!(sent, 295);
    }
}
