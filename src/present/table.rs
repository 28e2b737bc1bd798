//! A table of figures as every face draws it: column titles, and rows of a label and
//! one cell per column. Each cell carries its text (already written with
//! [`super::units`]) and what it measures, which says how it aligns.
//!
//! The GUI lays the cells out in a grid; the CLI prints [`Table::text`]; reports embed
//! [`Table::markdown`]. Pure data; no egui.

use std::fmt::Write as _;

use super::units;

/// Where a cell's text sits in its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text starts at the column's left edge.
    Left,
    /// Text ends at the column's right edge (figures, so digits line up).
    Right,
}

/// What a cell's figure measures: faces may style by it (monospace figures) and it
/// decides the alignment (figures right, text left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Words, not a figure.
    Text,
    /// A number of things ([`units::count`]).
    Count,
    /// A size ([`units::bytes`]).
    Bytes,
    /// A duration ([`units::millis`]).
    Millis,
    /// A share ([`units::percent`]).
    Percent,
}

impl Unit {
    /// Figures line up on the right, words on the left.
    #[must_use]
    pub fn align(self) -> Align {
        match self {
            Self::Text => Align::Left,
            Self::Count | Self::Bytes | Self::Millis | Self::Percent => Align::Right,
        }
    }
}

/// One cell: its text and what it measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// What the cell shows, already written.
    pub text: String,
    /// What it measures.
    pub unit: Unit,
}

impl Cell {
    /// A cell with `text` already written.
    #[must_use]
    pub fn new(text: impl Into<String>, unit: Unit) -> Self {
        Self {
            text: text.into(),
            unit,
        }
    }

    /// A count ([`units::count`]).
    #[must_use]
    pub fn count(n: u64) -> Self {
        Self::new(units::count(n), Unit::Count)
    }

    /// A size ([`units::bytes`]).
    #[must_use]
    pub fn bytes(n: u64) -> Self {
        Self::new(units::bytes(n), Unit::Bytes)
    }

    /// A duration in milliseconds, or unknown ([`units::opt_millis`]).
    #[must_use]
    pub fn millis(ms: Option<f64>) -> Self {
        Self::new(units::opt_millis(ms), Unit::Millis)
    }

    /// A ratio (0 to 1) as a percentage, or unknown ([`units::opt_percent`]).
    #[must_use]
    pub fn percent(ratio: Option<f64>) -> Self {
        Self::new(units::opt_percent(ratio), Unit::Percent)
    }

    /// Where the text sits in its column.
    #[must_use]
    pub fn align(&self) -> Align {
        self.unit.align()
    }
}

/// One row: what it shows, and a cell per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// What the row shows (the first, untitled column).
    pub label: &'static str,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// Column titles and rows. The label column comes first and has no title.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles, after the label column.
    pub columns: Vec<String>,
    /// The rows, in the order shown.
    pub rows: Vec<Row>,
}

impl Table {
    /// A column lines up on the right when every cell in it does.
    #[must_use]
    pub fn column_align(&self, column: usize) -> Align {
        let right = self
            .rows
            .iter()
            .filter_map(|r| r.cells.get(column))
            .all(|c| c.align() == Align::Right);
        if right { Align::Right } else { Align::Left }
    }

    /// A Markdown table (GitHub style), figures right-aligned.
    #[must_use]
    pub fn markdown(&self) -> String {
        let escape = |s: &str| s.replace('|', "\\|");
        let mut md = String::new();
        md.push_str("| |");
        for title in &self.columns {
            let _ = write!(md, " {} |", escape(title));
        }
        md.push_str("\n|---|");
        for i in 0..self.columns.len() {
            md.push_str(match self.column_align(i) {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        md.push('\n');
        for row in &self.rows {
            let _ = write!(md, "| {} |", escape(row.label));
            for cell in &row.cells {
                let _ = write!(md, " {} |", escape(&cell.text));
            }
            md.push('\n');
        }
        md
    }

    /// A fixed-width table for terminals: the labels, then each column as wide as its
    /// widest text, two spaces apart, aligned as [`Table::column_align`] says.
    #[must_use]
    pub fn text(&self) -> String {
        let width = |s: &str| s.chars().count();
        let first = self.rows.iter().map(|r| width(r.label)).max().unwrap_or(0);
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .map(|c| width(&c.text))
                    .chain([width(&self.columns[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let _ = write!(out, "{:first$}", "");
        for (i, (title, w)) in self.columns.iter().zip(&widths).enumerate() {
            pad(&mut out, title, *w, self.column_align(i));
        }
        out.push('\n');
        for row in &self.rows {
            let _ = write!(out, "{:first$}", row.label);
            for (i, (cell, w)) in row.cells.iter().zip(&widths).enumerate() {
                pad(&mut out, &cell.text, *w, self.column_align(i));
            }
            out.push('\n');
        }
        out
    }
}

/// Two spaces, then `text` padded to `width` characters on the side `align` says.
fn pad(out: &mut String, text: &str, width: usize, align: Align) {
    let _ = match align {
        Align::Left => write!(out, "  {text:<width$}"),
        Align::Right => write!(out, "  {text:>width$}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: vec!["a".to_owned(), "long title".to_owned()],
            rows: vec![
                Row {
                    label: "size",
                    cells: vec![Cell::bytes(1536), Cell::bytes(10)],
                },
                Row {
                    label: "delay p50",
                    cells: vec![Cell::millis(Some(2400.0)), Cell::millis(None)],
                },
                Row {
                    label: "note",
                    cells: vec![Cell::new("x|y", Unit::Text), Cell::count(12_345)],
                },
            ],
        }
    }

    #[test]
    fn markdown_aligns_figure_columns_right_and_escapes_pipes() {
        let md = table().markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| | a | long title |");
        // Column "a" holds words in one row: left; the other only figures: right.
        assert_eq!(lines[1], "|---|---|---:|");
        assert_eq!(lines[2], "| size | 1.5 KiB | 10 B |");
        assert_eq!(lines[3], "| delay p50 | 2.4 s | – |");
        assert_eq!(lines[4], "| note | x\\|y | 12,345 |");
    }

    #[test]
    fn text_pads_each_column_to_its_widest_cell() {
        let text = table().text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "           a        long title");
        assert_eq!(lines[1], "size       1.5 KiB        10 B");
        assert_eq!(lines[2], "delay p50  2.4 s             –");
        assert_eq!(lines[3], "note       x|y          12,345");
    }
}
