//! Shutdown and restart: stopping every group in descending priority, one group after the
//! other, then leaving the loop (reference §2.9; D7 for restart).
//!
//! Driven by the reactor at the end of every turn while the mood is below RUNNING, so the
//! next group is stopped in the same turn the previous one finished.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{Duration, Instant};

use crate::clock;
use crate::config::Config;
use crate::daemon::conn::ConnState;
use crate::daemon::core::Daemon;
use crate::daemon::timers::TimerKey;
use crate::logging::level::Level;
use crate::model::ProcId;
use crate::process::machine::Input;
use crate::states::{ProcessState, SupervisorState};

/// How often the still-running processes are named while stopping.
const REPORT_EVERY: Duration = Duration::from_secs(3);
/// A SIGHUP reload starts at most this often; the signals in between are merged (D10).
const RELOAD_GAP: Duration = Duration::from_secs(1);

/// How often a process whose stop an RPC awaits is named while it is still STOPPING.
const STOP_REPORT_EVERY: Duration = Duration::from_secs(2);

/// What the daemon does once everything is stopped.
#[derive(Debug)]
pub enum Exit {
    Shutdown,
    /// Start again in the same process with this (already validated) configuration.
    Restart(Box<Config>),
}

/// Progress of a shutdown or restart.
#[derive(Debug, Default)]
pub struct Stopping {
    /// Group names still to stop, lowest priority first (so the next one is `last()`).
    pub queue: Vec<String>,
    /// The configuration a restart will apply.
    pub next: Option<Box<Config>>,
    /// The first `waiting for ... to die` is still to be logged (right after the first kills,
    /// as the reference).
    pub first_report: bool,
    /// When the last SIGHUP reload began.
    pub last_hup: Option<Instant>,
    /// A SIGHUP came less than `RELOAD_GAP` after the last reload: one more is due.
    pub hup_pending: bool,
    /// A SIGHUP came during a reload: read the configuration again when it applies.
    pub reread: bool,
}

impl Daemon {
    /// SIGTERM, SIGINT, SIGQUIT or `supervisor.shutdown`.
    pub fn request_shutdown(&mut self) {
        if self.model.mood == SupervisorState::Shutdown {
            return;
        }
        let was_running = self.model.mood == SupervisorState::Running;
        self.model.mood = SupervisorState::Shutdown;
        self.notify_systemd("STOPPING=1");
        self.stopping.next = None;
        if was_running {
            self.begin_stopping();
        }
    }

    /// SIGHUP or `supervisor.restart`: validate the configuration first (D7).
    ///
    /// # Errors
    /// The configuration error text; nothing changes then.
    pub fn request_restart(&mut self) -> Result<(), String> {
        if self.model.mood == SupervisorState::Shutdown {
            return Ok(());
        }
        let config = (self.loader)().inspect_err(|e| self.model.log.log(Level::Error, e))?;
        self.stopping.next = Some(Box::new(config));
        self.stopping.hup_pending = false;
        if self.model.mood == SupervisorState::Running {
            self.model.mood = SupervisorState::Restarting;
            self.notify_systemd("RELOADING=1");
            self.begin_stopping();
        }
        Ok(())
    }

    /// SIGHUP (D10): reload now; during a reload, merge into it (its configuration is read
    /// again when it applies); less than [`RELOAD_GAP`] after one began, merge into the one
    /// reload due at the end of the gap. A storm of signals costs at most two reloads.
    pub fn on_sighup(&mut self) {
        let merged = match self.model.mood {
            SupervisorState::Restarting => std::mem::replace(&mut self.stopping.reread, true),
            _ => self.stopping.hup_pending,
        };
        if merged {
            self.model.log.log(
                Level::Debug,
                "received SIGHUP indicating restart request (merged into the pending one)",
            );
            return;
        }
        self.model
            .log
            .log(Level::Warn, "received SIGHUP indicating restart request");
        if self.model.mood == SupervisorState::Restarting {
            return;
        }
        let now = self.now.mono;
        let due = self
            .stopping
            .last_hup
            .map_or(now, |t| clock::after(t, RELOAD_GAP));
        if due <= now {
            self.stopping.last_hup = Some(now);
            // A broken configuration is logged and changes nothing (D7).
            let _ = self.request_restart();
        } else {
            self.stopping.hup_pending = true;
            self.timers.push(due, TimerKey::Reload);
        }
    }

    /// The merged reload is due (unless a restart took it up meanwhile).
    pub fn on_reload_timer(&mut self) {
        if std::mem::take(&mut self.stopping.hup_pending)
            && self.model.mood == SupervisorState::Running
        {
            self.stopping.last_hup = Some(self.now.mono);
            let _ = self.request_restart();
        }
    }

    fn begin_stopping(&mut self) {
        self.on_supervisor_stopping();
        let mut queue: Vec<String> = self.model.groups.iter().map(|g| g.name.clone()).collect();
        self.model.order_stop_queue(&mut queue);
        self.stopping.queue = queue;
        self.stopping.first_report = true;
    }

    /// Stops the highest-priority group that still runs; moves on as each one finishes.
    /// Returns the exit once nothing is left.
    pub fn continue_stopping(&mut self) -> Option<Exit> {
        while let Some(name) = self.stopping.queue.last().cloned() {
            let ids: Vec<_> = self
                .model
                .group(&name)
                .map(|g| g.procs.iter().rev().copied().collect())
                .unwrap_or_default();
            for id in &ids {
                if self.model.dependents_alive(*id, &ids) {
                    continue;
                }
                match self.model.procs.get(id).map(|p| p.machine.state()) {
                    Some(ProcessState::Running | ProcessState::Starting) => {
                        self.step(*id, Input::Stop)
                    }
                    Some(ProcessState::Backoff) => self.step(*id, Input::GiveUp),
                    _ => {}
                }
            }
            let done = ids.iter().all(|id| {
                self.model
                    .procs
                    .get(id)
                    .is_none_or(|p| p.machine.state().is_stopped())
            });
            if !done {
                if std::mem::take(&mut self.stopping.first_report) {
                    self.on_shutdown_report();
                }
                return None;
            }
            self.stopping.queue.pop();
        }
        if self
            .model
            .procs
            .values()
            .any(|p| !p.machine.state().is_stopped())
        {
            return None;
        }
        if std::mem::take(&mut self.stopping.reread)
            && self.model.mood == SupervisorState::Restarting
        {
            // SIGHUPs merged into this restart: apply the configuration as it is now.
            match (self.loader)() {
                Ok(config) => self.stopping.next = Some(Box::new(config)),
                Err(e) => self.model.log.log(Level::Error, &e),
            }
        }
        Some(match self.stopping.next.take() {
            Some(config) if self.model.mood == SupervisorState::Restarting => Exit::Restart(config),
            _ => Exit::Shutdown,
        })
    }

    /// Names what is still alive every few seconds while stopping.
    pub fn on_shutdown_report(&mut self) {
        if self.model.mood == SupervisorState::Running {
            return;
        }
        // In group order, then the group's own order, as the reference lists them.
        let names: Vec<String> = self
            .model
            .groups
            .iter()
            .flat_map(|g| g.procs.iter())
            .filter_map(|id| self.model.procs.get(id))
            .filter(|p| !p.machine.state().is_stopped())
            .map(|p| p.config.name.clone())
            .collect();
        if names.is_empty() {
            return;
        }
        self.model.log.log(
            Level::Info,
            &format!("waiting for {} to die", names.join(", ")),
        );
        self.timers.push(
            clock::after(self.now.mono, REPORT_EVERY),
            TimerKey::ShutdownReport,
        );
    }

    /// `waiting for <name> to stop`, at most every 2 s, while an RPC awaits the stop of a
    /// STOPPING process (the reference's `stop_report`, called as its wait is polled).
    pub fn stop_report(&mut self, id: ProcId) {
        let now = self.now.mono;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        if p.machine.state() != ProcessState::Stopping
            || p.stop_reported
                .is_some_and(|at| now < clock::after(at, STOP_REPORT_EVERY))
        {
            return;
        }
        p.stop_reported = Some(now);
        let line = format!("waiting for {} to stop", p.config.name);
        self.model.log.log(Level::Info, &line);
        self.timers.push(
            clock::after(now, STOP_REPORT_EVERY),
            TimerKey::StopReport(id),
        );
    }

    /// The stop report's timer: report again if an answer still waits for that stop.
    pub fn on_stop_report(&mut self, id: ProcId) {
        let awaited = self.http.conns.values().any(|c| match &c.state {
            ConnState::Waiting { pending, .. } => pending.awaits_stop(id),
            _ => false,
        });
        if awaited {
            self.stop_report(id);
        }
    }
}
