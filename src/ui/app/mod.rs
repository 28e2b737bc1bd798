//! The eframe app: owns the [`Workspace`], lays out the panels, turns clicks and
//! shortcuts into workspace commands ([`commands`]), and persists which profiles were
//! connected.
//!
//! Per frame, `logic` drains the workers' events (bounded) and schedules the next frame:
//! none when nothing is connected, a 1 Hz tick while polls are held (to move "held for
//! N s"), 4 Hz while a comparison runs, at once when events are still waiting. `ui` only
//! draws and reacts.

mod commands;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::poll::Waker;
use crate::stats::Summary;
use crate::ui::model::compare::CHART_EVERY;
use crate::ui::model::saver::Loaded;
use crate::ui::model::transfer;
use crate::ui::model::workspace::{EntryId, Workspace};
use crate::ui::panels::charts::{ChartWindow, charts_ui};
use crate::ui::panels::compare::compare_ui;
use crate::ui::panels::connections::connections_ui;
use crate::ui::panels::detail::detail_ui;
use crate::ui::panels::dialogs::{Dialog, dialog_ui};
use crate::ui::panels::editor::{EditorState, editor_ui};
use crate::ui::panels::feed::feed_ui;
use crate::ui::panels::header::{HeaderAction, Tab, menu_bar_ui, notices_ui, profile_header_ui};
use crate::ui::panels::profiles::{ProfileAction, profiles_ui};
use crate::ui::panels::status_bar::status_bar_ui;

/// Worker events taken in per frame, over all profiles.
const DRAIN_BUDGET: usize = 20_000;
/// How soon a worker's event gets a frame drawn (events within it share one frame).
const WAKE_COALESCE: Duration = Duration::from_millis(50);
/// The slow tick while polls are held.
const TICK: Duration = Duration::from_secs(1);
/// How long closing may take to stop everything.
const EXIT_DEADLINE: Duration = Duration::from_secs(3);

/// How the app starts: the loaded profile store and what to do with it.
#[derive(Debug)]
pub struct AppSetup {
    pub loaded: Loaded,
    /// With no profiles, create and connect the "Demo" profile.
    pub first_run_demo: bool,
    /// Reconnect the profiles that were connected last time (eframe storage).
    pub restore: bool,
    /// Where exports are suggested to go (Downloads, else `exports/` in the config dir).
    pub export_base: PathBuf,
}

impl AppSetup {
    /// Load the profiles in `config_dir` (file I/O: call before the window opens).
    #[must_use]
    pub fn load(config_dir: PathBuf) -> Self {
        Self {
            export_base: transfer::export_base(&config_dir),
            loaded: Loaded::open(config_dir),
            first_run_demo: true,
            restore: true,
        }
    }
}

/// What is remembered between runs besides the profiles and the window.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct SavedUi {
    connected: Vec<String>,
    selected: Option<String>,
    tab: Tab,
    hide_connections: bool,
    chart_window: ChartWindow,
}

/// The Pollscope window.
pub struct PollscopeApp {
    ws: Workspace,
    selected: Option<EntryId>,
    tab: Tab,
    show_connections: bool,
    chart_window: ChartWindow,
    editor: EditorState,
    dialog: Option<Dialog>,
}

impl std::fmt::Debug for PollscopeApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollscopeApp")
            .field("ws", &self.ws)
            .finish_non_exhaustive()
    }
}

impl PollscopeApp {
    /// Build the app (in eframe's creator closure, where the context is known).
    #[must_use]
    pub fn new(cc: &eframe::CreationContext<'_>, setup: AppSetup) -> Self {
        let ctx = cc.egui_ctx.clone();
        ctx.options_mut(|o| o.theme_preference = egui::ThemePreference::System);
        // Each event asks for a frame within WAKE_COALESCE rather than at once: the two
        // pollers of a stream answer within a millisecond of each other, and a burst of
        // events should cost one frame, not one each.
        let waker: Waker = Arc::new(move || ctx.request_repaint_after(WAKE_COALESCE));
        let saved: SavedUi = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let mut ws = Workspace::new(setup.loaded, waker);
        ws.export_base = setup.export_base;
        let mut app = Self {
            ws,
            selected: None,
            tab: saved.tab,
            show_connections: !saved.hide_connections,
            chart_window: saved.chart_window,
            editor: EditorState::default(),
            dialog: None,
        };
        if app.ws.entries.is_empty() && setup.first_run_demo {
            let id = app.ws.add_demo();
            app.ws.connect(id);
            app.selected = Some(id);
            app.tab = Tab::Monitor;
        } else if setup.restore {
            for name in &saved.connected {
                if let Some(id) = app.ws.find(name) {
                    app.ws.connect(id);
                }
            }
            app.selected = saved.selected.as_deref().and_then(|n| app.ws.find(n));
        }
        if app.selected.is_none() {
            app.selected = app.ws.entries.first().map(|e| e.id);
        }
        app
    }

    /// The model behind the panels (for tests).
    #[must_use]
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The model behind the panels, to change (benchmarks put a long-running monitor
    /// in place).
    #[must_use]
    pub fn workspace_mut(&mut self) -> &mut Workspace {
        &mut self.ws
    }

    /// Show `window` in the charts (as picking it above them does).
    pub fn set_chart_window(&mut self, window: ChartWindow) {
        self.chart_window = window;
    }

    /// The selected profile.
    #[must_use]
    pub fn selected(&self) -> Option<EntryId> {
        self.selected
    }

    fn saved_ui(&self) -> SavedUi {
        SavedUi {
            connected: self
                .ws
                .entries
                .iter()
                .filter(|e| e.is_live())
                .map(|e| e.profile.name.clone())
                .collect(),
            selected: self
                .selected
                .and_then(|id| self.ws.get(id))
                .map(|e| e.profile.name.clone()),
            tab: self.tab,
            hide_connections: !self.show_connections,
            chart_window: self.chart_window,
        }
    }

    /// The bars and side panels, then the selected profile's view.
    fn layout_ui(&mut self, ui: &mut Ui, now: Instant) {
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
        if !self.ws.notices.is_empty() {
            egui::Panel::top("notices").show(ui, |ui| {
                notices_ui(ui, &self.ws.notices, &mut header_actions);
            });
        }
        let summary = selected
            .and_then(|e| e.monitor.as_ref())
            .map(|m| m.stats().summary(m.stopped_at().unwrap_or(now)));
        let connected = self.ws.entries.iter().filter(|e| e.is_live()).count();
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            status_bar_ui(
                ui,
                selected,
                summary.as_ref(),
                connected,
                &self.ws.save_status,
                now,
            );
        });
        let profile_actions = egui::Panel::left("profiles")
            .resizable(true)
            .default_size(220.0)
            .size_range(170.0..=480.0)
            .show(ui, |ui| profiles_ui(ui, &self.ws, self.selected, now))
            .inner;
        // An open event detail takes the connections panel's room.
        let detail_open = selected.is_some_and(|e| e.feed_view.selected.is_some());
        if self.show_connections
            && !detail_open
            && let (Some(m), Some(s)) = (selected.and_then(|e| e.monitor.as_ref()), &summary)
            && self.tab == Tab::Monitor
        {
            egui::Panel::right("connections")
                .resizable(true)
                .default_size(260.0)
                .size_range(200.0..=520.0)
                .show(ui, |ui| connections_ui(ui, m, s, now));
        }
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
        }
    }

    fn compare_tab_ui(&mut self, ui: &mut Ui, id: EntryId) {
        let mut actions = Vec::new();
        if let Some(entry) = self.ws.get_mut(id) {
            compare_ui(ui, entry, &mut actions);
        }
        for a in actions {
            self.compare_act(ui.ctx(), id, a);
        }
    }

    fn editor_tab_ui(&mut self, ui: &mut Ui, id: EntryId) {
        let Some(entry) = self.ws.get_mut(id) else {
            return;
        };
        let before = entry.profile.clone();
        let outcome = editor_ui(ui, &mut entry.profile, &mut self.editor);
        let changed = entry.profile != before;
        if changed {
            self.ws.profiles_changed();
        }
        if outcome.rename {
            self.act(ProfileAction::Rename(id));
        }
    }

    fn monitor_ui(&mut self, ui: &mut Ui, id: EntryId, now: Instant, summary: Option<&Summary>) {
        let window = &mut self.chart_window;
        let Some(entry) = self.ws.get_mut(id) else {
            return;
        };
        let (Some(monitor), Some(summary)) = (&entry.monitor, summary) else {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.label(egui::RichText::new("Not connected").heading().weak());
                ui.label("Connect to see the live feed, hold times and connection reuse.");
            });
            return;
        };
        egui::Panel::top("charts")
            .resizable(true)
            .default_size(330.0)
            .size_range(160.0..=800.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 4)))
            .show(ui, |ui| {
                charts_ui(ui, monitor, summary, &mut entry.charts, window, now)
            });
        let selected_item = entry.feed_view.selected.and_then(|i| monitor.feed().get(i));
        if let Some(item) = selected_item {
            let mut close = false;
            egui::Panel::right("event-detail-pane")
                .resizable(true)
                .default_size(400.0)
                .size_range(240.0..=1200.0)
                .frame(egui::Frame::new().inner_margin(egui::Margin {
                    left: 8,
                    ..egui::Margin::ZERO
                }))
                .show(ui, |ui| detail_ui(ui, item, &mut entry.detail, &mut close));
            if close {
                entry.feed_view.selected = None;
            }
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(0, 4)))
            .show(ui, |ui| feed_ui(ui, monitor, &mut entry.feed_view));
    }
}

impl eframe::App for PollscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.ws.drain(DRAIN_BUDGET) {
            ctx.request_repaint();
        } else if self.ws.any_comparing() {
            ctx.request_repaint_after(CHART_EVERY);
        } else if self.ws.any_waiting() || self.ws.any_live() {
            ctx.request_repaint_after(TICK);
        }
        if let Some(&first) = self.ws.imported.first() {
            self.ws.imported.clear();
            self.select(first);
        }
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let now = Instant::now();
        self.shortcuts(ui.ctx());
        self.layout_ui(ui, now);
        let ctx = ui.ctx().clone();
        if let Some(id) = dialog_ui(&ctx, &mut self.dialog, &mut self.ws) {
            self.select(id);
            self.tab = Tab::Profile;
        }
        if self.selected.is_some_and(|id| self.ws.get(id).is_none()) {
            self.selected = self.ws.entries.first().map(|e| e.id);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.saved_ui());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        log::info!("closing: stopping every session");
        self.ws.shutdown(EXIT_DEADLINE);
    }
}
