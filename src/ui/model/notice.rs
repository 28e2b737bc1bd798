//! Notices shown above the panels (load and save problems) and where saving stands.

/// Where the last change to the profiles stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SaveStatus {
    /// Nothing changed since the app started.
    #[default]
    Unchanged,
    /// Sent to the saver, not confirmed yet.
    Pending,
    /// On disk.
    Saved,
    /// Not saved, and why.
    Failed(String),
}

/// How serious a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeLevel {
    /// Something done (an export written).
    Info,
    /// Something to look at (secrets to fill in, a file set aside).
    Warning,
    /// Something failed.
    Error,
}

/// A message shown above the panels until dismissed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// How serious it is.
    pub level: NoticeLevel,
    /// What it says.
    pub text: String,
    /// The profiles file changed on disk: offer to reload it or overwrite it.
    pub offer_reload: bool,
    /// A folder to offer opening in the file manager (where an export went).
    pub open: Option<std::path::PathBuf>,
}

/// The notices on screen, oldest first; the same notice is not shown twice.
#[derive(Debug, Default)]
pub struct Notices(Vec<Notice>);

impl Notices {
    /// Start with `notices`.
    #[must_use]
    pub fn new(notices: Vec<Notice>) -> Self {
        Self(notices)
    }

    /// Show `notice` (once: an identical one is not repeated).
    pub fn push(&mut self, notice: Notice) {
        if !self.0.contains(&notice) {
            self.0.push(notice);
        }
    }

    /// Hide the `i`th notice.
    pub fn dismiss(&mut self, i: usize) {
        if i < self.0.len() {
            self.0.remove(i);
        }
    }

    /// Hide the offers to reload or overwrite the profiles file (answered, or moot).
    pub fn clear_reload_offers(&mut self) {
        self.0.retain(|n| !n.offer_reload);
    }

    /// The notices, oldest first.
    #[must_use]
    pub fn as_slice(&self) -> &[Notice] {
        &self.0
    }
}
