//! Process control: `status`, `pid`, `start`, `stop`, `restart`, `signal`.

use crate::rpc::Value;

use crate::states::ProcessState;

use super::super::client::CallError;
use super::super::controller::{exit, Controller, Flow, Outcome};
use super::super::format::{
    fault, namespec, signal_result, split_namespec, start_result, status_lines,
};
use super::super::json::Json;
use super::super::reply::{self, ProcessInfo, ProcessResult};

impl Controller<'_> {
    pub(in super::super) fn do_status(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            self.exit_status = exit::STATUS_UNKNOWN;
            return Ok(Flow::Continue);
        }
        // The whole structs only for `--json`; the table reads six members of each.
        let (all, raw) = if self.wants_json() {
            let (all, raw) =
                self.call_keep("supervisor.getAllProcessInfo", vec![], ProcessInfo::list)?;
            (all, Some(raw))
        } else {
            let all = self.call_rows_as(
                "supervisor.getAllProcessInfo",
                &reply::PROCESS_INFO_KEYS,
                ProcessInfo::from_rows,
            )?;
            (all, None)
        };
        let raw = raw
            .as_ref()
            .map_or(&[][..], |r| reply::array(r).unwrap_or_default());
        let names: Vec<&str> = arg.split_whitespace().collect();
        // Indexes into `all` (and `raw`) of the processes shown, in order.
        let every = names.is_empty() || names.contains(&"all");
        let shown: Vec<usize> = if every {
            (0..all.len()).collect()
        } else {
            let mut shown = Vec::new();
            for name in names {
                let (group, process) = split_namespec(name);
                let matched = all
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.group == group && process.is_none_or(|p| i.name == p))
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>();
                if matched.is_empty() {
                    match process {
                        None => self.say(&format!("{group}: ERROR (no such group)")),
                        Some(_) => self.say(&format!("{name}: ERROR (no such process)")),
                    }
                    self.exit_status = exit::STATUS_UNKNOWN;
                }
                shown.extend(matched);
            }
            shown
        };
        let shown_infos: Vec<ProcessInfo> = if every {
            all
        } else {
            shown.iter().filter_map(|&n| all.get(n).cloned()).collect()
        };
        if self.wants_json() {
            let records = shown
                .iter()
                .filter_map(|&n| raw.get(n))
                .map(Json::from_value);
            let records = Json::Array(records.collect());
            self.json_set("processes", || records);
        } else {
            let lines = status_lines(&shown_infos);
            if !lines.is_empty() {
                // One write for the table: a write per line was 10,000 writes for 10,000
                // programs.
                self.say(&lines.join("\n"));
            }
        }
        let stopped = |i: &ProcessInfo| {
            i32::try_from(i.state)
                .ok()
                .and_then(ProcessState::from_code)
                .is_some_and(ProcessState::is_stopped)
        };
        if shown_infos.iter().any(stopped) {
            self.exit_status = exit::STATUS_NOT_RUNNING;
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_pid(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            let pid = self.call_as("supervisor.getPID", vec![], reply::integer_reply)?;
            self.pid_line(pid, None);
        } else if names.contains(&"all") {
            let (infos, raw) =
                self.call_keep("supervisor.getAllProcessInfo", vec![], ProcessInfo::list)?;
            let raw = reply::array(&raw).unwrap_or_default();
            for (info, raw) in infos.iter().zip(raw) {
                self.pid_line(info.pid, Some(raw));
            }
        } else {
            for name in names {
                let params = vec![Value::from(name)];
                match self.call_keep("supervisor.getProcessInfo", params, ProcessInfo::from_value) {
                    Ok((info, raw)) => {
                        self.pid_line(info.pid, Some(&raw));
                        if info.pid == 0 {
                            self.exit_status = exit::NOT_RUNNING;
                        }
                    }
                    Err(e) if e.fault_code() == Some(fault::BAD_NAME) => {
                        self.exit_status = exit::GENERIC;
                        self.say(&format!("No such process {name}"));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(Flow::Continue)
    }

    /// One `pid` answer: the number in text mode; with `--json` supervisord's `pid` key or
    /// the process's info struct.
    fn pid_line(&mut self, pid: i64, info: Option<&Value>) {
        match info {
            _ if !self.wants_json() => self.say(&pid.to_string()),
            None => self.json_set("pid", || Json::Int(pid)),
            Some(info) => self.json_push("processes", || Json::from_value(info)),
        }
    }

    pub(in super::super) fn do_start(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            return self.usage(
                "Error: start requires a process name",
                "start",
                exit::INVALID_ARGS,
            );
        }
        let render = |name: &str, r: &ProcessResult| start_result(name, r.status);
        let ignored = Some(fault::ALREADY_STARTED);
        if names.contains(&"all") {
            let results =
                self.call_as("supervisor.startAllProcesses", vec![], ProcessResult::list)?;
            self.show_results(&results, "start", render, ignored)?;
            return Ok(Flow::Continue);
        }
        for name in names {
            match split_namespec(name) {
                (group, None) => {
                    let params = vec![Value::from(group)];
                    match self.call_as("supervisor.startProcessGroup", params, ProcessResult::list)
                    {
                        Ok(results) => self.show_results(&results, "start", render, ignored)?,
                        Err(e) if e.fault_code() == Some(fault::BAD_NAME) => {
                            self.say(&format!("{group}: ERROR (no such group)"));
                            self.exit_status = exit::INVALID_ARGS;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                (group, Some(process)) => {
                    let shown = namespec(group, process);
                    match self.call("supervisor.startProcess", vec![Value::from(name)]) {
                        Ok(_) => self.say_result(
                            &format!("{shown}: started"),
                            "start",
                            (group, process, fault::SUCCESS, "OK"),
                        ),
                        Err(e) => {
                            let result = match &e {
                                CallError::Fault { code, string } => {
                                    start_result(&shown, *code).map(|l| (*code, string, l))
                                }
                                _ => None,
                            };
                            let Some((code, string, line)) = result else {
                                return Err(e.into());
                            };
                            self.say_result(&line, "start", (group, process, code, string));
                            self.note_fault(code, ignored);
                        }
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_stop(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            return self.usage("Error: stop requires a process name", "stop", exit::GENERIC);
        }
        self.signal_each(&names, None)
    }

    pub(in super::super) fn do_signal(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let args: Vec<&str> = arg.split_whitespace().collect();
        match args.split_first() {
            Some((sig, names)) if !names.is_empty() => self.signal_each(names, Some(sig)),
            _ => self.usage(
                "Error: signal requires a signal name and a process name",
                "signal",
                exit::GENERIC,
            ),
        }
    }

    /// `stop` (no signal) or `signal SIG` on `all`, groups and single processes.
    fn signal_each(&mut self, names: &[&str], sig: Option<&str>) -> Outcome {
        let (action, verb, ignored, all_method, group_method, one_method) = match sig {
            None => (
                "stop",
                "stopped",
                Some(fault::NOT_RUNNING),
                "supervisor.stopAllProcesses",
                "supervisor.stopProcessGroup",
                "supervisor.stopProcess",
            ),
            Some(_) => (
                "signal",
                "signalled",
                None,
                "supervisor.signalAllProcesses",
                "supervisor.signalProcessGroup",
                "supervisor.signalProcess",
            ),
        };
        let with_sig = |mut params: Vec<Value>| {
            params.extend(sig.map(Value::from));
            params
        };
        let render =
            |name: &str, r: &ProcessResult| signal_result(name, r.status, &r.description, verb);
        if names.contains(&"all") {
            let results = self.call_as(all_method, with_sig(vec![]), ProcessResult::list)?;
            self.show_results(&results, action, render, ignored)?;
            return Ok(Flow::Continue);
        }
        for name in names {
            match split_namespec(name) {
                (group, None) => {
                    let params = with_sig(vec![Value::from(group)]);
                    match self.call_as(group_method, params, ProcessResult::list) {
                        Ok(results) => self.show_results(&results, action, render, ignored)?,
                        Err(e) if e.fault_code() == Some(fault::BAD_NAME) => {
                            self.say(&format!("{group}: ERROR (no such group)"));
                            self.exit_status = exit::GENERIC;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                (group, Some(process)) => {
                    let shown = namespec(group, process);
                    match self.call(one_method, with_sig(vec![Value::from(*name)])) {
                        Ok(_) => self.say_result(
                            &format!("{shown}: {verb}"),
                            action,
                            (group, process, fault::SUCCESS, "OK"),
                        ),
                        Err(e) => {
                            let result = match &e {
                                CallError::Fault { code, string } => {
                                    let code = *code;
                                    signal_result(&shown, code, string, verb)
                                        .map(|l| (code, string, l))
                                }
                                _ => None,
                            };
                            let Some((code, string, line)) = result else {
                                return Err(e.into());
                            };
                            self.say_result(&line, action, (group, process, code, string));
                            self.note_fault(code, ignored);
                        }
                    }
                }
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_restart(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        if arg.split_whitespace().next().is_none() {
            return self.usage(
                "Error: restart requires a process name",
                "restart",
                exit::GENERIC,
            );
        }
        self.do_stop(arg)?;
        self.do_start(arg)
    }
}
