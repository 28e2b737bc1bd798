//! The live charts of the selected profile (egui_plot, time on x, seconds since the
//! session started): hold time per poll, events per second, event latency, connections
//! opened vs reused, the reuse ratio, and bytes on the wire.
//!
//! Draws the decimated series of [`ChartCache`] by borrowing them; the x range follows
//! the clock, so the plots are not dragged or zoomed.

use std::time::Instant;

use egui::{Color32, RichText, Ui};
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points};

use crate::monitor::Monitor;
use crate::stats::Summary;
use crate::ui::view::chart_data::{ChartCache, Series};
use crate::ui::view::time_axis::{ChartWindow, time_grid_steps, x_range};
use crate::ui::widgets::format;
use crate::ui::widgets::theme;

/// Charts per row when there is room for them.
const MAX_COLUMNS: usize = 3;
/// Narrowest useful chart.
const MIN_CHART_WIDTH: f32 = 200.0;
/// Lowest useful chart.
const MIN_CHART_HEIGHT: f32 = 70.0;

/// One chart: a title with a current figure, and its plot.
struct Chart<'a> {
    id: &'static str,
    title: &'static str,
    figure: String,
    /// Legend: each series' name and colour, shown in the title line.
    series: &'static [(&'static str, Color32)],
    hint: Option<&'static str>,
    /// The y value the axis always reaches (`None`: the data decides, or 0–1 when
    /// there is none yet).
    y_top: Option<f64>,
    /// Some series has points.
    has_data: bool,
    draw: Box<dyn FnOnce(&mut egui_plot::PlotUi<'a>) + 'a>,
}

/// The window picker and the charts of `monitor` (`summary`: its figures now).
pub fn charts_ui(
    ui: &mut Ui,
    monitor: &Monitor,
    summary: &Summary,
    cache: &mut ChartCache,
    window: &mut ChartWindow,
    now: Instant,
) {
    // Fill the panel (a panel remembers its content's size: content that only fit
    // would shrink it frame by frame).
    ui.set_min_height(ui.available_height());
    ui.horizontal(|ui| {
        ui.label(RichText::new("Charts").strong());
        ui.label(RichText::new("time since connect").weak().small());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for w in ChartWindow::ALL.iter().rev() {
                ui.selectable_value(window, *w, w.label());
            }
        });
    });
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small count"
    )]
    let columns = ((ui.available_width() / MIN_CHART_WIDTH) as usize).clamp(2, MAX_COLUMNS);
    let spacing = ui.spacing().item_spacing;
    let rows = 6_usize.div_ceil(columns);
    // Each row: the title line, the plot, and the spacing after each. Computed from
    // the panel's height so the charts never push the panel taller.
    let title_h = ui.spacing().interact_size.y;
    let per_row = title_h + 2.0 * spacing.y + 2.0;
    let height = ((ui.available_height() / rows as f32) - per_row)
        .floor()
        .max(MIN_CHART_HEIGHT);
    let chart_w = (ui.available_width() - spacing.x * (columns as f32 - 1.0)) / columns as f32;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a pixel count"
    )]
    let buckets = (chart_w * ui.pixels_per_point()).max(1.0) as usize;
    let range = x_range(*window, monitor.elapsed_s(now));
    let live_s = monitor.is_live().then(|| monitor.elapsed_s(now));
    cache.update(
        monitor.stats(),
        monitor.generation(),
        range,
        buckets,
        live_s,
    );
    if !cache.is_complete() {
        // A long history is decimated over a few frames: draw the next piece.
        ui.ctx().request_repaint();
    }

    let charts = build_charts(monitor, summary, cache);
    let mut charts = charts.into_iter();
    for _ in 0..rows {
        ui.columns(columns, |cols| {
            for col in cols.iter_mut() {
                if let Some(chart) = charts.next() {
                    chart_ui(col, chart, range, height);
                }
            }
        });
    }
}

fn chart_ui<'a>(ui: &mut Ui, chart: Chart<'a>, range: (f64, f64), height: f32) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(chart.title).small().strong());
        if chart.series.len() > 1 {
            for (name, color) in chart.series {
                theme::dot_ui(ui, *color);
                ui.label(RichText::new(*name).small().color(*color));
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(RichText::new(chart.figure).small().monospace());
        });
    });
    let plot = Plot::new(chart.id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .include_y(
            chart
                .y_top
                .unwrap_or(if chart.has_data { 0.0 } else { 1.0 }),
        )
        .set_margin_fraction(egui::vec2(0.0, 0.08))
        .y_axis_min_width(28.0)
        .show_grid([false, true])
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .formatter(|mark, _| format::axis_seconds(mark.value))
                .label_spacing(40.0..=41.0),
        ])
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            time_grid_steps(input.base_step_size)
        }))
        .label_formatter(|pos| {
            let (name, p) = match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            Some(format!("{name}\n{}  {:.2}", format::axis_seconds(p.x), p.y))
        });
    let draw = chart.draw;
    let hint = chart.hint;
    plot.show(ui, move |plot_ui| {
        plot_ui.set_plot_bounds_x(range.0..=range.1);
        plot_ui.set_auto_bounds([false, true]);
        draw(plot_ui);
        if let Some(hint) = hint {
            let b = plot_ui.plot_bounds();
            let centre = egui_plot::PlotPoint::new(
                (range.0 + range.1) / 2.0,
                (b.min()[1] + b.max()[1]) / 2.0,
            );
            plot_ui.text(egui_plot::Text::new(
                "hint",
                centre,
                RichText::new(hint).weak(),
            ));
        }
    });
}

fn line<'a>(name: &str, points: &'a [egui_plot::PlotPoint], color: Color32) -> Line<'a> {
    Line::new(name, PlotPoints::Borrowed(points))
        .color(color)
        .width(1.5)
}

fn last_y(points: &[egui_plot::PlotPoint]) -> Option<f64> {
    points.last().map(|p| p.y)
}

fn build_charts<'a>(monitor: &Monitor, summary: &Summary, c: &'a ChartCache) -> Vec<Chart<'a>> {
    let mut charts = traffic_charts(monitor, summary, c);
    charts.extend(connection_charts(summary, c));
    charts
}

/// Hold time, event rate and latency.
fn traffic_charts<'a>(monitor: &Monitor, summary: &Summary, c: &'a ChartCache) -> Vec<Chart<'a>> {
    let has_latency = monitor
        .source()
        .timestamp_pointer
        .as_deref()
        .is_some_and(|p| !p.is_empty());
    vec![
        Chart {
            id: "hold",
            has_data: !c.series(Series::HoldEvents).is_empty()
                || !c.series(Series::HoldEmpty).is_empty(),
            series: &[("events", theme::EVENTS), ("empty", theme::EMPTY)],
            title: "Hold (s)",
            figure: format!("p50 {}", format::opt_millis(summary.hold_ms_p50)),
            hint: None,
            y_top: None,
            draw: Box::new(move |p| {
                p.points(
                    Points::new("empty", PlotPoints::Borrowed(c.series(Series::HoldEmpty)))
                        .color(theme::EMPTY)
                        .radius(2.0)
                        .shape(MarkerShape::Circle),
                );
                p.points(
                    Points::new("events", PlotPoints::Borrowed(c.series(Series::HoldEvents)))
                        .color(theme::EVENTS)
                        .radius(2.0)
                        .shape(MarkerShape::Circle),
                );
            }),
        },
        Chart {
            id: "rate",
            has_data: !c.series(Series::EventsPerS).is_empty(),
            series: &[("events", theme::EVENTS), ("errors", theme::ERROR)],
            title: "Events/s",
            figure: format!(
                "{:.1}/s",
                last_y(c.series(Series::EventsPerS)).unwrap_or(0.0)
            ),
            hint: None,
            y_top: None,
            draw: Box::new(move |p| {
                p.line(
                    line("events/s", c.series(Series::EventsPerS), theme::EVENTS)
                        .fill(0.0)
                        .fill_alpha(0.15),
                );
                p.line(line("errors/s", c.series(Series::ErrorsPerS), theme::ERROR));
            }),
        },
        Chart {
            id: "latency",
            has_data: !c.series(Series::LatencyP99).is_empty(),
            series: &[("p50", theme::LATENCY_P50), ("p99", theme::LATENCY_P99)],
            title: "Latency (ms)",
            figure: format!("p99 {}", format::opt_millis(summary.event_latency_ms_p99)),
            hint: (!has_latency).then_some("set a timestamp pointer to see latency"),
            y_top: None,
            draw: Box::new(move |p| {
                p.line(line(
                    "p50",
                    c.series(Series::LatencyP50),
                    theme::LATENCY_P50,
                ));
                p.line(line(
                    "p99",
                    c.series(Series::LatencyP99),
                    theme::LATENCY_P99,
                ));
            }),
        },
    ]
}

/// Connections opened vs reused, the reuse ratio, and bytes on the wire.
fn connection_charts<'a>(summary: &Summary, c: &'a ChartCache) -> Vec<Chart<'a>> {
    vec![
        Chart {
            id: "connections",
            has_data: !c.series(Series::NewConnections).is_empty(),
            series: &[("new", theme::NEW_CONN), ("reused", theme::REUSED)],
            title: "Connections",
            figure: format!(
                "{} / {}",
                format::count(summary.new_connections),
                format::count(summary.reused_connections)
            ),
            hint: None,
            y_top: None,
            draw: Box::new(move |p| {
                p.line(line(
                    "new TCP connections",
                    c.series(Series::NewConnections),
                    theme::NEW_CONN,
                ));
                p.line(line(
                    "reused polls",
                    c.series(Series::ReusedPolls),
                    theme::REUSED,
                ));
            }),
        },
        Chart {
            id: "reuse",
            has_data: !c.series(Series::ReuseRatio).is_empty(),
            series: &[("reuse", theme::REUSED)],
            title: "Reuse (%)",
            figure: format::percent(summary.reuse_ratio),
            hint: None,
            y_top: Some(100.0),
            draw: Box::new(move |p| {
                p.line(line(
                    "reuse ratio",
                    c.series(Series::ReuseRatio),
                    theme::REUSED,
                ));
            }),
        },
        Chart {
            id: "wire",
            has_data: !c.series(Series::WireKibPerS).is_empty(),
            series: &[("KiB/s", theme::WIRE)],
            title: "Wire (KiB/s)",
            figure: format::bytes(summary.wire_bytes_in.saturating_add(summary.wire_bytes_out)),
            hint: None,
            y_top: None,
            draw: Box::new(move |p| {
                p.line(
                    line("KiB/s", c.series(Series::WireKibPerS), theme::WIRE)
                        .fill(0.0)
                        .fill_alpha(0.15),
                );
            }),
        },
    ]
}
