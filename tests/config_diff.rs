//! Differential check of the config loader against the reference.
//!
//! Every `tests/configs/NAME.conf` is loaded with `config::load`; the verdict (the error
//! text, or a dump of the parsed settings) must equal `NAME.expected`, which
//! `tests/configs/generate.py` produced by running Supervisor 4.3.0 on the same file (by
//! hand; no Python is needed here). `#` lines in `.expected` files are notes, e.g. the
//! reason for a ruled DIVERGENCE, and are ignored.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use supervisor::config::{
    self, resolve, source, ChannelConfig, Config, GroupKind, HttpServerKind, LogTarget,
    MainLogTarget, Overrides,
};

fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

fn line(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let value = value.to_string().replace('\n', "\\n");
    let _ = writeln!(out, "{key}: {value}");
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn octal(v: Option<u32>) -> String {
    v.map_or_else(|| "none".to_string(), |v| format!("0o{v:o}"))
}

fn owner(v: Option<(u32, Option<u32>)>) -> String {
    match v {
        None => "none".to_string(),
        Some((u, g)) => format!("{u}:{}", g.map_or(-1, i64::from)),
    }
}

fn logfile(v: &LogTarget) -> String {
    match v {
        LogTarget::Auto => "auto".to_string(),
        LogTarget::None => "none".to_string(),
        LogTarget::File(p) => p.display().to_string(),
    }
}

fn channel(out: &mut String, name: &str, c: &ChannelConfig) {
    line(out, &format!("    {name}_logfile"), logfile(&c.logfile));
    line(
        out,
        &format!("    {name}_logfile_maxbytes"),
        c.logfile_maxbytes,
    );
    line(
        out,
        &format!("    {name}_logfile_backups"),
        c.logfile_backups,
    );
    line(
        out,
        &format!("    {name}_capture_maxbytes"),
        c.capture_maxbytes,
    );
    line(out, &format!("    {name}_events_enabled"), c.events_enabled);
    line(out, &format!("    {name}_syslog"), c.syslog);
}

/// The same dump `generate.py` writes for the reference.
fn dump(c: &Config) -> String {
    let mut out = String::from("ok\n");
    let s = &c.supervisord;
    let logfile = match &s.logfile {
        MainLogTarget::Syslog => "syslog".to_string(),
        MainLogTarget::File(p) => p.display().to_string(),
    };
    line(&mut out, "supervisord.logfile", logfile);
    line(&mut out, "supervisord.logfile_maxbytes", s.logfile_maxbytes);
    line(&mut out, "supervisord.logfile_backups", s.logfile_backups);
    line(&mut out, "supervisord.loglevel", s.loglevel.name());
    line(&mut out, "supervisord.pidfile", s.pidfile.display());
    line(&mut out, "supervisord.umask", octal(Some(s.umask)));
    line(&mut out, "supervisord.nodaemon", s.nodaemon);
    line(&mut out, "supervisord.silent", s.silent);
    line(&mut out, "supervisord.minfds", s.minfds);
    line(&mut out, "supervisord.minprocs", s.minprocs);
    line(&mut out, "supervisord.nocleanup", s.nocleanup);
    let childlogdir = s.childlogdir.display().to_string();
    let childlogdir = if childlogdir == resolve::temp_dir() {
        "@TMP@".to_string()
    } else {
        childlogdir
    };
    line(&mut out, "supervisord.childlogdir", childlogdir);
    line(
        &mut out,
        "supervisord.user",
        opt(s.user.as_ref().map(|u| u.uid)),
    );
    line(
        &mut out,
        "supervisord.directory",
        opt(s.directory.as_ref().map(|d| d.display())),
    );
    line(&mut out, "supervisord.strip_ansi", s.strip_ansi);
    line(&mut out, "supervisord.identifier", &s.identifier);
    let mut env = s.environment.clone();
    env.sort();
    for (k, v) in &env {
        line(&mut out, "supervisord.environment", format!("{k}={v}"));
    }
    for server in &c.http_servers {
        let auth = format!(
            "username={} password={}",
            opt(server.username.as_ref()),
            opt(server.password.as_ref())
        );
        let text = match &server.kind {
            HttpServerKind::Inet { host, port } => format!("inet host={host} port={port} {auth}"),
            HttpServerKind::Unix { path, chmod, chown } => format!(
                "unix file={} chmod={} chown={} {auth}",
                path.display(),
                octal(Some(*chmod)),
                chown.map_or_else(|| "-1:-1".to_string(), |c| owner(Some(c)))
            ),
        };
        line(&mut out, &format!("server {}", server.section), text);
    }
    for g in &c.groups {
        let fcgi = g.processes.first().and_then(|p| p.fcgi.as_ref());
        let kind = match (&g.kind, fcgi) {
            (GroupKind::EventListener(_), _) => "eventlistener",
            (GroupKind::Program, Some(_)) => "fcgi",
            (GroupKind::Program, None) => "program",
        };
        line(
            &mut out,
            &format!("group {}", g.name),
            format!("priority={} kind={kind}", g.priority),
        );
        if let GroupKind::EventListener(pool) = &g.kind {
            let mut names: Vec<&str> = pool.events.iter().map(|e| e.name()).collect();
            names.sort_unstable();
            line(&mut out, "  events", names.join(","));
            line(&mut out, "  buffer_size", pool.buffer_size);
            line(&mut out, "  result_handler", &pool.result_handler);
        }
        if let Some(sock) = fcgi {
            let mode = match sock.url {
                config::SocketUrl::Unix { .. } => octal(Some(sock.mode)),
                config::SocketUrl::Tcp { .. } => "none".to_string(),
            };
            line(
                &mut out,
                "  socket",
                format!(
                    "{} backlog={} owner={} mode={mode}",
                    sock.url,
                    sock.backlog,
                    owner(sock.owner)
                ),
            );
        }
        for p in &g.processes {
            line(&mut out, &format!("  process {}", p.name), &p.command);
            line(&mut out, "    priority", p.priority);
            line(&mut out, "    startsecs", p.startsecs);
            line(&mut out, "    startretries", p.startretries);
            line(&mut out, "    stopsignal", p.stopsignal);
            line(&mut out, "    stopwaitsecs", p.stopwaitsecs);
            line(&mut out, "    autostart", p.autostart);
            line(&mut out, "    autorestart", p.autorestart.name());
            let codes: Vec<String> = p.exitcodes.iter().map(i32::to_string).collect();
            line(&mut out, "    exitcodes", codes.join(","));
            line(&mut out, "    stopasgroup", p.stopasgroup);
            line(&mut out, "    killasgroup", p.killasgroup);
            line(&mut out, "    uid", opt(p.user.as_ref().map(|u| u.uid)));
            line(&mut out, "    redirect_stderr", p.redirect_stderr);
            channel(&mut out, "stdout", &p.stdout);
            channel(&mut out, "stderr", &p.stderr);
            for (k, v) in &p.environment {
                line(&mut out, "    environment", format!("{k}={v}"));
            }
            line(
                &mut out,
                "    directory",
                opt(p.directory.as_ref().map(|d| d.display())),
            );
            line(&mut out, "    umask", octal(p.umask));
            line(&mut out, "    serverurl", opt(p.serverurl.as_ref()));
        }
    }
    for (level, msg) in &c.messages {
        line(&mut out, &format!("message {}", level.code()), msg);
    }
    out
}

/// Drops `ENV_*` names from an "Available names" list: they depend on the environment.
fn drop_env_names(text: &str) -> String {
    let mut out = String::new();
    for l in text.split_inclusive('\n') {
        match l.split_once("Available names: ") {
            Some((head, names)) => {
                let kept: Vec<&str> = names
                    .trim_end_matches('\n')
                    .split(", ")
                    .filter(|n| !n.starts_with("ENV_") || n.contains(' '))
                    .collect();
                let nl = if l.ends_with('\n') { "\n" } else { "" };
                let _ = write!(out, "{head}Available names: {}{nl}", kept.join(", "));
            }
            None => out.push_str(l),
        }
    }
    out
}

fn normalise(text: &str) -> String {
    let here = configs_dir().display().to_string();
    let cwd = std::env::current_dir().unwrap().display().to_string();
    let host = format!("<{}>", source::host_node_name());
    // A format error's index counts characters of a string that starts with this directory.
    let text = if text.contains(&here) {
        rebase_index(text, here.len())
    } else {
        text.to_string()
    };
    let text = text
        .replace(&here, "@HERE@")
        .replace(&cwd, "@CWD@")
        .replace(&host, "<@HOST@>");
    drop_env_names(&text)
}

/// `at index N` made relative to the `@HERE@` placeholder instead of the real directory.
fn rebase_index(text: &str, here_len: usize) -> String {
    let Some((head, tail)) = text.split_once("at index ") else {
        return text.to_string();
    };
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let Ok(n) = digits.parse::<usize>() else {
        return text.to_string();
    };
    let rebased = (n + "@HERE@".len()).saturating_sub(here_len);
    format!("{head}at index {rebased}{}", &tail[digits.len()..])
}

fn verdict(path: &Path) -> String {
    match config::load(path, &Overrides::default()) {
        Ok(c) => dump(&c),
        Err(e) => format!("error: {e}\n"),
    }
}

/// The first differing line of a verdict, with its line number.
fn first_difference(conf: &Path, expected: &str, got: &str) -> String {
    let (mut e, mut g) = (expected.lines(), got.lines());
    let mut n = 1;
    loop {
        match (e.next(), g.next()) {
            (Some(a), Some(b)) if a == b => n += 1,
            (a, b) => {
                return format!(
                    "{} line {n}:\n  expected: {}\n  got:      {}",
                    conf.display(),
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                )
            }
        }
    }
}

#[test]
fn every_config_matches_the_reference() {
    let dir = configs_dir();
    let mut confs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    confs.sort();
    assert!(confs.len() >= 30, "only {} configs", confs.len());
    let mut failures = Vec::new();
    for conf in &confs {
        let expected_path = conf.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        let expected: String = expected
            .split_inclusive('\n')
            .filter(|l| !l.starts_with('#'))
            .collect();
        let got = normalise(&verdict(conf));
        if got != expected {
            failures.push(first_difference(conf, &expected, &got));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
