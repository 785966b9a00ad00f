//! Configuration and life-cycle methods: `reloadConfig`, `addProcessGroup`,
//! `removeProcessGroup`, `shutdown`, `restart` (reference §5.3; D7).

use crate::rpc::Value;

use crate::config::GroupConfig;
use crate::model::{group_matches, Model, Supervisor};
use crate::rpc::args;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::require_running;
use crate::rpc::Reply;

/// The groups added, changed and removed between the last configuration read and the
/// running groups (Supervisor's `diff_to_active`). A group whose typed configuration is
/// unchanged is never reported (D7).
pub fn diff_to_active(m: &Model) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for cfg in &m.config.groups {
        match m.group(&cfg.name) {
            None => added.push(cfg.name.clone()),
            Some(g) => {
                if !group_matches(g, &m.group_process_configs(g), cfg) {
                    changed.push(cfg.name.clone());
                }
            }
        }
    }
    let configured: std::collections::HashSet<&str> =
        m.config.groups.iter().map(|c| c.name.as_str()).collect();
    let removed = m
        .groups
        .iter()
        .filter(|g| !configured.contains(g.name.as_str()))
        .map(|g| g.name.clone())
        .collect();
    (added, changed, removed)
}

fn names(v: Vec<String>) -> Value {
    Value::Array(v.into_iter().map(Value::String).collect())
}

/// Re-reads the configuration; only its groups are taken (other settings need a restart).
pub fn reload_config(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    d.reread()
        .map_err(|e| Fault::with_detail(FaultCode::CantReread, e))?;
    let (added, changed, removed) = diff_to_active(d.model());
    Ok(Reply::Now(Value::Array(vec![Value::Array(vec![
        names(added),
        names(changed),
        names(removed),
    ])])))
}

pub fn add_process_group(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    let cfg: GroupConfig = d
        .model()
        .config
        .groups
        .iter()
        .find(|g| g.name == name)
        .cloned()
        .ok_or_else(|| Fault::with_detail(FaultCode::BadName, name))?;
    if d.model().group(name).is_some() {
        return Err(Fault::with_detail(FaultCode::AlreadyAdded, name));
    }
    d.add_group(&cfg);
    Ok(Reply::Now(Value::Bool(true)))
}

pub fn remove_process_group(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    let m = d.model();
    let group = m
        .group(name)
        .ok_or_else(|| Fault::with_detail(FaultCode::BadName, name))?;
    let busy = group
        .procs
        .iter()
        .filter_map(|id| m.procs.get(id))
        .any(|p| !p.machine.state().is_stopped());
    if busy {
        return Err(Fault::with_detail(FaultCode::StillRunning, name));
    }
    d.remove_group(name);
    Ok(Reply::Now(Value::Bool(true)))
}

pub fn shutdown(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    d.shutdown();
    Ok(Reply::Now(Value::Bool(true)))
}

/// Restarts in place; a configuration that does not validate is refused and nothing
/// changes (D7).
pub fn restart(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    d.restart()
        .map_err(|e| Fault::with_detail(FaultCode::CantReread, e))?;
    Ok(Reply::Now(Value::Bool(true)))
}
