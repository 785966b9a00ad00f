//! The restart policy's decisions, pure (issue 14): how long a retry or an autorestart
//! waits, and whether the restart limit allows one more automatic restart.
//!
//! Time arrives as arguments; the machine asks, the executor's timers wait.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::beyond::{Curve, RestartPolicy};

/// The base of every curve without `restart_delay`: the reference's 1 s.
const BASE: Duration = Duration::from_secs(1);

/// The wait before retry number `n` (1 for the first): `backoff` applied to `restart_delay`
/// (default 1 s), capped by `backoff_max`. The defaults give the reference's n seconds.
pub fn retry_delay(policy: &RestartPolicy, n: u32) -> Duration {
    let base = policy.restart_delay.unwrap_or(BASE);
    let n = n.max(1);
    let wait = match policy.backoff.unwrap_or_default() {
        Curve::Linear => base.saturating_mul(n),
        Curve::Exponential => {
            let exp = n.saturating_sub(1).min(31);
            base.saturating_mul(1u32.checked_shl(exp).unwrap_or(u32::MAX))
        }
        Curve::Constant => base,
    };
    policy.backoff_max.map_or(wait, |max| wait.min(max))
}

/// The wait before an autorestart from EXITED, or `None` for the reference's pacing
/// (`RESTART_GAP` after the previous spawn). `streak` counts the quick runs in a row.
pub fn autorestart_delay(policy: &RestartPolicy, streak: u32) -> Option<Duration> {
    if policy.backoff_reset_after.is_some() {
        Some(retry_delay(policy, streak))
    } else {
        policy.restart_delay
    }
}

/// True when a run of `ran` resets the retry count and streak: always without
/// `backoff_reset_after` (the reference resets at RUNNING), else after that long.
pub fn run_resets(policy: &RestartPolicy, ran: Duration) -> bool {
    policy.backoff_reset_after.is_none_or(|after| ran >= after)
}

/// The times of recent automatic restarts, for `restart_limit = N/SECONDS`.
#[derive(Debug, Clone, Default)]
pub struct RestartWindow {
    times: VecDeque<Instant>,
}

impl RestartWindow {
    /// Records one automatic restart at `now` if the limit allows it; false when N restarts
    /// already happened within the window.
    pub fn allow(&mut self, limit: Option<(u32, Duration)>, now: Instant) -> bool {
        let Some((n, window)) = limit else {
            return true;
        };
        while self
            .times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            self.times.pop_front();
        }
        let cap = usize::try_from(n).unwrap_or(usize::MAX);
        if self.times.len() >= cap {
            return false;
        }
        self.times.push_back(now);
        true
    }

    /// Forgets every restart (a manual start begins afresh).
    pub fn clear(&mut self) {
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(curve: Option<Curve>, delay: Option<f64>, max: Option<u64>) -> RestartPolicy {
        RestartPolicy {
            restart_delay: delay.map(Duration::from_secs_f64),
            backoff: curve,
            backoff_max: max.map(Duration::from_secs),
            ..Default::default()
        }
    }

    fn curve(p: &RestartPolicy) -> Vec<f64> {
        (1..=6).map(|n| retry_delay(p, n).as_secs_f64()).collect()
    }

    #[test]
    fn default_is_the_references_linear_seconds() {
        assert_eq!(
            curve(&RestartPolicy::default()),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert_eq!(autorestart_delay(&RestartPolicy::default(), 3), None);
    }

    #[test]
    fn curves_with_base_and_cap() {
        let exp = policy(Some(Curve::Exponential), None, None);
        assert_eq!(curve(&exp), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        let capped = policy(Some(Curve::Exponential), Some(0.5), Some(5));
        assert_eq!(curve(&capped), [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]);
        let constant = policy(Some(Curve::Constant), Some(3.0), None);
        assert_eq!(curve(&constant), [3.0; 6]);
        let linear = policy(Some(Curve::Linear), Some(2.0), Some(7));
        assert_eq!(curve(&linear), [2.0, 4.0, 6.0, 7.0, 7.0, 7.0]);
        // Huge retry numbers saturate instead of overflowing.
        assert!(retry_delay(&exp, u32::MAX) >= Duration::from_secs(1 << 31));
    }

    #[test]
    fn autorestart_delay_uses_the_streak_only_with_reset_after() {
        let mut p = policy(Some(Curve::Exponential), Some(1.0), None);
        assert_eq!(autorestart_delay(&p, 4), Some(Duration::from_secs(1)));
        p.backoff_reset_after = Some(Duration::from_secs(30));
        assert_eq!(autorestart_delay(&p, 4), Some(Duration::from_secs(8)));
        assert!(!run_resets(&p, Duration::from_secs(29)));
        assert!(run_resets(&p, Duration::from_secs(30)));
        assert!(run_resets(&RestartPolicy::default(), Duration::ZERO));
    }

    #[test]
    fn restart_limit_counts_within_a_sliding_window() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let limit = Some((3, Duration::from_secs(10)));
        let mut w = RestartWindow::default();
        assert!(w.allow(limit, at(0)));
        assert!(w.allow(limit, at(1)));
        assert!(w.allow(limit, at(2)));
        assert!(!w.allow(limit, at(9)), "a 4th within 10 s");
        assert!(w.allow(limit, at(10)), "the first left the window");
        assert!(!w.allow(limit, at(10)), "1, 2 and 10 are within 10 s");
        assert!(w.allow(None, at(10)));
        let mut zero = RestartWindow::default();
        assert!(!zero.allow(Some((0, Duration::from_secs(1))), at(0)));
        w.clear();
        assert!(w.allow(limit, at(11)));
    }
}
