//! Golden tests of supervisorctl's status actions against a scripted server.

use super::*;

// ---- status -------------------------------------------------------------------------------

#[test]
fn status_all_golden_rc3() {
    let (out, rc) = run("status", vec![up(), ("getAllProcessInfo", infos())]);
    assert_eq!(
        out,
        "badcmd                           STOPPED   Not started\n\
         grp:manual                       STOPPED   Not started\n\
         sleeper:sleeper_00               RUNNING   pid 7334, uptime 0:00:25\n\
         sleeper:sleeper_01               RUNNING   pid 7335, uptime 0:00:25\n\
         talker                           RUNNING   pid 7336, uptime 0:00:06\n"
    );
    assert_eq!(rc, 3);
}

#[test]
fn status_group_and_names_rc0() {
    let (out, rc) = run(
        "status sleeper:*",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(out.lines().count(), 2);
    assert_eq!(rc, 0);
    let (out, rc) = run(
        "status talker sleeper:sleeper_01",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert!(out.starts_with("talker "), "{out}");
    assert!(out
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("sleeper:sleeper_01 "));
    assert_eq!(rc, 0);
}

#[test]
fn status_errors_come_first_and_a_later_3_wins() {
    let (out, rc) = run(
        "status nosuch nosuch:* grp:nosuch sleeper",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(
        out,
        "nosuch: ERROR (no such process)\nnosuch: ERROR (no such group)\n\
         grp:nosuch: ERROR (no such process)\nsleeper: ERROR (no such process)\n"
    );
    assert_eq!(rc, 4);
    let (out, rc) = run(
        "status nosuch grp:manual",
        vec![up(), ("getAllProcessInfo", infos())],
    );
    assert_eq!(out.lines().next(), Some("nosuch: ERROR (no such process)"));
    assert_eq!(rc, 3);
}

#[test]
fn status_when_the_daemon_is_down_is_4() {
    assert_eq!(
        run("status", vec![("getVersion", no_such_file())]),
        (format!("{URL} no such file\n"), 4)
    );
    assert_eq!(
        run("status", vec![("getVersion", refused())]),
        (format!("{URL} refused connection\n"), 4)
    );
}

// ---- upcheck ------------------------------------------------------------------------------

#[test]
fn upcheck_failures_and_their_codes() {
    assert_eq!(
        run("version", vec![("getVersion", no_such_file())]),
        (format!("{URL} no such file\n"), 7)
    );
    assert_eq!(
        run("start x", vec![("getVersion", refused())]),
        (format!("{URL} refused connection\n"), 4)
    );
    let (out, rc) = run("pid", vec![("getVersion", Ok(s("2.0")))]);
    assert_eq!(
        out,
        "Sorry, this version of supervisorctl expects to talk to a server with API version 3.0, \
         but the remote version is 2.0.\n"
    );
    assert_eq!(rc, 5);
    let (out, rc) = run("stop x", vec![("getVersion", fault(1, "UNKNOWN_METHOD"))]);
    assert!(out.starts_with(
        "Sorry, supervisord responded but did not recognize the supervisor namespace"
    ));
    assert!(out.ends_with("enabled in the configuration file (see sample.conf).\n"));
    assert_eq!(rc, 3);
    // DIVERGENCE(Q29): one clean line instead of a Python traceback.
    assert_eq!(
        run("clear x", vec![("getVersion", fault(6, "SHUTDOWN_STATE"))]),
        ("ERROR: supervisor shutting down\n".into(), 1)
    );
}

#[test]
fn unauthorized_non_interactive_is_one_line() {
    // DIVERGENCE(Q10): the reference adds a raw ProtocolError line.
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    assert_eq!(
        run("status", vec![("getVersion", e)]),
        ("Server requires authentication\n".into(), 1)
    );
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    assert_eq!(
        run("avail", vec![("getAllConfigInfo", e)]),
        ("Server requires authentication\n".into(), 1)
    );
}

#[test]
fn unauthorized_interactive_asks_and_retries() {
    let e = Err(CallError::Http {
        url: URL.into(),
        status: 401,
        reason: "Unauthorized".into(),
    });
    let r = run_with(
        "version",
        vec![
            ("getVersion", e),
            up(),
            ("getSupervisorVersion", Ok(s("4.3.0"))),
        ],
        true,
        &["user", "pw"],
        Followed::Ended,
    );
    assert_eq!(r.out, "Server requires authentication\n\n4.3.0\n");
    assert_eq!(r.prompts, ["Username:", "Password:"]);
    let last = &r.calls.last().unwrap().2;
    assert_eq!(
        (last.username.as_deref(), last.password.as_deref()),
        (Some("user"), Some("pw"))
    );
    assert_eq!(r.status, 0);
}
