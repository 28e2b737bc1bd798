//! The hostile-server suite (issue 14): Pollscope pointed at servers that try to hurt
//! it — redirects that steal credentials, bytes that hijack the terminal, answers that
//! eat memory — and fed numbers and files a careless user might give. Every test speaks
//! HTTP over loopback to a small hostile server (`server.rs`, two origins: 127.0.0.1 and
//! 127.0.0.2) or to the demo server, and runs the real `pollscope` binary where the
//! command line is what is under test.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

mod content;
mod credentials;
mod files;
mod keyring;
mod memory;
mod messages;
mod numbers;
mod sequence;
mod server;
mod tls;

use std::path::Path;
use std::process::{Command, Output};

/// The `pollscope` binary with a config dir of its own (never the developer's).
/// `POLLSCOPE_TEST_BIN=/path/to/an/older/pollscope` runs the suite against another
/// build, to show that a test fails where the fix is missing.
#[must_use]
pub fn bin(config: &Path) -> Command {
    let exe = std::env::var_os("POLLSCOPE_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_pollscope").into());
    let mut c = Command::new(exe);
    c.env("POLLSCOPE_CONFIG_DIR", config)
        .env_remove("RUST_LOG")
        .env_remove("SSL_CERT_FILE");
    c
}

/// Run and collect; stdout and stderr as text.
///
/// # Panics
/// When the command cannot be started at all.
#[must_use]
pub fn run(mut c: Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run pollscope");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}
