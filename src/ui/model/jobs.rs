//! Background jobs for the app's file work (exports, imports): each runs on its own
//! named thread, reports its outcome over a channel and wakes the UI. The UI thread only
//! takes snapshots of the data and reads the reports with `try_iter`.
//!
//! No egui; depends on the engine's types only.

use std::path::PathBuf;
use std::time::Instant;

use crate::poll::Waker;
use crate::profile::Profile;
use crate::profile_store::StoreError;
use crate::ui::model::threads::Workers;

/// What a finished job did.
#[derive(Debug)]
pub enum JobDone {
    /// Files were written: `what` in words, at `path`.
    Wrote {
        /// What was written, in words.
        what: String,
        /// Where.
        path: PathBuf,
        /// The folder it is in (or is), to open in the file manager.
        folder: PathBuf,
    },
    /// A folder was handed to the file manager.
    Opened {
        /// The folder.
        path: PathBuf,
    },
    /// Profiles were read from `path` (to be added by the UI thread).
    Imported {
        /// The file read.
        path: PathBuf,
        /// Its profiles.
        profiles: Vec<Profile>,
    },
}

/// Why a job failed, for a notice: secret-free, naming the path.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Reading or writing a file failed.
    #[error("{what} failed: {}: {source}", path.display())]
    Io {
        /// What was being done ("Exporting statistics").
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An export would overwrite a file.
    #[error("Exporting profiles failed: {} exists already; choose another name", path.display())]
    Exists {
        /// The file that is there.
        path: PathBuf,
    },
    /// A profiles file too large to import.
    #[error("Importing profiles failed: {} is larger than {limit}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The largest size read, as shown.
        limit: String,
    },
    /// A file that is not a profiles file.
    #[error("Importing profiles failed: {0}")]
    Import(StoreError),
    /// The file manager could not be started on a folder.
    #[error("Opening the folder failed: {opener} {}: {source}", path.display())]
    Open {
        /// The program run.
        opener: String,
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No thread could be started for the job.
    #[error("cannot start a thread for the {name}: {source}")]
    Thread {
        /// The job's name.
        name: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A job's outcome.
pub type JobReport = Result<JobDone, JobError>;

/// The job threads and their reports.
#[derive(Debug)]
pub struct Jobs(Workers<JobReport>);

impl Jobs {
    /// No jobs yet; each report rings `waker`.
    #[must_use]
    pub fn new(waker: Waker) -> Self {
        Self(Workers::new("an export thread", waker))
    }

    /// Run `job` on a thread named `pollscope-{name}`. Never blocks.
    pub fn spawn(&mut self, name: &str, job: impl FnOnce() -> JobReport + Send + 'static) {
        if let Err(source) = self.0.spawn(name, job) {
            // Reported like a failed job, so the user learns it did not happen.
            self.0.send(Err(JobError::Thread {
                name: name.to_owned(),
                source,
            }));
        }
    }

    /// Reports waiting, without blocking.
    pub fn reports(&self) -> impl Iterator<Item = JobReport> + '_ {
        self.0.results()
    }

    /// Let running jobs finish, waiting at most until `end` (for exit: a half-written
    /// export is worse than a slightly slower close).
    pub fn finish(&mut self, end: Instant) {
        self.0.finish(end);
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
        jobs.spawn("test", || {
            Err(JobError::Exists {
                path: PathBuf::from("/x"),
            })
        });
        jobs.finish(Instant::now() + std::time::Duration::from_secs(5));
        let reports: Vec<JobReport> = jobs.reports().collect();
        assert!(
            matches!(reports.as_slice(), [Err(e)] if e.to_string().contains("/x exists already"))
        );
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
