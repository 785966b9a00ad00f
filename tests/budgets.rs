//! Decisions D5, D9 and D10 under abuse: absurd deadlines, crash loops and SIGHUP storms
//! (the HTTP budgets are in `budgets_http`).

use std::time::{Duration, Instant};

use crate::util::{alive, int, s, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(15);
/// A Python integer far beyond 64 bits: the reference accepts it (STARTING forever).
const HUGE: &str = "99999999999999999999";

fn pid_of(d: &Sandbox, name: &str) -> i32 {
    int(&d.wait_state(name, "RUNNING", T), "pid") as i32
}

/// The daemon is still the same live process and answers.
#[track_caller]
fn still_up(d: &mut Sandbox) {
    assert!(
        matches!(d.daemon().try_wait(), Ok(None)),
        "supervisord died"
    );
    d.call("supervisor.getPID", vec![]);
}

#[test]
fn absurd_startsecs_and_stopwaitsecs_never_kill_the_daemon() {
    let absurd =
        format!("[program:slow]\ncommand=/bin/sleep 1000\nstartsecs={HUGE}\nstopwaitsecs={HUGE}\n");
    // At start-up: STARTING for ever, as the reference; stopping still works.
    let mut d = Sandbox::start("huge", &absurd);
    wait_for(T, "slow to be spawned", || {
        (int(&d.info("slow"), "pid") != 0).then_some(())
    });
    assert_eq!(text(&d.info("slow"), "statename"), "STARTING");
    d.call("supervisor.stopProcess", vec![s("slow")]);
    assert_eq!(text(&d.info("slow"), "statename"), "STOPPED");
    still_up(&mut d);
    drop(d);

    // The same values arriving by `update` and by SIGHUP in a running daemon.
    let sane = "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n";
    let mut d = Sandbox::start("hugeup", sane);
    let keep = pid_of(&d, "keep");
    d.write_conf(&format!("{sane}{absurd}"));
    let out = d.ctl(&["update"]);
    assert_eq!(out.code, 0, "{out:?}");
    wait_for(T, "slow to be spawned", || {
        (int(&d.info("slow"), "pid") != 0).then_some(())
    });
    still_up(&mut d);
    d.write_conf(&format!(
        "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs={HUGE}\nstopwaitsecs={HUGE}\n{absurd}"
    ));
    d.signal(libc::SIGHUP);
    wait_for(T, "the reload", || (!alive(keep)).then_some(()));
    d.wait_ready();
    still_up(&mut d);
    wait_for(T, "keep to be spawned again", || {
        (int(&d.info("keep"), "pid") != 0).then_some(())
    });
    assert_eq!(text(&d.info("keep"), "statename"), "STARTING");
    still_up(&mut d);
}

/// Lines of the activity log that contain `needle`.
fn count(d: &Sandbox, needle: &str) -> usize {
    d.main_log().matches(needle).count()
}

#[test]
fn a_program_that_exits_at_once_is_restarted_once_a_second() {
    let mut d = Sandbox::start(
        "storm",
        "[program:flap]\ncommand=/bin/true\nstartsecs=0\nautorestart=true\n",
    );
    wait_for(T, "the first spawn", || {
        (count(&d, "spawned: 'flap'") > 0).then_some(())
    });
    let t0 = Instant::now();
    let first = count(&d, "spawned: 'flap'");
    wait_for(T, "2.5 s to pass", || {
        (t0.elapsed() >= Duration::from_millis(2500)).then_some(())
    });
    let spawns = count(&d, "spawned: 'flap'") - first;
    // D10: one restart per second after the previous spawn (the reference's rate); before
    // the fix this was hundreds.
    assert!((1..=4).contains(&spawns), "{spawns} spawns in 2.5 s");
    assert!(count(&d, "exited: flap") >= spawns);
    still_up(&mut d);
}

#[test]
fn a_sighup_storm_is_merged_into_at_most_two_reloads() {
    let mut d = Sandbox::start(
        "hupstorm",
        "[program:keep]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    pid_of(&d, "keep");
    let before = count(&d, "spawned: 'keep'");
    let t0 = Instant::now();
    for _ in 0..100 {
        d.signal(libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = t0.elapsed();
    // Each reload stops `keep` and spawns it again; wait until the storm has settled.
    wait_for(T, "the reloads to settle", || {
        let n = count(&d, "spawned: 'keep'");
        (d.rpc("supervisor.getState", vec![]).is_ok()
            && t0.elapsed() > sent + Duration::from_millis(1500)
            && count(&d, "spawned: 'keep'") == n
            && d.info("keep").get("statename") == Some(&s("RUNNING")))
        .then_some(())
    });
    let reloads = count(&d, "spawned: 'keep'") - before;
    // D10: one reload at once, then at most one per second for the rest (two when they all
    // came within a second; the sender may be slowed down on a loaded machine).
    let most = 1 + sent.as_secs_f64().ceil() as usize;
    assert!(
        (1..=most).contains(&reloads),
        "{reloads} reloads for 100 SIGHUPs in {sent:?}"
    );
    still_up(&mut d);
}
