//! The tail page (`/tail.html?processname=X[&limit=N][&channel=stderr]`): the end of a
//! process's stdout (or stderr) log with a Refresh control, and the reference's texts when
//! there is nothing to show (§5.7). With JavaScript it follows new output live by reading
//! `/logtail/X?offset=<end>` as a stream from exactly where the page stopped.

use std::fmt::Write;

use super::html::{self, escape_into, PageKind};
use crate::http::url;

/// The reference's least (and default) number of bytes shown.
pub const MIN_LIMIT: u64 = 1024;
/// The most bytes one page shows. DIVERGENCE(D9): the reference reads whatever `limit` asks
/// for; one request may not hold the loop for long nor grow memory without bound.
pub const MAX_LIMIT: u64 = 1024 * 1024;

/// Which log of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogChannel {
    Stdout,
    Stderr,
}

impl LogChannel {
    /// `channel=stderr` is stderr (our addition, Supervisor issue #1442); anything else stdout.
    pub fn parse(value: Option<&str>) -> LogChannel {
        match value {
            Some("stderr") => LogChannel::Stderr,
            _ => LogChannel::Stdout,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LogChannel::Stdout => "stdout",
            LogChannel::Stderr => "stderr",
        }
    }
}

/// `limit=`: digits ask for that many bytes, at least [`MIN_LIMIT`] and at most
/// [`MAX_LIMIT`]; anything else is [`MIN_LIMIT`] (the reference's `max(1024, n)`).
pub fn parse_limit(value: Option<&str>) -> u64 {
    value
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .map_or(MIN_LIMIT, |v| v.parse().unwrap_or(MAX_LIMIT))
        .clamp(MIN_LIMIT, MAX_LIMIT)
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailBody {
    /// The log's last bytes; `end` is the file offset just after them.
    Log { text: String, end: u64 },
    /// Nothing to show, and why (`No process name found`, `No file for x`, a fault).
    Notice(String),
}

#[derive(Debug)]
pub struct TailPage<'a> {
    pub processname: Option<&'a str>,
    pub channel: LogChannel,
    pub limit: u64,
    pub body: TailBody,
    pub identifier: &'a str,
}

impl TailPage<'_> {
    pub fn render(&self) -> String {
        let name = self.processname.unwrap_or("");
        let title = match (self.processname, self.channel) {
            (None, _) => "Supervisor tail".to_string(),
            (Some(n), LogChannel::Stdout) => format!("Supervisor tail of process {n}"),
            (Some(n), LogChannel::Stderr) => format!("Supervisor tail of process {n} (stderr)"),
        };
        let mut out = String::with_capacity(4096 + usize::try_from(self.limit).unwrap_or(0));
        html::open(
            &mut out,
            PageKind::Tail,
            &title,
            self.identifier,
            "<nav class=\"global\"><a class=\"button\" href=\"index.html\">Back to status</a></nav>\n",
        );
        let quoted = url::quote(name);
        if self.processname.is_some() {
            out.push_str("<h1>Tail of <span class=\"proc\">");
            escape_into(&mut out, name);
            out.push_str(
                "</span></h1>\n<div class=\"tailbar\">\n<nav class=\"tabs\" aria-label=\"Log\">",
            );
            for channel in [LogChannel::Stdout, LogChannel::Stderr] {
                let query = match channel {
                    LogChannel::Stdout => String::new(),
                    LogChannel::Stderr => "&amp;channel=stderr".into(),
                };
                let current = if channel == self.channel {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<a href=\"tail.html?processname={quoted}{query}\"{current}>{}</a>",
                    channel.name()
                );
            }
            let channel = match self.channel {
                LogChannel::Stdout => "",
                LogChannel::Stderr => "&amp;channel=stderr",
            };
            let _ = write!(
                out,
                "</nav>\n<a class=\"button refresh\" href=\"tail.html?processname={quoted}&amp;limit={}{channel}\">Refresh</a>\n\
                 <span id=\"live\" class=\"live\" hidden>Following new output</span>\n</div>\n",
                self.limit
            );
        } else {
            out.push_str("<h1>Tail</h1>\n");
        }
        match &self.body {
            TailBody::Log { text, end } => {
                let stream = match self.channel {
                    LogChannel::Stdout => "",
                    LogChannel::Stderr => "/stderr",
                };
                let _ = write!(
                    out,
                    "<pre id=\"tail\" tabindex=\"0\" data-follow=\"logtail/{quoted}{stream}?offset={end}\">"
                );
                escape_into(&mut out, text);
            }
            TailBody::Notice(notice) => {
                out.push_str("<pre id=\"tail\" class=\"notice\">");
                escape_into(&mut out, notice);
            }
        }
        out.push_str("</pre>\n");
        html::close(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: Option<&str>, channel: LogChannel, body: TailBody) -> String {
        TailPage {
            processname: name,
            channel,
            limit: 2048,
            body,
            identifier: "supervisor",
        }
        .render()
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), 1024);
        assert_eq!(parse_limit(Some("")), 1024);
        assert_eq!(parse_limit(Some("10")), 1024);
        assert_eq!(parse_limit(Some("-5000")), 1024);
        assert_eq!(parse_limit(Some("5k")), 1024);
        assert_eq!(parse_limit(Some("5000")), 5000);
        assert_eq!(parse_limit(Some("99999999999999999999999")), MAX_LIMIT);
        assert_eq!(parse_limit(Some("2000000")), MAX_LIMIT);
    }

    #[test]
    fn log_page_follows_from_its_end() {
        let html = page(
            Some("g:x"),
            LogChannel::Stdout,
            TailBody::Log {
                text: "a<b>\n".into(),
                end: 77,
            },
        );
        assert!(html.contains("<title>Supervisor tail of process g:x</title>"));
        assert!(html.contains("data-follow=\"logtail/g%3Ax?offset=77\">a&lt;b&gt;\n</pre>"));
        assert!(html.contains("href=\"tail.html?processname=g%3Ax&amp;limit=2048\">Refresh</a>"));
        assert!(html
            .contains("<a href=\"tail.html?processname=g%3Ax\" aria-current=\"page\">stdout</a>"));
        let err = page(
            Some("x"),
            LogChannel::Stderr,
            TailBody::Log {
                text: String::new(),
                end: 0,
            },
        );
        assert!(err.contains("data-follow=\"logtail/x/stderr?offset=0\""));
        assert!(err.contains("(stderr)</title>"));
        assert!(err.contains("limit=2048&amp;channel=stderr\">Refresh"));
    }

    #[test]
    fn notices() {
        let none = page(
            None,
            LogChannel::Stdout,
            TailBody::Notice("No process name found".into()),
        );
        assert!(none.contains("<pre id=\"tail\" class=\"notice\">No process name found</pre>"));
        assert!(!none.contains("Refresh</a>"));
        let missing = page(
            Some("<b>"),
            LogChannel::Stdout,
            TailBody::Notice("No file for <b>".into()),
        );
        assert!(missing.contains("No file for &lt;b&gt;</pre>"));
        assert!(!missing.contains("data-follow"));
        assert!(!missing.contains("<b>"));
    }
}
