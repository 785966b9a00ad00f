//! The warnings `supervisord --check-config` adds to the reference's errors: things that
//! load fine but will not do what the admin meant (a typo in a key or a section name, a
//! command or directory that is not there).
//!
//! Run once, after [`load`](super::load) accepted the file: it reads the files again for
//! their raw keys and looks at the filesystem, so the daemon never pays for it on a reload.
//! A key added to a reader must be added to the tables here; a unit test compares them with
//! the keys the readers look up.

use std::path::Path;

use crate::config::ini::{RawConfig, Section};
use crate::config::{source, Config, GroupKind};
use crate::process::command;

const SUPERVISORD: &[&str] = &[
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "loglevel",
    "pidfile",
    "umask",
    "nodaemon",
    "silent",
    "minfds",
    "minprocs",
    "nocleanup",
    "childlogdir",
    "user",
    "directory",
    "strip_ansi",
    "environment",
    "identifier",
];
const UNIX_HTTP_SERVER: &[&str] = &["file", "chmod", "chown", "username", "password", "metrics"];
const INET_HTTP_SERVER: &[&str] = &["port", "username", "password", "metrics"];
const SUPERVISORCTL: &[&str] = &[
    "serverurl",
    "username",
    "password",
    "prompt",
    "history_file",
];
const INCLUDE: &[&str] = &["files"];
const GROUP: &[&str] = &["programs", "priority"];
const PROGRAM: &[&str] = &[
    "command",
    "process_name",
    "numprocs",
    "numprocs_start",
    "priority",
    "autostart",
    "autorestart",
    "startsecs",
    "startretries",
    "exitcodes",
    "stopsignal",
    "stopwaitsecs",
    "stopasgroup",
    "killasgroup",
    "user",
    "redirect_stderr",
    "environment",
    "directory",
    "umask",
    "serverurl",
];
/// Each of these exists as `stdout_<key>` and `stderr_<key>`.
const CHANNEL: &[&str] = &[
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "logfile_rotate",
    "capture_maxbytes",
    "events_enabled",
    "syslog",
];
const FCGI_PROGRAM: &[&str] = &["socket", "socket_backlog", "socket_owner", "socket_mode"];
const EVENTLISTENER: &[&str] = &["buffer_size", "events", "result_handler"];

/// The keys a section may hold; `None` for a section that takes any key
/// (`[rpcinterface:x]` and `[ctlplugin:x]` pass theirs to Python code) or one supervisord
/// does not read at all (told apart by [`is_known_section`]).
fn keys_of(section: &str) -> Option<Vec<&'static [&'static str]>> {
    if section.starts_with("unix_http_server") {
        return Some(vec![UNIX_HTTP_SERVER]);
    }
    if section.starts_with("inet_http_server") {
        return Some(vec![INET_HTTP_SERVER]);
    }
    let tables = match section.split_once(':') {
        None => match section {
            "supervisord" => vec![SUPERVISORD],
            "supervisorctl" => vec![SUPERVISORCTL],
            "include" => vec![INCLUDE],
            _ => return None,
        },
        Some((prefix, _)) => match prefix {
            "group" => vec![GROUP],
            "program" => vec![PROGRAM, super::beyond::KEYS],
            "fcgi-program" => vec![PROGRAM, FCGI_PROGRAM, super::beyond::KEYS],
            "eventlistener" => vec![PROGRAM, EVENTLISTENER, super::beyond::KEYS],
            _ => return None,
        },
    };
    Some(tables)
}

/// Sections supervisord or supervisorctl reads (with the reference's prefix rules).
fn is_known_section(section: &str) -> bool {
    keys_of(section).is_some()
        || ["rpcinterface:", "ctlplugin:"]
            .iter()
            .any(|p| section.starts_with(p))
}

fn is_known_key(tables: &[&[&str]], key: &str) -> bool {
    let channel = key
        .strip_prefix("stdout_")
        .or_else(|| key.strip_prefix("stderr_"));
    tables.iter().any(|t| t.contains(&key))
        || (has_channels(tables) && channel.is_some_and(|k| CHANNEL.contains(&k)))
}

/// Sections of processes also take the `stdout_*` and `stderr_*` keys.
fn has_channels(tables: &[&[&str]]) -> bool {
    tables.contains(&PROGRAM)
}

/// Every warning for the configuration at `path` (as the user named it), which `config`
/// was loaded from; each is one line without the `Warning: ` prefix.
pub fn warnings(path: &Path, config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(raw) = read_raw(path) {
        unknown_names(&raw, &mut out);
        for group in &config.groups {
            for process in &group.processes {
                let section = section_of(&raw, &group.kind, &process.program);
                let at = match section {
                    Some(s) => format!("in section '{}' (file: {})", s.name, quoted(&s.file)),
                    None => format!("in program '{}'", process.program),
                };
                if let Err(e) = command::resolve(&process.command, &process.environment) {
                    out.push(format!("{e} {at}"));
                }
                if let Some(dir) = &process.directory {
                    if !dir.is_dir() {
                        let why = if dir.exists() {
                            "is not a directory"
                        } else {
                            "does not exist"
                        };
                        out.push(format!("directory {} {why} {at}", quoted(dir)));
                    }
                }
            }
        }
    }
    // numprocs copies of one section say the same thing once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|w| seen.insert(w.clone()));
    out
}

/// The sections as `load` read them (the same file, `[include]`s and names).
fn read_raw(path: &Path) -> Option<RawConfig> {
    source::read_sources(path).ok().map(|s| s.raw)
}

fn unknown_names(raw: &RawConfig, out: &mut Vec<String>) {
    for section in &raw.sections {
        let file = quoted(&section.file);
        if !is_known_section(&section.name) {
            out.push(format!(
                "section [{}] is not read by supervisord or supervisorctl (file: {file})",
                section.name
            ));
            continue;
        }
        let Some(tables) = keys_of(&section.name) else {
            continue;
        };
        for (key, _) in &section.options {
            // `[DEFAULT]` keys reach every section: they are names for `%(...)s`.
            if raw.defaults.contains(key) || is_known_key(&tables, key) {
                continue;
            }
            let hint = closest(&tables, key)
                .map(|k| format!("; did you mean '{k}'?"))
                .unwrap_or_default();
            out.push(format!(
                "unknown key '{key}' in section '{}' (file: {file}){hint}",
                section.name
            ));
        }
    }
}

/// The section a process was read from.
fn section_of<'r>(raw: &'r RawConfig, kind: &GroupKind, program: &str) -> Option<&'r Section> {
    let prefixes: &[&str] = match kind {
        GroupKind::EventListener(_) => &["eventlistener"],
        GroupKind::Program => &["program", "fcgi-program"],
    };
    prefixes
        .iter()
        .find_map(|p| raw.section(&format!("{p}:{program}")))
}

/// The known key nearest to a typo, if it is only a slip away (two edits at most).
fn closest(tables: &[&[&str]], key: &str) -> Option<String> {
    let channel_keys = CHANNEL
        .iter()
        .flat_map(|k| [format!("stdout_{k}"), format!("stderr_{k}")]);
    tables
        .iter()
        .flat_map(|t| t.iter().map(|k| k.to_string()))
        .chain(channel_keys.filter(|_| has_channels(tables)))
        .map(|k| (edit_distance(&k, key), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours (the usual typos) each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rolling rows of the distance table: rows i-2, i-1 and i.
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut cur = Vec::with_capacity(prev.len());
        cur.push(i.saturating_add(1));
        for (j, &cb) in b.iter().enumerate() {
            let plus = |row: &[usize], k: usize, cost: usize| {
                row.get(k).map_or(usize::MAX, |v| v.saturating_add(cost))
            };
            let mut best = plus(&prev, j.saturating_add(1), 1)
                .min(plus(&cur, j, 1))
                .min(plus(&prev, j, usize::from(ca != cb)));
            let swapped = i > 0
                && j > 0
                && a.get(i.wrapping_sub(1)) == Some(&cb)
                && b.get(j.wrapping_sub(1)) == Some(&ca);
            if swapped {
                best = best.min(plus(&before, j.wrapping_sub(1), 1));
            }
            cur.push(best);
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev.last().copied().unwrap_or(0)
}

fn quoted(path: impl AsRef<std::ffi::OsStr>) -> String {
    crate::pytext::repr(&path.as_ref().to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals a reader passes to its key lookups.
    fn looked_up(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let calls = [
            "get(\"",
            "opt(\"",
            "key(\"",
            "section.get(\"",
            "get(section, \"",
            "value(section, \"",
            "get(&names, \"",
            "opt(&names, \"",
        ];
        let mut keys = Vec::new();
        for call in calls {
            for (at, _) in code.match_indices(call) {
                let rest = &code[at + call.len()..];
                let key: String = rest.chars().take_while(|c| *c != '"').collect();
                if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    keys.push(key);
                }
            }
        }
        keys
    }

    #[test]
    fn every_key_the_readers_look_up_is_in_a_table() {
        let all: Vec<&[&str]> = vec![
            SUPERVISORD,
            UNIX_HTTP_SERVER,
            INET_HTTP_SERVER,
            SUPERVISORCTL,
            INCLUDE,
            GROUP,
            PROGRAM,
            FCGI_PROGRAM,
            EVENTLISTENER,
        ];
        let sources = [
            include_str!("program.rs"),
            include_str!("server.rs"),
            include_str!("ctl.rs"),
        ];
        let keys: Vec<String> = sources.iter().flat_map(|s| looked_up(s)).collect();
        assert!(keys.len() > 40, "the scan found only {keys:?}");
        for key in keys {
            let known = is_known_key(&all, &key) || CHANNEL.contains(&key.as_str());
            assert!(known, "the readers look up '{key}': add it to a table here");
        }
    }

    #[test]
    fn sections_and_keys() {
        assert!(is_known_key(
            &keys_of("program:x").unwrap(),
            "stderr_syslog"
        ));
        assert!(is_known_key(&keys_of("fcgi-program:x").unwrap(), "socket"));
        assert!(!is_known_key(&keys_of("program:x").unwrap(), "socket"));
        assert!(!is_known_key(
            &keys_of("supervisord").unwrap(),
            "stdout_logfile"
        ));
        assert!(is_known_key(&keys_of("inet_http_server2").unwrap(), "port"));
        assert!(is_known_section("rpcinterface:supervisor"));
        assert!(keys_of("rpcinterface:supervisor").is_none());
        assert!(!is_known_section("programs:x"));
        assert!(!is_known_section("program"));
    }

    #[test]
    fn typos_get_a_suggestion() {
        let program = keys_of("program:x").unwrap();
        assert_eq!(
            closest(&program, "autorestrat").as_deref(),
            Some("autorestart")
        );
        assert_eq!(
            closest(&program, "stdout_logfil").as_deref(),
            Some("stdout_logfile")
        );
        assert_eq!(closest(&program, "something_else"), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
