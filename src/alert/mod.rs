//! Alerting, in the engine: per-profile rules as data ([`Rule`], saved in the profile
//! as text such as `quiet>30s`), the quiet and stalled states ([`Liveness`]), and the
//! evaluator ([`Alerts`]) that turns a session's [`crate::poll::PollEvent`]s into
//! firing and resolved [`Transition`]s with a history.
//!
//! The faces only show and forward what this module decides: the CLI prints
//! transitions, the agent exports them as metrics, the desktop app shows badges and
//! raises notifications. Depends on the poll events and the profile; no egui, no I/O.

pub mod engine;
pub mod liveness;
pub mod pump;
pub mod rule;
pub mod window;

pub use engine::{AlertState, Alerts, RuleStatus, Transition};
pub use liveness::{Condition, Liveness, Threshold};
pub use pump::{Pump, PumpHooks};
pub use rule::{AlertSettings, Rule, RuleError};
