//! reloadConfig, add/removeProcessGroup, shutdown, restart and `supervisor_rs.update`.

use super::{fault, later, now, s};
use crate::model::fake::{config, Call, Fake};
use crate::process::exit::ExitStatus;
use crate::rpc::faults::FaultCode;
use crate::rpc::Value;
use crate::states::{ProcessState, SupervisorState};

const OLD: &str = "[program:keep]\ncommand=/bin/sh\n\
                   [program:change]\ncommand=/bin/sh\n\
                   [program:gone]\ncommand=/bin/sh\n";

const NEW: &str = "[supervisord]\nlogfile=%(here)s/supervisord.log\nchildlogdir=%(here)s\n\
                   [rpcinterface:supervisor]\n\
                   supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
                   [program:keep]\ncommand=/bin/sh\n\
                   [program:change]\ncommand=/bin/sh -c true\n\
                   [program:fresh]\ncommand=/bin/sh\nautostart=false\n";

fn names(v: &Value) -> Vec<Vec<String>> {
    let outer = v.as_array().unwrap();
    outer[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l.as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn reload_config_reports_added_changed_and_removed_groups() {
    let mut f = Fake::new(OLD);
    f.next_config = Ok(config(&f.dir, NEW));
    let v = now(&mut f, "supervisor.reloadConfig", &[]);
    assert_eq!(names(&v), [vec!["fresh"], vec!["change"], vec!["gone"]]);
    assert_eq!(f.calls, [Call::Reread]);
    f.next_config = Err("Error: bad".into());
    assert_eq!(
        fault(&mut f, "supervisor.reloadConfig", &[]),
        (FaultCode::CantReread, "CANT_REREAD: Error: bad".into())
    );
}

#[test]
fn groups_are_added_and_removed_by_name() {
    let mut f = Fake::new(OLD);
    f.next_config = Ok(config(&f.dir, NEW));
    now(&mut f, "supervisor.reloadConfig", &[]);
    assert_eq!(
        fault(&mut f, "supervisor.addProcessGroup", &[s("nope")]),
        (FaultCode::BadName, "BAD_NAME: nope".into())
    );
    assert_eq!(
        fault(&mut f, "supervisor.addProcessGroup", &[s("keep")]),
        (FaultCode::AlreadyAdded, "ALREADY_ADDED: keep".into())
    );
    assert_eq!(
        now(&mut f, "supervisor.addProcessGroup", &[s("fresh")]),
        Value::Bool(true)
    );
    assert!(f.model.group("fresh").is_some());
    assert_eq!(f.state("fresh"), ProcessState::Stopped, "autostart=false");

    f.run("keep");
    assert_eq!(
        fault(&mut f, "supervisor.removeProcessGroup", &[s("keep")]),
        (FaultCode::StillRunning, "STILL_RUNNING: keep".into())
    );
    assert_eq!(
        now(&mut f, "supervisor.removeProcessGroup", &[s("gone")]),
        Value::Bool(true)
    );
    assert!(f.model.group("gone").is_none());
    assert_eq!(
        fault(&mut f, "supervisor.removeProcessGroup", &[s("gone")]).0,
        FaultCode::BadName
    );
}

#[test]
fn shutdown_and_restart() {
    let mut f = Fake::new(OLD);
    f.next_config = Err("Error: broken".into());
    assert_eq!(
        fault(&mut f, "supervisor.restart", &[]),
        (FaultCode::CantReread, "CANT_REREAD: Error: broken".into())
    );
    assert_eq!(f.model.mood, SupervisorState::Running, "nothing changed");
    assert_eq!(now(&mut f, "supervisor.shutdown", &[]), Value::Bool(true));
    assert_eq!(f.calls, [Call::Restart, Call::Shutdown]);
    assert_eq!(
        fault(&mut f, "supervisor.shutdown", &[]),
        (FaultCode::ShutdownState, "SHUTDOWN_STATE".into())
    );
}

#[test]
fn update_restarts_only_changed_members_once_they_stopped() {
    let group = "[group:g]\nprograms=keep,change,gone\n";
    let mut f = Fake::new(&format!("{OLD}{group}"));
    for name in ["g:keep", "g:change", "g:gone"] {
        f.run(name);
    }
    let keep_pid = f.model.procs[&f.id("g:keep")].machine.pid();
    let new = NEW.replace("autostart=false\n", "") + "[group:g]\nprograms=keep,change,fresh\n";
    f.next_config = Ok(config(&f.dir, &new));
    let mut p = later(&mut f, "supervisor_rs.update", &[Value::Array(vec![])]);
    assert_eq!(f.state("g:change"), ProcessState::Stopping);
    assert_eq!(f.state("g:gone"), ProcessState::Stopping);
    assert_eq!(p.poll(&mut f), None);
    f.reap("g:change", ExitStatus::signalled(libc::SIGTERM));
    assert_eq!(p.poll(&mut f), None, "gone is still stopping");
    f.reap("g:gone", ExitStatus::signalled(libc::SIGTERM));
    let v = p.poll(&mut f).expect("answered").expect("an array");
    let rows: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("name").and_then(Value::as_str).unwrap(),
                r.get("action").and_then(Value::as_str).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("gone", "remove"), ("change", "update"), ("fresh", "add")]
    );
    let members: Vec<&str> = f
        .model
        .group("g")
        .unwrap()
        .procs
        .iter()
        .map(|id| f.model.procs[id].config.name.as_str())
        .collect();
    assert_eq!(members, ["keep", "change", "fresh"]);
    assert_eq!(
        f.model.procs[&f.id("g:keep")].machine.pid(),
        keep_pid,
        "untouched"
    );
    assert_eq!(
        f.state("g:change"),
        ProcessState::Starting,
        "re-created and started"
    );
    assert_eq!(f.state("g:fresh"), ProcessState::Starting);
}

#[test]
fn update_names_unknown_groups_and_stops_when_shutdown_began() {
    let mut f = Fake::new(OLD);
    f.next_config = Ok(config(&f.dir, NEW));
    let mut p = later(
        &mut f,
        "supervisor_rs.update",
        &[Value::Array(vec![s("zz")])],
    );
    let v = p.poll(&mut f).expect("nothing to stop").expect("an array");
    let row = &v.as_array().unwrap()[0];
    assert_eq!(row.get("action"), Some(&s("no_such_group")));
    assert_eq!(
        row.get("status"),
        Some(&Value::Int(FaultCode::BadName.code()))
    );

    f.run("gone");
    let mut p = later(&mut f, "supervisor_rs.update", &[]);
    f.model.mood = SupervisorState::Shutdown;
    f.reap("gone", ExitStatus::signalled(libc::SIGTERM));
    let done = p.poll(&mut f).expect("answered");
    assert_eq!(done.unwrap_err().code, FaultCode::ShutdownState);
    assert!(
        f.model.group("gone").is_some(),
        "the shutdown owns the groups"
    );
    assert_eq!(
        fault(&mut f, "supervisor_rs.update", &[s("all")]).0,
        FaultCode::IncorrectParameters
    );
}
