//! `wait` semantics of the start/stop methods (reference §5.4, decision D2 / Q20): a waited
//! start answers once the process is RUNNING and not before; a stop answers as soon as the
//! processes are stopped, without a polling cadence.

use std::time::{Duration, Instant};

use supervisor::rpc::Value;

use crate::rpc::{b, list, map, result, sandbox};
use crate::util::{int, p, s, text, trap_script, Sandbox};

const T: Duration = Duration::from_secs(10);

/// Far below the reference's ≥ 1 s for a group stop (Q20), far above our real latency.
const PROMPT: Duration = Duration::from_millis(700);

fn timed(d: &Sandbox, method: &str, params: Vec<Value>) -> (Value, Duration) {
    let t0 = Instant::now();
    let v = d.call(method, params);
    (v, t0.elapsed())
}

#[test]
fn waited_start_answers_after_startsecs_and_not_before() {
    let d = Sandbox::start(
        "wstart",
        "[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\
         [program:nowait]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n",
    );
    let (v, took) = timed(&d, "supervisor.startProcess", vec![s("slow")]);
    assert_eq!(v, b(true));
    assert!(took >= Duration::from_secs(1), "answered early: {took:?}");
    assert!(took < Duration::from_secs(4), "answered late: {took:?}");
    assert_eq!(text(&d.info("slow"), "statename"), "RUNNING");

    let (v, took) = timed(&d, "supervisor.startProcess", vec![s("nowait"), b(false)]);
    assert_eq!(v, b(true));
    assert!(took < PROMPT, "wait=false answered after {took:?}");
    assert_eq!(text(&d.info("nowait"), "statename"), "STARTING");
    d.wait_state("nowait", "RUNNING", T);
}

#[test]
fn waited_group_start_answers_once_every_member_runs() {
    let d = Sandbox::start(
        "wgroup",
        "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\
         [program:b]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\
         [group:g]\nprograms=a,b\n",
    );
    let (v, took) = timed(&d, "supervisor.startProcessGroup", vec![s("g")]);
    let mut got = list(v);
    got.sort_by(|x, y| text(map(x), "name").cmp(text(map(y), "name")));
    assert_eq!(
        got,
        [result("a", "g", 80, "OK"), result("b", "g", 80, "OK")]
    );
    assert!(took >= Duration::from_secs(1), "answered early: {took:?}");
    assert!(took < Duration::from_secs(4), "answered late: {took:?}");
    for name in ["g:a", "g:b"] {
        assert_eq!(text(&d.info(name), "statename"), "RUNNING");
    }
}

#[test]
fn stops_answer_as_soon_as_stopped() {
    let d = Sandbox::start(
        "wstop",
        "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:b]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:c]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:solo]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [group:g]\nprograms=a,b,c\n",
    );
    for name in ["g:a", "g:b", "g:c", "solo"] {
        d.wait_state(name, "RUNNING", T);
    }
    let pid = int(&d.info("solo"), "pid") as i32;
    let (v, took) = timed(&d, "supervisor.stopProcess", vec![s("solo")]);
    assert_eq!(v, b(true));
    assert!(took < PROMPT, "stopProcess took {took:?}");
    assert!(!crate::util::alive(pid));
    assert_eq!(text(&d.info("solo"), "statename"), "STOPPED");

    // DIVERGENCE(Q20): the reference polls each member at least twice (≥ 1 s).
    let (v, took) = timed(&d, "supervisor.stopProcessGroup", vec![s("g")]);
    assert_eq!(list(v).len(), 3);
    assert!(took < PROMPT, "stopProcessGroup took {took:?}");
    for name in ["g:a", "g:b", "g:c"] {
        assert_eq!(text(&d.info(name), "statename"), "STOPPED");
    }
    d.call("supervisor.startProcessGroup", vec![s("g")]);
    d.call("supervisor.startProcess", vec![s("solo")]);
    let (v, took) = timed(&d, "supervisor.stopAllProcesses", vec![]);
    assert_eq!(list(v).len(), 4);
    assert!(took < PROMPT, "stopAllProcesses took {took:?}");
}

#[test]
fn waited_stop_lasts_until_the_process_is_gone() {
    let d = sandbox("wslow", |d| {
        let lazy = trap_script(
            d,
            "lazy.sh",
            "trap 'sleep 1; exit 0' TERM",
            "while :; do sleep 0.1; done",
        );
        format!(
            "[program:lazy]\ncommand=/bin/sh {}\nstartsecs=0\nstopwaitsecs=30\n",
            p(&lazy)
        )
    });
    d.wait_state("lazy", "RUNNING", T);
    d.wait_trapped("lazy.sh");
    let (v, took) = timed(&d, "supervisor.stopProcess", vec![s("lazy")]);
    assert_eq!(v, b(true));
    assert!(
        took >= Duration::from_millis(900),
        "answered early: {took:?}"
    );
    assert_eq!(text(&d.info("lazy"), "statename"), "STOPPED");
}

#[test]
fn all_operations_go_in_priority_order() {
    let d = Sandbox::start(
        "worder",
        "[program:first]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=1\n\
         [program:middle]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=50\n\
         [program:last]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=99\n",
    );
    for name in ["first", "middle", "last"] {
        d.wait_state(name, "RUNNING", T);
    }
    let names = |v: Value| -> Vec<String> {
        list(v)
            .iter()
            .map(|r| text(map(r), "name").to_string())
            .collect()
    };
    // DIVERGENCE(Q18): stops go in descending priority, as documented.
    assert_eq!(
        names(d.call("supervisor.stopAllProcesses", vec![b(false)])),
        ["last", "middle", "first"]
    );
    for name in ["first", "middle", "last"] {
        d.wait_state(name, "STOPPED", T);
    }
    assert_eq!(
        names(d.call("supervisor.startAllProcesses", vec![b(false)])),
        ["first", "middle", "last"]
    );
}
