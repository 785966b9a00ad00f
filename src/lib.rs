//! supervisor-rs: a drop-in re-implementation of Supervisor (`supervisord` + `supervisorctl`).
//!
//! # Map
//!
//! Leaf vocabulary, depending on nothing else in the crate:
//! - [`states`]: process, supervisor and listener states with their codes and names.
//! - [`signame`]: signal names and numbers as Supervisor spells them.
//!
//! Configuration ([`config`]): `supervisord.conf` → typed, validated structs that compare by
//! value (reference §1).
//!
//! The client ([`ctl`]): `supervisorctl`, a small synchronous program over blocking sockets.
//!
//! Behaviour is specified in `../shared/spec/reference.md` (Supervisor 4.3) and the binding
//! rulings in `../shared/spec/decisions.md`; deliberate differences carry a `DIVERGENCE(Qn):`
//! comment next to the code and a test.

pub mod config;
pub mod ctl;
pub mod events;
pub mod logging;
pub mod signame;
pub mod states;
