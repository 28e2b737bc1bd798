//! The workspace: the profiles as edited, each one's monitor and comparison, the
//! embedded demo server, the saver, background jobs, and the notices to show — and
//! every command the panels give (add, duplicate, rename, delete, connect, disconnect,
//! compare, export, import), all here.
//!
//! None of it blocks: sessions start on starter threads and stop on stopper threads
//! ([`super::sessions`]), files are written by the saver thread and by job threads.
//! No egui; the helpers it drives ([`Entry`], [`super::compare::CompareTab`],
//! [`super::transfer`]) know nothing of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::curl_import::CurlError;
use crate::monitor::Monitor;
use crate::poll::{Session, Waker};
use crate::profile::Profile;
use crate::ui::model::compare::CompareSettings;
use crate::ui::model::entry::{DEMO_URL_PLACEHOLDER, Entry, EntryId};
use crate::ui::model::jobs::{JobDone, Jobs};
use crate::ui::model::notice::{Notice, NoticeLevel, SaveStatus};
use crate::ui::model::saver::{Loaded, SaveCommand, SaveReport, Saver};
use crate::ui::model::sessions::{
    DemoHost, Outcome, Started, Starter, start_comparison, start_monitor,
};
use crate::ui::model::threads::Threads;
use crate::ui::model::transfer::{self, ExportData, ExportKind, TransferError};

/// Pollers of the profile created on the first run.
pub const DEMO_POLLERS: u32 = 2;
/// Events still taken in when disconnecting (the rest is dropped with the session).
const DISCONNECT_DRAIN: usize = 100_000;

/// Why a profile cannot take a name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    /// Blank.
    #[error("the name must not be empty")]
    Empty,
    /// Another profile has it.
    #[error("a profile called {0:?} exists already")]
    Taken(String),
    /// The profile is gone.
    #[error("no such profile")]
    NoSuchProfile,
}

/// The profiles, their monitors, and the services around them.
pub struct Workspace {
    entries: Vec<Entry>,
    notices: Vec<Notice>,
    save_status: SaveStatus,
    export_base: PathBuf,
    imported: Vec<EntryId>,
    next_id: EntryId,
    demo: DemoHost,
    waker: Waker,
    saver: Saver,
    jobs: Jobs,
    starter: Starter,
    stoppers: Threads,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// The workspace over `loaded`, suggesting exports under `export_base`; workers call
    /// `waker` to get a frame drawn.
    #[must_use]
    pub fn new(loaded: Loaded, export_base: PathBuf, waker: Waker) -> Self {
        let mut notices = loaded.notices();
        let profiles = loaded
            .store
            .as_ref()
            .map(|s| s.profiles.clone())
            .unwrap_or_default();
        let (saver, saver_error) =
            Saver::spawn(loaded.store, loaded.dir, loaded.error, waker.clone());
        if let Some(e) = saver_error {
            notices.push(Notice {
                level: NoticeLevel::Error,
                text: format!("Profiles will not be saved: no thread for saving ({e})"),
                offer_reload: false,
            });
        }
        let mut ws = Self {
            entries: Vec::new(),
            notices,
            save_status: SaveStatus::Unchanged,
            export_base,
            imported: Vec::new(),
            next_id: 1,
            demo: DemoHost::default(),
            jobs: Jobs::new(waker.clone()),
            starter: Starter::new(waker.clone()),
            waker,
            saver,
            stoppers: Threads::new("a session stopper"),
        };
        for p in profiles {
            ws.push_entry(p);
        }
        ws
    }

    fn push_entry(&mut self, profile: Profile) -> EntryId {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push(Entry::new(id, profile));
        id
    }

    /// Every profile, in list order.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with `id`.
    #[must_use]
    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    fn get_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    /// The entry called `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<EntryId> {
        self.entries
            .iter()
            .find(|e| e.profile.name == name)
            .map(|e| e.id)
    }

    /// The notices to show, oldest first.
    #[must_use]
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Where the last change to the profiles stands.
    #[must_use]
    pub fn save_status(&self) -> &SaveStatus {
        &self.save_status
    }

    /// Where exports are suggested to go.
    #[must_use]
    pub fn export_base(&self) -> &Path {
        &self.export_base
    }

    /// The profiles imported since the last call (the app selects the first).
    pub fn take_imported(&mut self) -> Vec<EntryId> {
        std::mem::take(&mut self.imported)
    }

    /// `base`, or `base (2)`, `base (3)`… whichever is free.
    #[must_use]
    pub fn unique_name(&self, base: &str) -> String {
        crate::profile::unique_name(base, |n| self.find(n).is_some())
    }

    /// Add `profile` (renamed if its name is taken) and save.
    pub fn add(&mut self, mut profile: Profile) -> EntryId {
        profile.name = self.unique_name(&profile.name);
        let id = self.push_entry(profile);
        self.profiles_changed();
        id
    }

    /// The profile made on the first run: the embedded demo server, two pollers (its
    /// address is filled in when connecting).
    pub fn add_demo(&mut self) -> EntryId {
        let mut profile = Profile::for_demo("Demo", DEMO_URL_PLACEHOLDER);
        profile.builtin_demo = true;
        profile.pollers = DEMO_POLLERS;
        self.add(profile)
    }

    /// Add the profile a curl command describes; what it ignored becomes a notice.
    ///
    /// # Errors
    /// When the command cannot be read.
    pub fn add_from_curl(&mut self, command: &str) -> Result<EntryId, CurlError> {
        let mut import = crate::curl_import::parse(command)?;
        // The name comes from the URL's path, which may hold a token.
        import.profile.name = crate::redact::url(&import.profile.name);
        let id = self.add(import.profile);
        if let Some(notice) = transfer::curl_notice(&import.warnings) {
            self.notify(notice);
        }
        Ok(id)
    }

    /// Copy a profile (not its session).
    pub fn duplicate(&mut self, id: EntryId) -> Option<EntryId> {
        let mut copy = self.get(id)?.profile.clone();
        copy.name = format!("{} copy", copy.name);
        Some(self.add(copy))
    }

    /// Rename a profile.
    ///
    /// # Errors
    /// When the name is blank or taken, or the profile is gone.
    pub fn rename(&mut self, id: EntryId, name: &str) -> Result<(), RenameError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RenameError::Empty);
        }
        if self.find(name).is_some_and(|other| other != id) {
            return Err(RenameError::Taken(name.to_owned()));
        }
        let entry = self.get_mut(id).ok_or(RenameError::NoSuchProfile)?;
        entry.profile.name = name.to_owned();
        self.profiles_changed();
        Ok(())
    }

    /// Take the profile as edited (its name stays: renaming checks it).
    pub fn set_profile(&mut self, id: EntryId, mut profile: Profile) {
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        profile.name.clone_from(&entry.profile.name);
        if entry.profile != profile {
            entry.profile = profile;
            self.profiles_changed();
        }
    }

    /// Disconnect and remove a profile.
    pub fn delete(&mut self, id: EntryId) {
        self.compare_cancel(id);
        self.disconnect(id);
        self.entries.retain(|e| e.id != id);
        self.profiles_changed();
    }

    /// Send the profiles to the saver (it saves once changes pause).
    fn profiles_changed(&mut self) {
        let snapshot = self.entries.iter().map(|e| e.profile.clone()).collect();
        self.save_status = match self.saver.send(SaveCommand::Save(snapshot)) {
            Ok(()) => SaveStatus::Pending,
            Err(e) => SaveStatus::Failed(e.to_string()),
        };
    }

    /// Start polling a profile, on a starter thread (a builtin-demo profile starts the
    /// demo server first). Nothing happens while it is live or connecting.
    pub fn connect(&mut self, id: EntryId) {
        let Some(entry) = self.get(id) else {
            return;
        };
        if entry.is_live() || entry.is_connecting() {
            return;
        }
        let source = entry.profile.clone();
        let uses_demo = source.builtin_demo;
        let ticket = self.starter.ticket();
        let (demo, waker) = (self.demo.clone(), self.waker.clone());
        let start = source.clone();
        let spawned = self.starter.spawn("connect", id, ticket, move || {
            Outcome::Connected(Box::new(start_monitor(start, &demo, waker)))
        });
        match spawned {
            Ok(()) => {
                if let Some(e) = self.get_mut(id) {
                    e.begin_connect(ticket, uses_demo);
                }
            }
            Err(e) => self.install(id, Monitor::failed(source, format!("cannot connect: {e}"))),
        }
    }

    /// Stop polling a profile (or stop waiting for its connect); its data stays.
    pub fn disconnect(&mut self, id: EntryId) {
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        entry.abandon_connect();
        let session = entry.monitor.as_mut().and_then(|m| {
            // Count what already arrived before letting the session go.
            m.drain(DISCONNECT_DRAIN);
            let session = m.take_session()?;
            let s = m.stats();
            log::info!(
                "disconnecting {}: {} events in {} polls over {:.1} s ({} lost, {} errors)",
                session.profile().name,
                s.events(),
                s.polls(),
                m.elapsed_s(Instant::now()),
                s.lost_events(),
                s.errors(),
            );
            Some(session)
        });
        if let Some(session) = session {
            self.stop_in_background(session);
        }
        self.release_demo_if_unused();
    }

    /// Disconnect and connect again (applies edits).
    pub fn reconnect(&mut self, id: EntryId) {
        self.disconnect(id);
        self.connect(id);
    }

    /// Put `monitor` in place of the entry's (benchmarks replay a long run into a
    /// detached one); a live session it replaces is stopped.
    pub fn install(&mut self, id: EntryId, monitor: Monitor) {
        let old = match self.get_mut(id) {
            Some(entry) => entry.install(monitor),
            None => Some(monitor),
        };
        if let Some(old) = old {
            self.stop_monitor(old);
        }
    }

    /// The monitor of `id`, to feed (benchmarks replay events into a detached one).
    pub fn monitor_mut(&mut self, id: EntryId) -> Option<&mut Monitor> {
        self.get_mut(id)?.monitor.as_mut()
    }

    /// Stop a monitor's session off the UI thread.
    fn stop_monitor(&mut self, mut monitor: Monitor) {
        if let Some(session) = monitor.take_session() {
            self.stop_in_background(session);
        }
    }

    /// `Session::stop` waits up to a second for its threads: never on the UI thread.
    fn stop_in_background(&mut self, mut session: Session) {
        self.spawn_stopper("stopper", move || {
            session.stop();
        });
    }

    /// Run `stop` (which may wait for threads) on a thread that exit waits for.
    fn spawn_stopper(&mut self, name: &str, stop: impl FnOnce() + Send + 'static) {
        // What was to be stopped went down with the closure: dropping it stopped it.
        if let Err(e) = self.stoppers.spawn(name, stop) {
            log::warn!("cannot start a thread ({name}): {e}");
        }
    }

    /// Stop the embedded demo server once nothing polls it or is about to (off the UI
    /// thread: stopping waits for its thread). The next start starts a new one.
    fn release_demo_if_unused(&mut self) {
        if self.entries.iter().any(Entry::uses_demo) {
            return;
        }
        if let Some(server) = self.demo.take() {
            self.spawn_stopper("demo-stopper", move || server.stop());
        }
    }

    /// Take in what the starter threads produced: the awaited ones are put in place,
    /// the others (disconnected, deleted, cancelled meanwhile) are stopped.
    fn take_outcomes(&mut self) {
        let outcomes: Vec<Started> = self.starter.outcomes().collect();
        if outcomes.is_empty() {
            return;
        }
        for Started {
            id,
            ticket,
            outcome,
        } in outcomes
        {
            match outcome {
                Outcome::Connected(monitor) => {
                    if self.get_mut(id).is_some_and(|e| e.end_connect(ticket)) {
                        self.install(id, *monitor);
                    } else {
                        self.stop_monitor(*monitor);
                    }
                }
                Outcome::Compared(result) => {
                    let unwanted = match self.get_mut(id) {
                        Some(e) => e.compare.started(ticket, result),
                        None => result.ok(),
                    };
                    if let Some(running) = unwanted {
                        self.spawn_stopper("compare-cancel", move || drop(running));
                    }
                }
            }
        }
        self.release_demo_if_unused();
    }

    /// Start comparing the variants of a profile, on a starter thread (a builtin-demo
    /// profile polls the embedded server). `confirmed` lets aggressive short-poll
    /// intervals run.
    pub fn compare_start(&mut self, id: EntryId, confirmed: bool) {
        let Some(entry) = self.get(id) else {
            return;
        };
        if entry.compare.is_active() {
            return;
        }
        let options = entry.compare.settings.options();
        let base = entry.profile.clone();
        let options = match options {
            Ok(o) => o,
            Err(e) => {
                if let Some(entry) = self.get_mut(id) {
                    entry.compare.fail(e.to_string());
                }
                return;
            }
        };
        let (span, uses_demo) = (options.duration, base.builtin_demo);
        let ticket = self.starter.ticket();
        let (demo, waker) = (self.demo.clone(), self.waker.clone());
        let spawned = self.starter.spawn("compare-start", id, ticket, move || {
            Outcome::Compared(start_comparison(base, &options, confirmed, &demo, &waker))
        });
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        match spawned {
            Ok(()) => entry.compare.begin(ticket, span, uses_demo),
            Err(e) => entry
                .compare
                .fail(format!("cannot start the comparison: {e}")),
        }
    }

    /// Stop a starting or running comparison without a result (the sessions stop off
    /// the UI thread).
    pub fn compare_cancel(&mut self, id: EntryId) {
        let running = self.get_mut(id).and_then(|e| e.compare.cancel());
        if let Some(running) = running {
            self.spawn_stopper("compare-cancel", move || drop(running));
        }
        self.release_demo_if_unused();
    }

    /// Back to the Compare tab's settings (after a result or a failure).
    pub fn compare_reset(&mut self, id: EntryId) {
        if let Some(e) = self.get_mut(id) {
            e.compare.reset();
        }
    }

    /// Take the Compare tab's settings as typed.
    pub fn set_compare_settings(&mut self, id: EntryId, settings: CompareSettings) {
        if let Some(e) = self.get_mut(id) {
            e.compare.settings = settings;
        }
    }

    /// Pump every comparison; hand the ones whose time is up to a finishing thread.
    fn pump_compares(&mut self) {
        let mut due = Vec::new();
        let mut finished = false;
        for e in &mut self.entries {
            if let Some(running) = e.compare.pump() {
                due.push((e.id, running));
            }
            finished |= e.compare.poll_finished();
        }
        for (id, running) in due {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let waker = self.waker.clone();
            self.spawn_stopper("compare-finish", move || {
                if tx.send(running.finish()).is_ok() {
                    waker();
                }
            });
            // A thread that could not start dropped `tx`: the tab reports it.
            if let Some(e) = self.get_mut(id) {
                e.compare.finishing(rx);
            }
        }
        if finished {
            self.release_demo_if_unused();
        }
    }

    /// The suggested path for an export, under [`Workspace::export_base`].
    #[must_use]
    pub fn default_export_path(&self, kind: ExportKind, now: SystemTime) -> String {
        kind.default_path(&self.export_base, &self.entries, now)
    }

    /// Export `kind` to `path` on a job thread; its outcome arrives as a notice.
    ///
    /// # Errors
    /// When there is no path or nothing to export (for the dialog to show).
    pub fn export(
        &mut self,
        kind: ExportKind,
        path: &str,
        include_secrets: bool,
    ) -> Result<(), TransferError> {
        if path.trim().is_empty() {
            return Err(TransferError::EmptyPath);
        }
        let data = ExportData::gather(kind, &self.entries, include_secrets)?;
        let name = data.job_name();
        self.jobs
            .spawn(name, transfer::export_job(data, path.to_owned()));
        Ok(())
    }

    /// Read profiles from `path` on a job thread; they are added when it reports.
    ///
    /// # Errors
    /// When there is no path (for the dialog to show).
    pub fn import_profiles(&mut self, path: &str) -> Result<(), TransferError> {
        if path.trim().is_empty() {
            return Err(TransferError::EmptyFile);
        }
        self.jobs
            .spawn("import-profiles", transfer::import_job(path.to_owned()));
        Ok(())
    }

    /// Turn finished jobs into notices (and imported profiles into entries).
    fn take_job_reports(&mut self) {
        let reports: Vec<_> = self.jobs.reports().collect();
        for report in reports {
            let notice = match report {
                Ok(JobDone::Wrote { what, path }) => transfer::job_notice(Ok((what, path))),
                Ok(JobDone::Imported { path, profiles }) => {
                    let missing_secrets = transfer::lack_secrets(&profiles);
                    let mut names = Vec::new();
                    for p in profiles {
                        let id = self.add(p);
                        self.imported.push(id);
                        names.extend(self.get(id).map(|e| e.profile.name.clone()));
                    }
                    transfer::imported_notice(&path, &names, missing_secrets)
                }
                Err(e) => transfer::job_notice(Err(e)),
            };
            self.notify(notice);
        }
    }

    fn take_save_reports(&mut self) {
        let reports: Vec<SaveReport> = self.saver.reports().collect();
        for report in reports {
            match report {
                SaveReport::Saved => {
                    self.notices.retain(|n| !n.offer_reload);
                    self.save_status = SaveStatus::Saved;
                }
                SaveReport::Failed {
                    message,
                    changed_on_disk,
                } => {
                    self.save_status = SaveStatus::Failed(message.clone());
                    self.notify(Notice {
                        level: NoticeLevel::Error,
                        text: message,
                        offer_reload: changed_on_disk,
                    });
                }
                SaveReport::Reloaded(profiles) => self.replace_profiles(profiles),
            }
        }
    }

    /// Show a notice (once: an identical one is not repeated).
    fn notify(&mut self, notice: Notice) {
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
    }

    /// Hide the `i`th notice.
    pub fn dismiss_notice(&mut self, i: usize) {
        if i < self.notices.len() {
            self.notices.remove(i);
        }
    }

    /// Re-read the profiles file (after it changed on disk).
    pub fn reload_from_disk(&mut self) {
        self.notices.retain(|n| !n.offer_reload);
        self.send_to_saver(SaveCommand::Reload);
    }

    /// Write our profiles over the file that changed on disk.
    pub fn overwrite_disk(&mut self) {
        self.notices.retain(|n| !n.offer_reload);
        let snapshot = self.entries.iter().map(|e| e.profile.clone()).collect();
        self.send_to_saver(SaveCommand::Overwrite(snapshot));
    }

    fn send_to_saver(&mut self, command: SaveCommand) {
        if let Err(e) = self.saver.send(command) {
            self.save_status = SaveStatus::Failed(e.to_string());
        }
    }

    /// Take the profiles read from disk: entries keep their monitors by name; profiles
    /// gone from the file are disconnected and removed.
    fn replace_profiles(&mut self, profiles: Vec<Profile>) {
        let gone: Vec<EntryId> = self
            .entries
            .iter()
            .filter(|e| !profiles.iter().any(|p| p.name == e.profile.name))
            .map(|e| e.id)
            .collect();
        for id in gone {
            self.compare_cancel(id);
            self.disconnect(id);
            self.entries.retain(|e| e.id != id);
        }
        for p in profiles {
            match self.find(&p.name).and_then(|id| self.get_mut(id)) {
                Some(entry) => entry.profile = p,
                None => {
                    self.push_entry(p);
                }
            }
        }
    }

    /// Take in waiting worker events, at most `budget` in all, and what the starter,
    /// saver and job threads reported. Returns true when more events may be waiting
    /// (draw another frame soon).
    pub fn drain(&mut self, budget: usize) -> bool {
        self.take_outcomes();
        let live = self.entries.iter().filter(|e| e.is_live()).count().max(1);
        let share = (budget / live).max(1);
        let mut more = false;
        for monitor in self.entries.iter_mut().filter_map(|e| e.monitor.as_mut()) {
            if monitor.drain(share) >= share {
                more = true;
            }
        }
        self.pump_compares();
        self.take_save_reports();
        self.take_job_reports();
        more
    }

    /// Some session is running.
    #[must_use]
    pub fn any_live(&self) -> bool {
        self.entries.iter().any(Entry::is_live)
    }

    /// Some live poller is waiting (held poll or backoff): its timers need a slow tick.
    #[must_use]
    pub fn any_waiting(&self) -> bool {
        self.entries
            .iter()
            .filter_map(|e| e.monitor.as_ref())
            .any(Monitor::is_waiting)
    }

    /// Some comparison is starting, running or finishing.
    #[must_use]
    pub fn any_comparing(&self) -> bool {
        self.entries.iter().any(|e| e.compare.is_active())
    }

    /// Stop every session and every start under way (in parallel), flush the saver and
    /// stop the demo server, waiting at most about `deadline` in all. For exit.
    pub fn shutdown(&mut self, deadline: Duration) {
        let end = Instant::now() + deadline;
        let ids: Vec<EntryId> = self.entries.iter().map(|e| e.id).collect();
        for id in ids {
            self.compare_cancel(id);
            self.disconnect(id);
        }
        // Starts under way end on their own; none is awaited now, so what they started
        // is stopped.
        self.starter.finish(end);
        self.take_outcomes();
        self.stoppers.finish(end);
        self.jobs.finish(end);
        self.saver.finish(
            end.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(200)),
        );
        if let Some(server) = self.demo.take() {
            server.stop();
        }
    }
}
