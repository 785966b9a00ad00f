//! Process, supervisor and event-listener states with their codes and names.
//!
//! A leaf module: it depends on nothing else in the crate, so every other module may use it.
//! Mirrors Supervisor's `states.py` (reference §3.1).

use std::fmt;

/// The state of one supervised process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessState {
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    Fatal,
    Unknown,
}

impl ProcessState {
    pub const ALL: [ProcessState; 8] = [
        ProcessState::Stopped,
        ProcessState::Starting,
        ProcessState::Running,
        ProcessState::Backoff,
        ProcessState::Stopping,
        ProcessState::Exited,
        ProcessState::Fatal,
        ProcessState::Unknown,
    ];

    /// The numeric code reported by `getProcessInfo` (`state`).
    pub fn code(self) -> i32 {
        match self {
            ProcessState::Stopped => 0,
            ProcessState::Starting => 10,
            ProcessState::Running => 20,
            ProcessState::Backoff => 30,
            ProcessState::Stopping => 40,
            ProcessState::Exited => 100,
            ProcessState::Fatal => 200,
            ProcessState::Unknown => 1000,
        }
    }

    /// The state name as Supervisor spells it (`RUNNING`).
    pub fn name(self) -> &'static str {
        match self {
            ProcessState::Stopped => "STOPPED",
            ProcessState::Starting => "STARTING",
            ProcessState::Running => "RUNNING",
            ProcessState::Backoff => "BACKOFF",
            ProcessState::Stopping => "STOPPING",
            ProcessState::Exited => "EXITED",
            ProcessState::Fatal => "FATAL",
            ProcessState::Unknown => "UNKNOWN",
        }
    }

    pub fn from_name(name: &str) -> Option<ProcessState> {
        ProcessState::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn from_code(code: i32) -> Option<ProcessState> {
        ProcessState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// STOPPED, EXITED, FATAL, UNKNOWN: "not running" for removal, status exit codes, waits.
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            ProcessState::Stopped
                | ProcessState::Exited
                | ProcessState::Fatal
                | ProcessState::Unknown
        )
    }

    /// STARTING, RUNNING, BACKOFF: the set `start` refuses and `stop` acts on.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ProcessState::Starting | ProcessState::Running | ProcessState::Backoff
        )
    }

    /// STARTING, RUNNING, STOPPING: states with a live pid that may be signalled.
    pub fn is_signallable(self) -> bool {
        matches!(
            self,
            ProcessState::Starting | ProcessState::Running | ProcessState::Stopping
        )
    }
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// supervisord's own state (`getState`), driven by its mood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SupervisorState {
    Shutdown,
    Restarting,
    Running,
}

impl SupervisorState {
    pub fn code(self) -> i32 {
        match self {
            SupervisorState::Shutdown => -1,
            SupervisorState::Restarting => 0,
            SupervisorState::Running => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SupervisorState::Shutdown => "SHUTDOWN",
            SupervisorState::Restarting => "RESTARTING",
            SupervisorState::Running => "RUNNING",
        }
    }
}

/// The event-listener protocol state of a listener process (reference §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerState {
    Acknowledged,
    Ready,
    Busy,
    Unknown,
}

impl ListenerState {
    pub fn name(self) -> &'static str {
        match self {
            ListenerState::Acknowledged => "ACKNOWLEDGED",
            ListenerState::Ready => "READY",
            ListenerState::Busy => "BUSY",
            ListenerState::Unknown => "UNKNOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for s in ProcessState::ALL {
            assert_eq!(ProcessState::from_code(s.code()), Some(s));
            assert_eq!(ProcessState::from_name(s.name()), Some(s));
        }
        assert_eq!(ProcessState::Fatal.code(), 200);
        assert_eq!(ProcessState::Unknown.to_string(), "UNKNOWN");
    }

    #[test]
    fn state_sets_match_supervisor() {
        use ProcessState::*;
        let stopped: Vec<_> = ProcessState::ALL
            .into_iter()
            .filter(|s| s.is_stopped())
            .collect();
        assert_eq!(stopped, [Stopped, Exited, Fatal, Unknown]);
        let running: Vec<_> = ProcessState::ALL
            .into_iter()
            .filter(|s| s.is_running())
            .collect();
        assert_eq!(running, [Starting, Running, Backoff]);
        let sig: Vec<_> = ProcessState::ALL
            .into_iter()
            .filter(|s| s.is_signallable())
            .collect();
        assert_eq!(sig, [Starting, Running, Stopping]);
    }
}
