//! HTTP connections on the loop: accepting, reading requests, queueing answers, writing
//! them without blocking, and closing (D1, D5).
//!
//! A connection is a small state machine: `Open` (reading requests), `Waiting` (an RPC
//! answer depends on a state), `Streaming` (a log follower), `Closing` (flush, then close).
//! Writes never block: what the socket does not take stays queued and WRITABLE interest is
//! registered until it drains. Timeouts, the connection cap and accept recovery are the
//! budgets of `budget.rs`; none of this can stall the loop.

use std::io::{Read, Write};
use std::time::Instant;

use mio::{Interest, Token};

use crate::daemon::budget::AcceptNext;
use crate::daemon::core::{Daemon, Source};
use crate::daemon::listen::Listener;
use crate::daemon::logtail::Tail;
use crate::daemon::outbuf::OutBuf;
use crate::http::request::{Progress, RequestParser};
use crate::http::response;
use crate::http::{Connection, Version};
use crate::logging::level::Level;
use crate::rpc::pending::Pending;

/// Bytes read from one connection per turn.
const READ_CAP: usize = 256 * 1024;

/// An accepted socket.
#[derive(Debug)]
pub enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn shutdown_write(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
    }
}

/// What a connection is doing.
#[derive(Debug)]
pub enum ConnState {
    Open,
    Waiting {
        pending: Box<Pending>,
        version: Version,
        connection: Connection,
        /// A web page's action (answered by a redirect) rather than an XML-RPC call.
        web: Option<Box<crate::daemon::web::Job>>,
    },
    Streaming(Box<Tail>),
    /// Flush what is queued, then stop sending and discard input until the client closes.
    Closing,
}

#[derive(Debug)]
pub struct Conn {
    pub stream: Stream,
    pub token: Token,
    /// The index of the server (its credentials) in `HttpState::servers`.
    pub server: usize,
    pub parser: RequestParser,
    pub out: OutBuf,
    pub state: ConnState,
    writable: bool,
    pub(crate) last_input: Instant,
    /// When the current request (or idle period) began: the idle and head timeouts run
    /// from here, and shedding picks the smallest.
    pub(crate) since: Instant,
    /// The earliest armed deadline timer, if any.
    pub(crate) timer_at: Option<Instant>,
    /// The current request's head passed authentication (D9).
    pub(crate) head_checked: bool,
    /// The client closed its sending side (end of stream): what it sent is still answered,
    /// then the connection closes, as medusa does for `printf ... | socat - UNIX:...`.
    peer_done: bool,
}

/// A listening server with its credentials.
#[derive(Debug)]
pub struct Server {
    pub listener: Listener,
    pub token: Token,
    pub config: crate::config::HttpServerConfig,
    /// `accept` is failing (descriptors exhausted): logged once per episode.
    pub accept_failing: bool,
    /// A retry of `accept` is armed.
    pub retry_armed: bool,
}

/// An HTTP connection's number. Numbers are never reused, so a stale timer, poll event or
/// access record finds nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Every HTTP server and connection.
#[derive(Debug, Default)]
pub struct HttpState {
    pub servers: Vec<Server>,
    pub conns: std::collections::HashMap<ConnId, Conn>,
    next_conn: ConnId,
    /// A descriptor kept in reserve: freed to accept (and then place or refuse) a client
    /// when the process is out of descriptors, so the backlog never stays full (D9).
    pub reserve: Option<std::fs::File>,
}

impl Daemon {
    /// Registers opened listeners with the poll.
    pub fn add_servers(&mut self, servers: Vec<(Listener, crate::config::HttpServerConfig)>) {
        if self.http.reserve.is_none() {
            self.http.reserve = crate::daemon::budget::open_reserve();
        }
        for (mut listener, config) in servers {
            let index = self.http.servers.len();
            let token = self.token(Source::HttpListener(index));
            let registered = match &mut listener {
                Listener::Tcp(l) => self.poll.registry().register(l, token, Interest::READABLE),
                Listener::Unix { listener, .. } => {
                    self.poll
                        .registry()
                        .register(listener, token, Interest::READABLE)
                }
            };
            if let Err(e) = registered {
                self.model.log.log(
                    Level::Critical,
                    &format!("unable to watch an HTTP server: {e}"),
                );
            }
            self.http.servers.push(Server {
                listener,
                token,
                config,
                accept_failing: false,
                retry_armed: false,
            });
        }
    }

    /// Closes every server and connection; removes unix socket files.
    pub fn close_servers(&mut self) {
        let ids: Vec<ConnId> = self.http.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id);
        }
        for server in std::mem::take(&mut self.http.servers) {
            self.sources.remove(&server.token);
            match server.listener {
                Listener::Tcp(mut l) => {
                    let _ = self.poll.registry().deregister(&mut l);
                }
                Listener::Unix { mut listener, path } => {
                    let _ = self.poll.registry().deregister(&mut listener);
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }

    /// Accepts every waiting connection of server `index`.
    pub fn on_accept(&mut self, index: usize) {
        loop {
            let stream = match self.accept_one(index) {
                None => return,
                Some(Ok(s)) => {
                    self.on_accept_ok(index);
                    s
                }
                Some(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Some(Err(e)) => match self.on_accept_error(index, &e) {
                    AcceptNext::Again => continue,
                    AcceptNext::Stop => return,
                    AcceptNext::Adopt(s) => s,
                },
            };
            if self.admit(index) {
                self.add_conn(index, stream);
            }
        }
    }

    /// One `accept` on server `index`; `None` when there is no such server.
    pub(crate) fn accept_one(&self, index: usize) -> Option<std::io::Result<Stream>> {
        let server = self.http.servers.get(index)?;
        Some(match &server.listener {
            Listener::Tcp(l) => l.accept().map(|(s, _)| {
                let _ = s.set_nodelay(true);
                Stream::Tcp(s)
            }),
            Listener::Unix { listener, .. } => listener.accept().map(|(s, _)| Stream::Unix(s)),
        })
    }

    fn add_conn(&mut self, index: usize, mut stream: Stream) {
        let id = self.http.next_conn;
        self.http.next_conn = ConnId(id.0.wrapping_add(1));
        let token = self.token(Source::HttpConn(id));
        if self
            .poll
            .registry()
            .register(stream.source(), token, Interest::READABLE)
            .is_err()
        {
            self.sources.remove(&token);
            return;
        }
        let now = self.now.mono;
        let conn = Conn {
            stream,
            token,
            server: index,
            parser: RequestParser::new(),
            out: OutBuf::default(),
            state: ConnState::Open,
            writable: false,
            last_input: now,
            since: now,
            timer_at: None,
            head_checked: false,
            peer_done: false,
        };
        self.http.conns.insert(id, conn);
        // Clients send their request with the connect: answer it in this turn.
        self.on_conn_event(id);
        self.arm_stall_timer(id);
    }

    /// A connection is readable or writable.
    pub fn on_conn_event(&mut self, id: ConnId) {
        self.flush_conn(id);
        self.read_conn(id);
        self.process_requests(id);
        let catch_up = self.http.conns.get(&id).is_some_and(|c| match &c.state {
            ConnState::Streaming(tail) => c.out.is_empty() && tail.behind(),
            _ => false,
        });
        if catch_up {
            self.pump_tail(id);
        }
    }

    fn read_conn(&mut self, id: ConnId) {
        // Until its head is authenticated, a request gets one buffer per turn (D9).
        let cap = if self.read_sparingly(id) {
            self.read_buf.len()
        } else {
            READ_CAP
        };
        let mut buf = std::mem::take(&mut self.read_buf);
        let mut total = 0;
        let mut closed = false;
        let mut eof = false;
        if let Some(conn) = self.http.conns.get_mut(&id) {
            let discarding = matches!(conn.state, ConnState::Closing | ConnState::Streaming(_));
            // While requests cannot be handled (an answer is pending or unread), what the
            // client pipelines is kept up to a bound; the rest waits in the socket.
            let blocked =
                matches!(conn.state, ConnState::Waiting { .. }) || conn.out.len() > READ_CAP;
            if blocked && conn.parser.buffered() > READ_CAP {
                self.read_buf = buf;
                return;
            }
            while total < cap {
                match conn.stream.read(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        total += n;
                        conn.last_input = self.now.mono;
                        if !discarding {
                            if conn.parser.is_idle() {
                                // A new request begins: its head timeout runs from now.
                                conn.since = conn.last_input;
                            }
                            conn.parser.push(buf.get(..n).unwrap_or(&[]));
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            if eof && !closed {
                // A half-closed client still gets the answers to what it sent; a follower
                // or a connection with nothing left to send is done.
                let answer_pending = match conn.state {
                    ConnState::Open | ConnState::Waiting { .. } => true,
                    ConnState::Closing => !conn.out.is_empty(),
                    ConnState::Streaming(_) => false,
                };
                conn.peer_done = true;
                closed = !answer_pending;
            }
        }
        self.read_buf = buf;
        if closed {
            self.close_conn(id);
        } else if total >= cap {
            self.http_carry.push(id);
        }
    }

    /// Handles the complete requests buffered on an open connection.
    pub fn process_requests(&mut self, id: ConnId) {
        loop {
            let Some(conn) = self.http.conns.get_mut(&id) else {
                return;
            };
            // A client that does not read its answers gets no more until it does.
            if !matches!(conn.state, ConnState::Open) || conn.out.len() > READ_CAP {
                break;
            }
            match conn.parser.poll() {
                Progress::NeedMore => {
                    // No more requests can come from a client that closed its side.
                    if conn.peer_done {
                        self.set_closing(id);
                        return;
                    }
                    if !self.check_head(id) {
                        return;
                    }
                    break;
                }
                Progress::SendContinue => {
                    if !self.check_head(id) {
                        return;
                    }
                    self.send(id, response::CONTINUE.to_vec());
                }
                Progress::Request(req) => {
                    conn.head_checked = false;
                    conn.since = self.now.mono;
                    self.serve_logged(id, req);
                }
                Progress::Reject(reject) => {
                    self.model.log.log(
                        Level::Debug,
                        &format!("refused an HTTP request: {}", reject.reason),
                    );
                    let wall = self.now.wall;
                    let bytes =
                        response::error(Version::Http11, reject.status, Connection::Close, wall);
                    self.send(id, bytes);
                    self.set_closing(id);
                }
            }
        }
        self.arm_stall_timer(id);
    }

    /// Queues `bytes` and writes what the socket takes now.
    pub fn send(&mut self, id: ConnId, bytes: Vec<u8>) {
        if let Some(access) = self.access.get_mut(&id) {
            access.sent(&bytes);
        }
        if let Some(conn) = self.http.conns.get_mut(&id) {
            conn.out.push(bytes);
        }
        self.flush_conn(id);
    }

    /// [`Daemon::send`] of `bytes[start..]`.
    pub fn send_from(&mut self, id: ConnId, bytes: Vec<u8>, start: usize) {
        if let Some(access) = self.access.get_mut(&id) {
            access.sent(bytes.get(start..).unwrap_or_default());
        }
        if let Some(conn) = self.http.conns.get_mut(&id) {
            conn.out.push_from(bytes, start);
        }
        self.flush_conn(id);
    }

    /// Writes queued output until the socket is full; manages WRITABLE interest; finishes a
    /// closing connection once everything is out.
    pub fn flush_conn(&mut self, id: ConnId) {
        let Some(conn) = self.http.conns.get_mut(&id) else {
            return;
        };
        let mut written = 0;
        let mut failed = false;
        while written < conn.out.len() {
            match conn
                .stream
                .write(conn.out.unsent().get(written..).unwrap_or(&[]))
            {
                Ok(0) => {
                    failed = true;
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        conn.out.consume(written);
        if written > 0 && conn.out.is_empty() {
            // The answer is out: an idle period begins.
            conn.since = self.now.mono;
        }
        if failed {
            self.close_conn(id);
            return;
        }
        let want_write = !conn.out.is_empty();
        let finished = !want_write && conn.peer_done && matches!(conn.state, ConnState::Closing);
        if finished {
            self.close_conn(id);
            return;
        }
        if want_write != conn.writable {
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .poll
                .registry()
                .reregister(conn.stream.source(), conn.token, interest)
                .is_ok()
            {
                conn.writable = want_write;
            }
        }
        if !want_write && matches!(conn.state, ConnState::Closing) {
            conn.stream.shutdown_write();
        }
    }

    /// After an error or `Connection: close`: flush, then close the sending side.
    pub fn set_closing(&mut self, id: ConnId) {
        if let Some(conn) = self.http.conns.get_mut(&id) {
            conn.state = ConnState::Closing;
            conn.last_input = self.now.mono;
            // Nothing buffered will be parsed any more: free it now (D9).
            conn.parser = RequestParser::new();
        }
        self.flush_conn(id);
        self.arm_stall_timer(id);
    }

    pub fn close_conn(&mut self, id: ConnId) {
        if let Some(mut conn) = self.http.conns.remove(&id) {
            let _ = self.poll.registry().deregister(conn.stream.source());
            self.sources.remove(&conn.token);
        }
    }

    /// Completes waiting RPC answers whose state was reached.
    pub fn poll_waiting(&mut self) {
        let ids: Vec<ConnId> = self
            .http
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.state, ConnState::Waiting { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let Some(conn) = self.http.conns.get_mut(&id) else {
                continue;
            };
            let ConnState::Waiting {
                mut pending,
                version,
                connection,
                web,
            } = std::mem::replace(&mut conn.state, ConnState::Open)
            else {
                continue;
            };
            match pending.poll(self) {
                None => {
                    if let Some(conn) = self.http.conns.get_mut(&id) {
                        conn.state = ConnState::Waiting {
                            pending,
                            version,
                            connection,
                            web,
                        };
                    }
                }
                Some(result) => {
                    match web {
                        Some(job) => self.web_step_done(id, version, connection, *job, result),
                        None => self.answer_rpc(id, version, connection, result),
                    }
                    self.resume(id);
                }
            }
        }
    }

    /// After an answer: read on (edge-triggered input may already be waiting).
    pub fn resume(&mut self, id: ConnId) {
        if let Some(conn) = self.http.conns.get_mut(&id) {
            conn.since = self.now.mono;
        }
        self.process_requests(id);
        self.read_conn(id);
        self.process_requests(id);
    }
}
