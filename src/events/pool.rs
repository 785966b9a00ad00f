//! Listener pools' event buffers and the bus that feeds them (reference §6.2, §6.3).
//!
//! Owns subscriptions, the global and per-pool serials, the bounded buffers with their
//! overflow and rebuffer rules, and the dispatch order. It must not touch listener
//! processes or pipes: the caller writes envelopes and feeds results back. Log lines are
//! returned, never written.

use std::collections::VecDeque;
use std::rc::Rc;

use crate::events::payload::Event;
use crate::events::types::EventType;
use crate::logging::level::Level;

/// A log line for the caller to write to the activity log.
pub type LogLine = (Level, String);

/// A serial counter: 0, 1, … up to the platform's maxint, then 0 again (`new_serial`).
#[derive(Debug, Clone, Default)]
struct Serial {
    next: u64,
}

impl Serial {
    fn take(&mut self) -> u64 {
        let serial = self.next;
        self.next = if serial >= i64::MAX as u64 {
            0
        } else {
            serial + 1
        };
        serial
    }
}

/// An event waiting in (or taken from) one pool's buffer, with the serials it keeps
/// across re-sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// Shared by every pool that accepted the event.
    pub event: Rc<Event>,
    pub serial: u64,
    pub pool_serial: u64,
}

impl QueuedEvent {
    /// The bytes to write to a listener of pool `pool`.
    pub fn envelope(&self, identifier: &str, pool: &str) -> Vec<u8> {
        self.event
            .envelope(identifier, self.serial, pool, self.pool_serial)
    }
}

/// DEBG text after an envelope was written to a listener.
pub fn sent_text(serial: u64, listener: &str) -> String {
    format!("event {serial} sent to listener {listener}")
}

/// DEBG text when writing an envelope hit EPIPE (the next listener is tried).
pub fn epipe_text(serial: u64, listener: &str) -> String {
    format!("epipe occurred while sending event {serial} to listener {listener}, listener state unchanged")
}

/// The event buffer of one `[eventlistener:x]` pool.
#[derive(Debug, Clone)]
pub struct Pool {
    name: String,
    subscriptions: Vec<EventType>,
    buffer_size: usize,
    serial: Serial,
    buffer: VecDeque<QueuedEvent>,
    /// Events discarded because the buffer was full (`/metrics`).
    overflows: u64,
}

impl Pool {
    pub fn new(name: &str, subscriptions: Vec<EventType>, buffer_size: usize) -> Pool {
        Pool {
            name: name.to_string(),
            subscriptions,
            buffer_size,
            serial: Serial::default(),
            buffer: VecDeque::new(),
            overflows: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Events discarded on overflow so far.
    pub fn overflows(&self) -> u64 {
        self.overflows
    }

    /// True when any subscription covers the concrete type `kind`.
    // DIVERGENCE(new, no Q number yet): an event is accepted once however many
    // subscriptions cover it. The reference subscribes once per `events=` entry, so with
    // `PROCESS_STATE,PROCESS_STATE_RUNNING` every RUNNING event is queued and delivered
    // twice (verified against 4.3.0).
    pub fn subscribes(&self, kind: EventType) -> bool {
        self.subscriptions.iter().any(|s| s.covers(kind))
    }

    /// Events waiting for dispatch.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Queues a newly published event (global serial already assigned), giving it the
    /// next pool serial.
    pub fn accept(&mut self, event: Rc<Event>, serial: u64) -> Option<LogLine> {
        let queued = QueuedEvent {
            event,
            serial,
            pool_serial: self.serial.take(),
        };
        let overflow = self.make_room();
        self.buffer.push_back(queued);
        overflow
    }

    /// Takes the oldest event for dispatch. Put it back with [`Pool::rebuffer`] if it
    /// could not be delivered or was rejected.
    pub fn next_event(&mut self) -> Option<QueuedEvent> {
        self.buffer.pop_front()
    }

    /// Puts an event taken from this pool back at the head, keeping both serials
    /// (rejected by a listener, its listener died while BUSY, or nobody could take it).
    pub fn rebuffer(&mut self, event: QueuedEvent) -> Vec<LogLine> {
        let mut logs = vec![(
            Level::Debug,
            format!(
                "rebuffering event {} for pool {} (buf size={}, max={})",
                event.serial,
                self.name,
                self.buffer.len(),
                self.buffer_size
            ),
        )];
        logs.extend(self.make_room());
        self.buffer.push_front(event);
        logs
    }

    /// The reference's dispatch loop: hands the oldest events one by one, with the pool's
    /// name (for the envelope), to `send`, which
    /// writes the envelope to the first RUNNING + READY listener and returns `Ok`, or gives
    /// the event back when no listener took it; that event is rebuffered and the loop
    /// stops. Call it only when some listener of the pool is RUNNING and READY, as the
    /// reference does, or every call logs a rebuffer line.
    pub fn dispatch(
        &mut self,
        mut send: impl FnMut(&str, QueuedEvent) -> Result<(), QueuedEvent>,
    ) -> Vec<LogLine> {
        while let Some(event) = self.buffer.pop_front() {
            if let Err(event) = send(&self.name, event) {
                return self.rebuffer(event);
            }
        }
        Vec::new()
    }

    /// Drops the oldest event when the buffer is full (`buffer_size` reached).
    fn make_room(&mut self) -> Option<LogLine> {
        if self.buffer.len() < self.buffer_size {
            return None;
        }
        let dropped = self.buffer.pop_front()?;
        self.overflows += 1;
        Some((
            Level::Error,
            format!(
                "pool {} event buffer overflowed, discarding event {}",
                self.name, dropped.serial
            ),
        ))
    }
}

/// Every pool by name, and the global serial counter.
#[derive(Debug, Clone, Default)]
pub struct EventBus {
    serial: Serial,
    /// In the order pools were added, which is the order they receive an event.
    pools: Vec<Pool>,
}

impl EventBus {
    pub fn new() -> EventBus {
        EventBus::default()
    }

    /// Adds a pool (its group was added); a pool of the same name is replaced and returned.
    pub fn add_pool(&mut self, pool: Pool) -> Option<Pool> {
        match self.pools.iter_mut().find(|p| p.name == pool.name) {
            Some(slot) => Some(std::mem::replace(slot, pool)),
            None => {
                self.pools.push(pool);
                None
            }
        }
    }

    /// Removes a pool (its group was removed), dropping its buffered events.
    pub fn remove_pool(&mut self, name: &str) -> Option<Pool> {
        let index = self.pools.iter().position(|p| p.name == name)?;
        Some(self.pools.remove(index))
    }

    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.name == name)
    }

    pub fn pool_mut(&mut self, name: &str) -> Option<&mut Pool> {
        self.pools.iter_mut().find(|p| p.name == name)
    }

    /// The pools' names, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pools.iter().map(|p| p.name.as_str())
    }

    pub fn pools_mut(&mut self) -> impl Iterator<Item = &mut Pool> {
        self.pools.iter_mut()
    }

    /// True when some pool would accept an event of type `kind`; lets the caller skip
    /// work (building payloads, waking for ticks) nobody listens to.
    pub fn wants(&self, kind: EventType) -> bool {
        self.pools.iter().any(|p| p.subscribes(kind))
    }

    /// Offers an event to every subscribed pool. The global serial is consumed only if at
    /// least one pool accepts it.
    pub fn publish(&mut self, event: Event) -> Vec<LogLine> {
        let kind = event.kind;
        let mut targets = self
            .pools
            .iter_mut()
            .filter(|p| p.subscribes(kind))
            .peekable();
        if targets.peek().is_none() {
            return Vec::new();
        }
        let serial = self.serial.take();
        let event = Rc::new(event);
        targets
            .filter_map(|p| p.accept(Rc::clone(&event), serial))
            .collect()
    }

    /// A listener of pool `pool` rejected `event` (or died while BUSY with it): it goes
    /// back to the head of that pool's buffer. Unknown pool (removed meanwhile): dropped.
    // DIVERGENCE(Q2): the reference re-queues into every pool having a process of the
    // same priority as the rejecting listener, subscribed or not; we re-queue only into
    // the pool of the listener that rejected it.
    pub fn rejected(&mut self, pool: &str, event: QueuedEvent) -> Vec<LogLine> {
        match self.pool_mut(pool) {
            Some(p) => p.rebuffer(event),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::payload::{Channel, Event};

    fn ev(n: u32) -> Event {
        Event::remote_communication("t", &n.to_string())
    }

    fn serials(pool: &Pool) -> Vec<(u64, u64)> {
        pool.buffer
            .iter()
            .map(|q| (q.serial, q.pool_serial))
            .collect()
    }

    #[test]
    fn serial_wraps_after_maxint() {
        let mut s = Serial {
            next: i64::MAX as u64 - 1,
        };
        assert_eq!(
            [s.take(), s.take(), s.take(), s.take()],
            [i64::MAX as u64 - 1, i64::MAX as u64, 0, 1]
        );
    }

    #[test]
    fn publish_assigns_serials_only_when_subscribed() {
        let mut bus = EventBus::new();
        bus.add_pool(Pool::new("a", vec![EventType::RemoteCommunication], 10));
        bus.add_pool(Pool::new(
            "b",
            vec![
                EventType::ProcessGroup,
                EventType::SupervisorStateChange,
                EventType::RemoteCommunication,
            ],
            10,
        ));
        bus.add_pool(Pool::new("c", vec![EventType::Tick], 10));
        assert!(bus.publish(ev(0)).is_empty());
        // Only "b" wants group events; nobody wants PROCESS_LOG.
        bus.publish(Event::group_added("g"));
        assert!(!bus.wants(EventType::ProcessLogStdout));
        bus.publish(Event::process_log(Channel::Stdout, "p", "g", 1, b"x"));
        assert!(bus.wants(EventType::Tick5));
        bus.add_pool(Pool::new("d", vec![EventType::ProcessState], 10));
        bus.publish(Event::supervisor_running());
        bus.publish(ev(1));
        assert_eq!(serials(bus.pool("a").unwrap()), [(0, 0), (3, 1)]);
        assert_eq!(
            serials(bus.pool("b").unwrap()),
            [(0, 0), (1, 1), (2, 2), (3, 3)]
        );
        assert!(bus.pool("c").unwrap().is_empty());
        assert!(bus.pool("d").unwrap().is_empty());
        // One shared event value across pools.
        let a = bus.pool_mut("a").unwrap().next_event().unwrap();
        let b = bus.pool_mut("b").unwrap().next_event().unwrap();
        assert!(Rc::ptr_eq(&a.event, &b.event));
    }

    #[test]
    fn overlapping_subscriptions_accept_once() {
        let mut bus = EventBus::new();
        bus.add_pool(Pool::new(
            "lis",
            vec![EventType::ProcessState, EventType::ProcessStateRunning],
            10,
        ));
        bus.publish(Event::supervisor_running());
        bus.publish(Event {
            kind: EventType::ProcessStateRunning,
            payload: String::new(),
        });
        assert_eq!(serials(bus.pool("lis").unwrap()), [(0, 0)]);
    }

    #[test]
    fn overflow_discards_the_oldest() {
        let mut pool = Pool::new("listener", vec![EventType::Event], 2);
        assert_eq!(pool.accept(Rc::new(ev(0)), 5), None);
        assert_eq!(pool.accept(Rc::new(ev(1)), 6), None);
        assert_eq!(
            pool.accept(Rc::new(ev(2)), 7),
            Some((
                Level::Error,
                "pool listener event buffer overflowed, discarding event 5".to_string()
            ))
        );
        assert_eq!(serials(&pool), [(6, 1), (7, 2)]);
        assert_eq!(pool.overflows(), 1);
    }

    #[test]
    fn rebuffer_keeps_serials_and_goes_to_the_head() {
        let mut pool = Pool::new("lis", vec![EventType::Event], 3);
        for n in 0..3 {
            pool.accept(Rc::new(ev(n)), u64::from(n) + 10);
        }
        let head = pool.next_event().unwrap();
        assert_eq!(
            pool.rebuffer(head),
            [(
                Level::Debug,
                "rebuffering event 10 for pool lis (buf size=2, max=3)".to_string()
            )]
        );
        assert_eq!(serials(&pool), [(10, 0), (11, 1), (12, 2)]);
    }

    #[test]
    fn rebuffer_into_a_full_buffer_drops_the_current_head() {
        let mut pool = Pool::new("lis", vec![EventType::Event], 2);
        pool.accept(Rc::new(ev(0)), 0);
        let sent = pool.next_event().unwrap();
        pool.accept(Rc::new(ev(1)), 1);
        pool.accept(Rc::new(ev(2)), 2);
        assert_eq!(
            pool.rebuffer(sent),
            [
                (
                    Level::Debug,
                    "rebuffering event 0 for pool lis (buf size=2, max=2)".to_string()
                ),
                (
                    Level::Error,
                    "pool lis event buffer overflowed, discarding event 1".to_string()
                ),
            ]
        );
        assert_eq!(serials(&pool), [(0, 0), (2, 2)]);
    }

    #[test]
    fn dispatch_sends_in_order_and_rebuffers_what_nobody_takes() {
        let mut pool = Pool::new("lis", vec![EventType::Event], 10);
        for n in 0..3 {
            pool.accept(Rc::new(ev(n)), u64::from(n));
        }
        let mut sent = Vec::new();
        let logs = pool.dispatch(|name, q| {
            assert_eq!(name, "lis");
            if sent.is_empty() {
                sent.push(q.serial);
                Ok(())
            } else {
                Err(q)
            }
        });
        assert_eq!(sent, [0]);
        assert_eq!(
            logs,
            [(
                Level::Debug,
                "rebuffering event 1 for pool lis (buf size=1, max=10)".to_string()
            )]
        );
        assert_eq!(serials(&pool), [(1, 1), (2, 2)]);
        assert!(pool.dispatch(|_, _| Ok(())).is_empty());
        assert!(pool.is_empty());
    }

    #[test]
    fn rejection_requeues_only_in_the_rejecting_pool() {
        // DIVERGENCE(Q2): "good" and "other" never see the rejected event again.
        let mut bus = EventBus::new();
        bus.add_pool(Pool::new(
            "failer",
            vec![EventType::ProcessStateRunning],
            10,
        ));
        bus.add_pool(Pool::new("good", vec![EventType::ProcessStateRunning], 10));
        bus.add_pool(Pool::new("other", vec![EventType::Tick3600], 10));
        bus.publish(Event {
            kind: EventType::ProcessStateRunning,
            payload: "processname:foo".into(),
        });
        let rejected = bus.pool_mut("failer").unwrap().next_event().unwrap();
        bus.pool_mut("good").unwrap().next_event().unwrap();
        let logs = bus.rejected("failer", rejected.clone());
        assert_eq!(
            logs,
            [(
                Level::Debug,
                "rebuffering event 0 for pool failer (buf size=0, max=10)".to_string()
            )]
        );
        assert_eq!(
            bus.pool_mut("failer").unwrap().next_event(),
            Some(rejected.clone())
        );
        assert!(bus.pool("good").unwrap().is_empty());
        assert!(bus.pool("other").unwrap().is_empty());
        assert!(bus.rejected("gone", rejected).is_empty());
    }

    #[test]
    fn add_replaces_and_remove_drops_pools() {
        let mut bus = EventBus::new();
        assert!(bus
            .add_pool(Pool::new("p", vec![EventType::Event], 10))
            .is_none());
        bus.publish(ev(0));
        let old = bus
            .add_pool(Pool::new("p", vec![EventType::Tick], 10))
            .unwrap();
        assert_eq!(old.len(), 1);
        assert!(!bus.wants(EventType::RemoteCommunication));
        assert_eq!(bus.pools_mut().count(), 1);
        assert_eq!(bus.remove_pool("p").map(|p| p.name), Some("p".to_string()));
        assert!(bus.remove_pool("p").is_none());
        assert!(bus.publish(Event::group_removed("p")).is_empty());
    }

    #[test]
    fn envelope_and_dispatch_texts() {
        let mut bus = EventBus::new();
        bus.add_pool(Pool::new("listener", vec![EventType::Tick], 10));
        bus.publish(ev(9));
        bus.publish(Event::group_added("x"));
        assert!(bus.pool("listener").unwrap().is_empty());
        bus.add_pool(Pool::new(
            "good",
            vec![EventType::SupervisorStateChange],
            10,
        ));
        bus.publish(Event::supervisor_running());
        let q = bus.pool_mut("good").unwrap().next_event().unwrap();
        assert_eq!(
            q.envelope("supervisor", "good"),
            b"ver:3.0 server:supervisor serial:0 pool:good poolserial:0 \
              eventname:SUPERVISOR_STATE_CHANGE_RUNNING len:0\n"
        );
        assert_eq!(sent_text(3, "lis"), "event 3 sent to listener lis");
        assert_eq!(
            epipe_text(3, "lis"),
            "epipe occurred while sending event 3 to listener lis, listener state unchanged"
        );
    }
}
