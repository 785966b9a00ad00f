//! Process groups: `[group:x]`, `[program:x]`, `[eventlistener:x]` and `[fcgi-program:x]`
//! (reference §1.10–1.13).
//!
//! Owns turning those sections into [`GroupConfig`]s: per-process expansion (`numprocs`,
//! `process_name`, `%(process_num)s`), priorities, parse-time warnings, and the exact error
//! texts with their ` in section '...' (file: '...')` suffix. Pure: users, log directories and
//! socket owners are left as names, each with a [`Check`] for the resolve pass, which
//! [`ParsedGroup::resolve`] then completes.
//! Mirrors `options.py` `process_groups_from_parser`, `processes_from_section` and
//! `parse_fcgi_socket`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::expand::{expand, Names, Value};
use crate::config::ini::{RawConfig, Section};
use crate::config::resolve::{normpath, Check, Resolver};
use crate::config::values::{
    self, auto_restart, boolean, byte_size, clamp, exitcodes, integer, list_of_strings, octal,
    process_or_group_name, LogfileName,
};
use crate::config::{beyond, environ};
use crate::config::{
    AutoRestart, ChannelConfig, ConfigError, FcgiSocketConfig, GroupConfig, GroupKind, LogTarget,
    PoolConfig, ProcessConfig, SocketUrl,
};
use crate::events::types::EventType;
use crate::logging::file::Period;
use crate::logging::level::Level;
use crate::pytext;
use crate::signame::parse_signal;

/// The most processes a configuration may define, all sections together: ten times the scale
/// the daemon is measured at (10,000 programs), and small enough that loading stays under a
/// second (100,000 load in 0.5 s in a release build).
const MAX_PROCESSES: i64 = 100_000;

/// What the group sections need from the rest of the configuration.
pub struct Context<'a> {
    /// `ENV_*` names, including those `[supervisord] environment=` defines.
    pub env: &'a BTreeMap<String, String>,
    /// The main configuration file's directory.
    pub here: &'a str,
    pub host_node_name: &'a str,
}

/// A group as the parse leaves it: its processes still name their users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGroup {
    pub name: String,
    pub priority: i32,
    pub kind: GroupKind,
    pub processes: Vec<ParsedProcess>,
}

/// A process as the parse leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedProcess {
    /// Complete but for `user` (see below), `fcgi` (see `socket`) and the `~` of its log
    /// file paths, which are as written.
    pub config: ProcessConfig,
    /// `user=` as written.
    user: Option<String>,
    socket: Option<ParsedSocket>,
}

/// An `[fcgi-program:x]` socket whose owner is not looked up yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParsedSocket {
    /// Complete but for `owner`.
    config: FcgiSocketConfig,
    owner: SocketOwner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SocketOwner {
    /// The daemon's own ids.
    Daemon,
    /// `socket_owner=user[:group]`.
    Given(String),
    /// The program's `user=`, if it is not the daemon's user.
    ProgramUser(String),
}

impl ParsedGroup {
    /// Looks up what the parse left as names; every lookup was checked before.
    ///
    /// # Errors
    /// `Invalid user name X` and the like, should the system change between the two.
    pub fn resolve(self, resolver: &mut Resolver) -> Result<GroupConfig, ConfigError> {
        let processes = self
            .processes
            .into_iter()
            .map(|p| p.resolve(resolver))
            .collect::<Result<_, _>>()?;
        Ok(GroupConfig {
            name: self.name,
            priority: self.priority,
            kind: self.kind,
            processes,
        })
    }
}

impl ParsedProcess {
    fn resolve(self, resolver: &mut Resolver) -> Result<ProcessConfig, ConfigError> {
        let mut config = self.config;
        config.user = self.user.map(|u| resolver.user(&u)).transpose()?;
        for channel in [&mut config.stdout, &mut config.stderr] {
            if let LogTarget::File(path) = &mut channel.logfile {
                *path = PathBuf::from(resolver.expanduser(&path.to_string_lossy()));
            }
        }
        config.fcgi = self.socket.map(|s| s.resolve(resolver)).transpose()?;
        Ok(config)
    }
}

impl ParsedSocket {
    fn resolve(self, resolver: &mut Resolver) -> Result<FcgiSocketConfig, ConfigError> {
        let owner = match self.owner {
            SocketOwner::Daemon => None,
            SocketOwner::Given(v) => Some(
                resolver
                    .user_group(&v)
                    .ok_or_else(|| ConfigError::new(format!("Invalid socket_owner value {v}")))?,
            ),
            SocketOwner::ProgramUser(name) => {
                let uid = resolver.user(&name)?.uid;
                (uid != resolver.current_uid()).then(|| (uid, resolver.gid_for_uid(uid)))
            }
        };
        Ok(FcgiSocketConfig {
            owner,
            ..self.config
        })
    }
}

/// The only `result_handler` that exists without Python.
const DEFAULT_RESULT_HANDLER: &str = "supervisor.dispatchers:default_handler";

/// Builds every group in Supervisor's order of checks, sorted by (priority, name).
/// Every lookup left for later is added to `checks`, in Supervisor's order.
///
/// # Errors
/// The first invalid section, with Supervisor's text.
pub fn groups(
    raw: &RawConfig,
    ctx: &Context,
    messages: &mut Vec<(Level, String)>,
    checks: &mut Vec<Check>,
) -> Result<Vec<ParsedGroup>, ConfigError> {
    let mut groups = Vec::new();
    let mut grouped: Vec<&str> = Vec::new();
    let budget = Cell::new(MAX_PROCESSES);
    let names = Names::new(ctx.env).with("here", ctx.here);
    let get = |section: &Section, key: &str| value(section, key, &names);
    let priority = |section: &Section, default: i64| -> Result<i64, ConfigError> {
        Ok(get(section, "priority")?
            .map(|p| integer(&p))
            .transpose()?
            .unwrap_or(default))
    };

    for section in with_prefix(raw, "group:") {
        let group_name = process_or_group_name(suffix(&section.name))?;
        let programs = list_of_strings(&get(section, "programs")?.unwrap_or_default());
        let group_priority = priority(section, 999)?;
        let mut processes = Vec::new();
        for program in programs {
            let plain = raw.section(&format!("program:{program}"));
            let fcgi = raw.section(&format!("fcgi-program:{program}"));
            // DIVERGENCE(Q13): the reference names the previous program's section here once
            // its loop variable has been reused; we always name the [group:x] section.
            let member = match (plain, fcgi) {
                (None, None) => {
                    return Err(ConfigError::new(format!(
                        "[{}] names unknown program or fcgi-program {program}",
                        section.name
                    )))
                }
                (Some(_), Some(_)) => {
                    return Err(ConfigError::new(format!(
                        "[{}] name {program} is ambiguous (exists as program and fcgi-program)",
                        section.name
                    )))
                }
                (Some(s), None) | (None, Some(s)) => s,
            };
            grouped.push(&member.name);
            // COMPAT: members of a [group:x] are plain processes, even fcgi-programs (the
            // reference builds them with ProcessConfig, so they get no socket).
            processes.extend(processes_from_section(
                member,
                &group_name,
                ctx,
                &budget,
                None,
                messages,
                checks,
            )?);
        }
        // As the reference (a stable sort on priority alone): processes of equal priority
        // keep the order `programs=` lists them in.
        processes.sort_by_key(|p| p.config.priority);
        groups.push(ParsedGroup {
            name: group_name,
            priority: clamp(group_priority),
            kind: GroupKind::Program,
            processes,
        });
    }

    for section in with_prefix(raw, "program:") {
        if grouped.contains(&section.name.as_str()) {
            continue;
        }
        let name = process_or_group_name(suffix(&section.name))?;
        let group_priority = priority(section, 999)?;
        let processes =
            processes_from_section(section, &name, ctx, &budget, None, messages, checks)?;
        groups.push(ParsedGroup {
            name,
            priority: clamp(group_priority),
            kind: GroupKind::Program,
            processes,
        });
    }

    for section in with_prefix(raw, "eventlistener:") {
        let pool_name = suffix(&section.name).to_string();
        // Listeners start first and stop last unless told otherwise.
        let pool_priority = priority(section, -1)?;
        let buffer_size = integer(&get(section, "buffer_size")?.unwrap_or_else(|| "10".into()))?;
        if buffer_size < 1 {
            return Err(ConfigError::new(format!(
                "[{}] section sets invalid buffer_size ({buffer_size})",
                section.name
            )));
        }
        let result_handler =
            get(section, "result_handler")?.unwrap_or_else(|| DEFAULT_RESULT_HANDLER.to_string());
        if result_handler != DEFAULT_RESULT_HANDLER {
            return Err(ConfigError::new(format!(
                "{result_handler} cannot be resolved within [{}]",
                section.name
            )));
        }
        let events = pool_events(section, &get(section, "events")?.unwrap_or_default())?;
        let redirect = get(section, "redirect_stderr")?.unwrap_or_else(|| "false".into());
        if boolean(&redirect)? {
            return Err(ConfigError::new(format!(
                "[{}] section sets redirect_stderr=true but this is not allowed because it will \
                 interfere with the eventlistener protocol",
                section.name
            )));
        }
        let processes =
            processes_from_section(section, &pool_name, ctx, &budget, None, messages, checks)?;
        groups.push(ParsedGroup {
            name: pool_name,
            priority: clamp(pool_priority),
            kind: GroupKind::EventListener(PoolConfig {
                events,
                buffer_size: clamp(buffer_size),
                result_handler,
            }),
            processes,
        });
    }

    for section in with_prefix(raw, "fcgi-program:") {
        if grouped.contains(&section.name.as_str()) {
            continue;
        }
        let name = process_or_group_name(suffix(&section.name))?;
        let group_priority = priority(section, 999)?;
        let socket = fcgi_socket(section, &name, &names, checks)?;
        let processes = processes_from_section(
            section,
            &name,
            ctx,
            &budget,
            Some(&socket),
            messages,
            checks,
        )?;
        groups.push(ParsedGroup {
            name,
            priority: clamp(group_priority),
            kind: GroupKind::Program,
            processes,
        });
    }

    groups.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
    Ok(groups)
}

/// A group-level value, expanded with the names of that level (`here`, `ENV_*`).
fn value(section: &Section, key: &str, names: &Names) -> Result<Option<String>, ConfigError> {
    section
        .get(key)
        .map(|v| expand(v, names, &format!("{}.{key}", section.name)))
        .transpose()
        .map_err(ConfigError::new)
}

fn with_prefix<'r>(raw: &'r RawConfig, prefix: &'r str) -> impl Iterator<Item = &'r Section> {
    raw.sections
        .iter()
        .filter(move |s| s.name.starts_with(prefix))
}

/// The part of a section name after the first `:`.
fn suffix(section: &str) -> &str {
    section.split_once(':').map_or("", |(_, name)| name)
}

fn sort_processes(processes: &mut [ParsedProcess]) {
    processes.sort_by(|a, b| {
        (a.config.priority, &a.config.name).cmp(&(b.config.priority, &b.config.name))
    });
}

/// `events=`: upper-cased, deduplicated, each a known event type.
fn pool_events(section: &Section, value: &str) -> Result<Vec<EventType>, ConfigError> {
    let mut events = Vec::new();
    for name in list_of_strings(value) {
        let name = name.to_uppercase();
        let Some(event) = EventType::from_name(&name) else {
            return Err(ConfigError::new(format!(
                "Unknown event type {name} in [{}] events",
                section.name
            )));
        };
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(ConfigError::new(format!(
            "[{}] section requires an \"events\" line",
            section.name
        )));
    }
    Ok(events)
}

/// The `socket=` of an `[fcgi-program:x]` and its `socket_*` options.
fn fcgi_socket(
    section: &Section,
    program_name: &str,
    names: &Names,
    checks: &mut Vec<Check>,
) -> Result<ParsedSocket, ConfigError> {
    let get = |section: &Section, key: &str| value(section, key, names);
    let user = get(section, "user")?;
    if let Some(name) = &user {
        checks.push(Check::User {
            name: name.clone(),
            within: None,
        });
    }
    let backlog = match get(section, "socket_backlog")? {
        Some(v) => match integer(&v)? {
            n @ 1..=65535 => Some(clamp(n)),
            n => {
                return Err(ConfigError::new(format!(
                    "Invalid socket_backlog value {n}"
                )))
            }
        },
        None => None,
    };
    let owner = get(section, "socket_owner")?;
    if let Some(v) = &owner {
        checks.push(Check::UserGroup {
            value: v.clone(),
            error: format!("Invalid socket_owner value {v}"),
        });
    }
    let mode = match get(section, "socket_mode")? {
        Some(v) => Some(
            octal(&v).map_err(|_| ConfigError::new(format!("Invalid socket_mode value {v}")))?,
        ),
        None => None,
    };
    let socket_names = names.clone().with("program_name", program_name);
    let socket = value(section, "socket", &socket_names)?.unwrap_or_default();
    if socket.is_empty() {
        return Err(ConfigError::new(format!(
            "[{}] section requires a \"socket\" line",
            section.name
        )));
    }
    let backlog = backlog.unwrap_or(libc::SOMAXCONN);
    let in_socket = |msg: String| ConfigError::new(format!("{msg} in [{}] socket", section.name));
    if let Some(path) = socket.strip_prefix("unix://") {
        // DIVERGENCE(Q14): the reference prints these two messages as Python tuples.
        if !path.starts_with('/') {
            return Err(in_socket(format!(
                "Unix socket path {path} is not an absolute path"
            )));
        }
        let owner = match (owner, user) {
            (Some(given), _) => SocketOwner::Given(given),
            (None, Some(user)) => SocketOwner::ProgramUser(user),
            (None, None) => SocketOwner::Daemon,
        };
        return Ok(ParsedSocket {
            config: FcgiSocketConfig {
                url: SocketUrl::Unix {
                    // Absolute, so `normalize_path` is lexical.
                    path: PathBuf::from(normpath(path)),
                },
                backlog,
                owner: None,
                mode: mode.unwrap_or(0o700),
            },
            owner,
        });
    }
    if owner.is_some() || mode.is_some() {
        return Err(in_socket(
            "socket_owner and socket_mode params should only be used with a Unix domain socket"
                .to_string(),
        ));
    }
    let tcp = socket.strip_prefix("tcp://").and_then(|rest| {
        let (host, port) = rest.rsplit_once(':')?;
        let host_ok = !host.is_empty() && !host.contains(|c: char| c == ':' || c.is_whitespace());
        let port_ok = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        (host_ok && port_ok).then_some((host, port))
    });
    match tcp {
        Some((host, port)) => Ok(ParsedSocket {
            config: FcgiSocketConfig {
                url: SocketUrl::Tcp {
                    host: host.to_lowercase(),
                    port: values::port_number(port).map_err(in_socket)?,
                },
                backlog,
                owner: None,
                mode: 0o700,
            },
            owner: SocketOwner::Daemon,
        }),
        None => Err(in_socket(format!("Bad socket format {socket}"))),
    }
}

/// The processes of one program section, with errors suffixed by the section and its file.
/// `budget`: how many more processes the configuration may define.
fn processes_from_section(
    section: &Section,
    group_name: &str,
    ctx: &Context,
    budget: &Cell<i64>,
    fcgi: Option<&ParsedSocket>,
    messages: &mut Vec<(Level, String)>,
    checks: &mut Vec<Check>,
) -> Result<Vec<ParsedProcess>, ConfigError> {
    read_processes(section, group_name, ctx, budget, fcgi, messages, checks)
        .map_err(|e| ConfigError::new(format!("{e} {}", within(section))))
}

/// The context Supervisor appends to the errors of a process section.
fn within(section: &Section) -> String {
    format!(
        "in section {} (file: {})",
        pytext::repr(&section.name),
        pytext::repr(&section.file)
    )
}

/// The per-section settings every process of the section shares.
struct Shared {
    priority: i64,
    autostart: bool,
    autorestart: AutoRestart,
    startsecs: i64,
    startretries: i64,
    stopsignal: i32,
    stopwaitsecs: i64,
    stopasgroup: bool,
    killasgroup: bool,
    exitcodes: Vec<i32>,
    redirect_stderr: bool,
    serverurl: Option<String>,
    user: Option<String>,
    umask: Option<u32>,
}

/// A channel's settings read once per section (`*_capture_maxbytes`, `*_events_enabled`).
struct ChannelShared {
    capture_maxbytes: i64,
    events_enabled: bool,
}

fn read_processes(
    section: &Section,
    group_name: &str,
    ctx: &Context,
    budget: &Cell<i64>,
    fcgi: Option<&ParsedSocket>,
    messages: &mut Vec<(Level, String)>,
    checks: &mut Vec<Check>,
) -> Result<Vec<ParsedProcess>, String> {
    let program_name = process_or_group_name(suffix(&section.name))?;
    let mut names = Names::new(ctx.env)
        .with("here", ctx.here)
        .with("program_name", &program_name)
        .with("host_node_name", ctx.host_node_name)
        .with("group_name", group_name);
    let what = |key: &str| format!("{}.{key}", section.name);
    let get = |names: &Names, key: &str, default: &str| -> Result<String, String> {
        expand(section.get(key).unwrap_or(default), names, &what(key))
    };
    let opt = |names: &Names, key: &str| -> Result<Option<String>, String> {
        section
            .get(key)
            .map(|v| expand(v, names, &what(key)))
            .transpose()
    };
    // Read in the reference's order, so the first error reported is the same.
    let priority = integer(&get(&names, "priority", "999")?)?;
    let autostart = boolean(&get(&names, "autostart", "true")?)?;
    let autorestart = auto_restart(&get(&names, "autorestart", "unexpected")?)?;
    let startsecs = integer(&get(&names, "startsecs", "1")?)?;
    let startretries = integer(&get(&names, "startretries", "3")?)?;
    let stopsignal =
        parse_signal(&get(&names, "stopsignal", "TERM")?).map_err(|e| e.to_string())?;
    let stopwaitsecs = integer(&get(&names, "stopwaitsecs", "10")?)?;
    let stopasgroup = boolean(&get(&names, "stopasgroup", "false")?)?;
    let killasgroup_default = if stopasgroup { "true" } else { "false" };
    let killasgroup = boolean(&get(&names, "killasgroup", killasgroup_default)?)?;
    let exitcodes = exitcodes(&get(&names, "exitcodes", "0")?)?;
    let redirect_stderr = boolean(&get(&names, "redirect_stderr", "false")?)?;
    let numprocs_text = get(&names, "numprocs", "1")?;
    let numprocs = integer(&numprocs_text)?;
    let numprocs_start = integer(&get(&names, "numprocs_start", "0")?)?;
    let environment_raw = section.get("environment").unwrap_or("").to_string();
    let channel_shared = |channel: &str| -> Result<ChannelShared, String> {
        Ok(ChannelShared {
            capture_maxbytes: byte_size(&get(
                &names,
                &format!("{channel}_capture_maxbytes"),
                "0",
            )?)?,
            events_enabled: boolean(&get(&names, &format!("{channel}_events_enabled"), "false")?)?,
        })
    };
    let out_shared = channel_shared("stdout")?;
    let err_shared = channel_shared("stderr")?;
    let serverurl =
        opt(&names, "serverurl")?.filter(|url| !url.trim().eq_ignore_ascii_case("auto"));
    let user = opt(&names, "user")?;
    if let Some(name) = &user {
        checks.push(Check::User {
            name: name.clone(),
            within: Some(within(section)),
        });
    }
    let umask = opt(&names, "umask")?.map(|u| octal(&u)).transpose()?;
    let process_name =
        process_or_group_name(section.get("process_name").unwrap_or("%(program_name)s"))?;
    if numprocs > 1 && !process_name.contains("%(process_num)") {
        return Err("%(process_num) must be present within process_name when numprocs > 1".into());
    }
    // DIVERGENCE(D5): the reference builds every process of any numprocs (a huge value, or
    // a group listing a program many times, hangs it until memory runs out); past
    // MAX_PROCESSES in all this is a clear error instead.
    let left = budget.get();
    if numprocs > left {
        return Err(format!(
            "numprocs={} is too large (at most {MAX_PROCESSES} processes in all)",
            numprocs_text.trim()
        ));
    }
    budget.set(left.saturating_sub(numprocs.max(0)));
    if stopasgroup && !killasgroup {
        return Err("Cannot set stopasgroup=true and killasgroup=false".into());
    }
    let shared = Shared {
        priority,
        autostart,
        autorestart,
        startsecs,
        startretries,
        stopsignal,
        stopwaitsecs,
        stopasgroup,
        killasgroup,
        exitcodes,
        redirect_stderr,
        serverurl,
        user,
        umask,
    };

    let mut processes = Vec::new();
    let mut noted = false;
    let mut own_env: Vec<String> = Vec::new();
    let end = numprocs_start.saturating_add(numprocs.max(0));
    for process_num in numprocs_start..end {
        names.set("process_num", Value::Int(process_num));
        names.set("numprocs", Value::Int(numprocs));
        // COMPAT: each process starts from the global ENV_* values again; names only the
        // previous process's environment= defined stay visible (as in the reference).
        for key in own_env.drain(..) {
            if let Some(v) = ctx.env.get(&key) {
                names.set(&key, Value::Str(v.clone()));
            }
        }
        let env = environ::parse(&expand(&environment_raw, &names, "environment")?)?;
        if !noted {
            for note in &env.notes {
                messages.push((
                    Level::Warn,
                    format!("For [{}], environment: {note}", section.name),
                ));
            }
            noted = true;
        }
        // A program's own environment= wins over the global one in later expansions.
        for (k, v) in &env.pairs {
            let key = format!("ENV_{k}");
            names.set(&key, Value::Str(v.clone()));
            own_env.push(key);
        }
        let directory = opt(&names, "directory")?;
        let stdout = channel(section, &names, "stdout", &out_shared, messages, checks)?;
        let mut stderr = channel(section, &names, "stderr", &err_shared, messages, checks)?;
        if shared.redirect_stderr {
            if let LogTarget::File(_) = stderr.logfile {
                messages.push((
                    Level::Warn,
                    format!(
                        "For [{}], redirect_stderr=true but stderr_logfile has also been set \
                         to a filename, the filename has been ignored",
                        section.name
                    ),
                ));
            }
            // No stderr log is ever created when stderr goes to the stdout pipe.
            stderr.logfile = LogTarget::None;
        }
        let command = opt(&names, "command")?.ok_or_else(|| {
            format!(
                "program section {} does not specify a command",
                section.name
            )
        })?;
        let config = ProcessConfig {
            name: expand(&process_name, &names, "process_name")?,
            program: program_name.clone(),
            command,
            priority: clamp(shared.priority),
            autostart: shared.autostart,
            startsecs: shared.startsecs,
            startretries: shared.startretries,
            autorestart: shared.autorestart,
            exitcodes: shared.exitcodes.clone(),
            stopsignal: shared.stopsignal,
            stopwaitsecs: shared.stopwaitsecs,
            stopasgroup: shared.stopasgroup,
            killasgroup: shared.killasgroup,
            user: None,
            redirect_stderr: shared.redirect_stderr,
            stdout,
            stderr,
            environment: env.pairs.into_iter().collect(),
            directory: directory.map(PathBuf::from),
            umask: shared.umask,
            serverurl: shared.serverurl.clone(),
            fcgi: None,
            beyond: beyond::read(&|key| opt(&names, key))?,
        };
        processes.push(ParsedProcess {
            config,
            user: shared.user.clone(),
            socket: fcgi.cloned(),
        });
    }
    sort_processes(&mut processes);
    Ok(processes)
}

/// One channel's `*_logfile*`, `*_syslog` settings for one process.
fn channel(
    section: &Section,
    names: &Names,
    channel: &str,
    shared: &ChannelShared,
    messages: &mut Vec<(Level, String)>,
    checks: &mut Vec<Check>,
) -> Result<ChannelConfig, String> {
    let key = |suffix: &str| format!("{channel}_{suffix}");
    let get = |k: &str, default: &str| -> Result<String, String> {
        expand(
            section.get(k).unwrap_or(default),
            names,
            &format!("{}.{k}", section.name),
        )
    };
    let logfile_key = key("logfile");
    let logfile = match section.get(&logfile_key) {
        // COMPAT: a logfile value is expanded twice (so `%%` must be written `%%%%`).
        Some(_) => {
            let once = get(&logfile_key, "")?;
            values::logfile_name(&expand(&once, names, &logfile_key)?)
        }
        None => LogfileName::Auto,
    };
    if let LogfileName::Path(path) = &logfile {
        checks.push(Check::DirPath {
            path: path.clone(),
            within: Some(within(section)),
        });
    }
    let backups = integer(&get(&key("logfile_backups"), "10")?)?;
    let maxbytes = byte_size(&get(&key("logfile_maxbytes"), "50MB")?)?;
    let mut syslog = boolean(&get(&key("syslog"), "false")?)?;
    // A key of ours (D11): time-based rotation, besides maxbytes.
    let rotate = match section.get(&key("logfile_rotate")) {
        None => None,
        Some(_) => {
            let v = get(&key("logfile_rotate"), "")?;
            Some(Period::parse(&v).ok_or_else(|| {
                format!(
                    "invalid {} value {}: expected daily or hourly",
                    key("logfile_rotate"),
                    crate::pytext::repr(&v)
                )
            })?)
        }
    };
    let target = match logfile {
        LogfileName::Syslog => {
            messages.push((
                Level::Warn,
                format!(
                    "For [{}], {logfile_key}=syslog but this is deprecated and will be removed.  \
                     Use {}=true to enable syslog instead.",
                    section.name,
                    key("syslog")
                ),
            ));
            syslog = true;
            LogTarget::None
        }
        LogfileName::Auto => {
            if maxbytes == 0 {
                messages.push((
                    Level::Warn,
                    format!(
                        "For [{}], AUTO logging used for {logfile_key} without rollover, set \
                         maxbytes > 0 to avoid filling up filesystem unintentionally",
                        section.name
                    ),
                ));
            }
            LogTarget::Auto
        }
        LogfileName::None => LogTarget::None,
        LogfileName::Path(p) => LogTarget::File(PathBuf::from(p)),
    };
    Ok(ChannelConfig {
        logfile: target,
        logfile_maxbytes: clamp(maxbytes),
        logfile_backups: clamp(backups),
        capture_maxbytes: clamp(shared.capture_maxbytes),
        events_enabled: shared.events_enabled,
        syslog,
        rotate,
    })
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
