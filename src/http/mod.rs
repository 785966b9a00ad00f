//! The HTTP/1.x wire format of the control plane (reference §5.1, §5.7; decisions D1, D5).
//!
//! Pure byte-level layers only: [`request`] frames incoming bytes into requests, [`response`]
//! writes response heads and bodies, [`auth`] checks Basic credentials, [`url`] decodes paths
//! and query strings. Nothing here owns a socket, reads a clock, logs, or routes: the connection
//! state machine and the event loop sit on top of this API.

pub mod auth;
pub mod request;
pub mod response;
pub mod url;
