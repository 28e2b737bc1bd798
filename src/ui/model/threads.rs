//! Named background threads the model starts (to stop sessions, write files, start
//! sessions), waiting for them, bounded, when the app closes, and the channel on which
//! they report to the UI. The UI thread never joins a running thread: finished ones are
//! dropped as new ones start.
//!
//! No egui.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::poll::Waker;

/// The sending end of a channel to the UI: what is sent wakes the UI to take it in.
pub struct ToUi<T> {
    tx: Sender<T>,
    waker: Waker,
}

impl<T> Clone for ToUi<T> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
        }
    }
}

impl<T> ToUi<T> {
    /// A channel to the UI holding any number of values, waking it with `waker`.
    #[must_use]
    pub fn unbounded(waker: Waker) -> (Self, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (Self { tx, waker }, rx)
    }

    /// A channel to the UI holding at most `cap` values, waking it with `waker`.
    #[must_use]
    pub fn bounded(cap: usize, waker: Waker) -> (Self, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::bounded(cap);
        (Self { tx, waker }, rx)
    }

    /// Send `value` and wake the UI. False (and the value dropped here) when the UI is
    /// gone.
    pub fn send(&self, value: T) -> bool {
        let sent = self.tx.send(value).is_ok();
        if sent {
            (self.waker)();
        }
        sent
    }
}

/// Threads whose work ends in a value for the UI: every value comes back over one
/// channel, waking the UI, which takes them in with [`Workers::results`].
pub struct Workers<T> {
    to_ui: ToUi<T>,
    rx: Receiver<T>,
    threads: Threads,
}

impl<T> std::fmt::Debug for Workers<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Workers<T> {
    /// No threads yet; `what` names them in log lines, each value rings `waker`.
    #[must_use]
    pub fn new(what: &'static str, waker: Waker) -> Self {
        let (to_ui, rx) = ToUi::unbounded(waker);
        Self {
            to_ui,
            rx,
            threads: Threads::new(what),
        }
    }

    /// Run `work` on a thread named `pollscope-{name}`; its value goes to the UI (or is
    /// dropped on that thread when the UI is gone). Never blocks.
    ///
    /// # Errors
    /// When no thread can be started; `work` is dropped unrun.
    pub fn spawn(
        &mut self,
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<()> {
        let to_ui = self.to_ui.clone();
        self.threads.spawn(name, move || {
            to_ui.send(work());
        })
    }

    /// Send `value` to the UI as if a thread had produced it.
    pub fn send(&self, value: T) {
        self.to_ui.send(value);
    }

    /// The values waiting, without blocking.
    pub fn results(&self) -> impl Iterator<Item = T> + '_ {
        self.rx.try_iter()
    }

    /// Wait until every thread has finished or `end` has passed (for exit).
    pub fn finish(&mut self, end: Instant) {
        self.threads.finish(end);
    }
}

/// Threads started for one purpose (`what`, for log lines).
#[derive(Debug)]
pub struct Threads {
    what: &'static str,
    handles: Vec<JoinHandle<()>>,
}

impl Threads {
    /// No threads yet; `what` names them in log lines ("a session stopper").
    #[must_use]
    pub fn new(what: &'static str) -> Self {
        Self {
            what,
            handles: Vec::new(),
        }
    }

    /// Run `work` on a thread named `pollscope-{name}`. Never blocks.
    ///
    /// # Errors
    /// When no thread can be started; `work` is dropped unrun.
    pub fn spawn(
        &mut self,
        name: &str,
        work: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        self.handles.retain(|h| !h.is_finished());
        let handle = std::thread::Builder::new()
            .name(format!("pollscope-{name}"))
            .spawn(work)?;
        self.handles.push(handle);
        Ok(())
    }

    /// Some thread is still running.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.handles.iter().any(|h| !h.is_finished())
    }

    /// Wait until every thread has finished or `end` has passed (for exit), then join
    /// the finished ones.
    pub fn finish(&mut self, end: Instant) {
        while self.busy() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        for h in self.handles.drain(..) {
            if h.is_finished() && h.join().is_err() {
                log::warn!("{} panicked", self.what);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn finish_waits_for_work_and_names_the_thread() {
        let mut threads = Threads::new("a test thread");
        let done = Arc::new(AtomicBool::new(false));
        let d = Arc::clone(&done);
        threads
            .spawn("test", move || {
                assert_eq!(std::thread::current().name(), Some("pollscope-test"));
                std::thread::sleep(Duration::from_millis(50));
                d.store(true, Ordering::SeqCst);
            })
            .expect("a thread");
        assert!(threads.busy());
        threads.finish(Instant::now() + Duration::from_secs(10));
        assert!(
            done.load(Ordering::SeqCst),
            "finished before finish returned"
        );
        assert!(!threads.busy());
    }
}
