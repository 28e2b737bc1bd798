//! The Profiles side panel: every profile with its state badge, and the commands on
//! them (new, new from a preset, duplicate, rename, delete, connect, disconnect).
//!
//! Draws from the [`Workspace`] and returns what the user asked for; the app carries it
//! out after the frame's panels are drawn.

use std::time::Instant;

use egui::{RichText, Ui};

use crate::monitor::Monitor;
use crate::present::units;
use crate::presets::{self, Preset};
use crate::profile::Profile;
use crate::ui::model::entry::{Entry, EntryId, Status, connect_issues};
use crate::ui::model::workspace::Workspace;
use crate::ui::widgets::format;
use crate::ui::widgets::liveness;
use crate::ui::widgets::theme;

/// What the user asked for in the panel.
#[derive(Clone, Copy, Debug)]
pub enum ProfileAction {
    /// Show this profile.
    Select(EntryId),
    /// A new empty profile.
    New,
    /// A new profile from a preset.
    FromPreset(&'static Preset),
    /// Open the "new profile from a curl command" dialog.
    FromCurl,
    /// Copy a profile.
    Duplicate(EntryId),
    /// Open the rename dialog.
    Rename(EntryId),
    /// Open the delete confirmation.
    Delete(EntryId),
    /// Start polling.
    Connect(EntryId),
    /// Stop polling (or stop connecting).
    Disconnect(EntryId),
}

/// The panel's contents.
pub fn profiles_ui(
    ui: &mut Ui,
    ws: &Workspace,
    selected: Option<EntryId>,
    now: Instant,
) -> Vec<ProfileAction> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        if ui
            .button("New")
            .on_hover_text("A new empty profile (Ctrl+N)")
            .clicked()
        {
            actions.push(ProfileAction::New);
        }
        ui.menu_button("From preset", |ui| preset_menu_ui(ui, &mut actions));
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .max_height(ui.available_height() - 40.0)
        .show(ui, |ui| {
            if ws.entries().is_empty() {
                ui.label(RichText::new("No profiles yet. Add one with New or From preset.").weak());
            }
            for entry in ws.entries() {
                let is_selected = selected == Some(entry.id);
                row_ui(ui, entry, now, is_selected, &mut actions);
            }
        });
    if let Some(id) = selected.filter(|id| ws.get(*id).is_some()) {
        ui.separator();
        ui.horizontal(|ui| selected_actions_ui(ui, id, &mut actions));
    }
    actions
}

/// Buttons for the selected profile, under the list.
fn selected_actions_ui(ui: &mut Ui, id: EntryId, actions: &mut Vec<ProfileAction>) {
    let buttons = [
        (
            "Duplicate",
            "Copy this profile (Ctrl+D)",
            ProfileAction::Duplicate(id),
        ),
        (
            "Rename",
            "Rename this profile (F2)",
            ProfileAction::Rename(id),
        ),
        ("Delete", "Delete this profile", ProfileAction::Delete(id)),
    ];
    for (label, hint, action) in buttons {
        if ui.button(label).on_hover_text(hint).clicked() {
            actions.push(action);
        }
    }
}

fn preset_menu_ui(ui: &mut Ui, actions: &mut Vec<ProfileAction>) {
    ui.set_max_width(420.0);
    for preset in presets::all() {
        let clicked = ui
            .vertical(|ui| {
                let b = ui.button(RichText::new(preset.name).strong());
                ui.label(
                    RichText::new(format::drawable(preset.summary))
                        .small()
                        .weak(),
                );
                b.clicked()
            })
            .inner;
        if clicked {
            actions.push(ProfileAction::FromPreset(preset));
            ui.close();
        }
        ui.add_space(2.0);
    }
    ui.separator();
    if ui
        .button("From a curl command…")
        .on_hover_text("Paste a request copied as cURL")
        .clicked()
    {
        actions.push(ProfileAction::FromCurl);
        ui.close();
    }
}

fn row_ui(
    ui: &mut Ui,
    entry: &Entry,
    now: Instant,
    is_selected: bool,
    actions: &mut Vec<ProfileAction>,
) {
    let (id, profile, monitor) = (entry.id, &entry.profile, entry.monitor.as_ref());
    let status = entry.status(now);
    // A firing alert colours the row.
    let firing = liveness::firing(monitor) > 0;
    let fill = if is_selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.5)
    } else if firing {
        theme::ERROR.gamma_multiply(0.25)
    } else {
        egui::Color32::TRANSPARENT
    };
    let inner = egui::Frame::new()
        .inner_margin(egui::Margin::symmetric(6, 4))
        .corner_radius(4.0)
        .fill(fill)
        .stroke(if firing {
            egui::Stroke::new(1.0, theme::ERROR)
        } else {
            egui::Stroke::NONE
        })
        .show(ui, |ui| row_contents_ui(ui, profile, monitor, &status, now));
    let mut response = ui.interact(
        inner.response.rect,
        ui.scope_id().with(("profile-row", id)),
        egui::Sense::click(),
    );
    let name = profile.name.clone();
    // A selectable item of the list (its texts are its children in the UI tree).
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::ListBoxOption, true, is_selected, &name)
    });
    if let Some(text) = liveness::state_hover(&status, now) {
        response = response.on_hover_text(text);
    }
    if response.clicked() {
        actions.push(ProfileAction::Select(id));
    }
    response.context_menu(|ui| row_menu_ui(ui, entry, actions));
}

/// State dot, name and state; then where it polls.
fn row_contents_ui(
    ui: &mut Ui,
    profile: &Profile,
    monitor: Option<&Monitor>,
    status: &Status,
    now: Instant,
) {
    ui.set_width(ui.available_width());
    let color = theme::state_color(status);
    ui.horizontal(|ui| {
        theme::dot_ui(ui, color);
        let name = RichText::new(&profile.name).strong();
        ui.add(egui::Label::new(name).truncate().selectable(false));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let state = RichText::new(status.label()).small().color(color);
            ui.add(egui::Label::new(state).selectable(false));
            let firing = liveness::firing(monitor);
            if firing > 0 {
                let alerts = RichText::new(format!("{firing} firing"))
                    .small()
                    .color(theme::ERROR);
                ui.add(egui::Label::new(alerts).selectable(false));
            }
            super::editor::insecure_badge_ui(ui, profile);
        });
    });
    let subtitle = RichText::new(subtitle(profile, monitor)).small().weak();
    ui.add(egui::Label::new(subtitle).truncate().selectable(false));
    if let Some(text) = monitor.and_then(|m| liveness::last_event(m, now)) {
        ui.add(egui::Label::new(RichText::new(text).small().weak()).selectable(false));
    }
}

/// The right-click menu of a row.
fn row_menu_ui(ui: &mut Ui, entry: &Entry, actions: &mut Vec<ProfileAction>) {
    actions.extend(connect_item_ui(ui, entry, false));
    actions.extend(manage_items_ui(ui, entry.id, false));
}

/// Connect, or Disconnect while live or connecting (with the shortcut, in menus that
/// show them). Returns what was clicked.
pub fn connect_item_ui(ui: &mut Ui, entry: &Entry, shortcut: bool) -> Option<ProfileAction> {
    let keys = if shortcut { "  Ctrl+Enter" } else { "" };
    if entry.is_live() || entry.is_connecting() {
        let clicked = ui.button(format!("Disconnect{keys}")).clicked();
        return clicked.then_some(ProfileAction::Disconnect(entry.id));
    }
    let connectable = connect_issues(&entry.profile).is_empty();
    ui.add_enabled(connectable, egui::Button::new(format!("Connect{keys}")))
        .clicked()
        .then_some(ProfileAction::Connect(entry.id))
}

/// Duplicate, Rename…, Delete… (with their shortcuts, in menus that show them).
/// Returns what was clicked.
pub fn manage_items_ui(ui: &mut Ui, id: EntryId, shortcuts: bool) -> Option<ProfileAction> {
    let items = [
        ("Duplicate", "  Ctrl+D", ProfileAction::Duplicate(id)),
        ("Rename…", "  F2", ProfileAction::Rename(id)),
        ("Delete…", "", ProfileAction::Delete(id)),
    ];
    let mut clicked = None;
    for (label, keys, action) in items {
        let text = if shortcuts {
            format!("{label}{keys}")
        } else {
            label.to_owned()
        };
        if ui.button(text).clicked() {
            clicked = Some(action);
        }
    }
    clicked
}

/// `127.0.0.1:8787 · 2 pollers · 1,234 events`.
fn subtitle(profile: &Profile, monitor: Option<&Monitor>) -> String {
    let target = if profile.builtin_demo {
        "embedded demo server".to_owned()
    } else {
        profile
            .parsed_url()
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    u.port()
                        .map_or_else(|| h.to_owned(), |p| format!("{h}:{p}"))
                })
            })
            .unwrap_or_else(|| "no URL yet".to_owned())
    };
    let pollers = if profile.pollers == 1 {
        "1 poller".to_owned()
    } else {
        format!("{} pollers", units::count(u64::from(profile.pollers)))
    };
    match monitor.filter(|m| m.stats().events() > 0) {
        Some(m) => format!(
            "{target} · {pollers} · {} events",
            units::count(m.stats().events())
        ),
        None => format!("{target} · {pollers}"),
    }
}
