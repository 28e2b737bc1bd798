//! Named background threads the model starts (to stop sessions, write files, start
//! sessions), and waiting for them, bounded, when the app closes. The UI thread never
//! joins a running thread: finished ones are dropped as new ones start.
//!
//! No egui; std only.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
