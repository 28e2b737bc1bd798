//! The Connections panel: what the transport measured for the selected profile (TCP
//! connects, TLS handshakes, handshake time spent and saved by reuse, stale-connection
//! retries), the faults seen (errors by kind, lost and duplicate events, resyncs,
//! client-cut holds) and, per poller, its state, how long its poll has been held, the
//! polls its connection has carried and the connection's age.

use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use crate::monitor::Monitor;
use crate::present::units;
use crate::stats::{PollerState, PollerView, SessionState, Summary};
use crate::ui::widgets::theme;

/// The panel's contents.
pub fn connections_ui(ui: &mut Ui, monitor: &Monitor, summary: &Summary, now: Instant) {
    ui.add_space(2.0);
    totals_ui(ui, monitor, summary);
    ui.add_space(8.0);
    faults_ui(ui, monitor, summary);
    ui.add_space(8.0);
    sessions_ui(ui, summary);
    ui.label(RichText::new("Pollers").strong());
    ui.separator();
    pollers_ui(ui, monitor, now);
}

/// The figures' column: "1,234 (97.3 %)" in monospace.
const FIGURE_COLUMN: f32 = 90.0;

fn totals_ui(ui: &mut Ui, monitor: &Monitor, s: &Summary) {
    let metrics = monitor.metrics();
    egui::Grid::new("connection-totals")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 4.0])
        // Wide enough for the usual figures, so a figure changing width does not change
        // the grid's (egui then draws a second frame at once to settle it).
        .min_col_width(FIGURE_COLUMN)
        .show(ui, |ui| {
            let mut kv = |k: &str, v: String, hint: &str| {
                figure_row_ui(ui, k, RichText::new(v).monospace(), hint);
            };
            kv(
                "TCP connects",
                units::count(metrics.tcp_connects()),
                "New TCP connections the transport opened",
            );
            kv(
                "TLS handshakes",
                units::count(metrics.tls_handshakes()),
                "Handshakes completed (https only)",
            );
            kv(
                "Handshake time spent",
                units::millis(s.connect_ms_total + s.tls_ms_total),
                "TCP connect plus TLS handshake time, summed over new connections",
            );
            kv(
                "Saved by reuse",
                units::millis(s.handshake_ms_saved),
                "Reused polls × the median cost of a new connection",
            );
            kv(
                "Reused polls",
                format!(
                    "{} ({})",
                    units::count(s.reused_connections),
                    units::opt_percent(s.reuse_ratio)
                ),
                "Answers that came over a connection already open",
            );
            kv(
                "Stale-connection retries",
                units::count(s.stale_retries),
                "Requests re-sent because a kept-alive connection had been closed by the server",
            );
            kv(
                "Open connections",
                units::count(metrics.open_connections() as u64),
                "Connections open now (in use or pooled)",
            );
            kv(
                "Connect failures",
                units::count(metrics.connect_failures()),
                "TCP connects or TLS handshakes that failed",
            );
        });
}

/// One row of a figures grid: what it is (`hint` on hover), and the figure, labelled by
/// it for screen readers (and tests): "Lost events: 12".
fn figure_row_ui(ui: &mut Ui, key: &str, value: RichText, hint: &str) {
    let key = ui.label(key).on_hover_text(hint);
    ui.label(value).labelled_by(key.id);
    ui.end_row();
}

/// A figure in monospace, in `flag`'s colour when it calls for attention.
fn figure(text: String, flag: Option<egui::Color32>) -> RichText {
    let text = RichText::new(text).monospace();
    match flag {
        Some(color) => text.color(color),
        None => text,
    }
}

/// Something went wrong besides errors: lost or duplicate events, resyncs, cut holds,
/// stale connections.
fn any_fault(s: &Summary) -> bool {
    s.lost_events > 0
        || s.duplicate_events > 0
        || s.resyncs > 0
        || s.client_cuts > 0
        || s.stale_retries > 0
}

/// Errors by kind and what was lost; quiet (one line) while nothing went wrong.
fn faults_ui(ui: &mut Ui, monitor: &Monitor, s: &Summary) {
    ui.label(RichText::new("Faults").strong());
    let by_kind = monitor.stats().errors_by_kind();
    if by_kind.is_empty() && !any_fault(s) {
        ui.label(RichText::new("none so far").weak().small());
        return;
    }
    egui::Grid::new("connection-faults")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 4.0])
        // Wide enough for the usual figures, so a figure changing width does not change
        // the grid's (egui then draws a second frame at once to settle it).
        .min_col_width(FIGURE_COLUMN)
        .show(ui, |ui| {
            let mut kv = |k: &str, n: u64, bad: bool, hint: &str| {
                let flag = (bad && n > 0).then_some(theme::ERROR);
                figure_row_ui(ui, k, figure(units::count(n), flag), hint);
            };
            for (kind, n) in by_kind {
                kv(
                    &format!("errors: {}", kind.name()),
                    *n,
                    true,
                    "Failed polls of this kind (the feed's red rows say why)",
                );
            }
            kv(
                "Lost events",
                s.lost_events,
                true,
                "Gaps in the sequence numbers, and positions skipped by resyncs",
            );
            if s.duplicate_events > 0 {
                kv(
                    "Duplicate events",
                    s.duplicate_events,
                    true,
                    "Sequence numbers seen twice",
                );
            }
            kv(
                "Resyncs",
                s.resyncs,
                false,
                "The server refused an old cursor and the poller jumped to its current position",
            );
            if s.client_cuts > 0 {
                kv(
                    "Holds cut by the client",
                    s.client_cuts,
                    false,
                    "Polls the client's timeout ended, counted as empty answers",
                );
            }
        });
}

/// Session figures: restarts, control messages, replies, answers from a server not
/// holding; nothing while there are none (a plain long poll against a holding server).
fn sessions_ui(ui: &mut Ui, s: &Summary) {
    let quiet = s.session_restarts == 0
        && s.control_messages == 0
        && s.not_holding_answers == 0
        && s.restarts.is_empty();
    if quiet {
        return;
    }
    ui.label(RichText::new("Sessions").strong());
    egui::Grid::new("connection-sessions")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 4.0])
        // Wide enough for the usual figures, so a figure changing width does not change
        // the grid's (egui then draws a second frame at once to settle it).
        .min_col_width(FIGURE_COLUMN)
        .show(ui, |ui| {
            let mut kv = |k: &str, v: String, warn: bool, hint: &str| {
                figure_row_ui(ui, k, figure(v, warn.then_some(theme::WARNING)), hint);
            };
            kv(
                "Session restarts",
                units::count(s.session_restarts),
                s.session_restarts > 0,
                "Sessions the server ended; each time the poller ran its bootstrap steps again",
            );
            let kinds: Vec<String> = s
                .control_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {}", units::count(*n)))
                .collect();
            kv(
                "Control messages",
                units::count(s.control_messages),
                false,
                &format!(
                    "Pings, heartbeats, meta replies (never events): {}",
                    kinds.join(", ")
                ),
            );
            kv(
                "Replies sent",
                units::count(s.replies_sent),
                false,
                "Answers to control messages that need one (Engine.IO pong)",
            );
            kv(
                "Not holding",
                units::count(s.not_holding_answers),
                s.not_holding_answers > 0,
                "Long polls answered at once with nothing new, again: the poller paced itself",
            );
        });
    last_restart_ui(ui, s);
    ui.add_space(8.0);
}

/// The last session restart, in a line: which poller, when, why.
fn last_restart_ui(ui: &mut Ui, s: &Summary) {
    if let Some(last) = s.restarts.last() {
        ui.label(
            RichText::new(format!(
                "last restart: p{} at {:.0} s: {} ({} events before, {} after)",
                last.poller,
                last.t_s,
                last.reason,
                units::count(last.events_before),
                units::count(last.events_after)
            ))
            .small()
            .weak(),
        );
    }
}

fn pollers_ui(ui: &mut Ui, monitor: &Monitor, now: Instant) {
    let pollers = monitor.stats().pollers();
    if pollers.is_empty() {
        ui.label(RichText::new("No poll yet.").weak());
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) * 2.0 + 8.0;
    egui::ScrollArea::vertical()
        .id_salt("pollers")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, pollers.len(), |ui, range| {
            for i in range {
                if let Some(view) = pollers.get(i) {
                    poller_ui(ui, i, view, monitor.is_live(), now);
                }
            }
        });
}

/// "bootstrapping", "in session 3 (2 restarts)", or nothing for a plain long poll.
fn session_text(view: &PollerView) -> Option<String> {
    let restarts = match view.restarts {
        0 => String::new(),
        1 => " (1 restart)".to_owned(),
        n => format!(" ({} restarts)", units::count(n)),
    };
    match view.session {
        SessionState::None => None,
        SessionState::Bootstrapping => Some(format!("bootstrapping{restarts}")),
        SessionState::InSession { number } => Some(format!("in session {number}{restarts}")),
    }
}

/// A poller's state in words, its colour, and how long it has been in it.
fn poller_state(
    view: &PollerView,
    live: bool,
    now: Instant,
) -> (&'static str, egui::Color32, String) {
    match &view.state {
        _ if !live => ("stopped", theme::IDLE, String::new()),
        PollerState::Idle => ("answered", theme::EVENTS, String::new()),
        PollerState::Holding { since } => (
            "holding",
            theme::HOLDING,
            format!(
                "for {}",
                units::whole_seconds(now.saturating_duration_since(*since))
            ),
        ),
        PollerState::BackingOff { until, .. } => (
            "backing off",
            theme::WARNING,
            format!(
                "retry in {}",
                // Rounded up: a countdown says "1 s" until the retry, never "0 s" before it.
                units::whole_seconds(ceil_seconds(until.saturating_duration_since(now)))
            ),
        ),
        PollerState::Stopped => ("stopped", theme::IDLE, String::new()),
    }
}

fn poller_ui(ui: &mut Ui, index: usize, view: &PollerView, live: bool, now: Instant) {
    let (state, color, held) = poller_state(view, live, now);
    let response = ui
        .vertical(|ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("p{index}")).monospace().strong());
                theme::dot_ui(ui, color);
                ui.label(RichText::new(state).color(color));
                ui.label(RichText::new(held).monospace().weak());
                if let Some(session) = session_text(view) {
                    ui.label(RichText::new(session).small());
                }
            });
            let conn = match (view.connection, view.connection_opened) {
                (Some(id), Some(opened)) => format!(
                    "conn #{id} · {} polls · open {}",
                    units::count(view.requests_on_connection),
                    units::whole_seconds(now.saturating_duration_since(opened))
                ),
                (Some(id), None) => format!("conn #{id} · {} polls", view.requests_on_connection),
                _ => "no connection yet".to_owned(),
            };
            ui.label(RichText::new(conn).small().weak());
        })
        .response;
    let mut hover = format!(
        "{} polls, {} events, {} errors",
        units::count(view.polls),
        units::count(view.events),
        units::count(view.errors)
    );
    if let Some(seq) = view.last_seq {
        hover.push_str(&format!("\nlast seq {seq}"));
    }
    if let Some(e) = &view.last_error {
        hover.push_str(&format!("\nlast error: {e}"));
    }
    response.on_hover_text(hover);
}

/// `d` rounded up to whole seconds.
fn ceil_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}
