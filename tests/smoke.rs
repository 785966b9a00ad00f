//! The daemon starts, supervises a process and answers its clients.

use std::time::Duration;

use crate::util::{int, s, Sandbox};

#[test]
fn starts_a_program_and_answers_status() {
    let d = Sandbox::start(
        "smoke",
        "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    let info = d.wait_state("sleeper", "RUNNING", Duration::from_secs(10));
    assert!(crate::util::alive(int(&info, "pid") as i32));
    let out = d.ctl(&["status", "sleeper"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("sleeper                          RUNNING   pid "),
        "{out:?}"
    );
    assert_eq!(
        d.call("supervisor.stopProcess", vec![s("sleeper")]),
        xmlrpc::Value::Bool(true)
    );
}
