//! The window's layout: the menu bar, notices, status bar and side panels, then the
//! selected profile's header and tab (Monitor: charts, feed and the event detail;
//! Profile: the editor; Compare). Panels draw and return actions, carried out here
//! after the frame's panels are drawn ([`super::commands`]).

use std::time::Instant;

use egui::Ui;

use super::PollscopeApp;
use crate::poll::probe::ProbeRun;
use crate::stats::Summary;
use crate::ui::model::entry::EntryId;
use crate::ui::panels::alerts::alerts_ui;
use crate::ui::panels::charts::charts_ui;
use crate::ui::panels::compare::compare_ui;
use crate::ui::panels::connections::connections_ui;
use crate::ui::panels::detail::detail_ui;
use crate::ui::panels::editor::{EditorAction, TEST_WAIT, editor_ui};
use crate::ui::panels::feed::feed_ui;
use crate::ui::panels::header::{HeaderAction, Tab, menu_bar_ui, notices_ui, profile_header_ui};
use crate::ui::panels::profiles::{ProfileAction, profiles_ui};
use crate::ui::panels::status_bar::status_bar_ui;

/// The inspector goes beside the feed from this width of the monitor area (under it
/// below).
const INSPECTOR_BESIDE_FROM: f32 = 760.0;
/// The Profiles panel opens by itself in windows this wide (collapsed below, until the
/// user opens it).
const PROFILES_OPEN_FROM: f32 = 1000.0;
/// The Connections panel opens by itself in windows this wide.
const CONNECTIONS_OPEN_FROM: f32 = 1200.0;
/// Width of a collapsed side panel's strip.
const STRIP_WIDTH: f32 = 30.0;
/// The feed keeps at least this height under the charts.
const MIN_FEED_HEIGHT: f32 = 150.0;
/// The inspector under the feed (a narrow window) keeps at least this height.
const MIN_INSPECTOR_HEIGHT: f32 = 110.0;

impl PollscopeApp {
    /// The bars and side panels, then the selected profile's view.
    pub(super) fn layout_ui(&mut self, ui: &mut Ui, now: Instant) {
        let mut header_actions = Vec::new();
        let selected = self.selected.and_then(|id| self.ws.get(id));
        let width = ui.available_width();
        let mut profiles_open = self.profiles_panel.is_open(width, PROFILES_OPEN_FROM);
        let mut connections_open = self.connections_panel.is_open(width, CONNECTIONS_OPEN_FROM);
        if ui.input_mut(|i| i.consume_shortcut(&TOGGLE_PROFILES)) {
            profiles_open = !profiles_open;
        }
        egui::Panel::top("menu-bar").show(ui, |ui| {
            menu_bar_ui(
                ui,
                selected,
                &mut self.tab,
                [&mut profiles_open, &mut connections_open],
                &mut self.chart_window,
                &mut header_actions,
            );
        });
        if connections_open != self.connections_panel.is_open(width, CONNECTIONS_OPEN_FROM) {
            self.connections_panel.set(connections_open);
        }
        if !self.ws.notices().is_empty() {
            egui::Panel::top("notices").show(ui, |ui| {
                notices_ui(ui, self.ws.notices(), &mut header_actions);
            });
        }
        let summary = selected
            .and_then(|e| e.monitor.as_ref())
            .map(|m| m.stats().summary(m.stopped_at().unwrap_or(now)));
        let connected = self.ws.entries().iter().filter(|e| e.is_live()).count();
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            status_bar_ui(
                ui,
                selected,
                summary.as_ref(),
                connected,
                self.ws.save_status(),
                now,
            );
        });
        let (profile_actions, toggled) = egui::Panel::show_switched(
            ui,
            &mut profiles_open,
            egui::Panel::left("profiles-strip")
                .resizable(false)
                .exact_size(STRIP_WIDTH),
            egui::Panel::left("profiles")
                .resizable(true)
                .default_size(220.0)
                .size_range(150.0..=480.0),
            |ui, open| {
                if open {
                    let collapse = panel_title_ui(ui, "Profiles", "«", "Collapse (Ctrl+B)");
                    let actions = profiles_ui(ui, &self.ws, self.selected, now);
                    (actions, collapse.then_some(false))
                } else {
                    let open = strip_ui(ui, "»", "Show the profiles (Ctrl+B)");
                    (Vec::new(), open.then_some(true))
                }
            },
        )
        .inner;
        // Opened or collapsed: by a button, the menu, Ctrl+B, or dragging the edge.
        let profiles_open = toggled.unwrap_or(profiles_open);
        if profiles_open != self.profiles_panel.is_open(width, PROFILES_OPEN_FROM) {
            self.profiles_panel.set(profiles_open);
        }
        self.connections_panel_ui(ui, summary.as_ref(), now, connections_open, width);
        egui::CentralPanel::default().show(ui, |ui| {
            self.selected_ui(ui, now, summary.as_ref(), &mut header_actions);
        });
        for a in profile_actions {
            self.act(a);
        }
        for a in header_actions {
            self.header_act(ui.ctx(), a);
        }
    }

    /// The Connections panel of the selected profile, on the Monitor tab: open, or
    /// collapsed to a strip.
    fn connections_panel_ui(
        &mut self,
        ui: &mut Ui,
        summary: Option<&Summary>,
        now: Instant,
        mut open: bool,
        width: f32,
    ) {
        let selected = self.selected.and_then(|id| self.ws.get(id));
        if self.tab != Tab::Monitor {
            return;
        }
        let (Some(m), Some(s)) = (selected.and_then(|e| e.monitor.as_ref()), summary) else {
            return;
        };
        let toggled = egui::Panel::show_switched(
            ui,
            &mut open,
            egui::Panel::right("connections-strip")
                .resizable(false)
                .exact_size(STRIP_WIDTH),
            egui::Panel::right("connections")
                .resizable(true)
                .default_size(260.0)
                .size_range(180.0..=520.0),
            |ui, open| {
                if open {
                    let collapse = panel_title_ui(ui, "Connections", "»", "Collapse");
                    connections_ui(ui, m, s, now);
                    collapse.then_some(false)
                } else {
                    strip_ui(ui, "«", "Show the Connections panel").then_some(true)
                }
            },
        )
        .inner;
        let open = toggled.unwrap_or(open);
        if open != self.connections_panel.is_open(width, CONNECTIONS_OPEN_FROM) {
            self.connections_panel.set(open);
        }
    }

    fn selected_ui(
        &mut self,
        ui: &mut Ui,
        now: Instant,
        summary: Option<&Summary>,
        actions: &mut Vec<HeaderAction>,
    ) {
        let Some(id) = self.selected.filter(|id| self.ws.get(*id).is_some()) else {
            ui.centered_and_justified(|ui| {
                ui.label("Select a profile, or add one with New.");
            });
            return;
        };
        if let Some(entry) = self.ws.get(id) {
            profile_header_ui(ui, entry, &mut self.tab, now, actions);
        }
        ui.separator();
        match self.tab {
            Tab::Monitor => self.monitor_ui(ui, id, now, summary),
            Tab::Profile => self.editor_tab_ui(ui, id),
            Tab::Compare => self.compare_tab_ui(ui, id),
            Tab::Alerts => alerts_ui(ui, &self.ws, id, &mut self.alerts_scope, now),
        }
    }

    fn compare_tab_ui(&mut self, ui: &mut Ui, id: EntryId) {
        let Some(entry) = self.ws.get(id) else {
            return;
        };
        let mut actions = Vec::new();
        compare_ui(ui, entry, &mut self.views.of(entry).compare, &mut actions);
        for a in actions {
            self.compare_act(ui.ctx(), id, a);
        }
    }

    fn editor_tab_ui(&mut self, ui: &mut Ui, id: EntryId) {
        let Some(entry) = self.ws.get(id) else {
            return;
        };
        for action in editor_ui(ui, &entry.profile, &mut self.editor) {
            match action {
                EditorAction::Edited(profile) => self.ws.set_profile(id, *profile),
                EditorAction::Rename => self.act(ProfileAction::Rename(id)),
                EditorAction::TestOnce(profile) => {
                    self.editor.probe_for = Some(profile.name.clone());
                    self.editor.probe =
                        Some(ProbeRun::start(*profile, TEST_WAIT, self.waker.clone()));
                }
            }
        }
    }

    fn monitor_ui(&mut self, ui: &mut Ui, id: EntryId, now: Instant, summary: Option<&Summary>) {
        let window = &mut self.chart_window;
        let Some(entry) = self.ws.get(id) else {
            return;
        };
        let (Some(monitor), Some(summary)) = (&entry.monitor, summary) else {
            let (title, hint) = if entry.is_connecting() {
                ("Connecting…", "The session starts on a thread of its own.")
            } else {
                (
                    "Not connected",
                    "Connect to see the live feed, hold times and connection reuse.",
                )
            };
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.label(egui::RichText::new(title).heading().weak());
                ui.label(hint);
            });
            return;
        };
        let view = self.views.of(entry);
        // The charts take up to 45 % of the height at first, and never so much that the
        // feed is left with less than MIN_FEED_HEIGHT.
        let height = ui.available_height();
        let selected_item = view.feed.selected.and_then(|i| monitor.feed().get(i));
        let beside = ui.available_width() >= INSPECTOR_BESIDE_FROM;
        let under = if selected_item.is_some() && !beside {
            MIN_INSPECTOR_HEIGHT
        } else {
            0.0
        };
        let charts_max = (height - MIN_FEED_HEIGHT - under).max(120.0);
        // A height dragged by hand is kept for this window height; a resized window
        // starts again from 45 % (a panel squeezed by a small window grows back).
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a window height in tens of points"
        )]
        let height_key = (ui.ctx().content_rect().height() / 10.0).round() as u32;
        egui::Panel::top(("charts", height_key))
            .resizable(true)
            .default_size((height * 0.45).clamp(120.0, 420.0))
            .size_range(120.0..=charts_max)
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 4)))
            .show(ui, |ui| {
                charts_ui(ui, monitor, summary, &mut view.charts, window, now);
            });
        // The inspector sits beside the feed when there is room for both, else under it.
        if let Some(item) = selected_item {
            let panel = if beside {
                egui::Panel::right("event-detail-pane")
                    .default_size(400.0)
                    .size_range(260.0..=1200.0)
                    .frame(egui::Frame::new().inner_margin(egui::Margin {
                        left: 8,
                        ..egui::Margin::ZERO
                    }))
            } else {
                egui::Panel::bottom("event-detail-under")
                    .default_size(ui.available_height() * 0.55)
                    .size_range(
                        MIN_INSPECTOR_HEIGHT
                            ..=(ui.available_height() - MIN_FEED_HEIGHT).max(MIN_INSPECTOR_HEIGHT),
                    )
                    .frame(egui::Frame::new().inner_margin(egui::Margin {
                        top: 6,
                        ..egui::Margin::ZERO
                    }))
            };
            let close = panel
                .resizable(true)
                .show(ui, |ui| detail_ui(ui, item, &mut view.detail))
                .inner;
            if close {
                view.feed.close(monitor.feed());
            }
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 4)))
            .show(ui, |ui| feed_ui(ui, monitor, &mut view.feed));
    }
}

/// Ctrl+B: open or collapse the Profiles panel.
const TOGGLE_PROFILES: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::B);

/// A side panel's title with its collapse button; true when the button was clicked.
fn panel_title_ui(ui: &mut Ui, title: &str, button: &str, hover: &str) -> bool {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading(title);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.small_button(button).on_hover_text(hover).clicked()
        })
        .inner
    })
    .inner
}

/// A collapsed side panel: one button that opens it; true when clicked.
fn strip_ui(ui: &mut Ui, button: &str, hover: &str) -> bool {
    ui.add_space(4.0);
    ui.vertical_centered(|ui| ui.small_button(button).on_hover_text(hover).clicked())
        .inner
}
