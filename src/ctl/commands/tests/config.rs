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
