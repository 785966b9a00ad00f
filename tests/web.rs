//! The web interface over HTTP (reference §5.7; D5, D8): actions by POST with the token,
//! refusals without it, confirm pages for GET actions, authentication, the tail page's texts,
//! the assets, escaping, and actions that wait without blocking the loop.

use std::time::{Duration, Instant};

use crate::rawhttp::{exchange, get, Client, Response};
use crate::rpc::sandbox;
use crate::util::{int, p, script, text, trap_script, wait_for, Sandbox};

const T: Duration = Duration::from_secs(15);

/// A daemon with a running `sleeper`, a stopped `idle`, a `hello` that printed one line, and
/// `badcmd` whose command does not exist.
fn daemon(name: &str) -> Sandbox {
    let d = sandbox(name, |d| {
        let hello = script(d, "hello.sh", "echo hello; echo oops >&2; exec sleep 1000");
        format!(
            "[program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
             [program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\
             [program:hello]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:badcmd]\ncommand=/nonexistent/cmd\nautostart=false\n",
            p(&hello)
        )
    });
    d.wait_state("sleeper", "RUNNING", T);
    d.wait_state("hello", "RUNNING", T);
    d
}

/// The token in a page's forms.
#[track_caller]
fn token_of(page: &str) -> String {
    let at = page
        .find("name=\"token\" value=\"")
        .expect("a token in the page");
    page[at + 20..].chars().take_while(|c| *c != '"').collect()
}

fn token(d: &Sandbox) -> String {
    token_of(&exchange(d, &get("/")).text())
}

/// A form POST to `path` with an `x-www-form-urlencoded` body.
fn form(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// POSTs an action with the token; returns the message the redirect carries.
#[track_caller]
fn act(d: &Sandbox, token: &str, action: &str, name: &str) -> String {
    let r = exchange(
        d,
        &form(
            "/index.html",
            &format!("token={token}&action={action}&processname={name}"),
        ),
    );
    assert_eq!(r.status, 303, "{action} {name}: {}", r.text());
    let location = r.header("Location").expect("a Location").to_string();
    let quoted = location
        .strip_prefix("index.html?message=")
        .unwrap_or_else(|| panic!("unexpected Location {location}"));
    // The page it leads to shows the message.
    let page = exchange(d, &get(&format!("/{location}"))).text();
    let message = supervisor::http::url::unquote(quoted);
    assert!(
        page.contains(&html_escape(&message)),
        "{message} not shown in {page}"
    );
    message
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn state(d: &Sandbox, name: &str) -> String {
    text(&d.info(name), "statename").to_string()
}

#[test]
fn every_action_by_post_with_the_token_is_done() {
    let d = daemon("wact");
    let t = token(&d);
    assert_eq!(t.len(), 32);
    assert_eq!(act(&d, &t, "stop", "sleeper"), "Process sleeper stopped");
    assert_eq!(state(&d, "sleeper"), "STOPPED");
    assert_eq!(act(&d, &t, "start", "idle"), "Process idle started");
    let pid = int(&d.info("idle"), "pid");
    assert_eq!(state(&d, "idle"), "RUNNING");
    assert_eq!(act(&d, &t, "restart", "idle"), "Process idle restarted");
    let info = d.info("idle");
    assert_eq!(text(&info, "statename"), "RUNNING");
    assert_ne!(int(&info, "pid"), pid);
    let out = text(&d.info("hello"), "stdout_logfile").to_string();
    let err = text(&d.info("hello"), "stderr_logfile").to_string();
    wait_for(T, "hello's output", || {
        (std::fs::metadata(&out).ok()?.len() > 0).then_some(())
    });
    assert_eq!(act(&d, &t, "clearlog", "hello"), "Log for hello cleared");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 0);
    assert_eq!(std::fs::metadata(&err).unwrap().len(), 0);

    let stopped = act(&d, &t, "stopall", "");
    assert!(stopped.starts_with("All stopped at "), "{stopped}");
    for name in ["sleeper", "idle", "hello"] {
        assert_eq!(state(&d, name), "STOPPED", "{name}");
    }
    let restarted = act(&d, &t, "restartall", "");
    assert!(restarted.starts_with("All restarted at "), "{restarted}");
    for name in ["sleeper", "idle", "hello"] {
        assert_eq!(state(&d, name), "RUNNING", "{name}");
    }
    let refreshed = act(&d, &t, "refresh", "");
    assert!(refreshed.starts_with("Page refreshed at "), "{refreshed}");

    // Failures are spelled out, as the reference's.
    assert_eq!(
        act(&d, &t, "start", "nosuch"),
        "No such process named nosuch"
    );
    assert_eq!(
        act(&d, &t, "start", "badcmd"),
        "ERROR: Process badcmd: no such file"
    );
    assert_eq!(
        act(&d, &t, "start", "idle"),
        "ERROR: Process idle: already started"
    );
    assert_eq!(act(&d, &t, "stop", "sleeper"), "Process sleeper stopped");
    assert_eq!(
        act(&d, &t, "stop", "sleeper"),
        "unexpected rpc fault [70] NOT_RUNNING: sleeper"
    );
    // DIVERGENCE(D8): a restart whose start fails says so (the reference: "restarted").
    assert_eq!(
        act(&d, &t, "restart", "badcmd"),
        "ERROR: Process badcmd: no such file"
    );
    // An error message is marked as one.
    let page = exchange(
        &d,
        &get("/?message=ERROR%3A%20Process%20x%3A%20spawn%20error"),
    )
    .text();
    assert!(page.contains("class=\"status_msg error\""), "{page}");

    // DIVERGENCE(D8): an unknown action is a bad request (the reference: 500).
    let r = exchange(&d, &form("/", &format!("token={t}&action=explode")));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("Unknown action &quot;explode&quot;"));
    let r = exchange(&d, &form("/", &format!("token={t}&action=stop")));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("needs a process name"));
}

#[test]
fn forms_without_the_token_are_refused_and_change_nothing() {
    let d = daemon("wcsrf");
    let t = token(&d);
    let pid = int(&d.info("sleeper"), "pid");
    let wrong = if t.starts_with('0') { "1" } else { "0" }.to_string() + &t[1..];
    for (path, body) in [
        ("/index.html", "action=stop&processname=sleeper".to_string()),
        (
            "/",
            format!("token={wrong}&action=stop&processname=sleeper"),
        ),
        (
            "/",
            format!("token={}&action=stop&processname=sleeper", &t[..31]),
        ),
        ("/", format!("token={t}x&action=stop&processname=sleeper")),
        (
            &format!("/?token={t}") as &str,
            "action=stop&processname=sleeper".into(),
        ),
        ("/", "token=&action=stopall".into()),
        ("/", format!("token={wrong}&action=stopall")),
        (
            "/",
            format!("token={wrong}&action=restart&processname=sleeper"),
        ),
    ] {
        let r = exchange(&d, &form(path, &body));
        assert_eq!(r.status, 403, "{path} {body}");
        assert!(r.text().contains("nothing was done"), "{}", r.text());
        assert!(r.header("Location").is_none());
    }
    // A short pause proves nothing happens later either.
    std::thread::sleep(Duration::from_millis(300));
    let info = d.info("sleeper");
    assert_eq!(text(&info, "statename"), "RUNNING");
    assert_eq!(int(&info, "pid"), pid);
    assert_eq!(state(&d, "idle"), "STOPPED");
    assert!(d
        .main_log()
        .contains("refused a web form without this supervisord's token"));
    // Every page shows the same token; a new daemon draws another.
    assert_eq!(token(&d), t);
    assert_ne!(token(&daemon("wcsrf2")), t);
}

#[test]
fn a_get_with_an_action_changes_nothing_and_offers_a_confirm_form() {
    let d = daemon("wconfirm");
    let t = token(&d);
    let pid = int(&d.info("sleeper"), "pid");
    let r = exchange(&d, &get("/index.html?processname=sleeper&action=stop"));
    assert_eq!(r.status, 200);
    let page = r.text();
    assert_eq!(page.matches("<form").count(), 1, "{page}");
    assert_eq!(page.matches("<button").count(), 1, "{page}");
    assert!(page.contains("<form class=\"confirm\" method=\"post\" action=\"index.html\">"));
    assert!(page.contains(&format!("name=\"token\" value=\"{t}\"")));
    assert!(page.contains("name=\"processname\" value=\"sleeper\""));
    assert!(page.contains("name=\"action\" value=\"stop\""));
    assert!(page.contains(">Stop sleeper</button>"));
    // Other sites may not frame it (the button could be clicked through a decoy).
    assert!(r
        .header("Content-Security-Policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(r.header("X-Frame-Options"), Some("DENY"));
    for action in ["stopall", "restartall", "refresh"] {
        let page = exchange(&d, &get(&format!("/?action={action}"))).text();
        assert!(
            page.contains(&format!("name=\"action\" value=\"{action}\"")),
            "{page}"
        );
        assert!(!page.contains("name=\"processname\""));
    }
    exchange(&d, &get("/index.html?processname=idle&action=start"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(int(&d.info("sleeper"), "pid"), pid);
    assert_eq!(state(&d, "idle"), "STOPPED");
    // Pressing the button does it.
    assert_eq!(act(&d, &t, "stop", "sleeper"), "Process sleeper stopped");
}

#[test]
fn pages_and_assets_require_credentials_when_configured() {
    let mut d = Sandbox::new("wauth");
    let dir = p(&d.dir);
    std::fs::write(
        &d.conf,
        format!(
            "[unix_http_server]\nfile={dir}/s.sock\nusername=user\npassword=123\n\
             [supervisord]\nlogfile={dir}/supervisord.log\npidfile={dir}/supervisord.pid\n\
             childlogdir={dir}\nnodaemon=true\n\
             [rpcinterface:supervisor]\n\
             supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
        ),
    )
    .unwrap();
    d.server.username = Some("user".into());
    d.server.password = Some("123".into());
    d.launch();
    d.wait_state("sleeper", "RUNNING", T);
    let with = |req: Vec<u8>, auth: &str| {
        let text = String::from_utf8(req).unwrap();
        let (head, body) = text.split_once("\r\n").unwrap();
        format!("{head}\r\n{auth}{body}").into_bytes()
    };
    let good = "Authorization: Basic dXNlcjoxMjM=\r\n"; // user:123
    let bad = "Authorization: Basic dXNlcjoxMjQ=\r\n"; // user:124
    let page = exchange(&d, &with(get("/"), good));
    assert_eq!(page.status, 200);
    let t = token_of(&page.text());
    for path in [
        "/",
        "/index.html",
        "/tail.html?processname=sleeper",
        "/stylesheets/supervisor.css",
        "/images/icon.png",
    ] {
        for auth in ["", bad] {
            let r = exchange(&d, &with(get(path), auth));
            assert_eq!(r.status, 401, "{path} {auth:?}");
            assert_eq!(
                r.header("WWW-Authenticate"),
                Some("Basic realm=\"default\"")
            );
        }
        assert_eq!(exchange(&d, &with(get(path), good)).status, 200, "{path}");
    }
    let stop = form("/", &format!("token={t}&action=stop&processname=sleeper"));
    assert_eq!(exchange(&d, &with(stop.clone(), bad)).status, 401);
    assert_eq!(state(&d, "sleeper"), "RUNNING");
    assert_eq!(exchange(&d, &with(stop, good)).status, 303);
    assert_eq!(state(&d, "sleeper"), "STOPPED");
}

fn tail_text(page: &str) -> &str {
    let start = page.find("<pre id=\"tail\"").expect("a tail");
    let open = start + page[start..].find('>').unwrap() + 1;
    &page[open..open + page[open..].find("</pre>").unwrap()]
}

#[test]
fn tail_page_texts_limits_channels_and_live_offset() {
    let d = sandbox("wtail", |d| {
        let talk = script(
            d,
            "talk.sh",
            "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo \"out line $i\"; done\n\
             echo 'err <line>' >&2; exec sleep 1000",
        );
        format!(
            "[program:talk]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:quiet]\ncommand=/bin/sleep 1000\nstartsecs=0\nstdout_logfile=NONE\n\
             [group:g]\nprograms=talk\n",
            p(&talk)
        )
    });
    d.wait_state("g:talk", "RUNNING", T);
    d.wait_state("quiet", "RUNNING", T);
    let out = text(&d.info("g:talk"), "stdout_logfile").to_string();
    let size = wait_for(T, "talk's output", || {
        let len = std::fs::metadata(&out).ok()?.len();
        (len > 3000).then_some(len)
    });
    let log = std::fs::read(&out).unwrap();
    let page = |q: &str| exchange(&d, &get(&format!("/tail.html{q}"))).text();

    assert_eq!(tail_text(&page("")), "No process name found");
    assert_eq!(tail_text(&page("?processname=")), "No process name found");
    assert_eq!(
        tail_text(&page("?processname=nosuch")),
        "ERROR: unexpected rpc fault [10] BAD_NAME: nosuch"
    );
    assert_eq!(tail_text(&page("?processname=quiet")), "No file for quiet");

    let html = page("?processname=g%3Atalk");
    assert!(html.contains("<title>Supervisor tail of process g:talk</title>"));
    assert!(html.contains("href=\"tail.html?processname=g%3Atalk&amp;limit=1024\">Refresh</a>"));
    assert!(html.contains(&format!("data-follow=\"logtail/g%3Atalk?offset={size}\"")));
    let shown = tail_text(&html);
    assert_eq!(shown.as_bytes(), &log[log.len() - 1024..]);
    for (limit, bytes) in [("10", 1024), ("2000", 2000), ("abc", 1024)] {
        let html = page(&format!("?processname=g%3Atalk&limit={limit}"));
        assert_eq!(
            tail_text(&html).as_bytes(),
            &log[log.len() - bytes..],
            "{limit}"
        );
    }
    let err = page("?processname=g%3Atalk&channel=stderr");
    assert_eq!(tail_text(&err), "err &lt;line&gt;\n");
    assert!(err.contains("data-follow=\"logtail/g%3Atalk/stderr?offset=11\""));

    // The live stream starts exactly where the page ended.
    let mut c = Client::connect(&d);
    c.send(&get(&format!("/logtail/g%3Atalk?offset={}", size - 12)));
    let (status, _) = c.head();
    assert_eq!(status, 200);
    let streamed = c.stream_until("\n");
    assert_eq!(streamed.as_bytes(), &log[log.len() - 12..]);
}

#[test]
fn assets_are_served_with_types_and_validators() {
    let d = daemon("wassets");
    let page = exchange(&d, &get("/")).text();
    for (path, kind) in [
        ("/stylesheets/supervisor.css", "text/css; charset=utf-8"),
        ("/scripts/supervisor.js", "text/javascript; charset=utf-8"),
        ("/images/logo.svg", "image/svg+xml"),
        ("/images/icon.png", "image/png"),
    ] {
        let r = exchange(&d, &get(path));
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("Content-Type"), Some(kind), "{path}");
        assert_eq!(r.header("Cache-Control"), Some("public, max-age=86400"));
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
        let etag = r.header("ETag").expect("an ETag").to_string();
        // Pages link the current version.
        let version = etag.trim_matches('"');
        assert!(
            page.contains(&format!("{}?v={version}", &path[1..])),
            "{path} not linked"
        );
        let mut c = Client::connect(&d);
        c.send(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
        );
        let (status, headers) = c.head();
        assert_eq!(status, 304, "{path}");
        assert!(headers.iter().any(|(n, v)| n == "ETag" && *v == etag));
        // No body follows a 304: the next answer on the connection comes next.
        c.send(&get("/ok.html"));
        let next: Response = c.response();
        assert_eq!((next.status, next.text().as_str()), (200, "OK"));
    }
    assert!(exchange(&d, &get("/images/icon.png"))
        .body
        .starts_with(b"\x89PNG"));
    assert_eq!(exchange(&d, &get("/images/nosuch.png")).status, 404);
    assert_eq!(exchange(&d, &get("/stylesheets/")).status, 404);
    assert!(page.contains(concat!("supervisor-rs ", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn names_and_messages_are_escaped() {
    let d = sandbox("wescape", |_| {
        "[program:<b>]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:a&\"q]\ncommand=/nonexistent/<i>\nautostart=false\n"
            .to_string()
    });
    d.wait_state("<b>", "RUNNING", T);
    let page = exchange(&d, &get("/?message=%3Cscript%3Ealert(1)%3C/script%3E")).text();
    assert!(!page.contains("<b>"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains(">&lt;b&gt;</a>"));
    assert!(page.contains("data-name=\"a&amp;&quot;q\""));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let t = token_of(&page);
    assert_eq!(
        act(&d, &t, "start", "a%26%22q"),
        "ERROR: Process a&\"q: no such file"
    );
    let desc = exchange(&d, &get("/")).text();
    assert!(!desc.contains("<i>"));
    let tail = exchange(&d, &get("/tail.html?processname=%3Cb%3E")).text();
    assert!(!tail.contains("<b>"), "{tail}");
    assert!(tail.contains("Supervisor tail of process &lt;b&gt;"));
    assert_eq!(act(&d, &t, "stop", "%3Cb%3E"), "Process <b> stopped");
}

#[test]
fn a_slow_stop_answers_later_and_blocks_nobody() {
    let d = sandbox("wslow", |d| {
        let stubborn = trap_script(
            d,
            "stubborn.sh",
            "trap '' TERM",
            "while :; do sleep 0.1; done",
        );
        format!(
            "[program:stubborn]\ncommand=/bin/sh {}\nstartsecs=0\nstopwaitsecs=2\n\
             [program:slowstart]\ncommand=/bin/sleep 1000\nstartsecs=1\n",
            p(&stubborn)
        )
    });
    d.wait_state("stubborn", "RUNNING", T);
    d.wait_state("slowstart", "RUNNING", T);
    d.wait_trapped("stubborn.sh");
    let t = token(&d);
    let mut slow = Client::connect(&d);
    let started = Instant::now();
    slow.send(&form(
        "/",
        &format!("token={t}&action=stop&processname=stubborn"),
    ));
    // While it waits, the daemon answers everyone else at once.
    wait_for(T, "stubborn to be STOPPING", || {
        (state(&d, "stubborn") == "STOPPING").then_some(())
    });
    let quick = Instant::now();
    assert_eq!(exchange(&d, &get("/ok.html")).status, 200);
    assert!(exchange(&d, &get("/")).text().contains("st-stopping"));
    assert!(
        quick.elapsed() < Duration::from_secs(1),
        "{:?}",
        quick.elapsed()
    );
    let r = slow.response();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("Location"),
        Some("index.html?message=Process%20stubborn%20stopped")
    );
    assert_eq!(state(&d, "stubborn"), "STOPPED");

    // A restart waits for the stop, then for the start (startsecs), then answers.
    let pid = int(&d.info("slowstart"), "pid");
    let started = Instant::now();
    assert_eq!(
        act(&d, &t, "restart", "slowstart"),
        "Process slowstart restarted"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let info = d.info("slowstart");
    assert_eq!(text(&info, "statename"), "RUNNING");
    assert_ne!(int(&info, "pid"), pid);
}

#[test]
fn status_page_of_1000_programs_renders_quickly() {
    let d = sandbox("wmany", |_| {
        "[program:p]\ncommand=/bin/sleep 1000\nautostart=false\nnumprocs=1000\n\
         process_name=%(program_name)s_%(process_num)04d\n"
            .to_string()
    });
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..5 {
        let mut c = Client::connect(&d);
        let start = Instant::now();
        c.send(&get("/"));
        let r = c.response();
        best = best.min(start.elapsed());
        size = r.body.len();
        assert_eq!(r.status, 200);
    }
    let page = exchange(&d, &get("/")).text();
    assert_eq!(page.matches("<tr data-name=").count(), 1000);
    eprintln!("1000-program status page: {size} bytes, best of 5: {best:?}");
    // A generous bound for a debug build on a loaded machine; the release figure is in the
    // issue's note.
    assert!(best < Duration::from_secs(2), "{best:?}");
}
