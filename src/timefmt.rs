//! Time texts users see: activity-log stamps, stop times, uptimes (Python's formats).
//!
//! Pure apart from the local-time conversion; never reads the clock.

use crate::sys::localtime;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// `2026-11-22 02:07:42,613` (local time, milliseconds truncated).
pub fn log_stamp(wall: f64) -> String {
    let secs = wall.floor();
    let ms = ((wall - secs) * 1000.0) as u32;
    let t = localtime(secs as i64);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        ms.min(999)
    )
}

/// `Nov 22 02:07 AM`, the `strftime('%b %d %I:%M %p')` of a stopped process's description.
pub fn stop_time(wall: f64) -> String {
    let t = localtime(wall.floor() as i64);
    let hour12 = match t.hour % 12 {
        0 => 12,
        h => h,
    };
    let ampm = if t.hour < 12 { "AM" } else { "PM" };
    format!(
        "{} {:02} {:02}:{:02} {}",
        month(t.month),
        t.day,
        hour12,
        t.minute,
        ampm
    )
}

/// `Sun Nov 22 02:07:42 2026`, Python's `time.ctime()`.
pub fn ctime(wall: f64) -> String {
    let t = localtime(wall.floor() as i64);
    let day = DAYS.get(t.weekday as usize).copied().unwrap_or("???");
    format!(
        "{day} {} {:2} {:02}:{:02}:{:02} {}",
        month(t.month),
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// `Jan` for 1 … `Dec` for 12.
pub fn month(m: u32) -> &'static str {
    MONTHS
        .get(m.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("???")
}

/// Python's `str(timedelta(seconds=n))`: `0:00:06`, `1 day, 2:03:04`, `3 days, 0:00:00`.
pub fn uptime(secs: i64) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let hms = format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        d => format!("{d} days, {hms}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_like_timedelta() {
        assert_eq!(uptime(6), "0:00:06");
        assert_eq!(uptime(3600 * 25 + 62), "1 day, 1:01:02");
        assert_eq!(uptime(86_400 * 3), "3 days, 0:00:00");
        assert_eq!(uptime(-5), "0:00:00");
    }

    #[test]
    fn stamps_have_python_shapes() {
        let s = log_stamp(1_795_313_262.613_9);
        assert_eq!(s.len(), 23);
        assert!(s.ends_with(",613"), "{s}");
        let st = stop_time(1_795_313_262.0);
        assert_eq!(st.len(), 15, "{st}");
        assert!(st.ends_with("AM") || st.ends_with("PM"));
        assert_eq!(ctime(1_795_313_262.0).len(), 24);
    }
}
