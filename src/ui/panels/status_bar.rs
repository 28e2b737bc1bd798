//! The status bar: totals for the selected profile, how many profiles are connected,
//! and whether the last change to the profiles was saved.

use std::time::Instant;

use egui::{RichText, Ui};

use crate::present::units;
use crate::stats::Summary;
use crate::ui::model::entry::Entry;
use crate::ui::model::notice::SaveStatus;
use crate::ui::widgets::{copied, liveness, theme};

/// The bar's contents.
pub fn status_bar_ui(
    ui: &mut Ui,
    entry: Option<&Entry>,
    summary: Option<&Summary>,
    connected: usize,
    save: &SaveStatus,
    now: Instant,
) {
    // The right end first (it always shows whole), then the totals in the room left of
    // it, wrapping onto a second line in a narrow window rather than running under it.
    let row = ui.spacing().interact_size.y;
    let full = ui.available_rect_before_wrap();
    let full = egui::Rect::from_min_size(full.min, egui::vec2(full.width(), row));
    let right = ui
        .scope_builder(
            egui::UiBuilder::new()
                .max_rect(full)
                .layout(egui::Layout::right_to_left(egui::Align::Center)),
            |ui| {
                ui.spacing_mut().item_spacing.x = 6.0;
                save_ui(ui, save);
                if let Some(what) = copied::recent(ui.ctx()) {
                    ui.separator();
                    ui.label(RichText::new(what).small().color(theme::EVENTS));
                }
                ui.separator();
                ui.label(RichText::new(format!("{connected} connected")).small());
                ui.min_rect()
            },
        )
        .inner;
    let room = egui::Rect::from_min_max(full.min, egui::pos2(right.left() - 12.0, full.max.y));
    let left = egui::Layout::left_to_right(egui::Align::Min).with_main_wrap(true);
    ui.scope_builder(egui::UiBuilder::new().max_rect(room).layout(left), |ui| {
        ui.spacing_mut().item_spacing.x = 12.0;
        match (entry, summary) {
            (Some(entry), Some(s)) => totals_ui(ui, entry, s, now),
            (Some(entry), None) => {
                ui.label(RichText::new(&entry.profile.name).strong());
                let state = if entry.is_connecting() {
                    "connecting…"
                } else {
                    "not connected"
                };
                ui.label(RichText::new(state).weak());
            }
            _ => {
                ui.label(RichText::new("No profile selected").weak());
            }
        }
    });
}

fn totals_ui(ui: &mut Ui, entry: &Entry, s: &Summary, now: Instant) {
    ui.label(RichText::new(&entry.profile.name).strong());
    theme::state_ui(ui, &entry.status(now), now);
    // A name and its figure are one text, so they stay together when the bar wraps.
    let item = |ui: &mut Ui, label: &str, value: String| {
        let mut job = egui::text::LayoutJob::default();
        let small = egui::TextStyle::Small.resolve(ui.style());
        let mono = egui::FontId::monospace(small.size);
        job.append(
            label,
            0.0,
            egui::TextFormat::simple(small, ui.visuals().weak_text_color()),
        );
        job.append(
            &value,
            4.0,
            egui::TextFormat::simple(mono, ui.visuals().text_color()),
        );
        ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
    };
    if let Some(text) = entry
        .monitor
        .as_ref()
        .and_then(|m| liveness::last_event(m, now))
    {
        ui.separator();
        ui.label(RichText::new(text).small());
    }
    item(ui, "events", units::count(s.events));
    item(ui, "polls", units::count(s.polls));
    item(ui, "errors", units::count(s.errors));
    if s.lost_events > 0 {
        item(ui, "lost", units::count(s.lost_events));
    }
    item(ui, "new conns", units::count(s.new_connections));
    item(ui, "reused", units::opt_percent(s.reuse_ratio));
    item(ui, "hold p50", units::opt_millis(s.hold_ms_p50));
    if s.event_latency_ms_p50.is_some() {
        item(ui, "latency p50", units::opt_millis(s.event_latency_ms_p50));
    }
    item(
        ui,
        "wire",
        units::bytes(s.wire_bytes_in.saturating_add(s.wire_bytes_out)),
    );
    let secs = std::time::Duration::from_secs_f64(s.duration_s.max(0.0));
    item(ui, "up", units::whole_seconds(secs));
}

fn save_ui(ui: &mut Ui, save: &SaveStatus) {
    match save {
        SaveStatus::Unchanged => {}
        SaveStatus::Pending => {
            ui.label(RichText::new("saving…").small().weak());
        }
        SaveStatus::Saved => {
            ui.label(RichText::new("saved").small().weak());
        }
        SaveStatus::Failed(message) => {
            ui.label(RichText::new("not saved").small().color(theme::ERROR))
                .on_hover_text(message);
        }
    }
}
