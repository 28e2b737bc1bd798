//! Pollscope: watch HTTP long-poll endpoints — live events, hold times, and measured
//! connection reuse.
//!
//! Data flows one way: **profile → poll worker → typed event → stats → face**. Nothing
//! flows back except commands (start, stop, edit).
//!
//! ```text
//! profile        Profile: URL, method, headers, hold, cursor rule, event shape, pollers
//! profile_store  profiles.json in the config dir: versioned, atomic, owner-only
//! curl_import    a curl command line → Profile, and back
//! cursor         cursor rules: read the server's cursor, apply it to the next request
//! transport      the measuring ureq connector: real TCP/TLS connects, bytes, timings
//! presets        profiles for Nchan, etcd, CouchDB, Consul, Telegram, generic
//! poll           Session: N named poller threads over one keep-alive agent → PollEvent
//! stats          pure statistics: counters, histograms, per-second series (bounded)
//! demo_server    embedded hyper long-poll server: the demo and the tests' peer
//! compare        variants of one profile side by side, verdict, report
//! export         event log (JSONL), stats (CSV), summary and profiles (JSON)
//! headless       the CLI face (`pollscope watch`)
//! monitor        one connected profile without egui: session, stats, bounded feed, badge
//! ui             the desktop face (eframe/egui): profiles, editor, feed, charts, connections
//! cli            command-line arguments → Profile
//! cli_docs       man pages and shell completions generated from the CLI definition
//! app_log        logging: stderr, and the desktop app's log file in the state dir
//! redact         masking secrets in URLs and messages
//! ```
//!
//! The engine (everything but the faces) knows nothing of egui: workers wake their
//! watcher through a plain `Fn()` callback.

pub mod app_log;
pub mod cli;
pub mod cli_docs;
pub mod compare;
pub mod curl_import;
pub mod cursor;
pub mod demo_server;
pub mod export;
pub mod headless;
pub mod limits;
pub mod monitor;
pub mod poll;
pub mod presets;
pub mod profile;
pub mod profile_store;
pub mod redact;
pub mod stats;
pub mod transport;
pub mod ui;
