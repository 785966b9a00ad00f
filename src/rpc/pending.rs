//! Answers that wait for a state (`wait=true`), for a group of processes, or for the calls
//! of a `system.multicall` (reference §5.4, §5.6).
//!
//! A pending answer is checked whenever a process changed state, never on a timer
//! (D2: it answers in the turn the awaited state is reached).

use std::collections::VecDeque;
use std::time::Duration;

use crate::rpc::Value;

use crate::model::{ProcId, Supervisor};
use crate::rpc::args::record;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::{table, Reply};
use crate::states::ProcessState;

/// Most calls in one `system.multicall` (D9): far above what a client batches (one call
/// per process of a large installation), far below what makes one request a flood.
pub const MAX_MULTICALL_CALLS: usize = 1000;
/// Largest `system.multicall` answer, as estimated while its results come in (D9): the
/// answer is held whole, so this bounds the memory one request can claim.
pub const MAX_MULTICALL_ANSWER: usize = 1 << 20;
/// Work per loop turn, counted from the turn's start, after which a `system.multicall` lets
/// the others in (D9); it still does one call per turn, so it never starves.
const MULTICALL_SLICE: Duration = Duration::from_millis(2);

#[derive(Debug)]
pub enum Pending {
    /// `startProcess(wait=true)`: RUNNING answers true; a spawn error SPAWN_ERROR; leaving
    /// STARTING any other way ABNORMAL_TERMINATION.
    Start { id: ProcId, name: String },
    /// `stopProcess(wait=true)`: true once stopped.
    Stop { id: ProcId },
    /// A group or "all" operation: one slot per process in processing order (`None` while
    /// it waits), and what still waits with the index of its slot.
    Each {
        results: Vec<Option<Value>>,
        waiting: Vec<(usize, Member)>,
    },
    /// `supervisor_rs.update`: waits for the processes it stops, then applies.
    Apply(Box<crate::rpc::apply::Apply>),
    /// `system.multicall`: strictly in order, a waiting call blocks the ones after it.
    Multi {
        results: Vec<Value>,
        current: Box<Pending>,
        rest: VecDeque<Value>,
        /// The estimated size of `results` once encoded.
        bytes: usize,
    },
    /// A multicall paused in loop turn `turn` to let other clients in; it goes on in the
    /// next turn.
    Yielded { turn: u64 },
    /// `getAllProcessInfo` / `getAllConfigInfo` written over several turns (D9).
    Listing(Box<crate::rpc::listing::Listing>),
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
    /// True while this answer waits for process `id` to stop.
    pub fn awaits_stop(&self, id: ProcId) -> bool {
        match self {
            Pending::Stop { id: awaited } => *awaited == id,
            Pending::Start { .. } | Pending::Yielded { .. } | Pending::Listing(_) => false,
            Pending::Apply(plan) => plan.awaits_stop(id),
            Pending::Each { waiting, .. } => waiting.iter().any(|(_, m)| m.pending.awaits_stop(id)),
            Pending::Multi { current, .. } => current.awaits_stop(id),
        }
    }

    /// `Some` once the answer is known.
    pub fn poll(&mut self, d: &mut dyn Supervisor) -> Option<Result<Value, Fault>> {
        match self {
            Pending::Start { id, name } => {
                let abnormal = || Fault::with_detail(FaultCode::AbnormalTermination, name.clone());
                let Some(p) = d.model().procs.get(id) else {
                    return Some(Err(abnormal()));
                };
                if p.machine.spawnerr().is_some() {
                    return Some(Err(Fault::with_detail(FaultCode::SpawnError, name.clone())));
                }
                match p.machine.state() {
                    ProcessState::Running => Some(Ok(Value::Bool(true))),
                    ProcessState::Starting => None,
                    // Issue 14: held for its dependencies.
                    ProcessState::Stopped if p.watch.waiting.is_some() => None,
                    _ => Some(Err(abnormal())),
                }
            }
            Pending::Stop { id } => match d.model().procs.get(id) {
                Some(p) if !p.machine.state().is_stopped() => {
                    d.stop_report(*id);
                    None
                }
                _ => Some(Ok(Value::Bool(true))),
            },
            Pending::Each { results, waiting } => {
                let mut i = 0;
                while i < waiting.len() {
                    match waiting.get_mut(i).and_then(|(_, m)| m.pending.poll(d)) {
                        Some(outcome) => {
                            let (slot, m) = waiting.remove(i);
                            let done =
                                member_result(&m.name, &m.group, outcome.as_ref().map(|_| ()));
                            if let Some(r) = results.get_mut(slot) {
                                *r = Some(done);
                            }
                        }
                        None => i += 1,
                    }
                }
                // DIVERGENCE(D10): the answer lists the processes in processing order, not
                // in the order they finished (which varies from run to run).
                waiting.is_empty().then(|| {
                    Ok(Value::Array(
                        std::mem::take(results).into_iter().flatten().collect(),
                    ))
                })
            }
            Pending::Apply(plan) => plan.poll(d),
            Pending::Multi {
                results,
                current,
                rest,
                bytes,
            } => {
                match **current {
                    Pending::Yielded { turn } if turn == d.turn() => {
                        d.resume_next_turn();
                        return None;
                    }
                    Pending::Yielded { .. } => {}
                    _ => {
                        let done = current.poll(d)?;
                        if let Err(f) = push_result(results, bytes, done) {
                            return Some(Err(f));
                        }
                    }
                }
                match run_calls(d, results, rest, bytes) {
                    Ok(Some(next)) => {
                        **current = next;
                        None
                    }
                    Ok(None) => Some(Ok(Value::Array(std::mem::take(results)))),
                    Err(f) => Some(Err(f)),
                }
            }
            Pending::Yielded { .. } => None,
            Pending::Listing(listing) => listing.poll(d),
        }
    }
}

/// Adds one multicall result, refusing the whole answer once it grows too large (D9).
fn push_result(
    results: &mut Vec<Value>,
    bytes: &mut usize,
    outcome: Result<Value, Fault>,
) -> Result<(), Fault> {
    let value = outcome.unwrap_or_else(|f| f.to_value());
    *bytes = bytes.saturating_add(encoded_size(&value));
    if *bytes > MAX_MULTICALL_ANSWER {
        // DIVERGENCE(D9): the reference builds answers of any size.
        return Err(Fault::with_detail(
            FaultCode::Failed,
            format!(
                "system.multicall answer larger than {} MiB; split the calls",
                MAX_MULTICALL_ANSWER >> 20
            ),
        ));
    }
    results.push(value);
    Ok(())
}

/// About the size of `value` in a `<methodResponse>`; cheap next to encoding it.
fn encoded_size(value: &Value) -> usize {
    const TAGS: usize = 32;
    match value {
        Value::String(s) => TAGS + s.len(),
        Value::Base64(b) => TAGS + b.len() / 3 * 4 + 4,
        Value::Encoded(e) => e.len(),
        Value::Array(items) => items
            .iter()
            .fold(TAGS, |n, v| n.saturating_add(encoded_size(v))),
        Value::Struct(fields) => fields.iter().fold(TAGS, |n, (k, v)| {
            n.saturating_add(TAGS + k.len() + encoded_size(v))
        }),
        _ => TAGS,
    }
}

/// Runs multicall entries in order until one has to wait, or this turn's slice is used up
/// (D9); returns what the rest waits for. `Err` when the answer grew too large.
pub fn run_calls(
    d: &mut dyn Supervisor,
    results: &mut Vec<Value>,
    rest: &mut VecDeque<Value>,
    bytes: &mut usize,
) -> Result<Option<Pending>, Fault> {
    let started = d.turn_work();
    while let Some(call) = rest.pop_front() {
        let outcome = match one_call(d, &call) {
            Ok(Reply::Now(v)) => Ok(v),
            Ok(Reply::Later(mut p)) => match p.poll(d) {
                Some(done) => done,
                None => return Ok(Some(p)),
            },
            Err(f) => Err(f),
        };
        push_result(results, bytes, outcome)?;
        if !rest.is_empty() && d.elapsed(started) >= MULTICALL_SLICE {
            d.resume_next_turn();
            return Ok(Some(Pending::Yielded { turn: d.turn() }));
        }
    }
    Ok(None)
}

fn one_call(d: &mut dyn Supervisor, call: &Value) -> Result<Reply, Fault> {
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
