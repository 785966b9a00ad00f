//! The one place that reads clocks: monotonic time for every decision, wall time for what
//! users see (start/stop stamps, log lines, TICK alignment).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn now() -> Instant {
    Instant::now()
}

/// Seconds since the epoch.
pub fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The longest delay a deadline is ever armed with: a century is "never" for a daemon, and
/// an `Instant` this far out cannot overflow (config values such as `startsecs` are Python
/// integers of any size, D5).
pub const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `at + delay` without overflow: delays beyond [`FOREVER`] are clamped to it.
pub fn after(at: Instant, delay: Duration) -> Instant {
    let delay = delay.min(FOREVER);
    at.checked_add(delay).unwrap_or(at)
}

/// [`after`] in whole seconds, as the config's `*secs` values are.
pub fn after_secs(at: Instant, secs: u64) -> Instant {
    after(at, Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_delays_are_clamped_not_overflowed() {
        let t0 = Instant::now();
        assert_eq!(after_secs(t0, u64::MAX), t0 + FOREVER);
        assert_eq!(after(t0, Duration::MAX), t0 + FOREVER);
        assert_eq!(after_secs(t0, 3), t0 + Duration::from_secs(3));
    }
}
