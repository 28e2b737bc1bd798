//! The detail of the selected feed item: what it is, the full body (pretty-printed and
//! coloured once, then kept as a laid-out galley, shown capped), and the answer it came
//! in (hold, connection, cursor, response headers).

use std::sync::Arc;

use egui::{Galley, RichText, TextStyle, Ui};

use crate::monitor::FeedItem;
use crate::ui::widgets::format;
use crate::ui::widgets::json_color::{Palette, json_job};

/// Bytes of body drawn (Copy copies all of it).
const DETAIL_BYTES: usize = 128 * 1024;

/// The laid-out body of the selected item, kept between frames.
#[derive(Debug, Default)]
pub struct DetailCache {
    key: Option<(u64, bool)>,
    galley: Option<Arc<Galley>>,
    rest: usize,
}

impl DetailCache {
    /// The body of `item` laid out for the current theme (computed once per item).
    fn body(&mut self, ui: &Ui, item: &FeedItem) -> (Arc<Galley>, usize) {
        let dark = ui.visuals().dark_mode;
        if self.key != Some((item.id, dark)) || self.galley.is_none() {
            let text = item.pretty();
            let (shown, rest) = match text.char_indices().find(|(i, _)| *i >= DETAIL_BYTES) {
                Some((i, _)) => (&text[..i], text.len() - i),
                None => (text, 0),
            };
            let font = TextStyle::Monospace.resolve(ui.style());
            let job = if item.is_json && !item.truncated {
                json_job(shown, &font, &Palette::for_theme(dark))
            } else {
                egui::text::LayoutJob::simple_singleline(
                    shown.to_owned(),
                    font,
                    ui.visuals().text_color(),
                )
            };
            self.galley = Some(ui.painter().layout_job(job));
            self.rest = rest;
            self.key = Some((item.id, dark));
        }
        match &self.galley {
            Some(g) => (Arc::clone(g), self.rest),
            None => (ui.painter().layout_job(egui::text::LayoutJob::default()), 0),
        }
    }
}

/// The detail panel. Sets `close` when the user closes it.
pub fn detail_ui(ui: &mut Ui, item: &FeedItem, cache: &mut DetailCache, close: &mut bool) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} #{}", title(item), item.id)).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Close").on_hover_text("Esc").clicked() {
                *close = true;
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
                let more = format::bytes(rest as u64);
                ui.label(
                    RichText::new(format!("… {more} more not shown (Copy body copies it all)"))
                        .weak(),
                );
            }
        });
    ui.separator();
    answer_ui(ui, item);
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
    parts.push(format::bytes(item.size));
    if let Some(seq) = item.seq {
        parts.push(format!("seq {seq}"));
    }
    if let Some(ms) = item.latency_ms {
        parts.push(format!("latency {}", format::millis(ms)));
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
                    kv(ui, "held", format::duration(info.hold));
                    kv(ui, "events in answer", info.events.to_string());
                    kv(ui, "body", format::bytes(info.body_bytes));
                    kv(ui, "connection", format!("{conn_id}, {how}"));
                    kv(ui, "requests on it", format::count(conn.requests));
                    kv(ui, "connection age", format::duration(conn.age));
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
