//! The Compare tab: the settings (duration, short-poll interval, variants; intervals
//! under a second need an explicit confirmation), the progress while the variants run,
//! their overlaid charts (one colour per variant, as in the exported PNGs), and once
//! done the side-by-side table and the verdict, with Export… and Copy as Markdown.
//!
//! Draws the model in [`crate::ui::model::compare`] and returns what the user asked for.

use egui::{RichText, Ui};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

use crate::compare::{CompareError, Comparison, Variant, VariantResult};
use crate::profile::Profile;
use crate::ui::model::compare::{CompareTab, LaneSeries, PhaseView};
use crate::ui::model::workspace::{Entry, connect_issues};
use crate::ui::widgets::format;
use crate::ui::widgets::theme;

/// Lowest and highest plot heights (the charts fill what room the window leaves).
const CHART_HEIGHT: std::ops::RangeInclusive<f32> = 140.0..=360.0;
/// Narrowest chart for four in a row.
const MIN_CHART_WIDTH: f32 = 220.0;

/// What the user asked for in the tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareAction {
    /// Start; `confirmed` lets an aggressive short-poll interval run.
    Start {
        confirmed: bool,
    },
    Cancel,
    /// Open the export dialog for the result.
    Export,
    CopyMarkdown,
    /// Back to the settings.
    Reset,
}

/// The tab's contents.
pub fn compare_ui(ui: &mut Ui, entry: &mut Entry, actions: &mut Vec<CompareAction>) {
    let profile = &entry.profile;
    let tab = &mut entry.compare;
    egui::ScrollArea::vertical()
        .id_salt("compare-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            settings_ui(ui, profile, tab, actions);
            ui.add_space(6.0);
            match tab.view() {
                PhaseView::Setup => intro_ui(ui, profile),
                PhaseView::Running { elapsed_s, total_s } => {
                    progress_ui(ui, elapsed_s, total_s);
                }
                PhaseView::Finishing => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Stopping the variants and working out the results…");
                    });
                }
                PhaseView::Done(c) => result_ui(ui, c, actions),
                PhaseView::Failed(message) => {
                    ui.label(RichText::new(message).color(theme::ERROR));
                }
            }
            if !tab.lanes().is_empty() {
                ui.add_space(8.0);
                charts_ui(ui, tab);
            }
        });
}

fn settings_ui(
    ui: &mut Ui,
    profile: &Profile,
    tab: &mut CompareTab,
    actions: &mut Vec<CompareAction>,
) {
    let idle = !tab.is_active();
    ui.horizontal(|ui| {
        ui.add_enabled_ui(idle, |ui| {
            let label = ui.label("Duration");
            ui.add(egui::TextEdit::singleline(&mut tab.duration).desired_width(56.0))
                .labelled_by(label.id)
                .on_hover_text("How long every variant runs: 30s, 2m, 90");
            ui.add_space(8.0);
            let label = ui.label("Short-poll interval");
            ui.add(egui::TextEdit::singleline(&mut tab.interval).desired_width(56.0))
                .labelled_by(label.id)
                .on_hover_text("How often the short-polling variants ask: 5s, 1s, 500ms");
        });
        ui.add_space(8.0);
        start_ui(ui, profile, tab, actions);
    });
    ui.add_enabled_ui(idle, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Variants").weak());
            for (on, v) in tab.variants.iter_mut().zip(Variant::ALL) {
                theme::dot_ui(ui, theme::variant_color(v));
                ui.checkbox(on, v.label());
            }
        });
    });
    if idle {
        problems_ui(ui, profile, tab, actions);
    }
}

/// Start (or Cancel while running).
fn start_ui(ui: &mut Ui, profile: &Profile, tab: &CompareTab, actions: &mut Vec<CompareAction>) {
    if tab.is_active() {
        if matches!(tab.view(), PhaseView::Running { .. })
            && ui
                .button("Cancel")
                .on_hover_text("Stop every variant now, without a result")
                .clicked()
        {
            actions.push(CompareAction::Cancel);
        }
        return;
    }
    let ready = connect_issues(profile).is_empty()
        && tab.options().is_ok_and(|o| o.check(profile, false).is_ok());
    let button = egui::Button::new(RichText::new("Start").strong().color(egui::Color32::WHITE))
        .fill(theme::EVENTS);
    if ui
        .add_enabled(ready, button)
        .on_hover_text("Run the chosen variants of this profile side by side")
        .on_disabled_hover_text("See below for what to change first")
        .clicked()
    {
        actions.push(CompareAction::Start { confirmed: false });
    }
    if matches!(tab.view(), PhaseView::Done(_) | PhaseView::Failed(_))
        && ui
            .button("Clear")
            .on_hover_text("Back to the settings")
            .clicked()
    {
        actions.push(CompareAction::Reset);
    }
}

/// Why Start is disabled, and the confirmation an aggressive interval needs.
fn problems_ui(ui: &mut Ui, profile: &Profile, tab: &CompareTab, actions: &mut Vec<CompareAction>) {
    let issues = connect_issues(profile);
    if !issues.is_empty() {
        let why: Vec<String> = issues.iter().map(ToString::to_string).collect();
        ui.label(
            RichText::new(format!("Fix the profile first: {}", why.join("; ")))
                .color(theme::ERROR)
                .small(),
        );
        return;
    }
    let options = match tab.options() {
        Ok(o) => o,
        Err(e) => {
            ui.label(RichText::new(e).color(theme::ERROR).small());
            return;
        }
    };
    if let Err(e @ CompareError::Aggressive { .. }) = options.check(profile, false) {
        egui::Frame::new()
            .fill(theme::WARNING.gamma_multiply(0.15))
            .inner_margin(egui::Margin::symmetric(8, 6))
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Aggressive:").strong().color(theme::WARNING));
                    ui.label(RichText::new(e.to_string()).color(theme::WARNING));
                    if ui
                        .button("Start anyway")
                        .on_hover_text("I own this server, or may load it this hard")
                        .clicked()
                    {
                        actions.push(CompareAction::Start { confirmed: true });
                    }
                });
            });
    }
}

fn intro_ui(ui: &mut Ui, profile: &Profile) {
    let pollers = profile.pollers;
    ui.label(
        RichText::new(format!(
            "Runs the chosen variants of this profile at the same time against the same \
             endpoint, {pollers} poller(s) each: long polling as configured, with and without \
             keep-alive, and short polling every interval, with and without keep-alive. \
             The result is a table of what each cost, and a verdict in plain words."
        ))
        .weak(),
    );
}

fn progress_ui(ui: &mut Ui, elapsed_s: f64, total_s: f64) {
    let fraction = if total_s > 0.0 {
        (elapsed_s / total_s).clamp(0.0, 1.0)
    } else {
        1.0
    };
    #[expect(clippy::cast_possible_truncation, reason = "a fraction for a bar")]
    let bar = egui::ProgressBar::new(fraction as f32)
        .text(format!(
            "Running: {:.0} s of {:.0} s",
            elapsed_s.min(total_s),
            total_s
        ))
        .desired_width(ui.available_width().min(520.0));
    ui.add(bar);
}

/// `5 s`, `1.5 s`, `500 ms`.
fn interval_text(s: f64) -> String {
    if s >= 1.0 {
        format!("{} s", (s * 10.0).round() / 10.0)
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

fn result_ui(ui: &mut Ui, c: &Comparison, actions: &mut Vec<CompareAction>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Result").heading());
        if ui
            .button("Export…")
            .on_hover_text("Markdown report, PNG charts and JSON, into a folder")
            .clicked()
        {
            actions.push(CompareAction::Export);
        }
        if ui
            .button("Copy as Markdown")
            .on_hover_text("The table and the verdict, for a design review")
            .clicked()
        {
            actions.push(CompareAction::CopyMarkdown);
        }
        ui.label(
            RichText::new(format!(
                "{:.0} s, {} poller(s) per variant, short polls every {}",
                c.duration_s,
                c.pollers,
                interval_text(c.interval_s)
            ))
            .weak(),
        );
    });
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .inner_margin(egui::Margin::symmetric(10, 8))
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(RichText::new(&c.verdict).size(14.0));
        });
    ui.add_space(6.0);
    table_ui(ui, c);
}

/// The figures, one column per variant (the rows of the Markdown report).
fn table_ui(ui: &mut Ui, c: &Comparison) {
    egui::Grid::new("compare-table")
        .num_columns(c.results.len() + 1)
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            ui.label("");
            for r in &c.results {
                ui.horizontal(|ui| {
                    theme::dot_ui(ui, theme::variant_color(r.variant));
                    ui.label(RichText::new(r.label).strong());
                });
            }
            ui.end_row();
            for (label, cells) in rows(c) {
                ui.label(RichText::new(label).weak());
                for cell in cells {
                    ui.label(RichText::new(cell).monospace());
                }
                ui.end_row();
            }
        });
}

fn ms(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v.abs() >= 10.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), ms)
}

/// The rows of `compare::report`'s table, from the same fields.
fn rows(c: &Comparison) -> Vec<(&'static str, Vec<String>)> {
    let col = |f: &dyn Fn(&VariantResult) -> String| c.results.iter().map(f).collect();
    vec![
        ("requests sent", col(&|r| format::count(r.requests))),
        (
            "new TCP connections",
            col(&|r| format::count(r.new_connections)),
        ),
        ("TLS handshakes", col(&|r| format::count(r.tls_handshakes))),
        ("handshake time", col(&|r| ms(r.handshake_ms))),
        (
            "empty responses",
            col(&|r| {
                r.empty_pct
                    .map_or_else(|| "–".to_owned(), |p| format!("{p:.0}%"))
            }),
        ),
        ("bytes on the wire", col(&|r| format::bytes(r.wire_bytes()))),
        ("events received", col(&|r| format::count(r.events))),
        ("delivery delay p50", col(&|r| opt_ms(r.delay_ms_p50))),
        ("delivery delay p99", col(&|r| opt_ms(r.delay_ms_p99))),
        (
            "connections held (mean / max)",
            col(&|r| {
                format!(
                    "{:.1} / {:.0}",
                    r.held_connections_mean, r.held_connections_max
                )
            }),
        ),
        ("errors", col(&|r| format::count(r.errors))),
    ]
}

/// Which series a chart draws.
#[derive(Clone, Copy)]
enum Metric {
    Requests,
    Connections,
    Delay,
    Held,
}

impl Metric {
    fn title(self) -> &'static str {
        match self {
            Self::Requests => "Requests sent (cumulative)",
            Self::Connections => "New TCP connections (cumulative)",
            Self::Delay => "Delivery delay p50 (ms)",
            Self::Held => "Connections held open",
        }
    }

    fn series(self, lane: &LaneSeries) -> &[PlotPoint] {
        match self {
            Self::Requests => &lane.requests,
            Self::Connections => &lane.connections,
            Self::Delay => &lane.delay_ms,
            Self::Held => &lane.held,
        }
    }
}

/// Each variant's line (solid with keep-alive, dashed without), name, and totals so
/// far, in a box of its own so it does not read as the charts' titles.
fn legend_ui(ui: &mut Ui, lanes: &[LaneSeries]) {
    if lanes.is_empty() {
        return;
    }
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing.x = 28.0;
                for lane in lanes {
                    let color = theme::variant_color(lane.variant);
                    ui.vertical(|ui| {
                        ui.spacing_mut().item_spacing.x = 6.0;
                        ui.horizontal(|ui| {
                            line_swatch_ui(ui, color, !lane.variant.keep_alive());
                            ui.label(RichText::new(lane.variant.label()).color(color));
                        });
                        let figures = format!(
                            "{} requests · {} connections · {} events",
                            format::count(lane.total_requests),
                            format::count(lane.total_connections),
                            format::count(lane.total_events)
                        );
                        ui.label(RichText::new(figures).small().weak());
                    });
                }
            });
        });
    ui.add_space(6.0);
}

/// A short sample of a variant's line: solid, or dashed without keep-alive.
fn line_swatch_ui(ui: &mut Ui, color: egui::Color32, dashed: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 10.0), egui::Sense::hover());
    let y = rect.center().y;
    let stroke = egui::Stroke::new(2.5, color);
    if dashed {
        for x in [rect.left(), rect.left() + 8.0, rect.left() + 16.0] {
            ui.painter()
                .line_segment([egui::pos2(x, y), egui::pos2(x + 5.0, y)], stroke);
        }
    } else {
        ui.painter().line_segment(
            [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
            stroke,
        );
    }
}

/// A legend with each variant's totals so far, then the four charts: in a row when
/// there is room, else two by two; as tall as the room left in the window allows.
fn charts_ui(ui: &mut Ui, tab: &CompareTab) {
    legend_ui(ui, tab.lanes());
    let metrics = [
        Metric::Requests,
        Metric::Connections,
        Metric::Delay,
        Metric::Held,
    ];
    let columns = if ui.available_width() >= MIN_CHART_WIDTH * 4.0 {
        4
    } else {
        2
    };
    let rows = metrics.len() / columns;
    // Room left in the visible part of the scroll area, per row (title line included).
    let room = ui.clip_rect().bottom() - ui.cursor().top();
    let spacing = ui.spacing().item_spacing.y;
    let title_h = ui.text_style_height(&egui::TextStyle::Body) + 3.0 * spacing;
    let height =
        (room / rows as f32 - title_h - 4.0).clamp(*CHART_HEIGHT.start(), *CHART_HEIGHT.end());
    let span = tab.span_s().max(1.0);
    for row in metrics.chunks(columns) {
        ui.columns(columns, |cols| {
            for (col, metric) in cols.iter_mut().zip(row) {
                chart_ui(col, tab.lanes(), *metric, span, height);
            }
        });
    }
}

fn chart_ui(ui: &mut Ui, lanes: &[LaneSeries], metric: Metric, span: f64, height: f32) {
    ui.label(RichText::new(metric.title()).strong());
    Plot::new(("compare-chart", metric.title()))
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_x(0.0)
        .include_x(span)
        .include_y(0.0)
        .include_y(1.0)
        .set_margin_fraction(egui::vec2(0.0, 0.08))
        .y_axis_min_width(36.0)
        .show_grid([false, true])
        .x_axis_formatter(|mark, _| format!("{:.0} s", mark.value))
        .label_formatter(|pos| {
            let (name, p) = match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            Some(format!("{name}\n{:.0} s  {:.1}", p.x, p.y))
        })
        .show(ui, |plot| {
            let n = lanes.len();
            for (i, lane) in lanes.iter().enumerate() {
                let color = theme::variant_color(lane.variant);
                let points = metric.series(lane);
                // Variants often overlap exactly (the same requests, the same two
                // connections): earlier ones are drawn wider and no-keep-alive ones
                // dashed, so each stays visible under the ones drawn over it.
                let width = 1.5 + 0.75 * (n - 1 - i) as f32;
                let style = if lane.variant.keep_alive() {
                    LineStyle::Solid
                } else {
                    LineStyle::Dashed { length: 8.0 }
                };
                plot.line(
                    Line::new(lane.variant.label(), PlotPoints::Borrowed(points))
                        .color(color)
                        .width(width)
                        .style(style),
                );
                if matches!(metric, Metric::Delay) {
                    plot.points(
                        Points::new(lane.variant.label(), PlotPoints::Borrowed(points))
                            .color(color)
                            .radius(2.0)
                            .shape(MarkerShape::Circle),
                    );
                }
            }
        });
}
