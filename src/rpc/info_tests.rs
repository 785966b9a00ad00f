//! The answers written straight from the model are byte for byte what the `Value` tree of
//! the previous implementation encoded to (kept here as the reference), on a model with odd
//! names, paths and descriptions (`<`, `&`, non-ASCII, control characters, empty).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use super::*;
use crate::daemon::depends::Waiting;
use crate::logging::main_log::{MainLog, MainLogSettings};
use crate::process::exit::ExitStatus;
use crate::process::machine::{Ctx, Input};
use crate::rpc::codec;

/// The previous `getProcessInfo` struct, built as a tree.
fn old_process_info(p: &Process, now: f64) -> Value {
    let m = &p.machine;
    let state = m.state();
    let stdout = log_path(p, Channel::Stdout).into_owned();
    let mut info = record([
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
            Value::String(log_path(p, Channel::Stderr).into_owned()),
        ),
        ("pid", Value::Int(m.pid())),
        ("description", Value::String(description(p, now))),
    ]);
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

fn old_channel_log(target: &LogTarget, real: Option<String>) -> Value {
    Value::String(match target {
        LogTarget::None => "none".into(),
        LogTarget::File(p) => p.display().to_string(),
        LogTarget::Auto => real.unwrap_or_else(|| "auto".into()),
    })
}

/// The previous `getAllConfigInfo` struct, built as a tree.
fn old_config_info(
    c: &ProcessConfig,
    group: &str,
    group_prio: i32,
    inuse: bool,
    running: Option<&Process>,
) -> Value {
    let none = || Value::String("none".into());
    let real = |chan| {
        running
            .map(|p| log_path(p, chan).into_owned())
            .filter(|s| !s.is_empty())
    };
    let mut info = record([
        ("autostart", Value::Bool(c.autostart)),
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
                (field("logfile"), old_channel_log(&cc.logfile, real(chan))),
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
            if let Some(period) = cc.rotate {
                members.insert(field("logfile_rotate"), Value::String(period.name().into()));
            }
        }
        for (key, value) in &c.beyond.given {
            members.insert(key.clone(), Value::String(value.clone()));
        }
    }
    info
}

fn old_all_process_info(d: &Daemon, now: f64) -> Value {
    let mut all: Vec<&Process> = d.procs.values().collect();
    all.sort_by(|a, b| (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name)));
    Value::Array(all.into_iter().map(|p| old_process_info(p, now)).collect())
}

fn old_all_config_info(d: &Daemon) -> Value {
    let mut rows: Vec<(String, Value)> = Vec::new();
    for g in &d.config.groups {
        let active = d.group(&g.name);
        for c in &g.processes {
            let running = active.and_then(|a| {
                a.procs
                    .iter()
                    .filter_map(|id| d.procs.get(id))
                    .find(|p| p.config.name == c.name)
            });
            rows.push((
                c.name.clone(),
                old_config_info(c, &g.name, g.priority, active.is_some(), running),
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(rows.into_iter().map(|(_, v)| v).collect())
}

/// A directory of this test's own, removed when dropped.
pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rs-info-test-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon (no sockets, nothing spawned) whose configuration is `programs`.
pub(crate) fn daemon(dir: &TempDir, programs: &str) -> Daemon {
    let d = dir.0.display();
    let text = format!(
        "[supervisord]\nlogfile={d}/sd.log\nchildlogdir={d}\n\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
         {programs}"
    );
    let config = crate::config::load_text(&text, &format!("{d}/sd.conf"), &Default::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let log = MainLog::open(&MainLogSettings {
        level: crate::logging::level::Level::Critical,
        path: Some(dir.0.join("sd.log")),
        maxbytes: 0,
        backups: 0,
        echo: false,
    })
    .unwrap();
    let loader: crate::daemon::core::Loader = Box::new(|| Err("no reload in tests".into()));
    let mut daemon = Daemon::new(loader, config.clone(), log).unwrap();
    for g in &config.groups {
        daemon.add_group(g, false);
    }
    daemon
}

/// Feeds `inputs` to the machine of process `name`.
fn drive(d: &mut Daemon, name: &str, inputs: Vec<Input>) {
    let p = d
        .procs
        .values_mut()
        .find(|p| p.config.name == name)
        .unwrap();
    let mut actions = Vec::new();
    let mut wall = 1_700_000_000.0;
    for input in inputs {
        wall += 5.0;
        let ctx = Ctx {
            cfg: &p.config,
            now: Instant::now(),
            wall,
            auto_allowed: true,
        };
        p.machine.step(input, &ctx, &mut actions);
    }
}

fn process<'a>(d: &'a mut Daemon, name: &str) -> &'a mut Process {
    d.procs
        .values_mut()
        .find(|p| p.config.name == name)
        .unwrap()
}

const ODD: &str = "\
[program:a<b&c]\n\
command=/bin/echo '<&>' \u{e9}\n\
autostart=false\n\
stdout_logfile=%(here)s/\u{fc}<&>.log\n\
stderr_logfile=NONE\n\
[program:\u{e9}t\u{e9}]\n\
command=/bin/true\n\
autostart=false\n\
stdout_logfile=AUTO\n\
redirect_stderr=true\n\
healthcheck=exec:/bin/true\n\
stdout_logfile_maxbytes=3GB\n\
[program:plain]\n\
command=/bin/sleep 9\n\
autostart=false\n\
numprocs=3\n\
process_name=p%(process_num)d\n\
depends_on=a<b&c\n\
[program:gone]\n\
command=/bin/true\n\
autostart=false\n\
[group:g&<\u{20ac}]\n\
programs=plain,\u{e9}t\u{e9}\n";

/// A model in every kind of state with odd texts.
fn odd_model(dir: &TempDir) -> Daemon {
    let mut d = daemon(dir, ODD);
    drive(
        &mut d,
        "a<b&c",
        vec![
            Input::Start,
            Input::SpawnFailed("can't find <&> \u{e9}".into()),
        ],
    );
    drive(
        &mut d,
        "\u{e9}t\u{e9}",
        vec![Input::Start, Input::Spawned { pid: 4242 }, Input::Deadline],
    );
    process(&mut d, "\u{e9}t\u{e9}").watch.status = Some("warm <&> \u{1}\u{2603}".into());
    drive(
        &mut d,
        "p0",
        vec![
            Input::Start,
            Input::Spawned { pid: 77 },
            Input::Deadline,
            Input::Stop,
        ],
    );
    drive(
        &mut d,
        "p1",
        vec![
            Input::Start,
            Input::Spawned { pid: 78 },
            Input::Deadline,
            Input::Exited(ExitStatus::from_raw(3 << 8)),
        ],
    );
    process(&mut d, "p2").watch.waiting = Some(Waiting {
        deadline: Instant::now(),
        target: "a<b&c".into(),
        condition: crate::config::beyond::Condition::Ready,
    });
    // Read after it was added, then its group left: `auto` in the config answer.
    d.remove_group("gone");
    d
}

fn answer(reply: Reply) -> Vec<u8> {
    match reply {
        Reply::Now(v) => codec::into_response(v),
        Reply::Later(p) => panic!("not answered at once: {p:?}"),
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn all_process_info_is_the_tree_encoding() {
    let dir = TempDir::new();
    let mut d = odd_model(&dir);
    let new = answer(get_all_process_info(&mut d, &[]).unwrap());
    // `now` (and uptimes) may have moved by a second between the two readings: compare with
    // the clock fields of both taken from the new answer's `now`.
    let now = crate::rpc::codec::parse_method_response(&new).unwrap();
    let crate::rpc::codec::Answer::Value(Value::Array(items)) = now else {
        panic!("not an array")
    };
    let now = items[0].get("now").and_then(Value::as_i32).unwrap();
    let old = codec::write_response(&old_all_process_info(&d, f64::from(now)));
    let new = text(new);
    assert_eq!(new, text(old));
    for expected in [
        "<name>name</name>\n<value><string>a&lt;b&amp;c</string>",
        "can't find &lt;&amp;&gt; \u{e9}",
        "<name>notify_status</name>\n<value><string>warm &lt;&amp;&gt; \u{fffd}\u{2603}",
        "<name>health</name>",
        "<name>waiting_for</name>\n<value><string>a&lt;b&amp;c (ready)</string>",
        "<value><string>g&amp;&lt;\u{20ac}</string>",
        "<name>stderr_logfile</name>\n<value><string></string>",
    ] {
        assert!(new.contains(expected), "{expected} in {new}");
    }
    assert_eq!(items.len(), 5);
}

#[test]
fn process_info_is_the_tree_encoding() {
    let dir = TempDir::new();
    let mut d = odd_model(&dir);
    for name in ["a<b&c", "g&<\u{20ac}:\u{e9}t\u{e9}", "g&<\u{20ac}:p1"] {
        let new = answer(get_process_info(&mut d, &[Value::String(name.into())]).unwrap());
        let Ok(crate::rpc::codec::Answer::Value(v)) = codec::parse_method_response(&new) else {
            panic!("unreadable")
        };
        let now = v.get("now").and_then(Value::as_i32).unwrap();
        let id = lookup_process(&d, name).unwrap();
        let old = old_process_info(&d.procs[&id], f64::from(now));
        assert_eq!(text(new), text(codec::write_response(&old)), "{name}");
    }
}

#[test]
fn all_config_info_is_the_tree_encoding() {
    let dir = TempDir::new();
    let mut d = odd_model(&dir);
    let new = text(answer(get_all_config_info(&mut d, &[]).unwrap()));
    assert_eq!(new, text(codec::write_response(&old_all_config_info(&d))));
    for expected in [
        "<name>healthcheck</name>\n<value><string>exec:/bin/true</string>",
        "<name>stdout_logfile_maxbytes</name>\n<value><i8>3221225472</i8>",
        "<value><string>/bin/echo '&lt;&amp;&gt;' \u{e9}</string>",
        "<name>stdout_logfile</name>\n<value><string>auto</string>",
    ] {
        assert!(new.contains(expected), "{expected} in {new}");
    }
}

/// Inside a multicall the written answers are results like any other.
#[test]
fn multicall_carries_written_answers() {
    let dir = TempDir::new();
    let mut d = odd_model(&dir);
    let call = |name: &str| {
        let mut m = BTreeMap::new();
        m.insert("methodName".to_string(), Value::String(name.into()));
        Value::Struct(m)
    };
    let calls = Value::Array(vec![
        call("supervisor.getAllConfigInfo"),
        call("supervisor.getState"),
    ]);
    let reply = crate::rpc::table::call(&mut d, "system.multicall", &[calls]).unwrap();
    let Ok(crate::rpc::codec::Answer::Value(Value::Array(results))) =
        codec::parse_method_response(&answer(reply))
    else {
        panic!("unreadable")
    };
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_array().map(<[Value]>::len),
        Some(6),
        "{results:?}"
    );
    assert_eq!(
        results[1].get("statename").and_then(Value::as_str),
        Some("RUNNING")
    );
}

#[test]
fn all_process_info_of_nothing_is_an_empty_array() {
    let dir = TempDir::new();
    let mut d = daemon(&dir, "");
    let new = text(answer(get_all_process_info(&mut d, &[]).unwrap()));
    assert_eq!(new, text(codec::write_response(&Value::Array(vec![]))));
}
