//! The handlers against the fake reactor (`model::fake`): results and faults of every
//! method, and how waiting answers complete, with no process, socket or sleep.

mod control;
mod info;
mod logs;
mod pending;
mod reload;

use crate::model::fake::Fake;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::pending::Pending;
use crate::rpc::{table, Reply, Value};

fn s(text: &str) -> Value {
    Value::String(text.into())
}

/// `v` with the answers written straight from the model (`Value::Encoded`) read back, as
/// a client would see them.
fn plain(v: Value) -> Value {
    match v {
        Value::Encoded(e) => e.decode().expect("an encoded value reads back"),
        Value::Array(items) => Value::Array(items.into_iter().map(plain).collect()),
        other => other,
    }
}

/// Answers `method` must give at once.
fn now(f: &mut Fake, method: &str, params: &[Value]) -> Value {
    match table::call(f, method, params) {
        Ok(Reply::Now(v)) => plain(v),
        other => panic!("{method}: {other:?}"),
    }
}

/// The fault `method` answers: its code and its string.
fn fault(f: &mut Fake, method: &str, params: &[Value]) -> (FaultCode, String) {
    match table::call(f, method, params) {
        Err(Fault { code, detail }) => {
            let text = Fault { code, detail }.fault_string();
            (code, text)
        }
        other => panic!("{method}: expected a fault, got {other:?}"),
    }
}

/// The answer `method` defers.
fn later(f: &mut Fake, method: &str, params: &[Value]) -> Pending {
    match table::call(f, method, params) {
        Ok(Reply::Later(p)) => p,
        other => panic!("{method}: expected to wait, got {other:?}"),
    }
}

/// `(name, status)` of each result struct of a group or "all" answer, in order.
fn members(v: &Value) -> Vec<(String, i32)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v:?}"))
        .iter()
        .map(|r| {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("?");
            let status = r.get("status").and_then(Value::as_i32).unwrap_or(-1);
            (name.to_string(), status)
        })
        .collect()
}

const OK: i32 = 80;
