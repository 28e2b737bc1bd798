//! docs/monitoring/ stays true to the exposition: the Grafana dashboard is valid JSON,
//! every metric the dashboard and the alerting rules query exists in what the agent
//! serves, every metric served is documented, and the systemd unit runs the agent.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pollscope::alert::{Alerts, Liveness};
use pollscope::metrics::Metrics;
use pollscope::poll::{ErrorKind, Payload, PollEvent, PollFailure, PollResponse, ReceivedEvent};

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Metric families served (from `# TYPE name type` lines), with the names their
/// samples take (counters end in `_total`, histograms in `_bucket`/`_sum`/`_count`).
fn served() -> (BTreeSet<String>, BTreeSet<String>) {
    let metrics = Metrics::new();
    // Families print nothing until they have a series: a profile creates most; an
    // event, an error (per kind) and an alert rule (per rule) create the rest.
    let mut p = metrics.profile("p", Arc::default());
    let t0 = Instant::now();
    p.observe(&PollEvent::Failed(Box::new(PollFailure::new(
        0,
        t0,
        ErrorKind::Timeout,
        "timed out".to_owned(),
    ))));
    p.observe(&PollEvent::Response(Box::new(PollResponse {
        events: vec![ReceivedEvent {
            payload: Payload::Text("x".to_owned()),
            seq: Some(1),
            latency_ms: Some(1.0),
        }],
        ..PollResponse::new(0, t0, t0)
    })));
    let rules = vec!["conns>0".parse().unwrap()];
    let mut alerts = Alerts::new("p", &rules, Liveness::new(t0, Duration::from_secs(1), None));
    for t in alerts.evaluate(t0, 1) {
        p.transition(&t);
    }
    let text = metrics.encode();
    let mut families = BTreeSet::new();
    let mut samples = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = rest.split(' ');
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        families.insert(name.to_owned());
        let suffixes: &[&str] = match kind {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        for s in suffixes {
            samples.insert(format!("{name}{s}"));
        }
    }
    assert!(families.len() >= 20, "{families:?}");
    (families, samples)
}

/// Every `pollscope_…` identifier in `text`.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("pollscope_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_dashboard_is_valid_json_and_queries_only_served_metrics() {
    let (_, samples) = served();
    let text = read("docs/monitoring/grafana-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(dashboard["title"], "Pollscope agent");
    let panels = dashboard["panels"].as_array().unwrap();
    let mut exprs = Vec::new();
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            exprs.push(t["expr"].as_str().unwrap().to_owned());
        }
    }
    assert!(exprs.len() >= 14, "{exprs:?}");
    let used = names_in(&exprs.join("\n"));
    assert!(used.len() >= 15, "{used:?}");
    let unknown: Vec<&String> = used.iter().filter(|n| !samples.contains(*n)).collect();
    assert!(unknown.is_empty(), "queried but not served: {unknown:?}");
    // The profile variable reads a served gauge too.
    let var = dashboard["templating"]["list"][0]["definition"]
        .as_str()
        .unwrap();
    assert!(names_in(var).iter().all(|n| samples.contains(n)), "{var}");
}

#[test]
fn the_alerting_rules_query_only_served_metrics_and_cover_every_rule_kind() {
    let (_, samples) = served();
    let rules = read("docs/monitoring/pollscope-rules.yml");
    let used = names_in(&rules);
    let unknown: Vec<&String> = used.iter().filter(|n| !samples.contains(*n)).collect();
    assert!(unknown.is_empty(), "queried but not served: {unknown:?}");
    // One PromQL rule per kind of alert rule, each named by its text form.
    for kind in [
        "quiet>30s",
        "errors>5%/1m",
        "p99>200ms/1m",
        "lost>0/5m",
        "reuse<90%/1m",
        "hold<20s/5m",
        "conns>10",
    ] {
        assert!(rules.contains(&format!("# {kind}:")), "{kind}");
    }
}

#[test]
fn every_served_metric_is_documented() {
    let (families, _) = served();
    let doc = read("docs/monitoring.md");
    let documented = names_in(&doc);
    for family in &families {
        let shown = [
            family.clone(),
            format!("{family}_total"),
            format!("{family}_seconds"),
        ];
        assert!(
            shown.iter().any(|n| documented.contains(n)),
            "{family} is served but not in docs/monitoring.md"
        );
    }
}

#[test]
fn the_systemd_unit_runs_the_agent_with_metrics() {
    let unit = read("assets/pollscope-agent.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert!(
        exec.contains("pollscope agent") && exec.contains("--metrics"),
        "{exec}"
    );
    assert!(
        unit.contains("SuccessExitStatus=6"),
        "alerts firing is not a failure"
    );
    assert_eq!(pollscope::exit::Exit::AlertFired.code(), 6);
    assert!(unit.contains("WantedBy=default.target"), "a user unit");
}
