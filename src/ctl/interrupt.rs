//! Ctrl-C while a log is followed: SIGINT becomes a readable byte instead of killing us.
//!
//! Owns supervisorctl's SIGINT handling. Outside [`Interrupt::catch`] SIGINT keeps its default
//! action (the process dies, as any command-line tool would); inside it, the signal only makes
//! [`Interrupt::fd`] readable, so a poll(2) loop can stop cleanly (`tail -f` prints an empty
//! line and exits 0, as the reference does on KeyboardInterrupt). It also owns the poll(2)
//! wait those loops use. It must not read or write anything but its own pipe.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use signal_hook::consts::SIGINT;

/// The SIGINT self-pipe and the switch between "default action" and "catch".
#[derive(Debug)]
pub struct Interrupt {
    read: UnixStream,
    default_action: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the handlers; SIGINT keeps its default action until [`Interrupt::catch`].
    /// `None` when SIGINT was inherited ignored (a background job): it stays ignored.
    ///
    /// # Errors
    ///
    /// Creating the pipe or registering the handlers failed.
    pub fn install() -> io::Result<Option<Interrupt>> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if sigint_ignored(&status) {
            return Ok(None);
        }
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        let default_action = Arc::new(AtomicBool::new(true));
        signal_hook::flag::register_conditional_default(SIGINT, Arc::clone(&default_action))?;
        signal_hook::low_level::pipe::register(SIGINT, write)?;
        Ok(Some(Interrupt {
            read,
            default_action,
        }))
    }

    /// Catches SIGINT until the returned guard is dropped.
    pub fn catch(&self) -> Catching<'_> {
        self.drain();
        self.default_action.store(false, Ordering::SeqCst);
        Catching { interrupt: self }
    }

    /// Readable once SIGINT arrived while catching.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Empties the pipe.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {}
    }
}

/// Blocks until at least one of `fds` is readable (or hung up); says which are.
///
/// # Errors
///
/// poll(2) failed (EINTR is retried).
pub fn readable(fds: &[BorrowedFd<'_>]) -> io::Result<Vec<bool>> {
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    loop {
        match poll(&mut polled, PollTimeout::NONE) {
            Ok(_) => break,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(polled
        .iter()
        .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
        .collect())
}

/// Whether `/proc/self/status` (its `SigIgn:` mask) says SIGINT is ignored.
fn sigint_ignored(proc_status: &str) -> bool {
    proc_status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (SIGINT - 1)) != 0)
}

/// SIGINT is caught while this lives.
#[derive(Debug)]
pub struct Catching<'a> {
    interrupt: &'a Interrupt,
}

impl Drop for Catching<'_> {
    fn drop(&mut self) {
        self.interrupt.default_action.store(true, Ordering::SeqCst);
        self.interrupt.drain();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigint_while_catching_makes_the_pipe_readable() {
        // Under a launcher that ignores SIGINT there is nothing to install, nor to test.
        let Some(interrupt) = Interrupt::install().unwrap() else {
            return;
        };
        let catching = interrupt.catch();
        signal_hook::low_level::raise(SIGINT).unwrap();
        assert_eq!(readable(&[interrupt.fd()]).unwrap(), [true]);
        drop(catching);
        let mut buf = [0u8; 8];
        let drained = (&interrupt.read).read(&mut buf).unwrap_err();
        assert_eq!(drained.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn sigint_ignored_reads_the_sigign_mask() {
        assert!(sigint_ignored(
            "Name:\tx\nSigIgn:\t0000000000000002\nSigCgt:\t0\n"
        ));
        assert!(!sigint_ignored("SigIgn:\t0000000000001000\n"));
        assert!(!sigint_ignored("no such line\n"));
    }
}
