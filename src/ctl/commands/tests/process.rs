//! Golden tests of supervisorctl's process actions against a scripted server.

use super::*;

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
