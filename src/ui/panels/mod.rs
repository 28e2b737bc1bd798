//! The panels, bars, tabs and dialogs the window is made of, one file each: they draw
//! the model and the view state, and return what the user asked for as actions that the
//! app shell carries out after the frame's panels are drawn.
//!
//! ```text
//! header        menu bar, notices, the selected profile's header and tabs
//! profiles      the Profiles side panel
//! status_bar    totals for the selected profile
//! editor        the profile editor (editor/cursor: its cursor section)
//! feed          the live feed
//! detail        the selected feed item
//! charts        the live plots
//! connections   the Connections panel (transport figures, faults, pollers)
//! compare       the Compare tab: settings, live overlaid charts, table, verdict
//! dialogs       rename, delete confirmation, shortcuts help, export and import
//! ```
//!
//! Depends on the model, the view state and the widgets; not on the app shell, and
//! not on one another except for the action types a bar shares with a panel.

pub mod alerts;
pub mod charts;
pub mod compare;
pub mod connections;
pub mod detail;
pub mod dialogs;
pub mod editor;
pub mod feed;
pub mod header;
pub mod profiles;
pub mod status_bar;
