//! The fd window: a few low fd numbers, reserved at start-up, through which a child gets its
//! pipes without a copy of the daemon's fd table.
//!
//! `clone` copies the whole fd table (a reference per open file) unless the child shares it,
//! and the exec then closes every copy again: with 3,000 programs running (15,000 fds) that is
//! most of the kernel's cost of a start, and it grows with each program started. So the child
//! shares the table (`CLONE_FILES`, with `CLONE_VFORK`: the daemon waits and touches no fd
//! meanwhile), and its first act, `close_range(K, ~0, CLOSE_RANGE_UNSHARE)`, gives it a private
//! table holding only the fds below K (see [`crate::process::child`]). Right before the clone
//! the daemon puts the child's ends into the window's slots, all below K; right after, it
//! points the slots back at `/dev/null`, so it keeps no end of the child's pipes open.
//!
//! Linux < 5.9 (or a seccomp filter) refuses `CLOSE_RANGE_UNSHARE`: the first child then copies
//! the whole table after all, and the window is given up for the copying path.
#![allow(unsafe_code)]

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::dup3;

use crate::process::child::{child_entry, Prepared, UNSHARE_REFUSED};
use crate::process::spawn::{clone_child, Stack};

/// Slots for the child's stdin, stdout, stderr and readiness fd.
const SLOTS: usize = 4;

/// The reserved slots and the one child stack they need (one child at a time: vfork).
#[derive(Debug)]
pub struct Window {
    null: OwnedFd,
    /// Each points at `/dev/null` between starts; close-on-exec.
    slots: [OwnedFd; SLOTS],
    /// One past the highest slot: the child keeps the fds below it.
    keep_below: RawFd,
    stack: Stack,
}

// SAFETY: `Window` owns its stack mapping and its fds; the mutex gives one user at a time.
unsafe impl Send for Window {}

#[derive(Debug)]
enum State {
    Untried,
    Ready(Window),
    /// No window (it could not be made, or the kernel refuses to unshare a range).
    Off,
}

static WINDOW: Mutex<State> = Mutex::new(State::Untried);

fn state() -> MutexGuard<'static, State> {
    WINDOW
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reserves the window while the fd numbers are still low: call it at start-up before opening
/// anything else. The first spawn reserves it otherwise.
pub fn reserve() {
    let mut s = state();
    if matches!(*s, State::Untried) {
        *s = Window::open().map_or(State::Off, State::Ready);
    }
}

/// The window, held for one start; `None` when starts copy the fd table instead.
pub(super) fn acquire() -> Option<Held> {
    if forced_copying() {
        return None;
    }
    reserve();
    let s = state();
    matches!(*s, State::Ready(_)).then_some(Held(s))
}

/// Tests make starts take the copying path with this.
#[cfg(test)]
pub static FORCE_COPYING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn forced_copying() -> bool {
    #[cfg(test)]
    return FORCE_COPYING.load(Ordering::Relaxed);
    #[cfg(not(test))]
    false
}

/// The locked window.
pub(super) struct Held(MutexGuard<'static, State>);

impl Window {
    fn open() -> nix::Result<Window> {
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| nix::Error::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        let null = OwnedFd::from(null);
        let slot = || -> nix::Result<OwnedFd> {
            // Slots from 3 up: the child dup's them onto 0-2, never onto themselves.
            let fd = fcntl(null.as_fd(), FcntlArg::F_DUPFD_CLOEXEC(3))?;
            // SAFETY: a fresh fd from F_DUPFD_CLOEXEC, owned by nobody else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        };
        let slots = [slot()?, slot()?, slot()?, slot()?];
        let keep_below = slots.iter().map(AsRawFd::as_raw_fd).max().unwrap_or(2) + 1;
        Ok(Window {
            null,
            slots,
            keep_below,
            stack: Stack::map()?,
        })
    }

    /// Points slot `i` at `fd` and returns its number; -1 stays -1 (no such fd).
    fn place(&mut self, i: usize, fd: RawFd) -> nix::Result<RawFd> {
        if fd < 0 {
            return Ok(-1);
        }
        let slot = self.slots.get_mut(i).ok_or(nix::Error::EINVAL)?;
        // SAFETY: `fd` is open for the duration of the start (the caller owns it); borrowed
        // only for this dup.
        let from = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        dup3(from, slot, OFlag::O_CLOEXEC)?;
        Ok(slot.as_raw_fd())
    }

    /// Points every slot back at `/dev/null`, closing the daemon's copies of the child's ends.
    fn clear(&mut self) {
        for slot in &mut self.slots {
            while let Err(nix::Error::EINTR) = dup3(self.null.as_fd(), slot, OFlag::O_CLOEXEC) {}
        }
    }
}

impl Held {
    fn window(&mut self) -> Option<&mut Window> {
        match &mut *self.0 {
            State::Ready(w) => Some(w),
            _ => None,
        }
    }

    /// Starts the child of `prepared` (whose fds are the daemon's numbers) through the window
    /// and returns its pid once it has exec'd or exited. The `Err` is the clone's or a dup's.
    pub(super) fn start(mut self, mut prepared: Prepared) -> nix::Result<i32> {
        let Some(w) = self.window() else {
            return Err(nix::Error::EINVAL);
        };
        let result = start_in(w, &mut prepared);
        w.clear();
        if UNSHARE_REFUSED.load(Ordering::Relaxed) {
            *self.0 = State::Off;
        }
        result
    }
}

fn start_in(w: &mut Window, prepared: &mut Prepared) -> nix::Result<i32> {
    let fds = &mut prepared.fds;
    let same_pipe = fds.stderr == fds.stdout;
    fds.stdin = w.place(0, fds.stdin)?;
    fds.stdout = w.place(1, fds.stdout)?;
    fds.stderr = if same_pipe {
        fds.stdout
    } else {
        w.place(2, fds.stderr)?
    };
    fds.ready_from = w.place(3, fds.ready_from)?;
    fds.keep_below = w.keep_below;
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_FILES;
    let arg: *const Prepared = prepared;
    // SAFETY: `child_entry` runs on the window's stack, which nothing else uses while we hold
    // the lock; `prepared` lives on our stack, and CLONE_VFORK keeps us waiting until the child
    // has exec'd or exited, so it outlives every read of it.
    unsafe { clone_child(child_entry, w.stack.top(), flags, arg.cast_mut().cast()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slots_are_low_and_below_the_kept_range() {
        let w = Window::open().unwrap();
        for s in &w.slots {
            assert!((3..w.keep_below).contains(&s.as_raw_fd()));
        }
        assert_eq!(
            w.slots.iter().map(AsRawFd::as_raw_fd).max().unwrap() + 1,
            w.keep_below
        );
    }

    #[test]
    fn clearing_the_slots_closes_the_daemons_copy_of_a_pipe_end() {
        let mut w = Window::open().unwrap();
        let (r, wr) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        w.place(1, wr.as_raw_fd()).unwrap();
        drop(wr);
        // The slot still holds the write end: no end of file.
        assert_eq!(
            nix::unistd::read(&r, &mut [0u8; 1]),
            Err(nix::Error::EAGAIN)
        );
        w.clear();
        assert_eq!(nix::unistd::read(&r, &mut [0u8; 1]), Ok(0));
        assert_eq!(w.place(2, -1), Ok(-1));
    }
}
