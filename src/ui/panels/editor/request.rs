//! The editor's Request section: the embedded demo server or a URL (masked while it
//! holds a secret), the method, headers (secret values masked), and the body.

use egui::{RichText, TextEdit, Ui};

use super::EditorState;
use crate::header::HeaderSpec;
use crate::profile::{Profile, ProfileIssue};
use crate::ui::widgets::form::{LABEL_WIDTH, field_label, issue_ui, row};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The Request section's rows (after the name).
pub(super) fn request_ui(
    ui: &mut Ui,
    p: &mut Profile,
    state: &mut EditorState,
    issues: &[ProfileIssue],
) {
    ui.horizontal(|ui| {
        field_label(ui, "Embedded demo server");
        ui.checkbox(
            &mut p.builtin_demo,
            "Poll the demo server built into Pollscope",
        )
        .on_hover_text("Its address is filled in when connecting (the port changes per run)");
    });
    // Nothing to complain about before anything is typed (Connect says why it is off).
    let url_typed = p.builtin_demo || !p.url.trim().is_empty();
    row(
        ui,
        "URL",
        issues,
        |i| {
            url_typed
                && matches!(
                    i,
                    ProfileIssue::BadUrl { .. } | ProfileIssue::Placeholder { .. }
                )
        },
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
    body_ui(ui, p);
}

/// "Send a request body", and the body, labelled "Body".
fn body_ui(ui: &mut Ui, p: &mut Profile) {
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
    // `localhost:8080/poll` reads as a URL of scheme "localhost": offer the http://.
    let suggestion = with_scheme(url);
    let width = if suggestion.is_some() {
        ui.available_width() - 110.0
    } else {
        f32::INFINITY
    };
    ui.add(
        TextEdit::singleline(url)
            .hint_text("https://example.com/updates")
            .desired_width(width),
    )
    .labelled_by(label);
    if let Some(fixed) = suggestion
        && ui
            .button("Add http://")
            .on_hover_text(format!("Use {fixed}"))
            .clicked()
    {
        *url = fixed;
    }
}

/// `text` with `http://` in front, when it has no scheme and that makes a URL with a
/// host (`localhost:8080/poll`, `example.com/updates`).
fn with_scheme(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.contains("://") || t.starts_with('{') {
        return None;
    }
    let fixed = format!("http://{t}");
    url::Url::parse(&fixed)
        .ok()
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
        .map(|_| fixed)
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

#[cfg(test)]
mod tests {
    use super::with_scheme;

    #[test]
    fn a_url_without_scheme_is_offered_http() {
        assert_eq!(
            with_scheme(" localhost:8080/poll ").as_deref(),
            Some("http://localhost:8080/poll")
        );
        assert_eq!(with_scheme("https://x.example/"), None);
        assert_eq!(with_scheme(""), None);
        assert_eq!(with_scheme("not a url"), None, "spaces make no host");
    }
}
