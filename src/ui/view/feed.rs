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
        self.paused_at = match self.paused_at {
            Some(_) => None,
            None => Some(feed.newest_id()),
        };
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
