//! The command-line face: run a profile without a window, print a line per poll result
//! and a summary (text or one JSON object).
//!
//! A thin layer over [`crate::poll::Session`] and [`crate::stats::Stats`]; no egui.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::RecvTimeoutError;

use crate::exit::{Exit, Failure};
use crate::poll::{
    AnswerKind, ErrorKind, Payload, PollEvent, PollFailure, PollResponse, Session, StartError,
};
use crate::profile::Profile;
use crate::redact;
use crate::stats::{Stats, StatsConfig, Summary};
use crate::terminal;

/// How a watch run prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Live lines and a text summary on stdout.
    Human,
    /// Exactly one JSON object on stdout at the end.
    Json,
}

/// Options for [`watch`].
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// Stop after this long; `None` = until Ctrl-C.
    pub duration: Option<Duration>,
    pub output: Output,
    /// At most this many poll lines per second (the rest are summarised).
    pub max_lines_per_s: u32,
    /// Seconds between progress lines.
    pub progress_every: Duration,
    /// Write events.jsonl (as events arrive), stats.csv and summary.json here.
    pub export: Option<std::path::PathBuf>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            duration: None,
            output: Output::Human,
            max_lines_per_s: 40,
            progress_every: Duration::from_secs(5),
            export: None,
        }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct WatchReport {
    pub summary: Summary,
    /// Connections the transport opened (must equal `summary.new_connections`).
    pub tcp_connects: u64,
    /// How the run went, for the exit code.
    pub exit: Exit,
    /// Why `exit` is not [`Exit::Ok`], in a sentence.
    pub verdict: Option<String>,
}

/// How a run that ended went: a poller died, nothing succeeded, or fine.
#[must_use]
pub fn outcome(summary: &Summary, last_error: Option<&str>) -> (Exit, Option<String>) {
    if summary.pollers_died > 0 {
        return (
            Exit::PollerDied,
            Some(format!(
                "{} poller(s) ended unexpectedly; the figures are incomplete ({})",
                summary.pollers_died,
                last_error.unwrap_or("no message")
            )),
        );
    }
    if summary.polls > 0 && summary.polls <= summary.errors {
        let kinds: Vec<String> = summary
            .errors_by_kind
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect();
        return (
            Exit::NoSuccess,
            Some(format!(
                "no poll succeeded: {} poll(s), all failed ({}){}",
                summary.polls,
                kinds.join(" "),
                last_error.map_or_else(String::new, |e| format!("; last: {e}"))
            )),
        );
    }
    (Exit::Ok, None)
}

/// The exit code for a session that could not start.
fn start_failure(e: StartError) -> Failure {
    let exit = match e {
        StartError::Spawn { .. } => Exit::Error,
        StartError::Invalid(_) | StartError::TooManyPollers(_) => Exit::Usage,
    };
    Failure::new(exit, e)
}

/// Errors that end a run before its duration: nothing ever reached the server.
/// How long the headless loop lets events gather once one has arrived.
const BATCH_PAUSE: Duration = Duration::from_millis(5);

fn fatal_before_success(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectRefused
            | ErrorKind::HostNotFound
            | ErrorKind::ConnectTimeout
            | ErrorKind::Tls
            | ErrorKind::Request
    )
}

/// Run `profile` headless until the duration passes or Ctrl-C, printing as `opts` says.
/// Fails (for a non-zero exit) when the URL cannot be reached at all.
pub fn watch(profile: Profile, opts: &WatchOptions) -> anyhow::Result<WatchReport> {
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
            log::debug!("no Ctrl-C handler: {e}");
        }
    }
    let pollers = profile.pollers;
    let keep_alive = profile.keep_alive;
    let shown_url = redact::url(&profile.url);
    let mut event_log = match &opts.export {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join("events.jsonl");
            let file = std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(io::BufWriter::new(file))
        }
        None => None,
    };
    let mut session = Session::start(profile, crate::poll::no_waker()).map_err(start_failure)?;
    let origin = session.started();
    let mut stats = Stats::new(origin, StatsConfig::default());
    let mut printer = Printer::new(opts, origin);
    if opts.output == Output::Human {
        printer.line(&format!(
            "watching {shown_url} with {pollers} poller(s), keep-alive {}{}",
            if keep_alive { "on" } else { "off" },
            opts.duration
                .map(|d| format!(", for {}", humantime::format_duration(d)))
                .unwrap_or_default()
        ));
    }
    let deadline = opts.duration.map(|d| origin + d);
    let mut answered = false;
    let mut fatal: Option<String> = None;
    let mut problems_seen = std::collections::HashSet::new();
    'watch: loop {
        if interrupted.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        let wait = deadline
            .map_or(Duration::from_millis(200), |d| d - now)
            .min(Duration::from_millis(200));
        let first = match session.events().recv_timeout(wait) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                printer.progress(&stats);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Once something arrived, let more arrive before taking them: under load this
        // thread then wakes at most 1 / BATCH_PAUSE times a second instead of once per
        // poll (each wake a futex call on the poller's side), leaving the cores to the
        // pollers. Idle, it blocks above.
        std::thread::sleep(BATCH_PAUSE);
        let rest: Vec<PollEvent> = session.events().try_iter().collect();
        for event in std::iter::once(first).chain(rest) {
            stats.record(&event);
            if let Some(log) = &mut event_log {
                crate::export::write_event(log, &event).context("writing events.jsonl")?;
            }
            match &event {
                PollEvent::Response(r) => {
                    answered = true;
                    if let Some(p) = &r.problem
                        && problems_seen.insert(p.clone())
                    {
                        printer.warn(&format!("p{}: {p}", r.poller));
                    }
                    printer.response(r);
                }
                PollEvent::Failed(f) => {
                    if !answered && fatal_before_success(f.kind) {
                        fatal = Some(f.message.clone());
                        break 'watch;
                    }
                    printer.failure(f);
                }
                PollEvent::PollerDied { message, .. } => printer.warn(message),
                PollEvent::Resynced(r) => printer.line(&format!(
                    "          p{:<3} HTTP {}: cursor {} refused as too old; resumed at {} ({} events lost)",
                    r.poller,
                    r.status,
                    terminal::line(&r.from),
                    terminal::line(&r.to),
                    r.skipped.map_or_else(|| "?".to_owned(), |n| n.to_string())
                )),
                PollEvent::StaleRetry {
                    poller,
                    connection,
                    error,
                    ..
                } => printer.stale(*poller, *connection, error),
                _ => {}
            }
        }
        printer.progress(&stats);
    }
    let end = Instant::now();
    session.stop();
    // Count what arrived while stopping (answers already on their way).
    for event in session.events().try_iter() {
        stats.record(&event);
        if let Some(log) = &mut event_log {
            crate::export::write_event(log, &event).context("writing events.jsonl")?;
        }
    }
    if let Some(log) = &mut event_log {
        log.flush().context("writing events.jsonl")?;
    }
    if let Some(message) = fatal {
        return Err(Failure::new(
            Exit::Unreachable,
            format!("cannot reach {shown_url}: {message}"),
        )
        .into());
    }
    stats.settle();
    let summary = stats.summary(end);
    let (exit, verdict) = outcome(&summary, stats.last_error());
    if let Some(dir) = &opts.export {
        crate::export::write_stats_files(dir, &stats, &summary)
            .with_context(|| format!("cannot write statistics into {}", dir.display()))?;
    }
    let report = WatchReport {
        tcp_connects: session.metrics().tcp_connects(),
        summary,
        exit,
        verdict,
    };
    match opts.output {
        Output::Json => {
            let mut v = serde_json::to_value(&report.summary).context("summary to JSON")?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("url".to_owned(), shown_url.into());
                obj.insert("pollers".to_owned(), pollers.into());
                obj.insert("keep_alive".to_owned(), keep_alive.into());
                obj.insert("exit_code".to_owned(), report.exit.code().into());
            }
            println!("{v}");
        }
        Output::Human => {
            print_summary(&report.summary, pollers, keep_alive);
        }
    }
    Ok(report)
}

/// Prints live lines with a per-second cap.
struct Printer {
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
    fn new(opts: &WatchOptions, origin: Instant) -> Self {
        Self {
            human: opts.output == Output::Human,
            origin,
            max_per_s: opts.max_lines_per_s,
            second: 0,
            printed: 0,
            skipped: 0,
            progress_every: opts.progress_every,
            last_progress: origin,
        }
    }

    fn line(&mut self, text: &str) {
        let mut out = io::stdout().lock();
        // A closed stdout (`| head`) must not kill the run: the summary matters less
        // than not panicking.
        if writeln!(out, "{}", terminal::block(text)).is_err() {
            self.human = false;
        }
    }

    fn warn(&mut self, text: &str) {
        eprintln!("warning: {}", terminal::line(text));
    }

    fn t(&self, at: Instant) -> f64 {
        (at - self.origin).as_secs_f64()
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

    fn response(&mut self, r: &PollResponse) {
        if !self.admit(r.received) {
            return;
        }
        let what = match r.kind() {
            AnswerKind::Empty if r.cut_by_client => "empty (cut)".to_owned(),
            AnswerKind::Empty => "empty".to_owned(),
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
        let text = format!(
            "{:>8.3}s p{:<3} {} held {:>7.3}s  {:<12} {:>7} B  {:<24} cursor {}  {}",
            self.t(r.received),
            r.poller,
            r.status,
            r.hold.as_secs_f64(),
            what,
            r.wire_in,
            conn,
            terminal::line(&r.cursor),
            preview
        );
        self.line(text.trim_end());
    }

    fn failure(&mut self, f: &PollFailure) {
        // Failures share the per-second line budget: thousands of pollers failing
        // together (a dead server, no file descriptors left) give one line per poller
        // up to the budget and then a count, not a wall of identical errors.
        if !self.admit(f.at) {
            return;
        }
        let text = format!(
            "{:>8.3}s p{:<3} ERR {} — retry in {:.1}s{}",
            self.t(f.at),
            f.poller,
            terminal::line(&f.message),
            f.backoff.as_secs_f64(),
            if f.retry_after { " (Retry-After)" } else { "" }
        );
        self.line(&text);
    }

    fn stale(&mut self, poller: usize, connection: Option<u64>, error: &str) {
        if !self.admit(Instant::now()) {
            return;
        }
        let conn = connection.map_or_else(|| "?".to_owned(), |c| format!("#{c}"));
        self.line(&format!(
            "          p{poller:<3} stale connection {conn} ({}); retried on another",
            terminal::line(error)
        ));
    }

    fn progress(&mut self, stats: &Stats) {
        if !self.human || self.last_progress.elapsed() < self.progress_every {
            return;
        }
        self.last_progress = Instant::now();
        let ratio = stats
            .reuse_ratio()
            .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0));
        self.line(&format!(
            "[{:.0}s] polls {} events {} empty {} errors {} | TCP connects {} reused polls {} ({ratio}) stale retries {} lost {}",
            self.origin.elapsed().as_secs_f64(),
            stats.polls(),
            stats.events(),
            stats.empty_polls(),
            stats.errors(),
            stats.new_connections(),
            stats.reused_polls(),
            stats.stale_retries(),
            stats.lost_events(),
        ));
    }
}

/// A one-line preview of an event payload, control characters escaped.
fn preview(p: &Payload) -> String {
    let text = match p {
        Payload::Json(v) => v.to_string(),
        Payload::Text(t) => t.clone(),
    };
    let mut s: String = text.chars().take(80).collect();
    if text.chars().nth(80).is_some() {
        s.push('…');
    }
    terminal::line(&s).into_owned()
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(ms) if ms >= 1000.0 => format!("{:.2} s", ms / 1000.0),
        Some(ms) => format!("{ms:.2} ms"),
    }
}

fn print_summary(s: &Summary, pollers: u32, keep_alive: bool) {
    let ratio = s
        .reuse_ratio
        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let statuses: Vec<String> = s.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    let errors: Vec<String> = s
        .errors_by_kind
        .iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect();
    println!();
    println!(
        "Summary: {:.1} s, {pollers} poller(s), keep-alive {}",
        s.duration_s,
        if keep_alive { "on" } else { "off" }
    );
    println!(
        "  polls        {} ({:.1}/s): {} with events, {} empty (held until timeout), {} errors",
        s.polls,
        s.polls_per_s,
        s.polls.saturating_sub(s.empty_polls + s.errors),
        s.empty_polls,
        s.errors
    );
    println!("  events       {} ({:.1}/s)", s.events, s.events_per_s);
    println!(
        "  connections  {} new TCP connection(s), {} poll(s) on reused connections ({ratio} reuse), {} stale retries",
        s.new_connections, s.reused_connections, s.stale_retries
    );
    println!(
        "  handshakes   TCP connect {:.2} ms total, {} TLS handshake(s) {:.2} ms; saved by reuse ≈ {:.2} ms",
        s.connect_ms_total, s.tls_handshakes, s.tls_ms_total, s.handshake_ms_saved
    );
    println!(
        "  hold         p50 {}, p99 {} (with events p50 {}; empty p50 {})",
        ms(s.hold_ms_p50),
        ms(s.hold_ms_p99),
        ms(s.hold_ms_events_p50),
        ms(s.hold_ms_empty_p50)
    );
    println!(
        "  latency      p50 {}, p99 {}",
        ms(s.event_latency_ms_p50),
        ms(s.event_latency_ms_p99)
    );
    println!(
        "  lost events  {} ({} duplicates)",
        s.lost_events, s.duplicate_events
    );
    println!(
        "  bytes        {} on the wire in, {} out, {} of bodies",
        s.wire_bytes_in, s.wire_bytes_out, s.body_bytes
    );
    if !statuses.is_empty() {
        println!("  statuses     {}", statuses.join(" "));
    }
    if !errors.is_empty() {
        println!("  errors       {}", errors.join(" "));
    }
}

/// How a comparison went, for the exit code: a poller died in a variant, or no variant
/// had a single successful poll.
#[must_use]
pub fn compare_outcome(c: &crate::compare::Comparison) -> (Exit, Option<String>) {
    let died: u64 = c.results.iter().map(|r| r.summary.pollers_died).sum();
    if died > 0 {
        return (
            Exit::PollerDied,
            Some(format!(
                "{died} poller(s) ended unexpectedly; the comparison is incomplete"
            )),
        );
    }
    let polls: u64 = c.results.iter().map(|r| r.summary.polls).sum();
    let succeeded = c.results.iter().any(|r| r.summary.polls > r.summary.errors);
    if polls > 0 && !succeeded {
        return (
            Exit::NoSuccess,
            Some(format!(
                "no poll succeeded in any variant ({polls} poll(s), all failed)"
            )),
        );
    }
    (Exit::Ok, None)
}

/// How a comparison prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOutput {
    Table,
    Json,
    Markdown,
}

/// Run a comparison headless, print it, and optionally export it into `export`.
pub fn compare(
    profile: &Profile,
    opts: &crate::compare::CompareOptions,
    confirmed: bool,
    output: CompareOutput,
    export: Option<&std::path::Path>,
) -> anyhow::Result<crate::compare::Comparison> {
    use crate::compare::{CompareError, Running};
    let mut running = Running::start(profile, opts, confirmed, &crate::poll::no_waker()).map_err(
        |e| match e {
            CompareError::Start { variant, source } => {
                let f = start_failure(source);
                Failure::new(f.exit, format!("{variant}: {f}"))
            }
            other => Failure::new(Exit::Usage, other),
        },
    )?;
    let mut last = Instant::now();
    eprintln!(
        "comparing {} variant(s) of {} for {}…",
        opts.variants.len(),
        terminal::line(&redact::url(&profile.url)),
        humantime::format_duration(opts.duration)
    );
    while !running.is_done() {
        running.pump();
        if last.elapsed() >= Duration::from_secs(5) {
            last = Instant::now();
            let (done, total) = running.progress();
            eprintln!("  {done:.0}/{total:.0} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let comparison = running.finish();
    match output {
        CompareOutput::Json => println!(
            "{}",
            serde_json::to_string(&comparison).context("comparison to JSON")?
        ),
        CompareOutput::Markdown => println!("{}", terminal::block(&comparison.markdown(&[]))),
        CompareOutput::Table => {
            println!("{}", terminal::block(&comparison.text_table()));
            println!("{}", terminal::block(&comparison.verdict));
        }
    }
    if let Some(dir) = export {
        let files = crate::compare::export(&comparison, dir)
            .with_context(|| format!("cannot export into {}", dir.display()))?;
        eprintln!("wrote {}", files.join(", "));
    }
    Ok(comparison)
}
