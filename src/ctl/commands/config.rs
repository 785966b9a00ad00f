//! Configuration updates: `avail`, `reread`, `add`, `remove`, `update`.
//!
//! None of these does the upcheck (reference §4.2): a dead server surfaces as the call's
//! own error.

use crate::rpc::Value;

use super::super::controller::{exit, Controller, Flow, Outcome};
use super::super::format::{avail_line, change_lines, fault, namespec};
use super::super::json::Json;
use super::super::reply::{Changes, ConfigInfo, ProcessInfo, ProcessResult, UpdateResult};

/// `reloadConfig`'s lists for `--json`.
fn changes_json(changes: &Changes) -> Json {
    Json::object([
        ("added", Json::names(&changes.added)),
        ("changed", Json::names(&changes.changed)),
        ("removed", Json::names(&changes.removed)),
    ])
}

impl Controller<'_> {
    pub(in super::super) fn do_avail(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage("Error: avail accepts no arguments", "avail", exit::GENERIC);
        }
        let method = "supervisor.getAllConfigInfo";
        // The whole structs only for `--json`; the table reads a few members of each.
        let answer = if self.wants_json() {
            self.call_keep(method, vec![], ConfigInfo::list)
                .map(|(_, raw)| Err(raw))
        } else {
            self.call_rows_as(method, &ConfigInfo::keys(), ConfigInfo::from_rows)
                .map(Ok)
        };
        match answer {
            Ok(Err(raw)) => self.json_set("configs", || Json::from_value(&raw)),
            Ok(Ok(infos)) => {
                // One write for the table, as `status`.
                let lines: Vec<String> = infos.iter().map(avail_line).collect();
                if !lines.is_empty() {
                    self.say(&lines.join("\n"));
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
            Ok(changes) if self.wants_json() => self.json_set("changes", || changes_json(&changes)),
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
        let mut wanted: Vec<&str> = Vec::new();
        for name in arg.split_whitespace() {
            if !wanted.contains(&name) {
                wanted.push(name);
            }
        }
        if wanted.contains(&"all") {
            wanted.clear();
        }
        // DIVERGENCE(D11): against our daemon, `update` applies the change per process (a
        // changed member restarts alone); the lines are the reference's wherever a whole
        // group is concerned. A server without the method gets the reference algorithm.
        let names = Value::Array(wanted.iter().map(|n| Value::from(*n)).collect());
        match self.call_keep("supervisor_rs.update", vec![names], UpdateResult::list) {
            Ok((results, raw)) => {
                let raw = super::super::reply::array(&raw).unwrap_or_default();
                for (result, raw) in results.iter().zip(raw) {
                    self.show_update(result, raw);
                }
                return Ok(Flow::Continue);
            }
            Err(e) if e.fault_code() == Some(fault::UNKNOWN_METHOD) => {}
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.exit_status = exit::GENERIC;
                self.say("ERROR: already shutting down");
                return Ok(Flow::Continue);
            }
            Err(e) => return Err(e.into()),
        }
        self.update_by_groups(&wanted)
    }

    /// The reference's `update`: reread, then stop/remove, replace and add whole groups.
    fn update_by_groups(&mut self, wanted: &[&str]) -> Outcome {
        let changes = match self.call_as("supervisor.reloadConfig", vec![], Changes::from_value) {
            Ok(changes) => changes,
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.exit_status = exit::GENERIC;
                self.say("ERROR: already shutting down");
                return Ok(Flow::Continue);
            }
            Err(e) => return Err(e.into()),
        };
        if !wanted.is_empty() {
            let infos = self.call_as("supervisor.getAllProcessInfo", vec![], ProcessInfo::list)?;
            for name in wanted {
                let known = infos.iter().any(|i| i.group == *name)
                    || changes.added.iter().any(|a| a == name);
                if !known {
                    self.say(&format!("ERROR: no such group: {name}"));
                    self.exit_status = exit::GENERIC;
                }
            }
        }
        self.json_set("changes", || changes_json(&changes));
        let selected = |g: &String| wanted.is_empty() || wanted.contains(&g.as_str());
        for group in changes.removed.iter().filter(|g| selected(g)) {
            let results = self.call_as(
                "supervisor.stopProcessGroup",
                vec![Value::from(group.as_str())],
                ProcessResult::list,
            )?;
            self.update_step(group, "stop", &format!("{group}: stopped"));
            if results.iter().any(|r| r.status == fault::FAILED) {
                self.update_step(
                    group,
                    "keep",
                    &format!("{group}: has problems; not removing"),
                );
                self.exit_status = exit::GENERIC;
                continue;
            }
            self.call(
                "supervisor.removeProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.update_step(group, "remove", &format!("{group}: removed process group"));
        }
        for group in changes.changed.iter().filter(|g| selected(g)) {
            self.call(
                "supervisor.stopProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.update_step(group, "stop", &format!("{group}: stopped"));
            self.call(
                "supervisor.removeProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.call(
                "supervisor.addProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.update_step(group, "update", &format!("{group}: updated process group"));
        }
        for group in changes.added.iter().filter(|g| selected(g)) {
            self.call(
                "supervisor.addProcessGroup",
                vec![Value::from(group.as_str())],
            )?;
            self.update_step(group, "add", &format!("{group}: added process group"));
        }
        Ok(Flow::Continue)
    }

    /// The lines of one `supervisor_rs.update` result; with `--json` its record.
    fn show_update(&mut self, r: &UpdateResult, raw: &Value) {
        let spec = match r.name.as_str() {
            "" => r.group.clone(),
            name => namespec(&r.group, name),
        };
        let lines: Vec<String> = match (r.status, r.action.as_str()) {
            (fault::BAD_NAME, _) => vec![format!("ERROR: no such group: {}", r.group)],
            (fault::SUCCESS, "remove_group") => {
                vec![
                    format!("{spec}: stopped"),
                    format!("{spec}: removed process group"),
                ]
            }
            (fault::SUCCESS, "update_group") => {
                vec![
                    format!("{spec}: stopped"),
                    format!("{spec}: updated process group"),
                ]
            }
            (fault::SUCCESS, "add_group") => vec![format!("{spec}: added process group")],
            (fault::SUCCESS, "update") => {
                vec![
                    format!("{spec}: stopped"),
                    format!("{spec}: updated process"),
                ]
            }
            (fault::SUCCESS, "remove") => {
                vec![
                    format!("{spec}: stopped"),
                    format!("{spec}: removed process"),
                ]
            }
            (fault::SUCCESS, "add") => vec![format!("{spec}: added process")],
            _ => vec![format!("{spec}: ERROR ({})", r.description)],
        };
        if r.status != fault::SUCCESS {
            self.exit_status = exit::GENERIC;
        }
        if self.wants_json() {
            let mut record = Json::from_value(raw);
            if let Json::Object(fields) = &mut record {
                fields.push(("message".into(), Json::Str(lines.join("\n"))));
            }
            self.json_push("results", || record);
            return;
        }
        for line in &lines {
            self.say(line);
        }
    }

    /// One step of `update`: its line, or with `--json` a `results` record.
    fn update_step(&mut self, group: &str, action: &str, line: &str) {
        if !self.wants_json() {
            return self.say(line);
        }
        self.json_push("results", || {
            Json::object([
                ("group", Json::str(group)),
                ("action", Json::str(action)),
                ("message", Json::str(line)),
            ])
        });
    }
}
