//! The laid-out texts of the selected feed item, kept between frames: its payload (or
//! message) and, for a failed poll, the error answer's body, each pretty-printed when
//! JSON, coloured and wrapped to the inspector's width, laid out once per item, theme
//! and width, then drawn from the galley (capped).
//!
//! View state (egui galleys); no drawing.

use std::sync::Arc;

use egui::text::{LayoutJob, TextWrapping};
use egui::{Galley, TextStyle, Ui};

use crate::monitor::FeedItem;
use crate::ui::widgets::json_color::{Palette, json_job};

/// Bytes of a text laid out (Copy copies all of it).
const DETAIL_BYTES: usize = 128 * 1024;

/// One laid-out text and what was left out of it.
#[derive(Debug, Clone)]
pub struct Laid {
    /// The text as drawn.
    pub galley: Arc<Galley>,
    /// Bytes not drawn (past [`DETAIL_BYTES`]).
    pub rest: usize,
}

/// What the texts were laid out for: item, dark theme, width in points.
type Key = (u64, bool, u32);

/// The laid-out texts of the selected item, kept between frames.
#[derive(Debug, Default)]
pub struct DetailCache {
    key: Option<Key>,
    body: Option<Laid>,
    answer: Option<Laid>,
    /// `answer` was worked out (it may be `None`: no error body).
    answer_done: bool,
}

impl DetailCache {
    /// The item's payload (pretty JSON for events) or message, wrapped at `width`.
    pub fn body(&mut self, ui: &Ui, item: &FeedItem, width: f32) -> Laid {
        self.check(ui, item, width);
        if self.body.is_none() {
            let (text, json) = if item.is_json && !item.truncated {
                (item.pretty(), true)
            } else {
                (item.text.as_str(), false)
            };
            self.body = Some(lay_out(ui, text, json, width));
        }
        self.body
            .clone()
            .unwrap_or_else(|| lay_out(ui, "", false, width))
    }

    /// A failed poll's error answer body (pretty when it is JSON), wrapped at `width`.
    pub fn answer_body(&mut self, ui: &Ui, item: &FeedItem, width: f32) -> Option<Laid> {
        self.check(ui, item, width);
        if !self.answer_done {
            self.answer_done = true;
            self.answer =
                item.response.as_ref().and_then(|r| r.body.as_deref()).map(
                    |body| match pretty_json(body) {
                        Some(pretty) => lay_out(ui, &pretty, true, width),
                        None => lay_out(ui, body, false, width),
                    },
                );
        }
        self.answer.clone()
    }

    /// Start over when the item, the theme or the width changed.
    fn check(&mut self, ui: &Ui, item: &FeedItem, width: f32) {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a width in whole points"
        )]
        let key = (item.id, ui.visuals().dark_mode, width.max(0.0) as u32);
        if self.key != Some(key) {
            *self = Self {
                key: Some(key),
                ..Self::default()
            };
        }
    }
}

/// `text` pretty-printed, when it is JSON.
fn pretty_json(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

/// `text` (its first [`DETAIL_BYTES`]) in the monospace font, coloured as JSON when
/// `json`, wrapped at `width`.
fn lay_out(ui: &Ui, text: &str, json: bool, width: f32) -> Laid {
    let (shown, rest) = match text.char_indices().find(|(i, _)| *i >= DETAIL_BYTES) {
        Some((i, _)) => (&text[..i], text.len() - i),
        None => (text, 0),
    };
    let font = TextStyle::Monospace.resolve(ui.style());
    let mut job = if json {
        json_job(shown, &font, &Palette::for_theme(ui.visuals().dark_mode))
    } else {
        LayoutJob::simple(shown.to_owned(), font, ui.visuals().text_color(), width)
    };
    job.wrap = TextWrapping {
        max_width: width,
        ..TextWrapping::default()
    };
    Laid {
        galley: ui.painter().layout_job(job),
        rest,
    }
}
