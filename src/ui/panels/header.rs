//! The bars above the panels: the menu bar, the notices (load and save problems), and
//! the selected profile's header with its Connect/Disconnect button and view tabs.

use std::time::Instant;

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::presets;
use crate::ui::model::entry::{Entry, connect_issues};
use crate::ui::model::notice::{Notice, NoticeLevel};
use crate::ui::model::transfer::ExportKind;
use crate::ui::panels::profiles::{ProfileAction, connect_item_ui, manage_items_ui};
use crate::ui::view::time_axis::ChartWindow;
use crate::ui::widgets::format;
use crate::ui::widgets::liveness;
use crate::ui::widgets::theme;

/// The views of the selected profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Charts and the live feed.
    #[default]
    Monitor,
    /// The profile editor.
    Profile,
    /// Variants of the profile side by side.
    Compare,
    /// Alert rules now and their history.
    Alerts,
}

/// Commands from the bars.
#[derive(Clone, Copy, Debug)]
pub enum HeaderAction {
    /// A command on a profile (as from the Profiles panel).
    Profile(ProfileAction),
    /// Reconnect the selected profile (applies edits).
    Reconnect,
    /// Close the window.
    Quit,
    /// Open the keyboard shortcuts help.
    Shortcuts,
    /// Open the glossary (hold, empty answer, reuse, cursor, resync…).
    Glossary,
    /// Open the About box.
    About,
    /// Open the "new profile from a curl command" dialog.
    ImportCurl,
    /// Copy the selected profile as a curl command (secrets masked).
    CopyCurl,
    /// Copy it as curl with its secrets, after a warning.
    CopyCurlSecrets,
    /// Read the profiles file that changed on disk.
    ReloadFromDisk,
    /// Write our profiles over the file that changed on disk.
    OverwriteDisk,
    /// Hide the `n`th notice.
    DismissNotice(usize),
    /// Open the `i`th notice's folder in the file manager (where an export went).
    OpenFolder(usize),
    /// Open the export dialog.
    Export(ExportKind),
    /// Open the import dialog.
    ImportProfiles,
}

/// The menu bar (`panels`: the Profiles and Connections panels are open).
pub fn menu_bar_ui(
    ui: &mut Ui,
    selected: Option<&Entry>,
    tab: &mut Tab,
    panels: [&mut bool; 2],
    window: &mut ChartWindow,
    actions: &mut Vec<HeaderAction>,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| file_menu_ui(ui, actions));
        if let Some(entry) = selected {
            ui.menu_button("Profile", |ui| profile_menu_ui(ui, entry, tab, actions));
        }
        ui.menu_button("View", |ui| view_menu_ui(ui, tab, panels, window));
        ui.menu_button("Help", |ui| {
            // Closed by hand: the dialog opening over it would leave it open behind.
            for (label, action) in [
                ("Keyboard shortcuts  F1", HeaderAction::Shortcuts),
                ("Glossary", HeaderAction::Glossary),
                ("About Pollscope", HeaderAction::About),
            ] {
                if ui.button(label).clicked() {
                    actions.push(action);
                    ui.close();
                }
            }
        });
    });
}

/// The File menu: new profiles, import and export, quit.
fn file_menu_ui(ui: &mut Ui, actions: &mut Vec<HeaderAction>) {
    if ui.button("New profile  Ctrl+N").clicked() {
        actions.push(HeaderAction::Profile(ProfileAction::New));
    }
    ui.menu_button("New from preset", |ui| {
        for preset in presets::all() {
            if ui
                .button(preset.name)
                .on_hover_text(format::drawable(preset.summary))
                .clicked()
            {
                actions.push(HeaderAction::Profile(ProfileAction::FromPreset(preset)));
            }
        }
    });
    if ui.button("New from curl command…").clicked() {
        actions.push(HeaderAction::ImportCurl);
    }
    ui.separator();
    if ui
        .button("Import profiles…")
        .on_hover_text("Add the profiles of an exported JSON file")
        .clicked()
    {
        actions.push(HeaderAction::ImportProfiles);
    }
    if ui
        .button("Export profiles…")
        .on_hover_text("Every profile to a JSON file; secrets only if you ask")
        .clicked()
    {
        actions.push(HeaderAction::Export(ExportKind::Profiles));
    }
    ui.separator();
    if ui.button("Quit  Ctrl+Q").clicked() {
        actions.push(HeaderAction::Quit);
    }
}

/// The View menu: the tab, the side panels, the theme, the charts' window.
fn view_menu_ui(ui: &mut Ui, tab: &mut Tab, panels: [&mut bool; 2], window: &mut ChartWindow) {
    ui.radio_value(tab, Tab::Monitor, "Monitor  Ctrl+1");
    ui.radio_value(tab, Tab::Profile, "Profile editor  Ctrl+2");
    ui.radio_value(tab, Tab::Compare, "Compare  Ctrl+3");
    ui.radio_value(tab, Tab::Alerts, "Alerts  Ctrl+4");
    ui.separator();
    let [profiles, connections] = panels;
    ui.checkbox(profiles, "Profiles panel  Ctrl+B");
    ui.checkbox(connections, "Connections panel");
    ui.separator();
    ui.label(RichText::new("Theme").small().weak());
    let mut theme = ui.ctx().options(|o| o.theme_preference);
    let before = theme;
    ui.radio_value(
        &mut theme,
        egui::ThemePreference::System,
        "Follow the system",
    );
    ui.radio_value(&mut theme, egui::ThemePreference::Light, "Light");
    ui.radio_value(&mut theme, egui::ThemePreference::Dark, "Dark");
    if theme != before {
        ui.ctx().set_theme(theme);
    }
    ui.separator();
    ui.label(RichText::new("Chart window").small().weak());
    for w in ChartWindow::ALL {
        ui.radio_value(window, w, w.label());
    }
}

/// The Profile menu's exports: enabled once the profile has data.
fn export_items_ui(ui: &mut Ui, entry: &Entry, actions: &mut Vec<HeaderAction>) {
    let id = entry.id;
    let has_data = entry.monitor.is_some();
    let exports = [
        (
            "Export event log…",
            "The events the feed holds, as JSON Lines",
            ExportKind::EventLog(id),
        ),
        (
            "Export statistics…",
            "Per-second figures (CSV) and the summary (JSON)",
            ExportKind::Stats(id),
        ),
    ];
    for (label, hint, kind) in exports {
        if ui
            .add_enabled(has_data, egui::Button::new(label))
            .on_hover_text(hint)
            .on_disabled_hover_text("Connect first: there is nothing to export yet")
            .clicked()
        {
            actions.push(HeaderAction::Export(kind));
        }
    }
}

fn profile_menu_ui(ui: &mut Ui, entry: &Entry, tab: &mut Tab, actions: &mut Vec<HeaderAction>) {
    actions.extend(connect_item_ui(ui, entry, true).map(HeaderAction::Profile));
    if ui
        .button("Compare…  Ctrl+3")
        .on_hover_text("Keep-alive vs none vs short polling, side by side")
        .clicked()
    {
        *tab = Tab::Compare;
        ui.close();
    }
    if ui
        .button("Copy as curl")
        .on_hover_text("Secret header values are left out")
        .clicked()
    {
        actions.push(HeaderAction::CopyCurl);
    }
    if ui
        .button("Copy as curl with secrets…")
        .on_hover_text("Tokens and passwords in clear, after a warning")
        .clicked()
    {
        actions.push(HeaderAction::CopyCurlSecrets);
    }
    ui.separator();
    export_items_ui(ui, entry, actions);
    ui.separator();
    actions.extend(manage_items_ui(ui, entry.id, true).map(HeaderAction::Profile));
}

/// The notices, each with a dismiss button (and reload/overwrite when the file changed).
pub fn notices_ui(ui: &mut Ui, notices: &[Notice], actions: &mut Vec<HeaderAction>) {
    for (i, n) in notices.iter().enumerate() {
        let color = match n.level {
            NoticeLevel::Info => theme::HOLDING,
            NoticeLevel::Warning => theme::WARNING,
            NoticeLevel::Error => theme::ERROR,
        };
        egui::Frame::new()
            .fill(color.gamma_multiply(0.15))
            .inner_margin(egui::Margin::symmetric(8, 4))
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&n.text).color(color));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.button("Dismiss").clicked() {
                            actions.push(HeaderAction::DismissNotice(i));
                        }
                        if let Some(folder) = &n.open
                            && ui
                                .button("Open folder")
                                .on_hover_text(format!(
                                    "Show {} in the file manager",
                                    folder.display()
                                ))
                                .clicked()
                        {
                            actions.push(HeaderAction::OpenFolder(i));
                        }
                        if n.offer_reload {
                            if ui
                                .button("Keep mine")
                                .on_hover_text("Overwrite the file with the profiles shown here")
                                .clicked()
                            {
                                actions.push(HeaderAction::OverwriteDisk);
                            }
                            if ui.button("Reload from disk").clicked() {
                                actions.push(HeaderAction::ReloadFromDisk);
                            }
                        }
                    });
                });
            });
    }
}

/// Name, badge, target, the Connect/Disconnect button and the view tabs.
pub fn profile_header_ui(
    ui: &mut Ui,
    entry: &Entry,
    tab: &mut Tab,
    now: Instant,
    actions: &mut Vec<HeaderAction>,
) {
    let status = entry.status(now);
    ui.horizontal(|ui| {
        ui.label(RichText::new(&entry.profile.name).heading().strong());
        theme::state_ui(ui, &status, now);
        if let Some(text) = entry
            .monitor
            .as_ref()
            .and_then(|m| liveness::last_event(m, now))
        {
            ui.label(RichText::new(text).small().weak());
        }
        let firing = liveness::firing(entry.monitor.as_ref());
        if firing > 0 {
            ui.label(
                RichText::new(format!("{firing} alert(s) firing"))
                    .small()
                    .color(theme::ERROR),
            )
            .on_hover_text("See the Alerts tab");
        }
        // The buttons first (from the right), then the target in the room left between
        // them and the badge, cut with "…" when it does not fit (in full on hover).
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            connect_button_ui(ui, entry, actions);
            if entry.has_unapplied_edits() {
                // Never while the edits are invalid: it would drop the live session for
                // one that cannot start.
                let issues = connect_issues(&entry.profile);
                let apply = ui
                    .add_enabled(issues.is_empty(), egui::Button::new("Apply (reconnect)"))
                    .on_hover_text(
                        "The profile changed since it connected; reconnect to use the changes",
                    )
                    .on_disabled_hover_text(fix_first(&issues));
                if apply.clicked() {
                    actions.push(HeaderAction::Reconnect);
                }
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                let target = target(entry);
                ui.add(egui::Label::new(RichText::new(&target).monospace().weak()).truncate())
                    .on_hover_text(target);
            });
        });
    });
    ui.horizontal(|ui| {
        ui.selectable_value(tab, Tab::Monitor, "Monitor");
        ui.selectable_value(tab, Tab::Profile, "Profile");
        ui.selectable_value(tab, Tab::Compare, "Compare");
        let firing = liveness::firing(entry.monitor.as_ref());
        let alerts = if firing > 0 {
            RichText::new(format!("Alerts ({firing})")).color(theme::ERROR)
        } else {
            RichText::new("Alerts")
        };
        ui.selectable_value(tab, Tab::Alerts, alerts);
        if let Some(message) = status.message() {
            ui.label(
                RichText::new(message)
                    .color(theme::state_color(&status))
                    .small(),
            );
        }
    });
}

fn connect_button_ui(ui: &mut Ui, entry: &Entry, actions: &mut Vec<HeaderAction>) {
    let id = entry.id;
    if entry.is_live() || entry.is_connecting() {
        let hint = if entry.is_connecting() {
            "Stop connecting (Ctrl+Enter)"
        } else {
            "Ctrl+Enter"
        };
        if ui.button("Disconnect").on_hover_text(hint).clicked() {
            actions.push(HeaderAction::Profile(ProfileAction::Disconnect(id)));
        }
        return;
    }
    let issues = connect_issues(&entry.profile);
    let button = egui::Button::new(
        RichText::new("Connect")
            .strong()
            .color(egui::Color32::WHITE),
    )
    .fill(theme::EVENTS);
    let response = ui.add_enabled(issues.is_empty(), button);
    let response = if issues.is_empty() {
        response.on_hover_text("Ctrl+Enter")
    } else {
        response.on_disabled_hover_text(fix_first(&issues))
    };
    if response.clicked() {
        actions.push(HeaderAction::Profile(ProfileAction::Connect(id)));
    }
}

/// What the profile polls, secrets masked.
fn target(entry: &Entry) -> String {
    let p = &entry.profile;
    let url = if p.builtin_demo {
        entry
            .monitor
            .as_ref()
            .filter(|m| m.is_live())
            .and_then(|m| m.session().map(|s| s.profile().url.clone()))
            .unwrap_or_else(|| "embedded demo server".to_owned())
    } else {
        crate::redact::url(&p.url)
    };
    format!("{} {url}", p.method)
}

/// "Fix first:" and the profile's issues, one a line.
fn fix_first(issues: &[crate::profile::ProfileIssue]) -> String {
    let why: Vec<String> = issues.iter().map(ToString::to_string).collect();
    format!("Fix first:\n{}", why.join("\n"))
}
