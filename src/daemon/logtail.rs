//! Log followers for `GET /logtail/<name>[/stderr]` and `/mainlogtail` (reference §5.7).
//!
//! A follower starts with the last 1024 bytes of the file, then sends what is appended. The
//! daemon writes every log itself, so followers are pumped when a log grows, never on a
//! timer. A moved file (rotation, or logrotate then SIGUSR2) is reopened by path; a file that
//! shrank gets `==> File truncated <==` and is followed from its start.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::http::response::Framing;

/// How much of the file a new follower sees first.
const BACKLOG: u64 = 1024;
/// The most read from the file in one pump.
pub const PUMP_CHUNK: usize = 64 * 1024;

#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    file: File,
    ino: u64,
    pos: u64,
    pub framing: Framing,
}

impl Tail {
    /// Opens `path` positioned at byte `from`, or by default 1024 bytes before its end. A
    /// position past the end is followed like a file that shrank.
    ///
    /// # Errors
    /// The open error (the caller answers 404).
    pub fn open(path: &Path, framing: Framing, from: Option<u64>) -> std::io::Result<Tail> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let pos = from.unwrap_or_else(|| meta.len().saturating_sub(BACKLOG));
        Ok(Tail {
            path: path.to_path_buf(),
            file,
            ino: meta.ino(),
            pos,
            framing,
        })
    }

    /// What was appended since the last call, framed, at most [`PUMP_CHUNK`] bytes of data.
    pub fn pump(&mut self) -> Vec<u8> {
        let mut notice: &[u8] = b"";
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if meta.ino() != self.ino {
                if let Ok(f) = File::open(&self.path) {
                    self.file = f;
                    self.ino = meta.ino();
                    self.pos = 0;
                }
            }
        }
        let size = self.file.metadata().map_or(self.pos, |m| m.len());
        if size < self.pos {
            notice = b"==> File truncated <==\n";
            self.pos = 0;
        }
        let want = size.saturating_sub(self.pos).min(PUMP_CHUNK as u64);
        let mut data = notice.to_vec();
        if want > 0 && self.file.seek(SeekFrom::Start(self.pos)).is_ok() {
            let before = data.len();
            let _ = (&mut self.file).take(want).read_to_end(&mut data);
            let got = data.len().saturating_sub(before);
            self.pos = self
                .pos
                .saturating_add(u64::try_from(got).unwrap_or(u64::MAX));
        }
        self.framing.frame(&data)
    }

    /// True when the file holds more than has been sent.
    pub fn behind(&self) -> bool {
        self.file.metadata().is_ok_and(|m| m.len() != self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = std::env::temp_dir().join(format!("logtail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.log");
        std::fs::write(&path, vec![b'a'; 2000]).unwrap();
        let mut t = Tail::open(&path, Framing::UntilClose, None).unwrap();
        assert_eq!(t.pump().len(), 1024);
        assert!(t.pump().is_empty());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"new\n")
            .unwrap();
        assert!(t.behind());
        assert_eq!(t.pump(), b"new\n");
        std::fs::rename(&path, dir.join("x.log.1")).unwrap();
        std::fs::write(&path, b"fresh\n").unwrap();
        assert_eq!(t.pump(), b"fresh\n");
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap()
            .write_all(b"z")
            .unwrap();
        assert_eq!(t.pump(), b"==> File truncated <==\nz");
        let mut c = Tail::open(&path, Framing::Chunked, None).unwrap();
        assert_eq!(c.pump(), b"1\r\nz\r\n");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(
            Tail::open(&path, Framing::UntilClose, Some(7))
                .unwrap()
                .pump(),
            b"789"
        );
        assert_eq!(
            Tail::open(&path, Framing::UntilClose, Some(11))
                .unwrap()
                .pump(),
            b"==> File truncated <==\n0123456789"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
