//! Where supervisorctl's server lives: `serverurl` parsing and connecting.
//!
//! Owns the two URL checks of the reference (the `-s` option's "is it a URL at all" check,
//! `datatypes.url`, and the transport's `http://` / `unix://` split, `SupervisorTransport`) and
//! opening a blocking stream to the server. It must not speak HTTP: that is `http.rs`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// A parsed `serverurl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///path/to/socket`.
    Unix(PathBuf),
    /// `http://host[:port]` (port 80 by default).
    Tcp { host: String, port: u16 },
}

impl Endpoint {
    /// Splits a `serverurl` as the reference's transport does: `http://` or `unix://`, nothing else.
    ///
    /// # Errors
    ///
    /// The message to show, e.g. `Unknown protocol for serverurl ftp://x`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        if let Some(path) = url.strip_prefix("unix://") {
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(format!("Unknown protocol for serverurl {url}"));
        };
        let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
        let hostport = netloc.rsplit('@').next().unwrap_or(netloc);
        let (host, port) =
            split_host_port(hostport).ok_or_else(|| format!("bad port in serverurl {url}"))?;
        if host.is_empty() {
            return Err(format!("no host in serverurl {url}"));
        }
        Ok(Endpoint::Tcp {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The `Host:` header: `localhost` on a unix socket (the reference's choice), else
    /// `host[:port]`.
    pub fn host_header(&self) -> String {
        match self {
            Endpoint::Unix(_) => "localhost".to_string(),
            Endpoint::Tcp { host, port: 80 } => host.clone(),
            Endpoint::Tcp { host, port } => format!("{host}:{port}"),
        }
    }

    /// Opens a blocking stream to the server.
    ///
    /// # Errors
    ///
    /// The OS error of `connect` (ECONNREFUSED and ENOENT are told apart by the caller).
    pub fn connect(&self) -> io::Result<Stream> {
        match self {
            Endpoint::Unix(path) => UnixStream::connect(path).map(Stream::Unix),
            Endpoint::Tcp { host, port } => {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                TcpStream::connect((host, *port)).map(Stream::Tcp)
            }
        }
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; `None` for a bad port.
fn split_host_port(hostport: &str) -> Option<(&str, u16)> {
    let port_sep = if hostport.starts_with('[') {
        hostport.find("]:").map(|i| i + 1)
    } else {
        hostport.rfind(':')
    };
    match port_sep {
        None => Some((hostport, 80)),
        Some(i) => {
            let port = hostport.get(i + 1..)?;
            let host = hostport.get(..i)?;
            if port.is_empty() {
                return Some((host, 80));
            }
            port.parse().ok().map(|p| (host, p))
        }
    }
}

/// Python's `urlparse`-based check of `-s`: a scheme and a netloc or path.
pub fn is_url(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    match rest.strip_prefix("//") {
        Some(after) => !after.is_empty(),
        None => !rest.is_empty(),
    }
}

/// The scheme of a URL as `open` checks it (lower-cased, as Python's `urlparse` does).
pub fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| scheme.to_ascii_lowercase())
}

/// A connected stream to the server.
#[derive(Debug)]
pub enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Unix(s) => s.as_fd(),
            Stream::Tcp(s) => s.as_fd(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_unix_keeps_the_path_verbatim() {
        assert_eq!(
            Endpoint::parse("unix:///tmp/x.sock"),
            Ok(Endpoint::Unix(PathBuf::from("/tmp/x.sock")))
        );
    }

    #[test]
    fn parse_http_with_and_without_port() {
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:9001"),
            Ok(Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 9001
            })
        );
        assert_eq!(
            Endpoint::parse("http://LocalHost/RPC2"),
            Ok(Endpoint::Tcp {
                host: "localhost".into(),
                port: 80
            })
        );
        assert_eq!(
            Endpoint::parse("http://[::1]:7"),
            Ok(Endpoint::Tcp {
                host: "[::1]".into(),
                port: 7
            })
        );
        assert_eq!(
            Endpoint::parse("http://u:p@h:5"),
            Ok(Endpoint::Tcp {
                host: "h".into(),
                port: 5
            })
        );
    }

    #[test]
    fn parse_refuses_other_schemes_and_bad_ports() {
        assert_eq!(
            Endpoint::parse("ftp://x"),
            Err("Unknown protocol for serverurl ftp://x".to_string())
        );
        assert_eq!(
            Endpoint::parse("http://h:99999"),
            Err("bad port in serverurl http://h:99999".to_string())
        );
        assert_eq!(
            Endpoint::parse("http://"),
            Err("no host in serverurl http://".to_string())
        );
    }

    #[test]
    fn host_header_is_localhost_on_unix_sockets() {
        assert_eq!(Endpoint::Unix("/x".into()).host_header(), "localhost");
        assert_eq!(
            Endpoint::Tcp {
                host: "h".into(),
                port: 80
            }
            .host_header(),
            "h"
        );
        assert_eq!(
            Endpoint::Tcp {
                host: "h".into(),
                port: 9001
            }
            .host_header(),
            "h:9001"
        );
    }

    #[test]
    fn is_url_follows_urlparse() {
        assert!(is_url("unix:///tmp/s.sock"));
        assert!(is_url("http://127.0.0.1:9001"));
        assert!(is_url("ftp://x"));
        assert!(is_url("localhost:9001"));
        assert!(!is_url("foo"));
        assert!(!is_url("http:"));
        assert!(!is_url("http://"));
        assert!(!is_url("9001:x"));
        assert!(!is_url(""));
    }

    #[test]
    fn scheme_is_lower_cased() {
        assert_eq!(scheme("HTTP://x").as_deref(), Some("http"));
        assert_eq!(scheme("unix:///x").as_deref(), Some("unix"));
        assert_eq!(scheme("nourl"), None);
    }
}
