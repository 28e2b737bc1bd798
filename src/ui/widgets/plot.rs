//! What the live charts and the Compare tab's charts have in common: a plot that does
//! not move under the mouse (its x range is set by the caller), y from 0 with a little
//! room above, a horizontal grid, and the hovered series' name and point.

use egui::AsIdSalt;
use egui_plot::{HoverPosition, Plot, PlotPoint};

/// A fixed plot (no drag, zoom, scroll or reset) `height` points tall, y from 0.
pub fn fixed_plot<'a>(id: impl AsIdSalt, height: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .set_margin_fraction(egui::vec2(0.0, 0.08))
        .show_grid([false, true])
}

/// The name of the series nearest the pointer (empty when none is near) and the point.
#[must_use]
pub fn hovered<'a>(pos: &HoverPosition<'a>) -> (&'a str, PlotPoint) {
    match pos {
        HoverPosition::NearDataPoint {
            plot_name,
            position,
            ..
        } => (plot_name, *position),
        HoverPosition::Elsewhere { position } => ("", *position),
    }
}
