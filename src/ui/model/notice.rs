//! Notices shown above the panels (load and save problems) and where saving stands.

/// Where the last change to the profiles stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SaveStatus {
    /// Nothing changed since the app started.
    #[default]
    Unchanged,
    /// Sent to the saver, not confirmed yet.
    Pending,
    Saved,
    Failed(String),
}

/// How serious a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// A message shown above the panels until dismissed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    /// The profiles file changed on disk: offer to reload it or overwrite it.
    pub offer_reload: bool,
}
