//! Form rows for the editor: a label column of fixed width, the field, and the
//! problems found in it underneath, so every section lines up.

use egui::{RichText, TextEdit, Ui};

use crate::profile::ProfileIssue;
use crate::ui::widgets::theme;

/// Label column width.
pub const LABEL_WIDTH: f32 = 150.0;

/// A label in the left column, returning its id for `labelled_by`.
pub fn field_label(ui: &mut Ui, text: &str) -> egui::Id {
    ui.add_sized(
        [LABEL_WIDTH, ui.spacing().interact_size.y],
        egui::Label::new(text).halign(egui::Align::Min),
    )
    .id
}

/// A row: label, then the field drawn by `field`, then the issues `relevant` selects.
pub fn row(
    ui: &mut Ui,
    label: &str,
    issues: &[ProfileIssue],
    relevant: impl Fn(&ProfileIssue) -> bool,
    field: impl FnOnce(&mut Ui, egui::Id),
) {
    ui.horizontal(|ui| {
        let id = field_label(ui, label);
        field(ui, id);
    });
    for issue in issues.iter().filter(|i| relevant(i)) {
        issue_ui(ui, &issue.to_string());
    }
}

/// A problem under its field.
pub fn issue_ui(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
        ui.label(RichText::new(text).color(theme::ERROR).small());
    });
}

/// A warning under its field.
pub fn warning_ui(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
        ui.label(
            RichText::new(format!("Warning: {text}"))
                .color(theme::WARNING)
                .small(),
        );
    });
}

/// An optional text (empty means `None`).
pub fn opt_text(
    ui: &mut Ui,
    value: &mut Option<String>,
    hint: &str,
    label: egui::Id,
) -> egui::Response {
    let mut text = value.clone().unwrap_or_default();
    let response = ui
        .add(
            TextEdit::singleline(&mut text)
                .hint_text(hint)
                .desired_width(280.0),
        )
        .labelled_by(label);
    if response.changed() {
        *value = (!text.trim().is_empty()).then_some(text);
    }
    response
}

/// A row with one text field and no issues of its own.
pub fn text_row(ui: &mut Ui, label: &str, value: &mut String, hint: &str) {
    row(
        ui,
        label,
        &[],
        |_| false,
        |ui, id| {
            ui.add(
                TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(200.0),
            )
            .labelled_by(id);
        },
    );
}
