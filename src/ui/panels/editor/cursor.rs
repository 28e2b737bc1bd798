//! The cursor part of the profile editor: the rule that carries the server's cursor
//! from one answer to the next request, the first cursor, and the cursor options
//! (reset when it goes backwards, a floor, "unchanged is empty", resync after "too old").
//!
//! Kept apart from the rest of the editor so new rules and options can be added here
//! alone. Edits the profile in place.

use egui::{RichText, TextEdit, Ui};

use crate::cursor::{CursorRule, ResyncRule};
use crate::profile::{Profile, ProfileIssue};
use crate::ui::widgets::form::{issue_ui, opt_text, row, text_row};

/// The rule kinds, in menu order, with a default of each.
fn rule_choices() -> [(&'static str, &'static str, CursorRule); 5] {
    [
        ("none", "every poll is the same request", CursorRule::None),
        (
            "value in the body, sent as a parameter",
            "a value in the JSON body (e.g. /cursor) is sent back as a query parameter",
            CursorRule::BodyPointer {
                pointer: "/cursor".to_owned(),
                param: "cursor".to_owned(),
                plus: 0,
            },
        ),
        (
            "response header, sent as a parameter",
            "a response header (e.g. X-Consul-Index) is sent back as a query parameter",
            CursorRule::Header {
                header: "X-Index".to_owned(),
                param: "index".to_owned(),
            },
        ),
        (
            "ETag / Last-Modified",
            "validators sent back as If-None-Match and If-Modified-Since (Nchan)",
            CursorRule::Validators,
        ),
        (
            "highest event field + N, sent as a parameter",
            "the highest per-event number plus N (Telegram: offset = max(update_id) + 1)",
            CursorRule::MaxField {
                field: "/update_id".to_owned(),
                plus: 1,
                param: "offset".to_owned(),
            },
        ),
    ]
}

fn same_kind(a: &CursorRule, b: &CursorRule) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn is_cursor_issue(i: &ProfileIssue) -> bool {
    matches!(
        i,
        ProfileIssue::BadCursorRule(_)
            | ProfileIssue::BadPointer {
                field: "resync",
                ..
            }
    )
}

/// The cursor section of the editor.
pub fn cursor_rule_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    let choices = rule_choices();
    let current = choices
        .iter()
        .find(|(_, _, rule)| same_kind(rule, &p.cursor))
        .map_or("?", |(name, _, _)| *name);
    row(
        ui,
        "Rule",
        issues,
        |_| false,
        |ui, id| {
            egui::ComboBox::from_id_salt("cursor-rule")
                .selected_text(current)
                .width(280.0)
                .show_ui(ui, |ui| {
                    for (name, help, rule) in choices {
                        let selected = same_kind(&rule, &p.cursor);
                        if ui
                            .selectable_label(selected, name)
                            .on_hover_text(help)
                            .clicked()
                            && !selected
                        {
                            p.cursor = rule;
                        }
                    }
                })
                .response
                .labelled_by(id);
        },
    );
    rule_fields_ui(ui, &mut p.cursor);
    row(
        ui,
        "First cursor",
        issues,
        |_| false,
        |ui, id| {
            opt_text(
                ui,
                &mut p.initial_cursor,
                "empty: start at the server's newest",
                id,
            );
        },
    );
    options_ui(ui, p);
    for issue in issues.iter().filter(|i| is_cursor_issue(i)) {
        issue_ui(ui, &issue.to_string());
    }
}

/// The fields of the chosen rule.
fn rule_fields_ui(ui: &mut Ui, rule: &mut CursorRule) {
    match rule {
        CursorRule::None | CursorRule::Validators => {}
        CursorRule::BodyPointer {
            pointer,
            param,
            plus,
        } => {
            text_row(ui, "Cursor in body at", pointer, "/cursor");
            param_plus_ui(ui, param, plus);
        }
        CursorRule::Header { header, param } => {
            text_row(ui, "Cursor header", header, "X-Consul-Index");
            text_row(ui, "Sent as parameter", param, "index");
        }
        CursorRule::MaxField { field, plus, param } => {
            text_row(ui, "Event field", field, "/update_id");
            param_plus_ui(ui, param, plus);
        }
    }
}

fn param_plus_ui(ui: &mut Ui, param: &mut String, plus: &mut i64) {
    let none: &[ProfileIssue] = &[];
    row(
        ui,
        "Sent as parameter",
        none,
        |_| false,
        |ui, id| {
            ui.add(
                TextEdit::singleline(param)
                    .hint_text("cursor")
                    .desired_width(200.0),
            )
            .labelled_by(id);
            let plus_label = ui.label("plus").id;
            ui.add(egui::DragValue::new(plus).range(-1_000_000..=1_000_000))
                .labelled_by(plus_label)
                .on_hover_text("Added to a numeric cursor (etcd: modifiedIndex + 1)");
        },
    );
}

/// Reset, floor, "unchanged is empty" and resync.
fn options_ui(ui: &mut Ui, p: &mut Profile) {
    let o = &mut p.cursor_options;
    egui::CollapsingHeader::new(RichText::new("More cursor options").small())
        .id_salt("cursor-options")
        .default_open(o != &crate::cursor::CursorOptions::default())
        .show(ui, |ui| option_rows_ui(ui, o));
}

/// The rows of "More cursor options".
fn option_rows_ui(ui: &mut Ui, o: &mut crate::cursor::CursorOptions) {
    let none: &[ProfileIssue] = &[];
    row(
        ui,
        "If it goes backwards",
        none,
        |_| false,
        |ui, id| {
            opt_text(
                ui,
                &mut o.reset_if_backwards,
                "restart from (Consul: 0)",
                id,
            );
        },
    );
    row(
        ui,
        "Floor",
        none,
        |_| false,
        |ui, _| {
            let mut on = o.min.is_some();
            let never_below = ui.checkbox(&mut on, "never below");
            if never_below.changed() {
                o.min = on.then_some(1);
            }
            if let Some(min) = &mut o.min {
                ui.add(egui::DragValue::new(min))
                    .labelled_by(never_below.id);
            }
        },
    );
    row(
        ui,
        "Unchanged cursor",
        none,
        |_| false,
        |ui, _| {
            ui.checkbox(&mut o.unchanged_is_empty, "means nothing new (Consul)");
        },
    );
    row(
        ui,
        "Resync when too old",
        none,
        |_| false,
        |ui, _| {
            let mut on = o.resync.is_some();
            if ui
                .checkbox(&mut on, "jump to the server's position")
                .changed()
            {
                o.resync = on.then(ResyncRule::default);
            }
        },
    );
    if let Some(r) = &mut o.resync {
        resync_ui(ui, r);
    }
}

fn resync_ui(ui: &mut Ui, r: &mut ResyncRule) {
    let none: &[ProfileIssue] = &[];
    row(
        ui,
        "Refusal status",
        none,
        |_| false,
        |ui, id| {
            ui.add(egui::DragValue::new(&mut r.status).range(100..=599))
                .labelled_by(id);
        },
    );
    row(
        ui,
        "Body pointer",
        none,
        |_| false,
        |ui, id| {
            opt_text(ui, &mut r.body_pointer, "/errorCode (optional)", id);
            ui.label("equals");
            ui.add(
                TextEdit::singleline(r.body_equals.get_or_insert_with(String::new))
                    .hint_text("401")
                    .desired_width(80.0),
            );
        },
    );
    if r.body_equals.as_deref() == Some("") {
        r.body_equals = None;
    }
    row(
        ui,
        "Position header",
        none,
        |_| false,
        |ui, id| {
            ui.add(
                TextEdit::singleline(&mut r.from_header)
                    .hint_text("X-Etcd-Index")
                    .desired_width(200.0),
            )
            .labelled_by(id);
            let plus_label = ui.label("plus").id;
            ui.add(egui::DragValue::new(&mut r.plus).range(-1_000_000..=1_000_000))
                .labelled_by(plus_label);
        },
    );
}
