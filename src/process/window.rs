//! The fd window: low fd numbers, reserved at start-up, through which a child gets its pipes
//! without a copy of the daemon's fd table.
//!
//! `clone` copies the whole fd table (a reference per open file) unless the child shares it,
//! and the exec then closes every copy again: with 3,000 programs running (15,000 fds) that is
//! most of the kernel's cost of a start, and it grows with each program started. So the child
//! shares the table (`CLONE_FILES`), and its first act, `close_range(K, ~0,
//! CLOSE_RANGE_UNSHARE)`, gives it a private table holding only the fds below K (see
//! [`crate::process::child`]). Right before the clone the daemon puts the child's ends into
//! one of the window's sets of slots, all below K; once the child says it has its own table,
//! the daemon points that set back at `/dev/null`, so it keeps no end of the child's pipes
//! open. The daemon does not wait for that: it goes on with the next set, and takes sets back
//! as their children report (each turn, see [`crate::process::spawn::Launch::finished`]);
//! only with every set in use does it wait for the oldest.
//!
//! Linux < 5.9 (or a seccomp filter) refuses `CLOSE_RANGE_UNSHARE`: the first child then copies
//! the whole table after all, and later children take the copying path.
#![allow(unsafe_code)]

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::dup3;

use crate::process::child::{ChildFds, UNSHARE_REFUSED};

/// Per child: stdin, stdout, stderr, the readiness fd and the exec pipe.
const SLOTS: usize = 5;
/// Children that may be between their clone and their unshare at once.
const SETS: usize = 16;

/// The reserved slots.
#[derive(Debug)]
struct Window {
    null: OwnedFd,
    /// Each points at `/dev/null` while its set is free; close-on-exec.
    slots: Vec<[OwnedFd; SLOTS]>,
    /// Per set, the child using it.
    busy: Vec<Option<User>>,
    started: u64,
    /// One past the highest slot: a child keeps the fds below it.
    keep_below: RawFd,
}

/// The child using a set.
#[derive(Debug)]
struct User {
    /// 1 while the child shares our fd table (see [`crate::process::child::Prepared`]).
    sharing: Arc<AtomicU32>,
    pid: i32,
    /// Orders the starts.
    started: u64,
}

#[derive(Debug)]
enum State {
    Untried,
    Ready(Window),
    /// No window (it could not be made).
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
    if forced_copying() || UNSHARE_REFUSED.load(Ordering::Relaxed) {
        return None;
    }
    reserve();
    let s = state();
    matches!(*s, State::Ready(_)).then_some(Held(s))
}

/// Takes back every set whose child has its own fd table now.
pub(super) fn reclaim() {
    if let State::Ready(w) = &mut *state() {
        w.reclaim();
    }
}

/// Waits until child `pid` no longer shares our fd table, then takes its set back.
pub(super) fn wait_unshared(sharing: &AtomicU32, pid: i32) {
    wait_flag(sharing, pid);
    reclaim();
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

/// A set of slots given to one child.
pub(super) struct Set(usize);

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
        let mut slots = Vec::with_capacity(SETS);
        for _ in 0..SETS {
            slots.push([slot()?, slot()?, slot()?, slot()?, slot()?]);
        }
        let keep_below = slots
            .iter()
            .flatten()
            .map(AsRawFd::as_raw_fd)
            .max()
            .unwrap_or(2)
            + 1;
        Ok(Window {
            null,
            slots,
            busy: (0..SETS).map(|_| None).collect(),
            started: 0,
            keep_below,
        })
    }

    fn reclaim(&mut self) {
        for set in 0..SETS {
            let done = self
                .busy
                .get(set)
                .and_then(Option::as_ref)
                .is_some_and(|u| u.sharing.load(Ordering::Acquire) == 0);
            if done {
                self.clear(set);
            }
        }
    }

    /// Points set `set` back at `/dev/null`, closing the daemon's copies of a child's ends.
    fn clear(&mut self, set: usize) {
        if let Some(slots) = self.slots.get_mut(set) {
            for slot in slots {
                while let Err(nix::Error::EINTR) = dup3(self.null.as_fd(), slot, OFlag::O_CLOEXEC) {
                }
            }
        }
        if let Some(b) = self.busy.get_mut(set) {
            *b = None;
        }
    }

    /// Points slot `i` of `set` at `fd` and returns its number; -1 stays -1 (no such fd).
    fn place(&mut self, set: usize, i: usize, fd: RawFd) -> nix::Result<RawFd> {
        if fd < 0 {
            return Ok(-1);
        }
        let slot = self
            .slots
            .get_mut(set)
            .and_then(|s| s.get_mut(i))
            .ok_or(nix::Error::EINVAL)?;
        // SAFETY: the caller keeps `fd` open while the start lasts; borrowed for this dup.
        let from = unsafe { BorrowedFd::borrow_raw(fd) };
        dup3(from, slot, OFlag::O_CLOEXEC)?;
        Ok(slot.as_raw_fd())
    }
}

impl Held {
    fn window(&mut self) -> nix::Result<&mut Window> {
        match &mut *self.0 {
            State::Ready(w) => Ok(w),
            _ => Err(nix::Error::EINVAL),
        }
    }

    /// A free set, waiting for the oldest child to leave the shared table if none is.
    pub(super) fn take(&mut self) -> nix::Result<Set> {
        let w = self.window()?;
        w.reclaim();
        if let Some(free) = w.busy.iter().position(Option::is_none) {
            return Ok(Set(free));
        }
        let oldest = w
            .busy
            .iter()
            .enumerate()
            .filter_map(|(set, u)| Some((set, u.as_ref()?)))
            .min_by_key(|(_, u)| u.started);
        let Some((set, user)) = oldest else {
            return Err(nix::Error::EAGAIN);
        };
        wait_flag(&user.sharing, user.pid);
        w.clear(set);
        Ok(Set(set))
    }

    /// Puts the child's fds (the daemon's numbers) into `set`, rewriting `fds` to the slots.
    pub(super) fn place(&mut self, set: &Set, fds: &mut ChildFds) -> nix::Result<()> {
        let w = self.window()?;
        let same_pipe = fds.stderr == fds.stdout;
        fds.stdin = w.place(set.0, 0, fds.stdin)?;
        fds.stdout = w.place(set.0, 1, fds.stdout)?;
        fds.stderr = if same_pipe {
            fds.stdout
        } else {
            w.place(set.0, 2, fds.stderr)?
        };
        fds.ready_from = w.place(set.0, 3, fds.ready_from)?;
        fds.done = w.place(set.0, 4, fds.done)?;
        fds.keep_below = w.keep_below;
        Ok(())
    }

    /// The set is in use by child `pid`, sharing our fd table while `sharing` is 1.
    pub(super) fn busy(&mut self, set: Set, sharing: Arc<AtomicU32>, pid: i32) {
        if let Ok(w) = self.window() {
            w.started += 1;
            let started = w.started;
            if let Some(b) = w.busy.get_mut(set.0) {
                *b = Some(User {
                    sharing,
                    pid,
                    started,
                });
            }
        }
    }

    /// Gives the set back at once (no child uses it).
    pub(super) fn release(&mut self, set: Set) {
        if let Ok(w) = self.window() {
            w.clear(set.0);
        }
    }
}

/// Waits for `sharing` to drop to 0: the child has its own fd table, or has exec'd or exited
/// (the kernel clears it then, `CLONE_CHILD_CLEARTID`). A child that dumped core before its
/// unshare leaves it set: being gone ends the wait too.
fn wait_flag(sharing: &AtomicU32, pid: i32) {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    };
    while sharing.load(Ordering::Acquire) != 0 {
        // SAFETY: FUTEX_WAIT reads the u32 at this live address; the timeout outlives the call.
        // Not FUTEX_PRIVATE_FLAG: the kernel's wake for CLONE_CHILD_CLEARTID is a shared one.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                sharing.as_ptr(),
                libc::FUTEX_WAIT,
                1u32,
                std::ptr::from_ref(&timeout),
            );
        }
        if sharing.load(Ordering::Acquire) != 0 && gone(pid) {
            return;
        }
    }
}

/// True if child `pid` has exited (or was reaped already); it stays waitable.
fn gone(pid: i32) -> bool {
    use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(
        waitid(Id::Pid(nix::unistd::Pid::from_raw(pid)), flags),
        Ok(WaitStatus::StillAlive) | Err(nix::Error::EINTR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slots_are_low_and_below_the_kept_range() {
        let w = Window::open().unwrap();
        let slots: Vec<RawFd> = w.slots.iter().flatten().map(AsRawFd::as_raw_fd).collect();
        assert_eq!(slots.len(), SETS * SLOTS);
        assert!(slots.iter().all(|&s| (3..w.keep_below).contains(&s)));
        assert_eq!(slots.iter().max().unwrap() + 1, w.keep_below);
    }

    #[test]
    fn a_set_is_taken_back_once_its_child_says_so_and_then_closes_its_copies() {
        let mut w = Window::open().unwrap();
        let (r, wr) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).unwrap();
        assert_eq!(w.place(3, 1, -1), Ok(-1));
        w.place(3, 1, wr.as_raw_fd()).unwrap();
        drop(wr);
        let flag = Arc::new(AtomicU32::new(1));
        let user = User {
            sharing: Arc::clone(&flag),
            pid: std::process::id() as i32,
            started: 1,
        };
        *w.busy.get_mut(3).unwrap() = Some(user);
        w.reclaim();
        // The slot still holds the write end: no end of file.
        assert!(w.busy[3].is_some());
        assert_eq!(
            nix::unistd::read(&r, &mut [0u8; 1]),
            Err(nix::Error::EAGAIN)
        );
        flag.store(0, Ordering::Release);
        w.reclaim();
        assert!(w.busy[3].is_none());
        assert_eq!(nix::unistd::read(&r, &mut [0u8; 1]), Ok(0));
    }

    #[test]
    fn waiting_ends_when_the_flag_is_cleared_or_the_child_is_gone() {
        let flag = Arc::new(AtomicU32::new(1));
        let setter = {
            let flag = Arc::clone(&flag);
            std::thread::spawn(move || {
                flag.store(0, Ordering::Release);
                // SAFETY: FUTEX_WAKE on a live u32.
                unsafe { libc::syscall(libc::SYS_futex, flag.as_ptr(), libc::FUTEX_WAKE, 1) };
            })
        };
        let mut alive = std::process::Command::new("/bin/sleep")
            .arg("30")
            .spawn()
            .unwrap();
        wait_flag(&flag, alive.id() as i32);
        assert_eq!(flag.load(Ordering::Acquire), 0);
        assert!(!gone(alive.id() as i32));
        alive.kill().unwrap();
        alive.wait().unwrap();
        setter.join().unwrap();
        // A child that never sets it: gone once it has exited.
        let child = std::process::Command::new("/bin/true").spawn().unwrap();
        let pid = child.id() as i32;
        wait_flag(&AtomicU32::new(1), pid);
        assert!(gone(pid));
        let mut child = child;
        child.wait().unwrap();
        assert!(gone(pid), "reaped");
    }
}
