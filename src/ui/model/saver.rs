//! Loading the profiles before the window opens, and the saver thread: the only place
//! the app writes `profiles.json`. The UI sends a snapshot of the profiles after every
//! change; the thread waits until changes pause (debounce), then saves, and reports the
//! outcome back over a channel (and wakes the UI).
//!
//! Keeps all file I/O off the UI thread. Depends on [`crate::profile_store`] only.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::keyring::{Keyring, Policy, SecretsAt};
use crate::poll::Waker;
use crate::profile::Profile;
use crate::profile_store::{ProfileStore, SetAside, StoreError};
use crate::ui::model::notice::{Notice, NoticeLevel};
use crate::ui::model::threads::ToUi;

/// Quiet time after the last change before saving.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

/// What the UI asks of the saver.
#[derive(Debug)]
pub enum SaveCommand {
    /// Save these profiles (after the debounce).
    Save(Vec<Profile>),
    /// Read the file again (after it changed on disk); answers [`SaveReport::Reloaded`].
    Reload,
    /// Save these profiles now, replacing whatever is on disk.
    Overwrite(Vec<Profile>),
}

/// What the saver tells the UI.
#[derive(Debug)]
pub enum SaveReport {
    /// The last snapshot is on disk.
    Saved,
    /// It could not be saved.
    Failed {
        /// Why, for the user.
        message: String,
        /// Another program changed the file: offer reload or overwrite.
        changed_on_disk: bool,
    },
    /// The file as read again.
    Reloaded(Vec<Profile>),
    /// Saved, and from now on secrets are kept in the file itself (no keyring, or a
    /// locked one): what to tell the user.
    SecretsInFile(String),
}

/// The profile store as loaded before the window opens.
#[derive(Debug)]
pub struct Loaded {
    /// The config dir.
    pub dir: PathBuf,
    /// The store, unless it could not be opened.
    pub store: Option<ProfileStore>,
    /// A profiles file that could not be read and was moved aside.
    pub set_aside: Option<SetAside>,
    /// Why the store could not be opened (then nothing is saved).
    pub error: Option<String>,
}

/// The saver thread has ended: changes are no longer saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("profiles are not saved: the saver has stopped")]
pub struct SaverGone;

impl Loaded {
    /// Open (or set aside) the store in `dir`. Does file I/O: call it before the window
    /// opens, never from a frame.
    #[must_use]
    pub fn open(dir: PathBuf) -> Self {
        Self::open_with(dir, Keyring::session(), Policy::from_env())
    }

    /// [`Self::open`] with secrets in `keyring` as `policy` says (tests: in the file, so
    /// they never write into the keyring of whoever runs them).
    #[must_use]
    pub fn open_with(dir: PathBuf, keyring: Keyring, policy: Policy) -> Self {
        match ProfileStore::open_or_set_aside_with(&dir, keyring, policy) {
            Ok((store, set_aside)) => Self {
                dir,
                store: Some(store),
                set_aside,
                error: None,
            },
            Err(e) => Self {
                dir,
                store: None,
                set_aside: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// What loading went wrong with, as notices (shown, so not logged).
    #[must_use]
    pub fn notices(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        if let Some(aside) = &self.set_aside {
            notices.push(Notice {
                level: NoticeLevel::Warning,
                text: format!(
                    "The profiles file could not be read ({}). It was moved to {} and Pollscope started with no profiles.",
                    aside.error,
                    aside.moved_to.display()
                ),
                offer_reload: false,
                open: None,
            });
        }
        if let Some(e) = &self.error {
            notices.push(Notice {
                level: NoticeLevel::Error,
                text: format!("Profiles cannot be loaded or saved: {e}"),
                offer_reload: false,
                open: None,
            });
        }
        notices.extend(self.store.as_ref().and_then(secrets_notice));
        notices
    }
}

/// Where the profiles' secrets are, when the user must know: in the keyring but not
/// readable now (saving is refused), or in plain text in the file.
fn secrets_notice(store: &ProfileStore) -> Option<Notice> {
    let (level, text) = if let Some(missing) = store.secrets_missing() {
        (
            NoticeLevel::Error,
            format!(
                "{missing}. Profiles are shown without their secrets and changes are not saved until the keyring is unlocked and Pollscope restarted."
            ),
        )
    } else if let Some(at @ crate::keyring::SecretsAt::File { .. }) = store.secrets_at() {
        (NoticeLevel::Warning, secrets_in_file_text(&at.describe()))
    } else {
        return None;
    };
    Some(Notice {
        level,
        text,
        offer_reload: false,
        open: None,
    })
}

/// The notice for secrets kept in plain text in the profiles file.
#[must_use]
pub fn secrets_in_file_text(describe: &str) -> String {
    format!("Note: {describe}.")
}

/// Handle to the saver thread.
pub struct Saver {
    tx: Option<Sender<SaveCommand>>,
    reports: Receiver<SaveReport>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Saver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saver").finish_non_exhaustive()
    }
}

impl Saver {
    /// Start the thread. `store` is `None` when the file could not be opened at all;
    /// then every save reports why (`why_not`) and nothing is written. With the saver
    /// comes why its thread could not start, if it could not (then every
    /// [`Saver::send`] fails).
    #[must_use]
    pub fn spawn(
        store: Option<ProfileStore>,
        dir: PathBuf,
        why_not: Option<String>,
        waker: Waker,
    ) -> (Self, Option<std::io::Error>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (to_ui, reports) = ToUi::unbounded(waker);
        let worker = Worker {
            store,
            dir,
            why_not,
            to_ui,
        };
        let thread = std::thread::Builder::new()
            .name("pollscope-saver".to_owned())
            .spawn(move || worker.run(&rx));
        let (thread, error) = match thread {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e)),
        };
        let saver = Self {
            tx: thread.as_ref().map(|_| tx),
            reports,
            thread,
        };
        (saver, error)
    }

    /// The notice that the saver thread could not start (`e`, from [`Saver::spawn`]).
    #[must_use]
    pub fn start_notice(e: &std::io::Error) -> Notice {
        Notice {
            level: NoticeLevel::Error,
            text: format!("Profiles will not be saved: no thread for saving ({e})"),
            offer_reload: false,
            open: None,
        }
    }

    /// Ask for something; never blocks.
    ///
    /// # Errors
    /// When the saver thread has ended (or never started).
    pub fn send(&self, command: SaveCommand) -> Result<(), SaverGone> {
        match &self.tx {
            Some(tx) => tx.send(command).map_err(|_| SaverGone),
            None => Err(SaverGone),
        }
    }

    /// Reports waiting, without blocking.
    pub fn reports(&self) -> impl Iterator<Item = SaveReport> + '_ {
        self.reports.try_iter()
    }

    /// Write any pending change and end the thread, waiting at most `deadline`.
    pub fn finish(&mut self, deadline: Duration) {
        self.tx = None;
        let Some(thread) = self.thread.take() else {
            return;
        };
        let end = Instant::now() + deadline;
        while !thread.is_finished() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        if thread.is_finished() {
            if thread.join().is_err() {
                log::warn!("the saver thread panicked");
            }
        } else {
            log::warn!("profiles were still being saved at exit");
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        self.finish(Duration::from_secs(2));
    }
}

struct Worker {
    store: Option<ProfileStore>,
    dir: PathBuf,
    why_not: Option<String>,
    to_ui: ToUi<SaveReport>,
}

impl Worker {
    fn run(mut self, rx: &Receiver<SaveCommand>) {
        let mut pending: Option<Vec<Profile>> = None;
        loop {
            let command = if pending.is_some() {
                rx.recv_timeout(DEBOUNCE)
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match command {
                Ok(SaveCommand::Save(profiles)) => pending = Some(profiles),
                Ok(SaveCommand::Reload) => {
                    pending = None;
                    self.reload();
                }
                Ok(SaveCommand::Overwrite(profiles)) => {
                    pending = None;
                    self.overwrite(profiles);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(profiles) = pending.take() {
                        self.save(profiles);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    if let Some(profiles) = pending.take() {
                        self.save(profiles);
                    }
                    return;
                }
            }
        }
    }

    fn report(&self, report: SaveReport) {
        self.to_ui.send(report);
    }

    fn save(&mut self, profiles: Vec<Profile>) {
        let Some(store) = &mut self.store else {
            let why = self.why_not.clone().unwrap_or_default();
            self.report(SaveReport::Failed {
                message: format!("profiles are not saved: {why}"),
                changed_on_disk: false,
            });
            return;
        };
        let before_in_file = matches!(store.secrets_at(), Some(SecretsAt::File { .. }));
        store.profiles = profiles;
        let result = store.save();
        let note = match (&result, store.secrets_at()) {
            (Ok(()), Some(at @ SecretsAt::File { .. })) if !before_in_file => Some(at.describe()),
            _ => None,
        };
        self.report_result(result);
        if let Some(text) = note {
            self.report(SaveReport::SecretsInFile(text));
        }
    }

    fn report_result(&self, result: Result<(), StoreError>) {
        match result {
            Ok(()) => {
                log::debug!("profiles saved");
                self.report(SaveReport::Saved);
            }
            Err(e) => {
                let changed_on_disk = matches!(e, StoreError::ChangedOnDisk { .. });
                self.report(SaveReport::Failed {
                    message: e.to_string(),
                    changed_on_disk,
                });
            }
        }
    }

    /// The keyring and policy the store was opened with (the environment's when it
    /// could not be opened).
    fn secrets_config(&self) -> (Keyring, Policy) {
        self.store.as_ref().map_or_else(
            || (Keyring::session(), Policy::from_env()),
            ProfileStore::secrets_config,
        )
    }

    /// The file read again, with the same keyring and policy.
    fn reopen(&self) -> Result<ProfileStore, crate::profile_store::StoreError> {
        let (keyring, policy) = self.secrets_config();
        ProfileStore::open_with(&self.dir, keyring, policy)
    }

    fn reload(&mut self) {
        match self.reopen() {
            Ok(store) => {
                let profiles = store.profiles.clone();
                self.store = Some(store);
                self.why_not = None;
                self.report(SaveReport::Reloaded(profiles));
            }
            Err(e) => self.report(SaveReport::Failed {
                message: e.to_string(),
                changed_on_disk: false,
            }),
        }
    }

    fn overwrite(&mut self, profiles: Vec<Profile>) {
        let (keyring, policy) = self.secrets_config();
        match ProfileStore::open_or_set_aside_with(&self.dir, keyring, policy) {
            Ok((mut store, set_aside)) => {
                if let Some(aside) = set_aside {
                    log::warn!("{}; moved it to {}", aside.error, aside.moved_to.display());
                }
                store.profiles = profiles;
                let result = store.save();
                self.store = Some(store);
                self.why_not = None;
                self.report_result(result);
            }
            Err(e) => self.report(SaveReport::Failed {
                message: e.to_string(),
                changed_on_disk: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for(saver: &Saver) -> SaveReport {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(r) = saver.reports().next() {
                return r;
            }
            assert!(Instant::now() < end, "no report within 5 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn saves_after_changes_pause_and_reports_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(dir.path()).unwrap();
        let (saver, _) = Saver::spawn(
            Some(store),
            dir.path().to_path_buf(),
            None,
            crate::poll::no_waker(),
        );
        for n in 1..=3 {
            let p = Profile {
                name: format!("p{n}"),
                ..Profile::default()
            };
            saver
                .send(SaveCommand::Save(vec![p]))
                .expect("the saver runs");
        }
        assert!(matches!(wait_for(&saver), SaveReport::Saved));
        let on_disk = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(on_disk.profiles.len(), 1);
        assert_eq!(on_disk.profiles[0].name, "p3", "only the last snapshot");

        // Another program writes the file: the next save refuses, reload reads it.
        let mut other = ProfileStore::open(dir.path()).unwrap();
        other.profiles.push(Profile::default());
        other.save().unwrap();
        saver
            .send(SaveCommand::Save(vec![]))
            .expect("the saver runs");
        let report = wait_for(&saver);
        assert!(
            matches!(
                report,
                SaveReport::Failed {
                    changed_on_disk: true,
                    ..
                }
            ),
            "{report:?}"
        );
        saver.send(SaveCommand::Reload).expect("the saver runs");
        assert!(matches!(wait_for(&saver), SaveReport::Reloaded(p) if p.len() == 2));
    }

    /// With no keyring, the first save that keeps secrets in the file says so (once).
    #[test]
    fn secrets_falling_back_to_the_file_are_said_once() {
        use crate::keyring::{Keyring, Policy};
        let dir = tempfile::tempdir().unwrap();
        let nowhere = Keyring::at("unix:path=/nonexistent/pollscope-no-bus");
        let store = ProfileStore::open_with(dir.path(), nowhere, Policy::Auto).unwrap();
        let (saver, _) = Saver::spawn(
            Some(store),
            dir.path().to_path_buf(),
            None,
            crate::poll::no_waker(),
        );
        let plain = Profile::default();
        saver.send(SaveCommand::Save(vec![plain])).unwrap();
        assert!(matches!(wait_for(&saver), SaveReport::Saved));
        let keyed = Profile {
            headers: vec![crate::header::HeaderSpec {
                name: "X-Api-Key".to_owned(),
                value: "k1".to_owned(),
                secret: true,
            }],
            ..Profile::default()
        };
        saver.send(SaveCommand::Save(vec![keyed.clone()])).unwrap();
        assert!(matches!(wait_for(&saver), SaveReport::Saved));
        let note = wait_for(&saver);
        assert!(
            matches!(&note, SaveReport::SecretsInFile(t) if t.contains("plain text") && t.contains("no keyring")),
            "{note:?}"
        );
        let mut again = keyed;
        again.name = "again".to_owned();
        saver.send(SaveCommand::Save(vec![again])).unwrap();
        assert!(matches!(wait_for(&saver), SaveReport::Saved));
        std::thread::sleep(Duration::from_millis(200));
        assert!(saver.reports().next().is_none(), "said once");
    }

    #[test]
    fn pending_change_is_written_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(dir.path()).unwrap();
        let (mut saver, _) = Saver::spawn(
            Some(store),
            dir.path().to_path_buf(),
            None,
            crate::poll::no_waker(),
        );
        saver
            .send(SaveCommand::Save(vec![Profile::default()]))
            .expect("the saver runs");
        saver.finish(Duration::from_secs(5));
        assert_eq!(ProfileStore::open(dir.path()).unwrap().profiles.len(), 1);
    }

    #[test]
    fn without_a_store_saves_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let (saver, _) = Saver::spawn(
            None,
            dir.path().to_path_buf(),
            Some("cannot read it".to_owned()),
            crate::poll::no_waker(),
        );
        saver
            .send(SaveCommand::Save(vec![]))
            .expect("the saver runs");
        let report = wait_for(&saver);
        assert!(
            matches!(&report, SaveReport::Failed { message, .. } if message.contains("cannot read it")),
            "{report:?}"
        );
    }
}
