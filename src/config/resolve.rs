//! The config code that asks the system: users and groups, directories, paths, the host
//! name, the environment.
//!
//! Owns every lookup the loader needs besides reading the configuration files themselves.
//! Read-only: it never creates, changes or removes anything, and keeps no state.
//! Mirrors `datatypes.py` (`name_to_uid`, `existing_directory`, `existing_dirpath`,
//! `colon_separated_user_group`) and `os.path` (`expanduser`, `abspath`, `normpath`).

use std::collections::BTreeMap;
use std::path::Path;

use nix::unistd::{Gid, Group, Uid, User};

use crate::config::UserSpec;
use crate::pytext;

/// `ENV_<NAME>` for every variable of this process's environment (reference §1.3).
pub fn environ_names() -> BTreeMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                format!("ENV_{}", k.to_string_lossy()),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Python `platform.node()`: the host name, or an empty string if it cannot be read.
pub fn host_node_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Python `tempfile.gettempdir()`: `$TMPDIR`, `$TEMP`, `$TMP`, then `/tmp`, `/var/tmp`,
/// `/usr/tmp`; the first writable directory.
pub fn temp_dir() -> String {
    let from_env = ["TMPDIR", "TEMP", "TMP"]
        .iter()
        .filter_map(|k| std::env::var(k).ok());
    from_env
        .chain(["/tmp", "/var/tmp", "/usr/tmp"].map(String::from))
        .map(|d| abspath(&d))
        .find(|d| {
            Path::new(d).is_dir()
                && nix::unistd::access(d.as_str(), nix::unistd::AccessFlags::W_OK).is_ok()
        })
        .unwrap_or_else(|| abspath("."))
}

/// Python `os.path.dirname`.
pub fn dirname(path: &str) -> &str {
    let head = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    if head.bytes().all(|b| b == b'/') {
        head
    } else {
        head.trim_end_matches('/')
    }
}

/// Python `os.path.normpath` (lexical: `.`, `..` and repeated slashes).
pub fn normpath(path: &str) -> String {
    let slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else {
        usize::from(path.starts_with('/'))
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." if slashes == 0 && comps.last().is_none_or(|c| *c == "..") => comps.push(comp),
            ".." => {
                comps.pop();
            }
            _ => comps.push(comp),
        }
    }
    let joined = format!("{}{}", "/".repeat(slashes), comps.join("/"));
    if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// Python `os.path.abspath`: relative paths are taken from the current directory.
pub fn abspath(path: &str) -> String {
    if path.starts_with('/') {
        return normpath(path);
    }
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    normpath(&format!("{cwd}/{path}"))
}

/// Python `os.path.expanduser`: `~` and `~user` at the start of a path.
pub fn expanduser(path: &str) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (user, tail) = rest.split_at(end);
    let home = if user.is_empty() {
        std::env::var("HOME").ok().or_else(|| {
            User::from_uid(Uid::current())
                .ok()
                .flatten()
                .map(|u| u.dir.to_string_lossy().into_owned())
        })
    } else {
        User::from_name(user)
            .ok()
            .flatten()
            .map(|u| u.dir.to_string_lossy().into_owned())
    };
    match home {
        Some(home) => {
            let joined = format!("{}{tail}", home.trim_end_matches('/'));
            if joined.is_empty() {
                "/".to_string()
            } else {
                joined
            }
        }
        None => path.to_string(),
    }
}

/// Supervisor's `normalize_path`: `~` expanded, absolute, normalised.
pub fn normalize_path(path: &str) -> String {
    abspath(&expanduser(path))
}

/// A directory that must exist (`childlogdir`, `directory`); `~` is expanded.
///
/// # Errors
/// `/nonexistent is not an existing directory`.
pub fn existing_directory(value: &str) -> Result<String, String> {
    let path = expanduser(value);
    if Path::new(&path).is_dir() {
        Ok(path)
    } else {
        Err(format!("{value} is not an existing directory"))
    }
}

/// A file path whose directory part, if any, must exist; `~` is expanded.
///
/// # Errors
/// `The directory named as part of the path /nonexistent/dir/x.log does not exist`.
pub fn existing_dirpath(value: &str) -> Result<String, String> {
    let path = expanduser(value);
    let dir = dirname(&path);
    if dir.is_empty() || Path::new(dir).is_dir() {
        Ok(path)
    } else {
        Err(format!(
            "The directory named as part of the path {value} does not exist"
        ))
    }
}

/// A user by name or uid, with its passwd name and primary group.
///
/// # Errors
/// `Invalid user name nosuchuserxyz` / `Invalid user id 12345`.
pub fn user(value: &str) -> Result<UserSpec, String> {
    let found = match pytext::parse_int(value) {
        Some(n) => u32::try_from(n)
            .ok()
            .and_then(|uid| User::from_uid(Uid::from_raw(uid)).ok().flatten())
            .ok_or_else(|| format!("Invalid user id {value}"))?,
        None => User::from_name(value)
            .ok()
            .flatten()
            .ok_or_else(|| format!("Invalid user name {value}"))?,
    };
    Ok(UserSpec {
        name: found.name,
        uid: found.uid.as_raw(),
        gid: found.gid.as_raw(),
    })
}

/// A group by name or gid.
fn group(value: &str) -> Option<u32> {
    let found = match pytext::parse_int(value) {
        Some(n) => Group::from_gid(Gid::from_raw(u32::try_from(n).ok()?)),
        None => Group::from_name(value),
    };
    found.ok().flatten().map(|g| g.gid.as_raw())
}

/// `user` or `user:group` (`chown=`, `socket_owner=`): the uid and, if given, the gid.
/// `None` when either part does not resolve; callers word the error.
pub fn user_group(value: &str) -> Option<(u32, Option<u32>)> {
    let (u, g) = match value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (value, None),
    };
    let uid = user(u).ok()?.uid;
    match g {
        Some(g) => Some((uid, Some(group(g)?))),
        None => Some((uid, None)),
    }
}

/// The primary gid of a uid, if the uid has a passwd entry.
pub fn gid_for_uid(uid: u32) -> Option<u32> {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.gid.as_raw())
}

/// The uid this process runs as.
pub fn current_uid() -> u32 {
    Uid::current().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirname_like_python() {
        assert_eq!(dirname("/a/b/c.log"), "/a/b");
        assert_eq!(dirname("c.log"), "");
        assert_eq!(dirname("/c.log"), "/");
        assert_eq!(dirname("a//b"), "a");
        assert_eq!(dirname("//x"), "//");
        assert_eq!(dirname("bin/supervisord"), "bin");
    }

    #[test]
    fn normpath_like_python() {
        assert_eq!(normpath("/a/./b/../c//d/"), "/a/c/d");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath("/../x"), "/x");
        assert_eq!(normpath("//x/y"), "//x/y");
        assert_eq!(normpath("///x"), "/x");
        assert_eq!(normpath(""), ".");
        assert_eq!(normpath("./"), ".");
    }

    #[test]
    fn abspath_uses_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(abspath("x/../y.log"), format!("{}/y.log", cwd.display()));
        assert_eq!(abspath("/tmp/../etc"), "/etc");
    }

    #[test]
    fn expanduser_root() {
        assert_eq!(expanduser("~root/x"), "/root/x");
        assert_eq!(expanduser("~nosuchuserxyz/x"), "~nosuchuserxyz/x");
        assert_eq!(expanduser("/a/~b"), "/a/~b");
    }

    #[test]
    fn directories() {
        assert_eq!(existing_directory("/tmp"), Ok("/tmp".to_string()));
        assert_eq!(
            existing_directory("/nonexistent").unwrap_err(),
            "/nonexistent is not an existing directory"
        );
        assert_eq!(existing_dirpath("x.log"), Ok("x.log".to_string()));
        assert_eq!(existing_dirpath("/tmp/x.log"), Ok("/tmp/x.log".to_string()));
        assert_eq!(
            existing_dirpath("/nonexistent/dir/x.log").unwrap_err(),
            "The directory named as part of the path /nonexistent/dir/x.log does not exist"
        );
    }

    #[test]
    fn users_and_groups() {
        let root = user("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(user("0").unwrap().name, "root");
        assert_eq!(
            user("nosuchuserxyz").unwrap_err(),
            "Invalid user name nosuchuserxyz"
        );
        assert_eq!(user("4000000").unwrap_err(), "Invalid user id 4000000");
        assert_eq!(user_group("root"), Some((0, None)));
        assert_eq!(user_group("0:0"), Some((0, Some(0))));
        assert_eq!(user_group("root:nosuchgroupxyz"), None);
        assert_eq!(user_group("nosuchuser:root"), None);
        assert_eq!(gid_for_uid(0), Some(0));
    }
}
