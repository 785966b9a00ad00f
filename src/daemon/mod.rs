//! The daemon: the event loop, the model of groups and processes, and its life cycle.

pub mod args;
pub mod clock;
pub mod conn;
pub mod core;
pub mod depends;
pub mod exec;
pub mod fcgi;
pub mod lifecycle;
pub mod listen;
pub mod logtail;
pub mod model;
pub mod notify;
pub mod output;
pub mod page;
pub mod probe;
pub mod reactor;
pub mod run;
pub mod sd_notify;
pub mod serve;
pub mod stop;
pub mod timers;
pub mod watch;
