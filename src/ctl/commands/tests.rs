//! Golden tests of every action against a scripted server: output lines and exit statuses
//! are the reference's (§4.4), except where a DIVERGENCE says otherwise.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};

use xmlrpc::Value;

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
        assert_eq!(method, format!("supervisor.{expected}"));
        reply
    }

    fn follow(&self, _: &Server, path: &str, out: &mut dyn Write, _: &mut dyn Write) -> Followed {
        self.follows.borrow_mut().push(path.to_string());
        out.write_all(b"streamed\n").unwrap();
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

// ---- status -------------------------------------------------------------------------------

#[test]
fn status_all_golden_rc3() {
    let (out, rc) = run("status", vec![up(), ("getAllProcessInfo", infos())]);
    assert_eq!(
        out,
        "badcmd                           STOPPED   Not started\n\
         grp:manual                       STOPPED   Not started\n\
         sleeper:sleeper_00               RUNNING   pid 7334, uptime 0:00:25\n\
         sleeper:sleeper_01               RUNNING   pid 7335, uptime 0:00:25\n\
         talker                           RUNNING   pid 7336, uptime 0:00:06\n"
    );
    assert_eq!(rc, 3);
}

#[test]
fn status_group_and_names_rc0() {
    let (out, rc) = run(
        "status sleeper:*",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(out.lines().count(), 2);
    assert_eq!(rc, 0);
    let (out, rc) = run(
        "status talker sleeper:sleeper_01",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert!(out.starts_with("talker "), "{out}");
    assert!(out
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("sleeper:sleeper_01 "));
    assert_eq!(rc, 0);
}

#[test]
fn status_errors_come_first_and_a_later_3_wins() {
    let (out, rc) = run(
        "status nosuch nosuch:* grp:nosuch sleeper",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(
        out,
        "nosuch: ERROR (no such process)\nnosuch: ERROR (no such group)\n\
         grp:nosuch: ERROR (no such process)\nsleeper: ERROR (no such process)\n"
    );
    assert_eq!(rc, 4);
    let (out, rc) = run(
        "status nosuch grp:manual",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(out.lines().next(), Some("nosuch: ERROR (no such process)"));
    assert_eq!(rc, 3);
}

#[test]
fn status_when_the_daemon_is_down_is_4() {
    assert_eq!(
        run("status", vec![("getVersion", no_such_file())]),
        (format!("{URL} no such file\n"), 4)
    );
    assert_eq!(
        run("status", vec![("getVersion", refused())]),
        (format!("{URL} refused connection\n"), 4)
    );
}

// ---- upcheck ------------------------------------------------------------------------------

#[test]
fn upcheck_failures_and_their_codes() {
    assert_eq!(
        run("version", vec![("getVersion", no_such_file())]),
        (format!("{URL} no such file\n"), 7)
    );
    assert_eq!(
        run("start x", vec![("getVersion", refused())]),
        (format!("{URL} refused connection\n"), 4)
    );
    let (out, rc) = run("pid", vec![("getVersion", Ok(s("2.0")))]);
    assert_eq!(
        out,
        "Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, \
         but the remote version is 2.0.\n"
    );
    assert_eq!(rc, 5);
    let (out, rc) = run("stop x", vec![("getVersion", fault(1, "UNKNOWN_METHOD"))]);
    assert!(out.starts_with(
        "Sorry, supervisord responded but did not recognize the supervisor namespace"
    ));
    assert!(out.ends_with("enabled in the configuration file (see sample.conf).\n"));
    assert_eq!(rc, 3);
    // DIVERGENCE(Q29): one clean line instead of a Python traceback.
    assert_eq!(
        run("clear x", vec![("getVersion", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: supervisor shutting down\n".into(), 1)
    );
}

#[test]
fn unauthorized_non_interactive_is_one_line() {
    // DIVERGENCE(Q10): the reference adds a raw ProtocolError line.
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    assert_eq!(
        run("status", vec![("getVersion", e)]),
        ("Server requires authentication\n".into(), 1)
    );
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    assert_eq!(
        run("avail", vec![("getAllConfigInfo", e)]),
        ("Server requires authentication\n".into(), 1)
    );
}

#[test]
fn unauthorized_interactive_asks_and_retries() {
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    let r = run_with(
        "version",
        vec![
            ("getVersion", e),
            up(),
            ("getSupervisorVersion", Ok(s("4.3.0"))),
        ],
        true,
        &["user", "pw"],
        Followed::Ended,
    );
    assert_eq!(r.out, "Server requires authentication\n\n4.3.0\n");
    assert_eq!(r.prompts, ["Username:", "Password:"]);
    let last = &r.calls.last().unwrap().2;
    assert_eq!(
        (last.username.as_deref(), last.password.as_deref()),
        (Some("user"), Some("pw"))
    );
    assert_eq!(r.status, 0);
}

// ---- start / stop / restart / signal ------------------------------------------------------

#[test]
fn start_golden() {
    assert_eq!(
        run(
            "start grp:manual",
            vec![up(), ("startProcess", Ok(Value::Bool(true)))]
        ),
        ("grp:manual: started\n".into(), 0)
    );
    assert_eq!(
        run(
            "start grp:manual",
            vec![
                up(),
                ("startProcess", fault(60, "ALREADY_STARTED: grp:manual"))
            ]
        ),
        ("grp:manual: ERROR (already started)\n".into(), 0)
    );
    assert_eq!(
        run(
            "start badcmd",
            vec![up(), ("startProcess", fault(20, "NO_FILE: x"))]
        ),
        ("badcmd: ERROR (no such file)\n".into(), 1)
    );
    assert_eq!(
        run(
            "start notexec",
            vec![up(), ("startProcess", fault(21, "NOT_EXECUTABLE"))]
        ),
        ("notexec: ERROR (file is not executable)\n".into(), 1)
    );
    assert_eq!(
        run(
            "start nosuch",
            vec![up(), ("startProcess", fault(10, "BAD_NAME: nosuch"))]
        ),
        ("nosuch: ERROR (no such process)\n".into(), 1)
    );
    assert_eq!(
        run(
            "start nosuch:*",
            vec![up(), ("startProcessGroup", fault(10, "BAD_NAME: nosuch"))]
        ),
        ("nosuch: ERROR (no such group)\n".into(), 2)
    );
    assert_eq!(
        run(
            "start flaky",
            vec![up(), ("startProcess", fault(50, "SPAWN_ERROR: flaky"))]
        ),
        ("flaky: ERROR (spawn error)\n".into(), 7)
    );
    assert_eq!(
        run(
            "start x:x",
            vec![up(), ("startProcess", Ok(Value::Bool(true)))]
        ),
        ("x: started\n".into(), 0)
    );
}

#[test]
fn start_requires_a_name() {
    let (out, rc) = run("start", vec![up()]);
    assert_eq!(
        out,
        format!("Error: start requires a process name\n{START_HELP}")
    );
    assert_eq!(rc, 2);
}

#[test]
fn start_all_and_groups_use_their_rpcs() {
    let results = Ok(Value::Array(vec![
        result("grp", "quick", 50, "SPAWN_ERROR: quick"),
        result("listener", "listener", 80, "OK"),
    ]));
    let (out, rc) = run("start foo all", vec![up(), ("startAllProcesses", results)]);
    assert_eq!(out, "grp:quick: ERROR (spawn error)\nlistener: started\n");
    assert_eq!(rc, 7);
    let (out, rc) = run(
        "start sleeper:",
        vec![up(), ("startProcessGroup", Ok(Value::Array(vec![])))],
    );
    assert_eq!((out.as_str(), rc), ("", 0));
}

#[test]
fn unknown_result_codes_abort_cleanly() {
    let results = Ok(Value::Array(vec![result("a", "a", 30, "FAILED")]));
    assert_eq!(
        run("start all", vec![up(), ("startAllProcesses", results)]),
        ("ERROR: unknown result code 30 for a\n".into(), 1)
    );
    assert_eq!(
        run(
            "start a",
            vec![
                up(),
                (
                    "startProcess",
                    fault(30, "FAILED: a is in an unknown process state")
                )
            ]
        ),
        (
            "ERROR: FAILED: a is in an unknown process state\n".into(),
            1
        )
    );
}

#[test]
fn stop_golden() {
    assert_eq!(
        run(
            "stop grp:manual",
            vec![up(), ("stopProcess", Ok(Value::Bool(true)))]
        ),
        ("grp:manual: stopped\n".into(), 0)
    );
    assert_eq!(
        run(
            "stop grp:manual",
            vec![up(), ("stopProcess", fault(70, "NOT_RUNNING: x"))]
        ),
        ("grp:manual: ERROR (not running)\n".into(), 0)
    );
    assert_eq!(
        run(
            "stop nosuch",
            vec![up(), ("stopProcess", fault(10, "BAD_NAME: nosuch"))]
        ),
        ("nosuch: ERROR (no such process)\n".into(), 1)
    );
    assert_eq!(
        run(
            "stop nosuch:*",
            vec![up(), ("stopProcessGroup", fault(10, "BAD_NAME: nosuch"))]
        ),
        ("nosuch: ERROR (no such group)\n".into(), 1)
    );
    assert_eq!(
        run(
            "stop x",
            vec![up(), ("stopProcess", fault(30, "FAILED: kill error"))]
        ),
        ("FAILED: kill error\n".into(), 1)
    );
    let (out, rc) = run("stop", vec![up()]);
    assert_eq!(out, "Error: stop requires a process name\nstop <name>\t\tStop a process\nstop <gname>:*\t\tStop all processes in a group\nstop <name> <name>\tStop multiple processes or groups\nstop all\t\tStop all processes\n");
    assert_eq!(rc, 1);
}

#[test]
fn restart_is_stop_then_start() {
    let (out, rc) = run(
        "restart grp:manual",
        vec![
            up(),
            up(),
            ("stopProcess", fault(70, "NOT_RUNNING")),
            up(),
            ("startProcess", Ok(Value::Bool(true))),
        ],
    );
    assert_eq!(
        (out.as_str(), rc),
        ("grp:manual: ERROR (not running)\ngrp:manual: started\n", 0)
    );
    let (out, rc) = run(
        "restart nosuch",
        vec![
            up(),
            up(),
            ("stopProcess", fault(10, "BAD_NAME")),
            up(),
            ("startProcess", fault(10, "BAD_NAME")),
        ],
    );
    assert_eq!(
        (out.as_str(), rc),
        (
            "nosuch: ERROR (no such process)\nnosuch: ERROR (no such process)\n",
            1
        )
    );
    let (out, rc) = run("restart", vec![up()]);
    assert!(out.starts_with(
        "Error: restart requires a process name\nrestart <name>\t\tRestart a process\n"
    ));
    assert!(out.ends_with(
        "Note: restart does not reread config files. For that, see reread and update.\n"
    ));
    assert_eq!(rc, 1);
}

#[test]
fn signal_golden() {
    let r = run_with(
        "signal HUP talker",
        vec![up(), ("signalProcess", Ok(Value::Bool(true)))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("talker: signalled\n", 0));
    assert_eq!(r.calls[1].1, vec![s("talker"), s("HUP")]);
    assert_eq!(
        run(
            "signal BOGUS talker",
            vec![up(), ("signalProcess", fault(11, "BAD_SIGNAL: BOGUS"))]
        ),
        ("talker: ERROR (bad signal name)\n".into(), 1)
    );
    assert_eq!(
        run(
            "signal HUP nosuch:*",
            vec![up(), ("signalProcessGroup", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such group)\n".into(), 1)
    );
    let all = Ok(Value::Array(vec![
        result("a", "a", 80, "OK"),
        result("g", "b", 70, "NOT_RUNNING"),
    ]));
    let r = run_with(
        "signal 1 all",
        vec![up(), ("signalAllProcesses", all)],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(
        (r.out.as_str(), r.status),
        ("a: signalled\ng:b: ERROR (not running)\n", 7)
    );
    assert_eq!(r.calls[1].1, vec![s("1")]);
}

#[test]
fn signal_requires_two_arguments() {
    let (out, rc) = run("signal HUP", vec![up()]);
    assert_eq!(
        out,
        "Error: signal requires a signal name and a process name\n\
         signal <signal name> <name>\t\tSignal a process\n\
         signal <signal name> <gname>:*\t\tSignal all processes in a group\n\
         signal <signal name> <name> <name>\tSignal multiple processes or groups\n\
         signal <signal name> all\t\tSignal all processes\n"
    );
    assert_eq!(rc, 1);
}

#[test]
fn the_last_error_decides_the_exit_status() {
    // Q30 (kept).
    let replies = vec![
        up(),
        ("signalProcess", fault(70, "NOT_RUNNING")),
        ("signalProcess", fault(10, "BAD_NAME")),
    ];
    assert_eq!(
        run("signal HUP s nope", replies),
        (
            "s: ERROR (not running)\nnope: ERROR (no such process)\n".into(),
            1
        )
    );
    let replies = vec![
        up(),
        ("signalProcess", fault(10, "BAD_NAME")),
        ("signalProcess", fault(70, "NOT_RUNNING")),
    ];
    assert_eq!(run("signal HUP nope s", replies).1, 7);
}

// ---- pid ----------------------------------------------------------------------------------

#[test]
fn pid_golden() {
    assert_eq!(
        run("pid", vec![up(), ("getPID", Ok(Value::Int(7329)))]),
        ("7329\n".into(), 0)
    );
    assert_eq!(
        run(
            "pid talker",
            vec![
                up(),
                (
                    "getProcessInfo",
                    Ok(info("talker", "talker", 20, "RUNNING", "", 7336))
                )
            ]
        ),
        ("7336\n".into(), 0)
    );
    assert_eq!(
        run(
            "pid grp:manual",
            vec![
                up(),
                (
                    "getProcessInfo",
                    Ok(info("grp", "manual", 0, "STOPPED", "", 0))
                )
            ]
        ),
        ("0\n".into(), 7)
    );
    assert_eq!(
        run(
            "pid nosuch",
            vec![up(), ("getProcessInfo", fault(10, "BAD_NAME"))]
        ),
        ("No such process nosuch\n".into(), 1)
    );
    assert_eq!(
        run("pid all", vec![up(), ("getAllProcessInfo", infos())]),
        ("0\n0\n7334\n7335\n7336\n".into(), 0)
    );
}

// ---- tail / maintail / clear / fg ---------------------------------------------------------

const TAIL_HELP: &str = "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\n\
tail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\n\
tail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr\n";

#[test]
fn tail_reads_the_last_bytes_and_adds_a_newline() {
    let r = run_with(
        "tail talker",
        vec![up(), ("readProcessStdoutLog", Ok(s("out line 0\n")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("out line 0\n\n", 0));
    assert_eq!(
        r.calls[1].1,
        vec![s("talker"), Value::Int(-1600), Value::Int(0)]
    );
    let r = run_with(
        "tail -50 talker STDERR",
        vec![up(), ("readProcessStderrLog", Ok(s("")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.out, "\n");
    assert_eq!(
        r.calls[1].1,
        vec![s("talker"), Value::Int(-50), Value::Int(0)]
    );
    let r = run_with(
        "tail -3000000000 a stdout",
        vec![up(), ("readProcessStdoutLog", Ok(s("x")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(
        r.calls[1].1,
        vec![s("a"), Value::Int64(-3_000_000_000), Value::Int(0)]
    );
}

#[test]
fn tail_with_three_words_takes_the_first_as_name_and_the_last_as_channel() {
    let r = run_with(
        "tail a b stderr",
        vec![up(), ("readProcessStderrLog", Ok(s("e")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.out, "e\n");
    assert_eq!(r.calls[1].1, vec![s("a"), Value::Int(-1600), Value::Int(0)]);
}

#[test]
fn tail_zero_prints_nothing() {
    // DIVERGENCE(Q17): the reference prints the whole log.
    let r = run_with(
        "tail -0 talker",
        vec![
            up(),
            (
                "tailProcessStdoutLog",
                Ok(Value::Array(vec![s(""), Value::Int(9), Value::Bool(true)])),
            ),
        ],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("", 0));
    assert_eq!(
        run(
            "tail -0 nosuch",
            vec![up(), ("tailProcessStdoutLog", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process name)\n".into(), 1)
    );
    assert_eq!(run("maintail -0", vec![up()]), (String::new(), 0));
}

#[test]
fn tail_errors_golden() {
    assert_eq!(
        run("tail talker bogus", vec![up()]),
        ("Error: bad channel 'bogus'\n".into(), 1)
    );
    assert_eq!(
        run("tail -x talker", vec![up()]),
        ("Error: bad argument -x\n".into(), 1)
    );
    assert_eq!(
        run("tail -f", vec![up()]),
        ("Error: tail requires process name\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail nosuch",
            vec![up(), ("readProcessStdoutLog", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process name)\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail nolog",
            vec![up(), ("readProcessStdoutLog", fault(20, "NO_FILE"))]
        ),
        ("nolog: ERROR (no log file)\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail x",
            vec![up(), ("readProcessStdoutLog", fault(30, "FAILED"))]
        ),
        ("x: ERROR (unknown error reading log)\n".into(), 1)
    );
    assert_eq!(
        run("tail", vec![up()]),
        (format!("Error: too few arguments\n{TAIL_HELP}"), 1)
    );
    assert_eq!(
        run("tail -5 a b c d", vec![up()]),
        (format!("Error: too many arguments\n{TAIL_HELP}"), 1)
    );
}

#[test]
fn tail_f_follows_the_logtail_url() {
    let r = run_with(
        "tail -f talker stderr",
        vec![up()],
        false,
        &[],
        Followed::Stopped,
    );
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nstreamed\n\n");
    assert_eq!(r.follows, ["/logtail/talker/stderr"]);
    assert_eq!(r.status, 0);
    let r = run_with("maintail -f", vec![up()], false, &[], Followed::Ended);
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nstreamed\n");
    assert_eq!(r.follows, ["/mainlogtail"]);
    assert!(r.err.is_empty());
}

#[test]
fn maintail_golden() {
    let r = run_with(
        "maintail -100",
        vec![up(), ("readLog", Ok(s("log\n")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("log\n\n", 0));
    assert_eq!(r.calls[1].1, vec![Value::Int(-100), Value::Int(0)]);
    assert_eq!(
        run("maintail x", vec![up()]),
        ("Error: bad argument x\n".into(), 1)
    );
    assert_eq!(
        run("maintail -y", vec![up()]),
        ("Error: bad argument -y\n".into(), 1)
    );
    assert_eq!(
        run("maintail -1 -2", vec![up()]),
        (
            "Error: too many arguments\nmaintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n\
             maintail -100\tlast 100 *bytes* of supervisord main log file\n\
             maintail\tlast 1600 *bytes* of supervisor main log file\n\n"
                .into(),
            1
        )
    );
    assert_eq!(
        run("maintail", vec![up(), ("readLog", fault(20, "NO_FILE"))]),
        ("supervisord: ERROR (no log file)\n".into(), 1)
    );
}

#[test]
fn clear_golden() {
    assert_eq!(
        run(
            "clear talker",
            vec![up(), ("clearProcessLogs", Ok(Value::Bool(true)))]
        ),
        ("talker: cleared\n".into(), 0)
    );
    assert_eq!(
        run(
            "clear nosuch",
            vec![up(), ("clearProcessLogs", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process)\n".into(), 1)
    );
    let all = Ok(Value::Array(vec![
        result("a", "a", 80, "OK"),
        result("b", "b", 30, "FAILED: x"),
    ]));
    assert_eq!(
        run("clear all", vec![up(), ("clearAllProcessLogs", all)]),
        ("a: cleared\nb: ERROR (failed)\n".into(), 1)
    );
    let (out, rc) = run("clear", vec![up()]);
    assert_eq!(
        out,
        "Error: clear requires a process name\nclear <name>\t\tClear a process' log files.\n\
         clear <name> <name>\tClear multiple process' log files\nclear all\t\tClear all process' log files\n"
    );
    assert_eq!(rc, 1);
}

#[test]
fn clear_group_wildcard_names_the_group() {
    // DIVERGENCE(Q16): the reference prints `g:None: ERROR (no such process)`.
    assert_eq!(
        run(
            "clear g:*",
            vec![up(), ("clearProcessLogs", fault(10, "BAD_NAME: g:*"))]
        ),
        ("g:*: ERROR (no such process)\n".into(), 1)
    );
}

#[test]
fn fg_errors_golden() {
    let (out, rc) = run("fg", vec![up()]);
    assert_eq!((out.as_str(), rc), ("ERROR: no process name supplied\nfg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n", 1));
    assert_eq!(
        run("fg a b", vec![up()]),
        ("ERROR: too many process names supplied\n".into(), 1)
    );
    assert_eq!(
        run(
            "fg nope",
            vec![up(), ("getProcessInfo", fault(10, "BAD_NAME"))]
        ),
        ("ERROR: bad process name supplied\n".into(), 1)
    );
    assert_eq!(
        run(
            "fg foo",
            vec![
                up(),
                (
                    "getProcessInfo",
                    Ok(info("foo", "foo", 0, "STOPPED", "", 0))
                )
            ]
        ),
        ("ERROR: process not running\n".into(), 1)
    );
}

#[test]
fn fg_forwards_lines_until_eof() {
    let running = || Ok(info("cat", "cat", 20, "RUNNING", "", 5));
    let r = run_with(
        "fg cat",
        vec![
            up(),
            ("getProcessInfo", running()),
            ("sendProcessStdin", Ok(Value::Bool(true))),
            ("getProcessInfo", running()),
        ],
        false,
        &["hello"],
        Followed::Ended,
    );
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nExiting foreground\n");
    assert_eq!(r.follows, ["/logtail/cat/stdout", "/logtail/cat/stderr"]);
    assert_eq!(r.calls[2].1, vec![s("cat"), s("hello\n")]);
    assert_eq!(r.status, 0);
    let r = run_with(
        "fg cat",
        vec![
            up(),
            ("getProcessInfo", running()),
            ("sendProcessStdin", fault(70, "NOT_RUNNING")),
        ],
        false,
        &["x"],
        Followed::Ended,
    );
    assert_eq!(
        r.out,
        "==> Press Ctrl-C to exit <==\nProcess got killed\nExiting foreground\n"
    );
}

// ---- avail / reread / add / remove / update -----------------------------------------------

#[test]
fn avail_golden() {
    let c = st(&[
        ("group", s("grp")),
        ("name", s("manual")),
        ("inuse", Value::Bool(true)),
        ("autostart", Value::Bool(false)),
        ("group_prio", Value::Int(500)),
        ("process_prio", Value::Int(999)),
    ]);
    assert_eq!(
        run(
            "avail",
            vec![("getAllConfigInfo", Ok(Value::Array(vec![c])))]
        ),
        (
            "grp:manual                       in use    manual    500:999\n".into(),
            0
        )
    );
    assert_eq!(
        run("avail x", vec![]),
        (
            "Error: avail accepts no arguments\navail\t\t\tDisplay all configured processes\n"
                .into(),
            1
        )
    );
    assert_eq!(
        run(
            "avail",
            vec![("getAllConfigInfo", fault(6, "SHUTDOWN_STATE"))]
        ),
        ("ERROR: supervisor shutting down\n".into(), 1)
    );
}

#[test]
fn commands_without_upcheck_fail_in_one_line() {
    // DIVERGENCE(Q29): the reference prints a raw Python exception.
    for (line, method) in [
        ("avail", "getAllConfigInfo"),
        ("reread", "reloadConfig"),
        ("update", "reloadConfig"),
        ("add foo", "addProcessGroup"),
        ("remove foo", "removeProcessGroup"),
        ("reload", "restart"),
    ] {
        assert_eq!(
            run(line, vec![(method, no_such_file())]),
            (format!("{URL} no such file\n"), 1),
            "{line}"
        );
    }
}

fn changes(added: &[&str], changed: &[&str], removed: &[&str]) -> Reply {
    let list = |names: &[&str]| Value::Array(names.iter().map(|n| s(n)).collect());
    Ok(Value::Array(vec![Value::Array(vec![
        list(added),
        list(changed),
        list(removed),
    ])]))
}

#[test]
fn reread_golden() {
    assert_eq!(
        run("reread", vec![("reloadConfig", changes(&[], &[], &[]))]),
        ("No config updates to processes\n".into(), 0)
    );
    assert_eq!(
        run(
            "reread",
            vec![(
                "reloadConfig",
                changes(&["newprog", "newprog2"], &["sleeper"], &["badcmd"])
            )]
        ),
        (
            "badcmd: disappeared\nnewprog: available\nnewprog2: available\nsleeper: changed\n"
                .into(),
            0
        )
    );
    let msg = "CANT_REREAD: not a valid boolean value: 'maybe' in section 'program:broken' (file: '/tmp/s.conf')";
    assert_eq!(
        run("reread", vec![("reloadConfig", fault(92, msg))]),
        (format!("ERROR: {msg}\n"), 1)
    );
    let (out, rc) = run("reread x", vec![]);
    assert_eq!((out.as_str(), rc), ("Error: reread accepts no arguments\nreread \t\t\tReload the daemon's configuration files without add/remove\n", 1));
}

#[test]
fn add_and_remove_golden() {
    assert_eq!(
        run(
            "add newprog",
            vec![("addProcessGroup", Ok(Value::Bool(true)))]
        ),
        ("newprog: added process group\n".into(), 0)
    );
    assert_eq!(
        run(
            "add newprog",
            vec![("addProcessGroup", fault(90, "ALREADY_ADDED"))]
        ),
        ("ERROR: process group already active\n".into(), 0)
    );
    assert_eq!(
        run(
            "add nosuch",
            vec![("addProcessGroup", fault(10, "BAD_NAME"))]
        ),
        ("ERROR: no such process/group: nosuch\n".into(), 1)
    );
    assert_eq!(
        run(
            "add x",
            vec![("addProcessGroup", fault(6, "SHUTDOWN_STATE"))]
        ),
        ("ERROR: shutting down\n".into(), 1)
    );
    assert_eq!(
        run(
            "remove newprog",
            vec![("removeProcessGroup", fault(91, "STILL_RUNNING"))]
        ),
        ("ERROR: process/group still running: newprog\n".into(), 1)
    );
    assert_eq!(
        run(
            "remove newprog",
            vec![("removeProcessGroup", Ok(Value::Bool(true)))]
        ),
        ("newprog: removed process group\n".into(), 0)
    );
    assert_eq!(
        run(
            "remove newprog",
            vec![("removeProcessGroup", fault(10, "BAD_NAME"))]
        ),
        ("ERROR: no such process/group: newprog\n".into(), 1)
    );
    assert_eq!(run("add", vec![]), (String::new(), 0));
}

#[test]
fn update_removes_changes_then_adds() {
    let ok = || Ok(Value::Bool(true));
    let (out, rc) = run(
        "update",
        vec![
            ("reloadConfig", changes(&["new"], &["chg"], &["old"])),
            (
                "stopProcessGroup",
                Ok(Value::Array(vec![result("old", "old", 80, "OK")])),
            ),
            ("removeProcessGroup", ok()),
            ("stopProcessGroup", Ok(Value::Array(vec![]))),
            ("removeProcessGroup", ok()),
            ("addProcessGroup", ok()),
            ("addProcessGroup", ok()),
        ],
    );
    assert_eq!(
        out,
        "old: stopped\nold: removed process group\nchg: stopped\nchg: updated process group\nnew: added process group\n"
    );
    assert_eq!(rc, 0);
    assert_eq!(
        run("update", vec![("reloadConfig", changes(&[], &[], &[]))]),
        (String::new(), 0)
    );
}

#[test]
fn update_with_group_names() {
    let (out, rc) = run(
        "update c nope c",
        vec![
            ("reloadConfig", changes(&["c", "d"], &[], &["a"])),
            ("getAllProcessInfo", infos()),
            ("addProcessGroup", Ok(Value::Bool(true))),
        ],
    );
    assert_eq!(
        (out.as_str(), rc),
        ("ERROR: no such group: nope\nc: added process group\n", 1)
    );
    let (out, rc) = run(
        "update old",
        vec![
            ("reloadConfig", changes(&[], &[], &["old"])),
            (
                "getAllProcessInfo",
                Ok(Value::Array(vec![info("old", "old", 0, "STOPPED", "", 0)])),
            ),
            (
                "stopProcessGroup",
                Ok(Value::Array(vec![result("old", "old", 30, "FAILED: x")])),
            ),
        ],
    );
    assert_eq!(
        (out.as_str(), rc),
        ("old: stopped\nold: has problems; not removing\n", 1)
    );
}

#[test]
fn update_with_a_broken_config_is_one_line() {
    // DIVERGENCE(Q29): the reference prints the raw Fault object.
    let msg = "CANT_REREAD: value 'NOPE' is not a valid signal name in section 'program:a'";
    assert_eq!(
        run("update", vec![("reloadConfig", fault(92, msg))]),
        (format!("ERROR: {msg}\n"), 1)
    );
    assert_eq!(
        run("update", vec![("reloadConfig", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: already shutting down\n".into(), 1)
    );
}

// ---- shutdown / reload / version / open / help / quit --------------------------------------

#[test]
fn shutdown_golden() {
    assert_eq!(
        run("shutdown", vec![("shutdown", Ok(Value::Bool(true)))]),
        ("Shut down\n".into(), 0)
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: already shutting down\n".into(), 0)
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", refused())]),
        (
            format!("ERROR: {URL} refused connection (already shut down?)\n"),
            1
        )
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", no_such_file())]),
        (
            format!("ERROR: {URL} no such file (already shut down?)\n"),
            1
        )
    );
    assert_eq!(
        run("shutdown x", vec![]),
        (
            "Error: shutdown accepts no arguments\nshutdown \tShut the remote supervisord down.\n"
                .into(),
            1
        )
    );
}

#[test]
fn interactive_shutdown_and_reload_ask_first() {
    let r = run_with("shutdown", vec![], true, &["n"], Followed::Ended);
    assert_eq!(
        (r.out.as_str(), r.prompts.as_slice()),
        (
            "",
            &["Really shut the remote supervisord process down y/N? ".to_string()][..]
        )
    );
    let r = run_with(
        "shutdown",
        vec![("shutdown", Ok(Value::Bool(true)))],
        true,
        &["Yes"],
        Followed::Ended,
    );
    assert_eq!(r.out, "Shut down\n");
    let r = run_with(
        "reload",
        vec![("restart", Ok(Value::Bool(true)))],
        true,
        &["y"],
        Followed::Ended,
    );
    assert_eq!(
        (r.out.as_str(), r.prompts.as_slice()),
        (
            "Restarted supervisord\n",
            &["Really restart the remote supervisord process y/N? ".to_string()][..]
        )
    );
}

#[test]
fn reload_golden() {
    assert_eq!(
        run("reload", vec![("restart", Ok(Value::Bool(true)))]),
        ("Restarted supervisord\n".into(), 0)
    );
    assert_eq!(
        run("reload", vec![("restart", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: already shutting down\n".into(), 1)
    );
    assert_eq!(
        run("reload x", vec![]),
        (
            "Error: reload accepts no arguments\nreload \t\tRestart the remote supervisord.\n"
                .into(),
            1
        )
    );
}

#[test]
fn version_golden() {
    assert_eq!(
        run(
            "version",
            vec![up(), ("getSupervisorVersion", Ok(s("4.4.0.dev0")))]
        ),
        ("4.4.0.dev0\n".into(), 0)
    );
    assert_eq!(run("version x", vec![]), ("Error: version accepts no arguments\nversion\t\t\tShow the version of the remote supervisord process\n".into(), 1));
}

#[test]
fn open_switches_the_server_and_keeps_the_exit_status() {
    assert_eq!(
        run("open ftp://x", vec![]),
        ("ERROR: url must be http:// or unix://\n".into(), 1)
    );
    assert_eq!(
        run("open", vec![]),
        ("ERROR: url must be http:// or unix://\n".into(), 1)
    );
    let r = run_with(
        "open http://127.0.0.1:19001",
        vec![up(), ("getAllProcessInfo", infos())],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.status, 0);
    assert_eq!(r.out.lines().count(), 5);
    assert_eq!(r.calls[0].2.url, "http://127.0.0.1:19001");
}

#[test]
fn help_golden() {
    assert_eq!(
        run("help", vec![]),
        (
            "\ndefault commands (type help <topic>):\n=====================================\n\
             add    exit      open  reload  restart   start   tail   \n\
             avail  fg        pid   remove  shutdown  status  update \n\
             clear  maintail  quit  reread  signal    stop    version\n\n"
                .into(),
            0
        )
    );
    assert_eq!(run("help start", vec![]), (START_HELP.into(), 0));
    assert_eq!(run("?start", vec![]), (START_HELP.into(), 0));
    assert_eq!(
        run("help nosuch", vec![]),
        ("*** No help on nosuch\n".into(), 0)
    );
    assert_eq!(run("help EOF", vec![]), ("*** No help on EOF\n".into(), 0));
    assert_eq!(
        run("help help", vec![]),
        (
            "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n"
                .into(),
            0
        )
    );
    assert_eq!(
        run("help quit", vec![]),
        ("quit\tExit the supervisor shell.\n".into(), 0)
    );
}

#[test]
fn unknown_syntax_golden() {
    assert_eq!(
        run("bogus", vec![]),
        ("*** Unknown syntax: bogus\n".into(), 1)
    );
    assert_eq!(
        run("foobar x y", vec![]),
        ("*** Unknown syntax: foobar x y\n".into(), 1)
    );
    assert_eq!(run("!ls", vec![]), ("*** Unknown syntax: !ls\n".into(), 1));
    assert_eq!(run("   ", vec![]), (String::new(), 0));
}

#[test]
fn quit_exit_and_eof_leave_with_a_newline() {
    for line in ["quit", "exit", "EOF"] {
        let script = Script {
            replies: RefCell::default(),
            calls: RefCell::default(),
            follows: RefCell::default(),
            follow_end: Followed::Ended,
        };
        let mut input = Keys(VecDeque::new(), Vec::new());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let server = Server {
            url: URL.into(),
            username: None,
            password: None,
        };
        let mut ctl = Controller::new(server, true, &script, &mut input, &mut out, &mut err);
        assert_eq!(ctl.onecmd(line), Flow::Quit);
        drop(ctl);
        assert_eq!(out, b"\n");
    }
}

#[test]
fn the_shell_runs_status_first_then_reads_until_eof() {
    let script = Script {
        replies: RefCell::new(
            vec![
                up(),
                (
                    "getAllProcessInfo",
                    Ok(Value::Array(vec![info(
                        "a",
                        "a",
                        20,
                        "RUNNING",
                        "pid 1, uptime 0:00:01",
                        1,
                    )])),
                ),
                up(),
                ("getSupervisorVersion", Ok(s("4.3.0"))),
            ]
            .into(),
        ),
        calls: RefCell::default(),
        follows: RefCell::default(),
        follow_end: Followed::Ended,
    };
    let mut input = Keys(["version", "", "bogus"].into_iter().collect(), Vec::new());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let server = Server {
        url: URL.into(),
        username: None,
        password: None,
    };
    let mut ctl = Controller::new(server, true, &script, &mut input, &mut out, &mut err);
    super::super::shell::cmdloop(&mut ctl, "supervisor> ");
    drop(ctl);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a                                RUNNING   pid 1, uptime 0:00:01\n4.3.0\n*** Unknown syntax: bogus\n\n"
    );
    assert_eq!(input.1, ["supervisor> "; 4]);
}
