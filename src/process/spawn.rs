//! Starting children: pipes, the child's prepared data, and the `clone` itself.
//!
//! A child is started with `clone(CLONE_VM)` on its own small stack, the way glibc's
//! `posix_spawn` does it: no page-table copy, no copy-on-write faults, however big the daemon
//! is. Unlike `posix_spawn`, the daemon does not wait for the child's exec (which the kernel
//! may spend migrating it to another CPU): it goes on at once and keeps what the child reads
//! (its [`Launch`]) until the child has exec'd or exited, which a close-on-exec pipe tells.
//! What the child may do meanwhile is the business of [`crate::process::child`].
#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::pipe2;

use crate::config::UserSpec;
pub use crate::process::child::errno_name;
use crate::process::child::{child_entry, ChildFds, Prepared, CONCURRENT};
use crate::process::command::Resolved;

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
    stack: *mut libc::c_void,
    /// Read end of a close-on-exec pipe whose only write end is the child's: end of file
    /// once it has exec'd or exited.
    done: OwnedFd,
}

/// The child's stack: it only holds the few locals of the child's code.
const CHILD_STACK: usize = 16 * 1024;

impl Launch {
    /// True once the child no longer uses its prepared data (it exec'd or exited).
    pub fn finished(&self) -> bool {
        let mut byte = [0u8; 1];
        !matches!(
            nix::unistd::read(self.done.as_fd(), &mut byte),
            Err(nix::Error::EAGAIN)
        )
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        // An owner that lets go early must not free what the child still reads: wait for
        // its exec or exit, which follows at once.
        while !self.finished() {
            let mut fds = [nix::poll::PollFd::new(
                self.done.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE);
        }
        // SAFETY: created by Box::into_raw and mmap in `spawn`; the child is done with them.
        unsafe {
            drop(Box::from_raw(self.prepared));
            libc::munmap(self.stack, CHILD_STACK);
        }
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
    let (done_read, done_write) = pipe2(OFlag::O_CLOEXEC).map_err(pipe_err)?;
    for fd in [
        stdin.as_ref().map(|p| &p.1),
        Some(&stdout.0),
        stderr.as_ref().map(|p| &p.0),
        Some(&done_read),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd.as_raw_fd()).map_err(pipe_err)?;
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
    };
    let prepared = Box::into_raw(Box::new(prepare(req, fds)?));
    // SAFETY: a private anonymous mapping for the child's stack.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            CHILD_STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    let launch = Launch {
        prepared,
        stack,
        done: done_read,
    };
    if stack == libc::MAP_FAILED {
        // Nothing was mapped: do not unmap it on drop.
        std::mem::forget(launch);
        // SAFETY: the child was never started; `prepared` is ours again.
        drop(unsafe { Box::from_raw(prepared) });
        return Err(format!(
            "unknown error during fork for '{}': ENOMEM",
            req.name
        ));
    }
    // Block every signal across the clone so none reaches our handlers in the child before
    // it has reset them (a SIGTERM there would be lost); the child unblocks after the reset.
    // SAFETY: sigset_t is plain data; sigfillset/sigprocmask only touch the sets we pass.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut saved: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_BLOCK, &all, &mut saved);
    }
    let vfork = if CONCURRENT { 0 } else { libc::CLONE_VFORK };
    // SAFETY: the child runs `child_entry` on its own mapped stack and only reads `prepared`,
    // which stays alive and untouched until `launch` reports it finished.
    let pid = unsafe {
        libc::clone(
            child_entry,
            stack.cast::<u8>().wrapping_add(CHILD_STACK).cast(),
            libc::CLONE_VM | vfork | libc::SIGCHLD,
            prepared.cast(),
        )
    };
    let clone_error = nix::Error::last();
    // SAFETY: restores the mask saved above.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut()) };
    // Only the child holds a write end now: its exec or exit closes it.
    drop(done_write);
    if pid < 0 {
        return Err(match clone_error {
            nix::Error::EAGAIN => format!(
                "Too many processes in process table to spawn '{}'",
                req.name
            ),
            other => format!(
                "unknown error during fork for '{}': {}",
                req.name,
                errno_name(other as i32)
            ),
        });
    }
    // The child's ends close here when the tuples drop.
    Ok(Child {
        pid,
        stdin: stdin.map(|(_, w)| w),
        stdout: stdout.0,
        stderr: stderr.map(|(r, _)| r),
        launch,
    })
}

fn set_nonblocking(fd: RawFd) -> Result<(), nix::Error> {
    // SAFETY: `fd` is an open descriptor owned by the caller for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = OFlag::from_bits_truncate(fcntl(borrowed, FcntlArg::F_GETFL)?);
    fcntl(borrowed, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| format!("{what} contains a NUL byte"))
}

/// The child's data as C strings, built before the clone.
fn prepare(req: &Request, fds: ChildFds) -> Result<Prepared, String> {
    let filename = cstring(req.command.filename.as_os_str().as_bytes(), "command")?;
    let argv = req
        .command
        .argv
        .iter()
        .map(|a| cstring(a.as_bytes(), "command"))
        .collect::<Result<Vec<_>, _>>()?;
    let envp = req
        .env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes(), "environment"))
        .collect::<Result<Vec<_>, _>>()?;
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
    let mut argv_ptrs: Vec<_> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<_> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    Ok(Prepared {
        filename,
        argv,
        argv_ptrs,
        envp,
        envp_ptrs,
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

    fn wait(pid: i32) -> i32 {
        let mut status = 0;
        // SAFETY: waiting for our own child in a test.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        status
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
        assert_eq!(libc::WEXITSTATUS(status), 3);
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
        assert_eq!(libc::WEXITSTATUS(wait(child.pid)), 127);
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

    #[test]
    fn errno_names() {
        assert_eq!(errno_name(libc::ENOENT), "ENOENT");
        assert_eq!(errno_name(libc::EACCES), "EACCES");
        assert_eq!(errno_name(9999), "EUNKNOWN");
    }
}
