//! PNG charts of a comparison, drawn without a window (plotters' bitmap backend with the
//! font egui ships), ready to paste into a design review.

use std::io;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::{Chart, Comparison, Variant};

const SIZE: (u32, u32) = (900, 420);

fn colour(v: Variant) -> RGBColor {
    let [r, g, b] = v.rgb();
    RGBColor(r, g, b)
}

/// Plotters needs a font registered once per process; egui's Ubuntu Light will do.
fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .is_err()
        {
            log::warn!("chart font could not be loaded; charts will have no text");
        }
    });
}

/// One line per variant.
type Lines = Vec<(Variant, Vec<(f64, f64)>)>;

fn line_chart(path: &Path, title: &str, y_label: &str, lines: &Lines) -> io::Result<()> {
    ensure_font();
    let err = |e: &dyn std::fmt::Display| io::Error::other(format!("{}: {e}", path.display()));
    let x_max = lines
        .iter()
        .flat_map(|(_, l)| l.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_max = lines
        .iter()
        .flat_map(|(_, l)| l.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold(1.0, f64::max)
        * 1.1;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc(y_label)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    for (variant, points) in lines {
        let c = colour(*variant);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(variant.label())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .border_style(RGBColor(200, 200, 200))
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// Write every chart; returns (title, file name) pairs.
pub fn write_all(c: &Comparison, dir: &Path) -> io::Result<Vec<(String, String)>> {
    let from_timeline = |pick: &dyn Fn(&super::Timeline, usize) -> Option<f64>| -> Lines {
        c.timelines
            .iter()
            .map(|(v, t)| {
                let pts = (0..t.t.len())
                    .filter_map(|i| pick(t, i).map(|y| (t.t[i], y)))
                    .collect();
                (*v, pts)
            })
            .collect()
    };
    let lines = |chart: Chart| -> Lines {
        match chart {
            Chart::Requests => from_timeline(&|t, i| Some(t.requests_total[i])),
            Chart::Connections => from_timeline(&|t, i| Some(t.connections_total[i])),
            Chart::Delay => from_timeline(&|t, i| t.delay_p50_ms[i]),
            Chart::Held => c
                .held
                .iter()
                .map(|(v, pts)| (*v, pts.iter().map(|p| (p[0], p[1])).collect()))
                .collect(),
        }
    };
    let mut written = Vec::new();
    for chart in Chart::ALL {
        line_chart(
            &dir.join(chart.file_name()),
            chart.title(),
            chart.y_label(),
            &lines(chart),
        )?;
        written.push((chart.title().to_owned(), chart.file_name().to_owned()));
    }
    Ok(written)
}
