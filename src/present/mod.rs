//! Presentation shared by the three faces (the GUI, the CLI, the exports): how figures
//! are written ([`units`]) and tables of figures ([`table`]), so every face says the same
//! thing in the same words and units.
//!
//! Modules here are leaves: they depend on nothing else in the crate, so any engine
//! module can describe its figures with them (e.g. [`crate::compare::Comparison::table`])
//! and every face renders the result. No egui, no I/O.

pub mod table;
pub mod units;

pub use table::{Align, Cell, Row, Table, Unit};
