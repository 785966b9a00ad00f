//! Stage 3 of loading: every question the configuration asks the system — users and groups,
//! home directories, the current directory, which directories exist, the temporary directory.
//!
//! Owns the [`Lookups`] trait (the questions; [`System`] answers them for real, tests fake
//! them), the [`Resolver`] that asks each question once per load, and the [`Check`]s the
//! parse leaves behind in Supervisor's order. Read-only: it never creates, changes or removes
//! anything. The pure path arithmetic ([`dirname`], [`normpath`]) lives here too.
//! Mirrors `datatypes.py` (`name_to_uid`, `existing_directory`, `existing_dirpath`,
//! `colon_separated_user_group`) and `os.path` (`expanduser`, `abspath`, `normpath`).

use std::collections::HashMap;
use std::path::Path;

use nix::unistd::{Gid, Group, Uid, User};

use crate::config::expand::{expand, Names};
use crate::config::UserSpec;
use crate::pytext;

/// A passwd entry, as much of it as the configuration uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// The questions the configuration asks the system.
pub trait Lookups {
    fn user_by_name(&self, name: &str) -> Option<Passwd>;
    fn user_by_uid(&self, uid: u32) -> Option<Passwd>;
    /// The gid of a group name.
    fn group_by_name(&self, name: &str) -> Option<u32>;
    /// `gid` if such a group exists.
    fn group_by_gid(&self, gid: u32) -> Option<u32>;
    /// `$HOME`.
    fn home(&self) -> Option<String>;
    fn current_dir(&self) -> String;
    fn current_uid(&self) -> u32;
    fn is_dir(&self, path: &str) -> bool;
    /// Python `tempfile.gettempdir()`, absolute.
    fn temp_dir(&self) -> String;
}

/// The real system: the passwd and group databases, the environment, the filesystem.
pub struct System;

fn passwd(user: User) -> Passwd {
    Passwd {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        home: user.dir.to_string_lossy().into_owned(),
    }
}

impl Lookups for System {
    fn user_by_name(&self, name: &str) -> Option<Passwd> {
        User::from_name(name).ok().flatten().map(passwd)
    }

    fn user_by_uid(&self, uid: u32) -> Option<Passwd> {
        User::from_uid(Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(passwd)
    }

    fn group_by_name(&self, name: &str) -> Option<u32> {
        Group::from_name(name)
            .ok()
            .flatten()
            .map(|g| g.gid.as_raw())
    }

    fn group_by_gid(&self, gid: u32) -> Option<u32> {
        Group::from_gid(Gid::from_raw(gid))
            .ok()
            .flatten()
            .map(|g| g.gid.as_raw())
    }

    fn home(&self) -> Option<String> {
        std::env::var("HOME").ok()
    }

    fn current_dir(&self) -> String {
        std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn current_uid(&self) -> u32 {
        Uid::current().as_raw()
    }

    fn is_dir(&self, path: &str) -> bool {
        Path::new(path).is_dir()
    }

    /// `$TMPDIR`, `$TEMP`, `$TMP`, then `/tmp`, `/var/tmp`, `/usr/tmp`: the first writable
    /// directory, else the current directory.
    fn temp_dir(&self) -> String {
        let cwd = self.current_dir();
        let from_env = ["TMPDIR", "TEMP", "TMP"]
            .iter()
            .filter_map(|k| std::env::var(k).ok());
        from_env
            .chain(["/tmp", "/var/tmp", "/usr/tmp"].map(String::from))
            .map(|d| abspath_in(&cwd, &d))
            .find(|d| {
                self.is_dir(d)
                    && nix::unistd::access(d.as_str(), nix::unistd::AccessFlags::W_OK).is_ok()
            })
            .unwrap_or_else(|| abspath_in(&cwd, "."))
    }
}

/// A lookup the parse deferred, in the order Supervisor makes it among its checks.
///
/// Supervisor reads a value and looks it up in one sweep, so its first error may be a lookup
/// that comes before a bad value; the resolve pass runs these before it reports the parse's
/// error. `within` is the ` in section '...' (file: '...')` context appended to the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `existing_directory`.
    Directory(String),
    /// `existing_dirpath`.
    DirPath {
        path: String,
        within: Option<String>,
    },
    /// A user name or uid.
    User {
        name: String,
        within: Option<String>,
    },
    /// `user[:group]`, refused with `error`.
    UserGroup { value: String, error: String },
    /// `childlogdir` not given: the temporary directory, expanded as a value would be.
    DefaultChildlogdir,
}

/// Asks a [`Lookups`] each question once per load (10,000 programs run as one user).
pub struct Resolver<'a> {
    lookups: &'a dyn Lookups,
    cwd: Option<String>,
    temp: Option<String>,
    users: HashMap<String, Option<Passwd>>,
    uids: HashMap<u32, Option<Passwd>>,
    groups: HashMap<String, Option<u32>>,
    dirs: HashMap<String, bool>,
}

impl<'a> Resolver<'a> {
    pub fn new(lookups: &'a dyn Lookups) -> Resolver<'a> {
        Resolver {
            lookups,
            cwd: None,
            temp: None,
            users: HashMap::new(),
            uids: HashMap::new(),
            groups: HashMap::new(),
            dirs: HashMap::new(),
        }
    }

    /// Runs one deferred check; `names` are `[supervisord]`'s expansion names.
    ///
    /// # Errors
    /// The check's error text, with its context.
    pub fn check(&mut self, check: &Check, names: &Names) -> Result<(), String> {
        let within = |e: String, within: &Option<String>| match within {
            Some(w) => format!("{e} {w}"),
            None => e,
        };
        match check {
            Check::Directory(value) => self.existing_directory(value).map(drop),
            Check::DirPath { path, within: w } => self
                .existing_dirpath(path)
                .map(drop)
                .map_err(|e| within(e, w)),
            Check::User { name, within: w } => self.user(name).map(drop).map_err(|e| within(e, w)),
            Check::UserGroup { value, error } => match self.user_group(value) {
                Some(_) => Ok(()),
                None => Err(error.clone()),
            },
            Check::DefaultChildlogdir => self.default_childlogdir(names).map(drop),
        }
    }

    /// `childlogdir` when the file does not set it: Supervisor expands and checks the
    /// temporary directory as if it had been written there.
    ///
    /// # Errors
    /// The expansion's errors (a `%` in `$TMPDIR`).
    pub fn default_childlogdir(&mut self, names: &Names) -> Result<String, String> {
        let lookups = self.lookups;
        let temp = self.temp.get_or_insert_with(|| lookups.temp_dir());
        let dir = expand(temp, names, "supervisord.childlogdir")?;
        self.existing_directory(&dir)
    }

    pub fn current_uid(&self) -> u32 {
        self.lookups.current_uid()
    }

    fn cwd(&mut self) -> &str {
        let lookups = self.lookups;
        self.cwd.get_or_insert_with(|| lookups.current_dir())
    }

    fn is_dir(&mut self, path: &str) -> bool {
        if let Some(known) = self.dirs.get(path) {
            return *known;
        }
        let found = self.lookups.is_dir(path);
        self.dirs.insert(path.to_string(), found);
        found
    }

    fn user_by_name(&mut self, name: &str) -> Option<Passwd> {
        if let Some(known) = self.users.get(name) {
            return known.clone();
        }
        let found = self.lookups.user_by_name(name);
        self.users.insert(name.to_string(), found.clone());
        found
    }

    fn user_by_uid(&mut self, uid: u32) -> Option<Passwd> {
        if let Some(known) = self.uids.get(&uid) {
            return known.clone();
        }
        let found = self.lookups.user_by_uid(uid);
        self.uids.insert(uid, found.clone());
        found
    }

    /// Python `os.path.abspath`: relative paths are taken from the current directory.
    pub fn abspath(&mut self, path: &str) -> String {
        if path.starts_with('/') {
            return normpath(path);
        }
        abspath_in(self.cwd(), path)
    }

    /// Python `os.path.expanduser`: `~` and `~user` at the start of a path.
    pub fn expanduser(&mut self, path: &str) -> String {
        let Some(rest) = path.strip_prefix('~') else {
            return path.to_string();
        };
        let end = rest.find('/').unwrap_or(rest.len());
        let (user, tail) = rest.split_at(end);
        let home = if user.is_empty() {
            self.lookups.home().or_else(|| {
                let uid = self.lookups.current_uid();
                self.user_by_uid(uid).map(|u| u.home)
            })
        } else {
            self.user_by_name(user).map(|u| u.home)
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
    pub fn normalize_path(&mut self, path: &str) -> String {
        let expanded = self.expanduser(path);
        self.abspath(&expanded)
    }

    /// A directory that must exist (`childlogdir`, `directory`); `~` is expanded.
    ///
    /// # Errors
    /// `/nonexistent is not an existing directory`.
    pub fn existing_directory(&mut self, value: &str) -> Result<String, String> {
        let path = self.expanduser(value);
        if self.is_dir(&path) {
            Ok(path)
        } else {
            Err(format!("{value} is not an existing directory"))
        }
    }

    /// A file path whose directory part, if any, must exist; `~` is expanded.
    ///
    /// # Errors
    /// `The directory named as part of the path /nonexistent/dir/x.log does not exist`.
    pub fn existing_dirpath(&mut self, value: &str) -> Result<String, String> {
        let path = self.expanduser(value);
        let dir = dirname(&path);
        if dir.is_empty() || self.is_dir(dir) {
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
    pub fn user(&mut self, value: &str) -> Result<UserSpec, String> {
        let found = match pytext::parse_int(value) {
            Some(n) => u32::try_from(n)
                .ok()
                .and_then(|uid| self.user_by_uid(uid))
                .ok_or_else(|| format!("Invalid user id {value}"))?,
            None => self
                .user_by_name(value)
                .ok_or_else(|| format!("Invalid user name {value}"))?,
        };
        Ok(UserSpec {
            name: found.name,
            uid: found.uid,
            gid: found.gid,
        })
    }

    /// A group by name or gid.
    fn group(&mut self, value: &str) -> Option<u32> {
        if let Some(known) = self.groups.get(value) {
            return *known;
        }
        let found = match pytext::parse_int(value) {
            Some(n) => u32::try_from(n)
                .ok()
                .and_then(|gid| self.lookups.group_by_gid(gid)),
            None => self.lookups.group_by_name(value),
        };
        self.groups.insert(value.to_string(), found);
        found
    }

    /// `user` or `user:group` (`chown=`, `socket_owner=`): the uid and, if given, the gid.
    /// `None` when either part does not resolve; callers word the error.
    pub fn user_group(&mut self, value: &str) -> Option<(u32, Option<u32>)> {
        let (u, g) = match value.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (value, None),
        };
        let uid = self.user(u).ok()?.uid;
        match g {
            Some(g) => Some((uid, Some(self.group(g)?))),
            None => Some((uid, None)),
        }
    }

    /// The primary gid of a uid, if the uid has a passwd entry.
    pub fn gid_for_uid(&mut self, uid: u32) -> Option<u32> {
        self.user_by_uid(uid).map(|u| u.gid)
    }
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

/// Python `os.path.abspath` with the current directory given.
pub fn abspath_in(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normpath(path)
    } else {
        normpath(&format!("{cwd}/{path}"))
    }
}

// The same lookups for callers outside the loader (the command line, supervisorctl,
// `--check-config`), answered by the real system.

/// [`Resolver::abspath`] on the real system.
pub fn abspath(path: &str) -> String {
    Resolver::new(&System).abspath(path)
}

/// [`Resolver::normalize_path`] on the real system.
pub fn normalize_path(path: &str) -> String {
    Resolver::new(&System).normalize_path(path)
}

/// [`Resolver::existing_directory`] on the real system.
///
/// # Errors
/// As [`Resolver::existing_directory`].
pub fn existing_directory(value: &str) -> Result<String, String> {
    Resolver::new(&System).existing_directory(value)
}

/// [`Resolver::existing_dirpath`] on the real system.
///
/// # Errors
/// As [`Resolver::existing_dirpath`].
pub fn existing_dirpath(value: &str) -> Result<String, String> {
    Resolver::new(&System).existing_dirpath(value)
}

/// The uid this process runs as.
pub fn current_uid() -> u32 {
    System.current_uid()
}

/// `tempfile.gettempdir()` on the real system.
pub fn temp_dir() -> String {
    System.temp_dir()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A made-up system: users `root` (0) and `app` (1000, home `/home/app`), group `staff`
    /// (50), directories `/`, `/etc`, `/var/log`, `/home/app`, current directory `/srv`.
    pub(crate) struct Fake;

    impl Lookups for Fake {
        fn user_by_name(&self, name: &str) -> Option<Passwd> {
            [0, 1000]
                .into_iter()
                .filter_map(|uid| self.user_by_uid(uid))
                .find(|u| u.name == name)
        }

        fn user_by_uid(&self, uid: u32) -> Option<Passwd> {
            let (name, home) = match uid {
                0 => ("root", "/root"),
                1000 => ("app", "/home/app"),
                _ => return None,
            };
            Some(Passwd {
                name: name.to_string(),
                uid,
                gid: uid,
                home: home.to_string(),
            })
        }

        fn group_by_name(&self, name: &str) -> Option<u32> {
            (name == "staff").then_some(50)
        }

        fn group_by_gid(&self, gid: u32) -> Option<u32> {
            [0, 50].contains(&gid).then_some(gid)
        }

        fn home(&self) -> Option<String> {
            Some("/home/app".to_string())
        }

        fn current_dir(&self) -> String {
            "/srv".to_string()
        }

        fn current_uid(&self) -> u32 {
            1000
        }

        fn is_dir(&self, path: &str) -> bool {
            ["/", "/etc", "/var/log", "/home/app", "/srv", "/tmp"].contains(&path)
        }

        fn temp_dir(&self) -> String {
            "/tmp".to_string()
        }
    }

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
        let mut r = Resolver::new(&Fake);
        assert_eq!(r.abspath("x/../y.log"), "/srv/y.log");
        assert_eq!(r.abspath("/tmp/../etc"), "/etc");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(abspath("y.log"), format!("{}/y.log", cwd.display()));
    }

    #[test]
    fn expanduser_like_python() {
        let mut r = Resolver::new(&Fake);
        assert_eq!(r.expanduser("~root/x"), "/root/x");
        assert_eq!(r.expanduser("~/x"), "/home/app/x");
        assert_eq!(r.expanduser("~nosuchuser/x"), "~nosuchuser/x");
        assert_eq!(r.expanduser("/a/~b"), "/a/~b");
        assert_eq!(r.normalize_path("~/../app/./l"), "/home/app/l");
        assert_eq!(
            Resolver::new(&System).expanduser("~root/x"),
            "/root/x",
            "the real passwd database"
        );
    }

    #[test]
    fn directories() {
        let mut r = Resolver::new(&Fake);
        assert_eq!(r.existing_directory("~"), Ok("/home/app".to_string()));
        assert_eq!(
            r.existing_directory("/nonexistent").unwrap_err(),
            "/nonexistent is not an existing directory"
        );
        assert_eq!(r.existing_dirpath("x.log"), Ok("x.log".to_string()));
        assert_eq!(
            r.existing_dirpath("~/x.log"),
            Ok("/home/app/x.log".to_string())
        );
        assert_eq!(
            r.existing_dirpath("/nonexistent/dir/x.log").unwrap_err(),
            "The directory named as part of the path /nonexistent/dir/x.log does not exist"
        );
        assert_eq!(existing_directory("/tmp"), Ok("/tmp".to_string()));
    }

    #[test]
    fn users_and_groups() {
        let mut r = Resolver::new(&Fake);
        let app = r.user("app").unwrap();
        assert_eq!((app.uid, app.gid), (1000, 1000));
        assert_eq!(r.user("0").unwrap().name, "root");
        assert_eq!(
            r.user("nosuchuserxyz").unwrap_err(),
            "Invalid user name nosuchuserxyz"
        );
        assert_eq!(r.user("4000000").unwrap_err(), "Invalid user id 4000000");
        assert_eq!(r.user_group("root"), Some((0, None)));
        assert_eq!(r.user_group("1000:staff"), Some((1000, Some(50))));
        assert_eq!(r.user_group("0:0"), Some((0, Some(0))));
        assert_eq!(r.user_group("root:nosuchgroup"), None);
        assert_eq!(r.user_group("nosuchuser:staff"), None);
        assert_eq!(r.gid_for_uid(1000), Some(1000));
        let root = Resolver::new(&System).user("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
    }

    #[test]
    fn checks_word_their_errors() {
        let mut r = Resolver::new(&Fake);
        let env = std::collections::BTreeMap::new();
        let names = Names::new(&env).with("here", "/etc");
        let mut check = |c: Check| r.check(&c, &names);
        let within = Some("in section 'program:x' (file: 't.conf')".to_string());
        assert_eq!(
            check(Check::User {
                name: "bob".into(),
                within
            }),
            Err("Invalid user name bob in section 'program:x' (file: 't.conf')".into())
        );
        assert_eq!(
            check(Check::DirPath {
                path: "/no/x.log".into(),
                within: None
            }),
            Err("The directory named as part of the path /no/x.log does not exist".into())
        );
        assert_eq!(
            check(Check::UserGroup {
                value: "app:nogroup".into(),
                error: "Invalid sockchown value app:nogroup".into()
            }),
            Err("Invalid sockchown value app:nogroup".into())
        );
        assert_eq!(check(Check::Directory("/var/log".into())), Ok(()));
        assert_eq!(check(Check::DefaultChildlogdir), Ok(()));
        assert_eq!(r.default_childlogdir(&names), Ok("/tmp".to_string()));
    }

    /// `$TMPDIR` is expanded like a value (`gettempdir()` is `get()`'s default).
    #[test]
    fn the_default_childlogdir_is_expanded() {
        struct PercentTmp;
        impl Lookups for PercentTmp {
            fn user_by_name(&self, _: &str) -> Option<Passwd> {
                None
            }
            fn user_by_uid(&self, _: u32) -> Option<Passwd> {
                None
            }
            fn group_by_name(&self, _: &str) -> Option<u32> {
                None
            }
            fn group_by_gid(&self, _: u32) -> Option<u32> {
                None
            }
            fn home(&self) -> Option<String> {
                None
            }
            fn current_dir(&self) -> String {
                "/".into()
            }
            fn current_uid(&self) -> u32 {
                0
            }
            fn is_dir(&self, path: &str) -> bool {
                path == "/t/etc"
            }
            fn temp_dir(&self) -> String {
                "/t%(here)s".into()
            }
        }
        let env = std::collections::BTreeMap::new();
        let names = Names::new(&env).with("here", "/etc");
        let mut r = Resolver::new(&PercentTmp);
        assert_eq!(r.default_childlogdir(&names), Ok("/t/etc".to_string()));
        let bare = Names::new(&env);
        assert!(r
            .default_childlogdir(&bare)
            .unwrap_err()
            .starts_with("Format string '/t%(here)s' for 'supervisord.childlogdir' contains"));
    }
}
