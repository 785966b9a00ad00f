//! Wait statuses → Supervisor's exit status and text (reference §3.4).
//!
//! Pure: the reactor passes the raw status `waitpid` returned.

use crate::signame::signame;

/// A decoded wait status: `code` is the exit code, or -1 for a death by signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: i32,
    /// `exit status 3`, `terminated by SIGKILL`, `terminated by SIGSEGV (core dumped)`.
    pub text: String,
}

impl ExitStatus {
    /// Decodes a raw `waitpid` status as Supervisor's `decode_wait_status` does.
    pub fn from_raw(status: i32) -> ExitStatus {
        if libc::WIFEXITED(status) {
            let code = libc::WEXITSTATUS(status);
            ExitStatus {
                code,
                text: format!("exit status {code}"),
            }
        } else if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            let mut text = format!("terminated by {}", signame(sig));
            if libc::WCOREDUMP(status) {
                text.push_str(" (core dumped)");
            }
            ExitStatus { code: -1, text }
        } else {
            ExitStatus {
                code: -1,
                text: format!("unknown termination cause 0x{status:04x}"),
            }
        }
    }

    /// An exit with `code`, as a test or a synthetic input would produce it.
    pub fn exited(code: i32) -> ExitStatus {
        ExitStatus {
            code,
            text: format!("exit status {code}"),
        }
    }

    /// A death by signal `sig`.
    pub fn signalled(sig: i32) -> ExitStatus {
        ExitStatus {
            code: -1,
            text: format!("terminated by {}", signame(sig)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exit_codes_and_signals() {
        assert_eq!(ExitStatus::from_raw(3 << 8), ExitStatus::exited(3));
        assert_eq!(ExitStatus::from_raw(9), ExitStatus::signalled(9));
        let core = ExitStatus::from_raw(11 | 0x80);
        assert_eq!(core.code, -1);
        assert_eq!(core.text, "terminated by SIGSEGV (core dumped)");
        assert_eq!(
            ExitStatus::from_raw(0x137f).text,
            "unknown termination cause 0x137f"
        );
    }
}
