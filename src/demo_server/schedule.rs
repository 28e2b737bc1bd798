//! The fault schedule: the plan in force, shared by all connections, picking the
//! `/events` requests to spoil (every Nth, counted server-wide; at most K times) and
//! counting what it injected. One lock; no HTTP, no sockets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::faults::{Fault, FaultCounts, FaultPlan, FaultStatus};

/// The plan in force, shared by all connections; picks the requests to spoil.
pub(super) struct Schedule {
    status: Mutex<FaultStatus>,
    injected: [AtomicU64; Fault::KINDS],
}

impl Schedule {
    pub fn new(plan: FaultPlan) -> Self {
        let schedule = Self {
            status: Mutex::new(FaultStatus::default()),
            injected: Default::default(),
        };
        schedule.set(plan);
        schedule
    }

    fn status_lock(&self) -> MutexGuard<'_, FaultStatus> {
        // Every update completes before anything can panic.
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replace the plan (already checked) and restart its counting.
    pub fn set(&self, plan: FaultPlan) {
        *self.status_lock() = FaultStatus {
            plan,
            counted: 0,
            injected: 0,
            remaining: plan.times,
        };
    }

    pub fn status(&self) -> FaultStatus {
        *self.status_lock()
    }

    /// The fault to inject into this `/events` request, if any. `reused`: the request
    /// came on a connection that had already served one.
    pub fn pick(&self, reused: bool) -> Option<Fault> {
        let mut status = self.status_lock();
        let fault = status.plan.fault;
        if fault == Fault::None
            || (fault == Fault::CloseOnReuse && !reused)
            || status.remaining == Some(0)
        {
            return None;
        }
        status.counted += 1;
        if !status.counted.is_multiple_of(status.plan.every.max(1)) {
            return None;
        }
        status.injected += 1;
        if let Some(left) = status.remaining.as_mut() {
            *left -= 1;
        }
        drop(status);
        self.injected[fault.kind()].fetch_add(1, Ordering::Relaxed);
        Some(fault)
    }

    /// All injected since start, and per kind.
    pub fn injected(&self) -> (u64, FaultCounts) {
        let counters: [u64; Fault::KINDS] =
            std::array::from_fn(|kind| self.injected[kind].load(Ordering::Relaxed));
        (counters.iter().sum(), FaultCounts::from_counters(&counters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picks(schedule: &Schedule, requests: usize, reused: bool) -> Vec<bool> {
        (0..requests)
            .map(|_| schedule.pick(reused).is_some())
            .collect()
    }

    #[test]
    fn every_nth_and_bursts() {
        let schedule = Schedule::new(FaultPlan::every(Fault::MalformedJson, 3));
        assert_eq!(
            picks(&schedule, 7, false),
            [false, false, true, false, false, true, false]
        );
        schedule.set(FaultPlan::burst(Fault::Status { code: 503 }, 2));
        assert_eq!(picks(&schedule, 4, true), [true, true, false, false]);
        let status = schedule.status();
        assert_eq!(
            (status.counted, status.injected, status.remaining),
            (2, 2, Some(0))
        );
        let (total, counts) = schedule.injected();
        assert_eq!((total, counts.malformed_json, counts.status), (4, 2, 2));
    }

    #[test]
    fn close_on_reuse_counts_only_reused_connections() {
        let schedule = Schedule::new(FaultPlan::every(Fault::CloseOnReuse, 2));
        assert_eq!(picks(&schedule, 3, false), [false, false, false]);
        assert_eq!(picks(&schedule, 4, true), [false, true, false, true]);
        assert_eq!(schedule.injected().1.close_on_reuse, 2);
    }
}
