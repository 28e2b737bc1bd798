//! The process exit codes: one table, read by `main`, `--help` and the README.
//!
//! A run that ends says how it went in its exit code, so scripts and monitors can act on
//! it without parsing output: 0 only when the run worked. Plain data; no I/O.

use std::fmt;

/// How the process ends. The numbers are part of the command-line interface: never
/// renumber one, only add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exit {
    /// The run ended as asked (duration over or Ctrl-C) and at least one poll was
    /// answered; or a command without polls (listing profiles) worked.
    Ok,
    /// Something else failed: an export could not be written, the window could not open.
    Error,
    /// Bad command line, bad profile or unreadable profiles file: nothing was polled.
    Usage,
    /// The server could not be reached at all (connection refused, DNS, TLS, connect
    /// timeout) before any poll was answered.
    Unreachable,
    /// Polls were made but none succeeded (every one an error status, a protocol
    /// error, a timeout, a refused redirect…).
    NoSuccess,
    /// A poller ended unexpectedly (an internal error); the figures are incomplete.
    PollerDied,
    /// The run worked, but an alert rule (`--alert`, or the profile's own) fired during
    /// it: for a cron job or a CI step to gate on.
    AlertFired,
}

impl Exit {
    /// Every code, in table order.
    pub const ALL: [Self; 7] = [
        Self::Ok,
        Self::Error,
        Self::Usage,
        Self::Unreachable,
        Self::NoSuccess,
        Self::PollerDied,
        Self::AlertFired,
    ];

    /// The number the process exits with.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Error => 1,
            Self::Usage => 2,
            Self::Unreachable => 3,
            Self::NoSuccess => 4,
            Self::PollerDied => 5,
            Self::AlertFired => 6,
        }
    }

    /// One line saying when this code is used.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "the run ended as asked and at least one poll was answered",
            Self::Error => "another failure (an export could not be written, no window)",
            Self::Usage => "bad arguments, a bad profile or an unreadable profiles file",
            Self::Unreachable => "the server could not be reached at all (refused, DNS, TLS)",
            Self::NoSuccess => "polls were made but none succeeded (error statuses, timeouts…)",
            Self::PollerDied => "a poller ended unexpectedly; the figures are incomplete",
            Self::AlertFired => "the run worked, but an alert rule fired during it (--alert)",
        }
    }

    /// The table for `--help`.
    #[must_use]
    pub fn help_table() -> String {
        let mut out = String::from("Exit codes:\n");
        for e in Self::ALL {
            out.push_str(&format!("  {:<3} {}\n", e.code(), e.meaning()));
        }
        out
    }

    /// The table for the README (Markdown).
    #[must_use]
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | meaning |\n|---|---|\n");
        for e in Self::ALL {
            out.push_str(&format!("| {} | {} |\n", e.code(), e.meaning()));
        }
        out
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        Self::from(e.code())
    }
}

/// An error that ends the process with a chosen [`Exit`] code. Wrap any error in it
/// where the code is known (`Failure::new(Exit::Usage, e)`); `main` finds it anywhere
/// in an `anyhow` chain. Errors without one exit with [`Exit::Error`].
#[derive(Debug)]
pub struct Failure {
    /// The code the process ends with.
    pub exit: Exit,
    message: String,
}

impl Failure {
    /// `error` (its whole chain, as one message) ending the process with `exit`.
    #[must_use]
    pub fn new(exit: Exit, error: impl fmt::Display) -> Self {
        Self {
            exit,
            message: error.to_string(),
        }
    }

    /// Wrap an `anyhow` error, keeping its whole chain in the message.
    #[must_use]
    pub fn wrap(exit: Exit, error: &anyhow::Error) -> Self {
        Self {
            exit,
            message: format!("{error:#}"),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error: the first [`Failure`] in its chain, else [`Exit::Error`].
#[must_use]
pub fn of(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(Exit::Error, |f| f.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_ok_is_zero() {
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes[0], 0);
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Exit::ALL.len());
    }

    #[test]
    fn the_code_is_found_anywhere_in_a_chain() {
        let e = anyhow::Error::new(Failure::new(Exit::Unreachable, "refused"))
            .context("watching http://h/");
        assert_eq!(of(&e), Exit::Unreachable);
        assert_eq!(format!("{e:#}"), "watching http://h/: refused");
        assert_eq!(of(&anyhow::anyhow!("plain")), Exit::Error);
    }

    #[test]
    fn the_readme_holds_the_table() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&Exit::markdown_table()),
            "README.md must contain the exit-code table exactly as Exit::markdown_table() \
             gives it:\n{}",
            Exit::markdown_table()
        );
    }
}
