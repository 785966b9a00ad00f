//! Event types, their hierarchy and subscription matching (reference §6.1).
//!
//! A leaf module: the config loader validates `events=` against it.

/// Every event type Supervisor knows, abstract and concrete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Event,
    ProcessState,
    ProcessStateStarting,
    ProcessStateRunning,
    ProcessStateBackoff,
    ProcessStateStopping,
    ProcessStateExited,
    ProcessStateStopped,
    ProcessStateFatal,
    ProcessStateUnknown,
    ProcessCommunication,
    ProcessCommunicationStdout,
    ProcessCommunicationStderr,
    ProcessLog,
    ProcessLogStdout,
    ProcessLogStderr,
    RemoteCommunication,
    SupervisorStateChange,
    SupervisorStateChangeRunning,
    SupervisorStateChangeStopping,
    Tick,
    Tick5,
    Tick60,
    Tick3600,
    ProcessGroup,
    ProcessGroupAdded,
    ProcessGroupRemoved,
    /// Issue 14's health checks (not in the reference: only listeners naming them, or
    /// EVENT, receive them).
    ProcessHealth,
    ProcessHealthHealthy,
    ProcessHealthUnhealthy,
}

use EventType::*;

const TABLE: [(EventType, &str, Option<EventType>); 30] = [
    (Event, "EVENT", None),
    (ProcessState, "PROCESS_STATE", Some(Event)),
    (
        ProcessStateStarting,
        "PROCESS_STATE_STARTING",
        Some(ProcessState),
    ),
    (
        ProcessStateRunning,
        "PROCESS_STATE_RUNNING",
        Some(ProcessState),
    ),
    (
        ProcessStateBackoff,
        "PROCESS_STATE_BACKOFF",
        Some(ProcessState),
    ),
    (
        ProcessStateStopping,
        "PROCESS_STATE_STOPPING",
        Some(ProcessState),
    ),
    (
        ProcessStateExited,
        "PROCESS_STATE_EXITED",
        Some(ProcessState),
    ),
    (
        ProcessStateStopped,
        "PROCESS_STATE_STOPPED",
        Some(ProcessState),
    ),
    (ProcessStateFatal, "PROCESS_STATE_FATAL", Some(ProcessState)),
    (
        ProcessStateUnknown,
        "PROCESS_STATE_UNKNOWN",
        Some(ProcessState),
    ),
    (ProcessCommunication, "PROCESS_COMMUNICATION", Some(Event)),
    (
        ProcessCommunicationStdout,
        "PROCESS_COMMUNICATION_STDOUT",
        Some(ProcessCommunication),
    ),
    (
        ProcessCommunicationStderr,
        "PROCESS_COMMUNICATION_STDERR",
        Some(ProcessCommunication),
    ),
    (ProcessLog, "PROCESS_LOG", Some(Event)),
    (ProcessLogStdout, "PROCESS_LOG_STDOUT", Some(ProcessLog)),
    (ProcessLogStderr, "PROCESS_LOG_STDERR", Some(ProcessLog)),
    (RemoteCommunication, "REMOTE_COMMUNICATION", Some(Event)),
    (
        SupervisorStateChange,
        "SUPERVISOR_STATE_CHANGE",
        Some(Event),
    ),
    (
        SupervisorStateChangeRunning,
        "SUPERVISOR_STATE_CHANGE_RUNNING",
        Some(SupervisorStateChange),
    ),
    (
        SupervisorStateChangeStopping,
        "SUPERVISOR_STATE_CHANGE_STOPPING",
        Some(SupervisorStateChange),
    ),
    (Tick, "TICK", Some(Event)),
    (Tick5, "TICK_5", Some(Tick)),
    (Tick60, "TICK_60", Some(Tick)),
    (Tick3600, "TICK_3600", Some(Tick)),
    (ProcessGroup, "PROCESS_GROUP", Some(Event)),
    (ProcessGroupAdded, "PROCESS_GROUP_ADDED", Some(ProcessGroup)),
    (
        ProcessGroupRemoved,
        "PROCESS_GROUP_REMOVED",
        Some(ProcessGroup),
    ),
    (ProcessHealth, "PROCESS_HEALTH", Some(Event)),
    (
        ProcessHealthHealthy,
        "PROCESS_HEALTH_HEALTHY",
        Some(ProcessHealth),
    ),
    (
        ProcessHealthUnhealthy,
        "PROCESS_HEALTH_UNHEALTHY",
        Some(ProcessHealth),
    ),
];

// TABLE_IN_ORDER: compile-time proof that `TABLE[t as usize]` is the row of `t` for every
// variant: rows are in declaration order and the last variant has the last row.
const _: () = {
    let mut rest: &[(EventType, &str, Option<EventType>)] = &TABLE;
    let mut i = 0;
    while let [(t, _, _), tail @ ..] = rest {
        assert!(*t as usize == i, "TABLE rows out of declaration order");
        rest = tail;
        i += 1;
    }
    assert!(EventType::ProcessHealthUnhealthy as usize + 1 == TABLE.len());
};

impl EventType {
    #[expect(
        clippy::indexing_slicing,
        reason = "in bounds: TABLE_IN_ORDER proves one row per variant, in declaration order"
    )]
    fn row(self) -> &'static (EventType, &'static str, Option<EventType>) {
        &TABLE[self as usize]
    }

    /// The exact name used in `events=` and in the `eventname:` header token.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn parent(self) -> Option<EventType> {
        self.row().2
    }

    /// Looks a name up case-insensitively, as `events=` does.
    pub fn from_name(name: &str) -> Option<EventType> {
        let upper = name.trim().to_ascii_uppercase();
        TABLE.iter().find(|row| row.1 == upper).map(|row| row.0)
    }

    /// True when a subscription to `self` receives events of type `concrete`.
    pub fn covers(self, concrete: EventType) -> bool {
        let mut t = Some(concrete);
        while let Some(cur) = t {
            if cur == self {
                return true;
            }
            t = cur.parent();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_declaration_order() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.0 as usize, i, "{}", row.1);
        }
    }

    #[test]
    fn names_and_hierarchy() {
        assert_eq!(
            EventType::from_name("process_state_running"),
            Some(ProcessStateRunning)
        );
        assert_eq!(EventType::from_name("FOO_BAR"), None);
        assert!(Event.covers(Tick5));
        assert!(ProcessState.covers(ProcessStateFatal));
        assert!(!ProcessLog.covers(ProcessCommunicationStdout));
        assert!(Tick60.covers(Tick60));
        assert_eq!(ProcessGroupAdded.name(), "PROCESS_GROUP_ADDED");
    }
}
