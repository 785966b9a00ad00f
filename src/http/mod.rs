//! The HTTP/1.x wire format of the control plane (reference §5.1, §5.7; decisions D1, D5).
//!
//! The vocabulary ([`Method`], [`Version`], [`Connection`], [`Status`]) is here; the
//! pure byte-level layers below use it: [`request`] frames incoming bytes into requests, [`response`]
//! writes response heads and bodies, [`auth`] checks Basic credentials, [`url`] decodes paths
//! and query strings. Nothing here owns a socket, reads a clock, logs, or routes: the connection
//! state machine and the event loop sit on top of this API.

pub mod auth;
pub mod request;
pub mod response;
pub mod url;

use std::fmt;

/// A request method. Methods are case-sensitive (`get` is not `GET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    /// Any other, as sent: the access log shows it, the handlers refuse it.
    Other(String),
}

impl Method {
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            other => Method::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP version of a request, echoed in the status line of its response (as medusa does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// Whether the connection stays open after the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    KeepAlive,
    Close,
}

/// The response statuses the control plane uses, with medusa's reason phrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    SeeOther,
    NotModified,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    LengthRequired,
    PayloadTooLarge,
    RequestHeaderFieldsTooLarge,
    InternalServerError,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::SeeOther => 303,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::LengthRequired => 411,
            Status::PayloadTooLarge => 413,
            Status::RequestHeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
        }
    }

    /// The reason phrase (medusa's table; 431 is RFC 6585's, medusa has none).
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::SeeOther => "See Other",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Unauthorized => "Unauthorized",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::LengthRequired => "Length Required",
            Status::PayloadTooLarge => "Request Entity Too Large",
            Status::RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_case_sensitively_and_print_as_sent() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("HEAD"), Method::Head);
        assert_eq!(Method::parse("POST"), Method::Post);
        assert_eq!(Method::parse("get"), Method::Other("get".into()));
        for name in ["GET", "HEAD", "POST", "PUT", "get"] {
            assert_eq!(Method::parse(name).to_string(), name);
        }
    }
}
