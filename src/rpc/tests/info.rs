//! Name resolution and the status methods.

use super::{fault, now, s};
use crate::model::fake::Fake;
use crate::rpc::faults::FaultCode;
use crate::rpc::info::{lookup, Target};
use crate::rpc::Value;
use crate::states::SupervisorState;

const CONF: &str = "[program:solo]\ncommand=/bin/sh\nstartsecs=1\n\
                    [program:b]\ncommand=/bin/sh\n\
                    [program:a]\ncommand=/bin/sh\n\
                    [group:g]\nprograms=b,a\n";

#[test]
fn names_resolve_as_supervisors_split_namespec() {
    let f = Fake::new(CONF);
    let m = &f.model;
    assert_eq!(lookup(m, "solo"), Ok(Target::Process(f.id("solo:solo"))));
    assert_eq!(lookup(m, "g:a"), Ok(Target::Process(f.id("g:a"))));
    assert_eq!(lookup(m, "g:*"), Ok(Target::Group("g".into())));
    assert_eq!(lookup(m, "g:"), Ok(Target::Group("g".into())));
    for bad in ["a", "g:c", "nope:a", "", ":"] {
        let f = lookup(m, bad).unwrap_err();
        assert_eq!(f.fault_string(), format!("BAD_NAME: {bad}"));
    }
}

#[test]
fn process_info_follows_the_state() {
    let mut f = Fake::new(CONF);
    let info = now(&mut f, "supervisor.getProcessInfo", &[s("solo")]);
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Nil);
    assert_eq!(field(&info, "statename"), s("STOPPED"));
    assert_eq!(field(&info, "description"), s("Not started"));
    assert_eq!(field(&info, "now"), Value::Int(1_700_000_000));
    assert_eq!(field(&info, "pid"), Value::Int(0));
    f.run("solo");
    f.wall += 65.0;
    let info = now(&mut f, "supervisor.getProcessInfo", &[s("solo")]);
    assert_eq!(field(&info, "statename"), s("RUNNING"));
    assert_eq!(field(&info, "state"), Value::Int(20));
    assert_eq!(field(&info, "pid"), Value::Int(1000));
    assert_eq!(field(&info, "description"), s("pid 1000, uptime 0:01:05"));
    assert_eq!(field(&info, "group"), s("solo"));
    assert_eq!(
        fault(&mut f, "supervisor.getProcessInfo", &[s("g:*")]),
        (FaultCode::BadName, "BAD_NAME: g:*".into())
    );
    assert_eq!(
        fault(&mut f, "supervisor.getProcessInfo", &[s("solo"), s("x")]).0,
        FaultCode::IncorrectParameters
    );
}

#[test]
fn all_process_info_is_by_group_then_name() {
    let mut f = Fake::new(CONF);
    let all = now(&mut f, "supervisor.getAllProcessInfo", &[]);
    let names: Vec<(&str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p.get("group").and_then(Value::as_str).unwrap(),
                p.get("name").and_then(Value::as_str).unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("g", "a"), ("g", "b"), ("solo", "solo")]);
}

#[test]
fn config_info_covers_every_configured_process_by_name() {
    let mut f = Fake::new(CONF);
    f.model.remove_group("g");
    let all = now(&mut f, "supervisor.getAllConfigInfo", &[]);
    let rows: Vec<(&str, bool)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c.get("name").and_then(Value::as_str).unwrap(),
                c.get("inuse").and_then(Value::as_bool).unwrap(),
            )
        })
        .collect();
    // `g` was read but is not active: still listed, not in use.
    assert_eq!(rows, [("a", false), ("b", false), ("solo", true)]);
}

#[test]
fn small_methods_and_the_shutdown_state() {
    let mut f = Fake::new(CONF);
    assert_eq!(now(&mut f, "supervisor.getAPIVersion", &[]), s("3.0"));
    assert_eq!(now(&mut f, "supervisor.getVersion", &[]), s("3.0"));
    assert_eq!(
        now(&mut f, "supervisor.getSupervisorVersion", &[]),
        s(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        now(&mut f, "supervisor.getIdentification", &[]),
        s("supervisor")
    );
    assert_eq!(
        now(&mut f, "supervisor.getPID", &[]),
        Value::Int(std::process::id() as i32)
    );
    let state = now(&mut f, "supervisor.getState", &[]);
    assert_eq!(state.get("statename"), Some(&s("RUNNING")));
    assert_eq!(
        fault(&mut f, "supervisor.getState", &[s("x")]).0,
        FaultCode::IncorrectParameters
    );
    f.model.mood = SupervisorState::Restarting;
    for method in [
        "supervisor.getState",
        "supervisor.getPID",
        "supervisor.getAllProcessInfo",
        "supervisor.getAllConfigInfo",
        "supervisor.getIdentification",
    ] {
        assert_eq!(
            fault(&mut f, method, &[]).0,
            FaultCode::ShutdownState,
            "{method}"
        );
    }
}
