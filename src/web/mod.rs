//! The web interface (reference §5.7; D5, D8): the status page, the tail page, the confirm
//! and refusal pages, the form actions and their messages, the CSRF token, and the
//! stylesheet, script and images compiled into the binary.
//!
//! Pure: text in, text out. No sockets, no clock, no daemon state: `daemon::web` gathers the
//! rows, checks the token, performs the actions and sends what these functions render.

pub mod action;
pub mod assets;
pub mod csrf;
pub mod html;
pub mod notice;
pub mod status;
pub mod tail;

/// True when `path` (decoded, without query) is a page or an asset of the web interface.
pub fn serves(path: &str) -> bool {
    matches!(path, "/" | "/index.html" | "/tail.html") || assets::find(path).is_some()
}
