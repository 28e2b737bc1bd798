//! Is anything arriving? The last event's time, the event rate learned from the gaps
//! between answers that carried events, and from them the **quiet** state (no event
//! for longer than expected) and the **stalled** state (every poller failing, or
//! waiting past the client timeout), each with why and since when.
//!
//! Fed [`PollEvent`]s; asked with a caller-supplied `now` (tests use synthetic time).

use std::time::{Duration, Instant};

use crate::poll::event::SessionChange;
use crate::poll::{ErrorKind, PollEvent};
use crate::present::units::{self, whole_seconds};
use crate::profile::MAX_POLLERS;

/// A learned quiet threshold is never below this: a few seconds without events is
/// normal for almost any stream.
pub const QUIET_FLOOR: Duration = Duration::from_secs(10);
/// …nor above this.
pub const QUIET_CEILING: Duration = Duration::from_hours(24);
/// The learned threshold is this many typical gaps: for events arriving at random
/// (Poisson) at the learned rate, a silence that long happens with probability
/// e^-10 ≈ 0.005 %.
pub const QUIET_GAPS: f64 = 10.0;
/// Gaps seen before the rate is trusted.
pub const MIN_GAPS: u32 = 5;
/// Weight of the newest gap in the running average.
const GAP_WEIGHT: f64 = 0.1;
/// A poller has stalled after this many failures in a row (a timeout counts at once:
/// a whole client timeout passed without an answer).
pub const STALL_AFTER_FAILURES: u32 = 2;
/// A poll out this long past the client timeout has stalled even before the timeout
/// reports (it should have fired).
pub const STALL_GRACE: Duration = Duration::from_secs(2);

/// A state and why it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// When it began.
    pub since: Instant,
    /// A sentence for a tooltip or a notification.
    pub why: String,
}

/// Where a quiet threshold comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// The profile sets it.
    Configured(Duration),
    /// Learned from the event rate.
    Learned(Duration),
}

impl Threshold {
    /// The threshold, wherever it came from.
    #[must_use]
    pub fn duration(self) -> Duration {
        match self {
            Self::Configured(d) | Self::Learned(d) => d,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct PollerHealth {
    reported: bool,
    stopped: bool,
    /// The poll out now was sent then.
    holding_since: Option<Instant>,
    /// Failures in a row.
    streak: u32,
    /// When this poller's streak made it count as stalled.
    stuck_since: Option<Instant>,
    last_failure: Option<(ErrorKind, String)>,
}

/// What the answers and failures of one session say about its liveness.
#[derive(Clone, Debug)]
pub struct Liveness {
    started: Instant,
    client_timeout: Duration,
    quiet_after: Option<Duration>,
    last_event: Option<Instant>,
    last_answer: Option<Instant>,
    /// Running average of the gap between answers with events, in seconds.
    gap_s: Option<f64>,
    gaps: u32,
    pollers: Vec<PollerHealth>,
}

impl Liveness {
    /// A session started at `started` whose polls time out after `client_timeout`;
    /// `quiet_after` is the profile's own threshold (`None`: learn it).
    #[must_use]
    pub fn new(started: Instant, client_timeout: Duration, quiet_after: Option<Duration>) -> Self {
        Self {
            started,
            client_timeout,
            quiet_after,
            last_event: None,
            last_answer: None,
            gap_s: None,
            gaps: 0,
            pollers: Vec::new(),
        }
    }

    /// Take one event into account.
    pub fn observe(&mut self, event: &PollEvent) {
        let index = event.poller();
        match event {
            PollEvent::PollStarted { at, .. } => {
                if let Some(p) = self.poller(index) {
                    p.holding_since = Some(*at);
                }
            }
            PollEvent::Response(r) => {
                if !r.events.is_empty() {
                    self.event_at(r.received);
                }
                self.answered(index, r.received);
            }
            PollEvent::Resynced(r) => self.answered(index, r.at),
            PollEvent::Failed(f) => {
                if let Some(p) = self.poller(index) {
                    p.holding_since = None;
                    p.streak = p.streak.saturating_add(1);
                    if f.kind == ErrorKind::Timeout || p.streak >= STALL_AFTER_FAILURES {
                        p.stuck_since.get_or_insert(f.at);
                    }
                    p.last_failure = Some((f.kind, f.message.clone()));
                }
            }
            PollEvent::Stopped { .. } | PollEvent::PollerDied { .. } => {
                if let Some(p) = self.poller(index) {
                    p.stopped = true;
                    p.holding_since = None;
                }
            }
            // The server ended a protocol session: it is answering.
            PollEvent::Session(s) => {
                if let SessionChange::Lost { poll: Some(_), .. } = &s.change {
                    self.answered(index, s.at);
                }
            }
            PollEvent::Connected { .. }
            | PollEvent::StaleRetry { .. }
            | PollEvent::Redirected(_) => {}
        }
    }

    fn poller(&mut self, index: usize) -> Option<&mut PollerHealth> {
        if index >= MAX_POLLERS as usize {
            return None;
        }
        if index >= self.pollers.len() {
            self.pollers.resize_with(index + 1, PollerHealth::default);
        }
        let p = self.pollers.get_mut(index)?;
        p.reported = true;
        Some(p)
    }

    fn answered(&mut self, index: usize, at: Instant) {
        self.last_answer = Some(self.last_answer.map_or(at, |t| t.max(at)));
        if let Some(p) = self.poller(index) {
            p.holding_since = None;
            p.streak = 0;
            p.stuck_since = None;
        }
    }

    fn event_at(&mut self, at: Instant) {
        if let Some(last) = self.last_event {
            if at <= last {
                return;
            }
            let gap = (at - last).as_secs_f64();
            self.gap_s = Some(match self.gap_s {
                Some(avg) => avg + GAP_WEIGHT * (gap - avg),
                None => gap,
            });
            self.gaps = self.gaps.saturating_add(1);
        }
        self.last_event = Some(at);
    }

    /// When the newest event arrived.
    #[must_use]
    pub fn last_event(&self) -> Option<Instant> {
        self.last_event
    }

    /// When the newest answer (with or without events) arrived.
    #[must_use]
    pub fn last_answer(&self) -> Option<Instant> {
        self.last_answer
    }

    /// When the session started.
    #[must_use]
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Events per second as learned (from answers with events), once trusted.
    #[must_use]
    pub fn learned_rate(&self) -> Option<f64> {
        (self.gaps >= MIN_GAPS)
            .then_some(self.gap_s?)
            .filter(|g| *g > 0.0)
            .map(|g| 1.0 / g)
    }

    /// How long without an event counts as quiet, if known yet.
    #[must_use]
    pub fn quiet_threshold(&self) -> Option<Threshold> {
        if let Some(d) = self.quiet_after {
            return Some(Threshold::Configured(d));
        }
        if self.gaps < MIN_GAPS {
            return None;
        }
        let gap = self.gap_s?;
        let learned = Duration::try_from_secs_f64(gap * QUIET_GAPS).unwrap_or(QUIET_CEILING);
        Some(Threshold::Learned(
            learned.clamp(QUIET_FLOOR, QUIET_CEILING),
        ))
    }

    /// Quiet: no event for longer than the threshold (measured from the session's
    /// start while nothing has arrived).
    #[must_use]
    pub fn quiet(&self, now: Instant) -> Option<Condition> {
        let threshold = self.quiet_threshold()?;
        let from = self.last_event.unwrap_or(self.started);
        let since = from.checked_add(threshold.duration())?;
        if now <= since {
            return None;
        }
        let silent = whole_seconds(now.saturating_duration_since(from));
        let what = match self.last_event {
            Some(_) => format!("no event for {silent}"),
            None => format!("no event since connecting {silent} ago"),
        };
        let expected = match threshold {
            Threshold::Configured(d) => {
                format!("the profile expects one within {}", whole_seconds(d))
            }
            Threshold::Learned(d) => format!(
                "expected one within {} (learned from a rate of {})",
                whole_seconds(d),
                units::per_second(self.learned_rate().unwrap_or(0.0))
            ),
        };
        Some(Condition {
            since,
            why: format!("{what}; {expected}"),
        })
    }

    /// Stalled: every poller that has reported is failing or has waited past the
    /// client timeout (or, before any report, nothing came back within it).
    #[must_use]
    pub fn stalled(&self, now: Instant) -> Option<Condition> {
        let overdue = self.client_timeout.saturating_add(STALL_GRACE);
        let live: Vec<&PollerHealth> = self
            .pollers
            .iter()
            .filter(|p| p.reported && !p.stopped)
            .collect();
        if self.pollers.iter().all(|p| !p.reported) {
            let since = self.started.checked_add(overdue)?;
            return (now >= since).then(|| Condition {
                since,
                why: format!(
                    "nothing came back within the client timeout ({})",
                    whole_seconds(self.client_timeout)
                ),
            });
        }
        let mut since: Option<Instant> = None;
        for p in &live {
            let stuck = p.stuck_since.or_else(|| {
                p.holding_since
                    .and_then(|t| t.checked_add(overdue))
                    .filter(|t| now >= *t)
            })?;
            since = Some(since.map_or(stuck, |s| s.max(stuck)));
        }
        let since = since?;
        Some(Condition {
            since,
            why: self.stall_reason(&live),
        })
    }

    fn stall_reason(&self, live: &[&PollerHealth]) -> String {
        let timeout = whole_seconds(self.client_timeout);
        let failing = live
            .iter()
            .filter(|p| p.stuck_since.is_some())
            .max_by_key(|p| p.streak);
        match failing.and_then(|p| Some((p.streak, p.last_failure.as_ref()?))) {
            Some((_, (ErrorKind::Timeout, _))) => {
                format!("no answer within the client timeout ({timeout})")
            }
            Some((streak, (kind, message))) => format!(
                "{streak} polls failed in a row: {message} [{}]",
                kind.name()
            ),
            None => format!("no answer within the client timeout ({timeout})"),
        }
    }

    /// The next instant at which quiet or stalled may begin with no new event (a
    /// watcher should look again then).
    #[must_use]
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        let overdue = self.client_timeout.saturating_add(STALL_GRACE);
        let quiet = self.quiet_threshold().and_then(|t| {
            self.last_event
                .unwrap_or(self.started)
                .checked_add(t.duration())
        });
        let first_report = if self.pollers.iter().all(|p| !p.reported) {
            self.started.checked_add(overdue)
        } else {
            None
        };
        let holds = self
            .pollers
            .iter()
            .filter(|p| !p.stopped && p.stuck_since.is_none())
            .filter_map(|p| p.holding_since?.checked_add(overdue));
        quiet
            .into_iter()
            .chain(first_report)
            .chain(holds)
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll::{Payload, PollFailure, PollResponse, ReceivedEvent};

    const TIMEOUT: Duration = Duration::from_secs(35);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn answer(poller: usize, at: Instant, events: usize) -> PollEvent {
        let events = (0..events)
            .map(|_| ReceivedEvent {
                payload: Payload::Text("x".to_owned()),
                seq: None,
                latency_ms: None,
            })
            .collect();
        PollEvent::Response(Box::new(PollResponse {
            events,
            ..PollResponse::new(poller, at, at)
        }))
    }

    fn failure(poller: usize, at: Instant, kind: ErrorKind) -> PollEvent {
        PollEvent::Failed(Box::new(PollFailure {
            status: Some(503),
            elapsed: ms(1),
            backoff: ms(500),
            ..PollFailure::new(poller, at, kind, "HTTP 503 Service Unavailable".to_owned())
        }))
    }

    #[test]
    fn the_quiet_threshold_is_learned_with_a_floor() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, TIMEOUT, None);
        // 5 events/s: ten gaps are 2 s, under the floor.
        for i in 0..=MIN_GAPS {
            l.observe(&answer(0, t0 + ms(200 * u64::from(i)), 1));
        }
        assert_eq!(l.quiet_threshold(), Some(Threshold::Learned(QUIET_FLOOR)));
        let last = t0 + ms(200 * u64::from(MIN_GAPS));
        assert_eq!(l.last_event(), Some(last));
        assert!(
            l.quiet(last + QUIET_FLOOR).is_none(),
            "exactly at the limit"
        );
        let quiet = l.quiet(last + QUIET_FLOOR + ms(1)).expect("quiet");
        assert_eq!(quiet.since, last + QUIET_FLOOR);
        assert!(quiet.why.contains("no event for 10 s"), "{}", quiet.why);
        assert!(quiet.why.contains("a rate of 5/s"), "{}", quiet.why);
        assert_eq!(l.next_change(last), Some(last + QUIET_FLOOR));
        // An event ends it.
        l.observe(&answer(0, last + ms(20_000), 3));
        assert!(l.quiet(last + ms(20_001)).is_none());
    }

    #[test]
    fn a_slow_stream_learns_a_longer_threshold_and_few_gaps_none() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, TIMEOUT, None);
        l.observe(&answer(0, t0, 1));
        l.observe(&answer(0, t0 + ms(60_000), 1));
        assert_eq!(l.quiet_threshold(), None, "two events teach nothing yet");
        assert!(l.quiet(t0 + ms(3_600_000)).is_none());
        for i in 2..=6 {
            l.observe(&answer(0, t0 + ms(60_000 * i), 1));
        }
        assert_eq!(
            l.quiet_threshold(),
            Some(Threshold::Learned(Duration::from_mins(10)))
        );
        // Empty answers are not events.
        l.observe(&answer(0, t0 + ms(900_000), 0));
        assert_eq!(l.last_event(), Some(t0 + ms(360_000)));
        assert!(l.quiet(t0 + ms(960_001)).is_some());
    }

    #[test]
    fn a_configured_threshold_counts_from_the_start() {
        let t0 = Instant::now();
        let l = Liveness::new(t0, TIMEOUT, Some(Duration::from_secs(3)));
        let q = l.quiet(t0 + Duration::from_secs(4)).expect("quiet");
        assert_eq!(q.since, t0 + Duration::from_secs(3));
        assert!(q.why.contains("since connecting 4 s ago"), "{}", q.why);
        assert!(
            q.why.contains("the profile expects one within 3 s"),
            "{}",
            q.why
        );
    }

    #[test]
    fn failures_in_a_row_on_every_poller_stall() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, TIMEOUT, None);
        l.observe(&answer(0, t0, 1));
        l.observe(&answer(1, t0, 1));
        for k in 1..=3 {
            l.observe(&failure(0, t0 + ms(k * 100), ErrorKind::HttpStatus));
        }
        assert!(l.stalled(t0 + ms(400)).is_none(), "poller 1 still fine");
        l.observe(&failure(1, t0 + ms(500), ErrorKind::HttpStatus));
        assert!(l.stalled(t0 + ms(600)).is_none(), "one failure is a blip");
        l.observe(&failure(1, t0 + ms(700), ErrorKind::HttpStatus));
        let s = l.stalled(t0 + ms(800)).expect("stalled");
        assert_eq!(s.since, t0 + ms(700), "when the last poller stalled");
        assert_eq!(
            s.why,
            "3 polls failed in a row: HTTP 503 Service Unavailable [http_status]"
        );
        l.observe(&answer(1, t0 + ms(900), 0));
        assert!(l.stalled(t0 + ms(901)).is_none(), "an answer ends it");
    }

    #[test]
    fn a_timeout_stalls_at_once_and_an_overdue_poll_before_it_reports() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, TIMEOUT, None);
        l.observe(&PollEvent::PollStarted { poller: 0, at: t0 });
        assert!(l.stalled(t0 + TIMEOUT).is_none());
        assert_eq!(l.next_change(t0), Some(t0 + TIMEOUT + STALL_GRACE));
        let s = l.stalled(t0 + TIMEOUT + STALL_GRACE).expect("overdue");
        assert_eq!(s.since, t0 + TIMEOUT + STALL_GRACE);
        assert!(s.why.contains("client timeout (35 s)"), "{}", s.why);
        l.observe(&failure(0, t0 + TIMEOUT, ErrorKind::Timeout));
        let s = l.stalled(t0 + TIMEOUT).expect("timeout");
        assert_eq!(s.since, t0 + TIMEOUT);
        assert!(
            s.why.contains("no answer within the client timeout"),
            "{}",
            s.why
        );
    }

    #[test]
    fn nothing_at_all_stalls_after_the_client_timeout() {
        let t0 = Instant::now();
        let l = Liveness::new(t0, TIMEOUT, None);
        assert!(l.stalled(t0 + TIMEOUT).is_none());
        assert!(l.stalled(t0 + TIMEOUT + STALL_GRACE).is_some());
    }

    #[test]
    fn stopped_pollers_do_not_count() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, TIMEOUT, None);
        l.observe(&failure(0, t0, ErrorKind::Timeout));
        l.observe(&answer(1, t0, 0));
        l.observe(&PollEvent::Stopped { poller: 1, at: t0 });
        assert!(l.stalled(t0 + ms(1)).is_some());
        l.observe(&PollEvent::Stopped {
            poller: usize::MAX,
            at: t0,
        });
        assert!(l.pollers.len() <= 2, "bogus indices allocate nothing");
    }
}
