//! What is generated from the command-line definition ([`crate::cli::Cli`]): the man
//! pages (`clap_mangen`) and the shell completions (`clap_complete`). `pollscope
//! completions SHELL` prints a completion script; `pollscope man-pages DIR` writes the
//! pages the Debian package ships (`scripts/package-deb.sh`). Generating both from the
//! clap definition keeps them in step with the real flags.
//!
//! Depends on [`crate::cli`] only; no I/O but the writer or directory it is given.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// The binary's name: the command completions and man pages are for.
pub const BIN: &str = "pollscope";

/// `pollscope completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `pollscope man-pages DIR`: what the package installs, for `cargo install` users too.
#[derive(Debug, Args)]
pub struct ManPagesArgs {
    /// Directory to write pollscope.1 and one page per subcommand into (created if
    /// missing).
    pub dir: PathBuf,
}

/// The pages' footer: the program and its version.
const SOURCE: &str = concat!("pollscope ", env!("CARGO_PKG_VERSION"));

/// The top page's DESCRIPTION (the `--help` text keeps the one-line summary).
const DESCRIPTION: &str = "\
Pollscope watches live HTTP long-poll endpoints and shows what their connections are \
doing: every event as it arrives, how long each poll was held, event latency, lost \
events, and how many TCP connections were opened versus reused, measured in the \
transport.

Without a subcommand it opens the desktop app. On the first run the app starts its \
built-in demo long-poll server, creates a Demo profile and connects it. The \
subcommands run without a window: watch polls an endpoint and prints what happens, \
compare runs long and short polling with and without keep-alive side by side, \
agent watches several profiles unattended (alerts, metrics for Prometheus), \
demo-server runs the demo server on its own.";

/// FILES and ENVIRONMENT of the top page, in roff (static text: nothing to
/// escape but what is escaped here).
const TOP_PAGE_TAIL: &str = r".SH FILES
.TP
\fI~/.config/pollscope/profiles.json\fR
The saved profiles. Secret header values are kept here (owner-only file) and left out of exports unless asked for.
.TP
\fI~/.config/pollscope/ui\-state.ron\fR
Window size, panel layout and which profiles were connected when the window closed.
.TP
\fI~/.local/state/pollscope/pollscope.log\fR
The desktop app's log: warnings, and rare events such as the first events of a profile. Started afresh each run; the previous run's log is kept as \fIpollscope.log.old\fR.
.SH ENVIRONMENT
.TP
\fBPOLLSCOPE_CONFIG_DIR\fR
Keep profiles, window state and the app's log in this directory instead.
.TP
\fBXDG_CONFIG_HOME\fR, \fBXDG_STATE_HOME\fR
Where the config and state directories above are, when set.
.TP
\fBRUST_LOG\fR
What is logged on standard error, e.g. \fBpollscope=info\fR (default: warnings). Header values that may hold secrets are never logged.
";

/// Print the completion script for `shell`.
///
/// # Errors
/// When `out` cannot be written to.
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
    out.write_all(&buf)?;
    out.flush()
}

/// One man page: its file name (`pollscope-watch.1`) and roff text.
#[derive(Debug)]
pub struct ManPage {
    /// `pollscope.1`, `pollscope-watch.1`, …
    pub file_name: String,
    /// The page, in roff (what `man` reads).
    pub roff: Vec<u8>,
}

/// The man pages: `pollscope.1` (with FILES and ENVIRONMENT) and one per visible
/// subcommand (`pollscope-watch.1`, …), as `git` has them; SEE ALSO links them.
///
/// # Errors
/// Only if rendering into memory fails (it does not in practice).
pub fn man_pages() -> io::Result<Vec<ManPage>> {
    // Cli::command(), not cli::command(): the exit codes get a section of their own
    // rather than `--help`'s epilogue.
    let mut cmd = crate::cli::Cli::command()
        .long_about(DESCRIPTION)
        .disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = clap_mangen::Man::new(sub.clone())
            .manual("Pollscope Manual")
            .source(SOURCE);
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        roff.extend_from_slice(b".SH SEE ALSO\n\\fBpollscope\\fR(1)\n");
        pages.push(ManPage {
            file_name: man.get_filename(),
            roff,
        });
    }
    let see_also: Vec<String> = pages
        .iter()
        .filter_map(|p| p.file_name.strip_suffix(".1"))
        .map(|name| format!("\\fB{}\\fR(1)", name.replace('-', "\\-")))
        .collect();
    let man = clap_mangen::Man::new(cmd)
        .manual("Pollscope Manual")
        .source(SOURCE);
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    roff.extend_from_slice(exit_status_section().as_bytes());
    roff.extend_from_slice(TOP_PAGE_TAIL.as_bytes());
    roff.extend_from_slice(format!(".SH SEE ALSO\n{}\n", see_also.join(", ")).as_bytes());
    pages.insert(
        0,
        ManPage {
            file_name: man.get_filename(),
            roff,
        },
    );
    Ok(pages)
}

/// EXIT STATUS, from the one table of exit codes (`--help` shows it as its epilogue;
/// the man page gets it as a section of its own).
fn exit_status_section() -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for e in crate::exit::Exit::ALL {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            e.code(),
            roff_text(e.meaning())
        ));
    }
    out
}

/// Text for a roff line: backslashes and hyphens escaped, never read as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Write [`man_pages`] into `dir` (created if missing); returns the files written.
///
/// # Errors
/// When the directory or a file cannot be written.
pub fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for page in man_pages()? {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(pages: &'a [ManPage], name: &str) -> &'a str {
        let found = pages.iter().find(|p| p.file_name == name);
        let names: Vec<&str> = pages.iter().map(|p| p.file_name.as_str()).collect();
        std::str::from_utf8(
            &found
                .unwrap_or_else(|| panic!("no {name} in {names:?}"))
                .roff,
        )
        .unwrap()
    }

    /// Every visible subcommand has its page, and every long flag of it is on that page
    /// (roff writes `-` as `\-`).
    #[test]
    fn man_pages_cover_every_subcommand_and_flag() {
        let pages = man_pages().unwrap();
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let mut checked = 0;
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            let text = page(&pages, &format!("pollscope-{}.1", sub.get_name()));
            assert!(text.starts_with(".ie"), "not roff: {}", &text[..40]);
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(text.contains(&roff), "{} lacks {roff}", sub.get_name());
                    checked += 1;
                }
            }
        }
        assert!(checked > 30, "only {checked} flags checked");
    }

    #[test]
    fn top_page_has_files_environment_and_subcommands() {
        let pages = man_pages().unwrap();
        let top = page(&pages, "pollscope.1");
        for needle in [
            ".TH pollscope 1",
            ".SH DESCRIPTION",
            "Without a subcommand it opens the desktop app",
            ".SH SUBCOMMANDS",
            "pollscope\\-watch(1)",
            ".SH FILES",
            "profiles.json",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            "POLLSCOPE_CONFIG_DIR",
            ".SH SEE ALSO",
            "\\fBpollscope\\-man\\-pages\\fR(1)",
        ] {
            assert!(top.contains(needle), "pollscope.1 lacks {needle:?}");
        }
        assert!(top.contains(env!("CARGO_PKG_VERSION")));
        for e in crate::exit::Exit::ALL {
            let entry = format!(".TP\n\\fB{}\\fR\n{}\n", e.code(), roff_text(e.meaning()));
            assert!(
                top.contains(&entry),
                "pollscope.1 lacks exit code {}",
                e.code()
            );
        }
    }

    #[test]
    fn roff_text_is_never_a_request_and_keeps_hyphens() {
        assert_eq!(roff_text("a-b"), "a\\-b");
        assert_eq!(roff_text(".SH x"), "\\&.SH x");
        assert_eq!(roff_text("'quoted"), "\\&'quoted");
        assert_eq!(roff_text("C:\\x"), "C:\\ex");
    }

    #[test]
    fn completions_name_the_subcommands_and_flags() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            write_completions(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            for needle in [
                "watch",
                "compare",
                "demo-server",
                "no-keep-alive",
                "completions",
                "man-pages",
            ] {
                assert!(text.contains(needle), "{shell:?} completions lack {needle}");
            }
        }
    }

    #[test]
    fn man_pages_are_written_to_a_new_dir() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("man1");
        let written = write_man_pages(&out).unwrap();
        assert!(written.len() >= 6, "{written:?}");
        for path in &written {
            assert!(std::fs::metadata(path).unwrap().len() > 200, "{path:?}");
        }
    }
}
