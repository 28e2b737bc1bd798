//! The profile editor: every field of a [`Profile`], grouped as a request, the long
//! poll, the cursor, the event shape and the connection, with each problem that
//! [`Profile::validate`] or [`Profile::warnings`] finds shown next to its field.
//!
//! Edits a copy of the profile and returns it as an action when it changed; the app
//! hands it to the workspace, which has it saved (by the saver thread). Secret header
//! values are masked unless the user asks to see them.

mod alerts;
mod cursor;
mod request;
mod security;
mod session;
mod timing;

pub use security::insecure_badge_ui;
pub use session::TEST_WAIT;

use egui::{RichText, Ui};

use crate::profile::{MAX_POLLERS, Profile, ProfileIssue, TimeUnit};
use crate::ui::model::entry::connect_issues;
use crate::ui::widgets::form::{field_label, opt_text, row};
use crate::ui::widgets::theme;
use cursor::cursor_rule_ui;
use request::request_ui;
use timing::hold_ui;

/// Editor state that is not part of the profile.
#[derive(Debug, Default)]
pub struct EditorState {
    /// Show secret header values in clear.
    pub show_secrets: bool,
    /// A `Name: value` line being typed.
    pub header_line: String,
    /// Why the line typed was refused.
    pub header_line_error: Option<String>,
    /// "Test once": the run in progress or done.
    pub probe: Option<crate::poll::probe::ProbeRun>,
    /// The name of the profile the run is for.
    pub probe_for: Option<String>,
    /// An alert rule being typed.
    pub rule_line: String,
    /// Why the rule typed was refused.
    pub rule_line_error: Option<String>,
}

/// What the user asked for in the editor.
#[derive(Clone, Debug, PartialEq)]
pub enum EditorAction {
    /// The profile as edited (its name is changed by renaming only).
    Edited(Box<Profile>),
    /// Open the rename dialog.
    Rename,
    /// Run the bootstrap steps and one poll of this profile, on a thread.
    TestOnce(Box<Profile>),
}

/// The editor for `profile`.
pub fn editor_ui(ui: &mut Ui, profile: &Profile, state: &mut EditorState) -> Vec<EditorAction> {
    let mut actions = Vec::new();
    let original = profile;
    let mut edited = original.clone();
    let issues = connect_issues(original);
    let profile = &mut edited;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(860.0);
            summary_ui(ui, profile, &issues);
            section(ui, "Request", |ui| {
                ui.horizontal(|ui| {
                    field_label(ui, "Name");
                    ui.label(RichText::new(&profile.name).strong());
                    if ui.button("Rename…").clicked() {
                        actions.push(EditorAction::Rename);
                    }
                });
                request_ui(ui, profile, state, &issues);
            });
            section(ui, "Long poll", |ui| hold_ui(ui, profile, &issues));
            section(ui, "Cursor", |ui| cursor_rule_ui(ui, profile, &issues));
            section(ui, "Events", |ui| events_ui(ui, profile, &issues));
            section(ui, "Session", |ui| {
                session::session_ui(ui, profile, state, &issues, &mut actions);
            });
            section(ui, "Connection", |ui| connection_ui(ui, profile, &issues));
            section(ui, "Security", |ui| {
                security::security_ui(ui, profile, &issues);
            });
            section(ui, "Alerts", |ui| alerts::alerts_ui(ui, profile, state));
        });
    if edited != *original {
        actions.push(EditorAction::Edited(Box::new(edited)));
    }
    actions
}

/// "Ready to connect", or the number of problems; and every warning.
fn summary_ui(ui: &mut Ui, profile: &Profile, issues: &[ProfileIssue]) {
    if issues.is_empty() {
        ui.label(RichText::new("Ready to connect").color(theme::EVENTS));
    } else {
        let n = issues.len();
        let s = if n == 1 { "" } else { "s" };
        ui.label(
            RichText::new(format!("{n} problem{s} to fix before connecting")).color(theme::ERROR),
        );
    }
    for w in profile.warnings() {
        ui.label(RichText::new(format!("Warning: {w}")).color(theme::WARNING));
    }
}

fn section(ui: &mut Ui, title: &str, body: impl FnOnce(&mut Ui)) {
    ui.add_space(10.0);
    ui.label(RichText::new(title).strong().size(15.0));
    ui.separator();
    body(ui);
}

fn pointer_issue(field: &'static str) -> impl Fn(&ProfileIssue) -> bool {
    move |i| matches!(i, ProfileIssue::BadPointer { field: f, .. } if *f == field)
}

fn events_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Events pointer",
        issues,
        pointer_issue("events"),
        |ui, id| {
            opt_text(
                ui,
                &mut p.events_pointer,
                "/events (empty: the body is one event)",
                id,
            )
            .on_hover_text(
                "A JSON pointer to the events array. * stands for every key or item; /* \
                 takes each item of a body that is an array. An answer without it has no \
                 events.",
            );
        },
    );
    row(
        ui,
        "Decoder",
        issues,
        |_| false,
        |ui, id| session::decoder_ui(ui, &mut p.decoder, "decoder", id),
    );
    row(
        ui,
        "Sequence pointer",
        issues,
        pointer_issue("sequence"),
        |ui, id| {
            opt_text(ui, &mut p.seq_pointer, "/seq (to detect lost events)", id);
        },
    );
    row(
        ui,
        "Timestamp pointer",
        issues,
        pointer_issue("timestamp"),
        |ui, id| {
            opt_text(ui, &mut p.timestamp_pointer, "/ts (for latency)", id);
            egui::ComboBox::from_id_salt("ts-unit")
                .selected_text(time_unit_label(p.timestamp_unit))
                .show_ui(ui, |ui| {
                    for u in [TimeUnit::Seconds, TimeUnit::Millis, TimeUnit::Micros] {
                        ui.selectable_value(&mut p.timestamp_unit, u, time_unit_label(u));
                    }
                })
                .response
                .labelled_by(id);
        },
    );
}

fn time_unit_label(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Seconds => "seconds",
        TimeUnit::Millis => "milliseconds",
        TimeUnit::Micros => "microseconds",
    }
}

fn connection_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Pollers",
        issues,
        |i| matches!(i, ProfileIssue::BadPollers(_)),
        |ui, id| {
            ui.add(egui::DragValue::new(&mut p.pollers).range(1..=MAX_POLLERS))
                .labelled_by(id)
                .on_hover_text(
                    "Independent clients, each with its own cursor, sharing one keep-alive pool",
                );
        },
    );
    row(
        ui,
        "Keep-alive",
        issues,
        |_| false,
        |ui, _| {
            ui.checkbox(&mut p.keep_alive, "Reuse connections between polls");
        },
    );
    limits_ui(ui, p, issues);
}

/// The Connection section's limits: body size, Retry-After pointer, TLS.
fn limits_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Max body",
        issues,
        |i| matches!(i, ProfileIssue::BadMaxBody),
        |ui, id| {
            let mut kib = p.max_body_bytes / 1024;
            if ui
                .add(
                    egui::DragValue::new(&mut kib)
                        .range(1..=1_048_576)
                        .suffix(" KiB"),
                )
                .labelled_by(id)
                .changed()
            {
                p.max_body_bytes = kib.max(1) * 1024;
            }
        },
    );
    row(
        ui,
        "Retry-After pointer",
        issues,
        pointer_issue("retry-after"),
        |ui, id| {
            opt_text(
                ui,
                &mut p.retry_after_pointer,
                "/parameters/retry_after (error bodies)",
                id,
            );
        },
    );
    row(
        ui,
        "TLS",
        issues,
        |_| false,
        |ui, _| {
            ui.checkbox(
                &mut p.accept_invalid_certs,
                "Accept invalid certificates (test servers only)",
            );
        },
    );
}
