//! Logging for the binary. Everything goes to standard error as `RUST_LOG` says (default:
//! warnings). The desktop app also writes a log file, because started from the app menu
//! its standard error goes nowhere a user can find: [`LOG_FILE`] in the state directory
//! (`$XDG_STATE_HOME/pollscope`, `~/.local/state/pollscope` on Linux, or
//! `$POLLSCOPE_CONFIG_DIR` when set), with warnings and Pollscope's INFO lines — rare
//! events such as the first events of a profile and the totals when it disconnects.
//!
//! Each start moves the previous file to [`OLD_LOG_FILE`]; a file stops growing at
//! [`FILE_CAP_BYTES`]. The HTTP stack is capped at warnings on both sinks whatever
//! `RUST_LOG` says: at debug level it prints request URLs and headers, which may carry
//! tokens. Log lines quote server text, so their control characters are escaped
//! ([`crate::terminal::block`]) like everything else printed. Depends on nothing in the
//! crate but that and the config-dir variable's name.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use env_logger::fmt::TimestampPrecision;
use log::LevelFilter;

use crate::profile_store::CONFIG_DIR_ENV;

/// The desktop app's log file name.
pub const LOG_FILE: &str = "pollscope.log";
/// The previous run's log.
pub const OLD_LOG_FILE: &str = "pollscope.log.old";
/// What the log file records, whatever `RUST_LOG` says.
pub const FILE_FILTER: &str = "warn,pollscope=info";
/// A log file stops growing here (one line says so).
pub const FILE_CAP_BYTES: u64 = 8 * 1024 * 1024;

/// Modules whose debug output may carry request headers: warnings at most.
const CAPPED_MODULES: [&str; 3] = ["ureq", "ureq_proto", "rustls"];

/// Which face runs: the desktop app gets the log file too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// A subcommand in a terminal: stderr only.
    Terminal,
    /// The desktop app: stderr and the log file.
    Desktop,
}

/// Where the desktop app's log file goes: `$POLLSCOPE_CONFIG_DIR` when set (it isolates
/// everything), else the state directory. `None` when there is no home directory.
#[must_use]
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "pollscope")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Install the logger. For [`Face::Desktop`] also open the log file and return its
/// path; a file that cannot be opened is reported on standard error, and the app runs
/// without it.
#[expect(
    clippy::must_use_candidate,
    reason = "main only installs the logger; the path is for tests and callers that show it"
)]
pub fn init(face: Face) -> Option<PathBuf> {
    let mut stderr =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"));
    cap_http_stack(&mut stderr);
    let stderr = stderr.build();

    let (file, opened) = match face {
        Face::Terminal => (None, None),
        Face::Desktop => match log_dir().ok_or_else(|| io::Error::other("no home directory")) {
            Ok(dir) => match open_log_file(&dir) {
                Ok((writer, path)) => (Some(file_logger(writer)), Some(Ok(path))),
                Err(e) => (
                    None,
                    Some(Err(format!("{}: {e}", dir.join(LOG_FILE).display()))),
                ),
            },
            Err(e) => (None, Some(Err(e.to_string()))),
        },
    };
    let max = file
        .as_ref()
        .map_or(stderr.filter(), |f| f.filter().max(stderr.filter()));
    if log::set_boxed_logger(Box::new(Tee { stderr, file })).is_ok() {
        log::set_max_level(max);
    }
    match opened? {
        Ok(path) => {
            log::info!(
                "pollscope {} started (desktop app); log file {}",
                env!("CARGO_PKG_VERSION"),
                path.display()
            );
            Some(path)
        }
        Err(e) => {
            log::warn!("no log file: {e}");
            None
        }
    }
}

/// `[time LEVEL target] message`, the message's control characters escaped.
fn escaped_format(builder: &mut env_logger::Builder, precision: TimestampPrecision) {
    builder.format(move |buf, record| {
        let ts = match precision {
            TimestampPrecision::Millis => buf.timestamp_millis(),
            _ => buf.timestamp(),
        };
        writeln!(
            buf,
            "[{ts} {} {}] {}",
            record.level(),
            record.target(),
            crate::terminal::block(&record.args().to_string())
        )
    });
}

fn cap_http_stack(builder: &mut env_logger::Builder) {
    for module in CAPPED_MODULES {
        builder.filter_module(module, LevelFilter::Warn);
    }
}

fn file_logger(writer: CappedFile) -> env_logger::Logger {
    let mut b = env_logger::Builder::new();
    b.parse_filters(FILE_FILTER)
        .write_style(env_logger::WriteStyle::Never)
        .target(env_logger::Target::Pipe(Box::new(writer)));
    escaped_format(&mut b, TimestampPrecision::Millis);
    cap_http_stack(&mut b);
    b.build()
}

/// Create `dir` if needed, move an earlier log to [`OLD_LOG_FILE`], open a fresh one
/// (owner-only).
fn open_log_file(dir: &Path) -> io::Result<(CappedFile, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(LOG_FILE);
    match std::fs::rename(&path, dir.join(OLD_LOG_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path)?;
    Ok((CappedFile::new(file, FILE_CAP_BYTES), path))
}

/// Both sinks, each with its own filter.
struct Tee {
    stderr: env_logger::Logger,
    file: Option<env_logger::Logger>,
}

impl log::Log for Tee {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.stderr.enabled(metadata) || self.file.as_ref().is_some_and(|f| f.enabled(metadata))
    }

    fn log(&self, record: &log::Record<'_>) {
        // Each logger applies its own filter.
        self.stderr.log(record);
        if let Some(file) = &self.file {
            file.log(record);
        }
    }

    fn flush(&self) {
        self.stderr.flush();
        if let Some(file) = &self.file {
            file.flush();
        }
    }
}

/// A file that takes at most `cap` bytes, then one line saying the rest was dropped.
/// Unbuffered: every record reaches the file when it is logged.
struct CappedFile {
    file: File,
    written: u64,
    cap: u64,
    capped: bool,
}

impl CappedFile {
    fn new(file: File, cap: u64) -> Self {
        Self {
            file,
            written: 0,
            cap,
            capped: false,
        }
    }
}

impl Write for CappedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len() as u64;
        if self.written + len <= self.cap {
            self.file.write_all(buf)?;
            self.written += len;
        } else if !self.capped {
            self.capped = true;
            writeln!(
                self.file,
                "[log capped at {} MiB: later lines are dropped]",
                self.cap / (1024 * 1024)
            )?;
        }
        // Dropped bytes count as written: the logger must not retry them.
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_log_keeps_the_previous_one_as_old() {
        let dir = tempfile::tempdir().unwrap();
        let (mut first, path) = open_log_file(&dir.path().join("state")).unwrap();
        first.write_all(b"run one\n").unwrap();
        drop(first);
        let (mut second, again) = open_log_file(&dir.path().join("state")).unwrap();
        second.write_all(b"run two\n").unwrap();
        assert_eq!(path, again);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "run two\n");
        let old = dir.path().join("state").join(OLD_LOG_FILE);
        assert_eq!(std::fs::read_to_string(old).unwrap(), "run one\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }

    #[test]
    fn the_file_stops_at_its_cap_with_one_line_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capped.log");
        let mut f = CappedFile::new(File::create(&path).unwrap(), 2 * 1024 * 1024);
        let line = [b'x'; 1000];
        for _ in 0..5000 {
            assert_eq!(f.write(&line).unwrap(), line.len());
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.len() <= 2 * 1024 * 1024 + 100, "{}", text.len());
        assert!(text.len() >= 2 * 1024 * 1024 - 1000, "{}", text.len());
        assert_eq!(text.matches("log capped at 2 MiB").count(), 1);
    }

    /// The file logger records Pollscope's INFO lines and warnings, not the HTTP
    /// stack's debug output (which may carry headers), with millisecond timestamps.
    #[test]
    fn the_file_logger_keeps_info_for_pollscope_only() {
        use log::Log;
        let dir = tempfile::tempdir().unwrap();
        let (writer, path) = open_log_file(dir.path()).unwrap();
        let logger = file_logger(writer);
        let record = |target: &'static str, level: log::Level, text: &'static str| {
            logger.log(
                &log::Record::builder()
                    .target(target)
                    .level(level)
                    .args(format_args!("{text}"))
                    .build(),
            );
        };
        record(
            "pollscope::monitor",
            log::Level::Info,
            "Demo: first 10 events received",
        );
        record("pollscope::poll", log::Level::Debug, "per-poll detail");
        record("ureq::unversioned", log::Level::Info, "GET /?token=secret");
        record("eframe", log::Level::Warn, "a warning");
        record("eframe", log::Level::Info, "an info");
        record(
            "pollscope::poll",
            log::Level::Warn,
            "server said \u{1b}[2Jboo",
        );
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains('\u{1b}'),
            "an escape reached the file: {text:?}"
        );
        assert!(text.contains("boo"), "{text}");
        assert!(text.contains("Demo: first 10 events received"), "{text}");
        assert!(text.contains("a warning"), "{text}");
        for absent in ["per-poll detail", "token=secret", "an info"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        // [2026-01-01T12:00:00.123Z INFO pollscope::monitor] …
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with('[') && first.contains('.') && first.contains("Z INFO"),
            "{first}"
        );
    }
}
