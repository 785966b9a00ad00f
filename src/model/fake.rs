//! A fake reactor for unit tests, in the spirit of Supervisor's `DummySupervisor`: it
//! records the verbs called and steps the pure process machine, so states move without
//! processes, sockets or sleeps.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::clock::Stopwatch;
use crate::config::{Config, GroupConfig, Overrides, ProcessConfig};
use crate::events::payload::Event;
use crate::logging::level::Level;
use crate::logging::main_log::{MainLog, MainLogSettings};
use crate::model::{
    Channel, LogOp, Model, Pipe, ProcId, Role, StdinPipe, StopOrder, StopRequest, Supervisor,
};
use crate::process::exit::ExitStatus;
use crate::process::machine::{Action, Ctx, Input};
use crate::states::{ProcessState, SupervisorState};

/// A verb the fake was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Start(ProcId),
    Stop(ProcId, StopOrder),
    CancelWait(ProcId),
    StopReport(ProcId),
    Signal(ProcId, i32),
    Stdin(ProcId, Vec<u8>),
    ProcessLogs(ProcId, LogOp),
    ClearMainLog,
    ReopenMainLog,
    Reread,
    AddGroup(String),
    RemoveGroup(String),
    AddProcess(String, String),
    RemoveProcess(ProcId),
    SetMembers(String, Vec<ProcId>),
    Autostart(Vec<ProcId>),
    Shutdown,
    Restart,
    /// The machine asked to signal a child (what the reactor's `kill` would do).
    Kill {
        pid: i32,
        sig: i32,
    },
}

/// What the fake's spawns do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnOutcome {
    Ok,
    Fail(String),
}

pub struct Fake {
    pub model: Model,
    pub calls: Vec<Call>,
    pub spawn: SpawnOutcome,
    next_pid: i32,
    pub now: Instant,
    pub wall: f64,
    /// What [`Supervisor::elapsed`] answers: the work budget used so far.
    pub elapsed: Duration,
    pub turn: u64,
    pub resumed: bool,
    /// The configuration `reread` and `restart` read; `Err` is a broken file.
    pub next_config: Result<Config, String>,
    /// What `signal` answers.
    pub signal_result: Result<(), String>,
    /// A start held for dependencies (`cancel_wait` answers it once).
    pub held: Vec<ProcId>,
    /// Stops deferred behind a dependent (`stop` answers `Deferred` for these).
    pub deferred: Vec<ProcId>,
    /// The directory of the activity log and the processes' logs; removed on drop.
    pub dir: PathBuf,
}

/// A fresh directory for one test.
fn test_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("fake-sup-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test dir");
    dir
}

/// Parses `text` (with `%(here)s` the test directory) as a whole configuration.
pub fn config(dir: &std::path::Path, text: &str) -> Config {
    let path = dir.join("supervisord.conf");
    crate::config::load_text(text, &path.to_string_lossy(), &Overrides::default())
        .unwrap_or_else(|e| panic!("test config: {e}"))
}

impl Fake {
    /// A fake running `text`'s groups (added, nothing started); the activity log is a file
    /// in the test directory. `[supervisord]` and `[rpcinterface:supervisor]` come first.
    pub fn new(text: &str) -> Fake {
        let dir = test_dir();
        let full = format!(
            "[supervisord]\nlogfile=%(here)s/supervisord.log\nchildlogdir=%(here)s\n\
             [rpcinterface:supervisor]\n\
             supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             {text}"
        );
        let cfg = config(&dir, &full);
        let log = MainLog::open(
            &MainLogSettings {
                level: Level::Info,
                path: Some(dir.join("supervisord.log")),
                maxbytes: 0,
                backups: 0,
                echo: false,
            },
            std::time::SystemTime::UNIX_EPOCH,
        )
        .expect("activity log");
        let mut model = Model::new(cfg.clone(), log);
        for g in &cfg.groups {
            model.insert_group(g);
        }
        Fake {
            model,
            calls: Vec::new(),
            spawn: SpawnOutcome::Ok,
            next_pid: 1000,
            now: Instant::now(),
            wall: 1_700_000_000.0,
            elapsed: Duration::ZERO,
            turn: 1,
            resumed: false,
            next_config: Ok(cfg),
            signal_result: Ok(()),
            held: Vec::new(),
            deferred: Vec::new(),
            dir,
        }
    }

    /// The process named `name` (`group:name` or `name`).
    pub fn id(&self, name: &str) -> ProcId {
        crate::rpc::info::lookup_process(&self.model, name)
            .unwrap_or_else(|_| panic!("no process {name}"))
    }

    pub fn state(&self, name: &str) -> ProcessState {
        let id = self.id(name);
        self.model.procs[&id].machine.state()
    }

    /// Feeds `input` to the machine and carries out its actions as the reactor would:
    /// spawns succeed or fail as `self.spawn` says, kills are recorded.
    pub fn step(&mut self, id: ProcId, input: Input) {
        let mut pending = Vec::new();
        self.feed(id, input, &mut pending);
        while !pending.is_empty() {
            for action in std::mem::take(&mut pending) {
                match action {
                    Action::Spawn => {
                        let result = match &self.spawn {
                            SpawnOutcome::Ok => {
                                let pid = self.next_pid;
                                self.next_pid += 1;
                                self.model.pids.insert(pid, id);
                                Input::Spawned { pid }
                            }
                            SpawnOutcome::Fail(why) => Input::SpawnFailed(why.clone()),
                        };
                        self.feed(id, result, &mut pending);
                    }
                    Action::Kill { pid, sig, .. } => self.calls.push(Call::Kill { pid, sig }),
                    Action::Log(level, text) => self.model.log.log(level, &text),
                    Action::Changed(_) => self.model.changed.push(id),
                }
            }
        }
    }

    fn feed(&mut self, id: ProcId, input: Input, out: &mut Vec<Action>) {
        let auto_allowed = self.model.mood == SupervisorState::Running;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let ctx = Ctx {
            cfg: &p.config,
            now: self.now,
            wall: self.wall,
            auto_allowed,
        };
        p.machine.step(input, &ctx, out);
    }

    /// Moves the clock to the process's deadline and delivers it (startsecs passed, a
    /// backoff ended, stopwaitsecs ran out).
    pub fn deadline(&mut self, name: &str) {
        let id = self.id(name);
        if let Some(at) = self.model.procs[&id].machine.deadline() {
            self.now = self.now.max(at);
        }
        self.step(id, Input::Deadline);
    }

    /// Starts `name` and lets its startsecs pass: RUNNING.
    pub fn run(&mut self, name: &str) {
        let id = self.id(name);
        self.step(id, Input::Start);
        self.deadline(name);
        assert_eq!(self.state(name), ProcessState::Running, "{name}");
    }

    /// The child of `name` exits with `status` and is reaped.
    pub fn reap(&mut self, name: &str, status: ExitStatus) {
        let id = self.id(name);
        let pid = self.model.procs[&id].machine.pid();
        self.model.pids.remove(&pid);
        self.step(id, Input::Exited(status));
    }

    /// Gives `name` an open stdin (a placeholder descriptor: the fake never writes).
    pub fn open_stdin(&mut self, name: &str) {
        let id = self.id(name);
        let fd = OwnedFd::from(std::fs::File::open("/dev/null").expect("/dev/null"));
        if let Some(p) = self.model.procs.get_mut(&id) {
            p.stdin = Some(StdinPipe {
                pipe: Pipe { fd, token: 0 },
                pending: Vec::new(),
                writable_registered: false,
            });
        }
    }

    /// The activity log's text.
    pub fn main_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("supervisord.log")).unwrap_or_default()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Supervisor for Fake {
    fn model(&self) -> &Model {
        &self.model
    }

    fn wall(&self) -> f64 {
        self.wall
    }

    fn elapsed(&self, _since: Stopwatch) -> Duration {
        self.elapsed
    }

    fn turn_work(&self) -> Stopwatch {
        // `elapsed` above answers the budget used, whatever the start.
        Stopwatch::start()
    }

    fn turn(&self) -> u64 {
        self.turn
    }

    fn resume_next_turn(&mut self) {
        self.resumed = true;
    }

    fn log(&mut self, level: Level, msg: &str) {
        self.model.log.log(level, msg);
    }

    fn emit(&mut self, event: Event) {
        self.model.emit(event);
    }

    fn start(&mut self, id: ProcId) {
        self.calls.push(Call::Start(id));
        self.step(id, Input::Start);
    }

    fn stop(&mut self, id: ProcId, order: StopOrder) -> StopRequest {
        self.calls.push(Call::Stop(id, order));
        if order == StopOrder::AfterDependents && self.deferred.contains(&id) {
            return StopRequest::Deferred;
        }
        self.step(id, Input::Stop);
        StopRequest::Sent
    }

    fn cancel_wait(&mut self, id: ProcId) -> bool {
        self.calls.push(Call::CancelWait(id));
        let held = self.held.contains(&id);
        self.held.retain(|h| *h != id);
        held
    }

    fn stop_report(&mut self, id: ProcId) {
        self.calls.push(Call::StopReport(id));
    }

    fn signal(&mut self, id: ProcId, sig: i32) -> Result<(), String> {
        self.calls.push(Call::Signal(id, sig));
        if let Err(msg) = &self.signal_result {
            self.step(id, Input::SignalFailed(msg.clone()));
        }
        self.signal_result.clone()
    }

    fn send_stdin(&mut self, id: ProcId, data: &[u8]) -> bool {
        self.calls.push(Call::Stdin(id, data.to_vec()));
        match self.model.procs.get_mut(&id).and_then(|p| p.stdin.as_mut()) {
            Some(stdin) => {
                stdin.pending.extend_from_slice(data);
                true
            }
            None => false,
        }
    }

    fn readable_log(&mut self, id: ProcId, chan: Channel) -> Option<PathBuf> {
        self.model.readable_log(id, chan)
    }

    fn process_logs(&mut self, id: ProcId, op: LogOp) -> std::io::Result<()> {
        self.calls.push(Call::ProcessLogs(id, op));
        self.model.process_logs(id, op)
    }

    fn clear_main_log(&mut self) -> Result<(), Option<String>> {
        self.calls.push(Call::ClearMainLog);
        self.model.log.clear()
    }

    fn reopen_main_log(&mut self) {
        self.calls.push(Call::ReopenMainLog);
        self.model.log.reopen();
    }

    fn reread(&mut self) -> Result<(), String> {
        self.calls.push(Call::Reread);
        self.model.config.groups = self.next_config.clone()?.groups;
        Ok(())
    }

    fn add_group(&mut self, cfg: &GroupConfig) {
        self.calls.push(Call::AddGroup(cfg.name.clone()));
        let ids = self.model.insert_group(cfg);
        self.autostart(&ids);
    }

    fn remove_group(&mut self, name: &str) {
        self.calls.push(Call::RemoveGroup(name.into()));
        self.model.remove_group(name);
    }

    fn add_process(&mut self, group: &str, pcfg: &ProcessConfig, role: Role) -> ProcId {
        self.calls
            .push(Call::AddProcess(group.into(), pcfg.name.clone()));
        self.model.add_process(group, pcfg, role)
    }

    fn remove_process(&mut self, id: ProcId) {
        self.calls.push(Call::RemoveProcess(id));
        self.model.remove_process(id);
    }

    fn set_members(&mut self, group: &str, ids: Vec<ProcId>) {
        self.calls.push(Call::SetMembers(group.into(), ids.clone()));
        self.model.set_members(group, ids);
    }

    fn autostart(&mut self, ids: &[ProcId]) {
        self.calls.push(Call::Autostart(ids.to_vec()));
        if self.model.mood != SupervisorState::Running {
            return;
        }
        for id in ids {
            if self.model.procs.get(id).is_some_and(|p| p.config.autostart) {
                self.step(*id, Input::Start);
            }
        }
    }

    fn shutdown(&mut self) {
        self.calls.push(Call::Shutdown);
        self.model.mood = SupervisorState::Shutdown;
    }

    fn restart(&mut self) -> Result<(), String> {
        self.calls.push(Call::Restart);
        self.next_config.clone()?;
        self.model.mood = SupervisorState::Restarting;
        Ok(())
    }
}
