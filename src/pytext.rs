//! Python's texts where Supervisor shows them: `repr()` and `ascii()` of a string, `int()`
//! of a decimal string, `repr()` of a float. One implementation each, used by the config
//! errors, `%(x)r` expansion, the XML-RPC codec and its log lines.
//!
//! A leaf: it imports nothing from the crate.

/// Which of Python's quoting builtins [`quote`] imitates. They differ only in what they do
/// with printable non-ASCII characters, which `%(x)r` and `%(x)a` both reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// `repr()`: printable characters as they are.
    Repr,
    /// `ascii()`: every non-ASCII character escaped too.
    Ascii,
}

/// Python's `repr()` of a string, the quoting of nearly every message.
pub fn repr(s: &str) -> String {
    quote(s, Quoting::Repr)
}

/// Python's `repr()` or `ascii()` of a string: single quotes unless the text contains one
/// and no double quote; backslash escapes for the quote, `\`, `\t`, `\n`, `\r` and
/// non-printable characters (`\xNN`, `\uNNNN`, `\UNNNNNNNN`; ASCII and Latin-1 exactly,
/// other non-printables approximately, see `is_printable`).
pub fn quote(s: &str, quoting: Quoting) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && is_printable(c) => out.push(c),
            c if quoting == Quoting::Repr && is_printable(c) => out.push(c),
            c if u32::from(c) < 0x100 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()`, near enough: controls, separators other than the space,
/// and the common invisible format characters are not.
fn is_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

/// Python's `int(text)` in base 10: surrounding whitespace, an optional sign, digits and
/// single underscores between digits. `None` for anything else, and beyond 64 bits.
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let n: i128 = if digits.contains('_') {
        digits.replace('_', "").parse().ok()?
    } else {
        // Decoders read many ints: no copy when there is nothing to drop.
        digits.parse().ok()?
    };
    // Through i128 so that i64::MIN, whose magnitude is not an i64, still reads.
    i64::try_from(if neg { -n } else { n }).ok()
}

/// Python's `repr(float)`: shortest round-trip digits, positional for decimal exponents
/// -4..=15, otherwise `d.ddde±XX`; `nan`, `inf`, `-inf`. When two shortest digit strings are
/// exactly equally near (about 1 in 1,000 random doubles) Rust picks the upper one and Python
/// the even one; both read back as the same float.
pub fn float_repr(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` already yields the shortest round-trip digits: "-1.2345e-7", "0e0".
    let sci = format!("{d:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(positive) => ("-", positive),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let (int_part, frac_part) = if exponent >= 0 {
            let int_len = exponent.unsigned_abs() as usize + 1;
            let int_part = format!("{digits:0<int_len$}");
            let frac_part = digits
                .get(int_len..)
                .filter(|f| !f.is_empty())
                .unwrap_or("0");
            (
                int_part.get(..int_len).unwrap_or("0").to_string(),
                frac_part.to_string(),
            )
        } else {
            let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
            ("0".to_string(), format!("{zeros}{digits}"))
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{dot}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(repr("abc"), "'abc'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(repr("a\nb"), "'a\\nb'");
        // python3 -c "print(repr('a\\\\b\\n\\r\\x00\\x7f\\x85\\xa0\\u2028é€'))"
        assert_eq!(
            repr("a\\b\n\r\u{0}\u{7f}\u{85}\u{a0}\u{2028}é€"),
            "'a\\\\b\\n\\r\\x00\\x7f\\x85\\xa0\\u2028é€'"
        );
    }

    #[test]
    fn ascii_escapes_every_non_ascii_character() {
        // python3 -c "print(ascii('é€\\U0001f600\\x01\\''))"
        assert_eq!(
            quote("é€\u{1f600}\u{1}'", Quoting::Ascii),
            "\"\\xe9\\u20ac\\U0001f600\\x01'\""
        );
        assert_eq!(quote("plain", Quoting::Ascii), repr("plain"));
    }

    #[test]
    fn int_rules() {
        assert_eq!(parse_int(" 12 "), Some(12));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("+9"), Some(9));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("_1"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("0x10"), None);
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_int("9.0"), None);
    }

    #[test]
    fn float_repr_matches_python() {
        // python3 -c 'for f in [...]: print(repr(f))'
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-2.5e-3, "-0.0025"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (123_456_789_012.0, "123456789012.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e22, "1e+22"),
            (1e300, "1e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.30000000000000004, "0.30000000000000004"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_repr(value), expected, "{value:e}");
        }
    }
}
