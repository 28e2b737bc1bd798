//! Pollscope: watch HTTP long-poll endpoints — live events, hold times, and measured
//! connection reuse.
//!
//! Data flows one way: **profile → poll worker → typed event → stats → face**. Nothing
//! flows back except commands (start, stop, edit).
//!
//! ```text
//! profile        Profile: URL, method, headers, hold, cursor rule, event shape, pollers
//! profile_store  profiles.json in the config dir: versioned, atomic, owner-only
//! keyring        secrets at rest in the OS keyring (Secret Service), file fallback said
//! header         one request header (name, value template, secret)
//! protocol       a profile as a small protocol: variables, templates, bootstrap steps,
//!                decoders (JSON, Engine.IO, SockJS, SignalR…), selectors, session rules
//! curl_import    a curl command line → Profile, and back
//! cursor         cursor rules: read the server's cursor, apply it to the next request
//! proxy          forward proxies as curl picks them: profile, HTTP(S)_PROXY, NO_PROXY
//! transport      the measuring ureq connector: real TCP/TLS connects, bytes, timings
//! presets        profiles for Nchan, etcd, CouchDB, Consul, Telegram, generic
//! poll           Session: N named poller threads over one keep-alive agent → PollEvent
//! stats          pure statistics: counters, histograms, per-second series (bounded)
//! demo_server    embedded hyper long-poll server: the demo and the tests' peer
//! compare        variants of one profile side by side, verdict, report
//! export         event log (JSONL), stats (CSV), summary and profiles (JSON)
//! present        wording and units the faces share: number formats, tables of figures
//! agent          several profiles watched unattended: alerts printed, metrics served
//! headless       the CLI face (`pollscope watch`)
//! monitor        one connected profile without egui: session, stats, bounded feed, badge
//! alert          alert rules as data, quiet/stalled liveness, the rule evaluator
//! metrics        OpenMetrics exposition per profile, and its HTTP endpoint
//! notify         desktop notifications for alert transitions (D-Bus), rate-limited
//! ui             the desktop face (eframe/egui): profiles, editor, feed, charts, connections
//! cli            command-line arguments → Profile
//! cli_docs       man pages and shell completions generated from the CLI definition
//! app_log        logging: stderr, and the desktop app's log file in the state dir
//! exit           the process exit codes (one table: main, --help, README)
//! limits         the open-file limit: raised at start, checked before pollers spawn
//! redact         masking secrets in URLs and messages
//! terminal       server text made safe to print (control characters escaped)
//! url_query      setting and dropping one query parameter of a URL
//! ```
//!
//! `docs/architecture.md` is a newcomer's map: the threads, the GUI's rooms, where each
//! kind of change goes, and which tests cover what.
//!
//! The engine (everything but the faces) knows nothing of egui: workers wake their
//! watcher through a plain `Fn()` callback.
//!
//! # Errors
//!
//! - Each module that can fail has its own `thiserror` enum: [`profile::ProfileIssue`],
//!   [`profile_store::StoreError`], [`poll::StartError`], [`cursor::CursorError`],
//!   [`curl_import::CurlError`], [`compare::CompareError`], [`cli::ArgsError`],
//!   [`demo_server::DemoServerError`], [`limits::TooManyPollers`]. Messages name the
//!   file, field or value at fault and say what to do about it.
//! - Network trouble is data, not an `Err`: a poller reports [`poll::PollEvent::Failed`]
//!   (an [`poll::ErrorKind`] and a clear message), backs off and polls on. Nothing from
//!   the network or from disk is `unwrap`ped.
//! - Each error is handled once: whoever receives it either shows it (a badge or notice
//!   in the GUI, stderr in the CLI) or logs it, never both, and never drops it.
//! - `anyhow` is used only at the top of the CLI (`main.rs` and [`headless`]), to add
//!   context before the process exits with status 2.
//!
//! # Logging
//!
//! Through the `log` macros; `main.rs` installs [`app_log`]: `env_logger` on stderr
//! (`RUST_LOG`, default `warn`) and, for the desktop app, a log file in the state dir
//! (warnings and Pollscope's `info`). ureq's and rustls' own logs are capped at `warn`
//! whatever `RUST_LOG` says, since at debug level they print request URLs and headers;
//! control characters in messages are escaped ([`terminal::block`]).
//!
//! - `warn`: trouble nobody is shown otherwise (a poller thread that panicked or did not
//!   stop, the demo server's state file failing, a chart font missing).
//! - `info`: rare events (a session started, the open-file limit raised, a cursor
//!   resynchronised, the first events of a profile, the demo server started).
//! - `debug` and `trace`: per-connection and per-poll detail (stale connection retries,
//!   connections opened, the demo server's faults).
//!
//! Never logged: header values, request bodies, event payloads, URLs other than through
//! [`redact::url`], or any of a profile's secrets ([`redact::Secrets`] masks them in
//! messages, and its `Debug` prints only how many there are).

#![deny(missing_docs)]

pub mod agent;
pub mod alert;
pub mod app_log;
pub mod cli;
pub mod cli_docs;
pub mod compare;
pub mod curl_import;
pub mod cursor;
pub mod demo_server;
pub mod exit;
pub mod export;
pub mod header;
pub mod headless;
pub mod keyring;
pub mod limits;
pub mod metrics;
pub mod monitor;
pub mod notify;
pub mod poll;
pub mod present;
pub mod presets;
pub mod profile;
pub mod profile_store;
pub mod protocol;
pub mod proxy;
pub mod redact;
pub mod stats;
pub mod terminal;
pub mod transport;
#[cfg(feature = "gui")]
pub mod ui;
pub mod url_query;
