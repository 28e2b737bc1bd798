//! The feed panel's view state: the filter as typed, the pause point, the selected
//! item, and the ids of the matching rows (newest first), recomputed only when the
//! feed, the filter or the pause changed.
//!
//! Plain data over the engine's [`Feed`]; no drawing.

use crate::monitor::Feed;

/// What the feed panel shows: a filter, a pause point, a selection, and the ids of the
/// matching rows (newest first), recomputed only when something changed.
#[derive(Debug, Default)]
pub struct FeedView {
    /// Filter text as typed.
    pub filter: String,
    /// While paused, rows newer than this id are held back.
    pub paused_at: Option<u64>,
    /// The selected item.
    pub selected: Option<u64>,
    /// The pause came from selecting a row (closing the detail resumes).
    paused_by_selection: bool,
    /// The selection moved by keyboard: scroll it into view on the next frame.
    pub reveal: bool,
    /// Closing the detail resumed the feed: back to the newest row on the next frame.
    pub to_newest: bool,
    rows: Vec<u64>,
    key: Option<(u64, String, Option<u64>)>,
}

impl FeedView {
    /// Ids of the rows to show, newest first.
    pub fn rows(&mut self, feed: &Feed) -> &[u64] {
        let needle = self.filter.trim().to_ascii_lowercase();
        let key = (feed.generation(), needle, self.paused_at);
        if self.key.as_ref() != Some(&key) {
            let (_, needle, paused_at) = &key;
            self.rows.clear();
            self.rows.extend(
                feed.newest_first()
                    .filter(|i| paused_at.is_none_or(|p| i.id <= p))
                    .filter(|i| i.matches(needle))
                    .map(|i| i.id),
            );
            self.key = Some(key);
        }
        &self.rows
    }

    /// Pause (hold new rows back) or resume.
    pub fn toggle_pause(&mut self, feed: &Feed) {
        self.paused_by_selection = false;
        self.paused_at = match self.paused_at {
            Some(_) => None,
            None => Some(feed.newest_id()),
        };
    }

    /// Select row `id` for the detail (or unselect it when it is selected). Selecting
    /// pauses a live feed, so the row stays where it was clicked; unselecting resumes
    /// what the selection paused.
    pub fn click(&mut self, id: u64, feed: &Feed) {
        if self.selected == Some(id) {
            self.close(feed);
            return;
        }
        self.selected = Some(id);
        if self.paused_at.is_none() {
            self.toggle_pause(feed);
            self.paused_by_selection = true;
        }
    }

    /// Select the row `by` rows below the selected one (above when negative), within
    /// the rows shown; the first row when none is selected.
    pub fn step(&mut self, feed: &Feed, by: isize) {
        let selected = self.selected;
        let rows = self.rows(feed);
        let Some(last) = rows.len().checked_sub(1) else {
            return;
        };
        let at = selected
            .and_then(|s| rows.iter().position(|r| *r == s))
            .map_or(0, |i| i.saturating_add_signed(by).min(last));
        let id = rows[at];
        if self.selected != Some(id) {
            self.click(id, feed);
        }
        self.reveal = true;
    }

    /// Close the detail; resume if the selection had paused the feed.
    pub fn close(&mut self, feed: &Feed) {
        self.selected = None;
        if self.paused_by_selection {
            self.toggle_pause(feed);
            self.to_newest = true;
        }
    }

    /// Items that arrived since the pause.
    #[must_use]
    pub fn held_back(&self, feed: &Feed) -> u64 {
        self.paused_at
            .map_or(0, |p| feed.newest_id().saturating_sub(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{FeedItem, FeedKind};

    fn item(text: &str) -> FeedItem {
        FeedItem::new(FeedKind::Event, 0, text.to_owned(), true)
    }

    #[test]
    fn filter_ignores_case_and_matches_kind_poller_status() {
        let mut feed = Feed::default();
        feed.push(item(r#"{"msg":"Hello World"}"#));
        let mut failure = FeedItem::new(FeedKind::Failure, 3, "refused".to_owned(), false);
        failure.status = Some(503);
        feed.push(failure);
        let mut view = FeedView::default();
        assert_eq!(view.rows(&feed), [2, 1], "newest first");
        view.filter = "WORLD".to_owned();
        assert_eq!(view.rows(&feed), [1]);
        for f in ["error", "p3", "503", " Refused "] {
            view.filter = f.to_owned();
            assert_eq!(view.rows(&feed), [2], "{f}");
        }
        view.filter = "nothing".to_owned();
        assert!(view.rows(&feed).is_empty());
    }

    #[test]
    fn selecting_a_row_pauses_and_closing_resumes() {
        let mut feed = Feed::default();
        feed.push(item("1"));
        feed.push(item("2"));
        let mut view = FeedView::default();
        view.click(1, &feed);
        assert_eq!((view.selected, view.paused_at), (Some(1), Some(2)));
        feed.push(item("3"));
        assert_eq!(view.rows(&feed), [2, 1], "the clicked row stays put");
        view.click(2, &feed);
        assert_eq!(view.selected, Some(2), "another row: still paused");
        view.close(&feed);
        assert_eq!((view.selected, view.paused_at), (None, None));
        assert_eq!(view.rows(&feed), [3, 2, 1]);
        // A pause the user asked for outlasts the detail.
        view.toggle_pause(&feed);
        view.click(1, &feed);
        view.click(1, &feed);
        assert_eq!((view.selected, view.paused_at), (None, Some(3)));
    }

    #[test]
    fn arrow_keys_walk_the_rows_shown() {
        let mut feed = Feed::default();
        for t in ["1", "2", "3"] {
            feed.push(item(t));
        }
        let mut view = FeedView::default();
        view.step(&feed, 1);
        assert_eq!(view.selected, Some(3), "none selected: the newest");
        assert!(view.paused_at.is_some(), "selecting pauses");
        view.step(&feed, 1);
        view.step(&feed, 1);
        view.step(&feed, 1);
        assert_eq!(view.selected, Some(1), "stops at the oldest");
        view.step(&feed, -1);
        assert_eq!(view.selected, Some(2));
    }

    #[test]
    fn pause_holds_new_rows_back() {
        let mut feed = Feed::default();
        feed.push(item("1"));
        let mut view = FeedView::default();
        view.toggle_pause(&feed);
        feed.push(item("2"));
        feed.push(item("3"));
        assert_eq!(view.rows(&feed), [1]);
        assert_eq!(view.held_back(&feed), 2);
        view.toggle_pause(&feed);
        assert_eq!(view.rows(&feed), [3, 2, 1]);
        assert_eq!(view.held_back(&feed), 0);
    }
}
