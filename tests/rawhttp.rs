//! A deliberately dumb HTTP/1.1 client over the daemon's unix socket, for tests that need to
//! send exactly the bytes they mean (malformed, partial, pipelined) and see every byte back.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::util::Sandbox;

/// How long a read may wait: far above any answer the tests expect, so a loaded machine only
/// slows them down.
const T: Duration = Duration::from_secs(30);

/// One response: status, headers as sent, body (de-chunked).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A connection and the bytes read from it but not consumed yet.
pub struct Client {
    pub stream: UnixStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(d: &Sandbox) -> Client {
        let stream = UnixStream::connect(&d.sock).expect("connect to the daemon's socket");
        stream.set_read_timeout(Some(T)).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write a request");
    }

    /// Reads more bytes; false at end of stream. Panics after the read timeout.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return false,
                // A signal meant for another test's handler interrupted the read.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("reading a response: {e} (got so far: {:?})", self.peek()),
            }
        }
    }

    /// What was read and not consumed, as text.
    pub fn peek(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }

    /// True when the server closed the connection (after what is buffered).
    pub fn closed(&mut self) -> bool {
        !self.fill()
    }

    /// Reads one response head: status and headers.
    pub fn head(&mut self) -> (u16, Vec<(String, String)>) {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            assert!(
                self.fill(),
                "connection closed before a full head: {:?}",
                self.peek()
            );
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        (status, headers)
    }

    /// Reads one whole response: by Content-Length, chunked to its last chunk, or to the end
    /// of the stream.
    pub fn response(&mut self) -> Response {
        let (status, headers) = self.head();
        let mut r = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if let Some(len) = r
            .header("Content-Length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            while self.buf.len() < len {
                assert!(self.fill(), "connection closed inside a body");
            }
            r.body = self.buf.drain(..len).collect();
        } else if r.header("Transfer-Encoding") == Some("chunked") {
            loop {
                let (data, used, last) = dechunk(&self.buf);
                if last {
                    r.body = data;
                    self.buf.drain(..used);
                    break;
                }
                assert!(self.fill(), "connection closed inside a chunked body");
            }
        } else {
            while self.fill() {}
            r.body = std::mem::take(&mut self.buf);
        }
        r
    }

    /// Follows an unframed (HTTP/1.0) stream whose head was read until it contains `needle`.
    pub fn raw_until(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + T;
        loop {
            let text = self.peek();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never came; got {text:?}"
            );
            assert!(self.fill(), "stream closed; got {text:?}");
        }
    }

    /// Follows a chunked stream whose head was read until its body contains `needle`;
    /// returns the body so far.
    pub fn stream_until(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + T;
        loop {
            let (data, _, _) = dechunk(&self.buf);
            let text = String::from_utf8_lossy(&data).into_owned();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never came; got {text:?}"
            );
            assert!(self.fill(), "stream closed; got {text:?}");
        }
    }
}

/// Decodes the complete chunks at the start of `raw`: (data, bytes used, last chunk seen).
pub fn dechunk(raw: &[u8]) -> (Vec<u8>, usize, bool) {
    let mut data = Vec::new();
    let mut pos = 0;
    loop {
        let Some(eol) = find(&raw[pos..], b"\r\n") else {
            return (data, pos, false);
        };
        let size_text = String::from_utf8_lossy(&raw[pos..pos + eol]).into_owned();
        let size = usize::from_str_radix(size_text.trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_text:?}"));
        let start = pos + eol + 2;
        if raw.len() < start + size + 2 {
            return (data, pos, false);
        }
        data.extend_from_slice(&raw[start..start + size]);
        pos = start + size + 2;
        if size == 0 {
            return (data, pos, true);
        }
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A `<methodCall>` with the given `<params>` content.
pub fn method_call(method: &str, params: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodCall><methodName>{method}</methodName>\
         <params>{params}</params></methodCall>"
    )
}

/// A POST /RPC2 request carrying `body`, with `extra` header lines (each ending in CRLF).
pub fn post(body: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A GET request.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// Sends one request on a fresh connection and reads its response.
pub fn exchange(d: &Sandbox, request: &[u8]) -> Response {
    let mut c = Client::connect(d);
    c.send(request);
    c.response()
}
