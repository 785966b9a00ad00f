//! The web interface on the loop (reference §5.7; D5, D8): gathers what the pages show,
//! checks the forms' token, performs the actions and answers with the pages of `crate::web`.
//!
//! Actions run through the same handlers as the XML-RPC calls. One that has to wait (a stop,
//! a start, a restart) parks its connection like a `wait=true` call; the redirect is sent in
//! the turn the awaited state is reached, and the loop never blocks.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::rpc::Value;

use crate::daemon::conn::{ConnId, ConnState};
use crate::daemon::core::Daemon;
use crate::http::request::Request;
use crate::http::response::{self, Response};
use crate::http::url;
use crate::http::{Connection, Method, Status, Version};
use crate::logging::level::Level;
use crate::logging::tail::decode_lossy;
use crate::model::{Channel, Process};
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::{description, lookup_process, require_running};
use crate::rpc::Reply;
use crate::timefmt;
use crate::web::action::{self, Action, Outcome, Step};
use crate::web::assets::{self, Asset};
use crate::web::notice;
use crate::web::status::{Row, StatusPage};
use crate::web::tail::{parse_limit, LogChannel, TailBody, TailPage};

/// An action under way: what was asked, and which of its calls runs now.
#[derive(Debug)]
pub struct Job {
    action: Action,
    step: Step,
}

/// The form's fields: the query's, and a POST body's (`x-www-form-urlencoded`), which win,
/// as in the reference.
struct Form {
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
}

impl Form {
    fn new(req: &Request) -> Form {
        let body = if req.method == Method::Post {
            url::parse_query(&String::from_utf8_lossy(&req.body))
        } else {
            Vec::new()
        };
        Form {
            query: req.query().map(url::parse_query).unwrap_or_default(),
            body,
        }
    }

    fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn get(&self, name: &str) -> Option<&str> {
        Form::find(&self.body, name).or_else(|| Form::find(&self.query, name))
    }

    /// Only from the body: a token in a URL would leak into logs and histories.
    fn token(&self) -> Option<&str> {
        Form::find(&self.body, "token")
    }
}

impl Daemon {
    /// Answers a web interface path (`crate::web::serves` said it is one).
    pub(crate) fn serve_web(&mut self, id: ConnId, req: &Request, path: &str) {
        match path {
            "/" | "/index.html" => self.web_index(id, req),
            "/tail.html" => self.web_tail(id, req),
            _ => match assets::find(path) {
                Some(asset) => self.web_asset(id, req, asset),
                None => self.send(
                    id,
                    response::error(req.version, Status::NotFound, req.connection, self.now.wall),
                ),
            },
        }
    }

    fn web_index(&mut self, id: ConnId, req: &Request) {
        let form = Form::new(req);
        let post = req.method == Method::Post;
        let identifier = self.model.config.supervisord.identifier.clone();
        if post && !form.token().is_some_and(|t| self.csrf.matches(t)) {
            self.model.log.log(
                Level::Warn,
                "refused a web form without this supervisord's token (nothing done)",
            );
            let html = notice::refused(&identifier);
            return self.send_page(id, req.version, req.connection, Status::Forbidden, &html);
        }
        let Some(key) = form.get("action") else {
            let html = self.status_html(
                form.get("message"),
                form.get("q").unwrap_or(""),
                form.get("group").unwrap_or(""),
            );
            return self.send_page(id, req.version, req.connection, Status::Ok, &html);
        };
        match Action::parse(key, form.get("processname")) {
            // DIVERGENCE(D8): the reference answers 500 (an uncaught ValueError).
            Err(e) => {
                let html = notice::bad_action(&e, &identifier);
                self.send_page(id, req.version, req.connection, Status::BadRequest, &html);
            }
            Ok(action) if post => self.web_act(id, req.version, req.connection, action),
            // D5: a GET never acts; it offers the action as a form instead.
            Ok(action) => {
                let html = notice::confirm(&action, self.csrf.as_str(), &identifier);
                self.send_page(id, req.version, req.connection, Status::Ok, &html);
            }
        }
    }

    /// The status page: every process in (group, name) order.
    fn status_html(&self, message: Option<&str>, filter: &str, group: &str) -> String {
        let now = self.now.secs();
        let mut procs: Vec<&Process> = self.model.procs.values().map(|p| &**p).collect();
        procs.sort_by(|a, b| (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name)));
        let rows: Vec<Row<'_>> = procs
            .iter()
            .map(|p| Row {
                group: &p.group,
                namespec: p.namespec(),
                state: p.machine.state(),
                description: description(p, now),
            })
            .collect();
        StatusPage {
            rows: &rows,
            message,
            token: self.csrf.as_str(),
            identifier: &self.model.config.supervisord.identifier,
            filter,
            group,
        }
        .render()
    }

    fn web_act(&mut self, id: ConnId, version: Version, connection: Connection, action: Action) {
        if action
            .process()
            .is_some_and(|name| lookup_process(&self.model, name).is_err())
        {
            return self.web_answer(id, version, connection, &action, Outcome::NoSuchProcess);
        }
        let step = action.first_step();
        self.web_step(id, version, connection, Job { action, step });
    }

    /// Runs the job's current call; parks the connection when it has to wait.
    fn web_step(&mut self, id: ConnId, version: Version, connection: Connection, job: Job) {
        let (handler, params) = job.action.call(job.step);
        let result = match handler(self, &params) {
            Ok(Reply::Now(v)) => Ok(v),
            Err(f) => Err(f),
            Ok(Reply::Later(mut pending)) => match pending.poll(self) {
                Some(result) => result,
                None => {
                    if let Some(conn) = self.http.conns.get_mut(&id) {
                        conn.state = ConnState::Waiting {
                            pending: Box::new(pending),
                            version,
                            connection,
                            web: Some(Box::new(job)),
                        };
                    }
                    return;
                }
            },
        };
        self.web_step_done(id, version, connection, job, result);
    }

    /// The job's current call answered: go on to the start of a restart, or redirect to the
    /// status page with the message.
    pub(crate) fn web_step_done(
        &mut self,
        id: ConnId,
        version: Version,
        connection: Connection,
        mut job: Job,
        result: Result<Value, Fault>,
    ) {
        if let Some(next) = job.action.next_step(job.step) {
            job.step = next;
            return self.web_step(id, version, connection, job);
        }
        let outcome = match result {
            Ok(_) => Outcome::Done,
            Err(f) => Outcome::Fault {
                code: f.code.code(),
                text: f.fault_string(),
            },
        };
        self.web_answer(id, version, connection, &job.action, outcome);
    }

    /// Redirect-after-POST to the status page showing what happened.
    // DIVERGENCE(D8): to a relative `index.html?message=...`, where the reference names
    // `http://<Host header>/`: a relative location survives a proxy (another scheme, host or
    // path prefix).
    fn web_answer(
        &mut self,
        id: ConnId,
        version: Version,
        connection: Connection,
        action: &Action,
        outcome: Outcome,
    ) {
        let message = action::message(action, &outcome, &timefmt::ctime(self.now.secs()));
        let location = format!("index.html?message={}", url::quote(&message));
        let bytes = response::redirect(version, connection, self.now.wall, &location);
        self.send(id, bytes);
        if connection == Connection::Close {
            self.set_closing(id);
        }
    }

    fn web_tail(&mut self, id: ConnId, req: &Request) {
        let form = Form::new(req);
        let name = form.get("processname");
        let channel = LogChannel::parse(form.get("channel"));
        let limit = parse_limit(form.get("limit"));
        let body = match name {
            None => TailBody::Notice("No process name found".into()),
            Some(name) => self.tail_body(name, channel, limit),
        };
        let html = TailPage {
            processname: name,
            channel,
            limit,
            body,
            identifier: &self.model.config.supervisord.identifier,
        }
        .render();
        self.send_page(id, req.version, req.connection, Status::Ok, &html);
    }

    /// The last `limit` bytes of a process's log, or the reference's text for why not.
    fn tail_body(&self, name: &str, channel: LogChannel, limit: u64) -> TailBody {
        let unexpected = |f: Fault| {
            TailBody::Notice(format!(
                "ERROR: unexpected rpc fault [{}] {}",
                f.code.code(),
                f.fault_string()
            ))
        };
        let id = match require_running(&self.model).and_then(|()| lookup_process(&self.model, name))
        {
            Ok(id) => id,
            Err(f) => return unexpected(f),
        };
        let chan = match channel {
            LogChannel::Stdout => Channel::Stdout,
            LogChannel::Stderr => Channel::Stderr,
        };
        let path = self
            .model
            .procs
            .get(&id)
            .and_then(|p| p.channel(chan).log_path.as_deref())
            .filter(|p| p.exists());
        let Some(path) = path else {
            return TailBody::Notice(format!("No file for {name}"));
        };
        match read_end(path, limit) {
            Ok((bytes, end)) => TailBody::Log {
                text: decode_lossy(&bytes),
                end,
            },
            Err(_) => unexpected(Fault::new(FaultCode::Failed)),
        }
    }

    fn web_asset(&mut self, id: ConnId, req: &Request, asset: &Asset) {
        let etag = asset.etag();
        let status = if asset.not_modified(req.headers.get("if-none-match")) {
            Status::NotModified
        } else {
            Status::Ok
        };
        let full = Response::new(req.version, status, req.connection, self.now.wall)
            .header("Content-Type", asset.content_type)
            .header("Cache-Control", assets::CACHE_CONTROL)
            .header("ETag", &etag)
            .header("X-Content-Type-Options", "nosniff")
            .body(asset.body);
        // A 304 keeps the 200's Content-Length but has no body (RFC 9110 §15.4.5).
        let bytes = if status == Status::NotModified {
            response::head_only(full)
        } else {
            full
        };
        self.send(id, bytes);
    }

    /// A page with the reference's no-cache headers, and ours that keep other sites from
    /// framing it or running anything in it.
    fn send_page(
        &mut self,
        id: ConnId,
        version: Version,
        connection: Connection,
        status: Status,
        html: &str,
    ) {
        let bytes = Response::new(version, status, connection, self.now.wall)
            .header("Content-Type", "text/html;charset=utf-8")
            .header("Pragma", "no-cache")
            .header("Cache-Control", "no-cache")
            .header("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
            .header(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                 connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            )
            .header("X-Frame-Options", "DENY")
            .header("X-Content-Type-Options", "nosniff")
            .header("Referrer-Policy", "same-origin")
            .body(html.as_bytes());
        self.send(id, bytes);
    }
}

/// The last `limit` bytes of `path`, and the offset just after them.
fn read_end(path: &Path, limit: u64) -> std::io::Result<(Vec<u8>, u64)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let start = size.saturating_sub(limit);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(usize::try_from(size - start).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes)?;
    let end = start + bytes.len() as u64;
    Ok((bytes, end))
}
