//! Processes: the pure state machine, exit statuses, command resolution and spawning.

pub mod child;
pub mod command;
pub mod deps;
pub mod exit;
pub mod machine;
pub mod policy;
pub mod readiness;
pub mod spawn;
pub mod window;
