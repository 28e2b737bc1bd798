//! Starting sessions away from the UI thread: a connect (or a comparison's start) runs
//! on a starter thread of its own — the embedded demo server's start (a runtime and a
//! socket), `Session::start` (the open-file check, one thread per poller) — and its
//! outcome comes back over a channel the UI drains each frame, with the waker rung.
//!
//! Every start carries a ticket: an outcome whose ticket is no longer awaited (the
//! profile was disconnected, deleted or reconnected meanwhile) is stopped, never used.
//! No egui.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crossbeam_channel::Receiver;

use crate::compare::{CompareOptions, Comparison, Running};
use crate::demo_server::{DemoServer, DemoServerConfig, DemoServerError};
use crate::monitor::Monitor;
use crate::poll::{Session, Waker};
use crate::profile::Profile;
use crate::ui::model::entry::EntryId;
use crate::ui::model::threads::{Threads, ToUi, Workers};

/// Events per second the embedded demo server publishes.
pub const DEMO_RATE_PER_S: f64 = 5.0;

/// The embedded demo server the builtin-demo profiles share: started by the first
/// start that needs it (on its starter thread), taken out to be stopped once nothing
/// uses it.
#[derive(Clone, Default)]
pub struct DemoHost(Arc<Mutex<Option<DemoServer>>>);

impl std::fmt::Debug for DemoHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoHost").finish_non_exhaustive()
    }
}

impl DemoHost {
    /// The server's events URL, starting the server if none runs. Blocks (binds a
    /// socket, builds a runtime): for starter threads only.
    ///
    /// # Errors
    /// When the server cannot start.
    pub fn url(&self) -> Result<String, DemoServerError> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = slot.as_ref() {
            return Ok(server.events_url());
        }
        let server = DemoServer::start(DemoServerConfig {
            rate_per_s: DEMO_RATE_PER_S,
            ..DemoServerConfig::default()
        })?;
        let url = server.events_url();
        *slot = Some(server);
        Ok(url)
    }

    /// Take the server out to stop it. Never blocks: `None` also while a starter thread
    /// is starting it (that start's outcome asks again once it is taken in).
    #[must_use]
    pub fn take(&self) -> Option<DemoServer> {
        match self.0.try_lock() {
            Ok(mut slot) => slot.take(),
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().take(),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// On a starter thread: start polling `source` (a builtin-demo profile polls the
/// embedded server, started first if need be). A start failure gives a monitor in the
/// error state.
#[must_use]
pub fn start_monitor(source: Profile, demo: &DemoHost, waker: Waker) -> Monitor {
    let mut run = source.clone();
    if run.builtin_demo {
        match demo.url() {
            Ok(url) => run.url = url,
            Err(e) => return Monitor::failed(source, format!("the demo server cannot start: {e}")),
        }
    }
    // Alert transitions raise desktop notifications unless the profile has them off.
    let hook = source
        .alerts
        .notify
        .then(crate::notify::desktop)
        .flatten()
        .map(|n| {
            Box::new(
                move |t: &crate::alert::Transition, _: &crate::alert::Alerts| {
                    n.transition(t);
                },
            ) as crate::alert::pump::TransitionHook
        });
    Monitor::start_with(source, run, waker, hook)
}

/// On a starter thread: start every variant of `base`'s comparison. The error is
/// secret-free (start errors may quote the request).
///
/// # Errors
/// Why the variants could not start.
pub fn start_comparison(
    base: Profile,
    options: &CompareOptions,
    confirmed: bool,
    demo: &DemoHost,
    waker: &Waker,
) -> Result<Box<Running>, String> {
    let secrets = base.secrets();
    let url = base.url.clone();
    let mut run = base;
    let mut start = || {
        if run.builtin_demo {
            run.url = demo
                .url()
                .map_err(|e| format!("the demo server cannot start: {e}"))?;
        }
        Running::start(&run, options, confirmed, waker)
            .map(Box::new)
            .map_err(|e| e.to_string())
    };
    start().map_err(|message| {
        let message = if url.is_empty() {
            message
        } else {
            message.replace(&url, &crate::redact::url(&url))
        };
        secrets.mask(&message).into_owned()
    })
}

/// What a starter thread produced.
pub enum Outcome {
    /// A connect: the monitor of the new session (in the error state when it could
    /// not start).
    Connected(Box<Monitor>),
    /// A comparison's start: its variants running, or why they could not start
    /// (secret-free).
    Compared(Result<Box<Running>, String>),
}

/// An outcome, for the entry and the ticket it was started for.
pub struct Started {
    /// The entry it was started for.
    pub id: EntryId,
    /// The start's ticket.
    pub ticket: u64,
    /// What it produced.
    pub outcome: Outcome,
}

/// The starter threads and the channel their outcomes come back on.
#[derive(Debug)]
pub struct Starter {
    workers: Workers<Started>,
    next_ticket: u64,
}

impl Starter {
    /// No starts yet; each outcome rings `waker`.
    #[must_use]
    pub fn new(waker: Waker) -> Self {
        Self {
            workers: Workers::new("a session starter", waker),
            next_ticket: 1,
        }
    }

    /// A ticket no start had before.
    pub fn ticket(&mut self) -> u64 {
        let t = self.next_ticket;
        self.next_ticket += 1;
        t
    }

    /// Run `start` for entry `id` under `ticket` on a thread named
    /// `pollscope-{name}`. Never blocks. A closed channel (the app is gone) drops the
    /// outcome on that thread: dropping a session stops it.
    ///
    /// # Errors
    /// When no thread can be started (then nothing was started).
    pub fn spawn(
        &mut self,
        name: &str,
        id: EntryId,
        ticket: u64,
        start: impl FnOnce() -> Outcome + Send + 'static,
    ) -> std::io::Result<()> {
        self.workers.spawn(name, move || Started {
            id,
            ticket,
            outcome: start(),
        })
    }

    /// Outcomes waiting, without blocking.
    pub fn outcomes(&self) -> impl Iterator<Item = Started> + '_ {
        self.workers.results()
    }

    /// Wait for the starts under way until `end` (for exit).
    pub fn finish(&mut self, end: Instant) {
        self.workers.finish(end);
    }
}

/// Everything around sessions that must not run on the UI thread: starts on starter
/// threads, stops on stopper threads (exit waits for both), and the demo server.
pub struct Sessions {
    starter: Starter,
    stoppers: Threads,
    demo: DemoHost,
    waker: Waker,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("stoppers", &self.stoppers)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Nothing started yet; outcomes and finished comparisons ring `waker`.
    #[must_use]
    pub fn new(waker: Waker) -> Self {
        Self {
            starter: Starter::new(waker.clone()),
            stoppers: Threads::new("a session stopper"),
            demo: DemoHost::default(),
            waker,
        }
    }

    /// Start polling `source` for entry `id` on a starter thread; returns the ticket
    /// its [`Outcome::Connected`] will carry.
    ///
    /// # Errors
    /// When no thread can be started.
    pub fn connect(&mut self, id: EntryId, source: Profile) -> std::io::Result<u64> {
        let ticket = self.starter.ticket();
        let (demo, waker) = (self.demo.clone(), self.waker.clone());
        self.starter.spawn("connect", id, ticket, move || {
            Outcome::Connected(Box::new(start_monitor(source, &demo, waker)))
        })?;
        Ok(ticket)
    }

    /// Start the variants of `base`'s comparison for entry `id` on a starter thread;
    /// returns the ticket its [`Outcome::Compared`] will carry.
    ///
    /// # Errors
    /// When no thread can be started.
    pub fn compare(
        &mut self,
        id: EntryId,
        base: Profile,
        options: CompareOptions,
        confirmed: bool,
    ) -> std::io::Result<u64> {
        let ticket = self.starter.ticket();
        let (demo, waker) = (self.demo.clone(), self.waker.clone());
        self.starter.spawn("compare-start", id, ticket, move || {
            Outcome::Compared(start_comparison(base, &options, confirmed, &demo, &waker))
        })?;
        Ok(ticket)
    }

    /// What the starter threads produced, without blocking.
    pub fn outcomes(&self) -> impl Iterator<Item = Started> + '_ {
        self.starter.outcomes()
    }

    /// Run `stop` (which may wait for threads) on a thread that exit waits for.
    pub fn stop(&mut self, name: &str, stop: impl FnOnce() + Send + 'static) {
        // What was to be stopped went down with the closure: dropping it stopped it.
        if let Err(e) = self.stoppers.spawn(name, stop) {
            log::warn!("cannot start a thread ({name}): {e}");
        }
    }

    /// Stop `session` off the UI thread (`Session::stop` waits up to a second).
    pub fn stop_session(&mut self, mut session: Session) {
        self.stop("stopper", move || {
            session.stop();
        });
    }

    /// Stop a monitor's session, if it has one, off the UI thread.
    pub fn stop_monitor(&mut self, mut monitor: Monitor) {
        if let Some(session) = monitor.take_session() {
            self.stop_session(session);
        }
    }

    /// Stop a comparison's variants without a result, off the UI thread.
    pub fn stop_comparison(&mut self, running: Box<Running>) {
        self.stop("compare-cancel", move || drop(running));
    }

    /// Stop `running`'s variants and work out the result on a thread; the result comes
    /// over the channel returned (closed without one if no thread could start).
    pub fn finish_comparison(&mut self, running: Box<Running>) -> Receiver<Comparison> {
        let (to_ui, rx) = ToUi::bounded(1, self.waker.clone());
        self.stop("compare-finish", move || {
            to_ui.send(running.finish());
        });
        rx
    }

    /// Stop the demo server, off the UI thread, for nothing uses it (unless a start
    /// is starting it right now: that start's outcome asks again).
    pub fn release_demo(&mut self) {
        if let Some(server) = self.demo.take() {
            self.stop("demo-stopper", move || server.stop());
        }
    }

    /// For exit: wait for the starts under way until `end`.
    pub fn finish_starts(&mut self, end: Instant) {
        self.starter.finish(end);
    }

    /// For exit: wait for the stops under way until `end`, then stop the demo server.
    pub fn finish_stops(&mut self, end: Instant) {
        self.stoppers.finish(end);
        if let Some(server) = self.demo.take() {
            server.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_come_back_with_their_ticket_and_wake() {
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let w = Arc::clone(&woken);
        let mut starter = Starter::new(Arc::new(move || {
            w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let ticket = starter.ticket();
        assert_ne!(ticket, starter.ticket(), "tickets differ");
        starter
            .spawn("test-start", 7, ticket, || {
                Outcome::Compared(Err("nothing to run".to_owned()))
            })
            .expect("a thread");
        starter.finish(Instant::now() + std::time::Duration::from_secs(10));
        let got: Vec<Started> = starter.outcomes().collect();
        assert!(
            matches!(got.as_slice(), [Started { id: 7, ticket: t, outcome: Outcome::Compared(Err(m)) }]
                if *t == ticket && m == "nothing to run")
        );
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn the_demo_host_starts_once_and_is_taken_once() {
        let host = DemoHost::default();
        let url = host.url().expect("the demo server starts on loopback");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert_eq!(host.url().expect("running"), url, "the same server");
        let server = host.take().expect("a server to stop");
        assert!(host.take().is_none(), "taken once");
        server.stop();
    }
}
