//! The one place that reads clocks, and the one overflow-safe deadline sum.
//!
//! The reactor reads [`Now`] once per turn and passes it down: monotonic time for every
//! decision, wall time for what users see (start/stop stamps, log lines, TICK alignment,
//! HTTP dates). Nothing else calls `Instant::now` or `SystemTime::now` (clippy's
//! `disallowed-methods`, see `clippy.toml`), so a turn sees one consistent time and tests
//! can hand any time in. A leaf: it imports nothing from the crate.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
// The allowed reads: this module is where they live.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A delay past which a deadline is as good as never (about 100 years).
pub const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// One reading of both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// For deadlines and durations.
    pub mono: Instant,
    /// For the times users see.
    pub wall: SystemTime,
}

impl Now {
    /// Reads both clocks. Only the reactor calls this (once per turn, see
    /// `daemon::reactor`), start-up, and the executor right after a fork.
    pub fn read() -> Now {
        Now {
            mono: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The wall time in seconds since the epoch.
    pub fn secs(&self) -> f64 {
        epoch_secs(self.wall)
    }
}

/// Measures the loop's own work for a budget (a multicall's slice, D9). Unlike [`Now`] it
/// must read the clock as the work goes on; it yields durations only, never a time.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    /// The time spent since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// `t` in seconds since the epoch (0 before it).
pub fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `at + d` without the panic of `Instant + Duration` on overflow: a delay longer than [`FAR`]
/// (an absurd `startsecs` or `stopwaitsecs`) is clamped to it.
pub fn after(at: Instant, d: Duration) -> Instant {
    // Unreachable fallback: an Instant counts from boot, so 100 years more always fits.
    at.checked_add(d.min(FAR)).unwrap_or(at)
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
        assert_eq!(after_secs(t0, u64::MAX), t0 + FAR);
        assert_eq!(after(t0, Duration::MAX), t0 + FAR);
        assert_eq!(after(t0, Duration::from_secs(u64::MAX)), t0 + FAR);
        assert_eq!(after_secs(t0, 3), t0 + Duration::from_secs(3));
        assert_eq!(
            after(t0, Duration::from_secs(3)),
            t0 + Duration::from_secs(3)
        );
    }

    #[test]
    fn a_stopwatch_counts_up_from_zero() {
        let w = Stopwatch::start();
        let (a, b) = (w.elapsed(), w.elapsed());
        assert!(a <= b && b < Duration::from_secs(60), "{a:?} {b:?}");
    }

    #[test]
    fn wall_seconds_count_from_the_epoch() {
        assert_eq!(epoch_secs(UNIX_EPOCH), 0.0);
        assert_eq!(epoch_secs(UNIX_EPOCH - Duration::from_secs(5)), 0.0);
        let now = Now {
            mono: Instant::now(),
            wall: UNIX_EPOCH + Duration::from_millis(1_500),
        };
        assert_eq!(now.secs(), 1.5);
    }
}
