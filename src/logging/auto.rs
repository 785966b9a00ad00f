//! AUTO child-log names (`<name>-<channel>---<identifier>-<8 chars>.log`) and their
//! creation; the clean-up at start-up is `daemon::lifecycle::clear_auto_logs`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

const SUFFIX_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";

/// A fresh AUTO child log path `<dir>/<name>-<channel>---<identifier>-<8 chars>.log`,
/// not created yet (see [`create_auto_log`]).
pub fn auto_log_name(dir: &Path, name: &str, channel: &str, identifier: &str) -> PathBuf {
    dir.join(format!(
        "{name}-{channel}---{identifier}-{}.log",
        auto_suffix()
    ))
}

fn auto_suffix() -> String {
    let mut raw = [0u8; 8];
    crate::sys::random_bytes(&mut raw);
    raw.iter()
        .filter_map(|b| {
            let i = usize::from(*b).checked_rem(SUFFIX_CHARS.len())?;
            SUFFIX_CHARS.get(i).copied().map(char::from)
        })
        .collect()
}

/// Creates the new, empty AUTO child log `path` from [`auto_log_name`] (mode 0600). Should
/// that name be taken meanwhile, another suffix is tried; the path created is returned.
///
/// # Errors
/// The create error after a few attempts.
pub fn create_auto_log(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    let mut last = std::io::Error::other("could not create a unique file name");
    for _ in 0..16 {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                let _ = f.flush();
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
        // `<...>-<8 chars>.log`: replace the 8 characters.
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        let Some(stem) = file
            .as_deref()
            .and_then(|f| f.get(..f.len().saturating_sub(12)))
        else {
            return Err(last);
        };
        path.set_file_name(format!("{stem}{}.log", auto_suffix()));
    }
    Err(last)
}
