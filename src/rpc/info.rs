//! Name resolution and the status methods: `getState`, `getPID`, `getProcessInfo`,
//! `getAllProcessInfo`, `getAllConfigInfo`, versions and identification (reference §5.3).
//!
//! Reads the model only.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::rpc::Value;

use crate::config::{LogTarget, ProcessConfig};
use crate::model::{Channel, Model, ProcId, Process, Supervisor};
use crate::rpc::args::{self, record};
use crate::rpc::codec::Writer;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::listing::{ConfigRow, Listing, Rows};
use crate::rpc::pending::Pending;
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
pub fn log_path(p: &Process, chan: Channel) -> Cow<'_, str> {
    p.channel(chan)
        .log_path
        .as_ref()
        .map_or(Cow::Borrowed(""), |path| path.to_string_lossy())
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

/// Writes the `getProcessInfo` struct of `p`: the reference's keys, plus D11's new ones for
/// processes that use issue 14's keys, every member in name order (a struct's encoding).
pub fn write_process_info(w: &mut Writer, p: &Process, now: f64) {
    let m = &p.machine;
    let state = m.state();
    let stdout = log_path(p, Channel::Stdout);
    w.begin_struct();
    w.string_member("description", &description(p, now));
    w.int_member("exitstatus", m.exitstatus().unwrap_or(0).into());
    w.string_member("group", &p.group);
    if p.config.beyond.health.is_some() {
        w.string_member("health", p.watch.health_counter.status.name());
    }
    w.string_member("logfile", &stdout);
    w.string_member("name", &p.config.name);
    if let Some(status) = &p.watch.status {
        w.string_member("notify_status", status);
    }
    w.int_member("now", capped(now).into());
    w.int_member("pid", m.pid().into());
    w.string_member("spawnerr", m.spawnerr().unwrap_or(""));
    w.int_member("start", capped(m.laststart()).into());
    w.int_member("state", state.code().into());
    w.string_member("statename", state.name());
    w.string_member("stderr_logfile", &log_path(p, Channel::Stderr));
    w.string_member("stdout_logfile", &stdout);
    w.int_member("stop", capped(m.laststop()).into());
    if let Some(waiting) = &p.watch.waiting {
        w.string_member("waiting_for", &waiting.on());
    }
    w.end_struct();
}

/// About the encoded size of one `getProcessInfo` struct, to size buffers.
const PROCESS_INFO_BYTES: usize = 1280;

pub fn get_process_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    let m = d.model();
    require_running(m)?;
    let id = lookup_process(m, args::string(params, 0)?)?;
    let p = m
        .procs
        .get(&id)
        .ok_or_else(|| Fault::new(FaultCode::BadName))?;
    let mut w = Writer::with_capacity(PROCESS_INFO_BYTES);
    write_process_info(&mut w, p, d.wall());
    Ok(Reply::Now(Value::Encoded(w.finish())))
}

/// Every process, by group name then process name, written straight from the model over as
/// many loop turns as it takes ([`listing`](crate::rpc::listing)).
pub fn get_all_process_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    let ids = process_rows(d.model());
    let capacity = ids.len().saturating_mul(PROCESS_INFO_BYTES);
    Ok(answer(Listing::start(d, Rows::Processes(ids), capacity)))
}

/// Every process, by group name then process name.
pub(crate) fn process_rows(m: &Model) -> Vec<ProcId> {
    let mut all: Vec<(&Process, ProcId)> = m.procs.iter().map(|(id, p)| (&**p, *id)).collect();
    all.sort_unstable_by(|(a, _), (b, _)| {
        (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name))
    });
    all.into_iter().map(|(_, id)| id).collect()
}

fn answer(listing: Result<Value, Listing>) -> Reply {
    match listing {
        Ok(v) => Reply::Now(v),
        Err(more) => Reply::Later(Pending::Listing(Box::new(more))),
    }
}

/// The `*_logfile` of a channel in `getAllConfigInfo`.
fn channel_log<'a>(target: &'a LogTarget, real: Option<Cow<'a, str>>) -> Cow<'a, str> {
    match target {
        LogTarget::None => "none".into(),
        LogTarget::File(p) => p.to_string_lossy(),
        // DIVERGENCE(Q24): the running process's real AUTO path, `auto` only for a group
        // that was read but not added.
        LogTarget::Auto => real.unwrap_or(Cow::Borrowed("auto")),
    }
}

/// A member of a `getAllConfigInfo` struct, borrowed from the configuration.
enum Field<'a> {
    Bool(bool),
    /// `<int>`, or `<i8>` beyond 32 bits.
    Int(i64),
    Str(Cow<'a, str>),
    Ints(&'a [i32]),
}

/// The names of a channel's members, stdout's then stderr's: `capture_maxbytes`,
/// `events_enabled`, `logfile`, `logfile_backups`, `logfile_maxbytes`, `syslog`,
/// `logfile_rotate`.
const CHANNEL_KEYS: [[&str; 7]; 2] = [
    [
        "stdout_capture_maxbytes",
        "stdout_events_enabled",
        "stdout_logfile",
        "stdout_logfile_backups",
        "stdout_logfile_maxbytes",
        "stdout_syslog",
        "stdout_logfile_rotate",
    ],
    [
        "stderr_capture_maxbytes",
        "stderr_events_enabled",
        "stderr_logfile",
        "stderr_logfile_backups",
        "stderr_logfile_maxbytes",
        "stderr_syslog",
        "stderr_logfile_rotate",
    ],
];

/// Writes the `getAllConfigInfo` struct of `c`, members in name order.
pub(crate) fn write_config_info(
    w: &mut Writer,
    c: &ProcessConfig,
    group: &str,
    group_prio: i32,
    inuse: bool,
    running: Option<&Process>,
) {
    let mut fields: Vec<(&str, Field<'_>)> = Vec::with_capacity(48);
    let none = || Field::Str("none".into());
    let real = |chan| running.map(|p| log_path(p, chan)).filter(|s| !s.is_empty());
    fields.extend([
        ("autostart", Field::Bool(c.autostart)),
        // DIVERGENCE(Q9): reported, as a string, and never makes the call fail.
        ("autorestart", Field::Str(c.autorestart.name().into())),
        (
            "directory",
            c.directory
                .as_ref()
                .map_or_else(none, |d| Field::Str(d.to_string_lossy())),
        ),
        (
            "uid",
            c.user
                .as_ref()
                .map_or_else(none, |u| Field::Int(i64::from(u.uid as i32))),
        ),
        ("command", Field::Str(c.command.as_str().into())),
        ("exitcodes", Field::Ints(&c.exitcodes)),
        ("group", Field::Str(group.into())),
        ("group_prio", Field::Int(group_prio.into())),
        ("inuse", Field::Bool(inuse)),
        ("killasgroup", Field::Bool(c.killasgroup)),
        ("name", Field::Str(c.name.as_str().into())),
        ("process_prio", Field::Int(c.priority.into())),
        ("redirect_stderr", Field::Bool(c.redirect_stderr)),
        ("startretries", Field::Int(c.startretries)),
        ("startsecs", Field::Int(c.startsecs)),
        ("stopsignal", Field::Int(c.stopsignal.into())),
        ("stopwaitsecs", Field::Int(c.stopwaitsecs)),
        (
            "serverurl",
            c.serverurl
                .as_deref()
                .map_or_else(none, |u| Field::Str(u.into())),
        ),
    ]);
    for ((chan, cc), keys) in [(Channel::Stdout, &c.stdout), (Channel::Stderr, &c.stderr)]
        .into_iter()
        .zip(CHANNEL_KEYS)
    {
        let [capture, events, logfile, backups, maxbytes, syslog, rotate] = keys;
        fields.extend([
            (capture, Field::Int(cc.capture_maxbytes as i64)),
            (events, Field::Bool(cc.events_enabled)),
            (logfile, Field::Str(channel_log(&cc.logfile, real(chan)))),
            (backups, Field::Int(i64::from(cc.logfile_backups as i32))),
            (maxbytes, Field::Int(cc.logfile_maxbytes as i64)),
            (syslog, Field::Bool(cc.syslog)),
        ]);
        // A key of ours (D11), reported only when the file sets it.
        if let Some(period) = cc.rotate {
            fields.push((rotate, Field::Str(period.name().into())));
        }
    }
    // D11: issue 14's keys, as given, only when given.
    for (key, value) in &c.beyond.given {
        fields.push((key, Field::Str(value.as_str().into())));
    }
    // As a sorted map: by name, a later member replacing an earlier one of the same name.
    fields.sort_by(|a, b| a.0.cmp(b.0));
    w.begin_struct();
    let mut rest = fields.iter().peekable();
    while let Some((key, field)) = rest.next() {
        if rest.peek().is_some_and(|(next, _)| next == key) {
            continue;
        }
        w.begin_member(key);
        match field {
            Field::Bool(b) => w.boolean(*b),
            Field::Int(n) => w.int(*n),
            Field::Str(s) => w.string(s.as_ref()),
            Field::Ints(ns) => {
                w.begin_array();
                for n in ns.iter() {
                    w.int((*n).into());
                }
                w.end_array();
            }
        }
        w.end_member();
    }
    w.end_struct();
}

/// One struct per configured process of the last configuration read, by process name,
/// written straight from the configuration over as many loop turns as it takes.
pub fn get_all_config_info(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    let rows = config_rows(d.model());
    let capacity = rows.len().saturating_mul(CONFIG_INFO_BYTES);
    Ok(answer(Listing::start(d, Rows::Configs(rows), capacity)))
}

/// Every configured process of the last configuration read, by process name.
pub(crate) fn config_rows(m: &Model) -> Vec<ConfigRow> {
    let mut rows = Vec::new();
    for (gi, g) in m.config.groups.iter().enumerate() {
        let active = m.group(&g.name);
        // By name, once per group: a search per process was quadratic in the group's size.
        let running: HashMap<&str, ProcId> = active
            .map(|a| {
                a.procs
                    .iter()
                    .rev()
                    .filter_map(|id| m.procs.get(id).map(|p| (p.config.name.as_str(), *id)))
                    .collect()
            })
            .unwrap_or_default();
        for (pi, c) in g.processes.iter().enumerate() {
            rows.push(ConfigRow {
                group: gi,
                process: pi,
                name: c.name.as_str().into(),
                inuse: active.is_some(),
                running: running.get(c.name.as_str()).copied(),
            });
        }
    }
    // Stable: the same name in two groups stays in group order.
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// About the encoded size of one `getAllConfigInfo` struct, to size buffers.
const CONFIG_INFO_BYTES: usize = 2560;

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

#[cfg(test)]
#[path = "info_tests.rs"]
pub(crate) mod tests;
