//! The desktop face (eframe/egui, egui_plot): profiles, the profile editor, the live
//! feed, live charts, the connections panel and a status bar, one file per panel.
//!
//! ```text
//! app           PollscopeApp: eframe::App, layout, persistence (app/commands: what
//!               clicks, menus and shortcuts do)
//! workspace     the model behind the panels: profiles, monitors, demo server, saver
//! notice        notices above the panels, save status
//! saver         the thread that writes profiles.json (debounced, off the UI thread)
//! jobs          threads for exports and imports, their reports
//! transfer      import/export of profiles, event logs, statistics, comparisons
//! header        menu bar, notices, the selected profile's header and tabs
//! profiles      the Profiles side panel
//! editor        the profile editor (editor_cursor: its cursor section; form: rows)
//! feed          the live feed (detail: the selected event; json_color: JSON colouring)
//! charts        the live plots (chart_data: their cached, decimated series;
//!               time_axis: windows and clock-unit grid steps)
//! decimate      pure min/max (M4) decimation of long series
//! connections   the Connections panel (transport figures, faults, pollers)
//! compare_view  the Compare tab: settings, live overlaid charts, table, verdict
//! compare_run   its model: the comparison in flight, finished off the UI thread
//! status_bar    totals for the selected profile
//! dialogs       rename, delete confirmation, shortcuts help, export and import
//! format, theme number formatting, colours
//! ```
//!
//! The UI thread never blocks: workers wake it through the waker and `App::logic`
//! drains their channels with `try_iter`; sessions are stopped and files written on
//! other threads. Depends on the engine and [`crate::monitor`]; nothing depends on it.

mod app;
mod chart_data;
mod charts;
mod compare_run;
mod compare_view;
mod connections;
pub mod decimate;
mod detail;
mod dialogs;
mod editor;
mod editor_cursor;
mod feed;
mod form;
mod format;
mod header;
mod jobs;
mod json_color;
mod notice;
mod profiles;
mod saver;
mod status_bar;
mod theme;
mod time_axis;
mod transfer;
mod workspace;

use std::path::PathBuf;

pub use app::{AppSetup, PollscopeApp};
pub use chart_data::{ChartCache, Series};
pub use notice::{Notice, NoticeLevel, SaveStatus};
pub use saver::Loaded;
pub use time_axis::ChartWindow;
pub use transfer::ExportKind;
pub use workspace::{Entry, EntryId, Workspace};

/// The app id: the window class on X11/Wayland (matches `pollscope.desktop`).
pub const APP_ID: &str = "pollscope";
/// Window title (the end-to-end test finds the window by it).
pub const TITLE: &str = "Pollscope";
/// The window icon.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");
/// Where eframe keeps window size, panel layout and [`PollscopeApp`]'s own state.
pub const UI_STATE_FILE: &str = "ui-state.ron";

/// Window options: title, icon, size, app id, and eframe's state kept next to the
/// profiles (so `POLLSCOPE_CONFIG_DIR` isolates everything).
#[must_use]
pub fn native_options(config_dir: &std::path::Path) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([760.0, 480.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => log::warn!("the window icon cannot be read: {e}"),
    }
    eframe::NativeOptions {
        viewport,
        persistence_path: Some(config_dir.join(UI_STATE_FILE)),
        ..eframe::NativeOptions::default()
    }
}

/// Open the window and run until it is closed. Loads the profiles first (file I/O,
/// before the window exists).
///
/// # Errors
/// When no window can be opened (no display, no OpenGL).
pub fn run(config_dir: PathBuf) -> eframe::Result {
    let options = native_options(&config_dir);
    let setup = AppSetup::load(config_dir);
    eframe::run_native(
        TITLE,
        options,
        Box::new(move |cc| Ok(Box::new(PollscopeApp::new(cc, setup)))),
    )
}
