//! supervisord's activity log: level filter, line format, rotation, the `-n` copy to stdout
//! and syslog (reference §7.1, §7.4).
//!
//! Writes are unbuffered so a crash loses nothing; the loop reads `take_appended()` to feed
//! `/mainlogtail` followers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::clock::epoch_secs;
use crate::logging::file::LogFile;
use crate::logging::level::Level;
use crate::timefmt::log_stamp;

#[derive(Debug)]
pub struct MainLog {
    level: Level,
    file: Option<LogFile>,
    path: Option<PathBuf>,
    syslog: bool,
    echo: bool,
    appended: bool,
    /// The time lines are stamped with: the loop's turn, set by the reactor.
    now: SystemTime,
}

/// Where the activity log goes.
#[derive(Debug, Clone)]
pub struct MainLogSettings {
    pub level: Level,
    /// `None` for `logfile=syslog`.
    pub path: Option<PathBuf>,
    pub maxbytes: u64,
    pub backups: u32,
    /// Copy every line to stdout (`nodaemon` without `silent`).
    pub echo: bool,
}

impl MainLog {
    /// Opens the log as configured; lines are stamped `now` until [`MainLog::set_now`].
    ///
    /// # Errors
    /// The open error text (a start-up error).
    pub fn open(s: &MainLogSettings, now: SystemTime) -> Result<MainLog, String> {
        let file = match &s.path {
            Some(p) => Some(
                LogFile::open(p, s.maxbytes, s.backups)
                    .map_err(|e| format!("could not open log file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(MainLog {
            level: s.level,
            file,
            path: s.path.clone(),
            syslog: s.path.is_none(),
            echo: s.echo,
            appended: false,
            now,
        })
    }

    pub fn level(&self) -> Level {
        self.level
    }

    pub fn enabled(&self, level: Level) -> bool {
        level >= self.level
    }

    /// The log file's path, `None` with syslog.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The time the next lines are stamped with.
    pub fn set_now(&mut self, now: SystemTime) {
        self.now = now;
    }

    /// Writes one message, stamped with the time last set.
    pub fn log(&mut self, level: Level, msg: &str) {
        if level < self.level {
            return;
        }
        let line = format!(
            "{} {} {}\n",
            log_stamp(epoch_secs(self.now)),
            level.code(),
            msg
        );
        if let Some(f) = self.file.as_mut() {
            if f.write(line.as_bytes(), self.now).is_ok() {
                self.appended = true;
            }
        }
        if self.syslog {
            for l in line.trim_end_matches('\n').split('\n') {
                crate::sys::syslog(l);
            }
        }
        if self.echo {
            let _ = std::io::stdout().write_all(line.as_bytes());
        }
    }

    /// True once after something was written (for `/mainlogtail` followers).
    pub fn take_appended(&mut self) -> bool {
        std::mem::take(&mut self.appended)
    }

    /// Reopens the file (SIGUSR2).
    pub fn reopen(&mut self) {
        if let Some(f) = self.file.as_mut() {
            let _ = f.reopen();
        }
    }

    /// Deletes and recreates the file (`clearLog`).
    ///
    /// # Errors
    /// `None` when there is no file; the OS error text otherwise.
    pub fn clear(&mut self) -> Result<(), Option<String>> {
        match self.file.as_mut() {
            None => Err(None),
            Some(f) => f.clear().map_err(|e| Some(e.to_string())),
        }
    }

    /// Stops echoing to stdout (after daemonizing, stdout is /dev/null anyway).
    pub fn set_echo(&mut self, echo: bool) {
        self.echo = echo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_level_and_formats_lines() {
        let dir = std::env::temp_dir().join(format!("mainlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.log");
        let mut log = MainLog::open(
            &MainLogSettings {
                level: Level::Info,
                path: Some(path.clone()),
                maxbytes: 0,
                backups: 0,
                echo: false,
            },
            SystemTime::now(),
        )
        .unwrap();
        log.log(Level::Debug, "hidden");
        assert!(!log.take_appended());
        let then = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_795_313_262_613);
        log.set_now(then);
        log.log(Level::Warn, "received SIGTERM indicating exit request");
        assert!(log.take_appended());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 24 + 5 + 41, "{text}");
        // Stamped with the time the loop set, not a clock read of its own.
        assert!(text.starts_with(&log_stamp(1_795_313_262.613)), "{text}");
        assert!(text.ends_with(" WARN received SIGTERM indicating exit request\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
