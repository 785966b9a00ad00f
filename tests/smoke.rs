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
        supervisor::rpc::Value::Bool(true)
    );
}

/// Without `[rpcinterface:supervisor]` there is no `supervisor.*` namespace, as in Supervisor,
/// and supervisorctl says so.
#[test]
fn without_the_rpcinterface_section_only_system_methods_answer() {
    let mut d = crate::util::Sandbox::new("norpc");
    d.write_conf("[program:a]\ncommand=/bin/sleep 100\n");
    let text = std::fs::read_to_string(&d.conf).unwrap().replace(
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
        "",
    );
    std::fs::write(&d.conf, text).unwrap();
    d.spawn_daemon();
    let methods = crate::util::wait_for(Duration::from_secs(10), "the daemon to answer", || {
        d.rpc("system.listMethods", vec![]).ok()
    });
    let supervisor::rpc::Value::Array(methods) = methods else {
        panic!("{methods:?}")
    };
    assert_eq!(methods.len(), 4, "{methods:?}");
    assert_eq!(d.fault("supervisor.getState", vec![], 1), "UNKNOWN_METHOD");
    let out = d.ctl(&["status"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stdout.starts_with(
            "Sorry, supervisord responded but did not recognize the supervisor namespace"
        ),
        "{out:?}"
    );
}
