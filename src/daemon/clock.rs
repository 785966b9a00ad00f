//! The one place that reads clocks: monotonic time for every decision, wall time for what
//! users see (start/stop stamps, log lines, TICK alignment).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use crate::timefmt::after;

pub fn now() -> Instant {
    Instant::now()
}

/// Seconds since the epoch.
pub fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
