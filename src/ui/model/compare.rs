//! The Compare tab's model: the settings as typed, the comparison in flight (pumped each
//! frame, never blocking), its finishing on a background thread (stopping sessions can
//! take a second), the result, and the chart series the plots borrow.
//!
//! The workspace commands that drive it (`compare_start`, `compare_cancel`, pumping) are
//! here too. No egui (only egui_plot's point type, for borrowed plot data).

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use egui_plot::PlotPoint;

use crate::compare::{CompareOptions, Comparison, Running, Variant};
use crate::stats::Stats;
use crate::ui::model::workspace::{EntryId, Workspace};

/// How often the live chart series are rebuilt while a comparison runs.
pub const CHART_EVERY: Duration = Duration::from_millis(250);
/// Longest comparison the tab starts.
const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Where the comparison stands.
enum Phase {
    /// Nothing ran yet (or the last run was cancelled).
    Setup,
    Running(Box<Running>),
    /// Time is up; a thread stops the variants and computes the result.
    Finishing(Receiver<Comparison>),
    Done(Box<Comparison>),
    Failed(String),
}

/// What the view shows, borrowed from the model.
pub enum PhaseView<'a> {
    Setup,
    Running { elapsed_s: f64, total_s: f64 },
    Finishing,
    Done(&'a Comparison),
    Failed(&'a str),
}

/// One variant's series for the four charts, and its totals so far.
#[derive(Clone, Debug)]
pub struct LaneSeries {
    pub variant: Variant,
    /// Cumulative requests sent, per second.
    pub requests: Vec<PlotPoint>,
    /// Cumulative new TCP connections, per second.
    pub connections: Vec<PlotPoint>,
    /// Delivery delay median of the events received in each second.
    pub delay_ms: Vec<PlotPoint>,
    /// Connections open (sampled).
    pub held: Vec<PlotPoint>,
    pub total_requests: u64,
    pub total_connections: u64,
    pub total_events: u64,
}

impl LaneSeries {
    fn from_stats(variant: Variant, stats: &Stats, held: &[[f64; 2]]) -> Self {
        let mut lane = Self::empty(variant, held);
        let mut requests = 0_u64;
        for b in stats.seconds() {
            // The same x as the exported charts (`compare::Timeline`): the bucket's second.
            let t = b.second as f64;
            requests += u64::from(b.polls);
            lane.requests.push(PlotPoint::new(t, requests as f64));
            lane.connections
                .push(PlotPoint::new(t, b.cumulative_new_connections as f64));
            if let Some(ms) = b.latency_p50_ms {
                lane.delay_ms.push(PlotPoint::new(t, ms));
            }
        }
        lane.total_requests = stats.polls();
        lane.total_connections = stats.new_connections();
        lane.total_events = stats.events();
        lane
    }

    fn from_comparison(c: &Comparison) -> Vec<Self> {
        c.results
            .iter()
            .map(|r| {
                let held = c
                    .held
                    .iter()
                    .find(|(v, _)| *v == r.variant)
                    .map_or(&[][..], |(_, h)| h.as_slice());
                let mut lane = Self::empty(r.variant, held);
                if let Some((_, t)) = c.timelines.iter().find(|(v, _)| *v == r.variant) {
                    let at = |ys: &[f64]| -> Vec<PlotPoint> {
                        t.t.iter()
                            .zip(ys)
                            .map(|(x, y)| PlotPoint::new(*x, *y))
                            .collect()
                    };
                    lane.requests = at(&t.requests_total);
                    lane.connections = at(&t.connections_total);
                    lane.delay_ms =
                        t.t.iter()
                            .zip(&t.delay_p50_ms)
                            .filter_map(|(x, y)| y.map(|y| PlotPoint::new(*x, y)))
                            .collect();
                }
                lane.total_requests = r.requests;
                lane.total_connections = r.new_connections;
                lane.total_events = r.events;
                lane
            })
            .collect()
    }

    fn empty(variant: Variant, held: &[[f64; 2]]) -> Self {
        Self {
            variant,
            requests: Vec::new(),
            connections: Vec::new(),
            delay_ms: Vec::new(),
            held: held.iter().map(|p| PlotPoint::new(p[0], p[1])).collect(),
            total_requests: 0,
            total_connections: 0,
            total_events: 0,
        }
    }
}

/// The Compare tab of one profile.
pub struct CompareTab {
    /// Duration as typed (`30s`, `2m`).
    pub duration: String,
    /// Short-polling interval as typed (`5s`, `500ms`).
    pub interval: String,
    /// Which variants run, in [`Variant::ALL`] order.
    pub variants: [bool; 4],
    phase: Phase,
    lanes: Vec<LaneSeries>,
    charted: Option<Instant>,
    /// Seconds the comparison lasts: the charts' x range.
    span_s: f64,
    /// The comparison polls the embedded demo server (keep it running meanwhile).
    pub(super) uses_demo: bool,
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
        let defaults = CompareOptions::default();
        Self {
            duration: format!("{}s", defaults.duration.as_secs()),
            interval: format!("{}s", defaults.interval.as_secs()),
            variants: [true; 4],
            phase: Phase::Setup,
            lanes: Vec::new(),
            charted: None,
            span_s: defaults.duration.as_secs_f64(),
            uses_demo: false,
        }
    }
}

/// `30s`, `1m30s`, `500ms`, or a bare number of seconds.
fn parse_duration(what: &str, text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(s) = t.parse::<f64>() {
        if (0.0..1e9).contains(&s) {
            return Ok(Duration::from_secs_f64(s));
        }
        return Err(format!("{what}: not a duration"));
    }
    humantime::parse_duration(t).map_err(|e| format!("{what}: {e} (for example 30s, 2m, 500ms)"))
}

impl CompareTab {
    /// The options as typed, or why they are not usable.
    pub fn options(&self) -> Result<CompareOptions, String> {
        let duration = parse_duration("duration", &self.duration)?;
        if duration < Duration::from_secs(1) || duration > MAX_DURATION {
            return Err("duration: between 1 s and 1 h".to_owned());
        }
        let interval = parse_duration("short-poll interval", &self.interval)?;
        if interval < Duration::from_millis(1) {
            return Err("short-poll interval: at least 1 ms".to_owned());
        }
        let variants: Vec<Variant> = Variant::ALL
            .iter()
            .zip(self.variants)
            .filter(|(_, on)| *on)
            .map(|(v, _)| *v)
            .collect();
        if variants.is_empty() {
            return Err("choose at least one variant".to_owned());
        }
        Ok(CompareOptions {
            duration,
            interval,
            variants,
        })
    }

    /// What to show.
    #[must_use]
    pub fn view(&self) -> PhaseView<'_> {
        match &self.phase {
            Phase::Setup => PhaseView::Setup,
            Phase::Running(r) => {
                let (elapsed_s, total_s) = r.progress();
                PhaseView::Running { elapsed_s, total_s }
            }
            Phase::Finishing(_) => PhaseView::Finishing,
            Phase::Done(c) => PhaseView::Done(c),
            Phase::Failed(m) => PhaseView::Failed(m),
        }
    }

    /// Running or finishing.
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Running(_) | Phase::Finishing(_))
    }

    /// The finished comparison.
    #[must_use]
    pub fn result(&self) -> Option<&Comparison> {
        match &self.phase {
            Phase::Done(c) => Some(c),
            _ => None,
        }
    }

    /// The chart series, one per variant.
    #[must_use]
    pub fn lanes(&self) -> &[LaneSeries] {
        &self.lanes
    }

    /// The charts' x range in seconds.
    #[must_use]
    pub fn span_s(&self) -> f64 {
        self.span_s
    }

    /// Back to the settings (after a result or a failure; never while running).
    pub fn reset(&mut self) {
        if !self.is_active() {
            self.phase = Phase::Setup;
            self.lanes.clear();
        }
    }

    fn begin(&mut self, running: Running, span: Duration, uses_demo: bool) {
        self.lanes = running
            .lanes()
            .map(|(v, s, h)| LaneSeries::from_stats(v, s, h))
            .collect();
        self.phase = Phase::Running(Box::new(running));
        self.span_s = span.as_secs_f64();
        self.uses_demo = uses_demo;
        self.charted = None;
    }

    fn fail(&mut self, message: String) {
        self.phase = Phase::Failed(message);
        self.uses_demo = false;
    }

    /// Take in the variants' events and refresh the charts now and then. Returns the
    /// comparison once its time is up, for finishing off the UI thread.
    fn pump(&mut self, now: Instant) -> Option<Box<Running>> {
        let Phase::Running(running) = &mut self.phase else {
            return None;
        };
        running.pump();
        if self.charted.is_none_or(|t| now - t >= CHART_EVERY) || running.is_done() {
            self.charted = Some(now);
            self.lanes = running
                .lanes()
                .map(|(v, s, h)| LaneSeries::from_stats(v, s, h))
                .collect();
        }
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

    /// Take the result if the finishing thread sent it. True when the phase changed.
    fn poll_finished(&mut self) -> bool {
        let Phase::Finishing(rx) = &self.phase else {
            return false;
        };
        match rx.try_recv() {
            Ok(c) => {
                self.lanes = LaneSeries::from_comparison(&c);
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

    /// Take a running comparison out (to cancel it); back to the settings.
    fn take_running(&mut self) -> Option<Box<Running>> {
        if !matches!(self.phase, Phase::Running(_)) {
            return None;
        }
        self.uses_demo = false;
        self.lanes.clear();
        match std::mem::replace(&mut self.phase, Phase::Setup) {
            Phase::Running(r) => Some(r),
            _ => None,
        }
    }
}

impl Workspace {
    /// Start comparing the variants of a profile (a builtin-demo profile polls the
    /// embedded server). `confirmed` lets aggressive short-poll intervals run.
    pub fn compare_start(&mut self, id: EntryId, confirmed: bool) {
        let Some(entry) = self.get(id) else {
            return;
        };
        if entry.compare.is_active() {
            return;
        }
        let options = entry.compare.options();
        let mut run = entry.profile.clone();
        let secrets = run.secrets();
        let url = run.url.clone();
        let uses_demo = run.builtin_demo;
        let started = options.and_then(|opts| {
            if uses_demo {
                run.url = self
                    .demo_url()
                    .map_err(|e| format!("the demo server cannot start: {e}"))?;
            }
            Running::start(&run, &opts, confirmed, &self.waker)
                .map(|r| (r, opts.duration))
                .map_err(|e| e.to_string())
        });
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        match started {
            Ok((running, span)) => entry.compare.begin(running, span, uses_demo),
            Err(message) => {
                // Start errors may quote the request; never show its secrets.
                let message = if url.is_empty() {
                    message
                } else {
                    message.replace(&url, &crate::redact::url(&url))
                };
                let message = secrets.mask(&message).into_owned();
                entry.compare.fail(message);
                self.release_demo_if_unused();
            }
        }
    }

    /// Stop a running comparison without a result (the sessions stop off the UI thread).
    pub fn compare_cancel(&mut self, id: EntryId) {
        let Some(running) = self.get_mut(id).and_then(|e| e.compare.take_running()) else {
            return;
        };
        self.spawn_stopper("compare-cancel", move || drop(running));
        self.release_demo_if_unused();
    }

    /// Pump every comparison; hand the ones whose time is up to a finishing thread.
    /// Returns true while some comparison is running or finishing.
    pub(super) fn pump_compares(&mut self) -> bool {
        let now = Instant::now();
        let mut due = Vec::new();
        let mut finished = false;
        for e in &mut self.entries {
            if let Some(running) = e.compare.pump(now) {
                due.push((e.id, running));
            }
            finished |= e.compare.poll_finished();
        }
        for (id, running) in due {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let waker = self.waker.clone();
            self.spawn_stopper("compare-finish", move || {
                if tx.send(running.finish()).is_ok() {
                    waker();
                }
            });
            // A thread that could not start dropped `tx`: the tab reports it.
            if let Some(e) = self.get_mut(id) {
                e.compare.phase = Phase::Finishing(rx);
            }
        }
        if finished {
            self.release_demo_if_unused();
        }
        self.any_comparing()
    }

    /// Some comparison is running or finishing.
    #[must_use]
    pub fn any_comparing(&self) -> bool {
        self.entries.iter().any(|e| e.compare.is_active())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_as_typed() {
        let mut tab = CompareTab::default();
        let o = tab.options().expect("defaults are valid");
        assert_eq!(o.duration, Duration::from_secs(30));
        assert_eq!(o.interval, Duration::from_secs(5));
        assert_eq!(o.variants.len(), 4);
        tab.duration = "3".to_owned();
        tab.interval = "250ms".to_owned();
        tab.variants = [true, false, true, false];
        let o = tab.options().expect("valid");
        assert_eq!(o.duration, Duration::from_secs(3));
        assert_eq!(o.interval, Duration::from_millis(250));
        assert_eq!(
            o.variants,
            [Variant::LongKeepAlive, Variant::ShortKeepAlive]
        );
        tab.duration = "soon".to_owned();
        assert!(tab.options().is_err_and(|e| e.starts_with("duration")));
        tab.duration = "0.5s".to_owned();
        assert!(tab.options().is_err());
        tab.duration = "10s".to_owned();
        tab.variants = [false; 4];
        assert!(tab.options().is_err_and(|e| e.contains("variant")));
    }
}
