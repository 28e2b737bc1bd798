//! The command-line face: run a profile without a window, print a line per poll result
//! and a summary (text or one JSON object).
//!
//! A thin layer over [`crate::poll::Session`] and [`crate::stats::Stats`]; no egui.

pub mod alerting;
mod printer;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::RecvTimeoutError;

use crate::exit::{Exit, Failure};
use crate::metrics::{Metrics, MetricsServer};
use crate::poll::{ErrorKind, PollEvent, Session, StartError};
use crate::profile::Profile;
use crate::stats::{Stats, StatsConfig, Summary};
use crate::terminal;
use alerting::{Alerting, TransitionOutput};
use printer::Printer;

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
    /// Live lines and text, or one JSON object.
    pub output: Output,
    /// At most this many poll lines per second (the rest are summarised).
    pub max_lines_per_s: u32,
    /// Seconds between progress lines.
    pub progress_every: Duration,
    /// Write events.jsonl (as events arrive), stats.csv and summary.json here.
    pub export: Option<std::path::PathBuf>,
    /// Serve the metrics (`OpenMetrics`) here while the run lasts.
    pub metrics: Option<std::net::SocketAddr>,
    /// Raise desktop notifications for alert transitions (if the profile has them on).
    pub notify: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            duration: None,
            output: Output::Human,
            max_lines_per_s: 40,
            progress_every: Duration::from_secs(5),
            export: None,
            metrics: None,
            notify: false,
        }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct WatchReport {
    /// Every figure of the run.
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
        _ => Exit::Usage,
    };
    Failure::new(exit, e)
}

/// How long the headless loop lets events gather once one has arrived.
const BATCH_PAUSE: Duration = Duration::from_millis(5);
/// Longest wait for an event before progress is printed and the clock checked.
const TICK: Duration = Duration::from_millis(200);

/// Errors that end a run before its duration: nothing ever reached the server.
fn fatal_before_success(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectRefused
            | ErrorKind::HostNotFound
            | ErrorKind::ConnectTimeout
            | ErrorKind::Tls
            | ErrorKind::Request
            | ErrorKind::Proxy
    )
}

/// Run `profile` headless until the duration passes or Ctrl-C, printing as `opts` says.
/// Fails (for a non-zero exit) when the URL cannot be reached at all.
pub fn watch(profile: Profile, opts: &WatchOptions) -> anyhow::Result<WatchReport> {
    let interrupted = ctrl_c_flag();
    let target = Target::of(&profile);
    warn_if_insecure(&profile);
    let event_log = open_event_log(opts.export.as_deref())?;
    let registry = opts.metrics.map(|_| Metrics::new());
    let server = match (opts.metrics, &registry) {
        (Some(addr), Some(registry)) => Some(alerting::serve_metrics(addr, registry)?),
        _ => None,
    };
    let notifier = if opts.notify {
        Some(crate::notify::Notifier::start()?)
    } else {
        None
    };
    let session = Session::start(profile, crate::poll::no_waker()).map_err(start_failure)?;
    let name = session.profile().name.clone();
    let alerting = Alerting::new(
        session.profile(),
        session.started(),
        Arc::clone(session.metrics()),
        registry.map(|r| r.profile(&name, Arc::clone(session.metrics()))),
        Some(match opts.output {
            Output::Human => TransitionOutput::Line,
            Output::Json => TransitionOutput::Json,
        }),
        notifier,
    );
    let mut run = Run::new(session, opts, event_log, alerting, server);
    if opts.output == Output::Human {
        run.printer.line(&target.announcement(opts.duration));
    }
    let deadline = opts.duration.map(|d| run.session.started() + d);
    run.watch_until(deadline, &interrupted)?;
    let end = Instant::now();
    run.stop()?;
    if let Some(message) = run.fatal.take() {
        let message = format!("cannot reach {}: {message}", target.url);
        return Err(Failure::new(Exit::Unreachable, message).into());
    }
    let report = run.report(end, opts.export.as_deref())?;
    match opts.output {
        Output::Json => {
            let mut summary = target.summary_json(&report)?;
            if let (Some(alerts), Some(obj)) =
                (run.alerting.summary_json(), summary.as_object_mut())
            {
                obj.insert("alerts".to_owned(), alerts);
            }
            print_out(&summary.to_string());
        }
        Output::Human => {
            let mut text =
                printer::summary_text(&report.summary, target.pollers, target.keep_alive);
            for line in run.alerting.summary_lines() {
                text.push('\n');
                text.push_str(&line);
            }
            print_out(&text);
        }
    }
    Ok(report)
}

/// What every run without certificate checks says first (on stderr, whatever the output
/// mode: it is not part of the JSON).
pub const INSECURE_WARNING: &str = "TLS certificates are NOT verified for this run \
     (--insecure, or the profile's accept_invalid_certs): anyone between you and the server \
     can read and change the traffic, credentials included";

fn warn_if_insecure(profile: &Profile) {
    if profile.accept_invalid_certs {
        Printer::warn(INSECURE_WARNING);
    }
}

/// A flag Ctrl-C (and SIGTERM) sets (the run then stops and prints its summary).
#[must_use]
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        log::debug!("no Ctrl-C handler: {e}");
    }
    interrupted
}

/// `events.jsonl` in the export directory (created), written as events arrive.
fn open_event_log(dir: Option<&Path>) -> anyhow::Result<Option<io::BufWriter<File>>> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("events.jsonl");
    let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(io::BufWriter::new(file)))
}

/// Write `text` to stdout, control characters but newlines escaped; a closed stdout
/// (`| head`) is not an error worth failing for.
fn print_out(text: &str) {
    let text = terminal::block(text.trim_end_matches('\n'));
    if let Err(e) = writeln!(io::stdout().lock(), "{text}") {
        log::debug!("stdout closed: {e}");
    }
}

/// What is being watched, as the output names it (secrets masked).
struct Target {
    url: String,
    pollers: u32,
    keep_alive: bool,
}

impl Target {
    fn of(profile: &Profile) -> Self {
        Self {
            url: profile.shown_url(),
            pollers: profile.pollers,
            keep_alive: profile.keep_alive,
        }
    }

    /// The first line of a human run.
    fn announcement(&self, duration: Option<Duration>) -> String {
        format!(
            "watching {} with {} poller(s), keep-alive {}{}",
            self.url,
            self.pollers,
            if self.keep_alive { "on" } else { "off" },
            duration
                .map(|d| format!(", for {}", humantime::format_duration(d)))
                .unwrap_or_default()
        )
    }

    /// The `--json` output: the summary's keys plus what was watched.
    fn summary_json(&self, report: &WatchReport) -> anyhow::Result<serde_json::Value> {
        let mut v = serde_json::to_value(&report.summary).context("summary to JSON")?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("url".to_owned(), self.url.clone().into());
            obj.insert("pollers".to_owned(), self.pollers.into());
            obj.insert("keep_alive".to_owned(), self.keep_alive.into());
            obj.insert("exit_code".to_owned(), report.exit.code().into());
        }
        Ok(v)
    }
}

/// A watch run in progress: the session, what it counted, what it printed.
struct Run {
    session: Session,
    stats: Stats,
    printer: Printer,
    event_log: Option<io::BufWriter<File>>,
    /// Some poll got an answer (a later failure is no longer "cannot reach").
    answered: bool,
    /// Why the run ended before any answer.
    fatal: Option<String>,
    /// Problems already warned about (each is said once).
    problems_seen: HashSet<String>,
    /// Sequence resets already said.
    resets_said: u64,
    /// Alert rules and metrics.
    alerting: Alerting,
    /// Serves the metrics while the run lasts.
    _metrics_server: Option<MetricsServer>,
}

impl Run {
    fn new(
        session: Session,
        opts: &WatchOptions,
        event_log: Option<io::BufWriter<File>>,
        alerting: Alerting,
        metrics_server: Option<MetricsServer>,
    ) -> Self {
        let origin = session.started();
        Self {
            stats: Stats::new(origin, StatsConfig::default()),
            printer: Printer::new(
                opts.output == Output::Human,
                opts.max_lines_per_s,
                opts.progress_every,
                origin,
            ),
            session,
            event_log,
            answered: false,
            fatal: None,
            problems_seen: HashSet::new(),
            resets_said: 0,
            alerting,
            _metrics_server: metrics_server,
        }
    }

    /// Take in events until `deadline`, Ctrl-C, or a failure that says the server cannot
    /// be reached at all.
    fn watch_until(
        &mut self,
        deadline: Option<Instant>,
        interrupted: &AtomicBool,
    ) -> anyhow::Result<()> {
        while !interrupted.load(Ordering::Relaxed) && self.fatal.is_none() {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break;
            }
            let wait = deadline
                .map_or(TICK, |d| (d - now).min(TICK))
                .min(self.alerting.wait_at_most(now));
            let first = match self.session.events().recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    self.alerting.evaluate(Instant::now());
                    self.printer.progress(&self.stats);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            // Once something arrived, let more arrive before taking them: under load this
            // thread then wakes at most 1 / BATCH_PAUSE times a second instead of once per
            // poll (each wake a futex call on the poller's side), leaving the cores to the
            // pollers. Idle, it blocks above.
            std::thread::sleep(BATCH_PAUSE);
            let rest: Vec<PollEvent> = self.session.events().try_iter().collect();
            for event in std::iter::once(first).chain(rest) {
                self.take(&event)?;
                if self.fatal.is_some() {
                    break;
                }
            }
            self.alerting.evaluate(Instant::now());
            self.printer.progress(&self.stats);
        }
        Ok(())
    }

    /// Count, log and print one event.
    fn take(&mut self, event: &PollEvent) -> anyhow::Result<()> {
        self.record(event)?;
        if self.stats.sequence_resets() > self.resets_said {
            self.resets_said = self.stats.sequence_resets();
            if let Some(reset) = self.stats.last_sequence_reset() {
                Printer::warn(&format!("p{}: {}", reset.poller, reset.describe()));
            }
        }
        match event {
            PollEvent::Response(r) => {
                self.answered = true;
                if let Some(p) = &r.problem
                    && self.problems_seen.insert(p.clone())
                {
                    Printer::warn(&format!("p{}: {p}", r.poller));
                }
                if let Some(n) = &r.not_holding
                    && n.streak == 1
                {
                    Printer::warn(&format!("p{}: {}", r.poller, n.describe()));
                }
                self.printer.response(r);
            }
            PollEvent::Failed(f) if !self.answered && fatal_before_success(f.kind) => {
                self.fatal = Some(format!("{}{}", f.message, printer::hint(f.kind)));
            }
            PollEvent::Failed(f) => self.printer.failure(f),
            PollEvent::Resynced(r) => self.printer.resynced(r),
            PollEvent::PollerDied { message, .. } => Printer::warn(message),
            PollEvent::Session(e) => self.printer.session(e),
            PollEvent::StaleRetry {
                poller,
                connection,
                error,
                ..
            } => self.printer.stale(*poller, *connection, error),
            PollEvent::Redirected(r) => self.printer.redirected(r),
            PollEvent::PollStarted { .. }
            | PollEvent::Connected { .. }
            | PollEvent::Stopped { .. } => {}
        }
        Ok(())
    }

    /// Count the event and append what it carried to the event log.
    fn record(&mut self, event: &PollEvent) -> anyhow::Result<()> {
        self.stats.record(event);
        self.alerting.observe(event);
        if let Some(log) = &mut self.event_log {
            crate::export::write_event(log, event).context("writing events.jsonl")?;
        }
        Ok(())
    }

    /// Stop the pollers, and count what arrived while they stopped (answers already on
    /// their way).
    fn stop(&mut self) -> anyhow::Result<()> {
        self.session.stop();
        let late: Vec<PollEvent> = self.session.events().try_iter().collect();
        for event in &late {
            self.record(event)?;
        }
        if let Some(log) = &mut self.event_log {
            log.flush().context("writing events.jsonl")?;
        }
        self.alerting.stopped();
        Ok(())
    }

    /// The figures as of `end`, also written into `export` when given.
    fn report(&mut self, end: Instant, export: Option<&Path>) -> anyhow::Result<WatchReport> {
        self.stats.settle();
        let summary = self.stats.summary(end);
        if let Some(dir) = export {
            crate::export::write_stats_files(dir, &self.stats, &summary)
                .with_context(|| format!("cannot write statistics into {}", dir.display()))?;
        }
        let (mut exit, mut verdict) = outcome(&summary, self.stats.last_error());
        if exit == Exit::Ok
            && let Some(fired) = self.alerting.verdict()
        {
            exit = Exit::AlertFired;
            verdict = Some(fired);
        }
        Ok(WatchReport {
            tcp_connects: self.session.metrics().tcp_connects(),
            summary,
            exit,
            verdict,
        })
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
    /// A fixed-width table and the verdict.
    Table,
    /// The whole comparison as one JSON object.
    Json,
    /// The Markdown report.
    Markdown,
}

/// Run a comparison headless, print it, and optionally export it into `export`.
pub fn compare(
    profile: &Profile,
    opts: &crate::compare::CompareOptions,
    confirmed: bool,
    output: CompareOutput,
    export: Option<&Path>,
) -> anyhow::Result<crate::compare::Comparison> {
    use crate::compare::{CompareError, Running};
    warn_if_insecure(profile);
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
        terminal::line(&profile.shown_url()),
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
        CompareOutput::Json => {
            print_out(&serde_json::to_string(&comparison).context("comparison to JSON")?);
        }
        CompareOutput::Markdown => print_out(&comparison.markdown(&[])),
        CompareOutput::Table => {
            print_out(&format!(
                "{}\n{}",
                comparison.text_table(),
                comparison.verdict
            ));
        }
    }
    if let Some(dir) = export {
        let files = crate::compare::export(&comparison, dir)
            .with_context(|| format!("cannot export into {}", dir.display()))?;
        eprintln!("wrote {}", files.join(", "));
    }
    Ok(comparison)
}

#[cfg(test)]
mod outcome_tests {
    use std::time::Instant;

    use super::outcome;
    use crate::exit::Exit;
    use crate::poll::PollEvent;
    use crate::stats::{Stats, StatsConfig};

    /// Issue 14: a run whose poller died exits non-zero and says why, even when nothing
    /// else went wrong (it used to print an empty summary and exit 0).
    #[test]
    fn a_dead_poller_makes_the_run_fail() {
        let origin = Instant::now();
        let mut stats = Stats::new(origin, StatsConfig::default());
        let (exit, _) = outcome(&stats.summary(Instant::now()), None);
        assert_ne!(exit, Exit::PollerDied);
        stats.record(&PollEvent::PollerDied {
            poller: 0,
            at: Instant::now(),
            message: "poller 0 panicked: boom".to_owned(),
        });
        let (exit, verdict) = outcome(&stats.summary(Instant::now()), Some("boom"));
        assert_eq!(exit, Exit::PollerDied);
        assert_eq!(exit.code(), 5);
        assert!(verdict.unwrap().contains("1 poller(s) ended unexpectedly"));
    }
}
