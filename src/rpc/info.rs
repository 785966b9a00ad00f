//! Name resolution and the status methods: `getState`, `getPID`, `getProcessInfo`,
//! `getAllProcessInfo`, `getAllConfigInfo`, versions and identification (reference §5.3).
//!
//! Reads the model only.

use crate::rpc::Value;

use crate::config::{LogTarget, ProcessConfig};
use crate::model::{Channel, Model, ProcId, Process, Supervisor};
use crate::rpc::args::{self, record};
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::Reply;
use crate::states::{ProcessState, SupervisorState};
use crate::timefmt;

/// What a `name` parameter designates (Supervisor's `split_namespec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Process(ProcId),
    /// `group:*` or `group:`.
    Group(String),
}

/// `group:name`, `group:*`/`group:` or `name` (group and process both `name`).
///
/// # Errors
/// BAD_NAME with the name as given.
pub fn lookup(m: &Model, name: &str) -> Result<Target, Fault> {
    let bad = || Fault::with_detail(FaultCode::BadName, name);
    let (group, process) = match name.split_once(':') {
        Some((g, p)) if p.is_empty() || p == "*" => (g, None),
        Some((g, p)) => (g, Some(p)),
        None => (name, Some(name)),
    };
    let g = m.group(group).ok_or_else(bad)?;
    match process {
        None => Ok(Target::Group(g.name.clone())),
        Some(pname) => g
            .procs
            .iter()
            .copied()
            .find(|id| m.procs.get(id).is_some_and(|p| p.config.name == pname))
            .map(Target::Process)
            .ok_or_else(bad),
    }
}

/// Like [`lookup`] but only a single process is acceptable.
///
/// # Errors
/// BAD_NAME.
pub fn lookup_process(m: &Model, name: &str) -> Result<ProcId, Fault> {
    match lookup(m, name)? {
        Target::Process(id) => Ok(id),
        Target::Group(_) => Err(Fault::with_detail(FaultCode::BadName, name)),
    }
}

/// SHUTDOWN_STATE unless supervisord is running (Supervisor's `_update`).
///
/// # Errors
/// SHUTDOWN_STATE.
pub fn require_running(m: &Model) -> Result<(), Fault> {
    if m.mood == SupervisorState::Running {
        Ok(())
    } else {
        Err(Fault::new(FaultCode::ShutdownState))
    }
}

/// Wall seconds clamped into an XML-RPC int, as Supervisor's `capped_int`.
fn capped(secs: f64) -> i32 {
    secs.floor().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// The log path `getProcessInfo` reports for a channel (`''` when there is none).
pub fn log_path(p: &Process, chan: Channel) -> String {
    p.channel(chan)
        .log_path
        .as_ref()
        .map_or(String::new(), |path| path.display().to_string())
}

/// The `description` field: uptime, spawn error, stop time or nothing.
pub fn description(p: &Process, now: f64) -> String {
    let m = &p.machine;
    match m.state() {
        ProcessState::Running => {
            let uptime = (now.floor() as i64) - (m.laststart().floor() as i64);
            let mut text = format!("pid {}, uptime {}", m.pid(), timefmt::uptime(uptime));
            // Issue 14: the child's sd_notify STATUS= and its health, when it has them.
            let health = p
                .config
                .beyond
                .health
                .as_ref()
                .and_then(|h| p.watch.health_counter.describe(h.retries));
            for extra in [p.watch.status.clone(), health].into_iter().flatten() {
                text.push_str(", ");
                text.push_str(&extra);
            }
            text
        }
        ProcessState::Starting => p.watch.status.clone().unwrap_or_default(),
        ProcessState::Fatal | ProcessState::Backoff => match m.spawnerr() {
            Some(e) if !e.is_empty() => e.to_string(),
            _ => format!("unknown error (try \"tail {}\")", p.config.name),
        },
        ProcessState::Stopped if p.watch.waiting.is_some() => p
            .watch
            .waiting
            .as_ref()
            .map_or(String::new(), |w| format!("waiting for {}", w.on())),
        ProcessState::Stopped | ProcessState::Exited => {
            if m.laststart() > 0.0 {
                timefmt::stop_time(m.laststop())
            } else {
                "Not started".into()
            }
        }
        ProcessState::Stopping | ProcessState::Unknown => String::new(),
    }
}

/// The `getProcessInfo` struct.
pub fn process_info(p: &Process, now: f64) -> Value {
    let mut info = reference_info(p, now);
    // D11: new facts in new keys, only for processes using issue 14's keys.
    if let Value::Struct(map) = &mut info {
        if p.config.beyond.health.is_some() {
            let health = p.watch.health_counter.status.name();
            map.insert("health".into(), Value::String(health.into()));
        }
        if let Some(w) = &p.watch.waiting {
            map.insert("waiting_for".into(), Value::String(w.on()));
        }
        if let Some(status) = &p.watch.status {
            map.insert("notify_status".into(), Value::String(status.clone()));
        }
    }
    info
}

/// The keys the reference's `getProcessInfo` has.
fn reference_info(p: &Process, now: f64) -> Value {
    let m = &p.machine;
    let state = m.state();
    let stdout = log_path(p, Channel::Stdout);
    record([
        ("name", Value::String(p.config.name.clone())),
        ("group", Value::String(p.group.clone())),
        ("start", Value::Int(capped(m.laststart()))),
        ("stop", Value::Int(capped(m.laststop()))),
        ("now", Value::Int(capped(now))),
        ("state", Value::Int(state.code())),
        ("statename", Value::String(state.name().into())),
        ("spawnerr", Value::String(m.spawnerr().unwrap_or("").into())),
        ("exitstatus", Value::Int(m.exitstatus().unwrap_or(0))),
        ("logfile", Value::String(stdout.clone())),
        ("stdout_logfile", Value::String(stdout)),
        (
            "stderr_logfile",
            Value::String(log_path(p, Channel::Stderr)),
        ),
        ("pid", Value::Int(m.pid())),
        ("description", Value::String(description(p, now))),
    ])
}

pub fn get_process_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    let m = d.model();
    require_running(m)?;
    let id = lookup_process(m, args::string(params, 0)?)?;
    let p = m
        .procs
        .get(&id)
        .ok_or_else(|| Fault::new(FaultCode::BadName))?;
    Ok(Reply::Now(process_info(p, d.wall())))
}

/// Every process, by group name then process name.
pub fn get_all_process_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    let now = d.wall();
    let mut all: Vec<&Process> = d.model().procs.values().collect();
    all.sort_by(|a, b| (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name)));
    Ok(Reply::Now(Value::Array(
        all.into_iter().map(|p| process_info(p, now)).collect(),
    )))
}

fn channel_log(target: &LogTarget, real: Option<String>) -> Value {
    Value::String(match target {
        LogTarget::None => "none".into(),
        LogTarget::File(p) => p.display().to_string(),
        // DIVERGENCE(Q24): the running process's real AUTO path, `auto` only for a group
        // that was read but not added.
        LogTarget::Auto => real.unwrap_or_else(|| "auto".into()),
    })
}

fn config_info(
    c: &ProcessConfig,
    group: &str,
    group_prio: i32,
    inuse: bool,
    running: Option<&Process>,
) -> Value {
    let none = || Value::String("none".into());
    let real = |chan| running.map(|p| log_path(p, chan)).filter(|s| !s.is_empty());
    let mut info = record([
        ("autostart", Value::Bool(c.autostart)),
        // DIVERGENCE(Q9): reported, as a string, and never makes the call fail.
        ("autorestart", Value::String(c.autorestart.name().into())),
        (
            "directory",
            c.directory
                .as_ref()
                .map_or_else(none, |d| Value::String(d.display().to_string())),
        ),
        (
            "uid",
            c.user
                .as_ref()
                .map_or_else(none, |u| Value::Int(u.uid as i32)),
        ),
        ("command", Value::String(c.command.clone())),
        (
            "exitcodes",
            Value::Array(c.exitcodes.iter().map(|e| Value::Int(*e)).collect()),
        ),
        ("group", Value::String(group.into())),
        ("group_prio", Value::Int(group_prio)),
        ("inuse", Value::Bool(inuse)),
        ("killasgroup", Value::Bool(c.killasgroup)),
        ("name", Value::String(c.name.clone())),
        ("process_prio", Value::Int(c.priority)),
        ("redirect_stderr", Value::Bool(c.redirect_stderr)),
        ("startretries", args::int_value(c.startretries)),
        ("startsecs", args::int_value(c.startsecs)),
        ("stopsignal", Value::Int(c.stopsignal)),
        ("stopwaitsecs", args::int_value(c.stopwaitsecs)),
        (
            "serverurl",
            c.serverurl.clone().map_or_else(none, Value::String),
        ),
    ]);
    if let Value::Struct(members) = &mut info {
        for (chan, cc) in [(Channel::Stdout, &c.stdout), (Channel::Stderr, &c.stderr)] {
            let field = |key: &str| format!("{}_{key}", chan.name());
            members.extend([
                (
                    field("capture_maxbytes"),
                    args::int_value(cc.capture_maxbytes as i64),
                ),
                (field("events_enabled"), Value::Bool(cc.events_enabled)),
                (field("logfile"), channel_log(&cc.logfile, real(chan))),
                (
                    field("logfile_backups"),
                    Value::Int(cc.logfile_backups as i32),
                ),
                (
                    field("logfile_maxbytes"),
                    args::int_value(cc.logfile_maxbytes as i64),
                ),
                (field("syslog"), Value::Bool(cc.syslog)),
            ]);
            // A key of ours (D11), reported only when the file sets it.
            if let Some(period) = cc.rotate {
                members.insert(field("logfile_rotate"), Value::String(period.name().into()));
            }
        }
        // D11: issue 14's keys, as given, only when given.
        for (key, value) in &c.beyond.given {
            members.insert(key.clone(), Value::String(value.clone()));
        }
    }
    info
}

/// One struct per configured process of the last configuration read, by process name.
pub fn get_all_config_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    let m = d.model();
    require_running(m)?;
    let mut rows: Vec<(String, Value)> = Vec::new();
    for g in &m.config.groups {
        let active = m.group(&g.name);
        for c in &g.processes {
            let running = active.and_then(|a| {
                a.procs
                    .iter()
                    .filter_map(|id| m.procs.get(id))
                    .find(|p| p.config.name == c.name)
            });
            rows.push((
                c.name.clone(),
                config_info(c, &g.name, g.priority, active.is_some(), running),
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Reply::Now(Value::Array(
        rows.into_iter().map(|(_, v)| v).collect(),
    )))
}

pub fn get_state(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    let s = SupervisorState::Running;
    Ok(Reply::Now(record([
        ("statecode", Value::Int(s.code())),
        ("statename", Value::String(s.name().into())),
    ])))
}

pub fn get_pid(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    Ok(Reply::Now(Value::Int(std::process::id() as i32)))
}

/// `getAPIVersion` and `getVersion`: "3.0" (D6).
pub fn get_api_version(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    Ok(Reply::Now(Value::String("3.0".into())))
}

pub fn get_supervisor_version(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    Ok(Reply::Now(Value::String(env!("CARGO_PKG_VERSION").into())))
}

pub fn get_identification(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    Ok(Reply::Now(Value::String(
        d.model().config.supervisord.identifier.clone(),
    )))
}
