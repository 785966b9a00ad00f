//! What a distribution gets from `make install`: the layout, `make uninstall` keeping only
//! the admin's configuration, the installed `/etc` configuration passing `--check-config`,
//! and the SysV init script driving a sandboxed daemon (paths from a defaults file).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{alive, script, wait_for, Sandbox, SUPERVISORD};

const TIMEOUT: Duration = Duration::from_secs(30);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch dir removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("svrs-dist-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `make TARGET DESTDIR=dest ...` with the binaries of this test build
/// (CARGO_TARGET_DIR/PROFILE say where they are); returns (success, output).
fn make(target: &str, dest: &Path, extra: &[&str]) -> (bool, String) {
    let built = Path::new(SUPERVISORD).parent().unwrap();
    let out = Command::new("make")
        .current_dir(root())
        // A `make test` above us must not lend its jobserver or flags.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .env("CARGO_TARGET_DIR", built.parent().unwrap())
        .arg("--no-print-directory")
        .arg(target)
        .arg(format!("DESTDIR={}", dest.display()))
        .arg(format!(
            "PROFILE={}",
            built.file_name().unwrap().to_str().unwrap()
        ))
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn install_then_uninstall_leaves_only_the_configuration() {
    let scratch = Scratch::new("install");
    let dest = scratch.0.join("root");
    let (ok, log) = make("install", &dest, &[]);
    assert!(ok, "{log}");
    assert!(!log.contains("Compiling"), "install must not build: {log}");
    let installed = files(&dest);
    let expected = [
        "etc/default/supervisord",
        "etc/init.d/supervisord",
        "etc/logrotate.d/supervisor",
        "etc/supervisor/supervisord.conf",
        "usr/local/bin/echo_supervisord_conf",
        "usr/local/bin/pidproxy",
        "usr/local/bin/supervisorctl",
        "usr/local/bin/supervisord",
        "usr/local/lib/systemd/system/supervisord.service",
        "usr/local/share/doc/supervisor-rs/CHANGELOG.md",
        "usr/local/share/doc/supervisor-rs/LICENSE",
        "usr/local/share/doc/supervisor-rs/README.md",
        "usr/local/share/doc/supervisor-rs/differences.md",
        "usr/local/share/doc/supervisor-rs/supervisord.conf.sample",
        "usr/local/share/man/man1/echo_supervisord_conf.1",
        "usr/local/share/man/man1/pidproxy.1",
        "usr/local/share/man/man1/supervisorctl.1",
        "usr/local/share/man/man1/supervisord.1",
        "usr/local/share/man/man5/supervisord.conf.5",
    ];
    assert_eq!(installed, expected);
    assert!(dest.join("etc/supervisor/conf.d").is_dir());
    assert!(dest.join("var/log/supervisor").is_dir());
    for f in &installed {
        if !f.contains("/bin/") {
            let text = std::fs::read_to_string(dest.join(f)).unwrap();
            assert!(
                !text.contains("@BINDIR@") && !text.contains("@SYSCONFDIR@"),
                "{f}"
            );
        }
    }
    let unit = std::fs::read_to_string(dest.join(expected[8])).unwrap();
    for line in [
        "Type=notify",
        "ExecStart=/usr/local/bin/supervisord -n -c /etc/supervisor/supervisord.conf",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillMode=process",
        "RuntimeDirectory=supervisor",
    ] {
        assert!(unit.lines().any(|l| l == line), "unit lacks {line}");
    }
    let rotate = std::fs::read_to_string(dest.join("etc/logrotate.d/supervisor")).unwrap();
    assert!(rotate.contains("kill -USR2"));
    assert!(!rotate.lines().any(|l| l.trim() == "copytruncate"));

    // The admin's edits and files survive a second install and the uninstall.
    let conf = dest.join("etc/supervisor/supervisord.conf");
    let edited = std::fs::read_to_string(&conf).unwrap() + "; mine\n";
    std::fs::write(&conf, &edited).unwrap();
    std::fs::write(
        dest.join("etc/supervisor/conf.d/app.conf"),
        "[program:app]\n",
    )
    .unwrap();
    let (ok, log) = make("install", &dest, &[]);
    assert!(ok, "{log}");
    assert!(log.contains("keeping "), "{log}");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), edited);
    assert!(dest.join("etc/supervisor/supervisord.conf.dist").exists());

    let (ok, log) = make("uninstall", &dest, &[]);
    assert!(ok, "{log}");
    assert_eq!(
        files(&dest),
        [
            "etc/default/supervisord",
            "etc/supervisor/conf.d/app.conf",
            "etc/supervisor/supervisord.conf",
        ]
    );
    assert!(!dest.join("var/log/supervisor").exists());
}

#[test]
fn install_never_builds_and_fails_loudly() {
    let scratch = Scratch::new("nobuild");
    let empty = scratch.0.join("target");
    std::fs::create_dir_all(&empty).unwrap();
    let dest = scratch.0.join("root");
    let out = Command::new("make")
        .current_dir(root())
        .env_remove("MAKEFLAGS")
        .env_remove("MAKELEVEL")
        .env("CARGO_TARGET_DIR", &empty)
        .args(["--no-print-directory", "install"])
        .arg(format!("DESTDIR={}", dest.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "{}/release/supervisord is missing: run 'make build' first",
            empty.display()
        )),
        "{err}"
    );
    assert!(!dest.exists(), "nothing is installed");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "cargo ran");
}

#[test]
fn installed_configuration_passes_check_config_and_runs() {
    let scratch = Scratch::new("etc");
    let etc = scratch.0.join("etc");
    // SYSCONFDIR moves the whole /etc side; /run and /var/log are moved by hand below.
    let (ok, log) = make(
        "install",
        &scratch.0.join("root"),
        &[&format!("SYSCONFDIR={}", etc.display())],
    );
    assert!(ok, "{log}");
    let installed = scratch.0.join(format!("root{}/supervisor", etc.display()));
    let text = std::fs::read_to_string(installed.join("supervisord.conf")).unwrap();
    for line in [
        "file=/run/supervisor/supervisor.sock ; the socket supervisorctl talks to",
        "logfile=/var/log/supervisor/supervisord.log ; the activity log",
        "pidfile=/run/supervisor/supervisord.pid",
        "serverurl=unix:///run/supervisor/supervisor.sock",
        &format!("files = {}/supervisor/conf.d/*.conf", etc.display()),
    ] {
        assert!(text.lines().any(|l| l == line), "the config lacks {line}");
    }
    let d = scratch.0.display().to_string();
    let relocated = text
        .replace("/run/supervisor", &format!("{d}/run"))
        .replace("/var/log/supervisor", &format!("{d}/log"))
        .replace(
            &etc.display().to_string(),
            &format!("{d}/root{}", etc.display()),
        );
    for dir in ["run", "log"] {
        std::fs::create_dir_all(scratch.0.join(dir)).unwrap();
    }
    std::fs::write(
        installed.join("conf.d/app.conf"),
        "[program:app]\ncommand=/bin/sleep 60\n",
    )
    .unwrap();
    let conf = installed.join("supervisord.conf");
    std::fs::write(&conf, relocated).unwrap();
    let out = Command::new(SUPERVISORD)
        .args(["--check-config", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(err, "", "no warning either");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with(": OK\n"));

    // It also runs: the daemon starts its program and supervisorctl finds the socket.
    let daemon = Command::new(SUPERVISORD)
        .args(["-n", "-c"])
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut daemon = Stopper(daemon);
    let status = wait_for(TIMEOUT, "app to run", || {
        let out = Command::new(crate::util::SUPERVISORCTL)
            .arg("-c")
            .arg(&conf)
            .args(["status", "app"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("RUNNING").then_some(text)
    });
    assert!(status.starts_with("app "), "{status}");
    assert!(scratch.0.join("log/supervisord.log").exists());
    let _ = supervisor::sys::kill(daemon.0.id() as i32, libc::SIGTERM);
    let exit = wait_for(TIMEOUT, "supervisord to exit", || {
        daemon.0.try_wait().ok().flatten()
    });
    assert_eq!(exit.code(), Some(0));
}

/// Stops a daemon the test started if an assertion fails first (it stops its children).
struct Stopper(std::process::Child);

impl Drop for Stopper {
    fn drop(&mut self) {
        // No panic here: this may run while a failed assertion unwinds. An exited (reaped)
        // daemon's pid may belong to another process by now.
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        let _ = supervisor::sys::kill(self.0.id() as i32, libc::SIGTERM);
        let deadline = std::time::Instant::now() + TIMEOUT;
        while matches!(self.0.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the installed init script with `args`; returns (exit code, stdout + stderr).
/// The output goes to a file: a daemon that kept the script's pipes would hang a reader.
fn init(sb: &Sandbox, script: &Path, defaults: &Path, arg: &str) -> (i32, String) {
    let log = sb.path("init.out");
    let mut child = Command::new("sh")
        .arg(script)
        .arg(arg)
        .env("DEFAULTS", defaults)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .unwrap();
    let status = wait_for(TIMEOUT, &format!("init script {arg}"), || {
        child.try_wait().ok().flatten()
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    (status.code().unwrap_or(-1), text)
}

#[test]
fn init_script_drives_a_sandboxed_daemon() {
    let scratch = Scratch::new("init");
    let dest = scratch.0.join("root");
    let (ok, log) = make("install", &dest, &["PREFIX=/usr"]);
    assert!(ok, "{log}");
    let initd = dest.join("etc/init.d/supervisord");
    let text = std::fs::read_to_string(&initd).unwrap();
    assert!(
        text.contains("### BEGIN INIT INFO")
            && text.contains("DAEMON=${DAEMON:-/usr/bin/supervisord}")
    );

    let mut sb = Sandbox::new("initd");
    sb.nodaemon = false;
    // A shell loop keeps the sandbox path in its command line, so a failed test's clean-up
    // finds it.
    let prog = script(&sb, "prog.sh", "while :; do sleep 1; done");
    let program = format!("[program:prog]\ncommand={}\nstartsecs=0\n", prog.display());
    sb.write_conf(&program);
    let pidfile = sb.path("supervisord.pid");
    let defaults = sb.path("defaults");
    std::fs::write(
        &defaults,
        format!(
            "DAEMON={SUPERVISORD}\nCONF={}\nPIDFILE={}\nRUNDIR={}\nSTOP_TIMEOUT=30\n",
            sb.conf.display(),
            pidfile.display(),
            sb.path("run").display()
        ),
    )
    .unwrap();
    let daemon_pid = || -> i32 {
        std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };

    let (code, out) = init(&sb, &initd, &defaults, "configtest");
    assert_eq!((code, out.ends_with(": OK\n")), (0, true), "{out}");
    assert_eq!(init(&sb, &initd, &defaults, "status").0, 3);

    let (code, out) = init(&sb, &initd, &defaults, "start");
    assert_eq!(code, 0, "{out}");
    assert!(sb.path("run").is_dir());
    sb.wait_ready();
    let first = daemon_pid();
    let prog_pid = crate::util::int(&sb.wait_state("prog", "RUNNING", TIMEOUT), "pid");
    let (code, out) = init(&sb, &initd, &defaults, "status");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, format!("supervisord is running (pid {first})\n"));
    let (code, out) = init(&sb, &initd, &defaults, "start");
    assert_eq!((code, out.contains("already running")), (0, true), "{out}");

    // reload: the same daemon reads its file again and starts its programs again.
    let (code, out) = init(&sb, &initd, &defaults, "reload");
    assert_eq!(code, 0, "{out}");
    sb.wait_file("supervisord.log", "received SIGHUP", TIMEOUT);
    wait_for(TIMEOUT, "prog to run again", || {
        let info = sb.rpc("supervisor.getProcessInfo", vec![crate::util::s("prog")]);
        let pid = match info {
            Ok(supervisor::rpc::Value::Struct(m)) => crate::util::int(&m, "pid"),
            _ => return None,
        };
        (pid != 0 && pid != prog_pid).then_some(())
    });
    assert_eq!(daemon_pid(), first);

    // A broken file: reload refuses, and the daemon never sees a SIGHUP.
    std::fs::write(&sb.conf, "[supervisord\n").unwrap();
    let (code, out) = init(&sb, &initd, &defaults, "reload");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("Error: File contains no section headers."),
        "{out}"
    );
    assert_eq!(sb.main_log().matches("received SIGHUP").count(), 1);
    sb.write_conf(&program);

    // restart: a new daemon once the old one is gone.
    let (code, out) = init(&sb, &initd, &defaults, "restart");
    assert_eq!(code, 0, "{out}");
    assert!(!alive(first), "the old daemon is gone");
    sb.wait_ready();
    let second = daemon_pid();
    assert_ne!(second, first);
    assert!(alive(second));

    let (code, out) = init(&sb, &initd, &defaults, "force-reload");
    assert_eq!(code, 0, "{out}");
    sb.wait_ready();
    let prog_pid = crate::util::int(&sb.wait_state("prog", "RUNNING", TIMEOUT), "pid");
    let (code, out) = init(&sb, &initd, &defaults, "stop");
    assert_eq!(code, 0, "{out}");
    assert!(!alive(second), "stop waits for the daemon to exit");
    assert!(!alive(prog_pid as i32), "the daemon stopped its program");
    assert!(!pidfile.exists());
    assert_eq!(init(&sb, &initd, &defaults, "status").0, 3);
    assert!(
        crate::util::pids_with_marker(&sb.marker()).is_empty(),
        "a process is left behind"
    );
}
