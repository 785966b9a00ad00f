//! Following `GET /logtail/...` and `GET /mainlogtail` (reference §5.7): `tail -f`,
//! `maintail -f` and the output side of `fg`.
//!
//! Owns the streaming GETs: one blocking socket per tail, multiplexed with poll(2) together
//! with a stop descriptor (the SIGINT pipe for `tail -f`, a private pipe for `fg`). Log bytes
//! are written through as they arrive, never decoded, so invalid UTF-8 cannot fail. Errors
//! are reported the reference's way: `<url> Cannot read, status code 404` on stderr. It must
//! not make XML-RPC calls.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::thread::JoinHandle;

use super::endpoint::{Endpoint, Stream};
use super::http::{self, BasicAuth, ChunkDecoder, Framing, ResponseHead};
use super::interrupt::readable;

/// Why a follow loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// The stop descriptor became readable (Ctrl-C for `tail -f`).
    Stopped,
    /// Every stream ended or failed.
    Ended,
}

/// The decoding state of one streamed response: head, then body.
#[derive(Debug, Default)]
pub struct BodyStream {
    head_bytes: Vec<u8>,
    framing: Option<Framing>,
    chunks: ChunkDecoder,
    done: bool,
}

/// What feeding bytes to a [`BodyStream`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Fed {
    /// Body bytes to show (possibly none yet).
    Data(Vec<u8>),
    /// The server answered with something else than 200.
    Status(u16),
    /// The response is not HTTP.
    Malformed(String),
}

impl BodyStream {
    /// Feeds bytes read from the socket.
    pub fn feed(&mut self, input: &[u8]) -> Fed {
        let mut body = Vec::new();
        let rest: Vec<u8> = match self.framing {
            Some(_) => input.to_vec(),
            None => {
                self.head_bytes.extend_from_slice(input);
                match http::parse_head(&self.head_bytes) {
                    Ok(None) => return Fed::Data(body),
                    Err(e) => return Fed::Malformed(e),
                    Ok(Some((ResponseHead { status, .. }, _))) if status != 200 => {
                        return Fed::Status(status)
                    }
                    Ok(Some((head, len))) => {
                        self.framing = Some(head.framing);
                        let rest = self.head_bytes.split_off(len);
                        self.head_bytes = Vec::new();
                        rest
                    }
                }
            }
        };
        match self.framing {
            Some(Framing::Chunked) => {
                if let Err(e) = self.chunks.feed(&rest, &mut body) {
                    return Fed::Malformed(e);
                }
                self.done = self.chunks.is_done();
            }
            Some(Framing::Length(left)) => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                body.extend_from_slice(rest.get(..take).unwrap_or_default());
                let left = left - take as u64;
                self.framing = Some(Framing::Length(left));
                self.done = left == 0;
            }
            Some(Framing::UntilClose) | None => body = rest,
        }
        Fed::Data(body)
    }

    /// True once the whole body arrived (a `/logtail` body never ends by itself).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// One streamed GET.
struct Tail {
    /// `serverurl + path`, the name errors are reported under.
    url: String,
    stream: Stream,
    body: BodyStream,
    /// `tail -f a b c`: each line is shown as `<prefix> | <line>`.
    prefix: Option<String>,
    /// The start of a line not complete yet (prefixed tails only).
    partial: Vec<u8>,
}

impl Tail {
    /// What to show for `data`: itself, or its complete lines prefixed.
    fn shown(&mut self, data: Vec<u8>) -> Vec<u8> {
        let Some(prefix) = &self.prefix else {
            return data;
        };
        self.partial.extend_from_slice(&data);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(i) = self
            .partial
            .get(start..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
        {
            let end = start + i + 1;
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(b" | ");
            out.extend_from_slice(self.partial.get(start..end).unwrap_or_default());
            start = end;
        }
        self.partial.drain(..start);
        out
    }

    /// The unfinished last line, prefixed and ended, when the tail stops.
    fn rest(&mut self) -> Vec<u8> {
        match &self.prefix {
            Some(_) if !self.partial.is_empty() => {
                self.partial.push(b'\n');
                let line = std::mem::take(&mut self.partial);
                let mut out = Vec::new();
                if let Some(prefix) = &self.prefix {
                    out.extend_from_slice(prefix.as_bytes());
                    out.extend_from_slice(b" | ");
                }
                out.extend_from_slice(&line);
                out
            }
            _ => Vec::new(),
        }
    }
}

impl Tail {
    fn open(
        endpoint: &Endpoint,
        url: &str,
        path: &str,
        auth: Option<BasicAuth<'_>>,
    ) -> Result<Tail, String> {
        let mut stream = endpoint.connect().map_err(|e| connect_error(&e))?;
        let host = endpoint.host_header();
        let req = http::Request {
            method: "GET",
            path,
            host: &host,
            auth,
            body: None,
        };
        http::send_request(&mut stream, &req).map_err(|e| connect_error(&e))?;
        Ok(Tail {
            prefix: None,
            partial: Vec::new(),
            url: format!("{url}{path}"),
            stream,
            body: BodyStream::default(),
        })
    }
}

fn connect_error(e: &io::Error) -> String {
    format!("Cannot connect, error: {}", super::client::os_error_text(e))
}

/// Streams every path to `out` until `stop` (if any) is readable or every stream has ended.
/// Failures are reported on `err` as `<url><path> <message>`, each ending only its stream.
pub fn follow(
    endpoint: &Endpoint,
    url: &str,
    paths: &[String],
    auth: Option<BasicAuth<'_>>,
    stop: Option<BorrowedFd<'_>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Followed {
    let named: Vec<(Option<String>, String)> = paths.iter().map(|p| (None, p.clone())).collect();
    follow_named(endpoint, url, &named, auth, stop, out, err)
}

/// [`follow`] where a path with a name has each line shown as `<name> | <line>`.
pub fn follow_named(
    endpoint: &Endpoint,
    url: &str,
    paths: &[(Option<String>, String)],
    auth: Option<BasicAuth<'_>>,
    stop: Option<BorrowedFd<'_>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Followed {
    let mut tails = Vec::new();
    for (prefix, path) in paths {
        match Tail::open(endpoint, url, path, auth) {
            Ok(mut tail) => {
                tail.prefix.clone_from(prefix);
                tails.push(tail);
            }
            Err(msg) => report(err, &format!("{url}{path}"), &msg),
        }
    }
    let followed = pump(&mut tails, stop, out, err);
    for tail in &mut tails {
        let _ = out.write_all(&tail.rest());
    }
    let _ = out.flush();
    followed
}

fn report(err: &mut dyn Write, url: &str, msg: &str) {
    // Nothing sensible is left to do if stderr is gone.
    let _ = writeln!(err, "{url} {msg}");
    let _ = err.flush();
}

/// The poll loop over the open tails and the stop descriptor.
fn pump(
    tails: &mut Vec<Tail>,
    stop: Option<BorrowedFd<'_>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Followed {
    let mut buf = vec![0u8; 16 * 1024];
    while !tails.is_empty() {
        let ready = match wait_readable(stop, tails) {
            Ok(ready) => ready,
            Err(e) => {
                report(err, "poll", &e.to_string());
                return Followed::Ended;
            }
        };
        let (stop_ready, tails_ready) = match stop {
            Some(_) => ready
                .split_first()
                .map_or((false, &[][..]), |(s, t)| (*s, t)),
            None => (false, &ready[..]),
        };
        if stop_ready {
            return Followed::Stopped;
        }
        let mut finished = Vec::new();
        for (i, tail) in tails.iter_mut().enumerate() {
            if !tails_ready.get(i).copied().unwrap_or(false) {
                continue;
            }
            let n = match tail.stream.read(&mut buf) {
                Ok(0) => {
                    finished.push(i);
                    continue;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    report(err, &tail.url, &format!("Cannot read, error: {e}"));
                    finished.push(i);
                    continue;
                }
            };
            match tail.body.feed(buf.get(..n).unwrap_or_default()) {
                Fed::Data(data) => {
                    let data = tail.shown(data);
                    if out.write_all(&data).and_then(|()| out.flush()).is_err() {
                        return Followed::Ended;
                    }
                    if tail.body.is_done() {
                        finished.push(i);
                    }
                }
                Fed::Status(status) => {
                    report(
                        err,
                        &tail.url,
                        &format!("Cannot read, status code {status}"),
                    );
                    finished.push(i);
                }
                Fed::Malformed(msg) => {
                    report(err, &tail.url, &format!("Cannot read, error: {msg}"));
                    finished.push(i);
                }
            }
        }
        for i in finished.into_iter().rev() {
            let mut tail = tails.remove(i);
            let _ = out.write_all(&tail.rest());
        }
    }
    Followed::Ended
}

/// poll(2) on `stop` (if any) then every tail: which are readable, in that order.
fn wait_readable(stop: Option<BorrowedFd<'_>>, tails: &[Tail]) -> io::Result<Vec<bool>> {
    let fds: Vec<BorrowedFd<'_>> = stop
        .into_iter()
        .chain(tails.iter().map(|t| t.stream.as_fd()))
        .collect();
    readable(&fds)
}

/// Tails streaming to stdout on their own thread until dropped (`fg`).
#[derive(Debug)]
pub struct Background {
    stop: UnixStream,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts streaming `paths` to stdout (errors to stderr) on a new thread.
    ///
    /// # Errors
    ///
    /// The stop pipe or the thread could not be created.
    pub fn start(
        endpoint: Endpoint,
        url: String,
        paths: Vec<String>,
        auth: Option<(String, String)>,
    ) -> io::Result<Background> {
        let (stop, stop_rx) = UnixStream::pair()?;
        let thread = std::thread::Builder::new()
            .name("fg-tail".into())
            .spawn(move || {
                let auth = auth.as_ref().map(|(u, p)| BasicAuth {
                    username: u,
                    password: p,
                });
                let (mut out, mut err) = (io::stdout(), io::stderr());
                follow(
                    &endpoint,
                    &url,
                    &paths,
                    auth,
                    Some(stop_rx.as_fd()),
                    &mut out,
                    &mut err,
                );
            })?;
        Ok(Background {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // If the byte cannot be written the thread has ended already.
        let _ = (&self.stop).write_all(b"x");
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_stream_chunked_in_pieces() {
        let mut s = BodyStream::default();
        assert_eq!(
            s.feed(b"HTTP/1.1 200 OK\r\nTransfer-Enc"),
            Fed::Data(vec![])
        );
        assert_eq!(
            s.feed(b"oding: chunked\r\n\r\n5\r\nhel"),
            Fed::Data(b"hel".to_vec())
        );
        assert_eq!(
            s.feed(b"lo\r\n3\r\n\xff\xfe!\r\n"),
            Fed::Data(b"lo\xff\xfe!".to_vec())
        );
        assert!(!s.is_done());
        assert_eq!(s.feed(b"0\r\n\r\n"), Fed::Data(vec![]));
        assert!(s.is_done());
    }

    #[test]
    fn body_stream_reports_status() {
        let mut s = BodyStream::default();
        assert_eq!(
            s.feed(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc"),
            Fed::Status(404)
        );
    }

    #[test]
    fn body_stream_length_and_garbage() {
        let mut s = BodyStream::default();
        assert_eq!(
            s.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc"),
            Fed::Data(b"ab".to_vec())
        );
        assert!(s.is_done());
        let mut s = BodyStream::default();
        assert!(matches!(s.feed(b"nonsense\r\n\r\n"), Fed::Malformed(_)));
    }

    fn serve_once(
        response: &'static [u8],
    ) -> (std::path::PathBuf, std::thread::JoinHandle<Vec<u8>>) {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ctl-stream-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("s.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let t = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            let mut req = vec![0u8; 1024];
            let n = conn.read(&mut req).unwrap();
            conn.write_all(response).unwrap();
            req.truncate(n);
            req
        });
        (sock, t)
    }

    #[test]
    fn follow_streams_until_the_server_closes() {
        let (sock, server) =
            serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        let (_keep, stop) = UnixStream::pair().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let url = format!("unix://{}", sock.display());
        let auth = Some(BasicAuth {
            username: "u",
            password: "p",
        });
        let end = follow(
            &Endpoint::Unix(sock.clone()),
            &url,
            &["/logtail/foo/stdout".to_string()],
            auth,
            Some(stop.as_fd()),
            &mut out,
            &mut err,
        );
        assert_eq!(end, Followed::Ended);
        assert_eq!(out, b"abc");
        assert!(err.is_empty());
        let req = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(
            req.starts_with("GET /logtail/foo/stdout HTTP/1.1\r\nHost: localhost\r\n"),
            "{req}"
        );
        assert!(req.contains("Authorization: Basic dTpw\r\n"), "{req}");
    }

    #[test]
    fn follow_reports_404_like_the_reference() {
        let (sock, server) = serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        let (_keep, stop) = UnixStream::pair().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let url = format!("unix://{}", sock.display());
        let end = follow(
            &Endpoint::Unix(sock.clone()),
            &url,
            &["/logtail/nosuch/stdout".to_string()],
            None,
            Some(stop.as_fd()),
            &mut out,
            &mut err,
        );
        server.join().unwrap();
        assert_eq!(end, Followed::Ended);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            format!("{url}/logtail/nosuch/stdout Cannot read, status code 404\n")
        );
    }

    #[test]
    fn follow_stops_when_stop_is_readable() {
        let (sock, _server) = serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let (mut trigger, stop) = UnixStream::pair().unwrap();
        trigger.write_all(b"x").unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let end = follow(
            &Endpoint::Unix(sock.clone()),
            "unix://x",
            &["/mainlogtail".to_string()],
            None,
            Some(stop.as_fd()),
            &mut out,
            &mut err,
        );
        assert_eq!(end, Followed::Stopped);
    }

    #[test]
    fn follow_reports_a_missing_socket() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let end = follow(
            &Endpoint::Unix("/nonexistent/s.sock".into()),
            "unix:///nonexistent/s.sock",
            &["/mainlogtail".to_string()],
            None,
            None,
            &mut out,
            &mut err,
        );
        assert_eq!(end, Followed::Ended);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "unix:///nonexistent/s.sock/mainlogtail Cannot connect, error: No such file or directory\n"
        );
    }
}
