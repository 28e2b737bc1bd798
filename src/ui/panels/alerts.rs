//! The Alerts tab: the alert rules of the selected profile (or of every profile) as they
//! stand now — firing or ok, since when, the last reading, how often they fired — and
//! the history of transitions, newest first. Rules are evaluated in the engine (the
//! monitor's alert pump); this view only reads them.

use std::time::{Instant, SystemTime};

use egui::{RichText, Ui};

use crate::alert::{AlertState, Transition};
use crate::present::units;
use crate::ui::model::entry::{Entry, EntryId};
use crate::ui::model::workspace::Workspace;
use crate::ui::widgets::{format, theme};

/// Rows of history shown at most (the newest).
const HISTORY_ROWS: usize = 200;

/// Which profiles the tab shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AlertsScope {
    /// The selected profile.
    #[default]
    Selected,
    /// Every profile.
    All,
}

/// One rule as it stands now.
struct NowRow {
    profile: String,
    rule: String,
    state: RowState,
    reading: String,
    fired: u64,
}

/// A rule's state in the Now table.
#[derive(Clone, Copy)]
enum RowState {
    /// Its profile is not connected: nothing evaluates it.
    NotConnected,
    Ok,
    /// Firing for this long.
    Firing(std::time::Duration),
}

/// The tab's contents.
pub fn alerts_ui(
    ui: &mut Ui,
    ws: &Workspace,
    selected: EntryId,
    scope: &mut AlertsScope,
    now: Instant,
) {
    ui.horizontal(|ui| {
        ui.selectable_value(scope, AlertsScope::Selected, "This profile");
        ui.selectable_value(scope, AlertsScope::All, "All profiles");
    });
    let entries: Vec<&Entry> = match scope {
        AlertsScope::Selected => ws.get(selected).into_iter().collect(),
        AlertsScope::All => ws.entries().iter().collect(),
    };
    let all = *scope == AlertsScope::All;
    let (rows, history) = gather(&entries, now);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.add_space(6.0);
            ui.label(RichText::new("Now").strong().size(15.0));
            ui.separator();
            now_ui(ui, &rows, all);
            ui.add_space(10.0);
            ui.label(RichText::new("History").strong().size(15.0));
            ui.separator();
            history_ui(ui, &history, all);
        });
}

/// The rules now and the transitions (newest first) of `entries`' monitors.
fn gather(entries: &[&Entry], now: Instant) -> (Vec<NowRow>, Vec<Transition>) {
    let mut rows = Vec::new();
    let mut history = Vec::new();
    for entry in entries {
        let Some(monitor) = &entry.monitor else {
            rows.extend(entry.profile.alerts.rules.iter().map(|r| NowRow {
                profile: entry.profile.name.clone(),
                rule: r.to_string(),
                state: RowState::NotConnected,
                reading: String::new(),
                fired: 0,
            }));
            continue;
        };
        let alerts = monitor.alerts();
        for s in alerts.statuses() {
            rows.push(NowRow {
                profile: entry.profile.name.clone(),
                rule: s.rule.to_string(),
                state: s.firing_since.map_or(RowState::Ok, |t| {
                    RowState::Firing(now.saturating_duration_since(t))
                }),
                reading: s.reading.unwrap_or_else(|| "not judged yet".to_owned()),
                fired: s.fired,
            });
        }
        history.extend(alerts.history().iter().cloned());
    }
    history.sort_by_key(|t| std::cmp::Reverse(t.at_wall));
    history.truncate(HISTORY_ROWS);
    (rows, history)
}

fn now_ui(ui: &mut Ui, rows: &[NowRow], all: bool) {
    if rows.is_empty() {
        ui.label(
            RichText::new(
                "No alert rules. Add them in the Profile tab (Alerts section); quiet and \
                 stalled show on the badge without any.",
            )
            .weak(),
        );
        return;
    }
    let firing = rows
        .iter()
        .filter(|r| matches!(r.state, RowState::Firing(_)))
        .count();
    ui.label(if firing == 0 {
        RichText::new("No alert is firing").color(theme::EVENTS)
    } else {
        RichText::new(format!("{firing} firing")).color(theme::ERROR)
    });
    egui::Grid::new("alerts-now")
        .striped(true)
        .num_columns(if all { 5 } else { 4 })
        .show(ui, |ui| {
            if all {
                ui.label(RichText::new("Profile").weak());
            }
            for h in ["Rule", "State", "Reading", "Fired"] {
                ui.label(RichText::new(h).weak());
            }
            ui.end_row();
            for r in rows {
                if all {
                    ui.label(&r.profile);
                }
                ui.label(RichText::new(&r.rule).monospace());
                match r.state {
                    RowState::Firing(d) => ui.label(
                        RichText::new(format!("firing for {}", units::whole_seconds(d)))
                            .color(theme::ERROR),
                    ),
                    RowState::Ok => ui.label(RichText::new("ok").color(theme::EVENTS)),
                    RowState::NotConnected => ui.label(RichText::new("not connected").weak()),
                };
                ui.label(&r.reading);
                ui.label(format!("{}×", r.fired));
                ui.end_row();
            }
        });
}

fn history_ui(ui: &mut Ui, history: &[Transition], all: bool) {
    if history.is_empty() {
        ui.label(RichText::new("Nothing has fired yet.").weak());
        return;
    }
    egui::Grid::new("alerts-history")
        .striped(true)
        .num_columns(if all { 5 } else { 4 })
        .show(ui, |ui| {
            for t in history {
                ui.label(RichText::new(clock(t.at_wall)).monospace().weak());
                if all {
                    ui.label(&t.profile);
                }
                let (state, color) = match t.state {
                    AlertState::Firing => ("FIRING", theme::ERROR),
                    AlertState::Resolved => ("RESOLVED", theme::EVENTS),
                };
                ui.label(RichText::new(state).color(color).strong());
                ui.label(RichText::new(t.rule.to_string()).monospace());
                let fired = t
                    .fired_for
                    .map(|d| format!(" (fired for {})", units::duration(d)))
                    .unwrap_or_default();
                ui.label(format::drawable(&format!("{}{fired}", t.reason)));
                ui.end_row();
            }
        });
}

/// `14:03:07` (UTC).
fn clock(t: SystemTime) -> String {
    let c = format::clock_utc(t);
    c.split('.').next().unwrap_or(&c).to_owned()
}
