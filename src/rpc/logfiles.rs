//! `supervisor_rs.reopenLogs` and `supervisor_rs.rotateLogs` (D11: methods of our additive
//! namespace): reopen the child logs by path (for an external logrotate without
//! copytruncate) or rotate them now, for one process, a group or `all`.
//!
//! The loop writes a log only between reads of the child's pipe, so a reopen or rotation
//! falls between two writes: no byte is lost or written twice; what the child writes
//! meanwhile waits in the pipe and goes to the new file.

use std::path::Path;

use crate::rpc::Value;

use crate::daemon::core::Daemon;
use crate::daemon::model::{Channel, ProcId};
use crate::logging::file::LogFile;
use crate::logging::level::Level;
use crate::rpc::args;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::{lookup, require_running, Target};
use crate::rpc::pending::member_result;
use crate::rpc::Reply;

/// The processes `name` designates: `all`, a group (`g:*`), or one process.
fn targets(d: &Daemon, name: &str) -> Result<Vec<ProcId>, Fault> {
    if name == "all" {
        return Ok(d
            .groups
            .iter()
            .flat_map(|g| g.procs.iter().copied())
            .collect());
    }
    Ok(match lookup(d, name)? {
        Target::Process(id) => vec![id],
        Target::Group(g) => d.group(&g).map(|g| g.procs.clone()).unwrap_or_default(),
    })
}

/// Runs `op` on each process `name` designates: one result struct per process.
fn each(
    d: &mut Daemon,
    params: &[Value],
    op: fn(&mut Daemon, ProcId) -> std::io::Result<()>,
) -> Result<Vec<Value>, Fault> {
    args::count(params, 1, 1)?;
    require_running(d)?;
    let ids = targets(d, args::string(params, 0)?)?;
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = d.procs.get(&id) else { continue };
        let (name, group, spec) = (p.config.name.clone(), p.group.clone(), p.namespec());
        let outcome =
            op(d, id).map_err(|e| Fault::with_detail(FaultCode::Failed, format!("{spec}: {e}")));
        if let Err(f) = &outcome {
            d.log.log(Level::Error, &f.fault_string());
        }
        results.push(member_result(&name, &group, outcome.as_ref().map(|_| ())));
    }
    Ok(results)
}

/// Reopens the open logs of a running process (a stopped one opens them at its next start).
fn reopen(d: &mut Daemon, id: ProcId) -> std::io::Result<()> {
    let Some(p) = d.procs.get_mut(&id) else {
        return Ok(());
    };
    for chan in [Channel::Stdout, Channel::Stderr] {
        if let Some(log) = p.channel_mut(chan).log.as_mut() {
            log.reopen()?;
        }
    }
    Ok(())
}

/// Rotates both logs now, open or not; an empty or missing file stays as it is.
fn rotate(d: &mut Daemon, id: ProcId) -> std::io::Result<()> {
    let Some(p) = d.procs.get_mut(&id) else {
        return Ok(());
    };
    for chan in [Channel::Stdout, Channel::Stderr] {
        let ccfg = match chan {
            Channel::Stdout => &p.config.stdout,
            Channel::Stderr => &p.config.stderr,
        };
        let (maxbytes, backups) = (ccfg.logfile_maxbytes, ccfg.logfile_backups);
        let c = p.channel_mut(chan);
        match (c.log.as_mut(), c.log_path.as_deref()) {
            (Some(log), _) => log.rotate_now()?,
            (None, Some(path)) if Path::new(path).exists() => {
                LogFile::open(path, maxbytes, backups)?.rotate_now()?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `supervisor_rs.reopenLogs(name)`; `all` reopens the activity log too.
pub fn reopen_logs(d: &mut Daemon, params: &[Value]) -> Result<Reply, Fault> {
    let results = each(d, params, reopen)?;
    if args::string(params, 0)? == "all" {
        d.log.reopen();
    }
    Ok(Reply::Now(Value::Array(results)))
}

/// `supervisor_rs.rotateLogs(name)`.
pub fn rotate_logs(d: &mut Daemon, params: &[Value]) -> Result<Reply, Fault> {
    Ok(Reply::Now(Value::Array(each(d, params, rotate)?)))
}
