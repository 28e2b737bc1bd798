//! The evaluator: one profile's rules, fed its [`PollEvent`]s, asked at a given `now`
//! which rules hold; each rule is firing or resolved, and every change is a
//! [`Transition`] (kept in a bounded history and returned to the caller, who prints,
//! exports or notifies).

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::liveness::{Condition, Liveness};
use super::rule::{Rule, span};
use super::window::{CountWindow, Counts, HistWindow};
use crate::poll::event::SessionChange;
use crate::poll::{AnswerKind, PollEvent, PollResponse};
use crate::present::units::{millis, whole_seconds};
use crate::profile::{MAX_POLLERS, Profile};
use crate::stats::{Seq, track_seq};

/// Transitions kept per profile (the newest).
pub const HISTORY_CAP: usize = 500;
/// Answers a `reuse` rule needs in its window before it judges: the first answer of a
/// session always opens a connection.
pub const MIN_REUSE_ANSWERS: u64 = 10;
/// Empty answers a `hold` rule needs in its window before it judges.
pub const MIN_HOLD_ANSWERS: u64 = 3;

/// Firing or resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The rule's condition holds.
    Firing,
    /// It held and no longer does.
    Resolved,
}

impl AlertState {
    /// `firing` or `resolved`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// A rule starting or stopping to fire.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    /// The profile's name.
    pub profile: String,
    /// The rule that changed.
    pub rule: Rule,
    /// What it changed to.
    pub state: AlertState,
    /// When it changed.
    pub at: Instant,
    /// The same, by the wall clock.
    pub at_wall: SystemTime,
    /// For a resolved alert: how long it had fired.
    pub fired_for: Option<Duration>,
    /// What was measured, as a sentence ("no event for 31 s").
    pub reason: String,
}

impl Transition {
    /// One line of text: `FIRING demo quiet>30s: no event for 31 s`.
    #[must_use]
    pub fn line(&self) -> String {
        let state = match self.state {
            AlertState::Firing => "FIRING",
            AlertState::Resolved => "RESOLVED",
        };
        let fired = self
            .fired_for
            .map(|d| format!(" (fired for {})", whole_seconds(d)))
            .unwrap_or_default();
        format!(
            "{state} {} {}: {}{fired}",
            self.profile, self.rule, self.reason
        )
    }

    /// As a JSON object (one line of `--json` output).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "type": "alert",
            "profile": self.profile,
            "rule": self.rule.to_string(),
            "state": self.state.name(),
            "at": humantime::format_rfc3339_millis(self.at_wall).to_string(),
            "fired_for_s": self.fired_for.map(|d| d.as_secs_f64()),
            "reason": self.reason,
        })
    }
}

/// One rule now.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleStatus {
    /// The rule.
    pub rule: Rule,
    /// Since when it fires.
    pub firing_since: Option<Instant>,
    /// The last reading, as a sentence.
    pub reading: Option<String>,
    /// How often it has fired.
    pub fired: u64,
}

/// What a rule looks back over.
#[derive(Clone, Debug)]
enum Data {
    Nothing,
    Counts(CountWindow),
    Hist(HistWindow),
}

#[derive(Clone, Debug)]
struct Tracked {
    rule: Rule,
    data: Data,
    firing_since: Option<Instant>,
    reading: Option<String>,
    fired: u64,
}

/// A reading of one rule.
struct Reading {
    breached: bool,
    text: String,
}

/// One profile's alert rules, evaluated over what its session reports.
#[derive(Clone, Debug)]
pub struct Alerts {
    profile: String,
    liveness: Liveness,
    rules: Vec<Tracked>,
    /// Last sequence number per poller, for lost events.
    seqs: Vec<Option<i64>>,
    history: VecDeque<Transition>,
    fired: u64,
}

impl Alerts {
    /// The rules of `profile` for a session started at `started`.
    #[must_use]
    pub fn for_profile(profile: &Profile, started: Instant) -> Self {
        Self::new(
            &profile.name,
            &profile.alerts.rules,
            Liveness::new(
                started,
                profile.client_timeout(),
                profile.alerts.quiet_after(),
            ),
        )
    }

    /// `rules` for the profile called `profile`, over `liveness`.
    #[must_use]
    pub fn new(profile: &str, rules: &[Rule], liveness: Liveness) -> Self {
        let origin = liveness.started();
        let rules = rules
            .iter()
            .map(|rule| Tracked {
                data: match rule {
                    Rule::LatencyP99 { window, .. } | Rule::HoldP50 { window, .. } => {
                        Data::Hist(HistWindow::new(origin, *window))
                    }
                    Rule::ErrorRatio { window, .. }
                    | Rule::Lost { window, .. }
                    | Rule::ReuseRatio { window, .. } => {
                        Data::Counts(CountWindow::new(origin, *window))
                    }
                    Rule::Quiet { .. } | Rule::Stalled { .. } | Rule::OpenConnections { .. } => {
                        Data::Nothing
                    }
                },
                rule: rule.clone(),
                firing_since: None,
                reading: None,
                fired: 0,
            })
            .collect();
        Self {
            profile: profile.to_owned(),
            liveness,
            rules,
            seqs: Vec::new(),
            history: VecDeque::new(),
            fired: 0,
        }
    }

    /// Take one event into account.
    pub fn observe(&mut self, event: &PollEvent) {
        self.liveness.observe(event);
        match event {
            PollEvent::Response(r) => self.observe_answer(r),
            PollEvent::Failed(f) => {
                let delta = Counts {
                    polls: 1,
                    errors: 1,
                    ..Counts::default()
                };
                self.count(f.at, &delta);
            }
            PollEvent::Resynced(r) => {
                if let Some(seq) = self.seqs.get_mut(r.poller) {
                    *seq = None;
                }
                let delta = Counts {
                    polls: 1,
                    lost: r.skipped.unwrap_or(0),
                    ..Counts::default()
                };
                self.count(r.at, &delta);
            }
            PollEvent::Session(s) => {
                if let SessionChange::Lost { poll, .. } = &s.change {
                    // A new session may number its events anywhere.
                    if let Some(seq) = self.seqs.get_mut(s.poller) {
                        *seq = None;
                    }
                    if poll.is_some() {
                        // The answer that said so: a poll, not an error.
                        let delta = Counts {
                            polls: 1,
                            ..Counts::default()
                        };
                        self.count(s.at, &delta);
                    }
                }
            }
            PollEvent::PollStarted { .. }
            | PollEvent::Connected { .. }
            | PollEvent::Redirected(_)
            | PollEvent::StaleRetry { .. }
            | PollEvent::Stopped { .. }
            | PollEvent::PollerDied { .. } => {}
        }
    }

    fn observe_answer(&mut self, r: &PollResponse) {
        let mut lost = 0u64;
        if r.poller < MAX_POLLERS as usize {
            if self.seqs.len() <= r.poller {
                self.seqs.resize(r.poller + 1, None);
            }
            if let Some(last) = self.seqs.get_mut(r.poller) {
                for seq in r.events.iter().filter_map(|e| e.seq) {
                    if let Seq::Gap(n) = track_seq(last, seq) {
                        lost = lost.saturating_add(n);
                    }
                }
            }
        }
        let delta = Counts {
            polls: 1,
            answers: 1,
            reused: u64::from(r.connection.reused),
            lost,
            ..Counts::default()
        };
        self.count(r.received, &delta);
        let empty = r.kind() == AnswerKind::Empty;
        let hold_ms = r.hold.as_secs_f64() * 1000.0;
        for t in &mut self.rules {
            match (&t.rule, &mut t.data) {
                (Rule::LatencyP99 { .. }, Data::Hist(h)) => {
                    for ms in r.events.iter().filter_map(|e| e.latency_ms) {
                        h.record_ms(r.received, ms);
                    }
                }
                (Rule::HoldP50 { .. }, Data::Hist(h)) if empty => h.record_ms(r.received, hold_ms),
                _ => {}
            }
        }
    }

    fn count(&mut self, at: Instant, delta: &Counts) {
        for t in &mut self.rules {
            if let Data::Counts(w) = &mut t.data {
                w.add(at, delta);
            }
        }
    }

    /// Judge every rule as of `now`, with `open_connections` the transport's count;
    /// returns the rules that changed state (also added to the history).
    pub fn evaluate(&mut self, now: Instant, open_connections: usize) -> Vec<Transition> {
        let stalled = self.liveness.stalled(now);
        let last_event = self.liveness.last_event();
        let started = self.liveness.started();
        let mut changes = Vec::new();
        for t in &mut self.rules {
            let reading = read(
                t,
                now,
                open_connections,
                stalled.as_ref(),
                last_event,
                started,
            );
            let change = match (reading.breached, t.firing_since) {
                (true, None) => {
                    t.firing_since = Some(now);
                    t.fired = t.fired.saturating_add(1);
                    self.fired = self.fired.saturating_add(1);
                    Some((AlertState::Firing, None))
                }
                (false, Some(since)) => {
                    t.firing_since = None;
                    Some((
                        AlertState::Resolved,
                        Some(now.saturating_duration_since(since)),
                    ))
                }
                _ => None,
            };
            if let Some((state, fired_for)) = change {
                changes.push(Transition {
                    profile: self.profile.clone(),
                    rule: t.rule.clone(),
                    state,
                    at: now,
                    at_wall: wall_time(now),
                    fired_for,
                    reason: reading.text.clone(),
                });
            }
            t.reading = Some(reading.text);
        }
        for c in &changes {
            if self.history.len() >= HISTORY_CAP {
                self.history.pop_front();
            }
            self.history.push_back(c.clone());
        }
        changes
    }

    /// When to evaluate again at the latest, events aside: a quiet or stall threshold
    /// is crossed, or old values leave a window. `None`: only an event can change
    /// anything (or an open-connections rule, which follows the transport: poll it).
    #[must_use]
    pub fn next_check(&self, now: Instant) -> Option<Instant> {
        let from = self
            .liveness
            .last_event()
            .unwrap_or(self.liveness.started());
        let stall = self.liveness.stalled(now).map(|c| c.since);
        let rules = self.rules.iter().filter_map(|t| match (&t.rule, &t.data) {
            (Rule::Quiet { after }, _) if t.firing_since.is_none() => from.checked_add(*after),
            (Rule::Stalled { after }, _) if t.firing_since.is_none() => {
                stall.and_then(|s| s.checked_add(*after))
            }
            (_, Data::Counts(w)) => w.next_change(),
            (_, Data::Hist(h)) => h.next_change(),
            _ => None,
        });
        rules
            .chain(self.liveness.next_change(now))
            .map(|t| t.max(now))
            .min()
    }

    /// Each rule's state and last reading.
    #[must_use]
    pub fn statuses(&self) -> Vec<RuleStatus> {
        self.rules
            .iter()
            .map(|t| RuleStatus {
                rule: t.rule.clone(),
                firing_since: t.firing_since,
                reading: t.reading.clone(),
                fired: t.fired,
            })
            .collect()
    }

    /// Rules firing now.
    #[must_use]
    pub fn firing(&self) -> usize {
        self.rules
            .iter()
            .filter(|t| t.firing_since.is_some())
            .count()
    }

    /// Times any rule started firing.
    #[must_use]
    pub fn fired(&self) -> u64 {
        self.fired
    }

    /// The newest transitions, oldest first.
    #[must_use]
    pub fn history(&self) -> &VecDeque<Transition> {
        &self.history
    }

    /// Quiet and stalled states, the last event.
    #[must_use]
    pub fn liveness(&self) -> &Liveness {
        &self.liveness
    }

    /// The profile's name.
    #[must_use]
    pub fn profile(&self) -> &str {
        &self.profile
    }
}

/// The wall-clock time of `at`, as well as the monotonic clock can tell.
fn wall_time(at: Instant) -> SystemTime {
    let now = Instant::now();
    let wall = SystemTime::now();
    if at <= now {
        wall.checked_sub(now - at).unwrap_or(wall)
    } else {
        wall.checked_add(at - now).unwrap_or(wall)
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per alert rule, side by side; split, the rules would be scattered"
)]
fn read(
    t: &mut Tracked,
    now: Instant,
    open_connections: usize,
    stalled: Option<&Condition>,
    last_event: Option<Instant>,
    started: Instant,
) -> Reading {
    let in_window = |w: Duration| format!("in the last {}", span(w));
    match (&t.rule, &mut t.data) {
        (Rule::Quiet { after }, _) => {
            let silent = now.saturating_duration_since(last_event.unwrap_or(started));
            let text = match last_event {
                // (the reading a resolved quiet alert carries)
                Some(_) if silent < Duration::from_secs(1) => "an event just arrived".to_owned(),
                Some(_) => format!("no event for {}", whole_seconds(silent)),
                None => format!("no event since connecting {} ago", whole_seconds(silent)),
            };
            Reading {
                breached: silent > *after,
                text,
            }
        }
        (Rule::Stalled { after }, _) => match stalled {
            Some(c) => {
                let d = now.saturating_duration_since(c.since);
                Reading {
                    breached: d >= *after,
                    text: format!("stalled for {}: {}", whole_seconds(d), c.why),
                }
            }
            None => Reading {
                breached: false,
                text: "answering".to_owned(),
            },
        },
        (Rule::OpenConnections { count }, _) => Reading {
            breached: open_connections as u64 > *count,
            text: format!("{open_connections} open connection(s)"),
        },
        (Rule::ErrorRatio { percent, window }, Data::Counts(w)) => {
            w.expire(now);
            let c = w.total(now);
            if c.polls == 0 {
                return quiet_reading(format!("no polls completed {}", in_window(*window)));
            }
            let ratio = c.errors as f64 / c.polls as f64 * 100.0;
            Reading {
                breached: ratio > *percent,
                text: format!(
                    "errors {ratio:.1}% of {} poll(s) {}",
                    c.polls,
                    in_window(*window)
                ),
            }
        }
        (Rule::ReuseRatio { percent, window }, Data::Counts(w)) => {
            w.expire(now);
            let c = w.total(now);
            if c.answers < MIN_REUSE_ANSWERS {
                return quiet_reading(format!(
                    "{} answer(s) {}; reuse is judged from {MIN_REUSE_ANSWERS}",
                    c.answers,
                    in_window(*window)
                ));
            }
            let ratio = c.reused as f64 / c.answers as f64 * 100.0;
            Reading {
                breached: ratio < *percent,
                text: format!(
                    "reuse {ratio:.1}% of {} answers {}",
                    c.answers,
                    in_window(*window)
                ),
            }
        }
        (Rule::Lost { count, window }, Data::Counts(w)) => {
            w.expire(now);
            let lost = w.total(now).lost;
            Reading {
                breached: lost > *count,
                text: format!("{lost} event(s) lost {}", in_window(*window)),
            }
        }
        (Rule::LatencyP99 { ms, window }, Data::Hist(h)) => {
            h.expire(now);
            match h.quantile_ms(0.99) {
                Some((p99, n)) => Reading {
                    breached: p99 > *ms,
                    text: format!(
                        "event latency p99 {} over {n} event(s) {}",
                        millis(p99),
                        in_window(*window)
                    ),
                },
                None => quiet_reading(format!("no event latency {}", in_window(*window))),
            }
        }
        (Rule::HoldP50 { ms, window }, Data::Hist(h)) => {
            h.expire(now);
            match h.quantile_ms(0.5) {
                Some((p50, n)) if n >= MIN_HOLD_ANSWERS => Reading {
                    breached: p50 < *ms,
                    text: format!(
                        "empty-hold p50 {} over {n} empty answer(s) {}",
                        millis(p50),
                        in_window(*window)
                    ),
                },
                other => quiet_reading(format!(
                    "{} empty answer(s) {}; holds are judged from {MIN_HOLD_ANSWERS}",
                    other.map_or(0, |(_, n)| n),
                    in_window(*window)
                )),
            }
        }
        // Each windowed rule is built with its data (see `Alerts::new`).
        (_, _) => quiet_reading("not measured".to_owned()),
    }
}

fn quiet_reading(text: String) -> Reading {
    Reading {
        breached: false,
        text,
    }
}

#[cfg(test)]
mod tests;
