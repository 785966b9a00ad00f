//! Golden files of `supervisorctl --json`: one document per action, the exit status the text
//! form gives for the same replies. `SVRS_BLESS=1 cargo test json_golden` rewrites them.

use super::*;

fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/ctl/commands/tests/golden")
        .join(format!("{name}.json"))
}

/// Runs `line` in both forms against the same script; the JSON document must equal the
/// golden file, end with one newline and carry the text form's exit status.
fn golden(name: &str, line: &str, replies: impl Fn() -> Vec<(&'static str, Reply)>) {
    let text = run_with(line, replies(), false, &[], Followed::Ended);
    let json = run_mode(line, replies(), false, &[], Followed::Ended, true);
    assert_eq!(json.status, text.status, "{name}: exit status");
    assert_eq!(json.calls.len(), text.calls.len(), "{name}: same calls");
    assert!(json.out.ends_with("}\n") && json.out.matches('\n').count() == 1);
    assert!(json
        .out
        .contains(&format!("\"exit_status\":{},", text.status)));
    let path = golden_path(name);
    if std::env::var_os("SVRS_BLESS").is_some() {
        std::fs::write(&path, &json.out).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(json.out, want, "{name}");
}

fn changes_of(added: &[&str], changed: &[&str], removed: &[&str]) -> Reply {
    let list = |v: &[&str]| Value::Array(v.iter().map(|n| s(n)).collect());
    Ok(Value::Array(vec![Value::Array(vec![
        list(added),
        list(changed),
        list(removed),
    ])]))
}

#[test]
fn json_golden_status() {
    golden("status", "status", || {
        vec![up(), ("getAllProcessInfo", infos())]
    });
    golden("status_some", "status sleeper:* nosuch talker", || {
        vec![up(), ("getAllProcessInfo", infos())]
    });
    golden("status_down", "status", || vec![("getVersion", refused())]);
}

#[test]
fn json_golden_pid() {
    golden("pid", "pid", || vec![up(), ("getPID", Ok(Value::Int(42)))]);
    golden("pid_all", "pid all", || {
        vec![up(), ("getAllProcessInfo", infos())]
    });
    golden("pid_names", "pid talker nosuch", || {
        vec![
            up(),
            (
                "getProcessInfo",
                Ok(info(
                    "talker",
                    "talker",
                    20,
                    "RUNNING",
                    "pid 7336, uptime 0:00:06",
                    7336,
                )),
            ),
            ("getProcessInfo", fault(10, "BAD_NAME: nosuch")),
        ]
    });
}

#[test]
fn json_golden_config_actions() {
    golden("avail", "avail", || {
        let c = st(&[
            ("group", s("grp")),
            ("name", s("manual")),
            ("inuse", Value::Bool(true)),
            ("autostart", Value::Bool(false)),
            ("group_prio", Value::Int(500)),
            ("process_prio", Value::Int(999)),
        ]);
        vec![("getAllConfigInfo", Ok(Value::Array(vec![c])))]
    });
    golden("reread", "reread", || {
        vec![("reloadConfig", changes_of(&["new"], &["chg"], &["old"]))]
    });
    golden("update", "update", || {
        let ok = || Ok(Value::Bool(true));
        vec![
            no_surgical(),
            ("reloadConfig", changes_of(&["new"], &["chg"], &["old"])),
            (
                "stopProcessGroup",
                Ok(Value::Array(vec![result("old", "old", 80, "OK")])),
            ),
            ("removeProcessGroup", ok()),
            ("stopProcessGroup", Ok(Value::Array(vec![]))),
            ("removeProcessGroup", ok()),
            ("addProcessGroup", ok()),
            ("addProcessGroup", ok()),
        ]
    });
}

#[test]
fn json_golden_surgical_update() {
    golden("update_surgical", "update", || {
        let r = |name: &str, action: &str| {
            st(&[
                ("group", s("web")),
                ("name", s(name)),
                ("action", s(action)),
                ("status", Value::Int(80)),
                ("description", s("OK")),
            ])
        };
        vec![(
            "supervisor_rs.update",
            Ok(Value::Array(vec![
                r("web_01", "update"),
                r("web_04", "add"),
            ])),
        )]
    });
}

#[test]
fn json_golden_process_actions() {
    golden("start", "start grp:manual badcmd", || {
        vec![
            up(),
            ("startProcess", Ok(Value::Bool(true))),
            ("startProcess", fault(20, "NO_FILE: /nope")),
        ]
    });
    golden("start_group", "start sleeper:*", || {
        vec![
            up(),
            (
                "startProcessGroup",
                Ok(Value::Array(vec![
                    result("sleeper", "sleeper_00", 80, "OK"),
                    result(
                        "sleeper",
                        "sleeper_01",
                        60,
                        "ALREADY_STARTED: sleeper:sleeper_01",
                    ),
                ])),
            ),
        ]
    });
    golden("stop", "stop all", || {
        vec![
            up(),
            (
                "stopAllProcesses",
                Ok(Value::Array(vec![
                    result("talker", "talker", 80, "OK"),
                    result("grp", "manual", 70, "NOT_RUNNING: grp:manual"),
                ])),
            ),
        ]
    });
    golden("restart", "restart talker", || {
        vec![
            up(),
            up(),
            ("stopProcess", Ok(Value::Bool(true))),
            up(),
            ("startProcess", fault(50, "SPAWN_ERROR: talker")),
        ]
    });
    golden("signal", "signal HUP sleeper:* nosuch:*", || {
        vec![
            up(),
            (
                "signalProcessGroup",
                Ok(Value::Array(vec![result(
                    "sleeper",
                    "sleeper_00",
                    80,
                    "OK",
                )])),
            ),
            ("signalProcessGroup", fault(10, "BAD_NAME: nosuch")),
        ]
    });
    golden("clear", "clear talker", || {
        vec![up(), ("clearProcessLogs", Ok(Value::Bool(true)))]
    });
    golden("clear_all", "clear all", || {
        vec![
            up(),
            (
                "clearAllProcessLogs",
                Ok(Value::Array(vec![result(
                    "talker",
                    "talker",
                    30,
                    "FAILED: talker",
                )])),
            ),
        ]
    });
}

#[test]
fn json_golden_version_and_errors() {
    golden("version", "version", || {
        vec![up(), ("getSupervisorVersion", Ok(s("0.1.0")))]
    });
    golden("update_broken", "update", || {
        vec![("supervisor_rs.update", fault(92, "CANT_REREAD: bad \"x\""))]
    });
    golden("start_usage", "start", || vec![up()]);
}

#[test]
fn json_refuses_other_actions_and_quits_silently() {
    let r = run_mode("tail -f x", vec![], false, &[], Followed::Ended, true);
    assert_eq!(
        (r.out.as_str(), r.status),
        (
            "{\"version\":1,\"action\":\"tail\",\"exit_status\":2,\"messages\":[],\
             \"error\":\"--json is not available for \\\"tail\\\"\"}\n",
            2
        )
    );
    let r = run_mode("quit", vec![], false, &[], Followed::Ended, true);
    assert_eq!((r.out.as_str(), r.status), ("", 0));
}

#[test]
fn json_golden_log_files() {
    golden("rotate", "rotate talker", || {
        vec![
            up(),
            (
                "supervisor_rs.rotateLogs",
                Ok(Value::Array(vec![result("talker", "talker", 80, "OK")])),
            ),
        ]
    });
    golden("reopen", "reopen all", || {
        vec![
            up(),
            (
                "supervisor_rs.reopenLogs",
                Ok(Value::Array(vec![
                    result("talker", "talker", 80, "OK"),
                    result("web", "web_0", 80, "OK"),
                ])),
            ),
        ]
    });
}
