//! Pure statistics over one session's [`PollEvent`]s: counters, a rolling per-second
//! series, the answered polls for a scatter plot, per-poller views, and hdrhistogram
//! percentiles of hold times, event latencies and connection costs.
//!
//! Plain data fed by [`Stats::record`]; no threads, no I/O, no egui. Memory is bounded:
//! every series has a cap and every histogram a fixed size. No input can make it panic:
//! counters saturate, out-of-range values are clamped, NaN latencies are skipped.

mod hist;
mod series;
mod session;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::cursor::{MAX_SEQ_JUMP, MAX_SEQ_REWIND};
use crate::poll::event::{AnswerKind, ErrorKind, PollEvent, PollFailure, PollResponse, Resynced};
use crate::profile::MAX_POLLERS;
use crate::transport::NewConnection;

use hist::Hist;
pub use hist::micros;
pub use series::SecondBucket;
use series::SecondSeries;
pub use session::{MAX_RESTARTS_KEPT, Restart, SessionState};
pub use summary::Summary;

/// How much history [`Stats`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatsConfig {
    /// Per-second buckets kept (the newest ones).
    pub history_seconds: usize,
    /// Answered polls kept for the scatter plot (the newest ones).
    pub max_poll_points: usize,
}

impl Default for StatsConfig {
    fn default() -> Self {
        Self {
            history_seconds: 3600,
            max_poll_points: 200_000,
        }
    }
}

/// Per-second rates over the last whole second (see [`Stats::recent_rates`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RecentRates {
    /// Events received.
    pub events_per_s: f64,
    /// Polls completed.
    pub polls_per_s: f64,
    /// Polls failed.
    pub errors_per_s: f64,
    /// Bytes on the wire, both ways.
    pub wire_bytes_per_s: f64,
}

/// One answered poll, for the hold-time scatter plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPoint {
    /// When the answer was read, in seconds since the origin.
    pub t_s: f64,
    /// How long the server held the poll.
    pub hold_ms: f64,
    /// The answer carried events.
    pub with_events: bool,
    /// Which poller.
    pub poller: u32,
}

/// What one poller is doing and has done.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollerView {
    /// What it is doing now.
    pub state: PollerState,
    /// Completed polls (answers and failures).
    pub polls: u64,
    /// Events it received.
    pub events: u64,
    /// Its failed polls.
    pub errors: u64,
    /// The connection that carried the last poll (or was just opened for the next one).
    pub connection: Option<u64>,
    /// Requests that connection had carried at the last poll.
    pub requests_on_connection: u64,
    /// When that connection was opened.
    pub connection_opened: Option<Instant>,
    /// Highest sequence number seen.
    pub last_seq: Option<i64>,
    /// The message of its last failure.
    pub last_error: Option<String>,
    /// Its session (profiles with bootstrap steps).
    pub session: SessionState,
    /// Sessions the server ended under this poller.
    pub restarts: u64,
    /// Events its current session has delivered.
    pub events_in_session: u64,
}

/// A poller's state, as its events tell it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PollerState {
    /// Between polls (an answer was just read; the next poll starts at once).
    #[default]
    Idle,
    /// A poll is out, waiting for the server.
    Holding {
        /// When the poll went out.
        since: Instant,
    },
    /// The last poll failed; the next one starts at `until`.
    BackingOff {
        /// When the next poll starts.
        until: Instant,
        /// Why the last one failed.
        message: String,
    },
    /// The poller has ended.
    Stopped,
}

/// Plain counters; every addition saturates.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    polls: u64,
    responses: u64,
    events: u64,
    empty_polls: u64,
    errors: u64,
    new_connections: u64,
    reused_polls: u64,
    stale_retries: u64,
    tls_handshakes: u64,
    lost_events: u64,
    duplicate_events: u64,
    clock_skewed_events: u64,
    resyncs: u64,
    client_cuts: u64,
    pollers_died: u64,
    sequence_resets: u64,
    redirects: u64,
    cross_origin_redirects: u64,
    truncated_values: u64,
    session_restarts: u64,
    control_messages: u64,
    replies: u64,
    not_holding_answers: u64,
    body_bytes: u64,
    wire_in: u64,
    wire_out: u64,
}

/// Statistics for one session, fed one [`PollEvent`] at a time.
#[derive(Clone, Debug)]
pub struct Stats {
    origin: Instant,
    config: StatsConfig,
    counts: Counts,
    hold_all: Hist,
    hold_events: Hist,
    hold_empty: Hist,
    max_hold: Option<Duration>,
    latency: Hist,
    /// Cost (TCP connect + TLS handshake) of each new connection.
    connection_cost: Hist,
    connect_total: Duration,
    tls_total: Duration,
    seconds: SecondSeries,
    poll_points: VecDeque<PollPoint>,
    pollers: Vec<PollerView>,
    errors_by_kind: BTreeMap<ErrorKind, u64>,
    statuses: BTreeMap<u16, u64>,
    last_error: Option<String>,
    /// The most recent restart of a poller's sequence numbers.
    last_sequence_reset: Option<SequenceReset>,
    control_by_kind: BTreeMap<String, u64>,
    restarts: VecDeque<Restart>,
}

impl Stats {
    /// Empty statistics; times are measured from `origin`.
    #[must_use]
    pub fn new(origin: Instant, config: StatsConfig) -> Self {
        Self {
            origin,
            config,
            counts: Counts::default(),
            hold_all: Hist::new(),
            hold_events: Hist::new(),
            hold_empty: Hist::new(),
            max_hold: None,
            latency: Hist::new(),
            connection_cost: Hist::new(),
            connect_total: Duration::ZERO,
            tls_total: Duration::ZERO,
            seconds: SecondSeries::new(config.history_seconds),
            poll_points: VecDeque::with_capacity(config.max_poll_points.min(4096)),
            pollers: Vec::new(),
            errors_by_kind: BTreeMap::new(),
            statuses: BTreeMap::new(),
            last_error: None,
            last_sequence_reset: None,
            control_by_kind: BTreeMap::new(),
            restarts: VecDeque::new(),
        }
    }

    /// Count one event.
    pub fn record(&mut self, event: &PollEvent) {
        match event {
            PollEvent::PollStarted { poller, at } => {
                if let Some(view) = poller_view(&mut self.pollers, *poller) {
                    view.state = PollerState::Holding { since: *at };
                }
            }
            PollEvent::Connected { poller, at, conn } => self.record_connected(*poller, *at, conn),
            PollEvent::Response(response) => self.record_response(response),
            PollEvent::StaleRetry { at, .. } => {
                inc(&mut self.counts.stale_retries);
                let delta = SecondBucket {
                    stale_retries: 1,
                    ..SecondBucket::default()
                };
                self.seconds.add(self.second_of(*at), &delta, []);
            }
            PollEvent::Failed(failure) => self.record_failure(failure),
            PollEvent::Resynced(r) => self.record_resync(r),
            PollEvent::Session(s) => self.record_session(s),
            PollEvent::Stopped { poller, .. } => {
                if let Some(view) = poller_view(&mut self.pollers, *poller) {
                    view.state = PollerState::Stopped;
                }
            }
            PollEvent::Redirected(r) => {
                inc(&mut self.counts.redirects);
                if r.cross_origin {
                    inc(&mut self.counts.cross_origin_redirects);
                }
            }
            PollEvent::PollerDied {
                poller, message, ..
            } => {
                inc(&mut self.counts.pollers_died);
                self.last_error = Some(message.clone());
                if let Some(view) = poller_view(&mut self.pollers, *poller) {
                    view.state = PollerState::Stopped;
                    view.last_error = Some(message.clone());
                }
            }
        }
    }

    fn record_connected(&mut self, poller: usize, at: Instant, conn: &NewConnection) {
        inc(&mut self.counts.new_connections);
        self.connect_total = self.connect_total.saturating_add(conn.tcp_connect);
        let tls = conn.tls_handshake.unwrap_or(Duration::ZERO);
        if conn.tls_handshake.is_some() {
            inc(&mut self.counts.tls_handshakes);
            self.tls_total = self.tls_total.saturating_add(tls);
        }
        self.connection_cost
            .record_duration(conn.tcp_connect.saturating_add(tls));
        if let Some(view) = poller_view(&mut self.pollers, poller) {
            view.connection = Some(conn.id);
            view.requests_on_connection = 0;
            view.connection_opened = Some(at);
        }
        let delta = SecondBucket {
            new_connections: 1,
            ..SecondBucket::default()
        };
        self.seconds.add(self.second_of(at), &delta, []);
    }

    fn record_response(&mut self, r: &PollResponse) {
        let events = u64::try_from(r.events.len()).unwrap_or(u64::MAX);
        let empty = r.kind() == AnswerKind::Empty;
        let c = &mut self.counts;
        inc(&mut c.polls);
        inc(&mut c.responses);
        c.events = c.events.saturating_add(events);
        if empty {
            inc(&mut c.empty_polls);
        }
        if r.connection.reused {
            inc(&mut c.reused_polls);
        }
        c.body_bytes = c.body_bytes.saturating_add(r.body_bytes);
        c.truncated_values = c.truncated_values.saturating_add(r.truncated);
        c.wire_in = c.wire_in.saturating_add(r.wire_in);
        c.wire_out = c.wire_out.saturating_add(r.wire_out);
        if r.cut_by_client {
            inc(&mut c.client_cuts);
        } else {
            inc(self.statuses.entry(r.status).or_default());
        }

        self.record_hold(r.hold, empty);
        self.record_response_session(r);
        for ms in r.events.iter().filter_map(|e| e.latency_ms) {
            if ms.is_nan() {
                continue;
            }
            if ms < 0.0 {
                inc(&mut self.counts.clock_skewed_events);
            }
            self.latency.record_ms(ms);
        }

        if let Some(view) = poller_view(&mut self.pollers, r.poller) {
            view.state = PollerState::Idle;
            inc(&mut view.polls);
            view.events = view.events.saturating_add(events);
            view.connection = r.connection.id;
            view.requests_on_connection = r.connection.requests;
            view.connection_opened = r.received.checked_sub(r.connection.age);
            for seq in r.events.iter().filter_map(|e| e.seq) {
                let before = view.last_seq;
                match track_seq(&mut view.last_seq, seq) {
                    Seq::InOrder => {}
                    Seq::Gap(lost) => {
                        self.counts.lost_events = self.counts.lost_events.saturating_add(lost);
                    }
                    Seq::Duplicate => inc(&mut self.counts.duplicate_events),
                    Seq::Reset => {
                        inc(&mut self.counts.sequence_resets);
                        self.last_sequence_reset = Some(SequenceReset {
                            poller: r.poller,
                            from: before.unwrap_or(seq),
                            to: seq,
                        });
                    }
                }
            }
        }

        self.push_poll_point(PollPoint {
            t_s: r
                .received
                .saturating_duration_since(self.origin)
                .as_secs_f64(),
            hold_ms: r.hold.as_secs_f64() * 1000.0,
            with_events: !empty,
            poller: u32::try_from(r.poller).unwrap_or(u32::MAX),
        });
        let delta = SecondBucket {
            polls: 1,
            events: u32::try_from(events).unwrap_or(u32::MAX),
            empty: u32::from(empty),
            reused_polls: u32::from(r.connection.reused),
            wire_bytes: r.wire_in.saturating_add(r.wire_out),
            ..SecondBucket::default()
        };
        let latencies = r.events.iter().filter_map(|e| e.latency_ms);
        self.seconds
            .add(self.second_of(r.received), &delta, latencies);
    }

    fn record_hold(&mut self, hold: Duration, empty: bool) {
        self.hold_all.record_duration(hold);
        if empty {
            self.hold_empty.record_duration(hold);
        } else {
            self.hold_events.record_duration(hold);
        }
        self.max_hold = Some(self.max_hold.map_or(hold, |max| max.max(hold)));
    }

    fn push_poll_point(&mut self, point: PollPoint) {
        if self.config.max_poll_points == 0 {
            return;
        }
        while self.poll_points.len() >= self.config.max_poll_points {
            self.poll_points.pop_front();
        }
        self.poll_points.push_back(point);
    }

    /// A refused cursor and the jump past it: a poll, not an error; the skipped
    /// positions are lost events, and the poller's sequence tracking starts over.
    fn record_resync(&mut self, r: &Resynced) {
        let c = &mut self.counts;
        inc(&mut c.polls);
        inc(&mut c.resyncs);
        c.lost_events = c.lost_events.saturating_add(r.skipped.unwrap_or(0));
        c.wire_in = c.wire_in.saturating_add(r.wire_in);
        c.wire_out = c.wire_out.saturating_add(r.wire_out);
        inc(self.statuses.entry(r.status).or_default());
        if let Some(view) = poller_view(&mut self.pollers, r.poller) {
            view.state = PollerState::Idle;
            inc(&mut view.polls);
            view.last_seq = None;
        }
        let delta = SecondBucket {
            polls: 1,
            wire_bytes: r.wire_in.saturating_add(r.wire_out),
            ..SecondBucket::default()
        };
        self.seconds.add(self.second_of(r.at), &delta, []);
    }

    fn record_failure(&mut self, f: &PollFailure) {
        let c = &mut self.counts;
        inc(&mut c.polls);
        inc(&mut c.errors);
        c.wire_in = c.wire_in.saturating_add(f.wire_in);
        c.wire_out = c.wire_out.saturating_add(f.wire_out);
        inc(self.errors_by_kind.entry(f.kind).or_default());
        if let Some(status) = f.status {
            inc(self.statuses.entry(status).or_default());
        }
        self.last_error = Some(f.message.clone());
        if let Some(view) = poller_view(&mut self.pollers, f.poller) {
            view.state = PollerState::BackingOff {
                until: f.at.checked_add(f.backoff).unwrap_or(f.at),
                message: f.message.clone(),
            };
            inc(&mut view.polls);
            inc(&mut view.errors);
            view.last_error = Some(f.message.clone());
            // A failure before any connection carried the request leaves the last one shown.
            if f.connection.id.is_some() {
                view.connection = f.connection.id;
                view.requests_on_connection = f.connection.requests;
                view.connection_opened = f.at.checked_sub(f.connection.age);
            }
        }
        let delta = SecondBucket {
            polls: 1,
            errors: 1,
            wire_bytes: f.wire_in.saturating_add(f.wire_out),
            ..SecondBucket::default()
        };
        self.seconds.add(self.second_of(f.at), &delta, []);
    }

    /// Whole seconds from the origin to `at` (0 for times before the origin).
    fn second_of(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_secs()
    }

    /// The instant times are measured from.
    #[must_use]
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Completed polls: answers plus failures.
    #[must_use]
    pub fn polls(&self) -> u64 {
        self.counts.polls
    }

    /// Events received.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.counts.events
    }

    /// Answers without events.
    #[must_use]
    pub fn empty_polls(&self) -> u64 {
        self.counts.empty_polls
    }

    /// Failed polls.
    #[must_use]
    pub fn errors(&self) -> u64 {
        self.counts.errors
    }

    /// TCP connections opened.
    #[must_use]
    pub fn new_connections(&self) -> u64 {
        self.counts.new_connections
    }

    /// Answers that came over a reused connection.
    #[must_use]
    pub fn reused_polls(&self) -> u64 {
        self.counts.reused_polls
    }

    /// Reused answers / answers; `None` before the first answer.
    #[must_use]
    pub fn reuse_ratio(&self) -> Option<f64> {
        (self.counts.responses > 0)
            .then(|| self.counts.reused_polls as f64 / self.counts.responses as f64)
    }

    /// Requests re-sent because a kept-alive connection turned out dead.
    #[must_use]
    pub fn stale_retries(&self) -> u64 {
        self.counts.stale_retries
    }

    /// Events skipped over by sequence gaps, per poller.
    #[must_use]
    pub fn lost_events(&self) -> u64 {
        self.counts.lost_events
    }

    /// Events whose sequence number was not above the poller's last one.
    #[must_use]
    pub fn duplicate_events(&self) -> u64 {
        self.counts.duplicate_events
    }

    /// Times a poller's sequence numbers jumped or went back so far that the numbering
    /// restarted (counted neither as lost nor as duplicate events).
    #[must_use]
    pub fn sequence_resets(&self) -> u64 {
        self.counts.sequence_resets
    }

    /// The most recent such restart, for saying so as it happens.
    #[must_use]
    pub fn last_sequence_reset(&self) -> Option<SequenceReset> {
        self.last_sequence_reset
    }

    /// Pollers whose thread ended unexpectedly.
    #[must_use]
    pub fn pollers_died(&self) -> u64 {
        self.counts.pollers_died
    }

    /// Polls that were answered (not failures): answers, client-cut empty holds and
    /// resyncs. A run where this stays 0 did not work.
    #[must_use]
    pub fn successful_polls(&self) -> u64 {
        self.counts.polls.saturating_sub(self.counts.errors)
    }

    /// Events with a negative latency (server clock ahead).
    #[must_use]
    pub fn clock_skewed_events(&self) -> u64 {
        self.counts.clock_skewed_events
    }

    /// Bring the running second's latency percentiles up to date with every event
    /// recorded. `record` works them out ever more rarely as a second fills up (they
    /// cost a walk of a histogram); a closed second's are always exact. For exports and
    /// final figures.
    pub fn settle(&mut self) {
        self.seconds.settle();
    }

    /// Extend the per-second series with empty buckets up to the last whole second
    /// before `now`, so silence shows as zeros up to the present rather than the
    /// series ending at the last answer. Returns whether anything was added (views
    /// recompute then). Does nothing before the first event.
    pub fn advance(&mut self, now: Instant) -> bool {
        match self.second_of(now).checked_sub(1) {
            Some(last_whole) => self.seconds.advance_to(last_whole),
            None => false,
        }
    }

    /// Rates over the last whole second before `now`: what a headline "per second"
    /// figure shows. They fall to 0 after one silent second instead of holding the
    /// last busy second's value.
    #[must_use]
    pub fn recent_rates(&self, now: Instant) -> RecentRates {
        let Some(last_whole) = self.second_of(now).checked_sub(1) else {
            return RecentRates::default();
        };
        self.seconds
            .bucket(last_whole)
            .map_or_else(RecentRates::default, |b| RecentRates {
                events_per_s: f64::from(b.events),
                polls_per_s: f64::from(b.polls),
                errors_per_s: f64::from(b.errors),
                wire_bytes_per_s: b.wire_bytes as f64,
            })
    }

    /// One bucket per second, oldest first, continuous, at most `history_seconds`.
    #[must_use]
    pub fn seconds(&self) -> &VecDeque<SecondBucket> {
        self.seconds.buckets()
    }

    /// Answered polls counted in the buckets [`Stats::seconds`] still keeps (the sum of
    /// their [`SecondBucket::answered`], kept as they change).
    #[must_use]
    pub fn answered_in_seconds(&self) -> u64 {
        self.seconds.kept_answered()
    }

    /// One point per answered poll, oldest first, at most `max_poll_points`.
    #[must_use]
    pub fn poll_points(&self) -> &VecDeque<PollPoint> {
        &self.poll_points
    }

    /// Per-poller views, indexed by poller (pollers beyond `MAX_POLLERS` are not tracked).
    #[must_use]
    pub fn pollers(&self) -> &[PollerView] {
        &self.pollers
    }

    /// Failed polls per kind.
    #[must_use]
    pub fn errors_by_kind(&self) -> &BTreeMap<ErrorKind, u64> {
        &self.errors_by_kind
    }

    /// Count per HTTP status: answers, and failures that had a status.
    #[must_use]
    pub fn statuses(&self) -> &BTreeMap<u16, u64> {
        &self.statuses
    }

    /// The message of the most recent failure.
    #[must_use]
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

fn inc(n: &mut u64) {
    *n = n.saturating_add(1);
}

/// The view of poller `index`, growing the list as indices appear. Indices past the
/// profile limit get no view, so a bogus index cannot allocate without bound.
fn poller_view(pollers: &mut Vec<PollerView>, index: usize) -> Option<&mut PollerView> {
    if index >= MAX_POLLERS as usize {
        return None;
    }
    if index >= pollers.len() {
        pollers.resize_with(index + 1, PollerView::default);
    }
    pollers.get_mut(index)
}

/// How a sequence number relates to the poller's last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seq {
    InOrder,
    /// This many numbers were skipped.
    Gap(u64),
    /// Not above the last one (which stays).
    Duplicate,
    /// So far from the last one (more than [`MAX_SEQ_JUMP`] ahead or [`MAX_SEQ_REWIND`]
    /// back) that the numbering restarted: tracking starts over at this number, and
    /// nothing is counted lost or duplicate.
    Reset,
}

/// Compare `seq` with `last` and move `last` forward. The first number never counts as a
/// gap: each poller has its own cursor and may join the stream anywhere.
pub(crate) fn track_seq(last: &mut Option<i64>, seq: i64) -> Seq {
    let Some(prev) = *last else {
        *last = Some(seq);
        return Seq::InOrder;
    };
    // i128: the difference of two i64 cannot overflow it.
    let step = i128::from(seq) - i128::from(prev);
    if step > i128::from(MAX_SEQ_JUMP) || -step > i128::from(MAX_SEQ_REWIND) {
        *last = Some(seq);
        return Seq::Reset;
    }
    if seq <= prev {
        return Seq::Duplicate;
    }
    *last = Some(seq);
    match step - 1 {
        0 => Seq::InOrder,
        skipped => Seq::Gap(u64::try_from(skipped).unwrap_or(u64::MAX)),
    }
}

impl SequenceReset {
    /// What happened, in a sentence.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "sequence numbers restarted: {} after {} (a jump of more than {MAX_SEQ_JUMP} or a \
             step back of more than {MAX_SEQ_REWIND} is a reset, not lost or duplicate events)",
            self.to, self.from
        )
    }
}

/// A restart of a poller's sequence numbers (see [`Stats::last_sequence_reset`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceReset {
    /// Which poller.
    pub poller: usize,
    /// Its last sequence number before, and the one that restarted the numbering.
    pub from: i64,
    /// See `from`.
    pub to: i64,
}
