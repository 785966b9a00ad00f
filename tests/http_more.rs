//! Raw HTTP, continued: answers queued behind a waiting call, responses larger than the
//! socket buffer to a client that does not read, trickled requests, many idle connections,
//! log streams across rotation, and clients that half-close (D1, D5, reference §5.7).

use std::time::{Duration, Instant};

use supervisor::rpc::Value;

use crate::rawhttp::{get, method_call, post, Client};
use crate::rpc::sandbox;
use crate::util::{p, s, script, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);

fn string_param(v: &str) -> String {
    format!("<param><value><string>{v}</string></value></param>")
}

#[test]
fn pipelined_calls_behind_a_waiting_one_answer_in_order() {
    let d = Sandbox::start(
        "hpipe",
        "[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n",
    );
    let mut c = Client::connect(&d);
    let start = post(
        &method_call("supervisor.startProcess", &string_param("slow")),
        "",
    );
    let info = post(
        &method_call("supervisor.getProcessInfo", &string_param("slow")),
        "",
    );
    let t0 = Instant::now();
    c.send(&[start, info].concat());
    let first = c.response();
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert!(
        first.text().contains("<boolean>1</boolean>"),
        "{}",
        first.text()
    );
    let second = c.response();
    assert!(
        second.text().contains("<string>RUNNING</string>"),
        "answered after the start: {}",
        second.text()
    );
}

#[test]
fn a_client_that_does_not_read_a_large_answer_blocks_nobody() {
    let d = sandbox("hlarge", |d| {
        // About 4 MB of output, then idle.
        let big = script(
            d,
            "big.sh",
            "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy \
             | head -c 4000000\nexec sleep 1000",
        );
        format!(
            "[program:big]\ncommand=/bin/sh {}\nstartsecs=0\nstdout_logfile_maxbytes=0\n\
             [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
            p(&big)
        )
    });
    let log = text(&d.info("big"), "stdout_logfile").to_string();
    wait_for(T, "4 MB of output", || {
        (std::fs::metadata(&log).ok()?.len() == 4_000_000).then_some(())
    });
    let read_all = post(
        &method_call(
            "supervisor.readProcessStdoutLog",
            &format!(
                "{}<param><value><int>0</int></value></param>\
                 <param><value><int>0</int></value></param>",
                string_param("big")
            ),
        ),
        "",
    );
    let mut lazy = Vec::new();
    for _ in 0..3 {
        let mut c = Client::connect(&d);
        c.send(&read_all);
        lazy.push(c);
    }
    // Nobody reads those answers yet; the daemon answers others and keeps supervising.
    let t0 = Instant::now();
    for _ in 0..10 {
        assert_eq!(d.call("supervisor.getPID", vec![]), Value::Int(d.pid()));
    }
    d.call("supervisor.stopProcess", vec![s("sleeper")]);
    d.call("supervisor.startProcess", vec![s("sleeper")]);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // Each lazy client gets its whole answer once it reads.
    let expected = std::fs::read_to_string(&log).unwrap();
    for mut c in lazy {
        let r = c.response();
        assert_eq!(r.status, 200);
        let body = r.text();
        let start = body.find("<string>").unwrap() + "<string>".len();
        let end = body.rfind("</string>").unwrap();
        assert_eq!(body[start..end].len(), expected.len());
        assert!(body[start..end] == expected, "content differs");
    }
}

#[test]
fn a_request_trickled_byte_by_byte_is_answered() {
    let d = Sandbox::start("htrickle", "");
    let mut c = Client::connect(&d);
    let request = post(&method_call("supervisor.getPID", ""), "");
    for byte in &request {
        c.send(std::slice::from_ref(byte));
    }
    let r = c.response();
    assert_eq!(r.status, 200);
    assert!(r.text().contains(&format!("<int>{}</int>", d.pid())));
}

#[test]
fn many_idle_connections_do_not_stop_service() {
    let d = Sandbox::start("hmany", "[program:cat]\ncommand=/bin/cat\nstartsecs=0\n");
    d.wait_state("cat", "RUNNING", T);
    let idle: Vec<Client> = (0..200).map(|_| Client::connect(&d)).collect();
    assert_eq!(d.call("supervisor.getPID", vec![]), Value::Int(d.pid()));
    // A large stdin write is buffered and delivered while all of that is open.
    let payload = "x".repeat(999_999) + "\n";
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s(&payload)]);
    let log = text(&d.info("cat"), "stdout_logfile").to_string();
    wait_for(T, "cat to echo a megabyte", || {
        (std::fs::metadata(&log).ok()?.len() == 1_000_000).then_some(())
    });
    drop(idle);
    assert_eq!(d.call("supervisor.getPID", vec![]), Value::Int(d.pid()));
}

#[test]
fn logtail_follows_a_rotated_log() {
    let d = sandbox("hrotate", |_| {
        "[program:cat]\ncommand=/bin/cat\nstartsecs=0\nstdout_logfile_maxbytes=1KB\n\
         stdout_logfile_backups=2\n"
            .to_string()
    });
    d.wait_state("cat", "RUNNING", T);
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s("first\n")]);
    let log = text(&d.info("cat"), "stdout_logfile").to_string();
    wait_for(T, "the first line", || {
        (std::fs::read_to_string(&log).ok()? == "first\n").then_some(())
    });
    let mut c = Client::connect(&d);
    c.send(&get("/logtail/cat"));
    assert_eq!(c.head().0, 200);
    c.stream_until("first\n");
    // Past 1 KB the file is rotated: the stream goes on in the new file.
    let filler = "y".repeat(1500) + "\n";
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s(&filler)]);
    wait_for(T, "a rotation", || {
        std::path::Path::new(&format!("{log}.1"))
            .exists()
            .then_some(())
    });
    d.call(
        "supervisor.sendProcessStdin",
        vec![s("cat"), s("after rotation\n")],
    );
    c.stream_until("after rotation\n");
    // Truncated by a clear: announced, then followed from the start.
    d.call("supervisor.clearProcessLogs", vec![s("cat")]);
    d.call(
        "supervisor.sendProcessStdin",
        vec![s("cat"), s("after clear\n")],
    );
    c.stream_until("after clear\n");
}

#[test]
fn a_half_closed_client_still_gets_its_answers() {
    let d = Sandbox::start(
        "hhalf",
        "[program:slow]\ncommand=/bin/sleep 1000\nstartsecs=1\nautostart=false\n",
    );
    // As `printf 'GET ...' | socat - UNIX:...` does: the request, then end of stream.
    let mut c = Client::connect(&d);
    c.send(b"GET /ok.html HTTP/1.0\r\n\r\n");
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(c.response().text(), "OK");
    // Pipelined requests, one of them waiting for a state, then end of stream.
    let mut c = Client::connect(&d);
    let start = post(
        &method_call("supervisor.startProcess", &string_param("slow")),
        "",
    );
    let pid = post(&method_call("supervisor.getPID", ""), "");
    c.send(&[start, pid, get("/ok.html")].concat());
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(c.response().text().contains("<boolean>1</boolean>"));
    assert!(c
        .response()
        .text()
        .contains(&format!("<int>{}</int>", d.pid())));
    assert_eq!(c.response().text(), "OK");
    assert!(c.closed(), "closed once everything is answered");
    assert_eq!(d.info("slow").get("statename"), Some(&s("RUNNING")));
}
