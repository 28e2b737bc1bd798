//! The session part of the profile editor: variables, bootstrap steps, the conditions
//! that make control messages, replies, restarts and failures, and "Test once", which
//! runs the bootstrap and one poll off the UI thread and shows every request and answer.
//!
//! Edits the profile in place; problems come from [`Profile::validate`] like everywhere
//! else in the editor.

use std::time::Duration;

use egui::{RichText, TextEdit, Ui};

use super::{EditorAction, EditorState};
use crate::header::HeaderSpec;
use crate::poll::probe::{Exchange, Probe};
use crate::profile::{Profile, ProfileIssue};
use crate::protocol::{Decoder, Extract, Fresh, Match, Reply, RequestSpec, Step, Variable};
use crate::ui::widgets::form::{LABEL_WIDTH, field_label, issue_ui, row};
use crate::ui::widgets::theme;

/// How long "Test once" waits for the poll's answer.
pub const TEST_WAIT: Duration = Duration::from_secs(10);

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The decoder menu, for the Events section.
pub(super) fn decoder_ui(ui: &mut Ui, decoder: &mut Decoder, salt: &str, label: egui::Id) {
    egui::ComboBox::from_id_salt(salt)
        .selected_text(decoder.name())
        .show_ui(ui, |ui| {
            for d in Decoder::ALL {
                ui.selectable_value(decoder, d, d.name())
                    .on_hover_text(d.summary());
            }
        })
        .response
        .labelled_by(label)
        .on_hover_text(decoder.summary());
}

/// The Session section.
pub(super) fn session_ui(
    ui: &mut Ui,
    p: &mut Profile,
    state: &mut EditorState,
    issues: &[ProfileIssue],
    actions: &mut Vec<EditorAction>,
) {
    ui.label(
        RichText::new(
            "Variables go anywhere in the request as {{name}}; bootstrap steps run before \
             polling and again when the server ends the session.",
        )
        .weak(),
    );
    for issue in issues
        .iter()
        .filter(|i| matches!(i, ProfileIssue::BadProtocol(_)))
    {
        issue_ui(ui, &issue.to_string());
    }
    variables_ui(ui, &mut p.variables, state.show_secrets);
    ui.add_space(6.0);
    steps_ui(ui, &mut p.session.bootstrap, state.show_secrets);
    ui.add_space(6.0);
    conditions_ui(ui, p);
    ui.add_space(6.0);
    test_once_ui(ui, p, state, issues, actions);
}

fn variables_ui(ui: &mut Ui, vars: &mut Vec<Variable>, show_secrets: bool) {
    field_label(ui, "Variables");
    let mut remove = None;
    for (i, v) in vars.iter_mut().enumerate() {
        ui.push_id(("var", i), |ui| {
            ui.horizontal(|ui| {
                indent(ui);
                ui.add(
                    TextEdit::singleline(&mut v.name)
                        .hint_text("name")
                        .desired_width(120.0),
                );
                let mut fresh = v.fresh.is_some();
                if fresh {
                    fresh_ui(ui, &mut v.fresh);
                } else {
                    ui.add(
                        TextEdit::singleline(&mut v.value)
                            .hint_text("value")
                            .password(v.secret && !show_secrets)
                            .desired_width(200.0),
                    );
                }
                if ui
                    .checkbox(&mut fresh, "new each session")
                    .on_hover_text("A random value drawn at every session start (SockJS ids)")
                    .changed()
                {
                    v.fresh = fresh.then_some(Fresh::Alnum { len: 12 });
                }
                ui.checkbox(&mut v.secret, "secret");
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        vars.remove(i);
    }
    ui.horizontal(|ui| {
        indent(ui);
        if ui.button("Add variable").clicked() {
            vars.push(Variable::new(&format!("var{}", vars.len() + 1), ""));
        }
        ui.label(
            RichText::new("also set by Pollscope: cursor, etag, last_modified, poller, now_ms, rs")
                .weak()
                .small(),
        );
    });
}

fn fresh_ui(ui: &mut Ui, fresh: &mut Option<Fresh>) {
    let Some(f) = fresh else {
        return;
    };
    let (mut digits, mut len) = match *f {
        Fresh::Digits { len } => (true, len),
        Fresh::Alnum { len } => (false, len),
    };
    let label = ui.label("length").id;
    ui.add(egui::DragValue::new(&mut len).range(1..=64))
        .labelled_by(label);
    ui.checkbox(&mut digits, "digits only");
    *f = if digits {
        Fresh::Digits { len }
    } else {
        Fresh::Alnum { len }
    };
}

fn steps_ui(ui: &mut Ui, steps: &mut Vec<Step>, show_secrets: bool) {
    field_label(ui, "Bootstrap steps");
    let mut action = None;
    let n = steps.len();
    for (i, step) in steps.iter_mut().enumerate() {
        let title = crate::protocol::spec::step_label(i, &step.name);
        egui::CollapsingHeader::new(title)
            .id_salt(("step", i))
            .default_open(false)
            .show(ui, |ui| {
                step_ui(ui, step, show_secrets);
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(i > 0, egui::Button::new("Move up"))
                        .clicked()
                    {
                        action = Some((i, -1));
                    }
                    if ui
                        .add_enabled(i + 1 < n, egui::Button::new("Move down"))
                        .clicked()
                    {
                        action = Some((i, 1));
                    }
                    if ui.button("Remove step").clicked() {
                        action = Some((i, 0));
                    }
                });
            });
    }
    match action {
        Some((i, 0)) => {
            steps.remove(i);
        }
        Some((i, -1)) => steps.swap(i, i - 1),
        Some((i, _)) => steps.swap(i, i + 1),
        None => {}
    }
    ui.horizontal(|ui| {
        indent(ui);
        if ui.button("Add step").clicked() {
            steps.push(Step {
                name: format!("step {}", steps.len() + 1),
                request: RequestSpec::new("POST", "", None),
                ..Step::default()
            });
        }
        if steps.is_empty() {
            ui.label(RichText::new("none: a plain long poll").weak());
        }
    });
}

fn step_ui(ui: &mut Ui, step: &mut Step, show_secrets: bool) {
    ui.horizontal(|ui| {
        let id = field_label(ui, "Name");
        ui.add(TextEdit::singleline(&mut step.name).desired_width(200.0))
            .labelled_by(id);
    });
    request_ui(ui, &mut step.request, show_secrets);
    ui.horizontal(|ui| {
        let id = field_label(ui, "Answer decoder");
        decoder_ui(ui, &mut step.decoder, "step-decoder", id);
    });
    extracts_ui(ui, &mut step.extract);
    matches_ui(ui, "Fails when", &mut step.fail_when, false);
}

fn request_ui(ui: &mut Ui, r: &mut RequestSpec, show_secrets: bool) {
    ui.horizontal(|ui| {
        let id = field_label(ui, "Request");
        egui::ComboBox::from_id_salt("method")
            .selected_text(r.method.as_str())
            .show_ui(ui, |ui| {
                for m in METHODS {
                    ui.selectable_value(&mut r.method, m.to_owned(), m);
                }
            })
            .response
            .labelled_by(id);
        ui.add(
            TextEdit::singleline(&mut r.url)
                .hint_text("URL (empty: the poll URL; relative: resolved against it)")
                .desired_width(f32::INFINITY),
        );
    });
    let mut remove = None;
    for (i, h) in r.headers.iter_mut().enumerate() {
        ui.push_id(("header", i), |ui| {
            ui.horizontal(|ui| {
                indent(ui);
                ui.add(
                    TextEdit::singleline(&mut h.name)
                        .hint_text("Name")
                        .desired_width(140.0),
                );
                ui.add(
                    TextEdit::singleline(&mut h.value)
                        .hint_text("value or {{variable}}")
                        .password(h.secret && !show_secrets)
                        .desired_width(220.0),
                );
                ui.checkbox(&mut h.secret, "secret");
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        r.headers.remove(i);
    }
    ui.horizontal(|ui| {
        indent(ui);
        if ui.button("Add header").clicked() {
            r.headers
                .push(HeaderSpec::new("Content-Type", "application/json"));
        }
        let mut has_body = r.body.is_some();
        if ui.checkbox(&mut has_body, "body").changed() {
            r.body = has_body.then(String::new);
        }
    });
    if let Some(body) = &mut r.body {
        ui.horizontal(|ui| {
            indent(ui);
            ui.add(
                TextEdit::multiline(body)
                    .code_editor()
                    .desired_rows(2)
                    .hint_text("{\"clientId\": {{clientId|json}}}")
                    .desired_width(f32::INFINITY),
            );
        });
    }
}

fn extracts_ui(ui: &mut Ui, extracts: &mut Vec<Extract>) {
    ui.horizontal(|ui| {
        field_label(ui, "Sets variables");
        if ui.button("Add").clicked() {
            extracts.push(Extract::pointer("name", "/pointer", false));
        }
    });
    let mut remove = None;
    for (i, e) in extracts.iter_mut().enumerate() {
        ui.push_id(("extract", i), |ui| {
            ui.horizontal(|ui| {
                indent(ui);
                ui.add(
                    TextEdit::singleline(&mut e.var)
                        .hint_text("variable")
                        .desired_width(110.0),
                );
                ui.label("from");
                let mut from_header = e.header.is_some();
                if ui.checkbox(&mut from_header, "header").changed() {
                    if from_header {
                        e.header = Some(e.pointer.take().unwrap_or_default());
                    } else {
                        e.pointer = Some(e.header.take().unwrap_or_default());
                    }
                }
                let text = if from_header {
                    &mut e.header
                } else {
                    &mut e.pointer
                };
                let text = text.get_or_insert_with(String::new);
                let hint = if from_header {
                    "Header-Name"
                } else {
                    "/json/pointer"
                };
                ui.add(
                    TextEdit::singleline(text)
                        .hint_text(hint)
                        .desired_width(180.0),
                );
                ui.checkbox(&mut e.secret, "secret");
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        extracts.remove(i);
    }
}

/// A list of conditions. `answers`: conditions may name an HTTP status.
fn matches_ui(ui: &mut Ui, label: &str, list: &mut Vec<Match>, answers: bool) {
    ui.horizontal(|ui| {
        field_label(ui, label);
        if ui.button("Add").clicked() {
            list.push(Match::equals("/type", ""));
        }
        if list.is_empty() {
            ui.label(RichText::new("none").weak());
        }
    });
    let mut remove = None;
    for (i, m) in list.iter_mut().enumerate() {
        ui.push_id((label, i), |ui| {
            ui.horizontal(|ui| {
                indent(ui);
                match_ui(ui, m, answers);
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        list.remove(i);
    }
}

fn match_ui(ui: &mut Ui, m: &mut Match, answers: bool) {
    if answers {
        let mut on = m.status.is_some();
        let check = ui
            .checkbox(&mut on, "HTTP")
            .on_hover_text("About the whole answer with this status (its body read as JSON)");
        if check.changed() {
            m.status = on.then_some(400);
        }
        if let Some(s) = &mut m.status {
            ui.add(egui::DragValue::new(s).range(100..=599))
                .labelled_by(check.id)
                .on_hover_text("HTTP status");
        }
    }
    ui.add(
        TextEdit::singleline(&mut m.pointer)
            .hint_text("/pointer (empty: all)")
            .desired_width(140.0),
    );
    let mode = if m.absent {
        "absent"
    } else if m.prefix.is_some() {
        "starts with"
    } else if m.equals.is_some() {
        "="
    } else {
        "present"
    };
    let mut chosen = mode;
    let test = ui.label("is").id;
    egui::ComboBox::from_id_salt("mode")
        .selected_text(mode)
        .width(90.0)
        .show_ui(ui, |ui| {
            for choice in ["=", "starts with", "present", "absent"] {
                ui.selectable_value(&mut chosen, choice, choice);
            }
        })
        .response
        .labelled_by(test);
    if chosen != mode {
        let value = m
            .equals
            .take()
            .or_else(|| m.prefix.take())
            .unwrap_or_default();
        m.absent = chosen == "absent";
        match chosen {
            "=" => m.equals = Some(value),
            "starts with" => m.prefix = Some(value),
            _ => {}
        }
    }
    if let Some(v) = m.equals.as_mut().or(m.prefix.as_mut()) {
        ui.add(
            TextEdit::singleline(v)
                .hint_text("value")
                .desired_width(120.0),
        );
    }
}

fn conditions_ui(ui: &mut Ui, p: &mut Profile) {
    let s = &mut p.session;
    matches_ui(ui, "Control messages", &mut s.control, false);
    replies_ui(ui, &mut s.replies);
    matches_ui(ui, "Session gone when", &mut s.restart_when, true);
    matches_ui(ui, "Failure when", &mut s.fail_when, false);
    row(
        ui,
        "Advised delay",
        &[],
        |_| false,
        |ui, id| {
            crate::ui::widgets::form::opt_text(
                ui,
                &mut s.delay_ms_pointer,
                "/advice/interval (ms, in a message)",
                id,
            );
        },
    );
}

fn replies_ui(ui: &mut Ui, replies: &mut Vec<Reply>) {
    ui.horizontal(|ui| {
        field_label(ui, "Replies");
        if ui.button("Add").clicked() {
            replies.push(Reply {
                when: Match::equals("/type", "ping"),
                request: RequestSpec::new("POST", "", Some("")),
            });
        }
        if replies.is_empty() {
            ui.label(RichText::new("none").weak());
        }
    });
    let mut remove = None;
    for (i, r) in replies.iter_mut().enumerate() {
        ui.push_id(("reply", i), |ui| {
            ui.horizontal(|ui| {
                indent(ui);
                ui.label("when");
                match_ui(ui, &mut r.when, false);
                ui.label("send");
                ui.add(TextEdit::singleline(&mut r.request.method).desired_width(50.0));
                ui.add(
                    TextEdit::singleline(&mut r.request.url)
                        .hint_text("URL (empty: poll URL)")
                        .desired_width(140.0),
                );
                let body = r.request.body.get_or_insert_with(String::new);
                ui.add(
                    TextEdit::singleline(body)
                        .hint_text("body")
                        .desired_width(100.0),
                );
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        replies.remove(i);
    }
}

/// The button (the app starts the run), the run in progress, and the last result.
fn test_once_ui(
    ui: &mut Ui,
    p: &Profile,
    state: &mut EditorState,
    issues: &[ProfileIssue],
    actions: &mut Vec<EditorAction>,
) {
    if state.probe_for.as_deref() != Some(p.name.as_str()) {
        state.probe = None;
    }
    let running = state.probe.as_mut().is_some_and(|r| r.result().is_none());
    ui.horizontal(|ui| {
        field_label(ui, "Test once");
        let button = ui
            .add_enabled(
                issues.is_empty() && !running,
                egui::Button::new("Test once"),
            )
            .on_hover_text(
                "Run the bootstrap steps and one poll (waiting at most 10 s) and show every \
                 request and answer",
            );
        if button.clicked() {
            actions.push(EditorAction::TestOnce(Box::new(p.clone())));
        }
        if running {
            ui.spinner();
            if let Some(r) = &state.probe {
                ui.label(format!("running… {:.0} s", r.elapsed().as_secs_f64()));
            }
        }
    });
    if let Some(probe) = state.probe.as_mut().and_then(|r| r.result()) {
        probe_ui(ui, probe);
    }
}

fn probe_ui(ui: &mut Ui, probe: &Probe) {
    let color = if probe.ok {
        theme::EVENTS
    } else {
        theme::ERROR
    };
    ui.horizontal_wrapped(|ui| {
        indent(ui);
        ui.label(RichText::new(&probe.outcome).color(color));
    });
    if !probe.variables.is_empty() {
        ui.horizontal_wrapped(|ui| {
            indent(ui);
            let vars: Vec<String> = probe
                .variables
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            ui.label(RichText::new(vars.join(", ")).monospace().small());
        });
    }
    for (i, e) in probe.exchanges.iter().enumerate() {
        let status = e
            .status
            .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
        egui::CollapsingHeader::new(format!(
            "{}: {}, {status} in {}",
            e.label,
            e.request_line,
            crate::present::units::duration(e.elapsed)
        ))
        .id_salt(("exchange", i))
        .show(ui, |ui| exchange_ui(ui, e));
    }
}

fn exchange_ui(ui: &mut Ui, e: &Exchange) {
    let mut text = format!("{}\n", e.request_line);
    for (k, v) in &e.request_headers {
        text.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(b) = &e.request_body {
        text.push_str(&format!("\n{}\n", b.replace('\u{1e}', "<RS>")));
    }
    text.push_str("\n-- answer --\n");
    match (&e.status, &e.error) {
        (_, Some(err)) => text.push_str(&format!("error: {err}\n")),
        (Some(s), None) => {
            text.push_str(&format!("HTTP {s}\n"));
            for (k, v) in &e.response_headers {
                text.push_str(&format!("{k}: {v}\n"));
            }
            text.push_str(&format!("\n{}", e.response_body.replace('\u{1e}', "<RS>")));
        }
        (None, None) => {}
    }
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .id_salt("exchange-text")
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(text).monospace().small()).selectable(true));
        });
}

fn indent(ui: &mut Ui) {
    ui.add_space(LABEL_WIDTH + ui.spacing().item_spacing.x);
}
