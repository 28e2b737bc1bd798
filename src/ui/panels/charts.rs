//! The live charts of the selected profile (`egui_plot`, time on x, seconds since the
//! session started): hold time per poll, events per second, event latency, connections
//! opened vs reused, the reuse ratio, and bytes on the wire.
//!
//! Draws the decimated series of [`ChartCache`] by borrowing them; the x range follows
//! the clock, so the plots are not dragged or zoomed.

use std::time::Instant;

use egui::{Color32, RichText, Ui};
use egui_plot::{Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

use crate::monitor::Monitor;
use crate::present::units;
use crate::stats::{RecentRates, Summary};
use crate::ui::view::chart_data::{ChartCache, Series};
use crate::ui::view::time_axis::{ChartWindow, time_grid_steps, x_range};
use crate::ui::widgets::theme;
use crate::ui::widgets::{format, plot};

/// Charts per row when there is room for them.
const MAX_COLUMNS: usize = 3;
/// Narrowest useful chart: three columns from 3 × this, two from 2 ×, else one.
const MIN_CHART_WIDTH: f32 = 240.0;
/// Lowest useful chart.
const MIN_CHART_HEIGHT: f32 = 70.0;

/// One chart: a title with a current figure, and its plot.
struct Chart<'a> {
    id: &'static str,
    title: &'static str,
    /// What the chart shows, on the title's tooltip.
    help: &'static str,
    figure: String,
    /// Legend: each series' name and colour, shown in the title line.
    series: &'static [(&'static str, Color32)],
    hint: Option<&'static str>,
    /// The y value the axis always reaches (`None`: the data decides, or 0–1 when
    /// there is none yet).
    y_top: Option<f64>,
    /// What the y values are (axis labels, hover).
    unit: YUnit,
    /// The drawn series by name: y bounds and the point hover snaps to.
    traces: Vec<(&'static str, &'a [PlotPoint])>,
    draw: Box<dyn FnOnce(&mut egui_plot::PlotUi<'a>) + 'a>,
}

/// What a chart's y values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YUnit {
    /// Seconds (µs to hours on the axis).
    Seconds,
    /// Milliseconds (µs to hours on the axis).
    Millis,
    /// A rate per second.
    PerSecond,
    /// Whole things (marks between whole numbers are not labelled).
    Count,
    /// 0–100.
    Percent,
    /// KiB per second (B/s to GiB/s on the axis).
    KibPerSecond,
}

impl YUnit {
    /// `v` as the axis and the hover label write it.
    fn text(self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_owned();
        }
        match self {
            Self::Seconds => units::fine_millis(v * 1000.0),
            Self::Millis => units::fine_millis(v),
            Self::PerSecond => units::per_second(v),
            Self::Count if v.fract().abs() > 1e-9 || v < 0.0 => String::new(),
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a whole, non-negative count"
            )]
            Self::Count => units::count(v.round() as u64),
            Self::Percent => units::percent(v / 100.0),
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a non-negative byte count, rounded"
            )]
            Self::KibPerSecond => {
                format!("{}/s", units::bytes((v * 1024.0).max(0.0).round() as u64))
            }
        }
    }
}

/// The y range a chart shows: from 0 (lower only when some value is negative) to a
/// little above its highest value, or `y_top`; 0–1 with no data.
fn y_bounds(traces: &[(&'static str, &[PlotPoint])], y_top: Option<f64>) -> (f64, f64) {
    let values = traces.iter().flat_map(|(_, p)| p.iter().map(|p| p.y));
    let (lo, hi) = values
        .filter(|y| y.is_finite())
        .fold((0.0_f64, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
    let hi = hi.max(y_top.unwrap_or(0.0));
    let hi = if hi.is_finite() && hi > lo {
        hi
    } else {
        lo + 1.0
    };
    let room = (hi - lo) * 0.08;
    (if lo < 0.0 { lo - room } else { 0.0 }, hi + room)
}

/// The point of `traces` nearest `at`: in each series the one nearest in time, then
/// of those the one nearest in value. Its series' name and the point.
fn nearest(
    traces: &[(&'static str, &[PlotPoint])],
    at: PlotPoint,
) -> Option<(&'static str, PlotPoint)> {
    traces
        .iter()
        .filter_map(|(name, points)| {
            let i = points.partition_point(|p| p.x < at.x);
            [i.checked_sub(1).and_then(|j| points.get(j)), points.get(i)]
                .into_iter()
                .flatten()
                .min_by(|a, b| (a.x - at.x).abs().total_cmp(&(b.x - at.x).abs()))
                .map(|p| (*name, *p))
        })
        .min_by(|a, b| (a.1.y - at.y).abs().total_cmp(&(b.1.y - at.y).abs()))
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
    // Rows that do not fit at their least height scroll (a short window, one column).
    egui::ScrollArea::vertical()
        .id_salt("charts-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for _ in 0..grid.rows {
                ui.columns(grid.columns, |cols| {
                    for col in cols.iter_mut() {
                        if let Some(chart) = charts.next() {
                            chart_ui(col, chart, range, grid.height);
                        }
                    }
                });
            }
        });
}

/// "Charts", and the time windows to pick from.
fn window_picker_ui(ui: &mut Ui, window: &mut ChartWindow) {
    // Wraps in a narrow window rather than drawing the buttons over the title.
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Charts").strong())
            .on_hover_text("Time on x is the time since connect");
        for w in ChartWindow::ALL {
            let hover = match w.seconds() {
                Some(_) => format!("The last {} of the session", w.label()),
                None => "Everything kept since connect".to_owned(),
            };
            ui.selectable_value(window, w, w.label())
                .on_hover_text(hover);
        }
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
        let columns = ((ui.available_width() / MIN_CHART_WIDTH) as usize).clamp(1, MAX_COLUMNS);
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
    // Title, figure, legend: wrapped onto a second line when the column is narrow,
    // never drawn over each other.
    let title = ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 8.0;
        ui.label(RichText::new(chart.title).strong())
            .on_hover_text(chart.help);
        ui.label(RichText::new(&chart.figure).monospace());
        if chart.series.len() > 1 {
            for (name, color) in chart.series {
                // Dot and name as one text: they wrap together.
                ui.add(
                    egui::Label::new(RichText::new(format!("• {name}")).color(*color))
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        }
    });
    // A title that wrapped takes its extra lines from the plot: the row keeps its
    // height, so the charts below (and the feed) do not move, and no scroll bar comes
    // and goes as a figure's width changes.
    let extra = (title.response.rect.height() - ui.spacing().interact_size.y).max(0.0);
    let height = (height - extra).max(MIN_CHART_HEIGHT);
    let (y_lo, y_hi) = y_bounds(&chart.traces, chart.y_top);
    let unit = chart.unit;
    let traces = chart.traces;
    let plot = time_plot(chart.id, height)
        .custom_y_axes(vec![
            egui_plot::AxisHints::new_y()
                .formatter(move |mark, _| unit.text(mark.value))
                // Full strength from the grid's finest step on (no faded labels).
                .label_spacing(plot::LABEL_SPACING - 2.0..=plot::LABEL_SPACING),
        ])
        .label_formatter(move |pos| {
            // The nearest data point's value and time, not the pointer's place.
            let (name, p) = match plot::hovered(pos) {
                ("", at) => nearest(&traces, at)?,
                near => near,
            };
            Some(format!(
                "{name}: {}\nat {}",
                unit.text(p.y),
                format::axis_seconds(p.x)
            ))
        });
    let draw = chart.draw;
    let hint = chart.hint;
    plot.show(ui, move |plot_ui| {
        plot_ui.set_auto_bounds([false, false]);
        plot_ui.set_plot_bounds_x(range.0..=range.1);
        plot_ui.set_plot_bounds_y(y_lo..=y_hi);
        draw(plot_ui);
        if let Some(hint) = hint {
            let centre = egui_plot::PlotPoint::new(
                f64::midpoint(range.0, range.1),
                f64::midpoint(y_lo, y_hi),
            );
            plot_ui.text(egui_plot::Text::new(
                "hint",
                centre,
                RichText::new(hint).weak(),
            ));
        }
    });
}

/// A plot with time since connect on x (clock units), fixed (no drag or zoom).
fn time_plot(id: &str, height: f32) -> Plot<'_> {
    plot::fixed_plot(id, height)
        .y_axis_min_width(56.0)
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .formatter(|mark, _| format::axis_seconds(mark.value))
                .label_spacing(40.0..=41.0),
        ])
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            time_grid_steps(input.base_step_size)
        }))
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
        wire_chart(c, rates),
    ]
}

/// Hold time per poll, answers with events and empty ones.
fn hold_chart<'a>(summary: &Summary, c: &'a ChartCache) -> Chart<'a> {
    Chart {
        id: "hold",
        traces: vec![
            ("events", c.series(Series::HoldEvents)),
            ("empty", c.series(Series::HoldEmpty)),
        ],
        series: &[("events", theme::EVENTS), ("empty", theme::EMPTY)],
        title: "Hold",
        help: HOLD_HELP,
        figure: format!("p50 {}", units::opt_millis(summary.hold_ms_p50)),
        hint: None,
        y_top: None,
        unit: YUnit::Seconds,
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

/// The glossary on the charts' titles.
const HOLD_HELP: &str = "Hold: how long the server kept each poll open before answering \
     (one dot per answer). An answer with events ends the hold early; an empty answer \
     means the server's wait ran out with nothing to send. The figure is the median.";
const RATE_HELP: &str =
    "Events received per second, and polls that failed per second. The figure is the last second.";
const LATENCY_HELP: &str = "Latency: when an event arrived minus the time the server stamped \
     on it (needs a timestamp pointer in the profile). p50 is the median, p99 the slowest \
     1 %. The figure is p99 over the session.";
const CONNECTIONS_HELP: &str = "Connections: new TCP connections opened, and polls sent over a \
     connection that was already open (reuse). Keep-alive working well means few new and \
     many reused. The figure is new / reused over the session.";
const REUSE_HELP: &str = "Reuse: the share of polls sent over an already open connection \
     (no new TCP or TLS handshake). The figure is over the session.";
const WIRE_HELP: &str = "Wire: bytes per second sent and received on the sockets, headers \
     included. The figure is the last second.";

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

/// A chart of `traces` drawn from `c`, its y values in `unit`.
fn lines_chart<'a>(
    (id, title, help): (&'static str, &'static str, &'static str),
    legend: &'static [(&'static str, Color32)],
    (figure, unit): (String, YUnit),
    c: &'a ChartCache,
    traces: &'static [Trace],
) -> Chart<'a> {
    Chart {
        id,
        title,
        help,
        figure,
        series: legend,
        hint: None,
        y_top: None,
        unit,
        traces: traces
            .iter()
            .map(|t| (t.name, c.series(t.series)))
            .collect(),
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
    lines_chart(
        ("rate", "Events/s", RATE_HELP),
        legend,
        (figure, YUnit::PerSecond),
        c,
        TRACES,
    )
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
        ..lines_chart(
            ("latency", "Latency", LATENCY_HELP),
            legend,
            (figure, YUnit::Millis),
            c,
            TRACES,
        )
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
        "{} new / {} reused",
        units::count(summary.new_connections),
        units::count(summary.reused_connections)
    );
    let legend = &[("new", theme::NEW_CONN), ("reused", theme::REUSED)];
    lines_chart(
        ("connections", "Connections", CONNECTIONS_HELP),
        legend,
        (figure, YUnit::Count),
        c,
        TRACES,
    )
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
            ("reuse", "Reuse", REUSE_HELP),
            &[("reuse", theme::REUSED)],
            (figure, YUnit::Percent),
            c,
            TRACES,
        )
    }
}

/// Bytes on the wire per second; the figure is the last whole second's (0 after a
/// silent second), as on the axis.
fn wire_chart(c: &ChartCache, rates: RecentRates) -> Chart<'_> {
    const TRACES: &[Trace] = &[Trace::filled("wire", Series::WireKibPerS, theme::WIRE)];
    let rate = rates.wire_bytes_per_s / 1024.0;
    let figure = YUnit::KibPerSecond.text(rate);
    lines_chart(
        ("wire", "Wire", WIRE_HELP),
        &[("wire", theme::WIRE)],
        (figure, YUnit::KibPerSecond),
        c,
        TRACES,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_read_at_every_scale() {
        assert_eq!(YUnit::Millis.text(0.25), "250 µs");
        assert_eq!(YUnit::Millis.text(12.5), "12.5 ms");
        assert_eq!(YUnit::Seconds.text(0.2), "200 ms");
        assert_eq!(YUnit::Seconds.text(90.0), "1 m 30 s");
        assert_eq!(YUnit::KibPerSecond.text(0.5), "512 B/s");
        assert_eq!(YUnit::KibPerSecond.text(3.0 * 1024.0 * 1024.0), "3 GiB/s");
        assert_eq!(YUnit::Count.text(2.0), "2");
        assert_eq!(YUnit::Count.text(2.5), "", "no mark between whole counts");
        assert_eq!(YUnit::Count.text(-10.0), "");
        assert_eq!(YUnit::Percent.text(97.5), "97.5 %");
        assert_eq!(YUnit::PerSecond.text(0.0), "0");
    }

    /// The y-axis labels `egui_plot` paints for a chart `height` points tall whose
    /// highest value is `top`: as `egui_plot` 0.38 decides (axis.rs `add_tick_labels`),
    /// a mark is labelled when its step is further apart on screen than the axis's
    /// label spacing (the minimum `chart_ui` sets), at least a line of text apart, and
    /// the formatter writes something.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "mark indices of a chart, a few dozen"
    )]
    fn painted_labels(unit: YUnit, top: f64, height: f64) -> Vec<(f64, String)> {
        let (lo, hi) = y_bounds(&[("a", &[PlotPoint::new(0.0, top)])], None);
        let points_per_value = height / (hi - lo);
        // `egui_plot`'s smallest grid spacing is 8 points.
        let steps = plot::value_grid_steps(8.0 / points_per_value);
        let mut labels = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let first = (lo / step).ceil() as i64;
            let last = (hi / step).floor() as i64;
            for k in first..=last {
                let value = k as f64 * step;
                // A mark belongs to the largest step it is a multiple of.
                let coarser = steps[i + 1..]
                    .iter()
                    .any(|s| (value / s - (value / s).round()).abs() < 1e-6);
                let text = unit.text(value);
                let apart = step * points_per_value;
                if !coarser
                    && apart > f64::from(plot::LABEL_SPACING - 2.0)
                    && apart >= 16.0
                    && !text.is_empty()
                {
                    labels.push((value * points_per_value, text));
                }
            }
        }
        labels
    }

    #[test]
    fn every_chart_height_and_scale_gets_labels_besides_zero() {
        // Latency under 1 ms on a 1920x1080 window had only "0" (issue 17).
        let cases: &[(YUnit, &[f64])] = &[
            (
                YUnit::Millis,
                &[0.004, 0.05, 0.3, 0.97, 3.0, 40.0, 900.0, 75_000.0],
            ),
            (YUnit::Seconds, &[0.02, 0.9, 2.5, 31.0, 600.0, 7_200.0]),
            (YUnit::Count, &[1.0, 2.0, 3.0, 7.0, 130.0, 5_000.0]),
            (YUnit::PerSecond, &[0.2, 5.0, 1_000.0]),
            (YUnit::Percent, &[100.0]),
            (YUnit::KibPerSecond, &[0.3, 12.0, 90_000.0]),
        ];
        for (unit, tops) in cases {
            for &top in *tops {
                for height in [60.0, 90.0, 120.0, 160.0, 240.0, 400.0] {
                    let mut labels = painted_labels(*unit, top, height);
                    let beside_zero = labels.iter().filter(|(_, l)| l != "0").count();
                    assert!(
                        beside_zero >= 1,
                        "{unit:?} up to {top} on {height} points: labels {labels:?}"
                    );
                    // Never two labels within a line of text of each other.
                    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
                    for pair in labels.windows(2) {
                        assert!(
                            pair[1].0 - pair[0].0 >= 16.0,
                            "{unit:?} up to {top} on {height} points: {pair:?} overlap"
                        );
                    }
                }
            }
        }
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "the bound is exactly 0")]
    fn counts_never_get_a_negative_axis() {
        assert_eq!(y_bounds(&[("a", &[])], None), (0.0, 1.08));
        let points = [PlotPoint::new(0.0, 0.0), PlotPoint::new(1.0, 0.0)];
        assert_eq!(y_bounds(&[("a", &points)], None).0, 0.0, "all zero");
        let (lo, hi) = y_bounds(&[("a", &[PlotPoint::new(0.0, 50.0)])], Some(100.0));
        assert_eq!(lo, 0.0);
        assert!((hi - 108.0).abs() < 1e-9, "{hi}");
        let (lo, _) = y_bounds(&[("a", &[PlotPoint::new(0.0, -2.0)])], None);
        assert!(lo < -2.0, "a negative value still shows: {lo}");
    }

    #[test]
    fn hover_snaps_to_the_nearest_point() {
        let p50 = [
            PlotPoint::new(1.0, 10.0),
            PlotPoint::new(2.0, 12.0),
            PlotPoint::new(3.0, 11.0),
        ];
        let p99 = [
            PlotPoint::new(1.0, 90.0),
            PlotPoint::new(2.0, 95.0),
            PlotPoint::new(3.0, 99.0),
        ];
        let traces = [("p50", &p50[..]), ("p99", &p99[..])];
        let (name, p) = nearest(&traces, PlotPoint::new(2.2, 20.0)).expect("a point");
        assert_eq!((name, p.x, p.y), ("p50", 2.0, 12.0));
        let (name, p) = nearest(&traces, PlotPoint::new(2.9, 80.0)).expect("a point");
        assert_eq!((name, p.x, p.y), ("p99", 3.0, 99.0));
        assert_eq!(nearest(&[("a", &[])], PlotPoint::new(0.0, 0.0)), None);
    }

    #[test]
    fn lines_break_where_the_data_has_a_gap() {
        let xs = [0.0, 1.0, 2.0, 9.0, 10.0, 20.0];
        let points: Vec<PlotPoint> = xs.iter().map(|&x| PlotPoint::new(x, 1.0)).collect();
        let lens: Vec<usize> = runs(&points, 3.0).map(<[PlotPoint]>::len).collect();
        assert_eq!(lens, [3, 2, 1]);
        assert_eq!(runs(&[], 3.0).count(), 0);
    }
}
