//! The daemon's state: configuration, groups, processes, the poll and its sources, timers
//! and the activity log, plus the operations that add and remove groups.
//!
//! Everything the loop owns lives in [`Daemon`]; behaviour is split by concern into
//! `exec` (process actions), `output` (child pipes), `stop` (shutdown/restart) and
//! `reactor` (the turn). Only the loop thread ever touches it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use mio::{Poll, Token};

use crate::config::{Config, GroupConfig, GroupKind, HttpServerKind, ProcessConfig};
use crate::daemon::conn::{ConnId, HttpState};
use crate::daemon::fcgi::FcgiSockets;
use crate::daemon::lifecycle::auto_log_name;
use crate::daemon::model::{Channel, ChannelState, Counters, Group, ProcId, Process};
use crate::daemon::stop::Stopping;
use crate::daemon::timers::Timers;
use crate::events::listener::ListenerProtocol;
use crate::events::payload::Event;
use crate::events::pool::{EventBus, Pool};
use crate::events::tick::TickState;
use crate::logging::level::Level;
use crate::logging::main_log::MainLog;
use crate::process::machine::{Action, Input, Machine};
use crate::states::SupervisorState;

/// What a poll token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Signals,
    ChildOutput(ProcId, Channel),
    ChildStdin(ProcId),
    HttpListener(usize),
    HttpConn(ConnId),
    /// A readiness or health check's socket or pipe (issue 14).
    Watch(ProcId, crate::daemon::probe::Slot),
}

/// The token of the signal self-pipe; every other token comes from a counter.
pub const SIGNALS: Token = Token(0);

/// Reads and validates the configuration again (reread, reload): the same file and
/// command-line overrides as at start-up. `Err` is the error text.
pub type Loader = Box<dyn Fn() -> Result<Config, String>>;

pub struct Daemon {
    pub loader: Loader,
    /// The configuration last read (start-up, reread or reload).
    pub config: Config,
    /// supervisord's own environment, the base of every child's.
    pub environ: Vec<(String, String)>,
    /// `SUPERVISOR_SERVER_URL` for children whose `serverurl` is AUTO.
    pub server_url: Option<String>,
    pub mood: SupervisorState,
    /// Active groups in (priority, name) order.
    pub groups: Vec<Group>,
    /// The priority of each active group, so a name is found by binary search in `groups`
    /// (linear scans made reload quadratic in the number of groups).
    group_prio: HashMap<String, i32>,
    pub procs: HashMap<ProcId, Process>,
    /// Live (not yet reaped) child pids.
    pub pids: HashMap<i32, ProcId>,
    next_proc: ProcId,
    pub poll: Poll,
    pub sources: HashMap<Token, Source>,
    next_token: usize,
    pub timers: Timers,
    pub log: MainLog,
    pub events: EventBus,
    pub ticks: TickState,
    pub tick_armed: bool,
    /// Set when pools may have something to deliver; cleared by `dispatch_events`.
    pub dispatch_pending: bool,
    /// Processes whose state changed this turn (for `wait=true` replies).
    pub changed: Vec<ProcId>,
    pub stopping: Stopping,
    pub http: HttpState,
    /// The token the web interface's forms carry (D8).
    pub csrf: crate::web::csrf::CsrfToken,
    pub fcgi: FcgiSockets,
    /// Connections whose reads were capped this turn.
    pub(crate) http_carry: Vec<ConnId>,
    /// A log file grew this turn: followers have something to read.
    pub(crate) tail_dirty: bool,
    /// Scratch space for machine actions, reused to avoid allocating per step.
    pub(crate) actions: Vec<Action>,
    /// Scratch read buffer shared by every pipe.
    pub(crate) read_buf: Vec<u8>,
    /// What children started but not yet exec'd still read (see `process::spawn`).
    pub(crate) launches: Vec<crate::process::spawn::Launch>,
    /// systemd's `$NOTIFY_SOCKET`, if the daemon runs in a `Type=notify` unit.
    pub sd_notify: crate::daemon::sd_notify::SdNotify,
    /// Requests being answered, by connection, for their access lines (trace only).
    pub(crate) access: HashMap<ConnId, crate::daemon::access::Access>,
    /// The loop turn, counted: a sliced multicall goes on in a later turn than it paused.
    pub turn: u64,
    /// A sliced multicall paused: poll the waiting answers next turn without sleeping.
    pub resume_rpc: bool,
    /// `exec:` probe children and notify socket names (issue 14).
    pub watch_shared: crate::daemon::watch::WatchShared,
    /// The turn's time, read by the reactor (see `set_now`); nothing else reads the clock.
    pub now: crate::clock::Now,
}

impl Daemon {
    /// A daemon with no groups yet.
    ///
    /// # Errors
    /// The poll could not be created.
    pub fn new(
        loader: Loader,
        config: Config,
        log: MainLog,
        now: crate::clock::Now,
    ) -> std::io::Result<Daemon> {
        let server_url = auto_server_url(&config);
        Ok(Daemon {
            loader,
            config,
            environ: std::env::vars().collect(),
            server_url,
            mood: SupervisorState::Running,
            groups: Vec::new(),
            group_prio: HashMap::new(),
            procs: HashMap::new(),
            pids: HashMap::new(),
            next_proc: 1,
            poll: Poll::new()?,
            sources: HashMap::new(),
            next_token: 1,
            timers: Timers::new(),
            log,
            events: EventBus::new(),
            ticks: TickState::new(),
            tick_armed: false,
            dispatch_pending: false,
            changed: Vec::new(),
            stopping: Stopping::default(),
            http: HttpState::default(),
            csrf: crate::web::csrf::CsrfToken::generate(),
            fcgi: FcgiSockets::default(),
            http_carry: Vec::new(),
            tail_dirty: false,
            actions: Vec::new(),
            read_buf: vec![0; 64 * 1024],
            launches: Vec::new(),
            sd_notify: Default::default(),
            access: HashMap::new(),
            turn: 0,
            resume_rpc: false,
            watch_shared: Default::default(),
            now,
        })
    }

    /// A fresh token; tokens are never reused, so a stale event finds nothing.
    pub fn token(&mut self, source: Source) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        self.sources.insert(t, source);
        t
    }

    pub fn log(&mut self, level: Level, msg: &str) {
        self.log.log(level, msg);
    }

    /// Instantiates a group from its configuration: processes, AUTO log files, its event
    /// pool, PROCESS_GROUP_ADDED and, with `autostart`, the start of its autostart processes.
    pub fn add_group(&mut self, cfg: &GroupConfig, autostart: bool) {
        let listener = match &cfg.kind {
            GroupKind::EventListener(pool) => {
                self.events
                    .add_pool(Pool::new(&cfg.name, pool.events.clone(), pool.buffer_size));
                true
            }
            GroupKind::Program => false,
        };
        let ids: Vec<ProcId> = cfg
            .processes
            .iter()
            .map(|pcfg| self.add_process(&cfg.name, pcfg, listener))
            .collect();
        let group = Group {
            name: cfg.name.clone(),
            priority: cfg.priority,
            kind: cfg.kind.clone(),
            procs: ids.clone(),
        };
        let at = self.groups.partition_point(|g| {
            (g.priority, g.name.as_str()) < (group.priority, group.name.as_str())
        });
        self.groups.insert(at, group);
        self.group_prio.insert(cfg.name.clone(), cfg.priority);
        self.emit(Event::group_added(&cfg.name));
        self.arm_ticks();
        if autostart {
            self.autostart(&ids);
        }
    }

    /// Creates the entry of one process of `group` (AUTO log files included); `listener`
    /// for the processes of an event listener pool. The caller puts it in its group.
    pub fn add_process(&mut self, group: &str, pcfg: &ProcessConfig, listener: bool) -> ProcId {
        let id = self.next_proc;
        self.next_proc += 1;
        let dir = self.config.supervisord.childlogdir.clone();
        let ident = self.config.supervisord.identifier.clone();
        let (mut stdout, mut stderr) = (ChannelState::default(), ChannelState::default());
        for (chan, ccfg) in [
            (Channel::Stdout, &pcfg.stdout),
            (Channel::Stderr, &pcfg.stderr),
        ] {
            if chan == Channel::Stderr && pcfg.redirect_stderr {
                continue;
            }
            let state = ChannelState::new(&ccfg.logfile, || {
                auto_log_name(&dir, &pcfg.name, chan.name(), &ident)
            });
            match chan {
                Channel::Stdout => stdout = state,
                Channel::Stderr => stderr = state,
            }
        }
        if !pcfg.beyond.depends_on.is_empty() {
            self.watch_shared.with_depends = self.watch_shared.with_depends.saturating_add(1);
        }
        self.procs.insert(
            id,
            Process {
                group: group.to_string(),
                config: pcfg.clone(),
                machine: Machine::new(),
                stdout,
                stderr,
                stdin: None,
                listener: listener.then(|| ListenerProtocol::new(&pcfg.name)),
                scheduled: None,
                timer_gen: 0,
                stop_reported: None,
                counters: Counters::default(),
                watch: Default::default(),
            },
        );
        id
    }

    /// Starts the processes among `ids` that have `autostart=true`, while running.
    pub fn autostart(&mut self, ids: &[ProcId]) {
        if self.mood != SupervisorState::Running {
            return;
        }
        for id in ids {
            if self.procs.get(id).is_some_and(|p| p.config.autostart) {
                self.step(*id, Input::Start);
            }
        }
    }

    /// Drops a group whose processes are all stopped.
    pub fn remove_group(&mut self, name: &str) {
        if let Some(pos) = self.group_position(name) {
            let group = self.groups.remove(pos);
            self.drop_group(group);
        }
    }

    /// Drops every group (all stopped), in order, without shifting the list each time.
    pub fn remove_all_groups(&mut self) {
        for group in std::mem::take(&mut self.groups) {
            self.drop_group(group);
        }
    }

    fn drop_group(&mut self, group: Group) {
        self.group_prio.remove(&group.name);
        for id in &group.procs {
            self.remove_process(*id);
        }
        self.events.remove_pool(&group.name);
        self.emit(Event::group_removed(&group.name));
    }

    /// Forgets a process entry (its group keeps or drops its id).
    pub fn remove_process(&mut self, id: ProcId) -> Option<Process> {
        let p = self.procs.remove(&id)?;
        if !p.config.beyond.depends_on.is_empty() {
            self.watch_shared.with_depends = self.watch_shared.with_depends.saturating_sub(1);
        }
        Some(p)
    }

    fn group_position(&self, name: &str) -> Option<usize> {
        let prio = *self.group_prio.get(name)?;
        self.groups
            .binary_search_by(|g| (g.priority, g.name.as_str()).cmp(&(prio, name)))
            .ok()
    }

    /// The log path of a process channel for reading, its pending AUTO file created first
    /// (an empty log reads as empty, not as missing, as in the reference).
    pub fn readable_log(&mut self, id: ProcId, chan: Channel) -> Option<PathBuf> {
        self.create_pending_log(id, chan);
        self.procs.get(&id)?.channel(chan).log_path.clone()
    }

    /// Creates a channel's pending AUTO log file, reporting a failure.
    pub fn create_pending_log(&mut self, id: ProcId, chan: Channel) {
        let Some(p) = self.procs.get_mut(&id) else {
            return;
        };
        if let Err(e) = p.channel_mut(chan).create_pending_log() {
            let msg = format!(
                "unable to create the {} log of {}: {e}",
                chan.name(),
                p.config.name
            );
            self.log.log(Level::Error, &msg);
        }
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(self.group_position(name)?)
    }

    /// The process configs of an active group, in order.
    pub fn group_process_configs(&self, group: &Group) -> Vec<&crate::config::ProcessConfig> {
        group
            .procs
            .iter()
            .filter_map(|id| self.procs.get(id))
            .map(|p| &p.config)
            .collect()
    }

    /// The child environment: supervisord's own, then the configured `environment=`, then
    /// the SUPERVISOR_* variables.
    pub fn child_env(&self, p: &Process) -> Vec<(String, String)> {
        let mut env: BTreeMap<String, String> = self.environ.iter().cloned().collect();
        env.extend(
            p.config
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        // DIVERGENCE(Q6): SUPERVISOR_* win over `[supervisord] environment=`, as documented.
        env.insert("SUPERVISOR_ENABLED".into(), "1".into());
        env.insert("SUPERVISOR_PROCESS_NAME".into(), p.config.name.clone());
        env.insert("SUPERVISOR_GROUP_NAME".into(), p.group.clone());
        let url = p
            .config
            .serverurl
            .clone()
            .or_else(|| self.server_url.clone());
        match url {
            Some(u) => {
                env.insert("SUPERVISOR_SERVER_URL".into(), u);
            }
            None => {
                env.remove("SUPERVISOR_SERVER_URL");
            }
        }
        env.into_iter().collect()
    }
}

/// `SUPERVISOR_SERVER_URL` for `serverurl=AUTO`: the first unix server, else the last inet
/// server (an empty host reads `localhost`), else none.
pub fn auto_server_url(config: &Config) -> Option<String> {
    let unix = config.http_servers.iter().find_map(|s| match &s.kind {
        HttpServerKind::Unix { path, .. } => Some(format!("unix://{}", path.display())),
        HttpServerKind::Inet { .. } => None,
    });
    unix.or_else(|| {
        config
            .http_servers
            .iter()
            .rev()
            .find_map(|s| match &s.kind {
                HttpServerKind::Inet { host, port } => {
                    let host = if host.is_empty() || host == "*" {
                        "localhost"
                    } else {
                        host
                    };
                    Some(format!("http://{host}:{port}"))
                }
                HttpServerKind::Unix { .. } => None,
            })
    })
}
