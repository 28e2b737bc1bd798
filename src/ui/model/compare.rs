//! The Compare tab's model: the settings as typed, and where the comparison stands —
//! starting (on a starter thread), running (pumped each frame, never blocking),
//! finishing (on a thread: stopping sessions can take a second), done or failed.
//!
//! No egui, and no knowledge of the workspace: the workspace drives it (start, pump,
//! cancel) and the view draws it.

use std::time::Duration;

use crossbeam_channel::{Receiver, TryRecvError};

use crate::compare::{CompareOptions, Comparison, Running, Variant};

/// Longest comparison the tab starts.
const MAX_DURATION: Duration = Duration::from_hours(1);

/// Why the settings as typed cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A duration that is no number of seconds and no `30s`/`2m`-style text.
    #[error("{what}: {reason} (for example 30s, 2m, 500ms)")]
    BadDuration {
        /// Which field.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The comparison would be too short or too long.
    #[error("duration: between 1 s and 1 h")]
    DurationOutOfRange,
    /// The short-poll interval is under a millisecond.
    #[error("short-poll interval: at least 1 ms")]
    IntervalTooShort,
    /// No variant is ticked.
    #[error("choose at least one variant")]
    NoVariant,
}

/// The tab's settings as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareSettings {
    /// Duration as typed (`30s`, `2m`).
    pub duration: String,
    /// Short-polling interval as typed (`5s`, `500ms`).
    pub interval: String,
    /// Which variants run, in [`Variant::ALL`] order.
    pub variants: [bool; 4],
}

impl Default for CompareSettings {
    fn default() -> Self {
        let defaults = CompareOptions::default();
        Self {
            duration: format!("{}s", defaults.duration.as_secs()),
            interval: format!("{}s", defaults.interval.as_secs()),
            variants: [true; 4],
        }
    }
}

/// `30s`, `1m30s`, `500ms`, or a bare number of seconds.
fn parse_duration(what: &'static str, text: &str) -> Result<Duration, SettingsError> {
    let t = text.trim();
    let bad = |reason: String| SettingsError::BadDuration { what, reason };
    if let Ok(s) = t.parse::<f64>() {
        if (0.0..1e9).contains(&s) {
            return Ok(Duration::from_secs_f64(s));
        }
        return Err(bad("not a duration".to_owned()));
    }
    humantime::parse_duration(t).map_err(|e| bad(e.to_string()))
}

impl CompareSettings {
    /// The options as typed.
    ///
    /// # Errors
    /// The first thing that keeps them from running.
    pub fn options(&self) -> Result<CompareOptions, SettingsError> {
        let duration = parse_duration("duration", &self.duration)?;
        if duration < Duration::from_secs(1) || duration > MAX_DURATION {
            return Err(SettingsError::DurationOutOfRange);
        }
        let interval = parse_duration("short-poll interval", &self.interval)?;
        if interval < Duration::from_millis(1) {
            return Err(SettingsError::IntervalTooShort);
        }
        let variants: Vec<Variant> = Variant::ALL
            .iter()
            .zip(self.variants)
            .filter(|(_, on)| *on)
            .map(|(v, _)| *v)
            .collect();
        if variants.is_empty() {
            return Err(SettingsError::NoVariant);
        }
        Ok(CompareOptions {
            duration,
            interval,
            variants,
        })
    }
}

/// Where the comparison stands.
enum Phase {
    /// Nothing ran yet (or the last run was cancelled).
    Setup,
    /// A starter thread starts the variants.
    Starting {
        ticket: u64,
    },
    Running(Box<Running>),
    /// Time is up; a thread stops the variants and computes the result.
    Finishing(Receiver<Comparison>),
    Done(Box<Comparison>),
    Failed(String),
}

/// What the view shows, borrowed from the model.
pub enum PhaseView<'a> {
    /// The settings only.
    Setup,
    /// The variants are being started.
    Starting,
    /// The variants run.
    Running {
        /// Seconds run so far.
        elapsed_s: f64,
        /// Seconds in all.
        total_s: f64,
        /// The comparison in flight (its live figures, for charts).
        running: &'a Running,
    },
    /// Time is up; the result is being worked out.
    Finishing,
    /// The result.
    Done(&'a Comparison),
    /// Why it could not run.
    Failed(&'a str),
}

/// The Compare tab of one profile.
pub struct CompareTab {
    /// The settings as typed.
    pub settings: CompareSettings,
    phase: Phase,
    /// Seconds the comparison lasts: the charts' x range.
    span_s: f64,
    /// The comparison polls the embedded demo server (keep it running meanwhile).
    uses_demo: bool,
    /// Counts the comparisons started (views keyed by it start over).
    run: u64,
}

impl std::fmt::Debug for CompareTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompareTab")
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

impl Default for CompareTab {
    fn default() -> Self {
        Self {
            settings: CompareSettings::default(),
            phase: Phase::Setup,
            span_s: CompareOptions::default().duration.as_secs_f64(),
            uses_demo: false,
            run: 0,
        }
    }
}

impl CompareTab {
    /// What to show.
    #[must_use]
    pub fn view(&self) -> PhaseView<'_> {
        match &self.phase {
            Phase::Setup => PhaseView::Setup,
            Phase::Starting { .. } => PhaseView::Starting,
            Phase::Running(r) => {
                let (elapsed_s, total_s) = r.progress();
                PhaseView::Running {
                    elapsed_s,
                    total_s,
                    running: r,
                }
            }
            Phase::Finishing(_) => PhaseView::Finishing,
            Phase::Done(c) => PhaseView::Done(c),
            Phase::Failed(m) => PhaseView::Failed(m),
        }
    }

    /// Starting, running or finishing.
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(
            self.phase,
            Phase::Starting { .. } | Phase::Running(_) | Phase::Finishing(_)
        )
    }

    /// The finished comparison.
    #[must_use]
    pub fn result(&self) -> Option<&Comparison> {
        match &self.phase {
            Phase::Done(c) => Some(c),
            _ => None,
        }
    }

    /// The charts' x range in seconds.
    #[must_use]
    pub fn span_s(&self) -> f64 {
        self.span_s
    }

    /// Counts the comparisons started.
    #[must_use]
    pub fn run(&self) -> u64 {
        self.run
    }

    /// An active comparison polls the embedded demo server.
    #[must_use]
    pub fn uses_demo(&self) -> bool {
        self.is_active() && self.uses_demo
    }

    /// Back to the settings (after a result or a failure; never while active).
    pub fn reset(&mut self) {
        if !self.is_active() {
            self.phase = Phase::Setup;
        }
    }

    /// A starter thread starts the variants under `ticket`; the comparison lasts `span`.
    pub(super) fn begin(&mut self, ticket: u64, span: Duration, uses_demo: bool) {
        self.phase = Phase::Starting { ticket };
        self.span_s = span.as_secs_f64();
        self.uses_demo = uses_demo;
        self.run += 1;
    }

    /// The start under `ticket` ended. Returns the variants back when that start is no
    /// longer awaited (cancelled meanwhile), for the caller to stop.
    pub(super) fn started(
        &mut self,
        ticket: u64,
        outcome: Result<Box<Running>, String>,
    ) -> Option<Box<Running>> {
        if !matches!(self.phase, Phase::Starting { ticket: t } if t == ticket) {
            return outcome.ok();
        }
        match outcome {
            Ok(running) => self.phase = Phase::Running(running),
            Err(message) => self.fail(message),
        }
        None
    }

    /// It could not run: show why.
    pub(super) fn fail(&mut self, message: String) {
        self.phase = Phase::Failed(message);
        self.uses_demo = false;
    }

    /// Take in the variants' events. Returns the comparison once its time is up, for
    /// finishing off the UI thread ([`CompareTab::finishing`]).
    pub(super) fn pump(&mut self) -> Option<Box<Running>> {
        let Phase::Running(running) = &mut self.phase else {
            return None;
        };
        running.pump();
        if !running.is_done() {
            return None;
        }
        match std::mem::replace(&mut self.phase, Phase::Setup) {
            Phase::Running(r) => Some(r),
            other => {
                self.phase = other;
                None
            }
        }
    }

    /// A thread finishes the comparison and sends the result over `rx`.
    pub(super) fn finishing(&mut self, rx: Receiver<Comparison>) {
        self.phase = Phase::Finishing(rx);
    }

    /// Take the result if the finishing thread sent it. True when the phase changed.
    pub(super) fn poll_finished(&mut self) -> bool {
        let Phase::Finishing(rx) = &self.phase else {
            return false;
        };
        match rx.try_recv() {
            Ok(c) => {
                self.span_s = self.span_s.max(c.duration_s);
                self.phase = Phase::Done(Box::new(c));
            }
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => {
                self.phase = Phase::Failed("the comparison ended without a result".to_owned());
            }
        }
        self.uses_demo = false;
        true
    }

    /// Cancel: back to the settings. Returns the running variants to stop (none while
    /// starting: that start's outcome is stopped when it comes in).
    pub(super) fn cancel(&mut self) -> Option<Box<Running>> {
        if !matches!(self.phase, Phase::Running(_) | Phase::Starting { .. }) {
            return None;
        }
        self.uses_demo = false;
        match std::mem::replace(&mut self.phase, Phase::Setup) {
            Phase::Running(r) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_as_typed() {
        let mut s = CompareSettings::default();
        let o = s.options().expect("defaults are valid");
        assert_eq!(o.duration, Duration::from_secs(30));
        assert_eq!(o.interval, Duration::from_secs(5));
        assert_eq!(o.variants.len(), 4);
        s.duration = "3".to_owned();
        s.interval = "250ms".to_owned();
        s.variants = [true, false, true, false];
        let o = s.options().expect("valid");
        assert_eq!(o.duration, Duration::from_secs(3));
        assert_eq!(o.interval, Duration::from_millis(250));
        assert_eq!(
            o.variants,
            [Variant::LongKeepAlive, Variant::ShortKeepAlive]
        );
        s.duration = "soon".to_owned();
        assert!(
            s.options()
                .is_err_and(|e| e.to_string().starts_with("duration"))
        );
        s.duration = "0.5s".to_owned();
        assert_eq!(s.options().err(), Some(SettingsError::DurationOutOfRange));
        s.duration = "10s".to_owned();
        s.variants = [false; 4];
        assert_eq!(s.options().err(), Some(SettingsError::NoVariant));
    }

    #[test]
    fn a_start_no_longer_awaited_is_handed_back() {
        let mut tab = CompareTab::default();
        tab.begin(1, Duration::from_secs(3), true);
        assert!(tab.is_active() && tab.uses_demo());
        assert!(matches!(tab.view(), PhaseView::Starting));
        assert!(tab.cancel().is_none(), "nothing runs yet");
        assert!(!tab.is_active() && !tab.uses_demo());
        // The cancelled start fails late: the tab stays in the settings.
        assert!(tab.started(1, Err("late".to_owned())).is_none());
        assert!(matches!(tab.view(), PhaseView::Setup));
        tab.begin(2, Duration::from_secs(3), false);
        tab.started(2, Err("refused".to_owned()));
        assert!(matches!(tab.view(), PhaseView::Failed("refused")));
    }
}
