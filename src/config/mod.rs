//! The configuration: typed, validated, compared by value.
//!
//! Owns every type the rest of the daemon reads its settings from. Nothing past the loader
//! sees a string map: `load` turns `supervisord.conf` (and its `[include]`s) into a [`Config`]
//! whose groups compare with `==`, so `reread` can diff an old and a new configuration.
//! Mirrors Supervisor's `options.py` (`ServerOptions.read_config`, `process_groups_from_parser`)
//! and `datatypes.py`; behaviour is specified in reference §1.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::events::types::EventType;
use crate::logging::level::Level;

mod ctl_temp;
pub use ctl_temp::{load_ctl, ConfigError};

/// Everything `supervisord` reads from its configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The main configuration file, absolute.
    pub source: PathBuf,
    pub supervisord: SupervisordConfig,
    /// HTTP servers in the order Supervisor opens them: inet servers first, then unix.
    pub http_servers: Vec<HttpServerConfig>,
    /// Process groups and listener pools sorted by (priority, name).
    pub groups: Vec<GroupConfig>,
    /// Messages produced while parsing, logged once the activity log exists
    /// (criticals, then warnings, then infos, in the order they were produced).
    pub messages: Vec<(Level, String)>,
}

/// `[supervisord]` after command-line overrides (reference §1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisordConfig {
    pub logfile: MainLogTarget,
    pub logfile_maxbytes: u64,
    pub logfile_backups: u32,
    pub loglevel: Level,
    pub pidfile: PathBuf,
    pub umask: u32,
    pub nodaemon: bool,
    pub silent: bool,
    pub minfds: u64,
    pub minprocs: u64,
    pub nocleanup: bool,
    pub childlogdir: PathBuf,
    pub user: Option<UserSpec>,
    pub directory: Option<PathBuf>,
    pub strip_ansi: bool,
    /// `environment=`, in file order.
    pub environment: Vec<(String, String)>,
    pub identifier: String,
}

/// Where the activity log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MainLogTarget {
    File(PathBuf),
    Syslog,
}

/// A user resolved at parse time: the name as given (or the passwd name of a numeric uid),
/// its uid and its primary gid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserSpec {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// One `[unix_http_server]` or `[inet_http_server]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpServerConfig {
    /// The section name (`unix_http_server`), used in the no-auth CRIT line.
    pub section: String,
    pub kind: HttpServerKind,
    pub username: Option<String>,
    /// Clear text, or `{SHA}` followed by 40 hex digits.
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpServerKind {
    /// `port=`: an empty host means every interface.
    Inet { host: String, port: u16 },
    Unix {
        path: PathBuf,
        chmod: u32,
        /// `chown=user[:group]`; `None` keeps the daemon's own ids.
        chown: Option<(u32, Option<u32>)>,
    },
}

/// `[supervisorctl]` as supervisorctl reads it (reference §1.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlConfig {
    pub serverurl: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub prompt: String,
    pub history_file: Option<PathBuf>,
    /// Warnings to print before running (e.g. a foreign `[ctlplugin:x]`, D6).
    pub warnings: Vec<String>,
}

/// A process group: a `[program:x]` (homogeneous), a `[group:x]` (heterogeneous), an
/// `[fcgi-program:x]` or an `[eventlistener:x]` pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    pub name: String,
    pub priority: i32,
    pub kind: GroupKind,
    /// Processes sorted by (priority, name).
    pub processes: Vec<ProcessConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKind {
    Program,
    EventListener(PoolConfig),
}

/// The pool-level settings of an `[eventlistener:x]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Subscriptions, deduplicated, in the order given.
    pub events: Vec<EventType>,
    pub buffer_size: usize,
    pub result_handler: String,
}

/// `autorestart=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRestart {
    Never,
    Unexpected,
    Always,
}

impl AutoRestart {
    /// The text `getAllConfigInfo` reports (DIVERGENCE(Q9): always a string).
    pub fn name(self) -> &'static str {
        match self {
            AutoRestart::Never => "false",
            AutoRestart::Unexpected => "unexpected",
            AutoRestart::Always => "true",
        }
    }
}

/// A child log destination (`stdout_logfile=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// A file named in `childlogdir` when the group is instantiated.
    Auto,
    None,
    File(PathBuf),
}

/// The per-channel settings of a process (`stdout_*` or `stderr_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub logfile: LogTarget,
    pub logfile_maxbytes: u64,
    pub logfile_backups: u32,
    pub capture_maxbytes: u64,
    pub events_enabled: bool,
    pub syslog: bool,
}

/// The `[fcgi-program:x]` listening socket shared by the program's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcgiSocketConfig {
    pub url: SocketUrl,
    pub backlog: i32,
    /// Unix sockets only: owner uid and optional gid.
    pub owner: Option<(u32, Option<u32>)>,
    /// Unix sockets only.
    pub mode: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketUrl {
    Tcp { host: String, port: u16 },
    Unix { path: PathBuf },
}

impl std::fmt::Display for SocketUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SocketUrl::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            SocketUrl::Unix { path } => write!(f, "unix://{}", path.display()),
        }
    }
}

/// One process, fully expanded (reference §1.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessConfig {
    pub name: String,
    /// The section's program name (`x` of `[program:x]`).
    pub program: String,
    pub command: String,
    pub priority: i32,
    pub autostart: bool,
    pub startsecs: u64,
    pub startretries: u32,
    pub autorestart: AutoRestart,
    pub exitcodes: Vec<i32>,
    pub stopsignal: i32,
    pub stopwaitsecs: u64,
    pub stopasgroup: bool,
    pub killasgroup: bool,
    pub user: Option<UserSpec>,
    pub redirect_stderr: bool,
    pub stdout: ChannelConfig,
    pub stderr: ChannelConfig,
    /// `[supervisord] environment` overridden by the program's own `environment=`.
    pub environment: BTreeMap<String, String>,
    pub directory: Option<PathBuf>,
    pub umask: Option<u32>,
    /// `serverurl=`; `None` is `AUTO`.
    pub serverurl: Option<String>,
    /// Set for the processes of an `[fcgi-program:x]`.
    pub fcgi: Option<FcgiSocketConfig>,
}
