//! Modal dialogs: renaming a profile, confirming its deletion, the keyboard shortcuts
//! help, and where to export to or import from (a path field: no file-dialog crate).

use egui::{Context, RichText};

use crate::ui::model::notice;
use crate::ui::model::transfer::ExportKind;
use crate::ui::model::workspace::{EntryId, Workspace};
use crate::ui::widgets::theme;

/// The dialog on screen, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialog {
    Rename {
        id: EntryId,
        name: String,
        error: Option<String>,
    },
    Delete {
        id: EntryId,
    },
    /// Paste a curl command (e.g. "Copy as cURL" from a browser) to make a profile.
    ImportCurl {
        command: String,
        error: Option<String>,
    },
    Shortcuts,
    /// Where to export `kind` to; profiles may include secrets when asked.
    Export {
        kind: ExportKind,
        path: String,
        include_secrets: bool,
        error: Option<String>,
    },
    /// Which profiles file to import.
    ImportProfiles {
        path: String,
        error: Option<String>,
    },
}

/// The shortcuts, as shown in the help dialog and the README.
pub const SHORTCUTS: [(&str, &str); 12] = [
    ("Ctrl+N", "new profile"),
    ("Ctrl+D", "duplicate the selected profile"),
    ("F2", "rename the selected profile"),
    ("Ctrl+Enter", "connect / disconnect the selected profile"),
    ("Ctrl+1", "monitor view (charts and feed)"),
    ("Ctrl+2", "profile editor"),
    (
        "Ctrl+3",
        "compare keep-alive, no keep-alive and short polling",
    ),
    ("Ctrl+F", "filter the feed"),
    ("Ctrl+P", "pause / resume the feed"),
    ("Esc", "close the event detail or a dialog"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
];

/// Show `dialog`; clears it when the dialog is done. Returns a profile it created.
pub fn dialog_ui(
    ctx: &Context,
    dialog: &mut Option<Dialog>,
    ws: &mut Workspace,
) -> Option<EntryId> {
    let current = dialog.as_mut()?;
    let mut created = None;
    let done = match current {
        Dialog::Rename { id, name, error } => rename_ui(ctx, *id, name, error, ws),
        Dialog::Delete { id } => delete_ui(ctx, *id, ws),
        Dialog::ImportCurl { command, error } => {
            import_curl_ui(ctx, command, error, ws, &mut created)
        }
        Dialog::Shortcuts => shortcuts_ui(ctx),
        Dialog::Export {
            kind,
            path,
            include_secrets,
            error,
        } => export_ui(ctx, *kind, path, include_secrets, error, ws),
        Dialog::ImportProfiles { path, error } => import_ui(ctx, path, error, ws),
    };
    if done {
        *dialog = None;
    }
    created
}

fn rename_ui(
    ctx: &Context,
    id: EntryId,
    name: &mut String,
    error: &mut Option<String>,
    ws: &mut Workspace,
) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("rename-dialog")).show(ctx, |ui| {
        ui.set_width(360.0);
        ui.heading("Rename profile");
        let label = ui.label("New name");
        let edit = ui
            .add(egui::TextEdit::singleline(name).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        if !edit.has_focus() && !edit.lost_focus() {
            edit.request_focus();
        }
        if let Some(e) = error {
            ui.label(RichText::new(e.as_str()).color(theme::ERROR).small());
        }
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            if ui.button("Save name").clicked() || enter {
                match ws.rename(id, name) {
                    Ok(()) => done = true,
                    Err(e) => *error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
    });
    done || modal.should_close()
}

fn delete_ui(ctx: &Context, id: EntryId, ws: &mut Workspace) -> bool {
    let Some(name) = ws.get(id).map(|e| e.profile.name.clone()) else {
        return true;
    };
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("delete-dialog")).show(ctx, |ui| {
        ui.set_width(360.0);
        ui.heading("Delete profile?");
        ui.label(format!(
            "“{name}” will be disconnected and deleted. This cannot be undone."
        ));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let delete =
                egui::Button::new(RichText::new("Delete profile").color(egui::Color32::WHITE))
                    .fill(theme::ERROR);
            if ui.add(delete).clicked() {
                ws.delete(id);
                done = true;
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
    });
    done || modal.should_close()
}

fn import_curl_ui(
    ctx: &Context,
    command: &mut String,
    error: &mut Option<String>,
    ws: &mut Workspace,
    created: &mut Option<EntryId>,
) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("curl-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading("New profile from a curl command");
        let label = ui.label("Paste a curl command (for example from a browser's Copy as cURL)");
        ui.add(
            egui::TextEdit::multiline(command)
                .code_editor()
                .desired_rows(5)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        if let Some(e) = error {
            ui.label(RichText::new(e.as_str()).color(theme::ERROR).small());
        }
        ui.horizontal(|ui| {
            if ui.button("Create profile").clicked() {
                match crate::curl_import::parse(command) {
                    Ok(mut import) => {
                        // The name comes from the URL's path, which may hold a token.
                        import.profile.name = crate::redact::url(&import.profile.name);
                        let id = ws.add(import.profile);
                        if !import.warnings.is_empty() {
                            ws.notice(notice::Notice {
                                level: notice::NoticeLevel::Info,
                                text: format!(
                                    "curl import: {}",
                                    import
                                        .warnings
                                        .iter()
                                        .map(|w| safe_warning(w))
                                        .collect::<Vec<_>>()
                                        .join("; ")
                                ),
                                offer_reload: false,
                            });
                        }
                        *created = Some(id);
                        done = true;
                    }
                    Err(e) => *error = Some(e.to_string()),
                }
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
    });
    done || modal.should_close()
}

/// A curl-import warning without the value it quotes, which may be a secret
/// (`--cert file:password`, `--proxy http://user:pass@…`, a token taken for a second URL):
/// the flag and the reason only.
fn safe_warning(warning: &str) -> String {
    let Some((what, why)) = warning.rsplit_once(": ") else {
        return crate::redact::url(warning);
    };
    let what = if what.starts_with('-') {
        what.split_whitespace().next().unwrap_or(what)
    } else {
        "an extra argument"
    };
    format!("{what}: {why}")
}

fn shortcuts_ui(ctx: &Context) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("shortcuts-dialog")).show(ctx, |ui| {
        ui.heading("Keyboard shortcuts");
        egui::Grid::new("shortcuts")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (keys, what) in SHORTCUTS {
                    ui.label(RichText::new(keys).monospace().strong());
                    ui.label(what);
                    ui.end_row();
                }
            });
        if ui.button("Close").clicked() {
            done = true;
        }
    });
    done || modal.should_close()
}

/// A labelled, full-width path field.
fn path_field_ui(ui: &mut egui::Ui, label: &str, path: &mut String) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(path)
            .font(egui::TextStyle::Monospace)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
}

fn export_ui(
    ctx: &Context,
    kind: ExportKind,
    path: &mut String,
    include_secrets: &mut bool,
    error: &mut Option<String>,
    ws: &mut Workspace,
) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("export-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(kind.title());
        path_field_ui(ui, kind.path_label(), path);
        if kind == ExportKind::Profiles {
            ui.checkbox(
                include_secrets,
                "Include secrets (tokens, passwords, API keys)",
            );
            if *include_secrets {
                ui.label(
                    RichText::new(
                        "The file will contain tokens and passwords in clear text. It is \
                         written readable by you only; keep it that way.",
                    )
                    .color(theme::WARNING),
                );
            } else {
                ui.label(
                    RichText::new("Secret header values are left out and tokens in URLs masked.")
                        .weak()
                        .small(),
                );
            }
        }
        if let Some(e) = error {
            ui.label(RichText::new(e.as_str()).color(theme::ERROR).small());
        }
        ui.horizontal(|ui| {
            if ui.button("Export").clicked() {
                match ws.export(kind, path, *include_secrets) {
                    Ok(()) => done = true,
                    Err(e) => *error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
    });
    done || modal.should_close()
}

fn import_ui(
    ctx: &Context,
    path: &mut String,
    error: &mut Option<String>,
    ws: &mut Workspace,
) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("import-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading("Import profiles");
        path_field_ui(ui, "Profiles file (JSON, as exported)", path);
        ui.label(
            RichText::new("Profiles whose names are taken are imported under a new name.")
                .weak()
                .small(),
        );
        if let Some(e) = error {
            ui.label(RichText::new(e.as_str()).color(theme::ERROR).small());
        }
        ui.horizontal(|ui| {
            if ui.button("Import").clicked() {
                match ws.import_profiles(path) {
                    Ok(()) => done = true,
                    Err(e) => *error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                done = true;
            }
        });
    });
    done || modal.should_close()
}

#[cfg(test)]
mod tests {
    use super::safe_warning;

    #[test]
    fn curl_warnings_do_not_quote_values() {
        assert_eq!(
            safe_warning("--cert c.pem:hunter2: ignored"),
            "--cert: ignored"
        );
        assert_eq!(
            safe_warning("\"tok-123: x\": a second URL, ignored"),
            "an extra argument: a second URL, ignored"
        );
        assert_eq!(
            safe_warning("--insecure: TLS certificates will not be verified"),
            "--insecure: TLS certificates will not be verified"
        );
    }
}
