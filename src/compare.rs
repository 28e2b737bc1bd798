//! Compare mode: run variants of one profile side by side against the same endpoint —
//! long polling with and without keep-alive, short polling every N seconds with and
//! without keep-alive — and turn the figures into a table and a plain-language verdict.
//!
//! Built on [`crate::poll::Session`] and [`crate::stats::Stats`]; no UI. The GUI pumps a
//! [`Running`] comparison each frame; the CLI calls [`run`].

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::poll::{Session, StartError, Waker};
use crate::profile::Profile;
use crate::stats::{Stats, StatsConfig, Summary};

/// Short-polling intervals below this need explicit confirmation.
pub const AGGRESSIVE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the open-connection count is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// One way of asking the same endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Long polling as the profile says, connections kept alive.
    LongKeepAlive,
    /// Long polling, a new connection for every poll.
    LongNoKeepAlive,
    /// A poll every interval with a hold of 0, connections kept alive.
    ShortKeepAlive,
    /// A poll every interval, a new connection for each.
    ShortNoKeepAlive,
}

impl Variant {
    /// Every variant, in the order tables show them.
    pub const ALL: [Self; 4] = [
        Self::LongKeepAlive,
        Self::LongNoKeepAlive,
        Self::ShortKeepAlive,
        Self::ShortNoKeepAlive,
    ];

    /// Short label for tables and legends.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::LongKeepAlive => "long poll, keep-alive",
            Self::LongNoKeepAlive => "long poll, no keep-alive",
            Self::ShortKeepAlive => "short poll, keep-alive",
            Self::ShortNoKeepAlive => "short poll, no keep-alive",
        }
    }

    /// The variant's colour in every chart (GUI and PNG), as RGB.
    #[must_use]
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Self::LongKeepAlive => [31, 119, 180],
            Self::LongNoKeepAlive => [255, 127, 14],
            Self::ShortKeepAlive => [44, 160, 44],
            Self::ShortNoKeepAlive => [214, 39, 40],
        }
    }

    /// Short polling (a poll every interval).
    #[must_use]
    pub fn is_short(self) -> bool {
        matches!(self, Self::ShortKeepAlive | Self::ShortNoKeepAlive)
    }

    /// Connections are kept alive between polls.
    #[must_use]
    pub fn keep_alive(self) -> bool {
        matches!(self, Self::LongKeepAlive | Self::ShortKeepAlive)
    }

    /// The profile for this variant: the base as it is, with keep-alive set, and for
    /// short polling a hold of 0 and one poll per `interval`.
    #[must_use]
    pub fn profile(self, base: &Profile, interval: Duration) -> Profile {
        let mut p = base.clone();
        p.name = format!("{} — {}", base.name, self.label());
        p.keep_alive = self.keep_alive();
        if self.is_short() {
            p.hold_s = 0;
            p.interval_s = Some(interval.as_secs_f64());
        } else {
            p.interval_s = None;
        }
        p
    }
}

/// What to compare and for how long.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// How long every variant runs.
    pub duration: Duration,
    /// Short-polling interval.
    pub interval: Duration,
    /// The variants to run, side by side.
    pub variants: Vec<Variant>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(30),
            interval: Duration::from_secs(5),
            variants: Variant::ALL.to_vec(),
        }
    }
}

/// Why a comparison cannot run.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// Short polling this often needs an explicit confirmation.
    #[error(
        "short polling every {interval:?} with {pollers} poller(s) sends about {per_s:.0} \
         requests/s per short-poll variant; confirm to run it anyway"
    )]
    Aggressive {
        /// The short-poll interval asked for.
        interval: Duration,
        /// Pollers per variant.
        pollers: u32,
        /// Requests per second each short-poll variant would send.
        per_s: f64,
    },
    /// The interval or the run length is out of range.
    #[error(
        "short-polling interval must be more than 0 and at most {} s, and the run at most {} s",
        crate::profile::MAX_WAIT_S,
        crate::cli::MAX_RUN.as_secs()
    )]
    OutOfRange,
    /// A variant's session did not start.
    #[error("{variant}: {source}")]
    Start {
        /// The variant's label.
        variant: &'static str,
        /// Why it did not start.
        source: StartError,
    },
}

impl CompareOptions {
    /// Refuse variants that would hit a server hard unless `confirmed`.
    pub fn check(&self, base: &Profile, confirmed: bool) -> Result<(), CompareError> {
        let max_wait = Duration::from_secs(u64::from(crate::profile::MAX_WAIT_S));
        if self.interval.is_zero()
            || self.interval > max_wait
            || self.duration > crate::cli::MAX_RUN
        {
            return Err(CompareError::OutOfRange);
        }
        let short = self.variants.iter().any(|v| v.is_short());
        if short && self.interval < AGGRESSIVE_INTERVAL && !confirmed {
            return Err(CompareError::Aggressive {
                interval: self.interval,
                pollers: base.pollers,
                per_s: f64::from(base.pollers) / self.interval.as_secs_f64().max(1e-3),
            });
        }
        Ok(())
    }
}

/// One variant in flight.
struct Lane {
    variant: Variant,
    session: Session,
    stats: Stats,
    /// (seconds since start, connections open) samples.
    held: Vec<[f64; 2]>,
}

/// A comparison in progress.
pub struct Running {
    lanes: Vec<Lane>,
    started: Instant,
    duration: Duration,
    interval: Duration,
    last_sample: Option<Instant>,
    url: String,
    pollers: u32,
}

impl Running {
    /// Start every variant at once.
    pub fn start(
        base: &Profile,
        opts: &CompareOptions,
        confirmed: bool,
        waker: &Waker,
    ) -> Result<Self, CompareError> {
        opts.check(base, confirmed)?;
        let mut lanes = Vec::new();
        for v in &opts.variants {
            let session = Session::start(v.profile(base, opts.interval), waker.clone()).map_err(
                |source| CompareError::Start {
                    variant: v.label(),
                    source,
                },
            )?;
            let stats = Stats::new(session.started(), StatsConfig::default());
            lanes.push(Lane {
                variant: *v,
                session,
                stats,
                held: Vec::new(),
            });
        }
        Ok(Self {
            lanes,
            started: Instant::now(),
            duration: opts.duration,
            interval: opts.interval,
            last_sample: None,
            url: base.shown_url(),
            pollers: base.pollers,
        })
    }

    /// Take in what the pollers reported; sample open connections. Never blocks.
    pub fn pump(&mut self) {
        for lane in &mut self.lanes {
            for e in lane.session.events().try_iter() {
                lane.stats.record(&e);
            }
        }
        let now = Instant::now();
        if self.last_sample.is_none_or(|t| now - t >= SAMPLE_EVERY) {
            self.last_sample = Some(now);
            let t = (now - self.started).as_secs_f64();
            for lane in &mut self.lanes {
                let open = lane.session.metrics().open_connections() as f64;
                lane.held.push([t, open]);
            }
        }
    }

    /// Seconds run so far, and the total.
    #[must_use]
    pub fn progress(&self) -> (f64, f64) {
        (
            self.started.elapsed().as_secs_f64(),
            self.duration.as_secs_f64(),
        )
    }

    /// The duration has passed (call [`Running::finish`]).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.started.elapsed() >= self.duration
    }

    /// Live figures per variant, for charts while running.
    pub fn lanes(&self) -> impl Iterator<Item = (Variant, &Stats, &[[f64; 2]])> {
        self.lanes
            .iter()
            .map(|l| (l.variant, &l.stats, l.held.as_slice()))
    }

    /// Stop every variant and compute the result.
    #[must_use]
    pub fn finish(mut self) -> Comparison {
        self.pump();
        let end = Instant::now();
        for lane in &mut self.lanes {
            lane.session.stop();
            for e in lane.session.events().try_iter() {
                lane.stats.record(&e);
            }
            lane.stats.settle();
        }
        let results: Vec<VariantResult> = self
            .lanes
            .iter()
            .map(|l| VariantResult::new(l.variant, l.stats.summary(end), &l.held))
            .collect();
        let verdict = verdict(&results, self.interval);
        let timelines = self
            .lanes
            .iter()
            .map(|l| (l.variant, Timeline::from_stats(&l.stats)))
            .collect();
        Comparison {
            url: self.url,
            duration_s: (end - self.started).as_secs_f64(),
            interval_s: self.interval.as_secs_f64(),
            pollers: self.pollers,
            held: self
                .lanes
                .into_iter()
                .map(|l| (l.variant, l.held))
                .collect(),
            timelines,
            results,
            verdict,
        }
    }
}

/// Run a comparison to the end, blocking (for the CLI).
pub fn run(
    base: &Profile,
    opts: &CompareOptions,
    confirmed: bool,
) -> Result<Comparison, CompareError> {
    let mut running = Running::start(base, opts, confirmed, &crate::poll::no_waker())?;
    while !running.is_done() {
        running.pump();
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(running.finish())
}

/// One variant's figures.
#[derive(Clone, Debug, Serialize)]
pub struct VariantResult {
    /// Which variant.
    pub variant: Variant,
    /// Its label ([`Variant::label`]), for the JSON.
    pub label: &'static str,
    /// Polls sent (answers and failures).
    pub requests: u64,
    /// TCP connections opened.
    pub new_connections: u64,
    /// TLS handshakes made.
    pub tls_handshakes: u64,
    /// TCP connect + TLS handshake time spent.
    pub handshake_ms: f64,
    /// Share of answers that carried nothing, in percent.
    pub empty_pct: Option<f64>,
    /// Bytes read from the wire.
    pub wire_bytes_in: u64,
    /// Bytes written to the wire.
    pub wire_bytes_out: u64,
    /// Events received.
    pub events: u64,
    /// Failed polls.
    pub errors: u64,
    /// Delivery delay (receive time − server timestamp), median.
    pub delay_ms_p50: Option<f64>,
    /// Delivery delay, 99th percentile.
    pub delay_ms_p99: Option<f64>,
    /// Delivery delay, mean.
    pub delay_ms_mean: Option<f64>,
    /// Connections this variant kept open at the server (sampled), at most.
    pub held_connections_max: f64,
    /// The same, on average.
    pub held_connections_mean: f64,
    /// Every figure of the variant's session.
    pub summary: Summary,
}

impl VariantResult {
    fn new(variant: Variant, s: Summary, held: &[[f64; 2]]) -> Self {
        let answers = s.polls.saturating_sub(s.errors);
        let max = held.iter().map(|p| p[1]).fold(0.0, f64::max);
        let mean = if held.is_empty() {
            0.0
        } else {
            held.iter().map(|p| p[1]).sum::<f64>() / held.len() as f64
        };
        Self {
            variant,
            label: variant.label(),
            requests: s.polls,
            new_connections: s.new_connections,
            tls_handshakes: s.tls_handshakes,
            handshake_ms: s.connect_ms_total + s.tls_ms_total,
            empty_pct: (answers > 0).then(|| s.empty_polls as f64 * 100.0 / answers as f64),
            wire_bytes_in: s.wire_bytes_in,
            wire_bytes_out: s.wire_bytes_out,
            events: s.events,
            errors: s.errors,
            delay_ms_p50: s.event_latency_ms_p50,
            delay_ms_p99: s.event_latency_ms_p99,
            delay_ms_mean: s.event_latency_ms_mean,
            held_connections_max: max,
            held_connections_mean: mean,
            summary: s,
        }
    }

    /// Bytes both ways.
    #[must_use]
    pub fn wire_bytes(&self) -> u64 {
        self.wire_bytes_in.saturating_add(self.wire_bytes_out)
    }
}

/// Per-second figures of one variant, for charts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timeline {
    /// Seconds since the start.
    pub t: Vec<f64>,
    /// Requests sent up to that second.
    pub requests_total: Vec<f64>,
    /// TCP connections opened up to that second.
    pub connections_total: Vec<f64>,
    /// Delivery delay median in that second (`None`: no event).
    pub delay_p50_ms: Vec<Option<f64>>,
}

impl Timeline {
    fn from_stats(stats: &Stats) -> Self {
        let mut t = Self::default();
        let mut requests = 0.0;
        for b in stats.seconds() {
            requests += f64::from(b.polls);
            t.t.push(b.second as f64);
            t.requests_total.push(requests);
            t.connections_total
                .push(b.cumulative_new_connections as f64);
            t.delay_p50_ms.push(b.latency_p50_ms);
        }
        t
    }
}

/// A finished comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The endpoint, secrets masked.
    pub url: String,
    /// How long the variants ran, in seconds.
    pub duration_s: f64,
    /// The short-poll interval, in seconds.
    pub interval_s: f64,
    /// Pollers per variant.
    pub pollers: u32,
    /// Each variant's figures, in the order they ran.
    pub results: Vec<VariantResult>,
    /// Open connections over time per variant: `[seconds, count]`.
    pub held: Vec<(Variant, Vec<[f64; 2]>)>,
    /// Per-second figures per variant.
    pub timelines: Vec<(Variant, Timeline)>,
    /// The plain-language verdict ([`verdict`]).
    pub verdict: String,
}

mod report;
pub use report::{Chart, verdict};

mod charts;

/// Write `report.md`, `comparison.json` and PNG charts into `dir`; returns the file
/// names written.
pub fn export(c: &Comparison, dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let charts = charts::write_all(c, dir)?;
    let refs: Vec<(&str, &str)> = charts
        .iter()
        .map(|(title, file)| (title.as_str(), file.as_str()))
        .collect();
    std::fs::write(dir.join("report.md"), c.markdown(&refs))?;
    let json = serde_json::to_vec_pretty(c).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("comparison.json"), json)?;
    let mut files = vec!["report.md".to_owned(), "comparison.json".to_owned()];
    files.extend(charts.into_iter().map(|(_, f)| f));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_shape_their_profiles() {
        let base = Profile::for_demo("d", "http://127.0.0.1:1/events");
        let i = Duration::from_secs(5);
        let p = Variant::LongNoKeepAlive.profile(&base, i);
        assert!(!p.keep_alive);
        assert_eq!(p.hold_s, base.hold_s);
        assert_eq!(p.interval_s, None);
        let p = Variant::ShortKeepAlive.profile(&base, i);
        assert!(p.keep_alive);
        assert_eq!(p.hold_s, 0);
        assert_eq!(p.interval_s, Some(5.0));
    }

    #[test]
    fn aggressive_intervals_need_confirmation() {
        let base = Profile::for_demo("d", "http://127.0.0.1:1/events");
        let opts = CompareOptions {
            interval: Duration::from_millis(10),
            ..CompareOptions::default()
        };
        let e = opts.check(&base, false).unwrap_err();
        assert!(e.to_string().contains("100 requests/s"), "{e}");
        assert!(opts.check(&base, true).is_ok());
        let long_only = CompareOptions {
            interval: Duration::from_millis(10),
            variants: vec![Variant::LongKeepAlive],
            ..CompareOptions::default()
        };
        assert!(long_only.check(&base, false).is_ok());
    }
}
