//! Raw HTTP over the unix socket (reference §5.1, §5.7; decisions D1, D5): bad requests are
//! refused without harm, a stalled or vanished client blocks nobody, keep-alive and
//! `Expect: 100-continue` work, and the status page and log streams answer.

use std::time::{Duration, Instant};

use crate::rawhttp::{exchange, get, method_call, post, Client};
use crate::rpc::sandbox;
use crate::util::{int, p, s, script, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);

/// A daemon whose `ticker` writes a line every 50 ms, plus an idle `sleeper`.
fn ticking(name: &str) -> Sandbox {
    let d = sandbox(name, |d| {
        let tick = script(d, "tick.sh", "while :; do echo tick; sleep 0.05; done");
        format!(
            "[program:ticker]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
            p(&tick)
        )
    });
    d.wait_state("ticker", "RUNNING", T);
    d.wait_state("sleeper", "RUNNING", T);
    d
}

/// The daemon still answers, and answers right.
#[track_caller]
fn still_up(d: &Sandbox) {
    assert_eq!(
        d.call("supervisor.getPID", vec![]),
        supervisor::rpc::Value::Int(d.pid())
    );
}

/// Waits until the ticker's stdout log is larger than `than`; returns its size.
#[track_caller]
fn log_grows(d: &Sandbox, than: u64) -> u64 {
    let path = text(&d.info("ticker"), "stdout_logfile").to_string();
    wait_for(T, "the ticker's log to grow", || {
        let len = std::fs::metadata(&path).ok()?.len();
        (len > than).then_some(len)
    })
}

#[test]
fn malformed_requests_get_400_and_the_daemon_stays_up() {
    let d = ticking("h400");
    for body in [
        "<methodCall><methodName>supervisor.getPID</methodName>".to_string(),
        "this is not xml".into(),
        "<?xml version=\"1.0\"?><methodCall><params/></methodCall>".into(),
        method_call("", ""),
        "<methodCall><methodName>supervisor.getPID</methodName><params><param><value>\
         <bogus>1</bogus></value></param></params></methodCall>"
            .into(),
    ] {
        let r = exchange(&d, &post(&body, ""));
        assert_eq!(r.status, 400, "{body}");
        assert!(r.text().contains("Error code 400"), "{}", r.text());
        still_up(&d);
    }
    let log = d.main_log();
    assert!(log.contains("is invalid: unmarshallable"), "{log}");
    assert!(log.contains("is invalid: no method name"), "{log}");
}

#[test]
fn doctype_entities_and_deep_nesting_are_refused() {
    let d = ticking("hxml");
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
                  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\
                  <methodCall><methodName>system.methodHelp</methodName><params><param>\
                  <value><string>&lol2;</string></value></param></params></methodCall>";
    let r = exchange(&d, &post(laughs, ""));
    assert_eq!(r.status, 400);
    let external = "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"/etc/passwd\">\
                    <methodCall><methodName>supervisor.getPID</methodName></methodCall>";
    assert_eq!(exchange(&d, &post(external, "")).status, 400);

    let nest = |n: usize| {
        let open = "<value><array><data>".repeat(n);
        let close = "</data></array></value>".repeat(n);
        method_call(
            "system.methodHelp",
            &format!("<param>{open}{close}</param>"),
        )
    };
    // Shallow nesting parses (and is the wrong parameter type: a fault, not a 400).
    let r = exchange(&d, &post(&nest(5), ""));
    assert_eq!(r.status, 200);
    assert!(r.text().contains("INCORRECT_PARAMETERS"), "{}", r.text());
    let r = exchange(&d, &post(&nest(70), ""));
    assert_eq!(r.status, 400);
    still_up(&d);
}

#[test]
fn oversized_heads_and_bodies_are_refused() {
    let d = ticking("hbig");
    let big_head = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let r = exchange(&d, big_head.as_bytes());
    assert!(matches!(r.status, 431 | 400), "{}", r.status);
    still_up(&d);

    // 17 MiB announced: refused as soon as the head is in, whatever the body does.
    let size = 17 * 1024 * 1024;
    let mut c = Client::connect(&d);
    c.send(
        format!("POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: {size}\r\n\r\n")
            .as_bytes(),
    );
    let mut writer = c.stream.try_clone().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let block = vec![b'x'; 1 << 20];
        for _ in 0..17 {
            if writer.write_all(&block).is_err() {
                break;
            }
        }
    });
    let r = c.response();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.closed(), "the daemon ends the connection after a 413");
    drop(c);
    feeder.join().unwrap();
    still_up(&d);

    let r = exchange(
        &d,
        b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\n\r\n<methodCall/>",
    );
    assert_eq!(r.status, 411, "POST without Content-Length");
    still_up(&d);
}

#[test]
fn a_stalled_client_blocks_nobody() {
    let d = ticking("hstall");
    let before = log_grows(&d, 0);
    let mut stalled = Vec::new();
    for i in 0..20 {
        let mut c = Client::connect(&d);
        if i % 2 == 0 {
            c.send(b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Le");
        } else {
            let body = method_call("supervisor.getPID", "");
            let request = post(&body, "");
            c.send(&request[..request.len() - body.len() / 2]);
        }
        stalled.push(c);
    }
    let t0 = Instant::now();
    for _ in 0..20 {
        still_up(&d);
        assert_eq!(d.info("sleeper").get("statename"), Some(&s("RUNNING")));
    }
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "40 calls took {:?}",
        t0.elapsed()
    );
    // Output capture goes on while they stall.
    let after = log_grows(&d, before);
    log_grows(&d, after);
    // Restart a process while they stall: spawning and reaping go on too.
    let old = int(&d.info("sleeper"), "pid");
    d.call("supervisor.stopProcess", vec![s("sleeper")]);
    d.call("supervisor.startProcess", vec![s("sleeper")]);
    assert_ne!(int(&d.info("sleeper"), "pid"), old);
    // The stalled ones can still finish their requests.
    let mut last = stalled.pop().unwrap();
    let body = method_call("supervisor.getPID", "");
    last.send(&body.as_bytes()[body.len() - body.len() / 2..]);
    let r = last.response();
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains(&format!("<int>{}</int>", d.pid())),
        "{}",
        r.text()
    );
}

#[test]
fn clients_that_vanish_mid_request_or_mid_wait_do_no_harm() {
    let d = sandbox("hgone", |_| {
        "[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n".to_string()
    });
    let mut c = Client::connect(&d);
    let request = post(&method_call("supervisor.getPID", ""), "");
    c.send(&request[..request.len() - 10]);
    drop(c);
    still_up(&d);
    // Gone while its waited start is pending: the start completes all the same.
    let mut c = Client::connect(&d);
    c.send(&post(
        &method_call(
            "supervisor.startProcess",
            "<param><value><string>slow</string></value></param>",
        ),
        "",
    ));
    d.wait_state("slow", "STARTING", T);
    drop(c);
    still_up(&d);
    d.wait_state("slow", "RUNNING", T);
    still_up(&d);
}

#[test]
fn methods_and_paths() {
    let d = ticking("hpaths");
    let r = exchange(&d, &get("/RPC2"));
    assert!((400..500).contains(&r.status), "GET /RPC2 → {}", r.status);
    for path in [
        "/nosuch",
        "/logtail/nosuch",
        "/logtail/nosuch/stdout",
        "/logtail/sleeper/bogus",
        "/images/nosuch.png",
    ] {
        let r = exchange(&d, &get(path));
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("Content-Type"), Some("text/html"), "{path}");
        assert!(r.text().contains("Error code 404."), "{}", r.text());
    }
    let r = exchange(&d, &get("/ok.html"));
    assert_eq!((r.status, r.text().as_str()), (200, "OK"));
    // Only GET and POST reach a handler, as in the reference.
    for (method, path) in [
        ("DELETE", "/logtail/sleeper"),
        ("DELETE", "/"),
        ("PUT", "/ok.html"),
        ("OPTIONS", "/RPC2"),
    ] {
        let r = exchange(
            &d,
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        );
        assert_eq!(r.status, 400, "{method} {path}");
    }
}

#[test]
fn head_answers_carry_no_body() {
    let d = ticking("hhead");
    // Each HEAD answer is followed on the same connection by a GET: a stray body would be
    // read as the start of the second answer.
    for (path, status) in [
        ("/ok.html", 404),
        ("/", 404),
        ("/RPC2", 400),
        ("/logtail/ticker", 400),
        ("/mainlogtail", 400),
    ] {
        let mut c = Client::connect(&d);
        c.send(format!("HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        c.send(&get("/ok.html"));
        let (code, headers) = c.head();
        assert_eq!(code, status, "HEAD {path}");
        assert!(headers.iter().any(|(n, _)| n == "Content-Length"), "{path}");
        let r = c.response();
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "OK"),
            "after HEAD {path}"
        );
    }
}

#[test]
fn status_page_lists_processes_and_get_changes_nothing() {
    let d = ticking("hpage");
    let r = exchange(&d, &get("/"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html;charset=utf-8"));
    let page = r.text();
    for needle in [
        "sleeper",
        "ticker",
        "statusrunning",
        "logtail/sleeper",
        "logtail/ticker/stderr",
    ] {
        assert!(page.contains(needle), "{needle} missing from {page}");
    }
    assert!(exchange(&d, &get("/index.html")).text().contains("ticker"));
    let pid = int(&d.info("sleeper"), "pid");
    // D5: a GET carrying an action does not act.
    for action in ["stop", "restart", "clearlog"] {
        let r = exchange(
            &d,
            &get(&format!("/index.html?processname=sleeper&action={action}")),
        );
        assert_eq!(r.status, 200, "{action}");
    }
    for action in ["stopall", "restartall"] {
        exchange(&d, &get(&format!("/?action={action}")));
    }
    // A short pause proves nothing happens later either.
    std::thread::sleep(Duration::from_millis(300));
    let info = d.info("sleeper");
    assert_eq!(text(&info, "statename"), "RUNNING");
    assert_eq!(int(&info, "pid"), pid);
}

#[test]
fn logtail_streams_existing_and_new_output() {
    let d = sandbox("htail", |d| {
        let echo = script(
            d,
            "echo.sh",
            "while read l; do echo \"out:$l\"; echo \"err:$l\" >&2; done",
        );
        format!(
            "[program:echo]\ncommand=/bin/sh {}\nstartsecs=0\n",
            p(&echo)
        )
    });
    d.wait_state("echo", "RUNNING", T);
    let say = |line: &str| {
        d.call(
            "supervisor.sendProcessStdin",
            vec![s("echo"), s(&format!("{line}\n"))],
        );
    };
    say("first");
    wait_for(T, "the first line in the stderr log", || {
        let log = d.call(
            "supervisor.readProcessStderrLog",
            vec![
                s("echo"),
                supervisor::rpc::Value::Int(0),
                supervisor::rpc::Value::Int(0),
            ],
        );
        (log == s("err:first\n")).then_some(())
    });
    for (path, prefix) in [("/logtail/echo", "out"), ("/logtail/echo/stderr", "err")] {
        let mut c = Client::connect(&d);
        c.send(&get(path));
        let (status, headers) = c.head();
        assert_eq!(status, 200, "{path}");
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("Transfer-Encoding"), Some("chunked"));
        assert_eq!(header("Content-Type"), Some("text/plain;charset=utf-8"));
        assert_eq!(header("X-Accel-Buffering"), Some("no"));
        c.stream_until(&format!("{prefix}:first\n"));
        say(&format!("more-{prefix}"));
        let all = c.stream_until(&format!("{prefix}:more-{prefix}\n"));
        assert!(all.starts_with(&format!("{prefix}:first\n")), "{all:?}");
    }
    // HTTP/1.0: no chunks, the stream ends with the connection.
    let mut c = Client::connect(&d);
    c.send(b"GET /logtail/echo/stderr HTTP/1.0\r\n\r\n");
    let (status, headers) = c.head();
    assert_eq!(status, 200);
    assert!(
        !headers.iter().any(|(n, _)| n == "Transfer-Encoding"),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("Connection".into(), "close".into())),
        "{headers:?}"
    );
    c.raw_until("err:first\nerr:more-out\nerr:more-err\n");
    say("raw");
    c.raw_until("err:more-err\nerr:raw\n");
    // A namespec with its group, percent-encoded.
    let mut c = Client::connect(&d);
    c.send(&get("/logtail/echo%3Aecho/stdout"));
    assert_eq!(c.head().0, 200);
    c.stream_until("out:more-out\n");
}

#[test]
fn mainlogtail_streams_the_activity_log() {
    let d = ticking("hmain");
    d.wait_file("supervisord.log", "success: sleeper entered RUNNING", T);
    let mut c = Client::connect(&d);
    c.send(&get("/mainlogtail"));
    let (status, _) = c.head();
    assert_eq!(status, 200);
    c.stream_until("success: sleeper entered RUNNING");
    d.call("supervisor.stopProcess", vec![s("sleeper")]);
    c.stream_until("stopped: sleeper (terminated by SIGTERM)");
}

#[test]
fn keep_alive_pipelining_continue_and_http10() {
    let d = ticking("hkeep");
    let pid = format!("<int>{}</int>", d.pid());
    let call = post(&method_call("supervisor.getPID", ""), "");
    let mut c = Client::connect(&d);
    c.send(&call);
    let first = c.response();
    c.send(&call);
    let second = c.response();
    for r in [&first, &second] {
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("text/xml"));
        assert!(r.text().contains(&pid), "{}", r.text());
    }
    // Pipelined: three requests in one write, three answers in order.
    let info = post(
        &method_call(
            "supervisor.getProcessInfo",
            "<param><value><string>sleeper</string></value></param>",
        ),
        "",
    );
    c.send(&[call.clone(), info, get("/ok.html")].concat());
    assert!(c.response().text().contains(&pid));
    assert!(c.response().text().contains("<name>statename</name>"));
    assert_eq!(c.response().text(), "OK");

    // Expect: 100-continue gets the interim answer before the body is sent.
    let body = method_call("supervisor.getPID", "");
    let mut c = Client::connect(&d);
    c.send(
        format!(
            "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(c.head().0, 100);
    c.send(body.as_bytes());
    let r = c.response();
    assert_eq!(r.status, 200);
    assert!(r.text().contains(&pid));

    // HTTP/1.0 closes after the answer; `Connection: close` too.
    let mut c = Client::connect(&d);
    c.send(b"GET /ok.html HTTP/1.0\r\n\r\n");
    assert_eq!(c.response().status, 200);
    assert!(c.closed());
    let mut c = Client::connect(&d);
    c.send(&post(&body, "Connection: close\r\n"));
    assert!(c.response().text().contains(&pid));
    assert!(c.closed());
}
