//! Starting children: pipes, the child's prepared data, and the `clone` itself.
//!
//! A child is started with `clone(CLONE_VM)` on its own small stack (with a guard page below
//! it, so an overflow faults instead of writing over the daemon), the way glibc's
//! `posix_spawn` does it: no page-table copy, no copy-on-write faults, however big the daemon
//! is. Unlike `posix_spawn`, the daemon does not wait for the child's exec (which the kernel
//! may spend migrating it to another CPU): it goes on at once and keeps what the child reads
//! (its [`Launch`]) until the child has exec'd or exited, which a close-on-exec pipe tells.
//! What the child may do meanwhile is the business of [`crate::process::child`].
//!
//! That child gets a copy of the daemon's fd table, which costs a reference per open fd at
//! the clone and a close per fd at the exec: with thousands of programs running, most of
//! a start. So where the kernel allows it, children start through the fd window instead
//! ([`crate::process::window`]): sharing the table, without a copy, until their first system
//! call gives them a private one of a few fds; the copying path is the fallback.
#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::mman::{mmap_anonymous, mprotect, munmap, MapFlags, ProtFlags};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::unistd::{pipe2, sysconf, SysconfVar};

use crate::config::UserSpec;
use crate::process::child::{child_entry, CStrings, ChildFds, Prepared, CONCURRENT};
use crate::process::command::Resolved;
use crate::process::window;
use crate::sys::errno_name;

/// Where the child's fd 0 comes from.
#[derive(Debug, Clone, Copy)]
pub enum Stdin {
    /// A pipe whose write end the parent keeps (`sendProcessStdin`).
    Pipe,
    /// A listening socket shared by an `[fcgi-program:x]`'s processes.
    Socket(RawFd),
}

/// Everything needed to start one child.
#[derive(Debug)]
pub struct Request<'a> {
    /// The process name, for the parent-side error texts.
    pub name: &'a str,
    pub command: &'a Resolved,
    /// The complete environment, already merged.
    pub env: &'a [(String, String)],
    pub directory: Option<&'a Path>,
    pub umask: Option<u32>,
    pub user: Option<&'a UserSpec>,
    pub redirect_stderr: bool,
    pub stdin: Stdin,
    /// `ready_check = fd:N`: this fd (the write end of the daemon's pipe) becomes the
    /// child's fd N.
    pub ready_fd: Option<(RawFd, i32)>,
}

/// The parent's side of a started child; pipe ends are non-blocking and close-on-exec.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub stdin: Option<OwnedFd>,
    pub stdout: OwnedFd,
    pub stderr: Option<OwnedFd>,
    /// What the child may still be reading: keep it until [`Launch::finished`].
    pub launch: Launch,
}

/// The child's stack and prepared data, alive until the child has exec'd or exited.
#[derive(Debug)]
pub struct Launch {
    /// Owned through a raw pointer: the child reads it concurrently, so no `Box` (which
    /// claims unique access) may exist while it runs.
    prepared: *mut Prepared,
    stack: Stack,
    /// Read end of a close-on-exec pipe whose only write end is the child's: end of file
    /// once it has exec'd or exited.
    done: OwnedFd,
    /// A child started through the fd window: 1 while it shares our fd table, and its pid.
    /// The window holds a copy of the exec pipe's write end until the child has its own.
    shared: Option<(Arc<AtomicU32>, i32)>,
}

/// The child's stack: it only holds the few locals of the child's code.
const CHILD_STACK: usize = 16 * 1024;

impl Launch {
    /// True once the child no longer uses its prepared data (it exec'd or exited). Takes
    /// back the window's slots of children that have their own fd table now.
    pub fn finished(&self) -> bool {
        // End of file first: by then the child's `sharing` is 0, so its set comes back now.
        let eof = at_eof(self.done.as_fd());
        if self.shared.is_some() {
            window::reclaim();
        }
        eof
    }
}

/// True only at end of file of a non-blocking pipe: every writer has closed it. Nobody
/// writes to the exec pipe, but a byte there (or an interrupted read) is not an exec.
fn at_eof(fd: BorrowedFd<'_>) -> bool {
    let mut buf = [0u8; 64];
    loop {
        match nix::unistd::read(fd, &mut buf) {
            Ok(0) => return true,
            Ok(_) | Err(nix::Error::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        // An owner that lets go early must not free what the child still reads: wait for
        // its exec or exit, which follows at once (the window first gives up its copy of
        // the exec pipe).
        if let Some((sharing, pid)) = &self.shared {
            window::wait_unshared(sharing, *pid);
        }
        while !self.finished() {
            let mut fds = [nix::poll::PollFd::new(
                self.done.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE);
        }
        // SAFETY: created by Box::into_raw in `spawn`; the child is done with it. The stack
        // is unmapped when `self.stack` drops, after this.
        drop(unsafe { Box::from_raw(self.prepared) });
    }
}

/// The child's stack with a `PROT_NONE` guard page below it (stacks grow down): an overflow
/// faults in the child instead of writing over the daemon's memory, which the child shares.
#[derive(Debug)]
pub(super) struct Stack {
    /// The start of the mapping, i.e. of the guard page.
    base: NonNull<libc::c_void>,
    /// Guard page plus [`CHILD_STACK`].
    len: usize,
}

impl Stack {
    pub(super) fn map() -> nix::Result<Stack> {
        let page = sysconf(SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .and_then(|p| usize::try_from(p).ok())
            .unwrap_or(4096);
        let len = CHILD_STACK.checked_add(page).ok_or(nix::Error::ENOMEM)?;
        let size = NonZeroUsize::new(len).ok_or(nix::Error::EINVAL)?;
        // SAFETY: a fresh private anonymous mapping, aliased by nothing.
        let base = unsafe {
            mmap_anonymous(
                None,
                size,
                ProtFlags::PROT_NONE,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_STACK,
            )?
        };
        let stack = Stack { base, len };
        // SAFETY: `usable` lies inside the mapping just made (past its first page).
        unsafe {
            let usable = stack.base.byte_add(page);
            mprotect(
                usable,
                CHILD_STACK,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            )?;
        }
        Ok(stack)
    }

    /// The initial stack pointer: the top of the mapping.
    pub(super) fn top(&self) -> *mut libc::c_void {
        self.base
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(self.len)
            .cast()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`; its child (if any) has exec'd or exited.
        let _ = unsafe { munmap(self.base, self.len) };
    }
}

/// Starts the child. `Err` is the `spawnerr` text; no child exists then.
pub fn spawn(req: &Request) -> Result<Child, String> {
    let pipe_err = |e: nix::Error| match e {
        nix::Error::EMFILE | nix::Error::ENFILE => {
            format!("too many open files to spawn '{}'", req.name)
        }
        other => format!(
            "unknown error making dispatchers for '{}': {}",
            req.name,
            errno_name(other as i32)
        ),
    };
    let fork_err = |e: nix::Error| match e {
        nix::Error::EAGAIN => format!(
            "Too many processes in process table to spawn '{}'",
            req.name
        ),
        other => format!(
            "unknown error during fork for '{}': {}",
            req.name,
            errno_name(other as i32)
        ),
    };
    let stdin = match req.stdin {
        Stdin::Pipe => Some(pipe2(OFlag::O_CLOEXEC).map_err(pipe_err)?),
        Stdin::Socket(_) => None,
    };
    let stdout = pipe2(OFlag::O_CLOEXEC).map_err(pipe_err)?;
    let stderr = if req.redirect_stderr {
        None
    } else {
        Some(pipe2(OFlag::O_CLOEXEC).map_err(pipe_err)?)
    };
    for fd in [
        stdin.as_ref().map(|p| &p.1),
        Some(&stdout.0),
        stderr.as_ref().map(|p| &p.0),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd.as_fd()).map_err(pipe_err)?;
    }
    let fds = ChildFds {
        stdin: match req.stdin {
            Stdin::Pipe => stdin.as_ref().map_or(-1, |p| p.0.as_raw_fd()),
            Stdin::Socket(fd) => fd,
        },
        stdout: stdout.1.as_raw_fd(),
        stderr: stderr
            .as_ref()
            .map_or(stdout.1.as_raw_fd(), |p| p.1.as_raw_fd()),
        ready_from: req.ready_fd.map_or(-1, |(from, _)| from),
        ready_to: req.ready_fd.map_or(-1, |(_, to)| to),
        keep_below: -1,
        done: -1,
    };
    let prepared = prepare(req, fds)?;
    let done = pipe2(OFlag::O_CLOEXEC).map_err(pipe_err)?;
    set_nonblocking(done.0.as_fd()).map_err(pipe_err)?;
    let (pid, launch) = match window::acquire() {
        Some(held) => spawn_shared(held, prepared, done),
        None => spawn_copying(prepared, done),
    }
    .map_err(fork_err)?;
    // The child's ends close here when the tuples drop.
    Ok(Child {
        pid,
        stdin: stdin.map(|(_, w)| w),
        stdout: stdout.0,
        stderr: stderr.map(|(r, _)| r),
        launch,
    })
}

/// Starts the child with a copy of the daemon's fd table, without waiting for its exec;
/// `done` is the exec pipe, its read end non-blocking.
fn spawn_copying(
    mut prepared: Prepared,
    (done_read, done_write): (OwnedFd, OwnedFd),
) -> nix::Result<(i32, Launch)> {
    prepared.fds.done = done_write.as_raw_fd();
    let launch = Launch {
        prepared: Box::into_raw(Box::new(prepared)),
        stack: Stack::map()?,
        done: done_read,
        shared: None,
    };
    // SAFETY: the child runs `child_entry` on its own mapped stack and only reads `prepared`,
    // which stays alive and untouched until `launch` reports it finished.
    let pid = unsafe {
        clone_child(
            child_entry,
            launch.stack.top(),
            libc::CLONE_VM | VFORK,
            launch.prepared.cast(),
            std::ptr::null_mut(),
        )
    };
    // Only the child holds a write end now: its exec or exit closes it.
    drop(done_write);
    Ok((pid?, launch))
}

/// Starts the child sharing the daemon's fd table, its fds put into a set of the window's
/// slots, without waiting for it; `done` is the exec pipe, its read end non-blocking.
fn spawn_shared(
    mut held: window::Held,
    mut prepared: Prepared,
    (done_read, done_write): (OwnedFd, OwnedFd),
) -> nix::Result<(i32, Launch)> {
    let set = held.take()?;
    prepared.fds.done = done_write.as_raw_fd();
    let sharing = Arc::new(AtomicU32::new(1));
    prepared.unshared = Some(Arc::clone(&sharing));
    let stack = held
        .place(&set, &mut prepared.fds)
        .and_then(|()| Stack::map());
    let stack = match stack {
        Ok(stack) => stack,
        Err(e) => {
            held.release(set);
            return Err(e);
        }
    };
    let mut launch = Launch {
        prepared: Box::into_raw(Box::new(prepared)),
        stack,
        done: done_read,
        shared: None,
    };
    // SAFETY: as in `spawn_copying`; the child touches no fd until it has its own table.
    let pid = unsafe {
        clone_child(
            child_entry,
            launch.stack.top(),
            libc::CLONE_VM | libc::CLONE_FILES | libc::CLONE_CHILD_CLEARTID | VFORK,
            launch.prepared.cast(),
            sharing.as_ptr(),
        )
    };
    drop(done_write);
    match pid {
        Ok(pid) => {
            held.busy(set, Arc::clone(&sharing), pid);
            launch.shared = Some((sharing, pid));
            Ok((pid, launch))
        }
        Err(e) => {
            // Before `launch` drops: the slot's copy of the exec pipe must go first.
            held.release(set);
            Err(e)
        }
    }
}

/// `CLONE_VFORK` where the child must not run alongside the daemon (see [`CONCURRENT`]).
const VFORK: libc::c_int = if CONCURRENT { 0 } else { libc::CLONE_VFORK };

/// `clone(entry, stack, flags | SIGCHLD, arg, .., ctid)` with every signal blocked across
/// it, so none reaches our handlers in the child before it has reset them (a SIGTERM there
/// would be lost); the child unblocks after the reset.
///
/// # Safety
/// `stack` is the top of a mapping that only this child uses until it has exec'd or exited,
/// `arg` is what `entry` expects and `ctid` null or a u32 (`CLONE_CHILD_CLEARTID`), both
/// valid for as long as the child may use them.
unsafe fn clone_child(
    entry: extern "C" fn(*mut libc::c_void) -> libc::c_int,
    stack: *mut libc::c_void,
    flags: libc::c_int,
    arg: *mut libc::c_void,
    ctid: *mut u32,
) -> nix::Result<i32> {
    let mut saved = SigSet::empty();
    let blocked = sigprocmask(
        SigmaskHow::SIG_BLOCK,
        Some(&SigSet::all()),
        Some(&mut saved),
    );
    // SAFETY: as the caller promises.
    let pid = unsafe {
        libc::clone(
            entry,
            stack,
            flags | libc::SIGCHLD,
            arg,
            std::ptr::null_mut::<libc::pid_t>(),
            std::ptr::null_mut::<libc::c_void>(),
            ctid,
        )
    };
    let clone_error = nix::Error::last();
    if blocked.is_ok() {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&saved), None);
    }
    if pid < 0 {
        Err(clone_error)
    } else {
        Ok(pid)
    }
}

fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<(), nix::Error> {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| format!("{what} contains a NUL byte"))
}

/// The child's data as C strings, built before the clone.
fn prepare(req: &Request, fds: ChildFds) -> Result<Prepared, String> {
    let filename = cstring(req.command.filename.as_os_str().as_bytes(), "command")?;
    let argv = CStrings::new(req.command.argv.iter().map(|a| [a.as_bytes()]))
        .map_err(|_| "command contains a NUL byte".to_string())?;
    let envp = CStrings::new(
        req.env
            .iter()
            .map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()]),
    )
    .map_err(|_| "environment contains a NUL byte".to_string())?;
    let directory = match req.directory {
        Some(d) => Some(cstring(d.as_os_str().as_bytes(), "directory")?),
        None => None,
    };
    let user = match req.user {
        Some(u) => Some(user_ids(u)?),
        None => None,
    };
    let argv0 = req.command.argv.first().map_or("", String::as_str);
    let dir_shown = req
        .directory
        .map_or(OsStr::new(""), |d| d.as_os_str())
        .to_string_lossy();
    Ok(Prepared {
        filename,
        argv,
        envp,
        directory,
        umask: req.umask,
        msg_setuid: format!(
            "supervisor: couldn't setuid to {}: ",
            req.user.map_or(0, |u| u.uid)
        )
        .into_bytes(),
        msg_chdir: format!("supervisor: couldn't chdir to {dir_shown}: ").into_bytes(),
        msg_exec: format!("supervisor: couldn't exec {argv0}: ").into_bytes(),
        user,
        fds,
        unshared: None,
    })
}

/// The uid, gid and supplementary groups to switch to, checked before forking.
fn user_ids(user: &UserSpec) -> Result<(libc::uid_t, libc::gid_t, Vec<libc::gid_t>), String> {
    can_switch(nix::unistd::geteuid().as_raw(), user)?;
    let name = cstring(user.name.as_bytes(), "user")?;
    let groups = nix::unistd::getgrouplist(&name, nix::unistd::Gid::from_raw(user.gid))
        .map(|gs| gs.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_else(|_| vec![user.gid]);
    Ok((user.uid, user.gid, groups))
}

/// Whether a supervisord running as `euid` can run a child as `user`.
///
/// DIVERGENCE(user=): the reference forks anyway; its child writes `couldn't setuid to N:
/// Can't drop privilege as nonroot user` to the stderr log and exits 127, so the state
/// reads "Exited too quickly". We refuse in the parent with the same text as the spawn
/// error (BACKOFF, FATAL after the retries, `start` says "spawn error" in both), so the
/// reason is in the activity log and in `status`, and nothing is forked for nothing.
fn can_switch(euid: libc::uid_t, user: &UserSpec) -> Result<(), String> {
    if euid != 0 && euid != user.uid {
        return Err(format!(
            "couldn't setuid to {}: Can't drop privilege as nonroot user",
            user.uid
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_nonroot_daemon_refuses_another_user_before_forking() {
        let root = UserSpec {
            name: "root".into(),
            uid: 0,
            gid: 0,
        };
        // DIVERGENCE(user=): the parent-side spawn error, with the reference's text.
        assert_eq!(
            can_switch(1000, &root),
            Err("couldn't setuid to 0: Can't drop privilege as nonroot user".into())
        );
        assert_eq!(can_switch(0, &root), Ok(()));
        let same = UserSpec {
            name: "me".into(),
            uid: 1000,
            gid: 1000,
        };
        assert_eq!(can_switch(1000, &same), Ok(()));
    }
    use std::path::PathBuf;

    fn resolved(argv: &[&str]) -> Resolved {
        Resolved {
            filename: PathBuf::from(argv[0]),
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The child's exit code.
    fn wait(pid: i32) -> i32 {
        use nix::sys::wait::{waitpid, WaitStatus};
        match waitpid(nix::unistd::Pid::from_raw(pid), None).unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("child did not exit: {other:?}"),
        }
    }

    fn read_all(fd: OwnedFd) -> String {
        let mut f = std::fs::File::from(fd);
        let mut s = String::new();
        loop {
            let mut buf = [0u8; 4096];
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => s.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    // The daemon's turn: the window gives back its copies of the child's ends.
                    window::reclaim();
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(_) => break,
            }
        }
        s
    }

    #[test]
    fn runs_a_child_with_its_environment_and_pipes() {
        let cmd = resolved(&["/bin/sh", "-c", "echo out=$FOO; echo err >&2; exit 3"]);
        let env = [("FOO".to_string(), "bar".to_string())];
        let req = Request {
            name: "t",
            command: &cmd,
            env: &env,
            directory: None,
            umask: None,
            user: None,
            redirect_stderr: false,
            stdin: Stdin::Pipe,
            ready_fd: None,
        };
        let child = spawn(&req).unwrap();
        let out = read_all(child.stdout);
        let err = read_all(child.stderr.unwrap());
        let status = wait(child.pid);
        assert_eq!(out, "out=bar\n");
        assert_eq!(err, "err\n");
        assert_eq!(status, 3);
    }

    #[test]
    fn bad_directory_is_reported_by_the_child() {
        let cmd = resolved(&["/bin/true"]);
        let req = Request {
            name: "t",
            command: &cmd,
            env: &[],
            directory: Some(Path::new("/nonexistent/dir")),
            umask: None,
            user: None,
            redirect_stderr: true,
            stdin: Stdin::Pipe,
            ready_fd: None,
        };
        let child = spawn(&req).unwrap();
        assert!(child.stderr.is_none());
        let out = read_all(child.stdout);
        assert_eq!(wait(child.pid), 127);
        assert_eq!(
            out,
            "supervisor: couldn't chdir to /nonexistent/dir: ENOENT\nsupervisor: child process was not spawned\n"
        );
    }

    #[test]
    fn child_starts_with_no_signal_ignored_or_blocked() {
        // An ignored real-time signal survives exec unless the child resets it.
        // SAFETY: ignoring SIGRTMAX has no effect on this test process (nothing sends it).
        unsafe { libc::signal(libc::SIGRTMAX(), libc::SIG_IGN) };
        let cmd = resolved(&["/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]);
        let req = Request {
            name: "t",
            command: &cmd,
            env: &[],
            directory: None,
            umask: None,
            user: None,
            redirect_stderr: true,
            stdin: Stdin::Pipe,
            ready_fd: None,
        };
        let child = spawn(&req).unwrap();
        let out = read_all(child.stdout);
        wait(child.pid);
        assert_eq!(
            out,
            "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
        );
    }

    fn request(cmd: &Resolved) -> Request<'_> {
        Request {
            name: "t",
            command: cmd,
            env: &[],
            directory: None,
            umask: None,
            user: None,
            redirect_stderr: true,
            stdin: Stdin::Pipe,
            ready_fd: None,
        }
    }

    #[test]
    fn children_see_only_fds_0_1_2_on_each_path_and_with_each_fallback() {
        use crate::process::child::{FORCE_FALLBACK, FORCE_FULL_COPY};
        use crate::process::window::FORCE_COPYING;
        use std::sync::atomic::Ordering;
        // An fd the daemon forgot to make close-on-exec (dup clears the flag).
        let devnull = std::fs::File::open("/dev/null").unwrap();
        let _leaked = nix::unistd::dup(&devnull).unwrap();
        let cmd = resolved(&["/bin/ls", "/proc/self/fd"]);
        // (the fd window, the window with a full copy as on Linux < 5.9, the copying path)
        for (window, full_copy) in [(true, false), (true, true), (false, false)] {
            for level in 0..=2 {
                FORCE_COPYING.store(!window, Ordering::Relaxed);
                FORCE_FULL_COPY.store(full_copy, Ordering::Relaxed);
                FORCE_FALLBACK.store(level, Ordering::Relaxed);
                let child = spawn(&request(&cmd)).unwrap();
                let shared = child.launch.shared.is_some();
                // The child reads the flags concurrently: reset them once it has exited.
                let out = read_all(child.stdout);
                let status = wait(child.pid);
                FORCE_FALLBACK.store(0, Ordering::Relaxed);
                FORCE_FULL_COPY.store(false, Ordering::Relaxed);
                FORCE_COPYING.store(false, Ordering::Relaxed);
                let case = format!("window {window}, full copy {full_copy}, level {level}");
                assert_eq!(shared, window, "{case}");
                assert_eq!(status, 0, "{case}: {out}");
                let fds: Vec<i32> = out.lines().map(|l| l.parse().unwrap()).collect();
                // 0-2, and the directory ls itself opened to list them.
                assert_eq!(fds, [0, 1, 2, 3], "{case}: {out}");
            }
        }
        assert!(!crate::process::child::UNSHARE_REFUSED.load(Ordering::Relaxed));
    }

    #[test]
    fn more_children_at_once_than_the_window_has_sets_each_get_only_their_fds() {
        let cmd = resolved(&["/bin/ls", "/proc/self/fd"]);
        let children: Vec<Child> = (0..40).map(|_| spawn(&request(&cmd)).unwrap()).collect();
        for child in children {
            let out = read_all(child.stdout);
            assert_eq!(wait(child.pid), 0, "{out}");
            assert_eq!(out, "0\n1\n2\n3\n");
            // Exec'd, so its set is back and its launch finished.
            assert!(child.launch.finished());
        }
    }

    #[test]
    fn a_window_child_gets_its_readiness_fd_on_any_number_and_its_exec_error() {
        // fd:N on a number the window's slots may use: the child's N is still the pipe.
        let (r, w) = pipe2(OFlag::O_CLOEXEC).unwrap();
        for n in [3, 4, 5, 6, 7, 9] {
            let script = format!("ls /proc/self/fd; echo ready >&{n}");
            let cmd = resolved(&["/bin/sh", "-c", &script]);
            let mut req = request(&cmd);
            req.ready_fd = Some((w.as_raw_fd(), n));
            let child = spawn(&req).unwrap();
            let out = read_all(child.stdout);
            assert_eq!(wait(child.pid), 0, "fd {n}: {out}");
            let fds: Vec<i32> = out.lines().map(|l| l.parse().unwrap()).collect();
            let mut want = vec![0, 1, 2, 3, n];
            want.sort_unstable();
            want.dedup();
            // ls's own directory fd is the lowest free one: 4 when N is 3.
            if n == 3 {
                want = vec![0, 1, 2, 3, 4];
            }
            assert_eq!(fds, want, "fd {n}");
            let mut buf = [0u8; 6];
            assert_eq!(nix::unistd::read(&r, &mut buf), Ok(6));
            assert_eq!(&buf, b"ready\n");
        }
        let cmd = resolved(&["/nonexistent/program"]);
        let child = spawn(&request(&cmd)).unwrap();
        assert_eq!(
            read_all(child.stdout),
            "supervisor: couldn't exec /nonexistent/program: ENOENT\n\
             supervisor: child process was not spawned\n"
        );
        assert_eq!(wait(child.pid), 127);
    }

    #[test]
    fn the_child_stack_has_a_guard_page_below_it() {
        let stack = Stack::map().unwrap();
        let base = stack.base.as_ptr() as usize;
        let page = stack.len - CHILD_STACK;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        // The mapping holding `addr`: (start, end, permissions).
        let holding = |addr: usize| {
            maps.lines()
                .find_map(|line| {
                    let (range, rest) = line.split_once(' ')?;
                    let (start, end) = range.split_once('-')?;
                    let start = usize::from_str_radix(start, 16).ok()?;
                    let end = usize::from_str_radix(end, 16).ok()?;
                    (start <= addr && addr < end).then(|| (end, rest[..4].to_string()))
                })
                .unwrap()
        };
        let (guard_end, guard_perms) = holding(base);
        assert_eq!(guard_perms, "---p");
        assert_eq!(guard_end, base + page, "the guard is exactly one page");
        let (_, stack_perms) = holding(base + page);
        assert_eq!(stack_perms, "rw-p");
        assert_eq!(stack.top() as usize, base + page + CHILD_STACK);
    }

    #[test]
    fn the_exec_pipe_is_finished_only_at_end_of_file() {
        let (r, w) = pipe2(OFlag::O_CLOEXEC).unwrap();
        set_nonblocking(r.as_fd()).unwrap();
        assert!(!at_eof(r.as_fd()), "empty, writer open");
        nix::unistd::write(&w, b"x").unwrap();
        assert!(!at_eof(r.as_fd()), "a byte is not an exec");
        drop(w);
        assert!(at_eof(r.as_fd()));
    }
}
