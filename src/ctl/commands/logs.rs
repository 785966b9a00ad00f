//! Logs and the foreground: `tail`, `maintail`, `clear`, `fg`.

use crate::rpc::Value;

use super::super::client::CallError;
use super::super::controller::{exit, Controller, Flow, Outcome, ReadLine};
use super::super::format::{clear_result, fault, result_name, split_namespec};
use super::super::http_stream::Followed;
use super::super::reply::{self, ProcessInfo, ProcessResult};
use super::int_param;
use crate::pytext;
use crate::states::ProcessState;

/// Bytes shown by `tail` and `maintail` without `-N`.
const DEFAULT_BYTES: i64 = 1600;

/// What `-f` / `-N` asked for.
enum Amount {
    Follow,
    Bytes(i64),
}

/// `-f` or `-N` (Python's `int()`, so `-+5` and `--5` are numbers too).
fn amount(modifier: &str) -> Option<Amount> {
    let what = modifier.strip_prefix('-').unwrap_or(modifier);
    if what == "f" {
        return Some(Amount::Follow);
    }
    pytext::parse_int(what).map(Amount::Bytes)
}

impl Controller<'_> {
    pub(in super::super) fn do_tail(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let mut args: Vec<&str> = arg.split_whitespace().collect();
        if args.is_empty() {
            return self.usage("Error: too few arguments", "tail", exit::GENERIC);
        }
        if let Some(outcome) = self.follow_several(&args) {
            return outcome;
        }
        if args.len() > 3 {
            return self.usage("Error: too many arguments", "tail", exit::GENERIC);
        }
        let modifier = if args.first().is_some_and(|a| a.starts_with('-')) {
            Some(args.remove(0))
        } else {
            None
        };
        let (name, channel) = match args.as_slice() {
            [name] => (*name, "stdout".to_string()),
            [name, .., last] => {
                let channel = last.to_lowercase();
                if channel != "stdout" && channel != "stderr" {
                    self.say(&format!("Error: bad channel {}", pytext::repr(&channel)));
                    self.exit_status = exit::GENERIC;
                    return Ok(Flow::Continue);
                }
                (*name, channel)
            }
            [] => {
                self.say("Error: tail requires process name");
                self.exit_status = exit::GENERIC;
                return Ok(Flow::Continue);
            }
        };
        let bytes = match modifier.map(amount) {
            None => DEFAULT_BYTES,
            Some(Some(Amount::Follow)) => {
                return self.follow(&format!("/logtail/{name}/{channel}"));
            }
            Some(Some(Amount::Bytes(n))) => n,
            Some(None) => return self.bad_argument(modifier.unwrap_or_default()),
        };
        let which = if channel == "stdout" {
            "Stdout"
        } else {
            "Stderr"
        };
        let result = if bytes == 0 {
            // DIVERGENCE(Q17): the reference reads the whole log for -0. We show nothing, but
            // still ask the server so a bad name is reported.
            let method = format!("supervisor.tailProcess{which}Log");
            let params = vec![Value::from(name), Value::Int(0), Value::Int(0)];
            self.call(&method, params).map(|_| None)
        } else {
            let Some(offset) = bytes.checked_neg() else {
                return self.bad_argument(modifier.unwrap_or_default());
            };
            let method = format!("supervisor.readProcess{which}Log");
            let params = vec![Value::from(name), int_param(offset), Value::Int(0)];
            self.call_as(&method, params, reply::string).map(Some)
        };
        match result {
            Ok(text) => {
                if let Some(text) = text {
                    self.say(&text);
                }
            }
            Err(e) => {
                let what = match e.fault_code() {
                    Some(fault::NO_FILE) => "no log file",
                    Some(fault::FAILED) => "unknown error reading log",
                    Some(fault::BAD_NAME) => "no such process name",
                    _ => return Err(e.into()),
                };
                self.exit_status = exit::GENERIC;
                self.say(&format!("{name}: ERROR ({what})"));
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_maintail(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let args: Vec<&str> = arg.split_whitespace().collect();
        let bytes = match args.as_slice() {
            [] => DEFAULT_BYTES,
            [a] if a.starts_with('-') => match amount(a) {
                Some(Amount::Follow) => return self.follow("/mainlogtail"),
                Some(Amount::Bytes(n)) => n,
                None => return self.bad_argument(a),
            },
            [a] => return self.bad_argument(a),
            _ => return self.usage("Error: too many arguments", "maintail", exit::GENERIC),
        };
        // DIVERGENCE(Q17): -0 shows nothing (the reference shows the whole log).
        if bytes == 0 {
            return Ok(Flow::Continue);
        }
        let Some(offset) = bytes.checked_neg() else {
            return self.bad_argument(args.first().copied().unwrap_or_default());
        };
        let params = vec![int_param(offset), Value::Int(0)];
        match self.call_as("supervisor.readLog", params, reply::string) {
            Ok(text) => self.say(&text),
            Err(e) => {
                let what = match e.fault_code() {
                    Some(fault::NO_FILE) => "no log file",
                    Some(fault::FAILED) => "unknown error reading log",
                    _ => return Err(e.into()),
                };
                self.exit_status = exit::GENERIC;
                self.say(&format!("supervisord: ERROR ({what})"));
            }
        }
        Ok(Flow::Continue)
    }

    /// Ours (D11): `tail -f a b c [stdout|stderr]` follows several processes at once, each
    /// line prefixed by its name; the reference refuses a second name. `None` for anything
    /// else.
    fn follow_several(&mut self, args: &[&str]) -> Option<Outcome> {
        let (modifier, rest) = args.split_first()?;
        if !matches!(amount(modifier), Some(Amount::Follow)) || !modifier.starts_with('-') {
            return None;
        }
        let (names, channel) = match rest.split_last() {
            Some((last, names)) if matches!(last.to_lowercase().as_str(), "stdout" | "stderr") => {
                (names, last.to_lowercase())
            }
            _ => (rest, "stdout".to_string()),
        };
        if names.len() < 2 {
            return None;
        }
        let tails: Vec<(String, String)> = names
            .iter()
            .map(|n| (n.to_string(), format!("/logtail/{n}/{channel}")))
            .collect();
        self.say("==> Press Ctrl-C to exit <==");
        let remote = self.remote;
        let end = remote.follow_named(&self.server, &tails, &mut *self.out, &mut *self.err);
        if end == Followed::Stopped {
            self.say("");
        }
        Some(Ok(Flow::Continue))
    }

    fn bad_argument(&mut self, modifier: &str) -> Outcome {
        self.say(&format!("Error: bad argument {modifier}"));
        self.exit_status = exit::GENERIC;
        Ok(Flow::Continue)
    }

    /// `tail -f` / `maintail -f`: stream until Ctrl-C (then an empty line) or the end.
    fn follow(&mut self, path: &str) -> Outcome {
        self.say("==> Press Ctrl-C to exit <==");
        let remote = self.remote;
        if remote.follow(&self.server, path, &mut *self.out, &mut *self.err) == Followed::Stopped {
            self.say("");
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_clear(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            return self.usage(
                "Error: clear requires a process name",
                "clear",
                exit::GENERIC,
            );
        }
        if names.contains(&"all") {
            let results = self.call_as(
                "supervisor.clearAllProcessLogs",
                vec![],
                ProcessResult::list,
            )?;
            self.show_results(
                &results,
                "clear",
                |name, r| clear_result(name, r.status),
                None,
            )?;
            return Ok(Flow::Continue);
        }
        for name in names {
            let shown = result_name(name);
            let (group, process) = split_namespec(name);
            let process = process.unwrap_or("*");
            match self.call("supervisor.clearProcessLogs", vec![Value::from(name)]) {
                Ok(_) => self.say_result(
                    &format!("{shown}: cleared"),
                    "clear",
                    (group, process, fault::SUCCESS, "OK"),
                ),
                Err(e) => {
                    let result = match &e {
                        CallError::Fault { code, string } => {
                            clear_result(&shown, *code).map(|l| (*code, string, l))
                        }
                        _ => None,
                    };
                    let Some((code, string, line)) = result else {
                        return Err(e.into());
                    };
                    self.say_result(&line, "clear", (group, process, code, string));
                    self.note_fault(code, None);
                }
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_fg(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let name = match arg.split_whitespace().collect::<Vec<_>>().as_slice() {
            [] => return self.usage("ERROR: no process name supplied", "fg", exit::GENERIC),
            [name] => name.to_string(),
            _ => {
                self.say("ERROR: too many process names supplied");
                self.exit_status = exit::GENERIC;
                return Ok(Flow::Continue);
            }
        };
        match self.process_info(&name) {
            Ok(info) if info.state == i64::from(ProcessState::Running.code()) => {}
            Ok(_) => {
                self.say("ERROR: process not running");
                self.exit_status = exit::GENERIC;
                return Ok(Flow::Continue);
            }
            Err(e) if e.fault_code() == Some(fault::BAD_NAME) => {
                self.say("ERROR: bad process name supplied");
                self.exit_status = exit::GENERIC;
                return Ok(Flow::Continue);
            }
            Err(e @ CallError::Fault { .. }) => {
                self.say(&e.to_string());
                return Ok(Flow::Continue);
            }
            Err(e) => return Err(e.into()),
        }
        self.say("==> Press Ctrl-C to exit <==");
        let paths = vec![
            format!("/logtail/{name}/stdout"),
            format!("/logtail/{name}/stderr"),
        ];
        let _tails = self.remote.tail_in_background(&self.server, paths)?;
        while let ReadLine::Line(line) = self.input.read_line("") {
            let params = vec![Value::from(name.as_str()), Value::from(format!("{line}\n"))];
            match self.call("supervisor.sendProcessStdin", params) {
                Ok(_) => {}
                Err(e) if e.fault_code() == Some(fault::NOT_RUNNING) => {
                    self.say("Process got killed");
                    break;
                }
                Err(e @ CallError::Fault { .. }) => {
                    self.say(&e.to_string());
                    break;
                }
                Err(e) => return Err(e.into()),
            }
            let info = self.process_info(&name)?;
            if info.state != i64::from(ProcessState::Running.code()) {
                self.say("Process got killed");
                break;
            }
        }
        self.say("Exiting foreground");
        Ok(Flow::Continue)
    }

    fn process_info(&self, name: &str) -> Result<ProcessInfo, CallError> {
        self.call_as(
            "supervisor.getProcessInfo",
            vec![Value::from(name)],
            ProcessInfo::from_value,
        )
    }
}
