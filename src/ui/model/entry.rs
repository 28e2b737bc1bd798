//! One profile in the workspace's list: the profile as edited, its monitor (the live
//! session, or the last one's data), whether a connect is under way, and its Compare
//! tab; and the state the list, the header and the status bar show for it.
//!
//! No egui. The workspace changes entries through the methods here; views keyed by
//! [`Entry::run`] start over when a new session's monitor is put in place.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use crate::monitor::{Badge, Monitor};
use crate::poll::Session;
use crate::profile::{Profile, ProfileIssue};
use crate::ui::model::compare::CompareTab;

/// Stable id of a profile in the list (names can change).
pub type EntryId = u64;

/// Events still taken in when disconnecting (the rest is dropped with the session).
const DISCONNECT_DRAIN: usize = 100_000;

/// URL stored in a builtin-demo profile; the real address is filled in at connect time.
pub const DEMO_URL_PLACEHOLDER: &str = "http://127.0.0.1:8787/events";

/// A connect under way.
#[derive(Clone, Copy, Debug)]
struct Connecting {
    ticket: u64,
    /// It polls the embedded demo server (keep the server meanwhile).
    uses_demo: bool,
}

/// One profile in the list, with what the model keeps about it.
#[derive(Debug)]
pub struct Entry {
    /// Its id in the list.
    pub id: EntryId,
    /// The profile as edited (what is saved).
    pub profile: Profile,
    /// The current session, or the last one's data after disconnecting.
    pub monitor: Option<Monitor>,
    /// The Compare tab.
    pub compare: CompareTab,
    connecting: Option<Connecting>,
    run: u64,
}

/// What the profile list, the header and the status bar show for an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A connect is under way (the session starts on a thread of its own).
    Connecting,
    /// The monitor's badge (idle without one).
    Badge(Badge),
}

impl Status {
    /// Short lowercase label.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting…",
            Self::Badge(b) => b.label(),
        }
    }

    /// The message behind a backing-off or error badge.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Connecting => None,
            Self::Badge(b) => b.message(),
        }
    }
}

impl Entry {
    /// A profile not connected yet.
    #[must_use]
    pub fn new(id: EntryId, profile: Profile) -> Self {
        Self {
            id,
            profile,
            monitor: None,
            compare: CompareTab::default(),
            connecting: None,
            run: 0,
        }
    }

    /// The finished comparison as Markdown (table, verdict): its URL masked as shown,
    /// or with `secrets`, the profile's own URL in clear when it is the one compared.
    #[must_use]
    pub fn comparison_markdown(&self, secrets: bool) -> Option<String> {
        let c = self.compare.result()?;
        let md = c.markdown(&[]);
        let same_endpoint = self.profile.shown_url() == c.url;
        Some(if secrets && same_endpoint {
            md.replacen(
                &format!("`{}`", c.url),
                &format!("`{}`", self.profile.url),
                1,
            )
        } else {
            md
        })
    }

    /// A session is running.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.monitor.as_ref().is_some_and(Monitor::is_live)
    }

    /// A connect is under way.
    #[must_use]
    pub fn is_connecting(&self) -> bool {
        self.connecting.is_some()
    }

    /// Connected, and the profile was edited since: reconnecting would apply the edits.
    #[must_use]
    pub fn has_unapplied_edits(&self) -> bool {
        self.monitor
            .as_ref()
            .is_some_and(|m| m.is_live() && m.source() != &self.profile)
    }

    /// Counts the monitors put in place: views built on an older one start over.
    #[must_use]
    pub fn run(&self) -> u64 {
        self.run
    }

    /// What the list, the header and the status bar show, as of `now`.
    #[must_use]
    pub fn status(&self, now: Instant) -> Status {
        if self.is_connecting() {
            return Status::Connecting;
        }
        Status::Badge(self.monitor.as_ref().map_or(Badge::Idle, |m| m.badge(now)))
    }

    /// Its session, a connect under way, or its comparison polls the embedded demo
    /// server.
    #[must_use]
    pub fn uses_demo(&self) -> bool {
        self.connecting.is_some_and(|c| c.uses_demo)
            || self.compare.uses_demo()
            || self
                .monitor
                .as_ref()
                .is_some_and(|m| m.is_live() && m.source().builtin_demo)
    }

    /// Take the profile as edited, keeping its name (renaming checks names). True when
    /// it changed.
    pub fn edit(&mut self, mut profile: Profile) -> bool {
        profile.name.clone_from(&self.profile.name);
        let changed = self.profile != profile;
        if changed {
            self.profile = profile;
        }
        changed
    }

    /// Stop waiting for a connect under way, and hand over the running session (its
    /// data stays for viewing) for the caller to stop off the UI thread.
    pub fn stop_polling(&mut self) -> Option<Session> {
        self.connecting = None;
        let m = self.monitor.as_mut()?;
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
    }

    /// A connect under `ticket` started.
    pub(super) fn begin_connect(&mut self, ticket: u64, uses_demo: bool) {
        self.connecting = Some(Connecting { ticket, uses_demo });
    }

    /// The connect under `ticket` ended: true when it was the one awaited.
    pub(super) fn end_connect(&mut self, ticket: u64) -> bool {
        let awaited = self.connecting.is_some_and(|c| c.ticket == ticket);
        if awaited {
            self.connecting = None;
        }
        awaited
    }

    /// Put a new session's monitor in place; returns the old one.
    pub(super) fn install(&mut self, monitor: Monitor) -> Option<Monitor> {
        self.run += 1;
        self.monitor.replace(monitor)
    }
}

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

/// The list of entries, in order, with ids that are never reused; read as a slice.
#[derive(Debug, Default)]
pub struct Entries {
    list: Vec<Entry>,
    next_id: EntryId,
}

impl Deref for Entries {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        &self.list
    }
}

impl DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut [Entry] {
        &mut self.list
    }
}

impl Entries {
    /// Append `profile` as it is; returns its new id.
    pub fn push(&mut self, profile: Profile) -> EntryId {
        self.next_id += 1;
        self.list.push(Entry::new(self.next_id, profile));
        self.next_id
    }

    /// Remove the entry with `id`.
    pub fn remove(&mut self, id: EntryId) {
        self.list.retain(|e| e.id != id);
    }

    /// The entry with `id`.
    #[must_use]
    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        self.list.iter().find(|e| e.id == id)
    }

    /// The entry with `id`, to change.
    pub fn get_mut(&mut self, id: EntryId) -> Option<&mut Entry> {
        self.list.iter_mut().find(|e| e.id == id)
    }

    /// The entry called `name`.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<EntryId> {
        self.list
            .iter()
            .find(|e| e.profile.name == name)
            .map(|e| e.id)
    }

    /// `base`, or `base (2)`, `base (3)`… whichever no entry is called.
    #[must_use]
    pub fn unique_name(&self, base: &str) -> String {
        crate::profile::unique_name(base, |n| self.find(n).is_some())
    }

    /// Name entry `id` `name` (trimmed).
    ///
    /// # Errors
    /// When the name is blank or taken, or the entry is gone.
    pub fn rename(&mut self, id: EntryId, name: &str) -> Result<(), RenameError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RenameError::Empty);
        }
        if self.find(name).is_some_and(|other| other != id) {
            return Err(RenameError::Taken(name.to_owned()));
        }
        let entry = self.get_mut(id).ok_or(RenameError::NoSuchProfile)?;
        name.clone_into(&mut entry.profile.name);
        Ok(())
    }

    /// A copy of every profile, in order (for the saver).
    #[must_use]
    pub fn profiles(&self) -> Vec<Profile> {
        self.list.iter().map(|e| e.profile.clone()).collect()
    }
}

/// The problems that keep a profile from connecting (a builtin-demo profile is checked
/// with a stand-in address, since its real one is known only once the server runs).
#[must_use]
pub fn connect_issues(profile: &Profile) -> Vec<ProfileIssue> {
    if profile.builtin_demo {
        let mut p = profile.clone();
        DEMO_URL_PLACEHOLDER.clone_into(&mut p.url);
        return p.validate();
    }
    profile.validate()
}
