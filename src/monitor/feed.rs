//! The live feed of one monitored profile: a bounded list of what arrived (events,
//! failures, warnings), newest last in memory and newest first on screen, with a count of
//! the items dropped to stay within bounds. (The feed panel's filter, pause and
//! selection are the UI's view state: `ui::view::feed`.)
//!
//! Plain data; no egui, no threads. Rows are cheap to draw: each item keeps its payload
//! as one line of compact text (capped), and pretty-prints once, lazily, when selected.

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::poll::ConnectionUse;

/// Items kept by default.
pub const DEFAULT_CAP: usize = 10_000;
/// Payload bytes kept by default, over all items.
pub const DEFAULT_BYTE_CAP: usize = 64 * 1024 * 1024;
/// Longest payload text kept for one item; longer ones are cut (and marked).
pub const MAX_ITEM_TEXT: usize = 256 * 1024;
/// Longest pretty-printed text produced for the detail view.
pub const MAX_PRETTY: usize = 512 * 1024;

/// What a feed item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    /// One event from an answer.
    Event,
    /// A failed poll.
    Failure,
    /// An answer whose cursor or events could not be read.
    Warning,
    /// A request re-sent after a stale keep-alive connection failed.
    Retry,
    /// A hold the client ended (its timeout), counted as an empty answer.
    Cut,
}

impl FeedKind {
    /// Short lowercase name (also matched by the filter).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Failure => "error",
            Self::Warning => "warning",
            Self::Retry => "retry",
            Self::Cut => "cut",
        }
    }
}

/// The poll an item came from: the answer an event came in (shared by all its
/// events), or the failed poll a failure reports. What the inspector shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseInfo {
    /// HTTP status; 0 when no answer came.
    pub status: u16,
    /// Response headers; values of secret-looking headers are masked.
    pub headers: Vec<(String, String)>,
    /// Body size in bytes.
    pub body_bytes: u64,
    /// How long the server held the poll.
    pub hold: Duration,
    /// The connection it came over.
    pub connection: ConnectionUse,
    /// The cursor the next poll sends.
    pub cursor: String,
    /// Events in the answer.
    pub events: usize,
    /// Where the poll's time went.
    pub timing: crate::poll::PollTiming,
    /// The request head as sent, secrets masked (when the session captured it).
    pub request: Option<String>,
    /// An error answer's body as text (start of it; secrets masked).
    pub body: Option<String>,
}

/// One row of the feed.
#[derive(Debug)]
pub struct FeedItem {
    /// Increasing, contiguous within a feed.
    pub id: u64,
    /// When it arrived, by the wall clock.
    pub received: SystemTime,
    /// Which poller it came from.
    pub poller: usize,
    /// An event, or a message about the polls.
    pub kind: FeedKind,
    /// The answer's HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Payload size in bytes (as compact text), before any cut.
    pub size: u64,
    /// The event's sequence number, when the profile reads one.
    pub seq: Option<i64>,
    /// Receive time minus the server's timestamp, when the profile reads one.
    pub latency_ms: Option<f64>,
    /// The payload as one line of compact JSON, the raw text, or the message.
    pub text: String,
    /// `text` was cut at [`MAX_ITEM_TEXT`].
    pub truncated: bool,
    /// `text` is JSON.
    pub is_json: bool,
    /// The answer an event came in (events only).
    pub response: Option<Arc<ResponseInfo>>,
    pretty: OnceCell<String>,
}

impl FeedItem {
    /// An item; `text` is cut to [`MAX_ITEM_TEXT`]. The id is set by [`Feed::push`].
    #[must_use]
    pub fn new(kind: FeedKind, poller: usize, text: String, is_json: bool) -> Self {
        let size = text.len() as u64;
        let (text, truncated) = cut(text, MAX_ITEM_TEXT);
        Self {
            id: 0,
            received: SystemTime::now(),
            poller,
            kind,
            status: None,
            size,
            seq: None,
            latency_ms: None,
            text,
            truncated,
            is_json,
            response: None,
            pretty: OnceCell::new(),
        }
    }

    /// The start of the text for a one-line row: at most `max_chars` characters.
    #[must_use]
    pub fn row_text(&self, max_chars: usize) -> &str {
        match self.text.char_indices().nth(max_chars) {
            Some((i, _)) => &self.text[..i],
            None => &self.text,
        }
    }

    /// The text pretty-printed as JSON when it is JSON (computed once, capped at
    /// [`MAX_PRETTY`]), else the text itself.
    #[must_use]
    pub fn pretty(&self) -> &str {
        self.pretty.get_or_init(|| {
            if !self.is_json || self.truncated {
                return String::new();
            }
            let pretty = serde_json::from_str::<serde_json::Value>(&self.text)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_default();
            let (pretty, cut_off) = cut(pretty, MAX_PRETTY);
            if cut_off {
                format!("{pretty}\n… (cut at {} KiB)", MAX_PRETTY / 1024)
            } else {
                pretty
            }
        });
        match self.pretty.get() {
            Some(p) if !p.is_empty() => p,
            _ => &self.text,
        }
    }

    /// Whether the item matches a filter: `needle` (already lowercase ASCII-folded) occurs
    /// in the text, the kind, `pN` for the poller, or the status, ignoring ASCII case.
    #[must_use]
    pub fn matches(&self, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        contains_ignore_ascii_case(&self.text, needle)
            || self.kind.name().contains(needle)
            || needle
                .strip_prefix('p')
                .and_then(|n| n.parse::<usize>().ok())
                == Some(self.poller)
            || self.status.is_some() && needle.parse::<u16>().ok() == self.status
    }

    fn weight(&self) -> usize {
        self.text.len() + std::mem::size_of::<Self>()
    }
}

/// Cut `text` to at most `max` bytes at a character boundary.
fn cut(mut text: String, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}

/// Substring search ignoring ASCII case; `needle` must already be lowercase.
#[must_use]
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// A bounded list of feed items, oldest first.
#[derive(Debug)]
pub struct Feed {
    items: VecDeque<FeedItem>,
    cap: usize,
    byte_cap: usize,
    bytes: usize,
    dropped: u64,
    next_id: u64,
    generation: u64,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new(DEFAULT_CAP, DEFAULT_BYTE_CAP)
    }
}

impl Feed {
    /// An empty feed keeping at most `cap` items and about `byte_cap` bytes (the newest
    /// item is always kept).
    #[must_use]
    pub fn new(cap: usize, byte_cap: usize) -> Self {
        Self {
            items: VecDeque::with_capacity(cap.clamp(1, 1024)),
            cap: cap.max(1),
            byte_cap,
            bytes: 0,
            dropped: 0,
            next_id: 1,
            generation: 0,
        }
    }

    /// Append an item (its id is assigned here), dropping the oldest ones over the caps.
    pub fn push(&mut self, mut item: FeedItem) {
        item.id = self.next_id;
        self.next_id += 1;
        self.bytes += item.weight();
        self.items.push_back(item);
        while self.items.len() > self.cap || (self.bytes > self.byte_cap && self.items.len() > 1) {
            if let Some(old) = self.items.pop_front() {
                self.bytes = self.bytes.saturating_sub(old.weight());
                self.dropped += 1;
            }
        }
        self.generation += 1;
    }

    /// Items kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// No items kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Older items dropped to stay within the caps.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Changes whenever an item is added.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The id the newest item has (0 when empty).
    #[must_use]
    pub fn newest_id(&self) -> u64 {
        self.items.back().map_or(0, |i| i.id)
    }

    /// The item with `id`, if still kept.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<&FeedItem> {
        let front = self.items.front()?.id;
        let index = usize::try_from(id.checked_sub(front)?).ok()?;
        self.items.get(index)
    }

    /// Items, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &FeedItem> {
        self.items.iter().rev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> FeedItem {
        FeedItem::new(FeedKind::Event, 0, text.to_owned(), true)
    }

    #[test]
    fn cap_drops_oldest_and_counts_them() {
        let mut feed = Feed::new(3, usize::MAX);
        for i in 0..5 {
            feed.push(item(&i.to_string()));
        }
        assert_eq!(feed.len(), 3);
        assert_eq!(feed.dropped(), 2);
        let texts: Vec<&str> = feed.newest_first().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["4", "3", "2"]);
        assert!(feed.get(1).is_none(), "dropped");
        assert_eq!(feed.get(5).map(|i| i.text.as_str()), Some("4"));
        assert!(feed.get(6).is_none());
    }

    #[test]
    fn byte_cap_drops_but_keeps_the_newest() {
        let mut feed = Feed::new(100, 10);
        feed.push(item(&"a".repeat(50)));
        feed.push(item(&"b".repeat(50)));
        assert_eq!(feed.len(), 1);
        assert_eq!(feed.dropped(), 1);
        assert!(
            feed.newest_first()
                .next()
                .is_some_and(|i| i.text.starts_with('b'))
        );
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary_and_pretty_falls_back() {
        let text = "é".repeat(MAX_ITEM_TEXT);
        let i = FeedItem::new(FeedKind::Event, 0, text, true);
        assert!(i.truncated);
        assert!(i.text.len() <= MAX_ITEM_TEXT);
        assert_eq!(i.size, (MAX_ITEM_TEXT * 2) as u64);
        assert_eq!(i.pretty(), i.text, "a cut payload is shown raw");
        assert_eq!(i.row_text(3), "ééé");
    }

    #[test]
    fn pretty_prints_json_once_and_text_as_is() {
        let i = item(r#"{"a":1,"b":[1,2]}"#);
        assert!(i.pretty().contains("\n  \"a\": 1"), "{}", i.pretty());
        let t = FeedItem::new(FeedKind::Event, 0, "plain {".to_owned(), false);
        assert_eq!(t.pretty(), "plain {");
        let bad = item("{not json");
        assert_eq!(bad.pretty(), "{not json");
    }

    #[test]
    fn ascii_case_search() {
        assert!(contains_ignore_ascii_case("abcDEF", "cde"));
        assert!(!contains_ignore_ascii_case("ab", "abc"));
        assert!(contains_ignore_ascii_case("x", ""));
    }
}
