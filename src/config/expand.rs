//! `%(name)s` expansion: Python's `str % mapping`, with Supervisor's error texts.
//!
//! Owns the format-string interpreter and the layered table of names a value may use.
//! Pure: it never reads the environment or the clock; callers hand it every name.
//! Mirrors `options.py` `expand()` on top of CPython's `PyUnicode_Format` (reference §1.3).

use std::collections::BTreeMap;

use crate::pytext::{self, Quoting};

/// A value a name expands to: Supervisor's names are strings, except `process_num` and
/// `numprocs`, which are integers (so `%(process_num)02d` works).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
}

/// The names available to one option: a shared base (the `ENV_*` names) overlaid with the
/// names of the place the option is read from; later overlays win.
#[derive(Debug, Clone)]
pub struct Names<'a> {
    base: &'a BTreeMap<String, String>,
    overlay: Vec<(String, Value)>,
}

impl<'a> Names<'a> {
    pub fn new(base: &'a BTreeMap<String, String>) -> Names<'a> {
        Names {
            base,
            overlay: Vec::new(),
        }
    }

    /// Adds or replaces one name.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.overlay.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.overlay.push((name.to_string(), value)),
        }
    }

    /// Builder form of [`Names::set`] for string values.
    pub fn with(mut self, name: &str, value: &str) -> Names<'a> {
        self.set(name, Value::Str(value.to_string()));
        self
    }

    fn get(&self, name: &str) -> Option<Value> {
        match self.overlay.iter().rev().find(|(k, _)| k == name) {
            Some((_, v)) => Some(v.clone()),
            None => self.base.get(name).map(|v| Value::Str(v.clone())),
        }
    }

    /// Every name, sorted, as the "Available names" list prints them.
    fn available(&self) -> String {
        let mut all: Vec<&str> = self.base.keys().map(String::as_str).collect();
        for (k, _) in &self.overlay {
            if !self.base.contains_key(k) {
                all.push(k);
            }
        }
        all.sort_unstable();
        all.join(", ")
    }
}

/// Expands `text` as Python's `text % names` would; `what` names the option in errors
/// (`program:x.command`).
///
/// # Errors
/// Supervisor's texts: `Format string '...' for '...' contains names ('x') which cannot be
/// expanded. Available names: ...` and `Format string '...' for '...' is badly formatted: ...`.
pub fn expand(text: &str, names: &Names, what: &str) -> Result<String, String> {
    format(text, names).map_err(|e| match e {
        FormatError::Key(key) => format!(
            "Format string {} for {} contains names ({}) which cannot be expanded. \
             Available names: {}",
            pytext::repr(text),
            pytext::repr(what),
            pytext::repr(&key),
            names.available()
        ),
        FormatError::Bad(msg) => format!(
            "Format string {} for {} is badly formatted: {}",
            pytext::repr(text),
            pytext::repr(what),
            msg
        ),
    })
}

enum FormatError {
    Key(String),
    Bad(String),
}

/// What the next conversion consumes: the whole mapping (before any `%(key)`), the value
/// of the last key, or nothing (CPython's `getnextarg`).
enum Arg {
    Mapping,
    Value(Value),
    Used,
}

#[derive(Default)]
struct Spec {
    ljust: bool,
    sign: bool,
    blank: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

fn bad<T>(msg: &str) -> Result<T, FormatError> {
    Err(FormatError::Bad(msg.to_string()))
}

fn format(text: &str, names: &Names) -> Result<String, FormatError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut arg = Arg::Mapping;
    let mut pos = 0;
    while let Some(&c) = chars.get(pos) {
        pos += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.get(pos) {
            None => return bad("incomplete format"),
            Some('%') => {
                pos += 1;
                out.push('%');
                continue;
            }
            Some('(') => {
                pos += 1;
                let start = pos;
                let mut depth = 1;
                while depth > 0 {
                    match chars.get(pos) {
                        None => return bad("incomplete format key"),
                        Some(')') => depth -= 1,
                        Some('(') => depth += 1,
                        Some(_) => {}
                    }
                    pos += 1;
                }
                let key: String = chars.get(start..pos - 1).unwrap_or(&[]).iter().collect();
                match names.get(&key) {
                    Some(v) => arg = Arg::Value(v),
                    None => return Err(FormatError::Key(key)),
                }
            }
            Some(_) => {}
        }
        let next = |pos: &mut usize| -> Result<char, FormatError> {
            let c = chars.get(*pos).copied();
            *pos += 1;
            c.map_or_else(|| bad("incomplete format"), Ok)
        };
        let mut spec = Spec::default();
        let mut ch = next(&mut pos)?;
        loop {
            match ch {
                '-' => spec.ljust = true,
                '+' => spec.sign = true,
                ' ' => spec.blank = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            ch = next(&mut pos)?;
        }
        if ch == '*' {
            let w = star(&mut arg)?;
            spec.ljust |= w < 0;
            spec.width = usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX);
            ch = next(&mut pos)?;
        } else {
            while let Some(d) = ch.to_digit(10) {
                spec.width = spec.width.saturating_mul(10).saturating_add(d as usize);
                ch = next(&mut pos)?;
            }
        }
        if ch == '.' {
            ch = next(&mut pos)?;
            let mut prec = 0usize;
            if ch == '*' {
                prec = usize::try_from(star(&mut arg)?.max(0)).unwrap_or(usize::MAX);
                ch = next(&mut pos)?;
            } else {
                while let Some(d) = ch.to_digit(10) {
                    prec = prec.saturating_mul(10).saturating_add(d as usize);
                    ch = next(&mut pos)?;
                }
            }
            spec.prec = Some(prec);
        }
        // DIVERGENCE(D5): Python pads to any width it can allocate (and panicking Rust code
        // would abort the loader: `%(x)99999999999s` was a fuzz finding); past MAX_FIELD the
        // expansion is an error with Python's own texts for widths that overflow.
        if spec.width > MAX_FIELD {
            return bad("width too big");
        }
        if spec.prec.is_some_and(|p| p > MAX_FIELD) {
            return bad("precision too big");
        }
        if matches!(ch, 'h' | 'l' | 'L') {
            ch = next(&mut pos)?;
        }
        let value = take(&mut arg)?;
        out.push_str(&convert(ch, pos - 1, &value, &spec)?);
    }
    Ok(out)
}

/// The widest field width or precision an expansion may ask for.
const MAX_FIELD: usize = 1024;

fn take(arg: &mut Arg) -> Result<Arg, FormatError> {
    match std::mem::replace(arg, Arg::Used) {
        Arg::Used => bad("not enough arguments for format string"),
        other => Ok(other),
    }
}

fn star(arg: &mut Arg) -> Result<i64, FormatError> {
    match take(arg)? {
        Arg::Value(Value::Int(n)) => Ok(n),
        _ => bad("* wants int"),
    }
}

fn type_name(arg: &Arg) -> &'static str {
    match arg {
        Arg::Value(Value::Str(_)) => "str",
        _ => "dict",
    }
}

/// Formats one conversion; `index` is the conversion character's position for errors.
fn convert(ch: char, index: usize, arg: &Arg, spec: &Spec) -> Result<String, FormatError> {
    let body = match (ch, arg) {
        // DIVERGENCE: Python formats the whole name table (`date +%s` becomes `date +{...}`);
        // that output is never what was meant, so a conversion without a name is an error.
        ('s' | 'r' | 'a', Arg::Mapping | Arg::Used) => {
            return bad("a conversion without a (name) is not supported; write %% for a literal %")
        }
        ('s', Arg::Value(v)) => truncate(&plain(v), spec.prec),
        ('r', Arg::Value(v)) => truncate(&repr(v, Quoting::Repr), spec.prec),
        ('a', Arg::Value(v)) => truncate(&repr(v, Quoting::Ascii), spec.prec),
        ('d' | 'i' | 'u' | 'o' | 'x' | 'X', Arg::Value(Value::Int(n))) => {
            return Ok(pad_number(*n < 0, &int_body(ch, *n, spec), spec))
        }
        ('d' | 'i' | 'u', _) => {
            return Err(FormatError::Bad(format!(
                "%{ch} format: a real number is required, not {}",
                type_name(arg)
            )))
        }
        ('o' | 'x' | 'X', _) => {
            return Err(FormatError::Bad(format!(
                "%{ch} format: an integer is required, not {}",
                type_name(arg)
            )))
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Arg::Value(Value::Int(n))) => {
            return Ok(pad_number(*n < 0, &float_body(ch, *n, spec), spec))
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', _) => {
            return Err(FormatError::Bad(format!(
                "must be real number, not {}",
                type_name(arg)
            )))
        }
        ('c', Arg::Value(Value::Int(n))) => match u32::try_from(*n).ok().and_then(char::from_u32) {
            Some(c) => c.to_string(),
            None => return bad("%c arg not in range(0x110000)"),
        },
        ('c', Arg::Value(Value::Str(s))) if s.chars().count() == 1 => s.clone(),
        ('c', _) => return bad("%c requires int or char"),
        _ => {
            let shown = if (' '..='~').contains(&ch) { ch } else { '?' };
            return Err(FormatError::Bad(format!(
                "unsupported format character '{shown}' (0x{:x}) at index {index}",
                ch as u32
            )));
        }
    };
    Ok(pad(body, spec))
}

fn plain(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(n) => n.to_string(),
    }
}

/// Python `repr()` or `ascii()` of a value.
fn repr(v: &Value, quoting: Quoting) -> String {
    match v {
        Value::Str(s) => pytext::quote(s, quoting),
        _ => plain(v),
    }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn pad(body: String, spec: &Spec) -> String {
    let len = body.chars().count();
    if len >= spec.width {
        return body;
    }
    let fill = " ".repeat(spec.width - len);
    if spec.ljust {
        body + &fill
    } else {
        fill + &body
    }
}

/// Digits (and `0x`/`0o` prefix) of an integer conversion, without its sign.
fn int_body(ch: char, n: i64, spec: &Spec) -> String {
    let abs = n.unsigned_abs();
    let digits = match ch {
        'o' => format!("{abs:o}"),
        'x' => format!("{abs:x}"),
        'X' => format!("{abs:X}"),
        _ => abs.to_string(),
    };
    let digits = match spec.prec {
        Some(p) if p > digits.len() => "0".repeat(p - digits.len()) + &digits,
        _ => digits,
    };
    let prefix = match (spec.alt, ch) {
        (true, 'o') => "0o",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    format!("{prefix}{digits}")
}

/// An integer formatted as `%e`, `%f` or `%g` would format the equal float, without sign.
fn float_body(ch: char, n: i64, spec: &Spec) -> String {
    let x = n.unsigned_abs() as f64;
    let prec = spec.prec.unwrap_or(6);
    let upper = ch.is_ascii_uppercase();
    let s = match ch {
        'f' | 'F' => fixed(x, prec, spec.alt),
        'e' | 'E' => exponent(x, prec, spec.alt),
        _ => general(x, prec, spec.alt),
    };
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

fn fixed(x: f64, prec: usize, alt: bool) -> String {
    let s = format!("{x:.prec$}");
    if alt && prec == 0 {
        s + "."
    } else {
        s
    }
}

fn exponent(x: f64, prec: usize, alt: bool) -> String {
    let s = format!("{x:.prec$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let dot = if alt && prec == 0 { "." } else { "" };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{dot}e{sign}{:02}", exp.unsigned_abs())
}

/// `%g`: exponent notation when the exponent is < -4 or >= precision, trailing zeros
/// removed unless `#`.
fn general(x: f64, prec: usize, alt: bool) -> String {
    let p = prec.max(1);
    let e_form = exponent(x, p - 1, alt);
    let exp: i32 = e_form
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let p_i = i32::try_from(p).unwrap_or(i32::MAX);
    let s = if exp < -4 || exp >= p_i {
        e_form
    } else {
        let decimals = usize::try_from(p_i - 1 - exp).unwrap_or(0);
        fixed(x, decimals, alt)
    };
    if alt {
        return s;
    }
    let (num, tail) = match s.find('e') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s.as_str(), ""),
    };
    let num = if num.contains('.') {
        num.trim_end_matches('0').trim_end_matches('.')
    } else {
        num
    };
    format!("{num}{tail}")
}

/// Adds the sign and the width padding of a numeric conversion (`0` pads after the sign).
fn pad_number(negative: bool, body: &str, spec: &Spec) -> String {
    let sign = if negative {
        "-"
    } else if spec.sign {
        "+"
    } else if spec.blank {
        " "
    } else {
        ""
    };
    let len = sign.len() + body.chars().count();
    if len >= spec.width {
        return format!("{sign}{body}");
    }
    let fill = spec.width - len;
    if spec.ljust {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if spec.zero {
        let split = if body.starts_with("0x") || body.starts_with("0X") || body.starts_with("0o") {
            2
        } else {
            0
        };
        format!(
            "{sign}{}{}{}",
            &body[..split],
            "0".repeat(fill),
            &body[split..]
        )
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([("ENV_HOME".to_string(), "/root".to_string())])
    }

    #[track_caller]
    fn ok(text: &str, expected: &str) {
        let base = env();
        let mut names = Names::new(&base)
            .with("program_name", "web")
            .with("b", "xy");
        names.set("process_num", Value::Int(5));
        names.set("n", Value::Int(-7));
        names.set("big", Value::Int(99_999_999));
        names.set("h", Value::Int(123_456_789_012));
        names.set("u", Value::Str("é\n".into()));
        names.set("one", Value::Str("q".into()));
        names.set("x(y)", Value::Str("P".into()));
        assert_eq!(expand(text, &names, "t").as_deref(), Ok(expected), "{text}");
    }

    #[track_caller]
    fn bad_text(text: &str) -> String {
        let base = env();
        let mut names = Names::new(&base).with("b", "xy").with("program_name", "x");
        names.set("a", Value::Int(5));
        expand(text, &names, "program:x.command").unwrap_err()
    }

    #[track_caller]
    fn badly(text: &str, reason: &str) {
        assert_eq!(
            bad_text(text),
            format!(
                "Format string {} for 'program:x.command' is badly formatted: {reason}",
                pytext::repr(text)
            )
        );
    }

    // The expected strings below were produced by CPython 3.11 `text % mapping`.

    #[test]
    fn names_and_literals() {
        ok("plain", "plain");
        ok("%(program_name)s_%(process_num)02d", "web_05");
        ok("100%%", "100%");
        ok("%(ENV_HOME)s/x", "/root/x");
        ok("%(x(y))s", "P");
        ok("%(u)s", "é\n");
    }

    #[test]
    fn string_conversions() {
        ok("%(b)10s|", "        xy|");
        ok("%(b)-4s|", "xy  |");
        ok("%(b).1s", "x");
        ok("%(process_num)03s", "  5");
        ok("%(b)r", "'xy'");
        ok("%(u)r", "'é\\n'");
        ok("%(u)a", "'\\xe9\\n'");
        ok("%(process_num)r", "5");
        ok("%(one)c", "q");
        ok("%(process_num)10c", "         \u{5}");
    }

    #[test]
    fn integer_conversions() {
        ok("%(process_num)d %(process_num)i %(process_num)u", "5 5 5");
        ok("%(process_num)05d", "00005");
        ok("%(process_num)-5d|", "5    |");
        ok("%(process_num)-010d|", "5         |");
        ok("%(process_num)+d", "+5");
        ok("%(process_num) 05d", " 0005");
        ok("%(process_num)+ d", "+5");
        ok("%(n)05d", "-0007");
        ok("%(n).3d", "-007");
        ok("%(process_num)010.3d", "0000000005");
        ok("%(process_num)10.3d", "       005");
        ok(
            "%(process_num)#x %(process_num)#o %(process_num)X",
            "0x5 0o5 5",
        );
        ok("%(process_num)#05x", "0x005");
        ok("%(process_num)-#5X|", "0X5  |");
        ok("%(n)#x %(n)#o %(n)x", "-0x7 -0o7 -7");
        ok(
            "%(process_num)ld %(process_num)hd %(process_num)Ld",
            "5 5 5",
        );
    }

    #[test]
    fn float_conversions() {
        ok("%(process_num)5.2f", " 5.00");
        ok("%(process_num)08.3f", "0005.000");
        ok("%(process_num)F", "5.000000");
        ok("%(process_num).0f %(process_num)#.0f", "5 5.");
        ok("%(process_num)e", "5.000000e+00");
        ok("%(n)e", "-7.000000e+00");
        ok("%(process_num).3e %(process_num).0e", "5.000e+00 5e+00");
        ok("%(process_num)#.0e", "5.e+00");
        ok("%(process_num)g %(process_num)#g", "5 5.00000");
        ok("%(big)g %(big)e %(big)G", "1e+08 1.000000e+08 1E+08");
        ok("%(h)g", "1.23457e+11");
        ok("%(process_num).10g", "5");
    }

    #[test]
    fn unknown_name_lists_available_names() {
        assert_eq!(
            bad_text("/bin/echo %(nosuch)s"),
            "Format string '/bin/echo %(nosuch)s' for 'program:x.command' contains names \
             ('nosuch') which cannot be expanded. Available names: ENV_HOME, a, b, program_name"
        );
    }

    #[test]
    fn huge_widths_and_precisions_are_errors_not_panics() {
        // Found by the config_text fuzz target: the width saturated to usize::MAX and
        // `" ".repeat(..)` panicked with "capacity overflow".
        badly(
            "echo %(program_name)555555555555555555555555555555555555555555s_",
            "width too big",
        );
        badly("%(a)99999999999999999999d", "width too big");
        badly("%(a).99999999999999999999d", "precision too big");
        badly("%(a).1025f", "precision too big");
        badly("%(b)*s", "* wants int");
        ok("%(b)1024s", &format!("{}xy", " ".repeat(1022)));
        ok("%(process_num).1024d", &format!("{}5", "0".repeat(1023)));
    }

    #[test]
    fn badly_formatted() {
        badly("/bin/echo %(program_name)", "incomplete format");
        badly("%(a", "incomplete format key");
        badly("x%", "incomplete format");
        badly("%(a)5", "incomplete format");
        badly(
            "%(a)z",
            "unsupported format character 'z' (0x7a) at index 4",
        );
        badly(
            "%(a)%",
            "unsupported format character '%' (0x25) at index 4",
        );
        badly(
            "%(a)é",
            "unsupported format character '?' (0xe9) at index 4",
        );
        badly(
            "%(a)(b)s",
            "unsupported format character '(' (0x28) at index 4",
        );
        badly("%(b)d", "%d format: a real number is required, not str");
        badly("%(b)i", "%i format: a real number is required, not str");
        badly("%d", "%d format: a real number is required, not dict");
        badly("%(b)x", "%x format: an integer is required, not str");
        badly("%(b)f", "must be real number, not str");
        badly("%(b)c", "%c requires int or char");
        badly("%c", "%c requires int or char");
        badly("%(a)s %d", "not enough arguments for format string");
        badly("%(a)*d", "not enough arguments for format string");
        badly("%*d", "* wants int");
    }

    #[test]
    fn first_error_wins_left_to_right() {
        assert!(bad_text("%(a)s%(nope)s%z").contains("('nope')"));
        badly(
            "%z%(nope)s",
            "unsupported format character 'z' (0x7a) at index 1",
        );
    }

    #[test]
    fn conversion_without_name_is_refused() {
        // DIVERGENCE: CPython would print the whole name table here.
        badly(
            "date +%s",
            "a conversion without a (name) is not supported; write %% for a literal %",
        );
    }
}
