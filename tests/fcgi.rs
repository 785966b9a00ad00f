//! `[fcgi-program:x]`: supervisord owns the listening socket, every process accepts on it as
//! fd 0, and it lives while at least one process does (reference §1.13, §3.5).

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::need_python;
use crate::util::listener::{self, log_count};
use crate::util::{int, s, wait_for, Sandbox, SUPERVISORD};
use supervisor::rpc::Value;

const SECS10: Duration = Duration::from_secs(10);

/// Accepts on fd 0 (whatever family it is) and answers each connection with its pid.
const SERVER_PY: &str = "import os, socket
s = socket.socket(fileno=0)
while True:
    c, _ = s.accept()
    c.sendall(str(os.getpid()).encode())
    c.close()
";

/// A TCP port nobody listens on right now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// The pid the server answered with.
fn answer(mut stream: impl Read) -> Option<i64> {
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.parse().ok()
}

fn ask_tcp(port: u16) -> Option<i64> {
    answer(TcpStream::connect(("127.0.0.1", port)).ok()?)
}

/// A sandbox running `[fcgi-program:web]` with `options` (the server script is `@D@/fcgi.py`).
fn start(name: &str, options: &str) -> Sandbox {
    let mut d = Sandbox::new(name);
    std::fs::write(d.path("fcgi.py"), SERVER_PY).expect("write fcgi.py");
    let section = format!(
        "[fcgi-program:web]\ncommand=@PY@ @D@/fcgi.py\nstartsecs=0\n\
         process_name=%(program_name)s_%(process_num)s\n{options}"
    );
    d.write_conf(&listener::expand(&d, &section));
    d.launch();
    d
}

#[test]
fn three_processes_accept_on_one_tcp_socket() {
    need_python!();
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let d = start("fcgitcp", &format!("socket={url}\nnumprocs=3\n"));
    let pids: BTreeSet<i64> = (0..3)
        .map(|n| {
            int(
                &d.wait_state(&format!("web:web_{n}"), "RUNNING", SECS10),
                "pid",
            )
        })
        .collect();
    assert_eq!(pids.len(), 3);
    let mut seen = BTreeSet::new();
    wait_for(SECS10, "an answer from each of the 3 processes", || {
        if let Some(pid) = ask_tcp(port) {
            assert!(pids.contains(&pid), "answer {pid} from a stranger");
            seen.insert(pid);
        }
        (seen == pids).then_some(())
    });
    let creating = format!("INFO Creating socket {url}\n");
    let closing = format!("INFO Closing socket {url}\n");
    let created = log_count(&d, &creating);
    assert!(created >= 1, "{}", d.main_log());
    let closed = log_count(&d, &closing);
    // fd 0 is the socket: there is no stdin pipe to write to.
    d.fault(
        "supervisor.sendProcessStdin",
        vec![s("web:web_0"), s("x\n")],
        20,
    );

    // The socket lives while any process does.
    for n in [0, 1] {
        d.call("supervisor.stopProcess", vec![s(&format!("web:web_{n}"))]);
    }
    let last = int(&d.info("web:web_2"), "pid");
    assert_eq!(ask_tcp(port), Some(last));
    assert_eq!(log_count(&d, &closing), closed);
    d.call("supervisor.stopProcess", vec![s("web:web_2")]);
    d.wait_file("supervisord.log", &closing, SECS10);
    assert_eq!(log_count(&d, &closing), closed + 1);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the socket is closed"
    );

    // The next start creates it again.
    assert_eq!(
        d.call("supervisor.startProcess", vec![s("web:web_1")]),
        Value::Bool(true)
    );
    assert_eq!(log_count(&d, &creating), created + 1);
    let pid = int(&d.info("web:web_1"), "pid");
    assert_eq!(ask_tcp(port), Some(pid));
}

#[test]
fn unix_socket_gets_its_mode() {
    need_python!();
    let d = start("fcgiunix", "socket=unix://@D@/web.sock\nsocket_mode=0660\n");
    let pid = int(&d.wait_state("web:web_0", "RUNNING", SECS10), "pid");
    let meta = std::fs::metadata(d.path("web.sock")).expect("socket file");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o660);
    let stream = UnixStream::connect(d.path("web.sock")).expect("connect");
    assert_eq!(answer(stream), Some(pid));
    let url = format!("unix://{}", d.path("web.sock").display());
    assert!(log_count(&d, &format!("INFO Creating socket {url}\n")) >= 1);
}

/// Runs supervisord on a configuration holding `socket`; returns (exit code, stderr).
fn start_up_error(name: &str, socket: &str) -> (i32, String) {
    let d = Sandbox::new(name);
    let section = format!("[fcgi-program:web]\ncommand=/bin/sleep 1000\nsocket={socket}\n");
    d.write_conf(&section);
    let mut child = Command::new(SUPERVISORD)
        .args(["-n", "-c"])
        .arg(&d.conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run supervisord");
    let status = wait_for(SECS10, "supervisord to refuse to start", || {
        child.try_wait().ok().flatten()
    });
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    (status.code().unwrap_or(-1), err)
}

#[test]
fn unusable_socket_address_fails_the_start_up() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let (code, err) = start_up_error("fcgibusy", &format!("tcp://127.0.0.1:{port}"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "Could not create FastCGI socket tcp://127.0.0.1:{port}: Address already in use"
        )),
        "{err}"
    );
    let (code, err) = start_up_error("fcginodir", "unix:///nonexistent-dir/web.sock");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "Could not create FastCGI socket unix:///nonexistent-dir/web.sock: \
             No such file or directory"
        ),
        "{err}"
    );
}
