//! supervisor-rs: a drop-in re-implementation of Supervisor (`supervisord` + `supervisorctl`).
//!
//! # Map
//!
//! Leaf vocabulary, depending on nothing else in the crate but each other: [`states`]
//! (process, supervisor and listener states), [`signame`] (signal names), [`pytext`]
//! (Python's `repr`, `ascii`, `int()` and float `repr`), [`timefmt`] (time texts), [`sys`]
//! (the few libc calls nix lacks), [`clock`] (the only clock reads, and deadline sums).
//!
//! Pure cores (inputs in, decisions out; no syscalls, no clock):
//! - [`config::parse`]: `supervisord.conf`'s sections and the environment → typed, validated
//!   structs that compare by value, users and paths still as written (§1); [`config::load`]
//!   puts file reading before it and one pass of system lookups after it ([`config::resolve()`]);
//! - [`process::machine`]: the per-process state machine (§3);
//! - [`events`]: event payloads, listener pools, the listener protocol, capture mode (§6);
//! - [`http`] and [`rpc`]: HTTP framing, Basic auth, the XML-RPC codec and the method table
//!   (§5); [`logging::tail`], [`logging::ansi`]; [`web`], the web interface's pages.
//!
//! The model ([`model`]): configuration, groups, processes, the pid table, supervisord's
//! state, event pools and the activity log, with no poll and no timers; and
//! [`model::Supervisor`], the verbs (start, stop, signal, stdin, groups, logs, reload,
//! shutdown, the turn's clock) through which the RPC handlers and the web actions act.
//!
//! The daemon ([`daemon`]): the reactor, one thread, one `mio::Poll`, owning the model and
//! implementing its verbs (`daemon::verbs`). Its turn (signals and reaping, then I/O, then
//! timers, then event delivery, then shutdown progress) is written in [`daemon::reactor`];
//! only `daemon` and `process::spawn` touch children and sockets.
//!
//! Dependencies point one way: `daemon` → (`web`, `rpc`) → `model` → (`config`, `process`,
//! `events`, `logging`, vocabulary); `web` renders the pages and maps their actions to RPC
//! methods, so the page acts through the same verbs as a client.
//!
//! The client ([`ctl`]): `supervisorctl`, a small synchronous program over blocking sockets.
//!
//! Behaviour is specified in `../shared/spec/reference.md` (Supervisor 4.3, cited as §n) and
//! the binding rulings in `../shared/spec/decisions.md`; deliberate differences carry a
//! `DIVERGENCE(Qn):` comment next to the code and a test.

// Tests may read the clock; the daemon takes the reactor's `clock::Now` (clippy.toml).
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod clock;
pub mod config;
pub mod ctl;
pub mod daemon;
pub mod events;
pub mod http;
pub mod logging;
pub mod model;
pub mod process;
pub mod pytext;
pub mod rpc;
pub mod signame;
pub mod states;
pub mod sys;
pub mod timefmt;
pub mod web;
