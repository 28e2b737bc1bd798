//! Pollscope: watch HTTP long-poll endpoints — live events, hold times, and measured
//! connection reuse.
//!
//! Data flows one way: **profile → poll worker → typed event → stats → face**. Nothing
//! flows back except commands (start, stop, edit).
//!
//! ```text
//! profile        Profile: URL, method, headers, hold, cursor rule, event shape, pollers
//! profile_store  profiles.json in the config dir: versioned, atomic, owner-only
//! cursor         cursor rules: read the server's cursor, apply it to the next request
//! transport      the measuring ureq connector: real TCP/TLS connects, bytes, timings
//! presets        profiles for Nchan, etcd, CouchDB, Consul, Telegram, generic
//! poll           Session: N named poller threads over one keep-alive agent → PollEvent
//! stats          pure statistics: counters, histograms, per-second series (bounded)
//! demo_server    embedded hyper long-poll server: the demo and the tests' peer
//! headless       the CLI face (`pollscope watch`)
//! cli            command-line arguments → Profile
//! redact         masking secrets in URLs and messages
//! ```
//!
//! The engine (everything but the faces) knows nothing of egui: workers wake their
//! watcher through a plain `Fn()` callback.

pub mod cli;
pub mod cursor;
pub mod demo_server;
pub mod headless;
pub mod poll;
pub mod presets;
pub mod profile;
pub mod profile_store;
pub mod redact;
pub mod stats;
pub mod transport;
