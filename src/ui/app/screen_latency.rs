//! How late events reach the screen, measured in the running app: for each event the
//! selected profile's live feed draws, the time from the server's timestamp on it to the
//! end of the frame that first drew it (the frame's start plus the CPU time eframe
//! reports for it on the next frame). Logged when the window closes, for the benchmark
//! suite (`bench/ui.py`); a few microseconds per frame.

use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::monitor::{Feed, FeedKind};

/// Recorded delays are capped here (a clock far off would only distort the top).
const MAX_RECORDED_MS: u64 = 60_000;

/// Delays from server timestamp to screen, in microseconds.
#[derive(Debug)]
pub(crate) struct ScreenLatency {
    /// The feed last looked at (its owner's key) and its newest item then.
    seen: Option<(u64, u64)>,
    /// Server timestamps of the events the last frame drew, and when that frame started.
    pending: Vec<SystemTime>,
    pending_start: Option<SystemTime>,
    delays_us: Option<Histogram<u64>>,
    /// Frames drawn, the CPU time eframe reported for them, and when the first started.
    frames: u64,
    frames_cpu_s: f64,
    first_frame: Option<std::time::Instant>,
}

impl Default for ScreenLatency {
    fn default() -> Self {
        Self {
            seen: None,
            pending: Vec::new(),
            pending_start: None,
            delays_us: Histogram::new_with_max(MAX_RECORDED_MS * 1000, 3).ok(),
            frames: 0,
            frames_cpu_s: 0.0,
            first_frame: None,
        }
    }
}

impl ScreenLatency {
    /// At the start of a frame: the previous frame is on screen now, `cpu` seconds
    /// after it started.
    pub fn frame_done(&mut self, cpu: Option<f32>) {
        self.first_frame.get_or_insert_with(std::time::Instant::now);
        self.frames += 1;
        self.frames_cpu_s += f64::from(cpu.unwrap_or(0.0).max(0.0));
        let Some(start) = self.pending_start.take() else {
            return;
        };
        let shown = start + Duration::from_secs_f32(cpu.unwrap_or(0.0).max(0.0));
        for published in self.pending.drain(..) {
            let delay = shown.duration_since(published).unwrap_or(Duration::ZERO);
            let us = u64::try_from(delay.as_micros())
                .unwrap_or(u64::MAX)
                .min(MAX_RECORDED_MS * 1000);
            if let Some(h) = &mut self.delays_us {
                h.saturating_record(us);
            }
        }
    }

    /// After a frame that started at `started` drew `feed` (identified by `key`) live:
    /// its events not drawn before are pending until the frame is on screen. A new feed
    /// (another profile, another session) starts from its newest item.
    pub fn drew(&mut self, key: u64, feed: &Feed, started: SystemTime) {
        let newest = feed.newest_id();
        let last = match self.seen {
            Some((k, last)) if k == key && last <= newest => last,
            _ => newest,
        };
        self.seen = Some((key, newest));
        for item in feed.newest_first().take_while(|i| i.id > last) {
            if item.kind != FeedKind::Event {
                continue;
            }
            let Some(latency_ms) = item.latency_ms.filter(|l| l.is_finite()) else {
                continue;
            };
            let published = if latency_ms >= 0.0 {
                item.received
                    .checked_sub(Duration::from_secs_f64(latency_ms / 1000.0))
            } else {
                item.received
                    .checked_add(Duration::from_secs_f64(-latency_ms / 1000.0))
            };
            if let Some(p) = published {
                self.pending.push(p);
                self.pending_start = Some(started);
            }
        }
    }

    /// The feed on screen is not live (paused, another tab): nothing drawn counts.
    pub fn not_drawn(&mut self) {
        self.seen = None;
    }

    /// "N frames in T s (F per second), X ms CPU each on average" (the app's part of a
    /// frame: eframe's figure leaves out what the renderer's own threads do).
    pub fn frames_summary(&self) -> Option<String> {
        let since = self.first_frame?.elapsed().as_secs_f64();
        #[expect(clippy::cast_precision_loss, reason = "a frame count")]
        let frames = self.frames as f64;
        (since > 0.0 && self.frames > 0).then(|| {
            format!(
                "{} frames in {since:.1} s ({:.1} per second), {:.1} ms CPU each on average",
                self.frames,
                frames / since,
                self.frames_cpu_s * 1000.0 / frames
            )
        })
    }

    /// "N events, p50 … ms, p95 … ms, max … ms", or `None` before any.
    pub fn summary(&self) -> Option<String> {
        let h = self.delays_us.as_ref().filter(|h| !h.is_empty())?;
        // The middle of each value's bucket (3 significant digits).
        let ms = |us: u64| h.median_equivalent(us) as f64 / 1000.0;
        Some(format!(
            "{} events, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            h.len(),
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.95)),
            ms(h.max())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::FeedItem;

    fn event(received: SystemTime, latency_ms: f64) -> FeedItem {
        let mut i = FeedItem::new(FeedKind::Event, 0, "{}".to_owned(), true);
        i.received = received;
        i.latency_ms = Some(latency_ms);
        i
    }

    #[test]
    fn measures_from_the_server_timestamp_to_the_frame_on_screen() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut feed = Feed::default();
        feed.push(event(t0, 10.0));
        let mut l = ScreenLatency::default();
        // The first look at a feed skips its backlog.
        l.drew(1, &feed, t0);
        l.frame_done(Some(0.001));
        assert_eq!(l.summary(), None);
        // Published at t0 + 90 ms, received at t0 + 100 ms, frame at t0 + 150 ms that
        // took 20 ms: 80 ms.
        feed.push(event(t0 + Duration::from_millis(100), 10.0));
        l.drew(1, &feed, t0 + Duration::from_millis(150));
        assert_eq!(l.summary(), None, "not on screen before the frame is done");
        l.frame_done(Some(0.020));
        assert_eq!(
            l.summary().as_deref(),
            Some("1 events, p50 80.0 ms, p95 80.0 ms, max 80.0 ms")
        );
        // Another feed: its backlog is not counted.
        let mut other = Feed::default();
        other.push(event(t0, 5.0));
        l.drew(2, &other, t0 + Duration::from_secs(9));
        l.frame_done(None);
        assert!(l.summary().is_some_and(|s| s.starts_with("1 events")));
    }
}
