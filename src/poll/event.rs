//! The typed events poll workers send to whoever watches them (GUI, CLI, tests): the
//! contract between the poller threads and everything else.
//!
//! Rules every event keeps: it is sent after the fact it reports (never before), on the
//! session's one channel, followed by one call of the session's waker; times are
//! [`Instant`]s of this process (wall-clock time only where a server's clock is compared,
//! [`PollResponse::received_wall`]); every text in it has the profile's secrets masked
//! (see [`crate::redact::Secrets`]); a poller's last event is [`PollEvent::Stopped`].

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::timing::PollTiming;
use crate::transport::NewConnection;

/// Everything a poll worker reports. One enum crosses threads; errors are data.
#[derive(Clone, Debug)]
pub enum PollEvent {
    /// A poll request is about to be sent: the poller is now holding.
    PollStarted {
        /// Which poller (0-based, as started).
        poller: usize,
        /// When the request went out.
        at: Instant,
    },
    /// A new TCP connection (and TLS session) was opened for this poller's request.
    Connected {
        /// Which poller.
        poller: usize,
        /// When the connection was made.
        at: Instant,
        /// Its number and what opening it cost.
        conn: NewConnection,
    },
    /// The server answered (with events or empty).
    Response(Box<PollResponse>),
    /// The request failed on a reused connection before any response byte; it is being
    /// sent again at once on another connection (the stale keep-alive race).
    StaleRetry {
        /// Which poller.
        poller: usize,
        /// When the failure was seen.
        at: Instant,
        /// The connection that had gone stale, when known.
        connection: Option<u64>,
        /// What the transport said (secrets masked).
        error: String,
    },
    /// A poll failed; the poller waits `backoff` before the next one.
    Failed(Box<PollFailure>),
    /// The server refused the cursor as too old; the poller jumped to the server's
    /// current position (events in between are lost) and polls on at once.
    Resynced(Box<Resynced>),
    /// The poller's session changed: bootstrap steps running, a session established,
    /// or the session lost (the server ended it; the poller bootstraps again).
    Session(Box<SessionEvent>),
    /// The poller has ended; it sends nothing after this.
    Stopped {
        /// Which poller.
        poller: usize,
        /// When it ended.
        at: Instant,
    },
    /// A poll was redirected and the redirect followed (refused ones are failures of
    /// kind [`ErrorKind::Redirect`] or [`ErrorKind::InsecureRedirect`]).
    Redirected(Box<Redirected>),
    /// The poller's thread ended unexpectedly (a bug): it polls no more, and the run's
    /// figures are incomplete. Sent instead of [`PollEvent::Stopped`].
    PollerDied {
        /// Which poller.
        poller: usize,
        /// When it ended.
        at: Instant,
        /// What the thread said as it ended (secret-free).
        message: String,
    },
}

impl PollEvent {
    /// The poller this event is about.
    #[must_use]
    pub fn poller(&self) -> usize {
        match self {
            Self::PollStarted { poller, .. }
            | Self::Connected { poller, .. }
            | Self::StaleRetry { poller, .. }
            | Self::Stopped { poller, .. }
            | Self::PollerDied { poller, .. } => *poller,
            Self::Response(r) => r.poller,
            Self::Failed(f) => f.poller,
            Self::Resynced(r) => r.poller,
            Self::Redirected(r) => r.poller,
            Self::Session(s) => s.poller,
        }
    }
}

/// How a connection was used by one poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionUse {
    /// Connection number within the session's agent.
    pub id: Option<u64>,
    /// The poll ran over a connection it did not open.
    pub reused: bool,
    /// Requests this connection has carried, this one included.
    pub requests: u64,
    /// How long the connection has been open.
    pub age: Duration,
}

/// One event found in an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    /// The event itself.
    pub payload: Payload,
    /// Sequence number, when the profile has a sequence pointer and the event has one.
    pub seq: Option<i64>,
    /// Receive time minus server timestamp, in milliseconds (may be negative when
    /// clocks disagree), when the profile has a timestamp pointer.
    pub latency_ms: Option<f64>,
}

/// An event's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// The event as JSON (an item of the events array, or the whole body).
    Json(Value),
    /// Not JSON (or JSON was not expected): shown as text, invalid UTF-8 replaced.
    Text(String),
}

/// Whether an answer carried news: follows from its events (see
/// [`PollResponse::kind`]), never stored beside them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// One or more events.
    Events,
    /// Held until the server's timeout: 204, 304, 408, an empty body, or no events.
    Empty,
}

impl AnswerKind {
    /// The kind of an answer that carried `events`.
    #[must_use]
    pub fn of(events: &[ReceivedEvent]) -> Self {
        if events.is_empty() {
            Self::Empty
        } else {
            Self::Events
        }
    }
}

/// A server's answer to one poll.
#[derive(Clone, Debug)]
pub struct PollResponse {
    /// Which poller asked.
    pub poller: usize,
    /// When the request was sent.
    pub sent: Instant,
    /// When the answer was fully read.
    pub received: Instant,
    /// `received` by the wall clock, to compare with servers' timestamps.
    pub received_wall: SystemTime,
    /// How long the server held the poll (send → whole answer read).
    pub hold: Duration,
    /// HTTP status; 0 when the client cut the poll (see `cut_by_client`).
    pub status: u16,
    /// The client's timeout ended this poll, which is how empty holds end when the
    /// server is not told how long to hold (`Profile::client_cut_is_empty_hold`).
    pub cut_by_client: bool,
    /// The connection the answer came over.
    pub connection: ConnectionUse,
    /// Stale-connection retries this poll needed before it got through.
    pub stale_retries: u32,
    /// Body size in bytes.
    pub body_bytes: u64,
    /// Bytes read from the wire for this poll (headers included).
    pub wire_in: u64,
    /// Bytes written to the wire for this poll (headers included).
    pub wire_out: u64,
    /// Response headers as received (values not masked: the faces mask by name).
    pub headers: Vec<(String, String)>,
    /// The events found, in the order the server sent them; empty for an empty hold.
    pub events: Vec<ReceivedEvent>,
    /// The cursor the next poll will send, for display.
    pub cursor: String,
    /// Why the cursor or the events could not be read (the old cursor is kept).
    pub problem: Option<String>,
    /// Where the time went: lookup, connect, TLS, waiting, body.
    pub timing: PollTiming,
    /// The request head as sent (secrets masked), when the session captures requests.
    pub request: Option<String>,
    /// Values of the answer not kept to bound memory (events past the first 10,000 of
    /// an array, see [`crate::protocol::bounded`]): counted, never shown.
    pub truncated: u64,
    /// Control messages in the answer (pings, heartbeats, meta replies), by label:
    /// never events.
    pub control: Vec<String>,
    /// Replies sent for them (Engine.IO ping → pong).
    pub replies: u32,
    /// The answer came back far sooner than the hold with nothing new, again: the
    /// poller waits before the next poll (short polling is exempt).
    pub not_holding: Option<NotHolding>,
}

/// A long-poll answer that came back at once without progress, and the pause the poller
/// takes before the next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHolding {
    /// How long the server held the poll.
    pub answered_in: Duration,
    /// How long it was asked to hold (the profile's hold).
    pub asked: Duration,
    /// The wait before the next poll (grows towards the hold while this goes on).
    pub pause: Duration,
    /// Such answers in a row, this one included (1 when it starts).
    pub streak: u32,
}

impl NotHolding {
    /// "server is not holding: answered in 2 ms, asked for 30 s; next poll in 0.4 s".
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "server is not holding: answered in {}, asked for {}; next poll in {}",
            crate::present::units::duration(self.answered_in),
            crate::present::units::duration(self.asked),
            crate::present::units::duration(self.pause)
        )
    }
}

/// A change in one poller's session (profiles with bootstrap steps).
#[derive(Clone, Debug)]
pub struct SessionEvent {
    /// Which poller.
    pub poller: usize,
    /// When it happened.
    pub at: Instant,
    /// What happened.
    pub change: SessionChange,
}

/// What happened to a poller's session.
#[derive(Clone, Debug)]
pub enum SessionChange {
    /// The bootstrap steps are running (the first time, or after the session was lost).
    Bootstrapping,
    /// The bootstrap steps succeeded: the poller polls in session `number` (1 for the
    /// first; 2 after the first restart, …).
    Established {
        /// 1 for the first session, then one more per restart.
        number: u32,
        /// The variables now set, `name = value`, secrets masked.
        variables: Vec<(String, String)>,
    },
    /// The server ended the session (an answer or a message said so); the poller
    /// bootstraps again. A session restart.
    Lost {
        /// Why, in the server's words where it gave any (secrets masked).
        reason: String,
        /// Events this session delivered before it ended.
        events_in_session: u64,
        /// The poll whose answer said so, when that answer is reported only here (an
        /// error status such as Socket.IO's `400 Session ID unknown`); `None` when the
        /// answer was reported as a [`PollResponse`] just before.
        poll: Option<LostPoll>,
    },
}

/// The poll that found a session gone, for counting it.
#[derive(Clone, Copy, Debug)]
pub struct LostPoll {
    /// The answer's HTTP status.
    pub status: u16,
    /// How long it was out.
    pub hold: Duration,
    /// The connection it came over.
    pub connection: ConnectionUse,
    /// Bytes read from the wire for it.
    pub wire_in: u64,
    /// Bytes written to the wire for it.
    pub wire_out: u64,
}

impl PollResponse {
    /// An empty `200` answer to `poller`'s poll sent at `sent` and read at `received`
    /// (now, by the wall clock): no headers, no events, no bytes, no cursor. Callers
    /// state only what differs, with struct update syntax:
    /// `PollResponse { status: 204, ..PollResponse::new(0, sent, received) }`.
    #[must_use]
    pub fn new(poller: usize, sent: Instant, received: Instant) -> Self {
        Self {
            poller,
            sent,
            received,
            received_wall: SystemTime::now(),
            hold: received.saturating_duration_since(sent),
            status: 200,
            cut_by_client: false,
            connection: ConnectionUse::default(),
            stale_retries: 0,
            body_bytes: 0,
            wire_in: 0,
            wire_out: 0,
            headers: Vec::new(),
            events: Vec::new(),
            cursor: String::new(),
            problem: None,
            timing: PollTiming::default(),
            request: None,
            truncated: 0,
            control: Vec::new(),
            replies: 0,
            not_holding: None,
        }
    }

    /// Whether this answer carried events.
    #[must_use]
    pub fn kind(&self) -> AnswerKind {
        AnswerKind::of(&self.events)
    }
}

/// One redirect hop a poll followed.
#[derive(Clone, Debug)]
pub struct Redirected {
    /// Which poller.
    pub poller: usize,
    /// When the redirect answer was read.
    pub at: Instant,
    /// The redirect's status (301, 302, 303, 307, 308).
    pub status: u16,
    /// Where the request went and where it was sent on to (secrets masked).
    pub from: String,
    /// See `from`.
    pub to: String,
    /// The hop went to another origin (scheme, host or port).
    pub cross_origin: bool,
    /// Headers and query parameters not sent on because they are secret.
    pub dropped: Vec<String>,
}

impl Redirected {
    /// One line saying what happened.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = format!("redirect {}: {} → {}", self.status, self.from, self.to);
        if self.cross_origin {
            text.push_str(" (another origin");
            if !self.dropped.is_empty() {
                text.push_str(&format!("; not sent on: {}", self.dropped.join(", ")));
            }
            text.push(')');
        }
        text
    }
}

/// Kinds of failure, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The server answered with an error status (4xx other than 408, 5xx).
    HttpStatus,
    /// Nothing listens at the address (or the connection was refused).
    ConnectRefused,
    /// The host name did not resolve.
    HostNotFound,
    /// No TCP connection within the connect timeout.
    ConnectTimeout,
    /// No full answer within the client timeout (hold + margin).
    Timeout,
    /// The connection broke (reset, closed early, truncated body).
    ConnectionLost,
    /// The TLS handshake or a TLS record failed (certificates, protocol).
    Tls,
    /// The body went past the profile's `max_body_bytes`.
    BodyTooLarge,
    /// The server's answer did not parse as HTTP.
    Protocol,
    /// The request could not be built (bad URL, header).
    Request,
    /// The process ran out of file descriptors (`EMFILE`/`ENFILE`).
    FileLimit,
    /// The forward proxy failed: refused or timed out, wanted credentials, refused a
    /// tunnel, or could not reach the server.
    Proxy,
    /// The session protocol failed: a bootstrap step's answer lacked what it should
    /// set, or an answer reported a failure (Bayeux `successful: false`).
    Session,
    /// The server's cursor was longer than [`crate::cursor::MAX_CURSOR_BYTES`]: not
    /// followed (every later request would have been refused as too long).
    CursorTooLong,
    /// The answer's head (status line and headers) did not fit the client's buffer.
    HeadTooLarge,
    /// A redirect the profile does not follow (its policy, a loop, too many hops).
    Redirect,
    /// A redirect from `https` to plain `http`: refused, it would send the request (and
    /// its credentials) in clear text.
    InsecureRedirect,
    /// Anything else the transport reported.
    Other,
}

impl ErrorKind {
    /// Short lowercase name for tables and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::HttpStatus => "http_status",
            Self::ConnectRefused => "connect_refused",
            Self::HostNotFound => "host_not_found",
            Self::ConnectTimeout => "connect_timeout",
            Self::Timeout => "timeout",
            Self::ConnectionLost => "connection_lost",
            Self::Tls => "tls",
            Self::BodyTooLarge => "body_too_large",
            Self::Protocol => "protocol",
            Self::Request => "request",
            Self::FileLimit => "open_file_limit",
            Self::Proxy => "proxy",
            Self::Session => "session",
            Self::CursorTooLong => "cursor_too_long",
            Self::HeadTooLarge => "head_too_large",
            Self::Redirect => "redirect",
            Self::InsecureRedirect => "insecure_redirect",
            Self::Other => "other",
        }
    }
}

/// A failed poll.
#[derive(Clone, Debug)]
pub struct PollFailure {
    /// Which poller.
    pub poller: usize,
    /// When the failure was seen.
    pub at: Instant,
    /// What kind of failure, for counting.
    pub kind: ErrorKind,
    /// Status code for [`ErrorKind::HttpStatus`].
    pub status: Option<u16>,
    /// A clear, secret-free message.
    pub message: String,
    /// How long the request was out before it failed.
    pub elapsed: Duration,
    /// Wait before the next poll.
    pub backoff: Duration,
    /// The wait came from the server's `Retry-After`.
    pub retry_after: bool,
    /// Consecutive failures of this poller, this one included.
    pub attempt: u32,
    /// Stale-connection retries this poll made before it failed.
    pub stale_retries: u32,
    /// The connection the poll used (id `None` when it never got one).
    pub connection: ConnectionUse,
    /// Bytes read from the wire for this poll.
    pub wire_in: u64,
    /// Bytes written to the wire for this poll.
    pub wire_out: u64,
    /// Where the time went, as far as the poll got.
    pub timing: PollTiming,
    /// The request head as sent (secrets masked), when the session captures requests.
    pub request: Option<String>,
    /// The answer's headers, when the server answered with an error status.
    pub headers: Vec<(String, String)>,
    /// The start of the answer's body as text, when the server answered with an error
    /// status (at most [`FAILURE_BODY_KEPT`] bytes; secrets masked).
    pub body: Option<String>,
}

impl PollFailure {
    /// A failure of `poller`'s poll seen at `at`: `kind`, `message`, nothing else known
    /// (no status, no wait, attempt 1, no connection, no bytes). Callers state what
    /// differs with struct update syntax, as for [`PollResponse::new`].
    #[must_use]
    pub fn new(poller: usize, at: Instant, kind: ErrorKind, message: String) -> Self {
        Self {
            poller,
            at,
            kind,
            status: None,
            message,
            elapsed: Duration::ZERO,
            backoff: Duration::ZERO,
            retry_after: false,
            attempt: 1,
            stale_retries: 0,
            connection: ConnectionUse::default(),
            wire_in: 0,
            wire_out: 0,
            timing: PollTiming::default(),
            request: None,
            headers: Vec::new(),
            body: None,
        }
    }
}

/// How much of an error answer's body a [`PollFailure`] keeps.
pub const FAILURE_BODY_KEPT: usize = 64 * 1024;

/// A resynchronisation after the server refused a cursor as too old.
#[derive(Clone, Debug)]
pub struct Resynced {
    /// Which poller.
    pub poller: usize,
    /// When the refusal was read.
    pub at: Instant,
    /// The refusal's HTTP status.
    pub status: u16,
    /// The refused cursor, for display (secrets masked).
    pub from: String,
    /// The cursor the poller resumed from, for display (secrets masked).
    pub to: String,
    /// Positions skipped (reported as lost events), when the cursors are integers.
    pub skipped: Option<u64>,
    /// Send → refusal read.
    pub hold: Duration,
    /// The connection the refusal came over.
    pub connection: ConnectionUse,
    /// Bytes read from the wire for this poll.
    pub wire_in: u64,
    /// Bytes written to the wire for this poll.
    pub wire_out: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_follows_from_the_events() {
        let sent = Instant::now();
        let received = sent + Duration::from_millis(40);
        let empty = PollResponse::new(3, sent, received);
        assert_eq!(empty.kind(), AnswerKind::Empty);
        assert_eq!(empty.hold, Duration::from_millis(40));
        assert_eq!((empty.poller, empty.status), (3, 200));
        let news = PollResponse {
            events: vec![ReceivedEvent {
                payload: Payload::Text("x".to_owned()),
                seq: None,
                latency_ms: None,
            }],
            ..PollResponse::new(3, sent, received)
        };
        assert_eq!(news.kind(), AnswerKind::Events);
    }
}
