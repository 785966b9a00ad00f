//! Response heads and bodies as bytes (reference §5.1, §5.7).
//!
//! [`Response`] writes a status line, `Server:`, `Date:`, the caller's headers, framing and
//! `Connection:`; helpers build the reference's HTML error page, the 401 challenge, the 301
//! redirect and the head of a streamed `/logtail` answer with its [`Framing`]. Times are
//! parameters (`wall`); this module never reads a clock and never touches a socket.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Connection, Status, Version};

/// Our `Server:` header (the reference sends `Medusa/1.12`; no client checks it).
pub const SERVER: &str = concat!("supervisor-rs/", env!("CARGO_PKG_VERSION"));

/// The interim answer to `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// How the bytes of a streamed body are framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// HTTP/1.1: each piece is a chunk.
    Chunked,
    /// HTTP/1.0: raw bytes; the end of the body is the close of the connection.
    UntilClose,
}

impl Framing {
    /// Frames one piece of a streamed body (an empty piece frames to nothing, so it can never
    /// end a chunked stream by accident).
    pub fn frame(self, data: &[u8]) -> Vec<u8> {
        match self {
            Framing::Chunked => chunk(data),
            Framing::UntilClose => data.to_vec(),
        }
    }
}

/// One chunk of a chunked body: hex length, CRLF, data, CRLF. Empty data gives no bytes (the
/// zero-length chunk is [`LAST_CHUNK`]).
pub fn chunk(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A response head under construction. Finish it with [`body`](Self::body) (a complete
/// response with `Content-Length`) or [`stream`](Self::stream) (a head for an endless body).
#[derive(Debug, Clone)]
pub struct Response {
    version: Version,
    status: Status,
    connection: Connection,
    date: String,
    headers: Vec<(String, String)>,
}

impl Response {
    /// A response to a request of `version`, dated `wall`. `connection` is the request's
    /// choice, or [`Connection::Close`] when the connection closes after this response.
    pub fn new(version: Version, status: Status, connection: Connection, wall: SystemTime) -> Self {
        Response {
            version,
            status,
            connection,
            date: http_date(wall),
            headers: Vec::new(),
        }
    }

    /// Adds a header; `Content-Length`, `Transfer-Encoding` and `Connection` are written by
    /// the finishing methods, never by the caller.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The whole response: head with `Content-Length`, then `body`.
    pub fn body(self, body: &[u8]) -> Vec<u8> {
        let mut out = self.head_of_length(body.len());
        out.extend_from_slice(body);
        out
    }

    /// The head of a complete response whose body of `length` bytes follows it.
    pub fn head_of_length(self, length: usize) -> Vec<u8> {
        self.head(&[("Content-Length", &length.to_string())])
    }

    /// The head of a body that is streamed afterwards, and how to frame its pieces: chunked for
    /// HTTP/1.1, raw until close for HTTP/1.0 (which forces `Connection: close`).
    pub fn stream(mut self) -> (Vec<u8>, Framing) {
        match self.version {
            Version::Http11 => (
                self.head(&[("Transfer-Encoding", "chunked")]),
                Framing::Chunked,
            ),
            Version::Http10 => {
                self.connection = Connection::Close;
                (self.head(&[]), Framing::UntilClose)
            }
        }
    }

    fn head(&self, framing: &[(&str, &str)]) -> Vec<u8> {
        let mut out = format!(
            "{} {} {}\r\nServer: {SERVER}\r\nDate: {}\r\n",
            self.version.as_str(),
            self.status.code(),
            self.status.reason(),
            self.date
        );
        let owned = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        for (name, value) in owned.chain(framing.iter().copied()) {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        // COMPAT: medusa answers HTTP/1.0 keep-alive with this spelling.
        match (self.connection, self.version) {
            (Connection::Close, _) => out.push_str("Connection: close\r\n"),
            (Connection::KeepAlive, Version::Http10) => out.push_str("Connection: Keep-Alive\r\n"),
            (Connection::KeepAlive, Version::Http11) => {}
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// The reference's HTML error page for `status` (medusa's `DEFAULT_ERROR_MESSAGE`).
pub fn error_page(status: Status) -> String {
    format!(
        "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n\
         <h1>Error response</h1>\r\n<p>Error code {}.\r\n<p>Message: {}.\r\n</body>\r\n",
        status.code(),
        status.reason()
    )
}

/// A complete error response: the HTML error page as `text/html`.
pub fn error(
    version: Version,
    status: Status,
    connection: Connection,
    wall: SystemTime,
) -> Vec<u8> {
    Response::new(version, status, connection, wall)
        .header("Content-Type", "text/html")
        .body(error_page(status).as_bytes())
}

/// The 401 answer to missing or wrong credentials: `WWW-Authenticate: Basic realm="default"`
/// and `Connection: close`, as the reference sends.
pub fn unauthorized(version: Version, wall: SystemTime) -> Vec<u8> {
    Response::new(version, Status::Unauthorized, Connection::Close, wall)
        .header("WWW-Authenticate", "Basic realm=\"default\"")
        .header("Content-Type", "text/html")
        .body(error_page(Status::Unauthorized).as_bytes())
}

/// The answer to a `HEAD` request: `response` (complete, with its `Content-Length`) without
/// its body. A body after a HEAD answer would be read as the start of the next answer on the
/// connection (RFC 9110 §9.3.2).
pub fn head_only(mut response: Vec<u8>) -> Vec<u8> {
    if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
        response.truncate(end.saturating_add(4));
    }
    response
}

/// [`xml`] of the document at `bytes[room..]`, its head written into the room before it
/// when it fits (no copy of a large body); the response is `bytes[start..]`, `start`
/// returned.
pub fn xml_in_room(
    version: Version,
    connection: Connection,
    wall: SystemTime,
    mut bytes: Vec<u8>,
    room: usize,
) -> (Vec<u8>, usize) {
    let length = bytes.len().saturating_sub(room);
    let head = Response::new(version, Status::Ok, connection, wall)
        .header("Content-Type", "text/xml")
        .head_of_length(length);
    let start = room.checked_sub(head.len());
    match start.and_then(|start| bytes.get_mut(start..room).map(|slot| (start, slot))) {
        Some((start, slot)) => {
            slot.copy_from_slice(&head);
            (bytes, start)
        }
        None => (
            xml(
                version,
                connection,
                wall,
                bytes.get(room..).unwrap_or_default(),
            ),
            0,
        ),
    }
}

/// A `200 OK` XML-RPC answer (`Content-Type: text/xml`).
pub fn xml(version: Version, connection: Connection, wall: SystemTime, body: &[u8]) -> Vec<u8> {
    Response::new(version, Status::Ok, connection, wall)
        .header("Content-Type", "text/xml")
        .body(body)
}

/// The web UI's redirect after a form POST: `303 See Other` to `location`, not cached.
// DIVERGENCE(D8): the reference answers `301 Moved Permanently` with its error page as body;
// 303 is the answer that turns a POST into a GET.
pub fn redirect(
    version: Version,
    connection: Connection,
    wall: SystemTime,
    location: &str,
) -> Vec<u8> {
    Response::new(version, Status::SeeOther, connection, wall)
        .header("Location", location)
        .header("Cache-Control", "no-cache")
        .body(b"")
}

/// The head of a `/logtail` (`x_accel_buffering: true`) or `/mainlogtail` stream, with the
/// reference's headers, and the framing of what follows.
pub fn log_stream(
    version: Version,
    connection: Connection,
    wall: SystemTime,
    last_modified: SystemTime,
    x_accel_buffering: AccelBuffering,
) -> (Vec<u8>, Framing) {
    let response = Response::new(version, Status::Ok, connection, wall)
        .header("Last-Modified", &http_date(last_modified))
        .header("Content-Type", "text/plain;charset=utf-8");
    match x_accel_buffering {
        AccelBuffering::Off => response.header("X-Accel-Buffering", "no"),
        AccelBuffering::Default => response,
    }
    .stream()
}

/// Whether a log stream asks proxies not to buffer it (`/logtail` does, `/mainlogtail` not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccelBuffering {
    Off,
    Default,
}

/// Formats `wall` as an RFC 1123 date in GMT (`Sun, 06 Nov 1994 08:49:37 GMT`). Times before
/// 1970 are written as the epoch.
pub fn http_date(wall: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
    let month = MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {day:02} {month} {year} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), Howard Hinnant's algorithm for
/// the proleptic Gregorian calendar. `days` is at most `u64::MAX / 86400`, so no step comes
/// near the saturation bounds; saturating ops keep that local to read.
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days.saturating_add(719_468);
    let (era, doe) = (z / 146_097, z % 146_097);
    // doe < 146_097, so every intermediate below is small.
    let yoe = doe
        .saturating_sub(doe / 1460)
        .saturating_add(doe / 36_524)
        .saturating_sub(doe / 146_096)
        / 365;
    let doy = doe.saturating_sub(
        yoe.saturating_mul(365)
            .saturating_add(yoe / 4)
            .saturating_sub(yoe / 100),
    );
    let mp = doy.saturating_mul(5).saturating_add(2) / 153;
    let day = doy
        .saturating_sub(mp.saturating_mul(153).saturating_add(2) / 5)
        .saturating_add(1);
    let month = if mp < 10 {
        mp.saturating_add(3)
    } else {
        mp.saturating_sub(9)
    };
    let year = yoe
        .saturating_add(era.saturating_mul(400))
        .saturating_add(u64::from(month <= 2));
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    // -- dates -------------------------------------------------------------------------------

    #[test]
    fn http_date_known_values() {
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(at(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            http_date(at(1_795_322_673)),
            "Sun, 22 Nov 2026 04:44:33 GMT"
        );
        assert_eq!(
            http_date(at(4_102_444_799)),
            "Thu, 31 Dec 2099 23:59:59 GMT"
        );
        assert_eq!(
            http_date(UNIX_EPOCH - Duration::from_secs(5)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn civil_from_days_matches_a_day_counter() {
        // Cross-check the arithmetic against a simple day counter over 1970..2400.
        let mut days = 0u64;
        for year in 1970u64..2400 {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let lengths = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            for (m, len) in lengths.iter().enumerate() {
                for d in 1..=*len {
                    assert_eq!(civil_from_days(days), (year, m as u64 + 1, d));
                    days += 1;
                }
            }
        }
    }

    // -- complete responses ------------------------------------------------------------------

    #[test]
    fn error_page_matches_reference_bytes() {
        let page = error_page(Status::NotFound);
        assert_eq!(
            page,
            "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n<h1>Error response</h1>\r\n\
             <p>Error code 404.\r\n<p>Message: Not Found.\r\n</body>\r\n"
        );
        // The reference's Content-Length for these pages.
        assert_eq!(page.len(), 134);
        assert_eq!(error_page(Status::BadRequest).len(), 136);
        assert_eq!(error_page(Status::LengthRequired).len(), 140);
        assert_eq!(error_page(Status::Unauthorized).len(), 137);
    }

    #[test]
    fn error_response_keep_alive_http11() {
        let got = text(error(
            Version::Http11,
            Status::NotFound,
            Connection::KeepAlive,
            at(0),
        ));
        let expected = format!(
            "HTTP/1.1 404 Not Found\r\nServer: {SERVER}\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
             Content-Type: text/html\r\nContent-Length: 134\r\n\r\n{}",
            error_page(Status::NotFound)
        );
        assert_eq!(got, expected);
    }

    #[test]
    fn connection_header_rules() {
        let head = |v, c| text(Response::new(v, Status::Ok, c, at(0)).body(b""));
        assert!(!head(Version::Http11, Connection::KeepAlive).contains("Connection:"));
        assert!(head(Version::Http11, Connection::Close).contains("\r\nConnection: close\r\n"));
        assert!(head(Version::Http10, Connection::Close).contains("\r\nConnection: close\r\n"));
        assert!(
            head(Version::Http10, Connection::KeepAlive).contains("\r\nConnection: Keep-Alive\r\n")
        );
        assert!(head(Version::Http10, Connection::Close).starts_with("HTTP/1.0 200 OK\r\n"));
    }

    #[test]
    fn head_only_keeps_the_head_and_its_length() {
        let full = error(
            Version::Http11,
            Status::NotFound,
            Connection::KeepAlive,
            at(0),
        );
        let head = head_only(full.clone());
        let length = error_page(Status::NotFound).len();
        assert!(text(head.clone()).ends_with(&format!("Content-Length: {length}\r\n\r\n")));
        assert_eq!(full.len(), head.len() + length);
        assert_eq!(full.get(..head.len()), Some(&head[..]));
        assert_eq!(head_only(b"no head".to_vec()), b"no head");
    }

    #[test]
    fn unauthorized_challenge_and_close() {
        let got = text(unauthorized(Version::Http11, at(0)));
        assert!(got.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
        assert!(got.contains("\r\nWWW-Authenticate: Basic realm=\"default\"\r\n"));
        assert!(got.contains("\r\nConnection: close\r\n"));
        assert!(got.contains("\r\nContent-Length: 137\r\n"));
        assert!(got.ends_with("<p>Message: Unauthorized.\r\n</body>\r\n"));
    }

    #[test]
    fn xml_response_head_and_body() {
        let got = text(xml(Version::Http11, Connection::KeepAlive, at(0), b"<x/>"));
        assert_eq!(
            got,
            format!(
                "HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
                 Content-Type: text/xml\r\nContent-Length: 4\r\n\r\n<x/>"
            )
        );
    }

    #[test]
    fn xml_in_room_is_xml_with_or_without_room() {
        for (version, connection) in [
            (Version::Http11, Connection::KeepAlive),
            (Version::Http10, Connection::Close),
            (Version::Http10, Connection::KeepAlive),
        ] {
            let whole = xml(version, connection, at(0), b"<x/>");
            for room in [0, 10, 256] {
                let mut doc = vec![b' '; room];
                doc.extend_from_slice(b"<x/>");
                let (bytes, start) = xml_in_room(version, connection, at(0), doc, room);
                assert_eq!(bytes.get(start..), Some(&whole[..]), "room {room}");
                // Written in place only when the head fits.
                assert_eq!(start > 0, room == 256, "room {room}");
            }
        }
    }

    #[test]
    fn redirect_is_303_with_location_and_no_body() {
        let got = text(redirect(
            Version::Http11,
            Connection::KeepAlive,
            at(0),
            "index.html?message=Process%20x%20started",
        ));
        assert!(got.starts_with("HTTP/1.1 303 See Other\r\n"));
        assert!(got.contains("\r\nLocation: index.html?message=Process%20x%20started\r\n"));
        assert!(got.ends_with("\r\nContent-Length: 0\r\n\r\n"));
    }

    #[test]
    fn extra_headers_come_in_order() {
        let got = text(
            Response::new(Version::Http11, Status::Ok, Connection::KeepAlive, at(0))
                .header("Pragma", "no-cache")
                .header("Cache-Control", "no-cache")
                .body(b"ok"),
        );
        assert!(got.contains(
            "\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nContent-Length: 2\r\n\r\nok"
        ));
    }

    // -- streams -----------------------------------------------------------------------------

    #[test]
    fn logtail_stream_http11_is_chunked() {
        let (head, framing) = log_stream(
            Version::Http11,
            Connection::KeepAlive,
            at(0),
            at(60),
            AccelBuffering::Off,
        );
        assert_eq!(framing, Framing::Chunked);
        assert_eq!(
            text(head),
            format!(
                "HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
                 Last-Modified: Thu, 01 Jan 1970 00:01:00 GMT\r\n\
                 Content-Type: text/plain;charset=utf-8\r\nX-Accel-Buffering: no\r\n\
                 Transfer-Encoding: chunked\r\n\r\n"
            )
        );
    }

    #[test]
    fn mainlogtail_stream_http10_closes_without_chunking() {
        let (head, framing) = log_stream(
            Version::Http10,
            Connection::KeepAlive,
            at(0),
            at(0),
            AccelBuffering::Default,
        );
        let head = text(head);
        assert_eq!(framing, Framing::UntilClose);
        assert!(head.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(!head.contains("Transfer-Encoding"));
        assert!(!head.contains("X-Accel-Buffering"));
        assert!(head.ends_with("Connection: close\r\n\r\n"));
        assert_eq!(framing.frame(b"abc"), b"abc");
    }

    #[test]
    fn chunk_framing() {
        assert_eq!(chunk(b"hi\n"), b"3\r\nhi\n\r\n");
        assert_eq!(chunk(&[b'a'; 1024])[..5], *b"400\r\n");
        assert!(chunk(b"").is_empty());
        assert!(Framing::Chunked.frame(b"").is_empty());
        assert_eq!(Framing::Chunked.frame(b"x"), b"1\r\nx\r\n");
        assert_eq!(LAST_CHUNK, b"0\r\n\r\n");
    }

    #[test]
    fn status_codes_and_reasons() {
        assert_eq!(Status::PayloadTooLarge.code(), 413);
        assert_eq!(Status::PayloadTooLarge.reason(), "Request Entity Too Large");
        assert_eq!(Status::RequestHeaderFieldsTooLarge.code(), 431);
        assert_eq!(
            Status::InternalServerError.reason(),
            "Internal Server Error"
        );
    }
}
