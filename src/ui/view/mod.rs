//! View state the UI keeps between frames, apart from the model: each profile's view
//! ([`entry::Views`]: the feed's filter and selection, the charts' cached, decimated
//! series, the laid-out detail body, the Compare tab's lanes), the decimation itself,
//! and the charts' time windows and axis steps.
//!
//! ```text
//! entry          each profile's view state, started over with each new session
//! feed           the feed's filter, pause, selection and matching rows
//! chart_data     the live charts' series, decimated incrementally
//! decimate       min/max (M4) decimation of long series
//! time_axis      chart windows and clock-unit grid steps
//! detail         the selected feed item's body, laid out once
//! compare_lanes  the Compare tab's series per variant
//! ```
//!
//! Data and caches (`egui_plot` points, an egui galley), no drawing and no threads. May
//! read the model and use the widgets' colouring; must not depend on the panels or the
//! app shell.

pub mod chart_data;
pub mod compare_lanes;
pub mod decimate;
pub mod detail;
pub mod entry;
pub mod feed;
pub mod side;
pub mod time_axis;
