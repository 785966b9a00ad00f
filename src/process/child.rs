//! The code a new child runs between `clone` and `execve`.
//!
//! Heads up: the child shares the daemon's memory (`CLONE_VM`) and runs at the same time as
//! the daemon, on its own small stack. So it may only read the data prepared for it (which
//! the daemon keeps alive until the child has exec'd or exited) and write to its own stack.
//! Every call is a raw system call issued here: no libc wrapper, because those write the
//! shared `errno` on failure, and glibc's credential wrappers would try to change every
//! thread of the daemon. No allocation, formatting, locking or logging. On failure the child
//! writes Supervisor's message to its stderr (fd 2, which the daemon logs) and exits 127, as
//! Supervisor's `_spawn_as_child` does (reference §3.6).
//!
//! The child: leaves the daemon's fd table if it shares it (the fd window), before any fd
//! changes; becomes leader of a new process group; gets fds 0/1/2 and nothing else (D4:
//! every other fd is close-on-exec); starts with every signal at its default disposition and
//! an empty mask (D4, DIVERGENCE: Supervisor leaves SIGPIPE/SIGXFSZ ignored); drops
//! privileges (groups, gid, uid); changes directory; sets the umask; execs.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use crate::sys::errno_name;

/// The kernel's signal-set size for rt_sigaction/rt_sigprocmask (64 signals).
const KERNEL_SIGSET_BYTES: usize = 8;

/// The child's file descriptors before they become 0, 1 and 2.
#[derive(Debug, Clone, Copy)]
pub struct ChildFds {
    /// -1 when the child gets no stdin.
    pub stdin: i32,
    pub stdout: i32,
    pub stderr: i32,
    /// `ready_check = fd:N` (issue 14): the write end of the readiness pipe and N; -1 when
    /// unused.
    pub ready_from: i32,
    pub ready_to: i32,
    /// -1: the child has its own copy of the daemon's fd table. Else it shares the daemon's
    /// table ([`crate::process::window`]) and keeps only the fds below this number, where the
    /// daemon put the ones above (then slot numbers).
    pub keep_below: i32,
    /// The child's write end of the exec pipe, which must stay open until the exec; -1 when
    /// unknown.
    pub done: i32,
}

/// Set by a child that was refused `CLOSE_RANGE_UNSHARE` (and copied the whole fd table):
/// the daemon, which shares this memory, then stops using the fd window.
pub static UNSHARE_REFUSED: AtomicBool = AtomicBool::new(false);

/// The child's data, as C strings and pointer arrays built in the parent.
#[derive(Debug)]
pub struct Prepared {
    pub filename: CString,
    pub argv: CStrings,
    pub envp: CStrings,
    pub directory: Option<CString>,
    pub umask: Option<u32>,
    pub user: Option<(u32, u32, Vec<libc::gid_t>)>,
    pub msg_setuid: Vec<u8>,
    pub msg_chdir: Vec<u8>,
    pub msg_exec: Vec<u8>,
    pub fds: ChildFds,
    /// For a child sharing the daemon's fd table: 1 until it has its own (or has exec'd or
    /// exited: `CLONE_CHILD_CLEARTID` points here too), then 0 and a futex wake.
    pub unshared: Option<Arc<AtomicU32>>,
}

/// NUL-terminated strings in one buffer, and the null-terminated pointer array `execve`
/// takes: two allocations per list instead of one per string.
#[derive(Debug)]
pub struct CStrings {
    /// What `ptrs` point into: kept, never read.
    _bytes: Vec<u8>,
    ptrs: Vec<*const libc::c_char>,
}

impl CStrings {
    /// One string per item, each the concatenation of its parts; `Err` if one holds a NUL.
    /// Every buffer is allocated once at its final size (growing ones fragment the heap).
    pub fn new<'a, I, P>(items: I) -> Result<CStrings, NulInside>
    where
        I: IntoIterator<Item = P> + Clone,
        P: IntoIterator<Item = &'a [u8]>,
    {
        let (mut count, mut len) = (0, 0);
        for parts in items.clone() {
            count += 1;
            len += parts.into_iter().map(<[u8]>::len).sum::<usize>() + 1;
        }
        let mut bytes = Vec::with_capacity(len);
        let mut starts = Vec::with_capacity(count);
        for parts in items {
            starts.push(bytes.len());
            for part in parts {
                if part.contains(&0) {
                    return Err(NulInside);
                }
                bytes.extend_from_slice(part);
            }
            bytes.push(0);
        }
        // Pointers last: `bytes` no longer moves.
        let base = bytes.as_ptr();
        let mut ptrs = Vec::with_capacity(count + 1);
        ptrs.extend(
            starts
                .into_iter()
                .map(|at| base.wrapping_add(at).cast::<libc::c_char>()),
        );
        ptrs.push(std::ptr::null());
        Ok(CStrings {
            _bytes: bytes,
            ptrs,
        })
    }

    /// The `char *const []` for `execve`.
    pub fn as_ptr(&self) -> *const *const libc::c_char {
        self.ptrs.as_ptr()
    }
}

/// A string for the child held a NUL byte.
#[derive(Debug, PartialEq, Eq)]
pub struct NulInside;

/// The entry point `clone` calls; `arg` points to the [`Prepared`] of this child.
pub extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Prepared` the parent passed to clone; the parent keeps it alive
    // and unchanged until this child has exec'd or exited.
    let p = unsafe { &*(arg as *const Prepared) };
    child_main(p)
}

fn child_main(p: &Prepared) -> ! {
    let fds = p.fds;
    if fds.keep_below >= 0 {
        private_fd_table(p);
    }
    sys(libc::SYS_setpgid, [0, 0, 0, 0]);
    if fds.stdin >= 0 {
        dup_to(fds.stdin, 0);
    }
    dup_to(fds.stdout, 1);
    dup_to(fds.stderr, 2);
    // D4: only 0, 1 and 2 survive the exec.
    cloexec_from_3();
    // ...and the readiness fd N asked for, made after the range so it survives.
    if fds.ready_from >= 0 && fds.ready_to >= 3 {
        if fds.ready_to == fds.done {
            // N is where the exec pipe sits: keep a copy of it elsewhere until the exec.
            sys(
                libc::SYS_fcntl,
                [fds.done as usize, libc::F_DUPFD_CLOEXEC as usize, 3, 0],
            );
        }
        if fds.ready_from == fds.ready_to {
            sys(
                libc::SYS_fcntl,
                [fds.ready_to as usize, libc::F_SETFD as usize, 0, 0],
            );
        } else {
            dup_to(fds.ready_from, fds.ready_to);
        }
    }
    // D4 DIVERGENCE: default dispositions and an empty mask, whatever we inherited, up to
    // SIGRTMAX (glibc's wrappers would refuse its two internal signals, 32 and 33).
    // All zeros is SIG_DFL, no flags, empty mask, whatever the arch's field order.
    let default_action = [0 as libc::c_ulong; 4];
    for sig in 1..=64usize {
        if sig != libc::SIGKILL as usize && sig != libc::SIGSTOP as usize {
            sys(
                libc::SYS_rt_sigaction,
                [
                    sig,
                    default_action.as_ptr() as usize,
                    0,
                    KERNEL_SIGSET_BYTES,
                ],
            );
        }
    }
    let empty: u64 = 0;
    sys(
        libc::SYS_rt_sigprocmask,
        [
            libc::SIG_SETMASK as usize,
            std::ptr::from_ref(&empty) as usize,
            0,
            KERNEL_SIGSET_BYTES,
        ],
    );
    if let Some((uid, gid, ref groups)) = p.user {
        if sys(
            libc::SYS_setgroups,
            [groups.len(), groups.as_ptr() as usize, 0, 0],
        ) < 0
        {
            fail_with(&p.msg_setuid, b"Could not set groups of effective user");
        }
        if sys(libc::SYS_setgid, [gid as usize, 0, 0, 0]) < 0 {
            fail_with(&p.msg_setuid, b"Could not set group id of effective user");
        }
        let r = sys(libc::SYS_setuid, [uid as usize, 0, 0, 0]);
        if r < 0 {
            fail_with(&p.msg_setuid, errno_name(-r as i32).as_bytes());
        }
    }
    if let Some(dir) = &p.directory {
        let r = sys(libc::SYS_chdir, [dir.as_ptr() as usize, 0, 0, 0]);
        if r < 0 {
            fail_with(&p.msg_chdir, errno_name(-r as i32).as_bytes());
        }
    }
    if let Some(mask) = p.umask {
        sys(libc::SYS_umask, [mask as usize, 0, 0, 0]);
    }
    let r = sys(
        libc::SYS_execve,
        [
            p.filename.as_ptr() as usize,
            p.argv.as_ptr() as usize,
            p.envp.as_ptr() as usize,
            0,
        ],
    );
    fail_with(&p.msg_exec, errno_name(-r as i32).as_bytes());
}

/// Leaves the daemon's fd table, which this child shares until now, keeping only the fds
/// below `keep_below` (0-2 and the window's slots): not one fd may change before this, nor
/// are the daemon's thousands copied. Refused (Linux < 5.9, seccomp), the whole table is
/// copied instead and the daemon told to stop sharing it. Then the daemon may have its
/// slots back.
fn private_fd_table(p: &Prepared) {
    let fds = p.fds;
    let flags = libc::CLOSE_RANGE_UNSHARE as usize;
    let from = fds.keep_below as usize;
    if forced_full_copy() || sys(libc::SYS_close_range, [from, u32::MAX as usize, flags, 0]) < 0 {
        if !forced_full_copy() {
            UNSHARE_REFUSED.store(true, Ordering::Relaxed);
        }
        let r = sys(libc::SYS_unshare, [libc::CLONE_FILES as usize, 0, 0, 0]);
        if r < 0 {
            // Still the daemon's table: report on the stderr pipe's slot (fd 2 is the
            // daemon's) before the daemon takes the slot back.
            write_all(
                fds.stderr,
                b"supervisor: couldn't unshare file descriptors: ",
            );
            write_all(fds.stderr, errno_name(-r as i32).as_bytes());
            write_all(fds.stderr, b"\nsupervisor: child process was not spawned\n");
            unshared(p);
            exit_127();
        }
    }
    unshared(p);
}

/// Tells the daemon that this child no longer uses its fd table.
fn unshared(p: &Prepared) {
    if let Some(sharing) = &p.unshared {
        sharing.store(0, Ordering::Release);
        let wake = libc::FUTEX_WAKE as usize;
        sys(libc::SYS_futex, [sharing.as_ptr() as usize, wake, 1, 0]);
    }
}

/// Marks every fd from 3 up close-on-exec (not closed: the exec pipe must stay open until the
/// exec itself). `close_range` does it in one call since Linux 5.11; older kernels (and
/// seccomp filters that refuse it) get the fallback: the fds listed in `/proc/self/fd`, or
/// without `/proc` every number below the fd limit.
fn cloexec_from_3() {
    let flags = libc::CLOSE_RANGE_CLOEXEC as usize;
    if forced_fallback() < 1 && sys(libc::SYS_close_range, [3, u32::MAX as usize, flags, 0]) == 0 {
        return;
    }
    if forced_fallback() < 2 && cloexec_listed_fds() {
        return;
    }
    let mut limit = [0u64; 2];
    let got = sys(
        libc::SYS_prlimit64,
        [
            0,
            libc::RLIMIT_NOFILE as usize,
            0,
            limit.as_mut_ptr() as usize,
        ],
    );
    let soft = if got == 0 { limit[0] } else { 1 << 20 };
    for fd in 3..soft.min(i32::MAX as u64) {
        set_cloexec(fd as usize);
    }
}

/// Tests force the fallbacks with this: 1 skips `close_range`, 2 also skips `/proc`.
#[cfg(test)]
pub static FORCE_FALLBACK: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Tests make a child sharing the daemon's fd table copy all of it with this, as on a kernel
/// without `CLOSE_RANGE_UNSHARE` (but without giving up the window).
#[cfg(test)]
pub static FORCE_FULL_COPY: AtomicBool = AtomicBool::new(false);

fn forced_full_copy() -> bool {
    #[cfg(test)]
    return FORCE_FULL_COPY.load(Ordering::Relaxed);
    #[cfg(not(test))]
    false
}

fn forced_fallback() -> u8 {
    #[cfg(test)]
    return FORCE_FALLBACK.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(test))]
    0
}

fn set_cloexec(fd: usize) {
    sys(
        libc::SYS_fcntl,
        [fd, libc::F_SETFD as usize, libc::FD_CLOEXEC as usize, 0],
    );
}

/// Marks the fds from 3 up that `/proc/self/fd` lists close-on-exec; false without `/proc`.
/// Reads `linux_dirent64` records (u64 inode, i64 offset, u16 length, u8 type, name) into a
/// buffer on the child's stack.
fn cloexec_listed_fds() -> bool {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
    let dir = sys(
        libc::SYS_openat,
        [
            libc::AT_FDCWD as usize,
            c"/proc/self/fd".as_ptr() as usize,
            flags as usize,
            0,
        ],
    );
    if dir < 0 {
        return false;
    }
    let mut buf = [0u8; 1024];
    loop {
        let n = sys(
            libc::SYS_getdents64,
            [dir as usize, buf.as_mut_ptr() as usize, buf.len(), 0],
        );
        let Some(mut records) = usize::try_from(n).ok().and_then(|n| buf.get(..n)) else {
            break;
        };
        if records.is_empty() {
            break;
        }
        while let Some(len) = records
            .get(16..18)
            .and_then(|l| <[u8; 2]>::try_from(l).ok())
            .map(|l| usize::from(u16::from_ne_bytes(l)))
        {
            let name = records.get(19..len.max(19)).unwrap_or(&[]);
            if let Some(fd) = parse_fd(name) {
                if fd >= 3 && fd != dir as usize {
                    set_cloexec(fd);
                }
            }
            match records.get(len.max(1)..) {
                Some(rest) => records = rest,
                None => break,
            }
        }
    }
    sys(libc::SYS_close, [dir as usize, 0, 0, 0]);
    true
}

/// A directory entry's NUL-terminated name as an fd number; `None` for `.`, `..` or junk.
fn parse_fd(name: &[u8]) -> Option<usize> {
    let mut fd: usize = 0;
    let mut digits = 0;
    for &b in name.iter().take_while(|b| **b != 0) {
        if !b.is_ascii_digit() {
            return None;
        }
        fd = fd.checked_mul(10)?.checked_add(usize::from(b - b'0'))?;
        digits += 1;
    }
    (digits > 0).then_some(fd)
}

/// `dup2(from, to)` as dup3, which every architecture has (`from` is never `to`: the
/// daemon's 0, 1 and 2 are always open, so its pipes are 3 and up).
fn dup_to(from: i32, to: i32) {
    sys(libc::SYS_dup3, [from as usize, to as usize, 0, 0]);
}

/// Writes `prefix`, `reason` and Supervisor's closing line to fd 2, then exits 127.
fn fail_with(prefix: &[u8], reason: &[u8]) -> ! {
    write_all(2, prefix);
    write_all(2, reason);
    write_all(2, b"\nsupervisor: child process was not spawned\n");
    exit_127()
}

fn exit_127() -> ! {
    loop {
        sys(libc::SYS_exit_group, [127, 0, 0, 0]);
    }
}

fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = sys(
            libc::SYS_write,
            [fd as usize, buf.as_ptr() as usize, buf.len(), 0],
        );
        if n <= 0 {
            return;
        }
        buf = buf.get(n as usize..).unwrap_or(&[]);
    }
}

/// A raw system call: the result, or `-errno`. Never touches `errno`.
#[cfg(target_arch = "x86_64")]
fn sys(nr: libc::c_long, a: [usize; 4]) -> isize {
    let ret: isize;
    // SAFETY: the Linux x86-64 syscall ABI; the kernel validates every argument, and the
    // pointers passed by this module point to data that lives until the exec.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// A raw system call: the result, or `-errno`. Never touches `errno`.
#[cfg(target_arch = "aarch64")]
fn sys(nr: libc::c_long, a: [usize; 4]) -> isize {
    let ret: isize;
    // SAFETY: the Linux aarch64 syscall ABI; see the x86-64 version.
    unsafe {
        std::arch::asm!(
            "svc 0",
            in("x8") nr,
            inlateout("x0") a[0] as isize => ret,
            in("x1") a[1], in("x2") a[2], in("x3") a[3],
            options(nostack),
        );
    }
    ret
}

/// A system call through libc, on architectures without an inline version here. libc's
/// `syscall` sets `errno` on failure, so on these the parent waits for the child's exec
/// (`CLONE_VFORK`, see [`CONCURRENT`]) and no write can race with it.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn sys(nr: libc::c_long, a: [usize; 4]) -> isize {
    // SAFETY: see above; the arguments are as for the inline versions.
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3]) };
    if r < 0 {
        -(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL) as isize)
    } else {
        r as isize
    }
}

/// Whether the child may run alongside the daemon (its system calls never touch `errno`),
/// or the daemon must wait for its exec (`CLONE_VFORK`).
pub const CONCURRENT: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_string_lists_end_in_nul_and_a_null_pointer() {
        let list = CStrings::new([
            [b"A".as_slice(), b"=", b"1"].as_slice().iter().copied(),
            [b"".as_slice(), b"=", b""].as_slice().iter().copied(),
        ])
        .unwrap();
        let ptrs: Vec<_> = (0..3)
            // SAFETY: the array has 3 entries, the last null.
            .map(|i| unsafe { *list.as_ptr().add(i) })
            .collect();
        assert!(ptrs[2].is_null());
        // SAFETY: both point into `list`, NUL-terminated.
        let strs: Vec<_> = ptrs[..2]
            .iter()
            .map(|&p| unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes())
            .collect();
        assert_eq!(strs, [b"A=1".as_slice(), b"="]);
        let empty = CStrings::new(std::iter::empty::<[&[u8]; 1]>()).unwrap();
        // SAFETY: one entry, the null.
        assert!(unsafe { *empty.as_ptr() }.is_null());
        assert_eq!(CStrings::new([[b"a\0b".as_slice()]]).err(), Some(NulInside));
    }

    #[test]
    fn fd_names_parse_as_numbers_and_nothing_else_does() {
        assert_eq!(parse_fd(b"17\0\0\0"), Some(17));
        assert_eq!(parse_fd(b"3"), Some(3));
        assert_eq!(parse_fd(b".\0"), None);
        assert_eq!(parse_fd(b"..\0"), None);
        assert_eq!(parse_fd(b"\0"), None);
        assert_eq!(parse_fd(b"99999999999999999999999\0"), None);
    }

    #[test]
    fn raw_syscalls_return_minus_errno() {
        assert_eq!(
            sys(libc::SYS_close, [usize::MAX >> 1, 0, 0, 0]),
            -(libc::EBADF as isize)
        );
        assert!(sys(libc::SYS_getpid, [0; 4]) > 0);
    }
}
