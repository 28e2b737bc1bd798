//! Modal dialogs: renaming a profile, confirming its deletion, and the keyboard
//! shortcuts help.

use egui::{Context, RichText};

use super::workspace::{EntryId, Workspace};

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
}

/// The shortcuts, as shown in the help dialog and the README.
pub const SHORTCUTS: [(&str, &str); 11] = [
    ("Ctrl+N", "new profile"),
    ("Ctrl+D", "duplicate the selected profile"),
    ("F2", "rename the selected profile"),
    ("Ctrl+Enter", "connect / disconnect the selected profile"),
    ("Ctrl+1", "monitor view (charts and feed)"),
    ("Ctrl+2", "profile editor"),
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
            ui.label(RichText::new(e.as_str()).color(super::theme::ERROR).small());
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
                    .fill(super::theme::ERROR);
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
            ui.label(RichText::new(e.as_str()).color(super::theme::ERROR).small());
        }
        ui.horizontal(|ui| {
            if ui.button("Create profile").clicked() {
                match crate::curl_import::parse(command) {
                    Ok(mut import) => {
                        // The name comes from the URL's path, which may hold a token.
                        import.profile.name = crate::redact::url(&import.profile.name);
                        let id = ws.add(import.profile);
                        if !import.warnings.is_empty() {
                            ws.notice(super::notice::Notice {
                                level: super::notice::NoticeLevel::Info,
                                text: format!("curl import: {}", import.warnings.join("; ")),
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
