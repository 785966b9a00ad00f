//! Safe wrappers for the few libc calls nix does not wrap (the other module allowed `unsafe`),
//! and the symbolic names of errno values.
#![allow(unsafe_code)]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Broken-down local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

/// Fixes glibc malloc's thresholds at its initial values (128 KiB). Left dynamic, they rise
/// when a large buffer is freed (the configuration at start-up, a 12 MB answer at 10,000
/// programs): later medium allocations then come from the heap and its free top is no longer
/// given back, so the daemon stays larger for good. 10,000 programs: 56 -> 40 MB resident.
pub fn fix_malloc_thresholds() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets allocator parameters; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

/// Converts seconds since the epoch to local time (the process's `TZ`).
pub fn localtime(secs: i64) -> LocalTime {
    let t = secs as libc::time_t;
    // SAFETY: localtime_r only writes into the tm we own; an all-zero tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return LocalTime {
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            weekday: 4,
        };
    }
    LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        weekday: tm.tm_wday as u32,
    }
}

/// Sends one message to syslog(3) at LOG_INFO with the default facility.
pub fn syslog(msg: &str) {
    let Ok(text) = std::ffi::CString::new(msg.replace('\0', "\\0")) else {
        return;
    };
    // SAFETY: a constant "%s" format with one valid C string argument.
    unsafe { libc::syslog(libc::LOG_INFO, c"%s".as_ptr(), text.as_ptr()) };
}

/// Forks for daemonizing: the parent exits 0 at once (as Supervisor's single fork does);
/// returns in the child.
///
/// # Errors
/// The fork error, in the original process.
pub fn fork_and_exit_parent() -> std::io::Result<()> {
    // SAFETY: called before the event loop exists, with no other threads; the parent only
    // calls `_exit`.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(()),
        // SAFETY: `_exit` is always safe to call; it skips destructors on purpose.
        _ => unsafe { libc::_exit(0) },
    }
}

/// Fills `buf` from the kernel's random source (`getrandom(2)`).
pub fn random_bytes(buf: &mut [u8]) {
    // SAFETY: the pointer and length describe `buf`, which we own mutably.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 || n as usize != buf.len() {
        // Without getrandom (an old kernel, a seccomp filter): SipHash keyed by the keys std
        // drew for hash maps (from /dev/urandom then) is still unpredictable from outside,
        // and each `RandomState` differs from the last.
        for (i, chunk) in buf.chunks_mut(8).enumerate() {
            let mut h = RandomState::new().build_hasher();
            h.write_usize(i);
            for (b, v) in chunk.iter_mut().zip(h.finish().to_le_bytes()) {
                *b = v;
            }
        }
    }
}

/// `kill(2)` with any signal number (nix's `Signal` has no real-time signals).
///
/// # Errors
/// The OS error (ESRCH when the process is gone).
pub fn kill(pid: i32, sig: i32) -> std::io::Result<()> {
    // SAFETY: kill(2) has no memory-safety preconditions.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// One `waitpid(-1, WNOHANG)`: `Some((pid, raw status))` for a reaped child, `None` when no
/// child has exited (or there are no children).
pub fn reap_one() -> Option<(i32, i32)> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid > 0 {
            return Some((pid, status));
        }
        if pid < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// `sysconf(name)`, or `fallback` when the value is unknown.
fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: sysconf(3) has no memory-safety preconditions.
    let v = unsafe { libc::sysconf(name) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(fallback)
}

/// Clock ticks per second, the unit of the CPU times in `/proc/<pid>/stat`.
pub fn clock_ticks() -> u64 {
    sysconf(libc::_SC_CLK_TCK, 100)
}

/// The page size, the unit of the resident set in `/proc/<pid>/stat`.
pub fn page_size() -> u64 {
    sysconf(libc::_SC_PAGESIZE, 4096)
}

/// The symbolic name of an errno (`ENOENT`), as Python's `errno.errorcode` gives it.
/// Allocation-free so the child may call it.
pub fn errno_name(err: i32) -> &'static str {
    const NAMES: &[(i32, &str)] = &[
        (libc::EPERM, "EPERM"),
        (libc::ENOENT, "ENOENT"),
        (libc::ESRCH, "ESRCH"),
        (libc::EINTR, "EINTR"),
        (libc::EIO, "EIO"),
        (libc::ENXIO, "ENXIO"),
        (libc::E2BIG, "E2BIG"),
        (libc::ENOEXEC, "ENOEXEC"),
        (libc::EBADF, "EBADF"),
        (libc::ECHILD, "ECHILD"),
        (libc::EAGAIN, "EAGAIN"),
        (libc::ENOMEM, "ENOMEM"),
        (libc::EACCES, "EACCES"),
        (libc::EFAULT, "EFAULT"),
        (libc::EBUSY, "EBUSY"),
        (libc::EEXIST, "EEXIST"),
        (libc::ENOTDIR, "ENOTDIR"),
        (libc::EISDIR, "EISDIR"),
        (libc::EINVAL, "EINVAL"),
        (libc::ENFILE, "ENFILE"),
        (libc::EMFILE, "EMFILE"),
        (libc::ETXTBSY, "ETXTBSY"),
        (libc::ENOSPC, "ENOSPC"),
        (libc::EROFS, "EROFS"),
        (libc::EPIPE, "EPIPE"),
        (libc::ENAMETOOLONG, "ENAMETOOLONG"),
        (libc::ELOOP, "ELOOP"),
        (libc::ELIBBAD, "ELIBBAD"),
        (libc::EADDRINUSE, "EADDRINUSE"),
        (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
        (libc::ECONNREFUSED, "ECONNREFUSED"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == err)
        .map_or("EUNKNOWN", |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(libc::ENOENT), "ENOENT");
        assert_eq!(errno_name(libc::EACCES), "EACCES");
        assert_eq!(errno_name(9999), "EUNKNOWN");
    }
}
