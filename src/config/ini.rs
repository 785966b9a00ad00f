//! Reading configuration files the way Supervisor's `ConfigParser` does (reference §1.2).
//!
//! Owns the file syntax: comments, continuation lines, duplicate sections and keys,
//! `[DEFAULT]`, and the per-file `%(here)s` substitution.
//! Pure: the loader ([`super::source`]) hands it the texts it read; no value is interpreted
//! here.
//!
//! Each file goes through two passes:
//! 1. [`parse_text`] classifies lines exactly as Python's `RawConfigParser(
//!    inline_comment_prefixes=(';', '#'), strict=False)` does (comments, indentation-based
//!    continuation, errors with their line numbers) and yields the sections in file order;
//! 2. the post-pass merges duplicate sections and keys (later values win) and applies
//!    `[DEFAULT]`.
//!
//! No INI crate: every ConfigParser rule (inline-comment search rounds, continuation by
//! indentation, blank lines inside values, spaces kept in section names, `:` as a delimiter,
//! lower-cased keys, the error texts) is in pass 1, which is the whole parser. `rust-ini` used
//! to re-read pass 1's output after it had been escaped for it, and added nothing.

use std::collections::HashMap;

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
    /// Each section's place in `sections`: 10,000 programs are 10,000 sections, and a
    /// scan per lookup made reading them quadratic.
    index: HashMap<String, usize>,
}

impl RawConfig {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(*self.index.get(name)?)
    }

    /// Merges one file's sections in: new sections are appended and remember `file`,
    /// existing ones get the new keys (later values win).
    pub fn merge(&mut self, file: &str, sections: Sections) {
        for (name, options) in sections {
            let index = match self.index.get(&name) {
                Some(i) => *i,
                None => {
                    self.index.insert(name.clone(), self.sections.len());
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
    pub fn apply_defaults(&mut self) {
        let Some(pos) = self.index.remove("DEFAULT") else {
            return;
        };
        let defaults = self.sections.remove(pos);
        for later in self.index.values_mut().filter(|i| **i > pos) {
            *later -= 1;
        }
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

/// Parses one file's text as if read from `file`, with no `[include]` processing.
pub fn from_text(text: &str, file: &str) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    raw.merge(file, parse_text(text, file)?);
    raw.apply_defaults();
    Ok(raw)
}

/// One file's sections in file order: names and their options, duplicates not merged.
pub type Sections = Vec<(String, Vec<(String, String)>)>;

/// Supervisor's textual `%(here)s` substitution of `[include]` processing.
pub fn substitute_here(sections: Sections, here: &str) -> Sections {
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

/// UTF-8 text with universal newlines, as Python's text mode reads it.
pub fn decode(bytes: &[u8], shown: &str) -> Result<String, ConfigError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ConfigError::new(format!("could not read config file {shown}")))?;
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

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

/// One file's text as its sections in file order, duplicates not yet merged: ConfigParser's
/// line classification (comments, indentation-based continuation, errors with their line
/// numbers).
pub fn parse_text(text: &str, shown: &str) -> Result<Sections, ConfigError> {
    let mut out: Sections = Vec::new();
    // The option being read: its key and its value lines.
    let mut option: Option<(String, Vec<String>)> = None;
    let mut indent_level = 0usize;
    let mut errors: Vec<(usize, String)> = Vec::new();
    let flush = |out: &mut Sections, option: &mut Option<(String, Vec<String>)>| {
        if let (Some((key, lines)), Some((_, options))) = (option.take(), out.last_mut()) {
            let value = lines.join("\n");
            options.push((key, value.trim_end().to_string()));
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
            out.push((name.to_string(), Vec::new()));
            continue;
        }
        if out.is_empty() {
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
    fn values_keep_special_characters() {
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
    fn comment_search_rounds() {
        assert_eq!(comment_start("a ;b"), Some(2));
        assert_eq!(comment_start("a;b"), None);
        assert_eq!(comment_start(";x"), Some(0));
        assert_eq!(comment_start("x;y #z ;w"), Some(4));
    }
}
