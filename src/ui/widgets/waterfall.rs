//! A poll's timing as a browser's network panel draws it: one row per phase (name
//! lookup, connect, proxy tunnel, TLS, send, waiting, body), a bar placed where the
//! phase began and as long as it lasted, and its duration.

use std::time::Duration;

use egui::{Color32, RichText, Sense, Ui, vec2};

use crate::poll::PollTiming;
use crate::present::units;

/// Width of the phase names.
const NAME_WIDTH: f32 = 86.0;
/// Width of the durations.
const FIGURE_WIDTH: f32 = 64.0;
/// A phase never draws thinner than this, so a 40 µs connect is still seen.
const MIN_BAR: f32 = 2.0;

/// The colour of a phase (the same families as a browser's timing view).
fn phase_color(name: &str) -> Color32 {
    match name {
        "DNS" => Color32::from_rgb(0x00, 0x96, 0x88),
        "connect" => Color32::from_rgb(0xf0, 0x8c, 0x3c),
        "proxy tunnel" => Color32::from_rgb(0xc0, 0x6c, 0x84),
        "TLS" => Color32::from_rgb(0xa8, 0x7c, 0xe8),
        "send" => Color32::from_rgb(0x8a, 0x96, 0xa8),
        "waiting" => Color32::from_rgb(0x4c, 0xaf, 0x50),
        "body" => Color32::from_rgb(0x4a, 0x9e, 0xf0),
        _ => Color32::from_gray(0x90),
    }
}

/// What a phase means, for its tooltip.
fn phase_help(name: &str) -> &'static str {
    match name {
        "DNS" => {
            "Looking up the host name (none for an IP address or a name looked up in the last minute)"
        }
        "connect" => {
            "Opening the TCP connection (to the proxy, when there is one); none on a reused connection"
        }
        "proxy tunnel" => "The proxy opening a CONNECT tunnel to the server",
        "TLS" => "The TLS handshake with the server",
        "send" => "Getting the connection ready and writing the request",
        "waiting" => {
            "From the request sent until the answer's status and headers: the hold, for most long-poll servers"
        }
        "body" => {
            "Reading the answer's body after its headers (long for servers that send headers first and hold the body)"
        }
        "no answer" => "The poll ended without an answer (see the message)",
        _ => "",
    }
}

/// The rows of `timing`; a poll that failed before an answer shows the rest of its
/// time as "no answer".
pub fn waterfall_ui(ui: &mut Ui, timing: &PollTiming) {
    let mut phases = timing.phases();
    let accounted: Duration = phases.iter().map(|(_, d)| *d).sum();
    if timing.waiting.is_none() && timing.total > accounted {
        phases.push(("no answer", timing.total.saturating_sub(accounted)));
    }
    let total = timing.total.max(accounted).as_secs_f32().max(1e-9);
    let mut start = Duration::ZERO;
    for (name, took) in phases {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            ui.add_sized(
                vec2(NAME_WIDTH, ui.spacing().interact_size.y),
                egui::Label::new(RichText::new(name).small()),
            )
            .on_hover_text(phase_help(name));
            let bar_width = (ui.available_width() - FIGURE_WIDTH - 6.0).max(40.0);
            let height = ui.text_style_height(&egui::TextStyle::Small);
            let (rect, response) = ui.allocate_exact_size(vec2(bar_width, height), Sense::hover());
            let x0 = rect.left() + start.as_secs_f32() / total * bar_width;
            let w = (took.as_secs_f32() / total * bar_width).max(MIN_BAR);
            let bar = egui::Rect::from_min_size(
                egui::pos2(x0.min(rect.right() - MIN_BAR), rect.top()),
                vec2(w.min(rect.right() - x0).max(MIN_BAR), height),
            );
            ui.painter()
                .rect_filled(rect, 1.0, ui.visuals().faint_bg_color);
            ui.painter().rect_filled(bar, 1.0, phase_color(name));
            response.on_hover_text(format!(
                "{name}: {} (from {} to {})",
                units::fine_duration(took),
                units::fine_duration(start),
                units::fine_duration(start + took)
            ));
            ui.label(
                RichText::new(units::fine_duration(took))
                    .small()
                    .monospace(),
            );
        });
        start += took;
    }
    ui.horizontal(|ui| {
        ui.add_sized(
            vec2(NAME_WIDTH, ui.spacing().interact_size.y),
            egui::Label::new(RichText::new("total").small().strong()),
        );
        ui.label(
            RichText::new(units::fine_duration(timing.total))
                .small()
                .monospace()
                .strong(),
        );
    });
}
