//! The XML-RPC surface through our own client: return shapes of every `supervisor.*` and
//! `system.*` method, every fault of reference §5.2, multicall, reloadConfig/add/remove and
//! getAllConfigInfo. Wait semantics, log reading and configuration methods are in `rpc_wait.rs`,
//! `rpc_logs.rs` and `rpc_config.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use supervisor::ctl::client::{self, CallError};
use supervisor::rpc::Value;

use crate::util::{int, p, s, script, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);

/// Every method with the signature the reference's `system.methodSignature` returns (§5.3).
const SIGNATURES: &[(&str, &[&str])] = &[
    ("supervisor.addProcessGroup", &["boolean", "string"]),
    ("supervisor.clearAllProcessLogs", &["array"]),
    ("supervisor.clearLog", &["boolean"]),
    ("supervisor.clearProcessLog", &["boolean", "string"]),
    ("supervisor.clearProcessLogs", &["boolean", "string"]),
    ("supervisor.getAPIVersion", &["string"]),
    ("supervisor.getAllConfigInfo", &["array"]),
    ("supervisor.getAllProcessInfo", &["array"]),
    ("supervisor.getIdentification", &["string"]),
    ("supervisor.getPID", &["int"]),
    ("supervisor.getProcessInfo", &["struct", "string"]),
    ("supervisor.getState", &["struct"]),
    ("supervisor.getSupervisorVersion", &["string"]),
    ("supervisor.getVersion", &["string"]),
    ("supervisor.readLog", &["string", "int", "int"]),
    ("supervisor.readMainLog", &["string", "int", "int"]),
    (
        "supervisor.readProcessLog",
        &["string", "string", "int", "int"],
    ),
    (
        "supervisor.readProcessStderrLog",
        &["string", "string", "int", "int"],
    ),
    (
        "supervisor.readProcessStdoutLog",
        &["string", "string", "int", "int"],
    ),
    ("supervisor.reloadConfig", &["array"]),
    ("supervisor.removeProcessGroup", &["boolean", "string"]),
    ("supervisor.restart", &["boolean"]),
    (
        "supervisor.sendProcessStdin",
        &["boolean", "string", "string"],
    ),
    (
        "supervisor.sendRemoteCommEvent",
        &["boolean", "string", "string"],
    ),
    ("supervisor.shutdown", &["boolean"]),
    ("supervisor.signalAllProcesses", &["array", "string"]),
    ("supervisor.signalProcess", &["boolean", "string", "string"]),
    (
        "supervisor.signalProcessGroup",
        &["array", "string", "string"],
    ),
    ("supervisor.startAllProcesses", &["array", "boolean"]),
    ("supervisor.startProcess", &["boolean", "string", "boolean"]),
    (
        "supervisor.startProcessGroup",
        &["array", "string", "boolean"],
    ),
    ("supervisor.stopAllProcesses", &["array", "boolean"]),
    ("supervisor.stopProcess", &["boolean", "string", "boolean"]),
    (
        "supervisor.stopProcessGroup",
        &["array", "string", "boolean"],
    ),
    (
        "supervisor.tailProcessLog",
        &["array", "string", "int", "int"],
    ),
    (
        "supervisor.tailProcessStderrLog",
        &["array", "string", "int", "int"],
    ),
    (
        "supervisor.tailProcessStdoutLog",
        &["array", "string", "int", "int"],
    ),
    // Our additive namespace (D11).
    ("supervisor_rs.reopenLogs", &["array", "string"]),
    ("supervisor_rs.rotateLogs", &["array", "string"]),
    ("supervisor_rs.update", &["array", "array"]),
    ("system.listMethods", &["array"]),
    ("system.methodHelp", &["string", "string"]),
    ("system.methodSignature", &["array", "string"]),
    ("system.multicall", &["array", "array"]),
];

/// A sandbox whose sections are built once its directory exists (for scripts).
pub fn sandbox(name: &str, sections: impl FnOnce(&Sandbox) -> String) -> Sandbox {
    let mut d = Sandbox::new(name);
    let text = sections(&d);
    d.write_conf(&text);
    d.launch();
    d
}

#[track_caller]
pub fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("not an array: {other:?}"),
    }
}

#[track_caller]
pub fn map(v: &Value) -> &BTreeMap<String, Value> {
    match v {
        Value::Struct(m) => m,
        other => panic!("not a struct: {other:?}"),
    }
}

pub fn i(n: i32) -> Value {
    Value::Int(n)
}

pub fn b(x: bool) -> Value {
    Value::Bool(x)
}

/// A `{name, group, status, description}` result struct.
pub fn result(name: &str, group: &str, status: i32, description: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("name".to_string(), s(name));
    m.insert("group".to_string(), s(group));
    m.insert("status".to_string(), i(status));
    m.insert("description".to_string(), s(description));
    Value::Struct(m)
}

/// A `{faultCode, faultString}` struct as multicall returns it.
fn fault_struct(code: i32, string: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("faultCode".to_string(), i(code));
    m.insert("faultString".to_string(), s(string));
    Value::Struct(m)
}

fn call_struct(method: &str, params: Vec<Value>) -> Value {
    let mut m = BTreeMap::new();
    m.insert("methodName".to_string(), s(method));
    m.insert("params".to_string(), Value::Array(params));
    Value::Struct(m)
}

#[test]
fn system_methods_list_help_and_signatures() {
    let d = Sandbox::start("sys", "");
    let names: Vec<Value> = SIGNATURES.iter().map(|(n, _)| s(n)).collect();
    assert_eq!(
        d.call("system.listMethods", vec![]),
        Value::Array(names),
        "44 sorted names"
    );
    for (name, sig) in SIGNATURES {
        let expected = Value::Array(sig.iter().map(|t| s(t)).collect());
        assert_eq!(
            d.call("system.methodSignature", vec![s(name)]),
            expected,
            "{name}"
        );
        match d.call("system.methodHelp", vec![s(name)]) {
            Value::String(help) => assert!(help.contains("@return"), "{name}: {help:?}"),
            other => panic!("{name}: help is {other:?}"),
        }
    }
    for bad in ["nosuch.method", "supervisor.nosuch", "getPID", ""] {
        let f = d.fault("system.methodHelp", vec![s(bad)], 4);
        assert_eq!(f, "SIGNATURE_UNSUPPORTED");
        let f = d.fault("system.methodSignature", vec![s(bad)], 4);
        assert_eq!(f, "SIGNATURE_UNSUPPORTED");
    }
    assert_eq!(
        d.fault("system.listMethods", vec![i(1)], 2),
        "INCORRECT_PARAMETERS"
    );
}

#[test]
fn status_methods_return_shapes() {
    let mut d = Sandbox::new("status");
    d.supervisord_extra = "identifier=rpc-test-id".into();
    d.write_conf("");
    d.launch();
    assert_eq!(d.call("supervisor.getAPIVersion", vec![]), s("3.0"));
    assert_eq!(d.call("supervisor.getVersion", vec![]), s("3.0"));
    assert_eq!(
        d.call("supervisor.getSupervisorVersion", vec![]),
        s(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        d.call("supervisor.getIdentification", vec![]),
        s("rpc-test-id")
    );
    let state = d.call("supervisor.getState", vec![]);
    assert_eq!(int(map(&state), "statecode"), 1);
    assert_eq!(text(map(&state), "statename"), "RUNNING");
    assert_eq!(map(&state).len(), 2);
    assert_eq!(d.call("supervisor.getPID", vec![]), i(d.pid()));
    assert_eq!(
        d.call("supervisor.getAllProcessInfo", vec![]),
        Value::Array(vec![])
    );
    assert_eq!(
        d.call("supervisor.getAllConfigInfo", vec![]),
        Value::Array(vec![])
    );
}

#[test]
fn process_info_shapes_and_name_resolution() {
    let d = Sandbox::start(
        "pinfo",
        "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\n\
         [program:num]\ncommand=/bin/sleep 1000\nstartsecs=0\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)02d\n\
         [program:quick]\ncommand=/bin/sh -c \"exit 3\"\nautostart=false\nautorestart=false\n\
         startsecs=0\n\
         [group:grp]\nprograms=manual,quick\n",
    );
    let info = d.wait_state("sleeper", "RUNNING", T);
    let keys: Vec<&str> = info.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "description",
            "exitstatus",
            "group",
            "logfile",
            "name",
            "now",
            "pid",
            "spawnerr",
            "start",
            "state",
            "statename",
            "stderr_logfile",
            "stdout_logfile",
            "stop"
        ]
    );
    assert_eq!(text(&info, "name"), "sleeper");
    assert_eq!(text(&info, "group"), "sleeper");
    assert_eq!(int(&info, "state"), 20);
    let pid = int(&info, "pid");
    assert!(crate::util::alive(pid as i32));
    assert!(
        text(&info, "description").starts_with(&format!("pid {pid}, uptime 0:00:0")),
        "{info:?}"
    );
    let now = int(&info, "now");
    assert!(int(&info, "start") > 0 && int(&info, "start") <= now);
    assert_eq!(int(&info, "stop"), 0);
    assert_eq!(int(&info, "exitstatus"), 0);
    assert_eq!(text(&info, "spawnerr"), "");
    let stdout = text(&info, "stdout_logfile");
    assert!(
        stdout.starts_with(&d.marker()),
        "AUTO log in childlogdir: {stdout}"
    );
    assert_eq!(text(&info, "logfile"), stdout);
    assert!(text(&info, "stderr_logfile").starts_with(&d.marker()));

    let manual = d.info("grp:manual");
    assert_eq!(
        (text(&manual, "name"), text(&manual, "group")),
        ("manual", "grp")
    );
    assert_eq!(text(&manual, "statename"), "STOPPED");
    assert_eq!(int(&manual, "state"), 0);
    assert_eq!(text(&manual, "description"), "Not started");
    assert_eq!((int(&manual, "pid"), int(&manual, "start")), (0, 0));

    d.wait_state("num:num_00", "RUNNING", T);
    d.call("supervisor.startProcess", vec![s("grp:quick")]);
    let quick = d.wait_state("grp:quick", "EXITED", T);
    assert_eq!(int(&quick, "exitstatus"), 3);
    assert_eq!(text(&quick, "spawnerr"), "Bad exit code 3");
    assert_eq!(int(&quick, "pid"), 0);
    assert!(int(&quick, "stop") >= int(&quick, "start"));
    let date = text(&quick, "description");
    assert_eq!(crate::ctl::mask(&format!("x {date}")), "x DATE", "{date}");
    for bad in [
        "nosuch",
        "grp",
        "grp:*",
        "grp:",
        "num",
        "num_00",
        "grp:nosuch",
        "a:b:c",
    ] {
        let f = d.fault("supervisor.getProcessInfo", vec![s(bad)], 10);
        assert_eq!(f, format!("BAD_NAME: {bad}"));
    }
    let all = list(d.call("supervisor.getAllProcessInfo", vec![]));
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|v| (text(map(v), "group"), text(map(v), "name")))
        .collect();
    assert_eq!(
        order,
        [
            ("grp", "manual"),
            ("grp", "quick"),
            ("num", "num_00"),
            ("num", "num_01"),
            ("sleeper", "sleeper")
        ]
    );
    assert_eq!(map(&all[0]).len(), 14);
}

/// A sandbox with one program for each start fault.
fn faulty() -> Sandbox {
    sandbox("faults", |d| {
        std::fs::write(d.path("notexec.sh"), "#!/bin/sh\n").unwrap();
        format!(
            "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
             [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n\
             [program:badcmd]\ncommand=/nonexistent/cmd\nautostart=false\n\
             [program:notexec]\ncommand={}\nautostart=false\n\
             [program:dirprog]\ncommand=/tmp\nautostart=false\n\
             [program:badquote]\ncommand=/bin/echo \"unterminated\nautostart=false\n\
             [program:flaky]\ncommand=/bin/sh -c \"exit 1\"\nautostart=false\nstartsecs=1\n\
             startretries=0\n\
             [program:baddir]\ncommand=/bin/sleep 1000\ndirectory=/nonexistent\nautostart=false\n\
             startretries=0\n",
            p(&d.path("notexec.sh"))
        )
    })
}

#[test]
fn start_stop_and_signal_faults() {
    let d = faulty();
    d.wait_state("sleeper", "RUNNING", T);
    let start = |name: &str, code| d.fault("supervisor.startProcess", vec![s(name)], code);
    assert_eq!(start("nosuch", 10), "BAD_NAME: nosuch");
    assert_eq!(start("nosuch:*", 10), "BAD_NAME: nosuch:*");
    assert_eq!(
        start("badcmd", 20),
        "NO_FILE: can't find command '/nonexistent/cmd'"
    );
    assert_eq!(
        start("notexec", 21),
        format!(
            "NOT_EXECUTABLE: command at '{}' is not executable",
            p(&d.path("notexec.sh"))
        )
    );
    assert_eq!(
        start("dirprog", 21),
        "NOT_EXECUTABLE: command at '/tmp' is a directory"
    );
    assert_eq!(
        start("badquote", 21),
        "NOT_EXECUTABLE: can't parse command '/bin/echo \"unterminated': No closing quotation"
    );
    assert_eq!(start("sleeper", 60), "ALREADY_STARTED: sleeper");
    assert_eq!(start("flaky", 50), "SPAWN_ERROR: flaky");
    assert_eq!(d.info("flaky").get("statename"), Some(&s("FATAL")));
    assert_eq!(start("baddir", 50), "SPAWN_ERROR: baddir");
    let baddir = d.info("baddir");
    assert_eq!(text(&baddir, "statename"), "FATAL");
    assert_eq!(
        text(&baddir, "spawnerr"),
        text(&baddir, "description"),
        "{baddir:?}"
    );

    let stop = |name: &str, code| d.fault("supervisor.stopProcess", vec![s(name)], code);
    assert_eq!(stop("manual", 70), "NOT_RUNNING: manual");
    assert_eq!(stop("nosuch", 10), "BAD_NAME: nosuch");

    let signal = |name: &str, sig: &str, code| {
        d.fault("supervisor.signalProcess", vec![s(name), s(sig)], code)
    };
    assert_eq!(signal("sleeper", "NOPE", 11), "BAD_SIGNAL: NOPE");
    assert_eq!(signal("sleeper", "999", 11), "BAD_SIGNAL: 999");
    assert_eq!(signal("manual", "HUP", 70), "NOT_RUNNING: manual");
    assert_eq!(signal("nosuch", "HUP", 10), "BAD_NAME: nosuch");
    let stdin =
        |name: &str, code| d.fault("supervisor.sendProcessStdin", vec![s(name), s("x")], code);
    assert_eq!(stdin("manual", 70), "NOT_RUNNING: manual");
    assert_eq!(stdin("nosuch", 10), "BAD_NAME: nosuch");
    assert_eq!(
        d.fault("supervisor.sendProcessStdin", vec![s("sleeper"), i(5)], 2),
        "INCORRECT_PARAMETERS: 5"
    );
    for (method, params) in [
        ("supervisor.startProcessGroup", vec![s("nosuch")]),
        ("supervisor.stopProcessGroup", vec![s("nosuch")]),
        ("supervisor.signalProcessGroup", vec![s("nosuch"), s("HUP")]),
    ] {
        assert_eq!(d.fault(method, params, 10), "BAD_NAME: nosuch", "{method}");
    }
    // The process survived all of it, and the daemon answers.
    assert_eq!(d.info("sleeper").get("statename"), Some(&s("RUNNING")));
}

#[test]
fn dispatch_faults() {
    let d = Sandbox::start("dispatch", "");
    for name in [
        "bogus.x",
        "supervisor.nosuch",
        "supervisor.__init__",
        "supervisor._update",
        "supervisor",
        "getPID",
        "supervisor.getPID.x",
        "system.multicall.x",
    ] {
        assert_eq!(d.fault(name, vec![], 1), "UNKNOWN_METHOD", "{name}");
    }
    for (method, params) in [
        ("supervisor.getPID", vec![i(1)]),
        ("supervisor.getProcessInfo", vec![]),
        ("supervisor.getProcessInfo", vec![i(3)]),
        ("supervisor.readLog", vec![i(0)]),
        ("supervisor.readLog", vec![s("x"), i(0)]),
        ("supervisor.startProcess", vec![s("a"), b(true), b(true)]),
        ("system.multicall", vec![s("x")]),
        ("system.multicall", vec![]),
    ] {
        assert_eq!(
            d.fault(method, params, 2),
            "INCORRECT_PARAMETERS",
            "{method}"
        );
    }
    assert_eq!(
        d.fault("supervisor.readLog", vec![i(-4), i(2)], 3),
        "BAD_ARGUMENTS"
    );
    assert_eq!(
        d.fault("supervisor.readLog", vec![i(0), i(-2)], 3),
        "BAD_ARGUMENTS"
    );
}

#[test]
fn group_and_all_operations_return_result_structs() {
    let d = faulty();
    d.wait_state("sleeper", "RUNNING", T);
    let r = d.call("supervisor.signalProcess", vec![s("sleeper"), s("sigcont")]);
    assert_eq!(r, b(true));
    assert_eq!(
        d.call("supervisor.signalProcess", vec![s("sleeper"), s("18")]),
        b(true)
    );
    // A bad signal to a group is a per-process entry, not a fault.
    assert_eq!(
        d.call(
            "supervisor.signalProcessGroup",
            vec![s("sleeper"), s("NOPE")]
        ),
        Value::Array(vec![result("sleeper", "sleeper", 11, "BAD_SIGNAL: NOPE")])
    );
    assert_eq!(
        d.call("supervisor.signalAllProcesses", vec![s("CONT")]),
        Value::Array(vec![result("sleeper", "sleeper", 80, "OK")])
    );
    // g:* through the single-process methods delegates to the group ones (arrays).
    assert_eq!(
        d.call("supervisor.signalProcess", vec![s("sleeper:*"), s("CONT")]),
        Value::Array(vec![result("sleeper", "sleeper", 80, "OK")])
    );
    assert_eq!(
        d.call("supervisor.startProcess", vec![s("manual:")]),
        Value::Array(vec![result("manual", "manual", 80, "OK")])
    );
    assert_eq!(
        d.call("supervisor.startProcessGroup", vec![s("manual")]),
        Value::Array(vec![]),
        "members already running are omitted"
    );
    assert_eq!(
        d.call("supervisor.stopProcess", vec![s("manual:*")]),
        Value::Array(vec![result("manual", "manual", 80, "OK")])
    );
    assert_eq!(
        d.call("supervisor.stopProcessGroup", vec![s("manual")]),
        Value::Array(vec![])
    );
    // startAll reports each failure in place, with its fault code and string.
    let all = list(d.call("supervisor.startAllProcesses", vec![]));
    let mut by_name: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for r in &all {
        let m = map(r);
        by_name.insert(
            text(m, "name").to_string(),
            (int(m, "status"), text(m, "description").to_string()),
        );
    }
    let expect = |name: &str, code: i64, desc: &str| {
        assert_eq!(
            by_name.get(name),
            Some(&(code, desc.to_string())),
            "{name} in {all:?}"
        );
    };
    expect("manual", 80, "OK");
    expect(
        "badcmd",
        20,
        "NO_FILE: can't find command '/nonexistent/cmd'",
    );
    expect(
        "dirprog",
        21,
        "NOT_EXECUTABLE: command at '/tmp' is a directory",
    );
    expect("flaky", 50, "SPAWN_ERROR: flaky");
    expect("baddir", 50, "SPAWN_ERROR: baddir");
    assert!(!by_name.contains_key("sleeper"), "running: omitted");
    let stopped = list(d.call("supervisor.stopAllProcesses", vec![]));
    let names: Vec<&str> = stopped.iter().map(|r| text(map(r), "name")).collect();
    assert_eq!(names.len(), 2, "{stopped:?}");
    assert!(names.contains(&"sleeper") && names.contains(&"manual"));
    assert!(stopped.iter().all(|r| int(map(r), "status") == 80));
    assert_eq!(
        d.call("supervisor.stopAllProcesses", vec![]),
        Value::Array(vec![])
    );
    assert_eq!(
        d.call("supervisor.signalAllProcesses", vec![s("HUP")]),
        Value::Array(vec![])
    );
}

#[test]
fn stdin_and_remote_comm_event() {
    let d = sandbox("stdin", |d| {
        let deaf = script(d, "deaf.sh", "exec 0<&-\nexec sleep 1000");
        format!(
            "[program:cat]\ncommand=/bin/cat\nstartsecs=0\n\
             [program:deaf]\ncommand=/bin/sh {}\nstartsecs=0\n",
            p(&deaf)
        )
    });
    d.wait_state("cat", "RUNNING", T);
    d.wait_state("deaf", "RUNNING", T);
    assert_eq!(
        d.call("supervisor.sendProcessStdin", vec![s("cat"), s("héllo\n")]),
        b(true)
    );
    wait_for(T, "cat to echo", || {
        match d.call(
            "supervisor.readProcessStdoutLog",
            vec![s("cat"), i(0), i(0)],
        ) {
            Value::String(t) if t == "héllo\n" => Some(()),
            _ => None,
        }
    });
    // A child that closed its stdin: the write fails with EPIPE.
    let f = wait_for(T, "stdin to be known closed", || {
        match d.rpc("supervisor.sendProcessStdin", vec![s("deaf"), s("x\n")]) {
            Err(CallError::Fault { code: 20, string }) => Some(string),
            Ok(_) => None,
            other => panic!("unexpected {other:?}"),
        }
    });
    assert_eq!(f, "NO_FILE: deaf");
    assert_eq!(
        d.call("supervisor.sendRemoteCommEvent", vec![s("type"), s("data")]),
        b(true)
    );
}

#[test]
fn abnormal_termination_when_stopped_during_a_waited_start() {
    let d = Sandbox::start(
        "abnormal",
        "[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=30\nautostart=false\n",
    );
    let server = d.server.clone();
    let waiter = std::thread::spawn(move || {
        client::call(&server, "supervisor.startProcess", vec![s("slow")])
    });
    d.wait_state("slow", "STARTING", T);
    assert_eq!(d.call("supervisor.stopProcess", vec![s("slow")]), b(true));
    match waiter.join().unwrap() {
        Err(CallError::Fault { code: 40, string }) => {
            assert_eq!(string, "ABNORMAL_TERMINATION: slow")
        }
        other => panic!("expected ABNORMAL_TERMINATION, got {other:?}"),
    }
}

#[test]
fn multicall_runs_in_order_with_faults_in_place() {
    let d = Sandbox::start(
        "multi",
        "[program:cat]\ncommand=/bin/cat\nstartsecs=0\n\
         [program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n",
    );
    d.wait_state("cat", "RUNNING", T);
    let mut no_name = BTreeMap::new();
    no_name.insert("params".to_string(), Value::Array(vec![]));
    let calls = vec![
        call_struct("supervisor.getPID", vec![]),
        call_struct("supervisor.getProcessInfo", vec![s("nosuch")]),
        call_struct("system.multicall", vec![Value::Array(vec![])]),
        Value::Struct(no_name),
        call_struct("supervisor.getPID", vec![i(1), i(2)]),
        call_struct("supervisor.stopProcess", vec![s("cat")]),
        call_struct("supervisor.startProcess", vec![s("cat")]),
        call_struct("bogus.x", vec![]),
        // A waited start blocks the calls after it.
        call_struct("supervisor.startProcess", vec![s("slow")]),
        call_struct("supervisor.getProcessInfo", vec![s("slow")]),
    ];
    let results = list(d.call("system.multicall", vec![Value::Array(calls)]));
    assert_eq!(results.len(), 10, "{results:?}");
    assert_eq!(
        results[..9],
        [
            i(d.pid()),
            fault_struct(10, "BAD_NAME: nosuch"),
            fault_struct(
                2,
                "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"
            ),
            fault_struct(2, "INCORRECT_PARAMETERS: No methodName"),
            fault_struct(2, "INCORRECT_PARAMETERS"),
            b(true),
            b(true),
            fault_struct(1, "UNKNOWN_METHOD"),
            b(true),
        ]
    );
    assert_eq!(text(map(&results[9]), "statename"), "RUNNING");
    assert_eq!(
        d.call("system.multicall", vec![Value::Array(vec![])]),
        Value::Array(vec![])
    );
}
