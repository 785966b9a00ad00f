// TEMPORARY: replaced by the real loader at merge.
//! A minimal `[supervisorctl]` reader (reference §1.1, §1.9) so supervisorctl can be tested
//! before the real configuration loader lands. Nothing may depend on its internals.

use std::fmt;
use std::path::{Path, PathBuf};

use super::CtlConfig;

/// A configuration error; `Display` is the message without `Error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Reads `[supervisorctl]` from `path`, or from the first default path that exists;
/// `Ok(None)` when nothing was given and nothing was found.
///
/// # Errors
///
/// A missing or unreadable file, a file without `[supervisorctl]`, an unknown `%(name)s`.
pub fn load_ctl(path: Option<&Path>, argv0: &str) -> Result<Option<CtlConfig>, ConfigError> {
    let path = match path {
        Some(p) if p.exists() => p.to_path_buf(),
        Some(p) => {
            return Err(ConfigError(format!(
                "could not find config file {}",
                p.display()
            )))
        }
        None => {
            let here = Path::new(argv0)
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new(""));
            let candidates = [
                here.join("etc/supervisord.conf"),
                here.join("supervisord.conf"),
                PathBuf::from("supervisord.conf"),
                PathBuf::from("etc/supervisord.conf"),
                PathBuf::from("/etc/supervisord.conf"),
                PathBuf::from("/etc/supervisor/supervisord.conf"),
            ];
            match candidates.into_iter().find(|p| p.exists()) {
                Some(p) => p,
                None => return Ok(None),
            }
        }
    };
    let unreadable = || ConfigError(format!("could not read config file {}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|_| unreadable())?;
    let opt = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: true,
        enabled_preserve_key_leading_whitespace: false,
    };
    let parsed = ini::Ini::load_from_str_opt(&strip_comments(&text), opt)
        .map_err(|e| ConfigError(e.to_string()))?;
    let Some(section) = parsed.section(Some("supervisorctl")) else {
        return Err(ConfigError(
            ".ini file does not include supervisorctl section".into(),
        ));
    };
    let here = std::path::absolute(&path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let get = |key: &str| -> Result<Option<String>, ConfigError> {
        let value = section.iter().rfind(|(k, _)| k.eq_ignore_ascii_case(key));
        value.map(|(_, v)| expand(v, &here, key)).transpose()
    };
    let mut serverurl = get("serverurl")?.unwrap_or_else(|| "http://localhost:9001".into());
    if let Some(p) = serverurl.strip_prefix("unix://") {
        serverurl = format!("unix://{}", absolute(p).display());
    }
    let warnings = parsed
        .sections()
        .flatten()
        .filter(|s| s.starts_with("ctlplugin:"))
        .map(|s| format!("Warning: [{s}] ignored: supervisorctl plugins are Python code"))
        .collect();
    Ok(Some(CtlConfig {
        serverurl,
        username: get("username")?,
        password: get("password")?,
        prompt: get("prompt")?.unwrap_or_else(|| "supervisor".into()),
        history_file: get("history_file")?.map(|h| absolute(&h)),
        warnings,
    }))
}

fn absolute(p: &str) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| PathBuf::from(p))
}

/// ConfigParser's comments: whole-line `;`/`#`, and inline ones after whitespace.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with([';', '#']) {
            continue;
        }
        let b = line.as_bytes();
        let cut = (0..b.len())
            .find(|&i| matches!(b[i], b';' | b'#') && i > 0 && b[i - 1].is_ascii_whitespace())
            .unwrap_or(b.len());
        out.push_str(line.get(..cut).unwrap_or(line).trim_end());
        out.push('\n');
    }
    out
}

/// `%(here)s`, `%(ENV_X)s` and `%%`.
fn expand(value: &str, here: &Path, key: &str) -> Result<String, ConfigError> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest.strip_prefix("%%") {
            out.push('%');
            rest = r;
        } else if let Some((name, r)) = rest.strip_prefix("%(").and_then(|r| r.split_once(")s")) {
            let found = match name.strip_prefix("ENV_") {
                _ if name == "here" => Some(here.display().to_string()),
                Some(var) => std::env::var(var).ok(),
                None => None,
            };
            let Some(found) = found else {
                return Err(ConfigError(format!(
                    "Format string '{value}' for 'supervisorctl.{key}' contains names ({name}) \
                     which cannot be expanded"
                )));
            };
            out.push_str(&found);
            rest = r;
        } else {
            out.push('%');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_section_with_expansions() {
        let dir = std::env::temp_dir().join(format!("ctl-temp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("s.conf");
        std::fs::write(
            &conf,
            "[supervisorctl]\nserverurl = unix://%(here)s/s.sock ; comment\nprompt=hi\n\
             username=%(ENV_HOME)s\n[ctlplugin:x]\nsupervisor.ctl_factory = a:b\n",
        )
        .unwrap();
        let c = load_ctl(Some(&conf), "supervisorctl").unwrap().unwrap();
        assert_eq!(c.serverurl, format!("unix://{}/s.sock", dir.display()));
        assert_eq!(c.prompt, "hi");
        assert_eq!(c.username, std::env::var("HOME").ok());
        assert_eq!(c.password, None);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("[ctlplugin:x]"));
        std::fs::write(&conf, "[supervisord]\n").unwrap();
        assert_eq!(
            load_ctl(Some(&conf), "x").unwrap_err().to_string(),
            ".ini file does not include supervisorctl section"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file() {
        assert_eq!(
            load_ctl(Some(Path::new("/nonexistent.conf")), "x")
                .unwrap_err()
                .to_string(),
            "could not find config file /nonexistent.conf"
        );
    }
}
