//! The editor's Security section: which redirects a poll follows, which query
//! parameters are secret (besides the default rule), and a CA file to trust.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::profile::{Profile, ProfileIssue, RedirectPolicy};
use crate::ui::widgets::form::{LABEL_WIDTH, opt_text, row};
use crate::ui::widgets::theme;

/// The section's rows.
pub(super) fn security_ui(ui: &mut Ui, p: &mut Profile, issues: &[ProfileIssue]) {
    row(
        ui,
        "Follow redirects",
        issues,
        |_| false,
        |ui, id| {
            redirects_ui(ui, &mut p.redirects, id);
        },
    );
    secret_params_ui(ui, p);
    row(
        ui,
        "CA file",
        issues,
        |_| false,
        |ui, id| ca_file_ui(ui, &mut p.ca_file, id),
    );
}

/// What each policy does, for its hover text.
fn redirect_hint(policy: RedirectPolicy) -> &'static str {
    match policy {
        RedirectPolicy::Never => "A redirect is an error that says where it pointed",
        RedirectPolicy::SameOrigin => "Only to the same scheme, host and port",
        RedirectPolicy::Any => {
            "Anywhere (https → http refused); secret headers and query values are dropped at the first hop to another origin"
        }
    }
}

fn redirect_label(policy: RedirectPolicy) -> &'static str {
    match policy {
        RedirectPolicy::Never => "Never",
        RedirectPolicy::SameOrigin => "Same origin",
        RedirectPolicy::Any => "Any origin",
    }
}

fn redirects_ui(ui: &mut Ui, policy: &mut RedirectPolicy, label: egui::Id) {
    egui::ComboBox::from_id_salt("redirect-policy")
        .selected_text(redirect_label(*policy))
        .show_ui(ui, |ui| {
            for choice in RedirectPolicy::ALL {
                ui.selectable_value(policy, choice, redirect_label(choice))
                    .on_hover_text(redirect_hint(choice));
            }
        })
        .response
        .labelled_by(label)
        .on_hover_text(redirect_hint(*policy));
}

/// One check box per query parameter of the URL: secret or not. Names the default rule
/// already calls secret (token, key, pass…) are ticked and cannot be unticked.
fn secret_params_ui(ui: &mut Ui, p: &mut Profile) {
    let names: Vec<String> = query_names(&p.url);
    ui.horizontal_wrapped(|ui| {
        ui.add_sized(
            [LABEL_WIDTH, ui.spacing().interact_size.y],
            egui::Label::new("Secret query values").halign(egui::Align::Min),
        );
        if names.is_empty() {
            ui.label(RichText::new("the URL has no query parameters").weak());
        }
        for name in names {
            toggle_secret_param(ui, &mut p.secret_params, &name);
        }
    });
}

fn toggle_secret_param(ui: &mut Ui, marks: &mut Vec<String>, name: &str) {
    if crate::redact::secret_name(name) {
        let mut on = true;
        ui.add_enabled(false, egui::Checkbox::new(&mut on, name))
            .on_disabled_hover_text("Secret by its name: always masked");
        return;
    }
    let mut on = marks.iter().any(|m| m == name);
    if ui
        .checkbox(&mut on, name)
        .on_hover_text("Masked on screen, in logs and exports, kept in the keyring")
        .changed()
    {
        if on {
            marks.push(name.to_owned());
        } else {
            marks.retain(|m| m != name);
        }
    }
}

/// The query parameter names of `url`, each once, in order (none when it does not
/// parse).
fn query_names(url: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if let Ok(u) = url::Url::parse(url.trim()) {
        for (k, _) in u.query_pairs() {
            if !k.is_empty() && !names.iter().any(|n| *n == k) {
                names.push(k.into_owned());
            }
        }
    }
    names
}

fn ca_file_ui(ui: &mut Ui, ca_file: &mut Option<PathBuf>, label: egui::Id) {
    let mut text = ca_file.as_ref().map(|p| p.display().to_string());
    if opt_text(
        ui,
        &mut text,
        "/etc/ssl/private-ca.pem (PEM, trusted as well as the system's)",
        label,
    )
    .changed()
    {
        *ca_file = text.map(PathBuf::from);
    }
}

/// A small "insecure" badge for a profile whose certificate checks are off.
pub fn insecure_badge_ui(ui: &mut Ui, p: &Profile) {
    if p.accept_invalid_certs {
        let badge = RichText::new("insecure")
            .small()
            .strong()
            .color(theme::WARNING);
        ui.add(egui::Label::new(badge).selectable(false))
            .on_hover_text(
                "Certificate checks are off for this profile (Accept invalid certificates)",
            );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_are_listed_once_in_order() {
        assert_eq!(
            query_names("http://h/p?b=1&a=2&b=3&=4"),
            vec!["b".to_owned(), "a".to_owned()]
        );
        assert!(query_names("not a url").is_empty());
    }
}
