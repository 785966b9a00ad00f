//! The answers written straight from the model are byte for byte what the `Value` tree of
//! the previous implementation encoded to (kept here as the reference), on a model with odd
//! names, paths and descriptions (`<`, `&`, non-ASCII, control characters, empty).

use std::collections::BTreeMap;
use std::time::Instant;

use super::*;
use crate::model::fake::{Fake, SpawnOutcome};
use crate::model::Waiting;
use crate::process::exit::ExitStatus;
use crate::process::machine::Input;
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

fn old_all_process_info(m: &Model, now: f64) -> Value {
    let mut all: Vec<&Process> = m.procs.values().map(|p| &**p).collect();
    all.sort_by(|a, b| (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name)));
    Value::Array(all.into_iter().map(|p| old_process_info(p, now)).collect())
}

fn old_all_config_info(m: &Model) -> Value {
    let mut rows: Vec<(String, Value)> = Vec::new();
    for g in &m.config.groups {
        let active = m.group(&g.name);
        for c in &g.processes {
            let running = active.and_then(|a| {
                a.procs
                    .iter()
                    .filter_map(|id| m.procs.get(id))
                    .map(|p| &**p)
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

fn process<'a>(f: &'a mut Fake, name: &str) -> &'a mut Process {
    let id = f.id(name);
    f.model.procs.get_mut(&id).unwrap()
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
fn odd_model() -> Fake {
    let mut f = Fake::new(ODD);
    f.spawn = SpawnOutcome::Fail("can't find <&> \u{e9}".into());
    let id = f.id("a<b&c");
    f.step(id, Input::Start);
    f.spawn = SpawnOutcome::Ok;
    f.run("g&<\u{20ac}:\u{e9}t\u{e9}");
    process(&mut f, "g&<\u{20ac}:\u{e9}t\u{e9}").watch.status =
        Some("warm <&> \u{1}\u{2603}".into());
    f.wall += 3725.0;
    f.run("g&<\u{20ac}:p0");
    let id = f.id("g&<\u{20ac}:p0");
    f.step(id, Input::Stop);
    f.run("g&<\u{20ac}:p1");
    f.reap("g&<\u{20ac}:p1", ExitStatus::from_raw(3 << 8));
    process(&mut f, "g&<\u{20ac}:p2").watch.waiting = Some(Waiting {
        deadline: Instant::now(),
        target: "a<b&c".into(),
        condition: crate::config::beyond::Condition::Ready,
    });
    // Read, then its group left: `auto` in the config answer.
    f.model.remove_group("gone");
    f
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
    let mut f = odd_model();
    let new = text(answer(get_all_process_info(&mut f, &[]).unwrap()));
    let old = codec::write_response(&old_all_process_info(&f.model, f.wall));
    assert_eq!(new, text(old));
    for expected in [
        "<name>name</name>\n<value><string>a&lt;b&amp;c</string>",
        "can't find &lt;&amp;&gt; \u{e9}",
        "<name>notify_status</name>\n<value><string>warm &lt;&amp;&gt; \u{fffd}\u{2603}",
        "<name>health</name>",
        "<name>waiting_for</name>\n<value><string>a&lt;b&amp;c (ready)</string>",
        "<value><string>g&amp;&lt;\u{20ac}</string>",
        "<name>stderr_logfile</name>\n<value><string></string>",
        "uptime 1:02:05",
    ] {
        assert!(new.contains(expected), "{expected} in {new}");
    }
    assert_eq!(new.matches("<name>statename</name>").count(), 5);
}

#[test]
fn process_info_is_the_tree_encoding() {
    let mut f = odd_model();
    for name in ["a<b&c", "g&<\u{20ac}:\u{e9}t\u{e9}", "g&<\u{20ac}:p1"] {
        let new = answer(get_process_info(&mut f, &[Value::String(name.into())]).unwrap());
        let id = lookup_process(&f.model, name).unwrap();
        let old = old_process_info(&f.model.procs[&id], f.wall);
        assert_eq!(text(new), text(codec::write_response(&old)), "{name}");
    }
}

#[test]
fn all_config_info_is_the_tree_encoding() {
    let mut f = odd_model();
    let new = text(answer(get_all_config_info(&mut f, &[]).unwrap()));
    assert_eq!(
        new,
        text(codec::write_response(&old_all_config_info(&f.model)))
    );
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
    let mut f = odd_model();
    let call = |name: &str| {
        let mut m = BTreeMap::new();
        m.insert("methodName".to_string(), Value::String(name.into()));
        Value::Struct(m)
    };
    let calls = Value::Array(vec![
        call("supervisor.getAllConfigInfo"),
        call("supervisor.getState"),
    ]);
    let reply = crate::rpc::table::call(&mut f, "system.multicall", &[calls]).unwrap();
    let Ok(codec::Answer::Value(Value::Array(results))) =
        codec::parse_method_response(&answer(reply))
    else {
        panic!("unreadable")
    };
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_array().map(<[Value]>::len), Some(6));
    assert_eq!(
        results[1].get("statename").and_then(Value::as_str),
        Some("RUNNING")
    );
}

#[test]
fn all_process_info_of_nothing_is_an_empty_array() {
    let mut f = Fake::new("");
    let new = text(answer(get_all_process_info(&mut f, &[]).unwrap()));
    assert_eq!(new, text(codec::write_response(&Value::Array(vec![]))));
}
