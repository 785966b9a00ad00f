//! Child pipes: reading stdout/stderr into the logs, writing queued stdin.
//!
//! Reads go until `WouldBlock` (mio is edge-triggered) but at most `cap` bytes per turn per
//! pipe, so one chatty child cannot starve the others; a capped pipe is carried over to the
//! next turn. Before an exit is processed both pipes are drained to the end, so the last
//! bytes reach the log before the state changes.

use std::os::fd::{AsFd, AsRawFd};

use mio::unix::SourceFd;
use mio::{Interest, Token};
use nix::fcntl::{fcntl, FcntlArg};

use crate::daemon::core::Daemon;
use crate::events::capture::CaptureOutput;
use crate::events::payload::Event;
use crate::logging::ansi::strip_ansi;
use crate::logging::level::Level;
use crate::model::{Channel, ProcId};

/// How a read pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Nothing more to read now.
    Empty,
    /// The per-turn cap was reached: read again next turn.
    Capped,
    /// End of file or an error: the pipe is closed.
    Closed,
}

/// Bytes read from one pipe per turn before yielding to the others.
pub const TURN_CAP: usize = 1 << 20;

/// The pipe size for children that keep their pipe full.
const WIDE_PIPE: usize = 1 << 20;
/// Their read size: the reference's, so a rotated log exceeds `maxbytes` by less than
/// 128 KiB as there (rotation is checked after each write).
const WIDE_READ: usize = 128 << 10;

/// Whether logged output may also be a PROCESS_LOG event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogEvents {
    /// When the channel's `events_enabled` says so.
    IfEnabled,
    /// Never: a listener's protocol chatter on stdout.
    Never,
}

impl Daemon {
    /// Reads what `chan` of process `id` has, up to `cap` bytes (`None`: until empty).
    pub fn drain_output(&mut self, id: ProcId, chan: Channel, cap: Option<usize>) -> Drained {
        let mut buf = std::mem::take(&mut self.read_buf);
        let mut total = 0usize;
        let result = loop {
            if cap.is_some_and(|c| total >= c) {
                break Drained::Capped;
            }
            let read = match self
                .model
                .procs
                .get(&id)
                .and_then(|p| p.channel(chan).pipe.as_ref())
            {
                Some(pipe) => nix::unistd::read(pipe.fd.as_fd(), &mut buf),
                None => break Drained::Closed,
            };
            match read {
                Ok(0) => {
                    self.close_output(id, chan);
                    break Drained::Closed;
                }
                Ok(n) => {
                    total += n;
                    if let Some(p) = self.model.procs.get_mut(&id) {
                        p.channel_mut(chan).bytes_read += n as u64;
                    }
                    self.on_output(id, chan, buf.get(..n).unwrap_or(&[]));
                    if n == buf.len() {
                        self.widen_pipe(id, chan, &mut buf);
                    }
                }
                Err(nix::Error::EAGAIN) => break Drained::Empty,
                Err(nix::Error::EINTR) => continue,
                Err(_) => {
                    self.close_output(id, chan);
                    break Drained::Closed;
                }
            }
        };
        self.read_buf = buf;
        result
    }

    /// A read filled the whole buffer: the child writes faster than one pipe-full per
    /// wake-up. Its pipe grows to [`WIDE_PIPE`] (fewer wake-ups) and the shared read buffer
    /// to [`WIDE_READ`] (fewer reads and log writes); quiet children keep the kernel's 64 KiB
    /// pipes (big ones for all would run into the per-user pipe budget).
    fn widen_pipe(&mut self, id: ProcId, chan: Channel, buf: &mut Vec<u8>) {
        if buf.len() < WIDE_READ {
            buf.resize(WIDE_READ, 0);
        }
        let Some(pipe) = self
            .model
            .procs
            .get(&id)
            .and_then(|p| p.channel(chan).pipe.as_ref())
        else {
            return;
        };
        let fd = pipe.fd.as_fd();
        if fcntl(fd, FcntlArg::F_GETPIPE_SZ).is_ok_and(|size| size < WIDE_PIPE as i32) {
            // Refused past the per-user budget: the pipe simply stays as it was.
            let _ = fcntl(fd, FcntlArg::F_SETPIPE_SZ(WIDE_PIPE as i32));
        }
    }

    /// One chunk of child output: the listener protocol, capture mode, then the log.
    fn on_output(&mut self, id: ProcId, chan: Channel, data: &[u8]) {
        self.watch_output(id, data);
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let listener_stdout = chan == Channel::Stdout && p.listener.is_some();
        let captured = p.channel_mut(chan).capture.as_mut().map(|c| c.feed(data));
        if listener_stdout {
            self.feed_listener(id, data);
        }
        match captured {
            Some(outputs) => self.on_captured(id, chan, outputs),
            None if listener_stdout => self.log_output(id, chan, data, LogEvents::Never),
            None => self.log_output(id, chan, data, LogEvents::IfEnabled),
        }
    }

    fn on_captured(&mut self, id: ProcId, chan: Channel, outputs: Vec<CaptureOutput>) {
        for out in outputs {
            match out {
                CaptureOutput::Log(bytes) => {
                    self.log_output(id, chan, &bytes, LogEvents::IfEnabled)
                }
                CaptureOutput::Comm(bytes) => {
                    let bytes = self.strip(&bytes);
                    self.emit_comm(id, chan, &bytes);
                }
            }
        }
    }

    fn strip<'a>(&self, data: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        if self.model.config.supervisord.strip_ansi {
            strip_ansi(data)
        } else {
            std::borrow::Cow::Borrowed(data)
        }
    }

    /// Output that belongs in the log: the file, syslog, the activity log at debug level,
    /// and a PROCESS_LOG event when `events` allows and the channel enables it.
    fn log_output(&mut self, id: ProcId, chan: Channel, raw: &[u8], events: LogEvents) {
        if self
            .model
            .procs
            .get(&id)
            .is_some_and(|p| p.channel(chan).open_on_output)
        {
            self.model.create_pending_log(id, chan);
            self.open_log(id, chan);
        }
        let data = self.strip(raw);
        let debug = self.model.log.enabled(Level::Debug);
        let now = self.now.wall;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let ccfg = match chan {
            Channel::Stdout => &p.config.stdout,
            Channel::Stderr => &p.config.stderr,
        };
        let (syslog, events_enabled) = (
            ccfg.syslog,
            ccfg.events_enabled && events == LogEvents::IfEnabled,
        );
        let name = &p.config.name;
        let c = match chan {
            Channel::Stdout => &mut p.stdout,
            Channel::Stderr => &mut p.stderr,
        };
        let mut failure = None;
        if let Some(log) = c.log.as_mut() {
            match log.write(&data, now) {
                Ok(_) => c.write_failed = false,
                Err(e) if !c.write_failed => {
                    c.write_failed = true;
                    failure = Some(format!(
                        "{name}: unable to write to {} log {}: {e}",
                        chan.name(),
                        log.path().display()
                    ));
                }
                Err(_) => {}
            }
        }
        let p = &*p;
        if syslog {
            for line in String::from_utf8_lossy(&data).lines() {
                crate::sys::syslog(&format!("{} {line}", p.config.name));
            }
        }
        let event = events_enabled
            .then(|| Event::process_log(chan, &p.config.name, &p.group, p.machine.pid(), &data));
        let copy = debug.then(|| {
            format!(
                "'{}' {} output:\n{}",
                p.config.name,
                chan.name(),
                String::from_utf8_lossy(&data)
            )
        });
        if let Some(msg) = failure {
            self.model.log.log(Level::Error, &msg);
        }
        if let Some(text) = copy {
            self.model.log.log(Level::Debug, &text);
        }
        if let Some(event) = event {
            self.model.emit(event);
        }
        self.tail_dirty = true;
    }

    /// Deregisters and closes one output pipe.
    pub fn close_output(&mut self, id: ProcId, chan: Channel) {
        let Some(pipe) = self
            .model
            .procs
            .get_mut(&id)
            .and_then(|p| p.channel_mut(chan).pipe.take())
        else {
            return;
        };
        let _ = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&pipe.fd.as_raw_fd()));
        self.sources.remove(&Token(pipe.token));
    }

    /// Closes the stdin pipe (exit, EPIPE).
    pub fn close_stdin(&mut self, id: ProcId) {
        let Some(stdin) = self.model.procs.get_mut(&id).and_then(|p| p.stdin.take()) else {
            return;
        };
        if stdin.writable_registered {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&stdin.pipe.fd.as_raw_fd()));
        }
        self.sources.remove(&Token(stdin.pipe.token));
    }

    /// A reaped child: drain what it left in its pipes, then close them and its logs.
    pub fn finish_io(&mut self, id: ProcId) {
        for chan in [Channel::Stdout, Channel::Stderr] {
            if self.drain_output(id, chan, None) != Drained::Closed {
                self.close_output(id, chan);
            }
            // DIVERGENCE(Q5): output held back by capture mode is logged, not lost.
            let rest = self
                .model
                .procs
                .get_mut(&id)
                .and_then(|p| p.channel_mut(chan).capture.take());
            if let Some(mut capture) = rest {
                let outputs = capture.finish();
                self.on_captured(id, chan, outputs);
            }
        }
        self.reset_listener(id);
        self.release_fcgi(id);
        self.close_stdin(id);
        self.close_logs(id);
    }

    /// Writes `data` to the child's stdin at once (as the reference); what the pipe does not
    /// take now is queued and written as it drains.
    ///
    /// # Errors
    /// `false` when the process has no open stdin, or the child has closed it (EPIPE now).
    pub fn send_stdin(&mut self, id: ProcId, data: &[u8]) -> bool {
        match self.model.procs.get_mut(&id).and_then(|p| p.stdin.as_mut()) {
            Some(stdin) => stdin.pending.extend_from_slice(data),
            None => return false,
        }
        self.flush_stdin(id);
        self.model.stdin_backlog(id).is_some()
    }

    /// Writes pending stdin bytes until the pipe is full; keeps WRITABLE interest only
    /// while something is left.
    pub fn flush_stdin(&mut self, id: ProcId) {
        let mut broken = None;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let name = p.config.name.clone();
        let Some(stdin) = p.stdin.as_mut() else {
            return;
        };
        while !stdin.pending.is_empty() {
            match nix::unistd::write(stdin.pipe.fd.as_fd(), &stdin.pending) {
                Ok(n) => {
                    stdin.pending.drain(..n);
                }
                Err(nix::Error::EAGAIN) => break,
                Err(nix::Error::EINTR) => continue,
                Err(e) => {
                    broken = Some(e);
                    break;
                }
            }
        }
        if broken.is_none() {
            let want = !stdin.pending.is_empty();
            if want != stdin.writable_registered {
                let fd = stdin.pipe.fd.as_raw_fd();
                let token = Token(stdin.pipe.token);
                let registry = self.poll.registry();
                let r = if want {
                    registry.register(&mut SourceFd(&fd), token, Interest::WRITABLE)
                } else {
                    registry.deregister(&mut SourceFd(&fd))
                };
                if r.is_ok() {
                    stdin.writable_registered = want;
                }
            }
            return;
        }
        if let Some(e) = broken {
            self.model
                .log
                .log(Level::Debug, &format!("{name}: stdin closed: {e}"));
        }
        self.close_stdin(id);
    }
}
