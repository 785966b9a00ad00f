//! Connection budgets (D5, D9): how long a connection may sit idle or trickle a request,
//! how many each server keeps, whom to shed at the cap, and how accepting recovers after
//! the process ran out of file descriptors. Operators must always get in.
//!
//! Every connection has one deadline, derived from what it is doing; one timer entry
//! (re-armed earlier when the deadline moves earlier) closes it when the deadline passes.

use std::time::{Duration, Instant};

use crate::clock;
use crate::daemon::conn::{Conn, ConnId, ConnState};
use crate::daemon::core::Daemon;
use crate::daemon::timers::TimerKey;
use crate::http::auth::{self, AuthResult};
use crate::http::response;
use crate::http::Status;
use crate::logging::level::Level;

/// Connections each server (the unix socket, the TCP port) keeps: a flood on one cannot
/// take the other's budget. Past it the oldest idle or unauthenticated one is shed.
pub const MAX_CONNECTIONS_PER_SERVER: usize = 256;
/// A keep-alive connection with no request in progress is closed after this.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// A request head must be complete this long after its first byte (slowloris).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body that receives nothing for this long closes its connection (D5).
const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// An answer not taken by its client within this is dropped with its connection.
const SENDING_TIMEOUT: Duration = Duration::from_secs(60);
/// A closing connection whose client does not take its answer or close is dropped.
const CLOSING_TIMEOUT: Duration = Duration::from_secs(5);
/// How soon a listener tries again after `accept` failed for lack of descriptors.
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// What the accept loop does after a failed `accept`.
pub enum AcceptNext {
    /// Try again at once.
    Again,
    /// Stop until the next event or the retry timer.
    Stop,
    /// A client accepted with the reserve descriptor, room made for it: keep it.
    Adopt(crate::daemon::conn::Stream),
}

/// The reserve descriptor (see `HttpState::reserve`).
pub fn open_reserve() -> Option<std::fs::File> {
    std::fs::File::open("/dev/null").ok()
}

/// What a connection is doing, for its deadline and for shedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Open, nothing of a request buffered (keep-alive).
    Idle,
    /// Open, a request head is arriving (nothing authenticated yet).
    Head,
    /// Open, an authenticated head is in and its body is arriving.
    Body,
    /// Open, an answer is still being written to a client that reads slowly.
    Sending,
    Closing,
    /// Waiting for a state or streaming a log: the daemon owes it something.
    Busy,
}

fn phase(conn: &Conn) -> Phase {
    match conn.state {
        ConnState::Open if !conn.out.is_empty() => Phase::Sending,
        ConnState::Open if conn.parser.is_idle() => Phase::Idle,
        ConnState::Open if conn.head_checked && conn.parser.pending_head().is_some() => Phase::Body,
        ConnState::Open => Phase::Head,
        ConnState::Closing => Phase::Closing,
        ConnState::Waiting { .. } | ConnState::Streaming(_) => Phase::Busy,
    }
}

/// When the connection is closed unless something happens first.
fn deadline(conn: &Conn) -> Option<Instant> {
    match phase(conn) {
        Phase::Idle => Some(clock::after(conn.since, IDLE_TIMEOUT)),
        Phase::Head => Some(clock::after(conn.since, HEAD_TIMEOUT)),
        Phase::Body => Some(clock::after(conn.last_input, BODY_STALL_TIMEOUT)),
        // A client that does not take its answer cannot hold it (and its memory) for ever.
        Phase::Sending => Some(clock::after(conn.since, SENDING_TIMEOUT)),
        Phase::Closing => Some(clock::after(conn.last_input, CLOSING_TIMEOUT)),
        Phase::Busy => None,
    }
}

/// Whether the fd limit was hit (the listener must retry by itself: it is edge-triggered
/// and the backlog may stay full, so no new event would come).
fn out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

impl Daemon {
    /// Arms the connection's timer for its current deadline (earlier if it moved earlier).
    pub fn arm_stall_timer(&mut self, id: ConnId) {
        let Some(conn) = self.http.conns.get_mut(&id) else {
            return;
        };
        let Some(at) = deadline(conn) else {
            return;
        };
        if conn.timer_at.is_none_or(|armed| at < armed) {
            conn.timer_at = Some(at);
            self.timers.push(at, TimerKey::HttpStall(id));
        }
    }

    /// A connection timer popped: close it if its deadline passed, else re-arm.
    pub fn on_stall_timer(&mut self, id: ConnId) {
        let now = self.now.mono;
        let Some(conn) = self.http.conns.get_mut(&id) else {
            return;
        };
        match conn.timer_at {
            // A later entry left over from before the deadline moved earlier.
            Some(armed) if armed > now => return,
            _ => conn.timer_at = None,
        }
        if deadline(conn).is_some_and(|at| at <= now) {
            self.model.log.log(
                Level::Debug,
                &format!(
                    "closing HTTP connection {id}: timed out ({:?})",
                    phase(conn)
                ),
            );
            self.close_conn(id);
        } else {
            self.arm_stall_timer(id);
        }
    }

    /// Closes the longest-waiting connection that is idle, still sending its head, or
    /// closing, on server `server` (any server when `None`). False when there is none.
    pub fn shed_oldest(&mut self, server: Option<usize>) -> bool {
        let victim = self
            .http
            .conns
            .iter()
            .filter(|(_, c)| server.is_none_or(|s| c.server == s))
            .filter_map(|(id, c)| {
                let since = match phase(c) {
                    // Closing ones first: they are done anyway.
                    Phase::Closing => None,
                    Phase::Idle | Phase::Head => Some(c.since),
                    Phase::Body | Phase::Sending | Phase::Busy => return None,
                };
                Some((since, *id))
            })
            .min();
        match victim {
            Some((_, id)) => {
                self.close_conn(id);
                true
            }
            None => false,
        }
    }

    /// Makes room for a newly accepted connection on `server`; false when it must be
    /// refused because every connection there is busy.
    pub fn admit(&mut self, server: usize) -> bool {
        let open = self
            .http
            .conns
            .values()
            .filter(|c| c.server == server)
            .count();
        open < MAX_CONNECTIONS_PER_SERVER || self.shed_oldest(Some(server))
    }

    /// `accept` on server `index` failed with `e`: what the accept loop does next.
    pub fn on_accept_error(&mut self, index: usize, e: &std::io::Error) -> AcceptNext {
        if matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
        ) {
            return AcceptNext::Again;
        }
        if out_of_descriptors(e) {
            if let Some(reserve) = self.http.reserve.take() {
                drop(reserve);
                let accepted = self.accept_one(index);
                let next = match accepted {
                    // Nobody was waiting: the limit only matters once someone is.
                    Some(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        Some(AcceptNext::Stop)
                    }
                    Some(Ok(stream)) => Some(if self.shed_oldest(None) {
                        AcceptNext::Adopt(stream)
                    } else {
                        // Every connection is busy: refuse this one rather than leave the
                        // backlog full; later clients get in as soon as one is done.
                        drop(stream);
                        self.accept_failed(index, e, "refusing new ones");
                        AcceptNext::Again
                    }),
                    _ => None,
                };
                self.http.reserve = open_reserve();
                if let Some(next) = next {
                    return next;
                }
            } else if self.shed_oldest(None) {
                return AcceptNext::Again;
            }
        }
        self.accept_failed(
            index,
            e,
            &format!("retrying every {} ms", ACCEPT_RETRY.as_millis()),
        );
        let Some(server) = self.http.servers.get_mut(index) else {
            return AcceptNext::Stop;
        };
        if !std::mem::replace(&mut server.retry_armed, true) {
            self.timers.push(
                clock::after(self.now.mono, ACCEPT_RETRY),
                TimerKey::Accept(index),
            );
        }
        AcceptNext::Stop
    }

    /// Logs an accept failure once per episode, not per attempt.
    fn accept_failed(&mut self, index: usize, e: &std::io::Error, then: &str) {
        let Some(server) = self.http.servers.get_mut(index) else {
            return;
        };
        if !std::mem::replace(&mut server.accept_failing, true) {
            let section = server.config.section.clone();
            self.model.log.log(
                Level::Error,
                &format!("unable to accept HTTP connections on {section}: {e}; {then}"),
            );
        }
    }

    /// The accept retry timer of server `index` popped.
    pub fn on_accept_timer(&mut self, index: usize) {
        if let Some(server) = self.http.servers.get_mut(index) {
            server.retry_armed = false;
        }
        self.on_accept(index);
    }

    /// An accept succeeded: ends a failure episode.
    pub fn on_accept_ok(&mut self, index: usize) {
        if let Some(server) = self.http.servers.get_mut(index) {
            if std::mem::take(&mut server.accept_failing) {
                let section = server.config.section.clone();
                self.model.log.log(
                    Level::Info,
                    &format!("accepting HTTP connections on {section} again"),
                );
            }
        }
    }

    /// D9: authentication is decided on the head, before any of the body is read. True
    /// when the request may go on; otherwise the connection answers 401 (or 400) and closes.
    pub fn check_head(&mut self, id: ConnId) -> bool {
        let Some(conn) = self.http.conns.get(&id) else {
            return false;
        };
        if conn.head_checked {
            return true;
        }
        let Some(head) = conn.parser.pending_head() else {
            return true;
        };
        let creds = self.http.servers.get(conn.server).and_then(|s| {
            s.config
                .username
                .as_deref()
                .zip(s.config.password.as_deref())
        });
        let verdict = match creds {
            None => AuthResult::Ok,
            Some((user, password)) => {
                auth::check(head.headers.get("authorization"), user, password)
            }
        };
        let version = head.version;
        let wall = self.now.wall;
        let refusal = match verdict {
            AuthResult::Ok => {
                if let Some(conn) = self.http.conns.get_mut(&id) {
                    conn.head_checked = true;
                }
                return true;
            }
            AuthResult::Unauthorized => response::unauthorized(version, wall),
            AuthResult::BadRequest => response::error(
                version,
                Status::BadRequest,
                crate::http::Connection::Close,
                wall,
            ),
        };
        self.send(id, refusal);
        self.set_closing(id);
        false
    }

    /// Whether reads on `id` must stop after one buffer until its head is checked: nothing
    /// of an unauthenticated body is buffered beyond that (D9).
    pub fn read_sparingly(&self, id: ConnId) -> bool {
        self.http.conns.get(&id).is_some_and(|c| {
            !c.head_checked
                && matches!(c.state, ConnState::Open)
                && self
                    .http
                    .servers
                    .get(c.server)
                    .is_some_and(|s| s.config.username.is_some())
        })
    }
}
