//! Pollscope core.
pub mod demo_server;
