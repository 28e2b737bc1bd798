//! The laid-out body of the selected feed item, kept between frames: pretty-printed
//! and coloured once per item (and theme), then drawn from the galley, capped.
//!
//! View state (an egui galley); no drawing.

use std::sync::Arc;

use egui::{Galley, TextStyle, Ui};

use crate::monitor::FeedItem;
use crate::ui::widgets::json_color::{Palette, json_job};

/// Bytes of body drawn (Copy copies all of it).
const DETAIL_BYTES: usize = 128 * 1024;

/// The laid-out body of the selected item, kept between frames.
#[derive(Debug, Default)]
pub struct DetailCache {
    key: Option<(u64, bool)>,
    galley: Option<Arc<Galley>>,
    rest: usize,
}

impl DetailCache {
    /// The body of `item` laid out for the current theme (computed once per item).
    pub fn body(&mut self, ui: &Ui, item: &FeedItem) -> (Arc<Galley>, usize) {
        let dark = ui.visuals().dark_mode;
        if self.key != Some((item.id, dark)) || self.galley.is_none() {
            let text = item.pretty();
            let (shown, rest) = match text.char_indices().find(|(i, _)| *i >= DETAIL_BYTES) {
                Some((i, _)) => (&text[..i], text.len() - i),
                None => (text, 0),
            };
            let font = TextStyle::Monospace.resolve(ui.style());
            let job = if item.is_json && !item.truncated {
                json_job(shown, &font, &Palette::for_theme(dark))
            } else {
                egui::text::LayoutJob::simple_singleline(
                    shown.to_owned(),
                    font,
                    ui.visuals().text_color(),
                )
            };
            self.galley = Some(ui.painter().layout_job(job));
            self.rest = rest;
            self.key = Some((item.id, dark));
        }
        match &self.galley {
            Some(g) => (Arc::clone(g), self.rest),
            None => (ui.painter().layout_job(egui::text::LayoutJob::default()), 0),
        }
    }
}
