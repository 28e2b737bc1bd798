//! A copy of the events a monitor's feed holds, taken on the UI thread (a plain copy, no
//! I/O) and written as JSON Lines elsewhere, in the format of
//! [`crate::export::write_event`].
//!
//! Plain data; no egui, no threads.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::feed::{Feed, FeedKind};
use crate::export::{EventRecord, PayloadRef};

/// One event as the feed keeps it.
#[derive(Clone, Debug)]
struct Line {
    received: SystemTime,
    poller: usize,
    status: u16,
    seq: Option<i64>,
    latency_ms: Option<f64>,
    text: String,
    /// The text is the event's whole JSON (not cut in memory).
    json: bool,
}

/// The events of a feed, oldest first.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    lines: Vec<Line>,
    /// Older items the feed had already dropped (not in this log).
    pub dropped: u64,
}

impl EventLog {
    /// Copy the events (not failures or warnings) `feed` holds.
    #[must_use]
    pub fn from_feed(feed: &Feed) -> Self {
        let mut lines: Vec<Line> = feed
            .newest_first()
            .filter(|i| i.kind == FeedKind::Event)
            .map(|i| Line {
                received: i.received,
                poller: i.poller,
                status: i.status.unwrap_or(0),
                seq: i.seq,
                latency_ms: i.latency_ms,
                text: i.text.clone(),
                json: i.is_json && !i.truncated,
            })
            .collect();
        lines.reverse();
        Self {
            lines,
            dropped: feed.dropped(),
        }
    }

    /// Events in the log.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// No events.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Write one JSON object per line. JSON payloads are written as JSON, anything else
    /// (including payloads cut in memory) as `{"text": …}`.
    pub fn write_jsonl(&self, w: &mut impl Write) -> io::Result<()> {
        for line in &self.lines {
            let parsed = line
                .json
                .then(|| serde_json::from_str::<Value>(&line.text).ok())
                .flatten();
            let payload = match &parsed {
                Some(v) => PayloadRef::Json(v),
                None => PayloadRef::Text { text: &line.text },
            };
            let record = EventRecord {
                received_ms: line
                    .received
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis()),
                poller: line.poller,
                status: line.status,
                seq: line.seq,
                latency_ms: line.latency_ms,
                payload,
            };
            serde_json::to_writer(&mut *w, &record)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::FeedItem;

    #[test]
    fn events_only_oldest_first_json_as_json() {
        let mut feed = Feed::default();
        let mut a = FeedItem::new(FeedKind::Event, 0, r#"{"seq":1}"#.to_owned(), true);
        a.seq = Some(1);
        a.status = Some(200);
        feed.push(a);
        feed.push(FeedItem::new(
            FeedKind::Failure,
            0,
            "refused".to_owned(),
            false,
        ));
        feed.push(FeedItem::new(FeedKind::Event, 1, "plain".to_owned(), false));
        let log = EventLog::from_feed(&feed);
        assert_eq!(log.len(), 2);
        let mut out = Vec::new();
        log.write_jsonl(&mut out).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["payload"]["seq"], 1);
        assert_eq!(lines[0]["seq"], 1);
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[1]["payload"]["text"], "plain");
        assert_eq!(lines[1]["poller"], 1);
    }
}
