//! The demo server's shared state: the ring of recent events (and the optional log
//! they are appended to), the seq counter, the live counters, the fault schedule and
//! the `watch` that wakes held requests. Plain data and locks; no sockets, no HTTP.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::faults::FaultPlan;
use super::persist::{EventLog, Restored};
use super::schedule::Schedule;
use super::{DemoServerConfig, ServerStats};

/// The per-request knobs of the configuration, fixed at start.
#[derive(Clone, Copy, Debug)]
pub(super) struct Settings {
    pub history: usize,
    pub default_hold: Duration,
    pub max_hold: Duration,
    pub max_batch: usize,
}

impl Settings {
    pub fn from_config(config: &DemoServerConfig) -> Self {
        Self {
            history: config.history.max(1),
            default_hold: config.default_hold,
            max_hold: config.max_hold,
            max_batch: config.max_batch.max(1),
        }
    }
}

/// One published event, serialized once at publish time so that waking thousands of
/// held requests copies bytes rather than re-encoding JSON.
#[derive(Clone, Debug)]
pub(super) struct StoredEvent {
    pub seq: u64,
    /// `{"seq":…,"ts_ms":…,"ts_us":…,"data":…}`
    pub json: Arc<str>,
}

/// Recent events, oldest first, with strictly increasing (not necessarily
/// consecutive) seqs.
#[derive(Debug)]
pub(super) struct Ring {
    events: VecDeque<StoredEvent>,
    capacity: usize,
    next_seq: u64,
    last_seq: u64,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            events: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            next_seq: 1,
            last_seq: 0,
        }
    }

    /// A ring holding `restored` (as read from a log), numbering on after its last seq.
    pub fn restore(capacity: usize, restored: Restored) -> Self {
        let mut ring = Self::new(capacity);
        let skip = restored.events.len().saturating_sub(ring.capacity);
        ring.events.extend(restored.events.into_iter().skip(skip));
        ring.last_seq = restored.last_seq;
        ring.next_seq = restored.last_seq.saturating_add(1);
        ring
    }

    /// Append an event stamped `now`; returns its seq. Evicts the oldest when full.
    pub fn push(&mut self, data: &serde_json::Value, now: SystemTime) -> u64 {
        let seq = self.next_seq;
        self.next_seq = seq.saturating_add(1);
        self.last_seq = seq;
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let ts_ms = u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX);
        let ts_us = u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX);
        // `Value`'s Display is compact JSON.
        let json = format!(r#"{{"seq":{seq},"ts_ms":{ts_ms},"ts_us":{ts_us},"data":{data}}}"#);
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(StoredEvent {
            seq,
            json: json.into(),
        });
        seq
    }

    /// Leave a gap: the next event's seq jumps by `n`.
    pub fn skip(&mut self, n: u64) {
        self.next_seq = self.next_seq.saturating_add(n);
    }

    /// The JSON of the newest event.
    #[must_use]
    pub fn newest_json(&self) -> Option<&str> {
        self.events.back().map(|event| &*event.json)
    }

    #[must_use]
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Where a request with `cursor` starts: the cursor itself, or the tip when it is
    /// absent or beyond the last published seq (the client outlived a restart).
    #[must_use]
    pub fn start_after(&self, cursor: Option<u64>) -> u64 {
        match cursor {
            Some(cursor) if cursor <= self.last_seq => cursor,
            _ => self.last_seq,
        }
    }

    /// Up to `max` events with seq > `after`, oldest first. A cursor older than the
    /// ring gets the oldest events kept.
    #[must_use]
    pub fn after(&self, after: u64, max: usize) -> Vec<StoredEvent> {
        let first = self.events.partition_point(|event| event.seq <= after);
        self.events.range(first..).take(max).cloned().collect()
    }
}

/// The ring and the log it is written to, under one lock so the log's order is the
/// seqs' order.
struct Events {
    ring: Ring,
    log: Option<EventLog>,
}

/// Everything the server's tasks and the owning [`super::DemoServer`] share.
pub(super) struct Shared {
    pub settings: Settings,
    /// Which `/events` requests to spoil.
    pub faults: Schedule,
    events: Mutex<Events>,
    /// The last published seq; held requests wait for it to change.
    tip: watch::Sender<u64>,
    accepted: AtomicU64,
    open: AtomicU64,
    requests: AtomicU64,
    held: AtomicU64,
    published: AtomicU64,
}

impl Shared {
    /// `log`: the event log and what it held at start.
    pub fn new(settings: Settings, plan: FaultPlan, log: Option<(EventLog, Restored)>) -> Self {
        let (ring, log) = match log {
            Some((log, restored)) => (Ring::restore(settings.history, restored), Some(log)),
            None => (Ring::new(settings.history), None),
        };
        Self {
            tip: watch::Sender::new(ring.last_seq()),
            events: Mutex::new(Events { ring, log }),
            faults: Schedule::new(plan),
            settings,
            accepted: AtomicU64::new(0),
            open: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            held: AtomicU64::new(0),
            published: AtomicU64::new(0),
        }
    }

    fn events(&self) -> MutexGuard<'_, Events> {
        // The ring stays consistent even if a holder panicked: each push is complete
        // before anything can panic.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publish `data` from any thread (sync or async); returns the seq. With a log,
    /// the event is appended to it first (blocking, a few microseconds).
    pub fn publish(&self, data: &serde_json::Value) -> u64 {
        let mut events = self.events();
        let Events { ring, log } = &mut *events;
        let seq = ring.push(data, SystemTime::now());
        if let (Some(log), Some(json)) = (log.as_mut(), ring.newest_json()) {
            log.append(json);
        }
        self.published.fetch_add(1, Ordering::Relaxed);
        // Under the lock, so the watched value never goes backwards.
        self.tip.send_replace(seq);
        seq
    }

    pub fn skip_seq(&self, n: u64) {
        self.events().ring.skip(n);
    }

    /// A receiver that sees every publish from now on. Subscribe *before* looking at
    /// the ring, so an event published in between still wakes the waiter.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tip.subscribe()
    }

    pub fn start_after(&self, cursor: Option<u64>) -> u64 {
        self.events().ring.start_after(cursor)
    }

    pub fn events_after(&self, after: u64) -> Vec<StoredEvent> {
        self.events().ring.after(after, self.settings.max_batch)
    }

    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Count an accepted connection; it stays open until the guard is dropped.
    pub fn accept(self: &Arc<Self>) -> OpenGuard {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenGuard(Arc::clone(self))
    }

    /// Count a held request until the guard is dropped (answered or abandoned).
    pub fn hold(&self) -> HeldGuard<'_> {
        self.held.fetch_add(1, Ordering::Relaxed);
        HeldGuard(self)
    }

    /// Requests waiting for an event now; one atomic load.
    pub fn held_requests(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> ServerStats {
        let last_seq = self.events().ring.last_seq();
        let (faults_injected, faults) = self.faults.injected();
        ServerStats {
            accepted_connections: self.accepted.load(Ordering::Relaxed),
            open_connections: self.open.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            held_requests: self.held.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            last_seq,
            faults_injected,
            faults,
        }
    }
}

/// An open connection; dropping it (the connection task ends or is cancelled)
/// uncounts it.
pub(super) struct OpenGuard(Arc<Shared>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A held `/events` request. hyper drops the request future when its connection
/// closes, so a client hanging up mid-hold uncounts itself.
pub(super) struct HeldGuard<'a>(&'a Shared);

impl Drop for HeldGuard<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shared() -> Shared {
        let settings = Settings::from_config(&DemoServerConfig::default());
        Shared::new(settings, FaultPlan::default(), None)
    }

    fn seqs(events: &[StoredEvent]) -> Vec<u64> {
        events.iter().map(|event| event.seq).collect()
    }

    fn ring_with(capacity: usize, count: usize) -> Ring {
        let mut ring = Ring::new(capacity);
        for n in 0..count {
            ring.push(&json!({ "n": n }), SystemTime::now());
        }
        ring
    }

    #[test]
    fn seqs_start_at_one_and_skip_leaves_a_gap() {
        let mut ring = Ring::new(10);
        assert_eq!(ring.last_seq(), 0);
        assert_eq!(ring.push(&json!(1), SystemTime::now()), 1);
        ring.skip(5);
        assert_eq!(ring.push(&json!(2), SystemTime::now()), 7);
        assert_eq!(ring.last_seq(), 7);
        assert_eq!(seqs(&ring.after(0, 10)), [1, 7]);
        assert_eq!(seqs(&ring.after(1, 10)), [7]);
        assert_eq!(seqs(&ring.after(3, 10)), [7]);
    }

    #[test]
    fn catch_up_is_oldest_first_and_capped() {
        let ring = ring_with(100, 10);
        assert_eq!(seqs(&ring.after(0, 3)), [1, 2, 3]);
        assert_eq!(seqs(&ring.after(7, 100)), [8, 9, 10]);
        assert!(ring.after(10, 100).is_empty());
    }

    #[test]
    fn old_cursor_gets_the_oldest_events_kept() {
        let ring = ring_with(3, 5);
        assert_eq!(seqs(&ring.after(0, 100)), [3, 4, 5]);
        assert_eq!(seqs(&ring.after(1, 2)), [3, 4]);
    }

    #[test]
    fn absent_or_future_cursor_starts_at_the_tip() {
        let ring = ring_with(10, 4);
        assert_eq!(ring.start_after(None), 4);
        assert_eq!(ring.start_after(Some(99)), 4);
        assert_eq!(ring.start_after(Some(4)), 4);
        assert_eq!(ring.start_after(Some(2)), 2);
        assert_eq!(Ring::new(10).start_after(Some(5)), 0);
    }

    #[test]
    fn stored_json_has_seq_timestamps_and_data() {
        let mut ring = Ring::new(1);
        let at = UNIX_EPOCH + Duration::from_micros(1_764_000_000_123_456);
        ring.push(&json!({ "a": [1, "x"] }), at);
        let event: serde_json::Value = serde_json::from_str(&ring.after(0, 1)[0].json).unwrap();
        assert_eq!(
            event,
            json!({
                "seq": 1,
                "ts_ms": 1_764_000_000_123_u64,
                "ts_us": 1_764_000_000_123_456_u64,
                "data": { "a": [1, "x"] },
            })
        );
    }

    #[test]
    fn zero_history_still_keeps_the_last_event() {
        let ring = ring_with(0, 3);
        assert_eq!(seqs(&ring.after(0, 10)), [3]);
    }

    #[test]
    fn restored_ring_numbers_on() {
        let stored = |seq: u64| StoredEvent {
            seq,
            json: format!(r#"{{"seq":{seq}}}"#).into(),
        };
        let restored = Restored {
            events: vec![stored(4), stored(6), stored(9)],
            last_seq: 9,
        };
        let mut ring = Ring::restore(2, restored);
        assert_eq!(seqs(&ring.after(0, 10)), [6, 9]);
        assert_eq!(ring.start_after(Some(12)), 9);
        assert_eq!(ring.push(&json!(1), SystemTime::now()), 10);
    }

    #[test]
    fn guards_count_up_and_down() {
        let shared = Arc::new(shared());
        let open = shared.accept();
        let held = shared.hold();
        assert_eq!(shared.stats().open_connections, 1);
        assert_eq!(shared.stats().held_requests, 1);
        drop(held);
        drop(open);
        let stats = shared.stats();
        assert_eq!((stats.accepted_connections, stats.open_connections), (1, 0));
        assert_eq!(stats.held_requests, 0);
    }

    #[test]
    fn publish_moves_the_watched_tip() {
        let shared = shared();
        let mut rx = shared.subscribe();
        assert!(!rx.has_changed().unwrap());
        assert_eq!(shared.publish(&json!(null)), 1);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 1);
        assert_eq!(shared.stats().published, 1);
        assert_eq!(shared.stats().last_seq, 1);
    }
}
