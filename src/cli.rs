//! Command-line arguments, and how `watch` flags become a [`Profile`].
//!
//! Parsing only; running is in `main.rs` and [`crate::headless`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cursor::CursorRule;
use crate::profile::{
    HeaderSpec, HoldParam, HoldUnit, MAX_WAIT_S, Profile, ProfileIssue, TimeUnit,
};
use crate::profile_store::{ProfileStore, StoreError, config_dir};
use crate::protocol::{Decoder, Variable};
use crate::proxy::{ManualProxy, ProxyError, ProxySetting};

/// Longest `--duration` a run accepts (ten years; leave it out to run until Ctrl-C).
pub const MAX_RUN: Duration = Duration::from_hours(10 * 365 * 24);

/// The `clap` command with the exit-code table in its help: what `main` parses with
/// (and what man pages and completions should be made from).
#[must_use]
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().after_help(crate::exit::Exit::help_table())
}

/// Pollscope: watch HTTP long-poll endpoints — live events, hold times, and measured
/// connection reuse.
#[derive(Debug, Parser)]
#[command(name = "pollscope", version, about, long_about = None)]
pub struct Cli {
    /// What to run; none opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default).
    Gui,
    /// Run the built-in demo long-poll server.
    DemoServer(DemoServerArgs),
    /// Poll an endpoint without a window and print what happens.
    Watch(Box<WatchArgs>),
    /// Run long vs short polling, with and without keep-alive, side by side.
    Compare(Box<CompareArgs>),
    /// List the saved profiles.
    Profiles,
    /// Watch several profiles unattended (for days): alert transitions on stdout,
    /// metrics for Prometheus with --metrics.
    Agent(Box<AgentArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(crate::cli_docs::CompletionsArgs),
    /// Write the man pages (pollscope.1, pollscope-watch.1, …) into a directory.
    ManPages(crate::cli_docs::ManPagesArgs),
}

/// `pollscope demo-server` flags.
#[derive(Debug, Args)]
pub struct DemoServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// Synthetic events per second (0 = only published ones).
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Recent events kept for pollers catching up.
    #[arg(long, default_value_t = 10_000)]
    pub history: usize,
    /// Most events in one answer.
    #[arg(long, default_value_t = 1000)]
    pub max_batch: usize,
    /// Longest hold a client may ask for (also how long a blackholed request is kept):
    /// seconds, or 5m, 300s.
    #[arg(long, value_parser = parse_wait, default_value = "300s")]
    pub max_hold: Duration,
    /// Inject a fault into /events answers: reset-mid-body, truncated-chunked, blackhole,
    /// slow-body:BYTES_PER_S, huge-body:BYTES, status:CODE, too-many-requests:SECONDS,
    /// malformed-json, non-utf8, wrong-content-type, close-on-reuse.
    #[arg(long, default_value = "none")]
    pub fault: crate::demo_server::Fault,
    /// Apply the fault to every Nth /events request.
    #[arg(long, default_value_t = 1)]
    pub fault_every: u64,
    /// Apply the fault this many times, then answer normally.
    #[arg(long)]
    pub fault_times: Option<u64>,
    /// Append events to this JSON Lines file and resume from it on restart.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<std::path::PathBuf>,
    /// Serve HTTPS with a self-signed certificate made at start (printed on stderr).
    #[arg(long)]
    pub tls: bool,
    /// Tokio worker threads (1 = everything on one thread).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// `pollscope watch` flags.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// What to poll.
    #[command(flatten)]
    pub target: ProfileArgs,
    /// How long to run, e.g. 20s, 5m (default: until Ctrl-C).
    #[arg(long, value_parser = parse_run_duration)]
    pub duration: Option<Duration>,
    /// Print one JSON object with the summary at the end, nothing else on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the event log (events.jsonl), per-second statistics (stats.csv) and the
    /// summary (summary.json) into this directory at the end.
    #[arg(long, value_name = "DIR")]
    pub export: Option<std::path::PathBuf>,
    /// Alert rules, metrics and notifications.
    #[command(flatten)]
    pub alerting: AlertArgs,
}

/// Alerting flags of `watch` and `agent`.
#[derive(Debug, Args)]
pub struct AlertArgs {
    /// An alert rule (repeatable), added to the profile's own: quiet>30s, stalled>10s,
    /// errors>5%/1m, p99>200ms/1m, lost>0/5m, reuse<90%/1m, hold<20s/5m, conns>10.
    /// Transitions are printed as they happen (JSON lines with --json); the run exits
    /// with code 6 if any rule fired.
    #[arg(long = "alert", value_name = "RULE")]
    pub alerts: Vec<crate::alert::Rule>,
    /// Count a profile as quiet after this long without an event (default: learned
    /// from its event rate, at least 10 s).
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub quiet_after: Option<Duration>,
    /// Serve metrics for Prometheus on ADDR (path /metrics), e.g. 127.0.0.1:9187.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Raise desktop notifications (D-Bus org.freedesktop.Notifications) for alerts that
    /// fire or resolve, at most 4 a minute per profile; a profile saved with
    /// notifications off stays silent.
    #[arg(long)]
    pub notify: bool,
}

impl AlertArgs {
    /// Add the rules and the quiet threshold to `profile`.
    pub fn apply(&self, profile: &mut Profile) {
        profile.alerts.rules.extend(self.alerts.iter().cloned());
        if let Some(d) = self.quiet_after {
            profile.alerts.quiet_after_s = Some(d.as_secs_f64());
        }
    }
}

/// `pollscope agent` flags.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// A saved profile to watch (repeatable). Without --profile and --profiles: every
    /// saved profile.
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Watch every profile of this file (the format of profiles.json, or an export).
    #[arg(long = "profiles", value_name = "FILE")]
    pub profiles_file: Option<std::path::PathBuf>,
    /// How long to run (default: until Ctrl-C or SIGTERM).
    #[arg(long, value_parser = parse_run_duration)]
    pub duration: Option<Duration>,
    /// Alert transitions as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Alert rules, metrics and notifications.
    #[command(flatten)]
    pub alerting: AlertArgs,
}

/// `pollscope compare` flags.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// What to poll.
    #[command(flatten)]
    pub target: ProfileArgs,
    /// How long to run all variants.
    #[arg(long, value_parser = parse_run_duration, default_value = "30s")]
    pub duration: Duration,
    /// Print the comparison as one JSON object.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the comparison as Markdown.
    #[arg(long)]
    pub markdown: bool,
    /// Write report.md, comparison.json and PNG charts into this directory.
    #[arg(long, value_name = "DIR")]
    pub export: Option<std::path::PathBuf>,
    /// Run short-polling intervals under 1 s without asking.
    #[arg(long)]
    pub yes: bool,
}

/// Which endpoint to poll and how: a URL, a saved profile or a preset, and overrides.
#[derive(Debug, Args)]
#[expect(
    clippy::doc_markdown,
    reason = "clap prints these doc comments as --help, where backticks would show"
)]
pub struct ProfileArgs {
    /// URL to poll (not needed with --profile).
    pub url: Option<String>,
    /// Start from a saved profile; other flags override its fields.
    #[arg(long, conflicts_with = "preset")]
    pub profile: Option<String>,
    /// Start from a protocol preset: demo, nchan, etcd-v2, couchdb, consul, telegram,
    /// socketio, sockjs, bayeux, signalr, generic-json, generic-etag.
    #[arg(long)]
    pub preset: Option<String>,
    /// Concurrent independent pollers, each with its own cursor, sharing one agent.
    #[arg(long)]
    pub pollers: Option<u32>,
    /// Open a new connection for every poll.
    #[arg(long)]
    pub no_keep_alive: bool,
    /// Request header `Name: value` (repeatable). Headers whose name holds auth, key,
    /// token, secret, pass, session, cookie, … are secret.
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// A request header whose value is secret whatever its name (repeatable): masked
    /// everywhere it is shown, never sent to another origin.
    #[arg(long = "secret-header", value_name = "NAME: VALUE")]
    pub secret_headers: Vec<String>,
    /// A query parameter of the URL whose value is secret whatever its name
    /// (repeatable).
    #[arg(long = "secret-query", value_name = "NAME")]
    pub secret_queries: Vec<String>,
    /// Which redirects to follow: never, same-origin (the default) or any. Secrets never
    /// go to another origin; https → http is always refused.
    #[arg(long, value_name = "POLICY")]
    pub redirects: Option<crate::profile::RedirectPolicy>,
    /// Trust the CA certificates in this PEM file too (besides the system's; the
    /// SSL_CERT_FILE and SSL_CERT_DIR variables are honoured).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
    /// Cursor rule: none | body:/ptr=param | header:Name=param | validators | max:/field+1=param.
    #[arg(long)]
    pub cursor: Option<CursorRule>,
    /// Cursor value for the first poll.
    #[arg(long)]
    pub initial_cursor: Option<String>,
    /// Server hold: seconds, or 30s, 1m.
    #[arg(long, value_parser = parse_whole_seconds)]
    pub hold: Option<u32>,
    /// Query parameter that carries the hold, or "none".
    #[arg(long)]
    pub hold_param: Option<String>,
    /// Unit of the hold parameter: s (timeout=30), ms (timeout=30000) or suffix
    /// (wait=30s).
    #[arg(long, value_name = "s|ms|suffix")]
    pub hold_unit: Option<String>,
    /// Set a variable for `{{NAME}}` templates in the URL, headers, body and session
    /// steps (repeatable). Names that look like credentials are kept secret.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Set a variable whose value is secret whatever its name (repeatable).
    #[arg(long = "secret-var", value_name = "NAME=VALUE")]
    pub secret_vars: Vec<String>,
    /// Body decoder: json, json_lines, engineio, socketio, sockjs, signalr.
    #[arg(long)]
    pub decoder: Option<String>,
    /// Client timeout per poll: seconds, or 45s, 1m (default: hold + margin).
    #[arg(long, value_parser = parse_wait)]
    pub timeout: Option<Duration>,
    /// Short polling, one poll every INTERVAL: seconds, or 5s, 500ms. With `compare`,
    /// the short-polling variants' interval (default 5 s).
    #[arg(long, alias = "interval-s", value_parser = parse_wait)]
    pub interval: Option<Duration>,
    /// JSON pointer to the events array; `*` matches every key or item
    /// (/rooms/join/*/timeline/events), "/*" = each item of a body that is an array,
    /// "" = the whole body is one event.
    #[arg(long)]
    pub events: Option<String>,
    /// JSON pointer to a per-event sequence number ("" = none).
    #[arg(long)]
    pub seq: Option<String>,
    /// JSON pointer to a per-event server timestamp ("" = none).
    #[arg(long)]
    pub ts: Option<String>,
    /// Unit of --ts: s, ms or us.
    #[arg(long)]
    pub ts_unit: Option<String>,
    /// HTTP method.
    #[arg(long, short = 'X')]
    pub method: Option<String>,
    /// Request body.
    #[arg(long, short = 'd')]
    pub data: Option<String>,
    /// Largest body accepted, in bytes.
    #[arg(long)]
    pub max_body: Option<u64>,
    /// Accept invalid TLS certificates (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Go through this HTTP proxy: http://[user:password@]host:port. Without it the
    /// profile's proxy setting, or HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY, apply.
    #[arg(long, short = 'x', value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// The proxy's user name and password, USER:PASSWORD (kept secret).
    #[arg(long, short = 'U', value_name = "USER:PASSWORD")]
    pub proxy_user: Option<String>,
    /// Connect directly, ignoring proxy settings and proxy environment variables.
    #[arg(long)]
    pub no_proxy: bool,
}

/// A duration as typed on the command line: a bare number is seconds (`5`, `2.5`),
/// otherwise a number with units (`500ms`, `5s`, `1m30s`, `2h`). Every duration flag
/// reads this way.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(s) = t.parse::<f64>() {
        return Duration::try_from_secs_f64(s).map_err(|_| {
            format!("{text:?}: a duration must be a non-negative, finite number of seconds")
        });
    }
    humantime::parse_duration(t).map_err(|e| {
        format!("{text:?}: {e}; give seconds (5, 2.5) or a number with units (500ms, 5s, 1m30s)")
    })
}

/// A `--duration`: as [`parse_duration`] reads it, more than 0 and at most [`MAX_RUN`]
/// (`500000000000y` overflowed the clock and panicked).
pub fn parse_run_duration(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(format!("{text:?}: a run must last more than 0 s"));
    }
    if d > MAX_RUN {
        return Err(format!(
            "{text:?} is longer than the longest run ({}); leave --duration out to run \
             until Ctrl-C",
            humantime::format_duration(MAX_RUN)
        ));
    }
    Ok(d)
}

/// A timeout, an interval or a hold: as [`parse_duration`] reads it, more than 0 and at
/// most [`MAX_WAIT_S`] (one day; `1e19` panicked the pollers).
pub fn parse_wait(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    let max = Duration::from_secs(u64::from(MAX_WAIT_S));
    if d.is_zero() || d > max {
        return Err(format!(
            "{text:?}: must be more than 0 and at most {} (one day)",
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

/// A whole number of seconds, as [`parse_duration`] reads it (`30`, `30s`, `1m`).
fn parse_whole_seconds(text: &str) -> Result<u32, String> {
    let d = parse_duration(text)?;
    if d.subsec_nanos() != 0 {
        return Err(format!("{text:?}: give whole seconds"));
    }
    u32::try_from(d.as_secs()).map_err(|_| format!("{text:?}: too long"))
}

/// Pointer flags: an empty string means "none".
fn pointer(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// Why the flags do not describe a usable profile.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    /// The saved profiles cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--profile NAME` names no saved profile.
    #[error("no profile named {name:?} in {path} (have: {have})")]
    NoSuchProfile {
        /// The name asked for.
        name: String,
        /// The profiles file.
        path: String,
        /// The names there are.
        have: String,
    },
    /// `--preset ID` names no preset.
    #[error("no preset {id:?}; presets: {presets}")]
    NoSuchPreset {
        /// The id asked for.
        id: String,
        /// The ids there are.
        presets: String,
    },
    /// Neither a URL nor `--profile`.
    #[error("give a URL or --profile NAME")]
    NoTarget,
    /// `--ts-unit` is not s, ms or us.
    #[error("--ts-unit {0:?}: use s, ms or us")]
    BadTimeUnit(String),
    /// `--hold-unit` is not s, ms or suffix.
    #[error("--hold-unit {0:?}: use s, ms or suffix")]
    BadHoldUnit(String),
    /// `--hold-unit` for a profile whose server is not told how long to hold.
    #[error("--hold-unit needs a hold parameter: add --hold-param NAME")]
    HoldUnitWithoutParam,
    /// `--var` without `=`.
    #[error("--var {0:?}: use NAME=VALUE")]
    BadVar(String),
    /// `--decoder` names no decoder.
    #[error("--decoder {given:?}: use one of {known}")]
    BadDecoder {
        /// The name given.
        given: String,
        /// The decoders there are.
        known: String,
    },
    /// `--proxy` (or the environment's proxy) cannot be used.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// `--proxy-user` without a proxy to give it to.
    #[error("--proxy-user needs --proxy URL (or a saved profile with its own proxy)")]
    ProxyUserWithoutProxy,
    /// One or more problems with the resulting profile (a bad header, URL, …).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ProfileIssue>),
}

impl ProfileArgs {
    /// The profile these flags describe. A bare URL gets the demo server's shape
    /// (events at `/events`, cursor `/cursor` → `cursor`, `seq`, `ts_us`).
    pub fn to_profile(&self) -> Result<Profile, ArgsError> {
        let mut p = self.base_profile()?;
        if let (Some(_), Some(url)) = (&self.profile, &self.url) {
            p.url.clone_from(url);
        }
        self.apply_request(&mut p)?;
        self.apply_polling(&mut p)?;
        self.apply_protocol(&mut p)?;
        self.apply_shape(&mut p)?;
        self.apply_proxy(&mut p)?;
        let issues = p.validate();
        if !issues.is_empty() {
            return Err(ArgsError::Invalid(issues));
        }
        Ok(p)
    }

    /// The saved profile, the preset for the URL, or the demo shape for the URL.
    fn base_profile(&self) -> Result<Profile, ArgsError> {
        match (&self.profile, &self.url) {
            (Some(name), _) => {
                let store = ProfileStore::open(&config_dir()?)?;
                if let Some(missing) = store.secrets_missing() {
                    return Err(missing.into());
                }
                store.get(name).cloned().ok_or_else(|| {
                    let names: Vec<&str> = store.profiles.iter().map(|p| p.name.as_str()).collect();
                    ArgsError::NoSuchProfile {
                        name: name.clone(),
                        path: store.path().display().to_string(),
                        have: if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        },
                    }
                })
            }
            (None, Some(url)) => match &self.preset {
                Some(id) => crate::presets::by_id(id)
                    .map(|preset| preset.profile(url))
                    .ok_or_else(|| ArgsError::NoSuchPreset {
                        id: id.clone(),
                        presets: crate::presets::all()
                            .iter()
                            .map(|p| p.id)
                            .collect::<Vec<_>>()
                            .join(", "),
                    }),
                None => Ok(Profile::for_demo("watch", url)),
            },
            (None, None) => Err(ArgsError::NoTarget),
        }
    }

    /// Method, headers, body, keep-alive, TLS and size limits.
    fn apply_request(&self, p: &mut Profile) -> Result<(), ArgsError> {
        if let Some(m) = &self.method {
            p.method = m.to_ascii_uppercase();
        }
        for h in &self.headers {
            p.headers
                .push(HeaderSpec::parse_line(h).map_err(|e| ArgsError::Invalid(vec![e.into()]))?);
        }
        for h in &self.secret_headers {
            let mut header =
                HeaderSpec::parse_line(h).map_err(|e| ArgsError::Invalid(vec![e.into()]))?;
            header.secret = true;
            p.headers.push(header);
        }
        for name in &self.secret_queries {
            if !p.secret_params.contains(name) {
                p.secret_params.push(name.clone());
            }
        }
        if let Some(r) = self.redirects {
            p.redirects = r;
        }
        if self.cacert.is_some() {
            p.ca_file.clone_from(&self.cacert);
        }
        if self.data.is_some() {
            p.body.clone_from(&self.data);
        }
        if self.no_keep_alive {
            p.keep_alive = false;
        }
        if self.insecure {
            p.accept_invalid_certs = true;
        }
        if let Some(m) = self.max_body {
            p.max_body_bytes = m;
        }
        Ok(())
    }

    /// Pollers, cursor, hold, timeout and interval.
    fn apply_polling(&self, p: &mut Profile) -> Result<(), ArgsError> {
        if let Some(n) = self.pollers {
            p.pollers = n;
        }
        if let Some(c) = &self.cursor {
            p.cursor = c.clone();
        }
        if let Some(c) = &self.initial_cursor {
            p.initial_cursor = Some(c.clone());
        }
        if let Some(h) = self.hold {
            p.hold_s = h;
        }
        let unit = match self.hold_unit.as_deref() {
            None => None,
            Some("s") => Some(HoldUnit::Seconds),
            Some("ms") => Some(HoldUnit::Millis),
            Some("suffix") => Some(HoldUnit::SecondsSuffix),
            Some(other) => return Err(ArgsError::BadHoldUnit(other.to_owned())),
        };
        if let Some(hp) = &self.hold_param {
            p.hold_param = if hp == "none" {
                HoldParam::None
            } else {
                HoldParam::Query {
                    name: hp.clone(),
                    unit: unit.unwrap_or(HoldUnit::Seconds),
                }
            };
        } else if let Some(unit) = unit {
            // The unit of the parameter the profile or preset already has.
            p.hold_param = match &p.hold_param {
                HoldParam::None => return Err(ArgsError::HoldUnitWithoutParam),
                HoldParam::TimeoutSeconds => HoldParam::Query {
                    name: "timeout".to_owned(),
                    unit,
                },
                HoldParam::Query { name, .. } => HoldParam::Query {
                    name: name.clone(),
                    unit,
                },
            };
        }
        if let Some(t) = self.timeout {
            p.client_timeout_s = Some(t.as_secs_f64());
        }
        if let Some(i) = self.interval {
            p.interval_s = Some(i.as_secs_f64());
        }
        Ok(())
    }

    /// `--var NAME=VALUE` and `--decoder`.
    fn apply_protocol(&self, p: &mut Profile) -> Result<(), ArgsError> {
        let marked = self.secret_vars.iter().map(|v| (v, true));
        for (pair, secret) in self.vars.iter().map(|v| (v, false)).chain(marked) {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(ArgsError::BadVar(pair.clone()));
            };
            let name = name.trim();
            match p.variables.iter_mut().find(|v| v.name == name) {
                Some(v) => {
                    value.clone_into(&mut v.value);
                    v.fresh = None;
                    v.secret |= secret;
                }
                None => p.variables.push(Variable {
                    secret: secret || crate::header::looks_secret(name),
                    ..Variable::new(name, value)
                }),
            }
        }
        if let Some(d) = &self.decoder {
            p.decoder = Decoder::by_name(d).ok_or_else(|| ArgsError::BadDecoder {
                given: d.clone(),
                known: Decoder::ALL.map(Decoder::name).join(", "),
            })?;
        }
        Ok(())
    }

    /// `--proxy`, `--proxy-user` and `--no-proxy` over the profile's proxy setting.
    fn apply_proxy(&self, p: &mut Profile) -> Result<(), ArgsError> {
        if self.no_proxy {
            p.proxy = ProxySetting::Direct;
        }
        if let Some(url) = &self.proxy {
            p.proxy = ProxySetting::Manual(ManualProxy::from_url(url)?);
        }
        if let Some(pair) = &self.proxy_user {
            let ProxySetting::Manual(m) = &mut p.proxy else {
                return Err(ArgsError::ProxyUserWithoutProxy);
            };
            let (user, password) = pair.split_once(':').unwrap_or((pair, ""));
            user.clone_into(&mut m.username);
            password.clone_into(&mut m.password);
        }
        Ok(())
    }

    /// Where the events, sequence numbers and timestamps are in an answer.
    fn apply_shape(&self, p: &mut Profile) -> Result<(), ArgsError> {
        if let Some(e) = &self.events {
            p.events_pointer = pointer(e);
        }
        if let Some(s) = &self.seq {
            p.seq_pointer = pointer(s);
        }
        if let Some(t) = &self.ts {
            p.timestamp_pointer = pointer(t);
        }
        if let Some(u) = &self.ts_unit {
            p.timestamp_unit = match u.as_str() {
                "s" => TimeUnit::Seconds,
                "ms" => TimeUnit::Millis,
                "us" | "µs" => TimeUnit::Micros,
                other => return Err(ArgsError::BadTimeUnit(other.to_owned())),
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("pollscope").chain(args.iter().copied()))
    }

    fn watch(args: &[&str]) -> ProfileArgs {
        match parse(args).unwrap().command {
            Some(Command::Watch(w)) => w.target,
            other => panic!("{other:?}"),
        }
    }

    /// Endpoints that take the hold in milliseconds (CouchDB, Matrix `/sync?timeout=`)
    /// got `timeout=30` and were polled many times a second: the unit is a flag.
    #[test]
    fn hold_unit_sets_the_hold_parameter_unit() {
        let p = watch(&[
            "watch",
            "http://h/sync",
            "--hold-param",
            "timeout",
            "--hold-unit",
            "ms",
            "--hold",
            "30",
        ])
        .to_profile()
        .unwrap();
        let url = p.poll_url(&crate::cursor::Cursor::default()).unwrap();
        assert!(url.as_str().contains("timeout=30000"), "{url}");
        // On the demo shape's own parameter, and on a preset's.
        let p = watch(&["watch", "http://h/e", "--hold-unit", "ms"])
            .to_profile()
            .unwrap();
        assert!(
            p.poll_url(&crate::cursor::Cursor::default())
                .unwrap()
                .as_str()
                .contains("timeout=30000")
        );
        let p = watch(&[
            "watch",
            "http://h/v1/kv/k",
            "--preset",
            "consul",
            "--hold-unit",
            "s",
        ])
        .to_profile()
        .unwrap();
        assert!(
            p.poll_url(&crate::cursor::Cursor::default())
                .unwrap()
                .as_str()
                .ends_with("wait=30"),
            "seconds, no suffix"
        );
        let e = watch(&["watch", "http://h/e", "--hold-unit", "min"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("use s, ms or suffix"), "{e}");
        let e = watch(&["watch", "http://h/e", "--hold-param", "none"])
            .to_profile()
            .unwrap();
        assert_eq!(e.hold_param, HoldParam::None);
        let e = watch(&[
            "watch",
            "http://h/sub",
            "--preset",
            "nchan",
            "--hold-unit",
            "ms",
        ])
        .to_profile()
        .unwrap_err();
        assert!(e.to_string().contains("needs a hold parameter"), "{e}");
    }

    #[test]
    fn vars_and_decoder_flags() {
        let p = watch(&[
            "watch",
            "http://h/x/{{room}}?token={{api_token}}",
            "--var",
            "room=lobby",
            "--var",
            "api_token=s3cr3t-value",
            "--decoder",
            "json_lines",
            "--cursor",
            "none",
        ])
        .to_profile()
        .unwrap();
        assert_eq!(p.decoder, Decoder::JsonLines);
        assert_eq!(p.variables.len(), 2);
        assert!(!p.variables[0].secret);
        assert!(p.variables[1].secret, "a name with 'token' is a secret");
        assert!(p.secrets().mask("x s3cr3t-value y").contains("•••"));
        let e = watch(&["watch", "http://h/{{room}}"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("{{room}} is not a variable"), "{e}");
        let e = watch(&["watch", "http://h/", "--var", "novalue"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("NAME=VALUE"), "{e}");
        let e = watch(&["watch", "http://h/", "--decoder", "xml"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("engineio"), "{e}");
    }

    #[test]
    fn bare_url_gets_demo_shape() {
        let p = watch(&["watch", "http://127.0.0.1:8787/events"])
            .to_profile()
            .unwrap();
        assert_eq!(p.events_pointer.as_deref(), Some("/events"));
        assert_eq!(p.seq_pointer.as_deref(), Some("/seq"));
        assert!(matches!(p.cursor, CursorRule::BodyPointer { .. }));
        assert!(p.keep_alive);
    }

    #[test]
    fn flags_override() {
        let p = watch(&[
            "watch",
            "http://h/x",
            "--pollers",
            "4",
            "--no-keep-alive",
            "-H",
            "Authorization: Bearer t0k3n",
            "--cursor",
            "header:X-Consul-Index=index",
            "--events",
            "",
        ]);
        let p = p.to_profile().unwrap();
        assert_eq!(p.pollers, 4);
        assert!(!p.keep_alive);
        assert!(p.headers[0].secret);
        assert_eq!(p.events_pointer, None);
        assert!(matches!(p.cursor, CursorRule::Header { .. }));
    }

    #[test]
    fn presets_apply() {
        let p = watch(&[
            "watch",
            "http://127.0.0.1:2379/v2/keys/k?wait=true",
            "--preset",
            "etcd-v2",
        ])
        .to_profile()
        .unwrap();
        assert!(p.cursor_options.resync.is_some());
        let e = watch(&["watch", "http://h/", "--preset", "nope"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("etcd-v2"), "{e}");
    }

    #[test]
    fn proxy_flags() {
        let p = watch(&["watch", "http://h/", "-x", "http://al:pw0rd@127.0.0.1:3128"])
            .to_profile()
            .unwrap();
        let ProxySetting::Manual(m) = &p.proxy else {
            panic!("{:?}", p.proxy)
        };
        assert_eq!(
            (m.url.as_str(), m.username.as_str()),
            ("127.0.0.1:3128", "al")
        );
        assert!(!p.secrets().mask("sent pw0rd").contains("pw0rd"));
        let p = watch(&["watch", "http://h/", "--proxy", "p:1", "-U", "bob:s3cret:x"])
            .to_profile()
            .unwrap();
        assert!(
            matches!(&p.proxy, ProxySetting::Manual(m) if m.username == "bob" && m.password == "s3cret:x"),
            "{:?}",
            p.proxy
        );
        let p = watch(&["watch", "http://h/", "--no-proxy"])
            .to_profile()
            .unwrap();
        assert_eq!(p.proxy, ProxySetting::Direct);
        assert!(parse(&["watch", "http://h/", "--no-proxy", "--proxy", "p:1"]).is_err());
        let e = watch(&["watch", "http://h/", "-U", "a:b"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("--proxy"), "{e}");
        let e = watch(&["watch", "http://h/", "--proxy", "socks5://p:1"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("SOCKS"), "{e}");
    }

    #[test]
    fn every_duration_flag_reads_a_bare_number_as_seconds() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        for bad in ["-1", "soon", "", "NaN", "inf"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("seconds"), "{bad:?}: {e}");
        }
        let p = watch(&[
            "watch",
            "http://h/",
            "--interval",
            "5",
            "--timeout",
            "45s",
            "--hold",
            "1m",
        ])
        .to_profile()
        .unwrap();
        assert_eq!(p.interval_s, Some(5.0));
        assert_eq!(p.client_timeout_s, Some(45.0));
        assert_eq!(p.hold_s, 60);
        // The old spelling still works.
        let old = watch(&["watch", "http://h/", "--interval-s", "0.5"])
            .to_profile()
            .unwrap();
        assert_eq!(old.interval_s, Some(0.5));
        assert!(parse(&["watch", "http://h/", "--hold", "1.5"]).is_err());
        match parse(&[
            "compare",
            "http://h/",
            "--interval",
            "2",
            "--duration",
            "10",
        ])
        .unwrap()
        .command
        {
            Some(Command::Compare(c)) => {
                assert_eq!(c.target.interval, Some(Duration::from_secs(2)));
                assert_eq!(c.duration, Duration::from_secs(10));
            }
            other => panic!("{other:?}"),
        }
        match parse(&["watch", "http://h/", "--duration", "20"])
            .unwrap()
            .command
        {
            Some(Command::Watch(w)) => assert_eq!(w.duration, Some(Duration::from_secs(20))),
            other => panic!("{other:?}"),
        }
        match parse(&["demo-server", "--max-hold", "60"]).unwrap().command {
            Some(Command::DemoServer(d)) => assert_eq!(d.max_hold, Duration::from_mins(1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let e = watch(&["watch", "not a url"]).to_profile().unwrap_err();
        assert!(e.to_string().contains("bad URL"), "{e}");
        let e = watch(&["watch", "http://h/", "-H", "nocolon"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("Name: value"), "{e}");
        assert!(parse(&["watch", "http://h/", "--cursor", "wat"]).is_err());
        assert!(parse(&["watch", "http://h/", "--duration", "soon"]).is_err());
        let e = watch(&["watch", "http://h/", "--pollers", "0"])
            .to_profile()
            .unwrap_err();
        assert!(e.to_string().contains("pollers"), "{e}");
    }
}
