//! The long-poll engine: a [`Session`] runs one profile with N poller threads over one
//! shared keep-alive agent and reports [`PollEvent`]s over a channel.
//!
//! Knows nothing of egui: whoever watches passes a [`Waker`] (the GUI's is
//! `move || ctx.request_repaint()`), called after every event sent.

pub mod answer;
pub mod backoff;
mod conversation;
pub mod event;
mod failure;
pub mod probe;
mod redirect;
mod request;
pub mod timing;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use ureq::Agent;

pub use event::{
    AnswerKind, ConnectionUse, ErrorKind, LostPoll, NotHolding, Payload, PollEvent, PollFailure,
    PollResponse, ReceivedEvent, Redirected, Resynced, SessionChange, SessionEvent,
};
pub use failure::classify;
pub use timing::PollTiming;

use crate::profile::{Profile, ProfileIssue};
use crate::proxy::{ProxyPlan, ProxySetting};
use crate::transport::{self, AgentSettings, TransportMetrics};

/// Called by workers after each event, from their threads.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A waker that does nothing (for callers that block on the channel instead).
#[must_use]
pub fn no_waker() -> Waker {
    Arc::new(|| {})
}

/// How long `stop` waits for pollers to end.
pub const STOP_DEADLINE: Duration = Duration::from_secs(1);

/// Stack reserved for each poller thread: a blocking HTTP call needs little, and 10,000
/// pollers must fit in a few hundred MiB.
///
/// What counts is not this reservation but the pages a poller ever touches: its deepest
/// call, which stays resident while it holds. Measured (bench/ and a scan of the stacks
/// of a process holding polls): 24 KiB per poller, of which ~7 KiB are the thread's TLS
/// and start-up, ~3 KiB the worker, ~10 KiB ureq's request loop (`ureq::run::run` alone
/// has a 9 KiB frame) and ~3 KiB the TCP connect under it. The deepest call is the first
/// connect, so the connector is split in three (see `MeasuringConnector::connect`):
/// one 7 KiB frame there made it 32 KiB, 78 MiB more at 10,000 pollers.
pub const POLLER_STACK_BYTES: usize = 256 * 1024;

/// The proxies a profile's polls go through. The embedded demo server is the app's own
/// loopback server: an environment proxy (a company's, usually) could not reach it.
fn proxy_plan(profile: &Profile) -> Result<ProxyPlan, crate::proxy::ProxyError> {
    if profile.builtin_demo && profile.proxy == ProxySetting::System {
        return Ok(ProxyPlan::direct());
    }
    ProxyPlan::for_setting(&profile.proxy)
}

/// How the session's agent connects (proxy, trusted roots, buffers, timeouts), and
/// the proxy the profile's URL goes through, if any.
fn agent_settings(
    profile: &Profile,
    options: SessionOptions,
) -> Result<(AgentSettings, Option<crate::proxy::ProxyEndpoint>), StartError> {
    let proxy = proxy_plan(profile)?;
    let route = profile
        .parsed_url()
        .ok()
        .and_then(|u| proxy.route_url(&u).cloned());
    // The system's store is read only for HTTPS (or an explicit CA file).
    let roots = if profile.ca_file.is_some() || profile.url.trim_start().starts_with("https:") {
        Some(transport::trust::roots(profile.ca_file.as_deref())?)
    } else {
        None
    };
    let settings = AgentSettings {
        roots,
        keep_alive: profile.keep_alive,
        accept_invalid_certs: profile.accept_invalid_certs,
        call_timeout: Some(profile.client_timeout()),
        capture_requests: options.capture_requests,
        proxy,
        ..AgentSettings::sized_for(profile.pollers, profile.request_head_bytes())
    };
    Ok((settings, route))
}

/// How a session reports, beyond what every session does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// Put each request's head, as sent and with secrets masked, in its event
    /// ([`PollResponse::request`], [`PollFailure::request`]): for an inspector. A copy
    /// per poll, so off by default.
    pub capture_requests: bool,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The profile has problems that stop it from connecting.
    #[error("the profile cannot connect: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ProfileIssue>),
    #[error(
        "could start only {started} of {wanted} pollers: {source} \
         (the system's thread or memory limit; try fewer pollers)"
    )]
    /// The system refused another thread (those started are stopped again).
    Spawn {
        /// Pollers started before the refusal.
        started: usize,
        /// Pollers the profile asked for.
        wanted: usize,
        /// The system's answer.
        source: std::io::Error,
    },
    /// The pollers would not fit under the open-file limit.
    #[error(transparent)]
    TooManyPollers(#[from] crate::limits::TooManyPollers),
    #[error(transparent)]
    /// The proxy setting (the profile's, or an environment variable) is not usable.
    Proxy(#[from] crate::proxy::ProxyError),
    /// The trusted CAs cannot be read (the profile's CA file).
    #[error(transparent)]
    Trust(#[from] transport::trust::TrustError),
}

/// A running profile: its pollers, their agent and the channel they report on.
pub struct Session {
    profile: Arc<Profile>,
    agent: Agent,
    metrics: Arc<TransportMetrics>,
    stop: Arc<AtomicBool>,
    /// Dropped to wake every backoff wait at once.
    stop_signal: Mutex<Option<Sender<()>>>,
    threads: Vec<JoinHandle<()>>,
    events: Receiver<PollEvent>,
    started: Instant,
    /// Counts these pollers against the open-file limit until the session is dropped.
    _fd_budget: crate::limits::PollerReservation,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.profile.name)
            .field("pollers", &self.threads.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Validate `profile` and start its pollers.
    pub fn start(profile: Profile, waker: Waker) -> Result<Self, StartError> {
        Self::start_with(profile, waker, SessionOptions::default())
    }

    /// [`Session::start`] with options.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "public API: callers hand the waker over; the session keeps clones"
    )]
    pub fn start_with(
        profile: Profile,
        waker: Waker,
        options: SessionOptions,
    ) -> Result<Self, StartError> {
        let issues = profile.validate();
        if !issues.is_empty() {
            return Err(StartError::Invalid(issues));
        }
        let url = Arc::new(
            profile
                .poll_url_template()
                .map_err(|e| StartError::Invalid(vec![e]))?,
        );
        let (settings, route) = agent_settings(&profile, options)?;
        let fd_budget = crate::limits::reserve_pollers(profile.pollers as usize)?;
        let (agent, metrics) = transport::build_agent(settings);
        if let Some(p) = &route {
            log::info!(
                "polling through proxy {} (from {})",
                p.authority(),
                p.source
            );
        }
        let (tx, events) = crossbeam_channel::unbounded();
        let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
        let mut session = Self {
            profile: Arc::new(profile),
            agent,
            metrics,
            stop: Arc::new(AtomicBool::new(false)),
            stop_signal: Mutex::new(Some(stop_tx)),
            threads: Vec::new(),
            events,
            started: Instant::now(),
            _fd_budget: fd_budget,
        };
        let (profile, agent, metrics, stop) = (
            Arc::clone(&session.profile),
            session.agent.clone(),
            Arc::clone(&session.metrics),
            Arc::clone(&session.stop),
        );
        let secrets = Arc::new(profile.secrets());
        let route = route.map(Arc::new);
        session.spawn_pollers(|poller| worker::Worker {
            poller,
            profile: Arc::clone(&profile),
            agent: agent.clone(),
            metrics: Arc::clone(&metrics),
            tx: tx.clone(),
            waker: Arc::clone(&waker),
            stop: Arc::clone(&stop),
            stop_signal: stop_rx.clone(),
            secrets: Arc::clone(&secrets),
            url: Arc::clone(&url),
            proxy: route.clone(),
            trace: None,
        })?;
        Ok(session)
    }

    /// Start the profile's pollers, `worker(n)` for poller `n`. If the system refuses a
    /// thread, those started are stopped again.
    fn spawn_pollers(
        &mut self,
        worker: impl Fn(usize) -> worker::Worker,
    ) -> Result<(), StartError> {
        let wanted = self.profile.pollers as usize;
        for poller in 0..wanted {
            if let Err(source) = self.spawn(worker(poller)) {
                let started = self.threads.len();
                self.stop();
                return Err(StartError::Spawn {
                    started,
                    wanted,
                    source,
                });
            }
        }
        log::info!(
            "started {} poller(s) for {}",
            wanted,
            self.profile.shown_url()
        );
        Ok(())
    }

    /// Start one poller's named thread.
    fn spawn(&mut self, worker: worker::Worker) -> std::io::Result<()> {
        let (poller, tx, waker, secrets) = (
            worker.poller,
            worker.tx.clone(),
            Arc::clone(&worker.waker),
            Arc::clone(&worker.secrets),
        );
        let handle = std::thread::Builder::new()
            .name(format!("pollscope-poller-{poller}"))
            .stack_size(POLLER_STACK_BYTES)
            .spawn(move || guarded(poller, &tx, &waker, &secrets, move || worker.run()))?;
        self.threads.push(handle);
        Ok(())
    }

    /// The events all pollers report, in arrival order.
    #[must_use]
    pub fn events(&self) -> &Receiver<PollEvent> {
        &self.events
    }

    /// Connection counters measured in the transport.
    #[must_use]
    pub fn metrics(&self) -> &Arc<TransportMetrics> {
        &self.metrics
    }

    /// The profile this session runs.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// When the session started.
    #[must_use]
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Pollers still running.
    #[must_use]
    pub fn running_pollers(&self) -> usize {
        self.threads.iter().filter(|t| !t.is_finished()).count()
    }

    /// Tell every poller to stop, interrupting held polls and backoff waits, without
    /// waiting for them: for a UI that must not block.
    pub fn signal_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.stop_signal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        // Closes every connection of the agent, so blocked calls return at once: the
        // sockets through the transport's registry, the pool through the agent.
        self.metrics.shutdown();
        self.agent.clone().shutdown();
    }

    /// Stop every poller, interrupting held polls and backoff waits. Returns within
    /// about [`STOP_DEADLINE`]; returns how many threads had not ended by then (they end
    /// on their own; none holds a connection any more).
    pub fn stop(&mut self) -> usize {
        if self.threads.is_empty() {
            return 0;
        }
        self.signal_stop();
        let deadline = Instant::now() + STOP_DEADLINE;
        while Instant::now() < deadline && self.threads.iter().any(|t| !t.is_finished()) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let mut left = 0;
        for t in self.threads.drain(..) {
            if t.is_finished() {
                if t.join().is_err() {
                    log::warn!("a poller thread panicked");
                }
            } else {
                left += 1;
            }
        }
        if left > 0 {
            log::warn!("{left} poller thread(s) still ending after stop");
        }
        left
    }
}

/// Run a poller's `body`; if it panics, report [`PollEvent::PollerDied`] so the watcher
/// knows the poller is gone (a panic is a bug, but it must not pass unnoticed: a run
/// that lost its pollers would otherwise print an empty summary and "succeed").
fn guarded(
    poller: usize,
    tx: &Sender<PollEvent>,
    waker: &Waker,
    secrets: &crate::redact::Secrets,
    body: impl FnOnce(),
) {
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) else {
        return;
    };
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    let message = format!(
        "poller {poller} ended unexpectedly: {}",
        secrets.mask(&what)
    );
    log::error!("{message}");
    if tx
        .send(PollEvent::PollerDied {
            poller,
            at: Instant::now(),
            message,
        })
        .is_ok()
    {
        waker();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_poller_is_reported_with_its_message_masked() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let waker: Waker = Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let secrets = crate::redact::Secrets::new(["hunter2-token"]);
        // The default hook would print the panic; this one is expected.
        let body = || std::panic::resume_unwind(Box::new("bad value hunter2-token".to_owned()));
        guarded(7, &tx, &waker, &secrets, body);
        match rx.try_recv() {
            Ok(PollEvent::PollerDied {
                poller, message, ..
            }) => {
                assert_eq!(poller, 7);
                assert!(message.contains("ended unexpectedly"), "{message}");
                assert!(message.contains("bad value"), "{message}");
                assert!(!message.contains("hunter2"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(woken.load(Ordering::Relaxed), 1);
        // A body that returns reports nothing.
        guarded(8, &tx, &waker, &secrets, || {});
        assert!(rx.try_recv().is_err());
    }
}
