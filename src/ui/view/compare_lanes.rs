//! The Compare tab's chart series, one lane per variant, kept between frames: rebuilt
//! from the running comparison's statistics every [`CHART_EVERY`] and from the finished
//! comparison's timelines once, so the plots borrow them (`PlotPoints::Borrowed`).
//!
//! View state (`egui_plot`'s point type); no drawing.

use std::time::{Duration, Instant};

use egui_plot::PlotPoint;

use crate::compare::{Comparison, Variant};
use crate::stats::Stats;
use crate::ui::model::compare::{CompareTab, PhaseView};

/// How often the live chart series are rebuilt while a comparison runs.
pub const CHART_EVERY: Duration = Duration::from_millis(250);

/// One variant's series for the four charts, and its totals so far.
#[derive(Clone, Debug)]
pub struct LaneSeries {
    /// The variant.
    pub variant: Variant,
    /// Cumulative requests sent, per second.
    pub requests: Vec<PlotPoint>,
    /// Cumulative new TCP connections, per second.
    pub connections: Vec<PlotPoint>,
    /// Delivery delay median of the events received in each second.
    pub delay_ms: Vec<PlotPoint>,
    /// Connections open (sampled).
    pub held: Vec<PlotPoint>,
    /// Requests sent so far.
    pub total_requests: u64,
    /// New TCP connections so far.
    pub total_connections: u64,
    /// Events received so far.
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

/// The lanes of one profile's Compare tab.
#[derive(Debug, Default)]
pub struct CompareCharts {
    lanes: Vec<LaneSeries>,
    /// When the running comparison's lanes were last rebuilt.
    charted: Option<Instant>,
    /// The comparison (by [`CompareTab::run`]) whose result the lanes show.
    done: Option<u64>,
}

impl CompareCharts {
    /// Bring the lanes up to date with `tab` as of `now`: none in the settings, the
    /// running comparison's figures at most every [`CHART_EVERY`], the result's once;
    /// while starting, finishing or after a failure, the last ones stay.
    pub fn update(&mut self, tab: &CompareTab, now: Instant) {
        match tab.view() {
            PhaseView::Setup => {
                self.lanes.clear();
                self.charted = None;
                self.done = None;
            }
            PhaseView::Running { running, .. } => {
                self.done = None;
                if self.charted.is_none_or(|t| now - t >= CHART_EVERY) || running.is_done() {
                    self.charted = Some(now);
                    self.lanes = running
                        .lanes()
                        .map(|(v, s, h)| LaneSeries::from_stats(v, s, h))
                        .collect();
                }
            }
            PhaseView::Done(c) => {
                if self.done != Some(tab.run()) {
                    self.done = Some(tab.run());
                    self.charted = None;
                    self.lanes = LaneSeries::from_comparison(c);
                }
            }
            PhaseView::Starting | PhaseView::Finishing | PhaseView::Failed(_) => {}
        }
    }

    /// The chart series, one per variant.
    #[must_use]
    pub fn lanes(&self) -> &[LaneSeries] {
        &self.lanes
    }
}
