//! The desktop face (eframe/egui, `egui_plot`): profiles, the profile editor, the live
//! feed, live charts, the connections panel, the Compare tab and a status bar.
//!
//! Its rooms, by role (as egui splits `containers/` and `widgets/`):
//!
//! ```text
//! app       the shell: PollscopeApp (eframe::App), layout, persistence between runs,
//!           and what clicks, menus and shortcuts do (app/commands)
//! model     the workspace and its commands (profiles, monitors, comparisons, demo
//!           server), the saver, file jobs, transfers, notices: no egui
//! panels    what the window is made of (bars, side panels, tabs, dialogs); each
//!           draws and returns actions for the shell to carry out
//! view      view state kept between frames: chart series caches, decimation, time axis
//! widgets   drawing helpers the panels share: theme, form rows, JSON colouring, formats
//! ```
//!
//! Dependencies point one way: the app shell uses the panels, the panels use the view
//! state, the widgets and the model, and the model uses the engine only. The UI thread
//! never blocks: workers wake it through the waker and `App::logic` drains their
//! channels with `try_iter`; sessions are stopped and files written on other threads.
//! Depends on the engine and [`crate::monitor`]; nothing depends on it.

mod app;
mod model;
mod panels;
mod view;
mod widgets;

use std::path::PathBuf;

pub use app::{AppSetup, PollscopeApp};
pub use model::entry::{Entry, EntryId, Status};
pub use model::notice::{Notice, NoticeLevel, SaveStatus};
pub use model::saver::Loaded;
pub use model::transfer::ExportKind;
pub use model::workspace::Workspace;
pub use view::chart_data::{ChartCache, Series};
pub use view::compare_lanes::{CompareCharts, LaneSeries};
pub use view::decimate;
pub use view::entry::EntryView;
pub use view::time_axis::ChartWindow;

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
        // Dithering runs in the fragment shader for every pixel of every frame; under a
        // software renderer that was 15 % of the window's CPU, for gradients this app
        // does not draw.
        dithering: false,
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
