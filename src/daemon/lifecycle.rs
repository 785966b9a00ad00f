//! The daemon's life outside the loop: resource limits, dropping privileges, daemonizing,
//! the pidfile, and AUTO child-log names and their clean-up (reference §2.2–2.7).
//!
//! Runs before the loop (errors here are start-up errors, exit 2) or between loop runs.

use std::fs::OpenOptions;
use std::path::Path;

use nix::sys::resource::{getrlimit, setrlimit, Resource, RLIM_INFINITY};

use crate::config::UserSpec;

/// Raises RLIMIT_NOFILE to `minfds` and RLIMIT_NPROC to `minprocs` when the soft limit is
/// lower; returns the INFO lines to log.
///
/// # Errors
/// Supervisor's long usage message when the limit cannot be raised.
pub fn raise_limits(minfds: u64, minprocs: u64) -> Result<Vec<String>, String> {
    let mut infos = Vec::new();
    let limits = [
        (
            Resource::RLIMIT_NOFILE,
            minfds,
            "RLIMIT_NOFILE",
            "file descriptors",
            "minfds",
            "number of file descriptors",
        ),
        (
            Resource::RLIMIT_NPROC,
            minprocs,
            "RLIMIT_NPROC",
            "available processes",
            "minprocs",
            "number of available processes",
        ),
    ];
    for (res, min, name, what, key, noun) in limits {
        let Ok((soft, hard)) = getrlimit(res) else {
            continue;
        };
        if soft == RLIM_INFINITY || soft >= min {
            continue;
        }
        let new_hard = if hard == RLIM_INFINITY {
            hard
        } else {
            hard.max(min)
        };
        if setrlimit(res, min, new_hard).is_err() {
            // DIVERGENCE(Q15): report the limit that really applies, not the one we asked for.
            return Err(format!(
                "The minimum {noun} required to run this process is {min} as per the \"{key}\" command-line argument or config file setting. The current environment will only allow you to open {soft} {what}.  Either raise the {noun} in your environment (see README.rst) or lower the {key} setting in the config file to allow the process to start."
            ));
        }
        infos.push(format!("Increased {name} limit to {min}"));
    }
    Ok(infos)
}

/// Switches supervisord to `user` (groups, gid, uid) as Supervisor's `drop_privileges`.
///
/// # Errors
/// Supervisor's texts (`Can't drop privilege as nonroot user`, ...).
pub fn drop_privileges(user: &UserSpec) -> Result<(), String> {
    let current = nix::unistd::getuid().as_raw();
    if current == user.uid {
        return Ok(());
    }
    if current != 0 {
        return Err("Can't drop privilege as nonroot user".into());
    }
    let name = std::ffi::CString::new(user.name.as_bytes())
        .map_err(|_| format!("Can't find username '{}'", user.name))?;
    let gid = nix::unistd::Gid::from_raw(user.gid);
    let mut groups = nix::unistd::getgrouplist(&name, gid).unwrap_or_default();
    groups.retain(|g| *g != gid);
    groups.insert(0, gid);
    nix::unistd::setgroups(&groups)
        .map_err(|_| "Could not set groups of effective user".to_string())?;
    nix::unistd::setgid(gid).map_err(|_| "Could not set group id of effective user".to_string())?;
    nix::unistd::setuid(nix::unistd::Uid::from_raw(user.uid))
        .map_err(|e| format!("Could not set user id of effective user: {e}"))?;
    Ok(())
}

/// Detaches from the terminal: fork (the parent exits 0), new session, optional chdir,
/// fds 0–2 on /dev/null. Returns the messages to log (`chdir` failures are only logged).
///
/// # Errors
/// A failed fork or setsid.
pub fn daemonize(
    directory: Option<&Path>,
) -> Result<Vec<(crate::logging::level::Level, String)>, String> {
    use crate::logging::level::Level;
    let mut msgs = vec![(
        Level::Info,
        "daemonizing the supervisord process".to_string(),
    )];
    crate::sys::fork_and_exit_parent().map_err(|e| format!("could not fork: {e}"))?;
    if let Some(dir) = directory {
        match nix::unistd::chdir(dir) {
            Ok(()) => msgs.push((
                Level::Info,
                format!("set current directory: '{}'", dir.display()),
            )),
            Err(e) => msgs.push((
                Level::Critical,
                format!("can't chdir into '{}': {e}", dir.display()),
            )),
        }
    }
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        use std::os::fd::AsFd;
        let _ = nix::unistd::dup2_stdin(null.as_fd());
        let _ = nix::unistd::dup2_stdout(null.as_fd());
        let _ = nix::unistd::dup2_stderr(null.as_fd());
    }
    nix::unistd::setsid().map_err(|e| format!("could not setsid: {e}"))?;
    Ok(msgs)
}

/// Writes `<pid>\n` to the pidfile.
///
/// # Errors
/// Supervisor's text `could not write pidfile <path>` (logged CRIT, not fatal).
pub fn write_pidfile(path: &Path, pid: u32) -> Result<(), String> {
    std::fs::write(path, format!("{pid}\n"))
        .map_err(|_| format!("could not write pidfile {}", path.display()))
}

/// True for names Supervisor's clean-up deletes: a prefix match of
/// `.+?---<identifier>-\S+\.log\.{0,1}\d{0,4}`.
pub fn is_auto_log_name(name: &str, identifier: &str) -> bool {
    let marker = format!("---{identifier}-");
    let mut from = 0;
    while let Some(pos) = name.get(from..).and_then(|s| s.find(&marker)) {
        let at = from + pos;
        if at >= 1 {
            let rest = &name[at + marker.len()..];
            let mut search = 1;
            while let Some(i) = rest.get(search..).and_then(|s| s.find(".log")) {
                let k = search + i;
                if !rest[..k].contains(char::is_whitespace) {
                    return true;
                }
                search = k + 1;
            }
        }
        from = at + 1;
    }
    false
}

/// Deletes old AUTO logs in `dir`; returns WARN lines for what could not be removed.
pub fn clear_auto_logs(dir: &Path, identifier: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec!["Could not clear childlog dir".into()];
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_auto_log_name(name, identifier) {
            // As the reference, whatever matches is removed, and what cannot be (a
            // directory, a read-only dir) is named.
            let path = entry.path();
            if std::fs::remove_file(&path).is_err() {
                let shown = crate::pytext::repr(&path.to_string_lossy());
                warnings.push(format!("Failed to clean up {shown}"));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::auto::{auto_log_name, create_auto_log};

    #[test]
    fn auto_log_names_match_supervisors_pattern() {
        let id = "supervisor";
        assert!(is_auto_log_name(
            "talker-stdout---supervisor-biot876w.log",
            id
        ));
        assert!(is_auto_log_name(
            "talker-stdout---supervisor-biot876w.log.3",
            id
        ));
        assert!(is_auto_log_name("x---supervisor-a.logfoo", id));
        assert!(!is_auto_log_name("---supervisor-a.log", id));
        assert!(!is_auto_log_name("talker-stdout---other-biot876w.log", id));
        assert!(!is_auto_log_name("talker---supervisor-.log", id));
        assert!(!is_auto_log_name("supervisord.log", id));
    }

    #[test]
    fn creates_unique_auto_logs_and_cleans_them() {
        let dir = std::env::temp_dir().join(format!("autolog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = create_auto_log(&auto_log_name(&dir, "p", "stdout", "supervisor")).unwrap();
        let b = create_auto_log(&auto_log_name(&dir, "p", "stdout", "supervisor")).unwrap();
        assert_ne!(a, b);
        // A name taken meanwhile gets another suffix.
        let c = create_auto_log(&a).unwrap();
        assert!(c != a && c != b && c.exists());
        assert_eq!(c.to_string_lossy().len(), a.to_string_lossy().len());
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("p-stdout---supervisor-")
                && name.len() == "p-stdout---supervisor-".len() + 12
        );
        std::fs::write(dir.join("keep.txt"), "x").unwrap();
        assert!(clear_auto_logs(&dir, "supervisor").is_empty());
        assert!(!a.exists() && !b.exists() && !c.exists());
        assert!(dir.join("keep.txt").exists());
        // What matches but cannot be removed is named, as the reference's `%r`.
        let stuck = dir.join("q-stdout---supervisor-stuck.log");
        std::fs::create_dir(&stuck).unwrap();
        assert_eq!(
            clear_auto_logs(&dir, "supervisor"),
            [format!("Failed to clean up '{}'", stuck.display())]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
