//! Golden tests of supervisorctl's logs actions against a scripted server.

use super::*;

// ---- tail / maintail / clear / fg ---------------------------------------------------------

const TAIL_HELP: &str = "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\n\
tail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\n\
tail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr\n";

#[test]
fn tail_reads_the_last_bytes_and_adds_a_newline() {
    let r = run_with(
        "tail talker",
        vec![up(), ("readProcessStdoutLog", Ok(s("out line 0\n")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("out line 0\n\n", 0));
    assert_eq!(
        r.calls[1].1,
        vec![s("talker"), Value::Int(-1600), Value::Int(0)]
    );
    let r = run_with(
        "tail -50 talker STDERR",
        vec![up(), ("readProcessStderrLog", Ok(s("")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.out, "\n");
    assert_eq!(
        r.calls[1].1,
        vec![s("talker"), Value::Int(-50), Value::Int(0)]
    );
    let r = run_with(
        "tail -3000000000 a stdout",
        vec![up(), ("readProcessStdoutLog", Ok(s("x")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(
        r.calls[1].1,
        vec![s("a"), Value::Int64(-3_000_000_000), Value::Int(0)]
    );
}

#[test]
fn tail_with_three_words_takes_the_first_as_name_and_the_last_as_channel() {
    let r = run_with(
        "tail a b stderr",
        vec![up(), ("readProcessStderrLog", Ok(s("e")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.out, "e\n");
    assert_eq!(r.calls[1].1, vec![s("a"), Value::Int(-1600), Value::Int(0)]);
}

#[test]
fn tail_zero_prints_nothing() {
    // DIVERGENCE(Q17): the reference prints the whole log.
    let r = run_with(
        "tail -0 talker",
        vec![
            up(),
            (
                "tailProcessStdoutLog",
                Ok(Value::Array(vec![s(""), Value::Int(9), Value::Bool(true)])),
            ),
        ],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("", 0));
    assert_eq!(
        run(
            "tail -0 nosuch",
            vec![up(), ("tailProcessStdoutLog", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process name)\n".into(), 1)
    );
    assert_eq!(run("maintail -0", vec![up()]), (String::new(), 0));
}

#[test]
fn tail_errors_golden() {
    assert_eq!(
        run("tail talker bogus", vec![up()]),
        ("Error: bad channel 'bogus'\n".into(), 1)
    );
    assert_eq!(
        run("tail -x talker", vec![up()]),
        ("Error: bad argument -x\n".into(), 1)
    );
    assert_eq!(
        run("tail -f", vec![up()]),
        ("Error: tail requires process name\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail nosuch",
            vec![up(), ("readProcessStdoutLog", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process name)\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail nolog",
            vec![up(), ("readProcessStdoutLog", fault(20, "NO_FILE"))]
        ),
        ("nolog: ERROR (no log file)\n".into(), 1)
    );
    assert_eq!(
        run(
            "tail x",
            vec![up(), ("readProcessStdoutLog", fault(30, "FAILED"))]
        ),
        ("x: ERROR (unknown error reading log)\n".into(), 1)
    );
    assert_eq!(
        run("tail", vec![up()]),
        (format!("Error: too few arguments\n{TAIL_HELP}"), 1)
    );
    assert_eq!(
        run("tail -5 a b c d", vec![up()]),
        (format!("Error: too many arguments\n{TAIL_HELP}"), 1)
    );
}

#[test]
fn tail_f_follows_the_logtail_url() {
    let r = run_with(
        "tail -f talker stderr",
        vec![up()],
        false,
        &[],
        Followed::Stopped,
    );
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nstreamed\n\n");
    assert_eq!(r.follows, ["/logtail/talker/stderr"]);
    assert_eq!(r.status, 0);
    let r = run_with("maintail -f", vec![up()], false, &[], Followed::Ended);
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nstreamed\n");
    assert_eq!(r.follows, ["/mainlogtail"]);
    assert!(r.err.is_empty());
}

#[test]
fn maintail_golden() {
    let r = run_with(
        "maintail -100",
        vec![up(), ("readLog", Ok(s("log\n")))],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!((r.out.as_str(), r.status), ("log\n\n", 0));
    assert_eq!(r.calls[1].1, vec![Value::Int(-100), Value::Int(0)]);
    assert_eq!(
        run("maintail x", vec![up()]),
        ("Error: bad argument x\n".into(), 1)
    );
    assert_eq!(
        run("maintail -y", vec![up()]),
        ("Error: bad argument -y\n".into(), 1)
    );
    assert_eq!(
        run("maintail -1 -2", vec![up()]),
        (
            "Error: too many arguments\nmaintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n\
             maintail -100\tlast 100 *bytes* of supervisord main log file\n\
             maintail\tlast 1600 *bytes* of supervisor main log file\n\n"
                .into(),
            1
        )
    );
    assert_eq!(
        run("maintail", vec![up(), ("readLog", fault(20, "NO_FILE"))]),
        ("supervisord: ERROR (no log file)\n".into(), 1)
    );
}

#[test]
fn clear_golden() {
    assert_eq!(
        run(
            "clear talker",
            vec![up(), ("clearProcessLogs", Ok(Value::Bool(true)))]
        ),
        ("talker: cleared\n".into(), 0)
    );
    assert_eq!(
        run(
            "clear nosuch",
            vec![up(), ("clearProcessLogs", fault(10, "BAD_NAME"))]
        ),
        ("nosuch: ERROR (no such process)\n".into(), 1)
    );
    let all = Ok(Value::Array(vec![
        result("a", "a", 80, "OK"),
        result("b", "b", 30, "FAILED: x"),
    ]));
    assert_eq!(
        run("clear all", vec![up(), ("clearAllProcessLogs", all)]),
        ("a: cleared\nb: ERROR (failed)\n".into(), 1)
    );
    let (out, rc) = run("clear", vec![up()]);
    assert_eq!(
        out,
        "Error: clear requires a process name\nclear <name>\t\tClear a process' log files.\n\
         clear <name> <name>\tClear multiple process' log files\nclear all\t\tClear all process' log files\n"
    );
    assert_eq!(rc, 1);
}

#[test]
fn clear_group_wildcard_names_the_group() {
    // DIVERGENCE(Q16): the reference prints `g:None: ERROR (no such process)`.
    assert_eq!(
        run(
            "clear g:*",
            vec![up(), ("clearProcessLogs", fault(10, "BAD_NAME: g:*"))]
        ),
        ("g:*: ERROR (no such process)\n".into(), 1)
    );
}

#[test]
fn fg_errors_golden() {
    let (out, rc) = run("fg", vec![up()]);
    assert_eq!((out.as_str(), rc), ("ERROR: no process name supplied\nfg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n", 1));
    assert_eq!(
        run("fg a b", vec![up()]),
        ("ERROR: too many process names supplied\n".into(), 1)
    );
    assert_eq!(
        run(
            "fg nope",
            vec![up(), ("getProcessInfo", fault(10, "BAD_NAME"))]
        ),
        ("ERROR: bad process name supplied\n".into(), 1)
    );
    assert_eq!(
        run(
            "fg foo",
            vec![
                up(),
                (
                    "getProcessInfo",
                    Ok(info("foo", "foo", 0, "STOPPED", "", 0))
                )
            ]
        ),
        ("ERROR: process not running\n".into(), 1)
    );
}

#[test]
fn fg_forwards_lines_until_eof() {
    let running = || Ok(info("cat", "cat", 20, "RUNNING", "", 5));
    let r = run_with(
        "fg cat",
        vec![
            up(),
            ("getProcessInfo", running()),
            ("sendProcessStdin", Ok(Value::Bool(true))),
            ("getProcessInfo", running()),
        ],
        false,
        &["hello"],
        Followed::Ended,
    );
    assert_eq!(r.out, "==> Press Ctrl-C to exit <==\nExiting foreground\n");
    assert_eq!(r.follows, ["/logtail/cat/stdout", "/logtail/cat/stderr"]);
    assert_eq!(r.calls[2].1, vec![s("cat"), s("hello\n")]);
    assert_eq!(r.status, 0);
    let r = run_with(
        "fg cat",
        vec![
            up(),
            ("getProcessInfo", running()),
            ("sendProcessStdin", fault(70, "NOT_RUNNING")),
        ],
        false,
        &["x"],
        Followed::Ended,
    );
    assert_eq!(
        r.out,
        "==> Press Ctrl-C to exit <==\nProcess got killed\nExiting foreground\n"
    );
}

#[test]
fn tail_f_several_names_follows_each_with_a_prefix() {
    // Ours (D11): where the reference says "bad channel" or "too many arguments".
    let r = run_with("tail -f a b:x c", vec![up()], false, &[], Followed::Stopped);
    assert_eq!(
        r.out,
        "==> Press Ctrl-C to exit <==\na | streamed\nb:x | streamed\nc | streamed\n\n"
    );
    assert_eq!(
        r.follows,
        [
            "/logtail/a/stdout",
            "/logtail/b:x/stdout",
            "/logtail/c/stdout"
        ]
    );
    let r = run_with(
        "tail -f a b STDERR",
        vec![up()],
        false,
        &[],
        Followed::Ended,
    );
    assert_eq!(r.follows, ["/logtail/a/stderr", "/logtail/b/stderr"]);
    // One name keeps the reference's forms.
    let r = run_with("tail -f a stderr", vec![up()], false, &[], Followed::Ended);
    assert_eq!(r.follows, ["/logtail/a/stderr"]);
    assert_eq!(
        run("tail a b", vec![up()]),
        ("Error: bad channel 'b'\n".into(), 1)
    );
}

#[test]
fn reopen_and_rotate_golden() {
    let results = || {
        Ok(Value::Array(vec![
            result("web", "web_0", 80, "OK"),
            result("web", "web_1", 30, "FAILED: web:web_1: Permission denied"),
        ]))
    };
    assert_eq!(
        run(
            "reopen web:*",
            vec![up(), ("supervisor_rs.reopenLogs", results())]
        ),
        (
            "web:web_0: reopened\nweb:web_1: ERROR (FAILED: web:web_1: Permission denied)\n".into(),
            1
        )
    );
    assert_eq!(
        run(
            "rotate talker nosuch:*",
            vec![
                up(),
                (
                    "supervisor_rs.rotateLogs",
                    Ok(Value::Array(vec![result("talker", "talker", 80, "OK")]))
                ),
                ("supervisor_rs.rotateLogs", fault(10, "BAD_NAME: nosuch:*")),
            ]
        ),
        ("talker: rotated\nnosuch: ERROR (no such group)\n".into(), 1)
    );
    assert_eq!(
        run(
            "rotate all",
            vec![
                up(),
                ("supervisor_rs.rotateLogs", fault(1, "UNKNOWN_METHOD"))
            ]
        ),
        (
            "ERROR: this supervisord cannot rotate logs (no supervisor_rs.rotateLogs method)\n"
                .into(),
            3
        )
    );
    let (out, rc) = run("reopen", vec![up()]);
    assert!(out.starts_with("Error: reopen requires a process name\nreopen <name>"));
    assert_eq!(rc, 1);
}
