//! supervisorctl actions that keep running: `tail -f`, `maintail -f` (over the unix socket
//! and over TCP with credentials) and `fg` (reference §4.4).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::rpc::sandbox;
use crate::util::{s, wait_for, Sandbox, SUPERVISORCTL};

const T: Duration = Duration::from_secs(10);

/// A supervisorctl that is still running, with its output collected as it comes.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    chunks: Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Running {
    fn start(conf: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(SUPERVISORCTL)
            .arg("-c")
            .arg(conf)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run supervisorctl");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, chunks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Running {
            stdin: child.stdin.take(),
            child,
            chunks,
            seen: Vec::new(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Waits until the output so far contains `needle`; returns it.
    #[track_caller]
    fn until(&mut self, needle: &str) -> String {
        wait_for(T, &format!("{needle:?} from supervisorctl"), || {
            while let Ok(chunk) = self.chunks.try_recv() {
                self.seen.extend(chunk);
            }
            self.text().contains(needle).then(|| self.text())
        })
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the exit; returns the status and everything printed.
    fn finish(mut self) -> (ExitStatus, String) {
        let status = wait_for(T, "supervisorctl to exit", || {
            self.child.try_wait().ok().flatten()
        });
        // The reader thread ends at end of stream; collect what it still had.
        while let Ok(chunk) = self.chunks.recv_timeout(T) {
            self.seen.extend(chunk);
        }
        (status, self.text())
    }

    fn interrupt(&self) {
        let _ = supervisor::sys::kill(self.child.id() as i32, libc::SIGINT);
    }
}

fn cat_daemon(name: &str) -> Sandbox {
    let d = sandbox(name, |_| {
        "[program:cat]\ncommand=/bin/cat\nstartsecs=0\n".to_string()
    });
    d.wait_state("cat", "RUNNING", T);
    d
}

#[test]
fn tail_follow_streams_until_interrupted() {
    let d = cat_daemon("cfollow");
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s("before\n")]);
    let mut tail = Running::start(&d.conf, &["tail", "-f", "cat"]);
    tail.until("before\n");
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s("after\n")]);
    assert_eq!(
        tail.until("after\n"),
        "==> Press Ctrl-C to exit <==\nbefore\nafter\n"
    );
    tail.interrupt();
    let (status, out) = tail.finish();
    assert_eq!(out, "==> Press Ctrl-C to exit <==\nbefore\nafter\n\n");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn maintail_follow_over_tcp_with_credentials() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut d = Sandbox::new("cmainf");
    d.write_conf(&format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\n\
         password={{SHA}}82ab876d1387bfafe46cc1c8a2ef074eae50cb1d\n\
         [program:cat]\ncommand=/bin/cat\nstartsecs=0\n"
    ));
    d.launch();
    d.wait_state("cat", "RUNNING", T);
    let url = format!("http://127.0.0.1:{port}");
    let args = ["-s", &url, "-u", "admin", "-p", "thepassword"];
    let status = d.ctl(&[&args[..], &["status", "cat"]].concat());
    assert_eq!(status.code, 0, "{status:?}");
    let mut tail = Running::start(&d.conf, &[&args[..], &["maintail", "-f"]].concat());
    tail.until("success: cat entered RUNNING state");
    d.call("supervisor.stopProcess", vec![s("cat")]);
    tail.until("stopped: cat (terminated by SIGTERM)\n");
    tail.interrupt();
    let (status, out) = tail.finish();
    assert!(out.starts_with("==> Press Ctrl-C to exit <==\n"), "{out}");
    assert_eq!(status.code(), Some(0));

    let mut tail = Running::start(
        &d.conf,
        &[&args[..], &["tail", "-f", "cat", "stderr"]].concat(),
    );
    tail.until("==> Press Ctrl-C to exit <==\n");
    tail.interrupt();
    assert_eq!(tail.finish().0.code(), Some(0));
}

#[test]
fn fg_forwards_input_and_shows_output() {
    let d = cat_daemon("cfgrun");
    let mut fg = Running::start(&d.conf, &["fg", "cat"]);
    fg.until("==> Press Ctrl-C to exit <==\n");
    fg.type_line("hello fg\n");
    fg.until("hello fg\n");
    fg.stdin = None;
    let (status, out) = fg.finish();
    assert_eq!(
        out,
        "==> Press Ctrl-C to exit <==\nhello fg\nExiting foreground\n"
    );
    assert_eq!(status.code(), Some(0));

    // The process stops while in the foreground: noticed after the next line.
    let mut fg = Running::start(&d.conf, &["fg", "cat"]);
    fg.until("==> Press Ctrl-C to exit <==\n");
    d.call("supervisor.stopProcess", vec![s("cat")]);
    fg.type_line("anyone?\n");
    let (status, out) = fg.finish();
    assert!(
        out.ends_with("Process got killed\nExiting foreground\n"),
        "{out}"
    );
    assert_eq!(status.code(), Some(0));
}

#[test]
fn tail_follow_several_programs_prefixes_each_line() {
    // Ours (D11): `tail -f a b`, each line prefixed by the name it came from.
    let d = sandbox("cmulti", |_| {
        "[program:a]\ncommand=/bin/cat\nstartsecs=0\n\
         [program:b]\ncommand=/bin/cat\nstartsecs=0\n"
            .to_string()
    });
    d.wait_state("a", "RUNNING", T);
    d.wait_state("b", "RUNNING", T);
    d.call("supervisor.sendProcessStdin", vec![s("a"), s("a1\n")]);
    let mut tail = Running::start(&d.conf, &["tail", "-f", "a", "b"]);
    tail.until("a | a1\n");
    d.call("supervisor.sendProcessStdin", vec![s("b"), s("b1\nb2")]);
    tail.until("b | b1\n");
    d.call("supervisor.sendProcessStdin", vec![s("b"), s(" end\n")]);
    d.call("supervisor.sendProcessStdin", vec![s("a"), s("a2\n")]);
    tail.until("b | b2 end\n");
    tail.until("a | a2\n");
    tail.interrupt();
    let (status, out) = tail.finish();
    assert_eq!(status.code(), Some(0));
    let mut lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.remove(0), "==> Press Ctrl-C to exit <==");
    assert_eq!(lines.pop(), Some(""));
    let of =
        |p: &str| -> Vec<&str> { lines.iter().copied().filter(|l| l.starts_with(p)).collect() };
    assert_eq!(of("a | "), ["a | a1", "a | a2"]);
    assert_eq!(of("b | "), ["b | b1", "b | b2 end"]);
    assert_eq!(lines.len(), 4, "{out}");
}
