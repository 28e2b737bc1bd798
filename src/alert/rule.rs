//! Alert rules as data: what a rule says, its one-line text form (`quiet>30s`,
//! `errors>5%/1m`, `p99>200ms`, …) for the command line and `profiles.json`, and the
//! per-profile [`AlertSettings`].
//!
//! Pure data: no clocks, no engine. The evaluator is [`super::Alerts`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The longest window or duration a rule may name.
pub const MAX_SPAN: Duration = Duration::from_hours(7 * 24);
/// Window of `errors`, `p99` and `reuse` rules that name none.
pub const DEFAULT_WINDOW: Duration = Duration::from_mins(1);
/// Window of `lost` and `hold` rules that name none: losses and cut holds are rare, so
/// they stay visible longer.
pub const DEFAULT_LONG_WINDOW: Duration = Duration::from_mins(5);

/// One alert rule of a profile.
///
/// Text form: `NAME OP VALUE[/WINDOW]`, spaces ignored; see [`Rule::SYNTAX`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Rule {
    /// No event for longer than `after` (`quiet>30s`).
    Quiet {
        /// How long without an event.
        after: Duration,
    },
    /// The profile has been stalled (polls failing or unanswered) for longer than
    /// `after` (`stalled>10s`; `stalled>0s` fires as soon as it stalls).
    Stalled {
        /// How long stalled.
        after: Duration,
    },
    /// Failed polls over `percent` % of the polls completed in `window`
    /// (`errors>5%/1m`).
    ErrorRatio {
        /// Threshold, 0–100.
        percent: f64,
        /// How far back.
        window: Duration,
    },
    /// Event latency p99 above `ms` over `window` (`p99>200ms/1m`).
    LatencyP99 {
        /// Threshold in milliseconds.
        ms: f64,
        /// How far back.
        window: Duration,
    },
    /// More than `count` events lost (sequence gaps, resyncs) in `window`
    /// (`lost>0/5m`).
    Lost {
        /// Lost events allowed.
        count: u64,
        /// How far back.
        window: Duration,
    },
    /// Answers over reused connections below `percent` % of the answers in `window`
    /// (`reuse<90%/1m`).
    ReuseRatio {
        /// Threshold, 0–100.
        percent: f64,
        /// How far back.
        window: Duration,
    },
    /// Median hold of empty answers (those held until the server's timeout) below `ms`
    /// over `window`: a proxy or load balancer cutting holds short (`hold<20s/5m`).
    /// Answers with events end early by design, so they do not count.
    HoldP50 {
        /// Threshold in milliseconds.
        ms: f64,
        /// How far back.
        window: Duration,
    },
    /// More open connections than `count` (`conns>10`).
    OpenConnections {
        /// Connections allowed.
        count: u64,
    },
}

/// Why a rule's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad alert rule {text:?}: {why} (rules: {syntax})", syntax = Rule::SYNTAX)]
pub struct RuleError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl Rule {
    /// Every form, for help texts and error messages.
    pub const SYNTAX: &'static str = "quiet>30s, stalled>10s, errors>5%/1m, p99>200ms/1m, \
        lost>0/5m, reuse<90%/1m, hold<20s/5m, conns>10";

    /// The window the rule looks back over, for windowed rules.
    #[must_use]
    pub fn window(&self) -> Option<Duration> {
        match self {
            Self::ErrorRatio { window, .. }
            | Self::LatencyP99 { window, .. }
            | Self::Lost { window, .. }
            | Self::ReuseRatio { window, .. }
            | Self::HoldP50 { window, .. } => Some(*window),
            Self::Quiet { .. } | Self::Stalled { .. } | Self::OpenConnections { .. } => None,
        }
    }

    /// The rule's name in its text form (`quiet`, `errors`, …): also the `kind` label
    /// of the metrics and the start of a notification's title.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Quiet { .. } => "quiet",
            Self::Stalled { .. } => "stalled",
            Self::ErrorRatio { .. } => "errors",
            Self::LatencyP99 { .. } => "p99",
            Self::Lost { .. } => "lost",
            Self::ReuseRatio { .. } => "reuse",
            Self::HoldP50 { .. } => "hold",
            Self::OpenConnections { .. } => "conns",
        }
    }

    /// What the rule watches, in words ("no event for 30 s").
    #[must_use]
    pub fn describe(&self) -> String {
        let w = |d: &Duration| span(*d);
        match self {
            Self::Quiet { after } => format!("no event for over {}", span(*after)),
            Self::Stalled { after } if after.is_zero() => "stalled".to_owned(),
            Self::Stalled { after } => format!("stalled for over {}", span(*after)),
            Self::ErrorRatio { percent, window } => {
                format!(
                    "errors over {}% of polls in {}",
                    number(*percent),
                    w(window)
                )
            }
            Self::LatencyP99 { ms, window } => {
                format!("event latency p99 over {} in {}", millis(*ms), w(window))
            }
            Self::Lost { count, window } => {
                format!("more than {count} lost event(s) in {}", w(window))
            }
            Self::ReuseRatio { percent, window } => format!(
                "connection reuse under {}% of answers in {}",
                number(*percent),
                w(window)
            ),
            Self::HoldP50 { ms, window } => {
                format!("empty-hold p50 under {} in {}", millis(*ms), w(window))
            }
            Self::OpenConnections { count } => format!("more than {count} open connection(s)"),
        }
    }
}

/// `30s`, `1m30s`, `200ms`: humantime's form without its spaces (which it reads back).
#[must_use]
pub fn span(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

/// A threshold in milliseconds as typed: `200ms`, `1.5s`, `20s`.
fn millis(ms: f64) -> String {
    if ms >= 1000.0 && (ms / 1000.0).fract() == 0.0 {
        format!("{}s", number(ms / 1000.0))
    } else {
        format!("{}ms", number(ms))
    }
}

/// Shortest decimal that reads back as the same number.
fn number(x: f64) -> String {
    format!("{x}")
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Quiet { after } => write!(f, "quiet>{}", span(*after)),
            Self::Stalled { after } => write!(f, "stalled>{}", span(*after)),
            Self::ErrorRatio { percent, window } => {
                write!(f, "errors>{}%/{}", number(*percent), span(*window))
            }
            Self::LatencyP99 { ms, window } => write!(f, "p99>{}/{}", millis(*ms), span(*window)),
            Self::Lost { count, window } => write!(f, "lost>{count}/{}", span(*window)),
            Self::ReuseRatio { percent, window } => {
                write!(f, "reuse<{}%/{}", number(*percent), span(*window))
            }
            Self::HoldP50 { ms, window } => write!(f, "hold<{}/{}", millis(*ms), span(*window)),
            Self::OpenConnections { count } => write!(f, "conns>{count}"),
        }
    }
}

impl From<Rule> for String {
    fn from(rule: Rule) -> Self {
        rule.to_string()
    }
}

impl TryFrom<String> for Rule {
    type Error = RuleError;

    fn try_from(text: String) -> Result<Self, RuleError> {
        text.parse()
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        let bad = |why: String| RuleError {
            text: text.to_owned(),
            why,
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.to_ascii_lowercase();
        let Some(at) = compact.find(['>', '<']) else {
            return Err(bad("expected NAME>VALUE or NAME<VALUE".to_owned()));
        };
        let (name, rest) = compact.split_at(at);
        let (op, rest) = rest.split_at(1);
        let (value, window) = match rest.split_once('/') {
            Some((value, window)) => (value, Some(window)),
            None => (rest, None),
        };
        let kind = Kind::named(name).ok_or_else(|| {
            bad(format!(
                "unknown rule {name:?}; use quiet, stalled, errors, p99, lost, reuse, hold or conns"
            ))
        })?;
        if op != kind.op() {
            return Err(bad(format!(
                "{} takes '{}', as in {}",
                kind.name(),
                kind.op(),
                kind.example()
            )));
        }
        let window = match (window, kind.default_window()) {
            (None, default) => default,
            (Some(_), None) => {
                return Err(bad(format!("{} takes no window", kind.name())));
            }
            (Some(w), Some(_)) => Some(duration(w).map_err(|why| bad(format!("window: {why}")))?),
        };
        if window.is_some_and(|w| w < Duration::from_secs(1)) {
            return Err(bad("the window must be at least 1s".to_owned()));
        }
        kind.build(value, window.unwrap_or(DEFAULT_WINDOW))
            .map_err(bad)
    }
}

/// The rule kinds, while parsing.
#[derive(Clone, Copy)]
enum Kind {
    Quiet,
    Stalled,
    Errors,
    P99,
    Lost,
    Reuse,
    Hold,
    Conns,
}

impl Kind {
    fn named(name: &str) -> Option<Self> {
        Some(match name.replace('-', "_").as_str() {
            "quiet" | "no_event" | "no_events" => Self::Quiet,
            "stalled" | "stall" => Self::Stalled,
            "errors" | "error" | "error_ratio" | "err" => Self::Errors,
            "p99" | "latency" | "latency_p99" => Self::P99,
            "lost" | "lost_events" => Self::Lost,
            "reuse" | "reuse_ratio" => Self::Reuse,
            "hold" | "hold_p50" => Self::Hold,
            "conns" | "connections" | "open_connections" => Self::Conns,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Quiet => "quiet",
            Self::Stalled => "stalled",
            Self::Errors => "errors",
            Self::P99 => "p99",
            Self::Lost => "lost",
            Self::Reuse => "reuse",
            Self::Hold => "hold",
            Self::Conns => "conns",
        }
    }

    fn op(self) -> &'static str {
        match self {
            Self::Reuse | Self::Hold => "<",
            _ => ">",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Self::Quiet => "quiet>30s",
            Self::Stalled => "stalled>10s",
            Self::Errors => "errors>5%/1m",
            Self::P99 => "p99>200ms/1m",
            Self::Lost => "lost>0/5m",
            Self::Reuse => "reuse<90%/1m",
            Self::Hold => "hold<20s/5m",
            Self::Conns => "conns>10",
        }
    }

    fn default_window(self) -> Option<Duration> {
        match self {
            Self::Errors | Self::P99 | Self::Reuse => Some(DEFAULT_WINDOW),
            Self::Lost | Self::Hold => Some(DEFAULT_LONG_WINDOW),
            Self::Quiet | Self::Stalled | Self::Conns => None,
        }
    }

    fn build(self, value: &str, window: Duration) -> Result<Rule, String> {
        let example = self.example();
        Ok(match self {
            Self::Quiet => Rule::Quiet {
                after: positive_duration(value, example)?,
            },
            Self::Stalled => Rule::Stalled {
                after: duration(value)?,
            },
            Self::Errors => Rule::ErrorRatio {
                percent: percent(value, example)?,
                window,
            },
            Self::Reuse => Rule::ReuseRatio {
                percent: percent(value, example)?,
                window,
            },
            Self::P99 => Rule::LatencyP99 {
                ms: duration_ms(value, example)?,
                window,
            },
            Self::Hold => Rule::HoldP50 {
                ms: duration_ms(value, example)?,
                window,
            },
            Self::Lost => Rule::Lost {
                count: count(value, example)?,
                window,
            },
            Self::Conns => Rule::OpenConnections {
                count: count(value, example)?,
            },
        })
    }
}

/// A duration such as `30s`, `1m30s`, `500ms`, up to [`MAX_SPAN`].
fn duration(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("a duration is missing (e.g. 30s, 2m, 500ms)".to_owned());
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration ({e}; e.g. 30s, 2m, 500ms)"))?;
    if d > MAX_SPAN {
        return Err(format!("{text} is longer than {}", span(MAX_SPAN)));
    }
    Ok(d)
}

fn positive_duration(text: &str, example: &str) -> Result<Duration, String> {
    let d = duration(text)?;
    if d.is_zero() {
        return Err(format!("the duration must be above 0, as in {example}"));
    }
    Ok(d)
}

fn duration_ms(text: &str, example: &str) -> Result<f64, String> {
    Ok(positive_duration(text, example)?.as_secs_f64() * 1000.0)
}

/// `5%`, 0–100. The sign is required: a bare `0.5` could mean 0.5 % or 50 %.
fn percent(text: &str, example: &str) -> Result<f64, String> {
    let Some(number) = text.strip_suffix('%') else {
        return Err(format!(
            "write {text:?} as a percentage with %, as in {example}"
        ));
    };
    let p: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a percentage, as in {example}"))?;
    if !(0.0..=100.0).contains(&p) {
        return Err(format!("{text} is not between 0% and 100%"));
    }
    Ok(p)
}

fn count(text: &str, example: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number, as in {example}"))
}

/// A profile's alerting: its rules, when it counts as quiet, and whether its alerts
/// raise desktop notifications. Every field has a default, so profiles saved before
/// alerts existed load unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// The rules, evaluated in this order.
    pub rules: Vec<Rule>,
    /// Seconds without an event after which the profile shows "quiet"; `None`: learned
    /// from the observed event rate (see [`super::liveness`]).
    pub quiet_after_s: Option<f64>,
    /// Firing and resolved alerts raise desktop notifications.
    pub notify: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            quiet_after_s: None,
            notify: true,
        }
    }
}

impl AlertSettings {
    /// Nothing set (profiles are saved without the field then).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The configured quiet threshold, when it is a usable number of seconds.
    #[must_use]
    pub fn quiet_after(&self) -> Option<Duration> {
        self.quiet_after_s
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(MAX_SPAN.as_secs_f64())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_issue_examples_parse() {
        assert_eq!(
            rule("quiet>30s"),
            Rule::Quiet {
                after: Duration::from_secs(30)
            }
        );
        assert_eq!(
            rule("p99>200ms"),
            Rule::LatencyP99 {
                ms: 200.0,
                window: DEFAULT_WINDOW
            }
        );
        assert_eq!(
            rule("lost>0"),
            Rule::Lost {
                count: 0,
                window: DEFAULT_LONG_WINDOW
            }
        );
    }

    #[test]
    fn every_kind_with_windows_spaces_and_case() {
        let cases = [
            ("errors > 5% / 2m", "errors>5%/2m"),
            ("ERRORS>0.5%", "errors>0.5%/1m"),
            ("reuse<90%", "reuse<90%/1m"),
            ("hold<20s", "hold<20s/5m"),
            ("hold_p50<1.5s/10m", "hold<1500ms/10m"),
            ("latency>1s/30s", "p99>1s/30s"),
            ("conns>10", "conns>10"),
            ("open-connections>3", "conns>3"),
            ("stalled>0s", "stalled>0s"),
            ("quiet>1m30s", "quiet>1m30s"),
            ("lost>2/1h", "lost>2/1h"),
        ];
        for (text, canonical) in cases {
            let r = rule(text);
            assert_eq!(r.to_string(), canonical, "{text}");
            assert_eq!(rule(canonical), r, "{canonical} reads back");
        }
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let cases = [
            ("", "expected NAME>VALUE"),
            ("quiet", "expected NAME>VALUE"),
            ("loud>3s", "unknown rule \"loud\""),
            ("quiet<30s", "quiet takes '>', as in quiet>30s"),
            ("reuse>90%", "reuse takes '<'"),
            ("quiet>30", "not a duration"),
            ("quiet>0s", "above 0"),
            ("quiet>30s/1m", "quiet takes no window"),
            ("errors>150%", "between 0% and 100%"),
            ("errors>five%", "not a percentage"),
            ("errors>0.05", "as a percentage with %"),
            ("errors>5%/0s", "at least 1s"),
            ("errors>5%/soon", "window: \"soon\" is not a duration"),
            ("lost>-1", "not a whole number"),
            ("p99>", "a duration is missing"),
            ("quiet>9999999h", "longer than"),
        ];
        for (text, needle) in cases {
            let err = text.parse::<Rule>().expect_err(text).to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.contains("quiet>30s"), "lists the forms: {err}");
        }
    }

    #[test]
    fn rules_are_saved_as_their_text() {
        let settings = AlertSettings {
            rules: vec![rule("quiet>30s"), rule("errors>5%/1m")],
            quiet_after_s: Some(12.0),
            notify: false,
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            json,
            r#"{"rules":["quiet>30s","errors>5%/1m"],"quiet_after_s":12.0,"notify":false}"#
        );
        let back: AlertSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings);
        let bad = serde_json::from_str::<AlertSettings>(r#"{"rules":["quiet<1s"]}"#)
            .expect_err("a bad rule in a file is an error, not dropped");
        assert!(bad.to_string().contains("quiet takes '>'"), "{bad}");
    }

    #[test]
    fn old_settings_load_with_defaults() {
        let s: AlertSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, AlertSettings::default());
        assert!(s.notify);
        assert_eq!(s.quiet_after(), None);
        let s: AlertSettings = serde_json::from_str(r#"{"quiet_after_s": -3}"#).unwrap();
        assert_eq!(s.quiet_after(), None, "nonsense is ignored, not used");
    }

    #[test]
    fn descriptions_read_as_words() {
        assert_eq!(rule("quiet>30s").describe(), "no event for over 30s");
        assert_eq!(
            rule("errors>5%/1m").describe(),
            "errors over 5% of polls in 1m"
        );
        assert_eq!(rule("stalled>0s").describe(), "stalled");
        assert_eq!(rule("hold<20s").window(), Some(DEFAULT_LONG_WINDOW));
        assert_eq!(rule("conns>3").window(), None);
    }
}
