//! The per-process state machine, pure (reference §3.2).
//!
//! Owns one process's state, retry counter, pid, deadline and the values `getProcessInfo`
//! shows. It never reads a clock, forks, signals or logs: time arrives in [`Ctx`], results of
//! syscalls arrive as [`Input`]s, and everything it wants done is pushed as an [`Action`] for
//! the executor. Mirrors Supervisor's `process.py` `Subprocess` (`spawn`, `finish`, `kill`,
//! `transition`, `change_state`), minus its clock polling: every timed rule is a deadline the
//! reactor schedules (`deadline()`).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{Duration, Instant};

use crate::clock::{after, after_secs};
use crate::config::beyond::ReadyCheck;
use crate::config::{AutoRestart, ProcessConfig};
use crate::logging::level::Level;
use crate::process::exit::ExitStatus;
use crate::process::policy::{self, RestartWindow};
use crate::signame::signame;
use crate::states::ProcessState;

/// Something that happened to the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A start request (RPC, supervisorctl, or the model's autostart).
    Start,
    /// A stop request: signal with `stopsignal`, or give up waiting in BACKOFF.
    Stop,
    /// Shutdown found the process in BACKOFF: give up instead of retrying.
    GiveUp,
    /// The executor forked the child.
    Spawned { pid: i32 },
    /// The executor could not start the child; the text is the `spawnerr`.
    SpawnFailed(String),
    /// The child was reaped (its output already drained).
    Exited(ExitStatus),
    /// The deadline from [`Machine::deadline`] passed.
    Deadline,
    /// Signalling failed with something other than ESRCH: the text describes it.
    SignalFailed(String),
    /// The `ready_check` passed: STARTING becomes RUNNING.
    Ready,
    /// The health check failed `healthcheck_retries` times with `healthcheck_action=restart`;
    /// the text says why.
    Unhealthy(String),
    /// A start waited on its dependencies in vain: FATAL with this spawnerr.
    DependencyFailed(String),
    /// A start waits for its dependencies: STOPPED meanwhile, a pending retry cancelled.
    Hold,
}

/// What the executor must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Fork and exec the child now, then feed back `Spawned` or `SpawnFailed`.
    Spawn,
    /// Send `sig` to the pid, or to its process group.
    Kill {
        pid: i32,
        sig: i32,
        to_group: bool,
    },
    Log(Level, String),
    /// The state changed: emit the PROCESS_STATE event and wake waiters.
    Changed(Change),
}

/// One state transition with the values its PROCESS_STATE event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: ProcessState,
    pub to: ProcessState,
    /// The pid of the (possibly dying) process, 0 if none.
    pub pid: i32,
    /// The retry counter at the moment of the change.
    pub tries: u32,
    /// For EXITED: whether the exit status is in `exitcodes`.
    pub expected: bool,
}

/// An autorestart from EXITED comes no sooner than this after the previous spawn (D10): the
/// reference's observable rate, which keeps a crash-at-once program from a fork storm.
pub const RESTART_GAP: Duration = Duration::from_secs(1);

/// Everything a step may read besides the machine itself.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub cfg: &'a ProcessConfig,
    pub now: Instant,
    /// Wall-clock seconds since the epoch, only for the values shown to users.
    pub wall: f64,
    /// False while supervisord shuts down or restarts: no automatic (re)starts.
    pub auto_allowed: bool,
}

/// The state machine of one process.
#[derive(Debug, Clone)]
pub struct Machine {
    state: ProcessState,
    pid: i32,
    backoff: u32,
    deadline_at: Option<Instant>,
    /// Monotonic time of the last spawn attempt, for [`RESTART_GAP`].
    spawned_at: Option<Instant>,
    laststart: f64,
    laststop: f64,
    spawnerr: Option<String>,
    exitstatus: Option<i32>,
    /// Quick runs in a row, for `backoff_reset_after` (issue 14).
    streak: u32,
    /// When the process last became RUNNING.
    running_since: Option<Instant>,
    /// Automatic restarts within `restart_limit`'s window.
    window: RestartWindow,
    /// Why a start failed while the child still lives (a ready check timed out): the
    /// spawnerr once it is reaped.
    fail_reason: Option<String>,
    /// Start again once the stop completes (`healthcheck_action=restart`).
    restart_pending: bool,
}

impl Default for Machine {
    fn default() -> Self {
        Machine::new()
    }
}

impl Machine {
    pub fn new() -> Machine {
        Machine {
            state: ProcessState::Stopped,
            pid: 0,
            backoff: 0,
            deadline_at: None,
            spawned_at: None,
            laststart: 0.0,
            laststop: 0.0,
            spawnerr: None,
            exitstatus: None,
            streak: 0,
            running_since: None,
            window: RestartWindow::default(),
            fail_reason: None,
            restart_pending: false,
        }
    }

    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// The live child's pid, 0 when there is none (not yet reaped counts as live).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// When the machine next wants [`Input::Deadline`]: startsecs in STARTING, the retry in
    /// BACKOFF, the SIGKILL escalation in STOPPING, a paced autorestart in EXITED.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline_at
    }

    pub fn spawnerr(&self) -> Option<&str> {
        self.spawnerr.as_deref()
    }

    /// The last exit status (-1 after a death by signal); `None` before any exit and after an
    /// exit too quick to count.
    pub fn exitstatus(&self) -> Option<i32> {
        self.exitstatus
    }

    /// Wall-clock time of the last spawn attempt, 0 if never started.
    pub fn laststart(&self) -> f64 {
        self.laststart
    }

    /// Wall-clock time of the last exit, 0 if never stopped.
    pub fn laststop(&self) -> f64 {
        self.laststop
    }

    /// Feeds one input; pushes the resulting actions onto `out`.
    pub fn step(&mut self, input: Input, ctx: &Ctx, out: &mut Vec<Action>) {
        use ProcessState as S;
        match (self.state, input) {
            // Start: from any state without a live child; otherwise a no-op.
            (S::Stopped | S::Exited | S::Fatal | S::Backoff | S::Unknown, Input::Start)
                if self.pid == 0 =>
            {
                // A start asked for begins afresh: the restart limit counts automatic ones.
                self.window.clear();
                self.streak = 0;
                self.begin_spawn(ctx, out)
            }
            (_, Input::Start) => out.push(Action::Log(
                Level::Warn,
                format!("process '{}' already running", ctx.cfg.name),
            )),

            (S::Starting | S::Running, Input::Stop) => {
                self.restart_pending = false;
                self.signal_stop(ctx, out)
            }
            (S::Backoff, Input::Stop) => {
                out.push(Action::Log(
                    Level::Debug,
                    format!(
                        "Attempted to kill {}, which is in BACKOFF state.",
                        ctx.cfg.name
                    ),
                ));
                self.deadline_at = None;
                self.set_state(S::Stopped, false, out);
            }
            // A stop asked for during a health restart's stop cancels the restart.
            (S::Stopping, Input::Stop) => self.restart_pending = false,
            (S::Stopped | S::Exited | S::Fatal | S::Unknown, Input::Stop) => {}

            (S::Backoff, Input::GiveUp) => {
                self.backoff = 0;
                self.deadline_at = None;
                self.set_state(S::Fatal, false, out);
            }
            (
                S::Stopped
                | S::Starting
                | S::Running
                | S::Stopping
                | S::Exited
                | S::Fatal
                | S::Unknown,
                Input::GiveUp,
            ) => {}

            (S::Starting, Input::Spawned { pid }) => {
                self.pid = pid;
                out.push(Action::Log(
                    Level::Info,
                    format!("spawned: '{}' with pid {pid}", ctx.cfg.name),
                ));
                if ctx.cfg.beyond.ready != ReadyCheck::Startsecs {
                    // The check decides; not ready in time is a failed start.
                    self.deadline_at = Some(after(ctx.now, ctx.cfg.beyond.ready_timeout));
                } else if ctx.cfg.startsecs <= 0 {
                    // DIVERGENCE(Q19): with startsecs=0 the process is RUNNING at spawn.
                    self.enter_running(ctx, out);
                } else {
                    self.deadline_at = Some(later(ctx.now, ctx.cfg.startsecs));
                }
            }
            (S::Starting, Input::SpawnFailed(msg)) => {
                let why = Action::Log(Level::Info, format!("spawnerr: {msg}"));
                self.spawnerr = Some(msg);
                self.enter_backoff(why, ctx, out);
            }
            (
                S::Stopped
                | S::Running
                | S::Backoff
                | S::Stopping
                | S::Exited
                | S::Fatal
                | S::Unknown,
                input @ (Input::Spawned { .. } | Input::SpawnFailed(_)),
            ) => self.cant_happen(&input, ctx, out),

            (S::Starting | S::Running | S::Stopping | S::Unknown, Input::Exited(status)) => {
                self.finish(status, ctx, out)
            }
            (S::Stopped | S::Backoff | S::Exited | S::Fatal, input @ Input::Exited(_)) => {
                self.cant_happen(&input, ctx, out)
            }

            (S::Starting, Input::Deadline) if self.fail_reason.is_some() => {
                self.deadline_at = None;
            }
            (S::Starting, Input::Deadline) if ctx.cfg.beyond.ready != ReadyCheck::Startsecs => {
                self.ready_timed_out(ctx, out)
            }
            (S::Starting, Input::Deadline) => self.enter_running(ctx, out),
            (S::Backoff, Input::Deadline) => {
                self.deadline_at = None;
                if ctx.auto_allowed {
                    self.auto_spawn(ctx, out);
                }
            }
            (S::Stopping, Input::Deadline) => {
                out.push(Action::Log(
                    Level::Warn,
                    format!("killing '{}' ({}) with SIGKILL", ctx.cfg.name, self.pid),
                ));
                self.send_kill(libc::SIGKILL, ctx.cfg.killasgroup, ctx, out);
                // With stopwaitsecs <= 0 a repeated SIGKILL waits a second (the reference's
                // idle loop pace) instead of spinning until the child is reaped.
                if ctx.cfg.stopwaitsecs <= 0 {
                    self.deadline_at = Some(later(ctx.now, 1));
                }
            }
            (S::Exited, Input::Deadline) => {
                // The paced autorestart (D10); a shutdown or restart in between cancels it.
                self.deadline_at = None;
                if ctx.auto_allowed {
                    self.auto_spawn(ctx, out);
                }
            }
            (S::Stopped | S::Running | S::Fatal | S::Unknown, Input::Deadline) => {
                self.deadline_at = None;
            }

            (S::Starting | S::Running | S::Stopping, Input::SignalFailed(msg)) => {
                out.push(Action::Log(Level::Critical, msg));
                self.deadline_at = None;
                self.set_state(S::Unknown, false, out);
            }
            (
                S::Stopped | S::Backoff | S::Exited | S::Fatal | S::Unknown,
                Input::SignalFailed(msg),
            ) => out.push(Action::Log(Level::Critical, msg)),

            (S::Starting, Input::Ready)
                if self.fail_reason.is_none() && ctx.cfg.beyond.ready != ReadyCheck::Startsecs =>
            {
                self.enter_running(ctx, out)
            }
            (_, Input::Ready) => {}

            (S::Running, Input::Unhealthy(why)) => {
                out.push(Action::Log(
                    Level::Warn,
                    format!("restarting {}: {why}", ctx.cfg.name),
                ));
                self.restart_pending = true;
                self.signal_stop(ctx, out);
            }
            (_, Input::Unhealthy(_)) => {}

            (S::Stopped | S::Exited | S::Fatal | S::Backoff, Input::DependencyFailed(why))
                if self.pid == 0 =>
            {
                out.push(Action::Log(
                    Level::Info,
                    format!("gave up: {} entered FATAL state, {why}", ctx.cfg.name),
                ));
                self.spawnerr = Some(why);
                self.deadline_at = None;
                self.set_state(S::Fatal, false, out);
            }
            (_, Input::DependencyFailed(_)) => {}

            (S::Stopped | S::Exited | S::Fatal | S::Backoff, Input::Hold) if self.pid == 0 => {
                self.spawnerr = None;
                self.deadline_at = None;
                self.set_state(S::Stopped, false, out);
            }
            (_, Input::Hold) => {}
        }
    }

    /// An automatic (re)start: spawns unless `restart_limit` is reached, then FATAL.
    fn auto_spawn(&mut self, ctx: &Ctx, out: &mut Vec<Action>) {
        if self.window.allow(ctx.cfg.beyond.restart.limit, ctx.now) {
            self.begin_spawn(ctx, out);
            return;
        }
        self.backoff = 0;
        self.deadline_at = None;
        self.spawnerr = Some("restart limit reached".into());
        self.set_state(ProcessState::Fatal, false, out);
        out.push(Action::Log(
            Level::Info,
            format!(
                "gave up: {} entered FATAL state, restart limit reached",
                ctx.cfg.name
            ),
        ));
    }

    /// `ready_timeout` passed in STARTING: the start failed. The child is killed; its exit
    /// then counts as the failed start, with `fail_reason` as spawnerr.
    fn ready_timed_out(&mut self, ctx: &Ctx, out: &mut Vec<Action>) {
        let check = ctx
            .cfg
            .beyond
            .given
            .get("ready_check")
            .map_or("?", String::as_str);
        let why = format!(
            "ready check {check} failed: not ready within {} s",
            ctx.cfg.beyond.ready_timeout.as_secs_f64()
        );
        out.push(Action::Log(
            Level::Warn,
            format!("{}: {why}, killing it", ctx.cfg.name),
        ));
        self.fail_reason = Some(why);
        self.deadline_at = None;
        out.push(Action::Kill {
            pid: self.pid,
            sig: libc::SIGKILL,
            to_group: ctx.cfg.killasgroup,
        });
    }

    /// → STARTING and ask for a fork (Supervisor's `spawn` up to the fork).
    fn begin_spawn(&mut self, ctx: &Ctx, out: &mut Vec<Action>) {
        self.spawnerr = None;
        self.exitstatus = None;
        self.fail_reason = None;
        self.restart_pending = false;
        self.laststart = ctx.wall;
        self.spawned_at = Some(ctx.now);
        self.deadline_at = None;
        self.set_state(ProcessState::Starting, false, out);
        out.push(Action::Spawn);
    }

    fn enter_running(&mut self, ctx: &Ctx, out: &mut Vec<Action>) {
        // With backoff_reset_after the count resets only after that long RUNNING (at exit).
        if ctx.cfg.beyond.restart.backoff_reset_after.is_none() {
            self.backoff = 0;
        }
        self.deadline_at = None;
        self.running_since = Some(ctx.now);
        self.set_state(ProcessState::Running, false, out);
        let text = match ctx.cfg.beyond.given.get("ready_check") {
            Some(check) if ctx.cfg.beyond.ready != ReadyCheck::Startsecs => format!(
                "success: {} entered RUNNING state, ready check {check} passed",
                ctx.cfg.name
            ),
            _ => format!(
                "success: {} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
                ctx.cfg.name, ctx.cfg.startsecs
            ),
        };
        out.push(Action::Log(Level::Info, text));
    }

    /// → BACKOFF with the next retry `backoff` seconds away; `why` is logged right after the
    /// change. Supervisor gives up on its next turn when the retries are used up; we do it at
    /// once, so BACKOFF is followed by FATAL in the same step.
    fn enter_backoff(&mut self, why: Action, ctx: &Ctx, out: &mut Vec<Action>) {
        self.backoff = self.backoff.saturating_add(1);
        let wait = policy::retry_delay(&ctx.cfg.beyond.restart, self.backoff);
        self.deadline_at = Some(after(ctx.now, wait));
        self.set_state(ProcessState::Backoff, false, out);
        out.push(why);
        if i64::from(self.backoff) > ctx.cfg.startretries {
            self.backoff = 0;
            self.deadline_at = None;
            self.set_state(ProcessState::Fatal, false, out);
            out.push(Action::Log(
                Level::Info,
                format!(
                    "gave up: {} entered FATAL state, too many start retries too quickly",
                    ctx.cfg.name
                ),
            ));
        }
    }

    fn signal_stop(&mut self, ctx: &Ctx, out: &mut Vec<Action>) {
        self.send_kill(ctx.cfg.stopsignal, ctx.cfg.stopasgroup, ctx, out);
    }

    /// Supervisor's `kill`: → STOPPING, signal, and arm the SIGKILL deadline.
    fn send_kill(&mut self, sig: i32, to_group: bool, ctx: &Ctx, out: &mut Vec<Action>) {
        let as_group = if to_group { "process group " } else { "" };
        out.push(Action::Log(
            Level::Debug,
            format!(
                "killing {} (pid {}) {as_group}with signal {}",
                ctx.cfg.name,
                self.pid,
                signame(sig)
            ),
        ));
        self.deadline_at = Some(later(ctx.now, ctx.cfg.stopwaitsecs));
        self.set_state(ProcessState::Stopping, false, out);
        out.push(Action::Kill {
            pid: self.pid,
            sig,
            to_group,
        });
    }

    /// Supervisor's `finish`: the child was reaped.
    fn finish(&mut self, status: ExitStatus, ctx: &Ctx, out: &mut Vec<Action>) {
        use ProcessState as S;
        self.laststop = ctx.wall;
        let expected = ctx.cfg.exitcodes.contains(&status.code);
        self.deadline_at = None;
        match self.state {
            S::Stopping | S::Unknown => {
                // COMPAT(Q28): an exit while stopping is STOPPED, whatever the status.
                self.exitstatus = Some(status.code);
                self.set_state(S::Stopped, false, out);
                let level = if expected { Level::Info } else { Level::Warn };
                out.push(Action::Log(
                    level,
                    format!("stopped: {} ({})", ctx.cfg.name, status.text),
                ));
                // healthcheck_action=restart: the stop was the first half.
                if std::mem::take(&mut self.restart_pending) && ctx.auto_allowed {
                    self.pid = 0;
                    self.auto_spawn(ctx, out);
                }
            }
            // DIVERGENCE(Q1): any exit before the process was promoted to RUNNING is "too
            // quick", even when it is reaped just after startsecs elapsed (a busy or late
            // turn): a process is never seen RUNNING then EXITED at once.
            S::Starting => {
                self.exitstatus = None;
                self.spawnerr =
                    Some(self.fail_reason.take().unwrap_or_else(|| {
                        "Exited too quickly (process log may have details)".into()
                    }));
                let why = Action::Log(
                    Level::Warn,
                    format!("exited: {} ({}; not expected)", ctx.cfg.name, status.text),
                );
                self.enter_backoff(why, ctx, out);
            }
            S::Running | S::Stopped | S::Backoff | S::Exited | S::Fatal => {
                let ran = self
                    .running_since
                    .map_or(Duration::ZERO, |t| ctx.now.saturating_duration_since(t));
                if policy::run_resets(&ctx.cfg.beyond.restart, ran) {
                    self.backoff = 0;
                    self.streak = 0;
                }
                self.exitstatus = Some(status.code);
                if expected {
                    self.set_state(S::Exited, true, out);
                    out.push(Action::Log(
                        Level::Info,
                        format!("exited: {} ({}; expected)", ctx.cfg.name, status.text),
                    ));
                } else {
                    self.spawnerr = Some(format!("Bad exit code {}", status.code));
                    self.set_state(S::Exited, false, out);
                    out.push(Action::Log(
                        Level::Warn,
                        format!("exited: {} ({}; not expected)", ctx.cfg.name, status.text),
                    ));
                }
                self.pid = 0;
                let restart = match ctx.cfg.autorestart {
                    AutoRestart::Always => true,
                    AutoRestart::Unexpected => !expected,
                    AutoRestart::Never => false,
                };
                if restart && ctx.auto_allowed {
                    self.streak = self.streak.saturating_add(1);
                    let at = match policy::autorestart_delay(&ctx.cfg.beyond.restart, self.streak) {
                        Some(wait) => Some(after(ctx.now, wait)),
                        // DIVERGENCE(D10): not sooner than RESTART_GAP after the last spawn.
                        None => self.spawned_at.map(|t| after(t, RESTART_GAP)),
                    };
                    match at {
                        Some(at) if at > ctx.now => self.deadline_at = Some(at),
                        _ => self.auto_spawn(ctx, out),
                    }
                }
            }
        }
        self.pid = 0;
    }

    /// The only writer of `state`: pushes the change for events and waiters.
    fn set_state(&mut self, to: ProcessState, expected: bool, out: &mut Vec<Action>) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        let pid = if to == ProcessState::Stopped && from == ProcessState::Backoff {
            0
        } else {
            self.pid
        };
        out.push(Action::Changed(Change {
            from,
            to,
            pid,
            tries: self.backoff,
            expected,
        }));
    }

    fn cant_happen(&self, input: &Input, ctx: &Ctx, out: &mut Vec<Action>) {
        out.push(Action::Log(
            Level::Critical,
            format!(
                "can't happen: {} got {:?} in state {}",
                ctx.cfg.name, input, self.state
            ),
        ));
    }
}

/// `secs` after `now` for a configured wait: a negative value is no wait (as the
/// reference), a huge one saturates at a far future instead of overflowing.
fn later(now: Instant, secs: i64) -> Instant {
    after_secs(now, u64::try_from(secs).unwrap_or(0))
}

// Issue 14's rules (readiness, restart policy, health, dependencies).
#[cfg(test)]
#[path = "machine_beyond_tests.rs"]
mod beyond_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ChannelConfig, LogTarget};
    use std::collections::BTreeMap;
    use ProcessState as S;

    fn channel() -> ChannelConfig {
        ChannelConfig {
            logfile: LogTarget::None,
            logfile_maxbytes: 0,
            logfile_backups: 0,
            capture_maxbytes: 0,
            events_enabled: false,
            syslog: false,
            rotate: None,
        }
    }

    pub(super) fn cfg() -> ProcessConfig {
        ProcessConfig {
            name: "p".into(),
            program: "p".into(),
            command: "/bin/true".into(),
            priority: 999,
            autostart: true,
            startsecs: 1,
            startretries: 3,
            autorestart: AutoRestart::Unexpected,
            exitcodes: vec![0],
            stopsignal: libc::SIGTERM,
            stopwaitsecs: 10,
            stopasgroup: false,
            killasgroup: false,
            user: None,
            redirect_stderr: false,
            stdout: channel(),
            stderr: channel(),
            environment: BTreeMap::new(),
            directory: None,
            umask: None,
            serverurl: None,
            fcgi: None,
            beyond: Default::default(),
        }
    }

    pub(super) struct T {
        pub(super) m: Machine,
        pub(super) cfg: ProcessConfig,
        pub(super) t0: Instant,
        pub(super) auto: bool,
    }

    impl T {
        pub(super) fn new() -> T {
            T {
                m: Machine::new(),
                cfg: cfg(),
                t0: Instant::now(),
                auto: true,
            }
        }

        #[track_caller]
        pub(super) fn feed(&mut self, at: f64, input: Input) -> Vec<Action> {
            let now = self.t0 + Duration::from_secs_f64(at);
            let ctx = Ctx {
                cfg: &self.cfg,
                now,
                wall: 1000.0 + at,
                auto_allowed: self.auto,
            };
            let mut out = Vec::new();
            self.m.step(input, &ctx, &mut out);
            out
        }

        /// Start and spawn with pid 100 at `at`.
        pub(super) fn running_at(&mut self, at: f64) {
            self.feed(at, Input::Start);
            self.feed(at, Input::Spawned { pid: 100 });
            self.feed(at + self.cfg.startsecs as f64, Input::Deadline);
            assert_eq!(self.m.state(), S::Running);
        }
    }

    pub(super) fn changes(actions: &[Action]) -> Vec<(S, S)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Changed(c) => Some((c.from, c.to)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn logs(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Log(l, t) => Some(format!("{} {t}", l.code())),
                _ => None,
            })
            .collect()
    }

    // ---- STOPPED ----

    #[test]
    fn stopped_start_goes_starting_and_spawns() {
        let mut t = T::new();
        let out = t.feed(0.0, Input::Start);
        assert_eq!(changes(&out), [(S::Stopped, S::Starting)]);
        assert_eq!(out.last(), Some(&Action::Spawn));
        assert_eq!(t.m.laststart(), 1000.0);
    }

    #[test]
    fn stopped_stop_does_nothing() {
        let mut t = T::new();
        assert!(t.feed(0.0, Input::Stop).is_empty());
    }

    // ---- STARTING ----

    #[test]
    fn starting_spawned_logs_and_arms_startsecs() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::Spawned { pid: 42 });
        assert_eq!(logs(&out), ["INFO spawned: 'p' with pid 42"]);
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs(1)));
        assert_eq!(t.m.pid(), 42);
    }

    #[test]
    fn absurd_startsecs_and_stopwaitsecs_clamp_their_deadlines_instead_of_panicking() {
        // `Instant + Duration::from_secs(u64::MAX)` panics; the deadlines are clamped far ahead.
        let mut t = T::new();
        t.cfg.startsecs = i64::MAX;
        t.cfg.stopwaitsecs = i64::MAX;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let far = t.t0 + Duration::from_secs(50 * 365 * 24 * 3600);
        assert!(t.m.deadline().is_some_and(|d| d > far));
        t.feed(1.0, Input::Stop);
        assert_eq!(t.m.state(), S::Stopping);
        assert!(t.m.deadline().is_some_and(|d| d > far));
    }

    #[test]
    fn starting_deadline_goes_running() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let out = t.feed(1.0, Input::Deadline);
        assert_eq!(changes(&out), [(S::Starting, S::Running)]);
        assert_eq!(
            logs(&out),
            ["INFO success: p entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"]
        );
        assert_eq!(t.m.deadline(), None);
    }

    #[test]
    fn starting_with_startsecs_zero_is_running_at_spawn() {
        let mut t = T::new();
        t.cfg.startsecs = 0;
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::Spawned { pid: 42 });
        assert_eq!(changes(&out), [(S::Starting, S::Running)]);
    }

    #[test]
    fn starting_exit_before_startsecs_goes_backoff() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let out = t.feed(0.2, Input::Exited(ExitStatus::exited(1)));
        assert_eq!(changes(&out), [(S::Starting, S::Backoff)]);
        assert_eq!(logs(&out), ["WARN exited: p (exit status 1; not expected)"]);
        assert_eq!(
            t.m.spawnerr(),
            Some("Exited too quickly (process log may have details)")
        );
        assert_eq!(t.m.exitstatus(), None);
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs_f64(1.2)));
        match &out[0] {
            Action::Changed(c) => assert_eq!((c.pid, c.tries), (42, 1)),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.m.pid(), 0);
    }

    #[test]
    fn starting_quick_expected_exit_still_goes_backoff() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let out = t.feed(0.1, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(changes(&out), [(S::Starting, S::Backoff)]);
        assert_eq!(logs(&out), ["WARN exited: p (exit status 0; not expected)"]);
    }

    #[test]
    fn starting_exit_reaped_after_startsecs_before_the_deadline_still_goes_backoff() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Never;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let out = t.feed(1.5, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(changes(&out), [(S::Starting, S::Backoff)]);
        assert_eq!(logs(&out), ["WARN exited: p (exit status 0; not expected)"]);
    }

    #[test]
    fn starting_spawn_failure_goes_backoff_with_spawnerr() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::SpawnFailed("can't find command 'x'".into()));
        assert_eq!(changes(&out), [(S::Starting, S::Backoff)]);
        assert_eq!(logs(&out), ["INFO spawnerr: can't find command 'x'"]);
        assert_eq!(t.m.spawnerr(), Some("can't find command 'x'"));
    }

    #[test]
    fn starting_stop_signals_and_goes_stopping() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 42 });
        let out = t.feed(0.5, Input::Stop);
        assert_eq!(changes(&out), [(S::Starting, S::Stopping)]);
        assert!(out.contains(&Action::Kill {
            pid: 42,
            sig: libc::SIGTERM,
            to_group: false
        }));
        assert_eq!(logs(&out), ["DEBG killing p (pid 42) with signal SIGTERM"]);
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs_f64(10.5)));
    }

    // ---- RUNNING ----

    #[test]
    fn running_expected_exit_goes_exited_without_restart() {
        let mut t = T::new();
        t.running_at(0.0);
        let out = t.feed(5.0, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(changes(&out), [(S::Running, S::Exited)]);
        assert_eq!(t.m.exitstatus(), Some(0));
        match &out[0] {
            Action::Changed(c) => assert!(c.expected && c.pid == 100),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn running_unexpected_exit_restarts_with_autorestart_unexpected() {
        let mut t = T::new();
        t.running_at(0.0);
        let out = t.feed(5.0, Input::Exited(ExitStatus::exited(3)));
        assert_eq!(
            changes(&out),
            [(S::Running, S::Exited), (S::Exited, S::Starting)]
        );
        assert_eq!(logs(&out), ["WARN exited: p (exit status 3; not expected)"]);
        assert_eq!(out.last(), Some(&Action::Spawn));
        assert_eq!(t.m.spawnerr(), None, "a new spawn clears spawnerr");
    }

    #[test]
    fn running_exit_keeps_spawnerr_without_restart() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Never;
        t.running_at(0.0);
        t.feed(5.0, Input::Exited(ExitStatus::exited(3)));
        assert_eq!(t.m.spawnerr(), Some("Bad exit code 3"));
        assert_eq!(t.m.exitstatus(), Some(3));
        assert_eq!(t.m.laststop(), 1005.0);
    }

    #[test]
    fn running_exit_restarts_always_with_autorestart_true() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Always;
        t.running_at(0.0);
        let out = t.feed(5.0, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(
            changes(&out),
            [(S::Running, S::Exited), (S::Exited, S::Starting)]
        );
    }

    #[test]
    fn autorestart_waits_a_second_after_the_previous_spawn() {
        let mut t = T::new();
        t.cfg.startsecs = 0;
        t.cfg.autorestart = AutoRestart::Always;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 100 });
        assert_eq!(t.m.state(), S::Running);
        let out = t.feed(0.25, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(changes(&out), [(S::Running, S::Exited)]);
        assert!(!out.contains(&Action::Spawn));
        assert_eq!(t.m.deadline(), Some(t.t0 + RESTART_GAP));
        let out = t.feed(1.0, Input::Deadline);
        assert_eq!(changes(&out), [(S::Exited, S::Starting)]);
        assert_eq!(out.last(), Some(&Action::Spawn));
    }

    #[test]
    fn paced_autorestart_is_cancelled_by_a_shutdown() {
        let mut t = T::new();
        t.cfg.startsecs = 0;
        t.cfg.autorestart = AutoRestart::Always;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 100 });
        t.feed(0.1, Input::Exited(ExitStatus::exited(0)));
        t.auto = false;
        assert!(changes(&t.feed(1.0, Input::Deadline)).is_empty());
        assert_eq!(t.m.state(), S::Exited);
        assert_eq!(t.m.deadline(), None);
    }

    #[test]
    fn absurd_startsecs_and_stopwaitsecs_do_not_overflow() {
        let mut t = T::new();
        t.cfg.startsecs = i64::MAX;
        t.cfg.stopwaitsecs = i64::MAX;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::Spawned { pid: 100 });
        assert_eq!(t.m.deadline(), Some(t.t0 + crate::clock::FAR));
        t.feed(1.0, Input::Stop);
        assert_eq!(t.m.state(), S::Stopping);
        assert!(t.m.deadline().is_some());
    }

    #[test]
    fn running_exit_does_not_restart_while_shutting_down() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Always;
        t.running_at(0.0);
        t.auto = false;
        let out = t.feed(5.0, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(changes(&out), [(S::Running, S::Exited)]);
    }

    #[test]
    fn running_killed_by_signal_is_unexpected_with_status_minus_one() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Never;
        t.running_at(0.0);
        let out = t.feed(5.0, Input::Exited(ExitStatus::signalled(9)));
        assert_eq!(
            logs(&out),
            ["WARN exited: p (terminated by SIGKILL; not expected)"]
        );
        assert_eq!(t.m.exitstatus(), Some(-1));
    }

    #[test]
    fn running_stop_with_stopasgroup_signals_the_group() {
        let mut t = T::new();
        t.cfg.stopasgroup = true;
        t.cfg.stopsignal = libc::SIGINT;
        t.running_at(0.0);
        let out = t.feed(2.0, Input::Stop);
        assert!(out.contains(&Action::Kill {
            pid: 100,
            sig: libc::SIGINT,
            to_group: true
        }));
        assert_eq!(
            logs(&out),
            ["DEBG killing p (pid 100) process group with signal SIGINT"]
        );
    }

    #[test]
    fn running_signal_failure_goes_unknown() {
        let mut t = T::new();
        t.running_at(0.0);
        let out = t.feed(
            2.0,
            Input::SignalFailed("unknown problem killing p (100):EPERM".into()),
        );
        assert_eq!(changes(&out), [(S::Running, S::Unknown)]);
    }

    // ---- STOPPING ----

    #[test]
    fn stopping_exit_goes_stopped_whatever_the_status() {
        let mut t = T::new();
        t.running_at(0.0);
        t.feed(2.0, Input::Stop);
        let out = t.feed(2.5, Input::Exited(ExitStatus::exited(7)));
        assert_eq!(changes(&out), [(S::Stopping, S::Stopped)]);
        assert_eq!(logs(&out), ["WARN stopped: p (exit status 7)"]);
        assert_eq!(t.m.exitstatus(), Some(7));
        assert_eq!(t.m.pid(), 0);
        assert_eq!(t.m.deadline(), None);
    }

    #[test]
    fn stopping_exit_with_expected_status_logs_info() {
        let mut t = T::new();
        t.running_at(0.0);
        t.feed(2.0, Input::Stop);
        let out = t.feed(2.5, Input::Exited(ExitStatus::exited(0)));
        assert_eq!(logs(&out), ["INFO stopped: p (exit status 0)"]);
    }

    #[test]
    fn stopping_deadline_sends_sigkill_and_repeats() {
        let mut t = T::new();
        t.cfg.stopwaitsecs = 2;
        t.cfg.killasgroup = true;
        t.running_at(0.0);
        t.feed(2.0, Input::Stop);
        let out = t.feed(4.0, Input::Deadline);
        assert_eq!(changes(&out), []);
        assert!(out.contains(&Action::Kill {
            pid: 100,
            sig: libc::SIGKILL,
            to_group: true
        }));
        assert_eq!(
            logs(&out),
            [
                "WARN killing 'p' (100) with SIGKILL",
                "DEBG killing p (pid 100) process group with signal SIGKILL"
            ]
        );
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs(6)));
        let again = t.feed(6.0, Input::Deadline);
        assert!(again.contains(&Action::Kill {
            pid: 100,
            sig: libc::SIGKILL,
            to_group: true
        }));
        let out = t.feed(6.1, Input::Exited(ExitStatus::signalled(9)));
        assert_eq!(logs(&out), ["WARN stopped: p (terminated by SIGKILL)"]);
    }

    #[test]
    fn negative_waits_act_as_zero_and_sigkill_repeats_once_a_second() {
        let mut t = T::new();
        (t.cfg.startsecs, t.cfg.stopwaitsecs) = (-1, -3);
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::Spawned { pid: 100 });
        assert_eq!(t.m.state(), S::Running);
        assert!(logs(&out)[1].ends_with("stayed up for > than -1 seconds (startsecs)"));
        t.feed(2.0, Input::Stop);
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs(2)));
        let out = t.feed(2.0, Input::Deadline);
        assert!(out.contains(&Action::Kill {
            pid: 100,
            sig: libc::SIGKILL,
            to_group: false
        }));
        assert_eq!(t.m.deadline(), Some(t.t0 + Duration::from_secs(3)));
    }

    #[test]
    fn stopping_start_warns_already_running() {
        let mut t = T::new();
        t.running_at(0.0);
        t.feed(2.0, Input::Stop);
        let out = t.feed(2.1, Input::Start);
        assert_eq!(logs(&out), ["WARN process 'p' already running"]);
        assert_eq!(t.m.state(), S::Stopping);
    }

    // ---- BACKOFF ----

    #[test]
    fn backoff_retries_after_growing_delays_then_fatal() {
        let mut t = T::new();
        t.cfg.startretries = 2;
        let mut at = 0.0;
        let mut spawns = vec![];
        t.feed(at, Input::Start);
        loop {
            spawns.push(at);
            t.feed(at, Input::Spawned { pid: 7 });
            let out = t.feed(at + 0.2, Input::Exited(ExitStatus::exited(1)));
            if t.m.state() == S::Fatal {
                assert_eq!(
                    changes(&out),
                    [(S::Starting, S::Backoff), (S::Backoff, S::Fatal)]
                );
                assert_eq!(
                    logs(&out).last().map(String::as_str),
                    Some("INFO gave up: p entered FATAL state, too many start retries too quickly")
                );
                break;
            }
            let deadline = t.m.deadline().unwrap();
            at = (deadline - t.t0).as_secs_f64();
            let out = t.feed(at, Input::Deadline);
            assert_eq!(changes(&out), [(S::Backoff, S::Starting)]);
        }
        assert_eq!(spawns, [0.0, 1.2, 3.4]);
    }

    #[test]
    fn backoff_with_startretries_zero_goes_fatal_at_once() {
        let mut t = T::new();
        t.cfg.startretries = 0;
        t.feed(0.0, Input::Start);
        let out = t.feed(0.0, Input::SpawnFailed("can't find command 'x'".into()));
        assert_eq!(
            changes(&out),
            [(S::Starting, S::Backoff), (S::Backoff, S::Fatal)]
        );
    }

    #[test]
    fn backoff_starting_event_carries_tries() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        let out = t.feed(1.0, Input::Deadline);
        match &out[0] {
            Action::Changed(c) => assert_eq!((c.from, c.to, c.tries), (S::Backoff, S::Starting, 1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_stop_goes_stopped_with_pid_zero() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        let out = t.feed(0.5, Input::Stop);
        assert_eq!(changes(&out), [(S::Backoff, S::Stopped)]);
        assert_eq!(
            logs(&out),
            ["DEBG Attempted to kill p, which is in BACKOFF state."]
        );
        assert_eq!(t.m.deadline(), None);
        assert_eq!(
            t.m.spawnerr(),
            Some("x"),
            "COMPAT(Q25): spawnerr stays after a stop"
        );
    }

    #[test]
    fn backoff_deadline_while_shutting_down_does_not_spawn() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        t.auto = false;
        assert!(t.feed(1.0, Input::Deadline).is_empty());
        assert_eq!(t.m.state(), S::Backoff);
    }

    #[test]
    fn backoff_give_up_goes_fatal() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        let out = t.feed(0.5, Input::GiveUp);
        assert_eq!(changes(&out), [(S::Backoff, S::Fatal)]);
    }

    #[test]
    fn backoff_start_spawns_at_once() {
        let mut t = T::new();
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        let out = t.feed(0.1, Input::Start);
        assert_eq!(changes(&out), [(S::Backoff, S::Starting)]);
    }

    // ---- FATAL / EXITED ----

    #[test]
    fn fatal_start_begins_again_with_zero_tries() {
        let mut t = T::new();
        t.cfg.startretries = 0;
        t.feed(0.0, Input::Start);
        t.feed(0.0, Input::SpawnFailed("x".into()));
        assert_eq!(t.m.state(), S::Fatal);
        let out = t.feed(5.0, Input::Start);
        match &out[0] {
            Action::Changed(c) => assert_eq!((c.from, c.to, c.tries), (S::Fatal, S::Starting, 0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exited_start_spawns() {
        let mut t = T::new();
        t.cfg.autorestart = AutoRestart::Never;
        t.running_at(0.0);
        t.feed(2.0, Input::Exited(ExitStatus::exited(0)));
        let out = t.feed(3.0, Input::Start);
        assert_eq!(changes(&out), [(S::Exited, S::Starting)]);
    }

    // ---- impossible pairs ----

    #[test]
    fn impossible_inputs_log_and_keep_state() {
        let mut t = T::new();
        let out = t.feed(0.0, Input::Spawned { pid: 3 });
        assert!(logs(&out)[0].starts_with("CRIT can't happen: p got Spawned"));
        assert_eq!(t.m.state(), S::Stopped);
        let out = t.feed(0.0, Input::Exited(ExitStatus::exited(0)));
        assert!(logs(&out)[0].starts_with("CRIT can't happen"));
    }
}
