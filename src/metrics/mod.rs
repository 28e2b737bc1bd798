//! `OpenMetrics` / Prometheus exposition: one [`Metrics`] registry per process with
//! counters, gauges and histograms labelled by profile, fed per event by a
//! [`ProfileMetrics`] handle, and served by [`server::MetricsServer`].
//!
//! Counters and gauges are atomics (`prometheus-client`), so the threads that watch
//! profiles update them without locks and a scrape reads them without stopping
//! anyone. Depends on the poll events, the alerts and the transport's counters; no
//! egui. Metric names are part of the interface (docs/monitoring.md, the Grafana
//! dashboard and the alerting rules use them).

pub mod server;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use prometheus_client::encoding::{EncodeLabelSet, text::encode};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::alert::{AlertState, Alerts, Transition};
use crate::poll::event::SessionChange;
use crate::poll::{AnswerKind, ErrorKind, PollEvent, PollResponse};
use crate::profile::MAX_POLLERS;
use crate::stats::{Seq, track_seq};
use crate::transport::TransportMetrics;

pub use server::{MetricsServer, ServeError};

/// Content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Hold-time buckets (seconds): from answers at once to holds of minutes.
pub const HOLD_BUCKETS: [f64; 17] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 120.0,
    300.0,
];
/// Event-latency buckets (seconds); 0.2 is there for the usual "p99 > 200 ms" rule.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// `{profile="…"}`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProfileLabel {
    /// The profile's name.
    pub profile: String,
}

/// `{profile="…",kind="…"}`: an error kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The profile's name.
    pub profile: String,
    /// [`ErrorKind::name`].
    pub kind: String,
}

/// `{profile="…",answer="events|empty"}`
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AnswerLabels {
    /// The profile's name.
    pub profile: String,
    /// `events` or `empty`.
    pub answer: String,
}

/// `{profile="…",rule="…"}`: a rule in its text form.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    /// The profile's name.
    pub profile: String,
    /// The rule, as written (`quiet>30s`).
    pub rule: String,
}

type Counters<L> = Family<L, Counter>;
type Gauges<L> = Family<L, Gauge>;
type FloatGauges<L> = Family<L, Gauge<f64, std::sync::atomic::AtomicU64>>;
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn hold_histogram() -> Histogram {
    Histogram::new(HOLD_BUCKETS)
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric family; cloning shares them.
#[derive(Clone)]
struct Families {
    polls: Counters<ProfileLabel>,
    answers: Counters<ProfileLabel>,
    events: Counters<ProfileLabel>,
    empty_polls: Counters<ProfileLabel>,
    errors: Counters<KindLabels>,
    new_connections: Counters<ProfileLabel>,
    reused_polls: Counters<ProfileLabel>,
    tls_handshakes: Counters<ProfileLabel>,
    stale_retries: Counters<ProfileLabel>,
    session_restarts: Counters<ProfileLabel>,
    lost_events: Counters<ProfileLabel>,
    duplicate_events: Counters<ProfileLabel>,
    resyncs: Counters<ProfileLabel>,
    wire_in: Counters<ProfileLabel>,
    wire_out: Counters<ProfileLabel>,
    alerts_fired: Counters<RuleLabels>,
    up: Gauges<ProfileLabel>,
    pollers: Gauges<ProfileLabel>,
    open_connections: Gauges<ProfileLabel>,
    quiet: Gauges<ProfileLabel>,
    stalled: Gauges<ProfileLabel>,
    alert_firing: Gauges<RuleLabels>,
    last_event: FloatGauges<ProfileLabel>,
    hold: Histograms<AnswerLabels>,
    latency: Histograms<ProfileLabel>,
}

impl Families {
    #[expect(
        clippy::too_many_lines,
        reason = "one registration per metric, in order"
    )]
    fn register(registry: &mut Registry) -> Self {
        let f = Self {
            polls: Family::default(),
            answers: Family::default(),
            events: Family::default(),
            empty_polls: Family::default(),
            errors: Family::default(),
            new_connections: Family::default(),
            reused_polls: Family::default(),
            tls_handshakes: Family::default(),
            stale_retries: Family::default(),
            session_restarts: Family::default(),
            lost_events: Family::default(),
            duplicate_events: Family::default(),
            resyncs: Family::default(),
            wire_in: Family::default(),
            wire_out: Family::default(),
            alerts_fired: Family::default(),
            up: Family::default(),
            pollers: Family::default(),
            open_connections: Family::default(),
            quiet: Family::default(),
            stalled: Family::default(),
            alert_firing: Family::default(),
            last_event: Family::default(),
            hold: Family::new_with_constructor(hold_histogram),
            latency: Family::new_with_constructor(latency_histogram),
        };
        let r = registry;
        r.register(
            "pollscope_polls",
            "Completed polls: answers, resyncs and failures",
            f.polls.clone(),
        );
        r.register(
            "pollscope_answers",
            "Polls the server answered (with or without events)",
            f.answers.clone(),
        );
        r.register("pollscope_events", "Events received", f.events.clone());
        r.register(
            "pollscope_empty_polls",
            "Answers without events (held until the server's timeout)",
            f.empty_polls.clone(),
        );
        r.register(
            "pollscope_errors",
            "Failed polls, by kind",
            f.errors.clone(),
        );
        r.register(
            "pollscope_new_connections",
            "TCP connections opened (measured in the transport)",
            f.new_connections.clone(),
        );
        r.register(
            "pollscope_reused_polls",
            "Answers that came over a reused keep-alive connection",
            f.reused_polls.clone(),
        );
        r.register(
            "pollscope_tls_handshakes",
            "TLS handshakes completed",
            f.tls_handshakes.clone(),
        );
        r.register(
            "pollscope_stale_retries",
            "Requests re-sent because a kept-alive connection was dead",
            f.stale_retries.clone(),
        );
        r.register(
            "pollscope_session_restarts",
            "Protocol sessions the server ended, after which the poller bootstrapped again",
            f.session_restarts.clone(),
        );
        r.register(
            "pollscope_lost_events",
            "Events lost: sequence gaps per poller and resynchronisations",
            f.lost_events.clone(),
        );
        r.register(
            "pollscope_duplicate_events",
            "Events whose sequence number was not above the poller's last",
            f.duplicate_events.clone(),
        );
        r.register(
            "pollscope_resyncs",
            "Cursors refused as too old and skipped past",
            f.resyncs.clone(),
        );
        r.register_with_unit(
            "pollscope_wire_in",
            "Bytes read from the wire",
            Unit::Bytes,
            f.wire_in.clone(),
        );
        r.register_with_unit(
            "pollscope_wire_out",
            "Bytes written to the wire",
            Unit::Bytes,
            f.wire_out.clone(),
        );
        r.register(
            "pollscope_alerts_fired",
            "Times an alert rule started firing",
            f.alerts_fired.clone(),
        );
        r.register(
            "pollscope_up",
            "1 while the profile's session runs",
            f.up.clone(),
        );
        r.register(
            "pollscope_pollers",
            "Poller threads running",
            f.pollers.clone(),
        );
        r.register(
            "pollscope_open_connections",
            "Connections open now (pooled or in use)",
            f.open_connections.clone(),
        );
        r.register(
            "pollscope_quiet",
            "1 while no event came for longer than expected",
            f.quiet.clone(),
        );
        r.register(
            "pollscope_stalled",
            "1 while every poller is failing or waiting past the client timeout",
            f.stalled.clone(),
        );
        r.register(
            "pollscope_alert_firing",
            "1 while the alert rule fires",
            f.alert_firing.clone(),
        );
        r.register_with_unit(
            "pollscope_last_event_timestamp",
            "When the newest event arrived (Unix time)",
            Unit::Seconds,
            f.last_event.clone(),
        );
        r.register_with_unit(
            "pollscope_hold",
            "Hold time: request sent to whole answer read",
            Unit::Seconds,
            f.hold.clone(),
        );
        r.register_with_unit(
            "pollscope_event_latency",
            "Event latency: receive time minus the server's timestamp",
            Unit::Seconds,
            f.latency.clone(),
        );
        f
    }
}

/// The process's metrics: every profile's, in one registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    families: Families,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every family registered (and no profile yet).
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let families = Families::register(&mut registry);
        Self {
            registry: Arc::new(registry),
            families,
        }
    }

    /// The handle that counts profile `name`'s events. Two profiles of one name share
    /// their series (names are unique in a profile store).
    #[must_use]
    pub fn profile(&self, name: &str, transport: Arc<TransportMetrics>) -> ProfileMetrics {
        ProfileMetrics::new(&self.families, name, transport)
    }

    /// The exposition text (`OpenMetrics`, ending in `# EOF`).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        if encode(&mut out, &self.registry).is_err() {
            log::warn!("metrics: the exposition could not be encoded");
        }
        out
    }
}

/// One profile's series, resolved once so that counting an event is a few atomic adds.
pub struct ProfileMetrics {
    name: String,
    families: Families,
    transport: Arc<TransportMetrics>,
    polls: Counter,
    answers: Counter,
    events: Counter,
    empty_polls: Counter,
    new_connections: Counter,
    reused_polls: Counter,
    tls_handshakes: Counter,
    stale_retries: Counter,
    session_restarts: Counter,
    lost: Counter,
    duplicates: Counter,
    resyncs: Counter,
    wire_in: Counter,
    wire_out: Counter,
    up: Gauge,
    pollers: Gauge,
    open_connections: Gauge,
    quiet: Gauge,
    stalled: Gauge,
    /// Created with the first event: before it there is no "last event" to age.
    last_event: Option<Gauge<f64, std::sync::atomic::AtomicU64>>,
    hold_events: Histogram,
    hold_empty: Histogram,
    latency: Histogram,
    errors: HashMap<ErrorKind, Counter>,
    rules: HashMap<String, (Gauge, Counter)>,
    /// Last sequence number per poller (lost and duplicate events).
    seqs: Vec<Option<i64>>,
}

impl std::fmt::Debug for ProfileMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileMetrics")
            .field("profile", &self.name)
            .finish_non_exhaustive()
    }
}

impl ProfileMetrics {
    fn new(f: &Families, name: &str, transport: Arc<TransportMetrics>) -> Self {
        let l = ProfileLabel {
            profile: name.to_owned(),
        };
        let answer = |kind: &str| AnswerLabels {
            profile: name.to_owned(),
            answer: kind.to_owned(),
        };
        Self {
            name: name.to_owned(),
            families: f.clone(),
            transport,
            polls: f.polls.get_or_create_owned(&l),
            answers: f.answers.get_or_create_owned(&l),
            events: f.events.get_or_create_owned(&l),
            empty_polls: f.empty_polls.get_or_create_owned(&l),
            new_connections: f.new_connections.get_or_create_owned(&l),
            reused_polls: f.reused_polls.get_or_create_owned(&l),
            tls_handshakes: f.tls_handshakes.get_or_create_owned(&l),
            stale_retries: f.stale_retries.get_or_create_owned(&l),
            session_restarts: f.session_restarts.get_or_create_owned(&l),
            lost: f.lost_events.get_or_create_owned(&l),
            duplicates: f.duplicate_events.get_or_create_owned(&l),
            resyncs: f.resyncs.get_or_create_owned(&l),
            wire_in: f.wire_in.get_or_create_owned(&l),
            wire_out: f.wire_out.get_or_create_owned(&l),
            up: f.up.get_or_create_owned(&l),
            pollers: f.pollers.get_or_create_owned(&l),
            open_connections: f.open_connections.get_or_create_owned(&l),
            quiet: f.quiet.get_or_create_owned(&l),
            stalled: f.stalled.get_or_create_owned(&l),
            last_event: None,
            hold_events: f.hold.get_or_create_owned(&answer("events")),
            hold_empty: f.hold.get_or_create_owned(&answer("empty")),
            latency: f.latency.get_or_create_owned(&l),
            errors: HashMap::new(),
            rules: HashMap::new(),
            seqs: Vec::new(),
        }
    }

    /// The transport whose open connections the gauge reads (a restarted session
    /// has a new one).
    pub fn set_transport(&mut self, transport: Arc<TransportMetrics>) {
        self.transport = transport;
    }

    /// Count one event.
    pub fn observe(&mut self, event: &PollEvent) {
        match event {
            PollEvent::Response(r) => self.answer(r),
            PollEvent::Failed(f) => {
                self.polls.inc();
                self.wire(f.wire_in, f.wire_out);
                let errors = &self.families.errors;
                let name = &self.name;
                self.errors
                    .entry(f.kind)
                    .or_insert_with(|| {
                        errors.get_or_create_owned(&KindLabels {
                            profile: name.clone(),
                            kind: f.kind.name().to_owned(),
                        })
                    })
                    .inc();
            }
            PollEvent::Connected { conn, .. } => {
                self.new_connections.inc();
                if conn.tls_handshake.is_some() {
                    self.tls_handshakes.inc();
                }
            }
            PollEvent::StaleRetry { .. } => {
                self.stale_retries.inc();
            }
            PollEvent::Resynced(r) => {
                self.polls.inc();
                self.resyncs.inc();
                self.lost.inc_by(r.skipped.unwrap_or(0));
                self.wire(r.wire_in, r.wire_out);
                if let Some(seq) = self.seqs.get_mut(r.poller) {
                    *seq = None;
                }
            }
            PollEvent::Session(s) => {
                if let SessionChange::Lost { poll, .. } = &s.change {
                    self.session_restarts.inc();
                    if let Some(seq) = self.seqs.get_mut(s.poller) {
                        *seq = None;
                    }
                    if let Some(p) = poll {
                        self.polls.inc();
                        self.wire(p.wire_in, p.wire_out);
                    }
                }
            }
            // A hop on the way to the answer, which is counted when it comes.
            PollEvent::PollStarted { .. }
            | PollEvent::Redirected(_)
            | PollEvent::Stopped { .. }
            | PollEvent::PollerDied { .. } => {}
        }
    }

    fn wire(&self, wire_in: u64, wire_out: u64) {
        self.wire_in.inc_by(wire_in);
        self.wire_out.inc_by(wire_out);
    }

    fn answer(&mut self, r: &PollResponse) {
        self.polls.inc();
        self.answers.inc();
        let events = u64::try_from(r.events.len()).unwrap_or(u64::MAX);
        self.events.inc_by(events);
        if r.connection.reused {
            self.reused_polls.inc();
        }
        self.wire(r.wire_in, r.wire_out);
        let hold = r.hold.as_secs_f64();
        if r.kind() == AnswerKind::Empty {
            self.empty_polls.inc();
            self.hold_empty.observe(hold);
        } else {
            self.hold_events.observe(hold);
            let families = &self.families;
            let name = &self.name;
            self.last_event
                .get_or_insert_with(|| {
                    families.last_event.get_or_create_owned(&ProfileLabel {
                        profile: name.clone(),
                    })
                })
                .set(unix_seconds(r.received_wall));
        }
        for ms in r.events.iter().filter_map(|e| e.latency_ms) {
            if ms.is_finite() {
                // Negative latencies (the server's clock ahead) count as 0.
                self.latency.observe((ms / 1000.0).max(0.0));
            }
        }
        if r.poller < MAX_POLLERS as usize {
            if self.seqs.len() <= r.poller {
                self.seqs.resize(r.poller + 1, None);
            }
            if let Some(last) = self.seqs.get_mut(r.poller) {
                for seq in r.events.iter().filter_map(|e| e.seq) {
                    match track_seq(last, seq) {
                        // A restarted numbering is neither lost nor duplicate.
                        Seq::InOrder | Seq::Reset => {}
                        Seq::Gap(n) => {
                            self.lost.inc_by(n);
                        }
                        Seq::Duplicate => {
                            self.duplicates.inc();
                        }
                    }
                }
            }
        }
    }

    /// The session is running with `pollers` poller threads (0: stopped).
    pub fn set_running(&self, pollers: usize) {
        self.up.set(i64::from(pollers > 0));
        self.pollers.set(i64::try_from(pollers).unwrap_or(i64::MAX));
        if pollers == 0 {
            self.open_connections.set(0);
        }
    }

    /// Gauges from the alerts after an evaluation at `now`: quiet, stalled, each
    /// rule's state, and the open connections.
    pub fn alerts(&mut self, alerts: &Alerts, now: Instant) {
        let live = alerts.liveness();
        self.quiet.set(i64::from(live.quiet(now).is_some()));
        self.stalled.set(i64::from(live.stalled(now).is_some()));
        self.open_connections
            .set(i64::try_from(self.transport.open_connections()).unwrap_or(i64::MAX));
        for status in alerts.statuses() {
            let (firing, _) = self.rule(&status.rule.to_string());
            firing.set(i64::from(status.firing_since.is_some()));
        }
    }

    /// Count a rule starting to fire.
    pub fn transition(&mut self, t: &Transition) {
        let (firing, fired) = self.rule(&t.rule.to_string());
        match t.state {
            AlertState::Firing => {
                firing.set(1);
                fired.inc();
            }
            AlertState::Resolved => {
                firing.set(0);
            }
        }
    }

    fn rule(&mut self, text: &str) -> &(Gauge, Counter) {
        let families = &self.families;
        let name = &self.name;
        self.rules.entry(text.to_owned()).or_insert_with(|| {
            let labels = RuleLabels {
                profile: name.clone(),
                rule: text.to_owned(),
            };
            (
                families.alert_firing.get_or_create_owned(&labels),
                families.alerts_fired.get_or_create_owned(&labels),
            )
        })
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests;
