//! Golden tests of supervisorctl's config actions against a scripted server.

use super::*;

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
        ("update", "supervisor_rs.update"),
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
            no_surgical(),
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
        run(
            "update",
            vec![no_surgical(), ("reloadConfig", changes(&[], &[], &[]))]
        ),
        (String::new(), 0)
    );
}

#[test]
fn update_with_group_names() {
    let (out, rc) = run(
        "update c nope c",
        vec![
            no_surgical(),
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
            no_surgical(),
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
        run("update", vec![("supervisor_rs.update", fault(92, msg))]),
        (format!("ERROR: {msg}\n"), 1)
    );
    assert_eq!(
        run(
            "update",
            vec![("supervisor_rs.update", fault(6, "SHUTDOWN_STATE"))]
        ),
        ("ERROR: already shutting down\n".into(), 1)
    );
}

fn update_result(group: &str, name: &str, action: &str, status: i32, desc: &str) -> Value {
    st(&[
        ("group", s(group)),
        ("name", s(name)),
        ("action", s(action)),
        ("status", Value::Int(status)),
        ("description", s(desc)),
    ])
}

#[test]
fn update_per_process_on_our_daemon() {
    // DIVERGENCE(D11): whole-group changes print the reference's lines; member changes
    // print one pair per process.
    let r = run_with(
        "update web nope",
        vec![(
            "supervisor_rs.update",
            Ok(Value::Array(vec![
                update_result("nope", "", "no_such_group", 10, "BAD_NAME: nope"),
                update_result("old", "", "remove_group", 80, "OK"),
                update_result("chg", "", "update_group", 80, "OK"),
                update_result("web", "web_01", "update", 80, "OK"),
                update_result("web", "web_02", "remove", 80, "OK"),
                update_result("web", "web_05", "add", 80, "OK"),
                update_result("new", "", "add_group", 80, "OK"),
            ])),
        )],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(
        r.out,
        "ERROR: no such group: nope\nold: stopped\nold: removed process group\n\
         chg: stopped\nchg: updated process group\nweb:web_01: stopped\n\
         web:web_01: updated process\nweb:web_02: stopped\nweb:web_02: removed process\n\
         web:web_05: added process\nnew: added process group\n"
    );
    assert_eq!(r.status, 1);
    assert_eq!(
        r.calls[0].1,
        vec![Value::Array(vec![s("web"), s("nope")])],
        "the names, once each"
    );
}
