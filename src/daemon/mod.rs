//! The supervisord daemon.

pub mod args;
