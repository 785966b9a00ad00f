//! HTTP access lines at `loglevel=trace`, in the reference's (medusa's) format:
//! `127.0.0.1:36168 - - [05/Dec/2026:05:39:52 +0000] "POST /RPC2 HTTP/1.1" 200 247`
//! (`localhost:0` for the unix socket), logged once the whole response is queued, with the
//! bytes of its head and body. An answer that waits (`wait=true`) is logged when it is
//! given; a log stream never finishes, so it is not logged, as in the reference.

use crate::daemon::conn::{ConnId, ConnState, Stream};
use crate::daemon::core::Daemon;
use crate::http::request::Request;
use crate::http::response::civil_from_days;
use crate::logging::level::Level;

/// One request being answered.
#[derive(Debug)]
pub struct Access {
    /// `host:port - - [date] "request line"`, everything before the status.
    head: String,
    /// The status of the response, from its first bytes.
    status: Option<u16>,
    sent: usize,
}

impl Access {
    /// Counts bytes queued for the client; the first ones carry the status line.
    pub fn sent(&mut self, bytes: &[u8]) {
        if self.status.is_none() {
            self.status = bytes
                .get(9..12)
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse().ok());
        }
        self.sent += bytes.len();
    }
}

impl Daemon {
    /// Handles one request, with its access line when tracing.
    pub(crate) fn serve_logged(&mut self, id: ConnId, req: Request) {
        if self.model.log.enabled(Level::Trace) {
            self.begin_access(id, &req);
        }
        self.handle_request(id, req);
        let waiting = self
            .http
            .conns
            .get(&id)
            .is_some_and(|c| matches!(c.state, ConnState::Waiting { .. }));
        if !waiting {
            self.end_access(id);
        }
    }

    fn begin_access(&mut self, id: ConnId, req: &Request) {
        // Entries of connections closed while an answer waited are dropped here.
        let conns = &self.http.conns;
        self.access.retain(|k, _| conns.contains_key(k));
        let peer = match self.http.conns.get(&id).map(|c| &c.stream) {
            Some(Stream::Tcp(s)) => s
                .peer_addr()
                .ok()
                .map(|a| format!("{}:{}", a.ip(), a.port())),
            _ => None,
        };
        let head = format!(
            "{} - - [{}] \"{} {} {}\"",
            peer.unwrap_or_else(|| "localhost:0".into()),
            access_date(self.now.secs()),
            req.method,
            req.target,
            req.version.as_str()
        );
        self.access.insert(
            id,
            Access {
                head,
                status: None,
                sent: 0,
            },
        );
    }

    /// Logs the access line of connection `id` once its response is complete; a stream is
    /// dropped unlogged.
    pub(crate) fn end_access(&mut self, id: ConnId) {
        let Some(a) = self.access.remove(&id) else {
            return;
        };
        let streaming = self
            .http
            .conns
            .get(&id)
            .is_some_and(|c| matches!(c.state, ConnState::Streaming(_)));
        if !streaming {
            let status = a.status.unwrap_or(0);
            self.model
                .log
                .log(Level::Trace, &format!("{} {status} {}", a.head, a.sent));
        }
    }
}

/// medusa's `log_date_string`: the UTC time, followed by the local zone's standard offset
/// (`05/Dec/2026:05:39:52 +0000`).
fn access_date(wall: f64) -> String {
    let secs = wall.floor().max(0.0) as u64;
    let (y, m, d) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    let y = i64::try_from(y).unwrap_or(i64::MAX);
    let m = u32::try_from(m).unwrap_or(0);
    let offset = standard_offset(y);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs() / 60;
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        crate::timefmt::month(m),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        off / 60,
        off % 60
    )
}

/// The local zone's offset east of UTC in seconds without daylight saving (Python's
/// `-time.timezone`): the smaller of the offsets on 1 January and 1 July of `year`.
fn standard_offset(year: i64) -> i64 {
    let at = |month: u32| {
        let t = days_from_civil(year, month, 1) * 86_400;
        let l = crate::sys::localtime(t);
        let local = days_from_civil(i64::from(l.year), l.month, l.day) * 86_400
            + i64::from(l.hour) * 3600
            + i64::from(l.minute) * 60
            + i64::from(l.second);
        local - t
    };
    at(1).min(at(7))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 12, 5), 20_792);
        let leap = u64::try_from(days_from_civil(2000, 2, 29)).unwrap();
        assert_eq!(civil_from_days(leap), (2000, 2, 29));
    }

    #[test]
    fn access_dates_are_utc_with_the_standard_offset() {
        // 2026-12-05 05:39:52 UTC.
        let text = access_date(20_792.0 * 86_400.0 + 5.0 * 3600.0 + 39.0 * 60.0 + 52.0);
        assert!(text.starts_with("05/Dec/2026:05:39:52 "), "{text}");
        let offset = standard_offset(2026);
        let sign = if offset < 0 { '-' } else { '+' };
        let off = offset.abs() / 60;
        assert!(
            text.ends_with(&format!("{sign}{:02}{:02}", off / 60, off % 60)),
            "{text}"
        );
    }

    #[test]
    fn the_status_comes_from_the_first_bytes() {
        let mut a = Access {
            head: String::new(),
            status: None,
            sent: 0,
        };
        a.sent(b"HTTP/1.1 404 Not Found\r\n");
        a.sent(b"\r\nbody");
        assert_eq!((a.status, a.sent), (Some(404), 30));
    }
}
