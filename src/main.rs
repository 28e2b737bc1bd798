//! `pollscope`: parse the command line, set up logging, run the chosen face.

use std::process::ExitCode;

use clap::FromArgMatches;
use pollscope::app_log;
use pollscope::cli::{AgentArgs, Cli, Command, DemoServerArgs};
use pollscope::demo_server::{self, DemoServerConfig};
use pollscope::exit::{Exit, Failure};
use pollscope::headless::alerting::TransitionOutput;
use pollscope::headless::{self, Output, WatchOptions};
use pollscope::profile_store::{ProfileStore, config_dir};
use pollscope::terminal;

fn main() -> ExitCode {
    let cli = match Cli::from_arg_matches(&pollscope::cli::command().get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The desktop app also logs to a file: started from the menu, stderr goes nowhere.
    let face = match cli.command {
        None | Some(Command::Gui) => app_log::Face::Desktop,
        Some(_) => app_log::Face::Terminal,
    };
    app_log::init(face);
    // Every held poll (and, for the demo server, every held request) is an open file.
    pollscope::limits::raise_open_file_limit();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("pollscope: {}", terminal::block(&format!("{e:#}")));
            pollscope::exit::of(&e).into()
        }
    }
}

/// A bad command line or profile: nothing was polled.
fn usage(e: impl std::fmt::Display) -> anyhow::Error {
    Failure::new(Exit::Usage, e).into()
}

/// Say why a run that ended is not a success, and give its code.
fn ended(exit: Exit, verdict: Option<String>) -> Exit {
    if let Some(v) = verdict {
        eprintln!("pollscope: {}", terminal::line(&v));
    }
    exit
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        None | Some(Command::Gui) => gui().map(|()| Exit::Ok),
        Some(Command::DemoServer(args)) => demo(&args).map(|()| Exit::Ok),
        Some(Command::Watch(args)) => {
            let mut profile = args.target.to_profile().map_err(usage)?;
            args.alerting.apply(&mut profile);
            let opts = WatchOptions {
                duration: args.duration,
                output: if args.json {
                    Output::Json
                } else {
                    Output::Human
                },
                export: args.export.clone(),
                metrics: args.alerting.metrics,
                notify: args.alerting.notify,
                ..WatchOptions::default()
            };
            let report = headless::watch(profile, &opts)?;
            Ok(ended(report.exit, report.verdict))
        }
        Some(Command::Compare(args)) => {
            let profile = args.target.to_profile().map_err(usage)?;
            let opts = pollscope::compare::CompareOptions {
                duration: args.duration,
                interval: args
                    .target
                    .interval
                    .unwrap_or(pollscope::compare::CompareOptions::default().interval),
                ..pollscope::compare::CompareOptions::default()
            };
            let output = if args.json {
                headless::CompareOutput::Json
            } else if args.markdown {
                headless::CompareOutput::Markdown
            } else {
                headless::CompareOutput::Table
            };
            let comparison =
                headless::compare(&profile, &opts, args.yes, output, args.export.as_deref())?;
            let (exit, verdict) = headless::compare_outcome(&comparison);
            Ok(ended(exit, verdict))
        }
        Some(Command::Agent(args)) => agent(&args),
        Some(Command::Profiles) => {
            let store = config_dir()
                .and_then(|dir| ProfileStore::open(&dir))
                .map_err(|e| Failure::new(Exit::Usage, e))?;
            if store.profiles.is_empty() {
                println!(
                    "no profiles in {}",
                    terminal::line(&store.path().display().to_string())
                );
            }
            if let Some(missing) = store.secrets_missing() {
                eprintln!("warning: {}", terminal::line(&missing.to_string()));
            } else if let Some(at) = store.secrets_at() {
                eprintln!("{}", terminal::line(&at.describe()));
            }
            for p in &store.profiles {
                println!(
                    "{:<24} {} ({} poller(s), keep-alive {})",
                    terminal::line(&p.name),
                    terminal::line(&p.shown_url()),
                    p.pollers,
                    if p.keep_alive { "on" } else { "off" }
                );
            }
            Ok(Exit::Ok)
        }
        Some(Command::Completions(args)) => {
            pollscope::cli_docs::write_completions(args.shell, &mut std::io::stdout().lock())?;
            Ok(Exit::Ok)
        }
        Some(Command::ManPages(args)) => {
            for path in pollscope::cli_docs::write_man_pages(&args.dir)? {
                println!("{}", path.display());
            }
            Ok(Exit::Ok)
        }
    }
}

/// `pollscope agent`: the chosen profiles, watched until Ctrl-C, SIGTERM or the duration.
fn agent(args: &AgentArgs) -> anyhow::Result<Exit> {
    let mut profiles =
        pollscope::agent::load_profiles(&args.profiles, args.profiles_file.as_deref())
            .map_err(usage)?;
    for p in &mut profiles {
        args.alerting.apply(p);
    }
    let output = if args.json {
        TransitionOutput::Json
    } else {
        TransitionOutput::Line
    };
    let opts = pollscope::agent::AgentOptions {
        duration: args.duration,
        output,
        metrics: args.alerting.metrics,
        notify: args.alerting.notify,
    };
    let interrupted = headless::ctrl_c_flag();
    let (exit, verdict, totals) = pollscope::agent::run(profiles, &opts, &interrupted)?;
    println!("{}", pollscope::agent::totals_text(&totals, output));
    Ok(ended(exit, verdict))
}

fn demo(args: &DemoServerArgs) -> anyhow::Result<()> {
    let config = DemoServerConfig {
        addr: args.addr,
        rate_per_s: args.rate,
        history: args.history,
        max_batch: args.max_batch,
        max_hold: args.max_hold,
        fault: args.fault,
        fault_every: args.fault_every,
        fault_times: args.fault_times,
        state_file: args.state_file.clone(),
        tls: args
            .tls
            .then_some(pollscope::demo_server::TlsMode::SelfSigned),
        worker_threads: args.threads,
        ..DemoServerConfig::default()
    };
    demo_server::run_forever(config).map_err(|e| match e {
        demo_server::DemoServerError::Config(_) => Failure::new(Exit::Usage, e).into(),
        other => anyhow::Error::from(other),
    })
}

/// The desktop app: profiles from the config dir, the embedded demo on the first run.
#[cfg(feature = "gui")]
fn gui() -> anyhow::Result<()> {
    let dir = config_dir()?;
    pollscope::ui::run(dir).map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// A headless build (`--no-default-features`) has no window to open.
#[cfg(not(feature = "gui"))]
fn gui() -> anyhow::Result<()> {
    Err(usage(
        "this pollscope was built without the desktop face (--no-default-features); \
         use `pollscope watch`, `agent`, `compare` or `demo-server` (see --help)",
    ))
}
