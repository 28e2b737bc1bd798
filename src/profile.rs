//! Connection profiles: what to poll and how (URL, method, headers, hold, cursor rule,
//! event shape, pollers, keep-alive, limits), and how a profile turns into a request URL.
//!
//! Pure data plus validation; no I/O except in [`crate::profile_store`]. Must not depend on
//! the poll engine or any UI.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::alert::AlertSettings;
use crate::cursor::{Cursor, CursorOptions, CursorRule};
use crate::protocol::{Decoder, SessionSpec, Variable};
use crate::redact::Secrets;

/// Default limit for one response body (4 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// Default server hold time.
pub const DEFAULT_HOLD_S: u32 = 30;
/// Holds at or above this are often cut by proxies and load balancers.
pub const PROXY_CUT_WARNING_S: u32 = 55;
/// Upper bound on concurrent pollers for one profile.
pub const MAX_POLLERS: u32 = 100_000;
/// Longest hold, client timeout and short-polling interval a profile may ask for (one
/// day): anything longer is a typo, and far longer values overflow the clock arithmetic
/// of the timeouts.
pub const MAX_WAIT_S: u32 = 86_400;
/// Largest body limit a profile may set (1 GiB): a whole answer is kept in memory.
pub const MAX_BODY_LIMIT_BYTES: u64 = 1024 * 1024 * 1024;

pub use crate::header::{HeaderSpec, looks_secret};

/// A profile name not taken yet: `base` (trimmed; "Profile" when empty), else
/// `base (2)`, `base (3)`… whichever `taken` says is free. The one rule for naming new,
/// imported and copied profiles.
#[must_use]
pub fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let base = base.trim();
    let base = if base.is_empty() { "Profile" } else { base };
    if !taken(base) {
        return base.to_owned();
    }
    (2..=usize::MAX)
        .map(|n| format!("{base} ({n})"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_owned())
}

/// A JSON pointer for `field` that does not start with `/` (empty means none).
fn bad_pointer(field: &'static str, pointer: Option<&str>) -> Option<ProfileIssue> {
    pointer
        .filter(|p| !p.is_empty() && !p.starts_with('/'))
        .map(|p| ProfileIssue::BadPointer {
            field,
            pointer: p.to_owned(),
        })
}

/// How the server is told how long to hold a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldParam {
    /// The server decides; the client waits up to its own timeout.
    None,
    /// A query parameter, e.g. `timeout=30`, `timeout=30000` or `wait=30s`.
    Query {
        /// The parameter's name.
        name: String,
        /// How the hold is written in it.
        unit: HoldUnit,
    },
    /// The demo server's `timeout` in seconds (the default).
    #[default]
    #[serde(rename = "timeout_seconds")]
    TimeoutSeconds,
}

/// Units for [`HoldParam::Query`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HoldUnit {
    /// `30`
    #[default]
    Seconds,
    /// `30000`
    Millis,
    /// `30s` (Consul, Go durations)
    SecondsSuffix,
}

impl HoldParam {
    /// The query parameter to send for a hold of `hold_s`, if any.
    #[must_use]
    pub fn query(&self, hold_s: u32) -> Option<(String, String)> {
        match self {
            Self::None => None,
            Self::TimeoutSeconds => Some(("timeout".to_owned(), hold_s.to_string())),
            Self::Query { name, unit } => {
                let value = match unit {
                    HoldUnit::Seconds => hold_s.to_string(),
                    HoldUnit::Millis => (u64::from(hold_s) * 1000).to_string(),
                    HoldUnit::SecondsSuffix => format!("{hold_s}s"),
                };
                Some((name.clone(), value))
            }
        }
    }
}

/// Unit of the server timestamp found at [`Profile::timestamp_pointer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Seconds since the UNIX epoch (may have a fraction).
    Seconds,
    /// Milliseconds since the UNIX epoch.
    #[default]
    Millis,
    /// Microseconds since the UNIX epoch.
    Micros,
}

impl TimeUnit {
    /// Convert a timestamp number in this unit to microseconds since the UNIX epoch.
    #[must_use]
    pub fn to_micros(self, value: f64) -> f64 {
        match self {
            Self::Seconds => value * 1e6,
            Self::Millis => value * 1e3,
            Self::Micros => value,
        }
    }
}

/// A saved connection profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Unique name in the profile list.
    pub name: String,
    /// The endpoint, `http://` or `https://`.
    pub url: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Request headers sent with every poll.
    pub headers: Vec<HeaderSpec>,
    /// Request body sent with every poll (POST long-polls).
    pub body: Option<String>,
    /// How long the server is asked to hold a poll, in seconds.
    pub hold_s: u32,
    /// How the hold is told to the server.
    pub hold_param: HoldParam,
    /// Client-side timeout for one poll; `None` = hold + margin.
    pub client_timeout_s: Option<f64>,
    /// How the cursor travels from one answer to the next request.
    pub cursor: CursorRule,
    /// Reset, floor, "unchanged is empty" and resync rules for the cursor.
    pub cursor_options: CursorOptions,
    /// Cursor value for the first poll (e.g. `0` for "from the beginning", `now`).
    pub initial_cursor: Option<String>,
    /// JSON pointer to the events array; `None` = the whole body is one event.
    pub events_pointer: Option<String>,
    /// JSON pointer (inside one event) to a sequence number, for loss detection.
    pub seq_pointer: Option<String>,
    /// JSON pointer (inside one event) to the server's timestamp, for latency.
    pub timestamp_pointer: Option<String>,
    /// Unit of the timestamp at `timestamp_pointer`.
    pub timestamp_unit: TimeUnit,
    /// Concurrent independent pollers (each with its own cursor), sharing one agent.
    pub pollers: u32,
    /// Short polling: start a poll every this many seconds instead of re-polling as soon
    /// as an answer arrives (usually with a hold of 0).
    pub interval_s: Option<f64>,
    /// Reuse connections between polls (`false`: `Connection: close` on each).
    pub keep_alive: bool,
    /// Largest answer body read; a larger one is an error.
    pub max_body_bytes: u64,
    /// JSON pointer to a server-advised delay in seconds in an error body (Telegram:
    /// `/parameters/retry_after`); the `Retry-After` header is always honoured.
    pub retry_after_pointer: Option<String>,
    /// Accept invalid TLS certificates (self-signed test servers). Shown as a warning.
    pub accept_invalid_certs: bool,
    /// Poll the app's embedded demo server: its address is filled into the URL at
    /// connect time (the port changes from run to run).
    pub builtin_demo: bool,
    /// Forward proxy: the environment's (default), none, or the profile's own.
    pub proxy: crate::proxy::ProxySetting,
    /// Variables that `{{name}}` templates in the URL, headers, body and session steps
    /// use (a channel name, a session id a step reads, a fresh random id).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
    /// How an answer's body is cut into messages: JSON (the default), JSON lines,
    /// Engine.IO, Socket.IO, SockJS or SignalR records.
    #[serde(skip_serializing_if = "is_json")]
    pub decoder: Decoder,
    /// Bootstrap steps and session rules (empty for plain long polling).
    #[serde(skip_serializing_if = "SessionSpec::is_empty")]
    pub session: SessionSpec,
    /// Alert rules, the quiet threshold and desktop notifications (left out of the
    /// file while they are the defaults).
    #[serde(skip_serializing_if = "AlertSettings::is_default")]
    pub alerts: AlertSettings,
    /// Query parameters whose values are secret beyond the default rule
    /// ([`crate::redact::secret_name`]): masked wherever they are shown and dropped
    /// when a redirect leaves the origin.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_params: Vec<String>,
    /// Which redirects polls follow (never, within the origin, any); secrets never
    /// leave the origin, and https → http is refused whatever this says.
    #[serde(skip_serializing_if = "RedirectPolicy::is_default")]
    pub redirects: RedirectPolicy,
    /// A PEM file of CA certificates trusted for this profile's server, besides the
    /// system's (`SSL_CERT_FILE`, `SSL_CERT_DIR` or the OS store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// Which redirects a poll follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectPolicy {
    /// None: a redirect is an error that says where it pointed.
    Never,
    /// Within the same origin (scheme, host and port) only.
    #[default]
    SameOrigin,
    /// Any, up to [`MAX_REDIRECTS`] hops; secret headers and query values are dropped
    /// at the first hop to another origin.
    Any,
}

/// Most redirect hops one poll follows.
pub const MAX_REDIRECTS: usize = 10;

impl RedirectPolicy {
    /// Every policy, in menu order.
    pub const ALL: [Self; 3] = [Self::Never, Self::SameOrigin, Self::Any];

    /// The name as typed (`--redirects`) and saved.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::SameOrigin => "same-origin",
            Self::Any => "any",
        }
    }

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde's skip_serializing_if"
    )]
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl std::str::FromStr for RedirectPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s.trim())
            .ok_or_else(|| format!("{s:?}: use never, same-origin or any"))
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_json(d: &Decoder) -> bool {
    *d == Decoder::Json
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            name: "New profile".to_owned(),
            url: String::new(),
            method: "GET".to_owned(),
            headers: Vec::new(),
            body: None,
            hold_s: DEFAULT_HOLD_S,
            hold_param: HoldParam::TimeoutSeconds,
            client_timeout_s: None,
            cursor: CursorRule::None,
            cursor_options: CursorOptions::default(),
            initial_cursor: None,
            events_pointer: None,
            seq_pointer: None,
            timestamp_pointer: None,
            timestamp_unit: TimeUnit::Millis,
            pollers: 1,
            interval_s: None,
            keep_alive: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            retry_after_pointer: None,
            accept_invalid_certs: false,
            builtin_demo: false,
            proxy: crate::proxy::ProxySetting::System,
            variables: Vec::new(),
            decoder: Decoder::Json,
            session: SessionSpec::default(),
            alerts: AlertSettings::default(),
            secret_params: Vec::new(),
            redirects: RedirectPolicy::default(),
            ca_file: None,
        }
    }
}

/// A problem that makes a profile unusable (or, for warnings, risky).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileIssue {
    /// The URL does not parse, is not http(s) or has no host.
    #[error("bad URL {url:?}: {why}")]
    BadUrl {
        /// The URL, secrets masked.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A header line or name or value a request cannot carry.
    #[error("bad header {line:?}: {why}")]
    BadHeader {
        /// The line (or header name) as given.
        line: String,
        /// What is wrong with it.
        why: String,
    },
    /// The method is not an HTTP token.
    #[error("bad method {0:?}: use a token such as GET or POST")]
    BadMethod(String),
    /// A JSON pointer that does not start with `/`.
    #[error("bad JSON pointer for {field}: {pointer:?} must be empty or start with '/'")]
    BadPointer {
        /// Which profile field.
        field: &'static str,
        /// The pointer as given.
        pointer: String,
    },
    /// Pollers outside 1 to [`MAX_POLLERS`].
    #[error("pollers must be between 1 and {MAX_POLLERS}, not {0}")]
    BadPollers(u32),
    /// A client timeout that is not in (0, [`MAX_WAIT_S`]] seconds.
    #[error("client timeout must be more than 0 and at most {MAX_WAIT_S} seconds (one day)")]
    BadClientTimeout,
    /// The cursor rule's own fields are wrong (the text says which).
    #[error("cursor rule: {0}")]
    BadCursorRule(String),
    /// A body limit of 0 or above [`MAX_BODY_LIMIT_BYTES`].
    #[error("maximum body size must be between 1 byte and {MAX_BODY_LIMIT_BYTES} bytes (1 GiB)")]
    BadMaxBody,
    /// A short-poll interval that is not in (0, [`MAX_WAIT_S`]] seconds.
    #[error("poll interval must be more than 0 and at most {MAX_WAIT_S} seconds (one day)")]
    BadInterval,
    /// A hold longer than [`MAX_WAIT_S`].
    #[error("hold must be at most {MAX_WAIT_S} seconds (one day), not {0}")]
    BadHold(u32),
    /// The profile's proxy setting cannot be used.
    #[error(transparent)]
    BadProxy(#[from] crate::proxy::ProxyError),
    /// The session protocol part (variables, templates, steps, conditions) is wrong.
    #[error("session protocol: {0}")]
    BadProtocol(String),
    /// The URL still holds a preset's placeholder word ([`URL_PLACEHOLDERS`]).
    #[error("replace {word} in the URL with {with}")]
    Placeholder {
        /// The placeholder, as the preset wrote it (`KEY`).
        word: &'static str,
        /// What goes in its place ("the key to watch").
        with: &'static str,
    },
}

/// The placeholder words of the presets' example URLs (`http://HOST/sub/CHANNEL`), each
/// with what replaces it. A URL still holding one, as a whole host, path or query part
/// (or Telegram's `botTOKEN`), is not ready to connect. Capitals only: `/keys/key` is a
/// real key, and real URLs with other capital words are left alone.
pub const URL_PLACEHOLDERS: &[(&str, &str)] = &[
    ("HOST", "the server's host (and port)"),
    ("CHANNEL", "the channel to subscribe to"),
    ("KEY", "the key to watch"),
    ("DB", "the database's name"),
    ("TOKEN", "the bot's token"),
    ("PREFIX", "the SockJS prefix"),
    ("HUB", "the hub's path"),
    ("PATH", "the endpoint's path"),
];

/// The [`URL_PLACEHOLDERS`] still in `url`, in the order they appear, each once.
#[must_use]
pub fn url_placeholders(url: &str) -> Vec<(&'static str, &'static str)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut found: Vec<(&'static str, &'static str)> = Vec::new();
    for part in rest.split(['/', '?', '#', '&', '=', ':', '@', ';']) {
        let hit = URL_PLACEHOLDERS
            .iter()
            .find(|(word, _)| part == *word || part.strip_prefix("bot") == Some(*word));
        if let Some(&hit) = hit
            && !found.contains(&hit)
        {
            found.push(hit);
        }
    }
    found
}

impl From<crate::header::HeaderProblem> for ProfileIssue {
    fn from(p: crate::header::HeaderProblem) -> Self {
        Self::BadHeader {
            line: p.line,
            why: p.why,
        }
    }
}

/// Whether `s` is a usable number of seconds for a timeout or an interval.
fn wait_in_range(s: f64) -> bool {
    s.is_finite() && s > 0.0 && s <= f64::from(MAX_WAIT_S)
}

impl Profile {
    /// A profile for `url` with the defaults the demo server needs and that still work
    /// against other JSON endpoints: events at `/events`, cursor at `/cursor` carried in
    /// the `cursor` query parameter, sequence numbers at `/seq`, timestamps at `/ts_us`.
    #[must_use]
    pub fn for_demo(name: &str, url: &str) -> Self {
        Self {
            name: name.to_owned(),
            url: url.to_owned(),
            cursor: CursorRule::BodyPointer {
                pointer: "/cursor".to_owned(),
                param: "cursor".to_owned(),
                plus: 0,
            },
            events_pointer: Some("/events".to_owned()),
            seq_pointer: Some("/seq".to_owned()),
            timestamp_pointer: Some("/ts_us".to_owned()),
            timestamp_unit: TimeUnit::Micros,
            ..Self::default()
        }
    }

    /// The client's timeout for one poll: explicit, or the hold plus a margin
    /// (10 % of the hold, at least 5 s) so a server answering at the end of its hold
    /// is never cut off.
    ///
    /// Never panics: values out of range (which [`Profile::validate`] refuses) are
    /// clamped to [`MAX_WAIT_S`] plus the margin.
    #[must_use]
    pub fn client_timeout(&self) -> Duration {
        if let Some(s) = self.client_timeout_s.filter(|s| s.is_finite() && *s > 0.0) {
            return Duration::from_secs_f64(s.min(f64::from(MAX_WAIT_S)));
        }
        let hold = f64::from(self.hold_s.min(MAX_WAIT_S));
        Duration::from_secs_f64(hold + (hold * 0.1).max(5.0))
    }

    /// Whether the client timeout was set (`--timeout`, the profile's field) rather
    /// than derived from the hold.
    #[must_use]
    pub fn client_timeout_is_explicit(&self) -> bool {
        self.client_timeout_s
            .is_some_and(|s| s.is_finite() && s > 0.0)
    }

    /// The short-polling interval, if any (clamped like [`Profile::client_timeout`]).
    #[must_use]
    pub fn poll_interval(&self) -> Option<Duration> {
        self.interval_s
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(f64::from(MAX_WAIT_S))))
    }

    /// Parse and check the URL.
    pub fn parsed_url(&self) -> Result<Url, ProfileIssue> {
        let bad = |why: String| ProfileIssue::BadUrl {
            url: crate::redact::url(&self.url),
            why,
        };
        // Placeholders stand for values known only at run time: check the shape with a
        // stand-in value.
        let text = crate::protocol::template::render(
            self.url.trim(),
            crate::protocol::template::Context::Url,
            |_| Some("0".into()),
        )
        .map_err(|e| bad(e.to_string()))?;
        let url = Url::parse(&text).map_err(|e| bad(e.to_string()))?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(bad(format!("scheme {other:?} is not http or https"))),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host".to_owned()));
        }
        Ok(url)
    }

    /// Every problem that stops this profile from connecting.
    #[must_use]
    pub fn validate(&self) -> Vec<ProfileIssue> {
        let mut issues = Vec::new();
        self.request_issues(&mut issues);
        self.answer_issues(&mut issues);
        self.limit_issues(&mut issues);
        self.protocol_issues(&mut issues);
        issues
    }

    /// What the protocol model (variables, session steps, decoder) says is wrong.
    fn protocol_issues(&self, issues: &mut Vec<ProfileIssue>) {
        let parts = crate::protocol::check::Parts {
            url: &self.url,
            headers: &self.headers,
            body: self.body.as_deref(),
            variables: &self.variables,
            session: &self.session,
            decoder: self.decoder,
            cursor_param: self.cursor.param(),
            cursor_reads_value: self.cursor.reads_value(),
            cursor_reads_body: self.cursor.reads_body(),
        };
        issues.extend(
            crate::protocol::check::issues(&parts)
                .into_iter()
                .map(ProfileIssue::BadProtocol),
        );
    }

    /// What stops the request itself: URL, method, headers, proxy.
    fn request_issues(&self, issues: &mut Vec<ProfileIssue>) {
        if let Err(e) = self.parsed_url() {
            issues.push(e);
        }
        issues.extend(
            url_placeholders(&self.url)
                .into_iter()
                .map(|(word, with)| ProfileIssue::Placeholder { word, with }),
        );
        if ureq::http::Method::from_bytes(self.method.as_bytes()).is_err() || self.method.is_empty()
        {
            issues.push(ProfileIssue::BadMethod(self.method.clone()));
        }
        issues.extend(
            self.headers
                .iter()
                .filter_map(|h| h.check().err().map(Into::into)),
        );
        if let Err(e) = self.proxy.validate() {
            issues.push(e.into());
        }
    }

    /// What stops reading answers: the JSON pointers, the cursor rule and its resync.
    fn answer_issues(&self, issues: &mut Vec<ProfileIssue>) {
        let pointers = [
            ("events", self.events_pointer.as_deref()),
            ("sequence", self.seq_pointer.as_deref()),
            ("timestamp", self.timestamp_pointer.as_deref()),
            ("retry-after", self.retry_after_pointer.as_deref()),
        ];
        issues.extend(pointers.into_iter().filter_map(|(f, p)| bad_pointer(f, p)));
        if let Err(why) = self.cursor.validate() {
            issues.push(ProfileIssue::BadCursorRule(why));
        }
        if let Some(r) = &self.cursor_options.resync {
            if r.from_header.trim().is_empty()
                || ureq::http::HeaderName::from_bytes(r.from_header.trim().as_bytes()).is_err()
            {
                issues.push(ProfileIssue::BadCursorRule(format!(
                    "resync header {:?} is not a valid header name",
                    r.from_header
                )));
            }
            issues.extend(bad_pointer("resync", r.body_pointer.as_deref()));
        }
    }

    /// Numbers out of range: pollers, timeout, hold, body limit, interval.
    fn limit_issues(&self, issues: &mut Vec<ProfileIssue>) {
        if self.pollers == 0 || self.pollers > MAX_POLLERS {
            issues.push(ProfileIssue::BadPollers(self.pollers));
        }
        if self.client_timeout_s.is_some_and(|s| !wait_in_range(s)) {
            issues.push(ProfileIssue::BadClientTimeout);
        }
        if self.hold_s > MAX_WAIT_S {
            issues.push(ProfileIssue::BadHold(self.hold_s));
        }
        if self.max_body_bytes == 0 || self.max_body_bytes > MAX_BODY_LIMIT_BYTES {
            issues.push(ProfileIssue::BadMaxBody);
        }
        if self.interval_s.is_some_and(|s| !wait_in_range(s)) {
            issues.push(ProfileIssue::BadInterval);
        }
    }

    /// Advice that does not stop a connection.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.hold_s >= PROXY_CUT_WARNING_S {
            w.push(format!(
                "hold of {} s: proxies often cut holds at 55–60 s",
                self.hold_s
            ));
        }
        if self.accept_invalid_certs {
            w.push("TLS certificates are not verified for this profile".to_owned());
        }
        if self.hold_s == 0 && self.poll_interval().is_none() {
            w.push(
                "hold of 0 s and no short-polling interval: each poll goes out as soon as \
                 the last is answered (set an interval to short-poll)"
                    .to_owned(),
            );
        }
        w
    }

    /// The URL for the next poll: the profile URL with the hold parameter and the
    /// cursor's query parameter set (replacing any value already in the URL).
    pub fn poll_url(&self, cursor: &Cursor) -> Result<Url, ProfileIssue> {
        let mut url = self.parsed_url()?;
        if let Some((name, value)) = self.hold_param.query(self.hold_s) {
            crate::url_query::set_param(&mut url, &name, &value);
        }
        self.cursor.apply_to_url(cursor, &mut url);
        Ok(url)
    }

    /// The URL for the next poll when the URL has `{{variables}}`: filled in from
    /// `lookup` (values percent-encoded unless the placeholder says `raw`), then the hold
    /// and cursor parameters set as [`Profile::poll_url`] sets them.
    pub fn poll_url_with<'v>(
        &self,
        cursor: &Cursor,
        lookup: impl Fn(&str) -> Option<std::borrow::Cow<'v, str>>,
    ) -> Result<Url, ProfileIssue> {
        let bad = |why: String| ProfileIssue::BadUrl {
            url: crate::redact::url(&self.url),
            why,
        };
        let text = crate::protocol::template::render(
            self.url.trim(),
            crate::protocol::template::Context::Url,
            lookup,
        )
        .map_err(|e| bad(e.to_string()))?;
        let mut url = Url::parse(&text).map_err(|e| bad(e.to_string()))?;
        if let Some((name, value)) = self.hold_param.query(self.hold_s) {
            crate::url_query::set_param(&mut url, &name, &value);
        }
        self.cursor.apply_to_url(cursor, &mut url);
        Ok(url)
    }

    /// [`Profile::poll_url`] parsed once, for a worker that builds it on every poll.
    pub fn poll_url_template(&self) -> Result<PollUrlTemplate, ProfileIssue> {
        if crate::protocol::template::has_placeholders(&self.url) {
            // Filled in per poll; check the shape now.
            self.parsed_url()?;
            return Ok(PollUrlTemplate {
                first: String::new(),
                base: String::new(),
                param: None,
                dynamic: true,
            });
        }
        let first = self.poll_url(&Cursor::default())?;
        let param = self.cursor.param().map(str::to_owned);
        let mut base = first.clone();
        if let Some(name) = &param {
            crate::url_query::remove_param(&mut base, name);
        }
        Ok(PollUrlTemplate {
            first: first.into(),
            base: base.into(),
            param,
            dynamic: false,
        })
    }

    /// About how long this profile's request head is (request line and headers), before
    /// the cursor rule adds its part; sizes the transport's output buffer.
    #[must_use]
    pub fn request_head_bytes(&self) -> usize {
        let line = self.method.len() + self.url.len() + " HTTP/1.1\r\n".len();
        let headers: usize = self
            .headers
            .iter()
            .map(|h| h.name.len() + h.value.len() + ": \r\n".len())
            .sum();
        line + headers + "\r\n".len()
    }

    /// Every secret this profile holds (secret header values, URL password, tokens in
    /// the path or query), for masking in messages. Build it once per session.
    #[must_use]
    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::new(self.secret_values());
        for name in &self.secret_params {
            secrets.add_name(name);
        }
        // Masked by position too, so a secret shorter than Secrets::MIN_LEN is hidden
        // where its name shows it (`pwd=ab`, `X-Auth: x9`).
        for h in &self.headers {
            if h.secret || secrets.is_secret_name(&h.name) {
                secrets.add_field(&h.name, &h.value);
            }
        }
        if let Ok(u) = Url::parse(self.url.trim()) {
            for (k, v) in u.query_pairs() {
                if secrets.is_secret_name(&k) {
                    secrets.add_field(&k, &v);
                }
            }
        }
        for v in self.variables.iter().filter(|v| v.secret) {
            secrets.add_field(&v.name, &v.value);
        }
        secrets
    }

    /// The URL as it may be shown, logged or exported: password, secret query values
    /// (by the default rule and the profile's marks) and token segments masked.
    #[must_use]
    pub fn shown_url(&self) -> String {
        self.secrets().url(&self.url)
    }

    fn secret_values(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .headers
            .iter()
            .filter(|h| h.secret && !h.value.is_empty())
            .map(|h| h.value.clone())
            .collect();
        // Also the token part of `Bearer xyz`, in case a server echoes only the token.
        for h in self.headers.iter().filter(|h| h.secret) {
            if let Some((_, tok)) = h.value.split_once(' ') {
                out.push(tok.trim().to_owned());
            }
        }
        if let Ok(u) = Url::parse(self.url.trim()) {
            if let Some(p) = u.password() {
                out.push(p.to_owned());
            }
            let redacted = crate::redact::url(u.as_str());
            if redacted != u.as_str() {
                for seg in u.path_segments().into_iter().flatten() {
                    if !redacted.contains(seg) {
                        out.push(seg.to_owned());
                    }
                }
                for (k, v) in u.query_pairs() {
                    if !redacted.contains(&format!("{k}={v}")) && !v.is_empty() {
                        out.push(v.into_owned());
                    }
                }
            }
        }
        out.extend(self.proxy.secret_values());
        out.extend(
            self.variables
                .iter()
                .filter(|v| v.secret && !v.value.is_empty())
                .map(|v| v.value.clone()),
        );
        for (_, request) in self.session.requests() {
            out.extend(
                request
                    .headers
                    .iter()
                    .filter(|h| h.secret && !h.value.is_empty())
                    .map(|h| h.value.clone()),
            );
        }
        out
    }

    /// When the client's own timeout is the normal end of an empty hold: the server is
    /// not told how long to hold (etcd v2 watches, Nchan without a subscriber timeout hold
    /// until something happens), so the client cuts the poll and polls again.
    #[must_use]
    pub fn client_cut_is_empty_hold(&self) -> bool {
        self.hold_param == HoldParam::None
    }

    /// Whether a failed request may be sent again without asking (RFC 9110 idempotent
    /// methods, or an `Idempotency-Key` header), as Go's net/http decides.
    #[must_use]
    pub fn is_replayable(&self) -> bool {
        matches!(
            self.method.as_str(),
            "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
        ) || self.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("idempotency-key")
                || h.name.eq_ignore_ascii_case("x-idempotency-key")
        })
    }
}

/// The poll URL of a profile with everything but the cursor already in place: building
/// the next poll's URL appends one query parameter instead of parsing the URL again
/// (which was a tenth of a poller's CPU time when answers come back to back).
#[derive(Debug, Clone)]
pub struct PollUrlTemplate {
    /// The URL while there is no cursor value: as the user wrote it (a cursor parameter
    /// in it is kept), the hold parameter set.
    first: String,
    /// The same without the cursor parameter.
    base: String,
    param: Option<String>,
    /// The URL has `{{variables}}`: built per poll with [`Profile::poll_url_with`].
    dynamic: bool,
}

impl PollUrlTemplate {
    /// Whether the URL has variables and is built per poll by
    /// [`Profile::poll_url_with`] instead of [`PollUrlTemplate::url`].
    #[must_use]
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }

    /// The URL for a poll with `cursor`: the same as [`Profile::poll_url`] gives.
    #[must_use]
    pub fn url(&self, cursor: &Cursor) -> String {
        let (Some(name), Some(value)) = (&self.param, &cursor.value) else {
            return self.first.clone();
        };
        let mut out = String::with_capacity(self.base.len() + name.len() + value.len() + 8);
        // The fragment (never sent, but kept as `Url` keeps it) stays last.
        let (head, fragment) = match self.base.find('#') {
            Some(i) => self.base.split_at(i),
            None => (self.base.as_str(), ""),
        };
        out.push_str(head);
        if !head.contains('?') {
            out.push('?');
        } else if !head.ends_with('?') {
            out.push('&');
        }
        out.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        out.push_str(fragment);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_hold_without_an_interval_is_warned_about() {
        let mut p = Profile {
            hold_s: 0,
            ..Profile::default()
        };
        assert!(p.warnings().iter().any(|w| w.contains("hold of 0 s")));
        p.interval_s = Some(5.0);
        assert!(!p.warnings().iter().any(|w| w.contains("hold of 0 s")));
    }

    #[test]
    fn client_timeout_is_hold_plus_margin() {
        let mut p = Profile {
            hold_s: 30,
            ..Profile::default()
        };
        assert_eq!(p.client_timeout(), Duration::from_secs(35));
        p.hold_s = 100;
        assert_eq!(p.client_timeout(), Duration::from_secs(110));
        p.client_timeout_s = Some(2.5);
        assert_eq!(p.client_timeout(), Duration::from_millis(2500));
    }

    #[test]
    fn preset_placeholders_block_connecting() {
        let issues = |url: &str| {
            Profile {
                url: url.to_owned(),
                ..Profile::default()
            }
            .validate()
        };
        let etcd = issues("http://127.0.0.1:2379/v2/keys/KEY?wait=true");
        assert_eq!(
            etcd,
            vec![ProfileIssue::Placeholder {
                word: "KEY",
                with: "the key to watch"
            }]
        );
        assert_eq!(
            etcd[0].to_string(),
            "replace KEY in the URL with the key to watch"
        );
        let words = |url: &str| -> Vec<&str> {
            issues(url)
                .iter()
                .filter_map(|i| match i {
                    ProfileIssue::Placeholder { word, .. } => Some(*word),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(words("http://HOST/sub/CHANNEL"), ["HOST", "CHANNEL"]);
        assert_eq!(words("http://HOST:8080/HUB"), ["HOST", "HUB"]);
        assert_eq!(
            words("https://api.telegram.org/botTOKEN/getUpdates"),
            ["TOKEN"]
        );
        assert_eq!(
            words("http://127.0.0.1:5984/DB/_changes?feed=longpoll"),
            ["DB"]
        );
        assert_eq!(words("http://h/a?key=KEY&k2=KEY"), ["KEY"]);
        // Real URLs: lower-case words, capitals inside a part, other capital words.
        for url in [
            "http://127.0.0.1:2379/v2/keys/key?wait=true",
            "http://host/sub/channel",
            "http://h/v2/keys/MY-KEY",
            "http://h/KEYS/DBX/HOSTS",
            "https://api.telegram.org/bot123:AAE/getUpdates",
            "http://h/API/V1/Events",
            "http://h/{{poller}}/KEYRING",
        ] {
            assert_eq!(issues(url), Vec::new(), "{url}");
        }
    }

    #[test]
    fn validation_names_each_problem() {
        let p = Profile {
            url: "htp//nope".to_owned(),
            method: "GE T".to_owned(),
            headers: vec![HeaderSpec::new("Bad Name", "x")],
            events_pointer: Some("events".to_owned()),
            pollers: 0,
            ..Profile::default()
        };
        let issues = p.validate();
        assert!(
            matches!(issues[0], ProfileIssue::BadUrl { .. }),
            "{issues:?}"
        );
        assert!(
            issues
                .iter()
                .any(|i| matches!(i, ProfileIssue::BadMethod(_)))
        );
        assert!(
            issues
                .iter()
                .any(|i| matches!(i, ProfileIssue::BadHeader { .. }))
        );
        assert!(
            issues
                .iter()
                .any(|i| matches!(i, ProfileIssue::BadPointer { .. }))
        );
        assert!(
            issues
                .iter()
                .any(|i| matches!(i, ProfileIssue::BadPollers(0)))
        );
        let ok = Profile::for_demo("d", "http://127.0.0.1:1/events");
        assert_eq!(ok.validate(), Vec::new());
    }

    #[test]
    fn non_http_scheme_is_refused() {
        let p = Profile {
            url: "ftp://example.com/x".to_owned(),
            ..Profile::default()
        };
        assert!(p.validate()[0].to_string().contains("not http"));
    }

    #[test]
    fn header_lines_parse_and_secrets_are_detected() {
        let h = HeaderSpec::parse_line("Authorization: Bearer abc").unwrap();
        assert_eq!(h.name, "Authorization");
        assert_eq!(h.value, "Bearer abc");
        assert!(h.secret);
        assert_eq!(h.display_value(), "•••");
        assert!(!HeaderSpec::parse_line("Accept: */*").unwrap().secret);
        assert!(HeaderSpec::parse_line("no colon").is_err());
        assert!(HeaderSpec::parse_line("a b: c").is_err());
    }

    #[test]
    fn hold_param_formats() {
        let q = |unit| HoldParam::Query {
            name: "wait".to_owned(),
            unit,
        };
        assert_eq!(q(HoldUnit::Seconds).query(30).unwrap().1, "30");
        assert_eq!(q(HoldUnit::Millis).query(30).unwrap().1, "30000");
        assert_eq!(q(HoldUnit::SecondsSuffix).query(30).unwrap().1, "30s");
        assert_eq!(HoldParam::None.query(30), None);
    }

    #[test]
    fn poll_url_replaces_existing_params() {
        let p = Profile {
            url: "http://h/e?timeout=5&a=1".to_owned(),
            hold_s: 20,
            ..Profile::default()
        };
        let url = p.poll_url(&Cursor::default()).unwrap();
        assert_eq!(url.as_str(), "http://h/e?a=1&timeout=20");
    }

    #[test]
    fn poll_url_template_builds_what_poll_url_builds() {
        let urls = [
            "http://h/e",
            "http://h/e?",
            "http://h:81/e?a=1&b=x%20y",
            "http://h/e?cursor=5",
            "http://h/e?cursor=5&a=1&cursor=6#frag",
            "https://u:p@h/a/b?timeout=3&q=%C3%A9",
            "http://[::1]:8787/events",
        ];
        let holds = [HoldParam::None, HoldParam::TimeoutSeconds];
        let values = [None, Some("0"), Some("42"), Some("a b&c=d"), Some("")];
        let mut checked = 0;
        for url in urls {
            for hold in &holds {
                for value in values {
                    let p = Profile {
                        url: url.to_owned(),
                        hold_param: hold.clone(),
                        hold_s: 25,
                        cursor: CursorRule::BodyPointer {
                            pointer: "/cursor".to_owned(),
                            param: "cursor".to_owned(),
                            plus: 0,
                        },
                        ..Profile::default()
                    };
                    let cursor = Cursor::starting_at(value);
                    let want = p.poll_url(&cursor).unwrap();
                    let got = p.poll_url_template().unwrap().url(&cursor);
                    assert_eq!(got, want.as_str(), "{url} {hold:?} {value:?}");
                    // What is sent must parse back to the same URL.
                    assert_eq!(Url::parse(&got).unwrap(), want);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, urls.len() * holds.len() * values.len());
    }

    #[test]
    fn unique_names_count_up_from_two() {
        let taken = ["Demo", "Demo (2)", "Profile"];
        let is_taken = |n: &str| taken.contains(&n);
        assert_eq!(unique_name("Other", is_taken), "Other");
        assert_eq!(unique_name(" Demo ", is_taken), "Demo (3)");
        assert_eq!(unique_name("  ", is_taken), "Profile (2)");
    }

    #[test]
    fn replayable_methods() {
        let mut p = Profile::default();
        assert!(p.is_replayable());
        p.method = "POST".to_owned();
        assert!(!p.is_replayable());
        p.headers.push(HeaderSpec::new("Idempotency-Key", "k"));
        assert!(p.is_replayable());
    }

    #[test]
    fn missing_fields_take_defaults() {
        let p: Profile = serde_json::from_str(r#"{"name":"x","url":"http://a/"}"#).unwrap();
        assert_eq!(p.pollers, 1);
        assert!(p.keep_alive);
        assert_eq!(p.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }
}
