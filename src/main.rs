//! `pollscope`: parse the command line, set up logging, run the chosen face.

use std::process::ExitCode;

use clap::Parser;
use pollscope::cli::{Cli, Command, DemoServerArgs};
use pollscope::demo_server::{self, DemoServerConfig};
use pollscope::headless::{self, Output, WatchOptions};
use pollscope::profile_store::{ProfileStore, config_dir};

fn main() -> ExitCode {
    init_logging();
    // Every held poll (and, for the demo server, every held request) is an open file.
    pollscope::limits::raise_open_file_limit();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pollscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `RUST_LOG` picks the level (default: warnings). The HTTP stack's own logs are capped
/// at warnings whatever `RUST_LOG` says: at debug level they print request URLs and
/// headers, which may carry tokens.
fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .filter_module("ureq", log::LevelFilter::Warn)
        .filter_module("ureq_proto", log::LevelFilter::Warn)
        .filter_module("rustls", log::LevelFilter::Warn)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None | Some(Command::Gui) => gui(),
        Some(Command::DemoServer(args)) => demo(&args),
        Some(Command::Watch(args)) => {
            let profile = args.target.to_profile()?;
            let opts = WatchOptions {
                duration: args.duration,
                output: if args.json {
                    Output::Json
                } else {
                    Output::Human
                },
                export: args.export.clone(),
                ..WatchOptions::default()
            };
            headless::watch(profile, &opts)?;
            Ok(())
        }
        Some(Command::Compare(args)) => {
            let profile = args.target.to_profile()?;
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
            headless::compare(&profile, &opts, args.yes, output, args.export.as_deref())?;
            Ok(())
        }
        Some(Command::Profiles) => {
            let store = ProfileStore::open(&config_dir()?)?;
            if store.profiles.is_empty() {
                println!("no profiles in {}", store.path().display());
            }
            for p in &store.profiles {
                println!(
                    "{:<24} {} ({} poller(s), keep-alive {})",
                    p.name,
                    pollscope::redact::url(&p.url),
                    p.pollers,
                    if p.keep_alive { "on" } else { "off" }
                );
            }
            Ok(())
        }
    }
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
    demo_server::run_forever(config)?;
    Ok(())
}

/// The desktop app: profiles from the config dir, the embedded demo on the first run.
fn gui() -> anyhow::Result<()> {
    let dir = config_dir()?;
    pollscope::ui::run(dir).map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
