//! One parser per kind of option value, with Supervisor's error texts (reference §1.4).
//!
//! Owns the pure conversions: text in, typed value or the reference's `ValueError` message
//! out. Must not touch the file system or the user database: the kinds that need them
//! (existing directories, users and groups) live in `resolve.rs`.
//! Mirrors Supervisor's `datatypes.py`.

use crate::config::AutoRestart;
use crate::pytext;

/// Python `int(value)` (base 10). Integers beyond 64 bits saturate instead of failing.
///
/// # Errors
/// `invalid literal for int() with base 10: 'abc'`.
pub fn integer(value: &str) -> Result<i64, String> {
    if let Some(n) = pytext::parse_int(value) {
        return Ok(n);
    }
    let t = value.trim();
    let digits = t.trim_start_matches(['+', '-']);
    let well_formed = t.len() - digits.len() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__");
    match (well_formed, t.starts_with('-')) {
        (true, true) => Ok(i64::MIN),
        (true, false) => Ok(i64::MAX),
        (false, _) => Err(format!(
            "invalid literal for int() with base 10: {}",
            pytext::repr(value)
        )),
    }
}

/// [`integer`] for a count held in an unsigned field.
///
/// COMPAT: negative values behave like 0 in every place the reference uses them (no
/// rotation, no backups, no retries, no wait), so they are clamped rather than refused.
pub fn count<T: TryFrom<i64> + Default + Bounded>(value: &str) -> Result<T, String> {
    Ok(clamp(integer(value)?))
}

/// Saturating conversion of a parsed integer into a narrower field type.
pub fn clamp<T: TryFrom<i64> + Default + Bounded>(n: i64) -> T {
    if n < 0 {
        return T::try_from(n).unwrap_or_default();
    }
    T::try_from(n).unwrap_or(T::MAX)
}

/// The largest value of a field type, for [`clamp`].
pub trait Bounded {
    const MAX: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => { $(impl Bounded for $t { const MAX: Self = <$t>::MAX; })* };
}
bounded!(u16, u32, u64, usize, i32);

/// `yes/true/on/1` and `no/false/off/0`, any case.
///
/// # Errors
/// `not a valid boolean value: 'maybe'`.
pub fn boolean(value: &str) -> Result<bool, String> {
    match value.to_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "not a valid boolean value: {}",
            pytext::repr(value)
        )),
    }
}

/// A byte size: an integer, optionally followed by `kb`, `mb` or `gb` (any case).
///
/// # Errors
/// Python's `int()` text for the lower-cased number part: `invalid literal for int() with
/// base 10: '10xb'`.
pub fn byte_size(value: &str) -> Result<i64, String> {
    let v = value.to_lowercase();
    for (suffix, factor) in [("kb", 1i64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)] {
        if let Some(number) = v.strip_suffix(suffix) {
            return Ok(integer(number)?.saturating_mul(factor));
        }
    }
    integer(&v)
}

/// Python `int(value, 8)`: `022`, `0o22` and `22` are all 18.
///
/// # Errors
/// `999 can not be converted to an octal type` (also for negative values, which no umask
/// or mode can hold).
pub fn octal(value: &str) -> Result<u32, String> {
    let err = || format!("{value} can not be converted to an octal type");
    let t = value.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .map(|d| d.strip_prefix('_').unwrap_or(d))
        .unwrap_or(t);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits
            .bytes()
            .all(|b| (b'0'..=b'7').contains(&b) || b == b'_')
    {
        return Err(err());
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    u32::from_str_radix(&clean, 8).map_err(|_| err())
}

/// Comma-separated exit codes, each 0–255; an empty value is an empty list.
///
/// # Errors
/// `not a valid list of exit codes: '0,256'`.
pub fn exitcodes(value: &str) -> Result<Vec<i32>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|part| match pytext::parse_int(part) {
            Some(n @ 0..=255) => Ok(n as i32),
            _ => Err(format!(
                "not a valid list of exit codes: {}",
                pytext::repr(value)
            )),
        })
        .collect()
}

/// A comma-separated list, each item stripped; an empty value is an empty list.
pub fn list_of_strings(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(',').map(|s| s.trim().to_string()).collect()
}

/// `autorestart=`: a boolean word, or `unexpected`.
///
/// # Errors
/// `invalid 'autorestart' value 'sometimes'` (the value lower-cased).
pub fn auto_restart(value: &str) -> Result<AutoRestart, String> {
    let v = value.to_lowercase();
    match v.as_str() {
        "unexpected" => Ok(AutoRestart::Unexpected),
        _ => match boolean(&v) {
            Ok(true) => Ok(AutoRestart::Always),
            Ok(false) => Ok(AutoRestart::Never),
            Err(_) => Err(format!("invalid 'autorestart' value {}", pytext::repr(&v))),
        },
    }
}

/// What a child `*_logfile=` value names, before any file-system check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogfileName {
    None,
    Auto,
    /// The deprecated `syslog` file name.
    Syslog,
    Path(String),
}

/// Classifies a child log file value: `none`/`off`, `auto`, `syslog` (any case) or a path.
pub fn logfile_name(value: &str) -> LogfileName {
    match value.to_lowercase().as_str() {
        "none" | "off" => LogfileName::None,
        "auto" => LogfileName::Auto,
        "syslog" => LogfileName::Syslog,
        _ => LogfileName::Path(value.to_string()),
    }
}

/// A process or group name: stripped; no space, `:` or `/`.
///
/// # Errors
/// `Invalid name: 'x y' because of character: ' '`.
pub fn process_or_group_name(value: &str) -> Result<String, String> {
    let s = value.trim();
    match [' ', ':', '/'].into_iter().find(|c| s.contains(*c)) {
        Some(c) => Err(format!(
            "Invalid name: {} because of character: {}",
            pytext::repr(value),
            pytext::repr(&c.to_string())
        )),
        None => Ok(s.to_string()),
    }
}

/// A TCP port, 1–65535.
///
/// # Errors
/// Python's `int()` text, `0 is below lower bound (1)`, `99999 is above upper bound (65535)`.
pub fn port_number(value: &str) -> Result<u16, String> {
    let n = integer(value)?;
    if n < 1 {
        return Err(format!("{n} is below lower bound (1)"));
    }
    u16::try_from(n).map_err(|_| format!("{n} is above upper bound (65535)"))
}

/// `host:port`, `:port`, `*:port` or a bare port; an empty host means every interface.
///
/// # Errors
/// The port errors of [`port_number`]; a bare port that fails gives
/// `not a valid port number: 'abc' ` (with the reference's trailing space).
pub fn inet_address(value: &str) -> Result<(String, u16), String> {
    let (host, port) = match value.rsplit_once(':') {
        Some((_, "")) => return Err("no port number specified in ''".to_string()),
        Some((host, port)) => (host.to_lowercase(), port_number(port)?),
        None => match port_number(value) {
            Ok(port) => (String::new(), port),
            Err(_) => return Err(format!("not a valid port number: {} ", pytext::repr(value))),
        },
    };
    Ok((if host == "*" { String::new() } else { host }, port))
}

/// A URL with a scheme and a host or path (`supervisorctl -s`), as Python's `urlparse`
/// splits it.
///
/// # Errors
/// `value 'foo' is not a URL`.
pub fn url(value: &str) -> Result<String, String> {
    let err = || format!("value {} is not a URL", pytext::repr(value));
    let (scheme, rest) = value.split_once(':').ok_or_else(err)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(err());
    }
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let has_location = match rest.strip_prefix("//") {
        Some(after) => !after.is_empty(),
        None => !rest.is_empty(),
    };
    if has_location {
        Ok(value.to_string())
    } else {
        Err(err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_like_python_int() {
        assert_eq!(integer(" 12 "), Ok(12));
        assert_eq!(integer("-3"), Ok(-3));
        assert_eq!(integer("+7"), Ok(7));
        assert_eq!(integer("99999999999999999999999"), Ok(i64::MAX));
        assert_eq!(integer("-99999999999999999999999"), Ok(i64::MIN));
        assert_eq!(
            integer("abc").unwrap_err(),
            "invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            integer("1.5").unwrap_err(),
            "invalid literal for int() with base 10: '1.5'"
        );
        assert_eq!(
            integer("").unwrap_err(),
            "invalid literal for int() with base 10: ''"
        );
        assert!(integer("+-1").is_err());
    }

    #[test]
    fn counts_clamp_to_their_type() {
        assert_eq!(count::<u32>("-1"), Ok(0));
        assert_eq!(count::<u32>("99999999999"), Ok(u32::MAX));
        assert_eq!(count::<i32>("-5"), Ok(-5));
        assert_eq!(clamp::<i32>(i64::MIN), 0);
        assert_eq!(clamp::<u64>(12), 12);
    }

    #[test]
    fn boolean_words() {
        for t in ["yes", "TRUE", "On", "1"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["no", "False", "OFF", "0"] {
            assert_eq!(boolean(f), Ok(false));
        }
        assert_eq!(
            boolean("maybe").unwrap_err(),
            "not a valid boolean value: 'maybe'"
        );
        assert_eq!(
            boolean("Maybe").unwrap_err(),
            "not a valid boolean value: 'Maybe'"
        );
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(byte_size("50MB"), Ok(50 * 1024 * 1024));
        assert_eq!(byte_size("1kb"), Ok(1024));
        assert_eq!(byte_size("2GB"), Ok(2 << 30));
        assert_eq!(byte_size("10 MB"), Ok(10 << 20));
        assert_eq!(byte_size("0"), Ok(0));
        assert_eq!(byte_size("-1KB"), Ok(-1024));
        assert_eq!(
            byte_size("10XB").unwrap_err(),
            "invalid literal for int() with base 10: '10xb'"
        );
        assert_eq!(
            byte_size("5QB").unwrap_err(),
            "invalid literal for int() with base 10: '5qb'"
        );
        assert_eq!(
            byte_size("1.5MB").unwrap_err(),
            "invalid literal for int() with base 10: '1.5'"
        );
        assert!(byte_size("10b").is_err() && byte_size("1tb").is_err());
    }

    #[test]
    fn octal_values() {
        assert_eq!(octal("022"), Ok(0o22));
        assert_eq!(octal("0o22"), Ok(0o22));
        assert_eq!(octal("22"), Ok(0o22));
        assert_eq!(octal(" 0700 "), Ok(0o700));
        assert_eq!(octal("0o_7"), Ok(7));
        assert_eq!(
            octal("999").unwrap_err(),
            "999 can not be converted to an octal type"
        );
        assert_eq!(
            octal("8x").unwrap_err(),
            "8x can not be converted to an octal type"
        );
        assert!(octal("-22").is_err() && octal("").is_err());
    }

    #[test]
    fn exit_code_lists() {
        assert_eq!(exitcodes("0"), Ok(vec![0]));
        assert_eq!(exitcodes("0, 2"), Ok(vec![0, 2]));
        assert_eq!(exitcodes(""), Ok(vec![]));
        assert_eq!(
            exitcodes("0,256").unwrap_err(),
            "not a valid list of exit codes: '0,256'"
        );
        assert_eq!(
            exitcodes("0,abc").unwrap_err(),
            "not a valid list of exit codes: '0,abc'"
        );
        assert!(exitcodes("0,,2").is_err() && exitcodes("-1").is_err());
    }

    #[test]
    fn string_lists() {
        assert_eq!(list_of_strings("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(list_of_strings("a,"), ["a", ""]);
        assert!(list_of_strings("").is_empty());
    }

    #[test]
    fn autorestart_values() {
        assert_eq!(auto_restart("unexpected"), Ok(AutoRestart::Unexpected));
        assert_eq!(auto_restart("TRUE"), Ok(AutoRestart::Always));
        assert_eq!(auto_restart("off"), Ok(AutoRestart::Never));
        assert_eq!(
            auto_restart("Sometimes").unwrap_err(),
            "invalid 'autorestart' value 'sometimes'"
        );
    }

    #[test]
    fn logfile_names() {
        assert_eq!(logfile_name("NONE"), LogfileName::None);
        assert_eq!(logfile_name("off"), LogfileName::None);
        assert_eq!(logfile_name("Auto"), LogfileName::Auto);
        assert_eq!(logfile_name("syslog"), LogfileName::Syslog);
        assert_eq!(
            logfile_name("/tmp/x.log"),
            LogfileName::Path("/tmp/x.log".into())
        );
    }

    #[test]
    fn names() {
        assert_eq!(process_or_group_name(" web "), Ok("web".to_string()));
        assert_eq!(
            process_or_group_name("x y").unwrap_err(),
            "Invalid name: 'x y' because of character: ' '"
        );
        assert_eq!(
            process_or_group_name("a:b").unwrap_err(),
            "Invalid name: 'a:b' because of character: ':'"
        );
        assert_eq!(
            process_or_group_name("a/b c").unwrap_err(),
            "Invalid name: 'a/b c' because of character: ' '"
        );
    }

    #[test]
    fn inet_addresses() {
        assert_eq!(
            inet_address("127.0.0.1:9001"),
            Ok(("127.0.0.1".into(), 9001))
        );
        assert_eq!(inet_address("LocalHost:1"), Ok(("localhost".into(), 1)));
        assert_eq!(inet_address(":9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address("*:9001"), Ok((String::new(), 9001)));
        assert_eq!(inet_address("9001"), Ok((String::new(), 9001)));
        assert_eq!(
            inet_address("127.0.0.1:99999").unwrap_err(),
            "99999 is above upper bound (65535)"
        );
        assert_eq!(
            inet_address("h:0").unwrap_err(),
            "0 is below lower bound (1)"
        );
        assert_eq!(
            inet_address("h:abc").unwrap_err(),
            "invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            inet_address("abc").unwrap_err(),
            "not a valid port number: 'abc' "
        );
        assert_eq!(
            inet_address("99999").unwrap_err(),
            "not a valid port number: '99999' "
        );
        assert_eq!(
            inet_address("h:").unwrap_err(),
            "no port number specified in ''"
        );
    }

    #[test]
    fn urls() {
        assert!(url("http://localhost:9001").is_ok());
        assert!(url("unix:///tmp/s.sock").is_ok());
        assert!(url("http:/path").is_ok());
        assert_eq!(url("foo").unwrap_err(), "value 'foo' is not a URL");
        assert!(url("http://").is_err());
        assert!(url("1http://x").is_err());
        assert!(url("http:").is_err());
    }
}
