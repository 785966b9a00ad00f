//! Log levels of the activity log (reference §7.1).

use std::fmt;

/// A log level; ordered so that `Critical > Error > ... > Blather`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Blather,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Critical,
}

impl Level {
    /// The four-letter code written in each activity-log line (`INFO`, `DEBG`).
    pub fn code(self) -> &'static str {
        match self {
            Level::Critical => "CRIT",
            Level::Error => "ERRO",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBG",
            Level::Trace => "TRAC",
            Level::Blather => "BLAT",
        }
    }

    /// Parses a `loglevel=` value (case-insensitive; `warning` is not accepted).
    ///
    /// # Errors
    /// Supervisor's text: `bad logging level name 'loud'`.
    pub fn parse(value: &str) -> Result<Level, String> {
        match value.to_ascii_lowercase().as_str() {
            "critical" => Ok(Level::Critical),
            "error" => Ok(Level::Error),
            "warn" => Ok(Level::Warn),
            "info" => Ok(Level::Info),
            "debug" => Ok(Level::Debug),
            "trace" => Ok(Level::Trace),
            "blather" => Ok(Level::Blather),
            _ => Err(format!(
                "bad logging level name {}",
                crate::pytext::repr(value)
            )),
        }
    }

    /// The config spelling (`info`), as `getAllConfigInfo`-style reports need.
    pub fn name(self) -> &'static str {
        match self {
            Level::Critical => "critical",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
            Level::Blather => "blather",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_levels() {
        assert_eq!(Level::parse("INFO"), Ok(Level::Info));
        assert_eq!(Level::parse("blather"), Ok(Level::Blather));
        assert_eq!(
            Level::parse("warning").unwrap_err(),
            "bad logging level name 'warning'"
        );
        assert_eq!(
            Level::parse("loud").unwrap_err(),
            "bad logging level name 'loud'"
        );
        assert!(Level::Critical > Level::Warn && Level::Trace > Level::Blather);
    }
}
