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

/// More or fewer requests than the baseline, in words, with both counts.
fn requests_phrase(r: &VariantResult, base: &VariantResult) -> String {
    let both = format!(
        "{} instead of {}",
        units::count(r.requests),
        units::count(base.requests)
    );
    match times(r.requests as f64, base.requests as f64) {
        Some(x) if x >= 1.15 => format!("sent {} more requests ({both}", fmt_times(x)),
        Some(x) if x <= 1.0 / 1.15 && x > 0.0 => {
            format!("sent {} fewer requests ({both}", fmt_times(1.0 / x))
        }
        Some(_) => format!("sent about as many requests ({both}"),
        None => format!("sent {} requests (", units::count(r.requests)),
    }
}

/// "one per request" or how many connections served how many requests.
fn connections_phrase(r: &VariantResult) -> String {
    let per = if r.new_connections >= r.requests && r.requests > 0 {
        " (one per request)"
    } else {
        ""
    };
    format!(
        "{} for {} requests{per}",
        connections_text(r.new_connections),
        units::count(r.requests)
    )
}

/// The delivery delay of `r` against the baseline's, as the table shows it (p50).
fn delay_phrase(r: &VariantResult, base: &VariantResult) -> Option<String> {
    let (a, b) = (r.delay_ms_p50?, base.delay_ms_p50?);
    let shown = |ms| units::millis(ms);
    Some(if shown(a) == shown(b) {
        format!("delivered events as fast (delivery delay p50 {})", shown(a))
    } else if a > b {
        format!(
            "delivered events later: delivery delay p50 {} instead of {}",
            shown(a),
            shown(b)
        )
    } else {
        format!(
            "delivered events sooner: delivery delay p50 {} instead of {}",
            shown(a),
            shown(b)
        )
    })
}

/// Why a short-polling variant received fewer events than long polling, if it did.
fn missing_events_phrase(r: &VariantResult, base: &VariantResult, every: &str) -> Option<String> {
    let fewer = base.events.checked_sub(r.events).filter(|n| *n > 0)?;
    let mut out = format!(
        " It received {} fewer events ({} instead of {}): the events published after its last \
         poll were still waiting on the server when the run ended (at most the last {every} \
         of events)",
        units::count(fewer),
        units::count(r.events),
        units::count(base.events)
    );
    let lost = r.summary.lost_events;
    if lost > 0 {
        let _ = write!(
            out,
            ", and {} were lost: the server no longer had them when the next poll came",
            units::count(lost)
        );
    }
    out.push('.');
    Some(out)
}

/// A one-paragraph verdict, measured against long polling with keep-alive. Every figure
/// is the one [`Comparison::table`] shows, in the same units.
#[must_use]
pub fn verdict(results: &[VariantResult], interval: Duration) -> String {
    let Some(base) = find(results, Variant::LongKeepAlive) else {
        return "Long polling with keep-alive was not part of this comparison.".to_owned();
    };
    let mut out = format!(
        "Long polling with keep-alive sent {} requests over {} and received {} events",
        units::count(base.requests),
        connections_text(base.new_connections),
        units::count(base.events)
    );
    if let (Some(p50), Some(p99)) = (base.delay_ms_p50, base.delay_ms_p99) {
        let _ = write!(
            out,
            " (delivery delay p50 {}, p99 {})",
            fmt_ms(p50),
            fmt_ms(p99)
        );
    }
    out.push('.');
    if let Some(r) = find(results, Variant::LongNoKeepAlive) {
        let _ = write!(
            out,
            " Without keep-alive, long polling opened {} and spent {} on handshakes instead of {}.",
            connections_phrase(r),
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
            let _ = write!(out, "; {} of them empty", units::percent(e / 100.0));
        }
        out.push(')');
        if let Some(d) = delay_phrase(r, base) {
            let _ = write!(
                out,
                " and {d}, because an event waits on the server until the next poll"
            );
        }
        out.push('.');
        out.push_str(&missing_events_phrase(r, base, &every).unwrap_or_default());
    }
    if let Some(r) = find(results, Variant::ShortNoKeepAlive) {
        let _ = write!(
            out,
            " Short polling without keep-alive also opened {}",
            connections_phrase(r)
        );
        let _ = write!(
            out,
            " and moved {} on the wire against {} for long polling",
            units::bytes(r.wire_bytes()),
            units::bytes(base.wire_bytes())
        );
        out.push('.');
    }
    out
}

/// "1 new TCP connection" / "3 new TCP connections", as the table's row names them.
fn connections_text(n: u64) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} new TCP connection{s}", units::count(n))
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
        // The mean differs from the median, as it does when a few events are late: the
        // verdict must quote the median the table shows.
        r.delay_ms_p50 = delay;
        r.delay_ms_p99 = delay.map(|d| d * 3.0);
        r.delay_ms_mean = delay.map(|d| d * 1.7);
        r.handshake_ms = conns as f64 * 0.2;
        r.empty_pct = Some(40.0);
        r.wire_bytes_in = requests * 300;
        r
    }

    fn comparison(results: Vec<VariantResult>, interval_s: f64) -> Comparison {
        let verdict = verdict(&results, Duration::from_secs_f64(interval_s));
        Comparison {
            url: "http://h/e".to_owned(),
            duration_s: 10.0,
            interval_s,
            pollers: 1,
            results,
            held: Vec::new(),
            timelines: Vec::new(),
            verdict,
        }
    }

    /// The table's text for `row` in `column`.
    fn cell(c: &Comparison, row: &str, column: usize) -> String {
        let t = c.table();
        let r = t.rows.iter().find(|r| r.label == row).unwrap();
        r.cells[column].text.clone()
    }

    #[test]
    fn verdict_compares_against_long_keep_alive() {
        let c = comparison(
            vec![
                result(Variant::LongKeepAlive, 50, 1, Some(1.0)),
                result(Variant::LongNoKeepAlive, 50, 50, Some(1.5)),
                result(Variant::ShortKeepAlive, 600, 1, Some(2401.0)),
                result(Variant::ShortNoKeepAlive, 600, 600, Some(2400.0)),
            ],
            5.0,
        );
        let v = &c.verdict;
        assert!(
            v.starts_with(
                "Long polling with keep-alive sent 50 requests over 1 new TCP connection and \
                 received 50 events (delivery delay p50 1 ms, p99 3 ms)."
            ),
            "{v}"
        );
        assert!(
            v.contains("opened 50 new TCP connections for 50 requests (one per request)"),
            "{v}"
        );
        assert!(
            v.contains(
                "Short polling every 5 s sent 12× more requests (600 instead of 50; 40 % of \
                 them empty) and delivered events later: delivery delay p50 2.4 s instead of 1 ms"
            ),
            "{v}"
        );
        assert!(
            v.contains("spent 10 ms on handshakes instead of 0.2 ms"),
            "{v}"
        );
        assert!(
            v.contains("moved 176 KiB on the wire against 14.6 KiB for long polling"),
            "{v}"
        );
        assert!(!v.contains("fewer events"), "as many events: {v}");
    }

    #[test]
    fn every_figure_in_the_verdict_is_the_table_s() {
        let c = comparison(
            vec![
                result(Variant::LongKeepAlive, 57, 3, Some(0.734)),
                result(Variant::LongNoKeepAlive, 58, 59, Some(1.21)),
                result(Variant::ShortKeepAlive, 7, 3, Some(987.6)),
                result(Variant::ShortNoKeepAlive, 7, 7, Some(1012.0)),
            ],
            2.0,
        );
        for (row, columns) in [
            ("requests sent", &[0, 1, 2][..]),
            ("new TCP connections", &[0, 1, 3]),
            ("events received", &[0]),
            ("delivery delay p50", &[0, 2]),
            ("delivery delay p99", &[0]),
            ("handshake time", &[0, 1]),
            ("empty responses", &[2]),
            ("bytes on the wire", &[0, 3]),
        ] {
            for &i in columns {
                let text = cell(&c, row, i);
                assert!(
                    c.verdict.contains(&text),
                    "{row} of column {i} ({text}): {}",
                    c.verdict
                );
            }
        }
        // The mean (1.7× the median here) is not what the table shows.
        assert!(!c.verdict.contains("1.25 ms"), "{}", c.verdict);
    }

    #[test]
    fn fewer_events_by_short_polling_are_explained() {
        let mut short = result(Variant::ShortKeepAlive, 6, 1, Some(900.0));
        short.events = 41;
        let mut lossy = short.clone();
        lossy.summary.lost_events = 3;
        let c = comparison(
            vec![result(Variant::LongKeepAlive, 50, 1, Some(1.0)), short],
            2.0,
        );
        assert!(
            c.verdict.contains(
                "It received 9 fewer events (41 instead of 50): the events published after \
                 its last poll were still waiting on the server when the run ended (at most \
                 the last 2 s of events)."
            ),
            "{}",
            c.verdict
        );
        let c = comparison(
            vec![result(Variant::LongKeepAlive, 50, 1, Some(1.0)), lossy],
            2.0,
        );
        assert!(c.verdict.contains("and 3 were lost"), "{}", c.verdict);
    }

    #[test]
    fn fewer_requests_are_said_as_fewer() {
        let results = vec![
            result(Variant::LongKeepAlive, 600, 1, None),
            result(Variant::ShortKeepAlive, 60, 1, None),
        ];
        let v = verdict(&results, Duration::from_millis(500));
        assert!(
            v.contains("every 500 ms sent 10× fewer requests (60 instead of 600"),
            "{v}"
        );
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
