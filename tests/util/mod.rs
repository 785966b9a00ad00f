//! Shared tools for the integration tests: a sandboxed daemon, an XML-RPC client, a
//! supervisorctl runner and polling with deadlines (never a fixed sleep before an assert).
//!
//! A [`Sandbox`] owns a private temp dir (its path is the marker every child's command line
//! carries), writes `supervisord.conf` with the unix socket, logs and pidfile inside it, and
//! on drop stops the daemon (SIGTERM, then SIGKILL), kills any process still carrying the
//! marker, and removes the dir. If the test failed, the activity log is printed.

pub mod listener;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use supervisor::ctl::client::{self, CallError, Server};
use supervisor::rpc::Value;

pub const SUPERVISORD: &str = env!("CARGO_BIN_EXE_supervisord");
pub const SUPERVISORCTL: &str = env!("CARGO_BIN_EXE_supervisorctl");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
#[track_caller]
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True if `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The children of `ppid` with their state letter from `/proc/<pid>/stat` (`Z`: zombie).
pub fn children(ppid: i32) -> Vec<(i32, char)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?.chars().next()?;
            let parent: i32 = fields.next()?.parse().ok()?;
            (parent == ppid).then_some((pid, state))
        })
        .collect()
}

/// Pids (not ours) whose command line contains `marker`.
pub fn pids_with_marker(marker: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
        .filter(|pid| alive(*pid))
        .collect()
}

/// The result of one supervisorctl run.
#[derive(Debug)]
pub struct CtlOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct Sandbox {
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub sock: PathBuf,
    daemon: Option<Child>,
    /// The pid of a daemon started without `-n` (not our child).
    detached: Option<i32>,
    pub server: Server,
    /// Extra `[supervisord]` lines.
    pub supervisord_extra: String,
    /// `[supervisord] nodaemon` (true unless the test daemonizes).
    pub nodaemon: bool,
    /// `[supervisord] loglevel`.
    pub loglevel: &'static str,
    /// Start the daemon under `ulimit -n` this (with `minfds` below it in the config).
    pub nofile: Option<u32>,
}

impl Sandbox {
    /// A fresh sandbox; `name` keeps paths short and readable.
    pub fn new(name: &str) -> Sandbox {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = PathBuf::from(format!("/tmp/srs-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create sandbox dir");
        let sock = dir.join("s.sock");
        let server = Server {
            url: format!("unix://{}", sock.display()),
            username: None,
            password: None,
        };
        Sandbox {
            conf: dir.join("supervisord.conf"),
            dir,
            sock,
            daemon: None,
            detached: None,
            server,
            supervisord_extra: String::new(),
            nodaemon: true,
            loglevel: "debug",
            nofile: None,
        }
    }

    /// Writes the configuration: the standard sections plus `sections`.
    pub fn write_conf(&self, sections: &str) {
        let d = self.dir.display();
        let text = format!(
            "[unix_http_server]\nfile={d}/s.sock\n\n\
             [supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\n\
             childlogdir={d}\nloglevel={}\nnodaemon={}\n{}\n\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
             [supervisorctl]\nserverurl=unix://{d}/s.sock\n\n{sections}\n",
            self.loglevel,
            self.nodaemon,
            self.supervisord_extra
        );
        std::fs::write(&self.conf, text).expect("write config");
    }

    /// A sandbox running a daemon on `sections`, ready for RPC.
    pub fn start(name: &str, sections: &str) -> Sandbox {
        let mut s = Sandbox::new(name);
        s.write_conf(sections);
        s.launch();
        s
    }

    /// Starts `supervisord -n -c CONF` and waits until `getState` answers.
    pub fn launch(&mut self) {
        self.spawn_daemon();
        self.wait_ready();
    }

    /// Starts `supervisord -n -c CONF` without waiting for it.
    pub fn spawn_daemon(&mut self) {
        let mut command = match self.nofile {
            // `exec` keeps the daemon's pid the child's.
            Some(n) => {
                let mut c = Command::new("/bin/sh");
                c.args([
                    "-c",
                    &format!("ulimit -n {n} && exec \"$0\" \"$@\""),
                    SUPERVISORD,
                ]);
                c
            }
            None => Command::new(SUPERVISORD),
        };
        let child = command
            .args(["-n", "-c"])
            .arg(&self.conf)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run supervisord");
        self.daemon = Some(child);
    }

    /// Starts `supervisord -c CONF` (no `-n`; the config must say `nodaemon=false`): the
    /// launching command must exit 0 at once, and the daemon must let go of its stdout and
    /// stderr (or `$(supervisord)` in a script would hang). It is then found by its pidfile.
    pub fn launch_detached(&mut self) {
        use std::io::Read;
        let mut child = Command::new(SUPERVISORD)
            .arg("-c")
            .arg(&self.conf)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run supervisord");
        let status = wait_for(Duration::from_secs(15), "the launching command", || {
            child.try_wait().ok().flatten()
        });
        // Both pipes reach EOF only once every holder has closed them.
        let (tx, rx) = std::sync::mpsc::channel();
        let pipes = (child.stdout.take(), child.stderr.take());
        std::thread::spawn(move || {
            let mut text = String::new();
            if let (Some(mut out), Some(mut err)) = pipes {
                let _ = out.read_to_string(&mut text);
                let _ = err.read_to_string(&mut text);
            }
            let _ = tx.send(text);
        });
        let output = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("the daemon keeps the launcher's stdout or stderr open");
        assert_eq!(status.code(), Some(0), "launching supervisord: {output}");
        let pidfile = self.path("supervisord.pid");
        let pid = wait_for(Duration::from_secs(15), "the pidfile", || {
            let text = std::fs::read_to_string(&pidfile).ok()?;
            text.strip_suffix('\n')?.parse::<i32>().ok()
        });
        self.detached = Some(pid);
        self.wait_ready();
    }

    /// Waits until the daemon answers `getState` with RUNNING.
    #[track_caller]
    pub fn wait_ready(&mut self) {
        wait_for(Duration::from_secs(15), "supervisord to answer", || {
            if let Some(child) = self.daemon.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("supervisord exited early with {status}");
                }
            }
            match self.rpc("supervisor.getState", vec![]) {
                Ok(Value::Struct(s))
                    if s.get("statename") == Some(&Value::String("RUNNING".into())) =>
                {
                    Some(())
                }
                _ => None,
            }
        });
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The daemon's pid.
    pub fn pid(&self) -> i32 {
        self.detached
            .or(self.daemon.as_ref().map(|c| c.id() as i32))
            .unwrap_or(0)
    }

    /// The daemon process, e.g. to wait for its exit.
    pub fn daemon(&mut self) -> &mut Child {
        self.daemon.as_mut().expect("daemon started")
    }

    /// One XML-RPC call.
    pub fn rpc(&self, method: &str, params: Vec<Value>) -> Result<Value, CallError> {
        client::call(&self.server, method, params)
    }

    /// A call that must succeed.
    #[track_caller]
    pub fn call(&self, method: &str, params: Vec<Value>) -> Value {
        match self.rpc(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e}"),
        }
    }

    /// A call that must fail with fault `code`; returns the fault string.
    #[track_caller]
    pub fn fault(&self, method: &str, params: Vec<Value>, code: i64) -> String {
        match self.rpc(method, params) {
            Err(CallError::Fault { code: c, string }) if c == code => string,
            other => panic!("{method}: expected fault {code}, got {other:?}"),
        }
    }

    /// `getProcessInfo(name)` as a map.
    #[track_caller]
    pub fn info(&self, name: &str) -> BTreeMap<String, Value> {
        match self.call("supervisor.getProcessInfo", vec![s(name)]) {
            Value::Struct(m) => m,
            other => panic!("unexpected info {other:?}"),
        }
    }

    /// Waits until process `name` is in `state`; returns its info.
    #[track_caller]
    pub fn wait_state(
        &self,
        name: &str,
        state: &str,
        timeout: Duration,
    ) -> BTreeMap<String, Value> {
        wait_for(timeout, &format!("{name} to be {state}"), || {
            let info = self.info(name);
            (info.get("statename") == Some(&s(state))).then_some(info)
        })
    }

    /// Runs our supervisorctl with this sandbox's configuration.
    pub fn ctl(&self, args: &[&str]) -> CtlOutput {
        let out = Command::new(SUPERVISORCTL)
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run supervisorctl");
        CtlOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The activity log so far.
    pub fn main_log(&self) -> String {
        std::fs::read_to_string(self.path("supervisord.log")).unwrap_or_default()
    }

    /// Waits until `file` (in the sandbox) contains `needle`; returns the contents.
    #[track_caller]
    pub fn wait_file(&self, file: &str, needle: &str, timeout: Duration) -> String {
        let path = self.path(file);
        wait_for(timeout, &format!("{file} to contain {needle:?}"), || {
            std::fs::read_to_string(&path)
                .ok()
                .filter(|t| t.contains(needle))
        })
    }

    /// The number of lines in `file` (in the sandbox); 0 if it does not exist.
    pub fn count_lines(&self, file: &str) -> usize {
        std::fs::read_to_string(self.path(file)).map_or(0, |t| t.lines().count())
    }

    /// Waits until the [`trap_script`] `name` has set its trap.
    pub fn wait_trapped(&self, name: &str) {
        let marker = self.path(&format!("{name}.trapped"));
        wait_for(
            Duration::from_secs(30),
            &format!("{name} to set its trap"),
            || marker.exists().then_some(()),
        );
    }

    /// Sends a signal to the daemon.
    pub fn signal(&self, sig: i32) {
        let _ = supervisor::sys::kill(self.pid(), sig);
    }

    /// Waits for the daemon to exit; returns its exit code.
    #[track_caller]
    pub fn wait_exit(&mut self, timeout: Duration) -> i32 {
        let child = self.daemon.as_mut().expect("daemon started");
        let status = wait_for(timeout, "supervisord to exit", || {
            child.try_wait().ok().flatten()
        });
        status.code().unwrap_or(-1)
    }

    pub fn marker(&self) -> String {
        self.dir.display().to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = supervisor::sys::kill(child.id() as i32, libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(pid) = self.detached.take() {
            let _ = supervisor::sys::kill(pid, libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline && alive(pid) {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive(pid) {
                let _ = supervisor::sys::kill(pid, libc::SIGKILL);
            }
        }
        for pid in pids_with_marker(&self.marker()) {
            let _ = supervisor::sys::kill(pid, libc::SIGKILL);
        }
        if std::thread::panicking() {
            eprintln!(
                "--- activity log of {} ---\n{}",
                self.dir.display(),
                self.main_log()
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::String(text.into())
}

/// Reads a struct member as an integer.
pub fn int(map: &BTreeMap<String, Value>, key: &str) -> i64 {
    match map.get(key) {
        Some(Value::Int(n)) => i64::from(*n),
        Some(Value::Int64(n)) => *n,
        other => panic!("{key} is not an int: {other:?}"),
    }
}

/// Reads a struct member as text.
pub fn text<'a>(map: &'a BTreeMap<String, Value>, key: &str) -> &'a str {
    match map.get(key) {
        Some(Value::String(t)) => t,
        other => panic!("{key} is not a string: {other:?}"),
    }
}

/// Supervisor 4.3's own `supervisord` or `supervisorctl` (`make reference` installs it in
/// `.venv-ref/`; `/tmp/ref-venv` as DEVELOPERS.md sets it up also works). `None` skips the
/// calling test with a message on a developer's machine; under `CI=true` it fails instead.
pub fn reference(program: &str) -> Option<PathBuf> {
    let found = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ref/bin"),
        PathBuf::from("/tmp/ref-venv/bin"),
    ]
    .into_iter()
    .map(|dir| dir.join(program))
    .find(|path| path.exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the reference {program} is missing under CI (run `make reference`)"
        );
        eprintln!("SKIPPED: the reference {program} is missing; `make reference` installs it");
    }
    found
}

/// A shell script written into the sandbox (so its path carries the marker).
pub fn script(sandbox: &Sandbox, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = sandbox.path(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
    path
}

/// A shell script that sets `trap` first and then creates `<name>.trapped`, so a test can
/// wait ([`Sandbox::wait_trapped`]) until a signal meets the trap instead of ending the shell
/// (RUNNING comes at spawn with `startsecs=0`, before the shell has read its first line).
pub fn trap_script(sandbox: &Sandbox, name: &str, trap: &str, body: &str) -> PathBuf {
    let marker = sandbox.path(&format!("{name}.trapped"));
    script(
        sandbox,
        name,
        &format!("{trap}\n: > {}\n{body}", p(&marker)),
    )
}

/// The path as a str, for config text.
pub fn p(path: &Path) -> String {
    path.display().to_string()
}
