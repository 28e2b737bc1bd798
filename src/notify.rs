//! Desktop notifications for alert transitions: the freedesktop Notifications interface
//! (`org.freedesktop.Notifications.Notify` on the session bus), which dunst,
//! notification-daemon, GNOME Shell, KDE Plasma and others serve.
//!
//! A [`Notifier`] is a handle to one background thread: the face hands it transitions
//! and never waits (the UI thread does no I/O); the thread connects to the session bus
//! on first use and again after a failure, and rate-limits per profile ([`Limiter`]),
//! so a flapping endpoint does not bury the desktop. Without a session bus (a server, CI)
//! the first failure is logged once as a warning and later ones at debug level.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::alert::{AlertState, Transition};

/// At most this many notifications per profile within [`LIMIT_WINDOW`].
pub const LIMIT_MOST: usize = 4;
/// The window [`LIMIT_MOST`] counts over.
pub const LIMIT_WINDOW: Duration = Duration::from_mins(1);
/// How long the daemon shows a notification (milliseconds; the daemon may ignore it).
const EXPIRE_MS: i32 = 10_000;

/// Notifications could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The notifier thread could not be started.
    #[error("cannot start the notification thread: {0}")]
    Thread(#[from] std::io::Error),
    /// The session bus or the notification daemon refused or is missing.
    #[error("desktop notification failed: {0}")]
    Bus(#[from] zbus::Error),
}

/// One notification, as the daemon gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The profile it is about (the rate limit is per profile).
    pub profile: String,
    /// The title: `demo: quiet>30s firing`.
    pub summary: String,
    /// The reason (`no event for 31 s`), markup-escaped.
    pub body: String,
    /// Firing alerts are sent with critical urgency, resolved ones with normal.
    pub critical: bool,
}

impl Note {
    /// The notification for `t`.
    #[must_use]
    pub fn of(t: &Transition) -> Self {
        let fired = t
            .fired_for
            .map(|d| format!(" (fired for {})", crate::present::units::duration(d)))
            .unwrap_or_default();
        Self {
            profile: t.profile.clone(),
            summary: format!("{}: {} {}", t.profile, t.rule, t.state.name()),
            body: escape_markup(&format!("{}{fired}", t.reason)),
            critical: t.state == AlertState::Firing,
        }
    }
}

/// The body may carry markup (the spec's `body-markup`): `&`, `<` and `>` are escaped so
/// a profile name or reason shows as written.
#[must_use]
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Per-profile rate limit: at most `most` notifications in any `window`; what is held
/// back is counted and mentioned in the next one that goes out.
#[derive(Debug)]
pub struct Limiter {
    most: usize,
    window: Duration,
    sent: HashMap<String, VecDeque<Instant>>,
    held: HashMap<String, u32>,
}

impl Limiter {
    /// At most `most` per `window` per profile.
    #[must_use]
    pub fn new(most: usize, window: Duration) -> Self {
        Self {
            most,
            window,
            sent: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// May a notification for `profile` go out at `now`? `Some(n)`: yes, and `n` were
    /// held back before it; `None`: no (it is counted as held back).
    pub fn admit(&mut self, profile: &str, now: Instant) -> Option<u32> {
        let sent = self.sent.entry(profile.to_owned()).or_default();
        while sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            sent.pop_front();
        }
        if sent.len() >= self.most {
            *self.held.entry(profile.to_owned()).or_default() += 1;
            return None;
        }
        sent.push_back(now);
        Some(self.held.remove(profile).unwrap_or(0))
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(LIMIT_MOST, LIMIT_WINDOW)
    }
}

/// Hands notifications to the notifier thread; cheap to clone. The thread ends when the
/// last handle is dropped.
#[derive(Clone, Debug)]
pub struct Notifier {
    tx: Sender<Note>,
}

impl Notifier {
    /// Start the notifier thread (it connects to the session bus on first use).
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub fn start() -> Result<Self, NotifyError> {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("pollscope-notify".into())
            .spawn(move || run(&rx))?;
        Ok(Self { tx })
    }

    /// Notify about `t` (never blocks; dropped if the thread has ended).
    pub fn transition(&self, t: &Transition) {
        // The thread only ends when every handle is gone, so this cannot fail while
        // `self` lives; ignore it anyway rather than panic in a hook.
        let _ = self.tx.send(Note::of(t));
    }
}

/// The notifier thread: one session-bus connection, rate-limited sends.
fn run(rx: &Receiver<Note>) {
    let mut limiter = Limiter::default();
    let mut bus: Option<zbus::blocking::Connection> = None;
    let mut warned = false;
    for note in rx {
        let Some(held) = limiter.admit(&note.profile, Instant::now()) else {
            log::debug!("notification for {} held back (rate limit)", note.profile);
            continue;
        };
        let result = match &bus {
            Some(c) => send(c, &note, held),
            None => zbus::blocking::Connection::session()
                .map_err(NotifyError::from)
                .and_then(|c| {
                    let id = send(&c, &note, held);
                    bus = Some(c);
                    id
                }),
        };
        match result {
            Ok(id) => log::info!("desktop notification {id}: {}", note.summary),
            Err(e) => {
                // Reconnect next time (the daemon or the bus may come back).
                bus = None;
                if warned {
                    log::debug!("{e}");
                } else {
                    log::warn!("{e} (no desktop notifications until it works)");
                    warned = true;
                }
            }
        }
    }
}

/// The app's notifier: one per process, started on first use (`None` if its thread
/// could not start, which is logged).
#[must_use]
pub fn desktop() -> Option<Notifier> {
    static DESKTOP: std::sync::OnceLock<Option<Notifier>> = std::sync::OnceLock::new();
    DESKTOP
        .get_or_init(|| Notifier::start().inspect_err(|e| log::warn!("{e}")).ok())
        .clone()
}

/// `Notify` one note; the daemon's id for it.
fn send(bus: &zbus::blocking::Connection, note: &Note, held: u32) -> Result<u32, NotifyError> {
    use zbus::zvariant::Value;
    let body = if held > 0 {
        format!("{}\n({held} earlier alert(s) not shown)", note.body)
    } else {
        note.body.clone()
    };
    let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
    hints.insert("urgency", Value::U8(if note.critical { 2 } else { 1 }));
    hints.insert("desktop-entry", Value::from("pollscope"));
    let actions: Vec<&str> = Vec::new();
    let reply = bus.call_method(
        Some("org.freedesktop.Notifications"),
        "/org/freedesktop/Notifications",
        Some("org.freedesktop.Notifications"),
        "Notify",
        &(
            "Pollscope",
            0_u32,
            "dialog-warning",
            note.summary.as_str(),
            body.as_str(),
            actions,
            hints,
            EXPIRE_MS,
        ),
    )?;
    Ok(reply.body().deserialize::<u32>()?)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn the_limiter_admits_most_per_window_per_profile_and_counts_the_rest() {
        let t0 = Instant::now();
        let mut l = Limiter::new(2, Duration::from_secs(10));
        assert_eq!(l.admit("a", t0), Some(0));
        assert_eq!(l.admit("a", t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(l.admit("a", t0 + Duration::from_secs(2)), None);
        assert_eq!(l.admit("a", t0 + Duration::from_secs(3)), None);
        // another profile has its own budget
        assert_eq!(l.admit("b", t0 + Duration::from_secs(3)), Some(0));
        // the first send leaves the window: one more goes out, saying two were held
        assert_eq!(l.admit("a", t0 + Duration::from_secs(10)), Some(2));
        assert_eq!(l.admit("a", t0 + Duration::from_secs(10)), None);
        assert_eq!(l.admit("a", t0 + Duration::from_secs(11)), Some(1));
    }

    #[test]
    fn a_note_names_profile_rule_state_and_reason_with_markup_escaped() {
        let t = Transition {
            profile: "a<b>&c".into(),
            rule: "quiet>30s".parse().unwrap(),
            state: AlertState::Resolved,
            at: Instant::now(),
            at_wall: SystemTime::now(),
            fired_for: Some(Duration::from_secs(42)),
            reason: "event <1> arrived".into(),
        };
        let n = Note::of(&t);
        assert_eq!(n.summary, "a<b>&c: quiet>30s resolved");
        assert_eq!(n.body, "event &lt;1&gt; arrived (fired for 42 s)");
        assert!(!n.critical);
        assert_eq!(n.profile, "a<b>&c");
    }
}
