//! Start dependencies on the loop (issue 14): a start whose dependencies have not reached
//! their condition waits (STOPPED, `waiting for a (ready)`) and is carried out in the turn
//! they do; `depends_on_timeout` makes it FATAL. Shutdown stops dependents first.
//!
//! The graph's rules are pure (`process::deps`); this file applies them to the live model.

use std::collections::HashMap;
use std::time::Instant;

use crate::clock::after;
use crate::config::beyond::Condition;
use crate::daemon::core::Daemon;
use crate::daemon::model::ProcId;
use crate::logging::level::Level;
use crate::process::deps::{self, Node};
use crate::process::machine::Input;
use crate::states::{ProcessState, SupervisorState};

/// A start held until its dependencies are there.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub deadline: Instant,
    /// The first unmet dependency as written, and its condition.
    pub target: String,
    pub condition: Condition,
}

impl Waiting {
    /// `a (ready)`, as the description shows it after `waiting for `.
    pub fn on(&self) -> String {
        format!("{} ({})", self.target, self.condition.name())
    }
}

impl Daemon {
    /// Every process in group order, with the graph's view of it.
    fn graph(&self) -> (Vec<ProcId>, Vec<Node<'_>>) {
        let mut ids = Vec::new();
        let mut nodes = Vec::new();
        for g in &self.groups {
            for id in &g.procs {
                if let Some(p) = self.procs.get(id) {
                    ids.push(*id);
                    nodes.push(Node {
                        group: &g.name,
                        name: &p.config.name,
                        program: &p.config.program,
                        depends_on: &p.config.beyond.depends_on,
                    });
                }
            }
        }
        (ids, nodes)
    }

    /// The first dependency of `id` that has not reached its condition.
    fn unmet(&self, id: ProcId) -> Option<(String, Condition)> {
        let p = self.procs.get(&id)?;
        if p.config.beyond.depends_on.is_empty() {
            return None;
        }
        let (ids, nodes) = self.graph();
        for dep in &p.config.beyond.depends_on {
            let met = deps::resolve(&nodes, &dep.target).iter().all(|i| {
                ids.get(*i)
                    .and_then(|q| self.procs.get(q))
                    .is_some_and(|q| {
                        let m = &q.machine;
                        let expected = m
                            .exitstatus()
                            .is_some_and(|c| q.config.exitcodes.contains(&c));
                        deps::reached(dep.condition, m.state(), expected)
                    })
            });
            if !met {
                return Some((dep.target.clone(), dep.condition));
            }
        }
        None
    }

    /// Before a start: true when it must wait for dependencies (it then shows STOPPED,
    /// `waiting for ...`, until [`Daemon::recheck_waiters`] starts it or it times out).
    pub(crate) fn hold_start(&mut self, id: ProcId) -> bool {
        let idle = self
            .procs
            .get(&id)
            .is_some_and(|p| p.machine.pid() == 0 && !p.machine.state().is_running());
        if !idle {
            return false;
        }
        let Some((target, condition)) = self.unmet(id) else {
            if let Some(p) = self.procs.get_mut(&id) {
                p.watch.waiting = None;
            }
            return false;
        };
        let now = self.now.mono;
        let Some(p) = self.procs.get_mut(&id) else {
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
            self.log.log(Level::Info, &line);
            self.step(id, Input::Hold);
            self.changed.push(id);
        }
        self.watch_rearm(id);
        true
    }

    /// After state changes: starts every waiting process whose dependencies are now there
    /// (in group order), updates what the others wait for. Nothing starts unless running.
    pub fn recheck_waiters(&mut self) {
        if self.watch_shared.with_depends == 0 {
            return;
        }
        let waiting: Vec<ProcId> = self
            .groups
            .iter()
            .flat_map(|g| g.procs.iter())
            .copied()
            .filter(|id| {
                self.procs
                    .get(id)
                    .is_some_and(|p| p.watch.waiting.is_some())
            })
            .collect();
        for id in waiting {
            if self.mood != SupervisorState::Running {
                if let Some(p) = self.procs.get_mut(&id) {
                    p.watch.waiting = None;
                }
                continue;
            }
            match self.unmet(id) {
                None => {
                    if let Some(p) = self.procs.get_mut(&id) {
                        p.watch.waiting = None;
                    }
                    self.step(id, Input::Start);
                }
                Some((target, condition)) => {
                    if let Some(w) = self
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
            .procs
            .get(&id)
            .and_then(|p| p.watch.waiting.as_ref())
            .is_some_and(|w| w.deadline <= now);
        if !due {
            return;
        }
        let Some(w) = self.procs.get_mut(&id).and_then(|p| p.watch.waiting.take()) else {
            return;
        };
        let why = format!("dependency {} not {}", w.target, w.condition.name());
        self.step(id, Input::DependencyFailed(why));
    }

    /// A stop asked for a waiting process: it no longer waits. True if it was waiting.
    pub fn cancel_wait(&mut self, id: ProcId) -> bool {
        let was = self
            .procs
            .get_mut(&id)
            .and_then(|p| p.watch.waiting.take())
            .is_some();
        if was {
            self.changed.push(id);
            self.watch_rearm(id);
        }
        was
    }

    /// Shutdown order: groups holding deeper dependents go first; priority order is kept
    /// among equals (the queue is popped from its end).
    pub(crate) fn order_stop_queue(&self, queue: &mut [String]) {
        if self.watch_shared.with_depends == 0 {
            return;
        }
        let (ids, nodes) = self.graph();
        let Ok(depths) = deps::depths(&nodes) else {
            return;
        };
        let group_depth = |name: &str| -> u32 {
            ids.iter()
                .zip(&depths)
                .filter(|(id, _)| self.procs.get(id).is_some_and(|p| p.group == name))
                .map(|(_, d)| *d)
                .max()
                .unwrap_or(0)
        };
        queue.sort_by_cached_key(|name| group_depth(name));
    }

    /// True while a process that depends on `id` is still alive and being stopped (STOPPING,
    /// or in `batch`, the group being stopped now): `id` is stopped after it.
    pub(crate) fn dependents_alive(&self, id: ProcId, batch: &[ProcId]) -> bool {
        if self.watch_shared.with_depends == 0 {
            return false;
        }
        let (ids, nodes) = self.graph();
        let Some(me) = ids.iter().position(|i| *i == id) else {
            return false;
        };
        nodes.iter().zip(&ids).any(|(n, q)| {
            *q != id
                && n.depends_on
                    .iter()
                    .any(|d| deps::resolve(&nodes, &d.target).contains(&me))
                && self.procs.get(q).is_some_and(|p| {
                    let s = p.machine.state();
                    !s.is_stopped() && (s == ProcessState::Stopping || batch.contains(q))
                })
        })
    }

    /// Orders the processes of a group or "all" stop: dependents before what they depend on
    /// (deepest first), the given order (priority) among equals.
    pub(crate) fn order_stops(&self, ids: &mut [ProcId]) {
        if self.watch_shared.with_depends == 0 {
            return;
        }
        let (all, nodes) = self.graph();
        let Ok(depths) = deps::depths(&nodes) else {
            return;
        };
        let depth: HashMap<ProcId, u32> = all.into_iter().zip(depths).collect();
        ids.sort_by_key(|id| std::cmp::Reverse(depth.get(id).copied().unwrap_or(0)));
    }

    /// An RPC stop of `id` while a dependent of it is still stopping: `id` is stopped once
    /// that is done ([`Daemon::run_deferred_stops`]). False when it can be stopped now.
    pub(crate) fn defer_stop(&mut self, id: ProcId) -> bool {
        if !self.dependents_alive(id, &[]) {
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
                .procs
                .get(&id)
                .is_some_and(|p| p.machine.state().is_running());
            if !running || self.mood != SupervisorState::Running {
                continue;
            }
            if self.dependents_alive(id, &[]) {
                self.watch_shared.deferred_stops.push(id);
            } else {
                self.step(id, Input::Stop);
            }
        }
    }
}
