//! systemd's `Type=notify` protocol: the daemon's datagrams arrive on `$NOTIFY_SOCKET` in
//! order (READY once started, RELOADING then READY around a SIGHUP, STOPPING at shutdown),
//! on a path or an abstract socket, and children do not inherit the variable.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{wait_for, Sandbox, SUPERVISORD};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The next datagram, or a panic naming what was awaited after `TIMEOUT`.
fn next(socket: &UnixDatagram, what: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting for {what}");
        socket.set_read_timeout(Some(left)).unwrap();
        match socket.recv(&mut buf) {
            Ok(n) => return String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("recv: {e}"),
        }
    }
}

fn spawn(sb: &Sandbox, notify_socket: &str) -> Child {
    Command::new(SUPERVISORD)
        .args(["-n", "-c"])
        .arg(&sb.conf)
        .env("NOTIFY_SOCKET", notify_socket)
        .current_dir(&sb.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// (`Sandbox::signal` knows only the daemons it started itself.)
fn signal(child: &Child, sig: i32) {
    let _ = supervisor::sys::kill(child.id() as i32, sig);
}

/// SIGTERM, then the exit (the sandbox's drop kills whatever is left on failure).
fn stop(sb: &Sandbox, child: &mut Child) {
    signal(child, libc::SIGTERM);
    let status = wait_for(TIMEOUT, "supervisord to exit", || {
        child.try_wait().ok().flatten()
    });
    assert_eq!(status.code(), Some(0), "{}", sb.main_log());
}

#[test]
fn ready_reloading_ready_stopping_in_order() {
    let sb = Sandbox::new("sdn");
    let script = sb.dir.join("env.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"notify=${NOTIFY_SOCKET:-unset}\"\nwhile :; do sleep 1; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sb.write_conf(&format!(
        "[program:env]\ncommand={}\nstartsecs=0\nstdout_logfile={}/env.log\n",
        script.display(),
        sb.dir.display()
    ));
    let path = sb.dir.join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    let mut child = spawn(&sb, path.to_str().unwrap());

    assert_eq!(next(&socket, "READY=1 at start-up"), "READY=1");
    // Ready means the socket answers and the autostart program has been launched.
    let state = sb.call("supervisor.getState", vec![]);
    assert!(format!("{state:?}").contains("RUNNING"), "{state:?}");
    // DIVERGENCE(new): the child does not inherit NOTIFY_SOCKET.
    sb.wait_file("env.log", "notify=unset", TIMEOUT);

    signal(&child, libc::SIGHUP);
    assert_eq!(next(&socket, "RELOADING=1 after SIGHUP"), "RELOADING=1");
    assert_eq!(next(&socket, "READY=1 after the reload"), "READY=1");
    sb.wait_file("supervisord.log", "received SIGHUP", TIMEOUT);

    signal(&child, libc::SIGTERM);
    assert_eq!(next(&socket, "STOPPING=1 after SIGTERM"), "STOPPING=1");
    stop(&sb, &mut child);
}

#[cfg(target_os = "linux")]
#[test]
fn abstract_socket_names_work() {
    use std::os::linux::net::SocketAddrExt;
    let sb = Sandbox::new("sdna");
    sb.write_conf("");
    let name = format!("svrs-notify-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let socket = UnixDatagram::bind_addr(&addr).unwrap();
    let mut child = spawn(&sb, &format!("@{name}"));
    assert_eq!(next(&socket, "READY=1"), "READY=1");
    // A broken configuration is refused without a reload: no RELOADING=1 then.
    std::fs::write(&sb.conf, "[supervisord\n").unwrap();
    signal(&child, libc::SIGHUP);
    sb.wait_file("supervisord.log", "contains no section headers", TIMEOUT);
    signal(&child, libc::SIGTERM);
    assert_eq!(next(&socket, "STOPPING=1"), "STOPPING=1");
    stop(&sb, &mut child);
}
