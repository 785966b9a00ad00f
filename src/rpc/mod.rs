//! XML-RPC: the wire codec and fault vocabulary, the method table and the handlers of the
//! `supervisor.*` and `system.*` namespaces (reference §5).
//!
//! Handlers run on the loop thread with the daemon borrowed mutably; an answer that has to
//! wait for a state is returned as a [`pending::Pending`] and completed by the HTTP layer.

pub mod apply;
pub mod args;
pub mod budget;
pub mod codec;
pub mod control;
pub mod faults;
pub mod info;
pub mod listing;
pub mod logfiles;
pub mod logs;
pub mod pending;
pub mod reload;
pub mod table;
pub mod value;

pub use value::Value;

/// A method's answer: now, or once a state is reached.
#[derive(Debug)]
pub enum Reply {
    Now(Value),
    Later(pending::Pending),
}

#[cfg(test)]
mod tests;
