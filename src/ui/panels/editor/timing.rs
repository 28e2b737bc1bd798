//! The editor's Long poll section: how long the server is asked to hold a poll and
//! how it is told, the client's timeout, and short polling.

use egui::{RichText, TextEdit, Ui};

use crate::profile::{HoldParam, HoldUnit, PROXY_CUT_WARNING_S, Profile, ProfileIssue};
use crate::ui::widgets::form::{row, warning_ui};

/// The Long poll section.
pub(super) fn hold_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Hold",
        issues,
        |_| false,
        |ui, id| {
            ui.add(
                egui::DragValue::new(&mut p.hold_s)
                    .range(0..=3600)
                    .suffix(" s"),
            )
            .labelled_by(id)
            .on_hover_text("How long the server is asked to hold each poll");
        },
    );
    if p.hold_s >= PROXY_CUT_WARNING_S {
        warning_ui(ui, "proxies often cut holds at 55–60 s");
    }
    row(
        ui,
        "Hold parameter",
        issues,
        |_| false,
        |ui, id| {
            hold_param_ui(ui, &mut p.hold_param, id);
        },
    );
    client_timeout_row_ui(ui, p, issues);
    short_polling_row_ui(ui, p, issues);
}

/// The client's timeout: hold + margin, or custom.
fn client_timeout_row_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Client timeout",
        issues,
        |i| matches!(i, ProfileIssue::BadClientTimeout),
        |ui, _| {
            let mut custom = p.client_timeout_s.is_some();
            if ui.checkbox(&mut custom, "custom").changed() {
                p.client_timeout_s = custom.then(|| p.client_timeout().as_secs_f64());
            }
            if let Some(s) = &mut p.client_timeout_s {
                ui.add(
                    egui::DragValue::new(s)
                        .range(0.1..=86_400.0)
                        .speed(0.5)
                        .suffix(" s"),
                );
            } else {
                let auto = p.client_timeout().as_secs_f64();
                ui.label(RichText::new(format!("hold + margin = {auto:.0} s")).weak());
            }
        },
    );
}

/// Short polling: off, or a poll every N seconds.
fn short_polling_row_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Short polling",
        issues,
        |i| matches!(i, ProfileIssue::BadInterval),
        |ui, id| {
            let mut on = p.interval_s.is_some();
            if ui.checkbox(&mut on, "start a poll every").changed() {
                p.interval_s = on.then_some(5.0);
            }
            if let Some(s) = &mut p.interval_s {
                ui.add(
                    egui::DragValue::new(s)
                        .range(0.1..=86_400.0)
                        .speed(0.5)
                        .suffix(" s"),
                )
                .labelled_by(id);
            } else {
                ui.label(RichText::new("off: poll again as soon as an answer arrives").weak());
            }
        },
    );
}

fn hold_param_ui(ui: &mut Ui, param: &mut HoldParam, label: egui::Id) {
    let text = match param {
        HoldParam::None => "none (the server decides)",
        HoldParam::TimeoutSeconds => "timeout=S (demo server)",
        HoldParam::Query { .. } => "query parameter",
    };
    egui::ComboBox::from_id_salt("hold-param")
        .selected_text(text)
        .show_ui(ui, |ui| {
            ui.selectable_value(param, HoldParam::None, "none (the server decides)");
            ui.selectable_value(param, HoldParam::TimeoutSeconds, "timeout=S (demo server)");
            if ui
                .selectable_label(matches!(param, HoldParam::Query { .. }), "query parameter")
                .clicked()
                && !matches!(param, HoldParam::Query { .. })
            {
                *param = HoldParam::Query {
                    name: "timeout".to_owned(),
                    unit: HoldUnit::Seconds,
                };
            }
        })
        .response
        .labelled_by(label);
    if let HoldParam::Query { name, unit } = param {
        ui.add(
            TextEdit::singleline(name)
                .hint_text("name")
                .desired_width(100.0),
        );
        egui::ComboBox::from_id_salt("hold-unit")
            .selected_text(unit_label(*unit))
            .show_ui(ui, |ui| {
                for u in [HoldUnit::Seconds, HoldUnit::Millis, HoldUnit::SecondsSuffix] {
                    ui.selectable_value(unit, u, unit_label(u));
                }
            })
            .response
            .labelled_by(label);
    }
}

fn unit_label(unit: HoldUnit) -> &'static str {
    match unit {
        HoldUnit::Seconds => "seconds (30)",
        HoldUnit::Millis => "milliseconds (30000)",
        HoldUnit::SecondsSuffix => "with suffix (30s)",
    }
}
