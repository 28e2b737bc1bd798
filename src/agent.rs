//! The agent: several profiles watched unattended, for days. Each profile runs its own
//! [`Session`] whose events go through an alert [`Pump`] (rules, quiet, stalled) into
//! per-profile [`crate::metrics`]; alert transitions are printed as they happen (one
//! line, or one JSON line each), and the metrics are served for Prometheus.
//!
//! Memory stays flat however long it runs: no per-event history is kept (only the
//! alerts' bounded windows and the metrics' fixed counters and buckets). A session
//! whose pollers all ended (a bug) is started again after a growing pause.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::alert::{AlertState, Alerts, Pump, PumpHooks};
use crate::exit::Exit;
use crate::headless::alerting::{TransitionOutput, print_transition, serve_metrics};
use crate::metrics::{Metrics, ProfileMetrics};
use crate::notify::Notifier;
use crate::poll::{PollEvent, Session};
use crate::profile::Profile;
use crate::terminal;

/// How often the agent looks at its sessions and the clock.
const LOOK_EVERY: Duration = Duration::from_millis(250);
/// First pause before a session whose pollers all ended is started again; it doubles
/// up to [`RESTART_MAX`].
const RESTART_FIRST: Duration = Duration::from_secs(5);
const RESTART_MAX: Duration = Duration::from_mins(5);

/// How an agent runs.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// Stop after this long; `None`: until Ctrl-C or SIGTERM.
    pub duration: Option<Duration>,
    /// How alert transitions are printed.
    pub output: TransitionOutput,
    /// Serve the `OpenMetrics` exposition here.
    pub metrics: Option<SocketAddr>,
    /// Raise desktop notifications for the transitions of profiles that have them on.
    pub notify: bool,
}

/// What an agent run saw, per profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileTotals {
    /// The profile's name.
    pub profile: String,
    /// Polls completed.
    pub polls: u64,
    /// Events received.
    pub events: u64,
    /// Failed polls.
    pub errors: u64,
    /// Times a rule started firing.
    pub alerts_fired: u64,
    /// Times the session was started again.
    pub restarts: u32,
}

/// One watched profile.
struct Watched {
    profile: Profile,
    run: Option<(Session, Pump)>,
    metrics: Option<Arc<Mutex<ProfileMetrics>>>,
    totals: Arc<Totals>,
    restarts: u32,
    restart_at: Option<Instant>,
    output: TransitionOutput,
    notifier: Option<Notifier>,
}

/// Counts kept across restarts, written by the pump thread.
#[derive(Default)]
struct Totals {
    polls: AtomicU64,
    events: AtomicU64,
    errors: AtomicU64,
    fired: AtomicU64,
}

impl Totals {
    fn count(&self, event: &PollEvent) {
        match event {
            PollEvent::Response(r) => {
                self.polls.fetch_add(1, Ordering::Relaxed);
                let n = u64::try_from(r.events.len()).unwrap_or(u64::MAX);
                self.events.fetch_add(n, Ordering::Relaxed);
            }
            PollEvent::Failed(_) => {
                self.polls.fetch_add(1, Ordering::Relaxed);
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
            PollEvent::Resynced(_) => {
                self.polls.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

fn locked(m: &Mutex<ProfileMetrics>) -> std::sync::MutexGuard<'_, ProfileMetrics> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Watched {
    /// Start (or start again) the session and its pump.
    fn start(&mut self) -> anyhow::Result<()> {
        let session = Session::start(self.profile.clone(), crate::poll::no_waker())?;
        let alerts = Alerts::for_profile(&self.profile, session.started());
        if let Some(m) = &self.metrics {
            let mut m = locked(m);
            m.set_transport(Arc::clone(session.metrics()));
            m.set_running(self.profile.pollers as usize);
        }
        let (on_event, on_evaluated) = match &self.metrics {
            Some(m) => {
                let (a, b) = (Arc::clone(m), Arc::clone(m));
                (
                    Some(Box::new(move |e: &PollEvent| locked(&a).observe(e))
                        as crate::alert::pump::EventHook),
                    Some(Box::new(move |alerts: &Alerts, now: Instant| {
                        locked(&b).alerts(alerts, now);
                    }) as crate::alert::pump::EvaluatedHook),
                )
            }
            None => (None, None),
        };
        let totals = Arc::clone(&self.totals);
        let counting: crate::alert::pump::EventHook = match on_event {
            Some(mut inner) => Box::new(move |e: &PollEvent| {
                totals.count(e);
                inner(e);
            }),
            None => Box::new(move |e: &PollEvent| totals.count(e)),
        };
        let totals = Arc::clone(&self.totals);
        let metrics = self.metrics.clone();
        let output = self.output;
        let notifier = self.notifier.clone();
        let hooks = PumpHooks {
            on_event: Some(counting),
            on_evaluated,
            on_transition: Some(Box::new(move |t, _| {
                if t.state == AlertState::Firing {
                    totals.fired.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(m) = &metrics {
                    locked(m).transition(t);
                }
                print_transition(t, output);
                if let Some(n) = &notifier {
                    n.transition(t);
                }
            })),
            ..PumpHooks::default()
        };
        let pump = Pump::spawn(
            &self.profile.name,
            session.events().clone(),
            alerts,
            Arc::clone(session.metrics()),
            hooks,
        )?;
        self.run = Some((session, pump));
        self.restart_at = None;
        Ok(())
    }

    /// Start the session again if its pollers all ended (after a pause).
    fn look(&mut self, now: Instant) {
        if let Some((session, _)) = &self.run
            && session.running_pollers() == 0
        {
            self.stop();
            let pause = RESTART_FIRST
                .saturating_mul(1 << self.restarts.min(10))
                .min(RESTART_MAX);
            log::warn!(
                "{}: every poller has ended; starting again in {}",
                self.profile.name,
                humantime::format_duration(pause)
            );
            self.restart_at = Some(now + pause);
        }
        if self.run.is_none() && self.restart_at.is_some_and(|t| now >= t) {
            self.restarts = self.restarts.saturating_add(1);
            if let Err(e) = self.start() {
                log::warn!("{}: cannot start again: {e}", self.profile.name);
                self.restart_at = Some(now + RESTART_MAX);
            }
        }
    }

    fn stop(&mut self) {
        if let Some((mut session, mut pump)) = self.run.take() {
            session.stop();
            drop(session);
            pump.join_within(Duration::from_secs(2));
        }
        if let Some(m) = &self.metrics {
            locked(m).set_running(0);
        }
    }

    fn totals(&self) -> ProfileTotals {
        let t = &self.totals;
        ProfileTotals {
            profile: self.profile.name.clone(),
            polls: t.polls.load(Ordering::Relaxed),
            events: t.events.load(Ordering::Relaxed),
            errors: t.errors.load(Ordering::Relaxed),
            alerts_fired: t.fired.load(Ordering::Relaxed),
            restarts: self.restarts,
        }
    }
}

/// Watch `profiles` until the duration passes, Ctrl-C or SIGTERM; print each profile's
/// totals at the end. Returns the exit code: [`Exit::AlertFired`] if any rule fired.
///
/// # Errors
/// A profile cannot start (a usage error: nothing is watched then), or the metrics
/// address cannot be served.
pub fn run(
    profiles: Vec<Profile>,
    opts: &AgentOptions,
    interrupted: &AtomicBool,
) -> anyhow::Result<(Exit, Option<String>, Vec<ProfileTotals>)> {
    let registry = opts.metrics.map(|_| Metrics::new());
    let _server = match (opts.metrics, &registry) {
        (Some(addr), Some(r)) => Some(serve_metrics(addr, r)?),
        _ => None,
    };
    let notifier = if opts.notify {
        Some(Notifier::start()?)
    } else {
        None
    };
    let mut watched: Vec<Watched> = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let profile_notifies = profile.alerts.notify;
        let metrics = registry
            .as_ref()
            .map(|r| Arc::new(Mutex::new(r.profile(&profile.name, Arc::default()))));
        let mut w = Watched {
            profile,
            run: None,
            metrics,
            totals: Arc::default(),
            restarts: 0,
            restart_at: None,
            output: opts.output,
            notifier: notifier.clone().filter(|_| profile_notifies),
        };
        w.start().map_err(|e| {
            crate::exit::Failure::new(
                Exit::Usage,
                format!("{}: {e}", terminal::line(&w.profile.name)),
            )
        })?;
        if w.profile.accept_invalid_certs {
            eprintln!(
                "warning: {}: {}",
                terminal::line(&w.profile.name),
                crate::headless::INSECURE_WARNING
            );
        }
        eprintln!(
            "watching {} ({}; {} rule(s))",
            terminal::line(&w.profile.name),
            terminal::line(&crate::redact::url(&w.profile.url)),
            w.profile.alerts.rules.len()
        );
        watched.push(w);
    }
    let started = Instant::now();
    let deadline = opts.duration.map(|d| started + d);
    while !interrupted.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        std::thread::sleep(LOOK_EVERY);
        let now = Instant::now();
        for w in &mut watched {
            w.look(now);
        }
    }
    // Signal every session at once, then wait for each: stopping takes ≤ 1 s, not N s.
    for w in &watched {
        if let Some((session, _)) = &w.run {
            session.signal_stop();
        }
    }
    for w in &mut watched {
        w.stop();
    }
    let totals: Vec<ProfileTotals> = watched.iter().map(Watched::totals).collect();
    let fired: u64 = totals.iter().map(|t| t.alerts_fired).sum();
    let (exit, verdict) = if fired > 0 {
        let names: Vec<String> = totals
            .iter()
            .filter(|t| t.alerts_fired > 0)
            .map(|t| format!("{} ({}×)", t.profile, t.alerts_fired))
            .collect();
        (
            Exit::AlertFired,
            Some(format!("alert rule(s) fired: {}", names.join(", "))),
        )
    } else {
        (Exit::Ok, None)
    };
    Ok((exit, verdict, totals))
}

/// The end-of-run lines: one per profile, or one JSON object.
#[must_use]
pub fn totals_text(totals: &[ProfileTotals], output: TransitionOutput) -> String {
    match output {
        TransitionOutput::Json => {
            let profiles: Vec<serde_json::Value> = totals
                .iter()
                .map(|t| {
                    json!({
                        "profile": t.profile,
                        "polls": t.polls,
                        "events": t.events,
                        "errors": t.errors,
                        "alerts_fired": t.alerts_fired,
                        "restarts": t.restarts,
                    })
                })
                .collect();
            json!({ "type": "summary", "profiles": profiles }).to_string()
        }
        TransitionOutput::Line => totals
            .iter()
            .map(|t| {
                format!(
                    "{}: {} polls, {} events, {} errors, {} alert(s) fired, {} restart(s)",
                    terminal::line(&t.profile),
                    t.polls,
                    t.events,
                    t.errors,
                    t.alerts_fired,
                    t.restarts
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The profiles to watch: those named (or all) from `file` (a profiles document) or
/// from the saved profiles. Profiles of the app's built-in demo server cannot run
/// without the app: named ones are an error, others are skipped with a warning.
///
/// # Errors
/// The file or the store cannot be read, a named profile is not there, or nothing is
/// left to watch.
pub fn load_profiles(
    names: &[String],
    file: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Profile>> {
    let (all, from) = if let Some(path) = file {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let all = crate::profile_store::parse(path, &bytes)?;
        (all, path.display().to_string())
    } else {
        let store = crate::profile_store::ProfileStore::open(&crate::profile_store::config_dir()?)?;
        let from = store.path().display().to_string();
        (store.profiles, from)
    };
    let mut chosen = Vec::new();
    if names.is_empty() {
        for p in all {
            if p.builtin_demo {
                log::warn!(
                    "{}: skipped (it polls the app's built-in demo server)",
                    p.name
                );
            } else {
                chosen.push(p);
            }
        }
    } else {
        for name in names {
            let Some(p) = all.iter().find(|p| &p.name == name) else {
                let have: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
                anyhow::bail!(
                    "no profile named {name:?} in {from} (have: {})",
                    if have.is_empty() {
                        "none".to_owned()
                    } else {
                        have.join(", ")
                    }
                );
            };
            if p.builtin_demo {
                anyhow::bail!(
                    "{name:?} polls the app's built-in demo server, which only runs inside \
                     the app; run `pollscope demo-server` and give a profile its URL"
                );
            }
            chosen.push(p.clone());
        }
    }
    if chosen.is_empty() {
        anyhow::bail!("no profiles to watch in {from}");
    }
    Ok(chosen)
}
