//! `[group:x]`, `[program:x]`, `[eventlistener:x]` and `[fcgi-program:x]` read from text and
//! resolved against the fake system of `resolve::tests`: no filesystem, no user database.

use super::*;
use crate::config::ini::from_text;
use crate::config::resolve::tests::Fake;

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([("ENV_G".to_string(), "global".to_string())])
}

type Loaded = (Vec<GroupConfig>, Vec<(Level, String)>);

/// Parses `text`, then runs the checks and resolves with the fake system of
/// `resolve::tests` (users root and app, the daemon running as app): no filesystem.
fn load(text: &str) -> Result<Loaded, String> {
    let raw = from_text(text, "/etc/t.conf").map_err(|e| e.to_string())?;
    let env = env();
    let ctx = Context {
        env: &env,
        here: "/etc",
        host_node_name: "box",
    };
    let mut messages = Vec::new();
    let mut checks = Vec::new();
    let parsed = groups(&raw, &ctx, &mut messages, &mut checks);
    let mut resolver = Resolver::new(&Fake);
    let names = Names::new(&env);
    for check in &checks {
        resolver.check(check, &names)?;
    }
    let groups = parsed
        .and_then(|groups| {
            groups
                .into_iter()
                .map(|g| g.resolve(&mut resolver))
                .collect()
        })
        .map_err(|e| e.to_string())?;
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
        error("[program:x]\ncommand=/bin/true\npriority=%(process_num)s\n")
            .starts_with("Format string '%(process_num)s' for 'program:x.priority' contains names")
    );
    assert!(
        error("[group:g]\nprograms=%(program_name)s\n").contains("Available names: ENV_G, here")
    );
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
    let (groups, _) = load("[program:x]\ncommand=/bin/true\nstdout_logfile=/tmp/a%%%%b\n").unwrap();
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
         user=root\n",
    )
    .unwrap();
    let t = process(&groups, "t").fcgi.as_ref().unwrap();
    assert_eq!(t.url.to_string(), "tcp://localhost:9002");
    assert_eq!(t.backlog, 5);
    let u = process(&groups, "u").fcgi.as_ref().unwrap();
    assert_eq!(u.url.to_string(), "unix:///tmp/u.sock");
    assert_eq!((u.mode, u.backlog), (0o700, libc::SOMAXCONN));
    // The socket belongs to the program's user when it differs from ours.
    assert_eq!(u.owner, Some((0, Some(0))));
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
