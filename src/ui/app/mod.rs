//! The eframe app: owns the [`Workspace`] (the model) and the view state of each
//! profile ([`Views`]), lays out the panels ([`layout`]), carries out what they return
//! ([`commands`]), and persists which profiles were connected.
//!
//! Per frame, `logic` drains the workers' events (bounded) and what the starter, saver
//! and job threads reported, and schedules the next frame: none when nothing is
//! connected, a 1 Hz tick while polls are held (to move "held for N s"), 4 Hz while a
//! comparison runs, at once when events are still waiting. `ui` only draws and reacts.

mod commands;
mod layout;
mod screen_latency;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::poll::Waker;
use crate::ui::model::desktop;
use crate::ui::model::entry::EntryId;
use crate::ui::model::saver::Loaded;
use crate::ui::model::transfer;
use crate::ui::model::workspace::Workspace;
use crate::ui::panels::dialogs::{Dialog, dialog_ui};
use crate::ui::panels::editor::EditorState;
use crate::ui::panels::header::Tab;
use crate::ui::view::compare_lanes::CHART_EVERY;
use crate::ui::view::entry::{EntryView, Views};
use crate::ui::view::side::SidePanel;
use crate::ui::view::time_axis::ChartWindow;
use crate::ui::widgets::theme;

/// Worker events taken in per frame, over all profiles.
const DRAIN_BUDGET: usize = 20_000;
/// How soon a worker's event gets a frame drawn (events within it share one frame).
/// Under a software renderer (Xvfb, a VM, remote desktop) a frame costs ~10 ms of CPU
/// whatever changed, so the frame rate is the window's CPU: at 50 ms a 5 events/s
/// stream drew a frame per event (7 frames/s with the extras, 12 % of a core); at 220 ms
/// two events share a frame (2.5–3 frames/s) and an event is still on screen within
/// 250 ms of arriving (issue 17's bound).
const WAKE_COALESCE: Duration = Duration::from_millis(220);
/// The same while the window is not focused (the user is in another app): a bounded,
/// low frame rate however fast events come.
const WAKE_COALESCE_UNFOCUSED: Duration = Duration::from_secs(1);
/// The same while the window is minimised (nothing to see).
const WAKE_COALESCE_MINIMISED: Duration = Duration::from_secs(5);
/// The slow tick while polls are held.
const TICK: Duration = Duration::from_secs(1);
/// How long closing may take to stop everything.
const EXIT_DEADLINE: Duration = Duration::from_secs(3);

/// How the app starts: the loaded profile store and what to do with it.
#[derive(Debug)]
pub struct AppSetup {
    /// The profiles as loaded.
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
        let export_base = transfer::export_base(&config_dir);
        Self::loaded(Loaded::open(config_dir), export_base)
    }

    /// [`Self::load`] with every secret kept in the profiles file, never the keyring
    /// (for tests: they must not write into the keyring of whoever runs them).
    #[must_use]
    pub fn load_keeping_secrets_in_the_file(config_dir: PathBuf) -> Self {
        let export_base = transfer::export_base(&config_dir);
        let loaded = Loaded::open_with(
            config_dir,
            crate::keyring::Keyring::session(),
            crate::keyring::Policy::File,
        );
        Self::loaded(loaded, export_base)
    }

    fn loaded(loaded: Loaded, export_base: PathBuf) -> Self {
        Self {
            export_base,
            loaded,
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
    /// The Profiles panel opened or collapsed by hand (absent: by the window's width).
    profiles_panel: Option<bool>,
    /// The Connections panel opened by hand (collapsed by hand: `hide_connections`).
    connections_panel: Option<bool>,
    chart_window: ChartWindow,
    /// System, light or dark.
    theme: egui::ThemePreference,
}

/// The Pollscope window.
pub struct PollscopeApp {
    /// Set by the first worker that asks for a frame since the last one; cleared when a
    /// frame starts taking events in.
    wake_pending: Arc<AtomicBool>,
    /// How soon (ms) an event asks for a frame: [`WAKE_COALESCE`], longer while the
    /// window is unfocused or minimised.
    wake_after_ms: Arc<AtomicU64>,
    /// Rung by the threads the app starts itself ("Test once").
    waker: Waker,
    ws: Workspace,
    views: Views,
    selected: Option<EntryId>,
    tab: Tab,
    /// The Profiles panel: open or collapsed to a strip.
    profiles_panel: SidePanel,
    /// The Connections panel (Monitor tab): open or collapsed to a strip.
    connections_panel: SidePanel,
    chart_window: ChartWindow,
    /// The theme picked in the View menu (kept for the next run).
    theme: egui::ThemePreference,
    alerts_scope: crate::ui::panels::alerts::AlertsScope,
    editor: EditorState,
    dialog: Option<Dialog>,
    /// The system's file picker, on screen for the dialog's path.
    picker: Option<desktop::Picker>,
    /// Event-to-screen delays, logged at exit.
    screen: screen_latency::ScreenLatency,
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
        let saved: SavedUi = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        ctx.options_mut(|o| o.theme_preference = saved.theme);
        theme::panels_over_clear(&ctx);
        // Each event asks for a frame within WAKE_COALESCE rather than at once: the two
        // pollers of a stream answer within a millisecond of each other, and a burst of
        // events should cost one frame, not one each. Only the first event since the
        // last frame asks egui at all: asking takes the context's lock, and a thousand
        // pollers asking thousands of times a second would contend with the frame.
        let wake_pending = Arc::new(AtomicBool::new(false));
        let pending = Arc::clone(&wake_pending);
        let wake_after_ms = Arc::new(AtomicU64::new(millis(WAKE_COALESCE)));
        let after = Arc::clone(&wake_after_ms);
        let waker: Waker = Arc::new(move || {
            if !pending.swap(true, Ordering::AcqRel) {
                ctx.request_repaint_after(Duration::from_millis(after.load(Ordering::Relaxed)));
            }
        });
        let mut app = Self {
            wake_pending,
            wake_after_ms,
            waker: waker.clone(),
            ws: Workspace::new(setup.loaded, setup.export_base, waker),
            views: Views::default(),
            selected: None,
            tab: saved.tab,
            profiles_panel: SidePanel::chosen(saved.profiles_panel),
            connections_panel: SidePanel::chosen(if saved.hide_connections {
                Some(false)
            } else {
                saved.connections_panel
            }),
            chart_window: saved.chart_window,
            theme: saved.theme,
            alerts_scope: crate::ui::panels::alerts::AlertsScope::default(),
            editor: EditorState::default(),
            dialog: None,
            picker: None,
            screen: screen_latency::ScreenLatency::default(),
        };
        if app.ws.entries().is_empty() && setup.first_run_demo {
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
            app.selected = app.ws.entries().first().map(|e| e.id);
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

    /// The view state of profile `id` for its current session, once drawn (for tests
    /// and benchmarks: the charts' series, the Compare tab's lanes).
    #[must_use]
    pub fn view(&self, id: EntryId) -> Option<&EntryView> {
        self.views.get(self.ws.get(id)?)
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
                .entries()
                .iter()
                .filter(|e| e.is_live() || e.is_connecting())
                .map(|e| e.profile.name.clone())
                .collect(),
            selected: self
                .selected
                .and_then(|id| self.ws.get(id))
                .map(|e| e.profile.name.clone()),
            tab: self.tab,
            hide_connections: self.connections_panel.choice() == Some(false),
            profiles_panel: self.profiles_panel.choice(),
            connections_panel: self.connections_panel.choice().filter(|open| *open),
            chart_window: self.chart_window,
            theme: self.theme,
        }
    }

    /// The live feed this frame drew, for the event-to-screen delays.
    fn note_drawn_events(&mut self, started: std::time::SystemTime) {
        let shown = self
            .selected
            .filter(|_| self.tab == Tab::Monitor)
            .and_then(|id| {
                let entry = self.ws.get(id)?;
                let monitor = entry.monitor.as_ref()?;
                let live = self
                    .views
                    .get(entry)
                    .is_none_or(|v| v.feed.paused_at.is_none());
                live.then_some(monitor)
            });
        match shown {
            Some(m) => {
                let key = std::ptr::from_ref(m) as usize as u64;
                self.screen.drew(key, m.feed(), started);
            }
            None => self.screen.not_drawn(),
        }
    }

    /// The dialog on screen, if any; what it asks for is carried out after it.
    fn dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.dialog else {
            self.picker = None;
            return;
        };
        if let Some(answer) = self.picker.as_ref().and_then(desktop::Picker::answer) {
            self.picker = None;
            match answer {
                desktop::Picked::Path(path) => dialog.picked(&path),
                desktop::Picked::Cancelled => {}
                desktop::Picked::Unavailable => dialog.refuse(
                    "No file picker is available here (it needs the desktop portal or \
                     zenity): type the path."
                        .to_owned(),
                ),
            }
        }
        if let Some(action) = dialog_ui(ctx, dialog, &self.ws, self.picker.is_some()) {
            self.dialog_act(ctx, action);
        }
    }
}

impl eframe::App for PollscopeApp {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        theme::clear_color(visuals)
    }

    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.screen.frame_done(frame.info().cpu_usage);
        let (focused, minimised) = ctx.input(|i| {
            let v = i.viewport();
            (v.focused.unwrap_or(true), v.minimized.unwrap_or(false))
        });
        let after = if minimised {
            WAKE_COALESCE_MINIMISED
        } else if focused {
            WAKE_COALESCE
        } else {
            WAKE_COALESCE_UNFOCUSED
        };
        self.wake_after_ms.store(millis(after), Ordering::Relaxed);
        // Cleared before taking events in: an event sent from here on asks again.
        self.wake_pending.store(false, Ordering::Release);
        if self.ws.drain(DRAIN_BUDGET) {
            ctx.request_repaint();
        } else if self.ws.any_comparing() {
            ctx.request_repaint_after(CHART_EVERY);
        } else if self.ws.any_waiting() || self.ws.any_live() {
            ctx.request_repaint_after(TICK);
        }
        if let Some(&first) = self.ws.take_imported().first() {
            self.select(first);
        }
        self.views.retain(&self.ws);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let now = Instant::now();
        let started = std::time::SystemTime::now();
        self.shortcuts(ui.ctx());
        self.layout_ui(ui, now);
        self.theme = ui.ctx().options(|o| o.theme_preference);
        self.note_drawn_events(started);
        self.dialog_ui(&ui.ctx().clone());
        if self.selected.is_some_and(|id| self.ws.get(id).is_none()) {
            self.selected = self.ws.entries().first().map(|e| e.id);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.saved_ui());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(s) = self.screen.summary() {
            log::info!("events on screen after they were published: {s}");
        }
        if let Some(s) = self.screen.frames_summary() {
            log::info!("frames: {s}");
        }
        log::info!("closing: stopping every session");
        self.ws.shutdown(EXIT_DEADLINE);
    }
}

/// Whole milliseconds of `d` (a few seconds at most).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
