//! The model behind the panels: the profiles as edited, each one's monitor and
//! comparison, the embedded demo server, and the threads that start and stop sessions,
//! save profiles and write exports; with the commands that change them (add, rename,
//! connect, compare, export…) in one place, [`workspace::Workspace`], and the notices to
//! show.
//!
//! ```text
//! workspace   the Workspace and every command on it
//! entry       one profile in the list: its monitor, connect under way, Compare tab
//! compare     the Compare tab's settings and the comparison in flight
//! sessions    starting sessions on starter threads, stopping them on stopper
//!             threads; the shared demo server
//! threads     named background threads, waited for at exit, reporting to the UI
//! saver       loading profiles, and the thread that saves them
//! jobs        threads for exports and imports, their reports
//! transfer    what exports and imports copy, write and read
//! notice      notices above the panels, save status
//! desktop     the system's file picker, opening a folder in the file manager
//! ```
//!
//! No egui: everything here can be reasoned about and tested without a window. Must not
//! depend on the app shell, the panels, the view state or the widgets; they depend on
//! it. Only the workspace knows the others; none knows the workspace.

pub mod compare;
pub mod desktop;
pub mod entry;
pub mod jobs;
pub mod notice;
pub mod saver;
pub mod sessions;
pub mod threads;
pub mod transfer;
pub mod workspace;
