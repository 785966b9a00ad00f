//! The daemon: the reactor (one `mio::Poll`, timers, HTTP connections, sockets, children) that
//! owns the model (`crate::model`) and carries out its verbs, and its life cycle.

pub mod access;
pub mod args;
pub mod budget;
pub mod conn;
pub mod core;
pub mod depends;
pub mod exec;
pub mod fcgi;
pub mod lifecycle;
pub mod listen;
pub mod logtail;
pub mod metrics;
pub mod notify;
pub mod outbuf;
pub mod output;
pub mod probe;
pub mod reactor;
pub mod run;
pub mod sd_notify;
pub mod serve;
pub mod stop;
pub mod timers;
pub mod verbs;
pub mod watch;
pub mod web;
