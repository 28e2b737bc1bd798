//! `pollscope`: parse the command line, set up logging, run the chosen face.

use std::process::ExitCode;

use clap::Parser;
use pollscope::app_log;
use pollscope::cli::{Cli, Command, DemoServerArgs};
use pollscope::demo_server::{self, DemoServerConfig};
use pollscope::headless::{self, Output, WatchOptions};
use pollscope::profile_store::{ProfileStore, config_dir};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let face = match cli.command {
        None | Some(Command::Gui) => app_log::Face::Desktop,
        Some(_) => app_log::Face::Terminal,
    };
    app_log::init(face);
    // Every held poll (and, for the demo server, every held request) is an open file.
    pollscope::limits::raise_open_file_limit();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pollscope: {e:#}");
            ExitCode::from(2)
        }
    }
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
                interval: args.interval,
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
        Some(Command::Completions(args)) => {
            pollscope::cli_docs::write_completions(args.shell, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Some(Command::ManPages(args)) => {
            for path in pollscope::cli_docs::write_man_pages(&args.dir)? {
                println!("{}", path.display());
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
