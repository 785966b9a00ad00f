//! Pure pieces of the readiness and health checks (issue 14): the sd_notify datagram
//! parser, the line matcher of `log:REGEX`, an HTTP status line, and the health counter.
//!
//! No I/O: the daemon feeds bytes and results in and acts on what comes out.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

/// What one sd_notify datagram says (newline-separated `KEY=VALUE` assignments).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NotifyMessage {
    pub ready: bool,
    /// The last `STATUS=` value, if any.
    pub status: Option<String>,
}

/// Parses a datagram; unknown keys (WATCHDOG=1, MAINPID=...) are ignored, as systemd does
/// for those it does not handle.
pub fn parse_notify(datagram: &[u8]) -> NotifyMessage {
    let mut m = NotifyMessage::default();
    for line in datagram.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        match line.split_once('=') {
            Some(("READY", "1")) => m.ready = true,
            Some(("STATUS", v)) => m.status = Some(bounded(v, 200)),
            _ => {}
        }
    }
    m
}

/// At most `max` characters of `s`.
fn bounded(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Splits output into lines and matches each against a pattern; a partial line is kept
/// until its newline, up to a bound (a longer one is matched as it stands and dropped).
#[derive(Debug)]
pub struct LineMatcher {
    re: regex_lite::Regex,
    partial: Vec<u8>,
}

/// The longest partial line kept between chunks.
const MAX_LINE: usize = 64 * 1024;

impl LineMatcher {
    /// # Errors
    /// The pattern does not compile (already checked when the config was loaded).
    pub fn new(pattern: &str) -> Result<LineMatcher, String> {
        regex_lite::Regex::new(pattern)
            .map(|re| LineMatcher {
                re,
                partial: Vec::new(),
            })
            .map_err(|e| e.to_string())
    }

    /// Feeds a chunk; true as soon as a complete line matches.
    pub fn feed(&mut self, data: &[u8]) -> bool {
        let mut rest = data;
        while let Some(at) = rest.iter().position(|b| *b == b'\n') {
            let (line, tail) = rest.split_at(at);
            self.partial.extend_from_slice(line);
            let text = String::from_utf8_lossy(&self.partial);
            let text = text.strip_suffix('\r').unwrap_or(&text);
            let hit = self.re.is_match(text);
            self.partial.clear();
            if hit {
                return true;
            }
            rest = tail.get(1..).unwrap_or(&[]);
        }
        self.partial.extend_from_slice(rest);
        if self.partial.len() > MAX_LINE {
            let hit = self.re.is_match(&String::from_utf8_lossy(&self.partial));
            self.partial.clear();
            return hit;
        }
        false
    }
}

/// The status code of an HTTP response head once its first line is complete:
/// `Some(Ok(code))`, `Some(Err(()))` for a malformed line, `None` while incomplete.
pub fn http_status(head: &[u8]) -> Option<Result<u16, ()>> {
    let end = head.iter().position(|b| *b == b'\n')?;
    let line = String::from_utf8_lossy(head.get(..end).unwrap_or(&[]));
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or("");
    let code = parts.next().and_then(|c| c.parse::<u16>().ok());
    Some(match code {
        Some(c) if version.starts_with("HTTP/") => Ok(c),
        _ => Err(()),
    })
}

/// A health check's verdict after one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Unknown,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }
}

/// The health counter: consecutive failures against `healthcheck_retries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCounter {
    pub status: Health,
    pub failures: u32,
}

impl Default for HealthCounter {
    fn default() -> Self {
        HealthCounter {
            status: Health::Unknown,
            failures: 0,
        }
    }
}

impl HealthCounter {
    /// Records one probe result; `in_start_period` failures do not count (Docker's rule).
    /// Returns the new status when it changed.
    pub fn record(&mut self, ok: bool, retries: u32, in_start_period: bool) -> Option<Health> {
        let before = self.status;
        if ok {
            self.failures = 0;
            self.status = Health::Healthy;
        } else if !in_start_period {
            self.failures = self.failures.saturating_add(1);
            if self.failures >= retries {
                self.status = Health::Unhealthy;
            }
        }
        (self.status != before).then_some(self.status)
    }

    /// The words the description shows after the uptime, if any.
    pub fn describe(&self, retries: u32) -> Option<String> {
        match (self.status, self.failures) {
            (Health::Unhealthy, f) => Some(format!("unhealthy {}/{retries}", f.min(retries))),
            (_, 0) => (self.status == Health::Healthy).then(|| "healthy".to_string()),
            (_, f) => Some(format!("failing {f}/{retries}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_datagrams() {
        assert_eq!(
            parse_notify(b"STATUS=warming up\nMAINPID=4"),
            NotifyMessage {
                ready: false,
                status: Some("warming up".into())
            }
        );
        assert!(parse_notify(b"READY=1").ready);
        assert!(parse_notify(b"STATUS=x\nREADY=1\n").ready);
        assert!(!parse_notify(b"READY=0").ready);
        assert!(!parse_notify(b"").ready);
        assert_eq!(
            parse_notify(&[b'S', b'T', b'A', b'T', b'U', b'S', b'=', 0xff]).status,
            Some("\u{fffd}".into())
        );
    }

    #[test]
    fn line_matcher_waits_for_whole_lines() {
        let mut m = LineMatcher::new("^listening on \\d+$").unwrap();
        assert!(!m.feed(b"starting\nlisten"));
        assert!(!m.feed(b"ing on 80"));
        assert!(m.feed(b"80\r\nmore"));
        let mut m = LineMatcher::new("ready").unwrap();
        assert!(!m.feed(b"not yet\n"));
        assert!(!m.feed(b"rea"));
        assert!(m.feed(b"dy\n"));
        let mut long = LineMatcher::new("x").unwrap();
        assert!(
            !long.feed(&vec![b'a'; MAX_LINE + 1]),
            "a long line is dropped"
        );
        assert!(long.partial.is_empty());
    }

    #[test]
    fn http_status_lines() {
        assert_eq!(http_status(b"HTTP/1.1 204 No Content\r\n"), Some(Ok(204)));
        assert_eq!(http_status(b"HTTP/1.0 503 Busy\r\nX: y"), Some(Ok(503)));
        assert_eq!(http_status(b"HTTP/1.1 200"), None);
        assert_eq!(http_status(b"SSH-2.0-OpenSSH\r\n"), Some(Err(())));
    }

    #[test]
    fn health_counts_consecutive_failures() {
        let mut h = HealthCounter::default();
        assert_eq!(h.describe(3), None);
        assert_eq!(h.record(false, 3, true), None, "start period");
        assert_eq!(h.failures, 0);
        assert_eq!(h.record(true, 3, true), Some(Health::Healthy));
        assert_eq!(h.describe(3).as_deref(), Some("healthy"));
        assert_eq!(h.record(false, 3, false), None);
        assert_eq!(h.record(false, 3, false), None);
        assert_eq!(h.describe(3).as_deref(), Some("failing 2/3"));
        assert_eq!(h.record(false, 3, false), Some(Health::Unhealthy));
        assert_eq!(h.describe(3).as_deref(), Some("unhealthy 3/3"));
        assert_eq!(h.record(false, 3, false), None);
        assert_eq!(h.describe(3).as_deref(), Some("unhealthy 3/3"));
        assert_eq!(h.record(true, 3, false), Some(Health::Healthy));
        let mut first = HealthCounter::default();
        assert_eq!(first.record(false, 1, false), Some(Health::Unhealthy));
    }
}
