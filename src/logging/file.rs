//! A log file that rotates at `maxbytes` and keeps `backups` old files (reference §7.1).
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

/// What a write did besides appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Appended,
    /// The file reached `maxbytes` and was rotated: the path now names a new, empty file.
    Rotated,
}

#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    maxbytes: u64,
    backups: u32,
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
        };
        log.reopen()?;
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current size as this writer knows it.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `data`, then rotates if the file reached `maxbytes`.
    ///
    /// # Errors
    /// A failed write (full disk, removed directory): the caller reports it; the next write
    /// tries again.
    pub fn write(&mut self, data: &[u8]) -> io::Result<Written> {
        if self.file.is_none() {
            self.reopen()?;
        }
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("log file is not open"));
        };
        file.write_all(data)?;
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        self.size = self.size.saturating_add(len);
        if self.maxbytes > 0 && self.size >= self.maxbytes {
            self.rotate()?;
            return Ok(Written::Rotated);
        }
        Ok(Written::Appended)
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
        assert_eq!(f.write(b"12345").unwrap(), Written::Appended);
        assert_eq!(f.write(b"123456").unwrap(), Written::Rotated);
        assert_eq!(len(&backup_name(&p, 1)), 11);
        assert_eq!(len(&p), 0);
        f.write(b"abcdefghij").unwrap();
        f.write(b"ABCDEFGHIJKL").unwrap();
        assert_eq!(len(&backup_name(&p, 1)), 12);
        assert_eq!(len(&backup_name(&p, 2)), 10);
        assert!(!backup_name(&p, 3).exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn no_backups_truncates_and_zero_maxbytes_never_rotates() {
        let d = tmpdir("trunc");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 4, 0).unwrap();
        assert_eq!(f.write(b"hello").unwrap(), Written::Rotated);
        assert_eq!(len(&p), 0);
        assert!(!backup_name(&p, 1).exists());
        let mut g = LogFile::open(&d.join("y.log"), 0, 3).unwrap();
        for _ in 0..10 {
            assert_eq!(g.write(b"0123456789").unwrap(), Written::Appended);
        }
        assert_eq!(g.size(), 100);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn reopen_follows_a_moved_file_and_clear_empties() {
        let d = tmpdir("reopen");
        let p = d.join("x.log");
        let mut f = LogFile::open(&p, 0, 0).unwrap();
        f.write(b"old").unwrap();
        std::fs::rename(&p, d.join("moved.log")).unwrap();
        f.reopen().unwrap();
        f.write(b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read(d.join("moved.log")).unwrap(), b"old");
        f.clear().unwrap();
        assert_eq!(len(&p), 0);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
