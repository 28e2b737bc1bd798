//! One poller's session: its variables, the bootstrap steps that (re)establish the
//! session, the replies control messages need, session restarts, and pacing when a
//! long-poll server answers at once without progress.
//!
//! Everything here follows the profile's data (`crate::protocol`); nothing names a
//! protocol.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::event::{
    ErrorKind, LostPoll, NotHolding, PollEvent, PollFailure, SessionChange, SessionEvent,
};
use super::failure::classify;
use super::request::{self, Outgoing};
use super::worker::{CallFacts, RawAnswer, Worker};
use crate::cursor::Cursor;
use crate::profile::Profile;
use crate::protocol::Vars;
use crate::protocol::rules::{Extracted, extract};
use crate::protocol::spec::step_label;
use crate::redact::Secrets;
use crate::transport;

/// The first pause after answers that come back at once without progress.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// A session that ends sooner than this after it began makes the next bootstrap wait
/// (backing off), so a server that drops every session is not hammered.
const SHORT_SESSION: Duration = Duration::from_secs(2);

/// A poller's session state.
pub(crate) struct Conversation {
    pub vars: Vars,
    /// Values of secret variables read from answers, masked like the profile's.
    pub secrets: RefCell<Secrets>,
    /// Whether the profile has bootstrap steps (a session to keep).
    has_session: bool,
    /// The session number while in session; `None` when the steps must run.
    pub session: Option<u32>,
    sessions: u32,
    established_at: Option<Instant>,
    pub events_in_session: u64,
    restart_backoff: Backoff,
    pub pacer: Pacer,
}

impl Conversation {
    pub fn new(profile: &Profile, poller: usize) -> Self {
        let vars = Vars::new(&profile.variables, poller);
        let secrets = Secrets::new(vars.secret_values());
        Self {
            vars,
            secrets: RefCell::new(secrets),
            has_session: !profile.session.bootstrap.is_empty(),
            session: None,
            sessions: 0,
            established_at: None,
            events_in_session: 0,
            restart_backoff: Backoff::default(),
            pacer: Pacer::default(),
        }
    }

    /// Whether the bootstrap steps must run before the next poll.
    pub fn needs_bootstrap(&self) -> bool {
        self.has_session && self.session.is_none()
    }

    /// The cursor's values as variables (`{{cursor}}`, `{{etag}}`, `{{last_modified}}`).
    pub fn sync_cursor(&mut self, cursor: &Cursor) {
        for (name, value) in [
            ("cursor", &cursor.value),
            ("etag", &cursor.etag),
            ("last_modified", &cursor.last_modified),
        ] {
            self.vars.set(name, value.as_deref().unwrap_or(""), false);
        }
    }

    /// Set what an answer read; true when any value changed.
    pub fn apply(&mut self, extracted: &[Extracted]) -> bool {
        let mut changed = false;
        for e in extracted {
            changed |= self.vars.set(&e.var, &e.value, e.secret);
            if e.secret {
                self.secrets.borrow_mut().add(&e.value);
            }
        }
        changed
    }

    /// How long to wait before bootstrapping again after the session ended.
    pub fn restart_delay(&mut self) -> Option<Duration> {
        let short = self
            .established_at
            .is_none_or(|at| at.elapsed() < SHORT_SESSION);
        if short && self.events_in_session == 0 {
            Some(self.restart_backoff.next_delay())
        } else {
            self.restart_backoff.reset();
            None
        }
    }
}

/// Pacing for a long-poll server that answers at once without progress: the first such
/// answer is free (a session's first poll may be answered at once by design), then each
/// one in a row waits twice as long as the one before, from 100 ms up to the hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pacer {
    fast_in_a_row: u32,
}

impl Pacer {
    /// After an answer held `held` of the `asked` hold: the pause to take, if any.
    pub fn after(&mut self, held: Duration, asked: Duration, progress: bool) -> Option<NotHolding> {
        // "Far sooner than the hold": under a tenth of it, and under a second.
        let fast = held < (asked / 10).min(Duration::from_secs(1));
        if progress || !fast || asked.is_zero() {
            self.fast_in_a_row = 0;
            return None;
        }
        self.fast_in_a_row = self.fast_in_a_row.saturating_add(1);
        let streak = self.fast_in_a_row.checked_sub(1).filter(|s| *s > 0)?;
        let doublings = (streak - 1).min(20);
        let pause = FIRST_PAUSE.saturating_mul(1 << doublings).min(asked);
        Some(NotHolding {
            answered_in: held,
            asked,
            pause,
            streak,
        })
    }
}

/// How a bootstrap attempt ended.
pub(crate) enum Bootstrap {
    Done,
    Failed(Box<PollFailure>),
    Stopped,
}

impl Worker {
    /// Run the bootstrap steps in order; each answer may set variables.
    pub(crate) fn bootstrap(&self, conv: &mut Conversation, cursor: &Cursor) -> Bootstrap {
        let profile = &*self.profile;
        self.send(PollEvent::Session(Box::new(SessionEvent {
            poller: self.poller,
            at: Instant::now(),
            change: SessionChange::Bootstrapping,
        })));
        conv.vars.refresh(&profile.variables);
        for name in profile.session.extracted() {
            conv.vars.remove(name);
        }
        conv.sync_cursor(cursor);
        for (i, step) in profile.session.bootstrap.iter().enumerate() {
            let label = step_label(i, &step.name);
            self.trace_label(&label);
            let sent = Instant::now();
            let outgoing = request::base_url(profile, cursor, &conv.vars)
                .and_then(|base| request::other(&step.request, &base, &conv.vars));
            let outgoing = match outgoing {
                Ok(o) => o,
                Err(e) => {
                    return self.step_failed(conv, &label, &e, ErrorKind::Request, sent, None);
                }
            };
            let Some((result, facts)) = self.exchange(&outgoing, conv) else {
                return Bootstrap::Stopped;
            };
            let raw = match result {
                Ok(raw) if (200..300).contains(&raw.status) => raw,
                Ok(raw) => {
                    let why = format!("HTTP {}{}", raw.status, excerpt(&raw.body));
                    return self.step_failed(
                        conv,
                        &label,
                        &why,
                        ErrorKind::HttpStatus,
                        sent,
                        Some((raw.status, facts)),
                    );
                }
                Err(e) => {
                    let kind = classify(&e);
                    let (message, kind) = self.describe_error(&e, kind);
                    return self.step_failed(conv, &label, &message, kind, sent, Some((0, facts)));
                }
            };
            let decoded = step.decoder.decode(&raw.body);
            let records: Vec<&serde_json::Value> =
                decoded.records.iter().map(|r| &r.value).collect();
            let failed = step
                .fail_when
                .iter()
                .find(|m| records.iter().any(|r| m.matches_message(r)));
            let (found, missing) = extract(&step.extract, &raw.headers, &records);
            let why = if let Some(m) = failed {
                Some(format!(
                    "the answer says it failed ({}){}",
                    m.describe(),
                    excerpt(&raw.body)
                ))
            } else {
                missing.first().map(|name| {
                    let rule = step.extract.iter().find(|e| &e.var == name);
                    let at = rule
                        .and_then(|e| e.pointer.clone().or_else(|| e.header.clone()))
                        .unwrap_or_default();
                    format!(
                        "no {at} for {{{{{name}}}}} in the answer{}",
                        excerpt(&raw.body)
                    )
                })
            };
            if let Some(why) = why {
                return self.step_failed(
                    conv,
                    &label,
                    &why,
                    ErrorKind::Session,
                    sent,
                    Some((raw.status, facts)),
                );
            }
            conv.apply(&found);
            log::debug!("poller {}: {label} done", self.poller);
        }
        conv.sessions = conv.sessions.saturating_add(1);
        conv.session = Some(conv.sessions);
        conv.established_at = Some(Instant::now());
        conv.events_in_session = 0;
        conv.pacer = Pacer::default();
        self.send(PollEvent::Session(Box::new(SessionEvent {
            poller: self.poller,
            at: Instant::now(),
            change: SessionChange::Established {
                number: conv.sessions,
                variables: conv.vars.shown(),
            },
        })));
        Bootstrap::Done
    }

    fn step_failed(
        &self,
        conv: &mut Conversation,
        label: &str,
        why: &str,
        kind: ErrorKind,
        sent: Instant,
        answered: Option<(u16, CallFacts)>,
    ) -> Bootstrap {
        let now = Instant::now();
        // Reported as a Failed event (shown by every face), so not logged as well.
        let message = self.mask_with(conv, &format!("bootstrap {label} failed: {why}"));
        let (status, failure) = match answered {
            Some((status, facts)) => (
                (status > 0).then_some(status),
                facts.failure(self.poller, now, kind, message),
            ),
            None => (
                None,
                PollFailure {
                    elapsed: now.saturating_duration_since(sent),
                    ..PollFailure::new(self.poller, now, kind, message)
                },
            ),
        };
        Bootstrap::Failed(Box::new(PollFailure {
            status,
            backoff: conv.restart_backoff.next_delay(),
            attempt: conv.restart_backoff.failures(),
            ..failure
        }))
    }

    /// Send the replies the answer's control messages need; returns how many went
    /// through and what went wrong with the others.
    pub(crate) fn send_replies(
        &self,
        conv: &Conversation,
        replies: &[usize],
        poll_url: &str,
    ) -> (u32, Option<String>) {
        let mut sent = 0;
        let mut problem = None;
        for &i in replies {
            let Some(reply) = self.profile.session.replies.get(i) else {
                continue;
            };
            self.trace_label(&format!("reply {}", i + 1));
            let outcome =
                request::other(&reply.request, poll_url, &conv.vars).map_err(|e| e.clone());
            let outcome = outcome.and_then(|o| match self.exchange(&o, conv) {
                Some((Ok(raw), _)) if (200..300).contains(&raw.status) => Ok(()),
                Some((Ok(raw), _)) => Err(format!("HTTP {}{}", raw.status, excerpt(&raw.body))),
                Some((Err(e), _)) => Err(e.to_string()),
                None => Err("stopped".to_owned()),
            });
            match outcome {
                Ok(()) => sent += 1,
                Err(e) => {
                    problem.get_or_insert_with(|| {
                        self.mask_with(
                            conv,
                            &format!("reply {} to {} failed: {e}", i + 1, reply.when.describe()),
                        )
                    });
                }
            }
        }
        (sent, problem)
    }

    /// One request other than the poll, retried once on a fresh connection when a
    /// reused one turns out dead before answering (the keep-alive race; a session step
    /// is safe to send again, the server never saw it). `None` when stopped.
    pub(crate) fn exchange(
        &self,
        outgoing: &Outgoing<'_>,
        conv: &Conversation,
    ) -> Option<(Result<RawAnswer, ureq::Error>, CallFacts)> {
        let mut stale_retries = 0;
        loop {
            let sent = Instant::now();
            transport::begin_call();
            let result = self.call_outgoing(outgoing);
            let record = transport::end_call();
            let ended = Instant::now();
            self.report_connections(&record);
            if self.stopping() {
                return None;
            }
            if let Err(e) = &result
                && stale_retries == 0
                && record.reused()
                && record.wire_in == 0
                && matches!(classify(e), ErrorKind::ConnectionLost | ErrorKind::Protocol)
            {
                stale_retries += 1;
                self.report_stale_with(&record, e, conv);
                continue;
            }
            let facts = self.call_facts(&record, sent, ended, stale_retries);
            return Some((result, facts));
        }
    }

    /// The session is gone: say so, and bootstrap before the next poll.
    pub(crate) fn session_lost(
        &self,
        conv: &mut Conversation,
        reason: &str,
        poll: Option<LostPoll>,
    ) {
        let reason = self.mask_with(conv, reason);
        log::info!(
            "poller {}: session {} lost: {reason}",
            self.poller,
            conv.session.unwrap_or(0)
        );
        self.send(PollEvent::Session(Box::new(SessionEvent {
            poller: self.poller,
            at: Instant::now(),
            change: SessionChange::Lost {
                reason,
                events_in_session: conv.events_in_session,
                poll,
            },
        })));
        conv.session = None;
    }

    /// `text` with the profile's secrets and the session's masked.
    pub(crate) fn mask_with(&self, conv: &Conversation, text: &str) -> String {
        let once = self.secrets.mask(text);
        conv.secrets.borrow().mask(&once).into_owned()
    }
}

/// `: <body excerpt>` for messages, or nothing for an empty body.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut out: String = text.chars().take(160).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    format!(": {out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_starts_on_the_second_fast_empty_answer_and_grows_to_the_hold() {
        let mut p = Pacer::default();
        let hold = Duration::from_secs(30);
        let fast = Duration::from_millis(2);
        assert_eq!(p.after(fast, hold, false), None, "the first is free");
        let pauses: Vec<Duration> = (0..12)
            .map(|_| p.after(fast, hold, false).unwrap().pause)
            .collect();
        assert_eq!(pauses[0], Duration::from_millis(100));
        assert_eq!(pauses[1], Duration::from_millis(200));
        assert_eq!(pauses[4], Duration::from_millis(1600));
        assert_eq!(*pauses.last().unwrap(), hold, "never more than the hold");
        let n = p.after(fast, hold, false).unwrap();
        assert_eq!(n.streak, 13);
        assert!(
            n.describe()
                .starts_with("server is not holding: answered in 2 ms, asked for 30 s")
        );
        // Progress, or a real hold, resets it.
        assert_eq!(p.after(fast, hold, true), None);
        assert_eq!(p.after(fast, hold, false), None);
        assert!(p.after(fast, hold, false).is_some());
        assert_eq!(p.after(Duration::from_secs(29), hold, false), None);
        // No hold asked: nothing to compare with.
        assert_eq!(p.after(fast, Duration::ZERO, false), None);
        assert_eq!(p.after(fast, Duration::ZERO, false), None);
        // A short hold: a tenth of it is the line.
        let two = Duration::from_secs(2);
        let mut q = Pacer::default();
        assert_eq!(q.after(Duration::from_millis(250), two, false), None);
        assert_eq!(q.after(Duration::from_millis(250), two, false), None);
    }
}
