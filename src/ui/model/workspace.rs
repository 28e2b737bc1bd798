//! The workspace: the profiles as edited, each one's monitor and comparison, the
//! embedded demo server, the saver, background jobs, and the notices to show — and
//! every command the panels give (add, duplicate, rename, delete, connect, disconnect,
//! compare, export, import), all here.
//!
//! None of it blocks: sessions start on starter threads and stop on stopper threads
//! ([`Sessions`]), files are written by the saver thread and by job threads.
//! No egui; the helpers it drives ([`Entry`], [`super::compare::CompareTab`],
//! [`super::transfer`]) know nothing of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::curl_import::CurlError;
use crate::monitor::Monitor;
use crate::poll::Waker;
use crate::profile::Profile;
use crate::ui::model::compare::CompareSettings;
use crate::ui::model::entry::{DEMO_URL_PLACEHOLDER, Entries, Entry, EntryId, RenameError};
use crate::ui::model::jobs::{JobDone, Jobs};
use crate::ui::model::notice::{Notice, NoticeLevel, Notices, SaveStatus};
use crate::ui::model::saver::{Loaded, SaveCommand, SaveReport, Saver};
use crate::ui::model::sessions::{Outcome, Sessions, Started};
use crate::ui::model::transfer::{self, ExportData, ExportKind, TransferError};

/// Pollers of the profile created on the first run.
pub const DEMO_POLLERS: u32 = 2;

/// The profiles, their monitors, and the services around them.
pub struct Workspace {
    entries: Entries,
    notices: Notices,
    save_status: SaveStatus,
    export_base: PathBuf,
    imported: Vec<EntryId>,
    saver: Saver,
    jobs: Jobs,
    sessions: Sessions,
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
        notices.extend(saver_error.as_ref().map(Saver::start_notice));
        let mut entries = Entries::default();
        for p in profiles {
            entries.push(p);
        }
        Self {
            entries,
            notices: Notices::new(notices),
            save_status: SaveStatus::Unchanged,
            export_base,
            imported: Vec::new(),
            jobs: Jobs::new(waker.clone()),
            sessions: Sessions::new(waker),
            saver,
        }
    }

    /// Every profile, in list order.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with `id`.
    #[must_use]
    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        self.entries.get(id)
    }

    fn get_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
        self.entries.get_mut(id)
    }

    /// The entry called `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<EntryId> {
        self.entries.find(name)
    }

    /// The notices to show, oldest first.
    #[must_use]
    pub fn notices(&self) -> &[Notice] {
        self.notices.as_slice()
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

    /// Add `profile` (renamed if its name is taken) and save.
    pub fn add(&mut self, mut profile: Profile) -> EntryId {
        profile.name = self.entries.unique_name(&profile.name);
        let id = self.entries.push(profile);
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
            self.notices.push(notice);
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
        self.entries.rename(id, name)?;
        self.profiles_changed();
        Ok(())
    }

    /// Take the profile as edited (its name stays: renaming checks it).
    pub fn set_profile(&mut self, id: EntryId, profile: Profile) {
        if self.get_mut(id).is_some_and(|e| e.edit(profile)) {
            self.profiles_changed();
        }
    }

    /// Disconnect and remove a profile.
    pub fn delete(&mut self, id: EntryId) {
        self.compare_cancel(id);
        self.disconnect(id);
        self.entries.remove(id);
        self.profiles_changed();
    }

    /// Send the profiles to the saver (it saves once changes pause).
    fn profiles_changed(&mut self) {
        let snapshot = self.entries.profiles();
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
        match self.sessions.connect(id, source.clone()) {
            Ok(ticket) => {
                if let Some(e) = self.get_mut(id) {
                    e.begin_connect(ticket, uses_demo);
                }
            }
            Err(e) => self.install(id, Monitor::failed(source, format!("cannot connect: {e}"))),
        }
    }

    /// Stop polling a profile (or stop waiting for its connect); its data stays.
    pub fn disconnect(&mut self, id: EntryId) {
        if let Some(session) = self.get_mut(id).and_then(Entry::stop_polling) {
            self.sessions.stop_session(session);
        }
        self.release_demo_if_unused();
    }

    /// Disconnect and connect again (applies edits) — only when the profile as edited
    /// can connect: an invalid edit leaves the live session running.
    pub fn reconnect(&mut self, id: EntryId) {
        if self
            .get(id)
            .is_none_or(|e| !crate::ui::model::entry::connect_issues(&e.profile).is_empty())
        {
            return;
        }
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
            self.sessions.stop_monitor(old);
        }
    }

    /// The monitor of `id`, to feed (benchmarks replay events into a detached one).
    pub fn monitor_mut(&mut self, id: EntryId) -> Option<&mut Monitor> {
        self.get_mut(id)?.monitor.as_mut()
    }

    /// Stop the embedded demo server once nothing polls it or is about to (off the UI
    /// thread: stopping waits for its thread). The next start starts a new one.
    fn release_demo_if_unused(&mut self) {
        if !self.entries.iter().any(Entry::uses_demo) {
            self.sessions.release_demo();
        }
    }

    /// Take in what the starter threads produced: the awaited ones are put in place,
    /// the others (disconnected, deleted, cancelled meanwhile) are stopped.
    fn take_outcomes(&mut self) {
        let outcomes: Vec<Started> = self.sessions.outcomes().collect();
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
                        self.sessions.stop_monitor(*monitor);
                    }
                }
                Outcome::Compared(result) => {
                    let unwanted = match self.get_mut(id) {
                        Some(e) => e.compare.started(ticket, result),
                        None => result.ok(),
                    };
                    if let Some(running) = unwanted {
                        self.sessions.stop_comparison(running);
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
        let Some(entry) = self.get(id).filter(|e| !e.compare.is_active()) else {
            return;
        };
        let (base, options) = (entry.profile.clone(), entry.compare.settings.options());
        let started = options.map_err(|e| e.to_string()).and_then(|options| {
            let (span, uses_demo) = (options.duration, base.builtin_demo);
            self.sessions
                .compare(id, base, options, confirmed)
                .map(|ticket| (ticket, span, uses_demo))
                .map_err(|e| format!("cannot start the comparison: {e}"))
        });
        if let Some(tab) = self.get_mut(id).map(|e| &mut e.compare) {
            match started {
                Ok((ticket, span, uses_demo)) => tab.begin(ticket, span, uses_demo),
                Err(message) => tab.fail(message),
            }
        }
    }

    /// Stop a starting or running comparison without a result (the sessions stop off
    /// the UI thread).
    pub fn compare_cancel(&mut self, id: EntryId) {
        let running = self.get_mut(id).and_then(|e| e.compare.cancel());
        if let Some(running) = running {
            self.sessions.stop_comparison(running);
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
        for e in self.entries.iter_mut() {
            if let Some(running) = e.compare.pump() {
                due.push((e.id, running));
            }
            finished |= e.compare.poll_finished();
        }
        for (id, running) in due {
            // A thread that could not start closed the channel: the tab reports it.
            let rx = self.sessions.finish_comparison(running);
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

    /// Open the `i`th notice's folder in the file manager (on a job thread; a failure
    /// becomes a notice).
    pub fn open_notice_folder(&mut self, i: usize) {
        let Some(folder) = self.notices.as_slice().get(i).and_then(|n| n.open.clone()) else {
            return;
        };
        let opener = crate::ui::model::desktop::default_opener().to_owned();
        self.jobs.spawn(
            "open-folder",
            crate::ui::model::desktop::open_folder_job(opener, folder),
        );
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
                Ok(JobDone::Wrote { what, path, folder }) => {
                    transfer::job_notice(Ok((what, path, folder)))
                }
                // The file manager has it: nothing to show.
                Ok(JobDone::Opened { path }) => {
                    log::info!("opened {} in the file manager", path.display());
                    continue;
                }
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
            self.notices.push(notice);
        }
    }

    fn take_save_reports(&mut self) {
        let reports: Vec<SaveReport> = self.saver.reports().collect();
        for report in reports {
            match report {
                SaveReport::Saved => {
                    self.notices.clear_reload_offers();
                    self.save_status = SaveStatus::Saved;
                }
                SaveReport::Failed {
                    message,
                    changed_on_disk,
                } => {
                    self.save_status = SaveStatus::Failed(message.clone());
                    self.notices.push(Notice {
                        level: NoticeLevel::Error,
                        text: message,
                        offer_reload: changed_on_disk,
                        open: None,
                    });
                }
                SaveReport::Reloaded(profiles) => self.replace_profiles(profiles),
                SaveReport::SecretsInFile(text) => self.notices.push(Notice {
                    level: NoticeLevel::Warning,
                    text: super::saver::secrets_in_file_text(&text),
                    offer_reload: false,
                    open: None,
                }),
            }
        }
    }

    /// Hide the `i`th notice.
    pub fn dismiss_notice(&mut self, i: usize) {
        self.notices.dismiss(i);
    }

    /// Re-read the profiles file (after it changed on disk).
    pub fn reload_from_disk(&mut self) {
        self.notices.clear_reload_offers();
        self.send_to_saver(SaveCommand::Reload);
    }

    /// Write our profiles over the file that changed on disk.
    pub fn overwrite_disk(&mut self) {
        self.notices.clear_reload_offers();
        let snapshot = self.entries.profiles();
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
            self.entries.remove(id);
        }
        for p in profiles {
            match self.find(&p.name).and_then(|id| self.get_mut(id)) {
                Some(entry) => entry.profile = p,
                None => {
                    self.entries.push(p);
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
        let now = Instant::now();
        for monitor in self.entries.iter_mut().filter_map(|e| e.monitor.as_mut()) {
            if monitor.drain(share) >= share {
                more = true;
            }
            // Silence shows as zeros up to now in the charts and the headline rates.
            monitor.tick(now);
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
        self.sessions.finish_starts(end);
        self.take_outcomes();
        self.sessions.finish_stops(end);
        self.jobs.finish(end);
        self.saver.finish(
            end.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(200)),
        );
    }
}
