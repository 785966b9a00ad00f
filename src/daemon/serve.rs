//! What each HTTP request gets: authentication, then `/RPC2` (XML-RPC), `/logtail/...`,
//! `/mainlogtail`, the web interface (`crate::web`), `/ok.html`, or 404 (reference §5.1, §5.7).

use std::path::PathBuf;

use crate::rpc::Value;

use crate::daemon::conn::{ConnId, ConnState};
use crate::daemon::core::Daemon;
use crate::daemon::logtail::Tail;
use crate::http::auth::{self, AuthResult};
use crate::http::request::Request;
use crate::http::response::{self, AccelBuffering, Response};
use crate::http::url;
use crate::http::{Connection, Method, Status, Version};
use crate::logging::level::Level;
use crate::model::Channel;
use crate::rpc::faults::Fault;
use crate::rpc::{codec, info, table, Reply};
use crate::web;

/// Longest request body quoted in the log line of a refused call.
const LOGGED_BODY: usize = 2048;

impl Daemon {
    pub(crate) fn handle_request(&mut self, id: ConnId, req: Request) {
        let (version, connection) = (req.version, req.connection);
        let wall = self.now.wall;
        let creds = self
            .http
            .conns
            .get(&id)
            .and_then(|c| self.http.servers.get(c.server))
            .and_then(|s| s.config.username.clone().zip(s.config.password.clone()));
        let head = req.method == Method::Head;
        let finish = |bytes| {
            if head {
                response::head_only(bytes)
            } else {
                bytes
            }
        };
        if let Some((user, password)) = creds {
            match auth::check(req.headers.get("authorization"), &user, &password) {
                AuthResult::Ok => {}
                AuthResult::Unauthorized => {
                    self.send(id, finish(response::unauthorized(version, wall)));
                    self.set_closing(id);
                    return;
                }
                AuthResult::BadRequest => {
                    let bytes =
                        response::error(version, Status::BadRequest, Connection::Close, wall);
                    self.send(id, finish(bytes));
                    self.set_closing(id);
                    return;
                }
            }
        }
        // The pages match the decoded path (`/%6fk.html` is `/ok.html`), as the reference's.
        let path = url::unquote(req.path());
        let handled = ["/RPC2", "/logtail", "/mainlogtail"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        if head || (!handled && !matches!(req.method, Method::Get | Method::Post)) {
            // As the reference: its handlers take GET or POST only; HEAD elsewhere finds no
            // such file, any other method is a bad request.
            let status = if head && !handled {
                Status::NotFound
            } else {
                Status::BadRequest
            };
            self.send(
                id,
                finish(response::error(version, status, connection, wall)),
            );
            self.close_if_asked(id, connection);
            return;
        }
        if path.starts_with("/RPC2") {
            self.serve_rpc(id, req);
        } else if path.starts_with("/logtail") {
            self.serve_logtail(id, &req, &path);
        } else if path.starts_with("/mainlogtail") {
            let log = self.model.log.path().map(PathBuf::from);
            self.start_tail(id, &req, log, AccelBuffering::Default);
        } else if path == "/metrics" && self.metrics_enabled(id) {
            let bytes = self.metrics_response(version, connection, wall);
            self.send(id, bytes);
        } else if web::serves(&path) {
            self.serve_web(id, &req, &path);
        } else if path == "/ok.html" {
            let bytes = Response::new(version, Status::Ok, connection, wall)
                .header("Content-Type", "text/plain")
                .body(b"OK");
            self.send(id, bytes);
        } else {
            self.send(
                id,
                response::error(version, Status::NotFound, connection, wall),
            );
        }
        self.close_if_asked(id, connection);
    }

    fn close_if_asked(&mut self, id: ConnId, connection: Connection) {
        let open = self
            .http
            .conns
            .get(&id)
            .is_some_and(|c| matches!(c.state, ConnState::Open));
        if open && connection == Connection::Close {
            self.set_closing(id);
        }
    }

    fn serve_rpc(&mut self, id: ConnId, req: Request) {
        let (version, connection) = (req.version, req.connection);
        if req.method != Method::Post {
            self.send(
                id,
                response::error(version, Status::BadRequest, connection, self.now.wall),
            );
            return;
        }
        if let Err(n) = crate::rpc::budget::check_markup(&req.body) {
            // DIVERGENCE(D9): the reference parses any number of elements.
            self.model.log.log(
                Level::Warn,
                &format!(
                    "refused an XML-RPC request of {n} tags (at most {})",
                    crate::rpc::budget::MAX_MARKUP
                ),
            );
            let bytes = response::error(
                version,
                Status::PayloadTooLarge,
                Connection::Close,
                self.now.wall,
            );
            self.send(id, bytes);
            self.set_closing(id);
            return;
        }
        let (name, params) = match codec::parse_method_call(&req.body) {
            Ok(call) => call,
            Err(e) => {
                let shown = req.body.get(..LOGGED_BODY).unwrap_or(&req.body);
                self.model.log.log(Level::Error, &e.log_message(shown));
                self.send(
                    id,
                    response::error(version, Status::BadRequest, connection, self.now.wall),
                );
                return;
            }
        };
        let tracing = self.model.log.enabled(Level::Trace);
        if tracing {
            self.model
                .log
                .log(Level::Trace, &format!("XML-RPC method called: {name}()"));
        }
        let reply = table::call(self, &name, &params);
        if tracing {
            // As the reference: a waiting answer "returned successfully" here.
            let line = match &reply {
                Ok(_) => format!("XML-RPC method {name}() returned successfully"),
                Err(f) => format!(
                    "XML-RPC method {name}() returned fault: [{}] {f}",
                    f.code.code()
                ),
            };
            self.model.log.log(Level::Trace, &line);
        }
        match reply {
            Ok(Reply::Now(v)) => self.answer_rpc(id, version, connection, Ok(v)),
            Ok(Reply::Later(mut pending)) => match pending.poll(self) {
                Some(result) => self.answer_rpc(id, version, connection, result),
                None => {
                    if let Some(conn) = self.http.conns.get_mut(&id) {
                        conn.state = ConnState::Waiting {
                            pending: Box::new(pending),
                            version,
                            connection,
                            web: None,
                        };
                    }
                }
            },
            Err(f) => self.answer_rpc(id, version, connection, Err(f)),
        }
    }

    pub(crate) fn answer_rpc(
        &mut self,
        id: ConnId,
        version: Version,
        connection: Connection,
        result: Result<Value, Fault>,
    ) {
        let (body, room) = match result {
            Ok(v) => codec::into_response_with_room(v),
            Err(f) => (codec::write_fault(&f), 0),
        };
        let (bytes, start) = response::xml_in_room(version, connection, self.now.wall, body, room);
        self.send_from(id, bytes, start);
        self.end_access(id);
        self.close_if_asked(id, connection);
    }

    fn serve_logtail(&mut self, id: ConnId, req: &Request, path: &str) {
        let rest = path.trim_start_matches("/logtail").trim_start_matches('/');
        let (name, channel) = rest.split_once('/').unwrap_or((rest, "stdout"));
        let chan = match channel {
            "stdout" => Some(Channel::Stdout),
            "stderr" => Some(Channel::Stderr),
            _ => None,
        };
        let log = chan.and_then(|chan| {
            let pid = info::lookup_process(&self.model, name).ok()?;
            self.model.readable_log(pid, chan)
        });
        self.start_tail(id, req, log, AccelBuffering::Off);
    }

    /// Answers a log stream, or 404 when there is no such file (yet).
    fn start_tail(
        &mut self,
        id: ConnId,
        req: &Request,
        path: Option<PathBuf>,
        accel: AccelBuffering,
    ) {
        let wall = self.now.wall;
        if req.method != Method::Get {
            self.send(
                id,
                response::error(req.version, Status::BadRequest, req.connection, wall),
            );
            return;
        }
        let opened = path.filter(|p| p.exists()).and_then(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((p, modified))
        });
        let Some((path, modified)) = opened else {
            self.send(
                id,
                response::error(req.version, Status::NotFound, req.connection, wall),
            );
            return;
        };
        let (head, framing) =
            response::log_stream(req.version, req.connection, wall, modified, accel);
        // `?offset=N` (ours, D8): follow from byte N, as the tail page does from where its
        // text ends.
        let from = req
            .query()
            .and_then(|q| url::query_value(q, "offset"))
            .and_then(|v| v.parse().ok());
        match Tail::open(&path, framing, from) {
            Ok(mut tail) => {
                let first = tail.pump();
                self.send(id, head);
                self.send(id, first);
                if let Some(conn) = self.http.conns.get_mut(&id) {
                    conn.state = ConnState::Streaming(Box::new(tail));
                }
            }
            Err(_) => self.send(
                id,
                response::error(req.version, Status::NotFound, req.connection, wall),
            ),
        }
    }

    /// Sends followers what their logs gained, keeping each one's queue short.
    pub fn pump_tails(&mut self) {
        let ids: Vec<ConnId> = self
            .http
            .conns
            .iter()
            .filter(|(_, c)| {
                matches!(c.state, ConnState::Streaming(_))
                    && c.out.len() < crate::daemon::logtail::PUMP_CHUNK
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.pump_tail(id);
        }
    }

    /// Sends one follower what its log gained.
    pub(crate) fn pump_tail(&mut self, id: ConnId) {
        let data = match self.http.conns.get_mut(&id).map(|c| &mut c.state) {
            Some(ConnState::Streaming(tail)) => tail.pump(),
            _ => return,
        };
        if !data.is_empty() {
            self.send(id, data);
        }
    }
}
