//! `update` per process (D11): `supervisor_rs.update` restarts only the members that
//! changed, and the pids of every other process stay the same. Our supervisorctl falls back
//! to the reference algorithm on a daemon without the method, and the stock supervisorctl
//! gets the reference's behaviour from ours (those two run Supervisor 4.3 itself:
//! `make reference` installs it).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use supervisor::rpc::Value;

use crate::util::{int, reference, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(15);

fn prog(name: &str, secs: u32) -> String {
    format!("[program:{name}]\ncommand=/bin/sleep {secs}\nstartsecs=0\n")
}

fn workers(n: u32) -> String {
    format!(
        "[program:w]\ncommand=/bin/sleep 1010\nstartsecs=0\nnumprocs={n}\n\
         process_name=%(program_name)s_%(process_num)d\n"
    )
}

/// namespec → pid of every process, once all are RUNNING.
fn pids(d: &Sandbox) -> BTreeMap<String, i64> {
    wait_for(T, "every process RUNNING", || {
        let Value::Array(all) = d.call("supervisor.getAllProcessInfo", vec![]) else {
            panic!("not an array");
        };
        let mut pids = BTreeMap::new();
        for info in &all {
            let Value::Struct(info) = info else { panic!() };
            if text(info, "statename") != "RUNNING" {
                return None;
            }
            let spec = format!("{}:{}", text(info, "group"), text(info, "name"));
            pids.insert(spec, int(info, "pid"));
        }
        Some(pids)
    })
}

/// Asserts that exactly `restarted` (plus the new `added`) have a new pid.
#[track_caller]
fn check(
    before: &BTreeMap<String, i64>,
    after: &BTreeMap<String, i64>,
    restarted: &[&str],
    added: &[&str],
) {
    for (spec, pid) in after {
        match before.get(spec) {
            None => assert!(added.contains(&spec.as_str()), "unexpected new {spec}"),
            Some(old) if restarted.contains(&spec.as_str()) => {
                assert_ne!(old, pid, "{spec} should have restarted")
            }
            Some(old) => assert_eq!(old, pid, "{spec} must keep its pid"),
        }
    }
    for spec in added {
        assert!(after.contains_key(*spec), "{spec} missing");
    }
}

#[track_caller]
fn update(d: &Sandbox, ctl: Option<&std::path::Path>, want: &str) {
    let out = match ctl {
        None => d.ctl(&["update"]),
        Some(bin) => {
            let out = Command::new(bin)
                .arg("-c")
                .arg(&d.conf)
                .arg("update")
                .stdin(Stdio::null())
                .output()
                .expect("run the reference supervisorctl");
            crate::util::CtlOutput {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
    };
    assert_eq!((out.stdout.as_str(), out.code), (want, 0), "{}", out.stderr);
}

#[test]
fn surgical_update_keeps_untouched_pids() {
    let base = |a: u32| {
        format!(
            "{}{}{}[group:g]\nprograms=a,b\n{}",
            prog("a", a),
            prog("b", 1001),
            prog("other", 1002),
            workers(4)
        )
    };
    let d = Sandbox::start("upd", &base(1000));
    let p0 = pids(&d);
    assert_eq!(p0.len(), 7);

    // One member of a group changed: only it restarts.
    d.write_conf(&base(1003));
    update(&d, None, "g:a: stopped\ng:a: updated process\n");
    let p1 = pids(&d);
    check(&p0, &p1, &["g:a"], &[]);

    // numprocs 4 → 6: two start, none is touched.
    d.write_conf(&base(1003).replace("numprocs=4", "numprocs=6"));
    update(&d, None, "w:w_4: added process\nw:w_5: added process\n");
    let p2 = pids(&d);
    check(&p1, &p2, &[], &["w:w_4", "w:w_5"]);

    // A group that only gained a program keeps its running members.
    let grown = base(1003)
        .replace("numprocs=4", "numprocs=6")
        .replace("programs=a,b", "programs=a,b,c")
        + &prog("c", 1004);
    d.write_conf(&grown);
    update(&d, None, "g:c: added process\n");
    let p3 = pids(&d);
    check(&p2, &p3, &[], &["g:c"]);

    // A removed member is stopped and dropped; numprocs 6 → 5 drops w_5.
    d.write_conf(&base(1003).replace("numprocs=4", "numprocs=5"));
    update(
        &d,
        None,
        "g:c: stopped\ng:c: removed process\nw:w_5: stopped\nw:w_5: removed process\n",
    );
    let p4 = pids(&d);
    assert!(!p4.contains_key("g:c") && !p4.contains_key("w:w_5"));
    check(&p3, &p4, &[], &[]);

    // Nothing changed: nothing printed, nothing touched.
    update(&d, None, "");
    check(&p4, &pids(&d), &[], &[]);

    // The method is listed and documented.
    let Value::Array(methods) = d.call("system.listMethods", vec![]) else {
        panic!()
    };
    assert!(methods.contains(&Value::String("supervisor_rs.update".into())));
    let help = d.call(
        "system.methodHelp",
        vec![Value::String("supervisor_rs.update".into())],
    );
    assert!(matches!(help, Value::String(h) if h.contains("@return")));
}

#[test]
fn whole_group_changes_keep_the_reference_lines() {
    let d = Sandbox::start(
        "updw",
        &format!(
            "{}{}{}",
            prog("old", 1000),
            prog("chg", 1001),
            prog("foo", 1002)
        ),
    );
    let p0 = pids(&d);
    d.write_conf(&format!(
        "{}{}{}",
        prog("chg", 1005),
        prog("foo", 1002),
        prog("new", 1003)
    ));
    update(
        &d,
        None,
        "old: stopped\nold: removed process group\nchg: stopped\nchg: updated process group\n\
         new: added process group\n",
    );
    let p1 = pids(&d);
    check(&p0, &p1, &["chg:chg"], &["new:new"]);
    assert!(!p1.contains_key("old:old"));
}

/// The reference supervisord on a sandbox's configuration, stopped on drop.
struct RefDaemon(Child);

impl Drop for RefDaemon {
    fn drop(&mut self) {
        let _ = supervisor::sys::kill(self.0.id() as i32, libc::SIGTERM);
        let _ = wait_for(T, "the reference daemon to exit", || {
            self.0.try_wait().ok().flatten()
        });
    }
}

#[test]
fn our_ctl_falls_back_on_the_reference_daemon() {
    let Some(ref_supervisord) = reference("supervisord") else {
        return;
    };
    let mut d = Sandbox::new("updref");
    let conf = |a: u32| {
        format!(
            "{}{}{}[group:g]\nprograms=a,b\n",
            prog("a", a),
            prog("b", 1001),
            prog("other", 1002)
        )
    };
    d.write_conf(&conf(1000));
    let child = Command::new(ref_supervisord)
        .args(["-n", "-c"])
        .arg(&d.conf)
        .current_dir(&d.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the reference supervisord");
    let _guard = RefDaemon(child);
    d.wait_ready();
    let p0 = pids(&d);
    d.write_conf(&conf(1003));
    // The reference algorithm: the whole group is replaced, other groups untouched.
    update(&d, None, "g: stopped\ng: updated process group\n");
    check(&p0, &pids(&d), &["g:a", "g:b"], &[]);
}

#[test]
fn stock_ctl_gets_the_reference_update_from_our_daemon() {
    let Some(ref_supervisorctl) = reference("supervisorctl") else {
        return;
    };
    let conf = |a: u32| {
        format!(
            "{}{}{}[group:g]\nprograms=a,b\n",
            prog("a", a),
            prog("b", 1001),
            prog("other", 1002)
        )
    };
    let d = Sandbox::start("updstock", &conf(1000));
    let p0 = pids(&d);
    d.write_conf(&conf(1003));
    update(
        &d,
        Some(&ref_supervisorctl),
        "g: stopped\ng: updated process group\n",
    );
    check(&p0, &pids(&d), &["g:a", "g:b"], &[]);
}
