//! supervisorctl's exact output texts (reference §4.4): status and avail columns, the result
//! lines of start/stop/signal/clear, reread's change list and the help topic table.
//!
//! Pure functions only, pinned by golden tests; they must not do I/O.

use super::reply::{Changes, ConfigInfo, ProcessInfo};

/// Fault codes supervisorctl reacts to (reference §5.2).
pub mod fault {
    pub const UNKNOWN_METHOD: i64 = 1;
    pub const SHUTDOWN_STATE: i64 = 6;
    pub const BAD_NAME: i64 = 10;
    pub const BAD_SIGNAL: i64 = 11;
    pub const NO_FILE: i64 = 20;
    pub const NOT_EXECUTABLE: i64 = 21;
    pub const FAILED: i64 = 30;
    pub const ABNORMAL_TERMINATION: i64 = 40;
    pub const SPAWN_ERROR: i64 = 50;
    pub const ALREADY_STARTED: i64 = 60;
    pub const NOT_RUNNING: i64 = 70;
    pub const SUCCESS: i64 = 80;
    pub const ALREADY_ADDED: i64 = 90;
    pub const STILL_RUNNING: i64 = 91;
    pub const CANT_REREAD: i64 = 92;
}

/// `group:name`, or just `name` when both are the same (`make_namespec`).
pub fn namespec(group: &str, name: &str) -> String {
    if group == name {
        name.to_string()
    } else {
        format!("{group}:{name}")
    }
}

/// `split_namespec`: `g:p` → (g, Some(p)); `g:*` and `g:` → (g, None); `x` → (x, Some(x)).
pub fn split_namespec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((group, "" | "*")) => (group, None),
        Some((group, process)) => (group, Some(process)),
        None => (spec, Some(spec)),
    }
}

/// The name a single-name result is reported under: the namespec rebuilt from its parts, or
/// the spec as given for a whole group.
pub fn result_name(spec: &str) -> String {
    match split_namespec(spec) {
        (group, Some(process)) => namespec(group, process),
        // DIVERGENCE(Q16): the reference rebuilds `g:None` here.
        (_, None) => spec.to_string(),
    }
}

/// Left-justifies to `width` characters, as Python's `%-Ns`.
fn ljust(text: &str, width: usize) -> String {
    let len = text.chars().count();
    let mut s = text.to_string();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    s
}

/// The `status` table: namespec in a column of `max(30, longest) + 3`, state in 10.
pub fn status_lines(infos: &[ProcessInfo]) -> Vec<String> {
    let specs: Vec<String> = infos.iter().map(|i| namespec(&i.group, &i.name)).collect();
    let width = specs.iter().map(|s| s.chars().count()).fold(30, usize::max) + 3;
    infos
        .iter()
        .zip(&specs)
        .map(|(info, spec)| {
            format!(
                "{}{}{}",
                ljust(spec, width),
                ljust(&info.statename, 10),
                info.description
            )
        })
        .collect()
}

/// One `avail` line: `name(32) inuse(9) autostart(9) group_prio:process_prio`.
pub fn avail_line(info: &ConfigInfo) -> String {
    let mut line = format!(
        "{} {} {} {}:{}",
        ljust(&namespec(&info.group, &info.name), 32),
        ljust(if info.inuse { "in use" } else { "avail" }, 9),
        ljust(if info.autostart { "auto" } else { "manual" }, 9),
        info.group_prio,
        info.process_prio
    );
    // Issue 14: only processes using the new keys get more than the reference's line.
    for extra in &info.beyond {
        line.push_str("  ");
        line.push_str(extra);
    }
    line
}

/// A start result line; `None` for a code start never returns.
pub fn start_result(name: &str, code: i64) -> Option<String> {
    let what = match code {
        fault::BAD_NAME => "no such process",
        fault::NO_FILE => "no such file",
        fault::NOT_EXECUTABLE => "file is not executable",
        fault::ALREADY_STARTED => "already started",
        fault::SPAWN_ERROR => "spawn error",
        fault::ABNORMAL_TERMINATION => "abnormal termination",
        fault::SUCCESS => return Some(format!("{name}: started")),
        _ => return None,
    };
    Some(format!("{name}: ERROR ({what})"))
}

/// A stop or signal result line (`success` is `stopped` or `signalled`); a FAILED result
/// shows its description verbatim. `None` for a code they never return.
pub fn signal_result(name: &str, code: i64, description: &str, success: &str) -> Option<String> {
    let what = match code {
        fault::BAD_NAME => "no such process",
        fault::BAD_SIGNAL => "bad signal name",
        fault::NOT_RUNNING => "not running",
        fault::SUCCESS => return Some(format!("{name}: {success}")),
        fault::FAILED => return Some(description.to_string()),
        _ => return None,
    };
    Some(format!("{name}: ERROR ({what})"))
}

/// A clear result line; `None` for a code clear never returns.
pub fn clear_result(name: &str, code: i64) -> Option<String> {
    match code {
        fault::BAD_NAME => Some(format!("{name}: ERROR (no such process)")),
        fault::FAILED => Some(format!("{name}: ERROR (failed)")),
        fault::SUCCESS => Some(format!("{name}: cleared")),
        _ => None,
    }
}

/// `reread`'s report: `<group>: available|changed|disappeared`, sorted by name.
pub fn change_lines(changes: &Changes) -> Vec<String> {
    let mut by_name = std::collections::BTreeMap::new();
    for (names, what) in [
        (&changes.added, "available"),
        (&changes.changed, "changed"),
        (&changes.removed, "disappeared"),
    ] {
        for name in names {
            by_name.insert(name.as_str(), what);
        }
    }
    if by_name.is_empty() {
        return vec!["No config updates to processes".to_string()];
    }
    by_name
        .into_iter()
        .map(|(name, what)| format!("{name}: {what}"))
        .collect()
}

/// Python `cmd.Cmd.columnize`: the fewest rows whose columns fit in `width`.
pub fn columnize(words: &[&str], width: usize) -> Vec<String> {
    let size = words.len();
    if size <= 1 {
        return words.iter().map(|w| w.to_string()).collect();
    }
    let len = |i: usize| words.get(i).map_or(0, |w| w.chars().count());
    let mut layout = (size, 1, vec![0]);
    for nrows in 1..size {
        let ncols = size.div_ceil(nrows);
        let colwidths: Vec<usize> = (0..ncols)
            .map(|col| {
                (0..nrows)
                    .map(|row| len(row + nrows * col))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let total = colwidths
            .iter()
            .map(|w| w + 2)
            .sum::<usize>()
            .saturating_sub(2);
        if total <= width {
            layout = (nrows, ncols, colwidths);
            break;
        }
    }
    let (nrows, ncols, colwidths) = layout;
    (0..nrows)
        .map(|row| {
            let mut texts: Vec<&str> = (0..ncols)
                .map(|col| words.get(row + nrows * col).copied().unwrap_or(""))
                .collect();
            while texts.last().is_some_and(|t| t.is_empty()) {
                texts.pop();
            }
            texts
                .iter()
                .zip(&colwidths)
                .map(|(t, w)| ljust(t, *w))
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(group: &str, name: &str, statename: &str, description: &str) -> ProcessInfo {
        ProcessInfo {
            group: group.into(),
            name: name.into(),
            state: 0,
            statename: statename.into(),
            description: description.into(),
            pid: 0,
        }
    }

    #[test]
    fn namespec_and_split() {
        assert_eq!(namespec("talker", "talker"), "talker");
        assert_eq!(namespec("grp", "manual"), "grp:manual");
        assert_eq!(split_namespec("grp:manual"), ("grp", Some("manual")));
        assert_eq!(split_namespec("grp:*"), ("grp", None));
        assert_eq!(split_namespec("grp:"), ("grp", None));
        assert_eq!(split_namespec("talker"), ("talker", Some("talker")));
        assert_eq!(split_namespec("a:b:c"), ("a", Some("b:c")));
    }

    #[test]
    fn result_name_never_shows_none() {
        assert_eq!(result_name("foo:foo"), "foo");
        assert_eq!(result_name("g:a"), "g:a");
        assert_eq!(result_name("g:*"), "g:*");
        assert_eq!(result_name("g:"), "g:");
    }

    #[test]
    fn status_golden() {
        let lines = status_lines(&[
            info("badcmd", "badcmd", "STOPPED", "Not started"),
            info("flaky", "flaky", "STARTING", ""),
            info("grp", "quick", "EXITED", "Nov 22 02:07 AM"),
            info("talker", "talker", "RUNNING", "pid 7336, uptime 0:00:06"),
        ]);
        assert_eq!(
            lines,
            [
                "badcmd                           STOPPED   Not started",
                "flaky                            STARTING  ",
                "grp:quick                        EXITED    Nov 22 02:07 AM",
                "talker                           RUNNING   pid 7336, uptime 0:00:06",
            ]
        );
    }

    #[test]
    fn status_long_name_widens_the_column() {
        let long = "a_very_long_program_name_exceeding_thirty";
        let lines = status_lines(&[
            info(long, long, "RUNNING", "x"),
            info("foo", "foo", "FATAL", "y"),
        ]);
        assert_eq!(lines[0], format!("{long}   RUNNING   x"));
        assert_eq!(
            lines[1],
            format!("foo{}FATAL     y", " ".repeat(long.len()))
        );
    }

    #[test]
    fn status_pads_by_characters() {
        let lines = status_lines(&[info("héllo", "héllo", "BACKOFF", "")]);
        assert_eq!(lines[0], format!("héllo{}BACKOFF   ", " ".repeat(28)));
    }

    #[test]
    fn avail_golden() {
        let c = ConfigInfo {
            group: "grp".into(),
            name: "manual".into(),
            inuse: true,
            autostart: false,
            group_prio: 500,
            process_prio: 999,
            beyond: vec![],
        };
        assert_eq!(
            avail_line(&c),
            "grp:manual                       in use    manual    500:999"
        );
        let c = ConfigInfo {
            inuse: false,
            autostart: true,
            group_prio: -1,
            ..c
        };
        assert_eq!(
            avail_line(&c),
            "grp:manual                       avail     auto      -1:999"
        );
        let c = ConfigInfo {
            beyond: vec!["ready_check=notify".into(), "depends_on=db".into()],
            ..c
        };
        assert_eq!(
            avail_line(&c),
            "grp:manual                       avail     auto      -1:999  ready_check=notify  \
             depends_on=db"
        );
    }

    #[test]
    fn start_results_golden() {
        let cases = [
            (fault::BAD_NAME, "x: ERROR (no such process)"),
            (fault::NO_FILE, "x: ERROR (no such file)"),
            (fault::NOT_EXECUTABLE, "x: ERROR (file is not executable)"),
            (fault::ALREADY_STARTED, "x: ERROR (already started)"),
            (fault::SPAWN_ERROR, "x: ERROR (spawn error)"),
            (
                fault::ABNORMAL_TERMINATION,
                "x: ERROR (abnormal termination)",
            ),
            (fault::SUCCESS, "x: started"),
        ];
        for (code, line) in cases {
            assert_eq!(start_result("x", code).as_deref(), Some(line));
        }
        assert_eq!(start_result("x", fault::FAILED), None);
    }

    #[test]
    fn stop_and_signal_results_golden() {
        assert_eq!(
            signal_result("x", fault::BAD_NAME, "", "stopped").as_deref(),
            Some("x: ERROR (no such process)")
        );
        assert_eq!(
            signal_result("x", fault::BAD_SIGNAL, "", "signalled").as_deref(),
            Some("x: ERROR (bad signal name)")
        );
        assert_eq!(
            signal_result("x", fault::NOT_RUNNING, "", "stopped").as_deref(),
            Some("x: ERROR (not running)")
        );
        assert_eq!(
            signal_result("x", fault::SUCCESS, "OK", "stopped").as_deref(),
            Some("x: stopped")
        );
        assert_eq!(
            signal_result("x", fault::SUCCESS, "OK", "signalled").as_deref(),
            Some("x: signalled")
        );
        assert_eq!(
            signal_result("x", fault::FAILED, "FAILED: kill error", "stopped").as_deref(),
            Some("FAILED: kill error")
        );
        assert_eq!(signal_result("x", fault::SPAWN_ERROR, "", "stopped"), None);
    }

    #[test]
    fn clear_results_golden() {
        assert_eq!(
            clear_result("x", fault::BAD_NAME).as_deref(),
            Some("x: ERROR (no such process)")
        );
        assert_eq!(
            clear_result("x", fault::FAILED).as_deref(),
            Some("x: ERROR (failed)")
        );
        assert_eq!(
            clear_result("x", fault::SUCCESS).as_deref(),
            Some("x: cleared")
        );
        assert_eq!(clear_result("x", fault::NO_FILE), None);
    }

    #[test]
    fn change_lines_golden() {
        let changes = Changes {
            added: vec!["newprog2".into(), "newprog".into()],
            changed: vec!["sleeper".into()],
            removed: vec!["badcmd".into()],
        };
        assert_eq!(
            change_lines(&changes),
            [
                "badcmd: disappeared",
                "newprog: available",
                "newprog2: available",
                "sleeper: changed"
            ]
        );
        assert_eq!(
            change_lines(&Changes::default()),
            ["No config updates to processes"]
        );
    }

    #[test]
    fn columnize_the_default_topics() {
        let topics = [
            "add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit", "reload",
            "remove", "reread", "restart", "shutdown", "signal", "start", "status", "stop", "tail",
            "update", "version",
        ];
        assert_eq!(
            columnize(&topics, 79),
            [
                "add    exit      open  reload  restart   start   tail   ",
                "avail  fg        pid   remove  shutdown  status  update ",
                "clear  maintail  quit  reread  signal    stop    version",
            ]
        );
        assert_eq!(columnize(&["one"], 79), ["one"]);
        assert_eq!(columnize(&["a", "b"], 79), ["a  b"]);
    }
}
