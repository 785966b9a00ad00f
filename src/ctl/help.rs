//! supervisorctl's help texts, byte for byte as the reference prints them (reference §4.4,
//! tabs included), and the usage text of `-h`.
//!
//! Data only; it must not print.

/// The actions `help` lists, in its order (every action with a help topic).
pub const TOPICS: [&str; 21] = [
    "add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit", "reload", "remove",
    "reread", "restart", "shutdown", "signal", "start", "status", "stop", "tail", "update",
    "version",
];

/// The header `help` prints above the topic table.
pub const TOPICS_HEADER: &str = "default commands (type help <topic>):";

/// The lines of `help <topic>`; `None` when there is no such topic.
pub fn topic(name: &str) -> Option<&'static [&'static str]> {
    let lines: &'static [&'static str] = match name {
        "add" => &["add <name> [...]\tActivates any updates in config for process/group"],
        "avail" => &["avail\t\t\tDisplay all configured processes"],
        "clear" => &[
            "clear <name>\t\tClear a process' log files.",
            "clear <name> <name>\tClear multiple process' log files",
            "clear all\t\tClear all process' log files",
        ],
        "exit" => &["exit\tExit the supervisor shell."],
        "fg" => &["fg <process>\tConnect to a process in foreground mode", "\t\tCtrl-C to exit"],
        "help" => &["help\t\tPrint a list of available actions", "help <action>\tPrint help for <action>"],
        "maintail" => &[
            "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)",
            "maintail -100\tlast 100 *bytes* of supervisord main log file",
            "maintail\tlast 1600 *bytes* of supervisor main log file",
            "",
        ],
        "open" => &[
            "open <url>\tConnect to a remote supervisord process.",
            "\t\t(for UNIX domain socket, use unix:///socket/path)",
        ],
        "pid" => &[
            "pid\t\t\tGet the PID of supervisord.",
            "pid <name>\t\tGet the PID of a single child process by name.",
            "pid all\t\t\tGet the PID of every child process, one per line.",
        ],
        "quit" => &["quit\tExit the supervisor shell."],
        "reload" => &["reload \t\tRestart the remote supervisord."],
        "remove" => &["remove <name> [...]\tRemoves process/group from active config"],
        // Commands of ours (D11): reachable as topics, left out of the reference's table.
        "reopen" => &[
            "reopen <name>\t\tReopen a process' log files (after an external logrotate)",
            "reopen <gname>:*\tReopen the log files of all processes in a group",
            "reopen all\t\tReopen all log files, supervisord's own included",
        ],
        "rotate" => &[
            "rotate <name>\t\tRotate a process' log files now",
            "rotate <gname>:*\tRotate the log files of all processes in a group",
            "rotate all\t\tRotate all process' log files",
        ],
        "reread" => &["reread \t\t\tReload the daemon's configuration files without add/remove"],
        "restart" => &[
            "restart <name>\t\tRestart a process",
            "restart <gname>:*\tRestart all processes in a group",
            "restart <name> <name>\tRestart multiple processes or groups",
            "restart all\t\tRestart all processes",
            "Note: restart does not reread config files. For that, see reread and update.",
        ],
        "shutdown" => &["shutdown \tShut the remote supervisord down."],
        "signal" => &[
            "signal <signal name> <name>\t\tSignal a process",
            "signal <signal name> <gname>:*\t\tSignal all processes in a group",
            "signal <signal name> <name> <name>\tSignal multiple processes or groups",
            "signal <signal name> all\t\tSignal all processes",
        ],
        "start" => &[
            "start <name>\t\tStart a process",
            "start <gname>:*\t\tStart all processes in a group",
            "start <name> <name>\tStart multiple processes or groups",
            "start all\t\tStart all processes",
        ],
        "status" => &[
            "status <name>\t\tGet status for a single process",
            "status <gname>:*\tGet status for all processes in a group",
            "status <name> <name>\tGet status for multiple named processes",
            "status\t\t\tGet all process status info",
        ],
        "stop" => &[
            "stop <name>\t\tStop a process",
            "stop <gname>:*\t\tStop all processes in a group",
            "stop <name> <name>\tStop multiple processes or groups",
            "stop all\t\tStop all processes",
        ],
        "tail" => &[
            "tail [-f] <name> [stdout|stderr] (default stdout)",
            "Ex:",
            "tail -f <name>\t\tContinuous tail of named process stdout",
            "\t\t\tCtrl-C to exit.",
            "tail -100 <name>\tlast 100 *bytes* of process stdout",
            "tail <name> stderr\tlast 1600 *bytes* of process stderr",
        ],
        "update" => &[
            "update\t\t\tReload config and add/remove as necessary, and will restart affected programs",
            "update all\t\tReload config and add/remove as necessary, and will restart affected programs",
            "update <gname> [...]\tUpdate specific groups",
        ],
        "version" => &["version\t\t\tShow the version of the remote supervisord process"],
        _ => return None,
    };
    Some(lines)
}

/// The text of `supervisorctl -h`, with the program name filled in.
pub fn usage(progname: &str) -> String {
    format!(
        "supervisorctl -- control applications run by supervisord from the cmd line.

Usage: {progname} [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default \"http://localhost:9001\").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)
-j/--json -- print one JSON document per command (status, pid, avail, reread,
     update, start, stop, restart, signal, clear, reopen, rotate, version)

action [arguments] -- see below

Actions are commands like \"tail\" or \"stop\".  If -i is specified or no action is
specified on the command line, a \"shell\" interpreting actions typed
interactively is started.  Use the action \"help\" to find out about available
actions.

"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_topic_has_help_and_no_other_does() {
        for t in TOPICS {
            assert!(topic(t).is_some(), "{t}");
        }
        assert!(topic("EOF").is_none());
        // Ours, documented but not in the reference's table.
        assert!(topic("reopen").is_some() && !TOPICS.contains(&"reopen"));
        assert!(topic("rotate").is_some() && !TOPICS.contains(&"rotate"));
        assert!(topic("nosuch").is_none());
        assert!(topic("start stop").is_none());
    }

    #[test]
    fn topics_are_sorted_as_cmd_lists_them() {
        let mut sorted = TOPICS;
        sorted.sort_unstable();
        assert_eq!(sorted, TOPICS);
    }

    #[test]
    fn help_texts_golden() {
        assert_eq!(
            topic("quit"),
            Some(&["quit\tExit the supervisor shell."][..])
        );
        assert_eq!(topic("maintail").map(<[_]>::len), Some(4));
        assert_eq!(
            topic("restart").and_then(|l| l.last()).copied(),
            Some("Note: restart does not reread config files. For that, see reread and update.")
        );
        assert_eq!(
            topic("reload"),
            Some(&["reload \t\tRestart the remote supervisord."][..])
        );
    }

    #[test]
    fn usage_names_the_program() {
        let text = usage("/usr/bin/supervisorctl");
        assert!(text.starts_with("supervisorctl -- control applications"));
        assert!(text.contains("\nUsage: /usr/bin/supervisorctl [options] [action [arguments]]\n"));
        assert!(text.ends_with("actions.\n\n"));
    }
}
