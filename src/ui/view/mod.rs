//! View state the UI keeps between frames, apart from the model: the charts' cached,
//! decimated series, the decimation itself, and the charts' time windows and axis
//! steps.
//!
//! Plain data and pure functions (egui_plot's point type at most): no drawing, no
//! threads. Depends on the engine's statistics; must not depend on the panels or the
//! app shell.

pub mod chart_data;
pub mod decimate;
pub mod time_axis;
