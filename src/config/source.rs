//! Stage 1 of loading: everything read from outside before the configuration is parsed —
//! the main file, the `[include]` files its globs name, the environment and the host name.
//!
//! Owns the file reading and globbing; it hands each text to the pure `ini` scanner as
//! soon as it is read (the main file's `[include]` section says which files to read next, and
//! a file's syntax error is reported before the next file is looked at, as Supervisor does).
//! `%(here)s`, the directory of each file, is fixed here with the file: values are expanded
//! with it during the parse.
//! Mirrors `options.py` `ServerOptions.process_config_file` and `UnhosedConfigParser.read`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::expand::{expand, Names};
use crate::config::ini::{self, decode, parse_text, substitute_here, RawConfig};
use crate::config::resolve::{abspath, dirname, normpath};
use crate::config::ConfigError;
use crate::logging::level::Level;

/// What the parse reads: the sections of every file and the environment, as data.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The main file as the user named it (errors quote it so).
    pub shown: String,
    /// The main file's directory, absolute: `%(here)s`.
    pub here: String,
    pub raw: RawConfig,
    /// `ENV_<NAME>` for every variable of the environment (reference §1.3).
    pub env: BTreeMap<String, String>,
    /// Python `platform.node()`: `%(host_node_name)s`.
    pub host_node_name: String,
}

impl Sources {
    /// One file's text as if read from `shown` in the directory `here`, with no `[include]`
    /// processing: no file is read and nothing is looked up.
    ///
    /// # Errors
    /// The scanner's syntax errors.
    pub fn from_text(
        text: &str,
        shown: &str,
        here: &str,
        env: BTreeMap<String, String>,
        host_node_name: &str,
    ) -> Result<Sources, ConfigError> {
        Ok(Sources {
            shown: shown.to_string(),
            here: here.to_string(),
            raw: ini::from_text(text, shown)?,
            env,
            host_node_name: host_node_name.to_string(),
        })
    }
}

/// `ENV_<NAME>` for every variable of this process's environment.
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

/// Reads supervisord's configuration: the main file at `path`, then, if it has an
/// `[include]` section, every file its `files=` globs match (reference §1.14), with the
/// environment they are expanded in.
///
/// # Errors
/// As [`read_single`], plus `.ini file has [include] section, but no files setting`, the
/// expansion errors of `files=` and the syntax errors of the included files.
pub fn read_sources(path: &Path) -> Result<Sources, ConfigError> {
    let shown = path.to_string_lossy().into_owned();
    let here = abspath(dirname(&shown));
    let env = environ_names();
    let host_node_name = host_node_name();
    let text = read_text(path, &shown)?;
    let main = parse_text(&text, &shown)?;
    let has_include = main.iter().any(|(name, _)| name == "include");
    let mut raw = RawConfig::default();
    if !has_include {
        raw.merge(&shown, main);
        raw.apply_defaults();
        return Ok(Sources {
            shown,
            here,
            raw,
            env,
            host_node_name,
        });
    }
    // COMPAT: Supervisor substitutes `%(here)s` textually only when the main file has an
    // `[include]` section; otherwise `here` is an ordinary expansion name (reference §1.3).
    raw.merge(&shown, substitute_here(main, &here));
    let files = match raw.section("include").and_then(|s| s.get("files")) {
        Some(files) => files.to_string(),
        None => {
            return Err(ConfigError::new(
                ".ini file has [include] section, but no files setting",
            ))
        }
    };
    let names = Names::new(&env)
        .with("here", &here)
        .with("host_node_name", &host_node_name);
    let files = expand(&files, &names, "include.files").map_err(ConfigError::new)?;
    for pattern in files.split_whitespace() {
        let pattern = if pattern.starts_with('/') {
            pattern.to_string()
        } else {
            format!("{}/{pattern}", here.trim_end_matches('/'))
        };
        let matches = glob_sorted(&pattern);
        if matches.is_empty() {
            raw.messages.push((
                Level::Warn,
                format!("No file matches via include \"{pattern}\""),
            ));
        }
        for file in matches {
            raw.messages.push((
                Level::Info,
                format!("Included extra file \"{file}\" during parsing"),
            ));
            // COMPAT: ConfigParser.read() silently skips files it cannot open.
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let text = decode(&bytes, &file)?;
            let sections = parse_text(&text, &file)?;
            // Matches are absolute: their directory needs no lookup.
            raw.merge(&file, substitute_here(sections, &normpath(dirname(&file))));
        }
    }
    raw.apply_defaults();
    Ok(Sources {
        shown,
        here,
        raw,
        env,
        host_node_name,
    })
}

/// Reads a configuration file with no `[include]` processing (supervisorctl's view).
///
/// # Errors
/// `could not find config file X`, `could not read config file X`, and the scanner's
/// `File contains no section headers.` / `Source contains parsing errors:` texts.
pub fn read_single(path: &Path) -> Result<RawConfig, ConfigError> {
    let shown = path.to_string_lossy();
    let text = read_text(path, &shown)?;
    let mut raw = RawConfig::default();
    raw.merge(&shown, parse_text(&text, &shown)?);
    raw.apply_defaults();
    Ok(raw)
}

fn read_text(path: &Path, shown: &str) -> Result<String, ConfigError> {
    if !path.exists() {
        return Err(ConfigError::new(format!(
            "could not find config file {shown}"
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|_| ConfigError::new(format!("could not read config file {shown}")))?;
    decode(&bytes, shown)
}

/// Python `sorted(glob.glob(pattern))`: a pattern without wildcards names itself if it
/// exists; a hidden name matches only a pattern component that starts with a dot; an
/// invalid pattern matches nothing. Matches keep the pattern's directory part as written
/// (`a//b/`, `./`).
fn glob_sorted(pattern: &str) -> Vec<String> {
    let Some(magic) = pattern.find(['*', '?', '[']) else {
        let exists = Path::new(pattern).symlink_metadata().is_ok();
        return if exists {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        };
    };
    let prefix = pattern[..magic].rfind('/').map_or("", |i| &pattern[..=i]);
    let wanted: Vec<&str> = pattern[prefix.len()..].split('/').collect();
    // The crate's own leading-dot rule drops every hidden name (and panics on names that
    // are not UTF-8), so hidden names are filtered here, component by component.
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let Ok(paths) = glob::glob_with(pattern, options) else {
        return Vec::new();
    };
    let mut found: Vec<String> = paths
        .filter_map(Result::ok)
        .filter_map(|p| {
            let rest = p.strip_prefix(prefix).ok()?.to_string_lossy().into_owned();
            let names: Vec<&str> = rest.split('/').collect();
            let hidden = names.len() != wanted.len()
                || names.iter().zip(&wanted).any(|(n, w)| {
                    (n.starts_with('.') && !w.starts_with('.'))
                        || (matches!(*n, "" | "." | "..") && n != w)
                });
            (!hidden).then(|| format!("{prefix}{rest}"))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_keeps_the_pattern_as_written() {
        let dir = std::env::temp_dir().join(format!("svrs-glob-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        for f in ["d/b.ini", "d/a.ini", "d/.h.ini", "d/c.txt"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let d = dir.display().to_string();
        let found = glob_sorted(&format!("{d}//d/./*.ini"));
        let found_literal = glob_sorted(&format!("{d}/d//a.ini"));
        let hidden = glob_sorted(&format!("{d}/d/.*.ini"));
        let no_dot_dirs = glob_sorted(&format!("{d}/d/.*"));
        let missing = glob_sorted(&format!("{d}/d/none.ini"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            found,
            [format!("{d}//d/./a.ini"), format!("{d}//d/./b.ini")]
        );
        assert_eq!(found_literal, [format!("{d}/d//a.ini")]);
        assert_eq!(hidden, [format!("{d}/d/.h.ini")]);
        assert_eq!(no_dot_dirs, [format!("{d}/d/.h.ini")]);
        assert!(missing.is_empty());
    }
}
