//! supervisord's signals and daemonizing against the real daemon (reference §2.3, §2.8,
//! §2.9, decision D7): shutdown leaves nothing behind, SIGHUP reloads (or, with a broken
//! file, changes nothing), SIGUSR2 reopens moved logs.

use std::process::{Command, Stdio};
use std::time::Duration;

use supervisor::rpc::Value;

use crate::util::{alive, children, int, p, s, script, wait_for, Sandbox, SUPERVISORD};

const LONG: Duration = Duration::from_secs(20);

/// Two sleepers, one child that ignores SIGTERM (SIGKILLed after stopwaitsecs) and one
/// crashing in a retry loop (BACKOFF is given up at shutdown, never spawned again).
fn stubborn_family(name: &str) -> Sandbox {
    let mut d = Sandbox::new(name);
    let stubborn = p(&script(
        &d,
        "stubborn.sh",
        "trap 'echo got-term' TERM\nwhile :; do sleep 0.1; done",
    ));
    let flaky = p(&script(&d, "flaky.sh", "exit 1"));
    d.write_conf(&format!(
        "[program:one]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n\
         [program:two]\ncommand=/bin/sleep 1001\nstartsecs=0\n\n\
         [program:stubborn]\ncommand={stubborn}\nstartsecs=0\nstopwaitsecs=1\n\n\
         [program:flaky]\ncommand={flaky}\nstartsecs=1\nstartretries=1000\n"
    ));
    d.launch();
    d
}

fn pid_of(d: &Sandbox, name: &str) -> i32 {
    int(&d.wait_state(name, "RUNNING", LONG), "pid") as i32
}

/// `sig` stops every child, then the daemon exits 0 and removes its pidfile and socket.
fn shuts_down_cleanly_on(sig: i32, signame: &str) {
    let mut d = stubborn_family(&signame.to_lowercase());
    let pids: Vec<i32> = ["one", "two", "stubborn"]
        .iter()
        .map(|n| pid_of(&d, n))
        .collect();
    assert!(d.path("supervisord.pid").exists());
    assert!(d.sock.exists());
    d.wait_file("supervisord.log", "exited: flaky", LONG);
    let daemon = d.pid();
    d.signal(sig);
    assert_eq!(d.wait_exit(LONG), 0);
    for pid in pids {
        assert!(!alive(pid), "child {pid} survived {signame}");
    }
    assert!(children(daemon).is_empty());
    assert!(!d.path("supervisord.pid").exists(), "pidfile left");
    assert!(!d.sock.exists(), "socket left");
    let log = d.main_log();
    assert!(log.contains(&format!("WARN received {signame} indicating exit request")));
    assert!(log.contains("WARN stopped: stubborn (terminated by SIGKILL)"));
}

#[test]
fn sigterm_stops_every_child_and_exits_zero() {
    shuts_down_cleanly_on(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sigint_stops_every_child_and_exits_zero() {
    shuts_down_cleanly_on(libc::SIGINT, "SIGINT");
}

#[test]
fn sigquit_stops_every_child_and_exits_zero() {
    shuts_down_cleanly_on(libc::SIGQUIT, "SIGQUIT");
}

const SLEEPERS: &str = "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n";

/// Sends SIGHUP and waits until the daemon has taken it (it logs before acting).
fn hangup(d: &Sandbox) {
    d.signal(libc::SIGHUP);
    d.wait_file(
        "supervisord.log",
        "WARN received SIGHUP indicating restart request",
        LONG,
    );
}

#[test]
fn sighup_applies_a_changed_config() {
    let mut d = Sandbox::new("hup");
    d.write_conf(&format!(
        "{SLEEPERS}[program:gone]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    ));
    d.launch();
    let keep = pid_of(&d, "keep");
    let gone = pid_of(&d, "gone");
    d.write_conf(&format!(
        "{SLEEPERS}[program:added]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    ));
    hangup(&d);
    // Calls fail with SHUTDOWN_STATE until the restart is done.
    d.wait_ready();
    assert!(matches!(d.daemon().try_wait(), Ok(None)), "same process");
    assert_eq!(
        d.call("supervisor.getPID", vec![]),
        Value::Int(d.pid()),
        "same pid"
    );
    let added = pid_of(&d, "added");
    d.fault("supervisor.getProcessInfo", vec![s("gone")], 10);
    assert!(!alive(gone));
    // Everything was stopped and started again.
    let renewed = pid_of(&d, "keep");
    assert_ne!(renewed, keep);
    assert!(!alive(keep));
    assert!(alive(renewed) && alive(added));
}

#[test]
fn sighup_with_a_broken_config_changes_nothing() {
    let mut d = Sandbox::new("badhup");
    d.write_conf(SLEEPERS);
    d.launch();
    let keep = pid_of(&d, "keep");
    d.write_conf(&format!(
        "{SLEEPERS}[program:bad]\ncommand=/bin/true\nautorestart=maybe\n"
    ));
    // The text a start-up on this file prints.
    let out = Command::new(SUPERVISORD)
        .args(["-n", "-c"])
        .arg(&d.conf)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Error: "))
        .unwrap_or_else(|| panic!("no start-up error in {stderr:?}"));
    assert!(error.contains("autorestart"), "{error}");
    hangup(&d);
    // DIVERGENCE(D7): logged at ERROR, nothing stopped.
    d.wait_file("supervisord.log", &format!("ERRO {error}"), LONG);
    assert_eq!(
        d.call("supervisor.getState", vec![])
            .as_struct()
            .and_then(|m| m.get("statename").cloned()),
        Some(s("RUNNING"))
    );
    let info = d.info("keep");
    assert_eq!(int(&info, "pid") as i32, keep);
    assert_eq!(info.get("statename"), Some(&s("RUNNING")));
    assert!(alive(keep));
    d.fault("supervisor.getProcessInfo", vec![s("bad")], 10);
    let log = d.main_log();
    assert!(!log.contains("stopped: keep"), "{log}");
    assert!(!log.contains("waiting for"), "{log}");
}

#[test]
fn sigusr2_reopens_moved_logs() {
    let mut d = Sandbox::new("usr2");
    let cat = p(&script(&d, "cat.sh", "exec cat"));
    d.write_conf(&format!(
        "[program:cat]\ncommand={cat}\nstartsecs=0\nstdout_logfile={}\n",
        p(&d.path("cat.log"))
    ));
    d.launch();
    d.wait_state("cat", "RUNNING", LONG);
    let feed = |data: &str| {
        let sent = d.call("supervisor.sendProcessStdin", vec![s("cat"), s(data)]);
        assert_eq!(sent, Value::Bool(true));
    };
    feed("one\n");
    d.wait_file("cat.log", "one\n", LONG);
    std::fs::rename(d.path("cat.log"), d.path("cat.log.old")).unwrap();
    std::fs::rename(d.path("supervisord.log"), d.path("supervisord.log.old")).unwrap();
    // Until the reopen, writes follow the moved file.
    feed("two\n");
    d.wait_file("cat.log.old", "one\ntwo\n", LONG);
    d.signal(libc::SIGUSR2);
    // Both lines go to the old file before the reopen, as the reference's.
    let old = d.wait_file("supervisord.log.old", "INFO supervisord logreopen", LONG);
    assert!(
        old.contains("INFO received SIGUSR2 indicating log reopen request\n"),
        "{old}"
    );
    wait_for(LONG, "the reopened activity log", || {
        d.path("supervisord.log").exists().then_some(())
    });
    feed("three\n");
    d.wait_file("cat.log", "three\n", LONG);
    assert_eq!(
        std::fs::read_to_string(d.path("cat.log")).unwrap(),
        "three\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.path("cat.log.old")).unwrap(),
        "one\ntwo\n"
    );
    assert!(!d.main_log().contains("logreopen"), "{}", d.main_log());
}

#[test]
fn daemonizes_without_n() {
    let mut d = Sandbox::new("daemonize");
    d.nodaemon = false;
    d.write_conf(SLEEPERS);
    // Returns only once the launching command has exited 0 and the pidfile names the daemon.
    d.launch_detached();
    let pid = d.pid();
    assert_eq!(d.call("supervisor.getPID", vec![]), Value::Int(pid));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // State, ppid, pgrp, session: setsid() made it a session leader.
    assert_eq!(fields[3], pid.to_string(), "session id {stat}");
    let keep = pid_of(&d, "keep");
    d.wait_file(
        "supervisord.log",
        "INFO daemonizing the supervisord process",
        LONG,
    );
    d.wait_file(
        "supervisord.log",
        &format!("INFO supervisord started with pid {pid}"),
        LONG,
    );
    // Teardown finds it by its pidfile and stops it with its children.
    let dir = d.dir.clone();
    drop(d);
    wait_for(LONG, "the daemon to be gone", || {
        (!alive(pid)).then_some(())
    });
    assert!(!alive(keep));
    assert!(!dir.exists());
}
