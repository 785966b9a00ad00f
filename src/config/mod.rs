//! The configuration: typed, validated, compared by value.
//!
//! Owns every type the rest of the daemon reads its settings from. Nothing past the loader
//! sees a string map: `load` turns `supervisord.conf` (and its `[include]`s) into a [`Config`]
//! whose groups compare with `==`, so `reread` can diff an old and a new configuration.
//! Mirrors Supervisor's `options.py` (`ServerOptions.read_config`, `process_groups_from_parser`)
//! and `datatypes.py`; behaviour is specified in reference §1.
//!
//! [`load`] runs three stages:
//! 1. [`source::read_sources`] reads: the main file, its `[include]` files (each scanned by
//!    the pure `ini` reader as it is read), the environment and the host name;
//! 2. [`parse`] is pure: sections and environment in, typed values out, with users, groups,
//!    `~` and relative paths left as written and every lookup they need recorded as a
//!    [`resolve::Check`], in Supervisor's order;
//! 3. [`resolve()`] asks the system ([`resolve::Lookups`]): it runs the checks in order
//!    (so the first error is the one Supervisor reports, lookup or not), then completes
//!    the values into a [`Config`].
//!
//! The INI syntax is ours (`ini.rs`, a line scanner with ConfigParser's rules). No INI crate:
//! rust-ini, fed the scanner's re-escaped output until it was dropped, disagrees with
//! ConfigParser on raw text about inline comments, key case, continuation lines, spaces in
//! section names, `[DEFAULT]` and duplicate sections, so it could only ever re-read what the
//! scanner had already parsed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::expand::Names;
use crate::config::resolve::{Check, Lookups, Resolver, System};
use crate::config::source::Sources;
use crate::events::types::EventType;
use crate::logging::level::Level;

pub mod beyond;
pub mod check;
mod ctl;
pub mod environ;
pub mod expand;
mod ini;
mod program;
pub mod resolve;
mod search;
mod server;
pub mod source;
#[cfg(test)]
mod stages_tests;
pub mod values;

pub use ctl::{load_ctl, DEFAULT_SERVERURL};
pub use search::{find_config_file, search_paths, ROOT_SEARCH_WARNING};
pub use server::Overrides;

/// Why a configuration was refused. `Display` is Supervisor's exact message, without the
/// `Error: ` prefix the programs print before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> ConfigError {
        ConfigError {
            message: message.into(),
        }
    }
}

impl From<String> for ConfigError {
    fn from(message: String) -> ConfigError {
        ConfigError { message }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Reads, validates and resolves supervisord's configuration (reference §1): the file at
/// `path` and its `[include]`s, with the command-line `overrides` applied over
/// `[supervisord]`.
///
/// It can be called again (SIGHUP, `reloadConfig`) with the same arguments.
///
/// # Errors
/// The first problem found, in Supervisor's order of checks, with its exact text.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
    let sources = source::read_sources(path)?;
    resolve(parse(sources), overrides, &System)
}

/// [`load`] on the text of one file as if read from `path`, without `[include]` processing:
/// the whole parsing, validation and resolution with no file read (the fuzz target's entry
/// point).
///
/// # Errors
/// As [`load`].
pub fn load_text(text: &str, path: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
    let here = resolve::abspath(resolve::dirname(path));
    let sources = Sources::from_text(
        text,
        path,
        &here,
        source::environ_names(),
        &source::host_node_name(),
    )?;
    resolve(parse(sources), overrides, &System)
}

/// Stage 2's result: typed values that still name their users and paths, and the lookups
/// they need.
#[derive(Debug)]
pub struct Parsed {
    /// The lookups in Supervisor's order, up to the parse error if there is one.
    checks: Vec<Check>,
    /// `[supervisord]`'s expansion names, which the default `childlogdir` is expanded with.
    env: BTreeMap<String, String>,
    here: String,
    outcome: Result<Unresolved, ConfigError>,
}

#[derive(Debug)]
struct Unresolved {
    shown: String,
    supervisord: server::FileSettings,
    http_servers: Vec<server::ParsedServer>,
    groups: Vec<program::ParsedGroup>,
    supervisor_rpc: bool,
    messages: Vec<(Level, String)>,
}

/// Stage 2: validates and types the sections read from `sources`. Pure: no file, no
/// environment variable, no user database, no current directory is looked at.
pub fn parse(sources: Sources) -> Parsed {
    let mut checks = Vec::new();
    let outcome = parse_sections(&sources, &mut checks);
    Parsed {
        checks,
        env: sources.env,
        here: sources.here,
        outcome,
    }
}

fn parse_sections(sources: &Sources, checks: &mut Vec<Check>) -> Result<Unresolved, ConfigError> {
    let Sources {
        shown,
        here,
        raw,
        env,
        host_node_name,
    } = sources;
    let mut messages = raw.messages.clone();
    let section = raw
        .section("supervisord")
        .ok_or_else(|| ConfigError::new(".ini file does not include supervisord section"))?;
    let file = server::read_supervisord(section, env, here, host_node_name, &mut messages, checks)?;
    // Names defined by `[supervisord] environment=` are available to every later section.
    let mut env = env.clone();
    for (k, v) in &file.environment {
        env.insert(format!("ENV_{k}"), v.clone());
    }
    let (supervisor_rpc, rpc_warnings) = server::check_rpcinterfaces(raw, &env)?;
    messages.extend(rpc_warnings);
    let ctx = program::Context {
        env: &env,
        here,
        host_node_name,
    };
    let mut groups = program::groups(raw, &ctx, &mut messages, checks)?;
    check_dependencies(&groups)?;
    for process in groups.iter_mut().flat_map(|g| g.processes.iter_mut()) {
        let own = &mut process.config.environment;
        let mut merged: BTreeMap<String, String> = file.environment.iter().cloned().collect();
        merged.append(own);
        *own = merged;
    }
    let http_servers = server::http_servers(raw, &env, here, checks)?;
    // Logged as the reference does: criticals, then warnings, then infos.
    messages.sort_by_key(|m| std::cmp::Reverse(m.0));
    Ok(Unresolved {
        shown: shown.clone(),
        supervisord: file,
        http_servers,
        groups,
        supervisor_rpc,
        messages,
    })
}

/// Stage 3: every system lookup. The checks run first, in order, so a lookup Supervisor
/// makes before the value it refuses is reported first; then the command line is applied
/// and the values completed.
///
/// # Errors
/// The first failed check, else the parse's error, else `Invalid user name X` for the user
/// (the reference looks it up last).
pub fn resolve(
    parsed: Parsed,
    overrides: &Overrides,
    lookups: &dyn Lookups,
) -> Result<Config, ConfigError> {
    let mut resolver = Resolver::new(lookups);
    let names = Names::new(&parsed.env).with("here", &parsed.here);
    for check in &parsed.checks {
        resolver.check(check, &names)?;
    }
    let parsed_config = parsed.outcome?;
    let groups = parsed_config
        .groups
        .into_iter()
        .map(|g| g.resolve(&mut resolver))
        .collect::<Result<_, _>>()?;
    let http_servers = parsed_config
        .http_servers
        .into_iter()
        .map(|s| s.resolve(&mut resolver))
        .collect::<Result<_, _>>()?;
    let supervisord = server::realize(parsed_config.supervisord, overrides, &mut resolver, &names)?;
    Ok(Config {
        source: PathBuf::from(resolver.abspath(&parsed_config.shown)),
        supervisord,
        http_servers,
        groups,
        supervisor_rpc: parsed_config.supervisor_rpc,
        messages: parsed_config.messages,
    })
}

/// `depends_on` names that match nothing, and cycles (issue 14).
fn check_dependencies(groups: &[program::ParsedGroup]) -> Result<(), ConfigError> {
    let nodes: Vec<crate::process::deps::Node> = groups
        .iter()
        .flat_map(|g| {
            g.processes.iter().map(move |p| crate::process::deps::Node {
                group: &g.name,
                name: &p.config.name,
                program: &p.config.program,
                depends_on: &p.config.beyond.depends_on,
            })
        })
        .collect();
    crate::process::deps::check(&nodes).map_err(ConfigError::new)
}

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
    /// `[rpcinterface:supervisor]` is present: without it there is no `supervisor.*`
    /// namespace, as in Supervisor.
    pub supervisor_rpc: bool,
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
    /// `metrics = true`: serve `GET /metrics` (D11: a new key, off by default).
    pub metrics: bool,
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
    /// `*_logfile_rotate = daily|hourly` (a key of ours); `None` when not given.
    pub rotate: Option<crate::logging::file::Period>,
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
    /// `startsecs`, `startretries` and `stopwaitsecs` as given (a negative value acts as 0,
    /// as in the reference, and is reported unchanged by `getAllConfigInfo`).
    pub startsecs: i64,
    pub startretries: i64,
    pub autorestart: AutoRestart,
    pub exitcodes: Vec<i32>,
    pub stopsignal: i32,
    pub stopwaitsecs: i64,
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
    /// Readiness, dependencies, health checks and restart policy (D11, issue 14).
    pub beyond: beyond::Beyond,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory holding `supervisord.conf` with `text`.
    fn scratch(tag: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("svrs-load-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("supervisord.conf"), text).unwrap();
        dir
    }

    #[test]
    fn load_text_is_load_without_the_file() {
        let text = "[supervisord]\n[program:p]\ncommand=/bin/cat %(here)s\n";
        let dir = scratch("text", text);
        let path = dir.join("supervisord.conf");
        let from_file = load(&path, &Overrides::default()).unwrap();
        let from_text =
            super::load_text(text, &path.to_string_lossy(), &Overrides::default()).unwrap();
        assert_eq!(from_file, from_text);
        let err = super::load_text("[program:p]\n", "/x.conf", &Overrides::default());
        assert_eq!(
            err.unwrap_err().to_string(),
            ".ini file does not include supervisord section"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn load_text(tag: &str, text: &str, cli: &Overrides) -> Result<Config, String> {
        let dir = scratch(tag, text);
        let result = load(&dir.join("supervisord.conf"), cli).map_err(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    const BASE: &str = "[supervisord]\nlogfile=%(here)s/s.log\npidfile=%(here)s/s.pid\n\
                        childlogdir=%(here)s\n";

    #[test]
    fn global_environment_reaches_programs() {
        let c = load_text(
            "env",
            &format!(
                "{BASE}environment=A=1,B=global\n[program:x]\ncommand=/bin/echo %(ENV_A)s\n\
                 environment=B=own\n"
            ),
            &Overrides::default(),
        )
        .unwrap();
        let p = &c.groups[0].processes[0];
        assert_eq!(p.command, "/bin/echo 1");
        let env: Vec<(&str, &str)> = p
            .environment
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, [("A", "1"), ("B", "own")]);
        assert!(c.source.is_absolute());
    }

    #[test]
    fn messages_are_ordered_by_level_and_d6_warns() {
        let c = load_text(
            "messages",
            &format!(
                "{BASE}[include]\nfiles=none-*.ini\n[rpcinterface:foo]\n\
                 supervisor.rpcinterface_factory=nosuch.module:make\n\
                 [program:x]\ncommand=/bin/true\nstdout_logfile_maxbytes=0\n"
            ),
            &Overrides::default(),
        )
        .unwrap();
        let levels: Vec<Level> = c.messages.iter().map(|m| m.0).collect();
        assert_eq!(levels, [Level::Warn, Level::Warn, Level::Warn]);
        assert!(c.messages[0].1.starts_with("No file matches via include"));
        assert!(c.messages[1].1.contains("[rpcinterface:foo]"));
        assert!(c.messages[2].1.contains("AUTO logging"));
    }

    #[test]
    fn check_order_config_before_user() {
        let cli = Overrides {
            user: Some("nosuchuserxyz".into()),
            ..Overrides::default()
        };
        let broken = format!("{BASE}[program:x]\ncommand=/bin/true\nautostart=maybe\n");
        assert!(load_text("order1", &broken, &cli)
            .unwrap_err()
            .starts_with("not a valid boolean value: 'maybe'"));
        assert_eq!(
            load_text("order2", BASE, &cli).unwrap_err(),
            "Invalid user name nosuchuserxyz"
        );
    }

    #[test]
    fn loading_twice_gives_equal_configs() {
        let dir = scratch("twice", &format!("{BASE}[program:x]\ncommand=/bin/true\n"));
        let path = dir.join("supervisord.conf");
        let a = load(&path, &Overrides::default()).unwrap();
        let b = load(&path, &Overrides::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(a, b);
    }

    #[test]
    fn file_errors() {
        assert_eq!(
            load(Path::new("/nonexistent.conf"), &Overrides::default())
                .unwrap_err()
                .to_string(),
            "could not find config file /nonexistent.conf"
        );
        assert_eq!(
            load(Path::new("/"), &Overrides::default())
                .unwrap_err()
                .to_string(),
            "could not read config file /"
        );
        assert_eq!(
            load_text(
                "nosection",
                "[program:x]\ncommand=/bin/true\n",
                &Overrides::default()
            )
            .unwrap_err(),
            ".ini file does not include supervisord section"
        );
    }

    #[test]
    fn include_here_is_the_included_files_directory() {
        let dir = scratch(
            "include",
            &format!("{BASE}[include]\nfiles=conf.d/*.ini\n[program:main]\ncommand=%(here)s\n"),
        );
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(dir.join("conf.d/b.ini"), "[program:b]\ncommand=%(here)s\n").unwrap();
        std::fs::write(dir.join("conf.d/a.ini"), "[program:a]\ncommand=/bin/a\n").unwrap();
        let c = load(&dir.join("supervisord.conf"), &Overrides::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let commands: Vec<(&str, &str)> = c
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.processes[0].command.as_str()))
            .collect();
        let d = dir.display();
        assert_eq!(
            commands,
            [
                ("a", "/bin/a".to_string()),
                ("b", format!("{d}/conf.d")),
                ("main", d.to_string())
            ]
            .iter()
            .map(|(a, b)| (*a, b.as_str()))
            .collect::<Vec<_>>()
        );
        let infos: Vec<&str> = c.messages.iter().map(|m| m.1.as_str()).collect();
        assert_eq!(
            infos,
            [
                format!("Included extra file \"{d}/conf.d/a.ini\" during parsing"),
                format!("Included extra file \"{d}/conf.d/b.ini\" during parsing")
            ]
        );
    }

    #[test]
    fn include_errors() {
        assert_eq!(
            load_text(
                "incnofiles",
                &format!("{BASE}[include]\n"),
                &Overrides::default()
            )
            .unwrap_err(),
            ".ini file has [include] section, but no files setting"
        );
    }
}
