//! `GET /metrics` (D11): off unless `metrics = true` in that server's section, behind the
//! same authentication as `/RPC2`, and every sample agrees with `getAllProcessInfo`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use supervisor::rpc::Value;

use crate::rawhttp::{exchange, get};
use crate::util::{int, s, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);
/// `admin:secret`.
const AUTH: &str = "Authorization: Basic YWRtaW46c2VjcmV0\r\n";

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// One HTTP/1.0 GET over TCP: (status, body).
fn fetch(port: u16, path: &str, extra: &str) -> (u16, String) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.set_read_timeout(Some(T)).unwrap();
    write!(c, "GET {path} HTTP/1.0\r\nHost: x\r\n{extra}\r\n").unwrap();
    let mut raw = String::new();
    c.read_to_string(&mut raw).expect("read the answer");
    let status = raw.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// `name{labels}` → value, for every sample line; HELP/TYPE lines checked for shape.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(meta) = line.strip_prefix("# ") {
            assert!(
                meta.starts_with("HELP ") || meta.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        let (key, value) = line.rsplit_once(' ').expect("name value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        assert!(
            samples.insert(key.to_string(), value).is_none(),
            "twice: {key}"
        );
    }
    samples
}

fn labels(group: &str, name: &str) -> String {
    format!("{{group=\"{group}\",name=\"{name}\"}}")
}

#[test]
fn metrics_agree_with_process_info() {
    let port = free_port();
    let mut d = Sandbox::new("metrics");
    d.write_conf(&format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword=secret\n\
         metrics = true\n\
         [program:talker]\ncommand=/bin/sh -c \"printf 'hello\\n'; exec sleep 1000\"\n\
         startsecs=0\n\
         [program:quitter]\ncommand=/bin/sh -c \"exit 3\"\nstartsecs=0\nautorestart=false\n\
         [program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n\
         [program:web]\ncommand=/bin/sleep 1000\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\n\
         startsecs=0\n"
    ));
    d.launch();
    d.wait_state("talker", "RUNNING", T);
    d.wait_state("quitter", "EXITED", T);
    d.wait_state("web:web_0", "RUNNING", T);
    // A restart of web_1: one restart, six transitions (STARTING, RUNNING, STOPPING,
    // STOPPED, STARTING, RUNNING).
    d.call("supervisor.stopProcess", vec![s("web:web_1")]);
    d.call("supervisor.startProcess", vec![s("web:web_1")]);

    // 401 without credentials, as /RPC2 gives; the unix server has no metrics= so 404.
    assert_eq!(fetch(port, "/metrics", "").0, 401);
    assert_eq!(exchange(&d, &get("/metrics")).status, 404);

    // A scrape between two equal listings: no state moved while it was taken, so the two
    // views must agree (a child exiting mid-comparison made this flaky).
    let list = || match d.call("supervisor.getAllProcessInfo", vec![]) {
        Value::Array(a) => a,
        other => panic!("{other:?}"),
    };
    let (body, all) = wait_for(T, "talker's 6 bytes counted, listings steady", || {
        let before = list();
        let (status, body) = fetch(port, "/metrics", AUTH);
        assert_eq!(status, 200);
        let after = list();
        (before == after
            && body.contains(
                "supervisord_log_bytes_total{channel=\"stdout\",group=\"talker\",name=\"talker\"} 6\n",
            ))
        .then_some((body, after))
    });
    let m = parse(&body);
    assert_eq!(all.len(), 5);
    for info in &all {
        let Value::Struct(info) = info else { panic!() };
        let l = labels(text(info, "group"), text(info, "name"));
        let state = int(info, "state");
        let up = matches!(state, 10 | 20 | 40);
        let get = |family: &str| m.get(&format!("{family}{l}")).copied();
        assert_eq!(get("node_supervisord_state"), Some(state as f64), "{l}");
        assert_eq!(
            get("node_supervisord_up"),
            Some(f64::from(u8::from(up))),
            "{l}"
        );
        assert_eq!(
            get("node_supervisord_exit_status"),
            Some(int(info, "exitstatus") as f64),
            "{l}"
        );
        let start = up.then(|| int(info, "start") as f64);
        assert_eq!(get("node_supervisord_start_time_seconds"), start, "{l}");
        assert_eq!(
            get("supervisord_process_cpu_seconds_total").is_some(),
            up,
            "{l}"
        );
        let rss = get("supervisord_process_resident_memory_bytes");
        assert_eq!(rss.is_some_and(|b| b > 0.0), up, "{l}");
    }
    assert_eq!(
        m[&format!(
            "node_supervisord_exit_status{}",
            labels("quitter", "quitter")
        )],
        3.0
    );
    let web1 = labels("web", "web_1");
    assert_eq!(m[&format!("supervisord_process_restarts_total{web1}")], 1.0);
    assert_eq!(
        m[&format!("supervisord_process_state_changes_total{web1}")],
        6.0
    );
    assert_eq!(
        m[&format!(
            "supervisord_process_restarts_total{}",
            labels("idle", "idle")
        )],
        0.0
    );
    assert!(m["supervisord_http_connections"] >= 1.0);
    // The four families of node_exporter's collector, with its help texts and types.
    for (name, help, kind) in [
        (
            "node_supervisord_exit_status",
            "Process Exit Status",
            "gauge",
        ),
        (
            "node_supervisord_start_time_seconds",
            "Process start time",
            "counter",
        ),
        ("node_supervisord_state", "Process State", "gauge"),
        ("node_supervisord_up", "Process Up", "gauge"),
    ] {
        assert!(body.contains(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n")));
    }
}

#[test]
fn metrics_off_is_404_and_auth_comes_first() {
    let port = free_port();
    let d = Sandbox::start(
        "metricsoff",
        &format!(
            "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\npassword=secret\n\
             [program:a]\ncommand=/bin/sleep 1000\nautostart=false\n"
        ),
    );
    assert_eq!(fetch(port, "/metrics", "").0, 401);
    assert_eq!(fetch(port, "/metrics", AUTH).0, 404);
    drop(d);
}
