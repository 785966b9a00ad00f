//! The `supervisord` command line (reference §2.1, §1.15).
//!
//! Owns option parsing with getopt's rules (clustered short flags, unique prefixes of long
//! options, parsing stops at the first positional argument), the value converters and their
//! error texts, the usage text, and the default config-file search. It starts nothing and
//! reads no configuration file.
//! Mirrors `options.py` `Options.realize` and `ServerOptions.__init__`.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use lexopt::{Arg, Parser};

use crate::config::resolve::{existing_directory, existing_dirpath};
use crate::config::values::{byte_size, clamp, integer, octal};
use crate::config::{find_config_file, Overrides, ROOT_SEARCH_WARNING};
use crate::logging::level::Level;
use crate::pytext;

/// The version `supervisord -v` prints (and `getSupervisorVersion` returns).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-h`/`-?`/`--help`: print this text to stdout, exit 0.
    Help(String),
    /// `-v`/`--version`: print [`VERSION`] to stdout, exit 0.
    Version,
    /// `--check-config` (ours): load and validate everything, print `<file>: OK`, start
    /// nothing.
    CheckConfig(Startup),
    /// Run the daemon.
    Run(Startup),
}

/// Everything needed to load the configuration and start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Startup {
    /// The program name used in `For help, use <progname> -h`.
    pub progname: String,
    /// `-c`, or the first existing default path.
    pub config: PathBuf,
    pub overrides: Overrides,
    /// Warnings to print on stderr before anything else (searching as root).
    pub warnings: Vec<String>,
}

/// A command-line error. `Display` gives the two lines supervisord prints on stderr before
/// exiting with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub progname: String,
    pub message: String,
    /// Warnings to print before the error.
    pub warnings: Vec<String>,
}

impl UsageError {
    pub fn new(progname: &str, message: impl Into<String>) -> UsageError {
        UsageError {
            progname: progname.to_string(),
            message: message.into(),
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error: {}\nFor help, use {} -h",
            self.message, self.progname
        )
    }
}

impl std::error::Error for UsageError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Configuration,
    Nodaemon,
    Silent,
    Help,
    Version,
    User,
    Umask,
    Directory,
    Logfile,
    LogfileMaxbytes,
    LogfileBackups,
    Loglevel,
    Pidfile,
    Identifier,
    Childlogdir,
    Nocleanup,
    Minfds,
    StripAnsi,
    Minprocs,
    ProfileOptions,
    CheckConfig,
}

/// (short, long, takes a value, option), in the reference's order.
const OPTIONS: [(Option<char>, &str, bool, Opt); 20] = [
    (Some('h'), "help", false, Opt::Help),
    (Some('c'), "configuration", true, Opt::Configuration),
    (Some('v'), "version", false, Opt::Version),
    (Some('n'), "nodaemon", false, Opt::Nodaemon),
    (Some('u'), "user", true, Opt::User),
    (Some('m'), "umask", true, Opt::Umask),
    (Some('d'), "directory", true, Opt::Directory),
    (Some('l'), "logfile", true, Opt::Logfile),
    (Some('y'), "logfile_maxbytes", true, Opt::LogfileMaxbytes),
    (Some('z'), "logfile_backups", true, Opt::LogfileBackups),
    (Some('e'), "loglevel", true, Opt::Loglevel),
    (Some('j'), "pidfile", true, Opt::Pidfile),
    (Some('i'), "identifier", true, Opt::Identifier),
    (Some('q'), "childlogdir", true, Opt::Childlogdir),
    (Some('a'), "minfds", true, Opt::Minfds),
    (None, "minprocs", true, Opt::Minprocs),
    (Some('k'), "nocleanup", false, Opt::Nocleanup),
    (Some('t'), "strip_ansi", false, Opt::StripAnsi),
    (None, "profile_options", true, Opt::ProfileOptions),
    (Some('s'), "silent", false, Opt::Silent),
];

/// Our own long option; matched exactly so it never makes a reference prefix ambiguous.
const CHECK_CONFIG: &str = "check-config";

fn short_option(c: char) -> Option<(bool, Opt)> {
    match c {
        '?' => Some((false, Opt::Help)),
        _ => OPTIONS.iter().find(|o| o.0 == Some(c)).map(|o| (o.2, o.3)),
    }
}

/// getopt's long-option lookup: an exact name, else a unique prefix.
fn long_option(name: &str) -> Result<(&'static str, bool, Opt), String> {
    if name == CHECK_CONFIG {
        return Ok((CHECK_CONFIG, false, Opt::CheckConfig));
    }
    if let Some(o) = OPTIONS.iter().find(|o| o.1 == name) {
        return Ok((o.1, o.2, o.3));
    }
    let mut found = OPTIONS.iter().filter(|o| o.1.starts_with(name));
    match (found.next(), found.next()) {
        (Some(o), None) => Ok((o.1, o.2, o.3)),
        (None, _) => Err(format!("option --{name} not recognized")),
        (Some(_), Some(_)) => Err(format!("option --{name} not a unique prefix")),
    }
}

/// The usage text `-h` prints, with the program name filled in.
pub fn usage(progname: &str) -> String {
    format!(
        "supervisord -- run a set of applications as daemons.

Usage: {progname} [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- accepted for compatibility; no profiler is run
--check-config -- load and check the configuration, print '<file>: OK', start nothing
"
    )
}

/// The name to print in messages: `argv[0]`, or the executable's path when `argv[0]` has
/// no directory part (Python sees the script's full path in that case).
pub fn progname(argv0: &str) -> String {
    if argv0.contains('/') {
        return argv0.to_string();
    }
    std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| argv0.to_string())
}

/// Parses `args` (including `argv[0]`) the way supervisord does.
///
/// # Errors
/// getopt's texts (`option --bogus not recognized`, `option -c requires argument`, ...),
/// `positional arguments are not supported: [...]`, `invalid value for -m '999': ...`,
/// `conflicting command line option '-c'`, and the default-path search error.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let argv0 = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "supervisord".to_string());
    let progname = progname(&argv0);
    let err = |message: String| UsageError::new(&progname, message);
    let given = getopt(args).map_err(err)?;

    let mut overrides = Overrides::default();
    let mut config: Option<PathBuf> = None;
    let mut check_config = false;
    let mut seen: Vec<Opt> = Vec::new();
    for (shown, opt, value) in given {
        let value = value.unwrap_or_default();
        let invalid = |msg: String| {
            err(format!(
                "invalid value for {shown} {}: {msg}",
                pytext::repr(&value)
            ))
        };
        match opt {
            Opt::Help => return Ok(Command::Help(usage(&progname))),
            Opt::Version => return Ok(Command::Version),
            Opt::Configuration => config = Some(PathBuf::from(&value)),
            Opt::CheckConfig => check_config = true,
            Opt::Nodaemon => overrides.nodaemon = true,
            Opt::Silent => overrides.silent = true,
            Opt::Nocleanup => overrides.nocleanup = true,
            Opt::StripAnsi => overrides.strip_ansi = true,
            Opt::User => overrides.user = Some(value.clone()),
            Opt::Identifier => overrides.identifier = Some(value.clone()),
            Opt::ProfileOptions => overrides.profile_options = Some(value.clone()),
            Opt::Umask => overrides.umask = Some(octal(&value).map_err(invalid)?),
            Opt::Directory => {
                overrides.directory = Some(existing_directory(&value).map_err(invalid)?.into());
            }
            Opt::Childlogdir => {
                overrides.childlogdir = Some(existing_directory(&value).map_err(invalid)?.into());
            }
            Opt::Logfile => overrides.logfile = Some(existing_dirpath(&value).map_err(invalid)?),
            Opt::Pidfile => overrides.pidfile = Some(existing_dirpath(&value).map_err(invalid)?),
            Opt::LogfileMaxbytes => {
                overrides.logfile_maxbytes = Some(clamp(byte_size(&value).map_err(invalid)?));
            }
            Opt::LogfileBackups => {
                overrides.logfile_backups = Some(clamp(integer(&value).map_err(invalid)?));
            }
            Opt::Loglevel => overrides.loglevel = Some(Level::parse(&value).map_err(invalid)?),
            Opt::Minfds => overrides.minfds = Some(clamp(integer(&value).map_err(invalid)?)),
            Opt::Minprocs => overrides.minprocs = Some(clamp(integer(&value).map_err(invalid)?)),
        }
        if seen.contains(&opt) {
            return Err(err(format!(
                "conflicting command line option {}",
                pytext::repr(&shown)
            )));
        }
        seen.push(opt);
    }

    let mut warnings = Vec::new();
    let config = match config {
        Some(path) => path,
        None => {
            if crate::config::resolve::current_uid() == 0 {
                warnings.push(ROOT_SEARCH_WARNING.to_string());
            }
            find_config_file(&progname).map_err(|e| UsageError {
                warnings: warnings.clone(),
                ..err(e.to_string())
            })?
        }
    };
    let startup = Startup {
        progname,
        config,
        overrides,
        warnings,
    };
    Ok(if check_config {
        Command::CheckConfig(startup)
    } else {
        Command::Run(startup)
    })
}

/// getopt's pass: every option with its value, in order, as getopt names it (`-c`,
/// `--configuration`).
fn getopt(
    args: impl Iterator<Item = OsString>,
) -> Result<Vec<(String, Opt, Option<String>)>, String> {
    let mut parser = Parser::from_args(args);
    // getopt reads `-c=x` as the value `=x`.
    parser.set_short_equals(false);
    let mut given = Vec::new();
    let mut positional: Vec<String> = Vec::new();
    loop {
        let arg = parser.next().map_err(|e| e.to_string())?;
        match arg {
            None => break,
            Some(Arg::Short(c)) => {
                let (takes_value, opt) =
                    short_option(c).ok_or_else(|| format!("option -{c} not recognized"))?;
                let value = if takes_value {
                    let v = parser
                        .value()
                        .map_err(|_| format!("option -{c} requires argument"))?;
                    Some(v.to_string_lossy().into_owned())
                } else {
                    None
                };
                given.push((format!("-{c}"), opt, value));
            }
            Some(Arg::Long(name)) => {
                let (full, takes_value, opt) = long_option(name)?;
                let value = if takes_value {
                    let v = parser
                        .value()
                        .map_err(|_| format!("option --{full} requires argument"))?;
                    Some(v.to_string_lossy().into_owned())
                } else {
                    if parser.optional_value().is_some() {
                        return Err(format!("option --{full} must not have an argument"));
                    }
                    None
                };
                given.push((format!("--{full}"), opt, value));
            }
            Some(Arg::Value(first)) => {
                // getopt stops at the first non-option: everything after it is positional.
                positional.push(first.to_string_lossy().into_owned());
                let rest = parser.raw_args().map_err(|e| e.to_string())?;
                positional.extend(rest.map(|a| a.to_string_lossy().into_owned()));
                break;
            }
        }
    }
    if !positional.is_empty() {
        let list: Vec<String> = positional.iter().map(|a| pytext::repr(a)).collect();
        return Err(format!(
            "positional arguments are not supported: [{}]",
            list.join(", ")
        ));
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, UsageError> {
        let all = std::iter::once("/usr/bin/supervisord")
            .chain(args.iter().copied())
            .map(OsString::from);
        parse(all.collect::<Vec<_>>())
    }

    #[track_caller]
    fn error(args: &[&str]) -> String {
        run(args).unwrap_err().message
    }

    #[track_caller]
    fn startup(args: &[&str]) -> Startup {
        match run(args).unwrap() {
            Command::Run(s) => s,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn short_and_long_forms() {
        let s = startup(&["-c", "/x.conf", "-n", "--silent", "-kt"]);
        assert_eq!(s.config, PathBuf::from("/x.conf"));
        assert!(s.overrides.nodaemon && s.overrides.silent);
        assert!(s.overrides.nocleanup && s.overrides.strip_ansi);
        assert_eq!(startup(&["--configuration=/a"]).config, PathBuf::from("/a"));
        assert_eq!(
            startup(&["--configuration", "/b"]).config,
            PathBuf::from("/b")
        );
        assert_eq!(startup(&["-c/c"]).config, PathBuf::from("/c"));
        assert_eq!(startup(&["-nc", "/d"]).config, PathBuf::from("/d"));
        assert_eq!(startup(&["-c=x"]).config, PathBuf::from("=x"));
        assert_eq!(startup(&["-c", "/x", "--",]).config, PathBuf::from("/x"));
    }

    #[test]
    fn unique_prefixes() {
        assert_eq!(startup(&["--conf=/p"]).config, PathBuf::from("/p"));
        assert_eq!(
            startup(&["-c/x", "--use=root"]).overrides.user.as_deref(),
            Some("root")
        );
        assert_eq!(
            startup(&["-c/x", "--logfile=/tmp/l"])
                .overrides
                .logfile
                .as_deref(),
            Some("/tmp/l")
        );
        assert_eq!(error(&["--log=/x"]), "option --log not a unique prefix");
        assert_eq!(error(&["--bogus"]), "option --bogus not recognized");
        assert_eq!(error(&["--check"]), "option --check not recognized");
        assert!(matches!(
            run(&["-c/x", "--check-config"]),
            Ok(Command::CheckConfig(_))
        ));
    }

    #[test]
    fn values_are_converted() {
        let s = startup(&[
            "-c/x",
            "-m",
            "027",
            "-y",
            "1KB",
            "-z",
            "3",
            "-e",
            "DEBUG",
            "-a",
            "64",
            "--minprocs",
            "7",
            "-i",
            "me",
            "-q",
            "/tmp",
            "-d",
            "/tmp",
            "-j",
            "/tmp/p.pid",
            "-u",
            "root",
            "--profile_options=calls",
        ]);
        let o = s.overrides;
        assert_eq!(o.umask, Some(0o27));
        assert_eq!(o.logfile_maxbytes, Some(1024));
        assert_eq!(o.logfile_backups, Some(3));
        assert_eq!(o.loglevel, Some(Level::Debug));
        assert_eq!((o.minfds, o.minprocs), (Some(64), Some(7)));
        assert_eq!(o.identifier.as_deref(), Some("me"));
        assert_eq!(o.childlogdir, Some(PathBuf::from("/tmp")));
        assert_eq!(o.directory, Some(PathBuf::from("/tmp")));
        assert_eq!(o.pidfile.as_deref(), Some("/tmp/p.pid"));
        assert_eq!(o.user.as_deref(), Some("root"));
        assert_eq!(o.profile_options.as_deref(), Some("calls"));
    }

    #[test]
    fn reference_error_texts() {
        assert_eq!(
            error(&["extra"]),
            "positional arguments are not supported: ['extra']"
        );
        assert_eq!(
            error(&["-n", "extra", "--bogus"]),
            "positional arguments are not supported: ['extra', '--bogus']"
        );
        assert_eq!(
            error(&["--bogus", "extra"]),
            "option --bogus not recognized"
        );
        assert_eq!(error(&["-x"]), "option -x not recognized");
        assert_eq!(error(&["-c"]), "option -c requires argument");
        assert_eq!(
            error(&["--configuration"]),
            "option --configuration requires argument"
        );
        assert_eq!(
            error(&["--conf"]),
            "option --configuration requires argument"
        );
        assert_eq!(
            error(&["--nodaemon=yes"]),
            "option --nodaemon must not have an argument"
        );
        assert_eq!(
            error(&["-c", "a", "-c", "b"]),
            "conflicting command line option '-c'"
        );
        assert_eq!(
            error(&["-c", "a", "--configuration=b"]),
            "conflicting command line option '--configuration'"
        );
        assert_eq!(error(&["-n", "-n"]), "conflicting command line option '-n'");
        assert_eq!(
            error(&["-m", "999"]),
            "invalid value for -m '999': 999 can not be converted to an octal type"
        );
        assert_eq!(
            error(&["-e", "loud"]),
            "invalid value for -e 'loud': bad logging level name 'loud'"
        );
        assert_eq!(
            error(&["-d", "/nonexistent"]),
            "invalid value for -d '/nonexistent': /nonexistent is not an existing directory"
        );
        assert_eq!(
            error(&["-a", "abc"]),
            "invalid value for -a 'abc': invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            error(&["-y", "5QB"]),
            "invalid value for -y '5QB': invalid literal for int() with base 10: '5qb'"
        );
        assert_eq!(
            error(&["--umask=8"]),
            "invalid value for --umask '8': 8 can not be converted to an octal type"
        );
        assert_eq!(
            error(&["-l", "/nonexistent/x.log"]),
            "invalid value for -l '/nonexistent/x.log': The directory named as part of the \
             path /nonexistent/x.log does not exist"
        );
        // Converters run before the conflict check, in order.
        assert_eq!(
            error(&["-m", "022", "-m", "999"]),
            "invalid value for -m '999': 999 can not be converted to an octal type"
        );
    }

    #[test]
    fn help_and_version_win_in_order() {
        assert!(matches!(run(&["-h"]), Ok(Command::Help(_))));
        assert!(matches!(run(&["-?"]), Ok(Command::Help(_))));
        assert!(matches!(run(&["--he"]), Ok(Command::Help(_))));
        assert!(matches!(run(&["-v", "-m", "999"]), Ok(Command::Version)));
        assert!(run(&["-m", "999", "-v"]).is_err());
        assert!(run(&["-v", "extra"]).is_err());
        let Ok(Command::Help(text)) = run(&["--help"]) else {
            panic!("no help")
        };
        assert!(text.contains("Usage: /usr/bin/supervisord [options]"));
    }

    #[test]
    fn usage_error_display_is_two_lines() {
        let e = UsageError::new("/usr/bin/supervisord", "option --bogus not recognized");
        assert_eq!(
            e.to_string(),
            "Error: option --bogus not recognized\nFor help, use /usr/bin/supervisord -h"
        );
    }
}
