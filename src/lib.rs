//! Pollscope core.
pub mod cursor;
pub mod demo_server;
pub mod profile;
pub mod profile_store;
pub mod redact;
