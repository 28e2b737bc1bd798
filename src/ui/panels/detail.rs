//! The detail of the selected feed item: what it is, the full body (pretty-printed and
//! coloured once, then kept as a laid-out galley, shown capped), and the answer it came
//! in (hold, connection, cursor, response headers).

use egui::{RichText, Ui};

use crate::monitor::FeedItem;
use crate::present::units;
use crate::ui::view::detail::DetailCache;
use crate::ui::widgets::format;

/// The detail panel. Returns true when the user closes it.
pub fn detail_ui(ui: &mut Ui, item: &FeedItem, cache: &mut DetailCache) -> bool {
    let mut close = false;
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} #{}", title(item), item.id)).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Close").on_hover_text("Esc").clicked() {
                close = true;
            }
            if ui.button("Copy body").clicked() {
                ui.ctx().copy_text(item.pretty().to_owned());
            }
        });
    });
    ui.label(RichText::new(detail_line(item)).small().weak());
    ui.separator();
    let body_height = if item.response.is_some() {
        (ui.available_height() * 0.55).max(80.0)
    } else {
        ui.available_height()
    };
    let (galley, rest) = cache.body(ui, item);
    egui::ScrollArea::both()
        .id_salt("detail-body")
        .max_height(body_height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.add(egui::Label::new(galley).wrap_mode(egui::TextWrapMode::Extend));
            if rest > 0 {
                let more = units::bytes(rest as u64);
                ui.label(
                    RichText::new(format!("… {more} more not shown (Copy body copies it all)"))
                        .weak(),
                );
            }
        });
    ui.separator();
    answer_ui(ui, item);
    close
}

fn title(item: &FeedItem) -> &'static str {
    match item.kind {
        crate::monitor::FeedKind::Event => "Event",
        crate::monitor::FeedKind::Failure => "Failed poll",
        crate::monitor::FeedKind::Warning => "Warning",
        crate::monitor::FeedKind::Retry => "Stale connection",
        crate::monitor::FeedKind::Cut => "Hold ended by the client",
    }
}

fn detail_line(item: &FeedItem) -> String {
    let mut parts = vec![
        format!("{} UTC", format::clock_utc(item.received)),
        format!("p{}", item.poller),
    ];
    if let Some(s) = item.status {
        parts.push(format!("HTTP {s}"));
    }
    parts.push(units::bytes(item.size));
    if let Some(seq) = item.seq {
        parts.push(format!("seq {seq}"));
    }
    if let Some(ms) = item.latency_ms {
        parts.push(format!("latency {}", units::millis(ms)));
    }
    if item.truncated {
        parts.push("payload cut in memory".to_owned());
    }
    parts.join(" · ")
}

fn answer_ui(ui: &mut Ui, item: &FeedItem) {
    let Some(info) = &item.response else {
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("detail-answer")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(RichText::new("Answer").small().strong());
            egui::Grid::new("answer-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    let kv = |ui: &mut Ui, k: &str, v: String| {
                        ui.label(RichText::new(k).small().weak());
                        ui.label(RichText::new(v).small().monospace());
                        ui.end_row();
                    };
                    let conn = &info.connection;
                    let conn_id = conn.id.map_or_else(|| "?".to_owned(), |c| format!("#{c}"));
                    let how = if conn.reused { "reused" } else { "new" };
                    kv(ui, "held", units::duration(info.hold));
                    kv(ui, "events in answer", info.events.to_string());
                    kv(ui, "body", units::bytes(info.body_bytes));
                    kv(ui, "connection", format!("{conn_id}, {how}"));
                    kv(ui, "requests on it", units::count(conn.requests));
                    kv(ui, "connection age", units::duration(conn.age));
                    kv(ui, "next cursor", info.cursor.clone());
                });
            ui.add_space(6.0);
            ui.label(RichText::new("Response headers").small().strong());
            egui::Grid::new("headers-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (k, v) in &info.headers {
                        ui.label(RichText::new(k).small().monospace().weak());
                        ui.label(RichText::new(v).small().monospace());
                        ui.end_row();
                    }
                });
        });
}
