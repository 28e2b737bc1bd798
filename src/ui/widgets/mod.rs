//! Small drawing helpers the panels share: colours and the state badge, labelled form
//! rows, JSON colouring, and number, size and time formatting.
//!
//! Stateless: each call draws or returns text. Must not depend on the model, the
//! panels or the app shell.

pub mod form;
pub mod format;
pub mod json_color;
pub mod theme;
