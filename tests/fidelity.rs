//! Side-by-side fidelity with Supervisor 4.3 (issue 11): activity-log lines, reply orders
//! and fault texts an admin or a script sees, each checked against the reference daemon.

use std::time::Duration;

use supervisor::rpc::Value;

use crate::util::{int, p, s, script, wait_for, Sandbox};

const LONG: Duration = Duration::from_secs(20);

/// The lines of the activity log that carry `needle`, without their time stamps.
fn lines_with(d: &Sandbox, needle: &str) -> Vec<String> {
    d.main_log()
        .lines()
        .filter(|l| l.contains(needle))
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string())
        .collect()
}

/// The start-up block: the root warning (when root), the server lines, the pid line.
fn startup_block(pid: i32) -> Vec<String> {
    let mut block = Vec::new();
    if nix::unistd::geteuid().is_root() {
        block.push("CRIT Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.".to_string());
    }
    block.push("INFO RPC interface 'supervisor' initialized".into());
    block.push(
        "CRIT Server 'unix_http_server' running without any HTTP authentication checking".into(),
    );
    block.push(format!("INFO supervisord started with pid {pid}"));
    block
}

/// The start-up block, as lines in the order logged, from every start so far.
fn logged_blocks(d: &Sandbox) -> Vec<String> {
    d.main_log()
        .lines()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string())
        .filter(|l| {
            l.starts_with("CRIT Supervisor is running as root")
                || l.starts_with("INFO RPC interface")
                || l.starts_with("CRIT Server '")
                || l.starts_with("INFO supervisord started with pid")
        })
        .collect()
}

#[test]
fn a_restart_logs_the_startup_block_again_and_moves_the_pidfile() {
    let mut d = Sandbox::new("reblock");
    d.write_conf("[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n");
    d.launch();
    let pid = d.pid();
    let once = startup_block(pid);
    assert_eq!(logged_blocks(&d), once);
    // supervisor.restart, as `supervisorctl reload`.
    assert_eq!(d.call("supervisor.restart", vec![]), Value::Bool(true));
    wait_for(LONG, "the second start-up block", || {
        (logged_blocks(&d).len() == 2 * once.len()).then_some(())
    });
    d.wait_ready();
    assert_eq!(logged_blocks(&d), [once.clone(), once.clone()].concat());
    // SIGHUP with a changed pidfile: the new one is written, the old one removed.
    let text = std::fs::read_to_string(&d.conf).unwrap();
    let old = d.path("supervisord.pid");
    let new = d.path("moved.pid");
    assert!(old.exists());
    std::fs::write(
        &d.conf,
        text.replace(
            &format!("pidfile={}", p(&old)),
            &format!("pidfile={}", p(&new)),
        ),
    )
    .unwrap();
    d.signal(libc::SIGHUP);
    wait_for(LONG, "the third start-up block", || {
        (logged_blocks(&d).len() == 3 * once.len()).then_some(())
    });
    d.wait_ready();
    assert_eq!(std::fs::read_to_string(&new).unwrap(), format!("{pid}\n"));
    assert!(!old.exists(), "the old pidfile is left");
    assert_eq!(
        logged_blocks(&d),
        [once.clone(), once.clone(), once].concat()
    );
}

#[test]
fn getallconfiginfo_reports_negative_waits_as_given() {
    let d = Sandbox::start(
        "negwait",
        "[program:neg]\ncommand=/bin/sleep 1000\nautostart=false\n\
         startsecs=-1\nstartretries=-2\nstopwaitsecs=-3\n",
    );
    let Value::Array(all) = d.call("supervisor.getAllConfigInfo", vec![]) else {
        panic!("getAllConfigInfo is not an array")
    };
    let Some(Value::Struct(neg)) = all.first() else {
        panic!("no config info")
    };
    assert_eq!(
        (
            int(neg, "startsecs"),
            int(neg, "startretries"),
            int(neg, "stopwaitsecs")
        ),
        (-1, -2, -3)
    );
    // A negative wait acts as none, as the reference's.
    assert_eq!(
        d.call("supervisor.startProcess", vec![s("neg")]),
        Value::Bool(true)
    );
    assert_eq!(
        lines_with(&d, "success: neg"),
        ["INFO success: neg entered RUNNING state, process has stayed up for > than -1 seconds (startsecs)"]
    );
}

#[test]
fn readlog_with_syslog_names_it() {
    let mut d = Sandbox::new("syslog");
    d.write_conf("");
    let text = std::fs::read_to_string(&d.conf).unwrap();
    let main = format!("logfile={}", p(&d.path("supervisord.log")));
    std::fs::write(&d.conf, text.replace(&main, "logfile=syslog")).unwrap();
    d.launch();
    let fault = d.fault("supervisor.readLog", vec![Value::Int(0), Value::Int(0)], 20);
    assert_eq!(fault, "NO_FILE: syslog");
    assert_eq!(d.fault("supervisor.clearLog", vec![], 20), "NO_FILE");
}

#[test]
fn an_auto_log_that_cannot_be_removed_is_named() {
    let mut d = Sandbox::new("autoclean");
    // A directory named like an AUTO log of a previous run: removing it fails.
    let stuck = d.path("old-stdout---supervisor-xyz12345.log");
    std::fs::create_dir(&stuck).unwrap();
    let gone = d.path("old-stderr---supervisor-abc12345.log");
    std::fs::write(&gone, "old").unwrap();
    d.write_conf("");
    d.launch();
    assert_eq!(
        lines_with(&d, "clean up"),
        [format!("WARN Failed to clean up '{}'", p(&stuck))]
    );
    assert!(!gone.exists());
}

/// Waits until process `name` has written `text` to its stdout log.
fn wait_output(d: &Sandbox, name: &str, text: &str) {
    wait_for(LONG, &format!("{name} to print {text:?}"), || {
        let args = vec![s(name), Value::Int(0), Value::Int(0)];
        match d.rpc("supervisor.readProcessStdoutLog", args) {
            Ok(Value::String(out)) if out.contains(text) => Some(()),
            _ => None,
        }
    });
}

/// Milliseconds since midnight of a log line's time stamp (`YYYY-MM-DD HH:MM:SS,mmm`).
fn stamp_ms(line: &str) -> i64 {
    let time = line.split(' ').nth(1).expect("time stamp");
    let (hms, ms) = time.split_once(',').expect("milliseconds");
    let secs = hms
        .split(':')
        .map(|f| f.parse::<i64>().expect("number"))
        .fold(0, |acc, f| acc * 60 + f);
    secs * 1000 + ms.parse::<i64>().expect("number")
}

#[test]
fn an_awaited_stop_logs_waiting_at_once_and_every_two_seconds() {
    let mut d = Sandbox::new("stopwait");
    let stubborn = p(&script(
        &d,
        "stubborn.sh",
        "trap '' TERM\necho trapped\nwhile :; do sleep 0.1; done",
    ));
    d.write_conf(&format!(
        "[program:slow]\ncommand={stubborn}\nstartsecs=0\nstopwaitsecs=3\n\n\
         [program:quick]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    ));
    d.launch();
    d.wait_state("quick", "RUNNING", LONG);
    wait_output(&d, "slow", "trapped");
    // Without wait nobody waits: no line.
    assert_eq!(
        d.call(
            "supervisor.stopProcess",
            vec![s("quick"), Value::Bool(false)]
        ),
        Value::Bool(true)
    );
    d.wait_state("quick", "STOPPED", LONG);
    assert!(lines_with(&d, "waiting for").is_empty(), "{}", d.main_log());
    d.call("supervisor.startProcess", vec![s("quick")]);
    // With wait: once at the start even when the process goes at once (the reference
    // reports before it reaps), then every 2 s while still STOPPING.
    let out = d.ctl(&["stop", "quick"]);
    assert_eq!(out.stdout, "quick: stopped\n");
    assert_eq!(
        lines_with(&d, "waiting for"),
        ["INFO waiting for quick to stop"]
    );
    let out = d.ctl(&["stop", "slow"]);
    assert_eq!(out.stdout, "slow: stopped\n");
    let log = d.main_log();
    let lines: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.contains("killing slow (pid"))
        .collect();
    assert!(lines[1].ends_with("INFO waiting for slow to stop"), "{log}");
    let waits: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.ends_with("INFO waiting for slow to stop"))
        .collect();
    assert_eq!(waits.len(), 2, "{log}");
    assert!(stamp_ms(waits[1]) - stamp_ms(waits[0]) >= 2000, "{log}");
    let killed = lines
        .iter()
        .position(|l| l.contains("WARN killing 'slow'"))
        .expect("SIGKILL after stopwaitsecs");
    assert!(lines[..killed].contains(&waits[1]), "{log}");
}

/// The `name` of each result struct of a group or "all" call.
fn result_names(v: Value) -> Vec<String> {
    let Value::Array(results) = v else {
        panic!("not an array: {v:?}")
    };
    results
        .iter()
        .map(|r| match r {
            Value::Struct(m) => match m.get("name") {
                Some(Value::String(n)) => n.clone(),
                other => panic!("no name: {other:?}"),
            },
            other => panic!("not a struct: {other:?}"),
        })
        .collect()
}

#[test]
fn group_and_all_results_come_in_processing_order() {
    let mut d = Sandbox::new("replyorder");
    let lazy = p(&script(
        &d,
        "lazy.sh",
        "trap 'sleep 1; exit 0' TERM\necho trapped\nwhile :; do sleep 0.1; done",
    ));
    d.write_conf(&format!(
        "[program:lazy]\ncommand={lazy}\nstartsecs=0\npriority=2\n\n\
         [program:quick]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=1\n\n\
         [program:slowstart]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n\n\
         [program:faststart]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\n\
         [group:g]\nprograms=slowstart,faststart\n"
    ));
    d.launch();
    d.wait_state("quick", "RUNNING", LONG);
    // The trap is set once the script says so (RUNNING comes at spawn with startsecs=0).
    wait_output(&d, "lazy", "trapped");
    // DIVERGENCE(D10): lazy is stopped first (higher priority) and finishes a second after
    // quick; the reference would answer quick first.
    let stopped = d.call("supervisor.stopAllProcesses", vec![]);
    assert_eq!(result_names(stopped), ["lazy", "quick"]);
    let log = d.main_log();
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {log}"))
    };
    assert!(at("stopped: quick") < at("stopped: lazy"), "{log}");
    // slowstart is listed first and reaches RUNNING a second after faststart.
    let started = d.call("supervisor.startProcessGroup", vec![s("g")]);
    assert_eq!(result_names(started), ["slowstart", "faststart"]);
    // Through supervisorctl: the same order, whatever finishes first.
    let out = d.ctl(&["start", "all"]);
    assert_eq!(out.stdout, "quick: started\nlazy: started\n");
    // Group g (priority 999) goes first, its members as listed.
    let out = d.ctl(&["stop", "all"]);
    assert_eq!(
        out.stdout,
        "g:slowstart: stopped\ng:faststart: stopped\nlazy: stopped\nquick: stopped\n"
    );
}

#[test]
fn group_members_keep_the_listed_order() {
    let d = Sandbox::start(
        "listed",
        "[program:zeta]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:alpha]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:mid]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:first]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=1\n\
         [group:g]\nprograms=zeta,mid,alpha,first\n",
    );
    for name in ["g:zeta", "g:mid", "g:alpha", "g:first"] {
        d.wait_state(name, "RUNNING", LONG);
    }
    let order = |needle: &str| -> Vec<String> {
        d.main_log()
            .lines()
            .filter_map(|l| l.split_once(needle))
            .map(|(_, rest)| rest.split([' ', '\'']).next().unwrap_or("").to_string())
            .collect()
    };
    // Spawned in priority order, equal priorities as listed (the reference's order).
    assert_eq!(order("spawned: '"), ["first", "zeta", "mid", "alpha"]);
    // Stopped in descending priority, equal priorities as listed.
    let stopped = d.call("supervisor.stopProcessGroup", vec![s("g")]);
    assert_eq!(result_names(stopped), ["zeta", "mid", "alpha", "first"]);
    assert_eq!(order("killing "), ["zeta", "mid", "alpha", "first"]);
    let started = d.call("supervisor.startProcessGroup", vec![s("g")]);
    assert_eq!(result_names(started), ["first", "zeta", "mid", "alpha"]);
    assert_eq!(
        order("spawned: '"),
        ["first", "zeta", "mid", "alpha", "first", "zeta", "mid", "alpha"]
    );
}

#[test]
fn send_process_stdin_writes_at_once_and_bounds_what_waits() {
    let d = Sandbox::start(
        "stdin",
        "[program:closed]\ncommand=/bin/sh -c \"exec 0<&-; echo closed; exec sleep 1000\"\n\
         startsecs=0\n\
         [program:noread]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    wait_output(&d, "closed", "closed");
    // The child closed its stdin: this very call fails (EPIPE), and so does the next one;
    // the process keeps running.
    let send =
        |name: &str, data: &str| d.rpc("supervisor.sendProcessStdin", vec![s(name), s(data)]);
    for _ in 0..2 {
        assert_eq!(
            d.fault(
                "supervisor.sendProcessStdin",
                vec![s("closed"), s("hello\n")],
                20
            ),
            "NO_FILE: closed"
        );
    }
    assert_eq!(d.info("closed").get("statename"), Some(&s("RUNNING")));
    // A child that never reads: the pipe (64 KiB on Linux) fills, then up to 1 MiB waits
    // in the daemon, then the call gets a clear fault instead of more memory.
    d.wait_state("noread", "RUNNING", LONG);
    let chunk = "x".repeat(60_000);
    let mut accepted = 0;
    let fault = loop {
        match send("noread", &chunk) {
            Ok(v) => {
                assert_eq!(v, Value::Bool(true));
                accepted += chunk.len();
                assert!(accepted <= 2 << 20, "no bound after {accepted} bytes");
            }
            Err(e) => break e.to_string(),
        }
    };
    assert!(
        fault.contains("FAILED: noread is not reading its stdin")
            && fault.contains("at most 1048576 may be"),
        "{fault}"
    );
    assert!(accepted >= 1 << 20, "refused after {accepted} bytes");
    assert_eq!(d.info("noread").get("statename"), Some(&s("RUNNING")));
    // Nothing else is held up.
    assert_eq!(d.call("supervisor.getPID", vec![]), Value::Int(d.pid()));
}

/// Checks a medusa access line `localhost:0 - - [05/Dec/2026:05:39:52 +0000] "<request>"
/// <status> <bytes>` (without its log stamp and level); returns the byte count.
#[track_caller]
fn access_bytes(line: &str, request: &str, status: u16) -> usize {
    let rest = line
        .strip_prefix("TRAC localhost:0 - - [")
        .unwrap_or_else(|| panic!("not an access line: {line}"));
    let (date, rest) = rest.split_once("] ").expect("date");
    let (day, zone) = date.split_once(' ').expect("zone");
    assert_eq!(day.len(), "05/Dec/2026:05:39:52".len(), "{line}");
    assert!(
        zone.len() == 5 && (zone.starts_with('+') || zone.starts_with('-')),
        "{line}"
    );
    let tail = rest
        .strip_prefix(&format!("\"{request}\" {status} "))
        .unwrap_or_else(|| panic!("{line}"));
    tail.parse().expect("byte count")
}

#[test]
fn trace_names_methods_and_logs_each_request() {
    let mut d = Sandbox::new("trace");
    d.loglevel = "trace";
    d.write_conf("[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n");
    d.launch();
    // The lines from our first call on (the access line of the last `getState` of
    // `launch` may be written after its answer was read).
    let since = |d: &Sandbox| -> Vec<String> {
        d.main_log()
            .lines()
            .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_string())
            .skip_while(|l| !l.ends_with("called: supervisor.getProcessInfo()"))
            .collect()
    };
    // An answer's access line is written once it is sent: wait until `count` are there.
    let with_access = |count: usize| {
        wait_for(LONG, "the access lines", || {
            let lines = since(&d);
            let n = lines.iter().filter(|l| l.contains(" - - [")).count();
            (n >= count).then_some(lines)
        })
    };
    d.fault("supervisor.getProcessInfo", vec![s("nosuch")], 10);
    let lines = with_access(1);
    assert_eq!(
        lines[..2],
        [
            "TRAC XML-RPC method called: supervisor.getProcessInfo()",
            "TRAC XML-RPC method supervisor.getProcessInfo() returned fault: [10] BAD_NAME: nosuch",
        ]
    );
    assert!(access_bytes(&lines[2], "POST /RPC2 HTTP/1.1", 200) > 0);
    // A waiting answer returned successfully at once; its access line comes with the answer.
    d.call("supervisor.startProcess", vec![s("slow")]);
    let lines = with_access(2);
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {lines:?}"))
    };
    let returned = at("supervisor.startProcess() returned successfully");
    assert!(at("called: supervisor.startProcess") < returned);
    assert!(returned < at("success: slow"), "{lines:?}");
    let access = lines.len() - 1;
    assert!(at("success: slow") < access, "{lines:?}");
    access_bytes(&lines[access], "POST /RPC2 HTTP/1.1", 200);
    // Any request, not only XML-RPC.
    let resp = crate::rawhttp::exchange(&d, b"GET /nosuch?x=1 HTTP/1.0\r\n\r\n");
    assert_eq!(resp.status, 404);
    let lines = wait_for(LONG, "the access line", || {
        let lines = since(&d);
        lines
            .last()
            .is_some_and(|l| l.contains("/nosuch"))
            .then_some(lines)
    });
    let bytes = access_bytes(lines.last().unwrap(), "GET /nosuch?x=1 HTTP/1.0", 404);
    assert!(bytes > resp.body.len(), "{bytes}");
}

#[test]
fn method_help_documents_what_method_signature_says() {
    let d = Sandbox::start("help", "");
    let Value::Array(names) = d.call("system.listMethods", vec![]) else {
        panic!("listMethods is not an array")
    };
    assert!(names.len() > 40);
    for name in names {
        let Value::String(name) = name else {
            panic!("not a name: {name:?}")
        };
        let Value::String(help) = d.call("system.methodHelp", vec![s(&name)]) else {
            panic!("{name}: help is not a string")
        };
        let Value::Array(sig) = d.call("system.methodSignature", vec![s(&name)]) else {
            panic!("{name}: signature is not an array")
        };
        // `@param type name text` for each parameter in order, then `@return type name text`.
        let tags: Vec<Vec<&str>> = help
            .lines()
            .filter(|l| l.trim_start().starts_with('@'))
            .map(|l| l.split_whitespace().collect())
            .collect();
        let mut expected: Vec<(&str, Value)> =
            sig.iter().skip(1).map(|t| ("@param", t.clone())).collect();
        expected.push(("@return", sig[0].clone()));
        let got: Vec<(&str, Value)> = tags.iter().map(|t| (t[0], s(t[1]))).collect();
        assert_eq!(got, expected, "{name}: {help}");
        assert!(tags.iter().all(|t| t.len() >= 4), "{name}: {help}");
    }
}

#[test]
fn an_unwritable_pidfile_is_reported_and_left_alone() {
    let mut d = Sandbox::new("nopid");
    d.write_conf("");
    // A directory where the pidfile should be: it cannot be written (nor is it removed).
    let piddir = d.path("piddir");
    std::fs::create_dir(&piddir).unwrap();
    let text = std::fs::read_to_string(&d.conf).unwrap();
    let old = format!("pidfile={}", p(&d.path("supervisord.pid")));
    std::fs::write(
        &d.conf,
        text.replace(&old, &format!("pidfile={}", p(&piddir))),
    )
    .unwrap();
    d.launch();
    // As the reference: the CRIT line instead of `supervisord started with pid N`.
    assert_eq!(
        lines_with(&d, "pid"),
        [format!("CRIT could not write pidfile {}", p(&piddir))]
    );
    d.call("supervisor.shutdown", vec![]);
    assert_eq!(d.wait_exit(LONG), 0);
    assert!(piddir.is_dir());
}

#[test]
fn shutdown_names_what_is_left_at_once_in_group_order() {
    let mut d = Sandbox::new("todie");
    let stubborn = p(&script(
        &d,
        "stubborn.sh",
        "trap '' TERM\necho trapped\nwhile :; do sleep 0.1; done",
    ));
    d.write_conf(&format!(
        "[program:slow]\ncommand={stubborn}\nstartsecs=0\nstopwaitsecs=1\npriority=2\n\n\
         [program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=1\n\n\
         [program:zz]\ncommand=/bin/sleep 1000\nstartsecs=0\npriority=0\n"
    ));
    d.launch();
    wait_output(&d, "slow", "trapped");
    d.signal(libc::SIGTERM);
    assert_eq!(d.wait_exit(LONG), 0);
    let log = d.main_log();
    let lines: Vec<&str> = log
        .lines()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default())
        .skip_while(|l| !l.starts_with("WARN received SIGTERM"))
        .collect();
    // The highest priority goes first; the report follows its kill, listing every process
    // not yet stopped in (priority, name) order, as the reference's.
    assert!(lines[1].starts_with("DEBG killing slow (pid "), "{log}");
    assert_eq!(lines[2], "INFO waiting for zz, a, slow to die", "{log}");
}

#[test]
fn a_nonroot_daemon_reports_a_foreign_user_as_the_spawn_error() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let d = Sandbox::new("nonroot");
    d.write_conf(
        "[program:u]\ncommand=/bin/sleep 1000\nuser=root\nautostart=false\nstartretries=0\n",
    );
    // The daemon runs as nobody (or as the unprivileged user running the tests).
    std::fs::set_permissions(&d.dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = std::process::Command::new(crate::util::SUPERVISORD);
    cmd.args(["-n", "-c"])
        .arg(&d.conf)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if nix::unistd::geteuid().is_root() {
        cmd.uid(65534).gid(65534);
    }
    let mut daemon = cmd.spawn().expect("run supervisord");
    wait_for(LONG, "supervisord to answer", || {
        d.rpc("supervisor.getPID", vec![]).ok()
    });
    // DIVERGENCE(user=): refused in the parent with the reference's text as the spawn error
    // (the reference forks; its child prints the text to the stderr log and exits 127).
    let fault = d.fault("supervisor.startProcess", vec![s("u")], 50);
    assert_eq!(fault, "SPAWN_ERROR: u");
    let why = "couldn't setuid to 0: Can't drop privilege as nonroot user";
    let info = d.info("u");
    assert_eq!(info.get("statename"), Some(&s("FATAL")));
    assert_eq!(info.get("spawnerr"), Some(&s(why)));
    assert_eq!(info.get("description"), Some(&s(why)));
    assert_eq!(
        lines_with(&d, "spawnerr"),
        [format!("INFO spawnerr: {why}")]
    );
    d.call("supervisor.shutdown", vec![]);
    wait_for(LONG, "supervisord to exit", || {
        daemon.try_wait().ok().flatten()
    });
}
