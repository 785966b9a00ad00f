//! The process life cycle against the real daemon (reference §3, decisions D2/D4, Q1, Q6,
//! Q19, Q21, Q22, Q28): retries, autorestart, spawn errors, stopping, priorities, reaping and
//! what a child inherits.

use std::time::{Duration, Instant};

use supervisor::rpc::Value;

use crate::util::{alive, children, int, p, s, script, text, wait_for, Sandbox};

const LONG: Duration = Duration::from_secs(20);

/// Kills the pids it holds when dropped (grandchildren that outlive their parent).
struct KillOnDrop(Vec<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            if alive(*pid) {
                let _ = supervisor::sys::kill(*pid, libc::SIGKILL);
            }
        }
    }
}

/// How many activity-log lines contain `needle`.
fn log_count(d: &Sandbox, needle: &str) -> usize {
    d.main_log().lines().filter(|l| l.contains(needle)).count()
}

/// Byte offset of `needle` in the activity log; panics if absent.
#[track_caller]
fn log_pos(log: &str, needle: &str) -> usize {
    log.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the activity log"))
}

/// A script that appends a line to `<name>.spawns` on every start, then runs `rest`.
fn counting_script(d: &Sandbox, name: &str, rest: &str) -> String {
    let spawns = d.path(&format!("{name}.spawns"));
    p(&script(
        d,
        &format!("{name}.sh"),
        &format!("echo x >> {}\n{rest}", p(&spawns)),
    ))
}

#[test]
fn crash_loop_goes_fatal_after_startretries() {
    let mut d = Sandbox::new("crash");
    let cmd = counting_script(&d, "crash", "exit 1");
    d.write_conf(&format!(
        "[program:crash]\ncommand={cmd}\nstartsecs=1\nstartretries=2\n"
    ));
    d.launch();
    let info = d.wait_state("crash", "FATAL", LONG);
    // The initial start plus `startretries` retries.
    assert_eq!(d.count_lines("crash.spawns"), 3);
    assert_eq!(
        text(&info, "spawnerr"),
        "Exited too quickly (process log may have details)"
    );
    assert_eq!(log_count(&d, "INFO spawned: 'crash' with pid "), 3);
    assert_eq!(
        log_count(&d, "WARN exited: crash (exit status 1; not expected)"),
        3
    );
    assert_eq!(
        log_count(
            &d,
            "INFO gave up: crash entered FATAL state, too many start retries too quickly"
        ),
        1
    );
    assert_eq!(log_count(&d, "success: crash"), 0);
}

#[test]
fn exit_within_startsecs_goes_backoff_never_running() {
    let mut d = Sandbox::new("quick");
    // Exits with an expected code well inside startsecs: still a failed start.
    let cmd = counting_script(&d, "quick", "sleep 0.3\nexit 0");
    d.write_conf(&format!(
        "[program:quick]\ncommand={cmd}\nstartsecs=2\nstartretries=1\n"
    ));
    d.launch();
    d.wait_state("quick", "FATAL", LONG);
    assert_eq!(d.count_lines("quick.spawns"), 2);
    // DIVERGENCE(Q1): never promoted to RUNNING before the exit is seen.
    assert_eq!(log_count(&d, "success: quick"), 0);
    assert_eq!(
        log_count(&d, "exited: quick (exit status 0; not expected)"),
        2
    );
}

#[test]
fn startsecs_zero_is_running_at_spawn() {
    let mut d = Sandbox::new("zero");
    let failing = counting_script(&d, "failing", "exit 3");
    d.write_conf(&format!(
        "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\n\
         [program:failing]\ncommand={failing}\nstartsecs=0\nautostart=false\nautorestart=false\n"
    ));
    d.launch();
    let started = d.call(
        "supervisor.startProcess",
        vec![s("sleeper"), Value::Bool(true)],
    );
    assert_eq!(started, Value::Bool(true));
    // The answer came once RUNNING was reached: no waiting here.
    let info = d.info("sleeper");
    assert_eq!(text(&info, "statename"), "RUNNING");
    assert!(alive(int(&info, "pid") as i32));
    d.wait_file(
        "supervisord.log",
        "INFO success: sleeper entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)",
        LONG,
    );
    // DIVERGENCE(Q19): an instant exit still counts as a successful start.
    let started = d.call(
        "supervisor.startProcess",
        vec![s("failing"), Value::Bool(true)],
    );
    assert_eq!(started, Value::Bool(true));
    let info = d.wait_state("failing", "EXITED", LONG);
    assert_eq!(int(&info, "exitstatus"), 3);
    assert_eq!(text(&info, "spawnerr"), "Bad exit code 3");
    assert_eq!(d.count_lines("failing.spawns"), 1);
    let log = d.main_log();
    assert!(
        log_pos(&log, "success: failing entered RUNNING state")
            < log_pos(&log, "WARN exited: failing (exit status 3; not expected)")
    );
}

#[test]
fn autorestart_follows_the_policy_and_exitcodes() {
    let mut d = Sandbox::new("autorestart");
    let always = counting_script(&d, "always", "sleep 0.1\nexit 0");
    let never = counting_script(&d, "never", "exit 4");
    // Exits 4 (unexpected) the first time, 3 (expected) afterwards.
    let spawns = p(&d.path("unexp.spawns"));
    let unexp = counting_script(
        &d,
        "unexp",
        &format!("[ \"$(wc -l < {spawns})\" -ge 2 ] && exit 3\nexit 4"),
    );
    d.write_conf(&format!(
        "[program:always]\ncommand={always}\nstartsecs=0\nautorestart=true\n\n\
         [program:never]\ncommand={never}\nstartsecs=0\nautorestart=false\n\n\
         [program:unexp]\ncommand={unexp}\nstartsecs=0\nautorestart=unexpected\nexitcodes=0,3\n"
    ));
    d.launch();
    let info = wait_for(LONG, "unexp to exit with 3", || {
        let info = d.info("unexp");
        (text(&info, "statename") == "EXITED" && int(&info, "exitstatus") == 3).then_some(info)
    });
    assert_eq!(text(&info, "spawnerr"), "");
    let info = d.wait_state("never", "EXITED", LONG);
    assert_eq!(int(&info, "exitstatus"), 4);
    // Many loop turns later, neither has been started again.
    wait_for(LONG, "three starts of always", || {
        (d.count_lines("always.spawns") >= 3).then_some(())
    });
    assert_eq!(d.count_lines("unexp.spawns"), 2);
    assert_eq!(d.count_lines("never.spawns"), 1);
    assert_eq!(text(&d.info("never"), "statename"), "EXITED");
    let log = d.main_log();
    assert!(
        log_pos(&log, "WARN exited: unexp (exit status 4; not expected)")
            < log_pos(&log, "INFO exited: unexp (exit status 3; expected)")
    );
    assert!(log.contains("INFO exited: always (exit status 0; expected)"));
    d.call("supervisor.stopProcess", vec![s("always")]);
}

#[test]
fn spawn_errors_are_reported() {
    let mut d = Sandbox::new("spawnerr");
    let plain = d.path("plain.sh");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    let ok = p(&script(&d, "ok.sh", "exit 0"));
    let missing = d.path("missing");
    d.write_conf(&format!(
        "[program:nocmd]\ncommand=/nonexistent/cmd\nstartretries=0\n\n\
         [program:noexec]\ncommand={}\nstartretries=0\n\n\
         [program:baddir]\ncommand={ok}\ndirectory={}\nstartretries=0\n",
        p(&plain),
        p(&missing)
    ));
    d.launch();
    let cases = [
        ("nocmd", "can't find command '/nonexistent/cmd'".to_string()),
        (
            "noexec",
            format!("command at '{}' is not executable", p(&plain)),
        ),
        // DIVERGENCE(Q22): found before forking, and the directory is named.
        (
            "baddir",
            format!("couldn't chdir to {}: ENOENT", p(&missing)),
        ),
    ];
    for (name, err) in &cases {
        let info = d.wait_state(name, "FATAL", LONG);
        assert_eq!(text(&info, "spawnerr"), err, "{name}");
        d.wait_file("supervisord.log", &format!("INFO spawnerr: {err}"), LONG);
        assert_eq!(log_count(&d, &format!("spawned: '{name}'")), 0, "{name}");
    }
    let fault = d.fault("supervisor.startProcess", vec![s("nocmd")], 20);
    assert_eq!(fault, "NO_FILE: can't find command '/nonexistent/cmd'");
    let fault = d.fault("supervisor.startProcess", vec![s("noexec")], 21);
    assert_eq!(
        fault,
        format!(
            "NOT_EXECUTABLE: command at '{}' is not executable",
            p(&plain)
        )
    );
    let fault = d.fault(
        "supervisor.startProcess",
        vec![s("baddir"), Value::Bool(true)],
        50,
    );
    assert_eq!(fault, "SPAWN_ERROR: baddir");
}

#[test]
fn stop_escalates_to_sigkill_after_stopwaitsecs() {
    let mut d = Sandbox::new("stubborn");
    let cmd = p(&script(
        &d,
        "stubborn.sh",
        "trap 'echo got-term' TERM\necho ready\nwhile :; do sleep 0.1; done",
    ));
    let out = d.path("stubborn.out");
    d.write_conf(&format!(
        "[program:stubborn]\ncommand={cmd}\nstartsecs=0\nstopwaitsecs=2\nstdout_logfile={}\n",
        p(&out)
    ));
    d.launch();
    let pid = int(&d.wait_state("stubborn", "RUNNING", LONG), "pid") as i32;
    d.wait_file("stubborn.out", "ready", LONG);
    let asked = Instant::now();
    let stopped = d.call(
        "supervisor.stopProcess",
        vec![s("stubborn"), Value::Bool(true)],
    );
    assert_eq!(stopped, Value::Bool(true));
    assert!(
        asked.elapsed() >= Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert!(!alive(pid));
    let info = d.info("stubborn");
    assert_eq!(text(&info, "statename"), "STOPPED");
    assert_eq!(int(&info, "exitstatus"), -1);
    d.wait_file("stubborn.out", "got-term", LONG);
    let log = d.main_log();
    assert!(
        log_pos(
            &log,
            &format!("DEBG killing stubborn (pid {pid}) with signal SIGTERM")
        ) < log_pos(
            &log,
            &format!("WARN killing 'stubborn' ({pid}) with SIGKILL")
        )
    );
    assert!(
        log_pos(
            &log,
            &format!("WARN killing 'stubborn' ({pid}) with SIGKILL")
        ) < log_pos(&log, "WARN stopped: stubborn (terminated by SIGKILL)")
    );
}

#[test]
fn exit_while_stopping_is_stopped() {
    let mut d = Sandbox::new("selfexit");
    let cmd = counting_script(
        &d,
        "selfexit",
        &format!(
            "trap 'exit 7' TERM\necho trapped > {}\nwhile :; do sleep 0.1; done",
            p(&d.path("trapped"))
        ),
    );
    d.write_conf(&format!(
        "[program:selfexit]\ncommand={cmd}\nstartsecs=0\nautorestart=true\nstopwaitsecs=10\n"
    ));
    d.launch();
    d.wait_state("selfexit", "RUNNING", LONG);
    // A TERM before the trap is set would end it by the signal, not with status 7.
    d.wait_file("trapped", "trapped", LONG);
    let stopped = d.call(
        "supervisor.stopProcess",
        vec![s("selfexit"), Value::Bool(true)],
    );
    assert_eq!(stopped, Value::Bool(true));
    // COMPAT(Q28): STOPPED with the real status, not EXITED, and not restarted.
    let info = d.info("selfexit");
    assert_eq!(text(&info, "statename"), "STOPPED");
    assert_eq!(int(&info, "exitstatus"), 7);
    d.wait_file(
        "supervisord.log",
        "WARN stopped: selfexit (exit status 7)",
        LONG,
    );
    assert_eq!(log_count(&d, "exited: selfexit"), 0);
    assert_eq!(log_count(&d, "SIGKILL"), 0);
    assert_eq!(d.count_lines("selfexit.spawns"), 1);
}

#[test]
fn stopasgroup_kills_grandchildren() {
    let mut d = Sandbox::new("stopgroup");
    let mut sections = String::new();
    for (name, group) in [("grouped", true), ("single", false)] {
        let gc = p(&d.path(&format!("{name}.gc")));
        let cmd = p(&script(
            &d,
            &format!("{name}.sh"),
            &format!("sleep 1000 &\necho $! > {gc}.tmp\nmv {gc}.tmp {gc}\nwait"),
        ));
        sections.push_str(&format!(
            "[program:{name}]\ncommand={cmd}\nstartsecs=0\nstopasgroup={group}\n\n"
        ));
    }
    d.write_conf(&sections);
    d.launch();
    let grandchild = |name: &str| -> i32 {
        let file = d.path(&format!("{name}.gc"));
        wait_for(LONG, "the grandchild's pid", || {
            std::fs::read_to_string(&file).ok()?.trim().parse().ok()
        })
    };
    let grouped = grandchild("grouped");
    let single = grandchild("single");
    let _guard = KillOnDrop(vec![grouped, single]);
    assert!(alive(grouped) && alive(single));
    for name in ["grouped", "single"] {
        let stopped = d.call("supervisor.stopProcess", vec![s(name), Value::Bool(true)]);
        assert_eq!(stopped, Value::Bool(true));
    }
    wait_for(LONG, "the grouped grandchild to die", || {
        (!alive(grouped)).then_some(())
    });
    assert!(alive(single), "without stopasgroup the grandchild survives");
    d.wait_file("supervisord.log", "process group with signal SIGTERM", LONG);
}

#[test]
fn start_and_shutdown_follow_priority() {
    let mut d = Sandbox::new("priority");
    let mut sections = String::new();
    for (name, priority) in [("a", 300), ("b", 200), ("c", 100), ("d", 200)] {
        sections.push_str(&format!(
            "[program:{name}]\ncommand=/bin/sleep 1000\npriority={priority}\nstartsecs=0\n\n"
        ));
    }
    d.write_conf(&sections);
    d.launch();
    for name in ["a", "b", "c", "d"] {
        d.wait_state(name, "RUNNING", LONG);
    }
    let order = |log: &str, what: &str, names: [&str; 4]| {
        let pos: Vec<usize> = names
            .iter()
            .map(|n| log_pos(log, &format!("{what}{n}")))
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "{what} order {names:?}"
        );
    };
    order(&d.main_log(), "spawned: '", ["c", "b", "d", "a"]);
    d.signal(libc::SIGTERM);
    assert_eq!(d.wait_exit(LONG), 0);
    // Highest priority number first; equal priorities in reverse name order.
    order(&d.main_log(), "stopped: ", ["a", "d", "b", "c"]);
}

/// Seconds into the day of an activity-log line's stamp (`2026-11-22 02:07:42,613 ...`).
#[track_caller]
fn stamp_secs(line: &str) -> f64 {
    let time = line
        .get(11..23)
        .unwrap_or_else(|| panic!("no stamp in {line:?}"));
    let (hms, ms) = time.split_once(',').unwrap();
    let parts: Vec<f64> = hms.split(':').map(|n| n.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + ms.parse::<f64>().unwrap() / 1000.0
}

/// The stamp of the first activity-log line containing `needle`.
#[track_caller]
fn stamp_of(log: &str, needle: &str) -> f64 {
    let at = log_pos(log, needle);
    let line_start = log[..at].rfind('\n').map_or(0, |i| i + 1);
    stamp_secs(&log[line_start..])
}

/// When `pid` started, in seconds since boot (`/proc/<pid>/stat`, clock-tick resolution).
fn started_at(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name in parentheses; `starttime` is the 22nd field.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: f64 = rest.split(' ').nth(19).unwrap().parse().unwrap();
    // USER_HZ: 100 on every Linux architecture (part of the ABI).
    ticks / 100.0
}

#[test]
fn startsecs_counts_from_each_fork_in_a_long_start_turn() {
    // The loop reads the clock once per turn and again after each fork: one turn starts
    // all 100, the last fork well after the turn began, and each still counts startsecs
    // from its own fork (issue 10). So the RUNNING times spread as the forks did.
    let mut d = Sandbox::new("forks");
    let programs: String = (0..100)
        .map(|i| {
            format!(
                "[program:p{i:03}]\ncommand=sleep 60\nstartsecs=1\n\
                 stdout_logfile=NONE\nstderr_logfile=NONE\n"
            )
        })
        .collect();
    d.write_conf(&programs);
    d.launch();
    wait_for(LONG, "100 processes RUNNING", || {
        (log_count(&d, "entered RUNNING state") == 100).then_some(())
    });
    let log = d.main_log();
    let pid = |name: &str| {
        let needle = format!("spawned: '{name}' with pid ");
        let at = log_pos(&log, &needle) + needle.len();
        let digits: String = log[at..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<i32>().unwrap()
    };
    let running = |name: &str| stamp_of(&log, &format!("success: {name} entered RUNNING state"));
    let forks = started_at(pid("p099")) - started_at(pid("p000"));
    // A midnight in between wraps the seconds of the day.
    let runs = (running("p099") - running("p000")).rem_euclid(86_400.0);
    // Generous for a loaded machine (p000's RUNNING may come late); a RUNNING counted from
    // the turn's start would come for all 100 at once.
    assert!(
        runs >= forks / 2.0,
        "forks spread over {forks:.3} s, RUNNING over {runs:.3} s"
    );
}

#[test]
fn no_zombie_after_500_restarts() {
    let mut d = Sandbox::new("zombie");
    let cmd = counting_script(&d, "cycler", "exit 1");
    // Autorestarts are paced at one a second (D10); explicit starts are not.
    d.write_conf(&format!(
        "[program:cycler]\ncommand={cmd}\nstartsecs=0\nautorestart=false\n"
    ));
    d.launch();
    wait_for(Duration::from_secs(60), "500 spawns", || {
        // ALREADY_STARTED while the last one is not reaped yet.
        let _ = d.rpc(
            "supervisor.startProcess",
            vec![s("cycler"), Value::Bool(false)],
        );
        (d.count_lines("cycler.spawns") >= 500).then_some(())
    });
    d.wait_state("cycler", "EXITED", LONG);
    let daemon = d.pid();
    wait_for(LONG, "the daemon to have no child left", || {
        children(daemon).is_empty().then_some(())
    });
    assert_eq!(log_count(&d, "reaped unknown pid"), 0);
    assert_eq!(log_count(&d, "can't happen"), 0);
}

#[test]
fn child_environment_umask_signals_and_fds() {
    let mut d = Sandbox::new("childenv");
    d.supervisord_extra = "umask=027\n\
         environment=SUPERVISOR_GROUP_NAME=\"global\",SUPERVISOR_ENABLED=\"no\",GLOBALVAR=\"g1\""
        .into();
    let out = p(&d.path("probe.out"));
    d.write_conf(&format!(
        "[group:grp]\nprograms=probe\n\n\
         [program:probe]\n\
         command=/bin/sh -c \"echo fds; ls /proc/$$/fd; echo umask $(umask); env; \
         exec grep -E '^Sig(Ign|Blk)' /proc/self/status\"\n\
         environment=PROGVAR=\"p1\"\nstartsecs=0\nautorestart=false\nstdout_logfile={out}\n"
    ));
    d.launch();
    d.wait_state("grp:probe", "EXITED", LONG);
    // The shell itself reads its status at the end: it blocks signals while it forks.
    let output = d.wait_file("probe.out", "SigIgn:", LONG);
    let lines: Vec<&str> = output.lines().collect();
    let expected = [
        // DIVERGENCE(D4): nothing ignored, nothing blocked, only fds 0-2.
        "SigBlk:\t0000000000000000",
        "SigIgn:\t0000000000000000",
        // DIVERGENCE(Q21): the umask applies in the foreground.
        "umask 0027",
        // DIVERGENCE(Q6): SUPERVISOR_* win over [supervisord] environment.
        "SUPERVISOR_ENABLED=1",
        "SUPERVISOR_GROUP_NAME=grp",
        "SUPERVISOR_PROCESS_NAME=probe",
        &format!("SUPERVISOR_SERVER_URL=unix://{}", p(&d.sock)),
        "GLOBALVAR=g1",
        "PROGVAR=p1",
    ];
    for line in expected {
        assert!(lines.contains(&line), "{line:?} missing in {output}");
    }
    assert!(output.contains("fds\n0\n1\n2\numask"), "{output}");
}
