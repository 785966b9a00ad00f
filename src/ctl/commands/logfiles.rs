//! `reopen` and `rotate` (D11: commands of ours, on the `supervisor_rs.*` methods).

use crate::rpc::Value;

use super::super::controller::{exit, Controller, Flow, Outcome};
use super::super::format::{fault, split_namespec};
use super::super::reply::ProcessResult;

/// A result line: `name: reopened` / `name: rotated`, or the failure.
fn log_result(name: &str, r: &ProcessResult, done: &str) -> String {
    match r.status {
        fault::SUCCESS => format!("{name}: {done}"),
        _ => format!("{name}: ERROR ({})", r.description),
    }
}

impl Controller<'_> {
    pub(in super::super) fn do_reopen(&mut self, arg: &str) -> Outcome {
        self.log_files(arg, "reopen", "supervisor_rs.reopenLogs", "reopened")
    }

    pub(in super::super) fn do_rotate(&mut self, arg: &str) -> Outcome {
        self.log_files(arg, "rotate", "supervisor_rs.rotateLogs", "rotated")
    }

    fn log_files(&mut self, arg: &str, action: &str, method: &str, done: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            return self.usage(
                &format!("Error: {action} requires a process name"),
                action,
                exit::GENERIC,
            );
        }
        for name in names {
            match self.call_as(method, vec![Value::from(name)], ProcessResult::list) {
                Ok(results) => {
                    let render = |spec: &str, r: &ProcessResult| Some(log_result(spec, r, done));
                    self.show_results(&results, action, render, None)?;
                }
                Err(e) if e.fault_code() == Some(fault::BAD_NAME) => {
                    let line = match split_namespec(name) {
                        (group, None) => format!("{group}: ERROR (no such group)"),
                        _ => format!("{name}: ERROR (no such process)"),
                    };
                    self.say(&line);
                    self.exit_status = exit::GENERIC;
                }
                Err(e) if e.fault_code() == Some(fault::UNKNOWN_METHOD) => {
                    self.say(&format!(
                        "ERROR: this supervisord cannot {action} logs (no {method} method)"
                    ));
                    self.exit_status = exit::UNIMPLEMENTED_FEATURE;
                    return Ok(Flow::Continue);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Flow::Continue)
    }
}
