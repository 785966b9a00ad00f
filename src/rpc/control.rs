//! Process control methods: start, stop and signal one process, a group or all; stdin;
//! remote communication events (reference §5.3, §5.4).

use crate::rpc::Value;

use crate::events::payload::Event;
use crate::model::{Model, ProcId, StopOrder, StopRequest, Supervisor};
use crate::process::command::{self, CommandError};
use crate::rpc::args;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::{lookup, require_running, Target};
use crate::rpc::pending::{member_result, Member, Pending};
use crate::rpc::Reply;
use crate::signame::parse_signal;
use crate::states::ProcessState;

/// The most bytes `sendProcessStdin` keeps queued for a child that does not read (1 MiB;
/// a pipe itself holds 64 KiB).
const STDIN_BACKLOG: usize = 1 << 20;

/// Whether a start or stop answers at once or once the state is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Yes,
    No,
}

impl Wait {
    fn param(params: &[Value], index: usize) -> Result<Wait, Fault> {
        Ok(if args::flag(params, index, true)? {
            Wait::Yes
        } else {
            Wait::No
        })
    }
}

fn state(m: &Model, id: ProcId) -> ProcessState {
    m.procs
        .get(&id)
        .map_or(ProcessState::Stopped, |p| p.machine.state())
}

/// Starts one process (the namespec `name` is used in fault details).
fn start_one(d: &mut dyn Supervisor, id: ProcId, name: &str, wait: Wait) -> Result<Reply, Fault> {
    let Some(p) = d.model().procs.get(&id) else {
        return Err(Fault::with_detail(FaultCode::BadName, name));
    };
    match command::resolve(&p.config.command, &p.config.environment) {
        Ok(_) => {}
        Err(CommandError::NotFound(m)) => return Err(Fault::with_detail(FaultCode::NoFile, m)),
        Err(CommandError::NotExecutable(m)) => {
            return Err(Fault::with_detail(FaultCode::NotExecutable, m))
        }
    }
    match p.machine.state() {
        s if s.is_running() => return Err(Fault::with_detail(FaultCode::AlreadyStarted, name)),
        ProcessState::Unknown => {
            return Err(Fault::with_detail(
                FaultCode::Failed,
                format!("{name} is in an unknown process state"),
            ))
        }
        _ => {}
    }
    d.start(id);
    if d.model()
        .procs
        .get(&id)
        .is_some_and(|p| p.machine.spawnerr().is_some())
    {
        return Err(Fault::with_detail(FaultCode::SpawnError, name));
    }
    if wait == Wait::Yes && state(d.model(), id) != ProcessState::Running {
        return Ok(Reply::Later(Pending::Start {
            id,
            name: name.into(),
        }));
    }
    Ok(Reply::Now(Value::Bool(true)))
}

fn stop_one(d: &mut dyn Supervisor, id: ProcId, name: &str, wait: Wait) -> Result<Reply, Fault> {
    // Issue 14: stopping a start that waits for its dependencies cancels it.
    if d.cancel_wait(id) {
        return Ok(Reply::Now(Value::Bool(true)));
    }
    if !state(d.model(), id).is_running() {
        return Err(Fault::with_detail(FaultCode::NotRunning, name));
    }
    if d.stop(id, StopOrder::AfterDependents) == StopRequest::Deferred {
        return Ok(match wait {
            Wait::Yes => Reply::Later(Pending::Stop { id }),
            Wait::No => Reply::Now(Value::Bool(true)),
        });
    }
    if state(d.model(), id) == ProcessState::Unknown {
        return Err(Fault::with_detail(
            FaultCode::Failed,
            format!("unknown problem stopping {name}"),
        ));
    }
    if wait == Wait::Yes && !state(d.model(), id).is_stopped() {
        return Ok(Reply::Later(Pending::Stop { id }));
    }
    Ok(Reply::Now(Value::Bool(true)))
}

/// Parses a signal parameter: a name or a number, given as a string or an int.
fn signal_param(value: Option<&Value>) -> Result<i32, Fault> {
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Int(n)) => n.to_string(),
        Some(Value::Int64(n)) => n.to_string(),
        _ => return Err(Fault::new(FaultCode::IncorrectParameters)),
    };
    parse_signal(&text).map_err(|_| Fault::with_detail(FaultCode::BadSignal, text))
}

fn signal_one(
    d: &mut dyn Supervisor,
    id: ProcId,
    name: &str,
    sig: Option<&Value>,
) -> Result<Reply, Fault> {
    let sig = signal_param(sig)?;
    if !state(d.model(), id).is_signallable() {
        return Err(Fault::with_detail(FaultCode::NotRunning, name));
    }
    d.signal(id, sig)
        .map_err(|msg| Fault::with_detail(FaultCode::Failed, msg))?;
    Ok(Reply::Now(Value::Bool(true)))
}

/// Runs `op` on every process of `ids` that `wanted` selects; the answer lists them in
/// this order, whenever each one finishes (DIVERGENCE(D10)).
fn each(
    d: &mut dyn Supervisor,
    ids: Vec<ProcId>,
    wanted: fn(ProcessState) -> bool,
    mut op: impl FnMut(&mut dyn Supervisor, ProcId, &str) -> Result<Reply, Fault>,
) -> Result<Reply, Fault> {
    let mut results = Vec::new();
    let mut waiting = Vec::new();
    for id in ids {
        let Some(p) = d.model().procs.get(&id) else {
            continue;
        };
        if !wanted(p.machine.state()) {
            continue;
        }
        let (name, group, spec) = (p.config.name.clone(), p.group.clone(), p.namespec());
        match op(d, id, &spec) {
            Ok(Reply::Now(_)) => results.push(Some(member_result(&name, &group, Ok(())))),
            Ok(Reply::Later(pending)) => {
                waiting.push((
                    results.len(),
                    Member {
                        pending,
                        name,
                        group,
                    },
                ));
                results.push(None);
            }
            Err(f) => results.push(Some(member_result(&name, &group, Err(&f)))),
        }
    }
    let mut pending = Pending::Each { results, waiting };
    Ok(match pending.poll(d) {
        Some(Ok(v)) => Reply::Now(v),
        Some(Err(f)) => return Err(f),
        None => Reply::Later(pending),
    })
}

fn group_ids(m: &Model, name: &str) -> Result<Vec<ProcId>, Fault> {
    m.group(name)
        .map(|g| g.procs.clone())
        .ok_or_else(|| Fault::with_detail(FaultCode::BadName, name))
}

fn not_running(s: ProcessState) -> bool {
    !s.is_running()
}

fn running(s: ProcessState) -> bool {
    s.is_running()
}

fn signallable(s: ProcessState) -> bool {
    s.is_signallable()
}

fn start_group(d: &mut dyn Supervisor, group: &str, wait: Wait) -> Result<Reply, Fault> {
    let ids = group_ids(d.model(), group)?;
    each(d, ids, not_running, |d, id, n| start_one(d, id, n, wait))
}

/// The order of a group or "all" stop: DIVERGENCE(Q18): descending priority (group, then
/// process), as documented; equal priorities keep the start order, as the reference's.
fn stop_order(m: &Model, mut ids: Vec<ProcId>) -> Vec<ProcId> {
    let groups: std::collections::HashMap<&str, i32> = m
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.priority))
        .collect();
    ids.sort_by_cached_key(|id| {
        std::cmp::Reverse(m.procs.get(id).map_or((0, 0), |p| {
            let group = groups.get(p.group.as_str()).copied().unwrap_or(0);
            (group, p.config.priority)
        }))
    });
    // Issue 14: dependents first, then by priority (a stable sort keeps it among equals).
    m.order_stops(&mut ids);
    ids
}

fn stop_group(d: &mut dyn Supervisor, group: &str, wait: Wait) -> Result<Reply, Fault> {
    let ids = stop_order(d.model(), group_ids(d.model(), group)?);
    each(d, ids, running, |d, id, n| stop_one(d, id, n, wait))
}

fn signal_group(d: &mut dyn Supervisor, group: &str, sig: Option<&Value>) -> Result<Reply, Fault> {
    let ids = group_ids(d.model(), group)?;
    each(d, ids, signallable, |d, id, n| signal_one(d, id, n, sig))
}

pub fn start_process(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 2)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    let wait = Wait::param(params, 1)?;
    match lookup(d.model(), name)? {
        Target::Process(id) => start_one(d, id, name, wait),
        Target::Group(g) => start_group(d, &g, wait),
    }
}

pub fn start_process_group(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 2)?;
    require_running(d.model())?;
    let wait = Wait::param(params, 1)?;
    start_group(d, args::string(params, 0)?, wait)
}

pub fn start_all_processes(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 1)?;
    require_running(d.model())?;
    let wait = Wait::param(params, 0)?;
    let ids = d.model().all_ids();
    each(d, ids, not_running, |d, id, n| start_one(d, id, n, wait))
}

pub fn stop_process(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 2)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    let wait = Wait::param(params, 1)?;
    match lookup(d.model(), name)? {
        Target::Process(id) => stop_one(d, id, name, wait),
        Target::Group(g) => stop_group(d, &g, wait),
    }
}

pub fn stop_process_group(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 2)?;
    require_running(d.model())?;
    let wait = Wait::param(params, 1)?;
    stop_group(d, args::string(params, 0)?, wait)
}

pub fn stop_all_processes(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 1)?;
    require_running(d.model())?;
    let wait = Wait::param(params, 0)?;
    let ids = stop_order(d.model(), d.model().all_ids());
    each(d, ids, running, |d, id, n| stop_one(d, id, n, wait))
}

pub fn signal_process(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 2, 2)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    match lookup(d.model(), name)? {
        Target::Process(id) => signal_one(d, id, name, params.get(1)),
        Target::Group(g) => signal_group(d, &g, params.get(1)),
    }
}

pub fn signal_process_group(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 2, 2)?;
    require_running(d.model())?;
    signal_group(d, args::string(params, 0)?, params.get(1))
}

pub fn signal_all_processes(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    require_running(d.model())?;
    let ids = d.model().all_ids();
    each(d, ids, signallable, |d, id, n| {
        signal_one(d, id, n, params.first())
    })
}

pub fn send_process_stdin(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 2, 2)?;
    require_running(d.model())?;
    let chars = match params.get(1) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(Fault::with_detail(
                FaultCode::IncorrectParameters,
                args::show(other),
            ))
        }
        None => return Err(Fault::new(FaultCode::IncorrectParameters)),
    };
    let name = args::string(params, 0)?;
    let id = crate::rpc::info::lookup_process(d.model(), name)?;
    let live = d
        .model()
        .procs
        .get(&id)
        .is_some_and(|p| p.machine.pid() != 0 && p.machine.state() != ProcessState::Stopping);
    if !live {
        return Err(Fault::with_detail(FaultCode::NotRunning, name));
    }
    let Some(backlog) = d.model().stdin_backlog(id) else {
        return Err(Fault::with_detail(FaultCode::NoFile, name));
    };
    // D9: what a child does not read is held up to a bound, never without limit.
    if backlog + chars.len() > STDIN_BACKLOG {
        return Err(Fault::with_detail(
            FaultCode::Failed,
            format!(
                "{name} is not reading its stdin: {backlog} bytes are still queued and at most {STDIN_BACKLOG} may be"
            ),
        ));
    }
    if !d.send_stdin(id, chars.as_bytes()) {
        return Err(Fault::with_detail(FaultCode::NoFile, name));
    }
    Ok(Reply::Now(Value::Bool(true)))
}

/// Emits REMOTE_COMMUNICATION; allowed even while shutting down.
pub fn send_remote_comm_event(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 2, 2)?;
    let kind = params.first().map(args::show).unwrap_or_default();
    let data = params.get(1).map(args::show).unwrap_or_default();
    d.emit(Event::remote_communication(&kind, &data));
    Ok(Reply::Now(Value::Bool(true)))
}
