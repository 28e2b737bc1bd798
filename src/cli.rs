//! Command-line arguments, and how `watch` flags become a [`Profile`].
//!
//! Parsing only; running is in `main.rs` and [`crate::headless`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cursor::CursorRule;
use crate::profile::{HeaderSpec, HoldParam, Profile, TimeUnit};
use crate::profile_store::{ProfileStore, config_dir};

/// Pollscope: watch HTTP long-poll endpoints — live events, hold times, and measured
/// connection reuse.
#[derive(Debug, Parser)]
#[command(name = "pollscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(crate::cli_docs::CompletionsArgs),
    /// Write the man pages (pollscope.1, pollscope-watch.1, …) into a directory.
    ManPages(crate::cli_docs::ManPagesArgs),
}

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
    /// Longest hold a client may ask for (also how long a blackholed request is kept).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "300s")]
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

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub target: ProfileArgs,
    /// How long to run, e.g. 20s, 5m (default: until Ctrl-C).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Print one JSON object with the summary at the end, nothing else on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the event log (events.jsonl), per-second statistics (stats.csv) and the
    /// summary (summary.json) into this directory at the end.
    #[arg(long, value_name = "DIR")]
    pub export: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub target: ProfileArgs,
    /// How long to run all variants.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    pub duration: Duration,
    /// Short-polling interval, e.g. 5s, 500ms.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub interval: Duration,
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
pub struct ProfileArgs {
    /// URL to poll (not needed with --profile).
    pub url: Option<String>,
    /// Start from a saved profile; other flags override its fields.
    #[arg(long, conflicts_with = "preset")]
    pub profile: Option<String>,
    /// Start from a protocol preset: demo, nchan, etcd-v2, couchdb, consul, telegram,
    /// generic-json, generic-etag.
    #[arg(long)]
    pub preset: Option<String>,
    /// Concurrent independent pollers, each with its own cursor, sharing one agent.
    #[arg(long)]
    pub pollers: Option<u32>,
    /// Open a new connection for every poll.
    #[arg(long)]
    pub no_keep_alive: bool,
    /// Request header `Name: value` (repeatable). Authorization-like headers are secret.
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// Cursor rule: none | body:/ptr=param | header:Name=param | validators | max:/field+1=param.
    #[arg(long)]
    pub cursor: Option<CursorRule>,
    /// Cursor value for the first poll.
    #[arg(long)]
    pub initial_cursor: Option<String>,
    /// Server hold in seconds.
    #[arg(long)]
    pub hold: Option<u32>,
    /// Query parameter that carries the hold (seconds), or "none".
    #[arg(long)]
    pub hold_param: Option<String>,
    /// Client timeout per poll in seconds (default: hold + margin).
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Short polling: start a poll every this many seconds.
    #[arg(long)]
    pub interval_s: Option<f64>,
    /// JSON pointer to the events array ("" = whole body is one event).
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
}

/// Pointer flags: an empty string means "none".
fn pointer(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

impl ProfileArgs {
    /// The profile these flags describe. A bare URL gets the demo server's shape
    /// (events at `/events`, cursor `/cursor` → `cursor`, `seq`, `ts_us`).
    pub fn to_profile(&self) -> anyhow::Result<Profile> {
        let mut p = match (&self.profile, &self.url) {
            (Some(name), _) => {
                let dir = config_dir()?;
                let store = ProfileStore::open(&dir)?;
                let Some(found) = store.get(name) else {
                    let names: Vec<&str> = store.profiles.iter().map(|p| p.name.as_str()).collect();
                    anyhow::bail!(
                        "no profile named {name:?} in {} (have: {})",
                        store.path().display(),
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    );
                };
                found.clone()
            }
            (None, Some(url)) => match &self.preset {
                Some(id) => {
                    let Some(preset) = crate::presets::by_id(id) else {
                        let ids: Vec<&str> = crate::presets::all().iter().map(|p| p.id).collect();
                        anyhow::bail!("no preset {id:?}; presets: {}", ids.join(", "));
                    };
                    preset.profile(url)
                }
                None => Profile::for_demo("watch", url),
            },
            (None, None) => anyhow::bail!("give a URL or --profile NAME"),
        };
        if let (Some(_), Some(url)) = (&self.profile, &self.url) {
            p.url.clone_from(url);
        }
        if let Some(n) = self.pollers {
            p.pollers = n;
        }
        if self.no_keep_alive {
            p.keep_alive = false;
        }
        for h in &self.headers {
            p.headers.push(HeaderSpec::parse_line(h)?);
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
        if let Some(hp) = &self.hold_param {
            p.hold_param = if hp == "none" {
                HoldParam::None
            } else {
                HoldParam::Query {
                    name: hp.clone(),
                    unit: crate::profile::HoldUnit::Seconds,
                }
            };
        }
        if self.timeout.is_some() {
            p.client_timeout_s = self.timeout;
        }
        if self.interval_s.is_some() {
            p.interval_s = self.interval_s;
        }
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
                other => anyhow::bail!("--ts-unit {other:?}: use s, ms or us"),
            };
        }
        if let Some(m) = &self.method {
            p.method = m.to_ascii_uppercase();
        }
        if self.data.is_some() {
            p.body.clone_from(&self.data);
        }
        if let Some(m) = self.max_body {
            p.max_body_bytes = m;
        }
        if self.insecure {
            p.accept_invalid_certs = true;
        }
        let issues = p.validate();
        if !issues.is_empty() {
            let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
            anyhow::bail!("{}", text.join("\n"));
        }
        Ok(p)
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
