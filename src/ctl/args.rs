//! supervisorctl's command line (reference §4.1), parsed as Python's `getopt` does.
//!
//! Owns the option table (`c:h?ijs:u:p:r:` and the long forms), getopt's rules (unique long
//! prefixes, options stop at the first positional argument, whose rest is kept raw), its error
//! texts, and the checks supervisor's `Options.realize` adds (URL check, conflicting options).
//! It must not read files or talk to the server.

use std::ffi::OsString;
use std::path::PathBuf;

use super::endpoint::is_url;
use crate::pytext;

/// What the command line asked for, before the configuration file is read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub configuration: Option<PathBuf>,
    pub serverurl: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub interactive: bool,
    pub history_file: Option<PathBuf>,
    /// `-j` / `--json`: one JSON document per command (D11: a new flag).
    pub json: bool,
    /// The action and its arguments, verbatim.
    pub action: Vec<String>,
}

/// The outcome of parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Run(CommandLine),
    /// `-h`, `-?` or `--help`: print the usage text and exit 0.
    Help,
}

/// A usage error: the text after `Error: ` (then `For help, use ... -h`, exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Configuration,
    Help,
    Interactive,
    ServerUrl,
    Username,
    Password,
    HistoryFile,
    Json,
}

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(self, Opt::Help | Opt::Interactive | Opt::Json)
    }

    fn short(c: char) -> Option<Opt> {
        Some(match c {
            'c' => Opt::Configuration,
            'h' | '?' => Opt::Help,
            'i' => Opt::Interactive,
            'j' => Opt::Json,
            's' => Opt::ServerUrl,
            'u' => Opt::Username,
            'p' => Opt::Password,
            'r' => Opt::HistoryFile,
            _ => return None,
        })
    }
}

const LONG: [(&str, Opt); 9] = [
    ("configuration", Opt::Configuration),
    ("help", Opt::Help),
    ("interactive", Opt::Interactive),
    ("serverurl", Opt::ServerUrl),
    ("username", Opt::Username),
    ("password", Opt::Password),
    ("history_file", Opt::HistoryFile),
    // DIVERGENCE(Q11): the documented spelling; the reference's getopt only knows history_file.
    ("history-file", Opt::HistoryFile),
    ("json", Opt::Json),
];

/// getopt's long-option lookup: an exact name, else a prefix naming one option.
fn resolve_long(given: &str) -> Result<(&'static str, Opt), UsageError> {
    if let Some(&(name, opt)) = LONG.iter().find(|(name, _)| *name == given) {
        return Ok((name, opt));
    }
    let matches: Vec<&(&str, Opt)> = LONG
        .iter()
        .filter(|(name, _)| name.starts_with(given))
        .collect();
    match matches.as_slice() {
        [] => Err(UsageError(format!("option --{given} not recognized"))),
        [(name, opt), rest @ ..] if rest.iter().all(|(_, o)| o == opt) => Ok((name, *opt)),
        _ => Err(UsageError(format!("option --{given} not a unique prefix"))),
    }
}

/// Parses the arguments after the program name.
///
/// # Errors
///
/// getopt's and supervisor's usage errors, with the reference's texts.
pub fn parse(args: &[OsString]) -> Result<Parsed, UsageError> {
    let given = scan(args)?;
    let mut cl = CommandLine {
        action: given.action,
        ..CommandLine::default()
    };
    for (spelling, opt, value) in given.options {
        let value = value.unwrap_or_default();
        let conflict = || {
            UsageError(format!(
                "conflicting command line option {}",
                pytext::repr(&spelling)
            ))
        };
        let text = value.to_string_lossy().into_owned();
        match opt {
            Opt::Help => return Ok(Parsed::Help),
            Opt::Interactive if cl.interactive => return Err(conflict()),
            Opt::Interactive => cl.interactive = true,
            Opt::Json if cl.json => return Err(conflict()),
            Opt::Json => cl.json = true,
            Opt::ServerUrl if !is_url(&text) => {
                let v = pytext::repr(&text);
                return Err(UsageError(format!(
                    "invalid value for {spelling} {v}: value {v} is not a URL"
                )));
            }
            Opt::Configuration => {
                set(&mut cl.configuration, PathBuf::from(value)).ok_or_else(conflict)?
            }
            Opt::ServerUrl => set(&mut cl.serverurl, text).ok_or_else(conflict)?,
            Opt::Username => set(&mut cl.username, text).ok_or_else(conflict)?,
            Opt::Password => set(&mut cl.password, text).ok_or_else(conflict)?,
            Opt::HistoryFile => {
                set(&mut cl.history_file, PathBuf::from(value)).ok_or_else(conflict)?
            }
        }
    }
    Ok(Parsed::Run(cl))
}

/// Sets an option once; `None` if it was already set.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// getopt's result: options in order (as spelled, e.g. `-c` or `--configuration`) and the rest.
struct Scanned {
    options: Vec<(String, Opt, Option<OsString>)>,
    action: Vec<String>,
}

fn scan(args: &[OsString]) -> Result<Scanned, UsageError> {
    use lexopt::Arg;
    let mut parser = lexopt::Parser::from_args(args.iter().cloned());
    let mut options = Vec::new();
    loop {
        let arg = parser.next().map_err(|e| UsageError(e.to_string()))?;
        match arg {
            None => {
                return Ok(Scanned {
                    options,
                    action: Vec::new(),
                })
            }
            Some(Arg::Short(c)) => {
                let opt = Opt::short(c)
                    .ok_or_else(|| UsageError(format!("option -{c} not recognized")))?;
                let value = if opt.takes_value() {
                    let v = parser
                        .value()
                        .map_err(|_| UsageError(format!("option -{c} requires argument")))?;
                    Some(v)
                } else {
                    None
                };
                options.push((format!("-{c}"), opt, value));
            }
            Some(Arg::Long(given)) => {
                let given = given.to_string();
                let (name, opt) = resolve_long(&given)?;
                let value = if opt.takes_value() {
                    let v = parser
                        .value()
                        .map_err(|_| UsageError(format!("option --{name} requires argument")))?;
                    Some(v)
                } else if parser.optional_value().is_some() {
                    return Err(UsageError(format!(
                        "option --{name} must not have an argument"
                    )));
                } else {
                    None
                };
                options.push((format!("--{name}"), opt, value));
            }
            Some(Arg::Value(first)) => {
                let rest = parser.raw_args().map_err(|e| UsageError(e.to_string()))?;
                let action = std::iter::once(first)
                    .chain(rest)
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                return Ok(Scanned { options, action });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Parsed, UsageError> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn cl(args: &[&str]) -> CommandLine {
        match run(args) {
            Ok(Parsed::Run(cl)) => cl,
            other => panic!("{other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        match run(args) {
            Err(UsageError(msg)) => msg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_then_raw_action() {
        let c = cl(&[
            "-s",
            "unix:///tmp/s.sock",
            "-u",
            "user",
            "-p",
            "123",
            "tail",
            "-f",
            "foo",
            "stderr",
        ]);
        assert_eq!(c.serverurl.as_deref(), Some("unix:///tmp/s.sock"));
        assert_eq!(c.username.as_deref(), Some("user"));
        assert_eq!(c.password.as_deref(), Some("123"));
        assert_eq!(c.action, ["tail", "-f", "foo", "stderr"]);
    }

    #[test]
    fn getopt_stops_at_the_first_positional() {
        assert_eq!(cl(&["signal", "HUP", "-c"]).action, ["signal", "HUP", "-c"]);
        assert_eq!(cl(&["-i", "--", "-x"]).action, ["-x"]);
        assert_eq!(cl(&["-"]).action, ["-"]);
    }

    #[test]
    fn grouped_and_attached_short_options() {
        let c = cl(&["-iu", "bob", "stop", "group:*"]);
        assert!(c.interactive);
        assert_eq!(c.username.as_deref(), Some("bob"));
        assert_eq!(
            cl(&["-cfoo.conf"]).configuration,
            Some(PathBuf::from("foo.conf"))
        );
        assert_eq!(cl(&["-c", "-i"]).configuration, Some(PathBuf::from("-i")));
    }

    #[test]
    fn long_options_and_unique_prefixes() {
        assert_eq!(
            cl(&["--configuration=a.conf"]).configuration,
            Some(PathBuf::from("a.conf"))
        );
        assert_eq!(
            cl(&["--config", "b.conf"]).configuration,
            Some(PathBuf::from("b.conf"))
        );
        assert_eq!(cl(&["--user=u"]).username.as_deref(), Some("u"));
        assert!(cl(&["--inter"]).interactive);
        assert_eq!(run(&["--he"]), Ok(Parsed::Help));
    }

    #[test]
    fn history_file_both_spellings() {
        // DIVERGENCE(Q11): --history-file is accepted, --history_file still is.
        assert_eq!(
            cl(&["--history-file=/tmp/h"]).history_file,
            Some(PathBuf::from("/tmp/h"))
        );
        assert_eq!(
            cl(&["--history_file", "/tmp/h"]).history_file,
            Some(PathBuf::from("/tmp/h"))
        );
        assert_eq!(
            cl(&["--hist=/tmp/h"]).history_file,
            Some(PathBuf::from("/tmp/h"))
        );
        assert_eq!(
            cl(&["-r", "/tmp/h", "version"]).history_file,
            Some(PathBuf::from("/tmp/h"))
        );
    }

    #[test]
    fn help_forms() {
        for a in ["-h", "-?", "--help"] {
            assert_eq!(run(&[a]), Ok(Parsed::Help), "{a}");
        }
        assert_eq!(run(&["-h", "-s", "foo"]), Ok(Parsed::Help));
    }

    #[test]
    fn getopt_error_texts() {
        assert_eq!(err(&["-x"]), "option -x not recognized");
        assert_eq!(err(&["--nope"]), "option --nope not recognized");
        assert_eq!(err(&["--h"]), "option --h not a unique prefix");
        assert_eq!(err(&["-c"]), "option -c requires argument");
        assert_eq!(
            err(&["--serverurl"]),
            "option --serverurl requires argument"
        );
        assert_eq!(
            err(&["--interactive=yes"]),
            "option --interactive must not have an argument"
        );
    }

    #[test]
    fn bad_url_and_conflicts() {
        assert_eq!(
            err(&["-s", "foo"]),
            "invalid value for -s 'foo': value 'foo' is not a URL"
        );
        assert_eq!(
            err(&["--serverurl=foo"]),
            "invalid value for --serverurl 'foo': value 'foo' is not a URL"
        );
        assert_eq!(
            err(&["-s", "foo", "-h"]),
            "invalid value for -s 'foo': value 'foo' is not a URL"
        );
        assert_eq!(
            err(&["-c", "a", "-c", "b"]),
            "conflicting command line option '-c'"
        );
        assert_eq!(
            err(&["-i", "--interactive"]),
            "conflicting command line option '--interactive'"
        );
    }

    #[test]
    fn json_flag_both_spellings() {
        assert!(cl(&["-j", "status"]).json);
        assert!(cl(&["--json", "status"]).json);
        assert!(cl(&["-ij"]).interactive && cl(&["-ij"]).json);
        assert!(!cl(&["status", "-j"]).json);
        assert_eq!(
            err(&["--json=yes"]),
            "option --json must not have an argument"
        );
        assert_eq!(err(&["-j", "-j"]), "conflicting command line option '-j'");
    }

    #[test]
    fn no_arguments_is_an_empty_action() {
        assert_eq!(cl(&[]), CommandLine::default());
    }
}
