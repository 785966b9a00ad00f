//! Configuration updates: `avail`, `reread`, `add`, `remove`, `update`.
//!
//! None of these does the upcheck (reference §4.2): a dead server surfaces as the call's
//! own error.

use crate::rpc::Value;

use super::super::controller::{exit, Controller, Flow, Outcome};
use super::super::format::{avail_line, change_lines, fault};
use super::super::reply::{Changes, ConfigInfo, ProcessInfo, ProcessResult};

impl Controller<'_> {
    pub(in super::super) fn do_avail(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage("Error: avail accepts no arguments", "avail", exit::GENERIC);
        }
        match self.call_as("supervisor.getAllConfigInfo", vec![], ConfigInfo::list) {
            Ok(infos) => {
                for info in &infos {
                    self.say(&avail_line(info));
                }
            }
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.exit_status = exit::GENERIC;
                self.say("ERROR: supervisor shutting down");
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_reread(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage(
                "Error: reread accepts no arguments",
                "reread",
                exit::GENERIC,
            );
        }
        match self.call_as("supervisor.reloadConfig", vec![], Changes::from_value) {
            Ok(changes) => {
                for line in change_lines(&changes) {
                    self.say(&line);
                }
            }
            Err(e) => match e.fault_code() {
                Some(fault::SHUTDOWN_STATE) => {
                    self.exit_status = exit::GENERIC;
                    self.say("ERROR: supervisor shutting down");
                }
                Some(fault::CANT_REREAD) => {
                    self.exit_status = exit::GENERIC;
                    self.say(&e.to_string());
                }
                _ => return Err(e.into()),
            },
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_add(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.call("supervisor.addProcessGroup", vec![Value::from(name)]) {
                Ok(_) => self.say(&format!("{name}: added process group")),
                Err(e) => match e.fault_code() {
                    Some(fault::SHUTDOWN_STATE) => {
                        self.say("ERROR: shutting down");
                        self.exit_status = exit::GENERIC;
                    }
                    Some(fault::ALREADY_ADDED) => self.say("ERROR: process group already active"),
                    Some(fault::BAD_NAME) => {
                        self.say(&format!("ERROR: no such process/group: {name}"));
                        self.exit_status = exit::GENERIC;
                    }
                    _ => return Err(e.into()),
                },
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_remove(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.call("supervisor.removeProcessGroup", vec![Value::from(name)]) {
                Ok(_) => self.say(&format!("{name}: removed process group")),
                Err(e) => {
                    let line = match e.fault_code() {
                        Some(fault::STILL_RUNNING) => {
                            format!("ERROR: process/group still running: {name}")
                        }
                        Some(fault::BAD_NAME) => format!("ERROR: no such process/group: {name}"),
                        _ => return Err(e.into()),
                    };
                    self.exit_status = exit::GENERIC;
                    self.say(&line);
                }
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_update(&mut self, arg: &str) -> Outcome {
        let changes = match self.call_as("supervisor.reloadConfig", vec![], Changes::from_value) {
            Ok(changes) => changes,
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.exit_status = exit::GENERIC;
                self.say("ERROR: already shutting down");
                return Ok(Flow::Continue);
            }
            Err(e) => return Err(e.into()),
        };
        let mut wanted: Vec<&str> = Vec::new();
        for name in arg.split_whitespace() {
            if !wanted.contains(&name) {
                wanted.push(name);
            }
        }
        if wanted.contains(&"all") {
            wanted.clear();
        }
        if !wanted.is_empty() {
            let infos = self.call_as("supervisor.getAllProcessInfo", vec![], ProcessInfo::list)?;
            for name in &wanted {
                let known = infos.iter().any(|i| i.group == *name)
                    || changes.added.iter().any(|a| a == name);
                if !known {
                    self.say(&format!("ERROR: no such group: {name}"));
                    self.exit_status = exit::GENERIC;
                }
            }
        }
        let selected = |g: &String| wanted.is_empty() || wanted.contains(&g.as_str());
        for group in changes.removed.iter().filter(|g| selected(g)) {
            let results = self.call_as(
                "supervisor.stopProcessGroup",
                vec![Value::from(group.as_str())],
                ProcessResult::list,
            )?;
            self.say(&format!("{group}: stopped"));
            if results.iter().any(|r| r.status == fault::FAILED) {
                self.say(&format!("{group}: has problems; not removing"));
                self.exit_status = exit::GENERIC;
                continue;
            }
            self.call(
                "supervisor.removeProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.say(&format!("{group}: removed process group"));
        }
        for group in changes.changed.iter().filter(|g| selected(g)) {
            self.call(
                "supervisor.stopProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.say(&format!("{group}: stopped"));
            self.call(
                "supervisor.removeProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.call(
                "supervisor.addProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.say(&format!("{group}: updated process group"));
        }
        for group in changes.added.iter().filter(|g| selected(g)) {
            self.call(
                "supervisor.addProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.say(&format!("{group}: added process group"));
        }
        Ok(Flow::Continue)
    }
}
