//! The editor's Alerts section: the profile's alert rules (the text the CLI's
//! `--alert` takes), when it counts as quiet, and whether alerts raise desktop
//! notifications.

use egui::{RichText, TextEdit, Ui};

use crate::alert::Rule;
use crate::profile::Profile;
use crate::ui::widgets::form::{LABEL_WIDTH, field_label, issue_ui};

use super::EditorState;

/// Example rules, for the hint.
const HINT: &str =
    "quiet>30s, stalled>10s, errors>5%/1m, p99>200ms, lost>0, reuse<90%, hold<20s, conns>10";

/// The Alerts section.
pub(super) fn alerts_ui(ui: &mut Ui, p: &mut Profile, state: &mut EditorState) {
    let mut remove = None;
    for (i, rule) in p.alerts.rules.iter().enumerate() {
        ui.horizontal(|ui| {
            if i == 0 {
                field_label(ui, "Rules");
            } else {
                ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
            }
            ui.label(RichText::new(rule.to_string()).monospace());
            if ui
                .small_button("Remove")
                .on_hover_text("Remove this rule")
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        p.alerts.rules.remove(i);
    }
    ui.horizontal(|ui| {
        let label = field_label(ui, "New rule");
        let line = ui
            .add(
                TextEdit::singleline(&mut state.rule_line)
                    .hint_text("Add a rule: quiet>30s")
                    .desired_width(336.0),
            )
            .labelled_by(label)
            .on_hover_text(HINT);
        let enter = line.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add rule").clicked() || enter {
            add_rule(p, state);
        }
    });
    if let Some(e) = &state.rule_line_error {
        issue_ui(ui, e);
    }
    ui.horizontal(|ui| {
        let id = field_label(ui, "Quiet after");
        let mut custom = p.alerts.quiet_after_s.is_some();
        if ui
            .checkbox(&mut custom, "custom")
            .labelled_by(id)
            .on_hover_text("Without it: learned from the event rate, at least 10 s")
            .changed()
        {
            p.alerts.quiet_after_s = custom.then_some(30.0);
        }
        if let Some(s) = &mut p.alerts.quiet_after_s {
            ui.add(
                egui::DragValue::new(s)
                    .range(1.0..=86_400.0)
                    .speed(1.0)
                    .suffix(" s"),
            );
        } else {
            ui.label(RichText::new("learned from the event rate").weak());
        }
    });
    ui.horizontal(|ui| {
        let id = field_label(ui, "Notifications");
        ui.checkbox(
            &mut p.alerts.notify,
            "desktop notification when a rule fires or resolves",
        )
        .labelled_by(id);
    });
}

fn add_rule(p: &mut Profile, state: &mut EditorState) {
    let text = state.rule_line.trim();
    if text.is_empty() {
        return;
    }
    match text.parse::<Rule>() {
        Ok(rule) => {
            p.alerts.rules.push(rule);
            state.rule_line.clear();
            state.rule_line_error = None;
        }
        Err(e) => state.rule_line_error = Some(e.to_string()),
    }
}
