//! Signal names and numbers as Supervisor spells them (Linux numbering).
//!
//! A leaf module used by the config loader (`stopsignal=`), exit-status texts
//! (`terminated by SIGTERM`), `signalProcess` and supervisorctl.

/// Signals with a name, by number; index = signal number.
const NAMES: [(i32, &str); 33] = [
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGPOLL"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
    (34, "SIGRTMIN"),
    (64, "SIGRTMAX"),
];

/// Other names Python's `signal` module knows for the same numbers.
const ALIASES: [(&str, i32); 3] = [("SIGIOT", 6), ("SIGCLD", 17), ("SIGIO", 29)];

/// The name Supervisor prints for a signal number (`SIGTERM`, or `signal 40`).
pub fn signame(num: i32) -> String {
    match NAMES.iter().find(|(n, _)| *n == num) {
        Some((_, name)) => (*name).to_string(),
        None => format!("signal {num}"),
    }
}

/// Why a signal value was refused; `Display` gives Supervisor's exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalError {
    BadName(String),
    BadNumber(String),
}

impl std::fmt::Display for SignalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignalError::BadName(v) => write!(f, "value {} is not a valid signal name", py_repr(v)),
            SignalError::BadNumber(v) => {
                write!(f, "value {} is not a valid signal number", py_repr(v))
            }
        }
    }
}

/// Parses a signal as Supervisor's `signal_number` does: a number, or a name with or
/// without `SIG`, any case, surrounding spaces ignored.
///
/// # Compatibility
/// Valid numbers are exactly those Python's `signal` module names on Linux (0–31, 34, 64);
/// reference §1.4.
pub fn parse_signal(value: &str) -> Result<i32, SignalError> {
    let num = match parse_py_int(value) {
        Some(n) => n,
        None => {
            let mut name = value.trim().to_ascii_uppercase();
            if !name.starts_with("SIG") {
                name.insert_str(0, "SIG");
            }
            let known = NAMES
                .iter()
                .map(|(n, s)| (*s, *n))
                .chain(ALIASES.iter().copied())
                .find(|(s, _)| *s == name);
            match known {
                Some((_, n)) => i64::from(n),
                None => return Err(SignalError::BadName(value.to_string())),
            }
        }
    };
    match i32::try_from(num) {
        Ok(n) if n == 0 || NAMES.iter().any(|(k, _)| *k == n) => Ok(n),
        _ => Err(SignalError::BadNumber(value.to_string())),
    }
}

/// Python `int(text)` for base 10: surrounding whitespace, an optional sign, digits and
/// single underscores between digits.
pub fn parse_py_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
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
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let n: i64 = clean.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// Python's `repr()` of a string: single quotes unless the text contains one and no
/// double quote; backslash escapes for quotes, backslashes and control characters.
pub fn py_repr(s: &str) -> String {
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
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(parse_signal("TERM"), Ok(15));
        assert_eq!(parse_signal("sigterm"), Ok(15));
        assert_eq!(parse_signal(" SIGHUP "), Ok(1));
        assert_eq!(parse_signal("15"), Ok(15));
        assert_eq!(parse_signal("+9"), Ok(9));
        assert_eq!(parse_signal("iot"), Ok(6));
        assert_eq!(parse_signal("rtmax"), Ok(64));
        assert_eq!(signame(29), "SIGPOLL");
        assert_eq!(signame(40), "signal 40");
    }

    #[test]
    fn errors_have_supervisor_text() {
        assert_eq!(
            parse_signal("FOO").unwrap_err().to_string(),
            "value 'FOO' is not a valid signal name"
        );
        assert_eq!(
            parse_signal("99").unwrap_err().to_string(),
            "value '99' is not a valid signal number"
        );
        assert_eq!(
            parse_signal("40").unwrap_err().to_string(),
            "value '40' is not a valid signal number"
        );
        assert!(matches!(parse_signal("9.0"), Err(SignalError::BadName(_))));
    }

    #[test]
    fn py_int_rules() {
        assert_eq!(parse_py_int(" 12 "), Some(12));
        assert_eq!(parse_py_int("-3"), Some(-3));
        assert_eq!(parse_py_int("1_000"), Some(1000));
        assert_eq!(parse_py_int("1__0"), None);
        assert_eq!(parse_py_int(""), None);
        assert_eq!(parse_py_int("0x10"), None);
    }

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(py_repr("abc"), "'abc'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("a\nb"), "'a\\nb'");
    }
}
