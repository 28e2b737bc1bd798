//! Background jobs for the app's file work (exports, imports): each runs on its own
//! named thread, reports its outcome over a channel and wakes the UI. The UI thread only
//! takes snapshots of the data and reads the reports with `try_iter`.
//!
//! No egui; depends on the engine's types only.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::poll::Waker;
use crate::profile::Profile;

/// What a finished job did.
#[derive(Debug)]
pub enum JobDone {
    /// Files were written: `what` in words, at `path`.
    Wrote { what: String, path: PathBuf },
    /// Profiles were read from `path` (to be added by the UI thread).
    Imported {
        path: PathBuf,
        profiles: Vec<Profile>,
    },
}

/// A job's outcome; the error is a message for the user (secret-free, with the path).
pub type JobReport = Result<JobDone, String>;

/// The job threads and their reports.
pub struct Jobs {
    tx: Sender<JobReport>,
    rx: Receiver<JobReport>,
    waker: Waker,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("threads", &self.threads.len())
            .finish_non_exhaustive()
    }
}

impl Jobs {
    #[must_use]
    pub fn new(waker: Waker) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Self {
            tx,
            rx,
            waker,
            threads: Vec::new(),
        }
    }

    /// Run `job` on a thread named `pollscope-{name}`. Never blocks.
    pub fn spawn(&mut self, name: &str, job: impl FnOnce() -> JobReport + Send + 'static) {
        self.threads.retain(|t| !t.is_finished());
        let tx = self.tx.clone();
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("pollscope-{name}"))
            .spawn(move || {
                if tx.send(job()).is_ok() {
                    waker();
                }
            });
        match spawned {
            Ok(handle) => self.threads.push(handle),
            Err(e) => {
                // Reported like a failed job, so the user learns it did not happen.
                let report = Err(format!("cannot start a thread for the {name}: {e}"));
                if self.tx.send(report).is_ok() {
                    (self.waker)();
                }
            }
        }
    }

    /// Reports waiting, without blocking.
    pub fn reports(&self) -> impl Iterator<Item = JobReport> + '_ {
        self.rx.try_iter()
    }

    /// Some job is still running.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.threads.iter().any(|t| !t.is_finished())
    }

    /// Let running jobs finish, waiting at most until `end` (for exit: a half-written
    /// export is worse than a slightly slower close).
    pub fn finish(&mut self, end: Instant) {
        while self.busy() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        for t in self.threads.drain(..) {
            if t.is_finished() && t.join().is_err() {
                log::warn!("an export thread panicked");
            }
        }
    }
}

/// `~` and `~/…` as the home directory (resolved on the job's thread: finding the home
/// directory may read the password database).
#[must_use]
pub fn expand_home(path: &str) -> PathBuf {
    let path = path.trim();
    let rest = match path.strip_prefix('~') {
        Some("") => Some(""),
        Some(r) if r.starts_with('/') => Some(&r[1..]),
        _ => None,
    };
    match (rest, directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_is_expanded_only_at_the_start() {
        assert_eq!(expand_home("/tmp/x"), PathBuf::from("/tmp/x"));
        assert_eq!(expand_home("a~/b"), PathBuf::from("a~/b"));
        if let Some(dirs) = directories::BaseDirs::new() {
            assert_eq!(expand_home("~/x"), dirs.home_dir().join("x"));
            assert_eq!(expand_home("~"), dirs.home_dir().join(""));
        }
    }

    #[test]
    fn reports_arrive_and_wake() {
        let woken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let w = std::sync::Arc::clone(&woken);
        let mut jobs = Jobs::new(std::sync::Arc::new(move || {
            w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        jobs.spawn("test", || Err("nope".to_owned()));
        jobs.finish(Instant::now() + Duration::from_secs(5));
        let reports: Vec<JobReport> = jobs.reports().collect();
        assert!(matches!(reports.as_slice(), [Err(m)] if m == "nope"));
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
