//! The Compare tab: the settings (duration, short-poll interval, variants; intervals
//! under a second need an explicit confirmation), the progress while the variants run,
//! their overlaid charts (one colour per variant, as in the exported PNGs), and once
//! done the side-by-side table and the verdict, with Export… and Copy as Markdown.
//!
//! Draws the model ([`crate::ui::model::compare`]) and the lanes kept in the view
//! state; the table is the one the CLI and the Markdown report show
//! ([`Comparison::table`]). Returns what the user asked for (settings as typed too).

use egui::{RichText, Ui};
use egui_plot::{Line, LineStyle, MarkerShape, PlotPoint, PlotPoints, Points};

use crate::compare::{Chart, CompareError, Comparison, Variant};
use crate::present::{Align, units};
use crate::profile::Profile;
use crate::ui::model::compare::{CompareSettings, CompareTab, PhaseView};
use crate::ui::model::entry::{Entry, connect_issues};
use crate::ui::view::compare_lanes::{CompareCharts, LaneSeries};
use crate::ui::widgets::{plot, theme};

/// Lowest and highest plot heights (the charts fill what room the window leaves).
const CHART_HEIGHT: std::ops::RangeInclusive<f32> = 140.0..=360.0;
/// Narrowest chart for four in a row.
const MIN_CHART_WIDTH: f32 = 220.0;

/// What the user asked for in the tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareAction {
    /// Start; `confirmed` lets an aggressive short-poll interval run.
    Start {
        /// The user confirmed an aggressive short-poll interval.
        confirmed: bool,
    },
    /// Stop the variants without a result.
    Cancel,
    /// Open the export dialog for the result.
    Export,
    /// Copy the report's table and verdict as Markdown.
    CopyMarkdown,
    /// The same with the URL's tokens in clear (after a warning).
    CopyMarkdownSecrets,
    /// Back to the settings.
    Reset,
    /// The settings as typed.
    Settings(CompareSettings),
}

/// The tab's contents; `charts` is the tab's view state (brought up to date here).
pub fn compare_ui(
    ui: &mut Ui,
    entry: &Entry,
    charts: &mut CompareCharts,
    actions: &mut Vec<CompareAction>,
) {
    let (profile, tab) = (&entry.profile, &entry.compare);
    charts.update(tab, std::time::Instant::now());
    egui::ScrollArea::vertical()
        .id_salt("compare-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            settings_ui(ui, profile, tab, actions);
            ui.add_space(6.0);
            match tab.view() {
                PhaseView::Setup => intro_ui(ui, profile),
                PhaseView::Starting => spinner_ui(ui, "Starting the variants…"),
                PhaseView::Running {
                    elapsed_s, total_s, ..
                } => progress_ui(ui, elapsed_s, total_s),
                PhaseView::Finishing => {
                    spinner_ui(ui, "Stopping the variants and working out the results…");
                }
                PhaseView::Done(c) => result_ui(ui, c, actions),
                PhaseView::Failed(message) => {
                    ui.label(RichText::new(message).color(theme::ERROR));
                }
            }
            if !charts.lanes().is_empty() {
                ui.add_space(8.0);
                charts_ui(ui, charts.lanes(), tab.span_s());
            }
        });
}

fn spinner_ui(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    });
}

fn settings_ui(ui: &mut Ui, profile: &Profile, tab: &CompareTab, actions: &mut Vec<CompareAction>) {
    let idle = !tab.is_active();
    let mut settings = tab.settings.clone();
    ui.horizontal(|ui| {
        ui.add_enabled_ui(idle, |ui| {
            let label = ui.label("Duration");
            ui.add(egui::TextEdit::singleline(&mut settings.duration).desired_width(56.0))
                .labelled_by(label.id)
                .on_hover_text("How long every variant runs: 30s, 2m, 90");
            ui.add_space(8.0);
            let label = ui.label("Short-poll interval");
            ui.add(egui::TextEdit::singleline(&mut settings.interval).desired_width(56.0))
                .labelled_by(label.id)
                .on_hover_text("How often the short-polling variants ask: 5s, 1s, 500ms");
        });
        ui.add_space(8.0);
        start_ui(ui, profile, tab, actions);
    });
    ui.add_enabled_ui(idle, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Variants").weak());
            for (on, v) in settings.variants.iter_mut().zip(Variant::ALL) {
                theme::dot_ui(ui, theme::variant_color(v));
                ui.checkbox(on, v.label());
            }
        });
    });
    if idle {
        problems_ui(ui, profile, &settings, actions);
    }
    if settings != tab.settings {
        actions.push(CompareAction::Settings(settings));
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
        && tab
            .settings
            .options()
            .is_ok_and(|o| o.check(profile, false).is_ok());
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
fn problems_ui(
    ui: &mut Ui,
    profile: &Profile,
    settings: &CompareSettings,
    actions: &mut Vec<CompareAction>,
) {
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
    let options = match settings.options() {
        Ok(o) => o,
        Err(e) => {
            ui.label(RichText::new(e.to_string()).color(theme::ERROR).small());
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
        // Only when there is something masked to reveal: tokens in the URL.
        if c.url.contains(crate::redact::MASK)
            && ui
                .button("Copy with secrets…")
                .on_hover_text("The Markdown with the URL's tokens in clear, after a warning")
                .clicked()
        {
            actions.push(CompareAction::CopyMarkdownSecrets);
        }
        ui.label(RichText::new(c.settings()).weak());
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

/// The figures, one column per variant: [`Comparison::table`], as the CLI and the
/// Markdown report show it, figures right-aligned.
fn table_ui(ui: &mut Ui, c: &Comparison) {
    let table = c.table();
    // Each figure column as wide as its widest cell, so right-aligned figures line up
    // without the column taking the whole row.
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let color = ui.visuals().text_color();
    let widths: Vec<f32> = (0..table.columns.len())
        .map(|i| {
            table
                .rows
                .iter()
                .filter_map(|r| r.cells.get(i))
                .map(|cell| {
                    let galley =
                        ui.painter()
                            .layout_no_wrap(cell.text.clone(), font.clone(), color);
                    galley.size().x
                })
                .fold(0.0, f32::max)
        })
        .collect();
    let height = ui.spacing().interact_size.y;
    // A table wider than the tab scrolls sideways rather than losing columns.
    egui::ScrollArea::horizontal()
        .id_salt("compare-table-scroll")
        .show(ui, |ui| {
            egui::Grid::new("compare-table")
                .num_columns(table.columns.len() + 1)
                .striped(true)
                .spacing([24.0, 4.0])
                .show(ui, |ui| {
                    ui.label("");
                    for (i, title) in table.columns.iter().enumerate() {
                        ui.horizontal(|ui| {
                            if let Some(r) = c.results.get(i) {
                                theme::dot_ui(ui, theme::variant_color(r.variant));
                            }
                            ui.label(RichText::new(title).strong());
                        });
                    }
                    ui.end_row();
                    for row in &table.rows {
                        ui.label(RichText::new(row.label).weak());
                        for (i, cell) in row.cells.iter().enumerate() {
                            let layout = match table.column_align(i) {
                                Align::Right => egui::Layout::right_to_left(egui::Align::Center),
                                Align::Left => egui::Layout::left_to_right(egui::Align::Center),
                            };
                            let width = widths.get(i).copied().unwrap_or(0.0);
                            ui.allocate_ui_with_layout(egui::vec2(width, height), layout, |ui| {
                                ui.set_width(width);
                                ui.label(RichText::new(&cell.text).monospace());
                            });
                        }
                        ui.end_row();
                    }
                });
        });
}

/// The series of `lane` that `chart` draws.
fn series(chart: Chart, lane: &LaneSeries) -> &[PlotPoint] {
    match chart {
        Chart::Requests => &lane.requests,
        Chart::Connections => &lane.connections,
        Chart::Delay => &lane.delay_ms,
        Chart::Held => &lane.held,
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
                            units::count(lane.total_requests),
                            units::count(lane.total_connections),
                            units::count(lane.total_events)
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
fn charts_ui(ui: &mut Ui, lanes: &[LaneSeries], span_s: f64) {
    legend_ui(ui, lanes);
    let metrics = Chart::ALL;
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
    let span = span_s.max(1.0);
    for row in metrics.chunks(columns) {
        ui.columns(columns, |cols| {
            for (col, metric) in cols.iter_mut().zip(row) {
                chart_ui(col, lanes, *metric, span, height);
            }
        });
    }
}

fn chart_ui(ui: &mut Ui, lanes: &[LaneSeries], metric: Chart, span: f64, height: f32) {
    ui.label(RichText::new(metric.title()).strong());
    plot::fixed_plot(("compare-chart", metric.title()), height)
        .include_x(0.0)
        .include_x(span)
        .include_y(1.0)
        .y_axis_min_width(36.0)
        .x_axis_formatter(|mark, _| format!("{:.0} s", mark.value))
        .label_formatter(|pos| {
            let (name, p) = plot::hovered(pos);
            Some(format!("{name}\n{:.0} s  {:.1}", p.x, p.y))
        })
        .show(ui, |plot| {
            let n = lanes.len();
            for (i, lane) in lanes.iter().enumerate() {
                let color = theme::variant_color(lane.variant);
                let points = series(metric, lane);
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
                if matches!(metric, Chart::Delay) {
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
