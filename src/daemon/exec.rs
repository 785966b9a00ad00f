//! The executor: feeds inputs to a process's machine and carries out its actions (fork,
//! signal, log), feeding syscall results back as inputs.
//!
//! The only place that spawns or signals children. A pid is signalled only while it is in
//! the pid table (D4), so a recycled pid is never hit.

use std::os::fd::AsRawFd;

use mio::unix::SourceFd;
use mio::Interest;

use crate::clock::Now;
use crate::daemon::core::{Daemon, Source};
use crate::daemon::fcgi::Acquired;
use crate::daemon::timers::TimerKey;
use crate::events::capture::Capture;
use crate::logging::file::LogFile;
use crate::logging::level::Level;
use crate::model::{Channel, Pipe, ProcId, StdinPipe};
use crate::process::command;
use crate::process::machine::{Action, Ctx, Input};
use crate::process::spawn;
use crate::states::SupervisorState;
use crate::sys::errno_name;

impl Daemon {
    /// Feeds `input` to process `id` and carries out everything it leads to.
    pub fn step(&mut self, id: ProcId, input: Input) {
        // Issue 14: a start may have to wait for its dependencies.
        if input == Input::Start && self.hold_start(id) {
            return;
        }
        let mut pending = std::mem::take(&mut self.actions);
        pending.clear();
        self.feed(id, input, &mut pending);
        // INVARIANT: a machine pushes `Spawn` last, so feedback appended after a batch keeps
        // the machine's order.
        while !pending.is_empty() {
            let batch = std::mem::take(&mut pending);
            for action in batch {
                match action {
                    Action::Spawn => {
                        let result = self.spawn_child(id);
                        // startsecs counts from the fork, and one turn may fork hundreds of
                        // children (500 took about 1 s on a loaded machine): the turn's time
                        // would let the last ones count as started early. The clock moves on.
                        #[allow(clippy::disallowed_methods)]
                        self.set_now(Now::read());
                        self.feed(id, result, &mut pending);
                    }
                    Action::Kill { pid, sig, to_group } => {
                        if let Some(failed) = self.kill_child(id, pid, sig, to_group) {
                            self.feed(id, failed, &mut pending);
                        }
                    }
                    Action::Log(level, text) => self.model.log.log(level, &text),
                    Action::Changed(change) => self.on_change(id, &change),
                }
            }
        }
        self.actions = pending;
        self.sync_deadline(id);
    }

    fn feed(&mut self, id: ProcId, input: Input, out: &mut Vec<Action>) {
        let auto_allowed = self.model.mood == SupervisorState::Running;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let ctx = Ctx {
            cfg: &p.config,
            now: self.now.mono,
            wall: self.now.secs(),
            auto_allowed,
        };
        p.machine.step(input, &ctx, out);
    }

    /// Arms the machine's deadline in the timer heap if it changed.
    fn sync_deadline(&mut self, id: ProcId) {
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let deadline = p.machine.deadline();
        if deadline != p.scheduled {
            p.timer_gen += 1;
            p.scheduled = deadline;
            if let Some(at) = deadline {
                self.timers.push(at, TimerKey::Process(id, p.timer_gen));
            }
        }
    }

    /// A process timer popped: deliver it if it is still the armed one.
    pub fn on_process_timer(&mut self, id: ProcId, gen: u64) {
        let current = self.model.procs.get_mut(&id).is_some_and(|p| {
            let live = p.timer_gen == gen;
            if live {
                p.scheduled = None;
            }
            live
        });
        if current {
            self.step(id, Input::Deadline);
        }
    }

    /// Resolves the command, opens the logs and forks. Returns `Spawned` or `SpawnFailed`.
    fn spawn_child(&mut self, id: ProcId) -> Input {
        let Some(p) = self.model.procs.get(&id) else {
            return Input::SpawnFailed("process is gone".into());
        };
        let resolved = match command::resolve(&p.config.command, &p.config.environment) {
            Ok(r) => r,
            Err(e) => return Input::SpawnFailed(e.to_string()),
        };
        if let Some(dir) = &p.config.directory {
            // DIVERGENCE(Q22): a bad directory is found here, before forking, and named.
            let problem = match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => None,
                Ok(_) => Some(libc::ENOTDIR),
                Err(e) => Some(e.raw_os_error().unwrap_or(libc::ENOENT)),
            };
            if let Some(errno) = problem {
                return Input::SpawnFailed(format!(
                    "couldn't chdir to {}: {}",
                    dir.display(),
                    errno_name(errno)
                ));
            }
        }
        let mut env = self.child_env(p);
        let ready = match self.ready_prepare(id) {
            Ok(prep) => prep,
            Err(msg) => return Input::SpawnFailed(msg),
        };
        ready.add_env(&mut env);
        self.open_logs(id);
        let stdin = match self.acquire_fcgi(id) {
            Ok(Some(fd)) => spawn::Stdin::Socket(fd),
            Ok(None) => spawn::Stdin::Pipe,
            Err(msg) => {
                self.close_logs(id);
                return Input::SpawnFailed(msg);
            }
        };
        let Some(p) = self.model.procs.get(&id) else {
            return Input::SpawnFailed("process is gone".into());
        };
        let req = spawn::Request {
            name: &p.config.name,
            command: &resolved,
            env: &env,
            directory: p.config.directory.as_deref(),
            umask: p.config.umask,
            user: p.config.user.as_ref(),
            redirect_stderr: p.config.redirect_stderr,
            stdin,
            ready_fd: ready.child_fd(),
        };
        let child = match spawn::spawn(&req) {
            Ok(c) => c,
            Err(msg) => {
                self.close_logs(id);
                self.release_fcgi(id);
                return Input::SpawnFailed(msg);
            }
        };
        let pid = child.pid;
        self.keep_launch(child.launch);
        self.model.pids.insert(pid, id);
        self.ready_begin(id, ready);
        let out = self.register_pipe(id, child.stdout, Source::ChildOutput(id, Channel::Stdout));
        let err = child
            .stderr
            .map(|fd| self.register_pipe(id, fd, Source::ChildOutput(id, Channel::Stderr)));
        let stdin = child.stdin.map(|fd| {
            let token = self.token(Source::ChildStdin(id));
            StdinPipe {
                pipe: Pipe { fd, token: token.0 },
                pending: Vec::new(),
                writable_registered: false,
            }
        });
        if let Some(p) = self.model.procs.get_mut(&id) {
            p.stdout.pipe = out;
            p.stderr.pipe = err.flatten();
            p.stdin = stdin;
            // Listener stdout is the protocol channel: never captured.
            let (out_max, err_max) = (
                p.config.stdout.capture_maxbytes,
                p.config.stderr.capture_maxbytes,
            );
            p.stdout.capture = (out_max > 0 && p.listener.is_none()).then(|| Capture::new(out_max));
            p.stderr.capture = (err_max > 0).then(|| Capture::new(err_max));
        }
        Input::Spawned { pid }
    }

    /// Keeps what a just-started child may still read; frees what finished children used.
    /// Dropping a launch waits for its child's exec, so the bound costs at most a short wait.
    pub(crate) fn keep_launch(&mut self, launch: spawn::Launch) {
        const IN_FLIGHT: usize = 64;
        if self.launches.len() >= IN_FLIGHT {
            self.launches.retain(|l| !l.finished());
            if self.launches.len() >= IN_FLIGHT {
                self.launches.remove(0);
            }
        }
        self.launches.push(launch);
    }

    fn register_pipe(
        &mut self,
        id: ProcId,
        fd: std::os::fd::OwnedFd,
        source: Source,
    ) -> Option<Pipe> {
        let token = self.token(source);
        match self.poll.registry().register(
            &mut SourceFd(&fd.as_raw_fd()),
            token,
            Interest::READABLE,
        ) {
            Ok(()) => Some(Pipe { fd, token: token.0 }),
            Err(e) => {
                self.sources.remove(&token);
                let name = self
                    .model
                    .procs
                    .get(&id)
                    .map_or(String::new(), |p| p.config.name.clone());
                self.model.log.log(
                    Level::Error,
                    &format!("{name}: unable to watch an output pipe: {e}"),
                );
                None
            }
        }
    }

    /// The `[fcgi-program:x]` socket for a spawn, created if no process holds it.
    fn acquire_fcgi(&mut self, id: ProcId) -> Result<Option<std::os::fd::RawFd>, String> {
        let Some(p) = self.model.procs.get(&id) else {
            return Ok(None);
        };
        let Some(cfg) = p.config.fcgi.clone() else {
            return Ok(None);
        };
        let group = p.group.clone();
        match self.fcgi.acquire(&group, &cfg)? {
            Acquired::Created(fd) => {
                self.model
                    .log
                    .log(Level::Info, &format!("Creating socket {}", cfg.url));
                Ok(Some(fd))
            }
            Acquired::Shared(fd) => Ok(Some(fd)),
        }
    }

    /// Drops a process's reference to its group's FastCGI socket (at exit).
    pub(crate) fn release_fcgi(&mut self, id: ProcId) {
        let Some(p) = self.model.procs.get(&id) else {
            return;
        };
        let Some(url) = p.config.fcgi.as_ref().map(|c| c.url.to_string()) else {
            return;
        };
        let group = p.group.clone();
        if self.fcgi.release(&group) {
            self.model
                .log
                .log(Level::Info, &format!("Closing socket {url}"));
        }
    }

    /// Opens the process's log files for this run (append mode).
    fn open_logs(&mut self, id: ProcId) {
        self.open_log(id, Channel::Stdout);
        self.open_log(id, Channel::Stderr);
    }

    /// Opens a channel's log for a run; a pending AUTO log waits for the first output.
    pub(crate) fn open_log(&mut self, id: ProcId, chan: Channel) {
        let now = self.now.wall;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let ccfg = match chan {
            Channel::Stdout => &p.config.stdout,
            Channel::Stderr => &p.config.stderr,
        };
        let (maxbytes, backups) = (ccfg.logfile_maxbytes, ccfg.logfile_backups);
        let period = ccfg.rotate;
        let name = &p.config.name;
        let c = match chan {
            Channel::Stdout => &mut p.stdout,
            Channel::Stderr => &mut p.stderr,
        };
        c.write_failed = false;
        if c.auto_pending {
            c.open_on_output = true;
            return;
        }
        c.open_on_output = false;
        let mut error = None;
        if let (Some(path), None) = (&c.log_path, &c.log) {
            match LogFile::open(path, maxbytes, backups) {
                Ok(mut f) => {
                    f.set_period(period, now);
                    c.log = Some(f);
                }
                Err(e) => {
                    error = Some(format!(
                        "{name}: unable to open {} log {}: {e}",
                        chan.name(),
                        path.display()
                    ))
                }
            }
        }
        if let Some(e) = error {
            self.model.log.log(Level::Error, &e);
        }
    }

    /// Closes the log files after a run (they are reopened at the next spawn).
    pub(crate) fn close_logs(&mut self, id: ProcId) {
        if let Some(p) = self.model.procs.get_mut(&id) {
            p.stdout.log = None;
            p.stderr.log = None;
            p.stdout.open_on_output = false;
            p.stderr.open_on_output = false;
        }
    }

    /// Sends a signal to a live child; `Some(SignalFailed)` on an unexpected error.
    fn kill_child(&mut self, id: ProcId, pid: i32, sig: i32, to_group: bool) -> Option<Input> {
        let name = self
            .model
            .procs
            .get(&id)
            .map_or(String::new(), |p| p.config.name.clone());
        if pid <= 0 || !self.model.pids.contains_key(&pid) {
            self.model.log.log(
                Level::Debug,
                &format!(
                    "attempted to kill {name} with sig {} but it wasn't running",
                    crate::signame::signame(sig)
                ),
            );
            return None;
        }
        let target = if to_group { -pid } else { pid };
        match crate::sys::kill(target, sig) {
            Ok(()) => None,
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                self.model.log.log(
                    Level::Debug,
                    &format!("unable to signal {name} (pid {pid}), it probably just exited on its own: {e}"),
                );
                None
            }
            Err(e) => Some(Input::SignalFailed(format!(
                "unknown problem killing {name} ({pid}):{e}"
            ))),
        }
    }

    /// `signalProcess`: sends `sig` to the process itself (never its group); the state is
    /// not changed except to UNKNOWN on an unexpected error.
    ///
    /// # Errors
    /// The text of an unexpected `kill` error.
    pub fn signal_process(&mut self, id: ProcId, sig: i32) -> Result<(), String> {
        let Some(p) = self.model.procs.get(&id) else {
            return Ok(());
        };
        let (pid, name) = (p.machine.pid(), p.config.name.clone());
        let signame = crate::signame::signame(sig);
        if pid <= 0 || !self.model.pids.contains_key(&pid) {
            self.model.log.log(
                Level::Debug,
                &format!("attempted to signal {name} with sig {signame} but it wasn't running"),
            );
            return Ok(());
        }
        self.model.log.log(
            Level::Debug,
            &format!("sending {name} (pid {pid}) sig {signame}"),
        );
        match crate::sys::kill(pid, sig) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                self.model.log.log(
                    Level::Debug,
                    &format!("unable to signal {name} (pid {pid}), it probably just now exited on its own: {e}"),
                );
                Ok(())
            }
            Err(e) => {
                let msg = format!("unknown problem sending sig {name} ({pid}):{e}");
                self.step(id, Input::SignalFailed(msg.clone()));
                Err(msg)
            }
        }
    }
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
