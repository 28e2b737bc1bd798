//! Small drawing helpers the panels share: colours and the state badge, labelled form
//! rows, JSON colouring, plot settings, and time-of-day and axis formatting.
//!
//! Stateless: each call draws or returns text. Reads engine and model types (a
//! profile's state, a form's issues); must not depend on the panels, the view state or
//! the app shell.

pub mod copied;
pub mod form;
pub mod format;
pub mod json_color;
pub mod liveness;
pub mod plot;
pub mod theme;
pub mod waterfall;
