//! The one place that reads clocks: monotonic time for every decision, wall time for what
//! users see (start/stop stamps, log lines, TICK alignment).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use crate::timefmt::{after, after_secs, FAR};

pub fn now() -> Instant {
    Instant::now()
}

/// Seconds since the epoch.
pub fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn absurd_delays_are_clamped_not_overflowed() {
        let t0 = Instant::now();
        assert_eq!(after_secs(t0, u64::MAX), t0 + FAR);
        assert_eq!(after(t0, Duration::MAX), t0 + FAR);
        assert_eq!(after_secs(t0, 3), t0 + Duration::from_secs(3));
    }
}
