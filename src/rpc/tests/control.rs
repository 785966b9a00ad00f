//! start, stop, signal (one, a group, all), stdin, remote communication events.

use super::{fault, later, members, now, s, OK};
use crate::events::pool::Pool;
use crate::events::types::EventType;
use crate::model::fake::{Call, Fake, SpawnOutcome};
use crate::model::StopOrder;
use crate::process::exit::ExitStatus;
use crate::rpc::faults::FaultCode;
use crate::rpc::Value;
use crate::states::{ProcessState, SupervisorState};

const ONE: &str = "[program:a]\ncommand=/bin/sh\nstartsecs=1\n";

/// Group `g` of `x` (priority 1) and `y` (priority 2), and program `z` in a later group.
const GROUPS: &str = "[program:x]\ncommand=/bin/sh\npriority=1\n\
                      [program:y]\ncommand=/bin/sh\npriority=2\n\
                      [group:g]\nprograms=x,y\npriority=10\n\
                      [program:z]\ncommand=/bin/sh\npriority=20\n";

#[test]
fn start_without_wait_answers_true_while_starting() {
    let mut f = Fake::new(ONE);
    let v = now(
        &mut f,
        "supervisor.startProcess",
        &[s("a"), Value::Bool(false)],
    );
    assert_eq!(v, Value::Bool(true));
    assert_eq!(f.state("a"), ProcessState::Starting);
    assert_eq!(f.calls, [Call::Start(f.id("a"))]);
}

#[test]
fn start_with_wait_answers_once_running() {
    let mut f = Fake::new(ONE);
    let mut p = later(&mut f, "supervisor.startProcess", &[s("a")]);
    assert_eq!(p.poll(&mut f), None, "still STARTING");
    f.deadline("a");
    assert_eq!(p.poll(&mut f), Some(Ok(Value::Bool(true))));
}

#[test]
fn start_faults() {
    let mut f = Fake::new(ONE);
    f.run("a");
    assert_eq!(
        fault(&mut f, "supervisor.startProcess", &[s("a")]),
        (FaultCode::AlreadyStarted, "ALREADY_STARTED: a".into())
    );
    assert_eq!(
        fault(&mut f, "supervisor.startProcess", &[s("nope")]),
        (FaultCode::BadName, "BAD_NAME: nope".into())
    );
    assert_eq!(
        fault(&mut f, "supervisor.startProcess", &[]).0,
        FaultCode::IncorrectParameters
    );
    assert_eq!(
        fault(
            &mut f,
            "supervisor.startProcess",
            &[s("a"), Value::Array(vec![])]
        )
        .0,
        FaultCode::IncorrectParameters
    );
    f.model.mood = SupervisorState::Shutdown;
    assert_eq!(
        fault(&mut f, "supervisor.startProcess", &[s("a")]),
        (FaultCode::ShutdownState, "SHUTDOWN_STATE".into())
    );
}

#[test]
fn a_command_that_is_missing_or_not_executable_is_refused_before_any_spawn() {
    let mut f = Fake::new(
        "[program:gone]\ncommand=/nonexistent/program\n\
         [program:plain]\ncommand=%(here)s/plain.txt\n",
    );
    std::fs::write(f.dir.join("plain.txt"), "not a program").unwrap();
    let (code, text) = fault(&mut f, "supervisor.startProcess", &[s("gone")]);
    assert_eq!(code, FaultCode::NoFile);
    assert!(text.contains("/nonexistent/program"), "{text}");
    let (code, _) = fault(&mut f, "supervisor.startProcess", &[s("plain")]);
    assert_eq!(code, FaultCode::NotExecutable);
    assert!(f.calls.is_empty(), "{:?}", f.calls);
    assert_eq!(f.state("gone"), ProcessState::Stopped);
}

#[test]
fn a_failed_spawn_is_spawn_error_and_backoff() {
    let mut f = Fake::new(ONE);
    f.spawn = SpawnOutcome::Fail("couldn't exec /bin/sh: EACCES".into());
    assert_eq!(
        fault(&mut f, "supervisor.startProcess", &[s("a")]),
        (FaultCode::SpawnError, "SPAWN_ERROR: a".into())
    );
    assert_eq!(f.state("a"), ProcessState::Backoff);
    let info = now(&mut f, "supervisor.getProcessInfo", &[s("a")]);
    assert_eq!(
        info.get("spawnerr").and_then(Value::as_str),
        Some("couldn't exec /bin/sh: EACCES")
    );
    assert!(f
        .main_log()
        .contains("spawnerr: couldn't exec /bin/sh: EACCES"));
}

#[test]
fn a_waited_start_that_exits_early_is_spawn_error() {
    let mut f = Fake::new(ONE);
    let mut p = later(&mut f, "supervisor.startProcess", &[s("a")]);
    f.reap("a", ExitStatus::exited(1));
    assert_eq!(f.state("a"), ProcessState::Backoff);
    let done = p.poll(&mut f).expect("answered");
    assert_eq!(done.unwrap_err().fault_string(), "SPAWN_ERROR: a");
    let info = now(&mut f, "supervisor.getProcessInfo", &[s("a")]);
    assert_eq!(
        info.get("spawnerr").and_then(Value::as_str),
        Some("Exited too quickly (process log may have details)")
    );
}

#[test]
fn a_waited_start_stopped_meanwhile_is_abnormal_termination() {
    let mut f = Fake::new(ONE);
    let mut p = later(&mut f, "supervisor.startProcess", &[s("a")]);
    now(
        &mut f,
        "supervisor.stopProcess",
        &[s("a"), Value::Bool(false)],
    );
    let done = p.poll(&mut f).expect("answered");
    assert_eq!(done.unwrap_err().fault_string(), "ABNORMAL_TERMINATION: a");
    // A process gone meanwhile (its group removed) ends the wait the same way.
    let mut p = crate::rpc::pending::Pending::Start {
        id: crate::model::ProcId(999),
        name: "gone".into(),
    };
    assert_eq!(
        p.poll(&mut f).map(|r| r.unwrap_err().code),
        Some(FaultCode::AbnormalTermination)
    );
}

#[test]
fn a_waited_start_whose_retry_fails_to_spawn_is_spawn_error() {
    let mut f = Fake::new(ONE);
    let mut p = later(&mut f, "supervisor.startProcess", &[s("a")]);
    f.spawn = SpawnOutcome::Fail("no more".into());
    f.reap("a", ExitStatus::exited(1));
    f.deadline("a");
    let done = p.poll(&mut f).expect("answered");
    assert_eq!(done.unwrap_err().code, FaultCode::SpawnError);
}

#[test]
fn stop_with_and_without_wait() {
    let mut f = Fake::new(ONE);
    let id = f.id("a");
    assert_eq!(
        fault(&mut f, "supervisor.stopProcess", &[s("a")]),
        (FaultCode::NotRunning, "NOT_RUNNING: a".into())
    );
    f.run("a");
    let pid = f.model.procs[&id].machine.pid();
    let mut p = later(&mut f, "supervisor.stopProcess", &[s("a")]);
    assert!(f
        .calls
        .contains(&Call::Stop(id, StopOrder::AfterDependents)));
    assert!(f.calls.contains(&Call::Kill {
        pid,
        sig: libc::SIGTERM
    }));
    assert_eq!(p.poll(&mut f), None);
    // Polled while STOPPING: the reactor names what it waits for.
    assert_eq!(f.calls.last(), Some(&Call::StopReport(id)));
    f.reap("a", ExitStatus::signalled(libc::SIGTERM));
    assert_eq!(p.poll(&mut f), Some(Ok(Value::Bool(true))));
    assert!(
        p.awaits_stop(id),
        "the answer still names what it waited for"
    );

    f.run("a");
    let v = now(
        &mut f,
        "supervisor.stopProcess",
        &[s("a"), Value::Bool(false)],
    );
    assert_eq!(v, Value::Bool(true));
    assert_eq!(f.state("a"), ProcessState::Stopping);
}

#[test]
fn stopping_a_held_start_cancels_it_and_a_deferred_stop_waits() {
    let mut f = Fake::new(ONE);
    let id = f.id("a");
    f.held.push(id);
    let v = now(&mut f, "supervisor.stopProcess", &[s("a")]);
    assert_eq!(
        v,
        Value::Bool(true),
        "not NOT_RUNNING: the held start is cancelled"
    );
    assert_eq!(f.calls, [Call::CancelWait(id)]);

    f.run("a");
    f.deferred.push(id);
    let mut p = later(&mut f, "supervisor.stopProcess", &[s("a")]);
    assert_eq!(
        f.state("a"),
        ProcessState::Running,
        "deferred, not signalled"
    );
    assert!(p.awaits_stop(id));
    assert_eq!(p.poll(&mut f), None);
    let v = now(
        &mut f,
        "supervisor.stopProcess",
        &[s("a"), Value::Bool(false)],
    );
    assert_eq!(v, Value::Bool(true));
}

#[test]
fn group_and_all_starts_answer_in_processing_order() {
    let mut f = Fake::new(GROUPS);
    let v = now(
        &mut f,
        "supervisor.startProcessGroup",
        &[s("g"), Value::Bool(false)],
    );
    assert_eq!(members(&v), [("x".into(), OK), ("y".into(), OK)]);
    assert_eq!(
        fault(&mut f, "supervisor.startProcessGroup", &[s("nope")]),
        (FaultCode::BadName, "BAD_NAME: nope".into())
    );
    // Only what is not running is started.
    let v = now(
        &mut f,
        "supervisor.startAllProcesses",
        &[Value::Bool(false)],
    );
    assert_eq!(members(&v), [("z".into(), OK)]);
}

#[test]
fn a_waited_group_start_lists_members_in_order_whatever_finishes_first() {
    let mut f = Fake::new(GROUPS);
    let mut p = later(&mut f, "supervisor.startProcessGroup", &[s("g")]);
    f.deadline("g:y");
    assert_eq!(p.poll(&mut f), None, "x still STARTING");
    f.reap("g:x", ExitStatus::exited(3));
    let v = p.poll(&mut f).expect("answered").expect("an array");
    let rows = members(&v);
    assert_eq!(
        rows,
        [("x".into(), FaultCode::SpawnError.code()), ("y".into(), OK)]
    );
    let desc = v.as_array().unwrap()[0].get("description").cloned();
    assert_eq!(desc, Some(Value::String("SPAWN_ERROR: g:x".into())));
}

#[test]
fn all_starts_report_spawn_errors_per_process() {
    let mut f = Fake::new(GROUPS);
    f.spawn = SpawnOutcome::Fail("nope".into());
    let v = now(
        &mut f,
        "supervisor.startAllProcesses",
        &[Value::Bool(false)],
    );
    let spawn_error = FaultCode::SpawnError.code();
    assert_eq!(
        members(&v),
        [
            ("x".into(), spawn_error),
            ("y".into(), spawn_error),
            ("z".into(), spawn_error)
        ]
    );
}

#[test]
fn all_stops_go_highest_priority_first_and_wait_for_each() {
    let mut f = Fake::new(GROUPS);
    for name in ["g:x", "g:y", "z"] {
        f.run(name);
    }
    let pids: Vec<i32> = ["z", "g:y", "g:x"]
        .iter()
        .map(|n| f.model.procs[&f.id(n)].machine.pid())
        .collect();
    let mut p = later(&mut f, "supervisor.stopAllProcesses", &[]);
    let kills: Vec<i32> = f
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::Kill { pid, .. } => Some(*pid),
            _ => None,
        })
        .collect();
    assert_eq!(kills, pids, "z (20), then y (10/2), then x (10/1)");
    f.reap("g:x", ExitStatus::signalled(libc::SIGTERM));
    f.reap("z", ExitStatus::signalled(libc::SIGTERM));
    assert_eq!(p.poll(&mut f), None, "y still stopping");
    f.reap("g:y", ExitStatus::signalled(libc::SIGTERM));
    let v = p.poll(&mut f).expect("answered").expect("an array");
    assert_eq!(
        members(&v),
        [("z".into(), OK), ("y".into(), OK), ("x".into(), OK)]
    );
    // Nothing runs: an empty answer at once.
    let v = now(&mut f, "supervisor.stopProcessGroup", &[s("g")]);
    assert_eq!(members(&v), []);
}

#[test]
fn signals_by_name_or_number_to_running_processes() {
    let mut f = Fake::new(GROUPS);
    let x = f.id("g:x");
    assert_eq!(
        fault(&mut f, "supervisor.signalProcess", &[s("g:x"), s("HUP")]),
        (FaultCode::NotRunning, "NOT_RUNNING: g:x".into())
    );
    f.run("g:x");
    for sig in [s("HUP"), s("SIGHUP"), s("1"), Value::Int(1)] {
        let v = now(&mut f, "supervisor.signalProcess", &[s("g:x"), sig]);
        assert_eq!(v, Value::Bool(true));
    }
    assert_eq!(
        f.calls.iter().filter(|c| **c == Call::Signal(x, 1)).count(),
        4
    );
    assert_eq!(
        fault(&mut f, "supervisor.signalProcess", &[s("g:x"), s("NOPE")]),
        (FaultCode::BadSignal, "BAD_SIGNAL: NOPE".into())
    );
    // A group: only the signallable ones are listed.
    let v = now(
        &mut f,
        "supervisor.signalProcessGroup",
        &[s("g"), s("USR1")],
    );
    assert_eq!(members(&v), [("x".into(), OK)]);
    let v = now(&mut f, "supervisor.signalAllProcesses", &[s("USR1")]);
    assert_eq!(members(&v), [("x".into(), OK)]);
    // An unexpected kill error: FAILED with its text, and the process is UNKNOWN.
    f.signal_result = Err("unknown problem sending sig x (1000):EPERM".into());
    let (code, text) = fault(&mut f, "supervisor.signalProcess", &[s("g:x"), s("HUP")]);
    assert_eq!(code, FaultCode::Failed);
    assert!(text.ends_with("EPERM"), "{text}");
    assert_eq!(f.state("g:x"), ProcessState::Unknown);
}

#[test]
fn stdin_needs_a_live_process_with_an_open_stdin_and_is_bounded() {
    let mut f = Fake::new(ONE);
    let stdin = |f: &mut Fake, text: &str| {
        crate::rpc::table::call(f, "supervisor.sendProcessStdin", &[s("a"), s(text)])
    };
    assert_eq!(
        stdin(&mut f, "hi").unwrap_err().fault_string(),
        "NOT_RUNNING: a"
    );
    f.run("a");
    assert_eq!(
        stdin(&mut f, "hi").unwrap_err().fault_string(),
        "NO_FILE: a"
    );
    f.open_stdin("a");
    assert!(matches!(
        stdin(&mut f, "hi\n"),
        Ok(crate::rpc::Reply::Now(Value::Bool(true)))
    ));
    assert_eq!(f.model.stdin_backlog(f.id("a")), Some(3));
    let big = "x".repeat(1 << 20);
    let refused = stdin(&mut f, &big).unwrap_err();
    assert_eq!(refused.code, FaultCode::Failed);
    assert!(refused.fault_string().contains("not reading its stdin"));
    assert_eq!(
        fault(
            &mut f,
            "supervisor.sendProcessStdin",
            &[s("a"), Value::Int(1)]
        ),
        (
            FaultCode::IncorrectParameters,
            "INCORRECT_PARAMETERS: 1".into()
        )
    );
}

#[test]
fn remote_comm_events_reach_subscribed_pools_even_while_stopping() {
    let mut f = Fake::new(ONE);
    f.model
        .events
        .add_pool(Pool::new("p", vec![EventType::RemoteCommunication], 10));
    f.model.mood = SupervisorState::Shutdown;
    let v = now(
        &mut f,
        "supervisor.sendRemoteCommEvent",
        &[s("kind"), s("data")],
    );
    assert_eq!(v, Value::Bool(true));
    assert_eq!(f.model.events.pool("p").map(Pool::len), Some(1));
    assert!(f.model.dispatch_pending);
}
