//! The live charts of the selected profile (`egui_plot`, time on x, seconds since the
//! session started): hold time per poll, events per second, event latency, connections
//! opened vs reused, the reuse ratio, and bytes on the wire.
//!
//! Draws the decimated series of [`ChartCache`] by borrowing them; the x range follows
//! the clock, so the plots are not dragged or zoomed.

use std::time::Instant;

use egui::{Color32, RichText, Ui};
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points};

use crate::monitor::Monitor;
use crate::present::units;
use crate::stats::{RecentRates, Summary};
use crate::ui::view::chart_data::{ChartCache, Series};
use crate::ui::view::time_axis::{ChartWindow, time_grid_steps, x_range};
use crate::ui::widgets::theme;
use crate::ui::widgets::{format, plot};

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
    window_picker_ui(ui, window);
    let grid = Grid::of(ui);
    let range = x_range(*window, monitor.elapsed_s(now));
    let live_s = monitor.is_live().then(|| monitor.elapsed_s(now));
    cache.update(
        monitor.stats(),
        monitor.generation(),
        range,
        grid.buckets,
        live_s,
    );
    if !cache.is_complete() {
        // A long history is decimated over a few frames: draw the next piece.
        ui.ctx().request_repaint();
    }

    let rates = monitor
        .stats()
        .recent_rates(monitor.stopped_at().unwrap_or(now));
    let charts = build_charts(monitor, summary, rates, cache);
    let mut charts = charts.into_iter();
    for _ in 0..grid.rows {
        ui.columns(grid.columns, |cols| {
            for col in cols.iter_mut() {
                if let Some(chart) = charts.next() {
                    chart_ui(col, chart, range, grid.height);
                }
            }
        });
    }
}

/// "Charts", and the time windows to pick from.
fn window_picker_ui(ui: &mut Ui, window: &mut ChartWindow) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Charts").strong());
        ui.label(RichText::new("time since connect").weak().small());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for w in ChartWindow::ALL.iter().rev() {
                ui.selectable_value(window, *w, w.label());
            }
        });
    });
}

/// How the six charts are laid out in the room left.
struct Grid {
    columns: usize,
    rows: usize,
    /// Each plot's height.
    height: f32,
    /// Pixel columns in one plot (the series are decimated to about that).
    buckets: usize,
}

impl Grid {
    fn of(ui: &Ui) -> Self {
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
        Self {
            columns,
            rows,
            height,
            buckets,
        }
    }
}

fn chart_ui(ui: &mut Ui, chart: Chart<'_>, range: (f64, f64), height: f32) {
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
    let plot = time_plot(chart.id, height).include_y(chart.y_top.unwrap_or(if chart.has_data {
        0.0
    } else {
        1.0
    }));
    let draw = chart.draw;
    let hint = chart.hint;
    plot.show(ui, move |plot_ui| {
        plot_ui.set_plot_bounds_x(range.0..=range.1);
        plot_ui.set_auto_bounds([false, true]);
        draw(plot_ui);
        if let Some(hint) = hint {
            let b = plot_ui.plot_bounds();
            let centre = egui_plot::PlotPoint::new(
                f64::midpoint(range.0, range.1),
                f64::midpoint(b.min()[1], b.max()[1]),
            );
            plot_ui.text(egui_plot::Text::new(
                "hint",
                centre,
                RichText::new(hint).weak(),
            ));
        }
    });
}

/// A plot with time since connect on x (clock units), fixed (no drag or zoom),
/// reaching down to 0.
fn time_plot(id: &str, height: f32) -> Plot<'_> {
    plot::fixed_plot(id, height)
        .y_axis_min_width(28.0)
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .formatter(|mark, _| format::axis_seconds(mark.value))
                .label_spacing(40.0..=41.0),
        ])
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            time_grid_steps(input.base_step_size)
        }))
        .label_formatter(|pos| {
            let (name, p) = plot::hovered(pos);
            Some(format!("{name}\n{}  {:.2}", format::axis_seconds(p.x), p.y))
        })
}

fn line<'a>(name: &str, points: &'a [egui_plot::PlotPoint], color: Color32) -> Line<'a> {
    Line::new(name, PlotPoints::Borrowed(points))
        .color(color)
        .width(1.5)
}

/// `points` cut wherever two neighbours are more than `gap` apart on x.
fn runs(
    points: &[egui_plot::PlotPoint],
    gap: f64,
) -> impl Iterator<Item = &[egui_plot::PlotPoint]> {
    points.chunk_by(move |a, b| b.x - a.x <= gap)
}

/// The six charts, in reading order.
fn build_charts<'a>(
    monitor: &Monitor,
    summary: &Summary,
    rates: RecentRates,
    c: &'a ChartCache,
) -> Vec<Chart<'a>> {
    vec![
        hold_chart(summary, c),
        rate_chart(c, rates),
        latency_chart(monitor, summary, c),
        connections_chart(summary, c),
        reuse_chart(summary, c),
        wire_chart(summary, c),
    ]
}

/// Hold time per poll, answers with events and empty ones.
fn hold_chart<'a>(summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    Chart {
        id: "hold",
        has_data: !c.series(Series::HoldEvents).is_empty()
            || !c.series(Series::HoldEmpty).is_empty(),
        series: &[("events", theme::EVENTS), ("empty", theme::EMPTY)],
        title: "Hold (s)",
        figure: format!("p50 {}", units::opt_millis(summary.hold_ms_p50)),
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
    }
}

/// One line of a chart: its name on hover, its series, its colour, filled below or not.
struct Trace {
    name: &'static str,
    series: Series,
    color: Color32,
    filled: bool,
}

impl Trace {
    const fn line(name: &'static str, series: Series, color: Color32) -> Self {
        Self {
            name,
            series,
            color,
            filled: false,
        }
    }

    const fn filled(name: &'static str, series: Series, color: Color32) -> Self {
        Self {
            filled: true,
            ..Self::line(name, series, color)
        }
    }
}

/// A chart of `traces` drawn from `c` (it has data once the first trace has points).
fn lines_chart<'a>(
    (id, title): (&'static str, &'static str),
    legend: &'static [(&'static str, Color32)],
    figure: String,
    c: &'a ChartCache,
    traces: &'static [Trace],
) -> Chart<'a> {
    Chart {
        id,
        title,
        figure,
        series: legend,
        hint: None,
        y_top: None,
        has_data: traces
            .first()
            .is_some_and(|t| !c.series(t.series).is_empty()),
        draw: Box::new(move |p| {
            for t in traces {
                // No line across silence: each run of data is a line of its own, a
                // lone point a dot.
                for run in runs(c.series(t.series), c.gap()) {
                    if let [_] = run {
                        p.points(
                            Points::new(t.name, PlotPoints::Borrowed(run))
                                .color(t.color)
                                .radius(1.5),
                        );
                        continue;
                    }
                    let l = line(t.name, run, t.color);
                    p.line(if t.filled {
                        l.fill(0.0).fill_alpha(0.15)
                    } else {
                        l
                    });
                }
            }
        }),
    }
}

/// Events and errors per second; the headline is the last whole second's rate (0/s
/// after a silent second, never the last busy one held).
fn rate_chart(c: &ChartCache, rates: RecentRates) -> Chart<'_> {
    const TRACES: &[Trace] = &[
        Trace::filled("events/s", Series::EventsPerS, theme::EVENTS),
        Trace::line("errors/s", Series::ErrorsPerS, theme::ERROR),
    ];
    let figure = units::per_second(rates.events_per_s);
    let legend = &[("events", theme::EVENTS), ("errors", theme::ERROR)];
    lines_chart(("rate", "Events/s"), legend, figure, c, TRACES)
}

/// Event latency p50 and p99 (with a hint when no timestamp pointer is set).
fn latency_chart<'a>(monitor: &Monitor, summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    const TRACES: &[Trace] = &[
        // p50 and p99 are pushed together: either tells whether there is data.
        Trace::line("p50", Series::LatencyP50, theme::LATENCY_P50),
        Trace::line("p99", Series::LatencyP99, theme::LATENCY_P99),
    ];
    let has_latency = monitor
        .source()
        .timestamp_pointer
        .as_deref()
        .is_some_and(|p| !p.is_empty());
    let figure = format!("p99 {}", units::opt_millis(summary.event_latency_ms_p99));
    let legend = &[("p50", theme::LATENCY_P50), ("p99", theme::LATENCY_P99)];
    Chart {
        hint: (!has_latency).then_some("set a timestamp pointer to see latency"),
        ..lines_chart(("latency", "Latency (ms)"), legend, figure, c, TRACES)
    }
}

/// New TCP connections vs polls over reused ones.
fn connections_chart<'a>(summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    const TRACES: &[Trace] = &[
        Trace::line(
            "new TCP connections",
            Series::NewConnections,
            theme::NEW_CONN,
        ),
        Trace::line("reused polls", Series::ReusedPolls, theme::REUSED),
    ];
    let figure = format!(
        "{} / {}",
        units::count(summary.new_connections),
        units::count(summary.reused_connections)
    );
    let legend = &[("new", theme::NEW_CONN), ("reused", theme::REUSED)];
    lines_chart(("connections", "Connections"), legend, figure, c, TRACES)
}

/// The share of polls over reused connections.
fn reuse_chart<'a>(summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    const TRACES: &[Trace] = &[Trace::line(
        "reuse ratio",
        Series::ReuseRatio,
        theme::REUSED,
    )];
    let figure = units::opt_percent(summary.reuse_ratio);
    Chart {
        y_top: Some(100.0),
        ..lines_chart(
            ("reuse", "Reuse (%)"),
            &[("reuse", theme::REUSED)],
            figure,
            c,
            TRACES,
        )
    }
}

/// Bytes on the wire per second.
fn wire_chart<'a>(summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    const TRACES: &[Trace] = &[Trace::filled("KiB/s", Series::WireKibPerS, theme::WIRE)];
    let figure = units::bytes(summary.wire_bytes_in.saturating_add(summary.wire_bytes_out));
    lines_chart(
        ("wire", "Wire (KiB/s)"),
        &[("KiB/s", theme::WIRE)],
        figure,
        c,
        TRACES,
    )
}

#[cfg(test)]
mod tests {
    use egui_plot::PlotPoint;

    use super::runs;

    #[test]
    fn lines_break_where_the_data_has_a_gap() {
        let xs = [0.0, 1.0, 2.0, 9.0, 10.0, 20.0];
        let points: Vec<PlotPoint> = xs.iter().map(|&x| PlotPoint::new(x, 1.0)).collect();
        let lens: Vec<usize> = runs(&points, 3.0).map(<[PlotPoint]>::len).collect();
        assert_eq!(lens, [3, 2, 1]);
        assert_eq!(runs(&[], 3.0).count(), 0);
    }
}
