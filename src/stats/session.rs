//! Session figures: restarts (with the events before and after each), control messages
//! by kind, replies sent, and answers from servers that were not holding.

use std::collections::VecDeque;

use serde::Serialize;

use super::{Stats, inc, poller_view};
use crate::poll::event::{PollResponse, SessionChange, SessionEvent};

/// Restarts kept for the summary and exports (the newest ones).
pub const MAX_RESTARTS_KEPT: usize = 1000;
/// Control-message kinds counted apart; more are counted under "other".
const MAX_CONTROL_KINDS: usize = 64;

/// Where a poller's session stands (profiles with bootstrap steps).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SessionState {
    /// A plain long poll: no session.
    #[default]
    None,
    /// The bootstrap steps are running.
    Bootstrapping,
    /// Polling in session `number` (1 for the first).
    InSession {
        /// 1 for the first session, then one more per restart.
        number: u32,
    },
}

/// One session restart: the server ended a poller's session and it bootstrapped again.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restart {
    /// Seconds from the origin.
    pub t_s: f64,
    /// Which poller.
    pub poller: usize,
    /// Why (the server's words where it gave any; secrets masked).
    pub reason: String,
    /// Events the ended session delivered.
    pub events_before: u64,
    /// Events the next session has delivered so far (or delivered, if it ended too).
    pub events_after: u64,
}

impl Stats {
    pub(super) fn record_session(&mut self, e: &SessionEvent) {
        match &e.change {
            SessionChange::Bootstrapping => {
                if let Some(view) = poller_view(&mut self.pollers, e.poller) {
                    view.session = SessionState::Bootstrapping;
                }
            }
            SessionChange::Established { number, .. } => {
                if let Some(view) = poller_view(&mut self.pollers, e.poller) {
                    view.session = SessionState::InSession { number: *number };
                    view.events_in_session = 0;
                }
            }
            SessionChange::Lost {
                reason,
                events_in_session,
                poll,
            } => {
                inc(&mut self.counts.session_restarts);
                if let Some(p) = poll {
                    self.record_lost_poll(e, p);
                }
                if let Some(view) = poller_view(&mut self.pollers, e.poller) {
                    inc(&mut view.restarts);
                    view.session = SessionState::Bootstrapping;
                    view.events_in_session = 0;
                    // A new session may start its numbering anywhere.
                    view.last_seq = None;
                }
                if self.restarts.len() >= MAX_RESTARTS_KEPT {
                    self.restarts.pop_front();
                }
                self.restarts.push_back(Restart {
                    t_s: e.at.saturating_duration_since(self.origin).as_secs_f64(),
                    poller: e.poller,
                    reason: reason.clone(),
                    events_before: *events_in_session,
                    events_after: 0,
                });
            }
        }
    }

    /// The poll whose error answer said the session was gone: a poll, not an error.
    fn record_lost_poll(&mut self, e: &SessionEvent, p: &crate::poll::event::LostPoll) {
        let c = &mut self.counts;
        inc(&mut c.polls);
        c.wire_in = c.wire_in.saturating_add(p.wire_in);
        c.wire_out = c.wire_out.saturating_add(p.wire_out);
        inc(self.statuses.entry(p.status).or_default());
        if let Some(view) = poller_view(&mut self.pollers, e.poller) {
            view.state = super::PollerState::Idle;
            inc(&mut view.polls);
        }
        let delta = super::SecondBucket {
            polls: 1,
            wire_bytes: p.wire_in.saturating_add(p.wire_out),
            ..super::SecondBucket::default()
        };
        self.seconds.add(self.second_of(e.at), &delta, []);
    }

    /// Control messages, replies and not-holding answers of one answer.
    pub(super) fn record_response_session(&mut self, r: &PollResponse) {
        let c = &mut self.counts;
        c.control_messages = c
            .control_messages
            .saturating_add(u64::try_from(r.control.len()).unwrap_or(u64::MAX));
        c.replies = c.replies.saturating_add(u64::from(r.replies));
        if r.not_holding.is_some() {
            inc(&mut c.not_holding_answers);
        }
        for kind in &r.control {
            let key = if self.control_by_kind.len() < MAX_CONTROL_KINDS
                || self.control_by_kind.contains_key(kind)
            {
                kind.as_str()
            } else {
                "other"
            };
            inc(self.control_by_kind.entry(key.to_owned()).or_default());
        }
        if let Some(view) = poller_view(&mut self.pollers, r.poller) {
            view.events_in_session = view
                .events_in_session
                .saturating_add(u64::try_from(r.events.len()).unwrap_or(u64::MAX));
            if let Some(restart) = self
                .restarts
                .iter_mut()
                .rev()
                .find(|x| x.poller == r.poller)
            {
                restart.events_after = view.events_in_session;
            }
        }
    }

    /// Sessions the server ended and the pollers started again.
    #[must_use]
    pub fn session_restarts(&self) -> u64 {
        self.counts.session_restarts
    }

    /// Control messages received (pings, heartbeats, meta replies): never events.
    #[must_use]
    pub fn control_messages(&self) -> u64 {
        self.counts.control_messages
    }

    /// Control messages by kind.
    #[must_use]
    pub fn control_by_kind(&self) -> &std::collections::BTreeMap<String, u64> {
        &self.control_by_kind
    }

    /// Replies sent for control messages (Engine.IO pongs).
    #[must_use]
    pub fn replies_sent(&self) -> u64 {
        self.counts.replies
    }

    /// Long-poll answers that came back at once without progress, again (the poller
    /// paced itself after each).
    #[must_use]
    pub fn not_holding_answers(&self) -> u64 {
        self.counts.not_holding_answers
    }

    /// The restarts, oldest first (at most [`MAX_RESTARTS_KEPT`]).
    #[must_use]
    pub fn restarts(&self) -> &VecDeque<Restart> {
        &self.restarts
    }
}
