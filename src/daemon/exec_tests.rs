//! The executor's reactions to spawn failures and reaps, on a real reactor with no child:
//! every spawn here fails before the fork, and reaps are delivered by hand.

use crate::daemon::core::{Autostart, Daemon};
use crate::daemon::timers::TimerKey;
use crate::logging::level::Level;
use crate::logging::main_log::{MainLog, MainLogSettings};
use crate::model::fake::config;
use crate::model::ProcId;
use crate::process::exit::ExitStatus;
use crate::process::machine::{Ctx, Input};
use crate::states::ProcessState;

/// A reactor with the one group of `text`, added, nothing started; and its directory.
fn daemon(name: &str, text: &str) -> (Daemon, ProcId, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("exec-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let full = format!("[supervisord]\nchildlogdir=%(here)s\n{text}");
    let cfg = config(&dir, &full);
    let log = MainLog::open(
        &MainLogSettings {
            level: Level::Debug,
            path: Some(dir.join("supervisord.log")),
            maxbytes: 0,
            backups: 0,
            echo: false,
        },
        std::time::SystemTime::UNIX_EPOCH,
    )
    .unwrap();
    let now = crate::clock::Now::read();
    let mut d = Daemon::new(Box::new(|| Err("unused".into())), cfg.clone(), log, now).unwrap();
    let ids = d.add_group(&cfg.groups[0], Autostart::Later);
    (d, ids[0], dir)
}

fn state(d: &Daemon, id: ProcId) -> ProcessState {
    d.model.procs[&id].machine.state()
}

/// The process timers armed, delivered now (the machine does not look at the clock).
fn fire_process_timers(d: &mut Daemon) {
    let mut due = Vec::new();
    d.timers.pop_due(
        crate::clock::after_secs(crate::clock::Now::read().mono, 3600),
        &mut due,
    );
    for key in due {
        if let TimerKey::Process(id, gen) = key {
            d.on_process_timer(id, gen);
        }
    }
}

#[test]
fn a_command_that_cannot_be_found_backs_off_then_gives_up() {
    let (mut d, id, dir) = daemon(
        "nocmd",
        "[program:a]\ncommand=/nonexistent/cmd\nstartretries=2\n",
    );
    d.step(id, Input::Start);
    assert_eq!(state(&d, id), ProcessState::Backoff);
    let spawnerr = d.model.procs[&id].machine.spawnerr().map(str::to_string);
    assert!(
        spawnerr
            .as_deref()
            .is_some_and(|e| e.contains("/nonexistent/cmd")),
        "{spawnerr:?}"
    );
    assert!(d.model.pids.is_empty(), "nothing was forked");
    assert!(d.model.changed.contains(&id));
    // The backoff's retry is armed in the timer heap; it fails the same way: FATAL.
    fire_process_timers(&mut d);
    assert_eq!(state(&d, id), ProcessState::Backoff);
    fire_process_timers(&mut d);
    assert_eq!(state(&d, id), ProcessState::Fatal);
    assert_eq!(d.model.procs[&id].counters.starts, 3);
    let log = std::fs::read_to_string(dir.join("supervisord.log")).unwrap();
    assert!(log.contains("spawnerr: "), "{log}");
    assert!(log.contains("gave up: a entered FATAL state"), "{log}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_directory_is_named_before_forking() {
    let (mut d, id, dir) = daemon(
        "nodir",
        "[program:a]\ncommand=/bin/sh\ndirectory=/nonexistent/dir\n",
    );
    d.step(id, Input::Start);
    assert_eq!(state(&d, id), ProcessState::Backoff);
    assert_eq!(
        d.model.procs[&id].machine.spawnerr(),
        Some("couldn't chdir to /nonexistent/dir: ENOENT")
    );
    assert!(d.model.pids.is_empty());
    // No pipe was left registered.
    assert!(d.sources.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reaped_child_leaves_the_pid_table_and_its_exit_reaches_the_machine() {
    let (mut d, id, dir) = daemon("reap", "[program:a]\ncommand=/bin/sh\nstartsecs=5\n");
    // STARTING with a pid no process can have (pid_max is far lower): no fork, no signal.
    let pid = i32::MAX - 7;
    let p = d.model.procs.get_mut(&id).unwrap();
    let ctx = Ctx {
        cfg: &p.config,
        now: crate::clock::Now::read().mono,
        wall: 0.0,
        auto_allowed: true,
    };
    let mut out = Vec::new();
    p.machine.step(Input::Start, &ctx, &mut out);
    p.machine.step(Input::Spawned { pid }, &ctx, &mut out);
    d.model.pids.insert(pid, id);
    assert_eq!(state(&d, id), ProcessState::Starting);

    d.on_reaped(pid, ExitStatus::exited(1));
    assert!(!d.model.pids.contains_key(&pid));
    assert_eq!(
        state(&d, id),
        ProcessState::Backoff,
        "too quick: not RUNNING"
    );
    assert_eq!(d.model.procs[&id].machine.pid(), 0);
    // A pid nobody knows is only logged.
    d.on_reaped(pid, ExitStatus::exited(0));
    let log = std::fs::read_to_string(dir.join("supervisord.log")).unwrap();
    assert!(
        log.contains("exited: a (exit status 1; not expected)"),
        "{log}"
    );
    assert!(
        log.contains(&format!("reaped unknown pid {pid} (exit status 0)")),
        "{log}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
