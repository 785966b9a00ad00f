//! Readiness and health checks on the loop (issue 14): what each process is watched by,
//! and the glue from sockets, pipes, output and timers to the machine's inputs.
//!
//! Every wait is a deadline in the timer heap (one `TimerKey::Watch` per process, for the
//! earliest of its deadlines); every probe is a non-blocking socket or a child of the loop
//! (`probe.rs`). Decisions are pure (`process::readiness`, the machine); this file acts.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Token};

use crate::clock::after;
use crate::config::beyond::{HealthAction, Probe, ReadyCheck};
use crate::daemon::core::{Daemon, Source};
use crate::daemon::probe::{Attempt, Progress, Purpose, Slot};
use crate::daemon::timers::TimerKey;
use crate::events::payload::Event;
use crate::logging::level::Level;
use crate::model::ProcId;
use crate::process::exit::ExitStatus;
use crate::process::machine::{Change, Input};
use crate::process::readiness::{parse_notify, Health, HealthCounter, LineMatcher};
use crate::states::ProcessState;

/// A ready probe that failed is tried again this soon.
const READY_RETRY: Duration = Duration::from_millis(100);
/// The longest one ready probe attempt may take.
const READY_ATTEMPT: Duration = Duration::from_secs(1);

/// What watches one process (its sockets, pipes and probes; what they found is in the
/// model's `WatchState`); empty for a process without issue 14's keys.
#[derive(Debug, Default)]
pub struct Watch {
    /// The sd_notify socket while the child lives (`ready_check=notify`).
    notify: Option<(mio::net::UnixDatagram, Token)>,
    ready: Option<ReadyRun>,
    health: Option<HealthRun>,
    timer_at: Option<Instant>,
    timer_gen: u64,
}

/// The daemon-wide part: `exec:` probe children by pid, a serial for socket names.
#[derive(Debug, Default)]
pub struct WatchShared {
    pub probe_pids: HashMap<i32, (ProcId, Purpose)>,
    serial: u64,
    /// A state changed: waiting starts may go ahead (checked at the end of the turn).
    pub deps_dirty: bool,
    /// Processes with `depends_on`: without any, every dependency path is skipped at once
    /// (stops and shutdown stay linear in the number of programs).
    pub with_depends: usize,
    /// Processes an RPC asked to stop while a dependent of theirs is still stopping: each is
    /// stopped once its dependents are (checked at the end of the turn).
    pub deferred_stops: Vec<ProcId>,
}

/// A check in progress while STARTING.
#[derive(Debug, Default)]
struct ReadyRun {
    fd: Option<(OwnedFd, Token)>,
    log: Option<LineMatcher>,
    probe: Option<ProbeLoop>,
}

/// A probe tried until it answers: the attempt in flight (with its deadline) or the time
/// of the next one.
#[derive(Debug)]
struct ProbeLoop {
    probe: Probe,
    attempt: Option<(Attempt, Instant)>,
    next_at: Option<Instant>,
}

impl ProbeLoop {
    fn deadline(&self) -> Option<Instant> {
        self.attempt.as_ref().map(|(_, at)| *at).or(self.next_at)
    }
}

#[derive(Debug)]
struct HealthRun {
    probe: ProbeLoop,
    since: Instant,
}

/// Made before the fork: the notify socket and the `fd:N` pipe.
#[derive(Debug, Default)]
pub struct ReadyPrep {
    notify: Option<(mio::net::UnixDatagram, String)>,
    fd: Option<(OwnedFd, OwnedFd, i32)>,
}

impl ReadyPrep {
    /// `NOTIFY_SOCKET` for the child's environment.
    pub fn add_env(&self, env: &mut Vec<(String, String)>) {
        if let Some((_, name)) = &self.notify {
            env.retain(|(k, _)| k != "NOTIFY_SOCKET");
            env.push(("NOTIFY_SOCKET".into(), format!("@{name}")));
        }
    }

    /// The fd the child gets as N.
    pub fn child_fd(&self) -> Option<(i32, i32)> {
        self.fd.as_ref().map(|(_, w, n)| (w.as_raw_fd(), *n))
    }
}

fn abstract_socket(name: &str) -> std::io::Result<mio::net::UnixDatagram> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let sock = std::os::unix::net::UnixDatagram::bind_addr(&addr)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::UnixDatagram::from_std(sock))
}

impl Daemon {
    /// Before a spawn: the resources the child must inherit for its ready check.
    ///
    /// # Errors
    /// The spawnerr when they cannot be made.
    pub(crate) fn ready_prepare(&mut self, id: ProcId) -> Result<ReadyPrep, String> {
        let Some(p) = self.model.procs.get(&id) else {
            return Ok(ReadyPrep::default());
        };
        let mut prep = ReadyPrep::default();
        match p.config.beyond.ready {
            ReadyCheck::Notify => {
                self.watch_shared.serial = self.watch_shared.serial.wrapping_add(1);
                let name = format!(
                    "supervisor-rs/{}/{id}/{}",
                    std::process::id(),
                    self.watch_shared.serial
                );
                let sock = abstract_socket(&name)
                    .map_err(|e| format!("couldn't make the notify socket: {e}"))?;
                prep.notify = Some((sock, name));
            }
            ReadyCheck::Fd(n) => {
                let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
                    .map_err(|e| format!("couldn't make the readiness pipe: {e}"))?;
                nix::fcntl::fcntl(
                    &r,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                )
                .map_err(|e| format!("couldn't make the readiness pipe: {e}"))?;
                prep.fd = Some((r, w, n));
            }
            ReadyCheck::Startsecs | ReadyCheck::Log(_) | ReadyCheck::Probe(_) => {}
        }
        Ok(prep)
    }

    /// After a successful spawn: start watching for readiness.
    pub(crate) fn ready_begin(&mut self, id: ProcId, prep: ReadyPrep) {
        let now = self.now.mono;
        let Some(p) = self.model.procs.get(&id) else {
            return;
        };
        let check = p.config.beyond.ready.clone();
        let mut run = ReadyRun::default();
        let mut notify = None;
        if let Some((mut sock, _)) = prep.notify {
            let token = self.token(Source::Watch(id, Slot::Notify));
            match self
                .poll
                .registry()
                .register(&mut sock, token, Interest::READABLE)
            {
                Ok(()) => notify = Some((sock, token)),
                Err(e) => {
                    self.sources.remove(&token);
                    self.model.log.log(
                        Level::Error,
                        &format!("unable to watch a notify socket: {e}"),
                    );
                }
            }
        }
        if let Some((r, _w, _)) = prep.fd {
            let token = self.token(Source::Watch(id, Slot::ReadyFd));
            match self.poll.registry().register(
                &mut SourceFd(&r.as_raw_fd()),
                token,
                Interest::READABLE,
            ) {
                Ok(()) => run.fd = Some((r, token)),
                Err(e) => {
                    self.sources.remove(&token);
                    self.model.log.log(
                        Level::Error,
                        &format!("unable to watch a readiness pipe: {e}"),
                    );
                }
            }
        }
        match check {
            ReadyCheck::Log(pattern) => run.log = LineMatcher::new(&pattern).ok(),
            ReadyCheck::Probe(probe) => {
                run.probe = Some(ProbeLoop {
                    probe,
                    attempt: None,
                    next_at: Some(now),
                })
            }
            ReadyCheck::Startsecs | ReadyCheck::Notify | ReadyCheck::Fd(_) => {}
        }
        if let Some(p) = self.model.procs.get_mut(&id) {
            p.watch.status = None;
            p.watch.health_counter = HealthCounter::default();
            let w = self.watches.entry(id).or_default();
            let old_notify = std::mem::replace(&mut w.notify, notify);
            let old_run = w.ready.replace(run);
            self.drop_notify(old_notify);
            self.drop_ready(old_run);
        }
        self.watch_rearm(id);
    }

    fn drop_notify(&mut self, notify: Option<(mio::net::UnixDatagram, Token)>) {
        if let Some((mut sock, token)) = notify {
            let _ = self.poll.registry().deregister(&mut sock);
            self.sources.remove(&token);
        }
    }

    fn drop_ready(&mut self, run: Option<ReadyRun>) {
        let Some(run) = run else { return };
        if let Some((fd, token)) = run.fd {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&fd.as_raw_fd()));
            self.sources.remove(&token);
        }
        if let Some((attempt, _)) = run.probe.and_then(|l| l.attempt) {
            self.probe_end(attempt);
        }
    }

    fn drop_health(&mut self, run: Option<HealthRun>) {
        if let Some((attempt, _)) = run.and_then(|h| h.probe.attempt) {
            self.probe_end(attempt);
        }
    }

    /// A state change: readiness watching ends with STARTING, health checks run while
    /// RUNNING, the notify socket lives as long as the child.
    pub(crate) fn watch_changed(&mut self, id: ProcId, change: &Change) {
        use ProcessState as S;
        let now = self.now.mono;
        self.watch_shared.deps_dirty = true;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let health_check = p
            .config
            .beyond
            .health
            .as_ref()
            .filter(|_| change.to == S::Running);
        let w = match (self.watches.get_mut(&id), health_check) {
            (Some(w), _) => w,
            (None, Some(_)) => self.watches.entry(id).or_default(),
            (None, None) => {
                if change.to == S::Starting {
                    p.watch.health_counter = HealthCounter::default();
                }
                self.watch_rearm(id);
                return;
            }
        };
        let ready = if change.from == S::Starting {
            w.ready.take()
        } else {
            None
        };
        let health = if change.from == S::Running {
            w.health.take()
        } else {
            None
        };
        let notify = if matches!(change.to, S::Starting | S::Running) {
            None
        } else {
            w.notify.take()
        };
        if change.to == S::Running {
            if let Some(h) = health_check {
                w.health = Some(HealthRun {
                    probe: ProbeLoop {
                        probe: h.probe.clone(),
                        attempt: None,
                        next_at: Some(after(now, h.interval)),
                    },
                    since: now,
                });
            }
        }
        if change.to == S::Starting {
            p.watch.health_counter = HealthCounter::default();
        }
        self.drop_ready(ready);
        self.drop_health(health);
        self.drop_notify(notify);
        self.watch_rearm(id);
    }

    /// Arms the process's watch timer for its earliest deadline if that changed.
    pub(crate) fn watch_rearm(&mut self, id: ProcId) {
        let Some(p) = self.model.procs.get(&id) else {
            return;
        };
        let waiting = p.watch.waiting.as_ref().map(|x| x.deadline);
        let w = match self.watches.get_mut(&id) {
            Some(w) => w,
            None if waiting.is_some() => self.watches.entry(id).or_default(),
            None => return,
        };
        let earliest = [
            w.ready
                .as_ref()
                .and_then(|r| r.probe.as_ref())
                .and_then(ProbeLoop::deadline),
            w.health.as_ref().and_then(|h| h.probe.deadline()),
            waiting,
        ]
        .into_iter()
        .flatten()
        .min();
        if earliest != w.timer_at {
            w.timer_gen = w.timer_gen.wrapping_add(1);
            w.timer_at = earliest;
            if let Some(at) = earliest {
                self.timers.push(at, TimerKey::Watch(id, w.timer_gen));
            }
        }
    }

    /// The watch timer popped: time out attempts, start due ones.
    pub fn on_watch_timer(&mut self, id: ProcId, gen: u64) {
        let live = self.watches.get_mut(&id).is_some_and(|w| {
            let live = w.timer_gen == gen;
            if live {
                w.timer_at = None;
            }
            live
        });
        if !live {
            return;
        }
        for purpose in [Purpose::Ready, Purpose::Health] {
            self.probe_tick(id, purpose);
        }
        self.waiting_timed_out(id, self.now.mono);
        self.watch_rearm(id);
    }

    fn probe_loop(&mut self, id: ProcId, purpose: Purpose) -> Option<&mut ProbeLoop> {
        let w = self.watches.get_mut(&id)?;
        match purpose {
            Purpose::Ready => w.ready.as_mut()?.probe.as_mut(),
            Purpose::Health => w.health.as_mut().map(|h| &mut h.probe),
        }
    }

    /// Times out an attempt past its deadline, or starts one that is due.
    fn probe_tick(&mut self, id: ProcId, purpose: Purpose) {
        let now = self.now.mono;
        let timeout = match purpose {
            Purpose::Ready => READY_ATTEMPT,
            Purpose::Health => self
                .model
                .procs
                .get(&id)
                .and_then(|p| p.config.beyond.health.as_ref())
                .map_or(READY_ATTEMPT, |h| h.timeout),
        };
        let Some(lp) = self.probe_loop(id, purpose) else {
            return;
        };
        if lp.attempt.as_ref().is_some_and(|(_, at)| *at <= now) {
            if let Some((attempt, _)) = lp.attempt.take() {
                self.probe_end(attempt);
                let secs = timeout.as_secs_f64();
                self.probe_result(id, purpose, Err(format!("no answer within {secs} s")));
            }
            return;
        }
        if lp.attempt.is_some() || lp.next_at.is_none_or(|at| at > now) {
            return;
        }
        lp.next_at = None;
        let probe = lp.probe.clone();
        match self.probe_start(id, purpose, &probe) {
            Ok(attempt) => {
                if let Some(lp) = self.probe_loop(id, purpose) {
                    lp.attempt = Some((attempt, after(now, timeout)));
                } else {
                    self.probe_end(attempt);
                }
            }
            Err(why) => self.probe_result(id, purpose, Err(why)),
        }
    }

    /// One attempt's outcome: a ready check passes or retries soon; a health check counts.
    fn probe_result(&mut self, id: ProcId, purpose: Purpose, result: Result<(), String>) {
        let now = self.now.mono;
        match purpose {
            Purpose::Ready => match result {
                Ok(()) => self.step(id, Input::Ready),
                Err(why) => {
                    if let Some(lp) = self.probe_loop(id, purpose) {
                        lp.next_at = Some(after(now, READY_RETRY));
                    }
                    let name = self
                        .model
                        .procs
                        .get(&id)
                        .map_or("", |p| p.config.name.as_str());
                    let text = format!("{name}: not ready yet: {why}");
                    self.model.log.log(Level::Blather, &text);
                }
            },
            Purpose::Health => self.health_result(id, result, now),
        }
        self.watch_rearm(id);
    }

    fn health_result(&mut self, id: ProcId, result: Result<(), String>, now: Instant) {
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let Some(h) = p.config.beyond.health.clone() else {
            return;
        };
        let Some(run) = self.watches.get_mut(&id).and_then(|w| w.health.as_mut()) else {
            return;
        };
        run.probe.next_at = Some(after(now, h.interval));
        let in_start = now < after(run.since, h.start_period);
        let changed = p
            .watch
            .health_counter
            .record(result.is_ok(), h.retries, in_start);
        let failures = p.watch.health_counter.failures;
        let (name, group, pid) = (p.config.name.clone(), p.group.clone(), p.machine.pid());
        let check = p
            .config
            .beyond
            .given
            .get("healthcheck")
            .cloned()
            .unwrap_or_default();
        if let Err(why) = &result {
            self.model.log.log(
                Level::Info,
                &format!(
                    "health check {check} of {name} failed ({failures}/{}): {why}",
                    h.retries
                ),
            );
        }
        let Some(status) = changed else {
            return;
        };
        self.model.log.log(
            Level::Info,
            &format!("{name} is {} ({check})", status.name()),
        );
        self.model
            .emit(Event::process_health(status, &name, &group, pid, failures));
        if status != Health::Unhealthy {
            return;
        }
        let why = format!("health check {check} failed {failures} times");
        match h.action {
            HealthAction::Restart => self.step(id, Input::Unhealthy(why)),
            HealthAction::Stop => {
                self.model
                    .log
                    .log(Level::Warn, &format!("stopping {name}: {why}"));
                self.step(id, Input::Stop);
            }
            HealthAction::None => {}
        }
    }

    /// A watch source is ready: notify datagrams, the `fd:N` pipe, a probe socket or an
    /// `exec:` probe's output.
    pub fn on_watch_event(&mut self, id: ProcId, slot: Slot) {
        match slot {
            Slot::Notify => self.read_notify(id),
            Slot::ReadyFd => self.read_ready_fd(id),
            Slot::Probe(purpose) => {
                let Some(lp) = self.probe_loop(id, purpose) else {
                    return;
                };
                let progress = match lp.attempt.as_mut() {
                    Some((attempt, _)) => attempt.on_ready(),
                    None => Progress::Pending,
                };
                if let Progress::Done(result) = progress {
                    if let Some((attempt, _)) = lp.attempt.take() {
                        self.probe_end(attempt);
                    }
                    self.probe_result(id, purpose, result);
                }
            }
            Slot::ProbeOutput(purpose) => {
                let closed = self
                    .probe_loop(id, purpose)
                    .and_then(|lp| lp.attempt.as_mut())
                    .and_then(|(a, _)| a.drain_output());
                if let Some(token) = closed {
                    self.sources.remove(&token);
                }
            }
        }
    }

    fn read_notify(&mut self, id: ProcId) {
        let mut ready = false;
        let Some(p) = self.model.procs.get_mut(&id) else {
            return;
        };
        let Some((sock, _)) = self.watches.get(&id).and_then(|w| w.notify.as_ref()) else {
            return;
        };
        let mut buf = [0u8; 4096];
        // Bounded: a child flooding the socket cannot hold the loop.
        for _ in 0..64 {
            match sock.recv(&mut buf) {
                Ok(n) => {
                    let m = parse_notify(buf.get(..n).unwrap_or(&[]));
                    ready |= m.ready;
                    if m.status.is_some() {
                        p.watch.status = m.status;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // Edge-triggered: whatever is left waits for the next datagram; rare enough.
        if ready {
            self.step(id, Input::Ready);
        }
    }

    fn read_ready_fd(&mut self, id: ProcId) {
        let Some((fd, _)) = self
            .watches
            .get(&id)
            .and_then(|w| w.ready.as_ref())
            .and_then(|r| r.fd.as_ref())
        else {
            return;
        };
        let mut buf = [0u8; 512];
        let mut newline = false;
        let mut closed = false;
        // Bounded: a child writing without end cannot hold the loop (more data is a new edge).
        for _ in 0..64 {
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => newline |= buf.get(..n).unwrap_or(&[]).contains(&b'\n'),
                Err(nix::Error::EINTR) => {}
                Err(nix::Error::EAGAIN) => break,
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        if closed && !newline {
            let taken = self
                .watches
                .get_mut(&id)
                .and_then(|w| w.ready.as_mut())
                .and_then(|r| r.fd.take());
            if let Some((fd, token)) = taken {
                let _ = self
                    .poll
                    .registry()
                    .deregister(&mut SourceFd(&fd.as_raw_fd()));
                self.sources.remove(&token);
            }
        }
        if newline {
            self.step(id, Input::Ready);
        }
    }

    /// Child output while STARTING with `ready_check = log:REGEX`.
    pub(crate) fn watch_output(&mut self, id: ProcId, data: &[u8]) {
        let hit = self
            .watches
            .get_mut(&id)
            .and_then(|w| w.ready.as_mut())
            .and_then(|r| r.log.as_mut())
            .is_some_and(|m| m.feed(data));
        if hit {
            self.step(id, Input::Ready);
        }
    }

    /// An `exec:` probe child was reaped; false if `pid` is not one.
    pub(crate) fn probe_reaped(&mut self, pid: i32, status: &ExitStatus) -> bool {
        let Some((id, purpose)) = self.watch_shared.probe_pids.remove(&pid) else {
            return false;
        };
        let current = self.probe_loop(id, purpose).is_some_and(
            |lp| matches!(lp.attempt, Some((Attempt::Exec { pid: p, .. }, _)) if p == pid),
        );
        if current {
            if let Some((mut attempt, _)) = self
                .probe_loop(id, purpose)
                .and_then(|lp| lp.attempt.take())
            {
                if let Some(token) = attempt.drain_output() {
                    self.sources.remove(&token);
                }
                self.probe_end(attempt);
            }
            let result = if status.code == 0 {
                Ok(())
            } else {
                Err(status.text.clone())
            };
            self.probe_result(id, purpose, result);
        }
        true
    }
}
