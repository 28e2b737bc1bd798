//! Colours and small visual helpers shared by the panels: series colours that read on
//! both the dark and the light theme, and a profile's state badge.

use egui::{Color32, RichText, Ui};

use crate::compare::Variant;
use crate::monitor::Badge;
use crate::ui::model::entry::Status;

/// Answers with events, and event rates.
pub const EVENTS: Color32 = Color32::from_rgb(0x2e, 0xb8, 0x8a);
/// Empty answers (held until the timeout).
pub const EMPTY: Color32 = Color32::from_rgb(0x8a, 0x96, 0xa8);
/// Failures.
pub const ERROR: Color32 = Color32::from_rgb(0xe5, 0x53, 0x4b);
/// Warnings and backoff.
pub const WARNING: Color32 = Color32::from_rgb(0xe0, 0xa3, 0x2e);
pub const LATENCY_P50: Color32 = Color32::from_rgb(0x4a, 0x9e, 0xf0);
pub const LATENCY_P99: Color32 = Color32::from_rgb(0xa8, 0x7c, 0xe8);
/// New TCP connections (the cost).
pub const NEW_CONN: Color32 = Color32::from_rgb(0xf0, 0x8c, 0x3c);
/// Reused connections (the saving).
pub const REUSED: Color32 = Color32::from_rgb(0x4c, 0xaf, 0x50);
pub const WIRE: Color32 = Color32::from_rgb(0x4a, 0x9e, 0xf0);
/// Holding a poll.
pub const HOLDING: Color32 = Color32::from_rgb(0x4a, 0x9e, 0xf0);
pub const IDLE: Color32 = Color32::from_rgb(0x8a, 0x96, 0xa8);

/// A comparison variant's colour: the same as in the exported PNG charts
/// (`compare::charts`), so a screenshot and a report read alike.
#[must_use]
pub fn variant_color(v: Variant) -> Color32 {
    let [r, g, b] = v.rgb();
    Color32::from_rgb(r, g, b)
}

/// The colour of a profile's state.
#[must_use]
pub fn state_color(status: &Status) -> Color32 {
    match status {
        Status::Connecting | Status::Badge(Badge::Holding) => HOLDING,
        Status::Badge(Badge::Idle) => IDLE,
        Status::Badge(Badge::Receiving) => EVENTS,
        Status::Badge(Badge::Quiet(_) | Badge::BackingOff(_)) => WARNING,
        Status::Badge(Badge::Stalled(_) | Badge::Error(_)) => ERROR,
    }
}

/// A coloured dot.
pub fn dot_ui(ui: &mut Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body) * 0.55;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), size / 2.0, color);
}

/// A profile's state as a dot and its label; hovering shows the message behind it
/// (and, for quiet and stalled, since when).
pub fn state_ui(ui: &mut Ui, status: &Status, now: std::time::Instant) -> egui::Response {
    let color = state_color(status);
    let response = ui
        .horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            dot_ui(ui, color);
            ui.label(RichText::new(status.label()).color(color).small());
        })
        .response;
    match crate::ui::widgets::liveness::state_hover(status, now) {
        Some(text) => response.on_hover_text(text),
        None => response,
    }
}

/// The colour for an HTTP status.
#[must_use]
pub fn status_color(status: u16) -> Color32 {
    match status {
        200..=299 => EVENTS,
        300..=399 | 408 => EMPTY,
        _ => ERROR,
    }
}

/// Panels draw no background of their own: the window is cleared to their colour
/// instead ([`clear_color`]). The same pixels, but a clear is a memory fill, while a
/// panel's background is a textured shape the renderer shades pixel by pixel: under a
/// software renderer (Xvfb, VMs, remote desktops) that fill was most of every frame's
/// cost, and the window's CPU grew with its area (2.6 % of a core at 760×480, 7.3 % at
/// 1280×800, 10.7 % at 1920×1080 with the demo streaming).
pub fn panels_over_clear(ctx: &egui::Context) {
    ctx.all_styles_mut(|s| s.visuals.panel_fill = Color32::TRANSPARENT);
}

/// The colour the window is cleared to each frame: what egui's panels would have filled
/// it with in this theme.
#[must_use]
pub fn clear_color(visuals: &egui::Visuals) -> [f32; 4] {
    let panel = if visuals.dark_mode {
        egui::Visuals::dark().panel_fill
    } else {
        egui::Visuals::light().panel_fill
    };
    panel.to_normalized_gamma_f32()
}
