//! Issue 14 against the real daemon: each ready_check, ready timeouts, health checks and
//! the restart policy, with `util/ready_helper.py` becoming ready after a delay.

use std::time::{Duration, Instant};

use crate::need_python;
use crate::util::listener::python;
use crate::util::{p, script, text, wait_for, Sandbox};

const LONG: Duration = Duration::from_secs(20);
const HELPER: &str = include_str!("util/ready_helper.py");

/// A sandbox with the helper written into it.
pub fn sandbox(name: &str) -> Sandbox {
    let d = Sandbox::new(name);
    std::fs::write(d.path("ready_helper.py"), HELPER).unwrap();
    d
}

/// `command=` running the helper for process `name` with `args` (MODE DELAY [ARG]).
pub fn helper(d: &Sandbox, name: &str, args: &str) -> String {
    format!(
        "{} -u {} {} {args}",
        python().unwrap_or("python3"),
        p(&d.path("ready_helper.py")),
        p(&d.path(&format!("{name}.stamps")))
    )
}

/// The wall-clock times the helper of `name` stamped as `what` (spawn / ready).
pub fn stamps(d: &Sandbox, name: &str, what: &str) -> Vec<f64> {
    std::fs::read_to_string(d.path(&format!("{name}.stamps")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix(what)?.trim().parse().ok())
        .collect()
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Milliseconds of the day of an activity-log line (`YYYY-MM-DD HH:MM:SS,mmm ...`).
pub fn log_ms(line: &str) -> i64 {
    let time = line
        .get(11..23)
        .unwrap_or_else(|| panic!("no time in {line:?}"));
    let (hms, ms) = time.split_once(',').unwrap();
    let mut parts = hms.split(':').map(|x| x.parse::<i64>().unwrap());
    let (h, m, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    ((h * 60 + m) * 60 + s) * 1000 + ms.parse::<i64>().unwrap()
}

/// The first activity-log line containing `needle`.
#[track_caller]
pub fn log_line(d: &Sandbox, needle: &str) -> String {
    wait_for(LONG, needle, || {
        d.main_log()
            .lines()
            .find(|l| l.contains(needle))
            .map(str::to_string)
    })
}

/// Starts `[program:svc]` ready by `check` after 1.5 s, sees it STARTING meanwhile (despite
/// startsecs=0), then RUNNING no sooner than the helper's ready stamp.
fn ready_by(tag: &str, check: &str, args: &str) {
    ready_by_with(tag, |_| (check.to_string(), args.to_string()));
}

/// [`ready_by`] with the check and helper arguments made from the sandbox.
fn ready_by_with(tag: &str, make: impl Fn(&Sandbox) -> (String, String)) {
    let mut d = sandbox(tag);
    let (check, args) = make(&d);
    let check = check.as_str();
    let cmd = helper(&d, "svc", &args);
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nstartsecs=0\nready_check={check}\nready_timeout=15\n"
    ));
    d.launch();
    wait_for(LONG, "the helper to start", || {
        (!stamps(&d, "svc", "spawn").is_empty()).then_some(())
    });
    let info = d.info("svc");
    assert_eq!(text(&info, "statename"), "STARTING", "{check}");
    assert!(
        stamps(&d, "svc", "ready").is_empty(),
        "the helper waits 1.5 s"
    );
    d.wait_state("svc", "RUNNING", LONG);
    let ready = stamps(&d, "svc", "ready");
    assert_eq!(ready.len(), 1, "{check}");
    let success = log_line(&d, "success: svc entered RUNNING state");
    assert!(
        success.ends_with(&format!("ready check {check} passed")),
        "{success}"
    );
}

#[test]
fn notify_makes_it_running_and_shows_status() {
    need_python!();
    ready_by("rnotify", "notify", "notify 1.5");
}

#[test]
fn notify_status_is_in_the_description() {
    need_python!();
    let mut d = sandbox("rstatus");
    let cmd = helper(&d, "svc", "notify 0.2");
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nready_check=notify\n"
    ));
    d.launch();
    let info = d.wait_state("svc", "RUNNING", LONG);
    let desc = text(&info, "description");
    assert!(
        desc.starts_with("pid ") && desc.ends_with(", serving"),
        "{desc}"
    );
    assert_eq!(text(&info, "notify_status"), "serving");
}

#[test]
fn fd_newline_makes_it_running() {
    need_python!();
    ready_by("rfd", "fd:3", "fd 1.5 3");
}

#[test]
fn tcp_connect_makes_it_running() {
    need_python!();
    let port = free_port();
    ready_by(
        "rtcp",
        &format!("tcp:127.0.0.1:{port}"),
        &format!("tcp 1.5 {port}"),
    );
}

#[test]
fn http_2xx_makes_it_running() {
    need_python!();
    let port = free_port();
    ready_by(
        "rhttp",
        &format!("http://127.0.0.1:{port}/healthz"),
        &format!("http 1.5 {port}"),
    );
}

#[test]
fn log_line_makes_it_running() {
    need_python!();
    ready_by("rlog", "log:^server listening on [0-9]+$", "log 1.5");
}

#[test]
fn exec_success_makes_it_running() {
    need_python!();
    ready_by_with("rexec", |d| {
        let flag = p(&d.path("flag"));
        (format!("exec:test -e {flag}"), format!("file 1.5 {flag}"))
    });
}

#[test]
fn http_non_2xx_is_not_ready_and_times_out_with_the_stated_spawnerr() {
    need_python!();
    let port = free_port();
    let mut d = sandbox("rhttp503");
    let cmd = helper(&d, "svc", &format!("http 0 {port} 503"));
    let check = format!("http://127.0.0.1:{port}/");
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nready_check={check}\nready_timeout=1.5\nstartretries=0\n"
    ));
    let started = Instant::now();
    d.launch();
    let info = d.wait_state("svc", "FATAL", LONG);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(
        text(&info, "spawnerr"),
        format!("ready check {check} failed: not ready within 1.5 s")
    );
    assert!(d.main_log().contains(&format!(
        "svc: ready check {check} failed: not ready within 1.5 s, killing it"
    )));
}

#[test]
fn tcp_timeout_retries_then_fatal() {
    need_python!();
    let port = free_port();
    let mut d = sandbox("rtcpfail");
    let cmd = helper(&d, "svc", "never 0");
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nready_check=tcp:127.0.0.1:{port}\nready_timeout=0.5\n\
         startretries=1\n"
    ));
    d.launch();
    let info = d.wait_state("svc", "FATAL", LONG);
    assert_eq!(
        text(&info, "spawnerr"),
        format!("ready check tcp:127.0.0.1:{port} failed: not ready within 0.5 s")
    );
    assert_eq!(
        stamps(&d, "svc", "spawn").len(),
        2,
        "the start and one retry"
    );
}

#[test]
fn unhealthy_service_is_restarted_after_exactly_retries_failures() {
    need_python!();
    let mut d = sandbox("rhealth");
    let cmd = helper(&d, "svc", "never 0");
    let probes = p(&d.path("probes"));
    let probe = p(&script(
        &d,
        "probe.sh",
        &format!("date +%s.%N >> {probes}\nexit 1"),
    ));
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nstartsecs=0\nhealthcheck=exec:{probe}\n\
         healthcheck_interval=0.3\nhealthcheck_retries=3\n"
    ));
    d.launch();
    let info = d.wait_state("svc", "RUNNING", LONG);
    assert_eq!(text(&info, "health"), "unknown");
    wait_for(LONG, "a second spawn", || {
        (stamps(&d, "svc", "spawn").len() >= 2).then_some(())
    });
    let respawn = stamps(&d, "svc", "spawn")[1];
    let before: Vec<f64> = std::fs::read_to_string(&probes)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .filter(|t| *t < respawn)
        .collect();
    assert_eq!(before.len(), 3, "probes before the restart: {before:?}");
    let log = d.main_log();
    assert!(
        log.contains(&format!(
            "restarting svc: health check exec:{probe} failed 3 times"
        )),
        "{log}"
    );
    assert!(log.contains(&format!("health check exec:{probe} of svc failed (3/3)")));
}

#[test]
fn healthy_service_shows_health_in_info_and_description() {
    need_python!();
    let port = free_port();
    let mut d = sandbox("rhealthy");
    let cmd = helper(&d, "svc", &format!("http 0 {port}"));
    d.write_conf(&format!(
        "[program:svc]\ncommand={cmd}\nready_check=tcp:127.0.0.1:{port}\n\
         healthcheck=http://127.0.0.1:{port}/ping\nhealthcheck_interval=0.2\n"
    ));
    d.launch();
    let info = wait_for(LONG, "healthy", || {
        let info = d.info("svc");
        (text(&info, "health") == "healthy").then_some(info)
    });
    let desc = text(&info, "description");
    assert!(desc.ends_with(", healthy"), "{desc}");
    let status = d.ctl(&["status", "svc"]);
    assert!(status.stdout.contains(", healthy"), "{}", status.stdout);
}

#[test]
fn restart_limit_makes_a_crash_loop_fatal() {
    let mut d = Sandbox::new("rlimit");
    let spawns = p(&d.path("spawns"));
    let cmd = p(&script(
        &d,
        "crash.sh",
        &format!("echo x >> {spawns}\nexit 0"),
    ));
    d.write_conf(&format!(
        "[program:c]\ncommand={cmd}\nstartsecs=0\nautorestart=true\nrestart_delay=0.1\n\
         restart_limit=3/60\n"
    ));
    d.launch();
    let info = d.wait_state("c", "FATAL", LONG);
    assert_eq!(text(&info, "spawnerr"), "restart limit reached");
    assert_eq!(d.count_lines("spawns"), 4, "the start and 3 restarts");
}

#[test]
fn restart_delay_paces_autorestarts() {
    let mut d = Sandbox::new("rdelay");
    let spawns = p(&d.path("spawns"));
    let cmd = p(&script(
        &d,
        "crash.sh",
        &format!("date +%s.%N >> {spawns}\nexit 0"),
    ));
    d.write_conf(&format!(
        "[program:c]\ncommand={cmd}\nstartsecs=0\nautorestart=true\nrestart_delay=1.5\n"
    ));
    d.launch();
    wait_for(LONG, "three spawns", || {
        (d.count_lines("spawns") >= 3).then_some(())
    });
    let times: Vec<f64> = std::fs::read_to_string(d.path("spawns"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    for pair in times.windows(2).take(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= 1.45, "spawns {gap} s apart, restart_delay=1.5");
    }
}

#[test]
fn update_applies_changed_checks_and_config_info_shows_the_keys() {
    let mut d = Sandbox::new("rupdate");
    d.write_conf("[program:svc]\ncommand=sleep 60\nstartsecs=0\n");
    d.launch();
    d.wait_state("svc", "RUNNING", LONG);
    let keys = |d: &Sandbox| -> Vec<String> {
        match d.call("supervisor.getAllConfigInfo", vec![]) {
            supervisor::rpc::Value::Array(rows) => match &rows[0] {
                supervisor::rpc::Value::Struct(m) => m.keys().cloned().collect(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    };
    assert!(!keys(&d).iter().any(|k| k == "ready_check"));
    d.write_conf(
        "[program:svc]\ncommand=sleep 60\nstartsecs=0\nready_check=exec:true\nrestart_limit=5/60\n",
    );
    let out = d.ctl(&["update"]);
    assert_eq!(out.stdout, "svc: stopped\nsvc: updated process group\n");
    d.wait_state("svc", "RUNNING", LONG);
    assert!(d
        .main_log()
        .contains("success: svc entered RUNNING state, ready check exec:true passed"));
    let k = keys(&d);
    assert!(k.iter().any(|k| k == "ready_check") && k.iter().any(|k| k == "restart_limit"));
    let avail = d.ctl(&["avail"]);
    assert!(
        avail
            .stdout
            .trim_end()
            .ends_with("auto      999:999  ready_check=exec:true  restart_limit=5/60"),
        "{}",
        avail.stdout
    );
}

#[test]
fn health_events_reach_listeners_that_name_them() {
    need_python!();
    use crate::util::listener::{py, start, wait_event};
    let d = start(
        "rhevents",
        &format!(
            "{}[program:svc]\ncommand=sleep 60\nstartsecs=0\nhealthcheck=exec:false\n\
             healthcheck_interval=0.2\nhealthcheck_retries=2\nhealthcheck_action=none\n",
            py("lis", "PROCESS_HEALTH_UNHEALTHY", "ok")
        ),
    );
    let ev = wait_event(&d, "lis", "PROCESS_HEALTH_UNHEALTHY", |_| true);
    let pid = crate::util::int(&d.info("svc"), "pid");
    assert_eq!(
        ev.payload,
        format!("processname:svc groupname:svc pid:{pid} failures:2")
    );
    let info = d.info("svc");
    assert_eq!(text(&info, "health"), "unhealthy");
    assert!(text(&info, "description").ends_with(", unhealthy 2/2"));
    assert_eq!(
        text(&info, "statename"),
        "RUNNING",
        "healthcheck_action=none"
    );
}
