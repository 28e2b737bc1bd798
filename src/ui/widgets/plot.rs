//! What the live charts and the Compare tab's charts have in common: a plot that does
//! not move under the mouse (its x range is set by the caller), y from 0 with a little
//! room above, a horizontal grid, and the hovered series' name and point.

use egui::AsIdSalt;
use egui_plot::{HoverPosition, Plot, PlotPoint};

/// How far apart (points) value-axis marks must be to be labelled: a line of text.
pub const LABEL_SPACING: f32 = 20.0;
/// `egui_plot`'s smallest grid line spacing (`Plot::grid_spacing`'s default minimum).
const MIN_LINE_SPACING: f32 = 8.0;

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
        // Grid lines on the panel, no backdrop: a backdrop is a filled rect the software
        // renderer shades every frame (six charts: 0.5 % of a core of the 3.5 % the
        // window took streaming the demo under Xvfb).
        .show_background(false)
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            value_grid_steps(input.base_step_size)
        }))
}

/// Three grid steps for a value axis, each labelled: the finest a 1, 2 or 5 multiple
/// of a power of ten at least [`LABEL_SPACING`] points apart (`min_step` is the value
/// at `egui_plot`'s smallest line spacing, 8 points), then two coarser ones it divides
/// (1-5-10, 2-10-20, 5-10-50) for thicker lines. `egui_plot`'s default steps are whole
/// powers of ten, so a range of 0–0.9 ms on a short chart had no labelled mark but 0
/// (0.1 ms apart is too close to label, 1 ms is off the chart); here the finest step is
/// at most 2.5 × the label spacing apart, so any chart taller than that has a label.
#[must_use]
pub fn value_grid_steps(min_step: f64) -> [f64; 3] {
    let min_step = if min_step.is_finite() && min_step > 0.0 {
        min_step * f64::from(LABEL_SPACING / MIN_LINE_SPACING)
    } else {
        1.0
    };
    let decade = 10_f64.powf(min_step.log10().floor());
    let ratio = min_step / decade;
    let (fine, medium, coarse) = if ratio <= 1.0 + 1e-9 {
        (1.0, 5.0, 10.0)
    } else if ratio <= 2.0 + 1e-9 {
        (2.0, 10.0, 20.0)
    } else if ratio <= 5.0 + 1e-9 {
        (5.0, 10.0, 50.0)
    } else {
        (10.0, 50.0, 100.0)
    };
    [fine * decade, medium * decade, coarse * decade]
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
