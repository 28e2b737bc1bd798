//! Words for how alive a profile is: "last event 3 s ago", why and since when it is
//! quiet or stalled, how many alerts fire. Pure functions over the monitor and the
//! entry's state; the header, the status bar and the profile list share them.

use std::time::{Duration, Instant, SystemTime};

use crate::monitor::Monitor;
use crate::present::units;
use crate::ui::model::entry::Status;
use crate::ui::widgets::format;

/// `last event 3 s ago` (or `no event yet`) while the session runs; `None` when it
/// does not.
#[must_use]
pub fn last_event(monitor: &Monitor, now: Instant) -> Option<String> {
    if !monitor.is_live() {
        return None;
    }
    Some(monitor.last_event_age(now).map_or_else(
        || "no event yet".to_owned(),
        |age| format!("last event {} ago", ago(age)),
    ))
}

/// Whole seconds (minutes and hours when long): `3 s`, `2 m 05 s`.
fn ago(d: Duration) -> String {
    units::whole_seconds(Duration::from_secs(d.as_secs()))
}

/// What hovering a profile's state says: the message behind it and, for quiet and
/// stalled, since when (`since 14:03:07 UTC, 31 s ago`).
#[must_use]
pub fn state_hover(status: &Status, now: Instant) -> Option<String> {
    let message = status.message()?;
    let Status::Badge(badge) = status else {
        return Some(message.to_owned());
    };
    match badge.since() {
        Some(since) => {
            let age = now.saturating_duration_since(since);
            let wall = SystemTime::now()
                .checked_sub(age)
                .unwrap_or(SystemTime::now());
            let clock = format::clock_utc(wall);
            let clock = clock.split('.').next().unwrap_or(&clock);
            Some(format!(
                "{}: {message}\nsince {clock} UTC, {} ago",
                badge.label(),
                ago(age)
            ))
        }
        None => Some(message.to_owned()),
    }
}

/// Alert rules firing now for this monitor (0 without rules or a session).
#[must_use]
pub fn firing(monitor: Option<&Monitor>) -> usize {
    monitor.map_or(0, |m| m.alerts().firing())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Condition;
    use crate::monitor::Badge;

    #[test]
    fn quiet_hover_says_why_and_since_when() {
        let now = Instant::now();
        let status = Status::Badge(Badge::Quiet(Condition {
            since: now.checked_sub(Duration::from_secs(31)).unwrap_or(now),
            why: "no event for 31 s (expected one every 2 s)".into(),
        }));
        let text = state_hover(&status, now).unwrap_or_default();
        assert!(
            text.starts_with("quiet: no event for 31 s (expected one every 2 s)\nsince "),
            "{text}"
        );
        assert!(text.ends_with(" UTC, 31 s ago"), "{text}");
        assert_eq!(state_hover(&Status::Badge(Badge::Holding), now), None);
        assert_eq!(
            state_hover(&Status::Badge(Badge::Error("refused".into())), now).as_deref(),
            Some("refused")
        );
    }
}
