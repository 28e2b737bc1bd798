//! The app's model behind the panels: the profiles (as edited), the monitor and the
//! Compare tab of each, the embedded demo server, the saver, background file jobs, and
//! the notices to show. Every command the panels give (add, duplicate, rename, delete,
//! connect, disconnect, compare, export) lands here (compare: [`crate::ui::model::compare`];
//! exports and imports: [`crate::ui::model::transfer`]); none of it blocks: sessions are stopped on
//! background threads, files are written by the saver thread and by job threads.
//!
//! No egui in here, so the commands can be reasoned about (and tested) on their own.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::demo_server::{DemoServer, DemoServerConfig};
use crate::monitor::{FeedView, Monitor};
use crate::poll::{Session, Waker};
use crate::profile::{Profile, ProfileIssue};

use crate::ui::model::compare::CompareTab;
use crate::ui::model::jobs::Jobs;
use crate::ui::model::notice::{Notice, NoticeLevel, SaveStatus};
use crate::ui::model::saver::{Loaded, SaveCommand, SaveReport, Saver};
use crate::ui::panels::charts::ChartCache;
use crate::ui::panels::detail::DetailCache;

/// Stable id of a profile in the list (names can change).
pub type EntryId = u64;

/// Events per second the embedded demo server publishes.
pub const DEMO_RATE_PER_S: f64 = 5.0;
/// Pollers of the profile created on the first run.
pub const DEMO_POLLERS: u32 = 2;
/// Events still taken in when disconnecting (the rest is dropped with the session).
const DISCONNECT_DRAIN: usize = 100_000;
/// URL stored in a builtin-demo profile; the real address is filled in at connect time.
const DEMO_URL_PLACEHOLDER: &str = "http://127.0.0.1:8787/events";

/// One profile in the list, with what the panels keep about it.
#[derive(Debug)]
pub struct Entry {
    pub id: EntryId,
    /// The profile as edited (what is saved).
    pub profile: Profile,
    /// The current session, or the last one's data after disconnecting.
    pub monitor: Option<Monitor>,
    pub feed_view: FeedView,
    pub charts: ChartCache,
    pub detail: DetailCache,
    pub compare: CompareTab,
}

impl Entry {
    /// A session is running.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.monitor.as_ref().is_some_and(Monitor::is_live)
    }

    /// Connected, and the profile was edited since: reconnecting would apply the edits.
    #[must_use]
    pub fn has_unapplied_edits(&self) -> bool {
        self.monitor
            .as_ref()
            .is_some_and(|m| m.is_live() && m.source() != &self.profile)
    }
}

/// The problems that keep a profile from connecting (a builtin-demo profile is checked
/// with a stand-in address, since its real one is known only once the server runs).
#[must_use]
pub fn connect_issues(profile: &Profile) -> Vec<ProfileIssue> {
    if profile.builtin_demo {
        let mut p = profile.clone();
        p.url = DEMO_URL_PLACEHOLDER.to_owned();
        return p.validate();
    }
    profile.validate()
}

/// The profiles, their monitors, and the services around them.
pub struct Workspace {
    pub entries: Vec<Entry>,
    pub notices: Vec<Notice>,
    pub save_status: SaveStatus,
    /// Where exports are suggested to go.
    pub export_base: PathBuf,
    /// Profiles just imported (the app selects the first).
    pub imported: Vec<EntryId>,
    next_id: EntryId,
    demo: Option<DemoServer>,
    pub(super) waker: Waker,
    saver: Saver,
    pub(super) jobs: Jobs,
    stoppers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// The workspace over `loaded`; workers call `waker` to get a frame drawn.
    #[must_use]
    pub fn new(loaded: Loaded, waker: Waker) -> Self {
        let mut notices = Vec::new();
        if let Some(aside) = &loaded.set_aside {
            notices.push(Notice {
                level: NoticeLevel::Warning,
                text: format!(
                    "The profiles file could not be read ({}). It was moved to {} and Pollscope started with no profiles.",
                    aside.error,
                    aside.moved_to.display()
                ),
                offer_reload: false,
            });
        }
        if let Some(e) = &loaded.error {
            notices.push(Notice {
                level: NoticeLevel::Error,
                text: format!("Profiles cannot be loaded or saved: {e}"),
                offer_reload: false,
            });
        }
        let profiles = loaded
            .store
            .as_ref()
            .map(|s| s.profiles.clone())
            .unwrap_or_default();
        let export_base = loaded.dir.join("exports");
        let saver = Saver::spawn(loaded.store, loaded.dir, loaded.error, waker.clone());
        let mut ws = Self {
            entries: Vec::new(),
            notices,
            save_status: SaveStatus::Unchanged,
            export_base,
            imported: Vec::new(),
            next_id: 1,
            demo: None,
            jobs: Jobs::new(waker.clone()),
            waker,
            saver,
            stoppers: Vec::new(),
        };
        for p in profiles {
            ws.push_entry(p);
        }
        ws
    }

    fn push_entry(&mut self, profile: Profile) -> EntryId {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push(Entry {
            id,
            profile,
            monitor: None,
            feed_view: FeedView::default(),
            charts: ChartCache::default(),
            detail: DetailCache::default(),
            compare: CompareTab::default(),
        });
        id
    }

    /// The entry with `id`.
    #[must_use]
    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry with `id`, mutably.
    pub fn get_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
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

    /// `base`, or `base (2)`, `base (3)`… whichever is free.
    #[must_use]
    pub fn unique_name(&self, base: &str) -> String {
        let base = base.trim();
        let base = if base.is_empty() { "Profile" } else { base };
        if self.find(base).is_none() {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base} ({n})"))
            .find(|n| self.find(n).is_none())
            .unwrap_or_else(|| base.to_owned())
    }

    /// Add `profile` (renamed if its name is taken) and save.
    pub fn add(&mut self, mut profile: Profile) -> EntryId {
        profile.name = self.unique_name(&profile.name);
        let id = self.push_entry(profile);
        self.profiles_changed();
        id
    }

    /// The profile made on the first run: the embedded demo server, two pollers.
    pub fn add_demo(&mut self) -> EntryId {
        let url = self
            .demo_url()
            .unwrap_or_else(|_| DEMO_URL_PLACEHOLDER.to_owned());
        let mut profile = Profile::for_demo("Demo", &url);
        profile.builtin_demo = true;
        profile.pollers = DEMO_POLLERS;
        self.add(profile)
    }

    /// Copy a profile (not its session).
    pub fn duplicate(&mut self, id: EntryId) -> Option<EntryId> {
        let mut copy = self.get(id)?.profile.clone();
        copy.name = format!("{} copy", copy.name);
        Some(self.add(copy))
    }

    /// Rename a profile; the name must be non-empty and unused.
    pub fn rename(&mut self, id: EntryId, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("the name must not be empty".to_owned());
        }
        if self.find(name).is_some_and(|other| other != id) {
            return Err(format!("a profile called {name:?} exists already"));
        }
        let entry = self.get_mut(id).ok_or("no such profile")?;
        entry.profile.name = name.to_owned();
        self.profiles_changed();
        Ok(())
    }

    /// Disconnect and remove a profile.
    pub fn delete(&mut self, id: EntryId) {
        self.compare_cancel(id);
        self.disconnect(id);
        self.entries.retain(|e| e.id != id);
        self.profiles_changed();
    }

    /// Send the profiles to the saver (it saves once changes pause).
    pub fn profiles_changed(&mut self) {
        let snapshot = self.entries.iter().map(|e| e.profile.clone()).collect();
        self.saver.send(SaveCommand::Save(snapshot));
        self.save_status = SaveStatus::Pending;
    }

    /// Start polling a profile (a builtin-demo profile starts the demo server first).
    pub fn connect(&mut self, id: EntryId) {
        let Some(entry) = self.get(id) else {
            return;
        };
        if entry.is_live() {
            return;
        }
        let source = entry.profile.clone();
        let mut run = source.clone();
        if run.builtin_demo {
            match self.demo_url() {
                Ok(url) => run.url = url,
                Err(e) => {
                    let m = Monitor::failed(source, format!("the demo server cannot start: {e}"));
                    self.set_monitor(id, m);
                    return;
                }
            }
        }
        let monitor = Monitor::start(source, run, self.waker.clone());
        self.set_monitor(id, monitor);
    }

    fn set_monitor(&mut self, id: EntryId, monitor: Monitor) {
        let Some(entry) = self.get_mut(id) else {
            return;
        };
        let old = entry.monitor.replace(monitor);
        entry.feed_view = FeedView::default();
        entry.charts = ChartCache::default();
        entry.detail = DetailCache::default();
        if let Some(session) = old.and_then(|mut m| m.take_session()) {
            self.stop_in_background(session);
        }
    }

    /// Stop polling a profile; its data stays on screen.
    pub fn disconnect(&mut self, id: EntryId) {
        let session = self
            .get_mut(id)
            .and_then(|e| e.monitor.as_mut())
            .and_then(|m| {
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

    /// Stop the embedded demo server once no connected profile polls it (off the UI
    /// thread: stopping waits for its thread). The next connect starts a new one.
    pub(super) fn release_demo_if_unused(&mut self) {
        let in_use = self.entries.iter().any(|e| {
            e.compare.is_active() && e.compare.uses_demo
                || e.monitor
                    .as_ref()
                    .is_some_and(|m| m.is_live() && m.source().builtin_demo)
        });
        if in_use {
            return;
        }
        let Some(server) = self.demo.take() else {
            return;
        };
        self.spawn_stopper("demo-stopper", move || server.stop());
    }

    /// Disconnect and connect again (applies edits).
    pub fn reconnect(&mut self, id: EntryId) {
        self.disconnect(id);
        self.connect(id);
    }

    /// `Session::stop` waits up to a second for its threads: never on the UI thread.
    fn stop_in_background(&mut self, mut session: Session) {
        self.spawn_stopper("stopper", move || {
            session.stop();
        });
    }

    /// Run `stop` (which may wait for threads) on a thread that exit waits for.
    pub(super) fn spawn_stopper(&mut self, name: &str, stop: impl FnOnce() + Send + 'static) {
        self.stoppers.retain(|h| !h.is_finished());
        let spawned = std::thread::Builder::new()
            .name(format!("pollscope-{name}"))
            .spawn(stop);
        match spawned {
            Ok(handle) => self.stoppers.push(handle),
            // What was to be stopped went down with the closure: dropping it stopped it.
            Err(e) => log::warn!("cannot start a thread ({name}): {e}"),
        }
    }

    /// The embedded demo server's events URL, starting the server on first use.
    pub(super) fn demo_url(&mut self) -> Result<String, String> {
        if let Some(server) = &self.demo {
            return Ok(server.events_url());
        }
        let server = DemoServer::start(DemoServerConfig {
            rate_per_s: DEMO_RATE_PER_S,
            ..DemoServerConfig::default()
        })
        .map_err(|e| e.to_string())?;
        let url = server.events_url();
        self.demo = Some(server);
        Ok(url)
    }

    /// Take in waiting worker events, at most `budget` in all. Returns true when more
    /// may be waiting (draw another frame soon).
    pub fn drain(&mut self, budget: usize) -> bool {
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
                    self.notice(Notice {
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
    pub fn notice(&mut self, notice: Notice) {
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
    }

    /// Re-read the profiles file (after it changed on disk).
    pub fn reload_from_disk(&mut self) {
        self.notices.retain(|n| !n.offer_reload);
        self.saver.send(SaveCommand::Reload);
    }

    /// Write our profiles over the file that changed on disk.
    pub fn overwrite_disk(&mut self) {
        self.notices.retain(|n| !n.offer_reload);
        let snapshot = self.entries.iter().map(|e| e.profile.clone()).collect();
        self.saver.send(SaveCommand::Overwrite(snapshot));
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

    /// Stop every session (in parallel), flush the saver and stop the demo server,
    /// waiting at most about `deadline` in all. For exit.
    pub fn shutdown(&mut self, deadline: Duration) {
        let end = Instant::now() + deadline;
        let ids: Vec<EntryId> = self.entries.iter().map(|e| e.id).collect();
        for id in ids {
            self.compare_cancel(id);
            self.disconnect(id);
        }
        while self.stoppers.iter().any(|h| !h.is_finished()) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        for h in self.stoppers.drain(..) {
            if h.is_finished() && h.join().is_err() {
                log::warn!("a session stopper panicked");
            }
        }
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
