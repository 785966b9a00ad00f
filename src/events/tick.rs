//! TICK_5 / TICK_60 / TICK_3600: wall-clock slices and when to emit (reference §6.1).
//!
//! Pure: the caller reads the wall clock (time since the Unix epoch), passes it in, and
//! sleeps until the returned deadline. This module must not read a clock or publish.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::Duration;

use crate::events::payload::Event;
use crate::events::types::EventType;

/// The concrete tick types with their periods in seconds, in the reference's emit order.
const TICKS: [(EventType, u64); 3] = [
    (EventType::Tick5, 5),
    (EventType::Tick60, 60),
    (EventType::Tick3600, 3600),
];

/// The start of the slice of `period` seconds holding `now` (Python's `timeslice`:
/// `int(now - now % period)`).
pub fn timeslice(period: u64, now: Duration) -> u64 {
    let secs = now.as_secs();
    secs.saturating_sub(secs.checked_rem(period).unwrap_or(0))
}

/// The first slice boundary strictly after `now`.
pub fn next_boundary(period: u64, now: Duration) -> Duration {
    Duration::from_secs(timeslice(period, now).saturating_add(period.max(1)))
}

/// The slice last seen for each tick type; a new slice means one event.
#[derive(Debug, Clone, Default)]
pub struct TickState {
    last: [Option<u64>; 3],
}

impl TickState {
    pub fn new() -> TickState {
        TickState::default()
    }

    /// Feeds the wall time at a wake-up; returns the TICK events to publish (in TICK_5,
    /// TICK_60, TICK_3600 order) and the wall time of the next boundary.
    ///
    /// The first call only records the current slices. Afterwards a type fires once when
    /// its slice differs from the recorded one, whatever the distance, so a clock jump
    /// (either way) gives at most one event per type, never a burst of missed ones.
    pub fn on_wake(&mut self, now: Duration) -> (Vec<Event>, Duration) {
        let mut events = Vec::new();
        for (last, (kind, period)) in self.last.iter_mut().zip(TICKS) {
            let this = timeslice(period, now);
            if last.is_some_and(|prev| prev != this) {
                events.push(Event::tick(kind, this));
            }
            *last = Some(this);
        }
        let next = TICKS
            .iter()
            .map(|(_, period)| next_boundary(*period, now))
            .min()
            .unwrap_or(now);
        (events, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    fn payloads(events: &[Event]) -> Vec<(&'static str, &str)> {
        events
            .iter()
            .map(|e| (e.kind.name(), e.payload.as_str()))
            .collect()
    }

    #[test]
    fn slices_and_boundaries() {
        assert_eq!(timeslice(5, at(1795313267.9)), 1795313265);
        assert_eq!(timeslice(60, at(1795313267.9)), 1795313220);
        assert_eq!(timeslice(3600, at(1795313267.9)), 1795312800);
        assert_eq!(timeslice(5, at(1795313265.0)), 1795313265);
        assert_eq!(next_boundary(5, at(1795313265.0)), at(1795313270.0));
        assert_eq!(next_boundary(5, at(1795313269.999)), at(1795313270.0));
    }

    #[test]
    fn first_call_only_records() {
        let mut t = TickState::new();
        let (events, next) = t.on_wake(at(1795313267.5));
        assert!(events.is_empty());
        assert_eq!(next, at(1795313270.0));
        let (events, _) = t.on_wake(at(1795313269.9));
        assert!(events.is_empty());
    }

    #[test]
    fn new_slice_emits_once_with_its_start() {
        let mut t = TickState::new();
        t.on_wake(at(1795313267.5));
        let (events, next) = t.on_wake(at(1795313270.01));
        assert_eq!(payloads(&events), [("TICK_5", "when:1795313270")]);
        assert_eq!(next, at(1795313275.0));
        let (events, _) = t.on_wake(at(1795313271.0));
        assert!(events.is_empty());
    }

    #[test]
    fn hour_boundary_emits_all_three_in_order() {
        let mut t = TickState::new();
        t.on_wake(at(1795312799.5));
        let (events, _) = t.on_wake(at(1795312800.2));
        assert_eq!(
            payloads(&events),
            [
                ("TICK_5", "when:1795312800"),
                ("TICK_60", "when:1795312800"),
                ("TICK_3600", "when:1795312800"),
            ]
        );
    }

    #[test]
    fn clock_jumps_give_at_most_one_event_per_type() {
        let mut t = TickState::new();
        t.on_wake(at(1000.0));
        // A day forward: one of each, not thousands.
        let (events, _) = t.on_wake(at(1000.0 + 86400.0));
        assert_eq!(events.len(), 3);
        // Backwards: the slice differs again, one event each with the earlier slice.
        let (events, next) = t.on_wake(at(1002.0));
        assert_eq!(
            payloads(&events),
            [
                ("TICK_5", "when:1000"),
                ("TICK_60", "when:960"),
                ("TICK_3600", "when:0"),
            ]
        );
        assert_eq!(next, at(1005.0));
    }

    #[test]
    fn early_wake_before_boundary_emits_nothing_and_keeps_deadline() {
        let mut t = TickState::new();
        t.on_wake(at(1001.0));
        let (events, next) = t.on_wake(at(1004.999));
        assert!(events.is_empty());
        assert_eq!(next, at(1005.0));
    }
}
