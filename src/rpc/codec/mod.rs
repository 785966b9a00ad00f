//! The XML-RPC wire codec, both directions, for the daemon and supervisorctl alike:
//! `<methodCall>` and `<methodResponse>` documents → values ([`decode`], on quick-xml), values
//! → documents as Python's marshaller writes them ([`encode`]) (reference §5.1; decisions D5,
//! D6, D11; crates.md §3.3).
//!
//! The request parser mirrors `supervisor_xmlrpc_handler.loads` with D5's hardening. Pure: no
//! dispatch, no logging; [`CallError::log_message`] only formats the reference's log text.

use std::fmt;

use super::faults::Fault;

mod decode;
mod encode;
mod writer;

pub use decode::{parse_method_call, parse_method_response, parse_struct_rows, Answer, Row};
pub use encode::{
    into_response, into_response_with_room, write_fault, write_method_call, write_response,
};
pub use writer::{Encoded, Writer};

/// Deepest accepted element nesting of a call (D5).
pub const MAX_DEPTH: usize = 64;
/// Largest accepted call body (D5).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why a call body was refused; both are answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Not a parseable call: malformed XML, an unknown element or value, a DOCTYPE or entity
    /// declaration, nesting or size over the limits. The text says which, for debugging.
    Unmarshallable(String),
    /// Well-formed, but `<methodName>` is missing or empty (or the root is not `<methodCall>`).
    NoMethodName,
}

impl CallError {
    /// The reference's words for the error (`unmarshallable` / `no method name`).
    pub fn reason(&self) -> &'static str {
        match self {
            CallError::Unmarshallable(_) => "unmarshallable",
            CallError::NoMethodName => "no method name",
        }
    }

    /// The reference's ERROR log line for a refused `body`:
    /// `XML-RPC request data '<body as a Python repr>' is invalid: <reason>`.
    pub fn log_message(&self, body: &[u8]) -> String {
        format!(
            "XML-RPC request data {} is invalid: {}",
            crate::pytext::repr(&String::from_utf8_lossy(body)),
            self.reason()
        )
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Unmarshallable(detail) => write!(f, "unmarshallable: {detail}"),
            CallError::NoMethodName => f.write_str("no method name"),
        }
    }
}

impl std::error::Error for CallError {}

fn unmarshallable(detail: impl Into<String>) -> CallError {
    CallError::Unmarshallable(detail.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- log text ----------------------------------------------------------------------------

    #[test]
    fn log_messages_match_reference() {
        // Both lines captured from the reference's activity log.
        assert_eq!(
            unmarshallable("x").log_message(b"<not xml"),
            "XML-RPC request data '<not xml' is invalid: unmarshallable"
        );
        assert_eq!(
            CallError::NoMethodName.log_message("<?xml version='1.0'?><foo>\t'\"é</foo>".as_bytes()),
            "XML-RPC request data '<?xml version=\\'1.0\\'?><foo>\\t\\'\"é</foo>' is invalid: no method name"
        );
    }
}
