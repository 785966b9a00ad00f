//! supervisorctl's side of the wire: XML-RPC calls over the server's socket, and the errors
//! they end in.
//!
//! Owns the exchange (HTTP/1.1 POST `/RPC2` over a unix socket or TCP, basic auth only when
//! both username and password are set, `Host: localhost` on unix sockets; the body written and
//! read by the daemon's own codec, `rpc::codec`) and the [`Remote`] trait the commands talk
//! through, so they can be tested without a server. Replies are decoded lossily, so invalid
//! UTF-8 or control characters in a log never fail a call (the reference's expat parser fails
//! on both). It must not print: the commands decide what the user sees.

use std::fmt;
use std::io::{self, Read, Write};
use std::rc::Rc;

use crate::rpc::Value;

use super::endpoint::Endpoint;
use super::http::{self, BasicAuth};
use super::http_stream::{self, Background, Followed};
use super::interrupt::Interrupt;
use crate::rpc::codec::{self, Answer, Row};

/// The server supervisorctl talks to and the credentials it presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `serverurl` exactly as configured (it appears in messages).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Server {
    /// Basic-auth credentials: only when both username and password are set.
    pub fn auth(&self) -> Option<BasicAuth<'_>> {
        match (&self.username, &self.password) {
            (Some(username), Some(password)) => Some(BasicAuth { username, password }),
            _ => None,
        }
    }
}

/// Why a call did not return a value.
#[derive(Debug)]
pub enum CallError {
    /// An XML-RPC fault.
    Fault { code: i64, string: String },
    /// connect(2) failed.
    Connect { url: String, error: io::Error },
    /// The server answered with an HTTP status other than 200.
    Http {
        url: String,
        status: u16,
        reason: String,
    },
    /// The exchange failed after connecting, or the reply was not XML-RPC.
    Exchange { url: String, detail: String },
    /// The reply was XML-RPC but not shaped as the method returns.
    BadReply { method: String, detail: String },
    /// The serverurl cannot be used.
    BadUrl(String),
}

impl CallError {
    /// The fault code, for a fault.
    pub fn fault_code(&self) -> Option<i64> {
        match self {
            CallError::Fault { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The OS error of a failed connect.
    pub fn connect_errno(&self) -> Option<i32> {
        match self {
            CallError::Connect { error, .. } => error.raw_os_error(),
            _ => None,
        }
    }

    /// True for HTTP 401.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, CallError::Http { status: 401, .. })
    }
}

impl fmt::Display for CallError {
    /// One clean line (DIVERGENCE(Q10, Q29): the reference prints raw Python exceptions).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Fault {
                code: SHUTDOWN_STATE,
                ..
            } => {
                write!(f, "ERROR: supervisor shutting down")
            }
            CallError::Fault { string, .. } => write!(f, "ERROR: {string}"),
            CallError::Connect { url, error } => match error.raw_os_error() {
                Some(libc::ECONNREFUSED) => write!(f, "{url} refused connection"),
                Some(libc::ENOENT) => write!(f, "{url} no such file"),
                _ => write!(f, "ERROR: {url}: {}", os_error_text(error)),
            },
            CallError::Http { status: 401, .. } => write!(f, "Server requires authentication"),
            CallError::Http {
                url,
                status,
                reason,
            } => {
                write!(f, "ERROR: {url} answered {status} {reason}")
            }
            CallError::Exchange { url, detail } => write!(f, "ERROR: {url}: {detail}"),
            CallError::BadReply { method, detail } => {
                write!(f, "ERROR: unexpected reply to {method}: {detail}")
            }
            CallError::BadUrl(msg) => write!(f, "ERROR: {msg}"),
        }
    }
}

const SHUTDOWN_STATE: i64 = 6;

/// An OS error's text without Rust's ` (os error N)` suffix.
pub fn os_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// What the commands need from the server.
pub trait Remote {
    /// One XML-RPC call.
    ///
    /// # Errors
    ///
    /// Faults, connection and HTTP failures, unreadable replies.
    fn call(&self, server: &Server, method: &str, params: Vec<Value>) -> Result<Value, CallError>;

    /// A call whose answer should be an array of structs of which only the members `keys`
    /// are wanted (`getAllProcessInfo` of thousands of processes).
    ///
    /// # Errors
    ///
    /// As [`Remote::call`].
    fn call_rows(
        &self,
        server: &Server,
        method: &str,
        params: Vec<Value>,
        keys: &[&str],
    ) -> Result<Rows, CallError> {
        self.call(server, method, params)
            .map(|v| Rows::from_value(v, keys))
    }

    /// Streams `path` (`/logtail/...`, `/mainlogtail`) to `out` until Ctrl-C or the end of the
    /// stream; failures go to `err` as the reference reports them.
    fn follow(
        &self,
        server: &Server,
        path: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Followed;

    /// Streams several `(name, path)` logs at once, each line shown as `<name> | <line>`,
    /// until Ctrl-C or every stream ended (`tail -f a b c`).
    fn follow_named(
        &self,
        server: &Server,
        tails: &[(String, String)],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Followed;

    /// Starts streaming `paths` to stdout until the returned guard is dropped (`fg`).
    ///
    /// # Errors
    ///
    /// A bad serverurl, or the streaming thread could not start.
    fn tail_in_background(
        &self,
        server: &Server,
        paths: Vec<String>,
    ) -> Result<Box<dyn Running>, CallError>;
}

/// What [`Remote::call_rows`] answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// Each struct's wanted members, in the order asked (`None` when absent).
    Rows(Vec<Row>),
    /// Not an array of structs: the commands say what is wrong with it.
    Other(Value),
}

impl Rows {
    /// The rows of an answer already read whole.
    pub fn from_value(value: Value, keys: &[&str]) -> Rows {
        match &value {
            Value::Array(items) if items.iter().all(|i| i.as_struct().is_some()) => Rows::Rows(
                items
                    .iter()
                    .map(|item| keys.iter().map(|k| item.get(k).cloned()).collect())
                    .collect(),
            ),
            _ => Rows::Other(value),
        }
    }
}

/// Something that runs until it is dropped.
pub trait Running {}

impl Running for Background {}

/// The real [`Remote`]: sockets.
#[derive(Debug)]
pub struct Network {
    /// `None` if SIGINT is ignored or the handlers could not be installed: Ctrl-C then does
    /// what it would do to any program.
    interrupt: Option<Rc<Interrupt>>,
}

impl Network {
    /// Sockets; `interrupt` lets Ctrl-C end `tail -f`.
    pub fn new(interrupt: Option<Rc<Interrupt>>) -> Network {
        Network { interrupt }
    }
}

impl Network {
    /// Follows `paths` (each line prefixed `<name> | ` where a name is given) until the
    /// streams end or the user interrupts; `what` follows the URL in a bad-URL message.
    fn follow_paths(
        &self,
        server: &Server,
        what: &str,
        paths: &[(Option<String>, String)],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Followed {
        let endpoint = match Endpoint::parse(&server.url) {
            Ok(endpoint) => endpoint,
            Err(msg) => {
                let _ = writeln!(err, "{}{what} {msg}", server.url);
                return Followed::Ended;
            }
        };
        let _catching = self.interrupt.as_ref().map(|i| i.catch());
        let stop = self.interrupt.as_ref().map(|i| i.fd());
        http_stream::follow_named(&endpoint, &server.url, paths, server.auth(), stop, out, err)
    }
}

impl Remote for Network {
    fn call(&self, server: &Server, method: &str, params: Vec<Value>) -> Result<Value, CallError> {
        call(server, method, params)
    }

    fn call_rows(
        &self,
        server: &Server,
        method: &str,
        params: Vec<Value>,
        keys: &[&str],
    ) -> Result<Rows, CallError> {
        let endpoint = Endpoint::parse(&server.url).map_err(CallError::BadUrl)?;
        let body = codec::write_method_call(method, &params);
        let reply = exchange(
            server,
            &endpoint.host_header(),
            || endpoint.connect(),
            &body,
        )?;
        match codec::parse_struct_rows(&reply, keys) {
            Some(rows) => Ok(Rows::Rows(rows)),
            None => answer(server, &reply).map(Rows::Other),
        }
    }

    fn follow(
        &self,
        server: &Server,
        path: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Followed {
        self.follow_paths(server, path, &[(None, path.to_string())], out, err)
    }

    fn follow_named(
        &self,
        server: &Server,
        tails: &[(String, String)],
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Followed {
        let named: Vec<(Option<String>, String)> = tails
            .iter()
            .map(|(name, path)| (Some(name.clone()), path.clone()))
            .collect();
        self.follow_paths(server, "", &named, out, err)
    }

    fn tail_in_background(
        &self,
        server: &Server,
        paths: Vec<String>,
    ) -> Result<Box<dyn Running>, CallError> {
        let endpoint = Endpoint::parse(&server.url).map_err(CallError::BadUrl)?;
        let auth = server
            .auth()
            .map(|a| (a.username.to_string(), a.password.to_string()));
        Background::start(endpoint, server.url.clone(), paths, auth)
            .map(|b| Box::new(b) as Box<dyn Running>)
            .map_err(|e| CallError::Exchange {
                url: server.url.clone(),
                detail: os_error_text(&e),
            })
    }
}

/// One XML-RPC call over a fresh connection.
///
/// # Errors
///
/// Faults, connection and HTTP failures, unreadable replies.
pub fn call(server: &Server, method: &str, params: Vec<Value>) -> Result<Value, CallError> {
    let endpoint = Endpoint::parse(&server.url).map_err(CallError::BadUrl)?;
    call_over(server, method, params, &endpoint.host_header(), || {
        endpoint.connect()
    })
}

/// [`call`] over the stream `connect` opens: the whole reading of a reply (HTTP head, body
/// framing, XML-RPC response, faults) whatever the stream is. Public for the fuzz target,
/// which feeds it arbitrary replies.
///
/// # Errors
/// As [`call`].
pub fn call_over<S: Read + Write>(
    server: &Server,
    method: &str,
    params: Vec<Value>,
    host: &str,
    connect: impl FnOnce() -> io::Result<S>,
) -> Result<Value, CallError> {
    let body = codec::write_method_call(method, &params);
    let reply = exchange(server, host, connect, &body)?;
    answer(server, &reply)
}

/// The value (or fault) a reply body carries.
fn answer(server: &Server, reply: &[u8]) -> Result<Value, CallError> {
    match codec::parse_method_response(reply) {
        Ok(Answer::Value(value)) => Ok(value),
        Ok(Answer::Fault { code, string }) => Err(CallError::Fault { code, string }),
        Err(e) => Err(CallError::Exchange {
            url: server.url.clone(),
            detail: e.to_string(),
        }),
    }
}

/// One POST `/RPC2`; the body of a 200 answer.
fn exchange<S: Read + Write>(
    server: &Server,
    host: &str,
    connect: impl FnOnce() -> io::Result<S>,
    body: &[u8],
) -> Result<Vec<u8>, CallError> {
    let url = &server.url;
    let exchange_error = |e: io::Error| CallError::Exchange {
        url: url.clone(),
        detail: os_error_text(&e),
    };
    let mut stream = connect().map_err(|error| CallError::Connect {
        url: url.clone(),
        error,
    })?;
    let req = http::Request {
        method: "POST",
        path: "/RPC2",
        host,
        auth: server.auth(),
        body: Some(body),
    };
    http::send_request(&mut stream, &req).map_err(exchange_error)?;
    let (head, pre) = http::read_head(&mut stream).map_err(exchange_error)?;
    if head.status != 200 {
        return Err(CallError::Http {
            url: url.clone(),
            status: head.status,
            reason: head.reason,
        });
    }
    http::read_body(&mut stream, head.framing, pre).map_err(exchange_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixListener;

    fn server(url: String) -> Server {
        Server {
            url,
            username: None,
            password: None,
        }
    }

    /// Answers one request with `response` on a fresh unix socket; returns the request seen.
    fn serve_once(response: Vec<u8>) -> (String, std::thread::JoinHandle<String>) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ctl-client-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("s.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let t = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&req).contains("</methodCall>") {
                let n = conn.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
            }
            conn.write_all(&response).unwrap();
            String::from_utf8(req).unwrap()
        });
        (format!("unix://{}", sock.display()), t)
    }

    fn xml_reply(value: &[u8]) -> Vec<u8> {
        let mut body = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n".to_vec();
        body.extend_from_slice(value);
        body.extend_from_slice(b"</param>\n</params>\n</methodResponse>\n");
        let mut resp = format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        resp.extend_from_slice(&body);
        resp
    }

    #[test]
    fn call_sends_rpc2_post_and_parses_the_reply() {
        let (url, t) = serve_once(xml_reply(b"<value><string>3.0</string></value>\n"));
        let s = Server {
            url,
            username: Some("user".into()),
            password: Some("123".into()),
        };
        let v = Network::new(None)
            .call(&s, "supervisor.getVersion", vec![])
            .unwrap();
        assert_eq!(v, Value::String("3.0".into()));
        let req = t.join().unwrap();
        assert!(
            req.starts_with("POST /RPC2 HTTP/1.1\r\nHost: localhost\r\n"),
            "{req}"
        );
        assert!(
            req.contains("Authorization: Basic dXNlcjoxMjM=\r\n"),
            "{req}"
        );
        assert!(
            req.contains("<methodName>supervisor.getVersion</methodName>"),
            "{req}"
        );
    }

    #[test]
    fn no_auth_header_without_a_password() {
        let (url, t) = serve_once(xml_reply(b"<value><int>1</int></value>\n"));
        let s = Server {
            url,
            username: Some("user".into()),
            password: None,
        };
        Network::new(None)
            .call(&s, "supervisor.getPID", vec![])
            .unwrap();
        assert!(!t.join().unwrap().contains("Authorization"));
    }

    #[test]
    fn invalid_utf8_and_control_characters_survive() {
        let (url, t) = serve_once(xml_reply(
            b"<value><string>\x1b[31mred\x1b[0m \xff\x0c&lt;ok&gt;</string></value>\n",
        ));
        let v = Network::new(None)
            .call(&server(url), "supervisor.readLog", vec![])
            .unwrap();
        t.join().unwrap();
        assert_eq!(
            v,
            Value::String("\x1b[31mred\x1b[0m \u{fffd}\x0c<ok>".into())
        );
    }

    #[test]
    fn large_offsets_arrive_as_i8() {
        let (url, t) = serve_once(xml_reply(b"<value><array><data><value><string>x</string></value><value><i8>3221225472</i8></value></data></array></value>\n"));
        let v = Network::new(None)
            .call(&server(url), "supervisor.tailProcessLog", vec![])
            .unwrap();
        t.join().unwrap();
        assert_eq!(
            v,
            Value::Array(vec![Value::String("x".into()), Value::Int64(3221225472)])
        );
    }

    #[test]
    fn faults_are_returned_with_code_and_text() {
        let fault = b"<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n\
<member>\n<name>faultCode</name>\n<value><int>10</int></value>\n</member>\n\
<member>\n<name>faultString</name>\n<value><string>BAD_NAME: nosuch</string></value>\n</member>\n\
</struct></value>\n</fault>\n</methodResponse>\n";
        let mut resp =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", fault.len()).into_bytes();
        resp.extend_from_slice(fault);
        let (url, t) = serve_once(resp);
        let e = Network::new(None)
            .call(&server(url), "supervisor.getProcessInfo", vec![])
            .unwrap_err();
        t.join().unwrap();
        assert_eq!(e.fault_code(), Some(10));
        assert_eq!(e.to_string(), "ERROR: BAD_NAME: nosuch");
    }

    #[test]
    fn http_errors_keep_their_status() {
        let (url, t) = serve_once(
            b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
        );
        let e = Network::new(None)
            .call(&server(url.clone()), "supervisor.getPID", vec![])
            .unwrap_err();
        t.join().unwrap();
        assert!(e.is_unauthorized());
        assert_eq!(e.to_string(), "Server requires authentication");
        let (url, t) =
            serve_once(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".to_vec());
        let e = Network::new(None)
            .call(&server(url.clone()), "supervisor.getPID", vec![])
            .unwrap_err();
        t.join().unwrap();
        assert_eq!(
            e.to_string(),
            format!("ERROR: {url} answered 500 Internal Server Error")
        );
    }

    #[test]
    fn connection_failures_read_like_the_reference() {
        let e = Network::new(None)
            .call(
                &server("unix:///nonexistent/x.sock".into()),
                "supervisor.getPID",
                vec![],
            )
            .unwrap_err();
        assert_eq!(e.connect_errno(), Some(libc::ENOENT));
        assert_eq!(e.to_string(), "unix:///nonexistent/x.sock no such file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let e = Network::new(None)
            .call(&server(url.clone()), "supervisor.getPID", vec![])
            .unwrap_err();
        assert_eq!(e.to_string(), format!("{url} refused connection"));
        let e = Network::new(None)
            .call(&server("ftp://x".into()), "supervisor.getPID", vec![])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "ERROR: Unknown protocol for serverurl ftp://x"
        );
    }

    #[test]
    fn garbage_replies_are_exchange_errors() {
        let (url, t) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec());
        let e = Network::new(None)
            .call(&server(url), "supervisor.getPID", vec![])
            .unwrap_err();
        t.join().unwrap();
        assert!(e.to_string().starts_with("ERROR: "), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
}
