//! One poller: a named thread that keeps exactly one poll outstanding, re-polls at once
//! after an answer, retries once per stale keep-alive connection, and backs off after
//! failures. It reports everything as [`PollEvent`]s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use ureq::Agent;

use super::Waker;
use super::answer::{header, interpret};
use super::backoff::{Backoff, parse_retry_after};
use super::conversation::{Bootstrap, Conversation};
use super::event::{
    ConnectionUse, ErrorKind, FAILURE_BODY_KEPT, LostPoll, NotHolding, PollEvent, PollFailure,
    PollResponse, Resynced,
};
use super::failure::{classify, proxy_answer, proxy_error};
use super::redirect;
use super::request::{self, Outgoing};
use super::timing::PollTiming;
use crate::cursor::Cursor;
use crate::profile::{PollUrlTemplate, Profile};
use crate::proxy::ProxyEndpoint;
use crate::redact::Secrets;
use crate::transport::{self, CallRecord, TransportMetrics};

/// Longest error-body excerpt quoted in a message.
const ERROR_BODY_EXCERPT: usize = 200;

/// Everything one poller thread owns.
pub(crate) struct Worker {
    pub poller: usize,
    pub profile: Arc<Profile>,
    pub agent: Agent,
    pub metrics: Arc<TransportMetrics>,
    pub tx: Sender<PollEvent>,
    pub waker: Waker,
    pub stop: Arc<AtomicBool>,
    /// Never receives; disconnects when the session stops, waking any backoff sleep.
    pub stop_signal: Receiver<()>,
    /// Secret strings to mask in every message.
    pub secrets: Arc<Secrets>,
    /// The profile's poll URL, parsed once.
    pub url: Arc<PollUrlTemplate>,
    /// The forward proxy the polls go through, if any.
    pub proxy: Option<Arc<ProxyEndpoint>>,
    /// Every request and answer kept, for "test once" (`None` for pollers).
    pub trace: Option<std::cell::RefCell<super::probe::Trace>>,
}

/// An HTTP answer as read off the wire.
pub(crate) struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How one call went out and came back, for the event that reports it.
pub(crate) struct CallFacts {
    pub sent: Instant,
    pub connection: ConnectionUse,
    pub wire_in: u64,
    pub wire_out: u64,
    /// Stale-connection retries this poll needed before this call.
    pub stale_retries: u32,
    /// Where the call's time went.
    pub timing: PollTiming,
    /// The request head as sent, secrets masked (when captured).
    pub request: Option<String>,
}

impl CallFacts {
    /// An empty answer read at `received`, with these facts filled in.
    fn response(&self, poller: usize, received: Instant) -> PollResponse {
        PollResponse {
            connection: self.connection,
            stale_retries: self.stale_retries,
            wire_in: self.wire_in,
            wire_out: self.wire_out,
            timing: self.timing,
            request: self.request.clone(),
            ..PollResponse::new(poller, self.sent, received)
        }
    }

    /// A failure of `kind` seen at `at`, with these facts filled in (the wait and the
    /// attempt are the caller's to set).
    pub(crate) fn failure(
        &self,
        poller: usize,
        at: Instant,
        kind: ErrorKind,
        message: String,
    ) -> PollFailure {
        PollFailure {
            elapsed: at.saturating_duration_since(self.sent),
            stale_retries: self.stale_retries,
            connection: self.connection,
            wire_in: self.wire_in,
            wire_out: self.wire_out,
            timing: self.timing,
            request: self.request.clone(),
            ..PollFailure::new(poller, at, kind, message)
        }
    }
}

pub(crate) enum Outcome {
    Answer(Box<PollResponse>, Next),
    Failed(Box<PollFailure>),
    Resynced(Box<Resynced>),
    /// An answer (an error status, or a 204 that means "closed") said the session is
    /// gone.
    Lost(String, LostPoll),
    Stopped,
}

/// What an answer means for the next poll.
#[derive(Default)]
pub(crate) struct Next {
    /// The cursor could not move past these events: polling again at once would fetch
    /// them again, as fast as the server answers.
    pub stuck: bool,
    /// A message said the session is gone.
    pub lost: Option<String>,
    /// Wait this long first (advised by the server, or pacing a server not holding).
    pub pause: Option<Duration>,
}

impl Worker {
    /// The thread body.
    pub fn run(self) {
        let mut cursor = Cursor::starting_at(self.profile.initial_cursor.as_deref());
        let mut conv = Conversation::new(&self.profile, self.poller);
        let mut backoff = Backoff::default();
        let interval = self.profile.poll_interval();
        while !self.stopping() {
            if conv.needs_bootstrap() {
                let delay = match self.bootstrap(&mut conv, &cursor) {
                    Bootstrap::Done => None,
                    Bootstrap::Failed(failure) => {
                        let delay = failure.backoff;
                        self.send(PollEvent::Failed(failure));
                        Some(delay)
                    }
                    Bootstrap::Stopped => break,
                };
                if let Some(d) = delay {
                    if self.sleep(d) {
                        break;
                    }
                    continue;
                }
            }
            let started = Instant::now();
            let delay = match self.poll_once(&mut cursor, &mut backoff, &mut conv) {
                Outcome::Answer(response, next) => {
                    self.send(PollEvent::Response(response));
                    self.after_answer(&mut conv, &mut backoff, next)
                        .or_else(|| {
                            // Short polling: one request per interval, whatever it took.
                            interval
                                .map(|i| (started + i).saturating_duration_since(Instant::now()))
                        })
                }
                Outcome::Failed(failure) => {
                    let delay = failure.backoff;
                    self.send(PollEvent::Failed(failure));
                    Some(delay)
                }
                Outcome::Resynced(resynced) => {
                    self.send(PollEvent::Resynced(resynced));
                    backoff.reset();
                    None
                }
                Outcome::Lost(reason, poll) => {
                    self.session_lost(&mut conv, &reason, Some(poll));
                    conv.restart_delay()
                }
                Outcome::Stopped => break,
            };
            if let Some(d) = delay
                && self.sleep(d)
            {
                break;
            }
        }
        self.send(PollEvent::Stopped {
            poller: self.poller,
            at: Instant::now(),
        });
    }

    /// The wait before the next poll that an answer calls for (and the session or
    /// failure events it implies); `None` for "at once".
    fn after_answer(
        &self,
        conv: &mut Conversation,
        backoff: &mut Backoff,
        next: Next,
    ) -> Option<Duration> {
        if let Some(reason) = next.lost {
            self.session_lost(conv, &reason, None);
            return conv.restart_delay();
        }
        if next.stuck {
            return Some(backoff.next_delay());
        }
        backoff.reset();
        next.pause
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(crate) fn send(&self, event: PollEvent) {
        // A closed channel means nobody is watching any more: the session is ending.
        if self.tx.send(event).is_ok() {
            (self.waker)();
        }
    }

    /// Sleep `d` unless stopped first; true when stopped.
    fn sleep(&self, d: Duration) -> bool {
        match self.stop_signal.recv_timeout(d) {
            Err(RecvTimeoutError::Timeout) => self.stopping(),
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        }
    }

    fn mask(&self, text: &str) -> String {
        self.secrets.mask(text).into_owned()
    }

    /// One poll, including stale-connection retries.
    pub(crate) fn poll_once(
        &self,
        cursor: &mut Cursor,
        backoff: &mut Backoff,
        conv: &mut Conversation,
    ) -> Outcome {
        self.send(PollEvent::PollStarted {
            poller: self.poller,
            at: Instant::now(),
        });
        conv.sync_cursor(cursor);
        let outgoing = match request::poll(&self.profile, &self.url, cursor, &conv.vars) {
            Ok(o) => o,
            Err(e) => return Outcome::Failed(Box::new(self.request_failure(conv, &e, backoff))),
        };
        let mut stale_retries = 0;
        loop {
            let sent = Instant::now();
            transport::begin_call();
            let result = self.call_outgoing(&outgoing);
            let record = transport::end_call();
            let ended = Instant::now();
            self.report_connections(&record);
            self.report_redirects();
            if self.stopping() {
                return Outcome::Stopped;
            }
            let facts = self.call_facts(&record, sent, ended, stale_retries);
            return match result {
                Ok(raw) => {
                    if let Some(reason) = self.profile.session.answer_restart(raw.status, &raw.body)
                    {
                        return Outcome::Lost(reason, Self::lost_poll(raw.status, &facts));
                    }
                    if is_answer(raw.status) {
                        return self.answer(raw, cursor, &facts, conv, &outgoing.url, backoff);
                    }
                    match self.resync(&raw, cursor, &facts) {
                        Some(resynced) => Outcome::Resynced(Box::new(resynced)),
                        None => {
                            Outcome::Failed(Box::new(self.status_failure(&raw, &facts, backoff)))
                        }
                    }
                }
                Err(e) => {
                    let kind = self.call_error_kind(&e, record.wire_in);
                    if self.is_stale(&record, kind, stale_retries) {
                        stale_retries += 1;
                        self.report_stale(&record, &e);
                        continue;
                    }
                    if kind == ErrorKind::Timeout && self.profile.client_cut_is_empty_hold() {
                        self.client_cut(cursor, &facts)
                    } else {
                        Outcome::Failed(Box::new(self.transport_failure(&e, kind, &facts, backoff)))
                    }
                }
            };
        }
    }

    fn lost_poll(status: u16, facts: &CallFacts) -> LostPoll {
        LostPoll {
            status,
            hold: facts.sent.elapsed(),
            connection: facts.connection,
            wire_in: facts.wire_in,
            wire_out: facts.wire_out,
        }
    }

    /// Events with this profile's secrets masked in their text: a server that echoes the
    /// request (URL, headers) in an event must not put the credentials in the feed or
    /// the event log. Costs nothing for a profile without secrets.
    fn masked_events(
        &self,
        conv: &Conversation,
        mut events: Vec<super::event::ReceivedEvent>,
    ) -> Vec<super::event::ReceivedEvent> {
        let session = conv.secrets.borrow();
        if self.secrets.is_empty() && session.is_empty() {
            return events;
        }
        let mask = |text: &mut String| {
            let once = self.secrets.mask(text);
            let twice = session.mask(&once);
            if twice != text.as_str() {
                *text = twice.into_owned();
            }
        };
        for e in &mut events {
            match &mut e.payload {
                super::event::Payload::Text(t) => mask(t),
                super::event::Payload::Json(v) => mask_json(v, &mask),
            }
        }
        events
    }

    /// The server's cursor is too long to follow: restart where the profile says (its
    /// reset value or initial cursor), or keep the old cursor, and count a failure of
    /// its own kind. The answer's events are not shown: the restarted (or kept) cursor
    /// fetches them again.
    fn cursor_too_long(
        &self,
        len: usize,
        cursor: &mut Cursor,
        status: u16,
        facts: &CallFacts,
        backoff: &mut Backoff,
    ) -> PollFailure {
        let restart = self
            .profile
            .cursor_options
            .restart_value(self.profile.initial_cursor.as_deref());
        let action = match restart {
            Some(v) => {
                *cursor = Cursor::starting_at(Some(v));
                format!("restarting from {v}")
            }
            None => format!("keeping cursor {}", cursor.describe()),
        };
        let message = format!(
            "the server sent a cursor of {len} bytes, more than the {} this client \
             follows (longer ones make every later request too long); {action}",
            crate::cursor::MAX_CURSOR_BYTES
        );
        let failure = facts.failure(
            self.poller,
            Instant::now(),
            ErrorKind::CursorTooLong,
            message,
        );
        PollFailure {
            status: Some(status),
            backoff: backoff.next_delay(),
            attempt: backoff.failures(),
            ..failure
        }
    }

    /// The poll request could not be built (a variable left a bad URL).
    fn request_failure(
        &self,
        conv: &Conversation,
        why: &str,
        backoff: &mut Backoff,
    ) -> PollFailure {
        let now = Instant::now();
        PollFailure {
            message: self.mask_with(conv, &format!("the poll request cannot be built: {why}")),
            backoff: backoff.next_delay(),
            attempt: backoff.failures(),
            ..PollFailure::new(self.poller, now, ErrorKind::Request, String::new())
        }
    }

    /// Connections the call opened. Reported when the call returns (the connector
    /// cannot reach the channel), dated when each was made.
    pub(crate) fn report_connections(&self, record: &CallRecord) {
        for conn in &record.opened {
            self.send(PollEvent::Connected {
                poller: self.poller,
                at: conn.opened,
                conn: *conn,
            });
        }
    }

    /// Whether a failed call is the stale keep-alive race and may be sent again at once:
    /// a reused connection that broke before any answer byte, for a request that may be
    /// replayed, within the retry budget (one per poller the agent may hold, plus one).
    fn is_stale(&self, record: &CallRecord, kind: ErrorKind, retries: u32) -> bool {
        record.reused()
            && record.wire_in == 0
            && matches!(kind, ErrorKind::ConnectionLost | ErrorKind::Protocol)
            && self.profile.is_replayable()
            && retries < self.profile.pollers.saturating_add(1)
    }

    fn report_stale(&self, record: &CallRecord, e: &ureq::Error) {
        self.report_stale_masked(record, self.mask(&e.to_string()));
    }

    /// [`Worker::report_stale`] for a session request, masking the session's secrets too.
    pub(crate) fn report_stale_with(
        &self,
        record: &CallRecord,
        e: &ureq::Error,
        conv: &Conversation,
    ) {
        self.report_stale_masked(record, self.mask_with(conv, &e.to_string()));
    }

    fn report_stale_masked(&self, record: &CallRecord, error: String) {
        log::debug!(
            "poller {}: stale connection {:?}: {error}; retrying",
            self.poller,
            record.connection
        );
        self.send(PollEvent::StaleRetry {
            poller: self.poller,
            at: Instant::now(),
            connection: record.connection,
            error,
        });
    }

    /// A poll that failed in the transport (no HTTP answer).
    fn transport_failure(
        &self,
        e: &ureq::Error,
        kind: ErrorKind,
        facts: &CallFacts,
        backoff: &mut Backoff,
    ) -> PollFailure {
        let (message, kind) = self.describe_error(e, kind);
        PollFailure {
            backoff: backoff.next_delay(),
            attempt: backoff.failures(),
            ..facts.failure(self.poller, Instant::now(), kind, message)
        }
    }

    /// A request head for display: secret header values (by name, and the profile's
    /// secret headers) and every profile secret masked; `\n` line ends.
    pub(crate) fn mask_head(&self, head: &str) -> String {
        let mut lines = head.trim_end().split("\r\n");
        let mut out = lines.next().unwrap_or_default().to_owned();
        for line in lines {
            out.push('\n');
            match line.split_once(':') {
                Some((name, _)) if self.secret_header(name.trim()) => {
                    out.push_str(name);
                    out.push_str(": ");
                    out.push_str(crate::redact::MASK);
                }
                _ => out.push_str(line),
            }
        }
        self.mask(&out)
    }

    fn secret_header(&self, name: &str) -> bool {
        crate::profile::looks_secret(name)
            || self
                .profile
                .headers
                .iter()
                .any(|h| h.secret && h.name.eq_ignore_ascii_case(name))
    }

    /// How the call `record` describes went, sent at `sent` and over at `ended`, after
    /// `stale_retries` retries on stale connections.
    pub(crate) fn call_facts(
        &self,
        record: &CallRecord,
        sent: Instant,
        ended: Instant,
        stale_retries: u32,
    ) -> CallFacts {
        CallFacts {
            sent,
            connection: self.connection_use(record),
            wire_in: record.wire_in,
            wire_out: record.wire_out,
            stale_retries,
            timing: PollTiming::of_call(record, sent, ended),
            request: record.request_head.as_deref().map(|h| self.mask_head(h)),
        }
    }

    pub(crate) fn connection_use(&self, record: &CallRecord) -> ConnectionUse {
        let facts = record.connection.and_then(|id| {
            let requests = self.metrics.count_request(id);
            self.metrics.connection(id).map(|f| (requests, f))
        });
        ConnectionUse {
            id: record.connection,
            reused: record.reused(),
            requests: facts.map_or(1, |(r, _)| r),
            age: facts.map_or(Duration::ZERO, |(_, f)| f.opened.elapsed()),
        }
    }

    /// Whether the server answered at once without progress again (it is not holding),
    /// and for how long to pause; long polling only.
    fn pace(&self, conv: &mut Conversation, hold: Duration, progress: bool) -> Option<NotHolding> {
        if self.profile.poll_interval().is_some() {
            return None;
        }
        let asked = Duration::from_secs(u64::from(self.profile.hold_s));
        let not_holding = conv.pacer.after(hold, asked, progress);
        if let Some(n) = &not_holding
            && n.streak == 1
        {
            log::warn!("poller {}: {}", self.poller, n.describe());
        }
        not_holding
    }

    fn answer(
        &self,
        raw: RawAnswer,
        cursor: &mut Cursor,
        facts: &CallFacts,
        conv: &mut Conversation,
        poll_url: &str,
        backoff: &mut Backoff,
    ) -> Outcome {
        let received = Instant::now();
        let received_wall = SystemTime::now();
        let interp = interpret(
            &self.profile,
            cursor,
            raw.status,
            &raw.headers,
            &raw.body,
            received_wall,
        );
        if let Some(len) = interp.cursor_too_long {
            let mut failure = self.cursor_too_long(len, cursor, raw.status, facts, backoff);
            failure.message = self.mask_with(conv, &failure.message);
            return Outcome::Failed(Box::new(failure));
        }
        let moved = interp.cursor != *cursor;
        // On a cursor problem `interpret` hands back the old cursor.
        *cursor = interp.cursor;
        let signals = interp.signals;
        let set_vars = conv.apply(&signals.extracted);
        let (replies, reply_problem) = if signals.replies.is_empty() {
            (0, None)
        } else {
            self.send_replies(conv, &signals.replies, poll_url)
        };
        let mut problems: Vec<String> = interp.problem.into_iter().collect();
        problems.extend(reply_problem);
        if let Some(failure) = &signals.failure
            && interp.events.is_empty()
        {
            let message = self.mask_with(conv, failure);
            return Outcome::Failed(Box::new(PollFailure {
                status: Some(raw.status),
                backoff: signals.delay.unwrap_or_else(|| Self::session_backoff(conv)),
                retry_after: signals.delay.is_some(),
                headers: raw.headers.clone(),
                ..facts.failure(self.poller, received, ErrorKind::Session, message)
            }));
        }
        problems.extend(signals.failure.clone());
        conv.events_in_session = conv
            .events_in_session
            .saturating_add(interp.events.len() as u64);
        let progress = !interp.events.is_empty() || moved || set_vars || replies > 0;
        let not_holding = self.pace(conv, received - facts.sent, progress);
        let pause = match (signals.delay, not_holding.map(|n| n.pause)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let problem = (!problems.is_empty()).then(|| self.mask_with(conv, &problems.join("; ")));
        let response = PollResponse {
            received_wall,
            status: raw.status,
            body_bytes: raw.body.len() as u64,
            headers: raw.headers,
            events: self.masked_events(conv, interp.events),
            truncated: interp.truncated,
            cursor: self.mask_with(conv, &cursor.describe()),
            problem,
            control: interp.control,
            replies,
            not_holding,
            ..facts.response(self.poller, received)
        };
        Outcome::Answer(
            Box::new(response),
            Next {
                stuck: interp.cursor_stuck,
                lost: signals.restart,
                pause,
            },
        )
    }

    /// The wait after an answer that reported a failure (grows while it goes on).
    fn session_backoff(conv: &mut Conversation) -> Duration {
        conv.pacer = super::conversation::Pacer::default();
        conv.restart_delay().unwrap_or(Duration::from_millis(500))
    }

    /// The client's timeout ended an empty hold (the server holds until news).
    fn client_cut(&self, cursor: &Cursor, facts: &CallFacts) -> Outcome {
        let response = PollResponse {
            status: 0,
            cut_by_client: true,
            cursor: self.mask(&cursor.describe()),
            ..facts.response(self.poller, Instant::now())
        };
        Outcome::Answer(Box::new(response), Next::default())
    }

    /// A refusal that the profile's resync rule recognises: jump to the server's
    /// position.
    fn resync(&self, raw: &RawAnswer, cursor: &mut Cursor, facts: &CallFacts) -> Option<Resynced> {
        let rule = self.profile.cursor_options.resync.as_ref()?;
        let found = rule.check(cursor, raw.status, &raw.headers, &raw.body)?;
        let from = self.mask(&cursor.describe());
        *cursor = found.cursor;
        let at = Instant::now();
        log::info!(
            "poller {}: cursor {from} refused as too old; resuming from {}",
            self.poller,
            self.mask(&cursor.describe())
        );
        Some(Resynced {
            poller: self.poller,
            at,
            status: raw.status,
            from,
            to: self.mask(&cursor.describe()),
            skipped: found.skipped,
            hold: at - facts.sent,
            connection: facts.connection,
            wire_in: facts.wire_in,
            wire_out: facts.wire_out,
        })
    }

    fn status_failure(
        &self,
        raw: &RawAnswer,
        facts: &CallFacts,
        backoff: &mut Backoff,
    ) -> PollFailure {
        let now = Instant::now();
        let reason = ureq::http::StatusCode::from_u16(raw.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let excerpt: String = String::from_utf8_lossy(&raw.body)
            .chars()
            .take(ERROR_BODY_EXCERPT)
            .collect();
        let excerpt = excerpt.trim();
        let from_proxy = self
            .proxy
            .as_deref()
            .and_then(|p| proxy_answer(p, raw.status, &raw.headers, reason, &self.target()));
        let kind = if from_proxy.is_some() {
            ErrorKind::Proxy
        } else {
            ErrorKind::HttpStatus
        };
        let mut message = from_proxy.unwrap_or_else(|| format!("HTTP {} {reason}", raw.status));
        if !excerpt.is_empty() && kind == ErrorKind::HttpStatus {
            message.push_str(": ");
            message.push_str(excerpt);
        }
        let jittered = backoff.next_delay();
        let retry_after = header(&raw.headers, "retry-after")
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
            .or_else(|| self.advised_delay(&raw.body));
        if let Some(d) = retry_after {
            message.push_str(&format!(" (server asked to retry after {} s)", d.as_secs()));
        }
        PollFailure {
            status: Some(raw.status),
            backoff: retry_after.unwrap_or(jittered),
            retry_after: retry_after.is_some(),
            attempt: backoff.failures(),
            headers: raw.headers.clone(),
            body: (!raw.body.is_empty()).then(|| {
                let kept = &raw.body[..raw.body.len().min(FAILURE_BODY_KEPT)];
                self.mask(&String::from_utf8_lossy(kept))
            }),
            ..facts.failure(self.poller, now, kind, self.mask(&message))
        }
    }

    /// A delay the server advised in its error body (`retry_after_pointer`).
    fn advised_delay(&self, body: &[u8]) -> Option<Duration> {
        let pointer = self.profile.retry_after_pointer.as_deref()?;
        let json = crate::protocol::bounded::value(body)?;
        let secs = json.pointer(pointer).and_then(crate::cursor::as_i64)?;
        let secs = u64::try_from(secs).ok()?;
        Some(Duration::from_secs(secs).min(super::backoff::MAX_RETRY_AFTER))
    }

    /// Send one request and read the whole answer (up to the body limit).
    /// Send one request and read the whole answer (up to the body limit). The client
    /// timeout is the agent's (see `AgentSettings::call_timeout`).
    pub(crate) fn call_outgoing(&self, outgoing: &Outgoing<'_>) -> Result<RawAnswer, ureq::Error> {
        let sent = Instant::now();
        let result = self.send_outgoing(outgoing);
        if let Some(trace) = &self.trace {
            trace
                .borrow_mut()
                .push(super::probe::exchange(outgoing, &result, sent.elapsed()));
        }
        result
    }

    /// Send `outgoing` and read the answer, following redirects as the profile says
    /// (each hop noted in `HOPS` for the poll to report, the host of the hop in flight
    /// in `TARGET` for error messages).
    fn send_outgoing(&self, outgoing: &Outgoing<'_>) -> Result<RawAnswer, ureq::Error> {
        HOPS.with(|h| h.borrow_mut().clear());
        TARGET.with(|t| t.borrow_mut().take());
        let mut chain = redirect::Chain::default();
        let mut hop: Option<Outgoing<'_>> = None;
        loop {
            let current = hop.as_ref().unwrap_or(outgoing);
            let raw = self.one_exchange(current)?;
            let location = header(&raw.headers, "location");
            let (true, Some(location)) = (redirect::is_redirect(raw.status), location) else {
                return Ok(raw);
            };
            let (next, followed) = redirect::follow(
                current,
                raw.status,
                location,
                self.profile.redirects,
                &mut chain,
                &self.secrets,
            )
            .map_err(|refused| ureq::Error::Other(Box::new(refused)))?;
            log::info!("poller {}: {}", self.poller, followed_line(&followed));
            TARGET.with(|t| *t.borrow_mut() = host_port(&next.url));
            HOPS.with(|h| h.borrow_mut().push(followed));
            hop = Some(next);
        }
    }

    /// One request and its whole answer, no redirect followed.
    fn one_exchange(&self, outgoing: &Outgoing<'_>) -> Result<RawAnswer, ureq::Error> {
        HEAD_READ.with(|h| h.set(false));
        let (request, body) = outgoing.to_http(self.profile.keep_alive)?;
        let response = match body {
            Some(body) => self.agent.run(request.map(|()| body))?,
            None => self.agent.run(request)?,
        };
        HEAD_READ.with(|h| h.set(true));
        transport::mark_head_received();
        read_answer(response, self.profile.max_body_bytes)
    }

    /// Report the redirects the last call followed, in order.
    fn report_redirects(&self) {
        let hops = HOPS.with(|h| std::mem::take(&mut *h.borrow_mut()));
        for hop in hops {
            self.send(PollEvent::Redirected(Box::new(super::event::Redirected {
                poller: self.poller,
                at: Instant::now(),
                status: hop.status,
                from: hop.from,
                to: hop.to,
                cross_origin: hop.cross_origin,
                dropped: hop.dropped,
            })));
        }
    }

    /// The kind of a failed call: ureq reports a response head that outgrew its buffer
    /// as the peer closing (or, held open, a timeout); it is a head too large when the
    /// head was never read but a whole buffer's worth arrived.
    fn call_error_kind(&self, e: &ureq::Error, wire_in: u64) -> ErrorKind {
        let kind = classify(e);
        let head_buffer = transport::AgentSettings::sized_for(self.profile.pollers, 0).input_bytes;
        if matches!(
            kind,
            ErrorKind::ConnectionLost | ErrorKind::Timeout | ErrorKind::Protocol
        ) && !HEAD_READ.with(std::cell::Cell::get)
            && wire_in >= head_buffer as u64
        {
            return ErrorKind::HeadTooLarge;
        }
        kind
    }

    /// Label the exchanges that follow (for "test once").
    pub(crate) fn trace_label(&self, label: &str) {
        if let Some(t) = &self.trace {
            label.clone_into(&mut t.borrow_mut().label);
        }
    }

    /// `host:port` of the server, for messages.
    fn target(&self) -> String {
        // After a redirect, the host of the hop that failed.
        if let Some(t) = TARGET.with(|t| t.borrow().clone()) {
            return t;
        }
        self.profile
            .parsed_url()
            .ok()
            .map(|u| {
                format!(
                    "{}:{}",
                    u.host_str().unwrap_or("?"),
                    u.port_or_known_default().unwrap_or(0)
                )
            })
            .unwrap_or_default()
    }

    /// A clear, secret-free message for a transport error.
    pub(crate) fn describe_error(&self, e: &ureq::Error, kind: ErrorKind) -> (String, ErrorKind) {
        if let Some(proxy) = &self.proxy {
            let (message, kind) = proxy_error(e, kind, proxy, &self.target());
            return (self.mask(&message), kind);
        }
        let profile = &*self.profile;
        let target = self.target();
        let message = match kind {
            ErrorKind::ConnectRefused => {
                format!("connection refused by {target}: is the server running?")
            }
            ErrorKind::HostNotFound => format!("host of {target} not found (DNS lookup failed)"),
            ErrorKind::ConnectTimeout => format!(
                "could not connect to {target} within {} s",
                transport::CONNECT_TIMEOUT.as_secs()
            ),
            ErrorKind::Timeout if profile.client_timeout_is_explicit() => format!(
                "no complete answer within the client timeout of {:.1} s",
                profile.client_timeout().as_secs_f64(),
            ),
            ErrorKind::Timeout => format!(
                "no complete answer within the client timeout of {:.1} s (hold {} s + margin)",
                profile.client_timeout().as_secs_f64(),
                profile.hold_s
            ),
            ErrorKind::BodyTooLarge => format!(
                "answer body larger than this profile's limit of {} bytes; stopped reading",
                profile.max_body_bytes
            ),
            // No advice here: the faces add theirs (a flag on the command line, a field
            // in the editor).
            ErrorKind::Tls => format!("TLS with {target} failed: {e}"),
            ErrorKind::FileLimit => format!(
                "out of open files ({e}): the process's open-file limit ({}) is used up; \
                 raise it with `ulimit -n` or use fewer pollers",
                crate::limits::raise_open_file_limit()
                    .soft
                    .map_or("unknown".to_owned(), |s| s.to_string())
            ),
            ErrorKind::ConnectionLost => format!("connection to {target} lost: {e}"),
            ErrorKind::Redirect | ErrorKind::InsecureRedirect => match e {
                ureq::Error::Other(inner) => inner.to_string(),
                other => other.to_string(),
            },
            ErrorKind::HeadTooLarge => format!(
                "head too large: {target} sent a response head (status line and headers) \
                 larger than the {} KiB this client keeps per connection",
                transport::AgentSettings::sized_for(profile.pollers, 0).input_bytes / 1024
            ),
            ErrorKind::Protocol if matches!(e, ureq::Error::BodyStalled) => format!(
                "{target} sent a body whose framing never ends (a chunk-size line or chunk \
                 that does not fit the read buffer); not HTTP this client can read"
            ),
            ErrorKind::Protocol => format!("{target} sent something that is not HTTP: {e}"),
            _ => e.to_string(),
        };
        (self.mask(&message), kind)
    }
}

/// Statuses whose body is read as an answer (2xx, and the "nothing new" ones).
fn is_answer(status: u16) -> bool {
    (200..300).contains(&status) || status == 304 || status == 408
}

/// Apply `mask` to every string (not key) in `v`.
fn mask_json(v: &mut serde_json::Value, mask: &dyn Fn(&mut String)) {
    match v {
        serde_json::Value::String(s) => mask(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|i| mask_json(i, mask)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|i| mask_json(i, mask)),
        _ => {}
    }
}

/// `host:port` of a URL, for messages.
fn host_port(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(format!(
        "{}:{}",
        u.host_str()?,
        u.port_or_known_default().unwrap_or(0)
    ))
}

/// The log line for a hop.
fn followed_line(hop: &redirect::Hop) -> String {
    let mut text = format!(
        "followed redirect {}: {} → {}",
        hop.status, hop.from, hop.to
    );
    if !hop.dropped.is_empty() {
        text.push_str(&format!(
            " (another origin; not sent on: {})",
            hop.dropped.join(", ")
        ));
    }
    text
}

thread_local! {
    /// The redirects the current call followed.
    static HOPS: std::cell::RefCell<Vec<redirect::Hop>> = const { std::cell::RefCell::new(Vec::new()) };
    /// `host:port` of the redirect hop in flight, when the call left the profile's URL.
    static TARGET: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    /// Whether the current call on this poller's thread got past the response head
    /// (see `Worker::call_error_kind`).
    static HEAD_READ: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Status, headers and the whole body (up to `limit` bytes) of an answer.
fn read_answer(
    mut response: ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<RawAnswer, ureq::Error> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()?;
    Ok(RawAnswer {
        status,
        headers,
        body,
    })
}
