//! Alerts and metrics of a headless run: rules evaluated as events arrive and as time
//! passes, transitions printed (a line, or a JSON line with `--json`), and the
//! `OpenMetrics` endpoint when asked for. Shared by `watch` and the agent.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::alert::{AlertState, Alerts, Transition};
use crate::metrics::{Metrics, MetricsServer, ProfileMetrics};
use crate::notify::Notifier;
use crate::poll::PollEvent;
use crate::profile::Profile;
use crate::terminal;
use crate::transport::TransportMetrics;

/// Rules are evaluated at most this often while events stream in.
const EVALUATE_EVERY: Duration = Duration::from_millis(100);

/// How transitions are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionOutput {
    /// `ALERT FIRING profile quiet>30s: no event for 31 s`
    Line,
    /// One JSON object per line ([`Transition::to_json`]).
    Json,
}

/// Print one transition on stdout (a closed stdout is not worth failing for).
pub fn print_transition(t: &Transition, output: TransitionOutput) {
    let text = match output {
        TransitionOutput::Line => format!("ALERT {}", terminal::line(&t.line())),
        TransitionOutput::Json => t.to_json().to_string(),
    };
    if let Err(e) = writeln!(io::stdout().lock(), "{text}") {
        log::debug!("stdout closed: {e}");
    }
}

/// Start the metrics endpoint, saying where on stderr.
///
/// # Errors
/// The address cannot be served (a usage error: nothing was polled).
pub fn serve_metrics(addr: SocketAddr, metrics: &Metrics) -> anyhow::Result<MetricsServer> {
    let server = MetricsServer::start(addr, metrics.clone())
        .map_err(|e| crate::exit::Failure::new(crate::exit::Exit::Usage, e))?;
    eprintln!("metrics on http://{}/metrics", server.addr());
    Ok(server)
}

/// One watched profile's alerts (and its metrics, if exported).
pub(super) struct Alerting {
    alerts: Alerts,
    transport: Arc<TransportMetrics>,
    metrics: Option<ProfileMetrics>,
    output: Option<TransitionOutput>,
    notifier: Option<Notifier>,
    last_eval: Option<Instant>,
    /// Events taken in since the last evaluation.
    pending: bool,
}

impl Alerting {
    /// Alerts for `profile`'s session started at `started`; transitions are printed
    /// as `output` says (`None`: not at all) and raise desktop notifications through
    /// `notifier` if the profile has them on.
    pub(super) fn new(
        profile: &Profile,
        started: Instant,
        transport: Arc<TransportMetrics>,
        metrics: Option<ProfileMetrics>,
        output: Option<TransitionOutput>,
        notifier: Option<Notifier>,
    ) -> Self {
        if let Some(m) = &metrics {
            m.set_running(profile.pollers as usize);
        }
        Self {
            alerts: Alerts::for_profile(profile, started),
            transport,
            metrics,
            output,
            notifier: notifier.filter(|_| profile.alerts.notify),
            last_eval: None,
            pending: false,
        }
    }

    /// Take one event into account.
    pub(super) fn observe(&mut self, event: &PollEvent) {
        self.alerts.observe(event);
        if let Some(m) = &mut self.metrics {
            m.observe(event);
        }
        self.pending = true;
    }

    /// How long the run's loop may wait for events before [`Self::evaluate`] is due.
    pub(super) fn wait_at_most(&self, now: Instant) -> Duration {
        let mut wait = self
            .alerts
            .next_check(now)
            .map_or(Duration::MAX, |t| t.saturating_duration_since(now));
        if self.pending
            && let Some(t) = self.last_eval
        {
            wait = wait.min((t + EVALUATE_EVERY).saturating_duration_since(now));
        }
        wait
    }

    /// Judge the rules (at most every [`EVALUATE_EVERY`] unless time alone moves them),
    /// print what changed, update the gauges.
    pub(super) fn evaluate(&mut self, now: Instant) {
        let throttled = self
            .last_eval
            .is_some_and(|t| now.saturating_duration_since(t) < EVALUATE_EVERY);
        if throttled && self.pending {
            return;
        }
        self.last_eval = Some(now);
        self.pending = false;
        let changes = self.alerts.evaluate(now, self.transport.open_connections());
        for t in &changes {
            if let Some(output) = self.output {
                print_transition(t, output);
            }
            if let Some(n) = &self.notifier {
                n.transition(t);
            }
            if let Some(m) = &mut self.metrics {
                m.transition(t);
            }
        }
        if let Some(m) = &mut self.metrics {
            m.alerts(&self.alerts, now);
        }
    }

    /// The session has ended.
    pub(super) fn stopped(&self) {
        if let Some(m) = &self.metrics {
            m.set_running(0);
        }
    }

    /// Why the run exits with [`crate::exit::Exit::AlertFired`], if a rule fired.
    pub(super) fn verdict(&self) -> Option<String> {
        if self.alerts.fired() == 0 {
            return None;
        }
        let fired: Vec<String> = self
            .alerts
            .statuses()
            .iter()
            .filter(|s| s.fired > 0)
            .map(|s| format!("{} ({}×)", s.rule, s.fired))
            .collect();
        Some(format!("alert rule(s) fired: {}", fired.join(", ")))
    }

    /// The `alerts` object of the `--json` summary (`None` without rules).
    pub(super) fn summary_json(&self) -> Option<serde_json::Value> {
        let statuses = self.alerts.statuses();
        if statuses.is_empty() {
            return None;
        }
        let rules: Vec<serde_json::Value> = statuses
            .iter()
            .map(|s| {
                json!({
                    "rule": s.rule.to_string(),
                    "fired": s.fired,
                    "firing": s.firing_since.is_some(),
                    "reading": s.reading,
                })
            })
            .collect();
        let history: Vec<serde_json::Value> = self
            .alerts
            .history()
            .iter()
            .map(Transition::to_json)
            .collect();
        Some(json!({
            "fired": self.alerts.fired(),
            "firing": self.alerts.firing(),
            "rules": rules,
            "history": history,
        }))
    }

    /// Firing rules at the end, as text lines for the human summary.
    pub(super) fn summary_lines(&self) -> Vec<String> {
        self.alerts
            .statuses()
            .iter()
            .map(|s| {
                let state = if s.firing_since.is_some() {
                    AlertState::Firing.name()
                } else {
                    "ok"
                };
                format!(
                    "  alert        {} — {state}, fired {}× ({})",
                    s.rule,
                    s.fired,
                    s.reading.as_deref().unwrap_or("not judged yet")
                )
            })
            .collect()
    }
}
