//! Modal dialogs: renaming a profile, confirming its deletion, the keyboard shortcuts
//! help, and where to export to or import from (a path field, and the system's picker
//! to fill it: [`crate::ui::model::desktop`]).
//!
//! A dialog keeps what is typed into it and returns what the user asked for as a
//! [`DialogAction`]; the app carries it out and closes the dialog, or hands the reason
//! it could not back to the dialog ([`Dialog::refuse`]) to show under the fields.

use egui::{Context, RichText};

use crate::ui::model::desktop::PickKind;
use crate::ui::model::entry::EntryId;
use crate::ui::model::transfer::ExportKind;
use crate::ui::model::workspace::Workspace;
use crate::ui::widgets::theme;

/// The dialog on screen, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialog {
    /// A new name for a profile.
    Rename {
        /// The profile.
        id: EntryId,
        /// The name as typed.
        name: String,
        /// Why the last name was refused.
        error: Option<String>,
    },
    /// Confirm deleting a profile.
    Delete {
        /// The profile.
        id: EntryId,
    },
    /// Paste a curl command (e.g. "Copy as cURL" from a browser) to make a profile.
    ImportCurl {
        /// The command as pasted.
        command: String,
        /// Why it could not be read.
        error: Option<String>,
    },
    /// The keyboard shortcuts.
    Shortcuts,
    /// The words the app uses, explained.
    Glossary,
    /// Version, licence and links.
    About,
    /// Where to export `kind` to; profiles may include secrets when asked.
    Export {
        /// What is exported.
        kind: ExportKind,
        /// The path as typed.
        path: String,
        /// Include secret values (profiles only).
        include_secrets: bool,
        /// Why the export could not start.
        error: Option<String>,
    },
    /// Which profiles file to import.
    ImportProfiles {
        /// The path as typed.
        path: String,
        /// Why the import could not start.
        error: Option<String>,
    },
    /// The warning before a profile (or its comparison) is copied with its secrets in
    /// clear.
    CopySecrets {
        /// The profile.
        id: EntryId,
        /// What is copied.
        copy: SecretCopy,
    },
}

/// What can be copied with its secrets in clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretCopy {
    /// The profile as a curl command (headers and URL).
    Curl,
    /// The profile's comparison as Markdown (its URL).
    ComparisonMarkdown,
}

impl SecretCopy {
    /// What the clipboard will hold, in the warning and the "copied" note.
    #[must_use]
    pub fn what(self) -> &'static str {
        match self {
            Self::Curl => "curl command",
            Self::ComparisonMarkdown => "comparison as Markdown",
        }
    }
}

impl Dialog {
    /// The title it shows (and the picker it opens).
    #[must_use]
    pub fn title(&self) -> &'static str {
        match self {
            Self::Rename { .. } => "Rename profile",
            Self::Delete { .. } => "Delete profile?",
            Self::ImportCurl { .. } => "New profile from a curl command",
            Self::Shortcuts => "Keyboard shortcuts",
            Self::Glossary => "Glossary",
            Self::About => "Pollscope",
            Self::Export { kind, .. } => kind.title(),
            Self::ImportProfiles { .. } => "Import profiles",
            Self::CopySecrets { .. } => "Copy with secrets?",
        }
    }

    /// The path the system's picker answered: a file to import as it is; for an export,
    /// the chosen folder with the name in the path field inside it (the profiles file,
    /// or the new folder the other exports make).
    pub fn picked(&mut self, chosen: &std::path::Path) {
        match self {
            Self::Export { path, .. } => {
                let leaf = std::path::Path::new(path.as_str())
                    .file_name()
                    .map(std::ffi::OsStr::to_os_string);
                let chosen = leaf.map_or_else(|| chosen.to_path_buf(), |l| chosen.join(l));
                *path = chosen.display().to_string();
            }
            Self::ImportProfiles { path, .. } => *path = chosen.display().to_string(),
            _ => {}
        }
    }

    /// Show why what was asked for could not be done; the dialog stays open.
    pub fn refuse(&mut self, why: String) {
        match self {
            Self::Rename { error, .. }
            | Self::ImportCurl { error, .. }
            | Self::Export { error, .. }
            | Self::ImportProfiles { error, .. } => *error = Some(why),
            Self::Delete { .. }
            | Self::CopySecrets { .. }
            | Self::Shortcuts
            | Self::Glossary
            | Self::About => {}
        }
    }
}

/// What the user asked for in a dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogAction {
    /// Close it (Cancel, Close, Esc, a click outside).
    Close,
    /// Rename profile `id` to `name`.
    Rename {
        /// The profile.
        id: EntryId,
        /// The new name.
        name: String,
    },
    /// Delete the profile.
    Delete(EntryId),
    /// Make a profile from this curl command.
    ImportCurl(String),
    /// Export `kind` to `path`.
    Export {
        /// What.
        kind: ExportKind,
        /// Where.
        path: String,
        /// With secret values.
        include_secrets: bool,
    },
    /// Import the profiles in this file.
    ImportProfiles(String),
    /// Copy the profile (or its comparison) with its secrets in clear (warned first).
    CopyWithSecrets(EntryId, SecretCopy),
    /// Show the system's picker to fill the path field (the dialog stays open).
    Choose(PickKind),
}

/// The shortcuts, as shown in the help dialog and the README.
pub const SHORTCUTS: [(&str, &str); 14] = [
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
    ("Ctrl+4", "alerts: the rules now and their history"),
    ("Ctrl+F", "filter the feed"),
    ("Ctrl+B", "show / collapse the profiles panel"),
    ("Ctrl+P", "pause / resume the feed"),
    ("Esc", "close the event detail or a dialog"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
];

/// Show `dialog`; returns what the user asked for.
/// `picking`: the system's picker is on screen for this dialog's path.
pub fn dialog_ui(
    ctx: &Context,
    dialog: &mut Dialog,
    ws: &Workspace,
    picking: bool,
) -> Option<DialogAction> {
    let (action, closed) = match dialog {
        Dialog::Rename { id, name, error } => rename_ui(ctx, *id, name, error.as_deref()),
        Dialog::Delete { id } => delete_ui(ctx, *id, ws),
        Dialog::ImportCurl { command, error } => import_curl_ui(ctx, command, error.as_deref()),
        Dialog::Shortcuts => (None, shortcuts_ui(ctx)),
        Dialog::Glossary => (None, glossary_ui(ctx)),
        Dialog::About => (None, about_ui(ctx)),
        Dialog::Export {
            kind,
            path,
            include_secrets,
            error,
        } => export_ui(ctx, *kind, path, include_secrets, error.as_deref(), picking),
        Dialog::ImportProfiles { path, error } => import_ui(ctx, path, error.as_deref(), picking),
        Dialog::CopySecrets { id, copy } => copy_secrets_ui(ctx, *id, *copy, ws),
    };
    action.or(closed.then_some(DialogAction::Close))
}

/// A modal dialog `width` wide under `title`; `body` returns what was asked for and
/// whether Cancel was clicked. Returns that, and whether the dialog is to close.
fn modal_ui(
    ctx: &Context,
    id: &str,
    width: f32,
    title: &str,
    body: impl FnOnce(&mut egui::Ui) -> (Option<DialogAction>, bool),
) -> (Option<DialogAction>, bool) {
    let modal = egui::Modal::new(egui::Id::unique(id)).show(ctx, |ui| {
        ui.set_width(width);
        ui.heading(title);
        body(ui)
    });
    let close = modal.should_close();
    let (action, cancel) = modal.inner;
    (action, cancel || close)
}

/// The reason shown under a dialog's fields.
fn error_ui(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(e) = error {
        ui.label(RichText::new(e).color(theme::ERROR).small());
    }
}

/// A dialog's buttons: `submit` (or Enter, when `enter`) asks for `action`; Cancel
/// closes. Returns the action asked for, and whether the dialog is to close.
fn buttons_ui(
    ui: &mut egui::Ui,
    submit: &str,
    enter: bool,
    action: impl FnOnce() -> DialogAction,
) -> (Option<DialogAction>, bool) {
    ui.horizontal(|ui| {
        let asked = (ui.button(submit).clicked() || enter).then(action);
        (asked, ui.button("Cancel").clicked())
    })
    .inner
}

fn rename_ui(
    ctx: &Context,
    id: EntryId,
    name: &mut String,
    error: Option<&str>,
) -> (Option<DialogAction>, bool) {
    modal_ui(ctx, "rename-dialog", 360.0, "Rename profile", |ui| {
        let label = ui.label("New name");
        let edit = ui
            .add(egui::TextEdit::singleline(name).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        if !edit.has_focus() && !edit.lost_focus() {
            edit.request_focus();
        }
        error_ui(ui, error);
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        buttons_ui(ui, "Save name", enter, || DialogAction::Rename {
            id,
            name: name.clone(),
        })
    })
}

fn delete_ui(ctx: &Context, id: EntryId, ws: &Workspace) -> (Option<DialogAction>, bool) {
    let Some(name) = ws.get(id).map(|e| e.profile.name.clone()) else {
        return (None, true);
    };
    modal_ui(ctx, "delete-dialog", 360.0, "Delete profile?", |ui| {
        ui.label(format!(
            "“{name}” will be disconnected and deleted. This cannot be undone."
        ));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let delete =
                egui::Button::new(RichText::new("Delete profile").color(egui::Color32::WHITE))
                    .fill(theme::ERROR);
            let asked = ui.add(delete).clicked().then_some(DialogAction::Delete(id));
            (asked, ui.button("Cancel").clicked())
        })
        .inner
    })
}

fn copy_secrets_ui(
    ctx: &Context,
    id: EntryId,
    copy: SecretCopy,
    ws: &Workspace,
) -> (Option<DialogAction>, bool) {
    let Some(name) = ws.get(id).map(|e| e.profile.name.clone()) else {
        return (None, true);
    };
    modal_ui(
        ctx,
        "copy-secrets-dialog",
        420.0,
        "Copy with secrets?",
        |ui| {
            let held = match copy {
                SecretCopy::Curl => "its tokens, passwords and API keys",
                SecretCopy::ComparisonMarkdown => "the tokens in its URL",
            };
            ui.label(
                RichText::new(format!(
                    "The {} for “{name}” will hold {held} in clear text. Anyone who sees \
                     the clipboard, or where you paste it, can use them.",
                    copy.what()
                ))
                .color(theme::WARNING),
            );
            ui.add_space(6.0);
            buttons_ui(ui, "Copy with secrets", false, || {
                DialogAction::CopyWithSecrets(id, copy)
            })
        },
    )
}

fn import_curl_ui(
    ctx: &Context,
    command: &mut String,
    error: Option<&str>,
) -> (Option<DialogAction>, bool) {
    modal_ui(
        ctx,
        "curl-dialog",
        560.0,
        "New profile from a curl command",
        |ui| {
            let label =
                ui.label("Paste a curl command (for example from a browser's Copy as cURL)");
            ui.add(
                egui::TextEdit::multiline(command)
                    .code_editor()
                    .desired_rows(5)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            error_ui(ui, error);
            buttons_ui(ui, "Create profile", false, || {
                DialogAction::ImportCurl(command.clone())
            })
        },
    )
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

/// The words the app uses, with what they mean.
pub const GLOSSARY: &[(&str, &str)] = &[
    (
        "Long poll",
        "A request the server holds open until it has something to send (or its wait runs \
         out); the client then asks again at once.",
    ),
    (
        "Hold",
        "How long the server kept one poll open before answering. Events end a hold early; \
         a hold that reaches the server's timeout ends with an empty answer.",
    ),
    (
        "Empty answer",
        "An answer with no events: the server's wait ran out. Normal for long polling; \
         many in a row with short holds can mean the hold parameter is wrong.",
    ),
    (
        "Reuse",
        "Sending the next poll over the connection that is already open (HTTP keep-alive) \
         instead of a new TCP (and TLS) handshake. The Connections panel and chart show \
         how many polls reused one.",
    ),
    (
        "Cursor",
        "Where the client is in the stream (a sequence number, an etag, an event id…), \
         sent with each poll so the server answers only with what is new.",
    ),
    (
        "Resync",
        "Starting over from the server's current position when the cursor is no longer \
         valid (the server forgot it, or answered that it is too old); events in between \
         may be lost and are counted.",
    ),
    (
        "Lost events",
        "Gaps in the events' sequence numbers: events the server published that this \
         client never received.",
    ),
    (
        "Stale connection",
        "A kept-alive connection the server had already closed; the poll is retried once \
         on a new connection.",
    ),
    (
        "p50 / p99",
        "The median and the 99th percentile: half of the values are below p50, all but the \
         slowest 1 % below p99.",
    ),
];

fn glossary_ui(ctx: &Context) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("glossary-dialog")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Glossary");
        egui::ScrollArea::vertical()
            .max_height(ctx.content_rect().height() * 0.7)
            .show(ui, |ui| {
                for (word, meaning) in GLOSSARY {
                    ui.label(RichText::new(*word).strong());
                    ui.label(*meaning);
                    ui.add_space(6.0);
                }
            });
        if ui.button("Close").clicked() {
            done = true;
        }
    });
    done || modal.should_close()
}

fn about_ui(ctx: &Context) -> bool {
    let mut done = false;
    let modal = egui::Modal::new(egui::Id::unique("about-dialog")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.heading("Pollscope");
        ui.label(format!("Version {}", env!("CARGO_PKG_VERSION")));
        ui.label(env!("CARGO_PKG_DESCRIPTION"));
        ui.add_space(4.0);
        ui.hyperlink_to("Home page", env!("CARGO_PKG_HOMEPAGE"));
        ui.hyperlink_to("Source and issues", env!("CARGO_PKG_REPOSITORY"));
        ui.label(RichText::new(format!("Licence: {}", env!("CARGO_PKG_LICENSE"))).weak());
        ui.add_space(4.0);
        if ui.button("Close").clicked() {
            done = true;
        }
    });
    done || modal.should_close()
}

/// A labelled, full-width path field, and a button that fills it from the system's
/// picker (`pick`); returns that picker when the button was clicked.
fn path_field_ui(
    ui: &mut egui::Ui,
    label: &str,
    path: &mut String,
    pick: PickKind,
    picking: bool,
) -> Option<DialogAction> {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(path)
            .font(egui::TextStyle::Monospace)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let button = match pick {
        PickKind::Folder => "Choose folder…",
        PickKind::OpenJson => "Choose file…",
    };
    ui.horizontal(|ui| {
        let clicked = ui
            .add_enabled(!picking, egui::Button::new(button))
            .on_hover_text("Open the system's file picker")
            .clicked();
        if picking {
            ui.spinner();
            ui.label(RichText::new("waiting for the picker…").weak());
        }
        clicked.then_some(DialogAction::Choose(pick))
    })
    .inner
}

fn export_ui(
    ctx: &Context,
    kind: ExportKind,
    path: &mut String,
    include_secrets: &mut bool,
    error: Option<&str>,
    picking: bool,
) -> (Option<DialogAction>, bool) {
    modal_ui(ctx, "export-dialog", 560.0, kind.title(), |ui| {
        let choose = path_field_ui(ui, kind.path_label(), path, PickKind::Folder, picking);
        if kind == ExportKind::Profiles {
            secrets_ui(ui, include_secrets);
        }
        error_ui(ui, error);
        let (action, cancel) = buttons_ui(ui, "Export", false, || DialogAction::Export {
            kind,
            path: path.clone(),
            include_secrets: *include_secrets,
        });
        (choose.or(action), cancel)
    })
}

/// "Include secrets", and what it means either way.
fn secrets_ui(ui: &mut egui::Ui, include_secrets: &mut bool) {
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

fn import_ui(
    ctx: &Context,
    path: &mut String,
    error: Option<&str>,
    picking: bool,
) -> (Option<DialogAction>, bool) {
    modal_ui(ctx, "import-dialog", 560.0, "Import profiles", |ui| {
        let choose = path_field_ui(
            ui,
            "Profiles file (JSON, as exported)",
            path,
            PickKind::OpenJson,
            picking,
        );
        ui.label(
            RichText::new("Profiles whose names are taken are imported under a new name.")
                .weak()
                .small(),
        );
        error_ui(ui, error);
        let (action, cancel) = buttons_ui(ui, "Import", false, || {
            DialogAction::ImportProfiles(path.clone())
        });
        (choose.or(action), cancel)
    })
}
