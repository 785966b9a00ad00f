//! Logging: the activity log and child logs (reference §7).

pub mod ansi;
pub mod auto;
pub mod file;
pub mod level;
pub mod main_log;
pub mod tail;
