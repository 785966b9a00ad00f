//! The machine under issue 14's keys, time passed in: ready checks, restart policy,
//! health-driven restarts and failed dependencies.

use std::time::Duration;

use super::tests::{changes, logs, T};
use super::*;
use crate::config::beyond::{Curve, Probe, ReadyCheck};
use ProcessState as S;

fn secs(t: &T, at: Option<Instant>) -> f64 {
    (at.unwrap() - t.t0).as_secs_f64()
}

fn with_check(t: &mut T, check: ReadyCheck, text: &str, timeout: u64) {
    t.cfg.beyond.ready = check;
    t.cfg.beyond.ready_timeout = Duration::from_secs(timeout);
    t.cfg.beyond.given.insert("ready_check".into(), text.into());
}

#[test]
fn each_ready_check_waits_for_ready_instead_of_startsecs() {
    let checks = [
        (ReadyCheck::Notify, "notify"),
        (ReadyCheck::Fd(3), "fd:3"),
        (ReadyCheck::Log("up".into()), "log:up"),
        (
            ReadyCheck::Probe(Probe::Tcp {
                host: "127.0.0.1".into(),
                port: 9,
            }),
            "tcp:127.0.0.1:9",
        ),
        (ReadyCheck::Probe(Probe::Exec("true".into())), "exec:true"),
    ];
    for (check, text) in checks {
        let mut t = T::new();
        with_check(&mut t, check, text, 5);
        t.cfg.startsecs = 0;
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::Spawned { pid: 9 });
        assert_eq!(t.m.state(), S::Starting, "{text}: startsecs=0 is not used");
        assert!(changes(&out).is_empty());
        assert_eq!(secs(&t, t.m.deadline()), 5.0, "{text}: ready_timeout armed");
        let out = t.feed(2.5, Input::Ready);
        assert_eq!(changes(&out), [(S::Starting, S::Running)], "{text}");
        assert_eq!(
            logs(&out),
            [format!(
                "INFO success: p entered RUNNING state, ready check {text} passed"
            )]
        );
        assert_eq!(t.m.deadline(), None);
        assert!(
            t.feed(3.0, Input::Ready).is_empty(),
            "a late Ready is ignored"
        );
    }
}

#[test]
fn ready_with_the_startsecs_check_is_ignored() {
    let mut t = T::new();
    t.feed(0.0, Input::Start);
    t.feed(0.0, Input::Spawned { pid: 9 });
    assert!(t.feed(0.1, Input::Ready).is_empty());
    assert_eq!(t.m.state(), S::Starting);
}

#[test]
fn ready_timeout_kills_then_backoff_with_a_spawnerr_naming_the_check() {
    let mut t = T::new();
    t.cfg.startretries = 0;
    with_check(&mut t, ReadyCheck::Notify, "notify", 3);
    t.feed(0.0, Input::Start);
    t.feed(0.0, Input::Spawned { pid: 9 });
    let out = t.feed(3.0, Input::Deadline);
    assert!(
        changes(&out).is_empty(),
        "STARTING until the child is reaped"
    );
    assert!(out.contains(&Action::Kill {
        pid: 9,
        sig: libc::SIGKILL,
        to_group: false
    }));
    assert_eq!(
        logs(&out),
        ["WARN p: ready check notify failed: not ready within 3 s, killing it"]
    );
    assert!(t.feed(3.01, Input::Ready).is_empty(), "too late");
    let out = t.feed(3.02, Input::Exited(ExitStatus::signalled(9)));
    assert_eq!(
        changes(&out),
        [(S::Starting, S::Backoff), (S::Backoff, S::Fatal)]
    );
    assert_eq!(
        t.m.spawnerr(),
        Some("ready check notify failed: not ready within 3 s")
    );
    // The next start is a plain "too quickly" again.
    t.feed(10.0, Input::Start);
    t.feed(10.0, Input::Spawned { pid: 10 });
    t.feed(10.5, Input::Exited(ExitStatus::exited(1)));
    assert_eq!(
        t.m.spawnerr(),
        Some("Exited too quickly (process log may have details)")
    );
}

#[test]
fn exponential_backoff_capped_spaces_the_retries() {
    let mut t = T::new();
    t.cfg.startretries = 5;
    t.cfg.beyond.restart.backoff = Some(Curve::Exponential);
    t.cfg.beyond.restart.backoff_max = Some(Duration::from_secs(5));
    let mut at = 0.0;
    let mut waits = vec![];
    t.feed(at, Input::Start);
    while t.m.state() != S::Fatal {
        t.feed(at, Input::SpawnFailed("x".into()));
        if t.m.state() == S::Fatal {
            break;
        }
        let next = secs(&t, t.m.deadline());
        waits.push(next - at);
        at = next;
        t.feed(at, Input::Deadline);
    }
    assert_eq!(waits, [1.0, 2.0, 4.0, 5.0, 5.0]);
}

#[test]
fn restart_delay_replaces_the_one_second_pacing() {
    let mut t = T::new();
    t.cfg.autorestart = AutoRestart::Always;
    t.cfg.beyond.restart.restart_delay = Some(Duration::from_millis(2500));
    t.running_at(0.0);
    let out = t.feed(30.0, Input::Exited(ExitStatus::exited(0)));
    assert_eq!(changes(&out), [(S::Running, S::Exited)]);
    assert_eq!(secs(&t, t.m.deadline()), 32.5);
    let out = t.feed(32.5, Input::Deadline);
    assert_eq!(changes(&out), [(S::Exited, S::Starting)]);
}

#[test]
fn backoff_reset_after_grows_the_autorestart_wait_for_quick_runs() {
    let mut t = T::new();
    t.cfg.autorestart = AutoRestart::Always;
    t.cfg.beyond.restart.backoff = Some(Curve::Exponential);
    t.cfg.beyond.restart.backoff_reset_after = Some(Duration::from_secs(60));
    let mut at = 0.0;
    let mut waits = vec![];
    for _ in 0..4 {
        t.running_at(at);
        at += 5.0; // each run lasts 4 s RUNNING: too short to reset
        t.feed(at, Input::Exited(ExitStatus::exited(1)));
        let next = secs(&t, t.m.deadline());
        waits.push(next - at);
        at = next;
        t.feed(at, Input::Deadline);
        t.feed(at, Input::Stop); // back to a clean STOPPED for running_at
        t.feed(at, Input::Exited(ExitStatus::exited(0)));
    }
    // running_at's Start is a manual start, which begins afresh: streak 1 each time.
    assert_eq!(waits, [1.0, 1.0, 1.0, 1.0]);

    // Automatic restarts only: the streak grows.
    let mut t = T::new();
    t.cfg.autorestart = AutoRestart::Always;
    t.cfg.beyond.restart.backoff = Some(Curve::Exponential);
    t.cfg.beyond.restart.backoff_reset_after = Some(Duration::from_secs(60));
    t.running_at(0.0);
    let mut at = 1.0;
    let mut waits = vec![];
    for _ in 0..4 {
        at += 4.0;
        t.feed(at, Input::Exited(ExitStatus::exited(1)));
        let next = secs(&t, t.m.deadline());
        waits.push(next - at);
        at = next;
        t.feed(at, Input::Deadline);
        t.feed(at, Input::Spawned { pid: 7 });
        at += 1.0;
        t.feed(at, Input::Deadline);
        assert_eq!(t.m.state(), S::Running);
    }
    assert_eq!(waits, [1.0, 2.0, 4.0, 8.0]);
    // A run of 60 s resets the streak.
    at += 60.0;
    t.feed(at, Input::Exited(ExitStatus::exited(1)));
    assert_eq!(secs(&t, t.m.deadline()) - at, 1.0);
}

#[test]
fn restart_limit_goes_fatal_on_the_restart_past_it() {
    let mut t = T::new();
    t.cfg.autorestart = AutoRestart::Always;
    t.cfg.startsecs = 0;
    t.cfg.beyond.restart.limit = Some((2, Duration::from_secs(60)));
    t.feed(0.0, Input::Start);
    t.feed(0.0, Input::Spawned { pid: 1 });
    let mut at = 0.0;
    for n in 0..2 {
        at += 5.0;
        let out = t.feed(at, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(
            changes(&out),
            [(S::Running, S::Exited), (S::Exited, S::Starting)],
            "restart {n}"
        );
        t.feed(at, Input::Spawned { pid: 2 + n });
    }
    at += 5.0;
    let out = t.feed(at, Input::Exited(ExitStatus::exited(0)));
    assert_eq!(
        changes(&out),
        [(S::Running, S::Exited), (S::Exited, S::Fatal)]
    );
    assert_eq!(t.m.spawnerr(), Some("restart limit reached"));
    assert_eq!(
        logs(&out).last().map(String::as_str),
        Some("INFO gave up: p entered FATAL state, restart limit reached")
    );
    // A manual start is allowed and begins a new window.
    let out = t.feed(at + 1.0, Input::Start);
    assert_eq!(changes(&out), [(S::Fatal, S::Starting)]);
}

#[test]
fn restart_limit_counts_backoff_retries_too() {
    let mut t = T::new();
    t.cfg.startretries = 10;
    t.cfg.beyond.restart.limit = Some((1, Duration::from_secs(60)));
    t.feed(0.0, Input::Start);
    t.feed(0.0, Input::SpawnFailed("x".into()));
    let out = t.feed(1.0, Input::Deadline);
    assert_eq!(changes(&out), [(S::Backoff, S::Starting)]);
    t.feed(1.0, Input::SpawnFailed("x".into()));
    let out = t.feed(3.0, Input::Deadline);
    assert_eq!(changes(&out), [(S::Backoff, S::Fatal)]);
}

#[test]
fn unhealthy_stops_then_starts_again() {
    let mut t = T::new();
    t.running_at(0.0);
    let out = t.feed(40.0, Input::Unhealthy("health check failed 3 times".into()));
    assert_eq!(changes(&out), [(S::Running, S::Stopping)]);
    assert_eq!(
        logs(&out)[0],
        "WARN restarting p: health check failed 3 times"
    );
    let out = t.feed(40.5, Input::Exited(ExitStatus::signalled(15)));
    assert_eq!(
        changes(&out),
        [(S::Stopping, S::Stopped), (S::Stopped, S::Starting)]
    );
    assert_eq!(out.last(), Some(&Action::Spawn));
}

#[test]
fn a_stop_request_cancels_the_health_restart() {
    let mut t = T::new();
    t.running_at(0.0);
    t.feed(40.0, Input::Unhealthy("x".into()));
    t.feed(40.1, Input::Stop);
    let out = t.feed(40.5, Input::Exited(ExitStatus::signalled(15)));
    assert_eq!(changes(&out), [(S::Stopping, S::Stopped)]);
    assert!(t.feed(41.0, Input::Unhealthy("x".into())).is_empty());
}

#[test]
fn hold_shows_stopped_and_clears_the_old_error() {
    let mut t = T::new();
    t.cfg.startretries = 0;
    t.feed(0.0, Input::Start);
    t.feed(0.0, Input::SpawnFailed("x".into()));
    assert_eq!(t.m.state(), S::Fatal);
    let out = t.feed(1.0, Input::Hold);
    assert_eq!(changes(&out), [(S::Fatal, S::Stopped)]);
    assert_eq!(t.m.spawnerr(), None);
    assert!(t.feed(1.5, Input::Hold).is_empty());
    t.running_at(2.0);
    assert!(
        t.feed(4.0, Input::Hold).is_empty(),
        "a live process is not held"
    );
}

#[test]
fn dependency_failure_is_fatal_with_its_reason() {
    let mut t = T::new();
    let out = t.feed(
        60.0,
        Input::DependencyFailed("dependency a not ready".into()),
    );
    assert_eq!(changes(&out), [(S::Stopped, S::Fatal)]);
    assert_eq!(t.m.spawnerr(), Some("dependency a not ready"));
    t.running_at(70.0);
    assert!(t
        .feed(71.0, Input::DependencyFailed("late".into()))
        .is_empty());
    assert_eq!(t.m.state(), S::Running);
}
