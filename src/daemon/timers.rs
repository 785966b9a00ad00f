//! The deadline heap: the loop sleeps until the earliest entry, never on a periodic tick.
//!
//! Cancellation is lazy: owners keep a generation number and ignore entries whose generation
//! is stale when they pop. A stale entry leaves the heap at its own deadline, so the heap
//! holds at most the deadlines armed within the longest timeout.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::daemon::conn::ConnId;
use crate::model::ProcId;

/// Who a deadline belongs to; the `u64` is the owner's generation when it was armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKey {
    Process(ProcId, u64),
    HttpStall(ConnId),
    /// A listener retries `accept` after running out of descriptors (D9).
    Accept(usize),
    Tick,
    ShutdownReport,
    /// The next `waiting for <name> to stop` of a process whose stop is awaited.
    StopReport(ProcId),
    /// SIGHUPs merged into one more reload (D10).
    Reload,
    /// A process's readiness/health deadlines (issue 14), with the watch's generation.
    Watch(ProcId, u64),
}

#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, TimerKey)>>,
    seq: u64,
}

impl Timers {
    pub fn new() -> Timers {
        Timers::default()
    }

    pub fn push(&mut self, at: Instant, key: TimerKey) {
        self.seq = self.seq.wrapping_add(1);
        self.heap.push(Reverse((at, self.seq, key)));
    }

    /// Removes and returns every entry due at `now`, earliest first.
    pub fn pop_due(&mut self, now: Instant, out: &mut Vec<TimerKey>) {
        while let Some(Reverse((at, _, key))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            out.push(key);
        }
    }

    /// How long the loop may sleep: `None` to block, rounded up to whole milliseconds so a
    /// wake-up is never early (which would spin).
    pub fn timeout(&self, now: Instant) -> Option<Duration> {
        self.heap.peek().map(|Reverse((at, _, _))| {
            let d = at.saturating_duration_since(now);
            let ms = d.as_nanos().div_ceil(1_000_000);
            Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_order_and_rounds_timeouts_up() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        assert_eq!(t.timeout(t0), None);
        t.push(t0 + Duration::from_micros(2500), TimerKey::Tick);
        t.push(
            t0 + Duration::from_millis(1),
            TimerKey::Process(ProcId(1), 0),
        );
        assert_eq!(t.timeout(t0), Some(Duration::from_millis(1)));
        assert_eq!(
            t.timeout(t0 + Duration::from_micros(100)),
            Some(Duration::from_millis(1))
        );
        let mut due = vec![];
        t.pop_due(t0 + Duration::from_millis(2), &mut due);
        assert_eq!(due, [TimerKey::Process(ProcId(1), 0)]);
        assert_eq!(
            t.timeout(t0 + Duration::from_millis(2)),
            Some(Duration::from_millis(1))
        );
        t.pop_due(t0 + Duration::from_millis(3), &mut due);
        assert_eq!(due.len(), 2);
        assert_eq!(t.timeout(t0), None);
    }
}
