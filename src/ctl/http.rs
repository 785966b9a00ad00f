//! The HTTP/1.1 client pieces supervisorctl needs: a request head, a response head, and the
//! three body framings (Content-Length, chunked, until close).
//!
//! Owns byte-level framing only, over any `Read`/`Write`; it must not know about XML-RPC, URLs
//! or the terminal. The chunk decoder is pure so it can be fed whatever a socket returns.

use std::io::{self, Read, Write};

/// Credentials for `Authorization: Basic`.
#[derive(Debug, Clone, Copy)]
pub struct BasicAuth<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

/// What goes on the request line and in the headers.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: &'a str,
    pub auth: Option<BasicAuth<'a>>,
    /// `Some` for a POST: the body, sent with `Content-Type: text/xml`.
    pub body: Option<&'a [u8]>,
}

/// The bytes of a request: head and body.
pub fn encode_request(req: &Request<'_>) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        req.method, req.path, req.host
    );
    head.push_str("User-Agent: supervisorctl\r\n");
    if let Some(auth) = req.auth {
        let token = base64::encode(format!("{}:{}", auth.username, auth.password));
        head.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    match req.body {
        Some(body) => {
            head.push_str("Content-Type: text/xml\r\nAccept: text/xml\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        None => head.push_str("Accept: */*\r\n"),
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(req.body.unwrap_or_default());
    bytes
}

/// Writes a request.
///
/// # Errors
///
/// The write error.
pub fn send_request(w: &mut impl Write, req: &Request<'_>) -> io::Result<()> {
    w.write_all(&encode_request(req))?;
    w.flush()
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// A parsed status line and the headers that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    pub reason: String,
    pub framing: Framing,
}

/// Heads larger than this are refused (supervisord's are a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;

/// Parses a response head from the start of `buf`: `Ok(None)` while incomplete, otherwise the
/// head and its length in bytes.
///
/// # Errors
///
/// A malformed head.
pub fn parse_head(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("bad HTTP response: {e}")),
    };
    let mut framing = Framing::UntilClose;
    for h in resp.headers.iter() {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        } else if h.name.eq_ignore_ascii_case("content-length") && framing != Framing::Chunked {
            let n = value
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length {value}"))?;
            framing = Framing::Length(n);
        }
    }
    let head = ResponseHead {
        status: resp.code.unwrap_or(0),
        reason: resp.reason.unwrap_or("").to_string(),
        framing,
    };
    Ok(Some((head, len)))
}

/// Reads until a whole head is there; returns it with the body bytes read past it.
///
/// # Errors
///
/// Read errors, an early close, or a malformed or oversized head.
pub fn read_head(r: &mut impl Read) -> io::Result<(ResponseHead, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            ));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        match parse_head(&buf).map_err(io::Error::other)? {
            Some((head, len)) => return Ok((head, buf.split_off(len))),
            None if buf.len() > MAX_HEAD => {
                return Err(io::Error::other("response head too large"));
            }
            None => {}
        }
    }
}

/// Most body bytes reserved on the word of a `Content-Length`.
const RESERVE_AT_ONCE: usize = 64 << 20;

/// Reads the whole body of a response whose head is `head`; `pre` holds body bytes already
/// read with the head.
///
/// # Errors
///
/// Read errors, an early close, or a malformed chunked body.
pub fn read_body(r: &mut impl Read, framing: Framing, pre: Vec<u8>) -> io::Result<Vec<u8>> {
    match framing {
        Framing::Length(len) => {
            let mut body = pre;
            body.truncate(usize::try_from(len).unwrap_or(usize::MAX));
            // At once, up to a bound: a 12 MB answer no longer grows (and copies) by doubling.
            let missing = usize::try_from(len).unwrap_or(0).saturating_sub(body.len());
            body.reserve_exact(missing.min(RESERVE_AT_ONCE));
            let missing = len.saturating_sub(body.len() as u64);
            r.take(missing).read_to_end(&mut body)?;
            if (body.len() as u64) < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "response cut short",
                ));
            }
            Ok(body)
        }
        Framing::Chunked => {
            let mut decoder = ChunkDecoder::default();
            let mut body = Vec::new();
            decoder.feed(&pre, &mut body).map_err(io::Error::other)?;
            let mut chunk = [0u8; 8192];
            while !decoder.is_done() {
                let n = r.read(&mut chunk)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "response cut short",
                    ));
                }
                decoder
                    .feed(chunk.get(..n).unwrap_or_default(), &mut body)
                    .map_err(io::Error::other)?;
            }
            Ok(body)
        }
        Framing::UntilClose => {
            let mut body = pre;
            r.read_to_end(&mut body)?;
            Ok(body)
        }
    }
}

/// An incremental decoder of `Transfer-Encoding: chunked`.
#[derive(Debug, Default)]
pub struct ChunkDecoder {
    state: ChunkState,
    /// A size or trailer line not yet terminated.
    line: Vec<u8>,
}

#[derive(Debug, Default)]
enum ChunkState {
    /// Reading the hex size line.
    #[default]
    Size,
    /// This many data bytes still to come.
    Data(u64),
    /// The CRLF after the data.
    DataEnd,
    /// Trailer lines after the last chunk, until an empty one.
    Trailer,
    Done,
}

impl ChunkDecoder {
    /// Feeds raw bytes and appends the decoded data to `out`.
    ///
    /// # Errors
    ///
    /// A chunk size that is not hex.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        while !input.is_empty() {
            match self.state {
                ChunkState::Done => return Ok(()),
                ChunkState::Data(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let (data, rest) = input.split_at(take);
                    out.extend_from_slice(data);
                    input = rest;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                }
                ChunkState::DataEnd => {
                    if let Some((byte, rest)) = input.split_first() {
                        input = rest;
                        if *byte == b'\n' {
                            self.state = ChunkState::Size;
                        }
                    }
                }
                ChunkState::Size | ChunkState::Trailer => {
                    let Some(nl) = input.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(input);
                        return Ok(());
                    };
                    let (part, rest) = input.split_at(nl);
                    input = rest.get(1..).unwrap_or_default();
                    self.line.extend_from_slice(part);
                    let line = std::mem::take(&mut self.line);
                    self.on_line(&line)?;
                }
            }
        }
        Ok(())
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        match self.state {
            ChunkState::Size => {
                let hex = text.split(';').next().unwrap_or("").trim();
                if hex.is_empty() {
                    return Ok(());
                }
                let size =
                    u64::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {hex:?}"))?;
                self.state = if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                };
            }
            ChunkState::Trailer if text.is_empty() => self.state = ChunkState::Done,
            _ => {}
        }
        Ok(())
    }

    /// True once the last chunk and the trailer have been read.
    pub fn is_done(&self) -> bool {
        matches!(self.state, ChunkState::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_request_has_length_type_and_auth() {
        let req = Request {
            method: "POST",
            path: "/RPC2",
            host: "localhost",
            auth: Some(BasicAuth {
                username: "user",
                password: "123",
            }),
            body: Some(b"<x/>"),
        };
        assert_eq!(
            String::from_utf8(encode_request(&req)).unwrap(),
            "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: supervisorctl\r\n\
             Authorization: Basic dXNlcjoxMjM=\r\nContent-Type: text/xml\r\n\
             Accept: text/xml\r\nContent-Length: 4\r\n\r\n<x/>"
        );
    }

    #[test]
    fn get_request_without_auth() {
        let req = Request {
            method: "GET",
            path: "/mainlogtail",
            host: "h:1",
            auth: None,
            body: None,
        };
        assert_eq!(
            String::from_utf8(encode_request(&req)).unwrap(),
            "GET /mainlogtail HTTP/1.1\r\nHost: h:1\r\nUser-Agent: supervisorctl\r\n\
             Accept: */*\r\n\r\n"
        );
    }

    #[test]
    fn head_partial_then_complete() {
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(None));
        let (head, len) = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(
            head,
            ResponseHead {
                status: 200,
                reason: "OK".into(),
                framing: Framing::Length(5)
            }
        );
        assert_eq!(len, 38);
    }

    #[test]
    fn head_chunked_wins_over_length_and_default_is_until_close() {
        let (head, _) = parse_head(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        let (head, _) = parse_head(b"HTTP/1.0 401 Unauthorized\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((head.status, head.reason.as_str()), (401, "Unauthorized"));
        assert_eq!(head.framing, Framing::UntilClose);
    }

    #[test]
    fn head_garbage_is_an_error() {
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn read_head_and_length_body() {
        let mut r: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello tail";
        let (head, pre) = read_head(&mut r).unwrap();
        assert_eq!(read_body(&mut r, head.framing, pre).unwrap(), b"hello");
    }

    #[test]
    fn length_body_cut_short_is_an_error() {
        let mut r: &[u8] = b"hel";
        assert!(read_body(&mut r, Framing::Length(5), Vec::new()).is_err());
    }

    #[test]
    fn chunked_body_across_arbitrary_splits() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-T: 1\r\n\r\n";
        for split in 0..wire.len() {
            let mut d = ChunkDecoder::default();
            let mut out = Vec::new();
            let (a, b) = wire.split_at(split);
            d.feed(a, &mut out).unwrap();
            d.feed(b, &mut out).unwrap();
            assert_eq!(out, b"hello, world", "split at {split}");
            assert!(d.is_done());
        }
    }

    #[test]
    fn chunked_body_byte_by_byte() {
        let wire = b"3\r\nabc\r\n0\r\n\r\n";
        let mut d = ChunkDecoder::default();
        let mut out = Vec::new();
        for b in wire {
            d.feed(&[*b], &mut out).unwrap();
        }
        assert_eq!(out, b"abc");
        assert!(d.is_done());
    }

    #[test]
    fn chunked_bad_size() {
        let mut d = ChunkDecoder::default();
        assert!(d.feed(b"zz\r\n", &mut Vec::new()).is_err());
    }

    #[test]
    fn read_chunked_and_until_close_bodies() {
        let mut r: &[u8] = b"llo\r\n0\r\n\r\n";
        assert_eq!(
            read_body(&mut r, Framing::Chunked, b"5\r\nhe".to_vec()).unwrap(),
            b"hello"
        );
        let mut r: &[u8] = b"rest";
        assert_eq!(
            read_body(&mut r, Framing::UntilClose, b"the ".to_vec()).unwrap(),
            b"the rest"
        );
    }
}
