//! The alert pump: a named thread between a session and whoever watches it. It takes
//! every [`PollEvent`] the pollers send, feeds the profile's [`Alerts`] (and an optional
//! per-event hook, e.g. metrics), forwards the event if asked, and evaluates the rules
//! whenever something arrives and whenever a threshold may be crossed with nothing
//! arriving. So alerts fire (and notifications go out) on time even when the face is
//! asleep: a minimised window draws no frames, but this thread keeps watching.
//!
//! It ends by itself when the session's pollers have all ended.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{Alerts, Transition};
use crate::poll::{PollEvent, Waker};
use crate::transport::TransportMetrics;

/// Longest sleep between evaluations: open connections (`conns` rules) are read from
/// the transport, which sends no events.
pub const MAX_NAP: Duration = Duration::from_secs(1);
/// Rules are evaluated at most this often while events stream in.
pub const EVALUATE_EVERY: Duration = Duration::from_millis(100);
/// Events taken in one go before evaluating.
const BATCH: usize = 4096;

/// Called for every event, on the pump's thread.
pub type EventHook = Box<dyn FnMut(&PollEvent) + Send>;
/// Called for every transition, on the pump's thread, with the alerts after it.
pub type TransitionHook = Box<dyn FnMut(&Transition, &Alerts) + Send>;
/// Called after each evaluation, on the pump's thread (gauges, badges).
pub type EvaluatedHook = Box<dyn FnMut(&Alerts, Instant) + Send>;

/// What a pump does besides feeding the alerts.
pub struct PumpHooks {
    /// Forward every event here, in order (the face drains it).
    pub forward: Option<Sender<PollEvent>>,
    /// Called after forwarding a batch, and after a transition or a change of the
    /// quiet/stalled state (so the face redraws).
    pub waker: Waker,
    /// Sees every event after the alerts did.
    pub on_event: Option<EventHook>,
    /// Sees every transition.
    pub on_transition: Option<TransitionHook>,
    /// Sees the alerts after each evaluation.
    pub on_evaluated: Option<EvaluatedHook>,
}

impl Default for PumpHooks {
    fn default() -> Self {
        Self {
            forward: None,
            waker: crate::poll::no_waker(),
            on_event: None,
            on_transition: None,
            on_evaluated: None,
        }
    }
}

/// A running pump.
pub struct Pump {
    alerts: Arc<Mutex<Alerts>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Pump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pump").finish_non_exhaustive()
    }
}

impl Pump {
    /// Start pumping `source` (a session's events) through `alerts`.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn spawn(
        name: &str,
        source: Receiver<PollEvent>,
        alerts: Alerts,
        metrics: Arc<TransportMetrics>,
        hooks: PumpHooks,
    ) -> std::io::Result<Self> {
        let alerts = Arc::new(Mutex::new(alerts));
        let shared = Arc::clone(&alerts);
        let thread = std::thread::Builder::new()
            .name(format!("pollscope-alerts-{name}"))
            .spawn(move || run(&source, &shared, &metrics, hooks))?;
        Ok(Self {
            alerts,
            thread: Some(thread),
        })
    }

    /// The alerts as the pump has them (lock held briefly by the pump).
    pub fn alerts(&self) -> MutexGuard<'_, Alerts> {
        lock(&self.alerts)
    }

    /// The shared alerts, for readers on other threads.
    #[must_use]
    pub fn shared(&self) -> Arc<Mutex<Alerts>> {
        Arc::clone(&self.alerts)
    }

    /// The pump has ended (its session's pollers all ended).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Wait up to `deadline` for the pump to end (after its session stopped); returns
    /// whether it did.
    pub fn join_within(&mut self, deadline: Duration) -> bool {
        let until = Instant::now() + deadline;
        while !self.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
        match self.thread.take() {
            Some(t) if t.is_finished() => {
                if t.join().is_err() {
                    log::warn!("an alert pump thread panicked");
                }
                true
            }
            Some(t) => {
                self.thread = Some(t);
                false
            }
            None => true,
        }
    }
}

/// Lock, recovering from a poisoned lock: the alerts are plain data.
pub fn lock(alerts: &Mutex<Alerts>) -> MutexGuard<'_, Alerts> {
    alerts.lock().unwrap_or_else(PoisonError::into_inner)
}

fn run(
    source: &Receiver<PollEvent>,
    alerts: &Mutex<Alerts>,
    metrics: &TransportMetrics,
    mut hooks: PumpHooks,
) {
    let mut last_eval: Option<Instant> = None;
    // Events taken in since the last evaluation (which was too recent to repeat).
    let mut pending = false;
    let mut shown = (false, false);
    loop {
        let now = Instant::now();
        let mut nap = lock(alerts)
            .next_check(now)
            .map_or(MAX_NAP, |t| t.saturating_duration_since(now))
            .min(MAX_NAP);
        if pending && let Some(t) = last_eval {
            // Judge what arrived before a threshold can be crossed again: an event
            // that ends a quiet spell must resolve it even if silence follows.
            nap = nap.min((t + EVALUATE_EVERY).saturating_duration_since(now));
        }
        let first = match source.recv_timeout(nap) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let got = first.is_some();
        if let Some(first) = first {
            let mut guard = lock(alerts);
            for event in std::iter::once(first).chain(source.try_iter().take(BATCH)) {
                guard.observe(&event);
                if let Some(hook) = &mut hooks.on_event {
                    hook(&event);
                }
                if let Some(tx) = &hooks.forward {
                    // The face went away: keep evaluating (notifications) regardless.
                    let _ = tx.send(event).is_ok();
                }
            }
        }
        let now = Instant::now();
        let due =
            last_eval.is_none_or(|t| now.saturating_duration_since(t) >= EVALUATE_EVERY) || !got;
        pending |= got;
        let mut wake = got && hooks.forward.is_some();
        if due {
            last_eval = Some(now);
            pending = false;
            let mut guard = lock(alerts);
            let changes = guard.evaluate(now, metrics.open_connections());
            for change in &changes {
                if let Some(hook) = &mut hooks.on_transition {
                    hook(change, &guard);
                }
            }
            if let Some(hook) = &mut hooks.on_evaluated {
                hook(&guard, now);
            }
            let state = (
                guard.liveness().quiet(now).is_some(),
                guard.liveness().stalled(now).is_some(),
            );
            wake |= !changes.is_empty() || state != shown;
            shown = state;
        }
        if wake {
            (hooks.waker)();
        }
    }
    // The session has ended: a last report for gauges and the face.
    if let Some(hook) = &mut hooks.on_evaluated {
        hook(&lock(alerts), Instant::now());
    }
    (hooks.waker)();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Liveness;
    use crate::poll::{Payload, PollResponse, ReceivedEvent};

    #[test]
    fn events_are_forwarded_in_order_and_alerts_fire_with_nothing_arriving() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (fwd_tx, fwd_rx) = crossbeam_channel::unbounded();
        let (seen_tx, seen_rx) = crossbeam_channel::unbounded();
        let t0 = Instant::now();
        let rules = vec!["quiet>300ms".parse().unwrap()];
        let alerts = Alerts::new(
            "p",
            &rules,
            Liveness::new(t0, Duration::from_secs(30), None),
        );
        let hooks = PumpHooks {
            forward: Some(fwd_tx),
            on_transition: Some(Box::new(move |t, _| {
                let _ = seen_tx.send((t.state, Instant::now())).is_ok();
            })),
            ..PumpHooks::default()
        };
        let mut pump = Pump::spawn("test", rx, alerts, Arc::default(), hooks).unwrap();
        for poller in 0..3 {
            let now = Instant::now();
            let r = PollResponse {
                events: vec![ReceivedEvent {
                    payload: Payload::Text("x".to_owned()),
                    seq: None,
                    latency_ms: None,
                }],
                ..PollResponse::new(poller, now, now)
            };
            tx.send(PollEvent::Response(Box::new(r))).unwrap();
        }
        let sent_last = Instant::now();
        let order: Vec<usize> = (0..3)
            .map(|_| {
                fwd_rx
                    .recv_timeout(Duration::from_secs(5))
                    .unwrap()
                    .poller()
            })
            .collect();
        assert_eq!(order, [0, 1, 2]);
        // Nothing else is sent: the pump's own clock fires the quiet rule.
        let (state, at) = seen_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(state, crate::alert::AlertState::Firing);
        let after = at.duration_since(sent_last);
        assert!(after >= Duration::from_millis(300), "{after:?}");
        assert_eq!(pump.alerts().firing(), 1);
        drop(tx);
        assert!(
            pump.join_within(Duration::from_secs(5)),
            "ends with its source"
        );
    }
}
