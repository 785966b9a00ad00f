//! Incremental HTTP/1.x request framing: bytes in, [`Progress`] out (reference §5.1, D5).
//!
//! [`RequestParser`] is fed bytes as they arrive (any split, down to one byte at a time) and
//! yields complete [`Request`]s, a request to send `100 Continue`, or a [`Reject`] carrying the
//! status to answer with. Heads are parsed with `httparse`; bodies are framed by
//! `Content-Length` only (Python clients never send chunked bodies). Bytes after a complete
//! request stay buffered for the next one (pipelining).
//!
//! Pure: no sockets, no clock, no logging. It never decides routing or authentication.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::fmt;

use super::url;
use super::{Connection, Method, Status, Version};

/// Largest accepted request head (request line + headers + blank line), decision D5.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest accepted request body (D9). The largest requests real clients send are a chunk
/// of stdin (`sendProcessStdin`, which buffers at most 1 MiB for a child) and a
/// `system.multicall` of one call per process (about 400 bytes a call); 2 MiB carries
/// either with room for the markup. What parsing costs is bounded separately by the
/// number of elements (`rpc::budget`).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Most header lines in one head; more is answered like an oversized head.
const MAX_HEADERS: usize = 128;

/// Request headers in arrival order, looked up case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The value of the first header called `name` (any case). Values are trimmed by
    /// `httparse`; bytes that are not UTF-8 become U+FFFD.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header as `(name, value)`, names as sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// True when a comma-separated header called `name` lists `token` (any case), as for
    /// `Connection: keep-alive` or `Expect: 100-continue`.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.0
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// One complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The raw request-target: path and query, still percent-encoded.
    pub target: String,
    pub version: Version,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// HTTP/1.1 keeps alive unless `Connection: close`; HTTP/1.0 closes unless
    /// `Connection: keep-alive`.
    pub connection: Connection,
}

impl Request {
    /// The target's path, still percent-encoded (see [`url::split_target`]).
    pub fn path(&self) -> &str {
        url::split_target(&self.target).0
    }

    /// The target's query string without `?`, still encoded (see [`url::split_target`]).
    pub fn query(&self) -> Option<&str> {
        url::split_target(&self.target).1
    }
}

/// Why a request cannot be framed. The connection answers with `status` and closes: after a
/// reject the byte stream has no reliable request boundary any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject {
    pub status: Status,
    /// A short explanation for the log (our words; the client only sees the status page).
    pub reason: &'static str,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.code(),
            self.status.reason(),
            self.reason
        )
    }
}

/// The result of [`RequestParser::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// No complete request yet: read more bytes (the buffered part is kept).
    NeedMore,
    /// The head is in, it carries `Expect: 100-continue` (HTTP/1.1) and the body is not yet
    /// complete: write [`super::response::CONTINUE`], then keep feeding. Returned at most once
    /// per request, and never when the head is rejected instead.
    SendContinue,
    /// A complete request; any further bytes stay buffered for the next `poll`.
    Request(Request),
    /// The request is refused; answer `reject.status` and close. Every later `poll` returns
    /// the same reject.
    Reject(Reject),
}

/// A parsed head whose body is still arriving.
#[derive(Debug)]
struct PendingBody {
    request: Request,
    length: usize,
}

#[derive(Debug)]
enum State {
    /// Reading a head; `scanned` bytes of the buffer are known to hold no complete head.
    Head {
        scanned: usize,
    },
    Body(PendingBody),
    Failed(Reject),
}

/// Frames a byte stream into requests. One parser per connection.
#[derive(Debug)]
pub struct RequestParser {
    buf: Vec<u8>,
    state: State,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    pub fn new() -> Self {
        RequestParser {
            buf: Vec::new(),
            state: State::Head { scanned: 0 },
        }
    }

    /// Appends bytes received from the client. Nothing is parsed until [`poll`](Self::poll).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet returned in a request. The loop should stop reading while a
    /// request is being handled, so this stays bounded by one head plus one body.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True when no part of a request is buffered (bare CR/LF between requests do not count):
    /// the idle timeout of an incomplete request (D5) applies only when this is false.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head { .. })
            && self.buf.iter().all(|b| matches!(b, b'\r' | b'\n'))
    }

    /// The head of the request whose body is still arriving, for what must be decided
    /// before any of the body is read (authentication, D9).
    pub fn pending_head(&self) -> Option<&Request> {
        match &self.state {
            State::Body(pending) => Some(&pending.request),
            State::Head { .. } | State::Failed(_) => None,
        }
    }

    /// Tries to complete the next request from the buffered bytes.
    pub fn poll(&mut self) -> Progress {
        match std::mem::replace(&mut self.state, State::Head { scanned: 0 }) {
            State::Failed(reject) => self.fail(reject),
            State::Head { scanned } => self.poll_head(scanned),
            State::Body(pending) => self.poll_body(pending),
        }
    }

    fn poll_head(&mut self, scanned: usize) -> Progress {
        // RFC 9112 §2.2: ignore empty lines before a request line (supervisorctl sends an
        // extra CRLF after its logtail request). Dropping them here keeps re-parsing linear.
        if scanned == 0 {
            let blank = self
                .buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.buf.drain(..blank);
        }
        // A head can only end at a line feed: re-parse only when a new one arrived, so a
        // client trickling bytes costs linear time.
        let fresh = self.buf.get(scanned..).unwrap_or_default();
        if !fresh.contains(&b'\n') {
            return self.head_incomplete();
        }
        match parse_head(&self.buf) {
            HeadParse::Partial => self.head_incomplete(),
            HeadParse::Invalid(reject) => self.fail(reject),
            HeadParse::Complete {
                head_len,
                request,
                body,
            } => {
                if head_len > MAX_HEAD_BYTES {
                    return self.fail(too_large_head());
                }
                self.buf.drain(..head_len);
                let length = match body {
                    Ok(length) => length,
                    Err(reject) => return self.fail(reject),
                };
                let wants_continue = request.version == Version::Http11
                    && request.headers.has_token("Expect", "100-continue");
                match self.poll_body(PendingBody { request, length }) {
                    Progress::NeedMore if wants_continue => Progress::SendContinue,
                    progress => progress,
                }
            }
        }
    }

    fn head_incomplete(&mut self) -> Progress {
        if self.buf.len() > MAX_HEAD_BYTES {
            return self.fail(too_large_head());
        }
        self.state = State::Head {
            scanned: self.buf.len(),
        };
        Progress::NeedMore
    }

    fn poll_body(&mut self, pending: PendingBody) -> Progress {
        if self.buf.len() < pending.length {
            self.state = State::Body(pending);
            return Progress::NeedMore;
        }
        let PendingBody {
            mut request,
            length,
        } = pending;
        let rest = self.buf.split_off(length);
        request.body = std::mem::replace(&mut self.buf, rest);
        self.state = State::Head { scanned: 0 };
        Progress::Request(request)
    }

    fn fail(&mut self, reject: Reject) -> Progress {
        self.buf = Vec::new();
        self.state = State::Failed(reject);
        Progress::Reject(reject)
    }
}

fn too_large_head() -> Reject {
    Reject {
        status: Status::RequestHeaderFieldsTooLarge,
        reason: "request head too large",
    }
}

enum HeadParse {
    Partial,
    Invalid(Reject),
    Complete {
        head_len: usize,
        request: Request,
        /// The body length, or why the body cannot be framed.
        body: Result<usize, Reject>,
    },
}

fn parse_head(buf: &[u8]) -> HeadParse {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return HeadParse::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return HeadParse::Invalid(Reject {
                status: Status::RequestHeaderFieldsTooLarge,
                reason: "too many header lines",
            })
        }
        Err(_) => return HeadParse::Invalid(bad_request("malformed request line or header")),
    };
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return HeadParse::Invalid(bad_request("incomplete request line"));
    };
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    let headers = Headers(
        parsed
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).into_owned();
                (h.name.to_string(), value)
            })
            .collect(),
    );
    let connection = match version {
        Version::Http11 if headers.has_token("Connection", "close") => Connection::Close,
        Version::Http11 => Connection::KeepAlive,
        Version::Http10 if headers.has_token("Connection", "keep-alive") => Connection::KeepAlive,
        Version::Http10 => Connection::Close,
    };
    let method = Method::parse(method);
    let body = body_length(&method, &headers);
    let request = Request {
        method,
        target: target.to_string(),
        version,
        headers,
        body: Vec::new(),
        connection,
    };
    HeadParse::Complete {
        head_len,
        request,
        body,
    }
}

/// Decides the body length from the head alone, before any body byte is read (D5).
fn body_length(method: &Method, headers: &Headers) -> Result<usize, Reject> {
    if headers.get("Transfer-Encoding").is_some() {
        // Python clients never send chunked bodies; RFC 9112 §6.3 lets a server insist on a
        // Content-Length with 411.
        return Err(Reject {
            status: Status::LengthRequired,
            reason: "Transfer-Encoding request bodies are not supported",
        });
    }
    let mut declared: Option<u64> = None;
    for (name, value) in headers.iter() {
        if !name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        let length = parse_content_length(value)?;
        if declared.is_some_and(|d| d != length) {
            return Err(bad_request("conflicting Content-Length headers"));
        }
        declared = Some(length);
    }
    match declared {
        Some(length) => match usize::try_from(length) {
            Ok(length) if length <= MAX_BODY_BYTES => Ok(length),
            _ => Err(Reject {
                status: Status::PayloadTooLarge,
                reason: "request body too large",
            }),
        },
        None if *method == Method::Post => Err(Reject {
            status: Status::LengthRequired,
            reason: "POST without Content-Length",
        }),
        None => Ok(0),
    }
}

fn parse_content_length(value: &str) -> Result<u64, Reject> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_request("invalid Content-Length"));
    }
    // Digits only: the one possible error is overflow, which is certainly too large.
    value.parse::<u64>().or(Ok(u64::MAX))
}

fn bad_request(reason: &'static str) -> Reject {
    Reject {
        status: Status::BadRequest,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn request(progress: Progress) -> Request {
        match progress {
            Progress::Request(r) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    #[track_caller]
    fn rejected(bytes: &[u8]) -> Status {
        let mut p = RequestParser::new();
        p.push(bytes);
        match p.poll() {
            Progress::Reject(r) => r.status,
            other => panic!("expected a reject, got {other:?}"),
        }
    }

    fn parse_all(bytes: &[u8]) -> Progress {
        let mut p = RequestParser::new();
        p.push(bytes);
        p.poll()
    }

    // -- complete requests -------------------------------------------------------------------

    #[test]
    fn post_with_body() {
        let r = request(parse_all(
            b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
        ));
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.target, "/RPC2");
        assert_eq!(r.version, Version::Http11);
        assert_eq!(r.body, b"hello");
        assert_eq!(r.connection, Connection::KeepAlive);
        assert_eq!(r.headers.get("host"), Some("localhost"));
        assert_eq!(r.headers.get("CONTENT-LENGTH"), Some("5"));
        assert_eq!(r.headers.get("nope"), None);
    }

    #[test]
    fn get_without_length_has_empty_body() {
        let r = request(parse_all(b"GET /logtail/foo?x=1 HTTP/1.0\r\n\r\n"));
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path(), "/logtail/foo");
        assert_eq!(r.query(), Some("x=1"));
        assert_eq!(r.version, Version::Http10);
        assert!(r.body.is_empty());
    }

    #[test]
    fn get_with_length_reads_body() {
        let r = request(parse_all(b"GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"));
        assert_eq!(r.body, b"ab");
    }

    #[test]
    fn bare_lf_line_endings_accepted() {
        let r = request(parse_all(b"GET / HTTP/1.1\nHost: x\n\n"));
        assert_eq!(r.headers.get("Host"), Some("x"));
    }

    #[test]
    fn header_iteration_keeps_order_and_names() {
        let r = request(parse_all(b"GET / HTTP/1.1\r\nB: 2\r\na: 1\r\nB: 3\r\n\r\n"));
        let all: Vec<_> = r.headers.iter().collect();
        assert_eq!(all, vec![("B", "2"), ("a", "1"), ("B", "3")]);
        assert_eq!(r.headers.get("b"), Some("2"));
    }

    #[test]
    fn non_utf8_header_value_is_replaced() {
        let r = request(parse_all(b"GET / HTTP/1.1\r\nX: a\xffb\r\n\r\n"));
        assert_eq!(r.headers.get("x"), Some("a\u{fffd}b"));
    }

    // -- keep-alive --------------------------------------------------------------------------

    #[test]
    fn keep_alive_rules() {
        let cases: [(&[u8], Connection); 6] = [
            (b"GET / HTTP/1.1\r\n\r\n", Connection::KeepAlive),
            (
                b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
                Connection::Close,
            ),
            (
                b"GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
                Connection::Close,
            ),
            (b"GET / HTTP/1.0\r\n\r\n", Connection::Close),
            (
                b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                Connection::KeepAlive,
            ),
            (
                b"GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
                Connection::KeepAlive,
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(request(parse_all(bytes)).connection, expected, "{bytes:?}");
        }
    }

    // -- incremental feeding -----------------------------------------------------------------

    #[test]
    fn one_byte_at_a_time() {
        let bytes = b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\nHost: h\r\n\r\nabc";
        let mut p = RequestParser::new();
        for (i, b) in bytes.iter().enumerate() {
            p.push(std::slice::from_ref(b));
            let progress = p.poll();
            if i + 1 < bytes.len() {
                assert_eq!(progress, Progress::NeedMore, "at byte {i}");
                assert!(!p.is_idle());
            } else {
                assert_eq!(request(progress).body, b"abc");
            }
        }
        assert!(p.is_idle());
        assert_eq!(p.buffered(), 0);
    }

    #[test]
    fn pipelined_requests_stay_buffered() {
        let mut p = RequestParser::new();
        p.push(b"GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nxGET /c");
        assert_eq!(request(p.poll()).target, "/a");
        let b = request(p.poll());
        assert_eq!((b.target.as_str(), b.body.as_slice()), ("/b", &b"x"[..]));
        assert_eq!(p.poll(), Progress::NeedMore);
        assert_eq!(p.buffered(), 6);
        p.push(b" HTTP/1.1\r\n\r\n");
        assert_eq!(request(p.poll()).target, "/c");
        assert_eq!(p.poll(), Progress::NeedMore);
    }

    #[test]
    fn leading_blank_lines_are_skipped_and_idle() {
        let mut p = RequestParser::new();
        p.push(b"GET /logtail/foo HTTP/1.1\r\n\r\n\r\n");
        assert_eq!(request(p.poll()).target, "/logtail/foo");
        assert_eq!(p.poll(), Progress::NeedMore);
        assert!(p.is_idle());
        p.push(b"\r\nGET /x HTTP/1.1\r\n\r\n");
        assert_eq!(request(p.poll()).target, "/x");
    }

    // -- Expect: 100-continue ----------------------------------------------------------------

    #[test]
    fn expect_continue_signalled_once_before_body() {
        let mut p = RequestParser::new();
        p.push(b"POST /RPC2 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        assert_eq!(p.poll(), Progress::SendContinue);
        assert_eq!(p.poll(), Progress::NeedMore);
        p.push(b"ab");
        assert_eq!(p.poll(), Progress::NeedMore);
        p.push(b"cd");
        assert_eq!(request(p.poll()).body, b"abcd");
    }

    #[test]
    fn expect_continue_not_signalled_when_body_already_there_or_http10() {
        let with_body = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz";
        assert_eq!(request(parse_all(with_body)).body, b"z");
        let http10 = b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n";
        assert_eq!(parse_all(http10), Progress::NeedMore);
        let empty = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(parse_all(empty), Progress::Request(_)));
    }

    #[test]
    fn expect_continue_with_oversized_body_is_rejected_not_continued() {
        let head = format!(
            "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert_eq!(rejected(head.as_bytes()), Status::PayloadTooLarge);
    }

    // -- limits (D5) -------------------------------------------------------------------------

    #[test]
    fn head_over_limit_is_431_even_before_it_ends() {
        let mut p = RequestParser::new();
        p.push(b"GET / HTTP/1.1\r\nX-Pad: ");
        p.push(&vec![b'a'; MAX_HEAD_BYTES]);
        assert_eq!(
            p.poll(),
            Progress::Reject(Reject {
                status: Status::RequestHeaderFieldsTooLarge,
                reason: "request head too large"
            })
        );
        // sticky, and the buffer is released
        assert!(matches!(p.poll(), Progress::Reject(_)));
        assert_eq!(p.buffered(), 0);
    }

    #[test]
    fn complete_head_over_limit_is_431() {
        let head = format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(70_000));
        assert_eq!(
            rejected(head.as_bytes()),
            Status::RequestHeaderFieldsTooLarge
        );
    }

    #[test]
    fn head_just_under_limit_is_accepted() {
        let fixed = "GET / HTTP/1.1\r\nX-Pad: \r\n\r\n".len();
        let head = format!(
            "GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES - fixed)
        );
        assert_eq!(head.len(), MAX_HEAD_BYTES);
        assert!(matches!(parse_all(head.as_bytes()), Progress::Request(_)));
    }

    #[test]
    fn too_many_headers_is_431() {
        let mut head = String::from("GET / HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("\r\n");
        assert_eq!(
            rejected(head.as_bytes()),
            Status::RequestHeaderFieldsTooLarge
        );
    }

    #[test]
    fn body_over_limit_is_413_before_reading_it() {
        let head = format!(
            "POST /RPC2 HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert_eq!(rejected(head.as_bytes()), Status::PayloadTooLarge);
        let huge = b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(rejected(huge), Status::PayloadTooLarge);
    }

    #[test]
    fn body_at_limit_is_accepted() {
        let head = format!("POST /RPC2 HTTP/1.1\r\nContent-Length: {MAX_BODY_BYTES}\r\n\r\n");
        let mut p = RequestParser::new();
        p.push(head.as_bytes());
        assert_eq!(p.poll(), Progress::NeedMore);
        p.push(&vec![b'x'; MAX_BODY_BYTES]);
        assert_eq!(request(p.poll()).body.len(), MAX_BODY_BYTES);
    }

    // -- framing errors ----------------------------------------------------------------------

    #[test]
    fn post_without_length_is_411() {
        assert_eq!(
            rejected(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Status::LengthRequired
        );
    }

    #[test]
    fn chunked_request_body_is_411() {
        let bytes =
            b"POST /RPC2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(rejected(bytes), Status::LengthRequired);
    }

    #[test]
    fn bad_content_length_is_400() {
        for value in ["abc", "-1", "1 2", "+5", "0x10", ""] {
            let head = format!("POST / HTTP/1.1\r\nContent-Length: {value}\r\n\r\n");
            assert_eq!(rejected(head.as_bytes()), Status::BadRequest, "{value:?}");
        }
    }

    #[test]
    fn conflicting_content_lengths_are_400_equal_ones_accepted() {
        let conflict = b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
        assert_eq!(rejected(conflict), Status::BadRequest);
        let same = b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab";
        assert_eq!(request(parse_all(same)).body, b"ab");
    }

    #[test]
    fn garbage_is_400() {
        assert_eq!(
            rejected(b"\x00\x01garbage garbage\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(rejected(b"GET / HTTP/2.0\r\n\r\n"), Status::BadRequest);
        assert_eq!(rejected(b"GET / FOO/1.1\r\n\r\n"), Status::BadRequest);
        assert_eq!(rejected(b"GET /\r\n\r\n"), Status::BadRequest);
        assert_eq!(
            rejected(b"GET / HTTP/1.1\r\nbad header\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            rejected(b"GET / HTTP/1.1\r\n folded: x\r\n\r\n"),
            Status::BadRequest
        );
    }

    #[test]
    fn garbage_request_line_rejected_before_the_blank_line() {
        let mut p = RequestParser::new();
        p.push(b"\x00\x01garbage\r\n");
        assert!(matches!(p.poll(), Progress::Reject(_)));
    }

    #[test]
    fn reject_display_names_status_and_reason() {
        let r = Reject {
            status: Status::LengthRequired,
            reason: "POST without Content-Length",
        };
        assert_eq!(
            r.to_string(),
            "411 Length Required: POST without Content-Length"
        );
    }

    // -- no panics on any input --------------------------------------------------------------

    /// A small deterministic generator (xorshift) so the property tests need no crate.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed | 1)
        }
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn random_and_split_inputs_never_panic() {
        let samples: [&[u8]; 5] = [
            b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
            b"GET /logtail/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 1\r\n\r\nxGET / HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
        ];
        let mut rng = Rng::new(0x5eed);
        for round in 0..3000 {
            let mut bytes = samples[round % samples.len()].to_vec();
            for _ in 0..rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = rng.next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, b"\r\n:\0 "[rng.below(5)]),
                }
            }
            if round % 7 == 0 {
                bytes = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            }
            let mut p = RequestParser::new();
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at(1 + rng.below(rest.len()));
                p.push(piece);
                rest = tail;
                for _ in 0..3 {
                    if let Progress::Reject(_) | Progress::NeedMore = p.poll() {
                        break;
                    }
                }
            }
        }
    }
}
