//! Processes and groups as the model holds them: configuration, machine, pipes, log files
//! and what the readiness and health checks found.
//!
//! Plain data plus lookups; no syscalls except creating an AUTO log file when it is first
//! needed. Mirrors Supervisor's `ProcessGroup` / `Subprocess` attributes.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Instant;

use crate::config::beyond::Condition;
use crate::config::{GroupConfig, GroupKind, LogTarget, ProcessConfig};
use crate::events::capture::Capture;
use crate::events::listener::ListenerProtocol;
pub use crate::events::payload::Channel;
use crate::events::pool::QueuedEvent;
use crate::logging::file::LogFile;
use crate::process::machine::Machine;
use crate::process::readiness::HealthCounter;

/// A process's identity, never reused while the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcId(pub u64);

impl std::fmt::Display for ProcId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The parent's end of a child pipe; `token` is the number the reactor registered it under.
#[derive(Debug)]
pub struct Pipe {
    pub fd: OwnedFd,
    pub token: usize,
}

/// One output channel of a process: its pipe while running and its log.
#[derive(Debug, Default)]
pub struct ChannelState {
    /// The log file path (AUTO resolved to its real name); `None` for `NONE`.
    pub log_path: Option<PathBuf>,
    /// An AUTO log named but not created yet: it is created when first needed (a spawn, a
    /// read, a tail). DIVERGENCE(new): the reference creates every AUTO file when it reads
    /// the configuration; 10,000 configured programs made 20,000 files at start-up and at
    /// each reload (seconds of file creation).
    pub auto_pending: bool,
    /// The run started with its AUTO log still pending: the log is created and opened at
    /// the first output, so a silent process holds no log file descriptors.
    pub open_on_output: bool,
    /// The open log while the process runs.
    pub log: Option<LogFile>,
    pub pipe: Option<Pipe>,
    /// Set after a failed log write was reported, so a full disk is reported once.
    pub write_failed: bool,
    /// Capture mode (`*_capture_maxbytes > 0`), recreated at each spawn.
    pub capture: Option<Capture>,
    /// Bytes read from the pipe, ever (`/metrics`).
    pub bytes_read: u64,
}

/// The write end of a child's stdin with what is still to be written.
#[derive(Debug)]
pub struct StdinPipe {
    pub pipe: Pipe,
    pub pending: Vec<u8>,
    pub writable_registered: bool,
}

/// What a process is to its group: a program, or an event listener of its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Program,
    Listener,
}

/// One supervised process.
#[derive(Debug)]
pub struct Process {
    pub group: String,
    pub config: ProcessConfig,
    pub machine: Machine,
    pub stdout: ChannelState,
    pub stderr: ChannelState,
    pub stdin: Option<StdinPipe>,
    /// The event-listener protocol, for processes of an `[eventlistener:x]` pool.
    pub listener: Option<ListenerProtocol<QueuedEvent>>,
    /// The deadline currently armed in the timer heap, and its generation.
    pub scheduled: Option<Instant>,
    pub timer_gen: u64,
    /// When `waiting for <name> to stop` was last logged during this stop.
    pub stop_reported: Option<Instant>,
    pub counters: Counters,
    /// What the readiness and health checks found (issue 14).
    pub watch: WatchState,
}

/// What the readiness and health checks of a process found, and a start held for its
/// dependencies (issue 14); the sockets and probes themselves belong to the reactor.
#[derive(Debug, Default)]
pub struct WatchState {
    /// The last `STATUS=` the child sent.
    pub status: Option<String>,
    pub health_counter: HealthCounter,
    /// A start held for its dependencies.
    pub waiting: Option<Waiting>,
}

/// A start held until its dependencies are there.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub deadline: Instant,
    /// The first unmet dependency as written, and its condition.
    pub target: String,
    pub condition: Condition,
}

impl Waiting {
    /// `a (ready)`, as the description shows it after `waiting for `.
    pub fn on(&self) -> String {
        format!("{} ({})", self.target, self.condition.name())
    }
}

/// What `/metrics` counts for a process, from the moment its entry was created.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    /// Transitions into STARTING.
    pub starts: u64,
    pub state_changes: u64,
}

impl Process {
    pub fn channel(&self, chan: Channel) -> &ChannelState {
        match chan {
            Channel::Stdout => &self.stdout,
            Channel::Stderr => &self.stderr,
        }
    }

    pub fn channel_mut(&mut self, chan: Channel) -> &mut ChannelState {
        match chan {
            Channel::Stdout => &mut self.stdout,
            Channel::Stderr => &mut self.stderr,
        }
    }

    /// `group:name`, or `name` when both are equal (Supervisor's `make_namespec`).
    pub fn namespec(&self) -> String {
        if self.group == self.config.name {
            self.config.name.clone()
        } else {
            format!("{}:{}", self.group, self.config.name)
        }
    }
}

/// An active process group.
#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub priority: i32,
    pub kind: GroupKind,
    /// The group's processes in priority order; equal priorities keep the configured order.
    pub procs: Vec<ProcId>,
}

impl ChannelState {
    /// A channel of a new process: AUTO gets its name from `auto_name`, created later.
    pub fn new(target: &LogTarget, auto_name: impl FnOnce() -> PathBuf) -> ChannelState {
        let (log_path, auto_pending) = match target {
            LogTarget::None => (None, false),
            LogTarget::File(p) => (Some(p.clone()), false),
            LogTarget::Auto => (Some(auto_name()), true),
        };
        ChannelState {
            log_path,
            auto_pending,
            ..ChannelState::default()
        }
    }

    /// Creates a pending AUTO log file now.
    ///
    /// # Errors
    /// The create error text; the channel then has no log, as when AUTO creation failed.
    pub fn create_pending_log(&mut self) -> Result<(), String> {
        if !self.auto_pending {
            return Ok(());
        }
        self.auto_pending = false;
        let Some(path) = self.log_path.take() else {
            return Ok(());
        };
        let created = crate::logging::auto::create_auto_log(&path).map_err(|e| e.to_string())?;
        self.log_path = Some(created);
        Ok(())
    }
}

/// True when `active` (a running group with its process configs) equals `cfg`.
pub fn group_matches(group: &Group, procs: &[&ProcessConfig], cfg: &GroupConfig) -> bool {
    group.name == cfg.name
        && group.priority == cfg.priority
        && group.kind == cfg.kind
        && procs.len() == cfg.processes.len()
        && procs.iter().zip(&cfg.processes).all(|(a, b)| *a == b)
}
