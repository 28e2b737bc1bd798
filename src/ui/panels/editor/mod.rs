//! The profile editor: every field of a [`Profile`], grouped as a request, the long
//! poll, the cursor, the event shape and the connection, with each problem that
//! [`Profile::validate`] or [`Profile::warnings`] finds shown next to its field.
//!
//! Edits a copy of the profile and returns it as an action when it changed; the app
//! hands it to the workspace, which has it saved (by the saver thread). Secret header
//! values are masked unless the user asks to see them.

mod cursor;
mod session;

pub use session::TEST_WAIT;

use egui::{RichText, TextEdit, Ui};

use crate::profile::{
    HeaderSpec, HoldParam, HoldUnit, MAX_POLLERS, PROXY_CUT_WARNING_S, Profile, ProfileIssue,
    TimeUnit,
};
use crate::ui::model::entry::connect_issues;
use crate::ui::widgets::form::{LABEL_WIDTH, field_label, issue_ui, opt_text, row, warning_ui};
use crate::ui::widgets::theme;
use cursor::cursor_rule_ui;

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

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

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

fn request_ui(ui: &mut Ui, p: &mut Profile, state: &mut EditorState, issues: &[ProfileIssue]) {
    ui.horizontal(|ui| {
        field_label(ui, "Embedded demo server");
        ui.checkbox(
            &mut p.builtin_demo,
            "Poll the demo server built into Pollscope",
        )
        .on_hover_text("Its address is filled in when connecting (the port changes per run)");
    });
    row(
        ui,
        "URL",
        issues,
        |i| matches!(i, ProfileIssue::BadUrl { .. }),
        |ui, id| {
            if p.builtin_demo {
                ui.label(
                    RichText::new("the embedded server's address, filled in when connecting")
                        .weak(),
                );
            } else {
                url_field_ui(ui, &mut p.url, &mut state.show_secrets, id);
            }
        },
    );
    row(
        ui,
        "Method",
        issues,
        |i| matches!(i, ProfileIssue::BadMethod(_)),
        |ui, id| {
            egui::ComboBox::from_id_salt("method")
                .selected_text(p.method.as_str())
                .show_ui(ui, |ui| {
                    for m in METHODS {
                        ui.selectable_value(&mut p.method, m.to_owned(), m);
                    }
                })
                .response
                .labelled_by(id);
        },
    );
    headers_ui(ui, p, state, issues);
    let label = ui
        .horizontal(|ui| {
            let id = field_label(ui, "Body");
            let mut has_body = p.body.is_some();
            if ui.checkbox(&mut has_body, "Send a request body").changed() {
                p.body = has_body.then(String::new);
            }
            id
        })
        .inner;
    if let Some(body) = &mut p.body {
        ui.horizontal(|ui| {
            ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add(
                TextEdit::multiline(body)
                    .code_editor()
                    .desired_rows(3)
                    .hint_text("{\"request\": \"body\"}")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label);
        });
    }
}

/// The URL; one that carries a secret (a token in the path or query) is shown masked
/// until the user asks to see secrets.
fn url_field_ui(ui: &mut Ui, url: &mut String, show_secrets: &mut bool, label: egui::Id) {
    let masked = crate::redact::url(url);
    // Masking also normalises the URL, so look for the mask, not for a difference.
    let mask = crate::redact::MASK;
    if !*show_secrets && masked.contains(mask) && !url.contains(mask) {
        ui.label(RichText::new(masked).monospace())
            .on_hover_text("The URL holds a secret (a token); it is masked");
        if ui.button("Show to edit").clicked() {
            *show_secrets = true;
        }
        return;
    }
    ui.add(
        TextEdit::singleline(url)
            .hint_text("https://example.com/updates")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label);
}

fn headers_ui(ui: &mut Ui, p: &mut Profile, state: &mut EditorState, issues: &[ProfileIssue]) {
    let label = ui
        .horizontal(|ui| {
            let id = field_label(ui, "Headers");
            ui.checkbox(&mut state.show_secrets, "Show secret values");
            id
        })
        .inner;
    let mut remove = None;
    for (i, h) in p.headers.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add(
                TextEdit::singleline(&mut h.name)
                    .hint_text("Name")
                    .desired_width(160.0),
            );
            let masked = h.secret && !state.show_secrets;
            ui.add(
                TextEdit::singleline(&mut h.value)
                    .hint_text("value")
                    .password(masked)
                    .desired_width(260.0),
            );
            ui.checkbox(&mut h.secret, "secret")
                .on_hover_text("Masked on screen and never logged");
            if ui.button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        p.headers.remove(i);
    }
    for issue in issues
        .iter()
        .filter(|i| matches!(i, ProfileIssue::BadHeader { .. }))
    {
        issue_ui(ui, &issue.to_string());
    }
    ui.horizontal(|ui| {
        ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
        let line = ui
            .add(
                TextEdit::singleline(&mut state.header_line)
                    .hint_text("Add a header: Name: value")
                    .desired_width(336.0),
            )
            .labelled_by(label);
        let enter = line.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add header").clicked() || enter {
            add_header_line(p, state);
        }
    });
    if let Some(e) = &state.header_line_error {
        issue_ui(ui, e);
    }
}

fn add_header_line(p: &mut Profile, state: &mut EditorState) {
    match HeaderSpec::parse_line(&state.header_line) {
        Ok(h) => {
            p.headers.push(h);
            state.header_line.clear();
            state.header_line_error = None;
        }
        Err(e) => state.header_line_error = Some(e.to_string()),
    }
}

fn hold_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
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
            match &mut p.client_timeout_s {
                Some(s) => {
                    ui.add(
                        egui::DragValue::new(s)
                            .range(0.1..=86_400.0)
                            .speed(0.5)
                            .suffix(" s"),
                    );
                }
                None => {
                    let auto = p.client_timeout().as_secs_f64();
                    ui.label(RichText::new(format!("hold + margin = {auto:.0} s")).weak());
                }
            }
        },
    );
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
