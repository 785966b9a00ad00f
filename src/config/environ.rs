//! `environment=` values: `KEY=val,KEY2="v 2"` → ordered pairs (reference §1.5).
//!
//! Owns the tokenizer and the pairing rule. Pure: no environment, no files.
//! Mirrors `datatypes.py` `dict_of_key_value_pairs` as shipped in Supervisor 4.3.0, which runs
//! Python's `shlex` in its legacy (non-POSIX) mode with the extra word characters `/.+-():`.
//!
//! COMPAT (decisions Q23): the reference accepts what it accepts with the result it gives,
//! including its lax spots (any token separates pairs, `#` starts a comment, quotes are
//! stripped with `strip('\'"')`). Where that silently drops text, [`parse`] also returns a
//! note so the loader can warn in the log.

use crate::pytext;

/// The parsed pairs, in order (a repeated key keeps its first position, last value wins),
/// plus notes about text the reference's rules silently drop.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Environment {
    pub pairs: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// Parses an `environment=` value.
///
/// # Errors
/// `Unexpected end of key/value pairs in value '...'` when the tokens do not form
/// `KEY = VALUE` triples, and `No closing quotation` for an unterminated quote.
pub fn parse(value: &str) -> Result<Environment, String> {
    let Tokens { tokens, comment } = tokenize(value)?;
    let mut env = Environment::default();
    if comment {
        env.notes.push(
            "text after '#' was ignored as a comment; quote values that contain '#'".to_string(),
        );
    }
    let mut i = 0;
    while i < tokens.len() {
        let (Some(key), Some(eq), Some(val)) =
            (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
        else {
            return Err(unexpected_end(value));
        };
        if eq != "=" {
            return Err(unexpected_end(value));
        }
        let val = val.trim_matches(|c| c == '\'' || c == '"').to_string();
        match env.pairs.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1.clone_from(&val),
            None => env.pairs.push((key.clone(), val.clone())),
        }
        if let Some(sep) = tokens.get(i + 3).filter(|t| *t != ",") {
            env.notes.push(format!(
                "{} after {key}={val} was taken as a separator and ignored; quote values that \
                 contain spaces or special characters",
                pytext::repr(sep)
            ));
        }
        i += 4;
    }
    Ok(env)
}

fn unexpected_end(value: &str) -> String {
    format!("Unexpected end of key/value pairs in value '{value}'")
}

struct Tokens {
    tokens: Vec<String>,
    comment: bool,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || "/.+-():".contains(c)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

enum State {
    Blank,
    Word,
    Quote(char),
}

/// Python `list(shlex.shlex(value))` with `wordchars += '/.+-():'`, non-POSIX mode.
fn tokenize(value: &str) -> Result<Tokens, String> {
    let mut out = Tokens {
        tokens: Vec::new(),
        comment: false,
    };
    let mut chars = value.chars();
    let mut state = State::Blank;
    let mut token = String::new();
    while let Some(c) = chars.next() {
        match state {
            State::Blank => {
                if is_space(c) {
                    continue;
                }
                if c == '#' {
                    out.comment = true;
                    chars.by_ref().find(|&c| c == '\n');
                } else if is_word(c) {
                    token.push(c);
                    state = State::Word;
                } else if c == '\'' || c == '"' {
                    token.push(c);
                    state = State::Quote(c);
                } else {
                    out.tokens.push(c.to_string());
                }
            }
            State::Quote(q) => {
                token.push(c);
                if c == q {
                    out.tokens.push(std::mem::take(&mut token));
                    state = State::Blank;
                }
            }
            State::Word => {
                if is_space(c) {
                    out.tokens.push(std::mem::take(&mut token));
                    state = State::Blank;
                } else if c == '#' {
                    // Legacy shlex skips the rest of the line and keeps building the word.
                    out.comment = true;
                    chars.by_ref().find(|&c| c == '\n');
                } else if is_word(c) || c == '\'' || c == '"' {
                    token.push(c);
                } else {
                    out.tokens.push(std::mem::take(&mut token));
                    out.tokens.push(c.to_string());
                    state = State::Blank;
                }
            }
        }
    }
    match state {
        State::Quote(_) => Err("No closing quotation".to_string()),
        State::Word => {
            out.tokens.push(token);
            Ok(out)
        }
        State::Blank => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn pairs(value: &str, expected: &[(&str, &str)]) {
        let env = parse(value).unwrap();
        let got: Vec<(&str, &str)> = env
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expected, "{value:?}");
    }

    #[track_caller]
    fn silent_split(value: &str, expected: &[(&str, &str)]) {
        pairs(value, expected);
        assert!(!parse(value).unwrap().notes.is_empty(), "{value:?}");
    }

    // Expected results were produced by Supervisor 4.3.0's dict_of_key_value_pairs.

    #[test]
    fn plain_and_quoted() {
        pairs("A=1,B=2", &[("A", "1"), ("B", "2")]);
        pairs("A=\"x y\",B='z,w'", &[("A", "x y"), ("B", "z,w")]);
        pairs("A=1 ,B=2", &[("A", "1"), ("B", "2")]);
        pairs("A=1,", &[("A", "1")]);
        pairs("", &[]);
        pairs("A=\"a#b\"", &[("A", "a#b")]);
        pairs("A=a:b/c.d+e-f(g)", &[("A", "a:b/c.d+e-f(g)")]);
        pairs("A=\"\", B=2", &[("A", ""), ("B", "2")]);
        pairs("A=x'y'", &[("A", "x'y")]);
        pairs("A=a\"b\"", &[("A", "a\"b")]);
        pairs("\"K\"=1", &[("\"K\"", "1")]);
        pairs("A=é", &[("A", "é")]);
        pairs(" # c\nA=1", &[("A", "1")]);
        pairs("A=1,A=2,B=3", &[("A", "2"), ("B", "3")]);
        assert!(parse("A=1,B=2").unwrap().notes.is_empty());
    }

    #[test]
    fn lax_separators_are_kept_but_noted() {
        silent_split("A=1;B=2", &[("A", "1"), ("B", "2")]);
        silent_split("A=1 x B=2", &[("A", "1"), ("B", "2")]);
        silent_split("A=a b", &[("A", "a")]);
        silent_split("A=a#b", &[("A", "a")]);
        silent_split("A=$HOME", &[("A", "$")]);
        silent_split("A=~/x", &[("A", "~")]);
        silent_split("A=\"a\\\"b\"", &[("A", "a\\")]);
        silent_split("A='it''s'", &[("A", "it")]);
        assert_eq!(
            parse("A=a b").unwrap().notes,
            [
                "'b' after A=a was taken as a separator and ignored; quote values that contain \
              spaces or special characters"
            ]
        );
    }

    #[test]
    fn errors() {
        for bad in [
            "A=",
            "A=1,,B=2",
            "A=a=b",
            "A=a@b",
            "A=a*b",
            "A=[x]",
            "A=1\nB=2",
            "A=a#x\nB=2",
            "A=\"a b\"c,B=1",
            "A=1,B",
        ] {
            assert_eq!(
                parse(bad).unwrap_err(),
                format!("Unexpected end of key/value pairs in value '{bad}'")
            );
        }
        assert_eq!(parse("A=\"x").unwrap_err(), "No closing quotation");
    }
}
