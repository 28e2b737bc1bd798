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

impl PollscopeApp {
    /// The bars and side panels, then the selected profile's view.
    pub(super) fn layout_ui(&mut self, ui: &mut Ui, now: Instant) {
        let mut header_actions = Vec::new();
        let selected = self.selected.and_then(|id| self.ws.get(id));
        egui::Panel::top("menu-bar").show(ui, |ui| {
            menu_bar_ui(
                ui,
                selected,
                &mut self.tab,
                &mut self.show_connections,
                &mut self.chart_window,
                &mut header_actions,
            );
        });
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
        let profile_actions = egui::Panel::left("profiles")
            .resizable(true)
            .default_size(220.0)
            .size_range(170.0..=480.0)
            .show(ui, |ui| profiles_ui(ui, &self.ws, self.selected, now))
            .inner;
        self.connections_panel_ui(ui, summary.as_ref(), now);
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

    /// The Connections panel of the selected profile, on the Monitor tab, when shown
    /// (an open event detail takes its room).
    fn connections_panel_ui(&self, ui: &mut Ui, summary: Option<&Summary>, now: Instant) {
        let selected = self.selected.and_then(|id| self.ws.get(id));
        if self.show_connections
            && self.tab == Tab::Monitor
            && let (Some(m), Some(s)) = (selected.and_then(|e| e.monitor.as_ref()), summary)
        {
            egui::Panel::right("connections")
                .resizable(true)
                .default_size(260.0)
                .size_range(200.0..=520.0)
                .show(ui, |ui| connections_ui(ui, m, s, now));
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
        egui::Panel::top("charts")
            .resizable(true)
            .default_size(330.0)
            .size_range(160.0..=800.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 4)))
            .show(ui, |ui| {
                charts_ui(ui, monitor, summary, &mut view.charts, window, now);
            });
        // The inspector sits beside the feed when there is room for both, else under it.
        if let Some(item) = view.feed.selected.and_then(|i| monitor.feed().get(i)) {
            let beside = ui.available_width() >= INSPECTOR_BESIDE_FROM;
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
                    .default_size(ui.available_height() * 0.5)
                    .size_range(120.0..=2000.0)
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
