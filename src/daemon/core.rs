//! The reactor's state: the model it owns, the poll and its sources, timers, HTTP
//! connections, sockets and launches, plus adding and removing groups.
//!
//! Everything the loop owns lives in [`Daemon`]; behaviour is split by concern into
//! `exec` (process actions), `output` (child pipes), `stop` (shutdown/restart), `verbs`
//! (what the RPC handlers may do) and `reactor` (the turn). Only the loop thread ever
//! touches it.

use std::collections::{BTreeMap, HashMap};

use mio::{Poll, Token};

use crate::config::{Config, GroupConfig, HttpServerKind};
use crate::daemon::conn::{ConnId, HttpState};
use crate::daemon::fcgi::FcgiSockets;
use crate::daemon::stop::Stopping;
use crate::daemon::timers::Timers;
use crate::events::tick::TickState;
use crate::logging::main_log::MainLog;
use crate::model::{Channel, Model, ProcId, Process};
use crate::process::machine::{Action, Input};
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
    /// What supervisord knows: configuration, groups, processes, events, the activity log.
    pub model: Model,
    pub loader: Loader,
    /// supervisord's own environment, the base of every child's.
    pub environ: Vec<(String, String)>,
    /// `SUPERVISOR_SERVER_URL` for children whose `serverurl` is AUTO.
    pub server_url: Option<String>,
    pub poll: Poll,
    pub sources: HashMap<Token, Source>,
    next_token: usize,
    pub timers: Timers,
    pub ticks: TickState,
    pub tick_armed: bool,
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
    /// The sockets, pipes and probes watching each process (issue 14).
    pub(crate) watches: HashMap<ProcId, crate::daemon::watch::Watch>,
    /// The turn's time, read by the reactor (see `set_now`); nothing else reads the clock.
    pub now: crate::clock::Now,
    /// Started when this turn's work began: the per-turn work budget (D9).
    pub turn_work: crate::clock::Stopwatch,
}

/// Whether a group's autostart processes start when it is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autostart {
    Yes,
    /// At start-up: every group is added first, then all start in priority order.
    Later,
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
            model: Model::new(config, log),
            loader,
            environ: std::env::vars().collect(),
            server_url,
            poll: Poll::new()?,
            sources: HashMap::new(),
            next_token: 1,
            timers: Timers::new(),
            ticks: TickState::new(),
            tick_armed: false,
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
            watches: HashMap::new(),
            now,
            turn_work: crate::clock::Stopwatch::start(),
        })
    }

    /// A fresh token; tokens are never reused, so a stale event finds nothing.
    pub fn token(&mut self, source: Source) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        self.sources.insert(t, source);
        t
    }

    /// Instantiates a group from its configuration: processes, AUTO log names, its event
    /// pool, PROCESS_GROUP_ADDED and, with [`Autostart::Yes`], the start of its autostart
    /// processes.
    pub fn add_group(&mut self, cfg: &GroupConfig, autostart: Autostart) -> Vec<ProcId> {
        let ids = self.model.insert_group(cfg);
        self.arm_ticks();
        if autostart == Autostart::Yes {
            self.autostart(&ids);
        }
        ids
    }

    /// Starts the processes among `ids` that have `autostart=true`, while running.
    pub fn autostart(&mut self, ids: &[ProcId]) {
        if self.model.mood != SupervisorState::Running {
            return;
        }
        for id in ids {
            if self.model.procs.get(id).is_some_and(|p| p.config.autostart) {
                self.step(*id, Input::Start);
            }
        }
    }

    /// Drops a group whose processes are all stopped.
    pub fn remove_group(&mut self, name: &str) {
        for id in self.model.remove_group(name) {
            self.watches.remove(&id);
        }
    }

    /// Drops every group (all stopped).
    pub fn remove_all_groups(&mut self) {
        for id in self.model.remove_all_groups() {
            self.watches.remove(&id);
        }
    }

    /// Forgets a stopped process entry (its group keeps or drops its id).
    pub fn remove_process(&mut self, id: ProcId) {
        self.model.remove_process(id);
        self.watches.remove(&id);
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
