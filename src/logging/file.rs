//! A log file that rotates at `maxbytes` and keeps `backups` old files (reference §7.1).
//!
//! Child logs may also rotate by time (`*_logfile_rotate = daily|hourly`, D11): the first
//! write after a local hour or midnight boundary rotates first, so each file holds one
//! period's output (the file's age at open is taken from its mtime).
//!
//! Used for the activity log and every child log. Writes go straight to the file (no
//! userspace buffer), so nothing is lost if the daemon dies and memory stays flat with many
//! processes. Rotation is checked after each write, as Supervisor's handler does, so a file
//! may exceed `maxbytes` by up to one write.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a write did besides appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Appended,
    /// The file reached `maxbytes` and was rotated: the path now names a new, empty file.
    Rotated,
}

/// Time-based rotation of a child log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hourly,
    Daily,
}

impl Period {
    /// `daily` or `hourly`, any case.
    pub fn parse(value: &str) -> Option<Period> {
        match value.trim().to_ascii_lowercase().as_str() {
            "daily" => Some(Period::Daily),
            "hourly" => Some(Period::Hourly),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Period::Hourly => "hourly",
            Period::Daily => "daily",
        }
    }

    /// The first local hour or midnight boundary after `secs` (seconds since the epoch).
    pub fn next_after(self, secs: i64) -> i64 {
        let t = crate::sys::localtime(secs);
        let into_hour = i64::from(t.minute)
            .saturating_mul(60)
            .saturating_add(i64::from(t.second));
        let hour_start = secs.saturating_sub(into_hour);
        match self {
            Period::Hourly => hour_start.saturating_add(3600),
            Period::Daily => hour_start
                .saturating_sub(i64::from(t.hour).saturating_mul(3600))
                .saturating_add(86_400),
        }
    }
}

/// The most bytes written before the rotation check: the reference's read size.
const RECORD: usize = 128 * 1024;

fn epoch_secs(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    maxbytes: u64,
    backups: u32,
    /// Time-based rotation and the boundary (epoch seconds) that triggers the next one.
    period: Option<(Period, i64)>,
}

impl LogFile {
    /// Opens (creating if needed) `path` for appending.
    ///
    /// # Errors
    /// The open error; the caller logs it and carries on without this log.
    pub fn open(path: &Path, maxbytes: u64, backups: u32) -> io::Result<LogFile> {
        let mut log = LogFile {
            path: path.to_path_buf(),
            file: None,
            size: 0,
            maxbytes,
            backups,
            period: None,
        };
        log.reopen()?;
        Ok(log)
    }

    /// Rotates by time as well; the current file's period is the one of its last write (of
    /// `now` when empty).
    pub fn set_period(&mut self, period: Option<Period>, now: SystemTime) {
        let since = match self.size {
            0 => now,
            _ => std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .unwrap_or(now),
        };
        self.period = period.map(|p| (p, p.next_after(epoch_secs(since))));
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current size as this writer knows it.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `data`, then rotates if the file reached `maxbytes`; first, with a period,
    /// rotates if `now` (the loop's time) passed its boundary.
    ///
    /// # Errors
    /// A failed write (full disk, removed directory): the caller reports it; the next write
    /// tries again.
    pub fn write(&mut self, data: &[u8], now: SystemTime) -> io::Result<Written> {
        if self.file.is_none() {
            self.reopen()?;
        }
        let mut rotated = false;
        if let Some((period, boundary)) = self.period {
            let now = epoch_secs(now);
            if now >= boundary {
                self.period = Some((period, period.next_after(now)));
                if self.size > 0 {
                    self.rotate()?;
                    rotated = true;
                }
            }
        }
        // Written as records of at most RECORD bytes, each followed by the size check, so a
        // file outgrows maxbytes by less than one record, as the reference's (whose records
        // are its 128 KiB reads), however large the caller's chunk.
        for record in data.chunks(RECORD) {
            let Some(file) = self.file.as_mut() else {
                return Err(io::Error::other("log file is not open"));
            };
            file.write_all(record)?;
            let len = u64::try_from(record.len()).unwrap_or(u64::MAX);
            self.size = self.size.saturating_add(len);
            if self.maxbytes > 0 && self.size >= self.maxbytes {
                self.rotate()?;
                rotated = true;
            }
        }
        Ok(if rotated {
            Written::Rotated
        } else {
            Written::Appended
        })
    }

    /// Rotates now, whatever the size (`supervisorctl rotate`); an empty file stays.
    ///
    /// # Errors
    /// The rename or open error.
    pub fn rotate_now(&mut self) -> io::Result<()> {
        if self.size == 0 {
            return Ok(());
        }
        self.rotate()
    }

    /// Closes and reopens the same path (SIGUSR2, after an external logrotate).
    ///
    /// # Errors
    /// The open error; the file stays closed and the next write retries.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&self.path)?;
        self.size = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }

    /// Deletes the file and starts a new empty one (`clearLog`, `clearProcessLogs`).
    /// Rotated backups are kept, as Supervisor keeps them.
    ///
    /// # Errors
    /// The remove or open error.
    pub fn clear(&mut self) -> io::Result<()> {
        self.file = None;
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.reopen()
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.backups > 0 {
            for i in (1..self.backups).rev() {
                let src = backup_name(&self.path, i);
                if src.exists() {
                    let dst = backup_name(&self.path, i.saturating_add(1));
                    let _ = std::fs::remove_file(&dst);
                    std::fs::rename(&src, &dst)?;
                }
            }
            let first = backup_name(&self.path, 1);
            let _ = std::fs::remove_file(&first);
            std::fs::rename(&self.path, &first)?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_APPEND)
            .open(&self.path)?;
        self.size = 0;
        self.file = Some(file);
        Ok(())
    }
}

/// `supervisord.log.3`.
pub fn backup_name(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("logfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn len(p: &Path) -> u64 {
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX)
    }

    #[test]
    fn rotates_after_the_write_that_reaches_maxbytes() {
        let d = tmpdir("rot");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 10, 2).unwrap();
        assert_eq!(
            f.write(b"12345", SystemTime::now()).unwrap(),
            Written::Appended
        );
        assert_eq!(
            f.write(b"123456", SystemTime::now()).unwrap(),
            Written::Rotated
        );
        assert_eq!(len(&backup_name(&p, 1)), 11);
        assert_eq!(len(&p), 0);
        f.write(b"abcdefghij", SystemTime::now()).unwrap();
        f.write(b"ABCDEFGHIJKL", SystemTime::now()).unwrap();
        assert_eq!(len(&backup_name(&p, 1)), 12);
        assert_eq!(len(&backup_name(&p, 2)), 10);
        assert!(!backup_name(&p, 3).exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_large_chunk_is_written_as_records_each_followed_by_the_size_check() {
        let d = tmpdir("records");
        let p = d.join("x.log");
        let max = 200 * 1024;
        let mut f = LogFile::open(&p, max, 10).unwrap();
        assert_eq!(
            f.write(&vec![b'x'; 1 << 20], SystemTime::now()).unwrap(),
            Written::Rotated
        );
        let mut total = len(&p);
        for i in 1..=10 {
            let b = backup_name(&p, i);
            if b.exists() {
                let n = len(&b);
                assert!((max..max + RECORD as u64).contains(&n), "backup {i}: {n}");
                total += n;
            }
        }
        assert_eq!(total, 1 << 20);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn no_backups_truncates_and_zero_maxbytes_never_rotates() {
        let d = tmpdir("trunc");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 4, 0).unwrap();
        assert_eq!(
            f.write(b"hello", SystemTime::now()).unwrap(),
            Written::Rotated
        );
        assert_eq!(len(&p), 0);
        assert!(!backup_name(&p, 1).exists());
        let mut g = LogFile::open(&d.join("y.log"), 0, 3).unwrap();
        for _ in 0..10 {
            assert_eq!(
                g.write(b"0123456789", SystemTime::now()).unwrap(),
                Written::Appended
            );
        }
        assert_eq!(g.size(), 100);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn period_boundaries_are_local_hours_and_midnights() {
        for secs in [0i64, 1_700_000_000, 1_700_003_599, 1_733_000_000] {
            let h = Period::Hourly.next_after(secs);
            assert!(h > secs && h - secs <= 3600);
            let t = crate::sys::localtime(h);
            assert_eq!((t.minute, t.second), (0, 0), "{secs}");
            let d = Period::Daily.next_after(secs);
            assert!(d > secs && d - secs <= 86_400 + 3600);
            let t = crate::sys::localtime(d);
            assert_eq!((t.minute, t.second), (0, 0), "{secs}");
        }
        assert_eq!(Period::parse(" Daily"), Some(Period::Daily));
        assert_eq!(Period::parse("weekly"), None);
    }

    #[test]
    fn a_passed_boundary_rotates_before_the_next_write() {
        let d = tmpdir("period");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 0, 3).unwrap();
        let t0 = SystemTime::now();
        f.set_period(Some(Period::Hourly), t0);
        assert_eq!(f.write(b"first hour\n", t0).unwrap(), Written::Appended);
        let next_hour = t0 + std::time::Duration::from_secs(3600);
        assert_eq!(
            f.write(b"next hour\n", next_hour).unwrap(),
            Written::Rotated
        );
        assert_eq!(std::fs::read(backup_name(&p, 1)).unwrap(), b"first hour\n");
        assert_eq!(std::fs::read(&p).unwrap(), b"next hour\n");
        assert!(f.period.is_some_and(|(_, b)| b > 0));
        // A file last written in an earlier period rotates at its first write.
        let mut g = LogFile::open(&p, 0, 3).unwrap();
        let old = std::fs::File::options().write(true).open(&p).unwrap();
        old.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(3600))
            .unwrap();
        g.set_period(Some(Period::Daily), next_hour);
        assert_eq!(g.write(b"today\n", next_hour).unwrap(), Written::Rotated);
        assert_eq!(std::fs::read(backup_name(&p, 2)).unwrap(), b"first hour\n");
        assert_eq!(std::fs::read(backup_name(&p, 1)).unwrap(), b"next hour\n");
        g.rotate_now().unwrap();
        assert_eq!(std::fs::read(backup_name(&p, 1)).unwrap(), b"today\n");
        assert_eq!(len(&p), 0);
        g.rotate_now().unwrap();
        assert_eq!(
            std::fs::read(backup_name(&p, 1)).unwrap(),
            b"today\n",
            "empty: no-op"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn reopen_follows_a_moved_file_and_clear_empties() {
        let d = tmpdir("reopen");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 0, 0).unwrap();
        f.write(b"old", SystemTime::now()).unwrap();
        std::fs::rename(&p, d.join("moved.log")).unwrap();
        f.reopen().unwrap();
        f.write(b"new", SystemTime::now()).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read(d.join("moved.log")).unwrap(), b"old");
        f.clear().unwrap();
        assert_eq!(len(&p), 0);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
