//! Ctrl-C while a log is followed: SIGINT becomes a readable byte instead of killing us.
//!
//! Owns supervisorctl's SIGINT handling. Outside [`Interrupt::catch`] SIGINT keeps its default
//! action (the process dies, as any command-line tool would); inside it, the signal only makes
//! [`Interrupt::fd`] readable, so a poll(2) loop can stop cleanly (`tail -f` prints an empty
//! line and exits 0, as the reference does on KeyboardInterrupt). It must not read or write
//! anything but its own pipe.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::SIGINT;

/// The SIGINT self-pipe and the switch between "default action" and "catch".
#[derive(Debug)]
pub struct Interrupt {
    read: UnixStream,
    default_action: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the handlers; SIGINT keeps its default action until [`Interrupt::catch`].
    ///
    /// # Errors
    ///
    /// Creating the pipe or registering the handlers failed.
    pub fn install() -> io::Result<Interrupt> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        let default_action = Arc::new(AtomicBool::new(true));
        signal_hook::flag::register_conditional_default(SIGINT, Arc::clone(&default_action))?;
        signal_hook::low_level::pipe::register(SIGINT, write)?;
        Ok(Interrupt {
            read,
            default_action,
        })
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
