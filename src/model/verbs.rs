//! The verbs through which RPC handlers and the web actions act (in the spirit of
//! Supervisor's `DummySupervisor`): read access to the model, plus what they really do to
//! it. The reactor implements them with children, pipes and timers; tests fake them.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Stopwatch;

use crate::config::{GroupConfig, ProcessConfig};
use crate::events::payload::Event;
use crate::logging::level::Level;
use crate::model::{Channel, Model, ProcId, Role};

/// What to do to both logs of a process (see [`Model::process_logs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOp {
    Clear,
    Reopen,
    Rotate,
}

/// Whether a stop waits for the dependents of the process that are still stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOrder {
    /// Issue 14: what a stopping process depends on is stopped after it.
    AfterDependents,
    /// At once (`supervisor_rs.update` waits for all it stops anyway).
    Now,
}

/// How a stop was taken up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// The process was signalled (or its stop is under way).
    Sent,
    /// A dependent of it is still stopping: it is stopped once that one is (issue 14).
    Deferred,
}

pub trait Supervisor {
    fn model(&self) -> &Model;

    /// Wall time of this loop turn, in seconds since the epoch.
    fn wall(&self) -> f64;
    /// The loop's own work since `since`, for a budget within a turn (D9).
    fn elapsed(&self, since: Stopwatch) -> Duration;
    /// Started when this loop turn's work began. Work budgets (D9) count from it, so long
    /// answers in flight together share one slice per turn instead of adding theirs up.
    fn turn_work(&self) -> Stopwatch;
    /// The loop turn, counted.
    fn turn(&self) -> u64;
    /// Polls the waiting answers again next turn, without sleeping.
    fn resume_next_turn(&mut self);

    /// A line in the activity log.
    fn log(&mut self, level: Level, msg: &str);
    /// Offers an event to the subscribed pools.
    fn emit(&mut self, event: Event);

    /// Starts a process (its start may be held for its dependencies).
    fn start(&mut self, id: ProcId);
    /// Stops a running process.
    fn stop(&mut self, id: ProcId, order: StopOrder) -> StopRequest;
    /// Cancels a start held for its dependencies; true if there was one.
    fn cancel_wait(&mut self, id: ProcId) -> bool;
    /// `waiting for <name> to stop`, at most every few seconds, while an answer awaits it.
    fn stop_report(&mut self, id: ProcId);
    /// Sends a signal to the process itself.
    ///
    /// # Errors
    /// The text of an unexpected `kill` error (the process is then UNKNOWN).
    fn signal(&mut self, id: ProcId, sig: i32) -> Result<(), String>;
    /// Writes to the child's stdin; false when it has no open stdin.
    fn send_stdin(&mut self, id: ProcId, data: &[u8]) -> bool;

    /// The log path of a process channel for reading (a pending AUTO file created first).
    fn readable_log(&mut self, id: ProcId, chan: Channel) -> Option<PathBuf>;
    /// Clears, reopens or rotates both logs of a process.
    ///
    /// # Errors
    /// The first OS error.
    fn process_logs(&mut self, id: ProcId, op: LogOp) -> std::io::Result<()>;
    /// Empties the activity log.
    ///
    /// # Errors
    /// `None` when it has no file, else the error text.
    fn clear_main_log(&mut self) -> Result<(), Option<String>>;
    /// Reopens the activity log by path.
    fn reopen_main_log(&mut self);

    /// Reads the configuration again and keeps its groups (other settings need a restart).
    ///
    /// # Errors
    /// The configuration error text.
    fn reread(&mut self) -> Result<(), String>;
    /// Activates a group and starts its autostart processes.
    fn add_group(&mut self, cfg: &GroupConfig);
    /// Drops a group whose processes are all stopped.
    fn remove_group(&mut self, name: &str);
    /// Creates one process of `group` (the caller puts it in the group's members).
    fn add_process(&mut self, group: &str, pcfg: &ProcessConfig, role: Role) -> ProcId;
    /// Forgets a stopped process.
    fn remove_process(&mut self, id: ProcId);
    /// Sets the members of an active group, in order.
    fn set_members(&mut self, group: &str, ids: Vec<ProcId>);
    /// Starts the processes among `ids` that have `autostart=true`, while running.
    fn autostart(&mut self, ids: &[ProcId]);

    /// Stops everything and exits.
    fn shutdown(&mut self);
    /// Stops everything and starts again with the configuration read again.
    ///
    /// # Errors
    /// The configuration error text; nothing changes then.
    fn restart(&mut self) -> Result<(), String>;
}
