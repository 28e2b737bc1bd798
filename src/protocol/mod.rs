//! A profile as a small protocol, as data: variables placed into requests by `{{name}}`
//! templates, bootstrap steps whose answers set variables, body decoders that tell
//! events from control messages, events selectors with wildcards, and conditions that
//! say when a control message needs an answer or the session is gone.
//!
//! Everything here is pure (no I/O, no threads) and never panics on any input; the poll
//! engine (`poll::conversation`) runs it. Presets for Socket.IO, SockJS, Bayeux and
//! SignalR are built from these pieces, with no per-protocol code in the engine.

pub mod bounded;
pub mod check;
pub mod decode;
pub mod matcher;
pub mod rules;
pub mod select;
pub mod spec;
pub mod template;
pub mod vars;

pub use decode::{Decoded, Decoder, Record};
pub use matcher::Match;
pub use rules::{Extracted, Signals};
pub use spec::{Extract, Reply, RequestSpec, SessionSpec, Step};
pub use vars::{Fresh, Variable, Vars};
