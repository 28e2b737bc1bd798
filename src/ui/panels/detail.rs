//! The inspector: everything about the selected feed row and the poll it came from —
//! the payload or the failure's message (wrapped), the request as sent (secrets
//! masked), the answer's status, headers and (for a failed poll) body, where the time
//! went (a browser-style timing waterfall), and the connection the poll used.
//!
//! Texts are laid out once per item and width ([`DetailCache`]); the panel scrolls as
//! one column.

use egui::{RichText, Ui};

use crate::monitor::{FeedItem, FeedKind, ResponseInfo};
use crate::present::units;
use crate::ui::view::detail::{DetailCache, Laid};
use crate::ui::widgets::{copied, format, theme, waterfall};

/// The inspector. Returns true when the user closes it.
pub fn detail_ui(ui: &mut Ui, item: &FeedItem, cache: &mut DetailCache) -> bool {
    let mut close = false;
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} #{}", title(item), item.id)).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Close")
                .on_hover_text("Close the inspector and resume the feed (Esc)")
                .clicked()
            {
                close = true;
            }
            copy_menu_ui(ui, item);
        });
    });
    ui.label(RichText::new(detail_line(item)).small().weak());
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("inspector")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let width = ui.available_width();
            body_section_ui(ui, item, cache, width);
            if let Some(info) = &item.response {
                answer_sections_ui(ui, item, info, cache, width);
            } else {
                ui.label(
                    RichText::new("This row is not tied to one poll: no request or timing.")
                        .small()
                        .weak(),
                );
            }
        });
    close
}

fn title(item: &FeedItem) -> &'static str {
    match item.kind {
        FeedKind::Event => "Event",
        FeedKind::Failure => "Failed poll",
        FeedKind::Warning => "Warning",
        FeedKind::Retry => "Stale connection",
        FeedKind::Cut => "Hold ended by the client",
    }
}

fn detail_line(item: &FeedItem) -> String {
    let mut parts = vec![
        format!("{} UTC", format::clock_utc(item.received)),
        format!("poller {}", item.poller),
    ];
    if let Some(s) = item.status {
        parts.push(format!("HTTP {s}"));
    }
    if item.kind == FeedKind::Event {
        parts.push(units::bytes(item.size));
    }
    if let Some(seq) = item.seq {
        parts.push(format!("seq {seq}"));
    }
    if let Some(ms) = item.latency_ms {
        parts.push(format!("latency {}", units::fine_millis(ms)));
    }
    if item.truncated {
        parts.push("payload cut in memory".to_owned());
    }
    parts.join(" · ")
}

fn copy_menu_ui(ui: &mut Ui, item: &FeedItem) {
    ui.menu_button("Copy", |ui| {
        let label = if item.kind == FeedKind::Event {
            "Payload"
        } else {
            "Message"
        };
        if ui.button(label).clicked() {
            copied::copy(ui.ctx(), item.pretty().to_owned(), label);
            ui.close();
        }
        let info = item.response.as_deref();
        if let Some(request) = info.and_then(|i| i.request.as_deref())
            && ui
                .button("Request (secrets masked)")
                .on_hover_text("The request head as sent, with secret values shown as •••")
                .clicked()
        {
            copied::copy(ui.ctx(), request.to_owned(), "Request (secrets masked)");
            ui.close();
        }
        if let Some(info) = info.filter(|i| !i.headers.is_empty())
            && ui.button("Response headers").clicked()
        {
            let text: Vec<String> = info
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            copied::copy(ui.ctx(), text.join("\n"), "Response headers");
            ui.close();
        }
        if let Some(body) = info.and_then(|i| i.body.as_deref())
            && ui.button("Response body").clicked()
        {
            copied::copy(ui.ctx(), body.to_owned(), "Response body");
            ui.close();
        }
    });
}

/// A laid-out text, and a note when part of it is not shown.
fn laid_ui(ui: &mut Ui, laid: Laid) {
    ui.add(egui::Label::new(laid.galley).wrap_mode(egui::TextWrapMode::Wrap));
    if laid.rest > 0 {
        let more = units::bytes(laid.rest as u64);
        ui.label(RichText::new(format!("… {more} more not shown (Copy copies it all)")).weak());
    }
}

/// The payload (events) or the message (failures, warnings…), wrapped.
fn body_section_ui(ui: &mut Ui, item: &FeedItem, cache: &mut DetailCache, width: f32) {
    let heading = if item.kind == FeedKind::Event {
        "Payload"
    } else {
        "Message"
    };
    egui::CollapsingHeader::new(RichText::new(heading).strong())
        .id_salt("inspector-body")
        .default_open(true)
        .show(ui, |ui| {
            let laid = cache.body(ui, item, width - 16.0);
            let color = match item.kind {
                FeedKind::Failure => Some(theme::ERROR),
                FeedKind::Warning => Some(theme::WARNING),
                _ => None,
            };
            match color {
                Some(c) => {
                    egui::Frame::new()
                        .fill(c.gamma_multiply(0.12))
                        .inner_margin(4.0)
                        .corner_radius(2.0)
                        .show(ui, |ui| laid_ui(ui, laid));
                }
                None => laid_ui(ui, laid),
            }
        });
}

fn answer_sections_ui(
    ui: &mut Ui,
    item: &FeedItem,
    info: &ResponseInfo,
    cache: &mut DetailCache,
    width: f32,
) {
    egui::CollapsingHeader::new(RichText::new("Timing").strong())
        .id_salt("inspector-timing")
        .default_open(true)
        .show(ui, |ui| waterfall::waterfall_ui(ui, &info.timing));
    egui::CollapsingHeader::new(RichText::new("Request").strong())
        .id_salt("inspector-request")
        .default_open(true)
        .show(ui, |ui| match &info.request {
            Some(head) => {
                ui.add(
                    egui::Label::new(RichText::new(head).monospace().small())
                        .wrap_mode(egui::TextWrapMode::Wrap),
                );
            }
            None => {
                ui.label(RichText::new("not recorded for this poll").small().weak());
            }
        });
    egui::CollapsingHeader::new(RichText::new("Response").strong())
        .id_salt("inspector-response")
        .default_open(true)
        .show(ui, |ui| response_ui(ui, item, info, cache, width));
    egui::CollapsingHeader::new(RichText::new("Connection").strong())
        .id_salt("inspector-connection")
        .default_open(true)
        .show(ui, |ui| connection_ui(ui, info));
}

fn response_ui(
    ui: &mut Ui,
    item: &FeedItem,
    info: &ResponseInfo,
    cache: &mut DetailCache,
    width: f32,
) {
    let status = if info.status == 0 {
        RichText::new("no answer").color(theme::ERROR)
    } else {
        let reason = ureq::http::StatusCode::from_u16(info.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        RichText::new(format!("HTTP {} {reason}", info.status))
            .color(theme::status_color(info.status))
    };
    ui.label(status.monospace());
    let mut facts = Vec::new();
    if item.kind != FeedKind::Failure {
        facts.push(format!("held {}", units::fine_duration(info.hold)));
        facts.push(format!("{} event(s) in the answer", info.events));
    }
    if info.status != 0 {
        facts.push(format!("body {}", units::bytes(info.body_bytes)));
    }
    if !info.cursor.is_empty() {
        facts.push(format!("next cursor {}", info.cursor));
    }
    if !facts.is_empty() {
        ui.label(RichText::new(facts.join(" · ")).small().weak());
    }
    if !info.headers.is_empty() {
        egui::Grid::new("inspector-headers")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (k, v) in &info.headers {
                    ui.label(RichText::new(k).small().monospace().weak());
                    ui.add(
                        egui::Label::new(RichText::new(v).small().monospace())
                            .wrap_mode(egui::TextWrapMode::Wrap),
                    );
                    ui.end_row();
                }
            });
    }
    if let Some(laid) = cache.answer_body(ui, item, width - 16.0) {
        ui.add_space(4.0);
        ui.label(RichText::new("Body").small().strong());
        laid_ui(ui, laid);
    }
}

fn connection_ui(ui: &mut Ui, info: &ResponseInfo) {
    let conn = &info.connection;
    let Some(id) = conn.id else {
        ui.label(RichText::new("no connection was made").small().weak());
        return;
    };
    let how = if conn.reused {
        RichText::new("reused").color(theme::REUSED)
    } else {
        RichText::new("new").color(theme::NEW_CONN)
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("connection #{id}")).monospace());
        ui.label(how.strong());
        ui.label(
            RichText::new(format!(
                "· request {} on it · open for {}",
                units::count(conn.requests),
                units::duration(conn.age)
            ))
            .small()
            .weak(),
        );
    });
}
