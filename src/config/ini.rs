//! Reading configuration files the way Supervisor's `ConfigParser` does (reference §1.2).
//!
//! Owns the file syntax: comments, continuation lines, duplicate sections and keys,
//! `[DEFAULT]`, the per-file `%(here)s` substitution and `[include]` globbing.
//! It reads files and nothing else: no value is interpreted here (except `[include] files`).
//!
//! Each file goes through three passes (crates.md §4):
//! 1. [`scan`] classifies lines exactly as Python's `RawConfigParser(inline_comment_prefixes=
//!    (';', '#'), strict=False)` does (comments, indentation-based continuation, errors with
//!    their line numbers) and writes the result as canonical INI with every special character
//!    escaped;
//! 2. `rust-ini` reads that canonical text into ordered sections;
//! 3. the post-pass merges duplicate sections and keys (later values win) and applies
//!    `[DEFAULT]`.

use std::path::Path;

use ini::{Ini, ParseOption};

use crate::config::expand::{expand, Names};
use crate::config::resolve::{abspath, dirname};
use crate::config::ConfigError;
use crate::logging::level::Level;
use crate::pytext;

/// One section after merging: its name, the file it first appeared in (as Supervisor names
/// it in errors) and its options in first-appearance order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub file: String,
    pub options: Vec<(String, String)>,
}

impl Section {
    /// The raw (unexpanded) value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, key: &str, value: &str) {
        match self.options.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => value.clone_into(&mut slot.1),
            None => self.options.push((key.to_string(), value.to_string())),
        }
    }
}

/// Every section of a configuration, in order, plus the messages reading produced.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub sections: Vec<Section>,
    pub messages: Vec<(Level, String)>,
    /// The keys `[DEFAULT]` gave every section.
    pub defaults: Vec<String>,
}

impl RawConfig {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Merges one file's sections in: new sections are appended and remember `file`,
    /// existing ones get the new keys (later values win).
    fn merge(&mut self, file: &str, sections: Vec<(String, Vec<(String, String)>)>) {
        for (name, options) in sections {
            let index = match self.sections.iter().position(|s| s.name == name) {
                Some(i) => i,
                None => {
                    self.sections.push(Section {
                        name,
                        file: file.to_string(),
                        options: Vec::new(),
                    });
                    self.sections.len() - 1
                }
            };
            if let Some(section) = self.sections.get_mut(index) {
                for (k, v) in &options {
                    section.set(k, v);
                }
            }
        }
    }

    /// Gives every section the `[DEFAULT]` keys it does not set itself; `[DEFAULT]` is not
    /// a section of its own.
    fn apply_defaults(&mut self) {
        let Some(pos) = self.sections.iter().position(|s| s.name == "DEFAULT") else {
            return;
        };
        let defaults = self.sections.remove(pos);
        self.defaults = defaults.options.iter().map(|(k, _)| k.clone()).collect();
        for section in &mut self.sections {
            for (k, v) in &defaults.options {
                if section.get(k).is_none() {
                    section.options.push((k.clone(), v.clone()));
                }
            }
        }
    }
}

/// Reads a configuration file with no `[include]` processing (supervisorctl's view).
///
/// `shown` is the path as the user gave it, which Supervisor prints in errors.
///
/// # Errors
/// `could not find config file X`, `could not read config file X`, and the parser's
/// `File contains no section headers.` / `Source contains parsing errors:` texts.
pub fn read_single(path: &Path) -> Result<RawConfig, ConfigError> {
    let shown = path.to_string_lossy();
    let text = read_text(path, &shown)?;
    let mut raw = RawConfig::default();
    raw.merge(&shown, parse_text(&text, &shown)?);
    raw.apply_defaults();
    Ok(raw)
}

/// Reads supervisord's configuration: the main file, then, if it has an `[include]`
/// section, every file its `files=` globs match (reference §1.14).
///
/// `here` is the main file's directory; `names` holds the `ENV_*` names.
///
/// # Errors
/// As [`read_single`], plus `.ini file has [include] section, but no files setting` and the
/// expansion errors of `files=`.
pub fn read_with_includes(
    path: &Path,
    here: &str,
    names: &Names,
) -> Result<RawConfig, ConfigError> {
    let shown = path.to_string_lossy();
    let text = read_text(path, &shown)?;
    let main = parse_text(&text, &shown)?;
    let has_include = main.iter().any(|(name, _)| name == "include");
    let mut raw = RawConfig::default();
    if !has_include {
        raw.merge(&shown, main);
        raw.apply_defaults();
        return Ok(raw);
    }
    // COMPAT: Supervisor substitutes `%(here)s` textually only when the main file has an
    // `[include]` section; otherwise `here` is an ordinary expansion name (reference §1.3).
    raw.merge(&shown, substitute_here(main, here));
    let files = match raw.section("include").and_then(|s| s.get("files")) {
        Some(files) => files.to_string(),
        None => {
            return Err(ConfigError::new(
                ".ini file has [include] section, but no files setting",
            ))
        }
    };
    let files = expand(&files, names, "include.files").map_err(ConfigError::new)?;
    let base = abspath(dirname(&shown));
    for pattern in files.split_whitespace() {
        let pattern = if pattern.starts_with('/') {
            pattern.to_string()
        } else {
            format!("{}/{pattern}", base.trim_end_matches('/'))
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
            raw.merge(&file, substitute_here(sections, &abspath(dirname(&file))));
        }
    }
    raw.apply_defaults();
    Ok(raw)
}

/// Parses one file's text as if read from `file`, with no `[include]` processing.
pub fn from_text(text: &str, file: &str) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    raw.merge(file, parse_text(text, file)?);
    raw.apply_defaults();
    Ok(raw)
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

type Sections = Vec<(String, Vec<(String, String)>)>;

fn substitute_here(sections: Sections, here: &str) -> Sections {
    sections
        .into_iter()
        .map(|(name, options)| {
            let options = options
                .into_iter()
                .map(|(k, v)| (k, v.replace("%(here)s", here)))
                .collect();
            (name, options)
        })
        .collect()
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

/// UTF-8 text with universal newlines, as Python's text mode reads it.
fn decode(bytes: &[u8], shown: &str) -> Result<String, ConfigError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ConfigError::new(format!("could not read config file {shown}")))?;
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// All three passes for one file's text.
fn parse_text(text: &str, shown: &str) -> Result<Sections, ConfigError> {
    let canonical = scan(text, shown)?;
    let options = ParseOption {
        enabled_quote: false,
        enabled_escape: true,
        enabled_indented_mutiline_value: false,
        enabled_preserve_key_leading_whitespace: false,
    };
    let ini = Ini::load_from_str_opt(&canonical, options)
        .map_err(|e| ConfigError::new(format!("could not parse config file {shown}: {e}")))?;
    Ok(ini
        .iter()
        .filter_map(|(name, props)| {
            let options = props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let name = name?;
            let name = name.strip_prefix(SECTION_GUARD).unwrap_or(name);
            let name = name.strip_suffix(SECTION_GUARD).unwrap_or(name);
            Some((name.to_string(), options))
        })
        .collect())
}

/// rust-ini trims section names; ConfigParser keeps their spaces (`[ x ]` is `" x "`), so
/// canonical headers carry this non-space guard at both ends.
const SECTION_GUARD: char = '\u{1}';

/// Where a line's inline comment starts, by ConfigParser's rule: the first round of
/// searches (one per prefix, left to right) that finds a prefix at column 0 or after
/// whitespace wins, taking the leftmost such hit of that round.
fn comment_start(line: &str) -> Option<usize> {
    const PREFIXES: [char; 2] = [';', '#'];
    // Per prefix: where its next search starts, `None` once it has no more hits.
    let mut from = [Some(0usize); 2];
    while from.iter().any(Option::is_some) {
        let mut best: Option<usize> = None;
        for (next, prefix) in from.iter_mut().zip(PREFIXES) {
            let Some(start) = *next else { continue };
            match line.get(start..).and_then(|rest| rest.find(prefix)) {
                None => *next = None,
                Some(off) => {
                    let at = start.saturating_add(off);
                    // The prefixes are one byte long, so `at + 1` is a char boundary.
                    *next = Some(at.saturating_add(1));
                    let after_space = line
                        .get(..at)
                        .and_then(|before| before.chars().next_back())
                        .is_none_or(char::is_whitespace);
                    if after_space {
                        best = Some(best.map_or(at, |b| b.min(at)));
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// Escapes text for canonical INI: backslash escapes for `\` and `\xHHHH` for anything
/// rust-ini would interpret (delimiters, brackets, comment marks, whitespace, controls).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '[' | ']' | '=' | ':' | ';' | '#' | '"' | '\'' => {
                out.push_str(&format!("\\x{:04x}", c as u32));
            }
            // Every whitespace and control character is in the BMP, so four digits do.
            c if c.is_whitespace() || c.is_control() => {
                out.push_str(&format!("\\x{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Pass 1: ConfigParser's line classification, written out as canonical INI.
fn scan(text: &str, shown: &str) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len() * 2);
    let mut in_section = false;
    // The option being read: its key and its value lines.
    let mut option: Option<(String, Vec<String>)> = None;
    let mut indent_level = 0usize;
    let mut errors: Vec<(usize, String)> = Vec::new();
    let flush = |out: &mut String, option: &mut Option<(String, Vec<String>)>| {
        if let Some((key, lines)) = option.take() {
            let value = lines.join("\n");
            out.push_str(&format!("{}={}\n", escape(&key), escape(value.trim_end())));
        }
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (index, raw_line) in lines.iter().enumerate() {
        let lineno = index + 1;
        let line = raw_line.strip_suffix('\n').unwrap_or(raw_line);
        let comment = if line.trim().starts_with([';', '#']) {
            Some(0)
        } else {
            comment_start(line)
        };
        let value = line[..comment.unwrap_or(line.len())].trim();
        if value.is_empty() {
            // A blank line inside a value is kept (trailing ones are trimmed at the end);
            // a comment line is dropped.
            if let (None, Some((_, lines))) = (comment, option.as_mut()) {
                lines.push(String::new());
            }
            continue;
        }
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if let (true, Some((_, lines))) = (indent > indent_level, option.as_mut()) {
            lines.push(value.to_string());
            continue;
        }
        indent_level = indent;
        if let Some(name) = section_header(value) {
            flush(&mut out, &mut option);
            let guarded = format!("{SECTION_GUARD}{name}{SECTION_GUARD}");
            out.push_str(&format!("[{}]\n", escape(&guarded)));
            in_section = true;
            continue;
        }
        if !in_section {
            return Err(ConfigError::new(format!(
                "File contains no section headers.\nfile: {}, line: {lineno}\n{}",
                pytext::repr(shown),
                pytext::repr(raw_line)
            )));
        }
        if value.starts_with('[') {
            // DIVERGENCE(new): ConfigParser reads `[program:x` (no `]`) as the key `[program`
            // of the previous section, which then silently takes the lines that follow; a
            // header that lacks its `]` is refused, as `[programx` already is.
            flush(&mut out, &mut option);
            errors.push((lineno, pytext::repr(raw_line)));
            continue;
        }
        match value.find(['=', ':']) {
            Some(at) if at > 0 => {
                flush(&mut out, &mut option);
                let key = value[..at].trim_end().to_lowercase();
                let val = value[at + 1..].trim().to_string();
                option = Some((key, vec![val]));
            }
            Some(_) => {
                // An empty key: an error, and (as in ConfigParser) no option to continue.
                flush(&mut out, &mut option);
                errors.push((lineno, pytext::repr(raw_line)));
            }
            None => errors.push((lineno, pytext::repr(raw_line))),
        }
    }
    flush(&mut out, &mut option);
    if errors.is_empty() {
        return Ok(out);
    }
    let mut message = format!("Source contains parsing errors: {}", pytext::repr(shown));
    for (lineno, line) in errors {
        message.push_str(&format!("\n\t[line {lineno:2}]: {line}"));
    }
    Err(ConfigError::new(message))
}

/// `[name]` at the start of a line (ConfigParser's greedy `\[(?P<header>.+)\]`).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Sections, String> {
        parse_text(text, "t.conf").map_err(|e| e.to_string())
    }

    #[track_caller]
    fn value(text: &str, section: &str, key: &str) -> Option<String> {
        let mut raw = RawConfig::default();
        raw.merge("t.conf", parse(text).unwrap());
        raw.apply_defaults();
        raw.section(section)?.get(key).map(str::to_string)
    }

    // Expected values come from Python 3.11's RawConfigParser with Supervisor's settings.

    #[test]
    fn comments() {
        let t = "[s]\na = 1 ;c\nb = x;y\nc = u #v\nd = http://h/#f\n  ; indented\ne = ;c\n# x\n";
        assert_eq!(value(t, "s", "a").as_deref(), Some("1"));
        assert_eq!(value(t, "s", "b").as_deref(), Some("x;y"));
        assert_eq!(value(t, "s", "c").as_deref(), Some("u"));
        assert_eq!(value(t, "s", "d").as_deref(), Some("http://h/#f"));
        assert_eq!(value(t, "s", "e").as_deref(), Some(""));
        // The quirk of the search rounds: ';' at 1 does not qualify, '#' at 7 does, and the
        // qualifying ';' at 4 is never looked at.
        assert_eq!(
            value("[s]\nk=a;b ;c #d\n", "s", "k").as_deref(),
            Some("a;b ;c")
        );
        assert_eq!(
            value("[s]\ncommand=bash -c 'foo ; bar'\n", "s", "command").as_deref(),
            Some("bash -c 'foo")
        );
    }

    #[test]
    fn continuation_lines() {
        let t = "[s]\na = one\n  two\n\n\tthree\n  ; dropped\nb=2\n";
        assert_eq!(value(t, "s", "a").as_deref(), Some("one\ntwo\n\nthree"));
        assert_eq!(value(t, "s", "b").as_deref(), Some("2"));
        let indented = "[s]\n  a=1\n  b=2\n    more\n";
        assert_eq!(value(indented, "s", "a").as_deref(), Some("1"));
        assert_eq!(value(indented, "s", "b").as_deref(), Some("2\nmore"));
        assert_eq!(value("[s]\na=x\n\n", "s", "a").as_deref(), Some("x"));
        assert_eq!(
            value("[s]\na=x\n  [t]\n", "s", "a").as_deref(),
            Some("x\n[t]")
        );
    }

    #[test]
    fn keys_and_values_keep_their_text() {
        let t = "[program:x]\nCommand = \"/usr/bin/my prog\" --x\\t\nk: v=w:z\np=one\\\nq = 2\n";
        assert_eq!(
            value(t, "program:x", "command").as_deref(),
            Some("\"/usr/bin/my prog\" --x\\t")
        );
        assert_eq!(value(t, "program:x", "k").as_deref(), Some("v=w:z"));
        assert_eq!(value(t, "program:x", "p").as_deref(), Some("one\\"));
        assert_eq!(value(t, "program:x", "q").as_deref(), Some("2"));
        assert_eq!(
            value("[s]\nk=%(here)s %%\n", "s", "k").as_deref(),
            Some("%(here)s %%")
        );
    }

    #[test]
    fn section_names() {
        assert_eq!(value("[a]b]\nk=1\n", "a]b", "k").as_deref(), Some("1"));
        assert_eq!(value("[p] ; c\nk=1\n", "p", "k").as_deref(), Some("1"));
        assert_eq!(value("[x] junk\nk=1\n", "x", "k").as_deref(), Some("1"));
        assert_eq!(value("[ sp ]\nk=1\n", " sp ", "k").as_deref(), Some("1"));
        assert_eq!(value("[Case]\nk=1\n", "Case", "k").as_deref(), Some("1"));
    }

    #[test]
    fn duplicates_merge_and_defaults_apply() {
        let t = "[a]\nk=1\nj=1\n[b]\nk=2\n[a]\nk=3\n[DEFAULT]\nd=4\nk=9\n";
        assert_eq!(value(t, "a", "k").as_deref(), Some("3"));
        assert_eq!(value(t, "a", "j").as_deref(), Some("1"));
        assert_eq!(value(t, "b", "d").as_deref(), Some("4"));
        assert_eq!(value(t, "b", "k").as_deref(), Some("2"));
        assert_eq!(value(t, "DEFAULT", "d"), None);
        assert_eq!(value("[a]\nk=1\nk=2\n", "a", "k").as_deref(), Some("2"));
    }

    #[test]
    fn escapes_survive_the_round_trip() {
        let v = "a\\b \\x0041 é\t[x]=;#:\"'";
        let t = format!("[s]\nk={v}\n");
        assert_eq!(value(&t, "s", "k").as_deref(), Some(v));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse("foo=bar\n[s]\n").unwrap_err(),
            "File contains no section headers.\nfile: 't.conf', line: 1\n'foo=bar\\n'"
        );
        assert_eq!(
            parse("; c\n\n  x\n").unwrap_err(),
            "File contains no section headers.\nfile: 't.conf', line: 3\n'  x\\n'"
        );
        assert_eq!(
            parse("[s]\nk=1\nthis is not valid\n=v\nlast").unwrap_err(),
            "Source contains parsing errors: 't.conf'\n\t[line  3]: 'this is not valid\\n'\
             \n\t[line  4]: '=v\\n'\n\t[line  5]: 'last'"
        );
    }

    #[test]
    fn a_header_without_its_bracket_is_an_error() {
        let refused = "Source contains parsing errors: 't.conf'\n\t[line  3]: '[program:x\\n'";
        // DIVERGENCE(new): with a `:` the reference takes the line as a key of `[s]`.
        assert_eq!(
            parse("[s]\nk=1\n[program:x\ncommand=y\n").unwrap_err(),
            refused
        );
        assert_eq!(
            parse("[s]\nk=1\n[program:x ; comment\n").unwrap_err(),
            refused.replace("x\\n", "x ; comment\\n")
        );
        assert_eq!(
            parse("[s]\n[programx\n").unwrap_err(),
            "Source contains parsing errors: 't.conf'\n\t[line  2]: '[programx\\n'"
        );
    }

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

    #[test]
    fn comment_search_rounds() {
        assert_eq!(comment_start("a ;b"), Some(2));
        assert_eq!(comment_start("a;b"), None);
        assert_eq!(comment_start(";x"), Some(0));
        assert_eq!(comment_start("x;y #z ;w"), Some(4));
    }
}
