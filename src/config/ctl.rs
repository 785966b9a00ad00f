//! supervisorctl's view of the configuration: `[supervisorctl]` and `[ctlplugin:x]`
//! (reference §1.9).
//!
//! Owns [`load_ctl`] and the built-in defaults supervisorctl uses without a file.
//! supervisorctl reads only its own file: no `[include]`, no `[supervisord]`. The same
//! stages as supervisord's: read the file and the environment, parse purely, then make the
//! paths absolute (the only lookups: `~` and the current directory).
//! Mirrors `options.py` `ClientOptions.read_config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::expand::{expand, Names};
use crate::config::ini::{RawConfig, Section};
use crate::config::resolve::{dirname, normalize_path, Resolver, System};
use crate::config::search::search;
use crate::config::source::{environ_names, read_single};
use crate::config::{ConfigError, CtlConfig};

/// The server supervisorctl talks to when nothing says otherwise.
pub const DEFAULT_SERVERURL: &str = "http://localhost:9001";

impl Default for CtlConfig {
    /// supervisorctl's built-in settings, used when no configuration file is found.
    fn default() -> CtlConfig {
        CtlConfig {
            serverurl: DEFAULT_SERVERURL.to_string(),
            username: None,
            password: None,
            prompt: "supervisor".to_string(),
            history_file: None,
            warnings: Vec::new(),
        }
    }
}

/// Reads supervisorctl's configuration: the file given with `-c`, or the first existing
/// default path (`argv0` locates the program for the search).
///
/// Returns `Ok(None)` when no file was given and none was found: supervisorctl then uses
/// [`CtlConfig::default`].
///
/// # Errors
/// `could not find config file X`, `could not read config file X`, the parser's syntax
/// errors, `.ini file does not include supervisorctl section`, expansion errors, and
/// `section [ctlplugin:x] does not specify a supervisor.ctl_factory`.
pub fn load_ctl(path: Option<&Path>, argv0: &str) -> Result<Option<CtlConfig>, ConfigError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => match search(argv0) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let raw = read_single(&path)?;
    let here = dirname(&normalize_path(&path.to_string_lossy())).to_string();
    let parsed = parse(&raw, &environ_names(), &here)?;
    Ok(Some(resolve(parsed, &mut Resolver::new(&System))))
}

/// Makes the paths the parse left as written absolute (`~` expanded).
fn resolve(mut config: CtlConfig, resolver: &mut Resolver) -> CtlConfig {
    if let Some(path) = config.serverurl.strip_prefix("unix://") {
        config.serverurl = format!("unix://{}", resolver.normalize_path(path));
    }
    config.history_file = config
        .history_file
        .map(|h| PathBuf::from(resolver.normalize_path(&h.to_string_lossy())));
    config
}

/// `[supervisorctl]` and `[ctlplugin:x]` from the sections, with `env` (`ENV_*`) and `here`
/// (the file's directory) as expansion names. Pure: a unix `serverurl` and the
/// `history_file` are as written.
fn parse(
    raw: &RawConfig,
    env: &BTreeMap<String, String>,
    here: &str,
) -> Result<CtlConfig, ConfigError> {
    let section = raw
        .section("supervisorctl")
        .ok_or_else(|| ConfigError::new(".ini file does not include supervisorctl section"))?;
    let plain = Names::new(env);
    let with_here = Names::new(env).with("here", here);
    let get = |key: &str, names: &Names| -> Result<Option<String>, ConfigError> {
        section
            .get(key)
            .map(|v| expand(v, names, &format!("supervisorctl.{key}")))
            .transpose()
            .map_err(ConfigError::new)
    };
    let defaults = CtlConfig::default();
    let serverurl = get("serverurl", &with_here)?.unwrap_or(defaults.serverurl);
    let prompt = get("prompt", &plain)?.unwrap_or(defaults.prompt);
    let username = get("username", &plain)?;
    let password = get("password", &plain)?;
    let history_file = get("history_file", &with_here)?
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let mut warnings = Vec::new();
    for plugin in raw
        .sections
        .iter()
        .filter(|s| s.name.starts_with("ctlplugin:"))
    {
        warnings.push(plugin_warning(plugin, &plain)?);
    }
    Ok(CtlConfig {
        serverurl,
        username,
        password,
        prompt,
        history_file,
        warnings,
    })
}

/// DIVERGENCE(D6): a `[ctlplugin:x]` names Python code; it is not loaded, only reported.
fn plugin_warning(section: &Section, names: &Names) -> Result<String, ConfigError> {
    let mut factory = None;
    for (key, value) in &section.options {
        let value = expand(value, names, &format!("{}.{key}", section.name))?;
        if key == "supervisor.ctl_factory" {
            factory = Some(value);
        }
    }
    match factory {
        Some(factory) => Ok(format!(
            "Ignoring section [{}]: its factory {factory} is Python code that cannot be loaded",
            section.name
        )),
        None => Err(ConfigError::new(format!(
            "section [{}] does not specify a supervisor.ctl_factory",
            section.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory for one test's files.
    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("svrs-ctl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn load_text(tag: &str, text: &str) -> Result<Option<CtlConfig>, String> {
        let dir = scratch(tag);
        let path = dir.join("supervisord.conf");
        std::fs::write(&path, text).unwrap();
        let result = load_ctl(Some(&path), "/nonexistent/bin/supervisorctl");
        let _ = std::fs::remove_dir_all(&dir);
        result.map_err(|e| e.to_string())
    }

    #[test]
    fn ctl_section() {
        let c = load_text(
            "section",
            "[supervisorctl]\nserverurl=unix://%(here)s/../x/./s.sock\nusername=u\npassword=p\n\
             prompt=box\nhistory_file=~root/.hist\n[include]\nfiles=*.nothing\n\
             [ctlplugin:foo]\nsupervisor.ctl_factory = foo.plugin:make\n",
        )
        .unwrap()
        .unwrap();
        let tmp = std::env::temp_dir();
        assert_eq!(c.serverurl, format!("unix://{}/x/s.sock", tmp.display()));
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("u"), Some("p"))
        );
        assert_eq!(c.prompt, "box");
        assert_eq!(c.history_file, Some(PathBuf::from("/root/.hist")));
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("[ctlplugin:foo]"));
    }

    #[test]
    fn ctl_defaults() {
        let c = load_text("defaults", "[supervisorctl]\n").unwrap().unwrap();
        assert_eq!(c, CtlConfig::default());
        assert_eq!(c.serverurl, "http://localhost:9001");
        assert_eq!(c.prompt, "supervisor");
    }

    #[test]
    fn ctl_errors() {
        assert_eq!(
            load_text("nosection", "[supervisord]\n").unwrap_err(),
            ".ini file does not include supervisorctl section"
        );
        assert_eq!(
            load_text("plugin", "[supervisorctl]\n[ctlplugin:foo]\nx=1\n").unwrap_err(),
            "section [ctlplugin:foo] does not specify a supervisor.ctl_factory"
        );
        assert!(load_text("expand", "[supervisorctl]\nprompt=%(here)s\n")
            .unwrap_err()
            .contains("'supervisorctl.prompt' contains names ('here')"));
        assert_eq!(
            load_ctl(Some(Path::new("/nonexistent.conf")), "x")
                .unwrap_err()
                .to_string(),
            "could not find config file /nonexistent.conf"
        );
    }

    #[test]
    fn parse_then_resolve_without_the_filesystem() {
        let raw = crate::config::ini::from_text(
            "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nhistory_file=~/.h\n\
             prompt=%(ENV_P)s\n",
            "t.conf",
        )
        .unwrap();
        let env = BTreeMap::from([("ENV_P".to_string(), "p>".to_string())]);
        let parsed = parse(&raw, &env, "run").unwrap();
        assert_eq!(parsed.serverurl, "unix://run/s.sock");
        assert_eq!(parsed.history_file, Some(PathBuf::from("~/.h")));
        assert_eq!(parsed.prompt, "p>");
        let c = resolve(
            parsed,
            &mut Resolver::new(&crate::config::resolve::tests::Fake),
        );
        assert_eq!(c.serverurl, "unix:///srv/run/s.sock");
        assert_eq!(c.history_file, Some(PathBuf::from("/home/app/.h")));
    }

    #[test]
    fn no_file_means_built_in_defaults() {
        // Only meaningful where no default path exists on the machine.
        if search("/nonexistent/bin/supervisorctl").is_none() {
            assert_eq!(load_ctl(None, "/nonexistent/bin/supervisorctl"), Ok(None));
        }
    }
}
