//! Process groups: `[group:x]`, `[program:x]`, `[eventlistener:x]` and `[fcgi-program:x]`
//! (reference §1.10–1.13).
//!
//! Owns turning those sections into [`GroupConfig`]s: per-process expansion (`numprocs`,
//! `process_name`, `%(process_num)s`), priorities, parse-time warnings, and the exact error
//! texts with their ` in section '...' (file: '...')` suffix. It reads no files.
//! Mirrors `options.py` `process_groups_from_parser`, `processes_from_section` and
//! `parse_fcgi_socket`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::expand::{expand, Names, Value};
use crate::config::ini::{RawConfig, Section};
use crate::config::resolve::{self, existing_dirpath, normalize_path};
use crate::config::values::{
    self, auto_restart, boolean, byte_size, clamp, exitcodes, integer, list_of_strings, octal,
    process_or_group_name, LogfileName,
};
use crate::config::{beyond, environ};
use crate::config::{
    AutoRestart, ChannelConfig, ConfigError, FcgiSocketConfig, GroupConfig, GroupKind, LogTarget,
    PoolConfig, ProcessConfig, SocketUrl, UserSpec,
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
    /// The uid supervisord runs as (for the default owner of FastCGI sockets).
    pub uid: u32,
}

/// The only `result_handler` that exists without Python.
const DEFAULT_RESULT_HANDLER: &str = "supervisor.dispatchers:default_handler";

/// Builds every group in Supervisor's order of checks, sorted by (priority, name).
///
/// # Errors
/// The first invalid section, with Supervisor's text.
pub fn groups(
    raw: &RawConfig,
    ctx: &Context,
    messages: &mut Vec<(Level, String)>,
) -> Result<Vec<GroupConfig>, ConfigError> {
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
            )?);
        }
        // As the reference (a stable sort on priority alone): processes of equal priority
        // keep the order `programs=` lists them in.
        processes.sort_by_key(|p| p.priority);
        groups.push(GroupConfig {
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
        let processes = processes_from_section(section, &name, ctx, &budget, None, messages)?;
        groups.push(GroupConfig {
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
        let processes = processes_from_section(section, &pool_name, ctx, &budget, None, messages)?;
        groups.push(GroupConfig {
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
        let socket = fcgi_socket(section, &name, ctx, &names)?;
        let processes =
            processes_from_section(section, &name, ctx, &budget, Some(&socket), messages)?;
        groups.push(GroupConfig {
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

fn sort_processes(processes: &mut [ProcessConfig]) {
    processes.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
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
    ctx: &Context,
    names: &Names,
) -> Result<FcgiSocketConfig, ConfigError> {
    let get = |section: &Section, key: &str| value(section, key, names);
    let proc_uid = get(section, "user")?
        .map(|u| resolve::user(&u).map(|spec| spec.uid))
        .transpose()?;
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
    let owner = match get(section, "socket_owner")? {
        Some(v) => Some(
            resolve::user_group(&v)
                .ok_or_else(|| ConfigError::new(format!("Invalid socket_owner value {v}")))?,
        ),
        None => None,
    };
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
        let owner = owner.or_else(|| {
            proc_uid
                .filter(|uid| *uid != ctx.uid)
                .map(|uid| (uid, resolve::gid_for_uid(uid)))
        });
        return Ok(FcgiSocketConfig {
            url: SocketUrl::Unix {
                path: PathBuf::from(normalize_path(path)),
            },
            backlog,
            owner,
            mode: mode.unwrap_or(0o700),
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
        Some((host, port)) => Ok(FcgiSocketConfig {
            url: SocketUrl::Tcp {
                host: host.to_lowercase(),
                port: values::port_number(port).map_err(in_socket)?,
            },
            backlog,
            owner: None,
            mode: 0o700,
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
    fcgi: Option<&FcgiSocketConfig>,
    messages: &mut Vec<(Level, String)>,
) -> Result<Vec<ProcessConfig>, ConfigError> {
    read_processes(section, group_name, ctx, budget, fcgi, messages).map_err(|e| {
        ConfigError::new(format!(
            "{e} in section {} (file: {})",
            pytext::repr(&section.name),
            pytext::repr(&section.file)
        ))
    })
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
    user: Option<UserSpec>,
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
    fcgi: Option<&FcgiSocketConfig>,
    messages: &mut Vec<(Level, String)>,
) -> Result<Vec<ProcessConfig>, String> {
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
    let user = opt(&names, "user")?
        .map(|u| resolve::user(&u))
        .transpose()?;
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
        let stdout = channel(section, &names, "stdout", &out_shared, messages)?;
        let mut stderr = channel(section, &names, "stderr", &err_shared, messages)?;
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
        processes.push(ProcessConfig {
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
            user: shared.user.clone(),
            redirect_stderr: shared.redirect_stderr,
            stdout,
            stderr,
            environment: env.pairs.into_iter().collect(),
            directory: directory.map(PathBuf::from),
            umask: shared.umask,
            serverurl: shared.serverurl.clone(),
            fcgi: fcgi.cloned(),
            beyond: beyond::read(&|key| opt(&names, key))?,
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
    let logfile = match logfile {
        LogfileName::Path(p) => LogfileName::Path(existing_dirpath(&p)?),
        other => other,
    };
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
mod tests {
    use super::*;
    use crate::config::ini::from_text;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([("ENV_G".to_string(), "global".to_string())])
    }

    type Loaded = (Vec<GroupConfig>, Vec<(Level, String)>);

    fn load(text: &str) -> Result<Loaded, String> {
        let raw = from_text(text, "/etc/t.conf").map_err(|e| e.to_string())?;
        let env = env();
        let ctx = Context {
            env: &env,
            here: "/etc",
            host_node_name: "box",
            uid: 0,
        };
        let mut messages = Vec::new();
        let groups = groups(&raw, &ctx, &mut messages).map_err(|e| e.to_string())?;
        Ok((groups, messages))
    }

    #[track_caller]
    fn error(text: &str) -> String {
        load(text).unwrap_err()
    }

    fn process<'g>(groups: &'g [GroupConfig], name: &str) -> &'g ProcessConfig {
        groups
            .iter()
            .flat_map(|g| &g.processes)
            .find(|p| p.name == name)
            .unwrap()
    }

    // --- expansion names and numprocs -------------------------------------------------

    #[test]
    fn numprocs_names_and_expansions() {
        let (groups, _) = load(
            "[program:web]\ncommand=/bin/echo %(process_num)s %(here)s %(host_node_name)s\n\
             numprocs=2\nnumprocs_start=5\n\
             process_name=%(program_name)s-%(process_num)d-of-%(numprocs)d-%(group_name)s\n\
             stdout_logfile=/tmp/%(process_num)02d.log\ndirectory=/srv/%(process_num)s\n",
        )
        .unwrap();
        let names: Vec<&str> = groups[0]
            .processes
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["web-5-of-2-web", "web-6-of-2-web"]);
        let p = &groups[0].processes[1];
        assert_eq!(p.command, "/bin/echo 6 /etc box");
        assert_eq!(p.program, "web");
        assert_eq!(p.stdout.logfile, LogTarget::File("/tmp/06.log".into()));
        assert_eq!(p.directory, Some(PathBuf::from("/srv/6")));
    }

    #[test]
    fn own_environment_wins_in_later_expansions() {
        let (groups, _) = load(
            "[program:x]\ncommand=/bin/echo %(ENV_G)s %(ENV_OWN)s\n\
             environment=G=\"mine %(process_num)s\",OWN=1\n",
        )
        .unwrap();
        let p = process(&groups, "x");
        assert_eq!(p.command, "/bin/echo mine 0 1");
        assert_eq!(p.environment.get("G").map(String::as_str), Some("mine 0"));
    }

    #[test]
    fn each_process_starts_from_the_global_env_again() {
        // The second process's environment= sees the global ENV_G, not the first one's G.
        let (groups, _) = load(
            "[program:x]\ncommand=/bin/true\nnumprocs=2\nprocess_name=x%(process_num)s\n\
             environment=G=\"%(ENV_G)s+%(process_num)s\"\n",
        )
        .unwrap();
        let p = process(&groups, "x1");
        assert_eq!(p.environment.get("G").map(String::as_str), Some("global+1"));
    }

    #[test]
    fn process_num_is_only_known_per_process() {
        assert!(
            error("[program:x]\ncommand=/bin/true\npriority=%(process_num)s\n").starts_with(
                "Format string '%(process_num)s' for 'program:x.priority' contains names"
            )
        );
        assert!(error("[group:g]\nprograms=%(program_name)s\n")
            .contains("Available names: ENV_G, here"));
    }

    #[test]
    fn huge_numprocs_is_a_clear_error_not_a_hang() {
        // Found by the config_text fuzz target: numprocs parsed as i64::MAX and the loader
        // set out to build that many processes.
        let err = load(
            "[program:p]\ncommand=/bin/true\nnumprocs=222222222222222222222222222222222222222222\n\
             process_name=%(program_name)s_%(process_num)d\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "numprocs=222222222222222222222222222222222222222222 is too large \
             (at most 100000 processes in all) in section 'program:p' (file: '/etc/t.conf')"
        );
        // The limit is on the whole configuration: a group may list a program many times.
        let (groups, _) =
            load("[program:p]\ncommand=/bin/true\nnumprocs=30000\nprocess_name=p%(process_num)d\n")
                .unwrap();
        assert_eq!(groups[0].processes.len(), 30000);
        let err = load(
            "[program:p]\ncommand=/bin/true\nnumprocs=30000\nprocess_name=p%(process_num)d\n\
             [group:g]\nprograms=p,p,p,p\n",
        )
        .unwrap_err();
        assert!(err.starts_with("numprocs=30000 is too large"), "{err}");
    }

    #[test]
    fn numprocs_zero_has_no_processes_and_no_command_check() {
        let (groups, _) = load("[program:x]\nnumprocs=0\n").unwrap();
        assert!(groups[0].processes.is_empty());
    }

    // --- defaults, priorities, ordering --------------------------------------------------

    #[test]
    fn program_defaults() {
        let (groups, messages) = load("[program:x]\ncommand=/bin/true\n").unwrap();
        assert!(messages.is_empty());
        let g = &groups[0];
        assert_eq!(
            (g.name.as_str(), g.priority, &g.kind),
            ("x", 999, &GroupKind::Program)
        );
        let p = &g.processes[0];
        assert!(p.autostart && !p.redirect_stderr && !p.stopasgroup && !p.killasgroup);
        assert_eq!((p.startsecs, p.startretries, p.stopwaitsecs), (1, 3, 10));
        assert_eq!((p.stopsignal, p.exitcodes.as_slice()), (15, &[0][..]));
        assert_eq!(p.autorestart, AutoRestart::Unexpected);
        assert_eq!(p.stdout.logfile, LogTarget::Auto);
        assert_eq!(
            (p.stdout.logfile_maxbytes, p.stdout.logfile_backups),
            (50 << 20, 10)
        );
        assert_eq!(
            (p.umask, &p.serverurl, &p.user, &p.fcgi),
            (None, &None, &None, &None)
        );
    }

    #[test]
    fn groups_sort_by_priority_then_name() {
        let (groups, _) = load(
            "[program:b]\ncommand=/bin/true\n[program:a]\ncommand=/bin/true\n\
             [program:z]\ncommand=/bin/true\npriority=1\n\
             [eventlistener:l]\ncommand=/bin/cat\nevents=TICK_5\n",
        )
        .unwrap();
        let names: Vec<(&str, i32)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.priority))
            .collect();
        assert_eq!(names, [("l", -1), ("z", 1), ("a", 999), ("b", 999)]);
        assert_eq!(groups[0].processes[0].priority, 999);
    }

    #[test]
    fn heterogeneous_group_collects_programs() {
        let (groups, _) = load(
            "[program:a]\ncommand=/bin/true\npriority=5\n\
             [program:b]\ncommand=/bin/echo %(group_name)s\n\
             [program:c]\ncommand=/bin/true\n[group:grp]\nprograms=b,a\npriority=42\n",
        )
        .unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["grp", "c"]);
        let procs: Vec<&str> = groups[0]
            .processes
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(procs, ["a", "b"]);
        assert_eq!(groups[0].priority, 42);
        assert_eq!(process(&groups, "b").command, "/bin/echo grp");
    }

    #[test]
    fn group_members_of_equal_priority_keep_the_listed_order() {
        let (groups, _) = load(
            "[program:a]\ncommand=/bin/true\n\
             [program:b]\ncommand=/bin/true\nnumprocs=2\nprocess_name=b%(process_num)d\n\
             [program:c]\ncommand=/bin/true\npriority=1\n[group:g]\nprograms=b,a,c\n",
        )
        .unwrap();
        let procs: Vec<&str> = groups[0]
            .processes
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(procs, ["c", "b0", "b1", "a"]);
    }

    #[test]
    fn group_errors() {
        assert_eq!(
            error("[program:a]\ncommand=/bin/true\n[group:g]\nprograms=a,nope\n"),
            "[group:g] names unknown program or fcgi-program nope"
        );
        assert_eq!(
            error("[group:g]\nprograms=nope\n"),
            "[group:g] names unknown program or fcgi-program nope"
        );
        assert_eq!(
            error("[group:g h]\n"),
            "Invalid name: 'g h' because of character: ' '"
        );
    }

    // --- per-key errors carry the section suffix ------------------------------------------

    #[test]
    fn errors_name_the_section_and_file() {
        let suffix = " in section 'program:x' (file: '/etc/t.conf')";
        let cases = [
            ("autostart=maybe", "not a valid boolean value: 'maybe'"),
            ("stopsignal=FOO", "value 'FOO' is not a valid signal name"),
            ("stopsignal=99", "value '99' is not a valid signal number"),
            ("exitcodes=0,256", "not a valid list of exit codes: '0,256'"),
            (
                "autorestart=sometimes",
                "invalid 'autorestart' value 'sometimes'",
            ),
            ("umask=999", "999 can not be converted to an octal type"),
            (
                "stdout_logfile_maxbytes=10XB",
                "invalid literal for int() with base 10: '10xb'",
            ),
            ("user=nosuchuserxyz", "Invalid user name nosuchuserxyz"),
            (
                "stdout_logfile=/nonexistent/dir/x.log",
                "The directory named as part of the path /nonexistent/dir/x.log does not exist",
            ),
            (
                "stopasgroup=true\nkillasgroup=false",
                "Cannot set stopasgroup=true and killasgroup=false",
            ),
            (
                "environment=A=1,B",
                "Unexpected end of key/value pairs in value 'A=1,B'",
            ),
            (
                "numprocs=2",
                "%(process_num) must be present within process_name when numprocs > 1",
            ),
        ];
        for (line, message) in cases {
            assert_eq!(
                error(&format!("[program:x]\ncommand=/bin/true\n{line}\n")),
                format!("{message}{suffix}")
            );
        }
        assert_eq!(
            error("[program:x]\nautostart=true\n"),
            format!("program section program:x does not specify a command{suffix}")
        );
        assert_eq!(
            error("[program:x y]\ncommand=/bin/true\n"),
            "Invalid name: 'x y' because of character: ' '"
        );
        // The group-level priority is read before the section's processes: no suffix.
        assert_eq!(
            error("[program:x]\ncommand=/bin/true\npriority=high\n"),
            "invalid literal for int() with base 10: 'high'"
        );
    }

    #[test]
    fn killasgroup_follows_stopasgroup() {
        let (groups, _) = load("[program:x]\ncommand=/bin/true\nstopasgroup=true\n").unwrap();
        assert!(process(&groups, "x").killasgroup);
    }

    // --- log files and their warnings ---------------------------------------------------

    #[test]
    fn logfile_warnings() {
        let (groups, messages) = load(
            "[program:x]\ncommand=/bin/true\nnumprocs=2\nprocess_name=x%(process_num)s\n\
             stdout_logfile_maxbytes=0\nstderr_logfile=syslog\n\
             [program:r]\ncommand=/bin/true\nredirect_stderr=true\nstderr_logfile=/tmp/e.log\n",
        )
        .unwrap();
        let texts: Vec<&str> = messages.iter().map(|(_, m)| m.as_str()).collect();
        let auto = "For [program:x], AUTO logging used for stdout_logfile without rollover, set \
                    maxbytes > 0 to avoid filling up filesystem unintentionally";
        let syslog = "For [program:x], stderr_logfile=syslog but this is deprecated and will be \
                      removed.  Use stderr_syslog=true to enable syslog instead.";
        let redirect = "For [program:r], redirect_stderr=true but stderr_logfile has also been \
                        set to a filename, the filename has been ignored";
        // Once per process, as the reference does.
        assert_eq!(texts, [auto, syslog, auto, syslog, redirect]);
        let x = process(&groups, "x0");
        assert_eq!(
            (&x.stderr.logfile, x.stderr.syslog),
            (&LogTarget::None, true)
        );
        assert_eq!(process(&groups, "r").stderr.logfile, LogTarget::None);
    }

    #[test]
    fn logfile_values_are_expanded_twice() {
        let (groups, _) =
            load("[program:x]\ncommand=/bin/true\nstdout_logfile=/tmp/a%%%%b\n").unwrap();
        assert_eq!(
            process(&groups, "x").stdout.logfile,
            LogTarget::File("/tmp/a%b".into())
        );
        assert!(
            error("[program:x]\ncommand=/bin/true\nstdout_logfile=/tmp/a%%b\n")
                .starts_with("Format string '/tmp/a%b' for 'stdout_logfile' is badly formatted")
        );
    }

    #[test]
    fn environment_splits_are_noted_once_per_section() {
        let (groups, messages) = load(
            "[program:x]\ncommand=/bin/true\nnumprocs=2\nprocess_name=x%(process_num)s\n\
             environment=A=a b\n",
        )
        .unwrap();
        assert_eq!(
            process(&groups, "x1")
                .environment
                .get("A")
                .map(String::as_str),
            Some("a")
        );
        assert_eq!(
            messages,
            [(
                Level::Warn,
                "For [program:x], environment: 'b' after A=a was taken as a separator and \
                 ignored; quote values that contain spaces or special characters"
                    .to_string()
            )]
        );
    }

    #[test]
    fn serverurl_auto_is_none() {
        let (groups, _) = load(
            "[program:a]\ncommand=/bin/true\nserverurl= Auto \n\
             [program:b]\ncommand=/bin/true\nserverurl=unix:///x.sock\n",
        )
        .unwrap();
        assert_eq!(process(&groups, "a").serverurl, None);
        assert_eq!(
            process(&groups, "b").serverurl.as_deref(),
            Some("unix:///x.sock")
        );
    }

    // --- event listeners ------------------------------------------------------------------

    #[test]
    fn listener_pool() {
        let (groups, _) = load(
            "[eventlistener:l]\ncommand=/bin/cat\nevents=tick_5, PROCESS_STATE,TICK_5\n\
             buffer_size=3\n",
        )
        .unwrap();
        let GroupKind::EventListener(pool) = &groups[0].kind else {
            panic!("not a pool")
        };
        assert_eq!(pool.events, [EventType::Tick5, EventType::ProcessState]);
        assert_eq!(
            (pool.buffer_size, pool.result_handler.as_str()),
            (3, DEFAULT_RESULT_HANDLER)
        );
    }

    #[test]
    fn listener_errors() {
        let l = "[eventlistener:e]\ncommand=/bin/cat\n";
        assert_eq!(
            error(l),
            "[eventlistener:e] section requires an \"events\" line"
        );
        assert_eq!(
            error(&format!("{l}events=PROCESS_STATE,FOO_BAR\n")),
            "Unknown event type FOO_BAR in [eventlistener:e] events"
        );
        assert_eq!(
            error(&format!("{l}events=TICK_5\nbuffer_size=0\n")),
            "[eventlistener:e] section sets invalid buffer_size (0)"
        );
        assert_eq!(
            error(&format!(
                "{l}events=TICK_5\nresult_handler=nosuch.module:func\n"
            )),
            "nosuch.module:func cannot be resolved within [eventlistener:e]"
        );
        assert_eq!(
            error(&format!("{l}events=TICK_5\nredirect_stderr=true\n")),
            "[eventlistener:e] section sets redirect_stderr=true but this is not allowed \
             because it will interfere with the eventlistener protocol"
        );
    }

    // --- FastCGI --------------------------------------------------------------------------

    #[test]
    fn fcgi_sockets() {
        let (groups, _) = load(
            "[fcgi-program:t]\ncommand=/bin/cat\nsocket=tcp://LocalHost:9002\nsocket_backlog=5\n\
             [fcgi-program:u]\ncommand=/bin/cat\nsocket=unix:///run/../tmp/%(program_name)s.sock\n\
             user=nobody\n",
        )
        .unwrap();
        let t = process(&groups, "t").fcgi.as_ref().unwrap();
        assert_eq!(t.url.to_string(), "tcp://localhost:9002");
        assert_eq!(t.backlog, 5);
        let u = process(&groups, "u").fcgi.as_ref().unwrap();
        assert_eq!(u.url.to_string(), "unix:///tmp/u.sock");
        assert_eq!((u.mode, u.backlog), (0o700, libc::SOMAXCONN));
        // The socket belongs to the program's user when it differs from ours.
        let nobody = resolve::user("nobody").unwrap();
        assert_eq!(u.owner, Some((nobody.uid, Some(nobody.gid))));
    }

    #[test]
    fn fcgi_errors() {
        let f = "[fcgi-program:f]\ncommand=/bin/cat\n";
        assert_eq!(
            error(f),
            "[fcgi-program:f] section requires a \"socket\" line"
        );
        // DIVERGENCE(Q14): clean text instead of a printed Python tuple.
        assert_eq!(
            error(&format!("{f}socket=foo://bar\n")),
            "Bad socket format foo://bar in [fcgi-program:f] socket"
        );
        assert_eq!(
            error(&format!("{f}socket=unix://relative/path.sock\n")),
            "Unix socket path relative/path.sock is not an absolute path in [fcgi-program:f] socket"
        );
        assert_eq!(
            error(&format!("{f}socket=tcp://h:9\nsocket_owner=root\n")),
            "socket_owner and socket_mode params should only be used with a Unix domain socket \
             in [fcgi-program:f] socket"
        );
        assert_eq!(
            error(&format!("{f}socket=tcp://h:99999\n")),
            "99999 is above upper bound (65535) in [fcgi-program:f] socket"
        );
        assert_eq!(
            error(&format!("{f}socket=tcp://h:9\nsocket_backlog=0\n")),
            "Invalid socket_backlog value 0"
        );
        assert_eq!(
            error(&format!("{f}socket=unix:///x\nsocket_owner=nosuchuser\n")),
            "Invalid socket_owner value nosuchuser"
        );
        assert_eq!(
            error(&format!("{f}socket=unix:///x\nsocket_mode=9\n")),
            "Invalid socket_mode value 9"
        );
        assert_eq!(
            error(
                "[program:a]\ncommand=/bin/true\n[fcgi-program:a]\ncommand=/bin/true\n\
                   socket=tcp://h:1\n[group:g]\nprograms=a\n"
            ),
            "[group:g] name a is ambiguous (exists as program and fcgi-program)"
        );
    }

    #[test]
    fn fcgi_program_in_a_group_is_a_plain_process() {
        let (groups, _) =
            load("[fcgi-program:f]\ncommand=/bin/cat\nsocket=not-checked\n[group:g]\nprograms=f\n")
                .unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(process(&groups, "f").fcgi, None);
    }
}
