//! One attempt of a `tcp:`, `http://` or `exec:` check (issue 14), on the loop: a
//! non-blocking connect registered with the poll, or a child reaped by the loop.
//!
//! Never blocks: a connect in progress, a request written once the socket is writable, a
//! status line read as it arrives; an `exec:` child is started like a program's (same
//! environment, user and directory) and its exit status is the result.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};

use mio::unix::SourceFd;
use mio::{Interest, Token};

use crate::config::beyond::Probe;
use crate::daemon::core::{Daemon, Source};
use crate::model::ProcId;
use crate::process::command;
use crate::process::readiness::http_status;
use crate::process::spawn;

/// Which check an attempt serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Ready,
    Health,
}

/// What a watch's poll token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The `NOTIFY_SOCKET` datagram socket.
    Notify,
    /// The read end of the `fd:N` pipe.
    ReadyFd,
    /// A probe's socket.
    Probe(Purpose),
    /// An `exec:` probe's output (read and dropped).
    ProbeOutput(Purpose),
}

/// A probe attempt in flight.
#[derive(Debug)]
pub enum Attempt {
    Connect {
        stream: mio::net::TcpStream,
        token: Token,
        /// For `http://`: the request, how much of it is written, the answer so far.
        http: Option<HttpExchange>,
    },
    Exec {
        pid: i32,
        output: Option<(OwnedFd, Token)>,
    },
}

#[derive(Debug)]
pub struct HttpExchange {
    request: Vec<u8>,
    written: usize,
    head: Vec<u8>,
}

/// An attempt's outcome so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    Pending,
    Done(Result<(), String>),
}

/// The most of an HTTP answer read before the status line must have come.
const MAX_HEAD: usize = 8 * 1024;

/// HOST as an address without a (blocking) name lookup: an IP literal or `localhost`.
fn address(host: &str, port: u16) -> Result<SocketAddr, String> {
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>()
            .map_err(|_| format!("{host} is not an IP address or localhost"))?
    };
    Ok(SocketAddr::new(ip, port))
}

impl Daemon {
    /// Starts one attempt of `probe` for process `id`. `Err` is an immediate failure.
    pub(crate) fn probe_start(
        &mut self,
        id: ProcId,
        purpose: Purpose,
        probe: &Probe,
    ) -> Result<Attempt, String> {
        match probe {
            Probe::Tcp { host, port } => self.connect(id, purpose, host, *port, None),
            Probe::Http { host, port, path } => {
                let request = format!(
                    "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: supervisord\r\n\
                     Connection: close\r\n\r\n"
                )
                .into_bytes();
                let http = HttpExchange {
                    request,
                    written: 0,
                    head: Vec::new(),
                };
                self.connect(id, purpose, host, *port, Some(http))
            }
            Probe::Exec(cmd) => self.exec_probe(id, purpose, cmd),
        }
    }

    fn connect(
        &mut self,
        id: ProcId,
        purpose: Purpose,
        host: &str,
        port: u16,
        http: Option<HttpExchange>,
    ) -> Result<Attempt, String> {
        let addr = address(host, port)?;
        let mut stream = mio::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        let token = self.token(Source::Watch(id, Slot::Probe(purpose)));
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.sources.remove(&token);
            return Err(e.to_string());
        }
        Ok(Attempt::Connect {
            stream,
            token,
            http,
        })
    }

    fn exec_probe(&mut self, id: ProcId, purpose: Purpose, cmd: &str) -> Result<Attempt, String> {
        let p = self.model.procs.get(&id).ok_or("process is gone")?;
        let resolved = command::resolve(cmd, &p.config.environment).map_err(|e| e.to_string())?;
        let env = self.child_env(p);
        let req = spawn::Request {
            name: &p.config.name,
            command: &resolved,
            env: &env,
            directory: p.config.directory.as_deref(),
            umask: p.config.umask,
            user: p.config.user.as_ref(),
            redirect_stderr: true,
            stdin: spawn::Stdin::Pipe,
            ready_fd: None,
        };
        let child = spawn::spawn(&req)?;
        let pid = child.pid;
        self.keep_launch(child.launch);
        self.watch_shared.probe_pids.insert(pid, (id, purpose));
        let token = self.token(Source::Watch(id, Slot::ProbeOutput(purpose)));
        let fd = child.stdout;
        let output = match self.poll.registry().register(
            &mut SourceFd(&fd.as_raw_fd()),
            token,
            Interest::READABLE,
        ) {
            Ok(()) => Some((fd, token)),
            Err(_) => {
                self.sources.remove(&token);
                None
            }
        };
        Ok(Attempt::Exec { pid, output })
    }

    /// Ends an attempt: deregisters its sources; an `exec:` child still running is killed
    /// (it stays in the probe pid table until reaped, so its pid is never reused meanwhile).
    pub(crate) fn probe_end(&mut self, attempt: Attempt) {
        match attempt {
            Attempt::Connect {
                mut stream, token, ..
            } => {
                let _ = self.poll.registry().deregister(&mut stream);
                self.sources.remove(&token);
            }
            Attempt::Exec { pid, output } => {
                if let Some((fd, token)) = output {
                    let _ = self
                        .poll
                        .registry()
                        .deregister(&mut SourceFd(&fd.as_raw_fd()));
                    self.sources.remove(&token);
                }
                if self.watch_shared.probe_pids.contains_key(&pid) {
                    let _ = crate::sys::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

impl Attempt {
    /// Advances a connect or HTTP exchange after a readiness event.
    pub fn on_ready(&mut self) -> Progress {
        let Attempt::Connect { stream, http, .. } = self else {
            return Progress::Pending;
        };
        if let Ok(Some(e)) | Err(e) = stream.take_error() {
            return Progress::Done(Err(e.to_string()));
        }
        match stream.peer_addr() {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotConnected => return Progress::Pending,
            Err(e) => return Progress::Done(Err(e.to_string())),
        }
        let Some(x) = http else {
            return Progress::Done(Ok(()));
        };
        while let Some(rest) = x.request.get(x.written..).filter(|r| !r.is_empty()) {
            match stream.write(rest) {
                Ok(n) => x.written = x.written.saturating_add(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Progress::Pending,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Progress::Done(Err(e.to_string())),
            }
        }
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return Progress::Done(Err("connection closed before an answer".into())),
                Ok(n) => {
                    x.head.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                    match http_status(&x.head) {
                        Some(Ok(code)) if (200..300).contains(&code) => {
                            return Progress::Done(Ok(()))
                        }
                        Some(Ok(code)) => {
                            return Progress::Done(Err(format!("HTTP status {code}")))
                        }
                        Some(Err(())) => return Progress::Done(Err("not an HTTP answer".into())),
                        None if x.head.len() > MAX_HEAD => {
                            return Progress::Done(Err("not an HTTP answer".into()))
                        }
                        None => {}
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Progress::Pending,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Progress::Done(Err(e.to_string())),
            }
        }
    }

    /// Reads and drops what an `exec:` probe printed; at its end closes the pipe and returns
    /// its token (for the caller to forget).
    pub fn drain_output(&mut self) -> Option<Token> {
        let Attempt::Exec { output, .. } = self else {
            return None;
        };
        let (fd, token) = output.as_ref()?;
        let mut buf = [0u8; 4096];
        // Bounded like the ready pipe: more output is a new edge.
        let mut ended = false;
        for _ in 0..64 {
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(_) => {}
                Err(nix::Error::EAGAIN) => return None,
                Err(nix::Error::EINTR) => {}
                Err(_) => {
                    ended = true;
                    break;
                }
            }
        }
        if !ended {
            return None;
        }
        let token = *token;
        *output = None;
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_no_lookup() {
        assert_eq!(
            address("localhost", 80),
            Ok(SocketAddr::from(([127, 0, 0, 1], 80)))
        );
        assert_eq!(address("::1", 81).map(|a| a.port()), Ok(81));
        assert!(address("example.org", 80).is_err());
    }
}
