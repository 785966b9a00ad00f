//! The command interpreter: one line in, output lines and a sticky exit status out.
//!
//! Owns what Python's `Controller` does around the actions: `cmd.Cmd`'s line splitting and
//! dispatch, `*** Unknown syntax`, the upcheck and its exit codes (reference §4.2), the LSB
//! exit status (§4.3), and turning errors no action handles into one clean line
//! (DIVERGENCE(Q10, Q29): the reference prints raw Python exceptions). The actions themselves
//! live in `commands/`. It talks to the server only through [`Remote`] and reads the keyboard
//! only through [`LineInput`], so it is tested without either.

use std::fmt;
use std::io::Write;

use crate::rpc::Value;

use super::client::{CallError, Remote, Rows, Server};
use super::format::fault;
use super::json::{Doc, Json};
use super::reply::{self, Shape};

/// LSB exit statuses (reference §4.3).
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const GENERIC: i32 = 1;
    pub const INVALID_ARGS: i32 = 2;
    pub const UNIMPLEMENTED_FEATURE: i32 = 3;
    pub const INSUFFICIENT_PRIVILEGES: i32 = 4;
    pub const NOT_INSTALLED: i32 = 5;
    pub const NOT_RUNNING: i32 = 7;
    /// `status` only.
    pub const STATUS_NOT_RUNNING: i32 = 3;
    /// `status` only.
    pub const STATUS_UNKNOWN: i32 = 4;
}

/// The API version supervisorctl requires.
const API_VERSION: &str = "3.0";

/// One line typed by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLine {
    Line(String),
    Eof,
    /// Ctrl-C at a prompt.
    Interrupted,
}

/// Where lines typed by the user come from.
pub trait LineInput {
    /// A shell command (a terminal may offer completion against `server`).
    fn read_command(&mut self, prompt: &str, server: &Server) -> ReadLine;
    /// A plain answer (confirmation, username, `fg` input).
    fn read_line(&mut self, prompt: &str) -> ReadLine;
    /// An answer that is not echoed (password).
    fn read_secret(&mut self, prompt: &str) -> ReadLine;
    /// True if the input itself starts a new line after EOF or Ctrl-C (a line editor does).
    fn ends_lines(&self) -> bool;
}

/// Whether the shell goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// An error that ends a command (Python's exception path): printed as one line, exit 1.
#[derive(Debug)]
pub enum Abort {
    Call(CallError),
    Message(String),
}

impl From<CallError> for Abort {
    fn from(e: CallError) -> Self {
        Abort::Call(e)
    }
}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Abort::Call(e) => e.fmt(f),
            Abort::Message(m) => write!(f, "ERROR: {m}"),
        }
    }
}

/// What a command returns.
pub type Outcome = Result<Flow, Abort>;

/// The interpreter's state: the server, the mode and the sticky exit status.
pub struct Controller<'a> {
    pub server: Server,
    /// `-i` or no action: shutdown/reload ask first, a 401 asks for credentials.
    pub interactive: bool,
    pub exit_status: i32,
    pub(super) remote: &'a dyn Remote,
    pub(super) input: &'a mut dyn LineInput,
    pub(super) out: &'a mut dyn Write,
    pub(super) err: &'a mut dyn Write,
    /// `--json`: each command fills one document instead of printing lines.
    pub json: bool,
    doc: Option<Doc>,
}

/// The actions `--json` describes; the others answer with an error document.
const JSON_ACTIONS: [&str; 13] = [
    "avail", "clear", "pid", "reopen", "reread", "restart", "rotate", "signal", "start", "status",
    "stop", "update", "version",
];

/// `cmd.Cmd.parseline`: `(command, argument, line)`; `None` for a blank line. The command is
/// the leading run of `[A-Za-z0-9_]`; `?x` means `help x`; a `!` line has no command.
pub fn parse_line(line: &str) -> Option<(String, String, String)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let line = match line.strip_prefix('?') {
        Some(rest) => format!("help {rest}"),
        None if line.starts_with('!') => return Some((String::new(), String::new(), line.into())),
        None => line.to_string(),
    };
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (cmd, arg) = line.split_at(end);
    Some((cmd.to_string(), arg.trim().to_string(), line.clone()))
}

impl<'a> Controller<'a> {
    pub fn new(
        server: Server,
        interactive: bool,
        remote: &'a dyn Remote,
        input: &'a mut dyn LineInput,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Controller<'a> {
        Controller {
            server,
            interactive,
            exit_status: exit::SUCCESS,
            remote,
            input,
            out,
            err,
            json: false,
            doc: None,
        }
    }

    /// Runs one line; errors no action handles become one line and exit status 1. With
    /// `--json` the command's document is printed once it is done.
    pub fn onecmd(&mut self, line: &str) -> Flow {
        if !self.json {
            return self.run_line(line);
        }
        let Some((cmd, _, _)) = parse_line(line) else {
            return Flow::Continue;
        };
        if matches!(cmd.as_str(), "EOF" | "quit" | "exit") {
            return Flow::Quit;
        }
        self.doc = Some(Doc::new(&cmd));
        // Each document reports its own command's status (the shell exits 0 anyway).
        self.exit_status = exit::SUCCESS;
        let flow = if JSON_ACTIONS.contains(&cmd.as_str()) {
            self.run_line(line)
        } else {
            if let Some(doc) = &mut self.doc {
                doc.fail(&format!("--json is not available for {cmd:?}"));
            }
            self.exit_status = exit::INVALID_ARGS;
            Flow::Continue
        };
        if let Some(doc) = self.doc.take() {
            let _ = self.out.write_all(doc.render(self.exit_status).as_bytes());
            let _ = self.out.flush();
        }
        flow
    }

    fn run_line(&mut self, line: &str) -> Flow {
        let Some((cmd, arg, line)) = parse_line(line) else {
            return Flow::Continue;
        };
        match self.dispatch(&cmd, &arg) {
            Some(Ok(flow)) => flow,
            None => {
                self.say(&format!("*** Unknown syntax: {line}"));
                self.exit_status = exit::GENERIC;
                Flow::Continue
            }
            Some(Err(Abort::Call(e))) if e.is_unauthorized() => {
                self.say("Server requires authentication");
                // DIVERGENCE(Q10): without -i the reference retries the command once and
                // prints a second, raw Python error; we stop here.
                if self.interactive && self.ask_credentials() {
                    return self.run_line(&line);
                }
                self.exit_status = exit::GENERIC;
                Flow::Continue
            }
            Some(Err(abort)) => {
                match &mut self.doc {
                    Some(doc) => doc.fail(&abort.to_string()),
                    None => self.say(&abort.to_string()),
                }
                self.exit_status = exit::GENERIC;
                Flow::Continue
            }
        }
    }

    fn dispatch(&mut self, cmd: &str, arg: &str) -> Option<Outcome> {
        Some(match cmd {
            "help" => self.do_help(arg),
            "EOF" | "quit" | "exit" => self.do_quit(),
            "add" => self.do_add(arg),
            "avail" => self.do_avail(arg),
            "clear" => self.do_clear(arg),
            "fg" => self.do_fg(arg),
            "maintail" => self.do_maintail(arg),
            "open" => self.do_open(arg),
            "pid" => self.do_pid(arg),
            "reload" => self.do_reload(arg),
            "remove" => self.do_remove(arg),
            "reopen" => self.do_reopen(arg),
            "reread" => self.do_reread(arg),
            "restart" => self.do_restart(arg),
            "rotate" => self.do_rotate(arg),
            "shutdown" => self.do_shutdown(arg),
            "signal" => self.do_signal(arg),
            "start" => self.do_start(arg),
            "status" => self.do_status(arg),
            "stop" => self.do_stop(arg),
            "tail" => self.do_tail(arg),
            "update" => self.do_update(arg),
            "version" => self.do_version(arg),
            _ => return None,
        })
    }

    /// Asks for a username and password after a 401 (interactive mode only).
    fn ask_credentials(&mut self) -> bool {
        let ReadLine::Line(username) = self.input.read_line("Username:") else {
            return false;
        };
        let ReadLine::Line(password) = self.input.read_secret("Password:") else {
            return false;
        };
        self.say("");
        self.server.username = Some(username);
        self.server.password = Some(password);
        true
    }

    /// Prints one line (with `--json`: a message of the document).
    pub(super) fn say(&mut self, line: &str) {
        if let Some(doc) = &mut self.doc {
            doc.message(line);
            return;
        }
        // A closed stdout leaves nothing to report to.
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }

    /// True while a `--json` document is being filled.
    pub(super) fn wants_json(&self) -> bool {
        self.doc.is_some()
    }

    /// Sets a key of the `--json` document (nothing in text mode).
    pub(super) fn json_set(&mut self, key: &str, value: impl FnOnce() -> Json) {
        if let Some(doc) = &mut self.doc {
            doc.set(key, value());
        }
    }

    /// Appends to an array of the `--json` document (nothing in text mode).
    pub(super) fn json_push(&mut self, key: &str, item: impl FnOnce() -> Json) {
        if let Some(doc) = &mut self.doc {
            doc.push(key, item());
        }
    }

    /// A per-process result: its line in text mode; with `--json` a `results` record of the
    /// result struct's fields, the RPC `action` and the line as `message`.
    pub(super) fn say_result(
        &mut self,
        line: &str,
        action: &str,
        (group, name, status, description): (&str, &str, i64, &str),
    ) {
        let Some(doc) = &mut self.doc else {
            return self.say(line);
        };
        doc.push(
            "results",
            Json::object([
                ("name", Json::str(name)),
                ("group", Json::str(group)),
                ("status", Json::Int(status)),
                ("description", Json::str(description)),
                ("action", Json::str(action)),
                ("message", Json::str(line)),
            ]),
        );
    }

    /// Prints the help lines of `topic`.
    pub(super) fn help_for(&mut self, topic: &str) {
        for line in super::help::topic(topic).unwrap_or_default() {
            self.say(line);
        }
    }

    /// An error message plus the action's help, with an exit status.
    pub(super) fn usage(&mut self, message: &str, topic: &str, status: i32) -> Outcome {
        self.say(message);
        self.exit_status = status;
        self.help_for(topic);
        Ok(Flow::Continue)
    }

    /// The exit status for a per-process result (`set_exitstatus_from_xmlrpc_fault`): the
    /// ignored code and SUCCESS leave it, dead-program faults give 7, others 1.
    pub(super) fn note_fault(&mut self, code: i64, ignored: Option<i64>) {
        if Some(code) == ignored || code == fault::SUCCESS {
            return;
        }
        self.exit_status = match code {
            fault::SPAWN_ERROR | fault::ABNORMAL_TERMINATION | fault::NOT_RUNNING => {
                exit::NOT_RUNNING
            }
            _ => exit::GENERIC,
        };
    }

    /// One XML-RPC call to the current server.
    pub(super) fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, CallError> {
        self.remote.call(&self.server, method, params)
    }

    /// A call whose reply is parsed with `parse`; a misshapen reply aborts the command.
    pub(super) fn call_as<T>(
        &self,
        method: &str,
        params: Vec<Value>,
        parse: impl FnOnce(&Value) -> Shape<T>,
    ) -> Result<T, CallError> {
        let value = self.call(method, params)?;
        parse(&value).map_err(|detail| CallError::BadReply {
            method: method.to_string(),
            detail,
        })
    }

    /// [`Controller::call_as`] of an array of structs of which only `keys` are read.
    pub(super) fn call_rows_as<T>(
        &self,
        method: &str,
        keys: &[&str],
        parse: impl FnOnce(Rows) -> Shape<T>,
    ) -> Result<T, CallError> {
        let rows = self.remote.call_rows(&self.server, method, vec![], keys)?;
        parse(rows).map_err(|detail| CallError::BadReply {
            method: method.to_string(),
            detail,
        })
    }

    /// [`Controller::call_as`] that also keeps the raw reply (for `--json` records).
    pub(super) fn call_keep<T>(
        &self,
        method: &str,
        params: Vec<Value>,
        parse: impl FnOnce(&Value) -> Shape<T>,
    ) -> Result<(T, Value), CallError> {
        let value = self.call(method, params)?;
        match parse(&value) {
            Ok(parsed) => Ok((parsed, value)),
            Err(detail) => Err(CallError::BadReply {
                method: method.to_string(),
                detail,
            }),
        }
    }

    /// Checks that the server speaks API 3.0; `Ok(false)` after printing why not.
    pub(super) fn upcheck(&mut self) -> Result<bool, Abort> {
        match self.call_as("supervisor.getVersion", vec![], reply::string) {
            Ok(api) if api == API_VERSION => Ok(true),
            Ok(api) => {
                self.say(&format!(
                    "Sorry, this version of supervisorctl expects to talk to a server with API \
                     version {API_VERSION}, but the remote version is {api}."
                ));
                self.exit_status = exit::NOT_INSTALLED;
                Ok(false)
            }
            Err(e) if e.fault_code() == Some(fault::UNKNOWN_METHOD) => {
                self.say(
                    "Sorry, supervisord responded but did not recognize the supervisor namespace \
                     commands that supervisorctl uses to control it.  Please check that the \
                     [rpcinterface:supervisor] section is enabled in the configuration file \
                     (see sample.conf).",
                );
                self.exit_status = exit::UNIMPLEMENTED_FEATURE;
                Ok(false)
            }
            Err(e) if e.connect_errno() == Some(libc::ECONNREFUSED) => {
                self.say(&format!("{} refused connection", self.server.url));
                self.exit_status = exit::INSUFFICIENT_PRIVILEGES;
                Ok(false)
            }
            Err(e) if e.connect_errno() == Some(libc::ENOENT) => {
                self.say(&format!("{} no such file", self.server.url));
                self.exit_status = exit::NOT_RUNNING;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_line_like_cmd() {
        let p = |l: &str| parse_line(l);
        assert_eq!(p("  "), None);
        assert_eq!(
            p(" status  foo bar "),
            Some(("status".into(), "foo bar".into(), "status  foo bar".into()))
        );
        assert_eq!(
            p("?start"),
            Some(("help".into(), "start".into(), "help start".into()))
        );
        assert_eq!(p("?"), Some(("help".into(), "".into(), "help ".into())));
        assert_eq!(
            p("start:foo"),
            Some(("start".into(), ":foo".into(), "start:foo".into()))
        );
        assert_eq!(p("-x"), Some(("".into(), "-x".into(), "-x".into())));
        assert_eq!(p("!ls"), Some(("".into(), "".into(), "!ls".into())));
    }
}
