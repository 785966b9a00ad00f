//! Answers that wait for a state (`wait=true`), for a group of processes, or for the calls
//! of a `system.multicall` (reference §5.4, §5.6).
//!
//! A pending answer is checked whenever a process changed state, never on a timer
//! (D2: it answers in the turn the awaited state is reached).

use std::collections::VecDeque;

use crate::rpc::Value;

use crate::daemon::core::Daemon;
use crate::daemon::model::ProcId;
use crate::rpc::args::record;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::{table, Reply};
use crate::states::ProcessState;

#[derive(Debug)]
pub enum Pending {
    /// `startProcess(wait=true)`: RUNNING answers true; a spawn error SPAWN_ERROR; leaving
    /// STARTING any other way ABNORMAL_TERMINATION.
    Start { id: ProcId, name: String },
    /// `stopProcess(wait=true)`: true once stopped.
    Stop { id: ProcId },
    /// A group or "all" operation: the results so far and what still waits.
    Each {
        results: Vec<Value>,
        waiting: Vec<Member>,
    },
    /// `system.multicall`: strictly in order, a waiting call blocks the ones after it.
    Multi {
        results: Vec<Value>,
        current: Box<Pending>,
        rest: VecDeque<Value>,
    },
}

/// One waiting process of a group operation.
#[derive(Debug)]
pub struct Member {
    pub pending: Pending,
    pub name: String,
    pub group: String,
}

/// The result struct of one process in a group operation.
pub fn member_result(name: &str, group: &str, outcome: Result<(), &Fault>) -> Value {
    let (status, description) = match outcome {
        Ok(()) => (FaultCode::Success.code(), "OK".to_string()),
        Err(f) => (f.code.code(), f.fault_string()),
    };
    record([
        ("name", Value::String(name.into())),
        ("group", Value::String(group.into())),
        ("status", Value::Int(status)),
        ("description", Value::String(description)),
    ])
}

impl Pending {
    /// `Some` once the answer is known.
    pub fn poll(&mut self, d: &mut Daemon) -> Option<Result<Value, Fault>> {
        match self {
            Pending::Start { id, name } => {
                let abnormal = || Fault::with_detail(FaultCode::AbnormalTermination, name.clone());
                let Some(p) = d.procs.get(id) else {
                    return Some(Err(abnormal()));
                };
                if p.machine.spawnerr().is_some() {
                    return Some(Err(Fault::with_detail(FaultCode::SpawnError, name.clone())));
                }
                match p.machine.state() {
                    ProcessState::Running => Some(Ok(Value::Bool(true))),
                    ProcessState::Starting => None,
                    _ => Some(Err(abnormal())),
                }
            }
            Pending::Stop { id } => match d.procs.get(id) {
                Some(p) if !p.machine.state().is_stopped() => None,
                _ => Some(Ok(Value::Bool(true))),
            },
            Pending::Each { results, waiting } => {
                let mut i = 0;
                while i < waiting.len() {
                    match waiting.get_mut(i).and_then(|m| m.pending.poll(d)) {
                        Some(outcome) => {
                            let m = waiting.remove(i);
                            results.push(member_result(
                                &m.name,
                                &m.group,
                                outcome.as_ref().map(|_| ()),
                            ));
                        }
                        None => i += 1,
                    }
                }
                waiting
                    .is_empty()
                    .then(|| Ok(Value::Array(std::mem::take(results))))
            }
            Pending::Multi {
                results,
                current,
                rest,
            } => {
                let done = current.poll(d)?;
                results.push(done.unwrap_or_else(|f| f.to_value()));
                match run_calls(d, results, rest) {
                    Some(next) => {
                        **current = next;
                        None
                    }
                    None => Some(Ok(Value::Array(std::mem::take(results)))),
                }
            }
        }
    }
}

/// Runs multicall entries in order until one has to wait; returns that one's pending.
pub fn run_calls(
    d: &mut Daemon,
    results: &mut Vec<Value>,
    rest: &mut VecDeque<Value>,
) -> Option<Pending> {
    while let Some(call) = rest.pop_front() {
        match one_call(d, &call) {
            Ok(Reply::Now(v)) => results.push(v),
            Ok(Reply::Later(mut p)) => match p.poll(d) {
                Some(done) => results.push(done.unwrap_or_else(|f| f.to_value())),
                None => return Some(p),
            },
            Err(f) => results.push(f.to_value()),
        }
    }
    None
}

fn one_call(d: &mut Daemon, call: &Value) -> Result<Reply, Fault> {
    let Value::Struct(fields) = call else {
        return Err(Fault::with_detail(
            FaultCode::IncorrectParameters,
            "No methodName",
        ));
    };
    let name = match fields.get("methodName") {
        Some(Value::String(n)) => n.as_str(),
        _ => {
            return Err(Fault::with_detail(
                FaultCode::IncorrectParameters,
                "No methodName",
            ))
        }
    };
    if name == "system.multicall" {
        return Err(Fault::with_detail(
            FaultCode::IncorrectParameters,
            "Recursive system.multicall forbidden",
        ));
    }
    let params = match fields.get("params") {
        Some(Value::Array(a)) => a.as_slice(),
        None => &[],
        Some(_) => return Err(Fault::new(FaultCode::IncorrectParameters)),
    };
    table::call(d, name, params)
}
