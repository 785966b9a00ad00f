//! Issue 14's start dependencies against the real daemon: a dependent spawned right after
//! its dependency is ready (each ready_check), timeouts, waiting starts, stop order,
//! config errors, and status answering while 100 programs wait.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use supervisor::rpc::Value;

use crate::need_python;
use crate::readiness::{free_port, helper, log_line, log_ms, sandbox, stamps};
use crate::util::{p, s, script, text, wait_for, Sandbox, SUPERVISORCTL, SUPERVISORD};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn dependents_spawn_right_after_each_kind_of_ready() {
    need_python!();
    let mut d = sandbox("dready");
    let (p1, p2) = (free_port(), free_port());
    let flag = p(&d.path("flag"));
    // (name, ready_check, helper args): each becomes ready 1 s after its spawn.
    let kinds = [
        ("notify", "notify".to_string(), "notify 1".to_string()),
        ("fd", "fd:3".into(), "fd 1 3".into()),
        ("tcp", format!("tcp:127.0.0.1:{p1}"), format!("tcp 1 {p1}")),
        (
            "http",
            format!("http://127.0.0.1:{p2}/"),
            format!("http 1 {p2}"),
        ),
        ("log", "log:listening".into(), "log 1".into()),
        (
            "exec",
            format!("exec:test -e {flag}"),
            format!("file 1 {flag}"),
        ),
    ];
    let mut conf = String::new();
    for (kind, check, args) in &kinds {
        let dep = format!("a_{kind}");
        let user = format!("b_{kind}");
        conf.push_str(&format!(
            "[program:{dep}]\ncommand={}\nready_check={check}\nready_timeout=20\n\n\
             [program:{user}]\ncommand={}\nstartsecs=0\ndepends_on={dep}\n\n",
            helper(&d, &dep, args),
            helper(&d, &user, "never 0"),
        ));
    }
    d.write_conf(&conf);
    d.launch();
    let info = d.info("b_notify");
    if stamps(&d, "a_notify", "ready").is_empty() {
        assert_eq!(text(&info, "statename"), "STOPPED");
        assert_eq!(text(&info, "description"), "waiting for a_notify (ready)");
        assert_eq!(text(&info, "waiting_for"), "a_notify (ready)");
    }
    for (kind, check, _) in &kinds {
        let (dep, user) = (format!("a_{kind}"), format!("b_{kind}"));
        d.wait_state(&user, "RUNNING", LONG);
        let ready = stamps(&d, &dep, "ready");
        // startsecs=0: RUNNING at once, the helper stamps a little later.
        let spawned = wait_for(LONG, "the dependent's stamp", || {
            Some(stamps(&d, &user, "spawn")).filter(|v| !v.is_empty())
        });
        assert!(
            spawned[0] >= ready[0],
            "{check}: {user} spawned at {} before {dep} was ready at {}",
            spawned[0],
            ready[0]
        );
        let running = log_ms(&log_line(
            &d,
            &format!("success: {dep} entered RUNNING state"),
        ));
        let spawn = log_ms(&log_line(&d, &format!("spawned: '{user}'")));
        assert!(
            (0..=50).contains(&(spawn - running)),
            "{check}: {user} spawned {} ms after {dep} was ready",
            spawn - running
        );
    }
}

#[test]
fn a_dependency_that_never_comes_makes_the_start_fatal() {
    let mut d = Sandbox::new("dtimeout");
    d.write_conf(
        "[program:a]\ncommand=sleep 60\nautostart=false\n\n\
         [program:b]\ncommand=sleep 60\ndepends_on=a@running\ndepends_on_timeout=1\n",
    );
    let started = Instant::now();
    d.launch();
    let info = d.wait_state("b", "FATAL", LONG);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(text(&info, "spawnerr"), "dependency a not running");
    assert_eq!(text(&info, "description"), "dependency a not running");
    assert!(d
        .main_log()
        .contains("gave up: b entered FATAL state, dependency a not running"));
}

#[test]
fn exited_condition_waits_for_an_expected_exit() {
    let mut d = Sandbox::new("dexited");
    let out = p(&d.path("order"));
    let init = p(&script(
        &d,
        "init.sh",
        &format!("sleep 0.5\necho init >> {out}\nexit 0"),
    ));
    let app = p(&script(
        &d,
        "app.sh",
        &format!("echo app >> {out}\nexec sleep 60"),
    ));
    d.write_conf(&format!(
        "[program:init]\ncommand={init}\nstartsecs=0\nautorestart=false\n\n\
         [program:app]\ncommand={app}\ndepends_on=init@exited\n"
    ));
    d.launch();
    d.wait_state("app", "RUNNING", LONG);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "init\napp\n");
}

#[test]
fn start_with_wait_answers_once_the_dependency_is_ready() {
    let mut d = Sandbox::new("dwait");
    d.write_conf(
        "[program:a]\ncommand=sleep 60\nautostart=false\nstartsecs=1\n\n\
         [program:b]\ncommand=sleep 60\nautostart=false\nstartsecs=0\ndepends_on=a\n",
    );
    d.launch();
    let ctl = Command::new(SUPERVISORCTL)
        .arg("-c")
        .arg(&d.conf)
        .args(["start", "b"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(LONG, "b to wait", || {
        (text(&d.info("b"), "description") == "waiting for a (ready)").then_some(())
    });
    // The daemon answers others meanwhile.
    let t = Instant::now();
    assert_eq!(text(&d.info("a"), "statename"), "STOPPED");
    assert!(t.elapsed() < Duration::from_secs(1));
    d.call("supervisor.startProcess", vec![s("a"), Value::Bool(false)]);
    let out = ctl.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "b: started\n");
    assert_eq!(text(&d.info("b"), "statename"), "RUNNING");
    assert_eq!(text(&d.info("a"), "statename"), "RUNNING");
}

#[test]
fn stopping_a_waiting_start_cancels_it() {
    let mut d = Sandbox::new("dcancel");
    d.write_conf(
        "[program:a]\ncommand=sleep 60\nautostart=false\n\n\
         [program:b]\ncommand=sleep 60\ndepends_on=a\n",
    );
    d.launch();
    wait_for(LONG, "b to wait", || {
        d.info("b").contains_key("waiting_for").then_some(())
    });
    assert_eq!(
        d.call("supervisor.stopProcess", vec![s("b")]),
        Value::Bool(true)
    );
    let info = d.info("b");
    assert!(!info.contains_key("waiting_for"));
    assert_eq!(text(&info, "description"), "Not started");
    d.call("supervisor.startProcess", vec![s("a")]);
    // Waiters start in the turn their dependency becomes RUNNING: b would be up by now.
    d.wait_state("a", "RUNNING", LONG);
    assert_eq!(
        text(&d.info("b"), "statename"),
        "STOPPED",
        "not started later"
    );
}

#[test]
fn groups_and_numprocs_members_are_all_waited_for() {
    let mut d = Sandbox::new("dgroups");
    d.write_conf(
        "[program:w]\ncommand=sleep 60\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)s\n\
         startsecs=1\n\n\
         [program:x]\ncommand=sleep 60\nstartsecs=2\n[program:y]\ncommand=sleep 60\nstartsecs=0\n\
         [group:g]\nprograms=x,y\n\n\
         [program:top]\ncommand=sleep 60\nstartsecs=0\ndepends_on=w, g:*\n",
    );
    d.launch();
    let info = d.wait_state("top", "RUNNING", LONG);
    let started = |name: &str| -> i64 { crate::util::int(&d.info(name), "start") };
    let _ = info;
    let log = d.main_log();
    let pos = |needle: &str| log.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let top = pos("spawned: 'top'");
    for dep in [
        "w_0 entered RUNNING",
        "w_1 entered RUNNING",
        "x entered RUNNING",
        "y entered RUNNING",
    ] {
        assert!(pos(dep) < top, "{dep} after top spawned");
    }
    assert!(started("top") >= started("g:x"));
}

#[test]
fn shutdown_stops_dependents_first() {
    let mut d = Sandbox::new("dstop");
    // By priority and name `zdb` would stop first; `app` depends on it.
    d.write_conf(
        "[program:zdb]\ncommand=sleep 60\nstartsecs=0\n\n\
         [program:app]\ncommand=sleep 60\nstartsecs=0\ndepends_on=zdb\n",
    );
    d.launch();
    d.wait_state("app", "RUNNING", LONG);
    d.signal(libc::SIGTERM);
    d.wait_exit(LONG);
    let log = d.main_log();
    let app = log.find("stopped: app").unwrap();
    let db = log.find("stopped: zdb").unwrap();
    assert!(app < db, "{log}");
    let kill_db = log.find("killing zdb").unwrap();
    assert!(app < kill_db, "zdb is signalled only after app stopped");
}

#[test]
fn cycles_and_unknown_names_are_config_errors() {
    let mut d = Sandbox::new("dcycle");
    d.write_conf("[program:a]\ncommand=sleep 60\n");
    d.launch();
    let check = |sections: &str| -> (Option<i32>, String) {
        d.write_conf(sections);
        let out = Command::new(SUPERVISORD)
            .arg("--check-config")
            .arg("-c")
            .arg(&d.conf)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = check(
        "[program:a]\ncommand=sleep 60\ndepends_on=b\n[program:b]\ncommand=sleep 60\ndepends_on=a\n",
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("dependency cycle: a -> b -> a"), "{out}");
    let fault = d.fault("supervisor.reloadConfig", vec![], 92);
    assert!(fault.contains("dependency cycle: a -> b -> a"), "{fault}");
    let (code, out) = check("[program:a]\ncommand=sleep 60\ndepends_on=nope\n");
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("a: depends_on names unknown program or group nope"),
        "{out}"
    );
}

#[test]
fn status_answers_fast_while_100_programs_wait() {
    let mut d = Sandbox::new("d100");
    d.loglevel = "info";
    let mut conf = String::from("[program:dep]\ncommand=sleep 60\nautostart=false\n\n");
    for i in 0..100 {
        conf.push_str(&format!(
            "[program:w{i:03}]\ncommand=sleep 60\ndepends_on=dep\ndepends_on_timeout=600\n\n"
        ));
    }
    d.write_conf(&conf);
    d.launch();
    wait_for(LONG, "100 waiting", || {
        let all = d.call("supervisor.getAllProcessInfo", vec![]);
        let Value::Array(items) = all else {
            return None;
        };
        let n = items
            .iter()
            .filter(|i| matches!(i, Value::Struct(m) if m.contains_key("waiting_for")))
            .count();
        (n == 100).then_some(())
    });
    // The daemon's answer time, measured with a raw client (the test's XML-RPC client
    // parses slowly in a debug build): the best of 20 round trips on a loaded machine.
    let body = "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getAllProcessInfo\
                </methodName><params></params></methodCall>";
    let request = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = crate::rawhttp::Client::connect(&d);
    let best = (0..20)
        .map(|_| {
            let t = Instant::now();
            client.send(request.as_bytes());
            let r = client.response();
            let took = t.elapsed();
            assert_eq!(r.status, 200);
            assert_eq!(r.text().matches("waiting for dep (ready)").count(), 100);
            took
        })
        .min()
        .unwrap();
    assert!(
        best <= Duration::from_millis(5),
        "getAllProcessInfo took {best:?}"
    );
    let status = d.ctl(&["status"]);
    let waiting = status
        .stdout
        .lines()
        .filter(|l| l.contains("STOPPED") && l.ends_with("waiting for dep (ready)"))
        .count();
    assert_eq!(waiting, 100, "{}", status.stdout);
    // All 100 start in the turn the dependency is ready.
    d.call("supervisor.startProcess", vec![s("dep")]);
    wait_for(LONG, "100 running", || {
        let all = d.call("supervisor.getAllProcessInfo", vec![]);
        let Value::Array(items) = all else {
            return None;
        };
        let n = items
            .iter()
            .filter(|i| matches!(i, Value::Struct(m) if m.get("statename") == Some(&s("RUNNING"))))
            .count();
        (n == 101).then_some(())
    });
}

#[test]
fn shutdown_stops_dependents_first_within_a_group() {
    let mut d = Sandbox::new("dstopg");
    // In one group every member would be signalled at once; `app` depends on `db`.
    d.write_conf(
        "[program:db]\ncommand=sleep 60\nstartsecs=0\n\n\
         [program:app]\ncommand=sleep 60\nstartsecs=0\ndepends_on=g:db\n\n\
         [group:g]\nprograms=db,app\n",
    );
    d.launch();
    d.wait_state("g:app", "RUNNING", LONG);
    d.signal(libc::SIGTERM);
    d.wait_exit(LONG);
    let log = d.main_log();
    let app = log.find("stopped: app").unwrap();
    let kill_db = log.find("killing db").unwrap();
    assert!(app < kill_db, "{log}");
}

#[test]
fn stop_calls_stop_dependents_first() {
    // By priority `db` would stop first; `app` depends on it. `app` takes a while to stop,
    // so `db` must not be signalled before `app` is gone.
    let mut d = Sandbox::new("dstoprpc");
    let slow = crate::util::trap_script(
        &d,
        "slow.sh",
        "trap 'sleep 1; exit 0' TERM",
        "while :; do sleep 0.1; done",
    );
    d.write_conf(&format!(
        "[program:db]\ncommand=sleep 60\nstartsecs=0\npriority=999\n\n\
         [program:app]\ncommand={}\nstartsecs=0\npriority=1\ndepends_on=g:db\n\n\
         [group:g]\nprograms=db,app\n",
        p(&slow)
    ));
    d.launch();
    d.wait_state("g:app", "RUNNING", LONG);
    d.wait_trapped("slow.sh");
    for (method, params) in [
        ("supervisor.stopAllProcesses", vec![]),
        ("supervisor.stopProcessGroup", vec![s("g")]),
    ] {
        d.wait_state("g:app", "RUNNING", LONG);
        let results = d.call(method, params);
        let Value::Array(results) = results else {
            panic!("{method}: {results:?}")
        };
        let names: Vec<&str> = results
            .iter()
            .map(|r| match r {
                Value::Struct(m) => m.get("name").and_then(Value::as_str).unwrap_or(""),
                _ => "",
            })
            .collect();
        assert_eq!(names, ["app", "db"], "{method}: processing order");
        let log = d.main_log();
        let app = log.rfind("stopped: app").unwrap();
        let db = log.rfind("stopped: db").unwrap();
        assert!(app < db, "{method}: {log}");
        assert_eq!(text(&d.info("g:db"), "statename"), "STOPPED");
        // Start both again for the next call.
        std::fs::remove_file(d.path("slow.sh.trapped")).unwrap();
        d.call("supervisor.startProcessGroup", vec![s("g")]);
        d.wait_trapped("slow.sh");
    }
}
