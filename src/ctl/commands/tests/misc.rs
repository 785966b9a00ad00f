//! Golden tests of supervisorctl's misc actions against a scripted server.

use super::*;

// ---- shutdown / reload / version / open / help / quit --------------------------------------

#[test]
fn shutdown_golden() {
    assert_eq!(
        run("shutdown", vec![("shutdown", Ok(Value::Bool(true)))]),
        ("Shut down\n".into(), 0)
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: already shutting down\n".into(), 0)
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", refused())]),
        (
            format!("ERROR: {URL} refused connection (already shut down?)\n"),
            1
        )
    );
    assert_eq!(
        run("shutdown", vec![("shutdown", no_such_file())]),
        (
            format!("ERROR: {URL} no such file (already shut down?)\n"),
            1
        )
    );
    assert_eq!(
        run("shutdown x", vec![]),
        (
            "Error: shutdown accepts no arguments\nshutdown \tShut the remote supervisord down.\n"
                .into(),
            1
        )
    );
}

#[test]
fn interactive_shutdown_and_reload_ask_first() {
    let r = run_with("shutdown", vec![], true, &["n"], Followed::Ended);
    assert_eq!(
        (r.out.as_str(), r.prompts.as_slice()),
        (
            "",
            &["Really shut the remote supervisord process down y/N? ".to_string()][..]
        )
    );
    let r = run_with(
        "shutdown",
        vec![("shutdown", Ok(Value::Bool(true)))],
        true,
        &["Yes"],
        Followed::Ended,
    );
    assert_eq!(r.out, "Shut down\n");
    let r = run_with(
        "reload",
        vec![("restart", Ok(Value::Bool(true)))],
        true,
        &["y"],
        Followed::Ended,
    );
    assert_eq!(
        (r.out.as_str(), r.prompts.as_slice()),
        (
            "Restarted supervisord\n",
            &["Really restart the remote supervisord process y/N? ".to_string()][..]
        )
    );
}

#[test]
fn reload_golden() {
    assert_eq!(
        run("reload", vec![("restart", Ok(Value::Bool(true)))]),
        ("Restarted supervisord\n".into(), 0)
    );
    assert_eq!(
        run("reload", vec![("restart", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: already shutting down\n".into(), 1)
    );
    assert_eq!(
        run("reload x", vec![]),
        (
            "Error: reload accepts no arguments\nreload \t\tRestart the remote supervisord.\n"
                .into(),
            1
        )
    );
}

#[test]
fn version_golden() {
    assert_eq!(
        run(
            "version",
            vec![up(), ("getSupervisorVersion", Ok(s("4.4.0.dev0")))]
        ),
        ("4.4.0.dev0\n".into(), 0)
    );
    assert_eq!(run("version x", vec![]), ("Error: version accepts no arguments\nversion\t\t\tShow the version of the remote supervisord process\n".into(), 1));
}

#[test]
fn open_switches_the_server_and_keeps_the_exit_status() {
    assert_eq!(
        run("open ftp://x", vec![]),
        ("ERROR: url must be http:// or unix://\n".into(), 1)
    );
    assert_eq!(
        run("open", vec![]),
        ("ERROR: url must be http:// or unix://\n".into(), 1)
    );
    let r = run_with(
        "open http://127.0.0.1:19001",
        vec![up(), ("getAllProcessInfo", infos())],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.status, 0);
    assert_eq!(r.out.lines().count(), 5);
    assert_eq!(r.calls[0].2.url, "http://127.0.0.1:19001");
}

#[test]
fn help_golden() {
    assert_eq!(
        run("help", vec![]),
        (
            "\ndefault commands (type help <topic>):\n=====================================\n\
             add    exit      open  reload  restart   start   tail   \n\
             avail  fg        pid   remove  shutdown  status  update \n\
             clear  maintail  quit  reread  signal    stop    version\n\n"
                .into(),
            0
        )
    );
    assert_eq!(run("help start", vec![]), (START_HELP.into(), 0));
    assert_eq!(run("?start", vec![]), (START_HELP.into(), 0));
    assert_eq!(
        run("help nosuch", vec![]),
        ("*** No help on nosuch\n".into(), 0)
    );
    assert_eq!(run("help EOF", vec![]), ("*** No help on EOF\n".into(), 0));
    assert_eq!(
        run("help help", vec![]),
        (
            "help\t\tPrint a list of available actions\nhelp <action>\tPrint help for <action>\n"
                .into(),
            0
        )
    );
    assert_eq!(
        run("help quit", vec![]),
        ("quit\tExit the supervisor shell.\n".into(), 0)
    );
}

#[test]
fn unknown_syntax_golden() {
    assert_eq!(
        run("bogus", vec![]),
        ("*** Unknown syntax: bogus\n".into(), 1)
    );
    assert_eq!(
        run("foobar x y", vec![]),
        ("*** Unknown syntax: foobar x y\n".into(), 1)
    );
    assert_eq!(run("!ls", vec![]), ("*** Unknown syntax: !ls\n".into(), 1));
    assert_eq!(run("   ", vec![]), (String::new(), 0));
}

#[test]
fn quit_exit_and_eof_leave_with_a_newline() {
    for line in ["quit", "exit", "EOF"] {
        let script = Script {
            replies: RefCell::default(),
            calls: RefCell::default(),
            follows: RefCell::default(),
            follow_end: Followed::Ended,
        };
        let mut input = Keys(VecDeque::new(), Vec::new());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let server = Server {
            url: URL.into(),
            username: None,
            password: None,
        };
        let mut ctl = Controller::new(server, true, &script, &mut input, &mut out, &mut err);
        assert_eq!(ctl.onecmd(line), Flow::Quit);
        drop(ctl);
        assert_eq!(out, b"\n");
    }
}

#[test]
fn the_shell_runs_status_first_then_reads_until_eof() {
    let script = Script {
        replies: RefCell::new(
            vec![
                up(),
                (
                    "getAllProcessInfo",
                    Ok(Value::Array(vec![info(
                        "a",
                        "a",
                        20,
                        "RUNNING",
                        "pid 1, uptime 0:00:01",
                        1,
                    )])),
                ),
                up(),
                ("getSupervisorVersion", Ok(s("4.3.0"))),
            ]
            .into(),
        ),
        calls: RefCell::default(),
        follows: RefCell::default(),
        follow_end: Followed::Ended,
    };
    let mut input = Keys(["version", "", "bogus"].into_iter().collect(), Vec::new());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let server = Server {
        url: URL.into(),
        username: None,
        password: None,
    };
    let mut ctl = Controller::new(server, true, &script, &mut input, &mut out, &mut err);
    crate::ctl::shell::cmdloop(&mut ctl, "supervisor> ");
    drop(ctl);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a                                RUNNING   pid 1, uptime 0:00:01\n4.3.0\n*** Unknown syntax: bogus\n\n"
    );
    assert_eq!(input.1, ["supervisor> "; 4]);
}
