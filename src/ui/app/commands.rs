//! What the panels' and dialogs' actions, the menus and the keyboard shortcuts do (see
//! [`crate::ui::panels::dialogs::SHORTCUTS`]): each becomes a workspace command, a
//! dialog, or a change of what is shown.

use egui::{Key, KeyboardShortcut, Modifiers};

use super::PollscopeApp;
use crate::profile::Profile;
use crate::ui::model::desktop;
use crate::ui::model::entry::{EntryId, connect_issues};
use crate::ui::model::transfer::ExportKind;
use crate::ui::panels::compare::CompareAction;
use crate::ui::panels::dialogs::{Dialog, DialogAction, SecretCopy};
use crate::ui::panels::editor::EditorState;
use crate::ui::panels::feed::FILTER_ID;
use crate::ui::panels::header::{HeaderAction, Tab};
use crate::ui::panels::profiles::ProfileAction;
use crate::ui::widgets::copied;

impl PollscopeApp {
    pub(super) fn act(&mut self, action: ProfileAction) {
        match action {
            ProfileAction::Select(id) => self.select(id),
            ProfileAction::New => {
                // A server of the user's: no hold parameter until they name one (the
                // default, `timeout` in seconds, is the demo server's).
                let id = self.ws.add(Profile {
                    hold_param: crate::profile::HoldParam::None,
                    ..Profile::default()
                });
                self.edit(id);
            }
            ProfileAction::FromPreset(preset) => {
                let id = self.ws.add(preset.profile(""));
                self.edit(id);
            }
            ProfileAction::FromCurl => {
                self.dialog = Some(Dialog::ImportCurl {
                    command: String::new(),
                    error: None,
                });
            }
            ProfileAction::Duplicate(id) => {
                if let Some(copy) = self.ws.duplicate(id) {
                    self.select(copy);
                }
            }
            ProfileAction::Rename(id) => {
                if let Some(e) = self.ws.get(id) {
                    self.dialog = Some(Dialog::Rename {
                        id,
                        name: e.profile.name.clone(),
                        error: None,
                    });
                }
            }
            ProfileAction::Delete(id) => self.dialog = Some(Dialog::Delete { id }),
            ProfileAction::Connect(id) => {
                self.ws.connect(id);
                self.select(id);
                self.tab = Tab::Monitor;
            }
            ProfileAction::Disconnect(id) => self.ws.disconnect(id),
        }
    }

    pub(super) fn select(&mut self, id: EntryId) {
        if self.selected != Some(id) {
            self.editor = EditorState::default();
        }
        self.selected = Some(id);
    }

    /// Select `id` in the editor.
    fn edit(&mut self, id: EntryId) {
        self.select(id);
        self.tab = Tab::Profile;
    }

    pub(super) fn header_act(&mut self, ctx: &egui::Context, action: HeaderAction) {
        match action {
            HeaderAction::Profile(a) => self.act(a),
            HeaderAction::Reconnect => {
                if let Some(id) = self.selected {
                    self.ws.reconnect(id);
                }
            }
            HeaderAction::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            HeaderAction::Shortcuts => self.dialog = Some(Dialog::Shortcuts),
            HeaderAction::Glossary => self.dialog = Some(Dialog::Glossary),
            HeaderAction::About => self.dialog = Some(Dialog::About),
            HeaderAction::ImportCurl => self.act(ProfileAction::FromCurl),
            HeaderAction::CopyCurl => {
                if let Some(e) = self.selected.and_then(|id| self.ws.get(id)) {
                    let curl = crate::curl_import::to_curl(&e.profile, false);
                    copied::copy(ctx, curl, "curl command (secrets masked)");
                }
            }
            HeaderAction::CopyCurlSecrets => {
                if let Some(id) = self.selected.filter(|id| self.ws.get(*id).is_some()) {
                    self.dialog = Some(Dialog::CopySecrets {
                        id,
                        copy: SecretCopy::Curl,
                    });
                }
            }
            HeaderAction::ReloadFromDisk => self.ws.reload_from_disk(),
            HeaderAction::OverwriteDisk => self.ws.overwrite_disk(),
            HeaderAction::DismissNotice(i) => self.ws.dismiss_notice(i),
            HeaderAction::OpenFolder(i) => self.ws.open_notice_folder(i),
            HeaderAction::Export(kind) => self.open_export(kind),
            HeaderAction::ImportProfiles => {
                self.dialog = Some(Dialog::ImportProfiles {
                    path: self.ws.export_base().display().to_string() + "/",
                    error: None,
                });
            }
        }
    }

    fn open_export(&mut self, kind: ExportKind) {
        self.dialog = Some(Dialog::Export {
            kind,
            path: self
                .ws
                .default_export_path(kind, std::time::SystemTime::now()),
            include_secrets: false,
            error: None,
        });
    }

    pub(super) fn compare_act(&mut self, ctx: &egui::Context, id: EntryId, action: CompareAction) {
        match action {
            CompareAction::Start { confirmed } => self.ws.compare_start(id, confirmed),
            CompareAction::Cancel => self.ws.compare_cancel(id),
            CompareAction::Export => self.open_export(ExportKind::Comparison(id)),
            CompareAction::CopyMarkdown => {
                if let Some(md) = self.ws.get(id).and_then(|e| e.comparison_markdown(false)) {
                    copied::copy(ctx, md, "Comparison as Markdown");
                }
            }
            CompareAction::CopyMarkdownSecrets => {
                self.dialog = Some(Dialog::CopySecrets {
                    id,
                    copy: SecretCopy::ComparisonMarkdown,
                });
            }
            CompareAction::Reset => self.ws.compare_reset(id),
            CompareAction::Settings(settings) => self.ws.set_compare_settings(id, settings),
        }
    }

    /// Carry out what a dialog asked for: on success it closes (a profile it made is
    /// opened in the editor); otherwise it shows why and stays open.
    pub(super) fn dialog_act(&mut self, ctx: &egui::Context, action: DialogAction) {
        if let DialogAction::Choose(kind) = action {
            let start = match &self.dialog {
                Some(Dialog::Export { path, .. } | Dialog::ImportProfiles { path, .. }) => {
                    path.clone()
                }
                _ => self.ws.export_base().display().to_string(),
            };
            let title = self.dialog.as_ref().map_or("Choose", Dialog::title);
            self.picker = Some(desktop::Picker::spawn(
                kind,
                title,
                &start,
                self.waker.clone(),
            ));
            return;
        }
        let done: Result<Option<EntryId>, String> = match action {
            DialogAction::Choose(_) | DialogAction::Close => Ok(None),
            DialogAction::Rename { id, name } => self
                .ws
                .rename(id, &name)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            DialogAction::Delete(id) => {
                self.ws.delete(id);
                Ok(None)
            }
            DialogAction::ImportCurl(command) => self
                .ws
                .add_from_curl(&command)
                .map(Some)
                .map_err(|e| e.to_string()),
            DialogAction::Export {
                kind,
                path,
                include_secrets,
            } => self
                .ws
                .export(kind, &path, include_secrets)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            DialogAction::ImportProfiles(path) => self
                .ws
                .import_profiles(&path)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            DialogAction::CopyWithSecrets(id, copy) => {
                let text = self.ws.get(id).and_then(|e| match copy {
                    SecretCopy::Curl => Some(crate::curl_import::to_curl(&e.profile, true)),
                    SecretCopy::ComparisonMarkdown => e.comparison_markdown(true),
                });
                if let Some(text) = text {
                    copied::copy(ctx, text, &format!("{} (with secrets)", copy.what()));
                }
                Ok(None)
            }
        };
        match done {
            Ok(created) => {
                self.dialog = None;
                if let Some(id) = created {
                    self.edit(id);
                }
            }
            Err(why) => {
                if let Some(dialog) = &mut self.dialog {
                    dialog.refuse(why);
                }
            }
        }
    }

    /// Keyboard shortcuts (see [`crate::ui::panels::dialogs::SHORTCUTS`]).
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let cmd = |key| KeyboardShortcut::new(Modifiers::COMMAND, key);
        let plain = |key| KeyboardShortcut::new(Modifiers::NONE, key);
        let pressed = |s: KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(&s));
        if pressed(cmd(Key::Q)) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.dialog.is_some() {
            return;
        }
        // An open menu has Escape (to close it) and the arrows: not taken here first.
        let menu_open = egui::Popup::is_any_open(ctx);
        if pressed(cmd(Key::N)) {
            self.act(ProfileAction::New);
        }
        if pressed(plain(Key::F1)) {
            self.dialog = Some(Dialog::Shortcuts);
        }
        for (key, tab) in [
            (Key::Num1, Tab::Monitor),
            (Key::Num2, Tab::Profile),
            (Key::Num3, Tab::Compare),
            (Key::Num4, Tab::Alerts),
        ] {
            if pressed(cmd(key)) {
                self.tab = tab;
            }
        }
        if pressed(cmd(Key::F)) {
            self.tab = Tab::Monitor;
            ctx.memory_mut(|m| m.request_focus(egui::Id::unique(FILTER_ID)));
        }
        // Arrow keys: through the feed's rows while the inspector is open, else through
        // the profiles — unless a text field has the keyboard.
        if !ctx.egui_wants_keyboard_input() && !menu_open {
            let by = if pressed(plain(Key::ArrowDown)) {
                1
            } else if pressed(plain(Key::ArrowUp)) {
                -1
            } else {
                0
            };
            if by != 0 {
                self.arrow(by);
            }
        }
        let Some(id) = self.selected else {
            return;
        };
        if pressed(cmd(Key::D)) {
            self.act(ProfileAction::Duplicate(id));
        }
        if pressed(plain(Key::F2)) {
            self.act(ProfileAction::Rename(id));
        }
        if pressed(cmd(Key::Enter)) {
            self.toggle_connection(id);
        }
        if let Some(entry) = self.ws.get(id) {
            let view = self.views.of(entry);
            if pressed(cmd(Key::P))
                && let Some(m) = &entry.monitor
            {
                view.feed.toggle_pause(m.feed());
            }
            if !menu_open
                && pressed(plain(Key::Escape))
                && let Some(m) = &entry.monitor
            {
                view.feed.close(m.feed());
            }
        }
    }

    /// An arrow key: the next (`by` 1) or previous feed row when one is open in the
    /// inspector, else the next or previous profile.
    fn arrow(&mut self, by: isize) {
        if self.tab == Tab::Monitor
            && let Some(entry) = self.selected.and_then(|id| self.ws.get(id))
            && let Some(m) = &entry.monitor
        {
            let view = self.views.of(entry);
            if view.feed.selected.is_some() {
                view.feed.step(m.feed(), by);
                return;
            }
        }
        let entries = self.ws.entries();
        let at = self
            .selected
            .and_then(|id| entries.iter().position(|e| e.id == id));
        let next = match at {
            Some(i) => i
                .saturating_add_signed(by)
                .min(entries.len().saturating_sub(1)),
            None => 0,
        };
        if let Some(id) = entries.get(next).map(|e| e.id) {
            self.select(id);
        }
    }

    /// Disconnect a live or connecting profile; connect one that can.
    fn toggle_connection(&mut self, id: EntryId) {
        let Some(entry) = self.ws.get(id) else {
            return;
        };
        if entry.is_live() || entry.is_connecting() {
            self.act(ProfileAction::Disconnect(id));
        } else if connect_issues(&entry.profile).is_empty() {
            self.act(ProfileAction::Connect(id));
        }
    }
}
