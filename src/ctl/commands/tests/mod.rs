//! Golden tests of every action against a scripted server: output lines and exit statuses
//! are the reference's (§4.4), except where a DIVERGENCE says otherwise.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};

use crate::rpc::Value;

use super::super::client::{CallError, Remote, Running, Server};
use super::super::controller::{Controller, Flow, LineInput, ReadLine};
use super::super::http_stream::Followed;

type Reply = Result<Value, CallError>;

/// A server that answers a fixed script of calls, in order, and records them.
struct Script {
    replies: RefCell<VecDeque<(&'static str, Reply)>>,
    calls: RefCell<Vec<(String, Vec<Value>, Server)>>,
    follows: RefCell<Vec<String>>,
    follow_end: Followed,
}

struct Idle;
impl Running for Idle {}

impl Remote for Script {
    fn call(&self, server: &Server, method: &str, params: Vec<Value>) -> Reply {
        self.calls
            .borrow_mut()
            .push((method.to_string(), params, server.clone()));
        let (expected, reply) = self
            .replies
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected call {method}"));
        if expected.contains('.') {
            assert_eq!(method, expected);
        } else {
            assert_eq!(method, format!("supervisor.{expected}"));
        }
        reply
    }

    fn follow(&self, _: &Server, path: &str, out: &mut dyn Write, _: &mut dyn Write) -> Followed {
        self.follows.borrow_mut().push(path.to_string());
        out.write_all(b"streamed\n").unwrap();
        self.follow_end
    }

    fn follow_named(
        &self,
        _: &Server,
        tails: &[(String, String)],
        out: &mut dyn Write,
        _: &mut dyn Write,
    ) -> Followed {
        for (name, path) in tails {
            self.follows.borrow_mut().push(path.clone());
            writeln!(out, "{name} | streamed").unwrap();
        }
        self.follow_end
    }

    fn tail_in_background(
        &self,
        _: &Server,
        paths: Vec<String>,
    ) -> Result<Box<dyn Running>, CallError> {
        self.follows.borrow_mut().extend(paths);
        Ok(Box::new(Idle))
    }
}

/// Typed lines, in order.
struct Keys(VecDeque<&'static str>, Vec<String>);

impl LineInput for Keys {
    fn read_command(&mut self, prompt: &str, _: &Server) -> ReadLine {
        self.read_line(prompt)
    }
    fn read_line(&mut self, prompt: &str) -> ReadLine {
        self.1.push(prompt.to_string());
        self.0
            .pop_front()
            .map_or(ReadLine::Eof, |l| ReadLine::Line(l.to_string()))
    }
    fn read_secret(&mut self, prompt: &str) -> ReadLine {
        self.read_line(prompt)
    }
    fn ends_lines(&self) -> bool {
        false
    }
}

const URL: &str = "unix:///tmp/x.sock";

struct Run {
    out: String,
    err: String,
    status: i32,
    calls: Vec<(String, Vec<Value>, Server)>,
    follows: Vec<String>,
    prompts: Vec<String>,
}

fn run_with(
    line: &str,
    replies: Vec<(&'static str, Reply)>,
    interactive: bool,
    keys: &[&'static str],
    end: Followed,
) -> Run {
    run_mode(line, replies, interactive, keys, end, false)
}

fn run_mode(
    line: &str,
    replies: Vec<(&'static str, Reply)>,
    interactive: bool,
    keys: &[&'static str],
    end: Followed,
    json: bool,
) -> Run {
    let script = Script {
        replies: RefCell::new(replies.into()),
        calls: RefCell::new(Vec::new()),
        follows: RefCell::new(Vec::new()),
        follow_end: end,
    };
    let mut input = Keys(keys.iter().copied().collect(), Vec::new());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let server = Server {
        url: URL.into(),
        username: None,
        password: None,
    };
    let mut ctl = Controller::new(server, interactive, &script, &mut input, &mut out, &mut err);
    ctl.json = json;
    ctl.onecmd(line);
    let status = ctl.exit_status;
    drop(ctl);
    assert!(
        script.replies.borrow().is_empty(),
        "unused replies: {:?}",
        script.replies.borrow()
    );
    Run {
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
        status,
        calls: script.calls.into_inner(),
        follows: script.follows.into_inner(),
        prompts: input.1,
    }
}

fn run(line: &str, replies: Vec<(&'static str, Reply)>) -> (String, i32) {
    let r = run_with(line, replies, false, &[], Followed::Ended);
    (r.out, r.status)
}

/// `supervisor_rs.update` on a server that does not have it (the reference).
fn no_surgical() -> (&'static str, Reply) {
    ("supervisor_rs.update", fault(1, "UNKNOWN_METHOD"))
}

fn up() -> (&'static str, Reply) {
    ("getVersion", Ok(s("3.0")))
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}

fn fault(code: i64, string: &str) -> Reply {
    Err(CallError::Fault {
        code,
        string: string.into(),
    })
}

fn no_such_file() -> Reply {
    Err(CallError::Connect {
        url: URL.into(),
        error: io::Error::from_raw_os_error(libc::ENOENT),
    })
}

fn refused() -> Reply {
    Err(CallError::Connect {
        url: URL.into(),
        error: io::Error::from_raw_os_error(libc::ECONNREFUSED),
    })
}

fn st(pairs: &[(&str, Value)]) -> Value {
    Value::Struct(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn info(group: &str, name: &str, state: i32, statename: &str, desc: &str, pid: i32) -> Value {
    st(&[
        ("group", s(group)),
        ("name", s(name)),
        ("state", Value::Int(state)),
        ("statename", s(statename)),
        ("description", s(desc)),
        ("pid", Value::Int(pid)),
    ])
}

fn result(group: &str, name: &str, status: i32, desc: &str) -> Value {
    st(&[
        ("group", s(group)),
        ("name", s(name)),
        ("status", Value::Int(status)),
        ("description", s(desc)),
    ])
}

fn infos() -> Reply {
    Ok(Value::Array(vec![
        info("badcmd", "badcmd", 0, "STOPPED", "Not started", 0),
        info("grp", "manual", 0, "STOPPED", "Not started", 0),
        info(
            "sleeper",
            "sleeper_00",
            20,
            "RUNNING",
            "pid 7334, uptime 0:00:25",
            7334,
        ),
        info(
            "sleeper",
            "sleeper_01",
            20,
            "RUNNING",
            "pid 7335, uptime 0:00:25",
            7335,
        ),
        info(
            "talker",
            "talker",
            20,
            "RUNNING",
            "pid 7336, uptime 0:00:06",
            7336,
        ),
    ]))
}

const START_HELP: &str =
    "start <name>\t\tStart a process\nstart <gname>:*\t\tStart all processes in a group\n\
start <name> <name>\tStart multiple processes or groups\nstart all\t\tStart all processes\n";

mod config;
mod json;
mod logs;
mod misc;
mod process;
mod status;
