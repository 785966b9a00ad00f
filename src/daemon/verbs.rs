//! The reactor's side of [`Supervisor`]: each verb the RPC handlers and web actions use,
//! carried out with children, pipes and timers.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Stopwatch;

use crate::config::{GroupConfig, ProcessConfig};
use crate::daemon::core::{Autostart, Daemon};
use crate::events::payload::Event;
use crate::logging::level::Level;
use crate::model::{Channel, LogOp, Model, ProcId, Role, StopOrder, StopRequest, Supervisor};
use crate::process::machine::Input;

impl Supervisor for Daemon {
    fn model(&self) -> &Model {
        &self.model
    }

    fn wall(&self) -> f64 {
        self.now.secs()
    }

    fn elapsed(&self, since: Stopwatch) -> Duration {
        since.elapsed()
    }

    fn turn_work(&self) -> Stopwatch {
        self.turn_work
    }

    fn turn(&self) -> u64 {
        self.turn
    }

    fn resume_next_turn(&mut self) {
        self.resume_rpc = true;
    }

    fn log(&mut self, level: Level, msg: &str) {
        self.model.log.log(level, msg);
    }

    fn emit(&mut self, event: Event) {
        self.model.emit(event);
    }

    fn start(&mut self, id: ProcId) {
        self.step(id, Input::Start);
    }

    fn stop(&mut self, id: ProcId, order: StopOrder) -> StopRequest {
        if order == StopOrder::Now {
            self.step(id, Input::Stop);
            return StopRequest::Sent;
        }
        if let Some(p) = self.model.procs.get_mut(&id) {
            p.stop_reported = None;
        }
        if self.defer_stop(id) {
            return StopRequest::Deferred;
        }
        self.step(id, Input::Stop);
        StopRequest::Sent
    }

    fn cancel_wait(&mut self, id: ProcId) -> bool {
        Daemon::cancel_wait(self, id)
    }

    fn stop_report(&mut self, id: ProcId) {
        Daemon::stop_report(self, id);
    }

    fn signal(&mut self, id: ProcId, sig: i32) -> Result<(), String> {
        self.signal_process(id, sig)
    }

    fn send_stdin(&mut self, id: ProcId, data: &[u8]) -> bool {
        Daemon::send_stdin(self, id, data)
    }

    fn readable_log(&mut self, id: ProcId, chan: Channel) -> Option<PathBuf> {
        self.model.readable_log(id, chan)
    }

    fn process_logs(&mut self, id: ProcId, op: LogOp) -> std::io::Result<()> {
        self.model.process_logs(id, op)
    }

    fn clear_main_log(&mut self) -> Result<(), Option<String>> {
        self.model.log.clear()
    }

    fn reopen_main_log(&mut self) {
        self.model.log.reopen();
    }

    fn reread(&mut self) -> Result<(), String> {
        self.model.config.groups = (self.loader)()?.groups;
        Ok(())
    }

    fn add_group(&mut self, cfg: &GroupConfig) {
        Daemon::add_group(self, cfg, Autostart::Yes);
    }

    fn remove_group(&mut self, name: &str) {
        Daemon::remove_group(self, name);
    }

    fn add_process(&mut self, group: &str, pcfg: &ProcessConfig, role: Role) -> ProcId {
        self.model.add_process(group, pcfg, role)
    }

    fn remove_process(&mut self, id: ProcId) {
        Daemon::remove_process(self, id);
    }

    fn set_members(&mut self, group: &str, ids: Vec<ProcId>) {
        self.model.set_members(group, ids);
    }

    fn autostart(&mut self, ids: &[ProcId]) {
        Daemon::autostart(self, ids);
    }

    fn shutdown(&mut self) {
        self.request_shutdown();
    }

    fn restart(&mut self) -> Result<(), String> {
        self.request_restart()
    }
}
