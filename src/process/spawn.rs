//! The only fork/exec code in the crate.
//!
//! Heads up: the child is started with `clone(CLONE_VM | CLONE_VFORK)`, the way glibc's
//! `posix_spawn` does it: it runs on its own small stack but in the parent's memory, and the
//! parent is suspended until it has called `execve` (or exited). So a spawn costs no page
//! table copy and no copy-on-write faults, however big the daemon is. The price is strict:
//! between clone and exec the child may only make raw system calls on data prepared in the
//! parent (argv, envp, paths, uid/gid/groups, the error texts, all as C strings). It must not
//! allocate, format, lock, log or write to any memory but its own stack; credentials are
//! changed with raw syscalls, never glibc's thread-broadcasting wrappers. On failure it writes
//! Supervisor's message to its stderr (fd 2, which the parent logs) and `_exit(127)`s, as
//! Supervisor's `_spawn_as_child` does (reference §3.6).
//!
//! The child: becomes leader of a new process group; gets fds 0/1/2 and nothing else
//! (D4: every other fd is marked close-on-exec); starts with every signal at its default
//! disposition and an empty mask (D4, DIVERGENCE: Supervisor leaves SIGPIPE/SIGXFSZ ignored);
//! drops privileges (groups, gid, uid); changes directory; sets the umask; execs.
#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::unistd::pipe2;

use crate::config::UserSpec;
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
}

/// The parent's side of a started child; pipe ends are non-blocking and close-on-exec.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub stdin: Option<OwnedFd>,
    pub stdout: OwnedFd,
    pub stderr: Option<OwnedFd>,
}

/// Forks and execs the child. `Err` is the `spawnerr` text; no child exists then.
pub fn spawn(req: &Request) -> Result<Child, String> {
    let prepared = Prepared::new(req)?;
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
    for fd in [
        stdin.as_ref().map(|p| &p.1),
        Some(&stdout.0),
        stderr.as_ref().map(|p| &p.0),
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
    };
    // Block every signal across the fork so none reaches our handlers in the child before
    // it has reset them (a SIGTERM there would be lost); the child unblocks after the reset.
    // SAFETY: sigset_t is plain data; sigfillset/sigprocmask only touch the sets we pass.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut saved: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_BLOCK, &all, &mut saved);
    }
    let start = Start {
        prepared: &prepared,
        fds,
    };
    let mut stack = vec![0u8; CHILD_STACK];
    // The stack grows down: pass its (16-byte aligned) top.
    let top = stack.as_mut_ptr().wrapping_add(CHILD_STACK) as usize & !15;
    // SAFETY: `child_entry` only reads `start` (alive: this frame is suspended until the
    // child execs or exits, CLONE_VFORK) and makes raw system calls on its own stack.
    let pid = unsafe {
        libc::clone(
            child_entry,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_ref(&start).cast_mut().cast(),
        )
    };
    drop(stack);
    // SAFETY: restores the mask saved above.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut()) };
    if pid < 0 {
        let err = nix::Error::last();
        return Err(match err {
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
    })
}

fn set_nonblocking(fd: RawFd) -> Result<(), nix::Error> {
    // SAFETY: `fd` is an open descriptor owned by the caller for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = OFlag::from_bits_truncate(fcntl(borrowed, FcntlArg::F_GETFL)?);
    fcntl(borrowed, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// The kernel's `sigset_t` size that `rt_sigaction` insists on (64 signals).
const KERNEL_SIGSET_BYTES: libc::size_t = 8;

/// The child's stack: it only holds `child_main`'s few locals.
const CHILD_STACK: usize = 64 * 1024;

/// What the child receives through `clone`'s argument.
struct Start<'a> {
    prepared: &'a Prepared,
    fds: ChildFds,
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Start` the parent passed to clone; it outlives the child's use.
    let start = unsafe { &*(arg as *const Start) };
    child_main(start.prepared, start.fds)
}

#[derive(Clone, Copy)]
struct ChildFds {
    stdin: RawFd,
    stdout: RawFd,
    stderr: RawFd,
}

/// The child's data, as C strings and pointer arrays built before the fork.
struct Prepared {
    filename: CString,
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    _envp: Vec<CString>,
    envp_ptrs: Vec<*const libc::c_char>,
    directory: Option<CString>,
    umask: Option<libc::mode_t>,
    user: Option<(libc::uid_t, libc::gid_t, Vec<libc::gid_t>)>,
    msg_setuid: Vec<u8>,
    msg_chdir: Vec<u8>,
    msg_exec: Vec<u8>,
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| format!("{what} contains a NUL byte"))
}

impl Prepared {
    fn new(req: &Request) -> Result<Prepared, String> {
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
            _argv: argv,
            argv_ptrs,
            _envp: envp,
            envp_ptrs,
            directory,
            umask: req.umask.map(|m| m as libc::mode_t),
            msg_setuid: format!(
                "supervisor: couldn't setuid to {}: ",
                req.user.map_or(0, |u| u.uid)
            )
            .into_bytes(),
            msg_chdir: format!("supervisor: couldn't chdir to {dir_shown}: ").into_bytes(),
            msg_exec: format!("supervisor: couldn't exec {argv0}: ").into_bytes(),
            user,
        })
    }
}

/// The uid, gid and supplementary groups to switch to, checked before forking.
fn user_ids(user: &UserSpec) -> Result<(libc::uid_t, libc::gid_t, Vec<libc::gid_t>), String> {
    let euid = nix::unistd::geteuid().as_raw();
    if euid != 0 && euid != user.uid {
        return Err(format!(
            "couldn't setuid to {}: Can't drop privilege as nonroot user",
            user.uid
        ));
    }
    let name = cstring(user.name.as_bytes(), "user")?;
    let groups = nix::unistd::getgrouplist(&name, nix::unistd::Gid::from_raw(user.gid))
        .map(|gs| gs.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_else(|_| vec![user.gid]);
    Ok((user.uid, user.gid, groups))
}

/// The child between fork and exec. Never returns.
fn child_main(p: &Prepared, fds: ChildFds) -> ! {
    // SAFETY: only async-signal-safe libc calls on memory prepared before the fork.
    unsafe {
        libc::setpgid(0, 0);
        if fds.stdin >= 0 {
            libc::dup2(fds.stdin, 0);
        }
        libc::dup2(fds.stdout, 1);
        libc::dup2(fds.stderr, 2);
        // D4: only 0, 1 and 2 survive the exec.
        if libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        ) != 0
        {
            for fd in 3..4096 {
                libc::close(fd);
            }
        }
        // D4 DIVERGENCE: default dispositions and an empty mask, whatever we inherited.
        // The raw syscall reaches every signal up to SIGRTMAX: glibc's wrappers refuse its
        // two internal ones (32, 33), which an ignoring parent would otherwise pass on.
        // All zeros is SIG_DFL, no flags, empty mask, whatever the arch's field order.
        let default_action = [0 as libc::c_ulong; 4];
        for sig in 1..=libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    default_action.as_ptr(),
                    std::ptr::null_mut::<libc::c_void>(),
                    KERNEL_SIGSET_BYTES,
                );
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());

        // Raw syscalls: glibc's wrappers would try to change every thread of the parent.
        if let Some((uid, gid, ref groups)) = p.user {
            if libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) != 0 {
                fail_with(&p.msg_setuid, b"Could not set groups of effective user");
            }
            if libc::syscall(libc::SYS_setgid, gid) != 0 {
                fail_with(&p.msg_setuid, b"Could not set group id of effective user");
            }
            if libc::syscall(libc::SYS_setuid, uid) != 0 {
                fail_with(&p.msg_setuid, errno_name(errno()).as_bytes());
            }
        }
        if let Some(ref dir) = p.directory {
            if libc::chdir(dir.as_ptr()) != 0 {
                fail_with(&p.msg_chdir, errno_name(errno()).as_bytes());
            }
        }
        if let Some(mask) = p.umask {
            libc::umask(mask);
        }
        libc::execve(
            p.filename.as_ptr(),
            p.argv_ptrs.as_ptr(),
            p.envp_ptrs.as_ptr(),
        );
        fail_with(&p.msg_exec, errno_name(errno()).as_bytes());
    }
}

/// Writes `prefix`, `reason` and Supervisor's closing line to fd 2, then `_exit(127)`.
fn fail_with(prefix: &[u8], reason: &[u8]) -> ! {
    // SAFETY: write(2) and _exit(2) are async-signal-safe.
    unsafe {
        write_all(prefix);
        write_all(reason);
        write_all(b"\nsupervisor: child process was not spawned\n");
        libc::_exit(127);
    }
}

unsafe fn write_all(mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = libc::write(2, buf.as_ptr().cast(), buf.len());
        if n <= 0 {
            return;
        }
        buf = buf.get(n as usize..).unwrap_or(&[]);
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
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
    use std::io::Read;
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
