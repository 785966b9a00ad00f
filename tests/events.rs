//! Event payloads as real listeners (python3 and sh) receive them: every event type, the
//! exact envelope, base-type subscriptions, `len` in characters (Q3) and capture mode
//! (Q4, Q5). Delivery rules (rejection, overflow, death, protocol errors) are in
//! `events_delivery.rs`.

use std::time::Duration;

use crate::need_python;
use crate::util::listener::{
    self, check_envelopes, events, log_count, payloads, py, sh, wait_event, wait_events,
};
use crate::util::{int, s, Sandbox};
use supervisor::rpc::Value;

const SECS10: Duration = Duration::from_secs(10);

fn foo_sleeper() -> &'static str {
    "[program:foo]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n"
}

/// The payloads of pool `pool` that concern process `name`, as (eventname, payload).
fn about(d: &Sandbox, pool: &str, name: &str) -> Vec<(String, String)> {
    let needle = format!("processname:{name} ");
    events(d, pool)
        .into_iter()
        .filter(|e| e.payload.starts_with(&needle))
        .map(|e| (e.name, e.payload))
        .collect()
}

fn pair(name: &str, payload: String) -> (String, String) {
    (name.to_string(), payload)
}

/// The pid a RUNNING event of process `name` carried.
fn running_pid(d: &Sandbox, pool: &str, name: &str) -> i64 {
    let ev = wait_event(d, pool, "PROCESS_STATE_RUNNING", |p| {
        p.starts_with(&format!("processname:{name} "))
    });
    ev.payload
        .rsplit_once("pid:")
        .and_then(|(_, pid)| pid.parse().ok())
        .expect("pid in RUNNING payload")
}

#[test]
fn process_state_events_carry_exact_payloads() {
    need_python!();
    let d = listener::start(
        "evstate",
        &(py("lis", "PROCESS_STATE", "ok")
            + "buffer_size=100\n"
            + foo_sleeper()
            + "[program:ok]\ncommand=/bin/sh -c 'sleep 0.3; exit 0'\nautostart=false\n\
               startsecs=0\nautorestart=false\n\
               [program:ex3]\ncommand=/bin/sh -c 'sleep 0.3; exit 3'\nautostart=false\n\
               startsecs=0\nautorestart=false\n\
               [program:bad]\ncommand=/bin/sh -c 'exit 1'\nautostart=false\nstartsecs=1\n\
               startretries=1\n"),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    assert_eq!(
        d.call("supervisor.startProcess", vec![s("foo")]),
        Value::Bool(true)
    );
    let pid = int(&d.info("foo"), "pid");
    assert_eq!(
        d.call("supervisor.stopProcess", vec![s("foo")]),
        Value::Bool(true)
    );
    for name in ["ok", "ex3"] {
        d.call("supervisor.startProcess", vec![s(name)]);
    }
    // Events are the point here, not the RPC's answer for an instant failure (Q19).
    let _ = d.rpc(
        "supervisor.startProcess",
        vec![s("bad"), Value::Bool(false)],
    );
    wait_event(&d, "lis", "PROCESS_STATE_FATAL", |_| true);
    for name in ["ok", "ex3"] {
        wait_event(&d, "lis", "PROCESS_STATE_EXITED", |p| {
            p.starts_with(&format!("processname:{name} "))
        });
    }

    let foo = "processname:foo groupname:foo from_state";
    assert_eq!(
        about(&d, "lis", "foo"),
        [
            pair("PROCESS_STATE_STARTING", format!("{foo}:STOPPED tries:0")),
            pair("PROCESS_STATE_RUNNING", format!("{foo}:STARTING pid:{pid}")),
            pair("PROCESS_STATE_STOPPING", format!("{foo}:RUNNING pid:{pid}")),
            pair("PROCESS_STATE_STOPPED", format!("{foo}:STOPPING pid:{pid}")),
        ]
    );
    for (name, expected) in [("ok", 1), ("ex3", 0)] {
        let pid = running_pid(&d, "lis", name);
        let exited: Vec<_> = about(&d, "lis", name)
            .into_iter()
            .filter(|(n, _)| n == "PROCESS_STATE_EXITED")
            .map(|(_, p)| p)
            .collect();
        assert_eq!(
            exited,
            [format!(
                "processname:{name} groupname:{name} from_state:RUNNING expected:{expected} pid:{pid}"
            )]
        );
    }
    let bad = "processname:bad groupname:bad from_state";
    assert_eq!(
        about(&d, "lis", "bad"),
        [
            pair("PROCESS_STATE_STARTING", format!("{bad}:STOPPED tries:0")),
            pair("PROCESS_STATE_BACKOFF", format!("{bad}:STARTING tries:1")),
            pair("PROCESS_STATE_STARTING", format!("{bad}:BACKOFF tries:1")),
            pair("PROCESS_STATE_BACKOFF", format!("{bad}:STARTING tries:2")),
            pair("PROCESS_STATE_FATAL", format!("{bad}:BACKOFF")),
        ]
    );
    // The listener saw its own start first; nothing was lost or reordered.
    let evs = events(&d, "lis");
    assert_eq!(
        evs[0].payload,
        "processname:lis groupname:lis from_state:STOPPED tries:0"
    );
    check_envelopes(&evs, "lis");
}

#[test]
fn sh_listener_reads_state_events() {
    let d = listener::start(
        "evsh",
        &(sh("lis", "PROCESS_STATE_RUNNING,PROCESS_STATE_STOPPED", "ok") + foo_sleeper()),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    d.call("supervisor.startProcess", vec![s("foo")]);
    let pid = int(&d.info("foo"), "pid");
    d.call("supervisor.stopProcess", vec![s("foo")]);
    let stopped = wait_event(&d, "lis", "PROCESS_STATE_STOPPED", |_| true);
    let payload = format!("processname:foo groupname:foo from_state:STOPPING pid:{pid}");
    assert_eq!(stopped.payload, payload);
    assert_eq!(
        stopped.header,
        format!(
            "ver:3.0 server:supervisor serial:{} pool:lis poolserial:{} \
             eventname:PROCESS_STATE_STOPPED len:{}",
            stopped.serial,
            stopped.poolserial,
            payload.len()
        )
    );
    assert_eq!(
        about(&d, "lis", "foo"),
        [
            pair(
                "PROCESS_STATE_RUNNING",
                format!("processname:foo groupname:foo from_state:STARTING pid:{pid}")
            ),
            pair("PROCESS_STATE_STOPPED", payload),
        ]
    );
    check_envelopes(&events(&d, "lis"), "lis");
}

#[test]
fn log_events_for_stdout_and_stderr() {
    need_python!();
    let d = listener::start(
        "evlog",
        &(py("lis", "PROCESS_LOG", "ok")
            + "[program:talker]\ncommand=/bin/sh -c 'printf \"hello-log\\n\"; \
               printf \"oops\\n\" >&2; exec sleep 1000'\nautostart=false\nstartsecs=0\n\
               stdout_events_enabled=true\nstderr_events_enabled=true\nstdout_logfile=NONE\n\
               [program:quiet]\ncommand=/bin/sh -c 'echo not-an-event; exec sleep 1000'\n\
               startsecs=0\n"),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    d.call("supervisor.startProcess", vec![s("talker")]);
    let pid = int(&d.info("talker"), "pid");
    let out = wait_event(&d, "lis", "PROCESS_LOG_STDOUT", |_| true);
    assert_eq!(
        out.payload,
        format!("processname:talker groupname:talker pid:{pid} channel:stdout\nhello-log\n")
    );
    let err = wait_event(&d, "lis", "PROCESS_LOG_STDERR", |_| true);
    assert_eq!(
        err.payload,
        format!("processname:talker groupname:talker pid:{pid} channel:stderr\noops\n")
    );
    let evs = events(&d, "lis");
    assert_eq!(evs.len(), 2, "only talker's output: {evs:#?}");
    check_envelopes(&evs, "lis");
}

#[test]
fn len_counts_characters_of_non_ascii_payloads() {
    need_python!();
    // Q3 (kept): `len` counts characters, the payload goes out as UTF-8.
    // DIVERGENCE(Q3): invalid output bytes become U+FFFD; the reference sends the whole chunk
    // as `Undecodable: b'...'`.
    let d = listener::start(
        "evlen",
        &(py("lis", "REMOTE_COMMUNICATION,PROCESS_LOG_STDOUT", "ok")
            + "[program:uni]\ncommand=/bin/sh -c 'printf \"grüße\\n\\377ok\\n\"; \
               exec sleep 1000'\nautostart=false\nstartsecs=0\nstdout_events_enabled=true\n"),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    let sent = ["some data", "héllo wörld €", "ascii-after"];
    for (i, data) in sent.iter().enumerate() {
        let kind = if i == 0 { "mytype" } else { "t" };
        let ok = d.call("supervisor.sendRemoteCommEvent", vec![s(kind), s(data)]);
        assert_eq!(ok, Value::Bool(true));
    }
    d.call("supervisor.startProcess", vec![s("uni")]);
    let pid = int(&d.info("uni"), "pid");
    let head = format!("processname:uni groupname:uni pid:{pid} channel:stdout\n");
    let evs = wait_events(&d, "lis", "uni's output", SECS10, |evs| {
        let data: String = payloads(evs, "PROCESS_LOG_STDOUT")
            .iter()
            .filter_map(|p| p.strip_prefix(&head))
            .collect();
        data == "grüße\n\u{FFFD}ok\n"
    });
    assert_eq!(
        payloads(&evs, "REMOTE_COMMUNICATION"),
        [
            "type:mytype\nsome data",
            "type:t\nhéllo wörld €",
            "type:t\nascii-after"
        ]
    );
    let wide = &evs[1];
    assert_eq!(wide.len, "type:t\nhéllo wörld €".chars().count());
    assert!(wide.payload.len() > wide.len, "{wide:?}");
    check_envelopes(&evs, "lis");
}

/// A program writing `text` (printf format, no `%`) to stdout in capture mode, then `rest`.
fn talker(name: &str, text: &str, rest: &str) -> String {
    format!(
        "[program:{name}]\ncommand=/bin/sh -c 'printf \"{text}\"; {rest}'\nautostart=false\n\
         startsecs=0\nautorestart=false\nstdout_capture_maxbytes=1MB\nstdout_events_enabled=true\n\
         stdout_logfile=@D@/{name}.log\n"
    )
}

const BEGIN: &str = "<!--XSUPERVISOR:BEGIN-->";
const END: &str = "<!--XSUPERVISOR:END-->";

/// The data of the PROCESS_LOG_STDOUT events of pool `lis`, joined.
fn logged(evs: &[listener::Ev]) -> String {
    payloads(evs, "PROCESS_LOG_STDOUT")
        .iter()
        .map(|p| p.split_once('\n').map_or("", |(_, data)| data))
        .collect()
}

#[test]
fn captured_text_is_a_comm_event_and_not_a_log_event() {
    need_python!();
    let after = "after-after-after-after-after";
    let d = listener::start(
        "evcomm",
        &(py(
            "lis",
            "PROCESS_LOG_STDOUT,PROCESS_COMMUNICATION_STDOUT",
            "ok",
        ) + &talker(
            "talker",
            &format!("before\\n{BEGIN}hello-comm\\nline2{END}{after}\\n"),
            "exec sleep 1000",
        )),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    d.call("supervisor.startProcess", vec![s("talker")]);
    let pid = int(&d.info("talker"), "pid");
    let comm = wait_event(&d, "lis", "PROCESS_COMMUNICATION_STDOUT", |_| true);
    assert_eq!(
        comm.payload,
        format!("processname:talker groupname:talker pid:{pid}\nhello-comm\nline2")
    );
    // Events arrive in serial order: once the text after the block is in, all is.
    let evs = wait_events(&d, "lis", "the text after the block", SECS10, |evs| {
        logged(evs).contains(after)
    });
    // DIVERGENCE(Q4): the reference also sends the captured text as PROCESS_LOG_STDOUT.
    assert_eq!(logged(&evs), format!("before\n{after}\n"));
    let file = d.wait_file("talker.log", after, SECS10);
    assert_eq!(file, format!("before\n{after}\n"));
    assert_eq!(log_count(&d, "'talker' stdout emitted a comm event"), 1);
    check_envelopes(&evs, "lis");
}

#[test]
fn capture_mode_flushes_held_back_output_at_exit() {
    need_python!();
    // `after\n` and `tail\n` are shorter than the begin token: capture mode holds them back.
    let d = listener::start(
        "evflush",
        &(py(
            "lis",
            "PROCESS_LOG_STDOUT,PROCESS_COMMUNICATION_STDOUT",
            "ok",
        ) + &talker(
            "short",
            &format!("before\\n{BEGIN}cap{END}after\\n"),
            "sleep 0.2; printf \"tail\\n\"; exit 0",
        )),
    );
    d.wait_state("lis", "RUNNING", SECS10);
    d.call("supervisor.startProcess", vec![s("short")]);
    d.wait_state("short", "EXITED", SECS10);
    // DIVERGENCE(Q5): the reference loses what was held back when the process exits.
    let file = d.wait_file("short.log", "tail", SECS10);
    assert_eq!(file, "before\nafter\ntail\n");
    let evs = wait_events(&d, "lis", "the flushed output", SECS10, |evs| {
        logged(evs).contains("tail")
    });
    assert_eq!(logged(&evs), "before\nafter\ntail\n");
    let comm = payloads(&evs, "PROCESS_COMMUNICATION_STDOUT");
    assert_eq!(comm.len(), 1, "{evs:#?}");
    assert!(
        comm[0].starts_with("processname:short groupname:short pid:") && comm[0].ends_with("\ncap"),
        "{comm:?}"
    );
}

#[test]
fn listener_stderr_is_captured_but_its_stdout_never() {
    need_python!();
    // Q26: capture settings are accepted on a listener; stdout stays the protocol channel.
    let d = listener::start(
        "evlcap",
        &(py("lis", "PROCESS_COMMUNICATION", "ok")
            + &format!(
                "[eventlistener:chatty]\ncommand=/bin/sh -c 'printf \"{BEGIN}from-listener{END}\" >&2; \
                 exec /bin/sh @D@/listener.sh @D@/ev-chatty ok'\nevents=REMOTE_COMMUNICATION\n\
                 startsecs=0\nstdout_capture_maxbytes=1MB\nstderr_capture_maxbytes=1MB\n"
            )),
    );
    let pid = int(&d.wait_state("chatty", "RUNNING", SECS10), "pid");
    let comm = wait_event(&d, "lis", "PROCESS_COMMUNICATION_STDERR", |_| true);
    assert_eq!(
        comm.payload,
        format!("processname:chatty groupname:chatty pid:{pid}\nfrom-listener")
    );
    d.call(
        "supervisor.sendRemoteCommEvent",
        vec![s("t"), s("still-served")],
    );
    wait_event(&d, "chatty", "REMOTE_COMMUNICATION", |p| {
        p.ends_with("still-served")
    });
    assert_eq!(
        payloads(&events(&d, "lis"), "PROCESS_COMMUNICATION_STDOUT").len(),
        0
    );
}

#[test]
fn supervisor_state_and_group_events_through_the_event_base_type() {
    need_python!();
    let d = listener::start(
        "evsup",
        &(py("lis", "EVENT", "ok")
            + "buffer_size=50\n\
               [program:stub]\ncommand=/bin/sh -c \"trap '' TERM; while :; do sleep 0.1; done\"\n\
               startsecs=0\nstopwaitsecs=1\n"),
    );
    let running = wait_event(&d, "lis", "SUPERVISOR_STATE_CHANGE_RUNNING", |_| true);
    assert_eq!(running.payload, "");
    assert!(running.header.ends_with(" len:0"), "{running:?}");
    d.wait_state("stub", "RUNNING", SECS10);
    d.call(
        "supervisor.sendRemoteCommEvent",
        vec![s("mytype"), s("some data")],
    );
    wait_event(&d, "lis", "REMOTE_COMMUNICATION", |p| {
        p == "type:mytype\nsome data"
    });
    let mut added = payloads(&events(&d, "lis"), "PROCESS_GROUP_ADDED");
    added.sort();
    assert_eq!(added, ["groupname:lis\n", "groupname:stub\n"]);
    // Groups are added before the main loop starts, processes start after.
    let evs = events(&d, "lis");
    for e in &evs {
        match e.name.as_str() {
            "PROCESS_GROUP_ADDED" => assert!(e.serial < running.serial, "{evs:#?}"),
            n if n.starts_with("PROCESS_STATE_") => {
                assert!(e.serial > running.serial, "{evs:#?}")
            }
            _ => {}
        }
    }
    // The stubborn child keeps the shutdown going while the listener, stopped last,
    // still takes events.
    d.call("supervisor.shutdown", vec![]);
    let mut d = d;
    assert_eq!(d.wait_exit(Duration::from_secs(20)), 0);
    let evs = events(&d, "lis");
    assert_eq!(
        payloads(&evs, "SUPERVISOR_STATE_CHANGE_STOPPING"),
        [""],
        "{evs:#?}"
    );
    let names = ["PROCESS_", "SUPERVISOR_STATE_CHANGE_", "REMOTE_", "TICK_"];
    for e in &evs {
        assert!(names.iter().any(|n| e.name.starts_with(n)), "{e:?}");
    }
    check_envelopes(&evs, "lis");
}

#[test]
fn group_added_and_removed_through_rpc() {
    need_python!();
    let lis = py("lis", "PROCESS_GROUP", "ok");
    let d = listener::start("evgroup", &(lis.clone() + foo_sleeper()));
    d.wait_state("lis", "RUNNING", SECS10);
    let bar = "[program:bar]\ncommand=/bin/sleep 1000\nstartsecs=0\n";
    d.write_conf(&listener::expand(&d, &(lis + bar)));
    let diff = d.call("supervisor.reloadConfig", vec![]);
    let names = |v: &[&str]| Value::Array(v.iter().map(|n| s(n)).collect());
    assert_eq!(
        diff,
        Value::Array(vec![Value::Array(vec![
            names(&["bar"]),
            names(&[]),
            names(&["foo"])
        ])])
    );
    assert_eq!(
        d.call("supervisor.addProcessGroup", vec![s("bar")]),
        Value::Bool(true)
    );
    let added = wait_event(&d, "lis", "PROCESS_GROUP_ADDED", |p| p.contains("bar"));
    assert_eq!(added.payload, "groupname:bar\n");
    assert!(added.header.ends_with(" len:14"), "{added:?}");
    d.call("supervisor.stopProcessGroup", vec![s("foo")]);
    assert_eq!(
        d.call("supervisor.removeProcessGroup", vec![s("foo")]),
        Value::Bool(true)
    );
    let removed = wait_event(&d, "lis", "PROCESS_GROUP_REMOVED", |_| true);
    assert_eq!(removed.payload, "groupname:foo\n");
    let evs = events(&d, "lis");
    let mut added: Vec<_> = payloads(&evs, "PROCESS_GROUP_ADDED");
    added.sort();
    assert_eq!(
        added,
        ["groupname:bar\n", "groupname:foo\n", "groupname:lis\n"]
    );
    check_envelopes(&evs, "lis");
}

/// The `when:` of a TICK_* event, checked against its period.
#[track_caller]
fn tick_when(e: &listener::Ev) -> u64 {
    let period: u64 = e
        .name
        .strip_prefix("TICK_")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a tick: {e:?}"));
    let when: u64 = e
        .payload
        .strip_prefix("when:")
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("bad tick payload {e:?}"));
    assert_eq!(when % period, 0, "{e:?}");
    when
}

#[test]
fn tick_5_arrives_on_the_wall_clock_boundary() {
    need_python!();
    let d = listener::start("evtick", &py("lis", "TICK", "ok"));
    // D2: the daemon sleeps until the boundary (the reference checks once a second). Only a
    // tick the listener was already READY for measures the daemon's timing.
    let timed = |e: &listener::Ev| e.name == "TICK_5" && e.ready < tick_when(e) as f64;
    let evs = wait_events(&d, "lis", "two TICK_5", Duration::from_secs(16), |evs| {
        payloads(evs, "TICK_5").len() >= 2 && evs.iter().any(timed)
    });
    for e in evs.iter().filter(|e| timed(e)) {
        let late = e.when - tick_when(e) as f64;
        assert!(
            (0.0..0.05).contains(&late),
            "TICK_5 for {} received {late:.3}s after the boundary",
            tick_when(e)
        );
    }
    // Every event is a tick of its own period (TICK_60 may come along).
    evs.iter().for_each(|e| {
        tick_when(e);
    });
    let whens: Vec<u64> = evs
        .iter()
        .filter(|e| e.name == "TICK_5")
        .map(tick_when)
        .collect();
    assert_eq!(whens[1], whens[0] + 5, "{evs:#?}");
    check_envelopes(&evs, "lis");
}
