//! `command=` resolution: shell-word splitting, PATH search and the executable checks
//! (reference §3.6, Supervisor's `get_execv_args` / `check_execv_args`).
//!
//! Reads the filesystem (stat, access) but never forks. Used before every spawn and by
//! `startProcess` as its pre-check, so both report the same texts.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::pytext;

/// Why a command cannot be run; `Display` is Supervisor's `spawnerr` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Fault NO_FILE.
    NotFound(String),
    /// Fault NOT_EXECUTABLE (directory, no exec bit, no permission, unparsable, empty).
    NotExecutable(String),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::NotFound(m) | CommandError::NotExecutable(m) => f.write_str(m),
        }
    }
}

/// A resolved command: the file to exec and the full argv (argv[0] as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub filename: PathBuf,
    pub argv: Vec<String>,
}

/// Splits `command` like Python's `shlex.split` (POSIX rules).
pub fn split(command: &str) -> Result<Vec<String>, CommandError> {
    match shlex::split(command) {
        Some(words) if words.is_empty() => {
            Err(CommandError::NotExecutable("command is empty".into()))
        }
        Some(words) => Ok(words),
        None => {
            let trailing = command.len() - command.trim_end_matches('\\').len();
            let why = if trailing % 2 == 1 {
                "No escaped character"
            } else {
                "No closing quotation"
            };
            Err(CommandError::NotExecutable(format!(
                "can't parse command {}: {why}",
                pytext::repr(command)
            )))
        }
    }
}

/// The directories searched for a bare program name: the program's own `PATH` if its
/// `environment=` sets one, else supervisord's `$PATH`, else `/bin:/usr/bin:/usr/local/bin`.
pub fn search_path(environment: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let path = environment
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok());
    match path {
        Some(p) => p.split(':').map(PathBuf::from).collect(),
        None => ["/bin", "/usr/bin", "/usr/local/bin"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    }
}

/// Resolves `command` to the file to exec, with Supervisor's checks in its order.
pub fn resolve(
    command: &str,
    environment: &BTreeMap<String, String>,
) -> Result<Resolved, CommandError> {
    let argv = split(command)?;
    let Some(program) = argv.first().cloned() else {
        return Err(CommandError::NotExecutable("command is empty".into()));
    };
    let (filename, meta) = if program.contains('/') {
        let meta = std::fs::metadata(&program).ok();
        (PathBuf::from(&program), meta)
    } else {
        // The first existing entry wins, even a directory (as Supervisor does).
        search_path(environment)
            .into_iter()
            .map(|dir| dir.join(&program))
            .find_map(|cand| std::fs::metadata(&cand).ok().map(|m| (cand, Some(m))))
            .unwrap_or((PathBuf::from(&program), None))
    };
    let shown = pytext::repr(&filename.to_string_lossy());
    let Some(meta) = meta else {
        return Err(CommandError::NotFound(format!(
            "can't find command {shown}"
        )));
    };
    if meta.is_dir() {
        return Err(CommandError::NotExecutable(format!(
            "command at {shown} is a directory"
        )));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(CommandError::NotExecutable(format!(
            "command at {shown} is not executable"
        )));
    }
    if nix::unistd::access(&filename, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(CommandError::NotExecutable(format!(
            "no permission to run command {shown}"
        )));
    }
    Ok(Resolved { filename, argv })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    #[test]
    fn splits_like_shlex() {
        assert_eq!(
            split("/bin/echo 'a b' \"c\\\"d\" e\\ f").unwrap(),
            ["/bin/echo", "a b", "c\"d", "e f"]
        );
        assert_eq!(split("").unwrap_err().to_string(), "command is empty");
        assert_eq!(
            split("/bin/echo \"unterminated").unwrap_err().to_string(),
            "can't parse command '/bin/echo \"unterminated': No closing quotation"
        );
        assert_eq!(
            split("/bin/echo x\\").unwrap_err().to_string(),
            "can't parse command '/bin/echo x\\\\': No escaped character"
        );
    }

    #[test]
    fn resolves_with_path_search_and_checks() {
        let r = resolve("sh -c true", &env()).unwrap();
        assert!(r.filename.is_absolute() && r.filename.ends_with("sh"));
        assert_eq!(r.argv, ["sh", "-c", "true"]);
        assert_eq!(
            resolve("/nonexistent/cmd", &env()).unwrap_err(),
            CommandError::NotFound("can't find command '/nonexistent/cmd'".into())
        );
        assert_eq!(
            resolve("/tmp", &env()).unwrap_err(),
            CommandError::NotExecutable("command at '/tmp' is a directory".into())
        );
        assert_eq!(
            resolve("no-such-program-xyz", &env()).unwrap_err(),
            CommandError::NotFound("can't find command 'no-such-program-xyz'".into())
        );
    }

    #[test]
    fn not_executable_file() {
        let dir = std::env::temp_dir().join(format!("cmdtest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("plain.sh");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = resolve(f.to_str().unwrap(), &env()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("command at '{}' is not executable", f.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn program_path_comes_from_its_environment() {
        let mut e = env();
        e.insert("PATH".into(), "/nonexistent-a:/bin".into());
        assert_eq!(
            resolve("sh", &e).unwrap().filename,
            PathBuf::from("/bin/sh")
        );
        e.insert("PATH".into(), "/nonexistent-a".into());
        assert!(matches!(resolve("sh", &e), Err(CommandError::NotFound(_))));
    }
}
