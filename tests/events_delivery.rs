//! Event delivery to listener pools: rejected events re-sent to the rejecting pool only
//! (Q2), buffer overflow, a listener dying while BUSY, and a listener breaking the protocol.

use std::time::Duration;

use crate::need_python;
use crate::util::listener::{self, events, log_count, payloads, py, sh, wait_event, wait_events};
use crate::util::{int, s, wait_for, Sandbox};
use supervisor::rpc::Value;

const SECS10: Duration = Duration::from_secs(10);

fn remote(d: &Sandbox, data: &str) {
    let ok = d.call("supervisor.sendRemoteCommEvent", vec![s("t"), s(data)]);
    assert_eq!(ok, Value::Bool(true));
}

#[test]
fn rejected_event_is_resent_only_to_the_rejecting_pool() {
    need_python!();
    // Three pools whose listeners share the default priority: `failer` rejects each event
    // once, `good` takes the same events, `other` subscribes to something else.
    let d = listener::start(
        "evfail",
        &(py("failer", "PROCESS_STATE_RUNNING", "failfirst")
            + &py("good", "PROCESS_STATE_RUNNING", "ok")
            + &py("other", "TICK_3600,REMOTE_COMMUNICATION", "ok")
            + "[program:foo]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n"),
    );
    for pool in ["failer", "good", "other"] {
        d.wait_state(pool, "RUNNING", SECS10);
    }
    d.call("supervisor.startProcess", vec![s("foo")]);
    let is_foo = |e: &&listener::Ev| e.payload.starts_with("processname:foo ");
    let failed = wait_events(&d, "failer", "foo's event twice", SECS10, |evs| {
        evs.iter().filter(is_foo).count() >= 2
    });
    let foo: Vec<_> = failed.iter().filter(is_foo).collect();
    assert_eq!(foo.len(), 2, "{failed:#?}");
    assert_eq!(foo[0].header, foo[1].header, "the same serials");
    assert_eq!(foo[0].payload, foo[1].payload);
    let good = wait_event(&d, "good", "PROCESS_STATE_RUNNING", |p| {
        p.starts_with("processname:foo ")
    });
    assert_eq!(good.serial, foo[0].serial, "one event, one serial");
    // A marker event proves `other` is being served; then room for a wrong extra delivery.
    remote(&d, "marker");
    wait_event(&d, "other", "REMOTE_COMMUNICATION", |_| true);
    std::thread::sleep(Duration::from_millis(500));
    // DIVERGENCE(Q2): the reference re-queues into every pool of the same priority.
    assert_eq!(events(&d, "good").iter().filter(is_foo).count(), 1);
    assert_eq!(
        payloads(&events(&d, "other"), "PROCESS_STATE_RUNNING"),
        Vec::<String>::new()
    );
    // Every event `failer` saw was rejected exactly once, and logged once.
    let mut serials: Vec<u64> = events(&d, "failer").iter().map(|e| e.serial).collect();
    serials.dedup();
    assert_eq!(
        log_count(&d, "WARN failer: event was rejected"),
        serials.len()
    );
    let processed = "DEBG failer: event was processed";
    wait_for(SECS10, "every event processed", || {
        (log_count(&d, processed) >= serials.len()).then_some(())
    });
    assert_eq!(log_count(&d, processed), serials.len());
    let rebuffer = format!("rebuffering event {} for pool failer ", foo[0].serial);
    assert!(log_count(&d, &rebuffer) >= 1);
    assert_eq!(log_count(&d, "good: event was rejected"), 0);
}

#[test]
fn buffer_overflow_discards_the_oldest_events() {
    need_python!();
    let d = listener::start(
        "evover",
        &(py("lis", "REMOTE_COMMUNICATION", "waitgo") + "buffer_size=2\n"),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    for n in 0..5 {
        remote(&d, &format!("n{n}"));
    }
    d.wait_file(
        "supervisord.log",
        "ERRO pool lis event buffer overflowed, discarding event 2\n",
        SECS10,
    );
    for n in 0..3 {
        let line = format!("ERRO pool lis event buffer overflowed, discarding event {n}\n");
        assert_eq!(d.main_log().matches(&line).count(), 1, "{line}");
    }
    assert_eq!(log_count(&d, "discarding event 3\n"), 0);
    assert_eq!(log_count(&d, "discarding event 4\n"), 0);
    std::fs::write(d.path("ev-lis.go"), "").expect("write go file");
    wait_events(&d, "lis", "the two kept events", SECS10, |evs| {
        evs.len() >= 2
    });
    remote(&d, "n5");
    let evs = wait_events(&d, "lis", "three events", SECS10, |evs| evs.len() >= 3);
    let got: Vec<_> = evs
        .iter()
        .map(|e| (e.serial, e.poolserial, e.payload.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, 3, "type:t\nn3"),
            (4, 4, "type:t\nn4"),
            (5, 5, "type:t\nn5")
        ]
    );
}

#[test]
fn listener_killed_while_busy_gets_the_event_again() {
    need_python!();
    let d = listener::start("evkill", &py("lis", "REMOTE_COMMUNICATION", "holdfirst"));
    let before = int(&d.wait_state("lis", "RUNNING", SECS10), "pid");
    remote(&d, "precious");
    let first = wait_event(&d, "lis", "REMOTE_COMMUNICATION", |_| true);
    assert_eq!(first.payload, "type:t\nprecious");
    assert!(supervisor::sys::kill(before as i32, libc::SIGKILL).is_ok());
    let evs = wait_events(&d, "lis", "the event again", SECS10, |evs| evs.len() >= 2);
    assert_eq!(evs.len(), 2, "{evs:#?}");
    assert_eq!(evs[1].header, first.header, "same serials");
    assert_eq!(evs[1].payload, first.payload);
    let after = int(&d.info("lis"), "pid");
    assert_ne!(after, before);
    assert!(log_count(&d, "rebuffering event 0 for pool lis ") >= 1);
    // The restarted listener answered: the next event flows normally.
    remote(&d, "next");
    let evs = wait_events(&d, "lis", "the next event", SECS10, |evs| evs.len() >= 3);
    assert_eq!(evs[2].payload, "type:t\nnext");
    assert_eq!((evs[2].serial, evs[2].poolserial), (1, 1));
}

#[test]
fn listener_writing_garbage_goes_unknown_and_gets_nothing_more() {
    let d = listener::start(
        "evgarb",
        &(sh("lis", "REMOTE_COMMUNICATION", "garbage")
            + &sh("watch", "REMOTE_COMMUNICATION", "ok")),
    );
    for pool in ["lis", "watch"] {
        d.wait_state(pool, "RUNNING", SECS10);
    }
    remote(&d, "one");
    d.wait_file(
        "supervisord.log",
        "WARN lis: has entered the UNKNOWN state and will no longer receive events, \
         this usually indicates the process violated the eventlistener protocol\n",
        SECS10,
    );
    assert_eq!(log_count(&d, "WARN lis: bad result line: 'GARBAGE'"), 1);
    remote(&d, "two");
    wait_event(&d, "watch", "REMOTE_COMMUNICATION", |p| p.ends_with("two"));
    std::thread::sleep(Duration::from_millis(500));
    let got = payloads(&events(&d, "lis"), "REMOTE_COMMUNICATION");
    assert_eq!(got, ["type:t\none"]);
    // UNKNOWN is the listener's protocol state: the process itself keeps running.
    assert_eq!(crate::util::text(&d.info("lis"), "statename"), "RUNNING");
}
