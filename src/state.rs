//! What every worker shares: host facts, process facts, counters and the
//! readiness switch.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use crate::host::{Host, StaticFacts};
use crate::metrics::Metrics;
use crate::routes;

pub struct AppState {
    pub host: Host,
    pub process: ProcessInfo,
    pub metrics: Metrics,
    /// Requests delayed by `?wait=` right now, and how many may be.
    pub waiting: WaitSlots,
    requests_served: AtomicU64,
    /// Requests between their head and their answer, right now.
    in_flight: AtomicUsize,
    /// Set by POST /ready/disable: not ready, while serving as usual.
    readiness_disabled: AtomicBool,
}

impl AppState {
    pub fn new(facts: StaticFacts, max_waiting: usize) -> Self {
        let process = ProcessInfo::now();
        Self {
            host: Host::new(facts, routes::host_json),
            metrics: Metrics::new(process.started_at_unix_seconds),
            waiting: WaitSlots::new(max_waiting),
            process,
            requests_served: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            readiness_disabled: AtomicBool::new(false),
        }
    }

    /// Counts a request and returns its number (1 for the first).
    pub fn count_request(&self) -> u64 {
        self.requests_served.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn requests_served(&self) -> u64 {
        self.requests_served.load(Ordering::Relaxed)
    }

    /// Counts a request as in flight until the returned guard is dropped.
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight { state: self }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub fn set_readiness_disabled(&self, disabled: bool) {
        self.readiness_disabled.store(disabled, Ordering::Relaxed);
    }

    pub fn is_readiness_disabled(&self) -> bool {
        self.readiness_disabled.load(Ordering::Relaxed)
    }
}

pub struct InFlight<'a> {
    state: &'a AppState,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.state.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A counting semaphore that never queues: a request either gets a slot at
/// once or is refused, so refused requests cost nothing while they wait.
pub struct WaitSlots {
    taken: AtomicUsize,
    max: usize,
}

impl WaitSlots {
    pub fn new(max: usize) -> Self {
        Self {
            taken: AtomicUsize::new(0),
            max,
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot, given back when the returned guard is dropped (also when the
    /// request's future is dropped because its client went away).
    pub fn try_take(&self) -> Option<WaitSlot<'_>> {
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < self.max).then_some(taken + 1)
            })
            .ok()
            .map(|_| WaitSlot { slots: self })
    }
}

pub struct WaitSlot<'a> {
    slots: &'a WaitSlots,
}

impl Drop for WaitSlot<'_> {
    fn drop(&mut self) {
        self.slots.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Facts about this process, fixed at start.
pub struct ProcessInfo {
    pub pid: u32,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub started_at_unix_seconds: f64,
    pub started: Instant,
    pub version: &'static str,
}

impl ProcessInfo {
    fn now() -> Self {
        let started_at = jiff::Timestamp::now();
        Self {
            pid: std::process::id(),
            started_at: format!("{started_at:.3}"),
            started_at_unix_seconds: started_at.as_millisecond() as f64 / 1000.0,
            started: Instant::now(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_at_is_rfc3339_utc_with_milliseconds() {
        let started_at = ProcessInfo::now().started_at;
        let parsed: jiff::Timestamp = started_at.parse().unwrap();
        assert!(started_at.ends_with('Z'), "{started_at}");
        assert_eq!(started_at.len(), "2025-01-01T00:00:00.000Z".len());
        assert!(parsed <= jiff::Timestamp::now());
    }

    #[test]
    fn request_numbers_start_at_one_and_increase() {
        let state = AppState::new(StaticFacts::gather(), 1);
        assert_eq!(state.count_request(), 1);
        assert_eq!(state.count_request(), 2);
        assert_eq!(state.requests_served(), 2);
    }

    #[test]
    fn wait_slots_refuse_past_the_cap_and_come_back_when_dropped() {
        let slots = WaitSlots::new(2);
        let first = slots.try_take().expect("a first slot");
        let second = slots.try_take().expect("a second slot");
        assert!(slots.try_take().is_none());
        drop(first);
        let third = slots.try_take().expect("the first slot, given back");
        drop((second, third));
        assert!(slots.try_take().is_some());
    }
}
