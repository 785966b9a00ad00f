//! Start dependencies as the model sees them (issue 14): which dependency of a process is
//! unmet, and the order stops go in (dependents first). The graph's rules are pure
//! (`process::deps`); the reactor holds and releases starts (`daemon::depends`).

use std::collections::HashMap;

use crate::config::beyond::Condition;
use crate::model::{Model, ProcId};
use crate::process::deps::{self, Node};
use crate::states::ProcessState;

impl Model {
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
    pub fn unmet(&self, id: ProcId) -> Option<(String, Condition)> {
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

    /// Shutdown order: groups holding deeper dependents go first; priority order is kept
    /// among equals (the queue is popped from its end).
    pub fn order_stop_queue(&self, queue: &mut [String]) {
        if self.with_depends == 0 {
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
    pub fn dependents_alive(&self, id: ProcId, batch: &[ProcId]) -> bool {
        if self.with_depends == 0 {
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
    pub fn order_stops(&self, ids: &mut [ProcId]) {
        if self.with_depends == 0 {
            return;
        }
        let (all, nodes) = self.graph();
        let Ok(depths) = deps::depths(&nodes) else {
            return;
        };
        let depth: HashMap<ProcId, u32> = all.into_iter().zip(depths).collect();
        ids.sort_by_key(|id| std::cmp::Reverse(depth.get(id).copied().unwrap_or(0)));
    }
}
