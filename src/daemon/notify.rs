//! Events inside the daemon: publishing to listener pools, delivering envelopes to READY
//! listeners, reading their answers, and TICK timers (reference §6).
//!
//! Events are queued, never delivered re-entrantly: a state change publishes into the pools'
//! buffers and marks delivery as pending; the reactor delivers at the end of the turn.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::Duration;

use crate::clock;
use crate::daemon::core::Daemon;
use crate::daemon::timers::TimerKey;
use crate::events::capture::comm_event_text;
use crate::events::listener::ListenerOutput;
use crate::events::payload::{state_event_type, Event, StateFacts};
use crate::events::pool::sent_text;
use crate::events::types::EventType;
use crate::logging::level::Level;
use crate::model::{Channel, ProcId};
use crate::process::machine::Change;
use crate::states::{ListenerState, ProcessState};

impl Daemon {
    /// A process changed state: its PROCESS_STATE event, and a note for waiters.
    pub(crate) fn on_change(&mut self, id: ProcId, change: &Change) {
        self.model.changed.push(id);
        if let Some(c) = self.model.procs.get_mut(&id).map(|p| &mut p.counters) {
            c.state_changes = c.state_changes.saturating_add(1);
            c.starts = c
                .starts
                .saturating_add(u64::from(change.to == ProcessState::Starting));
        }
        self.watch_changed(id, change);
        let listener = self
            .model
            .procs
            .get(&id)
            .is_some_and(|p| p.listener.is_some());
        if change.to == ProcessState::Running && listener {
            self.model.dispatch_pending = true;
        }
        if !self.model.events.wants(state_event_type(change.to)) {
            return;
        }
        let Some(p) = self.model.procs.get(&id) else {
            return;
        };
        let facts = StateFacts {
            process: &p.config.name,
            group: &p.group,
            pid: change.pid,
            tries: change.tries,
            expected: change.expected,
        };
        let event = Event::process_state(change.to, change.from, &facts);
        self.model.emit(event);
    }

    pub fn on_supervisor_stopping(&mut self) {
        self.model.emit(Event::supervisor_stopping());
    }

    /// Delivers buffered events to RUNNING + READY listeners, oldest first.
    pub fn dispatch_events(&mut self) {
        if !std::mem::take(&mut self.model.dispatch_pending) {
            return;
        }
        // The pools (not every group: this runs after every state change, and scanning
        // 10,000 groups each time made event delivery quadratic), in group order.
        let mut pools: Vec<String> = self.model.events.names().map(str::to_string).collect();
        pools.sort_by_cached_key(|name| {
            self.model.group(name).map(|g| (g.priority, g.name.clone()))
        });
        for pool in pools {
            if self.model.events.pool(&pool).is_none_or(|p| p.is_empty()) {
                continue;
            }
            let mut ready: std::collections::VecDeque<ProcId> = self
                .model
                .group(&pool)
                .map(|g| g.procs.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|id| {
                    self.model.procs.get(id).is_some_and(|p| {
                        p.machine.state() == ProcessState::Running
                            && p.stdin.is_some()
                            && p.listener
                                .as_ref()
                                .is_some_and(|l| l.state() == ListenerState::Ready)
                    })
                })
                .collect();
            if ready.is_empty() {
                continue;
            }
            let mut assigned = Vec::new();
            let logs = match self.model.events.pool_mut(&pool) {
                Some(p) => p.dispatch(|_, qe| match ready.pop_front() {
                    Some(id) => {
                        assigned.push((id, qe));
                        Ok(())
                    }
                    None => Err(qe),
                }),
                None => Vec::new(),
            };
            for (level, msg) in logs {
                self.model.log.log(level, &msg);
            }
            let identifier = self.model.config.supervisord.identifier.clone();
            for (id, qe) in assigned {
                let envelope = qe.envelope(&identifier, &pool);
                let serial = qe.serial;
                let name = self
                    .model
                    .procs
                    .get(&id)
                    .map_or(String::new(), |p| p.config.name.clone());
                let sent = self.send_stdin(id, &envelope);
                let taken = match self
                    .model
                    .procs
                    .get_mut(&id)
                    .and_then(|p| p.listener.as_mut())
                {
                    Some(proto) if sent => proto.event_sent(qe),
                    _ => Err(qe),
                };
                match taken {
                    Ok(()) => self.model.log.log(Level::Debug, &sent_text(serial, &name)),
                    Err(qe) => {
                        for (level, msg) in self.model.events.rejected(&pool, qe) {
                            self.model.log.log(level, &msg);
                        }
                    }
                }
            }
        }
    }

    /// Output of a listener on its stdout: the protocol's answer.
    pub(crate) fn feed_listener(&mut self, id: ProcId, data: &[u8]) {
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let pool = p.group.clone();
        let Some(proto) = p.listener.as_mut() else {
            return;
        };
        // The protocol already returned the `event was processed/rejected` log lines.
        for out in proto.feed(data) {
            match out {
                ListenerOutput::Log(level, msg) => self.model.log.log(level, &msg),
                ListenerOutput::Ready => self.model.dispatch_pending = true,
                ListenerOutput::Result { accepted: true, .. } => self.model.dispatch_pending = true,
                ListenerOutput::Result {
                    accepted: false,
                    event,
                } => {
                    for (level, msg) in self.model.events.rejected(&pool, event) {
                        self.model.log.log(level, &msg);
                    }
                    self.model.dispatch_pending = true;
                }
            }
        }
    }

    /// A listener exited or is about to be spawned: the event it held goes back to its pool.
    pub(crate) fn reset_listener(&mut self, id: ProcId) {
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let pool = p.group.clone();
        if let Some(event) = p.listener.as_mut().and_then(|l| l.reset()) {
            for (level, msg) in self.model.events.rejected(&pool, event) {
                self.model.log.log(level, &msg);
            }
            self.model.dispatch_pending = true;
        }
    }

    /// A PROCESS_COMMUNICATION event from captured output.
    pub(crate) fn emit_comm(&mut self, id: ProcId, chan: Channel, data: &[u8]) {
        let Some(p) = self.model.procs.get(&id) else {
            return;
        };
        let event =
            Event::process_communication(chan, &p.config.name, &p.group, p.machine.pid(), data);
        let text = comm_event_text(&p.config.name, chan);
        self.model.log.log(Level::Debug, &text);
        self.model.emit(event);
    }

    /// Arms the TICK timer when some pool subscribes to TICK events and none is armed.
    pub fn arm_ticks(&mut self) {
        if self.tick_armed || !self.wants_ticks() {
            return;
        }
        let wall = Duration::from_secs_f64(self.now.secs());
        let (_, next) = self.ticks.on_wake(wall);
        self.timers.push(
            clock::after(self.now.mono, next.saturating_sub(wall)),
            TimerKey::Tick,
        );
        self.tick_armed = true;
    }

    /// The TICK timer fired: emit what is due and re-arm while someone listens.
    pub fn on_tick(&mut self) {
        self.tick_armed = false;
        let wall = Duration::from_secs_f64(self.now.secs());
        let (events, next) = self.ticks.on_wake(wall);
        for e in events {
            self.model.emit(e);
        }
        if self.wants_ticks() {
            self.timers.push(
                clock::after(self.now.mono, next.saturating_sub(wall)),
                TimerKey::Tick,
            );
            self.tick_armed = true;
        }
    }

    fn wants_ticks(&self) -> bool {
        [EventType::Tick5, EventType::Tick60, EventType::Tick3600]
            .iter()
            .any(|t| self.model.events.wants(*t))
    }
}
