//! `supervisor_rs.reopenLogs` and `supervisor_rs.rotateLogs` (D11: methods of our additive
//! namespace): reopen the child logs by path (for an external logrotate without
//! copytruncate) or rotate them now, for one process, a group or `all`.
//!
//! The loop writes a log only between reads of the child's pipe, so a reopen or rotation
//! falls between two writes: no byte is lost or written twice; what the child writes
//! meanwhile waits in the pipe and goes to the new file.

use crate::rpc::Value;

use crate::logging::level::Level;
use crate::model::{LogOp, Model, ProcId, Supervisor};
use crate::rpc::args;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::{lookup, require_running, Target};
use crate::rpc::pending::member_result;
use crate::rpc::Reply;

/// The processes `name` designates: `all`, a group (`g:*`), or one process.
fn targets(m: &Model, name: &str) -> Result<Vec<ProcId>, Fault> {
    if name == "all" {
        return Ok(m.all_ids());
    }
    Ok(match lookup(m, name)? {
        Target::Process(id) => vec![id],
        Target::Group(g) => m.group(&g).map(|g| g.procs.clone()).unwrap_or_default(),
    })
}

/// Does `op` to each process `name` designates: one result struct per process.
fn each(d: &mut dyn Supervisor, params: &[Value], op: LogOp) -> Result<Vec<Value>, Fault> {
    args::count(params, 1, 1)?;
    require_running(d.model())?;
    let ids = targets(d.model(), args::string(params, 0)?)?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = d.model().procs.get(&id) else {
            continue;
        };
        let (name, group, spec) = (p.config.name.clone(), p.group.clone(), p.namespec());
        let outcome = d
            .process_logs(id, op)
            .map_err(|e| Fault::with_detail(FaultCode::Failed, format!("{spec}: {e}")));
        if let Err(f) = &outcome {
            d.log(Level::Error, &f.fault_string());
        }
        results.push(member_result(&name, &group, outcome.as_ref().map(|_| ())));
    }
    Ok(results)
}

/// `supervisor_rs.reopenLogs(name)`: the open logs of running processes (a stopped one
/// opens them at its next start); `all` reopens the activity log too.
pub fn reopen_logs(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    let results = each(d, params, LogOp::Reopen)?;
    if args::string(params, 0)? == "all" {
        d.reopen_main_log();
    }
    Ok(Reply::Now(Value::Array(results)))
}

/// `supervisor_rs.rotateLogs(name)`: both logs now, open or not; an empty or missing file
/// stays as it is.
pub fn rotate_logs(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    Ok(Reply::Now(Value::Array(each(d, params, LogOp::Rotate)?)))
}
