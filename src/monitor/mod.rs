//! One monitored profile, without egui: its running [`Session`] (if connected), the
//! [`Stats`] of that session, a bounded [`Feed`] of what arrived, its [`Alerts`] (fed
//! and evaluated by an alert [`Pump`] thread, so they keep time while the face sleeps),
//! and the state badge the profile list shows.
//!
//! The desktop app owns one per connected (or recently connected) profile and drains it
//! each frame; the unit tests feed it synthetic [`PollEvent`]s. Depends on the engine
//! ([`crate::poll`], [`crate::stats`]); must not depend on egui or the UI.

pub mod event_log;
pub mod feed;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

pub use event_log::EventLog;
pub use feed::{Feed, FeedItem, FeedKind, ResponseInfo};

use crate::alert::pump::{TransitionHook, lock};
use crate::alert::{Alerts, Condition, Pump, PumpHooks};
use crate::poll::{
    ErrorKind, Payload, PollEvent, PollFailure, PollResponse, Session, SessionOptions, Waker,
};
use crate::profile::{Profile, looks_secret};
use crate::redact::Secrets;
use crate::stats::{PollerState, Stats, StatsConfig};
use crate::transport::TransportMetrics;

/// After this many events the app logs one INFO line (the end-to-end test reads it).
pub const FIRST_EVENTS_LOG: u64 = 10;
/// A profile shows "receiving" for this long after an event.
pub const RECEIVING_FOR: Duration = Duration::from_secs(2);
/// Consecutive failures of one poller after which "backing off" becomes "error".
pub const ERROR_AFTER_FAILURES: u32 = 3;

/// The state a profile is in, as its badge shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Badge {
    /// Not connected.
    Idle,
    /// Connected, polls held, nothing arrived lately.
    Holding,
    /// Events arrived in the last [`RECEIVING_FOR`].
    Receiving,
    /// Connected and answering, but no event for longer than expected (see
    /// [`crate::alert::liveness`]).
    Quiet(Condition),
    /// Every poller is failing or waiting past the client timeout.
    Stalled(Condition),
    /// A poller failed and waits before retrying.
    BackingOff(String),
    /// Could not connect, or keeps failing.
    Error(String),
}

impl Badge {
    /// Short lowercase label.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Holding => "holding",
            Self::Receiving => "receiving",
            Self::Quiet(_) => "quiet",
            Self::Stalled(_) => "stalled",
            Self::BackingOff(_) => "backing off",
            Self::Error(_) => "error",
        }
    }

    /// The message behind a quiet, stalled, backing-off or error badge.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::BackingOff(m) | Self::Error(m) => Some(m),
            Self::Quiet(c) | Self::Stalled(c) => Some(&c.why),
            _ => None,
        }
    }

    /// Since when a quiet or stalled badge holds.
    #[must_use]
    pub fn since(&self) -> Option<Instant> {
        match self {
            Self::Quiet(c) | Self::Stalled(c) => Some(c.since),
            _ => None,
        }
    }
}

/// One profile's session (or its remains after disconnecting) and what it saw.
pub struct Monitor {
    /// The profile as edited when connecting (before the demo address was filled in).
    source: Profile,
    session: Option<Session>,
    /// Feeds and evaluates `alerts` on its own thread while the session runs, and
    /// forwards the session's events to `events`.
    pump: Option<Pump>,
    events: Option<Receiver<PollEvent>>,
    alerts: Arc<Mutex<Alerts>>,
    metrics: Arc<TransportMetrics>,
    stats: Stats,
    feed: Feed,
    start_error: Option<String>,
    /// Consecutive failures per poller, and the kind of the last one.
    failures: Vec<(u32, Option<ErrorKind>)>,
    last_event: Option<Instant>,
    stopped_at: Option<Instant>,
    first_events_logged: bool,
    problems_seen: HashSet<String>,
    /// Sequence resets already shown in the feed.
    resets_shown: u64,
    secrets: Secrets,
    generation: u64,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("profile", &self.source.name)
            .field("live", &self.is_live())
            .finish_non_exhaustive()
    }
}

impl Monitor {
    /// Start `run` (the profile to poll, with any demo address filled in); `source` is the
    /// profile as edited. A start failure gives a monitor in the error state.
    #[must_use]
    pub fn start(source: Profile, run: Profile, waker: Waker) -> Self {
        Self::start_with(source, run, waker, None)
    }

    /// [`Monitor::start`], with `on_transition` called (on the alert pump's thread) for
    /// every alert that fires or resolves.
    #[must_use]
    #[expect(
        clippy::needless_pass_by_value,
        reason = "public API: callers hand the waker over; the pump keeps clones"
    )]
    pub fn start_with(
        source: Profile,
        run: Profile,
        waker: Waker,
        on_transition: Option<TransitionHook>,
    ) -> Self {
        let secrets = run.secrets();
        let mut monitor = Self::detached(source);
        monitor.secrets = secrets;
        // The pump wakes the face; the pollers only wake the pump (through the channel).
        // Requests are captured for the inspector.
        let options = SessionOptions {
            capture_requests: true,
        };
        let session = match Session::start_with(run, crate::poll::no_waker(), options) {
            Ok(session) => session,
            Err(e) => return Self::failed(monitor.source, format!("cannot connect: {e}")),
        };
        let started = session.started();
        monitor.stats = Stats::new(started, StatsConfig::default());
        monitor.metrics = Arc::clone(session.metrics());
        let alerts = Alerts::for_profile(&monitor.source, started);
        let (forward, events) = crossbeam_channel::unbounded();
        let hooks = PumpHooks {
            forward: Some(forward),
            waker: Arc::clone(&waker),
            on_transition,
            ..PumpHooks::default()
        };
        let name = monitor.source.name.clone();
        match Pump::spawn(
            &name,
            session.events().clone(),
            alerts.clone(),
            Arc::clone(&monitor.metrics),
            hooks,
        ) {
            Ok(pump) => {
                monitor.alerts = pump.shared();
                monitor.pump = Some(pump);
                monitor.events = Some(events);
            }
            Err(e) => {
                let message = format!("cannot start the alert thread: {e}");
                return Self::failed(monitor.source, message);
            }
        }
        monitor.session = Some(session);
        monitor
    }

    /// A monitor for a profile that could not even be started (`message` says why: its
    /// badge shows it, so it is not logged as well).
    #[must_use]
    pub fn failed(source: Profile, message: String) -> Self {
        let mut monitor = Self::detached(source);
        monitor.start_error = Some(message);
        monitor.stopped_at = Some(Instant::now());
        monitor
    }

    /// A monitor with no session (tests feed it with [`Monitor::ingest`]).
    #[must_use]
    pub fn detached(source: Profile) -> Self {
        let now = Instant::now();
        let alerts = Alerts::for_profile(&source, now);
        Self {
            source,
            session: None,
            pump: None,
            events: None,
            alerts: Arc::new(Mutex::new(alerts)),
            metrics: Arc::new(TransportMetrics::default()),
            stats: Stats::new(now, StatsConfig::default()),
            feed: Feed::default(),
            start_error: None,
            failures: Vec::new(),
            last_event: None,
            stopped_at: None,
            first_events_logged: false,
            problems_seen: HashSet::new(),
            resets_shown: 0,
            secrets: Secrets::default(),
            generation: 0,
        }
    }

    /// A monitor with no session whose statistics count from `origin` and keep the
    /// history `config` allows (benchmarks replay long runs into it with
    /// [`Monitor::ingest`]; the app's own monitors keep [`StatsConfig::default`]).
    #[must_use]
    pub fn detached_with(source: Profile, origin: Instant, config: StatsConfig) -> Self {
        let mut monitor = Self::detached(source);
        monitor.stats = Stats::new(origin, config);
        monitor.alerts = Arc::new(Mutex::new(Alerts::for_profile(&monitor.source, origin)));
        monitor
    }

    /// Take in at most `budget` waiting events; returns how many were taken (equal to
    /// `budget` means more may be waiting). Never blocks.
    pub fn drain(&mut self, budget: usize) -> usize {
        let source = match (&self.events, &self.session) {
            (Some(forwarded), _) => forwarded,
            (None, Some(session)) => session.events(),
            (None, None) => return 0,
        };
        let events: Vec<PollEvent> = source.try_iter().take(budget).collect();
        for event in &events {
            self.ingest(event);
        }
        events.len()
    }

    /// Count one event and add what it shows to the feed.
    pub fn ingest(&mut self, event: &PollEvent) {
        self.generation = self.generation.wrapping_add(1);
        self.stats.record(event);
        if self.stats.sequence_resets() > self.resets_shown {
            self.resets_shown = self.stats.sequence_resets();
            if let Some(reset) = self.stats.last_sequence_reset() {
                self.feed.push(FeedItem::new(
                    FeedKind::Warning,
                    reset.poller,
                    reset.describe(),
                    false,
                ));
            }
        }
        if self.pump.is_none() {
            lock(&self.alerts).observe(event);
        }
        match event {
            PollEvent::Response(r) => self.ingest_response(r),
            PollEvent::Failed(f) => self.ingest_failure(f),
            PollEvent::StaleRetry {
                poller,
                connection,
                error,
                ..
            } => {
                let conn = connection.map_or_else(|| "?".to_owned(), |c| c.to_string());
                let text = format!(
                    "keep-alive connection #{conn} was stale ({error}); request re-sent on a new connection"
                );
                self.feed
                    .push(FeedItem::new(FeedKind::Retry, *poller, text, false));
            }
            PollEvent::Resynced(r) => {
                let lost = r.skipped.map_or_else(
                    || "; events in between may be lost".to_owned(),
                    |n| format!("; {n} events lost"),
                );
                let text = format!(
                    "resynced: the server refused cursor {} as too old; jumped to {}{lost}",
                    r.from, r.to
                );
                let mut item = FeedItem::new(FeedKind::Warning, r.poller, text, false);
                item.status = Some(r.status);
                self.feed.push(item);
            }
            PollEvent::PollerDied {
                poller, message, ..
            } => {
                self.feed.push(FeedItem::new(
                    FeedKind::Failure,
                    *poller,
                    message.clone(),
                    false,
                ));
            }
            PollEvent::Session(e) => {
                if let crate::poll::SessionChange::Lost {
                    reason,
                    events_in_session,
                    ..
                } = &e.change
                {
                    let text = format!(
                        "session restarted: {reason} ({events_in_session} events in the ended \
                         session); bootstrapping again"
                    );
                    self.feed
                        .push(FeedItem::new(FeedKind::Warning, e.poller, text, false));
                }
            }
            PollEvent::Redirected(r) => {
                self.feed.push(FeedItem::new(
                    FeedKind::Warning,
                    r.poller,
                    r.describe(),
                    false,
                ));
            }
            PollEvent::PollStarted { .. }
            | PollEvent::Connected { .. }
            | PollEvent::Stopped { .. } => {}
        }
    }

    fn ingest_response(&mut self, r: &PollResponse) {
        if let Some(f) = self.failures.get_mut(r.poller) {
            *f = (0, None);
        }
        if r.cut_by_client {
            let text = format!(
                "no answer in {:.1} s: the client ended the hold (counted as an empty poll)",
                r.hold.as_secs_f64()
            );
            self.feed
                .push(FeedItem::new(FeedKind::Cut, r.poller, text, false));
        }
        if let Some(n) = &r.not_holding
            && n.streak == 1
        {
            let mut item = FeedItem::new(FeedKind::Warning, r.poller, n.describe(), false);
            item.status = Some(r.status);
            self.feed.push(item);
        }
        if let Some(problem) = &r.problem
            && self.problems_seen.len() < 100
            && self.problems_seen.insert(problem.clone())
        {
            let mut item = FeedItem::new(FeedKind::Warning, r.poller, problem.clone(), false);
            item.status = Some(r.status);
            self.feed.push(item);
        }
        if r.events.is_empty() {
            return;
        }
        self.last_event = Some(r.received);
        let info = Arc::new(ResponseInfo {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.mask_header(k, v)))
                .collect(),
            body_bytes: r.body_bytes,
            hold: r.hold,
            connection: r.connection,
            cursor: r.cursor.clone(),
            events: r.events.len(),
            timing: r.timing,
            request: r.request.clone(),
            body: None,
        });
        for event in &r.events {
            let (text, is_json) = match &event.payload {
                Payload::Json(v) => (serde_json::to_string(v).unwrap_or_default(), true),
                Payload::Text(t) => (t.clone(), false),
            };
            let mut item = FeedItem::new(FeedKind::Event, r.poller, text, is_json);
            item.received = r.received_wall;
            item.status = Some(r.status);
            item.seq = event.seq;
            item.latency_ms = event.latency_ms;
            item.response = Some(Arc::clone(&info));
            self.feed.push(item);
        }
        if !self.first_events_logged && self.stats.events() >= FIRST_EVENTS_LOG {
            self.first_events_logged = true;
            log::info!(
                "{}: first {} events received",
                self.source.name,
                self.stats.events()
            );
        }
    }

    fn ingest_failure(&mut self, f: &PollFailure) {
        if self.failures.len() <= f.poller && f.poller < 100_000 {
            self.failures.resize(f.poller + 1, (0, None));
        }
        if let Some(n) = self.failures.get_mut(f.poller) {
            *n = (f.attempt, Some(f.kind));
        }
        let retry = if f.retry_after {
            " (as the server's Retry-After asks)"
        } else {
            ""
        };
        let hint = if f.kind == ErrorKind::Tls {
            ". Trust the server's CA with the profile's CA certificate file, or (a test \
             server only) tick 'accept invalid certificates'"
        } else {
            ""
        };
        let text = format!(
            "{}{hint} [{}]; retrying in {:.1} s{retry}",
            f.message,
            f.kind.name(),
            f.backoff.as_secs_f64()
        );
        let mut item = FeedItem::new(FeedKind::Failure, f.poller, text, false);
        item.status = f.status;
        item.response = Some(Arc::new(ResponseInfo {
            status: f.status.unwrap_or(0),
            headers: f
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.mask_header(k, v)))
                .collect(),
            body_bytes: f.body.as_ref().map_or(0, |b| b.len() as u64),
            hold: f.elapsed,
            connection: f.connection,
            cursor: String::new(),
            events: 0,
            timing: f.timing,
            request: f.request.clone(),
            body: f.body.clone(),
        }));
        self.feed.push(item);
    }

    /// A response header's value as it may be shown: masked when the header usually
    /// carries credentials, and with the profile's own secrets masked anywhere.
    fn mask_header(&self, name: &str, value: &str) -> String {
        if looks_secret(name) || name.eq_ignore_ascii_case("set-cookie") {
            return crate::redact::MASK.to_owned();
        }
        self.secrets.mask(value).into_owned()
    }

    /// Hand the session over for stopping (the caller stops it off the UI thread, since
    /// [`Session::stop`] may wait up to a second). The data stays for viewing.
    pub fn take_session(&mut self) -> Option<Session> {
        let session = self.session.take();
        if session.is_some() {
            self.stopped_at = Some(Instant::now());
        }
        session
    }

    /// A session is running.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.session.is_some()
    }

    /// Some poller is waiting on the server or backing off (time-based text moves).
    #[must_use]
    pub fn is_waiting(&self) -> bool {
        self.is_live()
            && self.stats.pollers().iter().any(|p| {
                matches!(
                    p.state,
                    PollerState::Holding { .. } | PollerState::BackingOff { .. }
                )
            })
    }

    /// The badge as of `now`.
    #[must_use]
    pub fn badge(&self, now: Instant) -> Badge {
        let Some(session) = &self.session else {
            return self.start_error.clone().map_or(Badge::Idle, Badge::Error);
        };
        if session.running_pollers() == 0 {
            return Badge::Error("all pollers have stopped".to_owned());
        }
        self.badge_from_stats(now)
    }

    fn badge_from_stats(&self, now: Instant) -> Badge {
        let alerts = lock(&self.alerts);
        if let Some(stalled) = alerts.liveness().stalled(now) {
            return Badge::Stalled(stalled);
        }
        let mut backing_off = None;
        for (i, view) in self.stats.pollers().iter().enumerate() {
            if let PollerState::BackingOff { message, .. } = &view.state {
                let (attempts, kind) = self.failures.get(i).copied().unwrap_or((0, None));
                let message = match kind {
                    Some(kind) => format!("{message} [{}]", kind.name()),
                    None => message.clone(),
                };
                if attempts >= ERROR_AFTER_FAILURES {
                    return Badge::Error(message);
                }
                backing_off.get_or_insert(message);
            }
        }
        if let Some(message) = backing_off {
            return Badge::BackingOff(message);
        }
        // Before "receiving": a profile may expect events more often than that lasts.
        if let Some(quiet) = alerts.liveness().quiet(now) {
            return Badge::Quiet(quiet);
        }
        if self
            .last_event
            .is_some_and(|t| now.saturating_duration_since(t) < RECEIVING_FOR)
        {
            return Badge::Receiving;
        }
        Badge::Holding
    }

    /// How long ago the newest event arrived (as the face has taken it in).
    #[must_use]
    pub fn last_event_age(&self, now: Instant) -> Option<Duration> {
        self.last_event.map(|t| now.saturating_duration_since(t))
    }

    /// The profile's alerts: rule states, history, quiet and stalled. Held by the
    /// alert thread only for moments; do not keep the guard across a frame.
    pub fn alerts(&self) -> MutexGuard<'_, Alerts> {
        lock(&self.alerts)
    }

    /// Evaluate the alert rules here and now, for a monitor without an alert thread
    /// (a detached one in tests and benchmarks; live ones are evaluated by theirs).
    pub fn evaluate_alerts(&mut self, now: Instant) -> Vec<crate::alert::Transition> {
        if self.pump.is_some() {
            return Vec::new();
        }
        let open = self.metrics.open_connections();
        lock(&self.alerts).evaluate(now, open)
    }

    /// Move the per-second series up to `now` while live, so silence shows as zeros
    /// up to the present; returns whether views must recompute.
    pub fn tick(&mut self, now: Instant) -> bool {
        if !self.is_live() || !self.stats.advance(now) {
            return false;
        }
        self.generation = self.generation.wrapping_add(1);
        true
    }

    /// The badge a detached monitor's statistics would give (for tests).
    #[must_use]
    pub fn badge_ignoring_session(&self, now: Instant) -> Badge {
        self.badge_from_stats(now)
    }

    /// Changes whenever an event is taken in (so views know to recompute).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The profile as edited when connecting.
    #[must_use]
    pub fn source(&self) -> &Profile {
        &self.source
    }

    /// The running session.
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The statistics of this session.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Connection counters measured in the transport.
    #[must_use]
    pub fn metrics(&self) -> &TransportMetrics {
        &self.metrics
    }

    /// The feed.
    #[must_use]
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// A copy of the events the feed holds, to be written elsewhere (off the UI thread).
    #[must_use]
    pub fn event_log(&self) -> EventLog {
        EventLog::from_feed(&self.feed)
    }

    /// Why the session could not start.
    #[must_use]
    pub fn start_error(&self) -> Option<&str> {
        self.start_error.as_deref()
    }

    /// Seconds from the session's start to `now`, or to when it stopped.
    #[must_use]
    pub fn elapsed_s(&self, now: Instant) -> f64 {
        self.stopped_at
            .unwrap_or(now)
            .saturating_duration_since(self.stats.origin())
            .as_secs_f64()
    }

    /// When the session stopped (or failed to start).
    #[must_use]
    pub fn stopped_at(&self) -> Option<Instant> {
        self.stopped_at
    }
}

#[cfg(test)]
mod tests;
