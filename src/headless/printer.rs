//! What a human watch run prints: a line per poll result (at most so many a second),
//! progress lines, and the summary at the end. Figures are written with
//! [`crate::present::units`], as the GUI and the exports write them.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::poll::{
    AnswerKind, ErrorKind, Payload, PollFailure, PollResponse, Redirected, Resynced, SessionChange,
    SessionEvent,
};
use crate::present::units::{self, bytes, count, opt_millis, opt_percent};
use crate::stats::{Stats, Summary};
use crate::terminal;

/// Longest event preview on a poll line, in characters.
const PREVIEW_CHARS: usize = 80;

/// Prints live lines with a per-second cap.
pub(super) struct Printer {
    human: bool,
    origin: Instant,
    max_per_s: u32,
    second: u64,
    printed: u32,
    skipped: u64,
    progress_every: Duration,
    last_progress: Instant,
}

impl Printer {
    /// A printer for a run that started at `origin`; `human` false prints nothing.
    pub(super) fn new(
        human: bool,
        max_per_s: u32,
        progress_every: Duration,
        origin: Instant,
    ) -> Self {
        Self {
            human,
            origin,
            max_per_s,
            second: 0,
            printed: 0,
            skipped: 0,
            progress_every,
            last_progress: origin,
        }
    }

    /// One line on stdout (human output only).
    pub(super) fn line(&mut self, text: &str) {
        if !self.human {
            return;
        }
        // A closed stdout (`| head`) must not kill the run: the summary matters less
        // than not panicking.
        if writeln!(io::stdout().lock(), "{}", terminal::block(text)).is_err() {
            self.human = false;
        }
    }

    /// A warning on stderr (any output mode: it is not part of the JSON).
    pub(super) fn warn(text: &str) {
        eprintln!("warning: {}", terminal::line(text));
    }

    /// The start of a poll line: seconds since the start, and the poller.
    fn head(&self, at: Instant, poller: usize) -> String {
        format!("{:>8.3}s p{poller:<3}", (at - self.origin).as_secs_f64())
    }

    /// Whether another poll line fits in this second.
    fn admit(&mut self, at: Instant) -> bool {
        if !self.human {
            return false;
        }
        let s = (at - self.origin).as_secs();
        if s != self.second {
            if self.skipped > 0 {
                let n = self.skipped;
                self.skipped = 0;
                self.line(&format!(
                    "        … {n} more poll results in second {}",
                    self.second
                ));
            }
            self.second = s;
            self.printed = 0;
        }
        if self.printed < self.max_per_s {
            self.printed += 1;
            true
        } else {
            self.skipped += 1;
            false
        }
    }

    /// A poll result.
    pub(super) fn response(&mut self, r: &PollResponse) {
        if !self.admit(r.received) {
            return;
        }
        let what = match r.kind() {
            AnswerKind::Empty if r.cut_by_client => "empty (cut)".to_owned(),
            AnswerKind::Empty => "empty".to_owned(),
            AnswerKind::Events if r.truncated > 0 => {
                format!("{} event(s), {} more not kept", r.events.len(), r.truncated)
            }
            AnswerKind::Events => format!("{} event(s)", r.events.len()),
        };
        let conn = match (r.connection.id, r.connection.reused) {
            (Some(id), true) => format!("conn #{id} reused ({} req)", r.connection.requests),
            (Some(id), false) => format!("conn #{id} NEW"),
            (None, _) => "conn ?".to_owned(),
        };
        let preview = r
            .events
            .last()
            .map(|e| preview(&e.payload))
            .unwrap_or_default();
        let control = if r.control.is_empty() {
            String::new()
        } else if r.replies > 0 {
            format!(" +{} control ({} replied)", r.control.len(), r.replies)
        } else {
            format!(" +{} control", r.control.len())
        };
        let text = format!(
            "{} {} held {:>8}  {:<12} {:>8}  {:<24} cursor {}  {}",
            self.head(r.received, r.poller),
            r.status,
            units::duration(r.hold),
            format!("{what}{control}"),
            bytes(r.wire_in),
            conn,
            terminal::line(&r.cursor),
            preview
        );
        self.line(text.trim_end());
    }

    /// A session established or lost (lost ones always print: they are rare and matter).
    pub(super) fn session(&mut self, e: &SessionEvent) {
        match &e.change {
            SessionChange::Established { number, .. } if *number > 1 => {
                self.line(&format!(
                    "{} session {number} established (bootstrap steps done again)",
                    self.head(e.at, e.poller)
                ));
            }
            SessionChange::Bootstrapping | SessionChange::Established { .. } => {}
            SessionChange::Lost {
                reason,
                events_in_session,
                ..
            } => self.line(&format!(
                "{} SESSION RESTART: {reason} ({} events in the ended session)",
                self.head(e.at, e.poller),
                count(*events_in_session)
            )),
        }
    }

    /// A failed poll.
    pub(super) fn failure(&mut self, f: &PollFailure) {
        // Failures share the per-second line budget: thousands of pollers failing
        // together (a dead server, no file descriptors left) give one line per poller
        // up to the budget and then a count, not a wall of identical errors.
        if !self.admit(f.at) {
            return;
        }
        let text = format!(
            "{} ERR {}{} — retry in {}{}",
            self.head(f.at, f.poller),
            terminal::line(&f.message),
            hint(f.kind),
            units::duration(f.backoff),
            if f.retry_after { " (Retry-After)" } else { "" }
        );
        self.line(&text);
    }

    /// A cursor refused as too old, and where the poller resumed.
    pub(super) fn resynced(&mut self, r: &Resynced) {
        self.line(&format!(
            "          p{:<3} HTTP {}: cursor {} refused as too old; resumed at {} ({} events lost)",
            r.poller,
            r.status,
            terminal::line(&r.from),
            terminal::line(&r.to),
            r.skipped.map_or_else(|| "?".to_owned(), |n| n.to_string())
        ));
    }

    /// A redirect the poll followed.
    pub(super) fn redirected(&mut self, r: &Redirected) {
        if !self.admit(r.at) {
            return;
        }
        let text = format!(
            "{} {}",
            self.head(r.at, r.poller),
            terminal::line(&r.describe())
        );
        self.line(&text);
    }

    /// A request re-sent because its kept-alive connection had gone stale.
    pub(super) fn stale(&mut self, poller: usize, connection: Option<u64>, error: &str) {
        if !self.admit(Instant::now()) {
            return;
        }
        let conn = connection.map_or_else(|| "?".to_owned(), |c| format!("#{c}"));
        self.line(&format!(
            "          p{poller:<3} stale connection {conn} ({}); retried on another",
            terminal::line(error)
        ));
    }

    /// Totals so far, every `progress_every`.
    pub(super) fn progress(&mut self, stats: &Stats) {
        if !self.human || self.last_progress.elapsed() < self.progress_every {
            return;
        }
        self.last_progress = Instant::now();
        let mut sessions = String::new();
        if stats.session_restarts() > 0 || stats.control_messages() > 0 {
            sessions = format!(
                " | session restarts {} control {}",
                count(stats.session_restarts()),
                count(stats.control_messages())
            );
        }
        if stats.not_holding_answers() > 0 {
            sessions.push_str(&format!(
                " | not holding {}",
                count(stats.not_holding_answers())
            ));
        }
        self.line(&format!(
            "[{:.0}s] polls {} events {} empty {} errors {} | TCP connects {} reused polls {} ({}) stale retries {} lost {}{sessions}",
            self.origin.elapsed().as_secs_f64(),
            count(stats.polls()),
            count(stats.events()),
            count(stats.empty_polls()),
            count(stats.errors()),
            count(stats.new_connections()),
            count(stats.reused_polls()),
            opt_percent(stats.reuse_ratio()),
            count(stats.stale_retries()),
            count(stats.lost_events()),
        ));
    }
}

/// What to do about a failure of `kind`, in command-line terms (the engine's messages
/// name no flag or setting).
pub(super) fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Tls => {
            ". Trust the server's CA with --cacert FILE, or (a test server only) --insecure"
        }
        _ => "",
    }
}

/// A one-line preview of an event payload, control characters escaped.
fn preview(p: &Payload) -> String {
    let text = match p {
        Payload::Json(v) => v.to_string(),
        Payload::Text(t) => t.clone(),
    };
    let mut s: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().nth(PREVIEW_CHARS).is_some() {
        s.push('…');
    }
    terminal::line(&s).into_owned()
}

/// The summary at the end of a human run, as text.
pub(super) fn summary_text(s: &Summary, pollers: u32, keep_alive: bool) -> String {
    let on_off = if keep_alive { "on" } else { "off" };
    let mut lines = vec![
        String::new(),
        format!(
            "Summary: {}, {pollers} poller(s), keep-alive {on_off}",
            units::seconds(s.duration_s)
        ),
    ];
    lines.extend(traffic_lines(s));
    lines.extend(timing_lines(s));
    lines.extend(session_lines(s));
    if s.redirects > 0 {
        lines.push(format!(
            "  redirects    {} followed ({} to another origin, without secrets)",
            count(s.redirects),
            count(s.cross_origin_redirects)
        ));
    }
    if !s.statuses.is_empty() {
        lines.push(format!("  statuses     {}", tally(&s.statuses)));
    }
    if !s.errors_by_kind.is_empty() {
        lines.push(format!("  errors       {}", tally(&s.errors_by_kind)));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// `200×1,234 503×2`.
fn tally(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}×{}", count(*v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Session restarts, control messages and pacing, when there were any.
fn session_lines(s: &Summary) -> Vec<String> {
    let mut lines = Vec::new();
    if s.session_restarts > 0 || s.control_messages > 0 || !s.restarts.is_empty() {
        lines.push(format!(
            "  sessions     {} restart(s); {} control message(s) {}; {} replies sent",
            count(s.session_restarts),
            count(s.control_messages),
            tally(&s.control_by_kind),
            count(s.replies_sent)
        ));
        for r in &s.restarts {
            lines.push(format!(
                "               at {} p{}: {} ({} events before, {} after)",
                units::seconds(r.t_s),
                r.poller,
                r.reason,
                count(r.events_before),
                count(r.events_after)
            ));
        }
    }
    if s.not_holding_answers > 0 {
        lines.push(format!(
            "  not holding  {} answer(s) came back at once without progress; the pollers paced themselves",
            count(s.not_holding_answers)
        ));
    }
    lines
}

/// Polls, events, connections and handshakes.
fn traffic_lines(s: &Summary) -> [String; 4] {
    [
        format!(
            "  polls        {} ({}): {} with events, {} empty (held until timeout), {} errors",
            count(s.polls),
            units::per_second(s.polls_per_s),
            count(s.polls.saturating_sub(s.empty_polls + s.errors)),
            count(s.empty_polls),
            count(s.errors)
        ),
        format!(
            "  events       {} ({})",
            count(s.events),
            units::per_second(s.events_per_s)
        ),
        format!(
            "  connections  {} new TCP connection(s), {} poll(s) on reused connections ({} reuse), {} stale retries",
            count(s.new_connections),
            count(s.reused_connections),
            opt_percent(s.reuse_ratio),
            count(s.stale_retries)
        ),
        format!(
            "  handshakes   TCP connect {} total, {} TLS handshake(s) {}; saved by reuse ≈ {}",
            units::millis(s.connect_ms_total),
            count(s.tls_handshakes),
            units::millis(s.tls_ms_total),
            units::millis(s.handshake_ms_saved)
        ),
    ]
}

/// Hold times, latency, losses and bytes.
fn timing_lines(s: &Summary) -> [String; 4] {
    [
        format!(
            "  hold         p50 {}, p99 {} (with events p50 {}; empty p50 {})",
            opt_millis(s.hold_ms_p50),
            opt_millis(s.hold_ms_p99),
            opt_millis(s.hold_ms_events_p50),
            opt_millis(s.hold_ms_empty_p50)
        ),
        format!(
            "  latency      p50 {}, p99 {}",
            opt_millis(s.event_latency_ms_p50),
            opt_millis(s.event_latency_ms_p99)
        ),
        format!(
            "  lost events  {} ({} duplicates, {} sequence resets)",
            count(s.lost_events),
            count(s.duplicate_events),
            count(s.sequence_resets)
        ),
        format!(
            "  bytes        {} on the wire in, {} out, {} of bodies",
            bytes(s.wire_bytes_in),
            bytes(s.wire_bytes_out),
            bytes(s.body_bytes)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::StatsConfig;

    #[test]
    fn the_summary_writes_figures_with_the_shared_units() {
        let origin = Instant::now();
        let mut s = Stats::new(origin, StatsConfig::default()).summary(origin);
        s.duration_s = 12.5;
        s.polls = 12_345;
        s.wire_bytes_in = 1536;
        s.hold_ms_p50 = Some(2400.0);
        s.reuse_ratio = Some(0.987);
        s.statuses.insert("200".to_owned(), 1234);
        let text = summary_text(&s, 4, true);
        assert!(
            text.contains("Summary: 12.5 s, 4 poller(s), keep-alive on"),
            "{text}"
        );
        assert!(text.contains("polls        12,345 ("), "{text}");
        assert!(text.contains("(98.7 % reuse)"), "{text}");
        assert!(text.contains("hold         p50 2.4 s, p99 –"), "{text}");
        assert!(
            text.contains("bytes        1.5 KiB on the wire in, 0 B out"),
            "{text}"
        );
        assert!(text.contains("statuses     200×1,234"), "{text}");
        assert!(
            !text.contains("errors       "),
            "no error kinds, no line: {text}"
        );
    }

    #[test]
    fn previews_are_one_line_and_cut() {
        assert_eq!(preview(&Payload::Text("a\nb\rc".to_owned())), "a\\nb\\rc");
        let long = preview(&Payload::Text("x".repeat(100)));
        assert_eq!(long.chars().count(), PREVIEW_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
