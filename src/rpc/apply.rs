//! `supervisor_rs.update`: re-read the configuration and apply it per *process* (D11: a
//! method of our additive namespace; the stock `update` algorithm is untouched).
//!
//! A removed group is stopped and removed; an added group is added. A changed group whose
//! own settings (priority, listener pool, FastCGI socket) changed, or none of whose members
//! would keep running, is replaced whole, as the reference's `update` does. Otherwise only
//! its changed members are stopped and re-created, its removed members stopped and dropped,
//! its new members created; the others keep running with their pid. The answer comes once
//! everything to stop is stopped and the changes are applied.

use crate::rpc::Value;

use crate::config::{GroupConfig, GroupKind};
use crate::model::{Model, ProcId, Role, StopOrder, Supervisor};
use crate::rpc::args::{self, record};
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::require_running;
use crate::rpc::pending::Pending;
use crate::rpc::reload::diff_to_active;
use crate::rpc::Reply;

/// One change to make once its processes are stopped.
#[derive(Debug)]
enum Step {
    /// A group gone from the configuration.
    RemoveGroup(String),
    /// A changed group replaced whole.
    ReplaceGroup(String),
    AddGroup(String),
    /// A changed group updated member by member: (id, name) of the changed and removed
    /// members, names of the new ones.
    Members {
        group: String,
        changed: Vec<(ProcId, String)>,
        removed: Vec<(ProcId, String)>,
        added: Vec<String>,
    },
}

/// An update waiting for its processes to stop.
#[derive(Debug)]
pub struct Apply {
    /// Entries for names that are no group.
    unknown: Vec<Value>,
    steps: Vec<Step>,
    /// The processes that must be stopped first.
    stopping: Vec<ProcId>,
}

/// One result struct: `name` is empty for a whole group.
fn entry(group: &str, name: &str, action: &str, outcome: Result<(), Fault>) -> Value {
    let (status, description) = match outcome {
        Ok(()) => (FaultCode::Success.code(), "OK".to_string()),
        Err(f) => (f.code.code(), f.fault_string()),
    };
    record([
        ("group", Value::String(group.into())),
        ("name", Value::String(name.into())),
        ("action", Value::String(action.into())),
        ("status", Value::Int(status)),
        ("description", Value::String(description)),
    ])
}

/// `supervisor_rs.update([names])`: no names (or `all`) means every group.
pub fn update(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 1)?;
    let wanted: Vec<String> = match params.first() {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| Fault::new(FaultCode::IncorrectParameters))?,
        Some(_) => return Err(Fault::new(FaultCode::IncorrectParameters)),
    };
    let all = wanted.is_empty() || wanted.iter().any(|n| n == "all");
    require_running(d.model())?;
    d.reread()
        .map_err(|e| Fault::with_detail(FaultCode::CantReread, e))?;
    let m = d.model();
    let (added, changed, removed) = diff_to_active(m);
    let mut plan = Apply {
        unknown: Vec::new(),
        steps: Vec::new(),
        stopping: Vec::new(),
    };
    if !all {
        for name in &wanted {
            if m.group(name).is_none() && !added.contains(name) {
                let fault = Fault::with_detail(FaultCode::BadName, name.clone());
                plan.unknown
                    .push(entry(name, "", "no_such_group", Err(fault)));
            }
        }
    }
    let selected = |g: &String| all || wanted.contains(g);
    for group in removed.into_iter().filter(selected) {
        plan.stopping.extend(members(m, &group));
        plan.steps.push(Step::RemoveGroup(group));
    }
    for group in changed.into_iter().filter(selected) {
        let step = plan_changed(m, &group);
        match &step {
            Step::Members {
                changed, removed, ..
            } => plan
                .stopping
                .extend(changed.iter().chain(removed).map(|(id, _)| *id)),
            _ => plan.stopping.extend(members(m, &group)),
        }
        plan.steps.push(step);
    }
    for group in added.into_iter().filter(selected) {
        plan.steps.push(Step::AddGroup(group));
    }
    for id in plan.stopping.clone() {
        if d.model()
            .procs
            .get(&id)
            .is_some_and(|p| p.machine.state().is_running())
        {
            d.stop(id, StopOrder::Now);
        }
    }
    Ok(Reply::Later(Pending::Apply(Box::new(plan))))
}

impl Apply {
    /// True while this update waits for process `id` to stop.
    pub fn awaits_stop(&self, id: ProcId) -> bool {
        self.stopping.contains(&id)
    }
}

fn members(m: &Model, group: &str) -> Vec<ProcId> {
    m.group(group).map(|g| g.procs.clone()).unwrap_or_default()
}

/// How to update a changed group: member by member when only members changed and one of
/// them keeps running, else whole.
fn plan_changed(m: &Model, name: &str) -> Step {
    let (Some(group), Some(cfg)) = (
        m.group(name),
        m.config.groups.iter().find(|g| g.name == name),
    ) else {
        return Step::ReplaceGroup(name.to_string());
    };
    let fcgi = |cfg: &GroupConfig| cfg.processes.iter().any(|p| p.fcgi.is_some());
    let own_settings_changed = group.priority != cfg.priority
        || group.kind != cfg.kind
        || fcgi(cfg)
        || group
            .procs
            .iter()
            .any(|id| m.procs.get(id).is_some_and(|p| p.config.fcgi.is_some()));
    let (mut changed, mut removed, mut kept) = (Vec::new(), Vec::new(), 0);
    for id in &group.procs {
        let Some(p) = m.procs.get(id) else { continue };
        match cfg.processes.iter().find(|c| c.name == p.config.name) {
            Some(c) if *c == p.config => kept += 1,
            Some(_) => changed.push((*id, p.config.name.clone())),
            None => removed.push((*id, p.config.name.clone())),
        }
    }
    if own_settings_changed || kept == 0 {
        return Step::ReplaceGroup(name.to_string());
    }
    let added = cfg
        .processes
        .iter()
        .filter(|c| {
            !group
                .procs
                .iter()
                .any(|id| m.procs.get(id).is_some_and(|p| p.config.name == c.name))
        })
        .map(|c| c.name.clone())
        .collect();
    Step::Members {
        group: name.to_string(),
        changed,
        removed,
        added,
    }
}

impl Apply {
    /// `Some` once every process to stop is stopped: the changes are then made.
    pub fn poll(&mut self, d: &mut dyn Supervisor) -> Option<Result<Value, Fault>> {
        let busy = self.stopping.iter().any(|id| {
            d.model()
                .procs
                .get(id)
                .is_some_and(|p| !p.machine.state().is_stopped())
        });
        if busy {
            return None;
        }
        // A shutdown or restart began meanwhile: it owns the groups now.
        if require_running(d.model()).is_err() {
            return Some(Err(Fault::new(FaultCode::ShutdownState)));
        }
        let mut results = std::mem::take(&mut self.unknown);
        for step in std::mem::take(&mut self.steps) {
            apply(d, step, &mut results);
        }
        Some(Ok(Value::Array(results)))
    }
}

fn config_of(m: &Model, group: &str) -> Option<GroupConfig> {
    m.config.groups.iter().find(|g| g.name == group).cloned()
}

fn apply(d: &mut dyn Supervisor, step: Step, results: &mut Vec<Value>) {
    match step {
        Step::RemoveGroup(group) => {
            d.remove_group(&group);
            results.push(entry(&group, "", "remove_group", Ok(())));
        }
        Step::ReplaceGroup(group) => {
            d.remove_group(&group);
            if let Some(cfg) = config_of(d.model(), &group) {
                d.add_group(&cfg);
            }
            results.push(entry(&group, "", "update_group", Ok(())));
        }
        Step::AddGroup(group) => {
            // Someone may have added it meanwhile (addProcessGroup): then it is there.
            if d.model().group(&group).is_none() {
                if let Some(cfg) = config_of(d.model(), &group) {
                    d.add_group(&cfg);
                }
            }
            results.push(entry(&group, "", "add_group", Ok(())));
        }
        Step::Members {
            group,
            changed,
            removed,
            added,
        } => {
            let Some(cfg) = config_of(d.model(), &group) else {
                return;
            };
            // Removed meanwhile (removeProcessGroup): it comes back whole.
            if d.model().group(&group).is_none() {
                d.add_group(&cfg);
                results.push(entry(&group, "", "add_group", Ok(())));
                return;
            }
            let role = match cfg.kind {
                GroupKind::EventListener(_) => Role::Listener,
                GroupKind::Program => Role::Program,
            };
            let mut fresh = Vec::new();
            for (id, name) in &removed {
                d.remove_process(*id);
                results.push(entry(&group, name, "remove", Ok(())));
            }
            for (id, name) in changed
                .iter()
                .map(|(id, n)| (Some(*id), n))
                .chain(added.iter().map(|n| (None, n)))
            {
                let Some(pcfg) = cfg.processes.iter().find(|p| p.name == *name) else {
                    continue;
                };
                if let Some(id) = id {
                    d.remove_process(id);
                }
                fresh.push(d.add_process(&group, pcfg, role));
                let action = if id.is_some() { "update" } else { "add" };
                results.push(entry(&group, name, action, Ok(())));
            }
            // The members in the configuration's (priority, name) order.
            let m = d.model();
            if let Some(g) = m.group(&group) {
                let mut ids: Vec<ProcId> = g
                    .procs
                    .iter()
                    .copied()
                    .filter(|id| m.procs.contains_key(id))
                    .chain(fresh.iter().copied())
                    .collect();
                ids.sort_by_key(|id| {
                    m.procs
                        .get(id)
                        .and_then(|p| cfg.processes.iter().position(|c| c.name == p.config.name))
                });
                d.set_members(&group, ids);
            }
            d.autostart(&fresh);
        }
    }
}
