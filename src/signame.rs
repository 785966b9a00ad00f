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
            SignalError::BadName(v) => write!(
                f,
                "value {} is not a valid signal name",
                crate::pytext::repr(v)
            ),
            SignalError::BadNumber(v) => {
                write!(
                    f,
                    "value {} is not a valid signal number",
                    crate::pytext::repr(v)
                )
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
    let num = match crate::pytext::parse_int(value) {
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
}
