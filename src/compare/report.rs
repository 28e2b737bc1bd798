//! Words and tables for a comparison: the plain-language verdict, the table of figures
//! every face shows ([`Comparison::table`]), and the Markdown report. Pure functions of
//! the figures, written with [`crate::present`].

use std::fmt::Write as _;
use std::time::Duration;

use super::{Comparison, Variant, VariantResult};
use crate::present::units::{self, millis as fmt_ms, times as fmt_times};
use crate::present::{Cell, Row, Table, Unit};

fn find(results: &[VariantResult], v: Variant) -> Option<&VariantResult> {
    results.iter().find(|r| r.variant == v)
}

/// "12×" / "1.6×" / "about as many".
fn times(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

/// More or fewer requests than the baseline, in words.
fn requests_phrase(r: &VariantResult, base: &VariantResult) -> String {
    match times(r.requests as f64, base.requests as f64) {
        Some(x) if x >= 1.15 => format!("sent {} more requests", fmt_times(x)),
        Some(x) if x <= 1.0 / 1.15 && x > 0.0 => {
            format!("sent {} fewer requests", fmt_times(1.0 / x))
        }
        Some(_) => "sent about as many requests".to_owned(),
        None => format!("sent {} requests", r.requests),
    }
}

fn delay_phrase(r: &VariantResult, base: &VariantResult) -> Option<String> {
    let (a, b) = (r.delay_ms_mean?, base.delay_ms_mean?);
    let d = a - b;
    Some(if d.abs() < 1.0 {
        "delivered events as fast".to_owned()
    } else if d > 0.0 {
        format!("delivered events {} later on average", fmt_ms(d))
    } else {
        format!("delivered events {} sooner on average", fmt_ms(-d))
    })
}

/// A one-paragraph verdict, measured against long polling with keep-alive.
#[must_use]
pub fn verdict(results: &[VariantResult], interval: Duration) -> String {
    let Some(base) = find(results, Variant::LongKeepAlive) else {
        return "Long polling with keep-alive was not part of this comparison.".to_owned();
    };
    let mut out = format!(
        "Long polling with keep-alive sent {} requests over {} TCP connection(s) and received {} events",
        base.requests, base.new_connections, base.events
    );
    if let Some(d) = base.delay_ms_mean {
        let _ = write!(out, ", {} after they were published on average", fmt_ms(d));
    }
    out.push('.');
    if let Some(r) = find(results, Variant::LongNoKeepAlive) {
        let _ = write!(
            out,
            " Without keep-alive, long polling opened {} connections ({} per request) and spent {} on handshakes instead of {}.",
            r.new_connections,
            if r.requests > 0 && r.new_connections >= r.requests {
                "one"
            } else {
                "about one"
            },
            fmt_ms(r.handshake_ms),
            fmt_ms(base.handshake_ms)
        );
    }
    let every = units::duration(interval);
    if let Some(r) = find(results, Variant::ShortKeepAlive) {
        let _ = write!(
            out,
            " Short polling every {every} {}",
            requests_phrase(r, base)
        );
        if let Some(e) = r.empty_pct {
            let _ = write!(out, " ({} of them empty)", units::percent(e / 100.0));
        }
        if let Some(d) = delay_phrase(r, base) {
            let _ = write!(out, " and {d}");
        }
        out.push('.');
    }
    if let Some(r) = find(results, Variant::ShortNoKeepAlive) {
        let _ = write!(
            out,
            " Short polling without keep-alive also opened {} connections",
            r.new_connections
        );
        if let Some(x) = times(r.wire_bytes() as f64, base.wire_bytes() as f64) {
            let _ = write!(out, " and moved {} the bytes of long polling", fmt_times(x));
        }
        out.push('.');
    }
    out
}

/// The charts of a comparison: the GUI draws them live, the export writes them as PNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    /// Requests sent so far.
    Requests,
    /// New TCP connections so far.
    Connections,
    /// Delivery delay, the median of each second.
    Delay,
    /// Connections open at the server.
    Held,
}

impl Chart {
    /// Every chart, in the order they are shown.
    pub const ALL: [Self; 4] = [Self::Requests, Self::Connections, Self::Delay, Self::Held];

    /// The chart's title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Requests => "Requests sent (cumulative)",
            Self::Connections => "New TCP connections (cumulative)",
            Self::Delay => "Delivery delay, median per second",
            Self::Held => "Connections held open at the server",
        }
    }

    /// What the y axis counts.
    #[must_use]
    pub fn y_label(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::Connections | Self::Held => "connections",
            Self::Delay => "ms",
        }
    }

    /// The exported PNG's file name.
    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Requests => "requests.png",
            Self::Connections => "connections.png",
            Self::Delay => "delay.png",
            Self::Held => "held.png",
        }
    }
}

impl Comparison {
    /// The figures side by side: one column per variant (in the order of
    /// [`Comparison::results`]), one row per figure. The GUI, the CLI table and the
    /// Markdown report all show this.
    #[must_use]
    pub fn table(&self) -> Table {
        let row = |label, cell: &dyn Fn(&VariantResult) -> Cell| Row {
            label,
            cells: self.results.iter().map(cell).collect(),
        };
        let rows = vec![
            row("requests sent", &|r| Cell::count(r.requests)),
            row("new TCP connections", &|r| Cell::count(r.new_connections)),
            row("TLS handshakes", &|r| Cell::count(r.tls_handshakes)),
            row("handshake time", &|r| Cell::millis(Some(r.handshake_ms))),
            row("empty responses", &|r| {
                Cell::percent(r.empty_pct.map(|p| p / 100.0))
            }),
            row("bytes on the wire", &|r| Cell::bytes(r.wire_bytes())),
            row("events received", &|r| Cell::count(r.events)),
            row("delivery delay p50", &|r| Cell::millis(r.delay_ms_p50)),
            row("delivery delay p99", &|r| Cell::millis(r.delay_ms_p99)),
            row("connections held (mean / max)", &|r| {
                let text = format!(
                    "{:.1} / {:.0}",
                    r.held_connections_mean, r.held_connections_max
                );
                Cell::new(text, Unit::Count)
            }),
            row("errors", &|r| Cell::count(r.errors)),
        ];
        Table {
            columns: self.results.iter().map(|r| r.label.to_owned()).collect(),
            rows,
        }
    }

    /// How the comparison ran, in words: `30 s, 1 poller(s) per variant, short polls
    /// every 5 s`.
    #[must_use]
    pub fn settings(&self) -> String {
        format!(
            "{}, {} poller(s) per variant, short polls every {}",
            units::seconds(self.duration_s),
            self.pollers,
            units::seconds(self.interval_s)
        )
    }

    /// A Markdown report: settings, table, verdict; `charts` are image paths to embed.
    #[must_use]
    pub fn markdown(&self, charts: &[(&str, &str)]) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Pollscope comparison\n");
        let _ = writeln!(md, "Endpoint `{}`: {}.\n", self.url, self.settings());
        md.push_str(&self.table().markdown());
        let _ = writeln!(md, "\n{}\n", self.verdict);
        for (title, path) in charts {
            let _ = writeln!(md, "![{title}]({path})\n");
        }
        md
    }

    /// A fixed-width table for terminals.
    #[must_use]
    pub fn text_table(&self) -> String {
        self.table().text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Stats, StatsConfig};
    use std::time::Instant;

    fn result(v: Variant, requests: u64, conns: u64, delay: Option<f64>) -> VariantResult {
        let mut r = VariantResult::new(
            v,
            Stats::new(Instant::now(), StatsConfig::default()).summary(Instant::now()),
            &[],
        );
        r.requests = requests;
        r.new_connections = conns;
        r.events = 50;
        r.delay_ms_mean = delay;
        r.handshake_ms = conns as f64 * 0.2;
        r.empty_pct = Some(40.0);
        r.wire_bytes_in = requests * 300;
        r
    }

    #[test]
    fn verdict_compares_against_long_keep_alive() {
        let results = vec![
            result(Variant::LongKeepAlive, 50, 1, Some(1.0)),
            result(Variant::LongNoKeepAlive, 50, 50, Some(1.5)),
            result(Variant::ShortKeepAlive, 600, 1, Some(2401.0)),
            result(Variant::ShortNoKeepAlive, 600, 600, Some(2400.0)),
        ];
        let v = verdict(&results, Duration::from_secs(5));
        assert!(
            v.contains("sent 50 requests over 1 TCP connection(s)"),
            "{v}"
        );
        assert!(v.contains("opened 50 connections (one per request)"), "{v}");
        assert!(
            v.contains("Short polling every 5 s sent 12× more requests"),
            "{v}"
        );
        assert!(v.contains("delivered events 2.4 s later on average"), "{v}");
        assert!(v.contains("(40 % of them empty)"), "{v}");
        assert!(
            v.contains("spent 10 ms on handshakes instead of 0.2 ms"),
            "{v}"
        );
        assert!(v.contains("12× the bytes"), "{v}");
    }

    #[test]
    fn fewer_requests_are_said_as_fewer() {
        let results = vec![
            result(Variant::LongKeepAlive, 600, 1, None),
            result(Variant::ShortKeepAlive, 60, 1, None),
        ];
        let v = verdict(&results, Duration::from_millis(500));
        assert!(v.contains("every 500 ms sent 10× fewer requests"), "{v}");
    }

    #[test]
    fn markdown_has_a_table_row_per_figure() {
        let c = Comparison {
            url: "http://h/e".to_owned(),
            duration_s: 10.0,
            interval_s: 5.0,
            pollers: 1,
            results: vec![
                result(Variant::LongKeepAlive, 5, 1, None),
                result(Variant::ShortKeepAlive, 2, 1, None),
            ],
            held: Vec::new(),
            timelines: Vec::new(),
            verdict: "v".to_owned(),
        };
        let md = c.markdown(&[("held", "held.png")]);
        assert!(
            md.contains("| | long poll, keep-alive | short poll, keep-alive |"),
            "{md}"
        );
        assert!(md.contains("|---|---:|---:|"), "{md}");
        assert!(md.contains("| requests sent | 5 | 2 |"), "{md}");
        assert!(
            md.contains("| bytes on the wire | 1.46 KiB | 600 B |"),
            "{md}"
        );
        assert!(md.contains("| empty responses | 40 % | 40 % |"), "{md}");
        assert!(md.contains("| delivery delay p50 | – | – |"), "{md}");
        assert!(
            md.contains(
                "Endpoint `http://h/e`: 10 s, 1 poller(s) per variant, short polls every 5 s."
            ),
            "{md}"
        );
        assert!(md.contains("![held](held.png)"), "{md}");
        let text = c.text_table();
        assert!(
            text.lines().nth(1).unwrap().starts_with("requests sent"),
            "{text}"
        );
    }
}
