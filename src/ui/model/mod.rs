//! The model behind the panels: the profiles as edited, each one's monitor and
//! comparison, the embedded demo server, and the threads that save profiles, write
//! exports and stop sessions; with the commands that change them (add, rename, connect,
//! compare, export…) and the notices to show.
//!
//! No egui: everything here can be reasoned about and tested without a window. Must not
//! depend on the panels, the view state or the app shell; they depend on it.

pub mod compare;
pub mod jobs;
pub mod notice;
pub mod saver;
pub mod transfer;
pub mod workspace;
