//! The event loop: one thread, one `mio::Poll`, no periodic wake-up.
//!
//! Heads up, the turn order matters:
//! 1. Sleep until the earliest deadline of the timer heap, or block when there is none
//!    (zero when a capped pipe was carried over from the previous turn). On waking, read the
//!    clock once: every step of the turn sees that time ([`Daemon::set_now`]).
//! 2. Signals first: drain the self-pipe completely; SIGCHLD reaps every dead child with
//!    `waitpid(-1, WNOHANG)`, draining its pipes before its exit is processed. Reaping
//!    comes before timers, so a child that dies during `startsecs` goes to BACKOFF, never
//!    to RUNNING then EXITED (DIVERGENCE(Q1)).
//! 3. I/O: child pipes read until `WouldBlock` (capped per turn), stdin writes.
//! 4. Timers: every due deadline (startsecs, backoff, stopwaitsecs, TICK, reports).
//! 5. Deliver queued events to READY listeners.
//! 6. While shutting down or restarting: stop the next group; leave once all are stopped.

use std::time::Duration;

use mio::Events;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;

use crate::clock::{Now, Stopwatch};
use crate::daemon::core::{Daemon, Source};
use crate::daemon::output::{Drained, TURN_CAP};
use crate::daemon::stop::Exit;
use crate::daemon::timers::TimerKey;
use crate::logging::level::Level;
use crate::model::{Channel, ProcId};
use crate::process::exit::ExitStatus;
use crate::process::machine::Input;
use crate::signame::signame;
use crate::states::SupervisorState;

/// The signal self-pipe as signal-hook delivers it.
pub type Signals = SignalDelivery<mio::net::UnixStream, SignalOnly>;

/// The signals supervisord handles.
pub const HANDLED: [i32; 6] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2, SIGCHLD];

/// Consecutive poll failures after which the loop gives up (and shuts down cleanly).
const MAX_POLL_ERRORS: u32 = 100;

impl Daemon {
    /// Sets the time every step sees until the next reading: the turn's, or the fork's
    /// (see `exec`). The activity log stamps its lines with it.
    pub fn set_now(&mut self, now: Now) {
        self.now = now;
        self.model.log.set_now(now.wall);
    }

    /// Runs turns until a shutdown or restart has stopped everything.
    pub fn run_loop(&mut self, signals: &mut Signals) -> Exit {
        let mut events = Events::with_capacity(1024);
        let mut carry: Vec<(ProcId, Channel)> = Vec::new();
        let mut due = Vec::new();
        let mut ready = Vec::new();
        let mut poll_errors = 0;
        loop {
            self.turn = self.turn.wrapping_add(1);
            let timeout = if carry.is_empty() && self.http_carry.is_empty() && !self.resume_rpc {
                // Sized from a fresh reading, not the turn's: the turn's work since then
                // (up to the ~20 ms budget of D9) would make every timer late by as much.
                // This reading only sizes the sleep; nothing else sees it.
                #[allow(clippy::disallowed_methods)]
                let before_sleep = Now::read().mono;
                self.timers.timeout(before_sleep)
            } else {
                Some(Duration::ZERO)
            };
            let polled = self.poll.poll(&mut events, timeout);
            #[allow(clippy::disallowed_methods)] // The turn's one reading.
            self.set_now(Now::read());
            self.turn_work = Stopwatch::start();
            if let Err(e) = polled {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    poll_errors += 1;
                    self.model
                        .log
                        .log(Level::Critical, &format!("poll failed: {e}"));
                    if poll_errors >= MAX_POLL_ERRORS {
                        self.request_shutdown();
                    }
                }
                continue;
            }
            poll_errors = 0;
            let mut signalled = false;
            ready.clear();
            for ev in events.iter() {
                match self.sources.get(&ev.token()).copied() {
                    Some(Source::Signals) => signalled = true,
                    Some(src) => ready.push(src),
                    None => {}
                }
            }
            if signalled {
                self.on_signals(signals);
            }
            for id in std::mem::take(&mut self.http_carry) {
                self.on_conn_event(id);
            }
            for (id, chan) in std::mem::take(&mut carry) {
                if self.drain_output(id, chan, Some(TURN_CAP)) == Drained::Capped {
                    carry.push((id, chan));
                }
            }
            for src in ready.drain(..) {
                match src {
                    Source::ChildOutput(id, chan) => {
                        if self.drain_output(id, chan, Some(TURN_CAP)) == Drained::Capped {
                            carry.push((id, chan));
                        }
                    }
                    Source::ChildStdin(id) => self.flush_stdin(id),
                    Source::HttpListener(index) => self.on_accept(index),
                    Source::HttpConn(id) => self.on_conn_event(id),
                    Source::Watch(id, slot) => self.on_watch_event(id, slot),
                    Source::Signals => {}
                }
            }
            self.timers.pop_due(self.now.mono, &mut due);
            for key in due.drain(..) {
                match key {
                    TimerKey::Process(id, gen) => self.on_process_timer(id, gen),
                    TimerKey::HttpStall(id) => self.on_stall_timer(id),
                    TimerKey::Accept(index) => self.on_accept_timer(index),
                    TimerKey::Tick => self.on_tick(),
                    TimerKey::ShutdownReport => self.on_shutdown_report(),
                    TimerKey::StopReport(id) => self.on_stop_report(id),
                    TimerKey::Reload => self.on_reload_timer(),
                    TimerKey::Watch(id, gen) => self.on_watch_timer(id, gen),
                }
            }
            self.end_turn();
            if self.model.mood != SupervisorState::Running {
                if let Some(exit) = self.continue_stopping() {
                    return exit;
                }
                self.end_turn();
            }
        }
    }

    /// Work done once per turn after the inputs: events to listeners, waiting RPC answers,
    /// log followers.
    fn end_turn(&mut self) {
        self.launches.retain(|l| !l.finished());
        if std::mem::take(&mut self.watch_shared.deps_dirty) {
            self.recheck_waiters();
            if !self.watch_shared.deferred_stops.is_empty() {
                self.run_deferred_stops();
            }
        }
        self.dispatch_events();
        if !self.model.changed.is_empty() | std::mem::take(&mut self.resume_rpc) {
            self.model.changed.clear();
            self.poll_waiting();
        }
        if std::mem::take(&mut self.tail_dirty) | self.model.log.take_appended() {
            self.pump_tails();
        }
    }

    /// Handles every pending signal: reaping first, then the others.
    fn on_signals(&mut self, signals: &mut Signals) {
        let mut pending: Vec<i32> = signals.pending().collect();
        pending.sort_by_key(|s| *s != SIGCHLD);
        for sig in pending {
            match sig {
                SIGCHLD => {
                    self.model
                        .log
                        .log(Level::Debug, "received SIGCHLD indicating a child quit");
                    self.reap_all();
                }
                SIGTERM | SIGINT | SIGQUIT => {
                    self.model.log.log(
                        Level::Warn,
                        &format!("received {} indicating exit request", signame(sig)),
                    );
                    self.request_shutdown();
                }
                SIGHUP => {
                    if self.model.mood == SupervisorState::Shutdown {
                        self.model.log.log(
                            Level::Warn,
                            "ignored SIGHUP indicating restart request (shutdown in progress)",
                        );
                    } else {
                        self.on_sighup();
                    }
                }
                SIGUSR2 => {
                    self.model.log.log(
                        Level::Info,
                        "received SIGUSR2 indicating log reopen request",
                    );
                    // Written before the reopen, as the reference: the new file starts empty.
                    self.model.log.log(Level::Info, "supervisord logreopen");
                    self.reopen_logs();
                }
                other => self.model.log.log(
                    Level::Blather,
                    &format!("received {} indicating nothing", signame(other)),
                ),
            }
        }
    }

    /// Reaps every dead child.
    pub fn reap_all(&mut self) {
        while let Some((pid, status)) = crate::sys::reap_one() {
            self.on_reaped(pid, ExitStatus::from_raw(status));
        }
    }

    /// A reaped child: a known one gets its pipes drained, then its exit; a probe's ends
    /// its attempt; any other is logged.
    pub(crate) fn on_reaped(&mut self, pid: i32, status: ExitStatus) {
        match self.model.pids.remove(&pid) {
            Some(id) => {
                self.finish_io(id);
                self.step(id, Input::Exited(status));
            }
            None if self.probe_reaped(pid, &status) => {}
            None => self.model.log.log(
                Level::Info,
                &format!("reaped unknown pid {pid} ({})", status.text),
            ),
        }
    }

    /// SIGUSR2: reopen the activity log and every open child log.
    fn reopen_logs(&mut self) {
        self.model.log.reopen();
        for p in self.model.procs.values_mut() {
            for chan in [Channel::Stdout, Channel::Stderr] {
                if let Some(log) = p.channel_mut(chan).log.as_mut() {
                    let _ = log.reopen();
                }
            }
        }
    }
}
