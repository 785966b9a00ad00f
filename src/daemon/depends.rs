//! Start dependencies on the loop (issue 14): a start whose dependencies have not reached
//! their condition waits (STOPPED, `waiting for a (ready)`) and is carried out in the turn
//! they do; `depends_on_timeout` makes it FATAL. Shutdown stops dependents first.
//!
//! The graph's rules are pure (`process::deps`) and the model answers what is unmet and in
//! which order to stop (`model::depends`); this file holds and releases the starts.

use std::time::Instant;

use crate::clock::after;
use crate::daemon::core::Daemon;
use crate::logging::level::Level;
use crate::model::{ProcId, Waiting};
use crate::process::machine::Input;
use crate::states::SupervisorState;

impl Daemon {
    /// Before a start: true when it must wait for dependencies (it then shows STOPPED,
    /// `waiting for ...`, until [`Daemon::recheck_waiters`] starts it or it times out).
    pub(crate) fn hold_start(&mut self, id: ProcId) -> bool {
        let idle = self
            .model
            .procs
            .get(&id)
            .is_some_and(|p| p.machine.pid() == 0 && !p.machine.state().is_running());
        if !idle {
            return false;
        }
        let Some((target, condition)) = self.model.unmet(id) else {
            if let Some(p) = self.model.procs.get_mut(&id) {
                p.watch.waiting = None;
            }
            return false;
        };
        let now = self.now.mono;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return false;
        };
        let fresh = p.watch.waiting.is_none();
        let deadline = match &p.watch.waiting {
            Some(w) => w.deadline,
            None => after(now, p.config.beyond.depends_on_timeout),
        };
        let waiting = Waiting {
            deadline,
            target,
            condition,
        };
        let line = format!("{}: waiting for {}", p.config.name, waiting.on());
        p.watch.waiting = Some(waiting);
        if fresh {
            self.model.log.log(Level::Info, &line);
            self.step(id, Input::Hold);
            self.model.changed.push(id);
        }
        self.watch_rearm(id);
        true
    }

    /// After state changes: starts every waiting process whose dependencies are now there
    /// (in group order), updates what the others wait for. Nothing starts unless running.
    pub fn recheck_waiters(&mut self) {
        if self.model.with_depends == 0 {
            return;
        }
        let waiting: Vec<ProcId> = self
            .model
            .groups
            .iter()
            .flat_map(|g| g.procs.iter())
            .copied()
            .filter(|id| {
                self.model
                    .procs
                    .get(id)
                    .is_some_and(|p| p.watch.waiting.is_some())
            })
            .collect();
        for id in waiting {
            if self.model.mood != SupervisorState::Running {
                if let Some(p) = self.model.procs.get_mut(&id) {
                    p.watch.waiting = None;
                }
                continue;
            }
            match self.model.unmet(id) {
                None => {
                    if let Some(p) = self.model.procs.get_mut(&id) {
                        p.watch.waiting = None;
                    }
                    self.step(id, Input::Start);
                }
                Some((target, condition)) => {
                    if let Some(w) = self
                        .model
                        .procs
                        .get_mut(&id)
                        .and_then(|p| p.watch.waiting.as_mut())
                    {
                        w.target = target;
                        w.condition = condition;
                    }
                }
            }
        }
    }

    /// `depends_on_timeout` passed: FATAL with `dependency a not ready`.
    pub(crate) fn waiting_timed_out(&mut self, id: ProcId, now: Instant) {
        let due = self
            .model
            .procs
            .get(&id)
            .and_then(|p| p.watch.waiting.as_ref())
            .is_some_and(|w| w.deadline <= now);
        if !due {
            return;
        }
        let Some(w) = self
            .model
            .procs
            .get_mut(&id)
            .and_then(|p| p.watch.waiting.take())
        else {
            return;
        };
        let why = format!("dependency {} not {}", w.target, w.condition.name());
        self.step(id, Input::DependencyFailed(why));
    }

    /// A stop asked for a waiting process: it no longer waits. True if it was waiting.
    pub fn cancel_wait(&mut self, id: ProcId) -> bool {
        let was = self
            .model
            .procs
            .get_mut(&id)
            .and_then(|p| p.watch.waiting.take())
            .is_some();
        if was {
            self.model.changed.push(id);
            self.watch_rearm(id);
        }
        was
    }

    /// An RPC stop of `id` while a dependent of it is still stopping: `id` is stopped once
    /// that is done ([`Daemon::run_deferred_stops`]). False when it can be stopped now.
    pub(crate) fn defer_stop(&mut self, id: ProcId) -> bool {
        if !self.model.dependents_alive(id, &[]) {
            return false;
        }
        if !self.watch_shared.deferred_stops.contains(&id) {
            self.watch_shared.deferred_stops.push(id);
        }
        true
    }

    /// Stops each deferred process whose dependents have stopped (end of turn).
    pub(crate) fn run_deferred_stops(&mut self) {
        for id in std::mem::take(&mut self.watch_shared.deferred_stops) {
            let running = self
                .model
                .procs
                .get(&id)
                .is_some_and(|p| p.machine.state().is_running());
            if !running || self.model.mood != SupervisorState::Running {
                continue;
            }
            if self.model.dependents_alive(id, &[]) {
                self.watch_shared.deferred_stops.push(id);
            } else {
                self.step(id, Input::Stop);
            }
        }
    }
}
