//! The end-of-run [`Summary`]: every figure of a [`Stats`] as plain, serializable data
//! (the CLI's `--json` output; key names are part of that interface).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Stats;

/// Figures for a whole session, from [`Stats::summary`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Completed polls: answers plus failures (stale retries are not polls).
    pub polls: u64,
    /// Events received.
    pub events: u64,
    /// Answers without events.
    pub empty_polls: u64,
    /// Failed polls.
    pub errors: u64,
    /// TCP connections opened.
    pub new_connections: u64,
    /// Answers that came over a reused connection.
    pub reused_connections: u64,
    /// `reused_connections` / answers; `None` before the first answer.
    pub reuse_ratio: Option<f64>,
    /// Requests re-sent after a stale keep-alive connection.
    pub stale_retries: u64,
    /// TLS handshakes made.
    pub tls_handshakes: u64,
    /// TCP connect time, summed over all new connections.
    pub connect_ms_total: f64,
    /// TLS handshake time, summed.
    pub tls_ms_total: f64,
    /// Reused answers × the median cost (connect + TLS) of a new connection.
    pub handshake_ms_saved: f64,
    /// Hold time (request sent → whole answer read) over all answers, median.
    pub hold_ms_p50: Option<f64>,
    /// The same, 99th percentile.
    pub hold_ms_p99: Option<f64>,
    /// Hold time over answers with events, median.
    pub hold_ms_events_p50: Option<f64>,
    /// The same, 99th percentile.
    pub hold_ms_events_p99: Option<f64>,
    /// Hold time over empty answers, median.
    pub hold_ms_empty_p50: Option<f64>,
    /// The same, 99th percentile.
    pub hold_ms_empty_p99: Option<f64>,
    /// Longest hold of any answer.
    pub max_poll_ms: Option<f64>,
    /// Receive time minus server timestamp, over events that carry one: median.
    pub event_latency_ms_p50: Option<f64>,
    /// The same, 99th percentile.
    pub event_latency_ms_p99: Option<f64>,
    /// The same, mean.
    pub event_latency_ms_mean: Option<f64>,
    /// Events whose latency was negative (the server's clock is ahead); counted as 0 ms.
    pub clock_skewed_events: u64,
    /// Events skipped over by sequence gaps, per poller.
    pub lost_events: u64,
    /// Events whose sequence number was not above the poller's last one.
    pub duplicate_events: u64,
    /// Cursors refused as too old and skipped past (their gaps are in `lost_events`).
    pub resyncs: u64,
    /// Empty holds ended by the client's timeout (servers not told how long to hold).
    pub client_cuts: u64,
    /// Pollers whose thread ended unexpectedly (a bug): the figures are incomplete.
    pub pollers_died: u64,
    /// Restarts of a poller's sequence numbering (a jump of more than 1,000,000 or a step
    /// back of more than 10,000): not counted as lost or duplicate events.
    pub sequence_resets: u64,
    /// Redirect hops followed, and how many of them went to another origin (where no
    /// secret was sent on).
    pub redirects: u64,
    /// See `redirects`.
    pub cross_origin_redirects: u64,
    /// Values of answers left out to bound memory (events past the first 10,000 of an
    /// array): counted, never shown.
    pub truncated_values: u64,
    /// Seconds from the origin to the summary.
    pub duration_s: f64,
    /// `polls` / `duration_s`.
    pub polls_per_s: f64,
    /// `events` / `duration_s`.
    pub events_per_s: f64,
    /// Answer bodies, summed.
    pub body_bytes: u64,
    /// Bytes read from the wire (headers and TLS included).
    pub wire_bytes_in: u64,
    /// Bytes written to the wire.
    pub wire_bytes_out: u64,
    /// Count per HTTP status ("200", "503", …), answers and failed statuses alike.
    pub statuses: BTreeMap<String, u64>,
    /// Count per error kind ([`crate::poll::event::ErrorKind::name`]).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Sessions the server ended and a poller bootstrapped again.
    pub session_restarts: u64,
    /// Control messages (pings, heartbeats, meta replies): never events.
    pub control_messages: u64,
    /// Control messages by kind (`ping`, `heartbeat`, `/meta/connect`…).
    pub control_by_kind: BTreeMap<String, u64>,
    /// Replies sent for control messages (Engine.IO pongs).
    pub replies_sent: u64,
    /// Long-poll answers from a server that answered at once without progress, again;
    /// the poller paced itself after each.
    pub not_holding_answers: u64,
    /// Each session restart with the events before and after it (the newest
    /// [`super::MAX_RESTARTS_KEPT`]).
    pub restarts: Vec<super::Restart>,
}

impl Stats {
    /// Every figure so far; `now` sets `duration_s` (and so the rates).
    #[must_use]
    pub fn summary(&self, now: Instant) -> Summary {
        let c = &self.counts;
        let duration_s = now.saturating_duration_since(self.origin).as_secs_f64();
        let per_s = |n: u64| {
            if duration_s > 0.0 {
                n as f64 / duration_s
            } else {
                0.0
            }
        };
        let (hold_ms_p50, hold_ms_p99) = self.hold_all.p50_p99_ms();
        let (hold_ms_events_p50, hold_ms_events_p99) = self.hold_events.p50_p99_ms();
        let (hold_ms_empty_p50, hold_ms_empty_p99) = self.hold_empty.p50_p99_ms();
        let (event_latency_ms_p50, event_latency_ms_p99) = self.latency.p50_p99_ms();
        Summary {
            polls: c.polls,
            events: c.events,
            empty_polls: c.empty_polls,
            errors: c.errors,
            new_connections: c.new_connections,
            reused_connections: c.reused_polls,
            reuse_ratio: self.reuse_ratio(),
            stale_retries: c.stale_retries,
            tls_handshakes: c.tls_handshakes,
            connect_ms_total: ms(self.connect_total),
            tls_ms_total: ms(self.tls_total),
            handshake_ms_saved: self.handshake_ms_saved(),
            hold_ms_p50,
            hold_ms_p99,
            hold_ms_events_p50,
            hold_ms_events_p99,
            hold_ms_empty_p50,
            hold_ms_empty_p99,
            max_poll_ms: self.max_hold.map(ms),
            event_latency_ms_p50,
            event_latency_ms_p99,
            event_latency_ms_mean: self.latency.mean_ms(),
            clock_skewed_events: c.clock_skewed_events,
            lost_events: c.lost_events,
            duplicate_events: c.duplicate_events,
            resyncs: c.resyncs,
            client_cuts: c.client_cuts,
            pollers_died: c.pollers_died,
            sequence_resets: c.sequence_resets,
            redirects: c.redirects,
            cross_origin_redirects: c.cross_origin_redirects,
            truncated_values: c.truncated_values,
            duration_s,
            polls_per_s: per_s(c.polls),
            events_per_s: per_s(c.events),
            body_bytes: c.body_bytes,
            wire_bytes_in: c.wire_in,
            wire_bytes_out: c.wire_out,
            statuses: self
                .statuses
                .iter()
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            errors_by_kind: self
                .errors_by_kind
                .iter()
                .map(|(kind, n)| (kind.name().to_owned(), *n))
                .collect(),
            session_restarts: c.session_restarts,
            control_messages: c.control_messages,
            control_by_kind: self.control_by_kind.clone(),
            replies_sent: c.replies,
            not_holding_answers: c.not_holding_answers,
            restarts: self.restarts.iter().cloned().collect(),
        }
    }

    /// Reused answers × the median new-connection cost, in milliseconds.
    fn handshake_ms_saved(&self) -> f64 {
        self.connection_cost
            .quantile_ms(0.5)
            .map_or(0.0, |median| self.counts.reused_polls as f64 * median)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
