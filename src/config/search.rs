//! Where `supervisord` and `supervisorctl` look for a configuration file without `-c`
//! (reference §1.1).
//!
//! Owns the search list and its error text. It only checks which paths exist.
//! Mirrors `options.py` `Options.__init__` (searchpaths) and `default_configfile`.

use std::path::{Path, PathBuf};

use crate::config::resolve::dirname;
use crate::config::ConfigError;

/// The warning the reference prints when root runs `supervisord` without `-c`.
pub const ROOT_SEARCH_WARNING: &str = "Supervisord is running as root and it is searching for \
    its configuration file in default locations (including its current working directory); you \
    probably want to specify a \"-c\" argument specifying an absolute path to a configuration \
    file for improved security.";

/// The default paths, in search order. `HERE` is the parent of the directory holding the
/// program (`argv0`), as Python's `dirname(dirname(argv[0]))`.
pub fn search_paths(argv0: &str) -> Vec<String> {
    let here = dirname(dirname(argv0));
    let join = |tail: &str| {
        if here.is_empty() {
            tail.to_string()
        } else if here.ends_with('/') {
            format!("{here}{tail}")
        } else {
            format!("{here}/{tail}")
        }
    };
    vec![
        join("etc/supervisord.conf"),
        join("supervisord.conf"),
        "supervisord.conf".to_string(),
        "etc/supervisord.conf".to_string(),
        "/etc/supervisord.conf".to_string(),
        "/etc/supervisor/supervisord.conf".to_string(),
    ]
}

/// The first existing default path, if any (supervisorctl's search).
pub fn search(argv0: &str) -> Option<PathBuf> {
    search_paths(argv0)
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(PathBuf::from)
}

/// supervisord's search: the first existing default path.
///
/// # Errors
/// `No config file found at default paths (...); use the -c option to specify a config file
/// at a different path`.
pub fn find_config_file(argv0: &str) -> Result<PathBuf, ConfigError> {
    search(argv0).ok_or_else(|| {
        ConfigError::new(format!(
            "No config file found at default paths ({}); use the -c option to specify a \
             config file at a different path",
            search_paths(argv0).join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn here_is_the_parent_of_the_bin_directory() {
        assert_eq!(
            search_paths("/tmp/venv/bin/supervisord"),
            [
                "/tmp/venv/etc/supervisord.conf",
                "/tmp/venv/supervisord.conf",
                "supervisord.conf",
                "etc/supervisord.conf",
                "/etc/supervisord.conf",
                "/etc/supervisor/supervisord.conf",
            ]
        );
        assert_eq!(search_paths("supervisord")[0], "etc/supervisord.conf");
        assert_eq!(
            search_paths("/usr/bin/supervisord")[1],
            "/usr/supervisord.conf"
        );
        assert_eq!(search_paths("/supervisord")[0], "/etc/supervisord.conf");
    }

    #[test]
    fn not_found_message() {
        let err = find_config_file("/nonexistent-xyz/bin/supervisord");
        // The machine may have /etc/supervisord.conf; only check the text when it does not.
        if let Err(e) = err {
            assert_eq!(
                e.to_string(),
                "No config file found at default paths (/nonexistent-xyz/etc/supervisord.conf, \
                 /nonexistent-xyz/supervisord.conf, supervisord.conf, etc/supervisord.conf, \
                 /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to \
                 specify a config file at a different path"
            );
        }
    }
}
