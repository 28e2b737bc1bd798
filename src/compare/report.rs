//! Words and tables for a comparison: the plain-language verdict, a Markdown report and
//! a text table. Pure functions of the figures.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Comparison, Variant, VariantResult};

fn find(results: &[VariantResult], v: Variant) -> Option<&VariantResult> {
    results.iter().find(|r| r.variant == v)
}

/// "12×" / "1.6×" / "about as many".
fn times(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

fn fmt_times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.1}×")
    }
}

fn fmt_ms(ms: f64) -> String {
    if ms.abs() >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms.abs() >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
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
    let every = if interval.as_secs_f64() >= 1.0 {
        format!("{:.0} s", interval.as_secs_f64())
    } else {
        format!("{:.0} ms", interval.as_secs_f64() * 1000.0)
    };
    if let Some(r) = find(results, Variant::ShortKeepAlive) {
        let _ = write!(
            out,
            " Short polling every {every} {}",
            requests_phrase(r, base)
        );
        if let Some(e) = r.empty_pct {
            let _ = write!(out, " ({e:.0}% of them empty)");
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

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), fmt_ms)
}

/// Rows of the comparison table: (label, one cell per variant).
fn rows(c: &Comparison) -> Vec<(&'static str, Vec<String>)> {
    let col = |f: &dyn Fn(&VariantResult) -> String| c.results.iter().map(f).collect();
    vec![
        ("requests sent", col(&|r| r.requests.to_string())),
        (
            "new TCP connections",
            col(&|r| r.new_connections.to_string()),
        ),
        ("TLS handshakes", col(&|r| r.tls_handshakes.to_string())),
        ("handshake time", col(&|r| fmt_ms(r.handshake_ms))),
        (
            "empty responses",
            col(&|r| {
                r.empty_pct
                    .map_or_else(|| "–".to_owned(), |p| format!("{p:.0}%"))
            }),
        ),
        ("bytes on the wire", col(&|r| r.wire_bytes().to_string())),
        ("events received", col(&|r| r.events.to_string())),
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
        ("errors", col(&|r| r.errors.to_string())),
    ]
}

impl Comparison {
    /// A Markdown report: settings, table, verdict; `charts` are image paths to embed.
    #[must_use]
    pub fn markdown(&self, charts: &[(&str, &str)]) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Pollscope comparison\n");
        let _ = writeln!(
            md,
            "Endpoint `{}`, {} poller(s) per variant, {:.0} s, short-poll interval {} s.\n",
            self.url, self.pollers, self.duration_s, self.interval_s
        );
        let header: Vec<&str> = self.results.iter().map(|r| r.label).collect();
        let _ = writeln!(md, "| | {} |", header.join(" | "));
        let _ = writeln!(md, "|---|{}", "---:|".repeat(header.len()));
        for (label, cells) in rows(self) {
            let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
        }
        let _ = writeln!(md, "\n{}\n", self.verdict);
        for (title, path) in charts {
            let _ = writeln!(md, "![{title}]({path})\n");
        }
        md
    }

    /// A fixed-width table for terminals.
    #[must_use]
    pub fn text_table(&self) -> String {
        let rows = rows(self);
        let first = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let widths: Vec<usize> = self
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                rows.iter()
                    .map(|(_, c)| c[i].chars().count())
                    .chain([r.label.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let _ = write!(out, "{:first$}", "");
        for (r, w) in self.results.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", r.label);
        }
        out.push('\n');
        for (label, cells) in rows {
            let _ = write!(out, "{label:first$}");
            for (cell, w) in cells.iter().zip(&widths) {
                let _ = write!(out, "  {cell:>w$}");
            }
            out.push('\n');
        }
        out
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
        assert!(md.contains("| requests sent | 5 | 2 |"), "{md}");
        assert!(md.contains("![held](held.png)"), "{md}");
        assert!(c.text_table().contains("requests sent"));
    }
}
