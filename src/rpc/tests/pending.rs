//! `system.multicall` and the waiting answers: order, blocking, yielding, bounds.

use std::time::Duration;

use super::{fault, later, now, plain, s};
use crate::model::fake::Fake;
use crate::rpc::faults::FaultCode;
use crate::rpc::pending::{Pending, MAX_MULTICALL_CALLS};
use crate::rpc::{table, Value};
use crate::states::ProcessState;

const ONE: &str = "[program:a]\ncommand=/bin/sh\nstartsecs=1\n";

fn call(method: &str, params: Vec<Value>) -> Value {
    Value::Struct(
        [
            ("methodName".to_string(), s(method)),
            ("params".to_string(), Value::Array(params)),
        ]
        .into_iter()
        .collect(),
    )
}

fn multicall(calls: Vec<Value>) -> [Value; 1] {
    [Value::Array(calls)]
}

fn fault_code(v: &Value) -> Option<i32> {
    v.get("faultCode").and_then(Value::as_i32)
}

#[test]
fn results_come_in_order_with_faults_as_structs() {
    let mut f = Fake::new(ONE);
    let calls = vec![
        call("supervisor.getAPIVersion", vec![]),
        call("supervisor.nope", vec![]),
        call("supervisor.stopProcess", vec![s("a")]),
        Value::Int(1),
        call("system.multicall", vec![]),
        call("supervisor.getIdentification", vec![]),
    ];
    let v = now(&mut f, "system.multicall", &multicall(calls));
    let items = v.as_array().unwrap();
    assert_eq!(items[0], s("3.0"));
    assert_eq!(fault_code(&items[1]), Some(FaultCode::UnknownMethod.code()));
    assert_eq!(fault_code(&items[2]), Some(FaultCode::NotRunning.code()));
    assert_eq!(
        items[3].get("faultString"),
        Some(&s("INCORRECT_PARAMETERS: No methodName"))
    );
    assert_eq!(
        items[4].get("faultString"),
        Some(&s(
            "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"
        ))
    );
    assert_eq!(items[5], s("supervisor"));
    assert_eq!(
        fault(&mut f, "system.multicall", &[s("x")]).0,
        FaultCode::IncorrectParameters
    );
}

#[test]
fn a_waiting_call_holds_the_ones_after_it() {
    let mut f = Fake::new(ONE);
    let calls = vec![
        call("supervisor.startProcess", vec![s("a")]),
        call("supervisor.getProcessInfo", vec![s("a")]),
    ];
    let mut p = later(&mut f, "system.multicall", &multicall(calls));
    assert_eq!(p.poll(&mut f), None);
    f.deadline("a");
    let v = plain(p.poll(&mut f).expect("answered").expect("an array"));
    let items = v.as_array().unwrap();
    assert_eq!(items[0], Value::Bool(true));
    // The info was read after the start finished: RUNNING.
    assert_eq!(items[1].get("statename"), Some(&s("RUNNING")));
}

#[test]
fn a_multicall_over_its_slice_yields_to_the_next_turn() {
    let mut f = Fake::new(ONE);
    f.elapsed = Duration::from_millis(10);
    let calls = vec![call("supervisor.getAPIVersion", vec![]); 3];
    let mut p = later(&mut f, "system.multicall", &multicall(calls));
    assert!(f.resumed, "polled again next turn without sleeping");
    f.resumed = false;
    assert_eq!(p.poll(&mut f), None, "same turn: it waits");
    assert!(f.resumed);
    f.turn += 1;
    assert_eq!(
        p.poll(&mut f),
        None,
        "one call per turn while over the slice"
    );
    f.turn += 1;
    let v = p.poll(&mut f).expect("answered").expect("an array");
    assert_eq!(v, Value::Array(vec![s("3.0"); 3]));
    // Within its slice, the same calls answer at once.
    f.elapsed = Duration::ZERO;
    let calls = vec![call("supervisor.getAPIVersion", vec![]); 3];
    assert_eq!(
        now(&mut f, "system.multicall", &multicall(calls)),
        Value::Array(vec![s("3.0"); 3])
    );
}

#[test]
fn multicall_bounds() {
    let mut f = Fake::new(ONE);
    let calls = vec![call("supervisor.getAPIVersion", vec![]); MAX_MULTICALL_CALLS + 1];
    let (code, text) = fault(&mut f, "system.multicall", &multicall(calls));
    assert_eq!(code, FaultCode::Failed);
    assert!(text.contains("at most 1000"), "{text}");
    // An answer growing past 1 MiB is refused whole.
    let big = "x".repeat(600 << 10);
    std::fs::write(f.dir.join("supervisord.log"), &big).unwrap();
    let read = call("supervisor.readLog", vec![Value::Int(0), Value::Int(0)]);
    let (code, text) = fault(&mut f, "system.multicall", &multicall(vec![read; 2]));
    assert_eq!(code, FaultCode::Failed);
    assert!(text.contains("larger than 1 MiB"), "{text}");
}

#[test]
fn pending_answers_know_which_stops_they_await() {
    let mut f = Fake::new(
        "[program:x]\ncommand=/bin/sh\n[program:y]\ncommand=/bin/sh\n\
         [group:g]\nprograms=x,y\n",
    );
    f.run("g:x");
    f.run("g:y");
    let (x, y) = (f.id("g:x"), f.id("g:y"));
    let each = later(&mut f, "supervisor.stopProcessGroup", &[s("g")]);
    assert!(matches!(each, Pending::Each { .. }));
    assert!(each.awaits_stop(x) && each.awaits_stop(y));
    let calls = vec![call("supervisor.stopProcess", vec![s("g:x")])];
    f.reap("g:x", crate::process::exit::ExitStatus::signalled(15));
    f.run("g:x");
    let multi = later(&mut f, "system.multicall", &multicall(calls));
    assert!(multi.awaits_stop(x) && !multi.awaits_stop(y));
    assert_eq!(f.state("g:x"), ProcessState::Stopping);
    let start = Pending::Start {
        id: x,
        name: "g:x".into(),
    };
    assert!(!start.awaits_stop(x));
}

#[test]
fn system_methods_are_always_served_the_others_only_with_the_interface() {
    let mut f = Fake::new(ONE);
    let all = now(&mut f, "system.listMethods", &[]);
    assert_eq!(
        all.as_array().map(<[Value]>::len),
        Some(table::METHODS.len())
    );
    assert_eq!(
        now(&mut f, "system.methodSignature", &[s("supervisor.getPID")]),
        Value::Array(vec![s("int")])
    );
    assert_eq!(
        fault(&mut f, "system.methodHelp", &[s("supervisor.nope")]).0,
        FaultCode::SignatureUnsupported
    );
    f.model.config.supervisor_rpc = false;
    let some = now(&mut f, "system.listMethods", &[]);
    assert_eq!(
        some,
        Value::Array(
            [
                "system.listMethods",
                "system.methodHelp",
                "system.methodSignature",
                "system.multicall"
            ]
            .map(s)
            .to_vec()
        )
    );
    assert_eq!(
        fault(&mut f, "supervisor.getPID", &[]),
        (FaultCode::UnknownMethod, "UNKNOWN_METHOD".into())
    );
}
