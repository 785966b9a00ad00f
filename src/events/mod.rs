//! Events: types and subscriptions (reference §6).
//!
//! Pure cores the event loop drives: [`payload`] (event text and envelope), [`pool`]
//! (buffers, serials, the bus), [`listener`] (the listener protocol), [`capture`]
//! (PROCESS_COMMUNICATION scanning) and [`tick`] (TICK_* timing).

pub mod capture;
pub mod listener;
pub mod payload;
pub mod pool;
pub mod tick;
pub mod types;
