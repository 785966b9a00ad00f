//! The rest: `help`, `quit`/`exit`/`EOF`, `shutdown`, `reload`, `open`, `version`.

use super::super::controller::{exit, Controller, Flow, Outcome, ReadLine};
use super::super::endpoint;
use super::super::format::{columnize, fault};
use super::super::help::{self, TOPICS, TOPICS_HEADER};
use super::super::json::Json;
use super::super::reply;

/// `cmd.Cmd.print_topics` wraps the topic table at 80 - 1 columns.
const HELP_WIDTH: usize = 79;

impl Controller<'_> {
    pub(in super::super) fn do_help(&mut self, arg: &str) -> Outcome {
        if arg.is_empty() {
            self.say("");
            self.say(TOPICS_HEADER);
            self.say(&"=".repeat(TOPICS_HEADER.len()));
            for line in columnize(&TOPICS, HELP_WIDTH) {
                self.say(&line);
            }
            self.say("");
        } else if help::topic(arg).is_some() {
            self.help_for(arg);
        } else {
            self.say(&format!("*** No help on {arg}"));
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_quit(&mut self) -> Outcome {
        self.say("");
        Ok(Flow::Quit)
    }

    /// In interactive mode, asks `question`; true unless the answer starts with y/Y.
    fn declined(&mut self, question: &str) -> bool {
        if !self.interactive {
            return false;
        }
        match self.input.read_line(question) {
            ReadLine::Line(answer) => !answer.to_lowercase().starts_with('y'),
            ReadLine::Eof | ReadLine::Interrupted => true,
        }
    }

    pub(in super::super) fn do_shutdown(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage(
                "Error: shutdown accepts no arguments",
                "shutdown",
                exit::GENERIC,
            );
        }
        if self.declined("Really shut the remote supervisord process down y/N? ") {
            return Ok(Flow::Continue);
        }
        match self.call("supervisor.shutdown", vec![]) {
            Ok(_) => self.say("Shut down"),
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.say("ERROR: already shutting down");
            }
            Err(e) => {
                let why = match e.connect_errno() {
                    Some(libc::ECONNREFUSED) => "refused connection",
                    Some(libc::ENOENT) => "no such file",
                    _ => return Err(e.into()),
                };
                self.exit_status = exit::GENERIC;
                self.say(&format!(
                    "ERROR: {} {why} (already shut down?)",
                    self.server.url
                ));
            }
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_reload(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage(
                "Error: reload accepts no arguments",
                "reload",
                exit::GENERIC,
            );
        }
        if self.declined("Really restart the remote supervisord process y/N? ") {
            return Ok(Flow::Continue);
        }
        match self.call("supervisor.restart", vec![]) {
            Ok(_) => self.say("Restarted supervisord"),
            Err(e) if e.fault_code() == Some(fault::SHUTDOWN_STATE) => {
                self.exit_status = exit::GENERIC;
                self.say("ERROR: already shutting down");
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_open(&mut self, arg: &str) -> Outcome {
        if !matches!(endpoint::scheme(arg).as_deref(), Some("http" | "unix")) {
            self.say("ERROR: url must be http:// or unix://");
            self.exit_status = exit::GENERIC;
            return Ok(Flow::Continue);
        }
        self.server.url = arg.to_string();
        let before = self.exit_status;
        self.do_status("")?;
        self.exit_status = before;
        Ok(Flow::Continue)
    }

    pub(in super::super) fn do_version(&mut self, arg: &str) -> Outcome {
        if !arg.is_empty() {
            return self.usage(
                "Error: version accepts no arguments",
                "version",
                exit::GENERIC,
            );
        }
        if !self.upcheck()? {
            return Ok(Flow::Continue);
        }
        let version = self.call_as("supervisor.getSupervisorVersion", vec![], reply::string)?;
        match self.wants_json() {
            true => self.json_set("supervisor_version", || Json::Str(version)),
            false => self.say(&version),
        }
        Ok(Flow::Continue)
    }
}
