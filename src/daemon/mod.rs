//! The daemon: the event loop, the model of groups and processes, and its life cycle.

pub mod clock;
pub mod lifecycle;
pub mod listen;
pub mod timers;
