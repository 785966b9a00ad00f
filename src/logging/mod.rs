//! Logging: the activity log and child logs (reference §7).

pub mod ansi;
pub mod level;
pub mod tail;
